// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Taking another process's fd safely: pidfd_getfd(2) on a pidfd opened
 * first, then proof that what came is the dma-buf that was listed, and a
 * close that a hostile FUSE server cannot block the daemon with. With it
 * the dma-buf file system's device, which only such a proven fd (or one of
 * the daemon's own buffers) can teach. Separate from discover.c, which
 * only reads /proc: this is the code that touches files of someone else's,
 * and every rule about doing so safely is here.
 */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buffer.h"
#include "fs/discover-internal.h"
#include "tree/entry.h"
#include "shared/fdinfo.h"
#include "shared/macro.h"
#include "shared/pidfd.h"

/* ---- the dma-buf file system's device ---- */

/* Map holders are told from files that merely have a "/dmabuf:" name by
 * their device, learnt once from an fd that is known to be a dma-buf. */
static pthread_mutex_t dev_lock = PTHREAD_MUTEX_INITIALIZER;
static dev_t dmabuf_dev;
static bool dmabuf_dev_known;

bool discover_dmabuf_dev_get(dev_t *dev)
{
	bool known;

	pthread_mutex_lock(&dev_lock);
	known = dmabuf_dev_known;
	*dev = dmabuf_dev;
	pthread_mutex_unlock(&dev_lock);
	return known;
}

void discover_dmabuf_dev_set(dev_t dev)
{
	pthread_mutex_lock(&dev_lock);
	dmabuf_dev = dev;
	dmabuf_dev_known = true;
	pthread_mutex_unlock(&dev_lock);
}

/* ---- taking an fd ---- */

static bool own_fd_links_dmabuf(int fd)
{
	char num[16];

	snprintf(num, sizeof(num), "%d", fd);
	return discover_fd_link_is_dmabuf(0, num);
}

/*
 * An fd taken from another process is whatever sat there at that moment:
 * before anything touches it, prove it is a dma-buf (the link and the
 * kernel's exp_name line: neither calls into a file system an attacker may
 * run), then that it is the inode that was listed. fstat() comes last, once
 * the fd is known to be a dma-buf (on a FUSE file it would wait on that
 * file system's server). 0 or -ENOENT.
 */
int discover_verify_taken(int fd, uint64_t want_ino)
{
	struct dmabuf_fdinfo info;
	struct stat st;
	dev_t dev;

	if (!own_fd_links_dmabuf(fd) || fdinfo_read(0, fd, &info) < 0 || !info.is_dmabuf)
		return -ENOENT;
	if (want_ino && info.ino != want_ino)
		return -ENOENT;
	if (fstat(fd, &st) < 0 || (want_ino && st.st_ino != want_ino))
		return -ENOENT;
	if (discover_dmabuf_dev_get(&dev)) {
		if (st.st_dev != dev)
			return -ENOENT;
	} else {
		discover_dmabuf_dev_set(st.st_dev);
	}
	return 0;
}

/* Closing a file that is not ours to know may block (a FUSE file sends
 * FLUSH and waits for its server): a few such closes go to threads of
 * their own, so that a hostile server cannot hold the daemon's workers. */
static atomic_int closers;

static void *closer(void *arg)
{
	close((int)(intptr_t)arg);
	atomic_fetch_sub(&closers, 1);
	return NULL;
}

void discover_discard_fd(int fd)
{
	pthread_attr_t attr;
	pthread_t t;

	if (atomic_fetch_add(&closers, 1) < 16 && pthread_attr_init(&attr) == 0) {
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
		if (pthread_create(&t, &attr, closer, (void *)(intptr_t)fd) == 0) {
			pthread_attr_destroy(&attr);
			return;
		}
		pthread_attr_destroy(&attr);
	}
	atomic_fetch_sub(&closers, 1);
	close(fd);
}

int discover_open_pidfd(pid_t pid)
{
	int fd = (int)syscall(SYS_pidfd_open, pid, 0);

	return fd < 0 ? (errno == ESRCH || errno == EINVAL ? -ENOENT : -errno) : fd;
}

int discover_take_fd(int pidfd, int fd)
{
	int r = (int)syscall(SYS_pidfd_getfd, pidfd, fd, 0);

	return r < 0 ? (errno == EPERM ? -EACCES : errno == EBADF ? -ENOENT : -errno) : r;
}

bool discover_pidfd_alive(int pidfd)
{
	return syscall(SYS_pidfd_send_signal, pidfd, 0, NULL, 0) == 0;
}

/* ---- learning the device ---- */

static int learn_cb(const struct entry_view *v, void *data)
{
	struct dmabuf_fdinfo info;
	struct stat st;

	if (!v->buf || fdinfo_read(0, v->buf->fd, &info) < 0 || !info.is_dmabuf ||
	    fstat(v->buf->fd, &st) < 0)
		return 0;
	discover_dmabuf_dev_set(st.st_dev);
	return 1;
}

/* Learn the device from one of our own buffers, else from pid's fd (a
 * dma-buf by its fdinfo), taken and checked like any other. */
bool discover_dmabuf_dev_learn_from(pid_t pid, int fd, uint64_t ino, dev_t *dev)
{
	int pidfd, bfd;

	pidfd = discover_open_pidfd(pid);
	if (pidfd < 0)
		return false;
	bfd = discover_take_fd(pidfd, fd);
	close(pidfd);
	if (bfd < 0)
		return false;
	if (discover_verify_taken(bfd, ino) < 0) {
		discover_discard_fd(bfd);
		return false;
	}
	close(bfd);
	return discover_dmabuf_dev_get(dev);
}

/* Else from the first process found with a dma-buf fd: once per daemon,
 * in practice. */
bool discover_dmabuf_dev_learn(dev_t *dev)
{
	_cleanup_closedir_ DIR *proc = NULL;
	struct dirent *de;
	pid_t self = getpid();

	if (discover_dmabuf_dev_get(dev))
		return true;
	if (entry_walk(learn_cb, NULL) == 1)
		return discover_dmabuf_dev_get(dev);
	proc = opendir("/proc");
	while (proc && (de = readdir(proc))) {
		_cleanup_closedir_ DIR *fds = NULL;
		struct dirent *fe;
		char path[64];
		pid_t pid;

		if (!is_number(de->d_name) || (pid = (pid_t)atoi(de->d_name)) == self)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
		fds = opendir(path);
		while (fds && (fe = readdir(fds))) {
			struct dmabuf_fdinfo info;
			int fd;

			if (!is_number(fe->d_name) || !discover_fd_link_is_dmabuf(pid, fe->d_name))
				continue;
			fd = atoi(fe->d_name);
			if (fdinfo_read(pid, fd, &info) == 0 && info.is_dmabuf && info.ino &&
			    discover_dmabuf_dev_learn_from(pid, fd, info.ino, dev))
				return true;
		}
	}
	return false;
}
