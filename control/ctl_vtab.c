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
#include <assert.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "ctl_vtab.h"
#include "ctl_vtab_impl.h"

#define NONE32 UINT32_MAX
#define VT_MAX_ENTRIES ((size_t)1 << 28)
#define VT_INIT_CAP 1024

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

/* ---- keys ---- */

static bool key_ok(int family, int plen, const uint8_t a[16])
{
	int bits = vt_fam_bits(family);

	return bits && plen >= 0 && plen <= bits && vt_host_bits_zero(a, plen);
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

	if (s == NONE32 || vt_is_expired(&t->ents[s], now_ns))
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

	if (p != NONE32 && vt_is_expired(&t->ents[p], now_ns))
		v = p;
	else if (m != NONE32 && vt_is_expired(&t->ents[m], now_ns))
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
	if (e->source == CTL_VTAB_POLICY && !vt_is_host_key(v->family, v->prefix_len))
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
		live = !vt_is_expired(o, now_ns);
		if (live && o->source == CTL_VTAB_MANUAL && e->source == CTL_VTAB_POLICY)
			return -EPERM;
		c = created ? *created : live ? o->created_ns : now_ns;
		u = created || !live ? 1 : o->updates == UINT32_MAX ? UINT32_MAX : o->updates + 1;
		heap_del(t, o->source, t->meta[s].heap_pos);
		t->by_action[o->v.action]--;
		/* Same key, so CIDR-ness (and the list position) is unchanged. */
	} else {
		cidr = !vt_is_host_key(v->family, v->prefix_len);
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
	int bits = vt_fam_bits(family);

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

	if (!norm_key(family, vt_fam_bits(family), addr, k))
		return NULL;
	if ((e = vt_lookup(t, family, vt_fam_bits(family), k, now_ns)))
		return e;
	if (family == 6) {
		uint8_t k64[16];

		memcpy(k64, k, 16);
		vt_mask_addr(k64, 64);
		if ((e = vt_lookup(t, 6, 64, k64, now_ns)))
			return e;
	}
	for (size_t i = 0; i < t->ncidr; i++) {
		e = &t->ents[t->cidr[i]];
		if (e->v.family == family && !vt_is_expired(e, now_ns) &&
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
		    (source >= 0 && e->source != source) || vt_is_expired(e, now_ns))
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

		if (p != NONE32 && !vt_is_expired(&t->ents[p], now_ns))
			p = NONE32;
		if (m != NONE32 && !vt_is_expired(&t->ents[m], now_ns))
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

/* ---- for ctl_vtab_file.c (ctl_vtab_impl.h) ---- */

const struct ctl_vtab_entry *ctl_vtab_impl_entries(const struct ctl_vtab *t, size_t *ret_n)
{
	*ret_n = t->n;
	return t->ents;
}

void ctl_vtab_impl_params(const struct ctl_vtab *t, struct ctl_vtab_params *ret)
{
	ret->max_entries = t->max_entries;
	ret->max_cidrs = t->max_cidrs;
}

const struct ctl_vtab_entry *ctl_vtab_impl_find(const struct ctl_vtab *t, int family,
						int prefix_len, const uint8_t addr[16])
{
	uint32_t s = vt_find(t, family, prefix_len, addr,
			     vt_hash(t, family, prefix_len, addr), NULL);

	return s == NONE32 ? NULL : &t->ents[s];
}

int ctl_vtab_impl_reserve(struct ctl_vtab *t, size_t entries, size_t cidrs)
{
	size_t want = t->n + entries < t->max_entries ? t->n + entries : t->max_entries;
	int rc;

	if ((rc = vt_grow_to(t, want)) < 0 || (rc = cidr_reserve(t, t->ncidr + cidrs)) < 0)
		return rc;
	return 0;
}

int ctl_vtab_impl_put_created(struct ctl_vtab *t, const struct ctl_vtab_entry *e,
			      uint64_t now_ns, uint64_t created_ns)
{
	return vt_put(t, e, now_ns, &created_ns, NULL);
}
