/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dp_link: observation ring, link thread, verdict mirror (see dp_link.h).
 */
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

#include <rte_errno.h>
#include <rte_hash.h>
#include <rte_jhash.h>
#include <rte_mempool.h>
#include <rte_pause.h>
#include <rte_ring.h>

#include <mxscreen/verdict.h>

#include "dp_link.h"

#define MSG_OBS_MAX (sizeof(struct mxs_msg_hdr) + MXS_LINK_MAX_BATCH * sizeof(struct mxs_observation))
#define LOSSLESS_WAIT_MS 5000 /* replay waits this long for the control plane */
#define MSG_VERDICT_MAX (sizeof(struct mxs_msg_hdr) + MXS_LINK_MAX_BATCH * sizeof(struct mxs_verdict))

struct mirror_key {
	uint32_t family;
	uint8_t addr[16];
};

struct dp_link {
	char path[108];
	int lossless;
	int fd;
	struct rte_ring *ring;
	struct rte_mempool *pool;
	struct rte_hash *mirror;
	pthread_t thread;
	atomic_int stop;
	atomic_int given_up;             /* lossless: the peer never came */
	uint64_t down_since_ms;
	atomic_uint_fast64_t queued, dropped_full, sent, dropped_down, connects, verdicts, mirror_full;
	uint64_t base_s;                 /* CLOCK_REALTIME seconds at create */
	size_t rlen;
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

/*
 * Mirror values are one 64-bit word so lock-free readers always see a
 * whole verdict: action 4 | would_be 4 | shadow 1 | reasons 16 |
 * score 16 (clamped) | expiry 23 (seconds after base_s, ~97 days).
 */
static uint64_t pack(const struct dp_link *l, const struct mxs_verdict *v)
{
	int32_t sc = v->score < -32768 ? -32768 : v->score > 32767 ? 32767 : v->score;
	uint64_t exp = v->expiry_ns / 1000000000ull;

	exp = exp > l->base_s ? exp - l->base_s : 0;
	if (exp >= (1u << 23))
		exp = (1u << 23) - 1;
	return (uint64_t)(v->action & 15) | (uint64_t)(v->would_be & 15) << 4 |
	       (uint64_t)(v->shadow & 1) << 8 | (uint64_t)(v->reasons & 0xffff) << 9 |
	       (uint64_t)(uint16_t)sc << 25 | exp << 41;
}

static void mirror_key_of(struct mirror_key *k, int family, const uint8_t addr[16], int plen)
{
	memset(k, 0, sizeof(*k));
	k->family = (uint32_t)family;
	memcpy(k->addr, addr, family == 4 ? 4 : 16);
	if (family == 6 && plen == 64)
		memset(k->addr + 8, 0, 8);
}

static void mirror_put(struct dp_link *l, const struct mxs_verdict *v)
{
	struct mirror_key k;

	mirror_key_of(&k, v->family, v->addr, v->prefix_len);
	if (rte_hash_add_key_data(l->mirror, &k, (void *)(uintptr_t)pack(l, v)) < 0)
		atomic_fetch_add(&l->mirror_full, 1);
}

int dp_link_verdict(const struct dp_link *l, int family, const uint8_t addr[16],
		    struct dp_conn_verdict *ret)
{
	struct mirror_key k;
	void *data = NULL;
	uint64_t w;

	mirror_key_of(&k, family, addr, 128);
	if (rte_hash_lookup_data(l->mirror, &k, &data) < 0) {
		if (family != 6)
			return 0;
		mirror_key_of(&k, family, addr, 64);
		if (rte_hash_lookup_data(l->mirror, &k, &data) < 0)
			return 0;
	}
	w = (uint64_t)(uintptr_t)data;
	if (l->base_s + (w >> 41) < now_s())
		return 0; /* expired */
	ret->action = w & 15;
	ret->would_be = (w >> 4) & 15;
	ret->shadow = (w >> 8) & 1;
	ret->reasons = (w >> 9) & 0xffff;
	ret->score = (int16_t)(uint16_t)((w >> 25) & 0xffff);
	return 1;
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

int dp_link_observe(struct dp_link *l, const struct dp_conn_record *r)
{
	void *o;

	while (rte_mempool_get(l->pool, &o) < 0) {
		if (!may_wait(l)) {
			atomic_fetch_add_explicit(&l->dropped_full, 1, memory_order_relaxed);
			return -ENOBUFS;
		}
		rte_pause();
	}
	fill_obs(o, r);
	while (rte_ring_mp_enqueue(l->ring, o) < 0) {
		if (!may_wait(l)) {
			rte_mempool_put(l->pool, o);
			atomic_fetch_add_explicit(&l->dropped_full, 1, memory_order_relaxed);
			return -ENOBUFS;
		}
		rte_pause();
	}
	atomic_fetch_add_explicit(&l->queued, 1, memory_order_relaxed);
	return 0;
}

static void try_connect(struct dp_link *l)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

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
static int write_all(struct dp_link *l, const uint8_t *buf, size_t len)
{
	while (len) {
		ssize_t w = send(l->fd, buf, len, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		buf += w;
		len -= (size_t)w;
	}
	return 0;
}

static void read_verdicts(struct dp_link *l)
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
			    h.type != MXS_MSG_VERDICTS || h.record_size != sizeof(struct mxs_verdict) ||
			    h.count > MXS_LINK_MAX_BATCH) {
				disconnect(l);
				return;
			}
			need = sizeof(h) + h.count * sizeof(struct mxs_verdict);
			if (l->rlen - off < need)
				break;
			for (uint32_t i = 0; i < h.count; i++) {
				struct mxs_verdict v;

				memcpy(&v, l->rbuf + off + sizeof(h) + i * sizeof(v), sizeof(v));
				if (v.family == 4 || v.family == 6)
					mirror_put(l, &v);
			}
			atomic_fetch_add(&l->verdicts, h.count);
			off += need;
		}
		memmove(l->rbuf, l->rbuf + off, l->rlen - off);
		l->rlen -= off;
	}
	if (r == 0 || (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
		disconnect(l);
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
			}
		}
		if (stopping && l->fd < 0)
			atomic_store(&l->given_up, 1);
		if (pump(l))
			continue;
		if (stopping)
			break;
		if (l->fd >= 0) {
			struct pollfd p = { .fd = l->fd, .events = POLLIN };

			if (poll(&p, 1, 5) > 0)
				read_verdicts(l);
		} else {
			usleep(5000);
			wait_ms = wait_ms > 5 ? wait_ms - 5 : 0;
		}
	}
	if (l->fd >= 0) {
		/* Give the control plane a moment to answer the last batch. */
		struct pollfd p = { .fd = l->fd, .events = POLLIN };

		if (l->lossless && poll(&p, 1, 200) > 0)
			read_verdicts(l);
	}
	return NULL;
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
	l->fd = -1;
	l->base_s = now_s();
	l->ring = rte_ring_create("mxs_obs", p->ring_size, SOCKET_ID_ANY, RING_F_SC_DEQ);
	l->pool = rte_mempool_create("mxs_obs_pool", p->ring_size - 1,
				     sizeof(struct mxs_observation), 64, 0, NULL, NULL, NULL,
				     NULL, SOCKET_ID_ANY, 0);
	l->mirror = rte_hash_create(&hp);
	if (!l->ring || !l->pool || !l->mirror ||
	    pthread_create(&l->thread, NULL, link_main, l) != 0) {
		rte_hash_free(l->mirror);
		rte_mempool_free(l->pool);
		rte_ring_free(l->ring);
		free(l);
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
	rte_hash_free(l->mirror);
	rte_mempool_free(l->pool);
	rte_ring_free(l->ring);
	free(l);
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
	s->mirror_full = atomic_load(&m->mirror_full);
}
