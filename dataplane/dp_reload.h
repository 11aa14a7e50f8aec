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
 * from their own lcore, with their slot. Main thread: create, request,
 * destroy. dp_reload_request is async-signal-safe.
 */
#ifndef DP_RELOAD_H
#define DP_RELOAD_H

#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>

#include "dp_rules.h"

struct dp_reload;

struct dp_reload_stats {
	uint64_t reload_ok;
	uint64_t reload_failed;
	uint32_t rules_loaded;     /* in the live database */
};

/*
 * Take ownership of @initial (loaded from @path with @n_slots scratch
 * slots) and start the reloader. Returns NULL with errno set.
 */
struct dp_reload *dp_reload_create(const char *path, uint32_t n_slots,
				   struct dp_rules_db *initial);

const struct dp_rules_db *dp_reload_current(const struct dp_reload *r);
void dp_reload_online(struct dp_reload *r, uint32_t slot);
void dp_reload_quiescent(struct dp_reload *r, uint32_t slot);
void dp_reload_offline(struct dp_reload *r, uint32_t slot);

/* Ask for a reload (signal handlers may call it). */
void dp_reload_request(struct dp_reload *r);

/*
 * Stop the reloader (waiting for a reload in progress); all workers must be
 * offline. Writes the rule statistics as a JSON object body to @f when not
 * NULL, then frees everything. NULL-safe.
 */
void dp_reload_stats(const struct dp_reload *r, struct dp_reload_stats *ret);
void dp_reload_write_json(struct dp_reload *r, FILE *f);
void dp_reload_destroy(struct dp_reload *r);

#endif
