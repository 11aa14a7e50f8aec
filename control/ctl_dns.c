/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ctl_dns: mxscreend's asynchronous, merging, caching DNS client on c-ares
 * (contract in ctl_dns.h). Main-thread (event loop) only.
 *
 * Owns: one c-ares channel, the answer cache (hash + LRU), the table of
 * merged in-flight queries, the send queue, and the queue of callbacks
 * waiting to be delivered. User callbacks run only from ctl_dns_process
 * (and ctl_dns_free), never from ctl_dns_query nor from inside c-ares:
 * c-ares' own callback (on_answer) only moves waiters to the delivery queue,
 * which is what makes ares_destroy's callbacks (1.18 fires them) harmless.
 *
 * Answers are immutable, refcounted blobs shared by the cache entry and
 * every undelivered waiter, so a cache entry can be evicted or replaced
 * while its answer is still queued for delivery.
 *
 * Counters: ok/none/errors/timeouts count completed wire queries
 * (timeouts are also errors); cache_hits + cache_misses count non-fresh
 * queries with a usable name. Errors never replace an unexpired good
 * answer in the cache (a failed refresh keeps what we knew).
 *
 * Not reentrant beyond ctl_dns_query: a callback must not call
 * ctl_dns_free or ctl_dns_process.
 */
#include <ares.h>
#include <arpa/inet.h>
#include <assert.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "ctl_dns.h"

#define DEF_TIMEOUT_MS 2000u
#define DEF_TRIES 2u
#define DEF_MAX_INFLIGHT 1000u
#define DEF_TTL_MAX 86400u
#define DEF_CACHE_MAX 100000u
#define NAME_LEN_MAX 253               /* presentation form, no trailing dot */
#define LABEL_LEN_MAX 63
#define WAITER_FREE_MAX 4096           /* spare waiters kept after a burst */
#define DNS_CLASS_IN 1
#define DNS_TYPE_SOA 6

/* An immutable answer: addresses, then NUL-terminated names, then the TXT. */
struct answer {
	unsigned refs;                 /* 0: static, never freed */
	int status;
	const char *error;
	uint32_t ttl;
	uint8_t n_addrs, addr_len, n_names;
	char data[];
};

static struct answer ans_shutdown = { 0, CTL_DNS_ERROR, "shutdown", 0, 0, 0, 0 };
static struct answer ans_badname = { 0, CTL_DNS_ERROR, "badname", 0, 0, 0, 0 };
static struct answer ans_nomem = { 0, CTL_DNS_ERROR, "nomem", 0, 0, 0, 0 };

/* Key of both hash tables: lower-cased name without trailing dot, type. */
struct hnode {
	struct hnode *hnext;
	const char *name;
	uint32_t hash;
	uint16_t type;
	uint16_t len;
};

struct htab {
	struct hnode **b;
	size_t mask;
	size_t n;
};

struct waiter {
	struct waiter *next;
	ctl_dns_cb cb;
	void *arg;
	struct answer *ans;            /* set once answered */
	uint32_t ttl;
	int from_cache;
};

struct centry {
	struct hnode h;
	struct centry *lru_prev, *lru_next;
	struct answer *ans;
	uint64_t expires_ms;
	char name[];
};

struct query {
	struct hnode h;                /* in d->merge unless fresh */
	struct query *next;            /* send queue */
	struct ctl_dns *d;
	struct waiter *wh, **wt;
	int fresh;
	char name[];
};

struct sock {
	int fd;
	short events;
};

struct ctl_dns {
	ares_channel ch;
	uint32_t max_inflight, ttl_min, ttl_max, error_ttl, cache_max;
	struct htab cache, merge;
	struct centry *lru_head, *lru_tail;    /* head = most recent */
	struct query *qhead, **qtail;          /* waiting for a send slot */
	struct waiter *dhead, **dtail;         /* answered, undelivered */
	struct waiter *wfree;
	size_t n_wfree;
	size_t n_waiters;                      /* ctl_dns_query calls not called back */
	struct sock *socks;
	size_t n_socks, cap_socks;
	int socks_lost;                        /* a socket we could not record */
	int closing, in_callback, lib_init;
	struct ctl_dns_stats st;
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static char lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

static int host_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

/*
 * Lower-case @in into @out (size @outlen) without its trailing dot, checking
 * labels. @strict: host-name characters only (outside input); otherwise any
 * printable byte but the backslash, which c-ares would take as an escape.
 * Returns the length, or -EINVAL / -ENAMETOOLONG.
 */
static int name_norm(const char *in, char *out, size_t outlen, int strict)
{
	size_t n = strlen(in), i, label = 0;

	if (n && in[n - 1] == '.')
		n--;
	if (n == 0)
		return -EINVAL;
	if (n > NAME_LEN_MAX)
		return -ENAMETOOLONG;
	if (n >= outlen)
		return -ENAMETOOLONG;
	for (i = 0; i < n; i++) {
		char c = lower(in[i]);

		if (c == '.') {
			if (label == 0)
				return -EINVAL;
			label = 0;
		} else {
			if (strict ? !host_char(c) :
			    ((unsigned char)c <= ' ' || (unsigned char)c >= 0x7f || c == '\\'))
				return -EINVAL;
			if (++label > LABEL_LEN_MAX)
				return -ENAMETOOLONG;
		}
		out[i] = c;
	}
	if (label == 0)
		return -EINVAL;        /* "a.." */
	out[n] = '\0';
	return (int)n;
}

static uint32_t key_hash(const char *name, size_t len, int type)
{
	uint32_t h = 2166136261u;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= (unsigned char)name[i];
		h *= 16777619u;
	}
	h ^= (uint32_t)type;
	h *= 16777619u;
	return h ^ (h >> 15);
}

/* ---- hash table (chained, power-of-two buckets, grows at load 1) ---- */

static int htab_init(struct htab *t, size_t nb)
{
	t->b = calloc(nb, sizeof(*t->b));
	if (!t->b)
		return -ENOMEM;
	t->mask = nb - 1;
	t->n = 0;
	return 0;
}

static struct hnode *htab_find(const struct htab *t, uint32_t hash, int type,
			       const char *name, size_t len)
{
	struct hnode *h;

	for (h = t->b[hash & t->mask]; h; h = h->hnext)
		if (h->hash == hash && h->type == type && h->len == len &&
		    memcmp(h->name, name, len) == 0)
			return h;
	return NULL;
}

static void htab_grow(struct htab *t)
{
	size_t nb = (t->mask + 1) * 2, i;
	struct hnode **b = calloc(nb, sizeof(*b));

	if (!b)
		return;                /* keep going with longer chains */
	for (i = 0; i <= t->mask; i++) {
		struct hnode *h = t->b[i], *next;

		for (; h; h = next) {
			next = h->hnext;
			h->hnext = b[h->hash & (nb - 1)];
			b[h->hash & (nb - 1)] = h;
		}
	}
	free(t->b);
	t->b = b;
	t->mask = nb - 1;
}

static void htab_insert(struct htab *t, struct hnode *h)
{
	if (t->n >= t->mask + 1)
		htab_grow(t);
	h->hnext = t->b[h->hash & t->mask];
	t->b[h->hash & t->mask] = h;
	t->n++;
}

static void htab_remove(struct htab *t, struct hnode *h)
{
	struct hnode **pp = &t->b[h->hash & t->mask];

	while (*pp != h) {
		assert(*pp);
		pp = &(*pp)->hnext;
	}
	*pp = h->hnext;
	t->n--;
}

/* ---- answers ---- */

static struct answer *answer_ref(struct answer *a)
{
	if (a->refs)
		a->refs++;
	return a;
}

static void answer_put(struct answer *a)
{
	if (a && a->refs && --a->refs == 0)
		free(a);
}

/* Pack @r into a refcounted answer, or the static "nomem" error. */
static struct answer *answer_pack(const struct ctl_dns_result *r, uint8_t addr_len)
{
	size_t size = r->n_addrs * addr_len + strlen(r->txt) + 1, i, off;
	struct answer *a;

	for (i = 0; i < r->n_names; i++)
		size += strlen(r->names[i]) + 1;
	a = malloc(sizeof(*a) + size);
	if (!a)
		return &ans_nomem;
	a->refs = 1;
	a->status = r->status;
	a->error = r->error;
	a->ttl = r->ttl;
	a->n_addrs = (uint8_t)r->n_addrs;
	a->addr_len = addr_len;
	a->n_names = (uint8_t)r->n_names;
	off = 0;
	for (i = 0; i < r->n_addrs; i++, off += addr_len)
		memcpy(a->data + off, r->addrs[i], addr_len);
	for (i = 0; i < r->n_names; i++) {
		size_t l = strlen(r->names[i]) + 1;

		memcpy(a->data + off, r->names[i], l);
		off += l;
	}
	memcpy(a->data + off, r->txt, strlen(r->txt) + 1);
	return a;
}

static void answer_unpack(const struct answer *a, struct ctl_dns_result *r)
{
	size_t i, off = 0;

	r->status = a->status;
	r->error = a->error;
	r->ttl = a->ttl;
	r->n_addrs = a->n_addrs;
	r->n_names = a->n_names;
	r->txt[0] = '\0';
	if (a->refs == 0)
		return;                /* static errors carry no data */
	for (i = 0; i < a->n_addrs; i++, off += a->addr_len)
		memcpy(r->addrs[i], a->data + off, a->addr_len);
	for (i = 0; i < a->n_names; i++) {
		size_t l = strlen(a->data + off) + 1;

		memcpy(r->names[i], a->data + off, l);
		off += l;
	}
	memcpy(r->txt, a->data + off, strlen(a->data + off) + 1);
}

/* ---- raw reply scan: answer TTL and RFC 2308 negative TTL ---- */

struct reply_ttls {
	int have_answer, have_soa;
	uint32_t answer_ttl;           /* min over answer RRs */
	uint32_t neg_ttl;              /* min(SOA TTL, SOA minimum) */
};

static int skip_name(const unsigned char *m, size_t len, size_t *off)
{
	size_t o = *off;

	for (;;) {
		unsigned c;

		if (o >= len)
			return -1;
		c = m[o];
		if (c == 0) {
			o++;
			break;
		}
		if ((c & 0xc0) == 0xc0) {
			if (o + 2 > len)
				return -1;
			o += 2;
			break;
		}
		if (c & 0xc0)
			return -1;
		o += 1 + c;
	}
	*off = o;
	return 0;
}

static uint16_t get16(const unsigned char *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const unsigned char *p)
{
	uint32_t v = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];

	return v > 0x7fffffffu ? 0 : v;    /* RFC 2181 8 */
}

static void reply_scan(const unsigned char *m, int alen, struct reply_ttls *t)
{
	size_t len = alen > 0 ? (size_t)alen : 0, off = 12;
	unsigned qd, an, ns, i;

	memset(t, 0, sizeof(*t));
	if (!m || len < 12)
		return;
	qd = get16(m + 4);
	an = get16(m + 6);
	ns = get16(m + 8);
	for (i = 0; i < qd; i++) {
		if (skip_name(m, len, &off) < 0 || off + 4 > len)
			return;
		off += 4;
	}
	for (i = 0; i < an + ns; i++) {
		unsigned type, rdlen;
		uint32_t ttl;
		size_t rd;

		if (skip_name(m, len, &off) < 0 || off + 10 > len)
			return;
		type = get16(m + off);
		ttl = get32(m + off + 4);
		rdlen = get16(m + off + 8);
		rd = off + 10;
		if (rd + rdlen > len)
			return;
		if (i < an) {
			if (!t->have_answer || ttl < t->answer_ttl)
				t->answer_ttl = ttl;
			t->have_answer = 1;
		} else if (type == DNS_TYPE_SOA && !t->have_soa) {
			size_t p = rd;

			if (skip_name(m, rd + rdlen, &p) == 0 &&
			    skip_name(m, rd + rdlen, &p) == 0 && p + 20 <= rd + rdlen) {
				uint32_t min = get32(m + p + 16);

				t->neg_ttl = ttl < min ? ttl : min;
				t->have_soa = 1;
			}
		}
		off = rd + rdlen;
	}
}

/* ---- c-ares status and reply to a result ---- */

static const char *ares_short(int status)
{
	switch (status) {
	case ARES_ETIMEOUT: return "timeout";
	case ARES_ESERVFAIL: return "servfail";
	case ARES_EREFUSED: return "refused";
	case ARES_EFORMERR: return "formerr";
	case ARES_ENOTIMP: return "notimp";
	case ARES_EBADRESP: return "badresp";
	case ARES_ECONNREFUSED: return "connrefused";
	case ARES_EBADNAME: return "badname";
	case ARES_ENOMEM: return "nomem";
	case ARES_EDESTRUCTION:
	case ARES_ECANCELLED: return "shutdown";
	default: return "error";
	}
}

static uint32_t clamp_ttl(const struct ctl_dns *d, uint32_t ttl)
{
	return ttl < d->ttl_min ? d->ttl_min : ttl > d->ttl_max ? d->ttl_max : ttl;
}

static void copy_name(char *dst, const char *src)
{
	size_t l = strlen(src);

	if (l > CTL_DNS_NAME_MAX)
		l = CTL_DNS_NAME_MAX;
	memcpy(dst, src, l);
	dst[l] = '\0';
}

/* Parse the records of a NOERROR reply into @r; an ares status back. */
static int parse_records(int type, const unsigned char *abuf, int alen,
			 struct ctl_dns_result *r, uint32_t *ret_ttl, uint8_t *ret_addr_len)
{
	int rc, i, n;

	switch (type) {
	case CTL_DNS_A: {
		struct ares_addrttl at[CTL_DNS_MAX_ADDRS];

		n = CTL_DNS_MAX_ADDRS;
		rc = ares_parse_a_reply(abuf, alen, NULL, at, &n);
		if (rc != ARES_SUCCESS)
			return rc;
		for (i = 0; i < n; i++) {
			memcpy(r->addrs[i], &at[i].ipaddr, 4);
			if (i == 0 || (uint32_t)at[i].ttl < *ret_ttl)
				*ret_ttl = at[i].ttl < 0 ? 0 : (uint32_t)at[i].ttl;
		}
		r->n_addrs = (size_t)n;
		*ret_addr_len = 4;
		return n ? ARES_SUCCESS : ARES_ENODATA;
	}
	case CTL_DNS_AAAA: {
		struct ares_addr6ttl at[CTL_DNS_MAX_ADDRS];

		n = CTL_DNS_MAX_ADDRS;
		rc = ares_parse_aaaa_reply(abuf, alen, NULL, at, &n);
		if (rc != ARES_SUCCESS)
			return rc;
		for (i = 0; i < n; i++) {
			memcpy(r->addrs[i], &at[i].ip6addr, 16);
			if (i == 0 || (uint32_t)at[i].ttl < *ret_ttl)
				*ret_ttl = at[i].ttl < 0 ? 0 : (uint32_t)at[i].ttl;
		}
		r->n_addrs = (size_t)n;
		*ret_addr_len = 16;
		return n ? ARES_SUCCESS : ARES_ENODATA;
	}
	case CTL_DNS_PTR: {
		/* the address only fills h_addr_list; every PTR lands in h_aliases */
		static const unsigned char dummy[4];
		struct hostent *he = NULL;

		rc = ares_parse_ptr_reply(abuf, alen, dummy, sizeof(dummy), AF_INET, &he);
		if (rc != ARES_SUCCESS)
			return rc;
		for (i = 0; he->h_aliases && he->h_aliases[i] &&
		     r->n_names < CTL_DNS_MAX_NAMES; i++)
			copy_name(r->names[r->n_names++], he->h_aliases[i]);
		if (r->n_names == 0 && he->h_name && he->h_name[0])
			copy_name(r->names[r->n_names++], he->h_name);
		ares_free_hostent(he);
		return r->n_names ? ARES_SUCCESS : ARES_ENODATA;
	}
	case CTL_DNS_TXT: {
		struct ares_txt_reply *txt = NULL;
		size_t l;

		rc = ares_parse_txt_reply(abuf, alen, &txt);
		if (rc != ARES_SUCCESS)
			return rc;
		if (!txt)
			return ARES_ENODATA;
		l = txt->length > CTL_DNS_NAME_MAX ? CTL_DNS_NAME_MAX : txt->length;
		memcpy(r->txt, txt->txt, l);
		r->txt[l] = '\0';
		ares_free_data(txt);
		return ARES_SUCCESS;
	}
	default:
		return ARES_ENOTIMP;
	}
}

static struct answer *answer_from_reply(struct ctl_dns *d, int type, int status,
					const unsigned char *abuf, int alen)
{
	struct ctl_dns_result r;
	struct reply_ttls t;
	uint32_t ttl = 0;
	uint8_t addr_len = 0;

	r.n_addrs = r.n_names = 0;
	r.txt[0] = '\0';
	r.error = NULL;
	reply_scan(abuf, alen, &t);
	if (status == ARES_SUCCESS) {
		ttl = t.answer_ttl;
		status = parse_records(type, abuf, alen, &r, &ttl, &addr_len);
	}
	switch (status) {
	case ARES_SUCCESS:
		r.status = CTL_DNS_OK;
		r.ttl = clamp_ttl(d, ttl);
		d->st.ok++;
		break;
	case ARES_ENOTFOUND:
	case ARES_ENODATA:
		r.status = CTL_DNS_NONE;
		r.n_addrs = r.n_names = 0;
		r.txt[0] = '\0';
		r.ttl = t.have_soa ? clamp_ttl(d, t.neg_ttl) : d->ttl_min;
		d->st.none++;
		break;
	default:
		r.status = CTL_DNS_ERROR;
		r.n_addrs = r.n_names = 0;
		r.txt[0] = '\0';
		r.error = ares_short(status);
		r.ttl = d->error_ttl;
		d->st.errors++;
		if (status == ARES_ETIMEOUT)
			d->st.timeouts++;
		break;
	}
	return answer_pack(&r, addr_len);
}

/* ---- waiters and delivery ---- */

static struct waiter *waiter_get(struct ctl_dns *d)
{
	struct waiter *w = d->wfree;

	if (w) {
		d->wfree = w->next;
		d->n_wfree--;
	} else {
		w = malloc(sizeof(*w));
		if (!w)
			return NULL;
	}
	memset(w, 0, sizeof(*w));
	return w;
}

static void waiter_put(struct ctl_dns *d, struct waiter *w)
{
	if (d->n_wfree >= WAITER_FREE_MAX) {
		free(w);
		return;
	}
	w->next = d->wfree;
	d->wfree = w;
	d->n_wfree++;
}

/* Queue @w for delivery of @a (a reference is taken). */
static void deliver_push(struct ctl_dns *d, struct waiter *w, struct answer *a,
			 uint32_t ttl, int from_cache)
{
	w->ans = answer_ref(a);
	w->ttl = ttl;
	w->from_cache = from_cache;
	w->next = NULL;
	*d->dtail = w;
	d->dtail = &w->next;
}

/* Call back everything queued so far; what the callbacks add waits. */
static void deliver(struct ctl_dns *d)
{
	struct waiter *list = d->dhead;
	struct ctl_dns_result r;

	d->dhead = NULL;
	d->dtail = &d->dhead;
	while (list) {
		struct waiter *w = list;
		ctl_dns_cb cb = w->cb;
		void *arg = w->arg;

		list = w->next;
		answer_unpack(d->closing ? &ans_shutdown : w->ans, &r);
		r.from_cache = d->closing ? 0 : w->from_cache;
		if (!d->closing)
			r.ttl = w->ttl;
		answer_put(w->ans);
		waiter_put(d, w);
		d->n_waiters--;
		d->in_callback = 1;
		cb(arg, &r);
		d->in_callback = 0;
	}
}

/* ---- cache ---- */

static void lru_unlink(struct ctl_dns *d, struct centry *c)
{
	if (c->lru_prev)
		c->lru_prev->lru_next = c->lru_next;
	else
		d->lru_head = c->lru_next;
	if (c->lru_next)
		c->lru_next->lru_prev = c->lru_prev;
	else
		d->lru_tail = c->lru_prev;
	c->lru_prev = c->lru_next = NULL;
}

static void lru_push(struct ctl_dns *d, struct centry *c)
{
	c->lru_prev = NULL;
	c->lru_next = d->lru_head;
	if (d->lru_head)
		d->lru_head->lru_prev = c;
	else
		d->lru_tail = c;
	d->lru_head = c;
}

static void cache_drop(struct ctl_dns *d, struct centry *c)
{
	htab_remove(&d->cache, &c->h);
	lru_unlink(d, c);
	answer_put(c->ans);
	free(c);
}

static void cache_store(struct ctl_dns *d, const struct hnode *key, struct answer *a)
{
	uint64_t now = now_ms();
	struct hnode *h;
	struct centry *c;

	if (a->refs == 0 || a->ttl == 0)
		return;
	h = htab_find(&d->cache, key->hash, key->type, key->name, key->len);
	if (h) {
		c = (struct centry *)h;
		if (a->status == CTL_DNS_ERROR && c->ans->status != CTL_DNS_ERROR &&
		    c->expires_ms > now)
			return;
		answer_put(c->ans);
		c->ans = answer_ref(a);
		c->expires_ms = now + (uint64_t)a->ttl * 1000u;
		lru_unlink(d, c);
		lru_push(d, c);
		return;
	}
	while (d->cache.n >= d->cache_max && d->lru_tail)
		cache_drop(d, d->lru_tail);
	c = malloc(sizeof(*c) + key->len + 1);
	if (!c)
		return;
	memcpy(c->name, key->name, key->len + 1u);
	c->h.name = c->name;
	c->h.len = key->len;
	c->h.hash = key->hash;
	c->h.type = key->type;
	c->ans = answer_ref(a);
	c->expires_ms = now + (uint64_t)a->ttl * 1000u;
	htab_insert(&d->cache, &c->h);
	lru_push(d, c);
}

/* ---- queries ---- */

static void query_finish(struct ctl_dns *d, struct query *q, struct answer *a)
{
	struct waiter *w, *next;

	if (!q->fresh)
		htab_remove(&d->merge, &q->h);
	for (w = q->wh; w; w = next) {
		next = w->next;
		deliver_push(d, w, a, a->ttl, 0);
	}
	free(q);
}

static void on_answer(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
	struct query *q = arg;
	struct ctl_dns *d = q->d;
	struct answer *a;

	assert(d->st.inflight > 0);
	d->st.inflight--;
	if (d->closing || status == ARES_EDESTRUCTION || status == ARES_ECANCELLED) {
		query_finish(d, q, &ans_shutdown);
		return;
	}
	a = answer_from_reply(d, q->h.type, status, abuf, alen);
	cache_store(d, &q->h, a);
	query_finish(d, q, a);
	answer_put(a);
}

static void send_queued(struct ctl_dns *d)
{
	while (d->qhead && d->st.inflight < d->max_inflight) {
		struct query *q = d->qhead;

		d->qhead = q->next;
		if (!d->qhead)
			d->qtail = &d->qhead;
		d->st.queued--;
		d->st.inflight++;
		d->st.sent++;
		/* may call on_answer at once (bad name, no memory): that only queues */
		ares_query(d->ch, q->name, DNS_CLASS_IN, q->h.type, on_answer, q);
	}
}

static int dns_ask(struct ctl_dns *d, const char *name, int type, ctl_dns_cb cb,
		   void *arg, int fresh)
{
	char key[CTL_DNS_NAME_MAX + 1];
	struct waiter *w;
	struct query *q;
	struct hnode *h;
	uint32_t hash;
	int len;

	assert(type == CTL_DNS_A || type == CTL_DNS_AAAA || type == CTL_DNS_PTR ||
	       type == CTL_DNS_TXT);
	assert(cb);
	w = waiter_get(d);
	if (!w)
		return -ENOMEM;
	d->st.queries++;
	d->n_waiters++;
	w->cb = cb;
	w->arg = arg;
	if (d->closing) {
		deliver_push(d, w, &ans_shutdown, 0, 0);
		return 0;
	}
	len = name ? name_norm(name, key, sizeof(key), 0) : -EINVAL;
	if (len < 0) {
		deliver_push(d, w, &ans_badname, 0, 0);
		return 0;
	}
	hash = key_hash(key, (size_t)len, type);
	if (!fresh) {
		h = htab_find(&d->cache, hash, type, key, (size_t)len);
		if (h) {
			struct centry *c = (struct centry *)h;
			uint64_t now = now_ms();

			if (c->expires_ms > now) {
				d->st.cache_hits++;
				lru_unlink(d, c);
				lru_push(d, c);
				deliver_push(d, w, c->ans,
					     (uint32_t)((c->expires_ms - now + 999) / 1000), 1);
				return 0;
			}
			cache_drop(d, c);
		}
		d->st.cache_misses++;
		h = htab_find(&d->merge, hash, type, key, (size_t)len);
		if (h) {
			q = (struct query *)h;
			d->st.merged++;
			*q->wt = w;
			q->wt = &w->next;
			return 0;
		}
	}
	q = malloc(sizeof(*q) + (size_t)len + 1);
	if (!q) {
		d->n_waiters--;
		d->st.queries--;
		waiter_put(d, w);
		return -ENOMEM;
	}
	memcpy(q->name, key, (size_t)len + 1);
	q->h.name = q->name;
	q->h.len = (uint16_t)len;
	q->h.hash = hash;
	q->h.type = (uint16_t)type;
	q->d = d;
	q->fresh = fresh;
	q->wh = w;
	q->wt = &w->next;
	q->next = NULL;
	if (!fresh)
		htab_insert(&d->merge, &q->h);
	*d->qtail = q;
	d->qtail = &q->next;
	d->st.queued++;
	return 0;
}

int ctl_dns_query(struct ctl_dns *d, const char *name, int type, ctl_dns_cb cb, void *arg)
{
	return dns_ask(d, name, type, cb, arg, 0);
}

int ctl_dns_query_fresh(struct ctl_dns *d, const char *name, int type, ctl_dns_cb cb, void *arg)
{
	return dns_ask(d, name, type, cb, arg, 1);
}

/* ---- sockets and the event loop ---- */

static void sock_cb(void *data, ares_socket_t fd, int readable, int writable)
{
	struct ctl_dns *d = data;
	size_t i;

	for (i = 0; i < d->n_socks && d->socks[i].fd != fd; i++)
		;
	if (!readable && !writable) {
		if (i < d->n_socks)
			d->socks[i] = d->socks[--d->n_socks];
		return;
	}
	if (i == d->n_socks) {
		if (d->n_socks == d->cap_socks) {
			size_t cap = d->cap_socks ? d->cap_socks * 2 : 8;
			struct sock *s = realloc(d->socks, cap * sizeof(*s));

			if (!s) {
				d->socks_lost = 1;     /* polled blindly from now on */
				return;
			}
			d->socks = s;
			d->cap_socks = cap;
		}
		d->socks[d->n_socks++].fd = fd;
	}
	d->socks[i].events = (short)((readable ? POLLIN : 0) | (writable ? POLLOUT : 0));
}

int ctl_dns_pollfds(struct ctl_dns *d, struct pollfd *fds, int max, int *ret_timeout_ms)
{
	int n = 0, timeout = -1;
	size_t i;

	for (i = 0; i < d->n_socks && n < max; i++, n++) {
		fds[n].fd = d->socks[i].fd;
		fds[n].events = d->socks[i].events;
		fds[n].revents = 0;
	}
	if (d->dhead || (d->qhead && d->st.inflight < d->max_inflight)) {
		timeout = 0;
	} else {
		struct timeval tv, *tp = ares_timeout(d->ch, NULL, &tv);

		if (tp)
			timeout = (int)(tp->tv_sec * 1000 + (tp->tv_usec + 999) / 1000);
		/* sockets that did not fit (or were not recorded): look often */
		if ((d->socks_lost || i < d->n_socks) && (timeout < 0 || timeout > 10))
			timeout = 10;
	}
	if (ret_timeout_ms)
		*ret_timeout_ms = timeout;
	return n;
}

static int sock_known(const struct ctl_dns *d, int fd)
{
	size_t i;

	for (i = 0; i < d->n_socks; i++)
		if (d->socks[i].fd == fd)
			return 1;
	return 0;
}

void ctl_dns_process(struct ctl_dns *d, const struct pollfd *fds, int n)
{
	int i;

	assert(!d->in_callback);
	for (i = 0; i < n; i++) {
		short re = fds[i].revents;

		if (!re || !sock_known(d, fds[i].fd))
			continue;
		ares_process_fd(d->ch,
				re & (POLLIN | POLLERR | POLLHUP) ? fds[i].fd : ARES_SOCKET_BAD,
				re & POLLOUT ? fds[i].fd : ARES_SOCKET_BAD);
	}
	if (d->socks_lost || d->n_socks > (size_t)(n > 0 ? n : 0)) {
		/* unpolled sockets: a non-blocking read costs an EAGAIN at worst */
		size_t k;

		for (k = 0; k < d->n_socks; k++)
			ares_process_fd(d->ch, d->socks[k].fd, ARES_SOCKET_BAD);
	}
	ares_process_fd(d->ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD);   /* timeouts */
	send_queued(d);
	deliver(d);
}

size_t ctl_dns_pending(const struct ctl_dns *d)
{
	return d->n_waiters;
}

const struct ctl_dns_stats *ctl_dns_stats(const struct ctl_dns *d)
{
	return &d->st;
}

/* ---- life cycle ---- */

static int set_servers(struct ctl_dns *d, const struct ctl_dns_params *p)
{
	size_t cap = p->n_servers * 72 + 1, off = 0, i;
	char *csv = malloc(cap);
	int rc;

	if (!csv)
		return -ENOMEM;
	csv[0] = '\0';
	for (i = 0; i < p->n_servers; i++) {
		const struct ctl_resolver *s = &p->servers[i];
		unsigned char buf[16];
		unsigned port = s->port ? s->port : 53;
		int v6;

		if (memchr(s->host, '\0', sizeof(s->host)) == NULL) {
			free(csv);
			return -EINVAL;
		}
		v6 = inet_pton(AF_INET6, s->host, buf) == 1;
		if (!v6 && inet_pton(AF_INET, s->host, buf) != 1) {
			free(csv);
			return -EINVAL;
		}
		/* 1.18 drops ":port" in ares_set_servers_csv: the _ports_ variant */
		off += (size_t)snprintf(csv + off, cap - off, v6 ? "%s[%s]:%u" : "%s%s:%u",
					i ? "," : "", s->host, port);
	}
	rc = ares_set_servers_ports_csv(d->ch, csv);
	free(csv);
	return rc == ARES_SUCCESS ? 0 : rc == ARES_ENOMEM ? -ENOMEM : -EINVAL;
}

struct ctl_dns *ctl_dns_create(const struct ctl_dns_params *p)
{
	struct ares_options o;
	struct ctl_dns *d;
	int rc;

	if (!p || (p->n_servers && !p->servers)) {
		errno = EINVAL;
		return NULL;
	}
	d = calloc(1, sizeof(*d));
	if (!d) {
		errno = ENOMEM;
		return NULL;
	}
	d->max_inflight = p->max_inflight ? p->max_inflight : DEF_MAX_INFLIGHT;
	d->ttl_min = p->ttl_min;
	d->ttl_max = p->ttl_max ? p->ttl_max : DEF_TTL_MAX;
	d->error_ttl = p->error_ttl;
	d->cache_max = p->cache_max ? p->cache_max : DEF_CACHE_MAX;
	d->qtail = &d->qhead;
	d->dtail = &d->dhead;
	if (d->ttl_min > d->ttl_max) {
		free(d);
		errno = EINVAL;
		return NULL;
	}
	if (htab_init(&d->cache, 64) < 0 || htab_init(&d->merge, 64) < 0) {
		free(d->cache.b);
		free(d);
		errno = ENOMEM;
		return NULL;
	}
	if (ares_library_init(ARES_LIB_INIT_ALL) != ARES_SUCCESS) {
		ctl_dns_free(d);
		errno = ENOMEM;
		return NULL;
	}
	d->lib_init = 1;
	memset(&o, 0, sizeof(o));
	/*
	 * NOCHECKRESP: 1.18 turns SERVFAIL/REFUSED from every server into
	 * ECONNREFUSED; we want the reason (and cache it) rather than failover.
	 */
	/* STAYOPEN: without it c-ares opens and closes its socket around
	 * every idle period, a handful of syscalls per lookup. */
	o.flags = ARES_FLAG_NOSEARCH | ARES_FLAG_NOALIASES | ARES_FLAG_NOCHECKRESP |
		  ARES_FLAG_STAYOPEN;
	o.timeout = (int)(p->timeout_ms ? p->timeout_ms : DEF_TIMEOUT_MS);
	o.tries = (int)(p->tries ? p->tries : DEF_TRIES);
	o.sock_state_cb = sock_cb;
	o.sock_state_cb_data = d;
	/* A thousand answers in flight arrive in bursts: the default socket
	 * buffer drops some, and each drop costs a retry and maybe an error. */
	o.socket_receive_buffer_size = 4 << 20;
	rc = ares_init_options(&d->ch, &o, ARES_OPT_FLAGS | ARES_OPT_TIMEOUTMS |
			       ARES_OPT_TRIES | ARES_OPT_SOCK_STATE_CB |
			       ARES_OPT_SOCK_RCVBUF);
	if (rc != ARES_SUCCESS) {
		d->ch = NULL;
		ctl_dns_free(d);
		errno = rc == ARES_ENOMEM ? ENOMEM : EINVAL;
		return NULL;
	}
	if (p->n_servers) {
		rc = set_servers(d, p);
		if (rc < 0) {
			ctl_dns_free(d);
			errno = -rc;
			return NULL;
		}
	}
	return d;
}

void ctl_dns_free(struct ctl_dns *d)
{
	struct waiter *w;

	if (!d)
		return;
	assert(!d->in_callback);
	d->closing = 1;
	if (d->ch) {
		ares_destroy(d->ch);   /* on_answer fires for each query in flight */
		d->ch = NULL;
	}
	assert(d->st.inflight == 0);
	/* callbacks may ask again: those get "shutdown" too, until quiet */
	for (;;) {
		while (d->qhead) {
			struct query *q = d->qhead;

			d->qhead = q->next;
			d->st.queued--;
			query_finish(d, q, &ans_shutdown);
		}
		d->qtail = &d->qhead;
		if (!d->dhead)
			break;
		deliver(d);
	}
	while (d->lru_head)
		cache_drop(d, d->lru_head);
	assert(d->merge.n == 0);
	while ((w = d->wfree)) {
		d->wfree = w->next;
		free(w);
	}
	free(d->cache.b);
	free(d->merge.b);
	free(d->socks);
	if (d->lib_init)
		ares_library_cleanup();
	free(d);
}

/* ---- query names ---- */

static int zone_norm(const char *zone, const char *dflt, char *out, size_t outlen)
{
	if (!zone || !zone[0])
		zone = dflt;
	if (!zone)
		return 0;
	return name_norm(zone, out, outlen, 0);
}

/* @family: AF_INET/AF_INET6, or 4/6 as in struct ctl_cidr. */
int ctl_dns_revname(int family, const uint8_t addr[16], const char *zone, char *buf, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	char z[CTL_DNS_NAME_MAX + 1], name[NAME_LEN_MAX + 2];
	size_t n = 0;
	int zl, i;

	if (family == AF_INET || family == 4) {
		zl = zone_norm(zone, "in-addr.arpa", z, sizeof(z));
		if (zl < 0)
			return zl;
		if (16 + (size_t)zl > NAME_LEN_MAX)
			return -ENAMETOOLONG;
		/* Hand-rolled: this runs for every zone of every address. */
		for (i = 3; i >= 0; i--) {
			unsigned v = addr[i];

			if (v >= 100)
				name[n++] = (char)('0' + v / 100);
			if (v >= 10)
				name[n++] = (char)('0' + v / 10 % 10);
			name[n++] = (char)('0' + v % 10);
			name[n++] = '.';
		}
		memcpy(name + n, z, (size_t)zl + 1);
		n += (size_t)zl;
	} else if (family == AF_INET6 || family == 6) {
		zl = zone_norm(zone, "ip6.arpa", z, sizeof(z));
		if (zl < 0)
			return zl;
		if (64 + (size_t)zl > NAME_LEN_MAX)
			return -ENAMETOOLONG;
		for (i = 15; i >= 0; i--) {
			name[n++] = hex[addr[i] & 0xf];
			name[n++] = '.';
			name[n++] = hex[addr[i] >> 4];
			name[n++] = '.';
		}
		memcpy(name + n, z, (size_t)zl + 1);
		n += (size_t)zl;
	} else {
		return -EINVAL;
	}
	if (n > NAME_LEN_MAX || n >= len)
		return -ENAMETOOLONG;
	memcpy(buf, name, n + 1);
	return 0;
}

int ctl_dns_domname(const char *domain, const char *zone, char *buf, size_t len)
{
	char dom[CTL_DNS_NAME_MAX + 1], z[CTL_DNS_NAME_MAX + 1];
	unsigned char ip[16];
	int dl, zl;
	size_t n;

	if (!domain)
		return -EINVAL;
	dl = name_norm(domain, dom, sizeof(dom), 1);   /* "[1.2.3.4]" fails here */
	if (dl < 0)
		return dl;
	if (inet_pton(AF_INET, dom, ip) == 1)
		return -EINVAL;
	zl = zone_norm(zone, NULL, z, sizeof(z));
	if (zl < 0)
		return zl;
	n = (size_t)dl + (zl ? 1 + (size_t)zl : 0);
	if (n > NAME_LEN_MAX || n >= len)
		return -ENAMETOOLONG;
	memcpy(buf, dom, (size_t)dl);
	if (zl) {
		buf[dl] = '.';
		memcpy(buf + dl + 1, z, (size_t)zl);
	}
	buf[n] = '\0';
	return 0;
}
