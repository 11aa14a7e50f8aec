/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ctl_zone: local DNS list zones in rbldnsd's dataset formats, answered in
 * process without DNS (the embedded default, and what ISPs run with list
 * data mirrored by rsync). Types: ip4set, ip6trie, ip6tset, dnset.
 * Loaded on the main thread; a loaded zone is immutable (any thread reads).
 *
 * Formats (as rbldnsd reads them): '#' comments; "$TTL n", "$SOA ...",
 * "$NS ..." directives (TTL kept, others ignored); a line ":A:TXT" sets
 * the default value; entries optionally followed by a value ":A:TXT" or
 * ":A" or "TXT"; "!entry" excludes. ip4set entries: 1.2.3.4, 1.2.3.0/24,
 * 1.2.3 (/24), 1.2 (/16), 1.2.3.4-1.2.3.10, 1.2.3.4-10. ip6trie: any
 * prefix addr/len; ip6tset: /64 or /128 only. dnset: example.com (exact),
 * .example.com or *.example.com (subdomains). '$' in TXT stands for the
 * queried address or name.
 */
#ifndef CTL_ZONE_H
#define CTL_ZONE_H

#include <stddef.h>
#include <stdint.h>

#define CTL_ZONE_TXT_MAX 255

struct ctl_zone;

struct ctl_zone_answer {
	uint8_t a[4];                 /* the A record, e.g. 127.0.0.2 */
	uint32_t ttl;
	char txt[CTL_ZONE_TXT_MAX + 1];
};

/*
 * Load @path as a zone of @type (enum ctl_zone_type). Returns 0, or -errno
 * with "PATH:LINE: reason" in @err.
 */
int ctl_zone_load(int type, const char *path, struct ctl_zone **ret,
		  char *err, size_t errlen);
void ctl_zone_free(struct ctl_zone *z);

/* IP lists: 1 listed (answer filled), 0 not listed, -EINVAL wrong type. */
int ctl_zone_lookup_addr(const struct ctl_zone *z, int family, const uint8_t addr[16],
			 struct ctl_zone_answer *ret);
/* dnset: 1 listed, 0 not listed, -EINVAL wrong type. Case-insensitive. */
int ctl_zone_lookup_name(const struct ctl_zone *z, const char *name,
			 struct ctl_zone_answer *ret);
size_t ctl_zone_entries(const struct ctl_zone *z);

#endif
