/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ctl_bpf against the real kernel (suite "bpf", root; exit 77 otherwise):
 * load with maps and programs pinned in a private bpffs directory
 * (/sys/fs/bpf/mxs-test-PID, removed at exit, also on failure or SIGTERM),
 * the config map, static_cidrs sync (allow wins, stale entries removed)
 * and its prefilter cidr_hint (exactly the bits of the configured CIDRs,
 * stale bits cleared, config.cidr_hint set),
 * verdicts written in batches and read back from the pinned map with their
 * expiry moved to CLOCK_MONOTONIC, the bounded expiry sweep, per-CPU stats,
 * XDP (generic, native, auto) and TC attachment on a veth pair, a foreign
 * XDP program refused, missing interfaces named, detach from interfaces no
 * longer listed, and a restart: close, reopen, verdicts and attachment
 * still there. Then manual CIDR verdicts (written, enforced by the loaded
 * xdp_enforce, kept by a config sync, refused on a configured key,
 * deleted with their cidr_hint bits), action-none deletes and
 * never-expiring verdicts. Runs in its own network namespace (unshare), so the veths
 * and attachments vanish with the process; bpffs is a mount and stays
 * visible. Single-threaded.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>
#include <linux/magic.h>

#include "../bpf/pkt.h"
#include "check.h"
#include "ctl_bpf.h"
#include "ctl_conf.h"

#define N_V4 3000             /* more than one write chunk */
#define N_PAST 100
#define NS 1000000000ull

static char pin_dir[64];
static char tmpdir[] = "/tmp/mxs-test-bpf-XXXXXX";
static char conf_path[PATH_MAX];

static void rm_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char path[PATH_MAX];

	while (d && (e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		unlink(path);
	}
	if (d)
		closedir(d);
	rmdir(dir);
}

static void cleanup(void)
{
	char path[PATH_MAX];

	if (pin_dir[0])
		rm_dir(pin_dir);
	if (conf_path[0]) {
		snprintf(path, sizeof(path), "%s/pins", tmpdir);
		rmdir(path);
		unlink(conf_path);
		rmdir(tmpdir);
	}
}

static void on_signal(int sig)
{
	cleanup();
	_exit(128 + sig);
}

static uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * NS + (uint64_t)ts.tv_nsec;
}

/* The base configuration with @extra lines after it (a later key of the
 * same name is a duplicate, so @extra only adds keys base leaves out). */
static struct ctl_conf *conf_with(const char *xdp, const char *mode, const char *tc,
				  const char *allow, const char *deny, const char *extra)
{
	struct ctl_conf *c = NULL;
	char err[1024];
	FILE *f = fopen(conf_path, "w");

	if (!f) {
		perror(conf_path);
		exit(2);
	}
	fprintf(f, "bpf = yes\nbpf_pin_dir = %s\nxdp_interfaces = %s\nxdp_mode = %s\n"
		"tc_interfaces = %s\nallow_cidrs = %s\ndeny_cidrs = %s\n%s\n",
		pin_dir, xdp, mode, tc, allow, deny, extra);
	fclose(f);
	if (ctl_conf_load(conf_path, &c, err, sizeof(err))) {
		fprintf(stderr, "config: %s\n", err);
		exit(2);
	}
	return c;
}

static const char base_extra[] =
	"smtp_ports = 25 587\ntag_dscp = 10\ntag_mark = 0x1234\nthrottle_rate = 5\n"
	"throttle_burst = 7\nshadow = yes";

static int pinned_fd(const char *name)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", pin_dir, name);
	return bpf_obj_get(path);
}

static uint32_t fd_id(int fd)
{
	struct bpf_prog_info info;
	__u32 len = sizeof(info);

	memset(&info, 0, sizeof(info));
	return fd >= 0 && !bpf_obj_get_info_by_fd(fd, &info, &len) ? info.id : 0;
}

static uint32_t pinned_prog_id(const char *name)
{
	int fd = pinned_fd(name);
	uint32_t id = fd_id(fd);

	if (fd >= 0)
		close(fd);
	return id;
}

static struct bpf_xdp_query_opts xdp_query(const char *ifname)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);

	CHECK_EQ_INT(bpf_xdp_query((int)if_nametoindex(ifname), 0, &q), 0);
	return q;
}

static uint32_t tc_prog(const char *ifname)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = (int)if_nametoindex(ifname),
		    .attach_point = BPF_TC_INGRESS);
	LIBBPF_OPTS(bpf_tc_opts, q, .handle = CTL_BPF_TC_HANDLE, .priority = CTL_BPF_TC_PRIORITY);

	return bpf_tc_query(&hook, &q) ? 0 : q.prog_id;
}

static size_t count_keys(int fd, size_t key_size)
{
	unsigned char k[64], next[64];
	size_t n = 0;
	int more = !bpf_map_get_next_key(fd, NULL, k);

	while (more) {
		n++;
		more = !bpf_map_get_next_key(fd, k, next);
		memcpy(k, next, key_size);
	}
	return n;
}

static void test_pins(void)
{
	static const char *const names[] = {
		"verdicts", "static_cidrs", "throttle", "stats", "config", "cidr_hint", "xdp_enforce",
		"tc_tag",
	};
	char path[PATH_MAX];
	struct stat st;

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		check_case = names[i];
		snprintf(path, sizeof(path), "%s/%s", pin_dir, names[i]);
		CHECK(stat(path, &st) == 0);
	}
	check_case = "no temporary pins left";
	snprintf(path, sizeof(path), "%s/xdp_enforce_new", pin_dir);
	CHECK(stat(path, &st) != 0);
	snprintf(path, sizeof(path), "%s/tc_tag_new", pin_dir);
	CHECK(stat(path, &st) != 0);
}

static void test_config_map(uint8_t dscp)
{
	struct mxs_bpf_config cfg;
	__u32 zero = 0;
	int fd = pinned_fd("config");

	check_case = "config map";
	CHECK(fd >= 0);
	memset(&cfg, 0xff, sizeof(cfg));
	CHECK_EQ_INT(bpf_map_lookup_elem(fd, &zero, &cfg), 0);
	CHECK_EQ_INT(cfg.smtp_ports[0], 25);
	CHECK_EQ_INT(cfg.smtp_ports[1], 587);
	for (int i = 2; i < MXS_BPF_MAX_PORTS; i++)
		CHECK_EQ_INT(cfg.smtp_ports[i], 0);
	CHECK_EQ_INT(cfg.tag_dscp, dscp);
	CHECK_EQ_INT(cfg.shadow, 1);
	CHECK_EQ_INT(cfg.cidr_hint, 1);
	CHECK_EQ_INT(cfg.pad, 0);
	CHECK_EQ_INT(cfg.throttle_rate, 5);
	CHECK_EQ_INT(cfg.throttle_burst, 7);
	CHECK_EQ_INT(cfg.tag_mark, 0x1234);
	close(fd);
}

struct want_cidr {
	uint8_t family, len, action;
	uint32_t id;
	uint8_t addr[16];
};

/* static_cidrs holds exactly @want. */
static void check_cidrs(const struct want_cidr *want, size_t n)
{
	int fd = pinned_fd("static_cidrs");

	CHECK(fd >= 0);
	CHECK_EQ_INT(count_keys(fd, sizeof(struct mxs_bpf_cidr_key)), n);
	for (size_t i = 0; i < n; i++) {
		struct mxs_bpf_cidr_key k;
		struct mxs_bpf_cidr_val v;

		memset(&k, 0, sizeof(k));
		k.prefixlen = 32u + want[i].len;
		k.family = want[i].family;
		memcpy(k.addr, want[i].addr, 16);
		memset(&v, 0xff, sizeof(v));
		CHECK_EQ_INT(bpf_map_lookup_elem(fd, &k, &v), 0);
		CHECK_EQ_INT(v.action, want[i].action);
		CHECK_EQ_INT(v.id, want[i].id);
	}
	close(fd);
}

/* cidr_hint holds exactly the bits of @want, computed here bit by bit:
 * every 24-bit prefix a CIDR covers (one for /24 and longer). */
static void check_hint(const struct want_cidr *want, size_t n)
{
	uint64_t *exp = calloc(MXS_BPF_HINT_WORDS, sizeof(*exp));
	__u64 *got = calloc(MXS_BPF_HINT_WORDS, sizeof(*got));
	__u32 *keys = calloc(MXS_BPF_HINT_WORDS, sizeof(*keys));
	int fd = pinned_fd("cidr_hint");
	size_t bad = 0;

	CHECK(fd >= 0);
	CHECK(exp && got && keys);
	if (fd < 0 || !exp || !got || !keys) {
		free(exp);
		free(got);
		free(keys);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		uint32_t top = (uint32_t)want[i].addr[0] << 16 | (uint32_t)want[i].addr[1] << 8 |
			       want[i].addr[2];
		uint32_t lo = top, cnt = 1;

		if (want[i].len < 24) {
			cnt = 1u << (24 - want[i].len);
			lo = top & ~(cnt - 1);
		}
		for (uint32_t t = lo; t < lo + cnt; t++) {
			uint32_t b = (want[i].family == 6 ? 1u << 24 : 0) + t;

			exp[b / 64] |= 1ull << (b % 64);
		}
	}
	{       /* the whole map in one batch where the kernel can */
		LIBBPF_OPTS(bpf_map_batch_opts, o);
		__u32 out = 0, count = MXS_BPF_HINT_WORDS;

		if ((bpf_map_lookup_batch(fd, NULL, &out, keys, got, &count, &o) &&
		     errno != ENOENT) || count != MXS_BPF_HINT_WORDS)
			count = 0;
		for (__u32 w = 0; w < MXS_BPF_HINT_WORDS; w++) {
			keys[w] = count ? keys[w] : w;
			if (!count && bpf_map_lookup_elem(fd, &w, &got[w]))
				got[w] = 0xdeadbeef;
		}
	}
	for (__u32 w = 0; w < MXS_BPF_HINT_WORDS; w++) {
		if (keys[w] != w || got[w] != exp[keys[w] % MXS_BPF_HINT_WORDS]) {
			if (bad++ < 5)
				fprintf(stderr, "[%s] cidr_hint word %u (key %u): 0x%016llx, want "
					"0x%016llx\n", check_case, w, keys[w], (unsigned long long)got[w],
					(unsigned long long)exp[w]);
		}
	}
	CHECK_EQ_INT(bad, 0);
	close(fd);
	free(exp);
	free(got);
	free(keys);
}

/* One cidr_hint bit, by hand: the test of the test above. */
static int hint_bit(int family, const uint8_t *a)
{
	int fd = pinned_fd("cidr_hint");
	uint32_t b = (family == 6 ? 1u << 24 : 0) | (uint32_t)a[0] << 16 | (uint32_t)a[1] << 8 | a[2];
	__u32 w = b / 64;
	__u64 v = 0;

	CHECK(fd >= 0);
	CHECK_EQ_INT(bpf_map_lookup_elem(fd, &w, &v), 0);
	close(fd);
	return (int)(v >> (b % 64) & 1);
}

static void test_cidrs(struct ctl_bpf *h)
{
	/* 192.0.2.128/25 is inside an allow CIDR: left out (allow wins). */
	static const struct want_cidr first[] = {
		{ 4, 24, MXS_ACTION_PASS, 0, { 192, 0, 2, 0 } },
		{ 6, 32, MXS_ACTION_PASS, 1, { 0x20, 0x01, 0x0d, 0xb8 } },
		{ 4, 32, MXS_ACTION_DROP, 0, { 198, 51, 100, 7 } },
		{ 4, 24, MXS_ACTION_DROP, 2, { 203, 0, 113, 0 } },
	};
	static const struct want_cidr second[] = {
		{ 4, 24, MXS_ACTION_PASS, 0, { 192, 0, 2, 0 } },
		{ 4, 24, MXS_ACTION_DROP, 0, { 203, 0, 113, 0 } },
		{ 4, 8, MXS_ACTION_DROP, 1, { 10 } },
		{ 6, 128, MXS_ACTION_DROP, 2, { 0x20, 0x01, 0x0d, 0xb9, [15] = 1 } },
		{ 4, 19, MXS_ACTION_DROP, 4, { 172, 16, 32 } },
		{ 6, 20, MXS_ACTION_DROP, 5, { 0x2a, 0x00, 0x10 } },
	};
	struct ctl_conf *c;
	char err[1024];

	check_case = "static_cidrs at create";
	check_cidrs(first, sizeof(first) / sizeof(first[0]));
	check_case = "cidr_hint at create";
	check_hint(first, sizeof(first) / sizeof(first[0]));
	CHECK_EQ_INT(hint_bit(4, (const uint8_t[]){ 198, 51, 100 }), 1);
	CHECK_EQ_INT(hint_bit(6, (const uint8_t[]){ 0x20, 0x01, 0x0d }), 1);
	CHECK_EQ_INT(hint_bit(4, (const uint8_t[]){ 10, 0, 0 }), 0);
	test_config_map(10);

	check_case = "static_cidrs resynced";
	c = conf_with("mxt0", "generic", "mxt0", "192.0.2.0/24",
		      "203.0.113.0/24 10.0.0.0/8 2001:db9::1 192.0.2.0/24 172.16.32.0/19 "
		      "2a00:1000::/20", base_extra);
	CHECK_EQ_INT(ctl_bpf_configure(h, c, err, sizeof(err)), 0);
	check_cidrs(second, sizeof(second) / sizeof(second[0]));
	check_case = "cidr_hint resynced";
	check_hint(second, sizeof(second) / sizeof(second[0]));
	CHECK_EQ_INT(hint_bit(4, (const uint8_t[]){ 198, 51, 100 }), 0);   /* removed */
	CHECK_EQ_INT(hint_bit(4, (const uint8_t[]){ 10, 0, 0 }), 1);
	CHECK_EQ_INT(hint_bit(4, (const uint8_t[]){ 10, 255, 255 }), 1);
	CHECK_EQ_INT(hint_bit(4, (const uint8_t[]){ 11, 0, 0 }), 0);
	CHECK_EQ_INT(hint_bit(4, (const uint8_t[]){ 172, 16, 63 }), 1);
	CHECK_EQ_INT(hint_bit(4, (const uint8_t[]){ 172, 16, 64 }), 0);
	CHECK_EQ_INT(hint_bit(6, (const uint8_t[]){ 0x2a, 0x00, 0x1f }), 1);
	CHECK_EQ_INT(hint_bit(6, (const uint8_t[]){ 0x2a, 0x00, 0x20 }), 0);
	CHECK_EQ_INT(hint_bit(4, (const uint8_t[]){ 0x2a, 0x00, 0x1f }), 0);  /* family apart */
	test_config_map(10);
	ctl_conf_free(c);

	check_case = "static_cidrs emptied";
	c = conf_with("mxt0", "generic", "mxt0", "", "", base_extra);
	CHECK_EQ_INT(ctl_bpf_configure(h, c, err, sizeof(err)), 0);
	check_cidrs(NULL, 0);
	check_case = "cidr_hint emptied";
	check_hint(NULL, 0);
	CHECK_EQ_INT(hint_bit(4, (const uint8_t[]){ 10, 0, 0 }), 0);
	ctl_conf_free(c);

	check_case = "static_cidrs back";
	c = conf_with("mxt0", "generic", "mxt0", "192.0.2.0/24, 2001:db8::/32",
		      "198.51.100.7, 192.0.2.128/25, 203.0.113.0/24", base_extra);
	CHECK_EQ_INT(ctl_bpf_configure(h, c, err, sizeof(err)), 0);
	check_cidrs(first, sizeof(first) / sizeof(first[0]));
	check_case = "cidr_hint back";
	check_hint(first, sizeof(first) / sizeof(first[0]));
	ctl_conf_free(c);
}

static void v4_verdict(struct mxs_verdict *v, unsigned i, uint64_t expiry_real)
{
	memset(v, 0, sizeof(*v));
	v->family = 4;
	v->prefix_len = 32;
	v->addr[0] = 10;
	v->addr[1] = (uint8_t)(i >> 16);
	v->addr[2] = (uint8_t)(i >> 8);
	v->addr[3] = (uint8_t)i;
	v->addr[7] = 0xee;              /* junk past the address: not in the key */
	v->action = (uint8_t)(1 + i % 4);
	v->would_be = (uint8_t)(4 - i % 4);
	v->shadow = (uint8_t)(i & 1);
	v->score = (int32_t)i - 100;
	v->reasons = i * 7;
	v->ttl_s = 3600;
	v->expiry_ns = expiry_real;
}

static struct mxs_bpf_addr_key v4_key(unsigned i)
{
	struct mxs_bpf_addr_key k;

	memset(&k, 0, sizeof(k));
	k.family = 4;
	k.prefix_len = 32;
	k.addr[0] = 10;
	k.addr[1] = (uint8_t)(i >> 16);
	k.addr[2] = (uint8_t)(i >> 8);
	k.addr[3] = (uint8_t)i;
	return k;
}

static void test_verdicts(struct ctl_bpf *h)
{
	static struct mxs_verdict v[N_V4 + 5];
	const struct ctl_bpf_counters *cnt = ctl_bpf_counters(h);
	uint64_t real0, mono0, real1, mono1, ttl = 3600 * NS;
	struct mxs_bpf_addr_key k;
	struct mxs_bpf_verdict val;
	int fd = pinned_fd("verdicts");
	size_t n = 0;

	check_case = "verdicts";
	CHECK(fd >= 0);
	real0 = clock_ns(CLOCK_REALTIME);
	for (unsigned i = 0; i < N_V4; i++)
		v4_verdict(&v[n++], i, real0 + ttl);
	/* IPv6 per /64: host bits in the verdict are dropped from the key */
	memset(&v[n], 0, sizeof(v[n]));
	v[n].family = 6;
	v[n].prefix_len = 64;
	memcpy(v[n].addr, "\x20\x01\x0d\xb8\x00\x01\x00\x02\xde\xad\xbe\xef\x00\x00\x00\x01", 16);
	v[n].action = MXS_ACTION_DROP;
	v[n].would_be = MXS_ACTION_DROP;
	v[n].score = 9;
	v[n++].expiry_ns = real0 + ttl;
	/* IPv6 per /128 */
	v[n] = v[n - 1];
	v[n].prefix_len = 128;
	v[n++].action = MXS_ACTION_TAG;
	/* malformed: counted as failed, nothing written */
	v[n] = v[0];
	v[n++].family = 5;
	v[n] = v[0];
	v[n++].prefix_len = 33;
	v[n] = v[0];
	v[n++].action = MXS_ACTION_COUNT;

	mono0 = clock_ns(CLOCK_MONOTONIC);
	ctl_bpf_write(h, v, n);
	real1 = clock_ns(CLOCK_REALTIME);
	mono1 = clock_ns(CLOCK_MONOTONIC);
	(void)real1;
	CHECK_EQ_INT(cnt->written, N_V4 + 2);
	CHECK_EQ_INT(cnt->failed, 3);
	CHECK(cnt->batch_calls >= 3);          /* 3002 entries in chunks of 1024 */
	CHECK_EQ_INT(cnt->single_calls, 0);    /* this kernel batches hash maps */
	CHECK_EQ_INT(count_keys(fd, sizeof(k)), N_V4 + 2);

	for (unsigned i = 0; i < N_V4; i += 97) {
		k = v4_key(i);
		memset(&val, 0xff, sizeof(val));
		CHECK_EQ_INT(bpf_map_lookup_elem(fd, &k, &val), 0);
		CHECK_EQ_INT(val.action, 1 + i % 4);
		CHECK_EQ_INT(val.would_be, 4 - i % 4);
		CHECK_EQ_INT(val.shadow, i & 1);
		CHECK_EQ_INT(val.score, (int)i - 100);
		CHECK_EQ_INT(val.reasons, i * 7);
		CHECK_EQ_INT(val.pad, 0);
		CHECK_EQ_INT(val.hits, 0);
		/* expiry_real - now_real == expiry_mono - now_mono, within
		 * the time the write took */
		CHECK(val.expiry_ns >= mono0 + ttl - NS / 10);
		CHECK(val.expiry_ns <= mono1 + ttl + NS / 10);
	}
	check_case = "verdicts v6";
	memset(&k, 0, sizeof(k));
	k.family = 6;
	k.prefix_len = 64;
	memcpy(k.addr, "\x20\x01\x0d\xb8\x00\x01\x00\x02", 8);
	CHECK_EQ_INT(bpf_map_lookup_elem(fd, &k, &val), 0);
	CHECK_EQ_INT(val.action, MXS_ACTION_DROP);
	CHECK_EQ_INT(val.score, 9);
	k.prefix_len = 128;
	memcpy(k.addr, "\x20\x01\x0d\xb8\x00\x01\x00\x02\xde\xad\xbe\xef\x00\x00\x00\x01", 16);
	CHECK_EQ_INT(bpf_map_lookup_elem(fd, &k, &val), 0);
	CHECK_EQ_INT(val.action, MXS_ACTION_TAG);

	/* A rewrite replaces: same key, new action. */
	check_case = "verdicts rewrite";
	v4_verdict(&v[0], 5, real0 + ttl);
	v[0].action = MXS_ACTION_PASS;
	ctl_bpf_write(h, v, 1);
	k = v4_key(5);
	CHECK_EQ_INT(bpf_map_lookup_elem(fd, &k, &val), 0);
	CHECK_EQ_INT(val.action, MXS_ACTION_PASS);
	CHECK_EQ_INT(count_keys(fd, sizeof(k)), N_V4 + 2);
	close(fd);
}

static void test_sweep(struct ctl_bpf *h)
{
	static struct mxs_verdict v[N_PAST];
	const struct ctl_bpf_counters *cnt = ctl_bpf_counters(h);
	uint64_t real = clock_ns(CLOCK_REALTIME), mono, scanned, rounds;
	struct mxs_bpf_addr_key k;
	struct mxs_bpf_verdict val;
	int fd = pinned_fd("verdicts"), deleted = 0, rc;

	check_case = "sweep";
	/* Expired ones, 10.200.x.y; one long past (before boot: expiry 0). */
	for (unsigned i = 0; i < N_PAST; i++)
		v4_verdict(&v[i], (200u << 16) + i, real - 10 * NS);
	v[N_PAST - 1].expiry_ns = 1;
	ctl_bpf_write(h, v, N_PAST);
	mono = clock_ns(CLOCK_MONOTONIC);
	k = v4_key(200u << 16);
	CHECK_EQ_INT(bpf_map_lookup_elem(fd, &k, &val), 0);
	CHECK(val.expiry_ns < mono - 9 * NS && val.expiry_ns > mono - 11 * NS);
	k = v4_key((200u << 16) + N_PAST - 1);
	CHECK_EQ_INT(bpf_map_lookup_elem(fd, &k, &val), 0);
	CHECK_EQ_INT(val.expiry_ns, 0);
	CHECK_EQ_INT(count_keys(fd, sizeof(k)), N_V4 + 2 + N_PAST);

	/* Bounded: 10 entries looked at, no more. */
	scanned = cnt->sweep_scanned;
	rc = ctl_bpf_sweep(h, 10);
	CHECK(rc >= 0 && rc <= 10);
	CHECK_EQ_INT(cnt->sweep_scanned - scanned, 10);
	deleted += rc > 0 ? rc : 0;
	CHECK_EQ_INT(ctl_bpf_sweep(h, 0), 0);
	CHECK_EQ_INT(cnt->sweep_scanned - scanned, 10);

	/* Resumes where it stopped and finishes the pass: every expired
	 * entry gone, every live one kept. */
	rounds = cnt->sweep_rounds;
	for (int guard = 0; cnt->sweep_rounds == rounds && guard < 10000; guard++) {
		rc = ctl_bpf_sweep(h, 64);
		CHECK(rc >= 0);
		deleted += rc > 0 ? rc : 0;
	}
	CHECK_EQ_INT(cnt->sweep_rounds, rounds + 1);
	CHECK_EQ_INT(deleted, N_PAST);
	CHECK_EQ_INT(cnt->swept, N_PAST);
	CHECK_EQ_INT(cnt->sweep_errors, 0);
	/* One pass: each entry looked at once (none added meanwhile). */
	CHECK_EQ_INT(cnt->sweep_scanned - scanned, N_V4 + 2 + N_PAST);
	CHECK_EQ_INT(count_keys(fd, sizeof(k)), N_V4 + 2);
	k = v4_key(200u << 16);
	CHECK(bpf_map_lookup_elem(fd, &k, &val) != 0);
	k = v4_key(17);
	CHECK_EQ_INT(bpf_map_lookup_elem(fd, &k, &val), 0);
	/* A pass over live entries deletes nothing. */
	CHECK_EQ_INT(ctl_bpf_sweep(h, 1000000), 0);
	close(fd);
}

static void test_stats(struct ctl_bpf *h)
{
	int ncpu = libbpf_num_possible_cpus(), fd = pinned_fd("stats");
	struct mxs_bpf_stats *per = calloc((size_t)(ncpu > 0 ? ncpu : 1), sizeof(*per)), sum;
	__u32 zero = 0;

	check_case = "stats";
	CHECK(ncpu > 0 && fd >= 0 && per);
	if (ncpu <= 0 || fd < 0 || !per) {
		free(per);
		return;
	}
	CHECK_EQ_INT(ctl_bpf_stats(h, &sum), 0);
	for (int i = 0; i < ncpu; i++) {
		per[i].pkts[MXS_ACTION_DROP] = (uint64_t)i + 1;
		per[i].bytes[MXS_ACTION_TAG] = 1000;
		per[i].tc_marked = 2;
	}
	CHECK_EQ_INT(bpf_map_update_elem(fd, &zero, per, BPF_ANY), 0);
	memset(&sum, 0xff, sizeof(sum));
	CHECK_EQ_INT(ctl_bpf_stats(h, &sum), 0);
	CHECK_EQ_INT(sum.pkts[MXS_ACTION_DROP], (uint64_t)ncpu * (uint64_t)(ncpu + 1) / 2);
	CHECK_EQ_INT(sum.bytes[MXS_ACTION_TAG], 1000ull * (uint64_t)ncpu);
	CHECK_EQ_INT(sum.tc_marked, 2ull * (uint64_t)ncpu);
	CHECK_EQ_INT(sum.pkts[MXS_ACTION_PASS], 0);
	CHECK_EQ_INT(sum.syn_throttled, 0);
	memset(per, 0, (size_t)ncpu * sizeof(*per));
	CHECK_EQ_INT(bpf_map_update_elem(fd, &zero, per, BPF_ANY), 0);
	free(per);
	close(fd);
}

/* ---- manual CIDRs, deletes, never-expiring verdicts ---- */

static struct mxs_verdict mk_verdict(int family, const char *addr, int prefix_len, int action,
				     uint64_t expiry_real)
{
	struct mxs_verdict v;

	memset(&v, 0, sizeof(v));
	v.family = (uint8_t)family;
	inet_pton(family == 4 ? AF_INET : AF_INET6, addr, v.addr);
	v.prefix_len = (uint8_t)prefix_len;
	v.action = (uint8_t)action;
	v.would_be = (uint8_t)action;
	v.score = 42;
	v.expiry_ns = expiry_real;
	return v;
}

static void write1(struct ctl_bpf *h, struct mxs_verdict v)
{
	ctl_bpf_write(h, &v, 1);
}

/* Run the pinned xdp_enforce on a TCP packet from @src to port 25: the
 * XDP action, and the DSCP the output carries in @ret_dscp. */
static int xdp_run(const char *src, uint8_t flags, int *ret_dscp)
{
	struct tpkt_spec s = { .tcp_flags = flags, .sport = 40000, .dport = 25, .payload = 8 };
	int fd = pinned_fd("xdp_enforce");
	uint8_t out[2048];
	struct tpkt k;
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_out = out, .data_size_out = sizeof(out),
		    .repeat = 1);

	s.family = strchr(src, ':') ? 6 : 4;
	if (s.family == 4) {
		tpkt_addr4(s.src, src);
		tpkt_addr4(s.dst, "203.0.113.25");
	} else {
		tpkt_addr6(s.src, src);
		tpkt_addr6(s.dst, "2001:db8:ffff::25");
	}
	tpkt_build(&s, &k);
	o.data_in = k.b;
	o.data_size_in = (__u32)k.len;
	CHECK(fd >= 0);
	CHECK_EQ_INT(bpf_prog_test_run_opts(fd, &o), 0);
	if (fd >= 0)
		close(fd);
	if (s.family == 4)
		*ret_dscp = out[k.l3 + 1] >> 2;
	else
		*ret_dscp = ((out[k.l3] & 0x0f) << 4 | out[k.l3 + 1] >> 4) >> 2;
	return (int)o.retval;
}

#define MANUAL MXS_BPF_CIDR_MANUAL
#define ENFORCE_EXTRA "smtp_ports = 25 587\ntag_dscp = 10\ntag_mark = 0x1234\n" \
		      "throttle_rate = 5\nthrottle_burst = 7\nshadow = no"

/* The packet side of the manual entries @mv: tag, throttle, drop inside
 * their /24 and nothing outside. */
static void check_manual_enforced(const char *when)
{
	char name[128];
	int dscp = -1;

	snprintf(name, sizeof(name), "manual enforced (%s)", when);
	check_case = name;
	CHECK_EQ_INT(xdp_run("100.70.1.5", TPKT_ACK, &dscp), XDP_PASS);
	CHECK_EQ_INT(dscp, 10);                                 /* tagged */
	CHECK_EQ_INT(xdp_run("100.70.0.5", TPKT_ACK, &dscp), XDP_PASS);
	CHECK_EQ_INT(dscp, 0);                                  /* outside */
	CHECK_EQ_INT(xdp_run("100.70.3.200", TPKT_ACK, &dscp), XDP_DROP);
	CHECK_EQ_INT(xdp_run("100.70.4.1", TPKT_ACK, &dscp), XDP_PASS);
	CHECK_EQ_INT(xdp_run("2001:db9:5:1::1", TPKT_ACK, &dscp), XDP_DROP);
	CHECK_EQ_INT(xdp_run("2001:db9:6::1", TPKT_ACK, &dscp), XDP_PASS);
	CHECK_EQ_INT(xdp_run("45.1.2.3", TPKT_ACK, &dscp), XDP_PASS);
}

/*
 * Manual CIDR verdicts through ctl_bpf_write: into static_cidrs with
 * MXS_BPF_CIDR_MANUAL, host bits cleared, cidr_hint bits set; enforced by
 * the loaded xdp_enforce; kept (entries and bits) by ctl_bpf_configure
 * with other allow/deny lists; refused on a configured key; deleted by an
 * action-none verdict, bits cleared.
 */
static void test_manual(struct ctl_bpf *h)
{
	const uint64_t live = clock_ns(CLOCK_REALTIME) + 3600 * NS;
	static const struct want_cidr manual[] = {
		{ 4, 24, MXS_ACTION_TAG, MANUAL, { 100, 70, 1 } },
		{ 4, 24, MXS_ACTION_THROTTLE, MANUAL, { 100, 70, 2 } },
		{ 4, 24, MXS_ACTION_DROP, MANUAL, { 100, 70, 3 } },
		{ 6, 48, MXS_ACTION_DROP, MANUAL, { 0x20, 0x01, 0x0d, 0xb9, 0, 5 } },
		{ 4, 12, MXS_ACTION_PASS, MANUAL, { 45 } },
	};
	/* configured: allow 192.0.2.0/24; deny 203.0.113.0/24 10.0.0.0/8 */
	static const struct want_cidr conf2[] = {
		{ 4, 24, MXS_ACTION_PASS, 0, { 192, 0, 2, 0 } },
		{ 4, 24, MXS_ACTION_DROP, 0, { 203, 0, 113, 0 } },
		{ 4, 8, MXS_ACTION_DROP, 1, { 10 } },
	};
	struct want_cidr all[16];
	const struct ctl_bpf_counters *cnt = ctl_bpf_counters(h);
	uint64_t failed, deleted;
	struct ctl_conf *c;
	struct mxs_verdict v[4];
	char err[1024];
	int dscp, n;

	check_case = "manual: configure, no static CIDRs, enforcing";
	c = conf_with("", "generic", "", "", "", ENFORCE_EXTRA);
	CHECK_EQ_INT(ctl_bpf_configure(h, c, err, sizeof(err)), 0);
	ctl_conf_free(c);
	check_cidrs(NULL, 0);

	check_case = "manual: write";
	failed = cnt->failed;
	write1(h, mk_verdict(4, "100.70.1.99", 24, MXS_ACTION_TAG, live));   /* host bits */
	write1(h, mk_verdict(4, "100.70.2.0", 24, MXS_ACTION_THROTTLE, live));
	v[0] = mk_verdict(4, "100.70.3.0", 24, MXS_ACTION_DROP, live);
	v[1] = mk_verdict(6, "2001:db9:5:ffff::1", 48, MXS_ACTION_DROP, live);
	v[2] = mk_verdict(4, "45.6.7.8", 12, MXS_ACTION_PASS, live);
	ctl_bpf_write(h, v, 3);
	CHECK_EQ_INT(cnt->cidrs_written, 5);
	CHECK_EQ_INT(cnt->failed, failed);
	check_cidrs(manual, 5);
	check_case = "manual: cidr_hint";
	check_hint(manual, 5);
	CHECK_EQ_INT(hint_bit(4, (const uint8_t[]){ 45, 15, 255 }), 1);
	CHECK_EQ_INT(hint_bit(4, (const uint8_t[]){ 45, 16, 0 }), 0);
	check_manual_enforced("written");

	check_case = "manual: throttle per address";
	for (int i = 0; i < 7; i++)
		CHECK_EQ_INT(xdp_run("100.70.2.9", TPKT_SYN, &dscp), XDP_PASS);
	CHECK_EQ_INT(xdp_run("100.70.2.9", TPKT_SYN, &dscp), XDP_DROP);   /* burst 7 spent */
	CHECK_EQ_INT(xdp_run("100.70.2.9", TPKT_ACK, &dscp), XDP_PASS);
	CHECK_EQ_INT(xdp_run("100.70.2.10", TPKT_SYN, &dscp), XDP_PASS);  /* own bucket */
	CHECK_EQ_INT(xdp_run("100.70.4.9", TPKT_SYN, &dscp), XDP_PASS);

	/* other allow/deny lists: the manual entries and their bits stay */
	check_case = "manual: survives configure";
	c = conf_with("", "generic", "", "192.0.2.0/24", "203.0.113.0/24 10.0.0.0/8",
		      ENFORCE_EXTRA);
	CHECK_EQ_INT(ctl_bpf_configure(h, c, err, sizeof(err)), 0);
	ctl_conf_free(c);
	memcpy(all, conf2, sizeof(conf2));
	memcpy(all + 3, manual, sizeof(manual));
	check_cidrs(all, 8);
	check_hint(all, 8);
	check_manual_enforced("after configure");
	check_case = "manual: survives configure again";
	c = conf_with("", "generic", "", "", "198.51.100.0/24", ENFORCE_EXTRA);
	CHECK_EQ_INT(ctl_bpf_configure(h, c, err, sizeof(err)), 0);
	ctl_conf_free(c);
	all[0] = (struct want_cidr){ 4, 24, MXS_ACTION_DROP, 0, { 198, 51, 100 } };
	memcpy(all + 1, manual, sizeof(manual));
	check_cidrs(all, 6);
	check_hint(all, 6);
	check_manual_enforced("after another configure");
	c = conf_with("", "generic", "", "192.0.2.0/24", "203.0.113.0/24 10.0.0.0/8",
		      ENFORCE_EXTRA);
	CHECK_EQ_INT(ctl_bpf_configure(h, c, err, sizeof(err)), 0);
	ctl_conf_free(c);

	/* a configured CIDR's key is the config's: neither written nor deleted */
	check_case = "manual: configured key refused";
	failed = cnt->failed;
	write1(h, mk_verdict(4, "203.0.113.0", 24, MXS_ACTION_TAG, live));
	write1(h, mk_verdict(4, "10.1.2.3", 8, MXS_ACTION_NONE, live));
	CHECK_EQ_INT(cnt->failed, failed + 2);
	memcpy(all, conf2, sizeof(conf2));
	memcpy(all + 3, manual, sizeof(manual));
	check_cidrs(all, 8);
	check_hint(all, 8);

	/* none deletes (host bits ignored); a missing key is no error */
	check_case = "manual: delete";
	failed = cnt->failed;
	deleted = cnt->deleted;
	write1(h, mk_verdict(4, "100.70.1.200", 24, MXS_ACTION_NONE, live));
	v[0] = mk_verdict(4, "45.0.0.0", 12, MXS_ACTION_NONE, 0);
	v[1] = mk_verdict(4, "100.70.9.0", 24, MXS_ACTION_NONE, 0);
	ctl_bpf_write(h, v, 2);
	CHECK_EQ_INT(cnt->failed, failed);
	CHECK_EQ_INT(cnt->deleted, deleted + 2);
	n = 3;
	memcpy(all, conf2, sizeof(conf2));
	all[n++] = manual[1];
	all[n++] = manual[2];
	all[n++] = manual[3];
	check_cidrs(all, (size_t)n);
	check_hint(all, (size_t)n);                        /* their bits cleared */
	CHECK_EQ_INT(hint_bit(4, (const uint8_t[]){ 100, 70, 1 }), 0);
	CHECK_EQ_INT(hint_bit(4, (const uint8_t[]){ 45, 0, 0 }), 0);
	CHECK_EQ_INT(xdp_run("100.70.1.5", TPKT_ACK, &dscp), XDP_PASS);
	CHECK_EQ_INT(dscp, 0);
	CHECK_EQ_INT(xdp_run("100.70.3.5", TPKT_ACK, &dscp), XDP_DROP);

	/* the rest, added and deleted in one call: added, then gone */
	check_case = "manual: add and delete in one call";
	v[0] = mk_verdict(4, "100.70.8.0", 24, MXS_ACTION_DROP, live);
	v[1] = mk_verdict(4, "100.70.8.0", 24, MXS_ACTION_NONE, 0);
	v[2] = mk_verdict(4, "100.70.2.0", 24, MXS_ACTION_NONE, 0);
	v[3] = mk_verdict(4, "100.70.3.0", 24, MXS_ACTION_NONE, 0);
	ctl_bpf_write(h, v, 4);
	write1(h, mk_verdict(6, "2001:db9:5::", 48, MXS_ACTION_NONE, 0));
	check_cidrs(conf2, 3);
	check_hint(conf2, 3);
	CHECK_EQ_INT(xdp_run("100.70.3.5", TPKT_ACK, &dscp), XDP_PASS);
}

/* Action none deletes a verdicts key, in order with the updates around
 * it; expiry UINT64_MAX is stored as never and survives the sweep. */
static void test_delete_and_never(struct ctl_bpf *h)
{
	const uint64_t live = clock_ns(CLOCK_REALTIME) + 3600 * NS;
	const struct ctl_bpf_counters *cnt = ctl_bpf_counters(h);
	int fd = pinned_fd("verdicts"), dscp, guard;
	struct mxs_bpf_addr_key k;
	struct mxs_bpf_verdict val;
	struct mxs_verdict v[4];
	uint64_t failed = cnt->failed, deleted = cnt->deleted, rounds;
	size_t before;

	check_case = "verdict delete";
	CHECK(fd >= 0);
	before = count_keys(fd, sizeof(k));
	write1(h, mk_verdict(4, "100.71.0.1", 32, MXS_ACTION_DROP, live));
	CHECK_EQ_INT(count_keys(fd, sizeof(k)), before + 1);
	CHECK_EQ_INT(xdp_run("100.71.0.1", TPKT_ACK, &dscp), XDP_DROP);
	write1(h, mk_verdict(4, "100.71.0.1", 32, MXS_ACTION_NONE, 0));
	CHECK_EQ_INT(count_keys(fd, sizeof(k)), before);
	CHECK_EQ_INT(xdp_run("100.71.0.1", TPKT_ACK, &dscp), XDP_PASS);
	write1(h, mk_verdict(4, "100.71.0.1", 32, MXS_ACTION_NONE, 0));   /* missing: fine */
	CHECK_EQ_INT(cnt->failed, failed);
	CHECK_EQ_INT(cnt->deleted, deleted + 1);

	check_case = "verdict delete in order";
	v[0] = mk_verdict(4, "100.71.0.2", 32, MXS_ACTION_DROP, live);
	v[1] = mk_verdict(4, "100.71.0.2", 32, MXS_ACTION_NONE, 0);
	v[2] = mk_verdict(6, "2001:db9:7::", 64, MXS_ACTION_NONE, 0);
	v[3] = mk_verdict(6, "2001:db9:7::1", 64, MXS_ACTION_TAG, live);
	ctl_bpf_write(h, v, 4);
	k = v4_key(0);
	k.addr[0] = 100;
	k.addr[1] = 71;
	k.addr[3] = 2;
	CHECK(bpf_map_lookup_elem(fd, &k, &val) != 0);
	memset(&k, 0, sizeof(k));
	k.family = 6;
	k.prefix_len = 64;
	memcpy(k.addr, "\x20\x01\x0d\xb9\x00\x07", 6);
	CHECK_EQ_INT(bpf_map_lookup_elem(fd, &k, &val), 0);
	CHECK_EQ_INT(val.action, MXS_ACTION_TAG);
	CHECK_EQ_INT(val.hits, 0);
	CHECK_EQ_INT(cnt->failed, failed);
	write1(h, mk_verdict(6, "2001:db9:7::", 64, MXS_ACTION_NONE, 0));
	CHECK(bpf_map_lookup_elem(fd, &k, &val) != 0);

	check_case = "never expires";
	write1(h, mk_verdict(4, "100.72.0.1", 32, MXS_ACTION_DROP, UINT64_MAX));
	k = v4_key(0);
	k.addr[0] = 100;
	k.addr[1] = 72;
	k.addr[3] = 1;
	CHECK_EQ_INT(bpf_map_lookup_elem(fd, &k, &val), 0);
	CHECK(val.expiry_ns == UINT64_MAX);
	CHECK(val.expiry_ns == MXS_BPF_EXPIRY_NEVER);
	rounds = cnt->sweep_rounds;
	for (guard = 0; cnt->sweep_rounds < rounds + 2 && guard < 100000; guard++)
		CHECK(ctl_bpf_sweep(h, 1024) >= 0);
	CHECK_EQ_INT(bpf_map_lookup_elem(fd, &k, &val), 0);
	CHECK(val.expiry_ns == UINT64_MAX);
	CHECK_EQ_INT(xdp_run("100.72.0.1", TPKT_ACK, &dscp), XDP_DROP);
	write1(h, mk_verdict(4, "100.72.0.1", 32, MXS_ACTION_NONE, 0));
	CHECK_EQ_INT(count_keys(fd, sizeof(k)), before);
	close(fd);
}

static void test_attached(const char *xdp_if, int mode, const char *tc_if)
{
	struct bpf_xdp_query_opts q = xdp_query(xdp_if);
	uint32_t xdp_id = pinned_prog_id("xdp_enforce");

	CHECK(xdp_id != 0);
	CHECK_EQ_INT(q.attach_mode, mode);
	if (mode == XDP_ATTACHED_SKB) {
		CHECK_EQ_INT(q.skb_prog_id, xdp_id);
		CHECK_EQ_INT(q.drv_prog_id, 0);
	} else {
		CHECK_EQ_INT(q.drv_prog_id, xdp_id);
		CHECK_EQ_INT(q.skb_prog_id, 0);
	}
	if (tc_if) {
		CHECK(pinned_prog_id("tc_tag") != 0);
		CHECK_EQ_INT(tc_prog(tc_if), pinned_prog_id("tc_tag"));
	}
}

static void test_attach_modes(struct ctl_bpf *h)
{
	struct ctl_conf *c;
	char err[1024];
	int rc;

	check_case = "native";
	c = conf_with("mxt0", "native", "mxt0", "", "", base_extra);
	rc = ctl_bpf_configure(h, c, err, sizeof(err));
	CHECK_EQ_INT(rc, 0);
	if (rc)
		fprintf(stderr, "native: %s\n", err);
	test_attached("mxt0", XDP_ATTACHED_DRV, "mxt0");
	CHECK(strstr(ctl_bpf_summary(h), "mxt0 (native)") != NULL);
	ctl_conf_free(c);

	check_case = "auto (veth has native XDP)";
	c = conf_with("mxt0", "auto", "mxt0", "", "", base_extra);
	CHECK_EQ_INT(ctl_bpf_configure(h, c, err, sizeof(err)), 0);
	test_attached("mxt0", XDP_ATTACHED_DRV, "mxt0");
	ctl_conf_free(c);

	check_case = "back to generic";
	c = conf_with("mxt0", "generic", "mxt0", "", "", base_extra);
	CHECK_EQ_INT(ctl_bpf_configure(h, c, err, sizeof(err)), 0);
	test_attached("mxt0", XDP_ATTACHED_SKB, "mxt0");
	CHECK(strstr(ctl_bpf_summary(h), "xdp_enforce on mxt0 (generic); tc_tag on mxt0") != NULL);
	ctl_conf_free(c);

	/* Moved to mxt1: taken off mxt0 (XDP and TC), put on mxt1. */
	check_case = "moved";
	c = conf_with("mxt1", "generic", "mxt1", "", "", base_extra);
	CHECK_EQ_INT(ctl_bpf_configure(h, c, err, sizeof(err)), 0);
	test_attached("mxt1", XDP_ATTACHED_SKB, "mxt1");
	CHECK_EQ_INT(xdp_query("mxt0").attach_mode, XDP_ATTACHED_NONE);
	CHECK_EQ_INT(tc_prog("mxt0"), 0);
	ctl_conf_free(c);

	check_case = "none";
	c = conf_with("", "generic", "", "", "", base_extra);
	CHECK_EQ_INT(ctl_bpf_configure(h, c, err, sizeof(err)), 0);
	CHECK_EQ_INT(xdp_query("mxt1").attach_mode, XDP_ATTACHED_NONE);
	CHECK_EQ_INT(tc_prog("mxt1"), 0);
	CHECK(strstr(ctl_bpf_summary(h), "xdp_enforce not attached; tc_tag not attached") != NULL);
	ctl_conf_free(c);
}

/* Missing interfaces are named and change nothing; a foreign XDP
 * program is refused and left in place. */
static void test_refusals(struct ctl_bpf *h)
{
	const struct bpf_insn pass[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = XDP_PASS },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	struct ctl_conf *c;
	char err[1024];
	int fd, rc;

	check_case = "missing xdp interface";
	c = conf_with("mxt0 nosuch0", "generic", "mxt0", "", "",
		      "smtp_ports = 25 587\ntag_dscp = 20\ntag_mark = 0x1234\nthrottle_rate = 5\n"
		      "throttle_burst = 7\nshadow = yes");
	CHECK_EQ_INT(ctl_bpf_configure(h, c, err, sizeof(err)), -ENODEV);
	CHECK_EQ_STR(err, "xdp_interfaces: no interface 'nosuch0': No such device");
	test_config_map(10);            /* nothing written */
	ctl_conf_free(c);

	check_case = "missing tc interface";
	c = conf_with("mxt0", "generic", "nosuch1", "", "", base_extra);
	CHECK_EQ_INT(ctl_bpf_configure(h, c, err, sizeof(err)), -ENODEV);
	CHECK_EQ_STR(err, "tc_interfaces: no interface 'nosuch1': No such device");
	ctl_conf_free(c);

	check_case = "foreign XDP program";
	fd = bpf_prog_load(BPF_PROG_TYPE_XDP, "foreign", "GPL", pass, 2, NULL);
	CHECK(fd >= 0);
	CHECK_EQ_INT(bpf_xdp_attach((int)if_nametoindex("mxt1"), fd, XDP_FLAGS_SKB_MODE, NULL), 0);
	c = conf_with("mxt1", "generic", "", "", "", base_extra);
	rc = ctl_bpf_configure(h, c, err, sizeof(err));
	CHECK_EQ_INT(rc, -EBUSY);
	CHECK(strstr(err, "xdp_interfaces: mxt1 already has XDP program 'foreign'") == err);
	CHECK_EQ_INT(xdp_query("mxt1").skb_prog_id, fd_id(fd));
	ctl_conf_free(c);
	/* auto does not take it over either */
	c = conf_with("mxt1", "auto", "", "", "", base_extra);
	CHECK_EQ_INT(ctl_bpf_configure(h, c, err, sizeof(err)), -EBUSY);
	CHECK_EQ_INT(xdp_query("mxt1").skb_prog_id, fd_id(fd));
	ctl_conf_free(c);
	CHECK_EQ_INT(bpf_xdp_detach((int)if_nametoindex("mxt1"), XDP_FLAGS_SKB_MODE, NULL), 0);
	if (fd >= 0)
		close(fd);
}

static void test_create_errors(void)
{
	struct ctl_bpf_params p;
	struct ctl_bpf *h = (void *)1;
	struct ctl_conf *c;
	char err[1024], want[PATH_MAX + 128];

	check_case = "create: missing interface";
	c = conf_with("nosuch0", "generic", "", "", "", base_extra);
	p.conf = c;
	CHECK_EQ_INT(ctl_bpf_create(&p, &h, err, sizeof(err)), -ENODEV);
	CHECK(h == NULL);
	CHECK_EQ_STR(err, "xdp_interfaces: no interface 'nosuch0': No such device");
	ctl_conf_free(c);

	check_case = "create: not bpffs";
	c = conf_with("", "generic", "", "", "", base_extra);
	snprintf(c->bpf_pin_dir, sizeof(c->bpf_pin_dir), "%s/pins", tmpdir);
	p.conf = c;
	h = (void *)1;
	CHECK_EQ_INT(ctl_bpf_create(&p, &h, err, sizeof(err)), -ENOTSUP);
	CHECK(h == NULL);
	snprintf(want, sizeof(want), "bpf_pin_dir %s/pins is not on a bpf filesystem "
		 "(mount -t bpf bpf /sys/fs/bpf): Operation not supported", tmpdir);
	CHECK_EQ_STR(err, want);
	ctl_conf_free(c);
	ctl_bpf_close(NULL);
}

static int sh(const char *cmd)
{
	int rc = system(cmd);

	return rc == -1 ? -1 : WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

int main(void)
{
	struct ctl_bpf_params p;
	struct ctl_bpf *h = NULL;
	struct ctl_conf *c;
	struct statfs sfs;
	char err[1024];
	uint32_t first_xdp, first_tc;
	int rc;

	if (geteuid() != 0) {
		printf("SKIP: needs root (BPF, network namespaces)\n");
		return 77;
	}
	if (statfs("/sys/fs/bpf", &sfs) || (unsigned long)sfs.f_type != (unsigned long)BPF_FS_MAGIC) {
		printf("SKIP: no bpffs at /sys/fs/bpf\n");
		return 77;
	}
	if (unshare(CLONE_NEWNET)) {
		printf("SKIP: cannot create a network namespace: %s\n", strerror(errno));
		return 77;
	}
	if (sh("ip link set lo up && ip link add mxt0 type veth peer name mxt1 && "
	       "ip link set mxt0 up && ip link set mxt1 up")) {
		printf("SKIP: cannot create a veth pair\n");
		return 77;
	}
	/* The queries here look at interfaces with nothing attached on
	 * purpose: keep libbpf's "not found" chatter out of the log. */
	libbpf_set_print(NULL);
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 2;
	}
	snprintf(conf_path, sizeof(conf_path), "%s/t.conf", tmpdir);
	snprintf(pin_dir, sizeof(pin_dir), "/sys/fs/bpf/mxs-test-%d", (int)getpid());
	atexit(cleanup);
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);

	test_create_errors();

	check_case = "create";
	c = conf_with("mxt0", "generic", "mxt0", "192.0.2.0/24, 2001:db8::/32",
		      "198.51.100.7, 192.0.2.128/25, 203.0.113.0/24", base_extra);
	p.conf = c;
	rc = ctl_bpf_create(&p, &h, err, sizeof(err));
	CHECK_EQ_INT(rc, 0);
	if (rc) {
		fprintf(stderr, "ctl_bpf_create: %s\n", err);
		ctl_conf_free(c);
		CHECK_DONE();
	}
	CHECK_EQ_STR(ctl_bpf_pin_dir(h), pin_dir);
	test_pins();
	test_config_map(10);
	test_attached("mxt0", XDP_ATTACHED_SKB, "mxt0");
	first_xdp = pinned_prog_id("xdp_enforce");
	first_tc = pinned_prog_id("tc_tag");
	test_cidrs(h);
	test_verdicts(h);
	test_sweep(h);
	test_stats(h);

	/* Restart: close keeps pins and attachment; a new handle reuses the
	 * maps (verdicts intact) and replaces our own program in place. */
	check_case = "close";
	ctl_bpf_close(h);
	h = NULL;
	test_pins();
	test_attached("mxt0", XDP_ATTACHED_SKB, "mxt0");
	CHECK_EQ_INT(xdp_query("mxt0").skb_prog_id, first_xdp);
	check_case = "reopen";
	rc = ctl_bpf_create(&p, &h, err, sizeof(err));
	CHECK_EQ_INT(rc, 0);
	if (rc) {
		fprintf(stderr, "ctl_bpf_create again: %s\n", err);
	} else {
		int fd = pinned_fd("verdicts");
		struct mxs_bpf_addr_key k = v4_key(17);
		struct mxs_bpf_verdict val;

		CHECK_EQ_INT(count_keys(fd, sizeof(k)), N_V4 + 2);
		CHECK_EQ_INT(bpf_map_lookup_elem(fd, &k, &val), 0);
		CHECK_EQ_INT(val.action, 1 + 17 % 4);
		close(fd);
		CHECK(pinned_prog_id("xdp_enforce") != first_xdp);
		CHECK(pinned_prog_id("tc_tag") != first_tc);
		test_attached("mxt0", XDP_ATTACHED_SKB, "mxt0");
		test_config_map(10);
		test_attach_modes(h);
		test_refusals(h);
		test_manual(h);
		test_delete_and_never(h);
	}
	ctl_bpf_close(h);
	ctl_conf_free(c);
	CHECK_DONE();
}
