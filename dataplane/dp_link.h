/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dp_link: mxscreen-dp's end of the control-plane link
 * (include/mxscreen/link.h). Workers hand finished connections over as
 * observations through an rte_ring (never blocking: a full ring or pool
 * drops and counts); one link thread (not an lcore) batches them onto the
 * unix socket, reconnecting with backoff, sends a stats snapshot (DP_STATS
 * + RULE_HITS) about once a second, on dp_link_stats_soon and at stop, and
 * reads verdicts and RULES_RELOAD requests back. While the control plane
 * is down observations are dropped and counted; the mirror keeps what it
 * knew.
 *
 * The verdict mirror has one writer, the link thread, and any number of
 * lcore readers that never lock: /32, /64 and /128 keys live in a
 * lock-free rte_hash; other prefix lengths in a bounded list, published
 * copy-on-write into one of two buffers, longest prefix first. A verdict
 * with action none removes its key. Removed hash slots and the retired
 * list buffer are reused only after every reader slot has passed a
 * quiescent state (rte_rcu_qsbr), which the link thread checks without
 * ever waiting, so a worker stalled on a full ring cannot deadlock it.
 *
 * create/stop/destroy: main thread. observe/verdict/online/quiescent/
 * offline: worker lcores, with their reader slot. stats_soon: any thread.
 * The params callbacks run on the link thread.
 */
#ifndef DP_LINK_H
#define DP_LINK_H

#include <stdint.h>

#include <mxscreen/link.h>

#include "dp_conn.h"

#define DP_LINK_MIRROR_SIZE 131072u
#define DP_LINK_MAX_CIDRS 1024u   /* verdicts other than /32, /64, /128 */

struct dp_link;

struct dp_link_params {
	const char *path;       /* the control plane's dataplane_socket */
	uint32_t ring_size;     /* observations queued, power of two */
	int lossless;           /* replay: drain everything queued before exit */
	uint32_t n_readers;     /* worker slots 0..n-1 that call dp_link_verdict */
	/*
	 * Fill @ret with everything but ts_ns, obs_* and verdicts_received
	 * (dp_link's own), and up to @max rule hit records into @ret_hits,
	 * setting ret->n_rule_hits. Must not lock anything a worker takes.
	 * NULL: no stats are sent.
	 */
	void (*snapshot)(void *ctx, struct mxs_dp_stats *ret,
			 struct mxs_rule_hit *ret_hits, uint32_t max);
	/*
	 * A RULES_RELOAD arrived: 0 when a reload was requested (its end is
	 * reported through dp_link_stats_soon), -ENOENT when no rules are
	 * loaded (a snapshot is then sent at once). NULL: as -ENOENT.
	 */
	int (*reload)(void *ctx);
	void *ctx;
};

struct dp_link_stats {
	uint64_t queued;        /* observations handed over by workers */
	uint64_t dropped_full;  /* ring or pool full */
	uint64_t sent;
	uint64_t dropped_down;  /* control plane unreachable */
	uint64_t connects;
	uint64_t verdicts;      /* received */
	uint64_t verdicts_invalid; /* bad family or prefix length: ignored */
	uint64_t mirror_full;   /* verdicts not stored: mirror or CIDR list full */
	uint64_t stats_sent;    /* DP_STATS snapshots */
	uint64_t reload_requests; /* RULES_RELOAD received */
};

struct dp_link *dp_link_create(const struct dp_link_params *p);
/* Flush (lossless: wait until sent or the peer is gone) and stop the
 * link thread; idempotent. Workers must have stopped. */
void dp_link_stop(struct dp_link *l);
/* Stop if needed, free. NULL-safe. */
void dp_link_destroy(struct dp_link *l);

/* Worker: queue the observation of a finished connection. 0 or -ENOBUFS. */
int dp_link_observe(struct dp_link *l, const struct dp_conn_record *r);
/*
 * Worker: the live verdict for a client address, 1 found, 0 none. The
 * exact keys first (v4 /32; v6 /128, then /64), then the CIDR list,
 * longest prefix first; expired entries count as absent.
 */
int dp_link_verdict(const struct dp_link *l, int family, const uint8_t addr[16],
		    struct dp_conn_verdict *ret);

/* Worker reader slots: online before the first dp_link_verdict,
 * quiescent once per loop (holding no mirror pointer), offline at the end. */
void dp_link_online(struct dp_link *l, uint32_t slot);
void dp_link_quiescent(struct dp_link *l, uint32_t slot);
void dp_link_offline(struct dp_link *l, uint32_t slot);

/* Any thread (async-signal-safe): send a stats snapshot soon. */
void dp_link_stats_soon(struct dp_link *l);

void dp_link_stats(const struct dp_link *l, struct dp_link_stats *ret);

#endif
