/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * gen_sched: the generator's main loop. Keeps `concurrency` sessions live
 * in a fixed array, ordered by the time of their next turn in a binary
 * heap, and plays the earliest turn each step; a finished session's slot
 * takes the next connection. Between session packets it places flood and
 * background packets so that they make up the requested shares of all
 * packets. Memory is one small struct and one heap word per live session.
 * Single-threaded.
 */
#ifndef GEN_SCHED_H
#define GEN_SCHED_H

#include <stdint.h>
#include <stdio.h>

#include "gen_body.h"
#include "gen_pcap.h"
#include "gen_wire.h"
#include "gen_world.h"

#define GEN_SCHED_MAX_CONCURRENCY (1u << 20)

struct gen_sched_params {
	uint64_t seed;
	uint64_t connections;      /* SMTP-port connections in all */
	uint32_t concurrency;      /* live at once */
	double background;         /* share of packets that are background */
	double flood;              /* share of packets that are flood SYNs */
	int adversarial;
	uint32_t ipv6_ppm;
	const struct gen_world *world;
	const struct gen_body *body;
	struct gen_pcap *pcap;
	struct gen_wire *wire;
	FILE *truth;               /* NULL: no expected records */
};

struct gen_sched_stats {
	uint64_t connections;
	uint64_t expected;         /* lines written to the truth file */
	uint64_t session_packets;
	uint64_t background_packets;
	uint64_t flood_packets;
	uint64_t first_us;
	uint64_t last_us;
};

/* Run to the end; 0 or -errno (write errors, allocation). */
int gen_sched_run(const struct gen_sched_params *p, struct gen_sched_stats *ret);

#endif
