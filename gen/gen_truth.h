/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * gen_truth: the record a correct classifier must produce for one SMTP
 * connection, accumulated while a session replays its dialogue without
 * packets, then written as one NDJSON line whose field names follow
 * mxscreen-dp's records (README "What is a record"). It lists everything
 * the client sent, unbounded by the dataplane's storage limits
 * (transactions_total and rcpt_count say how many; truth_check.py applies
 * the documented bounds). One accumulator per generator, reused per
 * connection; single-threaded; fixed memory.
 */
#ifndef GEN_TRUTH_H
#define GEN_TRUTH_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct gen_truth;

struct gen_truth_conn {
	const char *kind;       /* dialogue kind, for people reading the file */
	uint64_t ts_us;         /* first packet */
	int family;
	const uint8_t *client;  /* 4 or 16 bytes */
	const uint8_t *server;
	uint16_t client_port;
	uint16_t server_port;
};

struct gen_truth *gen_truth_create(void);
void gen_truth_free(struct gen_truth *t);

/* Start a new connection's record (forgets the previous one). */
void gen_truth_begin(struct gen_truth *t, const struct gen_truth_conn *c);

void gen_truth_banner(struct gen_truth *t, const char *line, size_t n);
void gen_truth_helo(struct gen_truth *t, int ehlo, const char *arg, size_t n);
/* An EHLO reply line after the first: its keyword, if a record names it. */
void gen_truth_ext(struct gen_truth *t, const char *line);
void gen_truth_command(struct gen_truth *t);
void gen_truth_anomaly(struct gen_truth *t, unsigned anomaly);  /* enum mxs_anomaly */
void gen_truth_auth(struct gen_truth *t, const char *mech);
void gen_truth_tls(struct gen_truth *t);
void gen_truth_state(struct gen_truth *t, const char *state);

/* MAIL FROM with bare address @addr: a new transaction; returns its index. */
int gen_truth_mail(struct gen_truth *t, const char *addr, size_t n);
void gen_truth_rcpt(struct gen_truth *t, int tx, const char *addr, size_t n);
/* Reply @code to a command of transaction @tx (@rcpt: to a RCPT). */
void gen_truth_reply(struct gen_truth *t, int tx, int code, int rcpt);
/* A DATA body or BDAT chunk of @tx was sent. */
void gen_truth_data(struct gen_truth *t, int tx);

/* Write the record; 0 or -errno (-ENOSPC when a bound was exceeded). */
int gen_truth_write(struct gen_truth *t, FILE *f);

#endif
