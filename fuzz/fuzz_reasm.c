/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_reasm: dp_reasm, both directions of one connection, against a
 * model of what it must deliver.
 *
 * Input: [u8 mode][u32 isn client][u32 isn server], then operations, each
 * [u8 op][u16 seq offset][u16 ack offset][u16 length] and, in free mode,
 * the payload bytes. op bit 0: direction; bit 1: SYN; bit 2: FIN; bit 3:
 * the segment carries an ACK of the other direction; bit 4: flush this
 * direction instead of a segment; bit 5: the seq offset is negative;
 * bits 6 and 7: the seq and the ack offset count 65536s (so a segment or
 * an ACK can land anywhere in sequence space, 2^31 away included).
 * Offsets are from the direction's ISN; a segment's length is capped at
 * 3 windows. Mode bit 0 set: free payload (taken from the input); clear:
 * consistent payload, every byte a function of its sequence number, as a
 * real sender's retransmissions are. Both directions are flushed at the end.
 *
 * Invariants: the sink's own count of delivered and skipped bytes agrees
 * with next_seq; delivered bytes never exceed the payload fed; what is held
 * stays inside the window (buffered equals the bits set in present);
 * consistent mode delivers exactly the sender's bytes at their sequence
 * numbers and never reports an overlap conflict.
 */
#include <stdbool.h>
#include <string.h>

#include <mxscreen/anomaly.h>

#include "dp_reasm.h"
#include "fuzz_main.h"
#include "fz_util.h"

#define SEG_MAX (3u * DP_REASM_WINDOW)

struct side {
	struct dp_reasm_dir d;
	struct dp_reasm_window w;
	uint32_t isn;
	uint32_t pos;          /* sequence number of the next byte the sink gets */
	bool pos_known;
	bool consistent;
	uint64_t fed;          /* payload bytes handed to dp_reasm */
	uint64_t got;          /* bytes the sink received */
	uint64_t skipped;      /* bytes the sink was told were lost */
};

static struct side sides[2];

/* The consistent sender's byte at sequence number s is ring[s % RING]: a
 * power of two, so it stays continuous across the 2^32 wrap; far longer
 * than the window, so a misplaced byte cannot land on an equal one. */
#define RING 65536u
static uint8_t ring[2 * RING];

static void ring_init(void)
{
	uint32_t x = 2463534242u;

	if (ring[0] | ring[1] | ring[2])
		return;
	for (uint32_t i = 0; i < RING; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		ring[i] = ring[i + RING] = (uint8_t)x;
	}
}

/* @n (<= RING) consistent bytes from sequence number @seq. */
static const uint8_t *pattern(uint32_t seq)
{
	return ring + (seq & (RING - 1));
}

FZ_NO_COVERAGE static void on_data(void *ctx, const uint8_t *p, uint32_t n)
{
	struct side *s = ctx;

	FZ_CHECK(n > 0 && p != NULL);
	if (!s->pos_known) {
		/* The first delivery of a midstream pickup: dp_reasm calls
		 * the sink before it advances next_seq. */
		s->pos = s->d.next_seq;
		s->pos_known = true;
	}
	if (s->consistent)
		for (uint32_t i = 0; i < n; i += RING) {
			uint32_t k = n - i < RING ? n - i : RING;

			FZ_CHECK(!memcmp(p + i, pattern(s->pos + i), k));
		}
	s->pos += n;
	s->got += n;
}

static void on_gap(void *ctx, uint32_t n)
{
	struct side *s = ctx;

	FZ_CHECK(n > 0);
	FZ_CHECK(s->pos_known);
	s->pos += n;
	s->skipped += n;
}

/* After a call: a stream that has started but moved no byte yet sits
 * where dp_reasm says (a SYN may still move it). */
static void note_start(struct side *s)
{
	if (s->d.started && !s->got && !s->skipped && !s->d.buffered) {
		s->pos = s->d.next_seq;
		s->pos_known = true;
	}
}

FZ_NO_COVERAGE static void check_side(const struct side *s)
{
	const struct dp_reasm_dir *d = &s->d;
	uint32_t bits = 0;

	FZ_CHECK(d->buffered <= DP_REASM_WINDOW);
	FZ_CHECK(d->hist_len <= DP_REASM_HIST);
	FZ_CHECK(d->delivered == s->got && d->gap_bytes == s->skipped);
	FZ_CHECK(s->got <= s->fed);
	if (d->started)
		FZ_CHECK(s->pos_known && d->next_seq == s->pos);
	for (size_t i = 0; i < sizeof(s->w.present); i += 8) {
		uint64_t w;

		memcpy(&w, s->w.present + i, sizeof(w));
		bits += (uint32_t)__builtin_popcountll(w);
	}
	FZ_CHECK(bits == d->buffered);
	if (s->consistent)
		FZ_CHECK(!(d->anomalies & MXS_ANOMALY_BIT(REASM_OVERLAP_CONFLICT)));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz_in in = { data, size };
	uint8_t mode = fz_u8(&in);
	struct dp_reasm_sink sink[2];

	ring_init();
	for (int i = 0; i < 2; i++) {
		struct side *s = &sides[i];

		memset(s, 0, sizeof(*s));
		dp_reasm_init(&s->d, &s->w);
		s->consistent = !(mode & 1);
		sink[i] = (struct dp_reasm_sink){ on_data, on_gap, s };
	}
	sides[0].isn = fz_u32(&in);
	sides[1].isn = fz_u32(&in);

	while (in.n) {
		uint8_t op = fz_u8(&in);
		int dir = op & 1;
		struct side *s = &sides[dir], *o = &sides[!dir];
		uint16_t soff = fz_u16(&in), aoff = fz_u16(&in);
		uint32_t len = fz_u16(&in) % (SEG_MAX + 1);
		uint32_t soff32 = (op & 0x40) ? (uint32_t)soff << 16 : soff;
		uint32_t aoff32 = (op & 0x80) ? (uint32_t)aoff << 16 : aoff;
		uint32_t seq = s->isn + ((op & 0x20) ? -soff32 : soff32);
		const uint8_t *p;

		if (op & 0x10) {
			dp_reasm_flush(&s->d, &sink[dir]);
			check_side(s);
			continue;
		}
		if (op & 2) {
			dp_reasm_syn(&s->d, seq);
			note_start(s);
			seq++;          /* the SYN takes one sequence number */
		}
		if (s->consistent) {
			p = pattern(seq);       /* SEG_MAX <= RING */
		} else {
			len = (uint32_t)fz_take(&in, len, &p);
		}
		s->fed += len;
		dp_reasm_segment(&s->d, seq, p, len, op & 4, &sink[dir]);
		note_start(s);
		check_side(s);
		if (op & 8) {
			dp_reasm_ack(&o->d, o->isn + 1 + aoff32, &sink[!dir]);
			check_side(o);
		}
	}
	for (int i = 0; i < 2; i++) {
		dp_reasm_flush(&sides[i].d, &sink[i]);
		check_side(&sides[i]);
		FZ_CHECK(sides[i].d.buffered == 0);
	}
	return 0;
}
