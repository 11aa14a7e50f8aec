/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mxs_enforce(): the one definition of mxscreen's XDP enforcement, used
 * by xdp_enforce (mxscreen_xdp.bpf.c, tap mode) and xdp_inline
 * (mxscreen_inline.bpf.c, inline mode), so both judge and count a frame
 * identically. It answers XDP_DROP or XDP_PASS; what a program does with
 * a passed frame (the stack, or a redirect) is the program's business.
 *
 * Judges only TCP packets to an SMTP port (config.smtp_ports; 25 when none
 * is set) by their source address: static_cidrs (allow -> pass, deny ->
 * drop, manual entries any action), then verdicts; the action found is
 * applied the same way whichever map it came from.
 *   pass / none  XDP_PASS
 *   tag          DSCP := config.tag_dscp, ECN kept (IPv4 checksum updated
 *                incrementally, RFC 1624), XDP_PASS
 *   throttle     SYNs (SYN without ACK) spend 1000 milli-tokens from a
 *                per-address bucket in `throttle` (created full; refilled
 *                throttle_rate/s up to throttle_burst); a SYN that finds
 *                the bucket short is dropped; everything else passes
 *   drop         XDP_DROP
 * Shadow (config.shadow, or a verdict written with shadow set): the
 * would-be action is counted in stats.shadow[] and the packet passes
 * untouched, no bucket touched. Truncated/malformed packets pass
 * (parse_errors); everything not judged passes (not_smtp).
 * Counters are per CPU (stats); pkts/bytes count judged packets by the
 * action applied (in shadow mode: pass, or none when nothing matched).
 * A verdicts entry's own hits (include/mxscreen/bpf.h) count the packets
 * it dropped and the SYNs its bucket refused, atomically: one entry is
 * shared by every CPU, unlike the stats.
 * Buckets are updated without a lock: CPUs racing on one address may admit
 * a SYN or two beyond the rate, never fewer. Time is the coarse
 * CLOCK_MONOTONIC, tick grained (mxs_now_ns in mxs_maps.h).
 *
 * Include from XDP programs only, after mxs_maps.h (the maps it uses).
 */
#ifndef MXS_ENFORCE_H
#define MXS_ENFORCE_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "mxs_parse.h"
#include "mxs_maps.h"

#define MXS_SYN_MILLI 1000ull

/* What mxs_enforce() saw, for a caller that goes on with the frame. */
struct mxs_enforced {
	struct mxs_bpf_config *cfg;     /* 0 only if the config map is missing */
	struct mxs_pkt p;               /* valid when parse == MXS_PARSE_TCP */
	int parse;                      /* MXS_PARSE_*; MXS_PARSE_OTHER when
					 * the maps were missing (not parsed) */
};

/* RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m'), 16-bit one's complement. The
 * sum is byte-order agnostic, so the words stay in network order. */
static __always_inline __u16 mxs_csum_replace2(__u16 csum, __u16 old, __u16 new)
{
	__u32 sum = (__u16)~csum + (__u32)(__u16)~old + new;

	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)~sum;
}

static __always_inline void mxs_set_dscp(struct mxs_pkt *p, __u8 dscp, void *end)
{
	if (p->family == 4) {
		struct iphdr *iph = p->l3;
		__u16 old;

		if ((void *)(iph + 1) > end)
			return;
		/* unconditional: with old == new the update is the identity
		 * (a valid header never has check 0xffff) */
		old = *(__u16 *)iph;
		iph->tos = (__u8)(dscp << 2) | (iph->tos & 3);
		iph->check = mxs_csum_replace2(iph->check, old, *(__u16 *)iph);
	} else {
		/* version:4 | traffic class:8 | flow label:20, TC = DSCP:6 ECN:2 */
		__u8 *b = p->l3;
		__u8 tc;

		if ((void *)(b + 2) > end)
			return;
		tc = (__u8)((b[0] & 0x0f) << 4 | b[1] >> 4);
		tc = (__u8)(dscp << 2) | (tc & 3);
		b[0] = (__u8)(0x60 | tc >> 4);
		b[1] = (__u8)((tc & 0x0f) << 4 | (b[1] & 0x0f));
	}
}

/* 1: admit the SYN, 0: drop it. */
static __always_inline int mxs_bucket_take(const struct mxs_bpf_config *cfg,
					   const struct mxs_bpf_addr_key *key)
{
	__u64 cap = (__u64)cfg->throttle_burst * MXS_SYN_MILLI;
	__u64 now = mxs_now_ns();
	struct mxs_bpf_bucket *b = bpf_map_lookup_elem(&throttle, key);

	if (!b) {
		struct mxs_bpf_bucket nb = { .tokens_milli = cap, .last_ns = now };

		if (nb.tokens_milli < MXS_SYN_MILLI) {
			bpf_map_update_elem(&throttle, key, &nb, BPF_NOEXIST);
			return 0;
		}
		nb.tokens_milli -= MXS_SYN_MILLI;
		bpf_map_update_elem(&throttle, key, &nb, BPF_NOEXIST);
		return 1;
	}

	__u64 tokens = b->tokens_milli;
	__u64 rate = cfg->throttle_rate;

	if (tokens > cap)
		tokens = cap;   /* burst lowered since the bucket was filled */
	/* CPUs' clocks differ by a tick: never move last_ns backwards */
	if (now > b->last_ns) {
		if (rate && tokens < cap) {
			__u64 elapsed = now - b->last_ns;
			/* ns to refill the whole gap; below it, elapsed * rate
			 * stays under cap * 1e6 <= 2^32 * 1e9: no overflow. */
			__u64 full_ns = ((cap - tokens) * 1000000ull + rate - 1) / rate;

			if (elapsed >= full_ns)
				tokens = cap;
			else
				tokens += elapsed * rate / 1000000ull;
		}
		b->last_ns = now;
	}
	if (tokens < MXS_SYN_MILLI) {
		b->tokens_milli = tokens;
		return 0;
	}
	b->tokens_milli = tokens - MXS_SYN_MILLI;
	return 1;
}

/* Judge, count and (tag) rewrite the frame [data, end): XDP_DROP or
 * XDP_PASS, as described above. Fills *e for the caller. */
static __always_inline int mxs_enforce(void *data, void *end, struct mxs_enforced *e)
{
	struct mxs_bpf_config *cfg;
	struct mxs_bpf_stats *st;
	struct mxs_judgement j;
	__u32 zero = 0;
	__u8 act;
	int rc;

	st = bpf_map_lookup_elem(&stats, &zero);
	cfg = bpf_map_lookup_elem(&config, &zero);
	e->cfg = cfg;
	e->parse = MXS_PARSE_OTHER;
	if (!st || !cfg)
		return XDP_PASS;

	rc = mxs_parse_pkt(data, end, &e->p);
	e->parse = rc;
	if (rc == MXS_PARSE_ERR) {
		st->parse_errors++;
		return XDP_PASS;
	}
	if (rc != MXS_PARSE_TCP || !mxs_smtp_port(cfg, e->p.dport)) {
		st->not_smtp++;
		return XDP_PASS;
	}

	mxs_judge(cfg, &e->p, &j);
	if (j.expired)
		st->expired++;
	if (j.src == MXS_SRC_STATIC) {
		if (j.act == MXS_ACTION_DROP)
			st->static_deny++;
		else if (j.act == MXS_ACTION_PASS)
			st->static_allow++;
	}

	if (cfg->shadow || j.shadow) {
		if (j.would < MXS_BPF_ACTIONS)
			st->shadow[j.would]++;
		act = j.would == MXS_ACTION_NONE ? MXS_ACTION_NONE : MXS_ACTION_PASS;
		goto out_pass;
	}

	act = j.act;
	switch (act) {
	case MXS_ACTION_DROP:
		st->pkts[MXS_ACTION_DROP]++;
		st->bytes[MXS_ACTION_DROP] += end - data;
		if (j.v)
			__sync_fetch_and_add(&j.v->hits, 1);
		return XDP_DROP;
	case MXS_ACTION_THROTTLE:
		st->pkts[MXS_ACTION_THROTTLE]++;
		st->bytes[MXS_ACTION_THROTTLE] += end - data;
		if (!e->p.syn_only)
			return XDP_PASS;
		if (mxs_bucket_take(cfg, &j.key)) {
			st->syn_admitted++;
			return XDP_PASS;
		}
		st->syn_throttled++;
		if (j.v)
			__sync_fetch_and_add(&j.v->hits, 1);
		return XDP_DROP;
	case MXS_ACTION_TAG:
		mxs_set_dscp(&e->p, cfg->tag_dscp & 0x3f, end);
		break;
	}
out_pass:
	if (act < MXS_BPF_ACTIONS) {
		st->pkts[act]++;
		st->bytes[act] += end - data;
	}
	return XDP_PASS;
}

#endif
