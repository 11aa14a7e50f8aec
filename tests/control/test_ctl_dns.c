/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ctl_dns against real servers started here on loopback: rbldnsd for DNSBL
 * A/TXT answers and NXDOMAIN, unbound (local-data) for PTR/A/AAAA, NODATA
 * and REFUSED, and a UDP socket that never answers for timeouts. No mocks.
 * Exits 77 (skipped) when rbldnsd or unbound is not installed.
 *
 * A guardian child holds the read end of a pipe and kills the servers if
 * this process dies without stopping them (rbldnsd drops privileges, which
 * clears PR_SET_PDEATHSIG). Single-threaded.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "ctl_dns.h"

#define RBLDNSD "/usr/sbin/rbldnsd"
#define UNBOUND "/usr/sbin/unbound"

static char tmpdir[64];
static int guard_fd = -1;
static pid_t guard_pid = -1;
static pid_t rbl_pid = -1, ub_pid = -1;
static uint16_t rbl_port, ub_port, silent_port;
static int silent_fd = -1;
static int have_v6;                    /* unbound also listens on [::1] */

/* ---- helpers: time, files, processes ---- */

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static void path_of(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", tmpdir, name);
}

static int write_file(const char *name, const char *fmt, ...)
{
	char path[128];
	va_list ap;
	FILE *f;

	path_of(path, sizeof(path), name);
	f = fopen(path, "w");
	if (!f)
		return -1;
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	fclose(f);
	return chmod(path, 0644);
}

static void dump_file(const char *name)
{
	char path[128], line[512];
	FILE *f;

	path_of(path, sizeof(path), name);
	f = fopen(path, "r");
	if (!f)
		return;
	fprintf(stderr, "---- %s\n", path);
	while (fgets(line, sizeof(line), f))
		fputs(line, stderr);
	fclose(f);
}

/* Remove tmpdir and the plain files in it. */
static void remove_tmpdir(void)
{
	char path[400];
	struct dirent *e;
	DIR *dir;

	if (!tmpdir[0])
		return;
	dir = opendir(tmpdir);
	if (dir) {
		while ((e = readdir(dir))) {
			if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
				continue;
			snprintf(path, sizeof(path), "%s/%s", tmpdir, e->d_name);
			unlink(path);
		}
		closedir(dir);
	}
	rmdir(tmpdir);
}

static void guard_send(int32_t v)
{
	if (guard_fd >= 0 && write(guard_fd, &v, sizeof(v)) != sizeof(v))
		perror("guard write");
}

/*
 * Once our end of the pipe closes without the "done" message (0), kill
 * whatever is still registered and remove tmpdir.
 */
static void guard_start(void)
{
	int p[2];

	/* close-on-exec: a server holding the write end would hide our death */
	if (pipe2(p, O_CLOEXEC) < 0) {
		perror("pipe");
		return;
	}
	guard_pid = fork();
	if (guard_pid == 0) {
		pid_t pids[16];
		int n = 0, i, done = 0;
		int32_t v;

		close(p[1]);
		signal(SIGINT, SIG_IGN);
		signal(SIGTERM, SIG_IGN);
		while (read(p[0], &v, sizeof(v)) == sizeof(v)) {
			if (v == 0) {
				done = 1;
			} else if (v > 0 && n < 16) {
				pids[n++] = v;
			} else if (v < 0) {
				for (i = 0; i < n; i++)
					if (pids[i] == -v)
						pids[i--] = pids[--n];
			}
		}
		for (i = 0; i < n; i++)
			kill(pids[i], SIGKILL);
		if (!done) {
			sleep_ms(100);     /* let the files close */
			remove_tmpdir();
		}
		_exit(0);
	}
	close(p[0]);
	if (guard_pid < 0) {
		close(p[1]);
		return;
	}
	guard_fd = p[1];
}

static void guard_stop(void)
{
	guard_send(0);
	if (guard_fd >= 0)
		close(guard_fd);
	guard_fd = -1;
	if (guard_pid > 0)
		waitpid(guard_pid, NULL, 0);
	guard_pid = -1;
}

static pid_t spawn(char *const argv[], const char *log)
{
	char path[128];
	pid_t pid;

	path_of(path, sizeof(path), log);
	pid = fork();
	if (pid == 0) {
		int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
			close(fd);
		}
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		execv(argv[0], argv);
		_exit(127);
	}
	if (pid > 0)
		guard_send(pid);
	return pid;
}

static void stop(pid_t *pidp)
{
	pid_t pid = *pidp;
	int i;

	if (pid <= 0)
		return;
	kill(pid, SIGTERM);
	for (i = 0; i < 200; i++) {
		if (waitpid(pid, NULL, WNOHANG) == pid)
			goto reaped;
		sleep_ms(10);
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
reaped:
	guard_send(-pid);   /* after reaping nothing can reuse it: tell guard */
	*pidp = -1;
}

/* A loopback port free for UDP and TCP right now. */
static uint16_t free_port(void)
{
	for (int tries = 0; tries < 20; tries++) {
		struct sockaddr_in sa = { .sin_family = AF_INET };
		socklen_t sl = sizeof(sa);
		int u = socket(AF_INET, SOCK_DGRAM, 0), t;
		uint16_t port = 0;

		sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		if (u < 0)
			return 0;
		if (bind(u, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
		    getsockname(u, (struct sockaddr *)&sa, &sl) == 0)
			port = ntohs(sa.sin_port);
		t = socket(AF_INET, SOCK_STREAM, 0);
		if (port && t >= 0 && bind(t, (struct sockaddr *)&sa, sizeof(sa)) != 0)
			port = 0;
		if (t >= 0)
			close(t);
		close(u);
		if (port)
			return port;
	}
	return 0;
}

/* Raw UDP probe: the rcode of an answer, or -1 when none came in time. */
static int probe(uint16_t port, const char *name, int type, int wait_ms)
{
	unsigned char q[300], a[1500];
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
	struct pollfd pfd;
	size_t n = 12;
	const char *p = name;
	int fd, rc = -1;
	ssize_t got;

	memset(q, 0, sizeof(q));
	q[0] = 0x4d;
	q[1] = 0x58;
	q[2] = 0x01;                   /* RD */
	q[5] = 1;
	while (*p) {
		const char *dot = strchr(p, '.');
		size_t l = dot ? (size_t)(dot - p) : strlen(p);

		q[n++] = (unsigned char)l;
		memcpy(q + n, p, l);
		n += l;
		p += l + (dot ? 1 : 0);
	}
	q[n++] = 0;
	q[n++] = 0;
	q[n++] = (unsigned char)type;
	q[n++] = 0;
	q[n++] = 1;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0)
		return -1;
	if (sendto(fd, q, n, 0, (struct sockaddr *)&sa, sizeof(sa)) == (ssize_t)n) {
		pfd.fd = fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, wait_ms) == 1) {
			got = recv(fd, a, sizeof(a), 0);
			if (got >= 12 && a[0] == 0x4d && a[1] == 0x58)
				rc = a[3] & 0xf;
		}
	}
	close(fd);
	return rc;
}

/* Wait until @pid answers on @port; -1 if it exited or stayed silent. */
static int wait_ready(pid_t pid, uint16_t port, const char *name)
{
	for (int i = 0; i < 50; i++) {
		if (waitpid(pid, NULL, WNOHANG) == pid)
			return -1;
		if (probe(port, name, 1, 100) >= 0)
			return 0;
	}
	return -1;
}

/* ---- servers ---- */

static int start_rbldnsd(void)
{
	if (write_file("lo.zone",
		       "$SOA 7200 ns.bl.test. hostmaster.bl.test. 1 3600 600 86400 5\n"
		       "$TTL 5\n"
		       ":127.0.0.2:Listed in lo: $\n"
		       "127.0.0.2\n"
		       "10.0.0.0/24\n") < 0 ||
	    write_file("hi.zone",
		       "$SOA 100000 ns.bl.test. hostmaster.bl.test. 1 3600 600 86400 100000\n"
		       "$TTL 100000\n"
		       ":127.0.0.2:Listed in hi\n"
		       "127.0.0.2\n") < 0 ||
	    write_file("mid.zone",
		       "$SOA 400 ns.bl.test. hostmaster.bl.test. 1 3600 600 86400 600\n"
		       "$TTL 300\n"
		       ":127.0.0.4:Listed in mid\n"
		       "127.0.0.2\n") < 0)
		return -1;
	for (int attempt = 0; attempt < 3; attempt++) {
		char bind[32], lo[128], hi[128], mid[128];
		char zlo[160], zhi[160], zmid[160];

		rbl_port = free_port();
		snprintf(bind, sizeof(bind), "127.0.0.1/%u", rbl_port);
		path_of(lo, sizeof(lo), "lo.zone");
		path_of(hi, sizeof(hi), "hi.zone");
		path_of(mid, sizeof(mid), "mid.zone");
		snprintf(zlo, sizeof(zlo), "lo.bl.test:ip4set:%s", lo);
		snprintf(zhi, sizeof(zhi), "hi.bl.test:ip4set:%s", hi);
		snprintf(zmid, sizeof(zmid), "mid.bl.test:ip4set:%s", mid);
		{
			char *argv[] = { RBLDNSD, "-n", "-4", "-c", "0", "-b", bind,
					 "-w", tmpdir, zlo, zhi, zmid, NULL };

			rbl_pid = spawn(argv, "rbldnsd.log");
		}
		if (rbl_pid > 0 && wait_ready(rbl_pid, rbl_port, "2.0.0.127.lo.bl.test") == 0)
			return 0;
		stop(&rbl_pid);
	}
	dump_file("rbldnsd.log");
	return -1;
}

static int v6_loopback(void)
{
	struct sockaddr_in6 sa = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	int fd = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0), ok;

	if (fd < 0)
		return 0;
	ok = bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
	close(fd);
	return ok;
}

static int start_unbound(void)
{
	have_v6 = v6_loopback();
	for (int attempt = 0; attempt < 3; attempt++) {
		char conf[128];

		ub_port = free_port();
		if (write_file("unbound.conf",
			       "server:\n"
			       "  interface: 127.0.0.1\n"
			       "%s"
			       "  port: %u\n"
			       "  do-daemonize: no\n"
			       "  use-syslog: no\n"
			       "  logfile: \"\"\n"
			       "  username: \"\"\n"
			       "  chroot: \"\"\n"
			       "  directory: \"%s\"\n"
			       "  pidfile: \"%s/unbound.pid\"\n"
			       "  verbosity: 0\n"
			       "  num-threads: 1\n"
			       "  module-config: \"iterator\"\n"
			       "  access-control: 127.0.0.0/8 allow\n"
			       "  do-not-query-localhost: no\n"
			       "  local-zone: \"test.\" nodefault\n"
			       "  local-zone: \"example.test.\" static\n"
			       "  local-data: \"example.test. 700 IN SOA ns.example.test. host.example.test. 1 3600 600 86400 900\"\n"
			       "  local-data: \"mx.example.test. 300 IN A 192.0.2.10\"\n"
			       "  local-data: \"mx.example.test. 300 IN A 192.0.2.11\"\n"
			       "  local-data: \"mx.example.test. 200 IN AAAA 2001:db8::a\"\n"
			       "  local-data: \"lo.example.test. 2 IN A 192.0.2.12\"\n"
			       "  local-zone: \"127.in-addr.arpa.\" static\n"
			       "  local-data: \"5.0.0.127.in-addr.arpa. 300 IN PTR mx.example.test.\"\n"
			       "  local-data: \"6.0.0.127.in-addr.arpa. 300 IN PTR a.example.test.\"\n"
			       "  local-data: \"6.0.0.127.in-addr.arpa. 300 IN PTR b.example.test.\"\n"
			       "  local-zone: \"8.b.d.0.1.0.0.2.ip6.arpa.\" static\n"
			       "  local-data-ptr: \"2001:db8::a mx.example.test.\"\n"
			       "  local-zone: \"refused.test.\" refuse\n"
			       /* rbldnsd refuses what it does not serve: SERVFAIL */
			       "forward-zone:\n"
			       "  name: \"sf.test.\"\n"
			       "  forward-addr: 127.0.0.1@%u\n"
			       "remote-control:\n"
			       "  control-enable: no\n",
			       have_v6 ? "  interface: ::1\n  do-ip6: yes\n"
					 "  access-control: ::1 allow\n" : "  do-ip6: no\n",
			       ub_port, tmpdir, tmpdir, rbl_port) < 0)
			return -1;
		path_of(conf, sizeof(conf), "unbound.conf");
		{
			char *argv[] = { UNBOUND, "-d", "-c", conf, NULL };

			ub_pid = spawn(argv, "unbound.log");
		}
		if (ub_pid > 0 && wait_ready(ub_pid, ub_port, "mx.example.test") == 0)
			return 0;
		stop(&ub_pid);
	}
	dump_file("unbound.log");
	return -1;
}

/* A bound UDP socket nobody reads: every query to it times out. */
static int start_silent(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sa);

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	silent_fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (silent_fd < 0 || bind(silent_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    getsockname(silent_fd, (struct sockaddr *)&sa, &sl) < 0)
		return -1;
	silent_port = ntohs(sa.sin_port);
	return 0;
}

static void cleanup(void)
{
	stop(&rbl_pid);
	stop(&ub_pid);
	if (silent_fd >= 0)
		close(silent_fd);
	silent_fd = -1;
	remove_tmpdir();
	guard_stop();
}

/* ---- ctl_dns driving ---- */

struct got {
	int called;
	struct ctl_dns_result r;
	struct ctl_dns *d;             /* for callbacks that ask again */
};

static int in_query;                   /* set around every ctl_dns_query */
static int cb_inside_query;            /* callbacks seen while it was set */
static uint32_t max_inflight_seen;
static const struct ctl_dns_stats *watch;  /* stats read from callbacks */

static void on_result(void *arg, const struct ctl_dns_result *r)
{
	struct got *g = arg;

	if (in_query)
		cb_inside_query++;
	if (watch && watch->inflight > max_inflight_seen)
		max_inflight_seen = watch->inflight;
	g->called++;
	g->r = *r;
}

static int ask(struct ctl_dns *d, const char *name, int type, struct got *g)
{
	int rc;

	memset(g, 0, sizeof(*g));
	g->d = d;
	in_query = 1;
	rc = ctl_dns_query(d, name, type, on_result, g);
	in_query = 0;
	return rc;
}

static int ask_fresh(struct ctl_dns *d, const char *name, int type, struct got *g)
{
	int rc;

	memset(g, 0, sizeof(*g));
	in_query = 1;
	rc = ctl_dns_query_fresh(d, name, type, on_result, g);
	in_query = 0;
	return rc;
}

/* The event loop: poll and process until nothing is pending or @max_ms. */
static void run(struct ctl_dns *d, unsigned max_ms)
{
	uint64_t deadline = now_ms() + max_ms;
	struct pollfd fds[32];

	while (ctl_dns_pending(d)) {
		uint64_t now = now_ms();
		int to, n;

		if (now >= deadline)
			break;
		n = ctl_dns_pollfds(d, fds, 32, &to);
		if (to < 0 || (uint64_t)to > deadline - now)
			to = (int)(deadline - now);
		poll(fds, (nfds_t)n, to);
		ctl_dns_process(d, fds, n);
		if (ctl_dns_stats(d)->inflight > max_inflight_seen)
			max_inflight_seen = ctl_dns_stats(d)->inflight;
	}
}

static struct ctl_dns *make_at(const char *host, uint16_t port, uint32_t timeout_ms,
			       uint32_t tries, uint32_t max_inflight, uint32_t cache_max)
{
	struct ctl_resolver srv;
	struct ctl_dns_params p;

	memset(&srv, 0, sizeof(srv));
	snprintf(srv.host, sizeof(srv.host), "%s", host);
	srv.port = port;
	memset(&p, 0, sizeof(p));
	p.servers = &srv;          /* copied by ctl_dns_create */
	p.n_servers = 1;
	p.timeout_ms = timeout_ms;
	p.tries = tries;
	p.max_inflight = max_inflight;
	p.ttl_min = 60;
	p.ttl_max = 3600;
	p.error_ttl = 30;
	p.cache_max = cache_max;
	return ctl_dns_create(&p);
}

static struct ctl_dns *make(uint16_t port, uint32_t timeout_ms, uint32_t tries,
			    uint32_t max_inflight, uint32_t cache_max)
{
	return make_at("127.0.0.1", port, timeout_ms, tries, max_inflight, cache_max);
}

static int addr4_is(const struct ctl_dns_result *r, size_t i, const char *want)
{
	struct in_addr a;

	return i < r->n_addrs && inet_pton(AF_INET, want, &a) == 1 &&
	       memcmp(r->addrs[i], &a, 4) == 0;
}

/* ---- cases ---- */

static void t_names(void)
{
	static const struct {
		int family;
		const char *addr, *zone, *want;
		int rc;
	} rev[] = {
		{ AF_INET, "1.2.3.4", NULL, "4.3.2.1.in-addr.arpa", 0 },
		{ AF_INET, "1.2.3.4", "", "4.3.2.1.in-addr.arpa", 0 },
		{ 4, "192.0.2.1", "zen.spamhaus.org", "1.2.0.192.zen.spamhaus.org", 0 },
		{ AF_INET, "10.0.0.1", "Bl.Example.", "1.0.0.10.bl.example", 0 },
		{ AF_INET6, "2001:db8::1", NULL,
		  "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa", 0 },
		{ 6, "2001:db8:89ab:cdef:123:4567:89ab:cdef", "bl.test",
		  "f.e.d.c.b.a.9.8.7.6.5.4.3.2.1.0.f.e.d.c.b.a.9.8.8.b.d.0.1.0.0.2.bl.test", 0 },
		{ AF_INET, "1.2.3.4", "a..b", NULL, -EINVAL },
		{ 99, "1.2.3.4", NULL, NULL, -EINVAL },
	};
	static const struct {
		const char *dom, *zone, *want;
		int rc;
	} dom[] = {
		{ "Example.COM.", "dbl.test", "example.com.dbl.test", 0 },
		{ "example.com", NULL, "example.com", 0 },
		{ "mail-1.ex_ample.org", "", "mail-1.ex_ample.org", 0 },
		{ "example.com", "Dbl.Test.", "example.com.dbl.test", 0 },
		{ "", "dbl.test", NULL, -EINVAL },
		{ ".", "dbl.test", NULL, -EINVAL },
		{ "a..b", "dbl.test", NULL, -EINVAL },
		{ ".a", "dbl.test", NULL, -EINVAL },
		{ "example.com..", "dbl.test", NULL, -EINVAL },
		{ "[1.2.3.4]", "dbl.test", NULL, -EINVAL },
		{ "[IPv6:2001:db8::1]", "dbl.test", NULL, -EINVAL },
		{ "1.2.3.4", "dbl.test", NULL, -EINVAL },
		{ "foo bar.com", "dbl.test", NULL, -EINVAL },
	};
	char buf[300], label[80], longdom[300], zone[300];
	uint8_t a[16];
	size_t i;

	check_case = "names";
	for (i = 0; i < sizeof(rev) / sizeof(rev[0]); i++) {
		int fam = rev[i].family == 6 || rev[i].family == AF_INET6 ? AF_INET6 : AF_INET;

		memset(a, 0, sizeof(a));
		CHECK(inet_pton(fam, rev[i].addr, a) == 1);
		memset(buf, 0, sizeof(buf));
		CHECK_EQ_INT(ctl_dns_revname(rev[i].family, a, rev[i].zone, buf, sizeof(buf)),
			     rev[i].rc);
		if (rev[i].want)
			CHECK_EQ_STR(buf, rev[i].want);
	}
	/* tight buffers: the exact size fits, one less does not */
	inet_pton(AF_INET, "1.2.3.4", a);
	CHECK_EQ_INT(ctl_dns_revname(AF_INET, a, NULL, buf, 21), 0);
	CHECK_EQ_INT(ctl_dns_revname(AF_INET, a, NULL, buf, 20), -ENAMETOOLONG);
	/* a zone leaving no room for 32 nibbles */
	memset(zone, 0, sizeof(zone));
	for (i = 0; i < 4; i++)
		memcpy(zone + i * 51, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.", 51);
	zone[4 * 51 - 1] = '\0';       /* 203 characters */
	CHECK_EQ_INT(ctl_dns_revname(AF_INET, a, zone, buf, sizeof(buf)), 0);
	CHECK_EQ_INT(ctl_dns_revname(AF_INET6, a, zone, buf, sizeof(buf)), -ENAMETOOLONG);

	for (i = 0; i < sizeof(dom) / sizeof(dom[0]); i++) {
		memset(buf, 0, sizeof(buf));
		CHECK_EQ_INT(ctl_dns_domname(dom[i].dom, dom[i].zone, buf, sizeof(buf)), dom[i].rc);
		if (dom[i].want)
			CHECK_EQ_STR(buf, dom[i].want);
	}
	/* labels: 63 fine, 64 too long */
	memset(label, 'x', 63);
	memcpy(label + 63, ".com", 5);
	CHECK_EQ_INT(ctl_dns_domname(label, "dbl.test", buf, sizeof(buf)), 0);
	memset(label, 'x', 64);
	memcpy(label + 64, ".com", 5);
	CHECK_EQ_INT(ctl_dns_domname(label, "dbl.test", buf, sizeof(buf)), -ENAMETOOLONG);
	/* 244 + ".dbl.test" = 253 fits; one more does not */
	memset(longdom, 'b', 244);
	for (i = 60; i < 240; i += 61)
		longdom[i] = '.';      /* labels of 60, the last of 61 */
	longdom[244] = '\0';
	CHECK_EQ_INT(ctl_dns_domname(longdom, "dbl.test", buf, sizeof(buf)), 0);
	CHECK_EQ_INT((long long)strlen(buf), 253);
	longdom[244] = 'c';
	longdom[245] = '\0';
	CHECK_EQ_INT(ctl_dns_domname(longdom, "dbl.test", buf, sizeof(buf)), -ENAMETOOLONG);
	CHECK_EQ_INT(ctl_dns_domname("example.com", "dbl.test", buf, 20), -ENAMETOOLONG);
	CHECK_EQ_INT(ctl_dns_domname("example.com", "dbl.test", buf, 21), 0);
}

/* DNSBL answers from rbldnsd: TTL clamping, NXDOMAIN, TXT, cache, fresh. */
static void t_dnsbl(void)
{
	struct got g[8], h[4];
	const struct ctl_dns_stats *st;
	struct ctl_dns *d;
	uint64_t sent;
	int i;

	check_case = "dnsbl";
	d = make(rbl_port, 1000, 2, 100, 0);
	CHECK(d != NULL);
	if (!d)
		return;
	st = ctl_dns_stats(d);
	CHECK_EQ_INT(ask(d, "2.0.0.127.lo.bl.test", CTL_DNS_A, &g[0]), 0);
	CHECK_EQ_INT(ask(d, "2.0.0.127.hi.bl.test", CTL_DNS_A, &g[1]), 0);
	CHECK_EQ_INT(ask(d, "2.0.0.127.mid.bl.test", CTL_DNS_A, &g[2]), 0);
	CHECK_EQ_INT(ask(d, "3.0.0.127.lo.bl.test", CTL_DNS_A, &g[3]), 0);
	CHECK_EQ_INT(ask(d, "3.0.0.127.hi.bl.test", CTL_DNS_A, &g[4]), 0);
	CHECK_EQ_INT(ask(d, "3.0.0.127.mid.bl.test", CTL_DNS_A, &g[5]), 0);
	CHECK_EQ_INT(ask(d, "2.0.0.127.lo.bl.test", CTL_DNS_TXT, &g[6]), 0);
	CHECK_EQ_INT(ask(d, "2.0.0.127.mid.bl.test", CTL_DNS_TXT, &g[7]), 0);
	for (i = 0; i < 8; i++)
		CHECK_EQ_INT(g[i].called, 0);  /* nothing before process */
	CHECK_EQ_INT(ctl_dns_pending(d), 8);
	CHECK_EQ_INT(st->queued, 8);
	run(d, 3000);
	CHECK_EQ_INT(ctl_dns_pending(d), 0);
	for (i = 0; i < 8; i++) {
		CHECK_EQ_INT(g[i].called, 1);
		CHECK_EQ_INT(g[i].r.from_cache, 0);
	}
	/* listed, TTL 5 -> ttl_min 60; 100000 -> ttl_max 3600; 300 as is */
	CHECK_EQ_INT(g[0].r.status, CTL_DNS_OK);
	CHECK_EQ_INT(g[0].r.n_addrs, 1);
	CHECK(addr4_is(&g[0].r, 0, "127.0.0.2"));
	CHECK_EQ_INT(g[0].r.ttl, 60);
	CHECK_EQ_INT(g[1].r.status, CTL_DNS_OK);
	CHECK(addr4_is(&g[1].r, 0, "127.0.0.2"));
	CHECK_EQ_INT(g[1].r.ttl, 3600);
	CHECK_EQ_INT(g[2].r.status, CTL_DNS_OK);
	CHECK(addr4_is(&g[2].r, 0, "127.0.0.4"));
	CHECK_EQ_INT(g[2].r.ttl, 300);
	/* NXDOMAIN: min(SOA TTL, SOA minimum), clamped */
	for (i = 3; i < 6; i++) {
		CHECK_EQ_INT(g[i].r.status, CTL_DNS_NONE);
		CHECK_EQ_INT(g[i].r.n_addrs, 0);
		CHECK(g[i].r.error == NULL);
	}
	CHECK_EQ_INT(g[3].r.ttl, 60);      /* min(7200, 5) -> 60 */
	CHECK_EQ_INT(g[4].r.ttl, 3600);    /* 100000 -> 3600 */
	CHECK_EQ_INT(g[5].r.ttl, 600);     /* rbldnsd sends the SOA with TTL = minimum */
	CHECK_EQ_INT(g[6].r.status, CTL_DNS_OK);
	CHECK_EQ_STR(g[6].r.txt, "Listed in lo: 127.0.0.2");
	CHECK_EQ_INT(g[6].r.ttl, 60);
	CHECK_EQ_STR(g[7].r.txt, "Listed in mid");
	CHECK_EQ_INT(st->sent, 8);
	CHECK_EQ_INT(st->ok, 5);
	CHECK_EQ_INT(st->none, 3);
	CHECK_EQ_INT(st->errors, 0);
	CHECK_EQ_INT(st->cache_misses, 8);
	CHECK_EQ_INT(st->inflight, 0);

	/* again (case and trailing dot do not matter): from the cache */
	sent = st->sent;
	CHECK_EQ_INT(ask(d, "2.0.0.127.LO.bl.test.", CTL_DNS_A, &h[0]), 0);
	CHECK_EQ_INT(ask(d, "3.0.0.127.lo.bl.test", CTL_DNS_A, &h[1]), 0);
	CHECK_EQ_INT(ask(d, "2.0.0.127.lo.bl.test", CTL_DNS_TXT, &h[2]), 0);
	CHECK_EQ_INT(h[0].called + h[1].called + h[2].called, 0);
	CHECK_EQ_INT(ctl_dns_pending(d), 3);
	run(d, 1000);
	CHECK_EQ_INT(st->sent, sent);
	CHECK_EQ_INT(st->cache_hits, 3);
	CHECK_EQ_INT(h[0].called, 1);
	CHECK_EQ_INT(h[0].r.from_cache, 1);
	CHECK_EQ_INT(h[0].r.status, CTL_DNS_OK);
	CHECK(addr4_is(&h[0].r, 0, "127.0.0.2"));
	CHECK(h[0].r.ttl >= 58 && h[0].r.ttl <= 60);
	CHECK_EQ_INT(h[1].r.from_cache, 1);
	CHECK_EQ_INT(h[1].r.status, CTL_DNS_NONE);
	CHECK_EQ_INT(h[2].r.from_cache, 1);
	CHECK_EQ_STR(h[2].r.txt, "Listed in lo: 127.0.0.2");

	/* fresh: a wire query whatever the cache holds, and it refreshes it */
	CHECK_EQ_INT(ask_fresh(d, "2.0.0.127.lo.bl.test", CTL_DNS_A, &h[3]), 0);
	run(d, 2000);
	CHECK_EQ_INT(h[3].called, 1);
	CHECK_EQ_INT(h[3].r.from_cache, 0);
	CHECK_EQ_INT(h[3].r.status, CTL_DNS_OK);
	CHECK_EQ_INT(st->sent, sent + 1);
	CHECK_EQ_INT(ask(d, "2.0.0.127.lo.bl.test", CTL_DNS_A, &h[0]), 0);
	run(d, 1000);
	CHECK_EQ_INT(h[0].r.from_cache, 1);
	CHECK_EQ_INT(st->sent, sent + 1);

	/* an unusable name comes back as an error, later, like any answer */
	CHECK_EQ_INT(ask(d, "a..b.lo.bl.test", CTL_DNS_A, &h[1]), 0);
	CHECK_EQ_INT(h[1].called, 0);
	run(d, 1000);
	CHECK_EQ_INT(h[1].called, 1);
	CHECK_EQ_INT(h[1].r.status, CTL_DNS_ERROR);
	CHECK_EQ_STR(h[1].r.error, "badname");
	CHECK_EQ_INT(st->sent, sent + 1);
	CHECK_EQ_INT(st->queries, 8 + 3 + 1 + 1 + 1);
	ctl_dns_free(d);
}

/* 100 identical queries: one on the wire, 100 callbacks. */
static void t_merge(void)
{
	static struct got g[100];
	struct got t1, t2;
	const struct ctl_dns_stats *st;
	struct ctl_dns *d;
	int i, ok = 0;

	check_case = "merge";
	d = make(rbl_port, 1000, 2, 100, 0);
	CHECK(d != NULL);
	if (!d)
		return;
	st = ctl_dns_stats(d);
	for (i = 0; i < 100; i++)
		CHECK_EQ_INT(ask(d, i % 2 ? "2.0.0.127.hi.bl.test" : "2.0.0.127.HI.bl.test.",
				 CTL_DNS_A, &g[i]), 0);
	CHECK_EQ_INT(ask(d, "2.0.0.127.hi.bl.test", CTL_DNS_TXT, &t1), 0); /* other type */
	CHECK_EQ_INT(ctl_dns_pending(d), 101);
	CHECK_EQ_INT(st->queued, 2);
	CHECK_EQ_INT(st->merged, 99);
	run(d, 3000);
	/* once on the wire, still merged */
	CHECK_EQ_INT(ask_fresh(d, "3.0.0.127.hi.bl.test", CTL_DNS_A, &t2), 0);
	for (i = 0; i < 100; i++) {
		ok += g[i].called == 1 && g[i].r.status == CTL_DNS_OK &&
		      addr4_is(&g[i].r, 0, "127.0.0.2") && g[i].r.ttl == 3600 &&
		      !g[i].r.from_cache;
	}
	CHECK_EQ_INT(ok, 100);
	CHECK_EQ_INT(t1.called, 1);
	CHECK_EQ_STR(t1.r.txt, "Listed in hi");
	CHECK_EQ_INT(st->sent, 2);
	CHECK_EQ_INT(st->ok, 2);
	run(d, 3000);
	CHECK_EQ_INT(t2.called, 1);
	CHECK_EQ_INT(t2.r.status, CTL_DNS_NONE);
	CHECK_EQ_INT(st->sent, 3);
	CHECK_EQ_INT(cb_inside_query, 0);
	ctl_dns_free(d);
}

/* 500 distinct queries through a window of 10. */
static void t_inflight(void)
{
	struct got *g = calloc(500, sizeof(*g));
	const struct ctl_dns_stats *st;
	struct ctl_dns *d;
	char name[64];
	int i, ok = 0, none = 0, bad = 0;

	check_case = "inflight";
	CHECK(g != NULL);
	d = make(rbl_port, 1000, 2, 10, 0);
	CHECK(d != NULL);
	if (!d || !g) {
		ctl_dns_free(d);
		free(g);
		return;
	}
	st = ctl_dns_stats(d);
	for (i = 0; i < 500; i++) {
		/* 10.0.0.0/24 is listed, 10.0.1.0/24 is not */
		snprintf(name, sizeof(name), "%d.%d.0.10.lo.bl.test", i % 250, i / 250);
		CHECK_EQ_INT(ask(d, name, CTL_DNS_A, &g[i]), 0);
	}
	CHECK_EQ_INT(st->queued, 500);
	max_inflight_seen = 0;
	watch = st;
	run(d, 10000);
	watch = NULL;
	for (i = 0; i < 500; i++) {
		if (g[i].called != 1)
			bad++;
		else if (i < 250 && g[i].r.status == CTL_DNS_OK && addr4_is(&g[i].r, 0, "127.0.0.2"))
			ok++;
		else if (i >= 250 && g[i].r.status == CTL_DNS_NONE)
			none++;
	}
	CHECK_EQ_INT(bad, 0);
	CHECK_EQ_INT(ok, 250);
	CHECK_EQ_INT(none, 250);
	CHECK_EQ_INT(max_inflight_seen, 10);   /* the window is used, never exceeded */
	CHECK_EQ_INT(st->sent, 500);
	CHECK_EQ_INT(st->inflight, 0);
	CHECK_EQ_INT(st->queued, 0);
	CHECK_EQ_INT(ctl_dns_pending(d), 0);
	ctl_dns_free(d);
	free(g);
}

/* PTR, A, AAAA, NODATA, NXDOMAIN and REFUSED from unbound. */
static void t_unbound(void)
{
	struct got g[11];
	const struct ctl_dns_stats *st;
	struct ctl_dns *d;
	uint8_t a[16];
	char rev4[80], rev4b[80], rev6[100];
	struct in6_addr want6;
	uint64_t t0;
	int i;

	check_case = "unbound";
	d = make(ub_port, 1000, 2, 100, 0);
	CHECK(d != NULL);
	if (!d)
		return;
	st = ctl_dns_stats(d);
	memset(a, 0, sizeof(a));
	inet_pton(AF_INET, "127.0.0.5", a);
	CHECK_EQ_INT(ctl_dns_revname(AF_INET, a, NULL, rev4, sizeof(rev4)), 0);
	inet_pton(AF_INET, "127.0.0.6", a);
	CHECK_EQ_INT(ctl_dns_revname(AF_INET, a, NULL, rev4b, sizeof(rev4b)), 0);
	inet_pton(AF_INET6, "2001:db8::a", a);
	CHECK_EQ_INT(ctl_dns_revname(AF_INET6, a, NULL, rev6, sizeof(rev6)), 0);
	CHECK_EQ_INT(ask(d, rev4, CTL_DNS_PTR, &g[0]), 0);
	CHECK_EQ_INT(ask(d, rev4b, CTL_DNS_PTR, &g[1]), 0);
	CHECK_EQ_INT(ask(d, rev6, CTL_DNS_PTR, &g[2]), 0);
	CHECK_EQ_INT(ask(d, "mx.example.test", CTL_DNS_A, &g[3]), 0);
	CHECK_EQ_INT(ask(d, "mx.example.test", CTL_DNS_AAAA, &g[4]), 0);
	CHECK_EQ_INT(ask(d, "mx.example.test", CTL_DNS_TXT, &g[5]), 0);   /* NODATA */
	CHECK_EQ_INT(ask(d, "nothere.example.test", CTL_DNS_A, &g[6]), 0);
	CHECK_EQ_INT(ask(d, "lo.example.test", CTL_DNS_A, &g[7]), 0);
	CHECK_EQ_INT(ask(d, "7.0.0.127.in-addr.arpa", CTL_DNS_PTR, &g[8]), 0);
	t0 = now_ms();
	run(d, 3000);
	for (i = 0; i < 9; i++)
		CHECK_EQ_INT(g[i].called, 1);
	CHECK_EQ_INT(g[0].r.status, CTL_DNS_OK);
	CHECK_EQ_INT(g[0].r.n_names, 1);
	CHECK_EQ_STR(g[0].r.names[0], "mx.example.test");
	CHECK_EQ_INT(g[0].r.ttl, 300);
	CHECK_EQ_INT(g[1].r.status, CTL_DNS_OK);
	CHECK_EQ_INT(g[1].r.n_names, 2);
	CHECK((!strcmp(g[1].r.names[0], "a.example.test") &&
	       !strcmp(g[1].r.names[1], "b.example.test")) ||
	      (!strcmp(g[1].r.names[0], "b.example.test") &&
	       !strcmp(g[1].r.names[1], "a.example.test")));
	CHECK_EQ_INT(g[2].r.status, CTL_DNS_OK);
	CHECK_EQ_INT(g[2].r.n_names, 1);
	CHECK_EQ_STR(g[2].r.names[0], "mx.example.test");
	CHECK_EQ_INT(g[3].r.status, CTL_DNS_OK);
	CHECK_EQ_INT(g[3].r.n_addrs, 2);
	CHECK((addr4_is(&g[3].r, 0, "192.0.2.10") && addr4_is(&g[3].r, 1, "192.0.2.11")) ||
	      (addr4_is(&g[3].r, 0, "192.0.2.11") && addr4_is(&g[3].r, 1, "192.0.2.10")));
	CHECK_EQ_INT(g[3].r.ttl, 300);
	inet_pton(AF_INET6, "2001:db8::a", &want6);
	CHECK_EQ_INT(g[4].r.status, CTL_DNS_OK);
	CHECK_EQ_INT(g[4].r.n_addrs, 1);
	CHECK(memcmp(g[4].r.addrs[0], &want6, 16) == 0);
	CHECK_EQ_INT(g[4].r.ttl, 200);
	CHECK_EQ_INT(g[5].r.status, CTL_DNS_NONE);
	CHECK_EQ_INT(g[5].r.ttl, 700);     /* min(SOA TTL 700, minimum 900) */
	CHECK_EQ_INT(g[6].r.status, CTL_DNS_NONE);
	CHECK_EQ_INT(g[6].r.ttl, 700);
	CHECK_EQ_INT(g[7].r.status, CTL_DNS_OK);
	CHECK_EQ_INT(g[7].r.ttl, 60);      /* TTL 2 -> ttl_min */
	CHECK_EQ_INT(g[8].r.status, CTL_DNS_NONE);
	CHECK_EQ_INT(g[8].r.ttl, 60);      /* no SOA in the reply: ttl_min */
	CHECK_EQ_INT(st->sent, 9);

	/* REFUSED: an error at once, not after retries */
	t0 = now_ms();
	CHECK_EQ_INT(ask(d, "x.refused.test", CTL_DNS_A, &g[9]), 0);
	run(d, 3000);
	CHECK_EQ_INT(g[9].called, 1);
	CHECK_EQ_INT(g[9].r.status, CTL_DNS_ERROR);
	CHECK(g[9].r.error && !strcmp(g[9].r.error, "refused"));
	CHECK_EQ_INT(g[9].r.ttl, 30);
	CHECK(now_ms() - t0 < 900);
	CHECK_EQ_INT(st->errors, 1);
	CHECK_EQ_INT(st->timeouts, 0);
	/* errors are cached for error_ttl too */
	CHECK_EQ_INT(ask(d, "X.refused.test", CTL_DNS_A, &g[9]), 0);
	run(d, 1000);
	CHECK_EQ_INT(g[9].r.from_cache, 1);
	CHECK_EQ_STR(g[9].r.error, "refused");
	CHECK_EQ_INT(st->sent, 10);

	/* SERVFAIL (unbound's forwarder is refused by rbldnsd) */
	t0 = now_ms();
	CHECK_EQ_INT(ask(d, "x.sf.test", CTL_DNS_A, &g[10]), 0);
	run(d, 3000);
	CHECK_EQ_INT(g[10].called, 1);
	CHECK_EQ_INT(g[10].r.status, CTL_DNS_ERROR);
	CHECK(g[10].r.error && !strcmp(g[10].r.error, "servfail"));
	CHECK(now_ms() - t0 < 900);
	CHECK_EQ_INT(st->errors, 2);
	ctl_dns_free(d);
}

/* An IPv6 resolver on a port other than 53 ("[::1]:port" for c-ares). */
static void t_v6_server(void)
{
	struct got g;
	struct ctl_dns *d;

	check_case = "v6 server";
	if (!have_v6) {
		printf("note: no IPv6 loopback, [::1] resolver not tested\n");
		return;
	}
	d = make_at("::1", ub_port, 1000, 2, 10, 0);
	CHECK(d != NULL);
	if (!d)
		return;
	CHECK_EQ_INT(ask(d, "mx.example.test", CTL_DNS_AAAA, &g), 0);
	run(d, 3000);
	CHECK_EQ_INT(g.called, 1);
	CHECK_EQ_INT(g.r.status, CTL_DNS_OK);
	CHECK_EQ_INT(g.r.n_addrs, 1);
	CHECK_EQ_INT(ctl_dns_stats(d)->sent, 1);
	ctl_dns_free(d);
}

/* A server that never answers: "timeout", cached for error_ttl. */
static void t_timeout(void)
{
	struct got g, h;
	const struct ctl_dns_stats *st;
	struct ctl_dns *d;
	uint64_t t0, dt;

	check_case = "timeout";
	d = make(silent_port, 300, 1, 10, 0);
	CHECK(d != NULL);
	if (!d)
		return;
	st = ctl_dns_stats(d);
	t0 = now_ms();
	CHECK_EQ_INT(ask(d, "2.0.0.127.lo.bl.test", CTL_DNS_A, &g), 0);
	run(d, 3000);
	dt = now_ms() - t0;
	CHECK_EQ_INT(g.called, 1);
	CHECK_EQ_INT(g.r.status, CTL_DNS_ERROR);
	CHECK(g.r.error && !strcmp(g.r.error, "timeout"));
	CHECK_EQ_INT(g.r.ttl, 30);
	CHECK(dt >= 250 && dt < 2000);
	CHECK_EQ_INT(st->timeouts, 1);
	CHECK_EQ_INT(st->errors, 1);
	CHECK_EQ_INT(ask(d, "2.0.0.127.lo.bl.test", CTL_DNS_A, &h), 0);
	run(d, 1000);
	CHECK_EQ_INT(h.called, 1);
	CHECK_EQ_INT(h.r.from_cache, 1);
	CHECK_EQ_INT(h.r.status, CTL_DNS_ERROR);
	CHECK(h.r.error && !strcmp(h.r.error, "timeout"));
	CHECK(h.r.ttl >= 29 && h.r.ttl <= 30);
	CHECK_EQ_INT(st->sent, 1);
	ctl_dns_free(d);
}

/* A callback run by ctl_dns_free that asks again. */
static struct got again;

static void on_result_ask_again(void *arg, const struct ctl_dns_result *r)
{
	struct got *g = arg;

	on_result(arg, r);
	in_query = 1;
	CHECK_EQ_INT(ctl_dns_query(g->d, "again.lo.bl.test", CTL_DNS_A, on_result, &again), 0);
	in_query = 0;
}

/* ctl_dns_free: waiters in flight, queued and undelivered get "shutdown". */
static void t_shutdown(void)
{
	struct got g[4];
	struct ctl_dns *d;
	int i;

	check_case = "shutdown";
	d = make(silent_port, 5000, 1, 1, 0);
	CHECK(d != NULL);
	if (!d)
		return;
	CHECK_EQ_INT(ask(d, "a.lo.bl.test", CTL_DNS_A, &g[0]), 0);
	CHECK_EQ_INT(ask(d, "a.lo.bl.test", CTL_DNS_A, &g[1]), 0);  /* merged */
	CHECK_EQ_INT(ask(d, "b.lo.bl.test", CTL_DNS_A, &g[2]), 0);  /* waits: window of 1 */
	ctl_dns_process(d, NULL, 0);       /* a goes on the wire */
	CHECK_EQ_INT(ctl_dns_stats(d)->inflight, 1);
	CHECK_EQ_INT(ctl_dns_stats(d)->queued, 1);
	memset(&g[3], 0, sizeof(g[3]));
	memset(&again, 0, sizeof(again));
	g[3].d = d;
	in_query = 1;
	CHECK_EQ_INT(ctl_dns_query(d, "c.lo.bl.test", CTL_DNS_A, on_result_ask_again, &g[3]), 0);
	in_query = 0;
	CHECK_EQ_INT(ctl_dns_pending(d), 4);
	ctl_dns_free(d);
	for (i = 0; i < 4; i++) {
		CHECK_EQ_INT(g[i].called, 1);
		CHECK_EQ_INT(g[i].r.status, CTL_DNS_ERROR);
		CHECK(g[i].r.error && !strcmp(g[i].r.error, "shutdown"));
	}
	CHECK_EQ_INT(again.called, 1);
	CHECK(again.r.error && !strcmp(again.r.error, "shutdown"));
	ctl_dns_free(NULL);
}

/* LRU: with room for 2 answers, the least recently used goes. */
static void t_lru(void)
{
	struct got g;
	const struct ctl_dns_stats *st;
	struct ctl_dns *d;

	check_case = "lru";
	d = make(rbl_port, 1000, 2, 10, 2);
	CHECK(d != NULL);
	if (!d)
		return;
	st = ctl_dns_stats(d);
	ask(d, "1.0.0.10.lo.bl.test", CTL_DNS_A, &g);
	run(d, 2000);
	ask(d, "2.0.0.10.lo.bl.test", CTL_DNS_A, &g);
	run(d, 2000);
	ask(d, "1.0.0.10.lo.bl.test", CTL_DNS_A, &g);      /* 1 is now the newest */
	run(d, 2000);
	CHECK_EQ_INT(g.r.from_cache, 1);
	ask(d, "3.0.0.10.lo.bl.test", CTL_DNS_A, &g);      /* evicts 2 */
	run(d, 2000);
	CHECK_EQ_INT(st->sent, 3);
	ask(d, "1.0.0.10.lo.bl.test", CTL_DNS_A, &g);
	run(d, 2000);
	CHECK_EQ_INT(g.r.from_cache, 1);
	CHECK_EQ_INT(st->sent, 3);
	ask(d, "2.0.0.10.lo.bl.test", CTL_DNS_A, &g);
	run(d, 2000);
	CHECK_EQ_INT(g.called, 1);
	CHECK_EQ_INT(g.r.from_cache, 0);
	CHECK_EQ_INT(g.r.status, CTL_DNS_OK);
	CHECK_EQ_INT(st->sent, 4);
	ctl_dns_free(d);
}

static void t_create(void)
{
	struct ctl_dns_params p;
	struct ctl_resolver srv[2];

	check_case = "create";
	memset(&p, 0, sizeof(p));
	memset(srv, 0, sizeof(srv));
	p.ttl_min = 100;
	p.ttl_max = 10;
	CHECK(ctl_dns_create(&p) == NULL);
	p.ttl_max = 1000;
	snprintf(srv[0].host, sizeof(srv[0].host), "not-an-address");
	p.servers = srv;
	p.n_servers = 1;
	CHECK(ctl_dns_create(&p) == NULL);
	/* v4 and v6 literals with ports */
	snprintf(srv[0].host, sizeof(srv[0].host), "127.0.0.1");
	srv[0].port = 5353;
	snprintf(srv[1].host, sizeof(srv[1].host), "::1");
	srv[1].port = 5354;
	p.n_servers = 2;
	{
		struct ctl_dns *d = ctl_dns_create(&p);

		CHECK(d != NULL);
		ctl_dns_free(d);
	}
}

int main(void)
{
	if (access(RBLDNSD, X_OK) != 0 || access(UNBOUND, X_OK) != 0) {
		printf("SKIP: needs %s and %s\n", RBLDNSD, UNBOUND);
		return 77;
	}
	signal(SIGPIPE, SIG_IGN);
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/mxs-dns-XXXXXX");
	if (!mkdtemp(tmpdir) || chmod(tmpdir, 0755) < 0) {   /* rbldnsd runs as rbldns */
		perror("mkdtemp");
		return 1;
	}
	guard_start();
	t_names();
	t_create();
	check_case = "servers";
	if (start_rbldnsd() < 0 || start_unbound() < 0 || start_silent() < 0) {
		fprintf(stderr, "cannot start the test servers\n");
		cleanup();
		return 1;
	}
	t_dnsbl();
	t_merge();
	t_inflight();
	t_unbound();
	t_v6_server();
	t_timeout();
	t_shutdown();
	t_lru();
	check_case = "reentrancy";
	CHECK_EQ_INT(cb_inside_query, 0);
	cleanup();
	CHECK_DONE();
}
