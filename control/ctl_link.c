/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ctl_link: dataplane socket server (see ctl_link.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "ctl_link.h"

#define MSG_MAX (sizeof(struct mxs_msg_hdr) + MXS_LINK_MAX_BATCH * sizeof(struct mxs_observation))

struct peer {
	int fd;
	size_t len;
	uint8_t buf[MSG_MAX];
};

struct ctl_link {
	int lfd;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	struct peer *peer[CTL_LINK_MAX_PEERS];
	struct ctl_link_stats st;
};

struct ctl_link *ctl_link_create(const char *path, char *err, size_t errlen)
{
	struct ctl_link *l = calloc(1, sizeof(*l));
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	if (!l) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (strlen(path) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "%s: socket path too long", path);
		free(l);
		return NULL;
	}
	strcpy(sa.sun_path, path);
	strcpy(l->path, path);
	l->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	unlink(path);
	if (l->lfd < 0 || bind(l->lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    chmod(path, 0660) < 0 || listen(l->lfd, 16) < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		if (l->lfd >= 0)
			close(l->lfd);
		free(l);
		return NULL;
	}
	return l;
}

static void peer_close(struct ctl_link *l, int i)
{
	close(l->peer[i]->fd);
	free(l->peer[i]);
	l->peer[i] = NULL;
	l->st.peers--;
}

void ctl_link_free(struct ctl_link *l)
{
	if (!l)
		return;
	for (int i = 0; i < CTL_LINK_MAX_PEERS; i++)
		if (l->peer[i])
			peer_close(l, i);
	close(l->lfd);
	unlink(l->path);
	free(l);
}

int ctl_link_pollfds(struct ctl_link *l, struct pollfd *fds, int max)
{
	int n = 0;

	if (max < 1)
		return 0;
	fds[n++] = (struct pollfd){ .fd = l->lfd, .events = POLLIN };
	for (int i = 0; i < CTL_LINK_MAX_PEERS && n < max; i++)
		if (l->peer[i])
			fds[n++] = (struct pollfd){ .fd = l->peer[i]->fd, .events = POLLIN };
	return n;
}

static void accept_all(struct ctl_link *l)
{
	int fd;

	while ((fd = accept4(l->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
		int i;

		for (i = 0; i < CTL_LINK_MAX_PEERS && l->peer[i]; i++)
			;
		if (i == CTL_LINK_MAX_PEERS || !(l->peer[i] = calloc(1, sizeof(struct peer)))) {
			close(fd);
			continue;
		}
		l->peer[i]->fd = fd;
		l->st.peers++;
		l->st.connects++;
	}
}

/* Consume complete messages from @p's buffer; -1 on a malformed one. */
static int parse(struct ctl_link *l, struct peer *p, ctl_link_obs_fn fn, void *ctx)
{
	size_t off = 0;

	while (p->len - off >= sizeof(struct mxs_msg_hdr)) {
		struct mxs_msg_hdr h;
		size_t need;

		memcpy(&h, p->buf + off, sizeof(h));
		if (h.magic != MXS_LINK_MAGIC || h.version != MXS_LINK_VERSION ||
		    h.type != MXS_MSG_OBSERVATIONS ||
		    h.record_size != sizeof(struct mxs_observation) ||
		    h.count == 0 || h.count > MXS_LINK_MAX_BATCH)
			return -1;
		need = sizeof(h) + (size_t)h.count * sizeof(struct mxs_observation);
		if (p->len - off < need)
			break;
		for (uint32_t i = 0; i < h.count; i++) {
			struct mxs_observation o;

			memcpy(&o, p->buf + off + sizeof(h) + i * sizeof(o), sizeof(o));
			if (o.family != 4 && o.family != 6)
				return -1;
			l->st.observations++;
			fn(ctx, &o);
		}
		off += need;
	}
	memmove(p->buf, p->buf + off, p->len - off);
	p->len -= off;
	return 0;
}

void ctl_link_process(struct ctl_link *l, const struct pollfd *fds, int n,
		      ctl_link_obs_fn fn, void *ctx)
{
	(void)fds;
	(void)n;
	accept_all(l);
	for (int i = 0; i < CTL_LINK_MAX_PEERS; i++) {
		struct peer *p = l->peer[i];
		ssize_t r;

		if (!p)
			continue;
		while ((r = read(p->fd, p->buf + p->len, sizeof(p->buf) - p->len)) > 0) {
			p->len += (size_t)r;
			if (parse(l, p, fn, ctx) < 0) {
				l->st.bad_messages++;
				r = 0;
				break;
			}
		}
		if (r == 0 || (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
			peer_close(l, i);
	}
}

void ctl_link_send(void *link, const struct mxs_verdict *v, size_t n)
{
	struct ctl_link *l = link;

	while (n) {
		size_t k = n < MXS_LINK_MAX_BATCH ? n : MXS_LINK_MAX_BATCH;
		uint8_t buf[sizeof(struct mxs_msg_hdr) + MXS_LINK_MAX_BATCH * sizeof(*v)];
		struct mxs_msg_hdr h = { MXS_LINK_MAGIC, MXS_LINK_VERSION, MXS_MSG_VERDICTS,
					 (uint32_t)k, sizeof(*v) };
		size_t len = sizeof(h) + k * sizeof(*v);

		memcpy(buf, &h, sizeof(h));
		memcpy(buf + sizeof(h), v, k * sizeof(*v));
		for (int i = 0; i < CTL_LINK_MAX_PEERS; i++) {
			if (!l->peer[i])
				continue;
			/* Whole message or nothing: a partial write would
			 * desynchronise the peer, so it is closed instead. */
			ssize_t w = send(l->peer[i]->fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL);

			if (w == (ssize_t)len)
				l->st.verdicts_sent += k;
			else if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
				l->st.verdicts_dropped += k;
			else
				peer_close(l, i);
		}
		v += k;
		n -= k;
	}
}

const struct ctl_link_stats *ctl_link_stats(const struct ctl_link *l)
{
	return &l->st;
}
