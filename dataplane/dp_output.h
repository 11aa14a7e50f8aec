/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dp_output: record output without stalling workers. Workers format
 * records into fixed chunks they own and pass full chunks through an
 * rte_ring to one writer thread (not an lcore) that does the file I/O and
 * returns the chunks. When no chunk is free a live worker drops the record
 * and counts it; in lossless (replay) mode it waits for the writer.
 * create/close: main thread. dp_output_record/flush: the owning worker only.
 */
#ifndef DP_OUTPUT_H
#define DP_OUTPUT_H

#include <stdint.h>

#include "dp_conn.h"

struct dp_output;

/* Per-worker handle: the chunk being filled. */
struct dp_output_local {
	struct dp_output_chunk *cur;
	uint64_t records;
	uint64_t dropped;
};

struct dp_output_params {
	const char *path;      /* "-" for stdout */
	uint32_t n_chunks;     /* >= 2 per worker */
	int lossless;
};

/* Returns NULL with errno set (the file could not be opened, ENOMEM). */
struct dp_output *dp_output_create(const struct dp_output_params *p);
void dp_output_record(struct dp_output *o, struct dp_output_local *l,
		      const struct dp_conn_record *r);
/* Hand the partial chunk to the writer. */
void dp_output_flush(struct dp_output *o, struct dp_output_local *l);
/* Drain, stop the writer, close the file: 0 or -errno of a write error. */
int dp_output_close(struct dp_output *o);

#endif
