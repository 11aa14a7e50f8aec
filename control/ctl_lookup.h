/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ctl_lookup: one observation -> every lookup it needs -> a decision.
 * For the client address: each distinct dnsbl_sites zone (DNS, or the
 * in-process local zone of that name), then the PTR and, for every PTR
 * name, its A or AAAA (forward confirmation). For the HELO domain and the
 * MAIL FROM domain (IP literals skipped): each rhsbl_sites zone. Zone
 * queries go to list_dns (list_resolvers) when set, the others to dns. All
 * queries of all pending observations go out together (ctl_dns batches,
 * merges identical in-flight queries and caches), so concurrent flows from
 * one address share one lookup. When the last answer is in, the policy
 * decides and @done is called. Main thread (event loop) only.
 *
 * Counters: per distinct zone (listed / not listed / error / timeout,
 * local or DNS, enabled or switched off), for the PTR and forward
 * confirmation, and a histogram of the time from submit to decision.
 * With params.explain, every zone that lists the address (or domain) is
 * also asked for the TXT record of the same name, and the job waits for
 * those too: explain is a separate, fresh ctl_lookup, not the hot path.
 */
#ifndef CTL_LOOKUP_H
#define CTL_LOOKUP_H

#include <stdint.h>

#include <mxscreen/link.h>

#include "ctl_conf.h"
#include "ctl_dns.h"
#include "ctl_hist.h"
#include "ctl_policy.h"
#include "ctl_zone.h"

#define CTL_LOOKUP_MAX_PTR 4

/* Everything found, for the verdict log and explain. */
struct ctl_lookup_detail {
	const struct mxs_observation *obs;
	const struct ctl_evidence *evidence;
	const struct ctl_decision *decision;
	size_t n_zones;                         /* distinct DNSBL zones queried */
	const char *const *zone_names;
	const struct ctl_zone_result *zones;    /* by distinct zone; txt when explain */
	size_t n_rhsbl_zones;                   /* distinct RHSBL zones */
	const char *const *rhsbl_zone_names;
	const struct ctl_zone_result *rhsbl_helo; /* by distinct RHSBL zone */
	const struct ctl_zone_result *rhsbl_mail;
	size_t n_ptr;
	const char (*ptr)[CTL_DNS_NAME_MAX + 1];
	/* per PTR name: the A (4 bytes used) or AAAA addresses it resolved to,
	 * and whether one of them is the client (forward-confirmed) */
	const uint8_t *n_fwd;
	const uint8_t (*fwd)[CTL_DNS_MAX_ADDRS][16];
	const uint8_t *confirmed;
	const char *ptr_error;                  /* when fcrdns is ERROR */
	uint64_t started_ns;                    /* CLOCK_MONOTONIC */
	int explain;                            /* TXT records were asked for */
};

typedef void (*ctl_lookup_done_fn)(void *ctx, const struct ctl_lookup_detail *d);

struct ctl_lookup_params {
	const struct ctl_conf *conf;
	struct ctl_dns *dns;                    /* PTR and forward A/AAAA (FCrDNS) */
	struct ctl_dns *list_dns;               /* DNSBL and RHSBL zones; NULL: dns */
	struct ctl_zone *const *local;          /* like conf->local_zones, may hold NULL */
	ctl_lookup_done_fn done;
	void *ctx;
	int fresh;                              /* bypass the DNS cache (explain) */
	int explain;                            /* also fetch TXT of listing zones */
};

/* Zone answers are counted once per job and zone (not per site). */
struct ctl_lookup_stats {
	uint64_t submitted;
	uint64_t completed;
	uint64_t zone_listed;
	uint64_t zone_not_listed;
	uint64_t zone_errors;                   /* failures other than timeouts */
	uint64_t zone_timeouts;
	uint64_t local_answers;
	uint64_t ptr_ok;                        /* PTR names found */
	uint64_t ptr_none;                      /* NXDOMAIN / no PTR */
	uint64_t ptr_error;
	uint64_t fcrdns_pass;                   /* of ptr_ok: a name resolves back */
	uint64_t fcrdns_fail;                   /* none does, no lookup failed */
	uint64_t fcrdns_error;                  /* none does, a forward lookup failed */
	uint32_t active;
};

/* One distinct zone's counters. */
struct ctl_lookup_zone_stats {
	const char *zone;                       /* valid while the ctl_lookup lives */
	int is_domain;                          /* 1: RHSBL (HELO / MAIL FROM domains) */
	int local;                              /* 1: answered from a local zone */
	int enabled;                            /* 0: switched off (ctl_lookup_zone_enable) */
	uint64_t listed, not_listed;
	uint64_t errors;                        /* SERVFAIL, refused, bad answers, ... */
	uint64_t timeouts;                      /* not in errors */
};

struct ctl_lookup;

struct ctl_lookup *ctl_lookup_create(const struct ctl_lookup_params *p);
/* From now on, jobs that finish end silently (call before ctl_dns_free of
 * both clients). */
void ctl_lookup_close(struct ctl_lookup *l);
/* Frees pending jobs without calling done. NULL-safe. */
void ctl_lookup_free(struct ctl_lookup *l);
/* Start the lookups for @obs (copied). 0 or -ENOMEM. */
int ctl_lookup_submit(struct ctl_lookup *l, const struct mxs_observation *obs);
const struct ctl_lookup_stats *ctl_lookup_stats(const struct ctl_lookup *l);

/* The distinct DNSBL and RHSBL zones asked over DNS (not local zones), for
 * probes; @ret_is_domain[i] is 1 for RHSBL zones. */
size_t ctl_lookup_dns_zones(const struct ctl_lookup *l, const char **ret,
			    uint8_t *ret_is_domain, size_t max);
/* Switch a zone's answers off (skipped, never scored) or back on. */
void ctl_lookup_zone_enable(struct ctl_lookup *l, const char *zone, int on);

/* Distinct zones: the DNSBL/DNSWL ones (dnsbl_sites order), then the
 * RHSBL ones; @i < ctl_lookup_zone_count(). */
size_t ctl_lookup_zone_count(const struct ctl_lookup *l);
void ctl_lookup_zone_stats(const struct ctl_lookup *l, size_t i,
			   struct ctl_lookup_zone_stats *ret);
/* Submit to decision, of every job that decided. */
const struct ctl_hist *ctl_lookup_latency(const struct ctl_lookup *l);

#endif
