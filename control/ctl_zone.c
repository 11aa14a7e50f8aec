/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ctl_zone: local DNS list zones read from rbldnsd dataset files (ip4set,
 * ip6trie, ip6tset, dnset) and answered in process.
 *
 * Owns: the tables of one loaded zone. Load on the main thread; a loaded
 * zone is never written again, so lookups may run on any thread, and they
 * take no lock, allocate nothing and log nothing.
 *
 * Semantics follow rbldnsd 1.0's source where its man page says nothing:
 *  - ip4set: rbldnsd stores an entry as octet-aligned pieces (/32s, then
 *    /24s, /16s, /8s: 1.2.3.4-1.2.4.255 is 252 /32s plus one /24) and the
 *    most specific piece that holds the address decides. So "!1.2.3.4"
 *    inside 1.2.0.0/16 excludes it, but 1.2.3.4 inside "!1.2.3.0/24" stays
 *    listed. At the same level an exclusion beats a listing; of several
 *    listings rbldnsd answers all, we answer the first in the file.
 *  - ip6trie: longest prefix wins; an excluded longest prefix is not
 *    listed; a repeated prefix keeps its first line, exclusion or not.
 *  - ip6tset: the /64 is listed and the /128 not excluded; the first ':'
 *    default line is the value for all entries.
 *  - dnset: an exact entry decides first, then the nearest wildcard going
 *    up the labels; an exclusion beats a listing of the same name. '$' in
 *    TXT is the matched entry (rbldnsd's), for a wildcard its base name.
 *  - Values ":A:TXT", "$n" and "$=" substitution, $TTL (last wins; default
 *    35m as rbldnsd's -t), $MAXRANGE4 (larger entries skipped).
 * Where rbldnsd warns and skips a bad line we fail the load instead (bad
 * configuration stops the daemon at start), and a last line without '\n'
 * (a file cut short; rbldnsd drops it) is an error too. Host bits beyond a
 * prefix are masked (rbldnsd -e); ip4set rejects /0 as rbldnsd does; TXT
 * is cut at 255 bytes. $SOA, $NS and $TIMESTAMP are accepted and ignored;
 * unknown "$" directives are errors, unknown "#$" / ";$" ones comments.
 * ip6tset also takes "addr/64" and "!addr/128". Lookups take family 4 or
 * AF_INET, 6 or AF_INET6; the other family is simply not listed.
 *
 * Why flat intervals: ip4set and ip6trie entries are flattened at load into
 * disjoint sorted intervals, each carrying the value that wins there, so a
 * lookup is one binary search whatever the nesting of the file was. The
 * address syntax and that flattening are ctl_zset.c's; this file keeps the
 * line reading, values, directives, the dnset table and the lookups.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctl_conf.h"
#include "ctl_zone.h"
#include "ctl_zset.h"

#define ZONE_LINE_MAX 4096
#define ZONE_DEFAULT_TTL 2100          /* rbldnsd -t default: 35m */
#define ZONE_NAME_MAX 253              /* text form, no trailing dot */
#define ZONE_LABELS_MAX 128
#define VAL_NONE UINT32_MAX
#define VAL_EXCL CTL_ZSET_EXCL
#define SUBST_BASE 10                  /* "$=" base template */
#define SUBST_N 11

struct zval {
	uint8_t a[4];
	uint32_t txt;                 /* offset in pool; 0 is "" (no TXT) */
};

struct dn_slot {
	uint32_t name;                /* offset in pool; 0 marks a free slot */
	uint32_t hash;
	uint32_t plain;               /* value, VAL_EXCL or VAL_NONE */
	uint32_t wild;
};

struct ctl_zone {
	int type;
	uint32_t ttl;
	size_t entries;
	struct zval *vals;
	size_t n_vals;
	char *pool;                   /* TXT templates, $n texts, names */
	size_t pool_len;
	uint32_t subst[SUBST_N];      /* pool offsets, VAL_NONE if unset */
	/* ip4set: disjoint [start, end] intervals, sorted */
	uint32_t *v4_start, *v4_end, *v4_val;
	size_t n_v4;
	/* ip6trie */
	u128 *v6_start, *v6_end;
	uint32_t *v6_val;
	size_t n_v6;
	/* ip6tset: sorted unique /64s and /128 exclusions */
	uint64_t *t64;
	size_t n_t64;
	u128 *t128;
	size_t n_t128;
	uint32_t tset_val;
	/* dnset: open addressing, power-of-two size */
	struct dn_slot *slots;
	uint32_t slot_mask;
	size_t n_slots_used;
};

struct loader {
	struct ctl_zone *z;
	const char *path;
	unsigned line;
	char *err;
	size_t errlen;
	uint32_t def_val;             /* current ':' default */
	bool tset_def_set;
	uint64_t maxrange4;           /* 0: no limit */
	struct ctl_zset_pieces pcs;   /* ip4set, ip6trie: flattened at the end */
	size_t cap_vals, pool_cap, cap_v4, cap_v6, cap_t64, cap_t128;
};

__attribute__((format(printf, 2, 3)))
static int lerr(struct loader *ld, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (ld->err && ld->errlen)
		snprintf(ld->err, ld->errlen, "%s:%u: %s", ld->path, ld->line, msg);
	return -EINVAL;
}

static int lerr_errno(struct loader *ld, int e)
{
	if (ld->err && ld->errlen)
		snprintf(ld->err, ld->errlen, "%s: %s", ld->path, strerror(e));
	return -e;
}

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

static char *skip_space(char *s)
{
	while (is_space(*s))
		s++;
	return s;
}

static int grow(void **p, size_t *cap, size_t need, size_t size)
{
	size_t n = *cap ? *cap : 64;
	void *q;

	if (need <= *cap)
		return 0;
	while (n < need)
		n *= 2;
	q = realloc(*p, n * size);
	if (!q)
		return -ENOMEM;
	*p = q;
	*cap = n;
	return 0;
}

/* ---- pool and values ---- */

static int pool_add(struct loader *ld, const char *s, size_t len, uint32_t *ret)
{
	struct ctl_zone *z = ld->z;

	if (z->pool_len + len + 1 > UINT32_MAX)
		return -ENOMEM;
	if (grow((void **)&z->pool, &ld->pool_cap, z->pool_len + len + 1, 1))
		return -ENOMEM;
	memcpy(z->pool + z->pool_len, s, len);
	z->pool[z->pool_len + len] = '\0';
	*ret = (uint32_t)z->pool_len;
	z->pool_len += len + 1;
	return 0;
}

/*
 * A value: @txt/@len is new text, or @txt is NULL and @off an offset already
 * in the pool (copying from the pool while it may move is not safe).
 * Generated files repeat one value line after line: reuse the last one.
 */
static int val_add(struct loader *ld, const uint8_t a[4], const char *txt,
		   size_t len, uint32_t off, uint32_t *ret)
{
	struct ctl_zone *z = ld->z;
	struct zval *last = &z->vals[z->n_vals - 1];

	if (!memcmp(last->a, a, 4) &&
	    (txt ? strlen(z->pool + last->txt) == len &&
		   !memcmp(z->pool + last->txt, txt, len) :
		   last->txt == off)) {
		*ret = (uint32_t)(z->n_vals - 1);
		return 0;
	}
	if (z->n_vals >= VAL_EXCL)
		return -ENOMEM;
	if (txt)
		off = 0;
	if (txt && len && pool_add(ld, txt, len, &off))
		return -ENOMEM;
	if (grow((void **)&z->vals, &ld->cap_vals, z->n_vals + 1, sizeof(*z->vals)))
		return -ENOMEM;
	memcpy(z->vals[z->n_vals].a, a, 4);
	z->vals[z->n_vals].txt = off;
	*ret = (uint32_t)z->n_vals++;
	return 0;
}

static int perr(struct loader *ld, int p)
{
	return lerr(ld, p == CTL_ZSET_PLEN ? "invalid prefix length" :
			p == CTL_ZSET_RANGE ? "invalid range" : "invalid address");
}

/* ---- values ---- */

/*
 * rbldnsd's parse_a_txt(): ":A:TXT", ":A:" (no TXT), ":A" (TXT of @def),
 * or "TXT" (A of @def). ":2" means 127.0.0.2. TXT is cut at 255 bytes.
 */
static int parse_value(struct loader *ld, char *s, uint32_t def, uint32_t *ret)
{
	const struct zval *dv = &ld->z->vals[def];
	uint8_t a[4];
	const char *txt;
	size_t len;
	int r;

	memcpy(a, dv->a, 4);
	if (*s == ':') {
		uint32_t v;

		s = ctl_zset_ip4_aton(s + 1, &v);
		if (!s || !v)
			return lerr(ld, "invalid A value");
		a[0] = (uint8_t)(v >> 24);
		a[1] = (uint8_t)(v >> 16);
		a[2] = (uint8_t)(v >> 8);
		a[3] = (uint8_t)v;
		s = skip_space(s);
		if (*s == ':')
			txt = skip_space(s + 1);
		else if (*s)
			return lerr(ld, "invalid value");
		else
			txt = NULL;   /* ":A" keeps the default's TXT */
	} else {
		txt = s;
	}
	len = txt ? strlen(txt) : 0;
	if (len > CTL_ZONE_TXT_MAX)
		len = CTL_ZONE_TXT_MAX;
	r = val_add(ld, a, txt, len, dv->txt, ret);
	return r ? lerr_errno(ld, -r) : 0;
}

/* The value after an entry: none, a comment, or a value. */
static int entry_value(struct loader *ld, char *s, uint32_t *ret)
{
	s = skip_space(s);
	if (!*s || is_comment(*s)) {
		*ret = ld->def_val;
		return 0;
	}
	return parse_value(ld, s, ld->def_val, ret);
}

static int default_line(struct loader *ld, char *s)
{
	return parse_value(ld, s, 0, &ld->def_val);
}

static int grow3(void **a, void **b, void **c, size_t sa, size_t sc, size_t *cap)
{
	size_t n = *cap ? *cap * 2 : 64;
	void *p;

	if (!(p = realloc(*a, n * sa)))
		return -ENOMEM;
	*a = p;
	if (!(p = realloc(*b, n * sa)))
		return -ENOMEM;
	*b = p;
	if (!(p = realloc(*c, n * sc)))
		return -ENOMEM;
	*c = p;
	*cap = n;
	return 0;
}

/* ctl_zset_flatten's sink: appends to the zone's ip4set or ip6trie intervals. */
static int seg_emit(void *ctx, u128 lo, u128 hi, uint32_t val)
{
	struct loader *ld = ctx;
	struct ctl_zone *z = ld->z;

	if (z->type == CTL_ZONE_IP4SET) {
		size_t n = z->n_v4;

		if (n && z->v4_val[n - 1] == val && (u128)z->v4_end[n - 1] + 1 == lo) {
			z->v4_end[n - 1] = (uint32_t)hi;
			return 0;
		}
		if (n == ld->cap_v4 &&
		    grow3((void **)&z->v4_start, (void **)&z->v4_end, (void **)&z->v4_val,
			  sizeof(uint32_t), sizeof(uint32_t), &ld->cap_v4))
			return -ENOMEM;
		z->v4_start[n] = (uint32_t)lo;
		z->v4_end[n] = (uint32_t)hi;
		z->v4_val[n] = val;
		z->n_v4 = n + 1;
	} else {
		size_t n = z->n_v6;

		if (n && z->v6_val[n - 1] == val && z->v6_end[n - 1] + 1 == lo) {
			z->v6_end[n - 1] = hi;
			return 0;
		}
		if (n == ld->cap_v6 &&
		    grow3((void **)&z->v6_start, (void **)&z->v6_end, (void **)&z->v6_val,
			  sizeof(u128), sizeof(uint32_t), &ld->cap_v6))
			return -ENOMEM;
		z->v6_start[n] = lo;
		z->v6_end[n] = hi;
		z->v6_val[n] = val;
		z->n_v6 = n + 1;
	}
	return 0;
}


static bool maxrange_skips(const struct loader *ld, uint32_t a, uint32_t b)
{
	return ld->maxrange4 && ld->maxrange4 <= (uint64_t)b - a;
}

static int ip4set_line(struct loader *ld, char *s)
{
	bool excl = false;
	uint32_t a, b, val;
	char *end;
	int p, r;

	if (*s == ':')
		return default_line(ld, s);
	if (*s == '!') {
		excl = true;
		s = skip_space(s + 1);
	}
	p = ctl_zset_ip4_range(s, &a, &b, &end);
	if (p != CTL_ZSET_OK)
		return perr(ld, p);
	if (!ctl_zset_addr_ends(end) && *end != ':')
		return lerr(ld, "invalid address");
	if (excl) {
		val = VAL_EXCL;          /* any value after it is ignored */
	} else if ((r = entry_value(ld, end, &val))) {
		return r;
	}
	if (maxrange_skips(ld, a, b))
		return 0;
	ld->z->entries++;
	r = ctl_zset_ip4_expand(&ld->pcs, a, b, ld->line, val);
	return r ? lerr_errno(ld, -r) : 0;
}

static int ip6trie_line(struct loader *ld, char *s)
{
	bool excl = false;
	unsigned bits;
	uint32_t val;
	u128 a;
	char *end;
	int p, r;

	/* "::1" is an address, not a default */
	if (s[0] == ':' && s[1] != ':')
		return default_line(ld, s);
	if (*s == '!') {
		excl = true;
		s = skip_space(s + 1);
	}
	p = ctl_zset_ip6_cidr(s, &a, &bits, &end);
	if (p != CTL_ZSET_OK)
		return perr(ld, p);
	if (excl)
		val = VAL_EXCL;
	else if ((r = entry_value(ld, end, &val)))
		return r;
	ld->z->entries++;
	r = ctl_zset_add(&ld->pcs, a, a | ~ctl_zset_mask6(bits),
			 ctl_zset_prio(bits, false, ld->line), val);
	return r ? lerr_errno(ld, -r) : 0;
}

static int ip6tset_line(struct loader *ld, char *s)
{
	struct ctl_zone *z = ld->z;
	bool excl = false;
	unsigned bits;
	u128 a;
	char *end;
	int p, r;

	if (*s == ':') {
		/* rbldnsd takes the first default line only */
		if (ld->tset_def_set)
			return 0;
		ld->tset_def_set = true;
		return parse_value(ld, s, 0, &z->tset_val);
	}
	if (*s == '!') {
		excl = true;
		s = skip_space(s + 1);
	}
	p = ctl_zset_ip6_cidr(s, &a, &bits, &end);
	if (p != CTL_ZSET_OK)
		return perr(ld, p);
	if (bits != (excl ? 128u : 64u))
		return lerr(ld, excl ? "ip6tset exclusion must be a /128" :
				       "ip6tset entry must be a /64");
	end = skip_space(end);
	if (*end && !is_comment(*end))
		return lerr(ld, "ip6tset entries take no value");
	if (excl) {
		r = grow((void **)&z->t128, &ld->cap_t128, z->n_t128 + 1, sizeof(u128));
		if (!r)
			z->t128[z->n_t128++] = a;
	} else {
		r = grow((void **)&z->t64, &ld->cap_t64, z->n_t64 + 1, sizeof(uint64_t));
		if (!r)
			z->t64[z->n_t64++] = (uint64_t)(a >> 64);
	}
	if (r)
		return lerr_errno(ld, ENOMEM);
	z->entries++;
	return 0;
}

/* FNV-1a over the name from its end, so suffixes hash in one pass. */
#define FNV_OFF 2166136261u
#define FNV_PRIME 16777619u

static uint32_t name_hash(const char *s, size_t len)
{
	uint32_t h = FNV_OFF;

	while (len--)
		h = (h ^ (uint8_t)s[len]) * FNV_PRIME;
	return h;
}

static struct dn_slot *dn_find(const struct ctl_zone *z, const char *name, uint32_t h)
{
	uint32_t i = h & z->slot_mask;

	for (;; i = (i + 1) & z->slot_mask) {
		struct dn_slot *sl = &z->slots[i];

		if (!sl->name)
			return sl;
		if (sl->hash == h && !strcmp(z->pool + sl->name, name))
			return sl;
	}
}

static int dn_grow(struct loader *ld)
{
	struct ctl_zone *z = ld->z;
	size_t old = z->slots ? (size_t)z->slot_mask + 1 : 0;
	size_t cap = old ? old * 2 : 1024;
	struct dn_slot *o = z->slots;

	if (cap > (size_t)UINT32_MAX + 1)
		return -ENOMEM;
	z->slots = calloc(cap, sizeof(*z->slots));
	if (!z->slots) {
		z->slots = o;
		return -ENOMEM;
	}
	z->slot_mask = (uint32_t)(cap - 1);
	for (size_t i = 0; i < old; i++)
		if (o[i].name)
			*dn_find(z, z->pool + o[i].name, o[i].hash) = o[i];
	free(o);
	return 0;
}

/* Same name twice: an exclusion wins, else the first line. */
static void dn_set(uint32_t *slot, uint32_t val)
{
	if (*slot == VAL_NONE || val == VAL_EXCL)
		*slot = val;
}

/* Lower-cases and checks a name in place; returns its length or -1. */
static int dn_norm(char *s, size_t len)
{
	size_t lab = 0;

	if (len && s[len - 1] == '.')
		len--;
	if (!len || len > ZONE_NAME_MAX)
		return -1;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '.') {
			if (!lab)
				return -1;
			lab = 0;
			continue;
		}
		if (c <= ' ' || c == 0x7f || c == '\\' || ++lab > 63)
			return -1;
		if (c >= 'A' && c <= 'Z')
			s[i] = (char)(c + 'a' - 'A');
	}
	s[len] = '\0';
	return (int)len;
}

static int dnset_line(struct loader *ld, char *s)
{
	struct ctl_zone *z = ld->z;
	bool excl = false, plain = true, wild = false;
	struct dn_slot *sl;
	uint32_t val, h;
	char *end;
	int len, r;

	if (*s == ':')
		return default_line(ld, s);
	if (*s == '!') {
		excl = true;
		s = skip_space(s + 1);
	}
	if (s[0] == '.') {
		wild = true;
		s++;
	} else if (s[0] == '*' && s[1] == '.') {
		wild = true;
		plain = false;
		s += 2;
	}
	for (end = s; *end && !is_space(*end); end++)
		;
	if (*end)
		*end++ = '\0';
	len = dn_norm(s, strlen(s));
	if (len < 0)
		return lerr(ld, "invalid domain name");
	if (excl)
		val = VAL_EXCL;
	else if ((r = entry_value(ld, end, &val)))
		return r;
	if ((z->n_slots_used + 1) * 2 > (z->slots ? (size_t)z->slot_mask + 1 : 0) &&
	    dn_grow(ld))
		return lerr_errno(ld, ENOMEM);
	h = name_hash(s, (size_t)len);
	sl = dn_find(z, s, h);
	if (!sl->name) {
		if (pool_add(ld, s, (size_t)len, &sl->name))
			return lerr_errno(ld, ENOMEM);
		sl->hash = h;
		sl->plain = sl->wild = VAL_NONE;
		z->n_slots_used++;
	}
	if (plain)
		dn_set(&sl->plain, val);
	if (wild)
		dn_set(&sl->wild, val);
	z->entries++;
	return 0;
}

/* ---- directives ---- */

/* rbldnsd's parse_time(): n[smhdw]. */
static int parse_ttl(const char *s, uint32_t *ret)
{
	uint64_t n = 0, m = 1;

	if (!is_digit(*s))
		return -1;
	while (is_digit(*s)) {
		n = n * 10 + (uint64_t)(*s++ - '0');
		if (n > UINT32_MAX)
			return -1;
	}
	switch (*s) {
	case 'w': case 'W': m = 7 * 86400; break;
	case 'd': case 'D': m = 86400; break;
	case 'h': case 'H': m = 3600; break;
	case 'm': case 'M': m = 60; break;
	case 's': case 'S': break;
	default: s--; break;
	}
	s++;
	if (*s || n * m > UINT32_MAX)
		return -1;
	*ret = (uint32_t)(n * m);
	return 0;
}

static int maxrange_line(struct loader *ld, const char *w)
{
	bool cidr = *w == '/';
	uint64_t r = 0;

	if (cidr)
		w++;
	if (!is_digit(*w))
		return lerr(ld, "invalid $MAXRANGE4");
	while (is_digit(*w)) {
		r = r * 10 + (uint64_t)(*w++ - '0');
		if (r > UINT32_MAX)
			return lerr(ld, "invalid $MAXRANGE4");
	}
	if (*w || !r || (cidr && r > 32))
		return lerr(ld, "invalid $MAXRANGE4");
	if (cidr)
		r = (uint64_t)1 << (32 - r);
	/* may shrink, never grow: it guards third-party data */
	if (!ld->maxrange4 || r < ld->maxrange4)
		ld->maxrange4 = r;
	return 0;
}

/*
 * @d follows the '$'. @strict: a "$" line (unknown keywords are errors);
 * "#$" and ";$" lines are comments elsewhere, so unknown ones stay
 * comments.
 */
static int directive(struct loader *ld, char *d, bool strict)
{
	struct ctl_zone *z = ld->z;
	size_t kl = 0;
	char *w;

	while (d[kl] && !is_space(d[kl]))
		kl++;
	w = skip_space(d + kl);
	if (kl == 3 && !strncasecmp(d, "ttl", 3)) {
		uint32_t ttl;

		if (parse_ttl(w, &ttl))
			return lerr(ld, "invalid $TTL");
		z->ttl = ttl ? ttl : ZONE_DEFAULT_TTL;
		return 0;
	}
	if ((kl == 3 && !strncasecmp(d, "soa", 3)) ||
	    (kl == 2 && !strncasecmp(d, "ns", 2)) ||
	    (kl == 10 && !strncasecmp(d, "nameserver", 10)) ||
	    (kl == 9 && !strncasecmp(d, "timestamp", 9)))
		return 0;
	if (kl == 9 && !strncasecmp(d, "maxrange4", 9))
		return maxrange_line(ld, w);
	if (kl == 1 && (is_digit(d[0]) || d[0] == '=')) {
		unsigned n = d[0] == '=' ? SUBST_BASE : (unsigned)(d[0] - '0');

		if (!*w)
			return lerr(ld, "invalid substitution variable");
		if (z->subst[n] != VAL_NONE)
			return 0;             /* rbldnsd: the first one stays */
		if (pool_add(ld, w, strlen(w), &z->subst[n]))
			return lerr_errno(ld, ENOMEM);
		return 0;
	}
	if (!strict)
		return 0;
	return lerr(ld, "unknown directive '$%.*s'", (int)(kl > 32 ? 32 : kl), d);
}

static int load_line(struct loader *ld, char *s, size_t len)
{
	char *e;

	if (memchr(s, '\0', len))
		return lerr(ld, "NUL byte in line");
	s[len] = '\0';
	s = skip_space(s);
	e = s + strlen(s);
	while (e > s && is_space(e[-1]))
		*--e = '\0';
	if (s[0] == '$')
		return directive(ld, s + 1, true);
	if ((is_comment(s[0]) || s[0] == ':') && s[1] == '$')
		return directive(ld, s + 2, s[0] == ':');
	if (!s[0] || is_comment(s[0]))
		return 0;
	switch (ld->z->type) {
	case CTL_ZONE_IP4SET:
		return ip4set_line(ld, s);
	case CTL_ZONE_IP6TRIE:
		return ip6trie_line(ld, s);
	case CTL_ZONE_IP6TSET:
		return ip6tset_line(ld, s);
	default:
		return dnset_line(ld, s);
	}
}

#define RD_BUF (64 * 1024)

/* Reads @fd line by line; lines longer than ZONE_LINE_MAX are errors. */
static int read_lines(struct loader *ld, int fd)
{
	char *buf = malloc(RD_BUF + 1);
	size_t beg = 0, end = 0;
	bool eof = false;
	int r = 0;

	if (!buf)
		return lerr_errno(ld, ENOMEM);
	for (;;) {
		char *nl = memchr(buf + beg, '\n', end - beg);
		size_t len = nl ? (size_t)(nl - (buf + beg)) : end - beg;

		if (len > ZONE_LINE_MAX || (!nl && len == ZONE_LINE_MAX + 1)) {
			ld->line++;
			r = lerr(ld, "line too long");
			break;
		}
		if (nl) {
			ld->line++;
			if (len && buf[beg + len - 1] == '\r')
				len--;
			r = load_line(ld, buf + beg, len);
			if (r)
				break;
			beg += (size_t)(nl - (buf + beg)) + 1;
			continue;
		}
		if (eof) {
			if (beg < end) {
				/* a file cut short while written: rbldnsd drops it */
				ld->line++;
				r = lerr(ld, "incomplete last line");
			}
			break;
		}
		memmove(buf, buf + beg, end - beg);
		end -= beg;
		beg = 0;
		for (;;) {
			ssize_t n = read(fd, buf + end, RD_BUF - end);

			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0) {
				r = lerr_errno(ld, errno);
				goto out;
			}
			if (!n)
				eof = true;
			end += (size_t)n;
			break;
		}
	}
out:
	free(buf);
	return r;
}

static int cmp_u64(const void *x, const void *y)
{
	uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;

	return a < b ? -1 : a > b;
}

static int cmp_u128(const void *x, const void *y)
{
	u128 a, b;

	memcpy(&a, x, sizeof(a));
	memcpy(&b, y, sizeof(b));
	return a < b ? -1 : a > b;
}

static size_t uniq(void *base, size_t n, size_t size)
{
	char *p = base;
	size_t k = 0;

	for (size_t i = 0; i < n; i++) {
		if (k && !memcmp(p + (k - 1) * size, p + i * size, size))
			continue;
		if (k != i)
			memcpy(p + k * size, p + i * size, size);
		k++;
	}
	return k;
}

static int finish(struct loader *ld)
{
	struct ctl_zone *z = ld->z;
	int r;

	switch (z->type) {
	case CTL_ZONE_IP4SET:
	case CTL_ZONE_IP6TRIE:
		r = ctl_zset_flatten(&ld->pcs, seg_emit, ld);
		return r ? lerr_errno(ld, -r) : 0;
	case CTL_ZONE_IP6TSET:
		if (z->t64) {
			qsort(z->t64, z->n_t64, sizeof(*z->t64), cmp_u64);
			z->n_t64 = uniq(z->t64, z->n_t64, sizeof(*z->t64));
		}
		if (z->t128) {
			qsort(z->t128, z->n_t128, sizeof(*z->t128), cmp_u128);
			z->n_t128 = uniq(z->t128, z->n_t128, sizeof(*z->t128));
		}
		return 0;
	default:
		return 0;
	}
}

int ctl_zone_load(int type, const char *path, struct ctl_zone **ret,
		  char *err, size_t errlen)
{
	struct loader ld = { .path = path ? path : "(null)", .err = err, .errlen = errlen };
	static const uint8_t def_a[4] = { 127, 0, 0, 2 };
	struct stat st0, st1;
	struct ctl_zone *z;
	int fd, r;

	if (err && errlen)
		err[0] = '\0';
	if (!ret || !path) {
		if (err && errlen)
			snprintf(err, errlen, "%s: invalid argument", ld.path);
		return -EINVAL;
	}
	*ret = NULL;
	if (type < CTL_ZONE_IP4SET || type > CTL_ZONE_DNSET) {
		if (err && errlen)
			snprintf(err, errlen, "%s: invalid zone type %d", path, type);
		return -EINVAL;
	}
	z = calloc(1, sizeof(*z));
	if (!z)
		return lerr_errno(&ld, ENOMEM);
	ld.z = z;
	z->type = type;
	z->ttl = ZONE_DEFAULT_TTL;
	for (int i = 0; i < SUBST_N; i++)
		z->subst[i] = VAL_NONE;
	/* pool offset 0 is the empty TXT; value 0 the built-in default */
	z->pool = malloc(1024);
	z->vals = malloc(64 * sizeof(*z->vals));
	if (!z->pool || !z->vals) {
		ctl_zone_free(z);
		return lerr_errno(&ld, ENOMEM);
	}
	ld.pool_cap = 1024;
	ld.cap_vals = 64;
	z->pool[0] = '\0';
	z->pool_len = 1;
	memcpy(z->vals[0].a, def_a, 4);
	z->vals[0].txt = 0;
	z->n_vals = 1;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		r = lerr_errno(&ld, errno);
		ctl_zone_free(z);
		return r;
	}
	if (fstat(fd, &st0) < 0) {
		r = lerr_errno(&ld, errno);
	} else if (S_ISDIR(st0.st_mode)) {
		r = lerr_errno(&ld, EISDIR);
	} else {
		r = read_lines(&ld, fd);
		/* a file rewritten in place while read is half old, half new */
		if (!r && S_ISREG(st0.st_mode) &&
		    (fstat(fd, &st1) < 0 || st1.st_size != st0.st_size ||
		     st1.st_mtim.tv_sec != st0.st_mtim.tv_sec ||
		     st1.st_mtim.tv_nsec != st0.st_mtim.tv_nsec)) {
			if (err && errlen)
				snprintf(err, errlen, "%s: file changed while read", path);
			r = -EAGAIN;
		}
	}
	close(fd);
	if (!r)
		r = finish(&ld);
	ctl_zset_pieces_clear(&ld.pcs);
	if (r) {
		ctl_zone_free(z);
		return r;
	}
	*ret = z;
	return 0;
}

/* ---- lookups ---- */

static size_t fmt_u(char *p, unsigned v)
{
	char t[10];
	size_t n = 0, k = 0;

	do
		t[n++] = (char)('0' + v % 10);
	while ((v /= 10));
	while (n)
		p[k++] = t[--n];
	return k;
}

static void fmt_ip4(char out[16], const uint8_t a[4])
{
	size_t k = 0;

	for (int i = 0; i < 4; i++) {
		if (i)
			out[k++] = '.';
		k += fmt_u(out + k, a[i]);
	}
	out[k] = '\0';
}

/* rbldnsd's ip6atos(): the first longest run of 2+ zero words is "::". */
static void fmt_ip6(char out[48], const uint8_t a[16])
{
	static const char hex[] = "0123456789abcdef";
	unsigned w[8], zs = 0, zn = 0;
	size_t k = 0;

	for (int i = 0; i < 8; i++)
		w[i] = (unsigned)a[2 * i] << 8 | a[2 * i + 1];
	for (unsigned i = 0; i < 8; i++) {
		unsigned n = 0;

		while (i + n < 8 && !w[i + n])
			n++;
		if (n > 1 && n > zn) {
			zn = n;
			zs = i;
		}
	}
	for (unsigned i = 0; i < 8; i++) {
		bool lead = false;

		if (zn && i == zs) {
			/* "::" stands for the separators on both sides too */
			out[k++] = ':';
			out[k++] = ':';
			i += zn - 1;
			continue;
		}
		if (i && !(zn && i == zs + zn))
			out[k++] = ':';
		for (int sh = 12; sh >= 0; sh -= 4) {
			unsigned d = (w[i] >> sh) & 15;

			if (d || lead || !sh) {
				out[k++] = hex[d];
				lead = true;
			}
		}
	}
	out[k] = '\0';
}

/*
 * rbldnsd's txtsubst(): "$" is @subj, "$$" a dollar, "$n" variable n (kept
 * as is when unset), "$=" the entry text under a "$=" base template; a
 * TXT starting with '=' skips the base template.
 */
static void txt_expand(const struct ctl_zone *z, const char *txt, const char *subj,
		       char out[CTL_ZONE_TXT_MAX + 1])
{
	const char *base = z->subst[SUBST_BASE] != VAL_NONE ?
			   z->pool + z->subst[SUBST_BASE] : NULL;
	const char *sx, *s0 = subj;
	size_t k = 0;

	if (txt[0] == '=') {
		sx = ++txt;
	} else if (base && *base) {
		if (*txt)
			s0 = txt;
		sx = s0;
		txt = base;
	} else {
		sx = txt;
	}
	while (k < CTL_ZONE_TXT_MAX) {
		const char *d = strchr(txt, '$'), *si;
		size_t sl;

		if (!d)
			d = txt + strlen(txt);
		sl = (size_t)(d - txt);
		if (sl > CTL_ZONE_TXT_MAX - k)
			sl = CTL_ZONE_TXT_MAX - k;
		memcpy(out + k, txt, sl);
		k += sl;
		if (!*d++)
			break;
		if (*d == '$') {
			si = d++;
			sl = 1;
		} else if (is_digit(*d)) {
			uint32_t v = z->subst[*d - '0'];

			if (v == VAL_NONE) {
				si = d - 1;
				sl = 2;
			} else {
				si = z->pool + v;
				sl = strlen(si);
			}
			d++;
		} else if (*d == '=') {
			si = sx;
			sl = strlen(si);
			d++;
		} else {
			si = subj;
			sl = strlen(si);
		}
		if (sl > CTL_ZONE_TXT_MAX - k)
			sl = CTL_ZONE_TXT_MAX - k;
		memcpy(out + k, si, sl);
		k += sl;
		txt = d;
	}
	out[k] = '\0';
}

static bool needs_subj(const struct ctl_zone *z, const char *txt)
{
	return strchr(txt, '$') || z->subst[SUBST_BASE] != VAL_NONE;
}

static void answer(const struct ctl_zone *z, uint32_t val, int family,
		   const uint8_t *addr, const char *name, struct ctl_zone_answer *ret)
{
	const struct zval *v = &z->vals[val];
	const char *txt = z->pool + v->txt;
	char buf[48];

	if (!ret)
		return;
	memcpy(ret->a, v->a, 4);
	ret->ttl = z->ttl;
	if (!needs_subj(z, txt)) {
		memcpy(ret->txt, txt, strlen(txt) + 1);
		return;
	}
	if (!name) {
		if (family == 4)
			fmt_ip4(buf, addr);
		else
			fmt_ip6(buf, addr);
		name = buf;
	}
	txt_expand(z, txt, name, ret->txt);
}

static int family_of(int family)
{
	if (family == 4 || family == AF_INET)
		return 4;
	if (family == 6 || family == AF_INET6)
		return 6;
	return 0;
}

/* Index of the last start <= @q, or -1. */
#define LAST_LE(arr, n, q, ret)                                               \
	do {                                                                  \
		size_t lo_ = 0, hi_ = (n);                                    \
		while (lo_ < hi_) {                                           \
			size_t mid_ = lo_ + (hi_ - lo_) / 2;                  \
			if ((arr)[mid_] <= (q))                               \
				lo_ = mid_ + 1;                               \
			else                                                  \
				hi_ = mid_;                                   \
		}                                                             \
		(ret) = (ptrdiff_t)lo_ - 1;                                   \
	} while (0)

static bool bsearch_u64(const uint64_t *a, size_t n, uint64_t q)
{
	ptrdiff_t i;

	LAST_LE(a, n, q, i);
	return i >= 0 && a[i] == q;
}

static bool bsearch_u128(const u128 *a, size_t n, u128 q)
{
	ptrdiff_t i;

	LAST_LE(a, n, q, i);
	return i >= 0 && a[i] == q;
}

int ctl_zone_lookup_addr(const struct ctl_zone *z, int family, const uint8_t addr[16],
			 struct ctl_zone_answer *ret)
{
	int fam = family_of(family);
	ptrdiff_t i;

	if (!z || !addr || !fam || z->type == CTL_ZONE_DNSET)
		return -EINVAL;
	if ((fam == 4) != (z->type == CTL_ZONE_IP4SET))
		return 0;
	if (fam == 4) {
		uint32_t q = (uint32_t)addr[0] << 24 | (uint32_t)addr[1] << 16 |
			     (uint32_t)addr[2] << 8 | addr[3];

		LAST_LE(z->v4_start, z->n_v4, q, i);
		if (i < 0 || q > z->v4_end[i])
			return 0;
		answer(z, z->v4_val[i], 4, addr, NULL, ret);
		return 1;
	}
	u128 q = ctl_zset_u128_of(addr);

	if (z->type == CTL_ZONE_IP6TSET) {
		if (!bsearch_u64(z->t64, z->n_t64, (uint64_t)(q >> 64)) ||
		    bsearch_u128(z->t128, z->n_t128, q))
			return 0;
		answer(z, z->tset_val, 6, addr, NULL, ret);
		return 1;
	}
	LAST_LE(z->v6_start, z->n_v6, q, i);
	if (i < 0 || q > z->v6_end[i])
		return 0;
	answer(z, z->v6_val[i], 6, addr, NULL, ret);
	return 1;
}

int ctl_zone_lookup_name(const struct ctl_zone *z, const char *name,
			 struct ctl_zone_answer *ret)
{
	char buf[ZONE_NAME_MAX + 2];
	size_t starts[ZONE_LABELS_MAX], ns = 0, len;
	uint32_t hashes[ZONE_LABELS_MAX], h = FNV_OFF;
	const struct dn_slot *sl;

	if (!z || !name || z->type != CTL_ZONE_DNSET)
		return -EINVAL;
	len = strnlen(name, sizeof(buf));
	if (len >= sizeof(buf))
		return 0;
	memcpy(buf, name, len);
	if (dn_norm(buf, len) < 0 || !z->slots)
		return 0;
	len = strlen(buf);
	/* hashes of every suffix that starts a label, longest first */
	for (size_t i = len; i-- > 0;) {
		h = (h ^ (uint8_t)buf[i]) * FNV_PRIME;
		if (!i || buf[i - 1] == '.') {
			if (ns == ZONE_LABELS_MAX)
				return 0;
			starts[ns] = i;
			hashes[ns++] = h;
		}
	}
	/* collected shortest first: index ns-1 is the whole name */
	sl = dn_find(z, buf, hashes[ns - 1]);
	if (sl->name && sl->plain != VAL_NONE) {
		if (sl->plain == VAL_EXCL)
			return 0;
		answer(z, sl->plain, 0, NULL, buf, ret);
		return 1;
	}
	for (size_t j = ns - 1; j-- > 0;) {
		const char *suf = buf + starts[j];

		sl = dn_find(z, suf, hashes[j]);
		if (!sl->name || sl->wild == VAL_NONE)
			continue;
		if (sl->wild == VAL_EXCL)
			return 0;
		answer(z, sl->wild, 0, NULL, suf, ret);
		return 1;
	}
	return 0;
}

size_t ctl_zone_entries(const struct ctl_zone *z)
{
	return z ? z->entries : 0;
}

void ctl_zone_free(struct ctl_zone *z)
{
	if (!z)
		return;
	free(z->vals);
	free(z->pool);
	free(z->v4_start);
	free(z->v4_end);
	free(z->v4_val);
	free(z->v6_start);
	free(z->v6_end);
	free(z->v6_val);
	free(z->t64);
	free(z->t128);
	free(z->slots);
	free(z);
}
