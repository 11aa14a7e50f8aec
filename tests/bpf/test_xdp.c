/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bpf suite: xdp_enforce (bpf/mxscreen_xdp.bpf.c) on packet fixtures with
 * bpf_prog_test_run_opts: input frame -> expected XDP action, expected
 * output bytes and the exact change of every stats counter; also the
 * verdicts' hits and manual static_cidrs entries of every action. The skeleton
 * is loaded with pinning switched off, so nothing under /sys/fs/bpf is
 * touched. Needs root; exits 77 (skipped) without it or without bpf(2).
 * Single-threaded.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "check.h"
#include "mxscreen_xdp.skel.h"
#include "pkt.h"
#include "tbpf.h"

#define TAG_DSCP 46
#define SEC_NS 1000000000ull

static struct mxscreen_xdp *skel;
static int prog_fd, fd_verdicts, fd_cidrs, fd_throttle, fd_stats, fd_config, fd_hint;
static struct mxs_bpf_config cfg;
static __u64 t_live, t_dead;

/* Expected effect of one packet. Index fields are 1-based (0: none). */
struct expect {
	int xdp;                /* XDP_PASS / XDP_DROP */
	int tagged;             /* output = input with DSCP := TAG_DSCP */
	int pkts;               /* 1 + action counted in pkts[]/bytes[] */
	int shadow;             /* 1 + action counted in shadow[] */
	int stat[2];            /* 1 + TBPF_IDX() of counters expected +1 */
};

#define P(a) ((a) + 1)
#define S(f) ((int)TBPF_IDX(f) + 1)

enum patch { PATCH_NONE, PATCH_IHL4, PATCH_V4_VER, PATCH_V6_VER, PATCH_DOFF3 };

struct xcase {
	const char *name;
	const char *src;        /* source address; ':' means IPv6 */
	struct tpkt_spec s;     /* everything else; defaults filled in */
	enum patch patch;
	struct expect e;
};

static void fill_spec(const struct xcase *c, struct tpkt_spec *s, int vlans, uint16_t tpid)
{
	*s = c->s;
	s->family = strchr(c->src, ':') ? 6 : 4;
	if (s->family == 4) {
		tpkt_addr4(s->src, c->src);
		tpkt_addr4(s->dst, "203.0.113.25");
	} else {
		tpkt_addr6(s->src, c->src);
		tpkt_addr6(s->dst, "2001:db8:ffff::25");
	}
	if (!s->dport)
		s->dport = 25;
	if (!s->sport)
		s->sport = 40000;
	if (!s->tcp_flags)
		s->tcp_flags = TPKT_ACK | TPKT_PSH;
	if (!s->tos)
		s->tos = 0x01;          /* ECT(1): the ECN bits must survive */
	if (s->family == 6 && !s->flow)
		s->flow = 0xbeef5;
	s->vlans = vlans;
	s->outer_tpid = tpid;
}

static void apply_patch(struct tpkt *k, enum patch p)
{
	switch (p) {
	case PATCH_NONE:
		break;
	case PATCH_IHL4:
		k->b[k->l3] = 0x44;
		break;
	case PATCH_V4_VER:
		k->b[k->l3] = (uint8_t)(0x50 | (k->b[k->l3] & 0x0f));
		break;
	case PATCH_V6_VER:
		k->b[k->l3] = (uint8_t)(0x40 | (k->b[k->l3] & 0x0f));
		break;
	case PATCH_DOFF3:
		k->b[k->l4 + 12] = 0x30;
		break;
	}
}

/* What the frame must look like after a tag: DSCP replaced, ECN kept,
 * IPv4 header checksum recomputed from scratch (not incrementally). */
static void tag_expected(const struct tpkt *in, struct tpkt *out, uint8_t dscp)
{
	uint8_t *ip;

	*out = *in;
	ip = out->b + out->l3;
	if ((ip[0] >> 4) == 4) {
		ip[1] = (uint8_t)(dscp << 2 | (ip[1] & 3));
		ip[10] = ip[11] = 0;
		tpkt_put16(ip + 10, tpkt_ip4_csum(ip));
	} else {
		uint8_t tc = (uint8_t)((ip[0] & 0x0f) << 4 | ip[1] >> 4);

		tc = (uint8_t)(dscp << 2 | (tc & 3));
		ip[0] = (uint8_t)(0x60 | tc >> 4);
		ip[1] = (uint8_t)((tc & 0x0f) << 4 | (ip[1] & 0x0f));
	}
}

static int run_xdp(const struct tpkt *in, uint8_t *out, __u32 *out_len, __u32 *retval)
{
	LIBBPF_OPTS(bpf_test_run_opts, o,
		.data_in = in->b,
		.data_size_in = (__u32)in->len,
		.data_out = out,
		.data_size_out = 2048,
		.repeat = 1);
	int rc = bpf_prog_test_run_opts(prog_fd, &o);

	*retval = o.retval;
	*out_len = o.data_size_out;
	return rc;
}

static void check_stats_delta(const __u64 *before, const __u64 *after, const __u64 *want)
{
	for (size_t i = 0; i < TBPF_NSTATS; i++) {
		if (after[i] - before[i] != want[i]) {
			check_failures++;
			fprintf(stderr, "[%s] stats %s: +%llu, want +%llu\n", check_case,
				tbpf_stat_name(i), (unsigned long long)(after[i] - before[i]),
				(unsigned long long)want[i]);
		}
	}
}

/* Run one frame and check action, output bytes and every counter. */
static void expect_pkt(const struct tpkt *k, const struct expect *e)
{
	__u64 before[TBPF_NSTATS], after[TBPF_NSTATS], want[TBPF_NSTATS];
	uint8_t out[2048];
	struct tpkt exp;
	__u32 out_len = 0, ret = 0;

	CHECK_EQ_INT(tbpf_stats(fd_stats, before), 0);
	if (run_xdp(k, out, &out_len, &ret)) {
		check_failures++;
		fprintf(stderr, "[%s] bpf_prog_test_run_opts: %s\n", check_case, strerror(errno));
		return;
	}
	CHECK_EQ_INT(tbpf_stats(fd_stats, after), 0);
	CHECK_EQ_INT(ret, e->xdp);
	if (e->tagged)
		tag_expected(k, &exp, TAG_DSCP);
	else
		exp = *k;
	CHECK_EQ_INT(out_len, exp.len);
	if (out_len == exp.len && memcmp(out, exp.b, exp.len) != 0) {
		check_failures++;
		fprintf(stderr, "[%s] output bytes differ from the expected frame\n", check_case);
		for (size_t i = 0; i < exp.len; i++)
			if (out[i] != exp.b[i])
				fprintf(stderr, "  @%zu: 0x%02x, want 0x%02x\n", i, out[i], exp.b[i]);
	}
	if (e->tagged && (out[k->l3] >> 4) == 4)
		CHECK_EQ_INT(tpkt_ip4_csum(out + k->l3), 0);   /* valid header checksum */

	memset(want, 0, sizeof(want));
	if (e->pkts) {
		want[TBPF_IDX(pkts) + (size_t)(e->pkts - 1)] = 1;
		want[TBPF_IDX(bytes) + (size_t)(e->pkts - 1)] = k->len;
	}
	if (e->shadow)
		want[TBPF_IDX(shadow) + (size_t)(e->shadow - 1)] = 1;
	for (int i = 0; i < 2; i++)
		if (e->stat[i])
			want[e->stat[i] - 1] += 1;
	check_stats_delta(before, after, want);
}

#define E_DROP { XDP_DROP, 0, P(MXS_ACTION_DROP), 0, { 0 } }
#define E_TAG { XDP_PASS, 1, P(MXS_ACTION_TAG), 0, { 0 } }
#define E_THR { XDP_PASS, 0, P(MXS_ACTION_THROTTLE), 0, { 0 } }
#define E_PASS { XDP_PASS, 0, P(MXS_ACTION_PASS), 0, { 0 } }
#define E_NONE { XDP_PASS, 0, P(MXS_ACTION_NONE), 0, { 0 } }
#define E_NOTSMTP { XDP_PASS, 0, 0, 0, { S(not_smtp) } }
#define E_PERR { XDP_PASS, 0, 0, 0, { S(parse_errors) } }
#define X(e) (&(struct expect)e)

#define EXT(...) .ext = { __VA_ARGS__ }

/* Every case runs untagged, with one 802.1Q tag, and QinQ (802.1ad outer
 * and 802.1Q outer): the verdict must not depend on the encapsulation. */
static const struct xcase cases[] = {
	/* IPv4: each action */
	{ "v4 drop SYN", "192.0.2.1", { .tcp_flags = TPKT_SYN }, 0, E_DROP },
	{ "v4 drop data", "192.0.2.1", { .payload = 40 }, 0, E_DROP },
	{ "v4 tag", "192.0.2.2", { .payload = 10 }, 0, E_TAG },
	{ "v4 tag ECN CE", "192.0.2.2", { .tos = 0xb3 }, 0, E_TAG },
	{ "v4 tag ip options", "192.0.2.2", { .ip_opts = 8, .payload = 3 }, 0, E_TAG },
	{ "v4 tag max options", "192.0.2.2", { .ip_opts = 40, .tcp_opts = 40 }, 0, E_TAG },
	{ "v4 tag SYN", "192.0.2.2", { .tcp_flags = TPKT_SYN }, 0, E_TAG },
	{ "v4 throttle non-SYN", "192.0.2.3", { .payload = 5 }, 0, E_THR },
	{ "v4 throttle SYN-ACK", "192.0.2.3", { .tcp_flags = TPKT_SYN | TPKT_ACK }, 0, E_THR },
	{ "v4 pass", "192.0.2.4", { 0 }, 0, E_PASS },
	{ "v4 none", "192.0.2.5", { 0 }, 0, E_NONE },
	{ "v4 expired drop", "192.0.2.6", { .tcp_flags = TPKT_SYN }, 0,
	  { XDP_PASS, 0, P(MXS_ACTION_NONE), 0, { S(expired) } } },
	{ "v4 bogus action", "192.0.2.7", { 0 }, 0, E_NONE },
	{ "v4 shadow verdict", "192.0.2.8", { 0 }, 0,
	  { XDP_PASS, 0, P(MXS_ACTION_PASS), P(MXS_ACTION_DROP), { 0 } } },
	{ "v4 port 587", "192.0.2.1", { .dport = 587 }, 0, E_DROP },
	{ "v4 ip options", "192.0.2.1", { .ip_opts = 12 }, 0, E_DROP },
	{ "v4 tcp options", "192.0.2.1", { .tcp_opts = 20, .tcp_flags = TPKT_SYN }, 0, E_DROP },
	{ "v4 first fragment", "192.0.2.1", { .mf = 1, .payload = 100 }, 0, E_DROP },
	/* static CIDRs over dynamic verdicts */
	{ "v4 static allow beats drop", "10.1.2.3", { 0 }, 0,
	  { XDP_PASS, 0, P(MXS_ACTION_PASS), 0, { S(static_allow) } } },
	{ "v4 static deny beats pass", "10.2.0.5", { 0 }, 0,
	  { XDP_DROP, 0, P(MXS_ACTION_DROP), 0, { S(static_deny) } } },
	{ "v4 static deny, no verdict", "10.2.9.9", { 0 }, 0,
	  { XDP_DROP, 0, P(MXS_ACTION_DROP), 0, { S(static_deny) } } },
	{ "v4 longer allow in deny", "10.3.4.5", { 0 }, 0,
	  { XDP_PASS, 0, P(MXS_ACTION_PASS), 0, { S(static_allow) } } },
	{ "v4 deny outside allow", "10.3.5.5", { 0 }, 0,
	  { XDP_DROP, 0, P(MXS_ACTION_DROP), 0, { S(static_deny) } } },
	/* not judged */
	{ "v4 port 80", "192.0.2.1", { .dport = 80 }, 0, E_NOTSMTP },
	{ "v4 port 465", "192.0.2.1", { .dport = 465 }, 0, E_NOTSMTP },
	{ "v4 from port 25", "192.0.2.1", { .sport = 25, .dport = 40000 }, 0, E_NOTSMTP },
	{ "v4 static deny port 80", "10.2.9.9", { .dport = 80 }, 0, E_NOTSMTP },
	{ "v4 udp 25", "192.0.2.1", { .proto = 17 }, 0, E_NOTSMTP },
	{ "v4 later fragment", "192.0.2.1", { .frag_off = 3, .mf = 1, .payload = 24 }, 0, E_NOTSMTP },
	{ "v4 last fragment", "192.0.2.1", { .frag_off = 185, .payload = 24 }, 0, E_NOTSMTP },
	{ "arp", "192.0.2.1", { .ethertype = 0x0806 }, 0, E_NOTSMTP },
	/* malformed */
	{ "v4 ihl 4", "192.0.2.1", { 0 }, PATCH_IHL4, E_PERR },
	{ "v4 version 5", "192.0.2.1", { 0 }, PATCH_V4_VER, E_PERR },
	{ "v4 doff 3", "192.0.2.1", { 0 }, PATCH_DOFF3, E_PERR },

	/* IPv6: each action, /128 and /64 */
	{ "v6 drop /128", "2001:db8:1::1", { .tcp_flags = TPKT_SYN }, 0, E_DROP },
	{ "v6 other in /64 of a /128", "2001:db8:1::2", { 0 }, 0, E_NONE },
	{ "v6 tag /64", "2001:db8:2::abcd", { .payload = 7 }, 0, E_TAG },
	{ "v6 tag /64 ECN CE", "2001:db8:2::1:2", { .tos = 0x03 }, 0, E_TAG },
	{ "v6 drop /64", "2001:db8:3::2", { 0 }, 0, E_DROP },
	{ "v6 /128 pass beats /64 drop", "2001:db8:3::1", { 0 }, 0, E_PASS },
	{ "v6 expired /128 falls to /64", "2001:db8:4::1", { 0 }, 0,
	  { XDP_PASS, 1, P(MXS_ACTION_TAG), 0, { S(expired) } } },
	{ "v6 throttle non-SYN", "2001:db8:5::1", { 0 }, 0, E_THR },
	{ "v6 pass", "2001:db8:6::1", { 0 }, 0, E_PASS },
	{ "v6 expired only", "2001:db8:7::1", { .tcp_flags = TPKT_SYN }, 0,
	  { XDP_PASS, 0, P(MXS_ACTION_NONE), 0, { S(expired) } } },
	{ "v6 none", "2001:db8:9::1", { 0 }, 0, E_NONE },
	{ "v6 static allow beats drop", "2001:db8:a::1", { 0 }, 0,
	  { XDP_PASS, 0, P(MXS_ACTION_PASS), 0, { S(static_allow) } } },
	{ "v6 static deny beats pass", "2001:db8:b::1", { 0 }, 0,
	  { XDP_DROP, 0, P(MXS_ACTION_DROP), 0, { S(static_deny) } } },
	{ "v6 v4-mapped is not v4", "::ffff:192.0.2.1", { 0 }, 0, E_NONE },
	/* extension headers */
	{ "v6 hbh+dst+rt", "2001:db8:1::1", { .n_ext = 3, EXT({ 0, 0, 0, 0 }, { 60, 1, 0, 0 }, { 43, 2, 0, 0 }) },
	  0, E_DROP },
	{ "v6 first fragment", "2001:db8:1::1", { .n_ext = 2, EXT({ 0, 0, 0, 0 }, { 44, 0, 0, 1 }), .payload = 64 },
	  0, E_DROP },
	{ "v6 ah", "2001:db8:1::1", { .n_ext = 1, EXT({ 51, 1, 0, 0 }) }, 0, E_DROP },
	{ "v6 tag with ext", "2001:db8:2::5", { .n_ext = 2, EXT({ 0, 3, 0, 0 }, { 60, 0, 0, 0 }) }, 0, E_TAG },
	{ "v6 6 ext headers", "2001:db8:1::1",
	  { .n_ext = 6, EXT({ 0, 0, 0, 0 }, { 60, 0, 0, 0 }, { 43, 0, 0, 0 }, { 60, 0, 0, 0 },
			   { 44, 0, 0, 0 }, { 60, 0, 0, 0 }) }, 0, E_DROP },
	{ "v6 7 ext headers", "2001:db8:1::1",
	  { .n_ext = 7, EXT({ 0, 0, 0, 0 }, { 60, 0, 0, 0 }, { 43, 0, 0, 0 }, { 60, 0, 0, 0 },
			   { 44, 0, 0, 0 }, { 60, 0, 0, 0 }, { 60, 0, 0, 0 }) }, 0, E_PERR },
	{ "v6 later fragment", "2001:db8:1::1", { .n_ext = 1, EXT({ 44, 0, 10, 0 }), .payload = 16 },
	  0, E_NOTSMTP },
	{ "v6 esp", "2001:db8:1::1", { .proto = 50 }, 0, E_NOTSMTP },
	{ "v6 no next header", "2001:db8:1::1", { .proto = 59 }, 0, E_NOTSMTP },
	{ "v6 udp 25", "2001:db8:1::1", { .proto = 17 }, 0, E_NOTSMTP },
	{ "v6 port 80", "2001:db8:1::1", { .dport = 80 }, 0, E_NOTSMTP },
	{ "v6 port 587", "2001:db8:1::1", { .dport = 587 }, 0, E_DROP },
	{ "v6 version 4", "2001:db8:1::1", { 0 }, PATCH_V6_VER, E_PERR },
	{ "v6 doff 3", "2001:db8:1::1", { 0 }, PATCH_DOFF3, E_PERR },
};

static void test_cases(void)
{
	static const struct { int vlans; uint16_t tpid; const char *name; } enc[] = {
		{ 0, 0, "untagged" },
		{ 1, 0, "802.1Q" },
		{ 2, 0x88a8, "QinQ 802.1ad" },
		{ 2, 0x8100, "QinQ 802.1Q" },
	};
	char name[160];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		for (size_t v = 0; v < sizeof(enc) / sizeof(enc[0]); v++) {
			struct tpkt_spec s;
			struct tpkt k;

			snprintf(name, sizeof(name), "%s / %s", cases[i].name, enc[v].name);
			check_case = name;
			fill_spec(&cases[i], &s, enc[v].vlans, enc[v].tpid);
			tpkt_build(&s, &k);
			apply_patch(&k, cases[i].patch);
			expect_pkt(&k, &cases[i].e);
		}
	}
}

static void one(const char *name, const char *src, struct tpkt_spec s, int vlans,
		const struct expect *e)
{
	struct xcase c = { name, src, s, PATCH_NONE, *e };
	struct tpkt_spec full;
	struct tpkt k;

	check_case = name;
	fill_spec(&c, &full, vlans, 0);
	tpkt_build(&full, &k);
	expect_pkt(&k, e);
}

/* Cut a judged frame at every length inside its headers: each cut must
 * pass untouched and count one parse error; the whole frame is dropped. */
static void test_truncation(void)
{
	static const struct { const char *name; const char *src; struct tpkt_spec s; int vlans; } t[] = {
		{ "trunc v4", "192.0.2.1", { .ip_opts = 8, .tcp_opts = 12 }, 0 },
		{ "trunc v4 vlan", "192.0.2.1", { .ip_opts = 4, .tcp_opts = 4 }, 1 },
		{ "trunc v4 qinq", "192.0.2.1", { .ip_opts = 8, .tcp_opts = 12 }, 2 },
		{ "trunc v6", "2001:db8:1::1", { .tcp_opts = 8 }, 0 },
		{ "trunc v6 qinq ext", "2001:db8:1::1",
		  { .n_ext = 3, EXT({ 0, 1, 0, 0 }, { 44, 0, 0, 1 }, { 60, 0, 0, 0 }), .tcp_opts = 12 }, 2 },
		{ "trunc v6 vlan ah", "2001:db8:1::1", { .n_ext = 1, EXT({ 51, 2, 0, 0 }) }, 1 },
	};
	char name[160];

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct xcase c = { t[i].name, t[i].src, t[i].s, PATCH_NONE, E_DROP };
		struct tpkt_spec s;
		struct tpkt k;
		size_t full;

		fill_spec(&c, &s, t[i].vlans, 0);
		tpkt_build(&s, &k);
		full = k.len;
		snprintf(name, sizeof(name), "%s full (%zu)", t[i].name, full);
		check_case = name;
		expect_pkt(&k, X(E_DROP));
		/* bpf_prog_test_run refuses frames shorter than an Ethernet
		 * header (EINVAL), so the cuts start at 14 bytes. */
		for (size_t len = 14; len < full; len++) {
			snprintf(name, sizeof(name), "%s cut at %zu/%zu", t[i].name, len, full);
			check_case = name;
			k.len = len;
			expect_pkt(&k, X(E_PERR));
		}
	}
	{
		struct tpkt_spec s = { 0 };
		struct tpkt k;

		s.vlans = 3;
		s.family = 4;
		s.dport = 25;
		tpkt_build(&s, &k);
		check_case = "three vlan tags";
		expect_pkt(&k, X(E_PERR));
	}
}

/* DSCP rewrite over every TOS value and many header checksums: the
 * incremental update must equal a full recomputation, and be valid. */
static void test_dscp_checksums(void)
{
	int start = check_failures;
	char name[96];

	for (int opts = 0; opts <= 8; opts += 8)
		for (int tos = 0; tos < 256; tos++)
			for (int id = 0; id < 24; id++) {
				struct xcase c = { "", "192.0.2.2", { 0 }, PATCH_NONE, E_TAG };
				struct tpkt_spec s;
				struct tpkt k;

				c.s.ip_opts = opts;
				c.s.ip_id = (uint16_t)(id * 2731 + tos * 7);
				fill_spec(&c, &s, id % 3, 0);
				s.tos = (uint8_t)tos;
				tpkt_build(&s, &k);
				snprintf(name, sizeof(name), "dscp tos=0x%02x id=%u opts=%d", tos,
					 s.ip_id, opts);
				check_case = name;
				expect_pkt(&k, X(E_TAG));
				if (check_failures > start + 20)
					return;         /* enough to see what broke */
			}
	{       /* IPv6: every traffic class, flow label kept */
		for (int tc = 0; tc < 256; tc++) {
			struct xcase c = { "", "2001:db8:2::77", { 0 }, PATCH_NONE, E_TAG };
			struct tpkt_spec s;
			struct tpkt k;

			fill_spec(&c, &s, tc % 3, 0);
			s.tos = (uint8_t)tc;
			s.flow = (uint32_t)(0xfffff - tc);
			tpkt_build(&s, &k);
			snprintf(name, sizeof(name), "dscp v6 tc=0x%02x", tc);
			check_case = name;
			expect_pkt(&k, X(E_TAG));
		}
	}
}

static int set_config(void)
{
	return tbpf_config_put(fd_config, &cfg);
}

static void put_bucket(int family, int plen, const uint8_t addr[16], __u64 tokens, __u64 last_ns)
{
	struct mxs_bpf_addr_key key = tbpf_key(family, plen, addr);
	struct mxs_bpf_bucket b = { .tokens_milli = tokens, .last_ns = last_ns };

	CHECK_EQ_INT(bpf_map_update_elem(fd_throttle, &key, &b, BPF_ANY), 0);
}

#define E_SYN_OK { XDP_PASS, 0, P(MXS_ACTION_THROTTLE), 0, { S(syn_admitted) } }
#define E_SYN_DROP { XDP_DROP, 0, P(MXS_ACTION_THROTTLE), 0, { S(syn_throttled) } }

/* Token bucket: rate 1/s, burst 3. Back-to-back SYNs spend the burst;
 * refills are tested by rewinding last_ns in the bucket (CLOCK_MONOTONIC,
 * the clock bpf_ktime_get_ns reads), so no test sleeps. */
static void test_throttle(void)
{
	const char *addrs[] = { "198.51.100.9", "2001:db8:5::9" };
	struct tpkt_spec syn = { .tcp_flags = TPKT_SYN };
	struct tpkt_spec ack = { .payload = 20 };

	for (int a = 0; a < 2; a++) {
		const char *src = addrs[a];
		int family = a ? 6 : 4, plen = a ? 128 : 32;
		uint8_t addr[16];
		struct mxs_bpf_addr_key key;
		struct mxs_bpf_bucket b;

		if (a)
			tpkt_addr6(addr, src);
		else
			tpkt_addr4(addr, src);
		key = tbpf_key(family, plen, addr);
		CHECK_EQ_INT(tbpf_verdict_put(fd_verdicts, family, plen, addr, MXS_ACTION_THROTTLE,
					      t_live, 0, MXS_ACTION_THROTTLE), 0);
		/* 5 SYNs in quick succession: 3 admitted, 2 dropped; data in
		 * between always passes. */
		for (int i = 0; i < 5; i++) {
			one("throttle SYN burst", src, syn, i % 3, i < 3 ? X(E_SYN_OK) : X(E_SYN_DROP));
			one("throttle data between SYNs", src, ack, i % 3, X(E_THR));
		}
		check_case = "throttle bucket after burst";
		CHECK_EQ_INT(bpf_map_lookup_elem(fd_throttle, &key, &b), 0);
		CHECK(b.tokens_milli < 1000);
		CHECK(b.last_ns <= tbpf_now_ns());

		/* 2.5 s ago, empty: 2500 milli-tokens -> 2 SYNs, then empty */
		put_bucket(family, plen, addr, 0, tbpf_now_ns() - 25 * SEC_NS / 10);
		one("throttle refill 2.5s #1", src, syn, 0, X(E_SYN_OK));
		one("throttle refill 2.5s #2", src, syn, 1, X(E_SYN_OK));
		one("throttle refill 2.5s #3", src, syn, 2, X(E_SYN_DROP));
		one("throttle refill 2.5s data", src, ack, 0, X(E_THR));

		/* 100 s ago: refilled only up to the burst (3) */
		put_bucket(family, plen, addr, 0, tbpf_now_ns() - 100 * SEC_NS);
		for (int i = 0; i < 4; i++)
			one("throttle refill capped", src, syn, 0, i < 3 ? X(E_SYN_OK) : X(E_SYN_DROP));

		/* more tokens than the burst (burst lowered since): capped */
		put_bucket(family, plen, addr, 50000, tbpf_now_ns());
		for (int i = 0; i < 4; i++)
			one("throttle over-full bucket", src, syn, 0, i < 3 ? X(E_SYN_OK) : X(E_SYN_DROP));
		/* SYN-ACK and RST are not new connections */
		one("throttle SYN-ACK on empty bucket", src,
		    (struct tpkt_spec){ .tcp_flags = TPKT_SYN | TPKT_ACK }, 0, X(E_THR));
		one("throttle RST on empty bucket", src,
		    (struct tpkt_spec){ .tcp_flags = TPKT_RST }, 0, X(E_THR));
	}

	{       /* a /64 verdict keeps one bucket for the whole /64 */
		uint8_t net[16];
		struct mxs_bpf_addr_key key;
		struct mxs_bpf_bucket b;
		const char *src[] = { "2001:db8:c::1", "2001:db8:c::2", "2001:db8:c::3:4", "2001:db8:c::5" };

		tpkt_addr6(net, "2001:db8:c::");
		CHECK_EQ_INT(tbpf_verdict_put(fd_verdicts, 6, 64, net, MXS_ACTION_THROTTLE, t_live, 0,
					      MXS_ACTION_THROTTLE), 0);
		for (int i = 0; i < 4; i++)
			one("throttle /64 shared bucket", src[i], syn, 0, i < 3 ? X(E_SYN_OK) : X(E_SYN_DROP));
		key = tbpf_key(6, 64, net);
		check_case = "throttle /64 bucket key";
		CHECK_EQ_INT(bpf_map_lookup_elem(fd_throttle, &key, &b), 0);
	}

	{       /* rate 0: never refills; burst 0: nothing admitted */
		uint8_t addr[16];

		tpkt_addr4(addr, "198.51.100.10");
		CHECK_EQ_INT(tbpf_verdict_put(fd_verdicts, 4, 32, addr, MXS_ACTION_THROTTLE, t_live, 0,
					      MXS_ACTION_THROTTLE), 0);
		cfg.throttle_rate = 0;
		cfg.throttle_burst = 1;
		CHECK_EQ_INT(set_config(), 0);
		put_bucket(4, 32, addr, 0, tbpf_now_ns() - 1000 * SEC_NS);
		one("throttle rate 0", "198.51.100.10", syn, 0, X(E_SYN_DROP));
		tpkt_addr4(addr, "198.51.100.11");
		CHECK_EQ_INT(tbpf_verdict_put(fd_verdicts, 4, 32, addr, MXS_ACTION_THROTTLE, t_live, 0,
					      MXS_ACTION_THROTTLE), 0);
		cfg.throttle_rate = 1;
		cfg.throttle_burst = 0;
		CHECK_EQ_INT(set_config(), 0);
		one("throttle burst 0", "198.51.100.11", syn, 0, X(E_SYN_DROP));
		one("throttle burst 0 again", "198.51.100.11", syn, 0, X(E_SYN_DROP));
		cfg.throttle_rate = 1;
		cfg.throttle_burst = 3;
		CHECK_EQ_INT(set_config(), 0);
	}
}

/* config.shadow: everything is looked up and counted (shadow[] by the
 * would-be action), nothing is enforced, no bucket is touched. */
static void test_shadow(void)
{
	struct tpkt_spec syn = { .tcp_flags = TPKT_SYN };
	const struct expect sh_drop = { XDP_PASS, 0, P(MXS_ACTION_PASS), P(MXS_ACTION_DROP), { 0 } };
	const struct expect sh_tag = { XDP_PASS, 0, P(MXS_ACTION_PASS), P(MXS_ACTION_TAG), { 0 } };
	const struct expect sh_thr = { XDP_PASS, 0, P(MXS_ACTION_PASS), P(MXS_ACTION_THROTTLE), { 0 } };
	const struct expect sh_pass = { XDP_PASS, 0, P(MXS_ACTION_PASS), P(MXS_ACTION_PASS), { 0 } };
	const struct expect sh_none = { XDP_PASS, 0, P(MXS_ACTION_NONE), P(MXS_ACTION_NONE), { 0 } };
	const struct expect sh_deny = { XDP_PASS, 0, P(MXS_ACTION_PASS), P(MXS_ACTION_DROP),
					{ S(static_deny) } };
	const struct expect sh_allow = { XDP_PASS, 0, P(MXS_ACTION_PASS), P(MXS_ACTION_PASS),
					 { S(static_allow) } };
	const struct expect sh_expired = { XDP_PASS, 0, P(MXS_ACTION_NONE), P(MXS_ACTION_NONE),
					   { S(expired) } };
	uint8_t addr[16];
	struct mxs_bpf_addr_key key;
	struct mxs_bpf_bucket b;

	cfg.shadow = 1;
	CHECK_EQ_INT(set_config(), 0);
	for (int v = 0; v < 3; v++) {
		one("shadow v4 drop", "192.0.2.1", syn, v, &sh_drop);
		one("shadow v4 tag", "192.0.2.2", (struct tpkt_spec){ 0 }, v, &sh_tag);
		one("shadow v4 pass", "192.0.2.4", (struct tpkt_spec){ 0 }, v, &sh_pass);
		one("shadow v4 none", "192.0.2.5", (struct tpkt_spec){ 0 }, v, &sh_none);
		one("shadow v4 expired", "192.0.2.6", (struct tpkt_spec){ 0 }, v, &sh_expired);
		one("shadow v4 static deny", "10.2.0.5", (struct tpkt_spec){ 0 }, v, &sh_deny);
		one("shadow v4 static allow", "10.1.2.3", (struct tpkt_spec){ 0 }, v, &sh_allow);
		one("shadow v6 drop", "2001:db8:1::1", syn, v, &sh_drop);
		one("shadow v6 tag /64", "2001:db8:2::1", (struct tpkt_spec){ 0 }, v, &sh_tag);
		one("shadow v6 static deny", "2001:db8:b::1", (struct tpkt_spec){ 0 }, v, &sh_deny);
		one("shadow not smtp", "192.0.2.1", (struct tpkt_spec){ .dport = 80 }, v, X(E_NOTSMTP));
	}
	tpkt_addr4(addr, "198.51.100.20");
	CHECK_EQ_INT(tbpf_verdict_put(fd_verdicts, 4, 32, addr, MXS_ACTION_THROTTLE, t_live, 0,
				      MXS_ACTION_THROTTLE), 0);
	for (int i = 0; i < 6; i++)
		one("shadow throttle SYNs all pass", "198.51.100.20", syn, i % 3, &sh_thr);
	key = tbpf_key(4, 32, addr);
	check_case = "shadow throttle leaves no bucket";
	CHECK(bpf_map_lookup_elem(fd_throttle, &key, &b) != 0);
	cfg.shadow = 0;
	CHECK_EQ_INT(set_config(), 0);
	/* the same addresses enforce again once shadow is off */
	one("shadow off: drop", "192.0.2.1", syn, 0, X(E_DROP));
	for (int i = 0; i < 5; i++)
		one("shadow off: throttle", "198.51.100.20", syn, 0, i < 3 ? X(E_SYN_OK) : X(E_SYN_DROP));
}

/* smtp_ports all zero means port 25 only. */
static void test_default_port(void)
{
	struct mxs_bpf_config saved = cfg;

	memset(cfg.smtp_ports, 0, sizeof(cfg.smtp_ports));
	CHECK_EQ_INT(set_config(), 0);
	one("default port: 25 judged", "192.0.2.1", (struct tpkt_spec){ 0 }, 0, X(E_DROP));
	one("default port: 587 not", "192.0.2.1", (struct tpkt_spec){ .dport = 587 }, 0, X(E_NOTSMTP));
	one("default port: v6 25 judged", "2001:db8:1::1", (struct tpkt_spec){ 0 }, 1, X(E_DROP));
	cfg.smtp_ports[5] = 2525;       /* any slot counts; 25 no longer implied */
	CHECK_EQ_INT(set_config(), 0);
	one("port 2525 in slot 5", "192.0.2.1", (struct tpkt_spec){ .dport = 2525 }, 0, X(E_DROP));
	one("25 not configured", "192.0.2.1", (struct tpkt_spec){ 0 }, 0, X(E_NOTSMTP));
	cfg = saved;
	CHECK_EQ_INT(set_config(), 0);
}

/* Verdicts come and go while the program runs: an update is seen by the
 * next packet, a deletion returns the address to none. */
static void test_updates(void)
{
	uint8_t addr[16];
	struct mxs_bpf_addr_key key;

	tpkt_addr4(addr, "192.0.2.99");
	one("update: none first", "192.0.2.99", (struct tpkt_spec){ 0 }, 0, X(E_NONE));
	CHECK_EQ_INT(tbpf_verdict_put(fd_verdicts, 4, 32, addr, MXS_ACTION_DROP, t_live, 0,
				      MXS_ACTION_DROP), 0);
	one("update: drop", "192.0.2.99", (struct tpkt_spec){ 0 }, 0, X(E_DROP));
	/* expiry is judged on the tick-grained clock: 50 ms is past it */
	CHECK_EQ_INT(tbpf_verdict_put(fd_verdicts, 4, 32, addr, MXS_ACTION_DROP,
				      tbpf_now_ns() - 50 * SEC_NS / 1000, 0, MXS_ACTION_DROP), 0);
	one("update: just expired", "192.0.2.99", (struct tpkt_spec){ 0 }, 0,
	    &(struct expect){ XDP_PASS, 0, P(MXS_ACTION_NONE), 0, { S(expired) } });
	key = tbpf_key(4, 32, addr);
	CHECK_EQ_INT(bpf_map_delete_elem(fd_verdicts, &key), 0);
	one("update: deleted", "192.0.2.99", (struct tpkt_spec){ 0 }, 0, X(E_NONE));
}

/* ---- cidr_hint ---- */

static uint64_t hint[MXS_BPF_HINT_WORDS];     /* what the test put in cidr_hint */

/* Set the cidr_hint bits a CIDR covers, one by one (bit = family half +
 * the top 24 bits), and write the words that changed. */
static void hint_cidr(const char *a, int len)
{
	uint8_t x[16] = { 0 };
	int fam = strchr(a, ':') ? 6 : 4;
	uint32_t top, lo, cnt = 1;

	if (fam == 6)
		tpkt_addr6(x, a);
	else
		tpkt_addr4(x, a);
	top = (uint32_t)x[0] << 16 | (uint32_t)x[1] << 8 | x[2];
	lo = top;
	if (len < 24) {
		cnt = 1u << (24 - len);
		lo = top & ~(cnt - 1);
	}
	for (uint32_t t = lo; t < lo + cnt; t++) {
		uint32_t b = (fam == 6 ? 1u << 24 : 0) + t;
		__u32 w = b / 64;

		hint[w] |= 1ull << (b % 64);
		if (b % 64 == 63 || t + 1 == lo + cnt)
			CHECK_EQ_INT(bpf_map_update_elem(fd_hint, &w, &hint[w], BPF_ANY), 0);
	}
}

static void put_cidr(const char *a, int len, int action)
{
	uint8_t x[16] = { 0 };
	int fam = strchr(a, ':') ? 6 : 4;

	if (fam == 6)
		tpkt_addr6(x, a);
	else
		tpkt_addr4(x, a);
	CHECK_EQ_INT(tbpf_cidr_put(fd_cidrs, fam, x, len, action), 0);
}

#define E_SALLOW { XDP_PASS, 0, P(MXS_ACTION_PASS), 0, { S(static_allow) } }
#define E_SDENY { XDP_DROP, 0, P(MXS_ACTION_DROP), 0, { S(static_deny) } }

/*
 * config.cidr_hint = 1: static_cidrs is looked up only when the address's
 * cidr_hint bit is set. Covered addresses (v4 /32, /16, /8, v6 /48, /20,
 * both ends of each range) still get their static action; a trie entry
 * whose bit is missing is NOT applied with the hint on, and is applied
 * with it off (so the hint, not the trie, made the difference). Then the
 * whole fixture table again with the hint on: same results.
 */
static void test_cidr_hint(void)
{
	static const struct { const char *a; int len; int act; } c[] = {
		/* the fixture's, from setup_maps */
		{ "10.1.0.0", 16, MXS_ACTION_PASS },
		{ "10.2.0.0", 16, MXS_ACTION_DROP },
		{ "10.3.0.0", 16, MXS_ACTION_DROP },
		{ "10.3.4.0", 24, MXS_ACTION_PASS },
		{ "2001:db8:a::", 48, MXS_ACTION_PASS },
		{ "2001:db8:b::", 48, MXS_ACTION_DROP },
		/* added here */
		{ "100.64.1.1", 32, MXS_ACTION_DROP },
		{ "44.0.0.0", 8, MXS_ACTION_DROP },
		{ "45.6.0.0", 19, MXS_ACTION_PASS },
		{ "2a00:1000::", 20, MXS_ACTION_DROP },
		{ "2a00:2000::", 20, MXS_ACTION_PASS },
	};
	static const struct { const char *name, *src; struct expect e; } hit[] = {
		{ "hint v4 /32", "100.64.1.1", E_SDENY },
		{ "hint v4 /32 neighbour", "100.64.1.2", E_NONE },
		{ "hint v4 /16 allow", "10.1.255.254", E_SALLOW },
		{ "hint v4 /16 deny", "10.2.0.1", E_SDENY },
		{ "hint v4 /24 in /16", "10.3.4.200", E_SALLOW },
		{ "hint v4 /8 low", "44.0.0.1", E_SDENY },
		{ "hint v4 /8 high", "44.255.255.254", E_SDENY },
		{ "hint v4 past /8", "45.0.0.1", E_NONE },
		{ "hint v4 /19 low", "45.6.0.1", E_SALLOW },
		{ "hint v4 /19 high", "45.6.31.255", E_SALLOW },
		{ "hint v4 past /19", "45.6.32.1", E_NONE },
		{ "hint v6 /48 allow", "2001:db8:a:ffff::1", E_SALLOW },
		{ "hint v6 /48 deny", "2001:db8:b::99", E_SDENY },
		{ "hint v6 /20 low", "2a00:1000::1", E_SDENY },
		{ "hint v6 /20 high", "2a00:1fff:ffff::1", E_SDENY },
		{ "hint v6 /20 allow", "2a00:2abc::1", E_SALLOW },
		{ "hint v6 past /20", "2a00:3000::1", E_NONE },
		{ "hint v4 verdict, no CIDR", "192.0.2.1", E_DROP },
		{ "hint v6 verdict, no CIDR", "2001:db8:1::1", E_DROP },
	};
	const struct tpkt_spec plain = { 0 };
	struct mxs_bpf_config saved = cfg;

	memset(hint, 0, sizeof(hint));
	check_case = "hint setup";
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		hint_cidr(c[i].a, c[i].len);            /* bits first, then the entry */
		if (i >= 6)
			put_cidr(c[i].a, c[i].len, c[i].act);
	}
	/* in the trie, bits missing on purpose (v4 and v6) */
	put_cidr("100.100.100.0", 24, MXS_ACTION_DROP);
	put_cidr("2a01:4000::", 32, MXS_ACTION_DROP);
	cfg.cidr_hint = 1;
	CHECK_EQ_INT(set_config(), 0);

	for (size_t i = 0; i < sizeof(hit) / sizeof(hit[0]); i++)
		for (int v = 0; v < 3; v++)
			one(hit[i].name, hit[i].src, plain, v, &hit[i].e);
	one("hint on: v4 entry without bit skipped", "100.100.100.7", plain, 0, X(E_NONE));
	one("hint on: v6 entry without bit skipped", "2a01:4000::7", plain, 1, X(E_NONE));
	hint_cidr("100.100.100.0", 24);
	one("hint on: v4 entry with its bit", "100.100.100.7", plain, 0, X(E_SDENY));
	/* a bit of the other family does not count */
	hint_cidr("42.1.64.0", 24);                    /* the v4 twin of 2a01:40 */
	one("hint on: v4 bit for a v6 address", "2a01:4000::7", plain, 0, X(E_NONE));

	cfg.cidr_hint = 0;
	CHECK_EQ_INT(set_config(), 0);
	one("hint off: v6 entry without bit applied", "2a01:4000::7", plain, 0, X(E_SDENY));
	put_cidr("100.100.101.0", 24, MXS_ACTION_DROP);
	one("hint off: v4 entry without bit applied", "100.100.101.7", plain, 0, X(E_SDENY));
	for (size_t i = 0; i < sizeof(hit) / sizeof(hit[0]); i++)
		one(hit[i].name, hit[i].src, plain, 0, &hit[i].e);

	/* the whole fixture table with the hint on: nothing changes */
	cfg.cidr_hint = 1;
	CHECK_EQ_INT(set_config(), 0);
	test_cases();
	one("hint on again: v4 entry without bit skipped", "100.100.101.7", plain, 0, X(E_NONE));
	cfg = saved;
	CHECK_EQ_INT(set_config(), 0);
}

/* ---- hits, manual CIDRs ---- */

static int addr_of(const char *a, uint8_t x[16])
{
	if (strchr(a, ':')) {
		tpkt_addr6(x, a);
		return 6;
	}
	tpkt_addr4(x, a);
	return 4;
}

static long long hits_of(const char *a, int plen)
{
	uint8_t x[16];
	int fam = addr_of(a, x);

	return tbpf_hits(fd_verdicts, fam, plen, x);
}

static void put_verdict(const char *a, int plen, int action, __u64 expiry)
{
	uint8_t x[16];
	int fam = addr_of(a, x);

	CHECK_EQ_INT(tbpf_verdict_put(fd_verdicts, fam, plen, x, action, expiry, 0, action), 0);
}

/*
 * mxs_bpf_verdict.hits: +1 for each packet a drop verdict dropped and each
 * SYN a throttle verdict's bucket refused; nothing for SYNs admitted,
 * other packets of a throttled address, pass, tag, shadow, expired
 * verdicts, or a verdict a static CIDR overrides. A rewrite starts at 0.
 */
static void test_hits(void)
{
	struct tpkt_spec syn = { .tcp_flags = TPKT_SYN };
	struct tpkt_spec data = { .payload = 30 };
	uint8_t x[16];

	check_case = "hits setup";
	put_verdict("192.0.2.40", 32, MXS_ACTION_DROP, t_live);
	put_verdict("192.0.2.41", 32, MXS_ACTION_TAG, t_live);
	put_verdict("192.0.2.42", 32, MXS_ACTION_PASS, t_live);
	put_verdict("192.0.2.43", 32, MXS_ACTION_THROTTLE, t_live);
	put_verdict("192.0.2.44", 32, MXS_ACTION_DROP, t_dead);
	put_verdict("2001:db8:40::", 64, MXS_ACTION_DROP, t_live);
	tpkt_addr4(x, "192.0.2.45");   /* shadow: would drop */
	CHECK_EQ_INT(tbpf_verdict_put(fd_verdicts, 4, 32, x, MXS_ACTION_PASS, t_live, 1,
				      MXS_ACTION_DROP), 0);
	check_case = "hits start at 0";
	CHECK_EQ_INT(hits_of("192.0.2.40", 32), 0);

	for (int i = 0; i < 3; i++)
		one("hits: drop", "192.0.2.40", i ? data : syn, i, X(E_DROP));
	check_case = "hits: drop counted";
	CHECK_EQ_INT(hits_of("192.0.2.40", 32), 3);
	for (int i = 0; i < 2; i++)
		one("hits: v6 /64 drop", i ? "2001:db8:40::1" : "2001:db8:40::2:3", data, i, X(E_DROP));
	check_case = "hits: on the /64 key";
	CHECK_EQ_INT(hits_of("2001:db8:40::", 64), 2);

	one("hits: tag", "192.0.2.41", data, 0, X(E_TAG));
	one("hits: pass", "192.0.2.42", data, 0, X(E_PASS));
	one("hits: shadow verdict", "192.0.2.45", syn, 0,
	    &(struct expect){ XDP_PASS, 0, P(MXS_ACTION_PASS), P(MXS_ACTION_DROP), { 0 } });
	one("hits: expired", "192.0.2.44", syn, 0,
	    &(struct expect){ XDP_PASS, 0, P(MXS_ACTION_NONE), 0, { S(expired) } });
	one("hits: static allow over drop", "10.1.2.3", syn, 0, X(E_SALLOW));
	check_case = "hits: nothing enforced, nothing counted";
	CHECK_EQ_INT(hits_of("192.0.2.41", 32), 0);
	CHECK_EQ_INT(hits_of("192.0.2.42", 32), 0);
	CHECK_EQ_INT(hits_of("192.0.2.45", 32), 0);
	CHECK_EQ_INT(hits_of("192.0.2.44", 32), 0);
	CHECK_EQ_INT(hits_of("10.1.2.3", 32), 0);

	/* burst 3: SYNs 1-3 admitted, 4-5 refused; data never counts */
	for (int i = 0; i < 5; i++) {
		one("hits: throttle SYN", "192.0.2.43", syn, i % 3,
		    i < 3 ? X(E_SYN_OK) : X(E_SYN_DROP));
		one("hits: throttle data", "192.0.2.43", data, 0, X(E_THR));
	}
	check_case = "hits: refused SYNs";
	CHECK_EQ_INT(hits_of("192.0.2.43", 32), 2);

	/* config.shadow: nothing enforced, nothing counted */
	cfg.shadow = 1;
	CHECK_EQ_INT(set_config(), 0);
	one("hits: config shadow drop", "192.0.2.40", syn, 0,
	    &(struct expect){ XDP_PASS, 0, P(MXS_ACTION_PASS), P(MXS_ACTION_DROP), { 0 } });
	one("hits: config shadow throttle", "192.0.2.43", syn, 0,
	    &(struct expect){ XDP_PASS, 0, P(MXS_ACTION_PASS), P(MXS_ACTION_THROTTLE), { 0 } });
	cfg.shadow = 0;
	CHECK_EQ_INT(set_config(), 0);
	check_case = "hits: shadow leaves them";
	CHECK_EQ_INT(hits_of("192.0.2.40", 32), 3);
	CHECK_EQ_INT(hits_of("192.0.2.43", 32), 2);

	/* a rewrite replaces the value, hits too */
	put_verdict("192.0.2.40", 32, MXS_ACTION_DROP, t_live);
	check_case = "hits: rewritten";
	CHECK_EQ_INT(hits_of("192.0.2.40", 32), 0);
	one("hits: after rewrite", "192.0.2.40", syn, 0, X(E_DROP));
	check_case = "hits: counting again";
	CHECK_EQ_INT(hits_of("192.0.2.40", 32), 1);
}

static void put_manual(const char *a, int len, int action, int shadow, int would_be)
{
	struct mxs_bpf_cidr_val v;
	uint8_t x[16];
	int fam = addr_of(a, x);

	memset(&v, 0, sizeof(v));
	v.action = (__u8)action;
	v.would_be = (__u8)would_be;
	v.shadow = (__u8)shadow;
	v.id = MXS_BPF_CIDR_MANUAL;
	CHECK_EQ_INT(tbpf_cidr_put_val(fd_cidrs, fam, x, len, &v), 0);
}

/*
 * Manual static_cidrs entries carry any action and are applied exactly
 * like a verdict of that action: tag rewrites DSCP, throttle runs a
 * bucket per client address, drop and pass count static_deny and
 * static_allow, shadow counts the would-be action. They win over
 * verdicts; the longest prefix wins between CIDRs.
 */
static void test_manual_cidrs(void)
{
	struct tpkt_spec syn = { .tcp_flags = TPKT_SYN };
	struct tpkt_spec data = { .payload = 12 };
	struct mxs_bpf_addr_key key;
	struct mxs_bpf_bucket b;
	uint8_t x[16];

	check_case = "manual setup";
	put_manual("198.18.1.0", 24, MXS_ACTION_TAG, 0, MXS_ACTION_TAG);
	put_manual("198.18.3.0", 24, MXS_ACTION_THROTTLE, 0, MXS_ACTION_THROTTLE);
	put_manual("198.18.4.0", 24, MXS_ACTION_DROP, 0, MXS_ACTION_DROP);
	put_manual("198.18.5.0", 24, MXS_ACTION_PASS, 0, MXS_ACTION_PASS);
	put_manual("198.18.6.0", 24, MXS_ACTION_PASS, 1, MXS_ACTION_DROP);
	put_manual("10.2.7.0", 24, MXS_ACTION_TAG, 0, MXS_ACTION_TAG);   /* in deny 10.2/16 */
	put_manual("2001:db8:77::", 48, MXS_ACTION_THROTTLE, 0, MXS_ACTION_THROTTLE);
	put_manual("2001:db8:78::", 56, MXS_ACTION_TAG, 0, MXS_ACTION_TAG);
	put_verdict("198.18.1.9", 32, MXS_ACTION_DROP, t_live);
	put_verdict("198.18.5.9", 32, MXS_ACTION_DROP, t_live);

	for (int v = 0; v < 3; v++) {
		one("manual tag /24", "198.18.1.77", data, v, X(E_TAG));
		one("manual tag /24 SYN", "198.18.1.0", syn, v, X(E_TAG));
		one("manual tag /24 last", "198.18.1.255", data, v, X(E_TAG));
		one("manual tag /24 beats a drop verdict", "198.18.1.9", syn, v, X(E_TAG));
		one("manual tag /24: outside", "198.18.2.1", data, v, X(E_NONE));
		one("manual tag /24: just below", "198.18.0.255", data, v, X(E_NONE));
		one("manual drop /24", "198.18.4.1", data, v, X(E_SDENY));
		one("manual pass /24 beats a drop verdict", "198.18.5.9", syn, v, X(E_SALLOW));
		one("manual shadow /24", "198.18.6.6", syn, v,
		    &(struct expect){ XDP_PASS, 0, P(MXS_ACTION_PASS), P(MXS_ACTION_DROP), { S(static_allow) } });
		one("manual tag /24 in a deny /16", "10.2.7.200", data, v, X(E_TAG));
		one("deny /16 outside the manual /24", "10.2.8.1", data, v, X(E_SDENY));
		one("manual tag v6 /56", "2001:db8:78:ff::1", data, v, X(E_TAG));
		one("manual tag v6 /56: outside", "2001:db8:78:100::1", data, v, X(E_NONE));
		one("manual throttle data", "198.18.3.5", data, v, X(E_THR));
	}
	check_case = "manual: no verdict hits";
	CHECK_EQ_INT(hits_of("198.18.1.9", 32), 0);
	CHECK_EQ_INT(hits_of("198.18.5.9", 32), 0);

	/* throttle: one bucket per client address, not per CIDR */
	for (int i = 0; i < 4; i++)
		one("manual throttle SYNs", "198.18.3.5", syn, i % 3,
		    i < 3 ? X(E_SYN_OK) : X(E_SYN_DROP));
	one("manual throttle, next address: own bucket", "198.18.3.6", syn, 0, X(E_SYN_OK));
	one("manual throttle: outside", "198.18.2.5", syn, 0, X(E_NONE));
	check_case = "manual throttle bucket per address";
	tpkt_addr4(x, "198.18.3.5");
	key = tbpf_key(4, 32, x);
	CHECK_EQ_INT(bpf_map_lookup_elem(fd_throttle, &key, &b), 0);
	CHECK(b.tokens_milli < 1000);
	tpkt_addr4(x, "198.18.3.0");
	key = tbpf_key(4, 32, x);
	CHECK(bpf_map_lookup_elem(fd_throttle, &key, &b) != 0);
	for (int i = 0; i < 4; i++)
		one("manual throttle v6 SYNs", "2001:db8:77:1::5", syn, i % 3,
		    i < 3 ? X(E_SYN_OK) : X(E_SYN_DROP));
	one("manual throttle v6, next address", "2001:db8:77:1::6", syn, 0, X(E_SYN_OK));
	check_case = "manual throttle v6 bucket per /128";
	tpkt_addr6(x, "2001:db8:77:1::5");
	key = tbpf_key(6, 128, x);
	CHECK_EQ_INT(bpf_map_lookup_elem(fd_throttle, &key, &b), 0);

	/* config.shadow: counted by the would-be action, nothing enforced */
	cfg.shadow = 1;
	CHECK_EQ_INT(set_config(), 0);
	one("manual tag, config shadow", "198.18.1.77", data, 0,
	    &(struct expect){ XDP_PASS, 0, P(MXS_ACTION_PASS), P(MXS_ACTION_TAG), { 0 } });
	one("manual throttle, config shadow", "198.18.3.5", syn, 0,
	    &(struct expect){ XDP_PASS, 0, P(MXS_ACTION_PASS), P(MXS_ACTION_THROTTLE), { 0 } });
	cfg.shadow = 0;
	CHECK_EQ_INT(set_config(), 0);
}

static void setup_maps(void)
{
	static const struct { const char *a; int plen; int act; int dead; int shadow; int would; } v[] = {
		{ "192.0.2.1", 32, MXS_ACTION_DROP, 0, 0, MXS_ACTION_DROP },
		{ "192.0.2.2", 32, MXS_ACTION_TAG, 0, 0, MXS_ACTION_TAG },
		{ "192.0.2.3", 32, MXS_ACTION_THROTTLE, 0, 0, MXS_ACTION_THROTTLE },
		{ "192.0.2.4", 32, MXS_ACTION_PASS, 0, 0, MXS_ACTION_PASS },
		{ "192.0.2.6", 32, MXS_ACTION_DROP, 1, 0, MXS_ACTION_DROP },
		{ "192.0.2.7", 32, 9, 0, 0, 9 },
		/* as mxscreend writes it in shadow mode (ctl_policy.c) */
		{ "192.0.2.8", 32, MXS_ACTION_PASS, 0, 1, MXS_ACTION_DROP },
		{ "10.1.2.3", 32, MXS_ACTION_DROP, 0, 0, MXS_ACTION_DROP },
		{ "10.2.0.5", 32, MXS_ACTION_PASS, 0, 0, MXS_ACTION_PASS },
		{ "2001:db8:1::1", 128, MXS_ACTION_DROP, 0, 0, MXS_ACTION_DROP },
		{ "2001:db8:2::", 64, MXS_ACTION_TAG, 0, 0, MXS_ACTION_TAG },
		{ "2001:db8:3::", 64, MXS_ACTION_DROP, 0, 0, MXS_ACTION_DROP },
		{ "2001:db8:3::1", 128, MXS_ACTION_PASS, 0, 0, MXS_ACTION_PASS },
		{ "2001:db8:4::", 64, MXS_ACTION_TAG, 0, 0, MXS_ACTION_TAG },
		{ "2001:db8:4::1", 128, MXS_ACTION_DROP, 1, 0, MXS_ACTION_DROP },
		{ "2001:db8:5::1", 128, MXS_ACTION_THROTTLE, 0, 0, MXS_ACTION_THROTTLE },
		{ "2001:db8:6::1", 128, MXS_ACTION_PASS, 0, 0, MXS_ACTION_PASS },
		{ "2001:db8:7::1", 128, MXS_ACTION_DROP, 1, 0, MXS_ACTION_DROP },
		{ "2001:db8:a::1", 128, MXS_ACTION_DROP, 0, 0, MXS_ACTION_DROP },
		{ "2001:db8:b::1", 128, MXS_ACTION_PASS, 0, 0, MXS_ACTION_PASS },
	};
	static const struct { const char *a; int len; int act; } c[] = {
		{ "10.1.0.0", 16, MXS_ACTION_PASS },
		{ "10.2.0.0", 16, MXS_ACTION_DROP },
		{ "10.3.0.0", 16, MXS_ACTION_DROP },
		{ "10.3.4.0", 24, MXS_ACTION_PASS },
		{ "2001:db8:a::", 48, MXS_ACTION_PASS },
		{ "2001:db8:b::", 48, MXS_ACTION_DROP },
	};

	check_case = "setup";
	t_live = tbpf_now_ns() + 3600 * SEC_NS;
	t_dead = tbpf_now_ns() - SEC_NS;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		uint8_t a[16];
		int fam = strchr(v[i].a, ':') ? 6 : 4;

		if (fam == 6)
			tpkt_addr6(a, v[i].a);
		else
			tpkt_addr4(a, v[i].a);
		CHECK_EQ_INT(tbpf_verdict_put(fd_verdicts, fam, v[i].plen, a, v[i].act,
					      v[i].dead ? t_dead : t_live, v[i].shadow, v[i].would), 0);
	}
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		uint8_t a[16];
		int fam = strchr(c[i].a, ':') ? 6 : 4;

		if (fam == 6)
			tpkt_addr6(a, c[i].a);
		else
			tpkt_addr4(a, c[i].a);
		CHECK_EQ_INT(tbpf_cidr_put(fd_cidrs, fam, a, c[i].len, c[i].act), 0);
	}
	memset(&cfg, 0, sizeof(cfg));
	cfg.smtp_ports[0] = 25;
	cfg.smtp_ports[1] = 587;
	cfg.tag_dscp = TAG_DSCP;
	cfg.throttle_rate = 1;
	cfg.throttle_burst = 3;
	cfg.tag_mark = 0x4d58;
	CHECK_EQ_INT(set_config(), 0);
}

int main(void)
{
	struct bpf_map *m;
	int err;

	tbpf_require();
	skel = mxscreen_xdp__open();
	if (!skel) {
		fprintf(stderr, "mxscreen_xdp__open: %s\n", strerror(errno));
		return 1;
	}
	/* no pins: this test must never see or touch /sys/fs/bpf/mxscreen */
	bpf_object__for_each_map(m, skel->obj)
		if (bpf_map__set_pin_path(m, NULL)) {
			fprintf(stderr, "bpf_map__set_pin_path\n");
			return 1;
		}
	err = mxscreen_xdp__load(skel);
	if (err) {
		fprintf(stderr, "mxscreen_xdp__load: %s (verifier log above)\n", strerror(-err));
		mxscreen_xdp__destroy(skel);
		return 1;
	}
	prog_fd = bpf_program__fd(skel->progs.xdp_enforce);
	fd_verdicts = bpf_map__fd(skel->maps.verdicts);
	fd_cidrs = bpf_map__fd(skel->maps.static_cidrs);
	fd_throttle = bpf_map__fd(skel->maps.throttle);
	fd_stats = bpf_map__fd(skel->maps.stats);
	fd_config = bpf_map__fd(skel->maps.config);
	fd_hint = bpf_map__fd(skel->maps.cidr_hint);

	setup_maps();
	test_cases();
	test_truncation();
	test_dscp_checksums();
	test_throttle();
	test_shadow();
	test_default_port();
	test_updates();
	test_cidr_hint();
	test_hits();
	test_manual_cidrs();

	mxscreen_xdp__destroy(skel);
	CHECK_DONE();
}
