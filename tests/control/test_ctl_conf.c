/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ctl_conf: every key valid and invalid, line syntax (continuations,
 * comments, CRLF), exact "FILE:LINE: reason" errors, the documented
 * sample etc/mxscreen.conf equal to the built-in defaults, the resolv.conf
 * default (MXS_RESOLV_CONF), local_zones paths, CIDR containment.
 * Single-threaded; works in a private directory under /tmp.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "ctl_conf.h"

static char tmpdir[] = "/tmp/mxs-test-conf-XXXXXX";
static char conf_path[PATH_MAX];
static char resolv_path[PATH_MAX];

static void write_file(const char *path, const char *text, size_t len)
{
	FILE *f = fopen(path, "wb");

	if (!f || fwrite(text, 1, len, f) != len || fclose(f)) {
		perror(path);
		exit(2);
	}
}

static void write_str(const char *path, const char *text)
{
	write_file(path, text, strlen(text));
}

/* Load @text from conf_path; returns ctl_conf_load's result. */
static int load(const char *text, struct ctl_conf **c, char *err, size_t errlen)
{
	write_str(conf_path, text);
	err[0] = '\0';
	return ctl_conf_load(conf_path, c, err, errlen);
}

/* @tmpl with every '@' replaced by conf_path. */
static const char *expand(const char *tmpl)
{
	static char buf[2048];
	size_t n = 0;

	for (const char *p = tmpl; *p && n < sizeof(buf) - PATH_MAX - 1; p++) {
		if (*p == '@') {
			n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s", conf_path);
		} else {
			buf[n++] = *p;
		}
	}
	buf[n] = '\0';
	return buf;
}

/* Every field of @a equal to @b. */
static void check_same(const struct ctl_conf *a, const struct ctl_conf *b)
{
	CHECK_EQ_INT(a->n_dnsbl, b->n_dnsbl);
	for (size_t i = 0; i < a->n_dnsbl && i < b->n_dnsbl; i++)
		CHECK(memcmp(&a->dnsbl[i], &b->dnsbl[i], sizeof(a->dnsbl[i])) == 0);
	CHECK_EQ_INT(a->n_rhsbl, b->n_rhsbl);
	for (size_t i = 0; i < a->n_rhsbl && i < b->n_rhsbl; i++)
		CHECK(memcmp(&a->rhsbl[i], &b->rhsbl[i], sizeof(a->rhsbl[i])) == 0);
	CHECK_EQ_INT(a->n_resolvers, b->n_resolvers);
	for (size_t i = 0; i < a->n_resolvers && i < b->n_resolvers; i++) {
		CHECK_EQ_STR(a->resolvers[i].host, b->resolvers[i].host);
		CHECK_EQ_INT(a->resolvers[i].port, b->resolvers[i].port);
	}
	CHECK_EQ_INT(a->n_list_resolvers, b->n_list_resolvers);
	for (size_t i = 0; i < a->n_list_resolvers && i < b->n_list_resolvers; i++) {
		CHECK_EQ_STR(a->list_resolvers[i].host, b->list_resolvers[i].host);
		CHECK_EQ_INT(a->list_resolvers[i].port, b->list_resolvers[i].port);
	}
	CHECK_EQ_INT(a->n_local_zones, b->n_local_zones);
	for (size_t i = 0; i < a->n_local_zones && i < b->n_local_zones; i++) {
		CHECK_EQ_STR(a->local_zones[i].zone, b->local_zones[i].zone);
		CHECK_EQ_INT(a->local_zones[i].type, b->local_zones[i].type);
		CHECK_EQ_STR(a->local_zones[i].path, b->local_zones[i].path);
	}
	CHECK_EQ_INT(a->fcrdns_weight, b->fcrdns_weight);
	CHECK_EQ_INT(a->no_ptr_weight, b->no_ptr_weight);
	for (unsigned i = 0; i < MXS_ANOMALY_COUNT; i++) {
		check_case = mxs_anomaly_name(i);
		CHECK_EQ_INT(a->anomaly_weight[i], b->anomaly_weight[i]);
	}
	check_case = "same";
	CHECK_EQ_INT(a->rule_weight_percent, b->rule_weight_percent);
	CHECK_EQ_INT(a->score_tag, b->score_tag);
	CHECK_EQ_INT(a->score_throttle, b->score_throttle);
	CHECK_EQ_INT(a->score_drop, b->score_drop);
	CHECK_EQ_INT(a->n_allow, b->n_allow);
	for (size_t i = 0; i < a->n_allow && i < b->n_allow; i++)
		CHECK(memcmp(&a->allow[i], &b->allow[i], sizeof(a->allow[i])) == 0);
	CHECK_EQ_INT(a->n_deny, b->n_deny);
	for (size_t i = 0; i < a->n_deny && i < b->n_deny; i++)
		CHECK(memcmp(&a->deny[i], &b->deny[i], sizeof(a->deny[i])) == 0);
	for (unsigned i = 0; i < MXS_ACTION_COUNT; i++) {
		check_case = mxs_action_name(i);
		CHECK_EQ_INT(a->verdict_ttl[i], b->verdict_ttl[i]);
	}
	check_case = "same";
	CHECK_EQ_INT(a->cache_ttl_min, b->cache_ttl_min);
	CHECK_EQ_INT(a->cache_ttl_max, b->cache_ttl_max);
	CHECK_EQ_INT(a->error_ttl, b->error_ttl);
	CHECK_EQ_INT(a->dns_timeout_ms, b->dns_timeout_ms);
	CHECK_EQ_INT(a->dns_max_inflight, b->dns_max_inflight);
	CHECK_EQ_INT(a->health_interval, b->health_interval);
	CHECK_EQ_INT(a->shadow, b->shadow);
	CHECK_EQ_INT(a->ipv6_prefix, b->ipv6_prefix);
	CHECK_EQ_STR(a->dataplane_socket, b->dataplane_socket);
	CHECK_EQ_STR(a->control_socket, b->control_socket);
	CHECK_EQ_STR(a->control_group, b->control_group);
	CHECK_EQ_STR(a->metrics_listen, b->metrics_listen);
	CHECK_EQ_STR(a->manual_verdicts, b->manual_verdicts);
	CHECK_EQ_STR(a->verdict_log, b->verdict_log);
	CHECK_EQ_STR(a->bpf_pin_dir, b->bpf_pin_dir);
	CHECK_EQ_INT(a->bpf, b->bpf);
	CHECK_EQ_INT(a->n_xdp_ifaces, b->n_xdp_ifaces);
	for (size_t i = 0; i < a->n_xdp_ifaces && i < b->n_xdp_ifaces; i++)
		CHECK_EQ_STR(a->xdp_ifaces[i], b->xdp_ifaces[i]);
	CHECK_EQ_INT(a->xdp_mode, b->xdp_mode);
	CHECK_EQ_INT(a->n_tc_ifaces, b->n_tc_ifaces);
	for (size_t i = 0; i < a->n_tc_ifaces && i < b->n_tc_ifaces; i++)
		CHECK_EQ_STR(a->tc_ifaces[i], b->tc_ifaces[i]);
	CHECK_EQ_INT(a->n_smtp_ports, b->n_smtp_ports);
	CHECK(memcmp(a->smtp_ports, b->smtp_ports, sizeof(a->smtp_ports)) == 0);
	CHECK_EQ_INT(a->tag_dscp, b->tag_dscp);
	CHECK_EQ_INT(a->tag_mark, b->tag_mark);
	CHECK_EQ_INT(a->throttle_rate, b->throttle_rate);
	CHECK_EQ_INT(a->throttle_burst, b->throttle_burst);
}

static void test_defaults(void)
{
	struct ctl_conf *c = ctl_conf_defaults();

	check_case = "defaults";
	CHECK(c != NULL);
	if (!c)
		return;
	CHECK_EQ_INT(c->n_dnsbl, 0);
	CHECK_EQ_INT(c->n_rhsbl, 0);
	CHECK_EQ_INT(c->n_local_zones, 0);
	CHECK_EQ_INT(c->fcrdns_weight, 1);
	CHECK_EQ_INT(c->no_ptr_weight, 1);
	CHECK_EQ_INT(c->rule_weight_percent, 100);
	CHECK_EQ_INT(c->anomaly_weight[MXS_ANOMALY_PREGREET], 2);
	CHECK_EQ_INT(c->anomaly_weight[MXS_ANOMALY_PIPELINING_VIOLATION], 1);
	CHECK_EQ_INT(c->anomaly_weight[MXS_ANOMALY_NON_SMTP_COMMAND], 2);
	CHECK_EQ_INT(c->anomaly_weight[MXS_ANOMALY_BARE_LF], 1);
	CHECK_EQ_INT(c->anomaly_weight[MXS_ANOMALY_NUL_BYTE], 0);
	CHECK_EQ_INT(c->anomaly_weight[MXS_ANOMALY_LONG_LINE], 0);
	CHECK_EQ_INT(c->anomaly_weight[MXS_ANOMALY_UNKNOWN_COMMAND], 0);
	CHECK_EQ_INT(c->anomaly_weight[MXS_ANOMALY_STARTTLS_INJECTION], 2);
	CHECK_EQ_INT(c->anomaly_weight[MXS_ANOMALY_BDAT_INVALID], 0);
	CHECK_EQ_INT(c->anomaly_weight[MXS_ANOMALY_REASM_OVERLAP_CONFLICT], 0);
	CHECK_EQ_INT(c->anomaly_weight[MXS_ANOMALY_REASM_GAP], 0);
	CHECK_EQ_INT(c->score_tag, 1);
	CHECK_EQ_INT(c->score_throttle, 4);
	CHECK_EQ_INT(c->score_drop, 8);
	CHECK_EQ_INT(c->n_allow, 0);
	CHECK_EQ_INT(c->n_deny, 0);
	CHECK_EQ_INT(c->verdict_ttl[MXS_ACTION_PASS], 3600);
	CHECK_EQ_INT(c->verdict_ttl[MXS_ACTION_TAG], 3600);
	CHECK_EQ_INT(c->verdict_ttl[MXS_ACTION_THROTTLE], 3600);
	CHECK_EQ_INT(c->verdict_ttl[MXS_ACTION_DROP], 86400);
	CHECK_EQ_INT(c->cache_ttl_min, 60);
	CHECK_EQ_INT(c->cache_ttl_max, 86400);
	CHECK_EQ_INT(c->error_ttl, 30);
	CHECK_EQ_INT(c->dns_timeout_ms, 2000);
	CHECK_EQ_INT(c->dns_max_inflight, 1000);
	CHECK_EQ_INT(c->health_interval, 300);
	CHECK_EQ_INT(c->shadow, 0);
	CHECK_EQ_INT(c->ipv6_prefix, 64);
	CHECK_EQ_STR(c->dataplane_socket, "/run/mxscreen/dataplane.sock");
	CHECK_EQ_STR(c->control_socket, "/run/mxscreen/control.sock");
	CHECK_EQ_STR(c->control_group, "");
	CHECK_EQ_STR(c->metrics_listen, "");
	CHECK_EQ_STR(c->manual_verdicts, "/var/lib/mxscreen/manual-verdicts");
	CHECK_EQ_STR(c->verdict_log, "");
	CHECK_EQ_STR(c->bpf_pin_dir, "/sys/fs/bpf/mxscreen");
	CHECK_EQ_INT(c->bpf, 0);
	CHECK_EQ_INT(c->n_xdp_ifaces, 0);
	CHECK_EQ_INT(c->xdp_mode, CTL_XDP_AUTO);
	CHECK_EQ_INT(c->n_tc_ifaces, 0);
	CHECK_EQ_INT(c->n_smtp_ports, 4);
	CHECK_EQ_INT(c->smtp_ports[0], 25);
	CHECK_EQ_INT(c->smtp_ports[1], 465);
	CHECK_EQ_INT(c->smtp_ports[2], 587);
	CHECK_EQ_INT(c->smtp_ports[3], 2525);
	CHECK_EQ_INT(c->smtp_ports[4], 0);
	CHECK_EQ_INT(c->tag_dscp, 8);
	CHECK_EQ_INT(c->tag_mark, 0x4d58);
	CHECK_EQ_INT(c->throttle_rate, 1);
	CHECK_EQ_INT(c->throttle_burst, 3);
	/* From the MXS_RESOLV_CONF file main() wrote. */
	CHECK_EQ_INT(c->n_resolvers, 2);
	CHECK_EQ_STR(c->resolvers[0].host, "127.0.0.53");
	CHECK_EQ_INT(c->resolvers[0].port, 53);
	CHECK_EQ_STR(c->resolvers[1].host, "::1");
	CHECK_EQ_INT(c->resolvers[1].port, 53);
	ctl_conf_free(c);
	ctl_conf_free(NULL);
}

/* The documented sample's active lines are exactly the defaults. */
static void test_sample_is_defaults(void)
{
	const char *root = getenv("MXS_SOURCE_ROOT");
	char path[PATH_MAX], err[1024] = "";
	struct ctl_conf *c = NULL, *d = ctl_conf_defaults(), *e = NULL;

	snprintf(path, sizeof(path), "%s/etc/mxscreen.conf", root ? root : ".");
	check_case = path;
	CHECK_EQ_INT(ctl_conf_load(path, &c, err, sizeof(err)), 0);
	CHECK_EQ_STR(err, "");
	if (c && d)
		check_same(c, d);
	/* An empty file too. */
	check_case = "empty file";
	CHECK_EQ_INT(load("", &e, err, sizeof(err)), 0);
	if (e && d)
		check_same(e, d);
	ctl_conf_free(c);
	ctl_conf_free(d);
	ctl_conf_free(e);
}

enum kind { K_INT, K_U32, K_STR };

#define OFF(f) offsetof(struct ctl_conf, f)

static const struct {
	const char *text;
	enum kind kind;
	size_t off;
	long want;
	const char *want_s;
} valid[] = {
	{ "fcrdns_weight = 3", K_INT, OFF(fcrdns_weight), 3, NULL },
	{ "fcrdns_weight=-3", K_INT, OFF(fcrdns_weight), -3, NULL },
	{ "fcrdns_weight = +7", K_INT, OFF(fcrdns_weight), 7, NULL },
	{ "fcrdns_weight = 1000", K_INT, OFF(fcrdns_weight), 1000, NULL },
	{ "no_ptr_weight= 0", K_INT, OFF(no_ptr_weight), 0, NULL },
	{ "no_ptr_weight =-1000", K_INT, OFF(no_ptr_weight), -1000, NULL },
	{ "rule_weight_percent = 0", K_INT, OFF(rule_weight_percent), 0, NULL },
	{ "rule_weight_percent = 1000", K_INT, OFF(rule_weight_percent), 1000, NULL },
	{ "rule_weight_percent = 50", K_INT, OFF(rule_weight_percent), 50, NULL },
	{ "score_tag = 4", K_INT, OFF(score_tag), 4, NULL },
	{ "score_throttle = 8", K_INT, OFF(score_throttle), 8, NULL },
	{ "score_drop = 100", K_INT, OFF(score_drop), 100, NULL },
	{ "score_tag = 5\nscore_throttle = 5\nscore_drop = 5", K_INT, OFF(score_throttle), 5, NULL },
	{ "score_drop = 3\nscore_throttle = 2\nscore_tag = 2", K_INT, OFF(score_drop), 3, NULL },
	{ "cache_ttl_min = 0", K_U32, OFF(cache_ttl_min), 0, NULL },
	{ "cache_ttl_min = 90s", K_U32, OFF(cache_ttl_min), 90, NULL },
	{ "cache_ttl_min = 5m", K_U32, OFF(cache_ttl_min), 300, NULL },
	{ "cache_ttl_max = 2h", K_U32, OFF(cache_ttl_max), 7200, NULL },
	{ "cache_ttl_max = 365d", K_U32, OFF(cache_ttl_max), 365 * 86400, NULL },
	{ "cache_ttl_max = 60", K_U32, OFF(cache_ttl_max), 60, NULL },
	{ "error_ttl = 0", K_U32, OFF(error_ttl), 0, NULL },
	{ "error_ttl = 1m", K_U32, OFF(error_ttl), 60, NULL },
	{ "health_interval = 45", K_U32, OFF(health_interval), 45, NULL },
	{ "health_interval = 1d", K_U32, OFF(health_interval), 86400, NULL },
	{ "dns_timeout = 500ms", K_U32, OFF(dns_timeout_ms), 500, NULL },
	{ "dns_timeout = 1ms", K_U32, OFF(dns_timeout_ms), 1, NULL },
	{ "dns_timeout = 2", K_U32, OFF(dns_timeout_ms), 2000, NULL },
	{ "dns_timeout = 5s", K_U32, OFF(dns_timeout_ms), 5000, NULL },
	{ "dns_timeout = 1m", K_U32, OFF(dns_timeout_ms), 60000, NULL },
	{ "dns_timeout = 60000ms", K_U32, OFF(dns_timeout_ms), 60000, NULL },
	{ "dns_max_inflight = 1", K_U32, OFF(dns_max_inflight), 1, NULL },
	{ "dns_max_inflight = 100000", K_U32, OFF(dns_max_inflight), 100000, NULL },
	{ "shadow = yes", K_INT, OFF(shadow), 1, NULL },
	{ "shadow = YES", K_INT, OFF(shadow), 1, NULL },
	{ "shadow=true", K_INT, OFF(shadow), 1, NULL },
	{ "shadow = 1", K_INT, OFF(shadow), 1, NULL },
	{ "shadow = no", K_INT, OFF(shadow), 0, NULL },
	{ "shadow = False", K_INT, OFF(shadow), 0, NULL },
	{ "shadow = 0", K_INT, OFF(shadow), 0, NULL },
	{ "ipv6_prefix = 128", K_INT, OFF(ipv6_prefix), 128, NULL },
	{ "ipv6_prefix = 64", K_INT, OFF(ipv6_prefix), 64, NULL },
	{ "dataplane_socket = /tmp/dp.sock", K_STR, OFF(dataplane_socket), 0, "/tmp/dp.sock" },
	{ "control_socket=/tmp/c.sock", K_STR, OFF(control_socket), 0, "/tmp/c.sock" },
	{ "control_socket = /aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", K_STR, OFF(control_socket), 0,
	  "/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" }, /* 107 bytes */
	{ "verdict_log = -", K_STR, OFF(verdict_log), 0, "-" },
	{ "verdict_log = /var/log/mxscreen/verdicts.json", K_STR, OFF(verdict_log), 0,
	  "/var/log/mxscreen/verdicts.json" },
	{ "verdict_log =", K_STR, OFF(verdict_log), 0, "" },
	/* '#' after the start of a line is data, as in main.cf. */
	{ "verdict_log = /tmp/a#b # c", K_STR, OFF(verdict_log), 0, "/tmp/a#b # c" },
	{ "bpf_pin_dir = /sys/fs/bpf/other", K_STR, OFF(bpf_pin_dir), 0, "/sys/fs/bpf/other" },
	{ "control_group = root", K_STR, OFF(control_group), 0, "root" },
	{ "control_group =", K_STR, OFF(control_group), 0, "" },
	{ "metrics_listen = 127.0.0.1:9425", K_STR, OFF(metrics_listen), 0, "127.0.0.1:9425" },
	{ "metrics_listen = [::1]:9425", K_STR, OFF(metrics_listen), 0, "[::1]:9425" },
	{ "metrics_listen = localhost:1", K_STR, OFF(metrics_listen), 0, "localhost:1" },
	{ "metrics_listen =", K_STR, OFF(metrics_listen), 0, "" },
	{ "manual_verdicts = /var/lib/x/manual", K_STR, OFF(manual_verdicts), 0, "/var/lib/x/manual" },
	{ "manual_verdicts =", K_STR, OFF(manual_verdicts), 0, "" },
	/* enforcement */
	{ "bpf = yes", K_INT, OFF(bpf), 1, NULL },
	{ "bpf = no", K_INT, OFF(bpf), 0, NULL },
	{ "bpf = True", K_INT, OFF(bpf), 1, NULL },
	{ "xdp_mode = native", K_INT, OFF(xdp_mode), CTL_XDP_NATIVE, NULL },
	{ "xdp_mode = generic", K_INT, OFF(xdp_mode), CTL_XDP_GENERIC, NULL },
	{ "xdp_mode = auto", K_INT, OFF(xdp_mode), CTL_XDP_AUTO, NULL },
	{ "tag_dscp = 0", K_INT, OFF(tag_dscp), 0, NULL },
	{ "tag_dscp = 63", K_INT, OFF(tag_dscp), 63, NULL },
	{ "tag_dscp = 46", K_INT, OFF(tag_dscp), 46, NULL },
	{ "tag_mark = 0", K_U32, OFF(tag_mark), 0, NULL },
	{ "tag_mark = 42", K_U32, OFF(tag_mark), 42, NULL },
	{ "tag_mark = 0x10", K_U32, OFF(tag_mark), 16, NULL },
	{ "tag_mark = 0XaBcD", K_U32, OFF(tag_mark), 0xabcd, NULL },
	{ "tag_mark = 0xffffffff", K_U32, OFF(tag_mark), 0xffffffffL, NULL },
	{ "tag_mark = 4294967295", K_U32, OFF(tag_mark), 4294967295L, NULL },
	{ "tag_mark = 0x00000001", K_U32, OFF(tag_mark), 1, NULL },
	{ "tag_mark = 010", K_U32, OFF(tag_mark), 10, NULL }, /* decimal, not octal */
	{ "throttle_rate = 1", K_U32, OFF(throttle_rate), 1, NULL },
	{ "throttle_rate = 1000000", K_U32, OFF(throttle_rate), 1000000, NULL },
	{ "throttle_burst = 1", K_U32, OFF(throttle_burst), 1, NULL },
	{ "throttle_burst = 50", K_U32, OFF(throttle_burst), 50, NULL },
	/* Line syntax. */
	{ "shadow = yes   \t", K_INT, OFF(shadow), 1, NULL },
	{ "shadow\t=\tyes", K_INT, OFF(shadow), 1, NULL },
	{ "shadow\n  =\n  yes", K_INT, OFF(shadow), 1, NULL },
	{ "\n\n   \n# comment\n  # indented comment\nshadow = yes\n\n", K_INT, OFF(shadow), 1, NULL },
	{ "shadow = yes\r\nipv6_prefix = 128\r\n", K_INT, OFF(ipv6_prefix), 128, NULL },
	{ "shadow = yes\r\nipv6_prefix = 128", K_INT, OFF(shadow), 1, NULL },
	{ "verdict_log = /a\n  b\n\tc", K_STR, OFF(verdict_log), 0, "/a b c" },
	{ "verdict_log = /a\n# between\n  b\n\n  c", K_STR, OFF(verdict_log), 0, "/a b c" },
	{ "verdict_log = /a   \r\n   b\r\n", K_STR, OFF(verdict_log), 0, "/a b" },
	{ "verdict_log =\n  /a", K_STR, OFF(verdict_log), 0, "/a" },
};

static void test_valid(void)
{
	for (size_t i = 0; i < sizeof(valid) / sizeof(valid[0]); i++) {
		struct ctl_conf *c = NULL;
		char err[1024];

		check_case = valid[i].text;
		CHECK_EQ_INT(load(valid[i].text, &c, err, sizeof(err)), 0);
		CHECK_EQ_STR(err, "");
		if (!c)
			continue;
		switch (valid[i].kind) {
		case K_INT:
			CHECK_EQ_INT(*(int *)((char *)c + valid[i].off), valid[i].want);
			break;
		case K_U32:
			CHECK_EQ_INT(*(uint32_t *)((char *)c + valid[i].off), valid[i].want);
			break;
		case K_STR:
			CHECK_EQ_STR((char *)c + valid[i].off, valid[i].want_s);
			break;
		}
		ctl_conf_free(c);
	}
}

/* '@' in an expected error stands for the config file's path. */
static const struct {
	const char *text;
	const char *err;
} invalid[] = {
	/* Line syntax. */
	{ "dnsbl_site = zen.spamhaus.org", "@:1: unknown key 'dnsbl_site'" },
	{ "# c\n\nShadow = yes", "@:3: unknown key 'Shadow'" },
	{ "shadow = yes\nipv6_prefix = 64\nshadow = no",
	  "@:3: duplicate key 'shadow' (first at @:1)" },
	{ "verdict_log = /a\n  /b\n\nverdict_log =\n  /c",
	  "@:4: duplicate key 'verdict_log' (first at @:1)" },
	{ "shadow yes", "@:1: missing '=' after 'shadow'" },
	{ "shadow", "@:1: missing '=' after 'shadow'" },
	{ "sha dow = yes", "@:1: missing '=' after 'sha'" },
	{ "= yes", "@:1: missing key before '='" },
	{ "  shadow = yes", "@:1: continuation line without a preceding 'key = value' line" },
	{ "# c\n\t# c\n\tshadow = yes",
	  "@:3: continuation line without a preceding 'key = value' line" },
	{ "shadow = yes\r\n\r\nfoo = 1\r\n", "@:3: unknown key 'foo'" },
	{ "shadow = yes\nfoo\0 = 1\n", "@:2: NUL byte in line" },
	/* dnsbl_sites, rhsbl_sites */
	{ "dnsbl_sites = zen.spamhaus.org=127.0.0.[2..",
	  "@:1: dnsbl_sites: bad filter in 'zen.spamhaus.org=127.0.0.[2..'" },
	{ "# c\n\ndnsbl_sites = a.example\n  b.example*x\n",
	  "@:3: dnsbl_sites: bad weight in 'b.example*x'" },
	{ "dnsbl_sites = zen # no trailing comments", "@:1: dnsbl_sites: bad zone name in '#'" },
	{ "rhsbl_sites = x*5000", "@:1: rhsbl_sites: weight out of range in 'x*5000'" },
	{ "rhsbl_sites = ..x", "@:1: rhsbl_sites: bad zone name in '..x'" },
	/* resolvers */
	{ "resolvers = ns1.example.net",
	  "@:1: resolvers: 'ns1.example.net' is not an IP address (host names are not resolved here)" },
	{ "resolvers = 192.0.2.1:0", "@:1: resolvers: bad port in '192.0.2.1:0'" },
	{ "resolvers = 192.0.2.1:65536", "@:1: resolvers: bad port in '192.0.2.1:65536'" },
	{ "resolvers = 192.0.2.1:", "@:1: resolvers: bad port in '192.0.2.1:'" },
	{ "resolvers = 192.0.2.1:53x", "@:1: resolvers: bad port in '192.0.2.1:53x'" },
	{ "resolvers = [::1]:", "@:1: resolvers: bad port in '[::1]:'" },
	{ "resolvers = [::1", "@:1: resolvers: bad address '[::1'" },
	{ "resolvers = [::1]53", "@:1: resolvers: bad address '[::1]53'" },
	{ "resolvers = []:53", "@:1: resolvers: '[]:53' is not an IP address" },
	{ "resolvers = 192.0.2.300",
	  "@:1: resolvers: '192.0.2.300' is not an IP address (host names are not resolved here)" },
	{ "resolvers = :::1:53",
	  "@:1: resolvers: ':::1:53' is not an IP address (host names are not resolved here)" },
	{ "resolvers = 1.1.1.1 2.2.2.2 3.3.3.3 4.4.4.4 5.5.5.5 6.6.6.6 7.7.7.7 8.8.8.8 9.9.9.9",
	  "@:1: resolvers: more than 8 resolvers" },
	{ "resolvers =", "@:1: resolvers: empty list (leave the key out to use /etc/resolv.conf)" },
	{ "resolvers = ,", "@:1: resolvers: empty list (leave the key out to use /etc/resolv.conf)" },
	/* list_resolvers: the resolvers syntax; empty is the default */
	{ "list_resolvers = rbl.example.net",
	  "@:1: list_resolvers: 'rbl.example.net' is not an IP address (host names are not resolved here)" },
	{ "list_resolvers = 192.0.2.1:0", "@:1: list_resolvers: bad port in '192.0.2.1:0'" },
	{ "list_resolvers = [::1]:99999", "@:1: list_resolvers: bad port in '[::1]:99999'" },
	{ "list_resolvers = [::1", "@:1: list_resolvers: bad address '[::1'" },
	{ "list_resolvers = 1.1.1.1 2.2.2.2 3.3.3.3 4.4.4.4 5.5.5.5 6.6.6.6 7.7.7.7 8.8.8.8 9.9.9.9",
	  "@:1: list_resolvers: more than 8 resolvers" },
	{ "list_resolvers = 127.0.0.1\nlist_resolvers = 127.0.0.2",
	  "@:2: duplicate key 'list_resolvers' (first at @:1)" },
	/* control_group, metrics_listen */
	{ "control_group = no-such-group-here", "@:1: control_group: no such group 'no-such-group-here'" },
	{ "metrics_listen = 9425", "@:1: metrics_listen: '9425' is not ADDR:PORT" },
	{ "metrics_listen = :9425", "@:1: metrics_listen: ':9425' is not ADDR:PORT" },
	{ "metrics_listen = 127.0.0.1:0", "@:1: metrics_listen: '127.0.0.1:0': bad port (1..65535)" },
	{ "metrics_listen = 127.0.0.1:", "@:1: metrics_listen: '127.0.0.1:': bad port (1..65535)" },
	{ "metrics_listen = 127.0.0.1:http", "@:1: metrics_listen: '127.0.0.1:http': bad port (1..65535)" },
	{ "metrics_listen = ::1:9425",
	  "@:1: metrics_listen: '::1:9425': an IPv6 address goes in brackets, [::1]:9425" },
	{ "metrics_listen = [::1:9425",
	  "@:1: metrics_listen: '[::1:9425': an IPv6 address goes in brackets, [::1]:9425" },
	/* local_zones */
	{ "local_zones = bl.example:ip4set", "@:1: local_zones: expected zone:type:path, got 'bl.example:ip4set'" },
	{ "local_zones = bl.example", "@:1: local_zones: expected zone:type:path, got 'bl.example'" },
	{ "local_zones = bl.example:ip4set:", "@:1: local_zones: expected zone:type:path, got 'bl.example:ip4set:'" },
	{ "local_zones = bl..example:ip4set:x", "@:1: local_zones: bad zone name in 'bl..example:ip4set:x'" },
	{ "local_zones = :ip4set:x", "@:1: local_zones: bad zone name in ':ip4set:x'" },
	{ "local_zones = bl=x:ip4set:x", "@:1: local_zones: bad zone name in 'bl=x:ip4set:x'" },
	{ "local_zones = bl.example:cdb:x",
	  "@:1: local_zones: unknown zone type 'cdb' in 'bl.example:cdb:x' (ip4set, ip6trie, ip6tset or dnset)" },
	{ "local_zones = bl.example:IP4SET:x",
	  "@:1: local_zones: unknown zone type 'IP4SET' in 'bl.example:IP4SET:x' (ip4set, ip6trie, ip6tset or dnset)" },
	{ "local_zones = a.example:ip4set:x, A.Example.:dnset:y",
	  "@:1: local_zones: zone 'a.example' listed twice" },
	/* integers */
	{ "fcrdns_weight = abc", "@:1: fcrdns_weight: bad integer 'abc'" },
	{ "fcrdns_weight = 1 2", "@:1: fcrdns_weight: bad integer '1 2'" },
	{ "fcrdns_weight = 0x10", "@:1: fcrdns_weight: bad integer '0x10'" },
	{ "fcrdns_weight = 1001", "@:1: fcrdns_weight: '1001' out of range (-1000..1000)" },
	{ "fcrdns_weight = 99999999999999999999999",
	  "@:1: fcrdns_weight: '99999999999999999999999' out of range (-1000..1000)" },
	{ "no_ptr_weight =", "@:1: no_ptr_weight: bad integer ''" },
	{ "no_ptr_weight = -1001", "@:1: no_ptr_weight: '-1001' out of range (-1000..1000)" },
	{ "rule_weight_percent = -1", "@:1: rule_weight_percent: '-1' out of range (0..1000)" },
	{ "rule_weight_percent = 1001", "@:1: rule_weight_percent: '1001' out of range (0..1000)" },
	{ "rule_weight_percent = 10%", "@:1: rule_weight_percent: bad integer '10%'" },
	/* anomaly_weights */
	{ "anomaly_weights = pregreet", "@:1: anomaly_weights: expected name:weight, got 'pregreet'" },
	{ "anomaly_weights = pregreet:2 foo:1", "@:1: anomaly_weights: unknown anomaly 'foo'" },
	{ "anomaly_weights = :1", "@:1: anomaly_weights: unknown anomaly ''" },
	{ "anomaly_weights = pregreet:x", "@:1: anomaly_weights: bad weight in 'pregreet:x'" },
	{ "anomaly_weights = pregreet:", "@:1: anomaly_weights: bad weight in 'pregreet:'" },
	{ "anomaly_weights = pregreet:1001",
	  "@:1: anomaly_weights: weight out of range in 'pregreet:1001' (-1000..1000)" },
	{ "anomaly_weights = pregreet:1, bare_lf:1 pregreet:2",
	  "@:1: anomaly_weights: 'pregreet' listed twice" },
	{ "anomaly_weights = reasm_gap:1",
	  "@:1: anomaly_weights: reasm_gap must weigh 0 (a capture artifact, never the client's fault)" },
	{ "anomaly_weights = reasm_overlap_conflict:-1",
	  "@:1: anomaly_weights: reasm_overlap_conflict must weigh 0 (a capture artifact, never the client's fault)" },
	/* score thresholds */
	{ "score_tag = 0", "@:1: score_tag: '0' out of range (1..1000000)" },
	{ "score_drop = 1000001", "@:1: score_drop: '1000001' out of range (1..1000000)" },
	{ "score_tag = 5",
	  "@:1: score thresholds out of order: need score_tag (5) <= score_throttle (4) <= score_drop (8)" },
	{ "score_drop = 3\nshadow = no\nscore_tag = 1",
	  "@:3: score thresholds out of order: need score_tag (1) <= score_throttle (4) <= score_drop (3)" },
	{ "score_throttle = 9\n# c\nshadow = no",
	  "@:1: score thresholds out of order: need score_tag (1) <= score_throttle (9) <= score_drop (8)" },
	/* allow_cidrs, deny_cidrs */
	{ "allow_cidrs = 192.0.2.1/24", "@:1: allow_cidrs: 192.0.2.1/24 has host bits set" },
	{ "deny_cidrs = 10.0.0.0/8 2001:db8::1/64", "@:1: deny_cidrs: 2001:db8::1/64 has host bits set" },
	{ "deny_cidrs = 0.0.0.1/0", "@:1: deny_cidrs: 0.0.0.1/0 has host bits set" },
	{ "allow_cidrs = 192.0.2.0/33", "@:1: allow_cidrs: bad prefix length in '192.0.2.0/33'" },
	{ "allow_cidrs = 2001:db8::/129", "@:1: allow_cidrs: bad prefix length in '2001:db8::/129'" },
	{ "allow_cidrs = 192.0.2.0/", "@:1: allow_cidrs: bad prefix length in '192.0.2.0/'" },
	{ "allow_cidrs = 192.0.2.0/2x", "@:1: allow_cidrs: bad prefix length in '192.0.2.0/2x'" },
	{ "allow_cidrs = 192.0.2.0/-1", "@:1: allow_cidrs: bad prefix length in '192.0.2.0/-1'" },
	{ "allow_cidrs = 192.0.2.0/0024", "@:1: allow_cidrs: bad prefix length in '192.0.2.0/0024'" },
	{ "allow_cidrs = 192.0.2/24", "@:1: allow_cidrs: bad address or CIDR '192.0.2/24'" },
	{ "allow_cidrs = mail.example.com", "@:1: allow_cidrs: bad address or CIDR 'mail.example.com'" },
	{ "allow_cidrs = /24", "@:1: allow_cidrs: bad address or CIDR '/24'" },
	/* verdict_ttl */
	{ "verdict_ttl = pass", "@:1: verdict_ttl: expected action:duration, got 'pass'" },
	{ "verdict_ttl = none:1h",
	  "@:1: verdict_ttl: unknown action 'none' (pass, tag, throttle or drop)" },
	{ "verdict_ttl = block:1h",
	  "@:1: verdict_ttl: unknown action 'block' (pass, tag, throttle or drop)" },
	{ "verdict_ttl = pass:0", "@:1: verdict_ttl: '0' out of range (1s..365d)" },
	{ "verdict_ttl = drop:366d", "@:1: verdict_ttl: '366d' out of range (1s..365d)" },
	{ "verdict_ttl = tag:1x",
	  "@:1: verdict_ttl: bad duration '1x' (seconds, or a number with unit s, m, h or d)" },
	{ "verdict_ttl = tag:",
	  "@:1: verdict_ttl: bad duration '' (seconds, or a number with unit s, m, h or d)" },
	{ "verdict_ttl = drop:1h drop:2h", "@:1: verdict_ttl: 'drop' listed twice" },
	/* durations */
	{ "cache_ttl_min = 1w",
	  "@:1: cache_ttl_min: bad duration '1w' (seconds, or a number with unit s, m, h or d)" },
	{ "cache_ttl_min = 1.5h",
	  "@:1: cache_ttl_min: bad duration '1.5h' (seconds, or a number with unit s, m, h or d)" },
	{ "error_ttl = -1",
	  "@:1: error_ttl: bad duration '-1' (seconds, or a number with unit s, m, h or d)" },
	{ "error_ttl = 1 h",
	  "@:1: error_ttl: bad duration '1 h' (seconds, or a number with unit s, m, h or d)" },
	{ "error_ttl = H",
	  "@:1: error_ttl: bad duration 'H' (seconds, or a number with unit s, m, h or d)" },
	{ "health_interval = 500ms",
	  "@:1: health_interval: bad duration '500ms' (seconds, or a number with unit s, m, h or d)" },
	{ "health_interval = 0", "@:1: health_interval: '0' out of range (1s..365d)" },
	{ "cache_ttl_max = 0", "@:1: cache_ttl_max: '0' out of range (1s..365d)" },
	{ "cache_ttl_max = 99999999999999999999999d",
	  "@:1: cache_ttl_max: '99999999999999999999999d' out of range (1s..365d)" },
	{ "cache_ttl_min = 2d", "@:1: cache_ttl_min (2d) exceeds cache_ttl_max (1d)" },
	{ "cache_ttl_min = 10m\ncache_ttl_max = 5m",
	  "@:2: cache_ttl_min (10m) exceeds cache_ttl_max (5m)" },
	/* dns_timeout, dns_max_inflight */
	{ "dns_timeout = 0ms", "@:1: dns_timeout: '0ms' out of range (1ms..60s)" },
	{ "dns_timeout = 61s", "@:1: dns_timeout: '61s' out of range (1ms..60s)" },
	{ "dns_timeout = fast",
	  "@:1: dns_timeout: bad duration 'fast' (seconds, or a number with unit ms, s, m, h or d)" },
	{ "dns_timeout = 2 s",
	  "@:1: dns_timeout: bad duration '2 s' (seconds, or a number with unit ms, s, m, h or d)" },
	{ "dns_max_inflight = 0", "@:1: dns_max_inflight: '0' out of range (1..100000)" },
	{ "dns_max_inflight = 100001", "@:1: dns_max_inflight: '100001' out of range (1..100000)" },
	{ "dns_max_inflight = -5", "@:1: dns_max_inflight: '-5' out of range (1..100000)" },
	/* booleans, ipv6_prefix */
	{ "shadow = maybe", "@:1: shadow: bad value 'maybe' (yes or no)" },
	{ "shadow =", "@:1: shadow: bad value '' (yes or no)" },
	{ "shadow = 2", "@:1: shadow: bad value '2' (yes or no)" },
	{ "ipv6_prefix = 48", "@:1: ipv6_prefix: bad value '48' (64 or 128)" },
	{ "ipv6_prefix = 064", "@:1: ipv6_prefix: bad value '064' (64 or 128)" },
	/* paths */
	{ "dataplane_socket =", "@:1: dataplane_socket: empty path" },
	{ "control_socket = /aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	  "@:1: control_socket: '/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa' is longer than 107 bytes" },
	{ "bpf_pin_dir =", "@:1: bpf_pin_dir: empty path" },
	/* enforcement */
	{ "bpf = maybe", "@:1: bpf: bad value 'maybe' (yes or no)" },
	{ "bpf =", "@:1: bpf: bad value '' (yes or no)" },
	{ "xdp_mode = offload", "@:1: xdp_mode: bad value 'offload' (native, generic or auto)" },
	{ "xdp_mode = Native", "@:1: xdp_mode: bad value 'Native' (native, generic or auto)" },
	{ "xdp_mode =", "@:1: xdp_mode: bad value '' (native, generic or auto)" },
	{ "xdp_interfaces = eth0 0123456789abcdef",
	  "@:1: xdp_interfaces: bad interface name '0123456789abcdef' (1 to 15 bytes, no '/' or ':')" },
	{ "xdp_interfaces = eth0/1",
	  "@:1: xdp_interfaces: bad interface name 'eth0/1' (1 to 15 bytes, no '/' or ':')" },
	{ "tc_interfaces = eth0:1",
	  "@:1: tc_interfaces: bad interface name 'eth0:1' (1 to 15 bytes, no '/' or ':')" },
	{ "tc_interfaces = ..",
	  "@:1: tc_interfaces: bad interface name '..' (1 to 15 bytes, no '/' or ':')" },
	{ "xdp_interfaces = eth0, eth1 eth0", "@:1: xdp_interfaces: 'eth0' listed twice" },
	{ "tc_interfaces = i0 i1 i2 i3 i4 i5 i6 i7 i8 i9 i10 i11 i12 i13 i14 i15 i16 i17 i18 "
	  "i19 i20 i21 i22 i23 i24 i25 i26 i27 i28 i29 i30 i31 i32",
	  "@:1: tc_interfaces: more than 32 interfaces" },
	{ "smtp_ports =", "@:1: smtp_ports: empty list (leave the key out for the default)" },
	{ "smtp_ports = ,", "@:1: smtp_ports: empty list (leave the key out for the default)" },
	{ "smtp_ports = 25 0", "@:1: smtp_ports: bad port '0' (1..65535)" },
	{ "smtp_ports = 65536", "@:1: smtp_ports: bad port '65536' (1..65535)" },
	{ "smtp_ports = smtp", "@:1: smtp_ports: bad port 'smtp' (1..65535)" },
	{ "smtp_ports = +25", "@:1: smtp_ports: bad port '+25' (1..65535)" },
	{ "smtp_ports = 025", "@:1: smtp_ports: bad port '025' (1..65535)" },
	{ "smtp_ports = -25", "@:1: smtp_ports: bad port '-25' (1..65535)" },
	{ "smtp_ports = 25 587 25", "@:1: smtp_ports: port 25 listed twice" },
	{ "smtp_ports = 1 2 3 4 5 6 7 8 9", "@:1: smtp_ports: more than 8 ports" },
	{ "smtp_ports = 123456789012345678901234567890",
	  "@:1: smtp_ports: bad port '123456789012345678901234567890' (1..65535)" },
	{ "tag_dscp = 64", "@:1: tag_dscp: '64' out of range (0..63)" },
	{ "tag_dscp = -1", "@:1: tag_dscp: '-1' out of range (0..63)" },
	{ "tag_dscp = 0x08", "@:1: tag_dscp: bad integer '0x08'" },
	{ "tag_mark =", "@:1: tag_mark: bad value '' (a number, decimal or 0x hex)" },
	{ "tag_mark = 0x", "@:1: tag_mark: bad value '0x' (a number, decimal or 0x hex)" },
	{ "tag_mark = 0x1g", "@:1: tag_mark: bad value '0x1g' (a number, decimal or 0x hex)" },
	{ "tag_mark = ff", "@:1: tag_mark: bad value 'ff' (a number, decimal or 0x hex)" },
	{ "tag_mark = -1", "@:1: tag_mark: bad value '-1' (a number, decimal or 0x hex)" },
	{ "tag_mark = 0x100000000", "@:1: tag_mark: '0x100000000' out of range (0..0xffffffff)" },
	{ "tag_mark = 4294967296", "@:1: tag_mark: '4294967296' out of range (0..0xffffffff)" },
	{ "tag_mark = 99999999999999999999999999",
	  "@:1: tag_mark: '99999999999999999999999999' out of range (0..0xffffffff)" },
	{ "throttle_rate = 0", "@:1: throttle_rate: '0' out of range (1..1000000)" },
	{ "throttle_rate = 1000001", "@:1: throttle_rate: '1000001' out of range (1..1000000)" },
	{ "throttle_rate = 1/s", "@:1: throttle_rate: bad integer '1/s'" },
	{ "throttle_burst = 0", "@:1: throttle_burst: '0' out of range (1..1000000)" },
	{ "throttle_burst = many", "@:1: throttle_burst: bad integer 'many'" },
};

static void test_invalid(void)
{
	for (size_t i = 0; i < sizeof(invalid) / sizeof(invalid[0]); i++) {
		struct ctl_conf *c = (void *)1;
		char err[1024];
		const char *text = invalid[i].text;
		size_t len = strlen(text);

		/* The NUL-byte case has one inside its text. */
		if (strstr(invalid[i].err, "NUL byte"))
			len += 1 + strlen(text + len + 1);
		check_case = text;
		write_file(conf_path, text, len);
		err[0] = '\0';
		CHECK_EQ_INT(ctl_conf_load(conf_path, &c, err, sizeof(err)), -EINVAL);
		CHECK_EQ_STR(err, expand(invalid[i].err));
		CHECK(c == NULL);
	}
}

static void test_missing_file(void)
{
	struct ctl_conf *c = (void *)1;
	char err[256], path[PATH_MAX + 32];

	check_case = "missing file";
	snprintf(path, sizeof(path), "%s/nonexistent.conf", tmpdir);
	CHECK_EQ_INT(ctl_conf_load(path, &c, err, sizeof(err)), -ENOENT);
	CHECK(c == NULL);
	snprintf(path + strlen(path), sizeof(path) - strlen(path), ": No such file or directory");
	CHECK_EQ_STR(err, path);
	/* Errors never overrun a short buffer, and a NULL one is fine. */
	CHECK_EQ_INT(ctl_conf_load("/nonexistent/x.conf", &c, NULL, 0), -ENOENT);
	CHECK_EQ_INT(ctl_conf_load("/nonexistent/x.conf", &c, err, 5), -ENOENT);
	CHECK_EQ_STR(err, "/non");
	/* A directory is not a config file. */
	check_case = "directory";
	CHECK_EQ_INT(ctl_conf_load(tmpdir, &c, err, sizeof(err)), -EISDIR);
	snprintf(path, sizeof(path), "%s: Is a directory", tmpdir);
	CHECK_EQ_STR(err, path);
	CHECK(c == NULL);
}

static void test_sites(void)
{
	struct ctl_conf *c = NULL;
	char err[1024];

	/* A real-world postscreen_dnsbl_sites value, pasted over several
	 * lines with comments between. */
	check_case = "sites";
	CHECK_EQ_INT(load("# the postscreen setting\n"
			  "dnsbl_sites = zen.spamhaus.org=127.0.0.[2..11]*3\n"
			  "    bl.mailspike.net=127.0.0.[2;10..12]*2\n"
			  "# allowlists\n"
			  "    list.dnswl.org=127.0.[0..255].[1..3]*-2, swl.spamhaus.org*-4\n"
			  "rhsbl_sites = dbl.spamhaus.org=127.0.1.[2..99]*3,\n"
			  "\tmulti.surbl.org.\n",
			  &c, err, sizeof(err)), 0);
	CHECK_EQ_STR(err, "");
	if (!c)
		return;
	CHECK_EQ_INT(c->n_dnsbl, 4);
	if (c->n_dnsbl == 4) {
		uint8_t a11[4] = { 127, 0, 0, 11 }, a12[4] = { 127, 0, 0, 12 };

		CHECK_EQ_STR(c->dnsbl[0].zone, "zen.spamhaus.org");
		CHECK_EQ_INT(c->dnsbl[0].weight, 3);
		CHECK(ctl_filter_match(&c->dnsbl[0].filter, a11));
		CHECK(!ctl_filter_match(&c->dnsbl[0].filter, a12));
		CHECK_EQ_STR(c->dnsbl[1].zone, "bl.mailspike.net");
		CHECK_EQ_STR(c->dnsbl[2].zone, "list.dnswl.org");
		CHECK_EQ_INT(c->dnsbl[2].weight, -2);
		CHECK_EQ_STR(c->dnsbl[3].zone, "swl.spamhaus.org");
		CHECK_EQ_INT(c->dnsbl[3].weight, -4);
		CHECK_EQ_INT(c->dnsbl[3].has_filter, 0);
	}
	CHECK_EQ_INT(c->n_rhsbl, 2);
	if (c->n_rhsbl == 2) {
		CHECK_EQ_STR(c->rhsbl[0].zone, "dbl.spamhaus.org");
		CHECK_EQ_INT(c->rhsbl[0].has_filter, 1);
		CHECK_EQ_STR(c->rhsbl[1].zone, "multi.surbl.org");
		CHECK_EQ_INT(c->rhsbl[1].weight, 1);
	}
	ctl_conf_free(c);
}

/* CRLF, LF and a mix of both read the same. */
static void test_crlf(void)
{
	const char *lf = "# c\ndnsbl_sites = a.example*2\n  b.example\nshadow = yes\n"
			 "verdict_ttl = drop:2d\n";
	const char *crlf = "# c\r\ndnsbl_sites = a.example*2\r\n  b.example\r\nshadow = yes\r\n"
			   "verdict_ttl = drop:2d\r\n";
	const char *mixed = "# c\r\ndnsbl_sites = a.example*2\n  b.example\r\nshadow = yes\n"
			    "verdict_ttl = drop:2d";
	struct ctl_conf *a = NULL, *b = NULL, *m = NULL;
	char err[1024];

	check_case = "crlf";
	CHECK_EQ_INT(load(lf, &a, err, sizeof(err)), 0);
	CHECK_EQ_INT(load(crlf, &b, err, sizeof(err)), 0);
	CHECK_EQ_INT(load(mixed, &m, err, sizeof(err)), 0);
	if (a && b && m) {
		CHECK_EQ_INT(a->n_dnsbl, 2);
		CHECK_EQ_INT(a->shadow, 1);
		CHECK_EQ_INT(a->verdict_ttl[MXS_ACTION_DROP], 2 * 86400);
		check_same(a, b);
		check_same(a, m);
	}
	ctl_conf_free(a);
	ctl_conf_free(b);
	ctl_conf_free(m);
}

static void test_lists(void)
{
	struct ctl_conf *c = NULL;
	char err[1024];

	check_case = "resolvers";
	CHECK_EQ_INT(load("resolvers = 192.0.2.53, 192.0.2.54:5353 [2001:db8::53]:54\n"
			  "  2001:DB8::0053 [::1] 127.0.0.1:53,,\n", &c, err, sizeof(err)), 0);
	CHECK_EQ_STR(err, "");
	if (c) {
		static const struct {
			const char *host;
			int port;
		} want[] = { { "192.0.2.53", 53 }, { "192.0.2.54", 5353 },
			     { "2001:db8::53", 54 }, { "2001:db8::53", 53 },
			     { "::1", 53 }, { "127.0.0.1", 53 } };

		CHECK_EQ_INT(c->n_resolvers, 6);
		for (size_t i = 0; i < 6 && i < c->n_resolvers; i++) {
			CHECK_EQ_STR(c->resolvers[i].host, want[i].host);
			CHECK_EQ_INT(c->resolvers[i].port, want[i].port);
		}
		ctl_conf_free(c);
	}
	check_case = "resolvers 8";
	CHECK_EQ_INT(load("resolvers = 1.1.1.1 2.2.2.2 3.3.3.3 4.4.4.4 5.5.5.5 6.6.6.6 "
			  "7.7.7.7 [::8]:8", &c, err, sizeof(err)), 0);
	if (c) {
		CHECK_EQ_INT(c->n_resolvers, 8);
		CHECK_EQ_STR(c->resolvers[7].host, "::8");
		CHECK_EQ_INT(c->resolvers[7].port, 8);
		ctl_conf_free(c);
	}

	check_case = "list_resolvers";
	CHECK_EQ_INT(load("resolvers = 192.0.2.53\n"
			  "list_resolvers = 127.0.0.1:5353, [2001:DB8::0053]:54\n  192.0.2.7\n",
			  &c, err, sizeof(err)), 0);
	CHECK_EQ_STR(err, "");
	if (c) {
		CHECK_EQ_INT(c->n_resolvers, 1);
		CHECK_EQ_STR(c->resolvers[0].host, "192.0.2.53");
		CHECK_EQ_INT(c->n_list_resolvers, 3);
		if (c->n_list_resolvers == 3) {
			CHECK_EQ_STR(c->list_resolvers[0].host, "127.0.0.1");
			CHECK_EQ_INT(c->list_resolvers[0].port, 5353);
			CHECK_EQ_STR(c->list_resolvers[1].host, "2001:db8::53");
			CHECK_EQ_INT(c->list_resolvers[1].port, 54);
			CHECK_EQ_STR(c->list_resolvers[2].host, "192.0.2.7");
			CHECK_EQ_INT(c->list_resolvers[2].port, 53);
		}
		ctl_conf_free(c);
	}
	check_case = "list_resolvers 8";
	CHECK_EQ_INT(load("list_resolvers = 1.1.1.1 2.2.2.2 3.3.3.3 4.4.4.4 5.5.5.5 6.6.6.6 "
			  "7.7.7.7 [::8]:8", &c, err, sizeof(err)), 0);
	if (c) {
		CHECK_EQ_INT(c->n_list_resolvers, 8);
		CHECK_EQ_STR(c->list_resolvers[7].host, "::8");
		CHECK_EQ_INT(c->list_resolvers[7].port, 8);
		ctl_conf_free(c);
	}
	/* empty, or left out: none, the lists use resolvers */
	check_case = "list_resolvers empty";
	CHECK_EQ_INT(load("list_resolvers =\n", &c, err, sizeof(err)), 0);
	if (c) {
		CHECK_EQ_INT(c->n_list_resolvers, 0);
		ctl_conf_free(c);
	}
	check_case = "list_resolvers default";
	CHECK_EQ_INT(load("shadow = no\n", &c, err, sizeof(err)), 0);
	if (c) {
		CHECK_EQ_INT(c->n_list_resolvers, 0);
		ctl_conf_free(c);
	}

	check_case = "anomaly_weights";
	CHECK_EQ_INT(load("anomaly_weights = pregreet:5, bare_lf:-1\n  reasm_gap:0 long_line:+3",
			  &c, err, sizeof(err)), 0);
	if (c) {
		for (unsigned a = 0; a < MXS_ANOMALY_COUNT; a++) {
			int want = a == MXS_ANOMALY_PREGREET ? 5 : a == MXS_ANOMALY_BARE_LF ? -1
				 : a == MXS_ANOMALY_LONG_LINE ? 3 : 0;

			check_case = mxs_anomaly_name(a);
			CHECK_EQ_INT(c->anomaly_weight[a], want);
		}
		ctl_conf_free(c);
	}
	check_case = "anomaly_weights empty";
	CHECK_EQ_INT(load("anomaly_weights =", &c, err, sizeof(err)), 0);
	if (c) {
		for (unsigned a = 0; a < MXS_ANOMALY_COUNT; a++)
			CHECK_EQ_INT(c->anomaly_weight[a], 0);
		ctl_conf_free(c);
	}

	check_case = "verdict_ttl";
	CHECK_EQ_INT(load("verdict_ttl = drop:2d, tag:10m", &c, err, sizeof(err)), 0);
	if (c) {
		CHECK_EQ_INT(c->verdict_ttl[MXS_ACTION_PASS], 3600);
		CHECK_EQ_INT(c->verdict_ttl[MXS_ACTION_TAG], 600);
		CHECK_EQ_INT(c->verdict_ttl[MXS_ACTION_THROTTLE], 3600);
		CHECK_EQ_INT(c->verdict_ttl[MXS_ACTION_DROP], 172800);
		ctl_conf_free(c);
	}
	check_case = "verdict_ttl all";
	CHECK_EQ_INT(load("verdict_ttl = pass:1 tag:2s throttle:3m drop:4h", &c, err, sizeof(err)), 0);
	if (c) {
		CHECK_EQ_INT(c->verdict_ttl[MXS_ACTION_PASS], 1);
		CHECK_EQ_INT(c->verdict_ttl[MXS_ACTION_TAG], 2);
		CHECK_EQ_INT(c->verdict_ttl[MXS_ACTION_THROTTLE], 180);
		CHECK_EQ_INT(c->verdict_ttl[MXS_ACTION_DROP], 14400);
		ctl_conf_free(c);
	}

	check_case = "cidrs";
	CHECK_EQ_INT(load("allow_cidrs = 192.0.2.0/24, 10.0.0.1 2001:db8::/32\n"
			  "  ::1 0.0.0.0/0 ::/0\n"
			  "deny_cidrs = 198.51.100.7/32\n", &c, err, sizeof(err)), 0);
	CHECK_EQ_STR(err, "");
	if (c) {
		static const struct {
			uint8_t family, len;
			uint8_t addr[16];
		} want[] = {
			{ 4, 24, { 192, 0, 2, 0 } },
			{ 4, 32, { 10, 0, 0, 1 } },
			{ 6, 32, { 0x20, 0x01, 0x0d, 0xb8 } },
			{ 6, 128, { [15] = 1 } },
			{ 4, 0, { 0 } },
			{ 6, 0, { 0 } },
		};

		CHECK_EQ_INT(c->n_allow, 6);
		for (size_t i = 0; i < 6 && i < c->n_allow; i++) {
			CHECK_EQ_INT(c->allow[i].family, want[i].family);
			CHECK_EQ_INT(c->allow[i].prefix_len, want[i].len);
			CHECK(memcmp(c->allow[i].addr, want[i].addr, 16) == 0);
		}
		CHECK_EQ_INT(c->n_deny, 1);
		if (c->n_deny == 1)
			CHECK_EQ_INT(c->deny[0].prefix_len, 32);
		ctl_conf_free(c);
	}
	check_case = "cidrs empty";
	CHECK_EQ_INT(load("allow_cidrs =\ndeny_cidrs = ,", &c, err, sizeof(err)), 0);
	if (c) {
		CHECK_EQ_INT(c->n_allow, 0);
		CHECK_EQ_INT(c->n_deny, 0);
		ctl_conf_free(c);
	}
}

static void test_enforcement_lists(void)
{
	struct ctl_conf *c = NULL;
	char err[1024];

	check_case = "interfaces";
	CHECK_EQ_INT(load("bpf = yes\nxdp_interfaces = eth0, ens1f0np0\n  bond0.100\n"
			  "tc_interfaces = eth0 0123456789abcde\nxdp_mode = generic\n"
			  "smtp_ports = 2525, 25\n  65535 1\n", &c, err, sizeof(err)), 0);
	CHECK_EQ_STR(err, "");
	if (c) {
		CHECK_EQ_INT(c->bpf, 1);
		CHECK_EQ_INT(c->n_xdp_ifaces, 3);
		CHECK_EQ_STR(c->xdp_ifaces[0], "eth0");
		CHECK_EQ_STR(c->xdp_ifaces[1], "ens1f0np0");
		CHECK_EQ_STR(c->xdp_ifaces[2], "bond0.100");
		CHECK_EQ_STR(c->xdp_ifaces[3], "");
		CHECK_EQ_INT(c->n_tc_ifaces, 2);
		CHECK_EQ_STR(c->tc_ifaces[0], "eth0");
		CHECK_EQ_STR(c->tc_ifaces[1], "0123456789abcde"); /* 15 bytes: the most */
		CHECK_EQ_INT(c->xdp_mode, CTL_XDP_GENERIC);
		CHECK_EQ_INT(c->n_smtp_ports, 4);
		CHECK_EQ_INT(c->smtp_ports[0], 2525);
		CHECK_EQ_INT(c->smtp_ports[1], 25);
		CHECK_EQ_INT(c->smtp_ports[2], 65535);
		CHECK_EQ_INT(c->smtp_ports[3], 1);
		CHECK_EQ_INT(c->smtp_ports[4], 0);
		ctl_conf_free(c);
	}
	check_case = "interfaces empty";
	CHECK_EQ_INT(load("xdp_interfaces =\ntc_interfaces = ,", &c, err, sizeof(err)), 0);
	if (c) {
		CHECK_EQ_INT(c->n_xdp_ifaces, 0);
		CHECK_EQ_INT(c->n_tc_ifaces, 0);
		ctl_conf_free(c);
	}
	check_case = "interfaces 32, ports 8";
	CHECK_EQ_INT(load("xdp_interfaces = i0 i1 i2 i3 i4 i5 i6 i7 i8 i9 i10 i11 i12 i13 i14 "
			  "i15 i16 i17 i18 i19 i20 i21 i22 i23 i24 i25 i26 i27 i28 i29 i30 i31\n"
			  "smtp_ports = 1 2 3 4 5 6 7 8", &c, err, sizeof(err)), 0);
	if (c) {
		CHECK_EQ_INT(c->n_xdp_ifaces, CTL_MAX_IFACES);
		CHECK_EQ_STR(c->xdp_ifaces[31], "i31");
		CHECK_EQ_INT(c->n_smtp_ports, MXS_BPF_MAX_PORTS);
		CHECK_EQ_INT(c->smtp_ports[7], 8);
		ctl_conf_free(c);
	}
}

static void test_local_zones(void)
{
	struct ctl_conf *c = NULL;
	char err[1024], want[PATH_MAX + 64], cwd[PATH_MAX], old[PATH_MAX];

	check_case = "local_zones";
	CHECK_EQ_INT(load("local_zones = BL.Example.NET.:ip4set:zones/bl.ip4set,\n"
			  "  v6.example:ip6trie:/var/lib/mxscreen/v6\n"
			  "  t.example:ip6tset:./t dbl.example:dnset:../d:x\n", &c, err, sizeof(err)), 0);
	CHECK_EQ_STR(err, "");
	if (c) {
		CHECK_EQ_INT(c->n_local_zones, 4);
		if (c->n_local_zones == 4) {
			CHECK_EQ_STR(c->local_zones[0].zone, "bl.example.net");
			CHECK_EQ_INT(c->local_zones[0].type, CTL_ZONE_IP4SET);
			snprintf(want, sizeof(want), "%s/zones/bl.ip4set", tmpdir);
			CHECK_EQ_STR(c->local_zones[0].path, want);
			CHECK_EQ_STR(c->local_zones[1].zone, "v6.example");
			CHECK_EQ_INT(c->local_zones[1].type, CTL_ZONE_IP6TRIE);
			CHECK_EQ_STR(c->local_zones[1].path, "/var/lib/mxscreen/v6");
			CHECK_EQ_INT(c->local_zones[2].type, CTL_ZONE_IP6TSET);
			snprintf(want, sizeof(want), "%s/./t", tmpdir);
			CHECK_EQ_STR(c->local_zones[2].path, want);
			CHECK_EQ_INT(c->local_zones[3].type, CTL_ZONE_DNSET);
			/* Only the first two colons separate. */
			snprintf(want, sizeof(want), "%s/../d:x", tmpdir);
			CHECK_EQ_STR(c->local_zones[3].path, want);
		}
		ctl_conf_free(c);
	}
	check_case = "local_zones empty";
	CHECK_EQ_INT(load("local_zones =", &c, err, sizeof(err)), 0);
	if (c) {
		CHECK_EQ_INT(c->n_local_zones, 0);
		ctl_conf_free(c);
	}

	/* A relative config path: zone paths still come out absolute, under
	 * the directory the config file is in. */
	check_case = "local_zones relative config";
	if (!getcwd(old, sizeof(old)) || chdir(tmpdir)) {
		CHECK(!"chdir");
		return;
	}
	CHECK(getcwd(cwd, sizeof(cwd)) != NULL);
	write_str("rel.conf", "local_zones = z.example:dnset:zones/z\n");
	CHECK_EQ_INT(ctl_conf_load("rel.conf", &c, err, sizeof(err)), 0);
	if (c) {
		snprintf(want, sizeof(want), "%s/zones/z", cwd);
		CHECK_EQ_INT(c->n_local_zones, 1);
		if (c->n_local_zones == 1)
			CHECK_EQ_STR(c->local_zones[0].path, want);
		ctl_conf_free(c);
	}
	CHECK(mkdir("sub", 0700) == 0);
	write_str("sub/rel.conf", "local_zones = z.example:dnset:zones/z\n");
	CHECK_EQ_INT(ctl_conf_load("sub/rel.conf", &c, err, sizeof(err)), 0);
	if (c) {
		snprintf(want, sizeof(want), "%s/sub/zones/z", cwd);
		CHECK_EQ_INT(c->n_local_zones, 1);
		if (c->n_local_zones == 1)
			CHECK_EQ_STR(c->local_zones[0].path, want);
		ctl_conf_free(c);
	}
	unlink("sub/rel.conf");
	rmdir("sub");
	unlink("rel.conf");
	CHECK(chdir(old) == 0);
}

/* The default resolvers come from MXS_RESOLV_CONF (main() points it at a
 * file with two good nameserver lines among junk). */
static void test_resolv_conf(void)
{
	struct ctl_conf *c;
	char path[PATH_MAX + 32];

	check_case = "resolv.conf: none";
	write_str(resolv_path, "# nothing here\nsearch example.net\n");
	c = ctl_conf_defaults();
	CHECK(c != NULL);
	if (c) {
		CHECK_EQ_INT(c->n_resolvers, 1);
		CHECK_EQ_STR(c->resolvers[0].host, "127.0.0.1");
		CHECK_EQ_INT(c->resolvers[0].port, 53);
		ctl_conf_free(c);
	}

	check_case = "resolv.conf: missing";
	snprintf(path, sizeof(path), "%s/no-resolv.conf", tmpdir);
	setenv("MXS_RESOLV_CONF", path, 1);
	c = ctl_conf_defaults();
	if (c) {
		CHECK_EQ_INT(c->n_resolvers, 1);
		CHECK_EQ_STR(c->resolvers[0].host, "127.0.0.1");
		ctl_conf_free(c);
	}
	setenv("MXS_RESOLV_CONF", resolv_path, 1);

	check_case = "resolv.conf: many";
	write_str(resolv_path, "nameserver 10.0.0.1\nnameserver 10.0.0.2\nnameserver 10.0.0.3\n"
		  "nameserver 10.0.0.4\nnameserver 10.0.0.5\nnameserver 10.0.0.6\n"
		  "nameserver 10.0.0.7\nnameserver 10.0.0.8\nnameserver 10.0.0.9\n");
	c = ctl_conf_defaults();
	if (c) {
		CHECK_EQ_INT(c->n_resolvers, CTL_MAX_RESOLVERS);
		CHECK_EQ_STR(c->resolvers[7].host, "10.0.0.8");
		ctl_conf_free(c);
	}

	/* A config that sets resolvers does not use resolv.conf's. */
	check_case = "resolvers override";
	{
		char err[256];

		CHECK_EQ_INT(load("resolvers = 192.0.2.1", &c, err, sizeof(err)), 0);
		if (c) {
			CHECK_EQ_INT(c->n_resolvers, 1);
			CHECK_EQ_STR(c->resolvers[0].host, "192.0.2.1");
			ctl_conf_free(c);
		}
	}
}

static const struct {
	const char *cidr;
	const char *addr;
	int want;
} contains[] = {
	{ "192.0.2.0/24", "192.0.2.0", 1 },
	{ "192.0.2.0/24", "192.0.2.255", 1 },
	{ "192.0.2.0/24", "192.0.3.0", 0 },
	{ "192.0.2.0/24", "192.0.1.255", 0 },
	{ "10.0.0.0/8", "10.255.1.1", 1 },
	{ "10.0.0.0/8", "11.0.0.0", 0 },
	{ "172.16.0.0/12", "172.31.255.255", 1 },
	{ "172.16.0.0/12", "172.32.0.0", 0 },
	{ "172.16.0.0/12", "172.15.255.255", 0 },
	{ "192.0.2.128/25", "192.0.2.128", 1 },
	{ "192.0.2.128/25", "192.0.2.255", 1 },
	{ "192.0.2.128/25", "192.0.2.127", 0 },
	{ "192.0.2.1", "192.0.2.1", 1 },
	{ "192.0.2.1", "192.0.2.2", 0 },
	{ "0.0.0.0/0", "203.0.113.9", 1 },
	{ "0.0.0.0/0", "::1", 0 },
	{ "128.0.0.0/1", "127.255.255.255", 0 },
	{ "128.0.0.0/1", "128.0.0.0", 1 },
	{ "2001:db8::/32", "2001:db8:ffff::1", 1 },
	{ "2001:db8::/32", "2001:db9::", 0 },
	{ "2001:db8::/32", "192.0.2.1", 0 },
	{ "2001:db8::/33", "2001:db8:7fff::", 1 },
	{ "2001:db8::/33", "2001:db8:8000::", 0 },
	{ "2001:db8:0:100::/56", "2001:db8:0:1ff::1", 1 },
	{ "2001:db8:0:100::/56", "2001:db8:0:200::", 0 },
	{ "2001:db8:0:100::/56", "2001:db8:0:ff::", 0 },
	{ "::/0", "2001:db8::1", 1 },
	{ "::/0", "0.0.0.0", 0 },
	{ "::1", "::1", 1 },
	{ "::1", "::2", 0 },
	{ "2001:db8::/127", "2001:db8::1", 1 },
	{ "2001:db8::/127", "2001:db8::2", 0 },
};

static void test_contains(void)
{
	for (size_t i = 0; i < sizeof(contains) / sizeof(contains[0]); i++) {
		struct ctl_conf *c = NULL;
		char text[128], err[256];
		uint8_t addr[16] = { 0 };
		int fam = strchr(contains[i].addr, ':') ? 6 : 4;

		check_case = contains[i].cidr;
		snprintf(text, sizeof(text), "allow_cidrs = %s", contains[i].cidr);
		CHECK_EQ_INT(load(text, &c, err, sizeof(err)), 0);
		CHECK(inet_pton(fam == 4 ? AF_INET : AF_INET6, contains[i].addr, addr) == 1);
		if (!c)
			continue;
		CHECK_EQ_INT(c->n_allow, 1);
		if (c->n_allow == 1) {
			CHECK_EQ_INT(ctl_cidr_contains(&c->allow[0], fam, addr), contains[i].want);
			/* AF_INET/AF_INET6 mean the same as 4/6. */
			CHECK_EQ_INT(ctl_cidr_contains(&c->allow[0], fam == 4 ? AF_INET : AF_INET6,
						       addr), contains[i].want);
		}
		ctl_conf_free(c);
	}
}

int main(void)
{
	char sample_resolv[] =
		"# Generated by NetworkManager\n"
		"search example.net\n"
		"nameserver 127.0.0.53\n"
		"options edns0 trust-ad\n"
		"   nameserver   ::1   # trailing words are ignored\n"
		"nameserver fe80::1%eth0\n"
		"nameserver not-an-address\n"
		"nameserver\n"
		"nameservers 192.0.2.9\n"
		";nameserver 192.0.2.10\n"
		"junk line without meaning\n";

	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 2;
	}
	snprintf(conf_path, sizeof(conf_path), "%s/t.conf", tmpdir);
	snprintf(resolv_path, sizeof(resolv_path), "%s/resolv.conf", tmpdir);
	write_str(resolv_path, sample_resolv);
	setenv("MXS_RESOLV_CONF", resolv_path, 1);

	test_defaults();
	test_sample_is_defaults();
	test_valid();
	test_invalid();
	test_missing_file();
	test_sites();
	test_crlf();
	test_lists();
	test_enforcement_lists();
	test_local_zones();
	test_contains();
	test_resolv_conf();

	unlink(conf_path);
	unlink(resolv_path);
	rmdir(tmpdir);
	CHECK_DONE();
}
