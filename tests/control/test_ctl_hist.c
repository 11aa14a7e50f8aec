/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ctl_hist: bucket geometry, exact count/sum/min/max, quantiles of known
 * distributions (uniform, log-uniform, a point mass, a two-mode mix)
 * within the stated bound x <= r <= x * 33/32 against the sorted samples,
 * the under- and overflow buckets, ctl_hist_le against exact counts,
 * ctl_hist_le_many against ctl_hist_le, and merge against adding all.
 * Single-threaded, no I/O.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "ctl_hist.h"

#define N_MAX 200000

static uint64_t samples[N_MAX];
static struct ctl_hist h, h2, h3;

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t next_rand(void)
{
	/* xorshift64*: deterministic, good enough for spreading samples */
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545f4914f6cdd1dull;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* The rank-th smallest (1-based) for quantile q, as ctl_hist defines it. */
static uint64_t exact_quantile(const uint64_t *sorted, size_t n, double q)
{
	size_t rank = (size_t)(q * (double)n);

	if ((double)rank < q * (double)n)
		rank++;
	if (rank < 1)
		rank = 1;
	if (rank > n)
		rank = n;
	return sorted[rank - 1];
}

static size_t exact_le(const uint64_t *sorted, size_t n, uint64_t bound)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (sorted[mid] <= bound)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static void fill(const uint64_t *v, size_t n)
{
	ctl_hist_reset(&h);
	for (size_t i = 0; i < n; i++)
		ctl_hist_add(&h, v[i]);
}

/* Every property against the sorted samples. */
static void check_dist(const char *name, size_t n)
{
	static const double qs[] = { 0, 0.001, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95,
				     0.99, 0.999, 0.9999, 1 };
	uint64_t sum = 0, bounds[64], got[64];
	size_t nb = 0;

	check_case = name;
	fill(samples, n);
	qsort(samples, n, sizeof(samples[0]), cmp_u64);
	for (size_t i = 0; i < n; i++)
		sum += samples[i];
	CHECK_EQ_INT(ctl_hist_count(&h), n);
	CHECK_EQ_INT(ctl_hist_sum_ns(&h), sum);
	CHECK_EQ_INT(ctl_hist_min_ns(&h), samples[0]);
	CHECK_EQ_INT(ctl_hist_max_ns(&h), samples[n - 1]);
	for (size_t i = 0; i < sizeof(qs) / sizeof(qs[0]); i++) {
		uint64_t x = exact_quantile(samples, n, qs[i]);
		uint64_t r = ctl_hist_quantile(&h, qs[i]);
		uint64_t top = x >= CTL_HIST_MAX_NS ? samples[n - 1]
			     : x < CTL_HIST_MIN_NS ? CTL_HIST_MIN_NS : x + x / 32;

		if (r < x || r > top) {
			check_failures++;
			fprintf(stderr, "[%s] q=%g: got %llu, exact %llu (allowed up to %llu)\n",
				name, qs[i], (unsigned long long)r, (unsigned long long)x,
				(unsigned long long)top);
		}
	}
	CHECK_EQ_INT(ctl_hist_quantile(&h, 1), samples[n - 1]);
	/* le: nothing straddling is counted, everything clearly below is */
	for (uint64_t b = 100; b < (UINT64_C(1) << 40) && nb < 64; b = b * 3 / 2 + 7)
		bounds[nb++] = b;
	ctl_hist_le_many(&h, bounds, nb, got);
	for (size_t i = 0; i < nb; i++) {
		uint64_t le = ctl_hist_le(&h, bounds[i]);
		size_t hi = exact_le(samples, n, bounds[i]);
		uint64_t sure = bounds[i] * 32 / 33 - 1;
		size_t lo = bounds[i] < CTL_HIST_MIN_NS ? 0
			  : exact_le(samples, n, sure < CTL_HIST_MAX_NS ? sure : CTL_HIST_MAX_NS - 1);

		CHECK_EQ_INT(got[i], le);
		if (le > hi || le < lo) {
			check_failures++;
			fprintf(stderr, "[%s] le(%llu) = %llu, want in [%zu, %zu]\n", name,
				(unsigned long long)bounds[i], (unsigned long long)le, lo, hi);
		}
		if (i)
			CHECK(got[i] >= got[i - 1]);
		if (bounds[i] >= samples[n - 1])
			CHECK_EQ_INT(le, n);
	}
	CHECK_EQ_INT(ctl_hist_le(&h, UINT64_MAX), n);
}

static void t_geometry(void)
{
	uint64_t lo, hi, prev_hi = 0;

	check_case = "geometry";
	for (size_t i = 0; i < CTL_HIST_BUCKETS; i++) {
		ctl_hist_bucket_range(i, &lo, &hi);
		CHECK_EQ_INT(lo, prev_hi); /* contiguous from 0 */
		CHECK(hi > lo);
		if (i > 0 && i < CTL_HIST_BUCKETS - 1)
			CHECK((hi - lo) * 32 <= lo); /* the 3.125 % bound */
		/* both edges of the bucket land in it */
		ctl_hist_reset(&h);
		ctl_hist_add(&h, lo);
		ctl_hist_add(&h, hi == UINT64_MAX ? UINT64_MAX : hi - 1);
		CHECK_EQ_INT(h.bucket[i], 2);
		prev_hi = hi;
	}
	CHECK_EQ_INT(prev_hi, UINT64_MAX);
	ctl_hist_bucket_range(0, &lo, &hi);
	CHECK_EQ_INT(hi, 1024);
	ctl_hist_bucket_range(CTL_HIST_BUCKETS - 1, &lo, &hi);
	CHECK_EQ_INT(lo, UINT64_C(1) << 37);
	CHECK(CTL_HIST_MAX_NS > UINT64_C(100) * 1000000000u); /* covers 100 s */
	CHECK(sizeof(struct ctl_hist) < 8192);
}

static void t_empty(void)
{
	check_case = "empty";
	memset(&h, 0, sizeof(h));
	CHECK_EQ_INT(ctl_hist_count(&h), 0);
	CHECK_EQ_INT(ctl_hist_quantile(&h, 0.5), 0);
	CHECK_EQ_INT(ctl_hist_le(&h, 1000000), 0);
	CHECK_EQ_INT(ctl_hist_min_ns(&h), 0);
	CHECK_EQ_INT(ctl_hist_max_ns(&h), 0);
}

static void t_exact_small(void)
{
	check_case = "point mass";
	/* one value: every quantile is the exact value (max is smaller) */
	ctl_hist_reset(&h);
	for (int i = 0; i < 1000; i++)
		ctl_hist_add(&h, 123456);
	CHECK_EQ_INT(ctl_hist_quantile(&h, 0), 123456);
	CHECK_EQ_INT(ctl_hist_quantile(&h, 0.5), 123456);
	CHECK_EQ_INT(ctl_hist_quantile(&h, 1), 123456);
	CHECK_EQ_INT(ctl_hist_le(&h, 123455), 0);
	CHECK_EQ_INT(ctl_hist_le(&h, 123456), 1000);

	check_case = "two modes";
	/* 90 at 2 ms, 10 at 3 s: p50 near 2 ms, p95 is the max */
	ctl_hist_reset(&h);
	for (int i = 0; i < 90; i++)
		ctl_hist_add(&h, 2000000);
	for (int i = 0; i < 10; i++)
		ctl_hist_add(&h, 3000000000ull);
	CHECK(ctl_hist_quantile(&h, 0.5) >= 2000000);
	CHECK(ctl_hist_quantile(&h, 0.5) <= 2000000 + 2000000 / 32);
	CHECK(ctl_hist_quantile(&h, 0.9) <= 2000000 + 2000000 / 32);
	CHECK_EQ_INT(ctl_hist_quantile(&h, 0.91), 3000000000ull);
	CHECK_EQ_INT(ctl_hist_quantile(&h, 0.95), 3000000000ull);
	CHECK_EQ_INT(ctl_hist_le(&h, 1000000000ull), 90);
	CHECK_EQ_INT(ctl_hist_sum_ns(&h), 90 * 2000000ull + 10 * 3000000000ull);

	check_case = "overflow";
	ctl_hist_reset(&h);
	ctl_hist_add(&h, 500);
	ctl_hist_add(&h, 200ull * 1000000000u);
	ctl_hist_add(&h, 300ull * 1000000000u);
	CHECK_EQ_INT(h.bucket[CTL_HIST_BUCKETS - 1], 2);
	CHECK_EQ_INT(h.bucket[0], 1);
	CHECK_EQ_INT(ctl_hist_quantile(&h, 0.1), 1024);    /* underflow: its edge */
	CHECK_EQ_INT(ctl_hist_quantile(&h, 0.5), 300ull * 1000000000u); /* overflow: max */
	CHECK_EQ_INT(ctl_hist_le(&h, 1024), 1);
	CHECK_EQ_INT(ctl_hist_le(&h, 250ull * 1000000000u), 1);
	CHECK_EQ_INT(ctl_hist_le(&h, 300ull * 1000000000u), 3);
	ctl_hist_reset(&h);
	ctl_hist_add(&h, 0);
	CHECK_EQ_INT(ctl_hist_quantile(&h, 0.5), 0); /* max is smaller than the edge */
}

static void t_distributions(void)
{
	size_t n;

	/* uniform integers 1 us .. 100 ms */
	n = 100000;
	for (size_t i = 0; i < n; i++)
		samples[i] = 1000 + next_rand() % 100000000;
	check_dist("uniform 1us..100ms", n);

	/* log-uniform over 100 ns .. 200 s: every bucket kind, both tails */
	n = N_MAX;
	for (size_t i = 0; i < n; i++) {
		unsigned sh = 6 + (unsigned)(next_rand() % 32);    /* 2^6 .. 2^37 */
		uint64_t base = UINT64_C(1) << sh;

		samples[i] = base + next_rand() % base;
	}
	check_dist("log-uniform 64ns..275s", n);

	/* sequential 1..50000 ns: exact ranks are known */
	n = 50000;
	for (size_t i = 0; i < n; i++)
		samples[i] = i + 1;
	check_dist("sequence 1..50000", n);
	CHECK_EQ_INT(exact_quantile(samples, n, 0.5), 25000);
}

static void t_merge(void)
{
	size_t n = 30000;

	check_case = "merge";
	ctl_hist_reset(&h);
	ctl_hist_reset(&h2);
	memset(&h3, 0, sizeof(h3));
	for (size_t i = 0; i < n; i++) {
		uint64_t v = next_rand() % (UINT64_C(1) << (10 + i % 30));

		ctl_hist_add(&h, v);
		ctl_hist_add(i % 3 ? &h2 : &h3, v);
	}
	ctl_hist_merge(&h2, &h3);
	CHECK(memcmp(&h, &h2, sizeof(h)) == 0);
	/* into an empty one, and an empty one into it */
	ctl_hist_reset(&h3);
	ctl_hist_merge(&h3, &h);
	CHECK(memcmp(&h, &h3, sizeof(h)) == 0);
	ctl_hist_reset(&h2);
	ctl_hist_merge(&h3, &h2);
	CHECK(memcmp(&h, &h3, sizeof(h)) == 0);
}

int main(void)
{
	t_geometry();
	t_empty();
	t_exact_small();
	t_distributions();
	t_merge();
	CHECK_DONE();
}
