/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * gen_tls: bytes that look like a TLS 1.3 connection to a dissector:
 * a well-formed ClientHello (SNI, key share), a ServerHello, change-
 * cipher-spec records and application-data records whose payload is
 * pseudo-random. Nothing is encrypted and nothing needs to be: what
 * follows STARTTLS or sits on port 443/465 only has to parse as TLS.
 * Records are functions of a hash; bulk payload is copied out of a block
 * of random bytes made once (struct gen_tls, read-only after create, any
 * thread).
 */
#ifndef GEN_TLS_H
#define GEN_TLS_H

#include <stddef.h>
#include <stdint.h>

#define GEN_TLS_HELLO_MAX 512u
#define GEN_TLS_REC 16406u      /* largest application-data record, header included */

/* ClientHello record naming @sni; returns its length (<= GEN_TLS_HELLO_MAX). */
size_t gen_tls_client_hello(uint8_t *buf, uint64_t h, const char *sni);

/* ServerHello record, then change-cipher-spec: returns the length. */
size_t gen_tls_server_hello(uint8_t *buf, uint64_t h);

/* Change-cipher-spec record alone (the client's, before its Finished). */
size_t gen_tls_ccs(uint8_t *buf);

struct gen_tls;

struct gen_tls *gen_tls_create(void);
void gen_tls_free(struct gen_tls *t);

/* Total size of an application-data stream carrying about @n bytes. */
uint32_t gen_tls_stream_size(uint32_t n);

/*
 * Bytes [@off, @off + @n) of an application-data stream of @total bytes
 * (from gen_tls_stream_size): records of at most GEN_TLS_REC bytes.
 */
void gen_tls_stream_fill(const struct gen_tls *t, uint8_t *out, uint32_t off,
			 uint32_t n, uint32_t total, uint64_t h);

/* Pseudo-random bytes (key shares, record payloads). */
void gen_tls_random(uint8_t *out, uint32_t n, uint64_t h);

#endif
