/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * gen_bg: traffic around the SMTP sessions. Background: DNS queries and
 * answers over UDP, ICMP echo pairs, and HTTPS connections on port 443
 * (a small pool of gen_sess sessions advanced a turn at a time), none of
 * which mxscreen-dp reports. Flood: SYNs from spoofed random sources to
 * the mail servers' port 25, some answered by a SYN-ACK, none completed.
 * Single-threaded; fixed memory (the pool).
 */
#ifndef GEN_BG_H
#define GEN_BG_H

#include <stdint.h>

#include "gen_pcap.h"
#include "gen_sess.h"
#include "gen_wire.h"
#include "gen_world.h"

struct gen_bg_params {
	uint64_t seed;
	const struct gen_sess_env *env; /* wire, world, scratch for HTTPS */
	struct gen_pcap *pcap;
	uint32_t ipv6_ppm;              /* share of IPv6 flood sources */
};

struct gen_bg;

struct gen_bg *gen_bg_create(const struct gen_bg_params *p);
void gen_bg_free(struct gen_bg *b);

/*
 * One piece of background traffic at @ts, answers no later than @ts_max
 * (the next session packet); returns packets written.
 */
uint32_t gen_bg_background(struct gen_bg *b, uint64_t ts, uint64_t ts_max);

/* One flood SYN (maybe with its SYN-ACK) at @ts..@ts_max; returns packets written. */
uint32_t gen_bg_flood(struct gen_bg *b, uint64_t ts, uint64_t ts_max);

#endif
