/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dp_flow: bounded flow table (see dp_flow.h). Owned by one lcore; the
 * create/free pair runs at start and stop, everything else on that lcore.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <time.h>

#include "dp_flow.h"
#include "dp_index.h"

#define NIL UINT32_MAX
#define SEC 1000000000ull
#define HUGE_PAGE (2ull << 20)

struct dp_flow_list {
	uint32_t head; /* least recently used */
	uint32_t tail;
	uint32_t count;
};

struct dp_flow_table {
	struct dp_flow *flows;
	struct dp_index_slot *slots;
	uint32_t *free_stack;
	uint32_t free_top;
	uint32_t cap;
	uint32_t slot_mask;
	uint64_t gen;          /* bumped by every insert and release */
	uint64_t sec_base;     /* [sec_base, sec_base + 1 s) is second sec_cur */
	uint32_t sec_cur;
	uint64_t map_bytes[3];
	struct dp_flow_list lru[DP_FLOW_CLS_COUNT];
	struct dp_flow_params p;
	struct dp_flow_stats st;
};

void *dp_flow_reserve(uint64_t bytes, int huge)
{
	void *m = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	if (m == MAP_FAILED)
		return NULL;
	if (huge && bytes >= HUGE_PAGE)
		(void)madvise(m, bytes, MADV_HUGEPAGE);
	return m;
}

void dp_flow_unreserve(void *p, uint64_t bytes)
{
	if (p)
		munmap(p, bytes);
}

/* Whole seconds of @now_ns, without a division for most calls. */
static inline uint32_t sec_of(struct dp_flow_table *t, uint64_t now_ns)
{
	if (now_ns - t->sec_base >= SEC) {
		t->sec_cur = (uint32_t)(now_ns / SEC);
		t->sec_base = (uint64_t)t->sec_cur * SEC;
	}
	return t->sec_cur;
}

struct dp_flow_table *dp_flow_table_create(const struct dp_flow_params *p)
{
	struct dp_flow_table *t;

	if (!p || p->max_flows == 0 || p->max_flows > (1u << 30) || !p->on_end) {
		errno = EINVAL;
		return NULL;
	}
	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->p = *p;
	t->cap = p->max_flows;
	t->slot_mask = dp_index_mask(t->cap);
	t->map_bytes[0] = (uint64_t)t->cap * sizeof(struct dp_flow);
	t->map_bytes[1] = ((uint64_t)t->slot_mask + 1) * sizeof(struct dp_index_slot);
	t->map_bytes[2] = (uint64_t)t->cap * sizeof(uint32_t);
	t->flows = dp_flow_reserve(t->map_bytes[0], 1);
	t->slots = dp_flow_reserve(t->map_bytes[1], 1);
	t->free_stack = dp_flow_reserve(t->map_bytes[2], 1);
	if (!t->flows || !t->slots || !t->free_stack) {
		dp_flow_table_free(t);
		errno = ENOMEM;
		return NULL;
	}
	/* LIFO free stack: recently freed (cache- and page-warm) slots first. */
	for (uint32_t i = 0; i < t->cap; i++)
		t->free_stack[i] = t->cap - 1 - i;
	t->free_top = t->cap;
	for (int c = 0; c < DP_FLOW_CLS_COUNT; c++)
		t->lru[c] = (struct dp_flow_list){ NIL, NIL, 0 };
	return t;
}

void dp_flow_table_free(struct dp_flow_table *t)
{
	if (!t)
		return;
	dp_flow_unreserve(t->flows, t->map_bytes[0]);
	dp_flow_unreserve(t->slots, t->map_bytes[1]);
	dp_flow_unreserve(t->free_stack, t->map_bytes[2]);
	free(t);
}

/* The flow hash's key, drawn once per process: every table and the
 * dispatcher hash alike, and no one outside can work out tuples that
 * share an index slot (a linear hash such as CRC-32 lets an attacker
 * solve for thousands of spoofed tuples on one probe chain). */
static uint64_t hash_seed[2];

__attribute__((constructor)) static void hash_seed_init(void)
{
	if (getrandom(hash_seed, sizeof(hash_seed), GRND_NONBLOCK) != sizeof(hash_seed)) {
		hash_seed[0] = (uint64_t)time(NULL) * 0x9e3779b97f4a7c15ull ^ (uintptr_t)&hash_seed;
		hash_seed[1] = ~hash_seed[0] * 0xc2b2ae3d27d4eb4full;
	}
}

static inline uint64_t mix(uint64_t h, uint64_t w)
{
	h = (h ^ w) * 0x9fb21c651e98df25ull;
	return h ^ (h >> 29);
}

uint64_t dp_flow_hash64(const struct dp_flow_key *k)
{
	uint64_t w[5], a, b, h;

	memcpy(w, k, sizeof(w));
	/* Two chains for the CPU to run side by side, then a final mix
	 * so that the low bits (table index) and the high bits (worker)
	 * both depend on every key bit. */
	a = mix(hash_seed[0], w[0]);
	b = mix(hash_seed[1], w[1]);
	a = mix(a, w[2]);
	b = mix(b, w[3]);
	a = mix(a, w[4]);
	h = (a ^ ((b << 31) | (b >> 33))) * 0xc2b2ae3d27d4eb4full;
	return h ^ (h >> 32);
}

uint32_t dp_flow_hash(const struct dp_flow_key *k)
{
	return (uint32_t)dp_flow_hash64(k);
}

/* A function of prefetches alone reads as pure to the optimiser, and calls
 * to pure functions whose result is unused may be dropped (with LTO). */
#define NOT_PURE() __asm__ volatile("" ::: "memory")

void dp_flow_prefetch(const struct dp_flow_table *t, uint32_t hash)
{
	__builtin_prefetch(&t->slots[hash & t->slot_mask]);
	NOT_PURE();
}

void dp_flow_prefetch_touch(const struct dp_flow_table *t, const struct dp_flow *f,
			    uint64_t now_ns)
{
	uint32_t sec = now_ns - t->sec_base < SEC ? t->sec_cur : (uint32_t)(now_ns / SEC);
	uint32_t tail;

	if (sec == f->lru_sec)
		return;
	if (f->lru_prev != NIL)
		__builtin_prefetch(&t->flows[f->lru_prev].lru_prev, 1);
	if (f->lru_next != NIL)
		__builtin_prefetch(&t->flows[f->lru_next].lru_prev, 1);
	tail = t->lru[f->cls].tail;
	if (tail != NIL)
		__builtin_prefetch(&t->flows[tail].lru_prev, 1);
	NOT_PURE();
}

static inline uint32_t flow_index(const struct dp_flow_table *t,
				  const struct dp_flow *f)
{
	return (uint32_t)(f - t->flows);
}

static void lru_unlink(struct dp_flow_table *t, struct dp_flow *f)
{
	struct dp_flow_list *l = &t->lru[f->cls];

	if (f->lru_prev != NIL)
		t->flows[f->lru_prev].lru_next = f->lru_next;
	else
		l->head = f->lru_next;
	if (f->lru_next != NIL)
		t->flows[f->lru_next].lru_prev = f->lru_prev;
	else
		l->tail = f->lru_prev;
	l->count--;
}

static void lru_append(struct dp_flow_table *t, struct dp_flow *f)
{
	struct dp_flow_list *l = &t->lru[f->cls];
	uint32_t i = flow_index(t, f);

	f->lru_next = NIL;
	f->lru_prev = l->tail;
	if (l->tail != NIL)
		t->flows[l->tail].lru_next = i;
	else
		l->head = i;
	l->tail = i;
	l->count++;
}

struct dp_flow *dp_flow_lookup(struct dp_flow_table *t,
			       const struct dp_flow_key *k, uint32_t hash)
{
	for (uint32_t s = hash & t->slot_mask;; s = (s + 1) & t->slot_mask) {
		const struct dp_index_slot *slot = &t->slots[s];

		if (slot->idx1 == 0)
			return NULL;
		if (slot->hash == hash) {
			struct dp_flow *f = &t->flows[slot->idx1 - 1];

			if (memcmp(&f->key, k, sizeof(*k)) == 0)
				return f;
		}
	}
}

void dp_flow_lookup_bulk(struct dp_flow_table *t, const struct dp_flow_key *keys,
			 const uint32_t *hashes, uint32_t n, struct dp_flow **ret_flows)
{
	uint32_t cand[DP_FLOW_BULK_MAX];

	if (n > DP_FLOW_BULK_MAX)
		n = DP_FLOW_BULK_MAX;
	/* Stage 1: every home slot on its way. */
	for (uint32_t i = 0; i < n; i++)
		__builtin_prefetch(&t->slots[hashes[i] & t->slot_mask]);
	/* Stage 2: the first slot with a matching hash names the likely
	 * flow (a probe chain is short: the index is at most half full);
	 * both its lines are on their way while the others are scanned. */
	for (uint32_t i = 0; i < n; i++) {
		cand[i] = 0;
		for (uint32_t s = hashes[i] & t->slot_mask;; s = (s + 1) & t->slot_mask) {
			const struct dp_index_slot *slot = &t->slots[s];

			if (slot->idx1 == 0)
				break;
			if (slot->hash == hashes[i]) {
				cand[i] = slot->idx1;
				__builtin_prefetch(&t->flows[slot->idx1 - 1]);
				__builtin_prefetch((const char *)&t->flows[slot->idx1 - 1] + 64);
				break;
			}
		}
	}
	/* Stage 3: compare keys; a hash collision falls back to the scan. */
	for (uint32_t i = 0; i < n; i++) {
		struct dp_flow *f = cand[i] ? &t->flows[cand[i] - 1] : NULL;

		if (f && memcmp(&f->key, &keys[i], sizeof(keys[i])) != 0)
			f = dp_flow_lookup(t, &keys[i], hashes[i]);
		ret_flows[i] = f;
	}
}

uint64_t dp_flow_generation(const struct dp_flow_table *t)
{
	return t->gen;
}

static void release(struct dp_flow_table *t, struct dp_flow *f)
{
	dp_index_delete(t->slots, t->slot_mask, f->hash, flow_index(t, f) + 1);
	lru_unlink(t, f);
	t->free_stack[t->free_top++] = flow_index(t, f);
	t->st.active--;
	t->gen++;
}

static void end_flow(struct dp_flow_table *t, struct dp_flow *f,
		     enum dp_flow_end why)
{
	t->p.on_end(t->p.ctx, f, why);
	release(t, f);
}

static void evict_one(struct dp_flow_table *t)
{
	for (int c = 0; c < DP_FLOW_CLS_COUNT; c++) {
		if (t->lru[c].head != NIL) {
			t->st.evicted[c]++;
			end_flow(t, &t->flows[t->lru[c].head], DP_FLOW_END_EVICTED);
			return;
		}
	}
}

struct dp_flow *dp_flow_insert(struct dp_flow_table *t,
			       const struct dp_flow_key *k, uint32_t hash,
			       uint64_t now_ns)
{
	struct dp_flow *f;
	uint32_t idx;

	if (t->free_top == 0)
		evict_one(t);
	idx = t->free_stack[--t->free_top];
	f = &t->flows[idx];
	memset(f, 0, sizeof(*f));
	f->key = *k;
	f->hash = hash;
	f->first_ns = f->last_ns = now_ns;
	f->lru_sec = sec_of(t, now_ns);
	f->cls = DP_FLOW_CLS_HALF_OPEN;
	lru_append(t, f);
	dp_index_insert(t->slots, t->slot_mask, hash, idx + 1);
	t->st.created++;
	if (++t->st.active > t->st.active_peak)
		t->st.active_peak = t->st.active;
	t->gen++;
	return f;
}

void dp_flow_touch(struct dp_flow_table *t, struct dp_flow *f, uint64_t now_ns)
{
	uint32_t sec = sec_of(t, now_ns);

	if (now_ns > f->last_ns)
		f->last_ns = now_ns;
	/* Relink at most once a second: lists stay ordered to 1 s, and most
	 * packets cost no writes to neighbouring flows. */
	if (sec != f->lru_sec) {
		f->lru_sec = sec;
		lru_unlink(t, f);
		lru_append(t, f);
	}
}

void dp_flow_set_class(struct dp_flow_table *t, struct dp_flow *f,
		       enum dp_flow_class cls)
{
	if (f->cls == cls)
		return;
	lru_unlink(t, f);
	f->cls = (uint8_t)cls;
	lru_append(t, f);
}

void dp_flow_remove(struct dp_flow_table *t, struct dp_flow *f)
{
	t->st.removed++;
	release(t, f);
}

uint32_t dp_flow_expire(struct dp_flow_table *t, uint64_t now_ns)
{
	uint32_t n = 0;

	for (int c = 0; c < DP_FLOW_CLS_COUNT; c++) {
		uint64_t to = t->p.timeout_ns[c];

		for (uint32_t budget = DP_FLOW_EXPIRE_BUDGET; budget && t->lru[c].head != NIL; budget--) {
			struct dp_flow *f = &t->flows[t->lru[c].head];

			if (f->last_ns + to > now_ns) {
				/* Order is only approximate (see touch): a
				 * recent flow at the head is requeued once. */
				if ((uint32_t)(f->last_ns / 1000000000ull) == f->lru_sec)
					break;
				f->lru_sec = (uint32_t)(f->last_ns / 1000000000ull);
				lru_unlink(t, f);
				lru_append(t, f);
				continue;
			}
			t->st.expired++;
			end_flow(t, f, DP_FLOW_END_TIMEOUT);
			n++;
		}
	}
	return n;
}

void dp_flow_drain(struct dp_flow_table *t)
{
	for (int c = 0; c < DP_FLOW_CLS_COUNT; c++)
		while (t->lru[c].head != NIL) {
			t->st.drained++;
			end_flow(t, &t->flows[t->lru[c].head], DP_FLOW_END_DRAIN);
		}
}

const struct dp_flow_stats *dp_flow_table_stats(const struct dp_flow_table *t)
{
	return &t->st;
}

uint32_t dp_flow_table_capacity(const struct dp_flow_table *t)
{
	return t->cap;
}

uint64_t dp_flow_table_memory(const struct dp_flow_table *t)
{
	return t->map_bytes[0] + t->map_bytes[1] + t->map_bytes[2];
}

uint64_t dp_flow_resident_bytes(const void *p, uint64_t bytes)
{
	unsigned char vec[4096];
	const uint64_t page = 4096, chunk = sizeof(vec) * page;
	uint64_t n = 0;

	for (uint64_t off = 0; p && off < bytes; off += chunk) {
		uint64_t len = bytes - off < chunk ? bytes - off : chunk;

		if (mincore((char *)p + off, len, vec) != 0)
			return 0;
		for (uint64_t i = 0; i < (len + page - 1) / page; i++)
			n += vec[i] & 1;
	}
	return n * page;
}

uint64_t dp_flow_table_resident(const struct dp_flow_table *t)
{
	return dp_flow_resident_bytes(t->flows, t->map_bytes[0]) +
	       dp_flow_resident_bytes(t->slots, t->map_bytes[1]) +
	       dp_flow_resident_bytes(t->free_stack, t->map_bytes[2]);
}
