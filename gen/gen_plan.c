/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * gen_plan: what a session will say (see gen_plan.h). Every function here
 * is a pure function of the session's seed (and the world): called twice,
 * it answers twice the same.
 */
#include <stdio.h>
#include <string.h>

#include "gen_names.h"
#include "gen_plan.h"
#include "gen_rng.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static uint64_t hash(const struct gen_sess *s, uint32_t tag, uint32_t idx)
{
	return gen_hash(s->seed, tag, idx);
}

uint64_t gen_plan_hash(const struct gen_sess *s, uint32_t tag, uint32_t idx)
{
	return hash(s, tag, idx);
}

static int mta(const struct gen_sess *s)
{
	return s->kind == GEN_K_MTA || s->kind == GEN_K_SUBMIT;
}

void gen_plan_choose(struct gen_sess *s, const struct gen_sess_env *e,
		     const struct gen_client *cl, const struct gen_server *srv)
{
	uint32_t k = gen_pick(hash(s, GEN_T_KIND, 0), 1000);
	uint32_t t = gen_pick(hash(s, GEN_T_NTX, 0), 1000);
	uint16_t f = 0;

#define FLAG(flag, permille)                                                  \
	do {                                                                  \
		if (gen_chance(hash(s, GEN_T_FLAG, (uint32_t)(flag)), (permille))) \
			f |= (flag);                                          \
	} while (0)

	if (cl->profile == GEN_PROF_MTA) {
		s->kind = k < 860 ? GEN_K_MTA : k < 930 ? GEN_K_SUBMIT : GEN_K_SMTPS;
		if (s->kind == GEN_K_SUBMIT && !(srv->features & GEN_SRV_STARTTLS))
			s->kind = GEN_K_MTA;
	} else if (cl->profile == GEN_PROF_BOT) {
		s->kind = GEN_K_BOT;
	} else {
		s->kind = k < 400 ? GEN_K_DICT : k < 750 ? GEN_K_AUTH : k < 850 ? GEN_K_SCAN
							  : GEN_K_HTTP;
	}
	s->dport = s->kind == GEN_K_SUBMIT ? 587 : s->kind == GEN_K_SMTPS ? 465 : 25;
	switch (s->kind) {
	case GEN_K_MTA:
		FLAG(GEN_F_PIPE, 700);
		FLAG(GEN_F_HELO, 40);
		FLAG(GEN_F_STARTTLS, 350);
		FLAG(GEN_F_RST, 20);
		FLAG(GEN_F_RSET, 100);
		FLAG(GEN_F_BDAT, 150);
		FLAG(GEN_F_SIZE, 600);
		s->n_tx = (uint8_t)(t < 750 ? 1 : t < 920 ? 2 : 3);
		s->n_auth = (uint8_t)(2 + gen_pick(hash(s, GEN_T_NAUTH, 0), 3));
		break;
	case GEN_K_SUBMIT:
		f |= GEN_F_STARTTLS;
		s->n_auth = (uint8_t)(2 + gen_pick(hash(s, GEN_T_NAUTH, 0), 3));
		break;
	case GEN_K_SMTPS:
		FLAG(GEN_F_RST, 20);
		s->n_auth = (uint8_t)(2 + gen_pick(hash(s, GEN_T_NAUTH, 0), 3));
		break;
	case GEN_K_BOT:
		FLAG(GEN_F_PIPE_VIOL, 350);
		FLAG(GEN_F_HELO, 400);
		FLAG(GEN_F_PREGREET, 300);
		FLAG(GEN_F_BARELF, 80);
		FLAG(GEN_F_DOUBLE, 50);
		FLAG(GEN_F_RST, 300);
		FLAG(GEN_F_NOQUIT, 200);
		FLAG(GEN_F_SLOPPY, 300);
		s->n_tx = (uint8_t)(t < 850 ? 1 : 2);
		break;
	case GEN_K_DICT:
		f |= GEN_F_RSET;
		FLAG(GEN_F_PIPE, 500);
		FLAG(GEN_F_HELO, 200);
		FLAG(GEN_F_RST, 400);
		FLAG(GEN_F_NOQUIT, 200);
		FLAG(GEN_F_SLOPPY, 200);
		s->n_tx = (uint8_t)(t < 600 ? 1 : t < 850 ? 2 : t < 970 ? 3 : 9 + t % 2);
		break;
	case GEN_K_AUTH:
		FLAG(GEN_F_RST, 400);
		FLAG(GEN_F_NOQUIT, 200);
		FLAG(GEN_F_SLOPPY, 200);
		s->n_auth = (uint8_t)(1 + gen_pick(hash(s, GEN_T_NAUTH, 0), 6));
		break;
	case GEN_K_SCAN:
		FLAG(GEN_F_HELO, 500);
		FLAG(GEN_F_RST, 300);
		s->n_auth = (uint8_t)(3 + gen_pick(hash(s, GEN_T_NAUTH, 0), 4));
		break;
	default: /* GEN_K_HTTP */
		FLAG(GEN_F_EARLY, 600);
		FLAG(GEN_F_RST, 500);
		break;
	}
	/* Implicit TLS never shows plaintext a conflict could be seen in. */
	if (e->adversarial && s->kind != GEN_K_SMTPS)
		FLAG(GEN_F_CONFLICT, 50);
#undef FLAG
	s->flags = f;
}

uint32_t gen_plan_rcpts(const struct gen_sess *s, unsigned tx)
{
	uint64_t h = hash(s, GEN_T_NRCPT, tx);
	uint32_t r = gen_pick(h, 1000);

	switch (s->kind) {
	case GEN_K_BOT:
		return 1 + gen_pick(h >> 7, 8);
	case GEN_K_DICT:
		return 10 + gen_pick(h >> 7, 51);
	default:
		return r < 700 ? 1 : r < 850 ? 2 : 3 + gen_pick(h >> 7, 3);
	}
}

int gen_plan_rcpt_code(const struct gen_sess *s, unsigned tx, unsigned j)
{
	uint32_t r = gen_pick(hash(s, GEN_T_RCODE, tx << 10 | j), 1000);

	switch (s->kind) {
	case GEN_K_BOT:
		return r < 500 ? 250 : r < 700 ? 550 : r < 850 ? 554 : 450;
	case GEN_K_DICT:
		return r < 50 ? 250 : 550;
	default:
		return r < 950 ? 250 : r < 990 ? 550 : 450;
	}
}

int gen_plan_accepted(const struct gen_sess *s, unsigned tx)
{
	uint32_t n = gen_plan_rcpts(s, tx);

	for (uint32_t j = 0; j < n; j++)
		if (gen_plan_rcpt_code(s, tx, j) == 250)
			return 1;
	return 0;
}

/* The client's own mail domain: stable per client, not per session. */
static void client_domain(const struct gen_turn *c, char *buf)
{
	gen_names_domain(buf, gen_hash(gen_world_seed(c->e->world), GEN_T_CDOM, c->s->client));
}

size_t gen_plan_helo(const struct gen_turn *c, char *buf, unsigned idx)
{
	static const uint8_t bot[] = {
		GEN_HELO_LITERAL, GEN_HELO_BARE_IP, GEN_HELO_LOCALHOST,
		GEN_HELO_DOTLESS, GEN_HELO_SPAMWARE, GEN_HELO_SPAMWARE,
		GEN_HELO_DYNAMIC, GEN_HELO_DYNAMIC, GEN_HELO_CLAIMS_US, GEN_HELO_FQDN,
	};
	static const uint8_t attacker[] = {
		GEN_HELO_BARE_IP, GEN_HELO_LITERAL, GEN_HELO_DOTLESS,
		GEN_HELO_SPAMWARE, GEN_HELO_FQDN, GEN_HELO_DYNAMIC, GEN_HELO_LOCALHOST,
	};
	uint64_t h = hash(c->s, GEN_T_HELO, idx);
	unsigned cls;

	if (mta(c->s)) {
		uint32_t r = gen_pick(h, 1000);

		if (r < 970) /* its own name: the same in every session */
			return gen_names_helo(buf, GEN_HELO_FQDN,
					      gen_hash(gen_world_seed(c->e->world), GEN_T_CDOM,
						       c->s->client),
					      c->cl.family, c->cl.addr);
		cls = r < 985 ? GEN_HELO_LITERAL : GEN_HELO_DOTLESS;
	} else if (c->s->kind == GEN_K_BOT) {
		cls = bot[gen_pick(h, N(bot))];
	} else {
		cls = attacker[gen_pick(h, N(attacker))];
	}
	return gen_names_helo(buf, cls, h >> 3, c->cl.family, c->cl.addr);
}

/* "<@bare>" without printf. */
static void path_of(char *path, const char *bare)
{
	size_t n = strlen(bare);

	path[0] = '<';
	memcpy(path + 1, bare, n);
	memcpy(path + 1 + n, ">", 2);
}

/* The bare address of transaction @tx's sender and the path as sent. */
void gen_plan_mail_from(const struct gen_turn *c, unsigned tx, char *bare, char *path)
{
	const struct gen_sess *s = c->s;
	uint64_t h = hash(s, GEN_T_MAIL, tx);
	uint32_t r = gen_pick(h, 1000);
	char local[GEN_NAME_MAX], dom[GEN_NAME_MAX];

	if ((mta(s) && r < 30) || (s->kind == GEN_K_DICT && r < 100)) {
		bare[0] = '\0';
		strcpy(path, "<>");
		return;
	}
	if (mta(s)) {
		client_domain(c, dom);
		if (r < 60) {
			char *p;

			gen_names_local(local + 1, GEN_LOCAL_PERSON, h >> 5);
			for (p = local + 1; *p; p++)
				if (*p == '.' || *p == '_')
					*p = ' ';
			local[0] = '"';
			strcpy(p, "\"");
		} else {
			gen_names_local(local, r < 700 ? GEN_LOCAL_PERSON :
					r < 900 ? GEN_LOCAL_ROLE : GEN_LOCAL_BOUNCE, h >> 5);
		}
	} else {
		unsigned kind = s->kind != GEN_K_BOT ? GEN_LOCAL_PERSON :
				r < 400 ? GEN_LOCAL_GENERATED : r < 600 ? GEN_LOCAL_HEX
								   : GEN_LOCAL_PERSON;

		gen_names_domain(dom, h >> 9);
		gen_names_local(local, kind, h >> 5);
	}
	gen_names_addr(bare, local, dom);
	if (mta(s) && r >= 60 && r < 70) /* an RFC 5321 source route */
		sprintf(path, "<@relay%u.isp.example:%s>", gen_pick(h >> 20, 9) + 1, bare);
	else
		path_of(path, bare);
}

void gen_plan_rcpt_to(const struct gen_turn *c, unsigned tx, unsigned j, char *bare)
{
	const struct gen_sess *s = c->s;
	uint64_t h = hash(s, GEN_T_RCPT, tx << 10 | j);
	char local[GEN_NAME_MAX], dom[GEN_NAME_MAX];
	unsigned kind = s->kind == GEN_K_DICT ? GEN_LOCAL_GUESS :
			s->kind == GEN_K_BOT ? (gen_chance(h, 500) ? GEN_LOCAL_GUESS : GEN_LOCAL_PERSON) :
			gen_chance(h, 800) ? GEN_LOCAL_PERSON : GEN_LOCAL_ROLE;

	if (gen_plan_rcpt_code(s, tx, j) == 554) /* relay attempt: someone else's domain */
		gen_names_domain(dom, h >> 9);
	else
		strcpy(dom, c->srv->domain);
	gen_names_local(local, kind, h >> 5);
	gen_names_addr(bare, local, dom);
}

/* Target size of transaction @tx's message. */
uint32_t gen_plan_body_size(const struct gen_sess *s, unsigned tx)
{
	return gen_body_size(hash(s, GEN_T_BODY, tx),
			     s->kind == GEN_K_BOT ? GEN_BODY_SPAM : GEN_BODY_MAIL);
}

void gen_plan_message(struct gen_turn *c, int data_end, struct gen_msg *ret, char *hdr)
{
	const struct gen_sess *s = c->s;
	char from[GEN_ADDR_MAX], path[GEN_NAME_MAX], to[GEN_ADDR_MAX];
	uint32_t hdr_len = s->hdr_len;

	/* Formatting the header is only needed where it is sent; its length
	 * is kept in the session for the later chunks. */
	if (hdr) {
		gen_plan_mail_from(c, s->tx, from, path);
		gen_plan_rcpt_to(c, s->tx, 0, to);
		hdr_len = (uint32_t)gen_body_header(hdr, from, to, hash(s, GEN_T_BODY, 100 + s->tx));
		c->s->hdr_len = (uint16_t)hdr_len;
	}
	gen_body_layout(c->e->body, hash(s, GEN_T_BODY, 200 + s->tx), gen_plan_body_size(s, s->tx),
			hdr_len, data_end, ret);
}

unsigned gen_plan_auth_mech(const struct gen_sess *s, unsigned try)
{
	uint32_t r = gen_pick(hash(s, GEN_T_AUTH, try), 10);

	return r < 5 ? GEN_AM_LOGIN : r < 6 ? GEN_AM_LOGIN_IR : GEN_AM_PLAIN;
}
