/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * gen_rng: deterministic pseudo-random numbers for mxscreen-gen.
 * Header-only, no state of its own: callers own every 64-bit state word.
 *
 * Two kinds of use, kept apart on purpose: a *stream* (gen_rng_next on a
 * state word a session carries, for timing and TCP segmentation) and a
 * *hash* (gen_hash of a session seed, a tag and an index, for every
 * dialogue choice). Hashes can be recomputed at any time in any order,
 * which is what lets a session be replayed without its packets to write
 * its expected record.
 */
#ifndef GEN_RNG_H
#define GEN_RNG_H

#include <stdint.h>

/* splitmix64's output function: a bijective 64-bit mixer. */
static inline uint64_t gen_mix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

/* Next value of the stream in *@state. */
static inline uint64_t gen_rng_next(uint64_t *state)
{
	*state += 0x9e3779b97f4a7c15ull;
	return gen_mix64(*state);
}

/* Uniform in [0, @n) from the high bits of a mixed value (Lemire). */
static inline uint32_t gen_scale(uint64_t mixed, uint32_t n)
{
	return (uint32_t)(((mixed >> 32) * (uint64_t)n) >> 32);
}

/*
 * Uniform in [0, @n) from any 64-bit value: it is mixed first, so that
 * h, h >> 8, h + 1 ... give independent picks.
 */
static inline uint32_t gen_pick(uint64_t h, uint32_t n)
{
	return gen_scale(gen_mix64(h), n);
}

static inline uint32_t gen_rng_below(uint64_t *state, uint32_t n)
{
	return gen_scale(gen_rng_next(state), n);
}

/* Value in [@lo, @hi] from the stream. */
static inline uint32_t gen_rng_range(uint64_t *state, uint32_t lo, uint32_t hi)
{
	return lo + gen_rng_below(state, hi - lo + 1);
}

/* Hash of (@seed, @tag, @idx): independent for every distinct triple. */
static inline uint64_t gen_hash(uint64_t seed, uint32_t tag, uint32_t idx)
{
	return gen_mix64(seed ^ gen_mix64(((uint64_t)tag << 32) | idx));
}

/* True with probability @permille / 1000. */
static inline int gen_chance(uint64_t h, uint32_t permille)
{
	return gen_pick(h, 1000) < permille;
}

#endif
