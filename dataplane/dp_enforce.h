/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dp_enforce: verdict enforcement in mxscreen-dp itself, for inline over
 * native DPDK ports (--inline-ports), where no XDP program sees the frames
 * first. The semantics are include/mxscreen/enforce.h's, the same code the
 * XDP programs run: TCP to an SMTP port is judged by its source address's
 * verdict (the caller's lookup: the verdict mirror); drop drops, throttle
 * drops SYNs its token bucket refuses, tag rewrites the DSCP in place,
 * shadow only counts. Everything else is forwarded untouched and counted
 * as not judged; malformed frames are forwarded and counted.
 *
 * Token buckets: one per client address (IPv6: per address, where the XDP
 * program buckets a /64 verdict per /64), in a bounded table of
 * max_buckets (8-way sets; a full set replaces its least recently used
 * bucket, as the XDP programs' LRU map does).
 *
 * Pure C, no DPDK; one owner thread (the inline worker), no locks, no
 * allocation after create.
 */
#ifndef DP_ENFORCE_H
#define DP_ENFORCE_H

#include <stdint.h>

#include <mxscreen/enforce.h>

#include "dp_conn.h"

#define DP_ENFORCE_MAX_PORTS 16

/* 1 and *ret filled when @addr has a live verdict, else 0. */
typedef int (*dp_enforce_lookup_fn)(void *ctx, int family, const uint8_t addr[16],
				    struct dp_conn_verdict *ret);

struct dp_enforce_params {
	uint32_t max_buckets;        /* 0: 65,536 */
	uint8_t tag_dscp;            /* 0-63 */
	uint32_t throttle_rate;      /* SYNs a second */
	uint32_t throttle_burst;
	int shadow;                  /* count only */
	int linktype;
	const uint16_t *smtp_ports;
	uint32_t n_smtp_ports;       /* at most DP_ENFORCE_MAX_PORTS used */
	dp_enforce_lookup_fn lookup; /* NULL: no verdicts */
	void *ctx;
};

struct dp_enforce_stats {
	uint64_t pkts[MXS_ACTION_COUNT];  /* judged, by the action applied */
	uint64_t bytes[MXS_ACTION_COUNT];
	uint64_t shadow[MXS_ACTION_COUNT]; /* would-be actions in shadow */
	uint64_t syn_throttled;
	uint64_t syn_admitted;
	uint64_t not_smtp;
	uint64_t parse_errors;
	uint64_t buckets_replaced;
};

struct dp_enforce;

/* NULL with errno EINVAL or ENOMEM. */
struct dp_enforce *dp_enforce_create(const struct dp_enforce_params *p);
void dp_enforce_destroy(struct dp_enforce *e);

/*
 * Judge the frame [@frame, @frame + @len) at @now_ns (CLOCK_MONOTONIC):
 * MXS_ENF_FORWARD (a tag rewrote it in place) or MXS_ENF_DROP.
 */
int dp_enforce_frame(struct dp_enforce *e, uint8_t *frame, uint32_t len, uint64_t now_ns);

void dp_enforce_get_stats(const struct dp_enforce *e, struct dp_enforce_stats *st);

#endif
