/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * gen_world: clients on demand, servers in a table (see gen_world.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gen_rng.h"
#include "gen_world.h"

enum { TAG_FAMILY = 1, TAG_PROFILE, TAG_RTT, TAG_TTL, TAG_ADDR };

struct gen_world {
	struct gen_world_params p;
	uint32_t addr_mul;     /* odd: a bijection of the /10 host part */
	uint32_t addr_add;
	struct gen_server srv[GEN_WORLD_MAX_SERVERS];
};

/*
 * Four software personalities. What matters to the dialogue: style 2 has
 * neither PIPELINING nor STARTTLS nor AUTH (an old appliance), so clients
 * that pipeline anyway are in violation; style 3 spells AUTH=LOGIN.
 */
static const char *const ehlo_postfix[] = {
	"PIPELINING", "SIZE 52428800", "VRFY", "ETRN", "STARTTLS",
	"AUTH PLAIN LOGIN", "ENHANCEDSTATUSCODES", "8BITMIME", "DSN",
	"SMTPUTF8", "CHUNKING", NULL,
};
static const char *const ehlo_exim[] = {
	"SIZE 52428800", "8BITMIME", "PIPELINING", "PIPE_CONNECT",
	"AUTH PLAIN LOGIN", "CHUNKING", "PRDR", "STARTTLS", "HELP", NULL,
};
static const char *const ehlo_appliance[] = {
	"SIZE 10485760", "8BITMIME", "HELP", NULL,
};
static const char *const ehlo_exchange[] = {
	"SIZE 37748736", "PIPELINING", "DSN", "ENHANCEDSTATUSCODES",
	"STARTTLS", "X-ANONYMOUSTLS", "AUTH=LOGIN", "X-EXPS GSSAPI NTLM",
	"8BITMIME", "BINARYMIME", "CHUNKING", "XEXCH50", "SMTPUTF8", NULL,
};
static const uint32_t style_features[4] = {
	GEN_SRV_PIPELINING | GEN_SRV_STARTTLS | GEN_SRV_AUTH | GEN_SRV_CHUNKING,
	GEN_SRV_PIPELINING | GEN_SRV_STARTTLS | GEN_SRV_AUTH | GEN_SRV_CHUNKING,
	0,
	GEN_SRV_PIPELINING | GEN_SRV_STARTTLS | GEN_SRV_AUTH | GEN_SRV_CHUNKING,
};
static const char *const style_tld[4] = { "net", "org", "com", "example" };

const char *const *gen_world_ehlo_lines(const struct gen_server *s)
{
	static const char *const *const lines[4] = {
		ehlo_postfix, ehlo_exim, ehlo_appliance, ehlo_exchange,
	};

	return lines[s->style & 3];
}

struct gen_world *gen_world_create(const struct gen_world_params *p)
{
	struct gen_world *w;

	if (!p || p->clients == 0 || p->clients > GEN_WORLD_MAX_CLIENTS ||
	    p->servers == 0 || p->servers > GEN_WORLD_MAX_SERVERS) {
		errno = EINVAL;
		return NULL;
	}
	w = calloc(1, sizeof(*w));
	if (!w)
		return NULL;
	w->p = *p;
	w->addr_mul = (uint32_t)gen_hash(p->seed, TAG_ADDR, 0) | 1u;
	w->addr_add = (uint32_t)gen_hash(p->seed, TAG_ADDR, 1);
	for (uint32_t i = 0; i < p->servers; i++) {
		struct gen_server *s = &w->srv[i];
		static const uint8_t v6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0x25 };

		s->style = i % 4;
		s->features = style_features[s->style];
		s->addr4[0] = 198;
		s->addr4[1] = 51;
		s->addr4[2] = 100;
		s->addr4[3] = (uint8_t)(10 + i);
		memcpy(s->addr6, v6, 16);
		s->addr6[15] = (uint8_t)(10 + i);
		snprintf(s->name, sizeof(s->name), "mx%u.mail%u.example.%s", i + 1,
			 i / 4 + 1, style_tld[s->style]);
		snprintf(s->domain, sizeof(s->domain), "corp%u.example.%s", i / 4 + 1,
			 style_tld[s->style]);
	}
	return w;
}

void gen_world_free(struct gen_world *w)
{
	free(w);
}

void gen_world_client(const struct gen_world *w, uint32_t idx, struct gen_client *ret)
{
	uint64_t seed = w->p.seed;
	uint32_t prof = gen_scale(gen_hash(seed, TAG_PROFILE, idx), 1000);
	uint64_t r = gen_hash(seed, TAG_RTT, idx);

	memset(ret, 0, sizeof(*ret));
	ret->profile = prof < 700 ? GEN_PROF_MTA : prof < 900 ? GEN_PROF_BOT : GEN_PROF_ATTACKER;
	if (ret->profile == GEN_PROF_MTA) {
		ret->rtt_us = 2000 + gen_scale(r, 78000);
		ret->ttl = (uint8_t)(52 + (r & 0xff) % 12);
	} else {
		ret->rtt_us = 20000 + gen_scale(r, 280000);
		ret->ttl = (uint8_t)(100 + (r & 0xff) % 28);
	}
	ret->vlan = w->p.vlan ? (uint16_t)(100 + idx % 8) : 0;
	if (gen_scale(gen_hash(seed, TAG_FAMILY, idx), 1000000) < w->p.ipv6_ppm) {
		static const uint8_t pfx[6] = { 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01 };
		uint64_t h = gen_hash(seed, TAG_ADDR, idx + 2);

		ret->family = 6;
		memcpy(ret->addr, pfx, 6);
		ret->addr[6] = (uint8_t)(idx >> 24);
		ret->addr[7] = (uint8_t)(idx >> 16);
		for (int i = 8; i < 14; i++)
			ret->addr[i] = (uint8_t)(h >> (8 * (i - 8)));
		ret->addr[14] = (uint8_t)(idx >> 8);
		ret->addr[15] = (uint8_t)idx;
	} else {
		uint32_t host = (idx * w->addr_mul + w->addr_add) & 0x3fffffu;
		uint32_t a = (100u << 24) | (64u << 16) | host;

		ret->family = 4;
		ret->addr[0] = (uint8_t)(a >> 24);
		ret->addr[1] = (uint8_t)(a >> 16);
		ret->addr[2] = (uint8_t)(a >> 8);
		ret->addr[3] = (uint8_t)a;
	}
}

const struct gen_server *gen_world_server(const struct gen_world *w, uint32_t idx)
{
	return &w->srv[idx % w->p.servers];
}

uint32_t gen_world_servers(const struct gen_world *w)
{
	return w->p.servers;
}

uint32_t gen_world_clients(const struct gen_world *w)
{
	return w->p.clients;
}

uint64_t gen_world_seed(const struct gen_world *w)
{
	return w->p.seed;
}

int gen_world_vlan(const struct gen_world *w)
{
	return w->p.vlan;
}
