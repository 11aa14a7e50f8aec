/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * gen_names: strings of the dialogues (see gen_names.h). The spamware and
 * desktop names are the kind the shipped HELO rules look for, so the rules
 * fire on this traffic; legitimate names avoid them.
 */
#include <stdio.h>
#include <string.h>

#include "gen_names.h"
#include "gen_rng.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const char *const org[] = {
	"acme", "globex", "initech", "umbrella", "hooli", "vandelay", "stark",
	"wayne", "wonka", "tyrell", "cyberdyne", "soylent", "aperture",
	"oceanic", "dunder", "piedpiper", "massive", "sirius", "monarch",
	"nakatomi", "oscorp", "gringotts", "prestige", "bluth", "sterling",
	"duff", "krusty", "lacuna", "veridian", "zorg",
};
static const char *const tld[] = {
	"example", "example.com", "example.org", "example.net", "test",
};
static const char *const first[] = {
	"john", "mary", "li", "ahmed", "olga", "pierre", "yuki", "carlos", "anna",
	"raj", "fatima", "sven", "chen", "maria", "david", "aisha", "tom", "eva",
	"igor", "lucia", "kenji", "nora", "omar", "petra",
};
static const char *const last[] = {
	"smith", "garcia", "wang", "khan", "ivanova", "dubois", "tanaka",
	"silva", "novak", "patel", "berg", "rossi", "kim", "meyer", "okafor",
};
static const char *const role[] = {
	"info", "sales", "support", "noreply", "newsletter", "billing",
	"postmaster", "hr", "office", "contact", "orders", "alerts",
};
static const char *const guess[] = {
	"admin", "test", "info", "sales", "webmaster", "root", "office", "mail",
	"user", "guest", "contact", "marketing", "jobs", "a", "b", "support",
};
static const char *const words[] = {
	"invoice", "meeting", "report", "quarterly", "update", "project",
	"schedule", "review", "offer", "delivery", "account", "payment",
	"notice", "agenda", "summary", "proposal", "order", "shipment",
	"contract", "team", "budget", "draft", "final", "request",
};
static const char *const dotless[] = {
	"USER-PC", "Bob-PC", "GP", "mailer", "server1", "HOME", "laptop",
	"smtp", "office-pc", "MAILSRV",
};
static const char *const spamware[] = {
	"friend", "ylmf-pc", "DBSMTP", "user", "admin", "administrator",
};
static const char *const claims_us[] = {
	"mx.example.net", "example.net", "[192.0.2.25]", "192.0.2.25",
};

/* Small string builder: the hot names avoid printf (one call per recipient
 * per turn adds up at millions of packets a second). */
struct sb {
	char *p;
	size_t n;
};

static void sb_s(struct sb *b, const char *s)
{
	size_t k = strlen(s);

	if (k > GEN_NAME_MAX - 1 - b->n)
		k = GEN_NAME_MAX - 1 - b->n;
	memcpy(b->p + b->n, s, k);
	b->n += k;
	b->p[b->n] = '\0';
}

static void sb_c(struct sb *b, char c)
{
	char s[2] = { c, '\0' };

	sb_s(b, s);
}

static void sb_u(struct sb *b, unsigned v)
{
	char t[12];
	int i = 11;

	t[11] = '\0';
	do
		t[--i] = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	sb_s(b, t + i);
}

const char *gen_names_word(uint64_t h)
{
	return words[gen_pick(h, N(words))];
}

size_t gen_names_domain(char *buf, uint64_t h)
{
	const char *o = org[gen_pick(h, N(org))], *w = words[gen_pick(h >> 8, N(words))];
	const char *t = tld[gen_pick(h >> 16, N(tld))];
	struct sb b = { buf, 0 };

	sb_s(&b, o);
	/* At most 23 characters, so that an address fits GEN_ADDR_MAX. */
	if (gen_chance(h >> 24, 300) && strlen(o) + strlen(w) + strlen(t) + 2 <= 23) {
		sb_c(&b, '-');
		sb_s(&b, w);
	}
	sb_c(&b, '.');
	sb_s(&b, t);
	return b.n;
}

/* @n characters from @set, chosen by successive bits of @h. */
static size_t pick_chars(char *p, const char *set, size_t n, uint64_t h)
{
	size_t m = strlen(set);

	for (size_t i = 0; i < n; i++) {
		h = gen_mix64(h + i);
		p[i] = set[gen_pick(h, (uint32_t)m)];
	}
	p[n] = '\0';
	return n;
}

static size_t dotted_quad(char *buf, const char *sep, const uint8_t a[4])
{
	return (size_t)snprintf(buf, GEN_NAME_MAX, "%u%s%u%s%u%s%u", a[0], sep, a[1],
				sep, a[2], sep, a[3]);
}

/* Compressed IPv6 text for 2001:db8:... client addresses (no "::" runs
 * inside: every group is written, so it is always valid). */
static size_t ipv6_text(char *buf, const uint8_t a[16])
{
	size_t n = 0;

	for (int i = 0; i < 16; i += 2)
		n += (size_t)snprintf(buf + n, GEN_NAME_MAX - n, "%s%x", i ? ":" : "",
				      (unsigned)(a[i] << 8 | a[i + 1]));
	return n;
}

size_t gen_names_helo(char *buf, unsigned cls, uint64_t h, int family,
		      const uint8_t addr[16])
{
	char tmp[GEN_NAME_MAX], dom[GEN_NAME_MAX];
	static const char *const pfx[] = { "mail", "mx1", "smtp", "out", "mta2", "relay" };

	switch (cls) {
	case GEN_HELO_LITERAL:
		if (family == 6) {
			ipv6_text(tmp, addr);
			return (size_t)snprintf(buf, GEN_NAME_MAX, "[IPv6:%s]", tmp);
		}
		dotted_quad(tmp, ".", addr);
		return (size_t)snprintf(buf, GEN_NAME_MAX, "[%s]", tmp);
	case GEN_HELO_BARE_IP:
		return family == 6 ? ipv6_text(buf, addr) : dotted_quad(buf, ".", addr);
	case GEN_HELO_LOCALHOST:
		return (size_t)snprintf(buf, GEN_NAME_MAX, "%s",
					gen_chance(h, 500) ? "localhost" : "localhost.localdomain");
	case GEN_HELO_DOTLESS:
		return (size_t)snprintf(buf, GEN_NAME_MAX, "%s", dotless[gen_pick(h, N(dotless))]);
	case GEN_HELO_SPAMWARE:
		switch (gen_pick(h, 3)) {
		case 0:
			memcpy(buf, "WIN-", 4);
			return 4 + pick_chars(buf + 4, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", 11, h);
		case 1:
			memcpy(buf, "DESKTOP-", 8);
			return 8 + pick_chars(buf + 8, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", 7, h);
		default:
			return (size_t)snprintf(buf, GEN_NAME_MAX, "%s",
						spamware[gen_pick(h >> 8, N(spamware))]);
		}
	case GEN_HELO_DYNAMIC: {
		uint8_t a[4];

		/* IPv6 clients get an IPv4-looking access name all the same. */
		memcpy(a, family == 4 ? addr : addr + 12, 4);
		if (gen_chance(h, 500)) {
			dotted_quad(tmp, "-", a);
			return (size_t)snprintf(buf, GEN_NAME_MAX, "%s.dyn.isp%u.example", tmp,
						gen_pick(h >> 8, 9) + 1);
		}
		return (size_t)snprintf(buf, GEN_NAME_MAX, "dsl-%u-%u.pool.isp%u.example",
					a[2], a[3], gen_pick(h >> 8, 9) + 1);
	}
	case GEN_HELO_CLAIMS_US:
		return (size_t)snprintf(buf, GEN_NAME_MAX, "%s", claims_us[gen_pick(h, N(claims_us))]);
	default: { /* GEN_HELO_FQDN */
		struct sb b = { buf, 0 };

		gen_names_domain(dom, h >> 4);
		sb_s(&b, pfx[gen_pick(h, N(pfx))]);
		if (gen_chance(h >> 20, 300))
			sb_s(&b, "-07");
		sb_c(&b, '.');
		sb_s(&b, dom);
		return b.n;
	}
	}
}

size_t gen_names_local(char *buf, unsigned kind, uint64_t h)
{
	static const char letters[] = "abcdefghijklmnopqrstuvwxyz";
	static const char digits[] = "0123456789";
	const char *f = first[gen_pick(h >> 4, N(first))], *l = last[gen_pick(h >> 12, N(last))];
	struct sb b = { buf, 0 };
	size_t n = 0;

	buf[0] = '\0';
	switch (kind) {
	case GEN_LOCAL_ROLE:
		sb_s(&b, role[gen_pick(h, N(role))]);
		return b.n;
	case GEN_LOCAL_GENERATED: {
		uint32_t groups = 4 + gen_pick(h, 3);

		for (uint32_t g = 0; g < groups; g++) {
			n += pick_chars(buf + n, letters, 1 + gen_pick(h >> (g + 3), 2), h + 17 * g);
			n += pick_chars(buf + n, digits, 1, h + 31 * g);
		}
		return n;
	}
	case GEN_LOCAL_HEX:
		return pick_chars(buf, "0123456789abcdef", 16 + gen_pick(h, 5), h);
	case GEN_LOCAL_BOUNCE:
		sb_s(&b, "bounce-");
		sb_u(&b, gen_pick(h, 90000) + 10000);
		sb_c(&b, '-');
		sb_u(&b, gen_pick(h >> 8, 900) + 100);
		return b.n;
	case GEN_LOCAL_GUESS:
		if (gen_chance(h, 600)) {
			sb_s(&b, guess[gen_pick(h >> 4, N(guess))]);
		} else if (gen_chance(h >> 12, 500)) {
			sb_s(&b, f);
			sb_u(&b, gen_pick(h >> 24, 100));
		} else {
			sb_c(&b, f[0]);
			sb_s(&b, last[gen_pick(h >> 24, N(last))]);
		}
		return b.n;
	default: /* GEN_LOCAL_PERSON */
		switch (gen_pick(h, 4)) {
		case 0:
			sb_s(&b, f);
			sb_c(&b, '.');
			sb_s(&b, l);
			break;
		case 1:
			sb_s(&b, f);
			sb_u(&b, 1950 + gen_pick(h >> 12, 60));
			break;
		case 2:
			sb_s(&b, f);
			sb_c(&b, '_');
			sb_s(&b, l);
			break;
		default:
			sb_c(&b, f[0]);
			sb_s(&b, l);
			break;
		}
		return b.n;
	}
}

size_t gen_names_addr(char *buf, const char *local, const char *domain)
{
	/* Local parts stay within 21 and domains within 23 characters. */
	size_t l = strnlen(local, 21), d = strnlen(domain, 23);

	memcpy(buf, local, l);
	buf[l] = '@';
	memcpy(buf + l + 1, domain, d);
	buf[l + 1 + d] = '\0';
	return l + 1 + d;
}

size_t gen_names_user(char *buf, uint64_t h)
{
	if (gen_chance(h, 500))
		return gen_names_local(buf, GEN_LOCAL_GUESS, h);
	return (size_t)snprintf(buf, GEN_NAME_MAX, "%s@corp%u.example.net",
				guess[gen_pick(h >> 4, N(guess))], gen_pick(h >> 16, 3) + 1);
}

size_t gen_names_password(char *buf, uint64_t h)
{
	static const char *const pw[] = {
		"123456", "password", "qwerty", "admin", "letmein", "Passw0rd",
		"welcome1", "abc123", "111111", "changeme", "Summer2024!",
	};

	if (gen_chance(h, 700))
		return (size_t)snprintf(buf, GEN_NAME_MAX, "%s", pw[gen_pick(h >> 4, N(pw))]);
	return pick_chars(buf, "abcdefghijklmnopqrstuvwxyz0123456789", 8 + gen_pick(h >> 8, 6), h);
}

size_t gen_base64(char *dst, const uint8_t *src, size_t n)
{
	static const char tbl[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t o = 0, i;

	for (i = 0; i + 2 < n; i += 3) {
		uint32_t v = (uint32_t)src[i] << 16 | (uint32_t)src[i + 1] << 8 | src[i + 2];

		dst[o++] = tbl[v >> 18];
		dst[o++] = tbl[(v >> 12) & 63];
		dst[o++] = tbl[(v >> 6) & 63];
		dst[o++] = tbl[v & 63];
	}
	if (i < n) {
		uint32_t v = (uint32_t)src[i] << 16 | (i + 1 < n ? (uint32_t)src[i + 1] << 8 : 0);

		dst[o++] = tbl[v >> 18];
		dst[o++] = tbl[(v >> 12) & 63];
		dst[o++] = i + 1 < n ? tbl[(v >> 6) & 63] : '=';
		dst[o++] = '=';
	}
	dst[o] = '\0';
	return o;
}
