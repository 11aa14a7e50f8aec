/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * gen_body: message bodies for DATA and BDAT. A body is a header block
 * (formatted from the envelope) followed by whole lines of a fixed text
 * corpus, already dot-stuffed (lines that begin with '.' carry a second
 * one), and for DATA the ".\r\n" that ends it. Bodies are never stored:
 * any byte range is produced on demand from the message layout, so a 1 MB
 * message costs nothing while it is being sent. The corpus is built once
 * at create time from a fixed seed (identical in every run) and is read-
 * only afterwards; any thread may read it.
 */
#ifndef GEN_BODY_H
#define GEN_BODY_H

#include <stddef.h>
#include <stdint.h>

#define GEN_BODY_MAX (1u << 20)     /* largest message, bytes */
#define GEN_BODY_HDR_MAX 1024u      /* header block bound */

enum gen_body_class { GEN_BODY_MAIL = 0, GEN_BODY_SPAM };

/* Layout of one message. */
struct gen_msg {
	uint32_t hdr_len;
	uint32_t text_start;    /* corpus offset of the first text byte (a line start) */
	uint32_t text_len;      /* whole lines, possibly wrapping around the corpus */
	uint32_t total;         /* hdr_len + text_len (+ 3 for DATA's ".\r\n") */
	uint8_t data_end;       /* DATA: ends with ".\r\n"; BDAT: raw */
};

struct gen_body;

struct gen_body *gen_body_create(void);
void gen_body_free(struct gen_body *b);

/* Target size of a message: log-normal around a few KB, a tail to 1 MB. */
uint32_t gen_body_size(uint64_t h, unsigned cls);

/*
 * Header block for a message from @from to @to into @buf (GEN_BODY_HDR_MAX
 * bytes); ends with the empty line. Returns its length.
 */
size_t gen_body_header(char *buf, const char *from, const char *to, uint64_t h);

/* Layout for a body of about @target bytes after a header of @hdr_len. */
void gen_body_layout(const struct gen_body *b, uint64_t h, uint32_t target,
		     uint32_t hdr_len, int data_end, struct gen_msg *ret);

/* Bytes [@off, @off + @n) of the message into @out; @hdr is its header block. */
void gen_body_fill(const struct gen_body *b, const struct gen_msg *m,
		   const char *hdr, uint32_t off, uint32_t n, uint8_t *out);

#endif
