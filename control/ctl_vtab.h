/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ctl_vtab: mxscreend's table of current verdicts, the one the sinks (BPF
 * maps, dataplane mirror) are fed from and the CLI lists, gets, adds,
 * deletes and flushes. Owns its entries; main thread only (no locks);
 * pointers it hands out are valid until the next modifying call (put, del,
 * expire, load, free).
 *
 * Keys: family (4|6), prefix_len, addr with every bit beyond the prefix
 * zero (IPv4 in addr[0..3], addr[4..15] zero). Host keys are v4 /32, v6
 * /128 and v6 /64; policy entries must have one. Manual entries may also
 * be CIDRs (any other prefix), at most max_cidrs of them.
 *
 * An entry is expired when expiry_ns < now_ns, as the BPF programs judge;
 * UINT64_MAX never expires. Expired entries stay until ctl_vtab_expire()
 * hands them back (or eviction reuses their room) but get, match and
 * collect skip them, and put over an expired entry counts as a first put.
 *
 * Memory: at most max_entries entries (about 220 B each) plus an
 * open-addressing hash of 4 B per slot (load <= 1/2) and two expiry
 * min-heaps (policy, manual) of 4 B per entry; arrays start small and
 * double up to that bound. CIDRs live in a list sorted by prefix length,
 * longest first, scanned by ctl_vtab_match(): O(max_cidrs), fine for the
 * few thousand an operator sets by hand. The hash is SipHash-1-3 keyed
 * with random bytes, so client addresses cannot be chosen to collide.
 *
 * Keys as text and the manual-verdicts file: ctl_vtab_file.h.
 */
#ifndef CTL_VTAB_H
#define CTL_VTAB_H

#include <stddef.h>
#include <stdint.h>

#include <mxscreen/link.h>
#include <mxscreen/verdict.h>

enum ctl_vtab_source { CTL_VTAB_POLICY = 0, CTL_VTAB_MANUAL = 1 };

#define CTL_VTAB_REASON_SIZE 128

struct ctl_vtab_entry {
	/* key: v.family (4|6), v.prefix_len, v.addr (host bits beyond prefix
	 * zero); expiry_ns CLOCK_REALTIME, UINT64_MAX = never */
	struct mxs_verdict v;
	uint8_t source;               /* enum ctl_vtab_source */
	uint64_t created_ns;          /* CLOCK_REALTIME, first put of this key */
	uint64_t updated_ns;          /* last put */
	uint32_t updates;             /* puts of this key (saturates) */
	char reason[CTL_VTAB_REASON_SIZE]; /* manual: operator's text; policy: "dnsbl:zen.example,no_ptr" */
};

struct ctl_vtab_params {
	size_t max_entries;           /* total, incl. manual; e.g. 1<<20; 1 .. 1<<28 */
	size_t max_cidrs;             /* manual non-host keys; e.g. 4096; <= max_entries */
};

struct ctl_vtab_stats {
	size_t entries;               /* held, expired or not */
	size_t manual;
	size_t cidrs;
	size_t capacity;              /* allocated slots, <= max_entries */
	uint64_t evicted;             /* to make room, since create */
	uint64_t expired;             /* handed back by ctl_vtab_expire() */
};

/* NULL with errno (EINVAL bad params, ENOMEM). */
struct ctl_vtab *ctl_vtab_create(const struct ctl_vtab_params *p);
/* NULL is a no-op. */
void ctl_vtab_free(struct ctl_vtab *t);

/*
 * Insert or replace the entry with e's key: created_ns kept on replace
 * (unless the old entry had expired), updates++, updated_ns = now_ns; the
 * table sets those three and ignores e's. reason is NUL-terminated here.
 * A POLICY entry never replaces an unexpired MANUAL one: -EPERM.
 * Table full: evicts an expired entry if the soonest-expiring policy or
 * manual one is, else the policy entry expiring soonest (O(log n));
 * -ENOSPC when only manual entries are left, or for a new CIDR beyond
 * max_cidrs. -EINVAL for a bad key (family, prefix length, host bits set,
 * a policy entry whose key is not a host key), action out of range or NONE,
 * would_be out of range, source unknown. -ENOMEM when growing fails.
 */
int ctl_vtab_put(struct ctl_vtab *t, const struct ctl_vtab_entry *e, uint64_t now_ns);
/* Same; when ret_evicted is not NULL it gets the entry evicted to make
 * room, or v.family 0 when none was (the caller may tell the sinks). */
int ctl_vtab_put_ex(struct ctl_vtab *t, const struct ctl_vtab_entry *e, uint64_t now_ns,
		    struct ctl_vtab_entry *ret_evicted);

/* Exact key (addr[4..15] ignored for v4). NULL when absent or expired. */
const struct ctl_vtab_entry *ctl_vtab_get(const struct ctl_vtab *t, int family, int prefix_len,
					  const uint8_t addr[16], uint64_t now_ns);

/* What applies to a host address: the host key (v4 /32, v6 /128), then
 * v6 /64, then the longest manual CIDR covering it; expired entries
 * skipped. NULL when nothing applies. */
const struct ctl_vtab_entry *ctl_vtab_match(const struct ctl_vtab *t, int family,
					    const uint8_t addr[16], uint64_t now_ns);

/* Remove the exact key, expired or not; the old entry copied to *ret_old
 * when not NULL. 0 or -ENOENT. */
int ctl_vtab_del(struct ctl_vtab *t, int family, int prefix_len, const uint8_t addr[16],
		 struct ctl_vtab_entry *ret_old);

/* Unexpired entries with that action (-1: any) and source (-1: any), up
 * to max pointers into out (NULL when max is 0), in no particular order;
 * returns how many matched in total (may exceed max). O(entries). */
size_t ctl_vtab_collect(const struct ctl_vtab *t, int action, int source, uint64_t now_ns,
			const struct ctl_vtab_entry **out, size_t max);

/* Remove up to max expired entries, soonest expired first per source,
 * copying each into out[]; returns the count. O(k log n) for k removed. */
size_t ctl_vtab_expire(struct ctl_vtab *t, uint64_t now_ns, struct ctl_vtab_entry *out,
		       size_t max);

/* All entries held, including expired ones ctl_vtab_expire() has not yet
 * removed; counts_by_action (may be NULL) likewise, by v.action. O(1). */
size_t ctl_vtab_count(const struct ctl_vtab *t, size_t counts_by_action[MXS_ACTION_COUNT]);

void ctl_vtab_stats(const struct ctl_vtab *t, struct ctl_vtab_stats *ret);

#endif
