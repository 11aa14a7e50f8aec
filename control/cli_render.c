/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * cli_render: mxscreenctl's renderers of the daemon's answers (see
 * cli_render.h). Each walks the response object and makes one sequence of
 * cli_print calls; members a renderer does not know go through rest(), so
 * -j shows all the daemon said and a newer daemon's additions still show
 * in text. Single-threaded; no state.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "cli_render.h"

/* The response envelope, never rendered as data. */
static const char *const envelope[] = { "ok", "id", "status", "error", NULL };

static bool in_list(const char *k, const char *const *list)
{
	for (; list && *list; list++)
		if (!strcmp(k, *list))
			return true;
	return false;
}

/*
 * Members of @o that are not in @known (nor the envelope's ok, id,
 * status, error), generically: what a newer daemon adds still shows.
 * Inside table rows JSON only, so the columns stay the renderer's.
 */
static void rest(struct cli_print *p, const struct ctl_jnode *o, const char *const *known,
		 bool json_only)
{
	if (!o || o->type != CTL_J_OBJ)
		return;
	if (json_only)
		cp_only(p, CP_JSON);
	for (const struct ctl_jnode *m = o->child; m; m = m->next)
		if (!in_list(m->key, known) && !in_list(m->key, envelope))
			cp_node(p, m->key, m);
	if (json_only)
		cp_only(p, CP_ANY);
}

static void json_only_node(struct cli_print *p, const char *key, const struct ctl_jnode *n)
{
	cp_only(p, CP_JSON);
	cp_node(p, key, n);
	cp_only(p, CP_ANY);
}

/* The action, in text with what the policy would do when that differs. */
static void action_cell(struct cli_print *p, const struct ctl_jnode *v)
{
	const char *a = ctl_jget_str(v, "action", NULL), *wb = ctl_jget_str(v, "would_be", NULL);
	char buf[64];

	cp_only(p, CP_JSON);
	cp_node(p, "action", ctl_jget(v, "action"));
	cp_only(p, CP_TEXT);
	if (a && wb && strcmp(a, wb)) {
		snprintf(buf, sizeof(buf), "%s (would %s)", a, wb);
		cp_str(p, "action", "%s", buf);
	} else {
		cp_node(p, "action", ctl_jget(v, "action"));
	}
	cp_only(p, CP_ANY);
}

static const char *const verdict_members[] = {
	"addr", "action", "would_be", "shadow", "score", "reasons", "reason", "source",
	"created_unix", "updated_unix", "updates", "expires_unix", "ttl_s", NULL,
};

/* A verdict object as a block: member @key, its header left out in text
 * when @label is "" (the block is the whole answer). */
static void verdict_block(struct cli_print *p, const char *key, const char *label,
			  const struct ctl_jnode *v)
{
	if (!v || v->type != CTL_J_OBJ) {
		if (label)
			cp_label(p, label);
		cp_node(p, key, v);
		return;
	}
	if (label)
		cp_label(p, label);
	cp_open_obj(p, key);
	cp_node(p, "addr", ctl_jget(v, "addr"));
	cp_node(p, "action", ctl_jget(v, "action"));
	cp_node(p, "would_be", ctl_jget(v, "would_be"));
	cp_node(p, "shadow", ctl_jget(v, "shadow"));
	cp_node(p, "score", ctl_jget(v, "score"));
	cp_node(p, "reasons", ctl_jget(v, "reasons"));
	cp_node(p, "reason", ctl_jget(v, "reason"));
	cp_node(p, "source", ctl_jget(v, "source"));
	cp_label(p, "created");
	cp_time(p, "created_unix", ctl_jget(v, "created_unix"));
	cp_label(p, "updated");
	cp_time(p, "updated_unix", ctl_jget(v, "updated_unix"));
	cp_node(p, "updates", ctl_jget(v, "updates"));
	cp_label(p, "expires");
	cp_time(p, "expires_unix", ctl_jget(v, "expires_unix"));
	cp_label(p, "ttl");
	cp_dur(p, "ttl_s", ctl_jget(v, "ttl_s"));
	rest(p, v, verdict_members, false);
	cp_close_obj(p);
}

static void verdict_row(struct cli_print *p, const struct ctl_jnode *v)
{
	cp_row_begin(p);
	cp_node(p, "addr", ctl_jget(v, "addr"));
	action_cell(p, v);
	json_only_node(p, "would_be", ctl_jget(v, "would_be"));
	json_only_node(p, "shadow", ctl_jget(v, "shadow"));
	cp_node(p, "score", ctl_jget(v, "score"));
	cp_node(p, "source", ctl_jget(v, "source"));
	cp_label(p, "ttl");
	cp_dur(p, "ttl_s", ctl_jget(v, "ttl_s"));
	cp_node(p, "reason", ctl_jget(v, "reason"));
	json_only_node(p, "reasons", ctl_jget(v, "reasons"));
	json_only_node(p, "created_unix", ctl_jget(v, "created_unix"));
	json_only_node(p, "updated_unix", ctl_jget(v, "updated_unix"));
	json_only_node(p, "updates", ctl_jget(v, "updates"));
	json_only_node(p, "expires_unix", ctl_jget(v, "expires_unix"));
	rest(p, v, verdict_members, true);
	cp_row_end(p);
}

static bool is_arr(const struct ctl_jnode *n)
{
	return n && n->type == CTL_J_ARR;
}

static bool is_obj(const struct ctl_jnode *n)
{
	return n && n->type == CTL_J_OBJ;
}

void cli_render_verdict_list(struct cli_print *p, const struct ctl_jnode *r)
{
	static const char *const known[] = { "total", "verdicts", NULL };
	const struct ctl_jnode *vs = ctl_jget(r, "verdicts");

	cp_open_obj(p, NULL);
	cp_node(p, "total", ctl_jget(r, "total"));
	if (is_arr(vs)) {
		cp_label(p, "");
		cp_table_begin(p, "verdicts");
		for (const struct ctl_jnode *v = vs->child; v; v = v->next)
			verdict_row(p, v);
		cp_table_end(p);
	} else {
		cp_node(p, "verdicts", vs);
	}
	rest(p, r, known, false);
	cp_close_obj(p);
}

void cli_render_verdict(struct cli_print *p, const struct ctl_jnode *r)
{
	static const char *const known[] = { "verdict", NULL };

	cp_open_obj(p, NULL);
	verdict_block(p, "verdict", "", ctl_jget(r, "verdict"));
	rest(p, r, known, false);
	cp_close_obj(p);
}

void cli_render_removed(struct cli_print *p, const struct ctl_jnode *r)
{
	static const char *const known[] = { "removed", NULL };
	const struct ctl_jnode *v = ctl_jget(r, "removed");

	cp_open_obj(p, NULL);
	if (is_obj(v))
		verdict_block(p, "removed", NULL, v);
	else
		cp_node(p, "removed", v);
	rest(p, r, known, false);
	cp_close_obj(p);
}

/* {ACTION: N} objects as one text table ACTION | COL1 | COL2 ..., each
 * object as it is in JSON. */
static void by_action_table(struct cli_print *p, const char *title, const char *const *keys,
			    const char *const *cols, size_t n, const struct ctl_jnode *o)
{
	static const char *const actions[] = { "none", "pass", "tag", "throttle", "drop" };
	bool any = false;

	for (size_t i = 0; i < n; i++)
		any |= is_obj(ctl_jget(o, keys[i]));
	if (!any)
		return;
	for (size_t i = 0; i < n; i++)
		json_only_node(p, keys[i], ctl_jget(o, keys[i]));
	cp_only(p, CP_TEXT);
	cp_label(p, title);
	cp_table_begin(p, title);
	for (size_t a = 0; a < sizeof(actions) / sizeof(actions[0]); a++) {
		bool have = false;

		for (size_t i = 0; i < n; i++)
			have |= ctl_jget(ctl_jget(o, keys[i]), actions[a]) != NULL;
		if (!have)
			continue;
		cp_row_begin(p);
		cp_str(p, "action", "%s", actions[a]);
		for (size_t i = 0; i < n; i++) {
			cp_label(p, cols[i]);
			cp_node(p, keys[i], ctl_jget(ctl_jget(o, keys[i]), actions[a]));
		}
		cp_row_end(p);
	}
	cp_table_end(p);
	cp_only(p, CP_ANY);
}

/* A section that may be null: text says why. */
static bool section_absent(struct cli_print *p, const char *key, const struct ctl_jnode *n,
			   const char *why)
{
	if (is_obj(n))
		return false;
	if (!n)
		return true;
	cp_only(p, CP_JSON);
	cp_node(p, key, n);
	cp_only(p, CP_TEXT);
	cp_str(p, key, "%s", why);
	cp_only(p, CP_ANY);
	return true;
}

static void stats_dataplane(struct cli_print *p, const struct ctl_jnode *dp)
{
	static const char *const known[] = { "anomalies", "top_rules", NULL };
	const struct ctl_jnode *an;

	if (section_absent(p, "dataplane", dp, "none (no dataplane has sent its counters)"))
		return;
	cp_open_obj(p, "dataplane");
	for (const struct ctl_jnode *m = dp->child; m; m = m->next)
		if (!in_list(m->key, known))
			cp_node(p, m->key, m);
	an = ctl_jget(dp, "anomalies");
	json_only_node(p, "anomalies", an);
	if (is_obj(an)) {
		/* Text: the ones seen, most first. */
		const struct ctl_jnode *seen[256];
		size_t n = 0;

		for (const struct ctl_jnode *m = an->child; m && n < 256; m = m->next)
			if (m->type == CTL_J_NUM && m->d > 0)
				seen[n++] = m;
		for (size_t i = 1; i < n; i++)
			for (size_t j = i; j > 0 && seen[j]->d > seen[j - 1]->d; j--) {
				const struct ctl_jnode *t = seen[j];

				seen[j] = seen[j - 1];
				seen[j - 1] = t;
			}
		cp_only(p, CP_TEXT);
		if (!n) {
			cp_str(p, "anomalies", "%s", "none");
		} else {
			cp_open_obj(p, "anomalies");
			for (size_t i = 0; i < n; i++)
				cp_node(p, seen[i]->key, seen[i]);
			cp_close_obj(p);
		}
		cp_only(p, CP_ANY);
	}
	cp_node(p, "top_rules", ctl_jget(dp, "top_rules"));
	cp_close_obj(p);
}

static void stats_zones(struct cli_print *p, const struct ctl_jnode *zs)
{
	static const char *const known[] = { "zone", "kind", "local", "enabled", "listed",
					     "not_listed", "error", "timeout", NULL };
	static const char *const counts[] = { "listed", "not_listed", "error", "timeout" };

	if (!is_arr(zs)) {
		cp_node(p, "zones", zs);
		return;
	}
	cp_table_begin(p, "zones");
	for (const struct ctl_jnode *z = zs->child; z; z = z->next) {
		cp_row_begin(p);
		cp_node(p, "zone", ctl_jget(z, "zone"));
		cp_node(p, "kind", ctl_jget(z, "kind"));
		cp_node(p, "local", ctl_jget(z, "local"));
		cp_label(p, "on");
		cp_node(p, "enabled", ctl_jget(z, "enabled"));
		for (size_t i = 0; i < sizeof(counts) / sizeof(counts[0]); i++)
			cp_node(p, counts[i], ctl_jget(z, counts[i]));
		rest(p, z, known, true);
		cp_row_end(p);
	}
	cp_table_end(p);
}

static void stats_latency(struct cli_print *p, const struct ctl_jnode *l)
{
	static const char *const known[] = { "count", "sum_s", "p50_ms", "p90_ms", "p99_ms",
					     "buckets", NULL };

	if (!is_obj(l)) {
		cp_node(p, "latency", l);
		return;
	}
	cp_open_obj(p, "latency");
	cp_node(p, "count", ctl_jget(l, "count"));
	json_only_node(p, "sum_s", ctl_jget(l, "sum_s"));
	cp_label(p, "p50");
	cp_ms(p, "p50_ms", ctl_jget(l, "p50_ms"));
	cp_label(p, "p90");
	cp_ms(p, "p90_ms", ctl_jget(l, "p90_ms"));
	cp_label(p, "p99");
	cp_ms(p, "p99_ms", ctl_jget(l, "p99_ms"));
	json_only_node(p, "buckets", ctl_jget(l, "buckets"));
	rest(p, l, known, false);
	cp_close_obj(p);
}

static void stats_control(struct cli_print *p, const struct ctl_jnode *c)
{
	static const char *const known[] = { "uptime_s", "zones", "verdicts_issued",
					     "verdicts_current", "latency", "lookups", "dns",
					     "health", NULL };
	static const char *const vkeys[] = { "verdicts_issued", "verdicts_current" };
	static const char *const vcols[] = { "issued", "current" };

	if (section_absent(p, "control", c, "none"))
		return;
	cp_open_obj(p, "control");
	cp_label(p, "uptime");
	cp_dur(p, "uptime_s", ctl_jget(c, "uptime_s"));
	for (const struct ctl_jnode *m = c->child; m; m = m->next)
		if (!in_list(m->key, known))
			cp_node(p, m->key, m);
	cp_node(p, "lookups", ctl_jget(c, "lookups"));
	stats_zones(p, ctl_jget(c, "zones"));
	cp_node(p, "health", ctl_jget(c, "health"));
	cp_node(p, "dns", ctl_jget(c, "dns"));
	by_action_table(p, "verdicts", vkeys, vcols, 2, c);
	stats_latency(p, ctl_jget(c, "latency"));
	cp_close_obj(p);
}

static void stats_enforcement(struct cli_print *p, const struct ctl_jnode *r)
{
	static const char *const known[] = { "pin_dir", "packets", "bytes", "shadow", NULL };
	static const char *const keys[] = { "packets", "bytes", "shadow" };
	static const char *const cols[] = { "packets", "bytes", "shadow" };
	const struct ctl_jnode *e = ctl_jget(r, "enforcement");
	char why[600];

	snprintf(why, sizeof(why), "none (%s)",
		 ctl_jget_str(r, "enforcement_error", "not pinned"));
	if (section_absent(p, "enforcement", e, why)) {
		json_only_node(p, "enforcement_error", ctl_jget(r, "enforcement_error"));
		return;
	}
	cp_open_obj(p, "enforcement");
	cp_node(p, "pin_dir", ctl_jget(e, "pin_dir"));
	by_action_table(p, "by action", keys, cols, 3, e);
	for (const struct ctl_jnode *m = e->child; m; m = m->next)
		if (!in_list(m->key, known))
			cp_node(p, m->key, m);
	cp_close_obj(p);
}

void cli_render_stats(struct cli_print *p, const struct ctl_jnode *r)
{
	static const char *const known[] = { "dataplane", "control", "enforcement",
					     "enforcement_error", NULL };

	cp_open_obj(p, NULL);
	stats_dataplane(p, ctl_jget(r, "dataplane"));
	stats_control(p, ctl_jget(r, "control"));
	stats_enforcement(p, r);
	rest(p, r, known, false);
	cp_close_obj(p);
}

void cli_render_explain(struct cli_print *p, const struct ctl_jnode *r)
{
	static const char *const known[] = { "addr", "zones", "ptr", "weights", "current", NULL };
	static const char *const zone_known[] = { "zone", "kind", "query", "state", "a", "txt",
						  "error", "weight", NULL };
	const struct ctl_jnode *zs = ctl_jget(r, "zones");

	cp_open_obj(p, NULL);
	cp_node(p, "addr", ctl_jget(r, "addr"));
	for (const struct ctl_jnode *m = r->child; m; m = m->next)
		if (!in_list(m->key, known) && !in_list(m->key, envelope))
			cp_node(p, m->key, m);
	if (is_arr(zs)) {
		cp_table_begin(p, "zones");
		for (const struct ctl_jnode *z = zs->child; z; z = z->next) {
			cp_row_begin(p);
			cp_node(p, "zone", ctl_jget(z, "zone"));
			cp_node(p, "kind", ctl_jget(z, "kind"));
			cp_node(p, "state", ctl_jget(z, "state"));
			cp_node(p, "weight", ctl_jget(z, "weight"));
			cp_node(p, "a", ctl_jget(z, "a"));
			cp_node(p, "txt", ctl_jget(z, "txt"));
			cp_node(p, "error", ctl_jget(z, "error"));
			json_only_node(p, "query", ctl_jget(z, "query"));
			rest(p, z, zone_known, true);
			cp_row_end(p);
		}
		cp_table_end(p);
	} else {
		cp_node(p, "zones", zs);
	}
	cp_node(p, "ptr", ctl_jget(r, "ptr"));
	cp_node(p, "weights", ctl_jget(r, "weights"));
	if (is_obj(ctl_jget(r, "current")))
		verdict_block(p, "current", NULL, ctl_jget(r, "current"));
	else if (ctl_jget(r, "current")) {
		cp_only(p, CP_JSON);
		cp_node(p, "current", ctl_jget(r, "current"));
		cp_only(p, CP_TEXT);
		cp_str(p, "current", "%s", "none");
		cp_only(p, CP_ANY);
	}
	cp_close_obj(p);
}

void cli_render_top(struct cli_print *p, const struct ctl_jnode *r)
{
	static const char *const known[] = { "by", "addresses", NULL };
	static const char *const row_known[] = { "addr", "action", "score", "hits", "reason",
						 "source", "ttl_s", NULL };
	const struct ctl_jnode *as = ctl_jget(r, "addresses");

	cp_open_obj(p, NULL);
	cp_node(p, "by", ctl_jget(r, "by"));
	if (is_arr(as)) {
		cp_label(p, "");
		cp_table_begin(p, "addresses");
		for (const struct ctl_jnode *a = as->child; a; a = a->next) {
			cp_row_begin(p);
			cp_node(p, "addr", ctl_jget(a, "addr"));
			cp_node(p, "action", ctl_jget(a, "action"));
			cp_node(p, "score", ctl_jget(a, "score"));
			cp_node(p, "hits", ctl_jget(a, "hits"));
			cp_node(p, "source", ctl_jget(a, "source"));
			cp_label(p, "ttl");
			cp_dur(p, "ttl_s", ctl_jget(a, "ttl_s"));
			cp_node(p, "reason", ctl_jget(a, "reason"));
			rest(p, a, row_known, true);
			cp_row_end(p);
		}
		cp_table_end(p);
	} else {
		cp_node(p, "addresses", as);
	}
	rest(p, r, known, false);
	cp_close_obj(p);
}

/* Everything generically, in the daemon's order (rules, version, flush). */
void cli_render_generic(struct cli_print *p, const struct ctl_jnode *r)
{
	cp_open_obj(p, NULL);
	rest(p, r, NULL, false);
	cp_close_obj(p);
}

void cli_render_version(struct cli_print *p, const struct ctl_jnode *r)
{
	cp_open_obj(p, NULL);
	cp_str(p, "client_version", "%s", MXS_VERSION);
	if (r)
		rest(p, r, NULL, false);
	cp_close_obj(p);
}

bool cli_render_has_data(const struct ctl_jnode *r)
{
	for (const struct ctl_jnode *m = r->child; m; m = m->next)
		if (!in_list(m->key, envelope))
			return true;
	return false;
}
