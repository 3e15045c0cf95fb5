// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * user.dmabuf.* extended attributes of buffer files: what the buffer is
 * (exporter, kernel inode, map flag and why, who holds it), and the image
 * metadata a publisher attaches (format, width, height, stride, modifier,
 * and per plane pitches and offsets).
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>

#include "backend/backend.h"
#include "buffer.h"
#include "conf.h"
#include "tree/entry.h"
#include "fs/fs-internal.h"
#include "fs/holders-scan.h"
#include "shared/log.h"
#include "shared/macro.h"
#include "shared/names.h"
#include "shared/util.h"

#define PREFIX "user.dmabuf."
#define XATTR_VALUE_MAX 4096
/* A LIST's holders are the attribute's value: the same bound. */
_Static_assert(XATTR_VALUE_MAX == HOLDERS_MAX, "holders: one bound");

enum xattr_id {
	X_EXPORTER,
	X_IOMEM,
	X_IOMEM_REASON,
	X_NAME,
	X_INODE,
	X_ORIGIN,
	X_HOLDERS,
	X_BACKEND,
	X_FORMAT,
	X_WIDTH,
	X_HEIGHT,
	X_STRIDE,
	X_MODIFIER,
	X_PITCHES,
	X_OFFSETS,
	X_ACCESS,
	X_COUNT,
};

static const char *const xattr_names[X_COUNT] = {
	[X_EXPORTER] = "exporter", [X_IOMEM] = "iomem",	    [X_IOMEM_REASON] = "iomem_reason",
	[X_NAME] = "name",	   [X_INODE] = "inode",	    [X_ORIGIN] = "origin",
	[X_HOLDERS] = "holders",   [X_BACKEND] = "backend", [X_FORMAT] = "format",
	[X_WIDTH] = "width",	   [X_HEIGHT] = "height",   [X_STRIDE] = "stride",
	[X_MODIFIER] = "modifier", [X_PITCHES] = "pitches", [X_OFFSETS] = "offsets",
	[X_ACCESS] = "access",
};

static bool is_meta(enum xattr_id id)
{
	return id >= X_FORMAT && id <= X_OFFSETS;
}

/* DRM has at most 4 planes. */
#define PLANES_MAX 4

/* pitches, offsets: one number (decimal, 0x hex) per plane, commas
 * between, as dmabufctl snapshot reads them. -EINVAL otherwise. */
static int check_plane_list(const char *value, size_t size)
{
	char v[META_VALUE_MAX + 1], *tok, *save = NULL;
	unsigned int n = 0;
	uint64_t x;

	if (size == 0 || size > META_VALUE_MAX)
		return size ? -ERANGE : -EINVAL;
	memcpy(v, value, size);
	v[size] = '\0';
	if (v[0] == ',' || v[size - 1] == ',' || strstr(v, ",,"))
		return -EINVAL;
	for (tok = strtok_r(v, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
		if (++n > PLANES_MAX || *tok < '0' || *tok > '9' || parse_u64(tok, 0, &x) < 0)
			return -EINVAL;
	return 0;
}

/* -ENOTSUP outside our namespace, -ENODATA for an unknown name in it. */
static int xattr_lookup(const char *name, enum xattr_id *out)
{
	if (strncmp(name, PREFIX, strlen(PREFIX)) != 0)
		return -ENOTSUP;
	name += strlen(PREFIX);
	for (int i = 0; i < X_COUNT; i++)
		if (strcmp(name, xattr_names[i]) == 0) {
			*out = (enum xattr_id)i;
			return 0;
		}
	return -ENODATA;
}

/* The value of one attribute of an entry, asked by uid. -ENODATA when it
 * has none. */
static int xattr_value(const struct config *cfg, uid_t uid, struct entry *e, enum xattr_id id,
		       char *val, size_t valsz)
{
	struct entry_info info;
	struct buffer *buf;
	const char *why = NULL;
	int r = 0;

	val[0] = '\0';
	entry_info(e, &info);
	buf = info.buf;
	switch (id) {
	case X_EXPORTER:
		snprintf(val, valsz, "%s", buf ? buf->exporter : "none");
		break;
	case X_IOMEM:
	case X_IOMEM_REASON: {
		int v;

		if (buf) {
			v = buf->iomem;
			why = buf->iomem_why;
		} else {
			v = policy_decide(info.iomem_override, cfg->iomem_mode,
					  info.be ? info.be->exporter : "",
					  info.be ? info.be->driver : "", &why);
		}
		if (id == X_IOMEM)
			snprintf(val, valsz, "%d", v);
		else
			snprintf(val, valsz, "%s", why ? why : "");
		break;
	}
	case X_NAME:
		if (buf)
			snprintf(val, valsz, "%s", buf->dmabuf_name);
		else
			r = -ENODATA;
		break;
	case X_INODE:
		if (buf)
			snprintf(val, valsz, "%llu", (unsigned long long)buf->kino);
		else
			r = -ENODATA;
		break;
	case X_ORIGIN:
		snprintf(val, valsz, "%s", origin_name(info.origin));
		break;
	case X_BACKEND:
		snprintf(val, valsz, "%s", info.be ? info.be->name : "import");
		break;
	case X_ACCESS:
		snprintf(val, valsz, "%s", file_access(cfg, e));
		break;
	case X_HOLDERS:
		/* Every process holding the buffer, by fd, by mapping or
		 * both: a walk of /proc, on the walker thread, answered from
		 * its cache (holders-pool.c), on the copy, not under the tree
		 * lock. */
		r = buf ? holders_cached(uid, buf, val, valsz) : -ENODATA;
		break;
	default:
		if (is_meta(id) && info.meta[id - X_FORMAT][0])
			snprintf(val, valsz, "%s", info.meta[id - X_FORMAT]);
		else
			r = -ENODATA;
		break;
	}
	entry_info_clear(&info);
	return r;
}

/*
 * A discovered buffer (proc/PID/FD) describes itself from its fdinfo: what
 * it is, and how the daemon would map it. It has no image metadata and no
 * writable attribute. -ENODATA for what it does not have.
 */
static int proc_fd_value(const struct config *cfg, fuse_ino_t ino, enum xattr_id id, char *val,
			 size_t valsz)
{
	struct dmabuf_fdinfo info;
	const char *why = NULL;
	uid_t owner;
	pid_t pid;
	int fd, v, r;

	ino_proc_fd_split(ino, &pid, &fd);
	r = discover_stat(pid, fd, &info, &owner);
	if (r < 0)
		return r;
	switch (id) {
	case X_EXPORTER:
		snprintf(val, valsz, "%s", info.exp_name);
		return 0;
	case X_NAME:
		snprintf(val, valsz, "%s", info.name);
		return 0;
	case X_INODE:
		snprintf(val, valsz, "%llu", (unsigned long long)info.ino);
		return 0;
	case X_ORIGIN:
		snprintf(val, valsz, "%s", origin_name(ORIGIN_DISCOVERED));
		return 0;
	case X_IOMEM:
	case X_IOMEM_REASON:
		v = policy_decide(-1, cfg->iomem_mode, info.exp_name, "", &why);
		if (id == X_IOMEM)
			snprintf(val, valsz, "%d", v);
		else
			snprintf(val, valsz, "%s", why ? why : "");
		return 0;
	default:
		return -ENODATA;
	}
}

static bool xattr_exists(const struct config *cfg, struct entry *e, enum xattr_id id)
{
	char val[META_VALUE_MAX + 64];

	return xattr_value(cfg, 0, e, id, val, sizeof(val)) == 0;
}

static struct entry *xattr_entry(fuse_ino_t ino)
{
	return ino_kind(ino) == NODE_ENTRY ? entry_find(ino_id(ino)) : NULL;
}

static void reply_value(fuse_req_t req, const char *val, size_t size)
{
	size_t len = strlen(val);

	if (size == 0)
		fuse_reply_xattr(req, len);
	else if (size < len)
		fuse_reply_err(req, ERANGE);
	else
		fuse_reply_buf(req, val, len);
}

void fs_getxattr(fuse_req_t req, fuse_ino_t ino, const char *name, size_t size)
{
	_cleanup_free_ char *val = NULL;
	struct entry *e = xattr_entry(ino);
	enum xattr_id id;
	int r;

	if (!e && ino_kind(ino) != NODE_PROC_FD && ino_kind(ino) != NODE_SCANOUT) {
		fuse_reply_err(req, ENODATA);
		return;
	}
	r = xattr_lookup(name, &id);
	if (r < 0) {
		fuse_reply_err(req, r == -ENOTSUP ? ENODATA : -r);
		return;
	}
	val = malloc(XATTR_VALUE_MAX);
	if (!val) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	if (e)
		r = xattr_value(fs_config(req), fuse_req_ctx(req)->uid, e, id, val,
				XATTR_VALUE_MAX);
	else if (ino_kind(ino) == NODE_SCANOUT)
		r = scanout_xattr(fs_config(req), ino, xattr_names[id], val, XATTR_VALUE_MAX);
	else
		r = proc_fd_value(fs_config(req), ino, id, val, XATTR_VALUE_MAX);
	if (r < 0)
		fuse_reply_err(req, -r);
	else
		reply_value(req, val, size);
}

void fs_listxattr(fuse_req_t req, fuse_ino_t ino, size_t size)
{
	const struct config *cfg = fs_config(req);
	struct entry *e = xattr_entry(ino);
	char list[1024], val[META_VALUE_MAX + 64];
	size_t used = 0;

	for (int i = 0;
	     i < X_COUNT && (e || ino_kind(ino) == NODE_PROC_FD || ino_kind(ino) == NODE_SCANOUT);
	     i++) {
		int n, r;

		/* holders is listed whenever there is a buffer; its value is
		 * computed only when asked for. Directories and links have no
		 * attributes at all. */
		if (!e && ino_kind(ino) == NODE_SCANOUT)
			r = i == X_INODE ?
				    0 :
				    scanout_xattr(cfg, ino, xattr_names[i], val, sizeof(val));
		else if (!e)
			r = proc_fd_value(cfg, ino, (enum xattr_id)i, val, sizeof(val));
		else if (i == X_HOLDERS)
			r = xattr_value(cfg, 0, e, X_INODE, val, sizeof(val));
		else
			r = xattr_value(cfg, 0, e, (enum xattr_id)i, val, sizeof(val));
		if (r < 0)
			continue;
		n = snprintf(list + used, sizeof(list) - used, PREFIX "%s", xattr_names[i]);
		used += (size_t)n + 1; /* keep the NUL */
	}
	if (size == 0)
		fuse_reply_xattr(req, used);
	else if (size < used)
		fuse_reply_err(req, ERANGE);
	else
		fuse_reply_buf(req, list, used);
}

static int parse_iomem_value(const char *value, size_t size, int *out)
{
	char v[8];

	while (size > 0 && (value[size - 1] == '\n' || value[size - 1] == '\0'))
		size--;
	if (size == 0 || size >= sizeof(v))
		return -EINVAL;
	memcpy(v, value, size);
	v[size] = '\0';
	if (strcmp(v, "0") == 0)
		*out = 0;
	else if (strcmp(v, "1") == 0)
		*out = 1;
	else if (strcmp(v, "auto") == 0)
		*out = -1;
	else
		return -EINVAL;
	return 0;
}

static int set_iomem(struct entry *e, int v)
{
	entry_set_iomem(e, v);
	log_info("%s: map flag set to %s by its owner", entry_name(e),
		 v < 0 ? "auto" :
		 v     ? "iomem" :
			 "system memory");
	return 0;
}

static int set_name(struct entry *e, const char *value, size_t size)
{
	_cleanup_buffer_ struct buffer *buf = NULL;
	char n[32];

	while (size > 0 && value[size - 1] == '\0')
		size--;
	/* As buffer names: a newline would reach fdinfo's name: line. */
	if (size > 31 || name_has_control(value, size))
		return -EINVAL;
	memcpy(n, value, size);
	n[size] = '\0';
	buf = entry_buffer(e);
	if (!buf)
		return -ENODATA;
	return buffer_set_dmabuf_name(buf, n);
}

/* Only the owner (or root) changes a buffer's attributes. */
static bool is_owner(fuse_req_t req, struct entry *e)
{
	uid_t uid = fuse_req_ctx(req)->uid;
	struct entry_info info;

	if (uid == 0)
		return true;
	entry_info(e, &info);
	entry_info_clear(&info);
	return uid == info.uid;
}

void fs_setxattr(fuse_req_t req, fuse_ino_t ino, const char *name, const char *value, size_t size,
		 int flags)
{
	struct entry *e = xattr_entry(ino);
	enum xattr_id id;
	int r, v;

	if (!e) {
		fuse_reply_err(req, ino_kind(ino) == NODE_PROC_FD || ino_kind(ino) == NODE_SCANOUT ?
					    EPERM :
					    ENOTSUP);
		return;
	}
	r = xattr_lookup(name, &id);
	if (r == -ENODATA)
		r = -ENOTSUP; /* no free-form attributes inside our namespace */
	if (r < 0) {
		fuse_reply_err(req, -r);
		return;
	}
	if (!is_owner(req, e)) {
		log_info("%s: setxattr %s by uid %u refused: not the owner", entry_name(e), name,
			 (unsigned)fuse_req_ctx(req)->uid);
		fuse_reply_err(req, EPERM);
		return;
	}
	/* Image metadata checks XATTR_CREATE/REPLACE under the lock that sets
	 * it; iomem always has a value, name one once there is a buffer. */
	if ((flags & (XATTR_CREATE | XATTR_REPLACE)) && (id == X_IOMEM || id == X_NAME)) {
		r = xattr_exists(fs_config(req), e, id);
		if ((flags & XATTR_CREATE) && r)
			r = -EEXIST;
		else if ((flags & XATTR_REPLACE) && !r)
			r = -ENODATA;
		else
			r = 0;
		if (r < 0) {
			fuse_reply_err(req, -r);
			return;
		}
	}
	switch (id) {
	case X_IOMEM:
		r = parse_iomem_value(value, size, &v);
		if (r == 0)
			r = set_iomem(e, v);
		break;
	case X_NAME:
		r = set_name(e, value, size);
		break;
	case X_PITCHES:
	case X_OFFSETS:
		r = check_plane_list(value, size);
		if (r == 0)
			r = entry_set_meta(e, (enum meta_key)(id - X_FORMAT), value, size, flags);
		break;
	case X_FORMAT:
	case X_WIDTH:
	case X_HEIGHT:
	case X_STRIDE:
	case X_MODIFIER:
		r = entry_set_meta(e, (enum meta_key)(id - X_FORMAT), value, size, flags);
		break;
	default:
		r = -EPERM; /* read-only: describes the buffer */
		break;
	}
	if (r < 0)
		log_info("%s: setxattr %s: %s", entry_name(e), name, strerror(-r));
	fuse_reply_err(req, -r);
}

void fs_removexattr(fuse_req_t req, fuse_ino_t ino, const char *name)
{
	struct entry *e = xattr_entry(ino);
	enum xattr_id id;
	int r;

	if (!e) {
		fuse_reply_err(req, ENODATA);
		return;
	}
	r = xattr_lookup(name, &id);
	if (r < 0) {
		fuse_reply_err(req, r == -ENOTSUP ? ENODATA : -r);
		return;
	}
	if (!is_owner(req, e))
		r = -EPERM;
	else if (is_meta(id))
		r = entry_remove_meta(e, (enum meta_key)(id - X_FORMAT));
	else if (id == X_IOMEM)
		r = set_iomem(e, -1);
	else
		r = -EPERM;
	fuse_reply_err(req, -r);
}
