/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bpf suite: tc_tag (bpf/mxscreen_tc.bpf.c) with bpf_prog_test_run_opts:
 * skb->mark out (ctx_out) is config.tag_mark exactly for live, non-shadow
 * `tag` verdicts or manual static_cidrs entries to SMTP ports, the frame
 * is never changed, the verdict is always TC_ACT_OK. Both skeletons are
 * loaded with their maps pinned in a private temporary directory on bpffs
 * (removed at exit, never /sys/fs/bpf/mxscreen), so this also checks that
 * the two objects' map definitions are compatible and really share the
 * maps, as in production.
 * Needs root; exits 77 without it or without bpf(2). Single-threaded.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "check.h"
#include "mxscreen_tc.skel.h"
#include "mxscreen_xdp.skel.h"
#include "pkt.h"
#include "tbpf.h"

#define MARK 0x4d58u
#define SEC_NS 1000000000ull

static char pin_dir[64];
static struct mxscreen_xdp *xdp;
static struct mxscreen_tc *tc;
static int tc_fd, fd_verdicts, fd_cidrs, fd_stats, fd_config;
static struct mxs_bpf_config cfg;

static void cleanup(void)
{
	DIR *d;
	struct dirent *e;

	mxscreen_tc__destroy(tc);
	mxscreen_xdp__destroy(xdp);
	tc = NULL;
	xdp = NULL;
	if (!pin_dir[0])
		return;
	d = opendir(pin_dir);
	if (d) {
		char path[sizeof(pin_dir) + 256];

		while ((e = readdir(d)))
			if (e->d_name[0] != '.') {
				snprintf(path, sizeof(path), "%s/%s", pin_dir, e->d_name);
				unlink(path);
			}
		closedir(d);
	}
	rmdir(pin_dir);
	pin_dir[0] = 0;
}

static void build(const char *src, struct tpkt_spec s, struct tpkt *k)
{
	s.family = strchr(src, ':') ? 6 : 4;
	if (s.family == 4) {
		tpkt_addr4(s.src, src);
		tpkt_addr4(s.dst, "203.0.113.25");
	} else {
		tpkt_addr6(s.src, src);
		tpkt_addr6(s.dst, "2001:db8:ffff::25");
	}
	if (!s.dport)
		s.dport = 25;
	if (!s.sport)
		s.sport = 40000;
	if (!s.tcp_flags)
		s.tcp_flags = TPKT_SYN;
	tpkt_build(&s, k);
}

/* Run tc_tag on @k with skb->mark = @in_mark: want TC_ACT_OK, the frame
 * unchanged, mark @want_mark, tc_marked +@marked and nothing else counted. */
static void expect_mark(const char *name, const struct tpkt *k, __u32 in_mark, __u32 want_mark,
			int marked)
{
	__u64 before[TBPF_NSTATS], after[TBPF_NSTATS];
	struct __sk_buff ctx_in, ctx_out;
	uint8_t out[2048];
	LIBBPF_OPTS(bpf_test_run_opts, o,
		.data_in = k->b,
		.data_size_in = (__u32)k->len,
		.data_out = out,
		.data_size_out = sizeof(out),
		.ctx_in = &ctx_in,
		.ctx_size_in = sizeof(ctx_in),
		.ctx_out = &ctx_out,
		.ctx_size_out = sizeof(ctx_out),
		.repeat = 1);

	check_case = name;
	memset(&ctx_in, 0, sizeof(ctx_in));
	memset(&ctx_out, 0, sizeof(ctx_out));
	ctx_in.mark = in_mark;
	CHECK_EQ_INT(tbpf_stats(fd_stats, before), 0);
	if (bpf_prog_test_run_opts(tc_fd, &o)) {
		check_failures++;
		fprintf(stderr, "[%s] bpf_prog_test_run_opts: %s\n", name, strerror(errno));
		return;
	}
	CHECK_EQ_INT(tbpf_stats(fd_stats, after), 0);
	CHECK_EQ_INT(o.retval, TC_ACT_OK);
	CHECK_EQ_INT(ctx_out.mark, want_mark);
	CHECK_EQ_INT(o.data_size_out, k->len);
	CHECK(o.data_size_out == k->len && memcmp(out, k->b, k->len) == 0);
	for (size_t i = 0; i < TBPF_NSTATS; i++) {
		__u64 want = i == TBPF_IDX(tc_marked) ? (__u64)marked : 0;

		if (after[i] - before[i] != want) {
			check_failures++;
			fprintf(stderr, "[%s] stats %s: +%llu, want +%llu\n", name, tbpf_stat_name(i),
				(unsigned long long)(after[i] - before[i]), (unsigned long long)want);
		}
	}
}

static void mark_case(const char *name, const char *src, struct tpkt_spec s, int tagged)
{
	char n[160];

	for (int v = 0; v < 3; v++) {
		struct tpkt k;

		s.vlans = v;
		build(src, s, &k);
		snprintf(n, sizeof(n), "%s / %d vlan tags", name, v);
		expect_mark(n, &k, 0, tagged ? MARK : 0, tagged);
		/* a mark already set is replaced only for tagged addresses */
		snprintf(n, sizeof(n), "%s / %d vlan tags, mark 7 in", name, v);
		expect_mark(n, &k, 7, tagged ? MARK : 7, tagged);
	}
}

static void put_verdict(const char *a, int plen, int act, __u64 exp, int shadow, int would)
{
	uint8_t addr[16];
	int fam = strchr(a, ':') ? 6 : 4;

	if (fam == 6)
		tpkt_addr6(addr, a);
	else
		tpkt_addr4(addr, a);
	CHECK_EQ_INT(tbpf_verdict_put(fd_verdicts, fam, plen, addr, act, exp, shadow, would), 0);
}

static void put_cidr(const char *a, int len, int act)
{
	uint8_t addr[16];
	int fam = strchr(a, ':') ? 6 : 4;

	if (fam == 6)
		tpkt_addr6(addr, a);
	else
		tpkt_addr4(addr, a);
	CHECK_EQ_INT(tbpf_cidr_put(fd_cidrs, fam, addr, len, act), 0);
}

static void put_manual(const char *a, int len, int act, int shadow, int would)
{
	struct mxs_bpf_cidr_val v;
	uint8_t addr[16];
	int fam = strchr(a, ':') ? 6 : 4;

	if (fam == 6)
		tpkt_addr6(addr, a);
	else
		tpkt_addr4(addr, a);
	memset(&v, 0, sizeof(v));
	v.action = (__u8)act;
	v.shadow = (__u8)shadow;
	v.would_be = (__u8)would;
	v.id = MXS_BPF_CIDR_MANUAL;
	CHECK_EQ_INT(tbpf_cidr_put_val(fd_cidrs, fam, addr, len, &v), 0);
}

static __u32 map_id(const struct bpf_map *m)
{
	struct bpf_map_info info;
	__u32 len = sizeof(info);

	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(bpf_map__fd(m), &info, &len))
		return 0;
	return info.id;
}

static int load(void)
{
	LIBBPF_OPTS(bpf_object_open_opts, oo, .pin_root_path = pin_dir);
	int err;

	xdp = mxscreen_xdp__open_opts(&oo);
	tc = mxscreen_tc__open_opts(&oo);
	if (!xdp || !tc) {
		fprintf(stderr, "open skeletons: %s\n", strerror(errno));
		return -1;
	}
	err = mxscreen_xdp__load(xdp);
	if (!err)
		err = mxscreen_tc__load(tc);    /* reuses the maps xdp pinned */
	if (err) {
		fprintf(stderr, "load: %s (verifier or map-compat log above)\n", strerror(-err));
		return -1;
	}
	return 0;
}

int main(void)
{
	const __u64 live = tbpf_now_ns() + 3600 * SEC_NS, dead = tbpf_now_ns() - SEC_NS;
	struct tpkt k;

	tbpf_require();
	snprintf(pin_dir, sizeof(pin_dir), "/sys/fs/bpf/mxs-test-XXXXXX");
	if (!mkdtemp(pin_dir)) {
		fprintf(stderr, "skip: no bpffs at /sys/fs/bpf: %s\n", strerror(errno));
		pin_dir[0] = 0;
		return 77;
	}
	atexit(cleanup);
	if (load())
		return 1;

	check_case = "shared maps";
	CHECK(map_id(xdp->maps.verdicts) != 0);
	CHECK_EQ_INT(map_id(tc->maps.verdicts), map_id(xdp->maps.verdicts));
	CHECK_EQ_INT(map_id(tc->maps.static_cidrs), map_id(xdp->maps.static_cidrs));
	CHECK_EQ_INT(map_id(tc->maps.throttle), map_id(xdp->maps.throttle));
	CHECK_EQ_INT(map_id(tc->maps.stats), map_id(xdp->maps.stats));
	CHECK_EQ_INT(map_id(tc->maps.config), map_id(xdp->maps.config));

	tc_fd = bpf_program__fd(tc->progs.tc_tag);
	/* written through xdp's fds, read by tc_tag: one set of maps */
	fd_verdicts = bpf_map__fd(xdp->maps.verdicts);
	fd_cidrs = bpf_map__fd(xdp->maps.static_cidrs);
	fd_stats = bpf_map__fd(xdp->maps.stats);
	fd_config = bpf_map__fd(xdp->maps.config);

	check_case = "setup";
	put_verdict("192.0.2.2", 32, MXS_ACTION_TAG, live, 0, MXS_ACTION_TAG);
	put_verdict("192.0.2.1", 32, MXS_ACTION_DROP, live, 0, MXS_ACTION_DROP);
	put_verdict("192.0.2.3", 32, MXS_ACTION_THROTTLE, live, 0, MXS_ACTION_THROTTLE);
	put_verdict("192.0.2.4", 32, MXS_ACTION_PASS, live, 0, MXS_ACTION_PASS);
	put_verdict("192.0.2.6", 32, MXS_ACTION_TAG, dead, 0, MXS_ACTION_TAG);
	put_verdict("192.0.2.8", 32, MXS_ACTION_PASS, live, 1, MXS_ACTION_TAG);
	put_verdict("10.1.2.3", 32, MXS_ACTION_TAG, live, 0, MXS_ACTION_TAG);
	put_cidr("10.1.0.0", 16, MXS_ACTION_PASS);
	put_verdict("2001:db8:2::", 64, MXS_ACTION_TAG, live, 0, MXS_ACTION_TAG);
	put_verdict("2001:db8:3::", 64, MXS_ACTION_TAG, live, 0, MXS_ACTION_TAG);
	put_verdict("2001:db8:3::1", 128, MXS_ACTION_PASS, live, 0, MXS_ACTION_PASS);
	put_verdict("2001:db8:4::1", 128, MXS_ACTION_TAG, live, 0, MXS_ACTION_TAG);
	put_verdict("2001:db8:5::1", 128, MXS_ACTION_TAG, dead, 0, MXS_ACTION_TAG);
	memset(&cfg, 0, sizeof(cfg));
	cfg.smtp_ports[0] = 25;
	cfg.smtp_ports[1] = 587;
	cfg.tag_dscp = 46;
	cfg.throttle_rate = 1;
	cfg.throttle_burst = 3;
	cfg.tag_mark = MARK;
	CHECK_EQ_INT(tbpf_config_put(fd_config, &cfg), 0);

	mark_case("v4 tag", "192.0.2.2", (struct tpkt_spec){ .payload = 10 }, 1);
	mark_case("v4 tag, ip options", "192.0.2.2", (struct tpkt_spec){ .ip_opts = 12 }, 1);
	mark_case("v4 tag, port 587", "192.0.2.2", (struct tpkt_spec){ .dport = 587 }, 1);
	mark_case("v4 tag, port 80", "192.0.2.2", (struct tpkt_spec){ .dport = 80 }, 0);
	mark_case("v4 tag, from port 25", "192.0.2.2",
		  (struct tpkt_spec){ .sport = 25, .dport = 41000 }, 0);
	mark_case("v4 tag, udp", "192.0.2.2", (struct tpkt_spec){ .proto = 17 }, 0);
	mark_case("v4 tag, later fragment", "192.0.2.2",
		  (struct tpkt_spec){ .frag_off = 2, .payload = 16 }, 0);
	mark_case("v4 drop", "192.0.2.1", (struct tpkt_spec){ 0 }, 0);
	mark_case("v4 throttle", "192.0.2.3", (struct tpkt_spec){ 0 }, 0);
	mark_case("v4 pass", "192.0.2.4", (struct tpkt_spec){ 0 }, 0);
	mark_case("v4 none", "192.0.2.5", (struct tpkt_spec){ 0 }, 0);
	mark_case("v4 tag expired", "192.0.2.6", (struct tpkt_spec){ 0 }, 0);
	mark_case("v4 shadow verdict would tag", "192.0.2.8", (struct tpkt_spec){ 0 }, 0);
	mark_case("v4 tag under static allow", "10.1.2.3", (struct tpkt_spec){ 0 }, 0);
	mark_case("v6 tag /64", "2001:db8:2::1234", (struct tpkt_spec){ 0 }, 1);
	mark_case("v6 tag /64, ext headers", "2001:db8:2::1",
		  (struct tpkt_spec){ .n_ext = 2, .ext = { { 0, 0, 0, 0 }, { 44, 0, 0, 1 } } }, 1);
	mark_case("v6 /128 pass in tagged /64", "2001:db8:3::1", (struct tpkt_spec){ 0 }, 0);
	mark_case("v6 rest of tagged /64", "2001:db8:3::2", (struct tpkt_spec){ 0 }, 1);
	mark_case("v6 tag /128", "2001:db8:4::1", (struct tpkt_spec){ 0 }, 1);
	mark_case("v6 tag /128 expired", "2001:db8:5::1", (struct tpkt_spec){ 0 }, 0);
	mark_case("v6 none", "2001:db8:9::1", (struct tpkt_spec){ 0 }, 0);

	/* truncated frames: untouched, OK, nothing counted */
	build("192.0.2.2", (struct tpkt_spec){ .vlans = 2 }, &k);
	for (size_t len = 14; len < k.len; len++) {
		struct tpkt cut = k;
		char n[64];

		cut.len = len;
		snprintf(n, sizeof(n), "v4 tag cut at %zu", len);
		expect_mark(n, &cut, 0, 0, 0);
	}
	expect_mark("v4 tag uncut", &k, 0, MARK, 1);

	/* config.shadow and tag_mark 0 mark nothing */
	cfg.shadow = 1;
	CHECK_EQ_INT(tbpf_config_put(fd_config, &cfg), 0);
	mark_case("config shadow", "192.0.2.2", (struct tpkt_spec){ 0 }, 0);
	cfg.shadow = 0;
	cfg.tag_mark = 0;
	CHECK_EQ_INT(tbpf_config_put(fd_config, &cfg), 0);
	mark_case("tag_mark 0", "192.0.2.2", (struct tpkt_spec){ 0 }, 0);
	cfg.tag_mark = MARK;
	CHECK_EQ_INT(tbpf_config_put(fd_config, &cfg), 0);
	mark_case("tag_mark back", "192.0.2.2", (struct tpkt_spec){ 0 }, 1);

	/* a verdict written now is seen by the next packet */
	put_verdict("192.0.2.5", 32, MXS_ACTION_TAG, live, 0, MXS_ACTION_TAG);
	mark_case("v4 none becomes tag", "192.0.2.5", (struct tpkt_spec){ 0 }, 1);

	/* manual static_cidrs entries: tag marks, as a verdict would, and
	 * wins over verdicts; other actions and shadow ones do not mark */
	check_case = "manual setup";
	put_manual("198.18.1.0", 24, MXS_ACTION_TAG, 0, MXS_ACTION_TAG);
	put_manual("198.18.2.0", 24, MXS_ACTION_DROP, 0, MXS_ACTION_DROP);
	put_manual("198.18.3.0", 24, MXS_ACTION_PASS, 1, MXS_ACTION_TAG);
	put_manual("198.18.4.0", 24, MXS_ACTION_THROTTLE, 0, MXS_ACTION_THROTTLE);
	put_manual("2001:db8:78::", 56, MXS_ACTION_TAG, 0, MXS_ACTION_TAG);
	put_verdict("198.18.2.9", 32, MXS_ACTION_TAG, live, 0, MXS_ACTION_TAG);
	put_verdict("198.18.1.9", 32, MXS_ACTION_DROP, live, 0, MXS_ACTION_DROP);
	mark_case("manual tag /24", "198.18.1.77", (struct tpkt_spec){ 0 }, 1);
	mark_case("manual tag /24 over a drop verdict", "198.18.1.9", (struct tpkt_spec){ 0 }, 1);
	mark_case("manual tag /24: outside", "198.18.0.77", (struct tpkt_spec){ 0 }, 0);
	mark_case("manual tag /24: port 80", "198.18.1.77", (struct tpkt_spec){ .dport = 80 }, 0);
	mark_case("manual drop /24 over a tag verdict", "198.18.2.9", (struct tpkt_spec){ 0 }, 0);
	mark_case("manual shadow tag /24", "198.18.3.3", (struct tpkt_spec){ 0 }, 0);
	mark_case("manual throttle /24", "198.18.4.4", (struct tpkt_spec){ 0 }, 0);
	mark_case("manual tag v6 /56", "2001:db8:78:12::1", (struct tpkt_spec){ 0 }, 1);
	mark_case("manual tag v6 /56: outside", "2001:db8:79::1", (struct tpkt_spec){ 0 }, 0);

	cleanup();
	CHECK_DONE();
}
