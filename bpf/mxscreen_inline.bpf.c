/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * xdp_inline: the kernel half of the inline mode, a transparent L2 bump in
 * the wire between two ports. mxscreen-dp's af_xdp PMD loads this object
 * itself, once per port (devarg xdp_prog=<path of mxscreen_inline.bpf.o>),
 * attaches its first program and puts its AF_XDP sockets into this load's
 * xsks_map, keyed by rx queue id. Prepare the shared maps before that with
 * mxs_inline_prepare() (mxs_inline_load.h, which says how and why).
 *
 * Each frame:
 *   1. mxs_enforce() (mxs_enforce.h), the code xdp_enforce runs, counters
 *      in stats included: XDP_DROP ends here; a tag verdict has rewritten
 *      the DSCP and the frame goes on like any other.
 *   2. TCP to or from an SMTP port (config.smtp_ports, 25 when none; a
 *      client's packets and the server's replies), VLAN/QinQ included (the
 *      parser's walk): into the AF_XDP socket of the rx queue, to_xsk. No
 *      socket on that queue (mxscreen-dp stopped or crashed: closing a
 *      socket removes it from xsks_map): fail open, to step 3 counted
 *      fwd_failopen instead of fwd.
 *   3. Everything else (ARP, other ports, malformed frames, fragments):
 *      XDP_REDIRECT to the peer port, tx_port[ingress ifindex]; the frame
 *      leaves as it came in, VLAN tags and all. No entry for the ingress
 *      port: XDP_PASS to the kernel stack (no_peer), never XDP_ABORTED.
 * Counters per CPU in inline_stats (include/mxscreen/bpf.h).
 *
 * The PMD runs bpf_object__next_program(obj, NULL): this must stay the
 * object's only program. xsks_map is not pinned (each port's load needs
 * its own: keys are queue ids of that port); tx_port is one map for both
 * ports and both loads, keyed by ingress ifindex, so the same object
 * works on either port without load-time settings.
 *
 * Why tx_port is a HASH and the redirect bpf_redirect(), not a DEVMAP and
 * bpf_redirect_map(): tx_port must be pinned to be shared with, and filled
 * before, the PMD's loads, and libbpf before 1.7 cannot reuse a pinned
 * DEVMAP (the kernel reports BPF_F_RDONLY_PROG in a devmap's flags, which
 * creation refuses, so libbpf's compatibility check always fails: fixed by
 * libbpf commit 04a23358, "libbpf: Fix reuse of DEVMAP"; Debian 12 and
 * DPDK 22.11 use 1.1). Since Linux 5.6, bpf_redirect() from XDP takes the
 * devmap's bulk-enqueue path (dev_xdp_enqueue), so the cost is one ifindex
 * lookup either way. What a devmap did that this does not: drop the entry
 * of an interface that goes away. A stale ifindex makes the redirect fail
 * (the kernel drops the frame, tracepoint xdp:xdp_redirect_err);
 * mxs_inline_prepare() rewrites both entries at each start.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "mxs_parse.h"
#include "mxs_maps.h"
#include "mxs_enforce.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

struct {
	__uint(type, BPF_MAP_TYPE_XSKMAP);
	__uint(max_entries, MXS_BPF_XSKS_MAX);
	__type(key, __u32);
	__type(value, __u32);
} xsks_map SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MXS_BPF_TX_PORTS_MAX);
	__type(key, __u32);
	__type(value, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} tx_port SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct mxs_bpf_inline_stats);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} inline_stats SEC(".maps");

SEC("xdp")
int xdp_inline(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct mxs_bpf_inline_stats *ist;
	__u32 zero = 0, in, *peer;
	struct mxs_enforced e;
	int smtp = 0;

	if (mxs_enforce(data, end, &e) == XDP_DROP)
		return XDP_DROP;
	ist = bpf_map_lookup_elem(&inline_stats, &zero);
	if (!ist)
		return XDP_PASS;        /* cannot happen: an array's key 0 */

	if (e.parse == MXS_PARSE_TCP && e.cfg)
		smtp = mxs_smtp_port(e.cfg, e.p.dport) || mxs_smtp_port(e.cfg, e.p.sport);
	/* flags = the action for a missing key: XDP_PASS means no socket */
	if (smtp && bpf_redirect_map(&xsks_map, ctx->rx_queue_index, XDP_PASS) == XDP_REDIRECT) {
		ist->to_xsk++;
		return XDP_REDIRECT;
	}
	in = ctx->ingress_ifindex;
	peer = bpf_map_lookup_elem(&tx_port, &in);
	if (!peer) {
		ist->no_peer++;
		return XDP_PASS;
	}
	if (smtp)
		ist->fwd_failopen++;
	else
		ist->fwd++;
	return (int)bpf_redirect(*peer, 0);
}
