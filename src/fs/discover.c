// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Discovery: dma-bufs held by other processes, found in /proc/PID/fd and
 * /proc/PID/fdinfo, shown as proc/PID/FD. Listing never takes a reference;
 * opening one takes the fd with pidfd_getfd(2) for as long as the file is
 * open, and only for callers who could ptrace the process (same uid, or
 * root) — a weaker check than ptrace's, never a stronger one.
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "buffer.h"
#include "fs/fs-internal.h"
#include "shared/fdinfo.h"
#include "shared/log.h"
#include "shared/macro.h"

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif

static bool is_number(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

/* /proc/PID/fd/N of a dma-buf links to "/dmabuf:NAME" (older kernels:
 * "anon_inode:dmabuf"). */
static bool fd_is_dmabuf(pid_t pid, const char *fd)
{
	char path[300], target[128];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/fd/%s", (int)pid, fd);
	n = readlink(path, target, sizeof(target) - 1);
	if (n <= 0)
		return false;
	target[n] = '\0';
	return strncmp(target, "/dmabuf:", 8) == 0 || strcmp(target, "anon_inode:dmabuf") == 0;
}

static int append(void **v, size_t *n, size_t *cap, size_t elem, const void *item)
{
	if (*n == *cap) {
		size_t c = *cap ? *cap * 2 : 16;
		void *nv = realloc(*v, c * elem);

		if (!nv)
			return -ENOMEM;
		*v = nv;
		*cap = c;
	}
	memcpy((char *)*v + *n * elem, item, elem);
	(*n)++;
	return 0;
}

int discover_fds(pid_t pid, int **fds, size_t *n)
{
	_cleanup_closedir_ DIR *d = NULL;
	char path[64];
	struct dirent *de;
	size_t cap = 0;
	int r = 0;

	*fds = NULL;
	*n = 0;
	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	d = opendir(path);
	if (!d)
		return errno == EACCES ? -EACCES : -ENOENT;
	while ((de = readdir(d)) && r == 0) {
		int fd;

		if (!is_number(de->d_name) || !fd_is_dmabuf(pid, de->d_name))
			continue;
		fd = atoi(de->d_name);
		r = append((void **)fds, n, &cap, sizeof(int), &fd);
	}
	return r;
}

int discover_pids(pid_t **pids, size_t *n)
{
	_cleanup_closedir_ DIR *d = opendir("/proc");
	struct dirent *de;
	pid_t self = getpid();
	size_t cap = 0;
	int r = 0;

	*pids = NULL;
	*n = 0;
	if (!d)
		return -errno;
	while ((de = readdir(d)) && r == 0) {
		_cleanup_free_ int *fds = NULL;
		size_t nfds = 0;
		pid_t pid;

		if (!is_number(de->d_name))
			continue;
		pid = (pid_t)atoi(de->d_name);
		if (pid == self)
			continue;
		if (discover_fds(pid, &fds, &nfds) < 0 || nfds == 0)
			continue;
		r = append((void **)pids, n, &cap, sizeof(pid_t), &pid);
	}
	return r;
}

int discover_stat(pid_t pid, int fd, struct dmabuf_fdinfo *info, uid_t *owner)
{
	char path[64];
	struct stat st;
	int r;

	snprintf(path, sizeof(path), "/proc/%d", (int)pid);
	if (stat(path, &st) < 0)
		return -ENOENT;
	r = fdinfo_read(pid, fd, info);
	if (r < 0 || !info->is_dmabuf)
		return -ENOENT;
	*owner = st.st_uid;
	return 0;
}

int discover_open(pid_t pid, int fd, uid_t uid, enum iomem_mode mode, struct buffer **out,
		  uid_t *owner_out)
{
	struct dmabuf_fdinfo info;
	uid_t owner;
	int pidfd, bfd, r;

	r = discover_stat(pid, fd, &info, &owner);
	if (r < 0)
		return r;
	if (uid != 0 && uid != owner) {
		log_info("proc/%d/%d: uid %u may not take a buffer of uid %u", (int)pid, fd,
			 (unsigned)uid, (unsigned)owner);
		return -EACCES;
	}
	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (pidfd < 0)
		return errno == ESRCH ? -ENOENT : -errno;
	bfd = (int)syscall(SYS_pidfd_getfd, pidfd, fd, 0);
	r = bfd < 0 ? -errno : 0;
	close(pidfd);
	if (r < 0) {
		log_warn("proc/%d/%d: pidfd_getfd: %s", (int)pid, fd, strerror(-r));
		return r == -EPERM ? -EACCES : r;
	}
	*owner_out = owner;
	return buffer_new(bfd, NULL, mode, out);
}
