/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dp_hold: the inline greet hold (see dp_hold.h). Flows live in buckets of
 * BUCKET slots (no chains: bounded probes, bounded memory); holding flows
 * are also on a FIFO in release order (every hold is hold_ns long, so the
 * order they started in is the order they end in); held frames are a pool
 * of entries linked per flow.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dp_decode.h"
#include "dp_hold.h"

#define BUCKET 8
#define NIL UINT32_MAX

enum { FREE = 0, ARMED, HOLDING };

struct hkey {
	uint8_t client[16];
	uint8_t server[16];
	uint16_t cport, sport;
	uint16_t vlan;
	uint8_t family;
	uint8_t pad;
};

struct slot {
	struct hkey key;
	uint64_t t;        /* ARMED: expiry; HOLDING: release time */
	uint32_t head, tail; /* held frames (pool indices) */
	uint32_t next;     /* next holding flow on the FIFO */
	uint16_t count;
	uint8_t state;
};

struct entry {
	void *frame;
	uint32_t port;
	uint32_t next;
};

struct dp_hold {
	struct dp_hold_params p;
	uint16_t ports[DP_HOLD_MAX_PORTS];
	struct slot *slots;
	uint32_t mask;       /* buckets - 1 */
	struct entry *pool;
	uint32_t free_head;
	uint32_t fifo_head, fifo_tail;
	struct dp_hold_stats st;
};

struct dp_hold *dp_hold_create(const struct dp_hold_params *p)
{
	struct dp_hold *h;
	uint32_t nb = 1;

	if (!p || !p->hold_ns || !p->n_smtp_ports || !p->smtp_ports) {
		errno = EINVAL;
		return NULL;
	}
	h = calloc(1, sizeof(*h));
	if (!h)
		return NULL;
	h->p = *p;
	if (!h->p.arm_ns)
		h->p.arm_ns = 30ull * 1000000000ull;
	if (!h->p.max_flows)
		h->p.max_flows = 65536;
	if (!h->p.max_packets)
		h->p.max_packets = 4096;
	if (!h->p.per_flow)
		h->p.per_flow = 16;
	if (h->p.n_smtp_ports > DP_HOLD_MAX_PORTS)
		h->p.n_smtp_ports = DP_HOLD_MAX_PORTS;
	memcpy(h->ports, p->smtp_ports, h->p.n_smtp_ports * sizeof(h->ports[0]));
	h->p.smtp_ports = h->ports;
	while ((uint64_t)nb * BUCKET < h->p.max_flows)
		nb <<= 1;
	h->mask = nb - 1;
	h->slots = calloc((size_t)nb * BUCKET, sizeof(*h->slots));
	h->pool = calloc(h->p.max_packets, sizeof(*h->pool));
	if (!h->slots || !h->pool) {
		dp_hold_destroy(h);
		errno = ENOMEM;
		return NULL;
	}
	for (uint32_t i = 0; i < h->p.max_packets; i++)
		h->pool[i].next = i + 1 < h->p.max_packets ? i + 1 : NIL;
	h->free_head = 0;
	h->fifo_head = h->fifo_tail = NIL;
	return h;
}

void dp_hold_destroy(struct dp_hold *h)
{
	if (!h)
		return;
	free(h->slots);
	free(h->pool);
	free(h);
}

static int is_smtp(const struct dp_hold *h, uint16_t port)
{
	for (uint32_t i = 0; i < h->p.n_smtp_ports; i++)
		if (h->ports[i] == port)
			return 1;
	return 0;
}

static uint32_t key_hash(const struct hkey *k)
{
	const uint8_t *b = (const uint8_t *)k;
	uint64_t x = 0x9e3779b97f4a7c15ull;

	for (size_t i = 0; i < sizeof(*k); i++)
		x = (x ^ b[i]) * 0x100000001b3ull;
	return (uint32_t)(x ^ (x >> 32));
}

/* The flow's slot, or NULL; an armed flow past its expiry is freed. */
static struct slot *lookup(struct dp_hold *h, const struct hkey *k, uint32_t hash, uint64_t now)
{
	struct slot *b = &h->slots[(size_t)(hash & h->mask) * BUCKET];

	for (unsigned i = 0; i < BUCKET; i++) {
		if (b[i].state == FREE || memcmp(&b[i].key, k, sizeof(*k)) != 0)
			continue;
		if (b[i].state == ARMED && now > b[i].t) {
			b[i].state = FREE;
			return NULL;
		}
		return &b[i];
	}
	return NULL;
}

/* A slot for a new armed flow: free, expired, else the oldest armed one. */
static struct slot *claim(struct dp_hold *h, uint32_t hash, uint64_t now)
{
	struct slot *b = &h->slots[(size_t)(hash & h->mask) * BUCKET];
	struct slot *oldest = NULL;

	for (unsigned i = 0; i < BUCKET; i++) {
		if (b[i].state == FREE || (b[i].state == ARMED && now > b[i].t))
			return &b[i];
		if (b[i].state == ARMED && (!oldest || b[i].t < oldest->t))
			oldest = &b[i];
	}
	return oldest;
}

/* Append @frame to @s's held frames; -1 when no entry is left. */
static int push(struct dp_hold *h, struct slot *s, void *frame, uint32_t port)
{
	uint32_t e = h->free_head;

	if (e == NIL)
		return -1;
	h->free_head = h->pool[e].next;
	h->pool[e] = (struct entry){ .frame = frame, .port = port, .next = NIL };
	if (s->count)
		h->pool[s->tail].next = e;
	else
		s->head = e;
	s->tail = e;
	s->count++;
	h->st.frames_held++;
	h->st.holding++;
	return 0;
}

static int server_frame(struct dp_hold *h, const struct dp_pkt *pk, const struct hkey *k,
			void *frame, uint32_t port, uint64_t now)
{
	uint32_t hash = key_hash(k);
	struct slot *s = lookup(h, k, hash, now);

	if ((pk->tcp_flags & (DP_TCP_SYN | DP_TCP_ACK)) == (DP_TCP_SYN | DP_TCP_ACK) && !s) {
		s = claim(h, hash, now);
		if (s) {
			s->key = *k;
			s->state = ARMED;
			s->count = 0;
			s->t = now + h->p.arm_ns;
			h->st.armed++;
		}
		return DP_HOLD_PASS;
	}
	if (!s)
		return DP_HOLD_PASS;
	if (s->state == HOLDING) {
		/* In order behind the banner; past the bound the server
		 * retransmits what is dropped. */
		if (s->count >= h->p.per_flow || push(h, s, frame, port) != 0) {
			h->st.dropped++;
			return DP_HOLD_DROP;
		}
		return DP_HOLD_HELD;
	}
	if (!pk->payload_len) {
		if (pk->tcp_flags & (DP_TCP_FIN | DP_TCP_RST))
			s->state = FREE;
		return DP_HOLD_PASS;
	}
	/* The banner. */
	if (push(h, s, frame, port) != 0) {
		s->state = FREE;
		h->st.full++;
		return DP_HOLD_PASS;
	}
	s->state = HOLDING;
	s->t = now + h->p.hold_ns;
	s->next = NIL;
	if (h->fifo_tail != NIL)
		h->slots[h->fifo_tail].next = (uint32_t)(s - h->slots);
	else
		h->fifo_head = (uint32_t)(s - h->slots);
	h->fifo_tail = (uint32_t)(s - h->slots);
	h->st.flows_held++;
	return DP_HOLD_HELD;
}

int dp_hold_offer(struct dp_hold *h, const uint8_t *bytes, uint32_t len,
		  void *frame, uint32_t port, uint64_t now)
{
	struct dp_pkt pk;
	struct hkey k;
	int server;
	struct slot *s;

	if (dp_decode(bytes, len, h->p.linktype, &pk) != DP_DECODE_TCP)
		return DP_HOLD_PASS;
	if (is_smtp(h, pk.sport))
		server = 1;
	else if (is_smtp(h, pk.dport))
		server = 0;
	else
		return DP_HOLD_PASS;
	memset(&k, 0, sizeof(k));
	k.family = pk.family;
	k.vlan = pk.vlan_depth ? pk.vlan[0] : 0;
	memcpy(k.client, server ? pk.dst : pk.src, 16);
	memcpy(k.server, server ? pk.src : pk.dst, 16);
	k.cport = server ? pk.dport : pk.sport;
	k.sport = server ? pk.sport : pk.dport;
	if (server)
		return server_frame(h, &pk, &k, frame, port, now);
	/* The client: what it says while the banner is held is the point;
	 * speaking first on an armed flow (implicit TLS) ends the arming. */
	s = lookup(h, &k, key_hash(&k), now);
	if (s && s->state == ARMED &&
	    (pk.payload_len || (pk.tcp_flags & (DP_TCP_FIN | DP_TCP_RST)))) {
		s->state = FREE;
		if (pk.payload_len)
			h->st.disarmed++;
	}
	return DP_HOLD_PASS;
}

uint32_t dp_hold_release(struct dp_hold *h, uint64_t now,
			 struct dp_hold_frame *out, uint32_t max)
{
	uint32_t n = 0;

	while (n < max && h->fifo_head != NIL) {
		struct slot *s = &h->slots[h->fifo_head];

		if (s->t > now)
			break;
		while (n < max && s->count) {
			struct entry *e = &h->pool[s->head];
			uint32_t next = e->next;

			out[n++] = (struct dp_hold_frame){ .frame = e->frame, .port = e->port };
			e->next = h->free_head;
			h->free_head = s->head;
			s->head = next;
			s->count--;
			h->st.holding--;
			h->st.released++;
		}
		if (s->count)
			break;
		h->fifo_head = s->next;
		if (h->fifo_head == NIL)
			h->fifo_tail = NIL;
		s->state = FREE;
	}
	return n;
}

uint64_t dp_hold_next(const struct dp_hold *h)
{
	return h->fifo_head == NIL ? UINT64_MAX : h->slots[h->fifo_head].t;
}

void dp_hold_get_stats(const struct dp_hold *h, struct dp_hold_stats *st)
{
	*st = h->st;
}
