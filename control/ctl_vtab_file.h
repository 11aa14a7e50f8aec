/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ctl_vtab_file: the text side of the verdict table (ctl_vtab.h): keys as
 * "ADDR[/PLEN]", read and written, and the file manual verdicts persist
 * in across daemon restarts. Main thread only, like the table; no state of
 * its own.
 */
#ifndef CTL_VTAB_FILE_H
#define CTL_VTAB_FILE_H

#include <stddef.h>
#include <stdint.h>

#include "ctl_vtab.h"

#define CTL_VTAB_KEY_STRLEN 48        /* ctl_vtab_fmt_key() incl. "/128" and NUL */

/*
 * Manual verdicts persist across daemon restarts in a text file, one line
 * per entry, sorted by key:
 *   ADDR/PLEN ACTION EXPIRY_UNIX_S|never CREATED_UNIX_S "REASON"
 * ACTION is mxs_action_name(); REASON a JSON string; '#' starts a comment
 * line; blank lines are ignored; fields are separated by blanks; lines
 * are at most 4095 bytes. Expiry is written rounded up to the second.
 *
 * save: all manual entries (expired ones too; load skips them) to a temp
 * file in the same directory (mode 0644), fsync, rename over path, fsync
 * the directory (best effort). 0 or -errno with "FILE: reason" in err; on
 * error the old file is untouched and the temp file removed.
 *
 * load: all or nothing. Every line is checked (syntax, key, action,
 * duplicates, room for every entry) before the table changes; the first
 * bad line fails with "FILE:LINE: reason" in err (-EINVAL, or -ENOSPC when
 * the entries do not fit) and the table is unchanged. Entries already
 * expired at now_ns are skipped. Loaded entries replace any entry with
 * their key; they get source MANUAL, reasons MXS_REASON_BIT(MANUAL),
 * would_be = action, score 0, ttl_s the seconds left (0 for never),
 * created_ns from the file, updated_ns now_ns, updates 1. -ENOENT (err
 * set) when the file does not exist, not an error for the caller.
 */
int ctl_vtab_save(const struct ctl_vtab *t, const char *path, char *err, size_t errlen);
int ctl_vtab_load(struct ctl_vtab *t, const char *path, uint64_t now_ns, char *err, size_t errlen);

/*
 * Parse "ADDR" or "ADDR/PLEN" (v4 dotted quad or v6) into family,
 * prefix_len and addr (zeroed beyond the address). A bare address is the
 * host key (/32, /128). Host bits set is an error naming the network
 * ("10.0.0.1/24: host bits set, the network is 10.0.0.0/24").
 * 0 or -EINVAL with err.
 */
int ctl_vtab_parse_key(const char *s, int *family, int *prefix_len, uint8_t addr[16],
		       char *err, size_t errlen);

/* "192.0.2.1" for host keys (v4 /32, v6 /128), "2001:db8::/64" otherwise;
 * "?" for a bad family. Truncated (NUL-terminated) to len. */
void ctl_vtab_fmt_key(char *buf, size_t len, int family, int prefix_len, const uint8_t addr[16]);

#endif
