/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * gen_tls: TLS-shaped records (see gen_tls.h). Lengths are filled in after
 * each structure is written, innermost first, so they are always right.
 */
#include <stdlib.h>
#include <string.h>

#include "gen_rng.h"
#include "gen_tls.h"

#define BLOCK (64u << 10)

struct gen_tls {
	uint8_t block[BLOCK + GEN_TLS_REC];
};

struct gen_tls *gen_tls_create(void)
{
	struct gen_tls *t = malloc(sizeof(*t));

	if (t)
		gen_tls_random(t->block, sizeof(t->block), 0x746c73ull);
	return t;
}

void gen_tls_free(struct gen_tls *t)
{
	free(t);
}

static void put16(uint8_t *p, size_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put24(uint8_t *p, size_t v)
{
	p[0] = (uint8_t)(v >> 16);
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)v;
}

void gen_tls_random(uint8_t *out, uint32_t n, uint64_t h)
{
	uint32_t i = 0;

	for (; i + 8 <= n; i += 8) {
		uint64_t v = gen_mix64(h + i);

		memcpy(out + i, &v, 8);
	}
	if (i < n) {
		uint64_t v = gen_mix64(h + i);

		memcpy(out + i, &v, n - i);
	}
}

size_t gen_tls_client_hello(uint8_t *buf, uint64_t h, const char *sni)
{
	static const uint8_t suites[] = {
		0x13, 0x01, 0x13, 0x02, 0x13, 0x03, 0xc0, 0x2b, 0xc0, 0x2f,
		0xc0, 0x2c, 0xc0, 0x30, 0xcc, 0xa9, 0xcc, 0xa8,
	};
	static const uint8_t fixed_ext[] = {
		0x00, 0x0a, 0x00, 0x06, 0x00, 0x04, 0x00, 0x1d, 0x00, 0x17, /* groups */
		0x00, 0x0b, 0x00, 0x02, 0x01, 0x00,                         /* point formats */
		0x00, 0x0d, 0x00, 0x08, 0x00, 0x06, 0x04, 0x03, 0x08, 0x04, 0x04, 0x01,
		0x00, 0x2b, 0x00, 0x03, 0x02, 0x03, 0x04,                   /* versions */
		0x00, 0x2d, 0x00, 0x02, 0x01, 0x01,                         /* psk modes */
	};
	size_t sni_len = strlen(sni), n = 0, ext_at, hs_at;

	if (sni_len > 200)
		sni_len = 200;
	buf[n++] = 0x16;                 /* handshake record */
	buf[n++] = 0x03;
	buf[n++] = 0x01;
	n += 2;                          /* record length */
	hs_at = n;
	buf[n++] = 0x01;                 /* ClientHello */
	n += 3;
	buf[n++] = 0x03;
	buf[n++] = 0x03;
	gen_tls_random(buf + n, 32, h);  /* random */
	n += 32;
	buf[n++] = 32;                   /* legacy session id */
	gen_tls_random(buf + n, 32, h ^ 1);
	n += 32;
	put16(buf + n, sizeof(suites));
	memcpy(buf + n + 2, suites, sizeof(suites));
	n += 2 + sizeof(suites);
	buf[n++] = 1;                    /* compression: null */
	buf[n++] = 0;
	n += 2;                          /* extensions length */
	ext_at = n;
	put16(buf + n, 0x0000);          /* server_name */
	put16(buf + n + 2, sni_len + 5);
	put16(buf + n + 4, sni_len + 3);
	buf[n + 6] = 0;                  /* host_name */
	put16(buf + n + 7, sni_len);
	memcpy(buf + n + 9, sni, sni_len);
	n += 9 + sni_len;
	memcpy(buf + n, fixed_ext, sizeof(fixed_ext));
	n += sizeof(fixed_ext);
	put16(buf + n, 0x0033);          /* key_share: x25519 */
	put16(buf + n + 2, 38);
	put16(buf + n + 4, 36);
	put16(buf + n + 6, 0x001d);
	put16(buf + n + 8, 32);
	gen_tls_random(buf + n + 10, 32, h ^ 2);
	n += 42;
	put16(buf + ext_at - 2, n - ext_at);
	put24(buf + hs_at + 1, n - hs_at - 4);
	put16(buf + 3, n - 5);
	return n;
}

size_t gen_tls_server_hello(uint8_t *buf, uint64_t h)
{
	size_t n = 0, ext_at, hs_at;

	buf[n++] = 0x16;
	buf[n++] = 0x03;
	buf[n++] = 0x03;
	n += 2;
	hs_at = n;
	buf[n++] = 0x02;                 /* ServerHello */
	n += 3;
	buf[n++] = 0x03;
	buf[n++] = 0x03;
	gen_tls_random(buf + n, 32, h ^ 3);
	n += 32;
	buf[n++] = 32;
	gen_tls_random(buf + n, 32, h ^ 1); /* echoes the client's session id */
	n += 32;
	put16(buf + n, 0x1301);          /* TLS_AES_128_GCM_SHA256 */
	n += 2;
	buf[n++] = 0;
	n += 2;
	ext_at = n;
	put16(buf + n, 0x002b);          /* supported_versions: TLS 1.3 */
	put16(buf + n + 2, 2);
	put16(buf + n + 4, 0x0304);
	n += 6;
	put16(buf + n, 0x0033);
	put16(buf + n + 2, 36);
	put16(buf + n + 4, 0x001d);
	put16(buf + n + 6, 32);
	gen_tls_random(buf + n + 8, 32, h ^ 4);
	n += 40;
	put16(buf + ext_at - 2, n - ext_at);
	put24(buf + hs_at + 1, n - hs_at - 4);
	put16(buf + 3, n - 5);
	return n + gen_tls_ccs(buf + n);
}

size_t gen_tls_ccs(uint8_t *buf)
{
	static const uint8_t ccs[6] = { 0x14, 0x03, 0x03, 0x00, 0x01, 0x01 };

	memcpy(buf, ccs, sizeof(ccs));
	return sizeof(ccs);
}

uint32_t gen_tls_stream_size(uint32_t n)
{
	uint32_t rem;

	if (n < 6)
		n = 6;
	rem = n % GEN_TLS_REC;
	/* A last record needs a header and at least one byte. */
	if (rem && rem < 6)
		n += 6 - rem;
	return n;
}

void gen_tls_stream_fill(const struct gen_tls *t, uint8_t *out, uint32_t off,
			 uint32_t n, uint32_t total, uint64_t h)
{
	while (n) {
		uint32_t rec = off / GEN_TLS_REC, in = off % GEN_TLS_REC;
		uint32_t rec_start = rec * GEN_TLS_REC;
		uint32_t rec_len = total - rec_start < GEN_TLS_REC ? total - rec_start : GEN_TLS_REC;
		uint32_t k;

		if (in < 5) {
			uint8_t hdr[5] = { 0x17, 0x03, 0x03 };

			put16(hdr + 3, rec_len - 5);
			k = 5 - in < n ? 5 - in : n;
			memcpy(out, hdr + in, k);
		} else {
			k = rec_len - in < n ? rec_len - in : n;
			/* Each record starts somewhere else in the block. */
			memcpy(out, t->block + (gen_pick(h + rec, BLOCK) + in), k);
		}
		out += k;
		off += k;
		n -= k;
	}
}
