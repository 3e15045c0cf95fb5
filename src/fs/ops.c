// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The FUSE low-level handlers, after libfuse's example/passthrough_ll.c:
 * one const struct fuse_lowlevel_ops, each handler replies exactly once, and
 * no lock is held across a fuse_reply_*() call (the kernel may send another
 * request into this daemon before the reply returns).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include <linux/dma-buf.h>
#include <linux/fs.h>

#include "backend/backend.h"
#include "buffer.h"
#include "daemon/daemon.h"
#include "fs/ops.h"
#include "fs/tree.h"
#include "shared/log.h"
#include "shared/macro.h"
#include "shared/names.h"
#include "shared/util.h"

/* Names may change behind the kernel's back (control socket), and the
 * daemon tells it (notify_delete), so a short entry cache is safe. Sizes of
 * staged files change with every write: never cache their attributes. */
#define ENTRY_TIMEOUT 1.0
#define ATTR_TIMEOUT_FIXED 1.0

#define ROOT_MODE (S_IFDIR | 01777) /* like /tmp: anyone may create, owners delete */
#define DIR_MODE (S_IFDIR | 0755)
#define NEWDIR_MODE (S_IFDIR | 01777)
#define LINK_MODE (S_IFLNK | 0777)

/*
 * Page-cache reads of a FUSE file arrive as requests of the mount's
 * readahead size, 128 KiB by default whatever the reader asks for; 1 MiB
 * requests read a buffer file several times faster. The knob is the
 * mount's bdi (0:MINOR from /proc/self/mountinfo). The INIT reply lowers
 * it to the readahead the kernel offered, so it is raised once, by the
 * first request after INIT (and never by touching the mount itself).
 */
static void set_read_ahead(void)
{
	const char *mp = daemon_cfg.mountpoint;
	int kb = daemon_cfg.read_ahead_kb;
	_cleanup_fclose_ FILE *f = NULL;
	char line[4096], dev[32] = "", path[128];
	FILE *ra;

	if (kb < 0)
		return;
	f = fopen("/proc/self/mountinfo", "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char d[32], target[PATH_MAX], *sep = strstr(line, " - ");

		if (sscanf(line, "%*d %*d %31s %*s %4095s", d, target) != 2 || !sep)
			continue;
		if (strcmp(target, mp) == 0 && strncmp(sep, " - fuse.dmabuffs ", 17) == 0)
			snprintf(dev, sizeof(dev), "%s", d); /* the last one is ours */
	}
	if (!dev[0])
		return;
	snprintf(path, sizeof(path), "/sys/class/bdi/%s/read_ahead_kb", dev);
	ra = fopen(path, "we");
	if (!ra || fprintf(ra, "%d\n", kb) < 0 || fclose(ra) != 0) {
		log_info("cannot set %s to %d: %m", path, kb);
		return;
	}
	log_debug("%s: read_ahead_kb %d", path, kb);
}

static pthread_once_t read_ahead_once = PTHREAD_ONCE_INIT;

static inline void after_init(void)
{
	pthread_once(&read_ahead_once, set_read_ahead);
}

/* ---- attributes ---- */

/* Synthetic directories and links carry the mount's time, not 1970. */
static struct timespec mount_time;

static void stat_synthetic(struct stat *st, fuse_ino_t ino, mode_t mode)
{
	memset(st, 0, sizeof(*st));
	st->st_ino = ino;
	st->st_mode = mode;
	st->st_atim = st->st_mtim = st->st_ctim = mount_time;
}

static void stat_dir(struct stat *st, fuse_ino_t ino, mode_t mode)
{
	stat_synthetic(st, ino, mode);
	st->st_nlink = 2;
	st->st_blksize = 4096;
}

static void stat_link(struct stat *st, fuse_ino_t ino, size_t target_len)
{
	stat_synthetic(st, ino, LINK_MODE);
	st->st_nlink = 1;
	st->st_size = (off_t)target_len;
}

/* tree_lock held */
static void stat_entry_locked(struct entry *e, struct stat *st)
{
	uint64_t size = entry_size(e);

	memset(st, 0, sizeof(*st));
	st->st_ino = ino_make(NODE_ENTRY, e->id);
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
}

static double entry_attr_timeout(struct entry *e)
{
	return e->buf ? ATTR_TIMEOUT_FIXED : 0.0;
}

/* Find the id-named synthetic link targets; tree_lock held. */
static int link_target_locked(fuse_ino_t ino, char *buf, size_t bufsz)
{
	struct entry *e = tree_find_id_locked(ino_id(ino));

	if (!e || !e->linked || !e->buf)
		return -ENOENT;
	if (ino_kind(ino) == NODE_INO_LINK)
		snprintf(buf, bufsz, "../%s", e->name);
	else
		snprintf(buf, bufsz, "../../%s", e->name);
	return 0;
}

static void proc_fd_split(uint64_t id, pid_t *pid, int *fd)
{
	*pid = (pid_t)(id >> 24);
	*fd = (int)(id & 0xffffff);
}

static int stat_proc_fd(fuse_ino_t ino, struct stat *st)
{
	struct dmabuf_fdinfo info;
	uid_t owner;
	pid_t pid;
	int fd, r;

	proc_fd_split(ino_id(ino), &pid, &fd);
	r = discover_stat(pid, fd, &info, &owner);
	if (r < 0)
		return r;
	memset(st, 0, sizeof(*st));
	st->st_ino = ino;
	st->st_mode = S_IFREG | 0600;
	st->st_nlink = 1;
	st->st_uid = owner;
	st->st_size = (off_t)info.size;
	st->st_blocks = (blkcnt_t)((info.size + 511) / 512);
	st->st_blksize = 4096;
	return 0;
}

/* Attributes of any inode. 0 or -errno; *timeout gets the attr timeout. */
static int do_getattr(fuse_ino_t ino, struct stat *st, double *timeout)
{
	char target[300];
	struct entry *e;
	int r = 0;

	*timeout = ATTR_TIMEOUT_FIXED;
	switch (ino_kind(ino)) {
	case NODE_FIXED:
		switch (ino) {
		case INO_ROOT:
			stat_dir(st, ino, ROOT_MODE);
			return 0;
		case INO_BY_INODE:
		case INO_BY_EXPORTER:
		case INO_NEW:
			stat_dir(st, ino, DIR_MODE);
			return 0;
		case INO_PROC:
			if (!daemon_cfg.discover)
				return -ENOENT;
			stat_dir(st, ino, DIR_MODE | 0555);
			return 0;
		}
		return -ENOENT;
	case NODE_ENTRY:
		pthread_mutex_lock(&tree_lock);
		e = tree_find_id_locked(ino_id(ino));
		if (e) {
			stat_entry_locked(e, st);
			*timeout = entry_attr_timeout(e);
		} else {
			r = -ENOENT;
		}
		pthread_mutex_unlock(&tree_lock);
		return r;
	case NODE_INO_LINK:
	case NODE_EXP_LINK:
		pthread_mutex_lock(&tree_lock);
		r = link_target_locked(ino, target, sizeof(target));
		pthread_mutex_unlock(&tree_lock);
		if (r == 0)
			stat_link(st, ino, strlen(target));
		return r;
	case NODE_EXP_DIR:
		pthread_mutex_lock(&tree_lock);
		r = exporter_name((int)ino_id(ino)) ? 0 : -ENOENT;
		pthread_mutex_unlock(&tree_lock);
		if (r == 0)
			stat_dir(st, ino, DIR_MODE);
		return r;
	case NODE_NEW_DIR:
		pthread_mutex_lock(&tree_lock);
		r = newdir_name((int)ino_id(ino)) ? 0 : -ENOENT;
		pthread_mutex_unlock(&tree_lock);
		if (r == 0)
			stat_dir(st, ino, NEWDIR_MODE);
		return r;
	case NODE_PROC_PID:
		if (!daemon_cfg.discover)
			return -ENOENT;
		stat_dir(st, ino, DIR_MODE | 0555);
		*timeout = 0;
		return 0;
	case NODE_PROC_FD:
		*timeout = 0;
		return stat_proc_fd(ino, st);
	}
	return -ENOENT;
}

/* Whether a linked, allocated buffer has this exporter; tree_lock held. */
static bool exporter_in_use_locked(const char *exp)
{
	for (struct entry *e = tree_next_locked(NULL); e; e = tree_next_locked(e))
		if (e->linked && e->buf && strcmp(e->buf->exporter, exp) == 0)
			return true;
	return false;
}

/* ---- lookup ---- */

static void reply_entry_of(fuse_req_t req, struct entry *e)
{
	struct fuse_entry_param ep = { 0 };

	/* tree_lock held by the caller when e was found; nlookup counted. */
	stat_entry_locked(e, &ep.attr);
	ep.ino = ep.attr.st_ino;
	ep.attr_timeout = entry_attr_timeout(e);
	ep.entry_timeout = ENTRY_TIMEOUT;
	pthread_mutex_unlock(&tree_lock);
	fuse_reply_entry(req, &ep);
}

/* Look up a buffer file by name and count the kernel's new reference. */
static void lookup_entry(fuse_req_t req, const char *name)
{
	struct entry *e;

	pthread_mutex_lock(&tree_lock);
	e = tree_find_locked(name);
	if (!e) {
		pthread_mutex_unlock(&tree_lock);
		fuse_reply_err(req, ENOENT);
		return;
	}
	e->nlookup++;
	reply_entry_of(req, e); /* unlocks */
}

static void reply_synthetic(fuse_req_t req, fuse_ino_t ino)
{
	struct fuse_entry_param ep = { 0 };
	int r;

	r = do_getattr(ino, &ep.attr, &ep.attr_timeout);
	if (r < 0) {
		fuse_reply_err(req, -r);
		return;
	}
	ep.ino = ino;
	ep.entry_timeout = ino_kind(ino) >= NODE_PROC_PID ? 0 : ENTRY_TIMEOUT;
	fuse_reply_entry(req, &ep);
}

static int parse_id(const char *s, uint64_t *out)
{
	if (!*s || *s == '0' || *s == '+' || *s == '-')
		return -ENOENT;
	return parse_u64(s, 10, out) < 0 ? -ENOENT : 0;
}

static void fs_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	uint64_t id, kino;
	struct entry *e;
	fuse_ino_t ino = 0;
	int r, idx;

	after_init();
	r = name_validate(name, strlen(name));
	if (r == -ENAMETOOLONG) {
		fuse_reply_err(req, ENAMETOOLONG);
		return;
	}
	switch (ino_kind(parent) == NODE_FIXED ? (int)parent : -(int)ino_kind(parent)) {
	case INO_ROOT:
		if (strcmp(name, "by-inode") == 0)
			ino = INO_BY_INODE;
		else if (strcmp(name, "by-exporter") == 0)
			ino = INO_BY_EXPORTER;
		else if (strcmp(name, "new") == 0)
			ino = INO_NEW;
		else if (strcmp(name, "proc") == 0 && daemon_cfg.discover)
			ino = INO_PROC;
		if (ino)
			break;
		lookup_entry(req, name);
		return;
	case -NODE_NEW_DIR:
		/* new/BACKEND/NAME is NAME once it exists. */
		lookup_entry(req, name);
		return;
	case INO_BY_INODE:
		if (parse_id(name, &kino) < 0)
			break;
		pthread_mutex_lock(&tree_lock);
		e = tree_find_kino_locked(kino);
		if (e)
			ino = ino_make(NODE_INO_LINK, e->id);
		pthread_mutex_unlock(&tree_lock);
		break;
	case INO_BY_EXPORTER:
		pthread_mutex_lock(&tree_lock);
		idx = exporter_in_use_locked(name) ? exporter_index(name, true) : -1;
		pthread_mutex_unlock(&tree_lock);
		if (idx >= 0)
			ino = ino_make(NODE_EXP_DIR, (uint64_t)idx);
		break;
	case -NODE_EXP_DIR:
		pthread_mutex_lock(&tree_lock);
		e = tree_find_locked(name);
		if (e && e->buf && exporter_name((int)ino_id(parent)) &&
		    strcmp(e->buf->exporter, exporter_name((int)ino_id(parent))) == 0)
			ino = ino_make(NODE_EXP_LINK, e->id);
		pthread_mutex_unlock(&tree_lock);
		break;
	case INO_NEW:
		if (!registry_find(name))
			break;
		pthread_mutex_lock(&tree_lock);
		idx = newdir_index(name, true);
		pthread_mutex_unlock(&tree_lock);
		if (idx >= 0)
			ino = ino_make(NODE_NEW_DIR, (uint64_t)idx);
		break;
	case INO_PROC:
		if (parse_id(name, &id) == 0 && id < (1u << 22))
			ino = ino_make(NODE_PROC_PID, id);
		break;
	case -NODE_PROC_PID:
		if (parse_id(name, &id) == 0 && id < (1u << 24))
			ino = ino_make(NODE_PROC_FD, ino_id(parent) << 24 | id);
		else if (strcmp(name, "0") == 0)
			ino = ino_make(NODE_PROC_FD, ino_id(parent) << 24);
		break;
	default:
		fuse_reply_err(req, ino_kind(parent) == NODE_ENTRY ? ENOTDIR : ENOENT);
		return;
	}
	if (!ino) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	reply_synthetic(req, ino);
}

static void fs_forget_one(fuse_ino_t ino, uint64_t nlookup)
{
	struct entry *e;
	bool do_free = false;

	/* Only entries are counted; synthetic inodes are derived on demand. */
	if (ino_kind(ino) != NODE_ENTRY)
		return;
	pthread_mutex_lock(&tree_lock);
	e = tree_find_id_locked(ino_id(ino));
	if (e)
		do_free = entry_forget_locked(e, nlookup);
	pthread_mutex_unlock(&tree_lock);
	if (do_free)
		entry_free(e);
}

static void fs_forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup)
{
	fs_forget_one(ino, nlookup);
	fuse_reply_none(req);
}

static void fs_forget_multi(fuse_req_t req, size_t count, struct fuse_forget_data *forgets)
{
	for (size_t i = 0; i < count; i++)
		fs_forget_one(forgets[i].ino, forgets[i].nlookup);
	fuse_reply_none(req);
}

static void fs_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct stat st;
	double timeout;
	int r;

	after_init();
	r = do_getattr(ino, &st, &timeout);
	if (r < 0)
		fuse_reply_err(req, -r);
	else
		fuse_reply_attr(req, &st, timeout);
}

/* Take a reference on a live entry by inode; NULL if it is not an entry. */
static struct entry *entry_get(fuse_ino_t ino)
{
	struct entry *e = NULL;

	if (ino_kind(ino) != NODE_ENTRY)
		return NULL;
	pthread_mutex_lock(&tree_lock);
	e = tree_find_id_locked(ino_id(ino));
	pthread_mutex_unlock(&tree_lock);
	/* Entries with kernel lookups outstanding cannot be freed under us. */
	return e;
}

static void set_time(struct timespec *ts, const struct timespec *value, bool now)
{
	if (now)
		timespec_now(ts);
	else
		*ts = *value;
}

static void fs_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr, int to_set,
		       struct fuse_file_info *fi)
{
	struct entry *e = entry_get(ino);
	struct stat st;
	double timeout;
	int r;

	if (!e) {
		/* Synthetic nodes and discovered buffers have fixed attributes. */
		fuse_reply_err(req, ino_kind(ino) == NODE_FIXED || ino_kind(ino) == NODE_PROC_FD
					    ? EPERM : ENOENT);
		return;
	}
	if (to_set & FUSE_SET_ATTR_SIZE) {
		r = entry_allocate(e, (uint64_t)attr->st_size);
		if (r < 0) {
			fuse_reply_err(req, -r);
			return;
		}
	}
	pthread_mutex_lock(&tree_lock);
	if (to_set & FUSE_SET_ATTR_MODE)
		e->mode = attr->st_mode & 07777;
	if (to_set & FUSE_SET_ATTR_UID)
		e->uid = attr->st_uid;
	if (to_set & FUSE_SET_ATTR_GID)
		e->gid = attr->st_gid;
	if (to_set & (FUSE_SET_ATTR_ATIME | FUSE_SET_ATTR_ATIME_NOW))
		set_time(&e->atime, &attr->st_atim, to_set & FUSE_SET_ATTR_ATIME_NOW);
	if (to_set & (FUSE_SET_ATTR_MTIME | FUSE_SET_ATTR_MTIME_NOW))
		set_time(&e->mtime, &attr->st_mtim, to_set & FUSE_SET_ATTR_MTIME_NOW);
	if (to_set & ~(FUSE_SET_ATTR_ATIME | FUSE_SET_ATTR_MTIME))
		timespec_now(&e->ctime);
	pthread_mutex_unlock(&tree_lock);

	r = do_getattr(ino, &st, &timeout);
	if (r < 0)
		fuse_reply_err(req, -r);
	else
		fuse_reply_attr(req, &st, timeout);
}

static void fs_readlink(fuse_req_t req, fuse_ino_t ino)
{
	char target[300];
	int r = -EINVAL;

	if (ino_kind(ino) == NODE_INO_LINK || ino_kind(ino) == NODE_EXP_LINK) {
		pthread_mutex_lock(&tree_lock);
		r = link_target_locked(ino, target, sizeof(target));
		pthread_mutex_unlock(&tree_lock);
	}
	if (r < 0)
		fuse_reply_err(req, -r);
	else
		fuse_reply_readlink(req, target);
}

/* ---- what the tree refuses ---- */

static void fs_mknod(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode,
		     dev_t rdev)
{
	log_info("mknod %s: refused, buffer files are made with open(O_CREAT)", name);
	fuse_reply_err(req, EPERM);
}

static void fs_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode)
{
	log_info("mkdir %s: refused, the tree's directories are fixed", name);
	fuse_reply_err(req, EPERM);
}

static void fs_rmdir(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	log_info("rmdir %s: refused, the tree's directories are fixed", name);
	fuse_reply_err(req, EPERM);
}

static void fs_symlink(fuse_req_t req, const char *link, fuse_ino_t parent, const char *name)
{
	log_info("symlink %s: refused", name);
	fuse_reply_err(req, EPERM);
}

static void fs_link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t newparent, const char *newname)
{
	log_info("link %s: refused, a buffer has exactly one name", newname);
	fuse_reply_err(req, EPERM);
}

/* ---- names ---- */

static void fs_unlink(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct entry *e;
	bool do_free = false;
	int r = 0;

	if (parent != INO_ROOT) {
		fuse_reply_err(req, ino_kind(parent) == NODE_NEW_DIR ? ENOENT : EPERM);
		return;
	}
	pthread_mutex_lock(&tree_lock);
	e = tree_find_locked(name);
	if (!e)
		r = -ENOENT;
	else
		do_free = tree_unlink_locked(e);
	pthread_mutex_unlock(&tree_lock);
	if (do_free)
		entry_free(e);
	if (r == 0)
		log_info("%s: unlinked", name);
	fuse_reply_err(req, -r);
}

static void fs_rename(fuse_req_t req, fuse_ino_t parent, const char *name,
		      fuse_ino_t newparent, const char *newname, unsigned int flags)
{
	struct entry *e, *victim = NULL;
	struct buffer *buf = NULL;
	bool free_victim = false;
	int r;

	if (parent != INO_ROOT || newparent != INO_ROOT) {
		fuse_reply_err(req, EPERM);
		return;
	}
	if (flags & RENAME_EXCHANGE) {
		fuse_reply_err(req, EINVAL);
		return;
	}
	r = name_validate(newname, strlen(newname));
	if (r < 0) {
		fuse_reply_err(req, -r);
		return;
	}
	pthread_mutex_lock(&tree_lock);
	e = tree_find_locked(name);
	if (!e) {
		r = -ENOENT;
	} else if (strcmp(name, newname) != 0) {
		victim = tree_find_locked(newname);
		if (victim && (flags & RENAME_NOREPLACE)) {
			r = -EEXIST;
		} else {
			if (victim)
				free_victim = tree_unlink_locked(victim);
			snprintf(e->name, sizeof(e->name), "%s", newname);
			timespec_now(&e->ctime);
			if (e->buf)
				buf = buffer_ref(e->buf);
		}
	}
	pthread_mutex_unlock(&tree_lock);
	if (free_victim)
		entry_free(victim);
	if (buf) {
		/* The dma-buf's own name follows the file (fdinfo, debugfs). */
		buffer_set_dmabuf_name(buf, newname);
		buffer_unref(buf);
	}
	if (r == 0)
		log_info("%s: renamed to %s", name, newname);
	fuse_reply_err(req, -r);
}

/* ---- directories ---- */

struct dir_item {
	char *name;
	fuse_ino_t ino;
	mode_t type;
};

struct dir_snapshot {
	struct dir_item *items;
	size_t n, cap;
};

static int dir_add(struct dir_snapshot *d, const char *name, fuse_ino_t ino, mode_t type)
{
	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 16;
		struct dir_item *v = realloc(d->items, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		d->items = v;
		d->cap = cap;
	}
	d->items[d->n].name = strdup(name);
	if (!d->items[d->n].name)
		return -ENOMEM;
	d->items[d->n].ino = ino;
	d->items[d->n].type = type;
	d->n++;
	return 0;
}

static void dir_free(struct dir_snapshot *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->n; i++)
		free(d->items[i].name);
	free(d->items);
	free(d);
}

static bool seen_kino(struct entry *upto, uint64_t kino)
{
	for (struct entry *o = tree_next_locked(NULL); o && o != upto; o = tree_next_locked(o))
		if (o->linked && o->buf && o->buf->kino == kino)
			return true;
	return false;
}

/* Fill a snapshot of a directory; tree_lock held. */
static int dir_fill_locked(struct dir_snapshot *d, fuse_ino_t ino)
{
	const char *exp;
	char num[32];
	int r = 0;

	switch (ino_kind(ino) == NODE_FIXED ? (int)ino : -(int)ino_kind(ino)) {
	case INO_ROOT:
		r = dir_add(d, "by-inode", INO_BY_INODE, S_IFDIR);
		r = r ?: dir_add(d, "by-exporter", INO_BY_EXPORTER, S_IFDIR);
		r = r ?: dir_add(d, "new", INO_NEW, S_IFDIR);
		if (daemon_cfg.discover)
			r = r ?: dir_add(d, "proc", INO_PROC, S_IFDIR);
		for (struct entry *e = tree_next_locked(NULL); e && !r; e = tree_next_locked(e))
			if (e->linked)
				r = dir_add(d, e->name, ino_make(NODE_ENTRY, e->id), S_IFREG);
		return r;
	case INO_BY_INODE:
		for (struct entry *e = tree_next_locked(NULL); e && !r; e = tree_next_locked(e)) {
			if (!e->linked || !e->buf || seen_kino(e, e->buf->kino))
				continue;
			snprintf(num, sizeof(num), "%llu", (unsigned long long)e->buf->kino);
			r = dir_add(d, num, ino_make(NODE_INO_LINK, e->id), S_IFLNK);
		}
		return r;
	case INO_BY_EXPORTER:
		for (struct entry *e = tree_next_locked(NULL); e; e = tree_next_locked(e))
			if (e->linked && e->buf)
				exporter_index(e->buf->exporter, true);
		for (int i = 0; (exp = exporter_name(i)) && !r; i++)
			if (exporter_in_use_locked(exp))
				r = dir_add(d, exp, ino_make(NODE_EXP_DIR, (uint64_t)i), S_IFDIR);
		return r;
	case -NODE_EXP_DIR:
		exp = exporter_name((int)ino_id(ino));
		if (!exp)
			return -ENOENT;
		for (struct entry *e = tree_next_locked(NULL); e && !r; e = tree_next_locked(e))
			if (e->linked && e->buf && strcmp(e->buf->exporter, exp) == 0)
				r = dir_add(d, e->name, ino_make(NODE_EXP_LINK, e->id), S_IFLNK);
		return r;
	case INO_NEW: {
		char names[32][64];
		int n = registry_list(names, 32);

		for (int i = 0; i < n && !r; i++) {
			int idx = newdir_index(names[i], true);

			if (idx >= 0)
				r = dir_add(d, names[i], ino_make(NODE_NEW_DIR, (uint64_t)idx),
					    S_IFDIR);
		}
		return r;
	}
	case -NODE_NEW_DIR:
		return newdir_name((int)ino_id(ino)) ? 0 : -ENOENT;
	case INO_PROC:
	case -NODE_PROC_PID:
		return 0; /* filled outside the lock: it reads /proc */
	}
	return -ENOTDIR;
}

static int dir_fill_proc(struct dir_snapshot *d, fuse_ino_t ino)
{
	char num[32];
	int r = 0;

	if (ino == INO_PROC) {
		_cleanup_free_ pid_t *pids = NULL;
		size_t n = 0;

		r = discover_pids(&pids, &n);
		for (size_t i = 0; i < n && r >= 0; i++) {
			snprintf(num, sizeof(num), "%d", (int)pids[i]);
			r = dir_add(d, num, ino_make(NODE_PROC_PID, (uint64_t)pids[i]), S_IFDIR);
		}
	} else if (ino_kind(ino) == NODE_PROC_PID) {
		_cleanup_free_ int *fds = NULL;
		size_t n = 0;
		pid_t pid = (pid_t)ino_id(ino);

		r = discover_fds(pid, &fds, &n);
		for (size_t i = 0; i < n && r >= 0; i++) {
			snprintf(num, sizeof(num), "%d", fds[i]);
			r = dir_add(d, num,
				    ino_make(NODE_PROC_FD, (uint64_t)pid << 24 | (uint64_t)fds[i]),
				    S_IFREG);
		}
	}
	return r < 0 ? r : 0;
}

static void fs_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct dir_snapshot *d = calloc(1, sizeof(*d));
	int r;

	if (!d) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	/* A snapshot at opendir: readdir offsets stay valid however the tree
	 * changes meanwhile, as getdents callers expect. */
	r = dir_add(d, ".", ino, S_IFDIR);
	r = r ?: dir_add(d, "..", INO_ROOT, S_IFDIR);
	if (!r) {
		pthread_mutex_lock(&tree_lock);
		r = dir_fill_locked(d, ino);
		pthread_mutex_unlock(&tree_lock);
	}
	if (!r)
		r = dir_fill_proc(d, ino);
	if (r < 0) {
		dir_free(d);
		fuse_reply_err(req, -r);
		return;
	}
	fi->fh = (uintptr_t)d;
	fi->cache_readdir = 0;
	if (fuse_reply_open(req, fi) == -ENOENT)
		dir_free(d);
}

static void fs_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		       struct fuse_file_info *fi)
{
	struct dir_snapshot *d = (struct dir_snapshot *)(uintptr_t)fi->fh;
	_cleanup_free_ char *buf = calloc(1, size);
	size_t used = 0;

	if (!buf) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	for (size_t i = (size_t)off; i < d->n; i++) {
		struct stat st = { .st_ino = d->items[i].ino, .st_mode = d->items[i].type };
		size_t n = fuse_add_direntry(req, buf + used, size - used, d->items[i].name, &st,
					     (off_t)(i + 1));

		if (n > size - used)
			break;
		used += n;
	}
	fuse_reply_buf(req, buf, used);
}

static void fs_releasedir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	dir_free((struct dir_snapshot *)(uintptr_t)fi->fh);
	fuse_reply_err(req, 0);
}

/* ---- files ---- */

static struct handle *handle_new(struct entry *e, struct buffer *buf)
{
	struct handle *h = calloc(1, sizeof(*h));

	if (!h)
		return NULL;
	h->e = e;
	h->buf = buf;
	return h;
}

static void open_reply(fuse_req_t req, struct fuse_file_info *fi, struct handle *h, bool created,
		       const struct fuse_entry_param *ep)
{
	fi->fh = (uintptr_t)h;
	/* Page-cache I/O by default, so that MAP_SHARED works with libfuse
	 * 3.14 (it cannot ask for FUSE_DIRECT_IO_ALLOW_MMAP). Direct I/O, one
	 * request per read()/write() straight into the buffer and no page
	 * cache copy in between, where it costs nothing: opens that ask for
	 * it (O_DIRECT), and write-only opens (dd of=, cp, `cat >`), which
	 * can never be mapped since mmap needs read access. No keep_cache:
	 * every open sees the buffer's current contents. */
	fi->keep_cache = 0;
	fi->direct_io = (fi->flags & O_DIRECT) || (fi->flags & O_ACCMODE) == O_WRONLY;
	if (created)
		fuse_reply_create(req, ep, fi);
	else
		fuse_reply_open(req, fi);
}

static int entry_truncate_staged(struct entry *e)
{
	int r = 0;

	pthread_rwlock_wrlock(&e->io);
	if (!e->buf && e->staged_fd >= 0 && ftruncate(e->staged_fd, 0) < 0)
		r = -errno;
	pthread_rwlock_unlock(&e->io);
	return r;
}

static void fs_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct buffer *buf = NULL;
	struct handle *h;
	struct entry *e;
	int r;

	after_init();
	if (ino_kind(ino) == NODE_PROC_FD) {
		const struct fuse_ctx *ctx = fuse_req_ctx(req);
		pid_t pid;
		int fd;

		proc_fd_split(ino_id(ino), &pid, &fd);
		r = discover_open(pid, fd, ctx->uid, &buf);
		if (r < 0) {
			fuse_reply_err(req, -r);
			return;
		}
		h = handle_new(NULL, buf);
		if (!h) {
			buffer_unref(buf);
			fuse_reply_err(req, ENOMEM);
			return;
		}
		open_reply(req, fi, h, false, NULL);
		return;
	}
	if (ino_kind(ino) != NODE_ENTRY) {
		fuse_reply_err(req, EISDIR);
		return;
	}
	pthread_mutex_lock(&tree_lock);
	e = tree_find_id_locked(ino_id(ino));
	if (e)
		e->nopen++;
	pthread_mutex_unlock(&tree_lock);
	if (!e) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	/* O_TRUNC of an allocated buffer is ignored, as for a device file: its
	 * size is fixed and `cat x > FILE` overwrites from the start. A staged
	 * file is still an ordinary growing file, so it is emptied. */
	if (fi->flags & O_TRUNC) {
		r = entry_truncate_staged(e);
		if (r < 0)
			log_warn("%s: truncating staged data: %s", e->name, strerror(-r));
	}
	h = handle_new(e, NULL);
	if (!h) {
		bool do_free;

		pthread_mutex_lock(&tree_lock);
		do_free = entry_close_locked(e);
		pthread_mutex_unlock(&tree_lock);
		if (do_free)
			entry_free(e);
		fuse_reply_err(req, ENOMEM);
		return;
	}
	open_reply(req, fi, h, false, NULL);
}

static void fs_create(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode,
		      struct fuse_file_info *fi)
{
	const struct fuse_ctx *ctx = fuse_req_ctx(req);
	struct fuse_entry_param ep = { 0 };
	struct backend *be = NULL;
	struct handle *h;
	struct entry *e;
	int r;

	if (parent == INO_ROOT) {
		be = registry_default();
	} else if (ino_kind(parent) == NODE_NEW_DIR) {
		const char *bname;

		pthread_mutex_lock(&tree_lock);
		bname = newdir_name((int)ino_id(parent));
		pthread_mutex_unlock(&tree_lock);
		be = bname ? registry_find(bname) : NULL;
		if (!be) {
			log_info("create %s: backend %s is not available", name,
				 bname ? bname : "?");
			fuse_reply_err(req, ENODEV);
			return;
		}
	} else {
		fuse_reply_err(req, EPERM);
		return;
	}
	h = handle_new(NULL, NULL);
	if (!h) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	pthread_mutex_lock(&tree_lock);
	r = tree_add_locked(name, ctx->uid, ctx->gid, mode & ~daemon_cfg.umask & 0666,
			    ORIGIN_CREATED, be, &e);
	if (r == 0) {
		e->nlookup++;
		e->nopen++;
		h->e = e;
		stat_entry_locked(e, &ep.attr);
		ep.ino = ep.attr.st_ino;
		ep.entry_timeout = ENTRY_TIMEOUT;
		ep.attr_timeout = 0;
	}
	pthread_mutex_unlock(&tree_lock);
	if (r < 0) {
		free(h);
		log_info("create %s: %s", name, strerror(-r));
		fuse_reply_err(req, -r);
		return;
	}
	log_info("%s: created (backend %s, uid %u)", name, be->name, (unsigned)ctx->uid);
	open_reply(req, fi, h, true, &ep);
}

/* Read from whatever holds the entry's bytes right now. */
static ssize_t entry_read(struct entry *e, void *dst, size_t len, uint64_t off, bool nonblock,
			  int fence_timeout_ms)
{
	ssize_t n = 0;

	pthread_rwlock_rdlock(&e->io);
	if (e->buf)
		n = buffer_read(e->buf, dst, len, off, nonblock, fence_timeout_ms);
	else if (e->staged_fd >= 0 && (n = pread(e->staged_fd, dst, len, (off_t)off)) < 0)
		n = -errno;
	pthread_rwlock_unlock(&e->io);
	return n;
}

static int entry_stage(struct entry *e)
{
	int r = 0;

	pthread_rwlock_wrlock(&e->io);
	if (!e->buf && e->staged_fd < 0) {
		int fd = memfd_create("dmabuffs-staged", MFD_CLOEXEC | MFD_ALLOW_SEALING);

		if (fd < 0) {
			r = -errno;
		} else {
			pthread_mutex_lock(&tree_lock);
			e->staged_fd = fd;
			pthread_mutex_unlock(&tree_lock);
		}
	}
	pthread_rwlock_unlock(&e->io);
	return r;
}

/* Data reached the entry: stat shows a new mtime (and ctime). */
static void entry_touch(struct entry *e)
{
	pthread_mutex_lock(&tree_lock);
	timespec_now(&e->mtime);
	e->ctime = e->mtime;
	pthread_mutex_unlock(&tree_lock);
}

static ssize_t entry_write(struct entry *e, const void *src, size_t len, uint64_t off,
			   bool nonblock)
{
	ssize_t n;

	for (;;) {
		pthread_rwlock_rdlock(&e->io);
		if (e->buf) {
			n = buffer_write(e->buf, src, len, off, nonblock,
					 daemon_cfg.fence_timeout_ms);
			break;
		}
		if (e->staged_fd >= 0) {
			n = pwrite(e->staged_fd, src, len, (off_t)off);
			if (n < 0)
				n = -errno;
			break;
		}
		pthread_rwlock_unlock(&e->io);
		/* First write into a new name: stage it in a memfd. */
		n = entry_stage(e);
		if (n < 0)
			return n;
	}
	pthread_rwlock_unlock(&e->io);
	if (n > 0)
		entry_touch(e);
	return n;
}

/* A per-thread bounce buffer for reads that must be copied: allocating 1 MiB
 * per request would mmap and fault it in every time. */
static pthread_key_t bounce_key;
static pthread_once_t bounce_once = PTHREAD_ONCE_INIT;

struct bounce {
	size_t size;
	char data[];
};

static void bounce_key_init(void)
{
	pthread_key_create(&bounce_key, free);
}

static void *bounce_get(size_t size)
{
	struct bounce *b;

	pthread_once(&bounce_once, bounce_key_init);
	b = pthread_getspecific(bounce_key);
	if (b && b->size >= size)
		return b->data;
	free(b);
	b = malloc(sizeof(*b) + MAX(size, (size_t)4096));
	if (b)
		b->size = MAX(size, (size_t)4096);
	pthread_setspecific(bounce_key, b);
	return b ? b->data : NULL;
}

/* The allocated buffer behind an open file, referenced, or NULL. */
static struct buffer *handle_buffer(struct handle *h)
{
	struct buffer *b = NULL;

	if (h->buf)
		return buffer_ref(h->buf);
	/* Once allocated, an entry keeps its buffer: no need to hold io. */
	pthread_rwlock_rdlock(&h->e->io);
	if (h->e->buf)
		b = buffer_ref(h->e->buf);
	pthread_rwlock_unlock(&h->e->io);
	return b;
}

/* Reply from the mapping itself when the buffer allows it. 0 (replied),
 * -EOPNOTSUPP (copy instead) or another -errno (not replied). */
static int read_zero_copy(fuse_req_t req, struct handle *h, size_t size, off_t off,
			  bool nonblock, int fence_timeout_ms)
{
	struct buffer *b = handle_buffer(h);
	const void *ptr;
	size_t len = size;
	int r;

	if (!b)
		return -EOPNOTSUPP;
	r = buffer_read_direct_begin(b, (uint64_t)off, &len, nonblock, fence_timeout_ms, &ptr);
	if (r == 0) {
		/* The kernel copies from the mapping between SYNC_START and END. */
		fuse_reply_buf(req, ptr, len);
		if (len)
			buffer_read_direct_end(b);
	}
	buffer_unref(b);
	return r;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * One read(2) through the page cache can become two FUSE requests on the
 * same open file: readahead, and when that fails, the page itself. Both
 * would wait the whole fence_timeout, doubling the bound dmabuffs(5)
 * promises; so a request that comes right after a timeout on the same open
 * file gives up at once.
 */
#define FENCE_RETRY_WINDOW_MS 100

static int fence_timeout_for(struct handle *h)
{
	int64_t last = __atomic_load_n(&h->fence_expired_ms, __ATOMIC_RELAXED);

	if (last && now_ms() - last < FENCE_RETRY_WINDOW_MS)
		return 0;
	return daemon_cfg.fence_timeout_ms;
}

static ssize_t fence_result(struct handle *h, ssize_t n, int timeout_ms, bool nonblock)
{
	if (n == -EAGAIN && !nonblock && timeout_ms == 0 && daemon_cfg.fence_timeout_ms)
		n = -ETIME; /* the retry of a request that already timed out */
	if (n == -ETIME)
		__atomic_store_n(&h->fence_expired_ms, now_ms(), __ATOMIC_RELAXED);
	return n;
}

static void fs_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		    struct fuse_file_info *fi)
{
	struct handle *h = (struct handle *)(uintptr_t)fi->fh;
	/* The file's flags as they are now: fcntl(F_SETFL) may have changed
	 * O_NONBLOCK since the open. */
	bool nonblock = fi->flags & O_NONBLOCK;
	int timeout = nonblock ? 0 : fence_timeout_for(h);
	char *mem;
	ssize_t n;

	n = read_zero_copy(req, h, size, off, nonblock, timeout);
	if (n == 0)
		return;
	if (n != -EOPNOTSUPP)
		goto err;
	mem = bounce_get(size);
	if (!mem) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	if (h->buf)
		n = buffer_read(h->buf, mem, size, (uint64_t)off, nonblock, timeout);
	else
		n = entry_read(h->e, mem, size, (uint64_t)off, nonblock, timeout);
	if (n < 0) {
err:
		n = fence_result(h, n, timeout, nonblock);
		if (n != -EAGAIN)
			log_warn("read %zu bytes at %lld: %s", size, (long long)off,
				 strerror((int)-n));
		fuse_reply_err(req, (int)-n);
		return;
	}
	fuse_reply_buf(req, mem, (size_t)n);
}

static void fs_write(fuse_req_t req, fuse_ino_t ino, const char *src, size_t size, off_t off,
		     struct fuse_file_info *fi)
{
	struct handle *h = (struct handle *)(uintptr_t)fi->fh;
	bool nonblock = fi->flags & O_NONBLOCK;
	ssize_t n;

	if (h->buf)
		n = buffer_write(h->buf, src, size, (uint64_t)off, nonblock,
				 daemon_cfg.fence_timeout_ms);
	else
		n = entry_write(h->e, src, size, (uint64_t)off, nonblock);
	if (n < 0) {
		if (n != -ENOSPC)
			log_warn("write %zu bytes at %lld: %s", size, (long long)off,
				 strerror((int)-n));
		fuse_reply_err(req, (int)-n);
		return;
	}
	fuse_reply_write(req, (size_t)n);
}

/*
 * Large writes arrive in a pipe (FUSE_CAP_SPLICE_READ): read them from the
 * pipe straight into the buffer's mapping, one copy fewer than receiving
 * them into libfuse's buffer first. Everything else (I/O memory, staged
 * files, small writes that libfuse received into memory) takes fs_write().
 */
static void fs_write_buf(fuse_req_t req, fuse_ino_t ino, struct fuse_bufvec *bufv, off_t off,
			 struct fuse_file_info *fi)
{
	struct handle *h = (struct handle *)(uintptr_t)fi->fh;
	size_t size = fuse_buf_size(bufv);
	struct fuse_buf *src = &bufv->buf[bufv->idx];
	struct buffer *b;
	ssize_t n = -EOPNOTSUPP;
	char *mem;

	if (bufv->count - bufv->idx == 1 && !(src->flags & FUSE_BUF_IS_FD)) {
		fs_write(req, ino, (const char *)src->mem + bufv->off, size, off, fi);
		return;
	}
	if (bufv->count - bufv->idx == 1 && !(src->flags & FUSE_BUF_FD_SEEK) &&
	    (b = handle_buffer(h))) {
		n = buffer_write_from_fd(b, src->fd, size, (uint64_t)off,
					 fi->flags & O_NONBLOCK, daemon_cfg.fence_timeout_ms);
		buffer_unref(b);
		if (n >= 0 && (size_t)n == size)
			bufv->idx = bufv->count; /* drained: libfuse keeps the pipe */
		if (n > 0 && h->e)
			entry_touch(h->e);
	}
	if (n == -EOPNOTSUPP) {
		struct fuse_bufvec dst = FUSE_BUFVEC_INIT(size);

		mem = bounce_get(size);
		if (!mem) {
			fuse_reply_err(req, ENOMEM);
			return;
		}
		dst.buf[0].mem = mem;
		n = fuse_buf_copy(&dst, bufv, 0);
		if (n >= 0) {
			fs_write(req, ino, mem, (size_t)n, off, fi);
			return;
		}
	}
	if (n < 0) {
		if (n != -ENOSPC)
			log_warn("write %zu bytes at %lld: %s", size, (long long)off,
				 strerror((int)-n));
		fuse_reply_err(req, (int)-n);
		return;
	}
	fuse_reply_write(req, (size_t)n);
}

static void fs_flush(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct handle *h = (struct handle *)(uintptr_t)fi->fh;
	unsigned int nopen = 0;
	int r = 0;

	if (h->e) {
		pthread_mutex_lock(&tree_lock);
		nopen = h->e->nopen;
		pthread_mutex_unlock(&tree_lock);
		/* close() of the last open file of a staged name allocates the
		 * buffer, so `cp x FILE && dmabufctl info FILE` sees it made,
		 * and an allocation failure reaches close(). */
		if (nopen == 1)
			r = entry_commit_staged(h->e);
	}
	fuse_reply_err(req, -r);
}

static void fs_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct handle *h = (struct handle *)(uintptr_t)fi->fh;
	bool do_free = false;

	if (h->e) {
		int r = entry_commit_staged(h->e);

		if (r < 0)
			log_err("%s: allocating at last close failed: %s; data stays staged",
				h->e->name, strerror(-r));
		pthread_mutex_lock(&tree_lock);
		do_free = entry_close_locked(h->e);
		pthread_mutex_unlock(&tree_lock);
		if (do_free)
			entry_free(h->e);
	}
	buffer_unref(h->buf);
	free(h);
	fuse_reply_err(req, 0);
}

static void fs_fsync(fuse_req_t req, fuse_ino_t ino, int datasync, struct fuse_file_info *fi)
{
	/* Writes are write-through (no writeback cache) and the kernel sends
	 * dirty mmap pages as WRITEs before FSYNC: they are in the buffer. */
	fuse_reply_err(req, 0);
}

static void fs_fallocate(fuse_req_t req, fuse_ino_t ino, int mode, off_t offset, off_t length,
			 struct fuse_file_info *fi)
{
	struct handle *h = (struct handle *)(uintptr_t)fi->fh;
	uint64_t want = (uint64_t)offset + (uint64_t)length;
	uint64_t size;
	int r;

	if (mode != 0) {
		fuse_reply_err(req, EOPNOTSUPP);
		return;
	}
	if (!h->e) {
		fuse_reply_err(req, EPERM);
		return;
	}
	pthread_rwlock_rdlock(&h->e->io);
	size = entry_size(h->e);
	r = h->e->buf && want <= size;
	pthread_rwlock_unlock(&h->e->io);
	if (r) {
		fuse_reply_err(req, 0);
		return;
	}
	/* Like ftruncate: allocates an unallocated or staged file, and never
	 * resizes an allocated one (EPERM). */
	r = entry_allocate(h->e, MAX(want, size));
	fuse_reply_err(req, -r);
}

static void fs_ioctl(fuse_req_t req, fuse_ino_t ino, unsigned int cmd, void *arg,
		     struct fuse_file_info *fi, unsigned flags, const void *in_buf,
		     size_t in_bufsz, size_t out_bufsz)
{
	const struct dma_buf_sync *sync = in_buf;
	int r;

	if (cmd != DMA_BUF_IOCTL_SYNC) {
		fuse_reply_err(req, ENOTTY);
		return;
	}
	if (in_bufsz < sizeof(*sync)) {
		fuse_reply_err(req, EINVAL);
		return;
	}
	if (sync->flags & ~(uint64_t)(DMA_BUF_SYNC_RW | DMA_BUF_SYNC_END) ||
	    !(sync->flags & DMA_BUF_SYNC_RW)) {
		fuse_reply_err(req, EINVAL);
		return;
	}
	/*
	 * The file's mmap is backed by the page cache, filled and written back
	 * through read/write, which do the real DMA_BUF_IOCTL_SYNC on the
	 * dma-buf. So: SYNC_START drops cached pages (the next fault reads
	 * the buffer again); SYNC_END|WRITE writes dirty pages back. The
	 * kernel does both in one call: invalidation launders dirty pages
	 * (as WRITEs served by the other threads) before dropping them.
	 */
	if (!(sync->flags & DMA_BUF_SYNC_END) || (sync->flags & DMA_BUF_SYNC_WRITE)) {
		r = fuse_lowlevel_notify_inval_inode(daemon_cfg.se, ino, 0, 0);
		if (r < 0 && r != -ENOENT)
			log_warn("ioctl SYNC: invalidating the page cache: %s", strerror(-r));
	}
	fuse_reply_ioctl(req, 0, NULL, 0);
}

static void fs_statfs(fuse_req_t req, fuse_ino_t ino)
{
	struct statvfs sv = {
		.f_bsize = 4096,
		.f_frsize = 4096,
		.f_namemax = 255,
	};
	uint64_t bytes = 0, files = 0;

	pthread_mutex_lock(&tree_lock);
	for (struct entry *e = tree_next_locked(NULL); e; e = tree_next_locked(e)) {
		bytes += entry_size(e);
		files++;
	}
	pthread_mutex_unlock(&tree_lock);
	sv.f_blocks = (bytes + 4095) / 4096;
	sv.f_files = files;
	fuse_reply_statfs(req, &sv);
}

static void fs_init(void *userdata, struct fuse_conn_info *conn)
{
	timespec_now(&mount_time);
	/* O_TRUNC must arrive in open() instead of as a truncate to 0 first:
	 * the truncate would be refused (EPERM) for an allocated buffer. */
	if (conn->capable & FUSE_CAP_ATOMIC_O_TRUNC)
		conn->want |= FUSE_CAP_ATOMIC_O_TRUNC;
	/* Write-through: each write() reaches the buffer before it returns. */
	conn->want &= ~FUSE_CAP_WRITEBACK_CACHE;
	/* Splice never beat a plain reply on this workload; receiving large
	 * writes through a pipe does (fs_write_buf). */
	conn->want &= ~(FUSE_CAP_SPLICE_WRITE | FUSE_CAP_SPLICE_MOVE);
	if (conn->capable & FUSE_CAP_SPLICE_READ)
		conn->want |= FUSE_CAP_SPLICE_READ;
	conn->max_write = 1u << 20;
	log_debug("FUSE protocol %u.%u, max_write %u, capable 0x%x, want 0x%x",
		  conn->proto_major, conn->proto_minor, conn->max_write, conn->capable, conn->want);
}

const struct fuse_lowlevel_ops fs_ops = {
	.init = fs_init,
	.lookup = fs_lookup,
	.forget = fs_forget,
	.forget_multi = fs_forget_multi,
	.getattr = fs_getattr,
	.setattr = fs_setattr,
	.readlink = fs_readlink,
	.mknod = fs_mknod,
	.mkdir = fs_mkdir,
	.unlink = fs_unlink,
	.rmdir = fs_rmdir,
	.symlink = fs_symlink,
	.rename = fs_rename,
	.link = fs_link,
	.open = fs_open,
	.read = fs_read,
	.write = fs_write,
	.write_buf = fs_write_buf,
	.flush = fs_flush,
	.release = fs_release,
	.fsync = fs_fsync,
	.opendir = fs_opendir,
	.readdir = fs_readdir,
	.releasedir = fs_releasedir,
	.statfs = fs_statfs,
	.setxattr = fs_setxattr,
	.getxattr = fs_getxattr,
	.listxattr = fs_listxattr,
	.removexattr = fs_removexattr,
	.create = fs_create,
	.ioctl = fs_ioctl,
	.fallocate = fs_fallocate,
};
