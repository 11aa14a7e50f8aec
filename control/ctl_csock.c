/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ctl_csock: the control socket server (see ctl_csock.h).
 */
#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "ctl_csock.h"

#define READ_CHUNK 16384
#define TOO_LONG "{\"ok\":false,\"status\":\"bad_request\",\"error\":\"request line longer than 65536 bytes\"}\n"

struct client {
	int fd;
	uint64_t id;
	int waiting;            /* an answer is owed: read no further line */
	int closing;            /* close once out is written */
	int eof;                /* it hung up its side: answer what is owed, then close */
	size_t drained;         /* closing: input read and thrown away since */
	char *in;               /* CTL_CSOCK_LINE_MAX + 1 */
	size_t in_len;
	char *out;
	size_t out_len, out_off, out_cap;
};

struct ctl_csock {
	struct ctl_csock_params p;
	int lfd;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	uint64_t next_id;
	struct client *c;       /* max_clients slots, fd -1 when free */
	struct ctl_csock_stats st;
};

struct ctl_csock *ctl_csock_create(const struct ctl_csock_params *p, char *err, size_t errlen)
{
	struct ctl_csock *s = calloc(1, sizeof(*s));
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct group *g = NULL;

	if (!s) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->p = *p;
	if (!s->p.max_clients)
		s->p.max_clients = 64;
	s->next_id = 1;
	s->lfd = -1;
	if (strlen(p->path) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "%s: socket path too long", p->path);
		goto fail;
	}
	if (p->group && p->group[0] && !(g = getgrnam(p->group))) {
		snprintf(err, errlen, "%s: no such group '%s'", p->path, p->group);
		goto fail;
	}
	s->c = calloc(s->p.max_clients, sizeof(*s->c));
	if (!s->c) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	for (size_t i = 0; i < s->p.max_clients; i++)
		s->c[i].fd = -1;
	strcpy(sa.sun_path, p->path);
	strcpy(s->path, p->path);
	s->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	unlink(p->path);
	if (s->lfd < 0 || bind(s->lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    chmod(p->path, 0660) < 0 || (g && chown(p->path, (uid_t)-1, g->gr_gid) < 0) ||
	    listen(s->lfd, 64) < 0) {
		snprintf(err, errlen, "%s: %s", p->path, strerror(errno));
		goto fail;
	}
	return s;
fail:
	if (s->lfd >= 0)
		close(s->lfd);
	free(s->c);
	free(s);
	return NULL;
}

static void client_close(struct ctl_csock *s, struct client *c)
{
	close(c->fd);
	free(c->in);
	free(c->out);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
	s->st.clients--;
}

void ctl_csock_free(struct ctl_csock *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->p.max_clients; i++)
		if (s->c[i].fd >= 0)
			client_close(s, &s->c[i]);
	close(s->lfd);
	unlink(s->path);
	free(s->c);
	free(s);
}

int ctl_csock_pollfds(struct ctl_csock *s, struct pollfd *fds, int max)
{
	int n = 0;

	if (max < 1)
		return 0;
	fds[n++] = (struct pollfd){ .fd = s->lfd, .events = POLLIN };
	for (size_t i = 0; i < s->p.max_clients && n < max; i++) {
		struct client *c = &s->c[i];
		short ev = 0;

		if (c->fd < 0)
			continue;
		if (!c->waiting || c->closing)
			ev |= POLLIN;
		/* POLLOUT also wakes us for a line left waiting behind an
		 * answer that has just been given. */
		if (c->out_len > c->out_off ||
		    (!c->waiting && memchr(c->in, '\n', c->in_len)))
			ev |= POLLOUT;
		if (c->eof)
			ev &= (short)~POLLIN;
		fds[n++] = (struct pollfd){ .fd = c->fd, .events = ev };
	}
	return n;
}

static void accept_all(struct ctl_csock *s)
{
	int fd;

	while ((fd = accept4(s->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
		struct client *c = NULL;

		for (size_t i = 0; i < s->p.max_clients; i++)
			if (s->c[i].fd < 0) {
				c = &s->c[i];
				break;
			}
		if (!c || !(c->in = malloc(CTL_CSOCK_LINE_MAX + 1))) {
			s->st.refused++;
			close(fd);
			continue;
		}
		c->fd = fd;
		c->id = s->next_id++;
		s->st.accepted++;
		s->st.clients++;
	}
}

/* Write what is queued; 0, or -1 when the client is gone. */
static int flush_out(struct client *c)
{
	while (c->out_off < c->out_len) {
		ssize_t w = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
				 MSG_DONTWAIT | MSG_NOSIGNAL);

		if (w < 0)
			return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? 0 : -1;
		c->out_off += (size_t)w;
	}
	c->out_off = c->out_len = 0;
	return 0;
}

static int queue(struct ctl_csock *s, struct client *c, const char *buf, size_t len)
{
	size_t pending = c->out_len - c->out_off;

	if (pending + len > CTL_CSOCK_OUT_MAX) {
		s->st.slow_dropped++;
		return -ENOBUFS;
	}
	if (c->out_off) {
		memmove(c->out, c->out + c->out_off, pending);
		c->out_len = pending;
		c->out_off = 0;
	}
	if (c->out_len + len > c->out_cap) {
		size_t cap = c->out_cap ? c->out_cap : 4096;
		char *n;

		while (cap < c->out_len + len)
			cap *= 2;
		n = realloc(c->out, cap);
		if (!n)
			return -ENOBUFS;
		c->out = n;
		c->out_cap = cap;
	}
	memcpy(c->out + c->out_len, buf, len);
	c->out_len += len;
	return 0;
}

static struct client *find(struct ctl_csock *s, uint64_t id)
{
	for (size_t i = 0; i < s->p.max_clients; i++)
		if (s->c[i].fd >= 0 && s->c[i].id == id)
			return &s->c[i];
	return NULL;
}

int ctl_csock_reply(struct ctl_csock *s, uint64_t client, const char *buf, size_t len)
{
	struct client *c = find(s, client);

	if (!c)
		return -ENOENT;
	c->waiting = 0;
	if (queue(s, c, buf, len) < 0 || flush_out(c) < 0) {
		client_close(s, c);
		return -ENOBUFS;
	}
	return 0;
}

/* Hand complete lines to on_line until one is owed an answer later. */
static void lines(struct ctl_csock *s, struct client *c)
{
	uint64_t id = c->id;
	size_t off = 0;

	while (!c->waiting && c->fd >= 0 && c->id == id) {
		char *nl = memchr(c->in + off, '\n', c->in_len - off);
		size_t len;

		if (!nl)
			break;
		len = (size_t)(nl - (c->in + off));
		if (len && c->in[off + len - 1] == '\r')
			len--;
		c->in[off + len] = '\0';
		s->st.requests++;
		c->waiting = 1;
		if (s->p.on_line(s->p.ctx, id, c->in + off, len) == 0 && c->fd >= 0 && c->id == id)
			c->waiting = 0;     /* answered already (ctl_csock_reply cleared it too) */
		off = (size_t)(nl - c->in) + 1;
	}
	if (c->fd >= 0 && c->id == id && off) {
		memmove(c->in, c->in + off, c->in_len - off);
		c->in_len -= off;
	}
}

static void serve(struct ctl_csock *s, struct client *c)
{
	uint64_t id = c->id;

	for (;;) {
		ssize_t r;

		lines(s, c);
		if (c->fd < 0 || c->id != id || c->waiting || c->eof)
			return;
		if (c->in_len == CTL_CSOCK_LINE_MAX) {
			s->st.too_long++;
			c->closing = 1;
			if (queue(s, c, TOO_LONG, sizeof(TOO_LONG) - 1) < 0)
				client_close(s, c);
			return;
		}
		r = read(c->fd, c->in + c->in_len, CTL_CSOCK_LINE_MAX - c->in_len);
		if (r > 0) {
			c->in_len += (size_t)r;
			continue;
		}
		if (r == 0)
			c->eof = 1;     /* answers still owed go out first */
		else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			client_close(s, c);
		return;
	}
}

/* A client being closed after an error reply: once the reply is out, say
 * so (shutdown) and read what it still sends until it hangs up, since
 * closing with unread input would reset the connection and lose the
 * reply. Bounded: 1 MiB of it, then closed anyway. */
static void linger_out(struct ctl_csock *s, struct client *c)
{
	char junk[16384];
	ssize_t r;

	if (c->out_len != c->out_off)
		return;
	shutdown(c->fd, SHUT_WR);
	while ((r = read(c->fd, junk, sizeof(junk))) > 0) {
		c->drained += (size_t)r;
		if (c->drained > (1u << 20))
			break;
	}
	if (r == 0 || c->drained > (1u << 20) ||
	    (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
		client_close(s, c);
}

void ctl_csock_process(struct ctl_csock *s, const struct pollfd *fds, int n)
{
	(void)fds;
	(void)n;
	accept_all(s);
	for (size_t i = 0; i < s->p.max_clients; i++) {
		struct client *c = &s->c[i];

		if (c->fd < 0)
			continue;
		if (flush_out(c) < 0) {
			client_close(s, c);
			continue;
		}
		if (c->closing) {
			linger_out(s, c);
			continue;
		}
		if (!c->waiting)
			serve(s, c);
		if (c->fd >= 0 && c->eof && !c->waiting && c->out_len == c->out_off)
			client_close(s, c);
	}
}

const struct ctl_csock_stats *ctl_csock_stats(const struct ctl_csock *s)
{
	return &s->st;
}
