/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ctl_link: mxscreend's end of the dataplane link (include/mxscreen/link.h):
 * a unix stream socket at dataplane_socket that mxscreen-dp instances
 * connect to. Reads observation batches (bounded buffers; a malformed
 * message closes that connection and is counted), and sends verdict
 * batches to every connected dataplane without ever blocking the daemon (a
 * peer that cannot take a batch loses it, counted; one that takes part of
 * one gets the rest when it drains, never a message cut short). Keeps each dataplane's
 * last stats snapshot and rule hits (MXS_MSG_DP_STATS, MXS_MSG_RULE_HITS)
 * and asks them to reload rules (MXS_MSG_RULES_RELOAD). Main thread only.
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

/* What one connected dataplane last reported. */
struct ctl_link_peer {
	uint64_t id;                     /* unique per connection, never reused */
	uint64_t snapshots;              /* DP_STATS received; 0: no stats yet */
	struct mxs_dp_stats stats;       /* the last one */
	uint32_t n_hits;                 /* rule hits received since it */
	const struct mxs_rule_hit *hits;
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
/* What the dataplanes that have disconnected since ctl_link_create last
 * reported, summed (counters; rule hits merged by id). */
struct ctl_link_departed {
	uint64_t count;                  /* dataplanes that had sent stats */
	struct mxs_dp_stats stats;       /* summed; reload_error: the last one seen */
	uint32_t n_hits;
	const struct mxs_rule_hit *hits;
};
const struct ctl_link_departed *ctl_link_departed(const struct ctl_link *l);
/* Add @s's counters to @sum (not flows_active, a gauge, nor rules_loaded;
 * reload_error: the last non-empty one). */
void ctl_link_stats_add(struct mxs_dp_stats *sum, const struct mxs_dp_stats *s);

/* The connected dataplanes, up to @max; returns how many. */
size_t ctl_link_peers(const struct ctl_link *l, const struct ctl_link_peer **out, size_t max);
/* Ask every connected dataplane to reload its rules; the ids of those
 * asked go to @ids (up to @max). Returns how many were asked. */
size_t ctl_link_reload(struct ctl_link *l, uint64_t *ids, size_t max);

#endif
