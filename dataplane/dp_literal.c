/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dp_literal: the literal fast path (contract in dp_literal.h): which
 * patterns it takes, the two hash tables it builds, and the lookups that
 * stand in for Hyperscan on those rules.
 *
 * Owns: everything hanging off struct dp_literal; dp_literal_free
 * releases all of it.
 *
 * Threads: dp_literal_create/dp_literal_free on a control or main thread,
 * never on a worker. dp_literal_scan on any lcore, concurrently: it reads
 * the immutable object only, and allocates, locks and logs nothing.
 *
 * Rules whose pattern is a pure literal in one of three anchored shapes
 * never reach Hyperscan; hash lookups give exactly Hyperscan's answer:
 *   exact   ^LIT$  the value is LIT;
 *   suffix  LIT$   LIT starts with '.' or '@' (written \. or @ or \@) and
 *                  the value ends with LIT: only the value's suffixes that
 *                  start at a '.' or '@' byte are looked up;
 *   prefix  ^LIT   the value starts with LIT; only the LIT_PREFIX_LENS most
 *                  common lengths (each costs a lookup per scan), prefix
 *                  rules of other lengths stay in Hyperscan.
 * LIT: one or more of: ASCII letters and digits, the punctuation lit_plain()
 * lists, and a backslash before any ASCII punctuation (\. \- \@ \+ \$ ...).
 * Anything else (a class, quantifier, group, alternation, '.', \d, \x41,
 * an inner ^ or $, a space, a non-ASCII byte) keeps the rule in Hyperscan,
 * as does flag u (Unicode case folding). Flag i folds ASCII letters only,
 * which is all Hyperscan folds without u.
 * '$' is PCRE's (and Hyperscan's): the end of the value or just before a
 * final '\n'. LIT never holds a newline, so a value ending in '\n' is
 * looked up without that byte; "LIT\n\n" matches no $ rule, as in PCRE.
 * A rule hits at most once per scan: it lives in one table under one key,
 * and that key can only sit at one place in the value.
 * Keys are hashed folded; case-sensitive rules then compare the bytes as
 * written. Lookups allocate nothing and read at most max_len bytes of the
 * value (plus the final '\n'), however long it is.
 *
 * Gates: a rule none of the shapes fit, whose pattern ends in a literal
 * tail and the final $, is offered as gated. Its keys: the strings the tail
 * matches (literal bytes, and groups of literal alternatives, (?:a|b) or
 * (a|b), at most LIT_GATE_KEYS strings in all; an earlier group that would
 * make more ends the tail), each cut to start at its first '.' or '@'.
 * Every key must be LIT_GATE_MIN bytes or more (".com" would gate nothing)
 * or the rule is not gated. A match of the pattern ends at the value's end
 * (or before a final '\n'), and whatever matched just before that $ is one
 * of those strings, so the value ends in one of the keys: a lookup that
 * finds no key of the rule proves that it does not match. The tail is
 * found by one pass over the pattern that follows escapes, classes and
 * groups; anything it does not follow (inline options (?i), lookaround,
 * \Q, \x.., POSIX classes, a top-level |, and more: lit_gate_tail) keeps
 * the rule ungated, and a quantified item, class, '.' or non-ASCII byte
 * simply ends the tail there. Gate keys sit in the end table beside the
 * suffix keys and cost no extra lookup.
 *
 * Hashing goes 8 bytes at a time (lit_hash_end, lit_hash_pre). An end key
 * of L = 8q + r bytes is hashed from its end: its q last 8-byte words, then
 * its first r bytes as one short word. Every suffix of a value shares the
 * word boundaries counted from the value's end, so one pass over the value
 * yields the state after each word, and a suffix that starts inside a word
 * takes its short head word from that word with a shift: a handful of
 * multiplies a value, not one a byte. Prefix keys: the same, from the start.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dp_buf.h"
#include "dp_literal.h"

#define LIT_SEED 0x243f6a8885a308d3ull
#define LIT_MUL 0xff51afd7ed558ccdull
#define LIT_PREFIX_LENS 8u
#define LIT_GATE_MIN 8u         /* shortest gate key */
#define LIT_GATE_KEYS 8u        /* most gate keys of one rule */
#define LIT_ONES 0x0101010101010101ull
#define LIT_LO7 0x7f7f7f7f7f7f7f7full
#define LIT_HI 0x8080808080808080ull

enum { LIT_NONE, LIT_EXACT, LIT_SUFFIX, LIT_PREFIX, LIT_GATE };

struct lit_slot {
	uint64_t hash;          /* of the folded key */
	uint32_t len;           /* key bytes */
	uint32_t key;           /* offset in keys of one spelling of the key */
	uint32_t ref;           /* first of its refs */
	uint32_t n_ref;         /* 0: empty slot */
};

struct lit_ref {
	uint32_t id;            /* dp_literal_rule.id */
	uint32_t raw;           /* offset in keys of the literal as written */
	uint8_t caseless;       /* flag i: any case; else the bytes in raw */
	uint8_t shape;          /* LIT_EXACT, LIT_SUFFIX, LIT_GATE (end table),
				   LIT_PREFIX */
};

struct lit_table {
	/* tag[i]: 0 empty, else lit_tag() of slot[i]'s hash. Probing walks
	 * the small tag array and reads a slot only on a tag match, so a
	 * miss (nearly every lookup) touches one cache line of tags. */
	uint16_t *tag;
	struct lit_slot *slot;  /* NULL: no key */
	uint32_t mask;          /* slots - 1, slots a power of two */
	unsigned shift;         /* 64 - log2(slots) */
	uint32_t min_len, max_len;
};

struct dp_literal {
	struct lit_table end;   /* exact, suffix and gate keys, hashed last byte first */
	struct lit_table pre;   /* prefix keys, hashed first byte first */
	uint32_t pre_lens[LIT_PREFIX_LENS];   /* prefix key lengths, ascending */
	uint32_t n_pre_lens;
	struct lit_ref *ref;    /* grouped by slot */
	char *keys;             /* the literals as written, back to back */
};

/* A fast-path candidate while loading. */
struct lit_cand {
	uint32_t id, len, off;
	uint32_t in;            /* index in dp_literal_params.rules */
	uint8_t shape, caseless;
	uint8_t first;          /* a gate rule's first key */
	const char *key;        /* keys + off, once keys stops moving */
};

static bool lit_alnum(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static inline unsigned char lit_fold(unsigned char c)
{
	return (unsigned)(c - 'A') < 26u ? (unsigned char)(c | 0x20) : c;
}

/* 8 bytes, first byte lowest, whatever the host's byte order. */
static inline uint64_t lit_le64(const char *p)
{
	uint64_t w;

	memcpy(&w, p, sizeof(w));
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	w = __builtin_bswap64(w);
#endif
	return w;
}

/* @r < 8 bytes the same way, zero above. */
static inline uint64_t lit_le_part(const char *p, size_t r)
{
	uint64_t w = 0;

	for (size_t i = 0; i < r; i++)
		w |= (uint64_t)(unsigned char)p[i] << (8 * i);
	return w;
}

/* lit_fold on each byte of @w. */
static inline uint64_t lit_fold64(uint64_t w)
{
	uint64_t x = w & LIT_LO7;
	uint64_t ge_a = x + LIT_ONES * (0x80 - 'A');      /* bit 7: byte >= 'A' */
	uint64_t gt_z = x + LIT_ONES * (0x80 - 'Z' - 1);  /* bit 7: byte > 'Z' */

	return w | ((ge_a & ~gt_z & ~w & LIT_HI) >> 2);   /* +0x20 on A-Z */
}

/* 0x80 in each byte of @w that is '.' or '@', 0 in the others. */
static inline uint64_t lit_seps(uint64_t w)
{
	uint64_t a = w ^ (LIT_ONES * '.'), b = w ^ (LIT_ONES * '@');

	a = ~(((a & LIT_LO7) + LIT_LO7) | a | LIT_LO7);   /* exact: no borrows */
	b = ~(((b & LIT_LO7) + LIT_LO7) | b | LIT_LO7);
	return a | b;
}

static inline uint64_t lit_mix(uint64_t h, uint64_t folded_word)
{
	h = (h ^ folded_word) * LIT_MUL;
	return h ^ (h >> 32);
}

/* End-table hash of @s[0..L): last 8-byte words first, then the head. */
static uint64_t lit_hash_end(const char *s, size_t L)
{
	uint64_t h = LIT_SEED;
	size_t j8;

	for (j8 = 8; j8 <= L; j8 += 8)
		h = lit_mix(h, lit_fold64(lit_le64(s + L - j8)));
	if (L % 8)
		h = lit_mix(h, lit_fold64(lit_le_part(s, L % 8)));
	return h;
}

/* Prefix-table hash of @s[0..L): first 8-byte words first, then the tail. */
static uint64_t lit_hash_pre(const char *s, size_t L)
{
	uint64_t h = LIT_SEED;
	size_t j8;

	for (j8 = 0; j8 + 8 <= L; j8 += 8)
		h = lit_mix(h, lit_fold64(lit_le64(s + j8)));
	if (L % 8)
		h = lit_mix(h, lit_fold64(lit_le_part(s + j8, L % 8)));
	return h;
}

static inline uint32_t lit_home(uint64_t h, unsigned shift)
{
	return (uint32_t)((h * 0x9e3779b97f4a7c15ull) >> shift);
}

static inline uint16_t lit_tag(uint64_t h)
{
	uint16_t t = (uint16_t)(h >> 48);

	return t ? t : 1;
}

static inline bool lit_eq(const char *a, const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (lit_fold((unsigned char)a[i]) != lit_fold((unsigned char)b[i]))
			return false;
	return true;
}

/* Bytes that stand for themselves unescaped, outside a class, in PCRE and
 * Hyperscan (no x flag can be in force: that needs a group). */
static bool lit_plain(unsigned char c)
{
	return lit_alnum(c) || (c && strchr("-_@:,=%/!~<>&;'\"", c));
}

/*
 * The shape of @pat (LIT_*) and its literal, unescaped, into @out (room
 * for strlen(pat) bytes) with its length in *@ret_len.
 */
static int lit_parse(const char *pat, char *out, uint32_t *ret_len)
{
	const char *s = pat;
	bool head = false, tail = false;
	uint32_t n = 0;

	if (*s == '^') {
		head = true;
		s++;
	}
	while (*s) {
		unsigned char c = (unsigned char)*s;

		if (c == '\\') {
			unsigned char d = (unsigned char)s[1];

			/* \ before punctuation: that byte; before anything else
			 * (\d, \x41, \Q, \1, \ , a newline, non-ASCII): not ours */
			if (d < 0x21 || d > 0x7e || lit_alnum(d))
				return LIT_NONE;
			out[n++] = (char)d;
			s += 2;
		} else if (c == '$' && !s[1]) {
			tail = true;
			s++;
		} else if (lit_plain(c)) {
			out[n++] = (char)c;
			s++;
		} else {
			return LIT_NONE;
		}
	}
	*ret_len = n;
	if (!n)
		return LIT_NONE;            /* ^$ and the like: Hyperscan's call */
	if (head)
		return tail ? LIT_EXACT : LIT_PREFIX;
	if (tail && (out[0] == '.' || out[0] == '@'))
		return LIT_SUFFIX;
	return LIT_NONE;
}

/* \ before this byte is that byte, literally (PCRE, Hyperscan). */
static bool lit_escaped_punct(unsigned char d)
{
	return d >= 0x21 && d <= 0x7e && !lit_alnum(d);
}

/* \ before this letter is one item of two pattern bytes that matches no
 * fixed byte: a class (\d), a control character (\n) or an assertion (\b).
 * Every other escaped letter or digit (\x41, \Q, \p{..}, \c, \1, ...) is
 * beyond lit_gate_tail. */
static bool lit_escape_item(unsigned char d)
{
	return d && strchr("dDwWsShHvVnrtfeabBAzZG", d);
}

/* Just past the class opening at pat[i] ('['), or 0 for one this parser
 * does not follow: an inner '[' (POSIX [:alpha:], or a literal bracket)
 * or an escape other than \ + punctuation or lit_escape_item. */
static size_t lit_class_end(const char *pat, size_t i)
{
	size_t j = i + 1;

	if (pat[j] == '^')
		j++;
	if (pat[j] == ']')
		j++;
	for (; pat[j]; j++) {
		if (pat[j] == '\\') {
			unsigned char d = (unsigned char)pat[j + 1];

			if (!lit_escaped_punct(d) && !lit_escape_item(d))
				return 0;
			j++;
		} else if (pat[j] == '[') {
			return 0;
		} else if (pat[j] == ']') {
			return j + 1;
		}
	}
	return 0;
}

/* Where the content of the group opening at pat[i] ('(') starts: after
 * "(" or "(?:"; 0 for any other "(?" or "(*" (options, lookaround, names,
 * comments, verbs), which lit_gate_tail does not follow. */
static size_t lit_group_open(const char *pat, size_t i)
{
	if (pat[i + 1] == '*')
		return 0;
	if (pat[i + 1] != '?')
		return i + 1;
	return pat[i + 2] == ':' ? i + 3 : 0;
}

/* Index of the ')' that closes the group whose content starts at pat[i],
 * or 0 when it has syntax lit_gate_tail does not follow or no ')'.
 * *@ret_pure: the content is literal alternatives only (bytes that stand
 * for themselves, \ + punctuation, '|'). */
static size_t lit_group_end(const char *pat, size_t i, bool *ret_pure)
{
	uint32_t depth = 1;
	bool pure = true;

	while (pat[i]) {
		unsigned char c = (unsigned char)pat[i];

		if (c == '\\') {
			unsigned char d = (unsigned char)pat[i + 1];

			if (!lit_escaped_punct(d)) {
				if (!lit_escape_item(d))
					return 0;
				pure = false;
			}
			i += 2;
		} else if (c == '[') {
			i = lit_class_end(pat, i);
			if (!i)
				return 0;
			pure = false;
		} else if (c == '(') {
			i = lit_group_open(pat, i);
			if (!i)
				return 0;
			depth++;
			pure = false;
		} else if (c == ')') {
			if (--depth == 0) {
				*ret_pure = pure;
				return i;
			}
			i++;
		} else {
			if (c != '|' && !lit_plain(c))
				pure = false;
			i++;
		}
	}
	return 0;
}

/*
 * The literal tail of @pat, of @n bytes: pat[*ret_b..n-1) holds only bytes
 * that stand for themselves, \ + punctuation and pure groups (see
 * lit_group_end), none of them quantified, and pat[n-1] is the final,
 * top-level $. false when there is no such tail (empty included) or @pat
 * has syntax this pass does not follow: then it cannot be gated.
 */
static bool lit_gate_tail(const char *pat, size_t n, size_t *ret_b)
{
	size_t i = 0, run = 0;   /* the tail so far starts at run */

	if (n < 2 || pat[n - 1] != '$')
		return false;
	while (i < n - 1) {
		unsigned char c = (unsigned char)pat[i];

		if (c == '\\') {
			unsigned char d = (unsigned char)pat[i + 1];

			if (!lit_escaped_punct(d)) {
				if (!lit_escape_item(d))
					return false;
				run = i + 2;
			}
			i += 2;
			continue;
		}
		switch (c) {
		case '[':
			i = lit_class_end(pat, i);
			if (!i)
				return false;
			run = i;
			break;
		case '(': {
			bool pure = false;
			size_t o = lit_group_open(pat, i), e;

			if (!o || !(e = lit_group_end(pat, o, &pure)))
				return false;
			i = e + 1;
			if (!pure)
				run = i;
			break;
		}
		case ')':
		case '|':
			return false;   /* unbalanced, or top-level alternation */
		case '{': {             /* {n}, {n,}, {n,m}: one quantifier */
			size_t j = i + 1;

			while ((pat[j] >= '0' && pat[j] <= '9') || pat[j] == ',')
				j++;
			i = pat[j] == '}' && j > i + 1 ? j + 1 : i + 1;
			run = i;        /* the quantified item is not literal */
			break;
		}
		case '*':
		case '+':
		case '?':
			run = ++i;
			break;
		default:               /* ^ . $ } ] space non-ASCII ...: not ours */
			i++;
			if (!lit_plain(c))
				run = i;
			break;
		}
	}
	if (i != n - 1)
		return false;           /* the last $ was escaped or inside */
	*ret_b = run;
	return run < n - 1;
}

/*
 * Gate keys of @pat, of @n bytes, into @out (room for LIT_GATE_KEYS * @n
 * bytes; @tmp: the same again, scratch), each key @n bytes from the last;
 * their lengths into @klen. Returns how many (distinct), or 0 when the
 * rule cannot be gated.
 */
static uint32_t lit_gate_keys(const char *pat, size_t n, char *out, char *tmp,
			      uint32_t *klen)
{
	uint32_t m = 1, tl[LIT_GATE_KEYS], u = 0;
	size_t b, i;

	if (!lit_gate_tail(pat, n, &b))
		return 0;
	klen[0] = 0;
	for (i = b; i < n - 1;) {
		if (pat[i] != '(') {            /* one literal byte: append */
			char c = pat[i] == '\\' ? pat[i + 1] : pat[i];

			i += pat[i] == '\\' ? 2 : 1;
			for (uint32_t k = 0; k < m; k++)
				out[k * n + klen[k]++] = c;
			continue;
		}
		/* a pure group: every string so far times every alternative */
		size_t o = lit_group_open(pat, i), e, a;
		bool pure;
		uint32_t n_alt = 1, t = 0;

		e = lit_group_end(pat, o, &pure);
		for (a = o; a < e; a++) {
			if (pat[a] == '\\')
				a++;
			else
				n_alt += pat[a] == '|';
		}
		i = e + 1;
		if (m * n_alt > LIT_GATE_KEYS) {  /* too many: the tail starts after it */
			m = 1;
			klen[0] = 0;
			continue;
		}
		for (uint32_t k = 0; k < m; k++) {
			for (a = o; a <= e; t++) {  /* alternative t: pat[a..'|' or ')') */
				memcpy(tmp + t * n, out + k * n, klen[k]);
				tl[t] = klen[k];
				for (; pat[a] != '|' && a < e; a++) {
					if (pat[a] == '\\')
						a++;
					tmp[t * n + tl[t]++] = pat[a];
				}
				a++;                /* past the '|' or the ')' */
			}
		}
		m = t;
		memcpy(out, tmp, (size_t)m * n);
		memcpy(klen, tl, m * sizeof(*klen));
	}
	/* each from its first '.' or '@'; all long enough; no duplicates */
	for (uint32_t k = 0; k < m; k++) {
		const char *s = out + k * n;
		uint32_t f = 0, len;
		bool dup = false;

		while (f < klen[k] && s[f] != '.' && s[f] != '@')
			f++;
		len = klen[k] - f;
		if (len < LIT_GATE_MIN)
			return 0;
		for (uint32_t j = 0; j < u && !dup; j++)
			dup = klen[j] == len && !memcmp(out + j * n, s + f, len);
		if (dup)
			continue;
		memmove(out + u * n, s + f, len);
		klen[u++] = len;
	}
	return u;
}

static int lit_cand_table(const struct lit_cand *c)
{
	return c->shape == LIT_PREFIX;
}

/* Table, then length, then folded key, then id. */
static int lit_cand_cmp(const void *va, const void *vb)
{
	const struct lit_cand *a = va, *b = vb;
	int ta = lit_cand_table(a), tb = lit_cand_table(b);

	if (ta != tb)
		return ta - tb;
	if (a->len != b->len)
		return a->len < b->len ? -1 : 1;
	for (uint32_t i = 0; i < a->len; i++) {
		unsigned char x = lit_fold((unsigned char)a->key[i]);
		unsigned char y = lit_fold((unsigned char)b->key[i]);

		if (x != y)
			return x < y ? -1 : 1;
	}
	return a->id < b->id ? -1 : a->id > b->id;
}

static bool lit_same_key(const struct lit_cand *a, const struct lit_cand *b)
{
	return lit_cand_table(a) == lit_cand_table(b) && a->len == b->len &&
	       lit_eq(a->key, b->key, a->len);
}

static int cmp_u32_pair_count(const void *va, const void *vb)
{
	const uint32_t *a = va, *b = vb;   /* {len, count}: most common first */

	if (a[1] != b[1])
		return a[1] > b[1] ? -1 : 1;
	return a[0] < b[0] ? -1 : a[0] > b[0];
}

static int cmp_u32v(const void *va, const void *vb)
{
	uint32_t a = *(const uint32_t *)va, b = *(const uint32_t *)vb;

	return a < b ? -1 : a > b;
}

/* Keep the prefix candidates of the LIT_PREFIX_LENS most common lengths;
 * returns the new candidate count, or UINT32_MAX when out of memory. */
static uint32_t lit_pick_prefixes(struct lit_cand *cand, uint32_t n)
{
	uint32_t *lens, (*runs)[2], n_pre = 0, n_runs = 0, keep[LIT_PREFIX_LENS], n_keep, o = 0;

	for (uint32_t i = 0; i < n; i++)
		n_pre += cand[i].shape == LIT_PREFIX;
	if (!n_pre)
		return n;
	lens = malloc(n_pre * sizeof(*lens));
	runs = malloc(n_pre * sizeof(*runs));
	if (!lens || !runs) {
		free(lens);
		free(runs);
		return UINT32_MAX;
	}
	n_pre = 0;
	for (uint32_t i = 0; i < n; i++)
		if (cand[i].shape == LIT_PREFIX)
			lens[n_pre++] = cand[i].len;
	qsort(lens, n_pre, sizeof(*lens), cmp_u32v);
	for (uint32_t i = 0; i < n_pre; i++) {
		if (n_runs && runs[n_runs - 1][0] == lens[i]) {
			runs[n_runs - 1][1]++;
		} else {
			runs[n_runs][0] = lens[i];
			runs[n_runs++][1] = 1;
		}
	}
	qsort(runs, n_runs, sizeof(*runs), cmp_u32_pair_count);
	n_keep = n_runs < LIT_PREFIX_LENS ? n_runs : LIT_PREFIX_LENS;
	for (uint32_t k = 0; k < n_keep; k++)
		keep[k] = runs[k][0];
	free(lens);
	free(runs);
	for (uint32_t i = 0; i < n; i++) {
		bool ok = cand[i].shape != LIT_PREFIX;

		for (uint32_t k = 0; !ok && k < n_keep; k++)
			ok = cand[i].len == keep[k];
		if (ok)
			cand[o++] = cand[i];
	}
	return o;
}

/* Slots for @n keys of @cand[0..n) (sorted, grouped), refs from @ref0. */
static int lit_table_fill(struct lit_table *t, const struct lit_cand *cand, uint32_t n,
			  uint32_t n_keys, struct lit_ref *refs, uint32_t ref0, bool backwards)
{
	uint32_t cap = 8;
	unsigned bits = 3;

	if (!n)
		return 0;
	while (cap < 2 * n_keys) {
		cap *= 2;
		bits++;
	}
	t->slot = calloc(cap, sizeof(*t->slot));
	t->tag = calloc(cap, sizeof(*t->tag));
	if (!t->slot || !t->tag)
		return -ENOMEM;
	t->mask = cap - 1;
	t->shift = 64 - bits;
	t->min_len = UINT32_MAX;
	for (uint32_t i = 0, g; i < n; i = g) {
		uint64_t h = backwards ? lit_hash_end(cand[i].key, cand[i].len)
				       : lit_hash_pre(cand[i].key, cand[i].len);
		struct lit_slot *s;
		uint32_t j;

		for (g = i + 1; g < n && lit_same_key(&cand[i], &cand[g]); g++)
			;
		for (j = lit_home(h, t->shift); t->tag[j]; j = (j + 1) & t->mask)
			;
		t->tag[j] = lit_tag(h);
		s = &t->slot[j];
		s->hash = h;
		s->len = cand[i].len;
		s->key = cand[i].off;
		s->ref = ref0 + i;
		s->n_ref = g - i;
		for (uint32_t k = i; k < g; k++) {
			refs[ref0 + k].id = cand[k].id;
			refs[ref0 + k].raw = cand[k].off;
			refs[ref0 + k].caseless = cand[k].caseless;
			refs[ref0 + k].shape = cand[k].shape;
		}
		if (s->len < t->min_len)
			t->min_len = s->len;
		if (s->len > t->max_len)
			t->max_len = s->len;
	}
	return 0;
}

void dp_literal_free(struct dp_literal *L)
{
	if (!L)
		return;
	free(L->end.slot);
	free(L->end.tag);
	free(L->pre.slot);
	free(L->pre.tag);
	free(L->ref);
	free(L->keys);
	free(L);
}


/* Room for one more candidate in *@cand (capacity *@cap). */
static int lit_cand_room(struct lit_cand **cand, uint32_t n, uint32_t *cap)
{
	struct lit_cand *nc;
	uint32_t ncap;

	if (n < *cap)
		return 0;
	if (*cap > UINT32_MAX / 4)
		return -ENOMEM;
	ncap = *cap ? *cap * 2 : 64;
	nc = realloc(*cand, ncap * sizeof(*nc));
	if (!nc)
		return -ENOMEM;
	*cand = nc;
	*cap = ncap;
	return 0;
}

int dp_literal_create(const struct dp_literal_params *p, struct dp_literal **ret_lit,
		      uint8_t *ret_taken, uint64_t *ret_gate_key)
{
	struct dp_buf keys = { 0 }; /* candidates keep offsets: growing moves it */
	struct lit_cand *cand = NULL;
	struct dp_literal *L = NULL;
	uint32_t n_cand = 0, cap_cand = 0, n_end = 0, keys_end = 0, keys_pre = 0;
	uint32_t klen[LIT_GATE_KEYS];
	char *gtmp = NULL;          /* lit_gate_keys' scratch */
	size_t gtmp_cap = 0;
	int rc = -ENOMEM;

	if (!ret_lit)
		return -EINVAL;
	*ret_lit = NULL;
	if (!p || (p->n_rules && (!p->rules || !ret_taken)))
		return -EINVAL;
	if (!p->n_rules)
		return 0;
	for (uint32_t i = 0; i < p->n_rules; i++) {
		const struct dp_literal_rule *r = &p->rules[i];
		size_t plen = strlen(r->pattern);
		uint32_t len, n_keys;
		int shape;

		if (r->utf8)
			continue;
		if (plen > UINT32_MAX / (2 * LIT_GATE_KEYS) ||
		    keys.len + (size_t)LIT_GATE_KEYS * plen >= UINT32_MAX)
			break;                  /* cannot happen: lines are short */
		if (dp_buf_reserve(&keys, (size_t)LIT_GATE_KEYS * plen) < 0)
			goto out;
		shape = lit_parse(r->pattern, keys.p + keys.len, &len);
		if (shape != LIT_NONE) {
			if (lit_cand_room(&cand, n_cand, &cap_cand) < 0)
				goto out;
			cand[n_cand].id = r->id;
			cand[n_cand].len = len;
			cand[n_cand].off = (uint32_t)keys.len;
			cand[n_cand].shape = (uint8_t)shape;
			cand[n_cand].caseless = r->caseless;
			cand[n_cand].first = 0;
			cand[n_cand].in = i;
			n_cand++;
			keys.len += len;
			continue;
		}
		if (plen < 2)
			continue;               /* no tail before a final $ */
		if (gtmp_cap < (size_t)LIT_GATE_KEYS * plen) {
			char *t = realloc(gtmp, (size_t)LIT_GATE_KEYS * plen);

			if (!t)
				goto out;
			gtmp = t;
			gtmp_cap = (size_t)LIT_GATE_KEYS * plen;
		}
		n_keys = lit_gate_keys(r->pattern, plen, keys.p + keys.len, gtmp, klen);
		for (uint32_t k = 0, at = (uint32_t)keys.len; k < n_keys; k++) {
			if (lit_cand_room(&cand, n_cand, &cap_cand) < 0)
				goto out;
			/* key k sits k * plen bytes past at: pack it */
			memmove(keys.p + keys.len, keys.p + at + (size_t)k * plen, klen[k]);
			cand[n_cand].id = r->id;
			cand[n_cand].len = klen[k];
			cand[n_cand].off = (uint32_t)keys.len;
			cand[n_cand].shape = LIT_GATE;
			cand[n_cand].caseless = r->caseless;
			cand[n_cand].first = k == 0;
			cand[n_cand].in = i;
			n_cand++;
			keys.len += klen[k];
		}
	}
	n_cand = lit_pick_prefixes(cand, n_cand);
	if (n_cand == UINT32_MAX)
		goto out;
	if (!n_cand) {
		rc = 0;
		goto out;
	}
	for (uint32_t i = 0; i < n_cand; i++)
		cand[i].key = keys.p + cand[i].off;
	qsort(cand, n_cand, sizeof(*cand), lit_cand_cmp);
	for (uint32_t i = 0; i < n_cand; i++) {
		bool first = !i || !lit_same_key(&cand[i - 1], &cand[i]);

		if (lit_cand_table(&cand[i]))
			keys_pre += first;
		else
			n_end++, keys_end += first;
	}

	L = calloc(1, sizeof(*L));
	if (!L)
		goto out;
	L->ref = malloc(n_cand * sizeof(*L->ref));
	if (!L->ref)
		goto out;
	if (lit_table_fill(&L->end, cand, n_end, keys_end, L->ref, 0, true) < 0 ||
	    lit_table_fill(&L->pre, cand + n_end, n_cand - n_end, keys_pre, L->ref,
			   n_end, false) < 0)
		goto out;
	/* sorted by length: the distinct lengths come out ascending */
	for (uint32_t i = n_end; i < n_cand; i++)
		if (!L->n_pre_lens || L->pre_lens[L->n_pre_lens - 1] != cand[i].len)
			L->pre_lens[L->n_pre_lens++] = cand[i].len;
	for (uint32_t i = 0; i < n_cand; i++)
		ret_taken[cand[i].in] = cand[i].shape == LIT_GATE ? DP_LITERAL_GATED
								  : DP_LITERAL_ANSWERED;
	for (uint32_t i = 0; ret_gate_key && i < n_cand; i++)
		if (cand[i].shape == LIT_GATE && cand[i].first)
			ret_gate_key[cand[i].in] = lit_hash_end(cand[i].key, cand[i].len);
	L->keys = keys.p;
	keys.p = NULL;
	*ret_lit = L;
	L = NULL;
	rc = 0;
out:
	dp_literal_free(L);
	free(keys.p);
	free(cand);
	free(gtmp);
	return rc;
}

/* Where hits go: dp_literal_scan's callback. */
struct lit_sink {
	dp_literal_hit_fn fn, gate;
	void *ctx;
};

/* The slot of key v[0..len) with hash @h in @t, or NULL. */
static inline const struct lit_slot *lit_find(const struct dp_literal *L,
					      const struct lit_table *t, uint64_t h,
					      const char *v, size_t len)
{
	uint16_t tag = lit_tag(h);

	for (uint32_t i = lit_home(h, t->shift); t->tag[i]; i = (i + 1) & t->mask) {
		const struct lit_slot *s = &t->slot[i];

		if (t->tag[i] == tag && s->hash == h && s->len == len &&
		    lit_eq(v, L->keys + s->key, len))
			return s;
	}
	return NULL;
}

/* The rules of slot @s whose key sits at @v; @whole: v is the whole value
 * (exact rules apply too, not only suffix and gate rules). */
static inline void lit_hits(const struct dp_literal *L, const struct lit_slot *s,
			    const char *v, bool whole, const struct lit_sink *c)
{
	for (uint32_t k = s->ref; k < s->ref + s->n_ref; k++) {
		const struct lit_ref *r = &L->ref[k];

		if (!whole && r->shape == LIT_EXACT)
			continue;
		if (!r->caseless && memcmp(v, L->keys + r->raw, s->len))
			continue;
		if (r->shape != LIT_GATE)
			c->fn(c->ctx, r->id);
		else if (c->gate)
			c->gate(c->ctx, r->id);
	}
}

/* Look up suffix v[p..e) (hash @h) in the end table. */
static inline void lit_end_one(const struct dp_literal *L, const char *v, size_t e,
			       size_t p, uint64_t h, const struct lit_sink *c)
{
	const struct lit_table *t = &L->end;
	const struct lit_slot *s;
	size_t len = e - p;

	if (len < t->min_len || len > t->max_len)
		return;
	s = lit_find(L, t, h, v + p, len);
	if (s)
		lit_hits(L, s, v + p, p == 0, c);
}

/*
 * Exact and suffix rules on v[0..e): the value's 8-byte words from the end
 * (lit_hash_end's order), each suffix that starts at a '.' or '@' (or at 0:
 * the whole value) looked up as its word is reached.
 */
static void lit_scan_end(const struct dp_literal *L, const char *v, size_t e,
			 const struct lit_sink *c)
{
	size_t lim = e < L->end.max_len ? e : L->end.max_len, j8 = 0;
	uint64_t st = LIT_SEED;          /* hash state after j8 / 8 words */

	for (; j8 < lim && j8 + 8 <= e; j8 += 8) {
		size_t base = e - j8 - 8;          /* value offset of the word */
		uint64_t w = lit_le64(v + base), fw = lit_fold64(w);
		uint64_t next = lit_mix(st, fw), m = lit_seps(w);

		if (!base)
			m |= 0x80;                 /* the whole value */
		for (; m; m &= m - 1) {
			unsigned b = (unsigned)__builtin_ctzll(m) >> 3;

			/* suffix from base + b: head = bytes b..7 of the word */
			lit_end_one(L, v, e, base + b, b ? lit_mix(st, fw >> (8 * b)) : next, c);
		}
		st = next;
	}
	if (j8 < lim && j8 < e) {                  /* the first e - j8 < 8 bytes */
		size_t r = e - j8;
		uint64_t w = lit_le_part(v, r), fw = lit_fold64(w), m = lit_seps(w) | 0x80;

		for (; m; m &= m - 1) {
			unsigned b = (unsigned)__builtin_ctzll(m) >> 3;

			lit_end_one(L, v, e, b, lit_mix(st, fw >> (8 * b)), c);
		}
	}
}

/* Prefix rules: the value's first bytes at each prefix key length. */
static void lit_scan_pre(const struct dp_literal *L, const char *v, size_t n,
			 const struct lit_sink *c)
{
	const struct lit_slot *s;
	uint64_t st = LIT_SEED;          /* hash state after j8 / 8 words */
	size_t j8 = 0;

	for (uint32_t k = 0; k < L->n_pre_lens && L->pre_lens[k] <= n; k++) {
		size_t len = L->pre_lens[k], r = len % 8;
		uint64_t h;

		for (; j8 + 8 <= len; j8 += 8)
			st = lit_mix(st, lit_fold64(lit_le64(v + j8)));
		h = st;
		if (r)
			h = lit_mix(st, lit_fold64(j8 + 8 <= n ?
						   lit_le64(v + j8) & ((1ull << (8 * r)) - 1) :
						   lit_le_part(v + j8, r)));
		s = lit_find(L, &L->pre, h, v, len);
		if (s)
			lit_hits(L, s, v, true, c);
	}
}

void dp_literal_scan(const struct dp_literal *L, const char *v, size_t n,
		     dp_literal_hit_fn fn, dp_literal_hit_fn gate_fn, void *ctx)
{
	const struct lit_sink sink = { fn, gate_fn, ctx }, *c = &sink;
	size_t e = n && v[n - 1] == '\n' ? n - 1 : n;    /* $ before a final \n */

	if (L->end.slot && e >= L->end.min_len)
		lit_scan_end(L, v, e, c);
	if (L->pre.slot && n >= L->pre.min_len)
		lit_scan_pre(L, v, n, c);
}
