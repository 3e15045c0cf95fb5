// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The tree of nodes, described once: a table of node kinds (the fixed
 * directories, buffer files, by-inode and by-exporter links, new/BACKEND,
 * proc/PID, proc/PID/FD), each with how it stats, how a name resolves in
 * it and how it lists; xattr.c's name table is the model. Only buffer files
 * are counted (entry.c); every other node is derived from its inode number.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/backend.h"
#include "buffer.h"
#include "conf.h"
#include "tree/entry.h"
#include "fs/fs-internal.h"
#include "shared/macro.h"
#include "shared/names.h"
#include "shared/util.h"

#define DIR_MODE (S_IFDIR | 0755)
#define NEWDIR_MODE (S_IFDIR | 01777)
#define PROC_MODE (S_IFDIR | 0755 | 0555)
/* proc/PID/ and its files: for the owner discover_owner() names only, so
 * that the kernel checks every caller by ptrace's rules (discover.c). */
#define PROC_PID_MODE (S_IFDIR | 0500)
#define LINK_MODE (S_IFLNK | 0777)

/* ---- name tables ---- */

/* Append-only tables behind by-exporter/EXP and new/BACKEND, so that their
 * inode numbers stay stable for the daemon's lifetime. */
#define NAME_TABLE_MAX 256
struct name_table {
	char *names[NAME_TABLE_MAX];
	int n;
};
static pthread_mutex_t table_lock = PTHREAD_MUTEX_INITIALIZER;
static struct name_table exporters, newdirs;

/* Index of name, added if asked and missing; -1 if none or full. */
static int table_index(struct name_table *t, const char *name, bool add)
{
	int r = -1;

	pthread_mutex_lock(&table_lock);
	for (int i = 0; i < t->n && r < 0; i++)
		if (strcmp(t->names[i], name) == 0)
			r = i;
	if (r < 0 && add && t->n < NAME_TABLE_MAX && (t->names[t->n] = strdup(name)))
		r = t->n++;
	pthread_mutex_unlock(&table_lock);
	return r;
}

/* Copy the name at index into buf; -ENOENT if there is none. */
static int table_name(struct name_table *t, uint64_t index, char *buf, size_t bufsz)
{
	int r = -ENOENT;

	pthread_mutex_lock(&table_lock);
	if (index < (uint64_t)t->n) {
		snprintf(buf, bufsz, "%s", t->names[index]);
		r = 0;
	}
	pthread_mutex_unlock(&table_lock);
	return r;
}

/* ---- questions to the entries ---- */

struct find {
	/* in: what to match (NULL / 0: anything) */
	const char *name;
	const char *exporter;
	uint64_t id, kino;
	/* out */
	uint64_t found_id;
	char found_name[256];
};

/* The first linked, allocated entry that matches. */
static int find_cb(const struct entry_view *v, void *data)
{
	struct find *f = data;

	if (!v->buf || (f->name && strcmp(v->name, f->name) != 0) ||
	    (f->exporter && strcmp(v->buf->exporter, f->exporter) != 0) ||
	    (f->id && v->id != f->id) || (f->kino && v->buf->kino != f->kino))
		return 0;
	f->found_id = v->id;
	snprintf(f->found_name, sizeof(f->found_name), "%s", v->name);
	return 1;
}

static bool find_allocated(struct find *f)
{
	return entry_walk(find_cb, f) == 1;
}

/* ---- stat ---- */

void node_stat_synthetic(struct stat *st, fuse_ino_t ino, mode_t mode)
{
	memset(st, 0, sizeof(*st));
	st->st_ino = ino;
	st->st_mode = mode;
	st->st_atim = st->st_mtim = st->st_ctim = mount_time();
	if (S_ISDIR(mode)) {
		st->st_nlink = 2;
		st->st_blksize = 4096;
	} else {
		st->st_nlink = 1;
	}
}

int node_readlink(fuse_ino_t ino, char *buf, size_t bufsz)
{
	struct find f = { .id = ino_id(ino) };

	if (ino_kind(ino) != NODE_INO_LINK && ino_kind(ino) != NODE_EXP_LINK)
		return -EINVAL;
	if (discover_is_ino_link(ino))
		return discover_ino_link_target(ino, buf, bufsz);
	if (!f.id || !find_allocated(&f))
		return -ENOENT;
	snprintf(buf, bufsz, "%s%s", ino_kind(ino) == NODE_INO_LINK ? "../" : "../../",
		 f.found_name);
	return 0;
}

static int stat_fixed_dir(const struct config *cfg, fuse_ino_t ino, struct stat *st)
{
	node_stat_synthetic(st, ino, DIR_MODE);
	return 0;
}

static int stat_proc_dir(const struct config *cfg, fuse_ino_t ino, struct stat *st)
{
	if (!cfg->discover)
		return -ENOENT;
	node_stat_synthetic(st, ino, PROC_MODE);
	return 0;
}

static int stat_entry(const struct config *cfg, fuse_ino_t ino, struct stat *st)
{
	return entry_stat(ino_id(ino), st, NULL);
}

/* Allocated buffers have a fixed size; staged ones grow with every write. */
static double entry_attr_timeout(bool allocated)
{
	return allocated ? ATTR_TIMEOUT_FILE : 0.0;
}

static int stat_link(const struct config *cfg, fuse_ino_t ino, struct stat *st)
{
	char target[300];
	int r = node_readlink(ino, target, sizeof(target));

	if (r == 0) {
		node_stat_synthetic(st, ino, LINK_MODE);
		st->st_size = (off_t)strlen(target);
	}
	return r;
}

/* by-exporter/EXP and new/BACKEND exist while their table has the index. */
static int stat_table_dir(struct name_table *t, fuse_ino_t ino, mode_t mode, struct stat *st)
{
	char name[64];
	int r = table_name(t, ino_id(ino), name, sizeof(name));

	if (r == 0)
		node_stat_synthetic(st, ino, mode);
	return r;
}

static int stat_exp_dir(const struct config *cfg, fuse_ino_t ino, struct stat *st)
{
	return stat_table_dir(&exporters, ino, DIR_MODE, st);
}

static int stat_new_dir(const struct config *cfg, fuse_ino_t ino, struct stat *st)
{
	return stat_table_dir(&newdirs, ino, NEWDIR_MODE, st);
}

static int stat_proc_pid(const struct config *cfg, fuse_ino_t ino, struct stat *st)
{
	uid_t owner;

	if (!cfg->discover || discover_owner((pid_t)ino_id(ino), &owner) < 0)
		return -ENOENT;
	node_stat_synthetic(st, ino, PROC_PID_MODE);
	st->st_uid = owner;
	return 0;
}

static int stat_proc_fd(const struct config *cfg, fuse_ino_t ino, struct stat *st)
{
	struct dmabuf_fdinfo info;
	uid_t owner;
	pid_t pid;
	int fd, r;

	ino_proc_fd_split(ino, &pid, &fd);
	r = discover_stat(pid, fd, &info, &owner);
	if (r < 0)
		return r;
	memset(st, 0, sizeof(*st));
	st->st_ino = ino;
	/* A buffer only mapped cannot be taken (discover_open()). */
	st->st_mode = S_IFREG | (discover_is_map_node(pid, fd) ? 0400 : 0600);
	st->st_nlink = 1;
	st->st_uid = owner;
	st->st_size = (off_t)info.size;
	st->st_blocks = (blkcnt_t)((info.size + 511) / 512);
	st->st_blksize = 4096;
	return 0;
}

/* ---- lookup: name in parent -> inode (0: none) ---- */

static int parse_id(const char *s, uint64_t *out)
{
	if (!*s || *s == '0' || *s == '+' || *s == '-')
		return -ENOENT;
	return parse_u64(s, 10, out) < 0 ? -ENOENT : 0;
}

static fuse_ino_t lookup_by_inode(const struct config *cfg, fuse_ino_t parent, const char *name)
{
	struct find f = { 0 };
	uint64_t link;

	if (parse_id(name, &f.kino) < 0)
		return 0;
	if (!find_allocated(&f))
		return cfg->discover && discover_by_inode(f.kino, &link) == 0 ? link : 0;
	return ino_make(NODE_INO_LINK, f.found_id);
}

static fuse_ino_t lookup_by_exporter(const struct config *cfg, fuse_ino_t parent, const char *name)
{
	struct find f = { .exporter = name };
	int idx;

	if (!find_allocated(&f))
		return 0;
	idx = table_index(&exporters, name, true);
	return idx < 0 ? 0 : ino_make(NODE_EXP_DIR, (uint64_t)idx);
}

static fuse_ino_t lookup_exp_dir(const struct config *cfg, fuse_ino_t parent, const char *name)
{
	char exp[64];
	struct find f = { .name = name, .exporter = exp };

	if (table_name(&exporters, ino_id(parent), exp, sizeof(exp)) < 0 || !find_allocated(&f))
		return 0;
	return ino_make(NODE_EXP_LINK, f.found_id);
}

static fuse_ino_t lookup_new(const struct config *cfg, fuse_ino_t parent, const char *name)
{
	int idx;

	if (!registry_find(name))
		return 0;
	idx = table_index(&newdirs, name, true);
	return idx < 0 ? 0 : ino_make(NODE_NEW_DIR, (uint64_t)idx);
}

static fuse_ino_t lookup_new_dir(const struct config *cfg, fuse_ino_t parent, const char *name)
{
	return 0; /* new/BACKEND/NAME is NAME once it exists */
}

static fuse_ino_t lookup_proc(const struct config *cfg, fuse_ino_t parent, const char *name)
{
	uint64_t pid;

	if (parse_id(name, &pid) < 0 || pid >= PROC_PID_MAX)
		return 0;
	return ino_make(NODE_PROC_PID, pid);
}

static fuse_ino_t lookup_proc_pid(const struct config *cfg, fuse_ino_t parent, const char *name)
{
	uint64_t fd;

	if (strncmp(name, "map-", 4) == 0)
		return parse_id(name + 4, &fd) < 0 ? 0 :
						     discover_map_node((pid_t)ino_id(parent), fd);
	if (strcmp(name, "0") == 0)
		fd = 0;
	else if (parse_id(name, &fd) < 0 || fd >= PROC_FD_MAX)
		return 0;
	return ino_proc_fd((pid_t)ino_id(parent), (int)fd);
}

/* ---- fill: a directory's snapshot ---- */

/* by-inode's listing: a copy of (kernel inode, entry) pairs taken under the
 * tree lock in one pass, sorted and deduplicated after it, so a listing of
 * many buffers is O(n log n) and holds the lock that every request needs
 * only for the copy. */
struct kino_item {
	uint64_t kino;
	fuse_ino_t link; /* what by-inode/KINO points to */
	size_t order;	 /* collection order: the daemon's own entries newest
			  * first (entry_walk's), then other processes' */
};

struct kino_list {
	struct kino_item *v;
	size_t n, cap;
};

static int kino_push(struct kino_list *l, uint64_t kino, fuse_ino_t link)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 256;
		struct kino_item *nv = realloc(l->v, cap * sizeof(*nv));

		if (!nv)
			return -ENOMEM;
		l->v = nv;
		l->cap = cap;
	}
	l->v[l->n] = (struct kino_item){ kino, link, l->n };
	l->n++;
	return 0;
}

static int kino_collect_cb(const struct entry_view *v, void *data)
{
	return v->buf ? kino_push(data, v->buf->kino, ino_make(NODE_INO_LINK, v->id)) : 0;
}

static int kino_cmp(const void *a, const void *b)
{
	const struct kino_item *x = a, *y = b;

	if (x->kino != y->kino)
		return x->kino < y->kino ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

/* Buffers only other processes hold: after the daemon's own. */
static int fill_by_inode_discovered(void *data, uint64_t kino, uint64_t link)
{
	return kino_push(data, kino, link);
}

static int fill_by_inode(const struct config *cfg, const struct node_filler *f, fuse_ino_t ino)
{
	struct kino_list l = { 0 };
	char num[32];
	int r;

	r = entry_walk(kino_collect_cb, &l);
	if (r == 0 && cfg->discover)
		r = discover_fill_by_inode(fill_by_inode_discovered, &l);
	if (r == 0 && l.n)
		qsort(l.v, l.n, sizeof(*l.v), kino_cmp);
	for (size_t i = 0; i < l.n && r == 0; i++) {
		/* Several names of one dma-buf: the link goes to the newest
		 * of the daemon's own, else to another process's. */
		if (i > 0 && l.v[i].kino == l.v[i - 1].kino)
			continue;
		snprintf(num, sizeof(num), "%llu", (unsigned long long)l.v[i].kino);
		r = node_add(f, num, l.v[i].link, S_IFLNK);
	}
	free(l.v);
	return r;
}

static int register_exporter_cb(const struct entry_view *v, void *data)
{
	if (v->buf)
		table_index(&exporters, v->buf->exporter, true);
	return 0;
}

static int fill_by_exporter(const struct config *cfg, const struct node_filler *f, fuse_ino_t ino)
{
	char exp[64];
	int r = 0;

	entry_walk(register_exporter_cb, NULL);
	for (int i = 0; !r && table_name(&exporters, (uint64_t)i, exp, sizeof(exp)) == 0; i++) {
		struct find fd = { .exporter = exp };

		if (find_allocated(&fd))
			r = node_add(f, exp, ino_make(NODE_EXP_DIR, (uint64_t)i), S_IFDIR);
	}
	return r;
}

struct fill_exp {
	const struct node_filler *f;
	const char *exporter;
};

static int fill_exp_dir_cb(const struct entry_view *v, void *data)
{
	struct fill_exp *fe = data;

	if (!v->buf || strcmp(v->buf->exporter, fe->exporter) != 0)
		return 0;
	return node_add(fe->f, v->name, ino_make(NODE_EXP_LINK, v->id), S_IFLNK);
}

static int fill_exp_dir(const struct config *cfg, const struct node_filler *f, fuse_ino_t ino)
{
	char exp[64];
	struct fill_exp fe = { f, exp };
	int r = table_name(&exporters, ino_id(ino), exp, sizeof(exp));

	return r ?: entry_walk(fill_exp_dir_cb, &fe);
}

static int fill_new(const struct config *cfg, const struct node_filler *f, fuse_ino_t ino)
{
	char names[32][64];
	int n = registry_list(names, 32), r = 0;

	for (int i = 0; i < n && !r; i++) {
		int idx = table_index(&newdirs, names[i], true);

		if (idx >= 0)
			r = node_add(f, names[i], ino_make(NODE_NEW_DIR, (uint64_t)idx), S_IFDIR);
	}
	return r;
}

static int fill_new_dir(const struct config *cfg, const struct node_filler *f, fuse_ino_t ino)
{
	char name[64];

	return table_name(&newdirs, ino_id(ino), name, sizeof(name));
}

static int fill_proc(const struct config *cfg, const struct node_filler *f, fuse_ino_t ino)
{
	_cleanup_free_ pid_t *pids = NULL;
	char num[32];
	size_t n = 0;
	int r;

	r = discover_pids(&pids, &n);
	for (size_t i = 0; i < n && r >= 0; i++) {
		uid_t owner;

		/* Only the processes the caller could inspect (proc/PID's
		 * owner is decided by ptrace's rules, see discover_owner). */
		if (f->caller != 0 && (discover_owner(pids[i], &owner) < 0 || owner != f->caller))
			continue;
		snprintf(num, sizeof(num), "%d", (int)pids[i]);
		r = node_add(f, num, ino_make(NODE_PROC_PID, (uint64_t)pids[i]), S_IFDIR);
	}
	return r < 0 ? r : 0;
}

static int fill_proc_pid(const struct config *cfg, const struct node_filler *f, fuse_ino_t ino)
{
	_cleanup_free_ struct discover_item *items = NULL;
	size_t n = 0;
	int r;

	r = discover_list((pid_t)ino_id(ino), &items, &n);
	for (size_t i = 0; i < n && r >= 0; i++)
		r = node_add(f, items[i].name, items[i].node, S_IFREG);
	return r < 0 ? r : 0;
}

/* ---- the table ---- */

enum node_type {
	N_ROOT,
	N_BY_INODE,
	N_BY_EXPORTER,
	N_NEW,
	N_PROC,
	N_ENTRY,
	N_INO_LINK,
	N_EXP_DIR,
	N_EXP_LINK,
	N_NEW_DIR,
	N_PROC_PID,
	N_PROC_FD,
	N_SCANOUT,
	N_COUNT,
};

struct node_type_ops {
	int (*stat)(const struct config *cfg, fuse_ino_t ino, struct stat *st);
	/* Directories: a child's inode, 0 for none; lookup_entry: a name
	 * that is not a child is looked up among the buffer files. */
	fuse_ino_t (*lookup)(const struct config *cfg, fuse_ino_t parent, const char *name);
	bool lookup_entry;
	int (*fill)(const struct config *cfg, const struct node_filler *f, fuse_ino_t ino);
	/* What the kernel may cache: proc/ changes with other processes. */
	double attr_timeout, entry_timeout;
};

static const struct node_type_ops node_types[N_COUNT] = {
	[N_ROOT] = { root_stat, root_lookup, true, root_fill, ATTR_TIMEOUT_FIXED, ENTRY_TIMEOUT },
	[N_BY_INODE] = { stat_fixed_dir, lookup_by_inode, false, fill_by_inode, ATTR_TIMEOUT_FIXED,
			 ENTRY_TIMEOUT },
	[N_BY_EXPORTER] = { stat_fixed_dir, lookup_by_exporter, false, fill_by_exporter,
			    ATTR_TIMEOUT_FIXED, ENTRY_TIMEOUT },
	[N_NEW] = { stat_fixed_dir, lookup_new, false, fill_new, ATTR_TIMEOUT_FIXED,
		    ENTRY_TIMEOUT },
	[N_PROC] = { stat_proc_dir, lookup_proc, false, fill_proc, ATTR_TIMEOUT_FIXED,
		     ENTRY_TIMEOUT },
	[N_ENTRY] = { stat_entry, NULL, false, NULL, 0, ENTRY_TIMEOUT },
	[N_INO_LINK] = { stat_link, NULL, false, NULL, ATTR_TIMEOUT_FIXED, ENTRY_TIMEOUT },
	[N_EXP_DIR] = { stat_exp_dir, lookup_exp_dir, false, fill_exp_dir, ATTR_TIMEOUT_FIXED,
			ENTRY_TIMEOUT },
	[N_EXP_LINK] = { stat_link, NULL, false, NULL, ATTR_TIMEOUT_FIXED, ENTRY_TIMEOUT },
	[N_NEW_DIR] = { stat_new_dir, lookup_new_dir, true, fill_new_dir, ATTR_TIMEOUT_FIXED,
			ENTRY_TIMEOUT },
	[N_PROC_PID] = { stat_proc_pid, lookup_proc_pid, false, fill_proc_pid, 0, 0 },
	[N_PROC_FD] = { stat_proc_fd, NULL, false, NULL, 0, 0 },
	/* What a plane shows changes with every page flip. */
	[N_SCANOUT] = { scanout_stat, scanout_lookup, false, scanout_fill, 0, 0 },
};

static const struct node_type_ops *node_type(fuse_ino_t ino)
{
	static const enum node_type fixed[] = {
		[INO_ROOT] = N_ROOT, [INO_BY_INODE] = N_BY_INODE, [INO_BY_EXPORTER] = N_BY_EXPORTER,
		[INO_NEW] = N_NEW,   [INO_PROC] = N_PROC,
	};
	static const enum node_type kinds[NODE_KIND_COUNT] = {
		[NODE_ENTRY] = N_ENTRY,	    [NODE_INO_LINK] = N_INO_LINK,
		[NODE_EXP_DIR] = N_EXP_DIR, [NODE_EXP_LINK] = N_EXP_LINK,
		[NODE_NEW_DIR] = N_NEW_DIR, [NODE_PROC_PID] = N_PROC_PID,
		[NODE_PROC_FD] = N_PROC_FD, [NODE_SCANOUT] = N_SCANOUT,
	};
	enum node_kind kind = ino_kind(ino);

	if (kind == NODE_FIXED)
		return ino >= INO_ROOT && ino < ARRAY_SIZE(fixed) ? &node_types[fixed[ino]] : NULL;
	return kind < NODE_KIND_COUNT ? &node_types[kinds[kind]] : NULL;
}

int node_getattr(const struct config *cfg, fuse_ino_t ino, struct stat *st, double *timeout)
{
	const struct node_type_ops *t = node_type(ino);
	bool allocated;
	int r;

	if (!t)
		return -ENOENT;
	if (t == &node_types[N_ENTRY]) {
		r = entry_stat(ino_id(ino), st, &allocated);
		*timeout = entry_attr_timeout(allocated);
		return r;
	}
	*timeout = t->attr_timeout;
	return t->stat(cfg, ino, st);
}

int node_setattr(const struct config *cfg, fuse_ino_t ino, const struct stat *attr, int to_set)
{
	struct stat st;
	double timeout;
	int r;

	r = node_getattr(cfg, ino, &st, &timeout);
	if (r < 0)
		return r;
	/* Everything but the root is a view the daemon derives (by-inode,
	 * by-exporter, new/BACKEND, proc, scanout): fixed, even for root. */
	if (ino != INO_ROOT)
		return -EPERM;
	if (to_set & FUSE_SET_ATTR_SIZE)
		return -EISDIR;
	root_setattr(cfg, attr, to_set);
	return 0;
}

int node_lookup(const struct config *cfg, fuse_ino_t parent, const char *name,
		struct fuse_entry_param *ep)
{
	const struct node_type_ops *t = node_type(parent);
	fuse_ino_t ino;
	bool allocated;
	int r;

	if (name_validate(name, strlen(name)) == -ENAMETOOLONG)
		return -ENAMETOOLONG;
	if (!t || !t->lookup)
		return t == &node_types[N_ENTRY] ? -ENOTDIR : -ENOENT;
	memset(ep, 0, sizeof(*ep));
	ino = t->lookup(cfg, parent, name);
	if (!ino && t->lookup_entry) {
		r = entry_lookup(name, &ep->attr, &allocated);
		if (r < 0)
			return r;
		ep->ino = ep->attr.st_ino;
		ep->attr_timeout = entry_attr_timeout(allocated);
		/* new/BACKEND/NAME is an alias the root's unlink does not drop */
		ep->entry_timeout = parent == INO_ROOT ? ENTRY_TIMEOUT_FILE : ENTRY_TIMEOUT;
		return 0;
	}
	if (!ino)
		return -ENOENT;
	r = node_getattr(cfg, ino, &ep->attr, &ep->attr_timeout);
	if (r < 0)
		return r;
	ep->ino = ino;
	ep->entry_timeout = node_type(ino)->entry_timeout;
	return 0;
}

int node_plus(const struct config *cfg, fuse_ino_t ino, const char *name,
	      struct fuse_entry_param *ep)
{
	bool allocated;
	int r;

	memset(ep, 0, sizeof(*ep));
	/* Only the root's children: elsewhere (links, proc/) lookup decides,
	 * as it always has. */
	if (ino_kind(ino) != NODE_ENTRY && ino_kind(ino) != NODE_FIXED) {
		ep->attr.st_ino = ino;
		return 0;
	}
	if (ino_kind(ino) == NODE_ENTRY) {
		r = entry_lookup_id(ino_id(ino), name, &ep->attr, &allocated);
		ep->attr_timeout = entry_attr_timeout(allocated);
		ep->entry_timeout = ENTRY_TIMEOUT_FILE;
	} else {
		r = node_getattr(cfg, ino, &ep->attr, &ep->attr_timeout);
		ep->entry_timeout = node_type(ino)->entry_timeout;
	}
	if (r == 0)
		ep->ino = ino;
	return r;
}

int node_fill(const struct config *cfg, const struct node_filler *f, fuse_ino_t ino)
{
	const struct node_type_ops *t = node_type(ino);

	return t && t->fill ? t->fill(cfg, f, ino) : -ENOTDIR;
}

int node_newdir_backend(fuse_ino_t ino, char *name, size_t namesz)
{
	if (ino_kind(ino) != NODE_NEW_DIR)
		return -EPERM;
	return table_name(&newdirs, ino_id(ino), name, namesz);
}
