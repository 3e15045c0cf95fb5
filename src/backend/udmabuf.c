// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * /dev/udmabuf: a dma-buf made of the pages of a memfd. The kernel insists
 * that the memfd carries F_SEAL_SHRINK (else UDMABUF_CREATE fails with
 * EINVAL: the pages must not vanish under the dma-buf) and must not carry
 * F_SEAL_WRITE. We also seal F_SEAL_GROW: the buffer's size is fixed.
 *
 * udmabuf caps a buffer at the module parameter size_limit_mb (default 64
 * MiB) and answers a bigger request with a bare EINVAL; we check the limit
 * first so that the error is E2BIG with a log line that names the knob.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/udmabuf.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backend/backend.h"
#include "charge/charge.h"
#include "shared/log.h"
#include "shared/macro.h"
#include "shared/util.h"

#define SIZE_LIMIT_PARAM "/sys/module/udmabuf/parameters/size_limit_mb"

/* The current limit in bytes (root may change it at runtime), 0 if unknown. */
static uint64_t udmabuf_size_limit(void)
{
	char buf[32];
	uint64_t mb;
	size_t len;

	if (read_file(SIZE_LIMIT_PARAM, buf, sizeof(buf), &len) < 0)
		return 0;
	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == ' '))
		buf[--len] = '\0';
	if (parse_u64(buf, 10, &mb) < 0 || mb == 0 || mb > (UINT64_MAX >> 20))
		return 0;
	return mb << 20;
}

static int udmabuf_check_size(size_t size)
{
	uint64_t limit;

	if (size == 0 || size % page_size() != 0)
		return -EINVAL;
	limit = udmabuf_size_limit();
	if (limit && size > limit) {
		log_err("udmabuf: %zu bytes exceed the udmabuf limit of %" PRIu64
			" MiB (module parameter size_limit_mb, %s)",
			size, limit >> 20, SIZE_LIMIT_PARAM);
		return -E2BIG;
	}
	return 0;
}

/* Seal memfd (of at least size bytes) and wrap it; memfd stays the caller's. */
static int udmabuf_create_from(struct backend *be, int memfd, size_t size, int *out_fd)
{
	struct udmabuf_create create = {
		.memfd = (uint32_t)memfd,
		.flags = UDMABUF_FLAGS_CLOEXEC,
		.offset = 0,
		.size = size,
	};
	int seals, fd;

	if (backend_is_gone(be))
		return -ENODEV;

	seals = fcntl(memfd, F_GET_SEALS);
	if (seals < 0) {
		int r = -errno;

		log_err("udmabuf: the staging file is not a memfd (F_GET_SEALS: %s)", strerror(-r));
		return r;
	}
	if ((seals & (F_SEAL_SHRINK | F_SEAL_GROW)) != (F_SEAL_SHRINK | F_SEAL_GROW) &&
	    fcntl(memfd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW) < 0) {
		int r = -errno;

		log_err("udmabuf: cannot seal the memfd (F_SEAL_SHRINK|F_SEAL_GROW): %s",
			strerror(-r));
		return r;
	}

	fd = (int)RETRY_EINTR(ioctl(be->devfd, UDMABUF_CREATE, &create));
	if (fd < 0) {
		int r = -errno;

		if (r == -ENOMEM)
			log_err("udmabuf: UDMABUF_CREATE of %zu bytes: out of memory", size);
		else if (r == -EINVAL)
			log_err("udmabuf: UDMABUF_CREATE of %zu bytes refused (EINVAL): "
				"over the size_limit_mb module parameter, or a bad memfd",
				size);
		else
			log_err("udmabuf: UDMABUF_CREATE of %zu bytes: %s", size, strerror(-r));
		return r;
	}
	*out_fd = fd;
	return 0;
}

static int udmabuf_alloc(struct backend *be, size_t size, int *out_fd)
{
	_cleanup_close_ int memfd = -1;
	int r;

	if (!out_fd)
		return -EINVAL;
	r = udmabuf_check_size(size);
	if (r < 0)
		return r;
	if (backend_is_gone(be))
		return -ENODEV;

	/* The pages are allocated in the caller's memory cgroup; the ioctl
	 * below only pins them. */
	r = charge_memfd("dmabuffs-udmabuf", size, &memfd);
	if (r < 0) {
		log_err("udmabuf: cannot make a memfd of %zu bytes: %s", size, strerror(-r));
		return r;
	}
	/* The dma-buf holds its own references to the pages: the memfd can be
	 * closed right after (by the cleanup handler). */
	return udmabuf_create_from(be, memfd, size, out_fd);
}

static int udmabuf_adopt(struct backend *be, int memfd, size_t size, int *out_fd)
{
	struct stat st;
	int r;

	if (memfd < 0 || !out_fd)
		return -EINVAL;
	r = udmabuf_check_size(size);
	if (r < 0)
		return r;
	if (fstat(memfd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size > size)
		return -EINVAL;
	/* The staged file may end short of the page-rounded size. */
	if ((uint64_t)st.st_size < size && ftruncate(memfd, (off_t)size) < 0) {
		r = -errno;
		log_err("udmabuf: cannot grow the staged memfd to %zu bytes: %s", size,
			strerror(-r));
		return r;
	}
	return udmabuf_create_from(be, memfd, size, out_fd);
}

static void udmabuf_destroy(struct backend *be)
{
	if (be->devfd >= 0)
		close(be->devfd);
	free(be);
}

static const struct backend_ops udmabuf_ops = {
	.alloc = udmabuf_alloc,
	.adopt_memfd = udmabuf_adopt,
	.destroy = udmabuf_destroy,
};

int backend_udmabuf_new(const char *devnode, const char *syspath, struct backend **out)
{
	struct backend *be;
	int fd;

	if (!devnode || !out)
		return -EINVAL;
	if (strlen(devnode) >= sizeof(be->devnode) ||
	    (syspath && strlen(syspath) >= sizeof(be->syspath)))
		return -ENAMETOOLONG;

	fd = open(devnode, O_RDWR | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		int r = -errno;

		log_warn("udmabuf: cannot open %s: %s", devnode, strerror(-r));
		return r;
	}
	be = calloc(1, sizeof(*be));
	if (!be) {
		close(fd);
		return -ENOMEM;
	}
	be->kind = BACKEND_UDMABUF;
	strcpy(be->name, "udmabuf");
	strcpy(be->exporter, "udmabuf");
	strcpy(be->devnode, devnode);
	if (syspath)
		strcpy(be->syspath, syspath);
	be->devfd = fd;
	be->priority = 400;
	be->ops = &udmabuf_ops;
	*out = be;
	return 0;
}
