/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dp_opts: mxscreen-dp's own command-line options (those after "--" in the
 * DPDK form). Pure C; main thread, start-up only.
 */
#ifndef DP_OPTS_H
#define DP_OPTS_H

#include <stddef.h>
#include <stdint.h>

#define DP_OPTS_MAX_PORTS 64
#define DP_OPTS_MAX_WORKERS 64
#define DP_OPTS_PIN_DIR "/sys/fs/bpf/mxscreen"
#define DP_OPTS_MAX_GREET_HOLD_MS 10000u
#define DP_OPTS_MAX_PORT_ID 1023u

struct dp_opts {
	const char *pcap;          /* replay file, NULL: use the EAL's ports */
	const char *eve;           /* record output, "-" stdout, NULL none */
	const char *stats_json;    /* stats output, "-" stdout, NULL none */
	const char *rules;         /* rules file or directory, NULL none */
	const char *check_rules;   /* validate this and exit */
	const char *control;       /* mxscreend's dataplane_socket, NULL none */
	uint16_t smtp_ports[DP_OPTS_MAX_PORTS];
	uint32_t n_smtp_ports;
	uint32_t max_flows;        /* all workers together */
	uint32_t max_conns;        /* parser states, all workers; 0: default */
	uint32_t max_handshakes;   /* handshake table, all workers; 0: default */
	uint32_t workers;
	int io_only;               /* receive and free only: the I/O ceiling */
	const char *inline_if[2];  /* --inline OUTSIDE,INSIDE: NULL when not inline */
	char inline_buf[64];       /* storage for inline_if */
	const char *bpf_pin_dir;   /* --bpf-pin-dir (inline), default below */
	uint32_t greet_hold_ms;    /* --greet-hold-ms (inline), 0 off */
	int native_inline;         /* --inline-ports P,Q: EAL ports, no XDP */
	uint16_t inline_ports[2];
	uint32_t tag_dscp;         /* --tag-dscp (inline-ports), default 8 */
	uint32_t throttle_rate;    /* --throttle-rate, default 1 */
	uint32_t throttle_burst;   /* --throttle-burst, default 3 */
	int help;
};

/*
 * Parse @argc/@argv (argv[0] is the program). Returns 0, or -EINVAL with a
 * one-line reason in @err.
 */
int dp_opts_parse(int argc, char **argv, struct dp_opts *ret, char *err, size_t errlen);

/* Usage text for --help. */
const char *dp_opts_usage(void);

#endif
