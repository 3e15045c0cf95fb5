/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

struct backend;
struct buffer;

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
	NODE_ENTRY = 1,     /* id: entry id; inode INO_ENTRY_BASE + id */
	NODE_INO_LINK = 2,  /* by-inode/INO, id: entry id */
	NODE_EXP_DIR = 3,   /* by-exporter/EXP, id: exporter table index */
	NODE_EXP_LINK = 4,  /* by-exporter/EXP/NAME, id: entry id */
	NODE_NEW_DIR = 5,   /* new/BACKEND, id: backend table index */
	NODE_PROC_PID = 6,  /* proc/PID, id: pid */
	NODE_PROC_FD = 7,   /* proc/PID/FD, id: pid << 24 | fd */
};

#define INO_KIND_SHIFT 56
#define INO_ID_MASK ((UINT64_C(1) << INO_KIND_SHIFT) - 1)
/* Buffer files get small inode numbers (what `ls -i` and 32-bit stat()
 * callers see most); synthetic nodes live above 2^56. */
#define INO_ENTRY_BASE 16

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

enum origin {
	ORIGIN_CREATED,
	ORIGIN_PUBLISHED,
	ORIGIN_IMPORTED,
	ORIGIN_DISCOVERED,
};

enum meta_key {
	META_FORMAT,
	META_WIDTH,
	META_HEIGHT,
	META_STRIDE,
	META_MODIFIER,
	META_COUNT,
};
#define META_VALUE_MAX 64

/*
 * One buffer file. Lifetime: an entry lives while it is linked (has a name
 * in the root), or the kernel still holds lookups on it, or files are open
 * on it; the last of these to go frees it.
 *
 * Protected by tree_lock: name, linked, nlookup, nopen, uid, gid, mode,
 * times, origin, conn_id, meta, iomem_explicit.
 * Protected by io (write side) AND tree_lock: buf, staged_fd — so a reader
 * holding either one sees a stable state. I/O holds io shared for its
 * duration; state changes (allocation) hold it exclusive.
 */
struct entry {
	uint64_t id;
	char name[256];
	bool linked;
	uint64_t nlookup;
	unsigned int nopen;
	uid_t uid;
	gid_t gid;
	mode_t mode; /* permission bits only */
	struct timespec atime, mtime, ctime;
	enum origin origin;
	uint64_t conn_id; /* transient publication: the control connection */
	struct backend *be; /* where it was (or will be) allocated; NULL: import */
	int iomem_explicit; /* -1, 0, 1; applied to buf when it is made */
	char meta[META_COUNT][META_VALUE_MAX + 1];

	pthread_rwlock_t io;
	struct buffer *buf; /* NULL while unallocated or staged */
	int staged_fd;      /* memfd holding data written before allocation */

	struct entry *prev, *next;
};

extern pthread_mutex_t tree_lock;

int tree_init(void);
void tree_exit(void);

/* Lookup by name among linked entries / by id among all; tree_lock held. */
struct entry *tree_find_locked(const char *name);
struct entry *tree_find_id_locked(uint64_t id);
/* The first linked, allocated entry whose buffer has kernel inode kino. */
struct entry *tree_find_kino_locked(uint64_t kino);
/* Iterate all entries (linked or not): e = tree_next_locked(NULL) ... */
struct entry *tree_next_locked(struct entry *e);
/* A new linked entry; tree_lock held. -EEXIST, -ENOMEM. */
int tree_add_locked(const char *name, uid_t uid, gid_t gid, mode_t mode,
		    enum origin origin, struct backend *be, struct entry **out);
/* Remove the name; the entry stays while referenced. tree_lock held.
 * Returns true when the caller must free it with entry_free() after
 * dropping tree_lock. */
bool tree_unlink_locked(struct entry *e);
/* Drop references (tree_lock held); true when the caller must free. */
bool entry_forget_locked(struct entry *e, uint64_t nlookup);
bool entry_close_locked(struct entry *e);
void entry_free(struct entry *e);
/* Size of the file as stat shows it; tree_lock or e->io held. */
uint64_t entry_size(struct entry *e);

/*
 * Make the buffer of an unallocated or staged entry, size bytes (rounded
 * up to pages), from the entry's backend; staged data is kept (udmabuf and
 * memfd adopt the staged memfd, others copy). Takes e->io exclusive and
 * tree_lock itself. size 0: nothing to allocate (returns 0).
 */
int entry_allocate(struct entry *e, uint64_t size);
/* Allocate a staged entry at its current size, if it is staged. */
int entry_commit_staged(struct entry *e);

/* ---- used by the control socket ---- */
int tree_publish(struct buffer *buf, const char *name, uid_t uid, gid_t gid,
		 int explicit_iomem, uint64_t conn_id, enum origin origin);
int tree_unpublish(const char *name, uid_t uid);
int tree_export(const char *name, uid_t uid, gid_t gid, int *out_fd);
void tree_drop_conn(uint64_t conn_id);
/* Mark every buffer of a backend dead (device gone). */
void tree_backend_gone(struct backend *be, void *data);

/* Append-only name tables for synthetic directories: index or -1. */
int exporter_index(const char *exporter, bool add);
const char *exporter_name(int index);
int newdir_index(const char *backend, bool add);
const char *newdir_name(int index);

/* Whether uid/gid may access with the given rwx mask (like the kernel's
 * generic permission check, root always may). */
bool entry_may_access(const struct entry *e, uid_t uid, gid_t gid, int mask);

/* Tell the kernel a name in the root went away behind its back. */
void tree_notify_gone(const char *name, uint64_t ino);

void timespec_now(struct timespec *ts);
