/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ctl_lookup: per-observation lookup jobs (see ctl_lookup.h). A job owns
 * one ticket per query it has out; each answer fills its slot and the last
 * one decides. Teardown order: ctl_lookup_close, ctl_dns_free of both
 * clients (pending answers arrive as errors and jobs end silently), then
 * ctl_lookup_free. With explain, a listed answer sends a TXT query for
 * the same name from its callback (a ticket of its own), so the job's
 * pending count covers it before the listed answer is counted off.
 */
#include <assert.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctl_lookup.h"

enum ticket_kind {
	T_DNSBL, T_RHSBL_HELO, T_RHSBL_MAIL, T_PTR, T_FWD,
	T_TXT_DNSBL, T_TXT_HELO, T_TXT_MAIL,  /* explain: same order as the zone kinds */
};

struct job;

struct ticket {
	struct job *job;
	uint8_t kind;
	uint16_t idx;
};

/* Zeroed up to obs when a job starts (the rest is written before it is
 * read): jobs are recycled, so most of their 3 KB is never cleared. */
struct job {
	struct ctl_lookup *l;
	struct job *prev, *next;
	int pending;
	int fcrdns;                       /* enum ctl_fcrdns, final when fwd done */
	int fwd_pending, fwd_match, fwd_error;
	const char *ptr_error;
	size_t n_ptr;
	uint64_t started_ns;
	struct ctl_zone_result *dz;       /* by distinct DNSBL zone */
	struct ctl_zone_result *rz_helo;  /* by distinct RHSBL zone */
	struct ctl_zone_result *rz_mail;
	struct ticket *tickets;
	size_t n_tickets;
	uint8_t n_fwd[CTL_LOOKUP_MAX_PTR];
	uint8_t confirmed[CTL_LOOKUP_MAX_PTR];
	struct mxs_observation obs;
	char ptr[CTL_LOOKUP_MAX_PTR][CTL_DNS_NAME_MAX + 1];
	uint8_t fwd[CTL_LOOKUP_MAX_PTR][CTL_DNS_MAX_ADDRS][16];
};

#define JOB_FREE_MAX 1024                 /* spare jobs kept after a burst */

struct zone_counts {
	uint64_t listed, not_listed, errors, timeouts;
};

/* Distinct zones of a site list, and which site uses which. */
struct zone_set {
	size_t n;
	const char **name;
	struct ctl_zone **local;          /* in-process zone, or NULL */
	uint8_t *off;                     /* switched off by health probes */
	size_t *of_site;
	int identity;                     /* of_site[i] == i: results by zone are by site */
	struct zone_counts *cnt;          /* by distinct zone */
};

struct ctl_lookup {
	struct ctl_lookup_params p;
	struct zone_set dnsbl, rhsbl;
	size_t max_tickets;               /* per job */
	size_t job_size;                  /* the job, its results, its tickets */
	struct job *jobs;
	struct job *jfree;                /* spare jobs, linked by next */
	size_t n_jfree;
	int closing;
	struct ctl_lookup_stats st;
	struct ctl_hist latency;
};

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static struct ctl_zone *local_zone(const struct ctl_lookup_params *p, const char *zone)
{
	for (size_t i = 0; i < p->conf->n_local_zones; i++)
		if (p->local && p->local[i] && strcmp(p->conf->local_zones[i].zone, zone) == 0)
			return p->local[i];
	return NULL;
}

static int zone_set_init(struct zone_set *z, const struct ctl_site *s, size_t n,
			 const struct ctl_lookup_params *p)
{
	z->name = calloc(n ? n : 1, sizeof(*z->name));
	z->local = calloc(n ? n : 1, sizeof(*z->local));
	z->of_site = calloc(n ? n : 1, sizeof(*z->of_site));
	z->off = calloc(n ? n : 1, 1);
	z->cnt = calloc(n ? n : 1, sizeof(*z->cnt));
	if (!z->name || !z->local || !z->of_site || !z->off || !z->cnt)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		size_t k;

		for (k = 0; k < z->n && strcmp(z->name[k], s[i].zone) != 0; k++)
			;
		if (k == z->n) {
			z->name[k] = s[i].zone;
			z->local[k] = local_zone(p, s[i].zone);
			z->n++;
		}
		z->of_site[i] = k;
	}
	z->identity = z->n == n;
	return 0;
}

static void zone_set_free(struct zone_set *z)
{
	free(z->name);
	free(z->local);
	free(z->of_site);
	free(z->off);
	free(z->cnt);
}

struct ctl_lookup *ctl_lookup_create(const struct ctl_lookup_params *p)
{
	struct ctl_lookup *l = calloc(1, sizeof(*l));

	if (!l)
		return NULL;
	l->p = *p;
	if (zone_set_init(&l->dnsbl, p->conf->dnsbl, p->conf->n_dnsbl, p) ||
	    zone_set_init(&l->rhsbl, p->conf->rhsbl, p->conf->n_rhsbl, p)) {
		ctl_lookup_free(l);
		errno = ENOMEM;
		return NULL;
	}
	/* every zone query, the PTR, a forward query per PTR name; explain
	 * adds a TXT query per zone query */
	l->max_tickets = (l->dnsbl.n + 2 * l->rhsbl.n) * (p->explain ? 2 : 1) + 1 +
			 CTL_LOOKUP_MAX_PTR;
	l->job_size = sizeof(struct job) +
		      (l->dnsbl.n + 2 * l->rhsbl.n) * sizeof(struct ctl_zone_result) +
		      l->max_tickets * sizeof(struct ticket);
	return l;
}

static void job_free(struct job *j)
{
	struct ctl_lookup *l = j->l;

	if (j->prev)
		j->prev->next = j->next;
	else
		l->jobs = j->next;
	if (j->next)
		j->next->prev = j->prev;
	l->st.active--;
	/* one block: the arrays live behind the job */
	if (l->n_jfree >= JOB_FREE_MAX || l->closing) {
		free(j);
		return;
	}
	j->next = l->jfree;
	l->jfree = j;
	l->n_jfree++;
}

void ctl_lookup_close(struct ctl_lookup *l)
{
	if (l)
		l->closing = 1;
}

void ctl_lookup_free(struct ctl_lookup *l)
{
	if (!l)
		return;
	l->closing = 1;
	while (l->jobs)
		job_free(l->jobs);
	while (l->jfree) {
		struct job *j = l->jfree;

		l->jfree = j->next;
		free(j);
	}
	zone_set_free(&l->dnsbl);
	zone_set_free(&l->rhsbl);
	free(l);
}

/* Per-site results from per-zone ones. */
static void expand(const struct zone_set *z, size_t n_sites, const struct ctl_zone_result *by_zone,
		   struct ctl_zone_result *by_site)
{
	for (size_t i = 0; i < n_sites; i++)
		by_site[i] = by_zone[z->of_site[i]];
}

static void finish(struct job *j)
{
	struct ctl_lookup *l = j->l;
	const struct ctl_conf *c = l->p.conf;
	struct ctl_zone_result *sites = NULL;
	struct ctl_evidence e = { 0 };
	struct ctl_decision d;
	struct ctl_lookup_detail det = { 0 };
	size_t nd = c->n_dnsbl, nr = c->n_rhsbl;

	if (l->closing) {
		job_free(j);
		return;
	}
	if (l->dnsbl.identity && l->rhsbl.identity) {
		/* every site its own zone (the usual): the results as they are */
		e.dnsbl = nd ? j->dz : NULL;
		e.rhsbl_helo = nr ? j->rz_helo : NULL;
		e.rhsbl_mail = nr ? j->rz_mail : NULL;
	} else if ((sites = calloc(nd + 2 * nr + 1, sizeof(*sites)))) {
		expand(&l->dnsbl, nd, j->dz, sites);
		expand(&l->rhsbl, nr, j->rz_helo, sites + nd);
		expand(&l->rhsbl, nr, j->rz_mail, sites + nd + nr);
		e.dnsbl = nd ? sites : NULL;
		e.rhsbl_helo = nr ? sites + nd : NULL;
		e.rhsbl_mail = nr ? sites + nd + nr : NULL;
	}
	e.family = j->obs.family;
	memcpy(e.addr, j->obs.client, 16);
	e.fcrdns = j->fcrdns;
	e.anomalies = j->obs.anomalies;
	e.rule_score = j->obs.rule_score;
	e.n_hits = j->obs.n_hits < MXS_OBS_MAX_HITS ? j->obs.n_hits : MXS_OBS_MAX_HITS;
	e.hit_ids = j->obs.hit_ids;
	ctl_policy_decide(c, &e, &d);
	ctl_hist_add(&l->latency, mono_ns() - j->started_ns);
	det.obs = &j->obs;
	det.evidence = &e;
	det.decision = &d;
	det.n_zones = l->dnsbl.n;
	det.zone_names = l->dnsbl.name;
	det.zones = j->dz;
	det.n_rhsbl_zones = l->rhsbl.n;
	det.rhsbl_zone_names = l->rhsbl.name;
	det.rhsbl_helo = j->rz_helo;
	det.rhsbl_mail = j->rz_mail;
	det.n_ptr = j->n_ptr;
	det.ptr = (const char (*)[CTL_DNS_NAME_MAX + 1])j->ptr;
	det.n_fwd = j->n_fwd;
	det.fwd = (const uint8_t (*)[CTL_DNS_MAX_ADDRS][16])j->fwd;
	det.confirmed = j->confirmed;
	det.ptr_error = j->ptr_error;
	det.started_ns = j->started_ns;
	det.explain = l->p.explain;
	l->st.completed++;
	l->p.done(l->p.ctx, &det);
	free(sites);
	job_free(j);
}

static void answered(struct job *j)
{
	if (--j->pending == 0)
		finish(j);
}

static int is_timeout(const struct ctl_dns_result *r)
{
	return r->status == CTL_DNS_ERROR && r->error && strcmp(r->error, "timeout") == 0;
}

static void zone_answer(struct ctl_lookup *l, struct zone_counts *cnt, struct ctl_zone_result *z,
			const struct ctl_dns_result *r)
{
	const char *why = NULL;

	memset(z, 0, sizeof(*z));
	if (r->status == CTL_DNS_ERROR) {
		z->state = CTL_LIST_ERROR;
		snprintf(z->error, sizeof(z->error), "%s", r->error ? r->error : "error");
	} else if (r->status == CTL_DNS_OK) {
		z->n_a = r->n_addrs < CTL_POLICY_MAX_A ? r->n_addrs : CTL_POLICY_MAX_A;
		for (size_t i = 0; i < z->n_a; i++)
			memcpy(z->a[i], r->addrs[i], 4);
		z->state = ctl_policy_classify((const uint8_t (*)[4])z->a, z->n_a, &why);
		if (why) {
			snprintf(z->error, sizeof(z->error), "%u.%u.%u.%u", z->a[0][0], z->a[0][1],
				 z->a[0][2], z->a[0][3]);
		}
	} else {
		z->state = CTL_LIST_NOT_LISTED;
	}
	if (z->state == CTL_LIST_LISTED) {
		l->st.zone_listed++;
		cnt->listed++;
	} else if (z->state == CTL_LIST_ERROR && is_timeout(r)) {
		l->st.zone_timeouts++;
		cnt->timeouts++;
	} else if (z->state == CTL_LIST_ERROR) {
		l->st.zone_errors++;
		cnt->errors++;
	} else {
		l->st.zone_not_listed++;
		cnt->not_listed++;
	}
}

/* A zone query that never went out: an error of that zone. */
static void zone_failed(struct ctl_lookup *l, struct zone_counts *cnt, struct ctl_zone_result *z)
{
	z->state = CTL_LIST_ERROR;
	snprintf(z->error, sizeof(z->error), "query failed");
	l->st.zone_errors++;
	cnt->errors++;
}

static int same_addr(const struct job *j, const uint8_t *a)
{
	return memcmp(a, j->obs.client, j->obs.family == 4 ? 4 : 16) == 0;
}

static void fwd_done(struct job *j)
{
	struct ctl_lookup_stats *st = &j->l->st;

	if (--j->fwd_pending)
		return;
	/* A DNS failure never counts against the client. */
	j->fcrdns = j->fwd_match ? CTL_FCRDNS_PASS
		  : j->fwd_error ? CTL_FCRDNS_ERROR : CTL_FCRDNS_FAIL;
	if (j->fcrdns == CTL_FCRDNS_PASS)
		st->fcrdns_pass++;
	else if (j->fcrdns == CTL_FCRDNS_FAIL)
		st->fcrdns_fail++;
	else
		st->fcrdns_error++;
}

static int ask(struct job *j, const char *name, int type, uint8_t kind, uint16_t idx);
static int usable_domain(const char *s, size_t n, char *buf, size_t len);

/* Explain: the TXT record of the name that listed (zone slot @kind, @k). */
static void ask_txt(struct job *j, uint8_t kind, uint16_t k)
{
	struct ctl_lookup *l = j->l;
	char q[CTL_DNS_NAME_MAX + 1], dom[MXS_NAME_MAX + 1];
	int r;

	if (kind == T_DNSBL) {
		r = ctl_dns_revname(j->obs.family, j->obs.client, l->dnsbl.name[k], q, sizeof(q));
	} else {
		const char *s = kind == T_RHSBL_HELO ? j->obs.helo : j->obs.mail_domain;
		size_t n = kind == T_RHSBL_HELO ? j->obs.helo_len : j->obs.mail_domain_len;

		if (!usable_domain(s, n, dom, sizeof(dom)))
			return;
		r = ctl_dns_domname(dom, l->rhsbl.name[k], q, sizeof(q));
	}
	if (r == 0)
		(void)ask(j, q, CTL_DNS_TXT, (uint8_t)(T_TXT_DNSBL + (kind - T_DNSBL)), k);
}

static void zone_dns_answer(struct job *j, uint8_t kind, uint16_t k, const struct ctl_dns_result *r)
{
	struct ctl_lookup *l = j->l;
	struct zone_set *z = kind == T_DNSBL ? &l->dnsbl : &l->rhsbl;
	struct ctl_zone_result *slot = kind == T_DNSBL ? &j->dz[k]
				     : kind == T_RHSBL_HELO ? &j->rz_helo[k] : &j->rz_mail[k];

	zone_answer(l, &z->cnt[k], slot, r);
	if (l->p.explain && slot->state == CTL_LIST_LISTED)
		ask_txt(j, kind, k);
}

static void on_answer(void *arg, const struct ctl_dns_result *r)
{
	struct ticket *t = arg;
	struct job *j = t->job;
	struct ctl_lookup *l = j->l;

	switch (t->kind) {
	case T_DNSBL:
	case T_RHSBL_HELO:
	case T_RHSBL_MAIL:
		zone_dns_answer(j, t->kind, t->idx, r);
		break;
	case T_TXT_DNSBL:
	case T_TXT_HELO:
	case T_TXT_MAIL: {
		struct ctl_zone_result *slot = t->kind == T_TXT_DNSBL ? &j->dz[t->idx]
					     : t->kind == T_TXT_HELO ? &j->rz_helo[t->idx]
					     : &j->rz_mail[t->idx];

		/* no TXT, or a failed TXT query: the listing stands, without text */
		if (r->status == CTL_DNS_OK)
			snprintf(slot->txt, sizeof(slot->txt), "%s", r->txt);
		break;
	}
	case T_PTR:
		if (r->status == CTL_DNS_ERROR) {
			j->fcrdns = CTL_FCRDNS_ERROR;
			j->ptr_error = "ptr lookup failed";
			l->st.ptr_error++;
		} else if (r->status == CTL_DNS_NONE || r->n_names == 0) {
			j->fcrdns = CTL_FCRDNS_NONE;
			l->st.ptr_none++;
		} else {
			l->st.ptr_ok++;
			j->n_ptr = r->n_names < CTL_LOOKUP_MAX_PTR ? r->n_names : CTL_LOOKUP_MAX_PTR;
			j->fwd_pending = (int)j->n_ptr;
			for (size_t i = 0; i < j->n_ptr; i++) {
				memcpy(j->ptr[i], r->names[i], sizeof(j->ptr[i]));
				if (ask(j, j->ptr[i], j->obs.family == 4 ? CTL_DNS_A : CTL_DNS_AAAA,
					T_FWD, (uint16_t)i) < 0) {
					j->fwd_error = 1;
					fwd_done(j);
				}
			}
		}
		break;
	case T_FWD:
		if (r->status == CTL_DNS_ERROR)
			j->fwd_error = 1;
		for (size_t i = 0; r->status == CTL_DNS_OK && i < r->n_addrs &&
		     i < CTL_DNS_MAX_ADDRS; i++) {
			memcpy(j->fwd[t->idx][i], r->addrs[i], 16);
			j->n_fwd[t->idx] = (uint8_t)(i + 1);
			if (same_addr(j, r->addrs[i])) {
				j->fwd_match = 1;
				j->confirmed[t->idx] = 1;
			}
		}
		fwd_done(j);
		break;
	}
	answered(j);
}

static int ask(struct job *j, const char *name, int type, uint8_t kind, uint16_t idx)
{
	struct ctl_lookup *l = j->l;
	struct ticket *t;
	struct ctl_dns *d = l->p.dns;
	int r;

	if (j->n_tickets == l->max_tickets)
		return -ENOSPC;
	t = &j->tickets[j->n_tickets++];
	t->job = j;
	t->kind = kind;
	t->idx = idx;
	/* list zones to the list servers; PTR and forward lookups stay on dns */
	if (l->p.list_dns && kind != T_PTR && kind != T_FWD)
		d = l->p.list_dns;
	r = l->p.fresh ? ctl_dns_query_fresh(d, name, type, on_answer, t)
		       : ctl_dns_query(d, name, type, on_answer, t);
	if (r == 0)
		j->pending++;
	return r;
}

/* A domain worth an RHSBL query: has a dot, is not an address literal. */
static int usable_domain(const char *s, size_t n, char *buf, size_t len)
{
	int alpha = 0;

	if (n == 0 || n >= len || s[0] == '[' || !memchr(s, '.', n))
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (!(c == '.' || c == '-' || c == '_' || (c >= '0' && c <= '9') ||
		      ((c | 0x20) >= 'a' && (c | 0x20) <= 'z')))
			return 0;
		alpha |= (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
	}
	if (!alpha)
		return 0; /* a bare IPv4 address */
	memcpy(buf, s, n);
	buf[n] = '\0';
	return 1;
}

static void zone_query(struct job *j, struct zone_set *z, size_t k, const char *qname,
		       const char *domain, struct ctl_zone_result *slot, uint8_t kind)
{
	struct ctl_zone_answer za;
	struct ctl_dns_result r = { 0 };
	int hit;

	if (z->off[k]) {
		slot->state = CTL_LIST_SKIPPED;
		return;
	}
	if (z->local[k]) {
		/* In-process zone: same scoring path as a DNS answer. */
		hit = domain ? ctl_zone_lookup_name(z->local[k], domain, &za)
			     : ctl_zone_lookup_addr(z->local[k], j->obs.family, j->obs.client, &za);
		r.status = hit > 0 ? CTL_DNS_OK : hit == 0 ? CTL_DNS_NONE : CTL_DNS_ERROR;
		r.error = "wrong local zone type";
		if (hit > 0) {
			r.n_addrs = 1;
			memcpy(r.addrs[0], za.a, 4);
		}
		j->l->st.local_answers++;
		zone_answer(j->l, &z->cnt[k], slot, &r);
		/* explain: the zone's own text, as rbldnsd would serve it */
		if (j->l->p.explain && slot->state == CTL_LIST_LISTED)
			snprintf(slot->txt, sizeof(slot->txt), "%s", za.txt);
		return;
	}
	if (ask(j, qname, CTL_DNS_A, kind, (uint16_t)k) < 0)
		zone_failed(j->l, &z->cnt[k], slot);
}

static void rhsbl_all(struct job *j, const char *s, size_t n, struct ctl_zone_result *slots,
		      uint8_t kind)
{
	struct ctl_lookup *l = j->l;
	char dom[MXS_NAME_MAX + 1], q[CTL_DNS_NAME_MAX + 1];

	for (size_t k = 0; k < l->rhsbl.n; k++)
		slots[k].state = CTL_LIST_SKIPPED;
	if (!usable_domain(s, n, dom, sizeof(dom)))
		return;
	for (size_t k = 0; k < l->rhsbl.n; k++) {
		if (!l->rhsbl.local[k] && ctl_dns_domname(dom, l->rhsbl.name[k], q, sizeof(q)) < 0)
			continue;
		zone_query(j, &l->rhsbl, k, q, dom, &slots[k], kind);
	}
}

int ctl_lookup_submit(struct ctl_lookup *l, const struct mxs_observation *obs)
{
	char q[CTL_DNS_NAME_MAX + 1];
	size_t nz = l->dnsbl.n, nr = l->rhsbl.n;
	size_t nres = nz + 2 * nr;
	/* One block per observation: the job, its results, its tickets. */
	struct job *j = l->jfree;

	if (j) {
		l->jfree = j->next;
		l->n_jfree--;
	} else if (!(j = malloc(l->job_size))) {
		return -ENOMEM;
	}
	memset(j, 0, offsetof(struct job, obs));
	j->l = l;
	j->obs = *obs;
	j->started_ns = mono_ns();
	j->dz = (struct ctl_zone_result *)(j + 1);
	j->rz_helo = j->dz + nz;
	j->rz_mail = j->rz_helo + nr;
	j->tickets = (struct ticket *)(j->rz_mail + nr);
	memset(j->dz, 0, nres * sizeof(*j->dz));
	j->next = l->jobs;
	if (l->jobs)
		l->jobs->prev = j;
	l->jobs = j;
	l->st.active++;
	l->st.submitted++;
	/* Hold the job open while queries go out: cached answers only
	 * arrive from ctl_dns_process, but local zones answer at once. */
	j->pending = 1;
	for (size_t k = 0; k < nz; k++) {
		if (!l->dnsbl.local[k] &&
		    ctl_dns_revname(obs->family, obs->client, l->dnsbl.name[k], q, sizeof(q)) < 0)
			continue;
		zone_query(j, &l->dnsbl, k, q, NULL, &j->dz[k], T_DNSBL);
	}
	rhsbl_all(j, obs->helo, obs->helo_len, j->rz_helo, T_RHSBL_HELO);
	rhsbl_all(j, obs->mail_domain, obs->mail_domain_len, j->rz_mail, T_RHSBL_MAIL);
	if (ctl_dns_revname(obs->family, obs->client, NULL, q, sizeof(q)) < 0 ||
	    ask(j, q, CTL_DNS_PTR, T_PTR, 0) < 0) {
		j->fcrdns = CTL_FCRDNS_ERROR;
		j->ptr_error = "ptr query failed";
		l->st.ptr_error++;
	}
	answered(j);
	return 0;
}

const struct ctl_lookup_stats *ctl_lookup_stats(const struct ctl_lookup *l)
{
	return &l->st;
}

size_t ctl_lookup_dns_zones(const struct ctl_lookup *l, const char **ret,
			    uint8_t *ret_is_domain, size_t max)
{
	const struct zone_set *sets[2] = { &l->dnsbl, &l->rhsbl };
	size_t n = 0;

	for (int s = 0; s < 2; s++)
		for (size_t k = 0; k < sets[s]->n && n < max; k++) {
			if (sets[s]->local[k])
				continue;
			ret_is_domain[n] = (uint8_t)s;
			ret[n++] = sets[s]->name[k];
		}
	return n;
}

void ctl_lookup_zone_enable(struct ctl_lookup *l, const char *zone, int on)
{
	struct zone_set *sets[2] = { &l->dnsbl, &l->rhsbl };

	for (int s = 0; s < 2; s++)
		for (size_t k = 0; k < sets[s]->n; k++)
			if (strcmp(sets[s]->name[k], zone) == 0)
				sets[s]->off[k] = (uint8_t)!on;
}

size_t ctl_lookup_zone_count(const struct ctl_lookup *l)
{
	return l->dnsbl.n + l->rhsbl.n;
}

void ctl_lookup_zone_stats(const struct ctl_lookup *l, size_t i,
			   struct ctl_lookup_zone_stats *ret)
{
	const struct zone_set *z = i < l->dnsbl.n ? &l->dnsbl : &l->rhsbl;
	size_t k = i < l->dnsbl.n ? i : i - l->dnsbl.n;

	assert(k < z->n);
	memset(ret, 0, sizeof(*ret));
	ret->zone = z->name[k];
	ret->is_domain = z == &l->rhsbl;
	ret->local = z->local[k] != NULL;
	ret->enabled = !z->off[k];
	ret->listed = z->cnt[k].listed;
	ret->not_listed = z->cnt[k].not_listed;
	ret->errors = z->cnt[k].errors;
	ret->timeouts = z->cnt[k].timeouts;
}

const struct ctl_hist *ctl_lookup_latency(const struct ctl_lookup *l)
{
	return &l->latency;
}
