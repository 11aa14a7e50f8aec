/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dp_eve: formats a connection record as one NDJSON line (Suricata-eve-like
 * names; see DESIGN.md "Records"). Pure C, writes only into the caller's
 * buffer; callable from any thread. Output is valid JSON and UTF-8 whatever
 * bytes the connection carried: invalid UTF-8 bytes are written as \u00XX.
 */
#ifndef DP_EVE_H
#define DP_EVE_H

#include <stddef.h>

#include "dp_conn.h"

/* Upper bound of one formatted record, newline included. */
#define DP_EVE_MAX 40960u

/*
 * Format @r into @buf (capacity @cap) followed by '\n'. Returns the length
 * written (no NUL is added), or 0 when @cap is too small (nothing usable).
 */
size_t dp_eve_format(char *buf, size_t cap, const struct dp_conn_record *r);

#endif
