/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dp_capture: checks a capture file with libpcap before DPDK opens it, so a
 * bad file is a clean one-line error rather than a PMD failure, and learns
 * its link type and packet count (the end-of-replay condition). Kept in its
 * own translation unit: <pcap/pcap.h> clashes with <linux/bpf.h>.
 * Main thread only, at start-up.
 */
#ifndef DP_CAPTURE_H
#define DP_CAPTURE_H

#include <stddef.h>
#include <stdint.h>

struct dp_capture_info {
	int linktype;        /* LINKTYPE_* of the file */
	uint64_t packets;    /* records in the file */
	uint64_t bytes;      /* captured bytes */
};

/*
 * Open @path, read it through once. Returns 0, or -errno with a reason in
 * @err: -ENOENT / -EACCES for open errors, -EINVAL when it is not a
 * pcap/pcapng capture, -EPROTO when the file is truncated or corrupt.
 */
int dp_capture_probe(const char *path, struct dp_capture_info *ret,
		     char *err, size_t errlen);

#endif
