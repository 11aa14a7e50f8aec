/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_conf: ctl_conf_load on an mxscreend configuration file (the whole
 * input, through a memfd: ctl_conf reads files only). The default
 * resolvers come from a fixed file (MXS_RESOLV_CONF), not the host's.
 *
 * Checks: an error has a "FILE[:LINE]: reason" message and no config; a
 * config's counts, strings and ranges are within their documented bounds,
 * its thresholds in order, and its CIDRs contain their own address.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "ctl_conf.h"
#include "fuzz_main.h"
#include "fz_util.h"

#define TERMINATED(a) (memchr((a), '\0', sizeof(a)) != NULL)

static void check_cidrs(const struct ctl_cidr *c, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		FZ_CHECK(c[i].family == 4 || c[i].family == 6);
		FZ_CHECK(c[i].prefix_len <= (c[i].family == 4 ? 32 : 128));
		FZ_CHECK(ctl_cidr_contains(&c[i], c[i].family, c[i].addr) == 1);
	}
}

static void check_sites(const struct ctl_site *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		FZ_CHECK(TERMINATED(s[i].zone) && s[i].zone[0] != '\0');
		FZ_CHECK(s[i].weight >= -CTL_WEIGHT_MAX && s[i].weight <= CTL_WEIGHT_MAX);
	}
}

static void check(const struct ctl_conf *c)
{
	check_sites(c->dnsbl, c->n_dnsbl);
	check_sites(c->rhsbl, c->n_rhsbl);
	FZ_CHECK(c->n_resolvers >= 1 && c->n_resolvers <= CTL_MAX_RESOLVERS);
	FZ_CHECK(c->n_list_resolvers <= CTL_MAX_RESOLVERS);
	for (size_t i = 0; i < c->n_resolvers; i++)
		FZ_CHECK(TERMINATED(c->resolvers[i].host) && c->resolvers[i].host[0]);
	for (size_t i = 0; i < c->n_list_resolvers; i++)
		FZ_CHECK(TERMINATED(c->list_resolvers[i].host) && c->list_resolvers[i].host[0]);
	for (size_t i = 0; i < c->n_local_zones; i++) {
		FZ_CHECK(TERMINATED(c->local_zones[i].zone) && TERMINATED(c->local_zones[i].path));
		FZ_CHECK(c->local_zones[i].type >= CTL_ZONE_IP4SET &&
			 c->local_zones[i].type <= CTL_ZONE_DNSET);
	}
	check_cidrs(c->allow, c->n_allow);
	check_cidrs(c->deny, c->n_deny);
	FZ_CHECK(c->score_tag <= c->score_throttle && c->score_throttle <= c->score_drop);
	FZ_CHECK(c->cache_ttl_min <= c->cache_ttl_max);
	FZ_CHECK(c->ipv6_prefix == 64 || c->ipv6_prefix == 128);
	FZ_CHECK(c->tag_dscp >= 0 && c->tag_dscp <= 63);
	FZ_CHECK(c->n_smtp_ports <= MXS_BPF_MAX_PORTS);
	FZ_CHECK(c->n_xdp_ifaces <= CTL_MAX_IFACES && c->n_tc_ifaces <= CTL_MAX_IFACES);
	for (size_t i = 0; i < c->n_xdp_ifaces; i++)
		FZ_CHECK(TERMINATED(c->xdp_ifaces[i]));
	for (size_t i = 0; i < c->n_tc_ifaces; i++)
		FZ_CHECK(TERMINATED(c->tc_ifaces[i]));
	FZ_CHECK(c->xdp_mode >= CTL_XDP_AUTO && c->xdp_mode <= CTL_XDP_GENERIC);
	FZ_CHECK(TERMINATED(c->dataplane_socket) && TERMINATED(c->control_socket));
	FZ_CHECK(TERMINATED(c->control_group) && TERMINATED(c->metrics_listen));
	FZ_CHECK(TERMINATED(c->manual_verdicts) && TERMINATED(c->verdict_log));
	FZ_CHECK(TERMINATED(c->bpf_pin_dir));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char resolv[] = "nameserver 192.0.2.53\nnameserver 2001:db8::53\n";
	static char resolv_path[64];
	struct ctl_conf *c = NULL;
	char err[4352];
	const char *path;
	int rc;

	if (!resolv_path[0]) {
		/* A memfd of its own: fz_file's holds the input. */
		int fd = memfd_create("fuzz-resolv", MFD_CLOEXEC);

		FZ_CHECK(fd >= 0);
		FZ_CHECK(write(fd, resolv, sizeof(resolv) - 1) == (ssize_t)sizeof(resolv) - 1);
		snprintf(resolv_path, sizeof(resolv_path), "/proc/self/fd/%d", fd);
		setenv("MXS_RESOLV_CONF", resolv_path, 1);
	}
	path = fz_file(data, size);
	FZ_CHECK(path != NULL);
	err[0] = '\0';
	rc = ctl_conf_load(path, &c, err, sizeof(err));
	if (rc < 0) {
		FZ_CHECK(c == NULL);
		FZ_CHECK(!strncmp(err, path, strlen(path)) && err[strlen(path)] == ':');
		return 0;
	}
	FZ_CHECK(rc == 0 && c != NULL);
	check(c);
	ctl_conf_free(c);
	return 0;
}
