/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * gen_truth: expected-record accumulator and NDJSON writer (see gen_truth.h).
 * The generator's dialogues stay far below these bounds; exceeding one is
 * a generator bug and makes gen_truth_write fail rather than lie.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <mxscreen/anomaly.h>

#include "gen_truth.h"

#define MAX_TX 64u
#define MAX_RCPT 2048u
#define ARENA (96u << 10)
#define MAX_EXT 32u
#define OUT_CAP (256u << 10)

struct str {
	uint32_t off;
	uint32_t len;
};

struct tx {
	struct str mail_from;
	uint32_t rcpt_first;
	uint32_t rcpt_n;
	uint32_t rejected;
	int last_reply;
	int data;
};

struct gen_truth {
	struct gen_truth_conn c;
	uint8_t client[16];
	uint8_t server[16];
	int overflow;
	int helo_verb;          /* 0 none, 1 HELO, 2 EHLO */
	struct str helo;
	struct str banner;
	struct str auth;
	const char *state;
	int tls;
	uint32_t commands;
	uint32_t anomalies;
	uint32_t n_ext;
	const char *ext[MAX_EXT];
	uint32_t n_tx;
	struct tx tx[MAX_TX];
	uint32_t n_rcpt;
	struct str rcpt[MAX_RCPT];
	uint32_t used;
	char arena[ARENA];
	char out[OUT_CAP];      /* the line being written */
};

/* EHLO keywords a record can name (README: "extensions"). */
static const char *const vocabulary[] = {
	"PIPELINING", "SIZE", "8BITMIME", "STARTTLS", "AUTH", "CHUNKING",
	"BINARYMIME", "SMTPUTF8", "DSN", "ENHANCEDSTATUSCODES", "ETRN",
	"DELIVERBY", "HELP", "VRFY", "XCLIENT", "XFORWARD", "REQUIRETLS",
	"MTRK", "NO-SOLICITING", "PIPE_CONNECT", "LIMITS", "XEXCH50",
};

struct gen_truth *gen_truth_create(void)
{
	return calloc(1, sizeof(struct gen_truth));
}

void gen_truth_free(struct gen_truth *t)
{
	free(t);
}

static struct str keep(struct gen_truth *t, const char *p, size_t n)
{
	struct str s = { 0, 0 };

	if (n > ARENA - t->used) {
		t->overflow = 1;
		return s;
	}
	memcpy(t->arena + t->used, p, n);
	s.off = t->used;
	s.len = (uint32_t)n;
	t->used += (uint32_t)n;
	return s;
}

void gen_truth_begin(struct gen_truth *t, const struct gen_truth_conn *c)
{
	size_t alen = c->family == 4 ? 4 : 16;

	t->c = *c;
	memset(t->client, 0, sizeof(t->client));
	memset(t->server, 0, sizeof(t->server));
	memcpy(t->client, c->client, alen);
	memcpy(t->server, c->server, alen);
	t->c.client = t->client;
	t->c.server = t->server;
	t->overflow = 0;
	t->helo_verb = 0;
	t->helo = t->banner = t->auth = (struct str){ 0, 0 };
	t->state = "closed";
	t->tls = 0;
	t->commands = 0;
	t->anomalies = 0;
	t->n_ext = 0;
	t->n_tx = 0;
	t->n_rcpt = 0;
	t->used = 0;
}

void gen_truth_banner(struct gen_truth *t, const char *line, size_t n)
{
	if (!t->banner.len)
		t->banner = keep(t, line, n);
}

void gen_truth_helo(struct gen_truth *t, int ehlo, const char *arg, size_t n)
{
	t->helo = keep(t, arg, n);
	t->helo_verb = ehlo ? 2 : 1;
}

void gen_truth_ext(struct gen_truth *t, const char *line)
{
	size_t w = strcspn(line, " =");

	for (size_t i = 0; i < sizeof(vocabulary) / sizeof(vocabulary[0]); i++) {
		if (strlen(vocabulary[i]) != w || strncasecmp(line, vocabulary[i], w) != 0)
			continue;
		for (uint32_t j = 0; j < t->n_ext; j++)
			if (t->ext[j] == vocabulary[i])
				return;
		if (t->n_ext < MAX_EXT)
			t->ext[t->n_ext++] = vocabulary[i];
		return;
	}
}

void gen_truth_command(struct gen_truth *t)
{
	t->commands++;
}

void gen_truth_anomaly(struct gen_truth *t, unsigned anomaly)
{
	t->anomalies |= 1u << anomaly;
}

void gen_truth_auth(struct gen_truth *t, const char *mech)
{
	t->auth = keep(t, mech, strlen(mech));
}

void gen_truth_tls(struct gen_truth *t)
{
	t->tls = 1;
}

void gen_truth_state(struct gen_truth *t, const char *state)
{
	t->state = state;
}

int gen_truth_mail(struct gen_truth *t, const char *addr, size_t n)
{
	struct tx *x;

	if (t->n_tx >= MAX_TX) {
		t->overflow = 1;
		return -1;
	}
	x = &t->tx[t->n_tx];
	memset(x, 0, sizeof(*x));
	x->mail_from = keep(t, addr, n);
	x->rcpt_first = t->n_rcpt;
	return (int)t->n_tx++;
}

void gen_truth_rcpt(struct gen_truth *t, int tx, const char *addr, size_t n)
{
	/* Recipients of a transaction are contiguous: only the newest takes more. */
	if (tx < 0 || (uint32_t)tx + 1 != t->n_tx || t->n_rcpt >= MAX_RCPT) {
		t->overflow = 1;
		return;
	}
	t->rcpt[t->n_rcpt++] = keep(t, addr, n);
	t->tx[tx].rcpt_n++;
}

void gen_truth_reply(struct gen_truth *t, int tx, int code, int rcpt)
{
	if (tx < 0 || (uint32_t)tx >= t->n_tx)
		return;
	t->tx[tx].last_reply = code;
	if (rcpt && code >= 400)
		t->tx[tx].rejected++;
}

void gen_truth_data(struct gen_truth *t, int tx)
{
	if (tx >= 0 && (uint32_t)tx < t->n_tx)
		t->tx[tx].data = 1;
}

/* ---- output: one line composed in memory, one fwrite ---- */

struct out {
	char *p;
	size_t n;
	int full;
};

static void o_put(struct out *o, const char *s, size_t n)
{
	if (o->full || n > OUT_CAP - o->n) {
		o->full = 1;
		return;
	}
	memcpy(o->p + o->n, s, n);
	o->n += n;
}

static void o_s(struct out *o, const char *s)
{
	o_put(o, s, strlen(s));
}

static void o_u(struct out *o, uint64_t v)
{
	char t[24];
	int i = 24;

	do
		t[--i] = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	o_put(o, t + i, (size_t)(24 - i));
}

static void o_json(struct out *o, const char *p, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t i = 0, run;

	o_put(o, "\"", 1);
	while (i < n) {
		unsigned char c = 0;

		for (run = i; run < n; run++) {
			c = (unsigned char)p[run];
			if (c == '"' || c == '\\' || c < 0x20 || c >= 0x7f)
				break;
		}
		o_put(o, p + i, run - i);
		if (run == n)
			break;
		if (c == '"' || c == '\\') {
			char e[2] = { '\\', (char)c };

			o_put(o, e, 2);
		} else {
			char e[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };

			o_put(o, e, 6);
		}
		i = run + 1;
	}
	o_put(o, "\"", 1);
}

static void o_str(struct out *o, const struct gen_truth *t, struct str s)
{
	o_json(o, t->arena + s.off, s.len);
}

static void o_addr(struct out *o, int family, const uint8_t *a)
{
	char tmp[INET6_ADDRSTRLEN];

	if (family == 4) { /* dotted quad, without inet_ntop's sprintf */
		o_put(o, "\"", 1);
		for (int i = 0; i < 4; i++) {
			if (i)
				o_put(o, ".", 1);
			o_u(o, a[i]);
		}
		o_put(o, "\"", 1);
		return;
	}
	inet_ntop(AF_INET6, a, tmp, sizeof(tmp));
	o_json(o, tmp, strlen(tmp));
}

/* Civil date of day @z since 1970-01-01 (Howard Hinnant's algorithm). */
static void civil(int64_t z, int *ret_y, unsigned *ret_m, unsigned *ret_d)
{
	int64_t era, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	yoe = z - era * 146097;
	yoe = (yoe - yoe / 1460 + yoe / 36524 - yoe / 146096) / 365;
	doy = z - era * 146097 - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*ret_d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
	*ret_m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
	*ret_y = (int)(yoe + era * 400 + (*ret_m <= 2));
}

/* Fixed-width decimal: @w digits of @v. */
static void o_dec(struct out *o, uint64_t v, int w)
{
	char t[20];

	for (int i = w - 1; i >= 0; i--, v /= 10)
		t[i] = (char)('0' + v % 10);
	o_put(o, t, (size_t)w);
}

/* "YYYY-MM-DDTHH:MM:SS.uuuuuuZ", as the dataplane writes timestamps. */
static void o_time(struct out *o, uint64_t us)
{
	uint64_t sec = us / 1000000u, sod = sec % 86400u;
	unsigned m, d;
	int y;

	civil((int64_t)(sec / 86400u), &y, &m, &d);
	o_put(o, "\"", 1);
	o_dec(o, (uint64_t)y, 4);
	o_put(o, "-", 1);
	o_dec(o, m, 2);
	o_put(o, "-", 1);
	o_dec(o, d, 2);
	o_put(o, "T", 1);
	o_dec(o, sod / 3600, 2);
	o_put(o, ":", 1);
	o_dec(o, sod / 60 % 60, 2);
	o_put(o, ":", 1);
	o_dec(o, sod % 60, 2);
	o_put(o, ".", 1);
	o_dec(o, us % 1000000u, 6);
	o_put(o, "Z\"", 2);
}

static void o_tx(struct out *o, const struct gen_truth *t, const struct tx *x)
{
	o_s(o, "{\"mail_from\":");
	o_str(o, t, x->mail_from);
	o_s(o, ",\"rcpt_to\":[");
	for (uint32_t i = 0; i < x->rcpt_n; i++) {
		if (i)
			o_put(o, ",", 1);
		o_str(o, t, t->rcpt[x->rcpt_first + i]);
	}
	o_s(o, "],\"rcpt_count\":");
	o_u(o, x->rcpt_n);
	o_s(o, ",\"rcpt_rejected\":");
	o_u(o, x->rejected);
	o_s(o, x->data ? ",\"data\":true,\"last_reply\":" : ",\"data\":false,\"last_reply\":");
	if (x->last_reply)
		o_u(o, (uint64_t)x->last_reply);
	else
		o_s(o, "null");
	o_put(o, "}", 1);
}

int gen_truth_write(struct gen_truth *t, FILE *f)
{
	struct out o = { t->out, 0, 0 };

	if (t->overflow)
		return -ENOSPC;
	o_s(&o, "{\"timestamp\":");
	o_time(&o, t->c.ts_us);
	o_s(&o, ",\"event_type\":\"smtp\",\"src_ip\":");
	o_addr(&o, t->c.family, t->client);
	o_s(&o, ",\"src_port\":");
	o_u(&o, t->c.client_port);
	o_s(&o, ",\"dest_ip\":");
	o_addr(&o, t->c.family, t->server);
	o_s(&o, ",\"dest_port\":");
	o_u(&o, t->c.server_port);
	o_s(&o, ",\"kind\":");
	o_json(&o, t->c.kind, strlen(t->c.kind));
	o_s(&o, ",\"smtp\":{\"helo\":");
	if (t->helo_verb) {
		o_str(&o, t, t->helo);
		o_s(&o, t->helo_verb == 2 ? ",\"helo_verb\":\"EHLO\"" : ",\"helo_verb\":\"HELO\"");
	} else {
		o_s(&o, "null,\"helo_verb\":null");
	}
	o_s(&o, ",\"banner\":");
	if (t->banner.len)
		o_str(&o, t, t->banner);
	else
		o_s(&o, "null");
	o_s(&o, ",\"extensions\":[");
	for (uint32_t i = 0; i < t->n_ext; i++) {
		if (i)
			o_put(&o, ",", 1);
		o_json(&o, t->ext[i], strlen(t->ext[i]));
	}
	o_s(&o, "],\"transactions\":[");
	for (uint32_t i = 0; i < t->n_tx; i++) {
		if (i)
			o_put(&o, ",", 1);
		o_tx(&o, t, &t->tx[i]);
	}
	o_s(&o, "],\"transactions_total\":");
	o_u(&o, t->n_tx);
	o_s(&o, t->tls ? ",\"tls\":true,\"auth\":" : ",\"tls\":false,\"auth\":");
	if (t->auth.len)
		o_str(&o, t, t->auth);
	else
		o_s(&o, "null");
	o_s(&o, ",\"commands\":");
	o_u(&o, t->commands);
	o_s(&o, ",\"anomalies\":[");
	for (unsigned a = 0, first = 1; a < MXS_ANOMALY_COUNT; a++) {
		if (!(t->anomalies & (1u << a)))
			continue;
		if (!first)
			o_put(&o, ",", 1);
		o_json(&o, mxs_anomaly_name(a), strlen(mxs_anomaly_name(a)));
		first = 0;
	}
	o_s(&o, "]},\"flow\":{\"state\":");
	o_json(&o, t->state, strlen(t->state));
	o_s(&o, "}}\n");
	if (o.full)
		return -ENOSPC;
	if (fwrite(o.p, 1, o.n, f) != o.n)
		return -EIO;
	return 0;
}
