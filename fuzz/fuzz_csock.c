/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_csock: the control socket's request path without a daemon: the
 * framing of ctl_csock (through its real socket, the input written in
 * pieces), every request line through ctl_json's parser and the getters
 * the commands use, and the parsed tree written back with ctl_json's
 * writer and parsed again. The command table itself (ctl_cmd.c) needs a
 * running daemon's state (DNS clients, BPF pins, the dataplane link) and
 * is not linked; what its verdict.* commands do with a request is done
 * here on a verdict table of the input's own (ctl_vtab): "addr" through
 * ctl_vtab_parse_key, add/del/get/list/flush, and at the end the manual
 * verdicts saved (ctl_vtab_save, on tmpfs) and loaded into a new table.
 *
 * Input: byte 0 sets the size of the first FZ_PIECES (32) pieces written
 * (1 + byte * 61 bytes; the rest goes at once); the rest of the input is
 * what a client sends. A request whose object has "later": true is
 * answered after the next ctl_csock_process (the deferred-reply path).
 *
 * Checks: each line handed to on_line has no newline and is NUL-terminated
 * at its length; the writer's text is valid UTF-8 and parses to the same
 * tree (strings compared where they were valid UTF-8, non-integral
 * numbers to the writer's 6 significant digits); every answer is
 * delivered, in order, one line each. A parsed key is in range, has no
 * host bits and reads back from its text form; an added verdict is there
 * until deleted; the saved file loads back to the same verdicts (reasons
 * compared where valid UTF-8).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "ctl_csock.h"
#include "ctl_json.h"
#include "ctl_vtab.h"
#include "ctl_vtab_file.h"
#include "fuzz_main.h"
#include "fz_util.h"


#define MAX_NODES 4096
#define REPLY_MAX (1u << 20)
#define NOW_NS 1700000000000000000ull   /* whole seconds: saved expiries are exact */
#define SEC 1000000000ull

static struct ctl_csock *sock;
static struct ctl_vtab *vtab;
static uint64_t later_client;      /* owed an answer, 0 none */
static uint64_t lines_seen, answers_sent;

static int depth_of(const struct ctl_jnode *n)
{
	int d = 0;

	for (const struct ctl_jnode *c = n->child; c; c = c->next) {
		int k = depth_of(c);

		d = k > d ? k : d;
	}
	return n->type == CTL_J_ARR || n->type == CTL_J_OBJ ? d + 1 : 0;
}

static void same_tree(const struct ctl_jnode *a, const struct ctl_jnode *b)
{
	const struct ctl_jnode *x, *y;

	if (a->type == CTL_J_NUM && !isfinite(a->d) && !a->is_int) {
		FZ_CHECK(b->type == CTL_J_NULL);    /* the writer's null */
		return;
	}
	FZ_CHECK(a->type == b->type);
	FZ_CHECK((a->key == NULL) == (b->key == NULL));
	if (a->key)
		FZ_CHECK(!strcmp(a->key, b->key) ||
			 !fz_utf8_valid((const uint8_t *)a->key, strlen(a->key)));
	switch (a->type) {
	case CTL_J_BOOL:
		FZ_CHECK(a->b == b->b);
		break;
	case CTL_J_STR:
		if (fz_utf8_valid((const uint8_t *)a->s, a->len))
			FZ_CHECK(a->len == b->len && !memcmp(a->s, b->s, a->len));
		break;
	case CTL_J_NUM:
		if (a->is_int)
			FZ_CHECK(b->is_int && a->i == b->i);
		else
			FZ_CHECK(fabs(a->d - b->d) <= fabs(a->d) * 1e-5 || fabs(a->d) < 1e-300);
		break;
	case CTL_J_ARR:
	case CTL_J_OBJ:
		FZ_CHECK(a->len == b->len);
		for (x = a->child, y = b->child; x && y; x = x->next, y = y->next)
			same_tree(x, y);
		FZ_CHECK(!x && !y);
		break;
	default:
		break;
	}
}

/* Write @root back, parse it again, compare; the text goes to @w. */
static void round_trip(const struct ctl_jnode *root, struct ctl_jw *w)
{
	struct ctl_jdoc *again = NULL;
	char err[128];

	ctl_jw_node(w, NULL, root);
	if (ctl_jw_error(w)) {
		/* only for nesting the writer cannot hold */
		FZ_CHECK(ctl_jw_error(w) == -E2BIG && depth_of(root) >= CTL_JW_MAX_DEPTH - 1);
		return;
	}
	FZ_CHECK(fz_utf8_valid((const uint8_t *)w->buf, w->len));
	if (ctl_json_parse(w->buf, w->len, MAX_NODES, &again, err, sizeof(err)) != 0) {
		fprintf(stderr, "fuzz_csock: the writer's text does not parse (%s): %s\n", err, w->buf);
		FZ_CHECK(!"the writer writes JSON");
	}
	same_tree(root, ctl_jdoc_root(again));
	ctl_jdoc_free(again);
}

/* ---- what the verdict.* commands do with a request ---- */

static const struct ctl_vtab_params vtab_params = { .max_entries = 64, .max_cidrs = 8 };

static int parse_key(const char *s, int *family, int *plen, uint8_t addr[16])
{
	char err[256], text[CTL_VTAB_KEY_STRLEN];
	int f2, p2;
	uint8_t a2[16];

	if (ctl_vtab_parse_key(s, family, plen, addr, err, sizeof(err)) < 0) {
		FZ_CHECK(err[0] != '\0');
		return -1;
	}
	FZ_CHECK(*family == 4 || *family == 6);
	FZ_CHECK(*plen >= 0 && *plen <= (*family == 4 ? 32 : 128));
	for (int bit = *plen; bit < 128; bit++)
		FZ_CHECK(!(addr[bit / 8] & (0x80 >> (bit % 8))));
	ctl_vtab_fmt_key(text, sizeof(text), *family, *plen, addr);
	FZ_CHECK(ctl_vtab_parse_key(text, &f2, &p2, a2, err, sizeof(err)) == 0);
	FZ_CHECK(f2 == *family && p2 == *plen && !memcmp(a2, addr, 16));
	return 0;
}

static int action_of(const char *s)
{
	for (unsigned a = MXS_ACTION_PASS; s && a < MXS_ACTION_COUNT; a++)
		if (!strcmp(mxs_action_name(a), s))
			return (int)a;
	return -1;
}

static void verdict_cmd(const struct ctl_jnode *req)
{
	const char *cmd = ctl_jget_str(req, "cmd", "");
	const char *addr = ctl_jget_str(req, "addr", NULL);
	const struct ctl_vtab_entry *e;
	struct ctl_vtab_entry v = { .source = CTL_VTAB_MANUAL };
	int family, plen, action = action_of(ctl_jget_str(req, "action", NULL));
	int64_t ttl = ctl_jget_int(req, "ttl", 3600);
	const char *reason = ctl_jget_str(req, "reason", "");
	uint8_t key[16];

	if (!strcmp(cmd, "verdict.list") || !strcmp(cmd, "verdict.flush")) {
		size_t n = ctl_vtab_collect(vtab, action, -1, NOW_NS, NULL, 0);

		FZ_CHECK(n <= ctl_vtab_count(vtab, NULL));
		if (!strcmp(cmd, "verdict.flush") && action < 0)
			while (n--) {
				const struct ctl_vtab_entry *one;

				FZ_CHECK(ctl_vtab_collect(vtab, -1, -1, NOW_NS, &one, 1) >= 1);
				FZ_CHECK(ctl_vtab_del(vtab, one->v.family, one->v.prefix_len,
						      one->v.addr, NULL) == 0);
			}
		return;
	}
	if (!addr || parse_key(addr, &family, &plen, key) < 0)
		return;
	if (!strcmp(cmd, "verdict.get")) {
		(void)ctl_vtab_get(vtab, family, plen, key, NOW_NS);
		(void)ctl_vtab_match(vtab, family, key, NOW_NS);
	} else if (!strcmp(cmd, "verdict.del")) {
		(void)ctl_vtab_del(vtab, family, plen, key, NULL);
		FZ_CHECK(ctl_vtab_get(vtab, family, plen, key, NOW_NS) == NULL);
	} else if (!strcmp(cmd, "verdict.add") && action > 0 && ttl >= 0 && ttl <= 100000000 &&
		   strlen(reason) < sizeof(v.reason)) {
		v.v.family = (uint8_t)family;
		v.v.prefix_len = (uint8_t)plen;
		memcpy(v.v.addr, key, 16);
		v.v.action = v.v.would_be = (uint8_t)action;
		v.v.reasons = MXS_REASON_BIT(MANUAL);
		v.v.ttl_s = (uint32_t)ttl;
		v.v.expiry_ns = ttl ? NOW_NS + (uint64_t)ttl * SEC : UINT64_MAX;
		strcpy(v.reason, reason);
		if (ctl_vtab_put(vtab, &v, NOW_NS) == 0) {
			e = ctl_vtab_get(vtab, family, plen, key, NOW_NS);
			FZ_CHECK(e && e->v.action == action && !strcmp(e->reason, reason));
		}
	}
}

static char save_dir[32], save_path[64];

static void save_cleanup(void)
{
	unlink(save_path);
	rmdir(save_dir);
}

/* The manual verdicts through their file: the same verdicts come back. */
static void save_load(void)
{
	const struct ctl_vtab_entry *all[64];
	struct ctl_vtab *again;
	char err[512];
	size_t n;

	if (!save_path[0]) {
		/* tmpfs where there is one: the save fsyncs */
		snprintf(save_dir, sizeof(save_dir), "/dev/shm/fuzz_csock.XXXXXX");
		if (!mkdtemp(save_dir)) {
			snprintf(save_dir, sizeof(save_dir), "/tmp/fuzz_csock.XXXXXX");
			FZ_CHECK(mkdtemp(save_dir) != NULL);
		}
		snprintf(save_path, sizeof(save_path), "%s/manual", save_dir);
		atexit(save_cleanup);
	}
	n = ctl_vtab_collect(vtab, -1, CTL_VTAB_MANUAL, NOW_NS, all, 64);
	if (!n)
		return;
	if (ctl_vtab_save(vtab, save_path, err, sizeof(err)) < 0) {
		fprintf(stderr, "fuzz_csock: %s\n", err);
		FZ_CHECK(!"the manual verdicts save");
	}
	again = ctl_vtab_create(&vtab_params);
	FZ_CHECK(again != NULL);
	if (ctl_vtab_load(again, save_path, NOW_NS, err, sizeof(err)) < 0) {
		fprintf(stderr, "fuzz_csock: %s\n", err);
		FZ_CHECK(!"the saved manual verdicts load");
	}
	FZ_CHECK(ctl_vtab_collect(again, -1, -1, NOW_NS, NULL, 0) == n);
	for (size_t i = 0; i < n; i++) {
		const struct ctl_vtab_entry *a = all[i];
		const struct ctl_vtab_entry *b = ctl_vtab_get(again, a->v.family, a->v.prefix_len,
							      a->v.addr, NOW_NS);

		FZ_CHECK(b != NULL && b->v.action == a->v.action);
		FZ_CHECK(b->v.expiry_ns == a->v.expiry_ns);
		if (fz_utf8_valid((const uint8_t *)a->reason, strlen(a->reason)))
			FZ_CHECK(!strcmp(a->reason, b->reason));
	}
	ctl_vtab_free(again);
}

static void answer(uint64_t client, const char *text, size_t n)
{
	int r = ctl_csock_reply(sock, client, text, n);

	FZ_CHECK(r == 0 || r == -ENOENT || r == -ENOBUFS);
	answers_sent++;
}

static int on_line(void *ctx, uint64_t client, const char *line, size_t len)
{
	struct ctl_jdoc *doc = NULL;
	const struct ctl_jnode *req;
	struct ctl_jw w;
	char err[128];
	int later = 0;

	(void)ctx;
	FZ_CHECK(line[len] == '\0' && !memchr(line, '\n', len));
	FZ_CHECK(later_client == 0);     /* no line while an answer is owed */
	lines_seen++;
	ctl_jw_init(&w, REPLY_MAX);
	if (ctl_json_parse(line, len, MAX_NODES, &doc, err, sizeof(err)) == 0) {
		req = ctl_jdoc_root(doc);
		/* what ctl_cmd_line and the commands ask of a request */
		(void)ctl_jget_str(req, "cmd", NULL);
		(void)ctl_jget_str(req, "addr", NULL);
		(void)ctl_jget_int(req, "limit", 100);
		(void)ctl_jget_int(req, "ttl", 0);
		later = ctl_jget_bool(req, "later", false);
		verdict_cmd(req);
		round_trip(req, &w);
		ctl_jdoc_free(doc);
	} else {
		FZ_CHECK(err[0] != '\0');
	}
	ctl_jw_reset(&w);
	ctl_jw_obj_open(&w, NULL);
	ctl_jw_bool(&w, "ok", doc != NULL);
	ctl_jw_obj_close(&w);
	ctl_jw_raw(&w, "\n", 1);
	FZ_CHECK(!ctl_jw_error(&w));
	if (later) {
		later_client = client;
		ctl_jw_free(&w);
		return 1;
	}
	answer(client, w.buf, w.len);
	ctl_jw_free(&w);
	return 0;
}

static void pump(int fd, uint64_t *got)
{
	char buf[65536];
	ssize_t r;

	ctl_csock_process(sock, NULL, 0);
	if (later_client) {
		uint64_t c = later_client;

		later_client = 0;
		answer(c, "{\"ok\":true}\n", 12);
	}
	while ((r = recv(fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0)
		for (ssize_t i = 0; i < r; i++)
			*got += buf[i] == '\n';
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	struct ctl_csock_params p = { .on_line = on_line, .max_clients = 2 };
	const struct ctl_csock_stats *st;
	uint64_t got = 0;
	size_t piece, off = 1, pieces = 0;
	char err[256];
	int fd;

	if (size < 1)
		return 0;
	if (!path[0])
		snprintf(path, sizeof(path), "/tmp/fuzz_csock.%d.sock", (int)getpid());
	p.path = path;
	sock = ctl_csock_create(&p, err, sizeof(err));
	if (!sock) {
		fprintf(stderr, "fuzz_csock: %s\n", err);
		FZ_CHECK(!"ctl_csock_create");
	}
	later_client = 0;
	lines_seen = answers_sent = 0;
	vtab = ctl_vtab_create(&vtab_params);
	FZ_CHECK(vtab != NULL);
	fd = fz_unix_connect(path);

	piece = 1 + (size_t)data[0] * 61;
	while (off < size) {
		ssize_t w = send(fd, data + off, fz_piece(&pieces, piece, size - off),
				 MSG_NOSIGNAL);

		if (w < 0 && errno == EAGAIN) {
			pump(fd, &got);
			continue;
		}
		if (w < 0)
			break;          /* closed on us: a line too long */
		off += (size_t)w;
		pump(fd, &got);
	}
	/* Hung up: the server answers what is left (each deferred answer
	 * lets one more line in), then closes. */
	shutdown(fd, SHUT_WR);
	for (int i = 0; i < 100000 && ctl_csock_stats(sock)->clients; i++)
		pump(fd, &got);
	pump(fd, &got);
	FZ_CHECK(ctl_csock_stats(sock)->clients == 0);
	st = ctl_csock_stats(sock);
	FZ_CHECK(st->requests == lines_seen);
	FZ_CHECK(answers_sent == lines_seen);
	if (!st->too_long && !st->slow_dropped && got != answers_sent) {
		fprintf(stderr, "fuzz_csock: %llu lines, %llu answers sent, %llu received, "
			"%u clients left\n", (unsigned long long)lines_seen,
			(unsigned long long)answers_sent, (unsigned long long)got, st->clients);
		FZ_CHECK(got == answers_sent);
	}
	close(fd);
	ctl_csock_free(sock);
	sock = NULL;
	save_load();
	ctl_vtab_free(vtab);
	vtab = NULL;
	return 0;
}
