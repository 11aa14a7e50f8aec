/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dp_buf: growable byte buffer (see dp_buf.h); doubling from 256 bytes.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dp_buf.h"

int dp_buf_reserve(struct dp_buf *b, size_t more)
{
	size_t want, cap;
	char *p;

	if (more > SIZE_MAX / 2 - b->len)
		return -ENOMEM;
	want = b->len + more;
	if (want <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 256;
	while (cap < want)
		cap *= 2;
	p = realloc(b->p, cap);
	if (!p)
		return -ENOMEM;
	b->p = p;
	b->cap = cap;
	return 0;
}

int dp_buf_add(struct dp_buf *b, const void *s, size_t n)
{
	if (dp_buf_reserve(b, n) < 0)
		return -ENOMEM;
	memcpy(b->p + b->len, s, n);
	b->len += n;
	return 0;
}
