/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ctl_conf: mxscreend's configuration file, Postfix main.cf style:
 * "key = value" lines, '#' comments, a line starting with whitespace
 * continues the previous one. Every key, its syntax and its default are
 * documented in etc/mxscreen.conf. Unknown keys, bad values and duplicate
 * keys are errors "FILE:LINE: reason". Pure C; main thread.
 */
#ifndef CTL_CONF_H
#define CTL_CONF_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include <mxscreen/anomaly.h>
#include <mxscreen/bpf.h>
#include <mxscreen/verdict.h>

#include "ctl_sites.h"

#define CTL_MAX_RESOLVERS 8
#define CTL_MAX_IFACES 32             /* per interface list */
#define CTL_IFNAME_SIZE 16            /* IFNAMSIZ, NUL included */

enum ctl_zone_type { CTL_ZONE_IP4SET = 0, CTL_ZONE_IP6TRIE, CTL_ZONE_IP6TSET, CTL_ZONE_DNSET };

/* xdp_mode: auto tries native (driver) XDP and falls back to generic. */
enum ctl_xdp_mode { CTL_XDP_AUTO = 0, CTL_XDP_NATIVE, CTL_XDP_GENERIC };

struct ctl_resolver {
	char host[64];                /* IPv4 or IPv6 literal */
	uint16_t port;                /* default 53 */
};

struct ctl_local_zone {
	char zone[CTL_ZONE_MAX + 1];
	int type;                     /* enum ctl_zone_type */
	char path[PATH_MAX];
};

struct ctl_cidr {
	uint8_t addr[16];             /* IPv4 in the first 4 bytes */
	uint8_t family;               /* 4 or 6 */
	uint8_t prefix_len;
};

struct ctl_conf {
	struct ctl_site *dnsbl;       /* dnsbl_sites */
	size_t n_dnsbl;
	struct ctl_site *rhsbl;       /* rhsbl_sites */
	size_t n_rhsbl;
	struct ctl_resolver resolvers[CTL_MAX_RESOLVERS]; /* default: /etc/resolv.conf */
	size_t n_resolvers;
	/* list_resolvers: DNS servers for the list zones (DNSBL, RHSBL, health
	 * probes); default none: the lists use resolvers too */
	struct ctl_resolver list_resolvers[CTL_MAX_RESOLVERS];
	size_t n_list_resolvers;
	struct ctl_local_zone *local_zones;   /* local_zones = zone:type:path ... */
	size_t n_local_zones;
	int fcrdns_weight;            /* default 1 */
	int no_ptr_weight;            /* default 1 */
	int anomaly_weight[MXS_ANOMALY_COUNT]; /* anomaly_weights = name:w, ... (default 0) */
	int rule_weight_percent;      /* rule_score scaling, default 100 */
	int score_tag;                /* default 1 */
	int score_throttle;           /* default 4 */
	int score_drop;               /* default 8 */
	struct ctl_cidr *allow;       /* allow_cidrs */
	size_t n_allow;
	struct ctl_cidr *deny;        /* deny_cidrs */
	size_t n_deny;
	uint32_t verdict_ttl[MXS_ACTION_COUNT]; /* verdict_ttl = pass:3600 tag:3600 throttle:3600 drop:86400 */
	uint32_t cache_ttl_min;       /* default 60 */
	uint32_t cache_ttl_max;       /* default 86400 */
	uint32_t error_ttl;           /* errors cached this long, default 30 */
	uint32_t dns_timeout_ms;      /* dns_timeout = 2s | 500ms, default 2s */
	uint32_t dns_max_inflight;    /* default 1000 */
	uint32_t health_interval;     /* seconds between zone probes, default 300 */
	int shadow;                   /* yes|no, default no */
	int ipv6_prefix;              /* 64|128, default 64 */
	char dataplane_socket[108];   /* default /run/mxscreen/dataplane.sock */
	char control_socket[108];     /* default /run/mxscreen/control.sock */
	char control_group[64];       /* group of control_socket, default "" (the daemon's) */
	char metrics_listen[64];      /* ADDR:PORT or [V6]:PORT for /metrics, default "" (off) */
	char manual_verdicts[PATH_MAX]; /* default /var/lib/mxscreen/manual-verdicts, "" off */
	char verdict_log[PATH_MAX];   /* default "" (off); "-" stderr */
	char bpf_pin_dir[PATH_MAX];   /* default /sys/fs/bpf/mxscreen */
	/* enforcement (BPF): none of it is touched unless bpf = yes */
	int bpf;                      /* yes|no, default no */
	char xdp_ifaces[CTL_MAX_IFACES][CTL_IFNAME_SIZE]; /* xdp_interfaces, default none */
	size_t n_xdp_ifaces;
	int xdp_mode;                 /* enum ctl_xdp_mode, default auto */
	char tc_ifaces[CTL_MAX_IFACES][CTL_IFNAME_SIZE];  /* tc_interfaces, default none */
	size_t n_tc_ifaces;
	uint16_t smtp_ports[MXS_BPF_MAX_PORTS]; /* default 25 465 587 2525 */
	size_t n_smtp_ports;
	int tag_dscp;                 /* 0..63, default 8 */
	uint32_t tag_mark;            /* skb->mark for tagged clients, default 0x4d58 */
	uint32_t throttle_rate;       /* SYNs per second per throttled client, default 1 */
	uint32_t throttle_burst;      /* token bucket size in SYNs, default 3 */
};

/*
 * Load @path. Returns 0 and the config in @ret (ctl_conf_free it), or
 * -errno with "FILE:LINE: reason" (or "FILE: reason") in @err.
 */
int ctl_conf_load(const char *path, struct ctl_conf **ret, char *err, size_t errlen);
/* The built-in defaults (as if from an empty file). */
struct ctl_conf *ctl_conf_defaults(void);
void ctl_conf_free(struct ctl_conf *c);

/* 1 if @family/@addr is inside @c. */
int ctl_cidr_contains(const struct ctl_cidr *c, int family, const uint8_t addr[16]);

#endif
