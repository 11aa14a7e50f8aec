/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dp_worker: worker and dispatcher loops (see dp_worker.h).
 */
#include <sched.h>
#include <time.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>
#include <rte_pause.h>

#include "dp_opts.h"
#include "dp_worker.h"

#define IDLE_END_NS (2ull * 1000000000ull) /* replay: nothing for 2 s = end */

void dp_worker_stats_add(const struct dp_worker *w, struct dp_stats_totals *t)
{
	if (w->trk) {
		dp_stats_add(t, dp_conn_tracker_stats(w->trk), dp_conn_flow_stats(w->trk),
			     dp_conn_syn_stats(w->trk));
	} else {
		t->conn.packets += __atomic_load_n(&w->rx_packets, __ATOMIC_RELAXED);
		t->conn.bytes += __atomic_load_n(&w->rx_bytes, __ATOMIC_RELAXED);
	}
	t->records_written += __atomic_load_n(&w->outl.records, __ATOMIC_RELAXED);
	t->records_dropped += __atomic_load_n(&w->outl.dropped, __ATOMIC_RELAXED);
}

void dp_worker_on_record(void *ctx, const struct dp_conn_record *r)
{
	struct dp_worker *w = ctx;
	struct dp_conn_record rec;
	struct dp_conn_verdict v;

	if (!w->link) {
		if (w->out)
			dp_output_record(w->out, &w->outl, r);
		return;
	}
	dp_link_observe(w->link, r);
	rec = *r;
	if (dp_link_verdict(w->link, r->flow->key.family, r->flow->key.addr[r->flow->client_side], &v))
		rec.verdict = &v;
	if (w->out)
		dp_output_record(w->out, &w->outl, &rec);
}

static uint64_t wall_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* The end of a busy loop turn that began at @t0 and received until @t1. */
static inline void account(struct dp_worker *w, uint64_t t0, uint64_t t1, uint16_t n)
{
	uint64_t t2 = rte_rdtsc();

	w->rx_packets += n;
	if (!w->tsc_first)
		w->tsc_first = t0;
	w->tsc_last = t2;
	w->tsc_busy += t2 - t0;
	w->tsc_rx += t1 - t0;
}

/* --io-only: what every packet costs before classification starts. */
static void process_io(struct dp_worker *w, struct rte_mbuf **m, uint16_t n,
		       uint64_t t0, uint64_t t1)
{
	uint64_t bytes = 0;

	for (uint16_t i = 0; i < n; i++)
		bytes += rte_pktmbuf_pkt_len(m[i]);
	rte_pktmbuf_free_bulk(m, n);
	w->rx_bytes += bytes;
	account(w, t0, t1, n);
}

/* Classify @n packets; the mbufs stay the caller's. A frame in several
 * segments is copied whole (up to linbuf) into the one linear buffer, so a
 * second such frame first sends what came before it to the tracker. */
static void classify(struct dp_worker *w, struct rte_mbuf **m, uint16_t n)
{
	const uint8_t *frames[DP_WORKER_BURST];
	uint32_t lens[DP_WORKER_BURST];
	uint64_t ts[DP_WORKER_BURST];
	uint64_t now = 0;
	const struct dp_run *run = w->run;
	uint16_t start = 0;
	int lin_used = 0;

	/* Headers on their way while the burst's descriptors are read. */
	for (uint16_t i = 0; i < n; i++)
		rte_prefetch0(rte_pktmbuf_mtod(m[i], const void *));
	for (uint16_t i = 0; i < n; i++) {
		lens[i] = rte_pktmbuf_pkt_len(m[i]);
		if (m[i]->nb_segs == 1) {
			frames[i] = rte_pktmbuf_mtod(m[i], const uint8_t *);
		} else {
			if (lin_used) {
				dp_conn_burst(w->trk, frames + start, lens + start, ts + start,
					      i - start);
				start = i;
			}
			if (lens[i] > sizeof(w->linbuf))
				lens[i] = sizeof(w->linbuf);
			frames[i] = rte_pktmbuf_read(m[i], 0, lens[i], w->linbuf);
			lin_used = 1;
		}
		if (run->ts_off >= 0 && (m[i]->ol_flags & run->ts_flag)) {
			ts[i] = *RTE_MBUF_DYNFIELD(m[i], run->ts_off, rte_mbuf_timestamp_t *) * 1000;
		} else {
			if (!now)
				now = wall_ns();
			ts[i] = now;
		}
	}
	dp_conn_burst(w->trk, frames + start, lens + start, ts + start, n - start);
	dp_conn_advance(w->trk, ts[n - 1]);
}

static void process(struct dp_worker *w, struct rte_mbuf **m, uint16_t n,
		    uint64_t t0, uint64_t t1)
{
	if (!w->trk) {
		process_io(w, m, n, t0, t1);
		return;
	}
	classify(w, m, n);
	rte_pktmbuf_free_bulk(m, n);
	account(w, t0, t1, n);
}

/* Pick up a newly published rule set; the old one stays valid until
 * this worker's next quiescent report. */
static inline void rules_sync(struct dp_worker *w)
{
	const struct dp_rules_db *db;

	if (!w->rules)
		return;
	db = dp_reload_current(w->rules);
	if (db != w->db) {
		w->db = db;
		dp_conn_set_rules(w->trk, db, w->slot);
	}
}

/* Between bursts: this worker holds no rule set or mirror pointer. */
static inline void rcu_quiescent(struct dp_worker *w)
{
	if (w->rules)
		dp_reload_quiescent(w->rules, w->slot);
	if (w->link)
		dp_link_quiescent(w->link, w->slot);
}

static void start(struct dp_worker *w)
{
	if (w->rules)
		dp_reload_online(w->rules, w->slot);
	if (w->link)
		dp_link_online(w->link, w->slot);
	rules_sync(w);
}

static void finish(struct dp_worker *w)
{
	rules_sync(w);
	if (w->trk)
		dp_conn_drain(w->trk);
	if (w->out)
		dp_output_flush(w->out, &w->outl);
	if (w->rules) {
		dp_conn_set_rules(w->trk, NULL, 0);
		dp_reload_offline(w->rules, w->slot);
	}
	if (w->link)
		dp_link_offline(w->link, w->slot);
}

/* Nothing to do until another thread moves: spin, or when the lcores
 * share CPUs give the CPU to the thread that would move. */
static inline void idle_wait(const struct dp_run *run)
{
	if (run->shared_cpus)
		sched_yield();
	else
		rte_pause();
}

static int input_ended(struct dp_run *run, uint64_t got, uint64_t *idle_since)
{
	struct rte_eth_stats st;
	uint64_t now;

	if (!run->expect_packets)
		return 0;
	if (got >= run->expect_packets)
		return 1;
	/* Frames the PMD refused (errors) never arrive: ask it. */
	if (rte_eth_stats_get(run->port, &st) == 0 &&
	    st.ipackets + st.ierrors + st.imissed >= run->expect_packets &&
	    st.ipackets <= got)
		return 1;
	now = wall_ns();
	if (!*idle_since)
		*idle_since = now;
	return now - *idle_since > IDLE_END_NS;
}

int dp_worker_main_direct(void *arg)
{
	struct dp_worker *w = arg;
	struct dp_run *run = w->run;
	struct rte_mbuf *m[DP_WORKER_BURST];
	uint64_t idle_since = 0;

	start(w);
	while (!atomic_load_explicit(&run->stop, memory_order_relaxed)) {
		uint64_t t0 = rte_rdtsc();
		uint16_t n = rte_eth_rx_burst(run->port, w->queue, m, DP_WORKER_BURST);

		if (n) {
			uint64_t t1 = rte_rdtsc();

			idle_since = 0;
			rules_sync(w);
			process(w, m, n, t0, t1);
		} else if (input_ended(run, w->rx_packets, &idle_since)) {
			break;
		} else {
			rules_sync(w);
			if (!run->expect_packets && w->trk)
				dp_conn_advance(w->trk, wall_ns());
			if (run->shared_cpus) /* RSS workers sharing CPUs */
				sched_yield();
		}
		rcu_quiescent(w);
	}
	finish(w);
	return 0;
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Inline: classify @n frames and send them, unchanged, out of port
 * @peer; never wait for a full tx ring. */
static void forward(struct dp_worker *w, unsigned peer, struct rte_mbuf **m, uint16_t n)
{
	uint16_t sent;

	if (w->trk) {
		classify(w, m, n);
	} else { /* --io-only: the forwarding alone */
		for (uint16_t i = 0; i < n; i++)
			w->rx_bytes += rte_pktmbuf_pkt_len(m[i]);
	}
	sent = rte_eth_tx_burst(w->run->inline_port[peer], 0, m, n);
	w->inline_tx[peer] += sent;
	if (sent < n) {
		w->inline_tx_drops[peer] += n - sent;
		rte_pktmbuf_free_bulk(m + sent, n - sent);
	}
}

/* Greet hold: take out of @m what the hold keeps (or drops); returns how
 * many frames are left to forward now, in order. */
static uint16_t hold_offer(struct dp_worker *w, unsigned peer, struct rte_mbuf **m,
			   uint16_t n, uint64_t now)
{
	uint16_t k = 0;

	for (uint16_t i = 0; i < n; i++) {
		int v = dp_hold_offer(w->hold, rte_pktmbuf_mtod(m[i], const uint8_t *),
				      rte_pktmbuf_data_len(m[i]), m[i], peer, now);

		if (v == DP_HOLD_PASS)
			m[k++] = m[i];
		else if (v == DP_HOLD_DROP)
			rte_pktmbuf_free(m[i]);
	}
	return k;
}

/* --inline-ports: enforce the verdicts; returns how many frames are left
 * in @m, in order (the dropped ones are freed). */
static uint16_t enforce(struct dp_worker *w, struct rte_mbuf **m, uint16_t n, uint64_t now)
{
	uint16_t k = 0;

	for (uint16_t i = 0; i < n; i++) {
		if (dp_enforce_frame(w->enf, rte_pktmbuf_mtod(m[i], uint8_t *),
				     rte_pktmbuf_data_len(m[i]), now) == MXS_ENF_DROP)
			rte_pktmbuf_free(m[i]);
		else
			m[k++] = m[i];
	}
	return k;
}

/* Greet hold: classify and send what is due at @now. */
static void hold_release(struct dp_worker *w, uint64_t now)
{
	struct dp_hold_frame f[DP_WORKER_BURST];
	struct rte_mbuf *m[2][DP_WORKER_BURST];
	uint32_t n;

	if (dp_hold_next(w->hold) > now)
		return;
	while ((n = dp_hold_release(w->hold, now, f, DP_WORKER_BURST)) != 0) {
		uint16_t c[2] = { 0, 0 };

		for (uint32_t i = 0; i < n; i++)
			m[f[i].port][c[f[i].port]++] = f[i].frame;
		for (unsigned p = 0; p < 2; p++)
			if (c[p])
				forward(w, p, m[p], c[p]);
	}
}

int dp_worker_main_inline(void *arg)
{
	struct dp_worker *w = arg;
	struct dp_run *run = w->run;
	struct rte_mbuf *m[DP_WORKER_BURST];

	start(w);
	while (!atomic_load_explicit(&run->stop, memory_order_relaxed)) {
		uint64_t now = w->hold || w->enf ? mono_ns() : 0;
		int got = 0;

		for (unsigned side = 0; side < 2; side++) {
			unsigned peer = side ^ 1;
			uint64_t t0 = rte_rdtsc();
			uint16_t n = rte_eth_rx_burst(run->inline_port[side], 0, m, DP_WORKER_BURST);
			uint64_t t1;
			uint16_t k;

			if (!n)
				continue;
			t1 = rte_rdtsc();
			got = 1;
			rules_sync(w);
			k = w->enf ? enforce(w, m, n, now) : n;
			if (w->hold && k)
				k = hold_offer(w, peer, m, k, now);
			if (k)
				forward(w, peer, m, k);
			account(w, t0, t1, n);
		}
		if (w->hold)
			hold_release(w, now);
		if (!got && w->trk) {
			rules_sync(w);
			dp_conn_advance(w->trk, wall_ns());
		}
		rcu_quiescent(w);
	}
	if (w->hold) /* the banners held go now: nothing is lost at stop */
		hold_release(w, UINT64_MAX);
	finish(w);
	return 0;
}

int dp_worker_main_ring(void *arg)
{
	struct dp_worker *w = arg;
	struct dp_run *run = w->run;
	struct rte_mbuf *m[DP_WORKER_BURST];

	start(w);
	for (;;) {
		uint64_t t0 = rte_rdtsc();
		unsigned n = rte_ring_sc_dequeue_burst(w->in, (void **)m, DP_WORKER_BURST, NULL);

		rules_sync(w);
		if (n) {
			process(w, m, (uint16_t)n, t0, rte_rdtsc());
			rcu_quiescent(w);
			continue;
		}
		rcu_quiescent(w);
		if (atomic_load(&run->input_done) || atomic_load(&run->stop))
			if (rte_ring_empty(w->in))
				break;
		if (!run->expect_packets && w->trk)
			dp_conn_advance(w->trk, wall_ns());
		idle_wait(run);
	}
	finish(w);
	return 0;
}

/* Worker of a steering hash: its high bits, since the flow tables index
 * by the low ones (with h % n every table would see one residue only). */
static inline unsigned steer_to(uint32_t h, unsigned n)
{
	return (unsigned)(((uint64_t)h * n) >> 32);
}

void dp_worker_dispatch(struct dp_run *run, struct dp_worker *const *workers, unsigned n)
{
	struct rte_mbuf *m[DP_WORKER_BURST];
	struct rte_mbuf *out[DP_OPTS_MAX_WORKERS][DP_WORKER_BURST];
	uint16_t cnt[DP_OPTS_MAX_WORKERS] = { 0 };
	uint64_t got = 0, idle_since = 0;
	unsigned rr = 0;

	while (!atomic_load_explicit(&run->stop, memory_order_relaxed)) {
		uint64_t t0 = rte_rdtsc();
		uint16_t nb = rte_eth_rx_burst(run->port, 0, m, DP_WORKER_BURST);

		if (!nb) {
			if (input_ended(run, got, &idle_since))
				break;
			continue;
		}
		idle_since = 0;
		got += nb;
		for (uint16_t i = 0; i < nb; i++) {
			unsigned k;

			if (run->io_only) {
				k = rr;
				rr = rr + 1 == n ? 0 : rr + 1;
			} else {
				k = steer_to(dp_conn_steer(rte_pktmbuf_mtod(m[i], const uint8_t *),
							   rte_pktmbuf_data_len(m[i]), run->linktype), n);
			}
			out[k][cnt[k]++] = m[i];
		}
		/* One enqueue per worker and burst, in arrival order. */
		for (unsigned k = 0; k < n; k++) {
			struct rte_ring *r = workers[k]->in;
			unsigned done = 0;

			while (done < cnt[k]) {
				done += rte_ring_sp_enqueue_burst(r, (void **)out[k] + done,
								  cnt[k] - done, NULL);
				if (done == cnt[k])
					break;
				if (!run->expect_packets) {
					run->dispatch_drops += cnt[k] - done;
					rte_pktmbuf_free_bulk(out[k] + done, cnt[k] - done);
					break;
				}
				idle_wait(run); /* replay is lossless: wait */
			}
			cnt[k] = 0;
		}
		run->dispatched += nb;
		run->tsc_dispatch += rte_rdtsc() - t0;
	}
	atomic_store(&run->input_done, 1);
}
