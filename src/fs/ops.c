// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The FUSE low-level handlers, after libfuse's example/passthrough_ll.c:
 * one const struct fuse_lowlevel_ops, each handler replies exactly once,
 * and no lock is held across a fuse_reply_*() call (the kernel may send
 * another request into this daemon before the reply returns) — which holds
 * by construction: every lock is static in its own file and taken only by
 * that file's functions, which return with none held (HACKING.md lists
 * them), and no file that holds one calls fuse_reply_*(). The handlers here
 * are thin: node.c resolves and stats, the model (src/tree) changes names,
 * dir.c lists, file.c does open files.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/statvfs.h>

#include "charge/charge.h"
#include "tree/entry.h"
#include "tree/persist.h"
#include "fs/fs-internal.h"
#include "tree/quota.h"
#include "shared/log.h"
#include "shared/util.h"

static void fs_init(void *userdata, struct fuse_conn_info *conn)
{
	const struct fs_data *data = userdata;

	mount_init(data->cfg, conn);
}

static void fs_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct fuse_entry_param ep;
	int r;

	mount_after_init(fs_config(req));
	r = node_lookup(fs_config(req), parent, name, &ep);
	if (r < 0)
		fuse_reply_err(req, -r);
	else
		fuse_reply_entry(req, &ep);
}

static void forget_one(fuse_ino_t ino, uint64_t nlookup)
{
	/* Only entries are counted; synthetic inodes are derived on demand. */
	if (ino_kind(ino) == NODE_ENTRY)
		entry_forget(ino_id(ino), nlookup);
}

static void fs_forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup)
{
	forget_one(ino, nlookup);
	fuse_reply_none(req);
}

static void fs_forget_multi(fuse_req_t req, size_t count, struct fuse_forget_data *forgets)
{
	for (size_t i = 0; i < count; i++)
		forget_one(forgets[i].ino, forgets[i].nlookup);
	fuse_reply_none(req);
}

static void reply_attr(fuse_req_t req, fuse_ino_t ino)
{
	struct stat st;
	double timeout;
	int r;

	r = node_getattr(fs_config(req), ino, &st, &timeout);
	if (r < 0)
		fuse_reply_err(req, -r);
	else
		fuse_reply_attr(req, &st, timeout);
}

static void fs_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	mount_after_init(fs_config(req));
	reply_attr(req, ino);
}

/* FUSE_SET_ATTR_* as the model's enum entry_set. */
static unsigned int entry_set_flags(int to_set)
{
	static const struct {
		int fuse;
		unsigned int entry;
	} map[] = {
		{ FUSE_SET_ATTR_SIZE, ENTRY_SET_SIZE },
		{ FUSE_SET_ATTR_MODE, ENTRY_SET_MODE },
		{ FUSE_SET_ATTR_UID, ENTRY_SET_UID },
		{ FUSE_SET_ATTR_GID, ENTRY_SET_GID },
		{ FUSE_SET_ATTR_ATIME, ENTRY_SET_ATIME },
		{ FUSE_SET_ATTR_ATIME_NOW, ENTRY_SET_ATIME_NOW },
		{ FUSE_SET_ATTR_MTIME, ENTRY_SET_MTIME },
		{ FUSE_SET_ATTR_MTIME_NOW, ENTRY_SET_MTIME_NOW },
	};
	unsigned int out = 0;

	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		if (to_set & map[i].fuse) {
			out |= map[i].entry;
			to_set &= ~map[i].fuse;
		}
	}
	/* FUSE_SET_ATTR_CTIME, and whatever a newer kernel adds: ctime. */
	return out | (to_set ? ENTRY_SET_CTIME : 0);
}

static void fs_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr, int to_set,
		       struct fuse_file_info *fi)
{
	struct entry *e = ino_kind(ino) == NODE_ENTRY ? entry_find(ino_id(ino)) : NULL;
	int r;

	/* The root's attributes change; the tree's other nodes and
	 * discovered buffers have fixed ones. */
	if (e) {
		/* A truncate allocates: in the caller's memory cgroup. */
		CHARGE_CALLER(fuse_req_ctx(req)->pid);

		r = entry_setattr(e, attr, entry_set_flags(to_set));
	} else if (ino_kind(ino) == NODE_ENTRY) {
		r = -ENOENT;
	} else {
		r = node_setattr(fs_config(req), ino, attr, to_set);
	}
	if (r < 0)
		fuse_reply_err(req, -r);
	else
		reply_attr(req, ino);
}

static void fs_readlink(fuse_req_t req, fuse_ino_t ino)
{
	char target[300];
	int r = node_readlink(ino, target, sizeof(target));

	if (r < 0)
		fuse_reply_err(req, -r);
	else
		fuse_reply_readlink(req, target);
}

/* ---- what the tree refuses ---- */

static void fs_mknod(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode, dev_t rdev)
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

/* A file created (or looked up) as new/BACKEND/NAME has that name in the
 * kernel besides the root's, and the kernel's entry holds the inode, so the
 * buffer, until looked up again: when NAME goes, drop every alias. */
static void forget_aliases(struct fuse_session *se, const char *name)
{
	char backend[64];

	for (uint64_t i = 0; se; i++) {
		fuse_ino_t dir = ino_make(NODE_NEW_DIR, i);

		if (node_newdir_backend(dir, backend, sizeof(backend)) < 0)
			break; /* past the last new/BACKEND the kernel was shown */
		fuse_lowlevel_notify_inval_entry(se, dir, name, strlen(name));
	}
}

/* A call the previous process made and died before answering, resent to
 * this one (a re-attach): it succeeded. */
static int log_resent(const char *what, const char *name)
{
	log_info("%s: %s made by the previous process, answered now", name, what);
	return 0;
}

static void fs_unlink(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	/* req and its name are gone after the reply */
	struct fuse_session *se = fs_data(req)->se;
	char gone[256];
	int r;

	if (parent != INO_ROOT) {
		fuse_reply_err(req, ino_kind(parent) == NODE_NEW_DIR ? ENOENT : EPERM);
		return;
	}
	snprintf(gone, sizeof(gone), "%s", name);
	persist_note(PERSIST_UNLINK, fuse_req_ctx(req)->pid, name, NULL);
	r = entry_unlink(name);
	if (r == -ENOENT && persist_was_done(PERSIST_UNLINK, fuse_req_ctx(req)->pid, gone, NULL))
		r = log_resent("unlink", gone);
	if (r == 0)
		log_info("%s: unlinked", name);
	fuse_reply_err(req, -r);
	/* Only after the reply: until then the kernel holds the inode's lock,
	 * which an `rm new/BACKEND/NAME` waits for holding the lock that the
	 * invalidation of that alias takes. */
	if (r == 0)
		forget_aliases(se, gone);
}

static void fs_rename(fuse_req_t req, fuse_ino_t parent, const char *name, fuse_ino_t newparent,
		      const char *newname, unsigned int flags)
{
	struct fuse_session *se = fs_data(req)->se;
	char from[256], to[256];
	int r;

	if (parent != INO_ROOT || newparent != INO_ROOT) {
		fuse_reply_err(req, EPERM);
		return;
	}
	if (flags & RENAME_EXCHANGE) {
		fuse_reply_err(req, EINVAL);
		return;
	}
	snprintf(from, sizeof(from), "%s", name);
	snprintf(to, sizeof(to), "%s", newname);
	persist_note(PERSIST_RENAME, fuse_req_ctx(req)->pid, name, newname);
	r = entry_rename(name, newname, flags & RENAME_NOREPLACE);
	if (r == -ENOENT && persist_was_done(PERSIST_RENAME, fuse_req_ctx(req)->pid, from, to))
		r = log_resent("rename", from);
	if (r == 0)
		log_info("%s: renamed to %s", name, newname);
	fuse_reply_err(req, -r);
	if (r == 0) {
		/* The old name's aliases, and a replaced file's (as fs_unlink). */
		forget_aliases(se, from);
		forget_aliases(se, to);
	}
}

static void fs_statfs(fuse_req_t req, fuse_ino_t ino)
{
	struct statvfs sv = {
		.f_bsize = 4096,
		.f_frsize = 4096,
		.f_namemax = 255,
	};
	uint64_t bytes, files, avail;

	tree_usage(&bytes, &files);
	/* Without a byte quota, what the default backend can still give:
	 * memfds, udmabuf, the heaps and shmem GEM objects take RAM, so
	 * MemAvailable (for a VRAM card only an estimate: no kernel
	 * interface tells the VRAM left). Free space 0 made df show a
	 * healthy mount 100% full. */
	if (mem_available(&avail) < 0)
		avail = 0;
	sv.f_blocks = (bytes + 4095) / 4096 + avail / 4096;
	sv.f_bfree = sv.f_bavail = avail / 4096;
	sv.f_files = files;
	/* As the caller sees it: its limits and what is left of them. */
	quota_statfs(fuse_req_ctx(req)->uid, &sv);
	fuse_reply_statfs(req, &sv);
}

/* Only user.* names can exist (xattr.c serves user.dmabuf.*): for the other
 * namespaces the file system has no support, ENOTSUP, which `ls -l`
 * remembers per file system; ENODATA would have it ask for every file's
 * security.selinux, one request each. */
static void fs_getxattr_ns(fuse_req_t req, fuse_ino_t ino, const char *name, size_t size)
{
	if (strncmp(name, "user.", 5) != 0) {
		fuse_reply_err(req, ENOTSUP);
		return;
	}
	fs_getxattr(req, ino, name, size);
}

unsigned int fs_reattached(struct fuse_session *se)
{
	_cleanup_free_ uint64_t *ids = NULL;
	unsigned int released = 0;
	size_t n;

	if (persist_kernel_held_ids(&ids, &n) < 0)
		return 0;
	/* The kernel answers an invalidation of an inode it does not hold
	 * with ENOENT (fuse_reverse_inval_inode()); offset -1: the
	 * attributes only. A buffer file only the control socket used (a
	 * publication) would else wait for a FORGET that never comes. */
	for (size_t i = 0; i < n; i++)
		if (fuse_lowlevel_notify_inval_inode(se, ino_entry(ids[i]), -1, 0) == -ENOENT) {
			/* No lookup is counted yet (the loop has not started):
			 * a FORGET of 1 is more than this process counted,
			 * which ends the wait, and frees an unused entry. */
			entry_forget(ids[i], 1);
			released++;
		}
	return released;
}

void fs_notify_gone(const char *name, uint64_t ino, void *data)
{
	struct fs_data *fsd = data;

	if (!fsd || !fsd->se)
		return;
	/* Best effort: the kernel may not have the name cached at all. */
	fuse_lowlevel_notify_delete(fsd->se, INO_ROOT, ino, name, strlen(name));
	forget_aliases(fsd->se, name);
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
	.readdirplus = fs_readdirplus,
	.releasedir = fs_releasedir,
	.statfs = fs_statfs,
	.setxattr = fs_setxattr,
	.getxattr = fs_getxattr_ns,
	.listxattr = fs_listxattr,
	.removexattr = fs_removexattr,
	.create = fs_create,
	.ioctl = fs_ioctl,
	.fallocate = fs_fallocate,
};
