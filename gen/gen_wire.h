/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * gen_wire: turns what one side of a TCP connection says into segments on
 * the capture: sequence and acknowledgement numbers, IP ids, MSS-sized
 * segments, PSH/FIN, and the capture clock (timestamps never go back).
 * In adversarial mode it also cuts chosen parts of a flight into 1..8 byte
 * segments, reorders them within a few segments, retransmits some with the
 * same bytes, and on request adds one overlapping retransmission whose
 * bytes differ (always after the original bytes, so the originals win).
 * Single-threaded; the scratch segment list is the only memory it keeps.
 */
#ifndef GEN_WIRE_H
#define GEN_WIRE_H

#include <stdint.h>

#include "gen_pcap.h"

enum gen_side { GEN_C = 0, GEN_S = 1 };

/* TCP state of one connection, kept by its owner. */
struct gen_tcp {
	uint32_t seq[2];        /* next sequence number each side sends */
	uint16_t ipid[2];
};

/* A connection as the wire needs it; the owner builds it for each turn. */
struct gen_flow {
	struct gen_path path[2]; /* by sending side */
	uint16_t port[2];        /* by side */
	struct gen_tcp *tcp;
};

/* One flight: bytes a side sends without waiting for the peer. */
struct gen_send {
	const uint8_t *data;
	uint32_t len;
	uint32_t tiny_head;     /* adversarial: leading bytes cut into tiny segments */
	uint32_t tiny_tail;     /* adversarial: trailing bytes cut so */
	int fin;                /* the side closes after the data */
	int conflict;           /* adversarial: one conflicting retransmission */
	uint64_t *rng;          /* segmentation stream of the session */
};

struct gen_wire_params {
	struct gen_pcap *pcap;
	int adversarial;
};

struct gen_wire;

struct gen_wire *gen_wire_create(const struct gen_wire_params *p);
void gen_wire_free(struct gen_wire *w);

/*
 * A segment without data from @side at time @ts (SYN, SYN|ACK, ACK,
 * FIN|ACK, RST|ACK); returns the time just after it.
 */
uint64_t gen_wire_ctl(struct gen_wire *w, struct gen_flow *f, int side,
		      uint8_t flags, uint64_t ts);

/* A flight from @side starting at @ts; returns the time after its last segment. */
uint64_t gen_wire_data(struct gen_wire *w, struct gen_flow *f, int side,
		       const struct gen_send *s, uint64_t ts);

/* Latest timestamp written (the capture clock). */
uint64_t gen_wire_clock(const struct gen_wire *w);

/* Move the capture clock to at least @ts and return it (for other writers). */
uint64_t gen_wire_stamp(struct gen_wire *w, uint64_t ts);

/* First write error (-errno), 0 if none. */
int gen_wire_error(const struct gen_wire *w);

#endif
