// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The buffer files, after libfuse's passthrough_ll.c: lookups and opens
 * are counted here and only here (lo_find/unref_inode), and the tree lock
 * is private, so no caller can hold it across a fuse_reply_*(). The state
 * machine (unallocated -> staged -> allocated) is in entry-state.c. The
 * control socket's verbs (tree.c) and the fd store's records (persist.c)
 * reach the entries through the few verbs at the end of this file, which
 * run their callback under the lock: a callback has no request to reply to.
 *
 * tree_lock protects the list and the fields entry.h says; e->io is taken
 * before it, never after (entry_install_*() run under io).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "backend/backend.h"
#include "buffer.h"
#include "conf.h"
#include "tree/entry.h"
#include "tree/persist.h"
#include "shared/log.h"
#include "shared/macro.h"
#include "shared/names.h"
#include "shared/util.h"
#include "tree/entry-index.h" /* after the rest: the tables behind find_*_locked */

static pthread_mutex_t tree_lock = PTHREAD_MUTEX_INITIALIZER;
/* All entries, linked or not (protected by tree_lock): the list is what the
 * walks go through (newest first); lookups by id and name go through
 * entry-index.c's hash tables (O(1) at 10,000 buffers). */
static struct entry *entries;
static uint64_t next_id = 1;

static const struct config *cfg;
static tree_gone_cb gone_cb;
static void *gone_data;
/* Set before the mount, read when an entry is freed. */
static void (*backing_closer)(int backing_id, void *data);
static void *backing_closer_data;

void tree_set_backing_closer(void (*closer)(int backing_id, void *data), void *data)
{
	backing_closer = closer;
	backing_closer_data = data;
}

static void now(struct timespec *ts)
{
	clock_gettime(CLOCK_REALTIME, ts);
}

void entry_init(const struct config *config, tree_gone_cb gone, void *data)
{
	cfg = config;
	gone_cb = gone;
	gone_data = data;
}

const struct config *entry_config(void)
{
	return cfg;
}

static void entry_free(struct entry *e)
{
	if (!e)
		return;
	/* Out of the record first, then out of the store: a crash in
	 * between leaves an fd the next start closes, never a record naming
	 * an fd that is gone. */
	if (__atomic_load_n(&e->stored, __ATOMIC_ACQUIRE)) {
		persist_changed(true);
		persist_fd_remove(e, STORED_BUF | STORED_STAGED);
	}
	quota_drop(&e->quota);
	buffer_unref(e->buf);
	if (e->staged_fd >= 0)
		close(e->staged_fd);
	if (e->backing_id > 0 && backing_closer)
		backing_closer(e->backing_id, backing_closer_data);
	if (e->has_backing && e->backing_fd >= 0)
		close(e->backing_fd);
	pthread_rwlock_destroy(&e->io);
	free(e);
}

void entry_exit(void)
{
	struct entry *e, *next;

	pthread_mutex_lock(&tree_lock);
	for (e = entries; e; e = next) {
		next = e->next;
		entry_free(e);
	}
	entries = NULL;
	entry_index_clear();
	pthread_mutex_unlock(&tree_lock);
}

/* ---- the list (tree_lock held) ---- */

static struct entry *find_name_locked(const char *name)
{
	return entry_index_find_name(name);
}

static struct entry *find_id_locked(uint64_t id)
{
	return entry_index_find_id(id);
}

static struct entry *add_id_locked(uint64_t id, uid_t uid, gid_t gid, mode_t mode,
				   enum origin origin, struct backend *be)
{
	struct entry *e = calloc(1, sizeof(*e));

	if (!e)
		return NULL;
	e->id = id ? id : next_id++;
	if (e->id >= next_id)
		next_id = e->id + 1;
	e->uid = uid;
	e->gid = cfg && cfg->group_set ? cfg->group : gid;
	e->mode = mode & 07777;
	now(&e->mtime);
	e->atime = e->ctime = e->mtime;
	e->origin = origin;
	e->be = be;
	e->iomem_override = -1;
	e->staged_fd = -1;
	pthread_rwlock_init(&e->io, NULL);
	e->next = entries;
	if (entries)
		entries->prev = e;
	entries = e;
	entry_index_add_id(e);
	return e;
}

static struct entry *add_locked(uid_t uid, gid_t gid, mode_t mode, enum origin origin,
				struct backend *be)
{
	return add_id_locked(0, uid, gid, mode, origin, be);
}

/* A new linked entry (id 0: the next one). -EINVAL/-ENAMETOOLONG, -EEXIST,
 * -ENOMEM. */
static int add_linked_id_locked(uint64_t id, const char *name, uid_t uid, gid_t gid, mode_t mode,
				enum origin origin, struct backend *be, struct entry **out)
{
	struct entry *e;
	int r;

	r = name_validate(name, strlen(name));
	if (r < 0)
		return r;
	if (find_name_locked(name))
		return -EEXIST;
	e = add_id_locked(id, uid, gid, mode, origin, be);
	if (!e)
		return -ENOMEM;
	snprintf(e->name, sizeof(e->name), "%s", name);
	e->linked = true;
	entry_index_add_name(e);
	*out = e;
	return 0;
}

static int add_linked_locked(const char *name, uid_t uid, gid_t gid, mode_t mode,
			     enum origin origin, struct backend *be, struct entry **out)
{
	return add_linked_id_locked(0, name, uid, gid, mode, origin, be, out);
}

/* Take an entry nothing holds any more out of the list: true when the
 * caller must entry_free() it after dropping tree_lock. */
static bool remove_if_unused_locked(struct entry *e)
{
	if (e->linked || e->nlookup > 0 || e->nopen > 0 || e->kernel_held)
		return false;
	entry_index_del_id(e);
	if (e->prev)
		e->prev->next = e->next;
	else
		entries = e->next;
	if (e->next)
		e->next->prev = e->prev;
	e->prev = e->next = NULL;
	return true;
}

static bool unlink_locked(struct entry *e)
{
	entry_index_del_name(e);
	e->linked = false;
	now(&e->ctime);
	return remove_if_unused_locked(e);
}

uint64_t entry_size(struct entry *e)
{
	struct stat st;

	if (e->buf)
		return e->buf->size;
	if (e->staged_fd >= 0 && fstat(e->staged_fd, &st) == 0)
		return (uint64_t)st.st_size;
	return 0;
}

void entry_stat_locked(struct entry *e, struct stat *st, bool *allocated)
{
	uint64_t size = entry_size(e);

	memset(st, 0, sizeof(*st));
	st->st_ino = ino_entry(e->id);
	st->st_mode = S_IFREG | e->mode;
	if (e->buf && e->buf->readonly)
		st->st_mode &= ~(mode_t)0222;
	st->st_nlink = e->linked ? 1 : 0;
	st->st_uid = e->uid;
	st->st_gid = e->gid;
	st->st_size = (off_t)size;
	st->st_blocks = (blkcnt_t)((size + 511) / 512);
	st->st_blksize = 4096;
	st->st_atim = e->atime;
	st->st_mtim = e->mtime;
	st->st_ctim = e->ctime;
	if (allocated)
		*allocated = e->buf != NULL;
}

static void notify_gone(const char *name, uint64_t ino)
{
	if (gone_cb)
		gone_cb(name, ino, gone_data);
}

int entry_walk(int (*fn)(const struct entry_view *v, void *data), void *data)
{
	int r = 0;

	pthread_mutex_lock(&tree_lock);
	for (struct entry *e = entries; e && !r; e = e->next) {
		struct entry_view v = { .id = e->id, .name = e->name, .buf = e->buf };

		if (e->linked)
			r = fn(&v, data);
	}
	pthread_mutex_unlock(&tree_lock);
	return r;
}

/* ---- lookups and references ---- */

struct entry *entry_find(uint64_t id)
{
	struct entry *e;

	pthread_mutex_lock(&tree_lock);
	e = find_id_locked(id);
	pthread_mutex_unlock(&tree_lock);
	return e;
}

int entry_lookup(const char *name, struct stat *st, bool *allocated)
{
	struct entry *e;

	pthread_mutex_lock(&tree_lock);
	e = find_name_locked(name);
	if (e) {
		e->nlookup++;
		entry_stat_locked(e, st, allocated);
	}
	pthread_mutex_unlock(&tree_lock);
	return e ? 0 : -ENOENT;
}

int entry_lookup_id(uint64_t id, const char *name, struct stat *st, bool *allocated)
{
	struct entry *e;

	pthread_mutex_lock(&tree_lock);
	e = find_id_locked(id);
	if (e && (!e->linked || strcmp(e->name, name) != 0))
		e = NULL; /* gone or renamed since the listing */
	if (e) {
		e->nlookup++;
		entry_stat_locked(e, st, allocated);
	}
	pthread_mutex_unlock(&tree_lock);
	return e ? 0 : -ENOENT;
}

int entry_stat(uint64_t id, struct stat *st, bool *allocated)
{
	struct entry *e;

	pthread_mutex_lock(&tree_lock);
	e = find_id_locked(id);
	if (e)
		entry_stat_locked(e, st, allocated);
	pthread_mutex_unlock(&tree_lock);
	return e ? 0 : -ENOENT;
}

void entry_forget(uint64_t id, uint64_t nlookup)
{
	struct entry *e;
	bool do_free = false;

	pthread_mutex_lock(&tree_lock);
	e = find_id_locked(id);
	if (e) {
		/* A FORGET carries the kernel's whole count when it drops the
		 * inode: more than this process counted means the previous
		 * process's lookups were in it, and the inode (with every open
		 * file on it) is gone. */
		if (e->kernel_held && nlookup > e->nlookup)
			e->kernel_held = false;
		e->nlookup = nlookup > e->nlookup ? 0 : e->nlookup - nlookup;
		do_free = remove_if_unused_locked(e);
	}
	pthread_mutex_unlock(&tree_lock);
	if (do_free)
		entry_free(e);
}

/* ---- names ---- */

int entry_create(const char *name, uid_t uid, gid_t gid, mode_t mode, struct backend *be,
		 struct stat *st, struct entry **out)
{
	struct quota_ref q = { 0 };
	struct entry *e;
	int r;

	pthread_mutex_lock(&tree_lock);
	r = quota_add(&q, uid, 0, name);
	if (r == 0)
		r = add_linked_locked(name, uid, gid, mode, ORIGIN_CREATED, be, &e);
	if (r < 0)
		quota_drop(&q);
	if (r == 0) {
		e->quota = q;
		e->nlookup++;
		e->nopen++;
		entry_stat_locked(e, st, NULL);
		*out = e;
	}
	pthread_mutex_unlock(&tree_lock);
	if (r == 0)
		persist_changed(true);
	return r;
}

int entry_unlink(const char *name)
{
	struct entry *e;
	bool do_free = false;

	pthread_mutex_lock(&tree_lock);
	e = find_name_locked(name);
	if (e)
		do_free = unlink_locked(e);
	pthread_mutex_unlock(&tree_lock);
	if (do_free)
		entry_free(e);
	else if (e)
		persist_changed(true);
	return e ? 0 : -ENOENT;
}

int entry_rename(const char *name, const char *newname, bool noreplace)
{
	struct entry *e, *victim = NULL;
	struct buffer *buf = NULL;
	bool free_victim = false;
	int r = 0;

	r = name_validate(newname, strlen(newname));
	if (r < 0)
		return r;
	pthread_mutex_lock(&tree_lock);
	e = find_name_locked(name);
	if (!e) {
		r = -ENOENT;
	} else if (strcmp(name, newname) != 0) {
		victim = find_name_locked(newname);
		if (victim && noreplace) {
			r = -EEXIST;
		} else {
			if (victim)
				free_victim = unlink_locked(victim);
			entry_index_del_name(e);
			snprintf(e->name, sizeof(e->name), "%s", newname);
			entry_index_add_name(e);
			now(&e->ctime);
			if (e->buf)
				buf = buffer_ref(e->buf);
		}
	}
	pthread_mutex_unlock(&tree_lock);
	if (r == 0)
		persist_changed(true);
	if (free_victim)
		entry_free(victim);
	if (buf) {
		/* The dma-buf's own name follows the file (fdinfo, debugfs). */
		buffer_set_dmabuf_name(buf, newname);
		buffer_unref(buf);
	}
	return r;
}

/* ---- open files ---- */

int entry_open(uint64_t id, struct entry **out)
{
	struct entry *e;

	pthread_mutex_lock(&tree_lock);
	e = find_id_locked(id);
	if (e)
		e->nopen++;
	pthread_mutex_unlock(&tree_lock);
	*out = e;
	return e ? 0 : -ENOENT;
}

int entry_open_discovered(struct buffer *buf, uid_t owner, struct entry **out)
{
	struct entry *e;

	pthread_mutex_lock(&tree_lock);
	e = add_locked(owner, 0, 0600, ORIGIN_DISCOVERED, NULL);
	if (e) {
		e->buf = buf;
		e->nopen = 1;
		snprintf(e->name, sizeof(e->name), "%s", buf->dmabuf_name);
	}
	pthread_mutex_unlock(&tree_lock);
	if (!e) {
		buffer_unref(buf);
		return -ENOMEM;
	}
	*out = e;
	return 0;
}

int entry_flush(struct entry *e, bool opener)
{
	unsigned int nopen;

	pthread_mutex_lock(&tree_lock);
	nopen = e->nopen;
	pthread_mutex_unlock(&tree_lock);
	/* The opener's close() of the only open file of a staged name
	 * allocates the buffer, so `cp x FILE && dmabufctl info FILE` sees it
	 * made and an allocation failure reaches close(); a child's close of
	 * an inherited fd leaves it to grow (the last RELEASE allocates). */
	return nopen == 1 && opener ? entry_commit_staged(e) : 0;
}

void entry_release(struct entry *e)
{
	bool last, do_free;
	int r;

	/* The last open file keeps its count while it allocates, so that
	 * nothing frees the entry meanwhile and of two concurrent releases
	 * exactly one is the last. */
	pthread_mutex_lock(&tree_lock);
	last = e->nopen == 1;
	if (!last && e->nopen > 0)
		e->nopen--;
	pthread_mutex_unlock(&tree_lock);
	if (!last)
		return;
	r = entry_commit_staged(e);
	if (r < 0)
		log_err("%s: allocating at last close failed: %s; data stays staged", e->name,
			strerror(-r));
	pthread_mutex_lock(&tree_lock);
	e->nopen--;
	do_free = remove_if_unused_locked(e);
	pthread_mutex_unlock(&tree_lock);
	if (do_free)
		entry_free(e);
}

const char *entry_name(const struct entry *e)
{
	return e->name;
}

/* ---- for tree.c, persist.c and entry-attr.c: entries under the tree lock ---- */

int entry_with(struct entry *e, int (*fn)(struct entry *e, void *data), void *data)
{
	int r;

	pthread_mutex_lock(&tree_lock);
	r = fn(e, data);
	pthread_mutex_unlock(&tree_lock);
	return r;
}

int entry_each(bool all, int (*fn)(struct entry *e, void *data), void *data)
{
	int r = 0;

	pthread_mutex_lock(&tree_lock);
	for (struct entry *e = entries; e && !r; e = e->next)
		if (all || e->linked)
			r = fn(e, data);
	pthread_mutex_unlock(&tree_lock);
	return r;
}

int entry_with_name(const char *name, int (*fn)(struct entry *e, void *data), void *data)
{
	struct entry *e;
	int r;

	pthread_mutex_lock(&tree_lock);
	e = find_name_locked(name);
	r = e ? fn(e, data) : -ENOENT;
	pthread_mutex_unlock(&tree_lock);
	return r;
}

int entry_link_buffer(struct buffer *buf, const struct entry_link *l)
{
	struct quota_ref q = { 0 };
	unsigned int stored = 0;
	struct entry *e;
	uint64_t id;
	int r;

	/* A lasting buffer's fd is in the store under its id before the
	 * name exists: an id taken first, so that nothing can unlink and
	 * free the entry between its link and its upload. */
	pthread_mutex_lock(&tree_lock);
	id = next_id++;
	pthread_mutex_unlock(&tree_lock);
	if (!l->conn_id && persist_fd_add_id(id, STORED_BUF, buf->fd))
		stored = STORED_BUF;
	pthread_mutex_lock(&tree_lock);
	r = quota_add(&q, l->uid, buf->size, l->name);
	if (r == 0)
		r = add_linked_id_locked(id, l->name, l->uid, l->gid, l->mode, l->origin, buf->be,
					 &e);
	if (r < 0)
		quota_drop(&q);
	if (r == 0) {
		e->quota = q;
		e->buf = buffer_ref(buf);
		e->conn_id = l->conn_id;
		e->iomem_override = l->iomem_override;
		if (l->iomem_override >= 0)
			buffer_set_iomem(buf, l->iomem_override, cfg->iomem_mode);
		if (l->gid_exact)
			e->gid = l->gid;
		if (l->mtime)
			e->mtime = *l->mtime;
		/* With the name, so no reader sees the file without them. */
		if (l->meta)
			memcpy(e->meta, l->meta, sizeof(e->meta));
		e->stored = stored;
	}
	pthread_mutex_unlock(&tree_lock);
	/* Published or imported: in the record before the reply. */
	if (r == 0 && !l->conn_id)
		persist_changed(true);
	else if (r < 0 && stored)
		persist_fd_remove_id(id, stored);
	return r;
}

static uint64_t staged_size(int fd)
{
	struct stat st;

	return fd >= 0 && fstat(fd, &st) == 0 ? (uint64_t)st.st_size : 0;
}

int entry_restore(struct buffer *buf, const struct entry_link *l)
{
	struct quota_ref q = { 0 };
	struct entry *e = NULL;
	int r;

	pthread_mutex_lock(&tree_lock);
	if (l->id == 0 || find_id_locked(l->id)) {
		r = -EEXIST;
		goto out;
	}
	r = quota_add(&q, l->uid, buf ? buf->size : staged_size(l->staged_fd), l->name);
	if (r < 0)
		goto out;
	if (l->unlinked) {
		e = add_id_locked(l->id, l->uid, l->gid, l->mode, l->origin, l->be);
		if (e)
			snprintf(e->name, sizeof(e->name), "%s", l->name);
		else
			r = -ENOMEM;
	} else {
		r = add_linked_id_locked(l->id, l->name, l->uid, l->gid, l->mode, l->origin, l->be,
					 &e);
	}
	if (r < 0) {
		quota_drop(&q);
		goto out;
	}
	e->quota = q;
	e->gid = l->gid;
	e->iomem_override = l->iomem_override;
	if (l->mtime)
		e->mtime = *l->mtime;
	if (l->meta)
		memcpy(e->meta, l->meta, sizeof(e->meta));
	e->stored = l->stored;
	e->kernel_held = l->kernel_held;
	e->backing_id = l->backing_id;
	if (buf) {
		e->buf = buffer_ref(buf);
		if (l->iomem_override >= 0)
			buffer_set_iomem(buf, l->iomem_override, cfg->iomem_mode);
		/* Passed through again, as before the restart. */
		entry_keep_backing_restored(e);
	} else if (l->staged_fd >= 0) {
		e->staged_fd = l->staged_fd;
	}
out:
	pthread_mutex_unlock(&tree_lock);
	if (r < 0 && !buf && l->staged_fd >= 0)
		close(l->staged_fd);
	return r;
}

int entry_unlink_first(int (*match)(const struct entry *e, const void *arg), const void *arg,
		       char name[256])
{
	struct entry *e;
	bool do_free = false;
	uint64_t ino = 0;
	int r = -ENOENT;

	pthread_mutex_lock(&tree_lock);
	for (e = entries; e; e = e->next) {
		if (!e->linked || (r = match(e, arg)) == 1)
			continue;
		if (r == 0) {
			snprintf(name, 256, "%s", e->name);
			ino = ino_entry(e->id);
			do_free = unlink_locked(e);
		}
		break;
	}
	if (!e)
		r = -ENOENT;
	pthread_mutex_unlock(&tree_lock);
	if (r < 0)
		return r;
	if (do_free)
		entry_free(e);
	else
		persist_changed(true);
	notify_gone(name, ino);
	return 0;
}
