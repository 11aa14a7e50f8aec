/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dp_reasm: one direction of TCP stream reassembly. Pure C, no allocation:
 * the state is a fixed-size value embedded in the per-connection state, owned
 * by the lcore that owns the flow.
 *
 * Delivers bytes strictly in sequence order to a sink. Segments ahead of the
 * next expected sequence are kept in a bounded window (DP_REASM_WINDOW bytes
 * past the next expected sequence); data wholly before it is a
 * retransmission and is ignored. First data wins on overlap: bytes already
 * held (or recently delivered, DP_REASM_HIST bytes back) are kept, and an
 * overlap whose bytes differ sets MXS_ANOMALY_REASM_OVERLAP_CONFLICT in
 * `anomalies`. A hole is declared a gap (sink->gap, MXS_ANOMALY_REASM_GAP)
 * when a segment lands beyond the window, when the peer acknowledges bytes
 * the capture never carried (dp_reasm_ack), or at dp_reasm_flush() with
 * data still buffered behind a hole; then delivery resumes after the hole.
 * Sequence arithmetic is modulo 2^32.
 *
 * The out-of-order window (struct dp_reasm_window, 4.5 KiB) is storage the
 * owner pairs with a direction at init, kept apart from the ~300 bytes that
 * in-order delivery touches: most streams never buffer a byte, so a pool
 * of connections keeps its windows in memory that is never faulted in.
 */
#ifndef DP_REASM_H
#define DP_REASM_H

#include <stdint.h>

#define DP_REASM_WINDOW 4096u  /* power of two */
#define DP_REASM_HIST 256u     /* power of two */

struct dp_reasm_sink {
	void (*data)(void *ctx, const uint8_t *p, uint32_t n);
	void (*gap)(void *ctx, uint32_t n); /* n bytes were never seen */
	void *ctx;
};

struct dp_reasm_dir {
	uint32_t next_seq;     /* next byte to deliver */
	uint32_t buffered;     /* bytes held in win */
	uint32_t anomalies;    /* MXS_ANOMALY_BIT() of reassembly anomalies */
	uint32_t gaps;         /* number of gaps declared */
	uint64_t gap_bytes;
	uint64_t delivered;    /* bytes delivered in order */
	uint32_t hist_len;     /* valid bytes in hist (<= DP_REASM_HIST) */
	uint8_t started;       /* next_seq is known */
	uint8_t fin_seen;
	uint8_t pad[2];
	uint32_t fin_seq;
	struct dp_reasm_window *w;               /* out-of-order storage (owner's) */
	/* The fields above fill one cache line, hist the next four. */
	uint8_t hist[DP_REASM_HIST] __attribute__((aligned(64))); /* last delivered bytes, ring */
};

struct dp_reasm_window {
	uint8_t present[DP_REASM_WINDOW / 8];    /* bit per byte of win */
	uint8_t win[DP_REASM_WINDOW];            /* win[(seq) % WINDOW] */
};

/* Start a direction on window @w (any prior contents). */
void dp_reasm_init(struct dp_reasm_dir *d, struct dp_reasm_window *w);
/*
 * dp_reasm_init for a direction and window that were used together before,
 * or are both zeroed memory: the window is cleared only if something is
 * still buffered in it (it is all zero otherwise), so it is not touched.
 */
void dp_reasm_reinit(struct dp_reasm_dir *d, struct dp_reasm_window *w);

/* SYN seen with sequence @isn: data starts at isn + 1. */
void dp_reasm_syn(struct dp_reasm_dir *d, uint32_t isn);

/*
 * A segment of @len payload bytes at @seq. Without a prior SYN the first
 * segment fixes the stream start (midstream pickup). @fin: the segment
 * carries FIN (its sequence number follows the payload).
 */
void dp_reasm_segment(struct dp_reasm_dir *d, uint32_t seq,
		      const uint8_t *data, uint32_t len, int fin,
		      const struct dp_reasm_sink *sink);

/*
 * The peer acknowledged everything before @ack: bytes below it that were
 * never seen are a gap (declared now, not at the end of the flow), and
 * buffered bytes below it are final. ACKs more than DP_REASM_ACK_MAX ahead
 * are ignored as implausible.
 */
#define DP_REASM_ACK_MAX (1u << 24)
void dp_reasm_ack(struct dp_reasm_dir *d, uint32_t ack,
		  const struct dp_reasm_sink *sink);

/* Whether dp_reasm_ack(@d, @ack) could do anything: false for the common
 * ACK of bytes already delivered, so callers can skip the call. */
static inline int dp_reasm_ack_pending(const struct dp_reasm_dir *d, uint32_t ack)
{
	return d->started && (int32_t)(ack - d->next_seq) > 0;
}

/* End of stream: deliver what is buffered, declaring gaps over holes. */
void dp_reasm_flush(struct dp_reasm_dir *d, const struct dp_reasm_sink *sink);

#endif
