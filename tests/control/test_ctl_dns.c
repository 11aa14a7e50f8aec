/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ctl_dns against real servers started here on loopback: rbldnsd for DNSBL
 * A/TXT answers and NXDOMAIN, unbound (local-data) for PTR/A/AAAA, NODATA
 * and REFUSED, and a UDP socket that never answers for timeouts. No mocks.
 * Exits 77 (skipped) when rbldnsd or unbound is not installed.
 *
 * The servers, the test directory and the guardian child that cleans up
 * if this process dies early come from dnstest.h. Single-threaded.
 */
#include "check.h"
#include "ctl_dns.h"
#include "dnstest.h"

/* rbldnsd: TTLs below, above and inside the client's 60..3600 clamp */
static const struct dnstest_zone zones[] = {
	{ "lo.bl.test", "ip4set", "lo.zone",
	  "$SOA 7200 ns.bl.test. hostmaster.bl.test. 1 3600 600 86400 5\n"
	  "$TTL 5\n"
	  ":127.0.0.2:Listed in lo: $\n"
	  "127.0.0.2\n"
	  "10.0.0.0/24\n" },
	{ "hi.bl.test", "ip4set", "hi.zone",
	  "$SOA 100000 ns.bl.test. hostmaster.bl.test. 1 3600 600 86400 100000\n"
	  "$TTL 100000\n"
	  ":127.0.0.2:Listed in hi\n"
	  "127.0.0.2\n" },
	{ "mid.bl.test", "ip4set", "mid.zone",
	  "$SOA 400 ns.bl.test. hostmaster.bl.test. 1 3600 600 86400 600\n"
	  "$TTL 300\n"
	  ":127.0.0.4:Listed in mid\n"
	  "127.0.0.2\n" },
};

/* ---- ctl_dns driving ---- */

struct got {
	int called;
	struct ctl_dns_result r;
	struct ctl_dns *d;             /* for callbacks that ask again */
};

static int in_query;                   /* set around every ctl_dns_query */
static int cb_inside_query;            /* callbacks seen while it was set */
static uint32_t max_inflight_seen;
static const struct ctl_dns_stats *watch;  /* stats read from callbacks */

static void on_result(void *arg, const struct ctl_dns_result *r)
{
	struct got *g = arg;

	if (in_query)
		cb_inside_query++;
	if (watch && watch->inflight > max_inflight_seen)
		max_inflight_seen = watch->inflight;
	g->called++;
	g->r = *r;
}

static int ask(struct ctl_dns *d, const char *name, int type, struct got *g)
{
	int rc;

	memset(g, 0, sizeof(*g));
	g->d = d;
	in_query = 1;
	rc = ctl_dns_query(d, name, type, on_result, g);
	in_query = 0;
	return rc;
}

static int ask_fresh(struct ctl_dns *d, const char *name, int type, struct got *g)
{
	int rc;

	memset(g, 0, sizeof(*g));
	in_query = 1;
	rc = ctl_dns_query_fresh(d, name, type, on_result, g);
	in_query = 0;
	return rc;
}

/* The event loop: poll and process until nothing is pending or @max_ms. */
static void run(struct ctl_dns *d, unsigned max_ms)
{
	uint64_t deadline = now_ms() + max_ms;
	struct pollfd fds[32];

	while (ctl_dns_pending(d)) {
		uint64_t now = now_ms();
		int to, n;

		if (now >= deadline)
			break;
		n = ctl_dns_pollfds(d, fds, 32, &to);
		if (to < 0 || (uint64_t)to > deadline - now)
			to = (int)(deadline - now);
		poll(fds, (nfds_t)n, to);
		ctl_dns_process(d, fds, n);
		if (ctl_dns_stats(d)->inflight > max_inflight_seen)
			max_inflight_seen = ctl_dns_stats(d)->inflight;
	}
}

static int addr4_is(const struct ctl_dns_result *r, size_t i, const char *want)
{
	struct in_addr a;

	return i < r->n_addrs && inet_pton(AF_INET, want, &a) == 1 &&
	       memcmp(r->addrs[i], &a, 4) == 0;
}

/* ---- cases ---- */

static void t_names(void)
{
	static const struct {
		int family;
		const char *addr, *zone, *want;
		int rc;
	} rev[] = {
		{ AF_INET, "1.2.3.4", NULL, "4.3.2.1.in-addr.arpa", 0 },
		{ AF_INET, "1.2.3.4", "", "4.3.2.1.in-addr.arpa", 0 },
		{ 4, "192.0.2.1", "zen.spamhaus.org", "1.2.0.192.zen.spamhaus.org", 0 },
		{ AF_INET, "10.0.0.1", "Bl.Example.", "1.0.0.10.bl.example", 0 },
		{ AF_INET6, "2001:db8::1", NULL,
		  "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa", 0 },
		{ 6, "2001:db8:89ab:cdef:123:4567:89ab:cdef", "bl.test",
		  "f.e.d.c.b.a.9.8.7.6.5.4.3.2.1.0.f.e.d.c.b.a.9.8.8.b.d.0.1.0.0.2.bl.test", 0 },
		{ AF_INET, "1.2.3.4", "a..b", NULL, -EINVAL },
		{ 99, "1.2.3.4", NULL, NULL, -EINVAL },
	};
	static const struct {
		const char *dom, *zone, *want;
		int rc;
	} dom[] = {
		{ "Example.COM.", "dbl.test", "example.com.dbl.test", 0 },
		{ "example.com", NULL, "example.com", 0 },
		{ "mail-1.ex_ample.org", "", "mail-1.ex_ample.org", 0 },
		{ "example.com", "Dbl.Test.", "example.com.dbl.test", 0 },
		{ "", "dbl.test", NULL, -EINVAL },
		{ ".", "dbl.test", NULL, -EINVAL },
		{ "a..b", "dbl.test", NULL, -EINVAL },
		{ ".a", "dbl.test", NULL, -EINVAL },
		{ "example.com..", "dbl.test", NULL, -EINVAL },
		{ "[1.2.3.4]", "dbl.test", NULL, -EINVAL },
		{ "[IPv6:2001:db8::1]", "dbl.test", NULL, -EINVAL },
		{ "1.2.3.4", "dbl.test", NULL, -EINVAL },
		{ "foo bar.com", "dbl.test", NULL, -EINVAL },
	};
	char buf[300], label[80], longdom[300], zone[300];
	uint8_t a[16];
	size_t i;

	check_case = "names";
	for (i = 0; i < sizeof(rev) / sizeof(rev[0]); i++) {
		int fam = rev[i].family == 6 || rev[i].family == AF_INET6 ? AF_INET6 : AF_INET;

		memset(a, 0, sizeof(a));
		CHECK(inet_pton(fam, rev[i].addr, a) == 1);
		memset(buf, 0, sizeof(buf));
		CHECK_EQ_INT(ctl_dns_revname(rev[i].family, a, rev[i].zone, buf, sizeof(buf)),
			     rev[i].rc);
		if (rev[i].want)
			CHECK_EQ_STR(buf, rev[i].want);
	}
	/* tight buffers: the exact size fits, one less does not */
	inet_pton(AF_INET, "1.2.3.4", a);
	CHECK_EQ_INT(ctl_dns_revname(AF_INET, a, NULL, buf, 21), 0);
	CHECK_EQ_INT(ctl_dns_revname(AF_INET, a, NULL, buf, 20), -ENAMETOOLONG);
	/* a zone leaving no room for 32 nibbles */
	memset(zone, 0, sizeof(zone));
	for (i = 0; i < 4; i++)
		memcpy(zone + i * 51, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.", 51);
	zone[4 * 51 - 1] = '\0';       /* 203 characters */
	CHECK_EQ_INT(ctl_dns_revname(AF_INET, a, zone, buf, sizeof(buf)), 0);
	CHECK_EQ_INT(ctl_dns_revname(AF_INET6, a, zone, buf, sizeof(buf)), -ENAMETOOLONG);

	for (i = 0; i < sizeof(dom) / sizeof(dom[0]); i++) {
		memset(buf, 0, sizeof(buf));
		CHECK_EQ_INT(ctl_dns_domname(dom[i].dom, dom[i].zone, buf, sizeof(buf)), dom[i].rc);
		if (dom[i].want)
			CHECK_EQ_STR(buf, dom[i].want);
	}
	/* labels: 63 fine, 64 too long */
	memset(label, 'x', 63);
	memcpy(label + 63, ".com", 5);
	CHECK_EQ_INT(ctl_dns_domname(label, "dbl.test", buf, sizeof(buf)), 0);
	memset(label, 'x', 64);
	memcpy(label + 64, ".com", 5);
	CHECK_EQ_INT(ctl_dns_domname(label, "dbl.test", buf, sizeof(buf)), -ENAMETOOLONG);
	/* 244 + ".dbl.test" = 253 fits; one more does not */
	memset(longdom, 'b', 244);
	for (i = 60; i < 240; i += 61)
		longdom[i] = '.';      /* labels of 60, the last of 61 */
	longdom[244] = '\0';
	CHECK_EQ_INT(ctl_dns_domname(longdom, "dbl.test", buf, sizeof(buf)), 0);
	CHECK_EQ_INT((long long)strlen(buf), 253);
	longdom[244] = 'c';
	longdom[245] = '\0';
	CHECK_EQ_INT(ctl_dns_domname(longdom, "dbl.test", buf, sizeof(buf)), -ENAMETOOLONG);
	CHECK_EQ_INT(ctl_dns_domname("example.com", "dbl.test", buf, 20), -ENAMETOOLONG);
	CHECK_EQ_INT(ctl_dns_domname("example.com", "dbl.test", buf, 21), 0);
}

/* DNSBL answers from rbldnsd: TTL clamping, NXDOMAIN, TXT, cache, fresh. */
static void t_dnsbl(void)
{
	struct got g[8], h[4];
	const struct ctl_dns_stats *st;
	struct ctl_dns *d;
	uint64_t sent;
	int i;

	check_case = "dnsbl";
	d = make(rbl_port, 1000, 2, 100, 0);
	CHECK(d != NULL);
	if (!d)
		return;
	st = ctl_dns_stats(d);
	CHECK_EQ_INT(ask(d, "2.0.0.127.lo.bl.test", CTL_DNS_A, &g[0]), 0);
	CHECK_EQ_INT(ask(d, "2.0.0.127.hi.bl.test", CTL_DNS_A, &g[1]), 0);
	CHECK_EQ_INT(ask(d, "2.0.0.127.mid.bl.test", CTL_DNS_A, &g[2]), 0);
	CHECK_EQ_INT(ask(d, "3.0.0.127.lo.bl.test", CTL_DNS_A, &g[3]), 0);
	CHECK_EQ_INT(ask(d, "3.0.0.127.hi.bl.test", CTL_DNS_A, &g[4]), 0);
	CHECK_EQ_INT(ask(d, "3.0.0.127.mid.bl.test", CTL_DNS_A, &g[5]), 0);
	CHECK_EQ_INT(ask(d, "2.0.0.127.lo.bl.test", CTL_DNS_TXT, &g[6]), 0);
	CHECK_EQ_INT(ask(d, "2.0.0.127.mid.bl.test", CTL_DNS_TXT, &g[7]), 0);
	for (i = 0; i < 8; i++)
		CHECK_EQ_INT(g[i].called, 0);  /* nothing before process */
	CHECK_EQ_INT(ctl_dns_pending(d), 8);
	CHECK_EQ_INT(st->queued, 8);
	run(d, 3000);
	CHECK_EQ_INT(ctl_dns_pending(d), 0);
	for (i = 0; i < 8; i++) {
		CHECK_EQ_INT(g[i].called, 1);
		CHECK_EQ_INT(g[i].r.from_cache, 0);
	}
	/* listed, TTL 5 -> ttl_min 60; 100000 -> ttl_max 3600; 300 as is */
	CHECK_EQ_INT(g[0].r.status, CTL_DNS_OK);
	CHECK_EQ_INT(g[0].r.n_addrs, 1);
	CHECK(addr4_is(&g[0].r, 0, "127.0.0.2"));
	CHECK_EQ_INT(g[0].r.ttl, 60);
	CHECK_EQ_INT(g[1].r.status, CTL_DNS_OK);
	CHECK(addr4_is(&g[1].r, 0, "127.0.0.2"));
	CHECK_EQ_INT(g[1].r.ttl, 3600);
	CHECK_EQ_INT(g[2].r.status, CTL_DNS_OK);
	CHECK(addr4_is(&g[2].r, 0, "127.0.0.4"));
	CHECK_EQ_INT(g[2].r.ttl, 300);
	/* NXDOMAIN: min(SOA TTL, SOA minimum), clamped */
	for (i = 3; i < 6; i++) {
		CHECK_EQ_INT(g[i].r.status, CTL_DNS_NONE);
		CHECK_EQ_INT(g[i].r.n_addrs, 0);
		CHECK(g[i].r.error == NULL);
	}
	CHECK_EQ_INT(g[3].r.ttl, 60);      /* min(7200, 5) -> 60 */
	CHECK_EQ_INT(g[4].r.ttl, 3600);    /* 100000 -> 3600 */
	CHECK_EQ_INT(g[5].r.ttl, 600);     /* rbldnsd sends the SOA with TTL = minimum */
	CHECK_EQ_INT(g[6].r.status, CTL_DNS_OK);
	CHECK_EQ_STR(g[6].r.txt, "Listed in lo: 127.0.0.2");
	CHECK_EQ_INT(g[6].r.ttl, 60);
	CHECK_EQ_STR(g[7].r.txt, "Listed in mid");
	CHECK_EQ_INT(st->sent, 8);
	CHECK_EQ_INT(st->ok, 5);
	CHECK_EQ_INT(st->none, 3);
	CHECK_EQ_INT(st->errors, 0);
	CHECK_EQ_INT(st->cache_misses, 8);
	CHECK_EQ_INT(st->inflight, 0);

	/* again (case and trailing dot do not matter): from the cache */
	sent = st->sent;
	CHECK_EQ_INT(ask(d, "2.0.0.127.LO.bl.test.", CTL_DNS_A, &h[0]), 0);
	CHECK_EQ_INT(ask(d, "3.0.0.127.lo.bl.test", CTL_DNS_A, &h[1]), 0);
	CHECK_EQ_INT(ask(d, "2.0.0.127.lo.bl.test", CTL_DNS_TXT, &h[2]), 0);
	CHECK_EQ_INT(h[0].called + h[1].called + h[2].called, 0);
	CHECK_EQ_INT(ctl_dns_pending(d), 3);
	run(d, 1000);
	CHECK_EQ_INT(st->sent, sent);
	CHECK_EQ_INT(st->cache_hits, 3);
	CHECK_EQ_INT(h[0].called, 1);
	CHECK_EQ_INT(h[0].r.from_cache, 1);
	CHECK_EQ_INT(h[0].r.status, CTL_DNS_OK);
	CHECK(addr4_is(&h[0].r, 0, "127.0.0.2"));
	CHECK(h[0].r.ttl >= 58 && h[0].r.ttl <= 60);
	CHECK_EQ_INT(h[1].r.from_cache, 1);
	CHECK_EQ_INT(h[1].r.status, CTL_DNS_NONE);
	CHECK_EQ_INT(h[2].r.from_cache, 1);
	CHECK_EQ_STR(h[2].r.txt, "Listed in lo: 127.0.0.2");

	/* fresh: a wire query whatever the cache holds, and it refreshes it */
	CHECK_EQ_INT(ask_fresh(d, "2.0.0.127.lo.bl.test", CTL_DNS_A, &h[3]), 0);
	run(d, 2000);
	CHECK_EQ_INT(h[3].called, 1);
	CHECK_EQ_INT(h[3].r.from_cache, 0);
	CHECK_EQ_INT(h[3].r.status, CTL_DNS_OK);
	CHECK_EQ_INT(st->sent, sent + 1);
	CHECK_EQ_INT(ask(d, "2.0.0.127.lo.bl.test", CTL_DNS_A, &h[0]), 0);
	run(d, 1000);
	CHECK_EQ_INT(h[0].r.from_cache, 1);
	CHECK_EQ_INT(st->sent, sent + 1);

	/* an unusable name comes back as an error, later, like any answer */
	CHECK_EQ_INT(ask(d, "a..b.lo.bl.test", CTL_DNS_A, &h[1]), 0);
	CHECK_EQ_INT(h[1].called, 0);
	run(d, 1000);
	CHECK_EQ_INT(h[1].called, 1);
	CHECK_EQ_INT(h[1].r.status, CTL_DNS_ERROR);
	CHECK_EQ_STR(h[1].r.error, "badname");
	CHECK_EQ_INT(st->sent, sent + 1);
	CHECK_EQ_INT(st->queries, 8 + 3 + 1 + 1 + 1);
	ctl_dns_free(d);
}

/* 100 identical queries: one on the wire, 100 callbacks. */
static void t_merge(void)
{
	static struct got g[100];
	struct got t1, t2;
	const struct ctl_dns_stats *st;
	struct ctl_dns *d;
	int i, ok = 0;

	check_case = "merge";
	d = make(rbl_port, 1000, 2, 100, 0);
	CHECK(d != NULL);
	if (!d)
		return;
	st = ctl_dns_stats(d);
	for (i = 0; i < 100; i++)
		CHECK_EQ_INT(ask(d, i % 2 ? "2.0.0.127.hi.bl.test" : "2.0.0.127.HI.bl.test.",
				 CTL_DNS_A, &g[i]), 0);
	CHECK_EQ_INT(ask(d, "2.0.0.127.hi.bl.test", CTL_DNS_TXT, &t1), 0); /* other type */
	CHECK_EQ_INT(ctl_dns_pending(d), 101);
	CHECK_EQ_INT(st->queued, 2);
	CHECK_EQ_INT(st->merged, 99);
	run(d, 3000);
	/* once on the wire, still merged */
	CHECK_EQ_INT(ask_fresh(d, "3.0.0.127.hi.bl.test", CTL_DNS_A, &t2), 0);
	for (i = 0; i < 100; i++) {
		ok += g[i].called == 1 && g[i].r.status == CTL_DNS_OK &&
		      addr4_is(&g[i].r, 0, "127.0.0.2") && g[i].r.ttl == 3600 &&
		      !g[i].r.from_cache;
	}
	CHECK_EQ_INT(ok, 100);
	CHECK_EQ_INT(t1.called, 1);
	CHECK_EQ_STR(t1.r.txt, "Listed in hi");
	CHECK_EQ_INT(st->sent, 2);
	CHECK_EQ_INT(st->ok, 2);
	run(d, 3000);
	CHECK_EQ_INT(t2.called, 1);
	CHECK_EQ_INT(t2.r.status, CTL_DNS_NONE);
	CHECK_EQ_INT(st->sent, 3);
	CHECK_EQ_INT(cb_inside_query, 0);
	ctl_dns_free(d);
}

/* 500 distinct queries through a window of 10. */
static void t_inflight(void)
{
	struct got *g = calloc(500, sizeof(*g));
	const struct ctl_dns_stats *st;
	struct ctl_dns *d;
	char name[64];
	int i, ok = 0, none = 0, bad = 0;

	check_case = "inflight";
	CHECK(g != NULL);
	d = make(rbl_port, 1000, 2, 10, 0);
	CHECK(d != NULL);
	if (!d || !g) {
		ctl_dns_free(d);
		free(g);
		return;
	}
	st = ctl_dns_stats(d);
	for (i = 0; i < 500; i++) {
		/* 10.0.0.0/24 is listed, 10.0.1.0/24 is not */
		snprintf(name, sizeof(name), "%d.%d.0.10.lo.bl.test", i % 250, i / 250);
		CHECK_EQ_INT(ask(d, name, CTL_DNS_A, &g[i]), 0);
	}
	CHECK_EQ_INT(st->queued, 500);
	max_inflight_seen = 0;
	watch = st;
	run(d, 10000);
	watch = NULL;
	for (i = 0; i < 500; i++) {
		if (g[i].called != 1)
			bad++;
		else if (i < 250 && g[i].r.status == CTL_DNS_OK && addr4_is(&g[i].r, 0, "127.0.0.2"))
			ok++;
		else if (i >= 250 && g[i].r.status == CTL_DNS_NONE)
			none++;
	}
	CHECK_EQ_INT(bad, 0);
	CHECK_EQ_INT(ok, 250);
	CHECK_EQ_INT(none, 250);
	CHECK_EQ_INT(max_inflight_seen, 10);   /* the window is used, never exceeded */
	CHECK_EQ_INT(st->sent, 500);
	CHECK_EQ_INT(st->inflight, 0);
	CHECK_EQ_INT(st->queued, 0);
	CHECK_EQ_INT(ctl_dns_pending(d), 0);
	ctl_dns_free(d);
	free(g);
}

/* PTR, A, AAAA, NODATA, NXDOMAIN and REFUSED from unbound. */
static void t_unbound(void)
{
	struct got g[11];
	const struct ctl_dns_stats *st;
	struct ctl_dns *d;
	uint8_t a[16];
	char rev4[80], rev4b[80], rev6[100];
	struct in6_addr want6;
	uint64_t t0;
	int i;

	check_case = "unbound";
	d = make(ub_port, 1000, 2, 100, 0);
	CHECK(d != NULL);
	if (!d)
		return;
	st = ctl_dns_stats(d);
	memset(a, 0, sizeof(a));
	inet_pton(AF_INET, "127.0.0.5", a);
	CHECK_EQ_INT(ctl_dns_revname(AF_INET, a, NULL, rev4, sizeof(rev4)), 0);
	inet_pton(AF_INET, "127.0.0.6", a);
	CHECK_EQ_INT(ctl_dns_revname(AF_INET, a, NULL, rev4b, sizeof(rev4b)), 0);
	inet_pton(AF_INET6, "2001:db8::a", a);
	CHECK_EQ_INT(ctl_dns_revname(AF_INET6, a, NULL, rev6, sizeof(rev6)), 0);
	CHECK_EQ_INT(ask(d, rev4, CTL_DNS_PTR, &g[0]), 0);
	CHECK_EQ_INT(ask(d, rev4b, CTL_DNS_PTR, &g[1]), 0);
	CHECK_EQ_INT(ask(d, rev6, CTL_DNS_PTR, &g[2]), 0);
	CHECK_EQ_INT(ask(d, "mx.example.test", CTL_DNS_A, &g[3]), 0);
	CHECK_EQ_INT(ask(d, "mx.example.test", CTL_DNS_AAAA, &g[4]), 0);
	CHECK_EQ_INT(ask(d, "mx.example.test", CTL_DNS_TXT, &g[5]), 0);   /* NODATA */
	CHECK_EQ_INT(ask(d, "nothere.example.test", CTL_DNS_A, &g[6]), 0);
	CHECK_EQ_INT(ask(d, "lo.example.test", CTL_DNS_A, &g[7]), 0);
	CHECK_EQ_INT(ask(d, "7.0.0.127.in-addr.arpa", CTL_DNS_PTR, &g[8]), 0);
	t0 = now_ms();
	run(d, 3000);
	for (i = 0; i < 9; i++)
		CHECK_EQ_INT(g[i].called, 1);
	CHECK_EQ_INT(g[0].r.status, CTL_DNS_OK);
	CHECK_EQ_INT(g[0].r.n_names, 1);
	CHECK_EQ_STR(g[0].r.names[0], "mx.example.test");
	CHECK_EQ_INT(g[0].r.ttl, 300);
	CHECK_EQ_INT(g[1].r.status, CTL_DNS_OK);
	CHECK_EQ_INT(g[1].r.n_names, 2);
	CHECK((!strcmp(g[1].r.names[0], "a.example.test") &&
	       !strcmp(g[1].r.names[1], "b.example.test")) ||
	      (!strcmp(g[1].r.names[0], "b.example.test") &&
	       !strcmp(g[1].r.names[1], "a.example.test")));
	CHECK_EQ_INT(g[2].r.status, CTL_DNS_OK);
	CHECK_EQ_INT(g[2].r.n_names, 1);
	CHECK_EQ_STR(g[2].r.names[0], "mx.example.test");
	CHECK_EQ_INT(g[3].r.status, CTL_DNS_OK);
	CHECK_EQ_INT(g[3].r.n_addrs, 2);
	CHECK((addr4_is(&g[3].r, 0, "192.0.2.10") && addr4_is(&g[3].r, 1, "192.0.2.11")) ||
	      (addr4_is(&g[3].r, 0, "192.0.2.11") && addr4_is(&g[3].r, 1, "192.0.2.10")));
	CHECK_EQ_INT(g[3].r.ttl, 300);
	inet_pton(AF_INET6, "2001:db8::a", &want6);
	CHECK_EQ_INT(g[4].r.status, CTL_DNS_OK);
	CHECK_EQ_INT(g[4].r.n_addrs, 1);
	CHECK(memcmp(g[4].r.addrs[0], &want6, 16) == 0);
	CHECK_EQ_INT(g[4].r.ttl, 200);
	CHECK_EQ_INT(g[5].r.status, CTL_DNS_NONE);
	CHECK_EQ_INT(g[5].r.ttl, 700);     /* min(SOA TTL 700, minimum 900) */
	CHECK_EQ_INT(g[6].r.status, CTL_DNS_NONE);
	CHECK_EQ_INT(g[6].r.ttl, 700);
	CHECK_EQ_INT(g[7].r.status, CTL_DNS_OK);
	CHECK_EQ_INT(g[7].r.ttl, 60);      /* TTL 2 -> ttl_min */
	CHECK_EQ_INT(g[8].r.status, CTL_DNS_NONE);
	CHECK_EQ_INT(g[8].r.ttl, 60);      /* no SOA in the reply: ttl_min */
	CHECK_EQ_INT(st->sent, 9);

	/* REFUSED: an error at once, not after retries */
	t0 = now_ms();
	CHECK_EQ_INT(ask(d, "x.refused.test", CTL_DNS_A, &g[9]), 0);
	run(d, 3000);
	CHECK_EQ_INT(g[9].called, 1);
	CHECK_EQ_INT(g[9].r.status, CTL_DNS_ERROR);
	CHECK(g[9].r.error && !strcmp(g[9].r.error, "refused"));
	CHECK_EQ_INT(g[9].r.ttl, 30);
	CHECK(now_ms() - t0 < 900);
	CHECK_EQ_INT(st->errors, 1);
	CHECK_EQ_INT(st->timeouts, 0);
	/* errors are cached for error_ttl too */
	CHECK_EQ_INT(ask(d, "X.refused.test", CTL_DNS_A, &g[9]), 0);
	run(d, 1000);
	CHECK_EQ_INT(g[9].r.from_cache, 1);
	CHECK_EQ_STR(g[9].r.error, "refused");
	CHECK_EQ_INT(st->sent, 10);

	/* SERVFAIL (unbound's forwarder is refused by rbldnsd) */
	t0 = now_ms();
	CHECK_EQ_INT(ask(d, "x.sf.test", CTL_DNS_A, &g[10]), 0);
	run(d, 3000);
	CHECK_EQ_INT(g[10].called, 1);
	CHECK_EQ_INT(g[10].r.status, CTL_DNS_ERROR);
	CHECK(g[10].r.error && !strcmp(g[10].r.error, "servfail"));
	CHECK(now_ms() - t0 < 900);
	CHECK_EQ_INT(st->errors, 2);
	ctl_dns_free(d);
}

/* An IPv6 resolver on a port other than 53 ("[::1]:port" for c-ares). */
static void t_v6_server(void)
{
	struct got g;
	struct ctl_dns *d;

	check_case = "v6 server";
	if (!have_v6) {
		printf("note: no IPv6 loopback, [::1] resolver not tested\n");
		return;
	}
	d = make_at("::1", ub_port, 1000, 2, 10, 0);
	CHECK(d != NULL);
	if (!d)
		return;
	CHECK_EQ_INT(ask(d, "mx.example.test", CTL_DNS_AAAA, &g), 0);
	run(d, 3000);
	CHECK_EQ_INT(g.called, 1);
	CHECK_EQ_INT(g.r.status, CTL_DNS_OK);
	CHECK_EQ_INT(g.r.n_addrs, 1);
	CHECK_EQ_INT(ctl_dns_stats(d)->sent, 1);
	ctl_dns_free(d);
}

/* A server that never answers: "timeout", cached for error_ttl. */
static void t_timeout(void)
{
	struct got g, h;
	const struct ctl_dns_stats *st;
	struct ctl_dns *d;
	uint64_t t0, dt;

	check_case = "timeout";
	d = make(silent_port, 300, 1, 10, 0);
	CHECK(d != NULL);
	if (!d)
		return;
	st = ctl_dns_stats(d);
	t0 = now_ms();
	CHECK_EQ_INT(ask(d, "2.0.0.127.lo.bl.test", CTL_DNS_A, &g), 0);
	run(d, 3000);
	dt = now_ms() - t0;
	CHECK_EQ_INT(g.called, 1);
	CHECK_EQ_INT(g.r.status, CTL_DNS_ERROR);
	CHECK(g.r.error && !strcmp(g.r.error, "timeout"));
	CHECK_EQ_INT(g.r.ttl, 30);
	CHECK(dt >= 250 && dt < 2000);
	CHECK_EQ_INT(st->timeouts, 1);
	CHECK_EQ_INT(st->errors, 1);
	CHECK_EQ_INT(ask(d, "2.0.0.127.lo.bl.test", CTL_DNS_A, &h), 0);
	run(d, 1000);
	CHECK_EQ_INT(h.called, 1);
	CHECK_EQ_INT(h.r.from_cache, 1);
	CHECK_EQ_INT(h.r.status, CTL_DNS_ERROR);
	CHECK(h.r.error && !strcmp(h.r.error, "timeout"));
	CHECK(h.r.ttl >= 29 && h.r.ttl <= 30);
	CHECK_EQ_INT(st->sent, 1);
	ctl_dns_free(d);

	/* two tries: sent twice, each waits timeout_ms, then one error */
	d = make(silent_port, 200, 2, 10, 0);
	CHECK(d != NULL);
	if (!d)
		return;
	st = ctl_dns_stats(d);
	t0 = now_ms();
	CHECK_EQ_INT(ask(d, "3.0.0.127.lo.bl.test", CTL_DNS_A, &g), 0);
	run(d, 3000);
	dt = now_ms() - t0;
	CHECK_EQ_INT(g.called, 1);
	CHECK(g.r.error && !strcmp(g.r.error, "timeout"));
	CHECK_EQ_INT(st->sent, 2);
	CHECK_EQ_INT(st->resent, 1);
	CHECK_EQ_INT(st->timeouts, 1);
	CHECK_EQ_INT(st->lost, 0);
	CHECK(dt >= 350 && dt < 1500);
	ctl_dns_free(d);
}

/*
 * A burst at rbldnsd. It sets SO_RCVBUF to 64 KiB on its socket, which
 * holds 157 queries on loopback; at dns_max_inflight 1000 a wave of queries
 * overflowed it, the kernel dropped the rest, and every drop cost a 2 s
 * c-ares retry, sent again as a burst that overflowed it again (ctl-bench:
 * ~150 of 10,000 addresses timed out on every run). rbldnsd is stopped
 * while the first queries go out, as when it is slower than we are: what
 * its socket cannot hold must neither be lost nor wait for a timeout.
 */
static void t_burst(void)
{
	enum { N = 1000 };
	static struct got g[N];
	char name[64];
	const struct ctl_dns_stats *st;
	struct ctl_dns *d;
	long long drops0, drops1;
	uint64_t t0, dt;
	int i, ok = 1;

	check_case = "burst";
	d = make(rbl_port, 3000, 2, N, 0);
	CHECK(d != NULL);
	if (!d)
		return;
	st = ctl_dns_stats(d);
	drops0 = udp_drops(rbl_port);
	/* 10.0.0.0/24 is listed in lo.bl.test, the rest of 10.0.0.0/16 not */
	for (i = 0; i < N; i++) {
		snprintf(name, sizeof(name), "%d.%d.0.10.lo.bl.test", i & 255, i >> 8);
		CHECK_EQ_INT(ask(d, name, CTL_DNS_A, &g[i]), 0);
	}
	t0 = now_ms();
	kill(rbl_pid, SIGSTOP);
	ctl_dns_process(d, NULL, 0);       /* the first queries go out */
	CHECK(st->inflight > 0 && st->inflight < 157);
	sleep_ms(20);
	kill(rbl_pid, SIGCONT);
	run(d, 2500);
	dt = now_ms() - t0;
	drops1 = udp_drops(rbl_port);
	for (i = 0; i < N; i++) {
		int want = (i >> 8) == 0 ? CTL_DNS_OK : CTL_DNS_NONE;

		if (g[i].called != 1 || g[i].r.status != want)
			ok = 0;
	}
	CHECK(ok);
	CHECK_EQ_INT(st->errors, 0);
	CHECK_EQ_INT(st->timeouts, 0);
	CHECK(dt < 2500);                  /* nothing waited for a timeout */
	CHECK(st->window <= N);
	printf("note: burst of %d at rbldnsd: %llu ms, %llu sent, %llu deemed lost, "
	       "%lld dropped at rbldnsd's socket, window %u\n", N, (unsigned long long)dt,
	       (unsigned long long)st->sent, (unsigned long long)st->lost,
	       drops0 >= 0 && drops1 >= 0 ? drops1 - drops0 : -1, st->window);
	ctl_dns_free(d);
}

/*
 * A server that drops some queries and answers the rest in order: a query
 * overtaken by later answers is deemed lost and sent again at once, not
 * after the try's timeout (3 s here), and the window is cut.
 */
static void t_lossy(void)
{
	enum { N = 200 };
	static struct got g[N];
	char name[64];
	const struct ctl_dns_stats *st;
	struct ctl_dns *d;
	uint64_t t0, dt;
	int i, ok = 1, dropped = 0;

	check_case = "lossy";
	d = make(lossy_port, 3000, 2, 1000, 0);
	CHECK(d != NULL);
	if (!d)
		return;
	st = ctl_dns_stats(d);
	for (i = 0; i < N; i++) {
		int drop = i % 4 == 1 && i < 160;

		snprintf(name, sizeof(name), "%s%d.lossy.test", drop ? "drop" : "q", i);
		dropped += drop;
		CHECK_EQ_INT(ask(d, name, CTL_DNS_A, &g[i]), 0);
	}
	t0 = now_ms();
	run(d, 2500);
	dt = now_ms() - t0;
	for (i = 0; i < N; i++)
		if (g[i].called != 1 || g[i].r.status != CTL_DNS_NONE)
			ok = 0;
	CHECK(ok);
	CHECK_EQ_INT(st->errors, 0);
	CHECK_EQ_INT(st->timeouts, 0);
	CHECK_EQ_INT(st->lost, dropped);
	CHECK_EQ_INT(st->resent, dropped);
	CHECK_EQ_INT(st->spurious, 0);
	CHECK_EQ_INT(st->sent, N + dropped);
	CHECK(st->window_cuts >= 1);
	CHECK_EQ_INT(st->inflight, 0);
	CHECK(dt < 1500);
	ctl_dns_free(d);
}

/* Nothing listening: the ICMP error comes back through the batched
 * reads as "connrefused", at once, for every query sent. */
static void t_refused(void)
{
	struct got g[3];
	struct ctl_dns *d;
	uint16_t port = free_port();
	uint64_t t0;
	int i;

	check_case = "refused";
	d = make(port, 2000, 2, 10, 0);
	CHECK(d != NULL);
	if (!d)
		return;
	t0 = now_ms();
	for (i = 0; i < 3; i++) {
		char name[64];

		snprintf(name, sizeof(name), "%d.0.0.127.lo.bl.test", i + 1);
		CHECK_EQ_INT(ask(d, name, CTL_DNS_A, &g[i]), 0);
	}
	run(d, 3000);
	for (i = 0; i < 3; i++) {
		CHECK_EQ_INT(g[i].called, 1);
		CHECK_EQ_INT(g[i].r.status, CTL_DNS_ERROR);
		CHECK(g[i].r.error && !strcmp(g[i].r.error, "connrefused"));
	}
	CHECK(now_ms() - t0 < 1000);
	CHECK_EQ_INT(ctl_dns_stats(d)->timeouts, 0);
	ctl_dns_free(d);
}

/* A callback run by ctl_dns_free that asks again. */
static struct got again;

static void on_result_ask_again(void *arg, const struct ctl_dns_result *r)
{
	struct got *g = arg;

	on_result(arg, r);
	in_query = 1;
	CHECK_EQ_INT(ctl_dns_query(g->d, "again.lo.bl.test", CTL_DNS_A, on_result, &again), 0);
	in_query = 0;
}

/* ctl_dns_free: waiters in flight, queued and undelivered get "shutdown". */
static void t_shutdown(void)
{
	struct got g[4];
	struct ctl_dns *d;
	int i;

	check_case = "shutdown";
	d = make(silent_port, 5000, 1, 1, 0);
	CHECK(d != NULL);
	if (!d)
		return;
	CHECK_EQ_INT(ask(d, "a.lo.bl.test", CTL_DNS_A, &g[0]), 0);
	CHECK_EQ_INT(ask(d, "a.lo.bl.test", CTL_DNS_A, &g[1]), 0);  /* merged */
	CHECK_EQ_INT(ask(d, "b.lo.bl.test", CTL_DNS_A, &g[2]), 0);  /* waits: window of 1 */
	ctl_dns_process(d, NULL, 0);       /* a goes on the wire */
	CHECK_EQ_INT(ctl_dns_stats(d)->inflight, 1);
	CHECK_EQ_INT(ctl_dns_stats(d)->queued, 1);
	memset(&g[3], 0, sizeof(g[3]));
	memset(&again, 0, sizeof(again));
	g[3].d = d;
	in_query = 1;
	CHECK_EQ_INT(ctl_dns_query(d, "c.lo.bl.test", CTL_DNS_A, on_result_ask_again, &g[3]), 0);
	in_query = 0;
	CHECK_EQ_INT(ctl_dns_pending(d), 4);
	ctl_dns_free(d);
	for (i = 0; i < 4; i++) {
		CHECK_EQ_INT(g[i].called, 1);
		CHECK_EQ_INT(g[i].r.status, CTL_DNS_ERROR);
		CHECK(g[i].r.error && !strcmp(g[i].r.error, "shutdown"));
	}
	CHECK_EQ_INT(again.called, 1);
	CHECK(again.r.error && !strcmp(again.r.error, "shutdown"));
	ctl_dns_free(NULL);
}

/* LRU: with room for 2 answers, the least recently used goes. */
static void t_lru(void)
{
	struct got g;
	const struct ctl_dns_stats *st;
	struct ctl_dns *d;

	check_case = "lru";
	d = make(rbl_port, 1000, 2, 10, 2);
	CHECK(d != NULL);
	if (!d)
		return;
	st = ctl_dns_stats(d);
	ask(d, "1.0.0.10.lo.bl.test", CTL_DNS_A, &g);
	run(d, 2000);
	ask(d, "2.0.0.10.lo.bl.test", CTL_DNS_A, &g);
	run(d, 2000);
	ask(d, "1.0.0.10.lo.bl.test", CTL_DNS_A, &g);      /* 1 is now the newest */
	run(d, 2000);
	CHECK_EQ_INT(g.r.from_cache, 1);
	ask(d, "3.0.0.10.lo.bl.test", CTL_DNS_A, &g);      /* evicts 2 */
	run(d, 2000);
	CHECK_EQ_INT(st->sent, 3);
	ask(d, "1.0.0.10.lo.bl.test", CTL_DNS_A, &g);
	run(d, 2000);
	CHECK_EQ_INT(g.r.from_cache, 1);
	CHECK_EQ_INT(st->sent, 3);
	ask(d, "2.0.0.10.lo.bl.test", CTL_DNS_A, &g);
	run(d, 2000);
	CHECK_EQ_INT(g.called, 1);
	CHECK_EQ_INT(g.r.from_cache, 0);
	CHECK_EQ_INT(g.r.status, CTL_DNS_OK);
	CHECK_EQ_INT(st->sent, 4);
	ctl_dns_free(d);
}

static void t_create(void)
{
	struct ctl_dns_params p;
	struct ctl_resolver srv[2];

	check_case = "create";
	memset(&p, 0, sizeof(p));
	memset(srv, 0, sizeof(srv));
	p.ttl_min = 100;
	p.ttl_max = 10;
	CHECK(ctl_dns_create(&p) == NULL);
	p.ttl_max = 1000;
	snprintf(srv[0].host, sizeof(srv[0].host), "not-an-address");
	p.servers = srv;
	p.n_servers = 1;
	CHECK(ctl_dns_create(&p) == NULL);
	/* v4 and v6 literals with ports */
	snprintf(srv[0].host, sizeof(srv[0].host), "127.0.0.1");
	srv[0].port = 5353;
	snprintf(srv[1].host, sizeof(srv[1].host), "::1");
	srv[1].port = 5354;
	p.n_servers = 2;
	{
		struct ctl_dns *d = ctl_dns_create(&p);

		CHECK(d != NULL);
		ctl_dns_free(d);
	}
}

int main(void)
{
	if (!dnstest_have_servers()) {
		printf("SKIP: needs %s and %s\n", RBLDNSD, UNBOUND);
		return 77;
	}
	if (dnstest_init("dns") < 0)
		return 1;
	t_names();
	t_create();
	check_case = "servers";
	if (start_rbldnsd(zones, sizeof(zones) / sizeof(zones[0]), "2.0.0.127.lo.bl.test") < 0 ||
	    start_unbound() < 0 || start_silent() < 0 || start_lossy() < 0) {
		fprintf(stderr, "cannot start the test servers\n");
		cleanup();
		return 1;
	}
	t_dnsbl();
	t_merge();
	t_inflight();
	t_unbound();
	t_v6_server();
	t_timeout();
	t_burst();
	t_lossy();
	t_refused();
	t_shutdown();
	t_lru();
	check_case = "reentrancy";
	CHECK_EQ_INT(cb_inside_query, 0);
	cleanup();
	CHECK_DONE();
}
