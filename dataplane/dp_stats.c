/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dp_stats: totals, JSON and summary (see dp_stats.h).
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "dp_stats.h"

/* A counter a worker may be bumping right now: whole, maybe stale. */
#define RD(x) __atomic_load_n(&(x), __ATOMIC_RELAXED)

void dp_stats_add(struct dp_stats_totals *t, const struct dp_conn_stats *c,
		  const struct dp_flow_stats *f, const struct dp_syn_stats *h)
{
	t->conn.packets += RD(c->packets);
	t->conn.bytes += RD(c->bytes);
	t->conn.non_ip += RD(c->non_ip);
	t->conn.non_tcp += RD(c->non_tcp);
	t->conn.fragments += RD(c->fragments);
	t->conn.malformed += RD(c->malformed);
	t->conn.smtp_connections += RD(c->smtp_connections);
	t->conn.half_open_closed += RD(c->half_open_closed);
	t->conn.conn_exhausted += RD(c->conn_exhausted);
	t->conn.probe_given_up += RD(c->probe_given_up);
	t->conn.rules_scanned += RD(c->rules_scanned);
	t->conn.rules_scan_errors += RD(c->rules_scan_errors);
	for (unsigned a = 0; a < MXS_ANOMALY_COUNT; a++)
		t->conn.anomalies[a] += RD(c->anomalies[a]);
	t->flow.created += RD(f->created);
	for (int k = 0; k < DP_FLOW_CLS_COUNT; k++)
		t->flow.evicted[k] += RD(f->evicted[k]);
	t->flow.expired += RD(f->expired);
	t->flow.removed += RD(f->removed);
	t->flow.drained += RD(f->drained);
	t->flow.active += RD(f->active);
	t->flow.active_peak += RD(f->active_peak);
	t->syn.added += RD(h->added);
	t->syn.promoted += RD(h->promoted);
	t->syn.evicted += RD(h->evicted);
	t->syn.expired += RD(h->expired);
	t->syn.drained += RD(h->drained);
	t->syn.active += RD(h->active);
	t->syn.active_peak += RD(h->active_peak);
}

static uint64_t evicted_total(const struct dp_stats_totals *t)
{
	uint64_t n = 0;

	for (int k = 0; k < DP_FLOW_CLS_COUNT; k++)
		n += t->flow.evicted[k];
	return n;
}

static double mpps(const struct dp_stats_totals *t)
{
	return t->elapsed_s > 0 ? (double)t->conn.packets / t->elapsed_s / 1e6 : 0.0;
}

static double per(double a, double b)
{
	return b > 0 ? a / b : 0.0;
}

/* Busy cycles per packet: receive (PMD or ring), processing and free. */
static double cycles_per_packet(const struct dp_stats_totals *t)
{
	return per((double)t->tsc_busy, (double)t->conn.packets);
}

_Static_assert(MXS_ANOMALY_COUNT <= MXS_DP_ANOMALY_SLOTS, "mxs_dp_stats anomaly slots");

void dp_stats_to_link(const struct dp_stats_totals *t, struct mxs_dp_stats *ret,
		      struct mxs_rule_hit *ret_hits, uint32_t max)
{
	ret->workers = t->workers;
	ret->packets = t->conn.packets;
	ret->bytes = t->conn.bytes;
	ret->flows_created = t->flow.created;
	ret->flows_active = t->flow.active;
	ret->flows_evicted = evicted_total(t);
	ret->handshakes_evicted = t->syn.evicted;
	ret->handshakes_active = t->syn.active;
	ret->smtp_connections = t->conn.smtp_connections;
	ret->records_dropped = t->records_dropped;
	ret->rules_scanned = t->conn.rules_scanned;
	for (unsigned a = 0; a < MXS_ANOMALY_COUNT; a++)
		ret->anomalies[a] = t->conn.anomalies[a];
	ret->n_rule_hits = 0;
	if (t->rules) {
		struct dp_reload_stats rs;

		dp_reload_stats(t->rules, &rs);
		ret->rules_reload_ok = rs.reload_ok;
		ret->rules_reload_failed = rs.reload_failed;
		ret->rules_loaded = rs.rules_loaded;
		dp_reload_last_error(t->rules, ret->reload_error, sizeof(ret->reload_error));
		ret->n_rule_hits = dp_reload_top_hits(t->rules, ret_hits, max);
	}
}

int dp_stats_write_json(const char *path, const struct dp_stats_totals *t)
{
	FILE *f = strcmp(path, "-") == 0 ? stdout : fopen(path, "w");
	static const char *const cls[] = { "half_open", "closing", "other", "smtp" };
	int err = 0;

	if (!f)
		return -errno;
	fprintf(f, "{\"packets\":%" PRIu64 ",\"bytes\":%" PRIu64
		",\"non_ip\":%" PRIu64 ",\"non_tcp\":%" PRIu64 ",\"fragments\":%" PRIu64
		",\"malformed\":%" PRIu64 ",\"flows_created\":%" PRIu64
		",\"flows_evicted\":%" PRIu64 ",\"flows_evicted_by_class\":{",
		t->conn.packets, t->conn.bytes, t->conn.non_ip, t->conn.non_tcp,
		t->conn.fragments, t->conn.malformed, t->flow.created, evicted_total(t));
	for (int k = 0; k < DP_FLOW_CLS_COUNT; k++)
		fprintf(f, "%s\"%s\":%" PRIu64, k ? "," : "", cls[k], t->flow.evicted[k]);
	/* created = evicted + expired + removed (closed, reset) + drained
	 * (open at exit) + active (while running) */
	fprintf(f, "},\"flows_removed\":%" PRIu64 ",\"flows_drained\":%" PRIu64
		",\"flows_active\":%" PRIu64, t->flow.removed, t->flow.drained, t->flow.active);
	/* Bare SYNs wait apart (dp_syn): added = promoted (became flows) +
	 * evicted + expired + drained + active */
	fprintf(f, ",\"handshakes_added\":%" PRIu64 ",\"handshakes_promoted\":%" PRIu64
		",\"handshakes_evicted\":%" PRIu64 ",\"handshakes_expired\":%" PRIu64
		",\"handshakes_drained\":%" PRIu64 ",\"handshakes_active\":%" PRIu64
		",\"handshakes_active_peak\":%" PRIu64, t->syn.added, t->syn.promoted,
		t->syn.evicted, t->syn.expired, t->syn.drained, t->syn.active, t->syn.active_peak);
	fprintf(f, ",\"flows_expired\":%" PRIu64 ",\"smtp_connections\":%" PRIu64
		",\"half_open_closed\":%" PRIu64 ",\"conn_exhausted\":%" PRIu64
		",\"probe_given_up\":%" PRIu64 ",\"records_written\":%" PRIu64
		",\"records_dropped\":%" PRIu64 ",\"dispatch_drops\":%" PRIu64
		",\"anomalies\":{",
		t->flow.expired, t->conn.smtp_connections, t->conn.half_open_closed,
		t->conn.conn_exhausted, t->conn.probe_given_up, t->records_written,
		t->records_dropped, t->dispatch_drops);
	for (unsigned a = 0; a < MXS_ANOMALY_COUNT; a++)
		fprintf(f, "%s\"%s\":%" PRIu64, a ? "," : "", mxs_anomaly_name(a),
			t->conn.anomalies[a]);
	fprintf(f, "},\"port_ipackets\":%" PRIu64 ",\"port_imissed\":%" PRIu64
		",\"port_ierrors\":%" PRIu64, t->port_ipackets, t->port_imissed, t->port_ierrors);
	fprintf(f, ",\"rules_scanned\":%" PRIu64 ",\"rules_scan_errors\":%" PRIu64,
		t->conn.rules_scanned, t->conn.rules_scan_errors);
	if (t->rules) {
		struct dp_reload_stats rs;

		dp_reload_stats(t->rules, &rs);
		fprintf(f, ",\"rules_reload_failed\":%" PRIu64 ",\"rules\":{", rs.reload_failed);
		dp_reload_write_json(t->rules, f);
		fputc('}', f);
	}
	if (t->has_link)
		fprintf(f, ",\"control\":{\"observations_queued\":%" PRIu64
			",\"observations_sent\":%" PRIu64 ",\"observations_dropped_full\":%" PRIu64
			",\"observations_dropped_down\":%" PRIu64 ",\"connects\":%" PRIu64
			",\"verdicts_received\":%" PRIu64 ",\"verdicts_invalid\":%" PRIu64
			",\"mirror_full\":%" PRIu64 ",\"stats_sent\":%" PRIu64
			",\"reload_requests\":%" PRIu64 "}",
			t->link.queued, t->link.sent, t->link.dropped_full, t->link.dropped_down,
			t->link.connects, t->link.verdicts, t->link.verdicts_invalid,
			t->link.mirror_full, t->link.stats_sent, t->link.reload_requests);
	if (t->is_inline)
		fprintf(f, ",\"inline\":{\"to_outside\":%" PRIu64 ",\"to_outside_tx_full\":%" PRIu64
			",\"to_inside\":%" PRIu64 ",\"to_inside_tx_full\":%" PRIu64 "}",
			t->inline_tx[0], t->inline_tx_drops[0], t->inline_tx[1], t->inline_tx_drops[1]);
	if (t->has_enforce) {
		const struct dp_enforce_stats *e = &t->enforce;

		fputs(",\"enforce\":{\"packets\":{", f);
		for (unsigned a = 0; a < MXS_ACTION_COUNT; a++)
			fprintf(f, "%s\"%s\":%" PRIu64, a ? "," : "", mxs_action_name(a), e->pkts[a]);
		fputs("},\"shadow\":{", f);
		for (unsigned a = 0; a < MXS_ACTION_COUNT; a++)
			fprintf(f, "%s\"%s\":%" PRIu64, a ? "," : "", mxs_action_name(a), e->shadow[a]);
		fprintf(f, "},\"syn_throttled\":%" PRIu64 ",\"syn_admitted\":%" PRIu64
			",\"not_smtp\":%" PRIu64 ",\"parse_errors\":%" PRIu64
			",\"buckets_replaced\":%" PRIu64 "}", e->syn_throttled, e->syn_admitted,
			e->not_smtp, e->parse_errors, e->buckets_replaced);
	}
	if (t->has_hold)
		fprintf(f, ",\"greet_hold\":{\"armed\":%" PRIu64 ",\"banners_held\":%" PRIu64
			",\"frames_held\":%" PRIu64 ",\"released\":%" PRIu64 ",\"dropped\":%" PRIu64
			",\"client_first\":%" PRIu64 ",\"passed_full\":%" PRIu64 "}",
			t->hold.armed, t->hold.flows_held, t->hold.frames_held, t->hold.released,
			t->hold.dropped, t->hold.disarmed, t->hold.full);
	fprintf(f, ",\"workers\":%u,\"io_only\":%s,\"steering\":\"%s\"",
		t->workers, t->io_only ? "true" : "false", t->steering ? t->steering : "none");
	/* Flow state: reserved (what --max-flows costs) and resident. */
	{
		const struct dp_conn_mem *m = &t->mem;
		uint64_t reserved = m->flow_table_bytes + m->handshake_bytes +
				    m->parser_bytes + m->window_bytes;

		fprintf(f, ",\"memory_reserved_bytes\":%" PRIu64
			",\"state_bytes_per_conn\":%.1f,\"hot_bytes_per_flow\":%" PRIu64
			",\"flow_capacity\":%" PRIu64 ",\"flow_table_bytes\":%" PRIu64
			",\"handshake_capacity\":%" PRIu64 ",\"handshake_table_bytes\":%" PRIu64
			",\"parser_slots\":%" PRIu64 ",\"parser_pool_bytes\":%" PRIu64
			",\"parser_window_bytes\":%" PRIu64 ",\"memory_resident_bytes\":%" PRIu64
			",\"flows_active_peak\":%" PRIu64 ",\"resident_bytes_per_peak_flow\":%.1f",
			reserved, per((double)reserved, (double)m->flow_capacity), m->flow_hot_bytes,
			m->flow_capacity, m->flow_table_bytes, m->handshake_capacity,
			m->handshake_bytes, m->parser_slots, m->parser_bytes,
			m->window_bytes, m->resident_bytes, t->flow.active_peak,
			per((double)m->resident_bytes, (double)t->flow.active_peak));
	}
	fprintf(f, ",\"elapsed_s\":%.6f,\"mpps\":%.3f,\"gbps\":%.3f"
		",\"smtp_connections_per_s\":%.1f,\"tsc_hz\":%" PRIu64
		",\"cycles_per_packet\":%.1f,\"rx_cycles_per_packet\":%.1f"
		",\"processing_cycles_per_packet\":%.1f",
		t->elapsed_s, mpps(t), per((double)t->conn.bytes * 8, t->elapsed_s * 1e9),
		per((double)t->conn.smtp_connections, t->elapsed_s), t->tsc_hz,
		cycles_per_packet(t), per((double)t->tsc_rx, (double)t->conn.packets),
		per((double)(t->tsc_busy - t->tsc_rx), (double)t->conn.packets));
	if (t->dispatched)
		fprintf(f, ",\"dispatch_cycles_per_packet\":%.1f",
			per((double)t->tsc_dispatch, (double)t->dispatched));
	fputs("}\n", f);
	if (ferror(f))
		err = -EIO;
	if (f != stdout && fclose(f) != 0 && !err)
		err = -errno;
	else if (f == stdout)
		fflush(f);
	return err;
}

void dp_stats_summary(FILE *f, const struct dp_stats_totals *t)
{
	if (t->io_only) {
		fprintf(f, "mxscreen-dp: io-only: %" PRIu64 " packets, %.3f s, %.3f Mpps, "
			"%.0f cycles/pkt (%.0f receiving)\n", t->conn.packets, t->elapsed_s,
			mpps(t), cycles_per_packet(t), per((double)t->tsc_rx, (double)t->conn.packets));
		return;
	}
	fprintf(f, "mxscreen-dp: %" PRIu64 " packets, %" PRIu64 " flows, %" PRIu64
		" smtp connections, %" PRIu64 " evicted, %.3f s, %.3f Mpps, %.0f cycles/pkt"
		" (%.0f receiving)\n",
		t->conn.packets, t->flow.created, t->conn.smtp_connections,
		evicted_total(t), t->elapsed_s, mpps(t), cycles_per_packet(t),
		per((double)t->tsc_rx, (double)t->conn.packets));
}
