/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mxscreend's state, shared by its main loop (mxscreend.c), the control
 * socket commands (ctl_cmd.c) and the stats report (ctl_stats.c). One
 * struct daemon per process, touched by the main thread only.
 */
#ifndef MXSCREEND_H
#define MXSCREEND_H

#include <stdint.h>
#include <stdio.h>

#include "ctl_bpf.h"
#include "ctl_conf.h"
#include "ctl_csock.h"
#include "ctl_dns.h"
#include "ctl_health.h"
#include "ctl_http.h"
#include "ctl_json.h"
#include "ctl_link.h"
#include "ctl_lookup.h"
#include "ctl_sink.h"
#include "ctl_vtab.h"
#include "ctl_zone.h"

#define MXD_BATCH_MAX 4096
#define MXD_MAX_EXPLAINS 16          /* explains in progress at once */
#define MXD_MAX_RELOADS 4            /* rules.reload requests waiting at once */
#define MXD_RELOAD_WAIT_MS 30000
#define CTL_CMD_ID_MAX 128           /* an "id" echoed by a later answer */

struct daemon;

/* One explain in progress: its own lookup (fresh, with TXT and forward
 * addresses), answered when its job is done. */
struct mxd_explain {
	struct daemon *d;
	uint64_t client;                 /* 0: slot free */
	struct ctl_lookup *lookup;
	int finished;                    /* answered: free the lookup next tick */
	char addr[64];
	char id[CTL_CMD_ID_MAX];         /* the request's "id" as JSON text, "" none */
};

/* A rules.reload waiting for every asked dataplane's next snapshot. */
struct mxd_reload {
	uint64_t client;                 /* 0: slot free */
	uint64_t deadline_ms;            /* CLOCK_MONOTONIC */
	size_t n;
	uint64_t ids[CTL_LINK_MAX_PEERS];
	uint64_t base_ok[CTL_LINK_MAX_PEERS], base_failed[CTL_LINK_MAX_PEERS];
	uint64_t base_snap[CTL_LINK_MAX_PEERS];
	char id[CTL_CMD_ID_MAX];
};

struct daemon {
	const char *conf_path;
	struct ctl_conf *conf;
	struct ctl_zone **zones;       /* like conf->local_zones */
	struct ctl_dns *dns;           /* resolvers: PTR, forward A/AAAA */
	struct ctl_dns *list_dns;      /* list_resolvers, or NULL: lists use dns */
	struct ctl_lookup *lookup;
	struct ctl_health *health;     /* probes on list_dns, else dns */
	const char *probe_zones[256];
	uint8_t probe_is_domain[256];
	struct ctl_link *link;
	struct ctl_bpf *bpf;           /* NULL unless bpf = yes */
	struct ctl_csock *csock;       /* control_socket */
	struct ctl_http *http;         /* metrics_listen, or NULL */
	struct ctl_vtab *vtab;         /* the verdicts in force */
	uint64_t last_sweep;
	uint64_t started_ns;           /* CLOCK_REALTIME */
	FILE *vlog;
	struct ctl_sink sinks[4];
	size_t n_sinks;
	struct mxs_verdict batch[MXD_BATCH_MAX];
	size_t n_batch;
	uint64_t verdicts[MXS_ACTION_COUNT];  /* issued by the policy */
	uint64_t policy_overridden;    /* policy verdicts not applied: a manual one rules */
	uint64_t reloads_failed;
	uint64_t obs_dropped;
	struct mxd_explain explains[MXD_MAX_EXPLAINS];
	struct mxd_reload reloads[MXD_MAX_RELOADS];
};

uint64_t mxd_realtime_ns(void);
uint64_t mxd_mono_ms(void);
/* Hand @n verdicts to every sink now (action NONE: delete the key). */
void mxd_sink(struct daemon *d, const struct mxs_verdict *v, size_t n);

/* ctl_cmd.c: the control socket's commands. */
/* A request's "id" as JSON text for an answer given later ("" when it has
 * none; a string or number too long for @len becomes null). */
void ctl_cmd_id(const struct ctl_jnode *req, char *buf, size_t len);
/* Answer @req with {"ok":false,"status":@status,"error":...}; returns 0
 * (answered), for command functions to return. */
__attribute__((format(printf, 5, 6)))
int ctl_cmd_fail(struct daemon *d, uint64_t client, const struct ctl_jnode *req,
		 const char *status, const char *fmt, ...);
/* Start a response object: "ok" and the saved id. */
void ctl_cmd_begin(struct ctl_jw *w, bool ok, const char *id);
int ctl_cmd_line(void *ctx, uint64_t client, const char *line, size_t len);
/* Each loop turn: answer finished reloads, free finished explains,
 * expire verdicts (at most once a second). */
void ctl_cmd_tick(struct daemon *d);
/* Before the DNS clients go (reload, exit): pending explains are answered
 * with an error and their lookups freed. */
void ctl_cmd_abort(struct daemon *d, const char *why);
/* Manual verdicts from manual_verdicts into the table and the sinks. */
void ctl_cmd_restore(struct daemon *d);

/* Hits per rule summed over every dataplane (connected, and those gone),
 * most first, in *ret (free() it; NULL when none or out of memory);
 * returns the count; *loaded: the largest rules_loaded reported. */
size_t ctl_cmd_rule_hits(struct daemon *d, struct mxs_rule_hit **ret, uint32_t *loaded);

/* ctl_explain.c: the explain command (answers later, 1) and its reply. */
int ctl_cmd_explain(struct daemon *d, uint64_t client, const struct ctl_jnode *req);

/* ctl_stats.c: the `stats` object (docs/control-protocol.md), as members
 * of the object open in @w. */
void ctl_stats_write(struct daemon *d, struct ctl_jw *w);
/* The Prometheus exposition of the same, for /metrics. */
int ctl_stats_prometheus(struct daemon *d, struct ctl_jw *out);

#endif
