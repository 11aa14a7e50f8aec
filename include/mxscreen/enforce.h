/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What a verdict does to a frame: the one definition of the enforcement
 * semantics, shared by the XDP programs (bpf/mxs_enforce.h, tap and inline
 * modes) and by mxscreen-dp when it forwards itself (dataplane/dp_enforce,
 * inline over native DPDK ports). Header-only, pure: no maps, no clocks,
 * no allocation; the callers look verdicts and buckets up and bring the
 * time. Compiles as BPF C and as user-space C: no libc or kernel headers;
 * 64-bit values are unsigned long long, as the kernel's __u64.
 *
 * For a TCP packet to an SMTP port, by its source address's action:
 *   none / pass  forward untouched
 *   tag          DSCP := tag_dscp, ECN kept (IPv4 header checksum updated
 *                incrementally, RFC 1624; IPv6 traffic class), forward
 *   throttle     a SYN without ACK spends MXS_SYN_MILLI milli-tokens from
 *                the address's bucket (created full: throttle_burst SYNs,
 *                refilled throttle_rate a second up to throttle_burst); a
 *                SYN that finds it short is dropped; everything else is
 *                forwarded
 *   drop         drop
 * Shadow (the configuration's, or the verdict's own): nothing is done, the
 * would-be action is only counted. Everything else is forwarded untouched.
 */
#ifndef MXSCREEN_ENFORCE_H
#define MXSCREEN_ENFORCE_H

#include "verdict.h"

#define MXS_SYN_MILLI 1000ull

enum mxs_enforce_result {
	MXS_ENF_FORWARD = 0,
	MXS_ENF_DROP,
};

/*
 * The action applied to a judged packet: @act unless shadow (then NONE
 * when nothing matched, else PASS: the frame is left alone). Out-of-range
 * actions are NONE.
 */
static inline __attribute__((always_inline)) unsigned char
mxs_enforce_applied(unsigned char act, unsigned char would, int shadow)
{
	if (act >= MXS_ACTION_COUNT)
		act = MXS_ACTION_NONE;
	if (shadow)
		return would == MXS_ACTION_NONE ? MXS_ACTION_NONE : MXS_ACTION_PASS;
	return act;
}

/*
 * A new bucket: full, less the SYN that creates it when there is one to
 * spend. Returns 1 admit, 0 drop; *tokens set.
 */
static inline __attribute__((always_inline)) int
mxs_bucket_new(unsigned long long burst, unsigned long long *tokens)
{
	unsigned long long cap = burst * MXS_SYN_MILLI;

	if (cap < MXS_SYN_MILLI) {
		*tokens = cap;
		return 0;
	}
	*tokens = cap - MXS_SYN_MILLI;
	return 1;
}

/*
 * One SYN against an existing bucket (*tokens, *last_ns) at @now: refill
 * @rate SYNs a second up to @burst (a clock that went backwards refills
 * nothing and leaves last_ns alone), then spend one SYN if there is one.
 * Returns 1 admit, 0 drop.
 */
static inline __attribute__((always_inline)) int
mxs_bucket_take_syn(unsigned long long *tokens, unsigned long long *last_ns, unsigned long long now,
		    unsigned long long rate, unsigned long long burst)
{
	unsigned long long cap = burst * MXS_SYN_MILLI;
	unsigned long long t = *tokens;

	if (t > cap)
		t = cap;   /* burst lowered since the bucket was filled */
	if (now > *last_ns) {
		if (rate && t < cap) {
			unsigned long long elapsed = now - *last_ns;
			/* ns to refill the whole gap; below it, elapsed * rate
			 * stays under cap * 1e6 <= 2^32 * 1e9: no overflow. */
			unsigned long long full_ns = ((cap - t) * 1000000ull + rate - 1) / rate;

			if (elapsed >= full_ns)
				t = cap;
			else
				t += elapsed * rate / 1000000ull;
		}
		*last_ns = now;
	}
	if (t < MXS_SYN_MILLI) {
		*tokens = t;
		return 0;
	}
	*tokens = t - MXS_SYN_MILLI;
	return 1;
}

/* RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m'), 16-bit one's complement. The
 * sum is byte-order agnostic, so the words stay in network order. */
static inline __attribute__((always_inline)) __UINT16_TYPE__
mxs_csum_replace2(__UINT16_TYPE__ csum, __UINT16_TYPE__ old, __UINT16_TYPE__ new_)
{
	__UINT32_TYPE__ sum = (__UINT16_TYPE__)~csum + (__UINT32_TYPE__)(__UINT16_TYPE__)~old + new_;

	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (__UINT16_TYPE__)~sum;
}

/*
 * Tag: set the DSCP of the IP header at @l3 (@family 4 or 6) to @dscp,
 * keeping ECN; nothing when the header does not fit before @end.
 */
static inline __attribute__((always_inline)) void
mxs_dscp_set(unsigned char *l3, const void *end, int family, unsigned char dscp)
{
	dscp &= 0x3f;
	if (family == 4) {
		__UINT16_TYPE__ old, new_, csum;

		if ((const void *)(l3 + 20) > end)
			return;
		/* the first 16-bit word (version/IHL, TOS) and the checksum
		 * (bytes 10-11), both as stored: unconditional, since with
		 * old == new the update is the identity */
		__builtin_memcpy(&old, l3, 2);
		l3[1] = (unsigned char)(dscp << 2 | (l3[1] & 3));
		__builtin_memcpy(&new_, l3, 2);
		__builtin_memcpy(&csum, l3 + 10, 2);
		csum = mxs_csum_replace2(csum, old, new_);
		__builtin_memcpy(l3 + 10, &csum, 2);
	} else {
		/* version:4 | traffic class:8 | flow label:20, TC = DSCP:6 ECN:2 */
		unsigned char tc;

		if ((const void *)(l3 + 2) > end)
			return;
		tc = (unsigned char)((l3[0] & 0x0f) << 4 | l3[1] >> 4);
		tc = (unsigned char)(dscp << 2 | (tc & 3));
		l3[0] = (unsigned char)(0x60 | tc >> 4);
		l3[1] = (unsigned char)((tc & 0x0f) << 4 | (l3[1] & 0x0f));
	}
}

#endif
