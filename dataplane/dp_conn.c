/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dp_conn: per-lcore connection tracker (see dp_conn.h). Hot path, a burst
 * at a time: decode and hash every packet, look the whole burst up at once
 * (dp_flow_lookup_bulk), then handle the packets in order while the parser
 * state of the ones a few places ahead is prefetched. Only flows with
 * payload get a parser slot from the pool; what most packets ask of it
 * (is it TLS, is this ACK news) is mirrored in the flow's own cache lines,
 * so pure ACKs never touch it. At a million flows every packet's state is
 * a DRAM miss: the misses of a burst overlap instead of adding up.
 * No allocation after create.
 */
#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dp_conn.h"
#include "dp_reasm.h"
#include "dp_rules.h"

#define SEC 1000000000ull
#define XF_NOPARSE 0x01  /* parsing given up (probe failed, pool empty) */
#define XF_PAYLOAD 0x02  /* some payload seen */
/* With f->seq[], a copy of what most packets ask of the parser state
 * (conn_mirror), so that they never touch it: */
#define XF_TLS 0x04      /* smtp.tls: nothing left to parse */
#define XF_STARTED0 0x08 /* r[0].started (f->seq[0] = r[0].next_seq) */
#define XF_STARTED1 0x10 /* r[1].started (f->seq[1] = r[1].next_seq) */

/* Parser state of one connection, the part every segment may touch; the
 * out-of-order windows live apart, in t->wins (see dp_reasm.h). */
struct dp_conn {
	struct dp_reasm_dir r[2];
	struct dp_smtp_session smtp;
	struct dp_conn_hits hits;
} __attribute__((aligned(64)));

struct dp_conn_tracker {
	struct dp_flow_table *flows;
	struct dp_syn_table *syn;
	struct dp_conn *conns;
	struct dp_reasm_window *wins;  /* two per connection slot */
	uint32_t *free_stack;
	uint32_t free_top;
	uint32_t max_conns;
	uint64_t conn_bytes;           /* conns + free_stack */
	uint64_t win_bytes;
	struct dp_conn *feeding;       /* whose bytes dp_smtp_feed is parsing */
	uint64_t now_ns;
	uint64_t next_expire_ns;
	const struct dp_rules_db *rules;
	uint32_t rules_slot;
	struct dp_conn_params p;
	struct dp_conn_stats st;
	uint64_t port_bits[65536 / 64];
};

static const uint64_t default_timeout[DP_FLOW_CLS_COUNT] = {
	[DP_FLOW_CLS_HALF_OPEN] = 30 * SEC,
	[DP_FLOW_CLS_CLOSING] = 30 * SEC,
	[DP_FLOW_CLS_OTHER] = 300 * SEC,
	[DP_FLOW_CLS_SMTP] = 600 * SEC,
};

static void on_flow_end(void *ctx, struct dp_flow *f, enum dp_flow_end why);
static void on_syn_end(void *ctx, const struct dp_syn *e, enum dp_syn_end why);

static int is_smtp_port(const struct dp_conn_tracker *t, uint16_t port)
{
	return (t->port_bits[port >> 6] >> (port & 63)) & 1;
}

struct dp_conn_tracker *dp_conn_tracker_create(const struct dp_conn_params *p)
{
	struct dp_conn_tracker *t;
	struct dp_flow_params fp = { 0 };
	struct dp_syn_params sp = { 0 };

	if (!p || !p->on_record || p->max_flows == 0) {
		errno = EINVAL;
		return NULL;
	}
	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->p = *p;
	for (uint32_t i = 0; i < p->n_smtp_ports; i++)
		t->port_bits[p->smtp_ports[i] >> 6] |= 1ull << (p->smtp_ports[i] & 63);
	t->p.smtp_ports = NULL; /* not kept: the bitmap is the copy */
	fp.max_flows = p->max_flows;
	for (int c = 0; c < DP_FLOW_CLS_COUNT; c++)
		fp.timeout_ns[c] = p->timeout_ns[c] ? p->timeout_ns[c] : default_timeout[c];
	fp.on_end = on_flow_end;
	fp.ctx = t;
	t->flows = dp_flow_table_create(&fp);
	sp.capacity = p->max_handshakes;
	if (!sp.capacity)
		sp.capacity = p->max_flows > (1u << 28) ? 1u << 30 : 4 * p->max_flows;
	sp.timeout_ns = fp.timeout_ns[DP_FLOW_CLS_HALF_OPEN];
	sp.on_end = on_syn_end;
	sp.ctx = t;
	t->syn = dp_syn_table_create(&sp);
	/* A parser state belongs to a flow: never more than the flows. */
	t->max_conns = p->max_conns ? p->max_conns : 262144;
	if (t->max_conns > p->max_flows)
		t->max_conns = p->max_flows;
	t->conn_bytes = (uint64_t)t->max_conns * (sizeof(struct dp_conn) + sizeof(uint32_t));
	t->win_bytes = (uint64_t)t->max_conns * 2 * sizeof(struct dp_reasm_window);
	/* As the flow table (dp_flow.h): huge pages where the kernel allows.
	 * Not for the windows: few are ever touched, 4 KiB pages keep the
	 * untouched ones out of memory. */
	t->conns = dp_flow_reserve(t->conn_bytes, 1);
	t->wins = dp_flow_reserve(t->win_bytes, 0);
	if (!t->flows || !t->syn || !t->conns || !t->wins) {
		dp_conn_tracker_free(t);
		errno = ENOMEM;
		return NULL;
	}
	t->free_stack = (uint32_t *)(t->conns + t->max_conns);
	for (uint32_t i = 0; i < t->max_conns; i++)
		t->free_stack[i] = t->max_conns - 1 - i;
	t->free_top = t->max_conns;
	return t;
}

void dp_conn_tracker_free(struct dp_conn_tracker *t)
{
	if (!t)
		return;
	dp_flow_table_free(t->flows);
	dp_syn_table_free(t->syn);
	dp_flow_unreserve(t->conns, t->conn_bytes);
	dp_flow_unreserve(t->wins, t->win_bytes);
	free(t);
}

static struct dp_conn *conn_of(struct dp_conn_tracker *t, const struct dp_flow *f)
{
	return f->conn ? &t->conns[f->conn - 1] : NULL;
}

/* Refresh the flow's copy of @c's state for direction @dir (the one
 * that may have moved: fed bytes, an ACK, a SYN) and of smtp.tls. */
static inline void conn_mirror(struct dp_flow *f, const struct dp_conn *c, int dir)
{
	uint8_t started = dir ? XF_STARTED1 : XF_STARTED0;
	uint8_t x = f->xflags & (uint8_t)~(XF_TLS | started);

	if (c->smtp.tls)
		x |= XF_TLS;
	if (c->r[dir].started)
		x |= started;
	f->xflags = x;
	f->seq[dir] = c->r[dir].next_seq;
}

/* Exactly !c->smtp.tls && dp_reasm_ack_pending(&c->r[dir], ack), from the
 * flow's own lines. */
static inline int ack_pending(const struct dp_flow *f, int dir, uint32_t ack)
{
	return !(f->xflags & XF_TLS) && (f->xflags & (dir ? XF_STARTED1 : XF_STARTED0)) &&
	       (int32_t)(ack - f->seq[dir]) > 0;
}

static void conn_release(struct dp_conn_tracker *t, struct dp_flow *f)
{
	if (f->conn) {
		t->free_stack[t->free_top++] = f->conn - 1;
		f->conn = 0;
	}
}

struct sink_ctx {
	struct dp_conn_tracker *t;
	struct dp_conn *c;
	int dir;
};

static void sink_data(void *ctx, const uint8_t *p, uint32_t n)
{
	struct sink_ctx *sc = ctx;

	sc->t->feeding = sc->c; /* on_value's connection */
	dp_smtp_feed(&sc->c->smtp, sc->dir, p, n);
}

static void sink_gap(void *ctx, uint32_t n)
{
	struct sink_ctx *sc = ctx;

	dp_smtp_gap(&sc->c->smtp, sc->dir, n);
}

static int reportable(const struct dp_flow *f, const struct dp_conn *c)
{
	if (c && c->smtp.is_smtp && !(f->flags & DP_FLOW_F_ON_PORT))
		return 1;
	return (f->flags & DP_FLOW_F_ON_PORT) &&
	       ((f->flags & DP_FLOW_F_ESTABLISHED) || (f->xflags & XF_PAYLOAD));
}

/* The connection is over: flush, report, free the parser slot. */
static void conn_end(struct dp_conn_tracker *t, struct dp_flow *f, const char *state)
{
	struct dp_conn *c = conn_of(t, f);
	struct dp_conn_record rec = { .flow = f, .state = state };

	if (f->flags & DP_FLOW_F_DONE)
		return;
	f->flags |= DP_FLOW_F_DONE;
	if (c) {
		for (int dir = 0; dir < 2; dir++) {
			struct sink_ctx sc = { t, c, dir };
			struct dp_reasm_sink sink = { sink_data, sink_gap, &sc };

			/* Once TLS began nothing more is parsed, and bytes still
			 * held for reordering are not a gap: don't flush them. */
			if (!c->smtp.tls)
				dp_reasm_flush(&c->r[dir], &sink);
			rec.anomalies |= c->r[dir].anomalies;
		}
		dp_smtp_finish(&c->smtp);
		rec.anomalies |= c->smtp.anomalies;
		rec.smtp = &c->smtp;
		rec.hits = &c->hits;
	}
	if (reportable(f, c)) {
		t->st.smtp_connections++;
		for (unsigned a = 0; a < MXS_ANOMALY_COUNT; a++)
			if (rec.anomalies & (1u << a))
				t->st.anomalies[a]++;
		t->p.on_record(t->p.ctx, &rec);
	} else if ((f->flags & DP_FLOW_F_ON_PORT) && !(f->xflags & XF_PAYLOAD)) {
		t->st.half_open_closed++;
	}
	conn_release(t, f);
}

static void on_flow_end(void *ctx, struct dp_flow *f, enum dp_flow_end why)
{
	static const char *const state[] = {
		[DP_FLOW_END_EVICTED] = "evicted",
		[DP_FLOW_END_TIMEOUT] = "timeout",
		[DP_FLOW_END_DRAIN] = "open",
	};

	conn_end(ctx, f, state[why]);
}

/* A handshake that never became a flow: half-open if on an SMTP port. */
static void on_syn_end(void *ctx, const struct dp_syn *e, enum dp_syn_end why)
{
	struct dp_conn_tracker *t = ctx;

	(void)why;
	if (e->flags & DP_FLOW_F_ON_PORT)
		t->st.half_open_closed++;
}

static inline uint64_t ld_be64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return be64toh(v);
}

/* memcmp(a, b, 16) > 0 (0 when equal, -1 below), in two word compares. */
static inline int addr_cmp(const uint8_t *a, const uint8_t *b)
{
	uint64_t a0 = ld_be64(a), b0 = ld_be64(b), a1, b1;

	if (a0 != b0)
		return a0 > b0 ? 1 : -1;
	a1 = ld_be64(a + 8);
	b1 = ld_be64(b + 8);
	return a1 == b1 ? 0 : a1 > b1 ? 1 : -1;
}

static void make_key(const struct dp_pkt *p, struct dp_flow_key *k, int *ret_src_side)
{
	int c = addr_cmp(p->src, p->dst);
	int src_side = c > 0 || (c == 0 && p->sport > p->dport);

	memcpy(k->addr[src_side], p->src, 16);
	memcpy(k->addr[!src_side], p->dst, 16);
	k->port[src_side] = p->sport;
	k->port[!src_side] = p->dport;
	k->family = p->family;
	memset(k->pad, 0, sizeof(k->pad));
	*ret_src_side = src_side;
}

/* Who is the client of a connection first seen with @p (on key side
 * @src_side), and is its server on an SMTP port (DP_FLOW_F_ON_PORT). */
static void roles(const struct dp_conn_tracker *t, const struct dp_pkt *p,
		  const struct dp_flow_key *k, int src_side, uint8_t *ret_client,
		  uint8_t *ret_flags)
{
	int src_client;
	int syn = p->tcp_flags & DP_TCP_SYN, ack = p->tcp_flags & DP_TCP_ACK;
	int dport_smtp = is_smtp_port(t, p->dport), sport_smtp = is_smtp_port(t, p->sport);

	if (syn)
		src_client = !ack;
	else if (dport_smtp != sport_smtp)
		src_client = dport_smtp;
	else
		src_client = p->sport >= p->dport;
	*ret_client = (uint8_t)(src_client ? src_side : !src_side);
	*ret_flags = is_smtp_port(t, k->port[!*ret_client]) ? DP_FLOW_F_ON_PORT : 0;
}

/* A SYN (or SYN+ACK) on @dir: the first of each side marks @flags and
 * gives its ISN; a flow and a waiting handshake keep them alike. */
static inline void note_syn(uint8_t *flags, uint32_t isn[2], int dir, int ack, uint32_t seq)
{
	if (dir == DP_SMTP_TO_SERVER && !ack && !(*flags & DP_FLOW_F_SYN)) {
		*flags |= DP_FLOW_F_SYN;
		isn[0] = seq;
	} else if (dir == DP_SMTP_TO_CLIENT && ack && !(*flags & DP_FLOW_F_SYNACK)) {
		*flags |= DP_FLOW_F_SYNACK;
		isn[1] = seq;
	}
}

static inline uint16_t sat16(uint32_t v)
{
	return v > UINT16_MAX ? UINT16_MAX : (uint16_t)v;
}

/* A bare SYN or SYN+ACK of a connection with no flow: it waits in the
 * handshake table, as it would in a half-open flow. */
static void handshake(struct dp_conn_tracker *t, const struct dp_pkt *p,
		      const struct dp_flow_key *k, uint32_t hash, uint32_t chk, int src_side,
		      uint32_t frame_len, uint64_t ts)
{
	struct dp_syn *e = dp_syn_find(t->syn, hash, chk);
	int ack = p->tcp_flags & DP_TCP_ACK;
	int dir;

	if (!e) {
		e = dp_syn_add(t->syn, hash, chk, ts);
		roles(t, p, k, src_side, &e->client_side, &e->flags);
	}
	dir = src_side == e->client_side ? DP_SMTP_TO_SERVER : DP_SMTP_TO_CLIENT;
	if (e->pkts[dir] < UINT8_MAX)
		e->pkts[dir]++;
	e->bytes[dir] = sat16(e->bytes[dir] + frame_len);
	/* The first packet sets SYN or SYNACK: flags never reads as free. */
	note_syn(&e->flags, e->isn, dir, ack, p->seq);
}

/* A new flow for @p: its handshake's, when one is waiting. */
static struct dp_flow *flow_new(struct dp_conn_tracker *t, const struct dp_pkt *p,
				const struct dp_flow_key *k, uint32_t hash, uint32_t chk,
				int src_side, uint64_t ts)
{
	struct dp_syn *e = dp_syn_find(t->syn, hash, chk);
	struct dp_flow *f = dp_flow_insert(t->flows, k, hash, ts);

	if (!e) {
		roles(t, p, k, src_side, &f->client_side, &f->flags);
		return f;
	}
	f->client_side = e->client_side;
	f->flags = e->flags;
	f->isn[0] = e->isn[0];
	f->isn[1] = e->isn[1];
	f->first_ns = e->first_ns;
	for (int d = 0; d < 2; d++) {
		f->pkts[d] = e->pkts[d];
		f->bytes[d] = e->bytes[d];
	}
	dp_syn_take(t->syn, e);
	return f;
}

static void on_hit(void *ctx, const struct dp_rule *r, uint32_t rule_index)
{
	struct dp_conn_hits *h = ctx;

	(void)rule_index;
	for (uint32_t i = 0; i < h->n; i++)
		if (h->hit[i].id == r->id)
			return; /* a rule counts once per connection */
	if (h->n == DP_CONN_MAX_HITS) {
		h->dropped++;
		return;
	}
	h->hit[h->n].id = r->id;
	h->hit[h->n].score = r->score;
	h->hit[h->n].field = r->field;
	h->n++;
	h->score += r->score;
}

/* Every HELO, MAIL FROM and RCPT TO value, as the parser completes it
 * (ctx: the tracker, which is in cache; the connection is the one being
 * fed). */
static void on_value(void *ctx, unsigned field, const char *p, size_t n)
{
	struct dp_conn_tracker *t = ctx;

	if (!t->rules)
		return;
	t->st.rules_scanned++;
	if (dp_rules_scan(t->rules, t->rules_slot, field, p, n, on_hit, &t->feeding->hits) < 0)
		t->st.rules_scan_errors++;
}

static struct dp_conn *conn_attach(struct dp_conn_tracker *t, struct dp_flow *f)
{
	struct dp_conn *c;
	struct dp_reasm_window *w;
	struct dp_smtp_init_params ip = {
		.on_smtp_port = !!(f->flags & DP_FLOW_F_ON_PORT),
		/* Both SYNs seen: the capture has the server's side, so bytes
		 * before its banner are a real pregreet. */
		.handshake_seen = (f->flags & (DP_FLOW_F_SYN | DP_FLOW_F_SYNACK)) ==
				  (DP_FLOW_F_SYN | DP_FLOW_F_SYNACK),
	};

	if (t->free_top == 0) {
		t->st.conn_exhausted++;
		f->xflags |= XF_NOPARSE;
		return NULL;
	}
	f->conn = t->free_stack[--t->free_top] + 1;
	c = &t->conns[f->conn - 1];
	w = &t->wins[2 * (f->conn - 1)];
	ip.on_value = on_value;
	ip.value_ctx = t;
	/* hit[] is valid up to n. A slot keeps its two windows, and both
	 * start zeroed (mmap): reinit leaves them alone unless dirty. */
	c->hits.n = c->hits.dropped = 0;
	c->hits.score = 0;
	dp_smtp_init(&c->smtp, &ip);
	dp_reasm_reinit(&c->r[0], &w[0]);
	dp_reasm_reinit(&c->r[1], &w[1]);
	if (f->flags & DP_FLOW_F_SYN)
		dp_reasm_syn(&c->r[0], f->isn[0]);
	if (f->flags & DP_FLOW_F_SYNACK)
		dp_reasm_syn(&c->r[1], f->isn[1]);
	dp_flow_set_class(t->flows, f, ip.on_smtp_port ? DP_FLOW_CLS_SMTP : DP_FLOW_CLS_OTHER);
	conn_mirror(f, c, 0);
	conn_mirror(f, c, 1);
	return c;
}

static void payload(struct dp_conn_tracker *t, struct dp_flow *f,
		    const struct dp_pkt *p, int dir)
{
	struct dp_conn *c = conn_of(t, f);
	struct sink_ctx sc;
	struct dp_reasm_sink sink = { sink_data, sink_gap, &sc };
	int was_smtp;

	if (f->xflags & (XF_NOPARSE | XF_TLS))
		return; /* given up, or encrypted: nothing left to reassemble */
	if (!c && !(c = conn_attach(t, f)))
		return;
	sc.t = t;
	sc.c = c;
	sc.dir = dir;
	was_smtp = c->smtp.is_smtp;
	/* Data on a SYN (TCP Fast Open) starts after the SYN's sequence. */
	dp_reasm_segment(&c->r[dir], p->seq + !!(p->tcp_flags & DP_TCP_SYN),
			 p->payload, p->payload_len,
			 p->tcp_flags & DP_TCP_FIN, &sink);
	if (!was_smtp && c->smtp.is_smtp)
		dp_flow_set_class(t->flows, f, DP_FLOW_CLS_SMTP);
	else if (!c->smtp.is_smtp &&
		 c->r[0].delivered + c->r[1].delivered > DP_CONN_PROBE_BYTES) {
		/* Not SMTP after a fair look: stop spending on it. */
		t->st.probe_given_up++;
		f->xflags |= XF_NOPARSE;
		conn_release(t, f);
		return;
	}
	conn_mirror(f, c, dir);
}

/* The side receiving @dir's bytes acknowledged up to @ack. */
static void peer_acked(struct dp_conn_tracker *t, struct dp_flow *f, uint32_t ack, int dir)
{
	struct dp_conn *c = conn_of(t, f);
	struct sink_ctx sc = { t, c, dir };
	struct dp_reasm_sink sink = { sink_data, sink_gap, &sc };

	dp_reasm_ack(&c->r[dir], ack, &sink);
	conn_mirror(f, c, dir);
}

/* @hash, @chk: the two halves of @k's dp_flow_hash64. */
static void packet(struct dp_conn_tracker *t, const struct dp_pkt *p,
		   const struct dp_flow_key *k, uint32_t hash, uint32_t chk, int src_side,
		   struct dp_flow *f, uint32_t frame_len, uint64_t ts)
{
	int syn = p->tcp_flags & DP_TCP_SYN, ack = p->tcp_flags & DP_TCP_ACK;
	int dir;

	if (f && (f->flags & DP_FLOW_F_DONE) && syn && !ack) {
		/* The tuple is reused by a new connection. */
		dp_flow_remove(t->flows, f);
		f = NULL;
	}
	if (!f) {
		if (syn && !p->payload_len && !(p->tcp_flags & (DP_TCP_RST | DP_TCP_FIN))) {
			handshake(t, p, k, hash, chk, src_side, frame_len, ts);
			return;
		}
		f = flow_new(t, p, k, hash, chk, src_side, ts);
	} else {
		dp_flow_touch(t->flows, f, ts);
	}
	dir = src_side == f->client_side ? DP_SMTP_TO_SERVER : DP_SMTP_TO_CLIENT;
	f->pkts[dir]++;
	f->bytes[dir] += frame_len;
	if (f->flags & DP_FLOW_F_DONE)
		return; /* straggler after the record: counted only */

	if (syn) {
		note_syn(&f->flags, f->isn, dir, ack, p->seq);
	} else if (ack && dir == DP_SMTP_TO_SERVER && (f->flags & DP_FLOW_F_SYNACK) &&
		   !(f->flags & DP_FLOW_F_ESTABLISHED)) {
		/* A completed handshake is no spoofed SYN: protect it from
		 * half-open eviction before its first byte arrives. */
		f->flags |= DP_FLOW_F_ESTABLISHED;
		if (f->cls == DP_FLOW_CLS_HALF_OPEN)
			dp_flow_set_class(t->flows, f, (f->flags & DP_FLOW_F_ON_PORT) ?
					  DP_FLOW_CLS_SMTP : DP_FLOW_CLS_OTHER);
	}
	if (p->payload_len) {
		f->xflags |= XF_PAYLOAD;
		payload(t, f, p, dir);
	} else if ((p->tcp_flags & DP_TCP_FIN) && f->conn) {
		/* A bare FIN still ends the stream: its ACK must not read as
		 * a lost byte. */
		struct dp_conn *c = conn_of(t, f);
		struct sink_ctx sc = { t, c, dir };
		struct dp_reasm_sink sink = { sink_data, sink_gap, &sc };

		dp_reasm_segment(&c->r[dir], p->seq, NULL, 0, 1, &sink);
		conn_mirror(f, c, dir);
	}
	/* Most ACKs cover nothing new: settled on the flow's own lines. */
	if (ack && f->conn && ack_pending(f, !dir, p->ack))
		peer_acked(t, f, p->ack, !dir);
	if (p->tcp_flags & DP_TCP_RST) {
		f->flags |= DP_FLOW_F_RST;
		conn_end(t, f, "reset");
		dp_flow_set_class(t->flows, f, DP_FLOW_CLS_CLOSING);
	} else if (p->tcp_flags & DP_TCP_FIN) {
		f->flags |= dir == DP_SMTP_TO_SERVER ? DP_FLOW_F_FIN_C : DP_FLOW_F_FIN_S;
		if ((f->flags & (DP_FLOW_F_FIN_C | DP_FLOW_F_FIN_S)) ==
		    (DP_FLOW_F_FIN_C | DP_FLOW_F_FIN_S))
			conn_end(t, f, "closed");
		dp_flow_set_class(t->flows, f, DP_FLOW_CLS_CLOSING);
	}
}

/* The parser state packet @p will touch, on its way into the cache.
 * always_inline: GCC deems a function of prefetches alone pure and drops
 * the calls, prefetches and all. */
static inline __attribute__((always_inline)) void
conn_prefetch(const struct dp_conn_tracker *t, const struct dp_flow *f,
	      const struct dp_pkt *p, int src_side)
{
	const struct dp_conn *c;
	int dir;

	if (!f || !f->conn || (f->xflags & XF_TLS))
		return;
	c = &t->conns[f->conn - 1];
	dir = src_side == f->client_side ? DP_SMTP_TO_SERVER : DP_SMTP_TO_CLIENT;
	if (p->payload_len) {
		/* The session's scalars, the direction's bookkeeping and
		 * the lines of hist the segment's tail will be copied to;
		 * for replies the queue they answer. (Few lines: with more,
		 * prefetches queue for miss buffers.) */
		uint32_t n = p->payload_len < DP_REASM_HIST ? p->payload_len : DP_REASM_HIST;
		uint32_t at = (p->seq + p->payload_len - n) & (DP_REASM_HIST - 1);

		__builtin_prefetch(&c->smtp);
		__builtin_prefetch(&c->r[dir]);
		if (dir == DP_SMTP_TO_CLIENT)
			__builtin_prefetch(&c->smtp.q);
		for (uint32_t o = at & ~63u; o < (at & ~63u) + (at & 63u) + n; o += 64)
			__builtin_prefetch(&c->r[dir].hist[o & (DP_REASM_HIST - 1)], 1);
	}
	if ((p->tcp_flags & DP_TCP_ACK) && ack_pending(f, !dir, p->ack))
		__builtin_prefetch(&c->r[!dir]);
}

/* Packets ahead whose parser state is prefetched while one is handled. */
#define CONN_AHEAD 4u

void dp_conn_burst(struct dp_conn_tracker *t, const uint8_t *const frames[],
		   const uint32_t lens[], const uint64_t ts_ns[], uint32_t n)
{
	struct dp_pkt pk[DP_CONN_BURST_MAX];
	struct dp_flow_key key[DP_CONN_BURST_MAX];
	struct dp_flow *flow[DP_CONN_BURST_MAX];
	uint32_t hash[DP_CONN_BURST_MAX];
	uint32_t chk[DP_CONN_BURST_MAX];   /* for the handshake table */
	uint32_t len[DP_CONN_BURST_MAX];
	uint64_t ts[DP_CONN_BURST_MAX];
	uint8_t side[DP_CONN_BURST_MAX];
	uint32_t m = 0;
	uint64_t gen;

	if (n > DP_CONN_BURST_MAX)
		n = DP_CONN_BURST_MAX;
	/* Pass 1: decode and hash the burst; TCP segments are packed to the
	 * front, everything else is counted and dropped here. */
	for (uint32_t i = 0; i < n; i++) {
		int r = dp_decode(frames[i], lens[i], t->p.linktype, &pk[m]);

		t->st.bytes += lens[i];
		if (__builtin_expect(r == DP_DECODE_TCP, 1)) {
			int s;
			uint64_t h;

			make_key(&pk[m], &key[m], &s);
			side[m] = (uint8_t)s;
			h = dp_flow_hash64(&key[m]);
			hash[m] = (uint32_t)h;
			chk[m] = (uint32_t)(h >> 32);
			len[m] = lens[i];
			ts[m] = ts_ns[i];
			m++;
			continue;
		}
		switch (r) {
		case DP_DECODE_NOT_IP:
			t->st.non_ip++;
			break;
		case DP_DECODE_NOT_TCP:
			t->st.non_tcp++;
			break;
		case DP_DECODE_FRAGMENT:
			t->st.fragments++;
			break;
		default:
			t->st.malformed++;
			break;
		}
	}
	t->st.packets += n;
	if (m == 0)
		return;
	/* Pass 2: every lookup of the burst at once, misses overlapping. */
	dp_flow_lookup_bulk(t->flows, key, hash, m, flow);
	gen = dp_flow_generation(t->flows);
	/* No flow: a handshake's, or the handshake table's next. */
	for (uint32_t i = 0; i < m; i++)
		if (!flow[i])
			dp_syn_prefetch(t->syn, hash[i]);
	for (uint32_t i = 0; i < m && i < CONN_AHEAD; i++)
		conn_prefetch(t, flow[i], &pk[i], side[i]);
	/* Pass 3: in order, as a packet at a time would be. A flow that came
	 * or went since pass 2 makes its results stale: look up again. */
	for (uint32_t i = 0; i < m; i++) {
		struct dp_flow *f = flow[i];

		if (i + CONN_AHEAD < m && flow[i + CONN_AHEAD]) {
			conn_prefetch(t, flow[i + CONN_AHEAD], &pk[i + CONN_AHEAD],
				      side[i + CONN_AHEAD]);
			dp_flow_prefetch_touch(t->flows, flow[i + CONN_AHEAD], ts[i + CONN_AHEAD]);
		}
		if (dp_flow_generation(t->flows) != gen)
			f = dp_flow_lookup(t->flows, &key[i], hash[i]);
		if (ts[i] > t->now_ns)
			t->now_ns = ts[i];
		packet(t, &pk[i], &key[i], hash[i], chk[i], side[i], f, len[i], ts[i]);
	}
}

uint32_t dp_conn_steer(const uint8_t *frame, uint32_t len, int linktype)
{
	struct dp_pkt p;
	struct dp_flow_key k;
	int side;

	if (dp_decode(frame, len, linktype, &p) != DP_DECODE_TCP)
		return 0;
	make_key(&p, &k, &side);
	return dp_flow_hash(&k);
}

void dp_conn_set_rules(struct dp_conn_tracker *t, const struct dp_rules_db *db,
		       uint32_t slot)
{
	t->rules = db;
	t->rules_slot = slot;
}

void dp_conn_advance(struct dp_conn_tracker *t, uint64_t now_ns)
{
	uint32_t flows, syns;

	if (now_ns > t->now_ns)
		t->now_ns = now_ns;
	if (t->now_ns < t->next_expire_ns)
		return;
	/* Once a second of traffic time; sooner while a call used up its
	 * budget, so a backlog drains a bounded slice per burst. */
	flows = dp_flow_expire(t->flows, t->now_ns);
	syns = dp_syn_expire(t->syn, t->now_ns, DP_FLOW_EXPIRE_BUDGET);
	if (flows >= DP_FLOW_EXPIRE_BUDGET || syns >= DP_FLOW_EXPIRE_BUDGET)
		t->next_expire_ns = t->now_ns;
	else
		t->next_expire_ns = t->now_ns + SEC;
}

void dp_conn_drain(struct dp_conn_tracker *t)
{
	dp_flow_drain(t->flows);
	dp_syn_drain(t->syn);
}

const struct dp_conn_stats *dp_conn_tracker_stats(const struct dp_conn_tracker *t)
{
	return &t->st;
}

const struct dp_flow_stats *dp_conn_flow_stats(const struct dp_conn_tracker *t)
{
	return dp_flow_table_stats(t->flows);
}

const struct dp_syn_stats *dp_conn_syn_stats(const struct dp_conn_tracker *t)
{
	return dp_syn_table_stats(t->syn);
}

uint64_t dp_conn_tracker_memory(const struct dp_conn_tracker *t)
{
	return dp_flow_table_memory(t->flows) + dp_syn_table_memory(t->syn) +
	       t->conn_bytes + t->win_bytes;
}

void dp_conn_tracker_mem(const struct dp_conn_tracker *t, struct dp_conn_mem *ret)
{
	ret->flow_capacity += dp_flow_table_capacity(t->flows);
	ret->flow_hot_bytes = sizeof(struct dp_flow);
	ret->flow_table_bytes += dp_flow_table_memory(t->flows);
	ret->handshake_capacity += dp_syn_table_capacity(t->syn);
	ret->handshake_bytes += dp_syn_table_memory(t->syn);
	ret->parser_slots += t->max_conns;
	ret->parser_bytes += t->conn_bytes;
	ret->window_bytes += t->win_bytes;
	ret->resident_bytes += dp_flow_table_resident(t->flows) +
			       dp_syn_table_resident(t->syn) +
			       dp_flow_resident_bytes(t->conns, t->conn_bytes) +
			       dp_flow_resident_bytes(t->wins, t->win_bytes);
}
