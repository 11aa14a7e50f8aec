/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fz_util: what the fuzz targets share. A cursor that takes fixed-size
 * fields from the input (zeros once it runs out, so every input is a
 * valid program), a memfd that stands in for a file for parsers that only
 * take a path, a UTF-8 validator, a unix-socket client that writes an
 * input in pieces, and FZ_CHECK, the invariant check that
 * aborts (libFuzzer and the regression driver both report an abort as a
 * crash, with the message on stderr). Single-threaded: one target per
 * process.
 */
#ifndef FZ_UTIL_H
#define FZ_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* For the harness's own checking loops: their edges and compares are
 * noise to libFuzzer and cost more than the code under test. */
#if defined(__clang__) && __clang_major__ >= 13
#define FZ_NO_COVERAGE __attribute__((no_sanitize("coverage")))
#else
#define FZ_NO_COVERAGE
#endif

#define FZ_CHECK(expr)                                                         \
	do {                                                                   \
		if (!(expr))                                                   \
			fz_fail(__FILE__, __LINE__, #expr);                    \
	} while (0)

__attribute__((noreturn))
void fz_fail(const char *file, int line, const char *what);

struct fz_in {
	const uint8_t *p;
	size_t n;
};

/* Fields in little-endian order; 0 (or the bytes left) past the end. */
uint8_t fz_u8(struct fz_in *in);
uint16_t fz_u16(struct fz_in *in);
uint32_t fz_u32(struct fz_in *in);
/* Up to @want bytes; returns how many, pointer in @ret (never NULL). */
size_t fz_take(struct fz_in *in, size_t want, const uint8_t **ret);

/* @p, @n is valid UTF-8 (RFC 3629: no overlongs, surrogates, or code
 * points past U+10FFFF). */
FZ_NO_COVERAGE bool fz_utf8_valid(const uint8_t *p, size_t n);

/*
 * The bytes @p, @n as the contents of a file named by the returned path
 * ("/proc/self/fd/N" of a memfd kept for the process). NULL (errno set)
 * when the memfd cannot be made or written.
 */
const char *fz_file(const uint8_t *p, size_t n);

/* A non-blocking stream socket connected to the unix socket @path. */
int fz_unix_connect(const char *path);

/* How many of @left bytes the next write of a split input takes: @first
 * for the first FZ_PIECES writes (*@pieces counts them), then the rest at
 * once. Split messages are what the socket targets test, not syscalls. */
#define FZ_PIECES 32
size_t fz_piece(size_t *pieces, size_t first, size_t left);

#endif
