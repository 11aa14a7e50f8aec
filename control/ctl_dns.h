/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ctl_dns: the asynchronous, batched, caching DNS client of mxscreend, on
 * c-ares. Main-thread (event loop) only.
 *
 * - ctl_dns_query never blocks and never calls back from inside itself:
 *   answers (cached or not) are delivered from ctl_dns_process.
 * - Identical (name, type) queries in flight are merged: one wire query,
 *   every waiter called back (as postscreen shares one DNSBL lookup).
 * - Answers are cached for their TTL clamped to [ttl_min, ttl_max];
 *   NXDOMAIN/NODATA for the SOA minimum (clamped); errors for error_ttl.
 * - At most max_inflight wire queries at once, fewer while a server drops
 *   them: a send window (from 64, growing while answers come back, halved
 *   when a round trip loses many) keeps a burst inside the server's
 *   receive buffer (rbldnsd's holds 157 queries). The rest wait their
 *   turn; whatever the window allows goes out on each ctl_dns_process.
 * - Each try waits timeout_ms; a query is sent at most tries times for
 *   timeouts, and again at once (twice at most) when answers to queries
 *   sent after it show that the server dropped it.
 * - Query IDs are random (getrandom) and never two alike in flight.
 * - Three outcomes, never mixed: CTL_DNS_OK (records present),
 *   CTL_DNS_NONE (NXDOMAIN or no data), CTL_DNS_ERROR (timeout, SERVFAIL,
 *   REFUSED, malformed, ...). DNSBL-level meaning (127.255.255.x etc.) is
 *   the caller's business.
 */
#ifndef CTL_DNS_H
#define CTL_DNS_H

#include <poll.h>
#include <stddef.h>
#include <stdint.h>

#include "ctl_conf.h"

#define CTL_DNS_MAX_ADDRS 8
#define CTL_DNS_MAX_NAMES 4
#define CTL_DNS_NAME_MAX 255

enum ctl_dns_type { CTL_DNS_A = 1, CTL_DNS_AAAA = 28, CTL_DNS_PTR = 12, CTL_DNS_TXT = 16 };
enum ctl_dns_status { CTL_DNS_OK = 0, CTL_DNS_NONE, CTL_DNS_ERROR };

struct ctl_dns_result {
	int status;                   /* enum ctl_dns_status */
	int from_cache;
	uint32_t ttl;                 /* as cached (clamped) */
	const char *error;            /* short reason when CTL_DNS_ERROR: "timeout", "servfail", ... */
	size_t n_addrs;               /* A: 4-byte, AAAA: 16-byte addresses */
	uint8_t addrs[CTL_DNS_MAX_ADDRS][16];
	size_t n_names;               /* PTR targets */
	char names[CTL_DNS_MAX_NAMES][CTL_DNS_NAME_MAX + 1];
	char txt[CTL_DNS_NAME_MAX + 1]; /* first TXT string */
};

typedef void (*ctl_dns_cb)(void *arg, const struct ctl_dns_result *r);

struct ctl_dns_params {
	const struct ctl_resolver *servers;
	size_t n_servers;
	uint32_t timeout_ms;
	uint32_t tries;               /* default 2; each try waits timeout_ms */
	uint32_t max_inflight;
	uint32_t ttl_min, ttl_max, error_ttl;
	uint32_t cache_max;           /* entries, default 100000; LRU beyond */
	int no_tcp;                   /* servers without TCP (rbldnsd): a truncated
				       * answer is taken as it is (one with no
				       * answer is an error), never retried over
				       * TCP; c-ares would fail every query in
				       * flight to a server whose TCP refuses */
};

struct ctl_dns_stats {
	uint64_t queries;             /* ctl_dns_query calls */
	uint64_t sent;                /* wire queries */
	uint64_t merged;              /* joined an in-flight query */
	uint64_t cache_hits;
	uint64_t cache_misses;
	uint64_t ok, none, errors, timeouts;
	uint32_t inflight;            /* wire queries in the window */
	uint32_t queued;
	uint64_t resent;              /* wire queries sent again (lost, or timed out) */
	uint64_t lost;                /* wire queries deemed lost: overtaken by later answers */
	uint64_t spurious;            /* of those, answered after all */
	uint64_t window_cuts;         /* loss episodes: the window halved */
	uint64_t send_errors;         /* queries the kernel would not send (counted as lost) */
	uint32_t window;              /* wire queries allowed now (<= max_inflight) */
};

struct ctl_dns;

struct ctl_dns *ctl_dns_create(const struct ctl_dns_params *p);
void ctl_dns_free(struct ctl_dns *d);  /* pending callbacks get CTL_DNS_ERROR "shutdown" */

/* Ask; @cb(@arg, result) comes from a later ctl_dns_process. 0 or -ENOMEM. */
int ctl_dns_query(struct ctl_dns *d, const char *name, int type, ctl_dns_cb cb, void *arg);
/* Same, bypassing (and refreshing) the cache: for explain. */
int ctl_dns_query_fresh(struct ctl_dns *d, const char *name, int type, ctl_dns_cb cb, void *arg);

/* Fill @fds (up to @max) for poll(); returns the count. *ret_timeout_ms: when to call process even without I/O. */
int ctl_dns_pollfds(struct ctl_dns *d, struct pollfd *fds, int max, int *ret_timeout_ms);
/* After poll(): handle I/O and timeouts, send queued queries, deliver callbacks. */
void ctl_dns_process(struct ctl_dns *d, const struct pollfd *fds, int n);
/* Queries not yet answered (in flight + queued + undelivered). */
size_t ctl_dns_pending(const struct ctl_dns *d);
const struct ctl_dns_stats *ctl_dns_stats(const struct ctl_dns *d);

/* Query names. Return 0, or -ENAMETOOLONG / -EINVAL. */
int ctl_dns_revname(int family, const uint8_t addr[16], const char *zone, char *buf, size_t len);
int ctl_dns_domname(const char *domain, const char *zone, char *buf, size_t len);

#endif
