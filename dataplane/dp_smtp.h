/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dp_smtp: passive SMTP dialogue parser, one value per connection holding a
 * state machine per direction and the connection's record. Pure C, no DPDK,
 * no allocation, no I/O: (state, bytes) -> state + record. Owned and called
 * only by the lcore that owns the connection.
 *
 * Client side: commands (HELO EHLO MAIL RCPT DATA BDAT RSET NOOP VRFY EXPN
 * HELP AUTH STARTTLS QUIT), case-insensitive verbs, DATA bodies skipped to
 * CRLF.CRLF, BDAT chunks skipped by exact length, AUTH exchanges skipped.
 * Server side: banner, multi-line replies, EHLO extensions, reply codes
 * matched to commands through a bounded pipelining-aware queue.
 * After STARTTLS is answered 220, nothing more is parsed (tls = 1).
 * Memory is fixed: long lines are truncated and flagged, strings live in a
 * fixed arena, excess transactions/recipients are counted, not stored.
 */
#ifndef DP_SMTP_H
#define DP_SMTP_H

#include <stddef.h>
#include <stdint.h>

#define DP_SMTP_LINE_MAX 512u     /* RFC 5321 command line, CRLF included */
#define DP_SMTP_HELO_MAX 255u
#define DP_SMTP_BANNER_MAX 128u
#define DP_SMTP_AUTH_MAX 20u
#define DP_SMTP_ARENA 2048u       /* mail_from and rcpt_to strings */
#define DP_SMTP_MAX_TX 8u         /* stored transactions */
#define DP_SMTP_MAX_RCPT 32u      /* stored recipient addresses, all tx */
#define DP_SMTP_QUEUE 32u         /* commands awaiting replies */

enum dp_smtp_dir { DP_SMTP_TO_SERVER = 0, DP_SMTP_TO_CLIENT = 1 };

/* Advertised extensions (EHLO reply keywords), record order. */
#define DP_SMTP_EXT_LIST(X)                                                   \
	X(PIPELINING) X(SIZE) X(8BITMIME) X(STARTTLS) X(AUTH) X(CHUNKING)     \
	X(BINARYMIME) X(SMTPUTF8) X(DSN) X(ENHANCEDSTATUSCODES) X(ETRN)       \
	X(DELIVERBY) X(HELP) X(VRFY) X(XCLIENT) X(XFORWARD) X(REQUIRETLS)    \
	X(MTRK) X(NO_SOLICITING) X(PIPE_CONNECT) X(LIMITS) X(XEXCH50)

enum dp_smtp_ext {
#define DP_SMTP_EXT_ENUM(e) DP_SMTP_EXT_##e,
	DP_SMTP_EXT_LIST(DP_SMTP_EXT_ENUM)
#undef DP_SMTP_EXT_ENUM
	DP_SMTP_EXT_COUNT
};
/* Name of extension @e as advertised ("8BITMIME", "NO-SOLICITING"). */
const char *dp_smtp_ext_name(unsigned e);

struct dp_smtp_str {
	uint16_t off;   /* into arena */
	uint16_t len;
};

struct dp_smtp_tx {
	struct dp_smtp_str mail_from; /* bare address; "" for the null sender */
	uint8_t has_mail_from;        /* 0: RCPT/DATA without MAIL */
	uint8_t data;                 /* a DATA body or BDAT chunk was sent */
	uint8_t truncated;            /* a string did not fit the arena */
	uint8_t pad;
	uint16_t last_reply;          /* last reply code to a command of this tx, 0 none */
	uint16_t rcpt_first;          /* index into rcpt[] */
	uint16_t rcpt_stored;         /* addresses stored in rcpt[] */
	uint16_t pad2;
	uint32_t rcpt_count;          /* RCPT commands sent, stored or not */
	uint32_t rcpt_rejected;       /* RCPTs answered 4xx/5xx */
};

/* Per-direction line machine; internal to dp_smtp.c, sized here. Its
 * bytes are in dp_smtp_session.line_buf: the state shares a cache line
 * with the session's other scalars, the buffer is cold. */
struct dp_smtp_line {
	uint16_t len;          /* bytes in line_buf[dir] */
	uint8_t overflow;      /* current line exceeded DP_SMTP_LINE_MAX */
	uint8_t saw_cr;        /* previous byte was CR */
	uint8_t nul;           /* NUL seen in current line */
	uint8_t resync;        /* after a gap: drop bytes up to the next LF */
};

struct dp_smtp_pending {
	uint8_t verb;          /* internal verb id */
	uint8_t tx;            /* tx index + 1, 0 none */
};

/*
 * Called for every complete envelope value as the client sends it, stored
 * in the record or not: @field is an enum mxs_field; HELO is the whole
 * argument (not truncated to DP_SMTP_HELO_MAX), MAIL FROM and RCPT TO the
 * bare address.
 */
typedef void (*dp_smtp_value_fn)(void *ctx, unsigned field, const char *p, size_t n);

/*
 * Laid out by temperature: the first cache line holds every scalar a
 * segment reads or writes (record counters, parser state, both line
 * machines), the second the reply queue; strings and arrays follow, and
 * the line buffers (only for lines split across segments) come last. The
 * record is the fields marked so; the rest is the parser's.
 */
struct dp_smtp_session {
	/* ---- record: scalars ---- */
	uint16_t helo_len;
	uint8_t helo_verb;               /* 0 none, 1 HELO, 2 EHLO */
	uint8_t tls;                     /* STARTTLS answered 220 */
	uint16_t banner_len;
	uint8_t is_smtp;                 /* dialogue looked like SMTP */
	uint8_t pad0;
	uint32_t ext_mask;               /* 1 << enum dp_smtp_ext */
	uint32_t commands;               /* client commands seen */
	uint32_t anomalies;              /* MXS_ANOMALY_BIT() */
	uint32_t tx_count;               /* transactions started, stored or not */
	uint16_t tx_stored;
	uint16_t rcpt_used;
	uint16_t arena_used;
	uint16_t last_reply;             /* last reply code seen, any command */

	/* ---- parser state (dp_smtp.c only) ---- */
	uint8_t probing;        /* not on an SMTP port: wait for SMTP evidence */
	uint8_t greet_known;    /* handshake seen: pregreet is meaningful */
	uint8_t server_seen;    /* any server bytes seen */
	uint8_t greeted;        /* server's first reply line complete */
	uint8_t cstate;         /* client state (command/body/bdat/auth/done) */
	uint8_t sstate;         /* server state */
	uint8_t tx_open;        /* tx[tx_cur] is open */
	uint8_t tx_cur;
	uint8_t pipelining;     /* PIPELINING advertised */
	uint8_t in_ehlo_reply;  /* parsing a multi-line EHLO reply */
	uint8_t starttls_wait;  /* STARTTLS sent, reply not yet seen; 2: bytes followed */
	uint8_t data_wait;      /* DATA sent, 354 not yet seen */
	uint8_t body_state;     /* CRLF.CRLF matcher position */
	uint8_t q_head;
	uint8_t q_len;
	uint8_t auth_active;
	uint8_t bdat_last;
	uint8_t client_started; /* some client byte was seen */
	struct dp_smtp_line line[2];
	uint8_t pad1[2];
	struct dp_smtp_pending q[DP_SMTP_QUEUE];
	uint64_t bdat_left;     /* chunk bytes still to skip */
	dp_smtp_value_fn on_value;
	void *value_ctx;

	/* ---- record: strings and arrays, valid up to their lengths and
	 * counts only (dp_smtp_init does not clear them) ---- */
	char helo[DP_SMTP_HELO_MAX + 1];  /* last HELO/EHLO argument, NUL-terminated */
	char banner[DP_SMTP_BANNER_MAX + 1]; /* server's first reply line, no CRLF */
	char auth[DP_SMTP_AUTH_MAX + 1]; /* AUTH mechanism, upper-case; "" none */
	struct dp_smtp_tx tx[DP_SMTP_MAX_TX];
	struct dp_smtp_str rcpt[DP_SMTP_MAX_RCPT];
	char arena[DP_SMTP_ARENA];

	/* ---- parser state, cold ---- */
	char line_buf[2][DP_SMTP_LINE_MAX];
};
_Static_assert(offsetof(struct dp_smtp_session, q) == 64,
	       "the scalars fill the first cache line, the reply queue the second");

struct dp_smtp_init_params {
	int on_smtp_port;   /* server port is a configured SMTP port */
	int handshake_seen; /* the TCP handshake was in the capture */
	dp_smtp_value_fn on_value; /* optional */
	void *value_ctx;
};

void dp_smtp_init(struct dp_smtp_session *s, const struct dp_smtp_init_params *p);

/*
 * Bytes of direction @dir, in stream order. @len may be any size, including
 * one byte at a time: results do not depend on how the stream is chunked
 * (except that, while probing, a chunk boundary also ends a line).
 */
void dp_smtp_feed(struct dp_smtp_session *s, int dir, const uint8_t *data,
		  uint32_t len);

/* @len bytes of direction @dir were lost: resynchronise at the next line. */
void dp_smtp_gap(struct dp_smtp_session *s, int dir, uint64_t len);

/* End of connection: close the open transaction. Idempotent. */
void dp_smtp_finish(struct dp_smtp_session *s);

/* Pointer/length of a stored string. */
static inline const char *dp_smtp_str_ptr(const struct dp_smtp_session *s,
					  struct dp_smtp_str str)
{
	return s->arena + str.off;
}

#endif
