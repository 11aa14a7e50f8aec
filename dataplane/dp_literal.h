/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dp_literal: the literal fast path of the rules engine. Rules whose
 * pattern is a pure literal in one of three anchored shapes
 *   exact   ^LIT$
 *   suffix  LIT$   LIT starting with "\." or "@"
 *   prefix  ^LIT
 * are answered by hash lookups instead of Hyperscan, with exactly
 * Hyperscan's matches (the precise rules are in dp_literal.c). No DPDK,
 * no Hyperscan.
 *
 * Owns: one struct dp_literal (hash tables, rule refs, the literals as
 * written); dp_literal_free releases all of it. It does not own the
 * patterns it was built from, nor any hit counters.
 *
 * Threads: dp_literal_create/dp_literal_free run on a control or main
 * thread (today only dp_rules_load/dp_rules_db_free call them). A built
 * object is immutable: dp_literal_scan may run on any number of lcores at
 * once, and allocates, locks and logs nothing.
 */
#ifndef DP_LITERAL_H
#define DP_LITERAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct dp_literal;

/* One rule offered to the fast path. */
struct dp_literal_rule {
	const char *pattern;    /* as Hyperscan would see it, macros expanded */
	uint32_t id;            /* passed back on a hit (dp_rules: rule index) */
	bool caseless;          /* flag i */
	bool utf8;              /* flag u: never taken (Unicode case folding) */
};

struct dp_literal_params {
	/* Rules of one field. Hits of one key are reported in ascending id
	 * order, so ascending ids keep the callback order stable. */
	const struct dp_literal_rule *rules;
	uint32_t n_rules;
};

/*
 * Build the fast path for those of @p->rules it can answer; sets
 * @ret_taken[i] to 1 for each such rule i and leaves the others alone
 * (they stay the caller's, i.e. Hyperscan's). Returns 0 and the object in
 * @ret_lit, NULL when no rule fits (nothing is taken then), or -ENOMEM
 * (nothing returned, @ret_taken untouched) or -EINVAL for bad arguments.
 */
int dp_literal_create(const struct dp_literal_params *p,
		      struct dp_literal **ret_lit, uint8_t *ret_taken);

/* NULL is a no-op. */
void dp_literal_free(struct dp_literal *lit);

/* Called for each rule whose literal matches, at most once per scan. */
typedef void (*dp_literal_hit_fn)(void *ctx, uint32_t id);

/*
 * Look up the @n bytes at @v (NULL only with @n 0) and call @fn for each
 * rule that matches. Reads at most the longest literal's length of @v
 * (plus a final '\n'), however long @n is.
 */
void dp_literal_scan(const struct dp_literal *lit, const char *v, size_t n,
		     dp_literal_hit_fn fn, void *ctx);

#endif
