/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_decode: frames -> dp_decode, and the same frames as one capture
 * through a small dp_conn tracker (flow table, reassembly, SMTP parser,
 * rule scans), with every record formatted by dp_eve.
 *
 * Input: byte 0 picks the link type (low 3 bits) and whether the tracker
 * scans values against a built-in rules db (bit 3); byte 1 sizes the
 * tracker (flows, parser slots) so eviction and slot exhaustion happen.
 * Then frames, each [u16 length LE][u8 time step, 100 ms units][bytes]; the
 * last frame is cut at the end of the input.
 *
 * Checks: dp_decode keeps the payload inside the frame and its fields in
 * range; every record is sane (lengths within their bounds) and dp_eve's
 * line is valid JSON (ctl_json) and valid UTF-8, within DP_EVE_MAX.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_json.h"
#include "dp_conn.h"
#include "dp_decode.h"
#include "dp_eve.h"
#include "dp_rules.h"
#include "fuzz_main.h"
#include "fz_smtp.h"
#include "fz_util.h"

#define MAX_FRAMES 1024u
#define STEP_NS 100000000ull

static const int linktypes[] = {
	DP_LINK_ETHERNET, DP_LINK_RAW, DP_LINK_NULL, DP_LINK_LOOP,
	DP_LINK_LINUX_SLL, DP_LINK_LINUX_SLL2, DP_LINK_ETHERNET, DP_LINK_ETHERNET,
};

/* Literal and Hyperscan rules of every field, so both scan paths run. */
static const char rules_text[] =
	"helo /^localhost$/i score=3 id=1 msg=\"helo localhost\"\n"
	"helo /^\\[?\\d+\\.\\d+\\.\\d+\\.\\d+\\]?$/ score=2 id=2 msg=\"helo literal\"\n"
	"helo /\\.example$/ score=1 id=3 msg=\"example\"\n"
	"mail_from /@spam\\.example$/i score=4 id=4 msg=\"spam sender\"\n"
	"mail_from /^$/ score=1 id=5 msg=\"null sender\"\n"
	"mail_from /[0-9]{6}/ score=1 id=6 msg=\"digits\"\n"
	"rcpt_to /^postmaster@/i score=-1 id=7 msg=\"postmaster\"\n"
	"rcpt_to /[^\\x00-\\x7f]/u score=1 id=8 msg=\"non-ascii rcpt\"\n";

static char eve[DP_EVE_MAX];

static const struct dp_rules_db *rules(void)
{
	static struct dp_rules_db *db;
	static bool tried;
	struct dp_rules_params p = { .n_scratch = 1 };
	char err[DP_RULES_ERR_MAX];

	if (!tried) {
		tried = true;
		p.path = fz_file((const uint8_t *)rules_text, sizeof(rules_text) - 1);
		FZ_CHECK(p.path != NULL);
		if (dp_rules_load(&p, &db, err, sizeof(err)) < 0) {
			fprintf(stderr, "fuzz_decode: %s\n", err);
			FZ_CHECK(!"the built-in rules load");
		}
	}
	return db;
}

static void on_record(void *ctx, const struct dp_conn_record *r)
{
	struct ctl_jdoc *doc = NULL;
	char err[128];
	size_t n;

	(void)ctx;
	FZ_CHECK(r->flow != NULL && r->state != NULL);
	FZ_CHECK(r->flow->key.family == 4 || r->flow->key.family == 6);
	FZ_CHECK(r->flow->client_side <= 1);
	if (r->smtp)
		fz_smtp_check(r->smtp);
	if (r->hits) {
		FZ_CHECK(r->hits->n <= DP_CONN_MAX_HITS);
		for (uint32_t i = 0; i < r->hits->n; i++)
			FZ_CHECK(r->hits->hit[i].field < MXS_FIELD_COUNT);
	}
	n = dp_eve_format(eve, sizeof(eve), r);
	FZ_CHECK(n > 1 && n <= sizeof(eve) && eve[n - 1] == '\n');
	FZ_CHECK(memchr(eve, '\n', n - 1) == NULL);
	FZ_CHECK(fz_utf8_valid((const uint8_t *)eve, n));
	if (ctl_json_parse(eve, n - 1, 1u << 20, &doc, err, sizeof(err)) != 0) {
		fprintf(stderr, "not JSON (%s): %.*s\n", err, (int)n, eve);
		FZ_CHECK(!"dp_eve wrote JSON");
	}
	FZ_CHECK(ctl_jdoc_root(doc)->type == CTL_J_OBJ);
	ctl_jdoc_free(doc);
}

static void check_decode(const uint8_t *f, uint32_t len, int linktype)
{
	struct dp_pkt pkt;
	int r = dp_decode(f, len, linktype, &pkt);

	FZ_CHECK(r >= DP_DECODE_TCP && r <= DP_DECODE_MALFORMED);
	if (r == DP_DECODE_TCP) {
		FZ_CHECK(pkt.payload >= f && pkt.payload <= f + len);
		FZ_CHECK(pkt.payload_len <= (uint32_t)(f + len - pkt.payload));
		FZ_CHECK(pkt.vlan_depth <= DP_DECODE_MAX_VLANS);
		FZ_CHECK(pkt.family == 4 || pkt.family == 6);
		if (pkt.payload_len) {
			/* every payload byte is readable (ASan checks the range) */
			volatile uint8_t sum = 0;

			for (uint32_t i = 0; i < pkt.payload_len; i++)
				sum ^= pkt.payload[i];
			(void)sum;
		}
	} else if (r == DP_DECODE_FRAGMENT) {
		FZ_CHECK(pkt.family == 4 || pkt.family == 6);
	}
	(void)dp_conn_steer(f, len, linktype);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint16_t ports[] = { 25, 465, 587, 2525 };
	static uint8_t *frames[MAX_FRAMES];
	static uint32_t lens[MAX_FRAMES];
	static uint64_t ts[MAX_FRAMES];
	struct fz_in in = { data, size };
	struct dp_conn_params p = { 0 };
	struct dp_conn_tracker *t;
	uint8_t mode = fz_u8(&in), sizing = fz_u8(&in);
	uint32_t n = 0;
	uint64_t now = 1000000000ull;

	p.linktype = linktypes[mode & 7];
	p.max_flows = 1u + (sizing & 15u);
	p.max_conns = 1u + (sizing >> 4);
	p.max_handshakes = mode >> 4; /* 0: the default, 4 x max_flows */
	p.smtp_ports = ports;
	p.n_smtp_ports = sizeof(ports) / sizeof(ports[0]);
	/* Short timeouts, so the time steps in the input expire flows. */
	for (unsigned c = 0; c < DP_FLOW_CLS_COUNT; c++)
		p.timeout_ns[c] = (c + 1) * 2 * STEP_NS * 10;
	p.on_record = on_record;

	while (in.n && n < MAX_FRAMES) {
		uint32_t want = fz_u16(&in);
		uint8_t step = fz_u8(&in);
		const uint8_t *b;
		uint32_t len = (uint32_t)fz_take(&in, want, &b);

		/* Each frame its own exact-size block: ASan sees overreads. */
		frames[n] = malloc(len ? len : 1);
		FZ_CHECK(frames[n] != NULL);
		memcpy(frames[n], b, len);
		lens[n] = len;
		now += step * STEP_NS;
		ts[n] = now;
		check_decode(frames[n], len, p.linktype);
		n++;
	}

	t = dp_conn_tracker_create(&p);
	FZ_CHECK(t != NULL);
	if (mode & 8)
		dp_conn_set_rules(t, rules(), 0);
	for (uint32_t i = 0; i < n; i += DP_CONN_BURST_MAX) {
		uint32_t k = n - i < DP_CONN_BURST_MAX ? n - i : DP_CONN_BURST_MAX;

		dp_conn_burst(t, (const uint8_t *const *)frames + i, lens + i, ts + i, k);
		dp_conn_advance(t, ts[i + k - 1]);
	}
	dp_conn_drain(t);
	{
		const struct dp_conn_stats *st = dp_conn_tracker_stats(t);
		const struct dp_flow_stats *fs = dp_conn_flow_stats(t);
		const struct dp_syn_stats *hs = dp_conn_syn_stats(t);
		struct dp_conn_mem mem = { 0 };

		FZ_CHECK(st->packets == n);
		FZ_CHECK(fs != NULL);
		/* Drained: every flow and handshake ended, and each one once. */
		FZ_CHECK(fs->active == 0 && hs->active == 0);
		FZ_CHECK(hs->added == hs->promoted + hs->evicted + hs->expired + hs->drained);
		FZ_CHECK(hs->active_peak <= (p.max_handshakes ? p.max_handshakes : 4 * p.max_flows));
		FZ_CHECK(fs->created == fs->evicted[0] + fs->evicted[1] + fs->evicted[2] +
			 fs->evicted[3] + fs->expired + fs->removed + fs->drained);
		dp_conn_tracker_mem(t, &mem);
		/* A parser state belongs to a flow: never more than the flows. */
		FZ_CHECK(mem.flow_capacity >= p.max_flows &&
			 mem.parser_slots == (p.max_conns < p.max_flows ? p.max_conns : p.max_flows));
		FZ_CHECK(mem.handshake_capacity ==
			 (p.max_handshakes ? p.max_handshakes : 4 * p.max_flows));
		FZ_CHECK(mem.flow_table_bytes + mem.handshake_bytes + mem.parser_bytes +
			 mem.window_bytes <= dp_conn_tracker_memory(t));
	}
	dp_conn_tracker_free(t);
	for (uint32_t i = 0; i < n; i++)
		free(frames[i]);
	return 0;
}
