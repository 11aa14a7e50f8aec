/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The dataplane <-> control-plane link: messages on a unix stream socket
 * (dataplane_socket). mxscreen-dp connects and sends batches of
 * observations; mxscreend answers with batches of verdicts. Every message
 * is a header followed by `count` fixed-size records; all integers in host
 * order (both ends run on the same host). Defined once, here.
 */
#ifndef MXSCREEN_LINK_H
#define MXSCREEN_LINK_H

#include <linux/types.h>

#define MXS_LINK_MAGIC 0x4c53584du /* "MXSL" */
#define MXS_LINK_VERSION 1
#define MXS_LINK_MAX_BATCH 256     /* records in one message */
#define MXS_OBS_MAX_HITS 8
#define MXS_NAME_MAX 255           /* a DNS name, no NUL */

enum mxs_msg_type {
	MXS_MSG_OBSERVATIONS = 1,  /* dataplane -> control */
	MXS_MSG_VERDICTS = 2,      /* control -> dataplane */
};

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

/* A verdict for one client address (or /64 prefix). */
struct mxs_verdict {
	__u8 addr[16];
	__u8 family;               /* 4 or 6 */
	__u8 prefix_len;           /* 32, 64 or 128 */
	__u8 action;               /* enum mxs_action, the one enforced */
	__u8 shadow;               /* 1: would_be is what policy wanted */
	__u8 would_be;             /* enum mxs_action */
	__u8 pad[3];
	__s32 score;
	__u32 reasons;             /* MXS_REASON_BIT() */
	__u32 ttl_s;
	__u64 expiry_ns;           /* CLOCK_REALTIME ns */
};
_Static_assert(sizeof(struct mxs_verdict) == 48, "mxs_verdict layout");

#endif
