/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit test for dp_enforce, verdicts enforced by mxscreen-dp on native
 * inline ports: hand-built frames from addresses with each verdict go
 * through dp_enforce_frame and the result, the rewritten bytes and the
 * counters are checked. Cases: no verdict, pass, drop, throttle (a SYN
 * burst, non-SYNs, refill after a second), tag on IPv4 (DSCP set, ECN
 * kept, header checksum still valid) and on VLAN-tagged IPv6, shadow
 * (the verdict's and the configuration's), other ports, truncated frames,
 * the bucket table's bound.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "frames.h"
#include "dp_enforce.h"

#define SEC 1000000000ull

static const uint16_t ports[] = { 25, 587 };

/* The fake mirror: the last byte of an address picks its verdict. */
static int lookup(void *ctx, int family, const uint8_t addr[16], struct dp_conn_verdict *ret)
{
	uint8_t last = family == 4 ? addr[3] : addr[15];

	(void)ctx;
	memset(ret, 0, sizeof(*ret));
	switch (last) {
	case 1: ret->action = MXS_ACTION_PASS; return 1;
	case 2: ret->action = MXS_ACTION_TAG; return 1;
	case 3: ret->action = MXS_ACTION_THROTTLE; return 1;
	case 4: ret->action = MXS_ACTION_DROP; return 1;
	case 5: ret->action = MXS_ACTION_PASS; ret->would_be = MXS_ACTION_DROP; ret->shadow = 1; return 1;
	default: return 0;
	}
}

static uint8_t frame[256];

static uint32_t mk(int family, uint8_t last, uint16_t dport, uint8_t flags, int nvlan)
{
	static const uint8_t dst6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 0x25 };
	static const uint8_t dst4[4] = { 198, 51, 100, 25 };
	uint8_t src[16] = { 192, 0, 2, last };
	struct tcpseg s = {
		.family = family, .nvlan = nvlan, .vid = { 7 },
		.src = src, .dst = family == 4 ? dst4 : dst6,
		.sport = 40000, .dport = dport, .seq = 1, .ack = 1, .flags = flags,
		.data = (const uint8_t *)"EHLO x\r\n", .len = flags & DP_TCP_SYN ? 0 : 8,
	};

	if (family == 6) {
		memset(src, 0, sizeof(src));
		src[0] = 0x20;
		src[1] = 0x01;
		src[15] = last;
	}
	return tcp_frame(frame, &s);
}

static struct dp_enforce *mk_enf(uint32_t max_buckets, int shadow)
{
	struct dp_enforce_params p = {
		.max_buckets = max_buckets, .tag_dscp = 10, .throttle_rate = 1,
		.throttle_burst = 2, .shadow = shadow, .linktype = DP_LINK_ETHERNET,
		.smtp_ports = ports, .n_smtp_ports = 2, .lookup = lookup,
	};
	struct dp_enforce *e = dp_enforce_create(&p);

	CHECK(e != NULL);
	return e;
}

static int ipv4_csum_ok(const uint8_t *ip)
{
	uint32_t sum = 0;

	for (int i = 0; i < 20; i += 2)
		sum += (uint32_t)(ip[i] << 8 | ip[i + 1]);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return sum == 0xffff;
}

static void test_actions(void)
{
	struct dp_enforce *e = mk_enf(0, 0);
	struct dp_enforce_stats st;
	const uint8_t syn = DP_TCP_SYN, data = DP_TCP_ACK | DP_TCP_PSH;
	uint32_t len;

	check_case = "actions";
	CHECK_EQ_INT(dp_enforce_frame(e, frame, mk(4, 9, 25, syn, 0), 0), MXS_ENF_FORWARD);
	CHECK_EQ_INT(dp_enforce_frame(e, frame, mk(4, 1, 25, syn, 0), 0), MXS_ENF_FORWARD);
	CHECK_EQ_INT(dp_enforce_frame(e, frame, mk(4, 4, 25, syn, 0), 0), MXS_ENF_DROP);
	CHECK_EQ_INT(dp_enforce_frame(e, frame, mk(4, 4, 587, data, 0), 0), MXS_ENF_DROP);
	/* other ports are never judged, whatever the verdict */
	CHECK_EQ_INT(dp_enforce_frame(e, frame, mk(4, 4, 80, syn, 0), 0), MXS_ENF_FORWARD);
	/* throttle: burst 2, then refused until a second has passed */
	CHECK_EQ_INT(dp_enforce_frame(e, frame, mk(4, 3, 25, syn, 0), 1), MXS_ENF_FORWARD);
	CHECK_EQ_INT(dp_enforce_frame(e, frame, mk(4, 3, 25, syn, 0), 2), MXS_ENF_FORWARD);
	CHECK_EQ_INT(dp_enforce_frame(e, frame, mk(4, 3, 25, syn, 0), 3), MXS_ENF_DROP);
	CHECK_EQ_INT(dp_enforce_frame(e, frame, mk(4, 3, 25, data, 0), 4), MXS_ENF_FORWARD);
	CHECK_EQ_INT(dp_enforce_frame(e, frame, mk(4, 3, 25, syn, 0), SEC / 2), MXS_ENF_DROP);
	/* refills are whole milli-tokens: 0.5 s gave 499, another 0.6 s more than enough */
	CHECK_EQ_INT(dp_enforce_frame(e, frame, mk(4, 3, 25, syn, 0), SEC + SEC / 10), MXS_ENF_FORWARD);
	/* tag, IPv4: DSCP 10, ECN kept, checksum valid */
	len = mk(4, 2, 25, data, 0);
	frame[15] = 0x02; /* ECN ECT(0) */
	frame[24] = frame[25] = 0;
	{
		uint32_t sum = 0;

		for (int i = 0; i < 20; i += 2)
			sum += (uint32_t)(frame[14 + i] << 8 | frame[14 + i + 1]);
		while (sum >> 16)
			sum = (sum & 0xffff) + (sum >> 16);
		put16(frame + 24, (uint16_t)~sum);
	}
	CHECK(ipv4_csum_ok(frame + 14));
	CHECK_EQ_INT(dp_enforce_frame(e, frame, len, 0), MXS_ENF_FORWARD);
	CHECK_EQ_INT(frame[15], 10 << 2 | 0x02);
	CHECK(ipv4_csum_ok(frame + 14));
	/* tag, IPv6 behind a VLAN tag: traffic class = DSCP 10, flow label kept */
	len = mk(6, 2, 25, data, 1);
	frame[18 + 1] |= 0x0a; /* flow label's top nibble */
	CHECK_EQ_INT(dp_enforce_frame(e, frame, len, 0), MXS_ENF_FORWARD);
	CHECK_EQ_INT(frame[18], 0x60 | (10 << 2) >> 4);
	CHECK_EQ_INT(frame[19], ((10 << 2) & 0x0f) << 4 | 0x0a);
	/* the verdict's own shadow: counted as would-be drop, passed */
	CHECK_EQ_INT(dp_enforce_frame(e, frame, mk(4, 5, 25, syn, 0), 0), MXS_ENF_FORWARD);
	/* truncated */
	CHECK_EQ_INT(dp_enforce_frame(e, frame, 20, 0), MXS_ENF_FORWARD);
	dp_enforce_get_stats(e, &st);
	CHECK_EQ_INT(st.pkts[MXS_ACTION_NONE], 1);
	CHECK_EQ_INT(st.pkts[MXS_ACTION_PASS], 2);
	CHECK_EQ_INT(st.pkts[MXS_ACTION_DROP], 2);
	CHECK_EQ_INT(st.pkts[MXS_ACTION_THROTTLE], 6);
	CHECK_EQ_INT(st.pkts[MXS_ACTION_TAG], 2);
	CHECK_EQ_INT(st.syn_admitted, 3);
	CHECK_EQ_INT(st.syn_throttled, 2);
	CHECK_EQ_INT(st.shadow[MXS_ACTION_DROP], 1);
	CHECK_EQ_INT(st.not_smtp, 1);
	CHECK_EQ_INT(st.parse_errors, 1);
	dp_enforce_destroy(e);
}

static void test_config_shadow_and_bound(void)
{
	struct dp_enforce *e = mk_enf(0, 1);
	struct dp_enforce_stats st;

	check_case = "shadow configuration";
	CHECK_EQ_INT(dp_enforce_frame(e, frame, mk(4, 4, 25, DP_TCP_SYN, 0), 0), MXS_ENF_FORWARD);
	CHECK_EQ_INT(dp_enforce_frame(e, frame, mk(4, 9, 25, DP_TCP_SYN, 0), 0), MXS_ENF_FORWARD);
	dp_enforce_get_stats(e, &st);
	CHECK_EQ_INT(st.shadow[MXS_ACTION_DROP], 1);
	CHECK_EQ_INT(st.shadow[MXS_ACTION_NONE], 1);
	CHECK_EQ_INT(st.pkts[MXS_ACTION_PASS], 1);
	CHECK_EQ_INT(st.pkts[MXS_ACTION_NONE], 1);
	dp_enforce_destroy(e);

	/* 8 buckets, one set: a ninth throttled address replaces the least
	 * recently used bucket; the others keep theirs */
	check_case = "bucket bound";
	e = mk_enf(8, 0);
	for (int i = 0; i < 9; i++) {
		uint32_t len = mk(6, 3, 25, DP_TCP_SYN, 0);

		frame[14 + 8 + 14] = (uint8_t)i; /* distinct IPv6 sources, all ::3 */
		CHECK_EQ_INT(dp_enforce_frame(e, frame, len, (uint64_t)i + 1), MXS_ENF_FORWARD);
	}
	dp_enforce_get_stats(e, &st);
	CHECK_EQ_INT(st.buckets_replaced, 1);
	dp_enforce_destroy(e);
}

int main(void)
{
	struct dp_enforce_params bad = { .tag_dscp = 64, .smtp_ports = ports, .n_smtp_ports = 2 };

	CHECK(dp_enforce_create(&bad) == NULL);
	test_actions();
	test_config_shadow_and_bound();
	CHECK_DONE();
}
