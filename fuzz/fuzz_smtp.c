/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_smtp: dp_smtp, both directions, the dialogue cut into segments where
 * the input says (as Zeek's SMTP fuzzer does).
 *
 * Input: byte 0: bit 0 the server port is an SMTP port (else the parser
 * probes), bit 1 the TCP handshake was seen. Then chunks separated by the
 * four bytes A5 5A C3 3C (fuzz/smtp.dict has them). A chunk's first byte:
 * bit 0 the direction (0 client to server, 1 server to client); bit 7 a
 * gap of ((byte >> 1 & 63) * 37 + 1) bytes in that direction comes first.
 * The rest of the chunk is one segment's payload.
 *
 * Checks: the record stays within its bounds after every segment; on an
 * SMTP port (no probing, where a segment boundary ends a line), the record
 * and the values reported to on_value are the same when the segments of a
 * direction between two turns are fed as one, and when every byte is fed
 * alone (inputs over BYTEWISE_MAX: every SMALL_PIECE bytes) (dp_smtp.h:
 * results do not depend on how the stream is chunked).
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "dp_smtp.h"
#include "fuzz_main.h"
#include "fz_smtp.h"
#include "fz_util.h"

#define SEP "\xa5\x5a\xc3\x3c"
#define SEP_LEN 4u
#define MAX_CHUNKS 4096u
#define MAX_VALUES 512u
#define BYTEWISE_MAX 2048u       /* larger inputs: pieces of SMALL_PIECE */
#define SMALL_PIECE 13u
#define MERGED_MAX (1u << 20)

struct chunk {
	const uint8_t *p;
	uint32_t n;
	uint8_t dir;
	uint32_t gap;           /* bytes lost before this chunk, 0 none */
};

struct value {
	unsigned field;
	size_t len;
	uint64_t hash;
};

struct values {
	uint32_t n;
	struct value v[MAX_VALUES];
};

static struct chunk chunks[MAX_CHUNKS];
static struct dp_smtp_session sess[3];
static struct values vals[3];

static uint64_t fnv(const char *p, size_t n)
{
	uint64_t h = 14695981039346656037ull;

	for (size_t i = 0; i < n; i++)
		h = (h ^ (uint8_t)p[i]) * 1099511628211ull;
	return h;
}

static void on_value(void *ctx, unsigned field, const char *p, size_t n)
{
	struct values *v = ctx;

	FZ_CHECK(n == 0 || p != NULL);
	FZ_CHECK(field < 3);
	if (v->n < MAX_VALUES)
		v->v[v->n] = (struct value){ field, n, fnv(p, n) };
	v->n++;
}

static void start(int k, uint8_t flags)
{
	struct dp_smtp_init_params ip = {
		.on_smtp_port = flags & 1,
		.handshake_seen = !!(flags & 2),
		.on_value = on_value,
		.value_ctx = &vals[k],
	};

	vals[k].n = 0;
	dp_smtp_init(&sess[k], &ip);
}

static void feed(int k, int dir, const uint8_t *p, uint32_t n)
{
	dp_smtp_feed(&sess[k], dir, p, n);
	fz_smtp_check(&sess[k]);
}

static void compare(int a, int b, const char *how)
{
	bool same = fz_smtp_same(&sess[a], &sess[b]) && vals[a].n == vals[b].n;

	for (uint32_t i = 0; same && i < vals[a].n && i < MAX_VALUES; i++)
		same = vals[a].v[i].field == vals[b].v[i].field &&
		       vals[a].v[i].len == vals[b].v[i].len &&
		       vals[a].v[i].hash == vals[b].v[i].hash;
	if (!same) {
		fprintf(stderr, "fuzz_smtp: the record differs when %s:\n", how);
		fz_smtp_diff(&sess[a], &sess[b]);
		if (vals[a].n != vals[b].n)
			fprintf(stderr, "  values: %u vs %u\n", vals[a].n, vals[b].n);
		FZ_CHECK(!"the record does not depend on segmentation");
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t flags;
	uint32_t nc = 0, piece;
	uint64_t total = 0;
	const uint8_t *p = data + 1, *end = data + size;

	if (size < 1)
		return 0;
	flags = data[0];
	while (p < end && nc < MAX_CHUNKS) {
		const uint8_t *sep = memmem(p, (size_t)(end - p), SEP, SEP_LEN);
		const uint8_t *stop = sep ? sep : end;

		if (stop > p) {
			struct chunk *c = &chunks[nc++];

			c->dir = p[0] & 1;
			c->gap = (p[0] & 0x80) ? ((p[0] >> 1) & 63u) * 37u + 1u : 0;
			c->p = p + 1;
			c->n = (uint32_t)(stop - p - 1);
			total += c->n;
		}
		p = sep ? sep + SEP_LEN : end;
	}

	/* 0: as cut */
	start(0, flags);
	for (uint32_t i = 0; i < nc; i++) {
		if (chunks[i].gap) {
			dp_smtp_gap(&sess[0], chunks[i].dir, chunks[i].gap);
			fz_smtp_check(&sess[0]);
		}
		feed(0, chunks[i].dir, chunks[i].p, chunks[i].n);
	}
	dp_smtp_finish(&sess[0]);
	fz_smtp_check(&sess[0]);
	if (!(flags & 1) || total > MERGED_MAX)
		return 0;       /* probing: segment boundaries are meaningful */

	/* 1: each run of one direction's segments as one (gaps split runs) */
	start(1, flags);
	for (uint32_t i = 0; i < nc;) {
		static uint8_t buf[MERGED_MAX];
		uint32_t j = i, n = 0;

		if (chunks[i].gap)
			dp_smtp_gap(&sess[1], chunks[i].dir, chunks[i].gap);
		do {
			memcpy(buf + n, chunks[j].p, chunks[j].n);
			n += chunks[j].n;
			j++;
		} while (j < nc && chunks[j].dir == chunks[i].dir && !chunks[j].gap);
		dp_smtp_feed(&sess[1], chunks[i].dir, buf, n);
		i = j;
	}
	dp_smtp_finish(&sess[1]);
	fz_smtp_check(&sess[1]);
	compare(0, 1, "a direction's segments are fed as one");

	/* 2: one byte at a time (small pieces for long inputs) */
	piece = total <= BYTEWISE_MAX ? 1 : SMALL_PIECE;
	start(2, flags);
	for (uint32_t i = 0; i < nc; i++) {
		if (chunks[i].gap)
			dp_smtp_gap(&sess[2], chunks[i].dir, chunks[i].gap);
		for (uint32_t k = 0; k < chunks[i].n; k += piece)
			dp_smtp_feed(&sess[2], chunks[i].dir, chunks[i].p + k,
				     chunks[i].n - k < piece ? chunks[i].n - k : piece);
	}
	dp_smtp_finish(&sess[2]);
	fz_smtp_check(&sess[2]);
	compare(0, 2, piece == 1 ? "every byte is fed alone" : "fed in small pieces");
	return 0;
}
