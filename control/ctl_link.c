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

/* The longest message we send: a full verdict batch. */
#define OUT_MAX (sizeof(struct mxs_msg_hdr) + MXS_LINK_MAX_BATCH * sizeof(struct mxs_verdict))

struct peer {
	int fd;
	struct ctl_link_peer pub;
	struct mxs_rule_hit *hits;       /* MXS_LINK_MAX_RULE_HITS, on first use */
	size_t len;
	uint8_t buf[MSG_MAX];
	size_t out_len;                  /* the unsent tail of a message, and
					  * perhaps a reload request behind it */
	uint8_t out[OUT_MAX + sizeof(struct mxs_msg_hdr)];
};

struct ctl_link {
	int lfd;
	uint64_t next_id;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	struct peer *peer[CTL_LINK_MAX_PEERS];
	struct ctl_link_stats st;
	struct ctl_link_departed gone;
	struct mxs_rule_hit *gone_hits;  /* MXS_LINK_MAX_RULE_HITS, on first use */
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
	l->next_id = 1;
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

void ctl_link_stats_add(struct mxs_dp_stats *sum, const struct mxs_dp_stats *s)
{
	sum->packets += s->packets;
	sum->bytes += s->bytes;
	sum->flows_created += s->flows_created;
	sum->flows_evicted += s->flows_evicted;
	sum->handshakes_evicted += s->handshakes_evicted;
	sum->smtp_connections += s->smtp_connections;
	sum->records_dropped += s->records_dropped;
	sum->obs_queued += s->obs_queued;
	sum->obs_sent += s->obs_sent;
	sum->obs_dropped += s->obs_dropped;
	sum->verdicts_received += s->verdicts_received;
	sum->rules_scanned += s->rules_scanned;
	sum->rules_reload_ok += s->rules_reload_ok;
	sum->rules_reload_failed += s->rules_reload_failed;
	for (int a = 0; a < MXS_DP_ANOMALY_SLOTS; a++)
		sum->anomalies[a] += s->anomalies[a];
	if (s->reload_error[0])
		memcpy(sum->reload_error, s->reload_error, sizeof(sum->reload_error));
}

/* A dataplane leaves: what it counted stays in the totals. */
static void depart(struct ctl_link *l, const struct peer *p)
{
	const struct mxs_dp_stats *s = &p->pub.stats;
	struct mxs_dp_stats *g = &l->gone.stats;

	if (!p->pub.snapshots)
		return;
	l->gone.count++;
	ctl_link_stats_add(g, s);
	if (s->rules_loaded > g->rules_loaded)
		g->rules_loaded = s->rules_loaded;
	if (!p->pub.n_hits ||
	    (!l->gone_hits && !(l->gone_hits = calloc(MXS_LINK_MAX_RULE_HITS, sizeof(*l->gone_hits)))))
		return;
	l->gone.hits = l->gone_hits;
	for (uint32_t i = 0; i < p->pub.n_hits; i++) {
		const struct mxs_rule_hit *h = &p->pub.hits[i];
		uint32_t k;

		for (k = 0; k < l->gone.n_hits && l->gone_hits[k].id != h->id; k++)
			;
		if (k < l->gone.n_hits)
			l->gone_hits[k].hits += h->hits;
		else if (l->gone.n_hits < MXS_LINK_MAX_RULE_HITS)
			l->gone_hits[l->gone.n_hits++] = *h;
	}
}

const struct ctl_link_departed *ctl_link_departed(const struct ctl_link *l)
{
	return &l->gone;
}

static void peer_close(struct ctl_link *l, int i)
{
	depart(l, l->peer[i]);
	close(l->peer[i]->fd);
	free(l->peer[i]->hits);
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
	free(l->gone_hits);
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
			fds[n++] = (struct pollfd){ .fd = l->peer[i]->fd,
				.events = POLLIN | (l->peer[i]->out_len ? POLLOUT : 0) };
	return n;
}

/* Send what is left of a message to peer @i: 0 all gone, 1 some left,
 * -1 the peer is gone (closed). */
static int peer_flush(struct ctl_link *l, int i)
{
	struct peer *p = l->peer[i];
	ssize_t w;

	if (!p->out_len)
		return 0;
	w = send(p->fd, p->out, p->out_len, MSG_DONTWAIT | MSG_NOSIGNAL);
	if (w < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
			return 1;
		peer_close(l, i);
		return -1;
	}
	memmove(p->out, p->out + w, p->out_len - (size_t)w);
	p->out_len -= (size_t)w;
	return p->out_len ? 1 : 0;
}

/*
 * One whole message (@len <= OUT_MAX) to peer @i, never blocking: 0 sent
 * (perhaps its tail kept for later: a message is never cut short on the
 * wire), -EAGAIN not sent (the peer has not taken the last one yet, or has
 * no room), -EPIPE the peer is gone (closed). With @queue, a message that
 * finds the last one's tail still waiting goes behind it when it fits.
 */
static int peer_write(struct ctl_link *l, int i, const void *buf, size_t len, int queue)
{
	struct peer *p = l->peer[i];
	int f = peer_flush(l, i);
	ssize_t w;

	if (f < 0)
		return -EPIPE;
	if (f) {
		if (!queue || p->out_len + len > sizeof(p->out))
			return -EAGAIN;
		memcpy(p->out + p->out_len, buf, len);
		p->out_len += len;
		return 0;
	}
	w = send(p->fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL);
	if (w < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
			return -EAGAIN;
		peer_close(l, i);
		return -EPIPE;
	}
	p->out_len = len - (size_t)w;
	memcpy(p->out, (const uint8_t *)buf + w, p->out_len);
	return 0;
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
		l->peer[i]->pub.id = l->next_id++;
		l->st.peers++;
		l->st.connects++;
	}
}

/* The record size of a message type we accept, 0 for others. */
static size_t record_size(uint16_t type)
{
	switch (type) {
	case MXS_MSG_OBSERVATIONS: return sizeof(struct mxs_observation);
	case MXS_MSG_DP_STATS: return sizeof(struct mxs_dp_stats);
	case MXS_MSG_RULE_HITS: return sizeof(struct mxs_rule_hit);
	default: return 0;
	}
}

/* A stats snapshot replaces the last; rule hits that follow add up. */
static int take_stats(struct peer *p, const struct mxs_msg_hdr *h, const uint8_t *rec)
{
	if (h->type == MXS_MSG_DP_STATS) {
		if (h->count != 1)
			return -1;
		memcpy(&p->pub.stats, rec, sizeof(p->pub.stats));
		p->pub.stats.reload_error[sizeof(p->pub.stats.reload_error) - 1] = '\0';
		p->pub.snapshots++;
		p->pub.n_hits = 0;
		return 0;
	}
	if (!p->hits && !(p->hits = calloc(MXS_LINK_MAX_RULE_HITS, sizeof(*p->hits))))
		return 0;       /* no memory: hits unknown, the link goes on */
	p->pub.hits = p->hits;
	for (uint32_t i = 0; i < h->count && p->pub.n_hits < MXS_LINK_MAX_RULE_HITS; i++) {
		struct mxs_rule_hit *r = &p->hits[p->pub.n_hits++];

		memcpy(r, rec + i * sizeof(*r), sizeof(*r));
		r->msg[sizeof(r->msg) - 1] = '\0';
	}
	return 0;
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
		    !record_size(h.type) || h.record_size != record_size(h.type) ||
		    h.count == 0 || h.count > MXS_LINK_MAX_BATCH)
			return -1;
		need = sizeof(h) + (size_t)h.count * h.record_size;
		if (p->len - off < need)
			break;
		if (h.type != MXS_MSG_OBSERVATIONS) {
			if (take_stats(p, &h, p->buf + off + sizeof(h)) < 0)
				return -1;
			off += need;
			continue;
		}
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

		if (!p || peer_flush(l, i) < 0)
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
			/* Whole messages: a partial write's tail waits
			 * for the socket to drain, newer batches meanwhile
			 * are dropped (counted). */
			int r = peer_write(l, i, buf, len, 0);

			if (r == 0)
				l->st.verdicts_sent += k;
			else if (r == -EAGAIN)
				l->st.verdicts_dropped += k;
		}
		v += k;
		n -= k;
	}
}

const struct ctl_link_stats *ctl_link_stats(const struct ctl_link *l)
{
	return &l->st;
}

size_t ctl_link_peers(const struct ctl_link *l, const struct ctl_link_peer **out, size_t max)
{
	size_t n = 0;

	for (int i = 0; i < CTL_LINK_MAX_PEERS && n < max; i++)
		if (l->peer[i])
			out[n++] = &l->peer[i]->pub;
	return n;
}

size_t ctl_link_reload(struct ctl_link *l, uint64_t *ids, size_t max)
{
	struct mxs_msg_hdr h = { MXS_LINK_MAGIC, MXS_LINK_VERSION, MXS_MSG_RULES_RELOAD, 0, 0 };
	size_t n = 0;

	for (int i = 0; i < CTL_LINK_MAX_PEERS; i++) {
		if (!l->peer[i])
			continue;
		if (peer_write(l, i, &h, sizeof(h), 1) == 0) {
			if (n < max)
				ids[n] = l->peer[i]->pub.id;
			n++;
		}
	}
	return n;
}
