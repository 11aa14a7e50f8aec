/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ctl_hist: log-linear duration histogram (see ctl_hist.h). Bucket index
 * from the position of the top bit and the next CTL_HIST_SUB_BITS bits, as
 * HdrHistogram does, so add is a few instructions and no search.
 */
#include <string.h>

#include "ctl_hist.h"

#define SUB (1u << CTL_HIST_SUB_BITS)
#define OVERFLOW (CTL_HIST_BUCKETS - 1)

_Static_assert(CTL_HIST_MIN_SHIFT >= CTL_HIST_SUB_BITS, "sub-buckets narrower than 1 ns");

static size_t bucket_of(uint64_t ns)
{
	unsigned e, sub;

	if (ns < CTL_HIST_MIN_NS)
		return 0;
	if (ns >= CTL_HIST_MAX_NS)
		return OVERFLOW;
	e = 63u - (unsigned)__builtin_clzll(ns);
	sub = (unsigned)(ns >> (e - CTL_HIST_SUB_BITS)) & (SUB - 1);
	return 1 + (size_t)(e - CTL_HIST_MIN_SHIFT) * SUB + sub;
}

void ctl_hist_bucket_range(size_t i, uint64_t *ret_lo, uint64_t *ret_hi)
{
	unsigned e, sub;

	if (i == 0) {
		*ret_lo = 0;
		*ret_hi = CTL_HIST_MIN_NS;
		return;
	}
	if (i >= OVERFLOW) {
		*ret_lo = CTL_HIST_MAX_NS;
		*ret_hi = UINT64_MAX;
		return;
	}
	e = CTL_HIST_MIN_SHIFT + (unsigned)((i - 1) / SUB);
	sub = (unsigned)((i - 1) % SUB);
	*ret_lo = (uint64_t)(SUB + sub) << (e - CTL_HIST_SUB_BITS);
	*ret_hi = (uint64_t)(SUB + sub + 1) << (e - CTL_HIST_SUB_BITS);
}

void ctl_hist_reset(struct ctl_hist *h)
{
	memset(h, 0, sizeof(*h));
}

void ctl_hist_add(struct ctl_hist *h, uint64_t ns)
{
	if (h->count == 0 || ns < h->min_ns)
		h->min_ns = ns;
	if (ns > h->max_ns)
		h->max_ns = ns;
	h->count++;
	h->sum_ns += ns;
	h->bucket[bucket_of(ns)]++;
}

void ctl_hist_merge(struct ctl_hist *dst, const struct ctl_hist *src)
{
	if (src->count == 0)
		return;
	if (dst->count == 0 || src->min_ns < dst->min_ns)
		dst->min_ns = src->min_ns;
	if (src->max_ns > dst->max_ns)
		dst->max_ns = src->max_ns;
	dst->count += src->count;
	dst->sum_ns += src->sum_ns;
	for (size_t i = 0; i < CTL_HIST_BUCKETS; i++)
		dst->bucket[i] += src->bucket[i];
}

uint64_t ctl_hist_count(const struct ctl_hist *h)
{
	return h->count;
}

uint64_t ctl_hist_sum_ns(const struct ctl_hist *h)
{
	return h->sum_ns;
}

uint64_t ctl_hist_min_ns(const struct ctl_hist *h)
{
	return h->count ? h->min_ns : 0;
}

uint64_t ctl_hist_max_ns(const struct ctl_hist *h)
{
	return h->count ? h->max_ns : 0;
}

uint64_t ctl_hist_quantile(const struct ctl_hist *h, double q)
{
	uint64_t rank, cum = 0, lo, hi;
	double r;
	uint64_t ri;

	if (h->count == 0)
		return 0;
	if (!(q > 0)) /* also NaN */
		q = 0;
	if (q > 1)
		q = 1;
	r = q * (double)h->count;
	if (r >= (double)h->count) {
		rank = h->count;
	} else {
		ri = (uint64_t)r;
		rank = (double)ri < r ? ri + 1 : ri; /* ceil, without libm */
		if (rank < 1)
			rank = 1;
	}
	for (size_t i = 0; i < CTL_HIST_BUCKETS; i++) {
		cum += h->bucket[i];
		if (cum < rank)
			continue;
		ctl_hist_bucket_range(i, &lo, &hi);
		return hi < h->max_ns ? hi : h->max_ns;
	}
	return h->max_ns; /* not reached: the buckets add up to count */
}

void ctl_hist_le_many(const struct ctl_hist *h, const uint64_t *bounds_ns, size_t n,
		      uint64_t *ret_counts)
{
	uint64_t cum = 0, lo, hi;
	size_t i = 0;

	for (size_t k = 0; k < n; k++) {
		if (h->count && bounds_ns[k] >= h->max_ns) {
			ret_counts[k] = h->count;
			continue;
		}
		/* hi is exclusive: the bucket lies wholly at or below the bound
		 * when hi - 1 <= bound */
		for (; i < OVERFLOW; i++) {
			ctl_hist_bucket_range(i, &lo, &hi);
			if (hi - 1 > bounds_ns[k])
				break;
			cum += h->bucket[i];
		}
		ret_counts[k] = cum;
	}
}

uint64_t ctl_hist_le(const struct ctl_hist *h, uint64_t bound_ns)
{
	uint64_t c;

	ctl_hist_le_many(h, &bound_ns, 1, &c);
	return c;
}
