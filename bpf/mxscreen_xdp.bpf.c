/* SPDX-License-Identifier: BSD-3-Clause */
/* stub: to be written */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
char LICENSE[] SEC("license") = "Dual BSD/GPL";
