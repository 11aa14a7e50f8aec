/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dp_reasm: one direction of TCP reassembly (contract in dp_reasm.h).
 * Called only by the lcore owning the flow; no allocation, no globals.
 *
 * Layout, all indexed by absolute sequence number so that no head pointer
 * has to be kept in step:
 *   win[s % WINDOW]   byte s, for s in [next_seq, next_seq + WINDOW)
 *   present           bit per win slot; never set for next_seq itself
 *                     (anything contiguous is delivered at once)
 *   hist[s % HIST]    byte s, for s in [next_seq - hist_len, next_seq)
 *
 * The common case (in order, nothing buffered) costs a compare, the sink
 * call and at most two memcpy into hist. Everything else works on runs of
 * equal `present` bits found a 64-bit word at a time, and on memcpy/memcmp
 * over those runs, so no path loops per byte.
 */
#include "dp_reasm.h"

#include <endian.h>
#include <stddef.h>
#include <string.h>

#include <mxscreen/anomaly.h>

#define WIN_MASK (DP_REASM_WINDOW - 1)
#define HIST_MASK (DP_REASM_HIST - 1)

_Static_assert((DP_REASM_WINDOW & WIN_MASK) == 0, "window: power of two");
_Static_assert((DP_REASM_HIST & HIST_MASK) == 0, "hist: power of two");
_Static_assert(DP_REASM_WINDOW % 64 == 0, "present is scanned by u64");
_Static_assert(DP_REASM_WINDOW <= 0x40000000u, "window within seq space");

/* a - b as a signed distance in sequence space (RFC 1982 style). */
static inline int32_t seq_diff(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b);
}

static inline uint32_t min_u32(uint32_t a, uint32_t b)
{
	return a < b ? a : b;
}

/* ---- present bitmap, handled a 64-bit word at a time ---- */

static inline uint64_t bm_load(const struct dp_reasm_dir *d, uint32_t word)
{
	uint64_t w;

	memcpy(&w, d->w->present + word * 8, sizeof(w));
	return le64toh(w); /* bit i of a word is byte i/8, bit i%8 */
}

static inline void bm_store(struct dp_reasm_dir *d, uint32_t word, uint64_t w)
{
	w = htole64(w);
	memcpy(d->w->present + word * 8, &w, sizeof(w));
}

static inline int bm_test(const struct dp_reasm_dir *d, uint32_t pos)
{
	return (d->w->present[pos >> 3] >> (pos & 7)) & 1;
}

/* Length (<= @max) of the run of bits equal to @set starting at slot @pos,
 * wrapping around the ring. */
static uint32_t bm_run(const struct dp_reasm_dir *d, uint32_t pos,
		       uint32_t max, int set)
{
	uint32_t n = 0, i, avail, t;
	uint64_t w;

	while (n < max) {
		i = (pos + n) & WIN_MASK;
		w = bm_load(d, i >> 6);
		if (!set)
			w = ~w;
		w >>= i & 63;
		avail = 64 - (i & 63);
		/* Bits shifted in from the top are 0, so ~w has a 1 at
		 * `avail` whenever avail < 64: t never exceeds avail. */
		t = ~w ? (uint32_t)__builtin_ctzll(~w) : 64;
		n += t;
		if (t < avail)
			break;
	}
	return min_u32(n, max);
}

/* Set (@set != 0) or clear @n slots from @pos, wrapping. */
static void bm_fill(struct dp_reasm_dir *d, uint32_t pos, uint32_t n, int set)
{
	uint32_t i, b, k;
	uint64_t mask, w;

	while (n) {
		i = pos & WIN_MASK;
		b = i & 63;
		k = min_u32(n, 64 - b);
		mask = (k == 64 ? ~0ull : (1ull << k) - 1) << b;
		w = bm_load(d, i >> 6);
		w = set ? (w | mask) : (w & ~mask);
		bm_store(d, i >> 6, w);
		pos += k;
		n -= k;
	}
}

/* ---- byte rings ---- */

static inline void ring_put(uint8_t *ring, uint32_t size, uint32_t pos,
			    const uint8_t *src, uint32_t n)
{
	uint32_t first = min_u32(n, size - pos);

	memcpy(ring + pos, src, first);
	memcpy(ring, src + first, n - first);
}

/* Nonzero when @n bytes of @ring from @pos differ from @src. */
static inline int ring_differs(const uint8_t *ring, uint32_t size,
			       uint32_t pos, const uint8_t *src, uint32_t n)
{
	uint32_t first = min_u32(n, size - pos);

	return memcmp(ring + pos, src, first) != 0 ||
	       memcmp(ring, src + first, n - first) != 0;
}

/* ---- delivery ---- */

/* Remember delivered bytes [seq, seq + n) for later overlap checks. */
static inline void hist_note(struct dp_reasm_dir *d, uint32_t seq,
			     const uint8_t *p, uint32_t n)
{
	if (n >= DP_REASM_HIST) {
		p += n - DP_REASM_HIST;
		seq += n - DP_REASM_HIST;
		n = DP_REASM_HIST;
	}
	ring_put(d->hist, DP_REASM_HIST, seq & HIST_MASK, p, n);
	d->hist_len = n >= DP_REASM_HIST - d->hist_len ? DP_REASM_HIST
						       : d->hist_len + n;
}

/* Hand @n bytes at next_seq straight from @p (the caller's or win). */
static inline void deliver(struct dp_reasm_dir *d, const uint8_t *p,
			   uint32_t n, const struct dp_reasm_sink *sink)
{
	sink->data(sink->ctx, p, n);
	hist_note(d, d->next_seq, p, n);
	d->next_seq += n;
	d->delivered += n;
}

/* Deliver @n buffered bytes at next_seq out of win and release them. */
static void deliver_win(struct dp_reasm_dir *d, uint32_t n,
			const struct dp_reasm_sink *sink)
{
	uint32_t pos = d->next_seq & WIN_MASK;
	uint32_t first = min_u32(n, DP_REASM_WINDOW - pos);

	bm_fill(d, pos, n, 0);
	d->buffered -= n;
	deliver(d, d->w->win + pos, first, sink);
	if (n > first)
		deliver(d, d->w->win, n - first, sink);
}

/* Deliver whatever is contiguous at next_seq (at most one run). */
static void drain(struct dp_reasm_dir *d, const struct dp_reasm_sink *sink)
{
	uint32_t pos = d->next_seq & WIN_MASK;

	if (d->buffered && bm_test(d, pos))
		deliver_win(d, bm_run(d, pos, DP_REASM_WINDOW, 1), sink);
}

/* Skip @n bytes that were never seen. */
static void declare_gap(struct dp_reasm_dir *d, uint32_t n,
			const struct dp_reasm_sink *sink)
{
	d->anomalies |= MXS_ANOMALY_BIT(REASM_GAP);
	d->gaps++;
	d->gap_bytes += n;
	d->next_seq += n;
	/* The bytes just behind next_seq are now unknown, not the old ones. */
	d->hist_len = 0;
	if (sink->gap)
		sink->gap(sink->ctx, n);
}

/* ---- segment cases ---- */

/* Compare bytes [seq, seq + n), all before next_seq, with what was
 * delivered, as far as hist still holds it. */
static void check_old(struct dp_reasm_dir *d, uint32_t seq,
		      const uint8_t *p, uint32_t n)
{
	/* Unsigned: a segment 2^31 behind is a distance, not -INT32_MIN. */
	uint32_t back = d->next_seq - seq; /* >= n */
	uint32_t skip;

	if (back > d->hist_len) {
		skip = back - d->hist_len;
		if (skip >= n)
			return;
		seq += skip;
		p += skip;
		n -= skip;
	}
	if (ring_differs(d->hist, DP_REASM_HIST, seq & HIST_MASK, p, n))
		d->anomalies |= MXS_ANOMALY_BIT(REASM_OVERLAP_CONFLICT);
}

/* Segment ahead of next_seq that fits in the window: keep the bytes not
 * held yet; held ones stay (first data wins) and are compared. */
static void store(struct dp_reasm_dir *d, uint32_t seq, const uint8_t *p,
		  uint32_t len)
{
	uint32_t off = 0, pos, run;

	while (off < len) {
		pos = (seq + off) & WIN_MASK;
		if (bm_test(d, pos)) {
			run = bm_run(d, pos, len - off, 1);
			if (ring_differs(d->w->win, DP_REASM_WINDOW, pos, p + off,
					 run))
				d->anomalies |=
					MXS_ANOMALY_BIT(REASM_OVERLAP_CONFLICT);
		} else {
			run = bm_run(d, pos, len - off, 0);
			ring_put(d->w->win, DP_REASM_WINDOW, pos, p + off, run);
			bm_fill(d, pos, run, 1);
			d->buffered += run;
		}
		off += run;
	}
}

/* Segment starting exactly at next_seq while something is buffered:
 * alternate between the caller's bytes (where win holds nothing) and the
 * held bytes (which win, after comparison). */
static void in_order_merge(struct dp_reasm_dir *d, const uint8_t *p,
			   uint32_t len, const struct dp_reasm_sink *sink)
{
	/* Beyond one window from the start nothing can be held. */
	uint32_t span = min_u32(len, DP_REASM_WINDOW), off = 0, pos, run;

	while (off < span) {
		pos = d->next_seq & WIN_MASK;
		if (bm_test(d, pos)) {
			run = bm_run(d, pos, span - off, 1);
			if (ring_differs(d->w->win, DP_REASM_WINDOW, pos, p + off,
					 run))
				d->anomalies |=
					MXS_ANOMALY_BIT(REASM_OVERLAP_CONFLICT);
			deliver_win(d, run, sink);
		} else {
			run = bm_run(d, pos, span - off, 0);
			deliver(d, p + off, run, sink);
		}
		off += run;
	}
	if (len > span)
		deliver(d, p + span, len - span, sink);
	drain(d, sink);
}

/*
 * Segment [seq, seq + len) reaches past the window. Deliver held data and
 * declare holes, in order, until it fits (or, for a segment larger than
 * the window, until it starts at next_seq). Held bytes at or past @seq are
 * left in win so the segment is still checked against them afterwards.
 */
static void make_room(struct dp_reasm_dir *d, uint32_t seq, uint32_t len,
		      const struct dp_reasm_sink *sink)
{
	uint32_t target = len > DP_REASM_WINDOW ? seq
						: seq + len - DP_REASM_WINDOW;
	uint32_t ahead, pos, run;

	while ((ahead = (uint32_t)seq_diff(seq, d->next_seq)) != 0) {
		pos = d->next_seq & WIN_MASK;
		if (d->buffered && bm_test(d, pos)) {
			deliver_win(d, bm_run(d, pos, min_u32(ahead,
						DP_REASM_WINDOW), 1), sink);
			continue;
		}
		if (seq_diff(d->next_seq, target) >= 0)
			break;
		/* A hole is reported whole: up to the next held byte, or
		 * up to the segment when the window holds nothing. Held
		 * bytes all lie within one window, so when some are held
		 * the scan below stops on one before it runs out. */
		run = d->buffered ? bm_run(d, pos, min_u32(ahead,
						DP_REASM_WINDOW), 0)
				  : ahead;
		declare_gap(d, run, sink);
	}
}

/* Everything but the in-order, nothing-buffered case. len > 0, started. */
static void segment_slow(struct dp_reasm_dir *d, uint32_t seq,
			 const uint8_t *p, uint32_t len,
			 const struct dp_reasm_sink *sink)
{
	int32_t rel = seq_diff(seq, d->next_seq);
	uint32_t old;

	if (rel < 0) {
		/* Retransmission of (some) delivered bytes: they stand. */
		old = (uint32_t)-(int64_t)rel;
		check_old(d, seq, p, min_u32(old, len));
		if (old >= len)
			return;
		seq += old;
		p += old;
		len -= old;
		rel = 0;
	}
	if (rel > 0 && (uint64_t)rel + len > DP_REASM_WINDOW) {
		make_room(d, seq, len, sink);
		rel = seq_diff(seq, d->next_seq);
	}
	if (rel == 0) {
		if (d->buffered)
			in_order_merge(d, p, len, sink);
		else
			deliver(d, p, len, sink);
	} else {
		store(d, seq, p, len);
	}
}

/* The bookkeeping of a fresh direction: win and hist contents are only
 * read where present/hist_len say they are valid. */
static void reset(struct dp_reasm_dir *d, struct dp_reasm_window *w)
{
	d->next_seq = 0;
	d->buffered = 0;
	d->anomalies = 0;
	d->gaps = 0;
	d->gap_bytes = 0;
	d->delivered = 0;
	d->hist_len = 0;
	d->started = 0;
	d->fin_seen = 0;
	memset(d->pad, 0, sizeof(d->pad));
	d->fin_seq = 0;
	d->w = w;
}

void dp_reasm_init(struct dp_reasm_dir *d, struct dp_reasm_window *w)
{
	memset(w->present, 0, sizeof(w->present));
	reset(d, w);
}

void dp_reasm_reinit(struct dp_reasm_dir *d, struct dp_reasm_window *w)
{
	/* buffered counts the set bits of present exactly. */
	if (d->buffered)
		memset(w->present, 0, sizeof(w->present));
	reset(d, w);
}

void dp_reasm_syn(struct dp_reasm_dir *d, uint32_t isn)
{
	/* Once data has moved, a SYN with another ISN is a stray (or an
	 * injection attempt) and must not rewind the stream. */
	if (d->started && (d->delivered || d->buffered || d->gaps))
		return;
	d->next_seq = isn + 1;
	d->started = 1;
}

void dp_reasm_segment(struct dp_reasm_dir *d, uint32_t seq,
		      const uint8_t *data, uint32_t len, int fin,
		      const struct dp_reasm_sink *sink)
{
	int32_t room;

	if (__builtin_expect(fin || d->fin_seen, 0)) {
		/* The first FIN fixes the end; nothing past it is data. */
		if (fin && !d->fin_seen) {
			d->fin_seen = 1;
			d->fin_seq = seq + len;
		}
		room = seq_diff(d->fin_seq, seq);
		if (room <= 0)
			return;
		len = min_u32(len, (uint32_t)room);
	}
	if (len == 0)
		return;
	if (!d->started) {
		d->next_seq = seq;
		d->started = 1;
	}
	if (__builtin_expect(seq == d->next_seq && !d->buffered, 1)) {
		deliver(d, data, len, sink);
		return;
	}
	segment_slow(d, seq, data, len, sink);
}

void dp_reasm_flush(struct dp_reasm_dir *d, const struct dp_reasm_sink *sink)
{
	uint32_t pos;

	while (d->buffered) {
		pos = d->next_seq & WIN_MASK;
		if (bm_test(d, pos))
			deliver_win(d, bm_run(d, pos, DP_REASM_WINDOW, 1), sink);
		else
			declare_gap(d, bm_run(d, pos, DP_REASM_WINDOW, 0),
				    sink);
	}
}

void dp_reasm_ack(struct dp_reasm_dir *d, uint32_t ack,
		  const struct dp_reasm_sink *sink)
{
	if (!d->started)
		return;
	/* The ACK of a FIN covers one sequence number that is not data. */
	if (d->fin_seen && seq_diff(ack, d->fin_seq) > 0)
		ack = d->fin_seq;
	/* An ACK implausibly far ahead is not evidence of lost bytes. */
	if (seq_diff(ack, d->next_seq) <= 0 || seq_diff(ack, d->next_seq) > (int32_t)DP_REASM_ACK_MAX)
		return;
	while (seq_diff(ack, d->next_seq) > 0) {
		uint32_t want = (uint32_t)seq_diff(ack, d->next_seq);
		uint32_t lim = min_u32(want, DP_REASM_WINDOW);
		uint32_t pos = d->next_seq & WIN_MASK;

		if (d->buffered && bm_test(d, pos))
			deliver_win(d, bm_run(d, pos, lim, 1), sink);
		else
			declare_gap(d, d->buffered ? bm_run(d, pos, lim, 0) : want, sink);
	}
	drain(d, sink);
}
