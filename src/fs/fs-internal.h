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
#include "fs/tree.h"
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

/* ---- node.c: the kinds of inode, each with its stat, lookup and fill ---- */
/* Attributes of any inode; *timeout gets the attribute timeout. */
int node_getattr(const struct config *cfg, fuse_ino_t ino, struct stat *st, double *timeout);
/* Resolve name in parent: fills ep (a counted lookup for buffer files). */
int node_lookup(const struct config *cfg, fuse_ino_t parent, const char *name,
		struct fuse_entry_param *ep);
/* The target of a by-inode or by-exporter link. */
int node_readlink(fuse_ino_t ino, char *buf, size_t bufsz);
struct dir_snapshot;
/* Fill a snapshot of directory ino; -ENOTDIR, -ENOENT. */
int node_fill(const struct config *cfg, struct dir_snapshot *d, fuse_ino_t ino);
/* The directory new/BACKEND's backend name (copied), for create; -EPERM
 * for any other inode. */
int node_newdir_backend(fuse_ino_t ino, char *name, size_t namesz);

/* ---- dir.c: directory snapshots ---- */
int dir_add(struct dir_snapshot *d, const char *name, fuse_ino_t ino, mode_t type);
/* Whether the snapshot already has name. */
bool dir_has(const struct dir_snapshot *d, const char *name);
void fs_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
void fs_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
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
struct entry;
/* The path the next open of e takes: "passthrough", "page-cache" or
 * "direct" (O_DIRECT and write-only opens are direct in any case). */
const char *file_access(const struct config *cfg, struct entry *e);

/* ---- xattr.c: the user.dmabuf.* attributes ---- */
void fs_getxattr(fuse_req_t req, fuse_ino_t ino, const char *name, size_t size);
void fs_listxattr(fuse_req_t req, fuse_ino_t ino, size_t size);
void fs_setxattr(fuse_req_t req, fuse_ino_t ino, const char *name, const char *value,
		 size_t size, int flags);
void fs_removexattr(fuse_req_t req, fuse_ino_t ino, const char *name);

/* ---- discover.c: dma-bufs held by other processes, under proc/PID/FD ---- */
/* PIDs (not ours) holding at least one dma-buf fd; *pids is malloc'ed. */
int discover_pids(pid_t **pids, size_t *n);
/* The dma-buf fds of one process; *fds is malloc'ed. -ENOENT if none. */
int discover_fds(pid_t pid, int **fds, size_t *n);
/* fdinfo of one discovered fd, and the uid owning the process. */
int discover_stat(pid_t pid, int fd, struct dmabuf_fdinfo *info, uid_t *owner);
/* Take the buffer (pidfd_getfd) for a caller with ptrace rights over pid:
 * same uid or root, else -EACCES. *owner: the process's uid. */
int discover_open(pid_t pid, int fd, uid_t uid, enum iomem_mode mode, struct buffer **out,
		  uid_t *owner);

/* ---- mount.c: mount tuning ---- */
/* The INIT request: capabilities wanted, the mount's time. */
void mount_init(struct fuse_conn_info *conn);
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
