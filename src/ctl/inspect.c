// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The snapshot `dmabufctl top` and `watch` show (top.c, watch.c): who holds
 * which dma-buf. Everything comes from the mounted tree, as any program
 * would see it: the buffer files (size, user.dmabuf.inode/exporter/holders),
 * proc/PID/ (the buffers of other processes the caller may inspect), and,
 * for buffers no process holds, the kernel's own list (debugfs bufinfo,
 * root only) when it can be read; when it cannot, the snapshot says so
 * rather than guess.
 *
 * The buffer files come from the daemon's LIST with their holders
 * (list-socket.c) when its control socket answers for the mount: one walk
 * of /proc per chunk of the listing in the daemon, where reading each
 * file's user.dmabuf.holders makes it walk /proc once per buffer. The
 * snapshot is the same either way.
 */
#include <dirent.h>
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>

#include "ctl/ctl.h"
#include "ctl/list-socket.h"
#include "lib/proto.h"
#include "shared/bufinfo.h"
#include "shared/holders.h"
#include "shared/kbufs.h"
#include "shared/util.h"

/* ---- the snapshot ---- */

static int grow(void **v, size_t *n, size_t *cap, size_t elem)
{
	if (*n == *cap) {
		size_t c = *cap ? *cap * 2 : 32;
		void *nv = realloc(*v, c * elem);

		if (!nv)
			return -ENOMEM;
		*v = nv;
		*cap = c;
	}
	memset((char *)*v + *n * elem, 0, elem);
	(*n)++;
	return 0;
}

static int add_record(struct inspect_snapshot *s, uint64_t ino, uint64_t size, pid_t pid,
		      enum holder_kind kind, const char *exp)
{
	struct holder_record *r;

	if (grow((void **)&s->recs, &s->nrecs, &s->recs_cap, sizeof(*r)) < 0)
		return -ENOMEM;
	r = &s->recs[s->nrecs - 1];
	r->ino = ino;
	r->size = size;
	r->pid = pid;
	r->kind = kind;
	snprintf(r->exp_name, sizeof(r->exp_name), "%s", exp);
	return 0;
}

static int add_name(struct inspect_snapshot *s, uint64_t ino, const char *name)
{
	struct inspect_name *n;

	if (grow((void **)&s->names, &s->nnames, &s->names_cap, sizeof(*n)) < 0)
		return -ENOMEM;
	n = &s->names[s->nnames - 1];
	n->ino = ino;
	n->name = strdup(name);
	return n->name ? 0 : -ENOMEM;
}

/* One of the daemon's buffer files, owned by uid. */
static int add_uid(struct inspect_snapshot *s, uid_t uid, uint64_t size)
{
	struct inspect_uid *u = NULL;

	for (size_t i = 0; i < s->nuids && !u; i++)
		if (s->uids[i].uid == uid)
			u = &s->uids[i];
	if (!u) {
		if (grow((void **)&s->uids, &s->nuids, &s->uids_cap, sizeof(*u)) < 0)
			return -ENOMEM;
		u = &s->uids[s->nuids - 1];
		u->uid = uid;
	}
	u->nbufs++;
	u->size += size;
	return 0;
}

static int xattr_u64(const char *path, const char *key, uint64_t *out)
{
	char v[64];
	int r = get_xattr(path, key, v, sizeof(v));

	return r < 0 ? r : parse_u64(v, 10, out);
}

/* "PID:KINDS PID:KINDS ..." (user.dmabuf.holders' value, cut up in v). */
static int add_holders_text(struct inspect_snapshot *s, char *v, uint64_t ino, uint64_t size,
			    const char *exp)
{
	char *save = NULL;
	int r = 0;

	for (char *t = strtok_r(v, " \t\n", &save); t && r == 0;
	     t = strtok_r(NULL, " \t\n", &save)) {
		char *colon = strchr(t, ':');
		uint64_t pid;

		if (!colon)
			continue;
		*colon = '\0';
		if (parse_u64(t, 10, &pid) < 0 || pid == 0 || pid > INT32_MAX)
			continue;
		if (strstr(colon + 1, "fd"))
			r = add_record(s, ino, size, (pid_t)pid, HOLDER_FD, exp);
		if (r == 0 && strstr(colon + 1, "map"))
			r = add_record(s, ino, size, (pid_t)pid, HOLDER_MAP, exp);
	}
	return r;
}

/* The holders of the buffer file path, from its user.dmabuf.holders. The
 * daemon answers EAGAIN when its walker of /proc is busy for others (see
 * dmabuffs(5)): ask again, for up to 5 s. */
static int add_holders(struct inspect_snapshot *s, const char *path, uint64_t ino, uint64_t size,
		       const char *exp)
{
	const struct timespec pause = { 0, 50 * 1000000L };
	char v[4096];
	int r;

	for (int i = 0;
	     (r = get_xattr(path, XATTR_PREFIX "holders", v, sizeof(v))) == -EAGAIN && i < 100; i++)
		nanosleep(&pause, NULL);
	return r < 0 ? r : add_holders_text(s, v, ino, size, exp);
}

/* What a file the caller may not read, or that vanished, leaves. */
static int root_skip(struct inspect_snapshot *s, int r)
{
	if (r == -EACCES || r == -ENOENT || r == -ENODATA) {
		s->hidden_files += r == -EACCES;
		r = 0;
	}
	return r;
}

/* The daemon's own buffers: the regular files of the root. */
static int scan_root(struct inspect_snapshot *s, const char *mnt)
{
	_cleanup_closedir_ DIR *d = opendir(mnt);
	struct dirent *de;
	int r = 0;

	if (!d)
		return -errno;
	while ((de = readdir(d)) && r == 0) {
		_cleanup_free_ char *path = NULL;
		char exp[64];
		uint64_t ino;
		struct stat st;

		if (de->d_type != DT_REG && de->d_type != DT_UNKNOWN)
			continue;
		if (asprintf(&path, "%s/%s", mnt, de->d_name) < 0)
			return -ENOMEM;
		if (lstat(path, &st) < 0 || !S_ISREG(st.st_mode))
			continue;
		/* No inode: a name with no buffer yet. Unreadable: another
		 * user's file, counted as hidden. */
		r = xattr_u64(path, XATTR_PREFIX "inode", &ino);
		if (r == -ENODATA) {
			r = 0;
			continue;
		}
		if (r == 0)
			r = get_xattr(path, XATTR_PREFIX "exporter", exp, sizeof(exp));
		if (r == 0)
			r = add_holders(s, path, ino, (uint64_t)st.st_size, exp);
		if (r == 0)
			r = add_name(s, ino, de->d_name);
		if (r == 0)
			r = add_uid(s, st.st_uid, (uint64_t)st.st_size);
		r = root_skip(s, r);
	}
	return r;
}

struct root_list {
	struct inspect_snapshot *s;
	const char *mnt;
};

/*
 * One buffer of the daemon's LIST as scan_root() would have read the file:
 * an exporter of null is a file the caller may not read (getxattr:
 * EACCES), an inode of null one with no buffer yet (ENODATA). A daemon
 * that did not give the holders (one from before PROTO_LIST_HOLDERS, or
 * one that could not have them) leaves them to the attribute.
 */
static int root_item(json_object *o, void *data)
{
	struct root_list *l = data;
	_cleanup_free_ char *name = list_hex_name(o), *path = NULL;
	json_object *exp, *ino, *size, *hold, *uid;
	char expname[64], v[4096];
	uint64_t kino, bytes;
	int r;

	if (!name)
		return -EPROTO;
	if (!json_object_object_get_ex(o, "exporter", &exp) || !exp) {
		l->s->hidden_files++;
		return 0;
	}
	if (!json_object_object_get_ex(o, "inode", &ino) || !ino)
		return 0;
	if (!json_object_object_get_ex(o, "size", &size))
		return -EPROTO;
	kino = (uint64_t)json_object_get_int64(ino);
	bytes = (uint64_t)json_object_get_int64(size);
	snprintf(expname, sizeof(expname), "%s", json_object_get_string(exp));
	if (json_object_object_get_ex(o, "holders", &hold) && hold) {
		snprintf(v, sizeof(v), "%s", json_object_get_string(hold));
		r = add_holders_text(l->s, v, kino, bytes, expname);
	} else if (asprintf(&path, "%s/%s", l->mnt, name) < 0) {
		return -ENOMEM;
	} else {
		r = add_holders(l->s, path, kino, bytes, expname);
	}
	if (r == 0)
		r = add_name(l->s, kino, name);
	if (r == 0 && json_object_object_get_ex(o, "uid", &uid))
		r = add_uid(l->s, (uid_t)json_object_get_int64(uid), bytes);
	return root_skip(l->s, r);
}

/* The buffer files from the daemon's LIST, else from the mount. */
static int scan_root_any(struct inspect_snapshot *s, const char *mnt)
{
	struct root_list l = { s, mnt };

	if (list_socket_each(mnt, PROTO_LIST_HOLDERS, root_item, &l) == 0) {
		const struct list_daemon *d = list_socket_daemon();

		s->files_source = "control";
		s->daemon_known = d->known;
		s->daemon_connections = d->connections;
		s->daemon_restarts = d->restarts;
		s->daemon_backing_ids = d->backing_ids;
		return 0;
	}
	/* What came before the socket failed goes: the mount says it all. */
	inspect_snapshot_free(s);
	s->files_source = "mount";
	return scan_root(s, mnt);
}

static int scan_proc_pid(struct inspect_snapshot *s, const char *dir, pid_t pid)
{
	_cleanup_closedir_ DIR *d = opendir(dir);
	struct dirent *de;
	int r = 0;

	if (!d) {
		s->hidden_procs += errno == EACCES;
		return 0;
	}
	while ((de = readdir(d)) && r == 0) {
		_cleanup_free_ char *path = NULL, *rel = NULL;
		bool map = strncmp(de->d_name, "map-", 4) == 0;
		struct stat st;
		uint64_t ino;
		char exp[64];

		if (de->d_name[0] == '.')
			continue;
		if (asprintf(&path, "%s/%s", dir, de->d_name) < 0 ||
		    asprintf(&rel, "proc/%d/%s", (int)pid, de->d_name) < 0)
			return -ENOMEM;
		if (stat(path, &st) < 0 || xattr_u64(path, XATTR_PREFIX "inode", &ino) < 0 ||
		    get_xattr(path, XATTR_PREFIX "exporter", exp, sizeof(exp)) < 0)
			continue; /* gone meanwhile */
		r = add_record(s, ino, (uint64_t)st.st_size, pid, map ? HOLDER_MAP : HOLDER_FD,
			       exp);
		if (r == 0)
			r = add_name(s, ino, rel);
	}
	return r;
}

/* Other processes' buffers, as far as the caller may see them. */
static int scan_proc(struct inspect_snapshot *s, const char *mnt)
{
	_cleanup_free_ char *proc = NULL;
	_cleanup_closedir_ DIR *d = NULL;
	struct dirent *de;
	int r = 0;

	if (asprintf(&proc, "%s/proc", mnt) < 0)
		return -ENOMEM;
	d = opendir(proc);
	if (!d)
		return errno == ENOENT ? 0 : -errno; /* nodiscover */
	s->discovery = true;
	while ((de = readdir(d)) && r == 0) {
		_cleanup_free_ char *dir = NULL;
		uint64_t pid;

		if (parse_u64(de->d_name, 10, &pid) < 0 || pid == 0 || pid > INT32_MAX)
			continue;
		if (asprintf(&dir, "%s/%s", proc, de->d_name) < 0)
			return -ENOMEM;
		r = scan_proc_pid(s, dir, (pid_t)pid);
	}
	return r;
}

/* Buffers no process holds: the kernel's list, from the first source that
 * answers (kbufs.c: the BPF iterator, then debugfs bufinfo). */
static int scan_kernel(struct inspect_snapshot *s)
{
	struct kbufs k;
	int r = kbufs_read(getenv("DMABUFCTL_BUFINFO"), &k);

	if (r < 0)
		return r;
	s->kernel_source = k.source;
	snprintf(s->kernel_note, sizeof(s->kernel_note), "%s", k.reason);
	s->kernel_visible = k.source != KBUFS_NONE;
	for (size_t i = 0; i < k.list.n && r == 0; i++) {
		struct holder_record rec;

		bufinfo_entry_record(&k.list.entries[i], &rec);
		r = add_record(s, rec.ino, rec.size, 0, HOLDER_KERNEL, rec.exp_name);
		/* The kernel's name (DMA_BUF_SET_NAME): after the files', so
		 * that it names only a buffer no file names. */
		if (r == 0 && k.list.entries[i].name[0])
			r = add_name(s, rec.ino, k.list.entries[i].name);
	}
	kbufs_free(&k);
	return r;
}

/* Each holder's cgroup, then the totals per cgroup. A process gone
 * meanwhile, or whose cgroup cannot be read, is counted under "?". */
static int scan_cgroups(struct inspect_snapshot *s)
{
	const struct holders_model *m = s->model;

	s->proc_cgroup = calloc(m->nprocs ? m->nprocs : 1, sizeof(*s->proc_cgroup));
	if (!s->proc_cgroup)
		return -ENOMEM;
	for (size_t i = 0; i < m->nprocs; i++) {
		char path[CGROUP_PATH_MAX];

		if (cgroup_of_pid(m->procs[i].pid, path, sizeof(path)) < 0)
			path[0] = '\0';
		s->proc_cgroup[i] = strdup(path);
		if (!s->proc_cgroup[i])
			return -ENOMEM;
	}
	return cgroup_totals(m, (const char *const *)s->proc_cgroup, &s->cgroups, &s->ncgroups);
}

int inspect_snapshot_take(const char *mnt, struct inspect_snapshot *s)
{
	int r;

	memset(s, 0, sizeof(*s));
	r = scan_root_any(s, mnt);
	if (r == 0)
		r = scan_proc(s, mnt);
	if (r == 0)
		r = scan_kernel(s);
	if (r == 0)
		r = holders_build(s->recs, s->nrecs, &s->model);
	if (r == 0)
		r = scan_cgroups(s);
	if (r < 0)
		inspect_snapshot_free(s);
	return r;
}

void inspect_snapshot_free(struct inspect_snapshot *s)
{
	for (size_t i = 0; i < s->nnames; i++)
		free(s->names[i].name);
	free(s->names);
	free(s->recs);
	free(s->uids);
	for (size_t i = 0; s->proc_cgroup && i < s->model->nprocs; i++)
		free(s->proc_cgroup[i]);
	free(s->proc_cgroup);
	free(s->cgroups);
	holders_model_free(s->model);
	memset(s, 0, sizeof(*s));
}

/* The first name the tree gives ino (a buffer file before proc/ nodes). */
const char *inspect_name(const struct inspect_snapshot *s, uint64_t ino)
{
	for (size_t i = 0; i < s->nnames; i++)
		if (s->names[i].ino == ino)
			return s->names[i].name;
	return NULL;
}
