/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dp_syn: compact table of TCP handshakes in progress (a SYN cache). Pure C,
 * one per lcore, memory reserved once at create time; nothing is allocated
 * after.
 *
 * A bare SYN costs a 128-byte flow in dp_flow; here it costs a 32-byte entry
 * plus 16 bytes of index, so a SYN flood from spoofed sources churns this
 * table, not the flow table: a real session becomes a flow at its client's
 * ACK (or any packet that is not a bare SYN), and until then it waits here
 * among four times as many handshakes as there are flows.
 *
 * Entries sit in a ring in arrival order; when the ring is full the oldest
 * is evicted (FIFO: a handshake outlives the next @capacity SYNs, whatever
 * their hashes). A handshake is found by the two halves of its key's keyed
 * 64-bit flow hash (dp_flow_hash64): a false match needs all 64 bits to
 * agree, and the key needs no room.
 */
#ifndef DP_SYN_H
#define DP_SYN_H

#include <stdint.h>

#include "dp_flow.h"

/* One handshake: 32 bytes. flags == 0 marks a free ring position. */
struct dp_syn {
	uint32_t hash;        /* dp_flow_hash64() of the key: low half */
	uint32_t check;       /* and high half */
	uint64_t first_ns;    /* its first packet */
	uint32_t isn[2];      /* [0] client SYN, [1] server SYN+ACK (by flags) */
	uint16_t bytes[2];    /* frame bytes [0] to server, [1] to client; saturate */
	uint8_t pkts[2];      /* packets, likewise; saturate at 255 */
	uint8_t flags;        /* DP_FLOW_F_SYN | DP_FLOW_F_SYNACK | DP_FLOW_F_ON_PORT */
	uint8_t client_side;  /* key side (0/1) of the client */
};
_Static_assert(sizeof(struct dp_syn) == 32, "handshake entry is 32 bytes");

enum dp_syn_end {
	DP_SYN_END_EVICTED = 0,
	DP_SYN_END_TIMEOUT,
	DP_SYN_END_DRAIN,
};

struct dp_syn_stats {
	uint64_t added;
	uint64_t promoted;        /* taken: the handshake became a flow */
	uint64_t evicted;         /* ring full: oldest made room */
	uint64_t expired;
	uint64_t drained;
	uint64_t active;
	uint64_t active_peak;
};

struct dp_syn_params {
	uint32_t capacity;        /* handshakes held at once, > 0, <= 2^30 */
	uint64_t timeout_ns;      /* a handshake older than this is forgotten */
	/* A handshake leaves without becoming a flow (not for dp_syn_take). */
	void (*on_end)(void *ctx, const struct dp_syn *e, enum dp_syn_end why);
	void *ctx;
};

struct dp_syn_table;

struct dp_syn_table *dp_syn_table_create(const struct dp_syn_params *p);
void dp_syn_table_free(struct dp_syn_table *t);

/* Hint: a find for @hash is coming. */
void dp_syn_prefetch(const struct dp_syn_table *t, uint32_t hash);

/* The handshake of (@hash, @check), or NULL. */
struct dp_syn *dp_syn_find(struct dp_syn_table *t, uint32_t hash, uint32_t check);
/*
 * A new handshake (hash, check, first_ns set, the rest zero; the caller
 * sets flags before its next call). When full, the oldest is evicted first
 * (on_end is called). Never fails. Entries never move: a returned pointer
 * is valid until that handshake is taken, evicted, expired or drained.
 */
struct dp_syn *dp_syn_add(struct dp_syn_table *t, uint32_t hash, uint32_t check,
			  uint64_t now_ns);
/* The handshake became a flow: remove @e (no on_end). */
void dp_syn_take(struct dp_syn_table *t, struct dp_syn *e);
/* Forget handshakes older than the timeout at @now_ns, at most @budget;
 * returns how many. */
uint32_t dp_syn_expire(struct dp_syn_table *t, uint64_t now_ns, uint32_t budget);
/* End every handshake (on_end with DP_SYN_END_DRAIN). */
void dp_syn_drain(struct dp_syn_table *t);

const struct dp_syn_stats *dp_syn_table_stats(const struct dp_syn_table *t);
uint32_t dp_syn_table_capacity(const struct dp_syn_table *t);
/* Bytes reserved: entries and index. */
uint64_t dp_syn_table_memory(const struct dp_syn_table *t);
/* Of those, bytes in memory now (mincore; not for the hot path). */
uint64_t dp_syn_table_resident(const struct dp_syn_table *t);

#endif
