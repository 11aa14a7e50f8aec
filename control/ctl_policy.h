/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ctl_policy: evidence about one client address -> verdict. Pure C, no
 * I/O, no state: any thread.
 *
 * Scoring: every dnsbl_sites entry whose zone listed the address (and
 * whose filter, if any, accepts one of the answers) adds its weight once
 * (negative weights are allowlists: DNSWL); rhsbl_sites likewise for the
 * HELO domain and the MAIL FROM domain; fcrdns_weight when the PTR names do
 * not resolve back to the address, no_ptr_weight when there is no PTR; the
 * configured weight of every anomaly; the rule score scaled by
 * rule_weight_percent. Errors (timeouts, SERVFAIL, refusals, answers
 * outside 127.0.0.0/8, 127.255.255.0/24, 127.0.1.255) never add anything.
 * Actions: allow_cidrs -> pass (wins over everything); deny_cidrs -> drop;
 * else drop >= score_drop, throttle >= score_throttle, tag >= score_tag,
 * otherwise pass. Shadow mode enforces pass and keeps the would-be action.
 */
#ifndef CTL_POLICY_H
#define CTL_POLICY_H

#include <stddef.h>
#include <stdint.h>

#include <mxscreen/link.h>
#include <mxscreen/verdict.h>

#include "ctl_conf.h"

#define CTL_POLICY_MAX_A 8
#define CTL_POLICY_MAX_REASONS 32
#define CTL_POLICY_REASON_MAX 270

enum ctl_list_state { CTL_LIST_NOT_LISTED = 0, CTL_LIST_LISTED, CTL_LIST_ERROR, CTL_LIST_SKIPPED };
enum ctl_fcrdns { CTL_FCRDNS_PASS = 0, CTL_FCRDNS_FAIL, CTL_FCRDNS_NONE, CTL_FCRDNS_ERROR };

/* One zone's answer for one query name. */
struct ctl_zone_result {
	int state;                        /* enum ctl_list_state */
	size_t n_a;
	uint8_t a[CTL_POLICY_MAX_A][4];   /* A records as answered */
	char error[40];                   /* why, when CTL_LIST_ERROR */
	char txt[256];                    /* first TXT string, when asked (explain) */
};

struct ctl_evidence {
	int family;
	uint8_t addr[16];
	/* Indexed like conf->dnsbl / conf->rhsbl; NULL when none. */
	const struct ctl_zone_result *dnsbl;
	const struct ctl_zone_result *rhsbl_helo;
	const struct ctl_zone_result *rhsbl_mail;
	int fcrdns;                       /* enum ctl_fcrdns */
	uint32_t anomalies;
	int32_t rule_score;
	size_t n_hits;
	const uint32_t *hit_ids;
};

struct ctl_decision {
	uint8_t action;                   /* enforced (pass in shadow mode) */
	uint8_t would_be;                 /* what the score says */
	uint8_t shadow;
	int32_t score;
	uint32_t reasons;                 /* MXS_REASON_BIT() */
	uint32_t ttl_s;
	size_t n_reasons;
	/* What reason[i] added to score; 0 for flags (static_allow). The
	 * weights add up to score: static_deny carries score_drop; the scaled
	 * rule score (one sum in the observation) is on the first "rule:ID";
	 * past CTL_POLICY_MAX_REASONS the last entry also carries the weights
	 * of the reasons that did not fit. */
	int32_t weight[CTL_POLICY_MAX_REASONS];
	char reason[CTL_POLICY_MAX_REASONS][CTL_POLICY_REASON_MAX]; /* "dnsbl:zone", "rule:1003" */
};

/*
 * Classify the A records a DNSBL returned: CTL_LIST_LISTED, or
 * CTL_LIST_ERROR with @ret_why set when any answer is outside
 * 127.0.0.0/8, inside 127.255.255.0/24, or 127.0.1.255. n == 0 is
 * CTL_LIST_NOT_LISTED.
 */
int ctl_policy_classify(const uint8_t (*a)[4], size_t n, const char **ret_why);

/* Decide. @e's arrays must have conf->n_dnsbl / n_rhsbl entries.
 * Afterwards ret->weight[0..n_reasons) sums to ret->score. */
void ctl_policy_decide(const struct ctl_conf *conf, const struct ctl_evidence *e,
		       struct ctl_decision *ret);

/* Fill a wire verdict from a decision (expiry = now_ns + ttl). */
void ctl_policy_verdict(const struct ctl_conf *conf, int family, const uint8_t addr[16],
			const struct ctl_decision *d, uint64_t now_ns, struct mxs_verdict *ret);

#endif
