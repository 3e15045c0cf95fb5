/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Entries: the buffer files (tree/entry.c), for the model and the FUSE
 * handlers; the control socket and main.c go through tree.h.
 *
 * An entry is unallocated (no bytes), staged (its bytes in a memfd, a file
 * that grows with writes), or allocated (a struct buffer of fixed size);
 * it only moves forward. It lives while it is linked (has a name in the
 * root), or the kernel holds lookups on it, or files are open on it; the
 * verb that drops the last of these frees it. Every verb takes the locks it
 * needs and returns with none held, so a handler can never reply under one.
 */
#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <pthread.h>
#include <time.h>

#include "tree/quota.h"
#include "tree/tree.h"

struct backend;
struct buffer;

/*
 * One buffer file. Protected by the tree lock (entry.c): name, linked,
 * nlookup, nopen, uid, gid, mode, times, origin, conn_id, meta,
 * iomem_override. Protected by io (write side) AND the tree lock: buf,
 * staged_fd, so a reader holding either one sees a stable state. I/O
 * holds io shared for its duration; state changes (allocation) hold it
 * exclusive. Fields are for entry.c and entry-state.c, and for the
 * callbacks entry_each() and entry_with_name() run under the tree lock
 * (tree/tree.c, tree/persist.c); everyone else goes through the verbs below.
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
	uint64_t conn_id;	/* transient publication: the control connection */
	struct quota_ref quota; /* what it is charged (tree/quota.c only) */
	struct backend *be;	/* where it was (or will be) allocated; NULL: import */
	int iomem_override;	/* -1, 0, 1; applied to buf when it is made */
	char meta[META_COUNT][META_VALUE_MAX + 1];

	pthread_rwlock_t io;
	struct buffer *buf; /* NULL while unallocated or staged */
	int staged_fd;	    /* memfd holding data written before allocation */
	/* Bytes of staged_fd whose pages were allocated in the writer's
	 * memory cgroup ahead of the writes (charge.h); atomic. */
	uint64_t staged_charged;
	/* FUSE passthrough: the memfd whose pages are buf (udmabuf, memfd
	 * backends), kept at allocation when opens may be passed through;
	 * set with buf, under io. The kernel's backing id of it while
	 * passthrough opens exist, and the opens of each kind: file.c's
	 * lock. */
	bool has_backing;
	int backing_fd;
	int backing_id;
	unsigned int pt_opens, other_opens;
	/* Restored onto a mount that outlived the previous process (a
	 * re-attach): the kernel may hold lookups and opens that process
	 * counted and this one never saw, so the entry is kept until the
	 * kernel's FORGET says its inode is gone. Tree lock. */
	bool kernel_held;
	/* STORED_* (tree/persist.h): which of its fds the daemon's fd store
	 * holds; atomic, set by persist.c. */
	unsigned int stored;

	struct entry *prev, *next;
	struct entry *id_next, *name_next; /* entry-index.c's chains */
};

/* A consistent copy of an entry's attributes (entry_info()). */
struct entry_info {
	uint64_t id;
	char name[256];
	uid_t uid;
	enum origin origin;
	struct backend *be;
	int iomem_override; /* -1, 0, 1 */
	struct buffer *buf; /* a reference, or NULL; entry_info_clear() drops it */
	char meta[META_COUNT][META_VALUE_MAX + 1];
};

/* What entry_walk() shows of a linked entry; valid during the callback. */
struct entry_view {
	uint64_t id;
	const char *name;
	const struct buffer *buf; /* NULL while unallocated or staged */
};

/* What the kernel holds open besides entries (a file handle, a directory
 * snapshot), embedded in it: a stop sends no RELEASE for those, so
 * tree_exit() frees what is still held, with free() (tree/held.c). */
struct held {
	struct held *prev, *next;
	void (*free)(struct held *h);
};
void held_add(struct held *h);
void held_remove(struct held *h);
/* Free everything still held (tree_exit()). */
void held_free_all(void);

/* Call fn on every linked entry, newest first, under the tree lock (fn
 * must not call entry verbs); stops at and returns fn's first nonzero. */
int entry_walk(int (*fn)(const struct entry_view *v, void *data), void *data);
/* Size of the file as stat shows it; e->io or the tree lock held. */
uint64_t entry_size(struct entry *e);
/* Bytes and number of the entries a statfs counts (tree/tree.c). */
void tree_usage(uint64_t *bytes, uint64_t *files);

/* ---- lookups and the kernel's references ---- */
/* The entry of an inode the kernel is making a request on, or NULL. No
 * reference is taken: the kernel's lookup keeps it alive for the request. */
struct entry *entry_find(uint64_t id);
/* Stat a linked entry by name and count one kernel lookup on it. */
int entry_lookup(const char *name, struct stat *st, bool *allocated);
/* readdirplus: entry id, if it is still linked as name; counts one kernel
 * lookup like entry_lookup(). -ENOENT if it went or was renamed. */
int entry_lookup_id(uint64_t id, const char *name, struct stat *st, bool *allocated);
/* Stat any entry by id; *allocated tells a fixed-size file. */
int entry_stat(uint64_t id, struct stat *st, bool *allocated);
/* The kernel forgot nlookup lookups. */
void entry_forget(uint64_t id, uint64_t nlookup);

/* ---- names ---- */
/* A new linked entry, with one lookup and one open counted. */
int entry_create(const char *name, uid_t uid, gid_t gid, mode_t mode, struct backend *be,
		 struct stat *st, struct entry **out);
int entry_unlink(const char *name);
/* Rename within the root; noreplace: -EEXIST if newname exists. */
int entry_rename(const char *name, const char *newname, bool noreplace);
/* What entry_setattr() changes: the model's own flags, so that it needs no
 * FUSE header (ops.c translates FUSE_SET_ATTR_*). Any change but the two
 * explicit times also sets ctime. */
enum entry_set {
	ENTRY_SET_SIZE = 1 << 0,
	ENTRY_SET_MODE = 1 << 1,
	ENTRY_SET_UID = 1 << 2,
	ENTRY_SET_GID = 1 << 3,
	ENTRY_SET_ATIME = 1 << 4, /* to attr->st_atim */
	ENTRY_SET_ATIME_NOW = 1 << 5,
	ENTRY_SET_MTIME = 1 << 6, /* to attr->st_mtim */
	ENTRY_SET_MTIME_NOW = 1 << 7,
	ENTRY_SET_CTIME = 1 << 8, /* ctime only (FUSE_SET_ATTR_CTIME and the rest) */
};
/* chmod/chown/utimens/truncate: the fields to_set (enum entry_set) names. */
/* tree_init()'s and tree_exit()'s part for the entries: keep cfg and the
 * gone callback; free every entry (the store keeps what it has). */
void entry_init(const struct config *cfg, tree_gone_cb gone, void *gone_data);
void entry_exit(void);
/* The configuration given to tree_init(), for the model's own files. */
const struct config *entry_config(void);
int entry_setattr(struct entry *e, const struct stat *attr, unsigned int to_set);

/* ---- open files ---- */
/* Count an open of entry id. */
int entry_open(uint64_t id, struct entry **out);
/* An unlinked entry of origin discovered around buf (the reference is
 * taken over, also on error), with one open counted. */
int entry_open_discovered(struct buffer *buf, uid_t owner, struct entry **out);
/* close(2) of one open file: by its opener (opener), and the entry's only
 * open file, allocates a staged entry. */
int entry_flush(struct entry *e, bool opener);
/* The last reference of an open file went: allocate if staged, count the
 * close, free the entry if nothing else holds it. */
void entry_release(struct entry *e);
const char *entry_name(const struct entry *e);

/* ---- the state machine (entry-state.c) ---- */
/* Make the buffer of an unallocated or staged entry, size bytes (rounded
 * up to pages), from its backend; staged data is kept (udmabuf and memfd
 * adopt the staged memfd, others copy). An allocated entry keeps its size:
 * -EPERM for another. size 0 leaves it as it is (a staged one emptied). */
int entry_allocate(struct entry *e, uint64_t size);
/* Allocate a staged entry at its current size, if it is staged. */
int entry_commit_staged(struct entry *e);
/* O_TRUNC: empty a staged entry; an allocated one keeps its bytes. */
int entry_truncate_staged(struct entry *e);
/* posix_fallocate(0, want): allocate up to want, never resize. */
int entry_fallocate(struct entry *e, uint64_t want);

/* ---- data ---- */
/* Read from whatever holds the entry's bytes now (buffer or memfd). */
ssize_t entry_read(struct entry *e, void *dst, size_t len, uint64_t off, bool nonblock,
		   int fence_timeout_ms);
/* Write; the first write into an unallocated entry stages it. */
ssize_t entry_write(struct entry *e, const void *src, size_t len, uint64_t off, bool nonblock);
/* The buffer of an allocated entry, referenced, or NULL. */
struct buffer *entry_buffer(struct entry *e);
/* The memfd holding an allocated entry's bytes, for passthrough, or -1
 * (not memfd-backed, or passthrough was off when it was allocated). */
int entry_backing_fd(struct entry *e);
/* Data reached the entry by another way: a new mtime (and ctime). */
void entry_touch(struct entry *e);

/* For entry-state.c, with e->io held exclusive: install the buffer made
 * for a staged or unallocated entry (closing the staged memfd), or the
 * memfd that stages it. */
void entry_install_buffer(struct entry *e, struct buffer *buf);
void entry_install_staged(struct entry *e, int fd);

/* ---- attributes (xattr.c) ---- */
void entry_info(struct entry *e, struct entry_info *out);
void entry_info_clear(struct entry_info *info);
/* The map flag: -1 back to the policy, 0 system memory, 1 I/O memory. */
void entry_set_iomem(struct entry *e, int iomem_override);
/* Image metadata; value of size bytes (no NUL). flags as setxattr(2)'s:
 * XATTR_CREATE of a set key -EEXIST, XATTR_REPLACE of an unset one
 * -ENODATA (checked and set under one lock). -ERANGE, -EINVAL. */
int entry_set_meta(struct entry *e, enum meta_key key, const char *value, size_t size, int flags);
/* -ENODATA when it has none. */
int entry_remove_meta(struct entry *e, enum meta_key key);

/* ---- the tree lock around a callback (tree/tree.c, tree/persist.c) ---- */
/* fn on entry e under the tree lock (entry-attr.c's changes): fn may read
 * and write the fields the tree lock protects and must not call entry
 * verbs. Returns fn's value. */
int entry_with(struct entry *e, int (*fn)(struct entry *e, void *data), void *data);
/* Call fn on every entry (only the linked ones unless all), newest first,
 * under the tree lock: fn may read and write the fields the tree lock
 * protects and must not call entry verbs. Stops at and returns fn's first
 * nonzero. */
int entry_each(bool all, int (*fn)(struct entry *e, void *data), void *data);
/* fn on the linked entry named name, under the tree lock as entry_each()'s;
 * its result, or -ENOENT when there is none. */
int entry_with_name(const char *name, int (*fn)(struct entry *e, void *data), void *data);
/* An entry's stat, under the tree lock (in those callbacks). */
void entry_stat_locked(struct entry *e, struct stat *st, bool *allocated);

/* What a buffer linked by the control socket or by a restart is given. */
struct entry_link {
	const char *name;
	uid_t uid;
	gid_t gid;
	mode_t mode;
	enum origin origin;
	uint64_t conn_id;   /* a transient publication's connection, or 0 */
	int iomem_override; /* -1, 0, 1; applied to the buffer */
	/* A restart's: gid as given, not the mount's group=; the old mtime
	 * (NULL: now) and metadata (NULL: none). */
	bool gid_exact;
	const struct timespec *mtime;
	const char (*meta)[META_VALUE_MAX + 1]; /* META_COUNT values */
	/* entry_restore() only: the id it had (ids given later are above
	 * it), not linked (an open file kept it), its backend, a staged
	 * memfd instead of a buffer, its fds already in the store. */
	uint64_t id;
	bool unlinked;
	struct backend *be;
	int staged_fd;
	unsigned int stored;
	/* A re-attach's: the kernel may still hold references (kernel_held),
	 * and the passthrough backing id the previous process registered. */
	bool kernel_held;
	int backing_id;
};
/* A new linked entry around buf (a reference is taken), charged to
 * l->uid's quota, all fields set under one lock so that no reader sees it
 * half made. -EINVAL/-ENAMETOOLONG, -EEXIST, -EDQUOT, -ENOMEM. */
int entry_link_buffer(struct buffer *buf, const struct entry_link *l);
/* A restart's entry_link_buffer() (tree/persist.c): buf (a reference is
 * taken), or l->staged_fd (taken over, also on error), or neither; with
 * l->id, linked or not. -EEXIST (the id or the name), -EINVAL, -EDQUOT,
 * -ENOMEM. */
int entry_restore(struct buffer *buf, const struct entry_link *l);
/* A restored memfd-backend entry's opens may be passed through again
 * (entry-state.c); tree lock held. */
void entry_keep_backing_restored(struct entry *e);
/* Unlink the first linked entry match() accepts (called under the tree
 * lock: 1 not this one, 0 this one, < 0 this one but refused), saving its
 * name, tell the kernel, free it if unused. 0, or match()'s refusal
 * (-ENOENT when none matched). */
int entry_unlink_first(int (*match)(const struct entry *e, const void *arg), const void *arg,
		       char name[256]);
