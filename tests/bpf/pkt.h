/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Packet fixtures for the bpf suite: builds Ethernet frames with 0-2 VLAN
 * tags, IPv4 (with options, fragments) or IPv6 (with an extension-header
 * chain), and TCP/UDP, with valid IPv4 header and L4 checksums, from a
 * spec. Header-only, no state; single-threaded test programs only.
 */
#ifndef MXS_TEST_PKT_H
#define MXS_TEST_PKT_H

#include <arpa/inet.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define TPKT_FIN 0x01
#define TPKT_SYN 0x02
#define TPKT_RST 0x04
#define TPKT_PSH 0x08
#define TPKT_ACK 0x10

struct tpkt_ext {               /* one IPv6 extension header */
	uint8_t type;           /* 0 HBH, 43 routing, 60 dstopts, 44 frag, 51 AH */
	uint8_t units;          /* HBH/RT/DST: hdrlen (8-byte units beyond 8) */
	uint16_t frag_off;      /* fragment header: offset in 8-byte units */
	int more;               /* fragment header: M flag */
};

struct tpkt_spec {
	int vlans;              /* 0, 1 or 2 tags */
	uint16_t outer_tpid;    /* of the first tag when vlans == 2; 0: 0x88a8 */
	uint16_t ethertype;     /* 0: from family */
	int family;             /* 4 or 6 */
	uint8_t src[16], dst[16];
	uint8_t tos;            /* IPv4 TOS, IPv6 traffic class */
	uint32_t flow;          /* IPv6 flow label */
	uint16_t ip_id;
	int ip_opts;            /* IPv4 option bytes, multiple of 4, <= 40 */
	uint16_t frag_off;      /* IPv4 fragment offset (8-byte units) */
	int mf;                 /* IPv4 MF */
	struct tpkt_ext ext[8]; /* IPv6 extension chain, in order */
	int n_ext;
	uint8_t proto;          /* 0: TCP */
	uint16_t sport, dport;
	uint8_t tcp_flags;
	int tcp_opts;           /* TCP option bytes, multiple of 4, <= 40 */
	int payload;            /* payload bytes (pattern) */
};

struct tpkt {
	uint8_t b[1600];
	size_t len;
	size_t l3;              /* offset of the IP header */
	size_t l4;              /* offset of the TCP/UDP header */
};

static inline void tpkt_addr4(uint8_t a[16], const char *s)
{
	memset(a, 0, 16);
	inet_pton(AF_INET, s, a);
}

static inline void tpkt_addr6(uint8_t a[16], const char *s)
{
	inet_pton(AF_INET6, s, a);
}

static inline uint32_t tpkt_sum(uint32_t sum, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		sum += (uint32_t)p[n - 1] << 8;
	return sum;
}

static inline uint16_t tpkt_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* IPv4 header checksum over ihl*4 bytes at p, the check field taken as is:
 * 0 for a valid header when recomputed over itself. */
static inline uint16_t tpkt_ip4_csum(const uint8_t *p)
{
	return tpkt_fold(tpkt_sum(0, p, (size_t)(p[0] & 0x0f) * 4));
}

static inline void tpkt_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void tpkt_build(const struct tpkt_spec *s, struct tpkt *k)
{
	uint8_t *b = k->b;
	size_t o = 0, l4len, l3;
	uint8_t proto = s->proto ? s->proto : 6;
	uint16_t etype = s->ethertype ? s->ethertype : s->family == 6 ? 0x86dd : 0x0800;

	memset(k, 0, sizeof(*k));
	/* Ethernet: dst 02:00:00:00:00:02, src 02:00:00:00:00:01 */
	memcpy(b, "\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01", 12);
	o = 12;
	for (int i = 0; i < s->vlans; i++) {
		uint16_t tpid = 0x8100;

		if (i == 0 && s->vlans == 2)
			tpid = s->outer_tpid ? s->outer_tpid : 0x88a8;
		tpkt_put16(b + o, tpid);
		tpkt_put16(b + o + 2, (uint16_t)(100 + i));     /* VID */
		o += 4;
	}
	tpkt_put16(b + o, etype);
	o += 2;
	l3 = k->l3 = o;

	l4len = (proto == 6 ? 20 + (size_t)s->tcp_opts : proto == 17 ? 8 : 0) + (size_t)s->payload;
	if (s->family == 4) {
		size_t ihl = 20 + (size_t)s->ip_opts;

		b[o] = (uint8_t)(0x40 | ihl / 4);
		b[o + 1] = s->tos;
		tpkt_put16(b + o + 2, (uint16_t)(ihl + l4len));
		tpkt_put16(b + o + 4, s->ip_id);
		tpkt_put16(b + o + 6, (uint16_t)((s->mf ? 0x2000 : 0) | s->frag_off));
		b[o + 8] = 64;
		b[o + 9] = proto;
		memcpy(b + o + 12, s->src, 4);
		memcpy(b + o + 16, s->dst, 4);
		for (int i = 0; i < s->ip_opts; i++)     /* router alert, then NOPs */
			b[o + 20 + i] = i == 0 ? 148 : i == 1 ? 4 : i < 4 ? 0 : 1;
		tpkt_put16(b + o + 10, tpkt_ip4_csum(b + o));
		o += ihl;
	} else {
		size_t ext_len = 0;
		uint8_t *nh;

		b[o] = (uint8_t)(0x60 | s->tos >> 4);
		b[o + 1] = (uint8_t)((s->tos & 0x0f) << 4 | ((s->flow >> 16) & 0x0f));
		tpkt_put16(b + o + 2, (uint16_t)s->flow);
		b[o + 7] = 64;
		memcpy(b + o + 8, s->src, 16);
		memcpy(b + o + 24, s->dst, 16);
		nh = b + o + 6;
		o += 40;
		for (int i = 0; i < s->n_ext; i++) {
			const struct tpkt_ext *e = &s->ext[i];
			size_t n;

			*nh = e->type;
			nh = b + o;
			if (e->type == 44) {
				n = 8;
				tpkt_put16(b + o + 2, (uint16_t)(e->frag_off << 3 | (e->more ? 1 : 0)));
				memcpy(b + o + 4, "\x12\x34\x56\x78", 4);
			} else if (e->type == 51) {
				n = 12 + (size_t)e->units * 4;          /* AH: (hdrlen+2)*4 */
				b[o + 1] = (uint8_t)(1 + e->units);
			} else {
				n = 8 + (size_t)e->units * 8;
				b[o + 1] = e->units;
				if (e->type == 43)
					b[o + 2] = 4;                   /* SRH-ish, segleft 0 */
				else {
					b[o + 2] = 1;                   /* PadN */
					b[o + 3] = (uint8_t)(n - 4);
				}
			}
			o += n;
			ext_len += n;
		}
		*nh = proto;
		tpkt_put16(b + l3 + 4, (uint16_t)(ext_len + l4len));
	}
	k->l4 = o;
	if (proto == 6) {
		size_t th = 20 + (size_t)s->tcp_opts;

		tpkt_put16(b + o, s->sport);
		tpkt_put16(b + o + 2, s->dport);
		memcpy(b + o + 4, "\x00\x00\x10\x00", 4);      /* seq */
		if (s->tcp_flags & TPKT_ACK)
			memcpy(b + o + 8, "\x00\x00\x20\x00", 4);
		b[o + 12] = (uint8_t)(th / 4 << 4);
		b[o + 13] = s->tcp_flags;
		tpkt_put16(b + o + 14, 64240);
		for (int i = 0; i < s->tcp_opts; i++)    /* MSS 1460, then NOPs */
			b[o + 20 + i] = (uint8_t)(i == 0 ? 2 : i == 1 ? 4 : i == 2 ? 0x05 : i == 3 ? 0xb4 : 1);
		o += th;
	} else if (proto == 17) {
		tpkt_put16(b + o, s->sport);
		tpkt_put16(b + o + 2, s->dport);
		tpkt_put16(b + o + 4, (uint16_t)l4len);
		o += 8;
	}
	for (int i = 0; i < s->payload; i++)
		b[o++] = (uint8_t)('a' + i % 26);
	k->len = o;

	if (proto == 6 || proto == 17) {       /* L4 checksum, pseudo-header */
		uint32_t sum = 0;
		uint8_t ph[4] = { 0, 0, 0, proto };
		size_t ck = k->l4 + (proto == 6 ? 16 : 6);

		if (s->family == 4) {
			sum = tpkt_sum(sum, s->src, 4);
			sum = tpkt_sum(sum, s->dst, 4);
		} else {
			sum = tpkt_sum(sum, s->src, 16);
			sum = tpkt_sum(sum, s->dst, 16);
		}
		sum += (uint32_t)(k->len - k->l4);
		sum = tpkt_sum(sum, ph, 4);
		sum = tpkt_sum(sum, b + k->l4, k->len - k->l4);
		tpkt_put16(b + ck, tpkt_fold(sum));
	}
}

#endif
