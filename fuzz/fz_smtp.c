/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fz_smtp: dp_smtp record checks (see fz_smtp.h). Reads the session only.
 */
#include <stdio.h>
#include <string.h>

#include "fz_smtp.h"
#include "fz_util.h"

/* The record's scalars come first, up to the parser state. */
#define RECORD_SCALARS offsetof(struct dp_smtp_session, probing)

FZ_NO_COVERAGE void fz_smtp_check(const struct dp_smtp_session *s)
{
	FZ_CHECK(s->helo_len <= DP_SMTP_HELO_MAX && s->helo[s->helo_len] == '\0');
	FZ_CHECK(s->banner_len <= DP_SMTP_BANNER_MAX && s->banner[s->banner_len] == '\0');
	FZ_CHECK(memchr(s->auth, '\0', sizeof(s->auth)) != NULL);
	FZ_CHECK(s->helo_verb <= 2);
	FZ_CHECK(s->tx_stored <= DP_SMTP_MAX_TX && s->tx_stored <= s->tx_count);
	FZ_CHECK(s->rcpt_used <= DP_SMTP_MAX_RCPT);
	FZ_CHECK(s->arena_used <= DP_SMTP_ARENA);
	FZ_CHECK(s->q_len <= DP_SMTP_QUEUE && s->q_head < DP_SMTP_QUEUE);
	FZ_CHECK(s->tx_cur <= DP_SMTP_MAX_TX);
	for (int d = 0; d < 2; d++)
		FZ_CHECK(s->line[d].len <= DP_SMTP_LINE_MAX);
	for (uint32_t i = 0; i < s->tx_stored; i++) {
		const struct dp_smtp_tx *t = &s->tx[i];

		FZ_CHECK((uint32_t)t->mail_from.off + t->mail_from.len <= s->arena_used);
		FZ_CHECK((uint32_t)t->rcpt_first + t->rcpt_stored <= s->rcpt_used);
		FZ_CHECK(t->rcpt_stored <= t->rcpt_count);
		for (uint32_t k = 0; k < t->rcpt_stored; k++) {
			struct dp_smtp_str a = s->rcpt[t->rcpt_first + k];

			FZ_CHECK((uint32_t)a.off + a.len <= s->arena_used);
		}
	}
}

FZ_NO_COVERAGE static int tx_same(const struct dp_smtp_tx *a, const struct dp_smtp_tx *b)
{
	return a->mail_from.off == b->mail_from.off && a->mail_from.len == b->mail_from.len &&
	       a->has_mail_from == b->has_mail_from && a->data == b->data &&
	       a->truncated == b->truncated && a->last_reply == b->last_reply &&
	       a->rcpt_first == b->rcpt_first && a->rcpt_stored == b->rcpt_stored &&
	       a->rcpt_count == b->rcpt_count && a->rcpt_rejected == b->rcpt_rejected;
}

FZ_NO_COVERAGE int fz_smtp_same(const struct dp_smtp_session *a, const struct dp_smtp_session *b)
{
	if (memcmp(a, b, RECORD_SCALARS) || memcmp(a->helo, b->helo, a->helo_len) ||
	    memcmp(a->banner, b->banner, a->banner_len) || strcmp(a->auth, b->auth) ||
	    memcmp(a->rcpt, b->rcpt, a->rcpt_used * sizeof(a->rcpt[0])) ||
	    memcmp(a->arena, b->arena, a->arena_used))
		return 0;
	for (uint32_t i = 0; i < a->tx_stored; i++)
		if (!tx_same(&a->tx[i], &b->tx[i]))
			return 0;
	return 1;
}

void fz_smtp_diff(const struct dp_smtp_session *a, const struct dp_smtp_session *b)
{
#define DIFF(f)                                                                 \
	if (a->f != b->f)                                                      \
		fprintf(stderr, "  " #f ": %llu vs %llu\n", (unsigned long long)a->f, \
			(unsigned long long)b->f)
	DIFF(helo_len); DIFF(helo_verb); DIFF(tls); DIFF(banner_len); DIFF(is_smtp);
	DIFF(ext_mask); DIFF(commands); DIFF(anomalies); DIFF(tx_count); DIFF(tx_stored);
	DIFF(rcpt_used); DIFF(arena_used); DIFF(last_reply);
#undef DIFF
	if (a->helo_len == b->helo_len && memcmp(a->helo, b->helo, a->helo_len))
		fprintf(stderr, "  helo: \"%s\" vs \"%s\"\n", a->helo, b->helo);
	if (a->banner_len == b->banner_len && memcmp(a->banner, b->banner, a->banner_len))
		fprintf(stderr, "  banner: \"%s\" vs \"%s\"\n", a->banner, b->banner);
	if (strcmp(a->auth, b->auth))
		fprintf(stderr, "  auth: \"%s\" vs \"%s\"\n", a->auth, b->auth);
	for (uint32_t i = 0; i < a->tx_stored && i < b->tx_stored; i++)
		if (!tx_same(&a->tx[i], &b->tx[i]))
			fprintf(stderr, "  tx[%u] differs\n", i);
	if (a->arena_used == b->arena_used && memcmp(a->arena, b->arena, a->arena_used))
		fprintf(stderr, "  arena differs\n");
}
