/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dp_eve: NDJSON record formatting (see dp_eve.h). Runs once per finished
 * connection, never per packet, but on the worker: at tens of thousands of
 * connections a second stdio's printf and strftime were half of a worker's
 * time, so numbers and times are written by hand (same bytes).
 */
#include <arpa/inet.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#if defined(__SSE2__)
#include <immintrin.h>
#endif

#include <mxscreen/field.h>
#include <mxscreen/verdict.h>

#include "dp_eve.h"

struct out {
	char *p;
	size_t len;
	size_t cap;
	int full;
};

/* Inlined: puts_() of a literal then costs no strlen. */
static inline __attribute__((always_inline)) void put(struct out *o, const char *s, size_t n)
{
	if (o->full || o->len + n > o->cap) {
		o->full = 1;
		return;
	}
	memcpy(o->p + o->len, s, n);
	o->len += n;
}

static inline __attribute__((always_inline)) void puts_(struct out *o, const char *s)
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

/* Decimal digits of @v, no sign, no padding. */
static void put_u64(struct out *o, uint64_t v)
{
	char tmp[20];
	size_t i = sizeof(tmp);

	do {
		tmp[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	put(o, tmp + i, sizeof(tmp) - i);
}

static void put_i64(struct out *o, int64_t v)
{
	if (v < 0) {
		put(o, "-", 1);
		put_u64(o, (uint64_t)0 - (uint64_t)v);
	} else {
		put_u64(o, (uint64_t)v);
	}
}

/* Bytes JSON strings carry as they are: printable ASCII but '"' and '\'. */
static inline int plain(unsigned char c)
{
	return c >= 0x20 && c < 0x7f && c != '"' && c != '\\';
}

/* Length of the run of plain bytes at @s (at most @n), 16 at a time. */
static size_t plain_run(const unsigned char *s, size_t n)
{
	size_t i = 0;

#if defined(__SSE2__)
	const __m128i lo = _mm_set1_epi8(0x1f), del = _mm_set1_epi8(0x7f);
	const __m128i quote = _mm_set1_epi8('"'), bslash = _mm_set1_epi8('\\');

	for (; i + 16 <= n; i += 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
		/* Signed: bytes >= 0x80 are negative, so "> 0x1f" also
		 * rules out everything but ASCII from 0x20 up. */
		__m128i ok = _mm_cmpgt_epi8(v, lo);
		__m128i bad = _mm_or_si128(_mm_cmpeq_epi8(v, del),
					   _mm_or_si128(_mm_cmpeq_epi8(v, quote),
							_mm_cmpeq_epi8(v, bslash)));
		unsigned m = (unsigned)_mm_movemask_epi8(_mm_andnot_si128(bad, ok));

		if (m != 0xffff)
			return i + (size_t)__builtin_ctz(~m);
	}
#endif
	while (i < n && plain(s[i]))
		i++;
	return i;
}

static void put_str(struct out *o, const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;

	/* Most values need no escape: quoted and copied in one go. */
	if (!o->full && o->len + n + 2 <= o->cap && plain_run(s, n) == n) {
		o->p[o->len] = '"';
		memcpy(o->p + o->len + 1, str, n);
		o->p[o->len + n + 1] = '"';
		o->len += n + 2;
		return;
	}
	put(o, "\"", 1);
	for (size_t i = 0; i < n;) {
		unsigned char c = s[i];
		size_t u;

		if (c == '"' || c == '\\') {
			char e[2] = { '\\', (char)c };
			put(o, e, 2);
			i++;
		} else if (c >= 0x20 && c < 0x7f) {
			size_t j = i + 1 + plain_run(s + i + 1, n - i - 1);

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

/* A name of ours (extension, anomaly, state): plain ASCII, no escapes. */
static void put_name(struct out *o, const char *name)
{
	size_t n = strlen(name);

	put(o, "\"", 1);
	put(o, name, n);
	put(o, "\"", 1);
}

/* A quoted timestamp: "YYYY-MM-DDTHH:MM:SS.uuuuuuZ". */
#define TIME_LEN 29u

/* @n as exactly @w digits (zero-padded) at @p. */
static void digits(char *p, uint64_t n, int w)
{
	while (w--) {
		p[w] = (char)('0' + n % 10);
		n /= 10;
	}
}

/* "YYYY-MM-DDTHH:MM:SS.uuuuuuZ" in quotes, UTC, as gmtime_r + strftime
 * "%Y-%m-%dT%H:%M:%S" gave (uint64_t ns never leaves years 1970-2554, so
 * the year is always four digits). Civil date from days since the epoch:
 * H. Hinnant's days_from_civil inverse. */
static void put_time(struct out *o, uint64_t ns)
{
	uint64_t sec = ns / 1000000000ull, days = sec / 86400, sod = sec % 86400;
	uint64_t z = days + 719468, era = z / 146097, doe = z - era * 146097;
	uint64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	uint64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100), mp = (5 * doy + 2) / 153;
	uint64_t d = doy - (153 * mp + 2) / 5 + 1, m = mp < 10 ? mp + 3 : mp - 9;
	uint64_t y = yoe + era * 400 + (m <= 2);
	char t[] = "\"0000-00-00T00:00:00.000000Z\"";

	digits(t + 1, y, 4);
	digits(t + 6, m, 2);
	digits(t + 9, d, 2);
	digits(t + 12, sod / 3600, 2);
	digits(t + 15, sod / 60 % 60, 2);
	digits(t + 18, sod % 60, 2);
	digits(t + 21, (ns % 1000000000ull) / 1000, 6);
	_Static_assert(sizeof(t) - 1 == TIME_LEN, "timestamp length");
	put(o, t, TIME_LEN);
}

static void put_addr(struct out *o, const struct dp_flow *f, int side)
{
	char tmp[INET6_ADDRSTRLEN];
	const uint8_t *a = f->key.addr[side];

	if (f->key.family == 4) {
		/* Dotted quad: what inet_ntop writes, without its cost. */
		size_t n = 0;

		for (int i = 0; i < 4; i++) {
			if (i)
				tmp[n++] = '.';
			if (a[i] >= 100)
				tmp[n++] = (char)('0' + a[i] / 100);
			if (a[i] >= 10)
				tmp[n++] = (char)('0' + a[i] / 10 % 10);
			tmp[n++] = (char)('0' + a[i] % 10);
		}
		put(o, "\"", 1);
		put(o, tmp, n);
		put(o, "\"", 1);
		return;
	}
	inet_ntop(AF_INET6, a, tmp, sizeof(tmp));
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
	puts_(o, "],\"rcpt_count\":");
	put_u64(o, tx->rcpt_count);
	puts_(o, ",\"rcpt_rejected\":");
	put_u64(o, tx->rcpt_rejected);
	puts_(o, tx->data ? ",\"data\":true,\"last_reply\":" : ",\"data\":false,\"last_reply\":");
	if (tx->last_reply)
		put_u64(o, tx->last_reply);
	else
		puts_(o, "null");
	if (tx->truncated || tx->rcpt_stored < tx->rcpt_count)
		puts_(o, ",\"truncated\":true");
	put(o, "}", 1);
}

static void put_hits(struct out *o, const struct dp_conn_hits *h)
{
	puts_(o, ",\"rule_hits\":[");
	for (uint32_t i = 0; h && i < h->n; i++) {
		puts_(o, i ? ",{\"id\":" : "{\"id\":");
		put_u64(o, h->hit[i].id);
		puts_(o, ",\"field\":\"");
		puts_(o, mxs_field_name(h->hit[i].field));
		puts_(o, "\",\"score\":");
		put_i64(o, h->hit[i].score);
		put(o, "}", 1);
	}
	puts_(o, "],\"rule_score\":");
	put_i64(o, h ? h->score : 0);
	if (h && h->dropped) {
		puts_(o, ",\"rule_hits_dropped\":");
		put_u64(o, h->dropped);
	}
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
		put_name(o, dp_smtp_ext_name(e));
	}
	puts_(o, "],\"transactions\":[");
	for (uint32_t i = 0; s && i < s->tx_stored; i++) {
		if (i)
			put(o, ",", 1);
		put_tx(o, s, &s->tx[i]);
	}
	put(o, "]", 1);
	if (s && s->tx_count > s->tx_stored) {
		puts_(o, ",\"transactions_total\":");
		put_u64(o, s->tx_count);
	}
	puts_(o, s && s->tls ? ",\"tls\":true,\"auth\":" : ",\"tls\":false,\"auth\":");
	if (s && s->auth[0])
		put_str(o, s->auth, strlen(s->auth));
	else
		puts_(o, "null");
	puts_(o, ",\"commands\":");
	put_u64(o, s ? s->commands : 0);
	puts_(o, ",\"anomalies\":[");
	first = 1;
	for (unsigned a = 0; a < MXS_ANOMALY_COUNT; a++) {
		if (!(anomalies & (1u << a)))
			continue;
		if (!first)
			put(o, ",", 1);
		first = 0;
		put_name(o, mxs_anomaly_name(a));
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

	size_t ts;

	puts_(&o, "{\"timestamp\":");
	ts = o.len;
	put_time(&o, f->first_ns);
	puts_(&o, ",\"event_type\":\"smtp\",\"src_ip\":");
	put_addr(&o, f, c);
	puts_(&o, ",\"src_port\":");
	put_u64(&o, f->key.port[c]);
	puts_(&o, ",\"dest_ip\":");
	put_addr(&o, f, srv);
	puts_(&o, ",\"dest_port\":");
	put_u64(&o, f->key.port[srv]);
	put(&o, ",", 1);
	put_smtp(&o, r->smtp, r->anomalies, r->hits);
	if (r->verdict)
		put_verdict(&o, r->verdict);
	puts_(&o, ",\"flow\":{\"pkts_toserver\":");
	put_u64(&o, f->pkts[0]);
	puts_(&o, ",\"pkts_toclient\":");
	put_u64(&o, f->pkts[1]);
	puts_(&o, ",\"bytes_toserver\":");
	put_u64(&o, f->bytes[0]);
	puts_(&o, ",\"bytes_toclient\":");
	put_u64(&o, f->bytes[1]);
	puts_(&o, ",\"start\":");
	if (o.full) /* the timestamp is written once, copied here */
		return 0;
	put(&o, o.p + ts, TIME_LEN);
	puts_(&o, ",\"end\":");
	put_time(&o, f->last_ns);
	puts_(&o, ",\"state\":");
	put_name(&o, r->state);
	puts_(&o, "}}\n");
	return o.full ? 0 : o.len;
}
