/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ctl_stats: the `stats` report of mxscreend (docs/control-protocol.md):
 * the connected dataplanes' last snapshots summed, the control plane's
 * own counters (lookups per zone and result, DNS, zone health, verdicts,
 * lookup latency), and the enforcement counters from the pinned BPF maps.
 * The same object, rendered by ctl_prom, is the /metrics page. Main thread.
 */
#include <stdlib.h>
#include <string.h>

#include <mxscreen/anomaly.h>
#include <mxscreen/bpf.h>
#include <mxscreen/field.h>
#include <mxscreen/verdict.h>

#include "ctl_enf.h"
#include "ctl_hist.h"
#include "ctl_pins.h"
#include "ctl_prom.h"
#include "mxscreend.h"

#define TOP_RULES 10

static const double latency_bounds_s[] = {
	0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
};

static void dataplane(struct daemon *d, struct ctl_jw *w)
{
	const struct ctl_link_peer *peers[CTL_LINK_MAX_PEERS];
	size_t np = ctl_link_peers(d->link, peers, CTL_LINK_MAX_PEERS), nr = 0;
	struct mxs_dp_stats sum = { 0 };
	struct mxs_rule_hit *top;
	size_t have = 0;
	uint32_t loaded;

	const struct ctl_link_departed *gone = ctl_link_departed(d->link);

	for (size_t p = 0; p <= np; p++) {
		/* the connected dataplanes, then the totals of those gone */
		const struct mxs_dp_stats *s = p < np ? &peers[p]->stats : &gone->stats;

		if (p < np && !peers[p]->snapshots)
			continue;
		if (p == np && !gone->count)
			continue;
		have += p < np;
		ctl_link_stats_add(&sum, s);
		sum.flows_active += s->flows_active;
		sum.handshakes_active += s->handshakes_active;
	}
	if (!have && !gone->count) {
		ctl_jw_null(w, "dataplane");
		return;
	}
	ctl_jw_obj_open(w, "dataplane");
	ctl_jw_u64(w, "connected", have);
	ctl_jw_u64(w, "disconnected", gone->count);
	ctl_jw_u64(w, "packets", sum.packets);
	ctl_jw_u64(w, "bytes", sum.bytes);
	ctl_jw_u64(w, "flows_created", sum.flows_created);
	ctl_jw_u64(w, "flows_active", sum.flows_active);
	ctl_jw_u64(w, "flows_evicted", sum.flows_evicted);
	ctl_jw_u64(w, "handshakes_active", sum.handshakes_active);
	ctl_jw_u64(w, "handshakes_evicted", sum.handshakes_evicted);
	ctl_jw_u64(w, "smtp_connections", sum.smtp_connections);
	ctl_jw_u64(w, "records_dropped", sum.records_dropped);
	ctl_jw_u64(w, "observations_queued", sum.obs_queued);
	ctl_jw_u64(w, "observations_sent", sum.obs_sent);
	ctl_jw_u64(w, "observations_dropped", sum.obs_dropped);
	ctl_jw_u64(w, "verdicts_received", sum.verdicts_received);
	ctl_jw_u64(w, "rules_scanned", sum.rules_scanned);
	nr = ctl_cmd_rule_hits(d, &top, &loaded);
	ctl_jw_u64(w, "rules_loaded", loaded);
	ctl_jw_u64(w, "rules_reload_ok", sum.rules_reload_ok);
	ctl_jw_u64(w, "rules_reload_failed", sum.rules_reload_failed);
	if (sum.reload_error[0])
		ctl_jw_str(w, "reload_error", sum.reload_error);
	else
		ctl_jw_null(w, "reload_error");
	ctl_jw_obj_open(w, "anomalies");
	for (unsigned a = 0; a < MXS_ANOMALY_COUNT; a++)
		ctl_jw_u64(w, mxs_anomaly_name(a), sum.anomalies[a]);
	ctl_jw_obj_close(w);
	ctl_jw_arr_open(w, "top_rules");
	for (size_t i = 0; i < nr && i < TOP_RULES; i++) {
		ctl_jw_obj_open(w, NULL);
		ctl_jw_u64(w, "id", top[i].id);
		ctl_jw_str(w, "field", mxs_field_name(top[i].field) ? mxs_field_name(top[i].field) : "?");
		ctl_jw_i64(w, "score", top[i].score);
		ctl_jw_u64(w, "hits", top[i].hits);
		ctl_jw_str(w, "msg", top[i].msg);
		ctl_jw_obj_close(w);
	}
	ctl_jw_arr_close(w);
	free(top);
	ctl_jw_obj_close(w);
}

static void dns_stats(struct ctl_jw *w, const char *key, struct ctl_dns *a, struct ctl_dns *b)
{
	struct ctl_dns_stats s = *ctl_dns_stats(a);

	if (b) {
		const struct ctl_dns_stats *t = ctl_dns_stats(b);

		s.queries += t->queries;
		s.sent += t->sent;
		s.merged += t->merged;
		s.cache_hits += t->cache_hits;
		s.cache_misses += t->cache_misses;
		s.errors += t->errors;
		s.timeouts += t->timeouts;
		s.inflight += t->inflight;
		s.queued += t->queued;
		s.resent += t->resent;
		s.lost += t->lost;
		s.window_cuts += t->window_cuts;
		s.window += t->window;
	}
	ctl_jw_obj_open(w, key);
	ctl_jw_u64(w, "queries", s.queries);
	ctl_jw_u64(w, "sent", s.sent);
	ctl_jw_u64(w, "merged", s.merged);
	ctl_jw_u64(w, "cache_hits", s.cache_hits);
	ctl_jw_u64(w, "cache_misses", s.cache_misses);
	ctl_jw_u64(w, "inflight", s.inflight);
	ctl_jw_u64(w, "queued", s.queued);
	ctl_jw_u64(w, "errors", s.errors);
	ctl_jw_u64(w, "timeouts", s.timeouts);
	ctl_jw_u64(w, "resent", s.resent);
	ctl_jw_u64(w, "lost", s.lost);
	ctl_jw_u64(w, "window_cuts", s.window_cuts);
	ctl_jw_u64(w, "window", s.window);
	ctl_jw_obj_close(w);
}

static void latency(struct ctl_jw *w, const struct ctl_hist *h)
{
	ctl_jw_obj_open(w, "latency");
	ctl_jw_u64(w, "count", ctl_hist_count(h));
	ctl_jw_dbl(w, "sum_s", (double)ctl_hist_sum_ns(h) / 1e9);
	ctl_jw_dbl(w, "p50_ms", (double)ctl_hist_quantile(h, 0.50) / 1e6);
	ctl_jw_dbl(w, "p90_ms", (double)ctl_hist_quantile(h, 0.90) / 1e6);
	ctl_jw_dbl(w, "p99_ms", (double)ctl_hist_quantile(h, 0.99) / 1e6);
	ctl_jw_arr_open(w, "buckets");
	for (size_t i = 0; i < sizeof(latency_bounds_s) / sizeof(latency_bounds_s[0]); i++) {
		ctl_jw_obj_open(w, NULL);
		ctl_jw_dbl(w, "le_s", latency_bounds_s[i]);
		ctl_jw_u64(w, "count", ctl_hist_le(h, (uint64_t)(latency_bounds_s[i] * 1e9)));
		ctl_jw_obj_close(w);
	}
	ctl_jw_arr_close(w);
	ctl_jw_obj_close(w);
}

static void control(struct daemon *d, struct ctl_jw *w)
{
	const struct ctl_lookup_stats *ls = ctl_lookup_stats(d->lookup);
	size_t counts[MXS_ACTION_COUNT] = { 0 };

	ctl_jw_obj_open(w, "control");
	ctl_jw_u64(w, "uptime_s", (mxd_realtime_ns() - d->started_ns) / 1000000000ull);
	ctl_jw_u64(w, "observations", ctl_link_stats(d->link)->observations);
	ctl_jw_u64(w, "observations_dropped", d->obs_dropped);
	ctl_jw_u64(w, "config_reloads_failed", d->reloads_failed);
	ctl_jw_obj_open(w, "lookups");
	ctl_jw_u64(w, "submitted", ls->submitted);
	ctl_jw_u64(w, "completed", ls->completed);
	ctl_jw_u64(w, "active", ls->active);
	ctl_jw_obj_close(w);
	ctl_jw_arr_open(w, "zones");
	for (size_t i = 0; i < ctl_lookup_zone_count(d->lookup); i++) {
		struct ctl_lookup_zone_stats z;

		ctl_lookup_zone_stats(d->lookup, i, &z);
		ctl_jw_obj_open(w, NULL);
		ctl_jw_str(w, "zone", z.zone);
		ctl_jw_str(w, "kind", z.is_domain ? "domain" : "ip");
		ctl_jw_bool(w, "local", z.local);
		ctl_jw_bool(w, "enabled", z.enabled);
		ctl_jw_u64(w, "listed", z.listed);
		ctl_jw_u64(w, "not_listed", z.not_listed);
		ctl_jw_u64(w, "error", z.errors);
		ctl_jw_u64(w, "timeout", z.timeouts);
		ctl_jw_obj_close(w);
	}
	ctl_jw_arr_close(w);
	dns_stats(w, "dns", d->dns, d->list_dns);
	ctl_jw_arr_open(w, "health");
	for (size_t i = 0; d->health && i < ctl_health_zones(d->health); i++) {
		struct ctl_health_zone_stats h;

		ctl_health_zone(d->health, i, &h);
		ctl_jw_obj_open(w, NULL);
		ctl_jw_str(w, "zone", h.zone);
		ctl_jw_bool(w, "on", h.on);
		ctl_jw_u64(w, "probes", h.probes);
		ctl_jw_u64(w, "switched_off", h.switched_off);
		ctl_jw_str(w, "why", h.why);
		ctl_jw_obj_close(w);
	}
	ctl_jw_arr_close(w);
	ctl_jw_obj_open(w, "verdicts_issued");
	for (unsigned a = MXS_ACTION_PASS; a < MXS_ACTION_COUNT; a++)
		ctl_jw_u64(w, mxs_action_name(a), d->verdicts[a]);
	ctl_jw_obj_close(w);
	ctl_vtab_count(d->vtab, counts);
	ctl_jw_obj_open(w, "verdicts_current");
	for (unsigned a = MXS_ACTION_PASS; a < MXS_ACTION_COUNT; a++)
		ctl_jw_u64(w, mxs_action_name(a), counts[a]);
	ctl_jw_obj_close(w);
	ctl_jw_u64(w, "manual_overrides", d->policy_overridden);
	latency(w, ctl_lookup_latency(d->lookup));
	ctl_jw_obj_close(w);
}

/* The pinned stats map, in the shape the CLI also builds without us. */
static void enforcement(struct daemon *d, struct ctl_jw *w)
{
	struct mxs_bpf_stats s;
	char err[512];

	if (ctl_pins_stats(d->conf->bpf_pin_dir, &s, err, sizeof(err)) < 0) {
		ctl_jw_null(w, "enforcement");
		ctl_jw_str(w, "enforcement_error", err);
		return;
	}
	ctl_enf_json(w, "enforcement", d->conf->bpf_pin_dir, &s);
}

void ctl_stats_write(struct daemon *d, struct ctl_jw *w)
{
	dataplane(d, w);
	control(d, w);
	enforcement(d, w);
}

int ctl_stats_prometheus(struct daemon *d, struct ctl_jw *out)
{
	struct ctl_jw w;
	struct ctl_jdoc *doc;
	char err[128];
	int rc;

	ctl_jw_init(&w, 64u << 20);
	ctl_jw_obj_open(&w, NULL);
	ctl_stats_write(d, &w);
	ctl_jw_obj_close(&w);
	rc = ctl_jw_error(&w);
	if (!rc)
		rc = ctl_json_parse(w.buf, w.len, 1u << 22, &doc, err, sizeof(err));
	ctl_jw_free(&w);
	if (rc)
		return rc;
	rc = ctl_prom_render(ctl_jdoc_root(doc), out);
	ctl_jdoc_free(doc);
	return rc;
}
