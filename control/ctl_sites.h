/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ctl_sites: Postfix postscreen_dnsbl_sites syntax, so admins can paste what
 * they run: items separated by whitespace or commas, each
 *   zone[=filter][*weight]
 * filter: four dot-separated octet patterns, each a number, a range
 * [lo..hi], or a set [a;b;c] whose members may be ranges ([1..3;5]), e.g.
 * 127.0.0.2, 127.0.0.[2..11], 127.0.[0..255].[1;3]. weight: signed
 * integer, default 1; a negative weight makes the zone an allowlist.
 * Pure C, no state: any thread.
 */
#ifndef CTL_SITES_H
#define CTL_SITES_H

#include <stddef.h>
#include <stdint.h>

#define CTL_ZONE_MAX 253          /* a DNS name */
#define CTL_WEIGHT_MAX 1000

struct ctl_filter {
	uint8_t octet[4][32];         /* bitmap of allowed values per octet */
};

struct ctl_site {
	char zone[CTL_ZONE_MAX + 1];  /* lower-case, no trailing dot */
	int has_filter;               /* 0: any 127.0.0.0/8 answer matches */
	struct ctl_filter filter;
	int weight;
};

/*
 * Parse @text (the value of dnsbl_sites or rhsbl_sites). Returns 0 with a
 * malloc'd array in @ret (free() it) and its length in @ret_n (may be 0),
 * or -EINVAL with a reason naming the bad item in @err.
 */
int ctl_sites_parse(const char *text, struct ctl_site **ret, size_t *ret_n,
		    char *err, size_t errlen);

/* 1 if the IPv4 answer @a (network order bytes) passes @f, else 0. */
int ctl_filter_match(const struct ctl_filter *f, const uint8_t a[4]);

#endif
