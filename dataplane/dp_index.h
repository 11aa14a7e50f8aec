/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dp_index: the open-addressing index shared by dp_flow and dp_syn. A slot
 * holds a 32-bit hash and an entry number + 1 (0: empty); linear probing
 * from hash & mask, at most half full, backward-shift deletion (probe
 * chains stay intact without tombstones). Header-only: the callers' hot
 * paths inline it. Lookups stay with the callers, which compare their
 * own keys.
 */
#ifndef DP_INDEX_H
#define DP_INDEX_H

#include <stdint.h>

struct dp_index_slot {
	uint32_t hash;
	uint32_t idx1; /* entry + 1, 0 empty */
};

/* The mask of an index for @entries entries: a power of two of slots, at
 * least twice the entries (at most half full). */
static inline uint32_t dp_index_mask(uint32_t entries)
{
	uint64_t nslots = 2;

	while (nslots < 2ull * entries)
		nslots <<= 1;
	return (uint32_t)(nslots - 1);
}

static inline void dp_index_insert(struct dp_index_slot *slots, uint32_t mask,
				   uint32_t hash, uint32_t idx1)
{
	uint32_t s;

	for (s = hash & mask; slots[s].idx1; s = (s + 1) & mask)
		;
	slots[s] = (struct dp_index_slot){ hash, idx1 };
}

/* Remove the slot naming @idx1 (which is in the index, under @hash). */
static inline void dp_index_delete(struct dp_index_slot *slots, uint32_t mask,
				   uint32_t hash, uint32_t idx1)
{
	uint32_t i = hash & mask;

	while (slots[i].idx1 != idx1)
		i = (i + 1) & mask;
	for (uint32_t j = (i + 1) & mask;; j = (j + 1) & mask) {
		uint32_t home;

		if (slots[j].idx1 == 0)
			break;
		home = slots[j].hash & mask;
		/* Move j into the hole at i unless home lies cyclically in (i, j]. */
		if (((j - home) & mask) >= ((j - i) & mask)) {
			slots[i] = slots[j];
			i = j;
		}
	}
	slots[i] = (struct dp_index_slot){ 0, 0 };
}

#endif
