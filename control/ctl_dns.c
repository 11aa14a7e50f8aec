/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ctl_dns: mxscreend's asynchronous, merging, caching DNS client on c-ares
 * (contract in ctl_dns.h). Main-thread (event loop) only.
 *
 * Owns: one c-ares channel, the answer cache (hash + LRU), the table of
 * merged in-flight queries, the send queue, the send window and the
 * attempts on the wire (see "queries and the wire"), the batched socket
 * I/O under c-ares, and the queue of callbacks waiting to be delivered.
 * c-ares sends, matches answers to queries, times tries out and fails over
 * between servers; the packets are built and parsed here.
 *
 * User callbacks run only from ctl_dns_process (and ctl_dns_free), never
 * from ctl_dns_query nor from inside c-ares: c-ares' own callback
 * (on_answer) only moves waiters to the delivery queue, which is what
 * makes ares_destroy's callbacks (1.18 fires them) harmless.
 *
 * Answers are immutable, refcounted blobs shared by the cache entry and
 * every undelivered waiter, so a cache entry can be evicted or replaced
 * while its answer is still queued for delivery.
 *
 * Counters: ok/none/errors/timeouts count completed queries (after all
 * their tries; timeouts are also errors), sent every wire query;
 * cache_hits + cache_misses count non-fresh queries with a usable name. Errors never replace an unexpired good
 * answer in the cache (a failed refresh keeps what we knew).
 *
 * Not reentrant beyond ctl_dns_query: a callback must not call
 * ctl_dns_free or ctl_dns_process.
 */
#include <ares.h>
#include <arpa/inet.h>
#include <assert.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "ctl_dns.h"

#define DEF_TIMEOUT_MS 2000u
#define DEF_TRIES 2u
#define DEF_MAX_INFLIGHT 1000u
#define DEF_TTL_MAX 86400u
#define DEF_CACHE_MAX 100000u
#define NAME_LEN_MAX 253               /* presentation form, no trailing dot */
#define LABEL_LEN_MAX 63
#define WAITER_FREE_MAX 4096           /* spare waiters kept after a burst */
#define ATT_FREE_MAX 4096              /* spare attempts kept after a burst */
#define DNS_CLASS_IN 1
#define DNS_TYPE_SOA 6
/*
 * The send window (see "queries and the wire" below). WIN_INIT is under the receive
 * buffer of the servers we know: rbldnsd sets its socket's SO_RCVBUF to
 * 64 KiB whatever the sysctls say, which holds 157 queries on loopback.
 */
#define WIN_INIT 64u
#define WIN_MIN 8u
#define WIN_LSS 128u                   /* limited slow start above it (RFC 3742) */
#define LOSS_CUT_MIN 2u                /* losses in a round that cut the window, */
#define LOSS_CUT_SHIFT 4               /* or win >> this if more */
#define LOSS_MIN_US 5000u              /* least time before an overtaken query is lost */
#define REO_MULT_MAX 16u
#define EARLY_MAX 2u                   /* early resends of one query */
#define ID_HELD_MAX 60000u             /* of the 65536 query IDs, at most this many in use */
#define ID_POOL 256                    /* random IDs drawn per getrandom */
#define RCVBUF (4 << 20)               /* a thousand answers arrive at once */
#define TX_MAX 256                     /* datagrams per sendmmsg */
#define TX_SLOT 512                    /* c-ares sends larger queries over TCP */
#define RX_MAX 32                      /* datagrams per recvmmsg */
#define RX_SLOT 4096                   /* c-ares' own receive buffer */
#define UDP_MAX 8                      /* UDP sockets batched; more go one by one */

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
	struct hnode h;                /* in d->merge unless fresh, until done */
	struct query *next;            /* send queue */
	struct ctl_dns *d;
	struct waiter *wh, **wt;
	uint16_t n_live;               /* attempts on the wire (in the window) */
	uint16_t n_ares;               /* attempts c-ares still holds */
	uint8_t fresh, done, queued;
	uint8_t timeouts;              /* attempts c-ares timed out */
	uint8_t early;                 /* resends for an attempt deemed lost */
	char name[];
};

/* One wire query of a query: c-ares' callback argument. */
struct att {
	struct att *prev, *next;       /* d->live, in send order, while live */
	struct query *q;
	uint64_t seq;                  /* send order */
	uint64_t sent_us;
	uint16_t id;                   /* DNS ID, ours until c-ares lets go */
	uint8_t live;                  /* 0: deemed lost (or answered) */
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
	struct att *afree;
	size_t n_afree;
	/* the wire: attempts in flight, oldest first, and the window */
	struct att *live_head, *live_tail;
	uint64_t seq;                          /* of the next attempt sent */
	uint64_t rack_seq;                     /* newest attempt sent that was answered */
	uint64_t recover_seq;                  /* losses below it: the same episode */
	uint64_t turn_us;                      /* now, for this ctl_dns_process */
	uint64_t timeout_us;
	uint32_t tries;
	uint32_t win, ssthresh, win_acc, prior_win, prior_ssthresh;
	uint32_t round_acked, round_lost;      /* answers, losses this round (a window's worth) */
	uint32_t reo_mult, reo_clean;
	uint32_t srtt8_us, rttvar4_us;         /* RFC 6298, scaled as Linux does */
	int have_rtt, win_limited;
	/* query IDs: random, never two alike with c-ares at once */
	uint32_t n_held;                       /* attempts c-ares holds */
	uint64_t id_used[65536 / 64];
	uint16_t id_pool[ID_POOL];
	uint32_t n_id_pool;
	uint64_t id_mix;                       /* fallback when getrandom fails */
	/* the socket layer under c-ares (see "batched socket I/O") */
	int udp_fd[UDP_MAX];
	size_t n_udp;
	unsigned char (*tx_buf)[TX_SLOT];
	int tx_fd[TX_MAX];
	uint16_t tx_len[TX_MAX];
	size_t n_tx;
	unsigned char (*rx_buf)[RX_SLOT];
	struct mmsghdr rx_msg[RX_MAX];
	struct iovec rx_iov[RX_MAX];
	struct sockaddr_storage rx_from[RX_MAX];
	int rx_fd;
	unsigned rx_n, rx_next;
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

/* Label characters: bit 1 any printable byte but the backslash (c-ares
 * would take it as an escape) and the dot (a label boundary, dealt with
 * apart), bit 2 also a host-name character. A table: name_norm runs on
 * every name we build and every name we are asked. */
static const unsigned char name_cc[256] = {
	[0x21 ... 0x2c] = 1, ['-'] = 3, ['/'] = 1, ['0' ... '9'] = 3,
	[0x3a ... 0x40] = 1, ['A' ... 'Z'] = 3, ['['] = 1, [']' ... '^'] = 1, ['_'] = 3,
	['`'] = 1, ['a' ... 'z'] = 3, [0x7b ... 0x7e] = 1,
};

/*
 * Lower-case @in into @out (size @outlen) without its trailing dot, checking
 * labels. @strict: host-name characters only (outside input); otherwise any
 * printable byte but the backslash, which c-ares would take as an escape.
 * Returns the length, or -EINVAL / -ENAMETOOLONG.
 */
static int name_norm(const char *in, char *out, size_t outlen, int strict)
{
	size_t n = strlen(in), i = 0;
	unsigned need = strict ? 2u : 1u;

	if (n && in[n - 1] == '.')
		n--;
	if (n == 0)
		return -EINVAL;
	if (n > NAME_LEN_MAX)
		return -ENAMETOOLONG;
	if (n >= outlen)
		return -ENAMETOOLONG;
	/* label by label; the first fault from the left decides the error */
	for (;;) {
		const char *dot = memchr(in + i, '.', n - i);
		size_t end = dot ? (size_t)(dot - in) : n, stop, j;
		unsigned bad = 0;

		if (end == i)
			return -EINVAL;        /* ".a", "a..b", "a.." */
		stop = end - i > LABEL_LEN_MAX ? i + LABEL_LEN_MAX + 1 : end;
		for (j = i; j < stop; j++) {
			unsigned c = (unsigned char)in[j];

			bad |= ~name_cc[c] & need;
			out[j] = (char)(c | (unsigned)(c - 'A' < 26u) << 5);
		}
		if (bad)
			return -EINVAL;
		if (end - i > LABEL_LEN_MAX)
			return -ENAMETOOLONG;
		if (!dot)
			break;
		out[end] = '.';
		i = end + 1;
		if (i == n)
			return -EINVAL;        /* "a.." less its last dot */
	}
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

/* ---- queries on the wire and replies ----
 *
 * We build the query packet and parse the reply ourselves (c-ares sends,
 * matches, times out and fails over): ares_query and ares_parse_*_reply
 * cost a dozen allocations and a third of our CPU per query. The reply
 * parse keeps c-ares' rules: records of the asked type whose owner is the
 * asked name or a CNAME of it (TXT: the first TXT record, as c-ares), PTR
 * targets made of host-name characters only (else "badresp"), at most
 * CTL_DNS_MAX_ADDRS addresses and CTL_DNS_MAX_NAMES names.
 */

#define DNS_TYPE_CNAME 5
#define DNS_HDR 12

/* Query @name (normalized, @len bytes) for @type with @id, RD set, into
 * @buf (at least DNS_HDR + NAME_LEN_MAX + 2 + 4 bytes). Returns the length. */
static size_t query_build(unsigned char *buf, uint16_t id, const char *name, size_t len, int type)
{
	unsigned char *p = buf + DNS_HDR, *lab = p++;
	size_t i;

	buf[0] = (unsigned char)(id >> 8);
	buf[1] = (unsigned char)id;
	buf[2] = 0x01;                 /* RD */
	buf[3] = 0;
	buf[4] = 0;
	buf[5] = 1;                    /* QDCOUNT */
	memset(buf + 6, 0, 6);
	for (i = 0; i < len; i++) {
		if (name[i] == '.') {
			*lab = (unsigned char)(p - lab - 1);
			lab = p++;
		} else {
			*p++ = (unsigned char)name[i];
		}
	}
	*lab = (unsigned char)(p - lab - 1);
	*p++ = 0;
	*p++ = (unsigned char)(type >> 8);
	*p++ = (unsigned char)type;
	*p++ = 0;
	*p++ = DNS_CLASS_IN;
	return (size_t)(p - buf);
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

/*
 * The name at @off of @m in presentation form into @out (NAME_LEN_MAX + 1
 * bytes), without the trailing dot, lower-cased when @lower. @host:
 * host-name characters only (letters, digits and - _ /: what c-ares 1.18
 * allows in PTR and CNAME targets), else -1. Otherwise any byte goes, but
 * a dot or a backslash inside a label becomes \001, so that the name can
 * never equal one of ours (c-ares would escape it). Length, or -1 for a
 * name that is not one (bad pointer, overrun, loop, too long).
 */
static int name_expand(const unsigned char *m, size_t len, size_t off, char *out, int lower,
		       int host)
{
	size_t n = 0;
	int jumps = 0;

	for (;;) {
		unsigned c, i;

		if (off >= len)
			return -1;
		c = m[off];
		if (c == 0)
			break;
		if ((c & 0xc0) == 0xc0) {
			if (off + 1 >= len || ++jumps > 50)   /* c-ares' MAX_INDIRS */
				return -1;
			off = (size_t)(c & 0x3f) << 8 | m[off + 1];
			continue;
		}
		if ((c & 0xc0) || off + 1 + c > len || n + (n ? 1 : 0) + c > NAME_LEN_MAX)
			return -1;
		if (n)
			out[n++] = '.';
		for (i = 0; i < c; i++) {
			unsigned ch = m[off + 1 + i];

			if (host && !(name_cc[ch] & 2) && ch != '/')
				return -1;
			if (ch == '.' || ch == '\\')
				ch = 1;
			out[n++] = (char)(lower ? ch | (unsigned)(ch - 'A' < 26u) << 5 : ch);
		}
		off += 1 + c;
	}
	out[n] = '\0';
	return (int)n;
}

/* Is the owner name at @off @name (normalized, @nlen bytes)? -1: not a
 * name. The usual case, a pointer to the question (which c-ares has
 * matched to ours, so it is valid), is quick. */
static int owner_is(const unsigned char *m, size_t len, size_t off, const char *name,
		    size_t nlen, int is_qname)
{
	char buf[NAME_LEN_MAX + 1];
	int l;

	if (off + 1 < len && m[off] == 0xc0 && m[off + 1] == DNS_HDR)
		return is_qname;
	l = name_expand(m, len, off, buf, 1, 0);
	if (l < 0)
		return -1;
	return (size_t)l == nlen && memcmp(buf, name, nlen) == 0;
}

struct reply_ttls {
	int have_answer, have_soa;
	uint32_t answer_ttl;           /* min over answer RRs */
	uint32_t neg_ttl;              /* min(SOA TTL, SOA minimum) */
	uint32_t addr_ttl;             /* A/AAAA: min over the addresses and CNAMEs */
};

/*
 * Parse reply @m for a @type query of @name (normalized, @nlen bytes):
 * the TTLs into @t and, when @records, the records into @r. ARES_SUCCESS
 * (records found), ARES_ENODATA, or ARES_EBADRESP. The answer section is
 * read as c-ares 1.18 reads it (ares__parse_into_addrinfo,
 * ares_parse_ptr_reply, ares_parse_txt_reply), so that the same replies
 * give the same results: a CNAME, whatever its owner, renames what is
 * looked for; addresses and PTR targets count when their owner is that
 * name; every TXT string is checked, the first one kept; a malformed
 * answer section is "badresp". The authority section only gives the SOA.
 */
static int reply_parse(const unsigned char *m, size_t len, int type, const char *name,
		       size_t nlen, int records, struct ctl_dns_result *r, uint8_t *ret_addr_len,
		       struct reply_ttls *t)
{
	char chain[NAME_LEN_MAX + 1], scratch[NAME_LEN_MAX + 1];
	const char *want = name;
	size_t off = DNS_HDR, wlen = nlen;
	unsigned qd, an, ns, i;
	uint32_t cname_ttl = UINT32_MAX, rec_ttl = UINT32_MAX;
	int have_txt = 0;

	memset(t, 0, sizeof(*t));
	if (len < DNS_HDR)
		return ARES_EBADRESP;
	qd = get16(m + 4);
	an = get16(m + 6);
	ns = get16(m + 8);
	for (i = 0; i < qd; i++) {
		if (skip_name(m, len, &off) < 0 || off + 4 > len)
			return ARES_EBADRESP;
		off += 4;
	}
	for (i = 0; i < an + ns; i++) {
		size_t owner = off, rd;
		unsigned rtype, rclass, rdlen;
		uint32_t ttl;
		int match;

		if (skip_name(m, len, &off) < 0) {
			if (i >= an)
				break;         /* the authority section: what we have */
			return records && type == CTL_DNS_TXT ? ARES_EBADNAME : ARES_EBADRESP;
		}
		if (off + 10 > len || off + 10 + get16(m + off + 8) > len) {
			if (i >= an)
				break;
			return ARES_EBADRESP;
		}
		rtype = get16(m + off);
		rclass = get16(m + off + 2);
		ttl = get32(m + off + 4);
		rdlen = get16(m + off + 8);
		rd = off + 10;
		off = rd + rdlen;
		if (i >= an) {
			if (rtype == DNS_TYPE_SOA && !t->have_soa) {
				size_t p = rd;

				if (skip_name(m, rd + rdlen, &p) == 0 &&
				    skip_name(m, rd + rdlen, &p) == 0 && p + 20 <= rd + rdlen) {
					uint32_t min = get32(m + p + 16);

					t->neg_ttl = ttl < min ? ttl : min;
					t->have_soa = 1;
				}
			}
			continue;
		}
		if (!t->have_answer || ttl < t->answer_ttl)
			t->answer_ttl = ttl;
		t->have_answer = 1;
		if (!records)
			continue;
		if (type == CTL_DNS_TXT) {
			size_t p = rd;

			if (owner_is(m, len, owner, "", 0, 0) < 0)
				return ARES_EBADNAME;  /* ares_parse_txt_reply's word */
			if ((rclass != DNS_CLASS_IN && rclass != 3) || rtype != CTL_DNS_TXT)
				continue;      /* 3: CHAOS, as c-ares */
			while (p < rd + rdlen) {
				size_t l = m[p];

				if (p + 1 + l > rd + rdlen)
					return ARES_EBADRESP;
				if (!have_txt) {       /* l <= 255 = CTL_DNS_NAME_MAX */
					memcpy(r->txt, m + p + 1, l);
					r->txt[l] = '\0';
					have_txt = 1;
				}
				p += 1 + l;
			}
			continue;
		}
		match = owner_is(m, len, owner, want, wlen, want == name);
		if (match < 0)
			return ARES_EBADRESP;
		if (rclass != DNS_CLASS_IN)
			continue;
		if (rtype == DNS_TYPE_CNAME) {
			int l = name_expand(m, len, rd, chain, 1, 1);

			if (l < 0)
				return ARES_EBADRESP;
			want = chain;
			wlen = (size_t)l;
			if (ttl < cname_ttl)
				cname_ttl = ttl;
		} else if (type == CTL_DNS_PTR) {
			if (rtype != CTL_DNS_PTR || !match)
				continue;
			if (name_expand(m, len, rd, r->n_names < CTL_DNS_MAX_NAMES ?
					r->names[r->n_names] : scratch, 0, 1) < 0)
				return ARES_EBADRESP;
			if (r->n_names < CTL_DNS_MAX_NAMES)
				r->n_names++;
		} else if (match && rtype == (unsigned)type &&
			   rdlen == (type == CTL_DNS_A ? 4u : 16u)) {
			if (r->n_addrs < CTL_DNS_MAX_ADDRS) {
				memcpy(r->addrs[r->n_addrs++], m + rd, rdlen);
				if (ttl < rec_ttl)
					rec_ttl = ttl;
			}
			*ret_addr_len = (uint8_t)rdlen;
		}
	}
	t->addr_ttl = rec_ttl < cname_ttl ? rec_ttl : cname_ttl;
	if (!records)
		return ARES_SUCCESS;
	return r->n_addrs || r->n_names || have_txt ? ARES_SUCCESS : ARES_ENODATA;
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

/* What ares_query makes of a reply's RCODE (ares_send hands the reply over). */
static int rcode_status(const unsigned char *m, int alen)
{
	if (!m || alen < DNS_HDR)
		return ARES_EBADRESP;
	if ((m[2] & 0x02) && !get16(m + 6))
		return ARES_EBADRESP;         /* truncated to nothing (no_tcp) */
	switch (m[3] & 0x0f) {
	case 0: return get16(m + 6) ? ARES_SUCCESS : ARES_ENODATA;
	case 1: return ARES_EFORMERR;
	case 2: return ARES_ESERVFAIL;
	case 3: return ARES_ENOTFOUND;
	case 4: return ARES_ENOTIMP;
	case 5: return ARES_EREFUSED;
	default: return ARES_SUCCESS;  /* as ares_query: parsed as it is */
	}
}

static uint32_t clamp_ttl(const struct ctl_dns *d, uint32_t ttl)
{
	return ttl < d->ttl_min ? d->ttl_min : ttl > d->ttl_max ? d->ttl_max : ttl;
}

static struct answer *answer_from_reply(struct ctl_dns *d, int type, const char *name,
					size_t nlen, int status, const unsigned char *abuf,
					int alen)
{
	struct ctl_dns_result r;
	struct reply_ttls t;
	uint8_t addr_len = 0;
	int ps;

	r.n_addrs = r.n_names = 0;
	r.txt[0] = '\0';
	r.error = NULL;
	memset(&t, 0, sizeof(t));
	if (status == ARES_SUCCESS)
		status = rcode_status(abuf, alen);
	if (abuf && alen > 0) {
		ps = reply_parse(abuf, (size_t)alen, type, name, nlen, status == ARES_SUCCESS, &r,
				 &addr_len, &t);
		if (status == ARES_SUCCESS)
			status = ps;
	}
	switch (status) {
	case ARES_SUCCESS:
		r.status = CTL_DNS_OK;
		r.ttl = clamp_ttl(d, type == CTL_DNS_A || type == CTL_DNS_AAAA ? t.addr_ttl
									 : t.answer_ttl);
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

/* ---- queries and the wire ----
 *
 * Why a window. A burst of queries at one server lands in its socket's
 * receive buffer, and what does not fit is dropped by the kernel without
 * a word. rbldnsd sets SO_RCVBUF to 64 KiB on its socket whatever the
 * sysctls say (the kernel doubles it), which holds 157 queries on
 * loopback: at dns_max_inflight 1000 the first waves overflowed it, c-ares
 * resent every loss 2 s later at once, which overflowed it again, and
 * those queries timed out. So:
 *
 * - At most min(win, max_inflight) attempts are on the wire. win starts at
 *   WIN_INIT and grows by one per answer while it is what holds queries
 *   back (slow start up to ssthresh, limited to WIN_LSS/2 a round trip
 *   above WIN_LSS, then one per window's worth). It is halved (never
 *   below WIN_MIN), once per episode, when one round (a window's worth of
 *   answers) loses LOSS_CUT_MIN attempts or a sixteenth of the window,
 *   whichever is more: an overflowing buffer loses many at once, while the
 *   odd datagram lost on a long path is only resent (halving for each
 *   would starve a distant server). Losses of attempts sent before a cut
 *   belong to its episode.
 * - An attempt is deemed lost when an attempt sent after it has been
 *   answered and it has waited the smoothed RTT plus four deviations (at
 *   least LOSS_MIN_US, times reo_mult): a server that answers in order, as
 *   rbldnsd on its one socket does, has dropped it. Its query goes out again
 *   at once, ahead of new ones (EARLY_MAX times at most). An answer that
 *   comes for it after all undoes the window cut and doubles reo_mult, so
 *   a server that answers out of order (a recursive resolver) is not
 *   punished for it.
 * - c-ares makes one try per server (ARES_OPT_TRIES 1); the tries, each
 *   waiting timeout_ms, are ours, so c-ares never resends in a burst the
 *   queries we have resent already.
 *
 * An attempt deemed lost leaves the window but stays with c-ares until it
 * is answered or timed out; a query is freed once it is done, not queued,
 * and c-ares holds none of its attempts.
 */

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static struct att *att_get(struct ctl_dns *d)
{
	struct att *a = d->afree;

	if (a) {
		d->afree = a->next;
		d->n_afree--;
		return a;
	}
	return malloc(sizeof(*a));
}

static void att_put(struct ctl_dns *d, struct att *a)
{
	if (d->n_afree >= ATT_FREE_MAX) {
		free(a);
		return;
	}
	a->next = d->afree;
	d->afree = a;
	d->n_afree++;
}

/* @a leaves the wire (answered, timed out or deemed lost). */
static void live_unlink(struct ctl_dns *d, struct att *a)
{
	if (a->prev)
		a->prev->next = a->next;
	else
		d->live_head = a->next;
	if (a->next)
		a->next->prev = a->prev;
	else
		d->live_tail = a->prev;
	a->live = 0;
	assert(a->q->n_live > 0 && d->st.inflight > 0);
	a->q->n_live--;
	d->st.inflight--;
}

static uint32_t wire_limit(const struct ctl_dns *d)
{
	uint32_t w = d->win < d->max_inflight ? d->win : d->max_inflight;
	/* attempts deemed lost keep their IDs until c-ares times them out */
	uint32_t lost = d->n_held - d->st.inflight;
	uint32_t ids = lost < ID_HELD_MAX ? ID_HELD_MAX - lost : 0;

	return w < ids ? w : ids;
}

/* A random query ID no attempt c-ares holds has (c-ares matches answers by
 * ID first: two alike and one answer would be dropped as not ours). */
static uint16_t id_take(struct ctl_dns *d)
{
	for (;;) {
		uint16_t id;

		if (!d->n_id_pool) {
			ssize_t got = getrandom(d->id_pool, sizeof(d->id_pool), GRND_NONBLOCK);

			if (got == (ssize_t)sizeof(d->id_pool)) {
				d->n_id_pool = ID_POOL;
			} else {
				/* no entropy yet (early boot): splitmix64 of the clock */
				uint64_t z = (d->id_mix += 0x9e3779b97f4a7c15ull) ^ now_us();

				z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
				z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
				d->id_pool[0] = (uint16_t)(z ^ (z >> 31));
				d->n_id_pool = 1;
			}
		}
		id = d->id_pool[--d->n_id_pool];
		if (!(d->id_used[id >> 6] >> (id & 63) & 1)) {
			d->id_used[id >> 6] |= 1ull << (id & 63);
			d->n_held++;
			return id;
		}
	}
}

static void id_put(struct ctl_dns *d, uint16_t id)
{
	assert(d->id_used[id >> 6] >> (id & 63) & 1);
	d->id_used[id >> 6] &= ~(1ull << (id & 63));
	d->n_held--;
}

static void win_set(struct ctl_dns *d, uint32_t win)
{
	d->win = win;
	d->st.window = wire_limit(d);
}

/* An answer came for an attempt still in the window. */
static void win_grow(struct ctl_dns *d)
{
	if (!d->win_limited || d->win >= d->max_inflight)
		return;
	if (d->win < d->ssthresh && d->win < WIN_LSS) {
		win_set(d, d->win + 1);
	} else if (d->win < d->ssthresh) {
		/* + WIN_LSS/2 a round trip: a smaller overshoot past a full buffer */
		if (++d->win_acc >= d->win / (WIN_LSS / 2)) {
			d->win_acc = 0;
			win_set(d, d->win + 1);
		}
	} else if (++d->win_acc >= d->win) {
		d->win_acc = 0;
		win_set(d, d->win + 1);
	}
}

/* An answer for an attempt in the window: a round is a window's worth. */
static void win_answered(struct ctl_dns *d)
{
	if (++d->round_acked >= d->win) {
		d->round_acked = 0;
		d->round_lost = 0;
	}
	win_grow(d);
}

/* Attempt @seq was lost. Enough losses in one round (a full buffer, not
 * the odd datagram lost on the way) halve the window, once for all the
 * attempts that were on the wire when it was cut. */
static void win_loss(struct ctl_dns *d, uint64_t seq)
{
	uint32_t cut = d->win >> LOSS_CUT_SHIFT;

	if (seq < d->recover_seq)
		return;
	if (++d->round_lost < (cut > LOSS_CUT_MIN ? cut : LOSS_CUT_MIN))
		return;
	d->round_acked = d->round_lost = 0;
	d->prior_win = d->win;
	d->prior_ssthresh = d->ssthresh;
	d->ssthresh = d->win / 2 < WIN_MIN ? WIN_MIN : d->win / 2;
	d->win_acc = 0;
	d->recover_seq = d->seq + 1;
	d->st.window_cuts++;
	win_set(d, d->ssthresh);
}

/* An attempt deemed lost was answered after all: it was late, not lost. */
static void win_undo(struct ctl_dns *d)
{
	d->st.spurious++;
	if (d->prior_win > d->win) {
		d->ssthresh = d->prior_ssthresh;
		win_set(d, d->prior_win);
	}
	d->prior_win = 0;
	d->reo_clean = 0;
	if (d->reo_mult < REO_MULT_MAX)
		d->reo_mult *= 2;
}

/* RFC 6298 estimators, srtt x 8 and rttvar x 4 as Linux keeps them. */
static void rtt_sample(struct ctl_dns *d, uint64_t r)
{
	int64_t err;

	if (r > UINT32_MAX / 16)
		r = UINT32_MAX / 16;
	if (!d->have_rtt) {
		d->srtt8_us = (uint32_t)r << 3;
		d->rttvar4_us = (uint32_t)r << 1;
		d->have_rtt = 1;
		return;
	}
	err = (int64_t)r - (int64_t)(d->srtt8_us >> 3);
	d->srtt8_us = (uint32_t)((int64_t)d->srtt8_us + err);
	if (err < 0)
		err = -err;
	d->rttvar4_us = d->rttvar4_us - (d->rttvar4_us >> 2) + (uint32_t)err;
	/* a server that has long stopped answering late: be brisk again */
	if (d->reo_mult > 1 && ++d->reo_clean >= 16u * d->win) {
		d->reo_clean = 0;
		d->reo_mult /= 2;
	}
}

/* How long an overtaken attempt may wait before it is deemed lost. */
static uint64_t loss_wait_us(const struct ctl_dns *d)
{
	uint64_t t = d->have_rtt ? (uint64_t)(d->srtt8_us >> 3) + d->rttvar4_us : 0;

	if (t < LOSS_MIN_US)
		t = LOSS_MIN_US;
	t *= d->reo_mult;
	return t < d->timeout_us / 2 ? t : d->timeout_us / 2;
}

/* Deliver @a to every waiter of @q; @q leaves the merge table. */
static void query_complete(struct ctl_dns *d, struct query *q, struct answer *a)
{
	struct waiter *w, *next;

	assert(!q->done);
	q->done = 1;
	if (!q->fresh)
		htab_remove(&d->merge, &q->h);
	for (w = q->wh; w; w = next) {
		next = w->next;
		deliver_push(d, w, a, a->ttl, 0);
	}
	q->wh = NULL;
	q->wt = &q->wh;
}

static void query_release(struct query *q)
{
	if (q->done && !q->n_ares && !q->queued)
		free(q);
}

/* Queue @q for a send slot: new queries at the tail, resends at the head. */
static void query_enqueue(struct ctl_dns *d, struct query *q, int head)
{
	q->queued = 1;
	d->st.queued++;
	if (head && d->qhead) {
		q->next = d->qhead;
		d->qhead = q;
		return;
	}
	q->next = NULL;
	*d->qtail = q;
	d->qtail = &q->next;
}

/* Overtaken attempts that waited long enough are lost: resend their query. */
static void detect_losses(struct ctl_dns *d, uint64_t now)
{
	uint64_t wait = loss_wait_us(d);
	struct att *a;

	while ((a = d->live_head) && a->seq < d->rack_seq && a->sent_us + wait <= now) {
		struct query *q = a->q;

		live_unlink(d, a);
		d->st.lost++;
		win_loss(d, a->seq);
		if (!q->done && !q->queued && !q->n_live && q->early < EARLY_MAX) {
			q->early++;
			d->st.resent++;
			query_enqueue(d, q, 1);
		}
	}
}

static void on_answer(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
	struct att *a = arg;
	struct query *q = a->q;
	struct ctl_dns *d = q->d;
	uint64_t seq = a->seq, sent = a->sent_us;
	int was_live = a->live;
	struct answer *ans;

	(void)timeouts;
	if (was_live)
		live_unlink(d, a);
	assert(q->n_ares > 0);
	q->n_ares--;
	id_put(d, a->id);
	att_put(d, a);
	if (d->closing || status == ARES_EDESTRUCTION || status == ARES_ECANCELLED) {
		if (!q->done && !q->n_live && !q->queued)
			query_complete(d, q, &ans_shutdown);
		query_release(q);
		return;
	}
	if (status == ARES_ETIMEOUT) {
		if (was_live)
			win_loss(d, seq);
		if (q->done) {
			query_release(q);
			return;
		}
		if (q->timeouts < UINT8_MAX)
			q->timeouts++;
		if (q->n_live || q->queued)
			return;                 /* another attempt is out, or about to be */
		if (q->timeouts < d->tries) {
			d->st.resent++;
			query_enqueue(d, q, 1);
			return;
		}
		/* out of tries: a timeout error below */
	} else {
		/* an answer, or an error the server (or the network) gave */
		if (d->turn_us > sent)
			rtt_sample(d, d->turn_us - sent);
		if (seq > d->rack_seq)
			d->rack_seq = seq;
		if (was_live)
			win_answered(d);
		else
			win_undo(d);
		if (q->done) {
			query_release(q);
			return;
		}
	}
	ans = answer_from_reply(d, q->h.type, q->name, q->h.len, status, abuf, alen);
	cache_store(d, &q->h, ans);
	query_complete(d, q, ans);
	answer_put(ans);
	query_release(q);
}

static void send_queued(struct ctl_dns *d)
{
	unsigned char pkt[DNS_HDR + NAME_LEN_MAX + 2 + 4];
	uint64_t now = 0;

	while (d->qhead && d->st.inflight < wire_limit(d)) {
		struct query *q = d->qhead;
		struct att *a;

		d->qhead = q->next;
		if (!d->qhead)
			d->qtail = &d->qhead;
		d->st.queued--;
		q->queued = 0;
		if (q->done) {
			query_release(q);
			continue;
		}
		a = att_get(d);
		if (!a) {
			/* without an attempt of its own out, nothing would end it */
			if (!q->n_ares) {
				query_complete(d, q, &ans_nomem);
				query_release(q);
			}
			continue;
		}
		if (!now)
			now = now_us();
		a->q = q;
		a->seq = ++d->seq;
		a->sent_us = now;
		a->live = 1;
		a->next = NULL;
		a->prev = d->live_tail;
		if (d->live_tail)
			d->live_tail->next = a;
		else
			d->live_head = a;
		d->live_tail = a;
		a->id = id_take(d);
		q->n_live++;
		q->n_ares++;
		d->st.inflight++;
		d->st.sent++;
		/* may call on_answer at once (no memory, no socket): that only queues */
		ares_send(d->ch, pkt, (int)query_build(pkt, a->id, q->name, q->h.len, q->h.type),
			  on_answer, a);
	}
	d->win_limited = d->qhead != NULL;
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
	q->fresh = (uint8_t)fresh;
	q->done = q->queued = q->timeouts = q->early = 0;
	q->n_live = q->n_ares = 0;
	q->wh = w;
	q->wt = &w->next;
	if (!fresh)
		htab_insert(&d->merge, &q->h);
	query_enqueue(d, q, 0);
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

/* ---- batched socket I/O ----
 *
 * c-ares 1.18 sends each query with its own send() and reads each answer
 * with its own recvfrom(): two system calls per query, half our CPU at a
 * thousand queries in flight. Its socket functions are ours instead: a
 * UDP datagram it sends is kept and the lot goes out in one sendmmsg per
 * socket at the end of ctl_dns_process; a read takes up to RX_MAX
 * datagrams with one recvmmsg and hands them over one by one. TCP, and
 * UDP sockets beyond UDP_MAX, go straight through. A datagram the kernel
 * refuses at the flush is lost like one dropped on the way (the loss test
 * or the try's timeout deals with it). As c-ares does not set options on
 * sockets it did not open itself, we do: non-blocking, close-on-exec, and
 * a 4 MiB receive buffer.
 */

static int wire_udp(const struct ctl_dns *d, int fd)
{
	for (size_t i = 0; i < d->n_udp; i++)
		if (d->udp_fd[i] == fd)
			return 1;
	return 0;
}

static ares_socket_t wire_socket(int domain, int type, int protocol, void *data)
{
	struct ctl_dns *d = data;
	int fd = socket(domain, type | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol), one = 1;

	if (fd < 0)
		return ARES_SOCKET_BAD;
	if (type == SOCK_DGRAM) {
		int rcv = RCVBUF;

		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));
		if (d->n_udp < UDP_MAX && d->tx_buf && d->rx_buf)
			d->udp_fd[d->n_udp++] = fd;
	} else if (type == SOCK_STREAM) {
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	}
	return fd;
}

static int wire_close(ares_socket_t fd, void *data)
{
	struct ctl_dns *d = data;
	size_t i;

	for (i = 0; i < d->n_udp; i++)
		if (d->udp_fd[i] == fd)
			d->udp_fd[i] = d->udp_fd[--d->n_udp];
	for (i = 0; i < d->n_tx; i++)
		if (d->tx_fd[i] == fd)
			d->tx_fd[i] = -1;     /* never sent: c-ares is done with it */
	if (d->rx_fd == fd)
		d->rx_n = d->rx_next = 0;
	return close(fd);
}

static int wire_connect(ares_socket_t fd, const struct sockaddr *sa, ares_socklen_t len,
			void *data)
{
	(void)data;
	return connect(fd, sa, len);
}

/* Send what c-ares has handed us, one sendmmsg per socket. */
static void wire_flush(struct ctl_dns *d)
{
	struct mmsghdr msg[TX_MAX];
	struct iovec iov[TX_MAX];
	size_t i = 0, j, k;

	while (i < d->n_tx) {
		int fd = d->tx_fd[i], retried = 0;
		size_t n = 0;

		if (fd < 0) {
			i++;
			continue;
		}
		/* this socket's datagrams, in order */
		for (j = i; j < d->n_tx; j++) {
			if (d->tx_fd[j] != fd)
				continue;
			iov[n].iov_base = d->tx_buf[j];
			iov[n].iov_len = d->tx_len[j];
			memset(&msg[n].msg_hdr, 0, sizeof(msg[n].msg_hdr));
			msg[n].msg_hdr.msg_iov = &iov[n];
			msg[n].msg_hdr.msg_iovlen = 1;
			n++;
			if (j > i)
				d->tx_fd[j] = -1;
		}
		for (k = 0; k < n;) {
			int r = sendmmsg(fd, msg + k, (unsigned)(n - k), MSG_DONTWAIT);

			if (r > 0) {
				k += (size_t)r;
			} else if (r < 0 && (errno == EINTR ||
					     (errno == ECONNREFUSED && !retried++))) {
				continue;     /* an earlier ICMP error, reported now */
			} else {
				d->st.send_errors += n - k;
				break;
			}
		}
		i++;
	}
	d->n_tx = 0;
}

static ares_ssize_t wire_sendv(ares_socket_t fd, const struct iovec *v, int n, void *data)
{
	struct ctl_dns *d = data;
	size_t len = 0;

	for (int i = 0; i < n; i++)
		len += v[i].iov_len;
	if (!wire_udp(d, fd) || len > TX_SLOT)
		return writev(fd, v, n);
	if (d->n_tx == TX_MAX)
		wire_flush(d);
	len = 0;
	for (int i = 0; i < n; i++) {
		memcpy(d->tx_buf[d->n_tx] + len, v[i].iov_base, v[i].iov_len);
		len += v[i].iov_len;
	}
	d->tx_fd[d->n_tx] = fd;
	d->tx_len[d->n_tx++] = (uint16_t)len;
	return (ares_ssize_t)len;
}

static ares_ssize_t wire_recvfrom(ares_socket_t fd, void *buf, size_t len, int flags,
				  struct sockaddr *from, ares_socklen_t *from_len, void *data)
{
	struct ctl_dns *d = data;
	const struct mmsghdr *m;
	size_t n;

	if (!wire_udp(d, fd))
		return recvfrom(fd, buf, len, flags, from, from_len);
	if (d->rx_fd != fd || d->rx_next == d->rx_n) {
		int r;

		d->rx_fd = fd;
		d->rx_n = d->rx_next = 0;
		for (unsigned i = 0; i < RX_MAX; i++) {
			d->rx_iov[i].iov_base = d->rx_buf[i];
			d->rx_iov[i].iov_len = RX_SLOT;
			memset(&d->rx_msg[i].msg_hdr, 0, sizeof(d->rx_msg[i].msg_hdr));
			d->rx_msg[i].msg_hdr.msg_iov = &d->rx_iov[i];
			d->rx_msg[i].msg_hdr.msg_iovlen = 1;
			d->rx_msg[i].msg_hdr.msg_name = &d->rx_from[i];
			d->rx_msg[i].msg_hdr.msg_namelen = sizeof(d->rx_from[i]);
		}
		r = recvmmsg(fd, d->rx_msg, RX_MAX, MSG_DONTWAIT, NULL);
		if (r <= 0)
			return r;             /* EAGAIN: c-ares stops reading; errors: its handling */
		d->rx_n = (unsigned)r;
	}
	m = &d->rx_msg[d->rx_next++];
	n = m->msg_len < len ? m->msg_len : len;
	memcpy(buf, d->rx_buf[m - d->rx_msg], n);
	if (from && from_len) {
		socklen_t fl = m->msg_hdr.msg_namelen < *from_len ? m->msg_hdr.msg_namelen : *from_len;

		memcpy(from, m->msg_hdr.msg_name, fl);
		*from_len = fl;
	}
	return (ares_ssize_t)n;
}

static const struct ares_socket_functions wire_funcs = {
	wire_socket, wire_close, wire_connect, wire_recvfrom, wire_sendv,
};

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
	if (d->dhead || (d->qhead && d->st.inflight < wire_limit(d))) {
		timeout = 0;
	} else {
		struct timeval tv, *tp = ares_timeout(d->ch, NULL, &tv);

		if (tp)
			timeout = (int)(tp->tv_sec * 1000 + (tp->tv_usec + 999) / 1000);
		if (d->live_head && d->live_head->seq < d->rack_seq) {
			/* an overtaken attempt: when it will be deemed lost */
			uint64_t due = d->live_head->sent_us + loss_wait_us(d), now = now_us();
			int ms = due <= now ? 0 : (int)((due - now + 999) / 1000);

			if (timeout < 0 || ms < timeout)
				timeout = ms;
		}
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
	d->turn_us = now_us();
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
	detect_losses(d, d->turn_us);
	send_queued(d);
	wire_flush(d);
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
	d->tries = p->tries ? p->tries : DEF_TRIES;
	d->timeout_us = (uint64_t)(p->timeout_ms ? p->timeout_ms : DEF_TIMEOUT_MS) * 1000u;
	d->ssthresh = UINT32_MAX;
	d->reo_mult = 1;
	win_set(d, WIN_INIT);
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
		  ARES_FLAG_STAYOPEN | (p->no_tcp ? ARES_FLAG_IGNTC : 0);
	o.timeout = (int)(d->timeout_us / 1000u);
	o.tries = 1;                   /* the tries are ours: see "the wire" */
	o.sock_state_cb = sock_cb;
	o.sock_state_cb_data = d;
	rc = ares_init_options(&d->ch, &o, ARES_OPT_FLAGS | ARES_OPT_TIMEOUTMS |
			       ARES_OPT_TRIES | ARES_OPT_SOCK_STATE_CB);
	if (rc != ARES_SUCCESS) {
		d->ch = NULL;
		ctl_dns_free(d);
		errno = rc == ARES_ENOMEM ? ENOMEM : EINVAL;
		return NULL;
	}
	/* without the buffers every socket goes through one datagram at a time */
	d->tx_buf = malloc(TX_MAX * sizeof(*d->tx_buf));
	d->rx_buf = malloc(RX_MAX * sizeof(*d->rx_buf));
	d->rx_fd = -1;
	ares_set_socket_functions(d->ch, &wire_funcs, d);
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
	assert(d->st.inflight == 0 && !d->live_head);
	/* callbacks may ask again: those get "shutdown" too, until quiet */
	for (;;) {
		while (d->qhead) {
			struct query *q = d->qhead;

			d->qhead = q->next;
			d->st.queued--;
			q->queued = 0;
			if (!q->done)
				query_complete(d, q, &ans_shutdown);
			query_release(q);
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
	while (d->afree) {
		struct att *a = d->afree;

		d->afree = a->next;
		free(a);
	}
	free(d->cache.b);
	free(d->merge.b);
	free(d->socks);
	free(d->tx_buf);
	free(d->rx_buf);
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
