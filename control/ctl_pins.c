/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ctl_pins: read the pinned maps of include/mxscreen/bpf.h (see
 * ctl_pins.h for the contract). libbpf's low-level calls only: no
 * skeleton, no object loaded, nothing written. Any thread; no state.
 *
 * A pin is trusted only after its type and key and value sizes match this
 * build's layouts, so a CLI never misreads the maps of another version.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <mxscreen/verdict.h>

#include "ctl_pins.h"

#ifndef ENOTSUPP
#define ENOTSUPP 524                  /* kernel-internal, leaks out of bpf(2) */
#endif

#define BATCH 4096                    /* entries per lookup_batch call */

_Static_assert(sizeof(struct mxs_bpf_stats) % sizeof(__u64) == 0,
	       "per-CPU values are u64 arrays, no padding between CPUs");

__attribute__((format(printf, 4, 5)))
static int fail(char *err, size_t errlen, int rc, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return rc;
}

/* The map pinned at @pin_dir/@name, checked against this build's layout;
 * an fd, or -errno with the reason in @err. */
static int open_map(const char *pin_dir, const char *name, __u32 type, __u32 key_size,
		    __u32 value_size, char *err, size_t errlen)
{
	struct bpf_map_info info;
	__u32 len = sizeof(info);
	char path[PATH_MAX];
	int fd, rc;

	if (!pin_dir || !*pin_dir)
		return fail(err, errlen, -EINVAL, "no bpf_pin_dir given");
	if (snprintf(path, sizeof(path), "%s/%s", pin_dir, name) >= (int)sizeof(path))
		return fail(err, errlen, -ENAMETOOLONG, "%s/%s: path too long", pin_dir, name);
	fd = bpf_obj_get(path);
	if (fd < 0) {
		rc = errno ? -errno : -EIO;
		if (rc == -ENOENT)
			return fail(err, errlen, rc, "%s: not pinned (is enforcement loaded?)", path);
		return fail(err, errlen, rc, "%s: %s", path, strerror(-rc));
	}
	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(fd, &info, &len)) {
		rc = errno ? -errno : -EIO;
		close(fd);
		return fail(err, errlen, rc, "%s: %s", path, strerror(-rc));
	}
	if (info.type != type || info.key_size != key_size || info.value_size != value_size) {
		close(fd);
		return fail(err, errlen, -EPROTO, "%s: not this mxscreen's layout (map type %u, "
			    "key %u, value %u bytes; want type %u, key %u, value %u)", path,
			    info.type, info.key_size, info.value_size, type, key_size, value_size);
	}
	return fd;
}

int ctl_pins_stats(const char *pin_dir, struct mxs_bpf_stats *sum, char *err, size_t errlen)
{
	struct mxs_bpf_stats *per;
	int ncpus = libbpf_num_possible_cpus(), fd, rc;
	__u32 zero = 0;

	memset(sum, 0, sizeof(*sum));
	if (ncpus <= 0)
		return fail(err, errlen, ncpus < 0 ? ncpus : -EINVAL,
			    "counting possible CPUs: %s", strerror(ncpus < 0 ? -ncpus : EINVAL));
	fd = open_map(pin_dir, "stats", BPF_MAP_TYPE_PERCPU_ARRAY, sizeof(__u32),
		      sizeof(struct mxs_bpf_stats), err, errlen);
	if (fd < 0)
		return fd;
	per = calloc((size_t)ncpus, sizeof(*per));
	if (!per) {
		close(fd);
		return fail(err, errlen, -ENOMEM, "%s/stats: out of memory", pin_dir);
	}
	rc = bpf_map_lookup_elem(fd, &zero, per);
	if (rc) {
		rc = rc < 0 ? rc : -errno;
		fail(err, errlen, rc, "%s/stats: reading: %s", pin_dir, strerror(-rc));
	}
	for (int cpu = 0; !rc && cpu < ncpus; cpu++) {
		const __u64 *src = (const __u64 *)&per[cpu];
		__u64 *dst = (__u64 *)sum;

		for (size_t i = 0; i < sizeof(*sum) / sizeof(__u64); i++)
			dst[i] += src[i];
	}
	free(per);
	close(fd);
	return rc;
}

/* ---- walking a map ---- */

/* Called for each entry; nonzero stops the walk with that value. */
typedef int (*walk_fn)(const void *key, const void *value, void *ctx);

/* Every entry of @fd, one get_next_key and lookup each. */
static int walk_single(int fd, size_t key_size, size_t value_size, walk_fn fn, void *ctx)
{
	unsigned char *k = malloc(key_size), *next = malloc(key_size), *val = malloc(value_size);
	int rc;

	if (!k || !next || !val) {
		rc = -ENOMEM;
		goto out;
	}
	rc = bpf_map_get_next_key(fd, NULL, k);
	while (!rc) {
		/* gone since get_next_key found it: skipped */
		if (!bpf_map_lookup_elem(fd, k, val)) {
			rc = fn(k, val, ctx);
			if (rc)
				goto out;
		}
		rc = bpf_map_get_next_key(fd, k, next);
		memcpy(k, next, key_size);
	}
	rc = rc == -ENOENT ? 0 : rc;
out:
	free(k);
	free(next);
	free(val);
	return rc;
}

/* Every entry of hash map @fd, BATCH at a time where the kernel can
 * (one syscall per batch instead of two per entry). */
static int walk_hash(int fd, size_t key_size, size_t value_size, walk_fn fn, void *ctx)
{
	LIBBPF_OPTS(bpf_map_batch_opts, o);
	unsigned char *keys = malloc(BATCH * key_size), *vals = malloc(BATCH * value_size);
	__u32 in = 0, out = 0, count;
	int first = 1, rc, done = 0;

	if (!keys || !vals) {
		free(keys);
		free(vals);
		return -ENOMEM;
	}
	while (!done) {
		count = BATCH;
		rc = bpf_map_lookup_batch(fd, first ? NULL : &in, &out, keys, vals, &count, &o);
		if (rc == -ENOENT) {
			done = 1;             /* the last entries, if any, are in */
			rc = 0;
		}
		if (rc) {
			/* no batch ops here, or a bucket fuller than BATCH
			 * (-ENOSPC): one at a time, from the start, if nothing
			 * was handed on yet */
			if (first && (rc == -EINVAL || rc == -ENOTSUPP || rc == -EOPNOTSUPP ||
				      rc == -ENOSPC)) {
				free(keys);
				free(vals);
				return walk_single(fd, key_size, value_size, fn, ctx);
			}
			break;
		}
		for (__u32 i = 0; i < count && i < BATCH && !rc; i++)
			rc = fn(keys + i * key_size, vals + i * value_size, ctx);
		if (rc)
			break;
		in = out;
		first = 0;
	}
	free(keys);
	free(vals);
	return rc;
}

/* ---- verdicts ---- */

struct top {
	struct ctl_pins_verdict *out;
	size_t max, n;
	int action;
	__u64 now;
};

/* out[0..n) as a min-heap on hits: out[0] is the first to give way. */
static void sift_down(struct ctl_pins_verdict *h, size_t n, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		struct ctl_pins_verdict t;

		if (l < n && h[l].v.hits < h[m].v.hits)
			m = l;
		if (r < n && h[r].v.hits < h[m].v.hits)
			m = r;
		if (m == i)
			return;
		t = h[i];
		h[i] = h[m];
		h[m] = t;
		i = m;
	}
}

static int take_verdict(const void *key, const void *value, void *ctx)
{
	struct top *t = ctx;
	struct ctl_pins_verdict e;

	memcpy(&e.key, key, sizeof(e.key));
	memcpy(&e.v, value, sizeof(e.v));
	if (e.v.expiry_ns < t->now || (t->action >= 0 && e.v.action != t->action))
		return 0;
	if (t->n < t->max) {
		t->out[t->n++] = e;
		if (t->n == t->max)
			for (size_t i = t->max / 2; i-- > 0;)
				sift_down(t->out, t->max, i);
		return 0;
	}
	if (t->max && e.v.hits > t->out[0].v.hits) {
		t->out[0] = e;
		sift_down(t->out, t->max, 0);
	}
	return 0;
}

ssize_t ctl_pins_verdicts(const char *pin_dir, int action, struct ctl_pins_verdict *out,
			  size_t max, char *err, size_t errlen)
{
	struct top t = { .out = out, .max = max, .action = action };
	struct timespec ts;
	int fd, rc;

	if (action < -1 || action >= MXS_ACTION_COUNT)
		return fail(err, errlen, -EINVAL, "no action %d", action);
	fd = open_map(pin_dir, "verdicts", BPF_MAP_TYPE_HASH, sizeof(struct mxs_bpf_addr_key),
		      sizeof(struct mxs_bpf_verdict), err, errlen);
	if (fd < 0)
		return fd;
	/* the programs' clock: an entry is live while expiry_ns >= now */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	t.now = (__u64)ts.tv_sec * 1000000000ull + (__u64)ts.tv_nsec;
	rc = walk_hash(fd, sizeof(struct mxs_bpf_addr_key), sizeof(struct mxs_bpf_verdict),
		       take_verdict, &t);
	close(fd);
	if (rc)
		return fail(err, errlen, rc, "%s/verdicts: reading: %s", pin_dir, strerror(-rc));
	return (ssize_t)t.n;
}

/* ---- static_cidrs ---- */

struct cidrs {
	struct ctl_pins_cidr *out;
	size_t max, n;
	int manual_only;
};

static int take_cidr(const void *key, const void *value, void *ctx)
{
	struct cidrs *c = ctx;
	struct ctl_pins_cidr e;

	if (c->n == c->max)
		return 1;                     /* full: stop the walk */
	memcpy(&e.key, key, sizeof(e.key));
	memcpy(&e.v, value, sizeof(e.v));
	if (c->manual_only && !(e.v.id & MXS_BPF_CIDR_MANUAL))
		return 0;
	c->out[c->n++] = e;
	return 0;
}

ssize_t ctl_pins_cidrs(const char *pin_dir, int which, struct ctl_pins_cidr *out, size_t max,
		       char *err, size_t errlen)
{
	struct cidrs c = { .out = out, .max = max, .manual_only = which == CTL_PINS_CIDR_MANUAL };
	int fd, rc;

	if (which != CTL_PINS_CIDR_MANUAL && which != CTL_PINS_CIDR_ALL)
		return fail(err, errlen, -EINVAL, "static_cidrs: no selection %d", which);
	fd = open_map(pin_dir, "static_cidrs", BPF_MAP_TYPE_LPM_TRIE,
		      sizeof(struct mxs_bpf_cidr_key), sizeof(struct mxs_bpf_cidr_val), err, errlen);
	if (fd < 0)
		return fd;
	/* an LPM trie has no batch lookups */
	rc = walk_single(fd, sizeof(struct mxs_bpf_cidr_key), sizeof(struct mxs_bpf_cidr_val),
			 take_cidr, &c);
	close(fd);
	if (rc < 0)
		return fail(err, errlen, rc, "%s/static_cidrs: reading: %s", pin_dir, strerror(-rc));
	return (ssize_t)c.n;
}
