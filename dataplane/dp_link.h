/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dp_link: mxscreen-dp's end of the control-plane link
 * (include/mxscreen/link.h). Workers hand finished connections over as
 * observations through an rte_ring (never blocking: a full ring or pool
 * drops and counts); one link thread (not an lcore) batches them onto the
 * unix socket, reconnecting with backoff, and reads verdicts back into the
 * verdict mirror, a lock-free rte_hash (one writer: the link thread; any
 * number of lcore readers). While the control plane is down observations
 * are dropped and counted; the mirror keeps what it knew.
 * create/destroy: main thread. observe/verdict: any worker lcore.
 */
#ifndef DP_LINK_H
#define DP_LINK_H

#include <stdint.h>

#include <mxscreen/link.h>

#include "dp_conn.h"

#define DP_LINK_MIRROR_SIZE 131072u

struct dp_link;

struct dp_link_params {
	const char *path;       /* the control plane's dataplane_socket */
	uint32_t ring_size;     /* observations queued, power of two */
	int lossless;           /* replay: drain everything queued before exit */
};

struct dp_link_stats {
	uint64_t queued;        /* observations handed over by workers */
	uint64_t dropped_full;  /* ring or pool full */
	uint64_t sent;
	uint64_t dropped_down;  /* control plane unreachable */
	uint64_t connects;
	uint64_t verdicts;      /* received */
	uint64_t mirror_full;   /* verdicts not stored: mirror full */
};

struct dp_link *dp_link_create(const struct dp_link_params *p);
/* Flush (lossless: wait until sent or the peer is gone) and stop the
 * link thread; idempotent. Workers must have stopped. */
void dp_link_stop(struct dp_link *l);
/* Stop if needed, free. NULL-safe. */
void dp_link_destroy(struct dp_link *l);

/* Worker: queue the observation of a finished connection. 0 or -ENOBUFS. */
int dp_link_observe(struct dp_link *l, const struct dp_conn_record *r);
/* Worker: the live verdict for a client address, 1 found, 0 none/expired. */
int dp_link_verdict(const struct dp_link *l, int family, const uint8_t addr[16],
		    struct dp_conn_verdict *ret);

void dp_link_stats(const struct dp_link *l, struct dp_link_stats *ret);

#endif
