/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ctl_explain: the explain command of the control socket
 * (docs/control-protocol.md). Each explain gets its own ctl_lookup on the
 * daemon's DNS clients, fresh (cache bypassed) and in explain mode (TXT of
 * listing zones, forward addresses of every PTR name), so it runs every
 * lookup now while the daemon keeps serving; the answer goes out from the
 * lookup's done callback and the lookup is freed on the next tick. It
 * changes no verdict. Main thread only.
 */
#include <arpa/inet.h>
#include <string.h>

#include <mxscreen/verdict.h>

#include "ctl_vtab_file.h"
#include "mxscreend.h"

static const char *state_name(int s)
{
	switch (s) {
	case CTL_LIST_LISTED: return "listed";
	case CTL_LIST_NOT_LISTED: return "not_listed";
	case CTL_LIST_SKIPPED: return "disabled";
	default: return "error";
	}
}

static const char *fcrdns_name(int v)
{
	switch (v) {
	case CTL_FCRDNS_PASS: return "pass";
	case CTL_FCRDNS_FAIL: return "fail";
	case CTL_FCRDNS_NONE: return "no_ptr";
	default: return "error";
	}
}

/* The weights the decision took from reasons "PREFIX:ZONE" + @suffix. */
static int32_t zone_weight(const struct ctl_decision *k, const char *zone, const char *suffix)
{
	static const char *const prefixes[] = { "dnsbl:", "dnswl:", "rhsbl:" };
	int32_t sum = 0;

	for (size_t i = 0; i < k->n_reasons; i++)
		for (size_t p = 0; p < 3; p++) {
			size_t pl = strlen(prefixes[p]), zl = strlen(zone);

			if (!strncmp(k->reason[i], prefixes[p], pl) &&
			    !strncmp(k->reason[i] + pl, zone, zl) &&
			    !strcmp(k->reason[i] + pl + zl, suffix))
				sum += k->weight[i];
		}
	return sum;
}

/* An address list is a DNSWL when its sites carry negative weights. */
static const char *ip_kind(const struct ctl_conf *c, const char *zone)
{
	for (size_t i = 0; i < c->n_dnsbl; i++)
		if (!strcmp(c->dnsbl[i].zone, zone) && c->dnsbl[i].weight < 0)
			return "dnswl";
	return "dnsbl";
}

static void zone_json(struct ctl_jw *w, const char *zone, const char *kind, const char *query,
		      const struct ctl_zone_result *z, int32_t weight)
{
	char ip[INET_ADDRSTRLEN];

	ctl_jw_obj_open(w, NULL);
	ctl_jw_str(w, "zone", zone);
	ctl_jw_str(w, "kind", kind);
	ctl_jw_str(w, "query", query);
	ctl_jw_str(w, "state", state_name(z->state));
	ctl_jw_arr_open(w, "a");
	for (size_t i = 0; i < z->n_a; i++) {
		inet_ntop(AF_INET, z->a[i], ip, sizeof(ip));
		ctl_jw_str(w, NULL, ip);
	}
	ctl_jw_arr_close(w);
	if (z->txt[0])
		ctl_jw_str(w, "txt", z->txt);
	else
		ctl_jw_null(w, "txt");
	if (z->state == CTL_LIST_ERROR)
		ctl_jw_str(w, "error", z->error);
	else
		ctl_jw_null(w, "error");
	ctl_jw_i64(w, "weight", weight);
	ctl_jw_obj_close(w);
}

static void domain_zones(struct ctl_jw *w, const struct ctl_lookup_detail *det,
			 const struct ctl_zone_result *res, const char *domain, size_t dlen,
			 const char *kind, const char *suffix)
{
	char dom[MXS_NAME_MAX + 1], q[CTL_DNS_NAME_MAX + 2];

	if (!dlen)
		return;
	memcpy(dom, domain, dlen);
	dom[dlen] = '\0';
	for (size_t z = 0; z < det->n_rhsbl_zones; z++) {
		if (ctl_dns_domname(dom, det->rhsbl_zone_names[z], q, sizeof(q)) < 0)
			q[0] = '\0';
		zone_json(w, det->rhsbl_zone_names[z], kind, q, &res[z],
			  zone_weight(det->decision, det->rhsbl_zone_names[z], suffix));
	}
}

static void on_explained(void *ctx, const struct ctl_lookup_detail *det)
{
	struct mxd_explain *x = ctx;
	struct daemon *d = x->d;
	const struct mxs_observation *o = det->obs;
	const struct ctl_decision *k = det->decision;
	const struct ctl_vtab_entry *cur;
	uint64_t now = mxd_realtime_ns();
	char ip[INET6_ADDRSTRLEN], q[CTL_DNS_NAME_MAX + 2];
	struct ctl_jw w;

	if (x->finished)
		return;
	ctl_cmd_begin(&w, true, x->id);
	ctl_jw_str(&w, "addr", x->addr);
	ctl_jw_arr_open(&w, "zones");
	for (size_t z = 0; z < det->n_zones; z++) {
		if (ctl_dns_revname(o->family, o->client, det->zone_names[z], q, sizeof(q)) < 0)
			q[0] = '\0';
		zone_json(&w, det->zone_names[z], ip_kind(d->conf, det->zone_names[z]), q,
			  &det->zones[z], zone_weight(k, det->zone_names[z], ""));
	}
	domain_zones(&w, det, det->rhsbl_helo, o->helo, o->helo_len, "rhsbl_helo", "(helo)");
	domain_zones(&w, det, det->rhsbl_mail, o->mail_domain, o->mail_domain_len, "rhsbl_mail",
		     "(mail_from)");
	ctl_jw_arr_close(&w);
	ctl_jw_arr_open(&w, "ptr");
	for (size_t i = 0; i < det->n_ptr; i++) {
		ctl_jw_obj_open(&w, NULL);
		ctl_jw_str(&w, "name", det->ptr[i]);
		ctl_jw_arr_open(&w, "forward");
		for (size_t a = 0; det->n_fwd && a < det->n_fwd[i]; a++) {
			inet_ntop(o->family == 4 ? AF_INET : AF_INET6, det->fwd[i][a], ip, sizeof(ip));
			ctl_jw_str(&w, NULL, ip);
		}
		ctl_jw_arr_close(&w);
		ctl_jw_bool(&w, "confirmed", det->confirmed && det->confirmed[i]);
		ctl_jw_obj_close(&w);
	}
	ctl_jw_arr_close(&w);
	ctl_jw_str(&w, "fcrdns", fcrdns_name(det->evidence->fcrdns));
	ctl_jw_str(&w, "ptr_error", det->ptr_error);
	ctl_jw_arr_open(&w, "weights");
	for (size_t i = 0; i < k->n_reasons; i++) {
		ctl_jw_obj_open(&w, NULL);
		ctl_jw_str(&w, "reason", k->reason[i]);
		ctl_jw_i64(&w, "weight", k->weight[i]);
		ctl_jw_obj_close(&w);
	}
	ctl_jw_arr_close(&w);
	ctl_jw_i64(&w, "score", k->score);
	ctl_jw_str(&w, "action", mxs_action_name(k->action));
	ctl_jw_str(&w, "would_be", mxs_action_name(k->would_be));
	ctl_jw_bool(&w, "shadow", k->shadow);
	ctl_jw_obj_open(&w, "thresholds");
	ctl_jw_i64(&w, "tag", d->conf->score_tag);
	ctl_jw_i64(&w, "throttle", d->conf->score_throttle);
	ctl_jw_i64(&w, "drop", d->conf->score_drop);
	ctl_jw_obj_close(&w);
	cur = ctl_vtab_match(d->vtab, o->family, o->client, now);
	if (cur) {
		char key[64];

		ctl_vtab_fmt_key(key, sizeof(key), cur->v.family, cur->v.prefix_len, cur->v.addr);
		ctl_jw_obj_open(&w, "current");
		ctl_jw_str(&w, "addr", key);
		ctl_jw_str(&w, "action", mxs_action_name(cur->v.action));
		ctl_jw_i64(&w, "score", cur->v.score);
		ctl_jw_str(&w, "reason", cur->reason);
		ctl_jw_str(&w, "source", cur->source == CTL_VTAB_MANUAL ? "manual" : "policy");
		ctl_jw_obj_close(&w);
	} else {
		ctl_jw_null(&w, "current");
	}
	ctl_jw_obj_close(&w);
	ctl_jw_raw(&w, "\n", 1);
	if (ctl_jw_error(&w)) {
		static const char big[] = "{\"ok\":false,\"status\":\"failed\",\"error\":\"response too large\"}\n";

		ctl_csock_reply(d->csock, x->client, big, sizeof(big) - 1);
	} else {
		ctl_csock_reply(d->csock, x->client, w.buf, w.len);
	}
	ctl_jw_free(&w);
	x->finished = 1;
}

int ctl_cmd_explain(struct daemon *d, uint64_t client, const struct ctl_jnode *req)
{
	const char *addr = ctl_jget_str(req, "addr", NULL);
	const char *helo = ctl_jget_str(req, "helo", "");
	const char *mail = ctl_jget_str(req, "mail_from", "");
	const char *at, *dom;
	struct mxs_observation o = { 0 };
	struct ctl_lookup_params lp = {
		.conf = d->conf, .dns = d->dns, .list_dns = d->list_dns, .local = d->zones,
		.done = on_explained, .fresh = 1, .explain = 1,
	};
	struct mxd_explain *x = NULL;
	size_t dl;

	if (!addr)
		return ctl_cmd_fail(d, client, req, "bad_request", "addr: missing (an address)");
	if (inet_pton(AF_INET, addr, o.client) == 1)
		o.family = 4;
	else if (inet_pton(AF_INET6, addr, o.client) == 1)
		o.family = 6;
	else
		return ctl_cmd_fail(d, client, req, "bad_request", "addr: not an IPv4 or IPv6 address");
	if (strlen(helo) > MXS_NAME_MAX)
		return ctl_cmd_fail(d, client, req, "bad_request", "helo: longer than 255 bytes");
	/* MAIL FROM: the domain after the last @, without a closing '>' */
	at = strrchr(mail, '@');
	dom = at ? at + 1 : "";
	dl = strcspn(dom, ">");
	if (dl > MXS_NAME_MAX)
		return ctl_cmd_fail(d, client, req, "bad_request", "mail_from: domain longer than 255 bytes");
	if (mail[0] && !at)
		return ctl_cmd_fail(d, client, req, "bad_request", "mail_from: not an address (local@domain)");
	for (size_t i = 0; i < MXD_MAX_EXPLAINS; i++)
		if (!d->explains[i].client) {
			x = &d->explains[i];
			break;
		}
	if (!x)
		return ctl_cmd_fail(d, client, req, "failed", "too many explains in progress, try again");
	o.ts_ns = mxd_realtime_ns();
	o.helo_len = (uint8_t)strlen(helo);
	memcpy(o.helo, helo, o.helo_len);
	o.mail_domain_len = (uint8_t)dl;
	memcpy(o.mail_domain, dom, dl);
	memset(x, 0, sizeof(*x));
	x->d = d;
	snprintf(x->addr, sizeof(x->addr), "%s", addr);
	lp.ctx = x;
	x->client = client;
	ctl_cmd_id(req, x->id, sizeof(x->id));
	x->lookup = ctl_lookup_create(&lp);
	if (!x->lookup || ctl_lookup_submit(x->lookup, &o) < 0) {
		ctl_lookup_free(x->lookup);
		memset(x, 0, sizeof(*x));
		return ctl_cmd_fail(d, client, req, "failed", "out of memory");
	}
	return 1;
}

void ctl_cmd_abort(struct daemon *d, const char *why)
{
	for (size_t i = 0; i < MXD_MAX_EXPLAINS; i++) {
		struct mxd_explain *x = &d->explains[i];

		if (!x->client)
			continue;
		if (!x->finished) {
			struct ctl_jw w;

			x->finished = 1;
			ctl_cmd_begin(&w, false, x->id);
			ctl_jw_str(&w, "status", "failed");
			ctl_jw_str(&w, "error", why);
			ctl_jw_obj_close(&w);
			ctl_jw_raw(&w, "\n", 1);
			ctl_csock_reply(d->csock, x->client, w.buf, w.len);
			ctl_jw_free(&w);
		}
		ctl_lookup_close(x->lookup);
		ctl_lookup_free(x->lookup);
		memset(x, 0, sizeof(*x));
	}
}
