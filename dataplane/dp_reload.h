/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dp_reload: the live rule set of mxscreen-dp and its hot reload.
 * A reloader thread (not an lcore) recompiles the rules when asked
 * (SIGHUP, later a control-plane message); success publishes the new
 * database with one atomic store and frees the old one after an RCU grace
 * period (rte_rcu_qsbr), so workers never lock, wait or drop a packet;
 * failure keeps the old database, logs "FILE:LINE: reason" and counts.
 * Hits per rule id are kept across reloads.
 *
 * Workers: dp_reload_current / dp_reload_quiescent / dp_reload_offline
 * from their own lcore, with their slot. Main thread: create, destroy.
 * dp_reload_request: any thread, async-signal-safe. dp_reload_stats,
 * dp_reload_last_error, dp_reload_top_hits: any non-worker thread (the
 * control link's), under a mutex that only the reloader and these take,
 * never held across the RCU grace period and never taken by a worker.
 */
#ifndef DP_RELOAD_H
#define DP_RELOAD_H

#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>

#include <mxscreen/link.h>

#include "dp_rules.h"

struct dp_reload;

struct dp_reload_stats {
	uint64_t reload_ok;
	uint64_t reload_failed;
	uint32_t rules_loaded;     /* in the live database */
};

/* Called on the reloader thread after each reload, done or refused. */
typedef void (*dp_reload_done_fn)(void *ctx);

/*
 * Take ownership of @initial (loaded from @path with @n_slots scratch
 * slots) and start the reloader; @on_done (may be NULL) is called with
 * @ctx after each reload, once its counters are updated. Returns NULL with
 * errno set.
 */
struct dp_reload *dp_reload_create(const char *path, uint32_t n_slots,
				   struct dp_rules_db *initial,
				   dp_reload_done_fn on_done, void *ctx);

const struct dp_rules_db *dp_reload_current(const struct dp_reload *r);
void dp_reload_online(struct dp_reload *r, uint32_t slot);
void dp_reload_quiescent(struct dp_reload *r, uint32_t slot);
void dp_reload_offline(struct dp_reload *r, uint32_t slot);

/* Ask for a reload (signal handlers may call it). */
void dp_reload_request(struct dp_reload *r);

/* The last refused reload's "FILE:LINE: reason" into @buf (NUL-terminated,
 * truncated to @len), "" when none was refused. */
void dp_reload_last_error(struct dp_reload *r, char *buf, size_t len);

/*
 * Up to @max rules with at least one hit since the start, over every
 * database that was live (rules that a reload removed included, with their
 * last id, field, score and msg): most hits first, ties by lower id.
 * Returns how many were written to @ret. Counts are approximate while
 * workers run. Allocates: never call it from a worker.
 */
uint32_t dp_reload_top_hits(struct dp_reload *r, struct mxs_rule_hit *ret, uint32_t max);

/*
 * Stop the reloader (waiting for a reload in progress); all workers must be
 * offline. Writes the rule statistics as a JSON object body to @f when not
 * NULL, then frees everything. NULL-safe.
 */
void dp_reload_stats(const struct dp_reload *r, struct dp_reload_stats *ret);
void dp_reload_write_json(struct dp_reload *r, FILE *f);
void dp_reload_destroy(struct dp_reload *r);

#endif
