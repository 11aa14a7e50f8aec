/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_rules: dp_rules_load on a rules file, and scans of the loaded db.
 *
 * Input: byte 0: bit 0 also load with MXS_RULES_NO_FASTPATH and compare;
 * bit 1 two scratch slots. The rest is the rules file. Comment lines
 * "#scan FIELD VALUE" (ignored by the parser) name values to scan; in
 * VALUE, \n, \\ and \xNN stand for those bytes (a value may end in a
 * newline, which $ treats specially).
 *
 * Hyperscan's compiler is slow next to the parser (milliseconds per
 * pattern, much more for some): this target wraps hs_compile_ext_multi,
 * and a field whose patterns exceed a small budget gets a compile error
 * ("fuzz: compile skipped") instead of a compile. Large inputs still
 * fuzz the parser, macro expansion and the literal fast path; small ones
 * go all the way through Hyperscan and the scans.
 *
 * Checks: an error has a message and no db; a db's rules are within the
 * documented bounds with unique ids; a scan reports each rule at most once,
 * only rules of the field scanned, and the literal fast path and Hyperscan
 * agree on every valid UTF-8 value (dp_rules.h: same matches).
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hs/hs.h>

#include "dp_rules.h"
#include "fuzz_main.h"
#include "fz_util.h"

#define BUDGET_BYTES 256u      /* pattern bytes of one field's compile */
#define BUDGET_EXPRS 16u
#define MAX_SCANS 16u
#define MAX_HITS 64u

typedef hs_error_t (*compile_fn)(const char *const *, const unsigned *, const unsigned *,
				 const hs_expr_ext_t *const *, unsigned, unsigned,
				 const hs_platform_info_t *, hs_database_t **,
				 hs_compile_error_t **);
typedef hs_error_t (*free_error_fn)(hs_compile_error_t *);

static char skipped_msg[] = "fuzz: compile skipped";
static hs_compile_error_t skipped = { skipped_msg, -1 };

static void *real(const char *name)
{
	void *f = dlsym(RTLD_NEXT, name);

	FZ_CHECK(f != NULL);
	return f;
}

/* Repeats with large counts make Hyperscan's compile explode: 3+ digits
 * anywhere count as over budget. */
static bool over_budget(const char *const *e, unsigned n)
{
	size_t bytes = 0;

	if (n > BUDGET_EXPRS)
		return true;
	for (unsigned i = 0; i < n; i++) {
		size_t run = 0;

		for (const char *p = e[i]; *p; p++) {
			run = *p >= '0' && *p <= '9' ? run + 1 : 0;
			if (run >= 3)
				return true;
		}
		bytes += strlen(e[i]);
	}
	return bytes > BUDGET_BYTES;
}

hs_error_t HS_CDECL hs_compile_ext_multi(const char *const *expressions,
					 const unsigned int *flags,
					 const unsigned int *ids,
					 const hs_expr_ext_t *const *ext,
					 unsigned int elements, unsigned int mode,
					 const hs_platform_info_t *platform,
					 hs_database_t **db, hs_compile_error_t **error)
{
	static compile_fn fn;

	if (over_budget(expressions, elements)) {
		*db = NULL;
		*error = &skipped;
		return HS_COMPILER_ERROR;
	}
	if (!fn)
		fn = (compile_fn)real("hs_compile_ext_multi");
	return fn(expressions, flags, ids, ext, elements, mode, platform, db, error);
}

hs_error_t HS_CDECL hs_free_compile_error(hs_compile_error_t *error)
{
	static free_error_fn fn;

	if (error == &skipped)
		return HS_SUCCESS;
	if (!fn)
		fn = (free_error_fn)real("hs_free_compile_error");
	return fn(error);
}

struct scan {
	unsigned field;
	const char *p;
	size_t n;
};

struct hits {
	uint32_t n;
	uint32_t idx[MAX_HITS];
	unsigned field;
	const struct dp_rules_db *db;
};

static void on_hit(void *ctx, const struct dp_rule *r, uint32_t i)
{
	struct hits *h = ctx;

	FZ_CHECK(i < h->db->n_rules && r == &h->db->rules[i]);
	FZ_CHECK(r->field == h->field);
	for (uint32_t k = 0; k < h->n && k < MAX_HITS; k++)
		FZ_CHECK(h->idx[k] != i);          /* each rule once a scan */
	if (h->n < MAX_HITS)
		h->idx[h->n] = i;
	h->n++;
}

static int by_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static int scan(const struct dp_rules_db *db, uint32_t slot, const struct scan *s,
		struct hits *h)
{
	int r;

	memset(h, 0, sizeof(*h));
	h->field = s->field;
	h->db = db;
	r = dp_rules_scan(db, slot, s->field, s->p, s->n, on_hit, h);
	FZ_CHECK(r == -EIO || r == (int)h->n);
	qsort(h->idx, h->n < MAX_HITS ? h->n : MAX_HITS, sizeof(h->idx[0]), by_u32);
	return r;
}

static void check_db(const struct dp_rules_db *db)
{
	FZ_CHECK(db->n_rules <= DP_RULES_MAX);
	for (uint32_t i = 0; i < db->n_rules; i++) {
		const struct dp_rule *r = &db->rules[i];

		FZ_CHECK(r->field < MXS_FIELD_COUNT);
		FZ_CHECK(r->id >= 1 && r->id <= 0x7fffffffu);
		FZ_CHECK(r->score >= -DP_RULES_SCORE_MAX && r->score <= DP_RULES_SCORE_MAX);
		FZ_CHECK(r->msg && strlen(r->msg) <= DP_RULES_MSG_MAX);
		FZ_CHECK(r->pattern && r->file && r->line >= 1);
		for (uint32_t k = 0; k < i; k++)
			FZ_CHECK(db->rules[k].id != r->id);
	}
	for (unsigned f = 0; f < MXS_FIELD_COUNT; f++)
		FZ_CHECK(db->n_lit[f] <= db->n_rules);
}

static int load(const char *path, uint32_t n_scratch, bool nofast,
		struct dp_rules_db **ret)
{
	struct dp_rules_params p = { .path = path, .n_scratch = n_scratch };
	char err[DP_RULES_ERR_MAX];
	int rc;

	if (nofast)
		setenv("MXS_RULES_NO_FASTPATH", "1", 1);
	err[0] = 'x';
	rc = dp_rules_load(&p, ret, err, sizeof(err));
	if (nofast)
		unsetenv("MXS_RULES_NO_FASTPATH");
	if (rc < 0) {
		FZ_CHECK(*ret == NULL);
		FZ_CHECK(err[0] != '\0' && memchr(err, '\0', sizeof(err)) != NULL);
	} else {
		FZ_CHECK(rc == 0 && *ret != NULL);
		check_db(*ret);
	}
	return rc;
}

static int hex(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 :
	       c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* VALUE's escapes, in place; returns its length. */
static size_t unescape(char *v)
{
	size_t n = 0;

	for (char *p = v; *p; p++) {
		if (p[0] == '\\' && p[1] == 'n') {
			v[n++] = '\n';
			p++;
		} else if (p[0] == '\\' && p[1] == '\\') {
			v[n++] = '\\';
			p++;
		} else if (p[0] == '\\' && p[1] == 'x' && hex(p[2]) >= 0 && hex(p[3]) >= 0) {
			v[n++] = (char)(hex(p[2]) << 4 | hex(p[3]));
			p += 3;
		} else {
			v[n++] = *p;
		}
	}
	return n;
}

/* "#scan FIELD VALUE" lines, pointing into @text (NUL-terminated copy). */
static uint32_t find_scans(char *text, struct scan *out)
{
	uint32_t n = 0;

	for (char *line = text; line && n < MAX_SCANS;) {
		char *nl = strchr(line, '\n'), *v;

		if (nl)
			*nl = '\0';
		if (!strncmp(line, "#scan ", 6)) {
			v = line + 6;
			for (unsigned f = 0; f < MXS_FIELD_COUNT; f++) {
				size_t k = strlen(mxs_field_name(f));

				if (!strncmp(v, mxs_field_name(f), k) && v[k] == ' ') {
					out[n++] = (struct scan){ f, v + k + 1, unescape(v + k + 1) };
					break;
				}
			}
		}
		line = nl ? nl + 1 : NULL;
	}
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dp_rules_db *db = NULL, *slow = NULL;
	struct scan scans[MAX_SCANS];
	struct hits a, b;
	const char *path;
	uint32_t n_scans, slots;
	uint8_t flags;
	char *text;

	if (size < 1)
		return 0;
	flags = data[0];
	slots = 1 + ((flags >> 1) & 1);
	path = fz_file(data + 1, size - 1);
	FZ_CHECK(path != NULL);
	if (load(path, slots, false, &db) < 0)
		return 0;

	text = malloc(size);
	FZ_CHECK(text != NULL);
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0';
	n_scans = find_scans(text, scans);
	for (uint32_t i = 0; i < n_scans; i++)
		for (uint32_t s = 0; s < slots; s++)
			scan(db, s, &scans[i], &a);
	for (uint32_t i = 0; i < db->n_rules; i++) {
		uint64_t hits = dp_rules_hits(db, i);

		FZ_CHECK(hits <= (uint64_t)n_scans * slots);
	}

	if ((flags & 1) && load(path, slots, true, &slow) == 0) {
		FZ_CHECK(slow->n_rules == db->n_rules);
		for (unsigned f = 0; f < MXS_FIELD_COUNT; f++)
			FZ_CHECK(slow->n_lit[f] == 0);
		for (uint32_t i = 0; i < n_scans; i++) {
			int ra = scan(db, 0, &scans[i], &a), rb = scan(slow, 0, &scans[i], &b);

			if (ra < 0 || rb < 0 ||
			    !fz_utf8_valid((const uint8_t *)scans[i].p, scans[i].n))
				continue;
			if (a.n != b.n || memcmp(a.idx, b.idx, (a.n < MAX_HITS ? a.n : MAX_HITS) *
					       sizeof(a.idx[0]))) {
				fprintf(stderr, "fuzz_rules: %s \"%.*s\": %u hits with the fast path, "
					"%u with Hyperscan alone\n", mxs_field_name(scans[i].field),
					(int)scans[i].n, scans[i].p, a.n, b.n);
				FZ_CHECK(!"the literal fast path matches as Hyperscan does");
			}
		}
		dp_rules_db_free(slow);
	}
	free(text);
	dp_rules_db_free(db);
	return 0;
}
