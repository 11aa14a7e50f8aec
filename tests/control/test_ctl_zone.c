/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ctl_zone: rbldnsd dataset files per type (listed, not listed, excluded,
 * ranges and shorthands, defaults and per-entry values, '$' substitution,
 * $TTL, names and wildcards, IPv6 prefixes), exact "PATH:LINE: reason"
 * errors, wrong-type lookups; a randomized ip4set against a brute-force
 * model of rbldnsd's rules; a 200k-line load timing (printed, not
 * asserted); and, when /usr/sbin/rbldnsd is installed, the same files
 * served by a real rbldnsd on loopback and compared answer by answer.
 * Single-threaded; works in a private directory under /tmp.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "ctl_conf.h"
#include "ctl_zone.h"

#define RBLDNSD "/usr/sbin/rbldnsd"

static char tmpdir[] = "/tmp/mxs-test-zone-XXXXXX";

static const char *path_of(const char *name)
{
	static char buf[4][256];
	static int k;

	k = (k + 1) % 4;
	snprintf(buf[k], sizeof(buf[k]), "%s/%s", tmpdir, name);
	return buf[k];
}

static void write_file(const char *name, const char *text, size_t len)
{
	const char *p = path_of(name);
	FILE *f = fopen(p, "wb");

	if (!f || fwrite(text, 1, len, f) != len || fclose(f) || chmod(p, 0644)) {
		perror(p);
		exit(2);
	}
}

static void write_str(const char *name, const char *text)
{
	write_file(name, text, strlen(text));
}

static struct ctl_zone *load_ok(int type, const char *name, const char *text)
{
	struct ctl_zone *z = NULL;
	char err[512] = "";
	int r;

	write_str(name, text);
	r = ctl_zone_load(type, path_of(name), &z, err, sizeof(err));
	CHECK_EQ_INT(r, 0);
	if (r)
		fprintf(stderr, "  load: %s\n", err);
	return z;
}

/* Parses a test query: dotted quad, IPv6, else a name. */
static int parse_q(const char *q, int *family, uint8_t addr[16])
{
	memset(addr, 0, 16);
	if (inet_pton(AF_INET, q, addr) == 1) {
		*family = 4;
		return 1;
	}
	if (inet_pton(AF_INET6, q, addr) == 1) {
		*family = 6;
		return 1;
	}
	return 0;
}

static int lookup(const struct ctl_zone *z, const char *q, struct ctl_zone_answer *ans)
{
	uint8_t addr[16];
	int family;

	memset(ans, 0, sizeof(*ans));
	if (parse_q(q, &family, addr))
		return ctl_zone_lookup_addr(z, family, addr, ans);
	return ctl_zone_lookup_name(z, q, ans);
}

static void a_str(const uint8_t a[4], char out[16])
{
	snprintf(out, 16, "%u.%u.%u.%u", a[0], a[1], a[2], a[3]);
}

/* ---- table of zones ---- */

struct probe {
	const char *q;
	int rc;                       /* 1 listed, 0 not */
	const char *a;                /* when listed */
	const char *txt;              /* when listed; "" no TXT */
};

struct zcase {
	const char *name;
	int type;
	const char *text;
	uint32_t ttl;
	size_t entries;
	struct probe p[24];
};

static const struct zcase cases[] = {
	{ "ip4 forms", CTL_ZONE_IP4SET,
	  "# comment\n"
	  "; comment too\n"
	  "\n"
	  "   1.2.3.4   \n"
	  "10.0.0.0/8\n"
	  "192.168.1\n"
	  "172.16\n"
	  "5.5.5.5-5.5.5.10\n"
	  "6.6.6.250-255\n"
	  "7.7.7.7/24\n"
	  "8.1-3\n"
	  "9.0.0-9.0.1\n"
	  "11/8\n"
	  "12.1.2.250-12.1.4.5\n",
	  2100, 11,
	  { { "1.2.3.4", 1, "127.0.0.2", "" }, { "1.2.3.5", 0, 0, 0 },
	    { "10.255.255.255", 1, "127.0.0.2", "" }, { "9.255.255.255", 0, 0, 0 },
	    { "192.168.1.0", 1, "127.0.0.2", "" }, { "192.168.1.255", 1, "127.0.0.2", "" },
	    { "192.168.2.0", 0, 0, 0 }, { "172.16.200.1", 1, "127.0.0.2", "" },
	    { "172.17.0.0", 0, 0, 0 }, { "5.5.5.4", 0, 0, 0 },
	    { "5.5.5.5", 1, "127.0.0.2", "" }, { "5.5.5.10", 1, "127.0.0.2", "" },
	    { "5.5.5.11", 0, 0, 0 }, { "6.6.6.249", 0, 0, 0 },
	    { "6.6.6.255", 1, "127.0.0.2", "" }, { "7.7.7.0", 1, "127.0.0.2", "" },
	    { "8.0.255.255", 0, 0, 0 }, { "8.3.255.255", 1, "127.0.0.2", "" },
	    { "9.0.1.255", 1, "127.0.0.2", "" }, { "9.0.2.0", 0, 0, 0 },
	    { "11.9.9.9", 1, "127.0.0.2", "" }, { "12.1.2.249", 0, 0, 0 },
	    { "12.1.3.77", 1, "127.0.0.2", "" }, { "12.1.4.6", 0, 0, 0 } } },
	{ "ip4 values", CTL_ZONE_IP4SET,
	  "1.1.1.0 ; before any default: 127.0.0.2, no TXT\n"
	  ":127.0.0.3:Listed $ see http://x/$\n"
	  "1.1.1.1\n"
	  "1.1.1.2 :5\n"
	  "1.1.1.3 :6:\n"
	  "1.1.1.4 Custom $ text\n"
	  "1.1.1.5 :127.0.0.9:Own $$ price $$$$\n"
	  "1.1.1.6 # a comment, default value\n"
	  "1.1.1.7:8:glued\n"
	  "$TTL 1h\n"
	  "$1 see http://bl\n"
	  "$1 second assignment ignored\n"
	  "1.1.1.8 $1/$ now\n"
	  "1.1.1.9 $2 undefined, $x\n"
	  "1.1.1.10 :127.2:   spaced\n"
	  ":4\n"
	  "1.1.1.11\n",
	  3600, 12,
	  { { "1.1.1.0", 1, "127.0.0.2", "" },
	    { "1.1.1.1", 1, "127.0.0.3", "Listed 1.1.1.1 see http://x/1.1.1.1" },
	    { "1.1.1.2", 1, "127.0.0.5", "Listed 1.1.1.2 see http://x/1.1.1.2" },
	    { "1.1.1.3", 1, "127.0.0.6", "" },
	    { "1.1.1.4", 1, "127.0.0.3", "Custom 1.1.1.4 text" },
	    { "1.1.1.5", 1, "127.0.0.9", "Own $ price $$" },
	    { "1.1.1.6", 1, "127.0.0.3", "Listed 1.1.1.6 see http://x/1.1.1.6" },
	    { "1.1.1.7", 1, "127.0.0.8", "glued" },
	    { "1.1.1.8", 1, "127.0.0.3", "see http://bl/1.1.1.8 now" },
	    { "1.1.1.9", 1, "127.0.0.3", "$2 undefined, 1.1.1.9x" },
	    { "1.1.1.10", 1, "127.0.0.2", "spaced" },
	    { "1.1.1.11", 1, "127.0.0.4", "" },
	    { "1.1.1.12", 0, 0, 0 } } },
	{ "ip4 exclusions and levels", CTL_ZONE_IP4SET,
	  "10.0.0.0/8 :2\n"
	  "!10.1.2.3\n"
	  "!10.2.0.0/16 :9:value of an exclusion is ignored\n"
	  "10.2.3.4 :3\n"
	  "20.0.0.1 :2\n"
	  "! 20.0.0.1\n"
	  "30.0.0.0/24 :2\n"
	  "30.0.0.0/24 :3\n"
	  "!40.0.0.0/25\n"
	  "40.0.0.0/24\n"
	  "50.0.0.0/24 :5\n"
	  "50.0.0.10-50.0.0.20 :6\n"
	  "!60.0.0.0-60.0.0.255\n"
	  "60.0.0.0/16\n",
	  2100, 14,
	  { { "10.1.2.3", 0, 0, 0 }, { "10.1.2.4", 1, "127.0.0.2", "" },
	    { "10.2.0.1", 0, 0, 0 }, { "10.2.3.4", 1, "127.0.0.3", "" },
	    { "10.2.3.5", 0, 0, 0 }, { "10.0.0.1", 1, "127.0.0.2", "" },
	    { "20.0.0.1", 0, 0, 0 }, { "30.0.0.7", 1, "127.0.0.2", "" },
	    { "40.0.0.5", 0, 0, 0 }, { "40.0.0.200", 1, "127.0.0.2", "" },
	    { "50.0.0.9", 1, "127.0.0.5", "" }, { "50.0.0.15", 1, "127.0.0.6", "" },
	    { "60.0.0.9", 0, 0, 0 }, { "60.0.1.9", 1, "127.0.0.2", "" } } },
	{ "ip4 base template, $MAXRANGE4, directives", CTL_ZONE_IP4SET,
	  "$SOA 1h ns.bl.test. hostmaster.bl.test. 0 2h 2h 1w 1h\n"
	  "$NS 1w ns1.bl.test ns2.bl.test\n"
	  "#$Id: zone,v 1.1 $ (a comment to everyone else)\n"
	  "#$TTL 2m\n"
	  "$TIMESTAMP 2020:01:01\n"
	  "$= See http://bl/?$= ($) for details\n"
	  "1.2.3.2 r123\n"
	  "1.2.3.3\n"
	  "1.2.3.4 =See other lists about $\n"
	  "$MAXRANGE4 /24\n"
	  "2.0.0.0/16\n"
	  "3.0.0.0/24\n"
	  "$MAXRANGE4 65536\n"
	  "4.0.0.0/23\n",
	  120, 4,
	  { { "1.2.3.2", 1, "127.0.0.2", "See http://bl/?r123 (1.2.3.2) for details" },
	    { "1.2.3.3", 1, "127.0.0.2", "See http://bl/?1.2.3.3 (1.2.3.3) for details" },
	    { "1.2.3.4", 1, "127.0.0.2", "See other lists about 1.2.3.4" },
	    { "2.0.0.1", 0, 0, 0 }, { "3.0.0.1", 1, "127.0.0.2", "See http://bl/?3.0.0.1 (3.0.0.1) for details" },
	    { "4.0.1.1", 0, 0, 0 } } },
	{ "ip4 $TTL 0 is the default", CTL_ZONE_IP4SET,
	  "$TTL 1w\n$ttl 0\n1.2.3.4\n", 2100, 1,
	  { { "1.2.3.4", 1, "127.0.0.2", "" } } },
	{ "ip4 CRLF", CTL_ZONE_IP4SET,
	  "$TTL 30\r\n:3:crlf $\r\n1.2.3.4\r\n", 30, 1,
	  { { "1.2.3.4", 1, "127.0.0.3", "crlf 1.2.3.4" } } },
	{ "ip4 empty", CTL_ZONE_IP4SET, "# nothing\n", 2100, 0,
	  { { "1.2.3.4", 0, 0, 0 }, { "0.0.0.0", 0, 0, 0 } } },
	{ "ip4 everything", CTL_ZONE_IP4SET, "0/1 :7\n128.0/1 :7\n!255.255.255.255\n", 2100, 3,
	  { { "0.0.0.0", 1, "127.0.0.7", "" }, { "255.255.255.254", 1, "127.0.0.7", "" },
	    { "255.255.255.255", 0, 0, 0 } } },
	{ "ip6trie", CTL_ZONE_IP6TRIE,
	  "# from rbldnsd(8)\n"
	  ":127.0.1.2: Listed, see http://example.com/lookup?$\n"
	  "2001:21ab:c000/36\n"
	  "2001:21ab:def7:4242 :127.0.1.3: This one smells funny\n"
	  "2605:6001:42::/52\n"
	  "::1 # localhost\n"
	  "!2605:6001:42::bead\n"
	  "2001:db8::/32 :4:\n"
	  "2001:DB8:1::/48 :5:\n"
	  "!2001:db8:2::/48\n"
	  "2001:db8:2:3::/64 :6:\n"
	  "2001:db8:ffff::1/32 :9:duplicate prefix, host bits: first line wins\n"
	  "3000::/16 :7:\n"
	  "3000::/16 :8:\n"
	  "3001:0:0:0:0:0:0:0/127 :3:\n",
	  2100, 13,
	  { { "2001:21ab:c123::1", 1, "127.0.1.2",
	      "Listed, see http://example.com/lookup?2001:21ab:c123::1" },
	    { "2001:21ab:d000::", 0, 0, 0 },
	    { "2001:21ab:def7:4242::5", 1, "127.0.1.3", "This one smells funny" },
	    { "::1", 1, "127.0.1.2", "Listed, see http://example.com/lookup?::1" },
	    { "::2", 0, 0, 0 }, { "2605:6001:42::bead", 0, 0, 0 },
	    { "2605:6001:42::beae", 1, "127.0.1.2",
	      "Listed, see http://example.com/lookup?2605:6001:42::beae" },
	    { "2605:6001:42:1000::", 0, 0, 0 },
	    { "2001:db8:0:1::1", 1, "127.0.0.4", "" }, { "2001:db8:1:5::1", 1, "127.0.0.5", "" },
	    { "2001:db8:2::1", 0, 0, 0 }, { "2001:db8:2:3::9", 1, "127.0.0.6", "" },
	    { "2001:db8:3::1", 1, "127.0.0.4", "" }, { "2001:db9::", 0, 0, 0 },
	    { "3000:ffff::", 1, "127.0.0.7", "" }, { "3001::1", 1, "127.0.0.3", "" },
	    { "3001::2", 0, 0, 0 } } },
	{ "ip6tset", CTL_ZONE_IP6TSET,
	  ":127.0.0.4:v6 $ listed\n"
	  "2001:20fe:23:41ed\n"
	  "abac:adab:ad00:42f\n"
	  "!abac:adab:ad00:42f:face:0f:a:beef\n"
	  "!abac:adab:ad00:42f::2\n"
	  "2001:db8:1:2::/64 # explicit length\n"
	  "2001:20fe:23:41ed\n"
	  ":127.0.0.5:second default line ignored\n",
	  2100, 6,
	  { { "2001:20fe:23:41ed::1", 1, "127.0.0.4", "v6 2001:20fe:23:41ed::1 listed" },
	    { "2001:20fe:23:41ee::1", 0, 0, 0 }, { "abac:adab:ad00:42f::2", 0, 0, 0 },
	    { "abac:adab:ad00:42f::3", 1, "127.0.0.4", "v6 abac:adab:ad00:42f::3 listed" },
	    { "abac:adab:ad00:42f:face:f:a:beef", 0, 0, 0 },
	    { "2001:db8:1:2::", 1, "127.0.0.4", "v6 2001:db8:1:2:: listed" },
	    { "2001:db8:1:3::", 0, 0, 0 } } },
	{ "dnset", CTL_ZONE_DNSET,
	  ":127.0.0.2:Domain $ listed\n"
	  "example.com\n"
	  "*.wild.org :3\n"
	  ".both.net :4\n"
	  "Exact.CASE.org.\n"
	  "!bad.wild.org\n"
	  "!*.sub.both.net\n"
	  "ok.sub.both.net :5:\n"
	  ".x.test\n"
	  "!*.x.test\n"
	  "dup.test :6:\n"
	  "dup.test :7:\n"
	  "!.gone.test\n"
	  "a.gone.test\n",
	  2100, 13,
	  { { "example.com", 1, "127.0.0.2", "Domain example.com listed" },
	    { "EXAMPLE.Com.", 1, "127.0.0.2", "Domain example.com listed" },
	    { "www.example.com", 0, 0, 0 }, { "com", 0, 0, 0 },
	    { "wild.org", 0, 0, 0 },
	    { "a.wild.org", 1, "127.0.0.3", "Domain wild.org listed" },
	    { "a.B.wild.org", 1, "127.0.0.3", "Domain wild.org listed" },
	    { "bad.wild.org", 0, 0, 0 },
	    { "x.bad.wild.org", 1, "127.0.0.3", "Domain wild.org listed" },
	    { "both.net", 1, "127.0.0.4", "Domain both.net listed" },
	    { "a.both.net", 1, "127.0.0.4", "Domain both.net listed" },
	    { "sub.both.net", 1, "127.0.0.4", "Domain both.net listed" },
	    { "a.sub.both.net", 0, 0, 0 }, { "ok.sub.both.net", 1, "127.0.0.5", "" },
	    { "exact.case.org", 1, "127.0.0.2", "Domain exact.case.org listed" },
	    { "x.test", 1, "127.0.0.2", "Domain x.test listed" }, { "a.x.test", 0, 0, 0 },
	    { "dup.test", 1, "127.0.0.6", "" }, { "gone.test", 0, 0, 0 },
	    { "b.gone.test", 0, 0, 0 }, { "a.gone.test", 1, "127.0.0.2", "Domain a.gone.test listed" },
	    { "", 0, 0, 0 }, { ".", 0, 0, 0 }, { "a..wild.org", 0, 0, 0 } } },
};

static void check_probe(const struct ctl_zone *z, const struct probe *p, uint32_t ttl)
{
	struct ctl_zone_answer ans;
	char a[16];
	int r = lookup(z, p->q, &ans);

	CHECK_EQ_INT(r, p->rc);
	if (r != p->rc)
		fprintf(stderr, "  query %s\n", p->q);
	if (r != 1 || p->rc != 1)
		return;
	a_str(ans.a, a);
	CHECK_EQ_STR(a, p->a);
	CHECK_EQ_STR(ans.txt, p->txt);
	CHECK_EQ_INT(ans.ttl, ttl);
	if (strcmp(a, p->a) || strcmp(ans.txt, p->txt))
		fprintf(stderr, "  query %s\n", p->q);
}

static void test_cases(void)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct zcase *c = &cases[i];
		struct ctl_zone *z;

		check_case = c->name;
		z = load_ok(c->type, "case.zone", c->text);
		if (!z)
			continue;
		CHECK_EQ_INT(ctl_zone_entries(z), c->entries);
		for (size_t j = 0; j < sizeof(c->p) / sizeof(c->p[0]) && c->p[j].q; j++)
			check_probe(z, &c->p[j], c->ttl);
		ctl_zone_free(z);
	}
	check_case = "";
}

/* ---- errors ---- */

static const struct {
	int type;
	const char *text;
	const char *err;              /* after "PATH:" */
} bad[] = {
	{ CTL_ZONE_IP4SET, "1.2.3.4\n1.2.3.256\n", "2: invalid address" },
	{ CTL_ZONE_IP4SET, "1\n", "1: invalid address" },
	{ CTL_ZONE_IP4SET, "1.2.3.4.5\n", "1: invalid address" },
	{ CTL_ZONE_IP4SET, "1.2.3.4x\n", "1: invalid address" },
	{ CTL_ZONE_IP4SET, "example.com\n", "1: invalid address" },
	{ CTL_ZONE_IP4SET, "!\n", "1: invalid address" },
	{ CTL_ZONE_IP4SET, "1.2.3.0/33\n", "1: invalid prefix length" },
	{ CTL_ZONE_IP4SET, "1.2.3.0/\n", "1: invalid prefix length" },
	{ CTL_ZONE_IP4SET, "0.0.0.0/0\n", "1: invalid prefix length" },
	{ CTL_ZONE_IP4SET, "1.2.3.0/2x4\n", "1: invalid address" },
	{ CTL_ZONE_IP4SET, "1.2.3.10-1.2.3.4\n", "1: invalid range" },
	{ CTL_ZONE_IP4SET, "1.2.3.10-4\n", "1: invalid range" },
	{ CTL_ZONE_IP4SET, "1.2-1.2.3.4\n", "1: invalid range" },
	{ CTL_ZONE_IP4SET, "1.2.3.4-\n", "1: invalid range" },
	{ CTL_ZONE_IP4SET, "1.2.3.4 :300:x\n", "1: invalid A value" },
	{ CTL_ZONE_IP4SET, "1.2.3.4 :0:x\n", "1: invalid A value" },
	{ CTL_ZONE_IP4SET, "1.2.3.4 :\n", "1: invalid A value" },
	{ CTL_ZONE_IP4SET, "1.2.3.4 :2 junk\n", "1: invalid value" },
	{ CTL_ZONE_IP4SET, "# ok\n:x:txt\n", "2: invalid A value" },
	{ CTL_ZONE_IP4SET, "$FOO bar\n", "1: unknown directive '$FOO'" },
	{ CTL_ZONE_IP4SET, "$DATASET ip4set x @\n", "1: unknown directive '$DATASET'" },
	{ CTL_ZONE_IP4SET, ":$BAR\n", "1: unknown directive '$BAR'" },
	{ CTL_ZONE_IP4SET, "$TTL abc\n", "1: invalid $TTL" },
	{ CTL_ZONE_IP4SET, "$TTL\n", "1: invalid $TTL" },
	{ CTL_ZONE_IP4SET, "$TTL 10x\n", "1: invalid $TTL" },
	{ CTL_ZONE_IP4SET, "$TTL 99999999999\n", "1: invalid $TTL" },
	{ CTL_ZONE_IP4SET, "$1\n", "1: invalid substitution variable" },
	{ CTL_ZONE_IP4SET, "$MAXRANGE4 /33\n", "1: invalid $MAXRANGE4" },
	{ CTL_ZONE_IP4SET, "$MAXRANGE4 0\n", "1: invalid $MAXRANGE4" },
	{ CTL_ZONE_IP4SET, "1.2.3.4\n1.2.3.5", "2: incomplete last line" },
	{ CTL_ZONE_IP4SET, "1.2.3.4\n1.2\0.3.5\n", "2: NUL byte in line" },
	{ CTL_ZONE_IP6TRIE, "2001:db8::/129\n", "1: invalid prefix length" },
	{ CTL_ZONE_IP6TRIE, "2001:db8:::1\n", "1: invalid address" },
	{ CTL_ZONE_IP6TRIE, "1::2::3\n", "1: invalid address" },
	{ CTL_ZONE_IP6TRIE, "2001\n", "1: invalid address" },
	{ CTL_ZONE_IP6TRIE, "gggg::1\n", "1: invalid address" },
	{ CTL_ZONE_IP6TRIE, "1:2:3:4:5:6:7:8:9\n", "1: invalid address" },
	{ CTL_ZONE_IP6TRIE, "12345::\n", "1: invalid address" },
	{ CTL_ZONE_IP6TRIE, "1.2.3.4\n", "1: invalid address" },
	{ CTL_ZONE_IP6TRIE, ":2:ok\n2001:db8::1 :999\n", "2: invalid A value" },
	{ CTL_ZONE_IP6TSET, "2001:db8::/48\n", "1: ip6tset entry must be a /64" },
	{ CTL_ZONE_IP6TSET, "2001:db8:1:2::\n", "1: ip6tset entry must be a /64" },
	{ CTL_ZONE_IP6TSET, "2001:db8:1:2:3\n", "1: ip6tset entry must be a /64" },
	{ CTL_ZONE_IP6TSET, "!2001:db8:1:2\n", "1: ip6tset exclusion must be a /128" },
	{ CTL_ZONE_IP6TSET, "2001:db8:1:2 :3\n", "1: ip6tset entries take no value" },
	{ CTL_ZONE_DNSET, "bad..name\n", "1: invalid domain name" },
	{ CTL_ZONE_DNSET, "*.\n", "1: invalid domain name" },
	{ CTL_ZONE_DNSET, ".\n", "1: invalid domain name" },
	{ CTL_ZONE_DNSET, "!\n", "1: invalid domain name" },
	{ CTL_ZONE_DNSET, "back\\slash.test\n", "1: invalid domain name" },
	{ CTL_ZONE_DNSET,
	  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.test\n",
	  "1: invalid domain name" },
	{ CTL_ZONE_DNSET, "ok.test :1.2.3.4:fine\nx.test :1.2.3.4 junk\n", "2: invalid value" },
};

static void test_errors(void)
{
	char want[600], err[512];
	struct ctl_zone *z;
	int r;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *text = bad[i].text;
		size_t len = strlen(text);

		check_case = text;
		/* the one with a NUL byte */
		if (strstr(bad[i].err, "NUL"))
			len = 17;
		write_file("bad.zone", text, len);
		z = (struct ctl_zone *)1;
		err[0] = '\0';
		r = ctl_zone_load(bad[i].type, path_of("bad.zone"), &z, err, sizeof(err));
		CHECK_EQ_INT(r, -EINVAL);
		CHECK(z == NULL);
		snprintf(want, sizeof(want), "%s:%s", path_of("bad.zone"), bad[i].err);
		CHECK_EQ_STR(err, want);
		if (!r)
			ctl_zone_free(z);
	}

	/* line length: 4096 is fine, 4097 is not */
	{
		char *big = malloc(6000);
		size_t n;

		check_case = "long lines";
		memset(big, ' ', 6000);
		memcpy(big, "1.2.3.4", 7);
		big[4096] = '\n';
		write_file("long.zone", big, 4097);
		r = ctl_zone_load(CTL_ZONE_IP4SET, path_of("long.zone"), &z, err, sizeof(err));
		CHECK_EQ_INT(r, 0);
		ctl_zone_free(z);
		memset(big, ' ', 6000);
		memcpy(big, "1.2.3.4\n", 8);
		n = 8 + 4097;
		big[n] = '\n';
		write_file("long.zone", big, n + 1);
		r = ctl_zone_load(CTL_ZONE_IP4SET, path_of("long.zone"), &z, err, sizeof(err));
		CHECK_EQ_INT(r, -EINVAL);
		snprintf(want, sizeof(want), "%s:2: line too long", path_of("long.zone"));
		CHECK_EQ_STR(err, want);
		/* and one far longer than the read buffer */
		free(big);
		big = malloc(200000);
		memset(big, 'x', 200000);
		write_file("long.zone", big, 200000);
		r = ctl_zone_load(CTL_ZONE_DNSET, path_of("long.zone"), &z, err, sizeof(err));
		CHECK_EQ_INT(r, -EINVAL);
		snprintf(want, sizeof(want), "%s:1: line too long", path_of("long.zone"));
		CHECK_EQ_STR(err, want);
		free(big);
	}

	check_case = "open errors";
	r = ctl_zone_load(CTL_ZONE_IP4SET, path_of("missing.zone"), &z, err, sizeof(err));
	CHECK_EQ_INT(r, -ENOENT);
	snprintf(want, sizeof(want), "%s: %s", path_of("missing.zone"), strerror(ENOENT));
	CHECK_EQ_STR(err, want);
	r = ctl_zone_load(CTL_ZONE_IP4SET, tmpdir, &z, err, sizeof(err));
	CHECK_EQ_INT(r, -EISDIR);
	snprintf(want, sizeof(want), "%s: %s", tmpdir, strerror(EISDIR));
	CHECK_EQ_STR(err, want);
	write_str("ok.zone", "1.2.3.4\n");
	r = ctl_zone_load(42, path_of("ok.zone"), &z, err, sizeof(err));
	CHECK_EQ_INT(r, -EINVAL);
	r = ctl_zone_load(-1, path_of("ok.zone"), &z, err, sizeof(err));
	CHECK_EQ_INT(r, -EINVAL);
	/* no error buffer is fine */
	r = ctl_zone_load(CTL_ZONE_IP4SET, path_of("missing.zone"), &z, NULL, 0);
	CHECK_EQ_INT(r, -ENOENT);
	check_case = "";
}

/* ---- wrong types ---- */

static void test_wrong_type(void)
{
	struct ctl_zone *z4, *z6, *zt, *zd;
	struct ctl_zone_answer ans;
	uint8_t v4[16] = { 1, 2, 3, 4 }, v6[16] = { 0x20, 0x01, 0x0d, 0xb8 };

	check_case = "wrong types";
	z4 = load_ok(CTL_ZONE_IP4SET, "w4.zone", "1.2.3.4\n");
	z6 = load_ok(CTL_ZONE_IP6TRIE, "w6.zone", "2001:db8::/32\n");
	zt = load_ok(CTL_ZONE_IP6TSET, "wt.zone", "2001:db8:0:0\n");
	zd = load_ok(CTL_ZONE_DNSET, "wd.zone", "example.com\n");
	if (!z4 || !z6 || !zt || !zd)
		goto out;
	CHECK_EQ_INT(ctl_zone_lookup_addr(z4, 4, v4, &ans), 1);
	CHECK_EQ_INT(ctl_zone_lookup_addr(z4, AF_INET, v4, &ans), 1);
	CHECK_EQ_INT(ctl_zone_lookup_addr(z4, 4, v4, NULL), 1);
	CHECK_EQ_INT(ctl_zone_lookup_addr(z6, 6, v6, &ans), 1);
	CHECK_EQ_INT(ctl_zone_lookup_addr(z6, AF_INET6, v6, &ans), 1);
	CHECK_EQ_INT(ctl_zone_lookup_addr(zt, 6, v6, &ans), 1);
	CHECK_EQ_INT(ctl_zone_lookup_name(zd, "example.com", &ans), 1);
	/* the other family is simply not listed */
	CHECK_EQ_INT(ctl_zone_lookup_addr(z4, 6, v6, &ans), 0);
	CHECK_EQ_INT(ctl_zone_lookup_addr(z6, 4, v4, &ans), 0);
	CHECK_EQ_INT(ctl_zone_lookup_addr(zt, 4, v4, &ans), 0);
	/* wrong kind of lookup, bad family, NULLs */
	CHECK_EQ_INT(ctl_zone_lookup_name(z4, "example.com", &ans), -EINVAL);
	CHECK_EQ_INT(ctl_zone_lookup_name(z6, "example.com", &ans), -EINVAL);
	CHECK_EQ_INT(ctl_zone_lookup_name(zt, "example.com", &ans), -EINVAL);
	CHECK_EQ_INT(ctl_zone_lookup_addr(zd, 4, v4, &ans), -EINVAL);
	CHECK_EQ_INT(ctl_zone_lookup_addr(zd, 6, v6, &ans), -EINVAL);
	CHECK_EQ_INT(ctl_zone_lookup_addr(z4, 99, v4, &ans), -EINVAL);
	CHECK_EQ_INT(ctl_zone_lookup_addr(NULL, 4, v4, &ans), -EINVAL);
	CHECK_EQ_INT(ctl_zone_lookup_addr(z4, 4, NULL, &ans), -EINVAL);
	CHECK_EQ_INT(ctl_zone_lookup_name(NULL, "x", &ans), -EINVAL);
	CHECK_EQ_INT(ctl_zone_lookup_name(zd, NULL, &ans), -EINVAL);
	CHECK_EQ_INT(ctl_zone_entries(NULL), 0);
	{
		char huge[400];

		memset(huge, 'a', sizeof(huge) - 1);
		huge[sizeof(huge) - 1] = '\0';
		CHECK_EQ_INT(ctl_zone_lookup_name(zd, huge, &ans), 0);
	}
out:
	ctl_zone_free(z4);
	ctl_zone_free(z6);
	ctl_zone_free(zt);
	ctl_zone_free(zd);
	ctl_zone_free(NULL);
	check_case = "";
}

/* ---- randomized ip4set against a model of rbldnsd's rules ---- */

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint32_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state >> 16);
}

struct ment {
	uint32_t a, b;
	int excl;
	unsigned val;                 /* last octet of A; 0 = default 2 */
};

/*
 * rbldnsd keeps an entry as octet-aligned blocks, coarsest first: the
 * level of @q in [a, b] is the largest aligned /8, /16, /24 or /32 block
 * around @q inside the range. The most specific level wins; exclusions
 * beat listings at the same level; we answer the first listing.
 */
static int model(const struct ment *e, size_t n, uint32_t q, unsigned *val)
{
	int best = -1, excl = 0;
	unsigned v = 0;

	for (size_t i = 0; i < n; i++) {
		int level = -1;

		if (q < e[i].a || q > e[i].b)
			continue;
		for (int bits = 8; bits <= 32; bits += 8) {
			uint32_t m = bits == 32 ? ~0u : ~0u << (32 - bits);
			uint32_t lo = q & m, hi = lo | ~m;

			if (lo >= e[i].a && hi <= e[i].b) {
				level = bits;
				break;
			}
		}
		if (level > best) {
			best = level;
			excl = e[i].excl;
			v = e[i].val;
		} else if (level == best && e[i].excl) {
			excl = 1;
		}
	}
	if (best < 0 || excl)
		return 0;
	*val = v ? v : 2;
	return 1;
}

static char *random_ip4set(struct ment *e, size_t n, uint32_t base)
{
	size_t cap = n * 64 + 64, len = 0;
	char *text = malloc(cap);

	for (size_t i = 0; i < n; i++) {
		uint32_t a = base | (rnd() & 0x3ffff), b;
		unsigned kind = rnd() % 6, pl;
		char va[16] = "";

		e[i].excl = rnd() % 4 == 0;
		e[i].val = rnd() % 3 ? 0 : 3 + rnd() % 50;
		switch (kind) {
		case 0:
		case 1:
			b = a;
			len += (size_t)snprintf(text + len, cap - len, "%s%u.%u.%u.%u",
					       e[i].excl ? "!" : "", a >> 24, (a >> 16) & 255,
					       (a >> 8) & 255, a & 255);
			break;
		case 2:
		case 3:
			pl = 14 + rnd() % 19;
			a &= pl == 32 ? ~0u : ~0u << (32 - pl);
			b = a | (pl == 32 ? 0 : ~0u >> pl);
			len += (size_t)snprintf(text + len, cap - len, "%s%u.%u.%u.%u/%u",
					       e[i].excl ? "!" : "", a >> 24, (a >> 16) & 255,
					       (a >> 8) & 255, a & 255, pl);
			break;
		default:
			b = a + rnd() % (kind == 4 ? 600 : 70000);
			if (b > (base | 0x3ffff))
				b = base | 0x3ffff;
			len += (size_t)snprintf(text + len, cap - len, "%s%u.%u.%u.%u-%u.%u.%u.%u",
					       e[i].excl ? "!" : "", a >> 24, (a >> 16) & 255,
					       (a >> 8) & 255, a & 255, b >> 24, (b >> 16) & 255,
					       (b >> 8) & 255, b & 255);
			break;
		}
		e[i].a = a;
		e[i].b = b;
		if (!e[i].excl && e[i].val)
			snprintf(va, sizeof(va), " :%u:", e[i].val);
		else if (!e[i].excl)
			snprintf(va, sizeof(va), " :2:");
		len += (size_t)snprintf(text + len, cap - len, "%s\n", va);
	}
	return text;
}

#define RAND_N 1500
#define RAND_BASE 0x0a000000u         /* 10.0.0.0, entries in 10.0.0.0/14 */

static struct ment rand_e[RAND_N];
static char *rand_text;

/* A probe address: an entry's edge, next to one, or anywhere. */
static uint32_t rand_probe(void)
{
	const struct ment *e = &rand_e[rnd() % RAND_N];

	switch (rnd() % 5) {
	case 0: return e->a;
	case 1: return e->b;
	case 2: return e->a - 1;
	case 3: return e->b + 1;
	default: return RAND_BASE | (rnd() & 0x3ffff);
	}
}

static void test_random_model(void)
{
	struct ctl_zone *z;
	size_t bad_n = 0;

	check_case = "random ip4set vs model";
	rand_text = random_ip4set(rand_e, RAND_N, RAND_BASE);
	z = load_ok(CTL_ZONE_IP4SET, "rand.zone", rand_text);
	if (!z)
		return;
	for (int i = 0; i < 200000; i++) {
		uint32_t q = rand_probe();
		uint8_t addr[16] = { (uint8_t)(q >> 24), (uint8_t)(q >> 16), (uint8_t)(q >> 8),
				     (uint8_t)q };
		struct ctl_zone_answer ans;
		unsigned v = 0;
		int want = model(rand_e, RAND_N, q, &v);
		int got = ctl_zone_lookup_addr(z, 4, addr, &ans);

		if (got != want || (got == 1 && (ans.a[3] != v || ans.a[0] != 127))) {
			if (bad_n++ < 5)
				fprintf(stderr, "  %u.%u.%u.%u: got %d A .%u, want %d A .%u\n",
					addr[0], addr[1], addr[2], addr[3], got, ans.a[3], want, v);
		}
	}
	CHECK_EQ_INT(bad_n, 0);
	ctl_zone_free(z);
	check_case = "";
}

/* ---- load time, printed ---- */

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void test_big_load(void)
{
	const size_t n = 200000;
	size_t cap = n * 40, len = 0;
	char *text = malloc(cap);
	struct ctl_zone *z = NULL;
	char err[512];
	double t0, t1, t2;
	int r, hits = 0;

	check_case = "200k load";
	len += (size_t)snprintf(text, cap, ":127.0.0.2:Listed, see http://bl.test/$\n");
	for (size_t i = 0; i < n; i++) {
		uint32_t a = rnd();

		switch (i % 10) {
		case 0:
			len += (size_t)snprintf(text + len, cap - len, "%u.%u.%u.0/24\n",
					       a >> 24, (a >> 16) & 255, (a >> 8) & 255);
			break;
		case 1:
			len += (size_t)snprintf(text + len, cap - len, "%u.%u.%u.%u-%u\n",
					       a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 127,
					       (a & 127) + 20);
			break;
		case 2:
			len += (size_t)snprintf(text + len, cap - len, "!%u.%u.%u.%u\n",
					       a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255);
			break;
		default:
			len += (size_t)snprintf(text + len, cap - len, "%u.%u.%u.%u\n",
					       a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255);
			break;
		}
	}
	write_file("big.zone", text, len);
	free(text);
	t0 = now_s();
	r = ctl_zone_load(CTL_ZONE_IP4SET, path_of("big.zone"), &z, err, sizeof(err));
	t1 = now_s();
	CHECK_EQ_INT(r, 0);
	if (r) {
		fprintf(stderr, "  %s\n", err);
		return;
	}
	CHECK_EQ_INT(ctl_zone_entries(z), n);
	for (int i = 0; i < 1000000; i++) {
		uint32_t a = rnd();
		uint8_t addr[16] = { (uint8_t)(a >> 24), (uint8_t)(a >> 16), (uint8_t)(a >> 8),
				     (uint8_t)a };
		struct ctl_zone_answer ans;

		hits += ctl_zone_lookup_addr(z, 4, addr, &ans);
	}
	t2 = now_s();
	printf("ip4set: %zu lines loaded in %.0f ms; 1M random lookups in %.0f ms "
	       "(%.0f ns each, %d listed)\n", n, (t1 - t0) * 1e3, (t2 - t1) * 1e3,
	       (t2 - t1) * 1e3, hits);
	ctl_zone_free(z);
	check_case = "";
}

/* ---- oracle: the same files through a real rbldnsd ---- */

static pid_t guard_pid = -1;
static int guard_fd = -1;
static uint16_t rbl_port;

static uint16_t free_port(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sa);
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	uint16_t port = 0;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd >= 0 && !bind(fd, (struct sockaddr *)&sa, sizeof(sa)) &&
	    !getsockname(fd, (struct sockaddr *)&sa, &sl))
		port = ntohs(sa.sin_port);
	if (fd >= 0)
		close(fd);
	return port;
}

struct dns_res {
	int rcode;                    /* -1: no answer */
	int n_a, n_txt;
	uint8_t a[8][4];
	char txt[8][256];
	uint32_t ttl;
};

static size_t skip_name(const uint8_t *m, size_t n, size_t off)
{
	while (off < n) {
		if (m[off] >= 0xc0)
			return off + 2;
		if (!m[off])
			return off + 1;
		off += (size_t)m[off] + 1;
	}
	return n + 1;
}

/* One query of @type (1 A, 16 TXT) for @qname; parses the answers. */
static void dns_query(const char *qname, int type, struct dns_res *res)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(rbl_port) };
	uint8_t q[512], m[4096];
	size_t n = 12;
	const char *p = qname;
	int fd;

	memset(res, 0, sizeof(*res));
	res->rcode = -1;
	memset(q, 0, 12);
	q[0] = 0x5a;
	q[1] = 0x11;
	q[5] = 1;                     /* QDCOUNT */
	while (*p) {
		const char *dot = strchr(p, '.');
		size_t l = dot ? (size_t)(dot - p) : strlen(p);

		q[n++] = (uint8_t)l;
		memcpy(q + n, p, l);
		n += l;
		p += l + (dot ? 1 : 0);
	}
	q[n++] = 0;
	q[n++] = 0;
	q[n++] = (uint8_t)type;
	q[n++] = 0;
	q[n++] = 1;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0)
		return;
	for (int attempt = 0; attempt < 3 && res->rcode < 0; attempt++) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		ssize_t got;
		size_t off, an;

		if (sendto(fd, q, n, 0, (struct sockaddr *)&sa, sizeof(sa)) != (ssize_t)n)
			break;
		if (poll(&pfd, 1, 500) != 1)
			continue;
		got = recv(fd, m, sizeof(m), 0);
		if (got < 12 || m[0] != 0x5a || m[1] != 0x11)
			continue;
		res->rcode = m[3] & 0xf;
		an = (size_t)m[6] << 8 | m[7];
		off = skip_name(m, (size_t)got, 12) + 4;
		for (size_t i = 0; i < an && off + 10 <= (size_t)got; i++) {
			size_t rdl;
			int t;

			off = skip_name(m, (size_t)got, off);
			if (off + 10 > (size_t)got)
				break;
			t = m[off] << 8 | m[off + 1];
			rdl = (size_t)m[off + 8] << 8 | m[off + 9];
			if (!i)
				res->ttl = (uint32_t)m[off + 4] << 24 | (uint32_t)m[off + 5] << 16 |
					   (uint32_t)m[off + 6] << 8 | m[off + 7];
			off += 10;
			if (off + rdl > (size_t)got)
				break;
			if (t == 1 && rdl == 4 && res->n_a < 8)
				memcpy(res->a[res->n_a++], m + off, 4);
			if (t == 16 && rdl >= 1 && res->n_txt < 8) {
				size_t sl = m[off] < rdl - 1 ? m[off] : rdl - 1;

				memcpy(res->txt[res->n_txt], m + off + 1, sl);
				res->txt[res->n_txt++][sl] = '\0';
			}
			off += rdl;
		}
	}
	close(fd);
}

/*
 * rbldnsd drops privileges, which clears PR_SET_PDEATHSIG; so a guardian
 * child starts it and kills it when our end of a pipe closes, whether we
 * stop normally or die.
 */
static int start_rbldnsd(char *const zones[])
{
	char bind[32];
	char *argv[40];
	int pfd[2], argc = 0;

	rbl_port = free_port();
	snprintf(bind, sizeof(bind), "127.0.0.1/%u", rbl_port);
	argv[argc++] = RBLDNSD;
	argv[argc++] = "-n";          /* foreground */
	argv[argc++] = "-e";          /* accept host bits, as ctl_zone does */
	argv[argc++] = "-4";
	argv[argc++] = "-c";
	argv[argc++] = "0";
	argv[argc++] = "-b";
	argv[argc++] = bind;
	argv[argc++] = "-w";
	argv[argc++] = tmpdir;
	for (int i = 0; zones[i] && argc < 39; i++)
		argv[argc++] = zones[i];
	argv[argc] = NULL;
	if (pipe(pfd) < 0)
		return -1;
	fflush(NULL);
	guard_pid = fork();
	if (guard_pid < 0)
		return -1;
	if (!guard_pid) {
		pid_t rbl;
		char c;

		close(pfd[1]);
		rbl = fork();
		if (!rbl) {
			int fd = open(path_of("rbldnsd.log"), O_WRONLY | O_CREAT | O_TRUNC, 0644);

			close(pfd[0]);
			if (fd >= 0) {
				dup2(fd, 1);
				dup2(fd, 2);
			}
			execv(RBLDNSD, argv);
			_exit(127);
		}
		while (read(pfd[0], &c, 1) > 0)
			;
		if (rbl > 0) {
			kill(rbl, SIGTERM);
			waitpid(rbl, NULL, 0);
		}
		_exit(0);
	}
	close(pfd[0]);
	guard_fd = pfd[1];
	for (int i = 0; i < 50; i++) {
		struct dns_res res;

		dns_query("ip4.test", 1, &res);
		if (res.rcode >= 0)
			return 0;
		usleep(100000);
	}
	return -1;
}

static void stop_rbldnsd(void)
{
	if (guard_fd >= 0)
		close(guard_fd);
	guard_fd = -1;
	if (guard_pid > 0)
		waitpid(guard_pid, NULL, 0);
	guard_pid = -1;
}

static void dump_log(void)
{
	FILE *f = fopen(path_of("rbldnsd.log"), "r");
	char line[512];

	while (f && fgets(line, sizeof(line), f))
		fprintf(stderr, "  rbldnsd: %s", line);
	if (f)
		fclose(f);
}

/* The DNS name under @zone that asks about @q. */
static void query_name(const char *q, const char *zone, char *out, size_t len)
{
	uint8_t addr[16];
	int family;
	size_t k = 0;

	if (!parse_q(q, &family, addr)) {
		size_t ql = strlen(q);

		if (ql && q[ql - 1] == '.')
			ql--;
		snprintf(out, len, "%.*s.%s", (int)ql, q, zone);
		return;
	}
	if (family == 4) {
		snprintf(out, len, "%u.%u.%u.%u.%s", addr[3], addr[2], addr[1], addr[0], zone);
		return;
	}
	for (int i = 15; i >= 0; i--)
		k += (size_t)snprintf(out + k, len - k, "%x.%x.", addr[i] & 15, addr[i] >> 4);
	snprintf(out + k, len - k, "%s", zone);
}

static int oracle_mismatches;

/* Probes of what ctl_zone accepts beyond rbldnsd ("/64" in ip6tset). */
static int beyond_rbldnsd(const char *q)
{
	return !strcmp(q, "2001:db8:1:2::") || !strcmp(q, "2001:db8:1:3::");
}

static void oracle_compare(const struct ctl_zone *z, const char *zone, const char *q)
{
	struct ctl_zone_answer ans;
	struct dns_res ra, rt;
	char name[300];
	int got = lookup(z, q, &ans), want, ok_a = 0, ok_t = 0;

	query_name(q, zone, name, sizeof(name));
	dns_query(name, 1, &ra);
	dns_query(name, 16, &rt);
	want = ra.n_a > 0;
	if (ra.rcode < 0 || (!want && ra.rcode != 3)) {
		if (oracle_mismatches++ < 10)
			fprintf(stderr, "  oracle %s: rcode %d\n", name, ra.rcode);
		return;
	}
	if (got != want) {
		if (oracle_mismatches++ < 10)
			fprintf(stderr, "  oracle %s (%s): ctl_zone %d, rbldnsd %d\n",
				q, zone, got, want);
		return;
	}
	if (!got)
		return;
	/* rbldnsd answers every listing at the winning level; ours is one */
	for (int i = 0; i < ra.n_a; i++)
		ok_a |= !memcmp(ra.a[i], ans.a, 4);
	for (int i = 0; i < rt.n_txt; i++)
		ok_t |= !strcmp(rt.txt[i], ans.txt);
	ok_t |= !rt.n_txt && !ans.txt[0];
	if (!ok_a || !ok_t || ra.ttl != ans.ttl) {
		char a[16];

		a_str(ans.a, a);
		if (oracle_mismatches++ < 10)
			fprintf(stderr, "  oracle %s (%s): ctl_zone %s \"%s\" ttl %u; rbldnsd "
				"%u.%u.%u.%u \"%s\" ttl %u\n", q, zone, a, ans.txt, ans.ttl,
				ra.a[0][0], ra.a[0][1], ra.a[0][2], ra.a[0][3],
				rt.n_txt ? rt.txt[0] : "", ra.ttl);
	}
}

static void test_oracle(void)
{
	/* the table's zones (per type), then the random ip4set */
	static const char *zname[] = { "ip4.test", "ip6.test", "t6.test", "dn.test" };
	static const char *ztype[] = { "ip4set", "ip6trie", "ip6tset", "dnset" };
	char spec[24][96];
	char *zones[24];
	struct ctl_zone *z;
	int nz = 0, compared = 0;

	check_case = "rbldnsd oracle";
	if (access(RBLDNSD, X_OK)) {
		printf("note: %s not installed, oracle comparison skipped\n", RBLDNSD);
		return;
	}
	/* one file per table case, each its own zone */
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]) && nz < 22; i++) {
		char file[32];

		snprintf(file, sizeof(file), "oracle%zu.zone", i);
		write_str(file, cases[i].text);
		snprintf(spec[nz], sizeof(spec[nz]), "c%zu.%s:%s:%s", i, zname[cases[i].type],
			 ztype[cases[i].type], file);
		zones[nz] = spec[nz];
		nz++;
	}
	write_str("oracle-rand.zone", rand_text);
	snprintf(spec[nz], sizeof(spec[nz]), "rand.ip4.test:ip4set:oracle-rand.zone");
	zones[nz] = spec[nz];
	nz++;
	zones[nz] = NULL;
	if (start_rbldnsd(zones) < 0) {
		CHECK(!"rbldnsd did not start");
		dump_log();
		stop_rbldnsd();
		return;
	}
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct zcase *c = &cases[i];
		char zone[64];

		/* rbldnsd does not read CRLF lines */
		if (strchr(c->text, '\r'))
			continue;
		snprintf(zone, sizeof(zone), "c%zu.%s", i, zname[c->type]);
		z = load_ok(c->type, "case.zone", c->text);
		if (!z)
			continue;
		for (size_t j = 0; j < sizeof(c->p) / sizeof(c->p[0]) && c->p[j].q; j++) {
			/* names a resolver would not send */
			if (beyond_rbldnsd(c->p[j].q) || !c->p[j].q[0] || strstr(c->p[j].q, "..") ||
			    !strcmp(c->p[j].q, "."))
				continue;
			oracle_compare(z, zone, c->p[j].q);
			compared++;
		}
		ctl_zone_free(z);
	}
	z = load_ok(CTL_ZONE_IP4SET, "rand.zone", rand_text);
	for (int i = 0; z && i < 3000; i++) {
		uint32_t q = rand_probe();
		char qs[16];

		snprintf(qs, sizeof(qs), "%u.%u.%u.%u", q >> 24, (q >> 16) & 255, (q >> 8) & 255,
			 q & 255);
		oracle_compare(z, "rand.ip4.test", qs);
		compared++;
	}
	ctl_zone_free(z);
	stop_rbldnsd();
	CHECK_EQ_INT(oracle_mismatches, 0);
	if (oracle_mismatches)
		dump_log();
	printf("rbldnsd oracle: %d queries compared, %d mismatches\n", compared,
	       oracle_mismatches);
	check_case = "";
}

int main(void)
{
	if (!mkdtemp(tmpdir) || chmod(tmpdir, 0755) < 0) {   /* rbldnsd runs as rbldns */
		perror("mkdtemp");
		return 2;
	}
	test_cases();
	test_errors();
	test_wrong_type();
	test_random_model();
	test_big_load();
	test_oracle();
	free(rand_text);

	{
		char cmd[128];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
		if (system(cmd) != 0)
			fprintf(stderr, "could not remove %s\n", tmpdir);
	}
	CHECK_DONE();
}
