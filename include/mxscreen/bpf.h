/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Layouts of mxscreen's pinned BPF maps, shared by the XDP/TC programs
 * (bpf/), the loader and verdict writer in mxscreend, the tests and the CLI.
 * Defined once, here; no mirror copies. All multi-byte fields host order
 * unless named *_be. Maps live under bpf_pin_dir (default
 * MXS_BPF_PIN_DIR), pinned by name:
 *   verdicts      HASH     mxs_bpf_addr_key -> mxs_bpf_verdict
 *   static_cidrs  LPM_TRIE mxs_bpf_cidr_key -> mxs_bpf_cidr_val
 *   throttle      LRU_HASH mxs_bpf_addr_key -> mxs_bpf_bucket
 *   stats         PERCPU_ARRAY[1] mxs_bpf_stats
 *   config        ARRAY[1] mxs_bpf_config
 *   cidr_hint     ARRAY[MXS_BPF_HINT_WORDS] __u64: a bitmap, 2^25 bits
 * Programs pinned as xdp_enforce and tc_tag in the same directory.
 * The inline object (bpf/mxscreen_inline.bpf.c, loaded by the af_xdp PMD
 * of mxscreen-dp, prepared by bpf/mxs_inline_load.c) shares those six and
 * pins two more of its own:
 *   tx_port       HASH __u32 ingress ifindex -> __u32 egress ifindex
 *                 (the bump in the wire's peer port, both directions; a
 *                 HASH, not a DEVMAP: see mxscreen_inline.bpf.c)
 *   inline_stats  PERCPU_ARRAY[1] mxs_bpf_inline_stats
 * and has one per load, never pinned: xsks_map, XSKMAP[MXS_BPF_XSKS_MAX]
 * rx queue id -> AF_XDP socket (filled by the PMD).
 *
 * cidr_hint is a prefilter for static_cidrs, read only when
 * config.cidr_hint is 1: bit MXS_BPF_HINT_BIT(family, addr) (the top 24
 * bits of the address, IPv6 in the upper half) is set when some
 * static_cidrs entry may cover an address with those 24 bits, and a
 * clear bit lets the programs skip the LPM lookup. Bit b is bit (b & 63)
 * of word b >> 6. A CIDR of length >= 24 sets the one bit of its top 24
 * bits, a shorter one every bit of its range. Extra set bits only cost a
 * trie lookup; a missing one hides an entry, so a writer sets bits before
 * it adds trie entries and clears them only after it deleted them. With
 * config.cidr_hint 0 the map is ignored and the trie always looked up.
 *
 * static_cidrs holds two kinds of entries, told apart by
 * mxs_bpf_cidr_val.id: configured ones (allow_cidrs -> pass, deny_cidrs ->
 * drop; id = index in that list), which the loader syncs with the config,
 * and manual ones (id has MXS_BPF_CIDR_MANUAL set), verdicts for a CIDR of
 * any other length than a verdicts key (an operator's `block 192.0.2.0/24`),
 * with any action; the config sync leaves them alone and they never
 * expire in the kernel: the daemon deletes them. The longest matching
 * entry, of either kind, is applied like a verdict of its action (its
 * throttle bucket keyed per client address, /32 or /128) and wins over
 * any verdicts entry. Only verdicts entries count hits.
 */
#ifndef MXSCREEN_BPF_H
#define MXSCREEN_BPF_H

#include <linux/types.h>

#define MXS_BPF_PIN_DIR "/sys/fs/bpf/mxscreen"
#define MXS_BPF_VERDICTS_MAX 1048576
#define MXS_BPF_CIDRS_MAX 262144
#define MXS_BPF_THROTTLE_MAX 262144
#define MXS_BPF_MAX_PORTS 8
#define MXS_BPF_HINT_BITS (1u << 25)            /* 2^24 per family */
#define MXS_BPF_HINT_WORDS (MXS_BPF_HINT_BITS / 64)     /* 2^19 __u64, 4 MiB */
/* The cidr_hint bit of an address: family 6 in the upper half, then its
 * first 3 bytes (IPv4: addr >> 8 in host order). */
#define MXS_BPF_HINT_BIT(family, a) \
	(((family) == 6 ? 1u << 24 : 0u) | (__u32)(a)[0] << 16 | (__u32)(a)[1] << 8 | (__u32)(a)[2])

/* A client address. IPv4: family 4, addr[0..3], rest zero. IPv6 verdicts
 * may be per /64 (prefix_len 64, addr[8..15] zero) or per /128; lookups
 * try the /128 key, then the /64 key. */
struct mxs_bpf_addr_key {
	__u8 family;            /* 4 or 6 */
	__u8 prefix_len;        /* 32, 64 or 128 */
	__u8 pad[2];
	__u8 addr[16];
};
_Static_assert(sizeof(struct mxs_bpf_addr_key) == 20, "mxs_bpf_addr_key layout");

/* expiry_ns of an entry that never expires (the largest instant). */
#define MXS_BPF_EXPIRY_NEVER (~0ull)

/*
 * hits: packets this entry's action was enforced on since it was last
 * written (a rewrite of the key replaces the value, hits included): for
 * drop, packets dropped; for throttle, SYNs the token bucket refused.
 * Incremented atomically by xdp_enforce; pass and tag verdicts, shadow
 * verdicts and config.shadow leave it alone (nothing was enforced).
 * Wraps at 2^32.
 */
struct mxs_bpf_verdict {
	__u8 action;            /* enum mxs_action (include/mxscreen/verdict.h) */
	__u8 would_be;          /* the policy's action (differs in shadow mode) */
	__u8 shadow;
	__u8 pad;
	__s32 score;
	__u32 reasons;          /* MXS_REASON_BIT() */
	__u32 hits;             /* written 0; the programs count, see above */
	__u64 expiry_ns;        /* CLOCK_MONOTONIC (bpf_ktime_get_ns); past = none;
				 * MXS_BPF_EXPIRY_NEVER = never */
};
_Static_assert(sizeof(struct mxs_bpf_verdict) == 24, "mxs_bpf_verdict layout");

/* LPM key: prefixlen counts bits of (family, pad, addr): 32 + CIDR length. */
struct mxs_bpf_cidr_key {
	__u32 prefixlen;
	__u8 family;
	__u8 pad[3];
	__u8 addr[16];
};
_Static_assert(sizeof(struct mxs_bpf_cidr_key) == 24, "mxs_bpf_cidr_key layout");

/* id of a manual entry: this bit set, the rest 0 (reserved). */
#define MXS_BPF_CIDR_MANUAL 0x80000000u

struct mxs_bpf_cidr_val {
	__u8 action;            /* enum mxs_action: configured entries
				 * MXS_ACTION_PASS (allow_cidrs) or
				 * MXS_ACTION_DROP (deny_cidrs); manual ones
				 * pass, tag, throttle or drop */
	__u8 would_be;          /* read only when shadow is 1: the policy's action */
	__u8 shadow;            /* manual entries only: written in shadow mode */
	__u8 pad;
	__u32 id;               /* configured: index in its list; manual:
				 * MXS_BPF_CIDR_MANUAL */
};
_Static_assert(sizeof(struct mxs_bpf_cidr_val) == 8, "mxs_bpf_cidr_val layout");

/* Token bucket per throttled address: tokens in thousandths of a SYN. */
struct mxs_bpf_bucket {
	__u64 tokens_milli;
	__u64 last_ns;          /* CLOCK_MONOTONIC of the last refill */
};
_Static_assert(sizeof(struct mxs_bpf_bucket) == 16, "mxs_bpf_bucket layout");

#define MXS_BPF_ACTIONS 5       /* == MXS_ACTION_COUNT, checked in the programs */

/* Per-CPU counters; readers sum over CPUs. */
struct mxs_bpf_stats {
	__u64 pkts[MXS_BPF_ACTIONS];    /* SMTP-port packets by the action applied */
	__u64 bytes[MXS_BPF_ACTIONS];
	__u64 shadow[MXS_BPF_ACTIONS];  /* shadow mode: packets by would-be action */
	__u64 syn_throttled;            /* SYNs dropped by a token bucket */
	__u64 syn_admitted;             /* SYNs a throttled address was allowed */
	__u64 static_allow;             /* static_cidrs entry with action pass */
	__u64 static_deny;              /* static_cidrs entry with action drop */
	__u64 expired;                  /* verdict found but expired */
	__u64 parse_errors;             /* truncated or malformed: passed */
	__u64 not_smtp;                 /* parsed, not to an SMTP port: passed */
	__u64 tc_marked;                /* TC: packets given tag_mark */
};

/* Per-CPU counters of xdp_inline (the inline mode), after enforcement
 * (whose counters stay in mxs_bpf_stats; a dropped frame counts there
 * only). Every frame xdp_inline passes counts in exactly one of these.
 * A separate map, not more mxs_bpf_stats fields: a longer value would
 * break the reuse of a `stats` map pinned by an older build. */
struct mxs_bpf_inline_stats {
	__u64 to_xsk;           /* SMTP-port frames into the queue's AF_XDP socket */
	__u64 fwd;              /* other frames, to the peer port (tx_port) */
	__u64 fwd_failopen;     /* SMTP-port frames to the peer port: no socket
				 * on the queue (mxscreen-dp stopped): fail open */
	__u64 no_peer;          /* no tx_port entry for the ingress port:
				 * XDP_PASS to the kernel stack */
};
_Static_assert(sizeof(struct mxs_bpf_inline_stats) == 32, "mxs_bpf_inline_stats layout");

#define MXS_BPF_TX_PORTS_MAX 64 /* tx_port entries: two per bump in the wire */
#define MXS_BPF_XSKS_MAX 64     /* xsks_map: rx queue ids 0..63 */

struct mxs_bpf_config {
	__u16 smtp_ports[MXS_BPF_MAX_PORTS]; /* host order; 0 = unused slot */
	__u8 tag_dscp;          /* 0..63 */
	__u8 shadow;            /* 1: count only, enforce nothing */
	__u8 cidr_hint;         /* 1: the loader maintains cidr_hint, skip the
				 * static_cidrs lookup when the address's bit is
				 * clear; 0: always look static_cidrs up */
	__u8 pad;
	__u32 throttle_rate;    /* new connections (SYNs) per second */
	__u32 throttle_burst;   /* bucket size in SYNs */
	__u32 tag_mark;         /* skb->mark for tagged addresses (TC) */
};
_Static_assert(sizeof(struct mxs_bpf_config) == 32, "mxs_bpf_config layout");

#endif
