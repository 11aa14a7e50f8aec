/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ctl_pins: read mxscreen's pinned BPF maps (include/mxscreen/bpf.h) from
 * their pins in a bpf_pin_dir, without the daemon and without loading
 * anything: the stats counters, the live verdicts, the manual static_cidrs
 * entries. For mxscreend's control socket and for mxscreenctl.
 *
 * Stateless: every call opens the pin, reads, closes. Read only, a
 * snapshot as of the walk (entries written or deleted meanwhile may or
 * may not show). Any thread. Returns -errno and never logs: the reason is
 * one line in @err, e.g. "/sys/fs/bpf/mxscreen/stats: not pinned (is
 * enforcement loaded?)" for -ENOENT; a map whose layout is not this
 * build's (an older or newer mxscreen loaded it) is -EPROTO. Needs the
 * rights bpf(2) wants for BPF_OBJ_GET (root, usually: -EPERM/-EACCES).
 */
#ifndef CTL_PINS_H
#define CTL_PINS_H

#include <stddef.h>
#include <sys/types.h>

#include <mxscreen/bpf.h>

/* The per-CPU `stats` counters summed over every possible CPU. */
int ctl_pins_stats(const char *pin_dir, struct mxs_bpf_stats *sum, char *err, size_t errlen);

struct ctl_pins_verdict {
	struct mxs_bpf_addr_key key;
	struct mxs_bpf_verdict v;   /* expiry_ns CLOCK_MONOTONIC, as stored */
};

/*
 * The live `verdicts` entries (expiry_ns not before CLOCK_MONOTONIC now;
 * MXS_BPF_EXPIRY_NEVER included) with action @action, or any action for
 * -1, into @out, in no particular order. When more than @max match, the
 * @max with the most hits are kept (ties broken arbitrarily), so a caller
 * sorting @out by hits gets a true top @max. Returns how many are in @out
 * (0..@max), or -errno.
 */
ssize_t ctl_pins_verdicts(const char *pin_dir, int action, struct ctl_pins_verdict *out,
			  size_t max, char *err, size_t errlen);

struct ctl_pins_cidr {
	struct mxs_bpf_cidr_key key;   /* prefixlen = 32 + CIDR length */
	struct mxs_bpf_cidr_val v;
};

#define CTL_PINS_CIDR_MANUAL 1   /* only manual entries (id & MXS_BPF_CIDR_MANUAL) */
#define CTL_PINS_CIDR_ALL 0      /* configured ones too */

/*
 * The static_cidrs entries (@which: CTL_PINS_CIDR_MANUAL or _ALL) into
 * @out, in no particular order, at most @max of them (room for
 * MXS_BPF_CIDRS_MAX holds them all). Returns how many are in @out, or
 * -errno.
 */
ssize_t ctl_pins_cidrs(const char *pin_dir, int which, struct ctl_pins_cidr *out, size_t max,
		       char *err, size_t errlen);

#endif
