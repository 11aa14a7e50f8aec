/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dp_inline: what mxscreen-dp --inline adds to the kernel side prepared by
 * mxs_inline_prepare() (bpf/mxs_inline_load.h): the SMTP ports the XDP
 * program hands to mxscreen-dp. libbpf only, no DPDK (the BPF map layouts'
 * <linux/types.h> stays out of DPDK translation units). Main thread, start
 * up only; returns -errno with a one-line reason in err, never logs.
 */
#ifndef DP_INLINE_H
#define DP_INLINE_H

#include <stddef.h>
#include <stdint.h>

/*
 * The pinned config map under @pin_dir (the one the inline program reads)
 * selects which TCP ports go to the AF_XDP sockets; all slots 0 means 25
 * only. When no one has set them (mxscreend writes them from its own
 * configuration, and then they are left alone), set them to @ports (the
 * first MXS_BPF_MAX_PORTS of @n), the other fields untouched.
 * Returns 1 written, 0 already set (left alone), or -errno.
 */
int dp_inline_smtp_ports(const char *pin_dir, const uint16_t *ports, uint32_t n,
			 char *err, size_t errlen);

#endif
