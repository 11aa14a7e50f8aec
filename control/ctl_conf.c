/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ctl_conf: read mxscreend's main.cf-style configuration file into a
 * struct ctl_conf; every key, its syntax and its default are documented in
 * etc/mxscreen.conf, and the defaults here must stay equal to that file's
 * active lines (tests/control/test_ctl_conf.c checks it).
 *
 * Owns: the struct ctl_conf it returns and every array hanging off it;
 * ctl_conf_free releases all of it. Main thread only (reads the
 * environment and the working directory).
 *
 * File syntax, as Postfix's readlline(): blank lines and lines whose first
 * non-blank character is '#' are ignored anywhere, even between a line and
 * its continuation; a line starting with whitespace continues the previous
 * logical line (joined with one space); '#' after a value is part of the
 * value, as in main.cf. Each key may be given once: a second one is an
 * error rather than "last wins", because in a file edited by hand the
 * second is usually a paste the admin did not notice.
 *
 * The default resolvers are the nameserver lines of /etc/resolv.conf; the
 * environment variable MXS_RESOLV_CONF names another file (tests use it).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <grp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/un.h>
#include <unistd.h>

#include "ctl_conf.h"

#define WHY_MAX 1024
#define DURATION_MAX (365u * 86400u)   /* sanity bound for every TTL */
#define SCORE_MAX 1000000
#define DNS_TIMEOUT_MAX_MS 60000u
#define DNS_INFLIGHT_MAX 100000
#define RESOLV_CONF_DEFAULT "/etc/resolv.conf"
#define THROTTLE_MAX 1000000           /* throttle_rate, throttle_burst */

_Static_assert(sizeof(((struct sockaddr_un *)0)->sun_path) ==
	       sizeof(((struct ctl_conf *)0)->dataplane_socket),
	       "socket paths are sized as sun_path");

struct conf_key;

struct conf_ctx {
	const char *path;             /* the config file, for errors and local_zones */
	struct ctl_conf *c;
	char why[WHY_MAX];            /* reason of the current error, "key: ..." */
};

typedef int (*conf_set_fn)(struct conf_ctx *x, const struct conf_key *k, const char *val);

struct conf_key {
	const char *name;
	conf_set_fn set;
	size_t off;                   /* field for the generic setters */
	size_t off_n;                 /* its element count, for arrays */
	long lo, hi;                  /* accepted range (ints, durations) */
};

__attribute__((format(printf, 3, 4)))
static void errf(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

__attribute__((format(printf, 2, 3)))
static int why(struct conf_ctx *x, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(x->why, sizeof(x->why), fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static int is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static void *field(struct ctl_conf *c, size_t off)
{
	return (char *)c + off;
}

/* ---- list values: items separated by whitespace and/or commas ---- */

/* Next item of a list value: its start in *@ret, its length returned, 0 at
 * the end. */
static size_t list_next(const char **p, const char **ret)
{
	const char *s = *p;
	size_t n = 0;

	while (*s && (is_ws(*s) || *s == ','))
		s++;
	*ret = s;
	while (s[n] && !is_ws(s[n]) && s[n] != ',')
		n++;
	*p = s + n;
	return n;
}

/* ---- scalars ---- */

/* Signed decimal, the whole string. 0 ok, -1 not a number, -2 out of range. */
static int parse_long(const char *s, long lo, long hi, long *ret)
{
	char *end;
	long v;

	if (!*s || is_ws(*s))
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (*end)
		return -1;
	if (errno == ERANGE || v < lo || v > hi)
		return -2;
	*ret = v;
	return 0;
}

/*
 * A duration: digits and an optional unit, s, m, h, d (and ms when
 * @allow_ms). No unit means seconds. Returns 0 with milliseconds in @ret_ms,
 * -1 when malformed.
 */
static int parse_duration(const char *s, size_t len, int allow_ms, uint64_t *ret_ms)
{
	uint64_t v = 0, unit = 1000;
	size_t i = 0;

	if (len == 0 || !is_digit(s[0]))
		return -1;
	/* Saturate: anything this large fails every range check anyway,
	 * and v * unit cannot overflow. */
	for (; i < len && is_digit(s[i]); i++)
		if (v <= 10000000000ull)
			v = v * 10 + (uint64_t)(s[i] - '0');
	if (len - i == 2 && allow_ms && s[i] == 'm' && s[i + 1] == 's')
		unit = 1;
	else if (len - i == 1 && s[i] == 's')
		unit = 1000;
	else if (len - i == 1 && s[i] == 'm')
		unit = 60 * 1000;
	else if (len - i == 1 && s[i] == 'h')
		unit = 3600 * 1000;
	else if (len - i == 1 && s[i] == 'd')
		unit = 86400 * 1000;
	else if (len != i)
		return -1;
	*ret_ms = v * unit;
	return 0;
}

/* @secs in the largest unit that divides it, for range messages. */
static const char *fmt_duration(uint64_t secs, char buf[32])
{
	if (secs && secs % 86400 == 0)
		snprintf(buf, 32, "%llud", (unsigned long long)(secs / 86400));
	else if (secs && secs % 3600 == 0)
		snprintf(buf, 32, "%lluh", (unsigned long long)(secs / 3600));
	else if (secs && secs % 60 == 0)
		snprintf(buf, 32, "%llum", (unsigned long long)(secs / 60));
	else
		snprintf(buf, 32, "%llus", (unsigned long long)secs);
	return buf;
}

/* @s[0..@len) as a duration in seconds within [@lo, @hi], for key @name. */
static int duration_secs(struct conf_ctx *x, const char *name, const char *s,
			 size_t len, long lo, long hi, uint32_t *ret)
{
	uint64_t ms;
	char b1[32], b2[32];

	if (parse_duration(s, len, 0, &ms) || ms % 1000)
		return why(x, "%s: bad duration '%.*s' (seconds, or a number "
			   "with unit s, m, h or d)", name, (int)len, s);
	if (ms / 1000 < (uint64_t)lo || ms / 1000 > (uint64_t)hi)
		return why(x, "%s: '%.*s' out of range (%s..%s)", name, (int)len, s,
			   fmt_duration((uint64_t)lo, b1), fmt_duration((uint64_t)hi, b2));
	*ret = (uint32_t)(ms / 1000);
	return 0;
}

/* An integer within the key's range, or the error for it. */
static int ranged(struct conf_ctx *x, const struct conf_key *k, const char *val, long *ret)
{
	int rc = parse_long(val, k->lo, k->hi, ret);

	if (rc == -1)
		return why(x, "%s: bad integer '%s'", k->name, val);
	if (rc == -2)
		return why(x, "%s: '%s' out of range (%ld..%ld)", k->name, val, k->lo, k->hi);
	return 0;
}

static int set_int(struct conf_ctx *x, const struct conf_key *k, const char *val)
{
	long v;
	int rc = ranged(x, k, val, &v);

	if (rc == 0)
		*(int *)field(x->c, k->off) = (int)v;
	return rc;
}

static int set_u32(struct conf_ctx *x, const struct conf_key *k, const char *val)
{
	long v;
	int rc = ranged(x, k, val, &v);

	if (rc == 0)
		*(uint32_t *)field(x->c, k->off) = (uint32_t)v;
	return rc;
}

static int set_duration(struct conf_ctx *x, const struct conf_key *k, const char *val)
{
	return duration_secs(x, k->name, val, strlen(val), k->lo, k->hi,
			     (uint32_t *)field(x->c, k->off));
}

static int set_dns_timeout(struct conf_ctx *x, const struct conf_key *k, const char *val)
{
	uint64_t ms;

	if (parse_duration(val, strlen(val), 1, &ms))
		return why(x, "%s: bad duration '%s' (seconds, or a number with "
			   "unit ms, s, m, h or d)", k->name, val);
	if (ms < (uint64_t)k->lo || ms > (uint64_t)k->hi)
		return why(x, "%s: '%s' out of range (%ldms..%lds)", k->name, val,
			   k->lo, k->hi / 1000);
	x->c->dns_timeout_ms = (uint32_t)ms;
	return 0;
}

static int set_bool(struct conf_ctx *x, const struct conf_key *k, const char *val)
{
	int *f = field(x->c, k->off);

	if (!strcasecmp(val, "yes") || !strcasecmp(val, "true") || !strcmp(val, "1"))
		*f = 1;
	else if (!strcasecmp(val, "no") || !strcasecmp(val, "false") || !strcmp(val, "0"))
		*f = 0;
	else
		return why(x, "%s: bad value '%s' (yes or no)", k->name, val);
	return 0;
}

static int set_ipv6_prefix(struct conf_ctx *x, const struct conf_key *k, const char *val)
{
	if (!strcmp(val, "64"))
		x->c->ipv6_prefix = 64;
	else if (!strcmp(val, "128"))
		x->c->ipv6_prefix = 128;
	else
		return why(x, "%s: bad value '%s' (64 or 128)", k->name, val);
	return 0;
}

/* A path into a char array of k->off_n bytes; k->lo: 1 if it may be empty. */
static int set_path(struct conf_ctx *x, const struct conf_key *k, const char *val)
{
	size_t n = strlen(val);

	if (n == 0 && !k->lo)
		return why(x, "%s: empty path", k->name);
	if (n >= k->off_n)
		return why(x, "%s: '%s' is longer than %zu bytes", k->name, val, k->off_n - 1);
	memcpy(field(x->c, k->off), val, n + 1);
	return 0;
}

/* A group name that exists now (the socket is chgrp'ed at start). */
static int set_group(struct conf_ctx *x, const struct conf_key *k, const char *val)
{
	size_t n = strlen(val);

	if (n >= k->off_n)
		return why(x, "%s: '%s' is longer than %zu bytes", k->name, val, k->off_n - 1);
	if (n && !getgrnam(val))
		return why(x, "%s: no such group '%s'", k->name, val);
	memcpy(field(x->c, k->off), val, n + 1);
	return 0;
}

/* "" (off), or HOST:PORT with HOST an IPv4 address, [IPv6] or a name. */
static int set_listen(struct conf_ctx *x, const struct conf_key *k, const char *val)
{
	size_t n = strlen(val);
	const char *colon = strrchr(val, ':');
	char *end;
	long port;

	if (n >= k->off_n)
		return why(x, "%s: '%s' is longer than %zu bytes", k->name, val, k->off_n - 1);
	if (n) {
		if (!colon || colon == val)
			return why(x, "%s: '%s' is not ADDR:PORT", k->name, val);
		if (val[0] == '[' && colon[-1] != ']')
			return why(x, "%s: '%s': an IPv6 address goes in brackets, [::1]:9425", k->name, val);
		if (val[0] != '[' && memchr(val, ':', (size_t)(colon - val)))
			return why(x, "%s: '%s': an IPv6 address goes in brackets, [::1]:9425", k->name, val);
		errno = 0;
		port = strtol(colon + 1, &end, 10);
		if (errno || *end || colon[1] == '\0' || port < 1 || port > 65535)
			return why(x, "%s: '%s': bad port (1..65535)", k->name, val);
	}
	memcpy(field(x->c, k->off), val, n + 1);
	return 0;
}

/* ---- lists ---- */

static int set_sites(struct conf_ctx *x, const struct conf_key *k, const char *val)
{
	struct ctl_site **v = field(x->c, k->off);
	size_t *n = field(x->c, k->off_n);
	struct ctl_site *nv;
	size_t nn;
	char err[WHY_MAX];
	int rc = ctl_sites_parse(val, &nv, &nn, err, sizeof(err));

	if (rc) {
		why(x, "%s: %s", k->name, err);
		return rc;
	}
	free(*v);
	*v = nv;
	*n = nn;
	return 0;
}

/* "1.2.3.4", "1.2.3.4:53", "[::1]", "[::1]:53" or "::1" (no port). */
static int parse_resolver(struct conf_ctx *x, const char *key, const char *s,
			  size_t len, struct ctl_resolver *r)
{
	char host[64];
	const char *h = s, *port = NULL, *close, *colon;
	size_t hlen = len, ncolon = 0;
	uint8_t bin[16];
	int af;

	for (size_t i = 0; i < len; i++)
		ncolon += s[i] == ':';
	if (len && s[0] == '[') {
		close = memchr(s, ']', len);
		if (!close)
			return why(x, "%s: bad address '%.*s'", key, (int)len, s);
		h = s + 1;
		hlen = (size_t)(close - h);
		if (close + 1 < s + len) {
			if (close[1] != ':')
				return why(x, "%s: bad address '%.*s'", key, (int)len, s);
			port = close + 2;
		}
	} else if (ncolon == 1) {
		colon = memchr(s, ':', len);
		hlen = (size_t)(colon - s);
		port = colon + 1;
	}
	if (hlen == 0 || hlen >= sizeof(host))
		return why(x, "%s: '%.*s' is not an IP address", key, (int)len, s);
	memcpy(host, h, hlen);
	host[hlen] = '\0';
	if (inet_pton(AF_INET, host, bin) == 1)
		af = AF_INET;
	else if (inet_pton(AF_INET6, host, bin) == 1)
		af = AF_INET6;
	else
		return why(x, "%s: '%s' is not an IP address (host names are not "
			   "resolved here)", key, host);
	r->port = 53;
	if (port) {
		const char *end = s + len;
		unsigned long p = 0;

		if (port == end || end - port > 5)
			return why(x, "%s: bad port in '%.*s'", key, (int)len, s);
		for (; port < end; port++) {
			if (!is_digit(*port))
				return why(x, "%s: bad port in '%.*s'", key, (int)len, s);
			p = p * 10 + (unsigned)(*port - '0');
		}
		if (p == 0 || p > 65535)
			return why(x, "%s: bad port in '%.*s'", key, (int)len, s);
		r->port = (uint16_t)p;
	}
	/* Canonical form, so "::0001" and "::1" compare equal later. */
	inet_ntop(af, bin, r->host, sizeof(r->host));
	return 0;
}

/* resolvers, list_resolvers: the array at k->off, its count at k->off_n;
 * k->lo set: an empty list is allowed and means "use resolvers". */
static int set_resolvers(struct conf_ctx *x, const struct conf_key *k, const char *val)
{
	struct ctl_resolver rs[CTL_MAX_RESOLVERS];
	size_t n = 0, len;
	const char *p = val, *item;
	int rc;

	while ((len = list_next(&p, &item))) {
		if (n == CTL_MAX_RESOLVERS)
			return why(x, "%s: more than %d resolvers", k->name, CTL_MAX_RESOLVERS);
		rc = parse_resolver(x, k->name, item, len, &rs[n]);
		if (rc)
			return rc;
		n++;
	}
	if (n == 0 && !k->lo)
		return why(x, "%s: empty list (leave the key out to use %s)", k->name,
			   RESOLV_CONF_DEFAULT);
	memcpy(field(x->c, k->off), rs, sizeof(rs));
	*(size_t *)field(x->c, k->off_n) = n;
	return 0;
}

/* The directory part of @path, made absolute: relative local zone paths
 * must not move when the daemon changes directory. */
static int conf_dir(const char *path, char *buf, size_t size)
{
	const char *slash = strrchr(path, '/');
	char cwd[PATH_MAX];
	int n;

	if (slash && path[0] == '/') {
		n = snprintf(buf, size, "%.*s", (int)(slash - path), path);
	} else {
		if (!getcwd(cwd, sizeof(cwd)))
			return -errno;
		if (slash)
			n = snprintf(buf, size, "%s/%.*s", strcmp(cwd, "/") ? cwd : "",
				     (int)(slash - path), path);
		else
			n = snprintf(buf, size, "%s", strcmp(cwd, "/") ? cwd : "");
	}
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

/* A zone name as the sites syntax defines it, lower-cased, one dot off. */
static int zone_name(const char *s, size_t len, char out[CTL_ZONE_MAX + 1])
{
	struct ctl_site *site;
	size_t n;
	char tmp[CTL_ZONE_MAX + 2];

	if (len == 0 || len >= sizeof(tmp) || memchr(s, '=', len) || memchr(s, '*', len))
		return -1;
	memcpy(tmp, s, len);
	tmp[len] = '\0';
	if (ctl_sites_parse(tmp, &site, &n, NULL, 0))
		return -1;
	if (n == 1)
		memcpy(out, site[0].zone, sizeof(site[0].zone));
	free(site);
	return n == 1 ? 0 : -1;
}

static const char *const zone_types[] = {
	[CTL_ZONE_IP4SET] = "ip4set",
	[CTL_ZONE_IP6TRIE] = "ip6trie",
	[CTL_ZONE_IP6TSET] = "ip6tset",
	[CTL_ZONE_DNSET] = "dnset",
};

static int parse_local_zone(struct conf_ctx *x, const char *key, const char *s,
			    size_t len, struct ctl_local_zone *z)
{
	const char *c1 = memchr(s, ':', len), *c2, *path, *end = s + len;
	size_t tlen, plen;
	char dir[PATH_MAX];
	int n, rc;

	c2 = c1 ? memchr(c1 + 1, ':', (size_t)(end - c1 - 1)) : NULL;
	if (!c2 || c2 + 1 == end)
		return why(x, "%s: expected zone:type:path, got '%.*s'", key, (int)len, s);
	if (zone_name(s, (size_t)(c1 - s), z->zone))
		return why(x, "%s: bad zone name in '%.*s'", key, (int)len, s);
	tlen = (size_t)(c2 - c1 - 1);
	z->type = -1;
	for (size_t i = 0; i < sizeof(zone_types) / sizeof(zone_types[0]); i++)
		if (strlen(zone_types[i]) == tlen && !memcmp(zone_types[i], c1 + 1, tlen))
			z->type = (int)i;
	if (z->type < 0)
		return why(x, "%s: unknown zone type '%.*s' in '%.*s' (ip4set, ip6trie, "
			   "ip6tset or dnset)", key, (int)tlen, c1 + 1, (int)len, s);
	path = c2 + 1;
	plen = (size_t)(end - path);
	if (path[0] == '/') {
		n = snprintf(z->path, sizeof(z->path), "%.*s", (int)plen, path);
	} else {
		rc = conf_dir(x->path, dir, sizeof(dir));
		if (rc)
			return why(x, "%s: cannot resolve '%.*s': %s", key, (int)plen,
				   path, strerror(-rc));
		n = snprintf(z->path, sizeof(z->path), "%s/%.*s", dir, (int)plen, path);
	}
	if (n < 0 || (size_t)n >= sizeof(z->path))
		return why(x, "%s: path too long in '%.*s'", key, (int)len, s);
	return 0;
}

static int set_local_zones(struct conf_ctx *x, const struct conf_key *k, const char *val)
{
	struct ctl_local_zone *v = NULL, *nv;
	size_t n = 0, cap = 0, len;
	const char *p = val, *item;
	int rc = 0;

	while ((len = list_next(&p, &item))) {
		if (n == cap) {
			cap = cap ? cap * 2 : 4;
			nv = realloc(v, cap * sizeof(*v));
			if (!nv) {
				rc = -ENOMEM;
				why(x, "%s: out of memory", k->name);
				break;
			}
			v = nv;
		}
		rc = parse_local_zone(x, k->name, item, len, &v[n]);
		if (rc)
			break;
		for (size_t i = 0; i < n && !rc; i++)
			if (!strcmp(v[i].zone, v[n].zone))
				rc = why(x, "%s: zone '%s' listed twice", k->name, v[n].zone);
		if (rc)
			break;
		n++;
	}
	if (rc) {
		free(v);
		return rc;
	}
	free(x->c->local_zones);
	x->c->local_zones = v;
	x->c->n_local_zones = n;
	return 0;
}

/* "name:weight" items; anomalies not listed weigh 0 (the value is the
 * whole table, as a Postfix list parameter is the whole list). */
static int set_anomaly_weights(struct conf_ctx *x, const struct conf_key *k, const char *val)
{
	int w[MXS_ANOMALY_COUNT] = {0}, seen[MXS_ANOMALY_COUNT] = {0};
	const char *p = val, *item, *colon;
	size_t len, nlen;
	long v;
	int rc;
	char num[32];

	while ((len = list_next(&p, &item))) {
		unsigned a;

		colon = memchr(item, ':', len);
		if (!colon)
			return why(x, "%s: expected name:weight, got '%.*s'", k->name,
				   (int)len, item);
		nlen = (size_t)(colon - item);
		for (a = 0; a < MXS_ANOMALY_COUNT; a++)
			if (strlen(mxs_anomaly_name(a)) == nlen &&
			    !memcmp(mxs_anomaly_name(a), item, nlen))
				break;
		if (a == MXS_ANOMALY_COUNT)
			return why(x, "%s: unknown anomaly '%.*s'", k->name, (int)nlen, item);
		if (seen[a])
			return why(x, "%s: '%s' listed twice", k->name, mxs_anomaly_name(a));
		seen[a] = 1;
		if (len - nlen - 1 >= sizeof(num))
			return why(x, "%s: bad weight in '%.*s'", k->name, (int)len, item);
		snprintf(num, sizeof(num), "%.*s", (int)(len - nlen - 1), colon + 1);
		rc = parse_long(num, -CTL_WEIGHT_MAX, CTL_WEIGHT_MAX, &v);
		if (rc == -1)
			return why(x, "%s: bad weight in '%.*s'", k->name, (int)len, item);
		if (rc == -2)
			return why(x, "%s: weight out of range in '%.*s' (-%d..%d)", k->name,
				   (int)len, item, CTL_WEIGHT_MAX, CTL_WEIGHT_MAX);
		/* Reassembly anomalies come from what the tap lost or
		 * reordered, never from the client: they must not score. */
		if (v && !strncmp(mxs_anomaly_name(a), "reasm_", 6))
			return why(x, "%s: %s must weigh 0 (a capture artifact, never "
				   "the client's fault)", k->name, mxs_anomaly_name(a));
		w[a] = (int)v;
	}
	memcpy(x->c->anomaly_weight, w, sizeof(w));
	return 0;
}

/* "action:duration" items; actions not listed keep their defaults (every
 * action needs some TTL). */
static int set_verdict_ttl(struct conf_ctx *x, const struct conf_key *k, const char *val)
{
	uint32_t ttl[MXS_ACTION_COUNT];
	int seen[MXS_ACTION_COUNT] = {0};
	const char *p = val, *item, *colon;
	size_t len, nlen;
	int rc;

	memcpy(ttl, x->c->verdict_ttl, sizeof(ttl));
	while ((len = list_next(&p, &item))) {
		unsigned a;

		colon = memchr(item, ':', len);
		if (!colon)
			return why(x, "%s: expected action:duration, got '%.*s'", k->name,
				   (int)len, item);
		nlen = (size_t)(colon - item);
		for (a = MXS_ACTION_PASS; a < MXS_ACTION_COUNT; a++)
			if (strlen(mxs_action_name(a)) == nlen &&
			    !memcmp(mxs_action_name(a), item, nlen))
				break;
		if (a == MXS_ACTION_COUNT)
			return why(x, "%s: unknown action '%.*s' (pass, tag, throttle "
				   "or drop)", k->name, (int)nlen, item);
		if (seen[a])
			return why(x, "%s: '%s' listed twice", k->name, mxs_action_name(a));
		seen[a] = 1;
		rc = duration_secs(x, k->name, colon + 1, len - nlen - 1, k->lo, k->hi, &ttl[a]);
		if (rc)
			return rc;
	}
	memcpy(x->c->verdict_ttl, ttl, sizeof(ttl));
	return 0;
}

/* "addr" or "addr/len", IPv4 or IPv6, no host bits past the prefix. */
static int parse_cidr(struct conf_ctx *x, const char *key, const char *s, size_t len,
		      struct ctl_cidr *c)
{
	char buf[INET6_ADDRSTRLEN + 8];
	const char *slash = memchr(s, '/', len);
	size_t alen = slash ? (size_t)(slash - s) : len;
	unsigned max, plen = 0;

	memset(c, 0, sizeof(*c));
	if (alen == 0 || alen >= sizeof(buf))
		return why(x, "%s: bad address or CIDR '%.*s'", key, (int)len, s);
	memcpy(buf, s, alen);
	buf[alen] = '\0';
	if (inet_pton(AF_INET, buf, c->addr) == 1) {
		c->family = 4;
		max = 32;
	} else if (inet_pton(AF_INET6, buf, c->addr) == 1) {
		c->family = 6;
		max = 128;
	} else {
		return why(x, "%s: bad address or CIDR '%.*s'", key, (int)len, s);
	}
	if (slash) {
		const char *d = slash + 1, *end = s + len;

		if (d == end || end - d > 3)
			return why(x, "%s: bad prefix length in '%.*s'", key, (int)len, s);
		for (; d < end; d++) {
			if (!is_digit(*d))
				return why(x, "%s: bad prefix length in '%.*s'", key, (int)len, s);
			plen = plen * 10 + (unsigned)(*d - '0');
		}
		if (plen > max)
			return why(x, "%s: bad prefix length in '%.*s'", key, (int)len, s);
	} else {
		plen = max;
	}
	c->prefix_len = (uint8_t)plen;
	for (unsigned bit = plen; bit < max; bit++)
		if (c->addr[bit >> 3] & (0x80u >> (bit & 7)))
			return why(x, "%s: %.*s has host bits set", key, (int)len, s);
	return 0;
}

static int set_cidrs(struct conf_ctx *x, const struct conf_key *k, const char *val)
{
	struct ctl_cidr **vp = field(x->c, k->off), *v = NULL, *nv;
	size_t *np = field(x->c, k->off_n), n = 0, cap = 0, len;
	const char *p = val, *item;
	int rc;

	while ((len = list_next(&p, &item))) {
		if (n == cap) {
			cap = cap ? cap * 2 : 8;
			nv = realloc(v, cap * sizeof(*v));
			if (!nv) {
				free(v);
				why(x, "%s: out of memory", k->name);
				return -ENOMEM;
			}
			v = nv;
		}
		rc = parse_cidr(x, k->name, item, len, &v[n]);
		if (rc) {
			free(v);
			return rc;
		}
		n++;
	}
	free(*vp);
	*vp = v;
	*np = n;
	return 0;
}

/* ---- enforcement ---- */

/* An interface name as the kernel accepts one (dev_valid_name). */
static int valid_ifname(const char *s, size_t len)
{
	if (len == 0 || len >= CTL_IFNAME_SIZE)
		return 0;
	if ((len == 1 && s[0] == '.') || (len == 2 && s[0] == '.' && s[1] == '.'))
		return 0;
	for (size_t i = 0; i < len; i++)
		if (s[i] == '/' || s[i] == ':' || is_ws(s[i]))
			return 0;
	return 1;
}

/* A list of interface names into char[CTL_MAX_IFACES][CTL_IFNAME_SIZE]
 * at k->off, the count at k->off_n. Empty is fine: no interfaces. */
static int set_ifaces(struct conf_ctx *x, const struct conf_key *k, const char *val)
{
	char names[CTL_MAX_IFACES][CTL_IFNAME_SIZE];
	size_t n = 0, len;
	const char *p = val, *item;

	memset(names, 0, sizeof(names));
	while ((len = list_next(&p, &item))) {
		if (!valid_ifname(item, len))
			return why(x, "%s: bad interface name '%.*s' (1 to %d bytes, no '/' "
				   "or ':')", k->name, (int)len, item, CTL_IFNAME_SIZE - 1);
		for (size_t i = 0; i < n; i++)
			if (strlen(names[i]) == len && !memcmp(names[i], item, len))
				return why(x, "%s: '%.*s' listed twice", k->name, (int)len, item);
		if (n == CTL_MAX_IFACES)
			return why(x, "%s: more than %d interfaces", k->name, CTL_MAX_IFACES);
		memcpy(names[n++], item, len);
	}
	memcpy(field(x->c, k->off), names, sizeof(names));
	*(size_t *)field(x->c, k->off_n) = n;
	return 0;
}

static int set_xdp_mode(struct conf_ctx *x, const struct conf_key *k, const char *val)
{
	if (!strcmp(val, "auto"))
		x->c->xdp_mode = CTL_XDP_AUTO;
	else if (!strcmp(val, "native"))
		x->c->xdp_mode = CTL_XDP_NATIVE;
	else if (!strcmp(val, "generic"))
		x->c->xdp_mode = CTL_XDP_GENERIC;
	else
		return why(x, "%s: bad value '%s' (native, generic or auto)", k->name, val);
	return 0;
}

static int set_smtp_ports(struct conf_ctx *x, const struct conf_key *k, const char *val)
{
	uint16_t ports[MXS_BPF_MAX_PORTS] = { 0 };
	size_t n = 0, len;
	const char *p = val, *item;
	char num[16];
	long v;

	while ((len = list_next(&p, &item))) {
		snprintf(num, sizeof(num), "%.*s", (int)(len < sizeof(num) ? len : sizeof(num) - 1),
			 item);
		/* Plain digits only: "+25" or "025" is a typo, not a port. */
		if (len >= sizeof(num) || !is_digit(item[0]) || (item[0] == '0' && len > 1) ||
		    parse_long(num, 1, 65535, &v))
			return why(x, "%s: bad port '%.*s' (1..65535)", k->name, (int)len, item);
		for (size_t i = 0; i < n; i++)
			if (ports[i] == v)
				return why(x, "%s: port %ld listed twice", k->name, v);
		if (n == MXS_BPF_MAX_PORTS)
			return why(x, "%s: more than %d ports", k->name, MXS_BPF_MAX_PORTS);
		ports[n++] = (uint16_t)v;
	}
	if (n == 0)
		return why(x, "%s: empty list (leave the key out for the default)", k->name);
	memcpy(x->c->smtp_ports, ports, sizeof(ports));
	x->c->n_smtp_ports = n;
	return 0;
}

/* A 32-bit number, decimal or 0x hex (fwmarks are usually written in hex). */
static int set_mark(struct conf_ctx *x, const struct conf_key *k, const char *val)
{
	int hex = val[0] == '0' && (val[1] == 'x' || val[1] == 'X');
	const char *d = hex ? val + 2 : val;
	uint64_t v = 0;

	if (!*d)
		goto bad;
	for (; *d; d++) {
		unsigned digit;

		if (is_digit(*d))
			digit = (unsigned)(*d - '0');
		else if (hex && *d >= 'a' && *d <= 'f')
			digit = (unsigned)(*d - 'a' + 10);
		else if (hex && *d >= 'A' && *d <= 'F')
			digit = (unsigned)(*d - 'A' + 10);
		else
			goto bad;
		v = v * (hex ? 16 : 10) + digit;
		if (v > UINT32_MAX)
			return why(x, "%s: '%s' out of range (0..0xffffffff)", k->name, val);
	}
	*(uint32_t *)field(x->c, k->off) = (uint32_t)v;
	return 0;
bad:
	return why(x, "%s: bad value '%s' (a number, decimal or 0x hex)", k->name, val);
}

/* ---- the key table ---- */

#define F(f) offsetof(struct ctl_conf, f)
#define FN(f) sizeof(((struct ctl_conf *)0)->f)

static const struct conf_key conf_keys[] = {
	{ "dnsbl_sites", set_sites, F(dnsbl), F(n_dnsbl), 0, 0 },
	{ "rhsbl_sites", set_sites, F(rhsbl), F(n_rhsbl), 0, 0 },
	{ "resolvers", set_resolvers, F(resolvers), F(n_resolvers), 0, 0 },
	{ "list_resolvers", set_resolvers, F(list_resolvers), F(n_list_resolvers), 1, 0 },
	{ "local_zones", set_local_zones, 0, 0, 0, 0 },
	{ "fcrdns_weight", set_int, F(fcrdns_weight), 0, -CTL_WEIGHT_MAX, CTL_WEIGHT_MAX },
	{ "no_ptr_weight", set_int, F(no_ptr_weight), 0, -CTL_WEIGHT_MAX, CTL_WEIGHT_MAX },
	{ "rule_weight_percent", set_int, F(rule_weight_percent), 0, 0, 1000 },
	{ "anomaly_weights", set_anomaly_weights, 0, 0, 0, 0 },
	{ "score_tag", set_int, F(score_tag), 0, 1, SCORE_MAX },
	{ "score_throttle", set_int, F(score_throttle), 0, 1, SCORE_MAX },
	{ "score_drop", set_int, F(score_drop), 0, 1, SCORE_MAX },
	{ "allow_cidrs", set_cidrs, F(allow), F(n_allow), 0, 0 },
	{ "deny_cidrs", set_cidrs, F(deny), F(n_deny), 0, 0 },
	{ "verdict_ttl", set_verdict_ttl, 0, 0, 1, DURATION_MAX },
	{ "cache_ttl_min", set_duration, F(cache_ttl_min), 0, 0, DURATION_MAX },
	{ "cache_ttl_max", set_duration, F(cache_ttl_max), 0, 1, DURATION_MAX },
	{ "error_ttl", set_duration, F(error_ttl), 0, 0, DURATION_MAX },
	{ "health_interval", set_duration, F(health_interval), 0, 1, DURATION_MAX },
	{ "dns_timeout", set_dns_timeout, 0, 0, 1, DNS_TIMEOUT_MAX_MS },
	{ "dns_max_inflight", set_u32, F(dns_max_inflight), 0, 1, DNS_INFLIGHT_MAX },
	{ "shadow", set_bool, F(shadow), 0, 0, 0 },
	{ "ipv6_prefix", set_ipv6_prefix, 0, 0, 0, 0 },
	{ "dataplane_socket", set_path, F(dataplane_socket), FN(dataplane_socket), 0, 0 },
	{ "control_socket", set_path, F(control_socket), FN(control_socket), 0, 0 },
	{ "control_group", set_group, F(control_group), FN(control_group), 0, 0 },
	{ "metrics_listen", set_listen, F(metrics_listen), FN(metrics_listen), 0, 0 },
	{ "manual_verdicts", set_path, F(manual_verdicts), FN(manual_verdicts), 1, 0 },
	{ "verdict_log", set_path, F(verdict_log), FN(verdict_log), 1, 0 },
	{ "bpf_pin_dir", set_path, F(bpf_pin_dir), FN(bpf_pin_dir), 0, 0 },
	{ "bpf", set_bool, F(bpf), 0, 0, 0 },
	{ "xdp_interfaces", set_ifaces, F(xdp_ifaces), F(n_xdp_ifaces), 0, 0 },
	{ "xdp_mode", set_xdp_mode, 0, 0, 0, 0 },
	{ "tc_interfaces", set_ifaces, F(tc_ifaces), F(n_tc_ifaces), 0, 0 },
	{ "smtp_ports", set_smtp_ports, 0, 0, 0, 0 },
	{ "tag_dscp", set_int, F(tag_dscp), 0, 0, 63 },
	{ "tag_mark", set_mark, F(tag_mark), 0, 0, 0 },
	{ "throttle_rate", set_u32, F(throttle_rate), 0, 1, THROTTLE_MAX },
	{ "throttle_burst", set_u32, F(throttle_burst), 0, 1, THROTTLE_MAX },
};

#define N_KEYS (sizeof(conf_keys) / sizeof(conf_keys[0]))

static int key_index(const char *name)
{
	for (size_t i = 0; i < N_KEYS; i++)
		if (!strcmp(conf_keys[i].name, name))
			return (int)i;
	return -1;
}

/* ---- defaults ---- */

/* nameserver lines of resolv.conf; anything else, or an address we cannot
 * use (a scoped fe80::1%eth0), is skipped as the resolver itself would. */
static void default_resolvers(struct ctl_conf *c)
{
	const char *path = getenv("MXS_RESOLV_CONF");
	char line[512], addr[64];
	uint8_t bin[16];
	FILE *f;

	c->n_resolvers = 0;
	f = fopen(path && *path ? path : RESOLV_CONF_DEFAULT, "r");
	while (f && c->n_resolvers < CTL_MAX_RESOLVERS && fgets(line, sizeof(line), f)) {
		struct ctl_resolver *r = &c->resolvers[c->n_resolvers];
		char *p = line;
		int af;

		while (is_ws(*p))
			p++;
		if (strncmp(p, "nameserver", 10) || !is_ws(p[10]))
			continue;
		if (sscanf(p + 10, "%63s", addr) != 1)
			continue;
		if (inet_pton(AF_INET, addr, bin) == 1)
			af = AF_INET;
		else if (inet_pton(AF_INET6, addr, bin) == 1)
			af = AF_INET6;
		else
			continue;
		inet_ntop(af, bin, r->host, sizeof(r->host));
		r->port = 53;
		c->n_resolvers++;
	}
	if (f)
		fclose(f);
	if (c->n_resolvers == 0) {
		snprintf(c->resolvers[0].host, sizeof(c->resolvers[0].host), "127.0.0.1");
		c->resolvers[0].port = 53;
		c->n_resolvers = 1;
	}
}

struct ctl_conf *ctl_conf_defaults(void)
{
	struct ctl_conf *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	default_resolvers(c);
	c->fcrdns_weight = 1;
	c->no_ptr_weight = 1;
	c->rule_weight_percent = 100;
	c->anomaly_weight[MXS_ANOMALY_PREGREET] = 2;
	c->anomaly_weight[MXS_ANOMALY_PIPELINING_VIOLATION] = 1;
	c->anomaly_weight[MXS_ANOMALY_NON_SMTP_COMMAND] = 2;
	c->anomaly_weight[MXS_ANOMALY_BARE_LF] = 1;
	c->anomaly_weight[MXS_ANOMALY_STARTTLS_INJECTION] = 2;
	c->score_tag = 1;
	c->score_throttle = 4;
	c->score_drop = 8;
	c->verdict_ttl[MXS_ACTION_PASS] = 3600;
	c->verdict_ttl[MXS_ACTION_TAG] = 3600;
	c->verdict_ttl[MXS_ACTION_THROTTLE] = 3600;
	c->verdict_ttl[MXS_ACTION_DROP] = 86400;
	c->cache_ttl_min = 60;
	c->cache_ttl_max = 86400;
	c->error_ttl = 30;
	c->dns_timeout_ms = 2000;
	c->dns_max_inflight = 1000;
	c->health_interval = 300;
	c->shadow = 0;
	c->ipv6_prefix = 64;
	snprintf(c->dataplane_socket, sizeof(c->dataplane_socket), "/run/mxscreen/dataplane.sock");
	snprintf(c->control_socket, sizeof(c->control_socket), "/run/mxscreen/control.sock");
	c->verdict_log[0] = '\0';
	snprintf(c->manual_verdicts, sizeof(c->manual_verdicts), "/var/lib/mxscreen/manual-verdicts");
	snprintf(c->bpf_pin_dir, sizeof(c->bpf_pin_dir), "%s", MXS_BPF_PIN_DIR);
	c->bpf = 0;
	c->n_xdp_ifaces = 0;
	c->xdp_mode = CTL_XDP_AUTO;
	c->n_tc_ifaces = 0;
	c->smtp_ports[0] = 25;
	c->smtp_ports[1] = 465;
	c->smtp_ports[2] = 587;
	c->smtp_ports[3] = 2525;
	c->n_smtp_ports = 4;
	c->tag_dscp = 8;
	c->tag_mark = 0x4d58;
	c->throttle_rate = 1;
	c->throttle_burst = 3;
	return c;
}

void ctl_conf_free(struct ctl_conf *c)
{
	if (!c)
		return;
	free(c->dnsbl);
	free(c->rhsbl);
	free(c->local_zones);
	free(c->allow);
	free(c->deny);
	free(c);
}

/* ---- the file ---- */

struct lbuf {
	char *p;
	size_t len, cap;
};

static int lbuf_add(struct lbuf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		char *np;

		while (cap < b->len + n + 1)
			cap *= 2;
		np = realloc(b->p, cap);
		if (!np)
			return -ENOMEM;
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
	return 0;
}

/* One logical line "key = value" (no leading or trailing blanks). */
static int conf_line(struct conf_ctx *x, char *s, unsigned line, unsigned seen[N_KEYS])
{
	char *k = s, *p = s, *val;
	int i, rc;

	while (*p && !is_ws(*p) && *p != '=')
		p++;
	if (p == k)
		return why(x, "missing key before '='");
	val = p;
	while (is_ws(*val))
		val++;
	if (*val != '=') {
		*p = '\0';
		return why(x, "missing '=' after '%s'", k);
	}
	val++;
	while (is_ws(*val))
		val++;
	*p = '\0';
	i = key_index(k);
	if (i < 0)
		return why(x, "unknown key '%s'", k);
	if (seen[i])
		return why(x, "duplicate key '%s' (first at %s:%u)", k, x->path, seen[i]);
	seen[i] = line;
	rc = conf_keys[i].set(x, &conf_keys[i], val);
	return rc;
}

static unsigned max3(unsigned a, unsigned b, unsigned c)
{
	return a > b ? (a > c ? a : c) : (b > c ? b : c);
}

/* Checks across keys, after the whole file: the error names the line of
 * the last key involved, since that is the one that broke the order. */
static int conf_check(struct conf_ctx *x, const unsigned seen[N_KEYS], unsigned *ret_line)
{
	const struct ctl_conf *c = x->c;
	char b1[32], b2[32];

	if (c->score_tag > c->score_throttle || c->score_throttle > c->score_drop) {
		*ret_line = max3(seen[key_index("score_tag")], seen[key_index("score_throttle")],
				 seen[key_index("score_drop")]);
		return why(x, "score thresholds out of order: need score_tag (%d) <= "
			   "score_throttle (%d) <= score_drop (%d)",
			   c->score_tag, c->score_throttle, c->score_drop);
	}
	if (c->cache_ttl_min > c->cache_ttl_max) {
		*ret_line = max3(seen[key_index("cache_ttl_min")],
				 seen[key_index("cache_ttl_max")], 0);
		return why(x, "cache_ttl_min (%s) exceeds cache_ttl_max (%s)",
			   fmt_duration(c->cache_ttl_min, b1), fmt_duration(c->cache_ttl_max, b2));
	}
	return 0;
}

int ctl_conf_load(const char *path, struct ctl_conf **ret, char *err, size_t errlen)
{
	struct conf_ctx x = { .path = path };
	struct lbuf lb = { 0 };
	unsigned seen[N_KEYS] = { 0 }, lineno = 0, first = 0;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	FILE *f;
	int rc = 0;

	*ret = NULL;
	f = fopen(path, "r");
	if (!f) {
		rc = -errno;
		errf(err, errlen, "%s: %s", path, strerror(-rc));
		return rc;
	}
	x.c = ctl_conf_defaults();
	if (!x.c) {
		fclose(f);
		errf(err, errlen, "%s: %s", path, strerror(ENOMEM));
		return -ENOMEM;
	}
	errno = 0;
	while ((n = getline(&line, &cap, f)) >= 0) {
		size_t len = (size_t)n;
		char *p = line;

		lineno++;
		if (memchr(line, '\0', len)) {
			rc = why(&x, "NUL byte in line");
			first = lineno;
			goto fail;
		}
		while (len && is_ws(line[len - 1]))
			line[--len] = '\0';
		while (is_ws(*p))
			p++;
		if (!*p || *p == '#')
			continue;
		if (p != line) {
			/* continuation of the logical line in lb */
			if (!lb.len) {
				rc = why(&x, "continuation line without a preceding 'key = value' line");
				first = lineno;
				goto fail;
			}
			if (lbuf_add(&lb, " ", 1) || lbuf_add(&lb, p, len - (size_t)(p - line)))
				goto nomem;
			continue;
		}
		if (lb.len) {
			rc = conf_line(&x, lb.p, first, seen);
			if (rc)
				goto fail;
		}
		lb.len = 0;
		first = lineno;
		if (lbuf_add(&lb, line, len))
			goto nomem;
	}
	if (ferror(f)) {
		rc = errno ? -errno : -EIO;  /* EISDIR for a directory */
		errf(err, errlen, "%s: %s", path, strerror(-rc));
		goto out;
	}
	if (lb.len) {
		rc = conf_line(&x, lb.p, first, seen);
		if (rc)
			goto fail;
	}
	first = 0;
	rc = conf_check(&x, seen, &first);
	if (rc)
		goto fail;
	*ret = x.c;
	x.c = NULL;
	goto out;
nomem:
	rc = -ENOMEM;
	why(&x, "%s", strerror(ENOMEM));
fail:
	if (first)
		errf(err, errlen, "%s:%u: %s", path, first, x.why);
	else
		errf(err, errlen, "%s: %s", path, x.why);
out:
	ctl_conf_free(x.c);
	free(line);
	free(lb.p);
	fclose(f);
	return rc;
}

int ctl_cidr_contains(const struct ctl_cidr *c, int family, const uint8_t addr[16])
{
	unsigned full, rest;

	/* 4/6 as in struct ctl_cidr; AF_INET/AF_INET6 accepted as well. */
	if (family == AF_INET)
		family = 4;
	else if (family == AF_INET6)
		family = 6;
	if (family != c->family)
		return 0;
	full = c->prefix_len / 8u;
	rest = c->prefix_len % 8u;
	if (memcmp(c->addr, addr, full))
		return 0;
	if (rest && ((c->addr[full] ^ addr[full]) & (uint8_t)(0xff00u >> rest)))
		return 0;
	return 1;
}
