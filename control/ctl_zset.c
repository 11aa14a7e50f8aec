/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ctl_zset: rbldnsd's address entry syntax and the flattening of address
 * pieces into disjoint intervals, for ctl_zone's loader (ctl_zone.c is the
 * only caller; see ctl_zset.h for the contract).
 *
 * Owns: nothing beyond the piece list the caller passes in. No globals, no
 * logging; errors are CTL_ZSET_* codes or -ENOMEM.
 *
 * Why pieces: ip4set and ip6trie entries nest and overlap, each with its
 * own precedence (rbldnsd's octet levels, longest prefix); turning them
 * into disjoint sorted intervals at load leaves a lookup one binary search.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_zset.h"

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

static bool is_comment(char c)
{
	return c == '#' || c == ';';
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

bool ctl_zset_addr_ends(const char *s)
{
	return !*s || is_space(*s) || is_comment(*s);
}

/* ---- IPv4 text ---- */

static uint32_t mask4(unsigned bits)
{
	return bits ? ~(uint32_t)0 << (32 - bits) : 0;
}

/* 1 to 4 dotted octets; returns the end and the bits given (8..32). */
static char *ip4_prefix(char *s, uint32_t *ret, unsigned *bits)
{
	uint32_t a = 0;
	unsigned n;

	for (n = 0; n < 4; n++) {
		unsigned o = 0;

		if (n) {
			if (*s != '.')
				break;
			s++;
		}
		if (!is_digit(*s))
			return NULL;
		while (is_digit(*s)) {
			o = o * 10 + (unsigned)(*s++ - '0');
			if (o > 255)
				return NULL;
		}
		a |= o << (24 - 8 * n);
	}
	*ret = a;
	*bits = 8 * n;
	return s;
}

/* "/LEN" at *@s (the slash included): decimal, at most @max; advances *@s. */
static int plen(char **s, unsigned max, unsigned *ret)
{
	char *p = *s + 1;
	unsigned len = 0;

	if (!is_digit(*p))
		return -1;
	while (is_digit(*p)) {
		len = len * 10 + (unsigned)(*p++ - '0');
		if (len > max)
			return -1;
	}
	*s = p;
	*ret = len;
	return 0;
}

/* rbldnsd's ip4range(): prefix, prefix/len, a-b with shorthands. */
int ctl_zset_ip4_range(char *s, uint32_t *ra, uint32_t *rb, char **end)
{
	uint32_t a, b;
	unsigned bits, bbits;

	s = ip4_prefix(s, &a, &bits);
	if (!s)
		return CTL_ZSET_ADDR;
	if (*s == '-') {
		s = ip4_prefix(s + 1, &b, &bbits);
		if (!s)
			return CTL_ZSET_RANGE;
		if (bbits == 8) {
			/* 1.2.3.4-10: the last octet of the first prefix */
			b = (b >> (bits - 8)) | (a & mask4(bits - 8));
			bbits = bits;
		} else if (bbits != bits) {
			return CTL_ZSET_RANGE;
		}
		b |= ~mask4(bbits);
		if (a > b)
			return CTL_ZSET_RANGE;
	} else if (*s == '/') {
		unsigned len;

		if (plen(&s, 32, &len) < 0)
			return CTL_ZSET_PLEN;
		if (!len)
			return CTL_ZSET_PLEN;        /* rbldnsd: "all" is a typo */
		a &= mask4(len);
		b = a | ~mask4(len);
	} else {
		if (bits == 8)
			return CTL_ZSET_ADDR;        /* a bare number: "1/8" is meant */
		b = a | ~mask4(bits);
	}
	*ra = a;
	*rb = b;
	*end = s;
	return CTL_ZSET_OK;
}

/* rbldnsd's ip4addr() (inet_aton style: 127.2 is 127.0.0.2). */
char *ctl_zset_ip4_aton(char *s, uint32_t *ret)
{
	unsigned bits;
	uint32_t a;

	s = ip4_prefix(s, &a, &bits);
	if (!s)
		return NULL;
	if (bits == 8)
		a >>= 24;
	else if (bits == 16)
		a = (a & 0xff000000u) | ((a >> 16) & 255);
	else if (bits == 24)
		a = (a & 0xffff0000u) | ((a >> 8) & 255);
	if (bits == 8 && a)
		a |= 0x7f000000u;     /* ":2" is 127.0.0.2 */
	*ret = a;
	return s;
}

/* ---- IPv6 text ---- */

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Hex groups with at most one "::". As rbldnsd: without "::" the groups
 * given are the prefix (2001:db8:1:2 is a /64), with "::" it is all 128.
 */
static char *ip6_prefix(char *s, uint8_t out[16], unsigned *bits)
{
	unsigned g[8], ng = 0, i;
	int zpos = -1;

	if (s[0] == ':') {
		if (s[1] != ':')
			return NULL;
		zpos = 0;
		s += 2;
	}
	for (;;) {
		unsigned v = 0, nd = 0;
		int h;

		while ((h = hexval(*s)) >= 0) {
			v = v * 16 + (unsigned)h;
			if (v > 0xffff)
				return NULL;
			s++;
			nd++;
		}
		if (!nd) {
			if (zpos >= 0 && (unsigned)zpos == ng)
				break;        /* "::" ends the address */
			return NULL;
		}
		g[ng++] = v;
		if (*s != ':' || ng == 8)
			break;
		if (s[1] == ':') {
			if (zpos >= 0)
				return NULL;
			zpos = (int)ng;
			s += 2;
		} else {
			s++;
		}
	}
	memset(out, 0, 16);
	if (zpos >= 0) {
		unsigned tail = ng - (unsigned)zpos;

		if (ng >= 8)
			return NULL;
		for (i = 0; i < (unsigned)zpos; i++) {
			out[2 * i] = (uint8_t)(g[i] >> 8);
			out[2 * i + 1] = (uint8_t)g[i];
		}
		for (i = 0; i < tail; i++) {
			unsigned d = 8 - tail + i;

			out[2 * d] = (uint8_t)(g[zpos + (int)i] >> 8);
			out[2 * d + 1] = (uint8_t)g[zpos + (int)i];
		}
		*bits = 128;
	} else {
		for (i = 0; i < ng; i++) {
			out[2 * i] = (uint8_t)(g[i] >> 8);
			out[2 * i + 1] = (uint8_t)g[i];
		}
		*bits = 16 * ng;
	}
	return s;
}

u128 ctl_zset_u128_of(const uint8_t b[16])
{
	u128 v = 0;

	for (int i = 0; i < 16; i++)
		v = (v << 8) | b[i];
	return v;
}

u128 ctl_zset_mask6(unsigned bits)
{
	return bits ? U128_MAX << (128 - bits) : 0;
}

/* prefix or prefix/len, host bits masked. */
int ctl_zset_ip6_cidr(char *s, u128 *ret, unsigned *rbits, char **end)
{
	uint8_t b[16];
	unsigned bits;

	s = ip6_prefix(s, b, &bits);
	if (!s)
		return CTL_ZSET_ADDR;
	if (*s == '/') {
		unsigned len;

		if (plen(&s, 128, &len) < 0)
			return CTL_ZSET_PLEN;
		bits = len;
	} else if (bits == 16) {
		return CTL_ZSET_ADDR;                /* a bare number */
	}
	if (!ctl_zset_addr_ends(s))
		return CTL_ZSET_ADDR;
	*ret = ctl_zset_u128_of(b) & ctl_zset_mask6(bits);
	*rbits = bits;
	*end = s;
	return CTL_ZSET_OK;
}

/* ---- pieces ---- */

int ctl_zset_add(struct ctl_zset_pieces *ps, u128 lo, u128 hi, uint64_t prio,
		 uint32_t val)
{
	struct ctl_zset_piece *p;

	if (ps->n == ps->cap) {
		size_t n = ps->cap ? ps->cap * 2 : 64;

		p = realloc(ps->pc, n * sizeof(*p));
		if (!p)
			return -ENOMEM;
		ps->pc = p;
		ps->cap = n;
	}
	p = &ps->pc[ps->n++];
	p->lo = lo;
	p->hi = hi;
	p->prio = prio;
	p->val = val;
	return 0;
}

void ctl_zset_pieces_clear(struct ctl_zset_pieces *ps)
{
	free(ps->pc);
	ps->pc = NULL;
	ps->n = ps->cap = 0;
}

uint64_t ctl_zset_prio(unsigned level, bool excl, unsigned line)
{
	return (uint64_t)level << 33 | (uint64_t)excl << 32 | (uint32_t)~line;
}

/* One rbldnsd level (@idx: 0 /32, 1 /24, 2 /16, 3 /8): @count blocks from @unit. */
static int ip4_level(struct ctl_zset_pieces *ps, unsigned idx, uint32_t unit,
		     uint32_t count, unsigned line, uint32_t val)
{
	unsigned bits = idx * 8;
	uint64_t lo = (uint64_t)unit << bits;
	uint64_t hi = (((uint64_t)unit + count) << bits) - 1;

	return ctl_zset_add(ps, lo, hi, ctl_zset_prio(32 - bits, val == CTL_ZSET_EXCL, line),
			    val);
}

int ctl_zset_ip4_expand(struct ctl_zset_pieces *ps, uint32_t a, uint32_t b,
			unsigned line, uint32_t val)
{
	int r;

	for (unsigned idx = 0; idx < 3; idx++) {
		if ((a | 255u) >= b) {
			if (b - a == 255u)
				return ip4_level(ps, idx + 1, a >> 8, 1, line, val);
			return ip4_level(ps, idx, a, b - a + 1, line, val);
		}
		if (a & 255u) {
			r = ip4_level(ps, idx, a, 256u - (a & 255u), line, val);
			if (r)
				return r;
			a = (a >> 8) + 1;
		} else {
			a >>= 8;
		}
		if ((b & 255u) != 255u) {
			r = ip4_level(ps, idx, b & ~255u, (b & 255u) + 1, line, val);
			if (r)
				return r;
			b = (b >> 8) - 1;
		} else {
			b >>= 8;
		}
	}
	return ip4_level(ps, 3, a, b - a + 1, line, val);
}

static int piece_cmp(const void *x, const void *y)
{
	const struct ctl_zset_piece *p = x, *q = y;

	return p->lo < q->lo ? -1 : p->lo > q->lo;
}

static void heap_up(const struct ctl_zset_piece *pc, uint32_t *h, size_t i)
{
	while (i) {
		size_t parent = (i - 1) / 2;
		uint32_t t;

		if (pc[h[parent]].prio >= pc[h[i]].prio)
			break;
		t = h[parent];
		h[parent] = h[i];
		h[i] = t;
		i = parent;
	}
}

static void heap_down(const struct ctl_zset_piece *pc, uint32_t *h, size_t n)
{
	size_t i = 0;

	for (;;) {
		size_t l = 2 * i + 1, m = i;
		uint32_t t;

		if (l < n && pc[h[l]].prio > pc[h[m]].prio)
			m = l;
		if (l + 1 < n && pc[h[l + 1]].prio > pc[h[m]].prio)
			m = l + 1;
		if (m == i)
			break;
		t = h[m];
		h[m] = h[i];
		h[i] = t;
		i = m;
	}
}


/*
 * Sweep the pieces in address order with a heap of the ones covering the
 * current position; the heap top wins until it ends or a later piece
 * starts. O(n log n), and at most 2n+1 intervals come out.
 */
int ctl_zset_flatten(struct ctl_zset_pieces *ps,
		     int (*emit)(void *ctx, u128 lo, u128 hi, uint32_t val), void *ctx)
{
	struct ctl_zset_piece *pc = ps->pc;
	size_t n = ps->n, i = 0, hn = 0;
	uint32_t *heap;
	u128 pos = 0;
	int r = 0;

	if (!n)
		return 0;
	if (n > UINT32_MAX)
		return -ENOMEM;
	heap = malloc(n * sizeof(*heap));
	if (!heap)
		return -ENOMEM;
	qsort(pc, n, sizeof(*pc), piece_cmp);
	for (;;) {
		const struct ctl_zset_piece *top;
		u128 end;

		if (!hn) {
			if (i == n)
				break;
			pos = pc[i].lo;
		}
		while (i < n && pc[i].lo <= pos) {
			heap[hn] = (uint32_t)i++;
			heap_up(pc, heap, hn++);
		}
		while (hn && pc[heap[0]].hi < pos) {
			heap[0] = heap[--hn];
			heap_down(pc, heap, hn);
		}
		if (!hn)
			continue;
		top = &pc[heap[0]];
		end = top->hi;
		if (i < n && pc[i].lo <= end)
			end = pc[i].lo - 1;
		if (top->val != CTL_ZSET_EXCL && (r = emit(ctx, pos, end, top->val)))
			break;
		if (end == U128_MAX)
			break;
		pos = end + 1;
	}
	free(heap);
	return r;
}

