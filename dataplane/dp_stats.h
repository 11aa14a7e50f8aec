/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dp_stats: run totals of mxscreen-dp, summed from the workers at exit,
 * written as JSON (--stats-json) and as a one-line summary. Main thread.
 */
#ifndef DP_STATS_H
#define DP_STATS_H

#include <stdint.h>
#include <stdio.h>

#include "dp_conn.h"
#include "dp_link.h"
#include "dp_reload.h"

struct dp_stats_totals {
	struct dp_conn_stats conn;
	struct dp_flow_stats flow;
	uint64_t records_written;
	uint64_t records_dropped;
	uint64_t dispatch_drops;
	uint64_t port_ipackets;  /* what the PMD received */
	uint64_t port_imissed;   /* what it dropped for lack of room */
	uint64_t port_ierrors;
	uint64_t tsc_busy;      /* cycles spent processing, all workers */
	uint64_t tsc_hz;
	uint64_t memory_bytes;  /* reserved for flow and parser state */
	uint32_t workers;
	double elapsed_s;       /* first to last packet processed (wall) */
	struct dp_reload *rules; /* NULL: no rules loaded */
	int has_link;
	struct dp_link_stats link;
};

void dp_stats_add(struct dp_stats_totals *t, const struct dp_conn_stats *c,
		  const struct dp_flow_stats *f);
/* 0 or -errno. "-" writes to stdout. */
int dp_stats_write_json(const char *path, const struct dp_stats_totals *t);
void dp_stats_summary(FILE *f, const struct dp_stats_totals *t);

#endif
