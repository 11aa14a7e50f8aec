/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit test for dp_rules: rules files -> per-field Hyperscan databases.
 * Table-driven: every parse error with its exact "FILE:LINE: reason",
 * path errors, all-or-nothing loads, directories (order, ignored files,
 * duplicate ids and macros across files), macros (define/default,
 * escaping), flags i and u, per-slot hit counting, Hyperscan's own
 * compile errors mapped to FILE:LINE, 10,000 rules, the rule limit; then
 * the shipped etc/rules: every default rule with the values it must hit
 * and the legitimate ones it must spare, the conformance corpus HELOs
 * included. Rule files go into a mkdtemp directory, removed at the end.
 * Single-threaded.
 */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "dp_rules.h"

#define TPATH_MAX 512

static char tmp[128];
static char created[64][TPATH_MAX];     /* to remove at the end, reversed */
static int n_created;

static void remember(const char *path)
{
	if (n_created < 64) {
		int i;

		for (i = 0; i < n_created; i++)
			if (!strcmp(created[i], path))
				return;
		snprintf(created[n_created++], TPATH_MAX, "%s", path);
	}
}

static const char *tpath(const char *name)
{
	static char buf[4][TPATH_MAX];
	static int k;
	char *b = buf[k++ & 3];

	snprintf(b, TPATH_MAX, "%.127s/%.300s", tmp, name);
	return b;
}

static void mkdir_t(const char *name)
{
	const char *p = tpath(name);

	if (mkdir(p, 0700) < 0 && errno != EEXIST) {
		perror(p);
		exit(2);
	}
	remember(p);
}

static void write_bytes(const char *name, const char *data, size_t n)
{
	const char *p = tpath(name);
	FILE *f = fopen(p, "w");

	if (!f || fwrite(data, 1, n, f) != n || fclose(f)) {
		perror(p);
		exit(2);
	}
	remember(p);
}

static void write_file(const char *name, const char *text)
{
	write_bytes(name, text, strlen(text));
}

static void cleanup(void)
{
	while (n_created > 0) {
		const char *p = created[--n_created];

		if (unlink(p) < 0)
			rmdir(p);
	}
	rmdir(tmp);
}

static int load(const char *path, uint32_t n_scratch, struct dp_rules_db **db, char *err)
{
	struct dp_rules_params p = { .path = path, .n_scratch = n_scratch };

	*db = (struct dp_rules_db *)(uintptr_t)1;   /* must come back NULL on error */
	return dp_rules_load(&p, db, err, DP_RULES_ERR_MAX);
}

/* ---- scanning into a sorted id list ------------------------------------ */

struct hitset {
	uint32_t ids[32];
	int n;
};

static void collect(void *ctx, const struct dp_rule *r, uint32_t idx)
{
	struct hitset *h = ctx;

	(void)idx;
	if (h->n < 32)
		h->ids[h->n++] = r->id;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

/* "1003,1022" (sorted), "" for no hit, "ERR" when the scan failed or the
 * return value disagrees with the callbacks. */
static const char *scan_ids(const struct dp_rules_db *db, uint32_t slot, unsigned field,
			    const char *v)
{
	static char out[256];
	struct hitset h = { .n = 0 };
	size_t o = 0;
	int rc;

	rc = dp_rules_scan(db, slot, field, v, strlen(v), collect, &h);
	if (rc < 0 || rc != h.n)
		return "ERR";
	qsort(h.ids, (size_t)h.n, sizeof(h.ids[0]), cmp_u32);
	out[0] = '\0';
	for (int i = 0; i < h.n; i++)
		o += (size_t)snprintf(out + o, sizeof(out) - o, "%s%u", i ? "," : "", h.ids[i]);
	return out;
}

/* ---- parse errors ------------------------------------------------------- */

#define OK_RULE "helo /^ok$/ score=1 id=1 msg=\"ok\"\n"

static const struct {
	const char *text;
	const char *want;       /* after "<tmp>/err/"; '@' stands for "<tmp>/err" */
} parse_errors[] = {
	{ "# comment\n\nhello /x/ score=1 id=1 msg=\"m\"\n",
	  "x.rules:3: unknown field 'hello' (want helo, mail_from or rcpt_to)" },
	{ "Helo /x/ score=1 id=1 msg=\"m\"\n",
	  "x.rules:1: unknown field 'Helo' (want helo, mail_from or rcpt_to)" },
	{ OK_RULE "\n\nhelo x/ score=1 id=2 msg=\"m\"\n",
	  "x.rules:4: pattern must start with '/'" },
	{ "helo\n", "x.rules:1: pattern must start with '/'" },
	{ OK_RULE "#\n#\nmail_from /abc score=1 id=2 msg=\"m\"\n",
	  "x.rules:4: unterminated pattern" },
	{ "helo /abc\\/\n", "x.rules:1: unterminated pattern" },
	{ "helo /abc\\\n", "x.rules:1: unterminated pattern" },
	{ "helo // score=1 id=1 msg=\"m\"\n", "x.rules:1: empty pattern" },
	{ "\n\n\n\nhelo /x/ig score=1 id=1 msg=\"m\"\n",
	  "x.rules:5: unknown flag 'g' (want i, u)" },
	{ "helo /x/ii score=1 id=1 msg=\"m\"\n", "x.rules:1: flag 'i' given twice" },
	{ "\n\n\n\n\nhelo /x/ score=abc id=1 msg=\"m\"\n",
	  "x.rules:6: score 'abc' is not an integer in -10000..10000" },
	{ "helo /x/ score=10001 id=1 msg=\"m\"\n",
	  "x.rules:1: score '10001' is not an integer in -10000..10000" },
	{ "helo /x/ score=1x id=1 msg=\"m\"\n",
	  "x.rules:1: score '1x' is not an integer in -10000..10000" },
	{ "helo /x/ score= id=1 msg=\"m\"\n",
	  "x.rules:1: score '' is not an integer in -10000..10000" },
	{ "\n\n\n\n\n\nrcpt_to /x/ score=1 msg=\"m\"\n", "x.rules:7: missing id=" },
	{ "helo /x/ id=1 msg=\"m\"\n", "x.rules:1: missing score=" },
	{ "helo /x/ score=1 id=1\n", "x.rules:1: missing msg=" },
	{ "helo /x/ score=1 id=0 msg=\"m\"\n",
	  "x.rules:1: id '0' is not an integer in 1..2147483647" },
	{ "helo /x/ score=1 id=2147483648 msg=\"m\"\n",
	  "x.rules:1: id '2147483648' is not an integer in 1..2147483647" },
	{ "\n\nhelo /a/ score=1 id=12 msg=\"m\"\n\n\n\n\nhelo /b/ score=1 id=12 msg=\"m\"\n",
	  "x.rules:8: duplicate id 12 (first at @/x.rules:3)" },
	{ "helo /x/ score=1 id=1 msg=m\n", "x.rules:1: msg must be a double-quoted string" },
	{ "helo /x/ score=1 id=1 msg=\"m\" level=3\n", "x.rules:1: unknown key 'level'" },
	{ "helo /x/ score=1 score=2 id=1 msg=\"m\"\n", "x.rules:1: key 'score' given twice" },
	{ "helo /x/ score=1 id=1 msg=\"m\" msg=\"n\"\n", "x.rules:1: key 'msg' given twice" },
	{ "helo /x/ score=1 id=1 msg=\"m\" extra\n", "x.rules:1: expected key=value, got 'extra'" },
	{ "helo /x/ score=1 id=1 =3 msg=\"m\"\n", "x.rules:1: expected key=value, got '=3'" },
	{ "helo /x/ score=1 id=1 msg=\"m\n", "x.rules:1: unterminated msg string" },
	{ "helo /x/ score=1 id=1 msg=\"a\\nb\"\n",
	  "x.rules:1: bad escape '\\n' in msg (want \\\" or \\\\)" },
	{ "helo /x/ score=1 id=1 msg=\"\"\n", "x.rules:1: msg is empty" },
	{ "helo /x/ score=1 id=1 msg=\"a\"b\n", "x.rules:1: unexpected 'b' after msg string" },
	{ "helo /x/ score=1 id=1 msg=\"a\tb\"\n", "x.rules:1: control character 0x09 in msg" },
	{ "\n\n\n\n\n\n\n\n\nhelo /^%{my_names}$/ score=1 id=1 msg=\"m\"\n",
	  "x.rules:10: undefined macro %{my_names}" },
	{ "helo /%{a b}/ score=1 id=1 msg=\"m\"\n",
	  "x.rules:1: bad macro reference '%{a' (want %{NAME})" },
	{ "\ndefine my_names = a.example\n\n\n\n\n\n\n\n\ndefine my_names = b.example\n",
	  "x.rules:11: macro 'my_names' already defined at @/x.rules:2" },
	{ "default m = a\ndefine m = b\n", "x.rules:2: macro 'm' already defined at @/x.rules:1" },
	{ "define m =\n", "x.rules:1: macro 'm' has no values" },
	{ "define m = , ,  # nothing\n", "x.rules:1: macro 'm' has no values" },
	{ "define\n", "x.rules:1: define needs a macro name" },
	{ "default = x\n", "x.rules:1: default needs a macro name" },
	{ "define 9x = y\n", "x.rules:1: bad macro name '9x' (want letters, digits, _)" },
	{ "define a-b = y\n", "x.rules:1: bad macro name 'a-b' (want letters, digits, _)" },
	{ "define m y\n", "x.rules:1: expected '=' after macro name 'm'" },
};

static void test_parse_errors(void)
{
	char err[DP_RULES_ERR_MAX], want[1024];
	struct dp_rules_db *db;

	mkdir_t("err");
	for (size_t i = 0; i < sizeof(parse_errors) / sizeof(parse_errors[0]); i++) {
		const char *w = parse_errors[i].want;
		size_t o;

		check_case = w;
		write_file("err/x.rules", parse_errors[i].text);
		o = (size_t)snprintf(want, sizeof(want), "%s/", tpath("err"));
		for (; *w && o + TPATH_MAX < sizeof(want); w++) {
			if (*w == '@')
				o += (size_t)snprintf(want + o, sizeof(want) - o, "%s", tpath("err"));
			else
				want[o++] = *w;
		}
		want[o] = '\0';
		CHECK_EQ_INT(load(tpath("err/x.rules"), 1, &db, err), -EINVAL);
		CHECK(db == NULL);
		CHECK_EQ_STR(err, want);
	}
}

/* Errors that need more than a text table: sizes, bytes, paths. */
static void test_file_errors(void)
{
	char err[DP_RULES_ERR_MAX], want[1024];
	struct dp_rules_db *db;
	static char big[8192];

	check_case = "long line";
	{
		/* line 2: '#' and 4096 more bytes */
		size_t n = strlen(OK_RULE);

		memcpy(big, OK_RULE, n);
		big[n] = '#';
		memset(big + n + 1, 'a', 4096);
		big[n + 4097] = '\n';
		write_bytes("err/x.rules", big, n + 4098);
		CHECK_EQ_INT(load(tpath("err/x.rules"), 1, &db, err), -EINVAL);
		snprintf(want, sizeof(want), "%s: line longer than 4096 bytes",
			 tpath("err/x.rules:2"));
		CHECK_EQ_STR(err, want);
		CHECK(db == NULL);
	}

	check_case = "4096-byte line";
	{
		/* exactly at the limit is fine: pad with a trailing comment */
		size_t n = strlen(OK_RULE) - 1;

		memcpy(big, OK_RULE, n);
		memset(big + n, ' ', 4096 - n);
		big[n + 1] = '#';
		big[4096] = '\n';
		write_bytes("err/x.rules", big, 4097);
		CHECK_EQ_INT(load(tpath("err/x.rules"), 1, &db, err), 0);
		CHECK_EQ_STR(err, "");
		CHECK(db && db->n_rules == 1);
		dp_rules_db_free(db);
	}

	check_case = "NUL byte";
#define NUL_TEXT OK_RULE "# a\0b\n" OK_RULE
	write_bytes("err/x.rules", NUL_TEXT, sizeof(NUL_TEXT) - 1);
	CHECK_EQ_INT(load(tpath("err/x.rules"), 1, &db, err), -EINVAL);
	snprintf(want, sizeof(want), "%s: NUL byte in line", tpath("err/x.rules:2"));
	CHECK_EQ_STR(err, want);
	CHECK(db == NULL);

	check_case = "missing file";
	CHECK_EQ_INT(load(tpath("nope.rules"), 1, &db, err), -ENOENT);
	snprintf(want, sizeof(want), "%s: No such file or directory", tpath("nope.rules"));
	CHECK_EQ_STR(err, want);
	CHECK(db == NULL);

	check_case = "not a directory";
	CHECK_EQ_INT(load(tpath("err/x.rules/y.rules"), 1, &db, err), -ENOTDIR);
	snprintf(want, sizeof(want), "%s: Not a directory", tpath("err/x.rules/y.rules"));
	CHECK_EQ_STR(err, want);

	if (geteuid() != 0) {   /* root reads anything */
		check_case = "unreadable";
		write_file("err/x.rules", OK_RULE);
		chmod(tpath("err/x.rules"), 0);
		CHECK_EQ_INT(load(tpath("err/x.rules"), 1, &db, err), -EACCES);
		snprintf(want, sizeof(want), "%s: Permission denied", tpath("err/x.rules"));
		CHECK_EQ_STR(err, want);
		chmod(tpath("err/x.rules"), 0600);
	}

	check_case = "empty directory";
	mkdir_t("empty");
	CHECK_EQ_INT(load(tpath("empty"), 1, &db, err), -ENOENT);
	snprintf(want, sizeof(want), "%s: no *.rules files", tpath("empty"));
	CHECK_EQ_STR(err, want);
	CHECK(db == NULL);

	check_case = "directory without *.rules";
	mkdir_t("norules");
	write_file("norules/README", OK_RULE);
	write_file("norules/a.rules.bak", OK_RULE);
	write_file("norules/.rules", OK_RULE);
	CHECK_EQ_INT(load(tpath("norules"), 1, &db, err), -ENOENT);
	snprintf(want, sizeof(want), "%s: no *.rules files", tpath("norules"));
	CHECK_EQ_STR(err, want);

	check_case = "n_scratch";
	write_file("err/x.rules", OK_RULE);
	CHECK_EQ_INT(load(tpath("err/x.rules"), 0, &db, err), -EINVAL);
	CHECK(db == NULL);
	CHECK_EQ_INT(load(tpath("err/x.rules"), DP_RULES_MAX_LCORES + 1, &db, err), -EINVAL);
	CHECK(db == NULL);
	CHECK_EQ_INT(load(tpath("err/x.rules"), DP_RULES_MAX_LCORES, &db, err), 0);
	CHECK(db && db->n_scratch == DP_RULES_MAX_LCORES);
	dp_rules_db_free(db);

	check_case = "NULL-safe free";
	dp_rules_db_free(NULL);
}

/* Three good lines and one bad: an error and nothing else. */
static void test_all_or_nothing(void)
{
	char err[DP_RULES_ERR_MAX], want[1024];
	struct dp_rules_db *db;

	check_case = "all or nothing";
	write_file("err/x.rules",
		   "helo /a/ score=1 id=1 msg=\"a\"\n"
		   "mail_from /b/ score=1 id=2 msg=\"b\"\n"
		   "rcpt_to /c/ score=1 id=3 msg=\"c\"\n"
		   "helo /d/ score=1 id=4 msg=\"d\" oops=1\n");
	CHECK_EQ_INT(load(tpath("err/x.rules"), 2, &db, err), -EINVAL);
	CHECK(db == NULL);
	snprintf(want, sizeof(want), "%s: unknown key 'oops'", tpath("err/x.rules:4"));
	CHECK_EQ_STR(err, want);

	check_case = "all or nothing, Hyperscan";
	write_file("err/x.rules",
		   "helo /a/ score=1 id=1 msg=\"a\"\n"
		   "mail_from /b/ score=1 id=2 msg=\"b\"\n"
		   "rcpt_to /c/ score=1 id=3 msg=\"c\"\n"
		   "rcpt_to /(c)\\1/ score=1 id=4 msg=\"d\"\n");
	CHECK_EQ_INT(load(tpath("err/x.rules"), 2, &db, err), -EINVAL);
	CHECK(db == NULL);
}

/* Hyperscan's own message, mapped back to FILE:LINE of the right field. */
static void test_hyperscan_errors(void)
{
	static const struct {
		const char *bad;          /* line 12 of the file */
		const char *shown;        /* the pattern as the error quotes it */
	} cases[] = {
		{ "mail_from /a(?<=b)c/ score=1 id=12 msg=\"lookbehind\"", "a(?<=b)c" },
		{ "mail_from /(a)\\1/ score=1 id=12 msg=\"backref\"", "(a)\\1" },
		{ "mail_from /a(?=b)/ score=1 id=12 msg=\"lookahead\"", "a(?=b)" },
		{ "mail_from /x*/ score=1 id=12 msg=\"empty match\"", "x*" },
		{ "mail_from /a[/ score=1 id=12 msg=\"syntax\"", "a[" },
		{ "mail_from /\xff/u score=1 id=12 msg=\"bad UTF-8\"", "\xff" },
		{ "mail_from /%{m}x(?<=y)/ score=1 id=12 msg=\"expanded\"", "(?:a\\.b)x(?<=y)" },
	};
	char err[DP_RULES_ERR_MAX], want[1024], text[2048];
	struct dp_rules_db *db;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		check_case = cases[i].shown;
		/* helo rules before and mail_from rules on both sides, so the
		 * expression index differs from the rule index and the line */
		snprintf(text, sizeof(text),
			 "define m = a.b\n"
			 "helo /h1/ score=1 id=1 msg=\"h\"\n"
			 "helo /h2/ score=1 id=2 msg=\"h\"\n"
			 "mail_from /m1/ score=1 id=3 msg=\"m\"\n"
			 "helo /h3/ score=1 id=4 msg=\"h\"\n"
			 "\n\n\n\n\n"
			 "mail_from /m2/ score=1 id=5 msg=\"m\"\n"
			 "%s\n"
			 "mail_from /m3/ score=1 id=13 msg=\"m\"\n", cases[i].bad);
		write_file("err/x.rules", text);
		CHECK_EQ_INT(load(tpath("err/x.rules"), 1, &db, err), -EINVAL);
		CHECK(db == NULL);
		snprintf(want, sizeof(want), "%s: Hyperscan rejects /%s/: ",
			 tpath("err/x.rules:12"), cases[i].shown);
		CHECK(strncmp(err, want, strlen(want)) == 0);
		CHECK(strlen(err) > strlen(want));        /* Hyperscan's reason follows */
		if (strncmp(err, want, strlen(want)))
			fprintf(stderr, "  got: %s\n  want prefix: %s\n", err, want);
	}
}

/* ---- directories --------------------------------------------------------- */

static void test_directories(void)
{
	char err[DP_RULES_ERR_MAX], want[1024];
	struct dp_rules_db *db;

	check_case = "directory order";
	mkdir_t("d1");
	mkdir_t("d1/sub.rules");
	write_file("d1/sub.rules/z.rules", "junk\n");
	write_file("d1/2.rules", "helo /two/ score=2 id=20 msg=\"two\"\n");
	write_file("d1/10.rules", "# first by strcmp\nhelo /ten/ score=10 id=10 msg=\"ten\"\n");
	write_file("d1/a.rules", "# no rules at all\n");
	write_file("d1/README", "junk\n");
	write_file("d1/2.rules~", "junk\n");
	write_file("d1/.hidden.rules", "junk\n");
	/* trailing slash: file names must not come out with "//" */
	snprintf(want, sizeof(want), "%s/", tpath("d1"));
	CHECK_EQ_INT(load(want, 1, &db, err), 0);
	CHECK_EQ_STR(err, "");
	if (db) {
		CHECK_EQ_INT(db->n_rules, 2);
		CHECK_EQ_INT(db->rules[0].id, 10);
		CHECK_EQ_STR(db->rules[0].file, tpath("d1/10.rules"));
		CHECK_EQ_INT(db->rules[0].line, 2);
		CHECK_EQ_INT(db->rules[0].score, 10);
		CHECK_EQ_STR(db->rules[0].msg, "ten");
		CHECK_EQ_INT(db->rules[1].id, 20);
		CHECK_EQ_STR(db->rules[1].file, tpath("d1/2.rules"));
		CHECK_EQ_STR(scan_ids(db, 0, MXS_FIELD_HELO, "ten-two"), "10,20");
		dp_rules_db_free(db);
	}

	check_case = "macros follow file order";
	write_file("d1/2.rules", "define m = two\n");
	write_file("d1/10.rules", "define m = ten\n");
	CHECK_EQ_INT(load(tpath("d1"), 1, &db, err), -EINVAL);
	snprintf(want, sizeof(want), "%s: macro 'm' already defined at %s:1",
		 tpath("d1/2.rules:1"), tpath("d1/10.rules"));
	CHECK_EQ_STR(err, want);
	CHECK(db == NULL);

	check_case = "duplicate id across files";
	mkdir_t("d2");
	write_file("d2/a.rules", "# a\n\nhelo /a/ score=1 id=12 msg=\"a\"\n");
	write_file("d2/b.rules", "helo /b/ score=1 id=13 msg=\"b\"\nmail_from /b/ score=1 id=12 msg=\"b\"\n");
	CHECK_EQ_INT(load(tpath("d2"), 1, &db, err), -EINVAL);
	snprintf(want, sizeof(want), "%s: duplicate id 12 (first at %s:3)",
		 tpath("d2/b.rules:2"), tpath("d2/a.rules"));
	CHECK_EQ_STR(err, want);
	CHECK(db == NULL);

	check_case = "error in a later file";
	write_file("d2/b.rules", "helo /b/ score=1 id=13 msg=\"b\"\n\nhelo /b/ score=1 id=14 msg=\"b\" x\n");
	CHECK_EQ_INT(load(tpath("d2"), 1, &db, err), -EINVAL);
	snprintf(want, sizeof(want), "%s: expected key=value, got 'x'", tpath("d2/b.rules:3"));
	CHECK_EQ_STR(err, want);

	check_case = "Hyperscan error in a later file";
	write_file("d2/b.rules", "helo /b/ score=1 id=13 msg=\"b\"\n\nhelo /b(?<!a)/ score=1 id=14 msg=\"b\"\n");
	CHECK_EQ_INT(load(tpath("d2"), 1, &db, err), -EINVAL);
	snprintf(want, sizeof(want), "%s: Hyperscan rejects /b(?<!a)/: ", tpath("d2/b.rules:3"));
	CHECK(strncmp(err, want, strlen(want)) == 0);
}

/* ---- macros and flags ---------------------------------------------------- */

static void test_macros(void)
{
	char err[DP_RULES_ERR_MAX];
	struct dp_rules_db *db;

	check_case = "define beats a later default";
	mkdir_t("m1");
	write_file("m1/00-site.rules", "define m = one.example\n");
	write_file("m1/50-default.rules",
		   "default m = two.example\n"
		   "default n = three.example, four.example   # comment\n"
		   "helo /^%{m}$/ score=1 id=1 msg=\"m\"\n"
		   "helo /^%{n}$/ score=1 id=2 msg=\"n\"\n");
	CHECK_EQ_INT(load(tpath("m1"), 1, &db, err), 0);
	CHECK_EQ_STR(err, "");
	if (db) {
		CHECK_EQ_STR(db->rules[0].pattern, "^(?:one\\.example)$");
		CHECK_EQ_STR(db->rules[1].pattern, "^(?:three\\.example|four\\.example)$");
		CHECK_EQ_STR(scan_ids(db, 0, MXS_FIELD_HELO, "one.example"), "1");
		CHECK_EQ_STR(scan_ids(db, 0, MXS_FIELD_HELO, "two.example"), "");
		CHECK_EQ_STR(scan_ids(db, 0, MXS_FIELD_HELO, "three.example"), "2");
		CHECK_EQ_STR(scan_ids(db, 0, MXS_FIELD_HELO, "four.example"), "2");
		CHECK_EQ_STR(scan_ids(db, 0, MXS_FIELD_HELO, "oneXexample"), "");
		dp_rules_db_free(db);
	}

	check_case = "default alone";
	write_file("m1/00-site.rules", "# nothing defined\n");
	CHECK_EQ_INT(load(tpath("m1"), 1, &db, err), 0);
	if (db) {
		CHECK_EQ_STR(scan_ids(db, 0, MXS_FIELD_HELO, "two.example"), "1");
		CHECK_EQ_STR(scan_ids(db, 0, MXS_FIELD_HELO, "one.example"), "");
		dp_rules_db_free(db);
	}

	check_case = "values are literal";
	write_file("err/x.rules",
		   "define lit = a.b[c x-y,z+w (p)|q a_b h\xc3\xa9 *^$\\ {1}\n"
		   "helo /^%{lit}$/ score=1 id=1 msg=\"lit\"\n"
		   "helo /\\%{lit}/ score=1 id=2 msg=\"not a reference\"\n"
		   "helo /\\/%{lit}\\// score=1 id=3 msg=\"slashes\"\n");
	CHECK_EQ_INT(load(tpath("err/x.rules"), 1, &db, err), 0);
	CHECK_EQ_STR(err, "");
	if (db) {
		CHECK_EQ_STR(db->rules[0].pattern,
			     "^(?:a\\.b\\[c|x\\-y|z\\+w|\\(p\\)\\|q|a\\_b|h\xc3\xa9|\\*\\^\\$\\\\|\\{1\\})$");
		CHECK_EQ_STR(db->rules[1].pattern, "\\%{lit}");
		CHECK_EQ_STR(db->rules[2].pattern, "/(?:a\\.b\\[c|x\\-y|z\\+w|\\(p\\)\\|q|a\\_b|h\xc3\xa9|\\*\\^\\$\\\\|\\{1\\})/");
		CHECK_EQ_STR(scan_ids(db, 0, MXS_FIELD_HELO, "a.b[c"), "1");
		CHECK_EQ_STR(scan_ids(db, 0, MXS_FIELD_HELO, "axb[c"), "");
		CHECK_EQ_STR(scan_ids(db, 0, MXS_FIELD_HELO, "ab[c"), "");
		CHECK_EQ_STR(scan_ids(db, 0, MXS_FIELD_HELO, "x-y"), "1");
		CHECK_EQ_STR(scan_ids(db, 0, MXS_FIELD_HELO, "z+w"), "1");
		CHECK_EQ_STR(scan_ids(db, 0, MXS_FIELD_HELO, "zzw"), "");
		CHECK_EQ_STR(scan_ids(db, 0, MXS_FIELD_HELO, "(p)|q"), "1");
		CHECK_EQ_STR(scan_ids(db, 0, MXS_FIELD_HELO, "q"), "");
		CHECK_EQ_STR(scan_ids(db, 0, MXS_FIELD_HELO, "a_b"), "1");
		CHECK_EQ_STR(scan_ids(db, 0, MXS_FIELD_HELO, "h\xc3\xa9"), "1");
		CHECK_EQ_STR(scan_ids(db, 0, MXS_FIELD_HELO, "*^$\\"), "1");
		CHECK_EQ_STR(scan_ids(db, 0, MXS_FIELD_HELO, "{1}"), "1");
		CHECK_EQ_STR(scan_ids(db, 0, MXS_FIELD_HELO, "%{lit}"), "2");
		CHECK_EQ_STR(scan_ids(db, 0, MXS_FIELD_HELO, "</x-y/>"), "3");
		dp_rules_db_free(db);
	}
}

static void test_flags(void)
{
	char err[DP_RULES_ERR_MAX];
	struct dp_rules_db *db;

	check_case = "flags";
	write_file("err/x.rules",
		   "helo /^abc$/i score=1 id=1 msg=\"caseless\"\n"
		   "helo /^abc$/ score=1 id=2 msg=\"exact\"\n"
		   "helo /^.$/u score=1 id=3 msg=\"one character\"\n"
		   "helo /^.$/ score=1 id=4 msg=\"one byte\"\n"
		   "helo /^\\w\xc3\xa9\\w$/iu score=-5 id=5 msg=\"letters \\\"w\\\" \\\\ caseless\"\n"
		   "helo/^x\\/y$/ui score=+2 msg=\"tight\" id=6 # trailing comment\n");
	CHECK_EQ_INT(load(tpath("err/x.rules"), 1, &db, err), 0);
	CHECK_EQ_STR(err, "");
	if (!db)
		return;
	CHECK_EQ_INT(db->rules[0].flags, DP_RULE_F_CASELESS);
	CHECK_EQ_INT(db->rules[1].flags, 0);
	CHECK_EQ_INT(db->rules[2].flags, DP_RULE_F_UTF8);
	CHECK_EQ_INT(db->rules[4].flags, DP_RULE_F_CASELESS | DP_RULE_F_UTF8);
	CHECK_EQ_INT(db->rules[4].score, -5);
	CHECK_EQ_STR(db->rules[4].msg, "letters \"w\" \\ caseless");
	CHECK_EQ_INT(db->rules[5].score, 2);
	CHECK_EQ_INT(db->rules[5].line, 6);
	CHECK_EQ_STR(db->rules[5].pattern, "^x/y$");
	CHECK_EQ_STR(db->rules[5].file, tpath("err/x.rules"));
	CHECK_EQ_STR(scan_ids(db, 0, MXS_FIELD_HELO, "abc"), "1,2");
	CHECK_EQ_STR(scan_ids(db, 0, MXS_FIELD_HELO, "ABC"), "1");
	CHECK_EQ_STR(scan_ids(db, 0, MXS_FIELD_HELO, "aBc"), "1");
	CHECK_EQ_STR(scan_ids(db, 0, MXS_FIELD_HELO, "\xc3\xa9"), "3");       /* é: 1 char, 2 bytes */
	CHECK_EQ_STR(scan_ids(db, 0, MXS_FIELD_HELO, "e"), "3,4");
	CHECK_EQ_STR(scan_ids(db, 0, MXS_FIELD_HELO, "\xc3\xa4\xc3\xa9\xc3\xb6"), "5");  /* äéö */
	CHECK_EQ_STR(scan_ids(db, 0, MXS_FIELD_HELO, "\xc3\x84\xc3\x89\xc3\x96"), "5");  /* ÄÉÖ */
	CHECK_EQ_STR(scan_ids(db, 0, MXS_FIELD_HELO, "X/Y"), "6");
	dp_rules_db_free(db);
}

/* ---- scanning and hit counts -------------------------------------------- */

static void test_hits(void)
{
	char err[DP_RULES_ERR_MAX];
	struct dp_rules_db *db;

	check_case = "hits per slot";
	write_file("err/x.rules",
		   "helo /a/ score=1 id=100 msg=\"a\"\n"
		   "mail_from /c/ score=1 id=300 msg=\"c\"\n"
		   "helo /b/ score=1 id=200 msg=\"b\"\n");
	CHECK_EQ_INT(load(tpath("err/x.rules"), 2, &db, err), 0);
	if (!db)
		return;
	CHECK_EQ_INT(db->n_scratch, 2);
	CHECK_EQ_INT(db->hits_stride, 8);
	CHECK(((uintptr_t)db->hits & 63) == 0);
	CHECK(db->db[MXS_FIELD_HELO] && db->db[MXS_FIELD_MAIL_FROM]);
	CHECK(db->db[MXS_FIELD_RCPT_TO] == NULL);
	CHECK(db->scratch[0] && db->scratch[1] && db->scratch[0] != db->scratch[1]);

	CHECK_EQ_INT(dp_rules_scan(db, 0, MXS_FIELD_HELO, "ab", 2, NULL, NULL), 2);
	CHECK_EQ_INT(dp_rules_scan(db, 0, MXS_FIELD_HELO, "aaaa", 4, NULL, NULL), 1);  /* once */
	CHECK_EQ_INT(dp_rules_scan(db, 1, MXS_FIELD_HELO, "xbx", 3, NULL, NULL), 1);
	CHECK_EQ_INT(dp_rules_scan(db, 1, MXS_FIELD_HELO, "ab", 1, NULL, NULL), 1);    /* n bounds it */
	CHECK_EQ_INT(dp_rules_scan(db, 1, MXS_FIELD_MAIL_FROM, "c", 1, NULL, NULL), 1);
	CHECK_EQ_INT(dp_rules_scan(db, 1, MXS_FIELD_MAIL_FROM, "ab", 2, NULL, NULL), 0);
	CHECK_EQ_INT(dp_rules_scan(db, 1, MXS_FIELD_RCPT_TO, "abc", 3, NULL, NULL), 0);
	CHECK_EQ_INT(dp_rules_scan(db, 0, MXS_FIELD_HELO, "", 0, NULL, NULL), 0);
	CHECK_EQ_INT(dp_rules_scan(db, 0, MXS_FIELD_HELO, NULL, 0, NULL, NULL), 0);

	/* rule index order: a=0, c=1, b=2 */
	CHECK_EQ_INT(db->hits[0 * 8 + 0], 2);
	CHECK_EQ_INT(db->hits[0 * 8 + 2], 1);
	CHECK_EQ_INT(db->hits[1 * 8 + 0], 1);
	CHECK_EQ_INT(db->hits[1 * 8 + 1], 1);
	CHECK_EQ_INT(db->hits[1 * 8 + 2], 1);
	CHECK_EQ_INT(dp_rules_hits(db, 0), 3);
	CHECK_EQ_INT(dp_rules_hits(db, 1), 1);
	CHECK_EQ_INT(dp_rules_hits(db, 2), 2);
	CHECK_EQ_STR(scan_ids(db, 1, MXS_FIELD_HELO, "ba"), "100,200");
	CHECK_EQ_INT(dp_rules_hits(db, 0), 4);
	dp_rules_db_free(db);

	check_case = "zero rules";
	write_file("err/x.rules", "# nothing\n\ndefault x = y\n");
	CHECK_EQ_INT(load(tpath("err/x.rules"), 3, &db, err), 0);
	CHECK_EQ_STR(err, "");
	if (db) {
		CHECK_EQ_INT(db->n_rules, 0);
		CHECK_EQ_INT(db->hits_stride, 8);
		for (unsigned f = 0; f < MXS_FIELD_COUNT; f++) {
			CHECK(db->db[f] == NULL);
			CHECK_EQ_INT(dp_rules_scan(db, 2, f, "x", 1, NULL, NULL), 0);
		}
		dp_rules_db_free(db);
	}

	check_case = "stride";
	{
		char text[16 * 64];
		size_t o = 0;

		for (int i = 1; i <= 9; i++)
			o += (size_t)snprintf(text + o, sizeof(text) - o,
					      "rcpt_to /r%d/ score=1 id=%d msg=\"r\"\n", i, i);
		write_file("err/x.rules", text);
		CHECK_EQ_INT(load(tpath("err/x.rules"), 2, &db, err), 0);
		if (db) {
			CHECK_EQ_INT(db->hits_stride, 16);
			CHECK_EQ_STR(scan_ids(db, 1, MXS_FIELD_RCPT_TO, "r9"), "9");
			CHECK_EQ_INT(db->hits[16 + 8], 1);
			CHECK_EQ_INT(dp_rules_hits(db, 8), 1);
			dp_rules_db_free(db);
		}
	}
}

/* ---- volume ------------------------------------------------------------- */

/*
 * Unanchored literals: Hyperscan compiles 10,000 of them in about a
 * second. (The same list anchored with ^...$ takes over ten: fine for a
 * reload thread, too slow for a unit test under valgrind.)
 */
static void write_generated(const char *name, uint32_t n)
{
	const char *p = tpath(name);
	FILE *f = fopen(p, "w");

	if (!f) {
		perror(p);
		exit(2);
	}
	remember(p);
	for (uint32_t i = 1; i <= n; i++)
		fprintf(f, "%s /host%05u\\.example\\.org/i score=1 id=%u msg=\"generated %u\"\n",
			i % 2 ? "helo" : "mail_from", i, i, i);
	fclose(f);
}

static void test_volume(void)
{
	char err[DP_RULES_ERR_MAX], want[1024];
	struct dp_rules_db *db;

	check_case = "10,000 rules";
	write_generated("gen.rules", 10000);
	CHECK_EQ_INT(load(tpath("gen.rules"), 4, &db, err), 0);
	CHECK_EQ_STR(err, "");
	if (db) {
		CHECK_EQ_INT(db->n_rules, 10000);
		CHECK_EQ_INT(db->hits_stride, 10000);
		CHECK_EQ_STR(scan_ids(db, 3, MXS_FIELD_HELO, "HOST04243.example.org"), "4243");
		CHECK_EQ_STR(scan_ids(db, 3, MXS_FIELD_HELO, "host04242.example.org"), "");
		CHECK_EQ_STR(scan_ids(db, 3, MXS_FIELD_MAIL_FROM, "host04242.example.org"), "4242");
		CHECK_EQ_STR(scan_ids(db, 3, MXS_FIELD_MAIL_FROM, "host10000.example.org"), "10000");
		CHECK_EQ_INT(dp_rules_hits(db, 4241), 1);
		CHECK_EQ_STR(db->rules[9999].msg, "generated 10000");
		dp_rules_db_free(db);
	}

	check_case = "rule limit";
	write_generated("gen.rules", DP_RULES_MAX + 1);
	CHECK_EQ_INT(load(tpath("gen.rules"), 1, &db, err), -EINVAL);
	snprintf(want, sizeof(want), "%s:%u: too many rules (more than %u)",
		 tpath("gen.rules"), DP_RULES_MAX + 1, DP_RULES_MAX);
	CHECK_EQ_STR(err, want);
	CHECK(db == NULL);
	unlink(tpath("gen.rules"));
}

/* ---- the shipped rules ----------------------------------------------------- */

/*
 * Exact sets of default rule ids each value hits; "" = spared. Every
 * default rule must appear in some row (checked below), so a new rule
 * comes with its samples.
 */
static const struct {
	unsigned field;
	const char *value;
	const char *ids;
} default_samples[] = {
	/*
	 * Conformance corpus HELOs (tests/corpus expected.tsv). Several are
	 * suspicious by these heuristics, and rightly so: GP, Bob-PC, user,
	 * test, adcdtest, [192.168.133.100] and 208.191.73.21 are client
	 * machines (MUAs, lab scripts, a spam run through an open proxy)
	 * talking to a server, not MTAs; localhost is a local test client.
	 * Their low totals (1-3) are by design: the rules only feed
	 * rule_score, and the control plane decides with DNS evidence.
	 */
	{ MXS_FIELD_HELO, "GP", "1003" },
	{ MXS_FIELD_HELO, "Bob-PC", "1003,1022" },
	{ MXS_FIELD_HELO, "localhost", "1002,1003" },
	{ MXS_FIELD_HELO, "localhost.localdomain", "1002" },
	{ MXS_FIELD_HELO, "[192.168.133.100]", "1000" },
	{ MXS_FIELD_HELO, "208.191.73.21", "1001" },
	{ MXS_FIELD_HELO, "user", "1003,1023" },
	{ MXS_FIELD_HELO, "test", "1003" },
	{ MXS_FIELD_HELO, "adcdtest", "1003" },
	{ MXS_FIELD_HELO, "transit-mta", "1003" },
	{ MXS_FIELD_HELO, "enzo.icir.org", "" },
	{ MXS_FIELD_HELO, "openssl.client.net", "" },
	{ MXS_FIELD_HELO, "vger.kernel.org", "" },
	{ MXS_FIELD_HELO, "client.example.com", "" },
	{ MXS_FIELD_HELO, "sender.example.com", "" },
	{ MXS_FIELD_HELO, "testhost.test.ex", "" },
	{ MXS_FIELD_HELO, "bg1-mx.bg1.shewa.intradef.gouv.fr", "" },
	{ MXS_FIELD_HELO, "smtp-01.xxxxxxxxx.com", "" },
	{ MXS_FIELD_HELO, "xxxxxxxx.xxx.aol.com", "" },
	{ MXS_FIELD_HELO, "xxxxxxxxxxxxxxxxx1.xxxxx.net", "" },
	{ MXS_FIELD_HELO, "xxxxxxxxxxxxxxxxxxxx.xxxxxxxxx.net", "" },

	/* real MTA names: spared by everything */
	{ MXS_FIELD_HELO, "mail-wm1-f54.google.com", "" },
	{ MXS_FIELD_HELO, "mail-pf1-f181.google.com", "" },
	{ MXS_FIELD_HELO, "mx.example.org", "" },
	{ MXS_FIELD_HELO, "smtp.office365.com", "" },
	{ MXS_FIELD_HELO, "outbound.protection.outlook.com", "" },
	{ MXS_FIELD_HELO, "mail-db8eur05on2101.outbound.protection.outlook.com", "" },
	{ MXS_FIELD_HELO, "mta-out.aol.com", "" },
	{ MXS_FIELD_HELO, "relay.example.org", "" },
	{ MXS_FIELD_HELO, "mail.kernel.org", "" },
	{ MXS_FIELD_HELO, "a1-2.smtp-out.amazonses.com", "" },
	{ MXS_FIELD_HELO, "a8-31.smtp-out.amazonses.com", "" },
	{ MXS_FIELD_HELO, "e226-55.smtp-out.us-east-2.amazonses.com", "" },
	{ MXS_FIELD_HELO, "mx1.hotmail.com", "" },
	{ MXS_FIELD_HELO, "websmtp.sohu.com", "" },
	{ MXS_FIELD_HELO, "mx0b-00082601.pphosted.com", "" },
	{ MXS_FIELD_HELO, "mail131.atl121.mcdlv.net", "" },
	{ MXS_FIELD_HELO, "o1.ptr1234.sendgrid.net", "" },
	{ MXS_FIELD_HELO, "m228-4.mailgun.net", "" },
	{ MXS_FIELD_HELO, "mout.gmx.net", "" },
	{ MXS_FIELD_HELO, "static.example.com", "" },          /* keyword without digits */
	{ MXS_FIELD_HELO, "mx.static-site.org", "" },
	{ MXS_FIELD_HELO, "smtp.cablevision.net", "" },
	{ MXS_FIELD_HELO, "mx2.cable.example.com", "" },
	{ MXS_FIELD_HELO, "poolside.example.com", "" },
	{ MXS_FIELD_HELO, "mail.example.net.example.org", "" }, /* our name inside theirs */
	{ MXS_FIELD_HELO, "notlocalhost.example", "" },
	{ MXS_FIELD_HELO, "mail.friend.example", "" },
	{ MXS_FIELD_HELO, "WIN-ABCDEFGH12.example.com", "" },
	{ MXS_FIELD_HELO, "[192.0.2.250]", "1000" },            /* not our address */
	{ MXS_FIELD_HELO, "", "" },

	/* 1000/1001: addresses */
	{ MXS_FIELD_HELO, "[192.0.2.1]", "1000" },
	{ MXS_FIELD_HELO, "[IPv6:2001:db8::1]", "1000" },
	{ MXS_FIELD_HELO, "[ipv6:2001:DB8::1]", "1000" },
	{ MXS_FIELD_HELO, "192.0.2.1", "1001" },
	{ MXS_FIELD_HELO, "2001:db8::1", "1001" },
	{ MXS_FIELD_HELO, "::1", "1001" },
	{ MXS_FIELD_HELO, "1.2.3.4.5", "" },

	/* 1002/1003: localhost, single label */
	{ MXS_FIELD_HELO, "LOCALHOST", "1002,1003" },
	{ MXS_FIELD_HELO, "localhost.", "1002,1003" },
	{ MXS_FIELD_HELO, "localhost6.localdomain6", "1002" },
	{ MXS_FIELD_HELO, "User-PC", "1003,1022" },
	{ MXS_FIELD_HELO, "mailhost", "1003" },
	{ MXS_FIELD_HELO, "my_box", "1003" },

	/* 1004/1005: claims this site (the macros' example values) */
	{ MXS_FIELD_HELO, "example.net", "1004" },
	{ MXS_FIELD_HELO, "MX.Example.NET", "1004" },
	{ MXS_FIELD_HELO, "mx.example.net.", "1004" },
	{ MXS_FIELD_HELO, "mx.example.net", "1004" },
	{ MXS_FIELD_HELO, "mxXexample.net", "" },
	{ MXS_FIELD_HELO, "192.0.2.25", "1001,1005" },
	{ MXS_FIELD_HELO, "[192.0.2.25]", "1000,1005" },
	{ MXS_FIELD_HELO, "192.0.2.250", "1001" },
	{ MXS_FIELD_HELO, "192x0.2.25", "" },

	/* 1010/1011: dynamic and residential names */
	{ MXS_FIELD_HELO, "1-2-3-4.dyn.isp.net", "1010,1011" },
	{ MXS_FIELD_HELO, "c-73-45-12-9.hsd1.ca.comcast.net", "1010" },
	{ MXS_FIELD_HELO, "ip68-5-4-3.ri.ri.cox.net", "1010" },
	{ MXS_FIELD_HELO, "host-1-2-3-4.isp.example", "1010" },
	{ MXS_FIELD_HELO, "203.0.113.7.broadband.example", "1010,1011" },
	{ MXS_FIELD_HELO, "pool-71-1-2-3.nycmny.fios.verizon.net", "1010,1011" },
	{ MXS_FIELD_HELO, "cpe-66-8-1-2.socal.res.rr.com", "1010,1011" },
	{ MXS_FIELD_HELO, "1.2.3.4.static.isp.example", "1010,1011" },
	{ MXS_FIELD_HELO, "adsl-75-12.dsl.sbc.example", "1011" },
	{ MXS_FIELD_HELO, "dsl-12.isp.example", "1011" },
	{ MXS_FIELD_HELO, "dhcp-12-34.example.edu", "1011" },
	{ MXS_FIELD_HELO, "ppp-123.example.net", "1011" },
	{ MXS_FIELD_HELO, "123.dynamic.isp.net", "1011" },
	{ MXS_FIELD_HELO, "static-12-34-56.isp.example", "1011" },
	{ MXS_FIELD_HELO, "customer-123-45.isp.example", "1011" },
	{ MXS_FIELD_HELO, "broadband12.isp.example", "1011" },
	{ MXS_FIELD_HELO, "dialup-45.isp.example", "1011" },
	{ MXS_FIELD_HELO, "cable-123.isp.example", "1011" },
	{ MXS_FIELD_HELO, "p5B0C1234.dip0.t-ipconnect.de", "1011" },

	/* 1020-1023: spamware and desktop defaults */
	{ MXS_FIELD_HELO, "friend", "1003,1020" },
	{ MXS_FIELD_HELO, "ylmf-pc", "1003,1020,1022" },
	{ MXS_FIELD_HELO, "DBSMTP", "1003,1020" },
	{ MXS_FIELD_HELO, "WIN-ABCDEFGH123", "1003,1021" },
	{ MXS_FIELD_HELO, "DESKTOP-AB12CD3", "1003,1021" },
	{ MXS_FIELD_HELO, "DESKTOP-AB12CD", "1003" },
	{ MXS_FIELD_HELO, "win-abcdefgh123", "1003" },
	{ MXS_FIELD_HELO, "User", "1003,1023" },
	{ MXS_FIELD_HELO, "admin", "1003,1023" },
	{ MXS_FIELD_HELO, "Administrator", "1003,1023" },

	/* MAIL FROM: bounce/forwarding forms are spared, as are people */
	{ MXS_FIELD_MAIL_FROM, "bounce+abc123@lists.example.org", "" },
	{ MXS_FIELD_MAIL_FROM, "SRS0=abcd=XY=example.com=user@forwarder.example", "" },
	{ MXS_FIELD_MAIL_FROM, "prvs=1234567890=user@example.com", "" },
	{ MXS_FIELD_MAIL_FROM, "msprvs1=19386l5Zw5FgI=bounces-126476@example.com", "" },
	{ MXS_FIELD_MAIL_FROM, "list-owner-bob=example.com@lists.example.org", "" },
	{ MXS_FIELD_MAIL_FROM, "bounces+12345-a1b2-user=example.com@em123.example.com", "" },
	{ MXS_FIELD_MAIL_FROM, "0100018c3f2a1b2c-8d9e0f1a-2b3c-4d5e-6f70-8192a3b4c5d6-000000@amazonses.com", "" },
	{ MXS_FIELD_MAIL_FROM, "alice@example.org", "" },
	{ MXS_FIELD_MAIL_FROM, "noreply@github.com", "" },
	{ MXS_FIELD_MAIL_FROM, "linux-kernel-owner@vger.kernel.org", "" },
	{ MXS_FIELD_MAIL_FROM, "gurpartap@patriots.in", "" },
	{ MXS_FIELD_MAIL_FROM, "nhfjenna_neumann@lycos.com", "" },
	{ MXS_FIELD_MAIL_FROM, "12345678@aol.com", "" },
	{ MXS_FIELD_MAIL_FROM, "1234567899@aol.com", "" },
	{ MXS_FIELD_MAIL_FROM, "8613912345678@qq.com", "" },
	{ MXS_FIELD_MAIL_FROM, "john1980smith2000@example.com", "" },
	{ MXS_FIELD_MAIL_FROM, "johnsmithandfamily2024@example.com", "" },
	{ MXS_FIELD_MAIL_FROM, "bg1bulma@bg1.shewa.intradef.gouv.fr", "" },
	{ MXS_FIELD_MAIL_FROM, "j0hn5m1th@example.com", "" },
	{ MXS_FIELD_MAIL_FROM, "", "" },
	/* 1100/1101: generated local parts */
	{ MXS_FIELD_MAIL_FROM, "x7k2m9q4w8e5r1t6y3u0@spam.example", "1100" },
	{ MXS_FIELD_MAIL_FROM, "A8F3K2L9X0M4N7Q1W5E6@spam.example", "1100" },
	{ MXS_FIELD_MAIL_FROM, "0123456789abcdef0123@spam.example", "1101" },
	{ MXS_FIELD_MAIL_FROM, "3f2a9c8d7e6b5a4f@spam.example", "1100,1101" },
	{ MXS_FIELD_MAIL_FROM, "deadbeefcafebabe@example.com", "1101" },
	{ MXS_FIELD_MAIL_FROM, "3f2a9c8d7e6b5a4@spam.example", "1100" },   /* 15: not 1101 */

	/* no default rule looks at RCPT TO */
	{ MXS_FIELD_RCPT_TO, "x7k2m9q4w8e5r1t6y3u0@example.net", "" },
};

static bool sample_lists(unsigned field, uint32_t id)
{
	char want[16];

	snprintf(want, sizeof(want), "%u", id);
	for (size_t i = 0; i < sizeof(default_samples) / sizeof(default_samples[0]); i++) {
		const char *s = default_samples[i].ids;
		size_t n = strlen(want);

		if (default_samples[i].field != field)
			continue;
		for (; (s = strstr(s, want)); s += n)
			if ((s == default_samples[i].ids || s[-1] == ',') && (!s[n] || s[n] == ','))
				return true;
	}
	return false;
}

static void check_defaults(const struct dp_rules_db *db, const char *what)
{
	char name[128];

	for (size_t i = 0; i < sizeof(default_samples) / sizeof(default_samples[0]); i++) {
		snprintf(name, sizeof(name), "%s %s '%s'", what,
			 mxs_field_name(default_samples[i].field), default_samples[i].value);
		check_case = name;
		CHECK_EQ_STR(scan_ids(db, 0, default_samples[i].field, default_samples[i].value),
			     default_samples[i].ids);
	}
	for (uint32_t i = 0; i < db->n_rules; i++) {
		const struct dp_rule *r = &db->rules[i];

		snprintf(name, sizeof(name), "%s rule %u", what, r->id);
		check_case = name;
		CHECK(r->id >= 1000 && r->id <= 1999);
		CHECK(r->score >= 1 && r->score <= 5);
		CHECK(strlen(r->msg) >= 10);
		CHECK(sample_lists(r->field, r->id));     /* has samples that hit it */
		CHECK(dp_rules_hits(db, i) > 0);
	}
}

static void test_default_rules(void)
{
	const char *root = getenv("MXS_SOURCE_ROOT");
	char path[1024], err[DP_RULES_ERR_MAX];
	struct dp_rules_db *db;
	uint32_t n_file = 0;

	if (!root)
		root = ".";
	check_case = "default.rules";
	snprintf(path, sizeof(path), "%s/etc/rules/default.rules", root);
	CHECK_EQ_INT(load(path, 1, &db, err), 0);
	CHECK_EQ_STR(err, "");
	if (db) {
		n_file = db->n_rules;
		CHECK(n_file >= 14);
		CHECK(db->db[MXS_FIELD_RCPT_TO] == NULL);
		CHECK_EQ_INT(dp_rules_scan(db, 0, MXS_FIELD_HELO, "", 0, NULL, NULL), 0);
		check_defaults(db, "file");
		dp_rules_db_free(db);
	}

	check_case = "etc/rules/";
	snprintf(path, sizeof(path), "%s/etc/rules", root);
	CHECK_EQ_INT(load(path, 2, &db, err), 0);
	CHECK_EQ_STR(err, "");
	if (db) {
		CHECK_EQ_INT(db->n_rules, n_file);   /* 00-site.rules only defines */
		check_defaults(db, "dir");
		dp_rules_db_free(db);
	}

	/* An admin's 00-site.rules defines replace default.rules' defaults. */
	check_case = "site defines";
	{
		const char *dst = tpath("site/default.rules");
		char *text = NULL;
		size_t cap = 0;
		ssize_t got;
		FILE *in, *out;

		snprintf(path, sizeof(path), "%s/etc/rules/default.rules", root);
		in = fopen(path, "r");
		CHECK(in != NULL);
		if (!in)
			return;
		mkdir_t("site");
		out = fopen(dst, "w");
		CHECK(out != NULL);
		remember(dst);
		while (out && (got = getline(&text, &cap, in)) > 0)
			fwrite(text, 1, (size_t)got, out);
		if (out)
			fclose(out);
		free(text);
		fclose(in);
		write_file("site/00-site.rules",
			   "define my_names = mail.isp.test, isp.test\n"
			   "define my_addrs = 198.51.100.7 2001:db8::25\n");
		CHECK_EQ_INT(load(tpath("site"), 1, &db, err), 0);
		CHECK_EQ_STR(err, "");
		if (db) {
			CHECK_EQ_STR(scan_ids(db, 0, MXS_FIELD_HELO, "mail.isp.test"), "1004");
			CHECK_EQ_STR(scan_ids(db, 0, MXS_FIELD_HELO, "ISP.test"), "1004");
			CHECK_EQ_STR(scan_ids(db, 0, MXS_FIELD_HELO, "mx.example.net"), "");
			CHECK_EQ_STR(scan_ids(db, 0, MXS_FIELD_HELO, "[198.51.100.7]"), "1000,1005");
			CHECK_EQ_STR(scan_ids(db, 0, MXS_FIELD_HELO, "198.51.100.7"), "1001,1005");
			CHECK_EQ_STR(scan_ids(db, 0, MXS_FIELD_HELO, "[IPv6:2001:db8::25]"), "1000,1005");
			CHECK_EQ_STR(scan_ids(db, 0, MXS_FIELD_HELO, "192.0.2.25"), "1001");
			dp_rules_db_free(db);
		}
	}
}

int main(void)
{
	snprintf(tmp, sizeof(tmp), "%s/test_rules.XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(tmp)) {
		perror("mkdtemp");
		return 2;
	}
	test_parse_errors();
	test_file_errors();
	test_all_or_nothing();
	test_hyperscan_errors();
	test_directories();
	test_macros();
	test_flags();
	test_hits();
	test_volume();
	test_default_rules();
	cleanup();
	CHECK_DONE();
}
