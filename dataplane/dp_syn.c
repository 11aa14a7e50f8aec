/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dp_syn: handshakes in progress (see dp_syn.h). Owned by one lcore; the
 * create/free pair runs at start and stop, everything else on that lcore.
 * The ring holds positions [head, head + used) in arrival order; a taken
 * handshake leaves a hole (flags 0) that the head steps over when it gets
 * there.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dp_index.h"
#include "dp_syn.h"

struct dp_syn_table {
	struct dp_syn *ring;
	struct dp_index_slot *slots;
	uint32_t cap;
	uint32_t slot_mask;
	uint32_t head;       /* oldest position in use */
	uint32_t used;       /* positions from head: live and holes */
	uint64_t map_bytes[2];
	struct dp_syn_params p;
	struct dp_syn_stats st;
};

struct dp_syn_table *dp_syn_table_create(const struct dp_syn_params *p)
{
	struct dp_syn_table *t;

	if (!p || p->capacity == 0 || p->capacity > (1u << 30) || !p->on_end) {
		errno = EINVAL;
		return NULL;
	}
	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->p = *p;
	t->cap = p->capacity;
	t->slot_mask = dp_index_mask(t->cap);
	t->map_bytes[0] = (uint64_t)t->cap * sizeof(struct dp_syn);
	t->map_bytes[1] = ((uint64_t)t->slot_mask + 1) * sizeof(struct dp_index_slot);
	/* As dp_flow: random access over megabytes, huge pages. */
	t->ring = dp_flow_reserve(t->map_bytes[0], 1);
	t->slots = dp_flow_reserve(t->map_bytes[1], 1);
	if (!t->ring || !t->slots) {
		dp_syn_table_free(t);
		errno = ENOMEM;
		return NULL;
	}
	return t;
}

void dp_syn_table_free(struct dp_syn_table *t)
{
	if (!t)
		return;
	dp_flow_unreserve(t->ring, t->map_bytes[0]);
	dp_flow_unreserve(t->slots, t->map_bytes[1]);
	free(t);
}

void dp_syn_prefetch(const struct dp_syn_table *t, uint32_t hash)
{
	__builtin_prefetch(&t->slots[hash & t->slot_mask]);
	__asm__ volatile("" ::: "memory"); /* not pure: see dp_flow_prefetch */
}

struct dp_syn *dp_syn_find(struct dp_syn_table *t, uint32_t hash, uint32_t check)
{
	for (uint32_t s = hash & t->slot_mask;; s = (s + 1) & t->slot_mask) {
		const struct dp_index_slot *slot = &t->slots[s];

		if (slot->idx1 == 0)
			return NULL;
		if (slot->hash == hash && t->ring[slot->idx1 - 1].check == check)
			return &t->ring[slot->idx1 - 1];
	}
}

static inline uint32_t pos_of(const struct dp_syn_table *t, const struct dp_syn *e)
{
	return (uint32_t)(e - t->ring);
}

static void release(struct dp_syn_table *t, struct dp_syn *e)
{
	dp_index_delete(t->slots, t->slot_mask, e->hash, pos_of(t, e) + 1);
	e->flags = 0;
	t->st.active--;
}

/* The head steps over holes: used counts live entries and the holes
 * between them only. */
static void trim(struct dp_syn_table *t)
{
	while (t->used && t->ring[t->head].flags == 0) {
		t->head = t->head + 1 == t->cap ? 0 : t->head + 1;
		t->used--;
	}
}

static void end_head(struct dp_syn_table *t, enum dp_syn_end why)
{
	struct dp_syn *e = &t->ring[t->head];

	t->p.on_end(t->p.ctx, e, why);
	release(t, e);
	trim(t);
}

struct dp_syn *dp_syn_add(struct dp_syn_table *t, uint32_t hash, uint32_t check,
			  uint64_t now_ns)
{
	struct dp_syn *e;
	uint32_t pos;

	if (t->used == t->cap) { /* the head is live: trim() ran */
		t->st.evicted++;
		end_head(t, DP_SYN_END_EVICTED);
	}
	pos = t->head + t->used;
	if (pos >= t->cap)
		pos -= t->cap;
	e = &t->ring[pos];
	*e = (struct dp_syn){ .hash = hash, .check = check, .first_ns = now_ns };
	t->used++;
	dp_index_insert(t->slots, t->slot_mask, hash, pos + 1);
	t->st.added++;
	if (++t->st.active > t->st.active_peak)
		t->st.active_peak = t->st.active;
	return e;
}

void dp_syn_take(struct dp_syn_table *t, struct dp_syn *e)
{
	t->st.promoted++;
	release(t, e);
	trim(t);
}

uint32_t dp_syn_expire(struct dp_syn_table *t, uint64_t now_ns, uint32_t budget)
{
	uint32_t n = 0;

	/* Arrival order is age order: stop at the first young one. */
	while (n < budget && t->used && t->ring[t->head].first_ns + t->p.timeout_ns <= now_ns) {
		t->st.expired++;
		end_head(t, DP_SYN_END_TIMEOUT);
		n++;
	}
	return n;
}

void dp_syn_drain(struct dp_syn_table *t)
{
	while (t->used) {
		t->st.drained++;
		end_head(t, DP_SYN_END_DRAIN);
	}
}

const struct dp_syn_stats *dp_syn_table_stats(const struct dp_syn_table *t)
{
	return &t->st;
}

uint32_t dp_syn_table_capacity(const struct dp_syn_table *t)
{
	return t->cap;
}

uint64_t dp_syn_table_memory(const struct dp_syn_table *t)
{
	return t->map_bytes[0] + t->map_bytes[1];
}

uint64_t dp_syn_table_resident(const struct dp_syn_table *t)
{
	return dp_flow_resident_bytes(t->ring, t->map_bytes[0]) +
	       dp_flow_resident_bytes(t->slots, t->map_bytes[1]);
}
