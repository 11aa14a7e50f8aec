/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ctl_json: the writer always produces valid JSON (escapes, bad UTF-8,
 * the cap), the parser accepts RFC 8259 text and rejects the rest with an
 * offset, writer output parses back to the same values, and a parsed
 * tree written back (ctl_jw_node) is the same text.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "ctl_json.h"

static void writer(void)
{
	struct ctl_jw w;

	check_case = "writer";
	ctl_jw_init(&w, 1 << 20);
	ctl_jw_obj_open(&w, NULL);
	ctl_jw_str(&w, "s", "a\"b\\c\n\x01");
	ctl_jw_strn(&w, "bad", "x\xff\xc3(y\xc3\xa9", 7);
	ctl_jw_u64(&w, "u", UINT64_MAX);
	ctl_jw_i64(&w, "i", INT64_MIN);
	ctl_jw_bool(&w, "t", true);
	ctl_jw_null(&w, "n");
	ctl_jw_arr_open(&w, "a");
	ctl_jw_i64(&w, NULL, 1);
	ctl_jw_obj_open(&w, NULL);
	ctl_jw_obj_close(&w);
	ctl_jw_arr_open(&w, NULL);
	ctl_jw_arr_close(&w);
	ctl_jw_arr_close(&w);
	ctl_jw_dbl(&w, "d", 0.5);
	ctl_jw_json(&w, "j", "[1,\"x\"]");
	ctl_jw_obj_close(&w);
	CHECK_EQ_INT(ctl_jw_error(&w), 0);
	CHECK_EQ_STR(w.buf, "{\"s\":\"a\\\"b\\\\c\\n\\u0001\",\"bad\":\"x\\u00ff\\u00c3(y\xc3\xa9\","
		     "\"u\":18446744073709551615,\"i\":-9223372036854775808,\"t\":true,"
		     "\"n\":null,\"a\":[1,{},[]],\"d\":0.5,\"j\":[1,\"x\"]}");
	ctl_jw_free(&w);

	check_case = "writer cap";
	ctl_jw_init(&w, 16);
	ctl_jw_str(&w, NULL, "0123456789abcdefghij");
	CHECK_EQ_INT(ctl_jw_error(&w), -E2BIG);
	ctl_jw_free(&w);
}

static void round_trip(void)
{
	struct ctl_jw w;
	struct ctl_jdoc *d;
	const struct ctl_jnode *r, *a;
	char err[128];

	check_case = "round trip";
	ctl_jw_init(&w, 1 << 20);
	ctl_jw_obj_open(&w, NULL);
	ctl_jw_str(&w, "cmd", "verdict.add");
	ctl_jw_strn(&w, "nul", "a\0b", 3);
	ctl_jw_i64(&w, "ttl", -5);
	ctl_jw_arr_open(&w, "list");
	for (int i = 0; i < 3; i++)
		ctl_jw_i64(&w, NULL, i * 10);
	ctl_jw_arr_close(&w);
	ctl_jw_obj_close(&w);
	CHECK_EQ_INT(ctl_json_parse(w.buf, w.len, 100, &d, err, sizeof(err)), 0);
	r = ctl_jdoc_root(d);
	CHECK_EQ_INT(r->type, CTL_J_OBJ);
	CHECK_EQ_STR(ctl_jget_str(r, "cmd", ""), "verdict.add");
	CHECK_EQ_INT(ctl_jget(r, "nul")->len, 3);
	CHECK(!memcmp(ctl_jget(r, "nul")->s, "a\0b", 3));
	CHECK_EQ_INT(ctl_jget_int(r, "ttl", 0), -5);
	CHECK_EQ_INT(ctl_jget_int(r, "missing", 7), 7);
	CHECK_EQ_INT(ctl_jget_int(r, "cmd", 7), 7);
	a = ctl_jget(r, "list");
	CHECK_EQ_INT(a->len, 3);
	CHECK_EQ_INT(a->child->next->next->i, 20);
	CHECK(a->child->next->next->next == NULL);
	ctl_jdoc_free(d);
	ctl_jw_free(&w);
}

/* Canonical text (what the writer makes) parsed and written back. */
static void node_back(void)
{
	static const char *const texts[] = {
		"{\"a\":[1,-2,0.5,\"x\\\"y\",true,false,null],\"b\":{},\"c\":[[],{\"d\":{}}]}",
		"[]", "\"s\"", "-9223372036854775808",
	};

	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		struct ctl_jdoc *d;
		struct ctl_jw w;
		char err[128];

		check_case = texts[i];
		CHECK_EQ_INT(ctl_json_parse(texts[i], strlen(texts[i]), 100, &d, err, sizeof(err)), 0);
		ctl_jw_init(&w, 1 << 16);
		ctl_jw_node(&w, NULL, ctl_jdoc_root(d));
		CHECK_EQ_INT(ctl_jw_error(&w), 0);
		CHECK_EQ_STR(w.buf, texts[i]);
		ctl_jw_free(&w);
		ctl_jdoc_free(d);
	}
}

static const struct {
	const char *text;
	int rc;
} cases[] = {
	{ "{}", 0 }, { "[]", 0 }, { " 1 ", 0 }, { "-0.5e3", 0 }, { "\"\\ud83d\\ude00\"", 0 },
	{ "{\"a\":[true,false,null]}", 0 },
	{ "", -EINVAL }, { "{", -EINVAL }, { "{\"a\"}", -EINVAL }, { "{a:1}", -EINVAL },
	{ "[1,]", -EINVAL }, { "01", -EINVAL }, { "1 2", -EINVAL }, { "\"\\x\"", -EINVAL },
	{ "\"\\ud800\"", -EINVAL }, { "\"a\x01\"", -EINVAL }, { "tru", -EINVAL },
	{ "\"abc", -EINVAL }, { "1-2", -EINVAL }, { "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]", -E2BIG },
	{ "[1,2,3,4,5,6,7,8,9,10,11,12]", -E2BIG },
};

static void parse_cases(void)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ctl_jdoc *d = NULL;
		char err[128] = "";
		int rc;

		check_case = cases[i].text;
		rc = ctl_json_parse(cases[i].text, strlen(cases[i].text), 10, &d, err, sizeof(err));
		CHECK_EQ_INT(rc, cases[i].rc);
		if (rc)
			CHECK(!strncmp(err, "offset ", 7));
		ctl_jdoc_free(d);
	}
	{
		struct ctl_jdoc *d;
		char err[64];

		check_case = "surrogate pair";
		CHECK_EQ_INT(ctl_json_parse("\"\\ud83d\\ude00\"", 14, 4, &d, err, sizeof(err)), 0);
		CHECK_EQ_STR(ctl_jdoc_root(d)->s, "\xf0\x9f\x98\x80");
		ctl_jdoc_free(d);
	}
}

int main(void)
{
	writer();
	round_trip();
	node_back();
	parse_cases();
	CHECK_DONE();
}
