/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit test for dp_conn, the per-lcore connection tracker: hand-built
 * Ethernet (+802.1Q/QinQ) + IPv4/IPv6 + TCP frames from scripted
 * conversations go through dp_conn_burst, and the records that come out of
 * on_record are checked: state, client/server sides, HELO, MAIL FROM,
 * RCPT TO, anomalies, packet counts. Cases: complete sessions (v4, v6,
 * VLAN, midstream), RST, open at drain, timeout, probing a non-SMTP port,
 * non-SMTP traffic, bare SYNs, reordered and 1-byte segments, conflicting
 * retransmissions, SYN flood against a small table, non-TCP frames and
 * tuple reuse. Single-threaded.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <mxscreen/anomaly.h>

#include "check.h"
#include "frames.h"
#include "dp_conn.h"
#include "dp_eve.h"

#define SEC 1000000000ull
#define TS_BASE 1254722767000000000ull

#define F_FIN DP_TCP_FIN
#define F_SYN DP_TCP_SYN
#define F_RST DP_TCP_RST
#define F_PSH DP_TCP_PSH
#define F_ACK DP_TCP_ACK

/* ---- frames ------------------------------------------------------------ */

#define FRAME_MAX 1600u
#define MAX_PKTS 4096u

struct pkt {
	uint32_t len;
	uint64_t ts;
	uint8_t b[FRAME_MAX];
};

static struct pkt pkts[MAX_PKTS];
static uint32_t npkts;

/* ---- conversations ------------------------------------------------------ */

enum { C = 0, S = 1 }; /* who sends: client, server (= dp_smtp_dir) */

struct conv {
	int family;
	int nvlan;
	uint16_t vid[3];
	uint8_t addr[2][16];   /* [C], [S] */
	uint16_t port[2];
	uint32_t next[2];      /* next sequence number each side sends */
	uint32_t mss;          /* payload per segment */
	int reorder;           /* 1: reverse each flight, 2: swap pairs */
	uint64_t ts;
};

static void conv_init(struct conv *cv, int family, uint16_t cport, uint16_t sport)
{
	memset(cv, 0, sizeof(*cv));
	cv->family = family;
	if (family == 4) {
		static const uint8_t c4[4] = { 192, 0, 2, 10 }, s4[4] = { 198, 51, 100, 25 };

		memcpy(cv->addr[C], c4, 4);
		memcpy(cv->addr[S], s4, 4);
	} else {
		static const uint8_t p6[4] = { 0x20, 0x01, 0x0d, 0xb8 };

		memcpy(cv->addr[C], p6, 4);
		memcpy(cv->addr[S], p6, 4);
		cv->addr[C][15] = 0x10;
		cv->addr[S][15] = 0x25;
	}
	cv->port[C] = cport;
	cv->port[S] = sport;
	cv->next[C] = 0x10000000u;
	cv->next[S] = 0xfffffff0u; /* wraps during the session */
	cv->mss = 1400;
	cv->ts = TS_BASE;
}

static void push(const struct conv *cv, int who, uint32_t seq, uint8_t flags,
		 const uint8_t *data, uint32_t len)
{
	struct tcpseg s = {
		.family = cv->family, .nvlan = cv->nvlan,
		.src = cv->addr[who], .dst = cv->addr[!who],
		.sport = cv->port[who], .dport = cv->port[!who],
		.seq = seq, .ack = cv->next[!who], .flags = flags,
		.data = data, .len = len,
	};

	memcpy(s.vid, cv->vid, sizeof(s.vid));
	if (npkts >= MAX_PKTS) {
		CHECK(npkts < MAX_PKTS);
		return;
	}
	pkts[npkts].len = tcp_frame(pkts[npkts].b, &s);
	pkts[npkts].ts = cv->ts;
	npkts++;
}

/* Reorder packets [from, npkts) as cv->reorder says (timestamps stay). */
static void reorder(const struct conv *cv, uint32_t from)
{
	uint32_t n = npkts - from;
	struct pkt tmp;

	if (n < 2 || !cv->reorder)
		return;
	if (cv->reorder == 1) {
		for (uint32_t i = 0; i < n / 2; i++) {
			tmp = pkts[from + i];
			pkts[from + i] = pkts[npkts - 1 - i];
			pkts[npkts - 1 - i] = tmp;
		}
	} else {
		for (uint32_t i = from; i + 1 < npkts; i += 2) {
			tmp = pkts[i];
			pkts[i] = pkts[i + 1];
			pkts[i + 1] = tmp;
		}
	}
	for (uint32_t i = from; i < npkts; i++) /* captured in this order */
		pkts[i].ts = pkts[from].ts + (i - from) * 1000;
}

/* @who sends @flags and @text (cut at mss); SYN and FIN take a number. */
static void send_seg(struct conv *cv, int who, uint8_t flags, const char *text)
{
	uint32_t len = text ? (uint32_t)strlen(text) : 0, from = npkts, off = 0;

	if (len == 0) {
		push(cv, who, cv->next[who], flags, NULL, 0);
		cv->next[who] += (flags & (F_SYN | F_FIN)) ? 1 : 0;
		cv->ts += 100000;
		return;
	}
	while (off < len) {
		uint32_t n = len - off < cv->mss ? len - off : cv->mss;
		uint8_t fl = flags;

		if (off + n < len)
			fl &= (uint8_t)~F_FIN; /* FIN rides on the last piece */
		push(cv, who, cv->next[who], fl, (const uint8_t *)text + off, n);
		cv->next[who] += n;
		off += n;
		cv->ts += 100000;
	}
	if (flags & F_FIN)
		cv->next[who]++;
	reorder(cv, from);
}

/* Resend @text at the sequence it had @back bytes ago (no advance). */
static void resend(struct conv *cv, int who, uint32_t back, const char *text)
{
	push(cv, who, cv->next[who] - back, F_PSH | F_ACK, (const uint8_t *)text,
	     (uint32_t)strlen(text));
	cv->ts += 100000;
}

/* Scripts: a list of steps, each one segment (or flight) of one side. */
enum { OP_END = 0, OP_SEG, OP_RESEND };

struct step {
	int op;
	int who;
	uint8_t flags;
	const char *text;
	uint32_t back;     /* OP_RESEND */
};

#define SYN_ { OP_SEG, C, F_SYN, NULL, 0 }
#define SYNACK_ { OP_SEG, S, F_SYN | F_ACK, NULL, 0 }
#define ACK_(w) { OP_SEG, w, F_ACK, NULL, 0 }
#define SAY(w, t) { OP_SEG, w, F_PSH | F_ACK, t, 0 }
#define FIN_(w) { OP_SEG, w, F_FIN | F_ACK, NULL, 0 }
#define RST_(w) { OP_SEG, w, F_RST | F_ACK, NULL, 0 }
#define END_ { OP_END, 0, 0, NULL, 0 }

#define BODY "From: alice@example.org\r\nTo: bob@example.net\r\nSubject: test\r\n" \
	"\r\nHello Bob.\r\n..leading dot\r\nMAIL FROM:<evil@example.com>\r\n" \
	"RCPT TO:<x@y>\r\n.\r\n"

/* The dialogue of a complete session after the handshake. */
#define DIALOGUE                                                             \
	SAY(S, "220 mx.example.net ESMTP\r\n"),                             \
	SAY(C, "EHLO client.example.org\r\n"),                              \
	SAY(S, "250-mx.example.net\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250 8BITMIME\r\n"), \
	SAY(C, "MAIL FROM:<alice@example.org> SIZE=300\r\n"),               \
	SAY(S, "250 2.1.0 Ok\r\n"),                                         \
	SAY(C, "RCPT TO:<bob@example.net>\r\n"),                            \
	SAY(S, "250 2.1.5 Ok\r\n"),                                         \
	SAY(C, "RCPT TO:<carol@example.net>\r\n"),                          \
	SAY(S, "250 2.1.5 Ok\r\n"),                                         \
	SAY(C, "DATA\r\n"),                                                 \
	SAY(S, "354 End data with <CR><LF>.<CR><LF>\r\n"),                  \
	SAY(C, BODY),                                                       \
	SAY(S, "250 2.0.0 Ok: queued as 4F2C1\r\n"),                        \
	SAY(C, "QUIT\r\n"),                                                 \
	SAY(S, "221 2.0.0 Bye\r\n")

#define HANDSHAKE SYN_, SYNACK_, ACK_(C)
#define CLOSE FIN_(S), FIN_(C), ACK_(S)

static const struct step full_session[] = { HANDSHAKE, DIALOGUE, CLOSE, END_ };
static const struct step midstream_session[] = { DIALOGUE, CLOSE, END_ };

static const struct step reset_session[] = {
	HANDSHAKE,
	SAY(S, "220 mx.example.net ESMTP\r\n"),
	SAY(C, "HELO rst.example\r\n"),
	SAY(S, "250 mx.example.net\r\n"),
	RST_(C),
	ACK_(S), /* straggler after the record */
	END_,
};

static const struct step open_session[] = {
	HANDSHAKE,
	SAY(S, "220 mx.example.net ESMTP\r\n"),
	SAY(C, "EHLO open.example\r\n"),
	SAY(S, "250 mx.example.net\r\n"),
	SAY(C, "MAIL FROM:<>\r\n"),
	SAY(S, "250 Ok\r\n"),
	END_,
};

static const struct step refused_session[] = {
	SYN_, RST_(S), END_,
};

static const struct step bare_syn[] = { SYN_, END_ };

/* SMTP tunnelled through an HTTP proxy on a port that is not SMTP. */
static const struct step proxied_session[] = {
	HANDSHAKE,
	SAY(C, "CONNECT mx.example.net:25 HTTP/1.1\r\nHost: mx.example.net:25\r\n\r\n"),
	SAY(S, "HTTP/1.1 200 Connection established\r\n\r\n"),
	SAY(S, "220 mx.example.net ESMTP\r\n"),
	SAY(C, "EHLO spam.example\r\n"),
	SAY(S, "250 mx.example.net\r\n"),
	SAY(C, "MAIL FROM:<spammer@example.com>\r\n"),
	SAY(S, "250 Ok\r\n"),
	SAY(C, "RCPT TO:<victim@example.net>\r\n"),
	SAY(S, "250 Ok\r\n"),
	SAY(C, "QUIT\r\n"),
	SAY(S, "221 Bye\r\n"),
	CLOSE,
	END_,
};

/* A retransmission of the MAIL line with other bytes: first data wins. */
static const struct step conflict_session[] = {
	HANDSHAKE,
	SAY(S, "220 mx.example.net ESMTP\r\n"),
	SAY(C, "EHLO client.example.org\r\n"),
	SAY(S, "250 mx.example.net\r\n"),
	SAY(C, "MAIL FROM:<alice@example.org>\r\n"),
	{ OP_RESEND, C, 0, "MAIL FROM:<ALICE@EXAMPLE.ORG>\r\n", 31 },
	SAY(S, "250 Ok\r\n"),
	SAY(C, "RCPT TO:<bob@example.net>\r\n"),
	SAY(S, "250 Ok\r\n"),
	SAY(C, "QUIT\r\n"),
	SAY(S, "221 Bye\r\n"),
	CLOSE,
	END_,
};

/* The same session's first half, and its second half. */
static const struct step flood_first[] = {
	HANDSHAKE,
	SAY(S, "220 mx.example.net ESMTP\r\n"),
	SAY(C, "EHLO client.example.org\r\n"),
	SAY(S, "250 mx.example.net\r\n"),
	END_,
};

static const struct step flood_second[] = {
	SAY(C, "MAIL FROM:<alice@example.org>\r\n"),
	SAY(S, "250 Ok\r\n"),
	SAY(C, "RCPT TO:<bob@example.net>\r\n"),
	SAY(S, "250 Ok\r\n"),
	SAY(C, "QUIT\r\n"),
	SAY(S, "221 Bye\r\n"),
	CLOSE,
	END_,
};

static void run_script(struct conv *cv, const struct step *st)
{
	for (; st->op != OP_END; st++) {
		if (st->op == OP_SEG)
			send_seg(cv, st->who, st->flags, st->text);
		else
			resend(cv, st->who, st->back, st->text);
	}
}

/* A web server answering a GET with @body_len bytes of HTML. */
static void http_session(struct conv *cv, uint32_t body_len)
{
	static char body[16384];
	static const char line[] = "<p>lorem ipsum dolor sit amet</p>\r\n";
	uint32_t n = 0;

	while (n + sizeof(line) - 1 <= body_len && n + sizeof(line) < sizeof(body)) {
		memcpy(body + n, line, sizeof(line) - 1);
		n += (uint32_t)sizeof(line) - 1;
	}
	body[n] = '\0';
	send_seg(cv, C, F_SYN, NULL);
	send_seg(cv, S, F_SYN | F_ACK, NULL);
	send_seg(cv, C, F_ACK, NULL);
	send_seg(cv, C, F_PSH | F_ACK, "GET / HTTP/1.1\r\nHost: www.example.net\r\n\r\n");
	send_seg(cv, S, F_PSH | F_ACK, "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n");
	send_seg(cv, S, F_PSH | F_ACK, body);
	send_seg(cv, C, F_FIN | F_ACK, NULL);
	send_seg(cv, S, F_FIN | F_ACK, NULL);
	send_seg(cv, C, F_ACK, NULL);
}

/* ---- the tracker and what it reported ---------------------------------- */

#define MAX_RECS 8
#define MAX_TXS 4

struct got {
	char state[16];
	int has_smtp;
	char helo[DP_SMTP_HELO_MAX + 1];
	int helo_verb;
	char banner[DP_SMTP_BANNER_MAX + 1];
	uint32_t tx_count;
	int has_from[MAX_TXS];
	char from[MAX_TXS][128];
	char rcpts[MAX_TXS][256];  /* comma-separated */
	uint32_t commands;
	uint32_t anomalies;
	uint32_t ext_mask;
	int family;
	uint8_t client[16];
	uint16_t cport, sport;
	uint32_t pkts[2];
	uint64_t bytes[2];
	uint64_t first_ns, last_ns;
	size_t json_len;
};

static struct got recs[MAX_RECS];
static uint32_t nrecs;
static char json[DP_EVE_MAX];

static void on_record(void *ctx, const struct dp_conn_record *r)
{
	const struct dp_flow *f = r->flow;
	const struct dp_smtp_session *s = r->smtp;
	struct got *g;

	(void)ctx;
	if (nrecs >= MAX_RECS) {
		nrecs++;
		return;
	}
	g = &recs[nrecs++];
	memset(g, 0, sizeof(*g));
	snprintf(g->state, sizeof(g->state), "%s", r->state);
	g->anomalies = r->anomalies;
	g->family = f->key.family;
	memcpy(g->client, f->key.addr[f->client_side], 16);
	g->cport = f->key.port[f->client_side];
	g->sport = f->key.port[!f->client_side];
	g->pkts[0] = f->pkts[0];
	g->pkts[1] = f->pkts[1];
	g->bytes[0] = f->bytes[0];
	g->bytes[1] = f->bytes[1];
	g->first_ns = f->first_ns;
	g->last_ns = f->last_ns;
	g->json_len = dp_eve_format(json, sizeof(json), r);
	if (!s)
		return;
	g->has_smtp = 1;
	memcpy(g->helo, s->helo, s->helo_len);
	g->helo_verb = s->helo_verb;
	memcpy(g->banner, s->banner, s->banner_len);
	g->tx_count = s->tx_count;
	g->commands = s->commands;
	g->ext_mask = s->ext_mask;
	for (uint32_t i = 0; i < s->tx_stored && i < MAX_TXS; i++) {
		const struct dp_smtp_tx *t = &s->tx[i];
		size_t o = 0;

		g->has_from[i] = t->has_mail_from;
		snprintf(g->from[i], sizeof(g->from[i]), "%.*s", (int)t->mail_from.len,
			 dp_smtp_str_ptr(s, t->mail_from));
		for (uint32_t k = 0; k < t->rcpt_stored; k++) {
			struct dp_smtp_str a = s->rcpt[t->rcpt_first + k];
			int n = snprintf(g->rcpts[i] + o, sizeof(g->rcpts[i]) - o, "%s%.*s",
					 k ? "," : "", (int)a.len, dp_smtp_str_ptr(s, a));

			if (n > 0)
				o += (size_t)n;
			if (o >= sizeof(g->rcpts[i]))
				break;
		}
	}
}

static const uint16_t smtp_ports[] = { 25, 465, 587, 2525 };

static struct dp_conn_tracker *tracker_conns(const char *name, uint32_t max_flows,
					     uint32_t max_conns, const uint64_t *timeouts)
{
	struct dp_conn_params p = { 0 };
	struct dp_conn_tracker *t;

	check_case = name;
	nrecs = 0;
	npkts = 0;
	memset(recs, 0, sizeof(recs));
	p.max_flows = max_flows;
	p.max_conns = max_conns;
	p.smtp_ports = smtp_ports;
	p.n_smtp_ports = sizeof(smtp_ports) / sizeof(smtp_ports[0]);
	if (timeouts)
		memcpy(p.timeout_ns, timeouts, sizeof(p.timeout_ns));
	p.linktype = DP_LINK_ETHERNET;
	p.on_record = on_record;
	t = dp_conn_tracker_create(&p);
	CHECK(t != NULL);
	return t;
}

static struct dp_conn_tracker *tracker(const char *name, uint32_t max_flows,
				       const uint64_t *timeouts)
{
	return tracker_conns(name, max_flows, 0, timeouts);
}

/* Feed pkts[from, npkts) in bursts of varying size (1..64). */
static void feed(struct dp_conn_tracker *t, uint32_t from)
{
	static const uint32_t sizes[] = { 1, 7, 64, 3, 2, 33 };
	const uint8_t *fr[DP_CONN_BURST_MAX];
	uint32_t lens[DP_CONN_BURST_MAX];
	uint64_t ts[DP_CONN_BURST_MAX];
	uint32_t k = 0;

	for (uint32_t i = from; i < npkts;) {
		uint32_t n = sizes[k++ % 6];

		if (n > npkts - i)
			n = npkts - i;
		for (uint32_t j = 0; j < n; j++) {
			fr[j] = pkts[i + j].b;
			lens[j] = pkts[i + j].len;
			ts[j] = pkts[i + j].ts;
		}
		dp_conn_burst(t, fr, lens, ts, n);
		i += n;
	}
}

/*
 * created == evicted + expired + removed + drained + active; @drained is
 * what the caller knows it drained, checked against the counter.
 */
static void check_accounting(struct dp_conn_tracker *t, uint64_t drained)
{
	const struct dp_flow_stats *fs = dp_conn_flow_stats(t);
	uint64_t ev = 0;

	for (int c = 0; c < DP_FLOW_CLS_COUNT; c++)
		ev += fs->evicted[c];
	const struct dp_syn_stats *hs = dp_conn_syn_stats(t);

	CHECK_EQ_INT(fs->drained, drained);
	CHECK_EQ_INT(fs->created, ev + fs->expired + fs->removed + fs->drained + fs->active);
	CHECK_EQ_INT(hs->added, hs->promoted + hs->evicted + hs->expired + hs->drained + hs->active);
}

/* ---- expectations -------------------------------------------------------- */

struct want {
	const char *state;
	const char *helo;        /* NULL: no HELO */
	const char *from;        /* first tx; NULL: no MAIL */
	const char *rcpts;       /* first tx, comma-separated */
	uint32_t tx_count;
	uint32_t commands;
	uint32_t anomalies;
	uint16_t cport, sport;
	int client_is_c;         /* client address is the conv's client */
};

static void check_rec(const struct got *g, const struct conv *cv, const struct want *w)
{
	CHECK_EQ_STR(g->state, w->state);
	CHECK(g->has_smtp);
	CHECK_EQ_STR(g->helo, w->helo ? w->helo : "");
	CHECK_EQ_INT(g->helo_verb != 0, w->helo != NULL);
	CHECK_EQ_INT(g->tx_count, w->tx_count);
	if (w->tx_count) {
		CHECK_EQ_INT(g->has_from[0], w->from != NULL);
		CHECK_EQ_STR(g->from[0], w->from ? w->from : "");
		CHECK_EQ_STR(g->rcpts[0], w->rcpts ? w->rcpts : "");
	}
	CHECK_EQ_INT(g->commands, w->commands);
	CHECK_EQ_INT(g->anomalies, w->anomalies);
	CHECK_EQ_INT(g->cport, w->cport);
	CHECK_EQ_INT(g->sport, w->sport);
	CHECK_EQ_INT(g->family, cv->family);
	CHECK(memcmp(g->client, cv->addr[w->client_is_c ? C : S], 16) == 0);
	CHECK(g->json_len > 0);
}

static const struct want want_full = {
	"closed", "client.example.org", "alice@example.org",
	"bob@example.net,carol@example.net", 1, 6, 0, 40000, 25, 1,
};

/* ---- cases ------------------------------------------------------------- */

struct sess_case {
	const char *name;
	const struct step *script;
	int family;
	int nvlan;
	uint16_t cport, sport;
	uint32_t mss;
	int reorder;
	int drain;              /* call dp_conn_drain after feeding */
	struct want want;
	uint32_t want_pkts[2];  /* 0,0: not checked */
};

static const struct sess_case sess_cases[] = {
	{ "complete session", full_session, 4, 0, 40000, 25, 1400, 0, 0,
	  { "closed", "client.example.org", "alice@example.org",
	    "bob@example.net,carol@example.net", 1, 6, 0, 40000, 25, 1 }, { 10, 10 } },
	{ "complete session, IPv6", full_session, 6, 0, 40000, 25, 1400, 0, 0,
	  { "closed", "client.example.org", "alice@example.org",
	    "bob@example.net,carol@example.net", 1, 6, 0, 40000, 25, 1 }, { 10, 10 } },
	{ "complete session, one VLAN tag", full_session, 4, 1, 40000, 25, 1400, 0, 0,
	  { "closed", "client.example.org", "alice@example.org",
	    "bob@example.net,carol@example.net", 1, 6, 0, 40000, 25, 1 }, { 10, 10 } },
	{ "complete session, QinQ", full_session, 6, 2, 40000, 25, 1400, 0, 0,
	  { "closed", "client.example.org", "alice@example.org",
	    "bob@example.net,carol@example.net", 1, 6, 0, 40000, 25, 1 }, { 10, 10 } },
	/* Server's packets first, no SYN: the client is the non-SMTP side. */
	{ "midstream, server speaks first", midstream_session, 4, 0, 40000, 25, 1400, 0, 0,
	  { "closed", "client.example.org", "alice@example.org",
	    "bob@example.net,carol@example.net", 1, 6, 0, 40000, 25, 1 }, { 8, 9 } },
	/* Client port below the server's: still the non-SMTP side. */
	{ "midstream, low client port", midstream_session, 6, 0, 1025, 2525, 1400, 0, 0,
	  { "closed", "client.example.org", "alice@example.org",
	    "bob@example.net,carol@example.net", 1, 6, 0, 1025, 2525, 1 }, { 8, 9 } },
	{ "RST", reset_session, 4, 0, 40000, 25, 1400, 0, 0,
	  { "reset", "rst.example", NULL, NULL, 0, 1, 0, 40000, 25, 1 }, { 4, 3 } },
	{ "open at drain", open_session, 4, 0, 40000, 25, 1400, 0, 1,
	  { "open", "open.example", "", "", 1, 2, 0, 40000, 25, 1 }, { 4, 4 } },
	{ "SMTP behind HTTP CONNECT on port 8240", proxied_session, 4, 0, 40000, 8240, 1400, 0, 0,
	  { "closed", "spam.example", "spammer@example.com", "victim@example.net",
	    1, 4, 0, 40000, 8240, 1 }, { 0, 0 } },
	{ "1-byte segments", full_session, 4, 0, 40000, 25, 1, 0, 0,
	  { "closed", "client.example.org", "alice@example.org",
	    "bob@example.net,carol@example.net", 1, 6, 0, 40000, 25, 1 }, { 0, 0 } },
	{ "reversed flights of 7-byte segments", full_session, 4, 0, 40000, 25, 7, 1, 0,
	  { "closed", "client.example.org", "alice@example.org",
	    "bob@example.net,carol@example.net", 1, 6, 0, 40000, 25, 1 }, { 0, 0 } },
	{ "pairwise swapped 3-byte segments", full_session, 6, 1, 40000, 25, 3, 2, 0,
	  { "closed", "client.example.org", "alice@example.org",
	    "bob@example.net,carol@example.net", 1, 6, 0, 40000, 25, 1 }, { 0, 0 } },
	{ "conflicting retransmission", conflict_session, 4, 0, 40000, 25, 1400, 0, 0,
	  { "closed", "client.example.org", "alice@example.org", "bob@example.net",
	    1, 4, MXS_ANOMALY_BIT(REASM_OVERLAP_CONFLICT), 40000, 25, 1 }, { 0, 0 } },
};

static void test_session(const struct sess_case *c)
{
	struct dp_conn_tracker *t = tracker(c->name, 1024, NULL);
	const struct dp_conn_stats *st;
	struct conv cv;

	if (!t)
		return;
	conv_init(&cv, c->family, c->cport, c->sport);
	cv.nvlan = c->nvlan;
	cv.vid[0] = 100;
	cv.vid[1] = 200;
	cv.mss = c->mss;
	cv.reorder = c->reorder;
	run_script(&cv, c->script);
	feed(t, 0);
	if (c->drain)
		dp_conn_drain(t);
	CHECK_EQ_INT(nrecs, 1);
	if (nrecs >= 1) {
		check_rec(&recs[0], &cv, &c->want);
		if (c->want_pkts[0] || c->want_pkts[1]) {
			CHECK_EQ_INT(recs[0].pkts[0], c->want_pkts[0]);
			CHECK_EQ_INT(recs[0].pkts[1], c->want_pkts[1]);
		}
		CHECK_EQ_INT(recs[0].first_ns, pkts[0].ts);
	}
	st = dp_conn_tracker_stats(t);
	CHECK_EQ_INT(st->packets, npkts);
	CHECK_EQ_INT(st->smtp_connections, 1);
	CHECK_EQ_INT(st->non_ip + st->non_tcp + st->fragments + st->malformed, 0);
	CHECK_EQ_INT(dp_conn_flow_stats(t)->created, 1);
	for (unsigned a = 0; a < MXS_ANOMALY_COUNT; a++)
		CHECK_EQ_INT(st->anomalies[a], (c->want.anomalies >> a) & 1);
	check_accounting(t, c->drain ? 1 : 0);
	/* Nothing left to report. */
	dp_conn_drain(t);
	CHECK_EQ_INT(nrecs, 1);
	dp_conn_tracker_free(t);
}

/* Flows that never become records. */
struct quiet_case {
	const char *name;
	const struct step *script;
	uint16_t sport;
	uint32_t want_half_open;
	uint32_t want_flows;     /* a bare SYN stays a handshake, never a flow */
};

static const struct quiet_case quiet_cases[] = {
	{ "bare SYN to port 25", bare_syn, 25, 1, 0 },
	{ "SYN refused with RST", refused_session, 25, 1, 1 },
	{ "bare SYN to port 8080", bare_syn, 8080, 0, 0 },
};

static void test_quiet(const struct quiet_case *c)
{
	struct dp_conn_tracker *t = tracker(c->name, 64, NULL);
	struct conv cv;

	if (!t)
		return;
	conv_init(&cv, 4, 40000, c->sport);
	run_script(&cv, c->script);
	feed(t, 0);
	dp_conn_drain(t);
	CHECK_EQ_INT(nrecs, 0);
	CHECK_EQ_INT(dp_conn_tracker_stats(t)->smtp_connections, 0);
	CHECK_EQ_INT(dp_conn_tracker_stats(t)->half_open_closed, c->want_half_open);
	CHECK_EQ_INT(dp_conn_flow_stats(t)->created, c->want_flows);
	CHECK_EQ_INT(dp_conn_flow_stats(t)->active, 0);
	CHECK_EQ_INT(dp_conn_syn_stats(t)->added, 1);
	CHECK_EQ_INT(dp_conn_syn_stats(t)->promoted, c->want_flows);
	CHECK_EQ_INT(dp_conn_syn_stats(t)->drained, 1 - c->want_flows);
	check_accounting(t, c->want_flows); /* a refused one lingers, closing */
	dp_conn_tracker_free(t);
}

/* Not SMTP on a port that is not SMTP: probed, then given up. */
static void test_http(void)
{
	struct dp_conn_tracker *t = tracker("HTTP on port 8080", 64, NULL);
	const struct dp_conn_stats *st;
	struct conv cv;

	if (!t)
		return;
	conv_init(&cv, 4, 40000, 8080);
	http_session(&cv, DP_CONN_PROBE_BYTES + 1000);
	feed(t, 0);
	dp_conn_drain(t);
	st = dp_conn_tracker_stats(t);
	CHECK_EQ_INT(nrecs, 0);
	CHECK_EQ_INT(st->probe_given_up, 1);
	CHECK_EQ_INT(st->smtp_connections, 0);
	CHECK_EQ_INT(st->half_open_closed, 0);
	CHECK_EQ_INT(st->conn_exhausted, 0);
	dp_conn_tracker_free(t);

	/* Below the probe budget nothing is given up, and still no record. */
	t = tracker("short HTTP on port 8080", 64, NULL);
	if (!t)
		return;
	conv_init(&cv, 6, 40000, 8080);
	http_session(&cv, 2000);
	feed(t, 0);
	dp_conn_drain(t);
	CHECK_EQ_INT(nrecs, 0);
	CHECK_EQ_INT(dp_conn_tracker_stats(t)->probe_given_up, 0);
	CHECK_EQ_INT(dp_conn_tracker_stats(t)->smtp_connections, 0);
	dp_conn_tracker_free(t);
}

/* @n segments with @flags to port 25 of @cv's server from spoofed sources
 * @net.x.y.z, one a microsecond from cv->ts on, fed in full bursts. */
static void spoof(struct dp_conn_tracker *t, struct conv *cv, uint32_t n,
		  uint8_t flags, uint8_t net)
{
	const uint8_t *fr[DP_CONN_BURST_MAX];
	uint32_t lens[DP_CONN_BURST_MAX];
	uint64_t ts[DP_CONN_BURST_MAX];
	static uint8_t frames[DP_CONN_BURST_MAX][128];
	uint32_t k = 0;

	for (uint32_t i = 0; i < n; i++) {
		uint8_t src[16] = { net, (uint8_t)(i >> 16), (uint8_t)(i >> 8), (uint8_t)i };
		struct tcpseg s = {
			.family = 4, .src = src, .dst = cv->addr[S],
			.sport = (uint16_t)(1024 + i % 50000), .dport = 25,
			.seq = i * 7919u, .ack = flags & F_ACK ? i * 31u : 0, .flags = flags,
		};

		lens[k] = tcp_frame(frames[k], &s);
		fr[k] = frames[k];
		ts[k] = cv->ts + i * 1000ull;
		if (++k == DP_CONN_BURST_MAX || i == n - 1) {
			dp_conn_burst(t, fr, lens, ts, k);
			k = 0;
		}
	}
	cv->ts += n * 1000ull;
}

/*
 * In the middle of a session against a 64-flow table: 10,000 spoofed SYNs
 * (the handshake table, 256 here, evicts its oldest) and 10,000 spoofed
 * bare ACKs (each a half-open flow, evicted before the session).
 */
static void test_syn_flood(void)
{
	struct dp_conn_tracker *t = tracker("SYN and ACK flood", 64, NULL);
	const struct dp_flow_stats *fs;
	const struct dp_syn_stats *hs;
	const struct dp_conn_stats *st;
	struct conv cv;

	if (!t)
		return;
	conv_init(&cv, 4, 40000, 25);
	run_script(&cv, flood_first);
	feed(t, 0);
	spoof(t, &cv, 10000, F_SYN, 10);
	spoof(t, &cv, 10000, F_ACK, 11);
	CHECK_EQ_INT(nrecs, 0);
	npkts = 0;
	run_script(&cv, flood_second);
	feed(t, 0);
	CHECK_EQ_INT(nrecs, 1);
	if (nrecs >= 1) {
		struct want w = { "closed", "client.example.org", "alice@example.org",
				  "bob@example.net", 1, 4, 0, 40000, 25, 1 };

		check_rec(&recs[0], &cv, &w);
	}
	fs = dp_conn_flow_stats(t);
	hs = dp_conn_syn_stats(t);
	st = dp_conn_tracker_stats(t);
	CHECK_EQ_INT(fs->evicted[DP_FLOW_CLS_SMTP], 0);
	CHECK_EQ_INT(fs->evicted[DP_FLOW_CLS_OTHER], 0);
	CHECK_EQ_INT(fs->evicted[DP_FLOW_CLS_CLOSING], 0);
	CHECK_EQ_INT(fs->evicted[DP_FLOW_CLS_HALF_OPEN], 10000 - 63);
	CHECK_EQ_INT(fs->created, 10001);
	CHECK_EQ_INT(fs->active, 64);
	CHECK_EQ_INT(hs->added, 1 + 10000);
	CHECK_EQ_INT(hs->promoted, 1);
	CHECK_EQ_INT(hs->evicted, 10000 - 256);
	CHECK_EQ_INT(hs->active, 256);
	CHECK_EQ_INT(hs->active_peak, 256);
	check_accounting(t, 0);
	CHECK_EQ_INT(st->half_open_closed, (10000 - 63) + (10000 - 256));
	CHECK_EQ_INT(st->smtp_connections, 1);
	dp_conn_drain(t);
	CHECK_EQ_INT(nrecs, 1);
	CHECK_EQ_INT(st->half_open_closed, 20000);
	CHECK_EQ_INT(hs->drained, 256);
	dp_conn_tracker_free(t);
}

/*
 * A handshake waits out more spoofed SYNs than the flow table holds (64
 * flows, 256 handshakes): the session keeps its SYN's time and packets.
 * Past the handshake table's capacity it is evicted, and the session is
 * picked up at its ACK.
 */
static void test_handshake_wait(void)
{
	static const struct step syn_synack[] = { SYN_, SYNACK_, END_ };
	static const struct step rest[] = { ACK_(C), DIALOGUE, CLOSE, END_ };
	static const uint32_t flood[] = { 200, 255, 256, 1000 };

	for (unsigned k = 0; k < sizeof(flood) / sizeof(flood[0]); k++) {
		struct dp_conn_tracker *t = tracker("handshake outwaits a SYN flood", 64, NULL);
		int kept = flood[k] < 256;
		uint64_t syn_ts;
		struct conv cv;

		if (!t)
			return;
		conv_init(&cv, 4, 40000, 25);
		run_script(&cv, syn_synack);
		syn_ts = pkts[0].ts;
		feed(t, 0);
		spoof(t, &cv, flood[k], F_SYN, 10);
		npkts = 0;
		run_script(&cv, rest);
		feed(t, 0);
		CHECK_EQ_INT(nrecs, 1);
		if (nrecs >= 1) {
			check_rec(&recs[0], &cv, &want_full);
			CHECK_EQ_INT(recs[0].first_ns, kept ? syn_ts : pkts[0].ts);
			/* SYN, ACK, 7 segments, FIN; SYN+ACK, 8, FIN (the
			 * last ACK comes after the record) */
			CHECK_EQ_INT(recs[0].pkts[0], kept ? 10 : 9);
			CHECK_EQ_INT(recs[0].pkts[1], kept ? 10 : 9);
		}
		CHECK_EQ_INT(dp_conn_syn_stats(t)->promoted, kept);
		CHECK_EQ_INT(dp_conn_syn_stats(t)->evicted, kept ? 0 : 1 + flood[k] - 256);
		CHECK_EQ_INT(dp_conn_flow_stats(t)->created, 1);
		check_accounting(t, 0);
		dp_conn_drain(t);
		dp_conn_tracker_free(t);
	}
}

/* Bare SYNs no one answers leave the handshake table by the half-open
 * timeout (30 s by default), a bounded slice per advance; on an SMTP port
 * each is a half-open connection closed. */
static void test_handshake_expiry(void)
{
	struct dp_conn_tracker *t = tracker("handshakes expire", 1000, NULL);
	const struct dp_syn_stats *hs;
	struct conv cv;

	if (!t)
		return;
	conv_init(&cv, 4, 40000, 25);
	spoof(t, &cv, 1000, F_SYN, 10); /* 1 ms: into a 4,000-entry table */
	hs = dp_conn_syn_stats(t);
	dp_conn_advance(t, cv.ts + 29 * SEC);
	CHECK_EQ_INT(hs->expired, 0);
	CHECK_EQ_INT(hs->active, 1000);
	dp_conn_advance(t, cv.ts + 31 * SEC);
	CHECK(hs->expired > 0 && hs->expired < 1000); /* a slice, not all at once */
	for (int i = 0; i < 8; i++)
		dp_conn_advance(t, cv.ts + 31 * SEC);
	CHECK_EQ_INT(hs->expired, 1000);
	CHECK_EQ_INT(hs->active, 0);
	CHECK_EQ_INT(hs->evicted, 0);
	CHECK_EQ_INT(dp_conn_tracker_stats(t)->half_open_closed, 1000);
	CHECK_EQ_INT(dp_conn_flow_stats(t)->created, 0);
	check_accounting(t, 0);
	dp_conn_tracker_free(t);
}

/* An idle session ends by timeout (custom SMTP timeout 60 s). */
static void test_timeout(void)
{
	static const uint64_t to[DP_FLOW_CLS_COUNT] = { 0, 0, 0, 60 * SEC };
	struct dp_conn_tracker *t = tracker("idle SMTP session times out", 64, to);
	struct conv cv;
	uint64_t last;

	if (!t)
		return;
	conv_init(&cv, 4, 40000, 25);
	run_script(&cv, open_session);
	feed(t, 0);
	last = pkts[npkts - 1].ts;
	dp_conn_advance(t, last + 30 * SEC);
	dp_conn_advance(t, last + 59 * SEC);
	CHECK_EQ_INT(nrecs, 0);
	dp_conn_advance(t, last + 60 * SEC + 1);
	CHECK_EQ_INT(nrecs, 1);
	if (nrecs >= 1) {
		struct want w = { "timeout", "open.example", "", "", 1, 2, 0, 40000, 25, 1 };

		check_rec(&recs[0], &cv, &w);
		CHECK_EQ_INT(recs[0].last_ns, last);
	}
	CHECK_EQ_INT(dp_conn_flow_stats(t)->expired, 1);
	CHECK_EQ_INT(dp_conn_flow_stats(t)->active, 0);
	check_accounting(t, 0);
	dp_conn_drain(t);
	CHECK_EQ_INT(nrecs, 1);
	dp_conn_tracker_free(t);

	/* The default SMTP timeout is longer than a minute. */
	t = tracker("idle SMTP session, default timeout", 64, NULL);
	if (!t)
		return;
	conv_init(&cv, 4, 40000, 25);
	run_script(&cv, open_session);
	feed(t, 0);
	last = pkts[npkts - 1].ts;
	dp_conn_advance(t, last + 61 * SEC);
	CHECK_EQ_INT(nrecs, 0);
	dp_conn_advance(t, last + 3600 * SEC);
	CHECK_EQ_INT(nrecs, 1);
	if (nrecs >= 1)
		CHECK_EQ_STR(recs[0].state, "timeout");
	dp_conn_tracker_free(t);
}

/* A tuple reused after a closed session gives a second record. */
static void test_reuse(void)
{
	struct dp_conn_tracker *t = tracker("tuple reuse", 64, NULL);
	struct conv cv;

	if (!t)
		return;
	conv_init(&cv, 4, 40000, 25);
	run_script(&cv, full_session);
	send_seg(&cv, C, F_ACK, NULL); /* straggler: counted, nothing else */
	cv.next[C] += 100000;
	cv.next[S] = 0x7000;
	run_script(&cv, full_session);
	feed(t, 0);
	CHECK_EQ_INT(nrecs, 2);
	for (uint32_t i = 0; i < nrecs && i < 2; i++) {
		/* The record leaves at the second FIN: the last ACK and the
		 * straggler come after it. */
		check_rec(&recs[i], &cv, &want_full);
		CHECK_EQ_INT(recs[i].pkts[0], 10);
		CHECK_EQ_INT(recs[i].pkts[1], 10);
	}
	if (nrecs >= 2)
		CHECK(recs[1].first_ns > recs[0].last_ns);
	CHECK_EQ_INT(dp_conn_flow_stats(t)->created, 2);
	CHECK_EQ_INT(dp_conn_flow_stats(t)->removed, 1);
	CHECK_EQ_INT(dp_conn_tracker_stats(t)->smtp_connections, 2);
	check_accounting(t, 0);
	dp_conn_drain(t);
	CHECK_EQ_INT(nrecs, 2);
	dp_conn_tracker_free(t);
}

/*
 * Lookups are made for a whole burst before its packets are handled: a
 * flow evicted by an earlier packet of the same burst (its slot then
 * holding another flow) must not receive a later packet meant for it.
 * Capacity 2, bare ACKs (each makes a flow; SYNs would wait as
 * handshakes): burst 1 = A; burst 2 = B, C (evicts A), then A's server,
 * which must make a new flow A (evicting B), not land on C.
 */
static void test_burst_stale(void)
{
	struct dp_conn_tracker *t = tracker("stale lookup within a burst", 2, NULL);
	static const uint8_t srv[16] = { 192, 0, 2, 1 };
	static uint8_t frames[4][128];
	uint8_t cli[3][16] = { { 10, 0, 0, 1 }, { 10, 0, 0, 2 }, { 10, 0, 0, 3 } };
	const uint8_t *fr[4];
	uint32_t lens[4];
	uint64_t ts[4];
	const struct dp_flow_stats *fs;

	if (!t)
		return;
	for (int i = 0; i < 4; i++) {
		int a = i == 3 ? 0 : i; /* A, B, C, then A's server */
		struct tcpseg sg = {
			.family = 4, .src = i == 3 ? srv : cli[a], .dst = i == 3 ? cli[a] : srv,
			.sport = i == 3 ? 25 : 40000, .dport = i == 3 ? 40000 : 25,
			.seq = 1000u * (uint32_t)(i + 1), .ack = i == 3 ? 1001 : 0,
			.flags = F_ACK,
		};

		lens[i] = tcp_frame(frames[i], &sg);
		fr[i] = frames[i];
		ts[i] = 1700000000ull * SEC + (uint64_t)i * 1000;
	}
	dp_conn_burst(t, fr, lens, ts, 1);
	dp_conn_burst(t, fr + 1, lens + 1, ts + 1, 3);
	fs = dp_conn_flow_stats(t);
	CHECK_EQ_INT(fs->created, 4);
	CHECK_EQ_INT(fs->evicted[DP_FLOW_CLS_HALF_OPEN], 2);
	CHECK_EQ_INT(fs->active, 2);
	check_accounting(t, 0);
	dp_conn_drain(t);
	CHECK_EQ_INT(nrecs, 0);
	dp_conn_tracker_free(t);
}

/* Fragments, ARP and UDP are counted and never make a flow. */
static void test_not_tcp(void)
{
	struct dp_conn_tracker *t = tracker("fragments, ARP, UDP", 64, NULL);
	static const uint8_t v4a[4] = { 192, 0, 2, 1 }, v4b[4] = { 192, 0, 2, 2 };
	uint8_t v6a[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
	uint8_t v6b[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 2 };
	const uint8_t *fr[8];
	uint32_t lens[8], n = 0, o;
	uint64_t ts[8];
	static uint8_t b[8][256];
	const struct dp_conn_stats *st;

	if (!t)
		return;
	/* IPv4 first fragment (MF) of a TCP segment to port 25 */
	o = eth(b[n], 0, NULL, 0x0800);
	o += iphdr(b[n] + o, 4, v4a, v4b, 6, 28, 0x2000);
	put16(b[n] + o, 40000);
	put16(b[n] + o + 2, 25);
	memset(b[n] + o + 4, 0, 24);
	lens[n++] = o + 28;
	/* IPv4 later fragment, offset 8 (64 bytes) */
	o = eth(b[n], 1, (const uint16_t[]){ 7 }, 0x0800);
	o += iphdr(b[n] + o, 4, v4a, v4b, 6, 16, 0x0008);
	memset(b[n] + o, 'x', 16);
	lens[n++] = o + 16;
	/* IPv6 with a fragment header (more fragments) */
	o = eth(b[n], 0, NULL, 0x86dd);
	o += iphdr(b[n] + o, 6, v6a, v6b, 44, 8 + 20, 0);
	b[n][o] = 6;          /* next header: TCP */
	b[n][o + 1] = 0;
	put16(b[n] + o + 2, 1); /* offset 0, M = 1 */
	put32(b[n] + o + 4, 0xabcd);
	memset(b[n] + o + 8, 0, 20);
	put16(b[n] + o + 8, 40000);
	put16(b[n] + o + 10, 25);
	lens[n++] = o + 28;
	/* ARP request */
	o = eth(b[n], 0, NULL, 0x0806);
	memset(b[n] + o, 0, 28);
	put16(b[n] + o, 1);
	put16(b[n] + o + 2, 0x0800);
	b[n][o + 4] = 6;
	b[n][o + 5] = 4;
	put16(b[n] + o + 6, 1);
	lens[n++] = o + 28;
	/* UDP over IPv4 (DNS) and over IPv6 */
	o = eth(b[n], 0, NULL, 0x0800);
	o += iphdr(b[n] + o, 4, v4a, v4b, 17, 8 + 12, 0);
	put16(b[n] + o, 5353);
	put16(b[n] + o + 2, 53);
	put16(b[n] + o + 4, 20);
	memset(b[n] + o + 6, 0, 14);
	lens[n++] = o + 20;
	o = eth(b[n], 2, (const uint16_t[]){ 1, 2 }, 0x86dd);
	o += iphdr(b[n] + o, 6, v6a, v6b, 17, 8, 0);
	put16(b[n] + o, 5353);
	put16(b[n] + o + 2, 25);
	put16(b[n] + o + 4, 8);
	put16(b[n] + o + 6, 0);
	lens[n++] = o + 8;
	for (uint32_t i = 0; i < n; i++) {
		fr[i] = b[i];
		ts[i] = TS_BASE + i;
		CHECK_EQ_INT(dp_conn_steer(b[i], lens[i], DP_LINK_ETHERNET), 0);
	}
	dp_conn_burst(t, fr, lens, ts, n);
	st = dp_conn_tracker_stats(t);
	CHECK_EQ_INT(st->packets, 6);
	CHECK_EQ_INT(st->fragments, 3);
	CHECK_EQ_INT(st->non_ip, 1);
	CHECK_EQ_INT(st->non_tcp, 2);
	CHECK_EQ_INT(st->malformed, 0);
	CHECK_EQ_INT(dp_conn_flow_stats(t)->created, 0);
	dp_conn_drain(t);
	CHECK_EQ_INT(nrecs, 0);
	dp_conn_tracker_free(t);
}

/* A full handshake then RST, no payload: a record without SMTP state. */
static const struct step connect_scan[] = { HANDSHAKE, RST_(C), END_ };

static void test_connect_only(void)
{
	struct dp_conn_tracker *t = tracker("handshake then RST", 64, NULL);
	struct conv cv;

	if (!t)
		return;
	conv_init(&cv, 4, 40000, 587);
	run_script(&cv, connect_scan);
	feed(t, 0);
	CHECK_EQ_INT(nrecs, 1);
	if (nrecs >= 1) {
		CHECK_EQ_STR(recs[0].state, "reset");
		CHECK_EQ_INT(recs[0].has_smtp, 0);
		CHECK_EQ_INT(recs[0].anomalies, 0);
		CHECK_EQ_INT(recs[0].sport, 587);
		CHECK_EQ_INT(recs[0].cport, 40000);
		CHECK(recs[0].json_len > 0);
	}
	CHECK_EQ_INT(dp_conn_tracker_stats(t)->half_open_closed, 0);
	dp_conn_tracker_free(t);
}

/*
 * Sessions interleaved packet by packet (A, B, C). With two flows, the
 * first session is evicted when the third arrives (state "evicted"); with
 * one parser slot, the second session is reported without SMTP state.
 */
static void interleave(struct conv *cv, uint32_t n, const struct step *script)
{
	static struct pkt tmp[3][64];
	uint32_t cnt[3] = { 0 }, most = 0;

	for (uint32_t i = 0; i < n; i++) {
		npkts = 0;
		run_script(&cv[i], script);
		cnt[i] = npkts < 64 ? npkts : 64;
		memcpy(tmp[i], pkts, cnt[i] * sizeof(struct pkt));
		if (cnt[i] > most)
			most = cnt[i];
	}
	npkts = 0;
	for (uint32_t k = 0; k < most; k++)
		for (uint32_t i = 0; i < n; i++)
			if (k < cnt[i])
				pkts[npkts++] = tmp[i][k];
}

static void test_limits(void)
{
	struct dp_conn_tracker *t = tracker("SMTP session evicted", 2, NULL);
	struct conv cv[3];

	if (!t)
		return;
	for (uint32_t i = 0; i < 3; i++) {
		conv_init(&cv[i], 4, (uint16_t)(40000 + i), 25);
		cv[i].ts += i * 1000;
	}
	interleave(cv, 2, open_session);
	feed(t, 0);
	CHECK_EQ_INT(nrecs, 0);
	npkts = 0;
	run_script(&cv[2], open_session);
	feed(t, 0);
	CHECK_EQ_INT(nrecs, 1);
	if (nrecs >= 1) {
		struct want w = { "evicted", "open.example", "", "", 1, 2, 0, 40000, 25, 1 };

		check_rec(&recs[0], &cv[0], &w);
	}
	CHECK_EQ_INT(dp_conn_flow_stats(t)->evicted[DP_FLOW_CLS_SMTP], 1);
	check_accounting(t, 0);
	dp_conn_drain(t);
	CHECK_EQ_INT(nrecs, 3);
	for (uint32_t i = 1; i < nrecs && i < 3; i++)
		CHECK_EQ_STR(recs[i].state, "open");
	dp_conn_tracker_free(t);

	t = tracker_conns("parser pool exhausted", 64, 1, NULL);
	if (!t)
		return;
	for (uint32_t i = 0; i < 2; i++)
		conv_init(&cv[i], 4, (uint16_t)(40000 + i), 25);
	interleave(cv, 2, full_session);
	feed(t, 0);
	CHECK_EQ_INT(nrecs, 2);
	CHECK_EQ_INT(dp_conn_tracker_stats(t)->conn_exhausted, 1);
	if (nrecs >= 2) {
		check_rec(&recs[0], &cv[0], &want_full);
		CHECK_EQ_STR(recs[1].state, "closed");
		CHECK_EQ_INT(recs[1].has_smtp, 0);
		CHECK_EQ_INT(recs[1].cport, 40001);
	}
	dp_conn_tracker_free(t);
}

/* Both directions steer alike; create rejects bad params; free(NULL). */
static void test_misc(void)
{
	struct dp_conn_params p = { 0 };
	struct dp_conn_tracker *t;
	struct conv cv;
	uint32_t h0, h1;

	check_case = "steer is symmetric";
	npkts = 0;
	conv_init(&cv, 6, 40000, 25);
	cv.nvlan = 1;
	cv.vid[0] = 5;
	send_seg(&cv, C, F_SYN, NULL);
	send_seg(&cv, S, F_SYN | F_ACK, NULL);
	h0 = dp_conn_steer(pkts[0].b, pkts[0].len, DP_LINK_ETHERNET);
	h1 = dp_conn_steer(pkts[1].b, pkts[1].len, DP_LINK_ETHERNET);
	CHECK(h0 != 0);
	CHECK_EQ_INT(h0, h1);

	check_case = "create: bad params";
	p.max_flows = 16;
	CHECK(dp_conn_tracker_create(&p) == NULL); /* no on_record */
	p.on_record = on_record;
	p.max_flows = 0;
	CHECK(dp_conn_tracker_create(&p) == NULL);
	CHECK(dp_conn_tracker_create(NULL) == NULL);
	dp_conn_tracker_free(NULL);
	p.max_flows = 16;
	t = dp_conn_tracker_create(&p);
	CHECK(t != NULL);
	if (t) {
		CHECK(dp_conn_tracker_memory(t) > 0);
		dp_conn_drain(t);
		dp_conn_tracker_free(t);
	}
}

int main(void)
{
	for (size_t i = 0; i < sizeof(sess_cases) / sizeof(sess_cases[0]); i++)
		test_session(&sess_cases[i]);
	for (size_t i = 0; i < sizeof(quiet_cases) / sizeof(quiet_cases[0]); i++)
		test_quiet(&quiet_cases[i]);
	test_http();
	test_syn_flood();
	test_handshake_wait();
	test_handshake_expiry();
	test_timeout();
	test_reuse();
	test_burst_stale();
	test_not_tcp();
	test_connect_only();
	test_limits();
	test_misc();
	CHECK_DONE();
}
