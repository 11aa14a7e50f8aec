/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ctl_prom: a stats document in the daemon's shape renders to text that
 * passes a checker of the exposition format 0.0.4 grammar and its rules
 * (one HELP/TYPE per family, TYPE before the family's samples, a family's
 * samples together, no series twice, histogram buckets cumulative with
 * ascending le ending at +Inf equal to _count), with the expected samples;
 * odd label values are escaped; null sections and bad histograms.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "ctl_json.h"
#include "ctl_prom.h"

/* ---- the checker ---- */

#define MAX_FAM 256
#define MAX_SERIES 4096

struct fam {
	char name[128];
	char type[16];
	bool help, has_type, samples, closed;
	/* histogram state */
	double last_le, last_bucket, inf;
	bool have_inf, have_count;
	double count;
};

struct checker {
	struct fam fam[MAX_FAM];
	size_t n_fam;
	struct fam *cur;                /* family of the last sample */
	char *series[MAX_SERIES];
	size_t n_series;
	int line;
	char why[256];
	int errors;
};

__attribute__((format(printf, 2, 3)))
static void bad(struct checker *c, const char *fmt, ...)
{
	va_list ap;
	char msg[200];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (!c->errors++)
		snprintf(c->why, sizeof(c->why), "line %d: %s", c->line, msg);
	fprintf(stderr, "  exposition line %d: %s\n", c->line, msg);
}

static bool name_start(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || ch == '_' || ch == ':';
}

static bool name_char(char ch)
{
	return name_start(ch) || (ch >= '0' && ch <= '9');
}

/* A metric name at *s; its length (0: none). */
static size_t metric_name(const char *s)
{
	size_t n = 0;

	if (!name_start(s[0]))
		return 0;
	while (name_char(s[n]))
		n++;
	return n;
}

static struct fam *fam_get(struct checker *c, const char *name, size_t n, bool create)
{
	for (size_t i = 0; i < c->n_fam; i++)
		if (strlen(c->fam[i].name) == n && !strncmp(c->fam[i].name, name, n))
			return &c->fam[i];
	if (!create || c->n_fam == MAX_FAM || n >= sizeof(c->fam[0].name))
		return NULL;
	memset(&c->fam[c->n_fam], 0, sizeof(c->fam[0]));
	memcpy(c->fam[c->n_fam].name, name, n);
	c->fam[c->n_fam].last_le = -INFINITY;
	return &c->fam[c->n_fam++];
}

static bool parse_value(const char *s, double *ret)
{
	char *end;

	if (!strcmp(s, "+Inf")) {
		*ret = INFINITY;
		return true;
	}
	if (!strcmp(s, "-Inf")) {
		*ret = -INFINITY;
		return true;
	}
	if (!strcmp(s, "NaN")) {
		*ret = NAN;
		return true;
	}
	if (!*s || *s == ' ')
		return false;
	*ret = strtod(s, &end);
	return !*end;
}

static void comment(struct checker *c, const char *l)
{
	bool help = !strncmp(l, "# HELP ", 7), type = !strncmp(l, "# TYPE ", 7);
	const char *name = l + 7, *rest;
	struct fam *f;
	size_t n;

	if (!help && !type) {
		bad(c, "a comment that is neither HELP nor TYPE");
		return;
	}
	n = metric_name(name);
	if (!n || name[n] != ' ') {
		bad(c, "bad metric name in %s", help ? "HELP" : "TYPE");
		return;
	}
	rest = name + n + 1;
	f = fam_get(c, name, n, true);
	if (!f) {
		bad(c, "too many families");
		return;
	}
	if (help) {
		if (f->help)
			bad(c, "second HELP for %s", f->name);
		f->help = true;
		for (const char *s = rest; *s; s++)
			if (*s == '\\' && s[1] != '\\' && s[1] != 'n')
				bad(c, "bad escape in HELP");
			else if (*s == '\\')
				s++;
		return;
	}
	if (f->has_type)
		bad(c, "second TYPE for %s", f->name);
	if (f->samples)
		bad(c, "TYPE for %s after its samples", f->name);
	if (strcmp(rest, "counter") && strcmp(rest, "gauge") && strcmp(rest, "histogram") &&
	    strcmp(rest, "summary") && strcmp(rest, "untyped"))
		bad(c, "bad TYPE '%s'", rest);
	f->has_type = true;
	snprintf(f->type, sizeof(f->type), "%s", rest);
}

/* The family a sample name belongs to: histograms own _bucket/_sum/_count. */
static struct fam *family_of(struct checker *c, const char *name, size_t n, const char **suffix)
{
	static const char *const sfx[] = { "_bucket", "_sum", "_count" };

	*suffix = "";
	for (size_t i = 0; i < 3; i++) {
		size_t k = strlen(sfx[i]);
		struct fam *f;

		if (n > k && !strncmp(name + n - k, sfx[i], k) &&
		    (f = fam_get(c, name, n - k, false)) && !strcmp(f->type, "histogram")) {
			*suffix = sfx[i];
			return f;
		}
	}
	return fam_get(c, name, n, true);
}

static void sample(struct checker *c, const char *l)
{
	size_t n = metric_name(l);
	const char *s = l + n, *suffix;
	char le[64] = "";
	bool has_le = false;
	struct fam *f;
	double v;

	if (!n) {
		bad(c, "no metric name");
		return;
	}
	f = family_of(c, l, n, &suffix);
	if (!f) {
		bad(c, "too many families");
		return;
	}
	if (!f->has_type)
		bad(c, "sample of %s without a TYPE before it", f->name);
	if (c->cur != f) {
		if (f->samples)
			bad(c, "samples of %s not together", f->name);
		c->cur = f;
	}
	f->samples = true;
	if (*s == '{') {
		s++;
		while (*s != '}') {
			size_t ln = metric_name(s);
			char val[256];
			size_t vn = 0;
			bool is_le;

			if (!ln || strncmp(s + ln, "=\"", 2)) {
				bad(c, "bad label name");
				return;
			}
			is_le = ln == 2 && !strncmp(s, "le", 2);
			if (ln >= 2 && s[0] == '_' && s[1] == '_')
				bad(c, "reserved label name");
			s += ln + 2;
			while (*s != '"') {
				if (!*s) {
					bad(c, "unterminated label value");
					return;
				}
				if (*s == '\\') {
					if (s[1] != '\\' && s[1] != '"' && s[1] != 'n') {
						bad(c, "bad escape in a label value");
						return;
					}
					s++;
				}
				if (vn < sizeof(val) - 1)
					val[vn++] = *s;
				s++;
			}
			val[vn] = '\0';
			s++;
			if (is_le) {
				snprintf(le, sizeof(le), "%.63s", val);
				has_le = true;
			}
			if (*s == ',')
				s++;            /* a trailing comma is allowed */
			else if (*s != '}') {
				bad(c, "labels not separated by ','");
				return;
			}
		}
		s++;
	}
	if (*s != ' ') {
		bad(c, "no space before the value");
		return;
	}
	s++;
	{
		char vbuf[64];
		const char *sp = strchr(s, ' ');
		size_t vl = sp ? (size_t)(sp - s) : strlen(s);

		if (vl >= sizeof(vbuf) || (memcpy(vbuf, s, vl), vbuf[vl] = '\0', !parse_value(vbuf, &v))) {
			bad(c, "bad value '%s'", s);
			return;
		}
		if (sp) {
			char *end;

			strtoll(sp + 1, &end, 10);
			if (*end || end == sp + 1)
				bad(c, "bad timestamp");
		}
	}
	/* no series twice */
	{
		size_t ln = (size_t)(strrchr(l, ' ') - l);
		char *series = strndup(l, ln);

		for (size_t i = 0; i < c->n_series; i++)
			if (!strcmp(c->series[i], series))
				bad(c, "series twice: %s", series);
		if (c->n_series < MAX_SERIES)
			c->series[c->n_series++] = series;
		else
			free(series);
	}
	if (!strcmp(f->type, "counter") && (v < 0 || isnan(v)))
		bad(c, "negative counter");
	if (!strcmp(f->type, "histogram")) {
		if (!strcmp(suffix, "_bucket")) {
			double b;

			if (!has_le || !parse_value(le, &b)) {
				bad(c, "bucket without a valid le");
				return;
			}
			if (f->have_inf)
				bad(c, "bucket after le=\"+Inf\"");
			if (!(b > f->last_le))
				bad(c, "le not ascending");
			if (v < f->last_bucket)
				bad(c, "buckets not cumulative");
			f->last_le = b;
			f->last_bucket = v;
			if (isinf(b)) {
				f->have_inf = true;
				f->inf = v;
			}
		} else if (!strcmp(suffix, "_count")) {
			if (!f->have_inf)
				bad(c, "_count before the +Inf bucket");
			else if (v != f->inf)
				bad(c, "_count %g != +Inf bucket %g", v, f->inf);
			f->have_count = true;
			f->count = v;
		} else if (!*suffix) {
			bad(c, "histogram sample without a suffix");
		}
	}
}

/* 0 when @text is valid exposition text; the count of violations. */
static int check_exposition(const char *text, char *why, size_t whylen)
{
	struct checker *c = calloc(1, sizeof(*c));
	const char *l = text;
	int errors;

	if (*text && text[strlen(text) - 1] != '\n') {
		snprintf(why, whylen, "text does not end with a newline");
		free(c);
		return 1;
	}
	while (*l) {
		const char *nl = strchr(l, '\n');
		char *line = strndup(l, (size_t)(nl - l));

		c->line++;
		if (!*line)
			;                       /* empty lines are allowed */
		else if (line[0] == '#')
			comment(c, line);
		else
			sample(c, line);
		free(line);
		l = nl + 1;
	}
	for (size_t i = 0; i < c->n_fam; i++)
		if (!strcmp(c->fam[i].type, "histogram") && c->fam[i].samples &&
		    (!c->fam[i].have_inf || !c->fam[i].have_count)) {
			c->line = 0;
			bad(c, "histogram %s lacks +Inf or _count", c->fam[i].name);
		}
	for (size_t i = 0; i < c->n_series; i++)
		free(c->series[i]);
	errors = c->errors;
	snprintf(why, whylen, "%s", c->why);
	free(c);
	return errors;
}

/* ---- the tests ---- */

static const char stats_json[] =
	"{\"ok\":true,"
	"\"dataplane\":{\"connected\":2,\"packets\":1000,\"bytes\":123456,\"flows_created\":40,"
	"\"flows_active\":3,\"flows_evicted\":1,\"handshakes_active\":5,\"handshakes_evicted\":6,"
	"\"smtp_connections\":30,\"records_dropped\":0,"
	"\"observations_queued\":30,\"observations_sent\":29,\"observations_dropped\":1,"
	"\"verdicts_received\":12,\"rules_scanned\":90,\"rules_loaded\":17,\"rules_reload_ok\":2,"
	"\"rules_reload_failed\":1,\"reload_error\":\"rules.txt:3: bad\",",
	stats_json2[] =
	"\"anomalies\":{\"helo_bare_ip\":4,\"pipelining_violation\":0,\"line_too_long\":2},"
	"\"top_rules\":[{\"id\":7,\"field\":\"helo\",\"score\":3,\"hits\":11,\"msg\":\"dyn \\\"helo\\\"\"},"
	"{\"id\":9,\"field\":\"mail_from\",\"score\":1,\"hits\":2,\"msg\":\"x\"}]},"
	"\"control\":{\"uptime_s\":3720,\"observations\":29,\"observations_dropped\":0,"
	"\"config_reloads_failed\":0,"
	"\"lookups\":{\"submitted\":20,\"completed\":19,\"active\":1},"
	"\"zones\":[{\"zone\":\"bl.example\",\"kind\":\"ip\",\"local\":false,\"enabled\":true,"
	"\"listed\":12,\"not_listed\":5,\"error\":1,\"timeout\":2},"
	"{\"zone\":\"we\\\\ird\\\"zone\\nx\",\"kind\":\"domain\",\"local\":true,\"enabled\":false,"
	"\"listed\":1,\"not_listed\":0,\"error\":0,\"timeout\":0}],"
	"\"dns\":{\"queries\":50,\"sent\":40,\"merged\":5,\"cache_hits\":5,\"cache_misses\":45,"
	"\"inflight\":2,\"queued\":0,\"errors\":1,\"timeouts\":2},"
	"\"health\":[{\"zone\":\"bl.example\",\"on\":true,\"probes\":8,\"switched_off\":1,\"why\":\"x\"}],"
	"\"verdicts_issued\":{\"pass\":5,\"tag\":4,\"throttle\":2,\"drop\":1},"
	"\"verdicts_current\":{\"pass\":3,\"tag\":2,\"throttle\":1,\"drop\":1},"
	"\"manual_overrides\":0,"
	"\"latency\":{\"count\":19,\"sum_s\":0.75,\"p50_ms\":12.5,\"p90_ms\":80,\"p99_ms\":250,"
	"\"buckets\":[{\"le_s\":0.001,\"count\":0},{\"le_s\":0.01,\"count\":3},"
	"{\"le_s\":0.1,\"count\":15},{\"le_s\":1,\"count\":19},{\"le_s\":10,\"count\":19}]}},"
	"\"enforcement\":{\"pin_dir\":\"/sys/fs/bpf/mxscreen\","
	"\"packets\":{\"none\":100,\"pass\":5,\"tag\":4,\"throttle\":3,\"drop\":2},"
	"\"bytes\":{\"none\":10000,\"pass\":500,\"tag\":400,\"throttle\":300,\"drop\":200},"
	"\"shadow\":{\"none\":0,\"pass\":0,\"tag\":0,\"throttle\":0,\"drop\":0},"
	"\"syn_throttled\":3,\"syn_admitted\":6,\"static_allow\":0,\"static_deny\":1,\"expired\":2,"
	"\"parse_errors\":0,\"not_smtp\":50,\"tc_marked\":4}}";

static int render(const char *json, struct ctl_jw *w)
{
	struct ctl_jdoc *d;
	char err[128];
	int rc;

	ctl_jw_init(w, 1 << 20);
	if (ctl_json_parse(json, strlen(json), 100000, &d, err, sizeof(err))) {
		fprintf(stderr, "sample JSON: %s\n", err);
		return -EINVAL;
	}
	rc = ctl_prom_render(ctl_jdoc_root(d), w);
	ctl_jdoc_free(d);
	return rc;
}

static bool has_line(const char *text, const char *line)
{
	size_t n = strlen(line);

	for (const char *s = text; s && *s; s = strchr(s, '\n'), s = s ? s + 1 : s)
		if (!strncmp(s, line, n) && (s[n] == '\n' || !s[n]))
			return true;
	return false;
}

static size_t count_prefix(const char *text, const char *prefix)
{
	size_t c = 0, n = strlen(prefix);

	for (const char *s = text; s && *s; s = strchr(s, '\n'), s = s ? s + 1 : s)
		c += !strncmp(s, prefix, n);
	return c;
}

static void full(void)
{
	static const char *const want[] = {
		"# TYPE mxscreen_dataplane_packets_total counter",
		"mxscreen_dataplane_packets_total 1000",
		"mxscreen_dataplanes_connected 2",
		"mxscreen_dataplane_flows_active 3",
		"# TYPE mxscreen_dataplane_handshakes_active gauge",
		"mxscreen_dataplane_handshakes_active 5",
		"# TYPE mxscreen_dataplane_handshakes_evicted_total counter",
		"mxscreen_dataplane_handshakes_evicted_total 6",
		"mxscreen_dataplane_rules_reloads_total{result=\"failed\"} 1",
		"mxscreen_anomalies_total{anomaly=\"helo_bare_ip\"} 4",
		"mxscreen_anomalies_total{anomaly=\"pipelining_violation\"} 0",
		"mxscreen_rule_hits_total{rule=\"7\",field=\"helo\"} 11",
		"mxscreen_control_uptime_seconds 3720",
		"# TYPE mxscreen_lookups_active gauge",
		"mxscreen_zone_lookups_total{zone=\"bl.example\",result=\"listed\"} 12",
		"mxscreen_zone_lookups_total{zone=\"bl.example\",result=\"not_listed\"} 5",
		"mxscreen_zone_lookups_total{zone=\"bl.example\",result=\"error\"} 1",
		"mxscreen_zone_lookups_total{zone=\"bl.example\",result=\"timeout\"} 2",
		"mxscreen_zone_lookups_total{zone=\"we\\\\ird\\\"zone\\nx\",result=\"listed\"} 1",
		"mxscreen_zone_enabled{zone=\"bl.example\"} 1",
		"mxscreen_zone_enabled{zone=\"we\\\\ird\\\"zone\\nx\"} 0",
		"mxscreen_zone_health_switched_off_total{zone=\"bl.example\"} 1",
		"mxscreen_dns_inflight 2",
		"mxscreen_verdicts_issued_total{action=\"drop\"} 1",
		"# TYPE mxscreen_verdicts_current gauge",
		"mxscreen_verdicts_current{action=\"pass\"} 3",
		"# TYPE mxscreen_lookup_latency_seconds histogram",
		"mxscreen_lookup_latency_seconds_bucket{le=\"0.001\"} 0",
		"mxscreen_lookup_latency_seconds_bucket{le=\"0.1\"} 15",
		"mxscreen_lookup_latency_seconds_bucket{le=\"+Inf\"} 19",
		"mxscreen_lookup_latency_seconds_sum 0.75",
		"mxscreen_lookup_latency_seconds_count 19",
		"mxscreen_enforcement_packets_total{action=\"drop\"} 2",
		"mxscreen_enforcement_bytes_total{action=\"none\"} 10000",
		"mxscreen_enforcement_syn_throttled_total 3",
		"mxscreen_enforcement_tc_marked_total 4",
	};
	char json[sizeof(stats_json) + sizeof(stats_json2)], why[256];
	struct ctl_jw w;

	check_case = "full";
	snprintf(json, sizeof(json), "%s%s", stats_json, stats_json2);
	CHECK_EQ_INT(render(json, &w), 0);
	CHECK(w.buf != NULL);
	if (!w.buf)
		return;
	CHECK_EQ_INT(check_exposition(w.buf, why, sizeof(why)), 0);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		if (!has_line(w.buf, want[i])) {
			fprintf(stderr, "missing line: %s\n", want[i]);
			CHECK(!"a wanted line is missing");
		}
	/* Every counter ends in _total, every family has its HELP. */
	for (const char *s = w.buf; (s = strstr(s, "# TYPE ")); s++) {
		const char *e = strchr(s, '\n');
		size_t n = (size_t)(e - s);

		if (n > 8 && !strncmp(e - 8, " counter", 8))
			CHECK(n > 14 && !strncmp(e - 14, "_total", 6));
	}
	CHECK_EQ_INT(count_prefix(w.buf, "# HELP "), count_prefix(w.buf, "# TYPE "));
	CHECK_EQ_INT(count_prefix(w.buf, "# HELP mxscreen_zone_lookups_total "), 1);
	CHECK_EQ_INT(count_prefix(w.buf, "mxscreen_zone_lookups_total{"), 8);
	CHECK_EQ_INT(count_prefix(w.buf, "mxscreen_lookup_latency_seconds_bucket{"), 6);
	/* No member is read as a label or metric name. */
	CHECK(!strstr(w.buf, "reload_error"));
	CHECK(!strstr(w.buf, "pin_dir"));
	ctl_jw_free(&w);
}

static void sections_absent(void)
{
	struct ctl_jw w;
	char why[256];

	check_case = "null sections";
	CHECK_EQ_INT(render("{\"ok\":true,\"dataplane\":null,\"control\":null,\"enforcement\":null,"
			    "\"enforcement_error\":\"not pinned\"}", &w), 0);
	CHECK_EQ_INT(w.len, 0);
	ctl_jw_free(&w);

	check_case = "only enforcement (the CLI with mxscreend down)";
	CHECK_EQ_INT(render("{\"enforcement\":{\"pin_dir\":\"/x\",\"packets\":{\"drop\":5},"
			    "\"syn_throttled\":1}}", &w), 0);
	CHECK_EQ_INT(check_exposition(w.buf ? w.buf : "", why, sizeof(why)), 0);
	CHECK(has_line(w.buf ? w.buf : "", "mxscreen_enforcement_packets_total{action=\"drop\"} 5"));
	CHECK(!strstr(w.buf ? w.buf : "", "mxscreen_dataplane"));
	ctl_jw_free(&w);

	check_case = "not an object";
	CHECK_EQ_INT(render("[1,2]", &w), -EINVAL);
	ctl_jw_free(&w);

	check_case = "members of other types are left out";
	CHECK_EQ_INT(render("{\"control\":{\"uptime_s\":\"long\",\"observations\":5,"
			    "\"zones\":{\"zone\":1},\"verdicts_issued\":[1],"
			    "\"latency\":{\"count\":\"x\"}}}", &w), 0);
	CHECK_EQ_INT(check_exposition(w.buf ? w.buf : "", why, sizeof(why)), 0);
	CHECK(!strstr(w.buf ? w.buf : "", "uptime"));
	CHECK(!strstr(w.buf ? w.buf : "", "latency"));
	CHECK(has_line(w.buf ? w.buf : "", "mxscreen_control_observations_total 5"));
	ctl_jw_free(&w);
}

static void histogram_repaired(void)
{
	struct ctl_jw w;
	char why[256];

	/* Buckets that go down or past count would be an invalid histogram. */
	check_case = "histogram";
	CHECK_EQ_INT(render("{\"control\":{\"latency\":{\"count\":5,\"sum_s\":1.5,\"buckets\":["
			    "{\"le_s\":0.5,\"count\":3},{\"le_s\":1,\"count\":2},"
			    "{\"le_s\":2,\"count\":9},{\"le_s\":\"x\",\"count\":1}]}}}", &w), 0);
	CHECK_EQ_INT(check_exposition(w.buf ? w.buf : "", why, sizeof(why)), 0);
	CHECK(has_line(w.buf, "mxscreen_lookup_latency_seconds_bucket{le=\"1\"} 3"));
	CHECK(has_line(w.buf, "mxscreen_lookup_latency_seconds_bucket{le=\"2\"} 5"));
	CHECK(has_line(w.buf, "mxscreen_lookup_latency_seconds_bucket{le=\"+Inf\"} 5"));
	CHECK(has_line(w.buf, "mxscreen_lookup_latency_seconds_sum 1.5"));
	ctl_jw_free(&w);

	check_case = "empty histogram";
	CHECK_EQ_INT(render("{\"control\":{\"latency\":{\"count\":0,\"buckets\":[]}}}", &w), 0);
	CHECK_EQ_INT(check_exposition(w.buf ? w.buf : "", why, sizeof(why)), 0);
	CHECK(has_line(w.buf, "mxscreen_lookup_latency_seconds_bucket{le=\"+Inf\"} 0"));
	CHECK(has_line(w.buf, "mxscreen_lookup_latency_seconds_count 0"));
	ctl_jw_free(&w);
}

/* The checker itself rejects what it should. */
static void checker_rejects(void)
{
	static const char *const badtext[] = {
		"m 1",                                                  /* no newline */
		"# TYPE m counter\nm{a=\"x\\q\"} 1\n",                  /* bad escape */
		"m 1\n",                                                /* no TYPE */
		"# TYPE m counter\n# TYPE m counter\nm 1\n",            /* TYPE twice */
		"# TYPE 1m counter\n",                                  /* bad name */
		"# TYPE m counter\nm{a=\"1\"} 1\nm{a=\"1\"} 2\n",       /* series twice */
		"# TYPE m counter\n# TYPE n gauge\nm 1\nn 1\nm{a=\"b\"} 1\n", /* not together */
		"# TYPE m counter\nm one\n",                            /* bad value */
		"# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"2\"} 1\n"
		"h_bucket{le=\"+Inf\"} 2\nh_count 2\n",                 /* not cumulative */
		"# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_count 2\n", /* no +Inf */
		"# TYPE h histogram\nh_bucket{le=\"+Inf\"} 2\nh_count 3\n", /* count != +Inf */
		"# foo\n",                                              /* other comment */
	};
	char why[256];

	check_case = "checker";
	for (size_t i = 0; i < sizeof(badtext) / sizeof(badtext[0]); i++) {
		fprintf(stderr, "(expected) case %zu:\n", i);
		CHECK(check_exposition(badtext[i], why, sizeof(why)) > 0);
	}
	CHECK_EQ_INT(check_exposition("# HELP m x\\\\y\n# TYPE m gauge\nm{a=\"\\\"\",b=\"\\n\"} -1.5e3 12\n",
				      why, sizeof(why)), 0);
}

int main(void)
{
	full();
	sections_absent();
	histogram_repaired();
	checker_rejects();
	CHECK_DONE();
}
