/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * cli_print: one call sequence, two outputs (see cli_print.h). JSON mode
 * forwards every call to a ctl_jw; text mode keeps a stack of levels:
 * an object level holds its pending "label: value" pairs (printed aligned
 * when a nested level opens or it closes), an array level joins its items,
 * a table level buffers rows until cp_table_end. Structures text cannot
 * show in place (an object inside a row) are swallowed by a skip level;
 * cp_node prints those as compact JSON cells instead.
 * Single-threaded; no global state.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli_print.h"

#define CP_MAX_DEPTH 32
#define CP_JSON_MAX ((size_t)1 << 30)

enum lv_kind { LV_OBJ, LV_ARR, LV_TABLE, LV_ROW, LV_SKIP };

enum cell_kind { CELL_NULL, CELL_STR, CELL_NUM };

struct cp_cell {
	size_t col;                  /* index in the table's columns */
	char *text;
	enum cell_kind kind;
};

struct cp_row {
	struct cp_cell *cell;
	size_t n, cap;
};

struct cp_col {
	char *name;                  /* header, upper-cased */
	size_t width;
	bool has_str;                /* any string cell: left-aligned */
	bool has_num;                /* right-aligned when numbers only */
};

struct cp_pair {
	char *label;
	char *text;
};

struct cp_level {
	enum lv_kind kind;
	int indent;
	char *label;                 /* LV_ARR: its label in the parent;
				      * LV_TABLE: its title, or NULL */
	bool in_row;                 /* LV_ARR: a cell (joined by ",") */
	struct cp_pair *pair;        /* LV_OBJ */
	size_t n_pair, cap_pair;
	char *items;                 /* LV_ARR */
	size_t items_len;
	size_t n_items;
	struct cp_row *row;          /* LV_TABLE */
	size_t n_row, cap_row;
	struct cp_col *col;
	size_t n_col, cap_col;
};

struct cli_print {
	FILE *out;
	bool json;
	enum cp_where only;
	int err;
	const char *label;           /* for the next call */
	struct ctl_jw w;
	int depth;
	struct cp_level lv[CP_MAX_DEPTH];
};

static void set_err(struct cli_print *p, int err)
{
	if (!p->err)
		p->err = err;
}

/* True when this call is not for the current mode (or output has failed). */
static bool skip(struct cli_print *p)
{
	if (p->err)
		return true;
	if (p->only == CP_JSON && !p->json)
		return true;
	if (p->only == CP_TEXT && p->json)
		return true;
	return false;
}

static const char *take_label(struct cli_print *p, const char *key)
{
	const char *l = p->label ? p->label : key;

	p->label = NULL;
	return l;
}

static void *grow(struct cli_print *p, void *a, size_t *cap, size_t n, size_t sz)
{
	size_t c;
	void *na;

	if (n < *cap)
		return a;
	c = *cap ? *cap * 2 : 8;
	na = realloc(a, c * sz);
	if (!na) {
		set_err(p, -ENOMEM);
		return NULL;
	}
	*cap = c;
	return na;
}

static char *dup_or_err(struct cli_print *p, const char *s)
{
	char *d = strdup(s ? s : "");

	if (!d)
		set_err(p, -ENOMEM);
	return d;
}

/* Control characters would break a line or a terminal: '?'. */
static void sanitize(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s == 0x7f)
			*s = '?';
}

/* Display columns of UTF-8 text: bytes that do not continue a character. */
static size_t text_width(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

struct cli_print *cp_create(FILE *out, bool json)
{
	struct cli_print *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->out = out;
	p->json = json;
	if (json)
		ctl_jw_init(&p->w, CP_JSON_MAX);
	return p;
}

bool cp_is_json(const struct cli_print *p)
{
	return p->json;
}

void cp_only(struct cli_print *p, enum cp_where w)
{
	p->only = w;
}

void cp_label(struct cli_print *p, const char *label)
{
	if (!p->json && !skip(p))
		p->label = label;
}

/* ---- text levels ---- */

static struct cp_level *top(struct cli_print *p)
{
	return p->depth ? &p->lv[p->depth - 1] : NULL;
}

static void level_free(struct cp_level *l)
{
	for (size_t i = 0; i < l->n_pair; i++) {
		free(l->pair[i].label);
		free(l->pair[i].text);
	}
	free(l->pair);
	for (size_t r = 0; r < l->n_row; r++) {
		for (size_t i = 0; i < l->row[r].n; i++)
			free(l->row[r].cell[i].text);
		free(l->row[r].cell);
	}
	free(l->row);
	for (size_t i = 0; i < l->n_col; i++)
		free(l->col[i].name);
	free(l->col);
	free(l->items);
	free(l->label);
	memset(l, 0, sizeof(*l));
}

static struct cp_level *push(struct cli_print *p, enum lv_kind kind, int indent)
{
	struct cp_level *l;

	if (p->depth >= CP_MAX_DEPTH) {
		set_err(p, -EINVAL);
		return NULL;
	}
	l = &p->lv[p->depth++];
	memset(l, 0, sizeof(*l));
	l->kind = kind;
	l->indent = indent;
	return l;
}

static bool pop(struct cli_print *p, enum lv_kind kind)
{
	struct cp_level *l = top(p);

	if (!l || (l->kind != kind && l->kind != LV_SKIP)) {
		set_err(p, -EINVAL);
		return false;
	}
	level_free(l);
	p->depth--;
	return true;
}

static void flush_pairs(struct cli_print *p, struct cp_level *l)
{
	size_t w = 0;

	for (size_t i = 0; i < l->n_pair; i++) {
		size_t n = text_width(l->pair[i].label);

		if (n > w)
			w = n;
	}
	for (size_t i = 0; i < l->n_pair; i++) {
		struct cp_pair *pr = &l->pair[i];

		if (!*pr->label)
			fprintf(p->out, "%*s%s\n", l->indent, "", pr->text);
		else
			fprintf(p->out, "%*s%s:%*s %s\n", l->indent, "", pr->label,
				(int)(w - text_width(pr->label)), "", pr->text);
		free(pr->label);
		free(pr->text);
	}
	l->n_pair = 0;
}

static void add_pair(struct cli_print *p, struct cp_level *l, const char *label, const char *text)
{
	struct cp_pair *a = grow(p, l->pair, &l->cap_pair, l->n_pair, sizeof(*a));

	if (!a)
		return;
	l->pair = a;
	a[l->n_pair].label = dup_or_err(p, label);
	a[l->n_pair].text = dup_or_err(p, text);
	if (a[l->n_pair].label)
		sanitize(a[l->n_pair].label);
	if (a[l->n_pair].text)
		sanitize(a[l->n_pair].text);
	l->n_pair++;
}

static void add_item(struct cli_print *p, struct cp_level *l, const char *text)
{
	const char *sep = l->in_row ? "," : ", ";
	size_t n = strlen(text), s = l->n_items ? strlen(sep) : 0;
	char *a = realloc(l->items, l->items_len + s + n + 1);

	if (!a) {
		set_err(p, -ENOMEM);
		return;
	}
	memcpy(a + l->items_len, sep, s);
	memcpy(a + l->items_len + s, text, n + 1);
	l->items = a;
	l->items_len += s + n;
	l->n_items++;
}

static void add_cell(struct cli_print *p, struct cp_level *t, const char *label, const char *text,
		     enum cell_kind kind)
{
	struct cp_row *r = &t->row[t->n_row - 1];
	struct cp_cell *c;
	size_t col;

	for (col = 0; col < t->n_col; col++)
		if (!strcmp(t->col[col].name, label))
			break;
	if (col == t->n_col) {
		struct cp_col *a = grow(p, t->col, &t->cap_col, t->n_col, sizeof(*a));

		if (!a)
			return;
		t->col = a;
		memset(&a[col], 0, sizeof(a[col]));
		a[col].name = dup_or_err(p, label);
		if (!a[col].name)
			return;
		sanitize(a[col].name);
		a[col].width = text_width(a[col].name);
		t->n_col++;
	}
	c = grow(p, r->cell, &r->cap, r->n, sizeof(*c));
	if (!c)
		return;
	r->cell = c;
	c[r->n].col = col;
	c[r->n].kind = kind;
	c[r->n].text = dup_or_err(p, text);
	if (!c[r->n].text)
		return;
	sanitize(c[r->n].text);
	if (text_width(c[r->n].text) > t->col[col].width)
		t->col[col].width = text_width(c[r->n].text);
	if (kind == CELL_STR)
		t->col[col].has_str = true;
	else if (kind == CELL_NUM)
		t->col[col].has_num = true;
	r->n++;
}

static char *upper_dup(struct cli_print *p, const char *s)
{
	char *u = dup_or_err(p, s);

	for (char *c = u; c && *c; c++)
		if (*c >= 'a' && *c <= 'z')
			*c = (char)(*c - 'a' + 'A');
	return u;
}

/* A formatted scalar in text mode, wherever the current level puts it. */
static void text_val(struct cli_print *p, const char *key, const char *text, enum cell_kind kind)
{
	const char *label = take_label(p, key);
	struct cp_level *l = top(p);
	char *u;

	if (!l)
		return;
	switch (l->kind) {
	case LV_OBJ:
		add_pair(p, l, label ? label : "", text);
		break;
	case LV_ARR:
		add_item(p, l, text);
		break;
	case LV_ROW:
		u = upper_dup(p, label ? label : "");
		if (u)
			add_cell(p, &p->lv[p->depth - 2], u, text, kind);
		free(u);
		break;
	case LV_TABLE:
	case LV_SKIP:
		break;
	}
}

static void print_table(struct cli_print *p, struct cp_level *t)
{
	const char **line;

	if (t->label) {
		sanitize(t->label);
		fprintf(p->out, "%*s%s:%s\n", t->indent - 2, "", t->label,
			t->n_row && t->n_col ? "" : " (none)");
	}
	if (!t->n_row || !t->n_col) {
		if (!t->label)
			fprintf(p->out, "%*s(none)\n", t->indent, "");
		return;
	}
	line = calloc(t->n_col, sizeof(*line));
	if (!line) {
		set_err(p, -ENOMEM);
		return;
	}
	for (size_t r = 0; r <= t->n_row; r++) {
		size_t last = 0;

		for (size_t c = 0; c < t->n_col; c++)
			line[c] = r ? "-" : t->col[c].name;
		if (r) {
			struct cp_row *row = &t->row[r - 1];

			for (size_t i = 0; i < row->n; i++)
				line[row->cell[i].col] = row->cell[i].text;
		}
		for (size_t c = 0; c < t->n_col; c++)
			if (*line[c])
				last = c;
		fprintf(p->out, "%*s", t->indent, "");
		for (size_t c = 0; c <= last; c++) {
			int pad = (int)(t->col[c].width - text_width(line[c]));

			if (c)
				fputs("  ", p->out);
			if (t->col[c].has_num && !t->col[c].has_str)
				fprintf(p->out, "%*s%s", pad, "", line[c]);
			else if (c == last)
				fputs(line[c], p->out);
			else
				fprintf(p->out, "%s%*s", line[c], pad, "");
		}
		fputc('\n', p->out);
	}
	free(line);
}

/* ---- structure ---- */

/* Opening a nested level in text mode: where it goes and its header. */
static struct cp_level *text_open(struct cli_print *p, const char *key, enum lv_kind kind)
{
	const char *label = take_label(p, key);
	struct cp_level *l = top(p), *n;
	int indent = 0;

	if (l && l->kind != LV_OBJ && !(kind == LV_ARR && l->kind == LV_ROW))
		return push(p, LV_SKIP, 0);
	if (l && kind == LV_ARR) {
		n = push(p, LV_ARR, l->indent);
		if (n) {
			n->label = dup_or_err(p, label);
			n->in_row = l->kind == LV_ROW;
		}
		return n;
	}
	if (l) {
		flush_pairs(p, l);
		indent = l->indent;
		if (label && *label) {
			char *s = dup_or_err(p, label);

			/* A table's title waits for its rows: "title: (none)"
			 * when there are none. */
			if (s && kind == LV_TABLE) {
				n = push(p, kind, indent + 2);
				if (n)
					n->label = s;
				else
					free(s);
				return n;
			}
			if (s) {
				sanitize(s);
				fprintf(p->out, "%*s%s:\n", indent, "", s);
			}
			free(s);
			indent += 2;
		}
	}
	return push(p, kind, indent);
}

void cp_open_obj(struct cli_print *p, const char *key)
{
	if (skip(p))
		return;
	if (p->json)
		ctl_jw_obj_open(&p->w, key);
	else
		text_open(p, key, LV_OBJ);
}

void cp_close_obj(struct cli_print *p)
{
	struct cp_level *l;

	if (skip(p))
		return;
	if (p->json) {
		ctl_jw_obj_close(&p->w);
		return;
	}
	l = top(p);
	if (l && l->kind == LV_OBJ)
		flush_pairs(p, l);
	pop(p, LV_OBJ);
}

void cp_open_arr(struct cli_print *p, const char *key)
{
	if (skip(p))
		return;
	if (p->json)
		ctl_jw_arr_open(&p->w, key);
	else
		text_open(p, key, LV_ARR);
}

void cp_close_arr(struct cli_print *p)
{
	struct cp_level *l;
	char *label, *items;
	bool in_row;

	if (skip(p))
		return;
	if (p->json) {
		ctl_jw_arr_close(&p->w);
		return;
	}
	l = top(p);
	if (!l || l->kind != LV_ARR) {
		pop(p, LV_ARR);
		return;
	}
	/* The joined list becomes one value of the parent. */
	label = l->label;
	items = l->items;
	in_row = l->in_row;
	l->label = l->items = NULL;
	pop(p, LV_ARR);
	p->label = label;
	text_val(p, "", items ? items : (in_row ? "-" : "(none)"), items ? CELL_STR : CELL_NULL);
	free(label);
	free(items);
}

void cp_table_begin(struct cli_print *p, const char *key)
{
	if (skip(p))
		return;
	if (p->json)
		ctl_jw_arr_open(&p->w, key);
	else
		text_open(p, key, LV_TABLE);
}

void cp_row_begin(struct cli_print *p)
{
	struct cp_level *t;
	struct cp_row *r;

	if (skip(p))
		return;
	if (p->json) {
		ctl_jw_obj_open(&p->w, NULL);
		return;
	}
	t = top(p);
	if (!t || t->kind != LV_TABLE) {
		push(p, LV_SKIP, 0);
		return;
	}
	r = grow(p, t->row, &t->cap_row, t->n_row, sizeof(*r));
	if (!r)
		return;
	t->row = r;
	memset(&r[t->n_row++], 0, sizeof(*r));
	push(p, LV_ROW, t->indent);
}

void cp_row_end(struct cli_print *p)
{
	if (skip(p))
		return;
	if (p->json)
		ctl_jw_obj_close(&p->w);
	else
		pop(p, LV_ROW);
}

void cp_table_end(struct cli_print *p)
{
	struct cp_level *t;

	if (skip(p))
		return;
	if (p->json) {
		ctl_jw_arr_close(&p->w);
		return;
	}
	t = top(p);
	if (t && t->kind == LV_TABLE)
		print_table(p, t);
	pop(p, LV_TABLE);
}

/* ---- scalars ---- */

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"

void cp_str(struct cli_print *p, const char *key, const char *fmt, const char *s)
{
	char *t;

	if (skip(p) || (!fmt && !p->json)) {
		p->label = NULL;
		return;
	}
	if (p->json) {
		ctl_jw_str(&p->w, key, s);
		return;
	}
	if (!s) {
		text_val(p, key, "-", CELL_NULL);
		return;
	}
	if (asprintf(&t, fmt, s) < 0) {
		set_err(p, -ENOMEM);
		return;
	}
	text_val(p, key, t, CELL_STR);
	free(t);
}

void cp_u64(struct cli_print *p, const char *key, const char *fmt, uint64_t v)
{
	char b[64];

	if (skip(p) || (!fmt && !p->json)) {
		p->label = NULL;
		return;
	}
	if (p->json) {
		ctl_jw_u64(&p->w, key, v);
		return;
	}
	snprintf(b, sizeof(b), fmt, v);
	text_val(p, key, b, CELL_NUM);
}

void cp_i64(struct cli_print *p, const char *key, const char *fmt, int64_t v)
{
	char b[64];

	if (skip(p) || (!fmt && !p->json)) {
		p->label = NULL;
		return;
	}
	if (p->json) {
		ctl_jw_i64(&p->w, key, v);
		return;
	}
	snprintf(b, sizeof(b), fmt, v);
	text_val(p, key, b, CELL_NUM);
}

void cp_dbl(struct cli_print *p, const char *key, const char *fmt, double v)
{
	char b[64];

	if (skip(p) || (!fmt && !p->json)) {
		p->label = NULL;
		return;
	}
	if (p->json) {
		ctl_jw_dbl(&p->w, key, v);
		return;
	}
	snprintf(b, sizeof(b), fmt, v);
	text_val(p, key, b, CELL_NUM);
}

#pragma GCC diagnostic pop

void cp_bool(struct cli_print *p, const char *key, bool v)
{
	if (skip(p))
		return;
	if (p->json)
		ctl_jw_bool(&p->w, key, v);
	else
		text_val(p, key, v ? "yes" : "no", CELL_STR);
}

void cp_null(struct cli_print *p, const char *key)
{
	if (skip(p))
		return;
	if (p->json)
		ctl_jw_null(&p->w, key);
	else
		text_val(p, key, "-", CELL_NULL);
}

__attribute__((format(printf, 2, 3)))
void cp_note(struct cli_print *p, const char *fmt, ...)
{
	struct cp_level *l;
	va_list ap;
	char *t;
	int n;

	if (p->json || skip(p))
		return;
	va_start(ap, fmt);
	n = vasprintf(&t, fmt, ap);
	va_end(ap);
	if (n < 0) {
		set_err(p, -ENOMEM);
		return;
	}
	l = top(p);
	if (l && l->kind == LV_OBJ) {
		add_pair(p, l, "", t);
	} else if (!l) {
		sanitize(t);
		fprintf(p->out, "%s\n", t);
	}
	free(t);
}

/* ---- DOM values ---- */

static bool scalar(const struct ctl_jnode *n)
{
	return n->type != CTL_J_ARR && n->type != CTL_J_OBJ;
}

static void text_compact(struct cli_print *p, const char *key, const struct ctl_jnode *n)
{
	struct ctl_jw w;

	ctl_jw_init(&w, 1 << 20);
	ctl_jw_node(&w, NULL, n);
	if (ctl_jw_error(&w))
		set_err(p, ctl_jw_error(&w));
	else
		text_val(p, key, w.buf ? w.buf : "", CELL_STR);
	ctl_jw_free(&w);
}

void cp_node(struct cli_print *p, const char *key, const struct ctl_jnode *n)
{
	struct cp_level *l;
	bool all_scalar = true, all_obj = true;
	char b[64];

	if (!n || skip(p)) {
		p->label = NULL;
		return;
	}
	if (p->json) {
		ctl_jw_node(&p->w, key, n);
		return;
	}
	switch (n->type) {
	case CTL_J_NULL:
		text_val(p, key, "-", CELL_NULL);
		return;
	case CTL_J_BOOL:
		text_val(p, key, n->b ? "yes" : "no", CELL_STR);
		return;
	case CTL_J_NUM:
		if (n->is_int)
			snprintf(b, sizeof(b), "%" PRId64, n->i);
		else
			snprintf(b, sizeof(b), "%g", n->d);
		text_val(p, key, b, CELL_NUM);
		return;
	case CTL_J_STR:
		text_val(p, key, n->s, CELL_STR);
		return;
	case CTL_J_ARR:
	case CTL_J_OBJ:
		break;
	}
	l = top(p);
	for (const struct ctl_jnode *c = n->child; c; c = c->next) {
		all_scalar &= scalar(c);
		all_obj &= c->type == CTL_J_OBJ;
	}
	if (n->type == CTL_J_ARR && all_scalar) {
		cp_open_arr(p, key);
		for (const struct ctl_jnode *c = n->child; c; c = c->next)
			cp_node(p, NULL, c);
		cp_close_arr(p);
	} else if (l && l->kind != LV_OBJ) {
		text_compact(p, key, n);
	} else if (n->type == CTL_J_OBJ) {
		cp_open_obj(p, key);
		for (const struct ctl_jnode *c = n->child; c; c = c->next)
			cp_node(p, c->key, c);
		cp_close_obj(p);
	} else if (all_obj) {
		cp_table_begin(p, key);
		for (const struct ctl_jnode *c = n->child; c; c = c->next) {
			cp_row_begin(p);
			for (const struct ctl_jnode *m = c->child; m; m = m->next)
				cp_node(p, m->key, m);
			cp_row_end(p);
		}
		cp_table_end(p);
	} else {
		text_compact(p, key, n);
	}
}

const char *cp_fmt_dur(char *buf, size_t len, int64_t s)
{
	if (s < 0)
		s = 0;
	if (s < 60)
		snprintf(buf, len, "%" PRId64 "s", s);
	else if (s < 3600)
		snprintf(buf, len, "%" PRId64 "m%02" PRId64 "s", s / 60, s % 60);
	else if (s < 86400)
		snprintf(buf, len, "%" PRId64 "h%02" PRId64 "m", s / 3600, s % 3600 / 60);
	else
		snprintf(buf, len, "%" PRId64 "d%02" PRId64 "h", s / 86400, s % 86400 / 3600);
	return buf;
}

static int64_t node_int(const struct ctl_jnode *n)
{
	return n->is_int ? n->i : (int64_t)n->d;
}

void cp_dur(struct cli_print *p, const char *key, const struct ctl_jnode *n)
{
	char b[64];

	if (!n || skip(p) || p->json || n->type != CTL_J_NUM) {
		if (n && !skip(p) && !p->json && n->type == CTL_J_NULL)
			text_val(p, key, "never", CELL_NUM);
		else
			cp_node(p, key, n);
		return;
	}
	text_val(p, key, cp_fmt_dur(b, sizeof(b), node_int(n)), CELL_NUM);
}

void cp_time(struct cli_print *p, const char *key, const struct ctl_jnode *n)
{
	char b[64];
	struct tm tm;
	time_t t;

	if (!n || skip(p) || p->json || n->type != CTL_J_NUM) {
		cp_node(p, key, n);
		return;
	}
	t = (time_t)node_int(n);
	if (!localtime_r(&t, &tm) || !strftime(b, sizeof(b), "%Y-%m-%d %H:%M:%S", &tm))
		snprintf(b, sizeof(b), "%" PRId64, node_int(n));
	text_val(p, key, b, CELL_STR);
}

void cp_ms(struct cli_print *p, const char *key, const struct ctl_jnode *n)
{
	char b[64];

	if (!n || skip(p) || p->json || n->type != CTL_J_NUM) {
		cp_node(p, key, n);
		return;
	}
	snprintf(b, sizeof(b), n->d < 10 ? "%.2f ms" : "%.1f ms", n->d);
	text_val(p, key, b, CELL_NUM);
}

/* ---- end ---- */

int cp_finish(struct cli_print *p)
{
	if (!p->err && p->depth)
		set_err(p, -EINVAL);
	if (p->json && !p->err) {
		if (ctl_jw_error(&p->w))
			set_err(p, ctl_jw_error(&p->w));
		else if (p->w.len) {
			fwrite(p->w.buf, 1, p->w.len, p->out);
			fputc('\n', p->out);
		}
	}
	if (fflush(p->out) || ferror(p->out))
		set_err(p, -EIO);
	return p->err;
}

void cp_free(struct cli_print *p)
{
	if (!p)
		return;
	while (p->depth)
		level_free(&p->lv[--p->depth]);
	if (p->json)
		ctl_jw_free(&p->w);
	free(p);
}
