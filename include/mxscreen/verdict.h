/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Verdict actions and reason bits, shared by the control plane, the
 * dataplane's verdict mirror, the BPF maps and the CLI: defined once here.
 * Header-only, no state.
 */
#ifndef MXSCREEN_VERDICT_H
#define MXSCREEN_VERDICT_H

enum mxs_action {
	MXS_ACTION_NONE = 0,   /* unknown: no verdict */
	MXS_ACTION_PASS,       /* allowlisted or below score_tag */
	MXS_ACTION_TAG,
	MXS_ACTION_THROTTLE,
	MXS_ACTION_DROP,
	MXS_ACTION_COUNT
};

/* Reason categories as bits; the verdict log names each zone and rule. */
#define MXS_REASON_LIST(X)                                                    \
	X(DNSBL, "dnsbl")                                                     \
	X(DNSWL, "dnswl")                                                     \
	X(RHSBL, "rhsbl")                                                     \
	X(FCRDNS_FAIL, "fcrdns_fail")                                         \
	X(NO_PTR, "no_ptr")                                                   \
	X(ANOMALY, "anomaly")                                                 \
	X(RULE, "rule")                                                       \
	X(STATIC_ALLOW, "static_allow")                                       \
	X(STATIC_DENY, "static_deny")                                         \
	X(MANUAL, "manual")

enum mxs_reason {
#define MXS_REASON_ENUM(e, s) MXS_REASON_##e,
	MXS_REASON_LIST(MXS_REASON_ENUM)
#undef MXS_REASON_ENUM
	MXS_REASON_COUNT
};

#define MXS_REASON_BIT(e) (1u << MXS_REASON_##e)

static inline const char *mxs_action_name(unsigned a)
{
	static const char *const names[MXS_ACTION_COUNT] = {
		"none", "pass", "tag", "throttle", "drop",
	};
	return a < MXS_ACTION_COUNT ? names[a] : (const char *)0;
}

static inline const char *mxs_reason_name(unsigned r)
{
	static const char *const names[] = {
#define MXS_REASON_NAME(e, s) s,
		MXS_REASON_LIST(MXS_REASON_NAME)
#undef MXS_REASON_NAME
	};
	return r < MXS_REASON_COUNT ? names[r] : (const char *)0;
}

#endif
