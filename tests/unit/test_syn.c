/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit test for dp_syn, the handshake table: parameters refused, find by
 * (hash, check) including hash collisions, FIFO eviction in arrival order,
 * holes left by taken handshakes (a position is free again once the head
 * passes it), expiry by age with a budget, drain, the
 * accounting identity, and a differential run of random operations
 * against a plain array model (every find agrees, every end is the one
 * the model expects). Single-threaded.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "dp_syn.h"

#define SEC 1000000000ull
#define MAX_ENDS 4096u

static struct {
	uint32_t n;
	uint32_t hash[MAX_ENDS];
	int why[MAX_ENDS];
} ends;

static void on_end(void *ctx, const struct dp_syn *e, enum dp_syn_end why)
{
	(void)ctx;
	if (ends.n < MAX_ENDS) {
		ends.hash[ends.n] = e->hash;
		ends.why[ends.n] = why;
	}
	ends.n++;
}

static struct dp_syn_table *table(const char *name, uint32_t cap, uint64_t timeout)
{
	struct dp_syn_params p = { .capacity = cap, .timeout_ns = timeout, .on_end = on_end };
	struct dp_syn_table *t;

	check_case = name;
	memset(&ends, 0, sizeof(ends));
	t = dp_syn_table_create(&p);
	CHECK(t != NULL);
	return t;
}

/* A new handshake for (@hash, @check) at @now, its flags set as dp_conn's. */
static struct dp_syn *add(struct dp_syn_table *t, uint32_t hash, uint32_t check, uint64_t now)
{
	struct dp_syn *e = dp_syn_add(t, hash, check, now);

	e->flags = DP_FLOW_F_SYN;
	return e;
}

static void check_accounting(struct dp_syn_table *t)
{
	const struct dp_syn_stats *s = dp_syn_table_stats(t);

	CHECK_EQ_INT(s->added, s->promoted + s->evicted + s->expired + s->drained + s->active);
}

static void test_params(void)
{
	struct dp_syn_params p = { .capacity = 0, .timeout_ns = SEC, .on_end = on_end };

	check_case = "parameters";
	errno = 0;
	CHECK(dp_syn_table_create(&p) == NULL && errno == EINVAL);
	p.capacity = (1u << 30) + 1;
	CHECK(dp_syn_table_create(&p) == NULL && errno == EINVAL);
	p.capacity = 16;
	p.on_end = NULL;
	CHECK(dp_syn_table_create(&p) == NULL && errno == EINVAL);
	CHECK(dp_syn_table_create(NULL) == NULL);
}

/* Keys differ in their check: the same hash finds each its own. */
static void test_find(void)
{
	struct dp_syn_table *t = table("find, hash collisions", 64, 30 * SEC);
	struct dp_flow_key k1 = { .family = 4 }, k2 = { .family = 4 };
	struct dp_syn *a, *b;

	if (!t)
		return;
	k1.port[0] = 40000;
	k2.port[0] = 40001;
	/* The check is the keyed flow hash's high half. */
	CHECK(dp_flow_hash64(&k1) >> 32 != dp_flow_hash64(&k2) >> 32);
	CHECK_EQ_INT(dp_flow_hash64(&k1) >> 32, dp_flow_hash64(&k1) >> 32);
	CHECK_EQ_INT((uint32_t)dp_flow_hash64(&k1), dp_flow_hash(&k1));
	a = add(t, 7, 100, 1);
	b = add(t, 7, 200, 2);
	CHECK(dp_syn_find(t, 7, 100) == a);
	CHECK(dp_syn_find(t, 7, 200) == b);
	CHECK(dp_syn_find(t, 7, 300) == NULL);
	CHECK(dp_syn_find(t, 8, 100) == NULL);
	dp_syn_take(t, a);
	CHECK(dp_syn_find(t, 7, 100) == NULL);
	CHECK(dp_syn_find(t, 7, 200) == b);
	CHECK_EQ_INT(dp_syn_table_stats(t)->promoted, 1);
	CHECK_EQ_INT(dp_syn_table_stats(t)->active, 1);
	CHECK_EQ_INT(ends.n, 0); /* taking is no end */
	CHECK(dp_syn_table_memory(t) >= 64 * (sizeof(struct dp_syn) + 16));
	CHECK_EQ_INT(dp_syn_table_capacity(t), 64);
	check_accounting(t);
	dp_syn_table_free(t);
}

/* Full: the oldest goes first, whatever its hash; a taken one leaves a
 * hole that is no handshake to evict. */
static void test_fifo(void)
{
	struct dp_syn_table *t = table("FIFO eviction", 8, 30 * SEC);
	struct dp_syn *e[20];

	if (!t)
		return;
	for (uint32_t i = 0; i < 20; i++)
		e[i] = add(t, i * 2654435761u, i, i);
	CHECK_EQ_INT(ends.n, 12);
	for (uint32_t i = 0; i < 12 && i < ends.n; i++) {
		CHECK_EQ_INT(ends.hash[i], i * 2654435761u);
		CHECK_EQ_INT(ends.why[i], DP_SYN_END_EVICTED);
	}
	for (uint32_t i = 12; i < 20; i++)
		CHECK(dp_syn_find(t, i * 2654435761u, i) == e[i]);
	/* Take 12 (the oldest: the head moves) and 15 (a hole between). */
	dp_syn_take(t, e[12]);
	dp_syn_take(t, e[15]);
	CHECK_EQ_INT(dp_syn_table_stats(t)->active, 6);
	ends.n = 0;
	add(t, 1000, 1, 20); /* the room 12 left */
	CHECK_EQ_INT(ends.n, 0);
	add(t, 1001, 1, 21); /* 15's is no room yet: evicts 13 */
	CHECK_EQ_INT(ends.n, 1);
	add(t, 1002, 1, 22); /* evicts 14, the head steps over 15 */
	CHECK_EQ_INT(ends.n, 2);
	add(t, 1003, 1, 23); /* 15's room */
	CHECK_EQ_INT(ends.n, 2);
	add(t, 1004, 1, 24); /* evicts 16 */
	CHECK_EQ_INT(ends.n, 3);
	CHECK_EQ_INT(ends.hash[0], 13 * 2654435761u);
	CHECK_EQ_INT(ends.hash[1], 14 * 2654435761u);
	CHECK_EQ_INT(ends.hash[2], 16 * 2654435761u);
	CHECK_EQ_INT(dp_syn_table_stats(t)->active, 8);
	CHECK_EQ_INT(dp_syn_table_stats(t)->active_peak, 8);
	CHECK_EQ_INT(dp_syn_table_stats(t)->evicted, 15);
	check_accounting(t);
	dp_syn_drain(t);
	CHECK_EQ_INT(ends.n, 11);
	CHECK_EQ_INT(ends.why[10], DP_SYN_END_DRAIN);
	CHECK_EQ_INT(ends.hash[3], 17 * 2654435761u); /* oldest first */
	CHECK_EQ_INT(ends.hash[10], 1004);
	CHECK_EQ_INT(dp_syn_table_stats(t)->active, 0);
	check_accounting(t);
	dp_syn_table_free(t);
}

static void test_expire(void)
{
	struct dp_syn_table *t = table("expiry by age, budgeted", 1000, 30 * SEC);

	if (!t)
		return;
	for (uint32_t i = 0; i < 100; i++)
		add(t, i, i, i * SEC); /* one a second */
	CHECK_EQ_INT(dp_syn_expire(t, 29 * SEC, 1000), 0);
	/* At 60 s the first 31 (0..30 s) are 30 s old or more. */
	CHECK_EQ_INT(dp_syn_expire(t, 60 * SEC, 10), 10);
	CHECK_EQ_INT(dp_syn_expire(t, 60 * SEC, 1000), 21);
	CHECK_EQ_INT(dp_syn_expire(t, 60 * SEC, 1000), 0);
	CHECK_EQ_INT(ends.n, 31);
	CHECK_EQ_INT(ends.why[30], DP_SYN_END_TIMEOUT);
	CHECK_EQ_INT(ends.hash[30], 30);
	CHECK(dp_syn_find(t, 30, 30) == NULL);
	CHECK(dp_syn_find(t, 31, 31) != NULL);
	CHECK_EQ_INT(dp_syn_table_stats(t)->expired, 31);
	check_accounting(t);
	dp_syn_table_free(t);
}

/* Random adds, takes, finds and expiries against a plain array. */
#define MODEL_CAP 97u
#define OPS 200000u

struct model_e {
	uint32_t hash, check;
	uint64_t ts;
	int live;
};

static void test_differential(void)
{
	struct dp_syn_table *t = table("differential against a model", MODEL_CAP, 150);
	static struct model_e m[OPS];
	uint32_t head = 0, n = 0; /* m[head, n): arrival order */
	uint64_t now = 0, live = 0;
	unsigned seed = 12345;

	if (!t)
		return;
	for (uint32_t op = 0; op < OPS; op++) {
		uint32_t r = (uint32_t)rand_r(&seed);
		/* Few distinct hashes: long probe chains, many collisions. */
		uint32_t hash = r % 61, check = (r >> 8) % 50;

		now += (r >> 20) % 3;
		if ((r >> 16) % 8 < 5) {
			struct dp_syn *e = dp_syn_find(t, hash, check);
			uint32_t want = UINT32_MAX;

			for (uint32_t i = head; i < n; i++)
				if (m[i].live && m[i].hash == hash && m[i].check == check)
					want = i;
			CHECK_EQ_INT(e != NULL, want != UINT32_MAX);
			if (e && want != UINT32_MAX)
				CHECK_EQ_INT(e->first_ns, m[want].ts);
			if (!e) {
				uint32_t before = ends.n;

				/* Full counts positions: live ones and the
				 * holes between them (head is live). */
				if (n - head == MODEL_CAP) {
					m[head].live = 0;
					live--;
					while (head < n && !m[head].live)
						head++;
				}
				add(t, hash, check, now);
				m[n++] = (struct model_e){ hash, check, now, 1 };
				live++;
				if (ends.n != before) {
					CHECK_EQ_INT(ends.n, before + 1);
				}
			}
		} else if ((r >> 16) % 8 < 7) {
			struct dp_syn *e = dp_syn_find(t, hash, check);

			if (e) {
				for (uint32_t i = head; i < n; i++)
					if (m[i].live && m[i].hash == hash && m[i].check == check) {
						m[i].live = 0;
						live--;
					}
				dp_syn_take(t, e);
			}
		} else {
			uint32_t want = 0;

			for (uint32_t i = head; i < n && want < 4; i++) {
				if (!m[i].live)
					continue;
				if (m[i].ts + 150 > now)
					break;
				m[i].live = 0;
				live--;
				want++;
			}
			CHECK_EQ_INT(dp_syn_expire(t, now, 4), want);
		}
		while (head < n && !m[head].live)
			head++;
		if (dp_syn_table_stats(t)->active != live) {
			CHECK_EQ_INT(dp_syn_table_stats(t)->active, live);
			break;
		}
	}
	check_accounting(t);
	CHECK(dp_syn_table_stats(t)->evicted > 100);
	CHECK(dp_syn_table_stats(t)->expired > 100);
	CHECK(dp_syn_table_stats(t)->promoted > 100);
	dp_syn_table_free(t);
}

int main(void)
{
	test_params();
	test_find();
	test_fifo();
	test_expire();
	test_differential();
	CHECK_DONE();
}
