/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit test for dp_hold, the inline greet hold: hand-built frames of
 * scripted handshakes are offered and what is held, passed, dropped and
 * released (and when, and in which order) is checked. Cases: a banner
 * held with the client's pregreet passing and the server's later frames
 * queued behind it; a client that speaks first (implicit TLS); other
 * ports; the per-flow, pool and bucket bounds (fail open, counted);
 * armed-flow expiry and eviction; several flows released in order, a few
 * at a time; IPv6 with a VLAN tag; frames that are not TCP.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "frames.h"
#include "dp_hold.h"

#define MS 1000000ull
#define HOLD (300 * MS)

static const uint16_t ports[] = { 25, 587 };
static uint8_t buf[64][256];
static unsigned nbuf;

struct flow {
	int family, nvlan;
	uint16_t vid[3];
	uint8_t c[16], s[16];
	uint16_t cport, sport;
};

static void flow_init(struct flow *f, int family, uint8_t id, uint16_t sport)
{
	memset(f, 0, sizeof(*f));
	f->family = family;
	f->c[0] = 192;
	f->c[1] = 0;
	f->c[2] = 2;
	f->c[3] = id;
	f->s[0] = 198;
	f->s[1] = 51;
	f->s[2] = 100;
	f->s[3] = 25;
	if (family == 6) {
		f->c[0] = f->s[0] = 0x20;
		f->c[1] = f->s[1] = 0x01;
		f->c[15] = id;
		f->s[15] = 25;
	}
	f->cport = (uint16_t)(40000 + id);
	f->sport = sport;
}

/* Offer one segment of @f; @server: the server sends it. */
static int offer(struct dp_hold *h, const struct flow *f, int server, uint8_t flags,
		 const char *data, uint64_t now, void **frame)
{
	struct tcpseg s = {
		.family = f->family, .nvlan = f->nvlan, .vid = { f->vid[0], f->vid[1], f->vid[2] },
		.src = server ? f->s : f->c, .dst = server ? f->c : f->s,
		.sport = server ? f->sport : f->cport, .dport = server ? f->cport : f->sport,
		.seq = 1000, .ack = 2000, .flags = flags,
		.data = (const uint8_t *)data, .len = data ? (uint32_t)strlen(data) : 0,
	};
	uint8_t *b = buf[nbuf++ % 64];
	uint32_t len = tcp_frame(b, &s);

	if (frame)
		*frame = b;
	return dp_hold_offer(h, b, len, b, server ? 0 : 1, now);
}

static void handshake(struct dp_hold *h, const struct flow *f, uint64_t now)
{
	CHECK_EQ_INT(offer(h, f, 0, DP_TCP_SYN, NULL, now, NULL), DP_HOLD_PASS);
	CHECK_EQ_INT(offer(h, f, 1, DP_TCP_SYN | DP_TCP_ACK, NULL, now, NULL), DP_HOLD_PASS);
	CHECK_EQ_INT(offer(h, f, 0, DP_TCP_ACK, NULL, now, NULL), DP_HOLD_PASS);
}

static struct dp_hold *mk(uint32_t max_flows, uint32_t max_packets, uint32_t per_flow,
			  uint64_t arm_ns)
{
	struct dp_hold_params p = {
		.hold_ns = HOLD, .arm_ns = arm_ns, .max_flows = max_flows,
		.max_packets = max_packets, .per_flow = per_flow,
		.linktype = DP_LINK_ETHERNET, .smtp_ports = ports, .n_smtp_ports = 2,
	};
	struct dp_hold *h = dp_hold_create(&p);

	CHECK(h != NULL);
	return h;
}

static void test_pregreet_window(void)
{
	struct dp_hold *h = mk(0, 0, 0, 0);
	struct dp_hold_frame out[8];
	struct dp_hold_stats st;
	struct flow f;
	void *banner, *ack;
	uint64_t t = 1000 * MS;

	check_case = "pregreet window";
	flow_init(&f, 4, 10, 25);
	handshake(h, &f, t);
	CHECK_EQ_INT(dp_hold_next(h), UINT64_MAX);
	CHECK_EQ_INT(offer(h, &f, 1, DP_TCP_PSH | DP_TCP_ACK, "220 mx ESMTP\r\n", t, &banner),
		     DP_HOLD_HELD);
	CHECK_EQ_INT(dp_hold_next(h), t + HOLD);
	/* the client talks inside the window: it passes (and is seen first) */
	CHECK_EQ_INT(offer(h, &f, 0, DP_TCP_PSH | DP_TCP_ACK, "EHLO bot\r\n", t + MS, NULL),
		     DP_HOLD_PASS);
	/* the server's ACK of it queues behind the banner */
	CHECK_EQ_INT(offer(h, &f, 1, DP_TCP_ACK, NULL, t + 2 * MS, &ack), DP_HOLD_HELD);
	CHECK_EQ_INT(dp_hold_release(h, t + HOLD - 1, out, 8), 0);
	CHECK_EQ_INT(dp_hold_release(h, t + HOLD, out, 8), 2);
	CHECK(out[0].frame == banner && out[0].port == 0);
	CHECK(out[1].frame == ack && out[1].port == 0);
	/* released: the flow is forgotten, its frames pass again */
	CHECK_EQ_INT(offer(h, &f, 1, DP_TCP_PSH | DP_TCP_ACK, "250 hi\r\n", t + HOLD, NULL),
		     DP_HOLD_PASS);
	CHECK_EQ_INT(dp_hold_next(h), UINT64_MAX);
	dp_hold_get_stats(h, &st);
	CHECK_EQ_INT(st.armed, 1);
	CHECK_EQ_INT(st.flows_held, 1);
	CHECK_EQ_INT(st.frames_held, 2);
	CHECK_EQ_INT(st.released, 2);
	CHECK_EQ_INT(st.holding, 0);
	CHECK_EQ_INT(st.full + st.dropped + st.disarmed, 0);
	dp_hold_destroy(h);
}

static void test_client_first_and_other_ports(void)
{
	struct dp_hold *h = mk(0, 0, 0, 0);
	struct dp_hold_stats st;
	struct flow tls, web, sub;

	check_case = "client first, other ports";
	flow_init(&tls, 4, 11, 25);
	handshake(h, &tls, 0);
	CHECK_EQ_INT(offer(h, &tls, 0, DP_TCP_PSH | DP_TCP_ACK, "\x16\x03\x01", MS, NULL),
		     DP_HOLD_PASS);
	CHECK_EQ_INT(offer(h, &tls, 1, DP_TCP_PSH | DP_TCP_ACK, "\x16\x03\x03", 2 * MS, NULL),
		     DP_HOLD_PASS);
	flow_init(&web, 4, 12, 80);
	handshake(h, &web, 0);
	CHECK_EQ_INT(offer(h, &web, 1, DP_TCP_PSH | DP_TCP_ACK, "HTTP/1.1 200\r\n", MS, NULL),
		     DP_HOLD_PASS);
	/* the second SMTP port; the server resets before its banner */
	flow_init(&sub, 4, 13, 587);
	handshake(h, &sub, 0);
	CHECK_EQ_INT(offer(h, &sub, 1, DP_TCP_RST, NULL, MS, NULL), DP_HOLD_PASS);
	CHECK_EQ_INT(offer(h, &sub, 1, DP_TCP_PSH | DP_TCP_ACK, "220 x\r\n", MS, NULL),
		     DP_HOLD_PASS);
	/* a fresh handshake on it arms again */
	handshake(h, &sub, 2 * MS);
	CHECK_EQ_INT(offer(h, &sub, 1, DP_TCP_PSH | DP_TCP_ACK, "220 x\r\n", 3 * MS, NULL),
		     DP_HOLD_HELD);
	dp_hold_get_stats(h, &st);
	CHECK_EQ_INT(st.armed, 3);
	CHECK_EQ_INT(st.disarmed, 1);
	CHECK_EQ_INT(st.flows_held, 1);
	dp_hold_destroy(h);
}

static void test_bounds(void)
{
	struct dp_hold *h = mk(0, 3, 2, 0);
	struct dp_hold_frame out[8];
	struct dp_hold_stats st;
	struct flow a, b, c;

	check_case = "per-flow and pool bounds";
	flow_init(&a, 4, 20, 25);
	flow_init(&b, 4, 21, 25);
	flow_init(&c, 4, 22, 25);
	handshake(h, &a, 0);
	handshake(h, &b, 0);
	handshake(h, &c, 0);
	CHECK_EQ_INT(offer(h, &a, 1, DP_TCP_ACK, "220 a\r\n", 0, NULL), DP_HOLD_HELD);
	CHECK_EQ_INT(offer(h, &a, 1, DP_TCP_ACK, "220 a\r\n", MS, NULL), DP_HOLD_HELD);
	/* per flow 2: the third is dropped (the server retransmits) */
	CHECK_EQ_INT(offer(h, &a, 1, DP_TCP_ACK, "220 a\r\n", 2 * MS, NULL), DP_HOLD_DROP);
	CHECK_EQ_INT(offer(h, &b, 1, DP_TCP_ACK, "220 b\r\n", 2 * MS, NULL), DP_HOLD_HELD);
	/* the pool (3) is full: c's banner goes unheld; b's next is dropped */
	CHECK_EQ_INT(offer(h, &c, 1, DP_TCP_ACK, "220 c\r\n", 2 * MS, NULL), DP_HOLD_PASS);
	CHECK_EQ_INT(offer(h, &b, 1, DP_TCP_ACK, "220 b\r\n", 2 * MS, NULL), DP_HOLD_DROP);
	dp_hold_get_stats(h, &st);
	CHECK_EQ_INT(st.full, 1);
	CHECK_EQ_INT(st.dropped, 2);
	CHECK_EQ_INT(st.holding, 3);
	/* a few at a time, in order: a's two, then b's */
	CHECK_EQ_INT(dp_hold_release(h, UINT64_MAX, out, 1), 1);
	CHECK_EQ_INT(dp_hold_next(h), HOLD);
	CHECK_EQ_INT(dp_hold_release(h, UINT64_MAX, out, 8), 2);
	CHECK_EQ_INT(dp_hold_next(h), UINT64_MAX);
	dp_hold_get_stats(h, &st);
	CHECK_EQ_INT(st.released, 3);
	CHECK_EQ_INT(st.holding, 0);
	dp_hold_destroy(h);
}

static void test_buckets_and_expiry(void)
{
	/* 8 flows: one bucket */
	struct dp_hold *h = mk(8, 64, 0, 10 * MS);
	struct dp_hold_frame out[16];
	struct dp_hold_stats st;
	struct flow f[10];

	check_case = "bucket, eviction, expiry";
	for (int i = 0; i < 10; i++)
		flow_init(&f[i], 4, (uint8_t)(30 + i), 25);
	/* an armed flow past arm_ns passes its banner */
	handshake(h, &f[0], 0);
	CHECK_EQ_INT(offer(h, &f[0], 1, DP_TCP_ACK, "220\r\n", 11 * MS, NULL), DP_HOLD_PASS);
	/* 9 armed flows in 8 slots: the oldest (f[1]) is replaced */
	for (int i = 1; i < 10; i++)
		handshake(h, &f[i], 20 * MS + (uint64_t)i);
	CHECK_EQ_INT(offer(h, &f[1], 1, DP_TCP_ACK, "220\r\n", 21 * MS, NULL), DP_HOLD_PASS);
	for (int i = 2; i < 10; i++)
		CHECK_EQ_INT(offer(h, &f[i], 1, DP_TCP_ACK, "220\r\n", 21 * MS, NULL), DP_HOLD_HELD);
	/* every slot holding: a new handshake is not armed, never evicts */
	handshake(h, &f[0], 22 * MS);
	CHECK_EQ_INT(offer(h, &f[0], 1, DP_TCP_ACK, "220\r\n", 22 * MS, NULL), DP_HOLD_PASS);
	CHECK_EQ_INT(dp_hold_release(h, 21 * MS + HOLD, out, 16), 8);
	dp_hold_get_stats(h, &st);
	CHECK_EQ_INT(st.armed, 10);
	CHECK_EQ_INT(st.flows_held, 8);
	dp_hold_destroy(h);
}

static void test_v6_vlan_and_junk(void)
{
	struct dp_hold *h = mk(0, 0, 0, 0);
	struct dp_hold_frame out[4];
	struct flow f, other_vlan;
	uint8_t junk[60] = { 0 };

	check_case = "IPv6, VLAN, not TCP";
	flow_init(&f, 6, 40, 25);
	f.nvlan = 1;
	f.vid[0] = 100;
	other_vlan = f;
	other_vlan.vid[0] = 200;
	handshake(h, &f, 0);
	/* the same addresses and ports on another VLAN: another flow */
	CHECK_EQ_INT(offer(h, &other_vlan, 1, DP_TCP_ACK, "220\r\n", MS, NULL), DP_HOLD_PASS);
	CHECK_EQ_INT(offer(h, &f, 1, DP_TCP_ACK, "220\r\n", MS, NULL), DP_HOLD_HELD);
	CHECK_EQ_INT(dp_hold_offer(h, junk, sizeof(junk), junk, 0, MS), DP_HOLD_PASS);
	CHECK_EQ_INT(dp_hold_offer(h, junk, 3, junk, 0, MS), DP_HOLD_PASS);
	CHECK_EQ_INT(dp_hold_release(h, MS + HOLD, out, 4), 1);
	dp_hold_destroy(h);
}

int main(void)
{
	struct dp_hold_params bad = { .hold_ns = 0, .smtp_ports = ports, .n_smtp_ports = 2 };

	CHECK(dp_hold_create(&bad) == NULL);
	bad.hold_ns = 1;
	bad.n_smtp_ports = 0;
	CHECK(dp_hold_create(&bad) == NULL);
	test_pregreet_window();
	test_client_first_and_other_ports();
	test_bounds();
	test_buckets_and_expiry();
	test_v6_vlan_and_junk();
	CHECK_DONE();
}
