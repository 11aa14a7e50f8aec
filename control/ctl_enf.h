/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ctl_enf: the enforcement counters (the pinned `stats` map, summed over
 * CPUs) as the `enforcement` member of the stats report
 * (docs/control-protocol.md). One writer for mxscreend and for mxscreenctl
 * reading the pins with the daemon down, so both print the same shape.
 */
#ifndef CTL_ENF_H
#define CTL_ENF_H

#include <mxscreen/bpf.h>

#include "ctl_json.h"

/* Write @s as the object member @key (NULL in an array or at the top). */
void ctl_enf_json(struct ctl_jw *w, const char *key, const char *pin_dir,
		  const struct mxs_bpf_stats *s);

#endif
