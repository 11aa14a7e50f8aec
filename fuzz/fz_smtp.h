/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fz_smtp: checks on a dp_smtp session shared by the fuzz targets that
 * parse SMTP (fuzz_smtp directly, fuzz_decode through dp_conn): every
 * length and index of the record within its bound, and record equality
 * for the chunking-invariance check. Aborts through FZ_CHECK.
 */
#ifndef FZ_SMTP_H
#define FZ_SMTP_H

#include "dp_smtp.h"

/* The record's lengths, counts and string offsets are within bounds. */
void fz_smtp_check(const struct dp_smtp_session *s);

/* Whether @a and @b hold the same record (parser state not compared). */
int fz_smtp_same(const struct dp_smtp_session *a, const struct dp_smtp_session *b);

/* Print the record's differences to stderr (for a failed fz_smtp_same). */
void fz_smtp_diff(const struct dp_smtp_session *a, const struct dp_smtp_session *b);

#endif
