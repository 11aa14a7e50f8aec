/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * gen_wire: flights to TCP segments (see gen_wire.h).
 *
 * Every segment acknowledges everything the peer has sent so far: flights
 * are emitted whole and in causal order, so an ACK never covers a byte the
 * capture lacks (a passive reassembler would call that a gap).
 */
#include <stdlib.h>
#include <string.h>

#include "gen_rng.h"
#include "gen_wire.h"

#define SEG_CAP 16384u
#define REORDER_SPAN 3u    /* a tiny segment moves at most this many places */

struct seg {
	uint32_t off;
	uint16_t len;
	uint8_t tiny;
	uint8_t pad;
};

struct gen_wire {
	struct gen_pcap *pcap;
	int adversarial;
	int err;
	uint64_t clock;
	struct seg segs[SEG_CAP];
};

static const uint16_t window[2] = { 502, 509 }; /* scaled by 2^7 */

struct gen_wire *gen_wire_create(const struct gen_wire_params *p)
{
	struct gen_wire *w = calloc(1, sizeof(*w));

	if (!w)
		return NULL;
	w->pcap = p->pcap;
	w->adversarial = p->adversarial;
	return w;
}

void gen_wire_free(struct gen_wire *w)
{
	free(w);
}

uint64_t gen_wire_clock(const struct gen_wire *w)
{
	return w->clock;
}

uint64_t gen_wire_stamp(struct gen_wire *w, uint64_t ts)
{
	if (ts > w->clock)
		w->clock = ts;
	return w->clock;
}

int gen_wire_error(const struct gen_wire *w)
{
	return w->err;
}

static uint32_t mss(const struct gen_flow *f)
{
	return f->path[0].family == 4 ? 1460u : 1440u;
}

/* Write one segment of @side: @len bytes at stream offset @seq. */
static void emit(struct gen_wire *w, struct gen_flow *f, int side, uint8_t flags,
		 uint32_t seq, const uint8_t *p, uint32_t len, uint64_t ts)
{
	struct gen_tcp *t = f->tcp;
	struct gen_tcp_seg s = {
		.sport = f->port[side],
		.dport = f->port[!side],
		.seq = seq,
		.ack = (flags & GEN_TCP_ACK) ? t->seq[!side] : 0,
		.win = window[side],
		.ip_id = t->ipid[side]++,
		.flags = flags,
	};
	int r;

	if (flags & GEN_TCP_SYN) {
		s.syn_opts = 1;
		s.win = side == GEN_C ? 64240 : 65160;
	}
	if (ts > w->clock)
		w->clock = ts;
	r = gen_pcap_tcp(w->pcap, w->clock, &f->path[side], &s, p, len);
	if (r && !w->err)
		w->err = r;
}

/* Serialisation time of a frame carrying @len bytes at 1 Gbit/s. */
static uint64_t wire_time(uint32_t len)
{
	return 1u + (len + 78u) / 125u;
}

uint64_t gen_wire_ctl(struct gen_wire *w, struct gen_flow *f, int side,
		      uint8_t flags, uint64_t ts)
{
	emit(w, f, side, flags, f->tcp->seq[side], NULL, 0, ts);
	if (flags & (GEN_TCP_SYN | GEN_TCP_FIN))
		f->tcp->seq[side]++;
	return (ts > w->clock ? ts : w->clock) + wire_time(0);
}

/*
 * Cut the flight into w->segs; returns the count. Tiny segments stop short
 * of SEG_CAP, and flights are bounded by the caller's scratch (well under
 * SEG_CAP MSS-sized segments), so the list cannot overflow.
 */
static uint32_t cut(struct gen_wire *w, const struct gen_flow *f,
		    const struct gen_send *s)
{
	uint32_t n = 0, off = 0, m = mss(f);
	uint32_t tail_start = s->len - (s->tiny_tail < s->len ? s->tiny_tail : s->len);

	while (off < s->len) {
		int tiny = w->adversarial && n + 64 < SEG_CAP &&
			   (off < s->tiny_head || off >= tail_start);
		uint32_t sz = tiny ? gen_rng_range(s->rng, 1, 8) : m;

		/* An MSS-sized segment stops where a tiny region starts. */
		if (!tiny && w->adversarial && off < tail_start && sz > tail_start - off)
			sz = tail_start - off;
		if (sz > s->len - off)
			sz = s->len - off;
		w->segs[n].off = off;
		w->segs[n].len = (uint16_t)sz;
		w->segs[n].tiny = (uint8_t)tiny;
		n++;
		off += sz;
	}
	return n;
}

/* Move some tiny segments a few places earlier. */
static void reorder(struct gen_wire *w, uint32_t n, uint64_t *rng)
{
	for (uint32_t i = 0; i + 1 < n; i++) {
		uint32_t j, k;
		struct seg tmp;

		if (!w->segs[i].tiny || gen_rng_below(rng, 4) != 0)
			continue;
		j = i + 1 + gen_rng_below(rng, REORDER_SPAN);
		if (j >= n)
			j = n - 1;
		for (k = i + 1; k <= j; k++)
			if (!w->segs[k].tiny)
				break;
		if (k <= j)
			continue;
		tmp = w->segs[i];
		w->segs[i] = w->segs[j];
		w->segs[j] = tmp;
	}
}

uint64_t gen_wire_data(struct gen_wire *w, struct gen_flow *f, int side,
		       const struct gen_send *s, uint64_t ts)
{
	uint32_t base = f->tcp->seq[side], n;
	const uint8_t *d = s->data;

	if (s->len == 0)
		return s->fin ? gen_wire_ctl(w, f, side, GEN_TCP_FIN | GEN_TCP_ACK, ts) : ts;
	n = cut(w, f, s);
	if (!w->adversarial) {
		for (uint32_t i = 0; i < n; i++) {
			const struct seg *g = &w->segs[i];
			uint8_t fl = GEN_TCP_ACK;

			if (i + 1 == n)
				fl |= GEN_TCP_PSH | (s->fin ? GEN_TCP_FIN : 0);
			emit(w, f, side, fl, base + g->off, d + g->off, g->len, ts);
			ts = w->clock + wire_time(g->len);
		}
		f->tcp->seq[side] = base + s->len + (s->fin ? 1u : 0u);
		return ts;
	}
	reorder(w, n, s->rng);
	for (uint32_t i = 0; i < n; i++) {
		const struct seg *g = &w->segs[i];

		emit(w, f, side, GEN_TCP_ACK | GEN_TCP_PSH, base + g->off, d + g->off,
		     g->len, ts);
		ts = w->clock + gen_rng_range(s->rng, 1, 20);
		if (gen_rng_below(s->rng, 8) != 0)
			continue;
		/* Same bytes again: alone, or joined with an adjacent earlier segment. */
		if (i > 0 && g->tiny && w->segs[i - 1].tiny &&
		    w->segs[i - 1].off + w->segs[i - 1].len == g->off) {
			const struct seg *h = &w->segs[i - 1];

			emit(w, f, side, GEN_TCP_ACK | GEN_TCP_PSH, base + h->off,
			     d + h->off, h->len + g->len, ts);
		} else {
			emit(w, f, side, GEN_TCP_ACK | GEN_TCP_PSH, base + g->off,
			     d + g->off, g->len, ts);
		}
		ts = w->clock + gen_rng_range(s->rng, 1, 20);
	}
	if (s->conflict) {
		/* Bytes within the last 200 of the flight, one of them changed:
		 * all of the flight is in by now, so the original stands. */
		uint8_t alt[8];
		uint32_t back = s->len < 200 ? s->len : 200;
		uint32_t off = s->len - 1 - gen_rng_below(s->rng, back);
		uint32_t len = s->len - off < 8 ? s->len - off : 8;

		memcpy(alt, d + off, len);
		alt[0] ^= 0x01;
		emit(w, f, side, GEN_TCP_ACK | GEN_TCP_PSH, base + off, alt, len, ts);
		ts = w->clock + gen_rng_range(s->rng, 1, 20);
	}
	f->tcp->seq[side] = base + s->len;
	if (s->fin)
		ts = gen_wire_ctl(w, f, side, GEN_TCP_FIN | GEN_TCP_ACK, ts);
	return ts;
}
