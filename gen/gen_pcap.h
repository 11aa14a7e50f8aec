/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * gen_pcap: classic pcap writer (Ethernet, microsecond timestamps) that
 * builds the frames itself: optional 802.1Q tag, IPv4 or IPv6, then TCP,
 * UDP or ICMP echo, with every checksum computed. One writer per output
 * file, single-threaded. Frames go through one fixed buffer and reach the
 * file with large write(2) calls; nothing is allocated per packet.
 * Errors are sticky: after a failed write every call returns it again.
 */
#ifndef GEN_PCAP_H
#define GEN_PCAP_H

#include <stdint.h>

#define GEN_PCAP_MAX_PAYLOAD 1500u

/* One direction of a conversation, as the frame headers spell it. */
struct gen_path {
	uint8_t family;        /* 4 or 6 */
	uint8_t ttl;           /* IPv4 TTL or IPv6 hop limit */
	uint16_t vlan;         /* 802.1Q VID, 0: untagged */
	uint8_t src[16];       /* IPv4: first 4 bytes */
	uint8_t dst[16];
	uint8_t mac_src[6];
	uint8_t mac_dst[6];
};

/* TCP header fields of one segment (host order). */
struct gen_tcp_seg {
	uint16_t sport;
	uint16_t dport;
	uint32_t seq;
	uint32_t ack;
	uint16_t win;
	uint16_t ip_id;
	uint8_t flags;         /* GEN_TCP_* */
	uint8_t syn_opts;      /* add MSS, window scale and SACK-permitted */
};

#define GEN_TCP_FIN 0x01
#define GEN_TCP_SYN 0x02
#define GEN_TCP_RST 0x04
#define GEN_TCP_PSH 0x08
#define GEN_TCP_ACK 0x10

struct gen_pcap_params {
	const char *path;      /* "-": standard output */
};

struct gen_pcap_stats {
	uint64_t packets;
	uint64_t bytes;        /* frame bytes */
};

struct gen_pcap;

/* Create the file and write the global header; NULL with errno set. */
struct gen_pcap *gen_pcap_open(const struct gen_pcap_params *p);

/* Flush, close and free (NULL: no-op); 0 or the first -errno seen. */
int gen_pcap_close(struct gen_pcap *w);

/* Frames; @len <= GEN_PCAP_MAX_PAYLOAD. 0 or -errno. */
int gen_pcap_tcp(struct gen_pcap *w, uint64_t ts_us, const struct gen_path *p,
		 const struct gen_tcp_seg *t, const uint8_t *payload, uint32_t len);
int gen_pcap_udp(struct gen_pcap *w, uint64_t ts_us, const struct gen_path *p,
		 uint16_t ip_id, uint16_t sport, uint16_t dport,
		 const uint8_t *payload, uint32_t len);
/* ICMP (IPv4) or ICMPv6 echo request, or reply when @reply. */
int gen_pcap_echo(struct gen_pcap *w, uint64_t ts_us, const struct gen_path *p,
		  uint16_t ip_id, int reply, uint16_t id, uint16_t seq,
		  const uint8_t *payload, uint32_t len);

const struct gen_pcap_stats *gen_pcap_stats(const struct gen_pcap *w);

#endif
