/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ctl_zset: the address half of ctl_zone's loader: rbldnsd's IPv4 and IPv6
 * entry syntax, and the flattening of overlapping, prioritised address
 * pieces into disjoint sorted intervals.
 *
 * Internal to ctl_zone.c, not part of the public API (ctl_zone.h). Owns
 * nothing but a piece list its caller holds; no globals, no logging, so it
 * may run on any thread, though ctl_zone only loads on the main thread.
 * Parsers take a writable line and return where the address ended; errors
 * are a CTL_ZSET_* code the caller turns into "file:line: reason".
 */
#ifndef CTL_ZSET_H
#define CTL_ZSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

__extension__ typedef unsigned __int128 u128;

#define U128_MAX (~(u128)0)

/* A piece's value that lists nothing: it wins its range and emits no interval. */
#define CTL_ZSET_EXCL (UINT32_MAX - 1)

/* Parser results, the reason for the caller's message. */
enum { CTL_ZSET_OK, CTL_ZSET_ADDR, CTL_ZSET_PLEN, CTL_ZSET_RANGE };

/* An entry's address must end at the line, a blank or a comment. */
bool ctl_zset_addr_ends(const char *s);

/* rbldnsd's ip4range(): prefix, prefix/len, a-b with shorthands; [*ra, *rb]. */
int ctl_zset_ip4_range(char *s, uint32_t *ra, uint32_t *rb, char **end);

/* rbldnsd's ip4addr() (inet_aton style: 127.2 is 127.0.0.2); NULL if bad. */
char *ctl_zset_ip4_aton(char *s, uint32_t *ret);

/* IPv6 prefix or prefix/len, host bits masked, ending as ctl_zset_addr_ends. */
int ctl_zset_ip6_cidr(char *s, u128 *ret, unsigned *rbits, char **end);

/* Network byte order to a number, and the netmask of @bits (0..128). */
u128 ctl_zset_u128_of(const uint8_t b[16]);
u128 ctl_zset_mask6(unsigned bits);

struct ctl_zset_piece {
	u128 lo, hi;
	uint64_t prio;                /* higher wins where pieces overlap */
	uint32_t val;                 /* value or CTL_ZSET_EXCL */
};

/* Zero-initialise; ctl_zset_pieces_clear() frees. */
struct ctl_zset_pieces {
	struct ctl_zset_piece *pc;
	size_t n, cap;
};

/* Specificity first, then exclusion (if it wins ties), then earlier line. */
uint64_t ctl_zset_prio(unsigned level, bool excl, unsigned line);

/* Returns 0 or -ENOMEM. */
int ctl_zset_add(struct ctl_zset_pieces *ps, u128 lo, u128 hi, uint64_t prio,
		 uint32_t val);

/*
 * rbldnsd's ip4range_expand: [@a, @b] from file line @line as octet-aligned
 * pieces (/32s, /24s, /16s, /8s), unaligned edges at finer levels.
 * Returns 0 or -ENOMEM.
 */
int ctl_zset_ip4_expand(struct ctl_zset_pieces *ps, uint32_t a, uint32_t b,
			unsigned line, uint32_t val);

/*
 * Calls @emit with the disjoint intervals, in address order, and the value
 * that wins each (excluded ones left out); sorts ps->pc. Returns 0,
 * -ENOMEM, or the first non-zero return of @emit.
 */
int ctl_zset_flatten(struct ctl_zset_pieces *ps,
		     int (*emit)(void *ctx, u128 lo, u128 hi, uint32_t val), void *ctx);

void ctl_zset_pieces_clear(struct ctl_zset_pieces *ps);

#endif
