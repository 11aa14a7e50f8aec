/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * cli_render: how mxscreenctl shows each answer of the control socket
 * (docs/control-protocol.md). One renderer per response shape; each takes
 * the response object (the parsed line, envelope included) and makes one
 * sequence of cli_print calls: human text with the printer in text mode,
 * JSON in JSON mode. Members a renderer does not know are passed through
 * (in text as generic blocks, inside table rows JSON only), so -j shows
 * all the daemon said; the envelope (ok, id, status, error) never shows.
 * `stats --prometheus` is not here: it goes through ctl_prom, like the
 * daemon's /metrics. Pure functions of the response; single-threaded.
 */
#ifndef CLI_RENDER_H
#define CLI_RENDER_H

#include <stdbool.h>

#include "cli_print.h"
#include "ctl_json.h"

/* stats: dataplane, control (zones, verdicts by action, latency) and
 * enforcement; also the enforcement-only object mxscreenctl builds from
 * the pinned maps when the daemon is down. */
void cli_render_stats(struct cli_print *p, const struct ctl_jnode *r);
/* verdict.list: the total and one table row per verdict. */
void cli_render_verdict_list(struct cli_print *p, const struct ctl_jnode *r);
/* verdict.get, verdict.add: the "verdict" object as the whole answer. */
void cli_render_verdict(struct cli_print *p, const struct ctl_jnode *r);
/* verdict.del: the "removed" verdict. */
void cli_render_removed(struct cli_print *p, const struct ctl_jnode *r);
/* explain: the zones table, PTR, weights and the current verdict. */
void cli_render_explain(struct cli_print *p, const struct ctl_jnode *r);
/* top: one table row per address. */
void cli_render_top(struct cli_print *p, const struct ctl_jnode *r);
/* Everything generically, in the daemon's order (rules.*, verdict.flush). */
void cli_render_generic(struct cli_print *p, const struct ctl_jnode *r);
/* version: the client's MXS_VERSION, then the daemon's answer (@r may be
 * NULL: the client's alone). */
void cli_render_version(struct cli_print *p, const struct ctl_jnode *r);

/* Whether the response object @r says more than the envelope: a failed
 * answer that does (rules.reload's dataplanes) is rendered before the
 * error is reported. */
bool cli_render_has_data(const struct ctl_jnode *r);

#endif
