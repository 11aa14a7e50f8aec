/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_zone: ctl_zone_load on an rbldnsd zone file (ctl_zone's line
 * reader, values and directives, ctl_zset's address syntax and interval
 * flattening), then lookups.
 *
 * Input: byte 0 picks the type (low 2 bits: ip4set, ip6trie, ip6tset,
 * dnset); the rest is the zone file, through a memfd (ctl_zone reads
 * files only).
 *
 * Checks: an error has a "PATH:..." message and no zone; a zone answers
 * lookups of the addresses and names its own lines start with (and a
 * few fixed ones) with 0 or 1 and a NUL-terminated TXT within its bound,
 * and -EINVAL for the other kind of key. In a zone without exclusions
 * ('!' lines), what an entry names is listed: an ip4set's dotted quad, an
 * ip6trie's address (with or without /len), a dnset's name, and a name
 * under a dnset wildcard (.name, *.name).
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_conf.h"
#include "ctl_zone.h"
#include "fuzz_main.h"
#include "fz_util.h"

#define MAX_LOOKUPS 64

static int check_answer(int r, const struct ctl_zone_answer *a)
{
	FZ_CHECK(r == 0 || r == 1);
	if (r == 1)
		FZ_CHECK(memchr(a->txt, '\0', sizeof(a->txt)) != NULL);
	return r;
}

static int lookup_addr(const struct ctl_zone *z, int type, int family, const uint8_t a[16])
{
	struct ctl_zone_answer ans;
	int r = ctl_zone_lookup_addr(z, family, a, &ans);

	if (type == CTL_ZONE_DNSET) {
		FZ_CHECK(r == -EINVAL);
		return 0;
	}
	return check_answer(r, &ans);
}

static int lookup_name(const struct ctl_zone *z, int type, const char *name)
{
	struct ctl_zone_answer ans;
	int r = ctl_zone_lookup_name(z, name, &ans);

	if (type != CTL_ZONE_DNSET) {
		FZ_CHECK(r == -EINVAL);
		return 0;
	}
	return check_answer(r, &ans);
}

#define LISTED(expr, what, word)                                                \
	do {                                                                    \
		if (!(expr)) {                                                  \
			fprintf(stderr, "fuzz_zone: %s \"%s\" not listed\n", what, word); \
			FZ_CHECK(!"an entry lists what it names");              \
		}                                                               \
	} while (0)

/* The first word of a line (an entry, unless a default or directive) as
 * an address and as a name; @sure: no exclusion anywhere in the zone. */
static void lookup_word(const struct ctl_zone *z, int type, const char *w, size_t n, bool sure)
{
	char buf[300], *slash;
	uint8_t a[16] = { 0 };
	bool wild = false, star = false, cidr;

	if (n && *w == '!') {
		sure = false;
		w++;
		n--;
	}
	/* as dnset_line: ".name" is name and below, "*.name" below only */
	if (n >= 2 && w[0] == '*' && w[1] == '.') {
		star = wild = true;
		w += 2;
		n -= 2;
	} else if (n && w[0] == '.') {
		wild = true;
		w++;
		n--;
	}
	if (!n || n >= sizeof(buf) - 4)
		return;
	memcpy(buf, w, n);
	buf[n] = '\0';
	if (lookup_name(z, type, buf) == 0 && sure && type == CTL_ZONE_DNSET && !star &&
	    buf[n - 1] != '.')
		LISTED(0, "name", buf);
	memcpy(buf, "a.", 2);
	memcpy(buf + 2, w, n);
	buf[n + 2] = '\0';
	if (lookup_name(z, type, buf) == 0 && sure && type == CTL_ZONE_DNSET && wild &&
	    n + 2 <= 253 && buf[n + 1] != '.')
		LISTED(0, "name under a wildcard", buf);
	memcpy(buf, w, n);
	buf[n] = '\0';
	cidr = (slash = strchr(buf, '/')) != NULL;
	if (slash || (slash = strchr(buf, '-')))
		*slash = '\0';
	if (inet_pton(AF_INET, buf, a) == 1) {
		if (lookup_addr(z, type, 4, a) == 0 && sure && type == CTL_ZONE_IP4SET && !slash)
			LISTED(0, "address", buf);
	} else if (inet_pton(AF_INET6, buf, a) == 1) {
		if (lookup_addr(z, type, 6, a) == 0 && sure && type == CTL_ZONE_IP6TRIE &&
		    (cidr || !slash))
			LISTED(0, "address", buf);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t fixed[][16] = {
		{ 0 },
		{ 127, 0, 0, 2 },
		{ 255, 255, 255, 255 },
		{ 0x20, 0x01, 0x0d, 0xb8, [15] = 1 },
		{ 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		  0xff, 0xff, 0xff, 0xff },
	};
	struct ctl_zone *z = NULL;
	char err[4352], *text;
	const char *path;
	int type, rc, n = 0;
	bool sure = true;

	if (size < 1)
		return 0;
	type = data[0] & 3;
	path = fz_file(data + 1, size - 1);
	FZ_CHECK(path != NULL);
	err[0] = '\0';
	rc = ctl_zone_load(type, path, &z, err, sizeof(err));
	if (rc < 0) {
		FZ_CHECK(z == NULL);
		FZ_CHECK(!strncmp(err, path, strlen(path)) && err[strlen(path)] == ':');
		return 0;
	}
	FZ_CHECK(rc == 0 && z != NULL);
	(void)ctl_zone_entries(z);
	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
		lookup_addr(z, type, 4, fixed[i]);
		lookup_addr(z, type, 6, fixed[i]);
	}
	lookup_name(z, type, "");
	lookup_name(z, type, ".");
	lookup_name(z, type, "example.com");

	text = malloc(size);
	FZ_CHECK(text != NULL);
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0';
	for (char *p = text; *p; p++)
		if (*p == '!')
			sure = false;
	for (char *line = text; line && n < MAX_LOOKUPS;) {
		char *nl = strchr(line, '\n');
		size_t w = 0;

		if (nl)
			*nl = '\0';
		while (isspace((unsigned char)*line))
			line++;
		/* a name ends at a blank; an address also at a comment, and an
		 * ip4set address at ':' */
		while (line[w] && !isspace((unsigned char)line[w]) &&
		       (type == CTL_ZONE_DNSET || (line[w] != '#' && line[w] != ';')) &&
		       !(type == CTL_ZONE_IP4SET && line[w] == ':'))
			w++;
		/* ':' starts a default line, but "::1" is an ip6trie address */
		if (w && line[0] != '$' && line[0] != '#' && line[0] != ';' &&
		    (line[0] != ':' || (type == CTL_ZONE_IP6TRIE && line[1] == ':'))) {
			lookup_word(z, type, line, w, sure);
			n++;
		}
		line = nl ? nl + 1 : NULL;
	}
	free(text);
	ctl_zone_free(z);
	return 0;
}
