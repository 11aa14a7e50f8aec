/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Hand-built frames for the unit suite: Ethernet with 0-3 VLAN tags, IPv4
 * (valid header checksum) or IPv6, TCP with payload. Checksums of TCP are
 * left 0 (the dataplane never checks them). Include once per test program.
 */
#ifndef MXS_TEST_FRAMES_H
#define MXS_TEST_FRAMES_H

#include <stdint.h>
#include <string.h>

#include "dp_decode.h"

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

/* Ethernet header with @nvlan tags (outer 802.1ad when two or more). */
static uint32_t eth(uint8_t *b, int nvlan, const uint16_t *vid, uint16_t type)
{
	static const uint8_t macs[12] = { 2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1 };
	uint32_t o = 12;

	memcpy(b, macs, 12);
	for (int i = 0; i < nvlan; i++) {
		put16(b + o, i == 0 && nvlan > 1 ? 0x88a8 : 0x8100);
		put16(b + o + 2, vid[i]);
		o += 4;
	}
	put16(b + o, type);
	return o + 2;
}

/* IPv4 (proto, frag field) or IPv6 header for @l4len bytes; returns size. */
static uint32_t iphdr(uint8_t *b, int family, const uint8_t *src, const uint8_t *dst,
		      uint8_t proto, uint32_t l4len, uint16_t frag)
{
	if (family == 4) {
		uint32_t sum = 0;

		b[0] = 0x45;
		b[1] = 0;
		put16(b + 2, (uint16_t)(20 + l4len));
		put16(b + 4, 0x1234);
		put16(b + 6, frag);
		b[8] = 64;
		b[9] = proto;
		put16(b + 10, 0);
		memcpy(b + 12, src, 4);
		memcpy(b + 16, dst, 4);
		for (int i = 0; i < 20; i += 2)
			sum += (uint32_t)(b[i] << 8 | b[i + 1]);
		while (sum >> 16)
			sum = (sum & 0xffff) + (sum >> 16);
		put16(b + 10, (uint16_t)~sum);
		return 20;
	}
	put32(b, 0x60000000);
	put16(b + 4, (uint16_t)l4len);
	b[6] = proto;
	b[7] = 64;
	memcpy(b + 8, src, 16);
	memcpy(b + 24, dst, 16);
	return 40;
}

struct tcpseg {
	int family;
	int nvlan;
	uint16_t vid[3];
	const uint8_t *src, *dst;
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint8_t flags;
	const uint8_t *data;
	uint32_t len;
};

static uint32_t tcp_frame(uint8_t *b, const struct tcpseg *s)
{
	uint32_t o = eth(b, s->nvlan, s->vid, s->family == 4 ? 0x0800 : 0x86dd);
	uint8_t *t;

	o += iphdr(b + o, s->family, s->src, s->dst, 6, 20 + s->len, 0x4000);
	t = b + o;
	put16(t, s->sport);
	put16(t + 2, s->dport);
	put32(t + 4, s->seq);
	put32(t + 8, (s->flags & DP_TCP_ACK) ? s->ack : 0);
	t[12] = 5 << 4;
	t[13] = s->flags;
	put16(t + 14, 65535);
	put16(t + 16, 0);
	put16(t + 18, 0);
	if (s->len)
		memcpy(t + 20, s->data, s->len);
	return o + 20 + s->len;
}

#endif
