/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * gen_sess: one synthetic TCP connection, advanced a turn at a time. A
 * turn is what one side sends before it waits for the other (a flight),
 * and returns the time of the next turn. The session keeps ~80 bytes of
 * state: every dialogue choice is a hash of its seed (gen_rng.h), so the
 * same session can be replayed without packets (gen_sess_expect) to learn
 * the record mxscreen-dp must produce for it, and a million live sessions
 * cost a million small structs. Timing and TCP segmentation come from a
 * separate stream and never change what is said.
 *
 * This module runs the transport: handshake, bulk transfers (message
 * bodies, TLS data) with ACKs, TLS, teardown. gen_smtp.c runs the SMTP
 * dialogue through struct gen_turn below. Single-threaded; the scheduler
 * owns the sessions.
 */
#ifndef GEN_SESS_H
#define GEN_SESS_H

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>

#include "gen_body.h"
#include "gen_tls.h"
#include "gen_truth.h"
#include "gen_wire.h"
#include "gen_world.h"

#define GEN_SESS_DONE UINT64_MAX
#define GEN_SESS_SCRATCH (160u << 10)

enum gen_kind {
	GEN_K_MTA = 0,   /* legitimate sender, port 25 (maybe STARTTLS) */
	GEN_K_BOT,       /* spam bot: pregreet, pipelining, bare LF, odd HELO */
	GEN_K_DICT,      /* dictionary attack: many RCPT, mostly 550 */
	GEN_K_AUTH,      /* AUTH LOGIN/PLAIN guessing, 535 */
	GEN_K_SCAN,      /* VRFY/EXPN and unknown commands */
	GEN_K_HTTP,      /* HTTP GET / CONNECT on port 25 */
	GEN_K_SUBMIT,    /* port 587, STARTTLS */
	GEN_K_SMTPS,     /* port 465, TLS from the first byte */
	GEN_K_HTTPS,     /* background TLS on port 443: never a record */
	GEN_K_COUNT
};

/* Shared by all sessions of one generator. */
struct gen_sess_env {
	const struct gen_world *world;
	const struct gen_body *body;
	const struct gen_tls *tls;
	struct gen_wire *wire;      /* NULL: say everything, send nothing */
	struct gen_truth *truth;    /* where gen_sess_expect accumulates */
	uint8_t *scratch;           /* GEN_SESS_SCRATCH bytes */
	int adversarial;
};

/* Plan choices (flags). */
#define GEN_F_PIPE 0x0001u      /* pipelines when PIPELINING is offered */
#define GEN_F_PIPE_VIOL 0x0002u /* pipelines whatever is offered */
#define GEN_F_HELO 0x0004u      /* HELO rather than EHLO */
#define GEN_F_PREGREET 0x0008u  /* greets before the banner */
#define GEN_F_BARELF 0x0010u    /* command lines end in LF alone */
#define GEN_F_DOUBLE 0x0020u    /* greets twice, with two names */
#define GEN_F_STARTTLS 0x0040u  /* uses STARTTLS when offered */
#define GEN_F_RST 0x0080u       /* ends with RST */
#define GEN_F_NOQUIT 0x0100u    /* closes without QUIT */
#define GEN_F_RSET 0x0200u      /* RSET before QUIT */
#define GEN_F_BDAT 0x0400u      /* BDAT when CHUNKING is offered */
#define GEN_F_CONFLICT 0x0800u  /* a retransmission with other bytes */
#define GEN_F_EARLY 0x1000u     /* HTTP: talks before the banner */
#define GEN_F_SIZE 0x2000u      /* MAIL FROM carries SIZE= */
#define GEN_F_SLOPPY 0x4000u    /* lower-case verbs, "FROM: <a>" */

/* Progress bits. */
#define GEN_B_BANNER 0x01u      /* the banner has been sent */
#define GEN_B_EARLY 0x02u       /* the client greeted before it */
#define GEN_B_EHLO 0x04u        /* the last greeting was EHLO */
#define GEN_B_CDATA 0x08u       /* the client has sent data */
#define GEN_B_BULK_S 0x10u      /* the bulk transfer runs server to client */

enum gen_phase {
	GEN_PH_SYN = 0, GEN_PH_SYNACK, GEN_PH_ACK, GEN_PH_EARLY, GEN_PH_BANNER,
	GEN_PH_CMD, GEN_PH_REPLY, GEN_PH_BULK, GEN_PH_BULK_ACK, GEN_PH_TLS,
	GEN_PH_CLOSE, GEN_PH_DONE,
};

/* What the client does next (GEN_PH_CMD). */
enum gen_stage {
	GEN_G_GREET = 0, GEN_G_STARTTLS, GEN_G_AUTH, GEN_G_SCAN, GEN_G_MAIL,
	GEN_G_RCPT, GEN_G_DATA, GEN_G_BDAT, GEN_G_RSET, GEN_G_QUIT, GEN_G_HTTP,
	GEN_G_END,
};

/* What the server answers next (GEN_PH_REPLY). */
enum gen_pend {
	GEN_P_NONE = 0, GEN_P_GREET, GEN_P_STARTTLS, GEN_P_AUTH, GEN_P_SASL,
	GEN_P_SCAN, GEN_P_GROUP, GEN_P_DATA, GEN_P_EOD, GEN_P_BDAT, GEN_P_RSET,
	GEN_P_QUIT, GEN_P_HTTP,
};

/* Teardown steps (GEN_PH_CLOSE). */
enum gen_close {
	GEN_CL_C_FIN = 0,  /* client FIN after the server's */
	GEN_CL_C_RST,      /* client RST after the server's FIN */
	GEN_CL_S_ACK,      /* server's last ACK */
	GEN_CL_S_FIN,      /* server FIN after the client's */
	GEN_CL_C_ACK,      /* client's last ACK */
};

enum gen_bulk { GEN_BK_BODY = 0, GEN_BK_TLS };

struct gen_sess {
	uint64_t seed;          /* every dialogue choice is a hash of it */
	uint64_t rng;           /* timing and segmentation stream */
	struct gen_tcp tcp;
	uint32_t client;        /* world client index (GEN_K_HTTPS: host number) */
	uint32_t bulk_off;
	uint32_t bulk_len;
	uint16_t cport;
	uint16_t dport;
	uint16_t flags;         /* GEN_F_* */
	uint16_t item;          /* recipient, AUTH try, scan or TLS step */
	uint16_t pend_a;        /* first recipient a GEN_P_GROUP answers */
	uint16_t pend_n;        /* recipients it answers */
	uint16_t hdr_len;       /* header block of the body in flight */
	uint8_t kind;           /* enum gen_kind */
	uint8_t server;
	uint8_t phase;          /* enum gen_phase */
	uint8_t stage;          /* enum gen_stage */
	uint8_t pend;           /* enum gen_pend */
	uint8_t pend_f;         /* GEN_P_GROUP: 1 MAIL included, 2 DATA included */
	uint8_t sub;            /* AUTH step or enum gen_close */
	uint8_t tx;             /* current transaction */
	uint8_t n_tx;
	uint8_t bits;           /* GEN_B_* */
	uint8_t bulk;           /* enum gen_bulk */
	uint8_t n_auth;         /* AUTH tries, scan steps or TLS exchanges */
};

struct gen_sess_start {
	uint64_t seed;
	uint32_t client;
	uint32_t server;
	uint16_t client_port;
};

void gen_sess_init(struct gen_sess *s, const struct gen_sess_env *e,
		   const struct gen_sess_start *p);
/* A background HTTPS connection from host number @host. */
void gen_sess_init_https(struct gen_sess *s, uint64_t seed, uint32_t host,
			 uint16_t client_port);

/* Play the turn due at @now; returns when the next one is due, or GEN_SESS_DONE. */
uint64_t gen_sess_turn(struct gen_sess *s, const struct gen_sess_env *e, uint64_t now);

/* Does mxscreen-dp report this connection (an SMTP port)? */
int gen_sess_reported(const struct gen_sess *s);

/*
 * Replay a copy of @s (not yet started) without packets and write the
 * record it must produce to @f; @ts_us is its first packet. 0 or -errno.
 */
int gen_sess_expect(const struct gen_sess *s, const struct gen_sess_env *e,
		    uint64_t ts_us, FILE *f);

const char *gen_kind_name(unsigned kind);

/* ---- one turn in progress, for gen_smtp.c ---- */

struct gen_turn {
	struct gen_sess *s;
	const struct gen_sess_env *e;
	struct gen_truth *tr;       /* expectations being kept, or NULL */
	const struct gen_server *srv;
	struct gen_client cl;
	struct gen_flow flow;
	uint8_t *buf;               /* the flight being composed */
	uint32_t len;
	uint32_t lines;             /* non-empty lines in it */
	uint64_t t;                 /* time the turn started */
};

/*
 * Append a non-empty line (formatted) ending in @eol to the flight. When
 * the session replays without packets nothing is formatted: only the
 * lines are counted.
 */
void gen_turn_line(struct gen_turn *c, const char *eol, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void gen_turn_vline(struct gen_turn *c, const char *eol, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));
/* Append an empty line. */
void gen_turn_blank(struct gen_turn *c, const char *eol);
/* Send the flight from @side (then FIN if @fin); returns the time after it.
 * Adversarial segmentation cuts the first @tiny_head bytes (all: ~0u). */
uint64_t gen_turn_send(struct gen_turn *c, int side, int fin, uint32_t tiny_head,
		       uint32_t tiny_tail);
uint64_t gen_turn_ctl(struct gen_turn *c, int side, uint8_t flags);
/* Uniform in [lo, hi] from the timing stream (not for dialogue choices). */
uint32_t gen_turn_rand(struct gen_turn *c, uint32_t lo, uint32_t hi);
/* Time the client needs to answer a server flight ending at @t. */
uint64_t gen_turn_client_at(struct gen_turn *c, uint64_t t);

/* Start a bulk transfer of @len bytes from @side (GEN_PH_BULK next). */
void gen_sess_bulk(struct gen_sess *s, unsigned what, int side, uint32_t len);

#endif
