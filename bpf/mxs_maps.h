/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The pinned maps of include/mxscreen/bpf.h, declared once for every BPF
 * object (mxscreen_xdp.bpf.c, mxscreen_tc.bpf.c, mxscreen_inline.bpf.c;
 * the inline object adds maps of its own there). Identical definitions
 * with LIBBPF_PIN_BY_NAME let the second object to load reuse the maps the
 * first one pinned (libbpf checks type, sizes, max_entries and flags).
 * Also the one lookup both programs do, so XDP and TC judge a client
 * address the same way: static_cidrs (LPM) first, then verdicts (/128,
 * then /64 for IPv6), expired entries treated as absent. With
 * config.cidr_hint set, the trie is looked up only when the address's
 * cidr_hint bit is set (one inlined array load instead of a trie walk for
 * the addresses no static_cidrs entry can cover). A static_cidrs entry,
 * configured or manual, carries any action and is judged exactly like a
 * verdict with that action (shadow included).
 * Include from BPF programs only; the lookup has no side effects on maps
 * (the caller counts hits through the judgement's pointer).
 */
#ifndef MXS_MAPS_H
#define MXS_MAPS_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <mxscreen/bpf.h>
#include <mxscreen/verdict.h>
#include "mxs_parse.h"

_Static_assert(MXS_BPF_ACTIONS == MXS_ACTION_COUNT, "stats arrays sized by action");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MXS_BPF_VERDICTS_MAX);
	__type(key, struct mxs_bpf_addr_key);
	__type(value, struct mxs_bpf_verdict);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} verdicts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, MXS_BPF_CIDRS_MAX);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct mxs_bpf_cidr_key);
	__type(value, struct mxs_bpf_cidr_val);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} static_cidrs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, MXS_BPF_THROTTLE_MAX);
	__type(key, struct mxs_bpf_addr_key);
	__type(value, struct mxs_bpf_bucket);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} throttle SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct mxs_bpf_stats);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct mxs_bpf_config);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} config SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, MXS_BPF_HINT_WORDS);
	__type(key, __u32);
	__type(value, __u64);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} cidr_hint SEC(".maps");

/* Not part of the contract and not pinned: each object has its own. A
 * per-CPU cache of the coarse CLOCK_MONOTONIC, refreshed when jiffies
 * move. bpf_jiffies64 is inlined by the verifier and this array lookup
 * too, while bpf_ktime_get_ns is a helper call and a clocksource read,
 * the most expensive step on the verdict path (about 45 ns of a ~30 ns
 * empty-program baseline on the dev VM). The price: times are tick
 * grained, so a verdict may live up to two ticks past expiry_ns, and a
 * bucket refills tick by tick. */
struct mxs_clock {
	__u64 jiffies;
	__u64 ns;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct mxs_clock);
} clock_cache SEC(".maps");

static __always_inline __u64 mxs_now_ns(void)
{
	__u32 zero = 0;
	struct mxs_clock *c = bpf_map_lookup_elem(&clock_cache, &zero);
	__u64 j = bpf_jiffies64();

	if (!c)
		return bpf_ktime_get_coarse_ns();
	if (c->jiffies != j || !c->ns) {
		c->jiffies = j;
		c->ns = bpf_ktime_get_coarse_ns();
	}
	return c->ns;
}

/* Is dport one of config.smtp_ports (25 when none is set)? */
static __always_inline int mxs_smtp_port(const struct mxs_bpf_config *cfg, __u16 dport)
{
	int hit = 0, any = 0;

#pragma unroll
	for (int i = 0; i < MXS_BPF_MAX_PORTS; i++) {
		__u16 p = cfg->smtp_ports[i];

		hit |= p == dport;
		any |= p != 0;
	}
	return any ? hit && dport != 0 : dport == 25;
}

enum {
	MXS_SRC_NONE = 0,       /* no live entry anywhere */
	MXS_SRC_STATIC,         /* static_cidrs matched (key = the client's /32 or /128) */
	MXS_SRC_VERDICT,        /* a live verdicts entry matched (key = its key) */
};

struct mxs_judgement {
	struct mxs_bpf_verdict *v;      /* MXS_SRC_VERDICT: the entry, for its
					 * hits; otherwise 0 */
	struct mxs_bpf_addr_key key;    /* the throttle bucket's key: the
					 * verdicts key that matched (a /64
					 * verdict has one /64 bucket), or the
					 * client address for a CIDR */
	__u8 act;               /* the action to enforce */
	__u8 would;             /* the policy's action (== act unless shadow) */
	__u8 shadow;            /* the verdict itself is a shadow one */
	__u8 src;               /* MXS_SRC_* */
	__u8 expired;           /* an expired verdicts entry was skipped */
};

static __always_inline __u8 mxs_clamp_action(__u8 a)
{
	return a < MXS_ACTION_COUNT ? a : MXS_ACTION_NONE;
}

/* May a static_cidrs entry cover @addr? 1 unless config.cidr_hint is set
 * and the address's cidr_hint bit is clear. */
static __always_inline int mxs_cidr_maybe(const struct mxs_bpf_config *cfg, __u8 family,
					  const __u8 *addr)
{
	__u32 bit, key;
	__u64 *w;

	if (!cfg->cidr_hint)
		return 1;
	bit = MXS_BPF_HINT_BIT(family, addr);
	key = bit >> 6;
	w = bpf_map_lookup_elem(&cidr_hint, &key);
	return !w || (*w >> (bit & 63)) & 1;
}

/* Look the packet's source address up. Reads only; the caller counts. */
static __always_inline void mxs_judge(const struct mxs_bpf_config *cfg, const struct mxs_pkt *p,
				      struct mxs_judgement *j)
{
	struct mxs_bpf_cidr_key ck = {};
	struct mxs_bpf_cidr_val *cv = 0;
	struct mxs_bpf_verdict *v;
	__u64 now = 0;

	j->v = 0;
	j->src = MXS_SRC_NONE;
	j->act = j->would = MXS_ACTION_NONE;
	j->shadow = 0;
	j->expired = 0;
	__builtin_memset(&j->key, 0, sizeof(j->key));

	ck.family = p->family;
	if (p->family == 4) {
		const struct iphdr *iph = p->l3;

		ck.prefixlen = 32 + 32;
		__builtin_memcpy(ck.addr, &iph->saddr, 4);
	} else {
		const struct ipv6hdr *ip6h = p->l3;

		ck.prefixlen = 32 + 128;
		__builtin_memcpy(ck.addr, &ip6h->saddr, 16);
	}
	j->key.family = p->family;
	j->key.prefix_len = p->family == 4 ? 32 : 128;
	__builtin_memcpy(j->key.addr, ck.addr, 16);
	if (mxs_cidr_maybe(cfg, ck.family, ck.addr))
		cv = bpf_map_lookup_elem(&static_cidrs, &ck);
	if (cv) {
		j->src = MXS_SRC_STATIC;
		j->act = mxs_clamp_action(cv->action);
		j->shadow = cv->shadow;
		j->would = cv->shadow ? mxs_clamp_action(cv->would_be) : j->act;
		return;
	}

	v = bpf_map_lookup_elem(&verdicts, &j->key);
	if (v) {
		now = mxs_now_ns();
		if (v->expiry_ns < now) {
			j->expired = 1;
			v = 0;
		}
	}
	if (!v && p->family == 6) {
		j->key.prefix_len = 64;
		__builtin_memset(&j->key.addr[8], 0, 8);
		v = bpf_map_lookup_elem(&verdicts, &j->key);
		if (v) {
			if (!now)
				now = mxs_now_ns();
			if (v->expiry_ns < now) {
				j->expired = 1;
				v = 0;
			}
		}
	}
	if (!v)
		return;
	j->v = v;
	j->src = MXS_SRC_VERDICT;
	j->act = mxs_clamp_action(v->action);
	j->shadow = v->shadow;
	j->would = v->shadow ? mxs_clamp_action(v->would_be) : j->act;
}

#endif
