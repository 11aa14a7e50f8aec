/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mxs_inline_load: prepares the kernel side of the inline mode for
 * mxscreen-dp before its af_xdp PMD loads bpf/mxscreen_inline.bpf.o.
 * libbpf only (no mxscreend, no DPDK); this header includes neither, so a
 * translation unit with <pcap/pcap.h> or DPDK may include it. Main thread,
 * before the inline ports' rx queues are set up (the PMD loads the program
 * in rte_eth_rx_queue_setup). Returns -errno and writes a one-line reason
 * to err; never logs.
 *
 * What the af_xdp PMD of DPDK 22.11 does with xdp_prog=PATH
 * (drivers/net/af_xdp/rte_eth_af_xdp.c, load_custom_xdp_prog and
 * compat.h's load_program), once per port, at its first rx queue setup:
 *   obj = bpf_object__open_file(PATH, NULL);   no opts: pin root /sys/fs/bpf
 *   bpf_object__load(obj);                     maps pinned by name are
 *                                              reused from /sys/fs/bpf/NAME,
 *                                              or created and pinned there
 *   prog = bpf_object__next_program(obj, NULL) the FIRST program
 *   map = bpf_object__find_map_by_name(obj, "xsks_map");
 *   bpf_xdp_attach(ifindex, prog_fd, XDP_FLAGS_UPDATE_IF_NOEXIST, NULL);
 *                                              no mode flag: native if the
 *                                              driver has it, else generic;
 *                                              EBUSY if any program is on
 *                                              the port already
 * then for each queue: xsk_socket__create() with
 * XSK_LIBBPF_FLAGS__INHIBIT_PROG_LOAD (libxdp loads nothing) and
 * bpf_map_update_elem(xsks_map, &queue_id, &xsk_fd). It never closes the
 * object; eth_dev_close() detaches whatever program is on the port. It
 * has no devarg for a pin directory, a pinned program or a pinned
 * xsks_map in 22.11 (use_pinned_map/dp_path came later, for the AF_XDP
 * device plugin).
 *
 * Consequences, and what this module does about them:
 *  - The enforcement maps are shared only through LIBBPF_PIN_BY_NAME with
 *    the pin root /sys/fs/bpf: the PMD's load reuses /sys/fs/bpf/verdicts
 *    and so on. mxscreend pins under bpf_pin_dir (/sys/fs/bpf/mxscreen).
 *    mxs_inline_prepare() therefore loads the object once itself with
 *    pin_root_path = pin_dir (reusing mxscreend's maps, contents and all,
 *    or creating and pinning them there for mxscreend to reuse later, as
 *    ctl_bpf.c does; this also runs the verifier before DPDK starts),
 *    then pins every pinned map of the object a second time under
 *    /sys/fs/bpf/NAME: two names, one map (verdicts, static_cidrs,
 *    throttle, stats, config, cidr_hint, tx_port, inline_stats). A name
 *    there that holds a map of the same type and sizes (a previous run's
 *    alias) is replaced; anything else is refused (-EEXIST), never
 *    overwritten. Aliases are left in place at exit: they are only names.
 *  - A dataplane that would rather add no names to the bpffs root can,
 *    before any thread starts, unshare(CLONE_NEWNS), make / a slave or
 *    private mount and bind-mount pin_dir on /sys/fs/bpf, then call
 *    mxs_inline_prepare(obj, "/sys/fs/bpf", ...): pin_dir and the PMD's
 *    root are then one directory (compared by device and inode) and no
 *    alias is made.
 *  - xsks_map is not pinned: each port's load has its own, filled by the
 *    PMD. tx_port is pinned and keyed by ingress ifindex, so one map
 *    serves both loads; this (re)writes tx_port[if_a] = if_b and
 *    tx_port[if_b] = if_a (ifindexes of this network namespace).
 *  - The PMD attaches with UPDATE_IF_NOEXIST, so a program left on a port
 *    by a crashed mxscreen-dp (it keeps forwarding, failing open) would
 *    make the restart fail: a program named xdp_inline on if_a or if_b is
 *    detached, last, after everything else succeeded (ports forward
 *    nothing from then until the PMD attaches). Any other XDP program
 *    there (xdp_enforce of mxscreend included: do not give mxscreend the
 *    inline ports) is an error, -EBUSY, found before anything changed.
 *  - The egress ports must take XDP_REDIRECT frames (ndo_xdp_xmit:
 *    drivers with native XDP; a veth only when its peer has an XDP
 *    program or GRO on). Frames the egress port cannot take are dropped by
 *    the kernel (xdp:xdp_redirect_err tracepoint), not counted here.
 *  - tx_port is a HASH read with bpf_redirect(), not a DEVMAP: libbpf
 *    before 1.7 (DPDK 22.11's here is 1.1) cannot reuse a pinned DEVMAP;
 *    see mxscreen_inline.bpf.c.
 */
#ifndef MXS_INLINE_LOAD_H
#define MXS_INLINE_LOAD_H

#include <stddef.h>

/* libbpf's default pin root, the one the af_xdp PMD's load uses. */
#define MXS_INLINE_PMD_ROOT "/sys/fs/bpf"
/* The program's name: what mxs_inline_prepare() detaches as stale. */
#define MXS_INLINE_PROG_NAME "xdp_inline"

/* Prepare pin_dir (created if missing; must be on bpffs) and the ports
 * if_a, if_b (ifindexes, distinct) for the PMD to load obj_path, as
 * described above. Idempotent: calling it again before each start of
 * mxscreen-dp is the intended use. */
int mxs_inline_prepare(const char *obj_path, const char *pin_dir, int if_a, int if_b,
		       char *err, size_t errlen);

/* mkdir -p @dir (mode 0700), which must end up on a bpf filesystem: 0, or
 * -errno with "@what DIR: reason" in @err. Shared with mxscreend's loader
 * (control/ctl_bpf.c), which names it "bpf_pin_dir". */
int mxs_pin_dir_make(const char *dir, const char *what, char *err, size_t errlen);

#endif
