/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ctl_enf: enforcement counters as JSON (see ctl_enf.h).
 */
#include <mxscreen/verdict.h>

#include "ctl_enf.h"

_Static_assert(MXS_BPF_ACTIONS == MXS_ACTION_COUNT, "one counter per action");

static void by_action(struct ctl_jw *w, const char *key, const __u64 *v)
{
	ctl_jw_obj_open(w, key);
	for (unsigned a = 0; a < MXS_ACTION_COUNT; a++)
		ctl_jw_u64(w, mxs_action_name(a), v[a]);
	ctl_jw_obj_close(w);
}

void ctl_enf_json(struct ctl_jw *w, const char *key, const char *pin_dir,
		  const struct mxs_bpf_stats *s)
{
	ctl_jw_obj_open(w, key);
	ctl_jw_str(w, "pin_dir", pin_dir);
	by_action(w, "packets", s->pkts);
	by_action(w, "bytes", s->bytes);
	by_action(w, "shadow", s->shadow);
	ctl_jw_u64(w, "syn_throttled", s->syn_throttled);
	ctl_jw_u64(w, "syn_admitted", s->syn_admitted);
	ctl_jw_u64(w, "static_allow", s->static_allow);
	ctl_jw_u64(w, "static_deny", s->static_deny);
	ctl_jw_u64(w, "expired", s->expired);
	ctl_jw_u64(w, "parse_errors", s->parse_errors);
	ctl_jw_u64(w, "not_smtp", s->not_smtp);
	ctl_jw_u64(w, "tc_marked", s->tc_marked);
	ctl_jw_obj_close(w);
}
