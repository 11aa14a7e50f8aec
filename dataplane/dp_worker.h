/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dp_worker: the run-to-completion loops. A worker owns one dp_conn tracker
 * and one output handle, in one cache-aligned struct fetched once per loop
 * (l3fwd's lcore_conf). With one worker it polls the port itself; with
 * several, either each polls its own queue of a port that spreads flows
 * by symmetric RSS (both directions of a connection hash alike), or the
 * main lcore polls the one queue and steers each packet by a symmetric
 * flow hash onto the owning worker's ring, a burst per worker at a time.
 * Inline (--inline): one worker polls rx queue 0 of both ports, classifies
 * as above and transmits every packet unchanged out of the other port;
 * what the peer's tx queue does not take is freed and counted (a full tx
 * ring never stalls rx). With a greet hold (dp_hold.h) the frames it keeps
 * back are classified and sent when it releases them, checked once a loop
 * turn; at stop everything held is sent. With --inline-ports (no XDP
 * program in front) the worker enforces the verdicts itself (dp_enforce.h)
 * before anything else looks at a frame.
 * With --io-only (no tracker) the same loops receive, count and free, and
 * the dispatcher deals packets round-robin: the I/O ceiling.
 * No locks, allocation or logging in the loops; only counters. Each loop
 * turn reports a quiescent state to the rule set's and the verdict
 * mirror's RCU, under its slot.
 *
 * Cycle accounting (rte_rdtsc): a loop turn that got packets counts as
 * busy from before its rte_eth_rx_burst (or ring dequeue) to after their
 * mbufs are freed; tsc_rx is the receive part of that. The dispatcher
 * keeps its own busy cycles in struct dp_run.
 * dp_worker_stats_add may run on any thread while the worker runs (relaxed
 * reads, see dp_stats.h).
 */
#ifndef DP_WORKER_H
#define DP_WORKER_H

#include <stdatomic.h>
#include <stdint.h>

#include <rte_common.h>
#include <rte_ring.h>

#include "dp_conn.h"
#include "dp_enforce.h"
#include "dp_hold.h"
#include "dp_link.h"
#include "dp_output.h"
#include "dp_reload.h"
#include "dp_stats.h"

#define DP_WORKER_BURST 32

struct dp_run {
	atomic_int stop;          /* signal: finish now */
	atomic_int input_done;    /* dispatcher saw the end of input */
	uint64_t expect_packets;  /* replay: packets in the file, 0 live */
	uint16_t port;
	int linktype;
	int ts_off;               /* net_pcap rx timestamp (us) dynfield, -1 none */
	uint64_t ts_flag;
	int io_only;              /* no processing: receive, count, free */
	int rss;                  /* workers poll queues 0..n-1 of an RSS port */
	int shared_cpus;          /* more lcores than CPUs: yield when idle */
	uint16_t inline_port[2];  /* --inline: the two ports, each the other's peer */
	uint64_t dispatch_drops;  /* live mode: worker ring full */
	uint64_t dispatched;      /* dispatcher: packets received */
	uint64_t tsc_dispatch;    /* dispatcher: busy cycles (rx, steer, enqueue) */
};

struct dp_worker {
	struct dp_run *run;
	struct dp_conn_tracker *trk;
	struct dp_output *out;         /* NULL: no record output */
	struct dp_output_local outl;
	struct rte_ring *in;           /* dispatched mode */
	struct dp_reload *rules;       /* NULL: no rules */
	struct dp_link *link;          /* NULL: no control plane */
	const struct dp_rules_db *db;  /* the rule set in use */
	uint32_t slot;                 /* RCU thread ids and scratch slot */
	uint16_t queue;                /* rx queue polled (direct mode) */
	uint64_t rx_packets;
	uint64_t rx_bytes;             /* --io-only (the tracker counts otherwise) */
	uint64_t tsc_busy;             /* cycles of loop turns that got packets */
	uint64_t tsc_rx;               /* ... of which receiving (rx burst, dequeue) */
	uint64_t tsc_first, tsc_last;
	uint64_t inline_tx[2];         /* --inline: sent out of inline_port[i] */
	uint64_t inline_tx_drops[2];   /* --inline: refused by inline_port[i]'s tx */
	struct dp_hold *hold;          /* --inline --greet-hold-ms, else NULL */
	struct dp_enforce *enf;        /* --inline-ports: verdicts enforced here */
	uint8_t linbuf[65536] __rte_aligned(64); /* multi-segment packets */
} __rte_cache_aligned;

/* Add @w's counters to @t (any thread; approximate while @w runs). */
void dp_worker_stats_add(const struct dp_worker *w, struct dp_stats_totals *t);

/* Record callback for dp_conn_params (ctx = struct dp_worker *). */
void dp_worker_on_record(void *ctx, const struct dp_conn_record *r);

/* Poll port queue w->queue until the input ends or stop: the single
 * worker, or (lcore entry, arg = struct dp_worker *) each worker of an
 * RSS port. */
int dp_worker_main_direct(void *arg);
/* --inline: poll queue 0 of both run->inline_port[], forward to the
 * other, until stop. */
int dp_worker_main_inline(void *arg);
/* Several workers: lcore entry (arg = struct dp_worker *). */
int dp_worker_main_ring(void *arg);
/* Several workers: main-lcore dispatcher over @workers. */
void dp_worker_dispatch(struct dp_run *run, struct dp_worker *const *workers, unsigned n);

#endif
