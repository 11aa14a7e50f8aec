/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Helpers for the bpf suite: skip (exit 77) unless root with a working
 * bpf(2), write verdicts / CIDRs / config in the layouts of
 * include/mxscreen/bpf.h, sum the per-CPU stats. Header-only; single
 * threaded test programs only.
 */
#ifndef MXS_TEST_TBPF_H
#define MXS_TEST_TBPF_H

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <mxscreen/bpf.h>
#include <mxscreen/verdict.h>

#define TBPF_NSTATS (sizeof(struct mxs_bpf_stats) / sizeof(__u64))
_Static_assert(sizeof(struct mxs_bpf_stats) % sizeof(__u64) == 0, "stats are u64s");

/* Exits 77 (meson: skipped) when BPF cannot be used here at all. */
static inline void tbpf_require(void)
{
	int fd;

	if (geteuid() != 0) {
		fprintf(stderr, "skip: not root\n");
		exit(77);
	}
	fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "mxs_probe", 4, 4, 1, NULL);
	if (fd < 0) {
		fprintf(stderr, "skip: bpf(2) unavailable: %s\n", strerror(errno));
		exit(77);
	}
	close(fd);
}

static inline __u64 tbpf_now_ns(void)     /* == bpf_ktime_get_ns() */
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ull + (__u64)ts.tv_nsec;
}

static inline struct mxs_bpf_addr_key tbpf_key(int family, int prefix_len, const __u8 addr[16])
{
	struct mxs_bpf_addr_key k;

	memset(&k, 0, sizeof(k));
	k.family = (__u8)family;
	k.prefix_len = (__u8)prefix_len;
	memcpy(k.addr, addr, family == 4 ? 4 : prefix_len == 64 ? 8 : 16);
	return k;
}

static inline int tbpf_verdict_put(int fd, int family, int prefix_len, const __u8 addr[16],
				   int action, __u64 expiry_ns, int shadow, int would_be)
{
	struct mxs_bpf_addr_key k = tbpf_key(family, prefix_len, addr);
	struct mxs_bpf_verdict v;

	memset(&v, 0, sizeof(v));
	v.action = (__u8)action;
	v.would_be = (__u8)would_be;
	v.shadow = (__u8)shadow;
	v.expiry_ns = expiry_ns;
	return bpf_map_update_elem(fd, &k, &v, BPF_ANY);
}

static inline int tbpf_cidr_put(int fd, int family, const __u8 addr[16], int len, int action)
{
	struct mxs_bpf_cidr_key k;
	struct mxs_bpf_cidr_val v;

	memset(&k, 0, sizeof(k));
	memset(&v, 0, sizeof(v));
	k.prefixlen = (__u32)(32 + len);
	k.family = (__u8)family;
	memcpy(k.addr, addr, family == 4 ? 4 : 16);
	v.action = (__u8)action;
	return bpf_map_update_elem(fd, &k, &v, BPF_ANY);
}

/* A static_cidrs entry with every field: a manual one has id
 * MXS_BPF_CIDR_MANUAL. */
static inline int tbpf_cidr_put_val(int fd, int family, const __u8 addr[16], int len,
				    const struct mxs_bpf_cidr_val *v)
{
	struct mxs_bpf_cidr_key k;

	memset(&k, 0, sizeof(k));
	k.prefixlen = (__u32)(32 + len);
	k.family = (__u8)family;
	memcpy(k.addr, addr, family == 4 ? 4 : 16);
	return bpf_map_update_elem(fd, &k, v, BPF_ANY);
}

/* The hits of a verdicts entry, or -1 if there is none. */
static inline long long tbpf_hits(int fd, int family, int prefix_len, const __u8 addr[16])
{
	struct mxs_bpf_addr_key k = tbpf_key(family, prefix_len, addr);
	struct mxs_bpf_verdict v;

	if (bpf_map_lookup_elem(fd, &k, &v))
		return -1;
	return v.hits;
}

static inline int tbpf_config_put(int fd, const struct mxs_bpf_config *c)
{
	__u32 zero = 0;

	return bpf_map_update_elem(fd, &zero, c, BPF_ANY);
}

/* Sum of the per-CPU stats as an array of TBPF_NSTATS counters. */
static inline int tbpf_stats(int fd, __u64 out[TBPF_NSTATS])
{
	int ncpu = libbpf_num_possible_cpus();
	struct mxs_bpf_stats *per;
	__u32 zero = 0;
	int rc;

	if (ncpu <= 0)
		return -1;
	per = calloc((size_t)ncpu, sizeof(*per));
	if (!per)
		return -1;
	rc = bpf_map_lookup_elem(fd, &zero, per);
	memset(out, 0, TBPF_NSTATS * sizeof(__u64));
	for (int c = 0; rc == 0 && c < ncpu; c++) {
		const __u64 *w = (const __u64 *)&per[c];

		for (size_t i = 0; i < TBPF_NSTATS; i++)
			out[i] += w[i];
	}
	free(per);
	return rc;
}

#define TBPF_IDX(field) (offsetof(struct mxs_bpf_stats, field) / sizeof(__u64))

static inline const char *tbpf_stat_name(size_t i)
{
	static char buf[32];
	static const struct { size_t idx; const char *name; } n[] = {
		{ TBPF_IDX(syn_throttled), "syn_throttled" },
		{ TBPF_IDX(syn_admitted), "syn_admitted" },
		{ TBPF_IDX(static_allow), "static_allow" },
		{ TBPF_IDX(static_deny), "static_deny" },
		{ TBPF_IDX(expired), "expired" },
		{ TBPF_IDX(parse_errors), "parse_errors" },
		{ TBPF_IDX(not_smtp), "not_smtp" },
		{ TBPF_IDX(tc_marked), "tc_marked" },
	};

	if (i < TBPF_IDX(bytes))
		snprintf(buf, sizeof(buf), "pkts[%s]", mxs_action_name((unsigned)i));
	else if (i < TBPF_IDX(shadow))
		snprintf(buf, sizeof(buf), "bytes[%s]", mxs_action_name((unsigned)(i - TBPF_IDX(bytes))));
	else if (i < TBPF_IDX(syn_throttled))
		snprintf(buf, sizeof(buf), "shadow[%s]", mxs_action_name((unsigned)(i - TBPF_IDX(shadow))));
	else {
		snprintf(buf, sizeof(buf), "stat#%zu", i);
		for (size_t k = 0; k < sizeof(n) / sizeof(n[0]); k++)
			if (n[k].idx == i)
				return n[k].name;
	}
	return buf;
}

#endif
