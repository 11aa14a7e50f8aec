/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dp_conn: the connection tracker of one lcore. Owns a dp_flow table and a
 * bounded pool of per-connection parser state (two reassembly directions and
 * an SMTP session), and turns decoded packets into connection records.
 * Pure C, no DPDK; all memory is reserved at create time. Every call except
 * create/free must come from the owning lcore.
 *
 * Client side: the sender of a SYN without ACK; else the side whose peer is
 * on an SMTP port; else the higher port. A connection is reported when its
 * server port is an SMTP port and it completed a handshake or carried
 * payload, or anywhere the dialogue itself proved SMTP (banner/HELO after a
 * proxy preamble). Bare SYNs (half-open) are counted, never reported.
 * A connection's bare SYN and SYN+ACK wait in a compact handshake table
 * (dp_syn), not the flow table: it becomes a flow at its next packet, so a
 * SYN flood churns handshakes, never sessions.
 * Flows on other ports are probed for DP_CONN_PROBE_BYTES and then dropped
 * from parsing.
 */
#ifndef DP_CONN_H
#define DP_CONN_H

#include <stdint.h>

#include <mxscreen/anomaly.h>

#include "dp_decode.h"
#include "dp_flow.h"
#include "dp_smtp.h"
#include "dp_syn.h"

#define DP_CONN_PROBE_BYTES 8192u
#define DP_CONN_BURST_MAX 64u
#define DP_CONN_MAX_HITS 16u

struct dp_rules_db;

/* Rules that matched a connection's envelope, each rule once. */
struct dp_conn_hits {
	uint16_t n;          /* stored in hit[] */
	uint16_t dropped;    /* further distinct rules, not stored or scored */
	int32_t score;       /* sum of the stored hits' scores */
	struct {
		uint32_t id;
		int32_t score;
		uint8_t field;   /* enum mxs_field */
		uint8_t pad[3];
	} hit[DP_CONN_MAX_HITS];
};

/* The control plane's verdict on the client, when the dataplane knows one. */
struct dp_conn_verdict {
	uint8_t action;         /* enum mxs_action */
	uint8_t would_be;
	uint8_t shadow;
	uint8_t pad;
	int32_t score;
	uint32_t reasons;       /* MXS_REASON_BIT() */
};

struct dp_conn_record {
	const struct dp_flow *flow;
	const struct dp_conn_verdict *verdict; /* NULL: none known */
	const struct dp_smtp_session *smtp; /* NULL: no payload was parsed */
	const struct dp_conn_hits *hits;    /* NULL with smtp */
	uint32_t anomalies;                 /* parser | reassembly */
	const char *state;                  /* closed reset timeout evicted open */
};

struct dp_conn_stats {
	uint64_t packets;
	uint64_t bytes;
	uint64_t non_ip;
	uint64_t non_tcp;
	uint64_t fragments;
	uint64_t malformed;
	uint64_t smtp_connections;   /* records emitted */
	uint64_t half_open_closed;   /* SMTP-port flows that never completed */
	uint64_t conn_exhausted;     /* payload flows left unparsed: pool empty */
	uint64_t probe_given_up;     /* non-SMTP-port flows that never said SMTP */
	uint64_t rules_scanned;      /* envelope values scanned */
	uint64_t rules_scan_errors;  /* Hyperscan failures (value not judged) */
	uint64_t anomalies[MXS_ANOMALY_COUNT]; /* connections with each anomaly */
};

struct dp_conn_params {
	uint32_t max_flows;          /* flow table capacity */
	uint32_t max_conns;          /* parser states, at most max_flows; 0: 262144 */
	uint32_t max_handshakes;     /* handshakes waiting; 0: 4 x max_flows, <= 2^30 */
	const uint16_t *smtp_ports;
	uint32_t n_smtp_ports;
	uint64_t timeout_ns[DP_FLOW_CLS_COUNT]; /* 0: built-in default */
	int linktype;                /* enum dp_linktype of the frames */
	void (*on_record)(void *ctx, const struct dp_conn_record *r);
	void *ctx;
};

struct dp_conn_tracker;

struct dp_conn_tracker *dp_conn_tracker_create(const struct dp_conn_params *p);
void dp_conn_tracker_free(struct dp_conn_tracker *t);

/* Process @n (<= DP_CONN_BURST_MAX) frames captured at @ts_ns[i]. */
void dp_conn_burst(struct dp_conn_tracker *t, const uint8_t *const frames[],
		   const uint32_t lens[], const uint64_t ts_ns[], uint32_t n);

/*
 * Symmetric steering hash of a frame (both directions of a connection give
 * the same value); 0 for frames without a flow key. Any thread.
 */
uint32_t dp_conn_steer(const uint8_t *frame, uint32_t len, int linktype);

/*
 * Match envelope values against @db from now on, with scratch slot @slot
 * (NULL: no matching). The caller keeps @db alive while it is set (RCU).
 */
void dp_conn_set_rules(struct dp_conn_tracker *t, const struct dp_rules_db *db,
		       uint32_t slot);

/* Time has reached @now_ns (capture or wall clock): expire idle flows. */
void dp_conn_advance(struct dp_conn_tracker *t, uint64_t now_ns);

/* End of input: every open connection emits its record (state "open"). */
void dp_conn_drain(struct dp_conn_tracker *t);

const struct dp_conn_stats *dp_conn_tracker_stats(const struct dp_conn_tracker *t);
const struct dp_flow_stats *dp_conn_flow_stats(const struct dp_conn_tracker *t);
const struct dp_syn_stats *dp_conn_syn_stats(const struct dp_conn_tracker *t);
/* Bytes reserved: flow and handshake tables plus parser pool. */
uint64_t dp_conn_tracker_memory(const struct dp_conn_tracker *t);

/* Where the memory goes (reserved at create, resident = touched so far). */
struct dp_conn_mem {
	uint64_t flow_capacity;     /* flows the table holds */
	uint64_t flow_hot_bytes;    /* per flow: struct dp_flow */
	uint64_t flow_table_bytes;  /* flows, index, free list */
	uint64_t handshake_capacity; /* handshakes the handshake table holds */
	uint64_t handshake_bytes;   /* its entries and index */
	uint64_t parser_slots;      /* connections parsed at once */
	uint64_t parser_bytes;      /* their state, SMTP and in-order reassembly */
	uint64_t window_bytes;      /* their out-of-order windows */
	uint64_t resident_bytes;    /* all of the above in memory now */
};
/* Add @t's figures to @ret (mincore: not for the hot path). */
void dp_conn_tracker_mem(const struct dp_conn_tracker *t, struct dp_conn_mem *ret);

#endif
