/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit test for dp_flow: insert/lookup/remove of many IPv4 and IPv6 keys
 * (with the real hash and with forced clusters that wrap the index, so
 * backward-shift deletion is exercised), capacity and eviction order by
 * class and LRU, touch granularity, expiry by class timeout, drain, the
 * counters, bulk lookups against single ones (real, clustered and identical
 * hashes), and the create/free edge cases. Keys come from a fixed-seed
 * PRNG so failures reproduce. Single-threaded.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "dp_flow.h"

#define SEC 1000000000ull
#define NKEYS 10000u
#define MAX_ENDS 64

/* ---- fixtures -------------------------------------------------------- */

/* What on_end saw: flows are tagged with id + 1 in f->conn (owner's use). */
struct ends {
	uint32_t n[3];          /* by enum dp_flow_end */
	uint32_t total;
	uint32_t order[MAX_ENDS]; /* ids of the first MAX_ENDS ended flows */
	uint8_t why[MAX_ENDS];
	uint8_t cls[MAX_ENDS];
	uint32_t not_found;     /* flow was not in the index during on_end */
	struct dp_flow_table *t;
};

static struct ends ends;

static void on_end(void *ctx, struct dp_flow *f, enum dp_flow_end why)
{
	struct ends *e = ctx;

	/* on_end runs before the slot is released: still in the index. */
	if (e->t && dp_flow_lookup(e->t, &f->key, f->hash) != f)
		e->not_found++;
	if ((unsigned)why < 3)
		e->n[why]++;
	if (e->total < MAX_ENDS) {
		e->order[e->total] = f->conn - 1;
		e->why[e->total] = (uint8_t)why;
		e->cls[e->total] = f->cls;
	}
	e->total++;
}

static struct dp_flow_table *table(const char *name, uint32_t max_flows,
				   const uint64_t *timeouts)
{
	struct dp_flow_params p = { 0 };
	struct dp_flow_table *t;

	check_case = name;
	memset(&ends, 0, sizeof(ends));
	p.max_flows = max_flows;
	for (int c = 0; c < DP_FLOW_CLS_COUNT; c++)
		p.timeout_ns[c] = timeouts ? timeouts[c] : 60 * SEC;
	p.on_end = on_end;
	p.ctx = &ends;
	t = dp_flow_table_create(&p);
	CHECK(t != NULL);
	ends.t = t;
	return t;
}

/* splitmix64: deterministic and well mixed from any seed. */
static uint64_t mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

static uint64_t rng_state;

static uint64_t rnd(void)
{
	rng_state += 0x9e3779b97f4a7c15ull;
	return mix(rng_state);
}

/* Key number @id: distinct for distinct ids; even ids IPv4, odd IPv6. */
static void make_key(uint32_t id, struct dp_flow_key *k)
{
	uint64_t r = mix(id), r2 = mix(r);

	memset(k, 0, sizeof(*k));
	k->family = (id & 1) ? 6 : 4;
	if (k->family == 4) {
		k->addr[0][0] = 10;
		k->addr[0][1] = (uint8_t)(id >> 16);
		k->addr[0][2] = (uint8_t)(id >> 8);
		k->addr[0][3] = (uint8_t)id;
		memcpy(k->addr[1], &r, 4);
		k->addr[1][0] = 192; /* side 0 < side 1, as dp_conn builds them */
	} else {
		k->addr[0][0] = 0x20;
		k->addr[0][1] = 0x01;
		k->addr[0][2] = 0x0d;
		k->addr[0][3] = 0xb8;
		memcpy(k->addr[0] + 4, &r, 8);
		k->addr[0][12] = (uint8_t)(id >> 24);
		k->addr[0][13] = (uint8_t)(id >> 16);
		k->addr[0][14] = (uint8_t)(id >> 8);
		k->addr[0][15] = (uint8_t)id;
		k->addr[1][0] = 0x2a;
		memcpy(k->addr[1] + 1, &r2, 8);
	}
	k->port[0] = (uint16_t)(1024 + (r2 >> 48) % 60000);
	k->port[1] = 25;
}

/* How keys map to hashes: the real hash, or forced onto a few home slots
 * at both ends of the index so probe chains are long and wrap around. */
enum hash_mode { HASH_REAL, HASH_CLUSTER, HASH_SAME };

static uint32_t key_hash(const struct dp_flow_key *k, uint32_t id, int mode,
			 uint32_t nslots)
{
	uint32_t h = dp_flow_hash(k);

	if (mode == HASH_CLUSTER) {
		/* Homes: the last 4 slots and the first 4; high bits vary so
		 * the stored-hash compare filters most candidates. */
		uint32_t home = (id % 8) < 4 ? nslots - 1 - (id % 4) : id % 4;

		h = (h & ~(nslots - 1)) | home;
	} else if (mode == HASH_SAME) {
		h = 0x5eed0007u; /* every key collides: only keys tell apart */
	}
	return h;
}

static struct dp_flow *insert_id(struct dp_flow_table *t, uint32_t id,
				 uint32_t hash, uint64_t now)
{
	struct dp_flow_key k;
	struct dp_flow *f;

	make_key(id, &k);
	f = dp_flow_insert(t, &k, hash, now);
	f->conn = id + 1;
	return f;
}

static struct dp_flow *lookup_id(struct dp_flow_table *t, uint32_t id,
				 uint32_t hash)
{
	struct dp_flow_key k;

	make_key(id, &k);
	return dp_flow_lookup(t, &k, hash);
}

/* ---- many keys: presence/absence through random removals ------------- */

static uint32_t hashes[NKEYS];
static uint8_t present[NKEYS];

/* Every key: present ones found with their own identity, others absent. */
static uint32_t verify_all(struct dp_flow_table *t, uint32_t n)
{
	uint32_t bad = 0;

	for (uint32_t id = 0; id < n; id++) {
		struct dp_flow *f = lookup_id(t, id, hashes[id]);
		struct dp_flow_key k;

		make_key(id, &k);
		if (present[id]) {
			if (!f || f->conn != id + 1 || f->hash != hashes[id] ||
			    memcmp(&f->key, &k, sizeof(k)) != 0)
				bad++;
		} else if (f) {
			bad++;
		}
	}
	return bad;
}

/* Bulk lookups answer what single ones do: bursts of every size, keys
 * drawn at random (present and absent, repeats within a burst). */
static uint32_t verify_bulk(struct dp_flow_table *t, uint32_t n, uint64_t seed)
{
	struct dp_flow_key keys[DP_FLOW_BULK_MAX];
	struct dp_flow *got[DP_FLOW_BULK_MAX];
	uint32_t hs[DP_FLOW_BULK_MAX], bad = 0, done = 0;
	uint64_t gen = dp_flow_generation(t);

	while (done < n) {
		uint32_t m = 1 + (uint32_t)(mix(seed++) % DP_FLOW_BULK_MAX);

		for (uint32_t i = 0; i < m; i++) {
			uint32_t id = (uint32_t)(mix(seed++) % n);

			make_key(id, &keys[i]);
			hs[i] = hashes[id];
		}
		dp_flow_lookup_bulk(t, keys, hs, m, got);
		for (uint32_t i = 0; i < m; i++)
			if (got[i] != dp_flow_lookup(t, &keys[i], hs[i]))
				bad++;
		done += m;
	}
	if (dp_flow_generation(t) != gen) /* lookups change nothing */
		bad++;
	return bad;
}

struct many_case {
	const char *name;
	uint32_t nkeys;
	uint32_t max_flows;
	int mode;
	uint32_t rounds;
};

static const struct many_case many_cases[] = {
	{ "many keys, real hash", NKEYS, NKEYS, HASH_REAL, 4 },
	{ "many keys, roomy table", NKEYS, 3 * NKEYS, HASH_REAL, 2 },
	/* Chains of ~250 around the wrap point of a 4096-slot index. */
	{ "clustered hashes, wrapping", 2000, 2000, HASH_CLUSTER, 6 },
	/* One hash for all: bulk lookups must fall back to the keys. */
	{ "identical hashes", 300, 300, HASH_SAME, 3 },
};

static void test_many(const struct many_case *c)
{
	struct dp_flow_table *t = table(c->name, c->max_flows, NULL);
	uint32_t nslots = 2, live = 0, removed = 0, created = 0, peak = 0;
	const struct dp_flow_stats *st;
	uint64_t gen;

	if (!t)
		return;
	while (nslots < 2 * c->max_flows)
		nslots <<= 1;
	rng_state = 12345;
	memset(present, 0, sizeof(present));
	for (uint32_t id = 0; id < c->nkeys; id++) {
		struct dp_flow_key k;

		make_key(id, &k);
		hashes[id] = key_hash(&k, id, c->mode, nslots);
		gen = dp_flow_generation(t);
		insert_id(t, id, hashes[id], SEC);
		CHECK(dp_flow_generation(t) != gen);
		present[id] = 1;
		live++;
		created++;
	}
	peak = live;
	CHECK_EQ_INT(verify_all(t, c->nkeys), 0);
	CHECK_EQ_INT(verify_bulk(t, c->nkeys, 1), 0);
	for (uint32_t round = 0; round < c->rounds; round++) {
		/* Remove about half of what is there, in random order. */
		for (uint32_t i = 0; i < c->nkeys; i++) {
			uint32_t id = (uint32_t)(rnd() % c->nkeys);
			struct dp_flow *f;

			if (!present[id] || (rnd() & 1))
				continue;
			f = lookup_id(t, id, hashes[id]);
			CHECK(f != NULL);
			if (!f)
				continue;
			gen = dp_flow_generation(t);
			dp_flow_remove(t, f);
			CHECK(dp_flow_generation(t) != gen);
			present[id] = 0;
			live--;
			removed++;
		}
		CHECK_EQ_INT(verify_all(t, c->nkeys), 0);
		CHECK_EQ_INT(verify_bulk(t, c->nkeys, 1000 + round), 0);
		/* Put back a random part of the missing ones. */
		for (uint32_t id = 0; id < c->nkeys; id++) {
			if (present[id] || (rnd() % 3) == 0)
				continue;
			insert_id(t, id, hashes[id], SEC + round);
			present[id] = 1;
			live++;
			created++;
			if (live > peak)
				peak = live;
		}
		CHECK_EQ_INT(verify_all(t, c->nkeys), 0);
		CHECK_EQ_INT(verify_bulk(t, c->nkeys, 2000 + round), 0);
	}
	st = dp_flow_table_stats(t);
	CHECK_EQ_INT(st->created, created);
	CHECK_EQ_INT(st->removed, removed);
	CHECK_EQ_INT(st->active, live);
	CHECK_EQ_INT(st->active_peak, peak);
	CHECK_EQ_INT(st->expired, 0);
	for (int cl = 0; cl < DP_FLOW_CLS_COUNT; cl++)
		CHECK_EQ_INT(st->evicted[cl], 0);
	CHECK_EQ_INT(ends.total, 0); /* remove never calls on_end */
	/* Remove everything: the index must end up empty. */
	for (uint32_t id = 0; id < c->nkeys; id++) {
		struct dp_flow *f;

		if (!present[id])
			continue;
		f = lookup_id(t, id, hashes[id]);
		CHECK(f != NULL);
		if (f)
			dp_flow_remove(t, f);
		present[id] = 0;
	}
	CHECK_EQ_INT(verify_all(t, c->nkeys), 0);
	CHECK_EQ_INT(dp_flow_table_stats(t)->active, 0);
	dp_flow_table_free(t);
}

/* ---- capacity --------------------------------------------------------- */

struct cap_case {
	const char *name;
	uint32_t max_flows;
	uint32_t inserts;
	int cls;          /* class every flow is put in after insert */
};

static const struct cap_case cap_cases[] = {
	{ "capacity 1", 1, 10, DP_FLOW_CLS_HALF_OPEN },
	{ "capacity 100, half-open", 100, 250, DP_FLOW_CLS_HALF_OPEN },
	{ "capacity 100, smtp", 100, 250, DP_FLOW_CLS_SMTP },
	{ "capacity 1000, other", 1000, 5000, DP_FLOW_CLS_OTHER },
	{ "capacity 7, closing", 7, 100, DP_FLOW_CLS_CLOSING },
};

static void test_capacity(const struct cap_case *c)
{
	struct dp_flow_table *t = table(c->name, c->max_flows, NULL);
	const struct dp_flow_stats *st;
	uint32_t over = 0, evicted = c->inserts - c->max_flows;

	if (!t)
		return;
	CHECK_EQ_INT(dp_flow_table_capacity(t), c->max_flows);
	CHECK(dp_flow_table_memory(t) >= (uint64_t)c->max_flows * sizeof(struct dp_flow));
	st = dp_flow_table_stats(t);
	for (uint32_t id = 0; id < c->inserts; id++) {
		struct dp_flow_key k;
		struct dp_flow *f;

		make_key(id, &k);
		hashes[id] = dp_flow_hash(&k);
		f = insert_id(t, id, hashes[id], SEC + id);
		dp_flow_set_class(t, f, (enum dp_flow_class)c->cls);
		if (st->active > c->max_flows)
			over++;
		/* The newest flow is never the one evicted for itself. */
		CHECK(lookup_id(t, id, hashes[id]) == f);
	}
	CHECK_EQ_INT(over, 0);
	CHECK_EQ_INT(st->active, c->max_flows);
	CHECK_EQ_INT(st->created, c->inserts);
	CHECK_EQ_INT(ends.total, evicted);
	CHECK_EQ_INT(ends.n[DP_FLOW_END_EVICTED], evicted);
	CHECK_EQ_INT(ends.not_found, 0);
	for (int cl = 0; cl < DP_FLOW_CLS_COUNT; cl++)
		CHECK_EQ_INT(st->evicted[cl], cl == c->cls ? evicted : 0);
	/* Oldest first: ids 0.. were evicted in insertion order. */
	for (uint32_t i = 0; i < evicted && i < MAX_ENDS; i++) {
		CHECK_EQ_INT(ends.order[i], i);
		CHECK_EQ_INT(ends.why[i], DP_FLOW_END_EVICTED);
		CHECK_EQ_INT(ends.cls[i], c->cls);
	}
	for (uint32_t id = 0; id < c->inserts; id++) {
		struct dp_flow *f = lookup_id(t, id, hashes[id]);

		if (id < evicted)
			CHECK(f == NULL);
		else
			CHECK(f != NULL && f->conn == id + 1);
	}
	dp_flow_table_free(t);
}

/* ---- eviction order across classes, LRU within one -------------------- */

#define HO DP_FLOW_CLS_HALF_OPEN
#define CL DP_FLOW_CLS_CLOSING
#define OT DP_FLOW_CLS_OTHER
#define SM DP_FLOW_CLS_SMTP

struct order_case {
	const char *name;
	uint32_t n;            /* flows, inserted as ids 0..n-1 (= capacity) */
	int cls[8];            /* class of each; set in set_order */
	uint32_t set_order[8]; /* ids in the order set_class is called */
	uint32_t want[8];      /* ids in expected eviction order */
	uint32_t want_evicted[DP_FLOW_CLS_COUNT];
};

static const struct order_case order_cases[] = {
	{ "classes: half-open, closing, other, smtp", 8,
	  { SM, OT, CL, HO, SM, OT, CL, HO },
	  { 0, 1, 2, 3, 4, 5, 6, 7 },
	  { 3, 7, 2, 6, 1, 5, 0, 4 }, { 2, 2, 2, 2 } },
	{ "set_class makes the flow the newest of its class", 6,
	  { OT, OT, OT, SM, SM, SM },
	  { 2, 0, 1, 5, 3, 4 },
	  { 2, 0, 1, 5, 3, 4 }, { 0, 0, 3, 3 } },
	{ "set_class to the same class does not move it", 4,
	  { HO, HO, HO, HO },
	  { 3, 2, 1, 0 },   /* already half-open: order stays 0 1 2 3 */
	  { 0, 1, 2, 3 }, { 4, 0, 0, 0 } },
	{ "smtp only after all else", 5,
	  { SM, SM, HO, SM, CL },
	  { 0, 1, 2, 3, 4 },
	  { 2, 4, 0, 1, 3 }, { 1, 1, 0, 3 } },
};

static void test_order(const struct order_case *c)
{
	struct dp_flow_table *t = table(c->name, c->n, NULL);
	struct dp_flow *f[8];
	uint32_t nslots = 2;

	if (!t)
		return;
	while (nslots < 2 * c->n)
		nslots <<= 1;
	for (uint32_t id = 0; id < c->n; id++) {
		struct dp_flow_key k;

		make_key(id, &k);
		hashes[id] = dp_flow_hash(&k);
		f[id] = insert_id(t, id, hashes[id], SEC);
	}
	for (uint32_t i = 0; i < c->n; i++) {
		uint32_t id = c->set_order[i];

		dp_flow_set_class(t, f[id], (enum dp_flow_class)c->cls[id]);
		CHECK_EQ_INT(f[id]->cls, c->cls[id]);
	}
	/* New flows go straight to SMTP so that they are evicted last. */
	for (uint32_t i = 0; i < c->n; i++) {
		struct dp_flow_key k;
		struct dp_flow *nf;

		make_key(100 + i, &k);
		nf = insert_id(t, 100 + i, dp_flow_hash(&k), SEC);
		dp_flow_set_class(t, nf, DP_FLOW_CLS_SMTP);
	}
	CHECK_EQ_INT(ends.total, c->n);
	for (uint32_t i = 0; i < c->n; i++) {
		CHECK_EQ_INT(ends.order[i], c->want[i]);
		CHECK_EQ_INT(ends.why[i], DP_FLOW_END_EVICTED);
		CHECK_EQ_INT(ends.cls[i], c->cls[c->want[i]]);
	}
	for (int cl = 0; cl < DP_FLOW_CLS_COUNT; cl++)
		CHECK_EQ_INT(dp_flow_table_stats(t)->evicted[cl], c->want_evicted[cl]);
	dp_flow_table_free(t);
}

/* ---- touch: LRU position, at one-second granularity ------------------- */

enum { T_END = 0, T_INSERT, T_TOUCH };

struct touch_step {
	int op;
	uint32_t id;
	uint64_t ms;       /* time of the step */
	int want_evicted;  /* T_INSERT: id evicted by it, -1 none */
};

struct touch_case {
	const char *name;
	uint32_t cap;
	struct touch_step steps[16];
};

static const struct touch_case touch_cases[] = {
	{ "touch in a later second moves to the tail", 4,
	  { { T_INSERT, 0, 1000, -1 }, { T_INSERT, 1, 1000, -1 },
	    { T_INSERT, 2, 1000, -1 }, { T_INSERT, 3, 1000, -1 },
	    { T_TOUCH, 0, 2000, 0 },  /* 1 2 3 0 */
	    { T_INSERT, 4, 2000, 1 }, /* 2 3 0 4 */
	    { T_TOUCH, 2, 3500, 0 },  /* 3 0 4 2 */
	    { T_INSERT, 5, 3600, 3 }, { T_INSERT, 6, 3600, 0 },
	    { T_INSERT, 7, 3600, 4 }, { T_INSERT, 8, 3600, 2 } } },
	{ "touch in the same second does not relink", 4,
	  { { T_INSERT, 0, 1000, -1 }, { T_INSERT, 1, 1100, -1 },
	    { T_INSERT, 2, 1200, -1 }, { T_INSERT, 3, 1300, -1 },
	    { T_TOUCH, 0, 1999, 0 },  /* still second 1: order stays */
	    { T_INSERT, 4, 1999, 0 }, { T_INSERT, 5, 1999, 1 },
	    { T_TOUCH, 2, 2000, 0 },  /* second 2: 3 4 5 2 */
	    { T_TOUCH, 3, 2000, 0 },  /* 4 5 2 3 */
	    { T_TOUCH, 2, 2999, 0 },  /* second 2 again: no move */
	    { T_INSERT, 6, 3000, 4 }, { T_INSERT, 7, 3000, 5 },
	    { T_INSERT, 8, 3000, 2 }, { T_INSERT, 9, 3000, 3 } } },
	{ "touch with an older time keeps last_ns", 2,
	  { { T_INSERT, 0, 5000, -1 }, { T_INSERT, 1, 5000, -1 },
	    { T_TOUCH, 0, 7000, 0 }, { T_TOUCH, 0, 6000, 0 },
	    { T_INSERT, 2, 7000, 1 }, { T_INSERT, 3, 7000, 0 } } },
};

static void test_touch(const struct touch_case *c)
{
	struct dp_flow_table *t = table(c->name, c->cap, NULL);
	struct dp_flow *f[16] = { 0 };
	uint64_t last[16] = { 0 };

	if (!t)
		return;
	for (const struct touch_step *s = c->steps; s->op != T_END; s++) {
		uint64_t now = s->ms * 1000000ull;
		uint32_t before = ends.total;

		if (s->op == T_INSERT) {
			struct dp_flow_key k;

			make_key(s->id, &k);
			f[s->id] = insert_id(t, s->id, dp_flow_hash(&k), now);
			CHECK_EQ_INT(f[s->id]->first_ns, now);
			CHECK_EQ_INT(f[s->id]->last_ns, now);
			CHECK_EQ_INT(f[s->id]->cls, DP_FLOW_CLS_HALF_OPEN);
			CHECK_EQ_INT(f[s->id]->flags, 0);
			last[s->id] = now;
			if (s->want_evicted < 0) {
				CHECK_EQ_INT(ends.total, before);
			} else {
				CHECK_EQ_INT(ends.total, before + 1);
				if (ends.total == before + 1 && before < MAX_ENDS)
					CHECK_EQ_INT(ends.order[before], s->want_evicted);
			}
		} else {
			dp_flow_touch(t, f[s->id], now);
			if (now > last[s->id])
				last[s->id] = now;
			CHECK_EQ_INT(f[s->id]->last_ns, last[s->id]);
			CHECK_EQ_INT(ends.total, before);
		}
	}
	dp_flow_table_free(t);
}

/* ---- expiry and drain ------------------------------------------------- */

static const uint64_t exp_timeouts[DP_FLOW_CLS_COUNT] = {
	10 * SEC, 20 * SEC, 30 * SEC, 40 * SEC,
};

enum { E_END = 0, E_INSERT, E_TOUCH, E_EXPIRE, E_DRAIN };

struct exp_step {
	int op;
	uint32_t id;       /* E_INSERT/E_TOUCH */
	int cls;           /* E_INSERT */
	uint64_t ms;
	uint32_t want_n;   /* E_EXPIRE: return value; E_DRAIN: ends */
	int want_ids[4];   /* ids ended by this step, -1 terminated */
};

struct exp_case {
	const char *name;
	struct exp_step steps[16];
	uint32_t want_expired;
	uint32_t want_active;
};

static const struct exp_case exp_cases[] = {
	{ "each class by its own timeout",
	  { { E_INSERT, 0, HO, 0, 0, { -1 } }, { E_INSERT, 1, CL, 0, 0, { -1 } },
	    { E_INSERT, 2, OT, 0, 0, { -1 } }, { E_INSERT, 3, SM, 0, 0, { -1 } },
	    { E_EXPIRE, 0, 0, 9999, 0, { -1 } },
	    { E_EXPIRE, 0, 0, 10000, 1, { 0, -1 } },  /* idle == timeout */
	    { E_EXPIRE, 0, 0, 19999, 0, { -1 } },
	    { E_EXPIRE, 0, 0, 20000, 1, { 1, -1 } },
	    { E_EXPIRE, 0, 0, 30500, 1, { 2, -1 } },
	    { E_EXPIRE, 0, 0, 40000, 1, { 3, -1 } },
	    { E_EXPIRE, 0, 0, 999999, 0, { -1 } } },
	  4, 0 },
	{ "a touched flow lives on",
	  { { E_INSERT, 0, SM, 0, 0, { -1 } }, { E_INSERT, 1, SM, 0, 0, { -1 } },
	    { E_INSERT, 2, SM, 1000, 0, { -1 } },
	    { E_TOUCH, 0, 0, 35000, 0, { -1 } },
	    { E_EXPIRE, 0, 0, 40000, 1, { 1, -1 } },
	    { E_EXPIRE, 0, 0, 41000, 1, { 2, -1 } },
	    { E_EXPIRE, 0, 0, 74999, 0, { -1 } },
	    { E_EXPIRE, 0, 0, 75000, 1, { 0, -1 } } },
	  3, 0 },
	{ "several at once, across classes",
	  { { E_INSERT, 0, HO, 0, 0, { -1 } }, { E_INSERT, 1, HO, 500, 0, { -1 } },
	    { E_INSERT, 2, CL, 0, 0, { -1 } }, { E_INSERT, 3, OT, 0, 0, { -1 } },
	    { E_EXPIRE, 0, 0, 25000, 3, { 0, 1, 2, -1 } },
	    { E_DRAIN, 0, 0, 0, 1, { 3, -1 } } },
	  3, 0 },
	{ "drain ends everything",
	  { { E_INSERT, 0, SM, 0, 0, { -1 } }, { E_INSERT, 1, HO, 0, 0, { -1 } },
	    { E_INSERT, 2, OT, 0, 0, { -1 } },
	    { E_DRAIN, 0, 0, 0, 3, { 1, 2, 0, -1 } },
	    { E_EXPIRE, 0, 0, 999999, 0, { -1 } } },
	  0, 0 },
	{ "expiry of a flow touched out of order",
	  /* Touched with an older time in an earlier second: it is requeued,
	   * not expired, and the flow behind it is still reached. */
	  { { E_INSERT, 0, HO, 5000, 0, { -1 } }, { E_INSERT, 1, HO, 5000, 0, { -1 } },
	    { E_TOUCH, 0, 0, 9000, 0, { -1 } },   /* 1 0 */
	    { E_TOUCH, 0, 0, 4000, 0, { -1 } },   /* 1 0: lru_sec 4, last 9 s */
	    { E_TOUCH, 1, 0, 3000, 0, { -1 } },   /* 0 1: lru_sec 3, last 5 s */
	    { E_EXPIRE, 0, 0, 15000, 1, { 1, -1 } },
	    { E_EXPIRE, 0, 0, 18999, 0, { -1 } },
	    { E_EXPIRE, 0, 0, 19000, 1, { 0, -1 } } },
	  2, 0 },
};

static void test_expire(const struct exp_case *c)
{
	struct dp_flow_table *t = table(c->name, 64, exp_timeouts);
	struct dp_flow *f[16] = { 0 };
	const struct dp_flow_stats *st;

	if (!t)
		return;
	st = dp_flow_table_stats(t);
	for (const struct exp_step *s = c->steps; s->op != E_END; s++) {
		uint64_t now = s->ms * 1000000ull;
		uint32_t before = ends.total, n = 0, want_why;

		switch (s->op) {
		case E_INSERT: {
			struct dp_flow_key k;

			make_key(s->id, &k);
			f[s->id] = insert_id(t, s->id, dp_flow_hash(&k), now);
			dp_flow_set_class(t, f[s->id], (enum dp_flow_class)s->cls);
			continue;
		}
		case E_TOUCH:
			dp_flow_touch(t, f[s->id], now);
			continue;
		case E_EXPIRE:
			n = dp_flow_expire(t, now);
			CHECK_EQ_INT(n, s->want_n);
			want_why = DP_FLOW_END_TIMEOUT;
			break;
		default:
			dp_flow_drain(t);
			n = ends.total - before;
			CHECK_EQ_INT(n, s->want_n);
			CHECK_EQ_INT(st->active, 0);
			want_why = DP_FLOW_END_DRAIN;
			break;
		}
		CHECK_EQ_INT(ends.total - before, s->want_n);
		for (uint32_t i = 0; i < 4 && s->want_ids[i] >= 0; i++) {
			if (before + i >= ends.total || before + i >= MAX_ENDS)
				break;
			CHECK_EQ_INT(ends.order[before + i], s->want_ids[i]);
			CHECK_EQ_INT(ends.why[before + i], want_why);
		}
	}
	CHECK_EQ_INT(st->expired, c->want_expired);
	CHECK_EQ_INT(ends.n[DP_FLOW_END_TIMEOUT], c->want_expired);
	CHECK_EQ_INT(st->active, c->want_active);
	CHECK_EQ_INT(ends.not_found, 0);
	for (int cl = 0; cl < DP_FLOW_CLS_COUNT; cl++)
		CHECK_EQ_INT(st->evicted[cl], 0);
	dp_flow_table_free(t);
}

/* Many idle flows: repeated expire calls end them all, each exactly once,
 * and the accounting adds up before the drain. */
static void test_expire_many(void)
{
	struct dp_flow_table *t = table("expire many", 4096, exp_timeouts);
	const struct dp_flow_stats *st;
	uint32_t total = 0, calls = 0, n;

	if (!t)
		return;
	st = dp_flow_table_stats(t);
	for (uint32_t id = 0; id < 3000; id++) {
		struct dp_flow_key k;
		struct dp_flow *f;

		make_key(id, &k);
		f = insert_id(t, id, dp_flow_hash(&k), (uint64_t)id * 1000000ull);
		dp_flow_set_class(t, f, (enum dp_flow_class)(id % DP_FLOW_CLS_COUNT));
	}
	/* Class HO (timeout 10 s), inserted at 0..3 s, all idle at 14 s; more
	 * than one call's budget, so it takes several calls. */
	while ((n = dp_flow_expire(t, 14 * SEC)) != 0 && calls < 100) {
		total += n;
		calls++;
	}
	CHECK_EQ_INT(total, 750);
	CHECK_EQ_INT(ends.n[DP_FLOW_END_TIMEOUT], 750);
	for (uint32_t i = 0; i < MAX_ENDS && i < ends.total; i++)
		CHECK_EQ_INT(ends.cls[i], DP_FLOW_CLS_HALF_OPEN);
	CHECK_EQ_INT(st->created, st->expired + st->removed + st->active +
				  st->evicted[0] + st->evicted[1] +
				  st->evicted[2] + st->evicted[3]);
	while ((n = dp_flow_expire(t, 100 * SEC)) != 0 && calls < 200) {
		total += n;
		calls++;
	}
	CHECK_EQ_INT(total, 3000);
	CHECK_EQ_INT(st->expired, 3000);
	CHECK_EQ_INT(st->active, 0);
	CHECK_EQ_INT(ends.not_found, 0);
	dp_flow_drain(t);
	CHECK_EQ_INT(ends.total, 3000);
	dp_flow_table_free(t);
}

/* ---- misc: layout, hash, create/free ---------------------------------- */

static void test_misc(void)
{
	struct dp_flow_params p = { 0 };
	struct dp_flow_key a, b;
	struct dp_flow_table *t;
	uint32_t same = 0;

	check_case = "layout";
	CHECK(sizeof(struct dp_flow) <= 128);
	CHECK_EQ_INT(sizeof(struct dp_flow_key), 40);

	check_case = "hash";
	for (uint32_t id = 0; id < 1000; id++) {
		make_key(id, &a);
		memcpy(&b, &a, sizeof(b));
		CHECK_EQ_INT(dp_flow_hash(&a), dp_flow_hash(&b));
		CHECK_EQ_INT(dp_flow_hash(&a), dp_flow_hash(&a));
		b.port[0] ^= 1;
		if (dp_flow_hash(&a) == dp_flow_hash(&b))
			same++;
		make_key(id + 1, &b);
		if (dp_flow_hash(&a) == dp_flow_hash(&b))
			same++;
	}
	CHECK_EQ_INT(same, 0);

	/* Structured keys (one server, sequential client ports, as a SYN
	 * flood from one spoofed address makes them) spread over the low
	 * bits, which index the tables, and the high bits, which pick the
	 * worker (dp_worker's steer_to). */
	check_case = "hash spread";
	{
		enum { N = 1u << 16, SLOTS = 1u << 12 };
		static uint16_t slot[SLOTS];
		uint32_t workers[4] = { 0 }, most = 0;

		for (uint32_t i = 0; i < N; i++) {
			uint32_t h;

			memset(&a, 0, sizeof(a));
			a.family = 4;
			a.addr[0][0] = 10;
			a.addr[0][3] = (uint8_t)(i >> 16);
			a.addr[1][0] = 192;
			a.port[0] = (uint16_t)i;
			a.port[1] = 25;
			h = dp_flow_hash(&a);
			slot[h & (SLOTS - 1)]++;
			workers[((uint64_t)h * 4) >> 32]++;
		}
		for (uint32_t i = 0; i < SLOTS; i++)
			if (slot[i] > most)
				most = slot[i];
		/* 16 keys a slot on average: a fair hash stays under 45. */
		CHECK(most < 45);
		for (int w = 0; w < 4; w++)
			CHECK(workers[w] > N / 4 - N / 40 && workers[w] < N / 4 + N / 40);
	}

	check_case = "create: bad params";
	p.timeout_ns[0] = SEC;
	p.on_end = on_end;
	p.max_flows = 0;
	errno = 0;
	CHECK(dp_flow_table_create(&p) == NULL);
	CHECK_EQ_INT(errno, EINVAL);
	p.max_flows = 16;
	p.on_end = NULL;
	errno = 0;
	CHECK(dp_flow_table_create(&p) == NULL);
	CHECK_EQ_INT(errno, EINVAL);
	CHECK(dp_flow_table_create(NULL) == NULL);
	p.on_end = on_end;
	p.max_flows = (1u << 30) + 1; /* above the documented index range */
	CHECK(dp_flow_table_create(&p) == NULL);
	p.max_flows = 16;

	check_case = "free(NULL)";
	dp_flow_table_free(NULL);

	check_case = "create: good params";
	p.on_end = on_end;
	p.ctx = &ends;
	t = dp_flow_table_create(&p);
	CHECK(t != NULL);
	if (t) {
		CHECK_EQ_INT(dp_flow_table_capacity(t), 16);
		CHECK_EQ_INT(dp_flow_table_stats(t)->active, 0);
		make_key(1, &a);
		CHECK(dp_flow_lookup(t, &a, dp_flow_hash(&a)) == NULL);
		dp_flow_prefetch(t, dp_flow_hash(&a));
		dp_flow_drain(t); /* empty: nothing happens */
		CHECK_EQ_INT(dp_flow_expire(t, UINT64_MAX / 2), 0);
		dp_flow_table_free(t);
	}
}

int main(void)
{
	for (size_t i = 0; i < sizeof(many_cases) / sizeof(many_cases[0]); i++)
		test_many(&many_cases[i]);
	for (size_t i = 0; i < sizeof(cap_cases) / sizeof(cap_cases[0]); i++)
		test_capacity(&cap_cases[i]);
	for (size_t i = 0; i < sizeof(order_cases) / sizeof(order_cases[0]); i++)
		test_order(&order_cases[i]);
	for (size_t i = 0; i < sizeof(touch_cases) / sizeof(touch_cases[0]); i++)
		test_touch(&touch_cases[i]);
	for (size_t i = 0; i < sizeof(exp_cases) / sizeof(exp_cases[0]); i++)
		test_expire(&exp_cases[i]);
	test_expire_many();
	test_misc();
	CHECK_DONE();
}
