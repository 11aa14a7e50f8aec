/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dp_reload: RCU-published rule set and its reloader thread (see
 * dp_reload.h).
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>

#include "dp_reload.h"

struct hit_total {
	uint32_t id;
	uint64_t hits;
};

struct dp_reload {
	_Atomic(struct dp_rules_db *) live;
	struct rte_rcu_qsbr *qsv;
	char *path;
	uint32_t n_slots;
	atomic_int requested;
	atomic_int stop;
	pthread_t thread;
	atomic_uint_fast64_t ok;
	atomic_uint_fast64_t failed;
	/* Hits of retired databases by rule id: reloader thread only. */
	struct hit_total *totals;
	uint32_t n_totals;
	uint32_t cap_totals;
};

static int total_cmp(const void *a, const void *b)
{
	const struct hit_total *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

/* Fold @db's per-slot hit counters into the totals by id. */
static void fold(struct dp_reload *r, const struct dp_rules_db *db)
{
	for (uint32_t i = 0; i < db->n_rules; i++) {
		uint64_t h = dp_rules_hits(db, i);
		struct hit_total key = { db->rules[i].id, 0 }, *t;

		if (!h)
			continue;
		t = r->n_totals ? bsearch(&key, r->totals, r->n_totals, sizeof(key), total_cmp)
				 : NULL;
		if (t) {
			t->hits += h;
			continue;
		}
		if (r->n_totals == r->cap_totals) {
			uint32_t cap = r->cap_totals ? 2 * r->cap_totals : 64;
			struct hit_total *n = realloc(r->totals, cap * sizeof(*n));

			if (!n)
				continue; /* statistics only: keep going */
			r->totals = n;
			r->cap_totals = cap;
		}
		key.hits = h;
		r->totals[r->n_totals++] = key;
		qsort(r->totals, r->n_totals, sizeof(key), total_cmp);
	}
}

static void reload_once(struct dp_reload *r)
{
	struct dp_rules_params p = { r->path, r->n_slots };
	struct dp_rules_db *db, *old;
	char err[DP_RULES_ERR_MAX];

	if (dp_rules_load(&p, &db, err, sizeof(err)) < 0) {
		atomic_fetch_add(&r->failed, 1);
		fprintf(stderr, "mxscreen-dp: rules reload failed, keeping %u rules: %s\n",
			atomic_load(&r->live)->n_rules, err);
		return;
	}
	old = atomic_exchange(&r->live, db);
	/* After this, no worker holds @old: each passed a quiescent state
	 * (or is offline) since the exchange. */
	rte_rcu_qsbr_synchronize(r->qsv, RTE_QSBR_THRID_INVALID);
	fold(r, old);
	dp_rules_db_free(old);
	atomic_fetch_add(&r->ok, 1);
	fprintf(stderr, "mxscreen-dp: rules reloaded from %s: %u rules\n", r->path, db->n_rules);
}

static void *reloader_main(void *arg)
{
	struct dp_reload *r = arg;

	while (!atomic_load(&r->stop)) {
		if (atomic_exchange(&r->requested, 0))
			reload_once(r);
		else
			usleep(20000);
	}
	return NULL;
}

struct dp_reload *dp_reload_create(const char *path, uint32_t n_slots,
				   struct dp_rules_db *initial)
{
	struct dp_reload *r = calloc(1, sizeof(*r));
	size_t sz = rte_rcu_qsbr_get_memsize(n_slots);

	if (!r)
		return NULL;
	r->path = strdup(path);
	r->n_slots = n_slots;
	r->qsv = rte_zmalloc("mxs_rules_qsbr", sz, RTE_CACHE_LINE_SIZE);
	if (!r->path || !r->qsv || rte_rcu_qsbr_init(r->qsv, n_slots) != 0)
		goto fail;
	for (uint32_t i = 0; i < n_slots; i++)
		rte_rcu_qsbr_thread_register(r->qsv, i);
	atomic_store(&r->live, initial);
	if (pthread_create(&r->thread, NULL, reloader_main, r) != 0)
		goto fail;
	pthread_setname_np(r->thread, "mxs-reload");
	return r;
fail:
	rte_free(r->qsv);
	free(r->path);
	free(r);
	errno = ENOMEM;
	return NULL;
}

const struct dp_rules_db *dp_reload_current(const struct dp_reload *r)
{
	return atomic_load_explicit(&((struct dp_reload *)r)->live, memory_order_acquire);
}

void dp_reload_online(struct dp_reload *r, uint32_t slot)
{
	rte_rcu_qsbr_thread_online(r->qsv, slot);
}

void dp_reload_quiescent(struct dp_reload *r, uint32_t slot)
{
	rte_rcu_qsbr_quiescent(r->qsv, slot);
}

void dp_reload_offline(struct dp_reload *r, uint32_t slot)
{
	rte_rcu_qsbr_thread_offline(r->qsv, slot);
}

void dp_reload_request(struct dp_reload *r)
{
	if (r)
		atomic_store(&r->requested, 1);
}

void dp_reload_stats(const struct dp_reload *r, struct dp_reload_stats *ret)
{
	memset(ret, 0, sizeof(*ret));
	if (!r)
		return;
	ret->reload_ok = atomic_load(&((struct dp_reload *)r)->ok);
	ret->reload_failed = atomic_load(&((struct dp_reload *)r)->failed);
	ret->rules_loaded = dp_reload_current(r)->n_rules;
}

static void stop(struct dp_reload *r)
{
	if (atomic_exchange(&r->stop, 1))
		return;
	pthread_join(r->thread, NULL);
	/* Workers are offline: the live database's counters are final. */
	fold(r, atomic_load(&r->live));
}

void dp_reload_write_json(struct dp_reload *r, FILE *f)
{
	struct dp_reload_stats st;

	stop(r);
	dp_reload_stats(r, &st);
	fprintf(f, "\"loaded\":%u,\"reload_ok\":%" PRIu64 ",\"reload_failed\":%" PRIu64
		",\"hits\":{", st.rules_loaded, st.reload_ok, st.reload_failed);
	for (uint32_t i = 0; i < r->n_totals; i++)
		fprintf(f, "%s\"%u\":%" PRIu64, i ? "," : "", r->totals[i].id, r->totals[i].hits);
	fputc('}', f);
}

void dp_reload_destroy(struct dp_reload *r)
{
	if (!r)
		return;
	stop(r);
	dp_rules_db_free(atomic_load(&r->live));
	rte_free(r->qsv);
	free(r->totals);
	free(r->path);
	free(r);
}
