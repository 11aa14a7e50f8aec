/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mxscreenctl: the operator CLI of mxscreend. Parses and checks its
 * options and the command's arguments, builds the one request line of the
 * control protocol (docs/control-protocol.md), has cli_conn make the
 * round trip (-t, default 60 s) and shows the answer through the command's
 * cli_render renderer: human text with -j off, JSON with -j. `stats
 * --prometheus` renders through ctl_prom instead, like the daemon's
 * /metrics.
 *
 * With the daemon unreachable, `stats` still reads the enforcement
 * counters from the pinned BPF maps (-p, or bpf_pin_dir of -c) and renders
 * them in the daemon's shape before it fails with exit 3.
 *
 * Exit status (enum cli_exit): 0 ok; 1 not found; 2 bad usage, a bad
 * config (-c) or the daemon's bad_request; 3 daemon unreachable (cannot
 * connect, or it hung up before answering); 4 failed (the daemon's failed,
 * no answer in time, a response that is not the protocol's). Errors are
 * one line on stderr starting "mxscreenctl: ". Single-threaded.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <mxscreen/bpf.h>

#include "cli_conn.h"
#include "cli_print.h"
#include "cli_render.h"
#include "ctl_conf.h"
#include "ctl_enf.h"
#include "ctl_json.h"
#include "ctl_pins.h"
#include "ctl_prom.h"

#define DEFAULT_SOCKET "/run/mxscreen/control.sock"
#define DEFAULT_TIMEOUT_S 60
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
	return CLI_EXIT_USAGE;
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

/* ---- running a command ---- */

static int output(struct cli_print *p)
{
	int rc = cp_finish(p);

	if (rc) {
		say("writing the output: %s", strerror(-rc));
		return CLI_EXIT_FAILED;
	}
	return CLI_EXIT_OK;
}

static int render(const struct cli *c, render_fn fn, const struct ctl_jnode *r)
{
	struct cli_print *p = cp_create(stdout, c->json);
	int rc;

	if (!p) {
		say("out of memory");
		return CLI_EXIT_FAILED;
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

	ctl_jw_init(&w, CLI_CONN_RESPONSE_MAX);
	rc = ctl_prom_render(stats, &w);
	if (!rc && w.len)
		fwrite(w.buf, 1, w.len, stdout);
	ctl_jw_free(&w);
	if (rc) {
		say("rendering Prometheus text: %s", strerror(-rc));
		return CLI_EXIT_FAILED;
	}
	if (fflush(stdout) || ferror(stdout)) {
		say("writing the output: %s", strerror(errno));
		return CLI_EXIT_FAILED;
	}
	return CLI_EXIT_OK;
}

/* Send @req (freed here) and render the answer with @fn. A failed answer
 * that says more than the error (rules.reload's dataplanes) is rendered
 * before the error is reported. */
static int request(const struct cli *c, struct ctl_jw *req, render_fn fn)
{
	struct ctl_jdoc *doc;
	char err[1024];
	int rc;

	rc = cli_conn_call(c->sock, c->timeout_s, req, &doc, err, sizeof(err));
	if (rc == CLI_EXIT_OK) {
		rc = render(c, fn, ctl_jdoc_root(doc));
	} else {
		if (doc && cli_render_has_data(ctl_jdoc_root(doc)))
			render(c, fn, ctl_jdoc_root(doc));
		say("%s", err);
	}
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
	return CLI_EXIT_USAGE;
}

/*
 * Parse argv[1..] of a command: options from @allowed (a list of enum
 * opt_id ending in 0), then positional arguments. CLI_EXIT_OK or a usage
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
	return CLI_EXIT_OK;
}

/* --limit into the request, checked. */
static int limit_arg(const struct cmd_args *a, struct ctl_jw *req)
{
	long long v;

	if (!a->opt[O_LIMIT])
		return CLI_EXIT_OK;
	if (!parse_int(a->opt[O_LIMIT], 1, LIMIT_MAX, &v))
		return arg_error(a, "--limit: a number from 1 to 100000");
	ctl_jw_i64(req, "limit", v);
	return CLI_EXIT_OK;
}

static int action_arg(const struct cmd_args *a, const char *s, struct ctl_jw *req)
{
	char what[160];

	if (!s)
		return CLI_EXIT_OK;
	if (!valid_action(s)) {
		snprintf(what, sizeof(what), "bad action '%.64s' (pass, tag, throttle or drop)", s);
		return arg_error(a, what);
	}
	ctl_jw_str(req, "action", s);
	return CLI_EXIT_OK;
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
	return CLI_EXIT_OK;
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
	rc = cli_conn_call(c->sock, c->timeout_s, &req, &doc, err, sizeof(err));
	if (doc) {
		const struct ctl_jnode *r = ctl_jdoc_root(doc);

		if (rc == CLI_EXIT_OK)
			rc = prom ? prometheus(r) : render(c, cli_render_stats, r);
		else
			say("%s", err);
		ctl_jdoc_free(doc);
		return rc;
	}
	if (rc != CLI_EXIT_UNREACHABLE || ctl_pins_stats(c->pin_dir, &sum, perr, sizeof(perr)) < 0) {
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
	rrc = prom ? prometheus(ctl_jdoc_root(doc)) : render(c, cli_render_stats, ctl_jdoc_root(doc));
	ctl_jdoc_free(doc);
	say("%s", err);
	return rrc == CLI_EXIT_OK ? rc : rrc;
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
		fn = cli_render_verdict_list;
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
		fn = get ? cli_render_verdict : cli_render_removed;
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
		fn = cli_render_verdict;
	} else if (!strcmp(sub, "flush")) {
		a = (struct cmd_args){ .name = "verdict flush", .usage = "[--action A]" };
		if ((rc = parse_args(&a, argc, argv, flush_opts)))
			return rc;
		req_begin(&req, "verdict.flush");
		if ((rc = action_arg(&a, a.opt[O_ACTION], &req)))
			goto bad;
		fn = cli_render_generic;
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
	return request(c, &req, cli_render_explain);
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
	return request(c, &req, cli_render_generic);
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
	return request(c, &req, cli_render_top);
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
	return request(c, &req, cli_render_version);
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
				return CLI_EXIT_USAGE;
			}
			c.timeout_s = (int)v;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return CLI_EXIT_OK;
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
			return CLI_EXIT_USAGE;
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
