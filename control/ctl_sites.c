/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ctl_sites: parse Postfix postscreen_dnsbl_sites lists (syntax in
 * ctl_sites.h) into struct ctl_site arrays, and match DNSBL answers against
 * their filters.
 *
 * Owns: nothing past a call; the array ctl_sites_parse returns belongs to
 * the caller. Pure C, no state: any thread.
 *
 * Postfix compatibility: the same item may appear more than once (admins
 * give zen.spamhaus.org one weight per return-code range), so duplicates
 * are kept, not rejected. Errors quote the whole item, because that is what
 * the admin pasted and will search for.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_sites.h"

#define LABEL_MAX 63

__attribute__((format(printf, 3, 4)))
static void sites_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* Item separators: Postfix splits these lists on commas and whitespace. */
static int is_sep(char c)
{
	return c == ',' || c == ' ' || c == '\t' || c == '\r' || c == '\n' ||
	       c == '\f' || c == '\v';
}

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static void bit_set_range(uint8_t map[32], unsigned lo, unsigned hi)
{
	for (unsigned v = lo; v <= hi; v++)
		map[v >> 3] |= (uint8_t)(1u << (v & 7));
}

/* A decimal number 0..255 at *@p (before @end); advances *@p past it. */
static int parse_octet(const char **p, const char *end, unsigned *ret)
{
	const char *s = *p;
	unsigned v = 0;

	if (s >= end || !is_digit(*s))
		return -1;
	for (; s < end && is_digit(*s); s++) {
		v = v * 10 + (unsigned)(*s - '0');
		if (v > 255)
			return -1;
	}
	*p = s;
	*ret = v;
	return 0;
}

/*
 * "d.d.d.d" where each d is a number, or [e;e;...] with each e a number or
 * lo..hi. Ranges contain dots, so this walks a cursor rather than
 * splitting on '.'.
 */
static int parse_filter(const char *s, const char *end, struct ctl_filter *f)
{
	memset(f, 0, sizeof(*f));
	for (int i = 0; i < 4; i++) {
		unsigned lo, hi;

		if (i > 0) {
			if (s >= end || *s != '.')
				return -1;
			s++;
		}
		if (s < end && *s == '[') {
			s++;
			for (;;) {
				if (parse_octet(&s, end, &lo))
					return -1;
				hi = lo;
				if (end - s >= 2 && s[0] == '.' && s[1] == '.') {
					s += 2;
					if (parse_octet(&s, end, &hi) || lo > hi)
						return -1;
				}
				bit_set_range(f->octet[i], lo, hi);
				if (s < end && *s == ';') {
					s++;
					continue;
				}
				if (s < end && *s == ']') {
					s++;
					break;
				}
				return -1;
			}
		} else {
			if (parse_octet(&s, end, &lo))
				return -1;
			bit_set_range(f->octet[i], lo, lo);
		}
	}
	return s == end ? 0 : -1;
}

/* Lower-case @s[0..@len) into @out minus one trailing dot; 0 if it is a
 * DNS name (labels of 1-63 letters, digits, '-' or '_'; <= 253 bytes). */
static int zone_norm(const char *s, size_t len, char out[CTL_ZONE_MAX + 1])
{
	size_t label = 0;

	if (len > 0 && s[len - 1] == '.')
		len--;
	if (len == 0 || len > CTL_ZONE_MAX)
		return -1;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];

		if (c == '.') {
			if (label == 0)
				return -1;
			label = 0;
		} else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			   is_digit(c) || c == '-' || c == '_') {
			if (++label > LABEL_MAX)
				return -1;
		} else {
			return -1;
		}
		out[i] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
	}
	if (label == 0)
		return -1;
	out[len] = '\0';
	return 0;
}

/* Signed decimal in [s, end). 0 ok, -1 not a number, -2 out of range. */
static int parse_weight(const char *s, const char *end, int *ret)
{
	int neg = 0;
	long v = 0;

	if (s < end && (*s == '-' || *s == '+'))
		neg = *s++ == '-';
	if (s >= end)
		return -1;
	for (; s < end; s++) {
		if (!is_digit(*s))
			return -1;
		if (v <= CTL_WEIGHT_MAX)
			v = v * 10 + (*s - '0');
	}
	if (v > CTL_WEIGHT_MAX)
		return -2;
	*ret = (int)(neg ? -v : v);
	return 0;
}

static int parse_item(const char *item, size_t len, struct ctl_site *site,
		      char *err, size_t errlen)
{
	const char *end = item + len, *p = item, *fend;
	int n = len > 512 ? 512 : (int)len; /* quoted in errors */
	int rc;

	memset(site, 0, sizeof(*site));
	site->weight = 1;
	while (p < end && *p != '=' && *p != '*')
		p++;
	if (zone_norm(item, (size_t)(p - item), site->zone)) {
		sites_err(err, errlen, "bad zone name in '%.*s'", n, item);
		return -EINVAL;
	}
	if (p < end && *p == '=') {
		fend = memchr(p + 1, '*', (size_t)(end - p - 1));
		if (!fend)
			fend = end;
		if (parse_filter(p + 1, fend, &site->filter)) {
			sites_err(err, errlen, "bad filter in '%.*s'", n, item);
			return -EINVAL;
		}
		site->has_filter = 1;
		p = fend;
	} else {
		/* No filter: any 127.0.0.0/8 answer, spelled as a filter so
		 * ctl_filter_match works on every site alike. */
		bit_set_range(site->filter.octet[0], 127, 127);
		for (int i = 1; i < 4; i++)
			bit_set_range(site->filter.octet[i], 0, 255);
	}
	if (p < end) { /* *p == '*' */
		rc = parse_weight(p + 1, end, &site->weight);
		if (rc == -1) {
			sites_err(err, errlen, "bad weight in '%.*s'", n, item);
			return -EINVAL;
		}
		if (rc == -2) {
			sites_err(err, errlen, "weight out of range in '%.*s'", n, item);
			return -EINVAL;
		}
	}
	return 0;
}

int ctl_sites_parse(const char *text, struct ctl_site **ret, size_t *ret_n,
		    char *err, size_t errlen)
{
	struct ctl_site *v = NULL, *nv;
	size_t n = 0, cap = 0;
	const char *p = text ? text : "";

	*ret = NULL;
	*ret_n = 0;
	for (;;) {
		const char *start;
		int rc;

		while (*p && is_sep(*p))
			p++;
		if (!*p)
			break;
		start = p;
		while (*p && !is_sep(*p))
			p++;
		if (n == cap) {
			cap = cap ? cap * 2 : 8;
			nv = realloc(v, cap * sizeof(*v));
			if (!nv) {
				free(v);
				sites_err(err, errlen, "out of memory");
				return -ENOMEM;
			}
			v = nv;
		}
		rc = parse_item(start, (size_t)(p - start), &v[n], err, errlen);
		if (rc) {
			free(v);
			return rc;
		}
		n++;
	}
	*ret = v;
	*ret_n = n;
	return 0;
}

int ctl_filter_match(const struct ctl_filter *f, const uint8_t a[4])
{
	for (int i = 0; i < 4; i++)
		if (!(f->octet[i][a[i] >> 3] & (1u << (a[i] & 7))))
			return 0;
	return 1;
}
