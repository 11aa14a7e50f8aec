/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for dp_smtp: a table of dialogue scripts (interleaved client
 * and server byte steps, plus gaps) with the record each must produce.
 * Every non-probing script is also fed one byte at a time and in random
 * chunk sizes (fixed seeds) and must produce a byte-identical record.
 * Single-threaded.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mxscreen/anomaly.h>

#include "check.h"
#include "dp_smtp.h"

#define C2S DP_SMTP_TO_SERVER
#define S2C DP_SMTP_TO_CLIENT
#define A(x) MXS_ANOMALY_BIT(x)
#define E(x) (1u << DP_SMTP_EXT_##x)

enum step_kind { STEP_END = 0, STEP_BYTES, STEP_GAP };

struct step {
	uint8_t kind;
	uint8_t dir;
	const char *bytes;
	uint32_t len;    /* bytes in @bytes, or the gap size */
	uint32_t repeat; /* @bytes sent this many times in one step */
};

/* sizeof, not strlen: scripts may hold NUL bytes. */
#define C(str) { STEP_BYTES, C2S, str, sizeof(str) - 1, 1 }
#define S(str) { STEP_BYTES, S2C, str, sizeof(str) - 1, 1 }
#define C_REP(str, n) { STEP_BYTES, C2S, str, sizeof(str) - 1, n }
#define S_REP(str, n) { STEP_BYTES, S2C, str, sizeof(str) - 1, n }
#define GAP(d, n) { STEP_GAP, d, NULL, n, 0 }

#define MAX_STEPS 64

struct tx_want {
	const char *mail_from; /* NULL: "" */
	int has_mail_from;
	int data;
	int truncated;
	int last_reply;
	unsigned rcpt_count;
	unsigned rcpt_rejected;
	const char *rcpt;      /* stored addresses joined by '|'; NULL: none */
};

struct smtp_case {
	const char *name;
	int probe;             /* on_smtp_port = 0 */
	int handshake;
	struct step steps[MAX_STEPS];
	/* the record, all of it asserted (NULL strings mean "") */
	uint32_t anomalies;
	int is_smtp;
	int tls;
	const char *helo;
	int helo_verb;
	const char *banner;
	const char *auth;
	uint32_t ext;
	uint32_t commands;
	uint32_t tx_count;
	int last_reply;
	struct tx_want tx[DP_SMTP_MAX_TX];
	void (*extra)(const struct dp_smtp_session *s);
};

/* Common openings. */
#define BANNER S("220 mx.example.net ESMTP Postfix\r\n")
#define EHLO_PIPE                                                             \
	C("EHLO client.example.org\r\n"),                                     \
	S("250-mx.example.net\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n"     \
	  "250-8BITMIME\r\n250-CHUNKING\r\n250 STARTTLS\r\n")
#define EXT_PIPE (E(PIPELINING) | E(SIZE) | E(8BITMIME) | E(CHUNKING) | E(STARTTLS))
#define EHLO_PLAIN                                                            \
	C("EHLO client.example.org\r\n"),                                     \
	S("250-mx.example.net\r\n250-SIZE 10240000\r\n250 STARTTLS\r\n")
#define EXT_PLAIN (E(SIZE) | E(STARTTLS))
#define MX_BANNER "220 mx.example.net ESMTP Postfix"
#define HELO_C "client.example.org"

/* A 100-byte address, and 20 of them: exactly what fits the arena. */
#define R10 "rrrrrrrrrr"
#define ADDR100 R10 R10 R10 R10 R10 R10 R10 R10 "rrrrrrrr" "@example.com"
#define J2 ADDR100 "|" ADDR100
#define J4 J2 "|" J2
#define J8 J4 "|" J4
#define J20 J8 "|" J8 "|" J4

static void extra_nul(const struct dp_smtp_session *s)
{
	CHECK_EQ_INT(s->helo_len, 3);
	CHECK(memcmp(s->helo, "a\0b", 4) == 0);
}

/* The NUL lies past the first 16 bytes (the vector loop of the line scan). */
static void extra_nul_far(const struct dp_smtp_session *s)
{
	CHECK_EQ_INT(s->helo_len, 27);
	CHECK(memcmp(s->helo, "abcdefghijklmnopqrstu\0vwxyz", 28) == 0);
}

static void extra_long_helo(const struct dp_smtp_session *s)
{
	unsigned i, all_h = 1;

	CHECK_EQ_INT(s->helo_len, DP_SMTP_HELO_MAX);
	for (i = 0; i < DP_SMTP_HELO_MAX; i++)
		all_h &= s->helo[i] == 'h';
	CHECK(all_h);
	CHECK_EQ_INT(s->helo[DP_SMTP_HELO_MAX], '\0');
}

static void extra_arena(const struct dp_smtp_session *s)
{
	/* 20 long ones fill it; the later short one still fits */
	CHECK_EQ_INT(s->tx[0].rcpt_stored, 21);
	CHECK_EQ_INT(s->rcpt_used, 21);
	CHECK_EQ_INT(s->arena_used, 11 + 20 * 100 + 3);
}

static void extra_max_rcpt(const struct dp_smtp_session *s)
{
	CHECK_EQ_INT(s->rcpt_used, DP_SMTP_MAX_RCPT);
	CHECK_EQ_INT(s->tx[0].rcpt_stored, DP_SMTP_MAX_RCPT);
}

static void extra_many_tx(const struct dp_smtp_session *s)
{
	CHECK_EQ_INT(s->tx_stored, DP_SMTP_MAX_TX);
	CHECK_EQ_INT(s->rcpt_used, DP_SMTP_MAX_TX);
}

static void extra_banner_long(const struct dp_smtp_session *s)
{
	CHECK_EQ_INT(s->banner_len, DP_SMTP_BANNER_MAX);
	CHECK_EQ_INT(s->banner[DP_SMTP_BANNER_MAX], '\0');
}

static const struct smtp_case cases[] = {
{
	.name = "esmtp_pipelining",
	.handshake = 1,
	.steps = {
		BANNER, EHLO_PIPE,
		C("MAIL FROM:<alice@example.org> SIZE=1200\r\n"
		  "RCPT TO:<bob@example.net>\r\n"
		  "RCPT TO:<carol@example.net> NOTIFY=NEVER\r\nDATA\r\n"),
		S("250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n250 2.1.5 Ok\r\n"
		  "354 End data with <CR><LF>.<CR><LF>\r\n"),
		C("Subject: hi\r\n\r\nhello\r\n.\r\n"),
		S("250 2.0.0 Ok: queued as 3F2A1\r\n"),
		C("QUIT\r\n"), S("221 2.0.0 Bye\r\n"),
	},
	.is_smtp = 1, .helo = HELO_C, .helo_verb = 2, .banner = MX_BANNER,
	.ext = EXT_PIPE, .commands = 6, .tx_count = 1, .last_reply = 221,
	.tx = { { "alice@example.org", 1, 1, 0, 250, 2, 0,
		  "bob@example.net|carol@example.net" } },
},
{
	.name = "lockstep_without_pipelining_is_clean",
	.handshake = 1,
	.steps = {
		BANNER, EHLO_PLAIN,
		C("MAIL FROM:<a@b.example>\r\n"), S("250 Ok\r\n"),
		C("RCPT TO:<c@d.example>\r\n"), S("250 Ok\r\n"),
		C("DATA\r\n"), S("354 go\r\n"),
		C("x\r\n.\r\n"), S("250 queued\r\n"),
		C("QUIT\r\n"), S("221 Bye\r\n"),
	},
	.is_smtp = 1, .helo = HELO_C, .helo_verb = 2, .banner = MX_BANNER,
	.ext = EXT_PLAIN, .commands = 5, .tx_count = 1, .last_reply = 221,
	.tx = { { "a@b.example", 1, 1, 0, 250, 1, 0, "c@d.example" } },
},
{
	.name = "pipelining_violation",
	.handshake = 1,
	.steps = {
		BANNER, EHLO_PLAIN,
		C("MAIL FROM:<a@b.example>\r\nRCPT TO:<c@d.example>\r\n"),
		S("250 Ok\r\n250 Ok\r\n"),
		C("QUIT\r\n"), S("221 Bye\r\n"),
	},
	.anomalies = A(PIPELINING_VIOLATION),
	.is_smtp = 1, .helo = HELO_C, .helo_verb = 2, .banner = MX_BANNER,
	.ext = EXT_PLAIN, .commands = 4, .tx_count = 1, .last_reply = 221,
	.tx = { { "a@b.example", 1, 0, 0, 250, 1, 0, "c@d.example" } },
},
{
	.name = "quit_after_dot_without_pipelining",
	.steps = {
		BANNER, EHLO_PLAIN,
		C("MAIL FROM:<a@b.example>\r\n"), S("250 Ok\r\n"),
		C("RCPT TO:<c@d.example>\r\n"), S("250 Ok\r\n"),
		C("DATA\r\n"), S("354 go\r\n"),
		C("x\r\n.\r\nQUIT\r\n"), S("250 queued\r\n221 Bye\r\n"),
	},
	.anomalies = A(PIPELINING_VIOLATION),
	.is_smtp = 1, .helo = HELO_C, .helo_verb = 2, .banner = MX_BANNER,
	.ext = EXT_PLAIN, .commands = 5, .tx_count = 1, .last_reply = 221,
	.tx = { { "a@b.example", 1, 1, 0, 250, 1, 0, "c@d.example" } },
},
{
	.name = "pregreet",
	.handshake = 1,
	.steps = {
		C("EHLO early.example\r\n"),
		S("220 mx.example.net ESMTP\r\n250-mx.example.net\r\n250 PIPELINING\r\n"),
		C("QUIT\r\n"), S("221 Bye\r\n"),
	},
	.anomalies = A(PREGREET),
	.is_smtp = 1, .helo = "early.example", .helo_verb = 2,
	.banner = "220 mx.example.net ESMTP", .ext = E(PIPELINING),
	.commands = 2, .last_reply = 221,
},
{
	.name = "pregreet_partial_banner",
	.handshake = 1,
	.steps = {
		S("220 mx.exa"), C("HELO early.example\r\n"),
		S("mple.net ESMTP\r\n250 mx\r\n"),
	},
	.anomalies = A(PREGREET),
	.is_smtp = 1, .helo = "early.example", .helo_verb = 1,
	.banner = "220 mx.example.net ESMTP", .commands = 1, .last_reply = 250,
},
{
	.name = "no_pregreet_without_handshake",
	.steps = {
		C("EHLO early.example\r\n"),
		S("220 mx.example.net ESMTP\r\n250-mx.example.net\r\n250 PIPELINING\r\n"),
	},
	.is_smtp = 1, .helo = "early.example", .helo_verb = 2,
	.banner = "220 mx.example.net ESMTP", .ext = E(PIPELINING),
	.commands = 1, .last_reply = 250,
},
{
	.name = "no_pregreet_after_first_banner_line",
	.handshake = 1,
	.steps = {
		S("220-mx.example.net ESMTP\r\n"), C("HELO h.example\r\n"),
		S("220 no UCE\r\n250 mx\r\n"),
	},
	.is_smtp = 1, .helo = "h.example", .helo_verb = 1,
	.banner = "220-mx.example.net ESMTP", .commands = 1, .last_reply = 250,
},
{
	/* Exim PIPE_CONNECT client talks first; RCPT/DATA refused; body-less
	 * DATA lines are then unknown commands (zeek smtp-mail-transactions-invalid). */
	.name = "invalid_transactions",
	.handshake = 1,
	.steps = {
		C("EHLO Bob-PC\r\n"),
		S("220 tinkyx390 ESMTP Exim 4.94.2 Mon, 27 Mar 2023 17:17:37 +0200\r\n"
		  "250-tinkyx390 Hello localhost [127.0.0.1]\r\n250-SIZE 52428800\r\n"
		  "250-8BITMIME\r\n250-PIPELINING\r\n250-PIPE_CONNECT\r\n"
		  "250-CHUNKING\r\n250-STARTTLS\r\n250-PRDR\r\n250 HELP\r\n"),
		C("MAIL FROM:<bob@example.org>\r\n"), S("250 OK\r\n"),
		C("RCPT TO:<alice@example.org>\r\n"), S("250 Accepted\r\n"),
		C("DATA\r\n"),
		S("354 Enter message, ending with \".\" on a line by itself\r\n"),
		C("Hello, Alice (1)\r\n"), C(".\r\n"),
		S("250 OK id=1pgobK-001mwq-ED\r\n"),
		C("RCPT TO:<alice@example.org>\r\n"), S("503 sender not yet given\r\n"),
		C("DATA\r\n"),
		S("503-All RCPT commands were rejected with this error:\r\n"
		  "503-503 sender not yet given\r\n"
		  "503 valid RCPT command must precede DATA\r\n"),
		C("Hello, Alice (2)\r\n"), S("500 unrecognized command\r\n"),
		C(".\r\n"), S("500 unrecognized command\r\n"),
		C("MAIL FROM:<bob@example.org>\r\n"), S("250 OK\r\n"),
		C("DATA\r\n"), S("503 valid RCPT command must precede DATA\r\n"),
		C("Hello, Alice (3)\r\n"), S("500 unrecognized command\r\n"),
		C(".\r\n"), S("500 unrecognized command\r\n"),
		C("DATA\r\n"), S("503 valid RCPT command must precede DATA\r\n"),
		C("Hello, Alice (4)\r\n"), S("500 unrecognized command\r\n"),
		C(".\r\n"), S("500 unrecognized command\r\n"),
		C("MAIL FROM:<bob@example.org>\r\n"), S("503 sender already given\r\n"),
		C("RCPT TO:<alice@example.org>\r\n"), S("250 Accepted\r\n"),
		C("DATA\r\n"),
		S("354 Enter message, ending with \".\" on a line by itself\r\n"),
		C("Hello, Alice... do you still like me?\r\n"), C(".\r\n"),
		S("250 OK id=1pgobM-001mwq-Vc\r\n"),
		C("QUIT\r\n"), S("221 tinkyx390 closing connection\r\n"),
	},
	.anomalies = A(PREGREET) | A(UNKNOWN_COMMAND),
	.is_smtp = 1, .helo = "Bob-PC", .helo_verb = 2,
	.banner = "220 tinkyx390 ESMTP Exim 4.94.2 Mon, 27 Mar 2023 17:17:37 +0200",
	.ext = E(SIZE) | E(8BITMIME) | E(PIPELINING) | E(PIPE_CONNECT) |
	       E(CHUNKING) | E(STARTTLS) | E(HELP),
	.commands = 13, .tx_count = 4, .last_reply = 221,
	.tx = {
		{ "bob@example.org", 1, 1, 0, 250, 1, 0, "alice@example.org" },
		{ NULL, 0, 0, 0, 503, 1, 1, "alice@example.org" },
		{ "bob@example.org", 1, 0, 0, 503, 0, 0, NULL },
		{ "bob@example.org", 1, 1, 0, 250, 1, 0, "alice@example.org" },
	},
},
{
	.name = "rcpt_rejected_pipelined_group",
	.handshake = 1,
	.steps = {
		BANNER, EHLO_PIPE,
		C("MAIL FROM:<a@b.example>\r\nRCPT TO:<x@one.example>\r\n"
		  "RCPT TO:<y@two.example>\r\nRCPT TO:<z@three.example>\r\nDATA\r\n"),
		S("250 2.1.0 Ok\r\n"
		  "550 5.1.1 <x@one.example>: Recipient address rejected\r\n"
		  "250 2.1.5 Ok\r\n450 4.2.0 <z@three.example>: greylisted\r\n"
		  "354 go ahead\r\n"),
		C("hi\r\n.\r\nQUIT\r\n"), S("250 queued\r\n221 Bye\r\n"),
	},
	.is_smtp = 1, .helo = HELO_C, .helo_verb = 2, .banner = MX_BANNER,
	.ext = EXT_PIPE, .commands = 7, .tx_count = 1, .last_reply = 221,
	.tx = { { "a@b.example", 1, 1, 0, 250, 3, 2,
		  "x@one.example|y@two.example|z@three.example" } },
},
{
	.name = "body_looks_like_commands",
	.handshake = 1,
	.steps = {
		BANNER, EHLO_PIPE,
		C("MAIL FROM:<a@b.example>\r\nRCPT TO:<c@d.example>\r\nDATA\r\n"),
		S("250 Ok\r\n250 Ok\r\n354 go\r\n"),
		C("MAIL FROM:<x@y>\r\nRCPT TO:<evil@z>\r\nQUIT\r\nGET / HTTP/1.0\r\n"
		  "Host: x\r\nbare\nnul\0byte\r\n..\r\n.foo\r\nend.\r\n\r\n"),
		C_REP("0123456789", 200),
		C("\r\nXYZZY\r\n.\r\n"),
		S("250 queued\r\n"),
	},
	.is_smtp = 1, .helo = HELO_C, .helo_verb = 2, .banner = MX_BANNER,
	.ext = EXT_PIPE, .commands = 4, .tx_count = 1, .last_reply = 250,
	.tx = { { "a@b.example", 1, 1, 0, 250, 1, 0, "c@d.example" } },
},
{
	.name = "empty_body",
	.steps = {
		BANNER, C("HELO h\r\n"), S("250 mx\r\n"),
		C("MAIL FROM:<a@b>\r\n"), S("250 Ok\r\n"),
		C("RCPT TO:<c@d>\r\n"), S("250 Ok\r\n"),
		C("DATA\r\n"), S("354 go\r\n"),
		C(".\r\n"), S("554 5.6.0 empty message\r\n"),
		C("QUIT\r\n"), S("221 Bye\r\n"),
	},
	.is_smtp = 1, .helo = "h", .helo_verb = 1,
	.banner = MX_BANNER, .commands = 5, .tx_count = 1, .last_reply = 221,
	.tx = { { "a@b", 1, 1, 0, 554, 1, 0, "c@d" } },
},
{
	.name = "body_ends_at_lf_dot_lf",
	.steps = {
		BANNER, C("HELO h\r\n"), S("250 mx\r\n"),
		C("MAIL FROM:<a@b>\r\n"), S("250 Ok\r\n"),
		C("RCPT TO:<c@d>\r\n"), S("250 Ok\r\n"),
		C("DATA\r\n"), S("354 go\r\n"),
		C("one\n.\n"), S("250 queued\r\n"),
		C("QUIT\r\n"), S("221 Bye\r\n"),
	},
	.is_smtp = 1, .helo = "h", .helo_verb = 1,
	.banner = MX_BANNER, .commands = 5, .tx_count = 1, .last_reply = 221,
	.tx = { { "a@b", 1, 1, 0, 250, 1, 0, "c@d" } },
},
{
	/* The client did not wait for 354: its bytes are body anyway. */
	.name = "body_before_354",
	.steps = {
		BANNER, C("HELO h\r\n"), S("250 mx\r\n"),
		C("MAIL FROM:<a@b>\r\n"), S("250 Ok\r\n"),
		C("RCPT TO:<c@d>\r\n"), S("250 Ok\r\n"),
		C("DATA\r\n"), C("RSET\r\n.\r\n"),
		S("354 go\r\n"), S("250 queued\r\n"),
		C("QUIT\r\n"), S("221 Bye\r\n"),
	},
	.is_smtp = 1, .helo = "h", .helo_verb = 1,
	.banner = MX_BANNER, .commands = 5, .tx_count = 1, .last_reply = 221,
	.tx = { { "a@b", 1, 1, 0, 250, 1, 0, "c@d" } },
},
{
	.name = "bdat_chunks_with_command_text",
	.handshake = 1,
	.steps = {
		BANNER, EHLO_PIPE,
		C("MAIL FROM:<a@b.example>\r\n"), S("250 Ok\r\n"),
		C("RCPT TO:<c@d.example>\r\n"), S("250 Ok\r\n"),
		/* 30 octets: 20 + 6 + 4, the chunk ends mid-"line" */
		C("BDAT 30\r\nMAIL FROM:<evil@x>\r\nQUIT\r\nABCD"),
		S("250 2.0.0 Ok: 30 octets\r\n"),
		C("bdat 12 last\r\nDATA\r\nRSET\r\n"), S("250 2.0.0 Ok: queued\r\n"),
		/* the tx closed with LAST: this RCPT opens a MAIL-less one */
		C("RCPT TO:<late@x.example>\r\n"), S("503 5.5.1 need MAIL\r\n"),
		C("QUIT\r\n"), S("221 Bye\r\n"),
	},
	.is_smtp = 1, .helo = HELO_C, .helo_verb = 2, .banner = MX_BANNER,
	.ext = EXT_PIPE, .commands = 7, .tx_count = 2, .last_reply = 221,
	.tx = {
		{ "a@b.example", 1, 1, 0, 250, 1, 0, "c@d.example" },
		{ NULL, 0, 0, 0, 503, 1, 1, "late@x.example" },
	},
},
{
	.name = "bdat_0_last",
	.steps = {
		BANNER, EHLO_PIPE,
		C("MAIL FROM:<zeek@localhost>\r\n"), S("250 Ok\r\n"),
		C("RCPT TO:<root@localhost>\r\n"), S("250 Ok\r\n"),
		C("BDAT 0 LAST\r\n"), S("250 2.0.0 Ok: 0 bytes queued\r\n"),
		C("QUIT\r\n"), S("221 Bye\r\n"),
	},
	.is_smtp = 1, .helo = HELO_C, .helo_verb = 2, .banner = MX_BANNER,
	.ext = EXT_PIPE, .commands = 5, .tx_count = 1, .last_reply = 221,
	.tx = { { "zeek@localhost", 1, 1, 0, 250, 1, 0, "root@localhost" } },
},
#define BDAT_BAD(nm, line)                                                    \
{                                                                             \
	.name = nm,                                                           \
	.steps = {                                                            \
		BANNER, EHLO_PIPE,                                            \
		C("MAIL FROM:<zeek@localhost>\r\n"), S("250 Ok\r\n"),         \
		C("RCPT TO:<root@localhost>\r\n"), S("250 Ok\r\n"),           \
		C(line), S("521 5.5.4 Syntax: BDAT count [LAST]\r\n"),        \
		C("QUIT\r\n"), S("221 Bye\r\n"),                              \
	},                                                                    \
	.anomalies = A(BDAT_INVALID),                                         \
	.is_smtp = 1, .helo = HELO_C, .helo_verb = 2, .banner = MX_BANNER,    \
	.ext = EXT_PIPE, .commands = 5, .tx_count = 1, .last_reply = 221,     \
	.tx = { { "zeek@localhost", 1, 0, 0, 521, 1, 0, "root@localhost" } }, \
}
BDAT_BAD("bdat_missing_size", "BDAT\r\n"),
BDAT_BAD("bdat_negative", "BDAT -5\r\n"),
BDAT_BAD("bdat_overflow", "BDAT 15555555557777777777 LAST\r\n"),
BDAT_BAD("bdat_overflow2", "BDAT 184467440737095516150 LAST\r\n"),
BDAT_BAD("bdat_junk_suffix", "BDAT 12x\r\n"),
BDAT_BAD("bdat_junk_word", "BDAT 1234 SCRAMBLE\r\n"),
{
	/* Absurd but valid: everything after is chunk data, QUIT included. */
	.name = "bdat_int64_max_is_valid",
	.steps = {
		BANNER, EHLO_PIPE,
		C("MAIL FROM:<a@b>\r\n"), S("250 Ok\r\n"),
		C("RCPT TO:<c@d>\r\n"), S("250 Ok\r\n"),
		C("BDAT 9223372036854775807\r\nQUIT\r\nXYZZY\r\n"),
	},
	.is_smtp = 1, .helo = HELO_C, .helo_verb = 2, .banner = MX_BANNER,
	.ext = EXT_PIPE, .commands = 4, .tx_count = 1, .last_reply = 250,
	.tx = { { "a@b", 1, 1, 0, 250, 1, 0, "c@d" } },
},
{
	.name = "bdat_gap_inside_chunk",
	.steps = {
		BANNER, EHLO_PIPE,
		C("MAIL FROM:<a@b>\r\n"), S("250 Ok\r\n"),
		C("RCPT TO:<c@d>\r\n"), S("250 Ok\r\n"),
		C("BDAT 100 LAST\r\n0123456789012345678901234567890123456789"),
		GAP(C2S, 50),
		C("0123456789QUIT\r\n"),
		S("250 Ok: queued\r\n221 Bye\r\n"),
	},
	.is_smtp = 1, .helo = HELO_C, .helo_verb = 2, .banner = MX_BANNER,
	.ext = EXT_PIPE, .commands = 5, .tx_count = 1, .last_reply = 221,
	.tx = { { "a@b", 1, 1, 0, 250, 1, 0, "c@d" } },
},
{
	/* The gap eats the chunk's end and part of the next line. */
	.name = "bdat_gap_past_chunk",
	.steps = {
		BANNER, EHLO_PIPE,
		C("MAIL FROM:<a@b>\r\n"), S("250 Ok\r\n"),
		C("RCPT TO:<c@d>\r\n"), S("250 Ok\r\n"),
		C("BDAT 100 LAST\r\n0123456789012345678901234567890123456789"),
		GAP(C2S, 1000),
		C("IL FROM:<x@y>\r\nQUIT\r\n"),
		S("250 Ok: queued\r\n221 Bye\r\n"),
	},
	.is_smtp = 1, .helo = HELO_C, .helo_verb = 2, .banner = MX_BANNER,
	.ext = EXT_PIPE, .commands = 5, .tx_count = 1, .last_reply = 221,
	.tx = { { "a@b", 1, 1, 0, 250, 1, 0, "c@d" } },
},
{
	/* The MAIL line is cut: its tail must not become a command. */
	.name = "gap_mid_line",
	.steps = {
		BANNER, EHLO_PIPE,
		C("MAIL FROM:<lo"), GAP(C2S, 7),
		C("ample.org>\r\nRCPT TO:<c@d.example>\r\n"),
		S("250 Ok\r\n"),
	},
	.is_smtp = 1, .helo = HELO_C, .helo_verb = 2, .banner = MX_BANNER,
	.ext = EXT_PIPE, .commands = 2, .tx_count = 1, .last_reply = 250,
	.tx = { { NULL, 0, 0, 0, 250, 1, 0, "c@d.example" } },
},
{
	.name = "gap_in_body_and_server_line",
	.steps = {
		BANNER, C("EHLO h\r\n"),
		S("250-mx\r\n250-SIZE 1000\r\n250-PIPEL"), GAP(S2C, 10),
		S("DSN\r\n"), GAP(S2C, 10), /* "250-ETRN\r\n" lost whole */
		S("250 8BITMIME\r\n"),
		C("MAIL FROM:<a@b>\r\n"), S("250 Ok\r\n"),
		C("RCPT TO:<c@d>\r\n"), S("250 Ok\r\n"),
		C("DATA\r\n"), S("354 go\r\n"),
		/* after the gap "." is not known to start a line */
		C("hello\r\n"), GAP(C2S, 100), C(".\r\nQUIT\r\n.\r\n"),
		S("250 queued\r\n"),
		C("QUIT\r\n"), S("221 Bye\r\n"),
	},
	.is_smtp = 1, .helo = "h", .helo_verb = 2, .banner = MX_BANNER,
	.ext = E(SIZE) | E(8BITMIME), .commands = 5, .tx_count = 1,
	.last_reply = 221,
	.tx = { { "a@b", 1, 1, 0, 250, 1, 0, "c@d" } },
},
{
	.name = "bare_lf",
	.steps = { BANNER, C("HELO h.example\n"), S("250 mx\r\n") },
	.anomalies = A(BARE_LF),
	.is_smtp = 1, .helo = "h.example", .helo_verb = 1, .banner = MX_BANNER,
	.commands = 1, .last_reply = 250,
},
{
	/* A CR not before LF is content; an empty bare-LF line is ignored. */
	.name = "cr_inside_line_and_empty_lines",
	.steps = {
		BANNER, C("\n"), S("500 5.5.2 Error: bad syntax\r\n"),
		C("\r\n"), S("500 5.5.2 Error: bad syntax\r\n"),
		C("HELO a\rb\r\r\n"), S("250 mx\r\n"),
	},
	.is_smtp = 1, .helo = "a\rb\r", .helo_verb = 1, .banner = MX_BANNER,
	.commands = 1, .last_reply = 250,
},
{
	.name = "nul_byte",
	.steps = { BANNER, C("HELO a\0b\r\n"), S("250 mx\r\n") },
	.anomalies = A(NUL_BYTE),
	.is_smtp = 1, .helo = "a", .helo_verb = 1, .banner = MX_BANNER,
	.commands = 1, .last_reply = 250, .extra = extra_nul,
},
{
	.name = "nul_byte_past_16",
	.steps = { BANNER, C("HELO abcdefghijklmnopqrstu\0vwxyz\r\n"), S("250 mx\r\n") },
	.anomalies = A(NUL_BYTE),
	.is_smtp = 1, .helo = "abcdefghijklmnopqrstu", .helo_verb = 1, .banner = MX_BANNER,
	.commands = 1, .last_reply = 250, .extra = extra_nul_far,
},
{
	/* A NUL after the line's LF, in the same segment, is the next
	 * line's: the HELO line keeps all its 30 bytes (two commands in
	 * one segment without PIPELINING: a violation too). */
	.name = "nul_byte_in_next_line",
	.steps = {
		BANNER, C("HELO abcdefghijklmnopqrstuvwxyz0123\r\nNOOP x\0y\r\n"),
		S("250 mx\r\n250 ok\r\n"),
	},
	.anomalies = A(NUL_BYTE) | A(PIPELINING_VIOLATION),
	.is_smtp = 1, .helo = "abcdefghijklmnopqrstuvwxyz0123", .helo_verb = 1,
	.banner = MX_BANNER, .commands = 2, .last_reply = 250,
},
{
	.name = "line_64k",
	.handshake = 1,
	.steps = {
		BANNER, C("EHLO h\r\n"), S("250 mx\r\n"),
		C_REP("A", 65536), C("\r\n"),
		S("500 5.5.2 Error: line too long\r\n"),
		C("QUIT\r\n"), S("221 Bye\r\n"),
	},
	.anomalies = A(LONG_LINE) | A(UNKNOWN_COMMAND),
	.is_smtp = 1, .helo = "h", .helo_verb = 2, .banner = MX_BANNER,
	.commands = 2, .last_reply = 221,
},
{
	.name = "long_helo_truncated",
	.steps = {
		BANNER, C("EHLO "), C_REP("h", 600), C("\r\n"), S("250 mx\r\n"),
	},
	.anomalies = A(LONG_LINE),
	.is_smtp = 1, .helo = NULL /* see extra */, .helo_verb = 2,
	.banner = MX_BANNER, .commands = 1, .last_reply = 250,
	.extra = extra_long_helo,
},
{
	/* 510 + CRLF = 512: at the limit, not over it. */
	.name = "line_at_limit_is_clean",
	.steps = {
		BANNER, C("NOOP "), C_REP("x", 505), C("\r\n"), S("250 Ok\r\n"),
	},
	.is_smtp = 1, .banner = MX_BANNER, .commands = 1, .last_reply = 250,
},
{
	.name = "line_one_over_limit",
	.steps = {
		BANNER, C("NOOP "), C_REP("x", 506), C("\r\n"), S("250 Ok\r\n"),
	},
	.anomalies = A(LONG_LINE),
	.is_smtp = 1, .banner = MX_BANNER, .commands = 1, .last_reply = 250,
},
{
	.name = "unknown_command",
	.steps = {
		BANNER, C("XYZZY\r\n"), S("502 5.5.2 Error: command not recognized\r\n"),
		C("GETX / HTTP/1.0\r\n"), S("502 5.5.2 Error\r\n"),
	},
	.anomalies = A(UNKNOWN_COMMAND),
	.is_smtp = 1, .banner = MX_BANNER, .last_reply = 502,
},
{
	/* Servers answer unknown and empty lines too: replies stay aligned. */
	.name = "unknown_and_empty_lines_keep_replies_aligned",
	.steps = {
		BANNER, EHLO_PIPE,
		C("MAIL FROM:<a@b>\r\nXYZZY\r\n\r\nRCPT TO:<c@d>\r\n"),
		S("250 Ok\r\n502 5.5.2 Error: command not recognized\r\n"
		  "500 5.5.2 Error: bad syntax\r\n250 Ok\r\n"),
	},
	.anomalies = A(UNKNOWN_COMMAND),
	.is_smtp = 1, .helo = HELO_C, .helo_verb = 2, .banner = MX_BANNER,
	.ext = EXT_PIPE, .commands = 3, .tx_count = 1, .last_reply = 250,
	.tx = { { "a@b", 1, 0, 0, 250, 1, 0, "c@d" } },
},
{
	.name = "non_smtp_command",
	.steps = {
		BANNER, C("GET / HTTP/1.0\r\n"), S("502 5.5.2 Error\r\n"),
		C("User-Agent: curl/8.0\r\n"), S("502 5.5.2 Error\r\n"),
		C("post /x HTTP/1.1\r\n"), S("502 5.5.2 Error\r\n"),
	},
	.anomalies = A(NON_SMTP_COMMAND),
	.is_smtp = 1, .banner = MX_BANNER, .last_reply = 502,
},
{
	.name = "starttls_injection_same_chunk",
	.steps = {
		BANNER, EHLO_PIPE,
		C("STARTTLS\r\nRSET\r\n"), S("220 2.0.0 Ready to start TLS\r\n"),
		C("EHLO hidden.example\r\n"),
	},
	.anomalies = A(STARTTLS_INJECTION),
	.is_smtp = 1, .tls = 1, .helo = HELO_C, .helo_verb = 2,
	.banner = MX_BANNER, .ext = EXT_PIPE, .commands = 3, .last_reply = 220,
},
{
	.name = "starttls_injection_later_chunk",
	.steps = {
		BANNER, EHLO_PIPE,
		C("STARTTLS\r\n"), C("MAIL FROM:<x@y>\r\n"),
		S("220 2.0.0 Ready to start TLS\r\n"), S("250 Ok\r\n"),
	},
	.anomalies = A(STARTTLS_INJECTION),
	.is_smtp = 1, .tls = 1, .helo = HELO_C, .helo_verb = 2,
	.banner = MX_BANNER, .ext = EXT_PIPE, .commands = 3, .tx_count = 1,
	.last_reply = 220,
	.tx = { { "x@y", 1, 0, 0, 0, 0, 0, NULL } },
},
{
	.name = "starttls_220_stops_parsing",
	.steps = {
		BANNER, EHLO_PIPE,
		C("STARTTLS\r\n"), S("220 2.0.0 Ready to start TLS\r\n"),
		C("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"),
		S("\x16\x03\x03\x00\x5a\x02\x00\x00\x56"),
		C("EHLO hidden.example\r\nMAIL FROM:<secret@x>\r\n"),
		S("250 hidden\r\n"),
	},
	.is_smtp = 1, .tls = 1, .helo = HELO_C, .helo_verb = 2,
	.banner = MX_BANNER, .ext = EXT_PIPE, .commands = 2, .last_reply = 220,
},
{
	.name = "starttls_refused_continues",
	.steps = {
		BANNER, EHLO_PLAIN,
		C("STARTTLS\r\n"), S("454 4.7.0 TLS not available\r\n"),
		C("MAIL FROM:<a@b>\r\n"), S("250 Ok\r\n"),
	},
	.is_smtp = 1, .helo = HELO_C, .helo_verb = 2, .banner = MX_BANNER,
	.ext = EXT_PLAIN, .commands = 3, .tx_count = 1, .last_reply = 250,
	.tx = { { "a@b", 1, 0, 0, 250, 0, 0, NULL } },
},
{
	/* No server side: the ClientHello after STARTTLS means TLS. */
	.name = "starttls_one_sided_tls",
	.steps = {
		C("EHLO h\r\nSTARTTLS\r\n"),
		C("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"),
		C("MAIL FROM:<x@y>\r\n"),
	},
	.is_smtp = 1, .tls = 1, .helo = "h", .helo_verb = 2, .commands = 2,
},
{
	/* Only the byte right after STARTTLS may start a ClientHello. */
	.name = "starttls_one_sided_hello_byte_later",
	.steps = { C("EHLO h\r\nSTARTTLS\r\n"), C("NOOP\r\nx\x16\x03\r\n") },
	.anomalies = A(STARTTLS_INJECTION) | A(UNKNOWN_COMMAND),
	.is_smtp = 1, .helo = "h", .helo_verb = 2, .commands = 3,
},
{
	.name = "starttls_one_sided_plaintext",
	.steps = { C("EHLO h\r\nSTARTTLS\r\nNOOP\r\n") },
	.anomalies = A(STARTTLS_INJECTION),
	.is_smtp = 1, .helo = "h", .helo_verb = 2, .commands = 3,
},
{
	.name = "multiline_replies_and_extensions",
	.steps = {
		S("220-mx.example.net ESMTP\r\n220-no UCE\r\n220 here\r\n"),
		S("not a reply line\r\n25 short\r\n2500 long\r\n"),
		C("HELO h\r\n"), S("250-PIPELINING\r\n250 mx\r\n"),
		C("EHLO h\r\n"),
		S("250-mx.example.net says hi\r\n250-AUTH=LOGIN PLAIN\r\n"
		  "250-size 1000\r\n250-NO-SOLICITING net.example:ORG\r\n"
		  "250-PIPE_CONNECT\r\n250-X-UNKNOWN-EXT\r\n250-XFORWARD NAME ADDR\r\n"
		  "250-LIMITS RCPTMAX=100\r\n250 SMTPUTF8\r\n"),
		C("HELP\r\n"), S("214-DSN\r\n214 PIPELINING\r\n"),
	},
	.is_smtp = 1, .helo = "h", .helo_verb = 2,
	.banner = "220-mx.example.net ESMTP",
	.ext = E(AUTH) | E(SIZE) | E(NO_SOLICITING) | E(PIPE_CONNECT) |
	       E(XFORWARD) | E(LIMITS) | E(SMTPUTF8),
	.commands = 3, .last_reply = 214,
},
{
	.name = "banner_truncated",
	.steps = {
		S("220 "), S_REP("b", 300), S("\r\n"), C("QUIT\r\n"), S("221 Bye\r\n"),
	},
	.is_smtp = 1, .banner = NULL /* see extra */, .commands = 1,
	.last_reply = 221, .extra = extra_banner_long,
},
{
	.name = "auth_login_exchange",
	.handshake = 1,
	.steps = {
		S("220-xc90.websitewelcome.com ESMTP Exim 4.69 #1 Mon, 05 Oct 2009 01:05:54 -0500 \r\n"
		  "220-We do not authorize the use of this system to transport unsolicited, \r\n"
		  "220 and/or bulk e-mail.\r\n"),
		C("EHLO GP\r\n"),
		S("250-xc90.websitewelcome.com Hello GP [122.162.143.157]\r\n"
		  "250-SIZE 52428800\r\n250-PIPELINING\r\n250-AUTH PLAIN LOGIN\r\n"
		  "250-STARTTLS\r\n250 HELP\r\n"),
		C("AUTH LOGIN\r\n"), S("334 VXNlcm5hbWU6\r\n"),
		C("Z3VycGFydGFwQHBhdHJpb3RzLmlu\r\n"), S("334 UGFzc3dvcmQ6\r\n"),
		C("cHVuamFiQDEyMw==\r\n"), S("235 Authentication succeeded\r\n"),
		C("MAIL FROM: <gurpartap@patriots.in>\r\n"), S("250 OK\r\n"),
		C("RCPT TO: <raj_deol2002in@yahoo.co.in>\r\n"), S("250 Accepted\r\n"),
		C("DATA\r\n"),
		S("354 Enter message, ending with \".\" on a line by itself\r\n"),
		C("From: \"Gurpartap Singh\" <gurpartap@patriots.in>\r\n\r\nhi\r\n.\r\n"),
		S("250 OK id=1Mugho-0003Dg-Un\r\n"),
		C("QUIT\r\n"), S("221 xc90.websitewelcome.com closing connection\r\n"),
	},
	.is_smtp = 1, .helo = "GP", .helo_verb = 2,
	.banner = "220-xc90.websitewelcome.com ESMTP Exim 4.69 #1 Mon, 05 Oct 2009 01:05:54 -0500 ",
	.auth = "LOGIN",
	.ext = E(SIZE) | E(PIPELINING) | E(AUTH) | E(STARTTLS) | E(HELP),
	.commands = 6, .tx_count = 1, .last_reply = 221,
	.tx = { { "gurpartap@patriots.in", 1, 1, 0, 250, 1, 0,
		  "raj_deol2002in@yahoo.co.in" } },
},
{
	/* Initial response: no 334, so a later base64 line is a command. */
	.name = "auth_plain_then_unknown",
	.steps = {
		BANNER, EHLO_PIPE,
		C("AUTH plain AHVzZXIAcGFzcw==\r\n"), S("235 2.7.0 Authentication successful\r\n"),
		C("dGVzdA==\r\n"), S("502 5.5.2 Error\r\n"),
	},
	.anomalies = A(UNKNOWN_COMMAND),
	.is_smtp = 1, .helo = HELO_C, .helo_verb = 2, .banner = MX_BANNER,
	.auth = "PLAIN", .ext = EXT_PIPE, .commands = 2, .last_reply = 502,
},
{
	/* After a 334 even a verb-looking line is a response. */
	.name = "auth_response_looks_like_verb",
	.steps = {
		BANNER, EHLO_PIPE,
		C("AUTH CRAM-MD5-EXTRA-LONG-MECHANISM\r\n"), S("334 PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2U+\r\n"),
		C("QUIT\r\n"), S("535 5.7.8 Error: authentication failed\r\n"),
		C("QUIT\r\n"), S("221 Bye\r\n"),
	},
	.is_smtp = 1, .helo = HELO_C, .helo_verb = 2, .banner = MX_BANNER,
	.auth = "CRAM-MD5-EXTRA-LONG-", .ext = EXT_PIPE, .commands = 3,
	.last_reply = 221,
},
{
	.name = "auth_one_sided",
	.steps = {
		C("EHLO h\r\nAUTH LOGIN\r\n"), C("dXNlcg==\r\n"), C("cGFzcw==\r\n"),
		C("MAIL FROM:<a@b>\r\n"), C("Zm9v\r\n"),
	},
	.anomalies = A(UNKNOWN_COMMAND),
	.is_smtp = 1, .helo = "h", .helo_verb = 2, .auth = "LOGIN",
	.commands = 3, .tx_count = 1,
	.tx = { { "a@b", 1, 0, 0, 0, 0, 0, NULL } },
},
{
	.name = "http_connect_probe",
	.probe = 1, .handshake = 1,
	.steps = {
		C("CONNECT mailin03.sul.t-online.de:25 / HTTP/1.0\r\n"
		  "Mozilla 4.0 (compatible; MSIE 5.01; Windows NT 5.0)\r\n\r\n"),
		S("HTTP/1.0 200 Connection established\r\n\r\n"),
		S("220 mailin03.sul.t-online.de T-Online ESMTP receiver fssmtpd ready.\r\n"),
		C("HELO 208.191.73.21\r\n"), S("250 Ok.\r\n"),
		C("MAIL FROM:<nhfjenna_neumann@lycos.com>\r\n"), S("250 Ok.\r\n"),
		C("RCPT TO:<thenightwatch@t-online.de>\r\n"), S("250 Ok.\r\n"),
		C("DATA\r\n"), S("354 Ok, start with data.\r\n"),
		C("From: Sybille <nhfjenna_neumann@lycos.com>\r\n\r\nhi\r\n.\r\n"),
		S("250 Message accepted.\r\n"),
		C("QUIT\r\n"), S("221 bye\r\n"),
	},
	.is_smtp = 1, .helo = "208.191.73.21", .helo_verb = 1,
	.banner = "220 mailin03.sul.t-online.de T-Online ESMTP receiver fssmtpd ready.",
	.commands = 5, .tx_count = 1, .last_reply = 221,
	.tx = { { "nhfjenna_neumann@lycos.com", 1, 1, 0, 250, 1, 0,
		  "thenightwatch@t-online.de" } },
},
{
	.name = "http_connect_probe_reply_and_banner_one_segment",
	.probe = 1, .handshake = 1,
	.steps = {
		C("CONNECT mx.example:25 HTTP/1.0\r\n\r\n"),
		S("HTTP/1.0 200 OK\r\n\r\n220 mx.example ESMTP\r\n"),
		C("EHLO c.example\r\n"), S("250 mx\r\n"),
	},
	.is_smtp = 1, .helo = "c.example", .helo_verb = 2,
	.banner = "220 mx.example ESMTP", .commands = 1, .last_reply = 250,
},
{
	.name = "probe_banner_is_evidence",
	.probe = 1, .handshake = 1,
	.steps = {
		S("220 mx.example ESMTP\r\n"), C("NOOP\r\n"), S("250 Ok\r\n"),
	},
	.is_smtp = 1, .banner = "220 mx.example ESMTP", .commands = 1,
	.last_reply = 250,
},
{
	.name = "socks5_probe",
	.probe = 1, .handshake = 1,
	.steps = {
		C("\x05\x01\x00"), S("\x05\x00"),
		C("\x05\x01\x00\x03\x0e" "010.000.00.003" "\x00\x19"),
		S("\x05\x00\x00\x01\x0a\x00\x00\x01\xd1\xcd"),
		S("220 xxxxxxxx.xxxxxxxxxx.xx ESMTP Exim 4.80 Tue, 26 Nov 2013 14:03:57 +0000\r\n"),
		C("EHLO User\r\n"),
		S("250-xxxxxxxx.xxxxxxxxxx.xx Hello xxxxxxxxx.xxxxxxxxxxxxx.xxx [10.000.000.02]\r\n"
		  "250-SIZE 52428800\r\n250-8BITMIME\r\n250-PIPELINING\r\n"
		  "250-STARTTLS\r\n250 HELP\r\n"),
		C("AUTH LOGIN\r\n"), S("503 AUTH command used when not advertised\r\n"),
	},
	.is_smtp = 1, .helo = "User", .helo_verb = 2,
	.banner = "220 xxxxxxxx.xxxxxxxxxx.xx ESMTP Exim 4.80 Tue, 26 Nov 2013 14:03:57 +0000",
	.auth = "LOGIN",
	.ext = E(SIZE) | E(8BITMIME) | E(PIPELINING) | E(STARTTLS) | E(HELP),
	.commands = 2, .last_reply = 503,
},
{
	.name = "probe_not_smtp_stays_silent",
	.probe = 1, .handshake = 1,
	.steps = {
		C("GET / HTTP/1.1\r\nHost: x\r\nMAIL FROM:<a@b>\r\n\r\n"),
		S("HTTP/1.1 200 OK\r\n\r\n<p>220 hello</p>\r\n"),
		C("\x00\x01\x02"),
	},
},
{
	.name = "probe_client_helo_is_evidence",
	.probe = 1, .handshake = 1,
	.steps = {
		C("XYZZY\r\n"), C("EHLO c.example\r\n"), C("MAIL FROM:<a@b>\r\n"),
	},
	.is_smtp = 1, .helo = "c.example", .helo_verb = 2, .commands = 2,
	.tx_count = 1, .tx = { { "a@b", 1, 0, 0, 0, 0, 0, NULL } },
},
{
	/* zeek smtp-one-side-only: no server direction at all. */
	.name = "one_sided_data",
	.steps = {
		C("ehlo enzo.icir.org\r\nmail FROM:<robin@icir.org> size=9030\r\n"
		  "rcpt TO:<robin@icir.org>\r\ndata\r\nFrom: robin@icir.org\r\n"
		  "Subject: Hello1!\r\n\r\nRCPT TO:<no@x>\r\n.\r\n"),
		C("mail FROM:<robin@icir.org> size=9030\r\nrcpt TO:<rsommer@lbl.gov>\r\n"
		  "data\r\nXXXX\r\n.\r\nquit\r\n"),
	},
	.is_smtp = 1, .helo = "enzo.icir.org", .helo_verb = 2, .commands = 8,
	.tx_count = 2,
	.tx = {
		{ "robin@icir.org", 1, 1, 0, 0, 1, 0, "robin@icir.org" },
		{ "robin@icir.org", 1, 1, 0, 0, 1, 0, "rsommer@lbl.gov" },
	},
},
{
	.name = "address_forms",
	.steps = {
		C("HELO h\r\nMAIL FROM:<>\r\nRCPT TO:<postmaster@x.example>\r\nRSET\r\n"),
		C("MAIL FROM:<a@b.example> SIZE=100 BODY=8BITMIME\r\n"
		  "RCPT TO:<c@d.example> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;c@d.example\r\nRSET\r\n"),
		C("MAIL FROM: <e@f.example>\r\nRCPT TO: <g@h.example>\r\nRSET\r\n"),
		C("mail from:i@j.example SIZE=5\r\nrcpt to:k@l.example\r\nRSET\r\n"),
		C("MAIL FROM:<@relay1.example,@relay2.example:m@n.example>\r\n"
		  "RCPT TO:<@hop.example:o@p.example>\r\nRSET\r\n"),
		C("MAIL FROM:<\"q r\"@s.example>\r\nRCPT TO:<\"t>u\"@v.example>\r\nRSET\r\n"),
		C("MAIL FROM:<\"a\\\"> b\"@x.example> SIZE=1\r\n"
		  "RCPT TO:<k@l.example NOTIFY=NEVER\r\nQUIT\r\n"),
	},
	.is_smtp = 1, .helo = "h", .helo_verb = 1, .commands = 22, .tx_count = 7,
	.tx = {
		{ "", 1, 0, 0, 0, 1, 0, "postmaster@x.example" },
		{ "a@b.example", 1, 0, 0, 0, 1, 0, "c@d.example" },
		{ "e@f.example", 1, 0, 0, 0, 1, 0, "g@h.example" },
		{ "i@j.example", 1, 0, 0, 0, 1, 0, "k@l.example" },
		{ "m@n.example", 1, 0, 0, 0, 1, 0, "o@p.example" },
		{ "\"q r\"@s.example", 1, 0, 0, 0, 1, 0, "\"t>u\"@v.example" },
		{ "\"a\\\"> b\"@x.example", 1, 0, 0, 0, 1, 0, "k@l.example" },
	},
},
{
	.name = "helo_last_and_tx_boundaries",
	.steps = {
		BANNER, C("HELO first.example\r\n"), S("250 mx\r\n"),
		C("MAIL FROM:<a@b>\r\n"), S("250 Ok\r\n"),
		C("EHLO  second.example  \r\n"), S("250 mx\r\n"),
		C("RCPT TO:<c@d>\r\n"), S("503 5.5.1 need MAIL\r\n"),
		C("MAIL FROM:<e@f>\r\n"), S("250 Ok\r\n"),
		C("MAIL FROM:<g@h>\r\n"), S("503 5.5.1 nested MAIL\r\n"),
	},
	.is_smtp = 1, .helo = "second.example  ", .helo_verb = 2,
	.banner = MX_BANNER, .commands = 6, .tx_count = 4, .last_reply = 503,
	.tx = {
		{ "a@b", 1, 0, 0, 250, 0, 0, NULL },
		{ NULL, 0, 0, 0, 503, 1, 1, "c@d" },
		{ "e@f", 1, 0, 0, 250, 0, 0, NULL },
		{ "g@h", 1, 0, 0, 503, 0, 0, NULL },
	},
},
{
	.name = "arena_exhaustion",
	.steps = {
		C("HELO h\r\nMAIL FROM:<s@x.example>\r\n"),
		C_REP("RCPT TO:<" ADDR100 ">\r\n", 40),
		C("RCPT TO:<z@z>\r\nQUIT\r\n"),
	},
	.is_smtp = 1, .helo = "h", .helo_verb = 1, .commands = 44, .tx_count = 1,
	.tx = { { "s@x.example", 1, 0, 1, 0, 41, 0, J20 "|z@z" } },
	.extra = extra_arena,
},
{
	.name = "max_rcpt",
	.steps = {
		C("HELO h\r\nMAIL FROM:<s@x>\r\n"),
		C_REP("RCPT TO:<u@x>\r\n", 40),
	},
	.is_smtp = 1, .helo = "h", .helo_verb = 1, .commands = 42, .tx_count = 1,
	.tx = { { "s@x", 1, 0, 1, 0, 40, 0,
		  "u@x|u@x|u@x|u@x|u@x|u@x|u@x|u@x|u@x|u@x|u@x|u@x|u@x|u@x|u@x|u@x|"
		  "u@x|u@x|u@x|u@x|u@x|u@x|u@x|u@x|u@x|u@x|u@x|u@x|u@x|u@x|u@x|u@x" } },
	.extra = extra_max_rcpt,
},
{
	.name = "more_tx_than_stored",
	.steps = {
		BANNER, EHLO_PIPE,
		C_REP("MAIL FROM:<a@b.example>\r\nRCPT TO:<c@d.example>\r\nDATA\r\n"
		      "Subject: x\r\n\r\nbody\r\n.\r\n", 10),
		S_REP("250 Ok\r\n250 Ok\r\n354 go\r\n250 queued\r\n", 10),
		C("QUIT\r\n"), S("221 Bye\r\n"),
	},
	.is_smtp = 1, .helo = HELO_C, .helo_verb = 2, .banner = MX_BANNER,
	.ext = EXT_PIPE, .commands = 32, .tx_count = 10, .last_reply = 221,
#define TX_OK { "a@b.example", 1, 1, 0, 250, 1, 0, "c@d.example" }
	.tx = { TX_OK, TX_OK, TX_OK, TX_OK, TX_OK, TX_OK, TX_OK, TX_OK },
#undef TX_OK
	.extra = extra_many_tx,
},
{
	/* More outstanding commands than the queue holds: bounded, no crash. */
	.name = "queue_overflow",
	.steps = {
		BANNER, EHLO_PIPE,
		C_REP("NOOP\r\n", 40), S_REP("250 2.0.0 Ok\r\n", 40),
		C("MAIL FROM:<a@b>\r\n"), S("250 Ok\r\n"),
	},
	.is_smtp = 1, .helo = HELO_C, .helo_verb = 2, .banner = MX_BANNER,
	.ext = EXT_PIPE, .commands = 42, .tx_count = 1, .last_reply = 250,
	.tx = { { "a@b", 1, 0, 0, 250, 0, 0, NULL } },
},
};

/* ---- runner ------------------------------------------------------------ */

static uint8_t step_buf[1u << 20];

static uint32_t rng_next(uint32_t *st)
{
	uint32_t x = *st;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	*st = x;
	return x;
}

/* seed 0: whole steps; 1: one byte at a time; other: random chunks. */
static void feed_step(struct dp_smtp_session *s, const struct step *st,
		      uint32_t seed, uint32_t *rng)
{
	uint32_t n = 0, r, off, k;

	for (r = 0; r < st->repeat; r++) {
		CHECK(n + st->len <= sizeof(step_buf));
		memcpy(step_buf + n, st->bytes, st->len);
		n += st->len;
	}
	for (off = 0; off < n; off += k) {
		if (seed == 0)
			k = n;
		else if (seed == 1)
			k = 1;
		else
			k = 1 + rng_next(rng) % ((rng_next(rng) & 1) ? 7 : 700);
		if (k > n - off)
			k = n - off;
		dp_smtp_feed(s, st->dir, step_buf + off, k);
	}
}

static void run_script(struct dp_smtp_session *s, const struct smtp_case *c,
		       uint32_t seed)
{
	struct dp_smtp_init_params p = {
		.on_smtp_port = !c->probe,
		.handshake_seen = c->handshake,
	};
	uint32_t rng = seed * 2654435761u + 1;
	unsigned i;

	/* dp_smtp_init must not depend on what the memory held before: it
	 * leaves strings and arrays uncleared. One fill for every run keeps
	 * the record comparisons below byte-exact. */
	memset(s, 0xa5, sizeof(*s));
	dp_smtp_init(s, &p);
	for (i = 0; i < MAX_STEPS && c->steps[i].kind != STEP_END; i++) {
		if (c->steps[i].kind == STEP_GAP)
			dp_smtp_gap(s, c->steps[i].dir, c->steps[i].len);
		else
			feed_step(s, &c->steps[i], seed, &rng);
	}
	dp_smtp_finish(s);
}

static void join_rcpts(const struct dp_smtp_session *s, const struct dp_smtp_tx *t,
		       char *out, size_t cap)
{
	size_t n = 0;
	unsigned i;

	out[0] = '\0';
	for (i = 0; i < t->rcpt_stored; i++) {
		struct dp_smtp_str r = s->rcpt[t->rcpt_first + i];

		if (n + r.len + 2 > cap)
			break;
		if (i)
			out[n++] = '|';
		memcpy(out + n, dp_smtp_str_ptr(s, r), r.len);
		n += r.len;
		out[n] = '\0';
	}
}

static const char *or_empty(const char *p)
{
	return p ? p : "";
}

static void check_record(const struct dp_smtp_session *s, const struct smtp_case *c)
{
	unsigned i, stored = c->tx_count < DP_SMTP_MAX_TX ? c->tx_count : DP_SMTP_MAX_TX;

	CHECK_EQ_INT(s->anomalies, c->anomalies);
	CHECK_EQ_INT(s->is_smtp, c->is_smtp);
	CHECK_EQ_INT(s->tls, c->tls);
	if (c->helo || !c->extra)
		CHECK_EQ_STR(s->helo, or_empty(c->helo));
	CHECK_EQ_INT(s->helo_verb, c->helo_verb);
	if (c->banner || !c->extra)
		CHECK_EQ_STR(s->banner, or_empty(c->banner));
	CHECK_EQ_INT(s->banner_len, strlen(s->banner));
	CHECK_EQ_STR(s->auth, or_empty(c->auth));
	CHECK_EQ_INT(s->ext_mask, c->ext);
	CHECK_EQ_INT(s->commands, c->commands);
	CHECK_EQ_INT(s->tx_count, c->tx_count);
	CHECK_EQ_INT(s->tx_stored, stored);
	CHECK_EQ_INT(s->last_reply, c->last_reply);
	for (i = 0; i < stored; i++) {
		const struct dp_smtp_tx *t = &s->tx[i];
		const struct tx_want *w = &c->tx[i];
		char got[DP_SMTP_ARENA + DP_SMTP_MAX_RCPT + 1];
		char from[DP_SMTP_ARENA + 1];

		memcpy(from, dp_smtp_str_ptr(s, t->mail_from), t->mail_from.len);
		from[t->mail_from.len] = '\0';
		CHECK_EQ_STR(from, or_empty(w->mail_from));
		CHECK_EQ_INT(t->has_mail_from, w->has_mail_from);
		CHECK_EQ_INT(t->data, w->data);
		CHECK_EQ_INT(t->truncated, w->truncated);
		CHECK_EQ_INT(t->last_reply, w->last_reply);
		CHECK_EQ_INT(t->rcpt_count, w->rcpt_count);
		CHECK_EQ_INT(t->rcpt_rejected, w->rcpt_rejected);
		join_rcpts(s, t, got, sizeof(got));
		CHECK_EQ_STR(got, or_empty(w->rcpt));
	}
	/* memory stays fixed whatever the input */
	CHECK(s->arena_used <= DP_SMTP_ARENA);
	CHECK(s->rcpt_used <= DP_SMTP_MAX_RCPT);
	CHECK(s->helo_len <= DP_SMTP_HELO_MAX);
	CHECK(s->banner_len <= DP_SMTP_BANNER_MAX);
	CHECK(s->line[0].len <= DP_SMTP_LINE_MAX && s->line[1].len <= DP_SMTP_LINE_MAX);
	CHECK(s->q_len <= DP_SMTP_QUEUE);
	if (c->extra)
		c->extra(s);
}

/* The record: the scalars before the parser state, and the strings and
 * arrays from helo up to the line buffers. */
static int record_differs(const struct dp_smtp_session *a, const struct dp_smtp_session *b)
{
	size_t s0 = offsetof(struct dp_smtp_session, probing);
	size_t a0 = offsetof(struct dp_smtp_session, helo);
	size_t a1 = offsetof(struct dp_smtp_session, line_buf);

	return memcmp(a, b, s0) != 0 || memcmp((const char *)a + a0, (const char *)b + a0, a1 - a0) != 0;
}

static struct dp_smtp_session whole, chunked, again;

static int run_case(const struct smtp_case *c)
{
	static const uint32_t seeds[] = { 1, 2, 3, 77, 1234 };
	static char label[160];
	unsigned i;

	snprintf(label, sizeof(label), "%s/whole", c->name);
	check_case = label;
	run_script(&whole, c, 0);
	check_record(&whole, c);

	/* dp_smtp_finish is idempotent */
	again = whole;
	dp_smtp_finish(&again);
	CHECK(memcmp(&again, &whole, sizeof(whole)) == 0);

	if (c->probe)
		return 1;
	for (i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++) {
		snprintf(label, sizeof(label), "%s/chunks-%u", c->name, (unsigned)seeds[i]);
		check_case = label;
		run_script(&chunked, c, seeds[i]);
		check_record(&chunked, c);
		CHECK(!record_differs(&chunked, &whole));
	}
	return 1 + (int)i;
}

static void test_ext_names(void)
{
	unsigned e;

	check_case = "ext_names";
	CHECK_EQ_STR(dp_smtp_ext_name(DP_SMTP_EXT_PIPELINING), "PIPELINING");
	CHECK_EQ_STR(dp_smtp_ext_name(DP_SMTP_EXT_8BITMIME), "8BITMIME");
	CHECK_EQ_STR(dp_smtp_ext_name(DP_SMTP_EXT_NO_SOLICITING), "NO-SOLICITING");
	CHECK_EQ_STR(dp_smtp_ext_name(DP_SMTP_EXT_PIPE_CONNECT), "PIPE_CONNECT");
	CHECK_EQ_STR(dp_smtp_ext_name(DP_SMTP_EXT_XEXCH50), "XEXCH50");
	CHECK(dp_smtp_ext_name(DP_SMTP_EXT_COUNT) == NULL);
	CHECK(dp_smtp_ext_name(~0u) == NULL);
	for (e = 0; e < DP_SMTP_EXT_COUNT; e++)
		CHECK(dp_smtp_ext_name(e) != NULL && dp_smtp_ext_name(e)[0] != '\0');
}

/* NULL and out-of-range arguments are ignored, not crashes. */
static void test_robustness(void)
{
	struct dp_smtp_init_params p = { .on_smtp_port = 1 };
	static const uint8_t helo[] = "HELO h\r\n";

	check_case = "robustness";
	dp_smtp_init(&whole, &p);
	dp_smtp_feed(NULL, C2S, helo, 8);
	dp_smtp_feed(&whole, C2S, NULL, 8);
	dp_smtp_feed(&whole, 7, helo, 8);
	dp_smtp_gap(NULL, C2S, 1);
	dp_smtp_gap(&whole, -1, 1);
	dp_smtp_gap(&whole, C2S, 0);
	dp_smtp_finish(NULL);
	CHECK_EQ_INT(whole.commands, 0);
	/* after a gap the next line may be a tail: skipped, no anomaly */
	dp_smtp_gap(&whole, C2S, UINT64_MAX);
	dp_smtp_feed(&whole, C2S, (const uint8_t *)"ample.org>\r\n", 12);
	CHECK_EQ_INT(whole.commands, 0);
	/* ... but a line that starts with a verb is a command */
	dp_smtp_gap(&whole, C2S, 5);
	dp_smtp_feed(&whole, C2S, helo, 8);
	CHECK_EQ_INT(whole.commands, 1);
	CHECK_EQ_INT(whole.anomalies, 0);
	CHECK_EQ_STR(whole.helo, "h");
}

int main(void)
{
	unsigned i;
	int runs = 0;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		runs += run_case(&cases[i]);
	test_ext_names();
	test_robustness();
	printf("%u cases, %d script runs\n", (unsigned)(sizeof(cases) / sizeof(cases[0])), runs);
	CHECK_DONE();
}
