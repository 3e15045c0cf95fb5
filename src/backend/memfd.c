// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The memfd backend: plain shmem, for machines without any dma-buf device
 * (containers, CI, kernels without udmabuf). Its buffers are not dma-bufs,
 * so they are always shown with exporter "memfd" and are system memory.
 * registry.c makes it available only when no dma-buf device exists, or when
 * forced with backend=memfd.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backend/backend.h"
#include "charge/charge.h"
#include "shared/log.h"
#include "shared/macro.h"
#include "shared/util.h"

/*
 * A buffer's size is fixed once it exists (dmabuffs(5), OPERATIONS: truncate
 * to another size is EPERM). Sealing makes the kernel enforce that for every holder of the fd,
 * including clients it was exported to, as udmabuf does for its memfds; and
 * these memfds are the daemon's alone (0600), so that a client's read-only
 * export cannot be reopened read-write (memfd_create_private()).
 */
static int memfd_alloc(struct backend *be, size_t size, int *out_fd)
{
	_cleanup_close_ int fd = -1;
	const char *why;
	int r;

	if (!out_fd || size == 0 || size % page_size() != 0)
		return -EINVAL;

	/* Made, and its pages allocated, in the caller's memory cgroup. */
	r = charge_memfd("dmabuffs", size, &fd);
	if (r < 0) {
		log_err("memfd: cannot make a buffer of %zu bytes: %s", size, strerror(-r));
		return r;
	}
	r = memfd_fix_size(fd, &why);
	if (r < 0) {
		log_err("memfd: cannot seal a new buffer: %s", why);
		return r;
	}
	*out_fd = TAKE_FD(fd);
	return 0;
}

/* The staged memfd becomes the buffer itself: no copy, just a new fd. */
static int memfd_adopt(struct backend *be, int memfd, size_t size, int *out_fd)
{
	const char *why;
	struct stat st;
	int fd, r;

	if (memfd < 0 || !out_fd || size == 0 || size % page_size() != 0)
		return -EINVAL;
	if (fstat(memfd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size > size)
		return -EINVAL;
	if ((uint64_t)st.st_size < size && ftruncate(memfd, (off_t)size) < 0)
		return -errno;
	/* The daemon stages in memfds of its own, made to take seals. */
	r = memfd_fix_size(memfd, &why);
	if (r < 0) {
		log_err("memfd: cannot seal the staged data: %s", why);
		return r;
	}

	fd = fcntl(memfd, F_DUPFD_CLOEXEC, 3);
	if (fd < 0)
		return -errno;
	*out_fd = fd;
	return 0;
}

static void memfd_destroy(struct backend *be)
{
	free(be);
}

static const struct backend_ops memfd_ops = {
	.alloc = memfd_alloc,
	.adopt_memfd = memfd_adopt,
	.destroy = memfd_destroy,
};

int backend_memfd_new(struct backend **out)
{
	struct backend *be;

	if (!out)
		return -EINVAL;
	be = calloc(1, sizeof(*be));
	if (!be)
		return -ENOMEM;
	be->kind = BACKEND_MEMFD;
	strcpy(be->name, "memfd");
	strcpy(be->exporter, "memfd");
	be->devfd = -1;
	be->priority = 0; /* lowest: only a fallback */
	be->ops = &memfd_ops;
	*out = be;
	return 0;
}
