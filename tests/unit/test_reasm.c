/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit test for dp_reasm. Each case drives one direction with segments cut
 * from a known stream and checks what reached a recording sink: the bytes,
 * the gaps (size and where they fell in the output) and the anomaly bits.
 * Random cases use a fixed-seed PRNG so failures reproduce. Single-threaded.
 */
#include <stdint.h>
#include <string.h>

#include <mxscreen/anomaly.h>

#include "check.h"
#include "dp_reasm.h"

#define GAP MXS_ANOMALY_BIT(REASM_GAP)
#define CONFLICT MXS_ANOMALY_BIT(REASM_OVERLAP_CONFLICT)
#define MAX_GAPS 16
#define OUT_CAP (256u * 1024)

struct rec {
	uint8_t out[OUT_CAP];   /* delivered bytes, gaps not included */
	uint32_t len;
	uint32_t ngap;
	uint32_t gap_n[MAX_GAPS];
	uint32_t gap_at[MAX_GAPS]; /* output length when the gap came */
	uint32_t calls;
	const uint8_t *last_p;
	uint32_t last_n;
	/* When set: every delivered byte must be ref[stream offset]. */
	const uint8_t *ref;
	uint64_t pos;            /* stream offset: data plus gaps */
	uint32_t mismatches;
};

static void rec_data(void *ctx, const uint8_t *p, uint32_t n)
{
	struct rec *r = ctx;

	r->calls++;
	r->last_p = p;
	r->last_n = n;
	if (r->ref && memcmp(r->ref + r->pos, p, n) != 0)
		r->mismatches++;
	r->pos += n;
	if (n > OUT_CAP - r->len) {
		r->mismatches++; /* would overflow: report, keep going */
		return;
	}
	memcpy(r->out + r->len, p, n);
	r->len += n;
}

static void rec_gap(void *ctx, uint32_t n)
{
	struct rec *r = ctx;

	if (r->ngap < MAX_GAPS) {
		r->gap_n[r->ngap] = n;
		r->gap_at[r->ngap] = r->len;
	}
	r->ngap++;
	r->pos += n;
}

/* Fixture: one direction, its sink and a recorder. Static storage because
 * the recorder holds a large output buffer. */
static struct rec the_rec;
static struct dp_reasm_dir the_dir;
static struct dp_reasm_window the_win;
static struct dp_reasm_sink the_sink;

static struct dp_reasm_dir *fresh(const char *name)
{
	check_case = name;
	memset(&the_rec, 0, sizeof(the_rec));
	memset(&the_dir, 0x5a, sizeof(the_dir)); /* init must not rely on 0 */
	memset(&the_win, 0x5a, sizeof(the_win));
	dp_reasm_init(&the_dir, &the_win);
	the_sink.data = rec_data;
	the_sink.gap = rec_gap;
	the_sink.ctx = &the_rec;
	return &the_dir;
}

static void seg(struct dp_reasm_dir *d, uint32_t seq, const void *p,
		uint32_t len)
{
	dp_reasm_segment(d, seq, p, len, 0, &the_sink);
}

static void seg_str(struct dp_reasm_dir *d, uint32_t seq, const char *s)
{
	seg(d, seq, s, (uint32_t)strlen(s));
}

static int out_is(const void *p, uint32_t n)
{
	return the_rec.len == n && memcmp(the_rec.out, p, n) == 0;
}

static int out_is_str(const char *s)
{
	return out_is(s, (uint32_t)strlen(s));
}

/* xorshift32: deterministic, good enough to shuffle segments. */
static uint32_t rnd(uint32_t *s)
{
	uint32_t x = *s;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return *s = x;
}

static uint8_t stream[128 * 1024];

static void fill_stream(uint32_t seed)
{
	uint32_t i;

	for (i = 0; i < sizeof(stream); i++)
		stream[i] = (uint8_t)rnd(&seed);
}

/* ---- scripted cases: a few steps, then the expected end state ---- */

enum { END = 0, SYN, DATA, FIN, FLUSH };

struct step {
	int op;           /* SYN: isn in seq; FIN: DATA carrying FIN */
	uint32_t seq;
	const char *data;
};

struct script_case {
	const char *name;
	struct step steps[8];
	const char *want_out;
	uint32_t want_anomalies;
	uint32_t want_gaps;
	uint32_t want_gap_bytes;
	uint32_t want_buffered;
	uint32_t want_next;
	uint32_t want_calls;   /* sink->data calls */
	uint32_t want_fin_seq; /* 0: no FIN expected */
};

#define C CONFLICT

static const struct script_case scripts[] = {
	{ "identical retransmissions",
	  { { SYN, 100, NULL }, { DATA, 101, "MAIL FROM:<a@b>\r\n" },
	    { DATA, 118, "RCPT TO:<c@d>\r\n" },
	    { DATA, 101, "MAIL FROM:<a@b>\r\n" },              /* old */
	    { DATA, 111, "<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\n" }, /* partly */
	    { DATA, 118, "RCPT" },
	    { DATA, 133, "DATA\r\n" } },       /* ends exactly at next_seq */
	  "MAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\n", 0, 0, 0, 0, 139, 3, 0 },
	{ "conflict in window",
	  { { SYN, 0, NULL }, { DATA, 11, "AAAA" },
	    { DATA, 13, "BBBBCC" },  /* 2 held bytes differ: they stay */
	    { DATA, 1, "0123456789" } },
	  "0123456789AAAABBCC", C, 0, 0, 0, 19, 2, 0 },
	{ "in-order over held bytes",
	  { { SYN, 0, NULL }, { DATA, 6, "XYZ" }, { DATA, 12, "Q" },
	    { DATA, 1, "abcdefghijk" } },
	  "abcdeXYZijkQ", C, 0, 0, 0, 13, 4, 0 },
	{ "in-order over identical held bytes",
	  { { SYN, 0, NULL }, { DATA, 6, "fgh" }, { DATA, 1, "abcdefghijk" } },
	  "abcdefghijk", 0, 0, 0, 0, 12, 3, 0 },
	{ "conflict with history",
	  { { SYN, 41, NULL }, { DATA, 42, "hello world" },
	    { DATA, 42, "hello WORLD" } },
	  "hello world", C, 0, 0, 0, 53, 1, 0 },
	{ "partly old, conflicting",
	  { { SYN, 41, NULL }, { DATA, 42, "abcdef" }, { DATA, 45, "dXfghi" } },
	  "abcdefghi", C, 0, 0, 0, 51, 2, 0 },
	{ "held, not yet deliverable",
	  { { SYN, 0, NULL }, { DATA, 5, "x" } },
	  "", 0, 0, 0, 1, 1, 0, 0 },
	{ "flush with holes",
	  { { SYN, 9, NULL }, { DATA, 10, "ab" }, { DATA, 14, "ef" },
	    { DATA, 20, "ij" }, { FLUSH, 0, NULL } },
	  "abefij", GAP, 2, 6, 0, 22, 3, 0 },
	{ "flush, nothing held",
	  { { SYN, 9, NULL }, { DATA, 10, "ab" }, { FLUSH, 0, NULL } },
	  "ab", 0, 0, 0, 0, 12, 1, 0 },
	{ "midstream",
	  { { DATA, 123456, "" },             /* a bare ACK fixes nothing */
	    { DATA, 200000, "250 OK\r\n" }, { DATA, 200008, "354 go\r\n" },
	    { DATA, 199990, "0123456789" },   /* before the pickup: old */
	    { SYN, 5, NULL },                 /* after data: no rewind */
	    { DATA, 200016, "." }, { DATA, 6, "bogus" } },
	  "250 OK\r\n354 go\r\n.", 0, 0, 0, 0, 200017, 3, 0 },
	{ "syn then data",
	  { { SYN, 0x1000, NULL },
	    { SYN, 0x2000, NULL },    /* new ISN before any data: taken */
	    { DATA, 0x2001, "220 mx\r\n" },
	    { SYN, 0x10, NULL },      /* after data: ignored */
	    { DATA, 0x11, "junk" }, { DATA, 0x2009, "more" } },
	  "220 mx\r\nmore", 0, 0, 0, 0, 0x200d, 2, 0 },
	{ "syn after held data",
	  { { SYN, 0, NULL }, { DATA, 10, "x" },
	    { SYN, 0x5000, NULL },    /* held data pins the ISN too */
	    { DATA, 1, "012345678" } },
	  "012345678x", 0, 0, 0, 0, 11, 2, 0 },
	{ "fin bounds",
	  { { SYN, 0, NULL }, { DATA, 1, "QUIT\r\n" }, { FIN, 7, "" },
	    { DATA, 7, "after" },
	    { DATA, 5, "\r\nafter" } }, /* old part compared, rest cut */
	  "QUIT\r\n", 0, 0, 0, 0, 7, 1, 7 },
	{ "fin out of order",
	  { { SYN, 0, NULL }, { FIN, 11, "221 " },
	    { DATA, 1, "0123456789XXXXXXX" },  /* cut at the FIN */
	    { FIN, 15, "zz" } },               /* a later FIN moves nothing */
	  "0123456789221 ", C, 0, 0, 0, 15, 2, 15 },
	{ "zero length",
	  { { SYN, 0, NULL }, { DATA, 1, "" }, { DATA, 500, "" },
	    { DATA, 0x80000000u, "" } },
	  "", 0, 0, 0, 0, 1, 0, 0 },
};

#undef C

static void run_script(const struct script_case *c)
{
	struct dp_reasm_dir *d = fresh(c->name);
	const struct step *s;

	for (s = c->steps; s < c->steps + 8 && s->op != END; s++) {
		switch (s->op) {
		case SYN:
			dp_reasm_syn(d, s->seq);
			break;
		case DATA:
		case FIN:
			dp_reasm_segment(d, s->seq, (const uint8_t *)s->data,
					 (uint32_t)strlen(s->data),
					 s->op == FIN, &the_sink);
			break;
		case FLUSH:
			dp_reasm_flush(d, &the_sink);
			break;
		}
	}
	CHECK(out_is_str(c->want_out));
	CHECK_EQ_INT(d->anomalies, c->want_anomalies);
	CHECK_EQ_INT(d->gaps, c->want_gaps);
	CHECK_EQ_INT(the_rec.ngap, c->want_gaps);
	CHECK_EQ_INT(d->gap_bytes, c->want_gap_bytes);
	CHECK_EQ_INT(d->buffered, c->want_buffered);
	CHECK_EQ_INT(d->next_seq, c->want_next);
	CHECK_EQ_INT(the_rec.calls, c->want_calls);
	CHECK_EQ_INT(d->fin_seen, c->want_fin_seq != 0);
	CHECK_EQ_INT(d->fin_seq, c->want_fin_seq);
	CHECK_EQ_INT(d->delivered, the_rec.len);
}

/* ---- cases ---- */

static void t_one_byte_in_order(void)
{
	struct dp_reasm_dir *d = fresh("1-byte in order");
	const char *s = "EHLO client.example\r\n";
	uint32_t i, n = (uint32_t)strlen(s);

	dp_reasm_syn(d, 1000);
	for (i = 0; i < n; i++)
		seg(d, 1001 + i, s + i, 1);
	CHECK(out_is_str(s));
	CHECK_EQ_INT(d->anomalies, 0);
	CHECK_EQ_INT(d->delivered, n);
	CHECK_EQ_INT(d->next_seq, 1001 + n);
	CHECK_EQ_INT(d->buffered, 0);
}

static void t_one_byte_reverse(void)
{
	struct dp_reasm_dir *d = fresh("1-byte reverse");
	uint32_t i, n = 600;

	fill_stream(7);
	dp_reasm_syn(d, 5000);
	for (i = n; i-- > 1;)
		seg(d, 5001 + i, stream + i, 1);
	CHECK_EQ_INT(the_rec.len, 0);
	CHECK_EQ_INT(d->buffered, n - 1);
	seg(d, 5001, stream, 1);
	CHECK(out_is(stream, n));
	CHECK_EQ_INT(d->buffered, 0);
	CHECK_EQ_INT(d->anomalies, 0);
	CHECK_EQ_INT(d->gaps, 0);
}

/* Cut [0, n) into @nseg pieces, shuffle, feed. */
static void t_permutation(void)
{
	struct dp_reasm_dir *d = fresh("permutation 3 KiB");
	enum { N = 3072, NSEG = 100 };
	uint32_t cut[NSEG + 1], order[NSEG], i, j, t, s = 12345;

	fill_stream(99);
	/* NSEG - 1 distinct cut points, sorted */
	cut[0] = 0;
	cut[NSEG] = N;
	for (i = 1; i < NSEG; i++)
		cut[i] = i * (N / NSEG) + rnd(&s) % (N / NSEG);
	for (i = 0; i < NSEG; i++)
		order[i] = i;
	for (i = NSEG - 1; i > 0; i--) {
		j = rnd(&s) % (i + 1);
		t = order[i];
		order[i] = order[j];
		order[j] = t;
	}
	dp_reasm_syn(d, 0x7ffffff0u);
	for (i = 0; i < NSEG; i++) {
		uint32_t k = order[i];

		seg(d, 0x7ffffff1u + cut[k], stream + cut[k], cut[k + 1] - cut[k]);
	}
	CHECK(out_is(stream, N));
	CHECK_EQ_INT(d->anomalies, 0);
	CHECK_EQ_INT(d->buffered, 0);
	CHECK_EQ_INT(d->delivered, N);
}

/* Random overlapping segments of one stream (as a retransmitting,
 * re-segmenting sender produces), displaced less than a window: the
 * output must be the stream exactly, with no anomaly. */
static void t_random_overlaps(void)
{
	struct dp_reasm_dir *d = fresh("random overlaps");
	const uint32_t n = 100000, isn = 0xffff0000u;
	uint32_t s = 4242, covered = 0, i;

	fill_stream(3);
	dp_reasm_syn(d, isn);
	the_rec.ref = stream;
	for (i = 0; covered < n; i++) {
		/* start somewhere behind or ahead of what is covered */
		uint32_t back = rnd(&s) % 1500, fwd = rnd(&s) % 2000;
		uint32_t start = covered > back ? covered - back : 0;
		uint32_t len = 1 + rnd(&s) % 1460;

		if (rnd(&s) % 3 == 0)
			start = covered + fwd; /* ahead, leaves a hole */
		if (start >= n)
			continue;
		if (len > n - start)
			len = n - start;
		seg(d, isn + 1 + start, stream + start, len);
		if (start <= covered && start + len > covered)
			covered = start + len;
	}
	CHECK(out_is(stream, n));
	CHECK_EQ_INT(the_rec.mismatches, 0);
	CHECK_EQ_INT(d->anomalies, 0);
	CHECK_EQ_INT(d->buffered, 0);
}

/* Random segments with losses and a window overrun now and then: every
 * delivered byte must sit at its stream offset (gaps included), and
 * data + gaps must account for the whole stream after flush. */
static void t_random_losses(void)
{
	struct dp_reasm_dir *d = fresh("random losses");
	const uint32_t n = 120000, isn = 77;
	uint32_t s = 99991, i, pos = 0;

	fill_stream(11);
	dp_reasm_syn(d, isn);
	the_rec.ref = stream;
	for (i = 0; i < 4000; i++) {
		uint32_t len = 1 + rnd(&s) % 1460, r = rnd(&s) % 100;
		uint32_t start = pos;

		if (r < 10)
			start = pos + rnd(&s) % 9000; /* may overrun */
		else if (r < 30 && pos > 3000)
			start = pos - rnd(&s) % 3000;
		if (start >= n)
			continue;
		if (len > n - start)
			len = n - start;
		if (r >= 95)
			continue; /* lost */
		seg(d, isn + 1 + start, stream + start, len);
		if (start + len > pos)
			pos = start + len;
	}
	/* the last bytes always arrive, so the stream ends at n */
	seg(d, isn + 1 + n - 1, stream + n - 1, 1);
	dp_reasm_flush(d, &the_sink);
	CHECK_EQ_INT(the_rec.mismatches, 0);
	CHECK_EQ_INT(the_rec.pos, n);
	CHECK_EQ_INT(d->delivered + d->gap_bytes, n);
	CHECK_EQ_INT(d->gaps, the_rec.ngap);
	CHECK_EQ_INT(d->anomalies & CONFLICT, 0);
	CHECK_EQ_INT(d->buffered, 0);
	CHECK(d->gaps > 0);
}

static void t_history_reach(void)
{
	struct dp_reasm_dir *d;
	uint8_t x[4];

	/* Beyond DP_REASM_HIST bytes back nothing can be compared. */
	d = fresh("older than history");
	fill_stream(5);
	dp_reasm_syn(d, 0);
	seg(d, 1, stream, 1000);
	seg_str(d, 1, "not what was sent");
	CHECK_EQ_INT(d->anomalies, 0);
	seg(d, 1000 - DP_REASM_HIST + 1, stream + 1000 - DP_REASM_HIST,
	    DP_REASM_HIST);
	CHECK_EQ_INT(d->anomalies, 0);
	CHECK_EQ_INT(d->hist_len, DP_REASM_HIST);
	/* a straddling one: only its part within history is compared */
	memcpy(x, stream + 1000 - DP_REASM_HIST - 3, 4);
	x[2] ^= 1; /* the last byte just out of reach */
	seg(d, 1000 - DP_REASM_HIST - 2, x, 4);
	CHECK_EQ_INT(d->anomalies, 0);
	x[3] ^= 1;
	seg(d, 1000 - DP_REASM_HIST - 2, x, 4);
	CHECK_EQ_INT(d->anomalies, CONFLICT);
	CHECK(out_is(stream, 1000));
}

static void t_beyond_window(void)
{
	struct dp_reasm_dir *d = fresh("beyond window, nothing held");

	dp_reasm_syn(d, 0);
	seg_str(d, 1, "abc");
	seg_str(d, 4 + 5000, "0123456789");
	CHECK_EQ_INT(the_rec.ngap, 1);
	CHECK_EQ_INT(the_rec.gap_n[0], 5000);
	CHECK_EQ_INT(the_rec.gap_at[0], 3);
	CHECK(out_is_str("abc0123456789"));
	CHECK_EQ_INT(d->gaps, 1);
	CHECK_EQ_INT(d->gap_bytes, 5000);
	CHECK_EQ_INT(d->anomalies, GAP);
	CHECK_EQ_INT(d->hist_len, 10);
	seg_str(d, 4 + 5010, "!");
	CHECK(out_is_str("abc0123456789!"));

	/* Held data before the far segment comes out in order, the holes
	 * as gaps of their exact size; what fits stays held. */
	d = fresh("beyond window, data held");
	dp_reasm_syn(d, 0);
	seg_str(d, 1, "ab");           /* [0, 2) delivered */
	seg_str(d, 1 + 100, "HELD");   /* [100, 104) */
	seg_str(d, 1 + 3000, "KEEP");  /* [3000, 3004) */
	seg_str(d, 1 + 6000, "FAR");   /* needs next_seq >= 6003 - 4096 */
	CHECK_EQ_INT(the_rec.ngap, 2);
	CHECK_EQ_INT(the_rec.gap_n[0], 98);
	CHECK_EQ_INT(the_rec.gap_at[0], 2);
	CHECK_EQ_INT(the_rec.gap_n[1], 3000 - 104);
	CHECK_EQ_INT(the_rec.gap_at[1], 6);
	CHECK(out_is_str("abHELDKEEP"));
	CHECK_EQ_INT(d->next_seq, 1 + 3004);
	CHECK_EQ_INT(d->buffered, 3);
	seg(d, 1 + 3004, stream, 6000 - 3004);
	CHECK_EQ_INT(the_rec.len, 10 + 6000 - 3004 + 3);
	CHECK(memcmp(the_rec.out + the_rec.len - 3, "FAR", 3) == 0);
	CHECK_EQ_INT(d->buffered, 0);

	/* Just past the window's end: a gap to make room, the rest held. */
	d = fresh("just past window");
	dp_reasm_syn(d, 0);
	seg_str(d, 1 + 10, "x");
	seg_str(d, 1 + DP_REASM_WINDOW, "yz");
	CHECK_EQ_INT(the_rec.ngap, 1);
	CHECK_EQ_INT(the_rec.gap_n[0], 10);
	CHECK(out_is_str("x"));
	CHECK_EQ_INT(d->buffered, 2);
	dp_reasm_flush(d, &the_sink);
	CHECK_EQ_INT(the_rec.ngap, 2);
	CHECK_EQ_INT(the_rec.gap_n[1], DP_REASM_WINDOW - 11);
	CHECK(out_is_str("xyz"));
	CHECK_EQ_INT(d->gap_bytes, DP_REASM_WINDOW - 1);

	/* Held data ending exactly where the far segment starts to fit:
	 * no further gap is declared, the segment is held. */
	d = fresh("room made exactly");
	fill_stream(41);
	dp_reasm_syn(d, 0);
	seg(d, 1 + 10, stream + 10, 20);
	seg(d, 1 + 30 + DP_REASM_WINDOW - 10, stream + 30 + DP_REASM_WINDOW - 10,
	    10);
	CHECK_EQ_INT(the_rec.ngap, 1);
	CHECK_EQ_INT(the_rec.gap_n[0], 10);
	CHECK_EQ_INT(the_rec.len, 20);
	CHECK_EQ_INT(d->buffered, 10);

	/* A far segment overlapping more held bytes than history keeps:
	 * the overlap is still compared against the held bytes. */
	d = fresh("far segment over held bytes");
	fill_stream(43);
	dp_reasm_syn(d, 0);
	seg(d, 1 + 100, stream + 100, 900);
	memcpy(stream + 100000, stream + 200, 5000);
	stream[100001] ^= 1; /* offset 201 */
	seg(d, 1 + 200, stream + 100000, 5000);
	CHECK_EQ_INT(d->anomalies, GAP | CONFLICT);
	CHECK_EQ_INT(the_rec.ngap, 1);
	CHECK_EQ_INT(the_rec.gap_n[0], 100);
	CHECK_EQ_INT(the_rec.len, 5100);
	CHECK(memcmp(the_rec.out, stream + 100, 900) == 0);
}

static void t_wraparound(void)
{
	struct dp_reasm_dir *d = fresh("seq wraparound");
	const uint32_t isn = 0xffffffeau; /* data starts at ...eb */

	fill_stream(17);
	dp_reasm_syn(d, isn);
	seg(d, isn + 1 + 30, stream + 30, 20); /* past 0 */
	seg(d, isn + 1 + 10, stream + 10, 15); /* straddles 0 */
	seg(d, isn + 1, stream, 12);           /* overlaps the above */
	CHECK_EQ_INT(the_rec.len, 25);
	seg(d, isn + 1 + 22, stream + 22, 10);
	CHECK(out_is(stream, 50));
	CHECK_EQ_INT(d->next_seq, isn + 1 + 50);
	seg(d, isn + 1 + 5, stream + 5, 10);   /* old, across the wrap */
	CHECK_EQ_INT(d->anomalies, 0);
	seg(d, isn + 1 + 16, "??", 2);         /* old, differs */
	CHECK_EQ_INT(d->anomalies, CONFLICT);
	CHECK(out_is(stream, 50));
}

static void t_huge(void)
{
	struct dp_reasm_dir *d = fresh("huge in order");
	static uint8_t tail[100];

	fill_stream(23);
	dp_reasm_syn(d, 0xffff0000u);
	seg(d, 0xffff0001u, stream, 65536);
	CHECK_EQ_INT(the_rec.calls, 1);
	CHECK(the_rec.last_p == stream); /* straight from the caller */
	CHECK_EQ_INT(the_rec.last_n, 65536);
	CHECK(out_is(stream, 65536));
	CHECK_EQ_INT(d->hist_len, DP_REASM_HIST);
	/* history holds the segment's last bytes */
	seg(d, 0xffff0001u + 65536 - 100, stream + 65536 - 100, 100);
	CHECK_EQ_INT(d->anomalies, 0);
	memcpy(tail, stream + 65536 - 100, 100);
	tail[99] ^= 1;
	seg(d, 0xffff0001u + 65536 - 100, tail, 100);
	CHECK_EQ_INT(d->anomalies, CONFLICT);

	/* Huge in-order segment over held bytes: merged, rest direct. */
	d = fresh("huge in order over held");
	fill_stream(29);
	dp_reasm_syn(d, 0);
	seg(d, 1 + 100, stream + 100, 50);
	seg(d, 1 + 4000, stream + 4000, 96);
	seg(d, 1, stream, 65536);
	CHECK(out_is(stream, 65536));
	CHECK_EQ_INT(d->anomalies, 0);
	CHECK_EQ_INT(d->buffered, 0);
	CHECK(the_rec.last_p == stream + DP_REASM_WINDOW);

	/* Huge segment ahead: held data out, gap to its start, then it. */
	d = fresh("huge ahead");
	fill_stream(31);
	dp_reasm_syn(d, 0);
	seg(d, 1, stream, 10);
	seg(d, 1 + 20, stream + 20, 10);
	seg(d, 1 + 1000, stream + 1000, 40000);
	CHECK_EQ_INT(the_rec.ngap, 2);
	CHECK_EQ_INT(the_rec.gap_n[0], 10);
	CHECK_EQ_INT(the_rec.gap_n[1], 970);
	CHECK_EQ_INT(the_rec.len, 40020);
	CHECK(memcmp(the_rec.out + 20, stream + 1000, 40000) == 0);
	CHECK(the_rec.last_p == stream + 1000);
	CHECK_EQ_INT(d->next_seq, 41001);
}

static void t_null_gap_sink(void)
{
	struct dp_reasm_dir *d = fresh("sink without gap callback");

	the_sink.gap = NULL;
	dp_reasm_syn(d, 0);
	seg_str(d, 1 + 10, "x");
	dp_reasm_flush(d, &the_sink);
	CHECK(out_is_str("x"));
	CHECK_EQ_INT(d->gaps, 1);
	CHECK_EQ_INT(d->gap_bytes, 10);
}

/* The peer acknowledged bytes the capture never had: the gap is declared
 * at once, buffered bytes below the ACK are delivered, and neither a FIN's
 * ACK, an ACK of what was seen, nor an implausible ACK invents a gap. */
static void t_ack(void)
{
	struct dp_reasm_dir *d = fresh("ack declares a gap at once");

	dp_reasm_syn(d, 99);
	seg_str(d, 100, "BDAT 4\r\n");
	dp_reasm_ack(d, 108, &the_sink);      /* exactly what was seen */
	CHECK_EQ_INT(d->gaps, 0);
	dp_reasm_ack(d, 1108, &the_sink);     /* 1000 bytes never captured */
	CHECK_EQ_INT(d->gaps, 1);
	CHECK_EQ_INT(d->gap_bytes, 1000);
	CHECK_EQ_INT(the_rec.gap_at[0], 8);
	seg_str(d, 1108, "QUIT\r\n");        /* in order now, no flush needed */
	CHECK(out_is_str("BDAT 4\r\nQUIT\r\n"));
	CHECK(d->anomalies & MXS_ANOMALY_BIT(REASM_GAP));

	d = fresh("ack delivers buffered bytes behind a hole");
	dp_reasm_syn(d, 0);
	seg_str(d, 1, "ab");
	seg_str(d, 6, "fg");                   /* hole at 3..5 */
	dp_reasm_ack(d, 8, &the_sink);
	CHECK(out_is_str("abfg"));
	CHECK_EQ_INT(d->gaps, 1);
	CHECK_EQ_INT(d->gap_bytes, 3);
	CHECK_EQ_INT(d->buffered, 0);

	d = fresh("ack of a FIN is not a lost byte");
	dp_reasm_syn(d, 0);
	seg_str(d, 1, "QUIT\r\n");
	dp_reasm_segment(d, 7, NULL, 0, 1, &the_sink);
	dp_reasm_ack(d, 8, &the_sink);
	CHECK_EQ_INT(d->gaps, 0);

	d = fresh("implausible or old acks are ignored");
	dp_reasm_syn(d, 0);
	seg_str(d, 1, "x");
	dp_reasm_ack(d, 1u << 30, &the_sink);
	dp_reasm_ack(d, 0, &the_sink);
	CHECK_EQ_INT(d->gaps, 0);
	CHECK_EQ_INT(d->next_seq, 2);

	d = fresh("ack before the direction started");
	dp_reasm_ack(d, 5000, &the_sink);
	CHECK_EQ_INT(d->gaps, 0);
	CHECK_EQ_INT(d->started, 0);
}

/* Reuse of a direction and its window (a connection slot's next
 * connection): whatever the last stream left buffered must not leak into
 * the next one, and zeroed memory is a valid starting point. */
static void t_reinit(void)
{
	static struct dp_reasm_dir z;
	static struct dp_reasm_window zw;
	struct dp_reasm_dir *d = fresh("reinit after bytes were left buffered");

	dp_reasm_syn(d, 0);
	seg_str(d, 10, "later");               /* held: 1..9 never arrive */
	CHECK(d->buffered == 5);
	dp_reasm_reinit(d, &the_win);
	memset(&the_rec, 0, sizeof(the_rec));
	CHECK_EQ_INT(d->buffered, 0);
	dp_reasm_syn(d, DP_REASM_WINDOW);
	/* The window slots "later" held: stale bits would read as held
	 * bytes (a false conflict, and the new ones never delivered). */
	seg_str(d, DP_REASM_WINDOW + 10, "XY");
	CHECK_EQ_INT(d->buffered, 2);
	seg_str(d, DP_REASM_WINDOW + 1, "abcdefghi");
	CHECK(out_is_str("abcdefghiXY"));
	CHECK_EQ_INT(d->anomalies, 0);
	CHECK_EQ_INT(d->buffered, 0);

	check_case = "reinit of zeroed memory";
	memset(&the_rec, 0, sizeof(the_rec));
	dp_reasm_reinit(&z, &zw);
	dp_reasm_syn(&z, 7);
	dp_reasm_segment(&z, 10, (const uint8_t *)"c", 1, 0, &the_sink);
	dp_reasm_segment(&z, 8, (const uint8_t *)"ab", 2, 0, &the_sink);
	CHECK(out_is_str("abc"));
	CHECK(z.w == &zw);
}

int main(void)
{
	size_t i;

	for (i = 0; i < sizeof(scripts) / sizeof(scripts[0]); i++)
		run_script(&scripts[i]);
	t_one_byte_in_order();
	t_one_byte_reverse();
	t_permutation();
	t_random_overlaps();
	t_random_losses();
	t_history_reach();
	t_beyond_window();
	t_wraparound();
	t_huge();
	t_null_gap_sink();
	t_ack();
	t_reinit();
	CHECK_DONE();
}
