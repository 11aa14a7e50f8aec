/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dp_enforce: verdicts enforced by mxscreen-dp (see dp_enforce.h); what an
 * action does is include/mxscreen/enforce.h's.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dp_decode.h"
#include "dp_enforce.h"

#define WAYS 8

struct bucket {
	uint8_t addr[16];
	unsigned long long tokens;
	unsigned long long last_ns;
	uint8_t family;        /* 0: free */
};

struct dp_enforce {
	struct dp_enforce_params p;
	uint16_t ports[DP_ENFORCE_MAX_PORTS];
	struct bucket *b;
	uint32_t mask;         /* sets - 1 */
	struct dp_enforce_stats st;
};

struct dp_enforce *dp_enforce_create(const struct dp_enforce_params *p)
{
	struct dp_enforce *e;
	uint32_t sets = 1;

	if (!p || !p->n_smtp_ports || !p->smtp_ports || p->tag_dscp > 63) {
		errno = EINVAL;
		return NULL;
	}
	e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	e->p = *p;
	if (!e->p.max_buckets)
		e->p.max_buckets = 65536;
	if (e->p.n_smtp_ports > DP_ENFORCE_MAX_PORTS)
		e->p.n_smtp_ports = DP_ENFORCE_MAX_PORTS;
	memcpy(e->ports, p->smtp_ports, e->p.n_smtp_ports * sizeof(e->ports[0]));
	e->p.smtp_ports = e->ports;
	while ((uint64_t)sets * WAYS < e->p.max_buckets)
		sets <<= 1;
	e->mask = sets - 1;
	e->b = calloc((size_t)sets * WAYS, sizeof(*e->b));
	if (!e->b) {
		free(e);
		errno = ENOMEM;
		return NULL;
	}
	return e;
}

void dp_enforce_destroy(struct dp_enforce *e)
{
	if (!e)
		return;
	free(e->b);
	free(e);
}

static int is_smtp(const struct dp_enforce *e, uint16_t port)
{
	for (uint32_t i = 0; i < e->p.n_smtp_ports; i++)
		if (e->ports[i] == port)
			return 1;
	return 0;
}

static uint32_t addr_hash(int family, const uint8_t *a)
{
	uint64_t x = (uint64_t)family * 0x9e3779b97f4a7c15ull;

	for (int i = 0; i < 16; i++)
		x = (x ^ a[i]) * 0x100000001b3ull;
	return (uint32_t)(x ^ (x >> 29));
}

/* One SYN from @family/@addr against its bucket: 1 admit, 0 drop. */
static int take(struct dp_enforce *e, int family, const uint8_t *addr, uint64_t now)
{
	struct bucket *set = &e->b[(size_t)(addr_hash(family, addr) & e->mask) * WAYS];
	struct bucket *victim = NULL;

	for (unsigned i = 0; i < WAYS; i++) {
		struct bucket *b = &set[i];

		if (b->family == family && memcmp(b->addr, addr, 16) == 0)
			return mxs_bucket_take_syn(&b->tokens, &b->last_ns, now,
						   e->p.throttle_rate, e->p.throttle_burst);
		if (!victim || !b->family || (victim->family && b->last_ns < victim->last_ns))
			victim = b;
	}
	if (victim->family)
		e->st.buckets_replaced++;
	victim->family = (uint8_t)family;
	memcpy(victim->addr, addr, 16);
	victim->last_ns = now;
	return mxs_bucket_new(e->p.throttle_burst, &victim->tokens);
}

int dp_enforce_frame(struct dp_enforce *e, uint8_t *frame, uint32_t len, uint64_t now_ns)
{
	struct dp_conn_verdict v = { 0 };
	struct dp_pkt pk;
	unsigned char act;
	int r = dp_decode(frame, len, e->p.linktype, &pk);

	if (r == DP_DECODE_MALFORMED) {
		e->st.parse_errors++;
		return MXS_ENF_FORWARD;
	}
	if (r != DP_DECODE_TCP || !is_smtp(e, pk.dport)) {
		e->st.not_smtp++;
		return MXS_ENF_FORWARD;
	}
	if (!e->p.lookup || !e->p.lookup(e->p.ctx, pk.family, pk.src, &v))
		memset(&v, 0, sizeof(v));
	if (!v.shadow)
		v.would_be = v.action;
	act = mxs_enforce_applied(v.action, v.would_be, e->p.shadow || v.shadow);
	if ((e->p.shadow || v.shadow) && v.would_be < MXS_ACTION_COUNT)
		e->st.shadow[v.would_be]++;
	e->st.pkts[act]++;
	e->st.bytes[act] += len;
	switch (act) {
	case MXS_ACTION_DROP:
		return MXS_ENF_DROP;
	case MXS_ACTION_THROTTLE:
		if ((pk.tcp_flags & (DP_TCP_SYN | DP_TCP_ACK)) != DP_TCP_SYN)
			return MXS_ENF_FORWARD;
		if (take(e, pk.family, pk.src, now_ns)) {
			e->st.syn_admitted++;
			return MXS_ENF_FORWARD;
		}
		e->st.syn_throttled++;
		return MXS_ENF_DROP;
	case MXS_ACTION_TAG:
		mxs_dscp_set(frame + pk.l3_off, frame + len, pk.family, e->p.tag_dscp);
		return MXS_ENF_FORWARD;
	default:
		return MXS_ENF_FORWARD;
	}
}

void dp_enforce_get_stats(const struct dp_enforce *e, struct dp_enforce_stats *st)
{
	*st = e->st;
}
