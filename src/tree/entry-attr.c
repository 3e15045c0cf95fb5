// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * An entry's attributes: owner, mode and times (chmod, chown, utimens,
 * truncate), the map flag, and the image metadata (user.dmabuf.format and
 * the rest). Apart from entry.c, which keeps the entries' life, names and
 * counts: each change here is made under the tree lock through
 * entry_with(), so the lock stays static in entry.c, and is recorded for
 * the fd store (persist_changed()) once the lock is released.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/xattr.h>
#include <time.h>

#include "buffer.h"
#include "conf.h"
#include "tree/entry.h"
#include "tree/persist.h"

struct setattr_arg {
	const struct stat *attr;
	unsigned int to_set;
};

static void set_time(struct timespec *ts, const struct timespec *value, bool to_now)
{
	if (to_now)
		clock_gettime(CLOCK_REALTIME, ts);
	else
		*ts = *value;
}

static int setattr_locked(struct entry *e, void *data)
{
	const struct setattr_arg *a = data;
	unsigned int to_set = a->to_set;

	if (to_set & ENTRY_SET_MODE)
		e->mode = a->attr->st_mode & 07777;
	if (to_set & ENTRY_SET_UID)
		e->uid = a->attr->st_uid;
	if (to_set & ENTRY_SET_GID)
		e->gid = a->attr->st_gid;
	if (to_set & (ENTRY_SET_ATIME | ENTRY_SET_ATIME_NOW))
		set_time(&e->atime, &a->attr->st_atim, to_set & ENTRY_SET_ATIME_NOW);
	if (to_set & (ENTRY_SET_MTIME | ENTRY_SET_MTIME_NOW))
		set_time(&e->mtime, &a->attr->st_mtim, to_set & ENTRY_SET_MTIME_NOW);
	if (to_set & ~(ENTRY_SET_ATIME | ENTRY_SET_MTIME))
		clock_gettime(CLOCK_REALTIME, &e->ctime);
	return 0;
}

int entry_setattr(struct entry *e, const struct stat *attr, unsigned int to_set)
{
	struct setattr_arg a = { attr, to_set };
	int r;

	if (to_set & ENTRY_SET_SIZE) {
		r = entry_allocate(e, (uint64_t)attr->st_size);
		if (r < 0)
			return r;
	}
	entry_with(e, setattr_locked, &a);
	persist_changed(true);
	return 0;
}

static int info_locked(struct entry *e, void *data)
{
	struct entry_info *out = data;

	out->id = e->id;
	snprintf(out->name, sizeof(out->name), "%s", e->name);
	out->uid = e->uid;
	out->origin = e->origin;
	out->be = e->be;
	out->iomem_override = e->iomem_override;
	out->buf = e->buf ? buffer_ref(e->buf) : NULL;
	memcpy(out->meta, e->meta, sizeof(out->meta));
	return 0;
}

void entry_info(struct entry *e, struct entry_info *out)
{
	entry_with(e, info_locked, out);
}

void entry_info_clear(struct entry_info *info)
{
	buffer_unref(info->buf);
	info->buf = NULL;
}

static int iomem_locked(struct entry *e, void *data)
{
	e->iomem_override = *(const int *)data;
	if (e->buf)
		buffer_set_iomem(e->buf, e->iomem_override, entry_config()->iomem_mode);
	return 0;
}

void entry_set_iomem(struct entry *e, int iomem_override)
{
	entry_with(e, iomem_locked, &iomem_override);
	persist_changed(true);
}

struct meta_arg {
	enum meta_key key;
	const char *value; /* NULL: remove */
	size_t size;
	int flags;
};

static int meta_locked(struct entry *e, void *data)
{
	const struct meta_arg *a = data;
	char *v = e->meta[a->key];

	if (!a->value) {
		if (!v[0])
			return -ENODATA;
		v[0] = '\0';
		return 0;
	}
	if ((a->flags & XATTR_CREATE) && v[0])
		return -EEXIST;
	if ((a->flags & XATTR_REPLACE) && !v[0])
		return -ENODATA;
	memcpy(v, a->value, a->size);
	v[a->size] = '\0';
	return 0;
}

int entry_set_meta(struct entry *e, enum meta_key key, const char *value, size_t size, int flags)
{
	struct meta_arg a = { key, value, size, flags };
	int r;

	if (size > META_VALUE_MAX)
		return -ERANGE;
	if (memchr(value, '\0', size))
		return -EINVAL;
	r = entry_with(e, meta_locked, &a);
	if (r == 0)
		persist_changed(true);
	return r;
}

int entry_remove_meta(struct entry *e, enum meta_key key)
{
	struct meta_arg a = { .key = key };
	int r = entry_with(e, meta_locked, &a);

	if (r == 0)
		persist_changed(true);
	return r;
}

static int touch_locked(struct entry *e, void *data)
{
	clock_gettime(CLOCK_REALTIME, &e->mtime);
	e->ctime = e->mtime;
	return 0;
}

void entry_touch(struct entry *e)
{
	entry_with(e, touch_locked, NULL);
	/* Written data is in the buffer (the store holds its fd); only the
	 * time waits for the next record. */
	persist_changed(false);
}
