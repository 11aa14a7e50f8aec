/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ctl_link: mxscreend's end of the dataplane link (include/mxscreen/link.h):
 * a unix stream socket at dataplane_socket that mxscreen-dp instances
 * connect to. Reads observation batches (bounded buffers; a malformed
 * message closes that connection and is counted), and sends verdict
 * batches to every connected dataplane without ever blocking the daemon (a
 * peer that cannot take a batch loses it, counted). Main thread only.
 */
#ifndef CTL_LINK_H
#define CTL_LINK_H

#include <poll.h>
#include <stddef.h>
#include <stdint.h>

#include <mxscreen/link.h>

#define CTL_LINK_MAX_PEERS 16

struct ctl_link;

struct ctl_link_stats {
	uint64_t connects;
	uint64_t observations;
	uint64_t bad_messages;
	uint64_t verdicts_sent;
	uint64_t verdicts_dropped;
	uint32_t peers;
};

typedef void (*ctl_link_obs_fn)(void *ctx, const struct mxs_observation *o);

/* Bind @path (a stale socket file is replaced), mode 0660. NULL + @err on failure. */
struct ctl_link *ctl_link_create(const char *path, char *err, size_t errlen);
void ctl_link_free(struct ctl_link *l);   /* closes, unlinks the socket file */

int ctl_link_pollfds(struct ctl_link *l, struct pollfd *fds, int max);
void ctl_link_process(struct ctl_link *l, const struct pollfd *fds, int n,
		      ctl_link_obs_fn fn, void *ctx);
/* A verdict sink: send @n verdicts to every peer. */
void ctl_link_send(void *link, const struct mxs_verdict *v, size_t n);
const struct ctl_link_stats *ctl_link_stats(const struct ctl_link *l);

#endif
