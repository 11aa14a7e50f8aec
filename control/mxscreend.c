/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mxscreend: the control plane daemon. Foreground (systemd style), logs to
 * stderr. One event loop: observations from the dataplane link become
 * lookup jobs; all their DNS queries go out together each turn (list zones
 * to list_resolvers when set, through a second DNS client); every
 * finished job becomes a verdict, written to the verdict log and handed, in
 * one batch per turn, to every verdict sink (the dataplane mirror, and the
 * pinned BPF maps when bpf = yes, whose expired entries are swept once a
 * second). SIGTERM/SIGINT stop cleanly, SIGHUP re-reads the config (a bad
 * one is refused and the old one kept).
 * Exit status: 0 ok, 1 runtime failure, 2 bad usage or configuration.
 */
#include <errno.h>
#include <inttypes.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ctl_vlog.h"
#include "mxscreend.h"

#define EXIT_RUNTIME 1
#define EXIT_USAGE 2
#define MAX_FDS 256
#define SWEEP_MAX 16384   /* verdicts looked at per second: 1M in about a minute */
#define VTAB_MAX (1u << 20)
#define VTAB_CIDRS 4096

static volatile sig_atomic_t stop_flag, hup_flag;

__attribute__((format(printf, 1, 2)))
static void say(const char *fmt, ...)
{
	va_list ap;

	fputs("mxscreend: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

uint64_t mxd_realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t mxd_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000ull + (uint64_t)ts.tv_nsec / 1000000ull;
}

static void on_signal(int sig)
{
	if (sig == SIGHUP)
		hup_flag = 1;
	else
		stop_flag = 1;
}

static void flush_batch(struct daemon *d)
{
	if (!d->n_batch)
		return;
	for (size_t i = 0; i < d->n_sinks; i++)
		d->sinks[i].write(d->sinks[i].ctx, d->batch, d->n_batch);
	d->n_batch = 0;
	if (d->vlog)
		fflush(d->vlog);
}

void mxd_sink(struct daemon *d, const struct mxs_verdict *v, size_t n)
{
	flush_batch(d);   /* keep the order: what was decided before goes first */
	for (size_t i = 0; i < d->n_sinks; i++)
		d->sinks[i].write(d->sinks[i].ctx, v, n);
}

/* The policy's verdict joins the table and goes to the sinks, unless an
 * operator's verdict covers the address: that one stays in force. */
static void on_done(void *ctx, const struct ctl_lookup_detail *det)
{
	struct daemon *d = ctx;
	uint64_t now = mxd_realtime_ns();
	const struct ctl_vtab_entry *cur;
	struct ctl_vtab_entry e = { .source = CTL_VTAB_POLICY, .created_ns = now, .updated_ns = now };
	size_t off = 0;

	d->verdicts[det->decision->action]++;
	if (d->vlog)
		ctl_vlog_write(d->vlog, det, now);
	cur = ctl_vtab_match(d->vtab, det->obs->family, det->obs->client, now);
	if (cur && cur->source == CTL_VTAB_MANUAL) {
		d->policy_overridden++;
		return;
	}
	ctl_policy_verdict(d->conf, det->obs->family, det->obs->client, det->decision, now, &e.v);
	for (size_t i = 0; i < det->decision->n_reasons && off + 2 < sizeof(e.reason); i++)
		off += (size_t)snprintf(e.reason + off, sizeof(e.reason) - off, "%s%s", i ? "," : "",
					det->decision->reason[i]);
	if (ctl_vtab_put(d->vtab, &e, now) == -EPERM) {
		d->policy_overridden++;
		return;
	}
	if (d->n_batch == MXD_BATCH_MAX)
		flush_batch(d);
	d->batch[d->n_batch++] = e.v;
}

static void on_obs(void *ctx, const struct mxs_observation *o)
{
	struct daemon *d = ctx;

	if (ctl_lookup_submit(d->lookup, o) < 0)
		d->obs_dropped++;
}

static uint64_t mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec;
}

/* Health probe verdicts on a zone: loud, because scoring changes. */
static void on_health(void *ctx, const char *zone, int on, const char *why)
{
	struct daemon *d = ctx;

	ctl_lookup_zone_enable(d->lookup, zone, on);
	if (on)
		say("zone %s passes its health probes again: switched back ON", zone);
	else
		say("zone %s FAILED its health probe (%s): switched OFF, its answers are ignored",
		    zone, why ? why : "?");
}

static void zones_free(struct ctl_zone **z, size_t n)
{
	for (size_t i = 0; z && i < n; i++)
		ctl_zone_free(z[i]);
	free(z);
}

/* Everything that depends on the config; on failure nothing is changed. */
static int build(struct daemon *d, struct ctl_conf *c, char *err, size_t errlen)
{
	struct ctl_zone **zones = calloc(c->n_local_zones + 1, sizeof(*zones));
	struct ctl_dns_params dp = {
		.servers = c->resolvers, .n_servers = c->n_resolvers,
		.timeout_ms = c->dns_timeout_ms, .tries = 2,
		.max_inflight = c->dns_max_inflight, .ttl_min = c->cache_ttl_min,
		.ttl_max = c->cache_ttl_max, .error_ttl = c->error_ttl, .cache_max = 100000,
	};
	struct ctl_lookup_params lp = { .conf = c, .done = on_done, .ctx = d };
	struct ctl_dns *dns, *list_dns = NULL;
	struct ctl_lookup *lookup;

	if (!zones) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	for (size_t i = 0; i < c->n_local_zones; i++) {
		int r = ctl_zone_load(c->local_zones[i].type, c->local_zones[i].path,
				      &zones[i], err, errlen);

		if (r < 0) {
			zones_free(zones, i);
			return r;
		}
	}
	dns = ctl_dns_create(&dp);
	if (dns && c->n_list_resolvers) {
		/* the list servers: same timeouts and cache, their own client */
		dp.servers = c->list_resolvers;
		dp.n_servers = c->n_list_resolvers;
		dp.no_tcp = 1; /* rbldnsd speaks UDP only */
		list_dns = ctl_dns_create(&dp);
		if (!list_dns) {
			ctl_dns_free(dns);
			dns = NULL;
		}
	}
	lp.dns = dns;
	lp.list_dns = list_dns;
	lp.local = zones;
	lookup = dns ? ctl_lookup_create(&lp) : NULL;
	if (!lookup) {
		snprintf(err, errlen, "cannot start the DNS client: %s", strerror(errno));
		ctl_dns_free(list_dns);
		ctl_dns_free(dns);
		zones_free(zones, c->n_local_zones);
		return -ENOMEM;
	}
	/* Retire the old set: pending answers end as errors, silently. */
	if (d->lookup) {
		ctl_cmd_abort(d, "the configuration was reloaded while explaining: try again");
		ctl_lookup_close(d->lookup);
		/* probe callbacks run here: health after */
		ctl_dns_free(d->list_dns);
		ctl_dns_free(d->dns);
		ctl_health_free(d->health);
		d->health = NULL;
		ctl_lookup_free(d->lookup);
		zones_free(d->zones, d->conf->n_local_zones);
		ctl_conf_free(d->conf);
	}
	d->conf = c;
	d->zones = zones;
	d->dns = dns;
	d->list_dns = list_dns;
	d->lookup = lookup;
	d->health = ctl_health_create(list_dns ? list_dns : dns, d->probe_zones, d->probe_is_domain,
				      ctl_lookup_dns_zones(lookup, d->probe_zones,
							   d->probe_is_domain, 256),
				      c->health_interval, on_health, d);
	return 0;
}

static int open_vlog(struct daemon *d, char *err, size_t errlen)
{
	const char *p = d->conf->verdict_log;

	if (d->vlog && d->vlog != stderr)
		fclose(d->vlog);
	d->vlog = NULL;
	if (!p[0])
		return 0;
	d->vlog = strcmp(p, "-") == 0 ? stderr : fopen(p, "a");
	if (!d->vlog) {
		snprintf(err, errlen, "verdict_log %s: %s", p, strerror(errno));
		return -errno;
	}
	return 0;
}

/* The BPF sink follows d->bpf: present with it, gone without it. */
static void set_bpf_sink(struct daemon *d)
{
	size_t w = 0;

	for (size_t i = 0; i < d->n_sinks; i++)
		if (d->sinks[i].write != ctl_bpf_write)
			d->sinks[w++] = d->sinks[i];
	d->n_sinks = w;
	if (d->bpf)
		d->sinks[d->n_sinks++] = (struct ctl_sink){ ctl_bpf_write, d->bpf };
}

/* Enforcement as d->conf says: off (bpf = no: BPF is left alone, what is
 * pinned and attached stays), loaded, or reconfigured in place. */
static int bpf_apply(struct daemon *d, char *err, size_t errlen)
{
	struct ctl_bpf_params p = { .conf = d->conf };
	struct ctl_bpf *nb;
	int rc;

	if (!d->conf->bpf) {
		ctl_bpf_close(d->bpf);
		d->bpf = NULL;
	} else if (d->bpf && !strcmp(ctl_bpf_pin_dir(d->bpf), d->conf->bpf_pin_dir)) {
		rc = ctl_bpf_configure(d->bpf, d->conf, err, errlen);
		if (rc < 0)
			return rc;
	} else {
		rc = ctl_bpf_create(&p, &nb, err, errlen);
		if (rc < 0)
			return rc;
		ctl_bpf_close(d->bpf);
		d->bpf = nb;
	}
	set_bpf_sink(d);
	return 0;
}

static void reload(struct daemon *d)
{
	struct ctl_conf *c;
	char err[PATH_MAX + 256];

	if (ctl_conf_load(d->conf_path, &c, err, sizeof(err)) < 0 || build(d, c, err, sizeof(err)) < 0) {
		d->reloads_failed++;
		say("%s, keeping the running configuration", err);
		return;
	}
	if (open_vlog(d, err, sizeof(err)) < 0)
		say("%s", err);
	if (bpf_apply(d, err, sizeof(err)) < 0)
		say("bpf: %s; enforcement may be partly reconfigured", err);
	else if (d->bpf)
		say("bpf: %s", ctl_bpf_summary(d->bpf));
	say("configuration reloaded from %s", d->conf_path);
}

static void mkdir_parent(const char *path)
{
	char dir[PATH_MAX];
	char *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		mkdir(dir, 0755);
	}
}

/* Both DNS clients' descriptors into @fds: dns's first (the count
 * returned), then list_dns's (*ret_nl). *timeout_ms: the earlier of theirs
 * (-1: none). */
static int dns_pollfds(struct daemon *d, struct pollfd *fds, int max, int *timeout_ms, int *ret_nl)
{
	int nd, t2 = -1;

	nd = ctl_dns_pollfds(d->dns, fds, max, timeout_ms);
	*ret_nl = 0;
	if (!d->list_dns)
		return nd;
	*ret_nl = ctl_dns_pollfds(d->list_dns, fds + nd, max - nd, &t2);
	if (t2 >= 0 && (*timeout_ms < 0 || t2 < *timeout_ms))
		*timeout_ms = t2;
	return nd;
}

static void dns_process(struct daemon *d, const struct pollfd *fds, int nd, int nl)
{
	ctl_dns_process(d->dns, fds, nd);
	if (d->list_dns)
		ctl_dns_process(d->list_dns, fds + nd, nl);
}

/* Before taking observations, learn which zones are healthy. */
static void first_probes(struct daemon *d)
{
	struct pollfd fds[MAX_FDS];
	uint64_t deadline = mono_s() + 2 * (d->conf->dns_timeout_ms / 1000 + 1) + 1;

	if (!d->health)
		return;
	ctl_health_tick(d->health, mono_s());
	while (ctl_health_busy(d->health) && mono_s() < deadline && !stop_flag) {
		int timeout = 100, nd, nl;

		nd = dns_pollfds(d, fds, MAX_FDS, &timeout, &nl);
		if (timeout < 0 || timeout > 100)
			timeout = 100;
		poll(fds, (nfds_t)(nd + nl), timeout);
		dns_process(d, fds, nd, nl);
	}
}

static void metrics_body(void *ctx, struct ctl_jw *out)
{
	ctl_stats_prometheus(ctx, out);
}

static void loop(struct daemon *d)
{
	struct pollfd fds[MAX_FDS];

	while (!stop_flag) {
		int nl, nc, nh = 0, nd, nld, timeout = 1000;

		if (hup_flag) {
			hup_flag = 0;
			reload(d);
		}
		nl = ctl_link_pollfds(d->link, fds, MAX_FDS);
		nc = ctl_csock_pollfds(d->csock, fds + nl, MAX_FDS - nl);
		if (d->http)
			nh = ctl_http_pollfds(d->http, fds + nl + nc, MAX_FDS - nl - nc);
		nd = dns_pollfds(d, fds + nl + nc + nh, MAX_FDS - nl - nc - nh, &timeout, &nld);
		/* Wake at least once a second: health probes, signals, expiry,
		 * and 100 ms while a rules reload is awaited. */
		if (timeout < 0 || timeout > 1000)
			timeout = 1000;
		for (size_t i = 0; i < MXD_MAX_RELOADS; i++)
			if (d->reloads[i].client && timeout > 100)
				timeout = 100;
		if (poll(fds, (nfds_t)(nl + nc + nh + nd + nld), timeout) < 0 && errno != EINTR)
			break;
		if (d->health)
			ctl_health_tick(d->health, mono_s());
		ctl_link_process(d->link, fds, nl, on_obs, d);
		dns_process(d, fds + nl + nc + nh, nd, nld);
		flush_batch(d);
		ctl_csock_process(d->csock, fds + nl, nc);
		if (d->http)
			ctl_http_process(d->http, mxd_mono_ms());
		ctl_cmd_tick(d);
		flush_batch(d);
		if (d->bpf && mono_s() != d->last_sweep) {
			d->last_sweep = mono_s();
			ctl_bpf_sweep(d->bpf, SWEEP_MAX);
		}
	}
}

static void usage(FILE *f)
{
	fputs("usage: mxscreend -c FILE [-t]\n"
	      "  -c FILE   configuration (see etc/mxscreen.conf)\n"
	      "  -t        check the configuration and local zones, then exit\n"
	      "exit status: 0 ok, 1 runtime failure, 2 bad usage or configuration\n", f);
}

int main(int argc, char **argv)
{
	static struct daemon d;
	struct ctl_conf *c;
	char err[PATH_MAX + 256];
	int opt, test_only = 0;

	while ((opt = getopt(argc, argv, "c:th")) != -1) {
		switch (opt) {
		case 'c':
			d.conf_path = optarg;
			break;
		case 't':
			test_only = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (!d.conf_path || optind < argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (ctl_conf_load(d.conf_path, &c, err, sizeof(err)) < 0) {
		say("%s", err);
		return EXIT_USAGE;
	}
	if (build(&d, c, err, sizeof(err)) < 0) {
		say("%s", err);
		ctl_conf_free(c);
		return EXIT_USAGE;
	}
	if (test_only) {
		printf("%s: configuration ok (%zu dnsbl sites, %zu rhsbl sites, %zu local zones)\n",
		       d.conf_path, c->n_dnsbl, c->n_rhsbl, c->n_local_zones);
		return 0;
	}
	if (open_vlog(&d, err, sizeof(err)) < 0) {
		say("%s", err);
		return EXIT_USAGE;
	}
	if (d.conf->bpf && bpf_apply(&d, err, sizeof(err)) < 0) {
		say("bpf: %s", err);
		return EXIT_RUNTIME;
	}
	mkdir_parent(c->dataplane_socket);
	d.link = ctl_link_create(c->dataplane_socket, err, sizeof(err));
	if (!d.link) {
		say("dataplane_socket %s", err);
		return EXIT_RUNTIME;
	}
	d.sinks[d.n_sinks++] = (struct ctl_sink){ ctl_link_send, d.link };
	set_bpf_sink(&d);
	d.started_ns = mxd_realtime_ns();
	{
		struct ctl_vtab_params vp = { .max_entries = VTAB_MAX, .max_cidrs = VTAB_CIDRS };
		struct ctl_csock_params cp = {
			.path = c->control_socket, .group = c->control_group,
			.on_line = ctl_cmd_line, .ctx = &d,
		};

		d.vtab = ctl_vtab_create(&vp);
		if (!d.vtab) {
			say("cannot allocate the verdict table: %s", strerror(errno));
			return EXIT_RUNTIME;
		}
		mkdir_parent(c->control_socket);
		d.csock = ctl_csock_create(&cp, err, sizeof(err));
		if (!d.csock) {
			say("control_socket %s", err);
			return EXIT_RUNTIME;
		}
		if (c->metrics_listen[0]) {
			d.http = ctl_http_create(c->metrics_listen, metrics_body, &d, err, sizeof(err));
			if (!d.http) {
				say("%s", err);
				return EXIT_RUNTIME;
			}
		}
	}
	if (c->manual_verdicts[0])
		mkdir_parent(c->manual_verdicts);
	ctl_cmd_restore(&d);
	if (d.bpf)
		say("bpf: %s", ctl_bpf_summary(d.bpf));
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	signal(SIGHUP, on_signal);
	signal(SIGPIPE, SIG_IGN);
	say("listening on %s, control on %s%s%s (%zu dnsbl sites, %zu rhsbl sites, %zu local zones%s)",
	    d.conf->dataplane_socket, d.conf->control_socket, d.http ? ", metrics on " : "",
	    d.http ? d.conf->metrics_listen : "", d.conf->n_dnsbl, d.conf->n_rhsbl, d.conf->n_local_zones,
	    d.conf->shadow ? ", shadow mode" : "");
	first_probes(&d);
	loop(&d);
	flush_batch(&d);
	say("stopping: %" PRIu64 " observations, verdicts pass %" PRIu64 " tag %" PRIu64
	    " throttle %" PRIu64 " drop %" PRIu64,
	    ctl_link_stats(d.link)->observations, d.verdicts[MXS_ACTION_PASS],
	    d.verdicts[MXS_ACTION_TAG], d.verdicts[MXS_ACTION_THROTTLE], d.verdicts[MXS_ACTION_DROP]);
	if (d.bpf) {
		const struct ctl_bpf_counters *bc = ctl_bpf_counters(d.bpf);

		say("bpf: %" PRIu64 " verdicts written, %" PRIu64 " failed, %" PRIu64
		    " expired removed; programs stay attached", bc->written, bc->failed, bc->swept);
	}
	ctl_cmd_abort(&d, "mxscreend is stopping");
	ctl_csock_free(d.csock);
	ctl_http_free(d.http);
	ctl_vtab_free(d.vtab);
	ctl_bpf_close(d.bpf);
	ctl_link_free(d.link);
	ctl_lookup_close(d.lookup);
	ctl_dns_free(d.list_dns);
	ctl_dns_free(d.dns);
	ctl_health_free(d.health);
	ctl_lookup_free(d.lookup);
	zones_free(d.zones, d.conf->n_local_zones);
	if (d.vlog && d.vlog != stderr)
		fclose(d.vlog);
	ctl_conf_free(d.conf);
	return 0;
}
