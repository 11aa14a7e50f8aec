/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dp_decode: frame bytes -> struct dp_pkt (see dp_decode.h for the contract).
 * Stateless and allocation-free; any lcore may call it concurrently.
 *
 * Every header is taken through a bounds-checked cursor (xdp-tools
 * parsing_helpers.h style): a pull either yields a pointer to n readable
 * bytes or fails, so no path can read past @len. Multi-byte fields are
 * loaded with memcpy because nothing guarantees alignment (a 14-byte
 * Ethernet header puts IP on a 2-byte boundary; VLAN tags and SLL shift it
 * again). There are no per-byte loops: the only loops are the VLAN tag
 * stack (at most 4 turns) and the IPv6 extension chain (at most
 * DP_DECODE_MAX_EXT turns).
 */
#include "dp_decode.h"

#include <endian.h>
#include <stddef.h>
#include <string.h>

/* Bound on IPv6 extension headers followed before giving up. */
#define DP_DECODE_MAX_EXT 8

#define DP_ETH_P_IPV4 0x0800
#define DP_ETH_P_IPV6 0x86dd
#define DP_ETH_P_8021Q 0x8100
#define DP_ETH_P_8021AD 0x88a8
#define DP_ETH_P_QINQ_OLD 0x9100

#define DP_IPPROTO_HOPOPTS 0
#define DP_IPPROTO_TCP 6
#define DP_IPPROTO_ROUTING 43
#define DP_IPPROTO_FRAGMENT 44
#define DP_IPPROTO_AH 51
#define DP_IPPROTO_NONE 59
#define DP_IPPROTO_DSTOPTS 60

/* BSD loopback address families: AF_INET is 2 everywhere; AF_INET6 is 24
 * (NetBSD/OpenBSD), 28 (FreeBSD/DragonFly) or 30 (macOS). */
#define BSD_AF_INET 2
#define BSD_AF_INET6_NETBSD 24
#define BSD_AF_INET6_FREEBSD 28
#define BSD_AF_INET6_DARWIN 30

struct dp_decode_cursor {
	const uint8_t *base;
	uint32_t off;
	uint32_t end;  /* first offset not readable; never above the caplen */
};

/* Pointer to the next @n bytes and advance, or NULL when fewer remain. */
static inline const uint8_t *cur_pull(struct dp_decode_cursor *c, uint32_t n)
{
	const uint8_t *p;

	if (n > c->end - c->off)
		return NULL;
	p = c->base + c->off;
	c->off += n;
	return p;
}

/* Like cur_pull but does not advance (to peek at a length field first). */
static inline const uint8_t *cur_peek(const struct dp_decode_cursor *c,
				      uint32_t n)
{
	return n > c->end - c->off ? NULL : c->base + c->off;
}

static inline uint16_t ld_be16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, sizeof(v));
	return be16toh(v);
}

static inline uint32_t ld_be32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return be32toh(v);
}

static inline uint32_t ld_le32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return le32toh(v);
}

/* Map a BSD loopback family to an ethertype so one dispatch serves all. */
static inline uint16_t bsd_family_to_ethertype(uint32_t fam)
{
	switch (fam) {
	case BSD_AF_INET:
		return DP_ETH_P_IPV4;
	case BSD_AF_INET6_NETBSD:
	case BSD_AF_INET6_FREEBSD:
	case BSD_AF_INET6_DARWIN:
		return DP_ETH_P_IPV6;
	default:
		return 0;
	}
}

static inline int is_vlan_tpid(uint16_t t)
{
	return t == DP_ETH_P_8021Q || t == DP_ETH_P_8021AD ||
	       t == DP_ETH_P_QINQ_OLD;
}

/*
 * Walk stacked VLAN tags; @ethertype is the type field just consumed and is
 * replaced by the innermost one. Shared by Ethernet and Linux cooked, since
 * an SLL capture taken without VLAN offload keeps the tags in the same shape.
 */
static inline int parse_vlans(struct dp_decode_cursor *c, uint16_t *ethertype,
			      struct dp_pkt *pkt)
{
	uint16_t t = *ethertype;
	const uint8_t *tag;

	while (is_vlan_tpid(t)) {
		if (pkt->vlan_depth == DP_DECODE_MAX_VLANS)
			return DP_DECODE_MALFORMED;
		tag = cur_pull(c, 4); /* TCI, then the next type */
		if (!tag)
			return DP_DECODE_MALFORMED;
		pkt->vlan[pkt->vlan_depth++] = ld_be16(tag) & 0x0fff;
		t = ld_be16(tag + 2);
	}
	*ethertype = t;
	return DP_DECODE_TCP;
}

/*
 * Link layer -> ethertype of the network header at the cursor. Returns
 * DP_DECODE_TCP to mean "continue", or the final result.
 */
static inline int parse_link(struct dp_decode_cursor *c, int linktype,
			     uint16_t *ret_ethertype, struct dp_pkt *pkt)
{
	const uint8_t *h;
	uint32_t fam;

	switch (linktype) {
	case DP_LINK_ETHERNET:
		h = cur_pull(c, 14);
		if (!h)
			return DP_DECODE_MALFORMED;
		*ret_ethertype = ld_be16(h + 12);
		return parse_vlans(c, ret_ethertype, pkt);
	case DP_LINK_NULL:
		h = cur_pull(c, 4);
		if (!h)
			return DP_DECODE_MALFORMED;
		/* Host order of the capturing machine, unknown to us: the
		 * families are small, so the order that reads small wins. */
		fam = ld_le32(h);
		if (fam > 0xffff)
			fam = ld_be32(h);
		*ret_ethertype = bsd_family_to_ethertype(fam);
		return DP_DECODE_TCP;
	case DP_LINK_LOOP:
		h = cur_pull(c, 4);
		if (!h)
			return DP_DECODE_MALFORMED;
		*ret_ethertype = bsd_family_to_ethertype(ld_be32(h));
		return DP_DECODE_TCP;
	case DP_LINK_RAW:
		h = cur_peek(c, 1);
		if (!h)
			return DP_DECODE_MALFORMED;
		*ret_ethertype = (h[0] >> 4) == 6 ? DP_ETH_P_IPV6 : DP_ETH_P_IPV4;
		return DP_DECODE_TCP; /* a bad version fails in the IP parser */
	case DP_LINK_LINUX_SLL:
		h = cur_pull(c, 16);
		if (!h)
			return DP_DECODE_MALFORMED;
		*ret_ethertype = ld_be16(h + 14);
		return parse_vlans(c, ret_ethertype, pkt);
	case DP_LINK_LINUX_SLL2:
		h = cur_pull(c, 20);
		if (!h)
			return DP_DECODE_MALFORMED;
		*ret_ethertype = ld_be16(h);
		return parse_vlans(c, ret_ethertype, pkt);
	default:
		return DP_DECODE_NOT_IP;
	}
}

/*
 * IPv4 header at the cursor. On success the cursor sits on the transport
 * header and its end is clamped to the IP total length.
 */
static inline int parse_ipv4(struct dp_decode_cursor *c, struct dp_pkt *pkt,
			     uint8_t *ret_proto)
{
	const uint8_t *ip = cur_peek(c, 20);
	uint32_t hlen, total, start = c->off;

	if (!ip || (ip[0] >> 4) != 4)
		return DP_DECODE_MALFORMED;
	hlen = (uint32_t)(ip[0] & 0x0f) * 4;
	total = ld_be16(ip + 2);
	if (hlen < 20 || total < hlen || !cur_pull(c, hlen))
		return DP_DECODE_MALFORMED;
	/* Ethernet pads short frames to 60 bytes: the IP length, not the
	 * frame length, says where the payload ends; a short capture can
	 * only make it shorter. */
	if (total < c->end - start)
		c->end = start + total;

	pkt->family = 4;
	pkt->l3_off = (uint16_t)start;
	pkt->ip_options = hlen > 20;
	memcpy(pkt->src, ip + 12, 4);
	memset(pkt->src + 4, 0, 12);
	memcpy(pkt->dst, ip + 16, 4);
	memset(pkt->dst + 4, 0, 12);
	/* MF or a non-zero offset: even the first fragment lacks the rest of
	 * the segment, so no fragment is ever handed on as TCP. */
	if (ld_be16(ip + 6) & 0x3fff)
		return DP_DECODE_FRAGMENT;
	*ret_proto = ip[9];
	return DP_DECODE_TCP;
}

/* IPv6 header and extension chain; cursor ends on the transport header. */
static inline int parse_ipv6(struct dp_decode_cursor *c, struct dp_pkt *pkt,
			     uint8_t *ret_proto)
{
	const uint8_t *ip = cur_pull(c, 40), *ext;
	uint32_t plen, hlen;
	uint8_t nh;
	int i;

	if (!ip || (ip[0] >> 4) != 6)
		return DP_DECODE_MALFORMED;
	/* Payload length 0 is a jumbogram (or a TSO capture): trust caplen. */
	plen = ld_be16(ip + 4);
	if (plen && plen < c->end - c->off)
		c->end = c->off + plen;

	pkt->family = 6;
	pkt->l3_off = (uint16_t)(c->off - 40);
	pkt->ip_options = 0;
	memcpy(pkt->src, ip + 8, 16);
	memcpy(pkt->dst, ip + 24, 16);

	nh = ip[6];
	for (i = 0; i < DP_DECODE_MAX_EXT; i++) {
		switch (nh) {
		case DP_IPPROTO_HOPOPTS:
		case DP_IPPROTO_ROUTING:
		case DP_IPPROTO_DSTOPTS:
			ext = cur_peek(c, 8);
			if (!ext)
				return DP_DECODE_MALFORMED;
			hlen = ((uint32_t)ext[1] + 1) * 8;
			break;
		case DP_IPPROTO_AH:
			ext = cur_peek(c, 12); /* fixed part of AH */
			if (!ext)
				return DP_DECODE_MALFORMED;
			hlen = ((uint32_t)ext[1] + 2) * 4;
			break;
		case DP_IPPROTO_FRAGMENT:
			return DP_DECODE_FRAGMENT;
		default:
			/* Upper layer, DP_IPPROTO_NONE included: the
			 * caller turns anything but TCP into NOT_TCP. */
			*ret_proto = nh;
			return DP_DECODE_TCP;
		}
		if (!cur_pull(c, hlen))
			return DP_DECODE_MALFORMED;
		pkt->ip_options = 1;
		nh = ext[0];
	}
	/* A longer chain is either hostile or broken. */
	return DP_DECODE_MALFORMED;
}

int dp_decode(const uint8_t *frame, uint32_t len, int linktype,
	      struct dp_pkt *ret_pkt)
{
	struct dp_decode_cursor c = { .base = frame, .off = 0, .end = len };
	const uint8_t *tcp;
	uint16_t ethertype = 0;
	uint32_t thlen;
	uint8_t proto = 0;
	int rc;

	ret_pkt->vlan_depth = 0;
	memset(ret_pkt->vlan, 0, sizeof(ret_pkt->vlan));
	rc = parse_link(&c, linktype, &ethertype, ret_pkt);
	if (rc != DP_DECODE_TCP)
		return rc;

	if (ethertype == DP_ETH_P_IPV4)
		rc = parse_ipv4(&c, ret_pkt, &proto);
	else if (ethertype == DP_ETH_P_IPV6)
		rc = parse_ipv6(&c, ret_pkt, &proto);
	else
		return DP_DECODE_NOT_IP;
	if (rc != DP_DECODE_TCP)
		return rc;
	if (proto != DP_IPPROTO_TCP)
		return DP_DECODE_NOT_TCP;

	tcp = cur_peek(&c, 20);
	if (!tcp)
		return DP_DECODE_MALFORMED;
	thlen = (uint32_t)(tcp[12] >> 4) * 4;
	if (thlen < 20 || !cur_pull(&c, thlen))
		return DP_DECODE_MALFORMED;

	ret_pkt->sport = ld_be16(tcp);
	ret_pkt->dport = ld_be16(tcp + 2);
	ret_pkt->seq = ld_be32(tcp + 4);
	ret_pkt->ack = ld_be32(tcp + 8);
	ret_pkt->tcp_flags = tcp[13];
	ret_pkt->payload = frame + c.off;
	ret_pkt->payload_len = c.end - c.off;
	return DP_DECODE_TCP;
}
