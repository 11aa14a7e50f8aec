/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Header-only, bounds-checked packet parsing for the XDP and TC programs,
 * in the style of xdp-tools' parsing_helpers.h: a cursor (pos, end) walks
 * Ethernet -> up to two VLAN tags (802.1Q / 802.1ad, QinQ) -> IPv4 (with
 * options) or IPv6 (bounded extension-header walk) -> TCP. Every read is
 * preceded by a check against end, so the verifier accepts it; every loop
 * is unrolled with a fixed bound. No state, no maps: callable from any
 * program type that has direct packet access.
 *
 * mxs_parse_pkt() answers one of three things:
 *   MXS_PARSE_TCP    a TCP header was found; p->l3/p->tcp/ports/flags valid
 *   MXS_PARSE_OTHER  well formed but nothing to judge: not IP, not TCP,
 *                    a non-first fragment (no ports), ESP, no-next-header
 *   MXS_PARSE_ERR    truncated or malformed at some header, or deeper than
 *                    the walk limits (a third VLAN tag, more than
 *                    MXS_IPV6_EXT_MAX extension headers)
 */
#ifndef MXS_PARSE_H
#define MXS_PARSE_H

#include <linux/types.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define MXS_VLAN_MAX 2          /* QinQ: outer 802.1ad (or 802.1Q) + inner */
#define MXS_IPV6_EXT_MAX 6      /* extension headers walked before giving up */

enum {
	MXS_PARSE_ERR = -1,
	MXS_PARSE_TCP = 0,
	MXS_PARSE_OTHER = 1,
};

struct mxs_cursor {
	void *pos;
	void *end;
};

struct mxs_vlan_hdr {
	__be16 tci;
	__be16 encap_proto;
};

struct mxs_ip6_ext {            /* the common prefix of HBH, routing, dstopts */
	__u8 nexthdr;
	__u8 hdrlen;
};

struct mxs_ip6_frag {
	__u8 nexthdr;
	__u8 reserved;
	__be16 frag_off;        /* offset << 3 | M */
	__be32 identification;
};

/* What the programs need from a packet. Pointers are packet pointers the
 * parser has bounds-checked (l3 for its fixed header, tcp for doff * 4). */
struct mxs_pkt {
	void *l3;               /* struct iphdr * or struct ipv6hdr * */
	struct tcphdr *tcp;
	__u16 sport;            /* host order */
	__u16 dport;            /* host order */
	__u8 family;            /* 4 or 6 */
	__u8 syn_only;          /* SYN set, ACK clear: a new connection */
};

static __always_inline int mxs_vlan_proto(__be16 proto)
{
	return proto == bpf_htons(ETH_P_8021Q) || proto == bpf_htons(ETH_P_8021AD);
}

/* Ethernet and up to MXS_VLAN_MAX tags. Returns the inner EtherType
 * (network order) in *ret_proto, 0 on success, -1 if truncated or if a
 * further tag follows the last one allowed. */
static __always_inline int mxs_parse_eth(struct mxs_cursor *c, __be16 *ret_proto)
{
	struct ethhdr *eth = c->pos;
	__be16 proto;

	if ((void *)(eth + 1) > c->end)
		return -1;
	c->pos = eth + 1;
	proto = eth->h_proto;
#pragma unroll
	for (int i = 0; i < MXS_VLAN_MAX; i++) {
		struct mxs_vlan_hdr *vh = c->pos;

		if (!mxs_vlan_proto(proto))
			break;
		if ((void *)(vh + 1) > c->end)
			return -1;
		c->pos = vh + 1;
		proto = vh->encap_proto;
	}
	if (mxs_vlan_proto(proto))
		return -1;
	*ret_proto = proto;
	return 0;
}

/* Returned instead of an L4 protocol for a fragment other than the first:
 * it carries no TCP header, so there is nothing to judge. */
#define MXS_L4_NONFIRST_FRAG (-2)

/* IPv4 header including options (ihl). Returns the L4 protocol,
 * MXS_L4_NONFIRST_FRAG, or -1 if truncated or malformed. A first fragment
 * (offset 0, MF set) holds the TCP header and is judged like any packet. */
static __always_inline int mxs_parse_ip4(struct mxs_cursor *c, struct iphdr **ret_iph)
{
	struct iphdr *iph = c->pos;
	__u32 hlen;

	if ((void *)(iph + 1) > c->end)
		return -1;
	if (iph->version != 4 || iph->ihl < 5)
		return -1;
	hlen = (__u32)iph->ihl * 4;
	if (c->pos + hlen > c->end)
		return -1;
	c->pos += hlen;
	*ret_iph = iph;
	if (iph->frag_off & bpf_htons(0x1fff))
		return MXS_L4_NONFIRST_FRAG;
	return iph->protocol;
}

/* IPv6 fixed header, then hop-by-hop, routing, destination options, AH
 * and fragment headers, at most MXS_IPV6_EXT_MAX of them. Returns the
 * upper-layer protocol, MXS_L4_NONFIRST_FRAG, or -1. */
static __always_inline int mxs_parse_ip6(struct mxs_cursor *c, struct ipv6hdr **ret_ip6h)
{
	struct ipv6hdr *ip6h = c->pos;
	__u8 nh;

	if ((void *)(ip6h + 1) > c->end)
		return -1;
	if (ip6h->version != 6)
		return -1;
	c->pos = ip6h + 1;
	*ret_ip6h = ip6h;
	nh = ip6h->nexthdr;
#pragma unroll
	for (int i = 0; i < MXS_IPV6_EXT_MAX; i++) {
		struct mxs_ip6_ext *ext = c->pos;
		struct mxs_ip6_frag *fh = c->pos;

		switch (nh) {
		case IPPROTO_HOPOPTS:
		case IPPROTO_ROUTING:
		case IPPROTO_DSTOPTS:
			if ((void *)(ext + 1) > c->end)
				return -1;
			nh = ext->nexthdr;
			c->pos += ((__u32)ext->hdrlen + 1) * 8;
			break;
		case IPPROTO_AH:
			if ((void *)(ext + 1) > c->end)
				return -1;
			nh = ext->nexthdr;
			c->pos += ((__u32)ext->hdrlen + 2) * 4;
			break;
		case IPPROTO_FRAGMENT:
			if ((void *)(fh + 1) > c->end)
				return -1;
			if (fh->frag_off & bpf_htons(0xfff8))
				return MXS_L4_NONFIRST_FRAG;
			nh = fh->nexthdr;
			c->pos = fh + 1;
			break;
		default:
			return nh;
		}
	}
	switch (nh) {
	case IPPROTO_HOPOPTS:
	case IPPROTO_ROUTING:
	case IPPROTO_DSTOPTS:
	case IPPROTO_AH:
	case IPPROTO_FRAGMENT:
		return -1;      /* chain longer than we walk */
	}
	return nh;
}

/* TCP header including options (doff * 4 bytes must be present). */
static __always_inline int mxs_parse_tcp(struct mxs_cursor *c, struct tcphdr **ret_tcph)
{
	struct tcphdr *th = c->pos;
	__u32 hlen;

	if ((void *)(th + 1) > c->end)
		return -1;
	hlen = (__u32)th->doff * 4;
	if (hlen < sizeof(*th))
		return -1;
	if (c->pos + hlen > c->end)
		return -1;
	c->pos += hlen;
	*ret_tcph = th;
	return 0;
}

static __always_inline int mxs_parse_pkt(void *data, void *data_end, struct mxs_pkt *p)
{
	struct mxs_cursor c = { .pos = data, .end = data_end };
	struct tcphdr *th;
	__be16 proto;
	int l4;

	if (mxs_parse_eth(&c, &proto) < 0)
		return MXS_PARSE_ERR;
	if (proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *iph = 0;

		l4 = mxs_parse_ip4(&c, &iph);
		p->l3 = iph;
		p->family = 4;
	} else if (proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6h = 0;

		l4 = mxs_parse_ip6(&c, &ip6h);
		p->l3 = ip6h;
		p->family = 6;
	} else {
		return MXS_PARSE_OTHER;
	}
	if (l4 == -1)
		return MXS_PARSE_ERR;
	if (l4 != IPPROTO_TCP)
		return MXS_PARSE_OTHER;
	if (mxs_parse_tcp(&c, &th) < 0)
		return MXS_PARSE_ERR;
	p->tcp = th;
	p->sport = bpf_ntohs(th->source);
	p->dport = bpf_ntohs(th->dest);
	p->syn_only = th->syn && !th->ack;
	return MXS_PARSE_TCP;
}

#endif
