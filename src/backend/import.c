// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Buffers that come from elsewhere: an fd passed over the control socket
 * (SCM_RIGHTS) or taken from another process with pidfd_getfd. Before the
 * daemon trusts such an fd as a buffer it checks what the fd really is:
 * a caller could hand over any file.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "backend/backend.h"
#include "shared/fdinfo.h"
#include "shared/macro.h"

#ifndef DMA_BUF_MAGIC
#define DMA_BUF_MAGIC 0x444d4142 /* "DMAB" */
#endif

/*
 * A memfd is a shmem (or hugetlbfs) file that was never linked anywhere
 * and whose /proc/self/fd link reads "/memfd:NAME (deleted)". Each test
 * alone has false positives (F_GET_SEALS also works on any tmpfs file, a
 * file can be called "memfd:x"), together they do not.
 */
static bool fd_is_memfd(int fd, const struct stat *st)
{
	char path[64], target[64];
	ssize_t n;

	if (!S_ISREG(st->st_mode) || st->st_nlink != 0)
		return false;
	if (fcntl(fd, F_GET_SEALS) < 0)
		return false;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0)
		return false;
	target[n] = '\0';
	return strncmp(target, "/memfd:", strlen("/memfd:")) == 0;
}

int dmabuf_fd_identify(int fd, struct dmabuf_fdinfo *info, bool *is_memfd)
{
	struct statfs sfs;
	struct stat st;
	int r;

	if (fd < 0 || !info || !is_memfd)
		return -EBADF;
	if (fstatfs(fd, &sfs) < 0 || fstat(fd, &st) < 0)
		return -errno;

	if ((unsigned long)sfs.f_type == DMA_BUF_MAGIC) {
		r = fdinfo_read(0, fd, info);
		if (r < 0)
			return r;
		/* The magic says dma-buf; a missing exp_name means fdinfo and
		 * the fd disagree, and we cannot apply the policy without it. */
		if (!info->is_dmabuf)
			return -EBADF;
		*is_memfd = false;
		return 0;
	}

	if (!fd_is_memfd(fd, &st))
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
