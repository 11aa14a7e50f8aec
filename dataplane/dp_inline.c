/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dp_inline: the inline program's SMTP ports (see dp_inline.h).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "mxscreen/bpf.h"
#include "dp_inline.h"

int dp_inline_smtp_ports(const char *pin_dir, const uint16_t *ports, uint32_t n,
			 char *err, size_t errlen)
{
	struct mxs_bpf_config cfg;
	char path[PATH_MAX];
	uint32_t zero = 0;
	int fd, r = 0, set = 0;

	if ((size_t)snprintf(path, sizeof(path), "%s/config", pin_dir) >= sizeof(path)) {
		snprintf(err, errlen, "%s: path too long", pin_dir);
		return -ENAMETOOLONG;
	}
	fd = bpf_obj_get(path);
	if (fd < 0) {
		r = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(-r));
		return r;
	}
	if (bpf_map_lookup_elem(fd, &zero, &cfg) != 0) {
		r = -errno;
		snprintf(err, errlen, "%s: read: %s", path, strerror(-r));
		goto out;
	}
	for (unsigned i = 0; i < MXS_BPF_MAX_PORTS; i++)
		set |= cfg.smtp_ports[i] != 0;
	if (set)
		goto out;
	for (uint32_t i = 0; i < n && i < MXS_BPF_MAX_PORTS; i++)
		cfg.smtp_ports[i] = ports[i];
	if (bpf_map_update_elem(fd, &zero, &cfg, BPF_EXIST) != 0) {
		r = -errno;
		snprintf(err, errlen, "%s: write: %s", path, strerror(-r));
		goto out;
	}
	r = 1;
out:
	close(fd);
	return r;
}
