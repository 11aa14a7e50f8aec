/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mxscreen-gen: deterministic synthetic SMTP edge traffic as a pcap, with
 * the records mxscreen-dp must produce for it (--truth). Command line,
 * setup and the summary line; the work is in gen_sched and the modules it
 * drives. Exit: 0 ok, 1 runtime failure (I/O), 2 bad usage.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gen_body.h"
#include "gen_pcap.h"
#include "gen_sched.h"
#include "gen_wire.h"
#include "gen_world.h"

enum mix { MIX_REALISTIC = 0, MIX_ADVERSARIAL, MIX_FLOOD };

struct opts {
	const char *out;
	const char *truth;
	uint64_t seed;
	uint64_t connections;
	uint64_t clients;
	uint64_t concurrency;
	uint64_t servers;
	double background;
	double ipv6;
	int mix;
	int vlan;
	int clients_set;
	int background_set;
};

static void usage(FILE *f)
{
	fputs("usage: mxscreen-gen -o OUT.pcap [--seed N] [--connections N] [--clients M]\n"
	      "                    [--concurrency K] [--mix realistic|adversarial|flood]\n"
	      "                    [--background-ratio R] [--ipv6-ratio R] [--vlan]\n"
	      "                    [--truth PATH] [--servers S]\n", f);
}

static int bad(const char *opt, const char *why)
{
	fprintf(stderr, "mxscreen-gen: %s: %s\n", opt, why);
	return 2;
}

static int parse_u64(const char *s, uint64_t lo, uint64_t hi, uint64_t *ret)
{
	char *end;
	unsigned long long v;

	if (!s || !*s || *s == '-' || *s == '+')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v < lo || v > hi)
		return -1;
	*ret = v;
	return 0;
}

static int parse_ratio(const char *s, double *ret)
{
	char *end;
	double v;

	if (!s || !*s)
		return -1;
	errno = 0;
	v = strtod(s, &end);
	if (errno || *end || !(v >= 0.0 && v <= 1.0))
		return -1;
	*ret = v;
	return 0;
}

static int parse(int argc, char **argv, struct opts *o)
{
	static const struct option longs[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "seed", required_argument, NULL, 's' },
		{ "connections", required_argument, NULL, 'n' },
		{ "clients", required_argument, NULL, 'c' },
		{ "concurrency", required_argument, NULL, 'k' },
		{ "mix", required_argument, NULL, 'm' },
		{ "background-ratio", required_argument, NULL, 'b' },
		{ "ipv6-ratio", required_argument, NULL, '6' },
		{ "vlan", no_argument, NULL, 'v' },
		{ "truth", required_argument, NULL, 't' },
		{ "servers", required_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int ch, idx;

	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":o:h", longs, &idx)) != -1) {
		const char *name = optind > 0 && optind <= argc ? argv[optind - 1] : "?";

		switch (ch) {
		case 'o':
			o->out = optarg;
			break;
		case 's':
			if (parse_u64(optarg, 0, UINT64_MAX, &o->seed))
				return bad("--seed", "not an unsigned integer");
			break;
		case 'n':
			if (parse_u64(optarg, 1, 1000000000000ull, &o->connections))
				return bad("--connections", "not an integer from 1 to 10^12");
			break;
		case 'c':
			if (parse_u64(optarg, 1, GEN_WORLD_MAX_CLIENTS, &o->clients))
				return bad("--clients", "not an integer from 1 to 4194304");
			o->clients_set = 1;
			break;
		case 'k':
			if (parse_u64(optarg, 1, GEN_SCHED_MAX_CONCURRENCY, &o->concurrency))
				return bad("--concurrency", "not an integer from 1 to 1048576");
			break;
		case 'm':
			if (strcmp(optarg, "realistic") == 0)
				o->mix = MIX_REALISTIC;
			else if (strcmp(optarg, "adversarial") == 0)
				o->mix = MIX_ADVERSARIAL;
			else if (strcmp(optarg, "flood") == 0)
				o->mix = MIX_FLOOD;
			else
				return bad("--mix", "not realistic, adversarial or flood");
			break;
		case 'b':
			if (parse_ratio(optarg, &o->background))
				return bad("--background-ratio", "not a number from 0 to 1");
			o->background_set = 1;
			break;
		case '6':
			if (parse_ratio(optarg, &o->ipv6))
				return bad("--ipv6-ratio", "not a number from 0 to 1");
			break;
		case 'v':
			o->vlan = 1;
			break;
		case 't':
			o->truth = optarg;
			break;
		case 'S':
			if (parse_u64(optarg, 1, GEN_WORLD_MAX_SERVERS, &o->servers))
				return bad("--servers", "not an integer from 1 to 200");
			break;
		case 'h':
			usage(stdout);
			exit(0);
		case ':':
			return bad(name, "needs a value");
		default:
			return bad(name, "unknown option");
		}
	}
	if (optind < argc)
		return bad(argv[optind], "unexpected argument");
	if (!o->out)
		return bad("-o", "an output file is required");
	if (o->mix == MIX_FLOOD && !o->background_set)
		o->background = 0.02; /* the flood is 90% of the packets */
	if (o->mix == MIX_FLOOD && o->background >= 0.1)
		return bad("--background-ratio", "must stay below 0.1 with --mix flood");
	if (o->background >= 1.0)
		return bad("--background-ratio", "must stay below 1");
	return 0;
}

int main(int argc, char **argv)
{
	struct opts o = {
		.seed = 1, .connections = 1000, .concurrency = 100, .servers = 4,
		.background = 0.1, .ipv6 = 0.1,
	};
	struct gen_world_params wp;
	struct gen_world *world = NULL;
	struct gen_body *body = NULL;
	struct gen_pcap *pcap = NULL;
	struct gen_wire *wire = NULL;
	struct gen_sched_stats st;
	struct gen_sched_params sp;
	struct timespec t0, t1;
	FILE *truth = NULL;
	int r, rc = 1;
	double secs;

	r = parse(argc, argv, &o);
	if (r)
		return r;
	if (!o.clients_set)
		o.clients = o.connections / 4 ? o.connections / 4 : 1;
	if (o.clients > GEN_WORLD_MAX_CLIENTS)
		o.clients = GEN_WORLD_MAX_CLIENTS;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	wp = (struct gen_world_params){
		.seed = o.seed, .clients = (uint32_t)o.clients, .servers = (uint32_t)o.servers,
		.ipv6_ppm = (uint32_t)(o.ipv6 * 1e6 + 0.5), .vlan = o.vlan,
	};
	world = gen_world_create(&wp);
	body = gen_body_create();
	pcap = gen_pcap_open(&(struct gen_pcap_params){ .path = o.out });
	if (!pcap) {
		fprintf(stderr, "mxscreen-gen: %s: %s\n", o.out, strerror(errno));
		goto out;
	}
	wire = gen_wire_create(&(struct gen_wire_params){
		.pcap = pcap, .adversarial = o.mix == MIX_ADVERSARIAL });
	if (o.truth) {
		truth = fopen(o.truth, "w");
		if (!truth) {
			fprintf(stderr, "mxscreen-gen: %s: %s\n", o.truth, strerror(errno));
			goto out;
		}
		setvbuf(truth, NULL, _IOFBF, 1 << 20);
	}
	if (!world || !body || !wire) {
		fprintf(stderr, "mxscreen-gen: out of memory\n");
		goto out;
	}
	sp = (struct gen_sched_params){
		.seed = o.seed, .connections = o.connections, .concurrency = (uint32_t)o.concurrency,
		.background = o.background, .flood = o.mix == MIX_FLOOD ? 0.9 : 0.0,
		.adversarial = o.mix == MIX_ADVERSARIAL, .ipv6_ppm = wp.ipv6_ppm,
		.world = world, .body = body, .pcap = pcap, .wire = wire, .truth = truth,
	};
	r = gen_sched_run(&sp, &st);
	if (r) {
		fprintf(stderr, "mxscreen-gen: %s\n", strerror(-r));
		goto out;
	}
	if (truth && fclose(truth) != 0) {
		truth = NULL;
		fprintf(stderr, "mxscreen-gen: %s: %s\n", o.truth, strerror(errno));
		goto out;
	}
	truth = NULL;
	r = gen_pcap_close(pcap);
	{
		uint64_t pk = st.session_packets + st.background_packets + st.flood_packets;

		pcap = NULL;
		if (r) {
			fprintf(stderr, "mxscreen-gen: %s: %s\n", o.out, strerror(-r));
			goto out;
		}
		clock_gettime(CLOCK_MONOTONIC, &t1);
		secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
		fprintf(stderr,
			"mxscreen-gen: %" PRIu64 " packets (%" PRIu64 " session, %" PRIu64
			" background, %" PRIu64 " flood), %" PRIu64 " connections, %" PRIu64
			" expected records, %.1f s of capture, in %.2f s (%.2f Mpkt/s)\n",
			pk, st.session_packets, st.background_packets, st.flood_packets,
			st.connections, st.expected, (double)(st.last_us - st.first_us) / 1e6,
			secs, secs > 0 ? (double)pk / secs / 1e6 : 0.0);
	}
	rc = 0;
out:
	if (truth)
		fclose(truth);
	gen_pcap_close(pcap);
	gen_wire_free(wire);
	gen_body_free(body);
	gen_world_free(world);
	return rc;
}
