/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ctl_cmd: the commands of mxscreend's control socket
 * (docs/control-protocol.md): one JSON request line in, one JSON response
 * line out. verdict.* work on the daemon's verdict table (ctl_vtab) and
 * push every change to the sinks (BPF maps, dataplane mirrors) the way
 * policy verdicts go; manual verdicts are saved to manual_verdicts before
 * they are applied, so a failure leaves nothing half done. explain and
 * rules.reload answer later (their client reads nothing else meanwhile);
 * everything else answers at once. Main thread only.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <mxscreen/field.h>
#include <mxscreen/verdict.h>

#include "ctl_pins.h"
#include "ctl_vtab_file.h"
#include "mxscreend.h"

#define REPLY_MAX (64u << 20)
#define LIST_MAX 100000
#define PINS_MAX 65536

/* ---- replies ---- */

void ctl_cmd_id(const struct ctl_jnode *req, char *buf, size_t len)
{
	const struct ctl_jnode *id = ctl_jget(req, "id");
	struct ctl_jw w;

	buf[0] = '\0';
	if (!id)
		return;
	ctl_jw_init(&w, len);
	/* Numbers and strings as they were; anything else as null. */
	if (id->type == CTL_J_STR)
		ctl_jw_strn(&w, NULL, id->s, id->len);
	else if (id->type == CTL_J_NUM && id->is_int)
		ctl_jw_i64(&w, NULL, id->i);
	else if (id->type == CTL_J_NUM)
		ctl_jw_dbl(&w, NULL, id->d);
	else
		ctl_jw_null(&w, NULL);
	snprintf(buf, len, "%s", ctl_jw_error(&w) || !w.buf ? "null" : w.buf);
	ctl_jw_free(&w);
}

void ctl_cmd_begin(struct ctl_jw *w, bool ok, const char *id)
{
	ctl_jw_init(w, REPLY_MAX);
	ctl_jw_obj_open(w, NULL);
	ctl_jw_bool(w, "ok", ok);
	if (id && id[0])
		ctl_jw_json(w, "id", id);
}

static void begin(struct ctl_jw *w, const struct ctl_jnode *req, bool ok)
{
	char id[CTL_CMD_ID_MAX];

	ctl_cmd_id(req, id, sizeof(id));
	ctl_cmd_begin(w, ok, id);
}

static void finish(struct daemon *d, uint64_t client, struct ctl_jw *w)
{
	static const char overflow[] =
		"{\"ok\":false,\"status\":\"failed\",\"error\":\"response too large\"}\n";

	ctl_jw_obj_close(w);
	ctl_jw_raw(w, "\n", 1);
	if (ctl_jw_error(w))
		ctl_csock_reply(d->csock, client, overflow, sizeof(overflow) - 1);
	else
		ctl_csock_reply(d->csock, client, w->buf, w->len);
	ctl_jw_free(w);
}

int ctl_cmd_fail(struct daemon *d, uint64_t client, const struct ctl_jnode *req,
		 const char *status, const char *fmt, ...)
{
	struct ctl_jw w;
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	begin(&w, req, false);
	ctl_jw_str(&w, "status", status);
	ctl_jw_str(&w, "error", msg);
	finish(d, client, &w);
	return 0;
}

/* ---- values ---- */

static int action_of(const char *s)
{
	for (unsigned a = 0; a < MXS_ACTION_COUNT; a++)
		if (!strcmp(mxs_action_name(a), s))
			return (int)a;
	return -1;
}

/* Optional "action" member: -1 (absent: any), an action, or -2 (bad). */
static int opt_action(const struct ctl_jnode *req)
{
	const char *s = ctl_jget_str(req, "action", NULL);
	int a;

	if (!ctl_jget(req, "action"))
		return -1;
	if (!s)
		return -2;
	a = action_of(s);
	return a <= 0 ? -2 : a;
}

static int64_t opt_limit(const struct ctl_jnode *req, int64_t def)
{
	const struct ctl_jnode *n = ctl_jget(req, "limit");

	if (!n)
		return def;
	if (n->type != CTL_J_NUM || !n->is_int || n->i < 1 || n->i > LIST_MAX)
		return -1;
	return n->i;
}

static void reasons_json(struct ctl_jw *w, uint32_t bits)
{
	ctl_jw_arr_open(w, "reasons");
	for (unsigned r = 0; r < MXS_REASON_COUNT; r++)
		if (bits & (1u << r))
			ctl_jw_str(w, NULL, mxs_reason_name(r));
	ctl_jw_arr_close(w);
}

static void verdict_json(struct ctl_jw *w, const char *key, const struct ctl_vtab_entry *e,
			 uint64_t now)
{
	char k[64];

	ctl_vtab_fmt_key(k, sizeof(k), e->v.family, e->v.prefix_len, e->v.addr);
	ctl_jw_obj_open(w, key);
	ctl_jw_str(w, "addr", k);
	ctl_jw_str(w, "action", mxs_action_name(e->v.action));
	ctl_jw_str(w, "would_be", mxs_action_name(e->v.would_be) ? mxs_action_name(e->v.would_be) : "none");
	ctl_jw_bool(w, "shadow", e->v.shadow);
	ctl_jw_i64(w, "score", e->v.score);
	reasons_json(w, e->v.reasons);
	ctl_jw_str(w, "reason", e->reason);
	ctl_jw_str(w, "source", e->source == CTL_VTAB_MANUAL ? "manual" : "policy");
	ctl_jw_u64(w, "created_unix", e->created_ns / 1000000000ull);
	ctl_jw_u64(w, "updated_unix", e->updated_ns / 1000000000ull);
	ctl_jw_u64(w, "updates", e->updates);
	if (e->v.expiry_ns == UINT64_MAX) {
		ctl_jw_null(w, "expires_unix");
		ctl_jw_null(w, "ttl_s");
	} else {
		ctl_jw_u64(w, "expires_unix", e->v.expiry_ns / 1000000000ull);
		ctl_jw_u64(w, "ttl_s", e->v.expiry_ns > now ? (e->v.expiry_ns - now) / 1000000000ull : 0);
	}
	ctl_jw_obj_close(w);
}

/* The key of the request's "addr": 0, or a reply already sent (-1). */
static int req_key(struct daemon *d, uint64_t client, const struct ctl_jnode *req,
		   int *family, int *plen, uint8_t addr[16])
{
	const char *s = ctl_jget_str(req, "addr", NULL);
	char err[256];

	if (!s) {
		ctl_cmd_fail(d, client, req, "bad_request", "addr: missing (an address or CIDR)");
		return -1;
	}
	if (ctl_vtab_parse_key(s, family, plen, addr, err, sizeof(err)) < 0) {
		ctl_cmd_fail(d, client, req, "bad_request", "addr: %s", err);
		return -1;
	}
	return 0;
}

static int is_host_key(int family, int plen)
{
	return plen == (family == 4 ? 32 : 128);
}

/* Keep manual_verdicts in step; 0 or -errno with @err. */
static int save_manual(struct daemon *d, char *err, size_t errlen)
{
	if (!d->conf->manual_verdicts[0])
		return 0;
	return ctl_vtab_save(d->vtab, d->conf->manual_verdicts, err, errlen);
}

static void sink_delete(struct daemon *d, const struct mxs_verdict *key)
{
	struct mxs_verdict v = { .family = key->family, .prefix_len = key->prefix_len,
				 .action = MXS_ACTION_NONE };

	memcpy(v.addr, key->addr, sizeof(v.addr));
	mxd_sink(d, &v, 1);
}

/* ---- verdict.* ---- */

static int by_score(const void *a, const void *b)
{
	const struct ctl_vtab_entry *x = *(const struct ctl_vtab_entry *const *)a;
	const struct ctl_vtab_entry *y = *(const struct ctl_vtab_entry *const *)b;

	if (x->v.score != y->v.score)
		return x->v.score > y->v.score ? -1 : 1;
	return x->updated_ns > y->updated_ns ? -1 : x->updated_ns < y->updated_ns;
}

static int cmd_list(struct daemon *d, uint64_t client, const struct ctl_jnode *req)
{
	int action = opt_action(req), source = -1;
	const char *src = ctl_jget_str(req, "source", NULL);
	int64_t limit = opt_limit(req, 100);
	uint64_t now = mxd_realtime_ns();
	const struct ctl_vtab_entry **v;
	size_t total, n;
	struct ctl_jw w;

	if (action == -2)
		return ctl_cmd_fail(d, client, req, "bad_request", "action: pass, tag, throttle or drop");
	if (limit < 0)
		return ctl_cmd_fail(d, client, req, "bad_request", "limit: a number from 1 to %d", LIST_MAX);
	if (src && !strcmp(src, "manual"))
		source = CTL_VTAB_MANUAL;
	else if (src && !strcmp(src, "policy"))
		source = CTL_VTAB_POLICY;
	else if (src || ctl_jget(req, "source"))
		return ctl_cmd_fail(d, client, req, "bad_request", "source: policy or manual");
	total = ctl_vtab_collect(d->vtab, action, source, now, NULL, 0);
	v = malloc((total ? total : 1) * sizeof(*v));
	if (!v)
		return ctl_cmd_fail(d, client, req, "failed", "out of memory");
	n = ctl_vtab_collect(d->vtab, action, source, now, v, total);
	if (n > total)
		n = total;
	qsort(v, n, sizeof(*v), by_score);
	begin(&w, req, true);
	ctl_jw_u64(&w, "total", total);
	ctl_jw_arr_open(&w, "verdicts");
	for (size_t i = 0; i < n && i < (size_t)limit; i++)
		verdict_json(&w, NULL, v[i], now);
	ctl_jw_arr_close(&w);
	free(v);
	finish(d, client, &w);
	return 0;
}

static int cmd_get(struct daemon *d, uint64_t client, const struct ctl_jnode *req)
{
	int family, plen;
	uint8_t addr[16];
	uint64_t now = mxd_realtime_ns();
	const struct ctl_vtab_entry *e;
	struct ctl_jw w;

	if (req_key(d, client, req, &family, &plen, addr) < 0)
		return 0;
	e = is_host_key(family, plen) ? ctl_vtab_match(d->vtab, family, addr, now)
				      : ctl_vtab_get(d->vtab, family, plen, addr, now);
	if (!e)
		return ctl_cmd_fail(d, client, req, "not_found", "no verdict for %s",
			    ctl_jget_str(req, "addr", ""));
	begin(&w, req, true);
	verdict_json(&w, "verdict", e, now);
	finish(d, client, &w);
	return 0;
}

static int cmd_add(struct daemon *d, uint64_t client, const struct ctl_jnode *req)
{
	const char *as = ctl_jget_str(req, "action", NULL);
	const char *reason = ctl_jget_str(req, "reason", "");
	const struct ctl_jnode *ttl = ctl_jget(req, "ttl");
	uint64_t now = mxd_realtime_ns();
	struct ctl_vtab_entry e = { .source = CTL_VTAB_MANUAL }, old;
	const struct ctl_vtab_entry *cur;
	int family, plen, action, had_old, rc;
	char err[512];
	struct ctl_jw w;

	if (req_key(d, client, req, &family, &plen, e.v.addr) < 0)
		return 0;
	action = as ? action_of(as) : -1;
	if (action <= 0)
		return ctl_cmd_fail(d, client, req, "bad_request", "action: pass, tag, throttle or drop");
	if (ttl && (ttl->type != CTL_J_NUM || !ttl->is_int || ttl->i < 0 || ttl->i > 10 * 365 * 86400))
		return ctl_cmd_fail(d, client, req, "bad_request", "ttl: seconds, 0 to 315360000 (0: never expires)");
	if (strlen(reason) >= sizeof(e.reason))
		return ctl_cmd_fail(d, client, req, "bad_request", "reason: longer than %zu bytes",
			    sizeof(e.reason) - 1);
	e.v.family = (uint8_t)family;
	e.v.prefix_len = (uint8_t)plen;
	e.v.action = e.v.would_be = (uint8_t)action;
	e.v.reasons = MXS_REASON_BIT(MANUAL);
	e.v.ttl_s = ttl ? (uint32_t)ttl->i : 0;
	e.v.expiry_ns = e.v.ttl_s ? now + (uint64_t)e.v.ttl_s * 1000000000ull : UINT64_MAX;
	e.created_ns = e.updated_ns = now;
	snprintf(e.reason, sizeof(e.reason), "%s", reason);
	cur = ctl_vtab_get(d->vtab, family, plen, e.v.addr, now);
	had_old = cur != NULL;
	if (cur)
		old = *cur;
	rc = ctl_vtab_put(d->vtab, &e, now);
	if (rc == -ENOSPC)
		return ctl_cmd_fail(d, client, req, "failed", "the verdict table is full of manual verdicts");
	if (rc < 0)
		return ctl_cmd_fail(d, client, req, "bad_request", "%s: %s", ctl_jget_str(req, "addr", ""),
			    strerror(-rc));
	if (save_manual(d, err, sizeof(err)) < 0) {
		/* Undo: the table as it was, nothing applied. */
		ctl_vtab_del(d->vtab, family, plen, e.v.addr, NULL);
		if (had_old)
			ctl_vtab_put(d->vtab, &old, now);
		return ctl_cmd_fail(d, client, req, "failed", "not added: %s", err);
	}
	mxd_sink(d, &e.v, 1);
	begin(&w, req, true);
	verdict_json(&w, "verdict", ctl_vtab_get(d->vtab, family, plen, e.v.addr, now), now);
	finish(d, client, &w);
	return 0;
}

static int cmd_del(struct daemon *d, uint64_t client, const struct ctl_jnode *req)
{
	int family, plen;
	uint8_t addr[16];
	struct ctl_vtab_entry old;
	uint64_t now = mxd_realtime_ns();
	char err[512];
	struct ctl_jw w;

	if (req_key(d, client, req, &family, &plen, addr) < 0)
		return 0;
	if (!ctl_vtab_get(d->vtab, family, plen, addr, now) ||
	    ctl_vtab_del(d->vtab, family, plen, addr, &old) < 0)
		return ctl_cmd_fail(d, client, req, "not_found", "no verdict for %s",
			    ctl_jget_str(req, "addr", ""));
	if (old.source == CTL_VTAB_MANUAL && save_manual(d, err, sizeof(err)) < 0) {
		ctl_vtab_put(d->vtab, &old, now);
		return ctl_cmd_fail(d, client, req, "failed", "not removed: %s", err);
	}
	sink_delete(d, &old.v);
	begin(&w, req, true);
	verdict_json(&w, "removed", &old, now);
	finish(d, client, &w);
	return 0;
}

/* Pinned verdicts the table does not know (left by an earlier run). */
static size_t flush_pinned(struct daemon *d, int action)
{
	struct ctl_pins_verdict *pv;
	char err[256];
	ssize_t n;
	size_t removed = 0;

	if (!d->bpf)
		return 0;
	pv = malloc(PINS_MAX * sizeof(*pv));
	if (!pv)
		return 0;
	n = ctl_pins_verdicts(d->conf->bpf_pin_dir, action, pv, PINS_MAX, err, sizeof(err));
	for (ssize_t i = 0; i < n; i++) {
		struct mxs_verdict v = { .family = pv[i].key.family, .prefix_len = pv[i].key.prefix_len };

		memcpy(v.addr, pv[i].key.addr, sizeof(v.addr));
		sink_delete(d, &v);
		removed++;
	}
	free(pv);
	return removed;
}

static int cmd_flush(struct daemon *d, uint64_t client, const struct ctl_jnode *req)
{
	int action = opt_action(req);
	uint64_t now = mxd_realtime_ns();
	const struct ctl_vtab_entry **v;
	struct ctl_vtab_entry *gone;
	size_t n, removed = 0, manual = 0;
	char err[512];
	struct ctl_jw w;

	if (action == -2)
		return ctl_cmd_fail(d, client, req, "bad_request", "action: pass, tag, throttle or drop");
	n = ctl_vtab_collect(d->vtab, action, -1, now, NULL, 0);
	v = malloc((n ? n : 1) * sizeof(*v));
	gone = malloc((n ? n : 1) * sizeof(*gone));
	if (!v || !gone) {
		free(v);
		free(gone);
		return ctl_cmd_fail(d, client, req, "failed", "out of memory");
	}
	n = ctl_vtab_collect(d->vtab, action, -1, now, v, n);
	for (size_t i = 0; i < n; i++)
		gone[i] = *v[i];
	for (size_t i = 0; i < n; i++) {
		ctl_vtab_del(d->vtab, gone[i].v.family, gone[i].v.prefix_len, gone[i].v.addr, NULL);
		manual += gone[i].source == CTL_VTAB_MANUAL;
	}
	if (manual && save_manual(d, err, sizeof(err)) < 0) {
		for (size_t i = 0; i < n; i++)
			ctl_vtab_put(d->vtab, &gone[i], now);
		free(v);
		free(gone);
		return ctl_cmd_fail(d, client, req, "failed", "nothing removed: %s", err);
	}
	for (size_t i = 0; i < n; i++)
		sink_delete(d, &gone[i].v);
	removed = n + flush_pinned(d, action);
	free(v);
	free(gone);
	begin(&w, req, true);
	ctl_jw_u64(&w, "removed", removed);
	finish(d, client, &w);
	return 0;
}

/* ---- top ---- */

static int by_hits(const void *a, const void *b)
{
	const struct ctl_pins_verdict *x = a, *y = b;

	return x->v.hits > y->v.hits ? -1 : x->v.hits < y->v.hits;
}

static int cmd_top(struct daemon *d, uint64_t client, const struct ctl_jnode *req)
{
	const char *by = ctl_jget_str(req, "by", "score");
	int64_t limit = opt_limit(req, 20);
	uint64_t now = mxd_realtime_ns();
	struct ctl_jw w;

	if (limit < 0)
		return ctl_cmd_fail(d, client, req, "bad_request", "limit: a number from 1 to %d", LIST_MAX);
	if (!strcmp(by, "score")) {
		size_t total = ctl_vtab_collect(d->vtab, -1, -1, now, NULL, 0), n;
		const struct ctl_vtab_entry **v = malloc((total ? total : 1) * sizeof(*v));

		if (!v)
			return ctl_cmd_fail(d, client, req, "failed", "out of memory");
		n = ctl_vtab_collect(d->vtab, -1, -1, now, v, total);
		if (n > total)
			n = total;
		qsort(v, n, sizeof(*v), by_score);
		begin(&w, req, true);
		ctl_jw_str(&w, "by", by);
		ctl_jw_arr_open(&w, "addresses");
		for (size_t i = 0; i < n && i < (size_t)limit; i++) {
			char k[64];

			ctl_vtab_fmt_key(k, sizeof(k), v[i]->v.family, v[i]->v.prefix_len, v[i]->v.addr);
			ctl_jw_obj_open(&w, NULL);
			ctl_jw_str(&w, "addr", k);
			ctl_jw_str(&w, "action", mxs_action_name(v[i]->v.action));
			ctl_jw_i64(&w, "score", v[i]->v.score);
			ctl_jw_null(&w, "hits");
			ctl_jw_str(&w, "reason", v[i]->reason);
			ctl_jw_str(&w, "source", v[i]->source == CTL_VTAB_MANUAL ? "manual" : "policy");
			if (v[i]->v.expiry_ns == UINT64_MAX)
				ctl_jw_null(&w, "ttl_s");
			else
				ctl_jw_u64(&w, "ttl_s", v[i]->v.expiry_ns > now ?
					   (v[i]->v.expiry_ns - now) / 1000000000ull : 0);
			ctl_jw_obj_close(&w);
		}
		ctl_jw_arr_close(&w);
		free(v);
		finish(d, client, &w);
		return 0;
	}
	if (strcmp(by, "drops") && strcmp(by, "throttles"))
		return ctl_cmd_fail(d, client, req, "bad_request", "by: score, drops or throttles");
	{
		struct ctl_pins_verdict *pv = malloc(PINS_MAX * sizeof(*pv));
		int action = by[0] == 'd' ? MXS_ACTION_DROP : MXS_ACTION_THROTTLE;
		char err[256];
		ssize_t n;

		if (!pv)
			return ctl_cmd_fail(d, client, req, "failed", "out of memory");
		n = ctl_pins_verdicts(d->conf->bpf_pin_dir, action, pv, PINS_MAX, err, sizeof(err));
		if (n < 0) {
			free(pv);
			return ctl_cmd_fail(d, client, req, "failed", "%s", err);
		}
		qsort(pv, (size_t)n, sizeof(*pv), by_hits);
		begin(&w, req, true);
		ctl_jw_str(&w, "by", by);
		ctl_jw_arr_open(&w, "addresses");
		for (ssize_t i = 0; i < n && i < limit; i++) {
			const struct ctl_vtab_entry *e;
			char k[64];

			ctl_vtab_fmt_key(k, sizeof(k), pv[i].key.family, pv[i].key.prefix_len, pv[i].key.addr);
			e = ctl_vtab_get(d->vtab, pv[i].key.family, pv[i].key.prefix_len, pv[i].key.addr, now);
			ctl_jw_obj_open(&w, NULL);
			ctl_jw_str(&w, "addr", k);
			ctl_jw_str(&w, "action", mxs_action_name(pv[i].v.action));
			ctl_jw_i64(&w, "score", pv[i].v.score);
			ctl_jw_u64(&w, "hits", pv[i].v.hits);
			ctl_jw_str(&w, "reason", e ? e->reason : "");
			ctl_jw_str(&w, "source", e ? (e->source == CTL_VTAB_MANUAL ? "manual" : "policy") : "pinned");
			ctl_jw_obj_close(&w);
		}
		ctl_jw_arr_close(&w);
		free(pv);
		finish(d, client, &w);
	}
	return 0;
}

/* ---- rules ---- */

static int cmd_rules_reload(struct daemon *d, uint64_t client, const struct ctl_jnode *req)
{
	struct mxd_reload *r = NULL;
	const struct ctl_link_peer *peers[CTL_LINK_MAX_PEERS];
	size_t np;

	for (size_t i = 0; i < MXD_MAX_RELOADS; i++)
		if (!d->reloads[i].client) {
			r = &d->reloads[i];
			break;
		}
	if (!r)
		return ctl_cmd_fail(d, client, req, "failed", "%d reloads are already waiting", MXD_MAX_RELOADS);
	np = ctl_link_peers(d->link, peers, CTL_LINK_MAX_PEERS);
	memset(r, 0, sizeof(*r));
	/* Baselines first: a reload may finish before we look again. */
	for (size_t i = 0; i < np; i++) {
		r->ids[i] = peers[i]->id;
		r->base_ok[i] = peers[i]->stats.rules_reload_ok;
		r->base_failed[i] = peers[i]->stats.rules_reload_failed;
		r->base_snap[i] = peers[i]->snapshots;
	}
	r->n = np;
	if (!np || !ctl_link_reload(d->link, NULL, 0))
		return ctl_cmd_fail(d, client, req, "not_found", "no dataplane is connected");
	r->client = client;
	r->deadline_ms = mxd_mono_ms() + MXD_RELOAD_WAIT_MS;
	ctl_cmd_id(req, r->id, sizeof(r->id));
	return 1;
}

static const struct ctl_link_peer *peer_by_id(struct daemon *d, uint64_t id)
{
	const struct ctl_link_peer *peers[CTL_LINK_MAX_PEERS];
	size_t np = ctl_link_peers(d->link, peers, CTL_LINK_MAX_PEERS);

	for (size_t i = 0; i < np; i++)
		if (peers[i]->id == id)
			return peers[i];
	return NULL;
}

/* "ok", "failed", "no_rules", "gone", or NULL: not yet. */
static const char *reload_result(const struct mxd_reload *r, size_t i, const struct ctl_link_peer *p)
{
	if (!p)
		return "gone";
	if (p->stats.rules_reload_failed != r->base_failed[i])
		return "failed";
	if (p->stats.rules_reload_ok != r->base_ok[i])
		return "ok";
	if (p->snapshots > r->base_snap[i] && !p->stats.rules_loaded)
		return "no_rules";
	return NULL;
}

static void reload_answer(struct daemon *d, struct mxd_reload *r, int timed_out)
{
	struct ctl_jw w;
	int failed = 0;

	for (size_t i = 0; i < r->n; i++) {
		const char *res = reload_result(r, i, peer_by_id(d, r->ids[i]));

		failed |= !res || strcmp(res, "ok");
	}
	ctl_cmd_begin(&w, !failed, r->id);
	if (failed)
		ctl_jw_str(&w, "status", "failed");
	if (failed)
		ctl_jw_str(&w, "error", timed_out ? "not every dataplane reported back in time"
						  : "the rules did not reload everywhere");
	ctl_jw_arr_open(&w, "dataplanes");
	for (size_t i = 0; i < r->n; i++) {
		const struct ctl_link_peer *p = peer_by_id(d, r->ids[i]);
		const char *res = reload_result(r, i, p);

		ctl_jw_obj_open(&w, NULL);
		if (p)
			ctl_jw_u64(&w, "pid", p->stats.pid);
		else
			ctl_jw_null(&w, "pid");
		ctl_jw_str(&w, "result", res ? res : "timeout");
		ctl_jw_u64(&w, "rules_loaded", p ? p->stats.rules_loaded : 0);
		if (res && !strcmp(res, "failed"))
			ctl_jw_str(&w, "error", p->stats.reload_error);
		else
			ctl_jw_null(&w, "error");
		ctl_jw_obj_close(&w);
	}
	ctl_jw_arr_close(&w);
	finish(d, r->client, &w);
	r->client = 0;
}

static void reload_tick(struct daemon *d)
{
	uint64_t now = mxd_mono_ms();

	for (size_t k = 0; k < MXD_MAX_RELOADS; k++) {
		struct mxd_reload *r = &d->reloads[k];
		size_t done = 0;

		if (!r->client)
			continue;
		for (size_t i = 0; i < r->n; i++)
			done += reload_result(r, i, peer_by_id(d, r->ids[i])) != NULL;
		if (done == r->n || now >= r->deadline_ms)
			reload_answer(d, r, done != r->n);
	}
}

static int by_rule_hits(const void *a, const void *b)
{
	const struct mxs_rule_hit *x = a, *y = b;

	if (x->hits != y->hits)
		return x->hits > y->hits ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

static int by_rule_id(const void *a, const void *b)
{
	const struct mxs_rule_hit *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

size_t ctl_cmd_rule_hits(struct daemon *d, struct mxs_rule_hit **ret, uint32_t *loaded)
{
	const struct ctl_link_peer *peers[CTL_LINK_MAX_PEERS];
	size_t np = ctl_link_peers(d->link, peers, CTL_LINK_MAX_PEERS), n = 0, m = 0;
	const struct ctl_link_departed *gone = ctl_link_departed(d->link);
	struct mxs_rule_hit *all;

	*loaded = 0;
	*ret = NULL;
	all = malloc((np + 1) * MXS_LINK_MAX_RULE_HITS * sizeof(*all));
	if (!all)
		return 0;
	/* Every report, the connected ones and then those gone... */
	for (size_t p = 0; p <= np; p++) {
		const struct mxs_rule_hit *hits = p < np ? peers[p]->hits : gone->hits;
		uint32_t nh = p < np ? peers[p]->n_hits : gone->n_hits;

		if (p < np && !peers[p]->snapshots)
			continue;
		if (p < np && peers[p]->stats.rules_loaded > *loaded)
			*loaded = peers[p]->stats.rules_loaded;
		if (p == np && !np)
			*loaded = gone->stats.rules_loaded;
		if (nh)
			memcpy(all + n, hits, nh * sizeof(*all));
		n += nh;
	}
	/* ...summed per rule id, most hits first. */
	qsort(all, n, sizeof(*all), by_rule_id);
	for (size_t i = 0; i < n; i++) {
		if (m && all[m - 1].id == all[i].id)
			all[m - 1].hits += all[i].hits;
		else
			all[m++] = all[i];
	}
	qsort(all, m, sizeof(*all), by_rule_hits);
	*ret = all;
	return m;
}

static int cmd_rules_stats(struct daemon *d, uint64_t client, const struct ctl_jnode *req)
{
	int64_t limit = opt_limit(req, 50);
	struct mxs_rule_hit *h;
	uint32_t loaded;
	struct ctl_jw w;
	size_t n;

	if (limit < 0)
		return ctl_cmd_fail(d, client, req, "bad_request", "limit: a number from 1 to %d", LIST_MAX);
	n = ctl_cmd_rule_hits(d, &h, &loaded);
	begin(&w, req, true);
	ctl_jw_u64(&w, "rules_loaded", loaded);
	ctl_jw_arr_open(&w, "rules");
	for (size_t i = 0; i < n && i < (size_t)limit; i++) {
		ctl_jw_obj_open(&w, NULL);
		ctl_jw_u64(&w, "id", h[i].id);
		ctl_jw_str(&w, "field", mxs_field_name(h[i].field) ? mxs_field_name(h[i].field) : "?");
		ctl_jw_i64(&w, "score", h[i].score);
		ctl_jw_u64(&w, "hits", h[i].hits);
		ctl_jw_str(&w, "msg", h[i].msg);
		ctl_jw_obj_close(&w);
	}
	ctl_jw_arr_close(&w);
	free(h);
	finish(d, client, &w);
	return 0;
}

/* ---- stats, version ---- */

static int cmd_stats(struct daemon *d, uint64_t client, const struct ctl_jnode *req)
{
	struct ctl_jw w;

	begin(&w, req, true);
	ctl_stats_write(d, &w);
	finish(d, client, &w);
	return 0;
}

static int cmd_version(struct daemon *d, uint64_t client, const struct ctl_jnode *req)
{
	struct ctl_jw w;

	begin(&w, req, true);
	ctl_jw_str(&w, "version", MXS_VERSION);
	ctl_jw_u64(&w, "pid", (uint64_t)getpid());
	ctl_jw_str(&w, "config", d->conf_path);
	finish(d, client, &w);
	return 0;
}

/* ---- dispatch ---- */

static const struct {
	const char *name;
	int (*fn)(struct daemon *d, uint64_t client, const struct ctl_jnode *req);
} commands[] = {
	{ "stats", cmd_stats },
	{ "verdict.list", cmd_list },
	{ "verdict.get", cmd_get },
	{ "verdict.add", cmd_add },
	{ "verdict.del", cmd_del },
	{ "verdict.flush", cmd_flush },
	{ "explain", ctl_cmd_explain },
	{ "rules.reload", cmd_rules_reload },
	{ "rules.stats", cmd_rules_stats },
	{ "top", cmd_top },
	{ "version", cmd_version },
};

int ctl_cmd_line(void *ctx, uint64_t client, const char *line, size_t len)
{
	struct daemon *d = ctx;
	struct ctl_jnode none = { .type = CTL_J_NULL };
	struct ctl_jdoc *doc;
	const struct ctl_jnode *req;
	const char *cmd;
	char err[128];
	int rc;

	if (ctl_json_parse(line, len, 4096, &doc, err, sizeof(err)) < 0)
		return ctl_cmd_fail(d, client, &none, "bad_request", "not JSON: %s", err);
	req = ctl_jdoc_root(doc);
	cmd = ctl_jget_str(req, "cmd", NULL);
	if (req->type != CTL_J_OBJ)
		rc = ctl_cmd_fail(d, client, &none, "bad_request", "a request is a JSON object");
	else if (!cmd)
		rc = ctl_cmd_fail(d, client, req, "bad_request", "cmd: missing");
	else {
		size_t i;

		for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
			if (!strcmp(commands[i].name, cmd))
				break;
		if (i == sizeof(commands) / sizeof(commands[0]))
			rc = ctl_cmd_fail(d, client, req, "bad_request", "unknown command '%s'", cmd);
		else
			rc = commands[i].fn(d, client, req);
	}
	ctl_jdoc_free(doc);
	return rc;
}

/* ---- housekeeping ---- */

void ctl_cmd_tick(struct daemon *d)
{
	uint64_t now = mxd_realtime_ns();
	struct ctl_vtab_entry gone[256];
	size_t n, manual = 0;
	char err[512];

	reload_tick(d);
	for (size_t i = 0; i < MXD_MAX_EXPLAINS; i++)
		if (d->explains[i].finished) {
			ctl_lookup_close(d->explains[i].lookup);
			ctl_lookup_free(d->explains[i].lookup);
			memset(&d->explains[i], 0, sizeof(d->explains[i]));
		}
	/* Expired verdicts leave the table, and the sinks (manual CIDRs have
	 * no expiry of their own there). */
	while ((n = ctl_vtab_expire(d->vtab, now, gone, 256)) > 0) {
		for (size_t i = 0; i < n; i++) {
			manual += gone[i].source == CTL_VTAB_MANUAL;
			sink_delete(d, &gone[i].v);
		}
		if (n < 256)
			break;
	}
	if (manual && save_manual(d, err, sizeof(err)) < 0)
		fprintf(stderr, "mxscreend: %s\n", err);
}

void ctl_cmd_restore(struct daemon *d)
{
	uint64_t now = mxd_realtime_ns();
	const struct ctl_vtab_entry **v;
	char err[PATH_MAX + 256];
	size_t n;
	int rc;

	if (!d->conf->manual_verdicts[0])
		return;
	rc = ctl_vtab_load(d->vtab, d->conf->manual_verdicts, now, err, sizeof(err));
	if (rc == -ENOENT)
		return;
	if (rc < 0) {
		fprintf(stderr, "mxscreend: %s (manual verdicts not restored)\n", err);
		return;
	}
	n = ctl_vtab_collect(d->vtab, -1, CTL_VTAB_MANUAL, now, NULL, 0);
	v = malloc((n ? n : 1) * sizeof(*v));
	if (!v)
		return;
	n = ctl_vtab_collect(d->vtab, -1, CTL_VTAB_MANUAL, now, v, n);
	for (size_t i = 0; i < n; i++)
		mxd_sink(d, &v[i]->v, 1);
	fprintf(stderr, "mxscreend: %zu manual verdicts restored from %s\n", n, d->conf->manual_verdicts);
	free(v);
}
