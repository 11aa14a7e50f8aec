/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * gen_body: corpus, message layout and byte ranges (see gen_body.h).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gen_body.h"
#include "gen_names.h"
#include "gen_rng.h"

#define CORPUS_SIZE (256u << 10)
#define CORPUS_SEED 0x6d78736372656e00ull  /* fixed: same corpus every run */

struct gen_body {
	uint32_t size;          /* corpus bytes; ends with CRLF */
	uint32_t n_lines;
	uint32_t *line_start;   /* ascending; line_start[0] == 0 */
	char *text;
};

/* One corpus line (without CRLF) into @p; returns its length. */
static uint32_t corpus_line(char *p, uint64_t *rng)
{
	uint32_t n = 0, want = gen_rng_range(rng, 20, 76), kind = gen_rng_below(rng, 1000);

	if (kind < 30)
		return 0;               /* paragraph break */
	if (kind < 36) {
		memcpy(p, "..", 2);     /* a line that was just "." */
		return 2;
	}
	if (kind < 60) {
		memcpy(p, "..", 2);     /* stuffed: the line began with '.' */
		n = 2;
	}
	while (n < want) {
		const char *w = gen_names_word(gen_rng_next(rng));
		size_t k = strlen(w);

		if (n + k + 1 > 78)
			break;
		if (n && p[n - 1] != '.')
			p[n++] = ' ';
		memcpy(p + n, w, k);
		n += (uint32_t)k;
	}
	return n;
}

struct gen_body *gen_body_create(void)
{
	struct gen_body *b = calloc(1, sizeof(*b));
	uint64_t rng = CORPUS_SEED;
	uint32_t cap_lines = CORPUS_SIZE / 2;

	if (!b)
		return NULL;
	b->text = malloc(CORPUS_SIZE);
	b->line_start = malloc(cap_lines * sizeof(uint32_t));
	if (!b->text || !b->line_start) {
		gen_body_free(b);
		return NULL;
	}
	while (b->size + 82 <= CORPUS_SIZE && b->n_lines < cap_lines) {
		uint32_t n = corpus_line(b->text + b->size, &rng);

		b->line_start[b->n_lines++] = b->size;
		memcpy(b->text + b->size + n, "\r\n", 2);
		b->size += n + 2;
	}
	return b;
}

void gen_body_free(struct gen_body *b)
{
	if (!b)
		return;
	free(b->text);
	free(b->line_start);
	free(b);
}

/* Approximately standard normal from a hash: Irwin-Hall with 12 terms. */
static double normal(uint64_t h)
{
	double sum = 0;

	for (uint32_t i = 0; i < 12; i++)
		sum += (double)(gen_mix64(h + i) >> 11) / 9007199254740992.0;
	return sum - 6.0;
}

uint32_t gen_body_size(uint64_t h, unsigned cls)
{
	double median = 3000, sigma = 1.0, v;

	if (cls == GEN_BODY_SPAM) {
		median = 1500;
		sigma = 0.6;
	} else if (gen_chance(h, 12)) {
		median = 150000;        /* attachments: the long tail */
		sigma = 0.9;
	}
	v = median * exp(sigma * normal(h >> 1));
	if (v < 200)
		v = 200;
	if (v > GEN_BODY_MAX - GEN_BODY_HDR_MAX)
		v = GEN_BODY_MAX - GEN_BODY_HDR_MAX;
	return (uint32_t)v;
}

/* Appending without printf: one header per message adds up. */
static size_t put_s(char *buf, size_t n, const char *s)
{
	size_t k = strlen(s);

	if (k > GEN_BODY_HDR_MAX - 1 - n)
		k = GEN_BODY_HDR_MAX - 1 - n;
	memcpy(buf + n, s, k);
	buf[n + k] = '\0';
	return n + k;
}

/* @v in decimal, at least @w digits. */
static size_t put_u(char *buf, size_t n, uint64_t v, int w)
{
	char t[24];
	int i = 24;

	t[--i] = '\0';
	do {
		t[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v || 24 - 1 - i < w);
	return put_s(buf, n, t + i);
}

size_t gen_body_header(char *buf, const char *from, const char *to, uint64_t h)
{
	static const char *const dow[] = { "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun" };
	static const char hex[] = "0123456789abcdef";
	const char *at = strchr(from, '@');
	char id[17];
	uint64_t x = gen_mix64(h);
	size_t n = 0;

	for (int i = 15; i >= 0; i--, x >>= 4)
		id[i] = hex[x & 15];
	id[16] = '\0';
	n = put_s(buf, n, "From: <");
	n = put_s(buf, n, from);
	n = put_s(buf, n, ">\r\nTo: <");
	n = put_s(buf, n, to);
	n = put_s(buf, n, ">\r\nSubject: ");
	n = put_s(buf, n, gen_names_word(h));
	n = put_s(buf, n, " ");
	n = put_s(buf, n, gen_names_word(h >> 7));
	n = put_s(buf, n, " ");
	n = put_u(buf, n, gen_pick(h >> 13, 10000), 1);
	n = put_s(buf, n, "\r\nDate: ");
	n = put_s(buf, n, dow[gen_pick(h >> 17, 7)]);
	n = put_s(buf, n, ", ");
	n = put_u(buf, n, gen_pick(h >> 21, 28) + 1, 2);
	n = put_s(buf, n, " Jan 2024 ");
	n = put_u(buf, n, gen_pick(h >> 25, 24), 2);
	n = put_s(buf, n, ":");
	n = put_u(buf, n, gen_pick(h >> 29, 60), 2);
	n = put_s(buf, n, ":");
	n = put_u(buf, n, gen_pick(h >> 35, 60), 2);
	n = put_s(buf, n, " +0000\r\nMessage-ID: <");
	n = put_s(buf, n, id);
	n = put_s(buf, n, "@");
	n = put_s(buf, n, at ? at + 1 : "localhost");
	n = put_s(buf, n, ">\r\nMIME-Version: 1.0\r\n"
		  "Content-Type: text/plain; charset=us-ascii\r\n\r\n");
	return n;
}

/* Smallest line start >= @q (the corpus size when none). */
static uint32_t next_line_start(const struct gen_body *b, uint32_t q)
{
	uint32_t lo = 0, hi = b->n_lines;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (b->line_start[mid] < q)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < b->n_lines ? b->line_start[lo] : b->size;
}

void gen_body_layout(const struct gen_body *b, uint64_t h, uint32_t target,
		     uint32_t hdr_len, int data_end, struct gen_msg *ret)
{
	uint32_t want = target > hdr_len + 64 ? target - hdr_len : 64;
	uint32_t start = b->line_start[gen_pick(h, b->n_lines)];
	uint64_t end = (uint64_t)start + want;
	uint32_t q = (uint32_t)(end % b->size);

	ret->hdr_len = hdr_len;
	ret->text_start = start;
	ret->text_len = (uint32_t)(end - q + next_line_start(b, q) - start);
	ret->data_end = (uint8_t)(data_end != 0);
	ret->total = hdr_len + ret->text_len + (data_end ? 3u : 0u);
}

void gen_body_fill(const struct gen_body *b, const struct gen_msg *m,
		   const char *hdr, uint32_t off, uint32_t n, uint8_t *out)
{
	uint32_t text_end = m->hdr_len + m->text_len;

	while (n) {
		uint32_t k;

		if (off < m->hdr_len) {
			k = m->hdr_len - off < n ? m->hdr_len - off : n;
			memcpy(out, hdr + off, k);
		} else if (off < text_end) {
			uint32_t c = (uint32_t)(((uint64_t)m->text_start + off - m->hdr_len) % b->size);

			k = text_end - off < n ? text_end - off : n;
			if (k > b->size - c)
				k = b->size - c;
			memcpy(out, b->text + c, k);
		} else {
			k = m->total - off < n ? m->total - off : n;
			memcpy(out, ".\r\n" + (off - text_end), k);
		}
		out += k;
		off += k;
		n -= k;
	}
}
