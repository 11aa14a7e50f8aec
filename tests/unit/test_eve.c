/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit test for dp_eve: records built by hand (a dp_flow and a
 * dp_smtp_session filled field by field) must format to exact NDJSON
 * lines: full IPv4 and IPv6 records, no SMTP state, null sender versus no
 * MAIL, string escaping (quotes, backslash, control bytes, invalid UTF-8 as
 * \u00XX, valid multi-byte UTF-8 passed through), client/server sides,
 * timestamps, the truncation markers, and too-small buffers. Every line is
 * also run through a small strict JSON + UTF-8 checker. Single-threaded.
 */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <mxscreen/anomaly.h>

#include "check.h"
#include <mxscreen/field.h>

#include "dp_eve.h"

#define TS0 1254722767529046000ull /* 2009-10-05T06:06:07.529046Z */

/* ---- a strict little JSON checker ------------------------------------ */

struct js {
	const unsigned char *p;
	const unsigned char *end;
	int depth;
};

static int js_value(struct js *j);

static void js_ws(struct js *j)
{
	while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\r' || *j->p == '\n'))
		j->p++;
}

static int js_lit(struct js *j, const char *lit)
{
	size_t n = strlen(lit);

	if ((size_t)(j->end - j->p) < n || memcmp(j->p, lit, n) != 0)
		return 0;
	j->p += n;
	return 1;
}

static int js_hex(int c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* Valid UTF-8 sequence length at p (RFC 3629), 0 if invalid. */
static size_t js_utf8(const unsigned char *p, const unsigned char *end)
{
	size_t len, i;
	uint32_t cp;

	if (p[0] < 0x80)
		return 1;
	if (p[0] < 0xc2 || p[0] > 0xf4)
		return 0;
	len = p[0] < 0xe0 ? 2 : p[0] < 0xf0 ? 3 : 4;
	if ((size_t)(end - p) < len)
		return 0;
	cp = p[0] & (0x7fu >> len);
	for (i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3fu);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

static int js_string(struct js *j)
{
	if (j->p >= j->end || *j->p != '"')
		return 0;
	j->p++;
	while (j->p < j->end && *j->p != '"') {
		if (*j->p < 0x20)
			return 0; /* raw control characters are not allowed */
		if (*j->p == '\\') {
			j->p++;
			if (j->p >= j->end)
				return 0;
			if (*j->p == 'u') {
				if (j->end - j->p < 5 || !js_hex(j->p[1]) || !js_hex(j->p[2]) ||
				    !js_hex(j->p[3]) || !js_hex(j->p[4]))
					return 0;
				j->p += 5;
			} else if (strchr("\"\\/bfnrt", *j->p) && *j->p) {
				j->p++;
			} else {
				return 0;
			}
		} else {
			size_t n = js_utf8(j->p, j->end);

			if (!n)
				return 0;
			j->p += n;
		}
	}
	if (j->p >= j->end)
		return 0;
	j->p++;
	return 1;
}

static int js_number(struct js *j)
{
	const unsigned char *s = j->p;

	if (j->p < j->end && *j->p == '-')
		j->p++;
	if (j->p >= j->end || *j->p < '0' || *j->p > '9')
		return 0;
	if (*j->p == '0')
		j->p++;
	else
		while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
			j->p++;
	if (j->p < j->end && *j->p == '.') {
		j->p++;
		if (j->p >= j->end || *j->p < '0' || *j->p > '9')
			return 0;
		while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
			j->p++;
	}
	return j->p > s;
}

static int js_container(struct js *j, int obj)
{
	char close = obj ? '}' : ']';

	if (++j->depth > 32)
		return 0;
	j->p++;
	js_ws(j);
	if (j->p < j->end && *j->p == close) {
		j->p++;
		j->depth--;
		return 1;
	}
	for (;;) {
		js_ws(j);
		if (obj) {
			if (!js_string(j))
				return 0;
			js_ws(j);
			if (j->p >= j->end || *j->p != ':')
				return 0;
			j->p++;
		}
		if (!js_value(j))
			return 0;
		js_ws(j);
		if (j->p >= j->end)
			return 0;
		if (*j->p == ',') {
			j->p++;
			continue;
		}
		if (*j->p != close)
			return 0;
		j->p++;
		j->depth--;
		return 1;
	}
}

static int js_value(struct js *j)
{
	js_ws(j);
	if (j->p >= j->end)
		return 0;
	switch (*j->p) {
	case '{':
		return js_container(j, 1);
	case '[':
		return js_container(j, 0);
	case '"':
		return js_string(j);
	case 't':
		return js_lit(j, "true");
	case 'f':
		return js_lit(j, "false");
	case 'n':
		return js_lit(j, "null");
	default:
		return js_number(j);
	}
}

/* One NDJSON line: a single JSON object, then exactly one '\n'. */
static int valid_line(const char *buf, size_t n)
{
	struct js j = { (const unsigned char *)buf, (const unsigned char *)buf + n, 0 };

	if (n < 3 || buf[n - 1] != '\n' || memchr(buf, '\n', n - 1) || buf[0] != '{')
		return 0;
	j.end--;
	if (!js_value(&j))
		return 0;
	return j.p == j.end;
}

/* ---- record builders --------------------------------------------------- */

static struct dp_flow flow;
static struct dp_smtp_session sess;
static struct dp_conn_record rec;

static void ip4(uint8_t *a, uint8_t b0, uint8_t b1, uint8_t b2, uint8_t b3)
{
	memset(a, 0, 16);
	a[0] = b0;
	a[1] = b1;
	a[2] = b2;
	a[3] = b3;
}

/* 2001:db8::@last (last < 256). */
static void ip6(uint8_t *a, uint8_t last)
{
	static const uint8_t pfx[4] = { 0x20, 0x01, 0x0d, 0xb8 };

	memset(a, 0, 16);
	memcpy(a, pfx, 4);
	a[15] = last;
}

/* 192.0.2.10:49152 (side 0, the client) -> 198.51.100.25:25 (side 1). */
static void base_flow(void)
{
	memset(&flow, 0, sizeof(flow));
	flow.key.family = 4;
	ip4(flow.key.addr[0], 192, 0, 2, 10);
	ip4(flow.key.addr[1], 198, 51, 100, 25);
	flow.key.port[0] = 49152;
	flow.key.port[1] = 25;
	flow.client_side = 0;
	flow.first_ns = TS0;
	flow.last_ns = TS0 + 2500000999ull; /* ns below the microsecond drop */
	flow.pkts[0] = 12;
	flow.pkts[1] = 10;
	flow.bytes[0] = 1500;
	flow.bytes[1] = 2000;
	flow.cls = DP_FLOW_CLS_CLOSING;
	memset(&rec, 0, sizeof(rec));
	rec.flow = &flow;
	rec.smtp = NULL;
	rec.state = "closed";
}

static void base_sess(void)
{
	struct dp_smtp_init_params ip = { .on_smtp_port = 1, .handshake_seen = 1 };

	dp_smtp_init(&sess, &ip);
	rec.smtp = &sess;
}

static struct dp_smtp_str arena_add(const char *p, size_t n)
{
	struct dp_smtp_str s = { sess.arena_used, (uint16_t)n };

	memcpy(sess.arena + sess.arena_used, p, n);
	sess.arena_used = (uint16_t)(sess.arena_used + n);
	return s;
}

static void set_helo(int verb, const char *p, size_t n)
{
	memcpy(sess.helo, p, n);
	sess.helo[n] = '\0';
	sess.helo_len = (uint16_t)n;
	sess.helo_verb = (uint8_t)verb;
}

static void set_banner(const char *p, size_t n)
{
	memcpy(sess.banner, p, n);
	sess.banner[n] = '\0';
	sess.banner_len = (uint16_t)n;
}

/* Append a stored transaction; @from NULL: no MAIL. */
static struct dp_smtp_tx *add_tx(const char *from, const char *const *rcpts,
				 uint32_t n)
{
	struct dp_smtp_tx *t = &sess.tx[sess.tx_stored++];

	memset(t, 0, sizeof(*t));
	sess.tx_count++;
	if (from) {
		t->has_mail_from = 1;
		t->mail_from = arena_add(from, strlen(from));
	}
	t->rcpt_first = sess.rcpt_used;
	for (uint32_t i = 0; i < n; i++) {
		sess.rcpt[sess.rcpt_used++] = arena_add(rcpts[i], strlen(rcpts[i]));
		t->rcpt_stored++;
	}
	t->rcpt_count = n;
	return t;
}

#define HELO_STR(v, s) set_helo(v, s, sizeof(s) - 1)
#define BANNER_STR(s) set_banner(s, sizeof(s) - 1)
#define EXT(e) (1u << DP_SMTP_EXT_##e)

static void build_full_v4(void)
{
	static const char *const rcpts[] = { "bob@example.net", "carol@example.net" };
	struct dp_smtp_tx *t;

	base_flow();
	base_sess();
	HELO_STR(2, "client.example.org");
	BANNER_STR("220 mx.example.net ESMTP Postfix");
	sess.ext_mask = EXT(PIPELINING) | EXT(STARTTLS) | EXT(8BITMIME);
	t = add_tx("alice@example.org", rcpts, 2);
	t->data = 1;
	t->last_reply = 250;
	memcpy(sess.auth, "PLAIN", 6);
	sess.commands = 7;
	rec.anomalies = MXS_ANOMALY_BIT(PREGREET) | MXS_ANOMALY_BIT(REASM_GAP);
}

static void build_ipv6(void)
{
	static const char *const rcpts[] = { "postmaster@example.net" };
	struct dp_smtp_tx *t;

	base_flow();
	flow.key.family = 6;
	ip6(flow.key.addr[0], 0x01);
	ip6(flow.key.addr[1], 0x25);
	flow.key.port[0] = 2525;
	flow.key.port[1] = 587;
	base_sess();
	HELO_STR(1, "[IPv6:2001:db8::1]");
	BANNER_STR("220 mx6.example.net");
	t = add_tx("", rcpts, 1);
	t->last_reply = 550;
	t->rcpt_rejected = 1;
	sess.tls = 1;
	sess.ext_mask = EXT(NO_SOLICITING) | EXT(SIZE) | EXT(XEXCH50);
	sess.commands = 3;
	rec.state = "open";
}

static void build_null_smtp(void)
{
	base_flow();
	rec.state = "reset";
}

static void build_empty_smtp(void)
{
	base_flow();
	base_sess();
	rec.state = "evicted";
}

/* Client on side 1: src must be the client, dest the server. */
static void build_client_side1(void)
{
	base_flow();
	ip4(flow.key.addr[0], 198, 51, 100, 25);
	ip4(flow.key.addr[1], 203, 0, 113, 7);
	flow.key.port[0] = 25;
	flow.key.port[1] = 40000;
	flow.client_side = 1;
	flow.pkts[0] = 3;
	flow.pkts[1] = 4;
	flow.bytes[0] = 30;
	flow.bytes[1] = 40;
	flow.first_ns = 0;
	flow.last_ns = 4102444799999999999ull; /* 2099-12-31T23:59:59.999999999 */
	rec.state = "timeout";
}

/* Null sender in the first transaction, RCPT without MAIL in the second. */
static void build_null_sender(void)
{
	static const char *const r1[] = { "a@example.net" };
	static const char *const r2[] = { "b@example.net" };
	struct dp_smtp_tx *t;

	base_flow();
	base_sess();
	HELO_STR(1, "h");
	t = add_tx("", r1, 1);
	t->last_reply = 250;
	add_tx(NULL, r2, 1);
	sess.commands = 4;
}

static void build_escapes(void)
{
	/* quote, backslash, C0 controls, DEL, invalid and valid UTF-8 */
	static const char helo[] = "a\"b\\c\x01\t\r\n\x7f\xff|\xc3\xa9|\xe2\x82\xac|"
				   "\xf0\x9f\x98\x80|\xc0\x80|\xed\xa0\x80|"
				   "\xf4\x90\x80\x80|\xe0\x80\x80|\xc3|\xe2\x82";
	static const char from[] = "\"odd\\\"local\"@ex\x00mple.org";
	static const char rcpt[] = "\xfe\xff@\xce\xb1\xce\xb2.example";
	struct dp_smtp_str r;
	struct dp_smtp_tx *t;

	base_flow();
	base_sess();
	set_helo(2, helo, sizeof(helo) - 1);
	BANNER_STR("220 \x80\x1b[0m \"mx\"");
	t = add_tx(NULL, NULL, 0);
	t->has_mail_from = 1;
	t->mail_from = arena_add(from, sizeof(from) - 1);
	r = arena_add(rcpt, sizeof(rcpt) - 1);
	sess.rcpt[sess.rcpt_used++] = r;
	t->rcpt_stored = 1;
	t->rcpt_count = 1;
	memcpy(sess.auth, "X\"\\", 4);
}

static void build_truncated(void)
{
	static const char *const rcpts[] = { "r1@example.net", "r2@example.net" };
	struct dp_smtp_tx *t;

	base_flow();
	base_sess();
	HELO_STR(2, "many.example");
	/* 10 transactions started, 2 stored; 2 of 5 recipients stored. */
	t = add_tx("s@example.org", rcpts, 2);
	t->rcpt_count = 5;
	t = add_tx("s2@example.org", NULL, 0);
	t->truncated = 1; /* a string did not fit, counts equal */
	sess.tx_count = 10;
	sess.commands = 40;
	rec.anomalies = (1u << MXS_ANOMALY_COUNT) - 1;
}

/* Rule hits: each with its field, the sum, and the count of rules that
 * matched beyond the stored ones. */
static struct dp_conn_hits hits;

static void build_hits(void)
{
	base_flow();
	rec.smtp = &sess;
	dp_smtp_init(&sess, NULL);
	memset(&hits, 0, sizeof(hits));
	hits.n = 2;
	hits.hit[0].id = 1001;
	hits.hit[0].score = 3;
	hits.hit[0].field = MXS_FIELD_HELO;
	hits.hit[1].id = 1500;
	hits.hit[1].score = -2;
	hits.hit[1].field = MXS_FIELD_RCPT_TO;
	hits.score = 1;
	hits.dropped = 4;
	rec.hits = &hits;
}

/* A long bulk flow: 41 digits of counters in the "flow" object. */
static void build_big_counters(void)
{
	base_flow();
	flow.pkts[0] = 150000000;
	flow.pkts[1] = 90000000;
	flow.bytes[0] = 200000000000ull;
	flow.bytes[1] = 120000000000ull;
}

struct eve_case {
	const char *name;
	void (*build)(void);
	const char *want;
};

#define HEAD_V4 "{\"timestamp\":\"2009-10-05T06:06:07.529046Z\",\"event_type\":\"smtp\"," \
	"\"src_ip\":\"192.0.2.10\",\"src_port\":49152,\"dest_ip\":\"198.51.100.25\",\"dest_port\":25,"
#define FLOW_V4(state) ",\"flow\":{\"pkts_toserver\":12,\"pkts_toclient\":10," \
	"\"bytes_toserver\":1500,\"bytes_toclient\":2000," \
	"\"start\":\"2009-10-05T06:06:07.529046Z\",\"end\":\"2009-10-05T06:06:10.029046Z\"," \
	"\"state\":\"" state "\"}}\n"
#define SMTP_EMPTY "\"smtp\":{\"helo\":null,\"helo_verb\":null,\"banner\":null," \
	"\"extensions\":[],\"transactions\":[],\"tls\":false,\"auth\":null," \
	"\"commands\":0,\"anomalies\":[],\"rule_hits\":[],\"rule_score\":0}"

static const struct eve_case cases[] = {
	{ "full record, IPv4", build_full_v4,
	  HEAD_V4
	  "\"smtp\":{\"helo\":\"client.example.org\",\"helo_verb\":\"EHLO\","
	  "\"banner\":\"220 mx.example.net ESMTP Postfix\","
	  "\"extensions\":[\"PIPELINING\",\"8BITMIME\",\"STARTTLS\"],"
	  "\"transactions\":[{\"mail_from\":\"alice@example.org\","
	  "\"rcpt_to\":[\"bob@example.net\",\"carol@example.net\"],"
	  "\"rcpt_count\":2,\"rcpt_rejected\":0,\"data\":true,\"last_reply\":250}],"
	  "\"tls\":false,\"auth\":\"PLAIN\",\"commands\":7,"
	  "\"anomalies\":[\"pregreet\",\"reasm_gap\"],\"rule_hits\":[],\"rule_score\":0}"
	  FLOW_V4("closed") },
	{ "IPv6 record", build_ipv6,
	  "{\"timestamp\":\"2009-10-05T06:06:07.529046Z\",\"event_type\":\"smtp\","
	  "\"src_ip\":\"2001:db8::1\",\"src_port\":2525,\"dest_ip\":\"2001:db8::25\",\"dest_port\":587,"
	  "\"smtp\":{\"helo\":\"[IPv6:2001:db8::1]\",\"helo_verb\":\"HELO\","
	  "\"banner\":\"220 mx6.example.net\","
	  "\"extensions\":[\"SIZE\",\"NO-SOLICITING\",\"XEXCH50\"],"
	  "\"transactions\":[{\"mail_from\":\"\",\"rcpt_to\":[\"postmaster@example.net\"],"
	  "\"rcpt_count\":1,\"rcpt_rejected\":1,\"data\":false,\"last_reply\":550}],"
	  "\"tls\":true,\"auth\":null,\"commands\":3,\"anomalies\":[],\"rule_hits\":[],\"rule_score\":0}"
	  FLOW_V4("open") },
	{ "no smtp state", build_null_smtp,
	  HEAD_V4 SMTP_EMPTY FLOW_V4("reset") },
	{ "fresh smtp state", build_empty_smtp,
	  HEAD_V4 SMTP_EMPTY FLOW_V4("evicted") },
	{ "client on side 1, time edges", build_client_side1,
	  "{\"timestamp\":\"1970-01-01T00:00:00.000000Z\",\"event_type\":\"smtp\","
	  "\"src_ip\":\"203.0.113.7\",\"src_port\":40000,\"dest_ip\":\"198.51.100.25\",\"dest_port\":25,"
	  SMTP_EMPTY
	  ",\"flow\":{\"pkts_toserver\":3,\"pkts_toclient\":4,"
	  "\"bytes_toserver\":30,\"bytes_toclient\":40,"
	  "\"start\":\"1970-01-01T00:00:00.000000Z\",\"end\":\"2099-12-31T23:59:59.999999Z\","
	  "\"state\":\"timeout\"}}\n" },
	{ "null sender vs no MAIL", build_null_sender,
	  HEAD_V4
	  "\"smtp\":{\"helo\":\"h\",\"helo_verb\":\"HELO\",\"banner\":null,\"extensions\":[],"
	  "\"transactions\":[{\"mail_from\":\"\",\"rcpt_to\":[\"a@example.net\"],"
	  "\"rcpt_count\":1,\"rcpt_rejected\":0,\"data\":false,\"last_reply\":250},"
	  "{\"mail_from\":null,\"rcpt_to\":[\"b@example.net\"],"
	  "\"rcpt_count\":1,\"rcpt_rejected\":0,\"data\":false,\"last_reply\":null}],"
	  "\"tls\":false,\"auth\":null,\"commands\":4,\"anomalies\":[],\"rule_hits\":[],\"rule_score\":0}"
	  FLOW_V4("closed") },
	{ "escaping", build_escapes,
	  HEAD_V4
	  "\"smtp\":{\"helo\":\"a\\\"b\\\\c\\u0001\\u0009\\u000d\\u000a\\u007f\\u00ff|"
	  "\xc3\xa9|\xe2\x82\xac|\xf0\x9f\x98\x80|\\u00c0\\u0080|\\u00ed\\u00a0\\u0080|"
	  "\\u00f4\\u0090\\u0080\\u0080|\\u00e0\\u0080\\u0080|\\u00c3|\\u00e2\\u0082\","
	  "\"helo_verb\":\"EHLO\","
	  "\"banner\":\"220 \\u0080\\u001b[0m \\\"mx\\\"\",\"extensions\":[],"
	  "\"transactions\":[{\"mail_from\":\"\\\"odd\\\\\\\"local\\\"@ex\\u0000mple.org\","
	  "\"rcpt_to\":[\"\\u00fe\\u00ff@\xce\xb1\xce\xb2.example\"],"
	  "\"rcpt_count\":1,\"rcpt_rejected\":0,\"data\":false,\"last_reply\":null}],"
	  "\"tls\":false,\"auth\":\"X\\\"\\\\\",\"commands\":0,\"anomalies\":[],\"rule_hits\":[],\"rule_score\":0}"
	  FLOW_V4("closed") },
	{ "truncated and transactions_total", build_truncated,
	  HEAD_V4
	  "\"smtp\":{\"helo\":\"many.example\",\"helo_verb\":\"EHLO\",\"banner\":null,"
	  "\"extensions\":[],"
	  "\"transactions\":[{\"mail_from\":\"s@example.org\","
	  "\"rcpt_to\":[\"r1@example.net\",\"r2@example.net\"],"
	  "\"rcpt_count\":5,\"rcpt_rejected\":0,\"data\":false,\"last_reply\":null,"
	  "\"truncated\":true},"
	  "{\"mail_from\":\"s2@example.org\",\"rcpt_to\":[],"
	  "\"rcpt_count\":0,\"rcpt_rejected\":0,\"data\":false,\"last_reply\":null,"
	  "\"truncated\":true}],"
	  "\"transactions_total\":10,"
	  "\"tls\":false,\"auth\":null,\"commands\":40,"
	  "\"anomalies\":[\"pregreet\",\"pipelining_violation\",\"non_smtp_command\","
	  "\"bare_lf\",\"nul_byte\",\"long_line\",\"unknown_command\","
	  "\"starttls_injection\",\"bdat_invalid\",\"reasm_overlap_conflict\","
	  "\"reasm_gap\"],\"rule_hits\":[],\"rule_score\":0}"
	  FLOW_V4("closed") },
	/* Regression: the flow counters once shared one small format buffer
	 * and a ~200 GB flow lost its whole record. */
	{ "rule hits", build_hits,
	  HEAD_V4
	  "\"smtp\":{\"helo\":null,\"helo_verb\":null,\"banner\":null,"
	  "\"extensions\":[],\"transactions\":[],\"tls\":false,\"auth\":null,"
	  "\"commands\":0,\"anomalies\":[],"
	  "\"rule_hits\":[{\"id\":1001,\"field\":\"helo\",\"score\":3},"
	  "{\"id\":1500,\"field\":\"rcpt_to\",\"score\":-2}],"
	  "\"rule_score\":1,\"rule_hits_dropped\":4}"
	  FLOW_V4("closed") },
	{ "big counters", build_big_counters,
	  HEAD_V4 SMTP_EMPTY
	  ",\"flow\":{\"pkts_toserver\":150000000,\"pkts_toclient\":90000000,"
	  "\"bytes_toserver\":200000000000,\"bytes_toclient\":120000000000,"
	  "\"start\":\"2009-10-05T06:06:07.529046Z\",\"end\":\"2009-10-05T06:06:10.029046Z\","
	  "\"state\":\"closed\"}}\n" },
};

static char buf[DP_EVE_MAX + 64];

/* Every capacity below the length gives 0 and writes nothing past it. */
static void check_small_buffers(size_t len)
{
	uint32_t bad_ret = 0, bad_write = 0;

	for (size_t cap = 0; cap < len; cap++) {
		size_t n;

		memset(buf, 0xa5, len + 16);
		n = dp_eve_format(buf, cap, &rec);
		if (n != 0)
			bad_ret++;
		for (size_t i = cap; i < len + 16; i++)
			if ((unsigned char)buf[i] != 0xa5) {
				bad_write++;
				break;
			}
	}
	CHECK_EQ_INT(bad_ret, 0);
	CHECK_EQ_INT(bad_write, 0);
	memset(buf, 0xa5, len + 16);
	CHECK_EQ_INT(dp_eve_format(buf, len, &rec), len);
	CHECK_EQ_INT((unsigned char)buf[len], 0xa5); /* no NUL added */
}

static void test_case(const struct eve_case *c)
{
	size_t n, want = strlen(c->want);

	check_case = c->name;
	c->build();
	memset(buf, 0, sizeof(buf));
	n = dp_eve_format(buf, sizeof(buf), &rec);
	CHECK_EQ_INT(n, want);
	buf[n < sizeof(buf) ? n : sizeof(buf) - 1] = '\0';
	CHECK_EQ_STR(buf, c->want);
	CHECK(valid_line(buf, n));
	CHECK(valid_line(c->want, want)); /* the expectation itself is JSON */
	if (n)
		check_small_buffers(n);
}

/* Biggest record the parser can produce, every byte escaped six-fold:
 * it must fit DP_EVE_MAX and still be valid. */
static void test_worst_case(void)
{
	size_t n;

	check_case = "worst case fits DP_EVE_MAX";
	base_flow();
	flow.key.family = 6;
	memset(flow.key.addr[0], 0xff, 16);
	memset(flow.key.addr[1], 0xfe, 16);
	flow.key.port[0] = flow.key.port[1] = 65535;
	/* Counters stay short here: big ones are the "big counters" case. */
	flow.pkts[0] = flow.pkts[1] = 99999;
	flow.bytes[0] = flow.bytes[1] = 9999999999ull;
	base_sess();
	memset(sess.helo, 0xff, DP_SMTP_HELO_MAX);
	sess.helo_len = DP_SMTP_HELO_MAX;
	sess.helo_verb = 2;
	memset(sess.banner, 0x01, DP_SMTP_BANNER_MAX);
	sess.banner_len = DP_SMTP_BANNER_MAX;
	memset(sess.auth, 0xff, DP_SMTP_AUTH_MAX);
	sess.ext_mask = (1u << DP_SMTP_EXT_COUNT) - 1;
	memset(sess.arena, 0xc0, DP_SMTP_ARENA);
	sess.arena_used = DP_SMTP_ARENA;
	/* 8 tx, 4 recipients each, all sharing the arena in 64-byte strings */
	for (uint32_t i = 0; i < DP_SMTP_MAX_TX; i++) {
		struct dp_smtp_tx *t = &sess.tx[i];

		memset(t, 0, sizeof(*t));
		t->has_mail_from = 1;
		t->mail_from = (struct dp_smtp_str){ (uint16_t)(i * 256), 64 };
		t->rcpt_first = (uint16_t)(i * 4);
		t->rcpt_stored = 4;
		t->rcpt_count = UINT32_MAX;
		t->rcpt_rejected = UINT32_MAX;
		t->last_reply = 554;
		t->data = 1;
		t->truncated = 1;
		for (uint32_t r = 0; r < 4; r++)
			sess.rcpt[i * 4 + r] = (struct dp_smtp_str){
				(uint16_t)(i * 256 + 64 + r * 48), 48 };
	}
	sess.tx_stored = DP_SMTP_MAX_TX;
	sess.rcpt_used = DP_SMTP_MAX_RCPT;
	sess.tx_count = UINT32_MAX;
	sess.commands = UINT32_MAX;
	sess.tls = 1;
	rec.anomalies = UINT32_MAX;
	rec.state = "timeout";
	n = dp_eve_format(buf, sizeof(buf), &rec);
	CHECK(n > 0);
	CHECK(n <= DP_EVE_MAX);
	CHECK(valid_line(buf, n));
	n = dp_eve_format(buf, DP_EVE_MAX, &rec);
	CHECK(n > 0);
}

/* The checker itself must reject what it is there to catch. */
static void test_checker(void)
{
	static const char *const bad[] = {
		"{\"a\":\"\x01\"}\n", "{\"a\":\"\xff\"}\n", "{\"a\":1,}\n",
		"{\"a\":\"\\x\"}\n", "{\"a\":tru}\n", "{\"a\":1}", "{\"a\":1}\n\n",
		"{\"a\":\"\xed\xa0\x80\"}\n", "{\"a\":[1 2]}\n",
	};

	check_case = "json checker";
	static const char good[] = "{\"a\":[1,true,null,-0.5,\"\\u00ff\xc3\xa9\"],\"b\":{}}\n";

	CHECK(valid_line(good, sizeof(good) - 1));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK(!valid_line(bad[i], strlen(bad[i])));
}

/* Timestamps and IPv4 addresses are written by hand: they must be what
 * gmtime_r + strftime and inet_ntop write, over the whole uint64_t ns
 * range (leap days, century years, the last representable instant). */
static void test_times_addrs(void)
{
	static const uint64_t edges[] = {
		0, 999, 86399999999999ull, 951782400ull * 1000000000ull /* 2000-02-29 */,
		4107456000ull * 1000000000ull /* 2100-02-28 */,
		4107542400ull * 1000000000ull /* 2100-03-01 */,
		13574563200ull * 1000000000ull /* 2400-02-29 */, UINT64_MAX,
	};
	uint64_t x = 88172645463325252ull;
	uint32_t bad_time = 0, bad_addr = 0;

	check_case = "times and addresses";
	for (uint32_t i = 0; i < 20000; i++) {
		char want[64], tmp[40], addr[INET_ADDRSTRLEN];
		uint64_t ns;
		struct tm tm;
		time_t sec;
		size_t n;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		ns = i < sizeof(edges) / sizeof(edges[0]) ? edges[i] : x;
		base_flow();
		flow.first_ns = flow.last_ns = ns;
		memcpy(flow.key.addr[0], &x, 4); /* every octet width */
		n = dp_eve_format(buf, sizeof(buf), &rec);
		buf[n < sizeof(buf) ? n : sizeof(buf) - 1] = '\0';
		sec = (time_t)(ns / 1000000000ull);
		gmtime_r(&sec, &tm);
		strftime(tmp, sizeof(tmp), "%Y-%m-%dT%H:%M:%S", &tm);
		snprintf(want, sizeof(want), "{\"timestamp\":\"%s.%06lluZ\"", tmp,
			 (unsigned long long)((ns % 1000000000ull) / 1000));
		if (strncmp(buf, want, strlen(want)) != 0 ||
		    !strstr(buf, want + strlen("{\"timestamp\":")))
			bad_time++;
		inet_ntop(AF_INET, flow.key.addr[0], addr, sizeof(addr));
		snprintf(want, sizeof(want), "\"src_ip\":\"%s\",", addr);
		if (!strstr(buf, want))
			bad_addr++;
	}
	CHECK_EQ_INT(bad_time, 0);
	CHECK_EQ_INT(bad_addr, 0);
}

int main(void)
{
	test_checker();
	test_times_addrs();
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		test_case(&cases[i]);
	test_worst_case();
	CHECK_DONE();
}
