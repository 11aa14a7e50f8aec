/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ctl_vtab: put/get/replace, manual over policy, expiry, match order,
 * eviction, collect filters, the manual-verdicts file (round trip, bad
 * lines), key parsing, and a randomised run against a reference model.
 * Single-threaded; files in a private temp directory.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "ctl_vtab.h"
#include "ctl_vtab_file.h"

#define S 1000000000ull
#define T0 (1700000000ull * S)

static char tmpdir[64];

static struct ctl_vtab *mk_table(size_t max, size_t cidrs)
{
	struct ctl_vtab_params p = { .max_entries = max, .max_cidrs = cidrs };
	struct ctl_vtab *t = ctl_vtab_create(&p);

	CHECK(t != NULL);
	return t;
}

static struct ctl_vtab_entry ent(const char *key, int action, int source, uint64_t expiry,
				 const char *reason)
{
	struct ctl_vtab_entry e;
	int fam = 0, plen = 0;
	char err[128];

	memset(&e, 0, sizeof(e));
	if (ctl_vtab_parse_key(key, &fam, &plen, e.v.addr, err, sizeof(err)) != 0) {
		fprintf(stderr, "bad test key %s: %s\n", key, err);
		check_failures++;
	}
	e.v.family = (uint8_t)fam;
	e.v.prefix_len = (uint8_t)plen;
	e.v.action = (uint8_t)action;
	e.v.would_be = (uint8_t)action;
	e.v.expiry_ns = expiry;
	e.source = (uint8_t)source;
	snprintf(e.reason, sizeof(e.reason), "%s", reason);
	return e;
}

static int put(struct ctl_vtab *t, const char *key, int action, int source, uint64_t expiry,
	       uint64_t now)
{
	struct ctl_vtab_entry e = ent(key, action, source, expiry, "test");

	return ctl_vtab_put(t, &e, now);
}

static const struct ctl_vtab_entry *get(const struct ctl_vtab *t, const char *key, uint64_t now)
{
	int fam, plen;
	uint8_t a[16];
	char err[128];

	if (ctl_vtab_parse_key(key, &fam, &plen, a, err, sizeof(err)) != 0)
		return NULL;
	return ctl_vtab_get(t, fam, plen, a, now);
}

static int del(struct ctl_vtab *t, const char *key, struct ctl_vtab_entry *old)
{
	int fam, plen;
	uint8_t a[16];
	char err[128];

	if (ctl_vtab_parse_key(key, &fam, &plen, a, err, sizeof(err)) != 0)
		return -99;
	return ctl_vtab_del(t, fam, plen, a, old);
}

/* The key of what matches host address s, formatted; "-" for none. */
static const char *match(const struct ctl_vtab *t, const char *s, uint64_t now)
{
	static char buf[CTL_VTAB_KEY_STRLEN];
	const struct ctl_vtab_entry *e;
	int fam, plen;
	uint8_t a[16];
	char err[128];

	if (ctl_vtab_parse_key(s, &fam, &plen, a, err, sizeof(err)) != 0)
		return "bad";
	e = ctl_vtab_match(t, fam, a, now);
	if (!e)
		return "-";
	ctl_vtab_fmt_key(buf, sizeof(buf), e->v.family, e->v.prefix_len, e->v.addr);
	return buf;
}

static void t_put_get(void)
{
	struct ctl_vtab *t = mk_table(16, 4);
	const struct ctl_vtab_entry *e;
	size_t by[MXS_ACTION_COUNT];

	check_case = "put_get";
	CHECK_EQ_INT(put(t, "192.0.2.1", MXS_ACTION_DROP, CTL_VTAB_POLICY, T0 + 100 * S, T0), 0);
	e = get(t, "192.0.2.1", T0);
	CHECK(e != NULL);
	if (e) {
		CHECK_EQ_INT(e->v.action, MXS_ACTION_DROP);
		CHECK_EQ_INT(e->created_ns, T0);
		CHECK_EQ_INT(e->updated_ns, T0);
		CHECK_EQ_INT(e->updates, 1);
		CHECK_EQ_STR(e->reason, "test");
	}
	CHECK(get(t, "192.0.2.2", T0) == NULL);
	CHECK(get(t, "2001:db8::1", T0) == NULL);
	{
		/* v4 keys ignore addr[4..15] on lookup. */
		uint8_t a[16] = { 192, 0, 2, 1, 9, 9, 9 };

		CHECK(ctl_vtab_get(t, 4, 32, a, T0) == e);
		CHECK(ctl_vtab_get(t, 4, 33, a, T0) == NULL);
		CHECK(ctl_vtab_get(t, 5, 32, a, T0) == NULL);
	}

	/* Replace: created kept, updated and counted. */
	CHECK_EQ_INT(put(t, "192.0.2.1", MXS_ACTION_TAG, CTL_VTAB_POLICY, T0 + 200 * S, T0 + 5 * S), 0);
	e = get(t, "192.0.2.1", T0 + 5 * S);
	CHECK(e != NULL);
	if (e) {
		CHECK_EQ_INT(e->v.action, MXS_ACTION_TAG);
		CHECK_EQ_INT(e->created_ns, T0);
		CHECK_EQ_INT(e->updated_ns, T0 + 5 * S);
		CHECK_EQ_INT(e->updates, 2);
	}
	CHECK_EQ_INT(ctl_vtab_count(t, by), 1);
	CHECK_EQ_INT(by[MXS_ACTION_TAG], 1);
	CHECK_EQ_INT(by[MXS_ACTION_DROP], 0);

	/* Expired at expiry < now, as the BPF programs judge. */
	CHECK(get(t, "192.0.2.1", T0 + 200 * S) != NULL);
	CHECK(get(t, "192.0.2.1", T0 + 200 * S + 1) == NULL);
	CHECK(match(t, "192.0.2.1", T0 + 200 * S + 1)[0] == '-');
	/* A put over an expired entry is a first put. */
	CHECK_EQ_INT(put(t, "192.0.2.1", MXS_ACTION_DROP, CTL_VTAB_POLICY, T0 + 900 * S, T0 + 300 * S), 0);
	e = get(t, "192.0.2.1", T0 + 300 * S);
	CHECK(e && e->created_ns == T0 + 300 * S && e->updates == 1);
	CHECK_EQ_INT(ctl_vtab_count(t, NULL), 1);

	/* v6 host and /64 keys are distinct. */
	CHECK_EQ_INT(put(t, "2001:db8::1", MXS_ACTION_DROP, CTL_VTAB_POLICY, UINT64_MAX, T0), 0);
	CHECK_EQ_INT(put(t, "2001:db8::/64", MXS_ACTION_THROTTLE, CTL_VTAB_POLICY, UINT64_MAX, T0), 0);
	e = get(t, "2001:db8::1", UINT64_MAX - 1);
	CHECK(e && e->v.action == MXS_ACTION_DROP);
	e = get(t, "2001:db8::/64", T0);
	CHECK(e && e->v.action == MXS_ACTION_THROTTLE);
	CHECK_EQ_INT(ctl_vtab_count(t, by), 3);
	CHECK_EQ_INT(by[MXS_ACTION_DROP], 2);

	{
		/* Reason always NUL-terminated. */
		struct ctl_vtab_entry x = ent("192.0.2.9", MXS_ACTION_TAG, CTL_VTAB_MANUAL, UINT64_MAX, "");

		memset(x.reason, 'r', sizeof(x.reason));
		CHECK_EQ_INT(ctl_vtab_put(t, &x, T0), 0);
		e = get(t, "192.0.2.9", T0);
		CHECK(e && strlen(e->reason) == sizeof(e->reason) - 1);
	}
	ctl_vtab_free(t);
	ctl_vtab_free(NULL);
}

static void t_invalid(void)
{
	struct ctl_vtab *t = mk_table(16, 4);
	struct ctl_vtab_entry e;
	struct ctl_vtab_params p = { 0 };

	check_case = "invalid";
	e = ent("192.0.2.1", MXS_ACTION_DROP, CTL_VTAB_POLICY, UINT64_MAX, "");
	e.v.family = 5;
	CHECK_EQ_INT(ctl_vtab_put(t, &e, T0), -EINVAL);
	e = ent("192.0.2.1", MXS_ACTION_DROP, CTL_VTAB_POLICY, UINT64_MAX, "");
	e.v.prefix_len = 33;
	CHECK_EQ_INT(ctl_vtab_put(t, &e, T0), -EINVAL);
	e = ent("192.0.2.0/24", MXS_ACTION_DROP, CTL_VTAB_MANUAL, UINT64_MAX, "");
	e.v.addr[3] = 1;                       /* host bits */
	CHECK_EQ_INT(ctl_vtab_put(t, &e, T0), -EINVAL);
	e = ent("192.0.2.1", MXS_ACTION_DROP, CTL_VTAB_MANUAL, UINT64_MAX, "");
	e.v.addr[4] = 1;                       /* beyond a v4 address */
	CHECK_EQ_INT(ctl_vtab_put(t, &e, T0), -EINVAL);
	e = ent("2001:db8::/63", MXS_ACTION_DROP, CTL_VTAB_MANUAL, UINT64_MAX, "");
	e.v.addr[7] = 1;
	CHECK_EQ_INT(ctl_vtab_put(t, &e, T0), -EINVAL);
	e = ent("192.0.2.1", MXS_ACTION_NONE, CTL_VTAB_POLICY, UINT64_MAX, "");
	CHECK_EQ_INT(ctl_vtab_put(t, &e, T0), -EINVAL);
	e = ent("192.0.2.1", MXS_ACTION_COUNT, CTL_VTAB_POLICY, UINT64_MAX, "");
	CHECK_EQ_INT(ctl_vtab_put(t, &e, T0), -EINVAL);
	e = ent("192.0.2.1", MXS_ACTION_DROP, 2, UINT64_MAX, "");
	CHECK_EQ_INT(ctl_vtab_put(t, &e, T0), -EINVAL);
	/* Policy verdicts are per host key only. */
	e = ent("192.0.2.0/24", MXS_ACTION_DROP, CTL_VTAB_POLICY, UINT64_MAX, "");
	CHECK_EQ_INT(ctl_vtab_put(t, &e, T0), -EINVAL);
	e = ent("2001:db8::/48", MXS_ACTION_DROP, CTL_VTAB_POLICY, UINT64_MAX, "");
	CHECK_EQ_INT(ctl_vtab_put(t, &e, T0), -EINVAL);
	CHECK_EQ_INT(ctl_vtab_count(t, NULL), 0);
	CHECK_EQ_INT(del(t, "192.0.2.1", NULL), -ENOENT);
	ctl_vtab_free(t);

	CHECK(ctl_vtab_create(NULL) == NULL && errno == EINVAL);
	CHECK(ctl_vtab_create(&p) == NULL && errno == EINVAL);
	p.max_entries = 4;
	p.max_cidrs = 5;
	CHECK(ctl_vtab_create(&p) == NULL && errno == EINVAL);
}

static void t_manual_wins(void)
{
	struct ctl_vtab *t = mk_table(16, 4);
	const struct ctl_vtab_entry *e;

	check_case = "manual_wins";
	CHECK_EQ_INT(put(t, "198.51.100.7", MXS_ACTION_PASS, CTL_VTAB_MANUAL, T0 + 100 * S, T0), 0);
	CHECK_EQ_INT(put(t, "198.51.100.7", MXS_ACTION_DROP, CTL_VTAB_POLICY, T0 + 50 * S, T0 + S), -EPERM);
	e = get(t, "198.51.100.7", T0 + S);
	CHECK(e && e->v.action == MXS_ACTION_PASS && e->source == CTL_VTAB_MANUAL && e->updates == 1);
	/* Manual replaces manual, and manual replaces policy. */
	CHECK_EQ_INT(put(t, "198.51.100.7", MXS_ACTION_TAG, CTL_VTAB_MANUAL, T0 + 100 * S, T0 + S), 0);
	CHECK_EQ_INT(put(t, "198.51.100.8", MXS_ACTION_DROP, CTL_VTAB_POLICY, T0 + 100 * S, T0), 0);
	CHECK_EQ_INT(put(t, "198.51.100.8", MXS_ACTION_PASS, CTL_VTAB_MANUAL, UINT64_MAX, T0 + S), 0);
	e = get(t, "198.51.100.8", T0 + 500 * S);
	CHECK(e && e->source == CTL_VTAB_MANUAL && e->updates == 2 && e->created_ns == T0);
	/* An expired manual entry no longer blocks policy. */
	CHECK_EQ_INT(put(t, "198.51.100.7", MXS_ACTION_DROP, CTL_VTAB_POLICY, T0 + 900 * S, T0 + 101 * S), 0);
	e = get(t, "198.51.100.7", T0 + 101 * S);
	CHECK(e && e->source == CTL_VTAB_POLICY && e->updates == 1);
	/* Policy entries are now in the policy heap: the manual one never expires. */
	{
		struct ctl_vtab_entry out[4];

		CHECK_EQ_INT(ctl_vtab_expire(t, T0 + 1000 * S, out, 4), 1);
		CHECK(out[0].source == CTL_VTAB_POLICY && out[0].v.addr[3] == 7);
		CHECK_EQ_INT(ctl_vtab_count(t, NULL), 1);
	}
	ctl_vtab_free(t);
}

static void t_expire(void)
{
	struct ctl_vtab *t = mk_table(64, 8);
	struct ctl_vtab_entry out[8];
	struct ctl_vtab_stats st;

	check_case = "expire";
	CHECK_EQ_INT(put(t, "192.0.2.1", MXS_ACTION_DROP, CTL_VTAB_POLICY, T0 + 30 * S, T0), 0);
	CHECK_EQ_INT(put(t, "192.0.2.2", MXS_ACTION_DROP, CTL_VTAB_POLICY, T0 + 10 * S, T0), 0);
	CHECK_EQ_INT(put(t, "192.0.2.3", MXS_ACTION_DROP, CTL_VTAB_POLICY, T0 + 20 * S, T0), 0);
	CHECK_EQ_INT(put(t, "10.0.0.0/8", MXS_ACTION_PASS, CTL_VTAB_MANUAL, T0 + 15 * S, T0), 0);
	CHECK_EQ_INT(put(t, "192.0.2.4", MXS_ACTION_TAG, CTL_VTAB_MANUAL, UINT64_MAX, T0), 0);
	CHECK_EQ_INT(ctl_vtab_expire(t, T0 + 5 * S, out, 8), 0);
	CHECK_EQ_INT(ctl_vtab_expire(t, T0 + 40 * S, out, 1), 1);
	CHECK_EQ_INT(out[0].v.addr[3], 2);
	CHECK_EQ_INT(ctl_vtab_expire(t, T0 + 40 * S, out, 2), 2);
	CHECK_EQ_INT(out[0].v.prefix_len, 8);   /* manual /8 at +15 */
	CHECK_EQ_INT(out[1].v.addr[3], 3);
	CHECK_EQ_INT(ctl_vtab_count(t, NULL), 2);
	/* Expired but not yet removed: counted, not found. */
	CHECK(get(t, "192.0.2.1", T0 + 40 * S) == NULL);
	CHECK_EQ_INT(ctl_vtab_expire(t, T0 + 40 * S, out, 8), 1);
	CHECK_EQ_INT(ctl_vtab_expire(t, UINT64_MAX, out, 8), 0);
	CHECK_EQ_INT(ctl_vtab_count(t, NULL), 1);
	CHECK(get(t, "192.0.2.4", UINT64_MAX) != NULL);
	ctl_vtab_stats(t, &st);
	CHECK_EQ_INT(st.expired, 4);
	CHECK_EQ_INT(st.cidrs, 0);
	CHECK_EQ_INT(st.manual, 1);
	CHECK_EQ_INT(ctl_vtab_expire(t, UINT64_MAX, NULL, 0), 0);
	ctl_vtab_free(t);
}

static void t_match(void)
{
	struct ctl_vtab *t = mk_table(64, 16);
	static const struct { const char *addr, *want; } c[] = {
		{ "10.1.2.3", "10.1.2.3" },
		{ "10.1.2.4", "10.1.0.0/16" },
		{ "10.200.0.1", "10.0.0.0/8" },
		{ "10.1.255.255", "10.1.0.0/16" },
		{ "10.1.3.128", "10.1.3.128/25" },
		{ "10.1.3.127", "10.1.0.0/16" },
		{ "11.0.0.1", "0.0.0.0/0" },
		{ "2001:db8:0:1::5", "2001:db8:0:1::5" },
		{ "2001:db8:0:1::6", "2001:db8:0:1::/64" },
		{ "2001:db8:0:2::1", "2001:db8::/48" },
		{ "2001:db8:1::1", "2001:db8::/32" },
		{ "2001:db9::1", "-" },
		{ "::1", "-" },
	};

	check_case = "match";
	/* CIDRs in mixed order: the list keeps itself sorted. */
	CHECK_EQ_INT(put(t, "10.1.0.0/16", MXS_ACTION_DROP, CTL_VTAB_MANUAL, UINT64_MAX, T0), 0);
	CHECK_EQ_INT(put(t, "0.0.0.0/0", MXS_ACTION_TAG, CTL_VTAB_MANUAL, UINT64_MAX, T0), 0);
	CHECK_EQ_INT(put(t, "10.1.3.128/25", MXS_ACTION_THROTTLE, CTL_VTAB_MANUAL, UINT64_MAX, T0), 0);
	CHECK_EQ_INT(put(t, "10.0.0.0/8", MXS_ACTION_PASS, CTL_VTAB_MANUAL, UINT64_MAX, T0), 0);
	CHECK_EQ_INT(put(t, "10.1.2.3", MXS_ACTION_TAG, CTL_VTAB_POLICY, T0 + 100 * S, T0), 0);
	CHECK_EQ_INT(put(t, "2001:db8::/32", MXS_ACTION_PASS, CTL_VTAB_MANUAL, UINT64_MAX, T0), 0);
	CHECK_EQ_INT(put(t, "2001:db8::/48", MXS_ACTION_DROP, CTL_VTAB_MANUAL, T0 + 50 * S, T0), 0);
	CHECK_EQ_INT(put(t, "2001:db8:0:1::/64", MXS_ACTION_THROTTLE, CTL_VTAB_POLICY, T0 + 100 * S, T0), 0);
	CHECK_EQ_INT(put(t, "2001:db8:0:1::5", MXS_ACTION_DROP, CTL_VTAB_POLICY, T0 + 100 * S, T0), 0);
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		check_case = c[i].addr;
		CHECK_EQ_STR(match(t, c[i].addr, T0), c[i].want);
	}
	check_case = "match";
	/* Expired ones are skipped: the next shorter prefix applies. */
	CHECK_EQ_STR(match(t, "2001:db8:0:2::1", T0 + 60 * S), "2001:db8::/32");
	CHECK_EQ_STR(match(t, "2001:db8:0:1::5", T0 + 200 * S), "2001:db8::/32");
	CHECK_EQ_STR(match(t, "10.1.2.3", T0 + 200 * S), "10.1.0.0/16");
	/* Deleting a CIDR unlinks it from the list. */
	CHECK_EQ_INT(del(t, "10.1.0.0/16", NULL), 0);
	CHECK_EQ_STR(match(t, "10.1.2.4", T0), "10.0.0.0/8");
	CHECK_EQ_STR(match(t, "10.1.3.129", T0), "10.1.3.128/25");
	CHECK_EQ_INT(del(t, "0.0.0.0/0", NULL), 0);
	CHECK_EQ_STR(match(t, "11.0.0.1", T0), "-");
	{
		uint8_t a[16] = { 0 };

		CHECK(ctl_vtab_match(t, 5, a, T0) == NULL);
	}
	ctl_vtab_free(t);
}

static void t_evict(void)
{
	struct ctl_vtab *t = mk_table(4, 1);
	struct ctl_vtab_entry ev, e;
	struct ctl_vtab_stats st;

	check_case = "evict";
	CHECK_EQ_INT(put(t, "192.0.2.1", MXS_ACTION_DROP, CTL_VTAB_POLICY, T0 + 300 * S, T0), 0);
	CHECK_EQ_INT(put(t, "192.0.2.2", MXS_ACTION_DROP, CTL_VTAB_POLICY, T0 + 100 * S, T0), 0);
	CHECK_EQ_INT(put(t, "192.0.2.3", MXS_ACTION_DROP, CTL_VTAB_POLICY, T0 + 200 * S, T0), 0);
	CHECK_EQ_INT(put(t, "192.0.2.4", MXS_ACTION_PASS, CTL_VTAB_MANUAL, T0 + 10 * S, T0), 0);
	/* Full: replacing needs no room. */
	CHECK_EQ_INT(put(t, "192.0.2.1", MXS_ACTION_TAG, CTL_VTAB_POLICY, T0 + 300 * S, T0), 0);
	/* The policy entry expiring soonest goes, not the manual one. */
	e = ent("192.0.2.5", MXS_ACTION_DROP, CTL_VTAB_POLICY, T0 + 400 * S, "");
	CHECK_EQ_INT(ctl_vtab_put_ex(t, &e, T0, &ev), 0);
	CHECK_EQ_INT(ev.v.family, 4);
	CHECK_EQ_INT(ev.v.addr[3], 2);
	CHECK(get(t, "192.0.2.2", T0) == NULL);
	CHECK(get(t, "192.0.2.4", T0) != NULL);
	CHECK(get(t, "192.0.2.5", T0) != NULL);
	CHECK_EQ_INT(ctl_vtab_count(t, NULL), 4);
	/* Once the manual entry has expired it goes before live policy. */
	e = ent("192.0.2.6", MXS_ACTION_DROP, CTL_VTAB_POLICY, T0 + 400 * S, "");
	CHECK_EQ_INT(ctl_vtab_put_ex(t, &e, T0 + 20 * S, &ev), 0);
	CHECK_EQ_INT(ev.v.addr[3], 4);
	CHECK(get(t, "192.0.2.3", T0 + 20 * S) != NULL);
	/* Both expired: policy goes first. */
	CHECK_EQ_INT(put(t, "192.0.2.1", MXS_ACTION_PASS, CTL_VTAB_MANUAL, T0 + 30 * S, T0), 0);
	e = ent("192.0.2.2", MXS_ACTION_DROP, CTL_VTAB_POLICY, T0 + 400 * S, "");
	CHECK_EQ_INT(ctl_vtab_put_ex(t, &e, T0 + 250 * S, &ev), 0);
	CHECK_EQ_INT(ev.v.addr[3], 3);
	CHECK(get(t, "192.0.2.1", T0 + 20 * S) != NULL);
	CHECK_EQ_INT(del(t, "192.0.2.2", NULL), 0);
	CHECK_EQ_INT(put(t, "192.0.2.3", MXS_ACTION_DROP, CTL_VTAB_POLICY, T0 + 200 * S, T0), 0);
	CHECK_EQ_INT(ctl_vtab_count(t, NULL), 4);
	/* Turn all into manual entries: then only -ENOSPC. */
	CHECK_EQ_INT(put(t, "192.0.2.1", MXS_ACTION_PASS, CTL_VTAB_MANUAL, UINT64_MAX, T0), 0);
	CHECK_EQ_INT(put(t, "192.0.2.3", MXS_ACTION_PASS, CTL_VTAB_MANUAL, UINT64_MAX, T0), 0);
	CHECK_EQ_INT(put(t, "192.0.2.5", MXS_ACTION_PASS, CTL_VTAB_MANUAL, UINT64_MAX, T0), 0);
	CHECK_EQ_INT(put(t, "192.0.2.6", MXS_ACTION_PASS, CTL_VTAB_MANUAL, UINT64_MAX, T0), 0);
	e = ent("192.0.2.7", MXS_ACTION_DROP, CTL_VTAB_POLICY, T0 + 400 * S, "");
	CHECK_EQ_INT(ctl_vtab_put_ex(t, &e, T0, &ev), -ENOSPC);
	CHECK_EQ_INT(ev.v.family, 0);
	CHECK_EQ_INT(put(t, "192.0.2.7", MXS_ACTION_DROP, CTL_VTAB_MANUAL, UINT64_MAX, T0), -ENOSPC);
	CHECK_EQ_INT(ctl_vtab_count(t, NULL), 4);
	/* A put without eviction reports none. */
	e = ent("192.0.2.6", MXS_ACTION_DROP, CTL_VTAB_MANUAL, UINT64_MAX, "");
	ev.v.family = 9;
	CHECK_EQ_INT(ctl_vtab_put_ex(t, &e, T0, &ev), 0);
	CHECK_EQ_INT(ev.v.family, 0);
	ctl_vtab_stats(t, &st);
	CHECK_EQ_INT(st.evicted, 3);
	CHECK_EQ_INT(st.manual, 4);
	CHECK_EQ_INT(st.capacity, 4);
	ctl_vtab_free(t);

	/* max_cidrs bounds manual CIDRs only. */
	t = mk_table(8, 1);
	CHECK_EQ_INT(put(t, "10.0.0.0/8", MXS_ACTION_PASS, CTL_VTAB_MANUAL, UINT64_MAX, T0), 0);
	CHECK_EQ_INT(put(t, "10.0.0.0/8", MXS_ACTION_DROP, CTL_VTAB_MANUAL, UINT64_MAX, T0), 0);
	CHECK_EQ_INT(put(t, "11.0.0.0/8", MXS_ACTION_PASS, CTL_VTAB_MANUAL, UINT64_MAX, T0), -ENOSPC);
	CHECK_EQ_INT(put(t, "11.0.0.1", MXS_ACTION_PASS, CTL_VTAB_MANUAL, UINT64_MAX, T0), 0);
	CHECK_EQ_INT(put(t, "2001:db8::/64", MXS_ACTION_PASS, CTL_VTAB_MANUAL, UINT64_MAX, T0), 0);
	CHECK_EQ_INT(del(t, "10.0.0.0/8", NULL), 0);
	CHECK_EQ_INT(put(t, "11.0.0.0/8", MXS_ACTION_PASS, CTL_VTAB_MANUAL, UINT64_MAX, T0), 0);
	ctl_vtab_free(t);

	/* max_entries 1 works. */
	t = mk_table(1, 0);
	CHECK_EQ_INT(put(t, "192.0.2.1", MXS_ACTION_DROP, CTL_VTAB_POLICY, T0 + 300 * S, T0), 0);
	CHECK_EQ_INT(put(t, "192.0.2.2", MXS_ACTION_DROP, CTL_VTAB_POLICY, T0 + 300 * S, T0), 0);
	CHECK(get(t, "192.0.2.1", T0) == NULL && get(t, "192.0.2.2", T0) != NULL);
	ctl_vtab_free(t);
}

static void t_collect_del(void)
{
	struct ctl_vtab *t = mk_table(64, 8);
	const struct ctl_vtab_entry *out[8];
	struct ctl_vtab_entry old;

	check_case = "collect";
	CHECK_EQ_INT(put(t, "192.0.2.1", MXS_ACTION_DROP, CTL_VTAB_POLICY, T0 + 100 * S, T0), 0);
	CHECK_EQ_INT(put(t, "192.0.2.2", MXS_ACTION_DROP, CTL_VTAB_POLICY, T0 + 10 * S, T0), 0);
	CHECK_EQ_INT(put(t, "192.0.2.3", MXS_ACTION_TAG, CTL_VTAB_POLICY, T0 + 100 * S, T0), 0);
	CHECK_EQ_INT(put(t, "192.0.2.4", MXS_ACTION_DROP, CTL_VTAB_MANUAL, UINT64_MAX, T0), 0);
	CHECK_EQ_INT(put(t, "10.0.0.0/8", MXS_ACTION_PASS, CTL_VTAB_MANUAL, UINT64_MAX, T0), 0);
	CHECK_EQ_INT(ctl_vtab_collect(t, -1, -1, T0, out, 8), 5);
	CHECK_EQ_INT(ctl_vtab_collect(t, -1, -1, T0 + 50 * S, out, 8), 4);
	CHECK_EQ_INT(ctl_vtab_collect(t, MXS_ACTION_DROP, -1, T0, out, 8), 3);
	CHECK_EQ_INT(ctl_vtab_collect(t, MXS_ACTION_DROP, CTL_VTAB_POLICY, T0, out, 8), 2);
	CHECK_EQ_INT(ctl_vtab_collect(t, MXS_ACTION_DROP, CTL_VTAB_POLICY, T0 + 50 * S, out, 8), 1);
	CHECK(out[0]->v.addr[3] == 1);
	CHECK_EQ_INT(ctl_vtab_collect(t, -1, CTL_VTAB_MANUAL, T0, out, 8), 2);
	CHECK_EQ_INT(ctl_vtab_collect(t, MXS_ACTION_THROTTLE, -1, T0, out, 8), 0);
	/* More than max: the total, max filled in. */
	out[1] = NULL;
	CHECK_EQ_INT(ctl_vtab_collect(t, -1, -1, T0, out, 1), 5);
	CHECK(out[1] == NULL && out[0] != NULL);
	CHECK_EQ_INT(ctl_vtab_collect(t, -1, -1, T0, NULL, 0), 5);

	check_case = "del";
	CHECK_EQ_INT(del(t, "192.0.2.1", &old), 0);
	CHECK(old.v.addr[3] == 1 && old.v.action == MXS_ACTION_DROP);
	CHECK_EQ_INT(del(t, "192.0.2.1", &old), -ENOENT);
	CHECK_EQ_INT(del(t, "10.0.0.0/16", NULL), -ENOENT);
	CHECK_EQ_INT(del(t, "192.0.2.2", NULL), 0);   /* expired or not */
	CHECK_EQ_INT(ctl_vtab_count(t, NULL), 3);
	CHECK(get(t, "192.0.2.3", T0) && get(t, "192.0.2.4", T0) && get(t, "10.0.0.0/8", T0));
	ctl_vtab_free(t);
}

/* Random puts, dels, expiry against a plain array; grows the table. */
static void t_random(void)
{
	enum { KEYS = 6000, OPS = 60000 };
	struct ref { int present; uint64_t expiry; uint8_t action; } *ref = calloc(KEYS, sizeof(*ref));
	struct ctl_vtab *t = mk_table(1 << 16, 64);
	struct ctl_vtab_entry out[64];
	uint64_t now = T0, rnd = 88172645463325252ull;
	size_t live;

	check_case = "random";
	if (!ref || !t)
		return;
	for (int op = 0; op < OPS; op++) {
		size_t k;
		uint8_t a[16] = { 0x20, 0x01, 0x0d, 0xb8 };
		int r;

		rnd ^= rnd << 13;
		rnd ^= rnd >> 7;
		rnd ^= rnd << 17;
		k = rnd % KEYS;
		a[14] = (uint8_t)(k >> 8);
		a[15] = (uint8_t)k;
		if (k % 7 == 0) {
			memcpy(a, "\x0a\x00\x00\x00", 4);
			memset(a + 4, 0, 12);
			a[2] = (uint8_t)(k >> 8);
			a[3] = (uint8_t)k;
		}
		if ((rnd >> 20) % 4 == 0) {
			r = ctl_vtab_del(t, k % 7 ? 6 : 4, k % 7 ? 128 : 32, a, NULL);
			CHECK_EQ_INT(r, ref[k].present ? 0 : -ENOENT);
			ref[k].present = 0;
		} else {
			struct ctl_vtab_entry e;

			memset(&e, 0, sizeof(e));
			memcpy(e.v.addr, a, 16);
			e.v.family = k % 7 ? 6 : 4;
			e.v.prefix_len = k % 7 ? 128 : 32;
			e.v.action = (uint8_t)(1 + (rnd >> 30) % 4);
			e.v.expiry_ns = now + ((rnd >> 40) % 1000) * S;
			CHECK_EQ_INT(ctl_vtab_put(t, &e, now), 0);
			ref[k].present = 1;
			ref[k].expiry = e.v.expiry_ns;
			ref[k].action = e.v.action;
		}
		if (op % 1000 == 999) {
			size_t n;

			now += 37 * S;
			while ((n = ctl_vtab_expire(t, now, out, 64)) > 0) {
				for (size_t i = 0; i < n; i++) {
					size_t kk = (size_t)out[i].v.addr[14] << 8 | out[i].v.addr[15];

					if (out[i].v.family == 4)
						kk = (size_t)out[i].v.addr[2] << 8 | out[i].v.addr[3];
					CHECK(out[i].v.expiry_ns < now);
					CHECK(ref[kk].present && ref[kk].expiry == out[i].v.expiry_ns);
					ref[kk].present = 0;
				}
			}
			/* Nothing expired is left behind: the heaps are in order. */
			n = 0;
			for (size_t kk = 0; kk < KEYS; kk++) {
				CHECK(!ref[kk].present || ref[kk].expiry >= now);
				n += (size_t)ref[kk].present;
			}
			CHECK_EQ_INT(ctl_vtab_count(t, NULL), n);
		}
	}
	live = 0;
	for (size_t k = 0; k < KEYS; k++) {
		uint8_t a[16] = { 0x20, 0x01, 0x0d, 0xb8 };
		const struct ctl_vtab_entry *e;
		int fam = k % 7 ? 6 : 4;

		a[14] = (uint8_t)(k >> 8);
		a[15] = (uint8_t)k;
		if (fam == 4) {
			memset(a, 0, 16);
			a[0] = 10;
			a[2] = (uint8_t)(k >> 8);
			a[3] = (uint8_t)k;
		}
		e = ctl_vtab_get(t, fam, fam == 4 ? 32 : 128, a, now);
		if (ref[k].present && ref[k].expiry >= now) {
			live++;
			CHECK(e && e->v.action == ref[k].action && e->v.expiry_ns == ref[k].expiry);
		} else {
			CHECK(e == NULL);
		}
	}
	CHECK_EQ_INT(ctl_vtab_collect(t, -1, -1, now, NULL, 0), live);
	ctl_vtab_free(t);
	free(ref);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	CHECK(f != NULL);
	if (!f)
		return;
	fputs(text, f);
	fclose(f);
}

static char *read_all(const char *path)
{
	static char buf[8192];
	FILE *f = fopen(path, "r");
	size_t n;

	buf[0] = '\0';
	if (!f)
		return buf;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static void t_save_load(void)
{
	struct ctl_vtab *t = mk_table(64, 8), *u;
	const struct ctl_vtab_entry *e;
	struct ctl_vtab_entry x;
	char path[128], err[256];
	const char *text;

	check_case = "save_load";
	snprintf(path, sizeof(path), "%s/manual.txt", tmpdir);
	CHECK_EQ_INT(ctl_vtab_save(t, path, err, sizeof(err)), 0);   /* empty */
	u = mk_table(64, 8);
	CHECK_EQ_INT(ctl_vtab_load(u, path, T0, err, sizeof(err)), 0);
	CHECK_EQ_INT(ctl_vtab_count(u, NULL), 0);

	x = ent("192.0.2.10", MXS_ACTION_DROP, CTL_VTAB_MANUAL, T0 + 3600 * S + 1, "abuse ticket #42 \"spam\" \\ run\n");
	CHECK_EQ_INT(ctl_vtab_put(t, &x, T0 - 100 * S), 0);
	x = ent("2001:db8:1:2::/64", MXS_ACTION_THROTTLE, CTL_VTAB_MANUAL, UINT64_MAX, "caf\xc3\xa9 \xff");
	CHECK_EQ_INT(ctl_vtab_put(t, &x, T0), 0);
	x = ent("10.0.0.0/8", MXS_ACTION_PASS, CTL_VTAB_MANUAL, UINT64_MAX, "");
	CHECK_EQ_INT(ctl_vtab_put(t, &x, T0), 0);
	x = ent("192.0.2.11", MXS_ACTION_TAG, CTL_VTAB_MANUAL, T0 + 10 * S, "short");
	CHECK_EQ_INT(ctl_vtab_put(t, &x, T0), 0);
	/* Policy entries are not saved. */
	CHECK_EQ_INT(put(t, "192.0.2.12", MXS_ACTION_DROP, CTL_VTAB_POLICY, T0 + 100 * S, T0), 0);
	CHECK_EQ_INT(ctl_vtab_save(t, path, err, sizeof(err)), 0);
	text = read_all(path);
	CHECK(strstr(text, "\n10.0.0.0/8 pass never 1700000000 \"\"\n"
			   "192.0.2.10/32 drop 1700003601 1699999900 "
			   "\"abuse ticket #42 \\\"spam\\\" \\\\ run\\n\"\n"
			   "192.0.2.11/32 tag 1700000010 1700000000 \"short\"\n"
			   "2001:db8:1:2::/64 throttle never 1700000000 \"caf\xc3\xa9 \\u00ff\"\n") != NULL);
	CHECK(strstr(text, "192.0.2.12") == NULL);
	CHECK(text[0] == '#');

	/* Into a table holding a policy entry for one of the keys. */
	CHECK_EQ_INT(put(u, "192.0.2.10", MXS_ACTION_PASS, CTL_VTAB_POLICY, T0 + 100 * S, T0), 0);
	CHECK_EQ_INT(ctl_vtab_load(u, path, T0 + 20 * S, err, sizeof(err)), 0);
	CHECK_EQ_INT(ctl_vtab_count(u, NULL), 3);    /* .11 had expired */
	e = get(u, "192.0.2.10", T0 + 20 * S);
	CHECK(e != NULL);
	if (e) {
		CHECK_EQ_INT(e->source, CTL_VTAB_MANUAL);
		CHECK_EQ_INT(e->v.action, MXS_ACTION_DROP);
		CHECK_EQ_INT(e->v.would_be, MXS_ACTION_DROP);
		CHECK_EQ_INT(e->v.expiry_ns, T0 + 3601 * S);
		CHECK_EQ_INT(e->v.ttl_s, 3581);
		CHECK_EQ_INT(e->v.reasons, MXS_REASON_BIT(MANUAL));
		CHECK_EQ_INT(e->created_ns, T0 - 100 * S);
		CHECK_EQ_INT(e->updated_ns, T0 + 20 * S);
		CHECK_EQ_STR(e->reason, "abuse ticket #42 \"spam\" \\ run\n");
	}
	e = get(u, "2001:db8:1:2::/64", T0);
	CHECK(e && e->v.expiry_ns == UINT64_MAX && e->v.ttl_s == 0);
	if (e)
		CHECK_EQ_STR(e->reason, "caf\xc3\xa9 \xc3\xbf");
	CHECK_EQ_STR(match(u, "10.9.9.9", T0), "10.0.0.0/8");
	CHECK(get(u, "192.0.2.11", T0) == NULL);

	/* Saving again overwrites atomically, no temp files left behind. */
	CHECK_EQ_INT(ctl_vtab_save(u, path, err, sizeof(err)), 0);
	{
		char cmd[256];

		snprintf(cmd, sizeof(cmd), "test $(ls -A %s | wc -l) -eq 1", tmpdir);
		CHECK_EQ_INT(system(cmd), 0);
	}
	snprintf(path, sizeof(path), "%s/nodir/manual.txt", tmpdir);
	CHECK(ctl_vtab_save(u, path, err, sizeof(err)) == -ENOENT);
	CHECK(strstr(err, "nodir") != NULL);
	CHECK_EQ_INT(ctl_vtab_load(u, path, T0, err, sizeof(err)), -ENOENT);
	ctl_vtab_free(t);
	ctl_vtab_free(u);
}

static void t_load_bad(void)
{
	static const struct { const char *line, *want; int rc; } c[] = {
		{ "192.0.2.300 drop never 0 \"\"", "bad IPv4 address", -EINVAL },
		{ "10.0.0.1/24 drop never 0 \"\"", "the network is 10.0.0.0/24", -EINVAL },
		{ "192.0.2.3 block never 0 \"\"", "unknown action 'block'", -EINVAL },
		{ "192.0.2.3 none never 0 \"\"", "unknown action 'none'", -EINVAL },
		{ "192.0.2.3 drop soon 0 \"\"", "bad EXPIRY", -EINVAL },
		{ "192.0.2.3 drop 99999999999999999999 0 \"\"", "bad EXPIRY", -EINVAL },
		{ "192.0.2.3 drop never -1 \"\"", "bad CREATED", -EINVAL },
		{ "192.0.2.3 drop never 0", "missing REASON", -EINVAL },
		{ "192.0.2.3 drop", "missing EXPIRY", -EINVAL },
		{ "192.0.2.3 drop never 0 reason", "JSON string", -EINVAL },
		{ "192.0.2.3 drop never 0 \"open", "unterminated", -EINVAL },
		{ "192.0.2.3 drop never 0 \"a\" b", "text after REASON", -EINVAL },
		{ "192.0.2.3 drop never 0 \"\\x\"", "bad escape", -EINVAL },
		{ "192.0.2.3 drop never 0 \"\\ud800\"", "surrogate", -EINVAL },
		{ "192.0.2.3 drop never 0 \"\\u0000\"", "NUL", -EINVAL },
		{ "192.0.2.3 drop never 0 \"\xff\"", "not UTF-8", -EINVAL },
		{ "192.0.2.1 tag never 0 \"again\"", ":4: duplicate of line 2", -EINVAL },
		{ "11.0.0.0/8 tag never 0 \"\"\n12.0.0.0/8 tag never 0 \"\"", ":5: more than max_cidrs", -ENOSPC },
	};
	struct ctl_vtab *t = mk_table(16, 1);
	const struct ctl_vtab_entry *e;
	char path[128], err[256], text[1024];

	check_case = "load_bad";
	snprintf(path, sizeof(path), "%s/bad.txt", tmpdir);
	CHECK_EQ_INT(put(t, "192.0.2.1", MXS_ACTION_PASS, CTL_VTAB_MANUAL, UINT64_MAX, T0), 0);
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		char want[300];

		check_case = c[i].line;
		snprintf(text, sizeof(text),
			 "# header\n"
			 "192.0.2.1 drop never 1700000000 \"first\"\n"
			 "   \n"
			 "%s\n"
			 "10.0.0.0/8 drop never 1700000000 \"\"\n", c[i].line);
		write_file(path, text);
		err[0] = '\0';
		CHECK_EQ_INT(ctl_vtab_load(t, path, T0, err, sizeof(err)), c[i].rc);
		snprintf(want, sizeof(want), "%s:4: ", path);
		if (!strstr(c[i].want, ":4:") && !strstr(c[i].want, ":5:"))
			CHECK(strncmp(err, want, strlen(want)) == 0);
		CHECK(strstr(err, c[i].want) != NULL);
		if (!strstr(err, c[i].want))
			fprintf(stderr, "  err: %s\n", err);
		/* Nothing of the file got in. */
		CHECK_EQ_INT(ctl_vtab_count(t, NULL), 1);
		e = get(t, "192.0.2.1", T0);
		CHECK(e && e->v.action == MXS_ACTION_PASS);
	}
	check_case = "load_bad";
	/* The same file without the bad line loads; CRLF is fine. */
	write_file(path, "192.0.2.1 drop never 1700000000 \"first\"\r\n"
			 "10.0.0.0/8 drop 1700000100 1700000000 \"\"");
	CHECK_EQ_INT(ctl_vtab_load(t, path, T0, err, sizeof(err)), 0);
	CHECK_EQ_INT(ctl_vtab_count(t, NULL), 2);
	e = get(t, "192.0.2.1", T0);
	CHECK(e && e->v.action == MXS_ACTION_DROP);
	CHECK_EQ_STR(match(t, "10.2.3.4", T0), "10.0.0.0/8");

	/* Too many entries for the table: -ENOSPC naming the line. */
	ctl_vtab_free(t);
	t = mk_table(2, 2);
	write_file(path, "192.0.2.1 drop never 0 \"\"\n192.0.2.2 drop never 0 \"\"\n"
			 "192.0.2.3 drop never 0 \"\"\n");
	CHECK_EQ_INT(ctl_vtab_load(t, path, T0, err, sizeof(err)), -ENOSPC);
	CHECK(strstr(err, ":3: ") != NULL);
	CHECK_EQ_INT(ctl_vtab_count(t, NULL), 0);
	/* Policy entries make way for loaded ones. */
	CHECK_EQ_INT(put(t, "192.0.2.8", MXS_ACTION_DROP, CTL_VTAB_POLICY, T0 + S, T0), 0);
	CHECK_EQ_INT(put(t, "192.0.2.9", MXS_ACTION_DROP, CTL_VTAB_POLICY, T0 + S, T0), 0);
	write_file(path, "192.0.2.1 drop never 0 \"\"\n192.0.2.2 drop never 0 \"\"\n");
	CHECK_EQ_INT(ctl_vtab_load(t, path, T0, err, sizeof(err)), 0);
	CHECK_EQ_INT(ctl_vtab_collect(t, -1, CTL_VTAB_MANUAL, T0, NULL, 0), 2);
	CHECK_EQ_INT(ctl_vtab_count(t, NULL), 2);
	/* A long line is an error, not a truncation. */
	{
		char big[5000];

		memset(big, 'a', sizeof(big) - 1);
		big[sizeof(big) - 1] = '\0';
		write_file(path, big);
		CHECK_EQ_INT(ctl_vtab_load(t, path, T0, err, sizeof(err)), -EINVAL);
		CHECK(strstr(err, ":1: line too long") != NULL);
	}
	ctl_vtab_free(t);
}

static void t_parse_key(void)
{
	static const struct { const char *in, *fmt; int fam, plen; } ok[] = {
		{ "192.0.2.1", "192.0.2.1", 4, 32 },
		{ "192.0.2.1/32", "192.0.2.1", 4, 32 },
		{ "10.0.0.0/24", "10.0.0.0/24", 4, 24 },
		{ "0.0.0.0/0", "0.0.0.0/0", 4, 0 },
		{ "2001:db8::1", "2001:db8::1", 6, 128 },
		{ "2001:DB8:0:1::/64", "2001:db8:0:1::/64", 6, 64 },
		{ "2001:db8::/32", "2001:db8::/32", 6, 32 },
		{ "::/0", "::/0", 6, 0 },
		{ "::ffff:192.0.2.1", "::ffff:192.0.2.1", 6, 128 },
	};
	static const struct { const char *in, *want; } bad[] = {
		{ "10.0.0.1/24", "10.0.0.1/24: host bits set, the network is 10.0.0.0/24" },
		{ "2001:db8::1/64", "the network is 2001:db8::/64" },
		{ "10.0.0.0/33", "prefix length 33 out of range" },
		{ "2001:db8::/129", "out of range" },
		{ "10.0.0.0/", "bad prefix length" },
		{ "10.0.0.0/-1", "bad prefix length" },
		{ "10.0.0.0/8x", "bad prefix length" },
		{ "10.0.0.0/0008", "bad prefix length" },
		{ "10.0.0", "bad IPv4 address" },
		{ "10.0.0.0 ", "bad IPv4 address" },
		{ "2001:db8::g", "bad IPv6 address" },
		{ "", "bad address" },
		{ "/8", "bad address" },
	};
	char err[160], buf[CTL_VTAB_KEY_STRLEN];
	uint8_t a[16];
	int fam, plen;

	check_case = "parse_key";
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		check_case = ok[i].in;
		memset(a, 0xee, sizeof(a));
		CHECK_EQ_INT(ctl_vtab_parse_key(ok[i].in, &fam, &plen, a, err, sizeof(err)), 0);
		CHECK_EQ_INT(fam, ok[i].fam);
		CHECK_EQ_INT(plen, ok[i].plen);
		if (fam == 4)
			CHECK(a[4] == 0 && a[15] == 0);
		ctl_vtab_fmt_key(buf, sizeof(buf), fam, plen, a);
		CHECK_EQ_STR(buf, ok[i].fmt);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		check_case = bad[i].in;
		err[0] = '\0';
		CHECK_EQ_INT(ctl_vtab_parse_key(bad[i].in, &fam, &plen, a, err, sizeof(err)), -EINVAL);
		CHECK(strstr(err, bad[i].want) != NULL);
		if (!strstr(err, bad[i].want))
			fprintf(stderr, "  err: %s\n", err);
	}
	check_case = "fmt_key";
	memset(a, 0, sizeof(a));
	ctl_vtab_fmt_key(buf, sizeof(buf), 7, 32, a);
	CHECK_EQ_STR(buf, "?");
	a[0] = 192;
	ctl_vtab_fmt_key(buf, 6, 4, 32, a);
	CHECK_EQ_STR(buf, "192.0");
}

int main(void)
{
	char cmd[96];

	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_ctl_vtab.XXXXXX");
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	t_put_get();
	t_invalid();
	t_manual_wins();
	t_expire();
	t_match();
	t_evict();
	t_collect_del();
	t_random();
	t_save_load();
	t_load_bad();
	t_parse_key();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", tmpdir);
	CHECK_DONE();
}
