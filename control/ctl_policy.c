/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ctl_policy: scoring and actions (see ctl_policy.h).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <mxscreen/anomaly.h>

#include "ctl_policy.h"

int ctl_policy_classify(const uint8_t (*a)[4], size_t n, const char **ret_why)
{
	for (size_t i = 0; i < n; i++) {
		if (a[i][0] != 127) {
			*ret_why = "answer outside 127.0.0.0/8";
			return CTL_LIST_ERROR;
		}
		if (a[i][1] == 255 && a[i][2] == 255) {
			/* Spamhaus & co: refused, public resolver, over quota. */
			*ret_why = "127.255.255.x: query refused by the list";
			return CTL_LIST_ERROR;
		}
		if (a[i][1] == 0 && a[i][2] == 1 && a[i][3] == 255) {
			*ret_why = "127.0.1.255: query refused by the list";
			return CTL_LIST_ERROR;
		}
	}
	return n ? CTL_LIST_LISTED : CTL_LIST_NOT_LISTED;
}

/* Name a reason and what it added to the score (0: a flag). */
__attribute__((format(printf, 4, 5)))
static void reason(struct ctl_decision *d, unsigned bit, int32_t weight, const char *fmt, ...)
{
	va_list ap;

	d->reasons |= 1u << bit;
	if (d->n_reasons == CTL_POLICY_MAX_REASONS) {
		/* no room to name it: keep the weights adding up to the score */
		d->weight[CTL_POLICY_MAX_REASONS - 1] += weight;
		return;
	}
	d->weight[d->n_reasons] = weight;
	va_start(ap, fmt);
	vsnprintf(d->reason[d->n_reasons++], CTL_POLICY_REASON_MAX, fmt, ap);
	va_end(ap);
}

/* Does site @s count for @r? Listed, and the filter (if any) accepts an answer. */
static int site_hits(const struct ctl_site *s, const struct ctl_zone_result *r)
{
	if (r->state != CTL_LIST_LISTED)
		return 0;
	if (!s->has_filter)
		return 1;
	for (size_t i = 0; i < r->n_a; i++)
		if (ctl_filter_match(&s->filter, r->a[i]))
			return 1;
	return 0;
}

static int32_t score_sites(const struct ctl_site *sites, size_t n,
			   const struct ctl_zone_result *res, int rhsbl,
			   const char *what, struct ctl_decision *d)
{
	int32_t sum = 0;

	for (size_t i = 0; res && i < n; i++) {
		if (!site_hits(&sites[i], &res[i]))
			continue;
		sum += sites[i].weight;
		if (rhsbl)
			reason(d, MXS_REASON_RHSBL, sites[i].weight, "rhsbl:%s%s", sites[i].zone, what);
		else if (sites[i].weight < 0)
			reason(d, MXS_REASON_DNSWL, sites[i].weight, "dnswl:%s", sites[i].zone);
		else
			reason(d, MXS_REASON_DNSBL, sites[i].weight, "dnsbl:%s", sites[i].zone);
	}
	return sum;
}

static const struct ctl_cidr *cidr_find(const struct ctl_cidr *c, size_t n, int family,
					const uint8_t addr[16])
{
	for (size_t i = 0; i < n; i++)
		if (ctl_cidr_contains(&c[i], family, addr))
			return &c[i];
	return NULL;
}

/* Sum of every signal's weight, naming each in @d. */
static int32_t score_evidence(const struct ctl_conf *conf, const struct ctl_evidence *e,
			      struct ctl_decision *d)
{
	int32_t s = 0, rules;

	s += score_sites(conf->dnsbl, conf->n_dnsbl, e->dnsbl, 0, "", d);
	s += score_sites(conf->rhsbl, conf->n_rhsbl, e->rhsbl_helo, 1, "(helo)", d);
	s += score_sites(conf->rhsbl, conf->n_rhsbl, e->rhsbl_mail, 1, "(mail_from)", d);
	if (e->fcrdns == CTL_FCRDNS_FAIL && conf->fcrdns_weight) {
		s += conf->fcrdns_weight;
		reason(d, MXS_REASON_FCRDNS_FAIL, conf->fcrdns_weight, "fcrdns_fail");
	} else if (e->fcrdns == CTL_FCRDNS_NONE && conf->no_ptr_weight) {
		s += conf->no_ptr_weight;
		reason(d, MXS_REASON_NO_PTR, conf->no_ptr_weight, "no_ptr");
	}
	for (unsigned a = 0; a < MXS_ANOMALY_COUNT; a++) {
		if (!(e->anomalies & (1u << a)) || !conf->anomaly_weight[a])
			continue;
		s += conf->anomaly_weight[a];
		reason(d, MXS_REASON_ANOMALY, conf->anomaly_weight[a], "%s", mxs_anomaly_name(a));
	}
	if (e->rule_score && conf->rule_weight_percent) {
		/* The observation has one summed rule score, not one per hit:
		 * the first hit carries it all. */
		rules = e->rule_score * conf->rule_weight_percent / 100;
		s += rules;
		for (size_t i = 0; i < e->n_hits; i++)
			reason(d, MXS_REASON_RULE, i ? 0 : rules, "rule:%u", e->hit_ids[i]);
		if (e->n_hits == 0)
			reason(d, MXS_REASON_RULE, rules, "rules");
	}
	return s;
}

void ctl_policy_decide(const struct ctl_conf *conf, const struct ctl_evidence *e,
		       struct ctl_decision *d)
{
	/* Only the header: the reason strings are written as they are added. */
	memset(d, 0, offsetof(struct ctl_decision, reason));
	d->shadow = (uint8_t)!!conf->shadow;
	if (cidr_find(conf->allow, conf->n_allow, e->family, e->addr)) {
		/* A static allow wins over everything, shadow or not. */
		reason(d, MXS_REASON_STATIC_ALLOW, 0, "static_allow");
		d->would_be = MXS_ACTION_PASS;
	} else if (cidr_find(conf->deny, conf->n_deny, e->family, e->addr)) {
		reason(d, MXS_REASON_STATIC_DENY, conf->score_drop, "static_deny");
		d->score = conf->score_drop;
		d->would_be = MXS_ACTION_DROP;
	} else {
		d->score = score_evidence(conf, e, d);
		d->would_be = d->score >= conf->score_drop ? MXS_ACTION_DROP
			    : d->score >= conf->score_throttle ? MXS_ACTION_THROTTLE
			    : d->score >= conf->score_tag ? MXS_ACTION_TAG : MXS_ACTION_PASS;
	}
	d->action = d->shadow ? MXS_ACTION_PASS : d->would_be;
	d->ttl_s = conf->verdict_ttl[d->would_be];
}

void ctl_policy_verdict(const struct ctl_conf *conf, int family, const uint8_t addr[16],
			const struct ctl_decision *d, uint64_t now_ns, struct mxs_verdict *v)
{
	memset(v, 0, sizeof(*v));
	v->family = (uint8_t)family;
	v->prefix_len = family == 4 ? 32 : (uint8_t)conf->ipv6_prefix;
	memcpy(v->addr, addr, family == 4 ? 4 : 16);
	if (family == 6 && v->prefix_len == 64)
		memset(v->addr + 8, 0, 8);
	v->action = d->action;
	v->would_be = d->would_be;
	v->shadow = d->shadow;
	v->score = d->score;
	v->reasons = d->reasons;
	v->ttl_s = d->ttl_s;
	v->expiry_ns = now_ns + (uint64_t)d->ttl_s * 1000000000ull;
}
