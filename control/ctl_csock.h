/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ctl_csock: mxscreend's control socket server (docs/control-protocol.md):
 * a unix stream socket, mode 0660 and an optional group, carrying
 * newline-framed requests and responses. It frames only; what a line means
 * is the on_line callback's business.
 *
 * Bounded: at most max_clients connections (more are closed at once), a
 * request line of at most CTL_CSOCK_LINE_MAX bytes (longer: an error reply,
 * then the connection is closed), at most CTL_CSOCK_OUT_MAX bytes of
 * responses waiting for a client that does not read (more: it is dropped).
 * Never blocks. Responses go out in request order: when on_line returns 1
 * (it will answer later, by client id) no further line of that client is
 * read until ctl_csock_reply. Client ids are never reused, so a late reply
 * to a client that left is dropped. Main thread only.
 */
#ifndef CTL_CSOCK_H
#define CTL_CSOCK_H

#include <poll.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define CTL_CSOCK_LINE_MAX 65536
#define CTL_CSOCK_OUT_MAX (16u << 20)

struct ctl_csock;

/* One request line (without its newline, NUL-terminated at @len). Return
 * 0 after replying with ctl_csock_reply, 1 to reply later. */
typedef int (*ctl_csock_line_fn)(void *ctx, uint64_t client, const char *line, size_t len);

struct ctl_csock_params {
	const char *path;
	const char *group;      /* "" or NULL: leave the group alone */
	size_t max_clients;     /* 0: 64 */
	ctl_csock_line_fn on_line;
	void *ctx;
};

struct ctl_csock_stats {
	uint64_t accepted;
	uint64_t refused;       /* over max_clients */
	uint64_t requests;
	uint64_t too_long;      /* request lines over the limit */
	uint64_t slow_dropped;  /* clients dropped for not reading */
	uint32_t clients;
};

/* Bind (a stale socket file is replaced), chmod 0660, chgrp. NULL and the
 * reason in @err. */
struct ctl_csock *ctl_csock_create(const struct ctl_csock_params *p, char *err, size_t errlen);
void ctl_csock_free(struct ctl_csock *s);   /* closes all, unlinks the socket */

int ctl_csock_pollfds(struct ctl_csock *s, struct pollfd *fds, int max);
void ctl_csock_process(struct ctl_csock *s, const struct pollfd *fds, int n);

/* Queue @len bytes (one response, newline included) for @client and let
 * its next request in. 0, -ENOENT (gone: dropped) or -ENOBUFS (it was
 * not reading: disconnected). */
int ctl_csock_reply(struct ctl_csock *s, uint64_t client, const char *buf, size_t len);

const struct ctl_csock_stats *ctl_csock_stats(const struct ctl_csock *s);

#endif
