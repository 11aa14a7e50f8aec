/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bpf suite: ctl_pins (control/ctl_pins.c) reading real pinned maps. The
 * XDP skeleton is loaded with its maps pinned in a private temporary
 * directory on bpffs (removed at exit, never /sys/fs/bpf/mxscreen); hits
 * come from xdp_enforce run on packets (bpf_prog_test_run_opts) and from
 * values written with hits preset. Checks: a directory without pins is
 * -ENOENT with the "not pinned" line, a pin of another layout -EPROTO,
 * stats summed over CPUs, live verdicts filtered by action (expired ones
 * left out, never-expiring ones in), more than one batch walked, the top
 * @max by hits kept when more match, static_cidrs all or manual only.
 * Needs root; exits 77 without it or without bpf(2). Single-threaded.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "check.h"
#include "ctl_pins.h"
#include "mxscreen_xdp.skel.h"
#include "pkt.h"
#include "tbpf.h"

#define SEC_NS 1000000000ull
#define N_MANY 5000             /* more than one lookup batch (4096) */
#define N_TOP 20

static char pin_dir[64], other_dir[64];
static struct mxscreen_xdp *skel;
static int prog_fd, fd_verdicts, fd_cidrs, fd_stats, fd_config;

static void rm_dir(char *dir)
{
	struct dirent *e;
	DIR *d;

	if (!dir[0])
		return;
	d = opendir(dir);
	if (d) {
		char path[sizeof(pin_dir) + 256];

		while ((e = readdir(d)))
			if (e->d_name[0] != '.') {
				snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
				unlink(path);
			}
		closedir(d);
	}
	rmdir(dir);
	dir[0] = 0;
}

static void cleanup(void)
{
	mxscreen_xdp__destroy(skel);
	skel = NULL;
	rm_dir(pin_dir);
	rm_dir(other_dir);
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

static void put(const char *a, int plen, int action, __u64 expiry, __u32 hits)
{
	struct mxs_bpf_addr_key k;
	struct mxs_bpf_verdict v;
	uint8_t x[16];
	int fam = addr_of(a, x);

	k = tbpf_key(fam, plen, x);
	memset(&v, 0, sizeof(v));
	v.action = (__u8)action;
	v.would_be = (__u8)action;
	v.score = 7;
	v.hits = hits;
	v.expiry_ns = expiry;
	CHECK_EQ_INT(bpf_map_update_elem(fd_verdicts, &k, &v, BPF_ANY), 0);
}

/* One TCP packet from @src to port 25 through xdp_enforce: its action. */
static int run(const char *src, uint8_t flags)
{
	struct tpkt_spec s = { .tcp_flags = flags, .sport = 40000, .dport = 25 };
	uint8_t out[2048];
	struct tpkt k;
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_out = out, .data_size_out = sizeof(out),
		    .repeat = 1);

	s.family = addr_of(src, s.src);
	if (s.family == 4)
		tpkt_addr4(s.dst, "203.0.113.25");
	else
		tpkt_addr6(s.dst, "2001:db8:ffff::25");
	tpkt_build(&s, &k);
	o.data_in = k.b;
	o.data_size_in = (__u32)k.len;
	CHECK_EQ_INT(bpf_prog_test_run_opts(prog_fd, &o), 0);
	return (int)o.retval;
}

static const struct ctl_pins_verdict *find(const struct ctl_pins_verdict *v, ssize_t n,
					   const char *a, int plen)
{
	uint8_t x[16];
	int fam = addr_of(a, x);
	struct mxs_bpf_addr_key k = tbpf_key(fam, plen, x);

	for (ssize_t i = 0; i < n; i++)
		if (!memcmp(&v[i].key, &k, sizeof(k)))
			return &v[i];
	return NULL;
}

static void test_unpinned(void)
{
	struct ctl_pins_verdict v[4];
	struct ctl_pins_cidr c[4];
	struct mxs_bpf_stats st;
	char err[512], want[512];

	check_case = "not pinned: stats";
	CHECK_EQ_INT(ctl_pins_stats(pin_dir, &st, err, sizeof(err)), -ENOENT);
	snprintf(want, sizeof(want), "%s/stats: not pinned (is enforcement loaded?)", pin_dir);
	CHECK_EQ_STR(err, want);
	check_case = "not pinned: verdicts";
	CHECK_EQ_INT(ctl_pins_verdicts(pin_dir, -1, v, 4, err, sizeof(err)), -ENOENT);
	snprintf(want, sizeof(want), "%s/verdicts: not pinned (is enforcement loaded?)", pin_dir);
	CHECK_EQ_STR(err, want);
	check_case = "not pinned: static_cidrs";
	CHECK_EQ_INT(ctl_pins_cidrs(pin_dir, CTL_PINS_CIDR_ALL, c, 4, err, sizeof(err)), -ENOENT);
	check_case = "no such directory";
	CHECK_EQ_INT(ctl_pins_stats("/sys/fs/bpf/mxs-no-such-dir", &st, err, sizeof(err)),
		     -ENOENT);
}

/* A map named stats of another layout: refused, not misread. */
static void test_wrong_layout(void)
{
	struct mxs_bpf_stats st;
	char path[sizeof(other_dir) + 16], err[512];
	int fd;

	check_case = "wrong layout";
	snprintf(other_dir, sizeof(other_dir), "/sys/fs/bpf/mxs-test-XXXXXX");
	if (!mkdtemp(other_dir)) {
		other_dir[0] = 0;
		CHECK(0);
		return;
	}
	fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "stats", 4, 8, 1, NULL);
	CHECK(fd >= 0);
	snprintf(path, sizeof(path), "%s/stats", other_dir);
	CHECK_EQ_INT(bpf_obj_pin(fd, path), 0);
	CHECK_EQ_INT(ctl_pins_stats(other_dir, &st, err, sizeof(err)), -EPROTO);
	CHECK(strstr(err, "not this mxscreen's layout") != NULL);
	if (fd >= 0)
		close(fd);
}

static void test_stats(void)
{
	__u64 want[TBPF_NSTATS];
	struct mxs_bpf_stats st;
	char err[512];

	check_case = "stats";
	memset(&st, 0xff, sizeof(st));
	CHECK_EQ_INT(ctl_pins_stats(pin_dir, &st, err, sizeof(err)), 0);
	CHECK_EQ_INT(tbpf_stats(fd_stats, want), 0);
	CHECK(memcmp(&st, want, sizeof(st)) == 0);
	CHECK_EQ_INT(st.pkts[MXS_ACTION_DROP], 6);       /* 5 from A, 1 from E */
	CHECK_EQ_INT(st.syn_throttled, 2);
	CHECK_EQ_INT(st.syn_admitted, 3);
}

static void test_verdicts(__u64 live)
{
	static struct ctl_pins_verdict v[N_MANY + 64];
	const struct ctl_pins_verdict *e;
	char err[512];
	ssize_t n;

	check_case = "verdicts: any action";
	n = ctl_pins_verdicts(pin_dir, -1, v, N_MANY + 64, err, sizeof(err));
	CHECK_EQ_INT(n, 5 + N_TOP + N_MANY);                   /* not D */
	CHECK(find(v, n, "192.0.2.4", 32) == NULL);
	e = find(v, n, "192.0.2.1", 32);
	CHECK(e && e->v.action == MXS_ACTION_DROP && e->v.hits == 5 && e->v.score == 7 &&
	      e->v.expiry_ns == live);
	e = find(v, n, "2001:db8:5::", 64);
	CHECK(e && e->v.action == MXS_ACTION_DROP && e->v.hits == 1 &&
	      e->v.expiry_ns == MXS_BPF_EXPIRY_NEVER);
	CHECK(find(v, n, "10.9.19.135", 32) != NULL);         /* the last of N_MANY */

	check_case = "verdicts: drop";
	n = ctl_pins_verdicts(pin_dir, MXS_ACTION_DROP, v, N_MANY, err, sizeof(err));
	CHECK_EQ_INT(n, 2 + N_TOP);
	for (ssize_t i = 0; i < n; i++)
		CHECK_EQ_INT(v[i].v.action, MXS_ACTION_DROP);
	CHECK(find(v, n, "192.0.2.1", 32) != NULL);
	CHECK(find(v, n, "192.0.2.4", 32) == NULL);            /* expired */

	check_case = "verdicts: throttle";
	n = ctl_pins_verdicts(pin_dir, MXS_ACTION_THROTTLE, v, N_MANY, err, sizeof(err));
	CHECK_EQ_INT(n, 1);
	CHECK(n == 1 && v[0].v.hits == 2);                     /* SYNs refused */
	check_case = "verdicts: tag";
	n = ctl_pins_verdicts(pin_dir, MXS_ACTION_TAG, v, N_MANY, err, sizeof(err));
	CHECK_EQ_INT(n, 1);
	CHECK(n == 1 && v[0].v.hits == 0);

	/* more drops than room: the ones with the most hits stay */
	for (size_t max = 1; max <= 6; max++) {
		char name[64];
		int seen[N_TOP] = { 0 };

		snprintf(name, sizeof(name), "verdicts: top %zu drops", max);
		check_case = name;
		n = ctl_pins_verdicts(pin_dir, MXS_ACTION_DROP, v, max, err, sizeof(err));
		CHECK_EQ_INT(n, max);
		for (ssize_t i = 0; i < n; i++) {
			unsigned t = v[i].v.hits - 1000;

			CHECK(v[i].key.addr[0] == 10 && v[i].key.addr[1] == 8 && t < N_TOP);
			if (t < N_TOP)
				seen[t]++;
		}
		for (size_t t = N_TOP - max; t < N_TOP; t++)
			CHECK_EQ_INT(seen[t], 1);
	}
	check_case = "verdicts: max 0";
	CHECK_EQ_INT(ctl_pins_verdicts(pin_dir, -1, v, 0, err, sizeof(err)), 0);
	check_case = "verdicts: bad action";
	CHECK_EQ_INT(ctl_pins_verdicts(pin_dir, MXS_ACTION_COUNT, v, 4, err, sizeof(err)), -EINVAL);
}

static void put_cidr(const char *a, int len, int action, __u32 id)
{
	struct mxs_bpf_cidr_val v;
	uint8_t x[16];
	int fam = addr_of(a, x);

	memset(&v, 0, sizeof(v));
	v.action = (__u8)action;
	v.would_be = (__u8)action;
	v.id = id;
	CHECK_EQ_INT(tbpf_cidr_put_val(fd_cidrs, fam, x, len, &v), 0);
}

static void test_cidrs(void)
{
	struct ctl_pins_cidr c[16];
	char err[512];
	ssize_t n;

	check_case = "cidrs: empty";
	CHECK_EQ_INT(ctl_pins_cidrs(pin_dir, CTL_PINS_CIDR_ALL, c, 16, err, sizeof(err)), 0);
	put_cidr("10.1.0.0", 16, MXS_ACTION_PASS, 0);
	put_cidr("10.2.0.0", 16, MXS_ACTION_DROP, 1);
	put_cidr("198.18.1.0", 24, MXS_ACTION_TAG, MXS_BPF_CIDR_MANUAL);
	put_cidr("2001:db8:77::", 48, MXS_ACTION_THROTTLE, MXS_BPF_CIDR_MANUAL);
	check_case = "cidrs: all";
	CHECK_EQ_INT(ctl_pins_cidrs(pin_dir, CTL_PINS_CIDR_ALL, c, 16, err, sizeof(err)), 4);
	check_case = "cidrs: manual";
	n = ctl_pins_cidrs(pin_dir, CTL_PINS_CIDR_MANUAL, c, 16, err, sizeof(err));
	CHECK_EQ_INT(n, 2);
	for (ssize_t i = 0; i < n; i++) {
		CHECK(c[i].v.id & MXS_BPF_CIDR_MANUAL);
		if (c[i].key.family == 4) {
			CHECK_EQ_INT(c[i].key.prefixlen, 32 + 24);
			CHECK_EQ_INT(c[i].v.action, MXS_ACTION_TAG);
			CHECK(c[i].key.addr[0] == 198 && c[i].key.addr[2] == 1);
		} else {
			CHECK_EQ_INT(c[i].key.prefixlen, 32 + 48);
			CHECK_EQ_INT(c[i].v.action, MXS_ACTION_THROTTLE);
		}
	}
	check_case = "cidrs: room for 1";
	CHECK_EQ_INT(ctl_pins_cidrs(pin_dir, CTL_PINS_CIDR_ALL, c, 1, err, sizeof(err)), 1);
	check_case = "cidrs: bad selection";
	CHECK_EQ_INT(ctl_pins_cidrs(pin_dir, 7, c, 1, err, sizeof(err)), -EINVAL);
}

int main(void)
{
	const __u64 live = tbpf_now_ns() + 3600 * SEC_NS, dead = tbpf_now_ns() - SEC_NS;
	struct mxs_bpf_config cfg;
	int err;

	tbpf_require();
	snprintf(pin_dir, sizeof(pin_dir), "/sys/fs/bpf/mxs-test-XXXXXX");
	if (!mkdtemp(pin_dir)) {
		fprintf(stderr, "skip: no bpffs at /sys/fs/bpf: %s\n", strerror(errno));
		pin_dir[0] = 0;
		return 77;
	}
	atexit(cleanup);
	test_unpinned();
	test_wrong_layout();
	{
		LIBBPF_OPTS(bpf_object_open_opts, oo, .pin_root_path = pin_dir);

		skel = mxscreen_xdp__open_opts(&oo);
		if (!skel) {
			fprintf(stderr, "open: %s\n", strerror(errno));
			return 1;
		}
		err = mxscreen_xdp__load(skel);
		if (err) {
			fprintf(stderr, "load: %s (verifier log above)\n", strerror(-err));
			return 1;
		}
	}
	prog_fd = bpf_program__fd(skel->progs.xdp_enforce);
	fd_verdicts = bpf_map__fd(skel->maps.verdicts);
	fd_cidrs = bpf_map__fd(skel->maps.static_cidrs);
	fd_stats = bpf_map__fd(skel->maps.stats);
	fd_config = bpf_map__fd(skel->maps.config);

	check_case = "setup";
	memset(&cfg, 0, sizeof(cfg));
	cfg.smtp_ports[0] = 25;
	cfg.throttle_rate = 1;
	cfg.throttle_burst = 3;
	CHECK_EQ_INT(tbpf_config_put(fd_config, &cfg), 0);
	put("192.0.2.1", 32, MXS_ACTION_DROP, live, 0);              /* A */
	put("192.0.2.2", 32, MXS_ACTION_THROTTLE, live, 0);          /* B */
	put("192.0.2.3", 32, MXS_ACTION_TAG, live, 0);               /* C */
	put("192.0.2.4", 32, MXS_ACTION_DROP, dead, 500);            /* D: expired */
	put("2001:db8:5::", 64, MXS_ACTION_DROP, MXS_BPF_EXPIRY_NEVER, 0);   /* E */
	put("2001:db8:6::1", 128, MXS_ACTION_PASS, live, 0);         /* F */
	for (unsigned i = 0; i < N_TOP; i++) {
		char a[32];

		snprintf(a, sizeof(a), "10.8.0.%u", i);
		put(a, 32, MXS_ACTION_DROP, live, 1000 + i);
	}
	for (unsigned i = 0; i < N_MANY; i++) {
		char a[32];

		snprintf(a, sizeof(a), "10.9.%u.%u", i >> 8, i & 255);
		put(a, 32, MXS_ACTION_PASS, live, 0);
	}
	for (int i = 0; i < 5; i++)
		CHECK_EQ_INT(run("192.0.2.1", TPKT_ACK), XDP_DROP);
	for (int i = 0; i < 5; i++)
		CHECK_EQ_INT(run("192.0.2.2", TPKT_SYN), i < 3 ? XDP_PASS : XDP_DROP);
	CHECK_EQ_INT(run("192.0.2.2", TPKT_ACK), XDP_PASS);
	CHECK_EQ_INT(run("192.0.2.3", TPKT_ACK), XDP_PASS);
	CHECK_EQ_INT(run("192.0.2.4", TPKT_ACK), XDP_PASS);
	CHECK_EQ_INT(run("2001:db8:5::77", TPKT_SYN), XDP_DROP);

	test_stats();
	test_verdicts(live);
	test_cidrs();
	cleanup();
	CHECK_DONE();
}
