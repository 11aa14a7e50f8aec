/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * gen_pcap: frame building and buffered pcap output (see gen_pcap.h).
 * Checksums are one's-complement sums taken over native-order words and
 * stored back in native order, which RFC 1071 shows is byte-order neutral.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gen_pcap.h"

#define BUF_SIZE (4u << 20)
/* Largest record: pcap header, Ethernet + tag, IPv6, TCP with options. */
#define REC_MAX (16u + 18u + 40u + 32u + GEN_PCAP_MAX_PAYLOAD)

#define PROTO_ICMP 1
#define PROTO_TCP 6
#define PROTO_UDP 17
#define PROTO_ICMPV6 58

struct gen_pcap {
	int fd;
	int own_fd;
	int err;               /* first -errno, sticky */
	uint32_t used;
	struct gen_pcap_stats st;
	uint8_t *buf;
};

static int flush_buf(struct gen_pcap *w)
{
	uint32_t off = 0;

	while (off < w->used && !w->err) {
		ssize_t n = write(w->fd, w->buf + off, w->used - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			w->err = n < 0 ? -errno : -EIO;
		else
			off += (uint32_t)n;
	}
	w->used = 0;
	return w->err;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* Bytes @p[0..n) (n < 8) as one zero-padded native word. */
static uint64_t tail_word(const uint8_t *p, uint32_t n)
{
	uint8_t t[8] = { 0 };
	uint64_t v;

	for (uint32_t i = 0; i < n; i++)
		t[i] = p[i];
	memcpy(&v, t, 8);
	return v;
}

__extension__ typedef unsigned __int128 u128;

/* Fold a 128-bit sum of 64-bit words (end-around carry). */
static uint64_t fold128(u128 s)
{
	uint64_t lo = (uint64_t)s, hi = (uint64_t)(s >> 64);

	lo += hi;
	return lo + (lo < hi);
}

/*
 * One's-complement sum of @p[0..n) added to @acc, in 64-bit words with a
 * 128-bit accumulator (its high half holds the end-around carries). @p
 * starts at an even offset of the checksummed data; zero padding of the
 * last word keeps every byte in its 16-bit lane.
 */
static uint64_t csum_add(uint64_t acc, const uint8_t *p, uint32_t n)
{
	u128 s = acc;
	uint64_t a, b, c, d;

	for (; n >= 32; p += 32, n -= 32) {
		memcpy(&a, p, 8);
		memcpy(&b, p + 8, 8);
		memcpy(&c, p + 16, 8);
		memcpy(&d, p + 24, 8);
		s += a;
		s += b;
		s += c;
		s += d;
	}
	for (; n >= 8; p += 8, n -= 8) {
		memcpy(&a, p, 8);
		s += a;
	}
	if (n)
		s += tail_word(p, n);
	return fold128(s);
}

typedef uint32_t u32x4 __attribute__((vector_size(16)));
typedef uint64_t u64x4 __attribute__((vector_size(32)));

/* @a + @b in one's-complement arithmetic on 64-bit words. */
static uint64_t add_oc(uint64_t a, uint64_t b)
{
	a += b;
	return a + (a < b);
}

/*
 * Copy @n bytes to @dst and add them to the sum @acc in the same pass.
 * 32-bit words are summed in four 64-bit lanes (one vector add per 16
 * bytes where the target has one); no lane can overflow below 2^32
 * iterations, far more than a frame.
 */
static uint64_t csum_copy(uint8_t *dst, const uint8_t *p, uint32_t n, uint64_t acc)
{
	u64x4 lanes = { 0, 0, 0, 0 };
	u32x4 lo, hi;

	for (; n >= 32; p += 32, dst += 32, n -= 32) {
		memcpy(&lo, p, 16);
		memcpy(&hi, p + 16, 16);
		memcpy(dst, p, 32);
		lanes += __builtin_convertvector(lo, u64x4);
		lanes += __builtin_convertvector(hi, u64x4);
	}
	acc = add_oc(acc, lanes[0] + lanes[1] + lanes[2] + lanes[3]);
	if (n) {
		memcpy(dst, p, n);
		acc = csum_add(acc, p, n);
	}
	return acc;
}

/* Fold and complement; store at @where in native order. */
static void csum_store(uint8_t *where, uint64_t acc)
{
	uint16_t c;

	while (acc >> 16)
		acc = (acc & 0xffff) + (acc >> 16);
	c = (uint16_t)~acc;
	memcpy(where, &c, 2);
}

/* Pseudo-header sum for an upper-layer packet of @len bytes. */
static uint64_t pseudo_sum(const struct gen_path *p, uint8_t proto, uint32_t len)
{
	uint8_t tail[4] = { 0, proto, (uint8_t)(len >> 8), (uint8_t)len };
	uint32_t w[8], t;
	uint64_t acc = 0;

	memcpy(&t, tail, 4);
	if (p->family == 4) {
		memcpy(w, p->src, 4);
		memcpy(w + 1, p->dst, 4);
		return (uint64_t)w[0] + w[1] + t;
	}
	/* IPv6 (RFC 8200 8.1): 32-bit length, then zeros and next header,
	 * which sum to the same as IPv4's proto + 16-bit length here. */
	memcpy(w, p->src, 16);
	memcpy(w + 4, p->dst, 16);
	for (int i = 0; i < 8; i++)
		acc += w[i];
	return acc + t;
}

/*
 * Start a record: reserve room, write the pcap record header (lengths
 * patched by rec_end), Ethernet, tag and IP header for @l4_len bytes of
 * protocol @proto. Returns the L4 header position.
 */
static uint8_t *rec_begin(struct gen_pcap *w, uint64_t ts_us,
			  const struct gen_path *p, uint16_t ip_id,
			  uint8_t proto, uint32_t l4_len, int dont_frag)
{
	uint8_t *r, *f;
	uint32_t sec = (uint32_t)(ts_us / 1000000u), usec = (uint32_t)(ts_us % 1000000u);

	if (w->used + REC_MAX > BUF_SIZE)
		flush_buf(w);
	r = w->buf + w->used;
	memcpy(r, &sec, 4);
	memcpy(r + 4, &usec, 4);
	f = r + 16;
	memcpy(f, p->mac_dst, 6);
	memcpy(f + 6, p->mac_src, 6);
	f += 12;
	if (p->vlan) {
		put16(f, 0x8100);
		put16(f + 2, p->vlan & 0x0fff);
		f += 4;
	}
	if (p->family == 4) {
		put16(f, 0x0800);
		f += 2;
		f[0] = 0x45;
		f[1] = 0;
		put16(f + 2, (uint16_t)(20 + l4_len));
		put16(f + 4, ip_id);
		put16(f + 6, dont_frag ? 0x4000 : 0);
		f[8] = p->ttl;
		f[9] = proto;
		f[10] = f[11] = 0;
		memcpy(f + 12, p->src, 4);
		memcpy(f + 16, p->dst, 4);
		csum_store(f + 10, csum_add(0, f, 20));
		return f + 20;
	}
	put16(f, 0x86dd);
	f += 2;
	put32(f, 6u << 28);
	put16(f + 4, (uint16_t)l4_len);
	f[6] = proto;
	f[7] = p->ttl;
	memcpy(f + 8, p->src, 16);
	memcpy(f + 24, p->dst, 16);
	return f + 40;
}

static int rec_end(struct gen_pcap *w, const uint8_t *end)
{
	uint8_t *r = w->buf + w->used;
	uint32_t len = (uint32_t)(end - r) - 16u;

	memcpy(r + 8, &len, 4);
	memcpy(r + 12, &len, 4);
	w->used += len + 16u;
	w->st.packets++;
	w->st.bytes += len;
	return w->err;
}

struct gen_pcap *gen_pcap_open(const struct gen_pcap_params *p)
{
	struct gen_pcap *w;
	/* magic, v2.4, thiszone, sigfigs, snaplen, LINKTYPE_ETHERNET */
	const uint32_t hdr[6] = { 0xa1b2c3d4u, 2u | (4u << 16), 0, 0, 65535, 1 };

	if (!p || !p->path) {
		errno = EINVAL;
		return NULL;
	}
	w = calloc(1, sizeof(*w));
	if (!w)
		return NULL;
	w->buf = malloc(BUF_SIZE);
	if (!w->buf) {
		free(w);
		errno = ENOMEM;
		return NULL;
	}
	if (strcmp(p->path, "-") == 0) {
		w->fd = STDOUT_FILENO;
	} else {
		w->fd = open(p->path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (w->fd < 0) {
			int e = errno;

			free(w->buf);
			free(w);
			errno = e;
			return NULL;
		}
		w->own_fd = 1;
	}
	memcpy(w->buf, hdr, sizeof(hdr));
	w->used = sizeof(hdr);
	return w;
}

int gen_pcap_close(struct gen_pcap *w)
{
	int err;

	if (!w)
		return 0;
	flush_buf(w);
	if (w->own_fd && close(w->fd) != 0 && !w->err)
		w->err = -errno;
	err = w->err;
	free(w->buf);
	free(w);
	return err;
}

int gen_pcap_tcp(struct gen_pcap *w, uint64_t ts_us, const struct gen_path *p,
		 const struct gen_tcp_seg *t, const uint8_t *payload, uint32_t len)
{
	/* MSS 1460, NOP, window scale 7, SACK permitted, NOP, NOP */
	static const uint8_t opts[12] = { 2, 4, 0x05, 0xb4, 1, 3, 3, 7, 4, 2, 1, 1 };
	uint32_t hlen = t->syn_opts ? 32u : 20u;
	uint8_t *h;

	if (len > GEN_PCAP_MAX_PAYLOAD)
		return -EMSGSIZE;
	h = rec_begin(w, ts_us, p, t->ip_id, PROTO_TCP, hlen + len, 1);
	put16(h, t->sport);
	put16(h + 2, t->dport);
	put32(h + 4, t->seq);
	put32(h + 8, t->ack);
	h[12] = (uint8_t)((hlen / 4) << 4);
	h[13] = t->flags;
	put16(h + 14, t->win);
	h[16] = h[17] = h[18] = h[19] = 0;
	if (t->syn_opts)
		memcpy(h + 20, opts, sizeof(opts));
	/* The header is 20 or 32 bytes: the payload starts at an even offset. */
	csum_store(h + 16, csum_copy(h + hlen, payload, len,
				     csum_add(pseudo_sum(p, PROTO_TCP, hlen + len), h, hlen)));
	return rec_end(w, h + hlen + len);
}

int gen_pcap_udp(struct gen_pcap *w, uint64_t ts_us, const struct gen_path *p,
		 uint16_t ip_id, uint16_t sport, uint16_t dport,
		 const uint8_t *payload, uint32_t len)
{
	uint8_t *h;
	uint64_t acc;

	if (len > GEN_PCAP_MAX_PAYLOAD)
		return -EMSGSIZE;
	h = rec_begin(w, ts_us, p, ip_id, PROTO_UDP, 8 + len, 0);
	put16(h, sport);
	put16(h + 2, dport);
	put16(h + 4, (uint16_t)(8 + len));
	h[6] = h[7] = 0;
	memcpy(h + 8, payload, len);
	acc = csum_add(pseudo_sum(p, PROTO_UDP, 8 + len), h, 8 + len);
	csum_store(h + 6, acc);
	if (h[6] == 0 && h[7] == 0) /* 0 means "no checksum" in UDP */
		h[6] = h[7] = 0xff;
	return rec_end(w, h + 8 + len);
}

int gen_pcap_echo(struct gen_pcap *w, uint64_t ts_us, const struct gen_path *p,
		  uint16_t ip_id, int reply, uint16_t id, uint16_t seq,
		  const uint8_t *payload, uint32_t len)
{
	int v4 = p->family == 4;
	uint8_t *h;
	uint64_t acc;

	if (len > GEN_PCAP_MAX_PAYLOAD)
		return -EMSGSIZE;
	h = rec_begin(w, ts_us, p, ip_id, v4 ? PROTO_ICMP : PROTO_ICMPV6, 8 + len, 0);
	h[0] = v4 ? (reply ? 0 : 8) : (reply ? 129 : 128);
	h[1] = 0;
	h[2] = h[3] = 0;
	put16(h + 4, id);
	put16(h + 6, seq);
	memcpy(h + 8, payload, len);
	/* ICMPv6 covers a pseudo-header; ICMP for IPv4 does not. */
	acc = v4 ? 0 : pseudo_sum(p, PROTO_ICMPV6, 8 + len);
	csum_store(h + 2, csum_add(acc, h, 8 + len));
	return rec_end(w, h + 8 + len);
}

const struct gen_pcap_stats *gen_pcap_stats(const struct gen_pcap *w)
{
	return &w->st;
}
