/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dp_hold: the inline greet hold (mxscreen-dp --greet-hold-ms). The server's
 * first payload on a new SMTP connection (its 220 banner) is held for a
 * fixed time on its way to the client; the caller classifies a held frame
 * only when it is released, so a client that talks inside the window is
 * seen talking before the banner: the parser's pregreet, as Postfix
 * postscreen's greet wait, without owning the socket.
 *
 * Which connections: the server (source port one of the SMTP ports) sends
 * SYN+ACK: the flow is armed. Its first server payload is held and the flow
 * holds until now + hold_ns; every later server frame of the flow until
 * then is queued behind it (in order; past per_flow they are dropped: the
 * server retransmits). Client payload on an armed flow disarms it (the
 * client spoke first: implicit TLS, or a pregreet without help). Frames of
 * other flows, client frames and non-TCP pass.
 *
 * Bounded: max_flows armed or holding flows (a new arming replaces the
 * bucket's oldest armed flow, never a holding one; armed flows expire
 * after arm_ns) and max_packets held frames. When either is full a banner
 * passes unheld and is counted: the hold fails open, never closed.
 *
 * Frames are opaque pointers (mbufs) with the index of the port they leave
 * by; dp_hold never touches them. One owner thread, no locks; no allocation
 * after create. Times are any monotonic ns clock, the caller's.
 */
#ifndef DP_HOLD_H
#define DP_HOLD_H

#include <stdint.h>

#define DP_HOLD_MAX_PORTS 16

struct dp_hold_params {
	uint64_t hold_ns;          /* > 0 */
	uint64_t arm_ns;           /* armed flow without a banner expires; 0: 30 s */
	uint32_t max_flows;        /* 0: 65,536 */
	uint32_t max_packets;      /* 0: 4,096 */
	uint32_t per_flow;         /* 0: 16 */
	int linktype;              /* enum dp_linktype */
	const uint16_t *smtp_ports;
	uint32_t n_smtp_ports;     /* at most DP_HOLD_MAX_PORTS used */
};

struct dp_hold_stats {
	uint64_t armed;            /* SYN+ACKs from an SMTP port */
	uint64_t flows_held;       /* banners held */
	uint64_t frames_held;      /* frames held (banners and what queued behind) */
	uint64_t released;         /* frames given back */
	uint64_t dropped;          /* queued frames past per_flow: caller frees */
	uint64_t disarmed;         /* client spoke first on an armed flow */
	uint64_t full;             /* banners passed unheld: a bound was reached */
	uint32_t holding;          /* frames held now */
};

enum dp_hold_verdict {
	DP_HOLD_PASS = 0,          /* classify and forward it now */
	DP_HOLD_HELD,              /* kept: comes back from dp_hold_release */
	DP_HOLD_DROP,              /* the caller frees it */
};

struct dp_hold_frame {
	void *frame;
	uint32_t port;             /* what the caller gave with it */
};

struct dp_hold;

/* NULL with errno EINVAL (hold_ns 0, no ports) or ENOMEM. */
struct dp_hold *dp_hold_create(const struct dp_hold_params *p);
void dp_hold_destroy(struct dp_hold *h);

/*
 * One received frame (@bytes, @len: its first contiguous bytes, every
 * header) that would leave by @port at @now. Returns enum dp_hold_verdict.
 */
int dp_hold_offer(struct dp_hold *h, const uint8_t *bytes, uint32_t len,
		  void *frame, uint32_t port, uint64_t now);

/*
 * Up to @max frames due at @now (all of them with @now UINT64_MAX), in the
 * order they were held, each flow's together. Returns how many.
 */
uint32_t dp_hold_release(struct dp_hold *h, uint64_t now,
			 struct dp_hold_frame *out, uint32_t max);

/* The earliest release time of what is held, UINT64_MAX when nothing is. */
uint64_t dp_hold_next(const struct dp_hold *h);

void dp_hold_get_stats(const struct dp_hold *h, struct dp_hold_stats *st);

#endif
