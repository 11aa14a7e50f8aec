/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ctl_vtab_file: the verdict table's text side (see ctl_vtab_file.h): keys
 * as "ADDR[/PLEN]" and the manual-verdicts file, written atomically
 * (temp file, fsync, rename) and read all or nothing (every line parsed
 * and the room checked before one entry is put). Reaches the table only
 * through ctl_vtab.h and ctl_vtab_impl.h. Main thread only.
 */
#include <arpa/inet.h>
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctl_vtab_file.h"
#include "ctl_vtab_impl.h"

#define NS UINT64_C(1000000000)
#define VT_LINE_MAX 4096

__attribute__((format(printf, 3, 4)))
static void vt_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* ---- key text ---- */

static void fmt_key(char *buf, size_t len, int family, int plen, const uint8_t a[16],
		    bool always_plen)
{
	char s[INET6_ADDRSTRLEN];
	int bits = vt_fam_bits(family);

	if (!len)
		return;
	if (!bits || !inet_ntop(family == 4 ? AF_INET : AF_INET6, a, s, sizeof(s))) {
		snprintf(buf, len, "?");
		return;
	}
	if (plen == bits && !always_plen)
		snprintf(buf, len, "%s", s);
	else
		snprintf(buf, len, "%s/%d", s, plen);
}

void ctl_vtab_fmt_key(char *buf, size_t len, int family, int prefix_len, const uint8_t addr[16])
{
	fmt_key(buf, len, family, prefix_len, addr, false);
}

int ctl_vtab_parse_key(const char *s, int *family, int *prefix_len, uint8_t addr[16],
		       char *err, size_t errlen)
{
	const char *slash = strchr(s, '/');
	size_t alen = slash ? (size_t)(slash - s) : strlen(s);
	char buf[64], net[CTL_VTAB_KEY_STRLEN];
	uint8_t a[16] = { 0 };
	int fam, bits, plen;

	if (alen == 0 || alen >= sizeof(buf)) {
		vt_err(err, errlen, "bad address '%s'", s);
		return -EINVAL;
	}
	memcpy(buf, s, alen);
	buf[alen] = '\0';
	if (strchr(buf, ':')) {
		fam = 6;
		if (inet_pton(AF_INET6, buf, a) != 1) {
			vt_err(err, errlen, "bad IPv6 address '%s'", buf);
			return -EINVAL;
		}
	} else {
		fam = 4;
		if (inet_pton(AF_INET, buf, a) != 1) {
			vt_err(err, errlen, "bad IPv4 address '%s'", buf);
			return -EINVAL;
		}
	}
	bits = vt_fam_bits(fam);
	plen = bits;
	if (slash) {
		const char *p = slash + 1;
		size_t nd = strspn(p, "0123456789");

		if (nd == 0 || nd > 3 || p[nd] != '\0') {
			vt_err(err, errlen, "bad prefix length in '%s'", s);
			return -EINVAL;
		}
		plen = atoi(p);
		if (plen > bits) {
			vt_err(err, errlen, "prefix length %d out of range for IPv%d in '%s'",
			       plen, fam, s);
			return -EINVAL;
		}
	}
	if (!vt_host_bits_zero(a, plen)) {
		vt_mask_addr(a, plen);
		fmt_key(net, sizeof(net), fam, plen, a, true);
		vt_err(err, errlen, "%s: host bits set, the network is %s", s, net);
		return -EINVAL;
	}
	*family = fam;
	*prefix_len = plen;
	memcpy(addr, a, 16);
	return 0;
}

/* ---- save ---- */

/* Length of the valid UTF-8 sequence at s (n bytes left), 0 if invalid. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	unsigned c = s[0];
	size_t len;
	uint32_t cp, min;

	if (c >= 0xc2 && c <= 0xdf) {
		len = 2; cp = c & 0x1f; min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3; cp = c & 0x0f; min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4; cp = c & 0x07; min = 0x10000;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

/* JSON string; bytes that are not UTF-8 become \u00XX. */
static void put_json(FILE *f, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t n = strlen(str);

	fputc('"', f);
	for (size_t i = 0; i < n;) {
		unsigned c = s[i];
		size_t k;

		if (c == '"' || c == '\\') {
			fprintf(f, "\\%c", c);
			i++;
		} else if (c == '\n') {
			fputs("\\n", f);
			i++;
		} else if (c == '\t') {
			fputs("\\t", f);
			i++;
		} else if (c >= 0x20 && c < 0x7f) {
			fputc((int)c, f);
			i++;
		} else if (c >= 0x80 && (k = utf8_len(s + i, n - i))) {
			fwrite(s + i, 1, k, f);
			i += k;
		} else {
			fprintf(f, "\\u%04x", c);
			i++;
		}
	}
	fputc('"', f);
}

static int cmp_key(const void *pa, const void *pb)
{
	const struct mxs_verdict *a = &(*(const struct ctl_vtab_entry *const *)pa)->v;
	const struct mxs_verdict *b = &(*(const struct ctl_vtab_entry *const *)pb)->v;
	int c;

	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	if ((c = memcmp(a->addr, b->addr, 16)) != 0)
		return c;
	return (a->prefix_len > b->prefix_len) - (a->prefix_len < b->prefix_len);
}

static void write_entries(FILE *f, const struct ctl_vtab_entry **v, size_t n)
{
	fputs("# mxscreend manual verdicts, rewritten by the daemon:\n"
	      "# ADDR/PLEN ACTION EXPIRY_UNIX_S|never CREATED_UNIX_S \"REASON\"\n", f);
	for (size_t i = 0; i < n; i++) {
		const struct ctl_vtab_entry *e = v[i];
		char key[CTL_VTAB_KEY_STRLEN];

		fmt_key(key, sizeof(key), e->v.family, e->v.prefix_len, e->v.addr, true);
		fprintf(f, "%s %s ", key, mxs_action_name(e->v.action));
		if (e->v.expiry_ns == UINT64_MAX)
			fputs("never", f);
		else
			fprintf(f, "%" PRIu64, (uint64_t)(e->v.expiry_ns / NS + (e->v.expiry_ns % NS != 0)));
		fprintf(f, " %" PRIu64 " ", e->created_ns / NS);
		put_json(f, e->reason);
		fputc('\n', f);
	}
}

int ctl_vtab_save(const struct ctl_vtab *t, const char *path, char *err, size_t errlen)
{
	const struct ctl_vtab_entry **v = NULL, *ents;
	char tmp[PATH_MAX], dir[PATH_MAX];
	struct ctl_vtab_stats st;
	size_t n = 0, nents;
	FILE *f = NULL;
	int fd, rc;
	char *slash;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path) >= sizeof(tmp)) {
		vt_err(err, errlen, "%s: path too long", path);
		return -ENAMETOOLONG;
	}
	ctl_vtab_stats(t, &st);
	if (st.manual) {
		v = malloc(st.manual * sizeof(*v));
		if (!v) {
			vt_err(err, errlen, "%s: out of memory", path);
			return -ENOMEM;
		}
		ents = ctl_vtab_impl_entries(t, &nents);
		for (size_t s = 0; s < nents; s++)
			if (ents[s].source == CTL_VTAB_MANUAL)
				v[n++] = &ents[s];
		qsort(v, n, sizeof(*v), cmp_key);
	}
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		vt_err(err, errlen, "%s: %s", tmp, strerror(errno));
		free(v);
		return rc;
	}
	if (fchmod(fd, 0644) < 0 || !(f = fdopen(fd, "w")))
		goto fail;
	write_entries(f, v, n);
	if (fflush(f) != 0 || ferror(f) || fsync(fileno(f)) < 0)
		goto fail;
	rc = fclose(f);
	f = NULL;
	fd = -1;
	if (rc != 0 || rename(tmp, path) < 0)
		goto fail;
	free(v);
	/* The rename is only durable once the directory is; best effort. */
	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash == dir)
		slash[1] = '\0';
	else if (slash)
		*slash = '\0';
	else
		snprintf(dir, sizeof(dir), ".");
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
		(void)fsync(fd);
		close(fd);
	}
	return 0;
fail:
	rc = errno ? -errno : -EIO;
	vt_err(err, errlen, "%s: %s", path, strerror(-rc));
	if (f)
		fclose(f);
	else if (fd >= 0)
		close(fd);
	unlink(tmp);
	free(v);
	return rc;
}

/* ---- load ---- */

struct vt_line {
	struct ctl_vtab_entry e;
	uint64_t created;
	size_t line;
	bool live;
};

static const char *skip_blank(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

/* The next blank-separated field into buf; NULL when none. */
static const char *field(const char *p, char *buf, size_t len)
{
	size_t n;

	p = skip_blank(p);
	n = strcspn(p, " \t");
	if (n == 0)
		return NULL;
	snprintf(buf, len, "%.*s", (int)n, p);
	return p + n;
}

static bool parse_u64(const char *s, uint64_t *ret)
{
	uint64_t v = 0;

	if (!*s)
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || v > (UINT64_MAX - 9) / 10)
			return false;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	*ret = v;
	return true;
}

static bool secs_to_ns(uint64_t secs, uint64_t *ret)
{
	if (secs >= UINT64_MAX / NS)
		return false;
	*ret = secs * NS;
	return true;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static bool hex4(const char *p, uint32_t *ret)
{
	uint32_t v = 0;

	for (int i = 0; i < 4; i++) {
		int h = hexval((unsigned char)p[i]);

		if (h < 0)
			return false;
		v = v << 4 | (uint32_t)h;
	}
	*ret = v;
	return true;
}

/* Append bytes to out (size CTL_VTAB_REASON_SIZE) unless they would not
 * fit: the reason is cut at a character boundary. */
static void append(char *out, size_t *n, const void *b, size_t k)
{
	if (*n >= CTL_VTAB_REASON_SIZE)
		return;
	if (*n + k >= CTL_VTAB_REASON_SIZE) {
		*n = CTL_VTAB_REASON_SIZE; /* full: nothing after this either */
		return;
	}
	memcpy(out + *n, b, k);
	*n += k;
	out[*n] = '\0';
}

/* A JSON string at p into out; returns the end or NULL with *why. */
static const char *parse_json(const char *p, char *out, const char **why)
{
	size_t n = 0;

	out[0] = '\0';
	if (*p != '"') {
		*why = "reason must be a JSON string";
		return NULL;
	}
	for (p++;;) {
		unsigned char c = (unsigned char)*p;
		uint32_t cp;
		char u[4];
		size_t k;

		if (c == '"')
			return p + 1;
		if (c == '\0') {
			*why = "unterminated reason string";
			return NULL;
		}
		if (c < 0x20 || c == 0x7f) {
			*why = "control character in reason";
			return NULL;
		}
		if (c >= 0x80) {
			if (!(k = utf8_len((const unsigned char *)p, strlen(p)))) {
				*why = "reason is not UTF-8";
				return NULL;
			}
			append(out, &n, p, k);
			p += k;
			continue;
		}
		if (c != '\\') {
			append(out, &n, p++, 1);
			continue;
		}
		p++;
		switch (*p) {
		case '"': case '\\': case '/':
			append(out, &n, p, 1);
			p++;
			continue;
		case 'b': append(out, &n, "\b", 1); p++; continue;
		case 'f': append(out, &n, "\f", 1); p++; continue;
		case 'n': append(out, &n, "\n", 1); p++; continue;
		case 'r': append(out, &n, "\r", 1); p++; continue;
		case 't': append(out, &n, "\t", 1); p++; continue;
		case 'u':
			break;
		default:
			*why = "bad escape in reason";
			return NULL;
		}
		if (!hex4(p + 1, &cp)) {
			*why = "bad \\u escape in reason";
			return NULL;
		}
		p += 5;
		if (cp >= 0xd800 && cp <= 0xdbff) {
			uint32_t lo;

			if (p[0] != '\\' || p[1] != 'u' || !hex4(p + 2, &lo) ||
			    lo < 0xdc00 || lo > 0xdfff) {
				*why = "unpaired surrogate in reason";
				return NULL;
			}
			p += 6;
			cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
		} else if (cp >= 0xdc00 && cp <= 0xdfff) {
			*why = "unpaired surrogate in reason";
			return NULL;
		} else if (cp == 0) {
			*why = "NUL in reason";
			return NULL;
		}
		if (cp < 0x80) {
			u[0] = (char)cp;
			k = 1;
		} else if (cp < 0x800) {
			u[0] = (char)(0xc0 | cp >> 6);
			u[1] = (char)(0x80 | (cp & 0x3f));
			k = 2;
		} else if (cp < 0x10000) {
			u[0] = (char)(0xe0 | cp >> 12);
			u[1] = (char)(0x80 | (cp >> 6 & 0x3f));
			u[2] = (char)(0x80 | (cp & 0x3f));
			k = 3;
		} else {
			u[0] = (char)(0xf0 | cp >> 18);
			u[1] = (char)(0x80 | (cp >> 12 & 0x3f));
			u[2] = (char)(0x80 | (cp >> 6 & 0x3f));
			u[3] = (char)(0x80 | (cp & 0x3f));
			k = 4;
		}
		append(out, &n, u, k);
	}
}

/* One entry line (not blank, not a comment) into *r; NULL or the reason. */
static const char *parse_line(const char *p, uint64_t now_ns, struct vt_line *r, char *kerr,
			      size_t kerrlen)
{
	struct ctl_vtab_entry *e = &r->e;
	char tok[VT_LINE_MAX];
	const char *why = NULL;
	uint64_t secs, exp;
	int fam, plen, act;

	memset(e, 0, sizeof(*e));
	if (!(p = field(p, tok, sizeof(tok))))
		return "missing ADDR/PLEN";
	if (ctl_vtab_parse_key(tok, &fam, &plen, e->v.addr, kerr, kerrlen) < 0)
		return kerr;
	if (!(p = field(p, tok, sizeof(tok))))
		return "missing ACTION";
	for (act = MXS_ACTION_COUNT - 1; act > MXS_ACTION_NONE; act--)
		if (strcmp(tok, mxs_action_name((unsigned)act)) == 0)
			break;
	if (act == MXS_ACTION_NONE) {
		snprintf(kerr, kerrlen, "unknown action '%.32s' (pass, tag, throttle, drop)", tok);
		return kerr;
	}
	if (!(p = field(p, tok, sizeof(tok))))
		return "missing EXPIRY";
	if (strcmp(tok, "never") == 0)
		exp = UINT64_MAX;
	else if (!parse_u64(tok, &secs) || !secs_to_ns(secs, &exp))
		return "bad EXPIRY: unix seconds or never";
	if (!(p = field(p, tok, sizeof(tok))))
		return "missing CREATED";
	if (!parse_u64(tok, &secs) || !secs_to_ns(secs, &r->created))
		return "bad CREATED: unix seconds";
	p = skip_blank(p);
	if (!*p)
		return "missing REASON";
	if (!(p = parse_json(p, e->reason, &why)))
		return why;
	if (*skip_blank(p))
		return "text after REASON";
	e->v.family = (uint8_t)fam;
	e->v.prefix_len = (uint8_t)plen;
	e->v.action = (uint8_t)act;
	e->v.would_be = (uint8_t)act;
	e->v.reasons = MXS_REASON_BIT(MANUAL);
	e->v.expiry_ns = exp;
	if (exp == UINT64_MAX || exp < now_ns) {
		e->v.ttl_s = 0;
	} else {
		uint64_t left = (exp - now_ns + NS - 1) / NS;

		e->v.ttl_s = left > UINT32_MAX ? UINT32_MAX : (uint32_t)left;
	}
	e->source = CTL_VTAB_MANUAL;
	r->live = !vt_is_expired(e, now_ns);
	return NULL;
}

/* One line into buf (no newline, no CR before it). 1 line, 0 EOF,
 * -1 with *why. */
static int read_line(FILE *f, char *buf, size_t len, const char **why)
{
	size_t n = 0;
	int c;

	while ((c = getc(f)) != EOF && c != '\n') {
		if (c == '\0') {
			*why = "NUL byte";
			return -1;
		}
		if (n + 1 >= len) {
			*why = "line too long";
			return -1;
		}
		buf[n++] = (char)c;
	}
	if (ferror(f)) {
		*why = strerror(errno ? errno : EIO);
		return -1;
	}
	if (c == EOF && n == 0)
		return 0;
	if (n && buf[n - 1] == '\r')
		n--;
	buf[n] = '\0';
	return 1;
}

static int cmp_line_key(const void *pa, const void *pb)
{
	const struct vt_line *a = *(const struct vt_line *const *)pa;
	const struct vt_line *b = *(const struct vt_line *const *)pb;
	const struct ctl_vtab_entry *ea = &a->e, *eb = &b->e;
	int c = cmp_key(&ea, &eb);

	if (c)
		return c;
	return (a->line > b->line) - (a->line < b->line);
}

/* 0, or the first line (in file order) repeating an earlier key. */
static size_t first_dup(struct vt_line *v, size_t n, size_t *ret_first)
{
	struct vt_line **p;
	size_t worst = 0;

	if (n < 2)
		return 0;
	p = malloc(n * sizeof(*p));
	if (!p)
		return SIZE_MAX;
	for (size_t i = 0; i < n; i++)
		p[i] = &v[i];
	qsort(p, n, sizeof(*p), cmp_line_key);
	for (size_t i = 1; i < n; i++) {
		const struct ctl_vtab_entry *a = &p[i - 1]->e, *b = &p[i]->e;

		if (cmp_key(&a, &b) == 0 && (!worst || p[i]->line < worst)) {
			worst = p[i]->line;
			*ret_first = p[i - 1]->line;
		}
	}
	free(p);
	return worst;
}

int ctl_vtab_load(struct ctl_vtab *t, const char *path, uint64_t now_ns, char *err, size_t errlen)
{
	struct vt_line *v = NULL;
	size_t n = 0, cap = 0, line = 0, dup, first = 0, manual, cidrs, fresh = 0, fresh_cidrs = 0;
	char *buf = NULL, kerr[160];
	const char *why = NULL;
	struct ctl_vtab_params lim;
	struct ctl_vtab_stats st;
	FILE *f;
	int rc = -EINVAL;

	ctl_vtab_impl_params(t, &lim);

	f = fopen(path, "re");
	if (!f) {
		rc = -errno;
		vt_err(err, errlen, "%s: %s", path, strerror(errno));
		return rc;
	}
	buf = malloc(VT_LINE_MAX);
	if (!buf)
		goto nomem;
	for (;;) {
		const char *p;
		int r;

		errno = 0;
		r = read_line(f, buf, VT_LINE_MAX, &why);
		if (r == 0)
			break;
		line++;
		if (r < 0)
			goto bad;
		p = skip_blank(buf);
		if (!*p || *p == '#')
			continue;
		if (n == lim.max_entries) {
			vt_err(err, errlen, "%s:%zu: more than max_entries (%zu) entries",
			       path, line, lim.max_entries);
			rc = -ENOSPC;
			goto out;
		}
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 64;
			struct vt_line *nv;

			if (ncap > lim.max_entries)
				ncap = lim.max_entries;
			if (!(nv = realloc(v, ncap * sizeof(*v))))
				goto nomem;
			v = nv;
			cap = ncap;
		}
		if ((why = parse_line(p, now_ns, &v[n], kerr, sizeof(kerr))))
			goto bad;
		v[n++].line = line;
	}
	dup = first_dup(v, n, &first);
	if (dup == SIZE_MAX)
		goto nomem;
	if (dup) {
		vt_err(err, errlen, "%s:%zu: duplicate of line %zu", path, dup, first);
		goto out;
	}
	/* Room for every live entry, checked in file order so the error names
	 * the first line that does not fit. Entries replace any key they
	 * share; policy entries make way, manual ones count. */
	ctl_vtab_stats(t, &st);
	manual = st.manual;
	cidrs = st.cidrs;
	for (size_t i = 0; i < n; i++) {
		const struct mxs_verdict *k = &v[i].e.v;
		const struct ctl_vtab_entry *o;

		if (!v[i].live)
			continue;
		o = ctl_vtab_impl_find(t, k->family, k->prefix_len, k->addr);
		if (!o)
			fresh++;
		if (!o || o->source != CTL_VTAB_MANUAL)
			manual++;
		if (!o && !vt_is_host_key(k->family, k->prefix_len)) {
			cidrs++;
			fresh_cidrs++;
		}
		if (manual > lim.max_entries) {
			vt_err(err, errlen, "%s:%zu: more than max_entries (%zu) manual entries",
			       path, v[i].line, lim.max_entries);
			rc = -ENOSPC;
			goto out;
		}
		if (cidrs > lim.max_cidrs) {
			vt_err(err, errlen, "%s:%zu: more than max_cidrs (%zu) CIDRs",
			       path, v[i].line, lim.max_cidrs);
			rc = -ENOSPC;
			goto out;
		}
	}
	/* Allocate up front so that no put below can fail. */
	if (ctl_vtab_impl_reserve(t, fresh, fresh_cidrs) < 0)
		goto nomem;
	for (size_t i = 0; i < n; i++) {
		int r;

		if (!v[i].live)
			continue;
		r = ctl_vtab_impl_put_created(t, &v[i].e, now_ns, v[i].created);
		assert(r == 0);
		(void)r;
	}
	rc = 0;
	goto out;
nomem:
	vt_err(err, errlen, "%s: out of memory", path);
	rc = -ENOMEM;
	goto out;
bad:
	vt_err(err, errlen, "%s:%zu: %s", path, line, why);
	rc = -EINVAL;
out:
	free(buf);
	free(v);
	fclose(f);
	return rc;
}
