/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dp_rules: rules files -> per-field Hyperscan block-mode databases, and
 * the scan of one field value. No DPDK.
 *
 * Load/compile (dp_rules_load, dp_rules_db_free): any non-worker thread;
 * never in the fast path. A loaded db is immutable and may be read by many
 * lcores at once; each lcore scans with its own scratch (db->scratch[i],
 * cloned with hs_clone_scratch at load time) and counts hits in its own
 * row of db->hits. dp_rules_scan: the lcore owning that scratch.
 *
 * File format, one item a line ('#' starts a comment, blank lines ok):
 *   FIELD /PATTERN/FLAGS score=N id=N msg="TEXT"
 *   define NAME = VALUE [VALUE...]    (error if NAME is already defined)
 *   default NAME = VALUE [VALUE...]   (only if NAME is not yet defined)
 * FIELD: helo | mail_from | rcpt_to. FLAGS: any of i (caseless), u (UTF-8
 * + Unicode properties). PATTERN may contain "\/" for a slash and
 * %{NAME}, replaced by (?:v1|v2|...) of the regex-escaped values.
 * score: integer in [-DP_RULES_SCORE_MAX, DP_RULES_SCORE_MAX]; id: integer
 * in [1, 2^31-1], unique across everything loaded; msg: required,
 * double-quoted, \" and \\ escapes, at most DP_RULES_MSG_MAX bytes.
 * Keys may come in any order, each exactly once.
 * A directory loads its *.rules files in byte order of their names; macros
 * carry across files in that order.
 *
 * Literal fast path: a rule whose pattern is a pure literal LIT in one of
 * the shapes ^LIT$, LIT$ with LIT starting with "\." or "@", or ^LIT
 * (the exact rules are in dp_literal.c) is answered by hash lookups, never
 * by Hyperscan, with the same matches, hits and counts. db->db[f] holds only
 * field f's other rules, so it is NULL when all of them (or none) are on
 * the fast path; db->n_lit[f] counts those that are.
 * Gates: a rule off the fast path whose pattern ends in a literal tail
 * and $ with a dotted key (\d+\.dyn\.isp42\.net$: the value must end in
 * .dyn.isp42.net; the exact rules are in dp_literal.c) is compiled into one
 * of field f's gate databases, db->gate[f] (DP_RULES_GATE_SHARD rules each,
 * rules with the same first key together), not into db->db[f]. The fast
 * path's lookups tell which gated rules a value may match, and
 * dp_rules_scan runs only their gate databases, each at most once a scan,
 * after db->db[f]: the same matches, hits and counts as with every rule in
 * db->db[f]. db->n_gated[f] counts field f's gated rules; db->db[f] is
 * NULL when none is left for it.
 * Test only: MXS_RULES_NO_FASTPATH set (non-empty, not "0") in the
 * environment of dp_rules_load puts every rule in db->db[f] (no fast path,
 * no gates), so tests can compare the two paths. Never set it in
 * production.
 */
#ifndef DP_RULES_H
#define DP_RULES_H

#include <stddef.h>
#include <stdint.h>

#include <hs/hs.h>

#include <mxscreen/field.h>

#define DP_RULES_SCORE_MAX 10000
#define DP_RULES_MSG_MAX 200u
#define DP_RULES_MAX 100000u        /* rules in one load */
#define DP_RULES_MAX_LCORES 128u
#define DP_RULES_ERR_MAX 512u
#define DP_RULES_GATE_SHARD 128u    /* gated rules in one gate database */

struct dp_rule {
	uint32_t id;
	int32_t score;
	uint8_t field;                  /* enum mxs_field */
	uint8_t flags;                  /* DP_RULE_F_* as written */
	uint16_t pad;
	uint32_t line;
	const char *file;               /* owned by the db */
	const char *msg;                /* owned by the db */
	const char *pattern;            /* as written, macros expanded */
};
#define DP_RULE_F_CASELESS 0x01
#define DP_RULE_F_UTF8 0x02

/* One Hyperscan database of gated rules (see "Gates" above). */
struct dp_rules_gate {
	hs_database_t *db;
	uint32_t *expr_rule;                 /* expression id -> rule index */
	uint32_t n_expr;
};

struct dp_rules_db {
	uint32_t n_rules;
	struct dp_rule *rules;               /* by rule index */
	hs_database_t *db[MXS_FIELD_COUNT];  /* NULL: no Hyperscan rule for the field */
	/* Hyperscan expression id of field f's db -> rule index */
	uint32_t *expr_rule[MXS_FIELD_COUNT];
	uint32_t n_scratch;
	hs_scratch_t **scratch;              /* one per lcore slot; all NULL when no
	                                        field has a Hyperscan db (db[f]
	                                        or gate[f]) */
	uint64_t *hits;                      /* [slot * hits_stride + rule index] */
	uint32_t hits_stride;                /* rule count rounded up to a cache line */
	char *strings;                       /* file names, msgs, patterns */
	/* literal fast path of field f (opaque, dp_literal.h); NULL: none */
	struct dp_literal *lit[MXS_FIELD_COUNT];
	uint32_t n_lit[MXS_FIELD_COUNT];     /* field f's rules on the fast path */
	/* gate databases of field f; NULL: none */
	struct dp_rules_gate *gate[MXS_FIELD_COUNT];
	uint32_t n_gate[MXS_FIELD_COUNT];    /* gate databases of field f */
	uint32_t n_gated[MXS_FIELD_COUNT];   /* field f's gated rules */
	uint32_t *rule_gate;                 /* [rule index] index of its gate
	                                        database in gate[its field];
	                                        UINT32_MAX: not gated */
};

struct dp_rules_params {
	const char *path;     /* a file, or a directory of *.rules */
	uint32_t n_scratch;   /* scratches/hit rows to prepare (lcores), >= 1 */
};

/*
 * Parse and compile everything under @p->path. Returns 0 and the db in
 * @ret_db, or -errno with "FILE:LINE: reason" (or "PATH: reason" when no
 * line is involved) in @err: -ENOENT/-EACCES/-ENOTDIR for paths, -EINVAL
 * for any bad line, including Hyperscan's own message for a pattern it
 * rejects, -ENOMEM. Nothing is returned on error: all or nothing.
 * A directory with no *.rules file is an error (-ENOENT).
 */
int dp_rules_load(const struct dp_rules_params *p, struct dp_rules_db **ret_db,
		  char *err, size_t errlen);

void dp_rules_db_free(struct dp_rules_db *db);

/* Callback for each rule whose pattern matches, at most once per scan. */
typedef void (*dp_rules_hit_fn)(void *ctx, const struct dp_rule *r, uint32_t rule_index);

/*
 * Scan @n bytes of field @field with scratch slot @slot; calls @fn for each
 * matching rule and counts it in that slot's hit row. Returns the number of
 * rules that matched, or -EIO if Hyperscan failed (counted by the caller).
 */
int dp_rules_scan(const struct dp_rules_db *db, uint32_t slot, unsigned field,
		  const char *p, size_t n, dp_rules_hit_fn fn, void *ctx);

/* Total hits of rule index @i over all slots (readers may race writers:
 * a monotonic, possibly slightly stale count). */
uint64_t dp_rules_hits(const struct dp_rules_db *db, uint32_t i);

#endif
