/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ctl_bpf: load, pin, attach and feed mxscreen's XDP and TC programs (see
 * ctl_bpf.h for the contract). Main thread only.
 *
 * Sharing: both objects declare the same six maps with
 * LIBBPF_PIN_BY_NAME and are opened with pin_root_path = bpf_pin_dir, so
 * the first to load creates and pins them (or reuses the pins of a
 * previous run, contents and all) and the second reuses those.
 *
 * Ownership of attachments: a program on an interface is "ours" when its
 * id is the one we loaded or the one our pin named before we replaced it
 * (the previous run's). Only those are detached from interfaces that are
 * no longer configured, so two instances with different pin directories
 * (a test next to production) never touch each other's interfaces. On a
 * configured interface a program is also replaced when it is named like
 * ours (a run whose pins were removed); any other program is refused.
 *
 * static_cidrs and cidr_hint have one writer, this handle: the config
 * sync and the manual CIDR verdicts of ctl_bpf_write both read the trie
 * as the truth (manual entries survive a restart in it) and keep the
 * h->hint mirror of cidr_hint. Bits for manual adds are set in one write
 * before any of them; a call that deleted (or refused) manual entries
 * ends with cidr_hint recomputed from a walk of the whole trie, which
 * costs a syscall per entry but only then.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>
#include <linux/magic.h>

#include "ctl_bpf.h"
#include "mxs_inline_load.h"
#include "mxscreen_tc.skel.h"
#include "mxscreen_xdp.skel.h"

#ifndef ENOTSUPP
#define ENOTSUPP 524                  /* kernel-internal, leaks out of bpf(2) */
#endif

#define XDP_PROG_NAME "xdp_enforce"
#define TC_PROG_NAME "tc_tag"
#define TC_HANDLE CTL_BPF_TC_HANDLE
#define TC_PRIORITY CTL_BPF_TC_PRIORITY
#define WRITE_CHUNK 1024
#define SUMMARY_MAX 1024
#define NS 1000000000ull

_Static_assert(sizeof(((struct ctl_conf *)0)->smtp_ports) ==
	       sizeof(((struct mxs_bpf_config *)0)->smtp_ports), "smtp_ports sized alike");
_Static_assert(sizeof(struct mxs_bpf_stats) % sizeof(__u64) == 0,
	       "per-CPU values are u64 arrays, no padding between CPUs");

struct ctl_bpf {
	char pin_dir[PATH_MAX];
	struct mxscreen_xdp *xdp;
	struct mxscreen_tc *tc;
	int verdicts_fd, cidrs_fd, stats_fd, config_fd, hint_fd;   /* the skeleton's */
	int xdp_fd, tc_fd;
	uint32_t xdp_id, tc_id;           /* the programs we loaded */
	uint32_t old_xdp_id, old_tc_id;   /* what our pins named before: the last run's */
	int batch_ok;                     /* 0 once the kernel refused update_batch */
	int hint_known;                   /* hint mirrors the pinned cidr_hint */
	int hint_ok;                      /* cidr_hint covers static_cidrs: config.cidr_hint = 1 */
	int cfg_hint;                     /* what config.cidr_hint was last written as */
	uint64_t *hint;                   /* MXS_BPF_HINT_WORDS: cidr_hint as the kernel has it */
	uint64_t *hint_tmp;               /* MXS_BPF_HINT_WORDS scratch, allocated on first use */
	int have_cursor;
	struct mxs_bpf_addr_key cursor;   /* the sweep's next, unvisited key */
	int ncpus;
	struct mxs_bpf_stats *percpu;
	struct ctl_bpf_counters cnt;
	char summary[SUMMARY_MAX];
	struct mxs_bpf_addr_key keys[WRITE_CHUNK];
	struct mxs_bpf_verdict vals[WRITE_CHUNK];
};

/* ---- errors ---- */

/* libbpf's first warning during a load: the root cause, usually. */
static char lb_msg[512];

__attribute__((format(printf, 2, 0)))
static int lb_capture(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	size_t n;

	if (level != LIBBPF_WARN || lb_msg[0])
		return 0;
	vsnprintf(lb_msg, sizeof(lb_msg), fmt, ap);
	n = strlen(lb_msg);
	while (n && (lb_msg[n - 1] == '\n' || lb_msg[n - 1] == ' '))
		lb_msg[--n] = '\0';
	for (char *p = lb_msg; *p; p++)
		if (*p == '\n')
			*p = ' ';
	return 0;
}

/* Before each call whose failure is reported: an earlier, harmless
 * warning (a query that found nothing) must not pose as the cause. */
static void lb_reset(void)
{
	lb_msg[0] = '\0';
}

__attribute__((format(printf, 4, 5)))
static int fail(char *err, size_t errlen, int rc, const char *fmt, ...)
{
	va_list ap;
	size_t n;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
		n = strlen(err);
		if (rc < 0 && n + 2 < errlen)
			snprintf(err + n, errlen - n, ": %s", strerror(-rc));
		n = strlen(err);
		if (lb_msg[0] && n + 4 < errlen)
			snprintf(err + n, errlen - n, " (%s)", lb_msg);
	}
	return rc < 0 ? rc : -EINVAL;
}

/* ---- clocks ---- */

static uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * NS + (uint64_t)ts.tv_nsec;
}

/* A CLOCK_REALTIME instant as CLOCK_MONOTONIC (what bpf_ktime_get_ns
 * reads), through one pair of "now"s; an instant before boot is 0 (past). */
static uint64_t real_to_mono(uint64_t t, uint64_t now_real, uint64_t now_mono)
{
	uint64_t d;

	if (t >= now_real) {
		d = t - now_real;
		return d > UINT64_MAX - now_mono ? UINT64_MAX : now_mono + d;
	}
	d = now_real - t;
	return d < now_mono ? now_mono - d : 0;
}

/* ---- programs ---- */

static int prog_info(int fd, struct bpf_prog_info *info)
{
	__u32 len = sizeof(*info);

	memset(info, 0, sizeof(*info));
	return bpf_obj_get_info_by_fd(fd, info, &len);
}

static uint32_t prog_id(int fd)
{
	struct bpf_prog_info info;

	return prog_info(fd, &info) ? 0 : info.id;
}

/* The name of program @id into @name ("" if gone). */
static void prog_name(uint32_t id, char name[BPF_OBJ_NAME_LEN])
{
	struct bpf_prog_info info;
	int fd = bpf_prog_get_fd_by_id(id);

	name[0] = '\0';
	if (fd < 0)
		return;
	if (!prog_info(fd, &info))
		snprintf(name, BPF_OBJ_NAME_LEN, "%s", info.name);
	close(fd);
}

/* The id of the program pinned at @path, 0 if none. */
static uint32_t pinned_id(const char *path)
{
	int fd = bpf_obj_get(path);
	uint32_t id;

	if (fd < 0)
		return 0;
	id = prog_id(fd);
	close(fd);
	return id;
}

/* Pin @fd at @dir/@name, replacing what is there: pinned beside it, then
 * renamed over it, so the path never goes missing. (bpffs refuses names
 * with a dot, hence no ".name.tmp".) */
static int pin_prog(int fd, const char *dir, const char *name, char *err, size_t errlen)
{
	char path[PATH_MAX], tmp[PATH_MAX];
	int rc;

	if (snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int)sizeof(path) ||
	    snprintf(tmp, sizeof(tmp), "%s/%s_new", dir, name) >= (int)sizeof(tmp))
		return fail(err, errlen, -ENAMETOOLONG, "bpf_pin_dir %s", dir);
	unlink(tmp);
	rc = bpf_obj_pin(fd, tmp);
	if (!rc && rename(tmp, path)) {
		unlink(tmp);
		unlink(path);
		rc = bpf_obj_pin(fd, path);
	}
	if (rc)
		return fail(err, errlen, rc < 0 ? rc : -errno, "pinning %s", path);
	return 0;
}


/* ---- interfaces ---- */

struct iface {
	const char *name;
	unsigned index;
};

/* Every configured interface's index; a missing one is an error naming it. */
static int resolve_ifaces(const char (*names)[CTL_IFNAME_SIZE], size_t n, const char *key,
			  struct iface *out, char *err, size_t errlen)
{
	for (size_t i = 0; i < n; i++) {
		out[i].name = names[i];
		out[i].index = if_nametoindex(names[i]);
		if (!out[i].index)
			return fail(err, errlen, errno == ENODEV || errno == ENXIO || !errno ?
				    -ENODEV : -errno, "%s: no interface '%s'", key, names[i]);
	}
	return 0;
}

static int listed(const char (*names)[CTL_IFNAME_SIZE], size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(names[i], name))
			return 1;
	return 0;
}

/* Whether program @id may be replaced on a configured interface. */
static int replaceable(uint32_t id, uint32_t cur, uint32_t old, const char *want)
{
	char name[BPF_OBJ_NAME_LEN];

	if (!id || id == cur || id == old)
		return 1;
	prog_name(id, name);
	return !strcmp(name, want);
}

/* ---- XDP ---- */

static uint32_t xdp_mode_flag(int drv)
{
	return drv ? XDP_FLAGS_DRV_MODE : XDP_FLAGS_SKB_MODE;
}

/* Detach program @id from mode @flag of @ifindex, only if it still is there. */
static int xdp_detach_id(unsigned ifindex, uint32_t flag, uint32_t id)
{
	LIBBPF_OPTS(bpf_xdp_attach_opts, o);
	int fd = bpf_prog_get_fd_by_id(id), rc;

	if (fd < 0)
		return -errno;
	o.old_prog_fd = fd;
	lb_reset();
	rc = bpf_xdp_detach((int)ifindex, flag, &o);
	close(fd);
	return rc;
}

/* Attach in one mode: the other mode's program (ours, checked) goes
 * first, since the kernel allows one of native and generic at a time. */
static int xdp_attach_mode(struct ctl_bpf *h, unsigned ifindex, int drv,
			   const struct bpf_xdp_query_opts *q)
{
	LIBBPF_OPTS(bpf_xdp_attach_opts, o);
	uint32_t same = drv ? q->drv_prog_id : q->skb_prog_id;
	uint32_t other = drv ? q->skb_prog_id : q->drv_prog_id;
	uint32_t flags = xdp_mode_flag(drv);
	int old_fd = -1, rc;

	if (same == h->xdp_id && !other)
		return 0;
	if (other) {
		rc = xdp_detach_id(ifindex, xdp_mode_flag(!drv), other);
		if (rc)
			return rc;
	}
	if (same == h->xdp_id)
		return 0;
	if (same) {
		old_fd = bpf_prog_get_fd_by_id(same);
		if (old_fd < 0)
			return -errno;
		o.old_prog_fd = old_fd;   /* compare-and-swap: only if still that one */
	} else {
		flags |= XDP_FLAGS_UPDATE_IF_NOEXIST;
	}
	lb_reset();
	rc = bpf_xdp_attach((int)ifindex, h->xdp_fd, flags, &o);
	if (old_fd >= 0)
		close(old_fd);
	return rc;
}

static int xdp_attach(struct ctl_bpf *h, const struct iface *ifc, int mode,
		      int *ret_drv, char *err, size_t errlen)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	char name[BPF_OBJ_NAME_LEN];
	int rc;

	lb_reset();
	rc = bpf_xdp_query((int)ifc->index, 0, &q);
	if (rc)
		return fail(err, errlen, rc, "xdp_interfaces: %s: querying XDP", ifc->name);
	for (int i = 0; i < 2; i++) {
		uint32_t id = i ? q.skb_prog_id : q.drv_prog_id;

		if (!replaceable(id, h->xdp_id, h->old_xdp_id, XDP_PROG_NAME)) {
			lb_reset();
			prog_name(id, name);
			return fail(err, errlen, -EBUSY, "xdp_interfaces: %s already has XDP program "
				    "'%s' (id %u), not mxscreen's: detach it first", ifc->name,
				    name, id);
		}
	}
	if (mode != CTL_XDP_GENERIC) {
		rc = xdp_attach_mode(h, ifc->index, 1, &q);
		if (!rc || mode == CTL_XDP_NATIVE) {
			*ret_drv = 1;
			if (rc)
				return fail(err, errlen, rc, "xdp_interfaces: %s: attaching XDP in "
					    "native mode", ifc->name);
			return 0;
		}
		/* auto: the driver cannot; the detach above may have run, so
		 * look again before going generic. */
		lb_reset();
		rc = bpf_xdp_query((int)ifc->index, 0, &q);
		if (rc)
			return fail(err, errlen, rc, "xdp_interfaces: %s: querying XDP", ifc->name);
	}
	*ret_drv = 0;
	rc = xdp_attach_mode(h, ifc->index, 0, &q);
	if (rc)
		return fail(err, errlen, rc, "xdp_interfaces: %s: attaching XDP in generic mode",
			    ifc->name);
	return 0;
}

/* ---- TC ---- */

static int tc_attach(struct ctl_bpf *h, const struct iface *ifc, char *err, size_t errlen)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = (int)ifc->index, .attach_point = BPF_TC_INGRESS);
	LIBBPF_OPTS(bpf_tc_opts, q, .handle = TC_HANDLE, .priority = TC_PRIORITY);
	LIBBPF_OPTS(bpf_tc_opts, o, .handle = TC_HANDLE, .priority = TC_PRIORITY);
	char name[BPF_OBJ_NAME_LEN];
	int rc;

	lb_reset();
	rc = bpf_tc_hook_create(&hook);
	if (rc && rc != -EEXIST)
		return fail(err, errlen, rc, "tc_interfaces: %s: creating the clsact qdisc",
			    ifc->name);
	if (bpf_tc_query(&hook, &q))
		q.prog_id = 0;
	if (q.prog_id == h->tc_id)
		return 0;
	if (!replaceable(q.prog_id, h->tc_id, h->old_tc_id, TC_PROG_NAME)) {
		lb_reset();
		prog_name(q.prog_id, name);
		return fail(err, errlen, -EBUSY, "tc_interfaces: %s already has program '%s' "
			    "(id %u) as ingress filter handle 0x%x, not mxscreen's", ifc->name,
			    name, q.prog_id, TC_HANDLE);
	}
	o.prog_fd = h->tc_fd;
	o.flags = q.prog_id ? BPF_TC_F_REPLACE : 0;
	lb_reset();
	rc = bpf_tc_attach(&hook, &o);
	if (rc)
		return fail(err, errlen, rc, "tc_interfaces: %s: attaching to ingress", ifc->name);
	return 0;
}

/* Take this pin directory's programs (this run's or the last one's) off
 * every interface that is not configured for them any more. */
static void detach_unlisted(struct ctl_bpf *h, const struct ctl_conf *c)
{
	struct if_nameindex *all = if_nameindex();

	for (struct if_nameindex *i = all; i && i->if_index; i++) {
		if (!listed(c->xdp_ifaces, c->n_xdp_ifaces, i->if_name)) {
			LIBBPF_OPTS(bpf_xdp_query_opts, q);

			if (!bpf_xdp_query((int)i->if_index, 0, &q)) {
				if (q.drv_prog_id && (q.drv_prog_id == h->xdp_id ||
						      q.drv_prog_id == h->old_xdp_id))
					xdp_detach_id(i->if_index, XDP_FLAGS_DRV_MODE, q.drv_prog_id);
				if (q.skb_prog_id && (q.skb_prog_id == h->xdp_id ||
						      q.skb_prog_id == h->old_xdp_id))
					xdp_detach_id(i->if_index, XDP_FLAGS_SKB_MODE, q.skb_prog_id);
			}
		}
		if (!listed(c->tc_ifaces, c->n_tc_ifaces, i->if_name)) {
			LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = (int)i->if_index,
				    .attach_point = BPF_TC_INGRESS);
			LIBBPF_OPTS(bpf_tc_opts, q, .handle = TC_HANDLE, .priority = TC_PRIORITY);
			LIBBPF_OPTS(bpf_tc_opts, d, .handle = TC_HANDLE, .priority = TC_PRIORITY);

			if (!bpf_tc_query(&hook, &q) && q.prog_id &&
			    (q.prog_id == h->tc_id || q.prog_id == h->old_tc_id))
				bpf_tc_detach(&hook, &d);
		}
	}
	if (all)
		if_freenameindex(all);
}

/* ---- maps ---- */

static int write_config(struct ctl_bpf *h, const struct ctl_conf *c, char *err, size_t errlen)
{
	struct mxs_bpf_config cfg;
	__u32 zero = 0;
	int rc;

	memset(&cfg, 0, sizeof(cfg));
	for (size_t i = 0; i < c->n_smtp_ports && i < MXS_BPF_MAX_PORTS; i++)
		cfg.smtp_ports[i] = c->smtp_ports[i];
	cfg.tag_dscp = (__u8)c->tag_dscp;
	cfg.shadow = c->shadow ? 1 : 0;
	cfg.cidr_hint = h->hint_ok ? 1 : 0;
	cfg.throttle_rate = c->throttle_rate;
	cfg.throttle_burst = c->throttle_burst;
	cfg.tag_mark = c->tag_mark;
	lb_reset();
	rc = bpf_map_update_elem(h->config_fd, &zero, &cfg, BPF_ANY);
	if (rc)
		return fail(err, errlen, rc, "writing the config map");
	h->cfg_hint = cfg.cidr_hint;
	return 0;
}

/* ---- cidr_hint ---- */

/* Set the cidr_hint bits of one static_cidrs key in @bm. */
static void hint_mark(uint64_t *bm, const struct mxs_bpf_cidr_key *k)
{
	uint32_t len = k->prefixlen - 32, bit = MXS_BPF_HINT_BIT(k->family, k->addr);
	uint32_t span, end;

	if (k->prefixlen < 32)
		len = 0;                      /* not ours: cover the family */
	if (len >= 24) {
		bm[bit >> 6] |= 1ull << (bit & 63);
		return;
	}
	span = 1u << (24 - len);              /* aligned: span divides the start */
	bit &= ~(span - 1);
	if (span < 64) {
		bm[bit >> 6] |= ((1ull << span) - 1) << (bit & 63);
		return;
	}
	end = bit + span;
	for (uint32_t w = bit >> 6; w < end >> 6; w++)
		bm[w] = ~0ull;
}

/* The pinned cidr_hint into h->hint (a previous run's bits, or zeros). */
static int hint_read(struct ctl_bpf *h)
{
	LIBBPF_OPTS(bpf_map_batch_opts, o);
	__u32 *keys = malloc(MXS_BPF_HINT_WORDS * sizeof(*keys)), out = 0, count;
	size_t done = 0;
	int rc = 0;

	if (!keys)
		return -ENOMEM;
	count = MXS_BPF_HINT_WORDS;
	rc = bpf_map_lookup_batch(h->hint_fd, NULL, &out, keys, h->hint, &count, &o);
	if ((!rc || rc == -ENOENT) && count == MXS_BPF_HINT_WORDS) {
		/* an array comes back in index order, every index there */
		rc = 0;
		for (__u32 i = 0; i < count && !rc; i++)
			rc = keys[i] == i ? 0 : -EIO;
		done = rc ? 0 : count;
	}
	for (__u32 i = (__u32)done; i < MXS_BPF_HINT_WORDS; i++) {  /* no batch ops */
		rc = bpf_map_lookup_elem(h->hint_fd, &i, &h->hint[i]);
		if (rc)
			break;
	}
	free(keys);
	return rc;
}

/* Make cidr_hint @want: the words that differ from h->hint, in one batch
 * (per element where the kernel has no batch ops for arrays). */
static int hint_write(struct ctl_bpf *h, const uint64_t *want)
{
	__u32 *keys;
	uint64_t *vals;
	size_t n = 0;
	int rc = 0;

	for (size_t i = 0; i < MXS_BPF_HINT_WORDS; i++)
		n += want[i] != h->hint[i];
	if (!n)
		return 0;
	keys = malloc(n * sizeof(*keys));
	vals = malloc(n * sizeof(*vals));
	if (!keys || !vals) {
		free(keys);
		free(vals);
		return -ENOMEM;
	}
	n = 0;
	for (size_t i = 0; i < MXS_BPF_HINT_WORDS; i++)
		if (want[i] != h->hint[i]) {
			keys[n] = (__u32)i;
			vals[n++] = want[i];
		}
	{
		LIBBPF_OPTS(bpf_map_batch_opts, o, .elem_flags = BPF_ANY);
		__u32 count = (__u32)n;
		size_t done = 0;

		rc = bpf_map_update_batch(h->hint_fd, keys, vals, &count, &o);
		if (!rc)
			done = n;
		else if (count <= n)
			done = count;
		for (size_t i = 0; i < done; i++)
			h->hint[keys[i]] = vals[i];
		for (size_t i = done; i < n; i++) {
			rc = bpf_map_update_elem(h->hint_fd, &keys[i], &vals[i], BPF_ANY);
			if (rc)
				break;
			h->hint[keys[i]] = vals[i];
		}
		h->cnt.hint_words += n;
	}
	free(keys);
	free(vals);
	return rc;
}

struct cidr_entry {
	struct mxs_bpf_cidr_key key;
	struct mxs_bpf_cidr_val val;
};

static int cmp_cidr_key(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct mxs_bpf_cidr_key));
}

static struct mxs_bpf_cidr_key cidr_key(const struct ctl_cidr *c)
{
	struct mxs_bpf_cidr_key k;

	memset(&k, 0, sizeof(k));
	k.prefixlen = 32u + c->prefix_len;
	k.family = c->family;
	memcpy(k.addr, c->addr, c->family == 4 ? 4 : 16);
	return k;
}

/*
 * What static_cidrs should hold. The XDP program takes the longest match,
 * but allow_cidrs wins wherever both lists match, so a deny CIDR inside
 * (or equal to) an allow CIDR is left out: the allow entry covers it. A
 * deny CIDR around an allow CIDR is fine as it is (the allow is longer).
 */
static int cidr_wanted(const struct ctl_conf *c, struct cidr_entry **ret, size_t *ret_n)
{
	struct cidr_entry *v = calloc(c->n_allow + c->n_deny + 1, sizeof(*v));
	size_t n = 0;

	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < c->n_allow; i++) {
		v[n].key = cidr_key(&c->allow[i]);
		v[n].val.action = MXS_ACTION_PASS;
		v[n++].val.id = (__u32)i;
	}
	for (size_t i = 0; i < c->n_deny; i++) {
		const struct ctl_cidr *d = &c->deny[i];
		int covered = 0;

		for (size_t j = 0; j < c->n_allow && !covered; j++)
			covered = c->allow[j].prefix_len <= d->prefix_len &&
				  ctl_cidr_contains(&c->allow[j], d->family, d->addr);
		if (covered)
			continue;
		v[n].key = cidr_key(d);
		v[n].val.action = MXS_ACTION_DROP;
		v[n++].val.id = (__u32)i;
	}
	/* Sorted for the lookups below; on a duplicate key the first kept
	 * (an allow entry before a deny one, the first of repeated ones). */
	if (n > 1) {
		size_t w = 1;

		qsort(v, n, sizeof(*v), cmp_cidr_key);
		for (size_t i = 1; i < n; i++) {
			if (!cmp_cidr_key(&v[i].key, &v[w - 1].key)) {
				/* keep allow over deny, and the lower id */
				if (v[i].val.action < v[w - 1].val.action ||
				    (v[i].val.action == v[w - 1].val.action &&
				     v[i].val.id < v[w - 1].val.id))
					v[w - 1] = v[i];
				continue;
			}
			v[w++] = v[i];
		}
		n = w;
	}
	*ret = v;
	*ret_n = n;
	return 0;
}

/* Every static_cidrs entry, key and value, into @ret (malloc'd). Fails
 * rather than return part of the trie: callers clear hint bits by it. */
static int cidr_collect(struct ctl_bpf *h, struct cidr_entry **ret, size_t *ret_n)
{
	struct cidr_entry *v = NULL, *nv;
	struct mxs_bpf_cidr_key k, next;
	size_t n = 0, cap = 0;
	int rc = bpf_map_get_next_key(h->cidrs_fd, NULL, &k);

	while (!rc) {
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			nv = realloc(v, cap * sizeof(*v));
			if (!nv) {
				free(v);
				return -ENOMEM;
			}
			v = nv;
		}
		v[n].key = k;
		/* gone meanwhile: treated as configured, its delete finds nothing */
		if (bpf_map_lookup_elem(h->cidrs_fd, &k, &v[n].val))
			memset(&v[n].val, 0, sizeof(v[n].val));
		n++;
		if (n > MXS_BPF_CIDRS_MAX) {
			rc = -EAGAIN;         /* a trie that keeps changing under us */
			break;
		}
		rc = bpf_map_get_next_key(h->cidrs_fd, &k, &next);
		k = next;
	}
	if (rc != -ENOENT) {
		free(v);
		return rc;
	}
	*ret = v;
	*ret_n = n;
	return 0;
}

static int is_manual(const struct mxs_bpf_cidr_val *v)
{
	return (v->id & MXS_BPF_CIDR_MANUAL) != 0;
}

/* Make sure h->hint mirrors the kernel's cidr_hint. */
static int hint_ensure_known(struct ctl_bpf *h)
{
	int rc;

	if (h->hint_known)
		return 0;
	rc = hint_read(h);
	if (!rc)
		h->hint_known = 1;
	return rc;
}

static uint64_t *hint_scratch(struct ctl_bpf *h)
{
	if (!h->hint_tmp)
		h->hint_tmp = malloc(MXS_BPF_HINT_WORDS * sizeof(*h->hint_tmp));
	return h->hint_tmp;
}

/* cidr_hint := exactly the bits of what static_cidrs holds now: clears
 * the bits of deleted entries once no other entry needs them. Best
 * effort: on failure stale bits stay set, which only costs trie lookups. */
static void hint_rebuild(struct ctl_bpf *h)
{
	struct cidr_entry *have = NULL;
	uint64_t *bm = hint_scratch(h);
	size_t n = 0;

	if (!bm || hint_ensure_known(h) || cidr_collect(h, &have, &n))
		return;
	memset(bm, 0, MXS_BPF_HINT_WORDS * sizeof(*bm));
	for (size_t i = 0; i < n; i++)
		hint_mark(bm, &have[i].key);
	free(have);
	if (hint_write(h, bm))
		h->hint_known = 0;
}

/*
 * static_cidrs := the configured CIDRs plus the manual entries there (left
 * alone, unless a configured CIDR now has the same key: the config wins),
 * and cidr_hint with it. The hint must never miss a trie entry while
 * config.cidr_hint is 1, so: the new CIDRs' bits (and the manual ones')
 * are added to what is there, then the trie changes, then the bits no
 * entry needs any more are cleared. If cidr_hint cannot be kept right,
 * config.cidr_hint goes to 0 first (the programs look every address up).
 */
static int sync_cidrs(struct ctl_bpf *h, const struct ctl_conf *c, char *err, size_t errlen)
{
	struct cidr_entry *want = NULL, *have = NULL;
	uint64_t *bm = NULL, t0 = clock_ns(CLOCK_MONOTONIC), hint_ns = 0;
	size_t n_have = 0, n_want = 0;
	int rc;

	lb_reset();
	rc = cidr_wanted(c, &want, &n_want);
	if (rc)
		return fail(err, errlen, rc, "static_cidrs");
	/* What is there now (collected first: deleting while walking the
	 * trie would restart the walk). */
	rc = cidr_collect(h, &have, &n_have);
	if (rc) {
		free(want);
		return fail(err, errlen, rc, "static_cidrs: reading the entries");
	}
	/* The new bitmap; cur | new written before the trie changes. */
	bm = calloc(MXS_BPF_HINT_WORDS, sizeof(*bm));
	if (!bm) {
		free(want);
		free(have);
		return fail(err, errlen, -ENOMEM, "cidr_hint");
	}
	rc = hint_ensure_known(h);
	for (size_t i = 0; i < n_want; i++)
		hint_mark(bm, &want[i].key);
	for (size_t i = 0; i < n_have; i++)
		if (is_manual(&have[i].val))
			hint_mark(bm, &have[i].key);
	if (!rc) {
		for (size_t i = 0; i < MXS_BPF_HINT_WORDS; i++)
			bm[i] |= h->hint[i];
		rc = hint_write(h, bm);
	}
	if (rc) {
		/* unknown or partly written: the programs must not trust it */
		h->hint_known = h->hint_ok = 0;
		free(bm);
		free(want);
		free(have);
		rc = fail(err, errlen, rc, "cidr_hint");
		if (h->cfg_hint && write_config(h, c, NULL, 0))
			return fail(err, errlen, -EIO, "cidr_hint unknown, and config.cidr_hint "
				    "cannot be turned off");
		return rc;
	}
	hint_ns = clock_ns(CLOCK_MONOTONIC) - t0;
	/* Stale entries go first, so a full map has room for new ones;
	 * entries still configured, and manual ones, stay in place. */
	for (size_t i = 0; i < n_have; i++) {
		if (is_manual(&have[i].val) ||
		    bsearch(&have[i].key, want, n_want, sizeof(*want), cmp_cidr_key))
			continue;
		rc = bpf_map_delete_elem(h->cidrs_fd, &have[i].key);
		if (rc && rc != -ENOENT)
			goto out;
	}
	for (size_t i = 0; i < n_want; i++) {
		rc = bpf_map_update_elem(h->cidrs_fd, &want[i].key, &want[i].val, BPF_ANY);
		if (rc) {
			free(have);
			free(want);
			free(bm);
			return fail(err, errlen, rc, "static_cidrs: adding entry %zu of %zu", i + 1,
				    n_want);
		}
	}
	/* The trie is as configured: the stale bits may go. */
	t0 = clock_ns(CLOCK_MONOTONIC);
	memset(bm, 0, MXS_BPF_HINT_WORDS * sizeof(*bm));
	for (size_t i = 0; i < n_want; i++)
		hint_mark(bm, &want[i].key);
	for (size_t i = 0; i < n_have; i++)
		if (is_manual(&have[i].val))
			hint_mark(bm, &have[i].key);
	rc = hint_write(h, bm);
	h->cnt.hint_ns = hint_ns + clock_ns(CLOCK_MONOTONIC) - t0;
	free(have);
	free(want);
	free(bm);
	if (rc) {
		/* Some stale bits stay: harmless, but the mirror is unsure now. */
		h->hint_known = 0;
		return fail(err, errlen, rc, "cidr_hint: clearing stale bits");
	}
	h->hint_ok = 1;
	return 0;
out:
	free(have);
	free(want);
	free(bm);
	return fail(err, errlen, rc, "static_cidrs: removing stale entries");
}

/* ---- configure ---- */

static void summarize(struct ctl_bpf *h, const struct ctl_conf *c, const int *drv)
{
	size_t n = 0, len = sizeof(h->summary);

#define ADD(...) do { \
		int r_ = snprintf(h->summary + n, len - n, __VA_ARGS__); \
		if (r_ > 0) n = (size_t)r_ < len - n ? n + (size_t)r_ : len - 1; \
	} while (0)
	ADD("maps in %s; ", h->pin_dir);
	if (!c->n_xdp_ifaces)
		ADD("xdp_enforce not attached");
	for (size_t i = 0; i < c->n_xdp_ifaces; i++)
		ADD("%s%s (%s)", i ? ", " : "xdp_enforce on ", c->xdp_ifaces[i],
		    drv[i] ? "native" : "generic");
	if (!c->n_tc_ifaces)
		ADD("; tc_tag not attached");
	for (size_t i = 0; i < c->n_tc_ifaces; i++)
		ADD("%s%s", i ? ", " : "; tc_tag on ", c->tc_ifaces[i]);
#undef ADD
}

static int configure(struct ctl_bpf *h, const struct ctl_conf *c, char *err, size_t errlen)
{
	struct iface xi[CTL_MAX_IFACES], ti[CTL_MAX_IFACES];
	int drv[CTL_MAX_IFACES] = { 0 };
	int rc;

	if (strcmp(c->bpf_pin_dir, h->pin_dir))
		return fail(err, errlen, -EXDEV, "bpf_pin_dir changed from %s to %s",
			    h->pin_dir, c->bpf_pin_dir);
	rc = resolve_ifaces(c->xdp_ifaces, c->n_xdp_ifaces, "xdp_interfaces", xi, err, errlen);
	if (!rc)
		rc = resolve_ifaces(c->tc_ifaces, c->n_tc_ifaces, "tc_interfaces", ti, err, errlen);
	if (!rc)
		rc = write_config(h, c, err, errlen);
	if (!rc)
		rc = sync_cidrs(h, c, err, errlen);
	if (!rc && h->hint_ok && !h->cfg_hint)
		rc = write_config(h, c, err, errlen);   /* the first sync made it good */
	for (size_t i = 0; !rc && i < c->n_xdp_ifaces; i++)
		rc = xdp_attach(h, &xi[i], c->xdp_mode, &drv[i], err, errlen);
	for (size_t i = 0; !rc && i < c->n_tc_ifaces; i++)
		rc = tc_attach(h, &ti[i], err, errlen);
	if (rc)
		return rc;
	detach_unlisted(h, c);
	summarize(h, c, drv);
	return 0;
}

int ctl_bpf_configure(struct ctl_bpf *h, const struct ctl_conf *c, char *err, size_t errlen)
{
	libbpf_print_fn_t old_print;
	int rc;

	lb_reset();
	old_print = libbpf_set_print(lb_capture);
	rc = configure(h, c, err, errlen);
	libbpf_set_print(old_print);
	return rc;
}

/* ---- create, close ---- */

int ctl_bpf_create(const struct ctl_bpf_params *p, struct ctl_bpf **ret_h,
		   char *err, size_t errlen)
{
	const struct ctl_conf *c = p->conf;
	libbpf_print_fn_t old_print;
	struct iface ifs[CTL_MAX_IFACES];
	struct ctl_bpf *h;
	char path[PATH_MAX + 32];
	int rc;

	*ret_h = NULL;
	if (strlen(c->bpf_pin_dir) + 32 >= sizeof(h->pin_dir))
		return fail(err, errlen, -ENAMETOOLONG, "bpf_pin_dir %s", c->bpf_pin_dir);
	/* A misspelt interface fails before anything is loaded or pinned. */
	lb_reset();
	rc = resolve_ifaces(c->xdp_ifaces, c->n_xdp_ifaces, "xdp_interfaces", ifs, err, errlen);
	if (!rc)
		rc = resolve_ifaces(c->tc_ifaces, c->n_tc_ifaces, "tc_interfaces", ifs, err, errlen);
	if (rc)
		return rc;
	h = calloc(1, sizeof(*h));
	if (!h)
		return fail(err, errlen, -ENOMEM, "bpf");
	snprintf(h->pin_dir, sizeof(h->pin_dir), "%s", c->bpf_pin_dir);
	h->batch_ok = 1;
	h->xdp_fd = h->tc_fd = -1;
	lb_reset();
	old_print = libbpf_set_print(lb_capture);

	rc = mxs_pin_dir_make(h->pin_dir, "bpf_pin_dir", err, errlen);
	if (rc)
		goto fail;
	{
		LIBBPF_OPTS(bpf_object_open_opts, oo, .pin_root_path = h->pin_dir);

		h->xdp = mxscreen_xdp__open_opts(&oo);
		if (!h->xdp) {
			rc = fail(err, errlen, -errno, "opening the XDP object");
			goto fail;
		}
		rc = mxscreen_xdp__load(h->xdp);
		if (rc) {
			rc = fail(err, errlen, rc, "loading %s with maps in %s", XDP_PROG_NAME,
				  h->pin_dir);
			goto fail;
		}
		h->tc = mxscreen_tc__open_opts(&oo);
		if (!h->tc) {
			rc = fail(err, errlen, -errno, "opening the TC object");
			goto fail;
		}
		rc = mxscreen_tc__load(h->tc);
		if (rc) {
			rc = fail(err, errlen, rc, "loading %s with maps in %s", TC_PROG_NAME,
				  h->pin_dir);
			goto fail;
		}
	}
	h->verdicts_fd = bpf_map__fd(h->xdp->maps.verdicts);
	h->cidrs_fd = bpf_map__fd(h->xdp->maps.static_cidrs);
	h->stats_fd = bpf_map__fd(h->xdp->maps.stats);
	h->config_fd = bpf_map__fd(h->xdp->maps.config);
	h->hint_fd = bpf_map__fd(h->xdp->maps.cidr_hint);
	h->xdp_fd = bpf_program__fd(h->xdp->progs.xdp_enforce);
	h->tc_fd = bpf_program__fd(h->tc->progs.tc_tag);
	h->xdp_id = prog_id(h->xdp_fd);
	h->tc_id = prog_id(h->tc_fd);

	snprintf(path, sizeof(path), "%s/%s", h->pin_dir, XDP_PROG_NAME);
	h->old_xdp_id = pinned_id(path);
	snprintf(path, sizeof(path), "%s/%s", h->pin_dir, TC_PROG_NAME);
	h->old_tc_id = pinned_id(path);
	lb_reset();
	rc = pin_prog(h->xdp_fd, h->pin_dir, XDP_PROG_NAME, err, errlen);
	if (!rc)
		rc = pin_prog(h->tc_fd, h->pin_dir, TC_PROG_NAME, err, errlen);
	if (rc)
		goto fail;

	rc = libbpf_num_possible_cpus();
	if (rc <= 0) {
		rc = fail(err, errlen, rc < 0 ? rc : -EINVAL, "counting possible CPUs");
		goto fail;
	}
	h->ncpus = rc;
	h->percpu = calloc((size_t)h->ncpus, sizeof(*h->percpu));
	h->hint = calloc(MXS_BPF_HINT_WORDS, sizeof(*h->hint));
	if (!h->percpu || !h->hint) {
		rc = fail(err, errlen, -ENOMEM, "bpf");
		goto fail;
	}
	rc = configure(h, c, err, errlen);
	if (rc)
		goto fail;
	libbpf_set_print(old_print);
	*ret_h = h;
	return 0;
fail:
	libbpf_set_print(old_print);
	ctl_bpf_close(h);
	return rc;
}

void ctl_bpf_close(struct ctl_bpf *h)
{
	if (!h)
		return;
	/* Closing the objects drops our fds only: maps and programs live on
	 * through their pins and attachments. */
	mxscreen_tc__destroy(h->tc);
	mxscreen_xdp__destroy(h->xdp);
	free(h->percpu);
	free(h->hint);
	free(h->hint_tmp);
	free(h);
}

/* ---- verdicts ---- */

enum entry_kind {
	ENTRY_BAD,                    /* malformed */
	ENTRY_VERDICT,                /* a verdicts key: v4 /32, v6 /64 or /128 */
	ENTRY_CIDR,                   /* any other length: a manual static_cidrs entry */
};

static enum entry_kind entry_kind(const struct mxs_verdict *v)
{
	unsigned max = v->family == 4 ? 32 : v->family == 6 ? 128 : 0;

	if (!max || v->prefix_len > max || v->action >= MXS_ACTION_COUNT ||
	    (v->action != MXS_ACTION_NONE && v->would_be >= MXS_ACTION_COUNT))
		return ENTRY_BAD;
	if (v->prefix_len == max || (v->family == 6 && v->prefix_len == 64))
		return ENTRY_VERDICT;
	return ENTRY_CIDR;
}

/* The first @bits of @a kept, the rest of its @bytes zeroed. */
static void mask_addr(__u8 *a, const __u8 *src, unsigned bits, unsigned bytes)
{
	for (unsigned i = 0; i < bytes; i++) {
		if (bits >= 8 * (i + 1))
			a[i] = src[i];
		else if (bits > 8 * i)
			a[i] = (__u8)(src[i] & (0xff00u >> (bits - 8 * i)));
		else
			a[i] = 0;
	}
}

/* @v (ENTRY_VERDICT) as a verdicts key and value. */
static void to_entry(const struct mxs_verdict *v, uint64_t now_real, uint64_t now_mono,
		     struct mxs_bpf_addr_key *k, struct mxs_bpf_verdict *val)
{
	memset(k, 0, sizeof(*k));
	memset(val, 0, sizeof(*val));
	mask_addr(k->addr, v->addr, v->prefix_len, v->family == 4 ? 4 : 16);
	k->family = v->family;
	k->prefix_len = v->prefix_len;
	val->action = v->action;
	val->would_be = v->would_be;
	val->shadow = v->shadow ? 1 : 0;
	val->score = v->score;
	val->reasons = v->reasons;
	val->expiry_ns = v->expiry_ns == UINT64_MAX ? MXS_BPF_EXPIRY_NEVER
						    : real_to_mono(v->expiry_ns, now_real, now_mono);
}

/* @v (ENTRY_CIDR) as a static_cidrs key, host bits cleared. */
static struct mxs_bpf_cidr_key manual_key(const struct mxs_verdict *v)
{
	struct mxs_bpf_cidr_key k;

	memset(&k, 0, sizeof(k));
	k.prefixlen = 32u + v->prefix_len;
	k.family = v->family;
	mask_addr(k.addr, v->addr, v->prefix_len, v->family == 4 ? 4 : 16);
	return k;
}

static void write_chunk(struct ctl_bpf *h, size_t m)
{
	size_t done = 0;

	if (h->batch_ok) {
		LIBBPF_OPTS(bpf_map_batch_opts, o, .elem_flags = BPF_ANY);
		__u32 count = (__u32)m;
		int rc;

		h->cnt.batch_calls++;
		rc = bpf_map_update_batch(h->verdicts_fd, h->keys, h->vals, &count, &o);
		if (!rc) {
			h->cnt.written += m;
			return;
		}
		if (count > m)
			count = 0;
		if ((rc == -EINVAL || rc == -ENOTSUPP || rc == -EOPNOTSUPP) && count == 0)
			h->batch_ok = 0;      /* this kernel has no batch ops for hashes */
		/* Elements before @count went in; the rest one by one, so one
		 * refused entry (map full) does not lose the others. */
		h->cnt.written += count;
		done = count;
	}
	for (size_t i = done; i < m; i++) {
		h->cnt.single_calls++;
		if (bpf_map_update_elem(h->verdicts_fd, &h->keys[i], &h->vals[i], BPF_ANY))
			h->cnt.failed++;
		else
			h->cnt.written++;
	}
}

/*
 * Before any manual CIDR of @v goes into the trie: the cidr_hint bits of
 * all of them, in one write. 0 when the adds may go ahead (bits set, or
 * config.cidr_hint 0 so the programs ignore them), -errno when they must
 * not (an entry without its bit would be invisible).
 */
static int hint_cover_manual(struct ctl_bpf *h, const struct mxs_verdict *v, size_t n)
{
	uint64_t *bm;
	size_t adds = 0;
	int rc;

	for (size_t i = 0; i < n; i++)
		adds += entry_kind(&v[i]) == ENTRY_CIDR && v[i].action != MXS_ACTION_NONE;
	if (!adds)
		return 0;
	bm = hint_scratch(h);
	rc = bm ? hint_ensure_known(h) : -ENOMEM;
	if (!rc) {
		memcpy(bm, h->hint, MXS_BPF_HINT_WORDS * sizeof(*bm));
		for (size_t i = 0; i < n; i++) {
			struct mxs_bpf_cidr_key k;

			if (entry_kind(&v[i]) != ENTRY_CIDR || v[i].action == MXS_ACTION_NONE)
				continue;
			k = manual_key(&v[i]);
			hint_mark(bm, &k);
		}
		rc = hint_write(h, bm);
		if (rc)
			h->hint_known = 0;
	}
	return rc && h->cfg_hint ? rc : 0;
}

/* One manual CIDR verdict: written, or deleted for action none. A
 * configured entry with the same key is the config's: refused. Returns 1
 * when cidr_hint may now have bits no entry needs. */
static int write_manual(struct ctl_bpf *h, const struct mxs_verdict *v, int hint_rc)
{
	struct mxs_bpf_cidr_key k = manual_key(v);
	struct mxs_bpf_cidr_val val, old;
	int have = !bpf_map_lookup_elem(h->cidrs_fd, &k, &old), rc;

	if (have && !is_manual(&old)) {
		h->cnt.failed++;
		return v->action != MXS_ACTION_NONE;
	}
	if (v->action == MXS_ACTION_NONE) {
		if (!have)
			return 0;
		rc = bpf_map_delete_elem(h->cidrs_fd, &k);
		if (rc && rc != -ENOENT) {
			h->cnt.failed++;
			return 0;
		}
		h->cnt.deleted += !rc;
		return 1;
	}
	if (hint_rc) {
		h->cnt.failed++;
		return 0;
	}
	memset(&val, 0, sizeof(val));
	val.action = v->action;
	val.would_be = v->would_be;
	val.shadow = v->shadow ? 1 : 0;
	val.id = MXS_BPF_CIDR_MANUAL;
	if (bpf_map_update_elem(h->cidrs_fd, &k, &val, BPF_ANY)) {
		h->cnt.failed++;
		return 1;
	}
	h->cnt.cidrs_written++;
	return 0;
}

void ctl_bpf_write(void *ctx, const struct mxs_verdict *v, size_t n)
{
	struct ctl_bpf *h = ctx;
	uint64_t now_real = clock_ns(CLOCK_REALTIME), now_mono = clock_ns(CLOCK_MONOTONIC);
	int hint_rc = hint_cover_manual(h, v, n), stale_bits = 0, rc;
	size_t m = 0;

	for (size_t i = 0; i < n; i++) {
		switch (entry_kind(&v[i])) {
		case ENTRY_BAD:
			h->cnt.failed++;
			break;
		case ENTRY_CIDR:
			stale_bits |= write_manual(h, &v[i], hint_rc);
			break;
		case ENTRY_VERDICT:
			to_entry(&v[i], now_real, now_mono, &h->keys[m], &h->vals[m]);
			if (v[i].action != MXS_ACTION_NONE) {
				if (++m == WRITE_CHUNK) {
					write_chunk(h, m);
					m = 0;
				}
				break;
			}
			/* a delete: the updates before it go first, in order */
			if (m)
				write_chunk(h, m);
			rc = bpf_map_delete_elem(h->verdicts_fd, &h->keys[m]);
			m = 0;
			if (rc && rc != -ENOENT)
				h->cnt.failed++;
			else
				h->cnt.deleted += !rc;
			break;
		}
	}
	if (m)
		write_chunk(h, m);
	if (stale_bits)
		hint_rebuild(h);
}

/* ---- sweep ---- */

int ctl_bpf_sweep(struct ctl_bpf *h, size_t max)
{
	struct mxs_bpf_addr_key cur, next;
	struct mxs_bpf_verdict val;
	uint64_t now = clock_ns(CLOCK_MONOTONIC);
	int deleted = 0, rc;

	if (!max)
		return 0;
	if (h->have_cursor) {
		cur = h->cursor;
	} else {
		rc = bpf_map_get_next_key(h->verdicts_fd, NULL, &cur);
		if (rc) {
			if (rc != -ENOENT)
				return rc;
			h->cnt.sweep_rounds++;  /* empty: a pass over nothing */
			return 0;
		}
	}
	h->have_cursor = 0;
	for (size_t i = 0; i < max; i++) {
		/* The next key first: a deleted key cannot lead on (a hash
		 * walk from a missing key restarts at the beginning). If the
		 * cursor itself vanished meanwhile, the walk restarts: harmless. */
		int more = !bpf_map_get_next_key(h->verdicts_fd, &cur, &next);

		h->cnt.sweep_scanned++;
		if (!bpf_map_lookup_elem(h->verdicts_fd, &cur, &val) &&
		    val.expiry_ns < now) {  /* as the programs judge: expiry < now */
			rc = bpf_map_delete_elem(h->verdicts_fd, &cur);
			if (!rc) {
				deleted++;
				h->cnt.swept++;
			} else if (rc != -ENOENT) {
				h->cnt.sweep_errors++;
			}
		}
		if (!more) {
			h->cnt.sweep_rounds++;
			return deleted;
		}
		cur = next;
	}
	h->cursor = cur;
	h->have_cursor = 1;
	return deleted;
}

/* ---- accessors ---- */

int ctl_bpf_stats(struct ctl_bpf *h, struct mxs_bpf_stats *sum)
{
	__u32 zero = 0;
	int rc;

	memset(sum, 0, sizeof(*sum));
	rc = bpf_map_lookup_elem(h->stats_fd, &zero, h->percpu);
	if (rc)
		return rc;
	for (int cpu = 0; cpu < h->ncpus; cpu++) {
		const __u64 *src = (const __u64 *)&h->percpu[cpu];
		__u64 *dst = (__u64 *)sum;

		for (size_t i = 0; i < sizeof(*sum) / sizeof(__u64); i++)
			dst[i] += src[i];
	}
	return 0;
}

const struct ctl_bpf_counters *ctl_bpf_counters(const struct ctl_bpf *h)
{
	return &h->cnt;
}

const char *ctl_bpf_pin_dir(const struct ctl_bpf *h)
{
	return h->pin_dir;
}

const char *ctl_bpf_summary(const struct ctl_bpf *h)
{
	return h->summary;
}
