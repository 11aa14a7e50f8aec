/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ctl_health: RFC 5782 zone probes (see ctl_health.h). Probes bypass the
 * cache so a zone's recovery is seen at the next round.
 */
#include <stdlib.h>
#include <string.h>

#include "ctl_health.h"
#include "ctl_policy.h"

struct probe_zone;

struct probe_ticket {
	struct probe_zone *z;
	int must_list;                /* 127.0.0.2: yes; 127.0.0.1: no */
};

struct probe_zone {
	struct ctl_health *h;
	const char *zone;
	int is_domain;
	int on;
	int pending;                  /* answers outstanding this round */
	int fail;                     /* this round */
	const char *why;
	uint64_t probes;
	uint64_t switched_off;
	struct probe_ticket ticket[2];
};

struct ctl_health {
	struct ctl_dns *dns;
	uint32_t interval_s;
	uint64_t next_s;
	int started;
	ctl_health_fn fn;
	void *ctx;
	size_t n;
	struct probe_zone *z;
};

struct ctl_health *ctl_health_create(struct ctl_dns *dns, const char *const *zones,
				     const uint8_t *is_domain, size_t n, uint32_t interval_s,
				     ctl_health_fn fn, void *ctx)
{
	struct ctl_health *h = calloc(1, sizeof(*h));

	if (!h || !(h->z = calloc(n ? n : 1, sizeof(*h->z)))) {
		free(h);
		return NULL;
	}
	h->dns = dns;
	h->interval_s = interval_s ? interval_s : 300;
	h->fn = fn;
	h->ctx = ctx;
	h->n = n;
	for (size_t i = 0; i < n; i++) {
		h->z[i].h = h;
		h->z[i].zone = zones[i];
		h->z[i].is_domain = is_domain && is_domain[i];
		h->z[i].on = 1;
	}
	return h;
}

void ctl_health_free(struct ctl_health *h)
{
	if (!h)
		return;
	free(h->z);
	free(h);
}

static void round_done(struct probe_zone *z)
{
	int on = !z->fail;

	if (on == z->on)
		return;
	z->on = on;
	if (!on)
		z->switched_off++;
	if (z->h->fn)
		z->h->fn(z->h->ctx, z->zone, on, z->why);
}

static void on_probe(void *arg, const struct ctl_dns_result *r)
{
	const struct probe_ticket *t = arg;
	struct probe_zone *z = t->z;
	int must_list = t->must_list;
	uint8_t a[CTL_POLICY_MAX_A][4];
	size_t n = r->n_addrs < CTL_POLICY_MAX_A ? r->n_addrs : CTL_POLICY_MAX_A;
	const char *why = NULL;
	int state;

	for (size_t i = 0; i < n; i++)
		memcpy(a[i], r->addrs[i], 4);
	if (r->status == CTL_DNS_ERROR) {
		state = CTL_LIST_ERROR;
		why = r->error ? r->error : "error";
	} else {
		state = r->status == CTL_DNS_OK ? ctl_policy_classify((const uint8_t (*)[4])a, n, &why)
						: CTL_LIST_NOT_LISTED;
	}
	if (state == CTL_LIST_ERROR) {
		z->fail = 1;
		z->why = why;
	} else if (must_list && state != CTL_LIST_LISTED) {
		z->fail = 1;
		z->why = z->is_domain ? "does not list the TEST test entry"
				      : "does not list the 127.0.0.2 test entry";
	} else if (!must_list && state == CTL_LIST_LISTED) {
		z->fail = 1;
		z->why = z->is_domain ? "lists INVALID: it lists the world"
				      : "lists 127.0.0.1: it lists the world";
	}
	if (--z->pending == 0)
		round_done(z);
}

void ctl_health_tick(struct ctl_health *h, uint64_t now_s)
{
	static const uint8_t probe[2][16] = { { 127, 0, 0, 2 }, { 127, 0, 0, 1 } };
	char q[CTL_DNS_NAME_MAX + 1];

	if (h->started && now_s < h->next_s)
		return;
	h->started = 1;
	h->next_s = now_s + h->interval_s;
	for (size_t i = 0; i < h->n; i++) {
		struct probe_zone *z = &h->z[i];

		if (z->pending)
			continue; /* last round still out */
		z->fail = 0;
		z->why = NULL;
		z->probes++;
		for (int k = 0; k < 2; k++) {
			z->ticket[k].z = z;
			z->ticket[k].must_list = k == 0;
			int r = z->is_domain
				? ctl_dns_domname(k == 0 ? "test" : "invalid", z->zone, q, sizeof(q))
				: ctl_dns_revname(4, probe[k], z->zone, q, sizeof(q));

			if (r == 0 &&
			    ctl_dns_query_fresh(h->dns, q, CTL_DNS_A, on_probe, &z->ticket[k]) == 0)
				z->pending++;
		}
	}
}

int ctl_health_busy(const struct ctl_health *h)
{
	for (size_t i = 0; i < h->n; i++)
		if (h->z[i].pending)
			return 1;
	return 0;
}

size_t ctl_health_zones(const struct ctl_health *h)
{
	return h->n;
}

void ctl_health_zone(const struct ctl_health *h, size_t i, struct ctl_health_zone_stats *ret)
{
	const struct probe_zone *z = &h->z[i];

	ret->zone = z->zone;
	ret->on = z->on;
	ret->probes = z->probes;
	ret->switched_off = z->switched_off;
	ret->why = z->why;
}
