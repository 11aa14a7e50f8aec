/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * gen_sess: session transport and turn dispatch (see gen_sess.h).
 *
 * Timing, as seen from a tap next to the mail servers: the server answers
 * a client flight after its own processing time (sub-millisecond, longer
 * for end of data and failed AUTH); the client answers a server flight one
 * round-trip time later. Bulk data goes 32 KiB per round trip, each chunk
 * acknowledged by the receiver.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <mxscreen/anomaly.h>

#include "gen_rng.h"
#include "gen_plan.h"
#include "gen_sess.h"
#include "gen_smtp.h"
#include "gen_tls.h"

#define BULK_CHUNK 32768u
#define MAX_TURNS 100000u   /* a session that never ends is a generator bug */

enum tag { T_ISN = 100, T_TLS, T_HTTPS };

static const uint8_t mac_edge[6] = { 0x02, 0x00, 0x5e, 0x10, 0x00, 0x01 };
static const uint8_t mac_mx[6] = { 0x02, 0x00, 0x5e, 0x10, 0x00, 0x25 };

const char *gen_kind_name(unsigned kind)
{
	static const char *const names[GEN_K_COUNT] = {
		"mta", "bot", "dictionary", "auth_guess", "scanner", "http_probe",
		"submission", "smtps", "https",
	};

	return kind < GEN_K_COUNT ? names[kind] : "?";
}

/* Addresses of a background HTTPS connection: 192.168/16 to 203.0.113/24. */
static void https_hosts(const struct gen_sess *s, struct gen_client *cl, uint8_t srv[4])
{
	memset(cl, 0, sizeof(*cl));
	cl->family = 4;
	cl->ttl = 64;
	cl->rtt_us = 5000 + s->client % 40000;
	cl->addr[0] = 192;
	cl->addr[1] = 168;
	cl->addr[2] = (uint8_t)(s->client >> 8);
	cl->addr[3] = (uint8_t)s->client;
	srv[0] = 203;
	srv[1] = 0;
	srv[2] = 113;
	srv[3] = (uint8_t)(10 + s->client % 100);
}

static void build(struct gen_turn *c, struct gen_sess *s, const struct gen_sess_env *e,
		  uint64_t now)
{
	struct gen_path *pc = &c->flow.path[GEN_C], *ps = &c->flow.path[GEN_S];
	const uint8_t *srv_addr;
	uint8_t https_srv[4];
	size_t alen;

	c->s = s;
	c->e = e;
	c->tr = e->wire ? NULL : e->truth;
	c->buf = e->scratch;
	c->len = 0;
	c->lines = 0;
	c->t = now;
	if (s->kind == GEN_K_HTTPS) {
		https_hosts(s, &c->cl, https_srv);
		c->cl.vlan = gen_world_vlan(e->world) ? 200 : 0;
		c->srv = gen_world_server(e->world, 0); /* unused by HTTPS turns */
		srv_addr = https_srv;
	} else {
		gen_world_client(e->world, s->client, &c->cl);
		c->srv = gen_world_server(e->world, s->server);
		srv_addr = c->cl.family == 4 ? c->srv->addr4 : c->srv->addr6;
	}
	alen = c->cl.family == 4 ? 4 : 16;
	pc->family = ps->family = c->cl.family;
	pc->vlan = ps->vlan = c->cl.vlan;
	pc->ttl = c->cl.ttl;
	ps->ttl = 64;
	memset(pc->src, 0, 16);
	memset(pc->dst, 0, 16);
	memcpy(pc->src, c->cl.addr, alen);
	memcpy(pc->dst, srv_addr, alen);
	memcpy(ps->src, pc->dst, 16);
	memcpy(ps->dst, pc->src, 16);
	memcpy(pc->mac_src, mac_edge, 6);
	memcpy(pc->mac_dst, mac_mx, 6);
	memcpy(ps->mac_src, mac_mx, 6);
	memcpy(ps->mac_dst, mac_edge, 6);
	c->flow.port[GEN_C] = s->cport;
	c->flow.port[GEN_S] = s->dport;
	c->flow.tcp = &s->tcp;
}

/* ---- turn helpers (gen_sess.h) ---- */

/*
 * The printf subset the dialogues use (%s %u %c %%) without stdio's
 * per-call cost; any other conversion goes to vsnprintf. Returns the
 * length, always < @room.
 */
static int format_line(char *out, uint32_t room, const char *fmt, va_list ap)
{
	uint32_t n = 0;
	va_list aq;
	int r;

	va_copy(aq, ap);
	for (const char *f = fmt; *f; f++) {
		char num[12];
		const char *s = num;
		size_t k;

		if (*f != '%') {
			if (n + 1 >= room)
				goto slow;
			out[n++] = *f;
			continue;
		}
		switch (*++f) {
		case 's':
			s = va_arg(aq, const char *);
			break;
		case 'u': {
			unsigned v = va_arg(aq, unsigned);
			int i = 11;

			num[11] = '\0';
			do
				num[--i] = (char)('0' + v % 10);
			while ((v /= 10) != 0);
			s = num + i;
			break;
		}
		case 'c':
			num[0] = (char)va_arg(aq, int);
			num[1] = '\0';
			break;
		case '%':
			s = "%";
			break;
		default:
			goto slow;
		}
		k = strlen(s);
		if (n + k >= room)
			goto slow;
		memcpy(out + n, s, k);
		n += (uint32_t)k;
	}
	va_end(aq);
	return (int)n;
slow:
	va_end(aq);
	r = vsnprintf(out, room, fmt, ap);
	return r < 0 ? 0 : (uint32_t)r >= room ? (int)room - 1 : r;
}

void gen_turn_vline(struct gen_turn *c, const char *eol, const char *fmt, va_list ap)
{
	uint32_t room = GEN_SESS_SCRATCH - c->len - 3;
	size_t e = strlen(eol);
	int n;

	if (!c->e->wire) { /* replaying for the record: only line counts matter */
		c->lines++;
		return;
	}
	n = format_line((char *)c->buf + c->len, room, fmt, ap);
	c->len += (uint32_t)n;
	memcpy(c->buf + c->len, eol, e);
	c->len += (uint32_t)e;
	if (n > 0)
		c->lines++;
}

void gen_turn_line(struct gen_turn *c, const char *eol, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	gen_turn_vline(c, eol, fmt, ap);
	va_end(ap);
}

void gen_turn_blank(struct gen_turn *c, const char *eol)
{
	size_t e = strlen(eol);

	if (c->e->wire && c->len + e <= GEN_SESS_SCRATCH) {
		memcpy(c->buf + c->len, eol, e);
		c->len += (uint32_t)e;
	}
}

uint64_t gen_turn_send(struct gen_turn *c, int side, int fin, uint32_t tiny_head,
		       uint32_t tiny_tail)
{
	struct gen_sess *s = c->s;
	int conflict = 0;

	/* Without packets the flight's bytes are not composed: a client
	 * send always carries data. */
	if (side == GEN_C && (c->len || !c->e->wire)) {
		/* The first client flight carries the conflicting retransmission:
		 * it is always plaintext, whatever the session does later. */
		conflict = c->e->adversarial && (s->flags & GEN_F_CONFLICT) &&
			   !(s->bits & GEN_B_CDATA);
		s->bits |= GEN_B_CDATA;
		if (conflict && c->tr)
			gen_truth_anomaly(c->tr, MXS_ANOMALY_REASM_OVERLAP_CONFLICT);
	}
	if (c->e->wire) {
		struct gen_send g = {
			.data = c->buf,
			.len = c->len,
			.tiny_head = tiny_head < c->len ? tiny_head : c->len,
			.tiny_tail = tiny_tail,
			.fin = fin,
			.conflict = conflict,
			.rng = &s->rng,
		};

		c->t = gen_wire_data(c->e->wire, &c->flow, side, &g, c->t);
	}
	c->len = 0;
	c->lines = 0;
	return c->t;
}

uint64_t gen_turn_ctl(struct gen_turn *c, int side, uint8_t flags)
{
	if (c->e->wire)
		c->t = gen_wire_ctl(c->e->wire, &c->flow, side, flags, c->t);
	return c->t;
}

uint32_t gen_turn_rand(struct gen_turn *c, uint32_t lo, uint32_t hi)
{
	return gen_rng_range(&c->s->rng, lo, hi);
}

uint64_t gen_turn_client_at(struct gen_turn *c, uint64_t t)
{
	uint32_t think = c->cl.profile == GEN_PROF_MTA ? gen_turn_rand(c, 50, 500)
						       : gen_turn_rand(c, 0, 100);

	return t + c->cl.rtt_us + think;
}

static uint64_t server_at(struct gen_turn *c, uint64_t t)
{
	return t + gen_turn_rand(c, 100, 900);
}

/* ---- bulk transfers ---- */

void gen_sess_bulk(struct gen_sess *s, unsigned what, int side, uint32_t len)
{
	s->bulk = (uint8_t)what;
	s->bulk_off = 0;
	s->bulk_len = len;
	if (side == GEN_S)
		s->bits |= GEN_B_BULK_S;
	else
		s->bits &= (uint8_t)~GEN_B_BULK_S;
	s->phase = GEN_PH_BULK;
}

static uint64_t tls_next(struct gen_turn *c, uint64_t t);

static uint64_t turn_bulk(struct gen_turn *c)
{
	struct gen_sess *s = c->s;
	int side = (s->bits & GEN_B_BULK_S) ? GEN_S : GEN_C;
	uint32_t chunk = s->bulk_len - s->bulk_off, head = 0, tail = 0;
	uint64_t t;

	if (chunk > BULK_CHUNK)
		chunk = BULK_CHUNK;
	if (s->bulk == GEN_BK_BODY) {
		/* Tiny segments at the start and the end of the body, where
		 * the command/body boundaries are. */
		if (c->e->wire) {
			char hdr[GEN_BODY_HDR_MAX];
			struct gen_msg m;

			gen_plan_message(c, 1, &m, s->bulk_off < GEN_BODY_HDR_MAX ? hdr : NULL);
			s->bulk_len = m.total;
			chunk = s->bulk_len - s->bulk_off;
			if (chunk > BULK_CHUNK)
				chunk = BULK_CHUNK;
			gen_body_fill(c->e->body, &m, hdr, s->bulk_off, chunk, c->buf);
		}
		head = s->bulk_off < 256 ? 256 - s->bulk_off : 0;
		tail = s->bulk_off + chunk == s->bulk_len ? 256 : 0;
	} else if (c->e->wire) {
		head = s->bulk_off == 0 ? 16 : 0;
		gen_tls_stream_fill(c->e->tls, c->buf, s->bulk_off, chunk, s->bulk_len,
				    gen_hash(s->seed, T_TLS, 1000 + s->item));
	}
	c->len = chunk;
	t = gen_turn_send(c, side, 0, head, tail);
	s->bulk_off += chunk;
	if (s->bulk_off < s->bulk_len) {
		s->phase = GEN_PH_BULK_ACK;
		return side == GEN_C ? t + gen_turn_rand(c, 30, 200) : gen_turn_client_at(c, t);
	}
	if (s->bulk == GEN_BK_BODY) {
		gen_smtp_body_done(s);
		return t + gen_turn_rand(c, 5000, 40000);
	}
	s->item++;
	s->phase = GEN_PH_TLS;
	return tls_next(c, t);
}

static uint64_t turn_bulk_ack(struct gen_turn *c)
{
	int sender = (c->s->bits & GEN_B_BULK_S) ? GEN_S : GEN_C;
	uint64_t t = gen_turn_ctl(c, !sender, GEN_TCP_ACK);

	c->s->phase = GEN_PH_BULK;
	return sender == GEN_C ? gen_turn_client_at(c, t) : t + gen_turn_rand(c, 30, 200);
}

/* ---- TLS ---- */

/*
 * Steps: 0 ClientHello, 1 ServerHello + encrypted handshake, 2 client
 * Finished, then n_auth exchanges (client, server) of application data,
 * then the client's close_notify and FIN.
 */
static int tls_side(const struct gen_sess *s, unsigned item)
{
	if (item < 3)
		return item == 1 ? GEN_S : GEN_C;
	if (item >= 3u + 2u * s->n_auth)
		return GEN_C;
	return (item - 3) % 2 ? GEN_S : GEN_C;
}

static uint64_t tls_next(struct gen_turn *c, uint64_t t)
{
	return tls_side(c->s, c->s->item) == GEN_C ? gen_turn_client_at(c, t) : server_at(c, t);
}

/* Application data of exchange step @item. */
static uint32_t tls_size(const struct gen_sess *s, unsigned item)
{
	uint64_t h = gen_hash(s->seed, T_TLS, item);
	unsigned k = (item - 3) / 2;

	if (s->kind == GEN_K_HTTPS)
		return tls_side(s, item) == GEN_C ? 300 + gen_pick(h, 500)
						  : gen_body_size(h, GEN_BODY_MAIL);
	if (tls_side(s, item) == GEN_S)
		return 40 + gen_pick(h, 260);
	return k == 1 ? gen_body_size(h, GEN_BODY_MAIL) : 30 + gen_pick(h, 170);
}

static uint64_t turn_tls(struct gen_turn *c)
{
	struct gen_sess *s = c->s;
	unsigned item = s->item;
	uint64_t h = gen_hash(s->seed, T_TLS, item), t;
	int side = tls_side(s, item);

	if (item >= 3u && item < 3u + 2u * s->n_auth) {
		gen_sess_bulk(s, GEN_BK_TLS, side, gen_tls_stream_size(tls_size(s, item)));
		return turn_bulk(c);
	}
	if (c->e->wire) {
		if (item == 0) {
			char sni[GEN_TLS_HELLO_MAX / 4];

			if (s->kind == GEN_K_HTTPS)
				snprintf(sni, sizeof(sni), "www.site%u.example", s->client % 5000);
			else
				snprintf(sni, sizeof(sni), "%s", c->srv->name);
			c->len = (uint32_t)gen_tls_client_hello(c->buf, gen_hash(s->seed, T_TLS, 0), sni);
		} else if (item == 1) {
			uint32_t n = (uint32_t)gen_tls_server_hello(c->buf, gen_hash(s->seed, T_TLS, 0));
			uint32_t more = gen_tls_stream_size(2000 + gen_pick(h, 2500));

			gen_tls_stream_fill(c->e->tls, c->buf + n, 0, more, more, h);
			c->len = n + more;
		} else if (item == 2) {
			uint32_t n = (uint32_t)gen_tls_ccs(c->buf);

			gen_tls_stream_fill(c->e->tls, c->buf + n, 0, 58, 58, h);
			c->len = n + 58;
		} else { /* close_notify, then FIN */
			gen_tls_stream_fill(c->e->tls, c->buf, 0, 24, 24, h);
			c->len = 24;
		}
	} else {
		c->len = 1; /* the dialogue only needs to know data was sent */
	}
	if (item >= 3u + 2u * s->n_auth) {
		t = gen_turn_send(c, GEN_C, 1, 16, 0);
		s->phase = GEN_PH_CLOSE;
		s->sub = GEN_CL_S_FIN;
		return server_at(c, t);
	}
	t = gen_turn_send(c, side, 0, 16, 0);
	s->item++;
	return tls_next(c, t);
}

/* ---- teardown ---- */

static uint64_t turn_close(struct gen_turn *c)
{
	struct gen_sess *s = c->s;
	uint64_t t;

	switch (s->sub) {
	case GEN_CL_C_FIN:
		t = gen_turn_ctl(c, GEN_C, GEN_TCP_FIN | GEN_TCP_ACK);
		s->sub = GEN_CL_S_ACK;
		return t + gen_turn_rand(c, 30, 200);
	case GEN_CL_C_RST:
		if (c->tr)
			gen_truth_state(c->tr, "reset");
		gen_turn_ctl(c, GEN_C, GEN_TCP_RST | GEN_TCP_ACK);
		break;
	case GEN_CL_S_FIN:
		t = gen_turn_ctl(c, GEN_S, GEN_TCP_FIN | GEN_TCP_ACK);
		s->sub = GEN_CL_C_ACK;
		return gen_turn_client_at(c, t);
	default: /* GEN_CL_S_ACK, GEN_CL_C_ACK */
		gen_turn_ctl(c, s->sub == GEN_CL_S_ACK ? GEN_S : GEN_C, GEN_TCP_ACK);
		break;
	}
	s->phase = GEN_PH_DONE;
	return GEN_SESS_DONE;
}

/* ---- sessions ---- */

static void tcp_init(struct gen_sess *s)
{
	s->tcp.seq[GEN_C] = (uint32_t)gen_hash(s->seed, T_ISN, 0);
	s->tcp.seq[GEN_S] = (uint32_t)gen_hash(s->seed, T_ISN, 1);
	s->tcp.ipid[GEN_C] = (uint16_t)gen_hash(s->seed, T_ISN, 2);
	s->tcp.ipid[GEN_S] = (uint16_t)gen_hash(s->seed, T_ISN, 3);
}

void gen_sess_init(struct gen_sess *s, const struct gen_sess_env *e,
		   const struct gen_sess_start *p)
{
	struct gen_client cl;

	memset(s, 0, sizeof(*s));
	s->seed = p->seed;
	s->rng = gen_mix64(p->seed ^ 0x74696d696e67ull);
	s->client = p->client;
	s->server = (uint8_t)p->server;
	s->cport = p->client_port;
	tcp_init(s);
	gen_world_client(e->world, p->client, &cl);
	gen_plan_choose(s, e, &cl, gen_world_server(e->world, p->server));
	s->phase = GEN_PH_SYN;
}

void gen_sess_init_https(struct gen_sess *s, uint64_t seed, uint32_t host,
			 uint16_t client_port)
{
	memset(s, 0, sizeof(*s));
	s->seed = seed;
	s->rng = gen_mix64(seed ^ 0x74696d696e67ull);
	s->client = host;
	s->cport = client_port;
	s->dport = 443;
	s->kind = GEN_K_HTTPS;
	s->n_auth = (uint8_t)(1 + gen_pick(gen_hash(seed, T_HTTPS, 0), 3));
	tcp_init(s);
	s->phase = GEN_PH_SYN;
}

int gen_sess_reported(const struct gen_sess *s)
{
	return s->kind != GEN_K_HTTPS;
}

uint64_t gen_sess_turn(struct gen_sess *s, const struct gen_sess_env *e, uint64_t now)
{
	struct gen_turn c;
	uint64_t t;

	build(&c, s, e, now);
	switch (s->phase) {
	case GEN_PH_SYN:
		t = gen_turn_ctl(&c, GEN_C, GEN_TCP_SYN);
		s->phase = GEN_PH_SYNACK;
		return t + gen_turn_rand(&c, 30, 150);
	case GEN_PH_SYNACK:
		t = gen_turn_ctl(&c, GEN_S, GEN_TCP_SYN | GEN_TCP_ACK);
		s->phase = GEN_PH_ACK;
		return t + c.cl.rtt_us;
	case GEN_PH_ACK:
		t = gen_turn_ctl(&c, GEN_C, GEN_TCP_ACK);
		if (s->kind == GEN_K_SMTPS || s->kind == GEN_K_HTTPS) {
			if (c.tr && s->kind == GEN_K_SMTPS)
				gen_truth_tls(c.tr);
			s->phase = GEN_PH_TLS;
			s->item = 0;
			return t + gen_turn_rand(&c, 20, 300);
		}
		if ((s->kind == GEN_K_BOT && (s->flags & GEN_F_PREGREET)) ||
		    (s->kind == GEN_K_HTTP && (s->flags & GEN_F_EARLY))) {
			s->phase = GEN_PH_EARLY;
			return t + gen_turn_rand(&c, 20, 300);
		}
		s->phase = GEN_PH_BANNER;
		return t + gen_turn_rand(&c, 1000, 8000);
	case GEN_PH_EARLY:
	case GEN_PH_BANNER:
	case GEN_PH_CMD:
	case GEN_PH_REPLY:
		return gen_smtp_turn(&c);
	case GEN_PH_BULK:
		return turn_bulk(&c);
	case GEN_PH_BULK_ACK:
		return turn_bulk_ack(&c);
	case GEN_PH_TLS:
		return turn_tls(&c);
	case GEN_PH_CLOSE:
		return turn_close(&c);
	default:
		return GEN_SESS_DONE;
	}
}

int gen_sess_expect(const struct gen_sess *s, const struct gen_sess_env *e,
		    uint64_t ts_us, FILE *f)
{
	struct gen_sess copy = *s;
	struct gen_sess_env dry = *e;
	struct gen_client cl;
	const struct gen_server *srv = gen_world_server(e->world, s->server);
	struct gen_truth_conn tc;
	uint64_t t = ts_us;
	uint32_t turns = 0;

	dry.wire = NULL;
	gen_world_client(e->world, s->client, &cl);
	tc.kind = gen_kind_name(s->kind);
	tc.ts_us = ts_us;
	tc.family = cl.family;
	tc.client = cl.addr;
	tc.server = cl.family == 4 ? srv->addr4 : srv->addr6;
	tc.client_port = s->cport;
	tc.server_port = s->dport;
	gen_truth_begin(e->truth, &tc);
	while (t != GEN_SESS_DONE && turns++ < MAX_TURNS)
		t = gen_sess_turn(&copy, &dry, t);
	if (t != GEN_SESS_DONE)
		return -ELOOP;
	return gen_truth_write(e->truth, f);
}
