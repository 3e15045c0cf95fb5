// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The mount's root directory, node.c's kind N_ROOT: what it lists (the
 * fixed directories, then the buffer files) and its own mode, owner and
 * times, the one directory whose attributes setattr changes.
 */
#include <pthread.h>
#include <string.h>
#include <time.h>

#include "conf.h"
#include "tree/entry.h"
#include "fs/fs-internal.h"
#include "shared/macro.h"
#include "shared/names.h"

#define ROOT_MODE (S_IFDIR | 01777) /* like /tmp: anyone may create, owners delete */

/* The root's directories, by their names in shared/names.h. */
static const struct {
	fuse_ino_t ino;
	bool discover_only;
} root_dirs[NAME_ROOT_DIRS] = {
	[NAME_ROOT_BY_INODE] = { INO_BY_INODE, false },
	[NAME_ROOT_BY_EXPORTER] = { INO_BY_EXPORTER, false },
	[NAME_ROOT_NEW] = { INO_NEW, false },
	[NAME_ROOT_PROC] = { INO_PROC, true },
	[NAME_ROOT_SCANOUT] = { INO_SCANOUT, false },
};

/* ---- its own attributes ---- */

/* The root directory's mode and owner are the mount's access policy, set
 * from the options at each start (group=) and changed only by what the
 * kernel lets through (default_permissions: chmod and chown by the owner,
 * root; times by the owner, or "now" by anyone who may write), for the
 * life of this daemon: a restart sets them from the options again, so that
 * an edited group= takes effect. rsync -a dir/ MNT/ and touch set them. */
static pthread_mutex_t root_lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
	bool set;
	mode_t mode;
	uid_t uid;
	gid_t gid;
	struct timespec atime, mtime, ctime;
} root_attr;

static void root_attr_init_locked(const struct config *cfg)
{
	if (root_attr.set)
		return;
	root_attr.mode = ROOT_MODE;
	/* group=: only its members (and root) reach the tree at all. */
	if (cfg && cfg->group_set) {
		root_attr.mode = S_IFDIR | 01770;
		root_attr.gid = cfg->group;
	}
	root_attr.atime = root_attr.mtime = root_attr.ctime = mount_time();
	root_attr.set = true;
}

int root_stat(const struct config *cfg, fuse_ino_t ino, struct stat *st)
{
	pthread_mutex_lock(&root_lock);
	root_attr_init_locked(cfg);
	node_stat_synthetic(st, INO_ROOT, root_attr.mode);
	st->st_uid = root_attr.uid;
	st->st_gid = root_attr.gid;
	st->st_atim = root_attr.atime;
	st->st_mtim = root_attr.mtime;
	st->st_ctim = root_attr.ctime;
	pthread_mutex_unlock(&root_lock);
	return 0;
}

static void root_time(struct timespec *ts, const struct timespec *value, bool to_now)
{
	if (to_now)
		clock_gettime(CLOCK_REALTIME, ts);
	else
		*ts = *value;
}

void root_setattr(const struct config *cfg, const struct stat *attr, int to_set)
{
	pthread_mutex_lock(&root_lock);
	root_attr_init_locked(cfg);
	if (to_set & FUSE_SET_ATTR_MODE)
		root_attr.mode = S_IFDIR | (attr->st_mode & 07777);
	if (to_set & FUSE_SET_ATTR_UID)
		root_attr.uid = attr->st_uid;
	if (to_set & FUSE_SET_ATTR_GID)
		root_attr.gid = attr->st_gid;
	if (to_set & (FUSE_SET_ATTR_ATIME | FUSE_SET_ATTR_ATIME_NOW))
		root_time(&root_attr.atime, &attr->st_atim, to_set & FUSE_SET_ATTR_ATIME_NOW);
	if (to_set & (FUSE_SET_ATTR_MTIME | FUSE_SET_ATTR_MTIME_NOW))
		root_time(&root_attr.mtime, &attr->st_mtim, to_set & FUSE_SET_ATTR_MTIME_NOW);
	root_time(&root_attr.ctime, NULL, true);
	pthread_mutex_unlock(&root_lock);
}

/* ---- its children ---- */

/* proc/ needs discovery; scanout/ a display (a KMS card). */
static bool root_dir_shown(const struct config *cfg, size_t i)
{
	if (root_dirs[i].discover_only && !cfg->discover)
		return false;
	return root_dirs[i].ino != INO_SCANOUT || scanout_present();
}

fuse_ino_t root_lookup(const struct config *cfg, fuse_ino_t parent, const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(root_dirs); i++)
		if (strcmp(name, name_root_dirs[i]) == 0 && root_dir_shown(cfg, i))
			return root_dirs[i].ino;
	return 0; /* a buffer file */
}

static int fill_root_cb(const struct entry_view *v, void *data)
{
	return node_add(data, v->name, ino_entry(v->id), S_IFREG);
}

int root_fill(const struct config *cfg, const struct node_filler *f, fuse_ino_t ino)
{
	int r = 0;

	for (size_t i = 0; i < ARRAY_SIZE(root_dirs) && !r; i++)
		if (root_dir_shown(cfg, i))
			r = node_add(f, name_root_dirs[i], root_dirs[i].ino, S_IFDIR);
	return r ?: entry_walk(fill_root_cb, (void *)f);
}
