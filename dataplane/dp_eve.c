/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dp_eve: NDJSON record formatting (see dp_eve.h). Runs once per finished
 * connection, never per packet.
 */
#include <arpa/inet.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <mxscreen/field.h>
#include <mxscreen/verdict.h>

#include "dp_eve.h"

struct out {
	char *p;
	size_t len;
	size_t cap;
	int full;
};

static void put(struct out *o, const char *s, size_t n)
{
	if (o->full || o->len + n > o->cap) {
		o->full = 1;
		return;
	}
	memcpy(o->p + o->len, s, n);
	o->len += n;
}

static void puts_(struct out *o, const char *s)
{
	put(o, s, strlen(s));
}

__attribute__((format(printf, 2, 3)))
static void putf(struct out *o, const char *fmt, ...)
{
	char tmp[128];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		o->full = 1;
		return;
	}
	put(o, tmp, (size_t)n);
}

/* Length of a valid UTF-8 sequence at s (max n bytes), 0 if invalid. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	size_t len;
	uint32_t cp;

	if (s[0] < 0xc2 || s[0] > 0xf4)
		return 0;
	len = s[0] < 0xe0 ? 2 : s[0] < 0xf0 ? 3 : 4;
	if (len > n)
		return 0;
	cp = s[0] & (0x7f >> len);
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

static void put_str(struct out *o, const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;

	put(o, "\"", 1);
	for (size_t i = 0; i < n;) {
		unsigned char c = s[i];
		size_t u;

		if (c == '"' || c == '\\') {
			char e[2] = { '\\', (char)c };
			put(o, e, 2);
			i++;
		} else if (c >= 0x20 && c < 0x7f) {
			size_t j = i;

			while (j < n && s[j] >= 0x20 && s[j] < 0x7f && s[j] != '"' && s[j] != '\\')
				j++;
			put(o, str + i, j - i);
			i = j;
		} else if (c >= 0x80 && (u = utf8_len(s + i, n - i))) {
			put(o, str + i, u);
			i += u;
		} else {
			putf(o, "\\u%04x", c);
			i++;
		}
	}
	put(o, "\"", 1);
}

static void put_time(struct out *o, uint64_t ns)
{
	time_t sec = (time_t)(ns / 1000000000ull);
	struct tm tm;
	char tmp[40];

	gmtime_r(&sec, &tm);
	strftime(tmp, sizeof(tmp), "%Y-%m-%dT%H:%M:%S", &tm);
	putf(o, "\"%s.%06" PRIu64 "Z\"", tmp, (uint64_t)((ns % 1000000000ull) / 1000));
}

static void put_addr(struct out *o, const struct dp_flow *f, int side)
{
	char tmp[INET6_ADDRSTRLEN];

	inet_ntop(f->key.family == 4 ? AF_INET : AF_INET6, f->key.addr[side], tmp, sizeof(tmp));
	put_str(o, tmp, strlen(tmp));
}

static void put_tx(struct out *o, const struct dp_smtp_session *s,
		   const struct dp_smtp_tx *tx)
{
	puts_(o, "{\"mail_from\":");
	if (tx->has_mail_from)
		put_str(o, dp_smtp_str_ptr(s, tx->mail_from), tx->mail_from.len);
	else
		puts_(o, "null");
	puts_(o, ",\"rcpt_to\":[");
	for (uint32_t i = 0; i < tx->rcpt_stored; i++) {
		struct dp_smtp_str r = s->rcpt[tx->rcpt_first + i];

		if (i)
			put(o, ",", 1);
		put_str(o, dp_smtp_str_ptr(s, r), r.len);
	}
	putf(o, "],\"rcpt_count\":%" PRIu32 ",\"rcpt_rejected\":%" PRIu32
	     ",\"data\":%s,\"last_reply\":", tx->rcpt_count, tx->rcpt_rejected,
	     tx->data ? "true" : "false");
	if (tx->last_reply)
		putf(o, "%u", tx->last_reply);
	else
		puts_(o, "null");
	if (tx->truncated || tx->rcpt_stored < tx->rcpt_count)
		puts_(o, ",\"truncated\":true");
	put(o, "}", 1);
}

static void put_hits(struct out *o, const struct dp_conn_hits *h)
{
	puts_(o, ",\"rule_hits\":[");
	for (uint32_t i = 0; h && i < h->n; i++)
		putf(o, "%s{\"id\":%" PRIu32 ",\"field\":\"%s\",\"score\":%" PRId32 "}",
		     i ? "," : "", h->hit[i].id, mxs_field_name(h->hit[i].field), h->hit[i].score);
	putf(o, "],\"rule_score\":%" PRId32, h ? h->score : 0);
	if (h && h->dropped)
		putf(o, ",\"rule_hits_dropped\":%u", h->dropped);
}

static void put_verdict(struct out *o, const struct dp_conn_verdict *v)
{
	int first = 1;

	putf(o, ",\"verdict\":{\"action\":\"%s\",\"score\":%" PRId32 ",\"reasons\":[",
	     mxs_action_name(v->action), v->score);
	for (unsigned i = 0; i < MXS_REASON_COUNT; i++) {
		if (!(v->reasons & (1u << i)))
			continue;
		putf(o, "%s\"%s\"", first ? "" : ",", mxs_reason_name(i));
		first = 0;
	}
	putf(o, "],\"shadow\":%s", v->shadow ? "true" : "false");
	if (v->shadow)
		putf(o, ",\"would_be\":\"%s\"", mxs_action_name(v->would_be));
	put(o, "}", 1);
}

static void put_smtp(struct out *o, const struct dp_smtp_session *s, uint32_t anomalies,
		     const struct dp_conn_hits *hits)
{
	int first = 1;

	puts_(o, "\"smtp\":{\"helo\":");
	if (s && s->helo_verb) {
		put_str(o, s->helo, s->helo_len);
		puts_(o, s->helo_verb == 2 ? ",\"helo_verb\":\"EHLO\"" : ",\"helo_verb\":\"HELO\"");
	} else {
		puts_(o, "null,\"helo_verb\":null");
	}
	puts_(o, ",\"banner\":");
	if (s && s->banner_len)
		put_str(o, s->banner, s->banner_len);
	else
		puts_(o, "null");
	puts_(o, ",\"extensions\":[");
	for (unsigned e = 0; s && e < DP_SMTP_EXT_COUNT; e++) {
		if (!(s->ext_mask & (1u << e)))
			continue;
		if (!first)
			put(o, ",", 1);
		first = 0;
		put_str(o, dp_smtp_ext_name(e), strlen(dp_smtp_ext_name(e)));
	}
	puts_(o, "],\"transactions\":[");
	for (uint32_t i = 0; s && i < s->tx_stored; i++) {
		if (i)
			put(o, ",", 1);
		put_tx(o, s, &s->tx[i]);
	}
	put(o, "]", 1);
	if (s && s->tx_count > s->tx_stored)
		putf(o, ",\"transactions_total\":%" PRIu32, s->tx_count);
	putf(o, ",\"tls\":%s,\"auth\":", s && s->tls ? "true" : "false");
	if (s && s->auth[0])
		put_str(o, s->auth, strlen(s->auth));
	else
		puts_(o, "null");
	putf(o, ",\"commands\":%" PRIu32 ",\"anomalies\":[", s ? s->commands : 0);
	first = 1;
	for (unsigned a = 0; a < MXS_ANOMALY_COUNT; a++) {
		if (!(anomalies & (1u << a)))
			continue;
		if (!first)
			put(o, ",", 1);
		first = 0;
		put_str(o, mxs_anomaly_name(a), strlen(mxs_anomaly_name(a)));
	}
	put(o, "]", 1);
	put_hits(o, hits);
	put(o, "}", 1);
}

size_t dp_eve_format(char *buf, size_t cap, const struct dp_conn_record *r)
{
	const struct dp_flow *f = r->flow;
	int c = f->client_side, srv = !c;
	struct out o = { buf, 0, cap, 0 };

	puts_(&o, "{\"timestamp\":");
	put_time(&o, f->first_ns);
	puts_(&o, ",\"event_type\":\"smtp\",\"src_ip\":");
	put_addr(&o, f, c);
	putf(&o, ",\"src_port\":%u,\"dest_ip\":", f->key.port[c]);
	put_addr(&o, f, srv);
	putf(&o, ",\"dest_port\":%u,", f->key.port[srv]);
	put_smtp(&o, r->smtp, r->anomalies, r->hits);
	if (r->verdict)
		put_verdict(&o, r->verdict);
	/* One counter a call: putf's scratch buffer is small. */
	putf(&o, ",\"flow\":{\"pkts_toserver\":%" PRIu32, f->pkts[0]);
	putf(&o, ",\"pkts_toclient\":%" PRIu32, f->pkts[1]);
	putf(&o, ",\"bytes_toserver\":%" PRIu64, f->bytes[0]);
	putf(&o, ",\"bytes_toclient\":%" PRIu64, f->bytes[1]);
	puts_(&o, ",\"start\":");
	put_time(&o, f->first_ns);
	puts_(&o, ",\"end\":");
	put_time(&o, f->last_ns);
	puts_(&o, ",\"state\":");
	put_str(&o, r->state, strlen(r->state));
	puts_(&o, "}}\n");
	return o.full ? 0 : o.len;
}
