/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mxscreenctl: the operator CLI of mxscreend. Checks its arguments, sends
 * one request line on the control socket (docs/control-protocol.md),
 * waits for the one response line (-t, default 60 s) and renders it: every
 * renderer walks the response and makes one sequence of cli_print calls,
 * a human text with -j off, JSON with -j (members it does not know are
 * passed through, so -j shows all the daemon said). `stats --prometheus`
 * renders through ctl_prom instead, like the daemon's /metrics.
 *
 * With the daemon unreachable, `stats` still reads the enforcement
 * counters from the pinned BPF maps (-p, or bpf_pin_dir of -c) and renders
 * them in the daemon's shape before it fails with exit 3.
 *
 * Exit status: 0 ok; 1 not found; 2 bad usage, a bad config (-c) or the
 * daemon's bad_request; 3 daemon unreachable (cannot connect, or it hung up
 * before answering); 4 failed (the daemon's failed, no answer in time, a
 * response that is not the protocol's). Errors are one line on stderr
 * starting "mxscreenctl: ". Single-threaded.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <mxscreen/bpf.h>

#include "cli_print.h"
#include "ctl_conf.h"
#include "ctl_enf.h"
#include "ctl_json.h"
#include "ctl_pins.h"
#include "ctl_prom.h"

#define EXIT_OK 0
#define EXIT_NOT_FOUND 1
#define EXIT_USAGE 2
#define EXIT_UNREACHABLE 3
#define EXIT_FAILED 4

#define DEFAULT_SOCKET "/run/mxscreen/control.sock"
#define DEFAULT_TIMEOUT_S 60
#define RESPONSE_MAX ((size_t)256 << 20)
#define RESPONSE_NODES ((size_t)1 << 24)
#define LIMIT_MAX 100000
#define TTL_MAX 315360000           /* ten years, the daemon's limit */

struct cli {
	const char *sock;
	const char *pin_dir;
	bool json;
	int timeout_s;
};

/* Renders a successful answer (the response object) through cli_print. */
typedef void (*render_fn)(struct cli_print *p, const struct ctl_jnode *r);

__attribute__((format(printf, 1, 2)))
static void say(const char *fmt, ...)
{
	va_list ap;

	fputs("mxscreenctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static const char usage_text[] =
	"usage: mxscreenctl [-s SOCK] [-c CONF] [-p PIN_DIR] [-j] [-t SECONDS] COMMAND ...\n"
	"  stats [--prometheus]\n"
	"  verdict list [--action A] [--source policy|manual] [--limit N]\n"
	"  verdict get ADDR\n"
	"  verdict add ADDR|CIDR ACTION [--ttl S] [--reason TEXT]\n"
	"  verdict del ADDR|CIDR\n"
	"  verdict flush [--action A]\n"
	"  explain ADDR [--helo NAME] [--mail-from ADDR]\n"
	"  rules reload\n"
	"  rules stats [--limit N]\n"
	"  top [--by score|drops|throttles] [--limit N]\n"
	"  version\n"
	"options:\n"
	"  -s SOCK     control socket (default " DEFAULT_SOCKET ")\n"
	"  -c CONF     take control_socket and bpf_pin_dir from an mxscreen.conf\n"
	"  -p PIN_DIR  pinned BPF maps, for stats with mxscreend down (default " MXS_BPF_PIN_DIR ")\n"
	"  -j          JSON output\n"
	"  -t SECONDS  wait this long for the answer (default 60)\n"
	"ACTION: pass, tag, throttle or drop. Exit: 0 ok, 1 not found, 2 usage,\n"
	"3 mxscreend unreachable, 4 failed.\n";

static int usage_error(void)
{
	fputs(usage_text, stderr);
	return EXIT_USAGE;
}

/* ---- argument checks ---- */

static bool parse_int(const char *s, long long lo, long long hi, long long *ret)
{
	char *end;
	long long v;

	if (!*s || *s == '-' || *s == '+' || *s == ' ')
		return false;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || *end || v < lo || v > hi)
		return false;
	*ret = v;
	return true;
}

/* Seconds, or a number with a unit: 90, 90s, 15m, 2h, 7d. */
static bool parse_ttl(const char *s, long long *ret)
{
	static const struct { char c; long long mul; } units[] = {
		{ 's', 1 }, { 'm', 60 }, { 'h', 3600 }, { 'd', 86400 },
	};
	char num[32];
	size_t n = strlen(s);
	long long mul = 1, v;

	if (!n || n >= sizeof(num))
		return false;
	memcpy(num, s, n + 1);
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (num[n - 1] == units[i].c) {
			mul = units[i].mul;
			num[--n] = '\0';
		}
	if (!parse_int(num, 0, TTL_MAX, &v) || v > TTL_MAX / mul)
		return false;
	*ret = v * mul;
	return true;
}

static bool valid_action(const char *s)
{
	return !strcmp(s, "pass") || !strcmp(s, "tag") || !strcmp(s, "throttle") ||
	       !strcmp(s, "drop");
}

/* An IPv4 or IPv6 address, with "/LEN" when @cidr_ok. */
static bool valid_addr(const char *s, bool cidr_ok)
{
	char buf[INET6_ADDRSTRLEN + 8];
	const char *slash = strchr(s, '/');
	unsigned char a[16];
	size_t n = slash ? (size_t)(slash - s) : strlen(s);
	long long len;
	int family;

	if (n >= sizeof(buf) || (slash && !cidr_ok))
		return false;
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (inet_pton(AF_INET, buf, a) == 1)
		family = 4;
	else if (inet_pton(AF_INET6, buf, a) == 1)
		family = 6;
	else
		return false;
	return !slash || parse_int(slash + 1, 0, family == 4 ? 32 : 128, &len);
}

/* ---- the socket ---- */

static int connect_error(const struct cli *c, char *err, size_t errlen, int e)
{
	snprintf(err, errlen, "cannot connect to %s: %s (is mxscreend running?)", c->sock,
		 strerror(e));
	return EXIT_UNREACHABLE;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Send @req (one line, newline included), read the response line and
 * parse it. EXIT_OK and *ret (a JSON object with a boolean "ok"), or
 * another exit status and the reason in @err.
 */
static int transact(const struct cli *c, const char *req, size_t req_len,
		    struct ctl_jdoc **ret, char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int64_t deadline = now_ms() + (int64_t)c->timeout_s * 1000;
	size_t len = 0, cap = 0, sent = 0;
	char *buf = NULL, *nl = NULL, perr[160];
	const struct ctl_jnode *root;
	int fd, rc = EXIT_FAILED;

	if (strlen(c->sock) >= sizeof(sa.sun_path))
		return connect_error(c, err, errlen, ENAMETOOLONG);
	memcpy(sa.sun_path, c->sock, strlen(c->sock) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return EXIT_FAILED;
	}
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		rc = connect_error(c, err, errlen, errno);
		close(fd);
		return rc;
	}
	while (sent < req_len) {
		ssize_t n = send(fd, req + sent, req_len - sent, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(err, errlen, "%s: mxscreend hung up before answering (%s)", c->sock,
				 strerror(errno));
			rc = EXIT_UNREACHABLE;
			goto out;
		}
		sent += (size_t)n;
	}
	while (!nl) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		int64_t left = deadline - now_ms();
		ssize_t n;
		int pr;

		if (left <= 0) {
			snprintf(err, errlen, "%s: no answer from mxscreend within %d s", c->sock,
				 c->timeout_s);
			goto out;
		}
		pr = poll(&pfd, 1, left > INT_MAX ? INT_MAX : (int)left);
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr < 0) {
			snprintf(err, errlen, "poll: %s", strerror(errno));
			goto out;
		}
		if (!pr)
			continue;
		if (cap - len < 65536) {
			char *nb;

			if (cap >= RESPONSE_MAX) {
				snprintf(err, errlen, "%s: response larger than %zu MiB", c->sock,
					 RESPONSE_MAX >> 20);
				goto out;
			}
			nb = realloc(buf, cap ? cap * 2 : 1 << 16);
			if (!nb) {
				snprintf(err, errlen, "out of memory");
				goto out;
			}
			buf = nb;
			cap = cap ? cap * 2 : 1 << 16;
		}
		n = recv(fd, buf + len, cap - len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			snprintf(err, errlen, "%s: mxscreend hung up before answering%s%s%s", c->sock,
				 n < 0 ? " (" : "", n < 0 ? strerror(errno) : "", n < 0 ? ")" : "");
			rc = EXIT_UNREACHABLE;
			goto out;
		}
		nl = memchr(buf + len, '\n', (size_t)n);
		len += (size_t)n;
	}
	if (ctl_json_parse(buf, (size_t)(nl - buf), RESPONSE_NODES, ret, perr, sizeof(perr)) < 0) {
		snprintf(err, errlen, "%s: bad response: %s", c->sock, perr);
		goto out;
	}
	root = ctl_jdoc_root(*ret);
	if (root->type != CTL_J_OBJ || !ctl_jget(root, "ok") ||
	    ctl_jget(root, "ok")->type != CTL_J_BOOL) {
		snprintf(err, errlen, "%s: bad response: not an object with \"ok\"", c->sock);
		ctl_jdoc_free(*ret);
		*ret = NULL;
		goto out;
	}
	rc = EXIT_OK;
out:
	free(buf);
	close(fd);
	return rc;
}

/* The exit status of an answer; the daemon's error in @err. */
static int answer_status(const struct ctl_jnode *r, char *err, size_t errlen)
{
	const char *status = ctl_jget_str(r, "status", "failed");

	if (ctl_jget_bool(r, "ok", false))
		return EXIT_OK;
	snprintf(err, errlen, "%s", ctl_jget_str(r, "error", status));
	for (char *s = err; *s; s++)
		if ((unsigned char)*s < 0x20)
			*s = ' ';
	if (!strcmp(status, "not_found"))
		return EXIT_NOT_FOUND;
	if (!strcmp(status, "bad_request"))
		return EXIT_USAGE;
	return EXIT_FAILED;
}

/* ---- renderers ---- */

/* The response envelope, never rendered as data. */
static const char *const envelope[] = { "ok", "id", "status", "error", NULL };

static bool in_list(const char *k, const char *const *list)
{
	for (; list && *list; list++)
		if (!strcmp(k, *list))
			return true;
	return false;
}

/*
 * Members of @o that are not in @known (nor the envelope's ok, id,
 * status, error), generically: what a newer daemon adds still shows.
 * Inside table rows JSON only, so the columns stay the renderer's.
 */
static void rest(struct cli_print *p, const struct ctl_jnode *o, const char *const *known,
		 bool json_only)
{
	if (!o || o->type != CTL_J_OBJ)
		return;
	if (json_only)
		cp_only(p, CP_JSON);
	for (const struct ctl_jnode *m = o->child; m; m = m->next)
		if (!in_list(m->key, known) && !in_list(m->key, envelope))
			cp_node(p, m->key, m);
	if (json_only)
		cp_only(p, CP_ANY);
}

static void json_only_node(struct cli_print *p, const char *key, const struct ctl_jnode *n)
{
	cp_only(p, CP_JSON);
	cp_node(p, key, n);
	cp_only(p, CP_ANY);
}

/* The action, in text with what the policy would do when that differs. */
static void action_cell(struct cli_print *p, const struct ctl_jnode *v)
{
	const char *a = ctl_jget_str(v, "action", NULL), *wb = ctl_jget_str(v, "would_be", NULL);
	char buf[64];

	cp_only(p, CP_JSON);
	cp_node(p, "action", ctl_jget(v, "action"));
	cp_only(p, CP_TEXT);
	if (a && wb && strcmp(a, wb)) {
		snprintf(buf, sizeof(buf), "%s (would %s)", a, wb);
		cp_str(p, "action", "%s", buf);
	} else {
		cp_node(p, "action", ctl_jget(v, "action"));
	}
	cp_only(p, CP_ANY);
}

static const char *const verdict_members[] = {
	"addr", "action", "would_be", "shadow", "score", "reasons", "reason", "source",
	"created_unix", "updated_unix", "updates", "expires_unix", "ttl_s", NULL,
};

/* A verdict object as a block: member @key, its header left out in text
 * when @label is "" (the block is the whole answer). */
static void verdict_block(struct cli_print *p, const char *key, const char *label,
			  const struct ctl_jnode *v)
{
	if (!v || v->type != CTL_J_OBJ) {
		if (label)
			cp_label(p, label);
		cp_node(p, key, v);
		return;
	}
	if (label)
		cp_label(p, label);
	cp_open_obj(p, key);
	cp_node(p, "addr", ctl_jget(v, "addr"));
	cp_node(p, "action", ctl_jget(v, "action"));
	cp_node(p, "would_be", ctl_jget(v, "would_be"));
	cp_node(p, "shadow", ctl_jget(v, "shadow"));
	cp_node(p, "score", ctl_jget(v, "score"));
	cp_node(p, "reasons", ctl_jget(v, "reasons"));
	cp_node(p, "reason", ctl_jget(v, "reason"));
	cp_node(p, "source", ctl_jget(v, "source"));
	cp_label(p, "created");
	cp_time(p, "created_unix", ctl_jget(v, "created_unix"));
	cp_label(p, "updated");
	cp_time(p, "updated_unix", ctl_jget(v, "updated_unix"));
	cp_node(p, "updates", ctl_jget(v, "updates"));
	cp_label(p, "expires");
	cp_time(p, "expires_unix", ctl_jget(v, "expires_unix"));
	cp_label(p, "ttl");
	cp_dur(p, "ttl_s", ctl_jget(v, "ttl_s"));
	rest(p, v, verdict_members, false);
	cp_close_obj(p);
}

static void verdict_row(struct cli_print *p, const struct ctl_jnode *v)
{
	cp_row_begin(p);
	cp_node(p, "addr", ctl_jget(v, "addr"));
	action_cell(p, v);
	json_only_node(p, "would_be", ctl_jget(v, "would_be"));
	json_only_node(p, "shadow", ctl_jget(v, "shadow"));
	cp_node(p, "score", ctl_jget(v, "score"));
	cp_node(p, "source", ctl_jget(v, "source"));
	cp_label(p, "ttl");
	cp_dur(p, "ttl_s", ctl_jget(v, "ttl_s"));
	cp_node(p, "reason", ctl_jget(v, "reason"));
	json_only_node(p, "reasons", ctl_jget(v, "reasons"));
	json_only_node(p, "created_unix", ctl_jget(v, "created_unix"));
	json_only_node(p, "updated_unix", ctl_jget(v, "updated_unix"));
	json_only_node(p, "updates", ctl_jget(v, "updates"));
	json_only_node(p, "expires_unix", ctl_jget(v, "expires_unix"));
	rest(p, v, verdict_members, true);
	cp_row_end(p);
}

static bool is_arr(const struct ctl_jnode *n)
{
	return n && n->type == CTL_J_ARR;
}

static bool is_obj(const struct ctl_jnode *n)
{
	return n && n->type == CTL_J_OBJ;
}

static void render_verdict_list(struct cli_print *p, const struct ctl_jnode *r)
{
	static const char *const known[] = { "total", "verdicts", NULL };
	const struct ctl_jnode *vs = ctl_jget(r, "verdicts");

	cp_open_obj(p, NULL);
	cp_node(p, "total", ctl_jget(r, "total"));
	if (is_arr(vs)) {
		cp_label(p, "");
		cp_table_begin(p, "verdicts");
		for (const struct ctl_jnode *v = vs->child; v; v = v->next)
			verdict_row(p, v);
		cp_table_end(p);
	} else {
		cp_node(p, "verdicts", vs);
	}
	rest(p, r, known, false);
	cp_close_obj(p);
}

static void render_verdict(struct cli_print *p, const struct ctl_jnode *r)
{
	static const char *const known[] = { "verdict", NULL };

	cp_open_obj(p, NULL);
	verdict_block(p, "verdict", "", ctl_jget(r, "verdict"));
	rest(p, r, known, false);
	cp_close_obj(p);
}

static void render_removed(struct cli_print *p, const struct ctl_jnode *r)
{
	static const char *const known[] = { "removed", NULL };
	const struct ctl_jnode *v = ctl_jget(r, "removed");

	cp_open_obj(p, NULL);
	if (is_obj(v))
		verdict_block(p, "removed", NULL, v);
	else
		cp_node(p, "removed", v);
	rest(p, r, known, false);
	cp_close_obj(p);
}

/* {ACTION: N} objects as one text table ACTION | COL1 | COL2 ..., each
 * object as it is in JSON. */
static void by_action_table(struct cli_print *p, const char *title, const char *const *keys,
			    const char *const *cols, size_t n, const struct ctl_jnode *o)
{
	static const char *const actions[] = { "none", "pass", "tag", "throttle", "drop" };
	bool any = false;

	for (size_t i = 0; i < n; i++)
		any |= is_obj(ctl_jget(o, keys[i]));
	if (!any)
		return;
	for (size_t i = 0; i < n; i++)
		json_only_node(p, keys[i], ctl_jget(o, keys[i]));
	cp_only(p, CP_TEXT);
	cp_label(p, title);
	cp_table_begin(p, title);
	for (size_t a = 0; a < sizeof(actions) / sizeof(actions[0]); a++) {
		bool have = false;

		for (size_t i = 0; i < n; i++)
			have |= ctl_jget(ctl_jget(o, keys[i]), actions[a]) != NULL;
		if (!have)
			continue;
		cp_row_begin(p);
		cp_str(p, "action", "%s", actions[a]);
		for (size_t i = 0; i < n; i++) {
			cp_label(p, cols[i]);
			cp_node(p, keys[i], ctl_jget(ctl_jget(o, keys[i]), actions[a]));
		}
		cp_row_end(p);
	}
	cp_table_end(p);
	cp_only(p, CP_ANY);
}

/* A section that may be null: text says why. */
static bool section_absent(struct cli_print *p, const char *key, const struct ctl_jnode *n,
			   const char *why)
{
	if (is_obj(n))
		return false;
	if (!n)
		return true;
	cp_only(p, CP_JSON);
	cp_node(p, key, n);
	cp_only(p, CP_TEXT);
	cp_str(p, key, "%s", why);
	cp_only(p, CP_ANY);
	return true;
}

static void stats_dataplane(struct cli_print *p, const struct ctl_jnode *dp)
{
	static const char *const known[] = { "anomalies", "top_rules", NULL };
	const struct ctl_jnode *an;

	if (section_absent(p, "dataplane", dp, "none (no dataplane has sent its counters)"))
		return;
	cp_open_obj(p, "dataplane");
	for (const struct ctl_jnode *m = dp->child; m; m = m->next)
		if (!in_list(m->key, known))
			cp_node(p, m->key, m);
	an = ctl_jget(dp, "anomalies");
	json_only_node(p, "anomalies", an);
	if (is_obj(an)) {
		/* Text: the ones seen, most first. */
		const struct ctl_jnode *seen[256];
		size_t n = 0;

		for (const struct ctl_jnode *m = an->child; m && n < 256; m = m->next)
			if (m->type == CTL_J_NUM && m->d > 0)
				seen[n++] = m;
		for (size_t i = 1; i < n; i++)
			for (size_t j = i; j > 0 && seen[j]->d > seen[j - 1]->d; j--) {
				const struct ctl_jnode *t = seen[j];

				seen[j] = seen[j - 1];
				seen[j - 1] = t;
			}
		cp_only(p, CP_TEXT);
		if (!n) {
			cp_str(p, "anomalies", "%s", "none");
		} else {
			cp_open_obj(p, "anomalies");
			for (size_t i = 0; i < n; i++)
				cp_node(p, seen[i]->key, seen[i]);
			cp_close_obj(p);
		}
		cp_only(p, CP_ANY);
	}
	cp_node(p, "top_rules", ctl_jget(dp, "top_rules"));
	cp_close_obj(p);
}

static void stats_zones(struct cli_print *p, const struct ctl_jnode *zs)
{
	static const char *const known[] = { "zone", "kind", "local", "enabled", "listed",
					     "not_listed", "error", "timeout", NULL };
	static const char *const counts[] = { "listed", "not_listed", "error", "timeout" };

	if (!is_arr(zs)) {
		cp_node(p, "zones", zs);
		return;
	}
	cp_table_begin(p, "zones");
	for (const struct ctl_jnode *z = zs->child; z; z = z->next) {
		cp_row_begin(p);
		cp_node(p, "zone", ctl_jget(z, "zone"));
		cp_node(p, "kind", ctl_jget(z, "kind"));
		cp_node(p, "local", ctl_jget(z, "local"));
		cp_label(p, "on");
		cp_node(p, "enabled", ctl_jget(z, "enabled"));
		for (size_t i = 0; i < sizeof(counts) / sizeof(counts[0]); i++)
			cp_node(p, counts[i], ctl_jget(z, counts[i]));
		rest(p, z, known, true);
		cp_row_end(p);
	}
	cp_table_end(p);
}

static void stats_latency(struct cli_print *p, const struct ctl_jnode *l)
{
	static const char *const known[] = { "count", "sum_s", "p50_ms", "p90_ms", "p99_ms",
					     "buckets", NULL };

	if (!is_obj(l)) {
		cp_node(p, "latency", l);
		return;
	}
	cp_open_obj(p, "latency");
	cp_node(p, "count", ctl_jget(l, "count"));
	json_only_node(p, "sum_s", ctl_jget(l, "sum_s"));
	cp_label(p, "p50");
	cp_ms(p, "p50_ms", ctl_jget(l, "p50_ms"));
	cp_label(p, "p90");
	cp_ms(p, "p90_ms", ctl_jget(l, "p90_ms"));
	cp_label(p, "p99");
	cp_ms(p, "p99_ms", ctl_jget(l, "p99_ms"));
	json_only_node(p, "buckets", ctl_jget(l, "buckets"));
	rest(p, l, known, false);
	cp_close_obj(p);
}

static void stats_control(struct cli_print *p, const struct ctl_jnode *c)
{
	static const char *const known[] = { "uptime_s", "zones", "verdicts_issued",
					     "verdicts_current", "latency", "lookups", "dns",
					     "health", NULL };
	static const char *const vkeys[] = { "verdicts_issued", "verdicts_current" };
	static const char *const vcols[] = { "issued", "current" };

	if (section_absent(p, "control", c, "none"))
		return;
	cp_open_obj(p, "control");
	cp_label(p, "uptime");
	cp_dur(p, "uptime_s", ctl_jget(c, "uptime_s"));
	for (const struct ctl_jnode *m = c->child; m; m = m->next)
		if (!in_list(m->key, known))
			cp_node(p, m->key, m);
	cp_node(p, "lookups", ctl_jget(c, "lookups"));
	stats_zones(p, ctl_jget(c, "zones"));
	cp_node(p, "health", ctl_jget(c, "health"));
	cp_node(p, "dns", ctl_jget(c, "dns"));
	by_action_table(p, "verdicts", vkeys, vcols, 2, c);
	stats_latency(p, ctl_jget(c, "latency"));
	cp_close_obj(p);
}

static void stats_enforcement(struct cli_print *p, const struct ctl_jnode *r)
{
	static const char *const known[] = { "pin_dir", "packets", "bytes", "shadow", NULL };
	static const char *const keys[] = { "packets", "bytes", "shadow" };
	static const char *const cols[] = { "packets", "bytes", "shadow" };
	const struct ctl_jnode *e = ctl_jget(r, "enforcement");
	char why[600];

	snprintf(why, sizeof(why), "none (%s)",
		 ctl_jget_str(r, "enforcement_error", "not pinned"));
	if (section_absent(p, "enforcement", e, why)) {
		json_only_node(p, "enforcement_error", ctl_jget(r, "enforcement_error"));
		return;
	}
	cp_open_obj(p, "enforcement");
	cp_node(p, "pin_dir", ctl_jget(e, "pin_dir"));
	by_action_table(p, "by action", keys, cols, 3, e);
	for (const struct ctl_jnode *m = e->child; m; m = m->next)
		if (!in_list(m->key, known))
			cp_node(p, m->key, m);
	cp_close_obj(p);
}

static void render_stats(struct cli_print *p, const struct ctl_jnode *r)
{
	static const char *const known[] = { "dataplane", "control", "enforcement",
					     "enforcement_error", NULL };

	cp_open_obj(p, NULL);
	stats_dataplane(p, ctl_jget(r, "dataplane"));
	stats_control(p, ctl_jget(r, "control"));
	stats_enforcement(p, r);
	rest(p, r, known, false);
	cp_close_obj(p);
}

static void render_explain(struct cli_print *p, const struct ctl_jnode *r)
{
	static const char *const known[] = { "addr", "zones", "ptr", "weights", "current", NULL };
	static const char *const zone_known[] = { "zone", "kind", "query", "state", "a", "txt",
						  "error", "weight", NULL };
	const struct ctl_jnode *zs = ctl_jget(r, "zones");

	cp_open_obj(p, NULL);
	cp_node(p, "addr", ctl_jget(r, "addr"));
	for (const struct ctl_jnode *m = r->child; m; m = m->next)
		if (!in_list(m->key, known) && !in_list(m->key, envelope))
			cp_node(p, m->key, m);
	if (is_arr(zs)) {
		cp_table_begin(p, "zones");
		for (const struct ctl_jnode *z = zs->child; z; z = z->next) {
			cp_row_begin(p);
			cp_node(p, "zone", ctl_jget(z, "zone"));
			cp_node(p, "kind", ctl_jget(z, "kind"));
			cp_node(p, "state", ctl_jget(z, "state"));
			cp_node(p, "weight", ctl_jget(z, "weight"));
			cp_node(p, "a", ctl_jget(z, "a"));
			cp_node(p, "txt", ctl_jget(z, "txt"));
			cp_node(p, "error", ctl_jget(z, "error"));
			json_only_node(p, "query", ctl_jget(z, "query"));
			rest(p, z, zone_known, true);
			cp_row_end(p);
		}
		cp_table_end(p);
	} else {
		cp_node(p, "zones", zs);
	}
	cp_node(p, "ptr", ctl_jget(r, "ptr"));
	cp_node(p, "weights", ctl_jget(r, "weights"));
	if (is_obj(ctl_jget(r, "current")))
		verdict_block(p, "current", NULL, ctl_jget(r, "current"));
	else if (ctl_jget(r, "current")) {
		cp_only(p, CP_JSON);
		cp_node(p, "current", ctl_jget(r, "current"));
		cp_only(p, CP_TEXT);
		cp_str(p, "current", "%s", "none");
		cp_only(p, CP_ANY);
	}
	cp_close_obj(p);
}

static void render_top(struct cli_print *p, const struct ctl_jnode *r)
{
	static const char *const known[] = { "by", "addresses", NULL };
	static const char *const row_known[] = { "addr", "action", "score", "hits", "reason",
						 "source", "ttl_s", NULL };
	const struct ctl_jnode *as = ctl_jget(r, "addresses");

	cp_open_obj(p, NULL);
	cp_node(p, "by", ctl_jget(r, "by"));
	if (is_arr(as)) {
		cp_label(p, "");
		cp_table_begin(p, "addresses");
		for (const struct ctl_jnode *a = as->child; a; a = a->next) {
			cp_row_begin(p);
			cp_node(p, "addr", ctl_jget(a, "addr"));
			cp_node(p, "action", ctl_jget(a, "action"));
			cp_node(p, "score", ctl_jget(a, "score"));
			cp_node(p, "hits", ctl_jget(a, "hits"));
			cp_node(p, "source", ctl_jget(a, "source"));
			cp_label(p, "ttl");
			cp_dur(p, "ttl_s", ctl_jget(a, "ttl_s"));
			cp_node(p, "reason", ctl_jget(a, "reason"));
			rest(p, a, row_known, true);
			cp_row_end(p);
		}
		cp_table_end(p);
	} else {
		cp_node(p, "addresses", as);
	}
	rest(p, r, known, false);
	cp_close_obj(p);
}

/* Everything generically, in the daemon's order (rules, version, flush). */
static void render_generic(struct cli_print *p, const struct ctl_jnode *r)
{
	cp_open_obj(p, NULL);
	rest(p, r, NULL, false);
	cp_close_obj(p);
}

static void render_version(struct cli_print *p, const struct ctl_jnode *r)
{
	cp_open_obj(p, NULL);
	cp_str(p, "client_version", "%s", MXS_VERSION);
	if (r)
		rest(p, r, NULL, false);
	cp_close_obj(p);
}

/* ---- running a command ---- */

static int output(struct cli_print *p)
{
	int rc = cp_finish(p);

	if (rc) {
		say("writing the output: %s", strerror(-rc));
		return EXIT_FAILED;
	}
	return EXIT_OK;
}

static int render(const struct cli *c, render_fn fn, const struct ctl_jnode *r)
{
	struct cli_print *p = cp_create(stdout, c->json);
	int rc;

	if (!p) {
		say("out of memory");
		return EXIT_FAILED;
	}
	fn(p, r);
	rc = output(p);
	cp_free(p);
	return rc;
}

static int prometheus(const struct ctl_jnode *stats)
{
	struct ctl_jw w;
	int rc;

	ctl_jw_init(&w, RESPONSE_MAX);
	rc = ctl_prom_render(stats, &w);
	if (!rc && w.len)
		fwrite(w.buf, 1, w.len, stdout);
	ctl_jw_free(&w);
	if (rc) {
		say("rendering Prometheus text: %s", strerror(-rc));
		return EXIT_FAILED;
	}
	if (fflush(stdout) || ferror(stdout)) {
		say("writing the output: %s", strerror(errno));
		return EXIT_FAILED;
	}
	return EXIT_OK;
}

/* An answer that failed but says more than the error (rules.reload's
 * dataplanes) is rendered before the error. */
static bool has_more(const struct ctl_jnode *r)
{
	for (const struct ctl_jnode *m = r->child; m; m = m->next)
		if (!in_list(m->key, envelope))
			return true;
	return false;
}

static int request(const struct cli *c, struct ctl_jw *req, render_fn fn)
{
	struct ctl_jdoc *doc = NULL;
	const struct ctl_jnode *r;
	char err[1024];
	int rc;

	ctl_jw_raw(req, "\n", 1);
	if (ctl_jw_error(req)) {
		say("request too large");
		ctl_jw_free(req);
		return EXIT_USAGE;
	}
	rc = transact(c, req->buf, req->len, &doc, err, sizeof(err));
	ctl_jw_free(req);
	if (rc) {
		say("%s", err);
		return rc;
	}
	r = ctl_jdoc_root(doc);
	rc = answer_status(r, err, sizeof(err));
	if (rc == EXIT_OK || has_more(r)) {
		int orc = render(c, fn, r);

		if (rc == EXIT_OK)
			rc = orc;
	}
	if (rc)
		say("%s", err);
	ctl_jdoc_free(doc);
	return rc;
}

static void req_begin(struct ctl_jw *w, const char *cmd)
{
	ctl_jw_init(w, 1 << 20);
	ctl_jw_obj_open(w, NULL);
	ctl_jw_str(w, "cmd", cmd);
}

static void req_end(struct ctl_jw *w)
{
	ctl_jw_obj_close(w);
}

/* ---- commands ---- */

struct cmd_args {
	const char *name;            /* "verdict list" */
	const char *usage;           /* its arguments */
	int npos_min, npos_max;
	const char *pos[4];
	const char *opt[16];         /* option values, by enum opt_id */
};

enum opt_id { O_ACTION = 1, O_SOURCE, O_LIMIT, O_TTL, O_REASON, O_HELO, O_MAIL_FROM, O_BY,
	      O_PROMETHEUS };

static const struct option sub_opts[] = {
	{ "action", required_argument, NULL, O_ACTION },
	{ "source", required_argument, NULL, O_SOURCE },
	{ "limit", required_argument, NULL, O_LIMIT },
	{ "ttl", required_argument, NULL, O_TTL },
	{ "reason", required_argument, NULL, O_REASON },
	{ "helo", required_argument, NULL, O_HELO },
	{ "mail-from", required_argument, NULL, O_MAIL_FROM },
	{ "by", required_argument, NULL, O_BY },
	{ "prometheus", no_argument, NULL, O_PROMETHEUS },
	{ NULL, 0, NULL, 0 },
};

static int arg_error(const struct cmd_args *a, const char *what)
{
	say("%s: %s; usage: mxscreenctl %s%s%s", a->name, what, a->name, *a->usage ? " " : "",
	    a->usage);
	return EXIT_USAGE;
}

/*
 * Parse argv[1..] of a command: options from @allowed (a list of enum
 * opt_id ending in 0), then positional arguments. EXIT_OK or a usage
 * error already reported.
 */
static int parse_args(struct cmd_args *a, int argc, char **argv, const int *allowed)
{
	char what[256];
	int o, np = 0;

	optind = 0;
	opterr = 0;
	while ((o = getopt_long(argc, argv, ":", sub_opts, NULL)) != -1) {
		bool ok = false;

		if (o == '?' || o == ':') {
			const char *bad = argv[optind - 1];

			snprintf(what, sizeof(what), o == ':' ? "option '%s' needs a value" :
				 "unknown option '%s'", bad);
			return arg_error(a, what);
		}
		for (const int *x = allowed; *x; x++)
			ok |= *x == o;
		if (!ok) {
			snprintf(what, sizeof(what), "unknown option '%s'", argv[optind - 1]);
			return arg_error(a, what);
		}
		a->opt[o] = optarg ? optarg : "";
	}
	for (int i = optind; i < argc; i++) {
		if (np >= a->npos_max) {
			snprintf(what, sizeof(what), "unexpected argument '%s'", argv[i]);
			return arg_error(a, what);
		}
		a->pos[np++] = argv[i];
	}
	if (np < a->npos_min)
		return arg_error(a, "missing argument");
	return EXIT_OK;
}

/* --limit into the request, checked. */
static int limit_arg(const struct cmd_args *a, struct ctl_jw *req)
{
	long long v;

	if (!a->opt[O_LIMIT])
		return EXIT_OK;
	if (!parse_int(a->opt[O_LIMIT], 1, LIMIT_MAX, &v))
		return arg_error(a, "--limit: a number from 1 to 100000");
	ctl_jw_i64(req, "limit", v);
	return EXIT_OK;
}

static int action_arg(const struct cmd_args *a, const char *s, struct ctl_jw *req)
{
	char what[160];

	if (!s)
		return EXIT_OK;
	if (!valid_action(s)) {
		snprintf(what, sizeof(what), "bad action '%.64s' (pass, tag, throttle or drop)", s);
		return arg_error(a, what);
	}
	ctl_jw_str(req, "action", s);
	return EXIT_OK;
}

static int addr_arg(const struct cmd_args *a, const char *s, bool cidr_ok, struct ctl_jw *req)
{
	char what[160];

	if (!valid_addr(s, cidr_ok)) {
		snprintf(what, sizeof(what), "bad address '%.64s' (an IPv4 or IPv6 address%s)", s,
			 cidr_ok ? " or CIDR" : "");
		return arg_error(a, what);
	}
	ctl_jw_str(req, "addr", s);
	return EXIT_OK;
}

static int cmd_stats(const struct cli *c, int argc, char **argv)
{
	static const int allowed[] = { O_PROMETHEUS, 0 };
	struct cmd_args a = { .name = "stats", .usage = "[--prometheus]" };
	struct ctl_jdoc *doc = NULL;
	struct mxs_bpf_stats sum;
	struct ctl_jw req, w;
	char err[1024], perr[512];
	bool prom;
	int rc, rrc;

	if ((rc = parse_args(&a, argc, argv, allowed)))
		return rc;
	prom = a.opt[O_PROMETHEUS] != NULL;
	req_begin(&req, "stats");
	req_end(&req);
	ctl_jw_raw(&req, "\n", 1);
	rc = transact(c, req.buf, req.len, &doc, err, sizeof(err));
	ctl_jw_free(&req);
	if (rc == EXIT_OK) {
		const struct ctl_jnode *r = ctl_jdoc_root(doc);

		rc = answer_status(r, err, sizeof(err));
		if (rc == EXIT_OK)
			rc = prom ? prometheus(r) : render(c, render_stats, r);
		else
			say("%s", err);
		ctl_jdoc_free(doc);
		return rc;
	}
	if (rc != EXIT_UNREACHABLE || ctl_pins_stats(c->pin_dir, &sum, perr, sizeof(perr)) < 0) {
		say("%s", err);
		return rc;
	}
	/* The daemon is down, the maps are pinned: the enforcement part in
	 * the daemon's own shape, through the same renderers. */
	ctl_jw_init(&w, 1 << 20);
	ctl_jw_obj_open(&w, NULL);
	ctl_enf_json(&w, "enforcement", c->pin_dir, &sum);
	ctl_jw_obj_close(&w);
	if (ctl_jw_error(&w) ||
	    ctl_json_parse(w.buf, w.len, 4096, &doc, perr, sizeof(perr)) < 0) {
		ctl_jw_free(&w);
		say("%s", err);
		return rc;
	}
	ctl_jw_free(&w);
	rrc = prom ? prometheus(ctl_jdoc_root(doc)) : render(c, render_stats, ctl_jdoc_root(doc));
	ctl_jdoc_free(doc);
	say("%s", err);
	return rrc == EXIT_OK ? rc : rrc;
}

static int cmd_verdict(const struct cli *c, int argc, char **argv)
{
	static const int list_opts[] = { O_ACTION, O_SOURCE, O_LIMIT, 0 };
	static const int add_opts[] = { O_TTL, O_REASON, 0 };
	static const int flush_opts[] = { O_ACTION, 0 };
	static const int none[] = { 0 };
	const char *sub = argc > 1 ? argv[1] : "";
	struct cmd_args a = { 0 };
	struct ctl_jw req;
	render_fn fn;
	int rc;

	argc--;
	argv++;
	if (!strcmp(sub, "list")) {
		a = (struct cmd_args){ .name = "verdict list",
				       .usage = "[--action A] [--source policy|manual] [--limit N]" };
		if ((rc = parse_args(&a, argc, argv, list_opts)))
			return rc;
		if (a.opt[O_SOURCE] && strcmp(a.opt[O_SOURCE], "policy") &&
		    strcmp(a.opt[O_SOURCE], "manual"))
			return arg_error(&a, "--source: policy or manual");
		req_begin(&req, "verdict.list");
		if ((rc = action_arg(&a, a.opt[O_ACTION], &req)) || (rc = limit_arg(&a, &req)))
			goto bad;
		if (a.opt[O_SOURCE])
			ctl_jw_str(&req, "source", a.opt[O_SOURCE]);
		fn = render_verdict_list;
	} else if (!strcmp(sub, "get") || !strcmp(sub, "del")) {
		bool get = !strcmp(sub, "get");

		a = (struct cmd_args){ .name = get ? "verdict get" : "verdict del",
				       .usage = get ? "ADDR" : "ADDR|CIDR",
				       .npos_min = 1, .npos_max = 1 };
		if ((rc = parse_args(&a, argc, argv, none)))
			return rc;
		req_begin(&req, get ? "verdict.get" : "verdict.del");
		if ((rc = addr_arg(&a, a.pos[0], true, &req)))
			goto bad;
		fn = get ? render_verdict : render_removed;
	} else if (!strcmp(sub, "add")) {
		long long ttl;

		a = (struct cmd_args){ .name = "verdict add",
				       .usage = "ADDR|CIDR ACTION [--ttl S] [--reason TEXT]",
				       .npos_min = 2, .npos_max = 2 };
		if ((rc = parse_args(&a, argc, argv, add_opts)))
			return rc;
		req_begin(&req, "verdict.add");
		if ((rc = addr_arg(&a, a.pos[0], true, &req)) ||
		    (rc = action_arg(&a, a.pos[1], &req)))
			goto bad;
		if (a.opt[O_TTL]) {
			if (!parse_ttl(a.opt[O_TTL], &ttl)) {
				rc = arg_error(&a, "--ttl: seconds (or 15m, 2h, 7d), at most ten years; 0 never expires");
				goto bad;
			}
			ctl_jw_i64(&req, "ttl", ttl);
		}
		if (a.opt[O_REASON])
			ctl_jw_str(&req, "reason", a.opt[O_REASON]);
		fn = render_verdict;
	} else if (!strcmp(sub, "flush")) {
		a = (struct cmd_args){ .name = "verdict flush", .usage = "[--action A]" };
		if ((rc = parse_args(&a, argc, argv, flush_opts)))
			return rc;
		req_begin(&req, "verdict.flush");
		if ((rc = action_arg(&a, a.opt[O_ACTION], &req)))
			goto bad;
		fn = render_generic;
	} else {
		say("verdict: unknown subcommand '%s' (list, get, add, del or flush)", sub);
		return usage_error();
	}
	req_end(&req);
	return request(c, &req, fn);
bad:
	ctl_jw_free(&req);
	return rc;
}

static int cmd_explain(const struct cli *c, int argc, char **argv)
{
	static const int allowed[] = { O_HELO, O_MAIL_FROM, 0 };
	struct cmd_args a = { .name = "explain", .usage = "ADDR [--helo NAME] [--mail-from ADDR]",
			      .npos_min = 1, .npos_max = 1 };
	struct ctl_jw req;
	int rc;

	if ((rc = parse_args(&a, argc, argv, allowed)))
		return rc;
	if (a.opt[O_HELO] && !*a.opt[O_HELO])
		return arg_error(&a, "--helo: a name");
	req_begin(&req, "explain");
	if ((rc = addr_arg(&a, a.pos[0], false, &req))) {
		ctl_jw_free(&req);
		return rc;
	}
	if (a.opt[O_HELO])
		ctl_jw_str(&req, "helo", a.opt[O_HELO]);
	if (a.opt[O_MAIL_FROM])
		ctl_jw_str(&req, "mail_from", a.opt[O_MAIL_FROM]);
	req_end(&req);
	return request(c, &req, render_explain);
}

static int cmd_rules(const struct cli *c, int argc, char **argv)
{
	static const int stats_opts[] = { O_LIMIT, 0 };
	static const int none[] = { 0 };
	const char *sub = argc > 1 ? argv[1] : "";
	struct cmd_args a;
	struct ctl_jw req;
	int rc;

	argc--;
	argv++;
	if (!strcmp(sub, "reload")) {
		a = (struct cmd_args){ .name = "rules reload", .usage = "" };
		if ((rc = parse_args(&a, argc, argv, none)))
			return rc;
		req_begin(&req, "rules.reload");
	} else if (!strcmp(sub, "stats")) {
		a = (struct cmd_args){ .name = "rules stats", .usage = "[--limit N]" };
		if ((rc = parse_args(&a, argc, argv, stats_opts)))
			return rc;
		req_begin(&req, "rules.stats");
		if ((rc = limit_arg(&a, &req))) {
			ctl_jw_free(&req);
			return rc;
		}
	} else {
		say("rules: unknown subcommand '%s' (reload or stats)", sub);
		return usage_error();
	}
	req_end(&req);
	return request(c, &req, render_generic);
}

static int cmd_top(const struct cli *c, int argc, char **argv)
{
	static const int allowed[] = { O_BY, O_LIMIT, 0 };
	struct cmd_args a = { .name = "top", .usage = "[--by score|drops|throttles] [--limit N]" };
	const char *by;
	struct ctl_jw req;
	int rc;

	if ((rc = parse_args(&a, argc, argv, allowed)))
		return rc;
	by = a.opt[O_BY];
	if (by && strcmp(by, "score") && strcmp(by, "drops") && strcmp(by, "throttles"))
		return arg_error(&a, "--by: score, drops or throttles");
	req_begin(&req, "top");
	if (by)
		ctl_jw_str(&req, "by", by);
	if ((rc = limit_arg(&a, &req))) {
		ctl_jw_free(&req);
		return rc;
	}
	req_end(&req);
	return request(c, &req, render_top);
}

static int cmd_version(const struct cli *c, int argc, char **argv)
{
	static const int none[] = { 0 };
	struct cmd_args a = { .name = "version", .usage = "" };
	struct ctl_jw req;
	int rc;

	if ((rc = parse_args(&a, argc, argv, none)))
		return rc;
	req_begin(&req, "version");
	req_end(&req);
	return request(c, &req, render_version);
}

static const struct {
	const char *name;
	int (*fn)(const struct cli *c, int argc, char **argv);
} commands[] = {
	{ "stats", cmd_stats },
	{ "verdict", cmd_verdict },
	{ "explain", cmd_explain },
	{ "rules", cmd_rules },
	{ "top", cmd_top },
	{ "version", cmd_version },
};

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "config", required_argument, NULL, 'c' },
		{ "pin-dir", required_argument, NULL, 'p' },
		{ "json", no_argument, NULL, 'j' },
		{ "timeout", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct cli c = { .sock = NULL, .pin_dir = NULL, .timeout_s = DEFAULT_TIMEOUT_S };
	const char *conf_path = NULL;
	struct ctl_conf *conf = NULL;
	long long v;
	char err[1024];
	int o, rc;

	signal(SIGPIPE, SIG_IGN);
	opterr = 0;
	while ((o = getopt_long(argc, argv, "+:s:c:p:jt:h", opts, NULL)) != -1) {
		switch (o) {
		case 's':
			c.sock = optarg;
			break;
		case 'c':
			conf_path = optarg;
			break;
		case 'p':
			c.pin_dir = optarg;
			break;
		case 'j':
			c.json = true;
			break;
		case 't':
			if (!parse_int(optarg, 1, 86400, &v)) {
				say("-t: seconds, 1 to 86400");
				return EXIT_USAGE;
			}
			c.timeout_s = (int)v;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return EXIT_OK;
		case ':':
			say("option '%s' needs a value", argv[optind - 1]);
			return usage_error();
		default:
			say("unknown option '%s'", argv[optind - 1]);
			return usage_error();
		}
	}
	if (optind >= argc) {
		say("no command");
		return usage_error();
	}
	if (conf_path) {
		if (ctl_conf_load(conf_path, &conf, err, sizeof(err)) < 0) {
			say("%s", err);
			return EXIT_USAGE;
		}
		if (!c.sock)
			c.sock = conf->control_socket;
		if (!c.pin_dir)
			c.pin_dir = conf->bpf_pin_dir;
	}
	if (!c.sock)
		c.sock = DEFAULT_SOCKET;
	if (!c.pin_dir)
		c.pin_dir = MXS_BPF_PIN_DIR;
	rc = -1;
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[optind], commands[i].name)) {
			rc = commands[i].fn(&c, argc - optind, argv + optind);
			break;
		}
	if (rc < 0) {
		say("unknown command '%s'", argv[optind]);
		rc = usage_error();
	}
	ctl_conf_free(conf);
	return rc;
}
