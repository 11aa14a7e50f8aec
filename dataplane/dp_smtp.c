/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dp_smtp: passive SMTP dialogue parser; the record it fills is described in
 * dp_smtp.h. Owns nothing but the caller's struct dp_smtp_session: no
 * allocation, no I/O, no writable globals. Only the lcore that owns the
 * connection may call it, one direction's bytes at a time, in stream order.
 *
 * Shape: each direction has a bounded line machine (lines end at LF, a CR
 * before the LF is dropped). The client side has two more modes that bypass
 * it and only count or match bytes: a DATA body (ends at CRLF.CRLF) and a
 * BDAT chunk (ends after exactly n octets). Every client line that a server
 * would answer pushes an entry on a FIFO of expected replies; every final
 * server reply line pops one and applies what that reply means (354 starts
 * a body, 220 to STARTTLS ends parsing, 334 continues AUTH, ...). Pipelined
 * dialogues therefore line up without any timing assumptions.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#if defined(__AVX2__) || defined(__SSE2__)
#include <immintrin.h>
#endif

#include <mxscreen/anomaly.h>
#include <mxscreen/field.h>

#include "dp_smtp.h"

/* Content bytes a command line may hold: DP_SMTP_LINE_MAX counts the CRLF. */
#define LINE_CAP (DP_SMTP_LINE_MAX - 2u)
/* First byte of a TLS handshake record (ClientHello). */
#define TLS_HANDSHAKE 0x16u
#define NO_POS ((size_t)-1)

_Static_assert(DP_SMTP_EXT_COUNT <= 32, "ext_mask is 32 bits");
_Static_assert(DP_SMTP_MAX_TX < 255, "pending tx reference is uint8_t");
_Static_assert(DP_SMTP_ARENA <= UINT16_MAX, "arena offsets are uint16_t");
_Static_assert(DP_SMTP_QUEUE <= 255, "queue indices are uint8_t");
_Static_assert(DP_SMTP_LINE_MAX <= UINT16_MAX, "line length is uint16_t");

/* Client verbs, in the order they are tried. */
#define VERB_LIST(X)                                                          \
	X(HELO) X(EHLO) X(MAIL) X(RCPT) X(DATA) X(BDAT) X(RSET) X(NOOP)       \
	X(VRFY) X(EXPN) X(HELP) X(AUTH) X(STARTTLS) X(QUIT)

/* Verb ids: the client verbs, then ids that only name queue entries. */
enum verb {
	VERB_NONE = 0,
#define VERB_ENUM(v) VERB_##v,
	VERB_LIST(VERB_ENUM)
#undef VERB_ENUM
	VERB_GREETING,    /* the server speaks first */
	VERB_UNKNOWN,     /* unrecognised or empty line: servers answer 500 */
	VERB_END_OF_DATA, /* the reply that accepts or refuses a DATA body */
	VERB_SASL,        /* an AUTH response line */
};

enum client_state { CLIENT_COMMAND = 0, CLIENT_BODY, CLIENT_BDAT };
enum server_state { REPLY_START = 0, REPLY_CONTINUED };
/* Position of the end-of-data matcher inside a DATA body. */
enum body_state { BODY_MID = 0, BODY_LINE_START, BODY_DOT, BODY_DOT_CR };
enum auth_state { AUTH_IDLE = 0, AUTH_ACTIVE, AUTH_CHALLENGED };

/* ---- small text helpers (lines may hold NUL bytes: lengths, not strings) */

static int ascii_upper(int c)
{
	return c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c;
}

static int is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static int is_space(int c)
{
	return c == ' ' || c == '\t';
}

/* @p[0..n) starts with the upper-case literal @lit, ignoring case. */
static int ci_prefix(const char *p, size_t n, const char *lit)
{
	size_t i;

	for (i = 0; lit[i] != '\0'; i++)
		if (i >= n || ascii_upper((unsigned char)p[i]) != lit[i])
			return 0;
	return 1;
}

/* @p[0..n) equals the upper-case literal @lit, ignoring case. */
static int ci_eq(const char *p, size_t n, const char *lit)
{
	return strlen(lit) == n && ci_prefix(p, n, lit);
}

static size_t skip_spaces(const char *p, size_t i, size_t n)
{
	while (i < n && is_space(p[i]))
		i++;
	return i;
}

static size_t word_end(const char *p, size_t i, size_t n)
{
	while (i < n && !is_space(p[i]))
		i++;
	return i;
}

/* ---- pending replies ------------------------------------------------- */

static void queue_push(struct dp_smtp_session *s, unsigned verb, unsigned tx_ref)
{
	struct dp_smtp_pending *e;

	/* A client that outruns the server by DP_SMTP_QUEUE commands has
	 * already earned its anomaly; keeping memory fixed matters more. */
	if (s->q_len >= DP_SMTP_QUEUE)
		return;
	e = &s->q[(s->q_head + s->q_len) % DP_SMTP_QUEUE];
	e->verb = (uint8_t)verb;
	e->tx = (uint8_t)tx_ref;
	s->q_len++;
}

/* Replies still owed to client commands; the greeting is not one of them. */
static unsigned replies_owed(const struct dp_smtp_session *s)
{
	unsigned n = s->q_len;

	if (n && s->q[s->q_head].verb == VERB_GREETING)
		n--;
	return n;
}

/* ---- transactions and the string arena ------------------------------- */

/* Reference kept in queue entries: index + 1, 0 when not stored. */
static unsigned tx_ref(const struct dp_smtp_session *s)
{
	return s->tx_open && s->tx_cur < DP_SMTP_MAX_TX ? s->tx_cur + 1u : 0u;
}

static struct dp_smtp_tx *tx_current(struct dp_smtp_session *s)
{
	unsigned ref = tx_ref(s);

	return ref ? &s->tx[ref - 1] : NULL;
}

static void tx_close(struct dp_smtp_session *s)
{
	s->tx_open = 0;
}

/* Close any open transaction and start a new one; NULL when not stored. */
static struct dp_smtp_tx *tx_begin(struct dp_smtp_session *s, int has_mail_from)
{
	struct dp_smtp_tx *t;

	s->tx_count++;
	s->tx_open = 1;
	if (s->tx_stored >= DP_SMTP_MAX_TX) {
		s->tx_cur = DP_SMTP_MAX_TX; /* counted, not stored */
		return NULL;
	}
	s->tx_cur = (uint8_t)s->tx_stored++;
	t = &s->tx[s->tx_cur];
	memset(t, 0, sizeof(*t));
	t->has_mail_from = (uint8_t)(has_mail_from != 0);
	t->rcpt_first = s->rcpt_used;
	return t;
}

/* RCPT, DATA or BDAT outside a transaction still make one, without MAIL. */
static struct dp_smtp_tx *tx_ensure(struct dp_smtp_session *s)
{
	if (!s->tx_open)
		return tx_begin(s, 0);
	return tx_current(s);
}

/* Copy into the arena whole or not at all, so a stored string is exact. */
static int arena_put(struct dp_smtp_session *s, const char *p, size_t n,
		     struct dp_smtp_str *ret_str)
{
	if (n > DP_SMTP_ARENA - s->arena_used)
		return -1;
	memcpy(s->arena + s->arena_used, p, n);
	ret_str->off = s->arena_used;
	ret_str->len = (uint16_t)n;
	s->arena_used = (uint16_t)(s->arena_used + n);
	return 0;
}

/* ---- MAIL FROM / RCPT TO arguments ----------------------------------- */

/*
 * Offset just after "@keyword:" in @p[0..n) (spaces tolerated around the
 * keyword and after the colon), or NO_POS when the argument has another form.
 */
static size_t path_start(const char *p, size_t n, const char *keyword)
{
	size_t i;

	if (!ci_prefix(p, n, keyword))
		return NO_POS;
	i = skip_spaces(p, strlen(keyword), n);
	if (i >= n || p[i] != ':')
		return NO_POS;
	return skip_spaces(p, i + 1, n);
}

/* End of an address starting at @i: @close, or a space when @close is 0. */
static size_t path_end(const char *p, size_t i, size_t n, char close)
{
	int quoted = 0;

	/* Mostly "<addr>" with no quotes: the close found before any '"'
	 * is the answer. */
	if (close && i < n) {
		const char *c = memchr(p + i, close, n - i);

		if (c && !memchr(p + i, '"', (size_t)(c - (p + i))))
			return (size_t)(c - p);
	}

	for (; i < n; i++) {
		if (quoted && p[i] == '\\' && i + 1 < n) {
			i++;
		} else if (p[i] == '"') {
			quoted = !quoted;
		} else if (!quoted && (close ? p[i] == close : is_space(p[i]))) {
			break;
		}
	}
	return i;
}

/*
 * The bare address of a reverse- or forward-path: no angle brackets, no
 * ESMTP parameters, no source route ("<@x,@y:a@b>" is "a@b"), "" for "<>".
 */
static void path_address(const char *p, size_t n, size_t *ret_off, size_t *ret_len)
{
	size_t b = 0, e;

	if (n > 0 && p[0] == '<') {
		b = 1;
		e = path_end(p, b, n, '>');
		if (e == n) /* unterminated: stop where parameters would start */
			e = path_end(p, b, n, 0);
	} else {
		e = path_end(p, b, n, 0);
	}
	if (b < e && p[b] == '@') {
		const char *colon = memchr(p + b, ':', e - b);

		if (colon)
			b = (size_t)(colon - p) + 1;
	}
	*ret_off = b;
	*ret_len = e - b;
}

/* A complete envelope value for the matcher: every one, stored or not. */
static void value_seen(const struct dp_smtp_session *s, unsigned field,
		       const char *p, size_t n)
{
	if (s->on_value)
		s->on_value(s->value_ctx, field, p, n);
}

/* Store the bare address @p[0..n) as a recipient of @t. */
static void rcpt_store(struct dp_smtp_session *s, struct dp_smtp_tx *t,
		       const char *p, size_t len)
{
	struct dp_smtp_str str;

	if (s->rcpt_used >= DP_SMTP_MAX_RCPT || arena_put(s, p, len, &str)) {
		t->truncated = 1;
		return;
	}
	s->rcpt[s->rcpt_used++] = str;
	t->rcpt_stored++;
}

/* ---- DATA bodies and BDAT chunks ------------------------------------- */

static void body_begin(struct dp_smtp_session *s)
{
	struct dp_smtp_tx *t = tx_current(s);

	s->cstate = CLIENT_BODY;
	/* The body starts right after the DATA line: "." alone ends it. */
	s->body_state = BODY_LINE_START;
	if (t)
		t->data = 1;
}

static void body_end(struct dp_smtp_session *s)
{
	s->cstate = CLIENT_COMMAND;
	queue_push(s, VERB_END_OF_DATA, tx_ref(s));
	tx_close(s);
}

/* Offset of the first "\n." in @p[0..n) (of its LF), or n when none. */
static size_t find_lf_dot(const uint8_t *p, size_t n)
{
	size_t i = 0;

#if defined(__AVX2__)
	const __m256i lf = _mm256_set1_epi8('\n'), dot = _mm256_set1_epi8('.');

	for (; i + 33 <= n; i += 32) {
		__m256i a = _mm256_loadu_si256((const __m256i *)(const void *)(p + i));
		__m256i b = _mm256_loadu_si256((const __m256i *)(const void *)(p + i + 1));
		unsigned m = (unsigned)_mm256_movemask_epi8(
			_mm256_and_si256(_mm256_cmpeq_epi8(a, lf), _mm256_cmpeq_epi8(b, dot)));

		if (m)
			return i + (size_t)__builtin_ctz(m);
	}
#elif defined(__SSE2__)
	const __m128i lf = _mm_set1_epi8('\n'), dot = _mm_set1_epi8('.');

	for (; i + 17 <= n; i += 16) {
		__m128i a = _mm_loadu_si128((const __m128i *)(const void *)(p + i));
		__m128i b = _mm_loadu_si128((const __m128i *)(const void *)(p + i + 1));
		unsigned m = (unsigned)_mm_movemask_epi8(
			_mm_and_si128(_mm_cmpeq_epi8(a, lf), _mm_cmpeq_epi8(b, dot)));

		if (m)
			return i + (size_t)__builtin_ctz(m);
	}
#endif
	for (; i + 1 < n; i++)
		if (p[i] == '\n' && p[i + 1] == '.')
			return i;
	return n;
}

/*
 * Match CRLF.CRLF (or LF.LF) through @p[0..n); returns bytes consumed, which
 * stop right after the terminating LF. Dot-stuffed lines ("..x") go on.
 * Mid-line, only a "\n." can start the end: the scan jumps from one to the
 * next (a line break followed by anything else leads back to mid-line), so
 * the body is read a vector at a time, not a line at a time.
 */
static uint32_t body_scan(struct dp_smtp_session *s, const uint8_t *p, uint32_t n)
{
	uint32_t i = 0;

	while (i < n) {
		switch (s->body_state) {
		case BODY_MID: {
			size_t k = find_lf_dot(p + i, n - i);

			if (k == n - i) {
				s->body_state = p[n - 1] == '\n' ? BODY_LINE_START : BODY_MID;
				return n;
			}
			i += (uint32_t)k + 2;
			s->body_state = BODY_DOT;
			break;
		}
		case BODY_LINE_START:
			if (p[i] == '.')
				s->body_state = BODY_DOT;
			else if (p[i] != '\n')
				s->body_state = BODY_MID;
			i++;
			break;
		default: /* BODY_DOT, BODY_DOT_CR */
			if (p[i] == '\n') {
				body_end(s);
				return i + 1;
			}
			s->body_state = p[i] == '\r' && s->body_state == BODY_DOT ?
				BODY_DOT_CR : BODY_MID;
			i++;
			break;
		}
	}
	return n;
}

static void bdat_chunk_end(struct dp_smtp_session *s)
{
	s->cstate = CLIENT_COMMAND;
	if (s->bdat_last) {
		s->bdat_last = 0;
		tx_close(s);
	}
}

static uint64_t bdat_skip(struct dp_smtp_session *s, uint64_t avail)
{
	uint64_t k = s->bdat_left < avail ? s->bdat_left : avail;

	s->bdat_left -= k;
	if (s->bdat_left == 0)
		bdat_chunk_end(s);
	return k;
}

/*
 * "n [LAST]" with n a decimal that fits a signed 64-bit count (as servers
 * parse it: Postfix refuses 15555555557777777777); anything else is invalid.
 */
static int bdat_parse(const char *p, size_t n, uint64_t *ret_size, int *ret_last)
{
	uint64_t v = 0;
	size_t i = 0, w;

	if (n == 0 || !is_digit(p[0]))
		return -1;
	for (; i < n && is_digit(p[i]); i++) {
		unsigned d = (unsigned)(p[i] - '0');

		if (v > ((uint64_t)INT64_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	if (i < n && !is_space(p[i]))
		return -1;
	i = skip_spaces(p, i, n);
	*ret_last = 0;
	if (i < n) {
		w = word_end(p, i, n);
		if (!ci_eq(p + i, w - i, "LAST") || skip_spaces(p, w, n) != n)
			return -1;
		*ret_last = 1;
	}
	*ret_size = v;
	return 0;
}

/* ---- client commands ------------------------------------------------- */

static void cmd_helo(struct dp_smtp_session *s, unsigned verb, const char *arg,
		     size_t n)
{
	value_seen(s, MXS_FIELD_HELO, arg, n);
	if (n > DP_SMTP_HELO_MAX)
		n = DP_SMTP_HELO_MAX;
	/* A new greeting resets the SMTP state: any transaction is over. */
	tx_close(s);
	memcpy(s->helo, arg, n);
	s->helo[n] = '\0';
	s->helo_len = (uint16_t)n;
	s->helo_verb = verb == VERB_HELO ? 1 : 2;
	queue_push(s, verb, 0);
}

static void cmd_mail(struct dp_smtp_session *s, const char *arg, size_t n)
{
	size_t at = path_start(arg, n, "FROM");
	struct dp_smtp_tx *t = tx_begin(s, at != NO_POS);

	if (at != NO_POS) {
		size_t off, len;

		path_address(arg + at, n - at, &off, &len);
		value_seen(s, MXS_FIELD_MAIL_FROM, arg + at + off, len);
		if (t && arena_put(s, arg + at + off, len, &t->mail_from))
			t->truncated = 1;
	}
	queue_push(s, VERB_MAIL, tx_ref(s));
}

static void cmd_rcpt(struct dp_smtp_session *s, const char *arg, size_t n)
{
	size_t at = path_start(arg, n, "TO");
	struct dp_smtp_tx *t = tx_ensure(s);
	size_t off = 0, len = 0;

	if (at != NO_POS) {
		path_address(arg + at, n - at, &off, &len);
		value_seen(s, MXS_FIELD_RCPT_TO, arg + at + off, len);
	}
	if (t) {
		t->rcpt_count++;
		if (at != NO_POS)
			rcpt_store(s, t, arg + at + off, len);
	}
	queue_push(s, VERB_RCPT, tx_ref(s));
}

static void cmd_data(struct dp_smtp_session *s)
{
	tx_ensure(s);
	queue_push(s, VERB_DATA, tx_ref(s));
	/* Without the server's side there is no 354 to wait for. */
	if (s->server_seen)
		s->data_wait = 1;
	else
		body_begin(s);
}

static void cmd_bdat(struct dp_smtp_session *s, const char *arg, size_t n)
{
	struct dp_smtp_tx *t = tx_ensure(s);
	uint64_t size;
	int last;

	queue_push(s, VERB_BDAT, tx_ref(s));
	if (bdat_parse(arg, n, &size, &last)) {
		/* The server refuses it, so the client's next line is a command. */
		s->anomalies |= MXS_ANOMALY_BIT(BDAT_INVALID);
		return;
	}
	if (t)
		t->data = 1;
	/* The chunk follows the command at once, without waiting for a reply. */
	s->bdat_left = size;
	s->bdat_last = (uint8_t)last;
	if (size)
		s->cstate = CLIENT_BDAT;
	else
		bdat_chunk_end(s);
}

static void cmd_auth(struct dp_smtp_session *s, const char *arg, size_t n)
{
	size_t w = word_end(arg, 0, n), i;

	if (w > DP_SMTP_AUTH_MAX)
		w = DP_SMTP_AUTH_MAX;
	for (i = 0; i < w; i++)
		s->auth[i] = (char)ascii_upper((unsigned char)arg[i]);
	s->auth[w] = '\0';
	s->auth_active = AUTH_ACTIVE;
	queue_push(s, VERB_AUTH, 0);
}

static void client_command(struct dp_smtp_session *s, unsigned verb,
			   const char *arg, size_t n)
{
	switch (verb) {
	case VERB_HELO:
	case VERB_EHLO:
		cmd_helo(s, verb, arg, n);
		break;
	case VERB_MAIL:
		cmd_mail(s, arg, n);
		break;
	case VERB_RCPT:
		cmd_rcpt(s, arg, n);
		break;
	case VERB_DATA:
		cmd_data(s);
		break;
	case VERB_BDAT:
		cmd_bdat(s, arg, n);
		break;
	case VERB_AUTH:
		cmd_auth(s, arg, n);
		break;
	default: /* RSET STARTTLS NOOP VRFY EXPN HELP QUIT */
		if (verb == VERB_RSET)
			tx_close(s);
		if (verb == VERB_STARTTLS)
			s->starttls_wait = 1; /* 2 once bytes follow; see client_feed */
		queue_push(s, verb, 0);
		break;
	}
}

/* Four bytes upper-cased (ASCII letters only), packed as on the wire. */
static inline uint32_t upper4(const char *p)
{
	return (uint32_t)ascii_upper((unsigned char)p[0]) << 24 |
	       (uint32_t)ascii_upper((unsigned char)p[1]) << 16 |
	       (uint32_t)ascii_upper((unsigned char)p[2]) << 8 |
	       (uint32_t)ascii_upper((unsigned char)p[3]);
}

#define V4(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (uint32_t)(d))

/*
 * Verb of the line's first word (VERB_NONE if unknown); *ret_arg: its
 * argument, set for a verb only. Every verb is four letters but STARTTLS,
 * so the word is never scanned: a verb's letters hold no space, and the
 * word ends where the line does or at a space.
 */
static unsigned verb_lookup(const char *p, size_t n, size_t *ret_arg)
{
	unsigned v;

	if (n < 4)
		return VERB_NONE;
	if (n > 4 && !is_space(p[4])) {
		if (n >= 8 && (n == 8 || is_space(p[8])) &&
		    upper4(p) == V4('S', 'T', 'A', 'R') && upper4(p + 4) == V4('T', 'T', 'L', 'S')) {
			*ret_arg = skip_spaces(p, 8, n);
			return VERB_STARTTLS;
		}
		return VERB_NONE;
	}
	switch (upper4(p)) {
	case V4('H', 'E', 'L', 'O'): v = VERB_HELO; break;
	case V4('E', 'H', 'L', 'O'): v = VERB_EHLO; break;
	case V4('M', 'A', 'I', 'L'): v = VERB_MAIL; break;
	case V4('R', 'C', 'P', 'T'): v = VERB_RCPT; break;
	case V4('D', 'A', 'T', 'A'): v = VERB_DATA; break;
	case V4('B', 'D', 'A', 'T'): v = VERB_BDAT; break;
	case V4('R', 'S', 'E', 'T'): v = VERB_RSET; break;
	case V4('N', 'O', 'O', 'P'): v = VERB_NOOP; break;
	case V4('V', 'R', 'F', 'Y'): v = VERB_VRFY; break;
	case V4('E', 'X', 'P', 'N'): v = VERB_EXPN; break;
	case V4('H', 'E', 'L', 'P'): v = VERB_HELP; break;
	case V4('A', 'U', 'T', 'H'): v = VERB_AUTH; break;
	case V4('Q', 'U', 'I', 'T'): v = VERB_QUIT; break;
	default: return VERB_NONE;
	}
	*ret_arg = skip_spaces(p, 4, n);
	return v;
}

/*
 * Lines that are not SMTP at all, as Postfix postscreen's
 * postscreen_forbidden_commands: an HTTP request line or a header line
 * ("Name: value"), typically a proxy or a web client aimed at port 25.
 */
static int non_smtp_line(const char *p, size_t n)
{
	static const char *const http[] = {
		"GET ", "POST ", "HEAD ", "PUT ", "OPTIONS ", "DELETE ", "CONNECT ",
	};
	size_t i;

	for (i = 0; i < sizeof(http) / sizeof(http[0]); i++)
		if (ci_prefix(p, n, http[i]))
			return 1;
	for (i = 0; i < n && p[i] > ' ' && p[i] < 127 && p[i] != ':'; i++)
		;
	return i > 0 && i < n && p[i] == ':';
}

/* Switch from probing to parsing: the queue starts fresh at the evidence. */
static void probing_end(struct dp_smtp_session *s, int by_server)
{
	s->probing = 0;
	s->is_smtp = 1;
	s->q_head = 0;
	s->q_len = 0;
	s->sstate = REPLY_START;
	s->in_ehlo_reply = 0;
	s->greeted = (uint8_t)!by_server;
	if (by_server)
		queue_push(s, VERB_GREETING, 0);
}

/* A client line of @n content bytes (CRLF gone); the flags say how it
 * looked on the wire. */
static void client_line(struct dp_smtp_session *s, const char *p, size_t n,
			int overflow, int nul, int bare_lf)
{
	size_t arg;
	unsigned verb = verb_lookup(p, n, &arg);

	if (s->probing) {
		if (verb != VERB_HELO && verb != VERB_EHLO)
			return;
		probing_end(s, 0);
	}
	/* Inside AUTH, after a 334 or anything not a verb, is a SASL response. */
	if (s->auth_active == AUTH_CHALLENGED ||
	    (s->auth_active == AUTH_ACTIVE && verb == VERB_NONE)) {
		s->auth_active = AUTH_ACTIVE;
		queue_push(s, VERB_SASL, 0);
		return;
	}
	/* With no server side, only the next verb tells that AUTH is over. */
	if (s->auth_active && !s->server_seen)
		s->auth_active = AUTH_IDLE;
	if (n == 0) {
		queue_push(s, VERB_UNKNOWN, 0);
		return;
	}
	if (overflow)
		s->anomalies |= MXS_ANOMALY_BIT(LONG_LINE);
	if (bare_lf)
		s->anomalies |= MXS_ANOMALY_BIT(BARE_LF);
	if (nul)
		s->anomalies |= MXS_ANOMALY_BIT(NUL_BYTE);
	/* RFC 2920: only with PIPELINING may a client send before the reply. */
	if (s->server_seen && !s->pipelining && replies_owed(s))
		s->anomalies |= MXS_ANOMALY_BIT(PIPELINING_VIOLATION);
	if (verb == VERB_NONE) {
		s->anomalies |= non_smtp_line(p, n) ?
			MXS_ANOMALY_BIT(NON_SMTP_COMMAND) :
			MXS_ANOMALY_BIT(UNKNOWN_COMMAND);
		queue_push(s, VERB_UNKNOWN, 0);
		return;
	}
	s->commands++;
	client_command(s, verb, p + arg, n - arg);
}

/* ---- server replies -------------------------------------------------- */

/* Reply code of a reply line and whether more lines follow; -1 if none. */
static int reply_code(const char *p, size_t n, int *ret_more)
{
	if (n < 3 || !is_digit(p[0]) || !is_digit(p[1]) || !is_digit(p[2]))
		return -1;
	if (n > 3 && p[3] != ' ' && p[3] != '-')
		return -1;
	*ret_more = n > 3 && p[3] == '-';
	return (p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0');
}

/* RFC 5321 ehlo-keyword, plus '_' (PIPE_CONNECT); "AUTH=LOGIN" stops at '='. */
static int ehlo_keyword_char(int c)
{
	return is_digit(c) || c == '-' || c == '_' ||
	       (ascii_upper(c) >= 'A' && ascii_upper(c) <= 'Z');
}

/* One EHLO reply line after the first: "KEYWORD params" (or "AUTH=..."). */
static void ehlo_extension(struct dp_smtp_session *s, const char *p, size_t n)
{
	size_t w = 0;
	unsigned e;

	static const uint8_t len[] = {
#define EXT_LEN(x) sizeof(#x) - 1,
		DP_SMTP_EXT_LIST(EXT_LEN)
#undef EXT_LEN
	};

	while (w < n && ehlo_keyword_char(p[w]))
		w++;
	if (w == 0)
		return;
	for (e = 0; e < DP_SMTP_EXT_COUNT; e++) {
		/* Names are compared only at their length (NO-SOLICITING is
		 * as long as NO_SOLICITING). */
		if (len[e] == w && ci_prefix(p, w, dp_smtp_ext_name(e))) {
			s->ext_mask |= 1u << e;
			if (e == DP_SMTP_EXT_PIPELINING)
				s->pipelining = 1;
			return;
		}
	}
}

/* A final reply line: it answers the oldest command still waiting. */
static void reply_apply(struct dp_smtp_session *s, int code)
{
	struct dp_smtp_pending e;
	struct dp_smtp_tx *t;

	if (s->q_len == 0) /* unsolicited, e.g. 421 on timeout */
		return;
	e = s->q[s->q_head];
	s->q_head = (uint8_t)((s->q_head + 1) % DP_SMTP_QUEUE);
	s->q_len--;
	/* The entry names its tx: replies may land after the tx closed. */
	t = e.tx ? &s->tx[e.tx - 1] : NULL;
	if (t)
		t->last_reply = (uint16_t)code;
	switch (e.verb) {
	case VERB_RCPT:
		if (t && code >= 400 && code < 600)
			t->rcpt_rejected++;
		break;
	case VERB_DATA:
		if (s->data_wait) {
			s->data_wait = 0;
			if (code == 354)
				body_begin(s);
		}
		break;
	case VERB_STARTTLS:
		s->starttls_wait = 0;
		if (code == 220)
			s->tls = 1;
		break;
	case VERB_AUTH:
	case VERB_SASL:
		s->auth_active = code == 334 ? AUTH_CHALLENGED : AUTH_IDLE;
		break;
	default:
		break;
	}
}

static void banner_set(struct dp_smtp_session *s, const char *p, size_t n)
{
	size_t k = n < DP_SMTP_BANNER_MAX ? n : DP_SMTP_BANNER_MAX;

	memcpy(s->banner, p, k);
	s->banner[k] = '\0';
	s->banner_len = (uint16_t)k;
}

static int ci_contains(const char *p, size_t n, const char *lit)
{
	size_t m = strlen(lit);

	for (size_t i = 0; i + m <= n; i++)
		if (ci_prefix(p + i, n - i, lit))
			return 1;
	return 0;
}

static void server_line(struct dp_smtp_session *s, const char *p, size_t n)
{
	int more = 0, code;

	if (s->probing) {
		if (n < 4 || memcmp(p, "220", 3) != 0 || (p[3] != ' ' && p[3] != '-'))
			return;
		/* FTP greets with 220 too: only a banner naming SMTP is
		 * proof; otherwise keep it and wait for HELO/EHLO. */
		banner_set(s, p, n);
		if (!ci_contains(p, n, "SMTP"))
			return;
		probing_end(s, 1);
	}
	code = reply_code(p, n, &more);
	if (code < 0)
		return;
	if (!s->greeted) {
		s->greeted = 1;
		banner_set(s, p, n);
	}
	if (s->sstate == REPLY_START)
		s->in_ehlo_reply = s->q_len && s->q[s->q_head].verb == VERB_EHLO;
	else if (s->in_ehlo_reply && code / 100 == 2 && n > 4)
		ehlo_extension(s, p + 4, n - 4);
	if (more) {
		s->sstate = REPLY_CONTINUED;
		return;
	}
	s->sstate = REPLY_START;
	s->in_ehlo_reply = 0;
	s->last_reply = (uint16_t)code;
	reply_apply(s, code);
}

/* ---- line machine ---------------------------------------------------- */

static void line_reset(struct dp_smtp_line *l)
{
	l->len = 0;
	l->overflow = l->saw_cr = l->nul = l->resync = 0;
}

static void line_append(struct dp_smtp_session *s, int dir, const uint8_t *p, size_t n)
{
	struct dp_smtp_line *l = &s->line[dir];
	size_t room = LINE_CAP - l->len;

	if (n > room) {
		n = room;
		l->overflow = 1; /* the rest of the line is dropped */
	}
	memcpy(s->line_buf[dir] + l->len, p, n);
	l->len = (uint16_t)(l->len + n);
}

/*
 * Bytes of a line holding no LF. A trailing CR is held back in saw_cr: it
 * is content only if something other than LF follows it.
 */
static void line_add(struct dp_smtp_session *s, int dir, const uint8_t *p, size_t n)
{
	static const uint8_t cr = '\r';
	struct dp_smtp_line *l = &s->line[dir];

	if (n == 0)
		return;
	if (l->saw_cr) {
		line_append(s, dir, &cr, 1);
		l->saw_cr = 0;
	}
	if (memchr(p, '\0', n))
		l->nul = 1;
	if (p[n - 1] == '\r') {
		n--;
		l->saw_cr = 1;
	}
	line_append(s, dir, p, n);
}

/* A complete line of direction @dir: @p[0..n) without its line end. */
static void line_done(struct dp_smtp_session *s, int dir, const char *p, size_t n,
		      int overflow, int nul, int bare_lf)
{
	if (dir == DP_SMTP_TO_SERVER)
		client_line(s, p, n, overflow, nul, bare_lf);
	else
		server_line(s, p, n);
}

static void line_end(struct dp_smtp_session *s, int dir, int bare_lf)
{
	struct dp_smtp_line *l = &s->line[dir];

	line_done(s, dir, s->line_buf[dir], l->len, l->overflow, l->nul, bare_lf);
	line_reset(l);
}

/* After a gap a line is trusted only if it starts with a verb: a gap that
 * ends on a line boundary loses nothing that follows it. */
static int line_is_verb(const char *p, size_t n)
{
	size_t arg;

	return verb_lookup(p, n, &arg) != VERB_NONE;
}

/* Take bytes up to and including the next LF; returns bytes consumed. */
static uint32_t line_take(struct dp_smtp_session *s, int dir, const uint8_t *p,
			  uint32_t n)
{
	struct dp_smtp_line *l = &s->line[dir];
	const uint8_t *lf = memchr(p, '\n', n);
	uint32_t k = lf ? (uint32_t)(lf - p) : n;

	if (lf && l->len == 0 && !l->saw_cr && !l->overflow && !l->nul) {
		/* The whole line is in this segment (the common case): parse
		 * it where it lies, exactly as line_add would have stored it. */
		int cr = k && p[k - 1] == '\r';
		uint32_t len = k - (uint32_t)cr;
		int overflow = len > LINE_CAP;
		int nul = k && memchr(p, '\0', k) != NULL;

		if (overflow)
			len = LINE_CAP;
		if (!l->resync || line_is_verb((const char *)p, len))
			line_done(s, dir, (const char *)p, len, overflow, nul, !cr);
		line_reset(l);
		return k + 1;
	}
	line_add(s, dir, p, k);
	if (!lf)
		return n;
	if (l->resync && !line_is_verb(s->line_buf[dir], l->len))
		line_reset(l); /* the tail of a line cut by a gap */
	else
		line_end(s, dir, !l->saw_cr);
	return k + 1;
}

/*
 * While probing, a segment boundary ends a line: proxy and SOCKS handshakes
 * are short binary or CRLF-less messages that must not glue onto a banner.
 */
static void probing_flush(struct dp_smtp_session *s, int dir)
{
	struct dp_smtp_line *l = &s->line[dir];

	if (s->probing && (l->len || l->saw_cr || l->overflow))
		line_end(s, dir, 0);
}

static void client_feed(struct dp_smtp_session *s, const uint8_t *p, uint32_t n)
{
	uint32_t i = 0;

	/* Implicit TLS (port 465): a TLS handshake record as the very first
	 * client byte is never SMTP. */
	if (!s->client_started && n) {
		s->client_started = 1;
		if (p[0] == TLS_HANDSHAKE && !s->greeted && !s->probing) {
			s->tls = 1;
			return;
		}
	}
	/* Postfix postscreen's pregreet test: talking before the banner. */
	if (s->greet_known && !s->greeted && !s->probing)
		s->anomalies |= MXS_ANOMALY_BIT(PREGREET);
	while (i < n && !s->tls) {
		if (s->starttls_wait) {
			/* One-sided capture: a ClientHello right after the
			 * STARTTLS line says TLS began. */
			if (s->starttls_wait == 1 && !s->server_seen &&
			    p[i] == TLS_HANDSHAKE) {
				s->tls = 1;
				return;
			}
			/* Plaintext the TLS layer would inherit (CVE-2011-0411). */
			s->anomalies |= MXS_ANOMALY_BIT(STARTTLS_INJECTION);
			s->starttls_wait = 2;
		}
		if (s->data_wait) {
			/* The client did not wait for 354: these bytes are body. */
			s->data_wait = 0;
			body_begin(s);
		}
		if (s->cstate == CLIENT_BDAT)
			i += (uint32_t)bdat_skip(s, n - i);
		else if (s->cstate == CLIENT_BODY)
			i += body_scan(s, p + i, n - i);
		else
			i += line_take(s, DP_SMTP_TO_SERVER, p + i, n - i);
	}
	probing_flush(s, DP_SMTP_TO_SERVER);
}

static void server_feed(struct dp_smtp_session *s, const uint8_t *p, uint32_t n)
{
	uint32_t i = 0;

	s->server_seen = 1;
	while (i < n && !s->tls)
		i += line_take(s, DP_SMTP_TO_CLIENT, p + i, n - i);
	if (!s->tls)
		probing_flush(s, DP_SMTP_TO_CLIENT);
}

/* ---- API ------------------------------------------------------------- */

const char *dp_smtp_ext_name(unsigned e)
{
	static const char *const names[] = {
#define DP_SMTP_EXT_NAME(x) #x,
		DP_SMTP_EXT_LIST(DP_SMTP_EXT_NAME)
#undef DP_SMTP_EXT_NAME
	};

	if (e >= DP_SMTP_EXT_COUNT)
		return NULL;
	/* '-' cannot be part of an enum name; the keyword is advertised so. */
	if (e == DP_SMTP_EXT_NO_SOLICITING)
		return "NO-SOLICITING";
	return names[e];
}

void dp_smtp_init(struct dp_smtp_session *s, const struct dp_smtp_init_params *p)
{
	/* Clear what is read before it is written, not the ~4 KiB of
	 * strings and arrays: those are valid up to their lengths only. */
	memset(s, 0, offsetof(struct dp_smtp_session, q));
	s->bdat_left = 0;
	s->helo[0] = s->banner[0] = s->auth[0] = '\0';
	s->greet_known = (uint8_t)(p && p->handshake_seen);
	if (p) {
		s->on_value = p->on_value;
		s->value_ctx = p->value_ctx;
	}
	if (p && !p->on_smtp_port) {
		s->probing = 1;
		return;
	}
	s->is_smtp = 1;
	queue_push(s, VERB_GREETING, 0);
}

void dp_smtp_feed(struct dp_smtp_session *s, int dir, const uint8_t *data,
		  uint32_t len)
{
	if (!s || !data || len == 0 || s->tls)
		return;
	if (dir == DP_SMTP_TO_SERVER)
		client_feed(s, data, len);
	else if (dir == DP_SMTP_TO_CLIENT)
		server_feed(s, data, len);
}

void dp_smtp_gap(struct dp_smtp_session *s, int dir, uint64_t len)
{
	if (!s || len == 0 || s->tls ||
	    (dir != DP_SMTP_TO_SERVER && dir != DP_SMTP_TO_CLIENT))
		return;
	line_reset(&s->line[dir]);
	if (dir == DP_SMTP_TO_CLIENT) {
		/* No resync here: dropping a final reply line would misalign
		 * the queue for good, while a reply's tail is ignored unless
		 * it happens to start with three digits. */
		s->server_seen = 1;
		return;
	}
	if (s->data_wait || s->cstate == CLIENT_BODY) {
		if (s->data_wait) {
			s->data_wait = 0;
			body_begin(s);
		}
		/* We may be mid-line: only a fresh LF can start the "." line. */
		s->body_state = BODY_MID;
		return;
	}
	if (s->cstate == CLIENT_BDAT) {
		uint64_t left = s->bdat_left;

		bdat_skip(s, len);
		if (len <= left) /* all lost bytes were chunk bytes */
			return;
	}
	/*
	 * The next bytes may be the middle of a command line: parsing them
	 * would invent anomalies, so skip to the next LF. While probing, the
	 * next segment starts a line anyway.
	 */
	if (!s->probing)
		s->line[dir].resync = 1;
}

void dp_smtp_finish(struct dp_smtp_session *s)
{
	if (s)
		tx_close(s);
}
