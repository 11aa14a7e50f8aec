/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dp_literal: the literal fast path of the rules engine. Rules whose
 * pattern is a pure literal in one of three anchored shapes
 *   exact   ^LIT$
 *   suffix  LIT$   LIT starting with "\." or "@"
 *   prefix  ^LIT
 * are answered by hash lookups instead of Hyperscan, with exactly
 * Hyperscan's matches (the precise rules are in dp_literal.c).
 * Gates: a rule it cannot answer but whose pattern ends in a literal tail
 * and $ (\d+\.dyn\.isp42\.net$, ^mx\d*\.spam\.(?:com|net)$) can only match
 * a value that ends in one of a few dotted keys (.dyn.isp42.net; .spam.com,
 * .spam.net). The same lookups report those "gate hits"; the caller runs
 * Hyperscan on such a rule only then, not on every value. No DPDK, no
 * Hyperscan.
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

/* What dp_literal_create did with a rule (@ret_taken). */
#define DP_LITERAL_ANSWERED 1   /* answered by the fast path alone */
#define DP_LITERAL_GATED 2      /* the caller's (Hyperscan's) to match, but
				   only worth trying after a gate hit */

/*
 * Build the fast path for those of @p->rules it can answer or gate; sets
 * @ret_taken[i] to DP_LITERAL_ANSWERED or DP_LITERAL_GATED for each such
 * rule i and leaves the others alone (they stay the caller's, i.e.
 * Hyperscan's, on every value). For a gated rule i, @ret_gate_key[i] (if
 * @ret_gate_key is not NULL) is a hash of its first key, the same for
 * rules whose first keys are the same: the caller can keep such rules
 * together. Returns 0 and the object in @ret_lit, NULL when no rule fits
 * (nothing is taken then), or -ENOMEM (nothing returned, @ret_taken and
 * @ret_gate_key untouched) or -EINVAL for bad arguments.
 */
int dp_literal_create(const struct dp_literal_params *p, struct dp_literal **ret_lit,
		      uint8_t *ret_taken, uint64_t *ret_gate_key);

/* NULL is a no-op. */
void dp_literal_free(struct dp_literal *lit);

/* Called for each rule whose literal matches, at most once per scan. */
typedef void (*dp_literal_hit_fn)(void *ctx, uint32_t id);

/*
 * Look up the @n bytes at @v (NULL only with @n 0): call @fn for each
 * answered rule that matches, and @gate_fn (may be NULL) for each gated
 * rule the value may match: the value (less one final '\n') ends in one
 * of its keys. A gated rule can be reported more than once per scan (a
 * value can end in two of its keys); a gated rule that is not reported
 * does not match. Reads at most the longest key's length of @v (plus a
 * final '\n'), however long @n is.
 */
void dp_literal_scan(const struct dp_literal *lit, const char *v, size_t n,
		     dp_literal_hit_fn fn, dp_literal_hit_fn gate_fn, void *ctx);

#endif
