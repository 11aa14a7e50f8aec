/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ctl-bench: client addresses classified per second by the control plane's
 * lookups (ctl_lookup on ctl_dns on c-ares): three DNSBL zones plus FCrDNS
 * (PTR, then A for each PTR name), against real servers (rbldnsd behind
 * unbound; bench/ctl-bench.sh starts them), against the same servers as
 * list_resolvers sets them up (the DNSBL queries straight to rbldnsd on a
 * second ctl_dns, PTR and A through unbound), against a built-in responder
 * that answers the same data for next to nothing (our side alone: the
 * I/O ceiling), and against that responder holding every answer back
 * --rtt-ms (a list across the network: what batching is for).
 *
 * Clients are distinct addresses of 198.18.0.0/15 (RFC 2544), address i
 * at a fixed permutation of the range; whether i is listed by each zone,
 * has a PTR and whether that name resolves back is a function of i, so
 * --gen DIR writes the zone files and unbound's local data, the responder
 * answers from it, and every verdict is checked against it.
 *
 * Modes, each on a fresh ctl_dns (empty cache) and ctl_lookup, configured
 * as mxscreend configures them (tries 2, cache_max 100000):
 *   batched        N observations, a wave of --wave per event-loop turn
 *                  (arrivals outpace answers: throughput; latency there is
 *                  queueing), for each --inflight;
 *   paced          observations arriving at --rate a second, and at half
 *                  the batched rate: latency from the scheduled arrival;
 *   one-at-a-time  submit one, run the loop until its verdict, next (its
 *                  own queries still go out together); "serial" is the same
 *                  with dns_max_inflight 1, one query at a time: a
 *                  synchronous resolver.
 * A raw UDP client (no c-ares, no ctl_*) then measures what each server
 * answers on its own: the ceiling.
 *
 * Exit status: 0 ok (a missed speed target included), 1 a verdict
 * disagreed with the data or a lookup never finished, 2 usage, 3 setup
 * (including a run where every lookup failed: no server answering).
 * A benchmark program, never a test. Single-threaded, plus the responder
 * (a child process).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/sock_diag.h>

#include "ctl_conf.h"
#include "ctl_dns.h"
#include "ctl_lookup.h"
#include "ctl_sites.h"

#define NET_BASE 0xc6120000u        /* 198.18.0.0/15 */
#define NET_BITS 17
#define NET_SIZE (1u << NET_BITS)
#define NET_MASK (NET_SIZE - 1)
#define PERM_MUL 0x2f3d5u           /* odd: a bijection mod 2^17 */
#define PERM_ADD 0x0b1c3u
#define CLIENT_DOMAIN "clients.bench.example"
#define N_ZONES 3
#define LISTED_PCT 10               /* of clients, per zone, independently */
#define PTR_PCT 50                  /* of clients */
#define FWD_MATCH_PCT 60            /* of those with a PTR: A is the client */
#define FWD_WRONG_PCT 20            /* of those with a PTR: A elsewhere; rest: no A */
#define TARGET_RATE 20000.0
#define TARGET_RATIO 10.0
#define MAX_INFLIGHTS 8
#define MAX_FDS 64
#define STALL_NS (30ull * 1000000000ull)
#define RAW_WINDOW_MAX 4096u
#define RAW_TIMEOUT_NS 1000000000ull
#define RAW_BATCH 64
#define PACED_S 2                   /* seconds of arrivals in a paced run */
#define N_SECTIONS 4                /* sets of servers */
#define MAX_RUNS (N_SECTIONS * (MAX_INFLIGHTS + MAX_INFLIGHTS + 3))
#define RTT_N 10000u                /* batched addresses with --rtt-ms */

static const char *const def_zones[N_ZONES] = {
	"bl1.bench.example", "bl2.bench.example", "wl.bench.example",
};
static const int zone_weight[N_ZONES] = { 2, 2, -3 };

struct opts {
	uint32_t n, one_n, wave, timeout_ms, n_inflight, primary, n_rates, raw_window, raw_n, rtt_ms;
	uint32_t inflight[MAX_INFLIGHTS];
	uint32_t rate[MAX_INFLIGHTS];
	const char *zones[N_ZONES];
	char zones_buf[3 * (CTL_ZONE_MAX + 1)];
	const char *gen_dir, *resolver, *rbldnsd, *json;
	pid_t pid_unbound, pid_rbldnsd;
	int raw, responder;
	unsigned sections;           /* SEC_* bits: --only */
};

enum { SEC_UNBOUND = 1, SEC_DIRECT = 2, SEC_RESPONDER = 4, SEC_RTT = 8, SEC_ALL = 15 };

/* Who answers: unbound (a) in front of rbldnsd (b), unbound (a) for PTR
 * and A with rbldnsd (b) asked directly for the lists, or the responder (a). */
struct servers {
	const char *name;            /* "unbound+rbldnsd" or "responder" */
	const char *a_name, *b_name; /* column heads */
	char addr[64];               /* what ctl_dns asks, IP:PORT */
	pid_t pid_a, pid_b;
	uint16_t port_a, port_b;
	char list_addr[64];          /* list_resolvers IP:PORT; "": lists ask addr */
};

/* ---- small helpers ---- */

__attribute__((format(printf, 1, 2), noreturn))
static void die(const char *fmt, ...)
{
	va_list ap;

	fputs("ctl-bench: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(3);
}

static void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size);

	if (!p)
		die("out of memory");
	return p;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Our CPU seconds, user + system; the system part in *@sys. */
static double cpu_s(double *sys)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	*sys = (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 + *sys;
}

/* CPU seconds (user + system, all threads) of another process; -1 unknown. */
static double proc_cpu_s(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long ut, st;
	FILE *f;
	size_t n;

	if (pid <= 0)
		return -1;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
			 &ut, &st) != 2)
		return -1;
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

/* CPU seconds of the whole machine that were not idle (steal excluded). */
static double machine_busy_s(void)
{
	unsigned long long v[7] = { 0 };
	FILE *f = fopen("/proc/stat", "r");
	int n;

	if (!f)
		return -1;
	n = fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3], &v[4],
		   &v[5], &v[6]);
	fclose(f);
	if (n != 7)
		return -1;
	/* user nice system [idle iowait] irq softirq */
	return (double)(v[0] + v[1] + v[2] + v[5] + v[6]) / (double)sysconf(_SC_CLK_TCK);
}

/* Datagrams dropped at the UDP sockets bound to 127.0.0.1:@port. */
static long long udp_drops(uint16_t port)
{
	char line[512], want[32];
	long long sum = 0, d;
	FILE *f;

	if (!port)
		return -1;
	f = fopen("/proc/net/udp", "r");
	if (!f)
		return -1;
	snprintf(want, sizeof(want), "0100007F:%04X", port);
	while (fgets(line, sizeof(line), f)) {
		char local[64];

		/* sl local rem st tx:rx tr:when retrnsmt uid timeout inode ref pointer drops;
		 * the line ends in blanks, so count fields rather than take the last */
		if (sscanf(line, " %*s %63s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %lld", local,
			   &d) != 2 || strcmp(local, want) != 0)
			continue;
		sum += d;
	}
	fclose(f);
	return sum;
}

/*
 * Datagrams dropped at our own (c-ares) sockets. c-ares closes its UDP
 * socket whenever no query is left on it, so they are sampled during the
 * run (every DROP_SAMPLE_NS) and remembered by inode.
 */
#define DROP_SOCKS 16
#define DROP_SAMPLE_NS 2000000ull

struct drop_track {
	ino_t ino[DROP_SOCKS];
	long long last[DROP_SOCKS];
	int n, oldest;
	long long folded;             /* sockets pushed out of the table */
	uint64_t next_ns;
};

static void drops_sample(struct drop_track *t, struct ctl_dns *d, int force)
{
	struct pollfd fds[64];
	int to, n;
	uint64_t now = now_ns();

	if (!force && now < t->next_ns)
		return;
	t->next_ns = now + DROP_SAMPLE_NS;
	n = ctl_dns_pollfds(d, fds, 64, &to);
	for (int i = 0; i < n; i++) {
		uint32_t mi[SK_MEMINFO_VARS];
		socklen_t len = sizeof(mi);
		struct stat st;
		int k;

		if (fstat(fds[i].fd, &st) < 0 ||
		    getsockopt(fds[i].fd, SOL_SOCKET, SO_MEMINFO, mi, &len) < 0 ||
		    len <= SK_MEMINFO_DROPS * sizeof(mi[0]))
			continue;
		for (k = 0; k < t->n && t->ino[k] != st.st_ino; k++)
			;
		if (k == t->n) {
			if (t->n < DROP_SOCKS) {
				t->n++;
			} else {
				k = t->oldest;
				t->oldest = (t->oldest + 1) % DROP_SOCKS;
				t->folded += t->last[k];
			}
			t->ino[k] = st.st_ino;
		}
		t->last[k] = mi[SK_MEMINFO_DROPS];
	}
}

static long long drops_total(const struct drop_track *t)
{
	long long sum = t->folded;

	for (int k = 0; k < t->n; k++)
		sum += t->last[k];
	return sum;
}

static uint64_t mix64(uint64_t z)
{
	z += 0x9e3779b97f4a7c15ull;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* ---- the data: address i and what DNS says about it ---- */

enum fwd_kind { FWD_NONE = 0, FWD_MATCH, FWD_WRONG, FWD_NO_A };

struct expect {
	uint8_t listed[N_ZONES];
	uint8_t fwd;                 /* enum fwd_kind */
	int fcrdns;                  /* enum ctl_fcrdns */
	int score;
};

static uint32_t perm_inv;        /* PERM_MUL^-1 mod 2^17 */

static uint32_t addr_of(uint32_t i)
{
	return NET_BASE + ((i * PERM_MUL + PERM_ADD) & NET_MASK);
}

/* Index of address @a (host order), or UINT32_MAX outside the range. */
static uint32_t index_of(uint32_t a)
{
	if ((a & ~NET_MASK) != NET_BASE)
		return UINT32_MAX;
	return ((a - NET_BASE - PERM_ADD) * perm_inv) & NET_MASK;
}

/* Dotted quad into @buf (16 bytes at least): by hand, as it runs for every
 * verdict and its cost is counted as ours. */
static void addr_str(uint32_t a, char *buf, size_t len)
{
	char *p = buf;

	(void)len;
	for (int sh = 24; sh >= 0; sh -= 8) {
		unsigned v = (a >> sh) & 255;

		if (v >= 100)
			*p++ = (char)('0' + v / 100);
		if (v >= 10)
			*p++ = (char)('0' + v / 10 % 10);
		*p++ = (char)('0' + v % 10);
		*p++ = sh ? '.' : '\0';
	}
}

static struct expect expect_of(uint32_t i)
{
	struct expect e;
	uint32_t f;

	memset(&e, 0, sizeof(e));
	for (int k = 0; k < N_ZONES; k++)
		e.listed[k] = mix64((uint64_t)i << 3 | (uint64_t)k) % 100 < LISTED_PCT;
	if (mix64((uint64_t)i << 3 | 3) % 100 < PTR_PCT) {
		f = (uint32_t)(mix64((uint64_t)i << 3 | 4) % 100);
		e.fwd = f < FWD_MATCH_PCT ? FWD_MATCH : f < FWD_MATCH_PCT + FWD_WRONG_PCT ? FWD_WRONG
										  : FWD_NO_A;
	}
	e.fcrdns = e.fwd == FWD_NONE ? CTL_FCRDNS_NONE : e.fwd == FWD_MATCH ? CTL_FCRDNS_PASS
									    : CTL_FCRDNS_FAIL;
	for (int k = 0; k < N_ZONES; k++)
		e.score += e.listed[k] ? zone_weight[k] : 0;
	e.score += e.fcrdns == CTL_FCRDNS_PASS ? 0 : 1;   /* fcrdns_weight, no_ptr_weight */
	return e;
}

/* --gen: rbldnsd ip4set files DIR/ZONE.zone and unbound local data. */
static void gen(const struct opts *o)
{
	char path[PATH_MAX], a[16], w[16];
	FILE *f;

	for (int k = 0; k < N_ZONES; k++) {
		snprintf(path, sizeof(path), "%s/%s.zone", o->gen_dir, o->zones[k]);
		f = fopen(path, "w");
		if (!f)
			die("%s: %s", path, strerror(errno));
		/* 127.0.0.2: the RFC 5782 test entry every list carries */
		fprintf(f, "# ctl-bench: %u%% of 198.18.0.0/15\n:127.0.0.%d:listed by %s\n127.0.0.2\n",
			LISTED_PCT, zone_weight[k] < 0 ? 3 : 2, o->zones[k]);
		for (uint32_t i = 0; i < NET_SIZE; i++) {
			if (!expect_of(i).listed[k])
				continue;
			addr_str(addr_of(i), a, sizeof(a));
			fprintf(f, "%s\n", a);
		}
		if (fclose(f) != 0)
			die("%s: %s", path, strerror(errno));
	}
	snprintf(path, sizeof(path), "%s/unbound-bench.conf", o->gen_dir);
	f = fopen(path, "w");
	if (!f)
		die("%s: %s", path, strerror(errno));
	/* answered here, NXDOMAIN when absent: never recursed to the root */
	fprintf(f, "local-zone: \"18.198.in-addr.arpa.\" static\n"
		   "local-zone: \"19.198.in-addr.arpa.\" static\n"
		   "local-zone: \"" CLIENT_DOMAIN ".\" static\n");
	for (uint32_t i = 0; i < NET_SIZE; i++) {
		struct expect e = expect_of(i);

		if (e.fwd == FWD_NONE)
			continue;
		addr_str(addr_of(i), a, sizeof(a));
		fprintf(f, "local-data-ptr: \"%s c%u." CLIENT_DOMAIN "\"\n", a, i);
		if (e.fwd == FWD_NO_A)
			continue;
		snprintf(w, sizeof(w), "192.0.2.%u", i % 250 + 1);
		fprintf(f, "local-data: \"c%u." CLIENT_DOMAIN ". A %s\"\n", i,
			e.fwd == FWD_MATCH ? a : w);
	}
	if (fclose(f) != 0)
		die("%s: %s", path, strerror(errno));
}

/* ---- one measured run of ctl_lookup ---- */

enum kind { K_BATCH, K_PACED, K_ONE };

struct run {
	const char *mode;
	char mode_buf[32];
	const struct servers *sv;
	int kind;
	uint32_t inflight, first, n;
	double rate;                 /* K_PACED: offered addresses/s */
	/* during the run */
	uint64_t *t_obs, *lat;
	uint8_t *seen;
	uint32_t done;
	uint64_t last_progress;
	int zones_checked;
	struct drop_track drops;
	/* outcomes: got by zone {listed, not listed, error, other}, wanted {listed, not} */
	uint64_t zone_got[N_ZONES][4], zone_want[N_ZONES][2];
	uint64_t fc_got[4], fc_want[4];
	uint64_t mismatches, errored, lost;
	int complaints;
	/* results */
	double secs, addr_per_s, p50, p90, p99, pmax, mean, cpu, sys, srv_a, srv_b, others;
	long long drops_ours, drops_a, drops_b;
	struct ctl_dns_stats dns;
};

__attribute__((format(printf, 2, 3)))
static void complain(struct run *r, const char *fmt, ...)
{
	va_list ap;

	if (r->complaints++ >= 5)
		return;
	fprintf(stderr, "ctl-bench: %s %s/%u: ", r->sv->name, r->mode, r->inflight);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static const char *const fc_name[4] = { "pass", "fail", "none", "error" };

static void on_done(void *ctx, const struct ctl_lookup_detail *det)
{
	struct run *r = ctx;
	uint64_t t = now_ns();
	const struct mxs_observation *o = det->obs;
	uint32_t a = (uint32_t)o->client[0] << 24 | (uint32_t)o->client[1] << 16 |
		     (uint32_t)o->client[2] << 8 | o->client[3];
	uint32_t i = index_of(a), j = i - r->first;
	struct expect e;
	int err = 0, bad = 0, fc;
	char as[16];

	r->last_progress = t;
	addr_str(a, as, sizeof(as));
	if (o->family != 4 || i == UINT32_MAX || j >= r->n) {
		r->mismatches++;
		complain(r, "verdict for an address never submitted: %s", as);
		return;
	}
	if (r->seen[j]) {
		r->mismatches++;
		complain(r, "second verdict for %s", as);
		return;
	}
	r->seen[j] = 1;
	r->done++;
	r->lat[j] = t - r->t_obs[j];
	if (!r->zones_checked) {
		r->zones_checked = 1;
		if (det->n_zones != N_ZONES)
			die("%zu DNSBL zones queried, want %d", det->n_zones, N_ZONES);
	}
	e = expect_of(i);
	for (int k = 0; k < N_ZONES; k++) {
		int st = det->zones[k].state;

		if (st == CTL_LIST_ERROR) {
			r->zone_got[k][2]++;
			err = 1;
		} else if (st == CTL_LIST_LISTED || st == CTL_LIST_NOT_LISTED) {
			r->zone_got[k][st == CTL_LIST_LISTED ? 0 : 1]++;
			if ((st == CTL_LIST_LISTED) != e.listed[k]) {
				bad = 1;
				complain(r, "%s: %s says %s, the data says %s", as, det->zone_names[k],
					 st == CTL_LIST_LISTED ? "listed" : "not listed",
					 e.listed[k] ? "listed" : "not listed");
			}
		} else {
			r->zone_got[k][3]++;
			bad = 1;
			complain(r, "%s: %s state %d", as, det->zone_names[k], st);
		}
	}
	fc = det->evidence->fcrdns;
	if (fc < 0 || fc > 3) {
		bad = 1;
		complain(r, "%s: fcrdns state %d", as, fc);
	} else {
		r->fc_got[fc]++;
		if (fc == CTL_FCRDNS_ERROR) {
			err = 1;
		} else if (fc != e.fcrdns) {
			bad = 1;
			complain(r, "%s: fcrdns %s, the data says %s", as, fc_name[fc],
				 fc_name[e.fcrdns]);
		}
	}
	if (!err && !bad && det->decision->score != e.score) {
		bad = 1;
		complain(r, "%s: score %d, the data says %d", as, (int)det->decision->score, e.score);
	}
	if (err && r->errored++ < 3)
		fprintf(stderr, "ctl-bench: %s %s/%u: %s: lookup error (zone: %s%s%s)\n",
			r->sv->name, r->mode, r->inflight, as,
			det->zones[0].error[0] ? det->zones[0].error : "-",
			det->ptr_error ? "; " : "", det->ptr_error ? det->ptr_error : "");
	r->mismatches += (uint64_t)bad;
}

static void fill_obs(struct mxs_observation *o, uint32_t i)
{
	uint32_t a = addr_of(i);
	struct timespec ts;

	memset(o, 0, sizeof(*o));
	clock_gettime(CLOCK_REALTIME, &ts);
	o->ts_ns = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	o->family = 4;
	o->client[0] = (uint8_t)(a >> 24);
	o->client[1] = (uint8_t)(a >> 16);
	o->client[2] = (uint8_t)(a >> 8);
	o->client[3] = (uint8_t)a;
	o->server[0] = 192;
	o->server[1] = 0;
	o->server[2] = 2;
	o->server[3] = 25;
	o->server_port = 25;
}

/* One turn of the daemon's loop: poll the DNS sockets, process. */
/* One loop turn over @d and, when not NULL, @d2 (list_resolvers' client),
 * as mxscreend polls both. */
static void pump(struct ctl_dns *d, struct ctl_dns *d2, int64_t max_wait_ns)
{
	struct pollfd fds[MAX_FDS];
	int to_ms = -1, to2 = -1, n = ctl_dns_pollfds(d, fds, MAX_FDS, &to_ms), n2 = 0;
	int64_t w = max_wait_ns;
	struct timespec ts;

	if (d2) {
		n2 = ctl_dns_pollfds(d2, fds + n, MAX_FDS - n, &to2);
		if (to2 >= 0 && (to_ms < 0 || to2 < to_ms))
			to_ms = to2;
	}
	if (to_ms >= 0 && (int64_t)to_ms * 1000000 < w)
		w = (int64_t)to_ms * 1000000;
	if (w < 0)
		w = 0;
	ts.tv_sec = (time_t)(w / 1000000000);
	ts.tv_nsec = (long)(w % 1000000000);
	if (ppoll(fds, (nfds_t)(n + n2), &ts, NULL) < 0 && errno != EINTR)
		die("poll: %s", strerror(errno));
	ctl_dns_process(d, fds, n);
	if (d2)
		ctl_dns_process(d2, fds + n, n2);
}

static void turn(struct run *r, struct ctl_dns *d, struct ctl_dns *d2, int64_t max_wait_ns)
{
	int due;

	pump(d, d2, max_wait_ns);
	due = now_ns() >= r->drops.next_ns;
	drops_sample(&r->drops, d, 0);
	if (d2 && due)
		drops_sample(&r->drops, d2, 1);
}

/* The counters of both clients, added. */
static void dns_stats_sum(struct ctl_dns_stats *s, const struct ctl_dns *d, const struct ctl_dns *d2)
{
	const struct ctl_dns_stats *b;

	*s = *ctl_dns_stats(d);
	if (!d2)
		return;
	b = ctl_dns_stats(d2);
	s->queries += b->queries;
	s->sent += b->sent;
	s->merged += b->merged;
	s->cache_hits += b->cache_hits;
	s->cache_misses += b->cache_misses;
	s->ok += b->ok;
	s->none += b->none;
	s->errors += b->errors;
	s->timeouts += b->timeouts;
	s->inflight += b->inflight;
	s->queued += b->queued;
	s->resent += b->resent;
	s->lost += b->lost;
	s->spurious += b->spurious;
	s->window_cuts += b->window_cuts;
	s->window += b->window;
	s->send_errors += b->send_errors;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of sorted @v, ns -> ms. */
static double pct(const uint64_t *v, size_t n, double p)
{
	size_t k;

	if (n == 0)
		return 0;
	k = (size_t)(p * (double)n + 0.999999);
	k = k ? k - 1 : 0;
	return (double)v[k < n ? k : n - 1] / 1e6;
}

static void submit(struct run *r, struct ctl_lookup *l, uint32_t j, uint64_t t_obs)
{
	struct mxs_observation o;

	fill_obs(&o, r->first + j);
	r->t_obs[j] = t_obs;
	if (ctl_lookup_submit(l, &o) < 0)
		die("ctl_lookup_submit: out of memory");
}

static int stalled(struct run *r)
{
	if (now_ns() - r->last_progress < STALL_NS)
		return 0;
	fprintf(stderr, "ctl-bench: %s %s/%u: no verdict for 30 s, %u of %u lookups unfinished\n",
		r->sv->name, r->mode, r->inflight, r->n - r->done, r->n);
	return 1;
}

/* Resource use of everyone between two points. */
struct usage {
	double cpu, sys, a, b, busy;
	long long da, db;
};

static void usage_take(const struct servers *sv, struct usage *u)
{
	u->cpu = cpu_s(&u->sys);
	u->a = proc_cpu_s(sv->pid_a);
	u->b = proc_cpu_s(sv->pid_b);
	u->busy = machine_busy_s();
	u->da = udp_drops(sv->port_a);
	u->db = udp_drops(sv->port_b);
}

static void usage_diff(const struct usage *u0, const struct usage *u1, double *cpu, double *sys,
		       double *a, double *b, double *others, long long *da, long long *db)
{
	*cpu = u1->cpu - u0->cpu;
	*sys = u1->sys - u0->sys;
	*a = u0->a < 0 || u1->a < 0 ? -1 : u1->a - u0->a;
	*b = u0->b < 0 || u1->b < 0 ? -1 : u1->b - u0->b;
	*others = u0->busy < 0 || u1->busy < 0 ? -1
		: (u1->busy - u0->busy) - *cpu - (*a > 0 ? *a : 0) - (*b > 0 ? *b : 0);
	if (*others < 0 && u0->busy >= 0)
		*others = 0;         /* tick granularity */
	*da = u0->da < 0 || u1->da < 0 ? -1 : u1->da - u0->da;
	*db = u0->db < 0 || u1->db < 0 ? -1 : u1->db - u0->db;
}

static void run_lookups(const struct opts *o, struct ctl_conf *conf, struct run *r)
{
	struct ctl_dns_params dp = {
		.servers = conf->resolvers, .n_servers = conf->n_resolvers,
		.timeout_ms = conf->dns_timeout_ms, .tries = 2,
		.max_inflight = r->inflight, .ttl_min = conf->cache_ttl_min,
		.ttl_max = conf->cache_ttl_max, .error_ttl = conf->error_ttl, .cache_max = 100000,
	};
	struct ctl_lookup_params lp = { .conf = conf, .done = on_done, .ctx = r };
	struct ctl_dns *d, *d2 = NULL;
	struct ctl_lookup *l;
	struct usage u0, u1;
	uint64_t t0, t1, *sorted;
	uint32_t next = 0, wave = r->kind == K_ONE ? 1 : o->wave;
	size_t m = 0;

	conf->dns_max_inflight = r->inflight;
	d = ctl_dns_create(&dp);
	if (!d)
		die("ctl_dns_create: %s", strerror(errno));
	if (conf->n_list_resolvers) {
		/* list_resolvers: a second client, as mxscreend builds it */
		dp.servers = conf->list_resolvers;
		dp.n_servers = conf->n_list_resolvers;
		d2 = ctl_dns_create(&dp);
		if (!d2)
			die("ctl_dns_create: %s", strerror(errno));
	}
	lp.dns = d;
	lp.list_dns = d2;
	l = ctl_lookup_create(&lp);
	if (!l)
		die("ctl_lookup_create: %s", strerror(errno));
	r->t_obs = xcalloc(r->n, sizeof(*r->t_obs));
	r->lat = xcalloc(r->n, sizeof(*r->lat));
	r->seen = xcalloc(r->n, 1);
	for (uint32_t j = 0; j < r->n; j++) {
		struct expect e = expect_of(r->first + j);

		for (int k = 0; k < N_ZONES; k++)
			r->zone_want[k][e.listed[k] ? 0 : 1]++;
		r->fc_want[e.fcrdns]++;
	}

	usage_take(r->sv, &u0);
	t0 = now_ns();
	r->last_progress = t0;
	switch (r->kind) {
	case K_BATCH:
		/* a wave per turn, as the link delivers them when the dataplane
		 * sends faster than we answer */
		while (r->done < r->n && !stalled(r)) {
			uint64_t t = now_ns();

			for (uint32_t w = 0; w < wave && next < r->n; w++)
				submit(r, l, next++, t);
			turn(r, d, d2, next < r->n ? 0 : 100000000);
		}
		break;
	case K_PACED: {
		double gap = 1e9 / r->rate;

		while (r->done < r->n && !stalled(r)) {
			uint64_t t = now_ns(), due;
			uint32_t w = 0;

			/* every arrival due by now, observed at its scheduled time */
			while (next < r->n && w < wave &&
			       (due = t0 + (uint64_t)((double)next * gap)) <= t) {
				submit(r, l, next++, due);
				w++;
			}
			if (next < r->n && w < wave)
				turn(r, d, d2, (int64_t)(t0 + (uint64_t)((double)next * gap)) - (int64_t)now_ns());
			else
				turn(r, d, d2, next < r->n ? 0 : 100000000);
		}
		break;
	}
	case K_ONE:
		for (uint32_t j = 0; j < r->n; j++) {
			submit(r, l, j, now_ns());
			while (!r->seen[j] && !stalled(r))
				turn(r, d, d2, 100000000);
			if (!r->seen[j])
				break;
		}
		break;
	}
	t1 = now_ns();
	usage_take(r->sv, &u1);
	usage_diff(&u0, &u1, &r->cpu, &r->sys, &r->srv_a, &r->srv_b, &r->others, &r->drops_a, &r->drops_b);
	dns_stats_sum(&r->dns, d, d2);
	drops_sample(&r->drops, d, 1);
	if (d2)
		drops_sample(&r->drops, d2, 1);
	r->drops_ours = drops_total(&r->drops);
	/* teardown order of ctl_lookup.h */
	ctl_lookup_close(l);
	ctl_dns_free(d2);
	ctl_dns_free(d);
	ctl_lookup_free(l);

	r->lost = r->n - r->done;
	r->secs = (double)(t1 - t0) / 1e9;
	r->addr_per_s = r->secs > 0 ? (double)r->done / r->secs : 0;
	sorted = xcalloc(r->n, sizeof(*sorted));
	for (uint32_t j = 0; j < r->n; j++)
		if (r->seen[j])
			sorted[m++] = r->lat[j];
	qsort(sorted, m, sizeof(*sorted), cmp_u64);
	r->p50 = pct(sorted, m, 0.50);
	r->p90 = pct(sorted, m, 0.90);
	r->p99 = pct(sorted, m, 0.99);
	r->pmax = m ? (double)sorted[m - 1] / 1e6 : 0;
	r->mean = 0;
	for (size_t k = 0; k < m; k++)
		r->mean += (double)sorted[k] / 1e6;
	r->mean = m ? r->mean / (double)m : 0;
	free(sorted);
	free(r->t_obs);
	free(r->lat);
	free(r->seen);
	r->t_obs = r->lat = NULL;
	r->seen = NULL;
}

/* ---- the built-in responder: the same data, answered for next to nothing ---- */

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* "d.c.b.a" (@len bytes) -> a.b.c.d in host order; 0 if not that form. */
static int parse_rev(const char *name, size_t len, uint32_t *ret)
{
	unsigned v[4];
	char buf[32];
	int n = 0;

	if (len == 0 || len >= sizeof(buf))
		return 0;
	memcpy(buf, name, len);
	buf[len] = '\0';
	if (sscanf(buf, "%3u.%3u.%3u.%3u%n", &v[0], &v[1], &v[2], &v[3], &n) != 4 ||
	    (size_t)n != len || v[0] > 255 || v[1] > 255 || v[2] > 255 || v[3] > 255)
		return 0;
	*ret = v[3] << 24 | v[2] << 16 | v[1] << 8 | v[0];
	return 1;
}

/* @s (@n bytes) is "X.@suf": the length of X in @pre. */
static int ends_with(const char *s, size_t n, const char *suf, size_t *pre)
{
	size_t l = strlen(suf);

	if (n < l + 2 || s[n - l - 1] != '.' || strcmp(s + n - l, suf) != 0)
		return 0;
	*pre = n - l - 1;
	return 1;
}

/* Put @name as DNS labels at @out; the length, 0 when it does not fit. */
static size_t name_wire(uint8_t *out, size_t cap, const char *name)
{
	size_t n = 0;

	while (*name) {
		const char *dot = strchr(name, '.');
		size_t l = dot ? (size_t)(dot - name) : strlen(name);

		if (l == 0 || l > 63 || n + l + 2 > cap)
			return 0;
		out[n++] = (uint8_t)l;
		memcpy(out + n, name, l);
		n += l;
		name += l + (dot ? 1 : 0);
	}
	out[n++] = 0;
	return n;
}

/*
 * Answer the query in @m (@len bytes, buffer @cap) in place, as unbound in
 * front of rbldnsd answers it here: A for the DNSBL zones, PTR and forward
 * A from the client data, NXDOMAIN for the rest of those names, REFUSED
 * otherwise. The reply's length, or 0 to stay silent.
 */
static size_t respond(const struct opts *o, uint8_t *m, size_t len, size_t cap)
{
	char name[CTL_DNS_NAME_MAX + 2];
	uint8_t rdata[CTL_DNS_NAME_MAX + 2];
	size_t off = 12, nl = 0, pre, rdlen = 0;
	uint16_t type;
	uint32_t a, i;
	int rcode = 5;                /* REFUSED */

	if (len < 12 || (m[2] & 0x80) || get16(m + 4) != 1)
		return 0;
	while (off < len && m[off]) {
		size_t l = m[off];

		if (l > 63 || off + 1 + l >= len || nl + l + 1 >= sizeof(name))
			return 0;
		if (nl)
			name[nl++] = '.';
		for (size_t k = 0; k < l; k++) {
			char c = (char)m[off + 1 + k];

			name[nl++] = c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
		}
		off += 1 + l;
	}
	name[nl] = '\0';
	if (off + 5 > len)
		return 0;
	type = get16(m + off + 1);
	off += 5;                     /* root label, type, class */
	if (type == CTL_DNS_A) {
		for (int k = 0; k < N_ZONES && rcode == 5; k++) {
			if (!ends_with(name, nl, o->zones[k], &pre))
				continue;
			rcode = 3;
			if (parse_rev(name, pre, &a) &&
			    (a == 0x7f000002u || ((i = index_of(a)) != UINT32_MAX &&
						  expect_of(i).listed[k]))) {
				rcode = 0;
				rdata[0] = 127;
				rdata[1] = 0;
				rdata[2] = 0;
				rdata[3] = zone_weight[k] < 0 ? 3 : 2;
				rdlen = 4;
			}
		}
		if (rcode == 5 && ends_with(name, nl, CLIENT_DOMAIN, &pre)) {
			char *end;
			unsigned long v;

			rcode = 3;
			v = name[0] == 'c' ? strtoul(name + 1, &end, 10) : NET_SIZE;
			if (v < NET_SIZE && end == name + pre) {
				struct expect e = expect_of((uint32_t)v);

				a = e.fwd == FWD_MATCH ? addr_of((uint32_t)v)
				  : 0xc0000200u + (uint32_t)(v % 250 + 1);    /* 192.0.2.x */
				if (e.fwd == FWD_MATCH || e.fwd == FWD_WRONG) {
					rcode = 0;
					rdata[0] = (uint8_t)(a >> 24);
					rdata[1] = (uint8_t)(a >> 16);
					rdata[2] = (uint8_t)(a >> 8);
					rdata[3] = (uint8_t)a;
					rdlen = 4;
				}
			}
		}
	} else if (type == CTL_DNS_PTR && ends_with(name, nl, "in-addr.arpa", &pre)) {
		rcode = 3;
		if (parse_rev(name, pre, &a) && (i = index_of(a)) != UINT32_MAX &&
		    expect_of(i).fwd != FWD_NONE) {
			char target[64];

			snprintf(target, sizeof(target), "c%u." CLIENT_DOMAIN, i);
			rdlen = name_wire(rdata, sizeof(rdata), target);
			rcode = rdlen ? 0 : 2;
		}
	}
	m[2] = (uint8_t)(0x84 | (m[2] & 0x01));   /* QR AA, RD as asked */
	m[3] = (uint8_t)(0x80 | rcode);           /* RA */
	memset(m + 6, 0, 6);                      /* no answer, authority, additional yet */
	if (rdlen && off + 12 + rdlen <= cap) {
		uint8_t *p = m + off;

		m[7] = 1;
		p[0] = 0xc0;                          /* the name in the question */
		p[1] = 12;
		p[2] = (uint8_t)(type >> 8);
		p[3] = (uint8_t)type;
		p[4] = 0;
		p[5] = 1;
		p[6] = p[7] = p[8] = 0;
		p[9] = 60;                            /* TTL */
		p[10] = (uint8_t)(rdlen >> 8);
		p[11] = (uint8_t)rdlen;
		memcpy(p + 12, rdata, rdlen);
		off += 12 + rdlen;
	}
	return off;
}

/* Replies held back to emulate a round trip (constant delay: a FIFO). */
#define HOLD_MAX 16384

struct held {
	uint64_t due;
	struct sockaddr_in to;
	uint16_t len;
	uint8_t buf[512];
};

__attribute__((noreturn))
static void responder_loop(const struct opts *o, int fd, uint64_t rtt_ns)
{
	static uint8_t buf[RAW_BATCH][512];
	struct mmsghdr mm[RAW_BATCH], out[RAW_BATCH];
	struct iovec iov[RAW_BATCH], oiov[RAW_BATCH];
	struct sockaddr_in from[RAW_BATCH];
	struct held *hold = rtt_ns ? xcalloc(HOLD_MAX, sizeof(*hold)) : NULL;
	size_t h_head = 0, h_n = 0;

	for (;;) {
		int n, k = 0;

		if (hold) {
			/* send what is due, then wait for a query or the next due time */
			uint64_t now = now_ns();
			struct pollfd pfd = { .fd = fd, .events = POLLIN };
			struct timespec ts, *tsp = NULL;

			while (h_n && hold[h_head].due <= now) {
				for (k = 0; k < RAW_BATCH && h_n && hold[h_head].due <= now; k++) {
					struct held *x = &hold[h_head];

					memset(&out[k], 0, sizeof(out[k]));
					oiov[k].iov_base = x->buf;
					oiov[k].iov_len = x->len;
					out[k].msg_hdr.msg_iov = &oiov[k];
					out[k].msg_hdr.msg_iovlen = 1;
					out[k].msg_hdr.msg_name = &x->to;
					out[k].msg_hdr.msg_namelen = sizeof(x->to);
					h_head = (h_head + 1) % HOLD_MAX;
					h_n--;
				}
				for (int sent = 0, r; sent < k; sent += r > 0 ? r : 0) {
					r = sendmmsg(fd, out + sent, (unsigned)(k - sent), 0);
					if (r < 0 && errno != EINTR && errno != EAGAIN && errno != ENOBUFS)
						break;
				}
			}
			k = 0;
			if (h_n) {
				uint64_t w = hold[h_head].due - now;

				ts.tv_sec = (time_t)(w / 1000000000u);
				ts.tv_nsec = (long)(w % 1000000000u);
				tsp = &ts;
			}
			if (ppoll(&pfd, 1, tsp, NULL) <= 0)
				continue;
		}
		memset(mm, 0, sizeof(mm));
		for (int b = 0; b < RAW_BATCH; b++) {
			iov[b].iov_base = buf[b];
			iov[b].iov_len = sizeof(buf[b]);
			mm[b].msg_hdr.msg_iov = &iov[b];
			mm[b].msg_hdr.msg_iovlen = 1;
			mm[b].msg_hdr.msg_name = &from[b];
			mm[b].msg_hdr.msg_namelen = sizeof(from[b]);
		}
		n = recvmmsg(fd, mm, RAW_BATCH, hold ? MSG_DONTWAIT : MSG_WAITFORONE, NULL);
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			_exit(1);
		}
		for (int b = 0; b < n; b++) {
			size_t len = respond(o, buf[b], mm[b].msg_len, sizeof(buf[b]));

			if (!len)
				continue;
			if (hold) {
				struct held *x;

				if (h_n == HOLD_MAX)
					continue;      /* overloaded: dropped, as a server would */
				x = &hold[(h_head + h_n++) % HOLD_MAX];
				x->due = now_ns() + rtt_ns;
				x->to = from[b];
				x->len = (uint16_t)len;
				memcpy(x->buf, buf[b], len);
				continue;
			}
			iov[b].iov_len = len;
			out[k++] = mm[b];
		}
		for (int s2 = 0; s2 < k;) {
			int sent = sendmmsg(fd, out + s2, (unsigned)(k - s2), 0);

			if (sent < 0) {
				if (errno == EINTR || errno == EAGAIN || errno == ENOBUFS)
					continue;
				break;
			}
			s2 += sent;
		}
	}
}

/* Fork the responder; every reply @rtt_ms late. */
static void responder_start(const struct opts *o, struct servers *sv, uint32_t rtt_ms)
{
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);
	int fd, big = 4 << 20;
	pid_t pid;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &sl) < 0)
		die("responder socket: %s", strerror(errno));
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &big, sizeof(big)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &big, sizeof(big));
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		responder_loop(o, fd, (uint64_t)rtt_ms * 1000000u);
	}
	close(fd);
	sv->pid_a = pid;
	sv->port_a = ntohs(sa.sin_port);
	snprintf(sv->addr, sizeof(sv->addr), "127.0.0.1:%u", sv->port_a);
}

static void responder_stop(struct servers *sv)
{
	if (sv->pid_a > 0) {
		kill(sv->pid_a, SIGTERM);
		waitpid(sv->pid_a, NULL, 0);
	}
	sv->pid_a = 0;
}

/* ---- raw UDP client: what the servers answer without us ---- */

enum raw_mix { RAW_DNSBL, RAW_LOCAL, RAW_ALL };

struct raw {
	const char *what;
	const char *target;          /* IP:PORT */
	const struct servers *sv;    /* whose CPU and drops */
	uint32_t window, n_addr;
	int mix;                     /* enum raw_mix */
	uint64_t queries, answered, lost, noerror, nxdomain, other;
	double secs, qps, per_addr, addr_per_s, p50, p99, cpu, sys, srv_a, srv_b, others;
	long long drops_a, drops_b;
};

struct raw_slot {
	uint64_t sent;
	uint8_t busy, gen;
};

static size_t dns_wire(uint8_t *b, size_t cap, uint16_t id, const char *name, uint16_t type)
{
	size_t n;

	if (cap < 12 + 4)
		return 0;
	memset(b, 0, 12);
	b[0] = (uint8_t)(id >> 8);
	b[1] = (uint8_t)id;
	b[2] = 0x01;                 /* RD */
	b[5] = 1;                    /* QDCOUNT */
	n = name_wire(b + 12, cap - 12 - 4, name);
	if (!n)
		return 0;
	n += 12;
	b[n++] = (uint8_t)(type >> 8);
	b[n++] = (uint8_t)type;
	b[n++] = 0;
	b[n++] = 1;                  /* IN */
	return n;
}

struct raw_cursor {
	uint32_t i, k;
};

/* The next query: per address k = 0..2 the DNSBL A, 3 the PTR, 4 the forward A. */
static int raw_next(const struct opts *o, const struct raw *rw, struct raw_cursor *c,
		    char *name, size_t len, uint16_t *type)
{
	for (; c->i < rw->n_addr; c->i++, c->k = 0) {
		uint32_t a = addr_of(c->i);
		uint8_t ab[16] = { (uint8_t)(a >> 24), (uint8_t)(a >> 16), (uint8_t)(a >> 8),
				   (uint8_t)a };

		for (; c->k < N_ZONES + 2; c->k++) {
			if (c->k < N_ZONES && rw->mix != RAW_LOCAL) {
				if (ctl_dns_revname(4, ab, o->zones[c->k], name, len) < 0)
					die("query name for zone %s", o->zones[c->k]);
				*type = CTL_DNS_A;
			} else if (c->k == N_ZONES && rw->mix != RAW_DNSBL) {
				if (ctl_dns_revname(4, ab, NULL, name, len) < 0)
					die("PTR query name");
				*type = CTL_DNS_PTR;
			} else if (c->k == N_ZONES + 1 && rw->mix != RAW_DNSBL &&
				   expect_of(c->i).fwd != FWD_NONE) {
				snprintf(name, len, "c%u." CLIENT_DOMAIN, c->i);
				*type = CTL_DNS_A;
			} else {
				continue;
			}
			c->k++;
			return 1;
		}
	}
	return 0;
}

static uint16_t parse_hostport(const char *s, struct sockaddr_in *sa)
{
	char host[64];
	const char *colon = strrchr(s, ':');
	size_t l = colon ? (size_t)(colon - s) : 0;
	long port = colon ? strtol(colon + 1, NULL, 10) : 0;

	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	if (!colon || l >= sizeof(host) || port <= 0 || port > 65535)
		die("%s: want IPV4:PORT", s);
	memcpy(host, s, l);
	host[l] = '\0';
	if (inet_pton(AF_INET, host, &sa->sin_addr) != 1)
		die("%s: want IPV4:PORT", s);
	sa->sin_port = htons((uint16_t)port);
	return (uint16_t)port;
}

static void run_raw(const struct opts *o, struct raw *rw)
{
	static uint8_t sbuf[RAW_BATCH][300], rbuf[RAW_BATCH][512];
	struct mmsghdr smsg[RAW_BATCH], rmsg[RAW_BATCH];
	struct iovec siov[RAW_BATCH], riov[RAW_BATCH];
	struct raw_slot *slot;
	uint16_t *freel;
	uint32_t nfree, window = rw->window > RAW_WINDOW_MAX ? RAW_WINDOW_MAX : rw->window;
	struct raw_cursor cur = { 0, 0 };
	struct sockaddr_in sa;
	struct usage u0, u1;
	uint64_t t0, t1, last_scan, *lat, n_lat = 0;
	int fd, more = 1, big = 4 << 20;

	rw->window = window = window ? window : 1;
	parse_hostport(rw->target, &sa);
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		die("raw socket to %s: %s", rw->target, strerror(errno));
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
	slot = xcalloc(window, sizeof(*slot));
	freel = xcalloc(window, sizeof(*freel));
	lat = xcalloc((size_t)rw->n_addr * (N_ZONES + 2), sizeof(*lat));
	for (uint32_t s = 0; s < window; s++)
		freel[s] = (uint16_t)(window - 1 - s);
	nfree = window;
	memset(smsg, 0, sizeof(smsg));
	memset(rmsg, 0, sizeof(rmsg));
	for (int b = 0; b < RAW_BATCH; b++) {
		siov[b].iov_base = sbuf[b];
		smsg[b].msg_hdr.msg_iov = &siov[b];
		smsg[b].msg_hdr.msg_iovlen = 1;
		riov[b].iov_base = rbuf[b];
		riov[b].iov_len = sizeof(rbuf[b]);
		rmsg[b].msg_hdr.msg_iov = &riov[b];
		rmsg[b].msg_hdr.msg_iovlen = 1;
	}

	usage_take(rw->sv, &u0);
	t0 = last_scan = now_ns();
	while (more || nfree < window) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		uint64_t t = now_ns();
		int got;

		/* keep the window full */
		while (more && nfree > 0) {
			char name[CTL_DNS_NAME_MAX + 1];
			uint16_t type, s;
			int cnt = 0, off = 0, sent;

			while (cnt < RAW_BATCH && nfree > 0 &&
			       (more = raw_next(o, rw, &cur, name, sizeof(name), &type))) {
				s = freel[--nfree];
				slot[s].busy = 1;
				slot[s].gen = (uint8_t)((slot[s].gen + 1) & 15);
				slot[s].sent = t;
				siov[cnt].iov_len = dns_wire(sbuf[cnt], sizeof(sbuf[cnt]),
							     (uint16_t)(s | slot[s].gen << 12), name, type);
				if (!siov[cnt].iov_len)
					die("query name %s", name);
				cnt++;
			}
			while (off < cnt) {
				sent = sendmmsg(fd, smsg + off, (unsigned)(cnt - off), 0);
				if (sent < 0) {
					if (errno != EAGAIN && errno != ENOBUFS && errno != ECONNREFUSED &&
					    errno != EINTR)
						die("send to %s: %s", rw->target, strerror(errno));
					poll(&(struct pollfd){ .fd = fd, .events = POLLOUT }, 1, 1);
					continue;
				}
				off += sent;
			}
			rw->queries += (uint64_t)cnt;
		}
		poll(&pfd, 1, 1);
		t = now_ns();
		while ((got = recvmmsg(fd, rmsg, RAW_BATCH, MSG_DONTWAIT, NULL)) > 0) {
			for (int b = 0; b < got; b++) {
				const uint8_t *m = rbuf[b];
				uint16_t id, s;

				if (rmsg[b].msg_len < 12)
					continue;
				id = get16(m);
				s = id & 0xfff;
				if (s >= window || !slot[s].busy || slot[s].gen != id >> 12)
					continue;       /* late answer to a query given up */
				slot[s].busy = 0;
				freel[nfree++] = s;
				rw->answered++;
				lat[n_lat++] = t - slot[s].sent;
				if ((m[3] & 15) == 3)
					rw->nxdomain++;
				else if ((m[3] & 15) == 0)
					rw->noerror++;
				else
					rw->other++;
			}
		}
		if (t - last_scan > 50000000ull) {
			last_scan = t;
			for (uint32_t s = 0; s < window; s++)
				if (slot[s].busy && t - slot[s].sent > RAW_TIMEOUT_NS) {
					slot[s].busy = 0;
					freel[nfree++] = (uint16_t)s;
					rw->lost++;
				}
		}
	}
	t1 = now_ns();
	usage_take(rw->sv, &u1);
	usage_diff(&u0, &u1, &rw->cpu, &rw->sys, &rw->srv_a, &rw->srv_b, &rw->others, &rw->drops_a,
		   &rw->drops_b);
	close(fd);
	qsort(lat, n_lat, sizeof(*lat), cmp_u64);
	rw->p50 = pct(lat, n_lat, 0.50);
	rw->p99 = pct(lat, n_lat, 0.99);
	free(lat);
	free(slot);
	free(freel);
	rw->secs = (double)(t1 - t0) / 1e9;
	rw->qps = (double)rw->answered / rw->secs;
	rw->per_addr = (double)rw->queries / (double)rw->n_addr;
	rw->addr_per_s = rw->qps / rw->per_addr;
}

/* ---- output ---- */

static void pct_of(char *buf, size_t len, double cpu, double secs)
{
	if (cpu < 0 || secs <= 0)
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%.0f", 100.0 * cpu / secs);
}

static void drops_str(char *buf, size_t len, long long a, long long b, long long c)
{
	char x[3][24];
	long long v[3] = { a, b, c };

	for (int k = 0; k < 3; k++) {
		if (v[k] < 0)
			snprintf(x[k], sizeof(x[k]), "-");
		else
			snprintf(x[k], sizeof(x[k]), "%lld", v[k]);
	}
	snprintf(buf, len, "%s/%s/%s", x[0], x[1], x[2]);
}

static void print_head(const struct servers *sv)
{
	char a[16], b[16], d[24];

	snprintf(a, sizeof(a), "%s%%", sv->a_name);
	snprintf(b, sizeof(b), "%s%%", sv->b_name);
	snprintf(d, sizeof(d), "drop us/%s/%s", sv->a_name, sv->b_name);
	printf("%-21s %8s %6s %8s %8s %8s %8s %8s %8s %5s %5s %5s %5s %6s %6s %6s %17s %4s\n",
	       "mode", "inflight", "n", "addr/s", "p50_ms", "p90_ms", "p99_ms", "max_ms",
	       "cpu_us/a", "cpu%", a, b, "oth%", "wire/a", "errors", "t/outs", d, "bad");
}

static void print_run(const struct run *r)
{
	char ua[16], ub[16], oth[16], dr[96];

	pct_of(ua, sizeof(ua), r->srv_a, r->secs);
	pct_of(ub, sizeof(ub), r->srv_b, r->secs);
	pct_of(oth, sizeof(oth), r->others, r->secs);
	drops_str(dr, sizeof(dr), r->drops_ours, r->drops_a, r->drops_b);
	printf("%-21s %8u %6u %8.0f %8.2f %8.2f %8.2f %8.2f %8.1f %5.0f %5s %5s %5s %6.2f %6" PRIu64
	       " %6" PRIu64 " %17s %4" PRIu64 "\n",
	       r->mode, r->inflight, r->n, r->addr_per_s, r->p50, r->p90, r->p99, r->pmax,
	       r->done ? r->cpu * 1e6 / r->done : 0.0, 100.0 * r->cpu / r->secs, ua, ub, oth,
	       r->done ? (double)r->dns.sent / r->done : 0.0, r->errored, r->dns.timeouts, dr,
	       r->mismatches + r->lost);
}

static void print_outcomes(const struct opts *o, const struct run *r)
{
	printf("\noutcomes, %s, %s at inflight %u (got/expected):\n", r->sv->name, r->mode,
	       r->inflight);
	for (int k = 0; k < N_ZONES; k++)
		printf("  %-24s listed %" PRIu64 "/%" PRIu64 "  not listed %" PRIu64 "/%" PRIu64
		       "  error %" PRIu64 "\n", o->zones[k], r->zone_got[k][0], r->zone_want[k][0],
		       r->zone_got[k][1], r->zone_want[k][1], r->zone_got[k][2]);
	printf("  %-24s pass %" PRIu64 "/%" PRIu64 "  fail %" PRIu64 "/%" PRIu64
	       "  none %" PRIu64 "/%" PRIu64 "  error %" PRIu64 "\n", "fcrdns",
	       r->fc_got[0], r->fc_want[0], r->fc_got[1], r->fc_want[1], r->fc_got[2],
	       r->fc_want[2], r->fc_got[3]);
	if (r->done)
		printf("  our CPU: %.1f us an address (%.1f user, %.1f system), %.1f us a wire query\n",
		       r->cpu * 1e6 / r->done, (r->cpu - r->sys) * 1e6 / r->done, r->sys * 1e6 / r->done,
		       r->dns.sent ? r->cpu * 1e6 / (double)r->dns.sent : 0.0);
	printf("  ctl_dns: wire queries %" PRIu64 " (%.2f an address), merged %" PRIu64
	       ", cache hits %" PRIu64 ", ok %" PRIu64 ", none %" PRIu64 ", errors %" PRIu64
	       ", timeouts %" PRIu64 "\n", r->dns.sent,
	       r->done ? (double)r->dns.sent / r->done : 0.0, r->dns.merged, r->dns.cache_hits,
	       r->dns.ok, r->dns.none, r->dns.errors, r->dns.timeouts);
	printf("  wire: resent %" PRIu64 ", deemed lost %" PRIu64 " (answered after all %" PRIu64
	       "), window cuts %" PRIu64 ", window at the end %u, not sent %" PRIu64 "\n",
	       r->dns.resent, r->dns.lost, r->dns.spurious, r->dns.window_cuts, r->dns.window,
	       r->dns.send_errors);
}

static void print_raw_head(void)
{
	printf("%-36s %6s %7s %9s %5s %9s %6s %7s %7s %5s %5s %5s %5s %11s\n", "target", "window",
	       "queries", "answers/s", "q/a", "addr/s_eq", "lost", "p50_ms", "p99_ms", "cpu%",
	       "srvA%", "srvB%", "oth%", "drop A/B");
}

static void print_raw(const struct raw *rw)
{
	char ua[16], ub[16], oth[16], dr[96];

	pct_of(ua, sizeof(ua), rw->srv_a, rw->secs);
	pct_of(ub, sizeof(ub), rw->srv_b, rw->secs);
	pct_of(oth, sizeof(oth), rw->others, rw->secs);
	drops_str(dr, sizeof(dr), rw->drops_a, rw->drops_b, -1);
	dr[strlen(dr) - 2] = '\0';       /* two columns only */
	printf("%-36s %6u %7" PRIu64 " %9.0f %5.2f %9.0f %6" PRIu64 " %7.3f %7.3f %5.0f %5s %5s"
	       " %5s %11s\n", rw->what, rw->window, rw->queries, rw->qps, rw->per_addr,
	       rw->addr_per_s, rw->lost, rw->p50, rw->p99, 100.0 * rw->cpu / rw->secs, ua, ub,
	       oth, dr);
}

static void json_num(FILE *f, const char *key, double v, int last)
{
	if (v < 0)
		fprintf(f, "\"%s\": null%s", key, last ? "" : ", ");
	else
		fprintf(f, "\"%s\": %.6g%s", key, v, last ? "" : ", ");
}

/* The figures the targets are about, for one set of servers. */
struct verdict_sum {
	const struct servers *sv;
	const struct run *best, *one, *serial, *paced;
};

static void write_json(const struct opts *o, const struct run *runs, size_t n_runs,
		       const struct raw *raws, size_t n_raws, const struct verdict_sum *vs,
		       size_t n_vs)
{
	FILE *f = fopen(o->json, "w");

	if (!f)
		die("%s: %s", o->json, strerror(errno));
	fprintf(f, "{\n  \"n\": %u, \"one_at_a_time_n\": %u, \"dns_timeout_ms\": %u, "
		"\"tries\": 2, \"wave\": %u, \"cpus\": %ld, \"zones\": [", o->n, o->one_n,
		o->timeout_ms, o->wave, sysconf(_SC_NPROCESSORS_ONLN));
	for (int k = 0; k < N_ZONES; k++)
		fprintf(f, "{\"zone\": \"%s\", \"weight\": %d}%s", o->zones[k], zone_weight[k],
			k + 1 < N_ZONES ? ", " : "");
	fprintf(f, "],\n  \"runs\": [\n");
	for (size_t i = 0; i < n_runs; i++) {
		const struct run *r = &runs[i];

		fprintf(f, "    {\"servers\": \"%s\", \"mode\": \"%s\", \"kind\": \"%s\", "
			"\"inflight\": %u, \"n\": %u, \"completed\": %u, ", r->sv->name, r->mode,
			r->kind == K_BATCH ? "batched" : r->kind == K_PACED ? "paced" : "one_at_a_time",
			r->inflight, r->n, r->done);
		if (r->kind == K_PACED)
			json_num(f, "offered_per_s", r->rate, 0);
		json_num(f, "seconds", r->secs, 0);
		json_num(f, "addr_per_s", r->addr_per_s, 0);
		fprintf(f, "\"latency_ms\": {");
		json_num(f, "p50", r->p50, 0);
		json_num(f, "p90", r->p90, 0);
		json_num(f, "p99", r->p99, 0);
		json_num(f, "max", r->pmax, 0);
		json_num(f, "mean", r->mean, 1);
		fprintf(f, "}, ");
		json_num(f, "cpu_s", r->cpu, 0);
		json_num(f, "cpu_sys_s", r->sys, 0);
		json_num(f, "cpu_us_per_addr", r->done ? r->cpu * 1e6 / r->done : 0, 0);
		fprintf(f, "\"server_cpu_s\": {");
		json_num(f, r->sv->a_name, r->srv_a, r->sv->pid_b ? 0 : 1);
		if (r->sv->pid_b)
			json_num(f, r->sv->b_name, r->srv_b, 1);
		fprintf(f, "}, ");
		json_num(f, "others_cpu_s", r->others, 0);
		fprintf(f, "\"drops\": {\"ours\": %lld, \"%s\": %lld, \"%s\": %lld}, ", r->drops_ours,
			r->sv->a_name, r->drops_a, r->sv->b_name, r->drops_b);
		fprintf(f, "\"dns\": {\"sent\": %" PRIu64 ", \"merged\": %" PRIu64
			", \"cache_hits\": %" PRIu64 ", \"ok\": %" PRIu64 ", \"none\": %" PRIu64
			", \"errors\": %" PRIu64 ", \"timeouts\": %" PRIu64 ", \"resent\": %" PRIu64
			", \"lost\": %" PRIu64 ", \"spurious\": %" PRIu64 ", \"window_cuts\": %" PRIu64
			", \"window\": %u, \"send_errors\": %" PRIu64 "}, ",
			r->dns.sent, r->dns.merged, r->dns.cache_hits, r->dns.ok, r->dns.none,
			r->dns.errors, r->dns.timeouts, r->dns.resent, r->dns.lost, r->dns.spurious,
			r->dns.window_cuts, r->dns.window, r->dns.send_errors);
		fprintf(f, "\"outcomes\": {");
		for (int k = 0; k < N_ZONES; k++)
			fprintf(f, "\"%s\": {\"listed\": [%" PRIu64 ", %" PRIu64 "], \"not_listed\": [%"
				PRIu64 ", %" PRIu64 "], \"error\": %" PRIu64 "}, ", o->zones[k],
				r->zone_got[k][0], r->zone_want[k][0], r->zone_got[k][1],
				r->zone_want[k][1], r->zone_got[k][2]);
		fprintf(f, "\"fcrdns\": {\"pass\": [%" PRIu64 ", %" PRIu64 "], \"fail\": [%" PRIu64
			", %" PRIu64 "], \"none\": [%" PRIu64 ", %" PRIu64 "], \"error\": %" PRIu64 "}}, ",
			r->fc_got[0], r->fc_want[0], r->fc_got[1], r->fc_want[1], r->fc_got[2],
			r->fc_want[2], r->fc_got[3]);
		fprintf(f, "\"addresses_with_errors\": %" PRIu64 ", \"mismatches\": %" PRIu64
			", \"unfinished\": %" PRIu64 "}%s\n", r->errored, r->mismatches, r->lost,
			i + 1 < n_runs ? "," : "");
	}
	fprintf(f, "  ],\n  \"raw\": [\n");
	for (size_t i = 0; i < n_raws; i++) {
		const struct raw *rw = &raws[i];

		fprintf(f, "    {\"what\": \"%s\", \"target\": \"%s\", \"window\": %u, \"queries\": %"
			PRIu64 ", \"answered\": %" PRIu64 ", \"lost\": %" PRIu64 ", \"noerror\": %" PRIu64
			", \"nxdomain\": %" PRIu64 ", \"other_rcode\": %" PRIu64 ", ", rw->what,
			rw->target, rw->window, rw->queries, rw->answered, rw->lost, rw->noerror,
			rw->nxdomain, rw->other);
		json_num(f, "seconds", rw->secs, 0);
		json_num(f, "answers_per_s", rw->qps, 0);
		json_num(f, "queries_per_addr", rw->per_addr, 0);
		json_num(f, "addr_per_s_equivalent", rw->addr_per_s, 0);
		json_num(f, "p50_ms", rw->p50, 0);
		json_num(f, "p99_ms", rw->p99, 0);
		json_num(f, "cpu_s", rw->cpu, 0);
		json_num(f, "cpu_sys_s", rw->sys, 0);
		fprintf(f, "\"server_cpu_s\": {");
		json_num(f, rw->sv->a_name, rw->srv_a, rw->sv->pid_b ? 0 : 1);
		if (rw->sv->pid_b)
			json_num(f, rw->sv->b_name, rw->srv_b, 1);
		fprintf(f, "}, ");
		json_num(f, "others_cpu_s", rw->others, 0);
		fprintf(f, "\"drops\": {\"%s\": %lld, \"%s\": %lld}}%s\n", rw->sv->a_name,
			rw->drops_a, rw->sv->b_name, rw->drops_b, i + 1 < n_raws ? "," : "");
	}
	fprintf(f, "  ],\n  \"targets\": [\n");
	for (size_t i = 0; i < n_vs; i++) {
		const struct verdict_sum *v = &vs[i];

		fprintf(f, "    {\"servers\": \"%s\"", v->sv->name);
		if (v->best)
			fprintf(f, ", \"batched_addr_per_s\": {\"inflight\": %u, \"value\": %.6g, "
				"\"min\": %.0f, \"pass\": %s}", v->best->inflight, v->best->addr_per_s,
				TARGET_RATE, v->best->addr_per_s >= TARGET_RATE ? "true" : "false");
		if (v->best && v->one && v->one->addr_per_s > 0) {
			double ratio = v->best->addr_per_s / v->one->addr_per_s;

			fprintf(f, ", \"ratio_one_at_a_time\": {\"value\": %.6g, \"min\": %.0f, "
				"\"pass\": %s", ratio, TARGET_RATIO, ratio >= TARGET_RATIO ? "true" : "false");
			if (v->serial && v->serial->addr_per_s > 0)
				fprintf(f, ", \"ratio_serial\": %.6g",
					v->best->addr_per_s / v->serial->addr_per_s);
			fprintf(f, "}");
		}
		fprintf(f, "}%s\n", i + 1 < n_vs ? "," : "");
	}
	fprintf(f, "  ]\n}\n");
	if (fclose(f) != 0)
		die("%s: %s", o->json, strerror(errno));
}

/* ---- main ---- */

static void usage(FILE *f)
{
	fputs("usage: ctl-bench --gen DIR [--zones Z1,Z2,Z3]\n"
	      "       ctl-bench [--resolver IP:PORT] [--rbldnsd IP:PORT] [--zones Z1,Z2,Z3]\n"
	      "                 [--n N] [--one-at-a-time-n N] [--inflight LIST] [--rate LIST]\n"
	      "                 [--wave W] [--timeout-ms MS] [--rtt-ms MS] [--raw-window W]\n"
	      "                 [--raw-n N] [--unbound-pid PID] [--rbldnsd-pid PID]\n"
	      "                 [--no-responder] [--no-raw] [--quick] [--json PATH]\n"
	      "                 [--only unbound,direct,responder,rtt]\n"
	      "bench/ctl-bench.sh starts the DNS servers and runs this; see bench/README.md\n", f);
}

/* --only: a comma-separated list of section names. */
static unsigned parse_sections(const char *arg)
{
	static const char *const names[] = { "unbound", "direct", "responder", "rtt" };
	unsigned bits = 0;
	const char *p = arg;

	while (*p) {
		size_t l = strcspn(p, ","), k;

		for (k = 0; k < 4 && (strlen(names[k]) != l || strncmp(p, names[k], l)); k++)
			;
		if (k == 4) {
			fprintf(stderr, "ctl-bench: --only: unknown section '%.*s' (unbound, direct, "
				"responder, rtt)\n", (int)l, p);
			exit(2);
		}
		bits |= 1u << k;
		p += l + (p[l] == ',');
	}
	if (!bits) {
		fprintf(stderr, "ctl-bench: --only: empty\n");
		exit(2);
	}
	return bits;
}

static uint32_t num(const char *s, const char *what, uint32_t lo, uint32_t hi)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi) {
		fprintf(stderr, "ctl-bench: %s: want %u..%u, got '%s'\n", what, lo, hi, s);
		exit(2);
	}
	return (uint32_t)v;
}

/* "a,b,c" -> numbers; returns the count. */
static uint32_t num_list(const char *s, const char *what, uint32_t lo, uint32_t hi,
			 uint32_t *out, uint32_t max)
{
	uint32_t n = 0;

	for (const char *e; *s; s = *e ? e + 1 : e) {
		char v[16];

		e = strchr(s, ',');
		if (!e)
			e = s + strlen(s);
		if ((size_t)(e - s) >= sizeof(v) || n == max) {
			fprintf(stderr, "ctl-bench: %s: at most %u numbers\n", what, max);
			exit(2);
		}
		memcpy(v, s, (size_t)(e - s));
		v[e - s] = '\0';
		out[n++] = num(v, what, lo, hi);
	}
	return n;
}

static void parse_zones(struct opts *o, const char *s)
{
	char *p;
	int k = 0;

	if (strlen(s) >= sizeof(o->zones_buf)) {
		fprintf(stderr, "ctl-bench: --zones: too long\n");
		exit(2);
	}
	strcpy(o->zones_buf, s);
	for (p = strtok(o->zones_buf, ","); p; p = strtok(NULL, ","))
		if (k < N_ZONES)
			o->zones[k++] = p;
		else
			k++;
	if (k != N_ZONES) {
		fprintf(stderr, "ctl-bench: --zones: want three zone names, comma-separated\n");
		exit(2);
	}
}

/* IP:PORT into @r. */
static void set_server(struct ctl_resolver *r, const char *s)
{
	const char *colon = strrchr(s, ':');

	if (!colon || (size_t)(colon - s) >= sizeof(r->host))
		die("resolver %s: want IP:PORT", s);
	memset(r, 0, sizeof(*r));
	memcpy(r->host, s, (size_t)(colon - s));
	r->port = (uint16_t)num(colon + 1, "resolver port", 1, 65535);
}

/* The config mxscreend would run with: the zones, one resolver, and one
 * list resolver when @list_resolver is not empty. */
static struct ctl_conf *make_conf(const struct opts *o, const char *resolver,
				  const char *list_resolver)
{
	struct ctl_conf *c = ctl_conf_defaults();
	char sites[4 * (CTL_ZONE_MAX + 8)], err[256];
	size_t off = 0;

	if (!c)
		die("out of memory");
	for (int k = 0; k < N_ZONES; k++)
		off += (size_t)snprintf(sites + off, sizeof(sites) - off, "%s%s*%d", k ? " " : "",
					o->zones[k], zone_weight[k]);
	free(c->dnsbl);
	c->dnsbl = NULL;
	if (ctl_sites_parse(sites, &c->dnsbl, &c->n_dnsbl, err, sizeof(err)) < 0)
		die("dnsbl_sites: %s", err);
	memset(c->resolvers, 0, sizeof(c->resolvers));
	set_server(&c->resolvers[0], resolver);
	c->n_resolvers = 1;
	if (list_resolver && *list_resolver) {
		set_server(&c->list_resolvers[0], list_resolver);
		c->n_list_resolvers = 1;
	}
	c->dns_timeout_ms = o->timeout_ms;
	return c;
}

static struct run *new_run(struct run *runs, size_t *n_runs, const struct servers *sv,
			   int kind, uint32_t inflight, uint32_t n)
{
	struct run *r;

	if (*n_runs == MAX_RUNS)
		die("too many runs");
	r = &runs[(*n_runs)++];
	memset(r, 0, sizeof(*r));
	r->sv = sv;
	r->kind = kind;
	r->inflight = inflight;
	r->n = n;
	r->mode = r->mode_buf;
	return r;
}

/* Every ctl_lookup mode against one set of servers. */
static void run_section(const struct opts *o, const struct servers *sv, uint32_t n,
			uint32_t one_n, int paced, struct run *runs, size_t *n_runs,
			struct verdict_sum *vs)
{
	struct ctl_conf *conf = make_conf(o, sv->addr, sv->list_addr);
	uint32_t first_one = n + one_n <= NET_SIZE ? n : 0;
	struct run *r;

	memset(vs, 0, sizeof(*vs));
	vs->sv = sv;
	if (sv->list_addr[0])
		printf("\nservers: %s: lists at %s, PTR and A at %s\n", sv->name, sv->list_addr,
		       sv->addr);
	else
		printf("\nservers: %s at %s\n", sv->name, sv->addr);
	print_head(sv);
	for (uint32_t k = 0; k < o->n_inflight; k++) {
		r = new_run(runs, n_runs, sv, K_BATCH, o->inflight[k], n);
		snprintf(r->mode_buf, sizeof(r->mode_buf), "batched");
		run_lookups(o, conf, r);
		print_run(r);
		if (r->inflight == o->primary && !vs->best)
			vs->best = r;
	}
	for (uint32_t k = 0; paced && k <= o->n_rates; k++) {
		uint32_t rate = k < o->n_rates ? o->rate[k] : 0;

		if (k == o->n_rates) {
			/* half the measured batched rate: latency under a load it carries */
			if (!vs->best || vs->best->addr_per_s < 400)
				break;
			rate = (uint32_t)(vs->best->addr_per_s / 2 / 100) * 100;
		}
		if (!rate)
			continue;
		r = new_run(runs, n_runs, sv, K_PACED, o->primary,
			    n < rate * PACED_S ? n : rate * PACED_S);
		r->rate = rate;
		snprintf(r->mode_buf, sizeof(r->mode_buf), "paced %u/s%s", rate,
			 k == o->n_rates ? " (50%)" : "");
		run_lookups(o, conf, r);
		print_run(r);
		if (!vs->paced)
			vs->paced = r;
	}
	for (int s = 0; s < 2; s++) {
		r = new_run(runs, n_runs, sv, K_ONE, s ? 1 : o->primary, one_n);
		snprintf(r->mode_buf, sizeof(r->mode_buf), "%s",
			 s ? "one-at-a-time serial" : "one-at-a-time");
		/* other addresses than the batched runs, where the range allows */
		r->first = first_one;
		run_lookups(o, conf, r);
		print_run(r);
		if (s)
			vs->serial = r;
		else
			vs->one = r;
	}
	ctl_conf_free(conf);
}

static void raw_add(const struct opts *o, struct raw *raws, size_t *n_raws, const char *what,
		    const char *target, const struct servers *sv, int mix)
{
	struct raw *rw = &raws[(*n_raws)++];

	memset(rw, 0, sizeof(*rw));
	rw->what = what;
	rw->target = target;
	rw->sv = sv;
	rw->window = o->raw_window;
	rw->n_addr = o->raw_n;
	rw->mix = mix;
	run_raw(o, rw);
	print_raw(rw);
}

/*
 * CPU per address of each party in a run, and what one core each would
 * carry: robust to a loaded machine in a way addresses/s is not.
 */
static void cost_model(const struct run *r)
{
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	double us, a, b, sum;

	if (!r->done)
		return;
	us = r->cpu * 1e6 / r->done;
	a = r->srv_a * 1e6 / r->done;
	b = r->srv_b * 1e6 / r->done;
	sum = us;
	printf("    CPU per address (%s, inflight %u): ctl-bench %.1f us", r->mode, r->inflight, us);
	if (r->srv_a >= 0)
		printf(", %s %.1f us", r->sv->a_name, a);
	if (r->srv_b >= 0 && r->sv->pid_b)
		printf(", %s %.1f us", r->sv->b_name, b);
	printf("\n      one core each would carry: ctl-bench %.0f/s", 1e6 / us);
	if (r->srv_a > 0) {
		printf(", %s %.0f/s", r->sv->a_name, 1e6 / a);
		sum += a;
	}
	if (r->srv_b > 0 && r->sv->pid_b) {
		printf(", %s %.0f/s", r->sv->b_name, 1e6 / b);
		sum += b;
	}
	printf("; all of them on %ld idle CPUs: %.0f/s\n", ncpu, (double)ncpu * 1e6 / sum);
}

static void print_targets(const struct verdict_sum *v)
{
	printf("  %s:\n", v->sv->name);
	if (!v->best) {
		printf("    batched addresses/s: n/a (inflight 1000 not run)\n");
		return;
	}
	printf("    batched addresses/s at inflight %u >= %.0f: %.0f  %s\n", v->best->inflight,
	       TARGET_RATE, v->best->addr_per_s, v->best->addr_per_s >= TARGET_RATE ? "PASS" : "FAIL");
	if (v->one && v->one->addr_per_s > 0) {
		double ratio = v->best->addr_per_s / v->one->addr_per_s;

		printf("    batched / one-at-a-time >= %.0fx: %.1fx  %s", TARGET_RATIO, ratio,
		       ratio >= TARGET_RATIO ? "PASS" : "FAIL");
		if (v->serial && v->serial->addr_per_s > 0)
			printf("  (vs one query at a time: %.1fx)",
			       v->best->addr_per_s / v->serial->addr_per_s);
		printf("\n");
	}
	if (v->paced)
		printf("    observation to verdict at %.0f/s offered: p50 %.2f ms, p99 %.2f ms "
		       "(%.0f/s carried)\n", v->paced->rate, v->paced->p50, v->paced->p99,
		       v->paced->addr_per_s);
	cost_model(v->best);
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "gen", 1, 0, 'g' }, { "resolver", 1, 0, 'r' }, { "rbldnsd", 1, 0, 'b' },
		{ "zones", 1, 0, 'z' }, { "n", 1, 0, 'n' }, { "one-at-a-time-n", 1, 0, 'o' },
		{ "inflight", 1, 0, 'i' }, { "rate", 1, 0, 'R' }, { "wave", 1, 0, 'w' },
		{ "timeout-ms", 1, 0, 't' }, { "raw-window", 1, 0, 'W' }, { "raw-n", 1, 0, 'N' },
		{ "rtt-ms", 1, 0, 'T' }, { "unbound-pid", 1, 0, 'U' }, { "rbldnsd-pid", 1, 0, 'B' },
		{ "no-responder", 0, 0, 'X' }, { "no-raw", 0, 0, 'x' }, { "quick", 0, 0, 'q' },
		{ "json", 1, 0, 'j' }, { "only", 1, 0, 'O' }, { "help", 0, 0, 'h' },
		{ 0, 0, 0, 0 },
	};
	static struct run runs[MAX_RUNS];
	struct servers real = { "unbound+rbldnsd", "unb", "rbl", "", 0, 0, 0, 0, "" };
	struct servers direct = { "rbldnsd direct + unbound for rDNS", "unb", "rbl", "", 0, 0, 0, 0,
				  "" };
	struct servers resp = { "built-in responder", "resp", "-", "", 0, 0, 0, 0, "" };
	static char rtt_name[64];
	struct servers rtt = { rtt_name, "resp", "-", "", 0, 0, 0, 0, "" };
	struct verdict_sum vs[N_SECTIONS];
	struct raw raws[8];
	struct opts o;
	struct sockaddr_in sa;
	size_t n_runs = 0, n_raws = 0, n_vs = 0;
	int quick = 0, set_n = 0, set_one = 0, set_raw_n = 0, c, rc = 0;
	const char *inflight_arg = NULL, *rate_arg = NULL;

	memset(&o, 0, sizeof(o));
	for (int k = 0; k < N_ZONES; k++)
		o.zones[k] = def_zones[k];
	o.n = 50000;
	o.one_n = 2000;
	o.wave = MXS_LINK_MAX_BATCH;
	o.timeout_ms = 2000;
	o.raw_window = 100;
	o.rtt_ms = 10;
	o.raw = 1;
	o.responder = 1;
	o.sections = SEC_ALL;
	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case 'g': o.gen_dir = optarg; break;
		case 'r': o.resolver = optarg; break;
		case 'b': o.rbldnsd = optarg; break;
		case 'z': parse_zones(&o, optarg); break;
		case 'n': o.n = num(optarg, "--n", 1, NET_SIZE); set_n = 1; break;
		case 'o': o.one_n = num(optarg, "--one-at-a-time-n", 1, NET_SIZE); set_one = 1; break;
		case 'i': inflight_arg = optarg; break;
		case 'R': rate_arg = optarg; break;
		case 'w': o.wave = num(optarg, "--wave", 1, 1000000); break;
		case 't': o.timeout_ms = num(optarg, "--timeout-ms", 1, 60000); break;
		case 'W': o.raw_window = num(optarg, "--raw-window", 1, RAW_WINDOW_MAX); break;
		case 'N': o.raw_n = num(optarg, "--raw-n", 1, NET_SIZE); set_raw_n = 1; break;
		case 'T': o.rtt_ms = num(optarg, "--rtt-ms", 0, 1000); break;
		case 'U': o.pid_unbound = (pid_t)num(optarg, "--unbound-pid", 1, INT_MAX); break;
		case 'B': o.pid_rbldnsd = (pid_t)num(optarg, "--rbldnsd-pid", 1, INT_MAX); break;
		case 'X': o.responder = 0; break;
		case 'x': o.raw = 0; break;
		case 'q': quick = 1; break;
		case 'j': o.json = optarg; break;
		case 'O': o.sections = parse_sections(optarg); break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	perm_inv = PERM_MUL;
	for (int k = 0; k < 5; k++)
		perm_inv *= 2 - PERM_MUL * perm_inv;
	perm_inv &= NET_MASK;
	for (uint32_t i = 0; i < NET_SIZE; i++)
		if (index_of(addr_of(i)) != i)
			die("address permutation is broken at %u", i);
	if (o.gen_dir) {
		gen(&o);
		return 0;
	}
	if (!o.resolver && !o.responder) {
		usage(stderr);
		return 2;
	}
	if (quick) {
		if (!set_n)
			o.n = 10000;
		if (!set_one)
			o.one_n = 500;
	}
	if (!set_raw_n)
		o.raw_n = o.n < (quick ? 5000u : 20000u) ? o.n : (quick ? 5000u : 20000u);
	o.n_inflight = num_list(inflight_arg ? inflight_arg : quick ? "1000" : "100,1000,4000",
				"--inflight", 1, 100000, o.inflight, MAX_INFLIGHTS);
	o.n_rates = num_list(rate_arg ? rate_arg : "20000", "--rate", 0, 10000000, o.rate,
			     MAX_INFLIGHTS);
	if (!o.n_inflight) {
		fprintf(stderr, "ctl-bench: --inflight: empty\n");
		return 2;
	}
	o.primary = o.inflight[0];
	for (uint32_t k = 0; k < o.n_inflight; k++)
		if (o.inflight[k] == 1000)
			o.primary = 1000;
	setvbuf(stdout, NULL, _IOLBF, 0);

	printf("ctl-bench: %d DNSBL zones + FCrDNS per address, dns_timeout %u ms, tries 2, wave %u,"
	       " fresh DNS cache per run, %ld CPUs\n", N_ZONES, o.timeout_ms, o.wave,
	       sysconf(_SC_NPROCESSORS_ONLN));
	printf("clients: distinct addresses of 198.18.0.0/15; each zone lists %d%%, %d%% have a PTR "
	       "(%d%% of those resolve back)\n", LISTED_PCT, PTR_PCT, FWD_MATCH_PCT);
	if (o.resolver) {
		snprintf(real.addr, sizeof(real.addr), "%s", o.resolver);
		real.pid_a = o.pid_unbound;
		real.pid_b = o.pid_rbldnsd;
		real.port_a = parse_hostport(o.resolver, &sa);
		real.port_b = o.rbldnsd ? parse_hostport(o.rbldnsd, &sa) : 0;
		if (o.sections & SEC_UNBOUND)
			run_section(&o, &real, o.n, o.one_n, 1, runs, &n_runs, &vs[n_vs++]);
	}
	if (o.resolver && o.rbldnsd && (o.sections & SEC_DIRECT)) {
		/* list_resolvers = rbldnsd, resolvers = unbound (PTR, A) */
		direct.pid_a = real.pid_a;
		direct.pid_b = real.pid_b;
		direct.port_a = real.port_a;
		direct.port_b = real.port_b;
		snprintf(direct.addr, sizeof(direct.addr), "%s", o.resolver);
		snprintf(direct.list_addr, sizeof(direct.list_addr), "%s", o.rbldnsd);
		run_section(&o, &direct, o.n, o.one_n, 1, runs, &n_runs, &vs[n_vs++]);
	}
	if (o.responder && (o.sections & SEC_RESPONDER)) {
		responder_start(&o, &resp, 0);
		run_section(&o, &resp, o.n, o.one_n, 1, runs, &n_runs, &vs[n_vs++]);
	}
	if (o.responder && o.rtt_ms && (o.sections & SEC_RTT)) {
		/* a list across the network: what batching is for */
		uint32_t one_n = 1000 / o.rtt_ms;

		one_n = one_n < 20 ? 20 : one_n > o.one_n ? o.one_n : one_n;
		snprintf(rtt_name, sizeof(rtt_name), "responder, %u ms round trip", o.rtt_ms);
		responder_start(&o, &rtt, o.rtt_ms);
		run_section(&o, &rtt, o.n < RTT_N ? o.n : RTT_N, one_n, 0, runs, &n_runs,
			    &vs[n_vs++]);
		responder_stop(&rtt);
	}
	if (o.raw) {
		printf("\nceiling: a raw UDP client (no c-ares, no ctl_*) keeping WINDOW queries out,"
		       " %u addresses' queries\n", o.raw_n);
		print_raw_head();
		if (o.rbldnsd)
			raw_add(&o, raws, &n_raws, "rbldnsd direct: 3 DNSBL A", o.rbldnsd, &real,
				RAW_DNSBL);
		if (o.resolver) {
			raw_add(&o, raws, &n_raws, "unbound: 3 DNSBL A (stub->rbldnsd)", o.resolver,
				&real, RAW_DNSBL);
			raw_add(&o, raws, &n_raws, "unbound: PTR + A (local data)", o.resolver, &real,
				RAW_LOCAL);
			raw_add(&o, raws, &n_raws, "unbound: the lookup's 4.5 queries", o.resolver,
				&real, RAW_ALL);
		}
		if (o.responder && resp.addr[0])
			raw_add(&o, raws, &n_raws, "responder: the lookup's 4.5 queries", resp.addr,
				&resp, RAW_ALL);
	}
	responder_stop(&resp);

	for (size_t i = 0; i < n_vs; i++)
		if (vs[i].best)
			print_outcomes(&o, vs[i].best);
	printf("\ntargets (from the issue):\n");
	for (size_t i = 0; i < n_vs; i++)
		print_targets(&vs[i]);
	for (size_t i = 0; i < n_runs; i++) {
		const struct run *r = &runs[i];

		if (r->done && r->errored == r->done) {
			rc = rc ? rc : 3;
			printf("ERROR: %s, %s at inflight %u: every lookup failed; are the servers "
			       "answering?\n", r->sv->name, r->mode, r->inflight);
		}
		if (r->mismatches || r->lost) {
			rc = 1;
			printf("ERROR: %s, %s at inflight %u: %" PRIu64 " verdicts disagree with the "
			       "data, %" PRIu64 " lookups unfinished\n", r->sv->name, r->mode,
			       r->inflight, r->mismatches, r->lost);
		}
		if (r->dns.timeouts && r->inflight == o.primary)
			printf("WARNING: %s, %s: %" PRIu64 " DNS timeouts at dns_max_inflight %u "
			       "(overload or drops: see drop us/..)\n", r->sv->name, r->mode,
			       r->dns.timeouts, r->inflight);
	}
	if (o.json)
		write_json(&o, runs, n_runs, raws, n_raws, vs, n_vs);
	return rc;
}
