/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dp_decode: packet bytes -> TCP segment description. Pure C, no DPDK types,
 * no allocation, no state: callable from any lcore.
 *
 * Link layers: Ethernet (with up to 3 stacked 802.1Q/802.1ad tags), BSD
 * loopback (DLT_NULL/DLT_LOOP), raw IP, Linux cooked (SLL, SLL2).
 * IPv4 with options; IPv6 with its extension-header chain (hop-by-hop,
 * routing, destination options, fragment, AH). Checksums are never checked.
 * Fragments: any IPv4/IPv6 fragment returns DP_DECODE_FRAGMENT; a non-first
 * fragment never yields ports (and so never a flow key).
 */
#ifndef DP_DECODE_H
#define DP_DECODE_H

#include <stdint.h>

/* Link types, numbered as libpcap's LINKTYPE_* values. */
enum dp_linktype {
	DP_LINK_NULL = 0,      /* BSD loopback, 4-byte host-order family */
	DP_LINK_ETHERNET = 1,
	DP_LINK_RAW = 101,     /* raw IPv4/IPv6 */
	DP_LINK_LOOP = 108,    /* OpenBSD loopback, network-order family */
	DP_LINK_LINUX_SLL = 113,
	DP_LINK_LINUX_SLL2 = 276,
};

enum dp_decode_result {
	DP_DECODE_TCP = 0,      /* ret_pkt fully filled */
	DP_DECODE_NOT_IP,       /* ARP, LLDP, unknown ethertype or link type */
	DP_DECODE_NOT_TCP,      /* IP but not TCP (UDP, ICMP, ...) */
	DP_DECODE_FRAGMENT,     /* IP fragment; addresses filled, ports not */
	DP_DECODE_MALFORMED,    /* truncated or inconsistent headers */
};

#define DP_DECODE_MAX_VLANS 3

/* TCP flag bits as on the wire. */
#define DP_TCP_FIN 0x01
#define DP_TCP_SYN 0x02
#define DP_TCP_RST 0x04
#define DP_TCP_PSH 0x08
#define DP_TCP_ACK 0x10

struct dp_pkt {
	const uint8_t *payload;   /* TCP payload inside the frame */
	uint32_t payload_len;     /* bounded by IP total length and caplen */
	uint32_t seq;             /* host order */
	uint32_t ack;             /* host order */
	uint16_t sport;           /* host order */
	uint16_t dport;           /* host order */
	uint16_t vlan[DP_DECODE_MAX_VLANS]; /* VIDs, outermost first */
	uint8_t vlan_depth;
	uint16_t l3_off;          /* the IP header's offset in the frame */
	uint8_t family;           /* 4 or 6 */
	uint8_t tcp_flags;
	uint8_t ip_options;       /* 1 when IPv4 options or IPv6 ext headers present */
	uint8_t src[16];          /* IPv4: first 4 bytes, rest zero */
	uint8_t dst[16];
};

/*
 * Decode one frame of link type @linktype. Returns an enum dp_decode_result.
 * On DP_DECODE_TCP every field of @ret_pkt is set; on DP_DECODE_FRAGMENT
 * family/src/dst are set; otherwise @ret_pkt contents are unspecified.
 * Frames with more than DP_DECODE_MAX_VLANS tags are DP_DECODE_MALFORMED.
 */
int dp_decode(const uint8_t *frame, uint32_t len, int linktype,
	      struct dp_pkt *ret_pkt);

#endif
