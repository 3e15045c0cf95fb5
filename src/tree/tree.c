// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The tree's verbs for the control socket and main.c (tree/tree.h): publish,
 * unpublish, export, list, a backend's loss, and statfs's usage. They are
 * built on entry.c's few verbs that run a callback under the tree lock
 * (entry_each, entry_with_name, entry_link_buffer, entry_unlink_first), so
 * the lock stays private to entry.c and nothing here can hold it across a
 * reply, while entry.c keeps to the entries' life and the kernel's counts.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "backend/backend.h"
#include "buffer.h"
#include "conf.h"
#include "tree/entry.h"
#include "tree/persist.h"
#include "shared/log.h"
#include "shared/macro.h"
#include "shared/util.h"

void tree_init(const struct config *cfg, tree_gone_cb gone, void *gone_data)
{
	entry_init(cfg, gone, gone_data);
	quota_init(cfg);
}

void tree_exit(void)
{
	/* What is freed here stays in the store for the next start. */
	persist_set_store(NULL);
	/* Handles and snapshots first: they hold entries. */
	held_free_all();
	entry_exit();
}

/* ---- publishing ---- */

int tree_publish(struct buffer *buf, const char *name, uid_t uid, gid_t gid, int iomem_override,
		 uint64_t conn_id, enum origin origin)
{
	return tree_publish_meta(buf, name, uid, gid, iomem_override, conn_id, origin, NULL);
}

int tree_publish_meta(struct buffer *buf, const char *name, uid_t uid, gid_t gid,
		      int iomem_override, uint64_t conn_id, enum origin origin,
		      const char (*meta)[META_VALUE_MAX + 1])
{
	const struct entry_link l = {
		.name = name,
		.uid = uid,
		.gid = gid,
		.mode = 0666 & ~entry_config()->umask,
		.origin = origin,
		.conn_id = conn_id,
		.iomem_override = iomem_override,
		.meta = meta,
	};

	return entry_link_buffer(buf, &l);
}

struct unpublish_arg {
	const char *name;
	uid_t uid;
};

/* 1: not this one; 0: this one; -EPERM: this one, but not the caller's. */
static int match_unpublish(const struct entry *e, const void *arg)
{
	const struct unpublish_arg *a = arg;

	if (strcmp(e->name, a->name) != 0)
		return 1;
	return a->uid != 0 && a->uid != e->uid ? -EPERM : 0;
}

int tree_unpublish(const char *name, uid_t uid)
{
	const struct unpublish_arg a = { name, uid };
	char gone[256];

	return entry_unlink_first(match_unpublish, &a, gone);
}

static int match_conn(const struct entry *e, const void *arg)
{
	return e->conn_id == *(const uint64_t *)arg ? 0 : 1;
}

void tree_drop_conn(uint64_t conn_id)
{
	char name[256];

	while (entry_unlink_first(match_conn, &conn_id, name) == 0)
		log_info("%s: transient buffer removed, its publisher went away", name);
}

/* ---- export ---- */

/*
 * A read-only fd of the buffer: the daemon holds read-write ones. A memfd
 * reopens read-only through /proc/self/fd; a dma-buf cannot (its access mode
 * is fixed when its exporter makes the file, and reopening gives no dma-buf).
 */
static int reopen_readonly(struct buffer *b, int *out_fd)
{
	char path[64];
	int fd;

	if (b->readonly)
		fd = fcntl(b->fd, F_DUPFD_CLOEXEC, 3);
	else if (b->ops != &buffer_memfd_ops)
		return -EACCES;
	else {
		snprintf(path, sizeof(path), "/proc/self/fd/%d", b->fd);
		fd = open(path, O_RDONLY | O_CLOEXEC);
	}
	if (fd < 0)
		return -errno;
	*out_fd = fd;
	return 0;
}

struct export_arg {
	uid_t uid;
	gid_t gid;
	const gid_t *groups;
	size_t ngroups;
	bool writable;
	int fd;		    /* writable: a dup of the buffer's fd */
	struct buffer *buf; /* else: a reference, reopened read-only unlocked */
};

/* Whether the caller may access e with the rwx mask (the kernel's rule). */
static bool export_may(const struct entry *e, const struct export_arg *a, int mask)
{
	return mode_may_access(e->mode, e->uid, e->gid, a->uid, a->gid, a->groups, a->ngroups,
			       mask);
}

static int export_cb(struct entry *e, void *data)
{
	struct export_arg *a = data;

	if (!export_may(e, a, 4))
		return -EACCES;
	if (!e->buf)
		return -ENODATA; /* not allocated yet: nothing to hand out */
	if (buffer_is_dead(e->buf))
		return -ENODEV;
	a->writable = export_may(e, a, 2) && !e->buf->readonly;
	if (!a->writable) {
		a->buf = buffer_ref(e->buf);
		return 0;
	}
	a->fd = fcntl(e->buf->fd, F_DUPFD_CLOEXEC, 3);
	return a->fd < 0 ? -errno : 0;
}

int tree_export_groups(const char *name, uid_t uid, gid_t gid, const gid_t *groups, size_t ngroups,
		       int *out_fd)
{
	struct export_arg a = {
		.uid = uid, .gid = gid, .groups = groups, .ngroups = ngroups, .fd = -1
	};
	_cleanup_buffer_ struct buffer *buf = NULL;
	int r;

	r = entry_with_name(name, export_cb, &a);
	buf = a.buf;
	if (r == 0 && !a.writable) {
		/* Only what the caller may do: read. */
		r = reopen_readonly(buf, &a.fd);
		if (r == -EACCES)
			log_info("%s: export to uid %u refused: it may not write the file, and a "
				 "%s dma-buf has no read-only fd",
				 name, (unsigned)uid, buf->exporter);
	}
	if (r == 0)
		*out_fd = a.fd;
	return r;
}

int tree_export(const char *name, uid_t uid, gid_t gid, int *out_fd)
{
	return tree_export_groups(name, uid, gid, NULL, 0, out_fd);
}

/* ---- the tree as a whole ---- */

static int gone_cb(struct entry *e, void *data)
{
	if (e->buf && e->buf->be == data)
		buffer_mark_dead(e->buf);
	return 0;
}

void tree_backend_gone(struct backend *be, void *data)
{
	entry_each(true, gone_cb, be);
	log_warn("backend %s: device %s is gone; its buffers now fail with ENODEV", be->name,
		 be->devnode);
}

struct list_arg {
	uint64_t before;
	int (*fn)(const struct tree_item *it, void *data);
	void *data;
};

static int count_backing(struct entry *e, void *data)
{
	if (__atomic_load_n(&e->backing_id, __ATOMIC_ACQUIRE) > 0)
		(*(unsigned int *)data)++;
	return 0;
}

unsigned int tree_backing_ids(void)
{
	unsigned int n = 0;

	entry_each(true, count_backing, &n);
	return n;
}

static int list_cb(struct entry *e, void *data)
{
	const struct list_arg *a = data;
	const struct config *cfg = entry_config();
	const char *why;
	struct stat st;
	struct tree_item it = {
		.id = e->id,
		.name = e->name,
		.st = &st,
		.exporter = e->buf ? e->buf->exporter : "none",
		.origin = e->origin,
		.kino = e->buf ? e->buf->kino : 0,
		.buf = e->buf,
	};

	if (a->before && e->id >= a->before)
		return 0;
	entry_stat_locked(e, &st, NULL);
	/* As user.dmabuf.iomem reads it (xattr.c). */
	it.iomem = e->buf ? e->buf->iomem :
			    policy_decide(e->iomem_override, cfg->iomem_mode,
					  e->be ? e->be->exporter : "", e->be ? e->be->driver : "",
					  &why);
	return a->fn(&it, a->data);
}

int tree_list(uint64_t before, int (*fn)(const struct tree_item *it, void *data), void *data)
{
	struct list_arg a = { before, fn, data };

	return entry_each(false, list_cb, &a);
}

static int usage_cb(struct entry *e, void *data)
{
	uint64_t *sum = data;

	/* Discovered buffers belong to other processes, not the mount. */
	if (e->origin != ORIGIN_DISCOVERED) {
		sum[0] += entry_size(e);
		sum[1]++;
	}
	return 0;
}

void tree_usage(uint64_t *bytes, uint64_t *files)
{
	uint64_t sum[2] = { 0, 0 };

	entry_each(true, usage_cb, sum);
	*bytes = sum[0];
	*files = sum[1];
}
