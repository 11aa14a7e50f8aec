/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bpf suite: xdp_inline (bpf/mxscreen_inline.bpf.c) and mxs_inline_prepare
 * (bpf/mxs_inline_load.c).
 *
 * Part 1, bpf_prog_test_run_opts, maps unpinned: every fixture, untagged,
 * 802.1Q and QinQ, runs through xdp_enforce and through xdp_inline, which
 * share one set of enforcement maps: the two must drop the same frames,
 * write the same output bytes and move every stats counter alike (one
 * enforcement); xdp_inline's return (DROP, REDIRECT, PASS) and
 * inline_stats are checked per case: SMTP-port frames of both directions
 * with no AF_XDP socket take the fail-open path to the peer port, the
 * rest go to the peer port, no tx_port entry XDP_PASS.
 *
 * Part 2, live, in a private mount namespace with a fresh bpffs on
 * /sys/fs/bpf and three private network namespaces (client - edge -
 * server, veth pairs): maps pinned as mxscreend would, mxs_inline_prepare,
 * then the af_xdp PMD's own loading sequence (open_file with no opts, load,
 * first program, xsks_map, attach UPDATE_IF_NOEXIST) on both edge ports.
 * ICMP echo and TCP to port 25 cross the edge with no socket (fail open);
 * a drop verdict written through mxscreend's pin blocks port 25 and not
 * ICMP nor another port; an AF_XDP socket bound to the client-side queue
 * receives the SYNs to port 25, and closing it opens the path again.
 * Restart: prepare detaches the stale programs, refuses a foreign one.
 * The bind-mount alternative to aliases is checked in a child.
 * Skipped (not failed) when veth/ip/ethtool are missing. Nothing outside
 * this process's namespaces is touched; they vanish with it.
 *
 * argv[1]: the object's path (meson passes the built one). Needs root;
 * exits 77 without it or without bpf(2). Single-threaded.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/ip_icmp.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <linux/bpf.h>
#include <linux/if_link.h>
#include <linux/if_xdp.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "check.h"
#include "mxs_inline_load.h"
#include "mxscreen_inline.skel.h"
#include "mxscreen_xdp.skel.h"
#include "pkt.h"
#include "tbpf.h"

#ifndef SOL_XDP
#define SOL_XDP 283
#endif

#define TAG_DSCP 46
#define SEC_NS 1000000000ull
#define NINL (sizeof(struct mxs_bpf_inline_stats) / sizeof(__u64))
#define IDX(f) (offsetof(struct mxs_bpf_inline_stats, f) / sizeof(__u64))

static const char *obj_path = MXS_INLINE_BPF_OBJ_BUILD;

/* ---- shared helpers ---- */

static int inline_stats(int fd, __u64 out[NINL])
{
	int ncpu = libbpf_num_possible_cpus();
	struct mxs_bpf_inline_stats *per;
	__u32 zero = 0;
	int rc;

	memset(out, 0, NINL * sizeof(__u64));
	if (ncpu <= 0)
		return -1;
	per = calloc((size_t)ncpu, sizeof(*per));
	if (!per)
		return -1;
	rc = bpf_map_lookup_elem(fd, &zero, per);
	for (int c = 0; rc == 0 && c < ncpu; c++)
		for (size_t i = 0; i < NINL; i++)
			out[i] += ((const __u64 *)&per[c])[i];
	free(per);
	return rc;
}

static const char *inl_name(size_t i)
{
	static const char *n[] = { "to_xsk", "fwd", "fwd_failopen", "no_peer" };

	return i < sizeof(n) / sizeof(n[0]) ? n[i] : "?";
}

static int addr_of(const char *a, uint8_t x[16])
{
	if (strchr(a, ':')) {
		tpkt_addr6(x, a);
		return 6;
	}
	tpkt_addr4(x, a);
	return 4;
}

static uint32_t map_id(int fd)
{
	struct bpf_map_info mi;
	__u32 len = sizeof(mi);

	memset(&mi, 0, sizeof(mi));
	if (bpf_obj_get_info_by_fd(fd, &mi, &len))
		return 0;
	return mi.id;
}

static uint32_t pinned_map_id(const char *path)
{
	int fd = bpf_obj_get(path);
	uint32_t id;

	if (fd < 0)
		return 0;
	id = map_id(fd);
	close(fd);
	return id;
}

/* ================= part 1: bpf_prog_test_run_opts ================= */

static struct mxscreen_inline *ski;
static struct mxscreen_xdp *skx;
static int fd_inl, fd_enf, fd_verdicts, fd_cidrs, fd_throttle, fd_stats, fd_config,
	   fd_txport, fd_istats;
static int lo_index;
static struct mxs_bpf_config cfg;

enum out { O_DROP, O_XSK, O_FWD, O_FAILOPEN, O_NOPEER };

struct icase {
	const char *name;
	const char *src;        /* ':' means IPv6 */
	struct tpkt_spec s;     /* dport 0 means 25, sport 0 means 40000 */
	int ihl4;               /* make the IPv4 header malformed */
	enum out out;
	int tagged;
};

static void fill(const struct icase *c, struct tpkt_spec *s, int vlans, uint16_t tpid)
{
	*s = c->s;
	s->family = addr_of(c->src, s->src);
	if (s->family == 4)
		tpkt_addr4(s->dst, "203.0.113.25");
	else
		tpkt_addr6(s->dst, "2001:db8:ffff::25");
	if (!s->dport)
		s->dport = 25;
	if (!s->sport)
		s->sport = 40000;
	if (!s->tcp_flags)
		s->tcp_flags = TPKT_ACK | TPKT_PSH;
	if (!s->tos)
		s->tos = 0x01;
	s->vlans = vlans;
	s->outer_tpid = tpid;
}

static int run(int prog, const struct tpkt *in, uint8_t *out, __u32 *out_len, __u32 *ret)
{
	LIBBPF_OPTS(bpf_test_run_opts, o,
		.data_in = in->b,
		.data_size_in = (__u32)in->len,
		.data_out = out,
		.data_size_out = 2048,
		.repeat = 1);
	int rc = bpf_prog_test_run_opts(prog, &o);

	*ret = o.retval;
	*out_len = o.data_size_out;
	return rc;
}

static void clear_throttle(void)
{
	struct mxs_bpf_addr_key k, next;

	while (!bpf_map_get_next_key(fd_throttle, NULL, &next)) {
		k = next;
		if (bpf_map_delete_elem(fd_throttle, &k))
			break;
	}
}

/* The frame through xdp_enforce, then xdp_inline (each from the same
 * throttle state): same enforcement, and xdp_inline's own outcome. */
static void expect(const struct tpkt *k, enum out want, int tagged)
{
	__u64 s0[TBPF_NSTATS], s1[TBPF_NSTATS], s2[TBPF_NSTATS], i0[NINL], i1[NINL];
	uint8_t oe[2048], oi[2048];
	__u32 le = 0, li = 0, re = 0, ri = 0;
	static const int xdp_of[] = {
		[O_DROP] = XDP_DROP, [O_XSK] = XDP_REDIRECT, [O_FWD] = XDP_REDIRECT,
		[O_FAILOPEN] = XDP_REDIRECT, [O_NOPEER] = XDP_PASS,
	};
	static const int idx_of[] = {
		[O_DROP] = -1, [O_XSK] = IDX(to_xsk), [O_FWD] = IDX(fwd),
		[O_FAILOPEN] = IDX(fwd_failopen), [O_NOPEER] = IDX(no_peer),
	};

	clear_throttle();
	CHECK_EQ_INT(tbpf_stats(fd_stats, s0), 0);
	CHECK_EQ_INT(run(fd_enf, k, oe, &le, &re), 0);
	CHECK_EQ_INT(tbpf_stats(fd_stats, s1), 0);
	clear_throttle();
	CHECK_EQ_INT(inline_stats(fd_istats, i0), 0);
	CHECK_EQ_INT(run(fd_inl, k, oi, &li, &ri), 0);
	CHECK_EQ_INT(tbpf_stats(fd_stats, s2), 0);
	CHECK_EQ_INT(inline_stats(fd_istats, i1), 0);

	CHECK_EQ_INT(ri, xdp_of[want]);
	CHECK_EQ_INT(re == XDP_DROP, ri == XDP_DROP);
	CHECK_EQ_INT(re == XDP_DROP || re == XDP_PASS, 1);
	CHECK_EQ_INT(li, le);
	CHECK_EQ_INT(li, k->len);
	if (li == le && memcmp(oi, oe, li)) {
		check_failures++;
		fprintf(stderr, "[%s] output bytes of xdp_inline and xdp_enforce differ\n",
			check_case);
	}
	if (li == k->len && ri != XDP_DROP) {
		int ip4 = (k->b[k->l3] >> 4) == 4;
		uint8_t dscp = ip4 ? (uint8_t)(oi[k->l3 + 1] >> 2) :
			(uint8_t)(((oi[k->l3] & 0x0f) << 4 | oi[k->l3 + 1] >> 4) >> 2);

		if (tagged) {
			CHECK_EQ_INT(dscp, TAG_DSCP);
			if (ip4)
				CHECK_EQ_INT(tpkt_ip4_csum(oi + k->l3), 0);
			CHECK_EQ_INT(memcmp(oi, k->b, k->l3), 0);      /* L2, VLAN tags kept */
		} else if (memcmp(oi, k->b, li)) {
			check_failures++;
			fprintf(stderr, "[%s] frame changed, not tagged\n", check_case);
		}
	}
	for (size_t i = 0; i < TBPF_NSTATS; i++)
		if (s2[i] - s1[i] != s1[i] - s0[i]) {
			check_failures++;
			fprintf(stderr, "[%s] stats %s: xdp_inline +%llu, xdp_enforce +%llu\n",
				check_case, tbpf_stat_name(i),
				(unsigned long long)(s2[i] - s1[i]),
				(unsigned long long)(s1[i] - s0[i]));
		}
	for (size_t i = 0; i < NINL; i++) {
		__u64 w = (int)i == idx_of[want] ? 1 : 0;

		if (i1[i] - i0[i] != w) {
			check_failures++;
			fprintf(stderr, "[%s] inline_stats %s: +%llu, want +%llu\n", check_case,
				inl_name(i), (unsigned long long)(i1[i] - i0[i]),
				(unsigned long long)w);
		}
	}
}

static const struct icase cases[] = {
	/* SMTP-port traffic, no socket: enforced, then fail open */
	{ "none to 25", "192.0.2.5", { 0 }, 0, O_FAILOPEN, 0 },
	{ "none SYN to 25", "192.0.2.5", { .tcp_flags = TPKT_SYN }, 0, O_FAILOPEN, 0 },
	{ "pass to 25", "192.0.2.4", { 0 }, 0, O_FAILOPEN, 0 },
	{ "none to 587", "192.0.2.5", { .dport = 587 }, 0, O_FAILOPEN, 0 },
	{ "drop SYN", "192.0.2.1", { .tcp_flags = TPKT_SYN }, 0, O_DROP, 0 },
	{ "drop data", "192.0.2.1", { .payload = 40 }, 0, O_DROP, 0 },
	{ "drop to 587", "192.0.2.1", { .dport = 587 }, 0, O_DROP, 0 },
	{ "tag", "192.0.2.2", { .payload = 10 }, 0, O_FAILOPEN, 1 },
	{ "tag ip options", "192.0.2.2", { .ip_opts = 8 }, 0, O_FAILOPEN, 1 },
	{ "throttle SYN, empty bucket", "192.0.2.3", { .tcp_flags = TPKT_SYN }, 0, O_DROP, 0 },
	{ "throttle data", "192.0.2.3", { .payload = 3 }, 0, O_FAILOPEN, 0 },
	{ "expired drop", "192.0.2.6", { .tcp_flags = TPKT_SYN }, 0, O_FAILOPEN, 0 },
	{ "shadow drop verdict", "192.0.2.8", { 0 }, 0, O_FAILOPEN, 0 },
	{ "static deny", "10.2.3.4", { 0 }, 0, O_DROP, 0 },
	{ "static allow in deny", "10.2.9.9", { 0 }, 0, O_FAILOPEN, 0 },
	{ "manual tag CIDR", "10.4.0.9", { 0 }, 0, O_FAILOPEN, 1 },
	{ "manual drop CIDR", "10.5.0.9", { .tcp_flags = TPKT_SYN }, 0, O_DROP, 0 },
	{ "v6 drop", "2001:db8:1::1", { .tcp_flags = TPKT_SYN }, 0, O_DROP, 0 },
	{ "v6 tag /64", "2001:db8:2::5", { 0 }, 0, O_FAILOPEN, 1 },
	{ "v6 none", "2001:db8:9::1", { 0 }, 0, O_FAILOPEN, 0 },
	{ "v6 ext headers, drop", "2001:db8:1::1",
	  { .n_ext = 2, .ext = { { 0, 0, 0, 0 }, { 60, 1, 0, 0 } } }, 0, O_DROP, 0 },
	/* the server's side: from an SMTP port, never judged, to the socket */
	{ "from 25", "203.0.113.9", { .sport = 25, .dport = 40000 }, 0, O_FAILOPEN, 0 },
	{ "from 25, source has a drop verdict", "192.0.2.1", { .sport = 25, .dport = 40000 },
	  0, O_FAILOPEN, 0 },
	{ "from 587", "203.0.113.9", { .sport = 587, .dport = 40000 }, 0, O_FAILOPEN, 0 },
	{ "v6 from 25", "2001:db8:1::1", { .sport = 25, .dport = 40000 }, 0, O_FAILOPEN, 0 },
	/* everything else: straight to the peer */
	{ "drop verdict, port 80", "192.0.2.1", { .dport = 80 }, 0, O_FWD, 0 },
	{ "tag verdict, port 80", "192.0.2.2", { .dport = 80 }, 0, O_FWD, 0 },
	{ "port 2525", "192.0.2.5", { .dport = 2525, .sport = 2526 }, 0, O_FWD, 0 },
	{ "v6 port 443", "2001:db8:1::1", { .dport = 443 }, 0, O_FWD, 0 },
	{ "udp 25", "192.0.2.1", { .proto = 17 }, 0, O_FWD, 0 },
	{ "later fragment", "192.0.2.1", { .frag_off = 3, .payload = 24 }, 0, O_FWD, 0 },
	{ "arp", "192.0.2.1", { .ethertype = 0x0806 }, 0, O_FWD, 0 },
	{ "malformed ipv4 to 25", "192.0.2.1", { 0 }, 1, O_FWD, 0 },
};

static const struct { int vlans; uint16_t tpid; const char *name; } encs[] = {
	{ 0, 0, "untagged" },
	{ 1, 0, "802.1Q" },
	{ 2, 0x88a8, "QinQ 802.1ad" },
	{ 2, 0x8100, "QinQ 802.1Q" },
};

static void run_case(const struct icase *c, size_t enc, enum out want, const char *tag)
{
	char name[192];
	struct tpkt_spec s;
	struct tpkt k;

	snprintf(name, sizeof(name), "%s%s / %s", tag, c->name, encs[enc].name);
	check_case = name;
	fill(c, &s, encs[enc].vlans, encs[enc].tpid);
	tpkt_build(&s, &k);
	if (c->ihl4)
		k.b[k.l3] = 0x44;
	expect(&k, want, c->tagged);
}

static void put_verdict(const char *a, int plen, int act, __u64 exp, int shadow, int would)
{
	uint8_t x[16];
	int fam = addr_of(a, x);

	CHECK_EQ_INT(tbpf_verdict_put(fd_verdicts, fam, plen, x, act, exp, shadow, would), 0);
}

static void put_cidr(const char *a, int len, int act, int manual)
{
	struct mxs_bpf_cidr_val v;
	uint8_t x[16];
	int fam = addr_of(a, x);

	memset(&v, 0, sizeof(v));
	v.action = (__u8)act;
	v.would_be = (__u8)act;
	v.id = manual ? MXS_BPF_CIDR_MANUAL : 0;
	CHECK_EQ_INT(tbpf_cidr_put_val(fd_cidrs, fam, x, len, &v), 0);
}

static void set_peer(int on)
{
	__u32 k = (__u32)lo_index, v = (__u32)lo_index;

	if (on)
		CHECK_EQ_INT(bpf_map_update_elem(fd_txport, &k, &v, BPF_ANY), 0);
	else
		CHECK_EQ_INT(bpf_map_delete_elem(fd_txport, &k), 0);
}

static int part1(void)
{
	const char *shared[] = { "verdicts", "static_cidrs", "throttle", "stats", "config",
				 "cidr_hint" };
	__u64 live = tbpf_now_ns() + 3600 * SEC_NS, dead = tbpf_now_ns() - SEC_NS;
	struct bpf_map *m;
	int err;

	ski = mxscreen_inline__open();
	skx = mxscreen_xdp__open();
	if (!ski || !skx) {
		fprintf(stderr, "skeleton open: %s\n", strerror(errno));
		return -1;
	}
	/* no pins: part 1 never sees or touches a bpffs */
	bpf_object__for_each_map(m, ski->obj)
		bpf_map__set_pin_path(m, NULL);
	bpf_object__for_each_map(m, skx->obj)
		bpf_map__set_pin_path(m, NULL);
	err = mxscreen_inline__load(ski);
	if (err) {
		fprintf(stderr, "mxscreen_inline__load: %s (verifier log above)\n", strerror(-err));
		return -1;
	}
	/* xdp_enforce on xdp_inline's maps: one set of verdicts and stats */
	for (size_t i = 0; i < sizeof(shared) / sizeof(shared[0]); i++) {
		struct bpf_map *a = bpf_object__find_map_by_name(ski->obj, shared[i]);
		struct bpf_map *b = bpf_object__find_map_by_name(skx->obj, shared[i]);

		if (!a || !b || bpf_map__reuse_fd(b, bpf_map__fd(a))) {
			fprintf(stderr, "sharing map %s failed\n", shared[i]);
			return -1;
		}
	}
	err = mxscreen_xdp__load(skx);
	if (err) {
		fprintf(stderr, "mxscreen_xdp__load: %s\n", strerror(-err));
		return -1;
	}
	fd_inl = bpf_program__fd(ski->progs.xdp_inline);
	fd_enf = bpf_program__fd(skx->progs.xdp_enforce);
	fd_verdicts = bpf_map__fd(ski->maps.verdicts);
	fd_cidrs = bpf_map__fd(ski->maps.static_cidrs);
	fd_throttle = bpf_map__fd(ski->maps.throttle);
	fd_stats = bpf_map__fd(ski->maps.stats);
	fd_config = bpf_map__fd(ski->maps.config);
	fd_txport = bpf_map__fd(ski->maps.tx_port);
	fd_istats = bpf_map__fd(ski->maps.inline_stats);
	/* test runs come in on lo (the netns's loopback, ctx unset) */
	lo_index = (int)if_nametoindex("lo");
	CHECK(lo_index > 0);

	check_case = "setup";
	put_verdict("192.0.2.1", 32, MXS_ACTION_DROP, live, 0, MXS_ACTION_DROP);
	put_verdict("192.0.2.2", 32, MXS_ACTION_TAG, live, 0, MXS_ACTION_TAG);
	put_verdict("192.0.2.3", 32, MXS_ACTION_THROTTLE, live, 0, MXS_ACTION_THROTTLE);
	put_verdict("192.0.2.4", 32, MXS_ACTION_PASS, live, 0, MXS_ACTION_PASS);
	put_verdict("192.0.2.6", 32, MXS_ACTION_DROP, dead, 0, MXS_ACTION_DROP);
	put_verdict("192.0.2.8", 32, MXS_ACTION_PASS, live, 1, MXS_ACTION_DROP);
	put_verdict("10.2.3.4", 32, MXS_ACTION_PASS, live, 0, MXS_ACTION_PASS);
	put_verdict("2001:db8:1::1", 128, MXS_ACTION_DROP, live, 0, MXS_ACTION_DROP);
	put_verdict("2001:db8:2::", 64, MXS_ACTION_TAG, live, 0, MXS_ACTION_TAG);
	put_cidr("10.2.0.0", 16, MXS_ACTION_DROP, 0);
	put_cidr("10.2.9.0", 24, MXS_ACTION_PASS, 0);
	put_cidr("10.4.0.0", 16, MXS_ACTION_TAG, 1);
	put_cidr("10.5.0.0", 16, MXS_ACTION_DROP, 1);
	memset(&cfg, 0, sizeof(cfg));
	cfg.smtp_ports[0] = 25;
	cfg.smtp_ports[1] = 587;
	cfg.tag_dscp = TAG_DSCP;
	cfg.throttle_rate = 0;          /* no refill, no burst: every SYN refused, */
	cfg.throttle_burst = 0;         /* whatever the bucket's state */
	CHECK_EQ_INT(tbpf_config_put(fd_config, &cfg), 0);
	set_peer(1);

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		for (size_t e = 0; e < sizeof(encs) / sizeof(encs[0]); e++)
			run_case(&cases[i], e, cases[i].out, "");

	/* no tx_port entry for the ingress port: to the stack, never aborted */
	set_peer(0);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run_case(&cases[i], i % 4, cases[i].out == O_DROP ? O_DROP : O_NOPEER, "no peer: ");
	set_peer(1);

	/* shadow mode: nothing dropped, everything counted, SMTP still fails open */
	cfg.shadow = 1;
	CHECK_EQ_INT(tbpf_config_put(fd_config, &cfg), 0);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		enum out o = cases[i].out;

		if (o == O_DROP)
			o = cases[i].s.dport == 25 || cases[i].s.dport == 587 || !cases[i].s.dport ?
				O_FAILOPEN : O_FWD;
		if (cases[i].tagged)
			continue;       /* shadow: a tag verdict leaves the frame alone */
		run_case(&cases[i], (i + 1) % 4, o, "shadow: ");
	}
	cfg.shadow = 0;
	CHECK_EQ_INT(tbpf_config_put(fd_config, &cfg), 0);

	/* default ports (none configured): 25 only, both directions */
	memset(cfg.smtp_ports, 0, sizeof(cfg.smtp_ports));
	CHECK_EQ_INT(tbpf_config_put(fd_config, &cfg), 0);
	{
		static const struct icase d[] = {
			{ "default ports: to 25", "192.0.2.5", { 0 }, 0, O_FAILOPEN, 0 },
			{ "default ports: from 25", "192.0.2.5", { .sport = 25, .dport = 4000 },
			  0, O_FAILOPEN, 0 },
			{ "default ports: to 587", "192.0.2.1", { .dport = 587 }, 0, O_FWD, 0 },
			{ "default ports: from 587", "192.0.2.1", { .sport = 587, .dport = 4000 },
			  0, O_FWD, 0 },
		};

		for (size_t i = 0; i < sizeof(d) / sizeof(d[0]); i++)
			run_case(&d[i], 2, d[i].out, "");
	}
	return 0;
}

/* ================= part 2: live, namespaces and veth ================= */

#define NS_CLI 0
#define NS_EDGE 1
#define NS_SRV 2

static int ns_fd[3] = { -1, -1, -1 }, host_ns = -1;
static const char *pin_dir = MXS_INLINE_PMD_ROOT "/mxscreen-test";
static int if_ea, if_eb;        /* the edge's ports: client side, server side */
static int fd_pv, fd_pcfg, fd_pist;     /* pinned verdicts, config, inline_stats */
static int pass_prog = -1;
static struct bpf_object *pmd_obj[2];

static int enter(int which)
{
	return setns(ns_fd[which], CLONE_NEWNET);
}

__attribute__((format(printf, 2, 3)))
static int sh(int which, const char *fmt, ...)
{
	char cmd[512];
	va_list ap;
	int rc;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	if (enter(which))
		return -1;
	rc = system(cmd);
	enter(NS_EDGE);
	return rc == -1 || !WIFEXITED(rc) ? -1 : WEXITSTATUS(rc);
}

/* A program that passes everything, for the veth peers: a veth sends
 * XDP_REDIRECTed frames only to a peer with an XDP program. */
static int load_pass_prog(void)
{
	struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = XDP_PASS },
		{ .code = BPF_JMP | BPF_EXIT },
	};

	return bpf_prog_load(BPF_PROG_TYPE_XDP, "mxs_test_pass", "GPL", insns, 2, NULL);
}

static int attach_in(int which, const char *ifn, int fd)
{
	int idx, rc;

	if (enter(which))
		return -1;
	idx = (int)if_nametoindex(ifn);
	rc = idx ? bpf_xdp_attach(idx, fd, XDP_FLAGS_DRV_MODE, NULL) : -1;
	enter(NS_EDGE);
	return rc;
}

/* Namespaces (held by fds only), veths, addresses. 0, or -1 to skip. */
static int make_net(void)
{
	char p[64];

	host_ns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	for (int i = 0; i < 3; i++) {
		if (unshare(CLONE_NEWNET))
			return -1;
		ns_fd[i] = open("/proc/self/ns/net", O_RDONLY);       /* inherited by ip */
		setns(host_ns, CLONE_NEWNET);
	}
	enter(NS_EDGE);
#define PATH_OF(i) (snprintf(p, sizeof(p), "/proc/%d/fd/%d", (int)getpid(), ns_fd[i]), p)
	if (sh(NS_EDGE, "ip link add mxea type veth peer name mxc0 netns %s", PATH_OF(NS_CLI)) ||
	    sh(NS_EDGE, "ip link add mxeb type veth peer name mxs0 netns %s", PATH_OF(NS_SRV)))
		return -1;
#undef PATH_OF
	if (sh(NS_EDGE, "ip link set lo up && ip link set mxea up && ip link set mxeb up") ||
	    sh(NS_CLI, "ip link set lo up && ip addr add 10.99.0.1/24 dev mxc0 && "
		       "ip link set mxc0 up") ||
	    sh(NS_SRV, "ip link set lo up && ip addr add 10.99.0.2/24 dev mxs0 && "
		       "ip link set mxs0 up"))
		return -1;
	/* A redirected frame leaves as it is: a checksum left to offload
	 * (CHECKSUM_PARTIAL on a veth) would arrive unfinished. */
	if (sh(NS_CLI, "ethtool -K mxc0 tx off >/dev/null") ||
	    sh(NS_SRV, "ethtool -K mxs0 tx off >/dev/null"))
		return -1;
	if_ea = (int)if_nametoindex("mxea");
	if_eb = (int)if_nametoindex("mxeb");
	return if_ea && if_eb ? 0 : -1;
}

/* ---- traffic, from the test process, sockets made in their netns ---- */

static int sock_in(int which, int domain, int type, int proto)
{
	int fd;

	if (enter(which))
		return -1;
	fd = socket(domain, type, proto);
	enter(NS_EDGE);
	return fd;
}

static uint16_t icmp_sum(const void *p, size_t n)
{
	return tpkt_fold(tpkt_sum(0, p, n));
}

/* ICMP echo client -> server: 1 if a reply came back within ~2 s. */
static int ping_ok(void)
{
	static uint16_t seq;
	struct sockaddr_in to = { .sin_family = AF_INET };
	int fd = sock_in(NS_CLI, AF_INET, SOCK_RAW, IPPROTO_ICMP), got = 0;

	if (fd < 0)
		return 0;
	inet_pton(AF_INET, "10.99.0.2", &to.sin_addr);
	for (int tries = 0; tries < 4 && !got; tries++) {
		struct icmphdr h = { .type = ICMP_ECHO };
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		uint8_t buf[256];

		h.un.echo.id = htons((uint16_t)getpid());
		h.un.echo.sequence = htons(++seq);
		h.checksum = htons(icmp_sum(&h, sizeof(h)));
		if (sendto(fd, &h, sizeof(h), 0, (struct sockaddr *)&to, sizeof(to)) < 0)
			break;
		while (!got && poll(&pfd, 1, 500) > 0) {
			ssize_t n = recv(fd, buf, sizeof(buf), 0);
			size_t ihl = n > 0 ? (size_t)(buf[0] & 0x0f) * 4 : 0;
			const struct icmphdr *r = (const void *)(buf + ihl);

			if (n >= (ssize_t)(ihl + sizeof(*r)) && r->type == ICMP_ECHOREPLY &&
			    r->un.echo.id == h.un.echo.id && r->un.echo.sequence == h.un.echo.sequence)
				got = 1;
		}
	}
	close(fd);
	return got;
}

static int listen_srv(uint16_t port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	int one = 1, fd = sock_in(NS_SRV, AF_INET, SOCK_STREAM, IPPROTO_TCP);

	if (fd < 0)
		return -1;
	inet_pton(AF_INET, "10.99.0.2", &a.sin_addr);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) || listen(fd, 16)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* TCP client -> server:port within @ms, then a line each way: 1 if all
 * of it crossed the edge. */
static int tcp_ok(int lfd, uint16_t port, int ms)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	int fd = sock_in(NS_CLI, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, IPPROTO_TCP);
	struct pollfd pfd = { .fd = fd, .events = POLLOUT };
	int ok = 0, soerr = 0, afd = -1;
	socklen_t sl = sizeof(soerr);
	char buf[64];

	if (fd < 0)
		return 0;
	inet_pton(AF_INET, "10.99.0.2", &a.sin_addr);
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) && errno != EINPROGRESS)
		goto out;
	if (poll(&pfd, 1, ms) != 1 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) || soerr)
		goto out;
	pfd = (struct pollfd){ .fd = lfd, .events = POLLIN };
	if (poll(&pfd, 1, 1000) != 1 || (afd = accept(lfd, NULL, NULL)) < 0)
		goto out;
	if (send(fd, "EHLO client\r\n", 13, 0) != 13)
		goto out;
	pfd = (struct pollfd){ .fd = afd, .events = POLLIN };
	if (poll(&pfd, 1, 1000) != 1 || recv(afd, buf, sizeof(buf), 0) != 13)
		goto out;
	if (send(afd, "250 ok\r\n", 8, 0) != 8)
		goto out;
	pfd = (struct pollfd){ .fd = fd, .events = POLLIN };
	ok = poll(&pfd, 1, 1000) == 1 && recv(fd, buf, sizeof(buf), 0) == 8 &&
	     !memcmp(buf, "250 ok", 6);
out:
	if (afd >= 0)
		close(afd);
	close(fd);
	return ok;
}

/* ---- an AF_XDP socket, as the PMD would bind one (copy mode) ---- */

#define XSK_N 64
#define XSK_FRAME 4096

struct xsk {
	int fd;
	uint8_t *umem;
	void *fq, *rx;
	size_t fq_len, rx_len;
	struct xdp_mmap_offsets off;
	__u32 rx_cons;
};

static int xsk_open(struct xsk *x, int ifindex, __u32 queue)
{
	struct xdp_umem_reg mr = { .len = XSK_N * XSK_FRAME, .chunk_size = XSK_FRAME };
	struct sockaddr_xdp sx = { .sxdp_family = AF_XDP, .sxdp_ifindex = (__u32)ifindex,
				   .sxdp_queue_id = queue, .sxdp_flags = XDP_COPY };
	socklen_t ol = sizeof(x->off);
	int n = XSK_N;

	memset(x, 0, sizeof(*x));
	x->fd = socket(AF_XDP, SOCK_RAW, 0);
	if (x->fd < 0)
		return -1;
	x->umem = mmap(NULL, XSK_N * XSK_FRAME, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (x->umem == MAP_FAILED)
		return -1;
	mr.addr = (__u64)(uintptr_t)x->umem;
	if (setsockopt(x->fd, SOL_XDP, XDP_UMEM_REG, &mr, sizeof(mr)) ||
	    setsockopt(x->fd, SOL_XDP, XDP_UMEM_FILL_RING, &n, sizeof(n)) ||
	    setsockopt(x->fd, SOL_XDP, XDP_UMEM_COMPLETION_RING, &n, sizeof(n)) ||
	    setsockopt(x->fd, SOL_XDP, XDP_RX_RING, &n, sizeof(n)) ||
	    getsockopt(x->fd, SOL_XDP, XDP_MMAP_OFFSETS, &x->off, &ol))
		return -1;
	x->fq_len = x->off.fr.desc + XSK_N * sizeof(__u64);
	x->rx_len = x->off.rx.desc + XSK_N * sizeof(struct xdp_desc);
	x->fq = mmap(NULL, x->fq_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, x->fd,
		     XDP_UMEM_PGOFF_FILL_RING);
	x->rx = mmap(NULL, x->rx_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, x->fd,
		     XDP_PGOFF_RX_RING);
	if (x->fq == MAP_FAILED || x->rx == MAP_FAILED)
		return -1;
	for (int i = 0; i < XSK_N; i++)
		((__u64 *)((char *)x->fq + x->off.fr.desc))[i] = (__u64)i * XSK_FRAME;
	__atomic_store_n((__u32 *)((char *)x->fq + x->off.fr.producer), XSK_N, __ATOMIC_RELEASE);
	return bind(x->fd, (struct sockaddr *)&sx, sizeof(sx));
}

static void xsk_close(struct xsk *x)
{
	if (x->fq && x->fq != MAP_FAILED)
		munmap(x->fq, x->fq_len);
	if (x->rx && x->rx != MAP_FAILED)
		munmap(x->rx, x->rx_len);
	if (x->fd >= 0)
		close(x->fd);   /* the kernel takes it out of xsks_map */
	if (x->umem && x->umem != MAP_FAILED)
		munmap(x->umem, XSK_N * XSK_FRAME);
	x->fd = -1;
}

/* Received frames that are IPv4 TCP SYNs to port 25. */
static int xsk_syns25(struct xsk *x)
{
	__u32 prod = __atomic_load_n((__u32 *)((char *)x->rx + x->off.rx.producer),
				     __ATOMIC_ACQUIRE);
	const struct xdp_desc *d = (const void *)((char *)x->rx + x->off.rx.desc);
	int n = 0;

	for (; x->rx_cons != prod; x->rx_cons++) {
		const struct xdp_desc *e = &d[x->rx_cons & (XSK_N - 1)];
		const uint8_t *f = x->umem + e->addr;

		if (e->len >= 14 + 20 + 20 && f[12] == 0x08 && f[13] == 0x00 && f[23] == 6) {
			const uint8_t *th = f + 14 + (f[14] & 0x0f) * 4;

			if (th + 20 <= f + e->len && th[2] == 0 && th[3] == 25 && (th[13] & 0x12) == 0x02)
				n++;
		}
	}
	__atomic_store_n((__u32 *)((char *)x->rx + x->off.rx.consumer), x->rx_cons,
			 __ATOMIC_RELEASE);
	return n;
}

/* ---- the PMD's sequence (compat.h load_program, load_custom_xdp_prog) ---- */

static int pmd_load(int slot, int ifindex, int *ret_xsks_fd)
{
	struct bpf_program *p;
	struct bpf_map *m;
	struct bpf_object *o = bpf_object__open_file(obj_path, NULL);

	if (!o)
		return -1;
	if (bpf_object__load(o) || !(p = bpf_object__next_program(o, NULL)) ||
	    !(m = bpf_object__find_map_by_name(o, "xsks_map")) ||
	    bpf_xdp_attach(ifindex, bpf_program__fd(p), XDP_FLAGS_UPDATE_IF_NOEXIST, NULL)) {
		bpf_object__close(o);
		return -1;
	}
	pmd_obj[slot] = o;
	*ret_xsks_fd = bpf_map__fd(m);
	return 0;
}

static void pmd_close(void)
{
	for (int i = 0; i < 2; i++) {
		bpf_object__close(pmd_obj[i]);  /* the attachment stays, as after a crash */
		pmd_obj[i] = NULL;
	}
}

static uint32_t attached(int ifindex)
{
	__u32 id = 0;

	bpf_xdp_query_id(ifindex, 0, &id);
	return id;
}

static __u64 ist(size_t idx)
{
	__u64 v[NINL];

	inline_stats(fd_pist, v);
	return v[idx];
}

static void put_client_verdict(int action)
{
	uint8_t a[16];

	tpkt_addr4(a, "10.99.0.1");
	if (action < 0) {
		struct mxs_bpf_addr_key k = tbpf_key(4, 32, a);

		CHECK_EQ_INT(bpf_map_delete_elem(fd_pv, &k), 0);
		return;
	}
	CHECK_EQ_INT(tbpf_verdict_put(fd_pv, 4, 32, a, action, MXS_BPF_EXPIRY_NEVER, 0, action), 0);
}

/* The bind-mount alternative, in a child: pin_dir seen as /sys/fs/bpf,
 * prepare with no aliases, the PMD's load finds mxscreend's maps. The
 * child's prepare also detaches the programs attached now (stale). */
static int bindmount_child(uint32_t verdicts_id)
{
	char err[512];
	struct bpf_object *o;
	struct bpf_map *m;
	pid_t pid = fork();
	int st;

	if (pid < 0)
		return -1;
	if (pid == 0) {
		if (unshare(CLONE_NEWNS) || mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) ||
		    mount(pin_dir, MXS_INLINE_PMD_ROOT, NULL, MS_BIND, NULL))
			_exit(10);
		if (mxs_inline_prepare(obj_path, MXS_INLINE_PMD_ROOT, if_ea, if_eb, err,
				       sizeof(err))) {
			fprintf(stderr, "child prepare: %s\n", err);
			_exit(11);
		}
		if (access(MXS_INLINE_PMD_ROOT "/verdicts_new", F_OK) == 0)
			_exit(12);
		o = bpf_object__open_file(obj_path, NULL);
		if (!o || bpf_object__load(o))
			_exit(13);
		m = bpf_object__find_map_by_name(o, "verdicts");
		_exit(m && map_id(bpf_map__fd(m)) == verdicts_id ? 0 : 14);
	}
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

static void part2(void)
{
	const char *pinned[] = { "verdicts", "static_cidrs", "throttle", "stats", "config",
				 "cidr_hint", "tx_port", "inline_stats" };
	struct mxscreen_xdp *d;
	char err[512], path[256];
	struct bpf_map *m;
	int xs[2], l25, l2526, rc;
	struct mxs_bpf_config c;
	struct xsk x;
	__u32 k, v;
	__u64 n0;

	check_case = "live setup";
	if (unshare(CLONE_NEWNS) || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) ||
	    mount("bpf", MXS_INLINE_PMD_ROOT, "bpf", 0, "mode=0700")) {
		printf("live part skipped: private bpffs: %s\n", strerror(errno));
		return;
	}
	if (make_net()) {
		printf("live part skipped: veth/ip/ethtool unavailable\n");
		return;
	}
	pass_prog = load_pass_prog();
	if (pass_prog < 0 || attach_in(NS_CLI, "mxc0", pass_prog) ||
	    attach_in(NS_SRV, "mxs0", pass_prog)) {
		printf("live part skipped: native XDP on veth: %s\n", strerror(errno));
		return;
	}

	/* mxscreend's side: the maps pinned in pin_dir, config written */
	d = mxscreen_xdp__open_opts(&(struct bpf_object_open_opts){
		.sz = sizeof(struct bpf_object_open_opts), .pin_root_path = pin_dir });
	CHECK(d != NULL);
	if (!d)
		return;
	mkdir(pin_dir, 0700);
	CHECK_EQ_INT(mxscreen_xdp__load(d), 0);
	memset(&c, 0, sizeof(c));
	c.smtp_ports[0] = 25;
	CHECK_EQ_INT(tbpf_config_put(bpf_map__fd(d->maps.config), &c), 0);
	mxscreen_xdp__destroy(d);       /* mxscreend stopped: the pins stay */
	snprintf(path, sizeof(path), "%s/verdicts", pin_dir);
	fd_pv = bpf_obj_get(path);
	CHECK(fd_pv >= 0);

	/* a foreign program on a port: refused, nothing changed */
	check_case = "prepare, foreign program";
	CHECK_EQ_INT(bpf_xdp_attach(if_ea, pass_prog, XDP_FLAGS_SKB_MODE, NULL), 0);
	rc = mxs_inline_prepare(obj_path, pin_dir, if_ea, if_eb, err, sizeof(err));
	CHECK_EQ_INT(rc, -EBUSY);
	CHECK(strstr(err, "mxs_test_pass") != NULL);
	CHECK_EQ_INT(pinned_map_id(MXS_INLINE_PMD_ROOT "/verdicts"), 0);
	CHECK_EQ_INT(bpf_xdp_detach(if_ea, XDP_FLAGS_SKB_MODE, NULL), 0);

	check_case = "prepare";
	rc = mxs_inline_prepare(obj_path, pin_dir, if_ea, if_eb, err, sizeof(err));
	if (rc)
		fprintf(stderr, "mxs_inline_prepare: %s\n", err);
	CHECK_EQ_INT(rc, 0);
	for (size_t i = 0; i < sizeof(pinned) / sizeof(pinned[0]); i++) {
		char a[256];

		snprintf(path, sizeof(path), "%s/%s", pin_dir, pinned[i]);
		snprintf(a, sizeof(a), "%s/%s", MXS_INLINE_PMD_ROOT, pinned[i]);
		check_case = pinned[i];
		CHECK(pinned_map_id(path) != 0);
		CHECK_EQ_INT(pinned_map_id(a), pinned_map_id(path));
	}
	check_case = "prepare";
	CHECK_EQ_INT(access(MXS_INLINE_PMD_ROOT "/xsks_map", F_OK), -1);
	snprintf(path, sizeof(path), "%s/tx_port", pin_dir);
	{
		int t = bpf_obj_get(path);

		k = (__u32)if_ea;
		CHECK_EQ_INT(bpf_map_lookup_elem(t, &k, &v), 0);
		CHECK_EQ_INT(v, if_eb);
		k = (__u32)if_eb;
		CHECK_EQ_INT(bpf_map_lookup_elem(t, &k, &v), 0);
		CHECK_EQ_INT(v, if_ea);
		close(t);
	}
	/* again: idempotent, the aliases found in place */
	CHECK_EQ_INT(mxs_inline_prepare(obj_path, pin_dir, if_ea, if_eb, err, sizeof(err)), 0);
	snprintf(path, sizeof(path), "%s/inline_stats", pin_dir);
	fd_pist = bpf_obj_get(path);
	snprintf(path, sizeof(path), "%s/config", pin_dir);
	fd_pcfg = bpf_obj_get(path);

	/* the PMD, once per port */
	check_case = "pmd load";
	CHECK_EQ_INT(pmd_load(0, if_ea, &xs[0]), 0);
	CHECK_EQ_INT(pmd_load(1, if_eb, &xs[1]), 0);
	if (!pmd_obj[0] || !pmd_obj[1])
		return;
	CHECK(attached(if_ea) != 0 && attached(if_eb) != 0);
	CHECK(map_id(xs[0]) != map_id(xs[1]));          /* a queue map per port */
	bpf_object__for_each_map(m, pmd_obj[0]) {
		const char *nm = bpf_map__name(m);

		snprintf(path, sizeof(path), "%s/%s", pin_dir, nm);
		if (strcmp(nm, "xsks_map") && strcmp(nm, "clock_cache") && strstr(nm, ".") == NULL) {
			check_case = nm;
			CHECK_EQ_INT(map_id(bpf_map__fd(m)), pinned_map_id(path));
			CHECK_EQ_INT(map_id(bpf_map__fd(bpf_object__find_map_by_name(pmd_obj[1], nm))),
				     pinned_map_id(path));
		}
	}

	l25 = listen_srv(25);
	l2526 = listen_srv(2526);
	CHECK(l25 >= 0 && l2526 >= 0);

	check_case = "fail open";
	n0 = ist(IDX(fwd_failopen));
	CHECK(ping_ok());
	CHECK(tcp_ok(l25, 25, 2000));
	CHECK(tcp_ok(l2526, 2526, 2000));
	CHECK(ist(IDX(fwd_failopen)) >= n0 + 6);       /* both directions */
	CHECK(ist(IDX(fwd)) > 0);
	CHECK_EQ_INT(ist(IDX(to_xsk)), 0);

	check_case = "drop verdict";
	put_client_verdict(MXS_ACTION_DROP);
	CHECK(!tcp_ok(l25, 25, 1500));
	CHECK(ping_ok());
	CHECK(tcp_ok(l2526, 2526, 2000));
	put_client_verdict(-1);
	CHECK(tcp_ok(l25, 25, 2000));

	check_case = "AF_XDP socket";
	if (xsk_open(&x, if_ea, 0)) {
		fprintf(stderr, "[%s] AF_XDP socket: %s\n", check_case, strerror(errno));
		check_failures++;
	} else {
		int fd = x.fd;

		k = 0;
		CHECK_EQ_INT(bpf_map_update_elem(xs[0], &k, &fd, BPF_ANY), 0);
		n0 = ist(IDX(to_xsk));
		CHECK(!tcp_ok(l25, 25, 1500));          /* mxscreen-dp has the SYNs */
		CHECK(xsk_syns25(&x) >= 1);
		CHECK(ist(IDX(to_xsk)) >= n0 + 1);
		CHECK(ping_ok());
		CHECK(tcp_ok(l2526, 2526, 2000));
	}
	xsk_close(&x);
	check_case = "AF_XDP socket closed";
	CHECK(tcp_ok(l25, 25, 2000));

	/* restart after a crash: the programs stay on the ports, forwarding */
	check_case = "restart";
	pmd_close();
	CHECK(tcp_ok(l25, 25, 2000));
	CHECK_EQ_INT(bindmount_child(pinned_map_id(MXS_INLINE_PMD_ROOT "/verdicts")), 0);
	CHECK_EQ_INT(attached(if_ea), 0);
	CHECK_EQ_INT(attached(if_eb), 0);
	CHECK_EQ_INT(pmd_load(0, if_ea, &xs[0]), 0);
	CHECK_EQ_INT(pmd_load(1, if_eb, &xs[1]), 0);
	CHECK(ping_ok());
	CHECK(tcp_ok(l25, 25, 2000));
	/* UPDATE_IF_NOEXIST: without prepare a second start would fail */
	{
		struct bpf_object *o = bpf_object__open_file(obj_path, NULL);

		CHECK(o && !bpf_object__load(o));
		CHECK(bpf_xdp_attach(if_ea, bpf_program__fd(bpf_object__next_program(o, NULL)),
				     XDP_FLAGS_UPDATE_IF_NOEXIST, NULL) != 0);
		bpf_object__close(o);
	}
	pmd_close();
	close(l25);
	close(l2526);
	printf("live: inline_stats to_xsk %llu fwd %llu fwd_failopen %llu no_peer %llu\n",
	       (unsigned long long)ist(IDX(to_xsk)), (unsigned long long)ist(IDX(fwd)),
	       (unsigned long long)ist(IDX(fwd_failopen)), (unsigned long long)ist(IDX(no_peer)));
}

int main(int argc, char **argv)
{
	if (argc > 1)
		obj_path = argv[1];
	tbpf_require();
	if (part1() == 0)
		part2();
	else
		check_failures++;
	mxscreen_inline__destroy(ski);
	mxscreen_xdp__destroy(skx);
	CHECK_DONE();
}
