/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ctl_sites: postscreen_dnsbl_sites lists, valid and invalid, and filter
 * truth tables. Single-threaded.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "ctl_sites.h"

struct want_site {
	const char *zone;
	int has_filter;
	int weight;
};

static const struct {
	const char *text;
	size_t n;
	struct want_site s[5];
} valid[] = {
	{ "", 0, { { 0 } } },
	{ " \t,\n, ", 0, { { 0 } } },
	{ "zen.spamhaus.org", 1, { { "zen.spamhaus.org", 0, 1 } } },
	{ "ZEN.Spamhaus.ORG.", 1, { { "zen.spamhaus.org", 0, 1 } } },
	{ "bl.spamcop.net*2", 1, { { "bl.spamcop.net", 0, 2 } } },
	{ "b.barracudacentral.org=127.0.0.2*7", 1, { { "b.barracudacentral.org", 1, 7 } } },
	{ "list.dnswl.org=127.0.[0..255].[1..3]*-2", 1, { { "list.dnswl.org", 1, -2 } } },
	{ "x*+3", 1, { { "x", 0, 3 } } },
	{ "x*0", 1, { { "x", 0, 0 } } },
	{ "x*1000", 1, { { "x", 0, 1000 } } },
	{ "x*-1000", 1, { { "x", 0, -1000 } } },
	{ "x*0001", 1, { { "x", 0, 1 } } },
	{ "my_zone-1.example", 1, { { "my_zone-1.example", 0, 1 } } },
	{ "a,b c\td", 4, { { "a", 0, 1 }, { "b", 0, 1 }, { "c", 0, 1 }, { "d", 0, 1 } } },
	/* A real-world Postfix line, pasted as is. */
	{ "zen.spamhaus.org=127.0.0.[2..11]*3 bl.mailspike.net=127.0.0.[2;10..12]*2 "
	  "list.dnswl.org=127.0.[0..255].[1..3]*-2, swl.spamhaus.org*-4", 4,
	  { { "zen.spamhaus.org", 1, 3 }, { "bl.mailspike.net", 1, 2 },
	    { "list.dnswl.org", 1, -2 }, { "swl.spamhaus.org", 0, -4 } } },
	/* The same zone with one weight per return-code range is Postfix
	 * practice, not a duplicate. */
	{ "zen.spamhaus.org=127.0.0.[10;11]*8\n zen.spamhaus.org=127.0.0.[4..7]*6,\n"
	  "  zen.spamhaus.org=127.0.0.3*4, zen.spamhaus.org=127.0.0.2*3", 4,
	  { { "zen.spamhaus.org", 1, 8 }, { "zen.spamhaus.org", 1, 6 },
	    { "zen.spamhaus.org", 1, 4 }, { "zen.spamhaus.org", 1, 3 } } },
	{ "x=[0..255].[0;255].[1..1].[7;7]", 1, { { "x", 1, 1 } } },
	{ "x=127.0.0.[1..3;5;200..255]*2", 1, { { "x", 1, 2 } } },
};

static const struct {
	const char *text;
	const char *err;
} invalid[] = {
	{ "zen.spamhaus.org=127.0.0.[2..", "bad filter in 'zen.spamhaus.org=127.0.0.[2..'" },
	{ "x*abc", "bad weight in 'x*abc'" },
	{ "x*", "bad weight in 'x*'" },
	{ "x*-", "bad weight in 'x*-'" },
	{ "x*1.5", "bad weight in 'x*1.5'" },
	{ "x*2*3", "bad weight in 'x*2*3'" },
	{ "x*5000", "weight out of range in 'x*5000'" },
	{ "x*-1001", "weight out of range in 'x*-1001'" },
	{ "x*99999999999999999999999", "weight out of range in 'x*99999999999999999999999'" },
	{ "..x", "bad zone name in '..x'" },
	{ "x..y", "bad zone name in 'x..y'" },
	{ "x..", "bad zone name in 'x..'" },
	{ ".", "bad zone name in '.'" },
	{ ".x", "bad zone name in '.x'" },
	{ "=127.0.0.2", "bad zone name in '=127.0.0.2'" },
	{ "*2", "bad zone name in '*2'" },
	{ "bad!zone", "bad zone name in 'bad!zone'" },
	{ "zone/x", "bad zone name in 'zone/x'" },
	{ "ok.example x=127.0.0.[3..2]", "bad filter in 'x=127.0.0.[3..2]'" },
	{ "x=127.0.0.[1..256]", "bad filter in 'x=127.0.0.[1..256]'" },
	{ "x=127.0.0.256", "bad filter in 'x=127.0.0.256'" },
	{ "x=127.0.0.1000", "bad filter in 'x=127.0.0.1000'" },
	{ "x=127.0.0", "bad filter in 'x=127.0.0'" },
	{ "x=127.0.0.2.5", "bad filter in 'x=127.0.0.2.5'" },
	{ "x=127.0.0.", "bad filter in 'x=127.0.0.'" },
	{ "x=", "bad filter in 'x='" },
	{ "x=*2", "bad filter in 'x=*2'" },
	{ "x=127.0.0.[]", "bad filter in 'x=127.0.0.[]'" },
	{ "x=127.0.0.[1;]", "bad filter in 'x=127.0.0.[1;]'" },
	{ "x=127.0.0.[;1]", "bad filter in 'x=127.0.0.[;1]'" },
	{ "x=127.0.0.[1..]", "bad filter in 'x=127.0.0.[1..]'" },
	{ "x=127.0.0.[..1]", "bad filter in 'x=127.0.0.[..1]'" },
	{ "x=127.0.0.[1...3]", "bad filter in 'x=127.0.0.[1...3]'" },
	{ "x=127.0.0.[1]2", "bad filter in 'x=127.0.0.[1]2'" },
	{ "x=127.0.0.-1", "bad filter in 'x=127.0.0.-1'" },
	{ "x=127.0.0.a", "bad filter in 'x=127.0.0.a'" },
	{ "x=127.0.0.2=127.0.0.3", "bad filter in 'x=127.0.0.2=127.0.0.3'" },
	{ "x=127..0.0.2", "bad filter in 'x=127..0.0.2'" },
};

/* Filter truth tables: answer -> match. */
static const struct {
	const char *item;
	struct {
		uint8_t a[4];
		int match;
	} t[8];
	int nt;
} tables[] = {
	{ "z", { { { 127, 0, 0, 2 }, 1 }, { { 127, 255, 255, 255 }, 1 },
		 { { 127, 0, 0, 0 }, 1 }, { { 128, 0, 0, 2 }, 0 },
		 { { 10, 0, 0, 2 }, 0 } }, 5 },
	{ "z=127.0.0.2", { { { 127, 0, 0, 2 }, 1 }, { { 127, 0, 0, 3 }, 0 },
			   { { 127, 0, 1, 2 }, 0 }, { { 126, 0, 0, 2 }, 0 } }, 4 },
	{ "z=127.0.0.[2..11]", { { { 127, 0, 0, 1 }, 0 }, { { 127, 0, 0, 2 }, 1 },
				 { { 127, 0, 0, 7 }, 1 }, { { 127, 0, 0, 11 }, 1 },
				 { { 127, 0, 0, 12 }, 0 }, { { 127, 0, 0, 255 }, 0 } }, 6 },
	{ "z=127.0.0.[2;10..12]", { { { 127, 0, 0, 2 }, 1 }, { { 127, 0, 0, 3 }, 0 },
				    { { 127, 0, 0, 9 }, 0 }, { { 127, 0, 0, 10 }, 1 },
				    { { 127, 0, 0, 12 }, 1 }, { { 127, 0, 0, 13 }, 0 } }, 6 },
	{ "z=127.0.[0..255].[1..3]", { { { 127, 0, 0, 1 }, 1 }, { { 127, 0, 255, 3 }, 1 },
				       { { 127, 0, 17, 2 }, 1 }, { { 127, 0, 17, 0 }, 0 },
				       { { 127, 0, 17, 4 }, 0 }, { { 127, 1, 0, 1 }, 0 } }, 6 },
	{ "z=[0..255].[0..255].[0..255].[0..255]", { { { 0, 0, 0, 0 }, 1 },
						     { { 255, 255, 255, 255 }, 1 },
						     { { 1, 128, 7, 8 }, 1 } }, 3 },
	{ "z=127.0.0.[1..3;5]", { { { 127, 0, 0, 0 }, 0 }, { { 127, 0, 0, 1 }, 1 },
				  { { 127, 0, 0, 3 }, 1 }, { { 127, 0, 0, 4 }, 0 },
				  { { 127, 0, 0, 5 }, 1 }, { { 127, 0, 0, 6 }, 0 } }, 6 },
	{ "z=127.0.0.[7;0;255]", { { { 127, 0, 0, 0 }, 1 }, { { 127, 0, 0, 7 }, 1 },
				   { { 127, 0, 0, 255 }, 1 }, { { 127, 0, 0, 8 }, 0 },
				   { { 127, 0, 0, 254 }, 0 }, { { 127, 0, 0, 1 }, 0 } }, 6 },
};

static void test_valid(void)
{
	for (size_t i = 0; i < sizeof(valid) / sizeof(valid[0]); i++) {
		struct ctl_site *s = (void *)1;
		size_t n = 99;
		char err[256] = "";

		check_case = valid[i].text;
		CHECK_EQ_INT(ctl_sites_parse(valid[i].text, &s, &n, err, sizeof(err)), 0);
		CHECK_EQ_STR(err, "");
		CHECK_EQ_INT(n, valid[i].n);
		for (size_t j = 0; j < n && j < valid[i].n; j++) {
			CHECK_EQ_STR(s[j].zone, valid[i].s[j].zone);
			CHECK_EQ_INT(s[j].has_filter, valid[i].s[j].has_filter);
			CHECK_EQ_INT(s[j].weight, valid[i].s[j].weight);
		}
		if (n == 0)
			CHECK(s == NULL);
		free(s);
	}
}

static void test_invalid(void)
{
	for (size_t i = 0; i < sizeof(invalid) / sizeof(invalid[0]); i++) {
		struct ctl_site *s = (void *)1;
		size_t n = 99;
		char err[256] = "";

		check_case = invalid[i].text;
		CHECK_EQ_INT(ctl_sites_parse(invalid[i].text, &s, &n, err, sizeof(err)), -EINVAL);
		CHECK_EQ_STR(err, invalid[i].err);
		CHECK(s == NULL);
		CHECK_EQ_INT(n, 0);
	}
	/* No error buffer is fine; a short one truncates. */
	{
		struct ctl_site *s;
		size_t n;
		char err[8];

		check_case = "err buffers";
		CHECK_EQ_INT(ctl_sites_parse("x*y", &s, &n, NULL, 0), -EINVAL);
		CHECK_EQ_INT(ctl_sites_parse("x*y", &s, &n, err, sizeof(err)), -EINVAL);
		CHECK_EQ_STR(err, "bad wei");
	}
}

static void test_zone_limits(void)
{
	char text[600], want[700];
	struct ctl_site *s;
	size_t n;
	char err[1024];

	/* A 63-byte label is fine, 64 is not. */
	check_case = "label 63";
	memset(text, 'a', 63);
	strcpy(text + 63, ".example");
	CHECK_EQ_INT(ctl_sites_parse(text, &s, &n, err, sizeof(err)), 0);
	CHECK_EQ_INT(n, 1);
	free(s);
	check_case = "label 64";
	memset(text, 'a', 64);
	strcpy(text + 64, ".example");
	CHECK_EQ_INT(ctl_sites_parse(text, &s, &n, err, sizeof(err)), -EINVAL);
	snprintf(want, sizeof(want), "bad zone name in '%s'", text);
	CHECK_EQ_STR(err, want);

	/* 253 bytes (four labels 63+1+63+1+63+1+61) is fine, with or
	 * without the trailing dot; 254 is not. */
	check_case = "name 253";
	memset(text, 'b', 253);
	text[63] = text[127] = text[191] = '.';
	text[253] = '\0';
	CHECK_EQ_INT(ctl_sites_parse(text, &s, &n, err, sizeof(err)), 0);
	CHECK_EQ_INT(n, 1);
	if (n == 1)
		CHECK_EQ_INT(strlen(s[0].zone), 253);
	free(s);
	check_case = "name 253 + dot";
	strcpy(text + 253, ".*5");
	CHECK_EQ_INT(ctl_sites_parse(text, &s, &n, err, sizeof(err)), 0);
	CHECK_EQ_INT(n, 1);
	if (n == 1) {
		CHECK_EQ_INT(strlen(s[0].zone), 253);
		CHECK_EQ_INT(s[0].weight, 5);
	}
	free(s);
	check_case = "name 254";
	text[253] = 'b';
	text[254] = '\0';
	CHECK_EQ_INT(ctl_sites_parse(text, &s, &n, err, sizeof(err)), -EINVAL);
	CHECK(strncmp(err, "bad zone name in '", 18) == 0);
}

static void test_tables(void)
{
	for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
		struct ctl_site *s;
		size_t n;
		char err[256];

		check_case = tables[i].item;
		CHECK_EQ_INT(ctl_sites_parse(tables[i].item, &s, &n, err, sizeof(err)), 0);
		CHECK_EQ_INT(n, 1);
		if (n != 1) {
			free(s);
			continue;
		}
		for (int j = 0; j < tables[i].nt; j++)
			CHECK_EQ_INT(ctl_filter_match(&s[0].filter, tables[i].t[j].a),
				     tables[i].t[j].match);
		free(s);
	}
}

/* Exhaustive over the last octet: the bitmap equals the set described. */
static void test_last_octet_exhaustive(void)
{
	struct ctl_site *s;
	size_t n;
	char err[256];

	check_case = "exhaustive [0;2..4;100..101;255]";
	CHECK_EQ_INT(ctl_sites_parse("z=127.0.0.[0;2..4;100..101;255]", &s, &n, err,
				     sizeof(err)), 0);
	CHECK_EQ_INT(n, 1);
	if (n != 1) {
		free(s);
		return;
	}
	for (unsigned v = 0; v < 256; v++) {
		uint8_t a[4] = { 127, 0, 0, (uint8_t)v };
		int want = v == 0 || (v >= 2 && v <= 4) || v == 100 || v == 101 || v == 255;

		CHECK_EQ_INT(ctl_filter_match(&s[0].filter, a), want);
	}
	free(s);
}

int main(void)
{
	test_valid();
	test_invalid();
	test_zone_limits();
	test_tables();
	test_last_octet_exhaustive();
	CHECK_DONE();
}
