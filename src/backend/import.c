// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Buffers that come from elsewhere: an fd passed over the control socket
 * (SCM_RIGHTS) or taken from another process with pidfd_getfd. Before the
 * daemon trusts such an fd as a buffer it checks what the fd really is:
 * a caller could hand over any file.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backend/backend.h"
#include "shared/fdinfo.h"
#include "shared/macro.h"

/*
 * What a received fd is gets decided only from what the kernel itself
 * answers, without calling into the file's file system: the fd could be a
 * file on another FUSE mount whose server never replies, and an fstat() or
 * fstatfs() on it would hang the control thread for good (and with it the
 * daemon's stop). readlink of /proc/self/fd/N is d_path() (no file system
 * call), /proc/self/fdinfo/N prints fields the kernel holds plus the file
 * operations' own show_fdinfo (only dma-buf prints exp_name), and
 * F_GET_SEALS answers EINVAL for anything but shmem/hugetlbfs files. Only
 * once one of them says dma-buf or memfd do we fstat.
 */
static int fd_link(int fd, char *target, size_t size)
{
	char path[64];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, target, size - 1);
	if (n < 0)
		return errno == ENOENT ? -EBADF : -errno; /* no such fd */
	target[n] = '\0';
	return 0;
}

static bool starts_with(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/*
 * A memfd is a shmem (or hugetlbfs) file that was never linked anywhere
 * and whose /proc/self/fd link reads "/memfd:NAME (deleted)". Each test
 * alone has false positives (F_GET_SEALS also works on any tmpfs file, a
 * file can be called "memfd:x"), together they do not. The link and
 * F_GET_SEALS come first: after them fstat() reaches shmem, nothing else.
 */
static bool fd_is_memfd(int fd, const char *link, struct stat *st)
{
	if (!starts_with(link, "/memfd:"))
		return false;
	if (fcntl(fd, F_GET_SEALS) < 0)
		return false;
	if (fstat(fd, st) < 0)
		return false;
	return S_ISREG(st->st_mode) && st->st_nlink == 0;
}

int dmabuf_fd_identify(int fd, struct dmabuf_fdinfo *info, bool *is_memfd)
{
	char link[PATH_MAX];
	struct stat st;
	int r;

	if (fd < 0 || !info || !is_memfd)
		return -EBADF;
	r = fd_link(fd, link, sizeof(link));
	if (r < 0)
		return r;

	if (starts_with(link, "/dmabuf:")) {
		r = fdinfo_read(0, fd, info);
		if (r < 0)
			return r;
		/* The link says dma-buf; a missing exp_name means fdinfo and
		 * the fd disagree, and we cannot apply the policy without it. */
		if (!info->is_dmabuf)
			return -EBADF;
		*is_memfd = false;
		return 0;
	}

	if (!fd_is_memfd(fd, link, &st))
		return -EBADF;

	memset(info, 0, sizeof(*info));
	/* flags (access mode) are worth having; the rest of fdinfo is not a
	 * dma-buf's and is overridden below. */
	r = fdinfo_read(0, fd, info);
	if (r < 0)
		memset(info, 0, sizeof(*info));
	info->is_dmabuf = false;
	info->size = (uint64_t)st.st_size;
	info->ino = (uint64_t)st.st_ino;
	info->count = 0;
	strcpy(info->exp_name, "memfd");
	info->name[0] = '\0';
	*is_memfd = true;
	return 0;
}
