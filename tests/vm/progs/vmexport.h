/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Making dma-bufs with the guest's plain exporters, for the guest test
 * programs. The callers decide what a missing device means (skip, or go
 * on without it), so these return -errno instead of exiting; only
 * vm_hold_buf(), for the programs that need some buffer to hold, skips.
 */
#ifndef VMEXPORT_H
#define VMEXPORT_H

#include <sys/ioctl.h>
#include <sys/mman.h>
#include <linux/dma-heap.h>
#include <linux/udmabuf.h>

#include "vmtest.h"

/* A udmabuf of size bytes over a sealed memfd; only the dma-buf fd is
 * left open (the dma-buf keeps the pages). Returns the fd or -errno. */
static inline int vm_udmabuf(size_t size)
{
	struct udmabuf_create c = { .flags = UDMABUF_FLAGS_CLOEXEC, .size = size };
	int dev = open("/dev/udmabuf", O_RDWR | O_CLOEXEC), memfd, buf, err;

	if (dev < 0)
		return -errno;
	memfd = memfd_create("vmtest", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	/* udmabuf refuses a memfd that could shrink under it (EINVAL). */
	if (memfd < 0 || ftruncate(memfd, (off_t)size) < 0 ||
	    fcntl(memfd, F_ADD_SEALS, F_SEAL_SHRINK) < 0) {
		err = -errno;
		goto out;
	}
	c.memfd = (uint32_t)memfd;
	buf = ioctl(dev, UDMABUF_CREATE, &c);
	err = buf < 0 ? -errno : buf;
out:
	if (memfd >= 0)
		close(memfd);
	close(dev);
	return err;
}

/* A system-heap dma-buf. Returns the fd or -errno. */
static inline int vm_heap_buf(size_t size)
{
	struct dma_heap_allocation_data a = { .len = size, .fd_flags = O_RDWR | O_CLOEXEC };
	int heap = open("/dev/dma_heap/system", O_RDONLY | O_CLOEXEC), err;

	if (heap < 0)
		return -errno;
	err = ioctl(heap, DMA_HEAP_IOCTL_ALLOC, &a) < 0 ? -errno : (int)a.fd;
	close(heap);
	return err;
}

/* A dma-buf of size bytes to hold: a udmabuf, else a system-heap buffer;
 * the test skips when neither can be made. *map gets its shared, writable
 * mapping (munmap() it when done). Returns the fd. */
static inline int vm_hold_buf(size_t size, uint8_t **map)
{
	int fd = vm_udmabuf(size);

	if (fd < 0)
		fd = vm_heap_buf(size);
	if (fd < 0)
		vm_skip("no udmabuf and no system heap: %s", strerror(-fd));
	*map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (*map == MAP_FAILED)
		vm_fail("mmap: %s", strerror(errno));
	return fd;
}

#endif
