/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ctl_policy: answer classification, weights, filters, allowlists,
 * static CIDRs, shadow mode, thresholds, and the wire verdict; every
 * decision's per-reason weights add up to its score (also past
 * CTL_POLICY_MAX_REASONS). Table-driven over a config built from
 * Postfix-syntax site lists.
 */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "ctl_policy.h"

static struct ctl_conf *conf;

static void sites(const char *bl, const char *rh)
{
	char err[256];

	free(conf->dnsbl);
	free(conf->rhsbl);
	CHECK(ctl_sites_parse(bl, &conf->dnsbl, &conf->n_dnsbl, err, sizeof(err)) == 0);
	CHECK(ctl_sites_parse(rh, &conf->rhsbl, &conf->n_rhsbl, err, sizeof(err)) == 0);
}

static struct ctl_zone_result listed(uint8_t d)
{
	struct ctl_zone_result r = { .state = CTL_LIST_LISTED, .n_a = 1 };

	r.a[0][0] = 127;
	r.a[0][3] = d;
	return r;
}

static int has_reason(const struct ctl_decision *d, const char *name)
{
	for (size_t i = 0; i < d->n_reasons; i++)
		if (strcmp(d->reason[i], name) == 0)
			return 1;
	return 0;
}

/* The weight reason @name contributed; INT32_MIN when absent. */
static int32_t weight_of(const struct ctl_decision *d, const char *name)
{
	for (size_t i = 0; i < d->n_reasons; i++)
		if (strcmp(d->reason[i], name) == 0)
			return d->weight[i];
	return INT32_MIN;
}

/* Every weight that applied is reported: they add up to the score. */
static void check_weight_sum(const struct ctl_decision *d)
{
	int64_t sum = 0;

	for (size_t i = 0; i < d->n_reasons; i++)
		sum += d->weight[i];
	CHECK_EQ_INT(sum, d->score);
}

static void t_classify(void)
{
	static const struct { uint8_t a[4]; int want; } c[] = {
		{ { 127, 0, 0, 2 }, CTL_LIST_LISTED },
		{ { 127, 0, 0, 11 }, CTL_LIST_LISTED },
		{ { 127, 255, 255, 254 }, CTL_LIST_ERROR },  /* Spamhaus: public resolver */
		{ { 127, 255, 255, 252 }, CTL_LIST_ERROR },
		{ { 127, 0, 1, 255 }, CTL_LIST_ERROR },
		{ { 10, 0, 0, 1 }, CTL_LIST_ERROR },         /* outside 127/8: wildcard/hijack */
		{ { 192, 0, 2, 1 }, CTL_LIST_ERROR },
	};
	const char *why;

	check_case = "classify";
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		why = NULL;
		CHECK_EQ_INT(ctl_policy_classify(&c[i].a, 1, &why), c[i].want);
		CHECK((why != NULL) == (c[i].want == CTL_LIST_ERROR));
	}
	CHECK_EQ_INT(ctl_policy_classify(NULL, 0, &why), CTL_LIST_NOT_LISTED);
	{
		/* One bad answer among good ones taints the whole set. */
		uint8_t a[2][4] = { { 127, 0, 0, 2 }, { 127, 255, 255, 254 } };

		CHECK_EQ_INT(ctl_policy_classify((const uint8_t (*)[4])a, 2, &why), CTL_LIST_ERROR);
	}
}

struct pcase {
	const char *name;
	const char *dnsbl, *rhsbl;
	struct ctl_zone_result bl[3], rh_helo[2], rh_mail[2];
	int fcrdns;
	uint32_t anomalies;
	int32_t rule_score;
	int shadow;
	const char *addr;
	int want_action, want_would_be;
	int32_t want_score;
	const char *want_reasons[4];
	int check_weights;
	int32_t want_weights[4];          /* of want_reasons, when check_weights */
};

static void t_decide(void)
{
	static const uint32_t hits[] = { 1003, 1100 };
	const struct pcase c[] = {
		{ .name = "nothing known", .dnsbl = "", .rhsbl = "", .addr = "192.0.2.1",
		  .want_action = MXS_ACTION_PASS, .want_would_be = MXS_ACTION_PASS },
		/* The motivating case: a big relay on one list, PTR not
		 * confirming: accept and tag, not reject. */
		{ .name = "one list plus fcrdns fail tags", .dnsbl = "l2.example*2 l3.example*2",
		  .rhsbl = "", .bl = { listed(2), { 0 } }, .fcrdns = CTL_FCRDNS_FAIL,
		  .addr = "61.135.132.132", .want_action = MXS_ACTION_TAG,
		  .want_would_be = MXS_ACTION_TAG, .want_score = 3,
		  .want_reasons = { "dnsbl:l2.example", "fcrdns_fail" },
		  .check_weights = 1, .want_weights = { 2, 1 } },
		{ .name = "dnswl outweighs", .dnsbl = "bl.example*2, wl.example*-5", .rhsbl = "",
		  .bl = { listed(2), listed(3) }, .addr = "192.0.2.2",
		  .want_action = MXS_ACTION_PASS, .want_would_be = MXS_ACTION_PASS, .want_score = -3,
		  .want_reasons = { "dnsbl:bl.example", "dnswl:wl.example" },
		  .check_weights = 1, .want_weights = { 2, -5 } },
		{ .name = "filter excludes the answer", .dnsbl = "zen.example=127.0.0.[10;11]*8",
		  .rhsbl = "", .bl = { listed(2) }, .addr = "192.0.2.3",
		  .want_action = MXS_ACTION_PASS, .want_would_be = MXS_ACTION_PASS },
		{ .name = "same zone, two filters, both match",
		  .dnsbl = "zen.example=127.0.0.[2..3]*3 zen.example=127.0.0.[10;11]*8", .rhsbl = "",
		  .bl = { { .state = CTL_LIST_LISTED, .n_a = 2, .a = { { 127, 0, 0, 2 }, { 127, 0, 0, 11 } } },
			  { .state = CTL_LIST_LISTED, .n_a = 2, .a = { { 127, 0, 0, 2 }, { 127, 0, 0, 11 } } } },
		  .addr = "192.0.2.4", .want_action = MXS_ACTION_DROP, .want_would_be = MXS_ACTION_DROP,
		  .want_score = 11, .want_reasons = { "dnsbl:zen.example" } },
		{ .name = "zero-weight site is named with weight 0", .dnsbl = "z.example*0 a.example*1",
		  .rhsbl = "", .bl = { listed(2), listed(2) }, .addr = "192.0.2.11",
		  .want_action = MXS_ACTION_TAG, .want_would_be = MXS_ACTION_TAG, .want_score = 1,
		  .want_reasons = { "dnsbl:z.example", "dnsbl:a.example" },
		  .check_weights = 1, .want_weights = { 0, 1 } },
		{ .name = "errors never add", .dnsbl = "a.example*5 b.example*5", .rhsbl = "",
		  .bl = { { .state = CTL_LIST_ERROR }, { .state = CTL_LIST_ERROR } },
		  .fcrdns = CTL_FCRDNS_ERROR, .addr = "192.0.2.5",
		  .want_action = MXS_ACTION_PASS, .want_would_be = MXS_ACTION_PASS },
		{ .name = "no ptr", .dnsbl = "", .rhsbl = "", .fcrdns = CTL_FCRDNS_NONE,
		  .addr = "192.0.2.6", .want_action = MXS_ACTION_TAG, .want_would_be = MXS_ACTION_TAG,
		  .want_score = 1, .want_reasons = { "no_ptr" } },
		{ .name = "anomalies and rules", .dnsbl = "", .rhsbl = "",
		  .anomalies = MXS_ANOMALY_BIT(PREGREET) | MXS_ANOMALY_BIT(REASM_GAP), .rule_score = 3,
		  .addr = "192.0.2.7", .want_action = MXS_ACTION_DROP, .want_would_be = MXS_ACTION_DROP,
		  .want_score = 8, .want_reasons = { "pregreet", "rule:1003", "rule:1100" },
		  .check_weights = 1, .want_weights = { 5, 3, 0 } },
		{ .name = "throttle boundary", .dnsbl = "a.example*4", .rhsbl = "", .bl = { listed(2) },
		  .addr = "192.0.2.8", .want_action = MXS_ACTION_THROTTLE,
		  .want_would_be = MXS_ACTION_THROTTLE, .want_score = 4 },
		{ .name = "rhsbl helo and mail", .dnsbl = "", .rhsbl = "dbl.example*2",
		  .rh_helo = { listed(2) }, .rh_mail = { listed(2) }, .addr = "192.0.2.9",
		  .want_action = MXS_ACTION_THROTTLE, .want_would_be = MXS_ACTION_THROTTLE,
		  .want_score = 4, .want_reasons = { "rhsbl:dbl.example(helo)", "rhsbl:dbl.example(mail_from)" },
		  .check_weights = 1, .want_weights = { 2, 2 } },
		{ .name = "shadow enforces pass", .dnsbl = "a.example*9", .rhsbl = "", .bl = { listed(2) },
		  .shadow = 1, .addr = "192.0.2.10", .want_action = MXS_ACTION_PASS,
		  .want_would_be = MXS_ACTION_DROP, .want_score = 9 },
		{ .name = "static allow beats everything", .dnsbl = "a.example*9", .rhsbl = "",
		  .bl = { listed(2) }, .addr = "198.51.100.7", .want_action = MXS_ACTION_PASS,
		  .want_would_be = MXS_ACTION_PASS, .want_reasons = { "static_allow" },
		  .check_weights = 1, .want_weights = { 0 } },
		{ .name = "static deny drops", .dnsbl = "", .rhsbl = "", .addr = "203.0.113.9",
		  .want_action = MXS_ACTION_DROP, .want_would_be = MXS_ACTION_DROP, .want_score = 8,
		  .want_reasons = { "static_deny" },
		  .check_weights = 1, .want_weights = { 8 } },
		{ .name = "IPv6 listed", .dnsbl = "a.example*2", .rhsbl = "", .bl = { listed(2) },
		  .addr = "2001:db8::25", .want_action = MXS_ACTION_TAG, .want_would_be = MXS_ACTION_TAG,
		  .want_score = 2 },
	};

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct ctl_evidence e = { 0 };
		struct ctl_decision d;

		check_case = c[i].name;
		sites(c[i].dnsbl, c[i].rhsbl);
		conf->shadow = c[i].shadow;
		e.family = strchr(c[i].addr, ':') ? 6 : 4;
		inet_pton(e.family == 4 ? AF_INET : AF_INET6, c[i].addr, e.addr);
		e.dnsbl = c[i].bl;
		e.rhsbl_helo = c[i].rh_helo;
		e.rhsbl_mail = c[i].rh_mail;
		e.fcrdns = c[i].fcrdns;
		e.anomalies = c[i].anomalies;
		e.rule_score = c[i].rule_score;
		e.n_hits = c[i].rule_score ? 2 : 0;
		e.hit_ids = hits;
		ctl_policy_decide(conf, &e, &d);
		CHECK_EQ_INT(d.action, c[i].want_action);
		CHECK_EQ_INT(d.would_be, c[i].want_would_be);
		CHECK_EQ_INT(d.score, c[i].want_score);
		CHECK_EQ_INT(d.shadow, c[i].shadow);
		CHECK_EQ_INT(d.ttl_s, conf->verdict_ttl[c[i].want_would_be]);
		check_weight_sum(&d);
		for (size_t k = 0; k < 4 && c[i].want_reasons[k]; k++) {
			if (!has_reason(&d, c[i].want_reasons[k])) {
				check_failures++;
				fprintf(stderr, "[%s] missing reason %s\n", c[i].name, c[i].want_reasons[k]);
			} else if (c[i].check_weights) {
				CHECK_EQ_INT(weight_of(&d, c[i].want_reasons[k]), c[i].want_weights[k]);
			}
		}
		if (c[i].want_would_be == MXS_ACTION_PASS && !c[i].want_reasons[0])
			CHECK_EQ_INT(d.n_reasons, 0);
	}
	conf->shadow = 0;
}

static void t_rule_percent(void)
{
	struct ctl_evidence e = { .family = 4, .rule_score = 3 };
	struct ctl_decision d;

	check_case = "rule_weight_percent";
	sites("", "");
	conf->rule_weight_percent = 50;
	ctl_policy_decide(conf, &e, &d);
	CHECK_EQ_INT(d.score, 1);
	/* no hit ids (never expected, but the score counts): one "rules" reason */
	CHECK_EQ_INT(d.n_reasons, 1);
	CHECK_EQ_INT(weight_of(&d, "rules"), 1);
	check_weight_sum(&d);
	conf->rule_weight_percent = 0;
	ctl_policy_decide(conf, &e, &d);
	CHECK_EQ_INT(d.score, 0);
	CHECK_EQ_INT(d.n_reasons, 0);
	conf->rule_weight_percent = 100;
}

/* More reasons than fit: the last entry carries the rest, the sum holds. */
static void t_many_reasons(void)
{
	char list[4096];
	struct ctl_zone_result bl[40];
	struct ctl_evidence e = { .family = 4, .addr = { 192, 0, 2, 12 } };
	struct ctl_decision d;
	size_t off = 0;

	check_case = "more reasons than fit";
	for (int i = 0; i < 40; i++) {
		off += (size_t)snprintf(list + off, sizeof(list) - off, "z%d.example*%d ", i, i + 1);
		bl[i] = listed(2);
	}
	sites(list, "");
	e.dnsbl = bl;
	e.fcrdns = CTL_FCRDNS_FAIL;
	ctl_policy_decide(conf, &e, &d);
	CHECK_EQ_INT(d.n_reasons, CTL_POLICY_MAX_REASONS);
	CHECK_EQ_INT(d.score, 40 * 41 / 2 + 1);
	CHECK_EQ_INT(d.weight[0], 1);
	check_weight_sum(&d);
	CHECK(d.reasons & MXS_REASON_BIT(FCRDNS_FAIL));
}

static void t_verdict(void)
{
	struct ctl_decision d = { .action = MXS_ACTION_TAG, .would_be = MXS_ACTION_TAG, .score = 3,
				  .reasons = MXS_REASON_BIT(DNSBL), .ttl_s = 3600 };
	struct mxs_verdict v;
	uint8_t a6[16];

	check_case = "wire verdict";
	inet_pton(AF_INET6, "2001:db8:1:2:3:4:5:6", a6);
	conf->ipv6_prefix = 64;
	ctl_policy_verdict(conf, 6, a6, &d, 1000000000ull, &v);
	CHECK_EQ_INT(v.prefix_len, 64);
	CHECK(memcmp(v.addr, a6, 8) == 0);
	CHECK(v.addr[8] == 0 && v.addr[15] == 0);
	CHECK_EQ_INT(v.expiry_ns, 1000000000ull + 3600ull * 1000000000ull);
	CHECK_EQ_INT(v.action, MXS_ACTION_TAG);
	CHECK_EQ_INT(v.reasons, MXS_REASON_BIT(DNSBL));
	conf->ipv6_prefix = 128;
	ctl_policy_verdict(conf, 6, a6, &d, 0, &v);
	CHECK_EQ_INT(v.prefix_len, 128);
	CHECK(memcmp(v.addr, a6, 16) == 0);
	ctl_policy_verdict(conf, 4, a6, &d, 0, &v);
	CHECK_EQ_INT(v.prefix_len, 32);
}

int main(void)
{
	static struct ctl_cidr allow = { .family = 4, .prefix_len = 24, .addr = { 198, 51, 100 } };
	static struct ctl_cidr deny = { .family = 4, .prefix_len = 24, .addr = { 203, 0, 113 } };

	conf = ctl_conf_defaults();
	CHECK(conf != NULL);
	if (!conf)
		CHECK_DONE();
	/* The documented defaults: tag 1, throttle 4, drop 8; pregreet 2. */
	conf->score_tag = 1;
	conf->score_throttle = 4;
	conf->score_drop = 8;
	conf->fcrdns_weight = 1;
	conf->no_ptr_weight = 1;
	conf->rule_weight_percent = 100;
	memset(conf->anomaly_weight, 0, sizeof(conf->anomaly_weight));
	conf->anomaly_weight[MXS_ANOMALY_PREGREET] = 5;
	conf->allow = &allow;
	conf->n_allow = 1;
	conf->deny = &deny;
	conf->n_deny = 1;
	t_classify();
	t_decide();
	t_rule_percent();
	t_many_reasons();
	t_verdict();
	conf->allow = conf->deny = NULL;
	conf->n_allow = conf->n_deny = 0;
	ctl_conf_free(conf);
	CHECK_DONE();
}
