/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * cli_conn: mxscreenctl's client side of the control socket
 * (docs/control-protocol.md): one connection per request, one request line
 * out, one response line back, parsed and checked, and the outcome as
 * mxscreenctl's exit status. Does not print; the reason for a status that
 * is not CLI_EXIT_OK is a line in the caller's buffer. Sends use
 * MSG_NOSIGNAL (a daemon that hangs up is a status, not a signal).
 * Single-threaded.
 */
#ifndef CLI_CONN_H
#define CLI_CONN_H

#include <stddef.h>

#include "ctl_json.h"

/* mxscreenctl's exit statuses. */
enum cli_exit {
	CLI_EXIT_OK = 0,
	CLI_EXIT_NOT_FOUND = 1,      /* the daemon's not_found */
	CLI_EXIT_USAGE = 2,          /* bad usage, bad config, the daemon's bad_request */
	CLI_EXIT_UNREACHABLE = 3,    /* cannot connect, or hung up before answering */
	CLI_EXIT_FAILED = 4,         /* the daemon's failed, no answer in time, not the protocol */
};

/* The largest response line read, and the most values parsed from it. */
#define CLI_CONN_RESPONSE_MAX ((size_t)256 << 20)
#define CLI_CONN_RESPONSE_NODES ((size_t)1 << 24)

/*
 * One round trip to the daemon on @sock: @req, one JSON object, gets its
 * newline and is sent (and freed here, whatever happens); the answer line
 * is awaited for at most @timeout_s seconds and parsed.
 * No answer: *ret NULL and CLI_EXIT_USAGE (request too large),
 * CLI_EXIT_UNREACHABLE or CLI_EXIT_FAILED, the reason in @err.
 * An answer (a JSON object with a boolean "ok"): *ret, for the caller to
 * free, and its status: CLI_EXIT_OK with @err "", else CLI_EXIT_NOT_FOUND
 * (status not_found), CLI_EXIT_USAGE (bad_request) or CLI_EXIT_FAILED,
 * with the daemon's error (control characters blanked) in @err.
 */
int cli_conn_call(const char *sock, int timeout_s, struct ctl_jw *req, struct ctl_jdoc **ret,
		  char *err, size_t errlen);

#endif
