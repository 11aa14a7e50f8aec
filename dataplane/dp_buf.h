/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dp_buf: a growable byte buffer for load-time work (rules arena, literal
 * keys). Not for the packet path: it allocates. Owned by one thread.
 * Users keep offsets, not pointers, because growing moves the bytes.
 */
#ifndef DP_BUF_H
#define DP_BUF_H

#include <stddef.h>

struct dp_buf {
	char *p;
	size_t len, cap;
};

/* Room for @more bytes past len. 0 or -ENOMEM (the buffer is unchanged). */
int dp_buf_reserve(struct dp_buf *b, size_t more);
/* Append @n bytes. 0 or -ENOMEM. */
int dp_buf_add(struct dp_buf *b, const void *s, size_t n);

#endif
