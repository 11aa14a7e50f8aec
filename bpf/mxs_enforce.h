/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mxs_enforce(): the one definition of mxscreen's XDP enforcement, used
 * by xdp_enforce (mxscreen_xdp.bpf.c, tap mode) and xdp_inline
 * (mxscreen_inline.bpf.c, inline mode), so both judge and count a frame
 * identically. It answers XDP_DROP or XDP_PASS; what a program does with
 * a passed frame (the stack, or a redirect) is the program's business.
 * What each action does (the bucket arithmetic, the DSCP rewrite, shadow)
 * is defined once in include/mxscreen/enforce.h, which mxscreen-dp's own
 * enforcement (native DPDK ports) uses too; this file adds the maps and
 * the counters.
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
#include <mxscreen/enforce.h>
#include "mxs_parse.h"
#include "mxs_maps.h"

/* What mxs_enforce() saw, for a caller that goes on with the frame. */
struct mxs_enforced {
	struct mxs_bpf_config *cfg;     /* 0 only if the config map is missing */
	struct mxs_pkt p;               /* valid when parse == MXS_PARSE_TCP */
	int parse;                      /* MXS_PARSE_*; MXS_PARSE_OTHER when
					 * the maps were missing (not parsed) */
};

/* 1: admit the SYN, 0: drop it (include/mxscreen/enforce.h). */
static __always_inline int mxs_bucket_take(const struct mxs_bpf_config *cfg,
					   const struct mxs_bpf_addr_key *key)
{
	__u64 now = mxs_now_ns();
	struct mxs_bpf_bucket *b = bpf_map_lookup_elem(&throttle, key);

	if (!b) {
		struct mxs_bpf_bucket nb = { .last_ns = now };
		int ok = mxs_bucket_new(cfg->throttle_burst, &nb.tokens_milli);

		bpf_map_update_elem(&throttle, key, &nb, BPF_NOEXIST);
		return ok;
	}
	return mxs_bucket_take_syn(&b->tokens_milli, &b->last_ns, now, cfg->throttle_rate,
				   cfg->throttle_burst);
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

	act = mxs_enforce_applied(j.act, j.would, cfg->shadow || j.shadow);
	if (cfg->shadow || j.shadow) {
		if (j.would < MXS_BPF_ACTIONS)
			st->shadow[j.would]++;
		goto out_pass;
	}

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
		mxs_dscp_set(e->p.l3, end, e->p.family, cfg->tag_dscp);
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
