// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The set of buffer files: names, owners, lookup counts, and the state of
 * each buffer (unallocated, staged in a memfd, allocated). The FUSE handlers
 * in ops.c and the control socket both come through here.
 */
#define FUSE_USE_VERSION 35
#include <errno.h>
#include <fcntl.h>
#include <fuse_lowlevel.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backend/backend.h"
#include "buffer.h"
#include "daemon/daemon.h"
#include "fs/tree.h"
#include "shared/log.h"
#include "shared/macro.h"
#include "shared/names.h"
#include "shared/util.h"

pthread_mutex_t tree_lock = PTHREAD_MUTEX_INITIALIZER;

/* All entries, linked or not (protected by tree_lock). A list is plenty for
 * the thousands of buffers a machine has; lookups are by name or id. */
static struct entry *entries;
static uint64_t next_id = 1;

/* Append-only tables behind the synthetic directories, so that their inode
 * numbers stay stable for the daemon's lifetime (protected by tree_lock). */
#define NAME_TABLE_MAX 256
static char *exporters[NAME_TABLE_MAX];
static int n_exporters;
static char *newdirs[NAME_TABLE_MAX];
static int n_newdirs;

void timespec_now(struct timespec *ts)
{
	clock_gettime(CLOCK_REALTIME, ts);
}

int tree_init(void)
{
	return 0;
}

void tree_exit(void)
{
	struct entry *e, *next;

	pthread_mutex_lock(&tree_lock);
	for (e = entries; e; e = next) {
		next = e->next;
		entry_free(e);
	}
	entries = NULL;
	pthread_mutex_unlock(&tree_lock);
}

static int table_index(char **table, int *n, const char *name, bool add)
{
	for (int i = 0; i < *n; i++)
		if (strcmp(table[i], name) == 0)
			return i;
	if (!add || *n >= NAME_TABLE_MAX)
		return -1;
	table[*n] = strdup(name);
	if (!table[*n])
		return -1;
	return (*n)++;
}

int exporter_index(const char *exporter, bool add)
{
	return table_index(exporters, &n_exporters, exporter, add);
}

const char *exporter_name(int index)
{
	return index >= 0 && index < n_exporters ? exporters[index] : NULL;
}

int newdir_index(const char *backend, bool add)
{
	return table_index(newdirs, &n_newdirs, backend, add);
}

const char *newdir_name(int index)
{
	return index >= 0 && index < n_newdirs ? newdirs[index] : NULL;
}

struct entry *tree_find_locked(const char *name)
{
	for (struct entry *e = entries; e; e = e->next)
		if (e->linked && strcmp(e->name, name) == 0)
			return e;
	return NULL;
}

struct entry *tree_find_id_locked(uint64_t id)
{
	for (struct entry *e = entries; e; e = e->next)
		if (e->id == id)
			return e;
	return NULL;
}

struct entry *tree_find_kino_locked(uint64_t kino)
{
	for (struct entry *e = entries; e; e = e->next)
		if (e->linked && e->buf && e->buf->kino == kino)
			return e;
	return NULL;
}

struct entry *tree_next_locked(struct entry *e)
{
	return e ? e->next : entries;
}

int tree_add_locked(const char *name, uid_t uid, gid_t gid, mode_t mode,
		    enum origin origin, struct backend *be, struct entry **out)
{
	struct entry *e;
	int r;

	r = name_validate(name, strlen(name));
	if (r < 0)
		return r;
	if (tree_find_locked(name))
		return -EEXIST;
	e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	e->id = next_id++;
	snprintf(e->name, sizeof(e->name), "%s", name);
	e->linked = true;
	e->uid = uid;
	e->gid = daemon_cfg.group_set ? daemon_cfg.group : gid;
	e->mode = mode & 07777;
	timespec_now(&e->mtime);
	e->atime = e->ctime = e->mtime;
	e->origin = origin;
	e->be = be;
	e->iomem_explicit = -1;
	e->staged_fd = -1;
	pthread_rwlock_init(&e->io, NULL);
	e->next = entries;
	if (entries)
		entries->prev = e;
	entries = e;
	*out = e;
	return 0;
}

static bool entry_unused(struct entry *e)
{
	return !e->linked && e->nlookup == 0 && e->nopen == 0;
}

static void tree_remove_locked(struct entry *e)
{
	if (e->prev)
		e->prev->next = e->next;
	else
		entries = e->next;
	if (e->next)
		e->next->prev = e->prev;
	e->prev = e->next = NULL;
}

bool tree_unlink_locked(struct entry *e)
{
	e->linked = false;
	timespec_now(&e->ctime);
	if (!entry_unused(e))
		return false;
	tree_remove_locked(e);
	return true;
}

bool entry_forget_locked(struct entry *e, uint64_t nlookup)
{
	e->nlookup = nlookup > e->nlookup ? 0 : e->nlookup - nlookup;
	if (!entry_unused(e))
		return false;
	tree_remove_locked(e);
	return true;
}

bool entry_close_locked(struct entry *e)
{
	if (e->nopen > 0)
		e->nopen--;
	if (!entry_unused(e))
		return false;
	tree_remove_locked(e);
	return true;
}

void entry_free(struct entry *e)
{
	if (!e)
		return;
	buffer_unref(e->buf);
	if (e->staged_fd >= 0)
		close(e->staged_fd);
	pthread_rwlock_destroy(&e->io);
	free(e);
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

bool entry_may_access(const struct entry *e, uid_t uid, gid_t gid, int mask)
{
	mode_t m = e->mode;

	if (uid == 0)
		return true;
	if (uid == e->uid)
		m >>= 6;
	else if (gid == e->gid)
		m >>= 3;
	return (m & mask & 7) == (mode_t)(mask & 7);
}

/* ---- allocation ---- */

static int make_buffer(struct entry *e, uint64_t size, int staged_fd, uint64_t staged_len,
		       struct buffer **out)
{
	struct backend *be = e->be;
	bool adopted = false;
	int fd = -1, r;

	if (!be || backend_is_gone(be)) {
		log_err("%s: cannot allocate: backend %s is gone", e->name,
			be ? be->name : "(none)");
		return -ENODEV;
	}
	/* udmabuf (and the memfd backend) turn the staged memfd itself into
	 * the buffer: the data written so far is never copied. */
	if (staged_fd >= 0 && be->ops->adopt_memfd) {
		if (ftruncate(staged_fd, (off_t)size) < 0)
			return -errno;
		r = be->ops->adopt_memfd(be, staged_fd, size, &fd);
		if (r == 0)
			adopted = true;
		else
			log_info("%s: %s could not adopt the staged memfd (%s), copying",
				 e->name, be->name, strerror(-r));
	}
	if (!adopted) {
		r = be->ops->alloc(be, size, &fd);
		if (r < 0) {
			log_err("%s: allocating %llu bytes from %s failed: %s", e->name,
				(unsigned long long)size, be->name, strerror(-r));
			return r;
		}
	}
	r = buffer_new(fd, be, daemon_cfg.iomem_mode, out);
	if (r < 0) {
		log_err("%s: cannot map the new %s buffer: %s", e->name, be->name, strerror(-r));
		return r;
	}
	if (e->iomem_explicit >= 0)
		buffer_set_iomem(*out, e->iomem_explicit, daemon_cfg.iomem_mode);
	if (!adopted && staged_fd >= 0 && staged_len > 0) {
		r = buffer_fill_from_fd(*out, staged_fd, staged_len,
					daemon_cfg.fence_timeout_ms);
		if (r < 0) {
			log_err("%s: copying staged data into the buffer failed: %s", e->name,
				strerror(-r));
			buffer_unref(*out);
			*out = NULL;
			return r;
		}
	}
	buffer_set_dmabuf_name(*out, e->name);
	log_info("%s: allocated %llu bytes from %s (%s, iomem=%d)", e->name,
		 (unsigned long long)(*out)->size, be->name, (*out)->exporter, (*out)->iomem);
	return 0;
}

int entry_allocate(struct entry *e, uint64_t size)
{
	struct buffer *buf = NULL;
	uint64_t staged_len = 0;
	struct stat st;
	int r = 0;

	pthread_rwlock_wrlock(&e->io);
	if (e->buf) {
		r = size == e->buf->size ? 0 : -EPERM;
		if (r < 0)
			log_info("%s: refusing to resize an allocated buffer (%llu -> %llu)",
				 e->name, (unsigned long long)e->buf->size,
				 (unsigned long long)size);
		goto out;
	}
	if (size == 0) {
		/* Emptying a staged file keeps it staged. */
		if (e->staged_fd >= 0 && ftruncate(e->staged_fd, 0) < 0)
			r = -errno;
		goto out;
	}
	size = ALIGN_UP(size, (uint64_t)page_size());
	if (e->staged_fd >= 0 && fstat(e->staged_fd, &st) == 0)
		staged_len = MIN((uint64_t)st.st_size, size);
	r = make_buffer(e, size, e->staged_fd, staged_len, &buf);
	if (r < 0)
		goto out;
	pthread_mutex_lock(&tree_lock);
	e->buf = buf;
	if (e->staged_fd >= 0) {
		close(e->staged_fd);
		e->staged_fd = -1;
	}
	timespec_now(&e->ctime);
	pthread_mutex_unlock(&tree_lock);
out:
	pthread_rwlock_unlock(&e->io);
	return r;
}

int entry_commit_staged(struct entry *e)
{
	struct stat st;
	int fd;

	pthread_rwlock_rdlock(&e->io);
	fd = e->buf ? -1 : e->staged_fd;
	if (fd >= 0 && fstat(fd, &st) < 0)
		st.st_size = 0;
	pthread_rwlock_unlock(&e->io);
	if (fd < 0 || st.st_size == 0)
		return 0;
	/* A concurrent allocation between the two locks makes this a
	 * same-size or resize request: entry_allocate sorts it out. */
	return entry_allocate(e, (uint64_t)st.st_size);
}

/* ---- control socket side ---- */

int tree_publish(struct buffer *buf, const char *name, uid_t uid, gid_t gid,
		 int explicit_iomem, uint64_t conn_id, enum origin origin)
{
	struct entry *e;
	int r;

	pthread_mutex_lock(&tree_lock);
	r = tree_add_locked(name, uid, gid, 0666 & ~daemon_cfg.umask, origin, buf->be, &e);
	if (r == 0) {
		e->buf = buffer_ref(buf);
		e->conn_id = conn_id;
		e->iomem_explicit = explicit_iomem;
		if (explicit_iomem >= 0)
			buffer_set_iomem(buf, explicit_iomem, daemon_cfg.iomem_mode);
	}
	pthread_mutex_unlock(&tree_lock);
	return r;
}

static void notify_removed(char *name, uint64_t ino)
{
	tree_notify_gone(name, ino);
}

int tree_unpublish(const char *name, uid_t uid)
{
	struct entry *e;
	bool do_free;
	uint64_t ino;
	char copy[256];

	pthread_mutex_lock(&tree_lock);
	e = tree_find_locked(name);
	if (!e) {
		pthread_mutex_unlock(&tree_lock);
		return -ENOENT;
	}
	if (uid != 0 && uid != e->uid) {
		pthread_mutex_unlock(&tree_lock);
		return -EPERM;
	}
	ino = ino_make(NODE_ENTRY, e->id);
	snprintf(copy, sizeof(copy), "%s", e->name);
	do_free = tree_unlink_locked(e);
	pthread_mutex_unlock(&tree_lock);
	if (do_free)
		entry_free(e);
	notify_removed(copy, ino);
	return 0;
}

int tree_export(const char *name, uid_t uid, gid_t gid, int *out_fd)
{
	struct entry *e;
	int fd = -1, r = 0;

	pthread_mutex_lock(&tree_lock);
	e = tree_find_locked(name);
	if (!e)
		r = -ENOENT;
	else if (!entry_may_access(e, uid, gid, 4))
		r = -EACCES;
	else if (!e->buf)
		r = -ENODATA; /* not allocated yet: nothing to hand out */
	else if (buffer_is_dead(e->buf))
		r = -ENODEV;
	else if ((fd = fcntl(e->buf->fd, F_DUPFD_CLOEXEC, 3)) < 0)
		r = -errno;
	pthread_mutex_unlock(&tree_lock);
	if (r == 0)
		*out_fd = fd;
	return r;
}

void tree_drop_conn(uint64_t conn_id)
{
	struct entry *e, *next;

	for (;;) {
		char name[256];
		uint64_t ino = 0;
		bool do_free = false, found = false;

		pthread_mutex_lock(&tree_lock);
		for (e = entries; e; e = next) {
			next = e->next;
			if (e->linked && e->conn_id == conn_id) {
				found = true;
				snprintf(name, sizeof(name), "%s", e->name);
				ino = ino_make(NODE_ENTRY, e->id);
				do_free = tree_unlink_locked(e);
				break;
			}
		}
		pthread_mutex_unlock(&tree_lock);
		if (!found)
			return;
		log_info("%s: transient buffer removed, its publisher went away", name);
		if (do_free)
			entry_free(e);
		notify_removed(name, ino);
	}
}

void tree_backend_gone(struct backend *be, void *data)
{
	pthread_mutex_lock(&tree_lock);
	for (struct entry *e = entries; e; e = e->next)
		if (e->buf && e->buf->be == be)
			buffer_mark_dead(e->buf);
	pthread_mutex_unlock(&tree_lock);
	log_warn("backend %s: device %s is gone; its buffers now fail with ENODEV",
		 be->name, be->devnode);
}

void tree_notify_gone(const char *name, uint64_t ino)
{
	struct fuse_session *se = daemon_cfg.se;

	if (!se)
		return;
	/* Best effort: the kernel may not have the name cached at all. */
	fuse_lowlevel_notify_delete(se, INO_ROOT, ino, name, strlen(name));
}
