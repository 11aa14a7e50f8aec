/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ctl_lookup against real servers (dnstest.h): rbldnsd serves the DNSBL,
 * DNSWL and RHSBL zones (list_dns), unbound the PTR and forward records
 * (dns), a local zone answers in process, and nx.t (refused) stands for
 * a broken list. A table of observations checks, per zone, the state and
 * the TXT explain fetched (DNS, local and RHSBL zones), the PTR names with
 * their forward addresses and `confirmed` (v4 failing, v6 passing), and
 * the decision's reasons with the weight each added (summing to the
 * score); then the per-zone and global counters, the `local`/`enabled`
 * flags and the latency histogram. The same table without explain: same
 * states, no TXT anywhere, no TXT queries. Then a switched-off zone, a
 * silent list server (timeouts, never errors, never scored) and teardown
 * with jobs still pending. Exits 77 (skipped) without rbldnsd/unbound.
 * Single-threaded.
 */
#include "check.h"
#include "ctl_conf.h"
#include "ctl_dns.h"
#include "ctl_hist.h"
#include "ctl_lookup.h"
#include "ctl_zone.h"
#include "dnstest.h"

#define MAX_Z 8

static const struct dnstest_zone zones[] = {
	{ "bl.t", "ip4set", "bl.zone", ":127.0.0.2:Listed in bl: $\n127.0.0.2\n127.0.0.7\n" },
	{ "wl.t", "ip4set", "wl.zone", ":127.0.0.2:trusted $\n127.0.0.5\n" },
	{ "dbl.t", "dnset", "dbl.zone", ":127.0.1.2:bad domain $\nspam.example\n" },
};

/* bl.t twice: once more with a filter its answer never passes */
static const char conf_text[] =
	"resolvers = 127.0.0.1\n"
	"dnsbl_sites = bl.t*2 wl.t*-2 local.t nx.t bl.t=127.0.0.9*5\n"
	"rhsbl_sites = dbl.t*3\n"
	"local_zones = local.t:ip4set:local.zone\n"
	"fcrdns_weight = 1\n"
	"no_ptr_weight = 1\n";
static const char local_zone_text[] = ":127.0.0.3:local $\n127.0.0.0/24\n!127.0.0.5\n";

/* ---- what done() saw, as text ---- */

static int n_done;
static struct {
	char zones[600], helo[300], mail[300], fcrdns[300], reasons[400];
	int explain;
	int32_t score, weight_sum;
} seen;

static const char *state_name(int s)
{
	return s == CTL_LIST_LISTED ? "listed" : s == CTL_LIST_NOT_LISTED ? "-"
	     : s == CTL_LIST_SKIPPED ? "skipped" : "error";
}

/* "zone state[(error)][ "txt"]; ..." */
static void fmt_zones(char *buf, size_t len, const char *const *names,
		      const struct ctl_zone_result *r, size_t n)
{
	size_t o = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < n && o < len; i++) {
		o += (size_t)snprintf(buf + o, len - o, "%s%s %s", i ? "; " : "", names[i],
				      state_name(r[i].state));
		if (o < len && r[i].state == CTL_LIST_ERROR)
			o += (size_t)snprintf(buf + o, len - o, "(%s)", r[i].error);
		if (o < len && r[i].txt[0])
			o += (size_t)snprintf(buf + o, len - o, " \"%s\"", r[i].txt);
	}
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* "none" | "pass|fail|error: name -> addr addr [confirmed]; ..." sorted,
 * as the order of PTR names and of addresses is the server's. */
static void fmt_fcrdns(char *buf, size_t len, const struct ctl_lookup_detail *d)
{
	static const char *const res[] = { "pass", "fail", "none", "error" };
	char per[CTL_LOOKUP_MAX_PTR][200], addr[CTL_DNS_MAX_ADDRS][INET6_ADDRSTRLEN];
	size_t o;

	o = (size_t)snprintf(buf, len, "%s", res[d->evidence->fcrdns & 3]);
	for (size_t i = 0; i < d->n_ptr; i++) {
		size_t po, na = d->n_fwd[i];

		for (size_t k = 0; k < na; k++)
			inet_ntop(d->obs->family == 4 ? AF_INET : AF_INET6, d->fwd[i][k], addr[k],
				  sizeof(addr[k]));
		qsort(addr, na, sizeof(addr[0]), cmp_str);
		po = (size_t)snprintf(per[i], sizeof(per[i]), "%s ->", d->ptr[i]);
		for (size_t k = 0; k < na && po < sizeof(per[i]); k++)
			po += (size_t)snprintf(per[i] + po, sizeof(per[i]) - po, " %s", addr[k]);
		if (po < sizeof(per[i]) && d->confirmed[i])
			snprintf(per[i] + po, sizeof(per[i]) - po, " confirmed");
	}
	qsort(per, d->n_ptr, sizeof(per[0]), cmp_str);
	for (size_t i = 0; i < d->n_ptr && o < len; i++)
		o += (size_t)snprintf(buf + o, len - o, "%s%s", i ? "; " : ": ", per[i]);
}

static void on_done(void *ctx, const struct ctl_lookup_detail *d)
{
	const struct ctl_decision *dec = d->decision;
	size_t o = 0;

	(void)ctx;
	n_done++;
	fmt_zones(seen.zones, sizeof(seen.zones), d->zone_names, d->zones, d->n_zones);
	fmt_zones(seen.helo, sizeof(seen.helo), d->rhsbl_zone_names, d->rhsbl_helo,
		  d->n_rhsbl_zones);
	fmt_zones(seen.mail, sizeof(seen.mail), d->rhsbl_zone_names, d->rhsbl_mail,
		  d->n_rhsbl_zones);
	fmt_fcrdns(seen.fcrdns, sizeof(seen.fcrdns), d);
	seen.explain = d->explain;
	seen.score = dec->score;
	seen.weight_sum = 0;
	seen.reasons[0] = '\0';
	for (size_t i = 0; i < dec->n_reasons && o < sizeof(seen.reasons); i++) {
		seen.weight_sum += dec->weight[i];
		o += (size_t)snprintf(seen.reasons + o, sizeof(seen.reasons) - o, "%s%s=%d",
				      i ? " " : "", dec->reason[i], (int)dec->weight[i]);
	}
}

/* ---- driving ---- */

/* Run both clients until done() has been called @want times in all. */
static void run_until(struct ctl_dns *a, struct ctl_dns *b, int want, unsigned max_ms)
{
	uint64_t deadline = now_ms() + max_ms;

	while (n_done < want && now_ms() < deadline) {
		struct pollfd fds[64];
		int to1, to2, n1, n2;

		n1 = ctl_dns_pollfds(a, fds, 32, &to1);
		n2 = ctl_dns_pollfds(b, fds + n1, 32, &to2);
		if (to1 < 0 || (to2 >= 0 && to2 < to1))
			to1 = to2;
		if (to1 < 0 || to1 > 50)
			to1 = 50;
		poll(fds, (nfds_t)(n1 + n2), to1);
		ctl_dns_process(a, fds, n1);
		ctl_dns_process(b, fds + n1, n2);
	}
}

static void obs_of(struct mxs_observation *o, const char *ip, const char *helo, const char *mail)
{
	memset(o, 0, sizeof(*o));
	o->family = strchr(ip, ':') ? 6 : 4;
	CHECK(inet_pton(o->family == 4 ? AF_INET : AF_INET6, ip, o->client) == 1);
	o->helo_len = (uint8_t)strlen(helo);
	memcpy(o->helo, helo, o->helo_len);
	o->mail_domain_len = (uint8_t)strlen(mail);
	memcpy(o->mail_domain, mail, o->mail_domain_len);
}

/* Submit one observation and wait for its decision; 1 when it came. */
static int lookup(struct ctl_lookup *l, struct ctl_dns *dns, struct ctl_dns *list,
		  const char *ip, const char *helo, const char *mail)
{
	struct mxs_observation o;
	int want = n_done + 1;

	obs_of(&o, ip, helo, mail);
	memset(&seen, 0, sizeof(seen));
	CHECK_EQ_INT(ctl_lookup_submit(l, &o), 0);
	run_until(dns, list, want, 5000);
	CHECK_EQ_INT(n_done, want);
	return n_done == want;
}

/* One distinct zone's counters by name (zone "?" when there is none). */
static void zs(const struct ctl_lookup *l, const char *zone, struct ctl_lookup_zone_stats *r)
{
	for (size_t i = 0; i < ctl_lookup_zone_count(l); i++) {
		ctl_lookup_zone_stats(l, i, r);
		if (strcmp(r->zone, zone) == 0)
			return;
	}
	memset(r, 0, sizeof(*r));
	r->zone = "?";
}

/* @s without its quoted TXT parts: what a lookup without explain shows. */
static const char *no_txt(const char *s)
{
	static char buf[600];
	size_t o = 0;

	for (; *s && o + 1 < sizeof(buf); s++) {
		if (s[0] == ' ' && s[1] == '"') {
			s = strchr(s + 2, '"');
			if (!s)
				break;
			continue;
		}
		buf[o++] = *s;
	}
	buf[o] = '\0';
	return buf;
}

/* ---- cases ---- */

struct env {
	struct ctl_conf *conf;
	struct ctl_zone *local[1];
	struct ctl_dns *dns, *list, *silent;
};

static const struct row {
	const char *name, *ip, *helo, *mail;
	const char *zones, *helo_z, *mail_z, *fcrdns, *reasons;
	int score;
	int txt_queries;                       /* TXT asked of list_dns with explain */
} rows[] = {
	{ "listed everywhere", "127.0.0.2", "spam.example", "ok.example",
	  "bl.t listed \"Listed in bl: 127.0.0.2\"; wl.t -; local.t listed \"local 127.0.0.2\"; "
	  "nx.t error(refused)",
	  "dbl.t listed \"bad domain spam.example\"", "dbl.t -",
	  "none",
	  "dnsbl:bl.t=2 dnsbl:local.t=1 rhsbl:dbl.t(helo)=3 no_ptr=1", 7, 2 },
	{ "allowlisted, fcrdns fails", "127.0.0.5", "[127.0.0.1]", "spam.example",
	  "bl.t -; wl.t listed \"trusted 127.0.0.5\"; local.t -; nx.t error(refused)",
	  "dbl.t skipped", "dbl.t listed \"bad domain spam.example\"",
	  "fail: mx.example.test -> 192.0.2.10 192.0.2.11",
	  "dnswl:wl.t=-2 rhsbl:dbl.t(mail_from)=3 fcrdns_fail=1", 2, 2 },
	{ "two PTR names, neither resolves", "127.0.0.6", "", "",
	  "bl.t -; wl.t -; local.t listed \"local 127.0.0.6\"; nx.t error(refused)",
	  "dbl.t skipped", "dbl.t skipped",
	  "fail: a.example.test ->; b.example.test ->",
	  "dnsbl:local.t=1 fcrdns_fail=1", 2, 0 },
	{ "v6, fcrdns passes", "2001:db8::a", "mx.example.test", "",
	  "bl.t -; wl.t -; local.t -; nx.t error(refused)",
	  "dbl.t -", "dbl.t skipped",
	  "pass: mx.example.test -> 2001:db8::a confirmed",
	  "", 0, 0 },
};
#define N_ROWS (sizeof(rows) / sizeof(rows[0]))

static struct ctl_lookup *make_lookup(const struct env *e, struct ctl_dns *list, int explain)
{
	struct ctl_lookup_params p;
	struct ctl_lookup *l;

	memset(&p, 0, sizeof(p));
	p.conf = e->conf;
	p.dns = e->dns;
	p.list_dns = list;
	p.local = e->local;
	p.done = on_done;
	p.fresh = 1;                           /* every zone query on the wire */
	p.explain = explain;
	l = ctl_lookup_create(&p);
	CHECK(l != NULL);
	return l;
}

/* The table, with explain or without; @sent[i]: list_dns queries of row i. */
static void run_rows(const struct env *e, struct ctl_lookup *l, int explain, uint64_t *sent)
{
	const struct ctl_dns_stats *ls = ctl_dns_stats(e->list);

	for (size_t i = 0; i < N_ROWS; i++) {
		const struct row *r = &rows[i];
		uint64_t before = ls->sent;

		check_case = r->name;
		if (!lookup(l, e->dns, e->list, r->ip, r->helo, r->mail))
			continue;
		sent[i] = ls->sent - before;
		CHECK_EQ_INT(seen.explain, explain);
		CHECK_EQ_STR(seen.zones, explain ? r->zones : no_txt(r->zones));
		CHECK_EQ_STR(seen.helo, explain ? r->helo_z : no_txt(r->helo_z));
		CHECK_EQ_STR(seen.mail, explain ? r->mail_z : no_txt(r->mail_z));
		CHECK_EQ_STR(seen.fcrdns, r->fcrdns);
		CHECK_EQ_STR(seen.reasons, r->reasons);
		CHECK_EQ_INT(seen.score, r->score);
		CHECK_EQ_INT(seen.weight_sum, seen.score);
	}
}

static void t_table(const struct env *e)
{
	static const struct {
		const char *zone;
		int is_domain, local;
		uint64_t listed, not_listed, errors;
	} want[] = {
		/* distinct zones, in order: DNSBL (first use), then RHSBL */
		{ "bl.t", 0, 0, 1, 3, 0 },
		{ "wl.t", 0, 0, 1, 3, 0 },
		{ "local.t", 0, 1, 2, 2, 0 },
		{ "nx.t", 0, 0, 0, 0, 4 },
		{ "dbl.t", 1, 0, 2, 2, 0 },        /* helo and mail each count */
	};
	uint64_t sent_explain[N_ROWS] = { 0 }, sent_plain[N_ROWS] = { 0 };
	const struct ctl_lookup_stats *st;
	struct ctl_lookup_zone_stats s;
	const char *dz[MAX_Z];
	uint8_t dom[MAX_Z];
	struct ctl_lookup *l;
	size_t i, n;

	check_case = "table";
	l = make_lookup(e, e->list, 1);
	if (!l)
		return;
	run_rows(e, l, 1, sent_explain);

	check_case = "zone counters";
	CHECK_EQ_INT(ctl_lookup_zone_count(l), 5);
	for (i = 0; i < ctl_lookup_zone_count(l) && i < sizeof(want) / sizeof(want[0]); i++) {
		ctl_lookup_zone_stats(l, i, &s);
		CHECK_EQ_STR(s.zone, want[i].zone);
		CHECK_EQ_INT(s.is_domain, want[i].is_domain);
		CHECK_EQ_INT(s.local, want[i].local);
		CHECK_EQ_INT(s.enabled, 1);
		CHECK_EQ_INT(s.listed, want[i].listed);
		CHECK_EQ_INT(s.not_listed, want[i].not_listed);
		CHECK_EQ_INT(s.errors, want[i].errors);
		CHECK_EQ_INT(s.timeouts, 0);
	}
	/* the zones asked over DNS, for health probes: no local one */
	n = ctl_lookup_dns_zones(l, dz, dom, MAX_Z);
	CHECK_EQ_INT(n, 4);
	if (n == 4) {
		CHECK_EQ_STR(dz[0], "bl.t");
		CHECK_EQ_STR(dz[1], "wl.t");
		CHECK_EQ_STR(dz[2], "nx.t");
		CHECK_EQ_STR(dz[3], "dbl.t");
		CHECK(!dom[0] && !dom[1] && !dom[2] && dom[3]);
	}

	check_case = "global counters";
	st = ctl_lookup_stats(l);
	CHECK_EQ_INT(st->submitted, N_ROWS);
	CHECK_EQ_INT(st->completed, N_ROWS);
	CHECK_EQ_INT(st->active, 0);
	CHECK_EQ_INT(st->zone_listed, 1 + 1 + 2 + 2);
	CHECK_EQ_INT(st->zone_not_listed, 3 + 3 + 2 + 2);
	CHECK_EQ_INT(st->zone_errors, 4);
	CHECK_EQ_INT(st->zone_timeouts, 0);
	CHECK_EQ_INT(st->local_answers, N_ROWS);
	CHECK_EQ_INT(st->ptr_ok, 3);
	CHECK_EQ_INT(st->ptr_none, 1);
	CHECK_EQ_INT(st->ptr_error, 0);
	CHECK_EQ_INT(st->fcrdns_pass, 1);
	CHECK_EQ_INT(st->fcrdns_fail, 2);
	CHECK_EQ_INT(st->fcrdns_error, 0);
	CHECK_EQ_INT(ctl_hist_count(ctl_lookup_latency(l)), N_ROWS);
	CHECK(ctl_hist_max_ns(ctl_lookup_latency(l)) > 0);
	ctl_lookup_close(l);
	ctl_lookup_free(l);

	/* without explain: the same states, no TXT, and no TXT queries */
	l = make_lookup(e, e->list, 0);
	if (!l)
		return;
	run_rows(e, l, 0, sent_plain);
	check_case = "explain queries";
	for (i = 0; i < N_ROWS; i++)
		CHECK_EQ_INT(sent_explain[i], sent_plain[i] + (uint64_t)rows[i].txt_queries);
	ctl_lookup_close(l);
	ctl_lookup_free(l);
}

/* A switched-off zone is skipped (not asked, not counted), then back. */
static void t_enable(const struct env *e)
{
	const struct ctl_dns_stats *ls = ctl_dns_stats(e->list);
	struct ctl_lookup_zone_stats s;
	struct ctl_lookup *l;
	uint64_t before;

	check_case = "disabled zones";
	l = make_lookup(e, e->list, 0);
	if (!l)
		return;
	ctl_lookup_zone_enable(l, "bl.t", 0);
	ctl_lookup_zone_enable(l, "local.t", 0);
	zs(l, "bl.t", &s);
	CHECK_EQ_INT(s.enabled, 0);
	zs(l, "local.t", &s);
	CHECK_EQ_INT(s.enabled, 0);
	before = ls->sent;
	if (lookup(l, e->dns, e->list, "127.0.0.7", "", "")) {
		CHECK_EQ_STR(seen.zones, "bl.t skipped; wl.t -; local.t skipped; nx.t error(refused)");
		CHECK_EQ_STR(seen.reasons, "no_ptr=1");
		CHECK_EQ_INT(ls->sent - before, 2);      /* wl.t, nx.t */
	}
	zs(l, "bl.t", &s);
	CHECK(s.listed == 0 && s.not_listed == 0 && s.errors == 0);
	CHECK_EQ_INT(ctl_lookup_stats(l)->local_answers, 0);

	check_case = "enabled again";
	ctl_lookup_zone_enable(l, "bl.t", 1);
	ctl_lookup_zone_enable(l, "local.t", 1);
	zs(l, "bl.t", &s);
	CHECK_EQ_INT(s.enabled, 1);
	if (lookup(l, e->dns, e->list, "127.0.0.7", "", ""))
		CHECK_EQ_STR(seen.zones, "bl.t listed; wl.t -; local.t listed; nx.t error(refused)");
	zs(l, "bl.t", &s);
	CHECK_EQ_INT(s.listed, 1);
	ctl_lookup_close(l);
	ctl_lookup_free(l);
}

/* A list server that never answers: timeouts, not errors, never scored. */
static void t_timeouts(const struct env *e)
{
	const struct ctl_lookup_stats *st;
	struct ctl_lookup_zone_stats s;
	struct ctl_lookup *l;

	check_case = "timeouts";
	l = make_lookup(e, e->silent, 1);
	if (!l)
		return;
	if (lookup(l, e->dns, e->silent, "127.0.0.2", "spam.example", "")) {
		CHECK_EQ_STR(seen.zones, "bl.t error(timeout); wl.t error(timeout); "
			     "local.t listed \"local 127.0.0.2\"; nx.t error(timeout)");
		CHECK_EQ_STR(seen.helo, "dbl.t error(timeout)");
		CHECK_EQ_STR(seen.reasons, "dnsbl:local.t=1 no_ptr=1");
		CHECK_EQ_INT(seen.score, 2);
	}
	for (size_t i = 0; i < ctl_lookup_zone_count(l); i++) {
		ctl_lookup_zone_stats(l, i, &s);
		CHECK_EQ_INT(s.timeouts, s.local ? 0 : 1);
		CHECK_EQ_INT(s.errors, 0);
	}
	st = ctl_lookup_stats(l);
	CHECK_EQ_INT(st->zone_timeouts, 4);
	CHECK_EQ_INT(st->zone_errors, 0);
	CHECK_EQ_INT(st->zone_listed, 1);
	ctl_lookup_close(l);
	ctl_lookup_free(l);
}

/* close, free the clients with queries out, free: done is never called. */
static void t_teardown(const struct env *e)
{
	struct ctl_dns *dns = make(silent_port, 5000, 1, 100, 0);
	struct ctl_dns *list = make(silent_port, 5000, 1, 100, 0);
	struct ctl_lookup_params p;
	struct mxs_observation o;
	struct ctl_lookup *l = NULL;
	int before = n_done;

	check_case = "teardown";
	CHECK(dns && list);
	memset(&p, 0, sizeof(p));
	p.conf = e->conf;
	p.dns = dns;
	p.list_dns = list;
	p.local = e->local;
	p.done = on_done;
	if (dns && list)
		l = ctl_lookup_create(&p);
	if (l) {
		obs_of(&o, "127.0.0.2", "spam.example", "spam.example");
		CHECK_EQ_INT(ctl_lookup_submit(l, &o), 0);
		CHECK_EQ_INT(ctl_lookup_submit(l, &o), 0);
		ctl_dns_process(dns, NULL, 0);
		ctl_dns_process(list, NULL, 0);
		CHECK_EQ_INT(ctl_lookup_stats(l)->active, 2);
		ctl_lookup_close(l);
	}
	ctl_dns_free(dns);
	ctl_dns_free(list);
	ctl_lookup_free(l);
	CHECK_EQ_INT(n_done, before);
	ctl_lookup_free(NULL);
}

static int setup(struct env *e)
{
	char path[128], err[256];

	check_case = "setup";
	if (start_rbldnsd(zones, sizeof(zones) / sizeof(zones[0]), "2.0.0.127.bl.t") < 0 ||
	    start_unbound() < 0 || start_silent() < 0) {
		fprintf(stderr, "cannot start the test servers\n");
		return -1;
	}
	if (write_file("local.zone", "%s", local_zone_text) < 0 ||
	    write_file("mxscreen.conf", "%s", conf_text) < 0)
		return -1;
	path_of(path, sizeof(path), "mxscreen.conf");
	if (ctl_conf_load(path, &e->conf, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	CHECK_EQ_INT(e->conf->n_local_zones, 1);
	if (e->conf->n_local_zones != 1 ||
	    ctl_zone_load(e->conf->local_zones[0].type, e->conf->local_zones[0].path,
			  &e->local[0], err, sizeof(err)) < 0) {
		fprintf(stderr, "local zone: %s\n", err);
		return -1;
	}
	e->dns = make(ub_port, 1000, 2, 100, 1000);
	e->list = make(rbl_port, 1000, 2, 100, 1000);
	e->silent = make(silent_port, 200, 1, 100, 1000);
	return e->dns && e->list && e->silent ? 0 : -1;
}

static void teardown(struct env *e)
{
	ctl_dns_free(e->silent);
	ctl_dns_free(e->list);
	ctl_dns_free(e->dns);
	ctl_zone_free(e->local[0]);
	ctl_conf_free(e->conf);
}

int main(void)
{
	struct env e;

	if (!dnstest_have_servers()) {
		printf("SKIP: needs %s and %s\n", RBLDNSD, UNBOUND);
		return 77;
	}
	if (dnstest_init("lookup") < 0)
		return 1;
	memset(&e, 0, sizeof(e));
	if (setup(&e) < 0) {
		teardown(&e);
		cleanup();
		return 1;
	}
	t_table(&e);
	t_enable(&e);
	t_timeouts(&e);
	t_teardown(&e);
	teardown(&e);
	cleanup();
	CHECK_DONE();
}
