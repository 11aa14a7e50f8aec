/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * gen_plan: what a session will say. Kind, port and manners are chosen
 * when it starts; everything else (names, addresses, how many recipients
 * and what the server answers each, message sizes, AUTH mechanisms) is a
 * hash of the session's seed, a tag and an index, recomputed whenever the
 * dialogue needs it. Nothing is stored, so a session's state stays small
 * and a replay without packets says exactly the same. No state of its
 * own; single-threaded use by the scheduler's sessions.
 */
#ifndef GEN_PLAN_H
#define GEN_PLAN_H

#include <stddef.h>
#include <stdint.h>

#include "gen_body.h"
#include "gen_sess.h"

/* Hash tags: one per kind of choice. */
enum gen_plan_tag {
	GEN_T_KIND = 1, GEN_T_FLAG, GEN_T_NTX, GEN_T_HELO, GEN_T_CDOM, GEN_T_MAIL,
	GEN_T_NRCPT, GEN_T_RCPT, GEN_T_RCODE, GEN_T_BODY, GEN_T_EOD, GEN_T_NAUTH,
	GEN_T_AUTH, GEN_T_SCAN, GEN_T_HTTP, GEN_T_QID,
};

enum gen_auth_mech { GEN_AM_LOGIN = 0, GEN_AM_LOGIN_IR, GEN_AM_PLAIN };

/* Kind, port, flags and counts of a fresh session (seed, client, server set). */
void gen_plan_choose(struct gen_sess *s, const struct gen_sess_env *e,
		     const struct gen_client *cl, const struct gen_server *srv);

uint64_t gen_plan_hash(const struct gen_sess *s, uint32_t tag, uint32_t idx);

/* Recipients of transaction @tx, and the server's answer to recipient @j. */
uint32_t gen_plan_rcpts(const struct gen_sess *s, unsigned tx);
int gen_plan_rcpt_code(const struct gen_sess *s, unsigned tx, unsigned j);
/* Some recipient of @tx is accepted. */
int gen_plan_accepted(const struct gen_sess *s, unsigned tx);

/* HELO argument of greeting @idx (GEN_NAME_MAX bytes); returns its length. */
size_t gen_plan_helo(const struct gen_turn *c, char *buf, unsigned idx);
/* Sender of @tx: bare address (GEN_ADDR_MAX) and reverse-path as sent (GEN_NAME_MAX). */
void gen_plan_mail_from(const struct gen_turn *c, unsigned tx, char *bare, char *path);
/* Recipient @j of @tx, bare (GEN_ADDR_MAX). */
void gen_plan_rcpt_to(const struct gen_turn *c, unsigned tx, unsigned j, char *bare);
/* Target size of @tx's message. */
uint32_t gen_plan_body_size(const struct gen_sess *s, unsigned tx);
/* Mechanism of AUTH try @try (enum gen_auth_mech). */
unsigned gen_plan_auth_mech(const struct gen_sess *s, unsigned try);

/*
 * Layout of the current transaction's message, and its header block into
 * @hdr (GEN_BODY_HDR_MAX bytes) when @hdr is not NULL; without @hdr the
 * header length remembered from the last formatting is used.
 */
void gen_plan_message(struct gen_turn *c, int data_end, struct gen_msg *ret, char *hdr);

#endif
