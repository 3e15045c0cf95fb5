/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * What the discovery files share among themselves: fs/discover.c (the
 * proc/PID/ entries), discover-rules.c (who may see whose process) and
 * discover-take.c (taking another process's fd, the dma-buf device). The
 * rest of fs/ uses the discover_*() of fs-internal.h only.
 */
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* A /proc directory entry that names a pid or an fd. */
static inline bool is_number(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

/* ---- discover.c ---- */

/* pid's (0: the daemon's own) fd links like a dma-buf: a first filter,
 * read from the link alone; fdinfo_read() is the proof. */
bool discover_fd_link_is_dmabuf(pid_t pid, const char *fd);

/* ---- discover-rules.c ---- */

int discover_yama_scope(void);
/* 0 when the caller (the fsuid FUSE gives) may inspect pid, with the owner
 * its proc/ nodes get; -EACCES, or -ENOENT once pid is gone. */
int discover_caller_may(pid_t pid, uid_t caller, uid_t *owner);

/* ---- discover-take.c ---- */

/* pidfd_open(2), pidfd_getfd(2) and a null pidfd_send_signal(2), with the
 * errors turned into what a lookup answers (-ENOENT, -EACCES). */
int discover_open_pidfd(pid_t pid);
int discover_take_fd(int pidfd, int fd);
bool discover_pidfd_alive(int pidfd);
/* 0 when the fd taken is a dma-buf and, if want_ino, that inode. */
int discover_verify_taken(int fd, uint64_t want_ino);
/* Close an fd taken from someone else, off the caller's thread if it can. */
void discover_discard_fd(int fd);

/* The dma-buf file system's device, once learnt (false before). */
bool discover_dmabuf_dev_get(dev_t *dev);
void discover_dmabuf_dev_set(dev_t dev);
/* Learn it from pid's fd, a dma-buf of inode ino by its fdinfo. */
bool discover_dmabuf_dev_learn_from(pid_t pid, int fd, uint64_t ino, dev_t *dev);
/* Learn it from wherever it can be: once per daemon, in practice. */
bool discover_dmabuf_dev_learn(dev_t *dev);
