/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ctl_vtab: mxscreend's table of current verdicts (see ctl_vtab.h).
 *
 * Layout: entries dense in ents[0..n) with a parallel meta[] (hash, heap
 * and CIDR-list positions), so collect scans only live slots and delete
 * moves the last slot into the hole. The hash maps a key to slot + 1
 * (0 = empty), linear probing with backward-shift deletion, no tombstones.
 * One expiry min-heap per source: eviction takes the policy root, expiry
 * takes whichever root is due. Main thread only.
 */
#include <arpa/inet.h>
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ctl_vtab.h"

#define NONE32 UINT32_MAX
#define NS UINT64_C(1000000000)
#define VT_MAX_ENTRIES ((size_t)1 << 28)
#define VT_INIT_CAP 1024
#define VT_LINE_MAX 4096

struct vt_meta {
	uint32_t hash;
	uint32_t heap_pos;            /* in heap[source] */
	uint32_t cidr_pos;            /* in cidr[], NONE32 for a host key */
};

struct ctl_vtab {
	size_t max_entries, max_cidrs;
	size_t n, cap;
	struct ctl_vtab_entry *ents;
	struct vt_meta *meta;
	uint32_t *hash;               /* slot + 1; 0 empty */
	size_t hmask;
	uint32_t *heap[2];            /* [enum ctl_vtab_source], cap each */
	size_t hn[2];
	uint32_t *cidr;               /* slots, prefix_len descending */
	size_t ncidr, cidr_cap;
	size_t by_action[MXS_ACTION_COUNT];
	uint64_t evicted, expired;
	uint64_t k0, k1;              /* SipHash key */
};

__attribute__((format(printf, 3, 4)))
static void vt_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* ---- keys ---- */

static int fam_bits(int family)
{
	return family == 4 ? 32 : family == 6 ? 128 : 0;
}

static bool is_host_key(int family, int plen)
{
	return (family == 4 && plen == 32) || (family == 6 && (plen == 128 || plen == 64));
}

/* Every bit of the 128-bit addr beyond plen is zero. */
static bool host_bits_zero(const uint8_t a[16], int plen)
{
	int i = plen / 8;

	if (plen % 8 && (a[i++] & (0xff >> (plen % 8))))
		return false;
	for (; i < 16; i++)
		if (a[i])
			return false;
	return true;
}

static void mask_addr(uint8_t a[16], int plen)
{
	int i = plen / 8;

	if (plen % 8)
		a[i++] &= (uint8_t)(0xff << (8 - plen % 8));
	memset(a + i, 0, (size_t)(16 - i));
}

static bool key_ok(int family, int plen, const uint8_t a[16])
{
	int bits = fam_bits(family);

	return bits && plen >= 0 && plen <= bits && host_bits_zero(a, plen);
}

static bool covers(const uint8_t net[16], int plen, const uint8_t a[16])
{
	int n = plen / 8;

	if (memcmp(net, a, (size_t)n) != 0)
		return false;
	if (plen % 8) {
		uint8_t m = (uint8_t)(0xff << (8 - plen % 8));

		return (net[n] & m) == (a[n] & m);
	}
	return true;
}

static bool is_expired(const struct ctl_vtab_entry *e, uint64_t now_ns)
{
	return e->v.expiry_ns < now_ns;
}

/* ---- hash: SipHash-1-3 over (addr, family, prefix_len) ---- */

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND                                                              \
	do {                                                                  \
		v0 += v1; v1 = ROTL(v1, 13); v1 ^= v0; v0 = ROTL(v0, 32);     \
		v2 += v3; v3 = ROTL(v3, 16); v3 ^= v2;                        \
		v0 += v3; v3 = ROTL(v3, 21); v3 ^= v0;                        \
		v2 += v1; v1 = ROTL(v1, 17); v1 ^= v2; v2 = ROTL(v2, 32);     \
	} while (0)

static uint32_t vt_hash(const struct ctl_vtab *t, int family, int plen, const uint8_t a[16])
{
	uint64_t v0 = 0x736f6d6570736575ull ^ t->k0, v1 = 0x646f72616e646f6dull ^ t->k1;
	uint64_t v2 = 0x6c7967656e657261ull ^ t->k0, v3 = 0x7465646279746573ull ^ t->k1;
	uint64_t m[3];

	memcpy(&m[0], a, 8);
	memcpy(&m[1], a + 8, 8);
	m[2] = (uint64_t)(uint8_t)family | (uint64_t)(uint8_t)plen << 8 | 24ull << 56;
	for (int i = 0; i < 3; i++) {
		v3 ^= m[i];
		SIPROUND;
		v0 ^= m[i];
	}
	v2 ^= 0xff;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	return (uint32_t)(v0 ^ v1 ^ v2 ^ v3);
}

/* Slot holding the key, or NONE32 with *ret_pos the empty bucket to use. */
static uint32_t vt_find(const struct ctl_vtab *t, int family, int plen, const uint8_t a[16],
			uint32_t h, size_t *ret_pos)
{
	size_t i = h & t->hmask;

	for (;;) {
		uint32_t s = t->hash[i];
		const struct mxs_verdict *v;

		if (!s)
			break;
		s--;
		v = &t->ents[s].v;
		if (t->meta[s].hash == h && v->family == family && v->prefix_len == plen &&
		    memcmp(v->addr, a, 16) == 0) {
			if (ret_pos)
				*ret_pos = i;
			return s;
		}
		i = (i + 1) & t->hmask;
	}
	if (ret_pos)
		*ret_pos = i;
	return NONE32;
}

static const struct ctl_vtab_entry *vt_lookup(const struct ctl_vtab *t, int family, int plen,
					      const uint8_t a[16], uint64_t now_ns)
{
	uint32_t s = vt_find(t, family, plen, a, vt_hash(t, family, plen, a), NULL);

	if (s == NONE32 || is_expired(&t->ents[s], now_ns))
		return NULL;
	return &t->ents[s];
}

static size_t hash_pos_of(const struct ctl_vtab *t, uint32_t s)
{
	size_t i = t->meta[s].hash & t->hmask;

	while (t->hash[i] != s + 1) {
		assert(t->hash[i]);
		i = (i + 1) & t->hmask;
	}
	return i;
}

static void hash_remove_at(struct ctl_vtab *t, size_t i)
{
	size_t j = i;

	t->hash[i] = 0;
	for (;;) {
		uint32_t s;
		size_t k;

		j = (j + 1) & t->hmask;
		s = t->hash[j];
		if (!s)
			return;
		k = t->meta[s - 1].hash & t->hmask;
		/* It stays if its home bucket lies cyclically in (i, j]. */
		if (i <= j ? (i < k && k <= j) : (i < k || k <= j))
			continue;
		t->hash[i] = s;
		t->hash[j] = 0;
		i = j;
	}
}

/* ---- expiry heaps ---- */

static uint64_t exp_of(const struct ctl_vtab *t, uint32_t s)
{
	return t->ents[s].v.expiry_ns;
}

static void heap_set(struct ctl_vtab *t, int h, size_t pos, uint32_t s)
{
	t->heap[h][pos] = s;
	t->meta[s].heap_pos = (uint32_t)pos;
}

static void heap_up(struct ctl_vtab *t, int h, size_t pos)
{
	uint32_t s = t->heap[h][pos];
	uint64_t x = exp_of(t, s);

	while (pos > 0) {
		size_t p = (pos - 1) / 2;
		uint32_t ps = t->heap[h][p];

		if (exp_of(t, ps) <= x)
			break;
		heap_set(t, h, pos, ps);
		pos = p;
	}
	heap_set(t, h, pos, s);
}

static void heap_down(struct ctl_vtab *t, int h, size_t pos)
{
	size_t n = t->hn[h];
	uint32_t s = t->heap[h][pos];
	uint64_t x = exp_of(t, s);

	for (;;) {
		size_t c = 2 * pos + 1;

		if (c >= n)
			break;
		if (c + 1 < n && exp_of(t, t->heap[h][c + 1]) < exp_of(t, t->heap[h][c]))
			c++;
		if (exp_of(t, t->heap[h][c]) >= x)
			break;
		heap_set(t, h, pos, t->heap[h][c]);
		pos = c;
	}
	heap_set(t, h, pos, s);
}

static void heap_push(struct ctl_vtab *t, int h, uint32_t s)
{
	size_t pos = t->hn[h]++;

	heap_set(t, h, pos, s);
	heap_up(t, h, pos);
}

static void heap_del(struct ctl_vtab *t, int h, size_t pos)
{
	size_t last = --t->hn[h];
	uint32_t m;

	if (pos == last)
		return;
	m = t->heap[h][last];
	heap_set(t, h, pos, m);
	heap_up(t, h, pos);
	heap_down(t, h, t->meta[m].heap_pos);
}

static uint32_t heap_root(const struct ctl_vtab *t, int h)
{
	return t->hn[h] ? t->heap[h][0] : NONE32;
}

/* ---- CIDR list ---- */

static void cidr_set(struct ctl_vtab *t, size_t pos, uint32_t s)
{
	t->cidr[pos] = s;
	t->meta[s].cidr_pos = (uint32_t)pos;
}

static void cidr_add(struct ctl_vtab *t, uint32_t s)
{
	int plen = t->ents[s].v.prefix_len;
	size_t pos = t->ncidr;

	/* After the equal ones: shift the shorter prefixes up by one. */
	while (pos > 0 && t->ents[t->cidr[pos - 1]].v.prefix_len < plen) {
		cidr_set(t, pos, t->cidr[pos - 1]);
		pos--;
	}
	cidr_set(t, pos, s);
	t->ncidr++;
}

static void cidr_del(struct ctl_vtab *t, size_t pos)
{
	for (size_t i = pos + 1; i < t->ncidr; i++)
		cidr_set(t, i - 1, t->cidr[i]);
	t->ncidr--;
}

static int cidr_reserve(struct ctl_vtab *t, size_t want)
{
	size_t ncap;
	uint32_t *c;

	if (want <= t->cidr_cap)
		return 0;
	ncap = t->cidr_cap ? t->cidr_cap : 64;
	while (ncap < want)
		ncap *= 2;
	if (ncap > t->max_cidrs)
		ncap = t->max_cidrs;
	c = realloc(t->cidr, ncap * sizeof(*c));
	if (!c)
		return -ENOMEM;
	t->cidr = c;
	t->cidr_cap = ncap;
	return 0;
}

/* ---- storage ---- */

static size_t hash_size_for(size_t cap)
{
	size_t hs = 16;

	while (hs < 2 * cap)
		hs *= 2;
	return hs;
}

static int vt_grow_to(struct ctl_vtab *t, size_t want)
{
	size_t ncap = t->cap ? t->cap : 1, hs;
	void *p;

	if (want <= t->cap)
		return 0;
	while (ncap < want)
		ncap *= 2;
	if (ncap > t->max_entries)
		ncap = t->max_entries;
	/* Each array is replaced as soon as it grows; cap moves last, so a
	 * failure half-way leaves a consistent table. */
	if (!(p = realloc(t->ents, ncap * sizeof(*t->ents))))
		return -ENOMEM;
	t->ents = p;
	if (!(p = realloc(t->meta, ncap * sizeof(*t->meta))))
		return -ENOMEM;
	t->meta = p;
	for (int h = 0; h < 2; h++) {
		if (!(p = realloc(t->heap[h], ncap * sizeof(uint32_t))))
			return -ENOMEM;
		t->heap[h] = p;
	}
	hs = hash_size_for(ncap);
	if (hs != t->hmask + 1) {
		uint32_t *nh = calloc(hs, sizeof(*nh));

		if (!nh)
			return -ENOMEM;
		free(t->hash);
		t->hash = nh;
		t->hmask = hs - 1;
		for (size_t s = 0; s < t->n; s++) {
			size_t i = t->meta[s].hash & t->hmask;

			while (t->hash[i])
				i = (i + 1) & t->hmask;
			t->hash[i] = (uint32_t)s + 1;
		}
	}
	t->cap = ncap;
	return 0;
}

/* Remove slot s, its hash bucket at hpos; the last slot moves into s. */
static void vt_remove(struct ctl_vtab *t, uint32_t s, size_t hpos)
{
	struct ctl_vtab_entry *e = &t->ents[s];
	uint32_t last;

	hash_remove_at(t, hpos);
	heap_del(t, e->source, t->meta[s].heap_pos);
	if (t->meta[s].cidr_pos != NONE32)
		cidr_del(t, t->meta[s].cidr_pos);
	t->by_action[e->v.action]--;
	last = (uint32_t)--t->n;
	if (s != last) {
		size_t lp = hash_pos_of(t, last);

		t->ents[s] = t->ents[last];
		t->meta[s] = t->meta[last];
		t->hash[lp] = s + 1;
		t->heap[t->ents[s].source][t->meta[s].heap_pos] = s;
		if (t->meta[s].cidr_pos != NONE32)
			t->cidr[t->meta[s].cidr_pos] = s;
	}
}

struct ctl_vtab *ctl_vtab_create(const struct ctl_vtab_params *p)
{
	struct ctl_vtab *t;
	uint64_t k[2];

	if (!p || !p->max_entries || p->max_entries > VT_MAX_ENTRIES ||
	    p->max_cidrs > p->max_entries) {
		errno = EINVAL;
		return NULL;
	}
	t = calloc(1, sizeof(*t));
	if (!t) {
		errno = ENOMEM;
		return NULL;
	}
	t->max_entries = p->max_entries;
	t->max_cidrs = p->max_cidrs;
	if (getrandom(k, sizeof(k), GRND_NONBLOCK) != (ssize_t)sizeof(k)) {
		struct timespec ts;

		/* No entropy yet (early boot): still unpredictable enough
		 * for bucket placement, which is all the key protects. */
		clock_gettime(CLOCK_MONOTONIC, &ts);
		k[0] = (uint64_t)ts.tv_nsec * 0x9e3779b97f4a7c15ull ^ (uintptr_t)t;
		k[1] = (uint64_t)ts.tv_sec ^ ((uint64_t)getpid() << 32);
	}
	t->k0 = k[0];
	t->k1 = k[1];
	{
		size_t init = p->max_entries < VT_INIT_CAP ? p->max_entries : VT_INIT_CAP;

		if (vt_grow_to(t, init) < 0 || !t->hash) {
			ctl_vtab_free(t);
			errno = ENOMEM;
			return NULL;
		}
	}
	return t;
}

void ctl_vtab_free(struct ctl_vtab *t)
{
	if (!t)
		return;
	free(t->ents);
	free(t->meta);
	free(t->hash);
	free(t->heap[0]);
	free(t->heap[1]);
	free(t->cidr);
	free(t);
}

/* ---- put / get / del ---- */

static int vt_evict(struct ctl_vtab *t, uint64_t now_ns, struct ctl_vtab_entry *ret_evicted)
{
	uint32_t p = heap_root(t, CTL_VTAB_POLICY), m = heap_root(t, CTL_VTAB_MANUAL), v;

	if (p != NONE32 && is_expired(&t->ents[p], now_ns))
		v = p;
	else if (m != NONE32 && is_expired(&t->ents[m], now_ns))
		v = m;
	else if (p != NONE32)
		v = p;
	else
		return -ENOSPC;
	if (ret_evicted)
		*ret_evicted = t->ents[v];
	vt_remove(t, v, hash_pos_of(t, v));
	t->evicted++;
	return 0;
}

static int entry_ok(const struct ctl_vtab_entry *e)
{
	const struct mxs_verdict *v = &e->v;

	if (!key_ok(v->family, v->prefix_len, v->addr))
		return 0;
	if (e->source != CTL_VTAB_POLICY && e->source != CTL_VTAB_MANUAL)
		return 0;
	if (e->source == CTL_VTAB_POLICY && !is_host_key(v->family, v->prefix_len))
		return 0;
	if (v->action == MXS_ACTION_NONE || v->action >= MXS_ACTION_COUNT ||
	    v->would_be >= MXS_ACTION_COUNT)
		return 0;
	return 1;
}

/* created: NULL for a put, else a loaded entry's first-put time. */
static int vt_put(struct ctl_vtab *t, const struct ctl_vtab_entry *e, uint64_t now_ns,
		  const uint64_t *created, struct ctl_vtab_entry *ret_evicted)
{
	const struct mxs_verdict *v = &e->v;
	struct ctl_vtab_entry *o;
	uint32_t h, s;
	size_t pos;
	bool cidr = false;
	uint64_t c;
	uint32_t u;
	int rc;

	if (ret_evicted)
		ret_evicted->v.family = 0;
	if (!entry_ok(e))
		return -EINVAL;
	h = vt_hash(t, v->family, v->prefix_len, v->addr);
	s = vt_find(t, v->family, v->prefix_len, v->addr, h, &pos);
	if (s != NONE32) {
		bool live;

		o = &t->ents[s];
		live = !is_expired(o, now_ns);
		if (live && o->source == CTL_VTAB_MANUAL && e->source == CTL_VTAB_POLICY)
			return -EPERM;
		c = created ? *created : live ? o->created_ns : now_ns;
		u = created || !live ? 1 : o->updates == UINT32_MAX ? UINT32_MAX : o->updates + 1;
		heap_del(t, o->source, t->meta[s].heap_pos);
		t->by_action[o->v.action]--;
		/* Same key, so CIDR-ness (and the list position) is unchanged. */
	} else {
		cidr = !is_host_key(v->family, v->prefix_len);
		if (cidr) {
			if (t->ncidr >= t->max_cidrs)
				return -ENOSPC;
			if ((rc = cidr_reserve(t, t->ncidr + 1)) < 0)
				return rc;
		}
		if (t->n == t->max_entries) {
			if ((rc = vt_evict(t, now_ns, ret_evicted)) < 0)
				return rc;
			vt_find(t, v->family, v->prefix_len, v->addr, h, &pos);
		} else if (t->n == t->cap) {
			if ((rc = vt_grow_to(t, t->n + 1)) < 0)
				return rc;
			vt_find(t, v->family, v->prefix_len, v->addr, h, &pos);
		}
		s = (uint32_t)t->n++;
		t->hash[pos] = s + 1;
		t->meta[s].hash = h;
		t->meta[s].cidr_pos = NONE32;
		o = &t->ents[s];
		c = created ? *created : now_ns;
		u = 1;
	}
	*o = *e;
	o->created_ns = c;
	o->updated_ns = now_ns;
	o->updates = u;
	o->reason[sizeof(o->reason) - 1] = '\0';
	if (cidr)
		cidr_add(t, s);
	heap_push(t, o->source, s);
	t->by_action[o->v.action]++;
	return 0;
}

int ctl_vtab_put_ex(struct ctl_vtab *t, const struct ctl_vtab_entry *e, uint64_t now_ns,
		    struct ctl_vtab_entry *ret_evicted)
{
	return vt_put(t, e, now_ns, NULL, ret_evicted);
}

int ctl_vtab_put(struct ctl_vtab *t, const struct ctl_vtab_entry *e, uint64_t now_ns)
{
	return vt_put(t, e, now_ns, NULL, NULL);
}

/* The key as stored: v4 tail zeroed. false for a bad family/length. */
static bool norm_key(int family, int plen, const uint8_t a[16], uint8_t k[16])
{
	int bits = fam_bits(family);

	if (!bits || plen < 0 || plen > bits || !a)
		return false;
	memset(k, 0, 16);
	memcpy(k, a, family == 4 ? 4 : 16);
	return true;
}

const struct ctl_vtab_entry *ctl_vtab_get(const struct ctl_vtab *t, int family, int prefix_len,
					  const uint8_t addr[16], uint64_t now_ns)
{
	uint8_t k[16];

	if (!norm_key(family, prefix_len, addr, k))
		return NULL;
	return vt_lookup(t, family, prefix_len, k, now_ns);
}

const struct ctl_vtab_entry *ctl_vtab_match(const struct ctl_vtab *t, int family,
					    const uint8_t addr[16], uint64_t now_ns)
{
	const struct ctl_vtab_entry *e;
	uint8_t k[16];

	if (!norm_key(family, fam_bits(family), addr, k))
		return NULL;
	if ((e = vt_lookup(t, family, fam_bits(family), k, now_ns)))
		return e;
	if (family == 6) {
		uint8_t k64[16];

		memcpy(k64, k, 16);
		mask_addr(k64, 64);
		if ((e = vt_lookup(t, 6, 64, k64, now_ns)))
			return e;
	}
	for (size_t i = 0; i < t->ncidr; i++) {
		e = &t->ents[t->cidr[i]];
		if (e->v.family == family && !is_expired(e, now_ns) &&
		    covers(e->v.addr, e->v.prefix_len, k))
			return e;
	}
	return NULL;
}

int ctl_vtab_del(struct ctl_vtab *t, int family, int prefix_len, const uint8_t addr[16],
		 struct ctl_vtab_entry *ret_old)
{
	uint8_t k[16];
	uint32_t s;
	size_t pos;

	if (!norm_key(family, prefix_len, addr, k))
		return -ENOENT;
	s = vt_find(t, family, prefix_len, k, vt_hash(t, family, prefix_len, k), &pos);
	if (s == NONE32)
		return -ENOENT;
	if (ret_old)
		*ret_old = t->ents[s];
	vt_remove(t, s, pos);
	return 0;
}

size_t ctl_vtab_collect(const struct ctl_vtab *t, int action, int source, uint64_t now_ns,
			const struct ctl_vtab_entry **out, size_t max)
{
	size_t k = 0;

	for (size_t s = 0; s < t->n; s++) {
		const struct ctl_vtab_entry *e = &t->ents[s];

		if ((action >= 0 && e->v.action != action) ||
		    (source >= 0 && e->source != source) || is_expired(e, now_ns))
			continue;
		if (k < max)
			out[k] = e;
		k++;
	}
	return k;
}

size_t ctl_vtab_expire(struct ctl_vtab *t, uint64_t now_ns, struct ctl_vtab_entry *out,
		       size_t max)
{
	size_t k = 0;

	while (k < max) {
		uint32_t p = heap_root(t, CTL_VTAB_POLICY), m = heap_root(t, CTL_VTAB_MANUAL), v;

		if (p != NONE32 && !is_expired(&t->ents[p], now_ns))
			p = NONE32;
		if (m != NONE32 && !is_expired(&t->ents[m], now_ns))
			m = NONE32;
		if (p == NONE32 && m == NONE32)
			break;
		v = p == NONE32 ? m : m == NONE32 ? p : exp_of(t, m) < exp_of(t, p) ? m : p;
		out[k++] = t->ents[v];
		vt_remove(t, v, hash_pos_of(t, v));
		t->expired++;
	}
	return k;
}

size_t ctl_vtab_count(const struct ctl_vtab *t, size_t counts_by_action[MXS_ACTION_COUNT])
{
	if (counts_by_action)
		memcpy(counts_by_action, t->by_action, sizeof(t->by_action));
	return t->n;
}

void ctl_vtab_stats(const struct ctl_vtab *t, struct ctl_vtab_stats *ret)
{
	memset(ret, 0, sizeof(*ret));
	ret->entries = t->n;
	ret->manual = t->hn[CTL_VTAB_MANUAL];
	ret->cidrs = t->ncidr;
	ret->capacity = t->cap;
	ret->evicted = t->evicted;
	ret->expired = t->expired;
}

/* ---- key text ---- */

static void fmt_key(char *buf, size_t len, int family, int plen, const uint8_t a[16],
		    bool always_plen)
{
	char s[INET6_ADDRSTRLEN];
	int bits = fam_bits(family);

	if (!len)
		return;
	if (!bits || !inet_ntop(family == 4 ? AF_INET : AF_INET6, a, s, sizeof(s))) {
		snprintf(buf, len, "?");
		return;
	}
	if (plen == bits && !always_plen)
		snprintf(buf, len, "%s", s);
	else
		snprintf(buf, len, "%s/%d", s, plen);
}

void ctl_vtab_fmt_key(char *buf, size_t len, int family, int prefix_len, const uint8_t addr[16])
{
	fmt_key(buf, len, family, prefix_len, addr, false);
}

int ctl_vtab_parse_key(const char *s, int *family, int *prefix_len, uint8_t addr[16],
		       char *err, size_t errlen)
{
	const char *slash = strchr(s, '/');
	size_t alen = slash ? (size_t)(slash - s) : strlen(s);
	char buf[64], net[CTL_VTAB_KEY_STRLEN];
	uint8_t a[16] = { 0 };
	int fam, bits, plen;

	if (alen == 0 || alen >= sizeof(buf)) {
		vt_err(err, errlen, "bad address '%s'", s);
		return -EINVAL;
	}
	memcpy(buf, s, alen);
	buf[alen] = '\0';
	if (strchr(buf, ':')) {
		fam = 6;
		if (inet_pton(AF_INET6, buf, a) != 1) {
			vt_err(err, errlen, "bad IPv6 address '%s'", buf);
			return -EINVAL;
		}
	} else {
		fam = 4;
		if (inet_pton(AF_INET, buf, a) != 1) {
			vt_err(err, errlen, "bad IPv4 address '%s'", buf);
			return -EINVAL;
		}
	}
	bits = fam_bits(fam);
	plen = bits;
	if (slash) {
		const char *p = slash + 1;
		size_t nd = strspn(p, "0123456789");

		if (nd == 0 || nd > 3 || p[nd] != '\0') {
			vt_err(err, errlen, "bad prefix length in '%s'", s);
			return -EINVAL;
		}
		plen = atoi(p);
		if (plen > bits) {
			vt_err(err, errlen, "prefix length %d out of range for IPv%d in '%s'",
			       plen, fam, s);
			return -EINVAL;
		}
	}
	if (!host_bits_zero(a, plen)) {
		mask_addr(a, plen);
		fmt_key(net, sizeof(net), fam, plen, a, true);
		vt_err(err, errlen, "%s: host bits set, the network is %s", s, net);
		return -EINVAL;
	}
	*family = fam;
	*prefix_len = plen;
	memcpy(addr, a, 16);
	return 0;
}

/* ---- save ---- */

/* Length of the valid UTF-8 sequence at s (n bytes left), 0 if invalid. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	unsigned c = s[0];
	size_t len;
	uint32_t cp, min;

	if (c >= 0xc2 && c <= 0xdf) {
		len = 2; cp = c & 0x1f; min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3; cp = c & 0x0f; min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4; cp = c & 0x07; min = 0x10000;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

/* JSON string; bytes that are not UTF-8 become \u00XX. */
static void put_json(FILE *f, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t n = strlen(str);

	fputc('"', f);
	for (size_t i = 0; i < n;) {
		unsigned c = s[i];
		size_t k;

		if (c == '"' || c == '\\') {
			fprintf(f, "\\%c", c);
			i++;
		} else if (c == '\n') {
			fputs("\\n", f);
			i++;
		} else if (c == '\t') {
			fputs("\\t", f);
			i++;
		} else if (c >= 0x20 && c < 0x7f) {
			fputc((int)c, f);
			i++;
		} else if (c >= 0x80 && (k = utf8_len(s + i, n - i))) {
			fwrite(s + i, 1, k, f);
			i += k;
		} else {
			fprintf(f, "\\u%04x", c);
			i++;
		}
	}
	fputc('"', f);
}

static int cmp_key(const void *pa, const void *pb)
{
	const struct mxs_verdict *a = &(*(const struct ctl_vtab_entry *const *)pa)->v;
	const struct mxs_verdict *b = &(*(const struct ctl_vtab_entry *const *)pb)->v;
	int c;

	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	if ((c = memcmp(a->addr, b->addr, 16)) != 0)
		return c;
	return (a->prefix_len > b->prefix_len) - (a->prefix_len < b->prefix_len);
}

static void write_entries(FILE *f, const struct ctl_vtab_entry **v, size_t n)
{
	fputs("# mxscreend manual verdicts, rewritten by the daemon:\n"
	      "# ADDR/PLEN ACTION EXPIRY_UNIX_S|never CREATED_UNIX_S \"REASON\"\n", f);
	for (size_t i = 0; i < n; i++) {
		const struct ctl_vtab_entry *e = v[i];
		char key[CTL_VTAB_KEY_STRLEN];

		fmt_key(key, sizeof(key), e->v.family, e->v.prefix_len, e->v.addr, true);
		fprintf(f, "%s %s ", key, mxs_action_name(e->v.action));
		if (e->v.expiry_ns == UINT64_MAX)
			fputs("never", f);
		else
			fprintf(f, "%" PRIu64, (uint64_t)(e->v.expiry_ns / NS + (e->v.expiry_ns % NS != 0)));
		fprintf(f, " %" PRIu64 " ", e->created_ns / NS);
		put_json(f, e->reason);
		fputc('\n', f);
	}
}

int ctl_vtab_save(const struct ctl_vtab *t, const char *path, char *err, size_t errlen)
{
	const struct ctl_vtab_entry **v = NULL;
	char tmp[PATH_MAX], dir[PATH_MAX];
	size_t n = 0;
	FILE *f = NULL;
	int fd, rc;
	char *slash;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path) >= sizeof(tmp)) {
		vt_err(err, errlen, "%s: path too long", path);
		return -ENAMETOOLONG;
	}
	if (t->hn[CTL_VTAB_MANUAL]) {
		v = malloc(t->hn[CTL_VTAB_MANUAL] * sizeof(*v));
		if (!v) {
			vt_err(err, errlen, "%s: out of memory", path);
			return -ENOMEM;
		}
		for (size_t s = 0; s < t->n; s++)
			if (t->ents[s].source == CTL_VTAB_MANUAL)
				v[n++] = &t->ents[s];
		qsort(v, n, sizeof(*v), cmp_key);
	}
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		vt_err(err, errlen, "%s: %s", tmp, strerror(errno));
		free(v);
		return rc;
	}
	if (fchmod(fd, 0644) < 0 || !(f = fdopen(fd, "w")))
		goto fail;
	write_entries(f, v, n);
	if (fflush(f) != 0 || ferror(f) || fsync(fileno(f)) < 0)
		goto fail;
	rc = fclose(f);
	f = NULL;
	fd = -1;
	if (rc != 0 || rename(tmp, path) < 0)
		goto fail;
	free(v);
	/* The rename is only durable once the directory is; best effort. */
	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash == dir)
		slash[1] = '\0';
	else if (slash)
		*slash = '\0';
	else
		snprintf(dir, sizeof(dir), ".");
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
		(void)fsync(fd);
		close(fd);
	}
	return 0;
fail:
	rc = errno ? -errno : -EIO;
	vt_err(err, errlen, "%s: %s", path, strerror(-rc));
	if (f)
		fclose(f);
	else if (fd >= 0)
		close(fd);
	unlink(tmp);
	free(v);
	return rc;
}

/* ---- load ---- */

struct vt_line {
	struct ctl_vtab_entry e;
	uint64_t created;
	size_t line;
	bool live;
};

static const char *skip_blank(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

/* The next blank-separated field into buf; NULL when none. */
static const char *field(const char *p, char *buf, size_t len)
{
	size_t n;

	p = skip_blank(p);
	n = strcspn(p, " \t");
	if (n == 0)
		return NULL;
	snprintf(buf, len, "%.*s", (int)n, p);
	return p + n;
}

static bool parse_u64(const char *s, uint64_t *ret)
{
	uint64_t v = 0;

	if (!*s)
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || v > (UINT64_MAX - 9) / 10)
			return false;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	*ret = v;
	return true;
}

static bool secs_to_ns(uint64_t secs, uint64_t *ret)
{
	if (secs >= UINT64_MAX / NS)
		return false;
	*ret = secs * NS;
	return true;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static bool hex4(const char *p, uint32_t *ret)
{
	uint32_t v = 0;

	for (int i = 0; i < 4; i++) {
		int h = hexval((unsigned char)p[i]);

		if (h < 0)
			return false;
		v = v << 4 | (uint32_t)h;
	}
	*ret = v;
	return true;
}

/* Append bytes to out (size CTL_VTAB_REASON_SIZE) unless they would not
 * fit: the reason is cut at a character boundary. */
static void append(char *out, size_t *n, const void *b, size_t k)
{
	if (*n >= CTL_VTAB_REASON_SIZE)
		return;
	if (*n + k >= CTL_VTAB_REASON_SIZE) {
		*n = CTL_VTAB_REASON_SIZE; /* full: nothing after this either */
		return;
	}
	memcpy(out + *n, b, k);
	*n += k;
	out[*n] = '\0';
}

/* A JSON string at p into out; returns the end or NULL with *why. */
static const char *parse_json(const char *p, char *out, const char **why)
{
	size_t n = 0;

	out[0] = '\0';
	if (*p != '"') {
		*why = "reason must be a JSON string";
		return NULL;
	}
	for (p++;;) {
		unsigned char c = (unsigned char)*p;
		uint32_t cp;
		char u[4];
		size_t k;

		if (c == '"')
			return p + 1;
		if (c == '\0') {
			*why = "unterminated reason string";
			return NULL;
		}
		if (c < 0x20 || c == 0x7f) {
			*why = "control character in reason";
			return NULL;
		}
		if (c >= 0x80) {
			if (!(k = utf8_len((const unsigned char *)p, strlen(p)))) {
				*why = "reason is not UTF-8";
				return NULL;
			}
			append(out, &n, p, k);
			p += k;
			continue;
		}
		if (c != '\\') {
			append(out, &n, p++, 1);
			continue;
		}
		p++;
		switch (*p) {
		case '"': case '\\': case '/':
			append(out, &n, p, 1);
			p++;
			continue;
		case 'b': append(out, &n, "\b", 1); p++; continue;
		case 'f': append(out, &n, "\f", 1); p++; continue;
		case 'n': append(out, &n, "\n", 1); p++; continue;
		case 'r': append(out, &n, "\r", 1); p++; continue;
		case 't': append(out, &n, "\t", 1); p++; continue;
		case 'u':
			break;
		default:
			*why = "bad escape in reason";
			return NULL;
		}
		if (!hex4(p + 1, &cp)) {
			*why = "bad \\u escape in reason";
			return NULL;
		}
		p += 5;
		if (cp >= 0xd800 && cp <= 0xdbff) {
			uint32_t lo;

			if (p[0] != '\\' || p[1] != 'u' || !hex4(p + 2, &lo) ||
			    lo < 0xdc00 || lo > 0xdfff) {
				*why = "unpaired surrogate in reason";
				return NULL;
			}
			p += 6;
			cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
		} else if (cp >= 0xdc00 && cp <= 0xdfff) {
			*why = "unpaired surrogate in reason";
			return NULL;
		} else if (cp == 0) {
			*why = "NUL in reason";
			return NULL;
		}
		if (cp < 0x80) {
			u[0] = (char)cp;
			k = 1;
		} else if (cp < 0x800) {
			u[0] = (char)(0xc0 | cp >> 6);
			u[1] = (char)(0x80 | (cp & 0x3f));
			k = 2;
		} else if (cp < 0x10000) {
			u[0] = (char)(0xe0 | cp >> 12);
			u[1] = (char)(0x80 | (cp >> 6 & 0x3f));
			u[2] = (char)(0x80 | (cp & 0x3f));
			k = 3;
		} else {
			u[0] = (char)(0xf0 | cp >> 18);
			u[1] = (char)(0x80 | (cp >> 12 & 0x3f));
			u[2] = (char)(0x80 | (cp >> 6 & 0x3f));
			u[3] = (char)(0x80 | (cp & 0x3f));
			k = 4;
		}
		append(out, &n, u, k);
	}
}

/* One entry line (not blank, not a comment) into *r; NULL or the reason. */
static const char *parse_line(const char *p, uint64_t now_ns, struct vt_line *r, char *kerr,
			      size_t kerrlen)
{
	struct ctl_vtab_entry *e = &r->e;
	char tok[VT_LINE_MAX];
	const char *why = NULL;
	uint64_t secs, exp;
	int fam, plen, act;

	memset(e, 0, sizeof(*e));
	if (!(p = field(p, tok, sizeof(tok))))
		return "missing ADDR/PLEN";
	if (ctl_vtab_parse_key(tok, &fam, &plen, e->v.addr, kerr, kerrlen) < 0)
		return kerr;
	if (!(p = field(p, tok, sizeof(tok))))
		return "missing ACTION";
	for (act = MXS_ACTION_COUNT - 1; act > MXS_ACTION_NONE; act--)
		if (strcmp(tok, mxs_action_name((unsigned)act)) == 0)
			break;
	if (act == MXS_ACTION_NONE) {
		snprintf(kerr, kerrlen, "unknown action '%.32s' (pass, tag, throttle, drop)", tok);
		return kerr;
	}
	if (!(p = field(p, tok, sizeof(tok))))
		return "missing EXPIRY";
	if (strcmp(tok, "never") == 0)
		exp = UINT64_MAX;
	else if (!parse_u64(tok, &secs) || !secs_to_ns(secs, &exp))
		return "bad EXPIRY: unix seconds or never";
	if (!(p = field(p, tok, sizeof(tok))))
		return "missing CREATED";
	if (!parse_u64(tok, &secs) || !secs_to_ns(secs, &r->created))
		return "bad CREATED: unix seconds";
	p = skip_blank(p);
	if (!*p)
		return "missing REASON";
	if (!(p = parse_json(p, e->reason, &why)))
		return why;
	if (*skip_blank(p))
		return "text after REASON";
	e->v.family = (uint8_t)fam;
	e->v.prefix_len = (uint8_t)plen;
	e->v.action = (uint8_t)act;
	e->v.would_be = (uint8_t)act;
	e->v.reasons = MXS_REASON_BIT(MANUAL);
	e->v.expiry_ns = exp;
	if (exp == UINT64_MAX || exp < now_ns) {
		e->v.ttl_s = 0;
	} else {
		uint64_t left = (exp - now_ns + NS - 1) / NS;

		e->v.ttl_s = left > UINT32_MAX ? UINT32_MAX : (uint32_t)left;
	}
	e->source = CTL_VTAB_MANUAL;
	r->live = !is_expired(e, now_ns);
	return NULL;
}

/* One line into buf (no newline, no CR before it). 1 line, 0 EOF,
 * -1 with *why. */
static int read_line(FILE *f, char *buf, size_t len, const char **why)
{
	size_t n = 0;
	int c;

	while ((c = getc(f)) != EOF && c != '\n') {
		if (c == '\0') {
			*why = "NUL byte";
			return -1;
		}
		if (n + 1 >= len) {
			*why = "line too long";
			return -1;
		}
		buf[n++] = (char)c;
	}
	if (ferror(f)) {
		*why = strerror(errno ? errno : EIO);
		return -1;
	}
	if (c == EOF && n == 0)
		return 0;
	if (n && buf[n - 1] == '\r')
		n--;
	buf[n] = '\0';
	return 1;
}

static int cmp_line_key(const void *pa, const void *pb)
{
	const struct vt_line *a = *(const struct vt_line *const *)pa;
	const struct vt_line *b = *(const struct vt_line *const *)pb;
	const struct ctl_vtab_entry *ea = &a->e, *eb = &b->e;
	int c = cmp_key(&ea, &eb);

	if (c)
		return c;
	return (a->line > b->line) - (a->line < b->line);
}

/* 0, or the first line (in file order) repeating an earlier key. */
static size_t first_dup(struct vt_line *v, size_t n, size_t *ret_first)
{
	struct vt_line **p;
	size_t worst = 0;

	if (n < 2)
		return 0;
	p = malloc(n * sizeof(*p));
	if (!p)
		return SIZE_MAX;
	for (size_t i = 0; i < n; i++)
		p[i] = &v[i];
	qsort(p, n, sizeof(*p), cmp_line_key);
	for (size_t i = 1; i < n; i++) {
		const struct ctl_vtab_entry *a = &p[i - 1]->e, *b = &p[i]->e;

		if (cmp_key(&a, &b) == 0 && (!worst || p[i]->line < worst)) {
			worst = p[i]->line;
			*ret_first = p[i - 1]->line;
		}
	}
	free(p);
	return worst;
}

int ctl_vtab_load(struct ctl_vtab *t, const char *path, uint64_t now_ns, char *err, size_t errlen)
{
	struct vt_line *v = NULL;
	size_t n = 0, cap = 0, line = 0, dup, first = 0, manual, cidrs, fresh = 0, fresh_cidrs = 0;
	char *buf = NULL, kerr[160];
	const char *why = NULL;
	FILE *f;
	int rc = -EINVAL;

	f = fopen(path, "re");
	if (!f) {
		rc = -errno;
		vt_err(err, errlen, "%s: %s", path, strerror(errno));
		return rc;
	}
	buf = malloc(VT_LINE_MAX);
	if (!buf)
		goto nomem;
	for (;;) {
		const char *p;
		int r;

		errno = 0;
		r = read_line(f, buf, VT_LINE_MAX, &why);
		if (r == 0)
			break;
		line++;
		if (r < 0)
			goto bad;
		p = skip_blank(buf);
		if (!*p || *p == '#')
			continue;
		if (n == t->max_entries) {
			vt_err(err, errlen, "%s:%zu: more than max_entries (%zu) entries",
			       path, line, t->max_entries);
			rc = -ENOSPC;
			goto out;
		}
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 64;
			struct vt_line *nv;

			if (ncap > t->max_entries)
				ncap = t->max_entries;
			if (!(nv = realloc(v, ncap * sizeof(*v))))
				goto nomem;
			v = nv;
			cap = ncap;
		}
		if ((why = parse_line(p, now_ns, &v[n], kerr, sizeof(kerr))))
			goto bad;
		v[n++].line = line;
	}
	dup = first_dup(v, n, &first);
	if (dup == SIZE_MAX)
		goto nomem;
	if (dup) {
		vt_err(err, errlen, "%s:%zu: duplicate of line %zu", path, dup, first);
		goto out;
	}
	/* Room for every live entry, checked in file order so the error names
	 * the first line that does not fit. Entries replace any key they
	 * share; policy entries make way, manual ones count. */
	manual = t->hn[CTL_VTAB_MANUAL];
	cidrs = t->ncidr;
	for (size_t i = 0; i < n; i++) {
		const struct mxs_verdict *k = &v[i].e.v;
		uint32_t s;

		if (!v[i].live)
			continue;
		s = vt_find(t, k->family, k->prefix_len, k->addr,
			    vt_hash(t, k->family, k->prefix_len, k->addr), NULL);
		if (s == NONE32)
			fresh++;
		if (s == NONE32 || t->ents[s].source != CTL_VTAB_MANUAL)
			manual++;
		if (s == NONE32 && !is_host_key(k->family, k->prefix_len)) {
			cidrs++;
			fresh_cidrs++;
		}
		if (manual > t->max_entries) {
			vt_err(err, errlen, "%s:%zu: more than max_entries (%zu) manual entries",
			       path, v[i].line, t->max_entries);
			rc = -ENOSPC;
			goto out;
		}
		if (cidrs > t->max_cidrs) {
			vt_err(err, errlen, "%s:%zu: more than max_cidrs (%zu) CIDRs",
			       path, v[i].line, t->max_cidrs);
			rc = -ENOSPC;
			goto out;
		}
	}
	/* Allocate up front so that no put below can fail. */
	if (vt_grow_to(t, t->n + fresh < t->max_entries ? t->n + fresh : t->max_entries) < 0 ||
	    cidr_reserve(t, t->ncidr + fresh_cidrs) < 0)
		goto nomem;
	for (size_t i = 0; i < n; i++) {
		int r;

		if (!v[i].live)
			continue;
		r = vt_put(t, &v[i].e, now_ns, &v[i].created, NULL);
		assert(r == 0);
		(void)r;
	}
	rc = 0;
	goto out;
nomem:
	vt_err(err, errlen, "%s: out of memory", path);
	rc = -ENOMEM;
	goto out;
bad:
	vt_err(err, errlen, "%s:%zu: %s", path, line, why);
	rc = -EINVAL;
out:
	free(buf);
	free(v);
	fclose(f);
	return rc;
}
