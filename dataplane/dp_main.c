/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mxscreen-dp entry point: options, EAL set-up (its own EAL arguments when
 * none are given: a net_pcap vdev over --pcap, --no-huge when no hugepages
 * are free, --in-memory), port start (one queue per worker with symmetric
 * RSS where the port has it), worker start (without trackers for
 * --io-only), totals at exit.
 * --inline A,B: mxs_inline_prepare() (bpf/mxs_inline_load.h) before the
 * EAL starts (and the program's SMTP ports, when mxscreend has not set
 * them: dp_inline.h), then one af_xdp vdev per interface (queue 0 only, the PMD
 * loads and attaches the inline XDP program itself) and one worker that
 * forwards between them. At exit the inline ports are stopped but not
 * closed: closing would detach the program, and with it attached and no
 * socket bound the kernel forwards everything itself (fail open).
 * --inline-ports P,Q: the same worker between two ports the EAL made (any
 * PMD, no XDP), which enforces the verdict mirror itself (dp_enforce.h);
 * at exit those ports are closed like any other.
 * Main thread, except the control link's callbacks (link_snapshot,
 * link_reload: the link thread; reload_done: the reloader thread).
 * Exit status: 0 ok, 1 runtime failure, 2 bad option or input file.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stddef.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <net/if.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>

#include "dp_capture.h"
#include "dp_inline.h"
#include "dp_link.h"
#include "dp_opts.h"
#include "dp_reload.h"
#include "dp_rules.h"
#include "dp_stats.h"
#include "dp_worker.h"
#include "mxs_inline_load.h"

#define EXIT_RUNTIME 1
#define EXIT_USAGE 2
#define VDEV_NAME "net_pcap_mxs0"
#define INLINE_VDEV "net_af_xdp_mxs"   /* + 0 (outside), 1 (inside) */
#define INLINE_OBJ_ENV "MXSCREEN_INLINE_OBJ" /* overrides the object's path */
#define RING_SIZE 1024u

static struct dp_run run = { .ts_off = -1 };
static const char *run_inline_obj; /* --inline: the XDP object the PMD loads */
static struct dp_reload *reload;
static struct dp_link *ctl_link;
/* What the link thread reads for its snapshots: @reload and the rest are
 * set before it starts; the workers are published by @workers_ready. */
static _Atomic(struct dp_link *) reload_notify; /* read by the reloader */
static struct dp_worker *workers[DP_OPTS_MAX_WORKERS];
static atomic_uint workers_ready;
static uint32_t n_workers;
static uint64_t started_ns;

__attribute__((format(printf, 2, 3), noreturn))
static void die(int status, const char *fmt, ...)
{
	va_list ap;

	fputs("mxscreen-dp: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(status);
}

static void on_signal(int sig)
{
	(void)sig;
	atomic_store(&run.stop, 1);
}

static void on_hup(int sig)
{
	(void)sig;
	dp_reload_request(reload);
}

/* --inline-ports: the verdict mirror is what dp_enforce judges by. */
static int mirror_lookup(void *ctx, int family, const uint8_t addr[16],
			 struct dp_conn_verdict *ret)
{
	return dp_link_verdict(ctx, family, addr, ret);
}

/* Reloader thread: a reload ended; let the control plane see how. */
static void reload_done(void *ctx)
{
	dp_link_stats_soon(atomic_load(&reload_notify));
}

/* Link thread: RULES_RELOAD does what SIGHUP does. */
static int link_reload(void *ctx)
{
	if (!reload)
		return -ENOENT;
	dp_reload_request(reload);
	return 0;
}

/* Link thread: live totals (approximate while the workers run). */
static void link_snapshot(void *ctx, struct mxs_dp_stats *ret, struct mxs_rule_hit *ret_hits,
			  uint32_t max)
{
	struct dp_stats_totals t = { 0 };
	unsigned n = atomic_load_explicit(&workers_ready, memory_order_acquire);

	for (unsigned i = 0; i < n; i++)
		dp_worker_stats_add(workers[i], &t);
	t.workers = n_workers;
	t.rules = reload;
	dp_stats_to_link(&t, ret, ret_hits, max);
	ret->pid = (uint32_t)getpid();
	ret->started_ns = started_ns;
}

/* --check-rules: like nginx -t. */
static int check_rules(const char *path)
{
	struct dp_rules_params p = { path, 1 };
	struct dp_rules_db *db;
	char err[DP_RULES_ERR_MAX];
	unsigned per[MXS_FIELD_COUNT] = { 0 };

	if (dp_rules_load(&p, &db, err, sizeof(err)) < 0)
		die(EXIT_USAGE, "%s", err);
	for (uint32_t i = 0; i < db->n_rules; i++)
		per[db->rules[i].field]++;
	printf("%s: %u rules ok (helo %u, mail_from %u, rcpt_to %u)\n", path, db->n_rules,
	       per[MXS_FIELD_HELO], per[MXS_FIELD_MAIL_FROM], per[MXS_FIELD_RCPT_TO]);
	dp_rules_db_free(db);
	return 0;
}

static int linktype_supported(int lt)
{
	switch (lt) {
	case DP_LINK_NULL: case DP_LINK_ETHERNET: case DP_LINK_RAW:
	case DP_LINK_LOOP: case DP_LINK_LINUX_SLL: case DP_LINK_LINUX_SLL2:
		return 1;
	default:
		return 0;
	}
}

/* Free hugepage memory in MB, 0 when hugetlbfs is not mounted. */
static unsigned long hugepages_free_mb(void)
{
	FILE *f = fopen("/proc/mounts", "r");
	unsigned long free_pages = 0, size_kb = 0;
	char line[512];
	int mounted = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (strstr(line, " hugetlbfs "))
			mounted = 1;
	fclose(f);
	f = fopen("/proc/meminfo", "r");
	if (!mounted || !f) {
		if (f)
			fclose(f);
		return 0;
	}
	while (fgets(line, sizeof(line), f)) {
		sscanf(line, "HugePages_Free: %lu", &free_pages);
		sscanf(line, "Hugepagesize: %lu kB", &size_kb);
	}
	fclose(f);
	return free_pages * size_kb / 1024;
}

struct eal_args {
	char *argv[64];
	int argc;
	char buf[8][PATH_MAX + 64];
	int nbuf;
};

static void eal_add(struct eal_args *e, const char *s)
{
	if (e->argc < 63)
		e->argv[e->argc++] = (char *)s;
}

/* A formatted argument kept in @e (EAL keeps pointers to its argv). */
__attribute__((format(printf, 2, 3)))
static char *eal_fmt(struct eal_args *e, const char *fmt, ...)
{
	char *b = e->buf[e->nbuf++];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(b, sizeof(e->buf[0]), fmt, ap);
	va_end(ap);
	return b;
}

static void build_eal_args(struct eal_args *e, char **user, int nuser,
			   const struct dp_opts *o)
{
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	long last = o->workers > 1 ? (long)o->workers : 0; /* highest lcore id */
	long mem_mb;

	e->argv[e->argc++] = user[0];
	if (nuser > 1) {
		for (int i = 1; i < nuser; i++)
			eal_add(e, user[i]);
	} else {
		eal_add(e, "--no-pci");
		eal_add(e, "--no-telemetry");
		eal_add(e, "--log-level=4");
		if (last < ncpu) { /* one CPU per lcore */
			eal_add(e, eal_fmt(e, "-l0-%ld", last));
		} else { /* more lcores than CPUs: let them float, and yield */
			eal_add(e, eal_fmt(e, "--lcores=(0-%ld)@(0-%ld)", last, ncpu - 1));
			run.shared_cpus = 1;
		}
		/* --no-huge implies legacy memory, which EAL refuses with
		 * --in-memory; --no-shconf leaves no files behind either. */
		/* mbufs (8191 + 1024 a worker, 2.3 KB each) and rings. */
		mem_mb = 96 + 3 * (long)o->workers + (o->control ? 48 : 0) +
			 (o->inline_if[0] ? 32 : 0);
		if (hugepages_free_mb() >= (unsigned long)mem_mb) {
			eal_add(e, "--in-memory");
		} else {
			eal_add(e, "--no-huge");
			eal_add(e, "--no-shconf");
		}
		eal_add(e, "-m");
		eal_add(e, eal_fmt(e, "%ld", mem_mb));
	}
	if (o->pcap) {
		eal_add(e, "--vdev");
		eal_add(e, eal_fmt(e, VDEV_NAME ",rx_pcap=%s", o->pcap));
	}
	if (o->inline_if[0]) {
		for (int i = 0; i < 2; i++) {
			eal_add(e, "--vdev");
			eal_add(e, eal_fmt(e, INLINE_VDEV "%d,iface=%s,start_queue=0,queue_count=1,"
					   "xdp_prog=%s", i, o->inline_if[i], run_inline_obj));
		}
	}
	e->argv[e->argc] = NULL;
}

/* --inline: the object, the maps and the ports, before the EAL starts.
 * Any failure is a usage error (a wrong interface, no bpffs, a foreign
 * XDP program on a port) except out-of-memory and the like. */
static void inline_prepare(const struct dp_opts *o)
{
	const char *env = getenv(INLINE_OBJ_ENV);
	char err[512];
	int ifx[2], r;

	if (env && *env)
		run_inline_obj = env;
	else if (access(MXS_INLINE_BPF_OBJ, R_OK) == 0)
		run_inline_obj = MXS_INLINE_BPF_OBJ;
	else
		run_inline_obj = MXS_INLINE_BPF_OBJ_BUILD;
	if (strpbrk(run_inline_obj, ",=") || strlen(run_inline_obj) > PATH_MAX)
		die(EXIT_USAGE, "--inline: %s: paths with ',' or '=' cannot be passed to the af_xdp PMD",
		    run_inline_obj);
	for (int i = 0; i < 2; i++) {
		ifx[i] = (int)if_nametoindex(o->inline_if[i]);
		if (!ifx[i])
			die(EXIT_USAGE, "--inline: %s: no such interface", o->inline_if[i]);
	}
	r = mxs_inline_prepare(run_inline_obj, o->bpf_pin_dir, ifx[0], ifx[1], err, sizeof(err));
	if (r < 0)
		die(r == -ENOMEM ? EXIT_RUNTIME : EXIT_USAGE, "--inline: %s", err);
	r = dp_inline_smtp_ports(o->bpf_pin_dir, o->smtp_ports, o->n_smtp_ports, err, sizeof(err));
	if (r < 0)
		die(EXIT_RUNTIME, "--inline: %s", err);
}

/* TCP over IPv4 and IPv6: what symmetric RSS must hash. */
#define RSS_TCP (RTE_ETH_RSS_NONFRAG_IPV4_TCP | RTE_ETH_RSS_NONFRAG_IPV6_TCP)

/*
 * Several workers each on a queue of their own, when the port can spread
 * flows so that both directions of one land on the same queue: Toeplitz
 * with the key 0x6d5a repeated is symmetric (Woo and Park, "Scalable TCP
 * session monitoring with symmetric receive-side scaling"). The capture
 * replay's one-queue net_pcap, and ports without RSS over TCP, keep the
 * software dispatcher.
 */
static int rss_usable(const struct rte_eth_dev_info *info, const struct dp_opts *o)
{
	return o->workers > 1 && !o->pcap && info->max_rx_queues >= o->workers &&
	       (info->flow_type_rss_offloads & RSS_TCP) == RSS_TCP &&
	       info->hash_key_size >= 40 && info->hash_key_size <= 64;
}

static void port_start(uint16_t port, struct rte_mempool *pool, const struct dp_opts *o)
{
	static uint8_t sym_key[64];
	struct rte_eth_conf conf = { 0 };
	struct rte_eth_dev_info info;
	struct rte_eth_rxconf rxq;
	uint16_t nq = 1;
	int r;

	if (rte_eth_dev_info_get(port, &info) != 0)
		die(EXIT_RUNTIME, "port %u: cannot read device info", port);
	if (rss_usable(&info, o)) {
		for (unsigned i = 0; i < sizeof(sym_key); i += 2) {
			sym_key[i] = 0x6d;
			sym_key[i + 1] = 0x5a;
		}
		conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		conf.rx_adv_conf.rss_conf.rss_key = sym_key;
		conf.rx_adv_conf.rss_conf.rss_key_len = info.hash_key_size;
		/* The IP-only types too (when offered): fragments and other
		 * protocols then hash symmetrically as well. */
		conf.rx_adv_conf.rss_conf.rss_hf = info.flow_type_rss_offloads &
			(RSS_TCP | RTE_ETH_RSS_IPV4 | RTE_ETH_RSS_IPV6);
		nq = (uint16_t)o->workers;
		run.rss = 1;
	}
	/* net_pcap stamps every mbuf with the capture time in microseconds,
	 * without advertising the offload. Hardware timestamps are in device
	 * units, so live ports use the wall clock instead. */
	if (!o->pcap || rte_mbuf_dyn_rx_timestamp_register(&run.ts_off, &run.ts_flag) != 0)
		run.ts_off = -1;
	if (info.rx_offload_capa & RTE_ETH_RX_OFFLOAD_SCATTER)
		conf.rxmode.offloads |= RTE_ETH_RX_OFFLOAD_SCATTER;
	/* As many tx queues as rx queues: some PMDs (tap) insist. */
	r = rte_eth_dev_configure(port, nq, nq, &conf);
	if (r < 0)
		die(EXIT_RUNTIME, "port %u: configure failed: %s", port, strerror(-r));
	rxq = info.default_rxconf;
	rxq.offloads = conf.rxmode.offloads;
	for (uint16_t q = 0; q < nq; q++) {
		r = rte_eth_rx_queue_setup(port, q, 1024, rte_eth_dev_socket_id(port), &rxq, pool);
		if (r < 0)
			die(EXIT_RUNTIME, "port %u: rx queue %u setup failed: %s", port, q,
			    strerror(-r));
	}
	for (uint16_t q = 0; q < nq; q++) {
		r = rte_eth_tx_queue_setup(port, q, 512, rte_eth_dev_socket_id(port), NULL);
		if (r < 0)
			die(EXIT_RUNTIME, "port %u: tx queue %u setup failed: %s", port, q,
			    strerror(-r));
	}
	r = rte_eth_dev_start(port);
	if (r < 0)
		die(EXIT_RUNTIME, "port %u: start failed: %s", port, strerror(-r));
	if (!o->pcap)
		rte_eth_promiscuous_enable(port);
}

static struct dp_worker *worker_create(unsigned id, const struct dp_opts *o,
				       struct dp_output *out)
{
	struct dp_worker *w = aligned_alloc(64, sizeof(*w));
	struct dp_conn_params cp = { 0 };
	char name[32];

	if (!w)
		die(EXIT_RUNTIME, "out of memory");
	memset(w, 0, offsetof(struct dp_worker, linbuf));
	w->run = &run;
	w->out = out;
	w->queue = (uint16_t)id; /* used with RSS only */
	if (o->workers > 1) {
		snprintf(name, sizeof(name), "mxs_w%u", id);
		w->in = rte_ring_create(name, RING_SIZE, rte_socket_id(),
					RING_F_SP_ENQ | RING_F_SC_DEQ);
		if (!w->in)
			die(EXIT_RUNTIME, "worker %u: ring: %s", id, rte_strerror(rte_errno));
	}
	if (o->io_only)
		return w; /* no tracker: nothing but receive and free */
	cp.max_flows = o->max_flows / o->workers;
	cp.max_conns = o->max_conns ? (o->max_conns + o->workers - 1) / o->workers : 0;
	cp.max_handshakes = o->max_handshakes ?
			    (o->max_handshakes + o->workers - 1) / o->workers : 0;
	cp.smtp_ports = o->smtp_ports;
	cp.n_smtp_ports = o->n_smtp_ports;
	cp.linktype = run.linktype;
	cp.on_record = dp_worker_on_record;
	cp.ctx = w;
	w->trk = dp_conn_tracker_create(&cp);
	if (!w->trk)
		die(EXIT_RUNTIME, "worker %u: cannot reserve state for %u flows: %s",
		    id, cp.max_flows, strerror(errno));
	return w;
}

int main(int argc, char **argv)
{
	struct dp_opts o;
	struct dp_capture_info ci = { .linktype = DP_LINK_ETHERNET };
	struct eal_args eal = { 0 };
	struct dp_worker **w = workers;
	struct dp_stats_totals tot = { 0 };
	struct timespec ts0;
	struct dp_output *out = NULL;
	struct dp_rules_db *rules = NULL;
	struct rte_mempool *pool;
	char err[PATH_MAX + 256];
	char *app_argv[256];
	int sep = -1, app_argc = 0, r, inline_mode;
	uint64_t first = UINT64_MAX, last = 0;

	clock_gettime(CLOCK_REALTIME, &ts0);
	started_ns = (uint64_t)ts0.tv_sec * 1000000000ull + (uint64_t)ts0.tv_nsec;
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--") == 0) {
			sep = i;
			break;
		}
	app_argv[app_argc++] = argv[0];
	for (int i = sep < 0 ? 1 : sep + 1; i < argc && app_argc < 255; i++)
		app_argv[app_argc++] = argv[i];
	app_argv[app_argc] = NULL;
	if (dp_opts_parse(app_argc, app_argv, &o, err, sizeof(err)) < 0)
		die(EXIT_USAGE, "%s (see --help)", err);
	if (o.help) {
		fputs(dp_opts_usage(), stdout);
		return 0;
	}
	inline_mode = o.inline_if[0] || o.native_inline;
	if (o.check_rules)
		return check_rules(o.check_rules);
	if (o.rules) {
		struct dp_rules_params rp = { o.rules, o.workers };

		/* All or nothing, before anything starts. */
		if (dp_rules_load(&rp, &rules, err, sizeof(err)) < 0)
			die(EXIT_USAGE, "%s", err);
	}
	if (!o.pcap && !o.inline_if[0] && sep < 0)
		die(EXIT_USAGE, o.native_inline ?
		    "--inline-ports: give the EAL options that make the ports before --" :
		    "nothing to read: give --pcap FILE, or EAL options with ports before --");
	if (o.pcap) {
		if (strpbrk(o.pcap, ",="))
			die(EXIT_USAGE, "%s: file names with ',' or '=' cannot be passed to the pcap PMD",
			    o.pcap);
		if (dp_capture_probe(o.pcap, &ci, err, sizeof(err)) < 0)
			die(EXIT_USAGE, "%s", err);
		if (!linktype_supported(ci.linktype))
			die(EXIT_USAGE, "%s: unsupported link type %d", o.pcap, ci.linktype);
		run.expect_packets = ci.packets;
	}
	run.linktype = ci.linktype;
	run.io_only = o.io_only;
	if (o.inline_if[0])
		inline_prepare(&o);
	build_eal_args(&eal, argv, sep < 0 ? 1 : sep, &o);
	if (rte_eal_init(eal.argc, eal.argv) < 0)
		die(EXIT_RUNTIME, "EAL init failed: %s", rte_strerror(rte_errno));
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	if (rules) {
		reload = dp_reload_create(o.rules, o.workers, rules, reload_done, NULL);
		if (!reload)
			die(EXIT_RUNTIME, "rules: cannot start the reloader: %s", strerror(errno));
		signal(SIGHUP, on_hup);
	} else {
		signal(SIGHUP, SIG_IGN);
	}

	if (o.pcap) {
		if (rte_eth_dev_get_port_by_name(VDEV_NAME, &run.port) != 0)
			die(EXIT_RUNTIME, "pcap port %s not found", VDEV_NAME);
	} else if (o.inline_if[0]) {
		for (int i = 0; i < 2; i++) {
			char name[32];

			snprintf(name, sizeof(name), INLINE_VDEV "%d", i);
			if (rte_eth_dev_get_port_by_name(name, &run.inline_port[i]) != 0)
				die(EXIT_RUNTIME, "--inline: af_xdp port on %s not created (see the EAL's messages)",
				    o.inline_if[i]);
		}
		run.port = run.inline_port[0];
	} else if (o.native_inline) {
		for (int i = 0; i < 2; i++) {
			if (!rte_eth_dev_is_valid_port(o.inline_ports[i]))
				die(EXIT_USAGE, "--inline-ports: no port %u (the EAL made %u)",
				    o.inline_ports[i], rte_eth_dev_count_avail());
			run.inline_port[i] = o.inline_ports[i];
		}
		run.port = run.inline_port[0];
	} else {
		if (rte_eth_dev_count_avail() == 0)
			die(EXIT_USAGE, "no ports: the EAL options found no device");
		run.port = (uint16_t)rte_eth_find_next_owned_by(0, RTE_ETH_DEV_NO_OWNER);
	}
	if (o.workers > 1 && rte_lcore_count() < o.workers + 1)
		die(EXIT_USAGE, "--workers %u needs %u lcores, the EAL has %u",
		    o.workers, o.workers + 1, rte_lcore_count());
	pool = rte_pktmbuf_pool_create("mxs_mbuf", (inline_mode ? 16383 : 8191) +
				       o.workers * RING_SIZE, 256, 0,
				       RTE_MBUF_DEFAULT_BUF_SIZE, rte_socket_id());
	if (!pool)
		die(EXIT_RUNTIME, "mbuf pool: %s", rte_strerror(rte_errno));
	if (o.eve) {
		struct dp_output_params op = { o.eve, 4 * o.workers + 4, o.pcap != NULL };

		out = dp_output_create(&op);
		if (!out)
			die(EXIT_USAGE, "--eve %s: %s", o.eve, strerror(errno));
	}
	n_workers = o.workers;
	if (o.control) {
		struct dp_link_params lp = {
			.path = o.control,
			.ring_size = 8192,
			.lossless = o.pcap != NULL,
			.n_readers = o.workers,
			.snapshot = link_snapshot,
			.reload = link_reload,
		};

		ctl_link = dp_link_create(&lp);
		if (!ctl_link)
			die(EXIT_RUNTIME, "--control %s: %s", o.control, strerror(errno));
		atomic_store(&reload_notify, ctl_link);
	}
	for (unsigned i = 0; i < o.workers; i++) {
		w[i] = worker_create(i, &o, out);
		w[i]->link = ctl_link;
		w[i]->rules = reload;
		w[i]->slot = i;
	}
	if (o.native_inline) {
		struct dp_enforce_params ep = {
			.tag_dscp = (uint8_t)o.tag_dscp,
			.throttle_rate = o.throttle_rate,
			.throttle_burst = o.throttle_burst,
			.linktype = DP_LINK_ETHERNET,
			.smtp_ports = o.smtp_ports,
			.n_smtp_ports = o.n_smtp_ports,
			.lookup = ctl_link ? mirror_lookup : NULL,
			.ctx = ctl_link,
		};

		w[0]->enf = dp_enforce_create(&ep);
		if (!w[0]->enf)
			die(EXIT_RUNTIME, "--inline-ports: %s", strerror(errno));
	}
	if (o.greet_hold_ms) {
		struct dp_hold_params hp = {
			.hold_ns = (uint64_t)o.greet_hold_ms * 1000000ull,
			.linktype = DP_LINK_ETHERNET,
			.smtp_ports = o.smtp_ports,
			.n_smtp_ports = o.n_smtp_ports,
		};

		w[0]->hold = dp_hold_create(&hp);
		if (!w[0]->hold)
			die(EXIT_RUNTIME, "--greet-hold-ms: %s", strerror(errno));
	}
	atomic_store_explicit(&workers_ready, o.workers, memory_order_release);
	port_start(run.port, pool, &o);
	if (inline_mode)
		port_start(run.inline_port[1], pool, &o);

	if (inline_mode) {
		dp_worker_main_inline(w[0]);
	} else if (o.workers == 1) {
		dp_worker_main_direct(w[0]);
	} else {
		unsigned lc, i = 0;

		RTE_LCORE_FOREACH_WORKER(lc) {
			if (i == o.workers)
				break;
			rte_eal_remote_launch(run.rss ? dp_worker_main_direct : dp_worker_main_ring,
					      w[i++], lc);
		}
		if (!run.rss)
			dp_worker_dispatch(&run, w, o.workers);
		rte_eal_mp_wait_lcore();
	}

	{
		struct rte_eth_stats es;

		if (rte_eth_stats_get(run.port, &es) == 0) {
			tot.port_ipackets = es.ipackets;
			tot.port_imissed = es.imissed;
			tot.port_ierrors = es.ierrors;
		}
	}
	tot.workers = o.workers;
	tot.rules = reload;
	dp_link_stop(ctl_link);  /* flushes what the workers queued, final DP_STATS */
	dp_link_stats(ctl_link, &tot.link);
	tot.has_link = ctl_link != NULL;
	tot.tsc_hz = rte_get_tsc_hz();
	tot.dispatch_drops = run.dispatch_drops;
	tot.io_only = o.io_only;
	tot.steering = o.workers == 1 ? "none" : run.rss ? "rss" : "dispatcher";
	tot.dispatched = run.dispatched;
	tot.tsc_dispatch = run.tsc_dispatch;
	for (unsigned i = 0; i < o.workers; i++) {
		dp_worker_stats_add(w[i], &tot);
		tot.tsc_busy += w[i]->tsc_busy;
		tot.tsc_rx += w[i]->tsc_rx;
		if (w[i]->trk)
			dp_conn_tracker_mem(w[i]->trk, &tot.mem);
		if (w[i]->tsc_first && w[i]->tsc_first < first)
			first = w[i]->tsc_first;
		if (w[i]->tsc_last > last)
			last = w[i]->tsc_last;
	}
	tot.elapsed_s = last > first ? (double)(last - first) / (double)tot.tsc_hz : 0.0;
	if (w[0]->enf) {
		tot.has_enforce = 1;
		dp_enforce_get_stats(w[0]->enf, &tot.enforce);
	}
	if (inline_mode) {
		tot.is_inline = 1;
		memcpy(tot.inline_tx, w[0]->inline_tx, sizeof(tot.inline_tx));
		memcpy(tot.inline_tx_drops, w[0]->inline_tx_drops, sizeof(tot.inline_tx_drops));
	}
	if (w[0]->hold) {
		tot.has_hold = 1;
		dp_hold_get_stats(w[0]->hold, &tot.hold);
	}
	r = dp_output_close(out);
	if (r < 0)
		die(EXIT_RUNTIME, "--eve %s: write failed: %s", o.eve, strerror(-r));
	if (o.stats_json && (r = dp_stats_write_json(o.stats_json, &tot)) < 0)
		die(EXIT_RUNTIME, "--stats-json %s: %s", o.stats_json, strerror(-r));
	dp_stats_summary(stderr, &tot);
	if (inline_mode) {
		char n0[24], n1[24];

		snprintf(n0, sizeof(n0), "port %u", run.inline_port[0]);
		snprintf(n1, sizeof(n1), "port %u", run.inline_port[1]);
		fprintf(stderr, "inline: %s->%s forwarded %" PRIu64 " tx-full drops %" PRIu64
			", %s->%s forwarded %" PRIu64 " tx-full drops %" PRIu64 "\n",
			o.inline_if[0] ? o.inline_if[0] : n0, o.inline_if[0] ? o.inline_if[1] : n1,
			w[0]->inline_tx[1], w[0]->inline_tx_drops[1],
			o.inline_if[0] ? o.inline_if[1] : n1, o.inline_if[0] ? o.inline_if[0] : n0,
			w[0]->inline_tx[0], w[0]->inline_tx_drops[0]);
	}
	if (tot.has_enforce)
		fprintf(stderr, "enforced: %" PRIu64 " dropped, %" PRIu64 " SYNs throttled (%" PRIu64
			" admitted), %" PRIu64 " tagged, %" PRIu64 " passed, %" PRIu64
			" with no verdict, %" PRIu64 " not judged\n",
			tot.enforce.pkts[MXS_ACTION_DROP], tot.enforce.syn_throttled,
			tot.enforce.syn_admitted, tot.enforce.pkts[MXS_ACTION_TAG],
			tot.enforce.pkts[MXS_ACTION_PASS], tot.enforce.pkts[MXS_ACTION_NONE],
			tot.enforce.not_smtp);
	if (tot.has_hold)
		fprintf(stderr, "greet hold %u ms: %" PRIu64 " banners held, %" PRIu64
			" clients spoke first, %" PRIu64 " frames released, %" PRIu64
			" dropped behind a banner, %" PRIu64 " passed unheld (full)\n",
			o.greet_hold_ms, tot.hold.flows_held, tot.hold.disarmed,
			tot.hold.released, tot.hold.dropped, tot.hold.full);
	dp_reload_destroy(reload);
	dp_link_destroy(ctl_link);
	for (unsigned i = 0; i < o.workers; i++) {
		dp_hold_destroy(w[i]->hold);
		dp_enforce_destroy(w[i]->enf);
		dp_conn_tracker_free(w[i]->trk);
		rte_ring_free(w[i]->in);
		free(w[i]);
	}
	if (o.inline_if[0]) {
		/* No close, no EAL cleanup (22.11's closes nothing, but a later
		 * one would): the program stays on both ports and, once our
		 * sockets are gone with the process, forwards everything. */
		rte_eth_dev_stop(run.inline_port[0]);
		rte_eth_dev_stop(run.inline_port[1]);
		return 0;
	}
	if (o.native_inline) {
		rte_eth_dev_stop(run.inline_port[1]);
		rte_eth_dev_close(run.inline_port[1]);
	}
	rte_eth_dev_stop(run.port);
	rte_eth_dev_close(run.port);
	rte_mempool_free(pool);
	rte_eal_cleanup();
	return 0;
}
