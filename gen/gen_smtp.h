/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * gen_smtp: the SMTP dialogues of gen_sess sessions: what each kind of
 * client says (legitimate MTAs with or without PIPELINING, STARTTLS,
 * BDAT; bots that pregreet, pipeline regardless, end lines in bare LF;
 * dictionary attacks; AUTH guessing; scanners; HTTP on port 25), what the
 * server answers, and, when a session is replayed for its expected
 * record, what a correct classifier must conclude from each line.
 * Anomalies are noted where the dialogue itself commits them, by their
 * RFC 5321/2920 meaning, not by mirroring any parser. Single-threaded,
 * no state of its own.
 */
#ifndef GEN_SMTP_H
#define GEN_SMTP_H

#include <stdint.h>

#include "gen_sess.h"

/* Play a GEN_PH_EARLY, GEN_PH_BANNER, GEN_PH_CMD or GEN_PH_REPLY turn. */
uint64_t gen_smtp_turn(struct gen_turn *c);

/* The client side's data ends: what the server answers next (after a body). */
void gen_smtp_body_done(struct gen_sess *s);

#endif
