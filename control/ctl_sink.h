/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ctl_sink: where verdicts go. mxscreend hands each batch of verdicts to
 * every sink in one call: the dataplane mirror (ctl_link_send), and the
 * pinned BPF maps. Sinks must not block; main thread only.
 */
#ifndef CTL_SINK_H
#define CTL_SINK_H

#include <stddef.h>

#include <mxscreen/link.h>

struct ctl_sink {
	void (*write)(void *ctx, const struct mxs_verdict *v, size_t n);
	void *ctx;
};

#endif
