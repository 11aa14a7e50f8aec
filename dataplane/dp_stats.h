/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dp_stats: run totals of mxscreen-dp, summed from the workers at exit,
 * written as JSON (--stats-json) and as a one-line summary (main thread);
 * and the same sums taken live for the control link's DP_STATS snapshot
 * (link thread). The sums read each worker counter with a relaxed load,
 * without stopping or locking the worker: while workers run they are
 * approximate (each counter is a recent value, counters are not from one
 * instant), exact once the workers have stopped.
 */
#ifndef DP_STATS_H
#define DP_STATS_H

#include <stdint.h>
#include <stdio.h>

#include <mxscreen/link.h>

#include "dp_conn.h"
#include "dp_enforce.h"
#include "dp_hold.h"
#include "dp_link.h"
#include "dp_reload.h"

struct dp_stats_totals {
	struct dp_conn_stats conn;
	struct dp_flow_stats flow;
	struct dp_syn_stats syn;
	uint64_t records_written;
	uint64_t records_dropped;
	uint64_t dispatch_drops;
	uint64_t port_ipackets;  /* what the PMD received */
	uint64_t port_imissed;   /* what it dropped for lack of room */
	uint64_t port_ierrors;
	uint64_t tsc_busy;      /* cycles of busy loop turns, all workers */
	uint64_t tsc_rx;        /* ... of which receiving */
	uint64_t tsc_dispatch;  /* dispatcher busy cycles (several workers, no RSS) */
	uint64_t dispatched;    /* packets the dispatcher received */
	uint64_t tsc_hz;
	struct dp_conn_mem mem; /* flow and parser state, all workers */
	uint32_t workers;
	int io_only;            /* --io-only: no tracker, no flow figures */
	const char *steering;   /* "none", "rss", "dispatcher" */
	double elapsed_s;       /* first to last packet processed (wall) */
	struct dp_reload *rules; /* NULL: no rules loaded */
	int has_link;
	struct dp_link_stats link;
	int is_inline;          /* --inline: the two ports' forwarding */
	uint64_t inline_tx[2];  /* sent out of OUTSIDE (0), INSIDE (1) */
	uint64_t inline_tx_drops[2];
	int has_enforce;        /* --inline-ports */
	struct dp_enforce_stats enforce;
	int has_hold;           /* --greet-hold-ms */
	struct dp_hold_stats hold;
};

void dp_stats_add(struct dp_stats_totals *t, const struct dp_conn_stats *c,
		  const struct dp_flow_stats *f, const struct dp_syn_stats *h);
/*
 * The DP_STATS view of @t: the traffic, flow, record, anomaly and rules
 * fields of @ret (not ts_ns, started_ns, pid, obs_*, verdicts_received),
 * and, with t->rules, up to @max rule hit records into @ret_hits with
 * ret->n_rule_hits set. Not for workers (dp_reload_top_hits allocates).
 */
void dp_stats_to_link(const struct dp_stats_totals *t, struct mxs_dp_stats *ret,
		      struct mxs_rule_hit *ret_hits, uint32_t max);
/* 0 or -errno. "-" writes to stdout. */
int dp_stats_write_json(const char *path, const struct dp_stats_totals *t);
void dp_stats_summary(FILE *f, const struct dp_stats_totals *t);

#endif
