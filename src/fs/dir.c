// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Directory snapshots: opendir copies a directory's listing (node_fill), so
 * that readdir offsets stay valid however the tree changes meanwhile, as
 * getdents callers expect.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tree/entry.h"
#include "fs/fs-internal.h"
#include "shared/macro.h"

struct dir_item {
	char *name;
	fuse_ino_t ino;
	mode_t type;
};

struct dir_snapshot {
	struct dir_item *items;
	size_t n, cap;
	uid_t caller;	  /* who opened it: listings show what they may see */
	struct held held; /* while the kernel has it open */
};

static int dir_add(void *data, const char *name, fuse_ino_t ino, mode_t type)
{
	struct dir_snapshot *d = data;

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

static void dir_held_free(struct held *held)
{
	dir_free(container_of(held, struct dir_snapshot, held));
}

/* A listing of ino as the caller of req sees it now. */
static int dir_snapshot(fuse_req_t req, fuse_ino_t ino, struct dir_snapshot **out)
{
	struct dir_snapshot *d = calloc(1, sizeof(*d));
	int r;

	if (!d)
		return -ENOMEM;
	d->caller = fuse_req_ctx(req)->uid;
	r = dir_add(d, ".", ino, S_IFDIR);
	r = r ?: dir_add(d, "..", INO_ROOT, S_IFDIR);
	r = r	  ?:
		    node_fill(fs_config(req),
			      &(struct node_filler){ .add = dir_add, .d = d, .caller = d->caller },
			      ino);
	if (r < 0) {
		dir_free(d);
		return r;
	}
	d->held.free = dir_held_free;
	*out = d;
	return 0;
}

void fs_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct dir_snapshot *d;
	uint64_t fh;
	int r;

	r = dir_snapshot(req, ino, &d);
	if (r == 0 && (r = fh_add(FH_DIR, d, false, &fh)) < 0)
		dir_free(d);
	if (r < 0) {
		fuse_reply_err(req, -r);
		return;
	}
	fi->fh = fh;
	fi->cache_readdir = 0;
	held_add(&d->held);
	if (fuse_reply_open(req, fi) < 0) {
		held_remove(&d->held);
		fh_remove(FH_DIR, fh);
		dir_free(d);
	}
}

/* The listing of fi; one the previous process of a re-attached mount
 * opened is listed again now, under the same fh (a listing that changes
 * between two readdir calls is what readdir(3) allows anyway). */
static struct dir_snapshot *dir_get(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi,
				    int *err)
{
	struct dir_snapshot *d = fh_get(FH_DIR, fi->fh);
	int r;

	if (d)
		return d;
	r = dir_snapshot(req, ino, &d);
	if (r == 0 && (r = fh_add_as(FH_DIR, fi->fh, d)) < 0)
		dir_free(d);
	if (r == -EEXIST)
		return dir_get(req, ino, fi, err);
	if (r < 0) {
		*err = -r;
		return NULL;
	}
	held_add(&d->held);
	return d;
}

/* One item as readdirplus returns it: its size, and 0 with nothing
 * written (and nothing counted) when it does not fit in room. "." and ".."
 * carry no entry: the kernel neither links nor counts them. */
static size_t add_plus(fuse_req_t req, char *buf, size_t room, const struct dir_item *it,
		       off_t next)
{
	struct fuse_entry_param ep = { .attr = { .st_ino = it->ino, .st_mode = it->type } };
	size_t n = fuse_add_direntry_plus(req, NULL, 0, it->name, NULL, 0);
	bool dot = strcmp(it->name, ".") == 0 || strcmp(it->name, "..") == 0;

	if (n > room)
		return 0;
	if (!dot && node_plus(fs_config(req), it->ino, it->name, &ep) < 0)
		return SIZE_MAX; /* gone or renamed since opendir: left out */
	if (!ep.ino) {
		ep.attr.st_ino = it->ino;
		ep.attr.st_mode = it->type;
	}
	return fuse_add_direntry_plus(req, buf, room, it->name, &ep, next);
}

static void reply_dir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		      struct fuse_file_info *fi, bool plus)
{
	int err = ENOMEM;
	struct dir_snapshot *d = dir_get(req, ino, fi, &err);
	_cleanup_free_ char *buf = calloc(1, size);
	size_t used = 0;

	if (!d || !buf) {
		fuse_reply_err(req, err);
		return;
	}
	for (size_t i = (size_t)off; i < d->n; i++) {
		const struct dir_item *it = &d->items[i];
		struct stat st = { .st_ino = it->ino, .st_mode = it->type };
		size_t n;

		if (plus)
			n = add_plus(req, buf + used, size - used, it, (off_t)(i + 1));
		else
			n = fuse_add_direntry(req, buf + used, size - used, it->name, &st,
					      (off_t)(i + 1));
		if (n == SIZE_MAX)
			continue;
		if (n == 0 || n > size - used)
			break;
		used += n;
	}
	fuse_reply_buf(req, buf, used);
}

void fs_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, struct fuse_file_info *fi)
{
	reply_dir(req, ino, size, off, fi, false);
}

/* With the attributes (and a counted lookup) of the buffer files: `ls -l`
 * of thousands of them then needs no LOOKUP or GETATTR. */
void fs_readdirplus(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		    struct fuse_file_info *fi)
{
	reply_dir(req, ino, size, off, fi, true);
}

void fs_releasedir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct dir_snapshot *d = fh_remove(FH_DIR, fi->fh);

	if (d) {
		held_remove(&d->held);
		dir_free(d);
	}
	fuse_reply_err(req, 0);
}
