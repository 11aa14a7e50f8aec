/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit test for dp_decode: a table of hand-built frames, each with the
 * result and fields dp_decode must report. Frames are assembled by small
 * builders (link, IP, extension headers, TCP, payload) so each case says
 * only what is special about it. Single-threaded test program.
 */
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "dp_decode.h"

#define PAYLOAD "EHLO x\r\n"
#define PAYLOAD_LEN 8u
#define SPORT 40000
#define DPORT 25
#define SEQ 0x01020304u
#define ACK 0xa0b0c0d0u
#define FLAGS (DP_TCP_PSH | DP_TCP_ACK)

static const uint8_t v4_src[4] = { 192, 0, 2, 1 };
static const uint8_t v4_dst[4] = { 198, 51, 100, 2 };
static const uint8_t v6_src[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
static const uint8_t v6_dst[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 1, [15] = 2 };

struct frame {
	uint8_t b[512];
	uint32_t len;
	uint32_t payload_off;
};

/* ---- builders ---- */

static void put(struct frame *f, const void *p, uint32_t n)
{
	memcpy(f->b + f->len, p, n);
	f->len += n;
}

static void put_u8(struct frame *f, uint8_t v)
{
	f->b[f->len++] = v;
}

static void put_be16(struct frame *f, uint16_t v)
{
	put_u8(f, (uint8_t)(v >> 8));
	put_u8(f, (uint8_t)v);
}

static void put_be32(struct frame *f, uint32_t v)
{
	put_be16(f, (uint16_t)(v >> 16));
	put_be16(f, (uint16_t)v);
}

static void put_zero(struct frame *f, uint32_t n)
{
	memset(f->b + f->len, 0, n);
	f->len += n;
}

static void patch_be16(struct frame *f, uint32_t off, uint16_t v)
{
	f->b[off] = (uint8_t)(v >> 8);
	f->b[off + 1] = (uint8_t)v;
}

/* Ethernet with @ntags VLAN tags; @tpids outermost first. */
static void b_eth_tags(struct frame *f, const uint16_t *tpids,
		       const uint16_t *vids, int ntags, uint16_t type)
{
	static const uint8_t macs[12] = { 2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2 };
	int i;

	put(f, macs, sizeof(macs));
	for (i = 0; i < ntags; i++) {
		put_be16(f, tpids[i]);
		/* PCP and DEI set, to show only the low 12 bits are the VID */
		put_be16(f, (uint16_t)(0xf000 | vids[i]));
	}
	put_be16(f, type);
}

static void b_eth(struct frame *f, uint16_t type)
{
	b_eth_tags(f, NULL, NULL, 0, type);
}

/* IPv4 header with @optwords 32-bit option words; returns its offset so
 * b_ipv4_done can fill in the total length. */
static uint32_t b_ipv4(struct frame *f, uint8_t proto, uint8_t optwords,
		       uint16_t frag)
{
	uint32_t off = f->len;

	put_u8(f, (uint8_t)(0x40 | (5 + optwords)));
	put_u8(f, 0);
	put_be16(f, 0); /* total length, patched */
	put_be16(f, 0x1234);
	put_be16(f, frag);
	put_u8(f, 64);
	put_u8(f, proto);
	put_be16(f, 0); /* checksum: never verified */
	put(f, v4_src, 4);
	put(f, v4_dst, 4);
	for (uint8_t i = 0; i < optwords; i++)
		put_be32(f, 0x01010101); /* NOPs */
	return off;
}

static void b_ipv4_done(struct frame *f, uint32_t off)
{
	patch_be16(f, off + 2, (uint16_t)(f->len - off));
}

static uint32_t b_ipv6(struct frame *f, uint8_t nh)
{
	uint32_t off = f->len;

	put_be32(f, 0x60000000);
	put_be16(f, 0); /* payload length, patched */
	put_u8(f, nh);
	put_u8(f, 64);
	put(f, v6_src, 16);
	put(f, v6_dst, 16);
	return off;
}

static void b_ipv6_done(struct frame *f, uint32_t off)
{
	patch_be16(f, off + 4, (uint16_t)(f->len - off - 40));
}

/* Hop-by-hop, routing or destination options: (@len8 + 1) * 8 bytes. */
static void b_ext(struct frame *f, uint8_t nh, uint8_t len8)
{
	put_u8(f, nh);
	put_u8(f, len8);
	put_zero(f, 6 + 8u * len8);
}

/* AH: (@len + 2) * 4 bytes. */
static void b_ah(struct frame *f, uint8_t nh, uint8_t len)
{
	put_u8(f, nh);
	put_u8(f, len);
	put_zero(f, ((uint32_t)len + 2) * 4 - 2);
}

static void b_frag6(struct frame *f, uint8_t nh, uint16_t offset, int more)
{
	put_u8(f, nh);
	put_u8(f, 0);
	put_be16(f, (uint16_t)(offset << 3 | (more ? 1 : 0)));
	put_be32(f, 0xdeadbeef);
}

static void b_tcp_doff(struct frame *f, uint8_t doff)
{
	put_be16(f, SPORT);
	put_be16(f, DPORT);
	put_be32(f, SEQ);
	put_be32(f, ACK);
	put_u8(f, (uint8_t)(doff << 4));
	put_u8(f, FLAGS);
	put_be16(f, 65535);
	put_be16(f, 0);
	put_be16(f, 0);
	if (doff > 5)
		put_zero(f, 4u * (doff - 5u));
}

static void b_tcp(struct frame *f)
{
	b_tcp_doff(f, 5);
}

static void b_payload(struct frame *f)
{
	f->payload_off = f->len;
	put(f, PAYLOAD, PAYLOAD_LEN);
}

static void b_udp(struct frame *f)
{
	put_be16(f, 53);
	put_be16(f, 53);
	put_be16(f, 8 + PAYLOAD_LEN);
	put_be16(f, 0);
	b_payload(f);
}

/* IPv4 + TCP + payload with the given IP options and TCP data offset. */
static void v4_body(struct frame *f, uint8_t optwords, uint8_t doff)
{
	uint32_t ip = b_ipv4(f, 6, optwords, 0);

	b_tcp_doff(f, doff);
	b_payload(f);
	b_ipv4_done(f, ip);
}

static void v6_body(struct frame *f)
{
	uint32_t ip = b_ipv6(f, 6);

	b_tcp(f);
	b_payload(f);
	b_ipv6_done(f, ip);
}

/* ---- cases ---- */

static void f_v4(struct frame *f)
{
	b_eth(f, 0x0800);
	v4_body(f, 0, 5);
}

static void f_v4_ipopts(struct frame *f)
{
	b_eth(f, 0x0800);
	v4_body(f, 2, 5);
}

static void f_v4_tcpopts(struct frame *f)
{
	b_eth(f, 0x0800);
	v4_body(f, 0, 8);
}

static void f_v4_bad_ihl(struct frame *f)
{
	f_v4(f);
	f->b[14] = 0x44;
}

static void f_v4_bad_version(struct frame *f)
{
	f_v4(f);
	f->b[14] = 0x65;
}

static void f_v4_total_lt_hdr(struct frame *f)
{
	f_v4(f);
	patch_be16(f, 14 + 2, 19);
}

static void f_v4_total_no_tcp(struct frame *f)
{
	f_v4(f);
	patch_be16(f, 14 + 2, 20 + 12); /* IP says the TCP header is cut */
}

static void f_v4_bad_doff(struct frame *f)
{
	f_v4(f);
	f->b[14 + 20 + 12] = 0x40;
}

/* A 3-byte payload padded up to the 60-byte Ethernet minimum: the padding
 * is not payload. */
static void f_v4_padded(struct frame *f)
{
	f_v4(f);
	f->len -= PAYLOAD_LEN - 3;
	patch_be16(f, 14 + 2, 20 + 20 + 3);
	put_zero(f, 60 - f->len);
}

static void f_v4_frag_first(struct frame *f)
{
	uint32_t ip;

	b_eth(f, 0x0800);
	ip = b_ipv4(f, 6, 0, 0x2000); /* MF, offset 0 */
	b_tcp(f);
	b_payload(f);
	b_ipv4_done(f, ip);
}

static void f_v4_frag_later(struct frame *f)
{
	uint32_t ip;

	b_eth(f, 0x0800);
	ip = b_ipv4(f, 6, 0, 185); /* offset 1480, last fragment */
	b_payload(f);
	b_ipv4_done(f, ip);
}

static void f_v4_udp(struct frame *f)
{
	uint32_t ip;

	b_eth(f, 0x0800);
	ip = b_ipv4(f, 17, 0, 0);
	b_udp(f);
	b_ipv4_done(f, ip);
}

static void f_arp(struct frame *f)
{
	b_eth(f, 0x0806);
	put_be16(f, 1);
	put_be16(f, 0x0800);
	put_u8(f, 6);
	put_u8(f, 4);
	put_be16(f, 1);
	put_zero(f, 20);
}

static void f_v6(struct frame *f)
{
	b_eth(f, 0x86dd);
	v6_body(f);
}

static void f_v6_chain(struct frame *f)
{
	uint32_t ip;

	b_eth(f, 0x86dd);
	ip = b_ipv6(f, 0);
	b_ext(f, 60, 0);  /* hop-by-hop -> dest opts */
	b_ext(f, 43, 1);  /* dest opts -> routing, 16 bytes */
	b_ext(f, 6, 2);   /* routing -> TCP, 24 bytes */
	b_tcp(f);
	b_payload(f);
	b_ipv6_done(f, ip);
}

static void f_v6_chain_cut(struct frame *f)
{
	uint32_t ip;

	b_eth(f, 0x86dd);
	ip = b_ipv6(f, 0);
	b_ext(f, 6, 30); /* claims 248 bytes, the frame has far fewer */
	f->len -= 200;
	b_ipv6_done(f, ip);
}

static void f_v6_chain_long(struct frame *f)
{
	uint32_t ip;
	int i;

	b_eth(f, 0x86dd);
	ip = b_ipv6(f, 60);
	for (i = 0; i < 9; i++)
		b_ext(f, 60, 0);
	b_ipv6_done(f, ip);
}

static void f_v6_frag(struct frame *f)
{
	uint32_t ip;

	b_eth(f, 0x86dd);
	ip = b_ipv6(f, 0);
	b_ext(f, 44, 0);
	b_frag6(f, 6, 0, 1);
	b_tcp(f);
	b_payload(f);
	b_ipv6_done(f, ip);
}

static void f_v6_ah(struct frame *f)
{
	uint32_t ip;

	b_eth(f, 0x86dd);
	ip = b_ipv6(f, 51);
	b_ah(f, 6, 4); /* 24 bytes: 12 fixed + 12 ICV */
	b_tcp(f);
	b_payload(f);
	b_ipv6_done(f, ip);
}

static void f_v6_nonext(struct frame *f)
{
	uint32_t ip;

	b_eth(f, 0x86dd);
	ip = b_ipv6(f, 60);
	b_ext(f, 59, 0);
	b_ipv6_done(f, ip);
}

static void f_v6_udp(struct frame *f)
{
	uint32_t ip;

	b_eth(f, 0x86dd);
	ip = b_ipv6(f, 17);
	b_udp(f);
	b_ipv6_done(f, ip);
}

static void f_v6_jumbo(struct frame *f)
{
	f_v6(f);
	patch_be16(f, 14 + 4, 0);
}

static void f_v6_plen_short(struct frame *f)
{
	f_v6(f);
	patch_be16(f, 14 + 4, 20 + 3); /* only 3 payload bytes by IPv6 */
}

static const uint16_t tpid_q[] = { 0x8100 };
static const uint16_t tpid_qinq[] = { 0x88a8, 0x8100 };
static const uint16_t tpid_3[] = { 0x9100, 0x88a8, 0x8100 };
static const uint16_t tpid_4[] = { 0x9100, 0x88a8, 0x8100, 0x8100 };
static const uint16_t vids[] = { 100, 200, 4095, 7 };

static void f_vlan1(struct frame *f)
{
	b_eth_tags(f, tpid_q, vids, 1, 0x0800);
	v4_body(f, 0, 5);
}

static void f_vlan2(struct frame *f)
{
	b_eth_tags(f, tpid_qinq, vids, 2, 0x86dd);
	v6_body(f);
}

static void f_vlan3(struct frame *f)
{
	b_eth_tags(f, tpid_3, vids, 3, 0x0800);
	v4_body(f, 0, 5);
}

static void f_vlan4(struct frame *f)
{
	b_eth_tags(f, tpid_4, vids, 4, 0x0800);
	v4_body(f, 0, 5);
}

static void f_vlan_arp(struct frame *f)
{
	b_eth_tags(f, tpid_q, vids, 1, 0x0806);
	put_zero(f, 28);
}

static void b_null(struct frame *f, uint32_t fam, int big_endian)
{
	if (big_endian) {
		put_be32(f, fam);
	} else {
		put_u8(f, (uint8_t)fam);
		put_u8(f, (uint8_t)(fam >> 8));
		put_u8(f, (uint8_t)(fam >> 16));
		put_u8(f, (uint8_t)(fam >> 24));
	}
}

static void f_null_le_v4(struct frame *f)
{
	b_null(f, 2, 0);
	v4_body(f, 0, 5);
}

static void f_null_be_v4(struct frame *f)
{
	b_null(f, 2, 1);
	v4_body(f, 0, 5);
}

static void f_null_le_v6(struct frame *f)
{
	b_null(f, 28, 0);
	v6_body(f);
}

static void f_null_be_v6(struct frame *f)
{
	b_null(f, 30, 1);
	v6_body(f);
}

static void f_null_v6_24(struct frame *f)
{
	b_null(f, 24, 0);
	v6_body(f);
}

static void f_null_unknown(struct frame *f)
{
	b_null(f, 7, 0);
	v4_body(f, 0, 5);
}

static void f_loop_v4(struct frame *f)
{
	b_null(f, 2, 1);
	v4_body(f, 0, 5);
}

static void f_raw_v4(struct frame *f)
{
	v4_body(f, 0, 5);
}

static void f_raw_v6(struct frame *f)
{
	v6_body(f);
}

static void f_raw_bad(struct frame *f)
{
	v4_body(f, 0, 5);
	f->b[0] = 0x55;
}

static void f_sll(struct frame *f)
{
	put_be16(f, 0);      /* packet type: to us */
	put_be16(f, 1);      /* ARPHRD_ETHER */
	put_be16(f, 6);      /* address length */
	put_zero(f, 8);      /* address */
	put_be16(f, 0x0800); /* protocol */
	v4_body(f, 0, 5);
}

static void f_sll2(struct frame *f)
{
	put_be16(f, 0x86dd); /* protocol */
	put_be16(f, 0);      /* reserved */
	put_be32(f, 2);      /* interface index */
	put_be16(f, 1);      /* ARPHRD_ETHER */
	put_u8(f, 0);        /* packet type */
	put_u8(f, 6);        /* address length */
	put_zero(f, 8);      /* address */
	v6_body(f);
}

static void f_sll_vlan(struct frame *f)
{
	put_be16(f, 0);
	put_be16(f, 1);
	put_be16(f, 6);
	put_zero(f, 8);
	put_be16(f, 0x8100);
	put_be16(f, 42);
	put_be16(f, 0x0800);
	v4_body(f, 0, 5);
}

struct decode_case {
	const char *name;
	void (*build)(struct frame *f);
	int linktype;
	uint32_t keep;       /* captured length; 0 = the whole frame */
	int want;
	uint8_t family;      /* for TCP and FRAGMENT */
	uint32_t payload_len;
	uint8_t ip_options;
	uint8_t vlan_depth;
	uint16_t vlan[DP_DECODE_MAX_VLANS];
};

#define ETH DP_LINK_ETHERNET
#define TCP4(n) DP_DECODE_TCP, 4, (n)
#define TCP6(n) DP_DECODE_TCP, 6, (n)

static const struct decode_case cases[] = {
	{ "v4", f_v4, ETH, 0, TCP4(PAYLOAD_LEN), 0, 0, { 0 } },
	{ "v4 ip options", f_v4_ipopts, ETH, 0, TCP4(PAYLOAD_LEN), 1, 0, { 0 } },
	{ "v4 tcp options", f_v4_tcpopts, ETH, 0, TCP4(PAYLOAD_LEN), 0, 0, { 0 } },
	{ "v4 padded frame", f_v4_padded, ETH, 0, TCP4(3), 0, 0, { 0 } },
	{ "v4 payload cut", f_v4, ETH, 14 + 20 + 20 + 3, TCP4(3), 0, 0, { 0 } },
	{ "v4 tcp header only", f_v4, ETH, 14 + 20 + 20, TCP4(0), 0, 0, { 0 } },
	{ "eth cut", f_v4, ETH, 13, DP_DECODE_MALFORMED, 0, 0, 0, 0, { 0 } },
	{ "empty", f_v4, ETH, 0xffffffff, DP_DECODE_MALFORMED, 0, 0, 0, 0, { 0 } },
	{ "v4 header cut", f_v4, ETH, 14 + 19, DP_DECODE_MALFORMED, 0, 0, 0, 0, { 0 } },
	{ "v4 options cut", f_v4_ipopts, ETH, 14 + 24, DP_DECODE_MALFORMED, 0, 0, 0, 0, { 0 } },
	{ "tcp header cut", f_v4, ETH, 14 + 20 + 19, DP_DECODE_MALFORMED, 0, 0, 0, 0, { 0 } },
	{ "tcp options cut", f_v4_tcpopts, ETH, 14 + 20 + 30, DP_DECODE_MALFORMED, 0, 0, 0, 0, { 0 } },
	{ "v4 bad ihl", f_v4_bad_ihl, ETH, 0, DP_DECODE_MALFORMED, 0, 0, 0, 0, { 0 } },
	{ "v4 bad version", f_v4_bad_version, ETH, 0, DP_DECODE_MALFORMED, 0, 0, 0, 0, { 0 } },
	{ "v4 total < header", f_v4_total_lt_hdr, ETH, 0, DP_DECODE_MALFORMED, 0, 0, 0, 0, { 0 } },
	{ "v4 total cuts tcp", f_v4_total_no_tcp, ETH, 0, DP_DECODE_MALFORMED, 0, 0, 0, 0, { 0 } },
	{ "tcp bad data offset", f_v4_bad_doff, ETH, 0, DP_DECODE_MALFORMED, 0, 0, 0, 0, { 0 } },
	{ "v4 first fragment", f_v4_frag_first, ETH, 0, DP_DECODE_FRAGMENT, 4, 0, 0, 0, { 0 } },
	{ "v4 later fragment", f_v4_frag_later, ETH, 0, DP_DECODE_FRAGMENT, 4, 0, 0, 0, { 0 } },
	{ "v4 udp", f_v4_udp, ETH, 0, DP_DECODE_NOT_TCP, 0, 0, 0, 0, { 0 } },
	{ "arp", f_arp, ETH, 0, DP_DECODE_NOT_IP, 0, 0, 0, 0, { 0 } },
	{ "v6", f_v6, ETH, 0, TCP6(PAYLOAD_LEN), 0, 0, { 0 } },
	{ "v6 hbh+dst+rt", f_v6_chain, ETH, 0, TCP6(PAYLOAD_LEN), 1, 0, { 0 } },
	{ "v6 ext cut", f_v6_chain_cut, ETH, 0, DP_DECODE_MALFORMED, 0, 0, 0, 0, { 0 } },
	{ "v6 chain too long", f_v6_chain_long, ETH, 0, DP_DECODE_MALFORMED, 0, 0, 0, 0, { 0 } },
	{ "v6 fragment", f_v6_frag, ETH, 0, DP_DECODE_FRAGMENT, 6, 0, 0, 0, { 0 } },
	{ "v6 ah", f_v6_ah, ETH, 0, TCP6(PAYLOAD_LEN), 1, 0, { 0 } },
	{ "v6 no next header", f_v6_nonext, ETH, 0, DP_DECODE_NOT_TCP, 0, 0, 0, 0, { 0 } },
	{ "v6 udp", f_v6_udp, ETH, 0, DP_DECODE_NOT_TCP, 0, 0, 0, 0, { 0 } },
	{ "v6 header cut", f_v6, ETH, 14 + 39, DP_DECODE_MALFORMED, 0, 0, 0, 0, { 0 } },
	{ "v6 jumbogram", f_v6_jumbo, ETH, 0, TCP6(PAYLOAD_LEN), 0, 0, { 0 } },
	{ "v6 plen bounds", f_v6_plen_short, ETH, 0, TCP6(3), 0, 0, { 0 } },
	{ "vlan 1", f_vlan1, ETH, 0, TCP4(PAYLOAD_LEN), 0, 1, { 100 } },
	{ "vlan qinq", f_vlan2, ETH, 0, TCP6(PAYLOAD_LEN), 0, 2, { 100, 200 } },
	{ "vlan 3", f_vlan3, ETH, 0, TCP4(PAYLOAD_LEN), 0, 3, { 100, 200, 4095 } },
	{ "vlan 4 rejected", f_vlan4, ETH, 0, DP_DECODE_MALFORMED, 0, 0, 0, 0, { 0 } },
	{ "vlan tag cut", f_vlan1, ETH, 16, DP_DECODE_MALFORMED, 0, 0, 0, 0, { 0 } },
	{ "vlan arp", f_vlan_arp, ETH, 0, DP_DECODE_NOT_IP, 0, 0, 0, 0, { 0 } },
	{ "null le v4", f_null_le_v4, DP_LINK_NULL, 0, TCP4(PAYLOAD_LEN), 0, 0, { 0 } },
	{ "null be v4", f_null_be_v4, DP_LINK_NULL, 0, TCP4(PAYLOAD_LEN), 0, 0, { 0 } },
	{ "null le v6 28", f_null_le_v6, DP_LINK_NULL, 0, TCP6(PAYLOAD_LEN), 0, 0, { 0 } },
	{ "null be v6 30", f_null_be_v6, DP_LINK_NULL, 0, TCP6(PAYLOAD_LEN), 0, 0, { 0 } },
	{ "null v6 24", f_null_v6_24, DP_LINK_NULL, 0, TCP6(PAYLOAD_LEN), 0, 0, { 0 } },
	{ "null unknown family", f_null_unknown, DP_LINK_NULL, 0, DP_DECODE_NOT_IP, 0, 0, 0, 0, { 0 } },
	{ "null cut", f_null_le_v4, DP_LINK_NULL, 3, DP_DECODE_MALFORMED, 0, 0, 0, 0, { 0 } },
	{ "loop v4", f_loop_v4, DP_LINK_LOOP, 0, TCP4(PAYLOAD_LEN), 0, 0, { 0 } },
	{ "raw v4", f_raw_v4, DP_LINK_RAW, 0, TCP4(PAYLOAD_LEN), 0, 0, { 0 } },
	{ "raw v6", f_raw_v6, DP_LINK_RAW, 0, TCP6(PAYLOAD_LEN), 0, 0, { 0 } },
	{ "raw bad version", f_raw_bad, DP_LINK_RAW, 0, DP_DECODE_MALFORMED, 0, 0, 0, 0, { 0 } },
	{ "sll v4", f_sll, DP_LINK_LINUX_SLL, 0, TCP4(PAYLOAD_LEN), 0, 0, { 0 } },
	{ "sll vlan", f_sll_vlan, DP_LINK_LINUX_SLL, 0, TCP4(PAYLOAD_LEN), 0, 1, { 42 } },
	{ "sll cut", f_sll, DP_LINK_LINUX_SLL, 15, DP_DECODE_MALFORMED, 0, 0, 0, 0, { 0 } },
	{ "sll2 v6", f_sll2, DP_LINK_LINUX_SLL2, 0, TCP6(PAYLOAD_LEN), 0, 0, { 0 } },
	{ "sll2 cut", f_sll2, DP_LINK_LINUX_SLL2, 19, DP_DECODE_MALFORMED, 0, 0, 0, 0, { 0 } },
	{ "unknown link type", f_v4, 147, 0, DP_DECODE_NOT_IP, 0, 0, 0, 0, { 0 } },
};

static void check_addrs(const struct dp_pkt *pkt, uint8_t family)
{
	uint8_t want_src[16] = { 0 }, want_dst[16] = { 0 };

	CHECK_EQ_INT(pkt->family, family);
	if (family == 4) {
		memcpy(want_src, v4_src, 4);
		memcpy(want_dst, v4_dst, 4);
	} else {
		memcpy(want_src, v6_src, 16);
		memcpy(want_dst, v6_dst, 16);
	}
	CHECK(memcmp(pkt->src, want_src, 16) == 0);
	CHECK(memcmp(pkt->dst, want_dst, 16) == 0);
}

static void run_case(const struct decode_case *c)
{
	struct frame f;
	struct dp_pkt pkt;
	uint32_t len;
	int rc, i;

	memset(&f, 0, sizeof(f));
	/* Poison the output so a field left unset shows up. */
	memset(&pkt, 0xa5, sizeof(pkt));
	c->build(&f);
	len = c->keep == 0xffffffff ? 0 : c->keep ? c->keep : f.len;
	CHECK(len <= f.len);
	rc = dp_decode(f.b, len, c->linktype, &pkt);
	CHECK_EQ_INT(rc, c->want);
	if (rc != c->want)
		return;
	if (rc == DP_DECODE_FRAGMENT)
		check_addrs(&pkt, c->family);
	if (rc != DP_DECODE_TCP)
		return;
	check_addrs(&pkt, c->family);
	CHECK_EQ_INT(pkt.sport, SPORT);
	CHECK_EQ_INT(pkt.dport, DPORT);
	CHECK_EQ_INT(pkt.seq, SEQ);
	CHECK_EQ_INT(pkt.ack, ACK);
	CHECK_EQ_INT(pkt.tcp_flags, FLAGS);
	CHECK_EQ_INT(pkt.ip_options, c->ip_options);
	CHECK_EQ_INT(pkt.payload_len, c->payload_len);
	if (c->payload_len) {
		CHECK(pkt.payload == f.b + f.payload_off);
		CHECK(memcmp(pkt.payload, PAYLOAD, c->payload_len) == 0);
	}
	CHECK(pkt.payload + pkt.payload_len <= f.b + len);
	CHECK_EQ_INT(pkt.vlan_depth, c->vlan_depth);
	for (i = 0; i < DP_DECODE_MAX_VLANS; i++)
		CHECK_EQ_INT(pkt.vlan[i], i < c->vlan_depth ? c->vlan[i] : 0);
}

/* Every prefix of a valid frame must decode without reading past it (the
 * sanitizer build catches an overread) and never claim more than it has. */
static void check_prefixes(void (*build)(struct frame *f), int linktype)
{
	struct frame f;
	struct dp_pkt pkt;
	uint8_t copy[512];
	uint32_t n;

	memset(&f, 0, sizeof(f));
	build(&f);
	for (n = 0; n <= f.len; n++) {
		/* Exact-size copy at the end of the buffer: an overread
		 * would touch bytes the frame does not own. */
		uint8_t *p = copy + sizeof(copy) - n;

		memcpy(p, f.b, n);
		if (dp_decode(p, n, linktype, &pkt) == DP_DECODE_TCP)
			CHECK(pkt.payload + pkt.payload_len <= p + n);
	}
}

int main(void)
{
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		check_case = cases[i].name;
		run_case(&cases[i]);
	}

	check_case = "prefixes";
	check_prefixes(f_v4_ipopts, DP_LINK_ETHERNET);
	check_prefixes(f_v6_chain, DP_LINK_ETHERNET);
	check_prefixes(f_v6_ah, DP_LINK_ETHERNET);
	check_prefixes(f_vlan3, DP_LINK_ETHERNET);
	check_prefixes(f_sll2, DP_LINK_LINUX_SLL2);
	check_prefixes(f_null_be_v6, DP_LINK_NULL);

	CHECK_DONE();
}
