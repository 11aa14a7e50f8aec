/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * naive-classify: the classifier a user could write in an afternoon with
 * libpcap and PCRE2; the "naive" peer of scripts/bench.
 *
 *   naive-classify --rules PATH [--ports LIST] [--no-jit] [--json PATH] CAPTURE
 *
 * Reads CAPTURE (pcap or pcapng, via libpcap: Ethernet with any number of
 * 802.1Q/802.1ad tags, raw IP, Linux cooked v1/v2, BSD loopback), IPv4 and
 * IPv6 (hop-by-hop, routing and destination-options headers skipped), and
 * looks at the payload of every TCP segment to a port in LIST (default 25)
 * ON ITS OWN: no flow table, no reassembly, no ordering, no state between
 * packets. A command split across segments is missed, a retransmission is
 * scanned twice, a line in the DATA body that looks like a command is
 * taken for one. That is what "naive" means here; it is a throughput
 * baseline, not a second opinion on correctness.
 *
 * In each such payload every line (split at LF, a trailing CR dropped)
 * that starts, caseless, with "HELO " or "EHLO " gives a helo value (the
 * rest of the line, trailing blanks dropped), "MAIL FROM:" a mail_from and
 * "RCPT TO:" a rcpt_to value (the address inside <>, or up to the first
 * blank). Each value is tried against every rule of its field, one
 * pattern after the other, with pcre2_match (JIT unless --no-jit), and
 * every hit is counted: the baseline of bench/rules_bench.c's "pcre_all".
 *
 * Rules: the files of mxscreen-dp (dataplane/dp_rules.h), read simply: a
 * file or a directory of *.rules in byte order of names; lines
 * "FIELD /PATTERN/FLAGS ... id=N ...", flags i and u, "define"/"default
 * NAME = v1 v2" macros expanded as %{NAME} -> (?:v1|v2) with every
 * non-alphanumeric byte of a value backslash-escaped. No validation
 * beyond what parsing needs; a pattern PCRE2 rejects is fatal.
 *
 * Output: one JSON object on stdout (and in --json PATH): packets, bytes
 * (frame bytes, as mxscreen-dp counts them), payloads scanned, values by
 * field, pattern attempts, hits by field and by rule id, setup_s (rules
 * compile), elapsed_s (first read to last packet), mpps.
 * Exit status: 0 ok, 2 usage or bad input, 3 setup error.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <pcap/pcap.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

enum { F_HELO, F_MAIL, F_RCPT, F_COUNT };
static const char *const field_name[F_COUNT] = { "helo", "mail_from", "rcpt_to" };

#define MAX_MACROS 256
#define MAX_PORTS 16

struct rule { pcre2_code *code; uint32_t id; uint64_t hits; };
struct macro { char name[64]; char *expansion; int defined; };

static struct rule *rules[F_COUNT];
static uint32_t n_rules[F_COUNT], cap_rules[F_COUNT];
static struct macro macros[MAX_MACROS];
static uint32_t n_macros;
static int jit = 1;
static uint16_t ports[MAX_PORTS] = { 25 };
static uint32_t n_ports = 1;
static pcre2_match_data *md;

static struct {
	uint64_t packets, bytes, payloads, values[F_COUNT], attempts, hits[F_COUNT];
} st;

__attribute__((format(printf, 2, 3), noreturn))
static void die(int code, const char *fmt, ...)
{
	va_list ap;

	fputs("naive-classify: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(code);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- rules ---- */

static void add_macro(char *line, int is_define)
{
	char *name = line, *eq = strchr(line, '='), *v, *save = NULL;
	size_t cap = 4096, len;
	struct macro *m = NULL;

	if (!eq)
		die(2, "macro line without '=': %s", line);
	*eq = '\0';
	name += strspn(name, " \t");
	name[strcspn(name, " \t")] = '\0';
	for (uint32_t i = 0; i < n_macros; i++)
		if (strcmp(macros[i].name, name) == 0)
			m = &macros[i];
	if (m && !is_define)
		return;                              /* "default": already set */
	if (!m) {
		if (n_macros == MAX_MACROS || strlen(name) >= sizeof(m->name))
			die(2, "too many macros or name too long: %s", name);
		m = &macros[n_macros++];
		strcpy(m->name, name);
	}
	free(m->expansion);
	if (!(m->expansion = malloc(cap)))
		die(3, "out of memory");
	strcpy(m->expansion, "(?:");
	len = 3;
	for (v = strtok_r(eq + 1, " \t,", &save); v; v = strtok_r(NULL, " \t,", &save)) {
		if (len + 2 * strlen(v) + 8 > cap &&
		    !(m->expansion = realloc(m->expansion, cap = 2 * cap + 2 * strlen(v))))
			die(3, "out of memory");
		if (len > 3)
			m->expansion[len++] = '|';
		for (; *v; v++) {
			if (!isalnum((unsigned char)*v))
				m->expansion[len++] = '\\';
			m->expansion[len++] = *v;
		}
	}
	strcpy(m->expansion + len, ")");
}

/* Pattern between the slashes of @p (at the first '/'), macros expanded. */
static char *take_pattern(char **p)
{
	char *s = *p + 1, *out;
	size_t cap = 256, len = 0;

	if (!(out = malloc(cap)))
		die(3, "out of memory");
	while (*s && *s != '/') {
		const char *add = s;
		size_t n = (*s == '\\' && s[1]) ? 2 : 1;

		if (s[0] == '%' && s[1] == '{') {
			char *end = strchr(s, '}');
			uint32_t i;

			for (i = 0; end && i < n_macros; i++)
				if ((size_t)(end - s - 2) == strlen(macros[i].name) &&
				    strncmp(s + 2, macros[i].name, (size_t)(end - s - 2)) == 0)
					break;
			if (!end || i == n_macros)
				die(2, "undefined macro in /%s", *p + 1);
			add = macros[i].expansion, n = strlen(add), s = end;
		}
		if (len + n + 1 > cap && !(out = realloc(out, cap = 2 * (len + n + 1))))
			die(3, "out of memory");
		memcpy(out + len, add, n);
		len += n, s += (add == s) ? n : 1;
	}
	if (*s != '/')
		die(2, "unterminated pattern: %s", *p);
	out[len] = '\0';
	*p = s + 1;
	return out;
}

static void add_rule(char *line)
{
	char *p = line + strcspn(line, " \t"), *re, *idp;
	int f, opts = 0, ec;
	PCRE2_SIZE off;
	struct rule *r;

	*p++ = '\0';
	for (f = 0; f < F_COUNT && strcmp(line, field_name[f]); f++)
		;
	if (f == F_COUNT)
		die(2, "unknown field '%s'", line);
	p += strspn(p, " \t");
	if (*p != '/')
		die(2, "no /PATTERN/ after %s", line);
	re = take_pattern(&p);
	for (; *p && !isspace((unsigned char)*p); p++)
		opts |= *p == 'i' ? PCRE2_CASELESS : *p == 'u' ? PCRE2_UTF | PCRE2_UCP : 0;
	if (n_rules[f] == cap_rules[f] &&
	    !(rules[f] = realloc(rules[f], (cap_rules[f] = 2 * cap_rules[f] + 16) * sizeof(*r))))
		die(3, "out of memory");
	r = &rules[f][n_rules[f]++];
	memset(r, 0, sizeof(*r));
	idp = strstr(p, " id=");
	r->id = idp ? (uint32_t)strtoul(idp + 4, NULL, 10) : 0;
	r->code = pcre2_compile((PCRE2_SPTR)re, PCRE2_ZERO_TERMINATED, (uint32_t)opts, &ec, &off, NULL);
	if (!r->code) {
		PCRE2_UCHAR msg[256];

		pcre2_get_error_message(ec, msg, sizeof(msg));
		die(2, "pcre2 /%s/: %s", re, (char *)msg);
	}
	if (jit && pcre2_jit_compile(r->code, PCRE2_JIT_COMPLETE) != 0)
		die(3, "pcre2 JIT unavailable for /%s/", re);
	free(re);
}

static void load_file(const char *path)
{
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;

	if (!f)
		die(2, "%s: %s", path, strerror(errno));
	while (getline(&line, &cap, f) >= 0) {
		char *s = line + strspn(line, " \t");

		s[strcspn(s, "\r\n")] = '\0';
		if (!*s || *s == '#')
			continue;
		if (strncmp(s, "define ", 7) == 0)
			add_macro(s + 7, 1);
		else if (strncmp(s, "default ", 8) == 0)
			add_macro(s + 8, 0);
		else
			add_rule(s);
	}
	free(line);
	fclose(f);
}

static int is_rules_file(const struct dirent *d)
{
	size_t n = strlen(d->d_name);

	return n > 6 && strcmp(d->d_name + n - 6, ".rules") == 0;
}

static int byte_order(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static void load_rules(const char *path)
{
	struct dirent **ents;
	struct stat sb;
	char buf[4096];
	int n;

	if (stat(path, &sb) != 0)
		die(2, "%s: %s", path, strerror(errno));
	if (!S_ISDIR(sb.st_mode))
		return load_file(path);
	if ((n = scandir(path, &ents, is_rules_file, byte_order)) < 0)
		die(2, "%s: %s", path, strerror(errno));
	for (int i = 0; i < n; i++) {
		snprintf(buf, sizeof(buf), "%s/%s", path, ents[i]->d_name);
		load_file(buf);
		free(ents[i]);
	}
	free(ents);
}

/* ---- packets ---- */

static void scan_value(int f, const char *v, size_t len)
{
	st.values[f]++;
	for (uint32_t j = 0; j < n_rules[f]; j++) {
		st.attempts++;
		if (pcre2_match(rules[f][j].code, (PCRE2_SPTR)v, len, 0, 0, md, NULL) >= 0)
			rules[f][j].hits++, st.hits[f]++;
	}
}

/* Bare address of a MAIL FROM:/RCPT TO: argument at @a (length @n). */
static void scan_address(int f, const char *a, size_t n)
{
	size_t i = 0, e;

	while (i < n && a[i] == ' ')
		i++;
	if (i < n && a[i] == '<') {
		for (e = ++i; e < n && a[e] != '>'; e++)
			;
	} else {
		for (e = i; e < n && a[e] != ' '; e++)
			;
	}
	scan_value(f, a + i, e - i);
}

static void scan_payload(const char *p, size_t n)
{
	st.payloads++;
	while (n) {
		const char *nl = memchr(p, '\n', n);
		size_t len = nl ? (size_t)(nl - p) : n, step = nl ? len + 1 : n;

		if (len && p[len - 1] == '\r')
			len--;
		if (len > 5 && (!strncasecmp(p, "HELO ", 5) || !strncasecmp(p, "EHLO ", 5))) {
			size_t e = len;

			while (e > 5 && (p[e - 1] == ' ' || p[e - 1] == '\t'))
				e--;
			scan_value(F_HELO, p + 5, e - 5);
		} else if (len >= 10 && !strncasecmp(p, "MAIL FROM:", 10)) {
			scan_address(F_MAIL, p + 10, len - 10);
		} else if (len >= 8 && !strncasecmp(p, "RCPT TO:", 8)) {
			scan_address(F_RCPT, p + 8, len - 8);
		}
		p += step, n -= step;
	}
}

static void tcp(const uint8_t *t, size_t n)
{
	size_t hl;
	uint16_t dport;

	if (n < 20 || (hl = (size_t)(t[12] >> 4) * 4) < 20 || hl > n)
		return;
	dport = (uint16_t)(t[2] << 8 | t[3]);
	for (uint32_t i = 0; i < n_ports; i++)
		if (ports[i] == dport) {
			if (n > hl)
				scan_payload((const char *)t + hl, n - hl);
			return;
		}
}

static void ip(const uint8_t *p, size_t n)
{
	if (n >= 20 && p[0] >> 4 == 4) {
		size_t hl = (size_t)(p[0] & 15) * 4, tot = (size_t)(p[2] << 8 | p[3]);

		if (hl < 20 || tot < hl || tot > n || (p[6] & 0x3f) || p[7] || p[9] != 6)
			return;                      /* fragments are not looked at */
		tcp(p + hl, tot - hl);
	} else if (n >= 40 && p[0] >> 4 == 6) {
		size_t len = 40 + (size_t)(p[4] << 8 | p[5]), off = 40;
		uint8_t nh = p[6];

		if (len > n)
			return;
		while ((nh == 0 || nh == 43 || nh == 60) && off + 8 <= len) {
			nh = p[off];
			off += (size_t)(p[off + 1] + 1) * 8;
		}
		if (nh == 6 && off <= len)
			tcp(p + off, len - off);
	}
}

static void packet(u_char *user, const struct pcap_pkthdr *h, const u_char *d)
{
	int dlt = *(int *)user;
	size_t n = h->caplen, off;
	uint16_t et;

	st.packets++;
	st.bytes += h->len;
	switch (dlt) {
	case DLT_EN10MB:
		if (n < 14)
			return;
		et = (uint16_t)(d[12] << 8 | d[13]), off = 14;
		while ((et == 0x8100 || et == 0x88a8 || et == 0x9100) && off + 4 <= n)
			et = (uint16_t)(d[off + 2] << 8 | d[off + 3]), off += 4;
		if (et == 0x0800 || et == 0x86dd)
			ip(d + off, n - off);
		return;
	case DLT_RAW:
		return ip(d, n);
	case DLT_NULL:
	case DLT_LOOP:
		return n > 4 ? ip(d + 4, n - 4) : (void)0;
	case DLT_LINUX_SLL:
		return n > 16 ? ip(d + 16, n - 16) : (void)0;
#ifdef DLT_LINUX_SLL2
	case DLT_LINUX_SLL2:
		return n > 20 ? ip(d + 20, n - 20) : (void)0;
#endif
	}
}

static void write_json(FILE *o, double setup_s, double elapsed_s)
{
	fprintf(o, "{\"packets\":%" PRIu64 ",\"bytes\":%" PRIu64 ",\"payloads\":%" PRIu64
		",\"pattern_attempts\":%" PRIu64 ",\"jit\":%s,\"rules\":{",
		st.packets, st.bytes, st.payloads, st.attempts, jit ? "true" : "false");
	for (int f = 0; f < F_COUNT; f++)
		fprintf(o, "%s\"%s\":%u", f ? "," : "", field_name[f], n_rules[f]);
	fputs("},\"values\":{", o);
	for (int f = 0; f < F_COUNT; f++)
		fprintf(o, "%s\"%s\":%" PRIu64, f ? "," : "", field_name[f], st.values[f]);
	fputs("},\"hits\":{", o);
	for (int f = 0; f < F_COUNT; f++)
		fprintf(o, "%s\"%s\":%" PRIu64, f ? "," : "", field_name[f], st.hits[f]);
	fputs("},\"hits_by_id\":{", o);
	for (int f = 0, first = 1; f < F_COUNT; f++)
		for (uint32_t j = 0; j < n_rules[f]; j++)
			if (rules[f][j].hits) {
				fprintf(o, "%s\"%u\":%" PRIu64, first ? "" : ",", rules[f][j].id,
					rules[f][j].hits);
				first = 0;
			}
	fprintf(o, "},\"setup_s\":%.6f,\"elapsed_s\":%.6f,\"mpps\":%.4f}\n", setup_s,
		elapsed_s, elapsed_s > 0 ? (double)st.packets / elapsed_s / 1e6 : 0.0);
}

static void parse_ports(const char *s)
{
	char buf[256], *save = NULL, *tok;

	snprintf(buf, sizeof(buf), "%s", s);
	n_ports = 0;
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		long v = strtol(tok, NULL, 10);

		if (v < 1 || v > 65535 || n_ports == MAX_PORTS)
			die(2, "--ports: bad list '%s'", s);
		ports[n_ports++] = (uint16_t)v;
	}
	if (!n_ports)
		die(2, "--ports: empty list");
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "rules", required_argument, NULL, 'r' }, { "ports", required_argument, NULL, 'p' },
		{ "json", required_argument, NULL, 'j' }, { "no-jit", no_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 },
	};
	const char *rules_path = NULL, *json = NULL;
	char err[PCAP_ERRBUF_SIZE];
	double t0, t1, t2;
	pcap_t *pc;
	int c, dlt;

	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'r': rules_path = optarg; break;
		case 'p': parse_ports(optarg); break;
		case 'j': json = optarg; break;
		case 'n': jit = 0; break;
		default: die(2, "usage: naive-classify --rules PATH [--ports LIST] [--no-jit] [--json PATH] CAPTURE");
		}
	}
	if (!rules_path || optind != argc - 1)
		die(2, "usage: naive-classify --rules PATH [--ports LIST] [--no-jit] [--json PATH] CAPTURE");
	t0 = now_s();
	load_rules(rules_path);
	if (!(md = pcre2_match_data_create(1, NULL)))
		die(3, "out of memory");
	if (!(pc = pcap_open_offline(argv[optind], err)))
		die(2, "%s", err);
	dlt = pcap_datalink(pc);
	t1 = now_s();
	if (pcap_loop(pc, -1, packet, (u_char *)&dlt) == PCAP_ERROR)
		die(2, "%s: %s", argv[optind], pcap_geterr(pc));
	t2 = now_s();
	pcap_close(pc);
	write_json(stdout, t1 - t0, t2 - t1);
	if (json) {
		FILE *f = fopen(json, "w");

		if (!f)
			die(3, "%s: %s", json, strerror(errno));
		write_json(f, t1 - t0, t2 - t1);
		if (fclose(f) != 0)
			die(3, "%s: %s", json, strerror(errno));
	}
	return 0;
}
