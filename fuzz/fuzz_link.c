/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_link: mxscreend's decoder of dataplane messages (ctl_link,
 * include/mxscreen/link.h), through its real socket: each input gets a
 * fresh ctl_link on a private socket path, one connected dataplane that
 * writes the input in pieces (ctl_link_process between pieces, so
 * messages arrive split), then hangs up.
 *
 * Input: byte 0 sets the size of the first FZ_PIECES (32) pieces written
 * (1 + byte * 97 bytes, the rest at once; messages are 16 + count *
 * 88..600 bytes); the rest of the input is the byte stream.
 *
 * Checks: every observation handed out has family 4 or 6; a peer's stats
 * and rule hits stay within bounds and NUL-terminated; a malformed message
 * closes the peer (counted) and nothing outlives the hang-up but the
 * departed totals, which are bounded too.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "ctl_link.h"
#include "fuzz_main.h"
#include "fz_util.h"


static uint64_t observations;

static void on_obs(void *ctx, const struct mxs_observation *o)
{
	(void)ctx;
	FZ_CHECK(o->family == 4 || o->family == 6);
	observations++;
}

static void check_hits(const struct mxs_rule_hit *h, uint32_t n)
{
	FZ_CHECK(n <= MXS_LINK_MAX_RULE_HITS);
	FZ_CHECK(n == 0 || h != NULL);
	for (uint32_t i = 0; i < n; i++)
		FZ_CHECK(memchr(h[i].msg, '\0', sizeof(h[i].msg)) != NULL);
}

static void check_peers(const struct ctl_link *l)
{
	const struct ctl_link_peer *p[CTL_LINK_MAX_PEERS];
	size_t n = ctl_link_peers(l, p, CTL_LINK_MAX_PEERS);

	FZ_CHECK(n <= 1);
	for (size_t i = 0; i < n; i++) {
		FZ_CHECK(memchr(p[i]->stats.reload_error, '\0',
				sizeof(p[i]->stats.reload_error)) != NULL);
		check_hits(p[i]->hits, p[i]->n_hits);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	const struct ctl_link_departed *gone;
	const struct ctl_link_stats *st;
	struct mxs_verdict v = { .family = 4, .prefix_len = 32 };
	struct ctl_link *l;
	char err[256];
	size_t piece, off = 1, pieces = 0;
	int fd;

	if (size < 1)
		return 0;
	if (!path[0])
		snprintf(path, sizeof(path), "/tmp/fuzz_link.%d.sock", (int)getpid());
	l = ctl_link_create(path, err, sizeof(err));
	if (!l) {
		fprintf(stderr, "fuzz_link: %s\n", err);
		FZ_CHECK(!"ctl_link_create");
	}
	fd = fz_unix_connect(path);
	ctl_link_process(l, NULL, 0, on_obs, NULL);
	FZ_CHECK(ctl_link_stats(l)->peers == 1);

	observations = 0;
	piece = 1 + (size_t)data[0] * 97;
	while (off < size) {
		ssize_t w = send(fd, data + off, fz_piece(&pieces, piece, size - off),
				 MSG_NOSIGNAL);

		if (w < 0 && errno == EAGAIN) {
			ctl_link_process(l, NULL, 0, on_obs, NULL);
			continue;
		}
		if (w < 0)
			break;          /* the peer was closed: a malformed message */
		off += (size_t)w;
		ctl_link_process(l, NULL, 0, on_obs, NULL);
		check_peers(l);
		if (ctl_link_stats(l)->peers == 0)
			break;
	}
	/* The verdict and reload paths, to whoever is still connected. */
	ctl_link_send(l, &v, 1);
	(void)ctl_link_reload(l, NULL, 0);
	shutdown(fd, SHUT_WR);
	ctl_link_process(l, NULL, 0, on_obs, NULL);
	close(fd);
	ctl_link_process(l, NULL, 0, on_obs, NULL);

	st = ctl_link_stats(l);
	FZ_CHECK(st->peers == 0 && st->connects == 1);
	FZ_CHECK(st->observations == observations);
	FZ_CHECK(st->bad_messages <= 1);
	gone = ctl_link_departed(l);
	FZ_CHECK(gone->count <= 1);
	FZ_CHECK(memchr(gone->stats.reload_error, '\0', sizeof(gone->stats.reload_error)) != NULL);
	check_hits(gone->hits, gone->n_hits);
	ctl_link_free(l);
	return 0;
}
