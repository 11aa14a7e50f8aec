/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * rules-bench: HELO rule matching, Hyperscan (dp_rules) against PCRE2 used
 * the way a Postfix pcre table uses it (one pattern at a time).
 *
 * For each N in --sizes it writes N generated, deterministic (--seed) HELO
 * rules to a temporary rules file, loads them with dp_rules_load (one
 * scratch slot, so the real engine is measured), compiles the same patterns
 * one by one with PCRE2 (+JIT unless --no-jit) and times a fixed set of
 * realistic HELO values through: dp_rules_scan; raw hs_scan on the helo
 * db (the rules neither on the literal fast path nor behind a gate);
 * PCRE2 first-match (Postfix: the first matching pattern wins); PCRE2
 * all-patterns (every hit, which is what dp_rules_scan reports). Medians
 * over repetitions. PCRE2 runs on an evenly spread sample of the values,
 * sized so N * sample <= --pcre2-budget; the sample is printed.
 * Both engines must report the same rules for every sampled value: any
 * difference is printed and the exit status is 1 (2: usage, 3: setup).
 * A missed speed target is reported, not an error. Single-threaded;
 * a benchmark program, never a test.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
static inline uint64_t tsc(void) { return __rdtsc(); }
#else
static inline uint64_t tsc(void) { return 0; }
#endif

#include "dp_rules.h"

#define TARGET_RATIO_N 1000u
#define TARGET_RATIO 100.0
#define TARGET_NS_N 10000u
#define TARGET_NS 250.0
#define MAX_SIZES 16
#define MAX_REPS 64

struct opts {
	uint64_t seed;
	uint32_t n_values, hs_reps, pcre_reps, n_sizes;
	uint64_t pcre_budget;        /* pattern x value attempts per timed pass */
	uint32_t sizes[MAX_SIZES];
	int jit;
	const char *json;
};

struct pat {
	char *re;
	int caseless;
	char *example;               /* a HELO this pattern matches */
};

struct result {
	uint32_t n, sample, matching, mismatches, n_lit, n_gated, n_gate;
	double compile_ms, db_kib, hs_ns, hs_tsc, raw_ns, first_ns, all_ns;
};

/* ---- deterministic generation ---- */

static uint64_t rng_state;
static uint64_t mix64(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}
static uint64_t rnd(void) { return mix64(rng_state += 0x9e3779b97f4a7c15ull); }
static uint32_t rn(uint32_t n) { return (uint32_t)(rnd() % n); }
#define PICK(a) ((a)[rn(sizeof(a) / sizeof((a)[0]))])

static const char *const words[] = {
	"mail", "smtp", "bulk", "promo", "offer", "deal", "cheap", "pharma",
	"casino", "loan", "win", "best", "top", "fast", "mega", "hot", "free",
	"lucky", "gold", "star", "web", "host", "cloud", "data", "shop",
	"market", "trade", "click", "link", "media", "info", "zone", "secure",
	"mailer", "blast", "sender", "inbox", "direct", "prime", "ultra",
};
static const char *const tlds[] = {
	"com", "net", "org", "info", "biz", "ru", "cn", "com.br", "xyz", "top",
	"example", "in", "pl", "ua", "vn", "de", "co.uk",
};
static const char *const subs[] = { "mail", "smtp", "mx", "mx1", "relay", "out", "mta", "send" };
static const char *const dyns[] = { "dyn", "dsl", "pool", "cable", "dhcp", "res", "dynamic", "ppp" };
static const char *const isps[] = {
	"telco", "isp", "cablenet", "fibre", "broadband", "wanadoo", "netvision",
	"comcast", "verizon", "orange", "ono", "virtua", "hinet", "bezeq",
};
static const char *const shorts[] = {
	"localhost", "User", "ylmf-pc", "mail", "smtp", "unknown", "server",
	"exchange", "desktop", "home", "test", "gateway", "router", "nas",
};
/* Rules every HELO table starts with. */
static const char *const classics[][2] = {
	{ "ylmf-pc", "ylmf-pc" }, { "^localhost$", "localhost" },
	{ "^\\[?127\\.0\\.0\\.1\\]?$", "[127.0.0.1]" }, { "^friend$", "friend" },
	{ "^(?:user|admin)(?:-pc)?$", "User-PC" },
};

/* Bounded printf-append into a fixed buffer. */
__attribute__((format(printf, 3, 4)))
static void cat(char *b, size_t cap, const char *fmt, ...)
{
	size_t len = strlen(b);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(b + len, cap - len, fmt, ap);
	va_end(ap);
}

__attribute__((format(printf, 1, 2), noreturn))
static void die(const char *fmt, ...)
{
	va_list ap;

	fputs("rules-bench: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(3);
}

static char *xstrdup(const char *s)
{
	char *d = strdup(s);

	if (!d)
		die("out of memory");
	return d;
}

static unsigned octet(void) { return rn(5) ? 1 + rn(223) : rn(256); }

/* Escapes '.' of a dotted name into @b. */
static void cat_esc(char *b, size_t cap, const char *name)
{
	for (; *name; name++)
		cat(b, cap, *name == '.' ? "\\." : "%c", *name);
}

/* Pattern @i of the kinds admins put in HELO pcre tables, with a value it
 * matches. Every pattern carries a literal of at least 4 bytes. */
static void gen_pattern(uint32_t i, struct pat *p)
{
	char re[256] = "", ex[256] = "", dom[96] = "";
	const char *tld = PICK(tlds), *w = PICK(words);
	unsigned k = rn(100), num = rn(1000);

	if (i < sizeof(classics) / sizeof(classics[0])) {
		p->re = xstrdup(classics[i][0]);
		p->example = xstrdup(classics[i][1]);
		p->caseless = i == 4;
		return;
	}
	snprintf(dom, sizeof(dom), "%s%s%s%u", w, rn(2) ? "-" : "", PICK(words), num);
	p->caseless = rn(5) == 0;
	if (k < 30) {            /* anchored host: ^mail\.spam-domain123\.example$ */
		const char *s = PICK(subs);
		cat(re, sizeof(re), "^%s\\.%s\\.", s, dom);
		cat_esc(re, sizeof(re), tld);
		cat(re, sizeof(re), "$");
		snprintf(ex, sizeof(ex), "%s.%s.%s", s, dom, tld);
	} else if (k < 50) {     /* whole domain: \.spamdomain7\.ru$ */
		cat(re, sizeof(re), "\\.%s\\.", dom);
		cat_esc(re, sizeof(re), tld);
		cat(re, sizeof(re), "$");
		snprintf(ex, sizeof(ex), "h%u.%s.%s", rn(100), dom, tld);
	} else if (k < 65) {     /* dynamic: \d+-\d+-\d+-\d+\.dyn\.isp42\.net$ */
		const char *d = PICK(dyns), *isp = PICK(isps);
		unsigned n = rn(100);
		if (rn(2)) {
			cat(re, sizeof(re), "\\d+-\\d+-\\d+-\\d+\\.%s\\.%s%u\\.", d, isp, n);
			snprintf(ex, sizeof(ex), "%u-%u-%u-%u.%s.%s%u.%s",
				 octet(), octet(), octet(), octet(), d, isp, n, tld);
		} else {
			cat(re, sizeof(re), "^(?:ip|host|%s)[-.]?\\d{1,3}[-.]\\d{1,3}[-.]"
			    "\\d{1,3}[-.]\\d{1,3}\\.%s%u\\.", d, isp, n);
			snprintf(ex, sizeof(ex), "%s-%u.%u.%u.%u.%s%u.%s", d,
				 octet(), octet(), octet(), octet(), isp, n, tld);
		}
		cat_esc(re, sizeof(re), tld);
		cat(re, sizeof(re), "$");
	} else if (k < 75) {     /* substring: a spambot's HELO name */
		snprintf(re, sizeof(re), "%s-%s%u", w, rn(2) ? "pc" : "bot", num);
		snprintf(ex, sizeof(ex), "%s", re);
	} else if (k < 90) {     /* classes and alternation */
		if (rn(2)) {
			snprintf(re, sizeof(re), "^(?:smtp|mx|mail|relay)\\d*\\.%s\\.(?:com|net|biz)$", dom);
			snprintf(ex, sizeof(ex), "mx%u.%s.net", rn(20), dom);
		} else {
			snprintf(re, sizeof(re), "^[a-z]{3,8}\\d{2,4}\\.%s\\.(?:info|top|xyz)$", dom);
			snprintf(ex, sizeof(ex), "abcd%u.%s.top", 10 + rn(90), dom);
		}
	} else {                 /* spam words, caseless */
		snprintf(re, sizeof(re), "(?:cheap|best|top)[-.]?%s\\d*\\.(?:com|net|ru)$", dom);
		snprintf(ex, sizeof(ex), "Best-%s%u.COM", dom, rn(10));
		p->caseless = 1;
	}
	if (p->caseless && ex[0] >= 'a' && ex[0] <= 'z')
		ex[0] = (char)(ex[0] - 'a' + 'A');
	p->re = xstrdup(re);
	p->example = xstrdup(ex);
}

/* A HELO as sent by MTAs, dynamic hosts, IP-literal and bare-name clients. */
static void gen_value(char *b, size_t cap)
{
	unsigned k = rn(100);

	b[0] = '\0';
	if (k < 35)
		snprintf(b, cap, "%s%u%s.%s%s.%s", PICK(subs), rn(30),
			 rn(3) ? "" : "-out", PICK(words), rn(4) ? "" : "corp", PICK(tlds));
	else if (k < 60)
		snprintf(b, cap, "%s%s%u-%u-%u-%u.%s.%s%u.%s", rn(2) ? "" : PICK(dyns),
			 rn(3) ? "-" : "", octet(), octet(), octet(), octet(),
			 PICK(dyns), PICK(isps), rn(150), PICK(tlds));
	else if (k < 70)
		snprintf(b, cap, "[%u.%u.%u.%u]", octet(), octet(), octet(), octet());
	else if (k < 75)
		snprintf(b, cap, "[IPv6:2001:db8:%x::%x]", rn(65536), rn(65536));
	else if (k < 85)
		snprintf(b, cap, "%s", PICK(shorts));
	else if (k < 92)
		snprintf(b, cap, "WIN-%08X", (unsigned)rnd());
	else
		snprintf(b, cap, "EXCH%02u.%s.%s.local", rn(10), PICK(words), PICK(isps));
}

/* ---- engines ---- */

struct sig { uint32_t count; uint64_t sum; };

static void hs_noop(void *ctx, const struct dp_rule *r, uint32_t ri) { }
static void hs_sig(void *ctx, const struct dp_rule *r, uint32_t ri)
{
	struct sig *s = ctx;
	s->count++;
	s->sum += mix64(r->id);
}
static int raw_noop(unsigned id, unsigned long long from, unsigned long long to,
		    unsigned flags, void *ctx) { return 0; }

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}
static uint64_t median(uint64_t *v, uint32_t n)
{
	qsort(v, n, sizeof(*v), cmp_u64);
	return v[n / 2];
}

static int write_rules(const struct pat *pats, uint32_t n, char *path)
{
	int fd = mkstemps(path, 6);
	FILE *f;

	if (fd < 0 || !(f = fdopen(fd, "w")))
		return -errno;
	fprintf(f, "# rules-bench: %u generated helo rules\n", n);
	for (uint32_t i = 0; i < n; i++)
		fprintf(f, "helo /%s/%s score=1 id=%u msg=\"bench rule %u\"\n",
			pats[i].re, pats[i].caseless ? "i" : "", i + 1, i + 1);
	return fclose(f) ? -errno : 0;
}

/* Values, with lengths; ~2% are examples of the first N patterns. */
struct values { uint32_t n; char **v; size_t *len; };

static void make_values(struct values *vs, const struct pat *pats, uint32_t n_pat,
			uint64_t seed)
{
	char b[256];

	rng_state = seed ^ 0x76616c756573ull;
	for (uint32_t i = 0; i < vs->n; i++) {
		if (rn(100) < 2)
			snprintf(b, sizeof(b), "%s", pats[rn(n_pat)].example);
		else
			gen_value(b, sizeof(b));
		free(vs->v[i]);
		vs->v[i] = xstrdup(b);
		vs->len[i] = strlen(b);
	}
}

/* PCRE2 the Postfix way: patterns in order, stop at the first hit unless
 * @all. Returns the hits; @ret_sum identifies which rules they were. */
static inline uint32_t pcre_scan(pcre2_code *const *code, uint32_t n, const char *v,
				 size_t len, pcre2_match_data *md, int all, uint64_t *ret_sum)
{
	uint32_t hits = 0;

	*ret_sum = 0;
	for (uint32_t j = 0; j < n; j++) {
		if (pcre2_match(code[j], (PCRE2_SPTR)v, len, 0, 0, md, NULL) < 0)
			continue;
		hits++, *ret_sum += mix64(j + 1);
		if (!all)
			break;
	}
	return hits;
}

static pcre2_code **pcre_build(const struct pat *pats, uint32_t n, int jit)
{
	pcre2_code **code = calloc(n, sizeof(*code));
	PCRE2_UCHAR msg[256];
	PCRE2_SIZE off;
	int ec;

	if (!code)
		die("out of memory");
	for (uint32_t j = 0; j < n; j++) {
		code[j] = pcre2_compile((PCRE2_SPTR)pats[j].re, PCRE2_ZERO_TERMINATED,
					pats[j].caseless ? PCRE2_CASELESS : 0, &ec, &off, NULL);
		if (!code[j]) {
			pcre2_get_error_message(ec, msg, sizeof(msg));
			die("pcre2 /%s/: %s", pats[j].re, (char *)msg);
		}
		if (jit && pcre2_jit_compile(code[j], PCRE2_JIT_COMPLETE) != 0)
			die("pcre2 JIT unavailable for /%s/", pats[j].re);
	}
	return code;
}

static void run_size(const struct opts *o, const struct pat *pats, uint32_t n,
		     struct values *vs, struct result *res)
{
	char path[] = "/tmp/rules-bench-XXXXXX.rules", err[DP_RULES_ERR_MAX];
	struct dp_rules_params prm = { .path = path, .n_scratch = 1 };
	struct dp_rules_db *db = NULL;
	uint64_t t_ns[MAX_REPS], t_x[MAX_REPS], t0, t1, sum;
	uint32_t stride, ns, i, r;
	size_t dbsz = 0;
	int rc;

	memset(res, 0, sizeof(*res));
	res->n = n;
	make_values(vs, pats, n, o->seed);
	if ((rc = write_rules(pats, n, path)) < 0)
		die("%s: %s", path, strerror(-rc));
	t0 = now_ns();
	rc = dp_rules_load(&prm, &db, err, sizeof(err));
	res->compile_ms = (double)(now_ns() - t0) / 1e6;
	unlink(path);
	if (rc < 0)
		die("dp_rules_load: %s", err);
	hs_database_t *hdb = db->db[MXS_FIELD_HELO];
	if (!hdb || hs_database_size(hdb, &dbsz) != HS_SUCCESS)
		die("dp_rules_load gave no helo database");
	res->db_kib = (double)dbsz / 1024.0;
	for (i = 0; i < db->n_gate[MXS_FIELD_HELO]; i++) {   /* and the gate dbs */
		if (hs_database_size(db->gate[MXS_FIELD_HELO][i].db, &dbsz) != HS_SUCCESS)
			die("hs_database_size failed on a gate database");
		res->db_kib += (double)dbsz / 1024.0;
	}
	res->n_lit = db->n_lit[MXS_FIELD_HELO];
	res->n_gated = db->n_gated[MXS_FIELD_HELO];
	res->n_gate = db->n_gate[MXS_FIELD_HELO];

	/* Rep 0 of every loop below is a warm-up and not counted. */
	for (r = 0; r <= o->hs_reps; r++) {   /* dp_rules_scan, no-op callback */
		t0 = now_ns(), t1 = tsc();
		for (i = 0; i < vs->n; i++)
			dp_rules_scan(db, 0, MXS_FIELD_HELO, vs->v[i], vs->len[i], hs_noop, NULL);
		if (r > 0)
			t_x[r - 1] = tsc() - t1, t_ns[r - 1] = now_ns() - t0;
	}
	res->hs_ns = (double)median(t_ns, o->hs_reps) / vs->n;
	res->hs_tsc = (double)median(t_x, o->hs_reps) / vs->n;
	for (r = 0; r <= o->hs_reps; r++) {   /* raw hs_scan of the helo db alone */
		t0 = now_ns();
		for (i = 0; i < vs->n; i++)
			hs_scan(hdb, vs->v[i], (unsigned)vs->len[i], 0, db->scratch[0], raw_noop, NULL);
		if (r > 0)
			t_ns[r - 1] = now_ns() - t0;
	}
	res->raw_ns = (double)median(t_ns, o->hs_reps) / vs->n;

	pcre2_code **code = pcre_build(pats, n, o->jit);
	pcre2_match_data *md = pcre2_match_data_create(1, NULL);
	ns = (uint32_t)(o->pcre_budget / n);
	ns = ns < 100 ? 100 : ns > vs->n ? vs->n : ns;
	stride = vs->n / ns;
	res->sample = ns;
	struct sig *pall = calloc(ns, sizeof(*pall));
	uint8_t *pfirst = calloc(ns, 1);
	if (!md || !pall || !pfirst)
		die("out of memory");
	for (r = 0; r <= o->pcre_reps; r++) {   /* the two variants alternate */
		t0 = now_ns();
		for (i = 0; i < ns; i++)
			pfirst[i] = pcre_scan(code, n, vs->v[i * stride], vs->len[i * stride],
					      md, 0, &sum) > 0;
		t1 = now_ns();
		for (i = 0; i < ns; i++)
			pall[i].count = pcre_scan(code, n, vs->v[i * stride], vs->len[i * stride],
						  md, 1, &pall[i].sum);
		if (r > 0)
			t_ns[r - 1] = t1 - t0, t_x[r - 1] = now_ns() - t1;
	}
	res->first_ns = (double)median(t_ns, o->pcre_reps) / ns;
	res->all_ns = (double)median(t_x, o->pcre_reps) / ns;

	/* Correctness guard, untimed: the same rules for every sampled value. */
	for (i = 0; i < ns; i++) {
		const char *v = vs->v[i * stride];
		struct sig s = { 0, 0 };
		int hc = dp_rules_scan(db, 0, MXS_FIELD_HELO, v, vs->len[i * stride], hs_sig, &s);

		res->matching += s.count > 0;
		if (hc != (int)s.count || s.count != pall[i].count || s.sum != pall[i].sum ||
		    (s.count > 0) != pfirst[i]) {
			if (res->mismatches++ < 5)
				fprintf(stderr, "rules-bench: N=%u mismatch on \"%s\": hs %d rules, "
					"pcre2 %u rules (first-match %s)\n", n, v, hc,
					pall[i].count, pfirst[i] ? "hit" : "none");
		}
	}
	for (i = 0; i < n; i++)
		pcre2_code_free(code[i]);
	free(code), free(pall), free(pfirst);
	pcre2_match_data_free(md);
	dp_rules_db_free(db);
}

/* ---- output ---- */

static const struct result *find(const struct result *res, uint32_t k, uint32_t n)
{
	for (uint32_t i = 0; i < k; i++)
		if (res[i].n == n)
			return &res[i];
	return NULL;
}

static void write_json(const struct opts *o, const struct result *res, uint32_t k)
{
	const struct result *a = find(res, k, TARGET_RATIO_N), *b = find(res, k, TARGET_NS_N);
	FILE *f = fopen(o->json, "w");

	if (!f)
		die("%s: %s", o->json, strerror(errno));
	fprintf(f, "{\"seed\":%llu,\"values\":%u,\"hs_reps\":%u,\"pcre2_reps\":%u,"
		"\"pcre2_jit\":%s,\"results\":[", (unsigned long long)o->seed, o->n_values,
		o->hs_reps, o->pcre_reps, o->jit ? "true" : "false");
	for (uint32_t i = 0; i < k; i++)
		fprintf(f, "%s{\"n\":%u,\"compile_ms\":%.1f,\"db_kib\":%.1f,\"hs_ns_per_value\":%.1f,"
			"\"hs_tsc_per_value\":%.0f,\"hs_raw_ns_per_value\":%.1f,"
			"\"pcre2_first_ns_per_value\":%.1f,\"pcre2_all_ns_per_value\":%.1f,"
			"\"ratio_all\":%.1f,\"ratio_first\":%.1f,\"pcre2_sample\":%u,"
			"\"matching\":%u,\"mismatches\":%u,\"literal_rules\":%u,"
			"\"gated_rules\":%u,\"gate_dbs\":%u}", i ? "," : "", res[i].n,
			res[i].compile_ms, res[i].db_kib, res[i].hs_ns, res[i].hs_tsc,
			res[i].raw_ns, res[i].first_ns, res[i].all_ns,
			res[i].all_ns / res[i].hs_ns, res[i].first_ns / res[i].hs_ns,
			res[i].sample, res[i].matching, res[i].mismatches, res[i].n_lit,
			res[i].n_gated, res[i].n_gate);
	fprintf(f, "],\"targets\":{");
	if (a)
		fprintf(f, "\"ratio_all_at_%u\":{\"value\":%.1f,\"min\":%.0f,\"pass\":%s}",
			TARGET_RATIO_N, a->all_ns / a->hs_ns, TARGET_RATIO,
			a->all_ns / a->hs_ns >= TARGET_RATIO ? "true" : "false");
	if (b)
		fprintf(f, "%s\"hs_ns_at_%u\":{\"value\":%.1f,\"max\":%.0f,\"pass\":%s}",
			a ? "," : "", TARGET_NS_N, b->hs_ns, TARGET_NS,
			b->hs_ns <= TARGET_NS ? "true" : "false");
	fprintf(f, "}}\n");
	if (fclose(f))
		die("%s: %s", o->json, strerror(errno));
}

static void usage(FILE *f)
{
	fprintf(f, "usage: rules-bench [--sizes N,N,...] [--values N] [--seed S] [--reps R]\n"
		"                   [--pcre2-budget PAIRS] [--no-jit] [--quick] [--json PATH]\n");
}

static int parse_u64(const char *s, uint64_t lo, uint64_t hi, uint64_t *ret)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || *end || *s == '-' || v < lo || v > hi)
		return -EINVAL;
	*ret = v;
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "sizes", 1, 0, 's' }, { "values", 1, 0, 'v' }, { "seed", 1, 0, 'S' },
		{ "reps", 1, 0, 'r' }, { "pcre2-budget", 1, 0, 'b' }, { "no-jit", 0, 0, 'J' },
		{ "quick", 0, 0, 'q' }, { "json", 1, 0, 'j' }, { "help", 0, 0, 'h' }, { 0, 0, 0, 0 },
	};
	struct opts o = { .seed = 1, .n_values = 10000, .hs_reps = 9, .pcre_reps = 3,
			  .pcre_budget = 10000000, .n_sizes = 4,
			  .sizes = { 10, 100, 1000, 10000 }, .jit = 1 };
	int c, quick = 0, values_set = 0, reps_set = 0, budget_set = 0;
	uint64_t v;

	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case 's':
			o.n_sizes = 0;
			for (char *t = strtok(optarg, ","); t; t = strtok(NULL, ",")) {
				if (o.n_sizes == MAX_SIZES || parse_u64(t, 1, DP_RULES_MAX, &v))
					goto bad;
				o.sizes[o.n_sizes++] = (uint32_t)v;
			}
			if (!o.n_sizes)
				goto bad;
			break;
		case 'v': if (parse_u64(optarg, 100, 10000000, &v)) goto bad;
			o.n_values = (uint32_t)v, values_set = 1; break;
		case 'S': if (parse_u64(optarg, 0, UINT64_MAX, &v)) goto bad;
			o.seed = v; break;
		case 'r': if (parse_u64(optarg, 1, MAX_REPS, &v)) goto bad;
			o.hs_reps = (uint32_t)v, o.pcre_reps = (uint32_t)(v < 3 ? v : 3), reps_set = 1;
			break;
		case 'b': if (parse_u64(optarg, 1000, UINT64_MAX, &v)) goto bad;
			o.pcre_budget = v, budget_set = 1; break;
		case 'J': o.jit = 0; break;
		case 'q': quick = 1; break;
		case 'j': o.json = optarg; break;
		case 'h': usage(stdout); return 0;
		default: goto bad;
		}
	}
	if (optind != argc)
		goto bad;
	if (quick) {
		if (!values_set) o.n_values = 2000;
		if (!reps_set) o.hs_reps = 3, o.pcre_reps = 1;
		if (!budget_set) o.pcre_budget = 1000000;
	}

	uint32_t max_n = 0;
	for (uint32_t k = 0; k < o.n_sizes; k++)
		max_n = o.sizes[k] > max_n ? o.sizes[k] : max_n;
	struct pat *pats = calloc(max_n, sizeof(*pats));
	struct values vs = { .n = o.n_values, .v = calloc(o.n_values, sizeof(char *)),
			     .len = calloc(o.n_values, sizeof(size_t)) };
	struct result res[MAX_SIZES];
	if (!pats || !vs.v || !vs.len)
		die("out of memory");
	rng_state = o.seed;
	for (uint32_t i = 0; i < max_n; i++)   /* size N uses the first N */
		gen_pattern(i, &pats[i]);

	printf("rules-bench: helo field, seed %llu, %u values, hs: dp_rules_scan x%u (median), "
	       "pcre2 %s: pcre2_match one pattern at a time x%u (median)\n",
	       (unsigned long long)o.seed, o.n_values, o.hs_reps,
	       o.jit ? "JIT" : "interpreter (no JIT)", o.pcre_reps);
	printf("%6s %10s %8s %8s %8s %8s %11s %10s %7s %7s %7s %6s %5s %6s %6s\n", "N",
	       "compile_ms", "db_KiB", "hs_ns", "hs_tsc", "raw_ns", "pcre_first", "pcre_all",
	       "all/hs", "1st/hs", "sample", "match", "bad", "lit", "gated");
	fflush(stdout);
	uint32_t bad = 0;
	for (uint32_t k = 0; k < o.n_sizes; k++) {
		struct result *x = &res[k];
		run_size(&o, pats, o.sizes[k], &vs, x);
		bad += x->mismatches;
		printf("%6u %10.1f %8.1f %8.1f %8.0f %8.1f %11.1f %10.1f %7.1f %7.1f %7u %6u %5u %6u %6u\n",
		       x->n, x->compile_ms, x->db_kib, x->hs_ns, x->hs_tsc, x->raw_ns,
		       x->first_ns, x->all_ns, x->all_ns / x->hs_ns, x->first_ns / x->hs_ns,
		       x->sample, x->matching, x->mismatches, x->n_lit, x->n_gated);
		fflush(stdout);
	}
	const struct result *a = find(res, o.n_sizes, TARGET_RATIO_N);
	const struct result *b = find(res, o.n_sizes, TARGET_NS_N);
	if (a)
		printf("target: pcre2-all/hs >= %.0fx at N=%u: %.1fx %s\n", TARGET_RATIO,
		       TARGET_RATIO_N, a->all_ns / a->hs_ns,
		       a->all_ns / a->hs_ns >= TARGET_RATIO ? "PASS" : "FAIL");
	else
		printf("target: pcre2-all/hs >= %.0fx at N=%u: n/a\n", TARGET_RATIO, TARGET_RATIO_N);
	if (b)
		printf("target: hs <= %.0f ns/value at N=%u: %.1f ns %s\n", TARGET_NS,
		       TARGET_NS_N, b->hs_ns, b->hs_ns <= TARGET_NS ? "PASS" : "FAIL");
	else
		printf("target: hs <= %.0f ns/value at N=%u: n/a\n", TARGET_NS, TARGET_NS_N);
	printf("engines agree: %s (%u mismatching values)\n", bad ? "NO" : "yes", bad);
	if (o.json)
		write_json(&o, res, o.n_sizes);
	for (uint32_t i = 0; i < max_n; i++)
		free(pats[i].re), free(pats[i].example);
	for (uint32_t i = 0; i < vs.n; i++)
		free(vs.v[i]);
	free(pats), free(vs.v), free(vs.len);
	return bad ? 1 : 0;
bad:
	usage(stderr);
	return 2;
}
