/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * cli_conn: mxscreenctl's request/response round trip on the control
 * socket (see cli_conn.h). A blocking connect and send, then poll()
 * against one deadline for the whole answer; the buffer doubles up to
 * CLI_CONN_RESPONSE_MAX. Single-threaded.
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "cli_conn.h"

static int connect_error(const char *sock, char *err, size_t errlen, int e)
{
	snprintf(err, errlen, "cannot connect to %s: %s (is mxscreend running?)", sock,
		 strerror(e));
	return CLI_EXIT_UNREACHABLE;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Send @req (one line, newline included), read the response line and
 * parse it. CLI_EXIT_OK and *ret (a JSON object with a boolean "ok"), or
 * another exit status and the reason in @err.
 */
static int transact(const char *sock, int timeout_s, const char *req, size_t req_len,
		    struct ctl_jdoc **ret, char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int64_t deadline = now_ms() + (int64_t)timeout_s * 1000;
	size_t len = 0, cap = 0, sent = 0;
	char *buf = NULL, *nl = NULL, perr[160];
	const struct ctl_jnode *root;
	int fd, rc = CLI_EXIT_FAILED;

	if (strlen(sock) >= sizeof(sa.sun_path))
		return connect_error(sock, err, errlen, ENAMETOOLONG);
	memcpy(sa.sun_path, sock, strlen(sock) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return CLI_EXIT_FAILED;
	}
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		rc = connect_error(sock, err, errlen, errno);
		close(fd);
		return rc;
	}
	while (sent < req_len) {
		ssize_t n = send(fd, req + sent, req_len - sent, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(err, errlen, "%s: mxscreend hung up before answering (%s)", sock,
				 strerror(errno));
			rc = CLI_EXIT_UNREACHABLE;
			goto out;
		}
		sent += (size_t)n;
	}
	while (!nl) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		int64_t left = deadline - now_ms();
		ssize_t n;
		int pr;

		if (left <= 0) {
			snprintf(err, errlen, "%s: no answer from mxscreend within %d s", sock,
				 timeout_s);
			goto out;
		}
		pr = poll(&pfd, 1, left > INT_MAX ? INT_MAX : (int)left);
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr < 0) {
			snprintf(err, errlen, "poll: %s", strerror(errno));
			goto out;
		}
		if (!pr)
			continue;
		if (cap - len < 65536) {
			char *nb;

			if (cap >= CLI_CONN_RESPONSE_MAX) {
				snprintf(err, errlen, "%s: response larger than %zu MiB", sock,
					 CLI_CONN_RESPONSE_MAX >> 20);
				goto out;
			}
			nb = realloc(buf, cap ? cap * 2 : 1 << 16);
			if (!nb) {
				snprintf(err, errlen, "out of memory");
				goto out;
			}
			buf = nb;
			cap = cap ? cap * 2 : 1 << 16;
		}
		n = recv(fd, buf + len, cap - len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			snprintf(err, errlen, "%s: mxscreend hung up before answering%s%s%s", sock,
				 n < 0 ? " (" : "", n < 0 ? strerror(errno) : "", n < 0 ? ")" : "");
			rc = CLI_EXIT_UNREACHABLE;
			goto out;
		}
		nl = memchr(buf + len, '\n', (size_t)n);
		len += (size_t)n;
	}
	if (ctl_json_parse(buf, (size_t)(nl - buf), CLI_CONN_RESPONSE_NODES, ret, perr, sizeof(perr)) < 0) {
		snprintf(err, errlen, "%s: bad response: %s", sock, perr);
		goto out;
	}
	root = ctl_jdoc_root(*ret);
	if (root->type != CTL_J_OBJ || !ctl_jget(root, "ok") ||
	    ctl_jget(root, "ok")->type != CTL_J_BOOL) {
		snprintf(err, errlen, "%s: bad response: not an object with \"ok\"", sock);
		ctl_jdoc_free(*ret);
		*ret = NULL;
		goto out;
	}
	rc = CLI_EXIT_OK;
out:
	free(buf);
	close(fd);
	return rc;
}

/* The exit status of an answer; the daemon's error in @err. */
static int answer_status(const struct ctl_jnode *r, char *err, size_t errlen)
{
	const char *status = ctl_jget_str(r, "status", "failed");

	if (ctl_jget_bool(r, "ok", false))
		return CLI_EXIT_OK;
	snprintf(err, errlen, "%s", ctl_jget_str(r, "error", status));
	for (char *s = err; *s; s++)
		if ((unsigned char)*s < 0x20)
			*s = ' ';
	if (!strcmp(status, "not_found"))
		return CLI_EXIT_NOT_FOUND;
	if (!strcmp(status, "bad_request"))
		return CLI_EXIT_USAGE;
	return CLI_EXIT_FAILED;
}

int cli_conn_call(const char *sock, int timeout_s, struct ctl_jw *req, struct ctl_jdoc **ret,
		  char *err, size_t errlen)
{
	int rc;

	*ret = NULL;
	ctl_jw_raw(req, "\n", 1);
	if (ctl_jw_error(req)) {
		snprintf(err, errlen, "request too large");
		ctl_jw_free(req);
		return CLI_EXIT_USAGE;
	}
	rc = transact(sock, timeout_s, req->buf, req->len, ret, err, errlen);
	ctl_jw_free(req);
	if (rc)
		return rc;
	if (errlen)
		err[0] = '\0';
	return answer_status(ctl_jdoc_root(*ret), err, errlen);
}
