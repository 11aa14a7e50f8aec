/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ctl_json: JSON writer and parser of the control socket (see ctl_json.h).
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_json.h"

#define NODES_PER_BLOCK 1024

/* ---- writer ---- */

void ctl_jw_init(struct ctl_jw *w, size_t max)
{
	memset(w, 0, sizeof(*w));
	w->max = max;
	w->first[0] = true;
}

void ctl_jw_free(struct ctl_jw *w)
{
	free(w->buf);
	w->buf = NULL;
	w->len = w->cap = 0;
}

void ctl_jw_reset(struct ctl_jw *w)
{
	w->len = 0;
	w->err = 0;
	w->depth = 0;
	w->first[0] = true;
}

int ctl_jw_error(const struct ctl_jw *w)
{
	return w->err;
}

static void put(struct ctl_jw *w, const char *s, size_t n)
{
	if (w->err)
		return;
	if (w->len + n + 1 > w->max) {
		w->err = -E2BIG;
		return;
	}
	if (w->len + n + 1 > w->cap) {
		size_t cap = w->cap ? w->cap : 4096;
		char *nb;

		while (cap < w->len + n + 1)
			cap *= 2;
		if (cap > w->max)
			cap = w->max;
		nb = realloc(w->buf, cap);
		if (!nb) {
			w->err = -ENOMEM;
			return;
		}
		w->buf = nb;
		w->cap = cap;
	}
	memcpy(w->buf + w->len, s, n);
	w->len += n;
	w->buf[w->len] = '\0';
}

static void putc1(struct ctl_jw *w, char c)
{
	put(w, &c, 1);
}

/* Length of the valid UTF-8 sequence at @s (0: not valid). */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	uint32_t cp;
	size_t k;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		k = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		k = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		k = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (k > n)
		return 0;
	for (size_t i = 1; i < k; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((k == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (k == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return k;
}

static void put_string(struct ctl_jw *w, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, run = 0;

	putc1(w, '"');
	while (i < n) {
		unsigned char c = p[i];
		size_t k = c >= 0x20 && c != '"' && c != '\\' ? utf8_len(p + i, n - i) : 0;
		char esc[8];

		if (k) {
			i += k;
			run += k;
			continue;
		}
		put(w, (const char *)p + i - run, run);
		run = 0;
		switch (c) {
		case '"': put(w, "\\\"", 2); break;
		case '\\': put(w, "\\\\", 2); break;
		case '\n': put(w, "\\n", 2); break;
		case '\r': put(w, "\\r", 2); break;
		case '\t': put(w, "\\t", 2); break;
		default:
			snprintf(esc, sizeof(esc), "\\u%04x", c);
			put(w, esc, 6);
		}
		i++;
	}
	put(w, (const char *)p + i - run, run);
	putc1(w, '"');
}

/* Comma and member name before a value. */
static void pre(struct ctl_jw *w, const char *key)
{
	if (!w->first[w->depth])
		putc1(w, ',');
	w->first[w->depth] = false;
	if (key) {
		put_string(w, key, strlen(key));
		putc1(w, ':');
	}
}

static void open_(struct ctl_jw *w, const char *key, char c)
{
	pre(w, key);
	putc1(w, c);
	if (w->depth + 1 >= CTL_JW_MAX_DEPTH) {
		if (!w->err)
			w->err = -E2BIG;
		return;
	}
	w->first[++w->depth] = true;
}

static void close_(struct ctl_jw *w, char c)
{
	putc1(w, c);
	if (w->depth > 0)
		w->depth--;
}

void ctl_jw_obj_open(struct ctl_jw *w, const char *key) { open_(w, key, '{'); }
void ctl_jw_obj_close(struct ctl_jw *w) { close_(w, '}'); }
void ctl_jw_arr_open(struct ctl_jw *w, const char *key) { open_(w, key, '['); }
void ctl_jw_arr_close(struct ctl_jw *w) { close_(w, ']'); }

void ctl_jw_strn(struct ctl_jw *w, const char *key, const char *s, size_t n)
{
	pre(w, key);
	put_string(w, s, n);
}

void ctl_jw_str(struct ctl_jw *w, const char *key, const char *s)
{
	if (!s) {
		ctl_jw_null(w, key);
		return;
	}
	ctl_jw_strn(w, key, s, strlen(s));
}

void ctl_jw_u64(struct ctl_jw *w, const char *key, uint64_t v)
{
	char b[24];

	pre(w, key);
	put(w, b, (size_t)snprintf(b, sizeof(b), "%" PRIu64, v));
}

void ctl_jw_i64(struct ctl_jw *w, const char *key, int64_t v)
{
	char b[24];

	pre(w, key);
	put(w, b, (size_t)snprintf(b, sizeof(b), "%" PRId64, v));
}

void ctl_jw_dbl(struct ctl_jw *w, const char *key, double v)
{
	char b[32];

	if (!isfinite(v)) {
		ctl_jw_null(w, key);
		return;
	}
	pre(w, key);
	put(w, b, (size_t)snprintf(b, sizeof(b), "%.6g", v));
}

void ctl_jw_bool(struct ctl_jw *w, const char *key, bool v)
{
	pre(w, key);
	put(w, v ? "true" : "false", v ? 4 : 5);
}

void ctl_jw_null(struct ctl_jw *w, const char *key)
{
	pre(w, key);
	put(w, "null", 4);
}

void ctl_jw_json(struct ctl_jw *w, const char *key, const char *json)
{
	pre(w, key);
	put(w, json, strlen(json));
}

void ctl_jw_raw(struct ctl_jw *w, const char *s, size_t n)
{
	put(w, s, n);
}

/* ---- parser ---- */

struct block {
	struct block *next;
	size_t used;
	struct ctl_jnode n[NODES_PER_BLOCK];
};

struct ctl_jdoc {
	char *text;             /* copy; strings decoded in place */
	size_t len, pos;
	size_t nodes, max_nodes;
	struct block *blocks;
	const struct ctl_jnode *root;
	char *err;
	size_t errlen;
	int rc;
};

static int fail(struct ctl_jdoc *d, int rc, const char *why)
{
	if (!d->rc) {
		d->rc = rc;
		snprintf(d->err, d->errlen, "offset %zu: %s", d->pos, why);
	}
	return rc;
}

static struct ctl_jnode *node(struct ctl_jdoc *d)
{
	struct block *b = d->blocks;

	if (d->nodes >= d->max_nodes) {
		fail(d, -E2BIG, "too many values");
		return NULL;
	}
	if (!b || b->used == NODES_PER_BLOCK) {
		b = calloc(1, sizeof(*b));
		if (!b) {
			fail(d, -ENOMEM, "out of memory");
			return NULL;
		}
		b->next = d->blocks;
		d->blocks = b;
	}
	d->nodes++;
	return &b->n[b->used++];
}

static void ws(struct ctl_jdoc *d)
{
	while (d->pos < d->len && (d->text[d->pos] == ' ' || d->text[d->pos] == '\t' ||
				   d->text[d->pos] == '\n' || d->text[d->pos] == '\r'))
		d->pos++;
}

static int hex4(const char *p, uint32_t *v)
{
	*v = 0;
	for (int i = 0; i < 4; i++) {
		char c = p[i];

		*v <<= 4;
		if (c >= '0' && c <= '9')
			*v |= (uint32_t)(c - '0');
		else if (c >= 'a' && c <= 'f')
			*v |= (uint32_t)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			*v |= (uint32_t)(c - 'A' + 10);
		else
			return -1;
	}
	return 0;
}

static size_t put_utf8(char *o, uint32_t cp)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xc0 | cp >> 6);
		o[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xe0 | cp >> 12);
		o[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		o[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (char)(0xf0 | cp >> 18);
	o[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	o[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	o[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* At the opening quote; decodes in place (output never outruns input). */
static int string(struct ctl_jdoc *d, const char **ret, size_t *ret_len)
{
	char *out = d->text + d->pos + 1, *start = out;

	d->pos++;
	for (;;) {
		unsigned char c;

		if (d->pos >= d->len)
			return fail(d, -EINVAL, "unterminated string");
		c = (unsigned char)d->text[d->pos];
		if (c == '"')
			break;
		if (c < 0x20)
			return fail(d, -EINVAL, "control character in string");
		if (c != '\\') {
			*out++ = (char)c;
			d->pos++;
			continue;
		}
		if (d->pos + 1 >= d->len)
			return fail(d, -EINVAL, "unterminated string");
		c = (unsigned char)d->text[++d->pos];
		d->pos++;
		switch (c) {
		case '"': *out++ = '"'; break;
		case '\\': *out++ = '\\'; break;
		case '/': *out++ = '/'; break;
		case 'b': *out++ = '\b'; break;
		case 'f': *out++ = '\f'; break;
		case 'n': *out++ = '\n'; break;
		case 'r': *out++ = '\r'; break;
		case 't': *out++ = '\t'; break;
		case 'u': {
			uint32_t cp, lo;

			if (d->pos + 4 > d->len || hex4(d->text + d->pos, &cp))
				return fail(d, -EINVAL, "bad \\u escape");
			d->pos += 4;
			if (cp >= 0xd800 && cp <= 0xdbff) {
				if (d->pos + 6 > d->len || d->text[d->pos] != '\\' ||
				    d->text[d->pos + 1] != 'u' || hex4(d->text + d->pos + 2, &lo) ||
				    lo < 0xdc00 || lo > 0xdfff)
					return fail(d, -EINVAL, "unpaired surrogate");
				d->pos += 6;
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
			} else if (cp >= 0xdc00 && cp <= 0xdfff) {
				return fail(d, -EINVAL, "unpaired surrogate");
			}
			out += put_utf8(out, cp);
			break;
		}
		default:
			return fail(d, -EINVAL, "bad escape");
		}
	}
	*ret = start;
	*ret_len = (size_t)(out - start);
	*out = '\0';    /* the closing quote's byte or earlier: ours to overwrite */
	d->pos++;
	return 0;
}

static int number(struct ctl_jdoc *d, struct ctl_jnode *n)
{
	size_t s = d->pos;
	int is_int = 1;
	char *end;

	if (d->text[d->pos] == '-')
		d->pos++;
	if (d->pos >= d->len || d->text[d->pos] < '0' || d->text[d->pos] > '9')
		return fail(d, -EINVAL, "bad number");
	if (d->text[d->pos] == '0' && d->pos + 1 < d->len && d->text[d->pos + 1] >= '0' &&
	    d->text[d->pos + 1] <= '9')
		return fail(d, -EINVAL, "leading zero");
	while (d->pos < d->len && ((d->text[d->pos] >= '0' && d->text[d->pos] <= '9') ||
				   (d->text[d->pos] && strchr(".eE+-", d->text[d->pos])))) {
		if (d->text[d->pos] && strchr(".eE", d->text[d->pos]))
			is_int = 0;
		d->pos++;
	}
	{
		char tmp[64];
		size_t k = d->pos - s;

		if (k >= sizeof(tmp))
			return fail(d, -EINVAL, "number too long");
		memcpy(tmp, d->text + s, k);
		tmp[k] = '\0';
		errno = 0;
		n->d = strtod(tmp, &end);
		if (*end)
			return fail(d, -EINVAL, "bad number");
		if (is_int) {
			errno = 0;
			n->i = strtoll(tmp, &end, 10);
			n->is_int = errno == 0 && !*end;
		}
	}
	n->type = CTL_J_NUM;
	return 0;
}

static int value(struct ctl_jdoc *d, struct ctl_jnode *n, int depth);

static int container(struct ctl_jdoc *d, struct ctl_jnode *n, int depth, char close)
{
	struct ctl_jnode *last = NULL;

	if (depth >= CTL_JW_MAX_DEPTH)
		return fail(d, -E2BIG, "nested too deep");
	n->type = close == '}' ? CTL_J_OBJ : CTL_J_ARR;
	d->pos++;
	ws(d);
	if (d->pos < d->len && d->text[d->pos] == close) {
		d->pos++;
		return 0;
	}
	for (;;) {
		struct ctl_jnode *c = node(d);
		const char *key = NULL;
		size_t klen;

		if (!c)
			return d->rc;
		if (close == '}') {
			ws(d);
			if (d->pos >= d->len || d->text[d->pos] != '"')
				return fail(d, -EINVAL, "expected a member name");
			if (string(d, &key, &klen))
				return d->rc;
			ws(d);
			if (d->pos >= d->len || d->text[d->pos] != ':')
				return fail(d, -EINVAL, "expected ':'");
			d->pos++;
		}
		if (value(d, c, depth + 1))
			return d->rc;
		c->key = key;
		if (last)
			last->next = c;
		else
			n->child = c;
		last = c;
		n->len++;
		ws(d);
		if (d->pos < d->len && d->text[d->pos] == ',') {
			d->pos++;
			continue;
		}
		if (d->pos < d->len && d->text[d->pos] == close) {
			d->pos++;
			return 0;
		}
		return fail(d, -EINVAL, close == '}' ? "expected ',' or '}'" : "expected ',' or ']'");
	}
}

static int word(struct ctl_jdoc *d, const char *w)
{
	size_t k = strlen(w);

	if (d->len - d->pos < k || memcmp(d->text + d->pos, w, k))
		return fail(d, -EINVAL, "unexpected character");
	d->pos += k;
	return 0;
}

static int value(struct ctl_jdoc *d, struct ctl_jnode *n, int depth)
{
	ws(d);
	if (d->pos >= d->len)
		return fail(d, -EINVAL, "unexpected end");
	switch (d->text[d->pos]) {
	case '{': return container(d, n, depth, '}');
	case '[': return container(d, n, depth, ']');
	case '"':
		n->type = CTL_J_STR;
		return string(d, &n->s, &n->len);
	case 't':
		n->type = CTL_J_BOOL;
		n->b = true;
		return word(d, "true");
	case 'f':
		n->type = CTL_J_BOOL;
		return word(d, "false");
	case 'n':
		n->type = CTL_J_NULL;
		return word(d, "null");
	default:
		return number(d, n);
	}
}

int ctl_json_parse(const char *text, size_t len, size_t max_nodes, struct ctl_jdoc **ret,
		   char *err, size_t errlen)
{
	struct ctl_jdoc *d = calloc(1, sizeof(*d));
	struct ctl_jnode *root;

	if (!d || !(d->text = malloc(len + 1))) {
		free(d);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	memcpy(d->text, text, len);
	d->text[len] = '\0';
	d->len = len;
	d->max_nodes = max_nodes;
	d->err = err;
	d->errlen = errlen;
	root = node(d);
	if (root && !value(d, root, 0)) {
		ws(d);
		if (d->pos != d->len)
			fail(d, -EINVAL, "text after the value");
	}
	if (d->rc) {
		int rc = d->rc;

		ctl_jdoc_free(d);
		return rc;
	}
	d->root = root;
	d->err = NULL;
	*ret = d;
	return 0;
}

void ctl_jdoc_free(struct ctl_jdoc *d)
{
	if (!d)
		return;
	while (d->blocks) {
		struct block *b = d->blocks;

		d->blocks = b->next;
		free(b);
	}
	free(d->text);
	free(d);
}

const struct ctl_jnode *ctl_jdoc_root(const struct ctl_jdoc *d)
{
	return d->root;
}

const struct ctl_jnode *ctl_jget(const struct ctl_jnode *o, const char *key)
{
	if (!o || o->type != CTL_J_OBJ)
		return NULL;
	for (const struct ctl_jnode *c = o->child; c; c = c->next)
		if (!strcmp(c->key, key))
			return c;
	return NULL;
}

const char *ctl_jget_str(const struct ctl_jnode *o, const char *key, const char *def)
{
	const struct ctl_jnode *n = ctl_jget(o, key);

	return n && n->type == CTL_J_STR ? n->s : def;
}

int64_t ctl_jget_int(const struct ctl_jnode *o, const char *key, int64_t def)
{
	const struct ctl_jnode *n = ctl_jget(o, key);

	return n && n->type == CTL_J_NUM && n->is_int ? n->i : def;
}

bool ctl_jget_bool(const struct ctl_jnode *o, const char *key, bool def)
{
	const struct ctl_jnode *n = ctl_jget(o, key);

	return n && n->type == CTL_J_BOOL ? n->b : def;
}

void ctl_jw_node(struct ctl_jw *w, const char *key, const struct ctl_jnode *n)
{
	switch (n->type) {
	case CTL_J_NULL:
		ctl_jw_null(w, key);
		break;
	case CTL_J_BOOL:
		ctl_jw_bool(w, key, n->b);
		break;
	case CTL_J_NUM:
		if (n->is_int)
			ctl_jw_i64(w, key, n->i);
		else
			ctl_jw_dbl(w, key, n->d);
		break;
	case CTL_J_STR:
		ctl_jw_strn(w, key, n->s, n->len);
		break;
	case CTL_J_ARR:
		ctl_jw_arr_open(w, key);
		for (const struct ctl_jnode *c = n->child; c; c = c->next)
			ctl_jw_node(w, NULL, c);
		ctl_jw_arr_close(w);
		break;
	case CTL_J_OBJ:
		ctl_jw_obj_open(w, key);
		for (const struct ctl_jnode *c = n->child; c; c = c->next)
			ctl_jw_node(w, c->key, c);
		ctl_jw_obj_close(w);
		break;
	}
}
