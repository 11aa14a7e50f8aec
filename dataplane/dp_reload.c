/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dp_reload: RCU-published rule set, its reloader thread and the rule
 * statistics readers (see dp_reload.h).
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

/* Hits of one rule id in retired databases, with its last known identity. */
struct hit_total {
	uint32_t id;
	int32_t score;
	uint8_t field;
	uint64_t hits;
	char msg[sizeof(((struct mxs_rule_hit *)0)->msg)];
};

struct dp_reload {
	_Atomic(struct dp_rules_db *) live;  /* stored under lock */
	struct rte_rcu_qsbr *qsv;
	char *path;
	uint32_t n_slots;
	atomic_int requested;
	atomic_int stop;
	pthread_t thread;
	atomic_uint_fast64_t ok;
	atomic_uint_fast64_t failed;
	dp_reload_done_fn on_done;
	void *ctx;
	/*
	 * The statistics readers' view, under @lock: totals (sorted by id)
	 * hold the hits of retired databases; @retiring is the database a
	 * reload replaced, still counting until the grace period ends;
	 * @live_folded: the live database's hits are in the totals already
	 * (after stop).
	 */
	pthread_mutex_t lock;
	struct hit_total *totals;
	uint32_t n_totals;
	uint32_t cap_totals;
	const struct dp_rules_db *retiring;
	int live_folded;
	char last_error[DP_RULES_ERR_MAX];
};

/* Copy NUL-terminated @src into @dst of @n bytes, truncating. */
static void copy_str(char *dst, size_t n, const char *src)
{
	size_t len = src ? strnlen(src, n - 1) : 0;

	memcpy(dst, src ? src : "", len);
	dst[len] = '\0';
}

static int total_cmp(const void *a, const void *b)
{
	const struct hit_total *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

static void set_identity(struct hit_total *t, const struct dp_rule *rule)
{
	t->score = rule->score;
	t->field = rule->field;
	copy_str(t->msg, sizeof(t->msg), rule->msg);
}

/* Fold @db's per-slot hit counters into the totals by id. Under lock. */
static void fold(struct dp_reload *r, const struct dp_rules_db *db)
{
	uint32_t sorted = r->n_totals;

	for (uint32_t i = 0; i < db->n_rules; i++) {
		uint64_t h = dp_rules_hits(db, i);
		struct hit_total key = { .id = db->rules[i].id }, *t;

		if (!h)
			continue;
		/* Ids are unique within @db: only the sorted prefix can hold it. */
		t = sorted ? bsearch(&key, r->totals, sorted, sizeof(key), total_cmp) : NULL;
		if (t) {
			t->hits += h;
			set_identity(t, &db->rules[i]); /* the newer database's */
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
		set_identity(&key, &db->rules[i]);
		r->totals[r->n_totals++] = key;
	}
	if (r->n_totals != sorted)
		qsort(r->totals, r->n_totals, sizeof(*r->totals), total_cmp);
}

static void notify(struct dp_reload *r)
{
	if (r->on_done)
		r->on_done(r->ctx);
}

static void reload_once(struct dp_reload *r)
{
	struct dp_rules_params p = { r->path, r->n_slots };
	struct dp_rules_db *db, *old;
	char err[DP_RULES_ERR_MAX];

	if (dp_rules_load(&p, &db, err, sizeof(err)) < 0) {
		pthread_mutex_lock(&r->lock);
		copy_str(r->last_error, sizeof(r->last_error), err);
		pthread_mutex_unlock(&r->lock);
		atomic_fetch_add(&r->failed, 1);
		fprintf(stderr, "mxscreen-dp: rules reload failed, keeping %u rules: %s\n",
			atomic_load(&r->live)->n_rules, err);
		notify(r);
		return;
	}
	pthread_mutex_lock(&r->lock);
	old = atomic_exchange(&r->live, db);
	r->retiring = old;
	pthread_mutex_unlock(&r->lock);
	/* After this, no worker holds @old: each passed a quiescent state
	 * (or is offline) since the exchange. Not under the lock: a worker
	 * may be waiting for the link thread, which may want the lock. */
	rte_rcu_qsbr_synchronize(r->qsv, RTE_QSBR_THRID_INVALID);
	pthread_mutex_lock(&r->lock);
	fold(r, old);
	r->retiring = NULL;
	pthread_mutex_unlock(&r->lock);
	dp_rules_db_free(old);
	atomic_fetch_add(&r->ok, 1);
	fprintf(stderr, "mxscreen-dp: rules reloaded from %s: %u rules\n", r->path, db->n_rules);
	notify(r);
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
				   struct dp_rules_db *initial,
				   dp_reload_done_fn on_done, void *ctx)
{
	struct dp_reload *r = calloc(1, sizeof(*r));
	size_t sz = rte_rcu_qsbr_get_memsize(n_slots);

	if (!r)
		return NULL;
	r->path = strdup(path);
	r->n_slots = n_slots;
	r->on_done = on_done;
	r->ctx = ctx;
	pthread_mutex_init(&r->lock, NULL);
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
	pthread_mutex_destroy(&r->lock);
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
	struct dp_reload *m = (struct dp_reload *)r;

	memset(ret, 0, sizeof(*ret));
	if (!r)
		return;
	ret->reload_ok = atomic_load(&m->ok);
	ret->reload_failed = atomic_load(&m->failed);
	/* Not an RCU reader: the lock keeps the live database from being
	 * freed under us. */
	pthread_mutex_lock(&m->lock);
	ret->rules_loaded = atomic_load(&m->live)->n_rules;
	pthread_mutex_unlock(&m->lock);
}

void dp_reload_last_error(struct dp_reload *r, char *buf, size_t len)
{
	if (!len)
		return;
	if (!r) {
		buf[0] = '\0';
		return;
	}
	pthread_mutex_lock(&r->lock);
	copy_str(buf, len, r->last_error);
	pthread_mutex_unlock(&r->lock);
}

/* A candidate row of dp_reload_top_hits; higher @prio: newer identity. */
struct hit_row {
	struct mxs_rule_hit h;
	int prio;
};

static int row_by_id(const void *a, const void *b)
{
	const struct hit_row *x = a, *y = b;

	if (x->h.id != y->h.id)
		return x->h.id < y->h.id ? -1 : 1;
	return y->prio - x->prio;
}

static int row_by_hits(const void *a, const void *b)
{
	const struct hit_row *x = a, *y = b;

	if (x->h.hits != y->h.hits)
		return x->h.hits > y->h.hits ? -1 : 1;
	return x->h.id < y->h.id ? -1 : x->h.id > y->h.id;
}

static uint32_t add_db_rows(struct hit_row *rows, uint32_t n, const struct dp_rules_db *db,
			    int prio)
{
	for (uint32_t i = 0; i < db->n_rules; i++) {
		uint64_t h = dp_rules_hits(db, i);
		struct hit_row *w = &rows[n];

		if (!h)
			continue;
		memset(w, 0, sizeof(*w));
		w->h.hits = h;
		w->h.id = db->rules[i].id;
		w->h.score = db->rules[i].score;
		w->h.field = db->rules[i].field;
		copy_str(w->h.msg, sizeof(w->h.msg), db->rules[i].msg);
		w->prio = prio;
		n++;
	}
	return n;
}

uint32_t dp_reload_top_hits(struct dp_reload *r, struct mxs_rule_hit *ret, uint32_t max)
{
	const struct dp_rules_db *live;
	struct hit_row *rows;
	uint32_t n = 0, m = 0;
	size_t cap;

	if (!r || !max)
		return 0;
	pthread_mutex_lock(&r->lock);
	live = atomic_load(&r->live); /* only stored under the lock */
	cap = (size_t)r->n_totals + (r->live_folded ? 0 : live->n_rules) +
	      (r->retiring ? r->retiring->n_rules : 0);
	rows = cap ? malloc(cap * sizeof(*rows)) : NULL;
	if (!rows) {
		pthread_mutex_unlock(&r->lock);
		return 0;
	}
	for (uint32_t i = 0; i < r->n_totals; i++, n++) {
		const struct hit_total *t = &r->totals[i];

		memset(&rows[n], 0, sizeof(rows[n]));
		rows[n].h.hits = t->hits;
		rows[n].h.id = t->id;
		rows[n].h.score = t->score;
		rows[n].h.field = t->field;
		memcpy(rows[n].h.msg, t->msg, sizeof(t->msg));
	}
	if (r->retiring)
		n = add_db_rows(rows, n, r->retiring, 1);
	if (!r->live_folded)
		n = add_db_rows(rows, n, live, 2);
	pthread_mutex_unlock(&r->lock);
	/* One row per id: hits summed, identity from the newest database. */
	qsort(rows, n, sizeof(*rows), row_by_id);
	for (uint32_t i = 0; i < n; i++) {
		if (m && rows[m - 1].h.id == rows[i].h.id)
			rows[m - 1].h.hits += rows[i].h.hits;
		else
			rows[m++] = rows[i];
	}
	qsort(rows, m, sizeof(*rows), row_by_hits);
	if (m > max)
		m = max;
	for (uint32_t i = 0; i < m; i++)
		ret[i] = rows[i].h;
	free(rows);
	return m;
}

static void stop(struct dp_reload *r)
{
	if (atomic_exchange(&r->stop, 1))
		return;
	pthread_join(r->thread, NULL);
	/* Workers are offline: the live database's counters are final. */
	pthread_mutex_lock(&r->lock);
	fold(r, atomic_load(&r->live));
	r->live_folded = 1;
	pthread_mutex_unlock(&r->lock);
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
	pthread_mutex_destroy(&r->lock);
	free(r->totals);
	free(r->path);
	free(r);
}
