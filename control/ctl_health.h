/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ctl_health: RFC 5782 health probes of every DNS list zone mxscreend
 * uses. An IP list is asked for 127.0.0.2 (a list must list it) and
 * 127.0.0.1 (a list must not); a domain list (RHSBL) for TEST (must list)
 * and INVALID (must not). A zone that fails either, or answers with
 * an error, is switched off (its answers are ignored, not scored) with a
 * loud log line and a counter, and switched back on when a later probe
 * passes. Probes run at start and every health_interval. Main thread only.
 */
#ifndef CTL_HEALTH_H
#define CTL_HEALTH_H

#include <stdint.h>
#include <stdio.h>

#include "ctl_dns.h"

struct ctl_health;

struct ctl_health_zone_stats {
	const char *zone;
	int on;                       /* 1 on (or not yet probed), 0 switched off */
	uint64_t probes;
	uint64_t switched_off;
	const char *why;              /* last failure */
};

/* Called when a zone changes state (for the lookup engine to skip it). */
typedef void (*ctl_health_fn)(void *ctx, const char *zone, int on, const char *why);

/* @zones: the DNS-queried list zones (not local zones), borrowed;
 * @is_domain[i]: zone i lists domains (RHSBL), else addresses. */
struct ctl_health *ctl_health_create(struct ctl_dns *dns, const char *const *zones,
				     const uint8_t *is_domain, size_t n, uint32_t interval_s,
				     ctl_health_fn fn, void *ctx);
void ctl_health_free(struct ctl_health *h);
/* Start a round of probes if one is due at @now_s (CLOCK_MONOTONIC s). */
void ctl_health_tick(struct ctl_health *h, uint64_t now_s);
/* 1 while probes of the current round are outstanding. */
int ctl_health_busy(const struct ctl_health *h);
size_t ctl_health_zones(const struct ctl_health *h);
void ctl_health_zone(const struct ctl_health *h, size_t i, struct ctl_health_zone_stats *ret);

#endif
