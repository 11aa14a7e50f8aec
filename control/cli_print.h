/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * cli_print: mxscreenctl's one print path for text and JSON (the idea of
 * iproute2's print_string(PRINT_ANY, key, fmt, value)). A renderer makes
 * one sequence of calls; with json set they write JSON through ctl_jw,
 * otherwise human text:
 *   - an object is a "label: value" block, the values of consecutive
 *     scalars aligned, nested objects and tables indented under "label:";
 *   - an array of scalars is one "label: a, b, c" line (one cell in a row);
 *   - a table (cp_table_begin, rows of scalars, cp_table_end) is buffered
 *     and printed with column widths computed from every row: headers are
 *     the members' labels upper-cased, numeric columns right-aligned,
 *     absent cells "-", an empty table "(none)".
 * The label of a value is its key unless cp_label() set one for the next
 * call (a table header "ON" for member "enabled", say). A NULL @fmt makes
 * a value JSON-only; cp_only() restricts a run of calls to one mode.
 * In text mode @fmt formats the value (a printf format for exactly that
 * one argument); control characters in strings become '?', so a row stays
 * one line. Values are written when cp_finish is called in JSON mode, as
 * they come (tables: at cp_table_end) in text mode.
 * Errors (memory, JSON cap, nesting) are sticky and returned by cp_finish.
 * Single-threaded; no global state.
 */
#ifndef CLI_PRINT_H
#define CLI_PRINT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "ctl_json.h"

struct cli_print;

enum cp_where { CP_ANY = 0, CP_JSON, CP_TEXT };

/* Output to @out; JSON mode when @json. NULL when out of memory. */
struct cli_print *cp_create(FILE *out, bool json);
/* Emit what is pending (the JSON document and a newline) and flush @out:
 * 0, or the first error (-ENOMEM, -E2BIG, -EINVAL for unbalanced calls,
 * -EIO for a failed write). */
int cp_finish(struct cli_print *p);
void cp_free(struct cli_print *p);

bool cp_is_json(const struct cli_print *p);
/* Calls up to the next cp_only() apply only to that mode (CP_ANY: both). */
void cp_only(struct cli_print *p, enum cp_where w);
/* The text label (or table header) of the next value, object, array or
 * table instead of its key. */
void cp_label(struct cli_print *p, const char *label);

/* @key: member name; NULL inside arrays and for the top-level value. */
void cp_open_obj(struct cli_print *p, const char *key);
void cp_close_obj(struct cli_print *p);
void cp_open_arr(struct cli_print *p, const char *key);
void cp_close_arr(struct cli_print *p);
void cp_table_begin(struct cli_print *p, const char *key);
void cp_row_begin(struct cli_print *p);
void cp_row_end(struct cli_print *p);
void cp_table_end(struct cli_print *p);

/* A NULL @s is JSON null and text "-". */
void cp_str(struct cli_print *p, const char *key, const char *fmt, const char *s);
void cp_u64(struct cli_print *p, const char *key, const char *fmt, uint64_t v);
void cp_i64(struct cli_print *p, const char *key, const char *fmt, int64_t v);
void cp_dbl(struct cli_print *p, const char *key, const char *fmt, double v);
void cp_bool(struct cli_print *p, const char *key, bool v);       /* text yes/no */
void cp_null(struct cli_print *p, const char *key);               /* text "-" */

/*
 * DOM values (from a response), any of them absent (NULL) or null: JSON
 * copies them (absent: nothing), text renders them:
 *   cp_node  any value: scalars as such, objects as blocks, arrays of
 *            objects as tables, of scalars as lists;
 *   cp_dur   seconds as 45s, 2m05s, 1h02m, 3d04h; null "never";
 *   cp_time  seconds since the epoch as local "YYYY-MM-DD HH:MM:SS";
 *   cp_ms    milliseconds as "12.3 ms".
 */
void cp_node(struct cli_print *p, const char *key, const struct ctl_jnode *n);
void cp_dur(struct cli_print *p, const char *key, const struct ctl_jnode *n);
void cp_time(struct cli_print *p, const char *key, const struct ctl_jnode *n);
void cp_ms(struct cli_print *p, const char *key, const struct ctl_jnode *n);

/* Text only: one free line at the current indent ("(none)", a note). */
__attribute__((format(printf, 2, 3)))
void cp_note(struct cli_print *p, const char *fmt, ...);

/* "1h02m" for @s seconds into @buf (the cp_dur format). */
const char *cp_fmt_dur(char *buf, size_t len, int64_t s);

#endif
