/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ctl_vlog: the verdict log (verdict_log), NDJSON, one line per verdict
 * with its evidence: zones that listed the address and their answers, DNS
 * errors per zone, the forward-confirmed rDNS state and PTR names, the
 * reasons with the weight each added ("weights", parallel to "reasons"),
 * TTL and shadow flag. For an explain lookup also "txt" (the listing
 * zones' TXT, keyed by zone, RHSBL ones suffixed "(helo)"/"(mail_from)")
 * and "fwd" (per PTR name: confirmed, addrs). Main thread only.
 */
#ifndef CTL_VLOG_H
#define CTL_VLOG_H

#include <stdio.h>

#include "ctl_lookup.h"

/* Write one line for @d to @f (line-buffered by the caller). */
void ctl_vlog_write(FILE *f, const struct ctl_lookup_detail *d, uint64_t now_realtime_ns);

/* JSON string (quoted, escaped; bytes that are not UTF-8 become \u00XX). */
void ctl_vlog_str(FILE *f, const char *s, size_t n);

#endif
