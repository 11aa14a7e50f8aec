/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * gen_bg: background and flood packets (see gen_bg.h).
 */
#include <stdlib.h>
#include <string.h>

#include "gen_bg.h"
#include "gen_names.h"
#include "gen_rng.h"

#define POOL 16u
#define DNS_MAX 300u

struct gen_bg {
	struct gen_bg_params p;
	uint64_t rng;
	uint32_t next_host;
	uint32_t pool_next;          /* HTTPS session that takes the next turn */
	struct gen_sess pool[POOL];
};

static const uint8_t mac_edge[6] = { 0x02, 0x00, 0x5e, 0x10, 0x00, 0x01 };
static const uint8_t mac_mx[6] = { 0x02, 0x00, 0x5e, 0x10, 0x00, 0x25 };

static void https_start(struct gen_bg *b, uint32_t i)
{
	uint32_t host = b->next_host++ % 65000u + 256u;

	gen_sess_init_https(&b->pool[i], gen_rng_next(&b->rng), host,
			    (uint16_t)(32768 + gen_rng_below(&b->rng, 28000)));
}

struct gen_bg *gen_bg_create(const struct gen_bg_params *p)
{
	struct gen_bg *b = calloc(1, sizeof(*b));

	if (!b)
		return NULL;
	b->p = *p;
	b->rng = gen_mix64(p->seed ^ 0x6267ull);
	for (uint32_t i = 0; i < POOL; i++)
		https_start(b, i);
	return b;
}

void gen_bg_free(struct gen_bg *b)
{
	free(b);
}

static uint16_t vlan(const struct gen_bg *b, uint16_t vid)
{
	return gen_world_vlan(b->p.env->world) ? vid : 0;
}

static void path_v4(struct gen_path *p, const uint8_t src[4], const uint8_t dst[4],
		    int outbound, uint16_t vid)
{
	memset(p, 0, sizeof(*p));
	p->family = 4;
	p->ttl = outbound ? 64 : 57;
	p->vlan = vid;
	memcpy(p->src, src, 4);
	memcpy(p->dst, dst, 4);
	memcpy(p->mac_src, outbound ? mac_edge : mac_mx, 6);
	memcpy(p->mac_dst, outbound ? mac_mx : mac_edge, 6);
}

static uint64_t stamp(struct gen_bg *b, uint64_t ts)
{
	return gen_wire_stamp(b->p.env->wire, ts);
}

/* An answer @d after @ts, but never past @ts_max: background must not
 * push the capture clock past the next session packet. */
static uint64_t later(uint64_t ts, uint64_t d, uint64_t ts_max)
{
	return ts + d < ts_max ? ts + d : ts_max > ts ? ts_max : ts;
}

/* A/AAAA query for a name under one of the synthetic domains, and its answer. */
static uint32_t dns_pair(struct gen_bg *b, uint64_t ts, uint64_t ts_max)
{
	uint8_t q[DNS_MAX], cli[4] = { 192, 168, 0, 0 }, res[4] = { 192, 0, 2, 53 };
	char dom[GEN_NAME_MAX];
	uint64_t h = gen_rng_next(&b->rng);
	uint32_t n = 12, host = (uint32_t)(h >> 40) % 65000u + 256u;
	uint16_t id = (uint16_t)h, sport = (uint16_t)(1024 + gen_pick(h >> 16, 64000));
	int aaaa = gen_chance(h >> 3, 250);
	struct gen_path up, down;
	const char *label;
	size_t k;

	cli[2] = (uint8_t)(host >> 8);
	cli[3] = (uint8_t)host;
	memset(q, 0, 12);
	q[0] = (uint8_t)(id >> 8);
	q[1] = (uint8_t)id;
	q[2] = 0x01;                              /* RD */
	q[5] = 1;                                 /* QDCOUNT */
	gen_names_domain(dom, h >> 5);
	q[n] = 3;                                 /* "www" or a word, then the domain */
	label = gen_chance(h >> 9, 500) ? "www" : gen_names_word(h >> 11);
	k = strlen(label);
	q[n] = (uint8_t)k;
	memcpy(q + n + 1, label, k);
	n += 1 + (uint32_t)k;
	for (char *l = dom, *dot; *l; l = dot ? dot + 1 : l + strlen(l)) {
		dot = strchr(l, '.');
		k = dot ? (size_t)(dot - l) : strlen(l);
		q[n] = (uint8_t)k;
		memcpy(q + n + 1, l, k);
		n += 1 + (uint32_t)k;
		if (!dot)
			break;
	}
	q[n++] = 0;
	q[n++] = 0;
	q[n++] = aaaa ? 28 : 1;                   /* QTYPE */
	q[n++] = 0;
	q[n++] = 1;                               /* QCLASS IN */
	path_v4(&up, cli, res, 1, vlan(b, 200));
	path_v4(&down, res, cli, 0, vlan(b, 200));
	gen_pcap_udp(b->p.pcap, stamp(b, ts), &up, (uint16_t)(h >> 24), sport, 53, q, n);
	/* The answer: same question, one record pointing at 203.0.113.x. */
	q[2] = 0x81;
	q[3] = 0x80;
	q[7] = 1;                                 /* ANCOUNT */
	q[n++] = 0xc0;
	q[n++] = 0x0c;
	q[n++] = 0;
	q[n++] = aaaa ? 28 : 1;
	q[n++] = 0;
	q[n++] = 1;
	q[n++] = 0;
	q[n++] = 0;
	q[n++] = 0x0e;
	q[n++] = 0x10;                            /* TTL 3600 */
	q[n++] = 0;
	q[n++] = aaaa ? 16 : 4;
	if (aaaa) {
		static const uint8_t v6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x44 };

		memcpy(q + n, v6, 16);
		q[n + 15] = (uint8_t)(h >> 48);
		n += 16;
	} else {
		q[n++] = 203;
		q[n++] = 0;
		q[n++] = 113;
		q[n++] = (uint8_t)(10 + (h >> 48) % 100);
	}
	gen_pcap_udp(b->p.pcap, stamp(b, later(ts, 300 + gen_pick(h >> 30, 20000), ts_max)), &down,
		     (uint16_t)(h >> 32), 53, sport, q, n);
	return 2;
}

static uint32_t echo_pair(struct gen_bg *b, uint64_t ts, uint64_t ts_max)
{
	static const uint8_t payload[32] = "abcdefghijklmnopqrstuvwabcdefghi";
	uint8_t cli[4] = { 192, 168, 0, 0 }, dst[4] = { 203, 0, 113, 0 };
	uint64_t h = gen_rng_next(&b->rng);
	struct gen_path up, down;

	cli[2] = (uint8_t)(h >> 8);
	cli[3] = (uint8_t)(h >> 16);
	dst[3] = (uint8_t)(10 + gen_pick(h >> 24, 100));
	path_v4(&up, cli, dst, 1, vlan(b, 200));
	path_v4(&down, dst, cli, 0, vlan(b, 200));
	gen_pcap_echo(b->p.pcap, stamp(b, ts), &up, (uint16_t)h, 0, (uint16_t)(h >> 32),
		      (uint16_t)(h >> 48), payload, sizeof(payload));
	gen_pcap_echo(b->p.pcap, stamp(b, later(ts, 1000 + gen_pick(h >> 20, 50000), ts_max)), &down,
		      (uint16_t)(h >> 4), 1, (uint16_t)(h >> 32), (uint16_t)(h >> 48),
		      payload, sizeof(payload));
	return 2;
}

/*
 * The pool's sessions take turns in rotation, each at the time it is
 * given: background follows the capture clock instead of moving it.
 */
static uint32_t https_turn(struct gen_bg *b, uint64_t ts)
{
	uint64_t before = gen_pcap_stats(b->p.pcap)->packets;
	uint32_t i = b->pool_next++ % POOL;

	if (gen_sess_turn(&b->pool[i], b->p.env, ts) == GEN_SESS_DONE)
		https_start(b, i);
	return (uint32_t)(gen_pcap_stats(b->p.pcap)->packets - before);
}

uint32_t gen_bg_background(struct gen_bg *b, uint64_t ts, uint64_t ts_max)
{
	uint32_t r = gen_rng_below(&b->rng, 100);

	if (r < 35)
		return dns_pair(b, ts, ts_max);
	if (r < 45)
		return echo_pair(b, ts, ts_max);
	return https_turn(b, ts);
}

uint32_t gen_bg_flood(struct gen_bg *b, uint64_t ts, uint64_t ts_max)
{
	uint64_t h = gen_rng_next(&b->rng), h2 = gen_rng_next(&b->rng);
	const struct gen_world *w = b->p.env->world;
	const struct gen_server *srv = gen_world_server(w, gen_pick(h, gen_world_servers(w)));
	struct gen_path up, down;
	struct gen_tcp_seg syn = {
		.sport = (uint16_t)(1024 + gen_pick(h >> 8, 64511)),
		.dport = 25,
		.seq = (uint32_t)h2,
		.win = (uint16_t)(512 + gen_pick(h2 >> 32, 64000)),
		.ip_id = (uint16_t)(h >> 40),
		.flags = GEN_TCP_SYN,
	};
	uint32_t n = 1;

	memset(&up, 0, sizeof(up));
	up.vlan = vlan(b, 300);
	up.ttl = (uint8_t)(32 + gen_pick(h >> 20, 200));
	memcpy(up.mac_src, mac_edge, 6);
	memcpy(up.mac_dst, mac_mx, 6);
	if (gen_pick(h >> 12, 1000000) < b->p.ipv6_ppm) {
		/* Spoofed sources: anywhere in 2001:db8:8000::/33. */
		static const uint8_t pfx[4] = { 0x20, 0x01, 0x0d, 0xb8 };

		up.family = 6;
		memcpy(up.src, pfx, 4);
		for (int i = 4; i < 16; i++)
			up.src[i] = (uint8_t)(h2 >> (8 * (i % 8))) ^ (uint8_t)(h >> (8 * (i - 4) % 64));
		up.src[4] |= 0x80;
		memcpy(up.dst, srv->addr6, 16);
	} else {
		/* Spoofed sources: anywhere but the client and private ranges. */
		uint32_t a = (uint32_t)(h2 >> 16);
		uint8_t o0 = (uint8_t)(a >> 24);

		if (o0 == 0 || o0 == 10 || o0 == 100 || o0 == 127 || o0 == 192 ||
		    o0 == 198 || o0 == 203 || o0 >= 224)
			a = (a & 0x00ffffffu) | (45u << 24);
		up.family = 4;
		up.src[0] = (uint8_t)(a >> 24);
		up.src[1] = (uint8_t)(a >> 16);
		up.src[2] = (uint8_t)(a >> 8);
		up.src[3] = (uint8_t)a;
		memcpy(up.dst, srv->addr4, 4);
	}
	ts = stamp(b, ts);
	gen_pcap_tcp(b->p.pcap, ts, &up, &syn, NULL, 0);
	if (gen_chance(h >> 30, 250)) { /* the server answers; nobody completes */
		struct gen_tcp_seg sa = {
			.sport = 25,
			.dport = syn.sport,
			.seq = (uint32_t)gen_mix64(h2),
			.ack = syn.seq + 1,
			.win = 65160,
			.ip_id = 0,
			.flags = GEN_TCP_SYN | GEN_TCP_ACK,
			.syn_opts = 1,
		};

		down = up;
		down.ttl = 64;
		memcpy(down.src, up.dst, 16);
		memcpy(down.dst, up.src, 16);
		memcpy(down.mac_src, mac_mx, 6);
		memcpy(down.mac_dst, mac_edge, 6);
		gen_pcap_tcp(b->p.pcap, stamp(b, later(ts, 20 + gen_pick(h >> 40, 100), ts_max)), &down,
			     &sa, NULL, 0);
		n++;
	}
	return n;
}
