/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * What the files of src/fs/ share, one section per file, in the style of
 * kmod's libkmod-internal.h. The entries have their own header, entry.h.
 */
#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "fs/fuse.h"
#include "fs/ops.h"
#include "tree/tree.h"
#include "policy.h"
#include "shared/fdinfo.h"

struct buffer;
struct config;

static inline struct fs_data *fs_data(fuse_req_t req)
{
	return fuse_req_userdata(req);
}

static inline const struct config *fs_config(fuse_req_t req)
{
	return fs_data(req)->cfg;
}

/* Names may change behind the kernel's back (control socket), and the
 * daemon tells it (notify_delete), so a short entry cache is safe. Sizes of
 * staged files change with every write: never cache their attributes. */
#define ENTRY_TIMEOUT 1.0
#define ATTR_TIMEOUT_FIXED 1.0
/* The root's buffer files: their names change behind the kernel's back only
 * by the control socket, which tells it (notify_delete; new names need no
 * word, lookups that fail are never cached), and an allocated buffer's
 * size, mode and owner only through the kernel's own requests. So `ls -l`
 * of thousands of them is served from the kernel's cache; the bound only
 * limits the harm of a change that would ever slip past both. */
#define ENTRY_TIMEOUT_FILE 60.0
#define ATTR_TIMEOUT_FILE 60.0

/* ---- node.c: the kinds of inode, each with its stat, lookup and fill ---- */
/* Attributes of any inode; *timeout gets the attribute timeout. */
int node_getattr(const struct config *cfg, fuse_ino_t ino, struct stat *st, double *timeout);
/* A derived node's attributes: mode, the mount's time, owner root. */
void node_stat_synthetic(struct stat *st, fuse_ino_t ino, mode_t mode);
/* setattr of any inode but a buffer file: the root's mode, owner and
 * times (the kernel has checked the caller), -EPERM for every other
 * node, -ENOENT for one that is gone. */
int node_setattr(const struct config *cfg, fuse_ino_t ino, const struct stat *attr, int to_set);
/* Resolve name in parent: fills ep (a counted lookup for buffer files). */
int node_lookup(const struct config *cfg, fuse_ino_t parent, const char *name,
		struct fuse_entry_param *ep);
/* The target of a by-inode or by-exporter link. */
int node_readlink(fuse_ino_t ino, char *buf, size_t bufsz);
/* readdirplus: the entry of child ino listed as name. A buffer file's
 * lookup is counted; ep->ino is 0 for what readdirplus leaves to lookup
 * (the kernel then treats it as a plain entry). -ENOENT: gone since the
 * listing. */
int node_plus(const struct config *cfg, fuse_ino_t ino, const char *name,
	      struct fuse_entry_param *ep);
/* Where a directory's listing goes (dir.c's snapshot): add() once per
 * child, in order; a nonzero return stops the listing and is returned.
 * node.c, root.c and scanout.c list through it and so never call into
 * dir.c. */
struct node_filler {
	int (*add)(void *d, const char *name, fuse_ino_t ino, mode_t type);
	void *d;
	uid_t caller; /* who opened the directory: what proc/ shows depends on it */
};

static inline int node_add(const struct node_filler *f, const char *name, fuse_ino_t ino,
			   mode_t type)
{
	return f->add(f->d, name, ino, type);
}

/* List directory ino into f; -ENOTDIR, -ENOENT. */
int node_fill(const struct config *cfg, const struct node_filler *f, fuse_ino_t ino);
/* The directory new/BACKEND's backend name (copied), for create; -EPERM
 * for any other inode. */
int node_newdir_backend(fuse_ino_t ino, char *name, size_t namesz);

/* ---- root.c: the mount's root directory, node.c's kind N_ROOT ---- */
/* Its mode, owner and times (the options' at the first stat, then what
 * setattr set), its fixed directories and buffer files. */
int root_stat(const struct config *cfg, fuse_ino_t ino, struct stat *st);
fuse_ino_t root_lookup(const struct config *cfg, fuse_ino_t parent, const char *name);
int root_fill(const struct config *cfg, const struct node_filler *f, fuse_ino_t ino);
/* Set what to_set names (FUSE_SET_ATTR_*) from attr; the kernel has
 * checked the caller (default_permissions). */
void root_setattr(const struct config *cfg, const struct stat *attr, int to_set);

/* ---- handle.c: fi->fh values, a table per kind (not raw pointers) ---- */
enum fh_kind {
	FH_FILE,
	FH_DIR,
	FH_KINDS
};
/* Put p in the table under a new fh (*fh out) whose low bit is tag; -ENOMEM. */
int fh_add(enum fh_kind kind, void *p, bool tag, uint64_t *fh);
/* Put p under fh, one the previous process gave the kernel; -EEXIST when
 * another request adopted it first. */
int fh_add_as(enum fh_kind kind, uint64_t fh, void *p);
/* What fh holds, NULL when this process never made or adopted it. */
void *fh_get(enum fh_kind kind, uint64_t fh);
/* Take fh out: what it held, or NULL. */
void *fh_remove(enum fh_kind kind, uint64_t fh);

/* ---- dir.c: directory snapshots ---- */
void fs_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
void fs_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, struct fuse_file_info *fi);
void fs_readdirplus(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		    struct fuse_file_info *fi);
void fs_releasedir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);

/* ---- file.c: open files ---- */
void fs_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
void fs_create(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode,
	       struct fuse_file_info *fi);
void fs_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, struct fuse_file_info *fi);
void fs_write(fuse_req_t req, fuse_ino_t ino, const char *src, size_t size, off_t off,
	      struct fuse_file_info *fi);
void fs_write_buf(fuse_req_t req, fuse_ino_t ino, struct fuse_bufvec *bufv, off_t off,
		  struct fuse_file_info *fi);
void fs_flush(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
void fs_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
void fs_fsync(fuse_req_t req, fuse_ino_t ino, int datasync, struct fuse_file_info *fi);
void fs_fallocate(fuse_req_t req, fuse_ino_t ino, int mode, off_t offset, off_t length,
		  struct fuse_file_info *fi);
void fs_ioctl(fuse_req_t req, fuse_ino_t ino, unsigned int cmd, void *arg,
	      struct fuse_file_info *fi, unsigned flags, const void *in_buf, size_t in_bufsz,
	      size_t out_bufsz);

/* ---- passthrough.c: which opens the kernel passes through ---- */
struct entry;
/* Choose and count the path of a new open of e: true when passed through
 * (fi->backing_id set), else fi's direct_io as the open needs. */
bool io_open(fuse_req_t req, struct entry *e, struct fuse_file_info *fi);
/* Count (n = 1) or uncount (n = -1) an open of e of one kind. */
void io_count(struct entry *e, bool passthrough, int n);
/* The path the next open of e takes: "passthrough", "page-cache" or
 * "direct" (O_DIRECT and write-only opens are direct in any case). */
const char *file_access(const struct config *cfg, struct entry *e);

/* ---- sync.c: DMA_BUF_IOCTL_SYNC through the page cache ---- */
/* SYNC_START, or SYNC_END of a write: write back and drop inode ino's
 * cached pages, and reply (EAGAIN when too many invalidations run). */
void sync_invalidate(fuse_req_t req, fuse_ino_t ino);

/* ---- xattr.c: the user.dmabuf.* attributes ---- */
void fs_getxattr(fuse_req_t req, fuse_ino_t ino, const char *name, size_t size);
void fs_listxattr(fuse_req_t req, fuse_ino_t ino, size_t size);
void fs_setxattr(fuse_req_t req, fuse_ino_t ino, const char *name, const char *value, size_t size,
		 int flags);
void fs_removexattr(fuse_req_t req, fuse_ino_t ino, const char *name);

/* ---- discover*.c: dma-bufs held by other processes, under proc/PID/ ---- */
/* One holder node of proc/PID/: "FD" (held by fd) or "map-INO" (only
 * mapped). */
struct discover_item {
	char name[32];
	uint64_t node;	   /* its FUSE inode */
	unsigned int kind; /* HOLDER_FD or HOLDER_MAP (shared/holders.h) */
	uint64_t kino;	   /* the kernel's inode of the dma-buf */
};
/* PIDs (not ours) holding at least one dma-buf; *pids is malloc'ed. */
int discover_pids(pid_t **pids, size_t *n);
/* The holder nodes of one process; *items is malloc'ed. */
int discover_list(pid_t pid, struct discover_item **items, size_t *n);
/* The inode of proc/PID/map-INO, 0 when it cannot have one. */
uint64_t discover_map_node(pid_t pid, uint64_t kino);
/* Whether (pid, fd) as ino_proc_fd_split() gives them is a map-INO node. */
bool discover_is_map_node(pid_t pid, int fd);
/* The owner proc/PID's nodes get (ptrace's rules on the target's side):
 * its uid, or 0 for root only; -EACCES for nobody, -ENOENT when gone. */
int discover_owner(pid_t pid, uid_t *owner);
/* What a node of proc/PID/ shows (fdinfo, or the mappings and the kernel's
 * bufinfo for map-INO), and its owner. */
int discover_stat(pid_t pid, int fd, struct dmabuf_fdinfo *info, uid_t *owner);
/* Take the buffer (pidfd_getfd) for a caller with ptrace rights over pid,
 * else -EACCES; the fd taken is checked to be the dma-buf listed.
 * *owner: the nodes' owner. */
int discover_open(pid_t pid, int fd, uid_t uid, enum iomem_mode mode, struct buffer **out,
		  uid_t *owner);
/* by-inode/INO of a buffer only other processes hold: a link to its first
 * holder's node (a NODE_INO_LINK inode of its own). */
uint64_t discover_ino_link(pid_t pid, uint64_t kino);
bool discover_is_ino_link(uint64_t ino);
int discover_ino_link_target(uint64_t ino, char *buf, size_t bufsz);
/* The link inode for kino, or -ENOENT when no process holds it. */
int discover_by_inode(uint64_t kino, uint64_t *link);
/* add(d, kino, link) for every discovered buffer (duplicates included). */
int discover_fill_by_inode(int (*add)(void *d, uint64_t kino, uint64_t link), void *d);

/* ---- scanout.c: what each KMS plane shows, scanout/CARD/crtc-N/plane-K ---- */
/* Whether the machine has a KMS card, so scanout/ is shown. */
bool scanout_present(void);
/* The node kind NODE_SCANOUT (node.c's table): directories and plane files. */
int scanout_stat(const struct config *cfg, fuse_ino_t ino, struct stat *st);
fuse_ino_t scanout_lookup(const struct config *cfg, fuse_ino_t parent, const char *name);
int scanout_fill(const struct config *cfg, const struct node_filler *f, fuse_ino_t ino);
/* The framebuffer a plane file shows now, as a buffer (root only, else
 * -EACCES); -ENOENT when the plane shows nothing there any more. */
int scanout_open(fuse_ino_t ino, uid_t uid, enum iomem_mode mode, struct buffer **out);
/* user.dmabuf.KEY of a plane file, from the framebuffer it shows now. */
int scanout_xattr(const struct config *cfg, fuse_ino_t ino, const char *key, char *val,
		  size_t valsz);

/* ---- mount.c: mount tuning ---- */
/* The INIT request: capabilities wanted, the mount's time. */
void mount_init(const struct config *cfg, struct fuse_conn_info *conn);
/* The first request after INIT raises the mount's readahead, once. */
void mount_after_init(const struct config *cfg);
/* Synthetic directories and links carry the mount's time, not 1970. */
struct timespec mount_time(void);
/* INIT granted FUSE passthrough, and the kernel has not refused it since. */
bool mount_passthrough(void);
/* The kernel refused a backing file with err: log once, stop trying. */
void mount_passthrough_refused(int err);
/* INIT granted FUSE_DIRECT_IO_ALLOW_MMAP: direct-I/O opens can be mapped. */
bool mount_direct_io_mmap(void);
