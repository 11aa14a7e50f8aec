/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dp_rules: parse rules files (format in dp_rules.h), expand macros,
 * compile one Hyperscan block-mode database per field, and scan one field
 * value against it.
 *
 * Owns: everything hanging off struct dp_rules_db (rules, strings,
 * databases, expression maps, scratches, hit rows, the per-field literal
 * fast paths built by dp_literal, the gate databases); dp_rules_db_free
 * releases all of it. Which rules go on the fast path or behind a gate,
 * and how they are looked up, is dp_literal's business; this file only
 * offers each field's rules to it, compiles the gated ones in groups of
 * DP_RULES_GATE_SHARD and the rest into the field's database, and runs a
 * gate database only when the lookups say one of its rules may match.
 *
 * Threads: dp_rules_load/dp_rules_db_free run on a control or main thread,
 * never on a worker. dp_rules_scan runs on the lcore that owns the scratch
 * slot; it does not allocate, lock or log. dp_rules_hits may run anywhere
 * and races the writers benignly (relaxed atomics on both sides).
 */
#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dp_literal.h"
#include "dp_buf.h"
#include "dp_rules.h"

#define RULES_LINE_MAX 4096u       /* bytes in one line, newline excluded */
#define RULES_PATTERN_MAX 65536u   /* bytes of one pattern after expansion */
#define RULES_FILE_MAX (1u << 30)  /* refuse to slurp anything bigger */
#define RULES_ERR_PAT_SHOW 160u    /* pattern bytes quoted in an error */

/* A parsed rule before the db exists: strings as arena offsets. */
struct prule {
	uint32_t id;
	int32_t score;
	uint8_t field, flags;
	uint32_t line;
	size_t file, msg, pattern;
};

struct macro {
	char *name;
	char *value;       /* "(?:v1|v2)", already regex-escaped */
	size_t file;       /* arena offset of the defining file's name */
	uint32_t line;
};

struct id_slot {
	uint32_t id;       /* 0: empty (ids start at 1) */
	uint32_t rule;
};

struct loader {
	const char *path;
	char *err;
	size_t errlen;
	struct dp_buf arena;         /* becomes db->strings */
	struct prule *rules;
	uint32_t n_rules, cap_rules;
	struct macro *macros;
	uint32_t n_macros, cap_macros;
	struct id_slot *ids;
	uint32_t ids_mask;           /* capacity - 1; capacity a power of two */
	struct dp_buf pat;           /* expansion of the current pattern */
	struct dp_buf msg;           /* unescaped msg of the current line */
	const char *file;            /* current file name, for messages */
	size_t file_off;
	uint32_t line;
};

static void set_err(struct loader *ld, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

static void set_err(struct loader *ld, const char *fmt, va_list ap)
{
	if (ld->err && ld->errlen)
		vsnprintf(ld->err, ld->errlen, fmt, ap);
}

/* "FILE:LINE: reason" for the line being parsed; returns @rc. */
static int __attribute__((format(printf, 3, 4)))
line_err(struct loader *ld, int rc, const char *fmt, ...)
{
	char reason[DP_RULES_ERR_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	if (ld->err && ld->errlen)
		snprintf(ld->err, ld->errlen, "%s:%u: %s", ld->file, ld->line, reason);
	return rc;
}

/* "reason" verbatim (callers put the path in); returns @rc. */
static int __attribute__((format(printf, 3, 4)))
plain_err(struct loader *ld, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	set_err(ld, fmt, ap);
	va_end(ap);
	return rc;
}

static int rbuf_addc(struct dp_buf *b, char c)
{
	return dp_buf_add(b, &c, 1);
}

/* Append a NUL-terminated copy of s[0..n) to the arena; offset in @ret_off. */
static int arena_str(struct loader *ld, const char *s, size_t n, size_t *ret_off)
{
	size_t off = ld->arena.len;

	if (dp_buf_reserve(&ld->arena, n + 1) < 0)
		return -ENOMEM;
	memcpy(ld->arena.p + off, s, n);
	ld->arena.p[off + n] = '\0';
	ld->arena.len += n + 1;
	*ret_off = off;
	return 0;
}

static bool is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

static char *skip_ws(char *s)
{
	while (is_ws(*s))
		s++;
	return s;
}

static bool is_alnum(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_name_char(unsigned char c)
{
	return is_alnum(c) || c == '_';
}

/* Length of the token at @s: up to whitespace or end of line. */
static size_t token_len(const char *s)
{
	size_t n = 0;

	while (s[n] && !is_ws(s[n]))
		n++;
	return n;
}

static struct macro *macro_find(struct loader *ld, const char *name, size_t n)
{
	for (uint32_t i = 0; i < ld->n_macros; i++)
		if (strlen(ld->macros[i].name) == n && !memcmp(ld->macros[i].name, name, n))
			return &ld->macros[i];
	return NULL;
}

/* define|default NAME = VALUE [VALUE...]; @s is just past the keyword. */
static int parse_macro(struct loader *ld, char *s, bool is_define)
{
	const char *kw = is_define ? "define" : "default";
	struct dp_buf val = { 0 };
	struct macro *m;
	char *name;
	size_t name_n, n_values = 0;

	s = skip_ws(s);
	name = s;
	while (*s && !is_ws(*s) && *s != '=')
		s++;
	name_n = (size_t)(s - name);
	if (!name_n)
		return line_err(ld, -EINVAL, "%s needs a macro name", kw);
	for (size_t i = 0; i < name_n; i++)
		if (!is_name_char((unsigned char)name[i]) || (name[0] >= '0' && name[0] <= '9'))
			return line_err(ld, -EINVAL,
					"bad macro name '%.*s' (want letters, digits, _)",
					(int)(name_n > 64 ? 64 : name_n), name);
	s = skip_ws(s);
	if (*s != '=')
		return line_err(ld, -EINVAL, "expected '=' after macro name '%.*s'",
				(int)(name_n > 64 ? 64 : name_n), name);
	s++;

	m = macro_find(ld, name, name_n);
	if (m && is_define)
		return line_err(ld, -EINVAL, "macro '%.*s' already defined at %s:%u",
				(int)name_n, name, ld->arena.p + m->file, m->line);

	if (dp_buf_add(&val, "(?:", 3) < 0)
		goto nomem;
	for (;;) {
		while (is_ws(*s) || *s == ',')
			s++;
		if (!*s || *s == '#')
			break;
		if (n_values++ && rbuf_addc(&val, '|') < 0)
			goto nomem;
		for (; *s && !is_ws(*s) && *s != ','; s++) {
			unsigned char c = (unsigned char)*s;

			/* Non-ASCII bytes are parts of UTF-8 sequences: literal. */
			if (c < 0x80 && !is_alnum(c) && rbuf_addc(&val, '\\') < 0)
				goto nomem;
			if (rbuf_addc(&val, (char)c) < 0)
				goto nomem;
		}
	}
	if (!n_values) {
		free(val.p);
		return line_err(ld, -EINVAL, "macro '%.*s' has no values", (int)name_n, name);
	}
	if (dp_buf_add(&val, ")", 2) < 0)   /* with the NUL */
		goto nomem;
	if (m) {                          /* default for a defined name: keep */
		free(val.p);
		return 0;
	}

	if (ld->n_macros == ld->cap_macros) {
		uint32_t cap = ld->cap_macros ? ld->cap_macros * 2 : 16;
		struct macro *nm = realloc(ld->macros, cap * sizeof(*nm));

		if (!nm)
			goto nomem;
		ld->macros = nm;
		ld->cap_macros = cap;
	}
	m = &ld->macros[ld->n_macros];
	m->name = strndup(name, name_n);
	if (!m->name)
		goto nomem;
	m->value = val.p;
	m->file = ld->file_off;
	m->line = ld->line;
	ld->n_macros++;
	return 0;

nomem:
	free(val.p);
	return line_err(ld, -ENOMEM, "out of memory");
}

/*
 * /PATTERN/FLAGS at *@ps (which points at the opening slash) into ld->pat,
 * NUL-terminated, macros expanded, "\/" unescaped; *@ps ends up just
 * past the flags.
 */
static int parse_pattern(struct loader *ld, char **ps, uint8_t *ret_flags)
{
	char *s = *ps + 1;
	uint8_t flags = 0;

	ld->pat.len = 0;
	for (;;) {
		if (!*s)
			return line_err(ld, -EINVAL, "unterminated pattern");
		if (*s == '/')
			break;
		if (*s == '\\') {
			if (!s[1])
				return line_err(ld, -EINVAL, "unterminated pattern");
			if (s[1] == '/') {
				if (rbuf_addc(&ld->pat, '/') < 0)
					goto nomem;
			} else if (dp_buf_add(&ld->pat, s, 2) < 0) {
				goto nomem;
			}
			s += 2;
			continue;
		}
		if (s[0] == '%' && s[1] == '{') {
			char *name = s + 2, *e = name;
			struct macro *m;

			while (is_name_char((unsigned char)*e))
				e++;
			if (*e != '}' || e == name)
				return line_err(ld, -EINVAL, "bad macro reference '%.*s' (want %%{NAME})",
						(int)(e - s > 64 ? 64 : e - s), s);
			m = macro_find(ld, name, (size_t)(e - name));
			if (!m)
				return line_err(ld, -EINVAL, "undefined macro %%{%.*s}",
						(int)(e - name), name);
			if (dp_buf_add(&ld->pat, m->value, strlen(m->value)) < 0)
				goto nomem;
			s = e + 1;
		} else {
			if (rbuf_addc(&ld->pat, *s) < 0)
				goto nomem;
			s++;
		}
		if (ld->pat.len > RULES_PATTERN_MAX)
			return line_err(ld, -EINVAL, "pattern longer than %u bytes after macro expansion",
					RULES_PATTERN_MAX);
	}
	if (!ld->pat.len)
		return line_err(ld, -EINVAL, "empty pattern");
	if (rbuf_addc(&ld->pat, '\0') < 0)
		goto nomem;

	for (s++; *s && !is_ws(*s); s++) {
		uint8_t f;

		if (*s == 'i')
			f = DP_RULE_F_CASELESS;
		else if (*s == 'u')
			f = DP_RULE_F_UTF8;
		else if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f)
			return line_err(ld, -EINVAL, "unknown flag byte 0x%02x (want i, u)",
					(unsigned char)*s);
		else
			return line_err(ld, -EINVAL, "unknown flag '%c' (want i, u)", *s);
		if (flags & f)
			return line_err(ld, -EINVAL, "flag '%c' given twice", *s);
		flags |= f;
	}
	*ret_flags = flags;
	*ps = s;
	return 0;

nomem:
	return line_err(ld, -ENOMEM, "out of memory");
}

/* Whole-token integer in [min, max]. */
static bool parse_int(const char *tok, size_t n, long min, long max, long *ret)
{
	char buf[32], *end;
	long v;

	if (!n || n >= sizeof(buf))
		return false;
	memcpy(buf, tok, n);
	buf[n] = '\0';
	if (!(buf[0] == '-' || buf[0] == '+' || (buf[0] >= '0' && buf[0] <= '9')))
		return false;
	errno = 0;
	v = strtol(buf, &end, 10);
	if (errno || *end || v < min || v > max)
		return false;
	*ret = v;
	return true;
}

/* msg="..." with \" and \\ escapes into ld->msg; @ps at the opening quote. */
static int parse_msg(struct loader *ld, char **ps)
{
	char *s = *ps + 1;

	ld->msg.len = 0;
	for (;;) {
		unsigned char c = (unsigned char)*s;

		if (!c)
			return line_err(ld, -EINVAL, "unterminated msg string");
		if (c == '"')
			break;
		if (c == '\\') {
			if (s[1] != '"' && s[1] != '\\') {
				if (!s[1])
					return line_err(ld, -EINVAL, "unterminated msg string");
				return line_err(ld, -EINVAL,
						"bad escape '\\%c' in msg (want \\\" or \\\\)", s[1]);
			}
			c = (unsigned char)s[1];
			s++;
		} else if (c < 0x20 || c == 0x7f) {
			/* msgs end up in logs and JSON records verbatim */
			return line_err(ld, -EINVAL, "control character 0x%02x in msg", c);
		}
		if (rbuf_addc(&ld->msg, (char)c) < 0)
			return line_err(ld, -ENOMEM, "out of memory");
		s++;
	}
	s++;
	if (*s && !is_ws(*s))
		return line_err(ld, -EINVAL, "unexpected '%.*s' after msg string",
				(int)(token_len(s) > 64 ? 64 : token_len(s)), s);
	if (!ld->msg.len)
		return line_err(ld, -EINVAL, "msg is empty");
	if (ld->msg.len > DP_RULES_MSG_MAX)
		return line_err(ld, -EINVAL, "msg longer than %u bytes", DP_RULES_MSG_MAX);
	if (rbuf_addc(&ld->msg, '\0') < 0)
		return line_err(ld, -ENOMEM, "out of memory");
	*ps = s;
	return 0;
}

static uint32_t id_hash(uint32_t id)
{
	return id * 2654435761u;
}

/* Claim @id for rule index @rule; *@ret_prev is the rule that already
 * owns it, or UINT32_MAX when the claim succeeded. */
static int id_claim(struct loader *ld, uint32_t id, uint32_t rule, uint32_t *ret_prev)
{
	uint32_t i;

	/* keep the load factor at or under 1/2 */
	if (!ld->ids || (ld->n_rules + 1) * 2 > ld->ids_mask + 1) {
		uint32_t cap = ld->ids ? (ld->ids_mask + 1) * 2 : 1024;
		struct id_slot *t = calloc(cap, sizeof(*t));

		if (!t)
			return -ENOMEM;
		for (uint32_t j = 0; ld->ids && j <= ld->ids_mask; j++) {
			if (!ld->ids[j].id)
				continue;
			for (i = id_hash(ld->ids[j].id) & (cap - 1); t[i].id; i = (i + 1) & (cap - 1))
				;
			t[i] = ld->ids[j];
		}
		free(ld->ids);
		ld->ids = t;
		ld->ids_mask = cap - 1;
	}
	for (i = id_hash(id) & ld->ids_mask; ld->ids[i].id; i = (i + 1) & ld->ids_mask) {
		if (ld->ids[i].id == id) {
			*ret_prev = ld->ids[i].rule;
			return 0;
		}
	}
	ld->ids[i].id = id;
	ld->ids[i].rule = rule;
	*ret_prev = UINT32_MAX;
	return 0;
}

enum { KEY_SCORE, KEY_ID, KEY_MSG, KEY_COUNT };
static const char *const key_names[KEY_COUNT] = { "score", "id", "msg" };

/* FIELD /PATTERN/FLAGS key=value...; @s at the field name of length @n. */
static int parse_rule(struct loader *ld, char *s, size_t n, unsigned field)
{
	bool seen[KEY_COUNT] = { false };
	long score = 0, id = 0;
	uint32_t prev;
	struct prule *r;
	uint8_t flags = 0;
	int rc;

	s = skip_ws(s + n);
	if (*s != '/')
		return line_err(ld, -EINVAL, "pattern must start with '/'");
	rc = parse_pattern(ld, &s, &flags);
	if (rc < 0)
		return rc;

	for (;;) {
		char *key, *val;
		size_t kn, vn;
		int k;

		s = skip_ws(s);
		if (!*s || *s == '#')
			break;
		key = s;
		while (is_name_char((unsigned char)*s))
			s++;
		kn = (size_t)(s - key);
		if (*s != '=' || !kn) {
			vn = token_len(key);
			return line_err(ld, -EINVAL, "expected key=value, got '%.*s'",
					(int)(vn > 64 ? 64 : vn), key);
		}
		for (k = 0; k < KEY_COUNT; k++)
			if (strlen(key_names[k]) == kn && !memcmp(key_names[k], key, kn))
				break;
		if (k == KEY_COUNT)
			return line_err(ld, -EINVAL, "unknown key '%.*s'", (int)(kn > 64 ? 64 : kn), key);
		if (seen[k])
			return line_err(ld, -EINVAL, "key '%s' given twice", key_names[k]);
		seen[k] = true;
		val = ++s;
		vn = token_len(val);
		switch (k) {
		case KEY_SCORE:
			if (!parse_int(val, vn, -DP_RULES_SCORE_MAX, DP_RULES_SCORE_MAX, &score))
				return line_err(ld, -EINVAL, "score '%.*s' is not an integer in %d..%d",
						(int)(vn > 64 ? 64 : vn), val,
						-DP_RULES_SCORE_MAX, DP_RULES_SCORE_MAX);
			s = val + vn;
			break;
		case KEY_ID:
			if (!parse_int(val, vn, 1, INT32_MAX, &id))
				return line_err(ld, -EINVAL, "id '%.*s' is not an integer in 1..%d",
						(int)(vn > 64 ? 64 : vn), val, INT32_MAX);
			s = val + vn;
			break;
		default:
			if (*val != '"')
				return line_err(ld, -EINVAL, "msg must be a double-quoted string");
			rc = parse_msg(ld, &val);
			if (rc < 0)
				return rc;
			s = val;
			break;
		}
	}
	if (!seen[KEY_ID])
		return line_err(ld, -EINVAL, "missing id=");
	if (!seen[KEY_SCORE])
		return line_err(ld, -EINVAL, "missing score=");
	if (!seen[KEY_MSG])
		return line_err(ld, -EINVAL, "missing msg=");

	if (ld->n_rules >= DP_RULES_MAX)
		return line_err(ld, -EINVAL, "too many rules (more than %u)", DP_RULES_MAX);
	if (id_claim(ld, (uint32_t)id, ld->n_rules, &prev) < 0)
		return line_err(ld, -ENOMEM, "out of memory");
	if (prev != UINT32_MAX)
		return line_err(ld, -EINVAL, "duplicate id %ld (first at %s:%u)", id,
				ld->arena.p + ld->rules[prev].file, ld->rules[prev].line);

	if (ld->n_rules == ld->cap_rules) {
		uint32_t cap = ld->cap_rules ? ld->cap_rules * 2 : 64;
		struct prule *nr = realloc(ld->rules, cap * sizeof(*nr));

		if (!nr)
			return line_err(ld, -ENOMEM, "out of memory");
		ld->rules = nr;
		ld->cap_rules = cap;
	}
	r = &ld->rules[ld->n_rules];
	memset(r, 0, sizeof(*r));
	r->id = (uint32_t)id;
	r->score = (int32_t)score;
	r->field = (uint8_t)field;
	r->flags = flags;
	r->line = ld->line;
	r->file = ld->file_off;
	if (arena_str(ld, ld->msg.p, ld->msg.len - 1, &r->msg) < 0 ||
	    arena_str(ld, ld->pat.p, ld->pat.len - 1, &r->pattern) < 0)
		return line_err(ld, -ENOMEM, "out of memory");
	ld->n_rules++;
	return 0;
}

static int parse_line(struct loader *ld, char *s)
{
	size_t n;

	s = skip_ws(s);
	if (!*s || *s == '#')
		return 0;
	for (n = 0; s[n] && !is_ws(s[n]) && s[n] != '/'; n++)
		;
	if (n == 6 && !memcmp(s, "define", 6))
		return parse_macro(ld, s + n, true);
	if (n == 7 && !memcmp(s, "default", 7))
		return parse_macro(ld, s + n, false);
	for (unsigned f = 0; f < MXS_FIELD_COUNT; f++) {
		const char *name = mxs_field_name(f);

		if (strlen(name) == n && !memcmp(s, name, n))
			return parse_rule(ld, s, n, f);
	}
	return line_err(ld, -EINVAL, "unknown field '%.*s' (want helo, mail_from or rcpt_to)",
			(int)(n > 64 ? 64 : n), s);
}

static int load_file(struct loader *ld, const char *path)
{
	char line[RULES_LINE_MAX + 1];
	struct dp_buf buf = { 0 };
	size_t pos = 0;
	int fd, rc = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return plain_err(ld, -errno, "%s: %s", path, strerror(errno));
	for (;;) {
		ssize_t got;

		if (dp_buf_reserve(&buf, 65536) < 0) {
			rc = plain_err(ld, -ENOMEM, "%s: out of memory", path);
			goto out;
		}
		got = read(fd, buf.p + buf.len, buf.cap - buf.len);
		if (got < 0) {
			if (errno == EINTR)
				continue;
			rc = plain_err(ld, -errno, "%s: %s", path, strerror(errno));
			goto out;
		}
		if (!got)
			break;
		buf.len += (size_t)got;
		if (buf.len > RULES_FILE_MAX) {
			rc = plain_err(ld, -EFBIG, "%s: larger than %u bytes", path, RULES_FILE_MAX);
			goto out;
		}
	}

	if (arena_str(ld, path, strlen(path), &ld->file_off) < 0) {
		rc = plain_err(ld, -ENOMEM, "%s: out of memory", path);
		goto out;
	}
	ld->file = path;
	ld->line = 0;
	while (pos < buf.len) {
		const char *start = buf.p + pos, *nl;
		size_t len;

		nl = memchr(start, '\n', buf.len - pos);
		len = nl ? (size_t)(nl - start) : buf.len - pos;
		pos += len + (nl ? 1 : 0);
		ld->line++;
		if (memchr(start, '\0', len)) {
			rc = line_err(ld, -EINVAL, "NUL byte in line");
			goto out;
		}
		if (len > RULES_LINE_MAX) {
			rc = line_err(ld, -EINVAL, "line longer than %u bytes", RULES_LINE_MAX);
			goto out;
		}
		memcpy(line, start, len);
		line[len] = '\0';
		rc = parse_line(ld, line);
		if (rc < 0)
			goto out;
	}
out:
	free(buf.p);
	close(fd);
	return rc;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int load_dir(struct loader *ld, const char *path)
{
	char **names = NULL, *full = NULL;
	size_t n = 0, cap = 0, plen = strlen(path);
	struct dirent *de;
	DIR *d;
	int rc = 0;

	d = opendir(path);
	if (!d)
		return plain_err(ld, -errno, "%s: %s", path, strerror(errno));
	for (;;) {
		size_t len;
		struct stat st;

		errno = 0;
		de = readdir(d);
		if (!de) {
			if (errno)
				rc = plain_err(ld, -errno, "%s: %s", path, strerror(errno));
			break;
		}
		len = strlen(de->d_name);
		if (de->d_name[0] == '.' || len <= 6 || strcmp(de->d_name + len - 6, ".rules"))
			continue;
		if (fstatat(dirfd(d), de->d_name, &st, 0) < 0) {
			rc = plain_err(ld, -errno, "%s/%s: %s", path, de->d_name, strerror(errno));
			break;
		}
		if (!S_ISREG(st.st_mode))
			continue;
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 16;
			char **nn = realloc(names, ncap * sizeof(*nn));

			if (!nn) {
				rc = plain_err(ld, -ENOMEM, "%s: out of memory", path);
				break;
			}
			names = nn;
			cap = ncap;
		}
		names[n] = strdup(de->d_name);
		if (!names[n]) {
			rc = plain_err(ld, -ENOMEM, "%s: out of memory", path);
			break;
		}
		n++;
	}
	closedir(d);
	if (!rc && !n)
		rc = plain_err(ld, -ENOENT, "%s: no *.rules files", path);
	if (!rc)
		qsort(names, n, sizeof(*names), cmp_str);
	while (plen > 1 && path[plen - 1] == '/')
		plen--;
	for (size_t i = 0; !rc && i < n; i++) {
		if (asprintf(&full, "%.*s/%s", (int)plen, path, names[i]) < 0) {
			full = NULL;
			rc = plain_err(ld, -ENOMEM, "%s: out of memory", path);
			break;
		}
		rc = load_file(ld, full);
		free(full);
		full = NULL;
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return rc;
}

static void loader_fini(struct loader *ld)
{
	for (uint32_t i = 0; i < ld->n_macros; i++) {
		free(ld->macros[i].name);
		free(ld->macros[i].value);
	}
	free(ld->macros);
	free(ld->rules);
	free(ld->ids);
	free(ld->pat.p);
	free(ld->msg.p);
	free(ld->arena.p);
}

/* Field @f's fast-path and gated rules into db->lit[f]; marks them in
 * @on_lit (DP_LITERAL_ANSWERED, DP_LITERAL_GATED), and the gated ones'
 * first-key hashes in @gate_key (both by rule index). */
static int lit_build(struct loader *ld, struct dp_rules_db *db, unsigned f, uint8_t *on_lit,
		     uint64_t *gate_key)
{
	struct dp_literal_params lp = { 0 };
	struct dp_literal_rule *in;
	uint8_t *taken;
	uint64_t *key;
	uint32_t n = 0;
	int rc;

	for (uint32_t i = 0; i < db->n_rules; i++)
		n += db->rules[i].field == f;
	if (!n)
		return 0;
	in = malloc(n * sizeof(*in));
	taken = calloc(n, 1);
	key = calloc(n, sizeof(*key));
	if (!in || !taken || !key) {
		rc = -ENOMEM;
		goto out;
	}
	/* in rule order: ids (rule indexes) ascend, so hits keep rule order */
	for (uint32_t i = 0; i < db->n_rules; i++) {
		const struct dp_rule *r = &db->rules[i];

		if (r->field != f)
			continue;
		in[lp.n_rules].pattern = r->pattern;
		in[lp.n_rules].id = i;
		in[lp.n_rules].caseless = !!(r->flags & DP_RULE_F_CASELESS);
		in[lp.n_rules].utf8 = !!(r->flags & DP_RULE_F_UTF8);
		lp.n_rules++;
	}
	lp.rules = in;
	rc = dp_literal_create(&lp, &db->lit[f], taken, key);
	for (uint32_t k = 0; rc == 0 && k < n; k++) {
		on_lit[in[k].id] = taken[k];
		gate_key[in[k].id] = key[k];
		db->n_lit[f] += taken[k] == DP_LITERAL_ANSWERED;
		db->n_gated[f] += taken[k] == DP_LITERAL_GATED;
	}
out:
	free(in);
	free(taken);
	free(key);
	if (rc < 0)
		return plain_err(ld, -ENOMEM, "%s: out of memory", ld->path);
	return 0;
}

/* Compile the @n rules @rule[] (rule indexes) of field @f into one
 * block-mode database in *@ret_db (NULL on error); expression id k is rule
 * @rule[k]. */
static int compile_set(struct loader *ld, struct dp_rules_db *db, unsigned f,
		       const uint32_t *rule, uint32_t n, hs_database_t **ret_db)
{
	const char **exprs = NULL;
	unsigned *flags = NULL, *ids = NULL;
	hs_compile_error_t *cerr = NULL;
	hs_error_t e;
	int rc = 0;

	exprs = malloc(n * sizeof(*exprs));
	flags = malloc(n * sizeof(*flags));
	ids = malloc(n * sizeof(*ids));
	if (!exprs || !flags || !ids) {
		rc = plain_err(ld, -ENOMEM, "%s: out of memory", ld->path);
		goto out;
	}
	for (uint32_t k = 0; k < n; k++) {
		const struct dp_rule *r = &db->rules[rule[k]];

		exprs[k] = r->pattern;
		flags[k] = HS_FLAG_SINGLEMATCH;
		if (r->flags & DP_RULE_F_CASELESS)
			flags[k] |= HS_FLAG_CASELESS;
		/* Hyperscan leaves results on invalid UTF-8 input undefined
		 * (never unsafe): a 'u' rule may miss or hit on such a HELO. */
		if (r->flags & DP_RULE_F_UTF8)
			flags[k] |= HS_FLAG_UTF8 | HS_FLAG_UCP;
		ids[k] = k;
	}
	e = hs_compile_ext_multi(exprs, flags, ids, NULL, n, HS_MODE_BLOCK, NULL,
				 ret_db, &cerr);
	if (e != HS_SUCCESS) {
		const char *why = cerr && cerr->message ? cerr->message : "unknown error";

		*ret_db = NULL;
		if (cerr && cerr->expression >= 0 && (uint32_t)cerr->expression < n) {
			const struct dp_rule *r = &db->rules[rule[cerr->expression]];
			size_t plen = strlen(r->pattern);

			rc = plain_err(ld, -EINVAL, "%s:%u: Hyperscan rejects /%.*s%s/: %s",
				       r->file, r->line,
				       (int)(plen > RULES_ERR_PAT_SHOW ? RULES_ERR_PAT_SHOW : plen),
				       r->pattern, plen > RULES_ERR_PAT_SHOW ? "..." : "", why);
		} else {
			rc = plain_err(ld, e == HS_NOMEM ? -ENOMEM : -EINVAL,
				       "%s: Hyperscan cannot compile the %s rules: %s",
				       ld->path, mxs_field_name(f), why);
		}
	}
out:
	if (cerr)
		hs_free_compile_error(cerr);
	free(exprs);
	free(flags);
	free(ids);
	return rc;
}

struct gate_sort {
	uint64_t key;      /* hash of the rule's first gate key */
	uint32_t rule;
};

static int cmp_gate_sort(const void *va, const void *vb)
{
	const struct gate_sort *a = va, *b = vb;

	if (a->key != b->key)
		return a->key < b->key ? -1 : 1;
	return a->rule < b->rule ? -1 : a->rule > b->rule;
}

/* Field @f's rules: those @on_lit leaves to Hyperscan (0) into db->db[f]
 * (NULL when there are none); the gated ones into db->gate[f], grouped by
 * @gate_key so that rules with the same first key share a gate db (a value
 * that ends in it opens one db, not many), DP_RULES_GATE_SHARD a db. */
static int compile_field(struct loader *ld, struct dp_rules_db *db, unsigned f,
			 const uint8_t *on_lit, const uint64_t *gate_key)
{
	uint32_t n = 0, n_gated = db->n_gated[f];
	struct gate_sort *gs;
	int rc = 0;

	for (uint32_t i = 0; i < db->n_rules; i++)
		n += db->rules[i].field == f && !on_lit[i];
	if (n) {
		uint32_t *map = malloc(n * sizeof(*map));

		db->expr_rule[f] = map;
		if (!map)
			return plain_err(ld, -ENOMEM, "%s: out of memory", ld->path);
		n = 0;
		for (uint32_t i = 0; i < db->n_rules; i++)
			if (db->rules[i].field == f && !on_lit[i])
				map[n++] = i;
		rc = compile_set(ld, db, f, map, n, &db->db[f]);
		if (rc < 0)
			return rc;
	}
	if (!n_gated)
		return 0;
	db->n_gate[f] = (n_gated + DP_RULES_GATE_SHARD - 1) / DP_RULES_GATE_SHARD;
	db->gate[f] = calloc(db->n_gate[f], sizeof(*db->gate[f]));
	gs = malloc(n_gated * sizeof(*gs));
	if (!db->gate[f] || !gs) {
		free(gs);
		return plain_err(ld, -ENOMEM, "%s: out of memory", ld->path);
	}
	n = 0;
	for (uint32_t i = 0; i < db->n_rules; i++)
		if (db->rules[i].field == f && on_lit[i] == DP_LITERAL_GATED)
			gs[n++] = (struct gate_sort){ gate_key[i], i };
	qsort(gs, n_gated, sizeof(*gs), cmp_gate_sort);
	for (uint32_t g = 0, k = 0; rc == 0 && g < db->n_gate[f]; g++) {
		struct dp_rules_gate *gt = &db->gate[f][g];
		uint32_t m = n_gated - k < DP_RULES_GATE_SHARD ? n_gated - k : DP_RULES_GATE_SHARD;

		gt->expr_rule = malloc(m * sizeof(*gt->expr_rule));
		if (!gt->expr_rule) {
			rc = plain_err(ld, -ENOMEM, "%s: out of memory", ld->path);
			break;
		}
		for (; gt->n_expr < m; gt->n_expr++, k++) {
			gt->expr_rule[gt->n_expr] = gs[k].rule;
			db->rule_gate[gs[k].rule] = g;
		}
		rc = compile_set(ld, db, f, gt->expr_rule, m, &gt->db);
	}
	free(gs);
	return rc;
}

static int build_db(struct loader *ld, uint32_t n_scratch, bool fast,
		    struct dp_rules_db **ret_db)
{
	struct dp_rules_db *db;
	hs_scratch_t *proto = NULL;
	uint8_t *on_lit = NULL;     /* [rule index]: on the literal fast path */
	uint64_t *gate_key = NULL;  /* [rule index]: a gated rule's first-key hash */
	size_t hits_bytes;
	void *hits;
	int rc = 0;

	db = calloc(1, sizeof(*db));
	if (!db)
		return plain_err(ld, -ENOMEM, "%s: out of memory", ld->path);
	/* From here on the db owns the arena, so one free covers errors. */
	db->strings = ld->arena.p;
	ld->arena.p = NULL;
	db->n_rules = ld->n_rules;
	db->rules = calloc(ld->n_rules ? ld->n_rules : 1, sizeof(*db->rules));
	db->scratch = calloc(n_scratch, sizeof(*db->scratch));
	on_lit = calloc(ld->n_rules ? ld->n_rules : 1, 1);
	db->rule_gate = malloc((ld->n_rules ? ld->n_rules : 1) * sizeof(*db->rule_gate));
	gate_key = calloc(ld->n_rules ? ld->n_rules : 1, sizeof(*gate_key));
	if (!db->rules || !db->scratch || !on_lit || !db->rule_gate || !gate_key) {
		rc = plain_err(ld, -ENOMEM, "%s: out of memory", ld->path);
		goto fail;
	}
	db->n_scratch = n_scratch;
	for (uint32_t i = 0; i < ld->n_rules; i++) {
		const struct prule *p = &ld->rules[i];
		struct dp_rule *r = &db->rules[i];

		db->rule_gate[i] = UINT32_MAX;

		r->id = p->id;
		r->score = p->score;
		r->field = p->field;
		r->flags = p->flags;
		r->line = p->line;
		r->file = db->strings + p->file;
		r->msg = db->strings + p->msg;
		r->pattern = db->strings + p->pattern;
	}

	for (unsigned f = 0; f < MXS_FIELD_COUNT; f++) {
		if (fast) {
			rc = lit_build(ld, db, f, on_lit, gate_key);
			if (rc < 0)
				goto fail;
		}
		rc = compile_field(ld, db, f, on_lit, gate_key);
		if (rc < 0)
			goto fail;
	}

	/* One prototype sized for every field's db and gate dbs, then a
	 * clone per slot; no Hyperscan db at all (every rule on the fast
	 * path, or none): no scratch, and dp_rules_scan never asks for one. */
	for (unsigned f = 0; f < MXS_FIELD_COUNT; f++) {
		for (uint32_t g = 0; g <= db->n_gate[f]; g++) {
			hs_database_t *hdb = g < db->n_gate[f] ? db->gate[f][g].db : db->db[f];
			hs_error_t e;

			if (!hdb)
				continue;
			e = hs_alloc_scratch(hdb, &proto);
			if (e != HS_SUCCESS) {
				rc = plain_err(ld, e == HS_NOMEM ? -ENOMEM : -EINVAL,
					       "%s: Hyperscan cannot allocate scratch (error %d)",
					       ld->path, (int)e);
				goto fail;
			}
		}
	}
	for (uint32_t i = 0; proto && i < n_scratch; i++) {
		hs_error_t e = hs_clone_scratch(proto, &db->scratch[i]);

		if (e != HS_SUCCESS) {
			db->scratch[i] = NULL;
			rc = plain_err(ld, e == HS_NOMEM ? -ENOMEM : -EINVAL,
				       "%s: Hyperscan cannot clone scratch (error %d)",
				       ld->path, (int)e);
			goto fail;
		}
	}

	/* Rows start on cache lines so lcores never share one. */
	db->hits_stride = (ld->n_rules + 7u) & ~7u;
	if (db->hits_stride < 8)
		db->hits_stride = 8;
	hits_bytes = (size_t)n_scratch * db->hits_stride * sizeof(uint64_t);
	if (posix_memalign(&hits, 64, hits_bytes)) {
		rc = plain_err(ld, -ENOMEM, "%s: out of memory", ld->path);
		goto fail;
	}
	memset(hits, 0, hits_bytes);
	db->hits = hits;

	if (proto)
		hs_free_scratch(proto);
	free(on_lit);
	free(gate_key);
	*ret_db = db;
	return 0;

fail:
	if (proto)
		hs_free_scratch(proto);
	free(on_lit);
	free(gate_key);
	dp_rules_db_free(db);
	return rc;
}

int dp_rules_load(const struct dp_rules_params *p, struct dp_rules_db **ret_db,
		  char *err, size_t errlen)
{
	struct loader ld = { .err = err, .errlen = errlen };
	const char *nofast = getenv("MXS_RULES_NO_FASTPATH");   /* tests only */
	struct stat st;
	int rc;

	if (err && errlen)
		err[0] = '\0';
	if (!ret_db)
		return plain_err(&ld, -EINVAL, "dp_rules_load: no ret_db");
	*ret_db = NULL;
	if (!p || !p->path || !*p->path)
		return plain_err(&ld, -EINVAL, "dp_rules_load: no path");
	ld.path = p->path;
	if (p->n_scratch < 1 || p->n_scratch > DP_RULES_MAX_LCORES)
		return plain_err(&ld, -EINVAL, "%s: n_scratch %u out of range 1..%u",
				 p->path, p->n_scratch, DP_RULES_MAX_LCORES);

	if (stat(p->path, &st) < 0)
		return plain_err(&ld, -errno, "%s: %s", p->path, strerror(errno));
	if (S_ISDIR(st.st_mode))
		rc = load_dir(&ld, p->path);
	else
		rc = load_file(&ld, p->path);
	if (!rc)
		rc = build_db(&ld, p->n_scratch, !(nofast && *nofast && strcmp(nofast, "0")),
			      ret_db);
	loader_fini(&ld);
	return rc;
}

void dp_rules_db_free(struct dp_rules_db *db)
{
	if (!db)
		return;
	for (unsigned f = 0; f < MXS_FIELD_COUNT; f++) {
		if (db->db[f])
			hs_free_database(db->db[f]);
		free(db->expr_rule[f]);
		dp_literal_free(db->lit[f]);
		for (uint32_t g = 0; db->gate[f] && g < db->n_gate[f]; g++) {
			if (db->gate[f][g].db)
				hs_free_database(db->gate[f][g].db);
			free(db->gate[f][g].expr_rule);
		}
		free(db->gate[f]);
	}
	free(db->rule_gate);
	for (uint32_t i = 0; db->scratch && i < db->n_scratch; i++)
		if (db->scratch[i])
			hs_free_scratch(db->scratch[i]);
	free(db->scratch);
	free(db->hits);
	free(db->rules);
	free(db->strings);
	free(db);
}

/* gate dbs of one field, at most: one bit each in scan_ctx.gates */
#define RULES_GATE_MAX ((DP_RULES_MAX + DP_RULES_GATE_SHARD - 1) / DP_RULES_GATE_SHARD)
#define RULES_GATE_WORDS ((RULES_GATE_MAX + 63) / 64)

struct scan_ctx {
	const struct dp_rule *rules;
	const uint32_t *expr_rule;
	uint64_t *row;
	dp_rules_hit_fn fn;
	void *ctx;
	int count;
	/* gate dbs to run, one bit each; cleared on the first gate hit only */
	const uint32_t *rule_gate;
	bool any_gate;
	uint64_t gates[RULES_GATE_WORDS];
};

static inline void rule_hit(struct scan_ctx *c, uint32_t ri)
{
	uint64_t *h = &c->row[ri];

	/* One writer per row; relaxed so dp_rules_hits may read concurrently. */
	__atomic_store_n(h, __atomic_load_n(h, __ATOMIC_RELAXED) + 1, __ATOMIC_RELAXED);
	if (c->fn)
		c->fn(c->ctx, &c->rules[ri], ri);
	c->count++;
}

static int on_match(unsigned int id, unsigned long long from, unsigned long long to,
		    unsigned int flags, void *vctx)
{
	struct scan_ctx *c = vctx;

	rule_hit(c, c->expr_rule[id]);
	return 0;
}

/* dp_literal_scan's callback: the same count and callback as a Hyperscan match. */
static void on_lit_match(void *vctx, uint32_t ri)
{
	rule_hit(vctx, ri);
}

/* dp_literal_scan's gate callback: rule @ri may match; remember its db. */
static void on_gate(void *vctx, uint32_t ri)
{
	struct scan_ctx *c = vctx;
	uint32_t g = c->rule_gate[ri];

	if (!c->any_gate) {
		memset(c->gates, 0, sizeof(c->gates));
		c->any_gate = true;
	}
	c->gates[g / 64] |= 1ull << (g % 64);
}

static inline int scan_gate(const struct dp_rules_gate *gt, const char *p, size_t n,
			    hs_scratch_t *scratch, struct scan_ctx *c)
{
	hs_error_t e;

	c->expr_rule = gt->expr_rule;
	e = hs_scan(gt->db, p, (unsigned int)n, 0, scratch, on_match, c);
	return e == HS_SUCCESS || e == HS_SCAN_TERMINATED ? 0 : -EIO;
}

int dp_rules_scan(const struct dp_rules_db *db, uint32_t slot, unsigned field,
		  const char *p, size_t n, dp_rules_hit_fn fn, void *ctx)
{
	const struct dp_rules_gate *gate;
	struct scan_ctx c;
	hs_error_t e;

	assert(db && slot < db->n_scratch && field < MXS_FIELD_COUNT);
	if (!db->db[field] && !db->lit[field])
		return 0;
	if ((db->db[field] || db->n_gate[field]) && n > UINT_MAX)
		return -EIO;       /* Hyperscan lengths are unsigned int */
	if (!p)
		p = "";
	c.rules = db->rules;
	c.row = db->hits + (size_t)slot * db->hits_stride;
	c.fn = fn;
	c.ctx = ctx;
	c.count = 0;
	c.rule_gate = db->rule_gate;
	c.any_gate = false;
	if (db->lit[field])
		dp_literal_scan(db->lit[field], p, n, on_lit_match, on_gate, &c);
	if (db->db[field]) {
		c.expr_rule = db->expr_rule[field];
		e = hs_scan(db->db[field], p, (unsigned int)n, 0, db->scratch[slot], on_match, &c);
		if (e != HS_SUCCESS && e != HS_SCAN_TERMINATED)
			return -EIO;
	}
	if (!c.any_gate)
		return c.count;
	/* each gate db at most once: a rule is in one, so hits stay once a scan */
	gate = db->gate[field];
	for (uint32_t w = 0; w * 64 < db->n_gate[field]; w++)
		for (uint64_t m = c.gates[w]; m; m &= m - 1)
			if (scan_gate(&gate[w * 64 + (uint32_t)__builtin_ctzll(m)], p, n,
				      db->scratch[slot], &c) < 0)
				return -EIO;
	return c.count;
}

uint64_t dp_rules_hits(const struct dp_rules_db *db, uint32_t i)
{
	uint64_t sum = 0;

	assert(db && i < db->n_rules);
	for (uint32_t s = 0; s < db->n_scratch; s++)
		sum += __atomic_load_n(&db->hits[(size_t)s * db->hits_stride + i],
				       __ATOMIC_RELAXED);
	return sum;
}
