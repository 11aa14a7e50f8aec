/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * gen_names: the words of the dialogues: HELO arguments, mail domains,
 * local parts, recipient addresses, AUTH credentials, base64. Pure
 * functions of a 64-bit hash (gen_rng.h): the same hash always gives the
 * same string. No state; any thread. Every string is written NUL-
 * terminated into a caller buffer of at least GEN_NAME_MAX bytes, and
 * every address fits in GEN_ADDR_MAX bytes, so the dataplane's 2 KiB arena
 * holds 32 recipients and 8 senders.
 */
#ifndef GEN_NAMES_H
#define GEN_NAMES_H

#include <stddef.h>
#include <stdint.h>

#define GEN_NAME_MAX 96u
#define GEN_ADDR_MAX 46u     /* including the NUL */

/* HELO classes; which ones a client uses depends on what it is. */
enum gen_helo_class {
	GEN_HELO_FQDN = 0,    /* mail.acme.example */
	GEN_HELO_LITERAL,     /* [100.64.1.2] or [IPv6:2001:db8:...] */
	GEN_HELO_BARE_IP,     /* 100.64.1.2 */
	GEN_HELO_LOCALHOST,
	GEN_HELO_DOTLESS,     /* USER-PC, mailer */
	GEN_HELO_SPAMWARE,    /* friend, ylmf-pc, WIN-XXXXXXXXXXX */
	GEN_HELO_DYNAMIC,     /* 100-64-1-2.dyn.isp.example */
	GEN_HELO_CLAIMS_US,   /* mx.example.net */
	GEN_HELO_CLASSES
};

/* HELO argument of class @cls for a client at @addr (family 4 or 6). */
size_t gen_names_helo(char *buf, unsigned cls, uint64_t h, int family,
		      const uint8_t addr[16]);

/* A client's own mail domain. */
size_t gen_names_domain(char *buf, uint64_t h);

/* Local parts. */
enum gen_local_kind {
	GEN_LOCAL_PERSON = 0, /* john.smith, mary1984 */
	GEN_LOCAL_ROLE,       /* info, billing */
	GEN_LOCAL_GENERATED,  /* x7k2m9q4w8 (spam sender) */
	GEN_LOCAL_HEX,        /* 16+ hex digits */
	GEN_LOCAL_BOUNCE,     /* bounce-12345-678 */
	GEN_LOCAL_GUESS,      /* dictionary attack guesses: admin, john, sales2 */
};
size_t gen_names_local(char *buf, unsigned kind, uint64_t h);

/* @local@@domain into @buf; both parts are bounded so it fits GEN_ADDR_MAX. */
size_t gen_names_addr(char *buf, const char *local, const char *domain);

/* User name and password an AUTH guesser tries. */
size_t gen_names_user(char *buf, uint64_t h);
size_t gen_names_password(char *buf, uint64_t h);

/* Base64 of @n bytes at @src into @dst (NUL-terminated); returns its length. */
size_t gen_base64(char *dst, const uint8_t *src, size_t n);

/* Short word for subjects and bodies. */
const char *gen_names_word(uint64_t h);

#endif
