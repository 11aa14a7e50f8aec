/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ctl_vtab_impl: what the verdict table (ctl_vtab.c) shares with its text
 * side (ctl_vtab_file.c) and with no other module: the key arithmetic both
 * need, and the few table internals the all-or-nothing load needs to check
 * room and reserve memory before it changes anything. Same rules as
 * ctl_vtab.h: main thread only; pointers valid until the next modifying
 * call.
 */
#ifndef CTL_VTAB_IMPL_H
#define CTL_VTAB_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "ctl_vtab.h"

/* Address bits of a family (4|6), 0 for any other. */
static inline int vt_fam_bits(int family)
{
	return family == 4 ? 32 : family == 6 ? 128 : 0;
}

/* A key policy entries may have: v4 /32, v6 /128 or /64. */
static inline bool vt_is_host_key(int family, int plen)
{
	return (family == 4 && plen == 32) || (family == 6 && (plen == 128 || plen == 64));
}

/* Every bit of the 128-bit addr beyond plen is zero. */
static inline bool vt_host_bits_zero(const uint8_t a[16], int plen)
{
	int i = plen / 8;

	if (plen % 8 && (a[i++] & (0xff >> (plen % 8))))
		return false;
	for (; i < 16; i++)
		if (a[i])
			return false;
	return true;
}

/* Zero every bit of the 128-bit addr beyond plen. */
static inline void vt_mask_addr(uint8_t a[16], int plen)
{
	int i = plen / 8;

	if (plen % 8)
		a[i++] &= (uint8_t)(0xff << (8 - plen % 8));
	memset(a + i, 0, (size_t)(16 - i));
}

/* As the BPF programs judge: expired once expiry_ns is in the past. */
static inline bool vt_is_expired(const struct ctl_vtab_entry *e, uint64_t now_ns)
{
	return e->v.expiry_ns < now_ns;
}

/* All entries held, expired or not, dense in [0, *ret_n). */
const struct ctl_vtab_entry *ctl_vtab_impl_entries(const struct ctl_vtab *t, size_t *ret_n);

/* The limits the table was created with. */
void ctl_vtab_impl_params(const struct ctl_vtab *t, struct ctl_vtab_params *ret);

/* The entry with that exact (stored) key, expired or not; NULL if none. */
const struct ctl_vtab_entry *ctl_vtab_impl_find(const struct ctl_vtab *t, int family,
						int prefix_len, const uint8_t addr[16]);

/* Allocate room for @entries more entries (up to max_entries) and @cidrs
 * more CIDRs, so that puts of new keys within that need no memory.
 * 0 or -ENOMEM (the table stays consistent). */
int ctl_vtab_impl_reserve(struct ctl_vtab *t, size_t entries, size_t cidrs);

/* ctl_vtab_put with the entry's first-put time @created_ns and updates 1,
 * as when loaded from the file. */
int ctl_vtab_impl_put_created(struct ctl_vtab *t, const struct ctl_vtab_entry *e,
			      uint64_t now_ns, uint64_t created_ns);

#endif
