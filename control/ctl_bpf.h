/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ctl_bpf: mxscreend's loader and writer for the kernel enforcement
 * programs (bpf/: xdp_enforce, tc_tag) and their pinned maps
 * (include/mxscreen/bpf.h).
 *
 * Owns: the two loaded BPF objects (skeletons) and the map fds borrowed
 * from them. It does NOT own what it leaves in the kernel on purpose:
 * the maps pinned by name in bpf_pin_dir (reused, with their contents, by
 * the next ctl_bpf_create on the same directory, so verdicts survive a
 * restart), the programs pinned there as xdp_enforce and tc_tag, and the
 * netlink XDP and TC attachments, which outlive the process (a crash
 * never detaches). ctl_bpf_close frees the process side only.
 *
 * Returns -errno and never logs: errors come back as one line in @err
 * (libbpf's own first warning appended where it has one). Main thread
 * only (libbpf's print callback is swapped while loading).
 */
#ifndef CTL_BPF_H
#define CTL_BPF_H

#include <stddef.h>
#include <stdint.h>

#include <mxscreen/bpf.h>
#include <mxscreen/link.h>

#include "ctl_conf.h"

/* tc_tag's filter on clsact ingress: a handle and priority nobody picks
 * by chance ("MX"), so another tool's filters are never replaced. */
#define CTL_BPF_TC_HANDLE 0x4d58u
#define CTL_BPF_TC_PRIORITY 0x4d58u

struct ctl_bpf;

struct ctl_bpf_params {
	/* bpf_pin_dir, xdp_interfaces, xdp_mode, tc_interfaces, the config
	 * map's values (smtp_ports, tag_dscp, tag_mark, throttle_*, shadow),
	 * allow_cidrs and deny_cidrs. Read during the call only. */
	const struct ctl_conf *conf;
};

struct ctl_bpf_counters {
	uint64_t written;          /* verdicts entries written */
	uint64_t cidrs_written;    /* manual static_cidrs entries written */
	uint64_t deleted;          /* entries deleted by an action-none verdict */
	uint64_t failed;           /* malformed, refused by the kernel (map full),
				    * or a manual CIDR on a configured one */
	uint64_t batch_calls;      /* bpf_map_update_batch calls */
	uint64_t single_calls;     /* per-element updates (no batch support, or retries) */
	uint64_t swept;            /* expired verdicts deleted by ctl_bpf_sweep */
	uint64_t sweep_scanned;    /* entries the sweep looked at */
	uint64_t sweep_rounds;     /* complete passes of the sweep over the map */
	uint64_t sweep_errors;     /* lookups or deletes the kernel refused */
	uint64_t hint_words;       /* cidr_hint words written (changed ones only) */
	uint64_t hint_ns;          /* time the last static CIDR sync spent on cidr_hint */
};

/*
 * Create @p->conf->bpf_pin_dir if missing; open and load both objects with
 * their maps pinned there (reusing pins a previous run left); pin the
 * programs (replacing stale pins); then ctl_bpf_configure. 0 and the
 * handle in @ret_h, or -errno with the reason in @err and nothing loaded.
 */
int ctl_bpf_create(const struct ctl_bpf_params *p, struct ctl_bpf **ret_h,
		   char *err, size_t errlen);

/*
 * Apply @c (its bpf_pin_dir must be the handle's; see ctl_bpf_pin_dir):
 * write the config map, sync static_cidrs with allow_cidrs/deny_cidrs
 * (configured entries no longer configured removed; manual entries, see
 * ctl_bpf_write, left alone unless a configured CIDR takes their key) and
 * its prefilter cidr_hint (bits set before trie entries are added,
 * cleared after they are deleted, manual entries' bits kept;
 * config.cidr_hint is 1 once the bitmap is known good), attach XDP and TC to the listed
 * interfaces and detach this pin directory's programs from any other
 * interface. A missing interface fails before anything changes; a program
 * that is not mxscreen's on a listed interface is refused, never
 * replaced. Used at create and on every config reload.
 */
int ctl_bpf_configure(struct ctl_bpf *h, const struct ctl_conf *c, char *err, size_t errlen);

/*
 * The verdict sink (struct ctl_sink): @ctx is the struct ctl_bpf. Applies
 * @n verdicts in order, never failing as a whole (counts written,
 * cidrs_written, deleted and failed):
 *  - IPv4 /32, IPv6 /64 and /128 go into `verdicts` (host bits cleared),
 *    expiry converted from CLOCK_REALTIME to CLOCK_MONOTONIC, in batches
 *    where the kernel supports them; expiry_ns UINT64_MAX means never
 *    (stored as MXS_BPF_EXPIRY_NEVER, which the sweep keeps). A rewrite
 *    replaces the value: its hits start again at 0.
 *  - Any other prefix length (0..32, 0..128) is a manual static_cidrs
 *    entry (id MXS_BPF_CIDR_MANUAL, any action, shadow kept), its
 *    cidr_hint bits set before it is added. expiry_ns is ignored: such
 *    entries never expire in the kernel, the caller deletes them. One
 *    whose key is a configured allow/deny CIDR's is refused (failed).
 *  - action MXS_ACTION_NONE deletes the key from the map it would go to
 *    (a missing key is not an error; a configured CIDR is not deleted:
 *    failed). A call that deleted manual CIDRs then clears the cidr_hint
 *    bits no entry needs any more (one walk of static_cidrs).
 */
void ctl_bpf_write(void *ctx, const struct mxs_verdict *v, size_t n);

/*
 * Delete expired verdicts, looking at no more than @max entries from where
 * the previous call stopped (call it every second). Never-expiring ones
 * (MXS_BPF_EXPIRY_NEVER) stay; static_cidrs is not swept. Returns how many
 * were deleted, or -errno.
 */
int ctl_bpf_sweep(struct ctl_bpf *h, size_t max);

/* The per-CPU `stats` counters summed over every possible CPU. */
int ctl_bpf_stats(struct ctl_bpf *h, struct mxs_bpf_stats *sum);

const struct ctl_bpf_counters *ctl_bpf_counters(const struct ctl_bpf *h);
const char *ctl_bpf_pin_dir(const struct ctl_bpf *h);
/* Where the programs are attached, e.g. "xdp_enforce on eth0 (native);
 * tc_tag on eth0", for the daemon's start and reload lines. */
const char *ctl_bpf_summary(const struct ctl_bpf *h);

/* Free the skeletons; pins, maps and attachments stay. NULL is a no-op. */
void ctl_bpf_close(struct ctl_bpf *h);

#endif
