/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ctl_hist: a fixed-size log-linear histogram of durations in nanoseconds
 * (HDR-histogram style), for latency figures in `mxscreenctl stats` and
 * the Prometheus export. No allocation: a struct ctl_hist is plain data,
 * all zeroes is an empty histogram, and it embeds in other structs.
 * Not thread-safe: one writer, and readers on the writer's thread (or a
 * copy taken there).
 *
 * Buckets: [0, 1024 ns) is the underflow bucket; from 2^10 ns (~1 us) up
 * to 2^37 ns (~137 s) every power of two is split into 32 equal buckets,
 * so a bucket's width is at most 1/32 (3.125 %) of its lower edge; values
 * from 2^37 ns on land in the overflow bucket. count, sum, min and max are
 * exact.
 */
#ifndef CTL_HIST_H
#define CTL_HIST_H

#include <stddef.h>
#include <stdint.h>

#define CTL_HIST_SUB_BITS 5                         /* 32 buckets per octave */
#define CTL_HIST_MIN_SHIFT 10                       /* 1024 ns */
#define CTL_HIST_MAX_SHIFT 37                       /* 2^37 ns, ~137 s */
#define CTL_HIST_MIN_NS (UINT64_C(1) << CTL_HIST_MIN_SHIFT)
#define CTL_HIST_MAX_NS (UINT64_C(1) << CTL_HIST_MAX_SHIFT)
/* underflow + linear sub-buckets of each octave + overflow */
#define CTL_HIST_BUCKETS \
	(2 + (CTL_HIST_MAX_SHIFT - CTL_HIST_MIN_SHIFT) * (1 << CTL_HIST_SUB_BITS))

struct ctl_hist {
	uint64_t count;
	uint64_t sum_ns;
	uint64_t min_ns;                  /* valid when count > 0 */
	uint64_t max_ns;
	uint64_t bucket[CTL_HIST_BUCKETS];
};

/* Empty @h (same as zeroing it). */
void ctl_hist_reset(struct ctl_hist *h);
void ctl_hist_add(struct ctl_hist *h, uint64_t ns);
/* Add every sample of @src to @dst. */
void ctl_hist_merge(struct ctl_hist *dst, const struct ctl_hist *src);

uint64_t ctl_hist_count(const struct ctl_hist *h);
uint64_t ctl_hist_sum_ns(const struct ctl_hist *h);
/* 0 when empty. */
uint64_t ctl_hist_min_ns(const struct ctl_hist *h);
uint64_t ctl_hist_max_ns(const struct ctl_hist *h);

/*
 * The @q-quantile (0 <= q <= 1; q = 0.99 is p99), in ns: the upper edge
 * of the bucket that holds the ceil(q * count)-th smallest sample, or the
 * exact max when that is smaller (always for the overflow bucket). For a
 * true quantile x >= 1024 ns the answer r satisfies x <= r <= x * 33/32;
 * below 1024 ns, x <= r <= 1024. 0 when empty.
 */
uint64_t ctl_hist_quantile(const struct ctl_hist *h, double q);

/*
 * Samples <= @bound_ns (Prometheus "le"), to the bucket: every bucket
 * wholly at or below the bound counts, the one straddling it does not
 * (unless the bound is >= max: then it is exactly count). Non-decreasing
 * in @bound_ns.
 */
uint64_t ctl_hist_le(const struct ctl_hist *h, uint64_t bound_ns);
/* ctl_hist_le for each of @n ascending bounds, in one pass. */
void ctl_hist_le_many(const struct ctl_hist *h, const uint64_t *bounds_ns, size_t n,
		      uint64_t *ret_counts);

/* Bucket @i's range [*ret_lo, *ret_hi) in ns (the overflow bucket's hi is
 * UINT64_MAX), for exporting every bucket. @i < CTL_HIST_BUCKETS. */
void ctl_hist_bucket_range(size_t i, uint64_t *ret_lo, uint64_t *ret_hi);

#endif
