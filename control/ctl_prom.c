/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ctl_prom: stats DOM -> Prometheus text format 0.0.4 (see ctl_prom.h).
 * Each family is written from one place, its samples in one run, so the
 * # HELP / # TYPE header goes out once, lazily, before its first sample
 * (a family without samples has no header either). Any thread; the state
 * is the caller's writer.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "ctl_prom.h"

#define COUNTER "counter"
#define GAUGE "gauge"

struct prom {
	struct ctl_jw *w;
	const char *fam;                /* family whose header is out */
};

struct fam {
	const char *member;             /* in the section object */
	const char *name;
	const char *type;
	const char *help;
};

static void put(struct prom *m, const char *s)
{
	ctl_jw_raw(m->w, s, strlen(s));
}

static void header(struct prom *m, const struct fam *f)
{
	if (m->fam == f->name)
		return;
	m->fam = f->name;
	put(m, "# HELP ");
	put(m, f->name);
	put(m, " ");
	put(m, f->help);
	put(m, "\n# TYPE ");
	put(m, f->name);
	put(m, " ");
	put(m, f->type);
	put(m, "\n");
}

static void put_label_value(struct prom *m, const char *s, size_t n)
{
	size_t run = 0;

	for (size_t i = 0; i < n; i++) {
		const char *esc = s[i] == '\\' ? "\\\\" : s[i] == '"' ? "\\\"" :
				  s[i] == '\n' ? "\\n" : NULL;

		if (!esc)
			continue;
		ctl_jw_raw(m->w, s + run, i - run);
		put(m, esc);
		run = i + 1;
	}
	ctl_jw_raw(m->w, s + run, n - run);
}

/* A label value from a DOM node: strings as such, numbers in decimal. */
static bool node_text(const struct ctl_jnode *n, char *buf, size_t len, const char **ret_s,
		      size_t *ret_n)
{
	if (!n)
		return false;
	if (n->type == CTL_J_STR) {
		*ret_s = n->s;
		*ret_n = n->len;
		return true;
	}
	if (n->type == CTL_J_NUM) {
		if (n->is_int)
			snprintf(buf, len, "%" PRId64, n->i);
		else
			snprintf(buf, len, "%.15g", n->d);
		*ret_s = buf;
		*ret_n = strlen(buf);
		return true;
	}
	return false;
}

/* The sample value of @v: numbers, booleans as 1/0; false for others. */
static bool value_text(const struct ctl_jnode *v, char *buf, size_t len)
{
	if (!v)
		return false;
	if (v->type == CTL_J_BOOL)
		snprintf(buf, len, "%d", v->b ? 1 : 0);
	else if (v->type != CTL_J_NUM)
		return false;
	else if (v->is_int)
		snprintf(buf, len, "%" PRId64, v->i);
	else
		snprintf(buf, len, "%.15g", v->d);
	return true;
}

/*
 * One sample of family @f: name @f->name + @suffix, labels from @lab
 * (name, value node pairs, @n_lab of them; a pair whose value is not a
 * string or number is left out), value @v. Nothing when @v is not a
 * number or boolean.
 */
static void sample(struct prom *m, const struct fam *f, const char *suffix,
		   const char *const *lab_name, const struct ctl_jnode *const *lab_val,
		   size_t n_lab, const struct ctl_jnode *v)
{
	char vb[64], lb[64];
	bool any = false;

	if (!value_text(v, vb, sizeof(vb)))
		return;
	header(m, f);
	put(m, f->name);
	put(m, suffix);
	for (size_t i = 0; i < n_lab; i++) {
		const char *s;
		size_t n;

		if (!node_text(lab_val[i], lb, sizeof(lb), &s, &n))
			continue;
		put(m, any ? "," : "{");
		any = true;
		put(m, lab_name[i]);
		put(m, "=\"");
		put_label_value(m, s, n);
		put(m, "\"");
	}
	if (any)
		put(m, "}");
	put(m, " ");
	put(m, vb);
	put(m, "\n");
}

static void plain(struct prom *m, const struct fam *f, const struct ctl_jnode *v)
{
	sample(m, f, "", NULL, NULL, 0, v);
}

/* Every member of @sec named in @fams, one unlabelled sample each. */
static void plains(struct prom *m, const struct ctl_jnode *sec, const struct fam *fams, size_t n)
{
	for (size_t i = 0; i < n; i++)
		plain(m, &fams[i], ctl_jget(sec, fams[i].member));
}

/* {KEY: N, ...} as samples of @f labelled @label = KEY. */
static void by_key(struct prom *m, const struct fam *f, const char *label,
		   const struct ctl_jnode *o)
{
	const char *names[1] = { label };

	if (!o || o->type != CTL_J_OBJ)
		return;
	for (const struct ctl_jnode *c = o->child; c; c = c->next) {
		struct ctl_jnode key = { .type = CTL_J_STR, .s = c->key, .len = strlen(c->key) };
		const struct ctl_jnode *vals[1] = { &key };

		sample(m, f, "", names, vals, 1, c);
	}
}

static bool is_obj(const struct ctl_jnode *n)
{
	return n && n->type == CTL_J_OBJ;
}

static bool is_arr(const struct ctl_jnode *n)
{
	return n && n->type == CTL_J_ARR;
}

static void dataplane(struct prom *m, const struct ctl_jnode *dp)
{
	static const struct fam fams[] = {
		{ "connected", "mxscreen_dataplanes_connected", GAUGE,
		  "Dataplanes connected to mxscreend." },
		{ "packets", "mxscreen_dataplane_packets_total", COUNTER,
		  "Packets received by the dataplanes." },
		{ "bytes", "mxscreen_dataplane_bytes_total", COUNTER,
		  "Bytes received by the dataplanes." },
		{ "flows_created", "mxscreen_dataplane_flows_created_total", COUNTER,
		  "Flows created." },
		{ "flows_active", "mxscreen_dataplane_flows_active", GAUGE,
		  "Flows in the flow tables now." },
		{ "flows_evicted", "mxscreen_dataplane_flows_evicted_total", COUNTER,
		  "Flows evicted from full flow tables." },
		{ "handshakes_active", "mxscreen_dataplane_handshakes_active", GAUGE,
		  "Connections between SYN and ACK in the handshake tables now." },
		{ "handshakes_evicted", "mxscreen_dataplane_handshakes_evicted_total", COUNTER,
		  "Handshakes evicted from full handshake tables (SYN floods)." },
		{ "smtp_connections", "mxscreen_dataplane_smtp_connections_total", COUNTER,
		  "SMTP connections seen." },
		{ "records_dropped", "mxscreen_dataplane_records_dropped_total", COUNTER,
		  "Connection records dropped." },
		{ "observations_queued", "mxscreen_dataplane_observations_queued_total", COUNTER,
		  "Observations queued for the control plane." },
		{ "observations_sent", "mxscreen_dataplane_observations_sent_total", COUNTER,
		  "Observations sent to the control plane." },
		{ "observations_dropped", "mxscreen_dataplane_observations_dropped_total", COUNTER,
		  "Observations dropped (full ring or dead socket)." },
		{ "verdicts_received", "mxscreen_dataplane_verdicts_received_total", COUNTER,
		  "Verdicts received from the control plane." },
		{ "rules_scanned", "mxscreen_dataplane_rules_scanned_total", COUNTER,
		  "Values scanned against the rules." },
		{ "rules_loaded", "mxscreen_dataplane_rules_loaded", GAUGE,
		  "Rules loaded in the dataplanes." },
	};
	static const struct fam reloads = { NULL, "mxscreen_dataplane_rules_reloads_total",
					    COUNTER, "Rules reloads by result." };
	static const struct fam anomalies = { NULL, "mxscreen_anomalies_total", COUNTER,
					      "SMTP and TCP anomalies by name." };
	static const struct fam rule_hits = { NULL, "mxscreen_rule_hits_total", COUNTER,
					      "Hits of the most hit rules." };
	static const char *const result[] = { "result" };
	static const char *const rule_labels[] = { "rule", "field" };
	const struct ctl_jnode *top;

	plains(m, dp, fams, sizeof(fams) / sizeof(fams[0]));
	{
		struct ctl_jnode ok = { .type = CTL_J_STR, .s = "ok", .len = 2 };
		struct ctl_jnode failed = { .type = CTL_J_STR, .s = "failed", .len = 6 };
		const struct ctl_jnode *v_ok[] = { &ok }, *v_failed[] = { &failed };

		sample(m, &reloads, "", result, v_ok, 1, ctl_jget(dp, "rules_reload_ok"));
		sample(m, &reloads, "", result, v_failed, 1, ctl_jget(dp, "rules_reload_failed"));
	}
	by_key(m, &anomalies, "anomaly", ctl_jget(dp, "anomalies"));
	top = ctl_jget(dp, "top_rules");
	if (is_arr(top))
		for (const struct ctl_jnode *r = top->child; r; r = r->next) {
			const struct ctl_jnode *lv[] = { ctl_jget(r, "id"), ctl_jget(r, "field") };

			sample(m, &rule_hits, "", rule_labels, lv, 2, ctl_jget(r, "hits"));
		}
}

static void zones(struct prom *m, const struct ctl_jnode *zs)
{
	static const struct fam lookups = { NULL, "mxscreen_zone_lookups_total", COUNTER,
					    "Lookups per list zone by result." };
	static const struct fam enabled = { NULL, "mxscreen_zone_enabled", GAUGE,
					    "1 when the list zone is used, 0 when switched off." };
	static const char *const results[] = { "listed", "not_listed", "error", "timeout" };
	static const char *const names[] = { "zone", "result" };

	if (!is_arr(zs))
		return;
	for (const struct ctl_jnode *z = zs->child; z; z = z->next)
		for (size_t i = 0; i < sizeof(results) / sizeof(results[0]); i++) {
			struct ctl_jnode res = { .type = CTL_J_STR, .s = results[i],
						 .len = strlen(results[i]) };
			const struct ctl_jnode *lv[] = { ctl_jget(z, "zone"), &res };

			sample(m, &lookups, "", names, lv, 2, ctl_jget(z, results[i]));
		}
	for (const struct ctl_jnode *z = zs->child; z; z = z->next) {
		const struct ctl_jnode *lv[] = { ctl_jget(z, "zone") };

		sample(m, &enabled, "", names, lv, 1, ctl_jget(z, "enabled"));
	}
}

static void health(struct prom *m, const struct ctl_jnode *hs)
{
	static const struct fam fams[] = {
		{ "on", "mxscreen_zone_health_on", GAUGE,
		  "1 when the zone's last health probes passed (or none ran yet)." },
		{ "probes", "mxscreen_zone_health_probes_total", COUNTER,
		  "RFC 5782 health probes sent per zone." },
		{ "switched_off", "mxscreen_zone_health_switched_off_total", COUNTER,
		  "Times a zone was switched off by failed health probes." },
	};
	static const char *const names[] = { "zone" };

	if (!is_arr(hs))
		return;
	for (size_t f = 0; f < sizeof(fams) / sizeof(fams[0]); f++)
		for (const struct ctl_jnode *h = hs->child; h; h = h->next) {
			const struct ctl_jnode *lv[] = { ctl_jget(h, "zone") };

			sample(m, &fams[f], "", names, lv, 1, ctl_jget(h, fams[f].member));
		}
}

static void latency(struct prom *m, const struct ctl_jnode *lat)
{
	static const struct fam f = { NULL, "mxscreen_lookup_latency_seconds", "histogram",
				      "Time from observation to verdict." };
	static const char *const le[] = { "le" };
	const struct ctl_jnode *count = ctl_jget(lat, "count"), *b = ctl_jget(lat, "buckets");
	struct ctl_jnode cum = { .type = CTL_J_NUM, .is_int = true };
	struct ctl_jnode inf = { .type = CTL_J_STR, .s = "+Inf", .len = 4 };
	const struct ctl_jnode *lv[1];

	if (!count || count->type != CTL_J_NUM || !count->is_int)
		return;
	/* Buckets are cumulative ("le") and end at count; anything else would
	 * be an invalid histogram, so the running maximum, capped at count,
	 * is written. */
	if (is_arr(b))
		for (const struct ctl_jnode *e = b->child; e; e = e->next) {
			const struct ctl_jnode *bound = ctl_jget(e, "le_s"), *c = ctl_jget(e, "count");

			if (!bound || bound->type != CTL_J_NUM || !c || c->type != CTL_J_NUM ||
			    !c->is_int)
				continue;
			if (c->i > cum.i)
				cum.i = c->i < count->i ? c->i : count->i;
			cum.d = (double)cum.i;
			lv[0] = bound;
			sample(m, &f, "_bucket", le, lv, 1, &cum);
		}
	lv[0] = &inf;
	sample(m, &f, "_bucket", le, lv, 1, count);
	{
		const struct ctl_jnode *sum = ctl_jget(lat, "sum_s");
		struct ctl_jnode zero = { .type = CTL_J_NUM, .is_int = true };

		sample(m, &f, "_sum", NULL, NULL, 0,
		       sum && sum->type == CTL_J_NUM ? sum : &zero);
	}
	sample(m, &f, "_count", NULL, NULL, 0, count);
}

static void control(struct prom *m, const struct ctl_jnode *c)
{
	static const struct fam fams[] = {
		{ "uptime_s", "mxscreen_control_uptime_seconds", GAUGE,
		  "Seconds since mxscreend started." },
		{ "observations", "mxscreen_control_observations_total", COUNTER,
		  "Observations received from the dataplanes." },
		{ "observations_dropped", "mxscreen_control_observations_dropped_total", COUNTER,
		  "Observations mxscreend dropped." },
		{ "config_reloads_failed", "mxscreen_control_config_reloads_failed_total", COUNTER,
		  "Configuration reloads (SIGHUP) refused." },
		{ "manual_overrides", "mxscreen_control_manual_overrides_total", COUNTER,
		  "Policy verdicts not written over a manual verdict." },
	};
	static const struct fam lookups[] = {
		{ "submitted", "mxscreen_lookups_submitted_total", COUNTER,
		  "Address lookups started." },
		{ "completed", "mxscreen_lookups_completed_total", COUNTER,
		  "Address lookups finished." },
		{ "active", "mxscreen_lookups_active", GAUGE, "Address lookups in progress." },
	};
	static const struct fam dns[] = {
		{ "queries", "mxscreen_dns_queries_total", COUNTER, "DNS questions asked." },
		{ "sent", "mxscreen_dns_sent_total", COUNTER, "DNS queries sent on the wire." },
		{ "merged", "mxscreen_dns_merged_total", COUNTER,
		  "DNS questions joined to one in flight." },
		{ "cache_hits", "mxscreen_dns_cache_hits_total", COUNTER, "DNS cache hits." },
		{ "cache_misses", "mxscreen_dns_cache_misses_total", COUNTER, "DNS cache misses." },
		{ "errors", "mxscreen_dns_errors_total", COUNTER, "DNS errors (SERVFAIL and such)." },
		{ "timeouts", "mxscreen_dns_timeouts_total", COUNTER, "DNS queries timed out." },
		{ "inflight", "mxscreen_dns_inflight", GAUGE, "DNS queries in flight." },
		{ "queued", "mxscreen_dns_queued", GAUGE, "DNS queries waiting to be sent." },
		{ "resent", "mxscreen_dns_resent_total", COUNTER,
		  "DNS queries sent again (lost, or timed out)." },
		{ "lost", "mxscreen_dns_lost_total", COUNTER,
		  "DNS queries deemed lost: overtaken by later answers." },
		{ "window_cuts", "mxscreen_dns_window_cuts_total", COUNTER,
		  "DNS loss episodes that halved the send window." },
		{ "window", "mxscreen_dns_window", GAUGE, "DNS queries the send window allows now." },
	};
	static const struct fam issued = { NULL, "mxscreen_verdicts_issued_total", COUNTER,
					   "Verdicts issued by action." };
	static const struct fam current = { NULL, "mxscreen_verdicts_current", GAUGE,
					    "Unexpired verdicts by action." };

	plains(m, c, fams, sizeof(fams) / sizeof(fams[0]));
	plains(m, ctl_jget(c, "lookups"), lookups, sizeof(lookups) / sizeof(lookups[0]));
	zones(m, ctl_jget(c, "zones"));
	health(m, ctl_jget(c, "health"));
	plains(m, ctl_jget(c, "dns"), dns, sizeof(dns) / sizeof(dns[0]));
	by_key(m, &issued, "action", ctl_jget(c, "verdicts_issued"));
	by_key(m, &current, "action", ctl_jget(c, "verdicts_current"));
	if (is_obj(ctl_jget(c, "latency")))
		latency(m, ctl_jget(c, "latency"));
}

static void enforcement(struct prom *m, const struct ctl_jnode *e)
{
	static const struct fam packets = { NULL, "mxscreen_enforcement_packets_total", COUNTER,
					    "SMTP-port packets by the action XDP applied." };
	static const struct fam bytes = { NULL, "mxscreen_enforcement_bytes_total", COUNTER,
					  "SMTP-port bytes by the action XDP applied." };
	static const struct fam shadow = { NULL, "mxscreen_enforcement_shadow_packets_total",
					   COUNTER, "Shadow mode: packets by the would-be action." };
	static const struct fam fams[] = {
		{ "syn_throttled", "mxscreen_enforcement_syn_throttled_total", COUNTER,
		  "SYNs dropped by a throttle token bucket." },
		{ "syn_admitted", "mxscreen_enforcement_syn_admitted_total", COUNTER,
		  "SYNs a throttled address was allowed." },
		{ "static_allow", "mxscreen_enforcement_static_allow_total", COUNTER,
		  "Packets matching a static allow CIDR." },
		{ "static_deny", "mxscreen_enforcement_static_deny_total", COUNTER,
		  "Packets matching a static deny CIDR." },
		{ "expired", "mxscreen_enforcement_expired_total", COUNTER,
		  "Packets whose address had an expired verdict." },
		{ "parse_errors", "mxscreen_enforcement_parse_errors_total", COUNTER,
		  "Truncated or malformed packets (passed)." },
		{ "not_smtp", "mxscreen_enforcement_not_smtp_total", COUNTER,
		  "Packets not to an SMTP port (passed)." },
		{ "tc_marked", "mxscreen_enforcement_tc_marked_total", COUNTER,
		  "Packets the TC program marked." },
	};

	by_key(m, &packets, "action", ctl_jget(e, "packets"));
	by_key(m, &bytes, "action", ctl_jget(e, "bytes"));
	by_key(m, &shadow, "action", ctl_jget(e, "shadow"));
	plains(m, e, fams, sizeof(fams) / sizeof(fams[0]));
}

int ctl_prom_render(const struct ctl_jnode *stats, struct ctl_jw *out)
{
	struct prom m = { .w = out };

	if (!is_obj(stats))
		return -EINVAL;
	if (is_obj(ctl_jget(stats, "dataplane")))
		dataplane(&m, ctl_jget(stats, "dataplane"));
	if (is_obj(ctl_jget(stats, "control")))
		control(&m, ctl_jget(stats, "control"));
	if (is_obj(ctl_jget(stats, "enforcement")))
		enforcement(&m, ctl_jget(stats, "enforcement"));
	return ctl_jw_error(out);
}
