/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#define FUSE_USE_VERSION 35
#include <fuse_lowlevel.h>
#include <stdbool.h>

#include "shared/fdinfo.h"

struct buffer;
struct entry;

extern const struct fuse_lowlevel_ops fs_ops;

/* An open file: a buffer file (entry) or a discovered buffer (buf only). */
struct handle {
	struct entry *e;
	struct buffer *buf;
	/* When a read on this open file last gave up on a fence (ms,
	 * CLOCK_MONOTONIC); see fence_timeout_for(). */
	int64_t fence_expired_ms;
};

/* xattr.c: the user.dmabuf.* attributes of buffer files. */
void fs_getxattr(fuse_req_t req, fuse_ino_t ino, const char *name, size_t size);
void fs_listxattr(fuse_req_t req, fuse_ino_t ino, size_t size);
void fs_setxattr(fuse_req_t req, fuse_ino_t ino, const char *name, const char *value,
		 size_t size, int flags);
void fs_removexattr(fuse_req_t req, fuse_ino_t ino, const char *name);

/* discover.c: dma-bufs held by other processes, under proc/PID/FD. */
/* PIDs (not ours) holding at least one dma-buf fd; *pids is malloc'ed. */
int discover_pids(pid_t **pids, size_t *n);
/* The dma-buf fds of one process; *fds is malloc'ed. -ENOENT if none. */
int discover_fds(pid_t pid, int **fds, size_t *n);
/* fdinfo of one discovered fd, and the uid owning the process. */
int discover_stat(pid_t pid, int fd, struct dmabuf_fdinfo *info, uid_t *owner);
/* Take the buffer (pidfd_getfd) for a caller with ptrace rights over pid:
 * same uid or root, else -EACCES. */
int discover_open(pid_t pid, int fd, uid_t uid, struct buffer **out);
