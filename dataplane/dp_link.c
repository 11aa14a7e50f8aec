/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dp_link: observation ring, link thread, stats snapshots, verdict mirror
 * (see dp_link.h).
 */
#include <endian.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_hash.h>
#include <rte_jhash.h>
#include <rte_malloc.h>
#include <rte_mempool.h>
#include <rte_pause.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>

#include <mxscreen/verdict.h>

#include "dp_link.h"

#define MSG_OBS_MAX (sizeof(struct mxs_msg_hdr) + MXS_LINK_MAX_BATCH * sizeof(struct mxs_observation))
#define LOSSLESS_WAIT_MS 5000 /* replay waits this long for the control plane */
#define MSG_VERDICT_MAX (sizeof(struct mxs_msg_hdr) + MXS_LINK_MAX_BATCH * sizeof(struct mxs_verdict))
#define STATS_PERIOD_MS 1000
#define EXP_BITS 23
#define EXP_NEVER ((1ull << EXP_BITS) - 1) /* expiry_ns UINT64_MAX */

/* Exact mirror key: the prefix length is part of it, so a /64 and the
 * /128 of its ::0 address stay apart. */
struct mirror_key {
	uint32_t family_plen;              /* family | prefix_len << 8 */
	uint8_t addr[16];
};

/* One CIDR verdict: address and mask as a 128-bit host-order pair (IPv4
 * in the top 32 bits), the address already masked. */
struct cidr_entry {
	uint64_t hi, lo;
	uint64_t mhi, mlo;
	uint64_t word;                     /* pack() */
	uint8_t family;
	uint8_t plen;
};

/* A published list: immutable while any reader may hold it. */
struct cidr_table {
	uint32_t n;
	struct cidr_entry e[DP_LINK_MAX_CIDRS];
};

struct dp_link {
	char path[108];
	int lossless;
	int fd;
	struct rte_ring *ring;
	struct rte_mempool *pool;
	struct rte_hash *mirror;
	struct rte_rcu_qsbr *qsv;        /* reader slots of the mirror */
	pthread_t thread;
	atomic_int stop;
	atomic_int given_up;             /* lossless: the peer never came */
	atomic_int stats_soon;
	uint64_t down_since_ms;
	atomic_uint_fast64_t queued, dropped_full, sent, dropped_down, connects, verdicts,
		mirror_full, verdicts_invalid, stats_sent, reload_requests;
	uint64_t base_s;                 /* CLOCK_REALTIME seconds at create */
	void (*snapshot)(void *ctx, struct mxs_dp_stats *ret, struct mxs_rule_hit *ret_hits,
			 uint32_t max);
	int (*reload)(void *ctx);
	void *ctx;
	/* CIDR list: readers load @cidr; the link thread edits @master and
	 * publishes it into the spare buffer once the readers of that buffer
	 * are gone (@spare_token passed). */
	_Atomic(const struct cidr_table *) cidr;
	struct cidr_table *tables;       /* [2] */
	struct cidr_table master;
	int cidr_dirty;
	int spare_busy;
	uint64_t spare_token;
	uint64_t next_stats_ms;
	size_t rlen;
	struct mxs_dp_stats st;
	struct mxs_rule_hit *hits;       /* [MXS_LINK_MAX_RULE_HITS] */
	uint8_t rbuf[MSG_VERDICT_MAX];
	uint8_t wbuf[MSG_OBS_MAX];
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static uint64_t now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/*
 * Mirror values are one 64-bit word so lock-free readers always see a
 * whole verdict: action 4 | would_be 4 | shadow 1 | reasons 16 |
 * score 16 (clamped) | expiry 23 (seconds after base_s, ~97 days;
 * all ones: never, for expiry_ns UINT64_MAX).
 */
static uint64_t pack(const struct dp_link *l, const struct mxs_verdict *v)
{
	int32_t sc = v->score < -32768 ? -32768 : v->score > 32767 ? 32767 : v->score;
	uint64_t exp = v->expiry_ns / 1000000000ull;

	if (v->expiry_ns == UINT64_MAX) {
		exp = EXP_NEVER;
	} else {
		exp = exp > l->base_s ? exp - l->base_s : 0;
		if (exp >= EXP_NEVER)
			exp = EXP_NEVER - 1;
	}
	return (uint64_t)(v->action & 15) | (uint64_t)(v->would_be & 15) << 4 |
	       (uint64_t)(v->shadow & 1) << 8 | (uint64_t)(v->reasons & 0xffff) << 9 |
	       (uint64_t)(uint16_t)sc << 25 | exp << 41;
}

static int live_word(const struct dp_link *l, uint64_t w, uint64_t now)
{
	uint64_t exp = w >> 41;

	return exp == EXP_NEVER || l->base_s + exp >= now;
}

static void unpack(uint64_t w, struct dp_conn_verdict *ret)
{
	ret->action = w & 15;
	ret->would_be = (w >> 4) & 15;
	ret->shadow = (w >> 8) & 1;
	ret->reasons = (w >> 9) & 0xffff;
	ret->score = (int16_t)(uint16_t)((w >> 25) & 0xffff);
}

static void mirror_key_of(struct mirror_key *k, int family, const uint8_t addr[16], int plen)
{
	memset(k, 0, sizeof(*k));
	k->family_plen = (uint32_t)family | (uint32_t)plen << 8;
	memcpy(k->addr, addr, family == 4 ? 4 : 16);
	if (family == 6 && plen == 64)
		memset(k->addr + 8, 0, 8);
}

static int mirror_exact(int family, int plen)
{
	return family == 4 ? plen == 32 : plen == 64 || plen == 128;
}

/* @addr as a 128-bit host-order pair, IPv4 in the top 32 bits. */
static void addr_words(int family, const uint8_t addr[16], uint64_t *hi, uint64_t *lo)
{
	uint32_t a4;
	uint64_t a;

	if (family == 4) {
		memcpy(&a4, addr, 4);
		*hi = (uint64_t)be32toh(a4) << 32;
		*lo = 0;
		return;
	}
	memcpy(&a, addr, 8);
	*hi = be64toh(a);
	memcpy(&a, addr + 8, 8);
	*lo = be64toh(a);
}

static void cidr_entry_of(struct cidr_entry *e, int family, const uint8_t addr[16], int plen)
{
	memset(e, 0, sizeof(*e));
	e->family = (uint8_t)family;
	e->plen = (uint8_t)plen;
	e->mhi = plen == 0 ? 0 : plen >= 64 ? ~0ull : ~0ull << (64 - plen);
	e->mlo = plen <= 64 ? 0 : plen == 128 ? ~0ull : ~0ull << (128 - plen);
	addr_words(family, addr, &e->hi, &e->lo);
	e->hi &= e->mhi;
	e->lo &= e->mlo;
}

static int cidr_same(const struct cidr_entry *a, const struct cidr_entry *b)
{
	return a->family == b->family && a->plen == b->plen && a->hi == b->hi && a->lo == b->lo;
}

/* Link thread: @v into the master list (longest prefix first), or out of
 * it for action none. Published later by cidr_publish. */
static void cidr_put(struct dp_link *l, const struct mxs_verdict *v)
{
	struct cidr_table *m = &l->master;
	struct cidr_entry e;
	uint32_t i, at;

	cidr_entry_of(&e, v->family, v->addr, v->prefix_len);
	for (i = 0; i < m->n && !cidr_same(&m->e[i], &e); i++)
		;
	if (v->action == MXS_ACTION_NONE) {
		if (i < m->n) {
			memmove(&m->e[i], &m->e[i + 1], (m->n - i - 1) * sizeof(e));
			m->n--;
			l->cidr_dirty = 1;
		}
		return;
	}
	e.word = pack(l, v);
	if (i < m->n) {
		m->e[i].word = e.word;
		l->cidr_dirty = 1;
		return;
	}
	if (m->n == DP_LINK_MAX_CIDRS) {
		/* Full: make room by forgetting what has expired. */
		uint64_t now = now_s();
		uint32_t k = 0;

		for (i = 0; i < m->n; i++)
			if (live_word(l, m->e[i].word, now))
				m->e[k++] = m->e[i];
		m->n = k;
		if (m->n == DP_LINK_MAX_CIDRS) {
			atomic_fetch_add(&l->mirror_full, 1);
			return;
		}
	}
	for (at = 0; at < m->n && m->e[at].plen >= e.plen; at++)
		;
	memmove(&m->e[at + 1], &m->e[at], (m->n - at) * sizeof(e));
	m->e[at] = e;
	m->n++;
	l->cidr_dirty = 1;
}

/* Link thread: publish the master list into the spare buffer if no reader
 * can still hold that buffer; otherwise try again on a later turn. Never
 * waits: a worker may be spinning on us (lossless observe). */
static void cidr_publish(struct dp_link *l)
{
	const struct cidr_table *cur;
	struct cidr_table *spare;

	if (!l->cidr_dirty)
		return;
	if (l->spare_busy && rte_rcu_qsbr_check(l->qsv, l->spare_token, false) != 1)
		return;
	cur = atomic_load_explicit(&l->cidr, memory_order_relaxed);
	spare = cur == &l->tables[0] ? &l->tables[1] : &l->tables[0];
	spare->n = l->master.n;
	memcpy(spare->e, l->master.e, l->master.n * sizeof(spare->e[0]));
	atomic_store_explicit(&l->cidr, spare, memory_order_release);
	/* @cur is the spare now; readers that loaded it are gone once every
	 * slot reports a quiescent state after this token. */
	l->spare_token = rte_rcu_qsbr_start(l->qsv);
	l->spare_busy = 1;
	l->cidr_dirty = 0;
}

static void mirror_put(struct dp_link *l, const struct mxs_verdict *v)
{
	struct mirror_key k;

	if ((v->family != 4 && v->family != 6) || v->prefix_len > (v->family == 4 ? 32 : 128)) {
		atomic_fetch_add(&l->verdicts_invalid, 1);
		return;
	}
	if (!mirror_exact(v->family, v->prefix_len)) {
		cidr_put(l, v);
		return;
	}
	mirror_key_of(&k, v->family, v->addr, v->prefix_len);
	if (v->action == MXS_ACTION_NONE) {
		/* The slot is reused after a grace period (the hash's RCU
		 * defer queue). Absent keys are fine. */
		rte_hash_del_key(l->mirror, &k);
		return;
	}
	if (rte_hash_add_key_data(l->mirror, &k, (void *)(uintptr_t)pack(l, v)) < 0)
		atomic_fetch_add(&l->mirror_full, 1);
}

static int exact_lookup(const struct dp_link *l, int family, const uint8_t addr[16], int plen,
			uint64_t now, uint64_t *ret_w)
{
	struct mirror_key k;
	void *data = NULL;

	mirror_key_of(&k, family, addr, plen);
	if (rte_hash_lookup_data(l->mirror, &k, &data) < 0)
		return 0;
	*ret_w = (uint64_t)(uintptr_t)data;
	return live_word(l, *ret_w, now);
}

int dp_link_verdict(const struct dp_link *l, int family, const uint8_t addr[16],
		    struct dp_conn_verdict *ret)
{
	const struct cidr_table *t;
	uint64_t now = now_s(), w = 0, hi, lo;

	if (exact_lookup(l, family, addr, family == 4 ? 32 : 128, now, &w) ||
	    (family == 6 && exact_lookup(l, family, addr, 64, now, &w))) {
		unpack(w, ret);
		return 1;
	}
	t = atomic_load_explicit(&((struct dp_link *)l)->cidr, memory_order_acquire);
	if (!t->n)
		return 0;
	addr_words(family, addr, &hi, &lo);
	for (uint32_t i = 0; i < t->n; i++) {
		const struct cidr_entry *e = &t->e[i];

		if (e->family == family && (hi & e->mhi) == e->hi && (lo & e->mlo) == e->lo &&
		    live_word(l, e->word, now)) {
			unpack(e->word, ret);
			return 1;
		}
	}
	return 0;
}

void dp_link_online(struct dp_link *l, uint32_t slot)
{
	rte_rcu_qsbr_thread_online(l->qsv, slot);
}

void dp_link_quiescent(struct dp_link *l, uint32_t slot)
{
	rte_rcu_qsbr_quiescent(l->qsv, slot);
}

void dp_link_offline(struct dp_link *l, uint32_t slot)
{
	rte_rcu_qsbr_thread_offline(l->qsv, slot);
}

void dp_link_stats_soon(struct dp_link *l)
{
	if (l)
		atomic_store(&l->stats_soon, 1);
}

static void fill_obs(struct mxs_observation *o, const struct dp_conn_record *r)
{
	const struct dp_flow *f = r->flow;
	const struct dp_smtp_session *s = r->smtp;
	int c = f->client_side;

	memset(o, 0, sizeof(*o));
	o->ts_ns = f->first_ns;
	o->family = f->key.family;
	memcpy(o->client, f->key.addr[c], 16);
	memcpy(o->server, f->key.addr[!c], 16);
	o->server_port = f->key.port[!c];
	o->anomalies = r->anomalies;
	if (r->hits) {
		o->rule_score = r->hits->score;
		o->n_hits = (uint8_t)(r->hits->n < MXS_OBS_MAX_HITS ? r->hits->n : MXS_OBS_MAX_HITS);
		for (unsigned i = 0; i < o->n_hits; i++)
			o->hit_ids[i] = r->hits->hit[i].id;
	}
	if (!s)
		return;
	o->helo_len = (uint8_t)(s->helo_len < MXS_NAME_MAX ? s->helo_len : MXS_NAME_MAX);
	memcpy(o->helo, s->helo, o->helo_len);
	for (unsigned i = 0; i < s->tx_stored; i++) {
		const struct dp_smtp_tx *t = &s->tx[i];
		const char *a = dp_smtp_str_ptr(s, t->mail_from);
		const char *at = t->has_mail_from ? memrchr(a, '@', t->mail_from.len) : NULL;

		if (at) {
			size_t n = t->mail_from.len - (size_t)(at + 1 - a);

			o->mail_domain_len = (uint8_t)(n < MXS_NAME_MAX ? n : MXS_NAME_MAX);
			memcpy(o->mail_domain, at + 1, o->mail_domain_len);
			break;
		}
	}
}

/* Replay may wait for the link thread; live traffic never does. */
static int may_wait(const struct dp_link *l)
{
	return l->lossless && !atomic_load_explicit(&((struct dp_link *)l)->given_up,
						    memory_order_relaxed);
}

/* Lossless replay waits for room, but not for ever: after
 * LOSSLESS_WAIT_MS without any, the link is given up on (the control
 * plane is stuck) and observations are dropped and counted from then on. */
static int wait_more(struct dp_link *l, uint64_t *deadline)
{
	uint64_t now;

	if (!may_wait(l))
		return 0;
	rte_pause();
	now = rte_get_timer_cycles();
	if (!*deadline)
		*deadline = now + rte_get_timer_hz() / 1000 * LOSSLESS_WAIT_MS;
	else if (now > *deadline) {
		atomic_store(&l->given_up, 1);
		return 0;
	}
	return 1;
}

int dp_link_observe(struct dp_link *l, const struct dp_conn_record *r)
{
	uint64_t deadline = 0;
	void *o;

	while (rte_mempool_get(l->pool, &o) < 0) {
		if (!wait_more(l, &deadline)) {
			atomic_fetch_add_explicit(&l->dropped_full, 1, memory_order_relaxed);
			return -ENOBUFS;
		}
	}
	fill_obs(o, r);
	while (rte_ring_mp_enqueue(l->ring, o) < 0) {
		if (!wait_more(l, &deadline)) {
			rte_mempool_put(l->pool, o);
			atomic_fetch_add_explicit(&l->dropped_full, 1, memory_order_relaxed);
			return -ENOBUFS;
		}
	}
	atomic_fetch_add_explicit(&l->queued, 1, memory_order_relaxed);
	return 0;
}

static void try_connect(struct dp_link *l)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	/* Non-blocking: a control plane whose backlog is full (stuck, not
	 * accepting) makes connect fail with EAGAIN instead of hanging us. */
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

	if (fd < 0)
		return;
	strcpy(sa.sun_path, l->path);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		return;
	}
	l->fd = fd;
	l->rlen = 0;
	atomic_fetch_add(&l->connects, 1);
}

static void disconnect(struct dp_link *l)
{
	close(l->fd);
	l->fd = -1;
}

/* Write all of @buf (the link thread may wait; workers never do). */
/* The whole buffer, or -1. A peer that takes nothing for LOSSLESS_WAIT_MS
 * (connected but not reading) is given up on (replay stops waiting for
 * it), and at stop a live or given-up link does not wait at all: a stuck
 * control plane never hangs us. */
static int write_all(struct dp_link *l, const uint8_t *buf, size_t len)
{
	uint64_t stalled_since = now_ms();

	while (len) {
		ssize_t w = send(l->fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (w > 0) {
			buf += w;
			len -= (size_t)w;
			stalled_since = now_ms();
			continue;
		}
		if (w < 0 && errno == EINTR)
			continue;
		if (w == 0 || (errno != EAGAIN && errno != EWOULDBLOCK))
			return -1;
		if (atomic_load(&l->stop) && (!l->lossless || atomic_load(&l->given_up)))
			return -1;
		if (now_ms() - stalled_since > LOSSLESS_WAIT_MS) {
			atomic_store(&l->given_up, 1);
			return -1;
		}
		poll(&(struct pollfd){ .fd = l->fd, .events = POLLOUT }, 1, 100);
	}
	return 0;
}

static void on_reload(struct dp_link *l)
{
	atomic_fetch_add(&l->reload_requests, 1);
	/* Without rules nothing will finish: answer with the unchanged
	 * counters at once. */
	if (!l->reload || l->reload(l->ctx) < 0)
		atomic_store(&l->stats_soon, 1);
}

/* Read what the control plane sent: verdicts and reload requests. Any
 * other message is a protocol error: drop the connection. */
static void read_msgs(struct dp_link *l)
{
	ssize_t r;

	while ((r = recv(l->fd, l->rbuf + l->rlen, sizeof(l->rbuf) - l->rlen, MSG_DONTWAIT)) > 0) {
		size_t off = 0;

		l->rlen += (size_t)r;
		while (l->rlen - off >= sizeof(struct mxs_msg_hdr)) {
			struct mxs_msg_hdr h;
			size_t need;

			memcpy(&h, l->rbuf + off, sizeof(h));
			if (h.magic != MXS_LINK_MAGIC || h.version != MXS_LINK_VERSION ||
			    (h.type == MXS_MSG_RULES_RELOAD && h.count != 0) ||
			    (h.type == MXS_MSG_VERDICTS &&
			     (h.record_size != sizeof(struct mxs_verdict) ||
			      h.count > MXS_LINK_MAX_BATCH)) ||
			    (h.type != MXS_MSG_VERDICTS && h.type != MXS_MSG_RULES_RELOAD)) {
				disconnect(l);
				return;
			}
			if (h.type == MXS_MSG_RULES_RELOAD) {
				on_reload(l);
				off += sizeof(h);
				continue;
			}
			need = sizeof(h) + h.count * sizeof(struct mxs_verdict);
			if (l->rlen - off < need)
				break;
			for (uint32_t i = 0; i < h.count; i++) {
				struct mxs_verdict v;

				memcpy(&v, l->rbuf + off + sizeof(h) + i * sizeof(v), sizeof(v));
				mirror_put(l, &v);
			}
			atomic_fetch_add(&l->verdicts, h.count);
			off += need;
		}
		memmove(l->rbuf, l->rbuf + off, l->rlen - off);
		l->rlen -= off;
	}
	cidr_publish(l);
	if (r == 0 || (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
		disconnect(l);
}

static int write_msg(struct dp_link *l, uint16_t type, const void *recs, uint32_t count,
		     uint32_t size)
{
	struct mxs_msg_hdr h = { MXS_LINK_MAGIC, MXS_LINK_VERSION, type, count, size };

	if (write_all(l, (const uint8_t *)&h, sizeof(h)) < 0 ||
	    write_all(l, recs, (size_t)count * size) < 0)
		return -1;
	return 0;
}

/* One DP_STATS and its RULE_HITS messages. Link thread, connected. */
static void send_stats(struct dp_link *l)
{
	struct mxs_dp_stats *s = &l->st;
	uint32_t n;

	if (!l->snapshot)
		return;
	memset(s, 0, sizeof(*s));
	l->snapshot(l->ctx, s, l->hits, MXS_LINK_MAX_RULE_HITS);
	n = s->n_rule_hits = s->n_rule_hits < MXS_LINK_MAX_RULE_HITS ? s->n_rule_hits
								       : MXS_LINK_MAX_RULE_HITS;
	s->ts_ns = now_ns();
	s->obs_queued = atomic_load(&l->queued);
	s->obs_sent = atomic_load(&l->sent);
	s->obs_dropped = atomic_load(&l->dropped_full) + atomic_load(&l->dropped_down);
	s->verdicts_received = atomic_load(&l->verdicts);
	if (write_msg(l, MXS_MSG_DP_STATS, s, 1, sizeof(*s)) < 0)
		goto fail;
	for (uint32_t off = 0; off < n; off += MXS_LINK_MAX_BATCH) {
		uint32_t k = n - off < MXS_LINK_MAX_BATCH ? n - off : MXS_LINK_MAX_BATCH;

		if (write_msg(l, MXS_MSG_RULE_HITS, &l->hits[off], k, sizeof(l->hits[0])) < 0)
			goto fail;
	}
	atomic_fetch_add(&l->stats_sent, 1);
	return;
fail:
	disconnect(l);
}

/* The stats timer and requests. Link thread. */
static void stats_tick(struct dp_link *l)
{
	uint64_t now;

	if (l->fd < 0)
		return;
	now = now_ms();
	if (atomic_exchange(&l->stats_soon, 0) || now >= l->next_stats_ms) {
		l->next_stats_ms = now + STATS_PERIOD_MS;
		send_stats(l);
	}
}

/* Send (or, when down, drop) up to one batch; returns how many were taken. */
static unsigned pump(struct dp_link *l)
{
	void *obj[MXS_LINK_MAX_BATCH];
	unsigned n;

	if (l->fd < 0 && may_wait(l))
		return 0; /* replay: hold observations until the peer is up */
	n = rte_ring_sc_dequeue_burst(l->ring, obj, MXS_LINK_MAX_BATCH, NULL);
	struct mxs_msg_hdr h = { MXS_LINK_MAGIC, MXS_LINK_VERSION, MXS_MSG_OBSERVATIONS, n,
				 sizeof(struct mxs_observation) };

	if (!n)
		return 0;
	memcpy(l->wbuf, &h, sizeof(h));
	for (unsigned i = 0; i < n; i++)
		memcpy(l->wbuf + sizeof(h) + i * sizeof(struct mxs_observation), obj[i],
		       sizeof(struct mxs_observation));
	rte_mempool_put_bulk(l->pool, obj, n);
	if (l->fd >= 0 && write_all(l, l->wbuf, sizeof(h) + n * sizeof(struct mxs_observation)) == 0) {
		atomic_fetch_add(&l->sent, n);
	} else {
		if (l->fd >= 0)
			disconnect(l);
		atomic_fetch_add(&l->dropped_down, n);
	}
	return n;
}

static void *link_main(void *arg)
{
	struct dp_link *l = arg;
	unsigned backoff_ms = 50, wait_ms = 0;

	for (;;) {
		int stopping = atomic_load(&l->stop);
		unsigned n;

		if (l->fd < 0 && wait_ms == 0) {
			try_connect(l);
			if (l->fd < 0) {
				wait_ms = backoff_ms;
				backoff_ms = backoff_ms < 2000 ? backoff_ms * 2 : 2000;
				if (!l->down_since_ms)
					l->down_since_ms = now_ms();
				else if (now_ms() - l->down_since_ms > LOSSLESS_WAIT_MS)
					atomic_store(&l->given_up, 1);
			} else {
				backoff_ms = 50;
				l->down_since_ms = 0;
				l->next_stats_ms = 0; /* introduce ourselves */
			}
		}
		if (stopping && l->fd < 0)
			atomic_store(&l->given_up, 1);
		n = pump(l);
		/* Verdicts, reloads and stats are served under a steady
		 * stream of observations too. */
		stats_tick(l);
		cidr_publish(l);
		if (n) {
			if (l->fd >= 0)
				read_msgs(l);
			continue;
		}
		if (stopping)
			break;
		if (l->fd >= 0) {
			struct pollfd p = { .fd = l->fd, .events = POLLIN };

			if (poll(&p, 1, 5) > 0)
				read_msgs(l);
		} else {
			usleep(5000);
			wait_ms = wait_ms > 5 ? wait_ms - 5 : 0;
		}
	}
	if (l->fd >= 0) {
		/* Give the control plane a moment to answer the last batch. */
		struct pollfd p = { .fd = l->fd, .events = POLLIN };

		if (l->lossless && poll(&p, 1, 200) > 0)
			read_msgs(l);
	}
	if (l->fd >= 0)
		send_stats(l); /* the final totals, best effort */
	return NULL;
}

static void link_free(struct dp_link *l)
{
	rte_hash_free(l->mirror);
	rte_free(l->qsv);
	rte_mempool_free(l->pool);
	rte_ring_free(l->ring);
	free(l->tables);
	free(l->hits);
	free(l);
}

/* Readers of the mirror: the workers' slots, and its hash's defer queue. */
static int mirror_rcu_init(struct dp_link *l, uint32_t n_readers)
{
	struct rte_hash_rcu_config rc = { 0 };
	uint32_t n = n_readers ? n_readers : 1;

	l->qsv = rte_zmalloc("mxs_mirror_qsbr", rte_rcu_qsbr_get_memsize(n), RTE_CACHE_LINE_SIZE);
	if (!l->qsv || rte_rcu_qsbr_init(l->qsv, n) != 0)
		return -ENOMEM;
	for (uint32_t i = 0; i < n; i++)
		rte_rcu_qsbr_thread_register(l->qsv, i);
	rc.v = l->qsv;
	rc.mode = RTE_HASH_QSBR_MODE_DQ; /* reclaims without waiting */
	return rte_hash_rcu_qsbr_add(l->mirror, &rc) == 0 ? 0 : -ENOMEM;
}

struct dp_link *dp_link_create(const struct dp_link_params *p)
{
	struct dp_link *l = calloc(1, sizeof(*l));
	struct rte_hash_parameters hp = {
		.name = "mxs_mirror",
		.entries = DP_LINK_MIRROR_SIZE,
		.key_len = sizeof(struct mirror_key),
		.hash_func = rte_jhash,
		.socket_id = SOCKET_ID_ANY,
		.extra_flag = RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF,
	};

	if (!l)
		return NULL;
	if (strlen(p->path) >= sizeof(l->path)) {
		free(l);
		errno = ENAMETOOLONG;
		return NULL;
	}
	strcpy(l->path, p->path);
	l->lossless = p->lossless;
	l->snapshot = p->snapshot;
	l->reload = p->reload;
	l->ctx = p->ctx;
	l->fd = -1;
	l->base_s = now_s();
	l->tables = calloc(2, sizeof(*l->tables));
	l->hits = calloc(MXS_LINK_MAX_RULE_HITS, sizeof(*l->hits));
	if (l->tables)
		atomic_store(&l->cidr, &l->tables[0]);
	l->ring = rte_ring_create("mxs_obs", p->ring_size, SOCKET_ID_ANY, RING_F_SC_DEQ);
	l->pool = rte_mempool_create("mxs_obs_pool", p->ring_size - 1,
				     sizeof(struct mxs_observation), 64, 0, NULL, NULL, NULL,
				     NULL, SOCKET_ID_ANY, 0);
	l->mirror = rte_hash_create(&hp);
	if (!l->tables || !l->hits || !l->ring || !l->pool || !l->mirror ||
	    mirror_rcu_init(l, p->n_readers) < 0 ||
	    pthread_create(&l->thread, NULL, link_main, l) != 0) {
		link_free(l);
		errno = ENOMEM;
		return NULL;
	}
	pthread_setname_np(l->thread, "mxs-link");
	return l;
}

void dp_link_stop(struct dp_link *l)
{
	if (!l || atomic_exchange(&l->stop, 1))
		return;
	pthread_join(l->thread, NULL);
}

void dp_link_destroy(struct dp_link *l)
{
	if (!l)
		return;
	dp_link_stop(l);
	if (l->fd >= 0)
		close(l->fd);
	link_free(l);
}

void dp_link_stats(const struct dp_link *l, struct dp_link_stats *s)
{
	struct dp_link *m = (struct dp_link *)l;

	memset(s, 0, sizeof(*s));
	if (!l)
		return;
	s->queued = atomic_load(&m->queued);
	s->dropped_full = atomic_load(&m->dropped_full);
	s->sent = atomic_load(&m->sent);
	s->dropped_down = atomic_load(&m->dropped_down);
	s->connects = atomic_load(&m->connects);
	s->verdicts = atomic_load(&m->verdicts);
	s->verdicts_invalid = atomic_load(&m->verdicts_invalid);
	s->mirror_full = atomic_load(&m->mirror_full);
	s->stats_sent = atomic_load(&m->stats_sent);
	s->reload_requests = atomic_load(&m->reload_requests);
}
