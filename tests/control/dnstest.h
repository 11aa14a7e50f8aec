/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Test-only helpers for control-plane tests that need real DNS servers on
 * loopback; include it from one test program (everything is static).
 *
 * Starts, in a private directory under /tmp (dnstest_init):
 *   - rbldnsd serving the zones a test gives it (start_rbldnsd: rbl_pid,
 *     rbl_port), for DNSBL/RHSBL A and TXT answers, NXDOMAIN, and REFUSED
 *     for names outside its zones;
 *   - unbound with fixed local data (start_unbound: ub_pid, ub_port, also
 *     [::1] when have_v6): example.test A/AAAA (mx. -> 192.0.2.10, .11,
 *     2001:db8::a; lo. -> 192.0.2.12, TTL 2), SOA TTL 700 for NODATA and
 *     NXDOMAIN, PTR 127.0.0.5 -> mx.example.test, 127.0.0.6 ->
 *     a.example.test + b.example.test (neither resolves), 2001:db8::a ->
 *     mx.example.test, 127.0.0.0/8 otherwise NXDOMAIN; refused.test
 *     REFUSED; sf.test forwarded to rbldnsd, which refuses it: SERVFAIL
 *     (so start rbldnsd first);
 *   - a bound UDP socket nobody reads (start_silent: silent_port), for
 *     timeouts;
 *   - a lossy responder (start_lossy: lossy_pid, lossy_port), a forked
 *     child answering every query NXDOMAIN, in order, except that it drops
 *     the first query for each name starting with "drop".
 * make()/make_at() build a ctl_dns client pointed at one of them.
 *
 * Cleanup: cleanup() stops the servers, removes the directory and tells
 * the guard all is well; a failed CHECK does not stop a test, so main
 * calls it once at the end. If the test dies before that (crash, abort,
 * signal, exit), a guardian child started by dnstest_init, holding the
 * read end of a pipe, sees the pipe close without "done", SIGKILLs every
 * server still registered and removes the directory. (Servers also get
 * PR_SET_PDEATHSIG, but rbldnsd drops privileges, which clears it.)
 * Single-threaded.
 */
#ifndef MXS_TEST_DNSTEST_H
#define MXS_TEST_DNSTEST_H

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

#include "ctl_dns.h"

#define RBLDNSD "/usr/sbin/rbldnsd"
#define UNBOUND "/usr/sbin/unbound"
#define DNSTEST_MAX_ZONES 8

/* static, and fine for a program to leave some unused */
#define DNSTEST_FN static __attribute__((unused))

/* One rbldnsd zone: served as @zone, @type (ip4set, dnset, ...), from
 * @file in the test directory, which start_rbldnsd fills with @text. */
struct dnstest_zone {
	const char *zone, *type, *file, *text;
};

static char tmpdir[64];
static int guard_fd = -1;
static pid_t guard_pid = -1;
static pid_t rbl_pid = -1, ub_pid = -1, lossy_pid = -1;
static uint16_t rbl_port, ub_port, silent_port, lossy_port;
static int silent_fd = -1;
static int have_v6;                    /* unbound also listens on [::1] */

/* ---- time, files, processes ---- */

DNSTEST_FN uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

DNSTEST_FN void sleep_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

DNSTEST_FN void path_of(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", tmpdir, name);
}

DNSTEST_FN int write_file(const char *name, const char *fmt, ...)
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

DNSTEST_FN void dump_file(const char *name)
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
DNSTEST_FN void remove_tmpdir(void)
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

DNSTEST_FN void guard_send(int32_t v)
{
	if (guard_fd >= 0 && write(guard_fd, &v, sizeof(v)) != sizeof(v))
		perror("guard write");
}

/*
 * Once our end of the pipe closes without the "done" message (0), kill
 * whatever is still registered and remove tmpdir.
 */
DNSTEST_FN void guard_start(void)
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

DNSTEST_FN void guard_stop(void)
{
	guard_send(0);
	if (guard_fd >= 0)
		close(guard_fd);
	guard_fd = -1;
	if (guard_pid > 0)
		waitpid(guard_pid, NULL, 0);
	guard_pid = -1;
}

DNSTEST_FN pid_t spawn(char *const argv[], const char *log)
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

DNSTEST_FN void stop(pid_t *pidp)
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
DNSTEST_FN uint16_t free_port(void)
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
DNSTEST_FN int probe(uint16_t port, const char *name, int type, int wait_ms)
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
DNSTEST_FN int wait_ready(pid_t pid, uint16_t port, const char *name)
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


/*
 * rbldnsd on a free loopback port serving @zones (up to DNSTEST_MAX_ZONES),
 * ready once it answers @ready_name (an A query). 0, or -1 with its log
 * on stderr.
 */
DNSTEST_FN int start_rbldnsd(const struct dnstest_zone *zones, size_t n, const char *ready_name)
{
	char spec[DNSTEST_MAX_ZONES][200], path[128], bind[32];
	char *argv[10 + DNSTEST_MAX_ZONES];
	size_t i;
	int k;

	if (n > DNSTEST_MAX_ZONES)
		return -1;
	for (i = 0; i < n; i++) {
		if (write_file(zones[i].file, "%s", zones[i].text) < 0)
			return -1;
		path_of(path, sizeof(path), zones[i].file);
		snprintf(spec[i], sizeof(spec[i]), "%s:%s:%s", zones[i].zone, zones[i].type, path);
	}
	for (int attempt = 0; attempt < 3; attempt++) {
		rbl_port = free_port();
		snprintf(bind, sizeof(bind), "127.0.0.1/%u", rbl_port);
		k = 0;
		argv[k++] = RBLDNSD;
		argv[k++] = "-n";
		argv[k++] = "-4";
		argv[k++] = "-c";
		argv[k++] = "0";
		argv[k++] = "-b";
		argv[k++] = bind;
		argv[k++] = "-w";
		argv[k++] = tmpdir;
		for (i = 0; i < n; i++)
			argv[k++] = spec[i];
		argv[k] = NULL;
		rbl_pid = spawn(argv, "rbldnsd.log");
		if (rbl_pid > 0 && wait_ready(rbl_pid, rbl_port, ready_name) == 0)
			return 0;
		stop(&rbl_pid);
	}
	dump_file("rbldnsd.log");
	return -1;
}

DNSTEST_FN int v6_loopback(void)
{
	struct sockaddr_in6 sa = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	int fd = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0), ok;

	if (fd < 0)
		return 0;
	ok = bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
	close(fd);
	return ok;
}

DNSTEST_FN int start_unbound(void)
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
DNSTEST_FN int start_silent(void)
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

/* The lossy responder's loop (the child): NXDOMAIN for everything, in
 * the order asked, but the first query for a name "drop..." is dropped. */
DNSTEST_FN void lossy_serve(int fd)
{
	static char seen[512][64];
	size_t n_seen = 0;
	unsigned char m[512];

	for (;;) {
		struct sockaddr_storage from;
		socklen_t fl = sizeof(from);
		ssize_t n = recvfrom(fd, m, sizeof(m), 0, (struct sockaddr *)&from, &fl);
		char name[64];
		size_t off = 12, nl = 0, i;
		int drop = 0;

		if (n < 17)
			continue;
		while (off < (size_t)n && m[off] && nl + m[off] + 1 < sizeof(name)) {
			memcpy(name + nl, m + off + 1, m[off]);
			nl += m[off];
			name[nl++] = '.';
			off += 1u + m[off];
		}
		name[nl] = '\0';
		if (off >= (size_t)n || m[off] || off + 5 > (size_t)n)
			continue;
		if (!strncmp(name, "drop", 4)) {
			for (i = 0; i < n_seen && strcmp(seen[i], name); i++)
				;
			if (i == n_seen && n_seen < 512) {
				snprintf(seen[n_seen++], sizeof(seen[0]), "%s", name);
				drop = 1;
			}
		}
		if (drop)
			continue;
		/* header + question: QR, RD as asked, RA, NXDOMAIN, no records */
		m[2] = (unsigned char)(0x80 | (m[2] & 0x01));
		m[3] = 0x83;
		memset(m + 6, 0, 6);
		sendto(fd, m, off + 5, 0, (struct sockaddr *)&from, fl);
	}
}

/* Fork the lossy responder on a free loopback port. 0 or -1. */
DNSTEST_FN int start_lossy(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sa);
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &sl) < 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	lossy_port = ntohs(sa.sin_port);
	fflush(NULL);
	lossy_pid = fork();
	if (lossy_pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		lossy_serve(fd);
		_exit(0);
	}
	close(fd);
	if (lossy_pid < 0)
		return -1;
	guard_send(lossy_pid);
	return 0;
}

/* Datagrams the kernel dropped at the UDP socket bound to 127.0.0.1:@port
 * (its receive buffer was full), from /proc/net/udp; -1 unknown. */
DNSTEST_FN long long udp_drops(uint16_t port)
{
	char line[512], want[32], local[64];
	long long sum = -1, d;
	FILE *f = fopen("/proc/net/udp", "r");

	if (!f)
		return -1;
	snprintf(want, sizeof(want), "0100007F:%04X", port);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, " %*s %63s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %lld", local,
			   &d) == 2 && !strcmp(local, want))
			sum = (sum < 0 ? 0 : sum) + d;
	fclose(f);
	return sum;
}

DNSTEST_FN void cleanup(void)
{
	stop(&rbl_pid);
	stop(&ub_pid);
	stop(&lossy_pid);
	if (silent_fd >= 0)
		close(silent_fd);
	silent_fd = -1;
	remove_tmpdir();
	guard_stop();
}

/* 1 when rbldnsd and unbound are installed (else the test exits 77). */
DNSTEST_FN int dnstest_have_servers(void)
{
	return access(RBLDNSD, X_OK) == 0 && access(UNBOUND, X_OK) == 0;
}

/* Ignore SIGPIPE, make /tmp/mxs-@tag-XXXXXX, start the guard. 0 or -1. */
DNSTEST_FN int dnstest_init(const char *tag)
{
	signal(SIGPIPE, SIG_IGN);
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/mxs-%s-XXXXXX", tag);
	if (!mkdtemp(tmpdir) || chmod(tmpdir, 0755) < 0) {   /* rbldnsd runs as rbldns */
		perror("mkdtemp");
		tmpdir[0] = '\0';
		return -1;
	}
	guard_start();
	return 0;
}

/* ---- ctl_dns clients ---- */

/* One server; TTLs clamped to 60..3600, errors cached 30 s. */
DNSTEST_FN struct ctl_dns *make_at(const char *host, uint16_t port, uint32_t timeout_ms,
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

DNSTEST_FN struct ctl_dns *make(uint16_t port, uint32_t timeout_ms, uint32_t tries,
				uint32_t max_inflight, uint32_t cache_max)
{
	return make_at("127.0.0.1", port, timeout_ms, tries, max_inflight, cache_max);
}

#endif
