/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dp_output: chunked NDJSON writer (see dp_output.h).
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_pause.h>
#include <rte_ring.h>

#include "dp_eve.h"
#include "dp_output.h"

#define CHUNK_SIZE (256u * 1024u)

struct dp_output_chunk {
	uint32_t len;
	char data[CHUNK_SIZE];
};

struct dp_output {
	FILE *f;
	int own_file;
	int lossless;
	int write_err;
	atomic_int stop;
	pthread_t writer;
	struct rte_ring *free_r;
	struct rte_ring *full_r;
	uint32_t n_chunks;
	struct dp_output_chunk **chunks;
};

static void *writer_main(void *arg)
{
	struct dp_output *o = arg;
	void *c;

	for (;;) {
		if (rte_ring_dequeue(o->full_r, &c) == 0) {
			struct dp_output_chunk *ch = c;

			if (!o->write_err && fwrite(ch->data, 1, ch->len, o->f) != ch->len)
				o->write_err = errno ? errno : EIO;
			ch->len = 0;
			rte_ring_enqueue(o->free_r, ch);
			continue;
		}
		if (atomic_load(&o->stop))
			break;
		usleep(200);
	}
	return NULL;
}

struct dp_output *dp_output_create(const struct dp_output_params *p)
{
	struct dp_output *o = calloc(1, sizeof(*o));
	unsigned ring_sz = 1;
	static atomic_int seq;
	char name[32];
	int n;

	if (!o)
		return NULL;
	o->lossless = p->lossless;
	o->n_chunks = p->n_chunks < 4 ? 4 : p->n_chunks;
	while (ring_sz <= o->n_chunks)
		ring_sz <<= 1;
	if (strcmp(p->path, "-") == 0) {
		o->f = stdout;
	} else {
		o->f = fopen(p->path, "w");
		o->own_file = 1;
	}
	if (!o->f) {
		int e = errno;

		free(o);
		errno = e;
		return NULL;
	}
	n = atomic_fetch_add(&seq, 1);
	snprintf(name, sizeof(name), "out_free%d", n);
	o->free_r = rte_ring_create(name, ring_sz, SOCKET_ID_ANY, 0);
	snprintf(name, sizeof(name), "out_full%d", n);
	o->full_r = rte_ring_create(name, ring_sz, SOCKET_ID_ANY, 0);
	o->chunks = calloc(o->n_chunks, sizeof(*o->chunks));
	if (!o->free_r || !o->full_r || !o->chunks)
		goto nomem;
	for (uint32_t i = 0; i < o->n_chunks; i++) {
		o->chunks[i] = malloc(sizeof(struct dp_output_chunk));
		if (!o->chunks[i])
			goto nomem;
		o->chunks[i]->len = 0;
		rte_ring_enqueue(o->free_r, o->chunks[i]);
	}
	if (pthread_create(&o->writer, NULL, writer_main, o) != 0)
		goto nomem;
	pthread_setname_np(o->writer, "mxs-writer");
	return o;
nomem:
	for (uint32_t i = 0; o->chunks && i < o->n_chunks; i++)
		free(o->chunks[i]);
	free(o->chunks);
	rte_ring_free(o->free_r);
	rte_ring_free(o->full_r);
	if (o->own_file)
		fclose(o->f);
	free(o);
	errno = ENOMEM;
	return NULL;
}

static int take_chunk(struct dp_output *o, struct dp_output_local *l)
{
	void *c;

	while (rte_ring_dequeue(o->free_r, &c) != 0) {
		if (!o->lossless)
			return -ENOBUFS;
		rte_pause();
	}
	l->cur = c;
	return 0;
}

void dp_output_flush(struct dp_output *o, struct dp_output_local *l)
{
	if (l->cur && l->cur->len) {
		/* The full ring holds every chunk, so this cannot fail. */
		rte_ring_enqueue(o->full_r, l->cur);
		l->cur = NULL;
	}
}

void dp_output_record(struct dp_output *o, struct dp_output_local *l,
		      const struct dp_conn_record *r)
{
	size_t n;

	if (!l->cur && take_chunk(o, l)) {
		l->dropped++;
		return;
	}
	n = dp_eve_format(l->cur->data + l->cur->len, CHUNK_SIZE - l->cur->len, r);
	if (n == 0) {
		dp_output_flush(o, l);
		if (take_chunk(o, l)) {
			l->dropped++;
			return;
		}
		n = dp_eve_format(l->cur->data, CHUNK_SIZE, r);
	}
	l->cur->len += (uint32_t)n;
	l->records++;
}

int dp_output_close(struct dp_output *o)
{
	int err;

	if (!o)
		return 0;
	atomic_store(&o->stop, 1);
	pthread_join(o->writer, NULL);
	err = o->write_err;
	if (fflush(o->f) != 0 && !err)
		err = errno;
	if (o->own_file && fclose(o->f) != 0 && !err)
		err = errno;
	for (uint32_t i = 0; i < o->n_chunks; i++)
		free(o->chunks[i]);
	free(o->chunks);
	rte_ring_free(o->free_r);
	rte_ring_free(o->full_r);
	free(o);
	return -err;
}
