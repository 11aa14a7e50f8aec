/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * xdp_enforce: mxscreen's enforcement point in tap mode (attached by
 * mxscreend, ctl_bpf.c). Every frame goes through mxs_enforce() (the
 * semantics, one definition for this program and xdp_inline, are in
 * mxs_enforce.h): dropped or passed to the stack, nothing else. Counters
 * in stats, per CPU; the maps of mxs_maps.h, pinned by name.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "mxs_parse.h"
#include "mxs_maps.h"
#include "mxs_enforce.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

SEC("xdp")
int xdp_enforce(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct mxs_enforced e;

	return mxs_enforce(data, end, &e);
}
