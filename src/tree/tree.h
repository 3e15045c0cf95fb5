/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The tree as the rest of the daemon sees it: inode numbers, and the verbs
 * the control socket and main.c use. The entries themselves (tree/entry.h)
 * are for the model and the FUSE handlers. The control socket's verbs are
 * in tree/tree.c, the rest in tree/entry.c.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

struct backend;
struct buffer;
struct config;

/*
 * Inode numbers. The fixed directories have small numbers; every other
 * inode carries its kind in the top byte and an id below it, so synthetic
 * nodes (symlinks, per-exporter and per-backend directories, discovered
 * buffers) need no table and no lookup counting: only entries (the buffer
 * files) are reference counted.
 */
enum {
	INO_ROOT = 1, /* FUSE_ROOT_ID */
	INO_BY_INODE = 2,
	INO_BY_EXPORTER = 3,
	INO_NEW = 4,
	INO_PROC = 5,
};

enum node_kind {
	NODE_FIXED = 0,
	NODE_ENTRY = 1,	   /* id: entry id; inode INO_ENTRY_BASE + id */
	NODE_INO_LINK = 2, /* by-inode/INO, id: entry id */
	NODE_EXP_DIR = 3,  /* by-exporter/EXP, id: exporter table index */
	NODE_EXP_LINK = 4, /* by-exporter/EXP/NAME, id: entry id */
	NODE_NEW_DIR = 5,  /* new/BACKEND, id: backend table index */
	NODE_PROC_PID = 6, /* proc/PID, id: pid */
	NODE_PROC_FD = 7,  /* proc/PID/FD, id: see ino_proc_fd() */
	NODE_SCANOUT = 8,  /* scanout/ and below, id: see the FUSE side's scanout.c */
	NODE_KIND_COUNT,
};

#define INO_KIND_SHIFT 56
#define INO_ID_MASK ((UINT64_C(1) << INO_KIND_SHIFT) - 1)
/* Buffer files get small inode numbers (what `ls -i` and 32-bit stat()
 * callers see most); synthetic nodes live above 2^56. */
#define INO_ENTRY_BASE 16
/* proc/PID/FD packs both in the id: PID below 2^22, FD below 2^24. */
#define PROC_FD_SHIFT 24
#define PROC_FD_MAX (UINT64_C(1) << PROC_FD_SHIFT)
#define PROC_PID_MAX (UINT64_C(1) << 22)
/* scanout/ itself: id 0 of its kind. */
#define INO_SCANOUT ((uint64_t)NODE_SCANOUT << INO_KIND_SHIFT)

static inline uint64_t ino_make(enum node_kind kind, uint64_t id)
{
	if (kind == NODE_ENTRY)
		return INO_ENTRY_BASE + id;
	return ((uint64_t)kind << INO_KIND_SHIFT) | (id & INO_ID_MASK);
}

static inline enum node_kind ino_kind(uint64_t ino)
{
	enum node_kind kind = (enum node_kind)(ino >> INO_KIND_SHIFT);

	if (kind == NODE_FIXED && ino >= INO_ENTRY_BASE)
		return NODE_ENTRY;
	return kind;
}

static inline uint64_t ino_id(uint64_t ino)
{
	if (ino_kind(ino) == NODE_ENTRY)
		return ino - INO_ENTRY_BASE;
	return ino & INO_ID_MASK;
}

static inline uint64_t ino_entry(uint64_t id)
{
	return ino_make(NODE_ENTRY, id);
}

static inline uint64_t ino_proc_fd(pid_t pid, int fd)
{
	return ino_make(NODE_PROC_FD, (uint64_t)pid << PROC_FD_SHIFT | (uint64_t)fd);
}

static inline void ino_proc_fd_split(uint64_t ino, pid_t *pid, int *fd)
{
	*pid = (pid_t)(ino_id(ino) >> PROC_FD_SHIFT);
	*fd = (int)(ino_id(ino) & (PROC_FD_MAX - 1));
}

/* The image metadata of a buffer file, as its user.dmabuf.* xattrs spell it
 * (format, width, ...): what a publisher may give (control/image.c) and the
 * fd store keeps. */
enum meta_key {
	META_FORMAT,
	META_WIDTH,
	META_HEIGHT,
	META_STRIDE,
	META_MODIFIER,
	META_PITCHES, /* per plane, comma-separated numbers */
	META_OFFSETS,
	META_COUNT,
};
#define META_VALUE_MAX 64

enum origin {
	ORIGIN_CREATED,
	ORIGIN_PUBLISHED,
	ORIGIN_IMPORTED,
	ORIGIN_DISCOVERED,
};

/* The name of an origin, as user.dmabuf.origin and `dmabufctl list` show it. */
static inline const char *origin_name(enum origin o)
{
	static const char *const names[] = {
		[ORIGIN_CREATED] = "created",
		[ORIGIN_PUBLISHED] = "published",
		[ORIGIN_IMPORTED] = "imported",
		[ORIGIN_DISCOVERED] = "discovered",
	};

	return (unsigned int)o < sizeof(names) / sizeof(names[0]) ? names[o] : "unknown";
}

/* One buffer file of the root, as stat and its user.dmabuf.* attributes
 * show it (tree_list()); the strings are valid during the callback. */
struct tree_item {
	uint64_t id; /* entries are listed in decreasing id: a cursor */
	const char *name;
	const struct stat *st;
	const char *exporter; /* "none" while unallocated */
	int iomem;	      /* the map flag, decided by the policy until allocated */
	enum origin origin;
	uint64_t kino;	    /* the dma-buf's inode, 0 while unallocated */
	struct buffer *buf; /* NULL while unallocated; buffer_ref() to keep */
};

/* How many buffer files hold a FUSE passthrough backing id (the kernel's
 * count of them, as long as none leaks). */
unsigned int tree_backing_ids(void);

/* Tell the kernel that name (inode ino) left the root behind its back. */
typedef void (*tree_gone_cb)(const char *name, uint64_t ino, void *data);

/* Keep cfg (group, umask, iomem mode, fence timeout) for the tree's life;
 * gone (may be NULL) is called with no lock held. */
void tree_init(const struct config *cfg, tree_gone_cb gone, void *gone_data);
/* A buffer file's passthrough backing id (struct entry's backing_id, the
 * kernel's) lives as long as the file: closer(id, data) gives it back to
 * the kernel when the file is freed. Set before the mount. */
void tree_set_backing_closer(void (*closer)(int backing_id, void *data), void *data);
void tree_exit(void);

/* ---- used by the control socket ---- */
int tree_publish(struct buffer *buf, const char *name, uid_t uid, gid_t gid, int iomem_override,
		 uint64_t conn_id, enum origin origin);
/* tree_publish() with the file's metadata xattrs (META_COUNT values, ""
 * for none; meta NULL: none at all). */
int tree_publish_meta(struct buffer *buf, const char *name, uid_t uid, gid_t gid,
		      int iomem_override, uint64_t conn_id, enum origin origin,
		      const char (*meta)[META_VALUE_MAX + 1]);
int tree_unpublish(const char *name, uid_t uid);
/* A dup of the buffer's fd for a caller who may read the file: read-write
 * if it may also write it, else read-only (-EACCES where the buffer has no
 * read-only fd: dma-bufs). The access rule is the kernel's, with the
 * caller's supplementary groups (ngroups of them; tree_export: none). */
int tree_export_groups(const char *name, uid_t uid, gid_t gid, const gid_t *groups, size_t ngroups,
		       int *out_fd);
int tree_export(const char *name, uid_t uid, gid_t gid, int *out_fd);
/* Unlink every transient publication of a control connection. */
void tree_drop_conn(uint64_t conn_id);
/* Call fn on every buffer file of the root with an id below before (0:
 * all), newest (highest id) first, under the tree lock (fn must not call
 * tree verbs); stops at and returns fn's first nonzero. */
int tree_list(uint64_t before, int (*fn)(const struct tree_item *it, void *data), void *data);
/* Mark every buffer of a backend dead (device gone); a backend_gone_cb. */
void tree_backend_gone(struct backend *be, void *data);
