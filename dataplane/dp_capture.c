/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dp_capture: libpcap pre-pass over a replay file (see dp_capture.h).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <unistd.h>

#include <pcap/pcap.h>

#include "dp_capture.h"

int dp_capture_probe(const char *path, struct dp_capture_info *ret,
		     char *err, size_t errlen)
{
	char ebuf[PCAP_ERRBUF_SIZE] = "";
	struct pcap_pkthdr *h;
	const u_char *data;
	struct stat st;
	pcap_t *p;
	int fd, r;

	memset(ret, 0, sizeof(*ret));
	/* libpcap's messages for open errors vary; report errno ourselves. */
	fd = open(path, O_RDONLY);
	if (fd < 0) {
		r = errno;
		snprintf(err, errlen, "%s: %s", path, strerror(r));
		return -r;
	}
	if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
		close(fd);
		snprintf(err, errlen, "%s: is a directory, not a capture file", path);
		return -EINVAL;
	}
	close(fd);
	p = pcap_open_offline(path, ebuf);
	if (!p) {
		snprintf(err, errlen, "%s: not a pcap or pcapng capture (%s)", path, ebuf);
		return -EINVAL;
	}
	ret->linktype = pcap_datalink(p);
	while ((r = pcap_next_ex(p, &h, &data)) == 1) {
		ret->packets++;
		ret->bytes += h->caplen;
	}
	if (r == PCAP_ERROR) {
		snprintf(err, errlen, "%s: corrupt capture after %llu packets (%s)",
			 path, (unsigned long long)ret->packets, pcap_geterr(p));
		pcap_close(p);
		return -EPROTO;
	}
	pcap_close(p);
	return 0;
}
