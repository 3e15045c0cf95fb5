// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * /dev/dma_heap/NAME: DMA_HEAP_IOCTL_ALLOC hands back a dma-buf whose
 * exp_name is the heap's name ("system", a CMA area's name, ...).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/dma-heap.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "backend/backend.h"
#include "charge/charge.h"
#include "shared/log.h"
#include "shared/macro.h"
#include "shared/util.h"

/* See registry.c for the order: udmabuf > heap:system > drm > other heaps. */
#define HEAP_PRIO_SYSTEM 300
#define HEAP_PRIO_OTHER 50

static int heap_alloc(struct backend *be, size_t size, int *out_fd)
{
	struct dma_heap_allocation_data data = {
		.len = size,
		.fd_flags = O_RDWR | O_CLOEXEC,
		.heap_flags = 0,
	};
	int r;

	if (!out_fd || size == 0 || size % page_size() != 0)
		return -EINVAL;
	if (backend_is_gone(be))
		return -ENODEV;

	/* In the caller's memory cgroup: what the heap accounts is theirs. */
	r = charge_ioctl(be->devfd, DMA_HEAP_IOCTL_ALLOC, &data, sizeof(data),
			 offsetof(struct dma_heap_allocation_data, fd));
	if (r < 0) {
		log_err("%s: DMA_HEAP_IOCTL_ALLOC of %zu bytes: %s", be->name, size, strerror(-r));
		return r;
	}
	*out_fd = (int)data.fd;
	return 0;
}

static void heap_destroy(struct backend *be)
{
	if (be->devfd >= 0)
		close(be->devfd);
	free(be);
}

static const struct backend_ops heap_ops = {
	.alloc = heap_alloc,
	.destroy = heap_destroy,
};

int backend_heap_new(const char *devnode, const char *syspath, struct backend **out)
{
	struct backend *be;
	const char *heap;
	int fd;

	if (!devnode || !out)
		return -EINVAL;
	heap = strrchr(devnode, '/');
	heap = heap ? heap + 1 : devnode;
	if (!heap[0])
		return -EINVAL;
	/* "heap:" + name must fit name[]; the exporter is the bare name. */
	if (strlen(heap) + 5 >= sizeof(be->name) || strlen(devnode) >= sizeof(be->devnode) ||
	    (syspath && strlen(syspath) >= sizeof(be->syspath)))
		return -ENAMETOOLONG;

	fd = open(devnode, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		int r = -errno;

		log_warn("heap: cannot open %s: %s", devnode, strerror(-r));
		return r;
	}
	be = calloc(1, sizeof(*be));
	if (!be) {
		close(fd);
		return -ENOMEM;
	}
	be->kind = BACKEND_HEAP;
	snprintf(be->name, sizeof(be->name), "heap:%s", heap);
	snprintf(be->exporter, sizeof(be->exporter), "%s", heap);
	strcpy(be->devnode, devnode);
	if (syspath)
		strcpy(be->syspath, syspath);
	be->devfd = fd;
	/* Other heaps (CMA, carve-outs) are scarce or special-purpose: usable
	 * through new/heap:NAME/, never the default over a DRM card. */
	be->priority = strcmp(heap, "system") == 0 ? HEAP_PRIO_SYSTEM : HEAP_PRIO_OTHER;
	be->ops = &heap_ops;
	*out = be;
	return 0;
}
