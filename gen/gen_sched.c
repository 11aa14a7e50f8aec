/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * gen_sched: heap of live sessions and packet shares (see gen_sched.h).
 *
 * Heap keys are (time relative to the capture start) << 20 | slot, so
 * equal times break ties by slot and the order is total: the same seed
 * always gives the same packets.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "gen_bg.h"
#include "gen_rng.h"
#include "gen_sched.h"
#include "gen_sess.h"
#include "gen_truth.h"

#define SLOT_BITS 20u
#define SLOT_MASK ((1u << SLOT_BITS) - 1u)
#define BASE_US 1704096000000000ull  /* 2024-01-01T08:00:00Z */
#define RAMP_US 200000u              /* first connections start within this */
#define GAP_US 4000u                 /* a freed slot waits up to this */

enum { T_CLIENT = 200, T_SERVER, T_START, T_GAP };

struct heap {
	uint64_t *k;
	uint32_t n;
};

static void sift_down(struct heap *h, uint32_t i)
{
	uint64_t v = h->k[i];

	for (;;) {
		uint32_t c = 2 * i + 1;

		if (c >= h->n)
			break;
		if (c + 1 < h->n && h->k[c + 1] < h->k[c])
			c++;
		if (h->k[c] >= v)
			break;
		h->k[i] = h->k[c];
		i = c;
	}
	h->k[i] = v;
}

static void sift_up(struct heap *h, uint32_t i)
{
	uint64_t v = h->k[i];

	while (i) {
		uint32_t p = (i - 1) / 2;

		if (h->k[p] <= v)
			break;
		h->k[i] = h->k[p];
		i = p;
	}
	h->k[i] = v;
}

struct run {
	const struct gen_sched_params *p;
	struct gen_sess_env env;
	struct gen_sess *slots;
	struct heap heap;
	struct gen_bg *bg;
	struct gen_sched_stats st;
	uint64_t started;
	double credit_bg;
	double credit_flood;
	int err;
};

/*
 * Start connection number `started` in @slot at @t. Clients take turns,
 * so connection i is the k = i / clients'th of its client, and its port,
 * a bijection of k modulo 64512, stays unique for the first 64512
 * connections of every client (5-tuples never repeat below that).
 */
static void start(struct run *r, uint32_t slot, uint64_t t)
{
	const struct gen_sched_params *p = r->p;
	uint64_t i = r->started++;
	uint32_t clients = gen_world_clients(p->world);
	uint32_t c = (uint32_t)(i % clients), k = (uint32_t)(i / clients);
	struct gen_sess_start st = {
		.seed = gen_hash(p->seed, (uint32_t)(i >> 32), (uint32_t)i),
		.client = c,
		.server = gen_pick(gen_hash(p->seed, T_SERVER, (uint32_t)i), gen_world_servers(p->world)),
		.client_port = (uint16_t)(1024 + (uint32_t)(((uint64_t)k * 40499u + c * 7u) % 64512u)),
	};
	struct gen_sess *s = &r->slots[slot];

	gen_sess_init(s, &r->env, &st);
	r->st.connections++;
	r->heap.k[r->heap.n] = (t - BASE_US) << SLOT_BITS | slot;
	sift_up(&r->heap, r->heap.n++);
}

/* Flood and background owed for @n session packets, spread up to @t_next. */
static void fill(struct run *r, uint64_t n, uint64_t t_next)
{
	const struct gen_sched_params *p = r->p;
	double share = 1.0 - p->background - p->flood;
	uint64_t now = gen_wire_clock(r->p->wire), m_bg, m_fl, m, k = 0;

	r->credit_bg += (double)n * p->background / share;
	r->credit_flood += (double)n * p->flood / share;
	m_bg = r->credit_bg > 0 ? (uint64_t)r->credit_bg : 0;
	m_fl = r->credit_flood > 0 ? (uint64_t)r->credit_flood : 0;
	m = m_bg + m_fl;
	if (t_next < now)
		t_next = now;
	while (m_bg + m_fl > 0) {
		uint64_t ts = now + (t_next - now) * (k + 1) / (m + 1);
		uint32_t got;

		/* Interleave: whichever has more still owed goes next. */
		if (m_fl && m_fl >= m_bg) {
			got = gen_bg_flood(r->bg, ts, t_next);
			r->st.flood_packets += got;
			r->credit_flood -= got;
			m_fl = got >= m_fl ? 0 : m_fl - (got ? got : 1);
		} else {
			got = gen_bg_background(r->bg, ts, t_next);
			r->st.background_packets += got;
			r->credit_bg -= got;
			m_bg = got >= m_bg ? 0 : m_bg - (got ? got : 1);
		}
		k += got ? got : 1;
	}
}

/* Remove the heap's top. */
static void heap_pop(struct heap *h)
{
	h->k[0] = h->k[--h->n];
	if (h->n)
		sift_down(h, 0);
}

/*
 * Play the earliest turn, then the flood and background it owes. A
 * connection's expected record is written right after its SYN, so that
 * it carries the stamp the capture clock gave the SYN.
 */
static int step(struct run *r)
{
	const struct gen_sched_params *p = r->p;
	uint64_t key = r->heap.k[0], t = BASE_US + (key >> SLOT_BITS);
	uint32_t slot = (uint32_t)(key & SLOT_MASK);
	struct gen_sess *s = &r->slots[slot];
	uint64_t before = gen_pcap_stats(p->pcap)->packets, next, n;
	int first = p->truth && s->phase == GEN_PH_SYN && gen_sess_reported(s);
	struct gen_sess fresh;

	if (first)
		fresh = *s;
	next = gen_sess_turn(s, &r->env, t);
	if (first) {
		int e = gen_sess_expect(&fresh, &r->env, gen_wire_clock(p->wire), p->truth);

		if (e && !r->err)
			r->err = e;
		r->st.expected++;
	}
	if (next != GEN_SESS_DONE) {
		r->heap.k[0] = (next - BASE_US) << SLOT_BITS | slot;
		sift_down(&r->heap, 0);
	} else {
		heap_pop(&r->heap);
		if (r->started < p->connections)
			start(r, slot, t + gen_pick(gen_hash(p->seed, T_GAP, (uint32_t)r->started),
						    GAP_US));
	}
	n = gen_pcap_stats(p->pcap)->packets - before;
	r->st.session_packets += n;
	if (p->background > 0 || p->flood > 0)
		fill(r, n, r->heap.n ? BASE_US + (r->heap.k[0] >> SLOT_BITS)
				     : gen_wire_clock(p->wire) + 1000);
	if (!r->err)
		r->err = gen_wire_error(p->wire);
	return r->err;
}

static int setup(struct run *r, const struct gen_sched_params *p, uint32_t live)
{
	struct gen_bg_params bp = { .seed = p->seed, .env = &r->env, .pcap = p->pcap,
				    .ipv6_ppm = p->ipv6_ppm };

	r->p = p;
	r->env.world = p->world;
	r->env.body = p->body;
	r->env.tls = gen_tls_create();
	r->env.wire = p->wire;
	r->env.truth = p->truth ? gen_truth_create() : NULL;
	r->env.scratch = malloc(GEN_SESS_SCRATCH);
	r->env.adversarial = p->adversarial;
	r->slots = calloc(live ? live : 1, sizeof(*r->slots));
	r->heap.k = calloc(live ? live : 1, sizeof(uint64_t));
	r->bg = gen_bg_create(&bp);
	if (!r->env.scratch || !r->env.tls || !r->slots || !r->heap.k || !r->bg ||
	    (p->truth && !r->env.truth))
		return -ENOMEM;
	return 0;
}

static void teardown(struct run *r)
{
	gen_truth_free(r->env.truth);
	gen_tls_free((struct gen_tls *)r->env.tls);
	free(r->env.scratch);
	free(r->slots);
	free(r->heap.k);
	gen_bg_free(r->bg);
}

int gen_sched_run(const struct gen_sched_params *p, struct gen_sched_stats *ret)
{
	struct run r;
	uint32_t live = p->concurrency;
	int err;

	memset(&r, 0, sizeof(r));
	if (p->concurrency == 0 || p->concurrency > GEN_SCHED_MAX_CONCURRENCY ||
	    p->background < 0 || p->flood < 0 || p->background + p->flood >= 1.0)
		return -EINVAL;
	if (live > p->connections)
		live = (uint32_t)p->connections;
	err = setup(&r, p, live);
	for (uint32_t i = 0; !err && i < live; i++)
		start(&r, i, BASE_US + gen_pick(gen_hash(p->seed, T_START, i), RAMP_US));
	r.st.first_us = BASE_US;
	while (!err && r.heap.n)
		err = step(&r);
	r.st.last_us = gen_wire_clock(p->wire);
	teardown(&r);
	if (ret)
		*ret = r.st;
	return err;
}
