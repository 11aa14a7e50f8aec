/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ctl_prom: the `stats` response (docs/control-protocol.md) as Prometheus
 * text exposition format 0.0.4, for `mxscreenctl stats --prometheus` and
 * mxscreend's /metrics. Works on the parsed response, so both render the
 * same document; no CLI or daemon code in here, no global state, any
 * thread.
 *
 * Families (each with # HELP and # TYPE once, its samples together):
 * mxscreen_dataplane_* (counters *_total, gauges flows_active,
 * rules_loaded, connected), mxscreen_anomalies_total{anomaly},
 * mxscreen_rule_hits_total{rule,field}, mxscreen_control_*,
 * mxscreen_lookups_*, mxscreen_zone_lookups_total{zone,result},
 * mxscreen_zone_enabled{zone}, mxscreen_zone_health_*{zone},
 * mxscreen_dns_*, mxscreen_verdicts_issued_total{action},
 * mxscreen_verdicts_current{action}, the histogram
 * mxscreen_lookup_latency_seconds (buckets from latency.buckets, +Inf =
 * count), mxscreen_enforcement_{packets,bytes,shadow_packets}_total{action}
 * and mxscreen_enforcement_*_total. A section that is null or absent
 * yields nothing; so does a member that is absent or not a number.
 * Label values are escaped (\\, \", \n).
 */
#ifndef CTL_PROM_H
#define CTL_PROM_H

#include "ctl_json.h"

/* Append the exposition text for @stats (an object with dataplane,
 * control and enforcement members) to @out. 0, -EINVAL when @stats is not
 * an object, or the writer's error (-ENOMEM, -E2BIG). */
int ctl_prom_render(const struct ctl_jnode *stats, struct ctl_jw *out);

#endif
