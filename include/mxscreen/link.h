/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The dataplane <-> control-plane link: messages on a unix stream socket
 * (dataplane_socket). mxscreen-dp connects and sends batches of
 * observations; mxscreend answers with batches of verdicts. Every message
 * is a header followed by `count` fixed-size records; all integers in host
 * order (both ends run on the same host). Defined once, here.
 *
 * Besides observations, a dataplane sends a live stats snapshot about once
 * a second (and right after a rules reload ends): one MXS_MSG_DP_STATS
 * message with one mxs_dp_stats record, followed by n_rule_hits/256
 * rounded up MXS_MSG_RULE_HITS messages holding its rules with at least one
 * hit, most hits first (at most MXS_LINK_MAX_RULE_HITS). The control plane
 * replaces what it knew of that dataplane at each DP_STATS. It asks for a
 * rules reload with MXS_MSG_RULES_RELOAD (count 0); the outcome shows in the
 * reload counters of the next snapshot.
 */
#ifndef MXSCREEN_LINK_H
#define MXSCREEN_LINK_H

#include <linux/types.h>

#define MXS_LINK_MAGIC 0x4c53584du /* "MXSL" */
#define MXS_LINK_VERSION 2
#define MXS_LINK_MAX_BATCH 256     /* records in one message */
#define MXS_OBS_MAX_HITS 8
#define MXS_NAME_MAX 255           /* a DNS name, no NUL */

enum mxs_msg_type {
	MXS_MSG_OBSERVATIONS = 1,  /* dataplane -> control */
	MXS_MSG_VERDICTS = 2,      /* control -> dataplane */
	MXS_MSG_DP_STATS = 3,      /* dataplane -> control: one mxs_dp_stats */
	MXS_MSG_RULE_HITS = 4,     /* dataplane -> control: mxs_rule_hit records */
	MXS_MSG_RULES_RELOAD = 5,  /* control -> dataplane: no records */
};

#define MXS_LINK_MAX_RULE_HITS 4096
#define MXS_DP_ANOMALY_SLOTS 16    /* >= MXS_ANOMALY_COUNT */

struct mxs_msg_hdr {
	__u32 magic;
	__u16 version;
	__u16 type;                /* enum mxs_msg_type */
	__u32 count;               /* records that follow */
	__u32 record_size;         /* sizeof the record type, checked */
};
_Static_assert(sizeof(struct mxs_msg_hdr) == 16, "mxs_msg_hdr layout");

/* What the dataplane saw of one SMTP connection. */
struct mxs_observation {
	__u64 ts_ns;               /* connection start, CLOCK_REALTIME ns */
	__u8 client[16];           /* IPv4 in the first 4 bytes */
	__u8 server[16];
	__u8 family;               /* 4 or 6 */
	__u8 n_hits;               /* valid entries in hit_ids */
	__u16 server_port;
	__u32 anomalies;           /* MXS_ANOMALY_BIT() */
	__s32 rule_score;          /* sum of all rule hits */
	__u32 hit_ids[MXS_OBS_MAX_HITS];
	__u8 helo_len;             /* bytes in helo, <= MXS_NAME_MAX */
	__u8 mail_domain_len;      /* bytes in mail_domain */
	__u8 pad[2];
	char helo[MXS_NAME_MAX + 1];        /* not NUL-terminated */
	char mail_domain[MXS_NAME_MAX + 1]; /* domain of MAIL FROM, "" none */
};
_Static_assert(sizeof(struct mxs_observation) == 600, "mxs_observation layout");

/* A verdict for one client address, a /64, or (operator verdicts) any
 * CIDR. action MXS_ACTION_NONE means: remove this key. */
struct mxs_verdict {
	__u8 addr[16];             /* host bits beyond prefix_len zero */
	__u8 family;               /* 4 or 6 */
	__u8 prefix_len;           /* policy: 32, 64 or 128; manual: any CIDR length */
	__u8 action;               /* enum mxs_action, the one enforced; NONE: delete */
	__u8 shadow;               /* 1: would_be is what policy wanted */
	__u8 would_be;             /* enum mxs_action */
	__u8 pad[3];
	__s32 score;
	__u32 reasons;             /* MXS_REASON_BIT() */
	__u32 ttl_s;
	__u64 expiry_ns;           /* CLOCK_REALTIME ns; UINT64_MAX: never */
};
_Static_assert(sizeof(struct mxs_verdict) == 48, "mxs_verdict layout");

/* A dataplane's live counters, totals since it started. */
struct mxs_dp_stats {
	__u64 ts_ns;               /* CLOCK_REALTIME of the snapshot */
	__u64 started_ns;          /* CLOCK_REALTIME the dataplane started */
	__u32 pid;
	__u32 workers;
	__u64 packets;             /* seen by the workers */
	__u64 bytes;
	__u64 flows_created;
	__u64 flows_active;
	__u64 flows_evicted;       /* all classes */
	__u64 handshakes_evicted;  /* SYN flood pressure: handshake table full */
	__u64 handshakes_active;   /* connections between SYN and ACK now */
	__u64 smtp_connections;    /* records emitted */
	__u64 records_dropped;     /* output ring full */
	__u64 obs_queued;          /* observations handed to the link */
	__u64 obs_sent;
	__u64 obs_dropped;         /* ring full, or control plane down */
	__u64 verdicts_received;
	__u64 rules_scanned;
	__u64 anomalies[MXS_DP_ANOMALY_SLOTS]; /* connections, by enum mxs_anomaly */
	__u64 rules_reload_ok;
	__u64 rules_reload_failed;
	__u32 rules_loaded;        /* in the live database */
	__u32 n_rule_hits;         /* records in the RULE_HITS messages that follow */
	char reload_error[256];    /* last failed reload, "FILE:LINE: reason", NUL-terminated */
};
_Static_assert(sizeof(struct mxs_dp_stats) == 544, "mxs_dp_stats layout");

/* Hits of one rule since the dataplane started (kept across reloads). */
struct mxs_rule_hit {
	__u64 hits;
	__u32 id;
	__s32 score;
	__u8 field;                /* enum mxs_field */
	__u8 pad[7];
	char msg[64];              /* the rule's msg, truncated, NUL-terminated */
};
_Static_assert(sizeof(struct mxs_rule_hit) == 88, "mxs_rule_hit layout");

#endif
