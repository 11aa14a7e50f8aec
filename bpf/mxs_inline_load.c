/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mxs_inline_load: mxs_inline_prepare(), see mxs_inline_load.h for the
 * contract and for what the af_xdp PMD does. Main thread only; no state
 * between calls.
 */
#include <errno.h>
#include <limits.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>
#include <linux/magic.h>

#include "mxs_inline_load.h"

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
	}
	return rc < 0 ? rc : -EINVAL;
}

int mxs_pin_dir_make(const char *dir, const char *what, char *err, size_t errlen)
{
	char buf[PATH_MAX];
	struct statfs sfs;
	size_t n = strlen(dir);

	if (n == 0 || n >= sizeof(buf))
		return fail(err, errlen, -ENAMETOOLONG, "%s '%s'", what, dir);
	memcpy(buf, dir, n + 1);
	for (char *p = buf + 1; ; p++) {
		if (*p != '/' && *p)
			continue;
		char c = *p;

		*p = '\0';
		if (mkdir(buf, 0700) && errno != EEXIST)
			return fail(err, errlen, -errno, "%s: creating %s", what, buf);
		*p = c;
		if (!c)
			break;
	}
	if (statfs(dir, &sfs))
		return fail(err, errlen, -errno, "%s %s", what, dir);
	if ((unsigned long)sfs.f_type != (unsigned long)BPF_FS_MAGIC)
		return fail(err, errlen, -ENOTSUP, "%s %s is not on a bpf filesystem "
			    "(mount -t bpf bpf /sys/fs/bpf)", what, dir);
	return 0;
}

/* ---- ports ---- */

static const char *ifname(int ifindex, char buf[IF_NAMESIZE])
{
	if (!if_indextoname((unsigned)ifindex, buf))
		snprintf(buf, IF_NAMESIZE, "#%d", ifindex);
	return buf;
}

static void prog_name(uint32_t id, char name[BPF_OBJ_NAME_LEN])
{
	struct bpf_prog_info info;
	__u32 len = sizeof(info);
	int fd = bpf_prog_get_fd_by_id(id);

	name[0] = '\0';
	if (fd < 0)
		return;
	memset(&info, 0, sizeof(info));
	if (!bpf_obj_get_info_by_fd(fd, &info, &len))
		snprintf(name, BPF_OBJ_NAME_LEN, "%s", info.name);
	close(fd);
}

struct port_prog {
	uint32_t id;
	uint32_t mode;          /* XDP_FLAGS_*_MODE */
};

/* The XDP programs on @ifindex, one per mode (at most three). */
static int port_progs(int ifindex, struct port_prog out[3], int *ret_n)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	int n = 0, rc = bpf_xdp_query(ifindex, 0, &q);

	if (rc)
		return rc;
	if (q.drv_prog_id)
		out[n++] = (struct port_prog){ q.drv_prog_id, XDP_FLAGS_DRV_MODE };
	if (q.skb_prog_id)
		out[n++] = (struct port_prog){ q.skb_prog_id, XDP_FLAGS_SKB_MODE };
	if (q.hw_prog_id)
		out[n++] = (struct port_prog){ q.hw_prog_id, XDP_FLAGS_HW_MODE };
	*ret_n = n;
	return 0;
}

/* 0 if the port is free or holds only xdp_inline (stale, ours). */
static int check_port(int ifindex, char *err, size_t errlen)
{
	char nm[BPF_OBJ_NAME_LEN], ifn[IF_NAMESIZE];
	struct port_prog pp[3];
	int n = 0, rc = port_progs(ifindex, pp, &n);

	if (rc)
		return fail(err, errlen, rc, "%s: querying XDP", ifname(ifindex, ifn));
	for (int i = 0; i < n; i++) {
		prog_name(pp[i].id, nm);
		if (strcmp(nm, MXS_INLINE_PROG_NAME))
			return fail(err, errlen, -EBUSY, "%s: XDP program '%s' (id %u) is attached; "
				    "the af_xdp PMD needs the port free", ifname(ifindex, ifn),
				    nm, pp[i].id);
	}
	return 0;
}

/* Detach the xdp_inline programs check_port() allowed, each only if it is
 * still the one there (XDP_FLAGS_REPLACE). */
static int detach_stale(int ifindex, char *err, size_t errlen)
{
	char nm[BPF_OBJ_NAME_LEN], ifn[IF_NAMESIZE];
	struct port_prog pp[3];
	int n = 0, rc = port_progs(ifindex, pp, &n);

	if (rc)
		return fail(err, errlen, rc, "%s: querying XDP", ifname(ifindex, ifn));
	for (int i = 0; i < n; i++) {
		LIBBPF_OPTS(bpf_xdp_attach_opts, o);
		int fd;

		prog_name(pp[i].id, nm);
		if (strcmp(nm, MXS_INLINE_PROG_NAME))
			return fail(err, errlen, -EBUSY, "%s: XDP program '%s' (id %u) is attached",
				    ifname(ifindex, ifn), nm, pp[i].id);
		fd = bpf_prog_get_fd_by_id(pp[i].id);
		if (fd < 0)
			continue;       /* gone meanwhile */
		o.old_prog_fd = fd;
		rc = bpf_xdp_detach(ifindex, pp[i].mode, &o);
		close(fd);
		if (rc)
			return fail(err, errlen, rc, "%s: detaching stale %s (id %u)",
				    ifname(ifindex, ifn), nm, pp[i].id);
	}
	return 0;
}

/* ---- aliases under the PMD's pin root ---- */

/* Same directory (bind mounts included)? */
static int same_dir(const char *a, const char *b)
{
	struct stat sa, sb;

	return !stat(a, &sa) && !stat(b, &sb) && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

/* Is @fd a map? (bpf_obj_get_info_by_fd cannot tell: it fills whatever
 * info the object has into the caller's buffer.) */
static int fd_is_map(int fd)
{
	char path[64], line[128];
	int yes = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "r");
	if (!f)
		return 0;
	while (!yes && fgets(line, sizeof(line), f))
		yes = !strncmp(line, "map_type:", 9);
	fclose(f);
	return yes;
}

/* Pin @fd (a map, @mi its info) at @root/@name too, unless that name
 * already is this map; replace a compatible map (an old alias), refuse
 * anything else. */
static int alias_map(int fd, const struct bpf_map_info *mi, const char *root, const char *name,
		     char *err, size_t errlen)
{
	char path[PATH_MAX], tmp[PATH_MAX];
	struct bpf_map_info oi;
	__u32 len = sizeof(oi);
	int ofd, rc;

	if (snprintf(path, sizeof(path), "%s/%s", root, name) >= (int)sizeof(path) ||
	    snprintf(tmp, sizeof(tmp), "%s/%s_new", root, name) >= (int)sizeof(tmp))
		return fail(err, errlen, -ENAMETOOLONG, "%s/%s", root, name);
	ofd = bpf_obj_get(path);
	if (ofd >= 0) {
		memset(&oi, 0, sizeof(oi));
		rc = fd_is_map(ofd) && !bpf_obj_get_info_by_fd(ofd, &oi, &len) ? 0 : -1;
		close(ofd);
		if (rc || oi.type != mi->type || oi.key_size != mi->key_size ||
		    oi.value_size != mi->value_size || oi.max_entries != mi->max_entries ||
		    oi.map_flags != mi->map_flags)
			return fail(err, errlen, -EEXIST, "%s holds something else than mxscreen's "
				    "%s map; remove it or bind-mount the pin dir on %s",
				    path, name, root);
		if (oi.id == mi->id)
			return 0;
	} else if (errno != ENOENT) {
		return fail(err, errlen, -errno, "%s", path);
	}
	/* pinned beside it, then renamed over it: the name never goes
	 * missing for a PMD loading meanwhile (bpffs refuses dots) */
	unlink(tmp);
	rc = bpf_obj_pin(fd, tmp);
	if (rc)
		return fail(err, errlen, rc, "pinning %s", tmp);
	if (rename(tmp, path)) {
		rc = -errno;
		unlink(tmp);
		return fail(err, errlen, rc, "renaming %s to %s", tmp, path);
	}
	return 0;
}

/* ---- the whole ---- */

static int fill_tx_port(struct bpf_object *obj, int if_a, int if_b, char *err, size_t errlen)
{
	struct bpf_map *m = bpf_object__find_map_by_name(obj, "tx_port");
	__u32 k[2] = { (__u32)if_a, (__u32)if_b }, v[2] = { (__u32)if_b, (__u32)if_a };

	if (!m)
		return fail(err, errlen, -ENOENT, "no tx_port map in the object");
	for (int i = 0; i < 2; i++)
		if (bpf_map_update_elem(bpf_map__fd(m), &k[i], &v[i], BPF_ANY))
			return fail(err, errlen, -errno, "tx_port[%u] = %u", k[i], v[i]);
	return 0;
}

static int alias_all(struct bpf_object *obj, const char *pin_dir, char *err, size_t errlen)
{
	struct bpf_map *m;

	if (same_dir(pin_dir, MXS_INLINE_PMD_ROOT))
		return 0;
	bpf_object__for_each_map(m, obj) {
		struct bpf_map_info mi;
		__u32 len = sizeof(mi);
		int rc;

		if (!bpf_map__is_pinned(m))
			continue;
		memset(&mi, 0, sizeof(mi));
		if (bpf_obj_get_info_by_fd(bpf_map__fd(m), &mi, &len))
			return fail(err, errlen, -errno, "map %s", bpf_map__name(m));
		rc = alias_map(bpf_map__fd(m), &mi, MXS_INLINE_PMD_ROOT, bpf_map__name(m),
			       err, errlen);
		if (rc)
			return rc;
	}
	return 0;
}

int mxs_inline_prepare(const char *obj_path, const char *pin_dir, int if_a, int if_b,
		       char *err, size_t errlen)
{
	struct bpf_object *obj;
	struct bpf_program *p;
	int rc;

	if (err && errlen)
		err[0] = '\0';
	if (if_a <= 0 || if_b <= 0 || if_a == if_b)
		return fail(err, errlen, -EINVAL, "inline ports: two distinct interfaces needed "
			    "(ifindex %d, %d)", if_a, if_b);
	rc = check_port(if_a, err, errlen);
	if (!rc)
		rc = check_port(if_b, err, errlen);
	if (!rc)
		rc = mxs_pin_dir_make(pin_dir, "pin dir", err, errlen);
	if (rc)
		return rc;

	LIBBPF_OPTS(bpf_object_open_opts, oo, .pin_root_path = pin_dir);
	obj = bpf_object__open_file(obj_path, &oo);
	if (!obj)
		return fail(err, errlen, -errno, "opening %s", obj_path);
	p = bpf_object__next_program(obj, NULL);
	if (!p || strcmp(bpf_program__name(p), MXS_INLINE_PROG_NAME) ||
	    bpf_object__next_program(obj, p)) {
		rc = fail(err, errlen, -EINVAL, "%s: the PMD takes the first program, "
			  "which must be the only one and named %s", obj_path, MXS_INLINE_PROG_NAME);
		goto out;
	}
	rc = bpf_object__load(obj);
	if (rc) {
		rc = fail(err, errlen, rc, "loading %s with maps in %s (libbpf's log above)",
			  obj_path, pin_dir);
		goto out;
	}
	rc = fill_tx_port(obj, if_a, if_b, err, errlen);
	if (!rc)
		rc = alias_all(obj, pin_dir, err, errlen);
	if (!rc)
		rc = detach_stale(if_a, err, errlen);
	if (!rc)
		rc = detach_stale(if_b, err, errlen);
out:
	bpf_object__close(obj);
	return rc;
}
