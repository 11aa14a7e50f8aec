/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tc_tag: the TC (clsact) half of enforcement. For TCP packets to an SMTP
 * port whose source address is judged `tag` as in XDP (mxs_judge: a live
 * verdict, or a manual static_cidrs entry, which wins over verdicts; not
 * a shadow one, config.shadow off), sets skb->mark = config.tag_mark so
 * nftables, `ip rule` or the MTA can route the connection; counts
 * tc_marked (never a verdict's hits). A tag_mark of 0 marks
 * nothing. Never drops or redirects: always TC_ACT_OK. Shares the pinned
 * maps with xdp_enforce (mxs_maps.h) and reads them only; the other
 * counters are xdp_enforce's, so they are not counted twice here.
 */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include "mxs_parse.h"
#include "mxs_maps.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

SEC("tc")
int tc_tag(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *end = (void *)(long)skb->data_end;
	struct mxs_bpf_config *cfg;
	struct mxs_bpf_stats *st;
	struct mxs_judgement j;
	struct mxs_pkt p;
	__u32 zero = 0;

	cfg = bpf_map_lookup_elem(&config, &zero);
	if (!cfg || cfg->shadow || !cfg->tag_mark)
		return TC_ACT_OK;
	if (mxs_parse_pkt(data, end, &p) != MXS_PARSE_TCP)
		return TC_ACT_OK;
	if (!mxs_smtp_port(cfg, p.dport))
		return TC_ACT_OK;
	mxs_judge(cfg, &p, &j);
	if (j.src == MXS_SRC_NONE || j.shadow || j.act != MXS_ACTION_TAG)
		return TC_ACT_OK;
	skb->mark = cfg->tag_mark;
	st = bpf_map_lookup_elem(&stats, &zero);
	if (st)
		st->tc_marked++;
	return TC_ACT_OK;
}
