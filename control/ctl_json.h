/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ctl_json: the JSON of the control socket (docs/control-protocol.md), for
 * mxscreend and mxscreenctl. A writer that appends to a growable buffer
 * with a hard cap, and a parser to a read-only tree with bounded nodes and
 * depth. Both report errors instead of logging; neither keeps global state.
 *
 * Writer: every value call takes the member name (NULL inside arrays and at
 * the top); commas are the writer's business. Strings are escaped, and
 * bytes that are not valid UTF-8 become \u00XX, so any input gives valid
 * JSON. Past the cap (or out of memory) the writer sets err and ignores
 * further calls: the caller checks ctl_jw_error once at the end.
 *
 * Parser: RFC 8259 text, one value. Numbers keep an exact int64 when they
 * are integers that fit; strings are decoded (escapes, surrogate pairs) to
 * NUL-terminated UTF-8 (an escaped \u0000 ends the C string early: compare
 * with len). Duplicate member names are kept; ctl_jget finds the first.
 */
#ifndef CTL_JSON_H
#define CTL_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CTL_JW_MAX_DEPTH 32

struct ctl_jw {
	char *buf;
	size_t len, cap, max;
	int err;                        /* 0, -ENOMEM or -E2BIG */
	int depth;
	bool first[CTL_JW_MAX_DEPTH];   /* nothing written yet at this level */
};

/* @max: the most bytes the text may reach. */
void ctl_jw_init(struct ctl_jw *w, size_t max);
void ctl_jw_free(struct ctl_jw *w);
void ctl_jw_reset(struct ctl_jw *w);      /* empty again, buffer kept */
int ctl_jw_error(const struct ctl_jw *w);

void ctl_jw_obj_open(struct ctl_jw *w, const char *key);
void ctl_jw_obj_close(struct ctl_jw *w);
void ctl_jw_arr_open(struct ctl_jw *w, const char *key);
void ctl_jw_arr_close(struct ctl_jw *w);
void ctl_jw_str(struct ctl_jw *w, const char *key, const char *s);
void ctl_jw_strn(struct ctl_jw *w, const char *key, const char *s, size_t n);
void ctl_jw_u64(struct ctl_jw *w, const char *key, uint64_t v);
void ctl_jw_i64(struct ctl_jw *w, const char *key, int64_t v);
void ctl_jw_dbl(struct ctl_jw *w, const char *key, double v);   /* non-finite: null */
void ctl_jw_bool(struct ctl_jw *w, const char *key, bool v);
void ctl_jw_null(struct ctl_jw *w, const char *key);
/* A value already in JSON text (saved from another document), as member
 * @key; the caller vouches for it. */
void ctl_jw_json(struct ctl_jw *w, const char *key, const char *json);
/* Raw bytes, no escaping (a newline, say). */
void ctl_jw_raw(struct ctl_jw *w, const char *s, size_t n);

enum ctl_jtype { CTL_J_NULL, CTL_J_BOOL, CTL_J_NUM, CTL_J_STR, CTL_J_ARR, CTL_J_OBJ };

struct ctl_jnode {
	enum ctl_jtype type;
	const char *key;                /* member name inside an object, else NULL */
	const char *s;                  /* CTL_J_STR */
	size_t len;                     /* CTL_J_STR bytes; CTL_J_ARR/OBJ children */
	double d;                       /* CTL_J_NUM */
	int64_t i;                      /* CTL_J_NUM when is_int */
	bool is_int;
	bool b;                         /* CTL_J_BOOL */
	const struct ctl_jnode *child;  /* first child */
	const struct ctl_jnode *next;   /* next sibling */
};

struct ctl_jdoc;

/* Parse @len bytes of @text (copied). At most @max_nodes values and
 * CTL_JW_MAX_DEPTH nesting. 0 and *ret, or -EINVAL / -E2BIG / -ENOMEM with
 * "offset N: reason" in @err. */
int ctl_json_parse(const char *text, size_t len, size_t max_nodes, struct ctl_jdoc **ret,
		   char *err, size_t errlen);
void ctl_jdoc_free(struct ctl_jdoc *d);
const struct ctl_jnode *ctl_jdoc_root(const struct ctl_jdoc *d);

/* Member @key of object @o; NULL when @o is not an object or has none. */
const struct ctl_jnode *ctl_jget(const struct ctl_jnode *o, const char *key);
/* Typed getters with a default when absent or of another type. */
const char *ctl_jget_str(const struct ctl_jnode *o, const char *key, const char *def);
int64_t ctl_jget_int(const struct ctl_jnode *o, const char *key, int64_t def);
bool ctl_jget_bool(const struct ctl_jnode *o, const char *key, bool def);

/* Node @n (and everything under it) written back as member @key. */
void ctl_jw_node(struct ctl_jw *w, const char *key, const struct ctl_jnode *n);

#endif
