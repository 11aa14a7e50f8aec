/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * xdp-bench: ns per packet of xdp_enforce (bpf/mxscreen_xdp.bpf.c) under
 * bpf_prog_test_run_opts, with production-sized maps: 1,000,000 verdicts
 * (IPv4 /32, IPv6 /128 and /64, written with bpf_map_update_batch) and
 * 100,000 static CIDRs (IPv4 and IPv6, spread over the address space so a
 * lookup walks a deep trie). For each path (pass, none, tag, throttle
 * non-SYN, throttle SYN on an empty bucket, drop, static allow, static
 * deny, non-SMTP port) and each family, one frame is run `repeat` times in
 * the kernel and opts.duration (the kernel's mean ns per run) is printed,
 * the median of several runs, with PASS/FAIL against the 50 ns target.
 * cidr_hint is filled from the same CIDRs (as ctl_bpf does, all 2^19 words
 * in one bpf_map_update_batch, timed) and config.cidr_hint set, so the
 * trie is looked up only for addresses a CIDR may cover; --no-hint leaves
 * it at 0 (every judged packet walks the trie).
 * The skeleton is loaded unpinned: nothing under /sys/fs/bpf is touched.
 * Needs root. Prints figures; the exit status is about correctness only.
 */
#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <mxscreen/bpf.h>
#include <mxscreen/verdict.h>

#include "mxscreen_xdp.skel.h"

#ifndef ENOTSUPP
#define ENOTSUPP 524            /* the kernel's, not in libc's errno.h */
#endif

#define TARGET_NS 50.0
#define SEC_NS 1000000000ull

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rng(void)               /* xorshift64* */
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * SEC_NS + (uint64_t)ts.tv_nsec;
}

/* ---- frames ---------------------------------------------------------- */

struct frame {
	uint8_t b[128];
	uint32_t len;
};

static uint16_t csum16(const uint8_t *p, size_t n)
{
	uint32_t s = 0;

	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* Ethernet + IPv4/IPv6 + 20-byte TCP + 26 bytes of payload. */
static void frame(struct frame *f, int family, const char *src, uint16_t dport, uint8_t flags)
{
	uint8_t *b = f->b, *l4;
	uint32_t l4len = 20 + 26;

	memset(f, 0, sizeof(*f));
	memcpy(b, "\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01", 12);
	if (family == 4) {
		put16(b + 12, 0x0800);
		b[14] = 0x45;
		put16(b + 16, (uint16_t)(20 + l4len));
		b[22] = 64;
		b[23] = 6;
		inet_pton(AF_INET, src, b + 26);
		inet_pton(AF_INET, "203.0.113.25", b + 30);
		put16(b + 24, csum16(b + 14, 20));
		l4 = b + 34;
	} else {
		put16(b + 12, 0x86dd);
		b[14] = 0x60;
		put16(b + 18, (uint16_t)l4len);
		b[20] = 6;
		b[21] = 64;
		inet_pton(AF_INET6, src, b + 22);
		inet_pton(AF_INET6, "2001:db8:ffff::25", b + 38);
		l4 = b + 54;
	}
	put16(l4, 40000);
	put16(l4 + 2, dport);
	l4[12] = 0x50;
	l4[13] = flags;
	put16(l4 + 14, 64240);
	for (int i = 0; i < 26; i++)
		l4[20 + i] = (uint8_t)('a' + i);
	f->len = (uint32_t)(l4 + l4len - b);
}

/* ---- map fill -------------------------------------------------------- */

static uint64_t hint[MXS_BPF_HINT_WORDS];     /* cidr_hint as written */

/* The cidr_hint bits of one CIDR (include/mxscreen/bpf.h). */
static void hint_mark(const struct mxs_bpf_cidr_key *k)
{
	uint32_t len = k->prefixlen - 32, bit = MXS_BPF_HINT_BIT(k->family, k->addr), span;

	if (len >= 24) {
		hint[bit / 64] |= 1ull << (bit % 64);
		return;
	}
	span = 1u << (24 - len);
	bit &= ~(span - 1);
	for (uint32_t b = bit; b < bit + span; b++)
		hint[b / 64] |= 1ull << (b % 64);
}

static int update_batch(int fd, const void *keys, const void *vals, size_t ksz, size_t vsz,
			size_t n, int *ret_batched)
{
	const size_t chunk = 65536;

	*ret_batched = 1;
	for (size_t off = 0; off < n; off += chunk) {
		__u32 count = (__u32)(n - off < chunk ? n - off : chunk);
		const char *k = (const char *)keys + off * ksz, *v = (const char *)vals + off * vsz;

		if (*ret_batched && bpf_map_update_batch(fd, k, v, &count, NULL) == 0)
			continue;
		if (*ret_batched && errno != EINVAL && errno != ENOTSUPP && errno != EOPNOTSUPP)
			return -errno;
		*ret_batched = 0;       /* this map type has no batch update */
		for (__u32 i = 0; i < count; i++)
			if (bpf_map_update_elem(fd, k + i * ksz, v + i * vsz, BPF_ANY))
				return -errno;
	}
	return 0;
}

/* Is a[0..bits) a prefix of b? */
static int covers(const uint8_t *a, const uint8_t *b, int bits)
{
	for (int i = 0; i < bits; i++) {
		int m = 0x80 >> (i % 8);

		if ((a[i / 8] & m) != (b[i / 8] & m))
			return 0;
	}
	return 1;
}

struct addr {
	int family;
	uint8_t a[16];
};

static void parse_addr(struct addr *x, const char *s)
{
	memset(x, 0, sizeof(*x));
	x->family = strchr(s, ':') ? 6 : 4;
	inet_pton(x->family == 4 ? AF_INET : AF_INET6, s, x->a);
}

/* The bench's own addresses, kept out of the random CIDRs. */
static const char *const bench_addrs[] = {
	"192.0.2.1", "192.0.2.2", "192.0.2.3", "192.0.2.4", "192.0.2.5", "192.0.2.6",
	"198.18.0.200", "198.51.100.7",
	"2001:db8:ffff:1::1", "2001:db8:ffff:2::1", "2001:db8:ffff:3::1", "2001:db8:ffff:4::1",
	"2001:db8:ffff:5::1", "2001:db8:ffff:6::1", "3fff:0:ffff:7::1", "3fff:0:fffe::7",
	"2001:db8:ffff:8::1",
};

static int hits_bench_addr(int family, const uint8_t *a, int len)
{
	for (size_t i = 0; i < sizeof(bench_addrs) / sizeof(bench_addrs[0]); i++) {
		struct addr x;

		parse_addr(&x, bench_addrs[i]);
		if (x.family == family && covers(a, x.a, len))
			return 1;
	}
	return 0;
}

static int fill_verdicts(int fd, size_t n, uint64_t expiry, int *ret_batched)
{
	struct mxs_bpf_addr_key *k = calloc(n, sizeof(*k));
	struct mxs_bpf_verdict *v = calloc(n, sizeof(*v));
	int rc;

	if (!k || !v) {
		free(k);
		free(v);
		return -ENOMEM;
	}
	/* 70% IPv4 /32, 20% IPv6 /128, 10% IPv6 /64; distinct by
	 * construction (i in the address), outside the bench's addresses. */
	for (size_t i = 0; i < n; i++) {
		uint32_t x = (uint32_t)i;

		if (i % 10 < 7) {
			/* an odd multiplier is a bijection on 2^32 */
			uint32_t a = x * 2654435761u;

			k[i].family = 4;
			k[i].prefix_len = 32;
			if ((a >> 24) == 192 || (a >> 24) == 198 || (a >> 24) == 203)
				a ^= 0x40000000u;       /* keep the bench's /8s free */
			k[i].addr[0] = (uint8_t)(a >> 24);
			k[i].addr[1] = (uint8_t)(a >> 16);
			k[i].addr[2] = (uint8_t)(a >> 8);
			k[i].addr[3] = (uint8_t)a;
		} else {
			uint64_t r = rng();

			k[i].family = 6;
			k[i].prefix_len = i % 10 < 9 ? 128 : 64;
			k[i].addr[0] = 0x2a;
			k[i].addr[1] = (uint8_t)(r >> 56);
			k[i].addr[2] = (uint8_t)(x >> 24);
			k[i].addr[3] = (uint8_t)(x >> 16);
			k[i].addr[4] = (uint8_t)(x >> 8);
			k[i].addr[5] = (uint8_t)x;
			k[i].addr[6] = (uint8_t)(r >> 48);
			k[i].addr[7] = (uint8_t)(r >> 40);
			if (k[i].prefix_len == 128)
				memcpy(&k[i].addr[8], &r, 8);
		}
		v[i].action = (uint8_t)(1 + rng() % 4);
		v[i].would_be = v[i].action;
		v[i].score = (int32_t)(rng() % 20);
		v[i].expiry_ns = expiry;
	}
	rc = update_batch(fd, k, v, sizeof(*k), sizeof(*v), n, ret_batched);
	free(k);
	free(v);
	return rc;
}

static int fill_cidrs(int fd, size_t n, int near, int *ret_batched)
{
	struct mxs_bpf_cidr_key *k = calloc(n, sizeof(*k));
	struct mxs_bpf_cidr_val *v = calloc(n, sizeof(*v));
	size_t i = 0;
	int rc;

	if (!k || !v) {
		free(k);
		free(v);
		return -ENOMEM;
	}
	/* 80% IPv4 /16../32 (mostly /24../32) anywhere in 1/8..223/8, 20%
	 * IPv6 /32../128 in 2000::/3, uniformly. With @near, a quarter of
	 * them (v4) or a quarter (v6) are crowded next to the bench's own
	 * addresses, so those lookups walk the deepest paths before they
	 * miss: a worst case. None covers a bench address. */
	while (i < n) {
		uint64_t r = rng(), r2 = rng();
		int len;

		memset(&k[i], 0, sizeof(k[i]));
		if (i % 5 != 4) {
			uint32_t a = (uint32_t)r;

			len = (int)(16 + r2 % 17);
			if (r2 % 4)
				len = (int)(24 + r2 % 9);
			a = (a % (223u << 24)) + (1u << 24);
			if (near && (r2 >> 8) % 8 == 0)
				a = (a & 0x0000ffffu) | 0xc0000000u;    /* 192.0.x.x */
			if (near && (r2 >> 8) % 8 == 1)
				a = (a & 0x000000ffu) | 0xc6336400u;    /* 198.51.100.x */
			k[i].family = 4;
			k[i].addr[0] = (uint8_t)(a >> 24);
			k[i].addr[1] = (uint8_t)(a >> 16);
			k[i].addr[2] = (uint8_t)(a >> 8);
			k[i].addr[3] = (uint8_t)a;
		} else {
			len = (int)(32 + r2 % 97);
			k[i].family = 6;
			memcpy(k[i].addr, &r, 8);
			memcpy(k[i].addr + 8, &r2, 8);
			k[i].addr[0] = 0x20;
			if (near && (r2 >> 8) % 4 == 0) {       /* 2001:db8:ff0x:: */
				memcpy(k[i].addr, "\x20\x01\x0d\xb8\xff", 5);
				k[i].addr[5] = (uint8_t)(r2 >> 24) & 0x0f;
			}
		}
		/* zero the host bits, as the control plane writes them */
		for (int b = len; b < (k[i].family == 4 ? 32 : 128); b++)
			k[i].addr[b / 8] &= (uint8_t)~(0x80 >> (b % 8));
		if (hits_bench_addr(k[i].family, k[i].addr, len))
			continue;
		k[i].prefixlen = (uint32_t)(32 + len);
		hint_mark(&k[i]);
		v[i].action = r % 3 ? MXS_ACTION_DROP : MXS_ACTION_PASS;
		v[i].id = (uint32_t)i;
		i++;
	}
	rc = update_batch(fd, k, v, sizeof(*k), sizeof(*v), n, ret_batched);
	free(k);
	free(v);
	return rc;
}

static int put_verdict(int fd, const char *s, int plen, int action, uint64_t expiry)
{
	struct mxs_bpf_addr_key k;
	struct mxs_bpf_verdict v;
	struct addr x;

	parse_addr(&x, s);
	memset(&k, 0, sizeof(k));
	memset(&v, 0, sizeof(v));
	k.family = (uint8_t)x.family;
	k.prefix_len = (uint8_t)plen;
	memcpy(k.addr, x.a, x.family == 4 ? 4 : plen / 8);
	v.action = v.would_be = (uint8_t)action;
	v.expiry_ns = expiry;
	return bpf_map_update_elem(fd, &k, &v, BPF_ANY) ? -errno : 0;
}

static int put_cidr(int fd, const char *s, int len, int action)
{
	struct mxs_bpf_cidr_key k;
	struct mxs_bpf_cidr_val v;
	struct addr x;

	parse_addr(&x, s);
	memset(&k, 0, sizeof(k));
	memset(&v, 0, sizeof(v));
	k.prefixlen = (uint32_t)(32 + len);
	k.family = (uint8_t)x.family;
	memcpy(k.addr, x.a, 16);
	v.action = (uint8_t)action;
	hint_mark(&k);
	return bpf_map_update_elem(fd, &k, &v, BPF_ANY) ? -errno : 0;
}

/* Does the program walk static_cidrs for source @s? */
static int trie_looked_up(const char *s, int hinted)
{
	struct addr x;
	uint32_t bit;

	parse_addr(&x, s);
	bit = MXS_BPF_HINT_BIT(x.family, x.a);
	return !hinted || (hint[bit / 64] >> (bit % 64) & 1);
}

/* All of cidr_hint in one batch; the ms it took, or -errno. */
static double fill_hint(int fd, size_t *ret_bits, size_t *ret_words)
{
	static __u32 keys[MXS_BPF_HINT_WORDS];
	__u32 count = MXS_BPF_HINT_WORDS;
	uint64_t t0;

	*ret_bits = 0;
	*ret_words = 0;
	for (__u32 i = 0; i < MXS_BPF_HINT_WORDS; i++) {
		keys[i] = i;
		*ret_bits += (size_t)__builtin_popcountll(hint[i]);
		*ret_words += hint[i] != 0;
	}
	t0 = now_ns();
	if (bpf_map_update_batch(fd, keys, hint, &count, NULL))
		return -errno;
	return (double)(now_ns() - t0) / 1e6;
}

/* ---- reference programs --------------------------------------------- */

/* Hand-assembled XDP programs for the breakdown: an empty one (the
 * test_run harness itself) and one that does a single map lookup of a
 * fixed key built on the stack (the cost of one helper walk into the
 * real, filled map), both returning XDP_PASS. */
static struct bpf_insn insn(__u8 code, __u8 dst, __u8 src, __s16 off, __s32 imm)
{
	struct bpf_insn i = { .code = code, .dst_reg = dst, .src_reg = src, .off = off, .imm = imm };

	return i;
}

static int ref_prog(int map_fd, const void *key, size_t ksz)
{
	struct bpf_insn p[32];
	int n = 0;

	if (map_fd >= 0) {
		__s16 base = (__s16)-(((ksz + 7) / 8) * 8);

		for (size_t w = 0; w < ksz; w += 4) {
			__s32 v;

			memcpy(&v, (const uint8_t *)key + w, 4);
			p[n++] = insn(BPF_ST | BPF_MEM | BPF_W, BPF_REG_10, 0, (__s16)(base + (__s16)w), v);
		}
		p[n++] = insn(BPF_LD | BPF_DW | BPF_IMM, BPF_REG_1, BPF_PSEUDO_MAP_FD, 0, map_fd);
		p[n++] = insn(0, 0, 0, 0, 0);
		p[n++] = insn(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_2, BPF_REG_10, 0, 0);
		p[n++] = insn(BPF_ALU64 | BPF_ADD | BPF_K, BPF_REG_2, 0, 0, base);
		p[n++] = insn(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_map_lookup_elem);
	}
	p[n++] = insn(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, XDP_PASS);
	p[n++] = insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
	return bpf_prog_load(BPF_PROG_TYPE_XDP, "mxs_bench_ref", "Dual BSD/GPL", p, (size_t)n, NULL);
}

/* ---- runs ------------------------------------------------------------ */

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* Median of @runs runs of @repeat; -1 on a test_run error, -2 if the
 * program answered something else than @want. */
static double measure(int prog_fd, const struct frame *f, int want, uint32_t repeat, int runs)
{
	uint32_t d[16];
	uint8_t out[256];

	if (runs > 16)
		runs = 16;
	for (int i = 0; i < runs; i++) {
		LIBBPF_OPTS(bpf_test_run_opts, o,
			.data_in = f->b,
			.data_size_in = f->len,
			.data_out = out,
			.data_size_out = sizeof(out),
			.repeat = repeat);

		if (bpf_prog_test_run_opts(prog_fd, &o))
			return -1;
		if ((int)o.retval != want)
			return -2;
		d[i] = o.duration;
	}
	qsort(d, (size_t)runs, sizeof(d[0]), cmp_u32);
	return runs % 2 ? d[runs / 2] : (d[runs / 2 - 1] + d[runs / 2]) / 2.0;
}

static void usage(FILE *to)
{
	fprintf(to, "usage: xdp-bench [--repeat N] [--runs N] [--verdicts N] [--cidrs N] [--near] [--quick]\n"
		    "                 [--no-hint]\n"
		    "  --repeat N    runs of one frame per measurement (default 1000000)\n"
		    "  --runs N      measurements per path; the median is printed (default 5)\n"
		    "  --verdicts N  random verdicts loaded (default 1000000, max %d)\n"
		    "  --cidrs N     random static CIDRs loaded (default 100000, max %d)\n"
		    "  --near        crowd the CIDRs around the bench's addresses (worst case)\n"
		    "  --quick       --repeat 100000 --runs 3\n"
		    "  --no-hint     config.cidr_hint = 0: look static_cidrs up for every packet\n",
		MXS_BPF_VERDICTS_MAX - 64, MXS_BPF_CIDRS_MAX - 64);
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "repeat", required_argument, 0, 'r' },
		{ "runs", required_argument, 0, 'n' },
		{ "verdicts", required_argument, 0, 'v' },
		{ "cidrs", required_argument, 0, 'c' },
		{ "quick", no_argument, 0, 'q' },
		{ "near", no_argument, 0, 'N' },
		{ "no-hint", no_argument, 0, 'H' },
		{ "help", no_argument, 0, 'h' },
		{ 0, 0, 0, 0 },
	};
	struct {
		const char *name;
		const char *v4, *v6;
		uint16_t dport;
		uint8_t flags;
		int want;
	} paths[] = {
		{ "pass (verdict)", "192.0.2.4", "2001:db8:ffff:4::1", 25, 0x18, XDP_PASS },
		{ "none (no verdict)", "192.0.2.5", "2001:db8:ffff:5::1", 25, 0x18, XDP_PASS },
		{ "tag (DSCP rewrite)", "192.0.2.2", "2001:db8:ffff:2::1", 25, 0x18, XDP_PASS },
		{ "throttle non-SYN", "192.0.2.3", "2001:db8:ffff:3::1", 25, 0x18, XDP_PASS },
		{ "throttle SYN (empty)", "192.0.2.6", "2001:db8:ffff:6::1", 25, 0x02, XDP_DROP },
		{ "drop", "192.0.2.1", "2001:db8:ffff:1::1", 25, 0x18, XDP_DROP },
		{ "static allow", "198.18.0.200", "3fff:0:fffe::7", 25, 0x18, XDP_PASS },
		{ "static deny", "198.51.100.7", "3fff:0:ffff:7::1", 25, 0x18, XDP_DROP },
		{ "non-SMTP port", "192.0.2.1", "2001:db8:ffff:1::1", 80, 0x18, XDP_PASS },
	};
	long repeat = 1000000, runs = 5, nverdicts = 1000000, ncidrs = 100000;
	struct mxs_bpf_config cfg;
	struct mxscreen_xdp *skel;
	struct bpf_map *m;
	uint64_t t0, live;
	int c, prog_fd, fd_v, fd_c, fd_h, batched_v = 0, batched_c = 0, bad = 0, missed = 0, err;
	int near = 0, no_hint = 0;
	size_t hint_bits = 0, hint_words = 0;
	double hint_ms;
	__u32 zero = 0;

	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case 'r': repeat = strtol(optarg, NULL, 10); break;
		case 'n': runs = strtol(optarg, NULL, 10); break;
		case 'v': nverdicts = strtol(optarg, NULL, 10); break;
		case 'c': ncidrs = strtol(optarg, NULL, 10); break;
		case 'q': repeat = 100000; runs = 3; break;
		case 'N': near = 1; break;
		case 'H': no_hint = 1; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc || repeat < 1 || repeat > 100000000 || runs < 1 || runs > 16 ||
	    nverdicts < 0 || nverdicts > MXS_BPF_VERDICTS_MAX - 64 || ncidrs < 0 ||
	    ncidrs > MXS_BPF_CIDRS_MAX - 64) {
		usage(stderr);
		return 2;
	}
	if (geteuid() != 0) {
		fprintf(stderr, "xdp-bench: needs root (bpf_prog_test_run)\n");
		return 3;
	}

	skel = mxscreen_xdp__open();
	if (!skel) {
		fprintf(stderr, "xdp-bench: open: %s\n", strerror(errno));
		return 3;
	}
	bpf_object__for_each_map(m, skel->obj)
		bpf_map__set_pin_path(m, NULL);         /* never the production pins */
	err = mxscreen_xdp__load(skel);
	if (err) {
		fprintf(stderr, "xdp-bench: load: %s\n", strerror(-err));
		mxscreen_xdp__destroy(skel);
		return 3;
	}
	prog_fd = bpf_program__fd(skel->progs.xdp_enforce);
	fd_v = bpf_map__fd(skel->maps.verdicts);
	fd_c = bpf_map__fd(skel->maps.static_cidrs);
	fd_h = bpf_map__fd(skel->maps.cidr_hint);
	live = now_ns() + 24 * 3600 * SEC_NS;

	t0 = now_ns();
	err = fill_verdicts(fd_v, (size_t)nverdicts, live, &batched_v);
	if (err) {
		fprintf(stderr, "xdp-bench: verdicts: %s\n", strerror(-err));
		goto fail;
	}
	printf("verdicts: %ld loaded in %.2f s (%s)\n", nverdicts, (double)(now_ns() - t0) / 1e9,
	       batched_v ? "bpf_map_update_batch" : "per element: no batch support");
	t0 = now_ns();
	err = fill_cidrs(fd_c, (size_t)ncidrs, near, &batched_c);
	if (err) {
		fprintf(stderr, "xdp-bench: cidrs: %s\n", strerror(-err));
		goto fail;
	}
	printf("static_cidrs: %ld loaded in %.2f s (%s%s)\n", ncidrs, (double)(now_ns() - t0) / 1e9,
	       near ? "crowded near the bench's addresses, " : "uniform, ",
	       batched_c ? "bpf_map_update_batch" : "per element: no batch support for LPM");

	err = put_verdict(fd_v, "192.0.2.1", 32, MXS_ACTION_DROP, live) ||
	      put_verdict(fd_v, "192.0.2.2", 32, MXS_ACTION_TAG, live) ||
	      put_verdict(fd_v, "192.0.2.3", 32, MXS_ACTION_THROTTLE, live) ||
	      put_verdict(fd_v, "192.0.2.4", 32, MXS_ACTION_PASS, live) ||
	      put_verdict(fd_v, "192.0.2.6", 32, MXS_ACTION_THROTTLE, live) ||
	      put_verdict(fd_v, "198.18.0.200", 32, MXS_ACTION_DROP, live) ||
	      put_verdict(fd_v, "2001:db8:ffff:1::1", 128, MXS_ACTION_DROP, live) ||
	      put_verdict(fd_v, "2001:db8:ffff:2::", 64, MXS_ACTION_TAG, live) ||
	      put_verdict(fd_v, "2001:db8:ffff:3::1", 128, MXS_ACTION_THROTTLE, live) ||
	      put_verdict(fd_v, "2001:db8:ffff:4::1", 128, MXS_ACTION_PASS, live) ||
	      put_verdict(fd_v, "2001:db8:ffff:6::1", 128, MXS_ACTION_THROTTLE, live) ||
	      put_verdict(fd_v, "3fff:0:fffe::7", 128, MXS_ACTION_DROP, live) ||
	      put_cidr(fd_c, "198.18.0.128", 25, MXS_ACTION_PASS) ||
	      put_cidr(fd_c, "198.51.100.0", 28, MXS_ACTION_DROP) ||
	      put_cidr(fd_c, "3fff:0:fffe::", 48, MXS_ACTION_PASS) ||
	      put_cidr(fd_c, "3fff:0:ffff:7::", 64, MXS_ACTION_DROP);
	memset(&cfg, 0, sizeof(cfg));
	cfg.smtp_ports[0] = 25;
	cfg.smtp_ports[1] = 587;
	cfg.tag_dscp = 10;
	cfg.throttle_rate = 1;
	cfg.throttle_burst = 1;
	cfg.cidr_hint = no_hint ? 0 : 1;
	if (err) {
		fprintf(stderr, "xdp-bench: map setup failed\n");
		goto fail;
	}
	hint_ms = fill_hint(fd_h, &hint_bits, &hint_words);
	if (hint_ms < 0) {
		fprintf(stderr, "xdp-bench: cidr_hint: %s\n", strerror((int)-hint_ms));
		goto fail;
	}
	printf("cidr_hint: %zu of %u bits set (%.2f%%) in %zu nonzero words; all %u words "
	       "written in %.1f ms (bpf_map_update_batch); config.cidr_hint = %d%s\n", hint_bits,
	       MXS_BPF_HINT_BITS, 100.0 * (double)hint_bits / MXS_BPF_HINT_BITS, hint_words,
	       MXS_BPF_HINT_WORDS, hint_ms,
	       cfg.cidr_hint, no_hint ? " (--no-hint: the trie for every packet)" : "");
	if (bpf_map_update_elem(bpf_map__fd(skel->maps.config), &zero, &cfg, BPF_ANY)) {
		fprintf(stderr, "xdp-bench: map setup failed\n");
		goto fail;
	}

	printf("repeat %ld, median of %ld runs, ns/packet from opts.duration; target <= %.0f ns\n\n",
	       repeat, runs, TARGET_NS);
	printf("%-22s %9s %9s  %-6s  %s\n", "path", "ipv4_ns", "ipv6_ns", "target",
	       "static_cidrs looked up (v4/v6)");
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		double ns[2];

		for (int fam = 0; fam < 2; fam++) {
			struct frame f;

			frame(&f, fam ? 6 : 4, fam ? paths[i].v6 : paths[i].v4, paths[i].dport,
			      paths[i].flags);
			ns[fam] = measure(prog_fd, &f, paths[i].want, (uint32_t)repeat, (int)runs);
			if (ns[fam] == -1) {
				fprintf(stderr, "xdp-bench: test_run: %s\n", strerror(errno));
				goto fail;
			}
			if (ns[fam] == -2) {
				fprintf(stderr, "xdp-bench: %s %s: wrong XDP action\n", paths[i].name,
					fam ? "ipv6" : "ipv4");
				bad++;
			}
		}
		int ok = ns[0] >= 0 && ns[1] >= 0 && ns[0] <= TARGET_NS && ns[1] <= TARGET_NS;

		missed += !ok;
		printf("%-22s %9.1f %9.1f  %-6s  %s/%s\n", paths[i].name, ns[0], ns[1],
		       ok ? "PASS" : "FAIL", paths[i].dport != 25 ? "-" :
		       trie_looked_up(paths[i].v4, !no_hint) ? "yes" : "no", paths[i].dport != 25 ? "-" :
		       trie_looked_up(paths[i].v6, !no_hint) ? "yes" : "no");
	}
	printf("\n%s: %zu of %zu paths within %.0f ns\n", missed ? "FAIL" : "PASS",
	       sizeof(paths) / sizeof(paths[0]) - (size_t)missed, sizeof(paths) / sizeof(paths[0]),
	       TARGET_NS);

	/* Where the time goes: the same harness with hand-made programs. */
	{
		struct mxs_bpf_addr_key vk4, vk6;
		struct mxs_bpf_cidr_key ck4, ck6;
		struct addr x;
		struct {
			const char *name;
			int map_fd;
			const void *key;
			size_t ksz;
		} const refs[] = {
			{ "empty program (harness)", -1, NULL, 0 },
			{ "1 verdicts lookup, v4 hit", fd_v, &vk4, sizeof(vk4) },
			{ "1 verdicts lookup, v6 miss", fd_v, &vk6, sizeof(vk6) },
			{ "1 static_cidrs lookup, v4", fd_c, &ck4, sizeof(ck4) },
			{ "1 static_cidrs lookup, v6", fd_c, &ck6, sizeof(ck6) },
			{ "1 cidr_hint lookup", fd_h, &zero, sizeof(zero) },
		};
		struct frame f;

		memset(&vk4, 0, sizeof(vk4));
		memset(&vk6, 0, sizeof(vk6));
		memset(&ck4, 0, sizeof(ck4));
		memset(&ck6, 0, sizeof(ck6));
		parse_addr(&x, "192.0.2.4");
		vk4.family = 4;
		vk4.prefix_len = 32;
		memcpy(vk4.addr, x.a, 4);
		ck4.prefixlen = 64;
		ck4.family = 4;
		memcpy(ck4.addr, x.a, 16);
		parse_addr(&x, "2001:db8:ffff:5::1");
		vk6.family = 6;
		vk6.prefix_len = 128;
		memcpy(vk6.addr, x.a, 16);
		ck6.prefixlen = 160;
		ck6.family = 6;
		memcpy(ck6.addr, x.a, 16);
		frame(&f, 4, "192.0.2.4", 25, 0x18);
		printf("\nreference programs (same harness, same maps):\n");
		for (size_t i = 0; i < sizeof(refs) / sizeof(refs[0]); i++) {
			int fd = ref_prog(refs[i].map_fd, refs[i].key, refs[i].ksz);
			double ns;

			if (fd < 0) {
				printf("%-30s %9s  (load: %s)\n", refs[i].name, "-", strerror(errno));
				continue;
			}
			ns = measure(fd, &f, XDP_PASS, (uint32_t)repeat, (int)runs);
			close(fd);
			printf("%-30s %9.1f\n", refs[i].name, ns);
		}
	}
	mxscreen_xdp__destroy(skel);
	return bad ? 1 : 0;
fail:
	mxscreen_xdp__destroy(skel);
	return 3;
}
