/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dp_opts: option parsing for mxscreen-dp (see dp_opts.h).
 */
#include <errno.h>
#include <inttypes.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dp_opts.h"

static const uint16_t default_ports[] = { 25, 465, 587, 2525 };

const char *dp_opts_usage(void)
{
	return "usage: mxscreen-dp --pcap FILE [options]\n"
	       "       mxscreen-dp [EAL options] -- [--pcap FILE] [options]\n"
	       "       mxscreen-dp --inline OUTSIDE_IF,INSIDE_IF [options]\n"
	       "options:\n"
	       "  --pcap FILE          replay a pcap or pcapng capture (net_pcap vdev)\n"
	       "  --eve PATH           write one NDJSON record per SMTP connection (- = stdout)\n"
	       "  --stats-json PATH    write counters as JSON at exit (- = stdout)\n"
	       "  --smtp-ports LIST    comma-separated server ports (default 25,465,587,2525)\n"
	       "  --max-flows N        flow table capacity, all workers (default 1000000)\n"
	       "  --max-conns N        SMTP parser states, all workers, at most --max-flows\n"
	       "                       (default 262144); connections past it are counted,\n"
	       "                       not parsed\n"
	       "  --max-handshakes N   connections between SYN and ACK held at once, all\n"
	       "                       workers (default 4 x --max-flows, 32 B + 16 B each):\n"
	       "                       a SYN flood evicts the oldest of these, not flows\n"
	       "  --workers N          worker lcores (default 1)\n"
	       "  --rules PATH         match HELO/MAIL FROM/RCPT TO against a rules file or a\n"
	       "                       directory of *.rules; SIGHUP reloads it\n"
	       "  --check-rules PATH   validate rules and exit (0 ok, 2 bad)\n"
	       "  --control SOCK       send observations to mxscreend, take verdicts back\n"
	       "  --io-only            receive and free packets, nothing else: the I/O ceiling\n"
	       "                       full classification is measured against (same PMD,\n"
	       "                       burst loop, workers and figures; with --eve, --rules,\n"
	       "                       --control, --max-flows, --max-conns, --max-handshakes\n"
	       "                       or --smtp-ports: usage error)\n"
	       "  --inline OUT,IN      transparent L2 bump between interfaces OUT and IN (AF_XDP\n"
	       "                       ports built here, no EAL options needed): SMTP-port packets\n"
	       "                       are classified and sent on unchanged out of the other\n"
	       "                       interface, the rest is forwarded by the XDP program\n"
	       "                       (bpf/mxscreen_inline.bpf.o), which fails open when\n"
	       "                       mxscreen-dp is not running; with --io-only, forwarded\n"
	       "                       unclassified (the inline I/O ceiling); with --pcap or\n"
	       "                       --workers > 1: usage error\n"
	       "  --bpf-pin-dir DIR    maps shared with mxscreend (default " DP_OPTS_PIN_DIR ")\n"
	       "  --inline-ports P,Q   the same bump in the wire between EAL ports P (outside)\n"
	       "                       and Q (inside) of any PMD, without XDP: mxscreen-dp\n"
	       "                       receives everything, enforces the verdicts itself\n"
	       "                       (--control's) and forwards the rest unchanged\n"
	       "  --tag-dscp N         --inline-ports: DSCP for tagged clients (0-63, default 8)\n"
	       "  --throttle-rate N    --inline-ports: SYNs a second a throttled client gets (1)\n"
	       "  --throttle-burst N   --inline-ports: its bucket's size in SYNs (3)\n"
	       "  --greet-hold-ms N    inline: hold the server's banner N ms (1-10000) on its\n"
	       "                       way to the client; a client talking meanwhile is a\n"
	       "                       pregreet (postscreen's greet wait); default off\n"
	       "  --help               this text\n"
	       "exit status: 0 ok, 1 runtime failure, 2 bad option or input file\n";
}

static int parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *ret)
{
	char *end;
	unsigned long long v;

	if (!s || !*s || *s == '-' || *s == '+')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -EINVAL;
	*ret = v;
	return 0;
}

/* Option @name's integer @arg in [min, max] into @dst; the error line
 * otherwise. */
static int opt_u32(const char *name, const char *arg, uint32_t min, uint32_t max,
		   uint32_t *dst, char *err, size_t errlen)
{
	uint64_t v;

	if (parse_u64(arg, min, max, &v)) {
		snprintf(err, errlen, "%s: '%s' is not an integer in %u-%u", name, arg, min, max);
		return -EINVAL;
	}
	*dst = (uint32_t)v;
	return 0;
}

static int parse_ports(const char *s, struct dp_opts *o, char *err, size_t errlen)
{
	char buf[512];
	char *save = NULL, *tok;

	if (strlen(s) >= sizeof(buf) || !*s)
		goto bad;
	strcpy(buf, s);
	o->n_smtp_ports = 0;
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		uint64_t v;

		if (parse_u64(tok, 1, 65535, &v) || o->n_smtp_ports == DP_OPTS_MAX_PORTS)
			goto bad;
		o->smtp_ports[o->n_smtp_ports++] = (uint16_t)v;
	}
	if (o->n_smtp_ports)
		return 0;
bad:
	snprintf(err, errlen, "--smtp-ports: '%s' is not a comma-separated list of 1..%d ports in 1-65535",
		 s, DP_OPTS_MAX_PORTS);
	return -EINVAL;
}

/* "A,B": two distinct interface names, neither with ',' or '='. */
/* "P,Q": two distinct EAL port ids. */
static int parse_port_pair(const char *s, struct dp_opts *o)
{
	char a[16], *comma;
	uint64_t p, q;

	if (strlen(s) >= sizeof(a))
		return -1;
	strcpy(a, s);
	comma = strchr(a, ',');
	if (!comma)
		return -1;
	*comma = 0;
	if (parse_u64(a, 0, DP_OPTS_MAX_PORT_ID, &p) || parse_u64(comma + 1, 0, DP_OPTS_MAX_PORT_ID, &q) ||
	    p == q)
		return -1;
	o->inline_ports[0] = (uint16_t)p;
	o->inline_ports[1] = (uint16_t)q;
	o->native_inline = 1;
	return 0;
}

static int parse_inline(const char *s, struct dp_opts *o, char *err, size_t errlen)
{
	char *comma;
	size_t la;

	if (strlen(s) >= sizeof(o->inline_buf) || strchr(s, '='))
		goto bad;
	strcpy(o->inline_buf, s);
	comma = strchr(o->inline_buf, ',');
	if (!comma || strchr(comma + 1, ','))
		goto bad;
	*comma = '\0';
	la = strlen(o->inline_buf);
	if (!la || la >= 16 || !comma[1] || strlen(comma + 1) >= 16 ||
	    strcmp(o->inline_buf, comma + 1) == 0)
		goto bad;
	o->inline_if[0] = o->inline_buf;
	o->inline_if[1] = comma + 1;
	return 0;
bad:
	snprintf(err, errlen, "--inline: '%s' is not OUTSIDE_IF,INSIDE_IF (two distinct interface names)",
		 s);
	return -EINVAL;
}

int dp_opts_parse(int argc, char **argv, struct dp_opts *o, char *err, size_t errlen)
{
	enum { O_PCAP = 256, O_EVE, O_STATS, O_PORTS, O_FLOWS, O_CONNS, O_SYNS, O_WORKERS, O_HELP,
	       O_RULES, O_CHECK_RULES, O_CONTROL, O_IO_ONLY, O_INLINE, O_PIN_DIR, O_GREET_HOLD,
	       O_INLINE_PORTS, O_TAG_DSCP, O_THR_RATE, O_THR_BURST };
	static const struct option lopts[] = {
		{ "pcap", required_argument, NULL, O_PCAP },
		{ "eve", required_argument, NULL, O_EVE },
		{ "stats-json", required_argument, NULL, O_STATS },
		{ "smtp-ports", required_argument, NULL, O_PORTS },
		{ "max-flows", required_argument, NULL, O_FLOWS },
		{ "max-conns", required_argument, NULL, O_CONNS },
		{ "max-handshakes", required_argument, NULL, O_SYNS },
		{ "workers", required_argument, NULL, O_WORKERS },
		{ "help", no_argument, NULL, O_HELP },
		{ "rules", required_argument, NULL, O_RULES },
		{ "check-rules", required_argument, NULL, O_CHECK_RULES },
		{ "control", required_argument, NULL, O_CONTROL },
		{ "io-only", no_argument, NULL, O_IO_ONLY },
		{ "inline", required_argument, NULL, O_INLINE },
		{ "bpf-pin-dir", required_argument, NULL, O_PIN_DIR },
		{ "greet-hold-ms", required_argument, NULL, O_GREET_HOLD },
		{ "inline-ports", required_argument, NULL, O_INLINE_PORTS },
		{ "tag-dscp", required_argument, NULL, O_TAG_DSCP },
		{ "throttle-rate", required_argument, NULL, O_THR_RATE },
		{ "throttle-burst", required_argument, NULL, O_THR_BURST },
		{ NULL, 0, NULL, 0 },
	};
	const char *flows_opt = NULL, *ports_opt = NULL, *enf_opt = NULL;
	int c, pin_opt = 0;

	memset(o, 0, sizeof(*o));
	memcpy(o->smtp_ports, default_ports, sizeof(default_ports));
	o->n_smtp_ports = sizeof(default_ports) / sizeof(default_ports[0]);
	o->max_flows = 1000000;
	o->workers = 1;
	o->bpf_pin_dir = DP_OPTS_PIN_DIR;
	o->tag_dscp = 8;
	o->throttle_rate = 1;
	o->throttle_burst = 3;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":", lopts, NULL)) != -1) {
		switch (c) {
		case O_PCAP:
			o->pcap = optarg;
			break;
		case O_EVE:
			o->eve = optarg;
			break;
		case O_STATS:
			o->stats_json = optarg;
			break;
		case O_PORTS:
			if (parse_ports(optarg, o, err, errlen))
				return -EINVAL;
			ports_opt = "--smtp-ports";
			break;
		case O_FLOWS:
			if (opt_u32("--max-flows", optarg, 1, 1u << 30, &o->max_flows, err, errlen))
				return -EINVAL;
			flows_opt = "--max-flows";
			break;
		case O_CONNS:
			if (opt_u32("--max-conns", optarg, 1, 1u << 30, &o->max_conns, err, errlen))
				return -EINVAL;
			flows_opt = "--max-conns";
			break;
		case O_SYNS:
			if (opt_u32("--max-handshakes", optarg, 1, 1u << 30, &o->max_handshakes,
				    err, errlen))
				return -EINVAL;
			flows_opt = "--max-handshakes";
			break;
		case O_WORKERS:
			if (opt_u32("--workers", optarg, 1, DP_OPTS_MAX_WORKERS, &o->workers, err,
				    errlen))
				return -EINVAL;
			break;
		case O_RULES:
			o->rules = optarg;
			break;
		case O_CHECK_RULES:
			o->check_rules = optarg;
			break;
		case O_CONTROL:
			if (strlen(optarg) >= 108) {
				snprintf(err, errlen, "--control: socket path longer than 107 bytes");
				return -EINVAL;
			}
			o->control = optarg;
			break;
		case O_IO_ONLY:
			o->io_only = 1;
			break;
		case O_INLINE:
			if (parse_inline(optarg, o, err, errlen))
				return -EINVAL;
			break;
		case O_PIN_DIR:
			if (!*optarg || strpbrk(optarg, ",")) {
				snprintf(err, errlen, "--bpf-pin-dir: '%s' is not a usable directory name",
					 optarg);
				return -EINVAL;
			}
			o->bpf_pin_dir = optarg;
			pin_opt = 1;
			break;
		case O_GREET_HOLD:
			if (opt_u32("--greet-hold-ms", optarg, 1, DP_OPTS_MAX_GREET_HOLD_MS,
				    &o->greet_hold_ms, err, errlen))
				return -EINVAL;
			break;
		case O_INLINE_PORTS:
			if (parse_port_pair(optarg, o)) {
				snprintf(err, errlen, "--inline-ports: '%s' is not P,Q (two distinct port numbers, 0-%u)",
					 optarg, DP_OPTS_MAX_PORT_ID);
				return -EINVAL;
			}
			break;
		case O_TAG_DSCP:
		case O_THR_RATE:
		case O_THR_BURST: {
			uint32_t *dst = c == O_TAG_DSCP ? &o->tag_dscp :
					c == O_THR_RATE ? &o->throttle_rate : &o->throttle_burst;
			const char *name = c == O_TAG_DSCP ? "--tag-dscp" :
					   c == O_THR_RATE ? "--throttle-rate" : "--throttle-burst";

			if (opt_u32(name, optarg, c == O_TAG_DSCP ? 0 : 1,
				    c == O_TAG_DSCP ? 63 : 1000000, dst, err, errlen))
				return -EINVAL;
			enf_opt = name;
			break;
		}
		case O_HELP:
			o->help = 1;
			return 0;
		case ':':
			snprintf(err, errlen, "option '%s' needs a value", argv[optind - 1]);
			return -EINVAL;
		default:
			snprintf(err, errlen, "unknown option '%s'", argv[optind - 1]);
			return -EINVAL;
		}
	}
	if (optind < argc) {
		snprintf(err, errlen, "unexpected argument '%s'", argv[optind]);
		return -EINVAL;
	}
	if (o->io_only) {
		/* Options that ask for something the I/O ceiling never does:
		 * refusing them keeps a benchmark from comparing unlike runs. */
		const char *bad = o->eve ? "--eve" : o->rules ? "--rules" :
				  o->control ? "--control" : o->check_rules ? "--check-rules" :
				  flows_opt ? flows_opt : ports_opt;

		if (bad) {
			snprintf(err, errlen, "--io-only: %s makes no sense without processing", bad);
			return -EINVAL;
		}
	}
	if (o->inline_if[0] || o->native_inline) {
		const char *mode = o->inline_if[0] ? "--inline" : "--inline-ports";
		const char *bad = o->pcap ? "--pcap" : o->workers > 1 ? "--workers" :
				  o->inline_if[0] && o->native_inline ? "--inline-ports" :
				  o->native_inline && pin_opt ? "--bpf-pin-dir" :
				  o->inline_if[0] ? enf_opt : NULL;

		if (bad) {
			snprintf(err, errlen, "%s cannot be combined with %s", bad, mode);
			return -EINVAL;
		}
	} else if (pin_opt || o->greet_hold_ms || enf_opt) {
		snprintf(err, errlen, "%s is for %s only",
			 pin_opt ? "--bpf-pin-dir" : o->greet_hold_ms ? "--greet-hold-ms" : enf_opt,
			 pin_opt ? "--inline" : o->greet_hold_ms ? "--inline or --inline-ports" :
			 "--inline-ports");
		return -EINVAL;
	}
	if (o->max_flows < o->workers) {
		snprintf(err, errlen, "--max-flows %u is less than --workers %u", o->max_flows, o->workers);
		return -EINVAL;
	}
	return 0;
}
