/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ctl_http: /metrics over HTTP (see ctl_http.h).
 */
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ctl_http.h"

#define MAX_CONNS 16
#define HEAD_MAX 8192
#define HEAD_TIMEOUT_MS 10000
#define CONN_TIMEOUT_MS 30000  /* head and response together */
#define BODY_MAX (64u << 20)

struct conn {
	int fd;                 /* -1: free */
	uint64_t since_ms;
	size_t in_len;
	char in[HEAD_MAX];
	char *out;              /* response being written */
	size_t out_len, out_off;
};

struct ctl_http {
	int lfd;
	ctl_http_body_fn body;
	void *ctx;
	uint64_t requests;
	struct conn c[MAX_CONNS];
};

struct ctl_http *ctl_http_create(const char *listen_on, ctl_http_body_fn body, void *ctx,
				 char *err, size_t errlen)
{
	struct ctl_http *h = calloc(1, sizeof(*h));
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE };
	struct addrinfo *ai = NULL;
	char host[64];
	const char *colon = strrchr(listen_on, ':');
	size_t hl;
	int one = 1, rc;

	if (!h) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	h->body = body;
	h->ctx = ctx;
	h->lfd = -1;
	for (int i = 0; i < MAX_CONNS; i++)
		h->c[i].fd = -1;
	hl = colon ? (size_t)(colon - listen_on) : 0;
	if (!colon || hl >= sizeof(host)) {
		snprintf(err, errlen, "metrics_listen %s: not ADDR:PORT", listen_on);
		goto fail;
	}
	if (listen_on[0] == '[') {
		memcpy(host, listen_on + 1, hl - 2);
		host[hl - 2] = '\0';
	} else {
		memcpy(host, listen_on, hl);
		host[hl] = '\0';
	}
	rc = getaddrinfo(host, colon + 1, &hints, &ai);
	if (rc) {
		snprintf(err, errlen, "metrics_listen %s: %s", listen_on, gai_strerror(rc));
		goto fail;
	}
	h->lfd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (h->lfd < 0 || setsockopt(h->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(h->lfd, ai->ai_addr, ai->ai_addrlen) < 0 || listen(h->lfd, 16) < 0) {
		snprintf(err, errlen, "metrics_listen %s: %s", listen_on, strerror(errno));
		goto fail;
	}
	freeaddrinfo(ai);
	return h;
fail:
	if (ai)
		freeaddrinfo(ai);
	if (h->lfd >= 0)
		close(h->lfd);
	free(h);
	return NULL;
}

static void conn_close(struct conn *c)
{
	close(c->fd);
	free(c->out);
	c->out = NULL;
	c->fd = -1;
	c->in_len = c->out_len = c->out_off = 0;
}

void ctl_http_free(struct ctl_http *h)
{
	if (!h)
		return;
	for (int i = 0; i < MAX_CONNS; i++)
		if (h->c[i].fd >= 0)
			conn_close(&h->c[i]);
	close(h->lfd);
	free(h);
}

int ctl_http_pollfds(struct ctl_http *h, struct pollfd *fds, int max)
{
	int n = 0;

	if (max < 1)
		return 0;
	fds[n++] = (struct pollfd){ .fd = h->lfd, .events = POLLIN };
	for (int i = 0; i < MAX_CONNS && n < max; i++)
		if (h->c[i].fd >= 0)
			fds[n++] = (struct pollfd){ .fd = h->c[i].fd,
						    .events = h->c[i].out ? POLLOUT : POLLIN };
	return n;
}

static void respond(struct ctl_http *h, struct conn *c, int code, const char *reason,
		    const char *type, const char *body, size_t blen)
{
	char head[256];
	int hn = snprintf(head, sizeof(head),
			  "HTTP/1.0 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
			  "Connection: close\r\n\r\n", code, reason, type, blen);

	c->out = malloc((size_t)hn + blen);
	if (!c->out) {
		conn_close(c);
		return;
	}
	memcpy(c->out, head, (size_t)hn);
	memcpy(c->out + hn, body, blen);
	c->out_len = (size_t)hn + blen;
	c->out_off = 0;
	h->requests++;
}

/* A complete request head is in: answer it. */
static void handle(struct ctl_http *h, struct conn *c)
{
	char method[16], path[256];
	struct ctl_jw w;

	if (sscanf(c->in, "%15s %255s", method, path) != 2) {
		respond(h, c, 400, "Bad Request", "text/plain", "bad request\n", 12);
		return;
	}
	if (strcmp(method, "GET") && strcmp(method, "HEAD")) {
		respond(h, c, 405, "Method Not Allowed", "text/plain", "GET only\n", 9);
		return;
	}
	if (strcmp(path, "/metrics") && strncmp(path, "/metrics?", 9)) {
		respond(h, c, 404, "Not Found", "text/plain", "try /metrics\n", 13);
		return;
	}
	ctl_jw_init(&w, BODY_MAX);
	h->body(h->ctx, &w);
	if (ctl_jw_error(&w))
		respond(h, c, 500, "Internal Server Error", "text/plain", "error\n", 6);
	else
		respond(h, c, 200, "OK", "text/plain; version=0.0.4; charset=utf-8",
			w.buf ? w.buf : "", strcmp(method, "HEAD") ? w.len : 0);
	ctl_jw_free(&w);
}

void ctl_http_process(struct ctl_http *h, uint64_t now_ms)
{
	int fd;

	while ((fd = accept4(h->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
		int i;

		for (i = 0; i < MAX_CONNS && h->c[i].fd >= 0; i++)
			;
		if (i == MAX_CONNS) {
			close(fd);
			continue;
		}
		h->c[i].fd = fd;
		h->c[i].since_ms = now_ms;
	}
	for (int i = 0; i < MAX_CONNS; i++) {
		struct conn *c = &h->c[i];
		ssize_t r;

		if (c->fd < 0)
			continue;
		if (!c->out) {
			r = recv(c->fd, c->in + c->in_len, sizeof(c->in) - 1 - c->in_len, MSG_DONTWAIT);
			if (r > 0) {
				c->in_len += (size_t)r;
				c->in[c->in_len] = '\0';
				if (strstr(c->in, "\r\n\r\n") || strstr(c->in, "\n\n"))
					handle(h, c);
				else if (c->in_len == sizeof(c->in) - 1)
					respond(h, c, 431, "Request Header Fields Too Large",
						"text/plain", "too large\n", 10);
			} else if (r == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) {
				conn_close(c);
				continue;
			}
			if (c->fd >= 0 && !c->out && now_ms - c->since_ms > HEAD_TIMEOUT_MS) {
				conn_close(c);
				continue;
			}
		}
		/* A client that does not read its answer loses its slot. */
		if (c->fd >= 0 && now_ms - c->since_ms > CONN_TIMEOUT_MS) {
			conn_close(c);
			continue;
		}
		if (c->fd >= 0 && c->out) {
			ssize_t w = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
					 MSG_DONTWAIT | MSG_NOSIGNAL);

			if (w > 0)
				c->out_off += (size_t)w;
			if ((w < 0 && errno != EAGAIN && errno != EWOULDBLOCK) ||
			    c->out_off == c->out_len)
				conn_close(c);
		}
	}
}

uint64_t ctl_http_requests(const struct ctl_http *h)
{
	return h->requests;
}
