// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * A DRM card as a buffer source: a dumb buffer (DRM_IOCTL_MODE_CREATE_DUMB,
 * the one allocation ioctl every KMS driver and vgem share), exported with
 * PRIME. Cards are named by driver (drmGetVersion), never by minor number:
 * numbers follow module load order and change from boot to boot. The
 * registry adds a suffix when two cards share a driver (see registry.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xf86drm.h>

#include "backend/backend.h"
#include "charge/charge.h"
#include "policy.h"
#include "shared/fdinfo.h"
#include "shared/log.h"
#include "shared/macro.h"
#include "shared/util.h"

/*
 * Dumb buffers are 2D: we ask for 1024 pixels of 32 bits per row, so a
 * pitch of 4096 bytes, and ceil(size / 4096) rows. 4096 divides every page
 * size and is already a multiple of every pitch alignment drivers impose,
 * so the buffer comes out at the requested size; virtio_gpu also accepts
 * only bpp 32. A driver may still round the size up (create.size says by
 * how much): the dma-buf is then larger than asked and its fdinfo says so.
 */
#define DUMB_WIDTH 1024u
#define DUMB_BPP 32u
#define DUMB_PITCH (DUMB_WIDTH * DUMB_BPP / 8)
/* The kernel computes height * pitch in 32 bits and page-aligns it. */
#define DUMB_MAX_SIZE (UINT64_C(0xffffffff) & ~UINT64_C(0xfff))

/* See registry.c for the order: udmabuf > heap:system > drm > other heaps. */
#define DRM_PRIO_SYSTEM_RAM 200
#define DRM_PRIO_VRAM 100

static int dumb_export(int devfd, const char *what, size_t size, int *out_fd)
{
	struct drm_mode_create_dumb create = {
		.width = DUMB_WIDTH,
		.bpp = DUMB_BPP,
	};
	struct drm_gem_close gem_close = { 0 };
	int prime_fd = -1, r = 0;

	if ((uint64_t)size > DUMB_MAX_SIZE) {
		log_err("%s: %zu bytes is over the dumb buffer limit of %" PRIu64 " bytes", what,
			size, DUMB_MAX_SIZE);
		return -E2BIG;
	}
	create.height = (uint32_t)((size + DUMB_PITCH - 1) / DUMB_PITCH);

	/* In the caller's memory cgroup: what the driver accounts is theirs. */
	r = charge_ioctl(devfd, DRM_IOCTL_MODE_CREATE_DUMB, &create, sizeof(create), -1);
	if (r < 0) {
		log_err("%s: CREATE_DUMB %ux%u@%u (%zu bytes): %s", what, create.width,
			create.height, create.bpp, size, strerror(-r));
		return r;
	}
	if (create.size > size)
		log_debug("%s: driver rounded a %zu-byte dumb buffer up to %" PRIu64
			  " bytes (pitch %u)",
			  what, size, (uint64_t)create.size, create.pitch);

	/* DRM_RDWR: a read-only export could not be mapped for writing. */
	if (drmPrimeHandleToFD(devfd, create.handle, DRM_CLOEXEC | DRM_RDWR, &prime_fd) < 0) {
		r = -errno;
		log_err("%s: PRIME export of a dumb buffer: %s", what, strerror(-r));
		prime_fd = -1;
	}

	/* The dma-buf holds its own reference to the GEM object; the handle
	 * would only leak object memory for as long as the card stays open. */
	gem_close.handle = create.handle;
	if (drmIoctl(devfd, DRM_IOCTL_GEM_CLOSE, &gem_close) < 0)
		log_warn("%s: GEM_CLOSE of handle %u: %s", what, create.handle, strerror(errno));

	if (r < 0)
		return r;
	*out_fd = prime_fd;
	return 0;
}

static int drm_alloc(struct backend *be, size_t size, int *out_fd)
{
	if (!out_fd || size == 0 || size % page_size() != 0)
		return -EINVAL;
	if (backend_is_gone(be))
		return -ENODEV;
	return dumb_export(be->devfd, be->name, size, out_fd);
}

static void drm_destroy(struct backend *be)
{
	if (be->devfd >= 0)
		close(be->devfd);
	free(be);
}

/* DRM_IOCTL_VERSION with no buffers is the cheapest ioctl there is; the
 * DRM core answers ENODEV for every ioctl once drm_dev_unplug() ran. */
static int drm_alive(struct backend *be)
{
	struct drm_version v = { 0 };

	if (be->devfd < 0 || drmIoctl(be->devfd, DRM_IOCTL_VERSION, &v) == 0)
		return 0;
	return errno == ENODEV ? -ENODEV : 0;
}

static const struct backend_ops drm_ops = {
	.alloc = drm_alloc,
	.destroy = drm_destroy,
	.alive = drm_alive,
};

/*
 * Can this card make dumb buffers we can export? DRM_CAP_DUMB_BUFFER only
 * answers for KMS drivers: render-only drivers such as vgem get EOPNOTSUPP
 * although they implement dumb_create, and render nodes refuse CREATE_DUMB
 * whatever the cap says. So a cap of 0 is a "no", and the final word is a
 * one-page trial allocation, which also tells the real exp_name.
 */
static int drm_probe(int fd, const char *devnode, const char *driver, char *exporter,
		     size_t exporter_sz)
{
	_cleanup_close_ int trial = -1;
	struct dmabuf_fdinfo info;
	uint64_t cap = 0;
	int r;

	if (drmGetCap(fd, DRM_CAP_PRIME, &cap) < 0 || !(cap & DRM_PRIME_CAP_EXPORT)) {
		log_info("drm: %s (%s) cannot export dma-bufs (no PRIME export), skipped", devnode,
			 driver);
		return -EOPNOTSUPP;
	}
	if (drmGetCap(fd, DRM_CAP_DUMB_BUFFER, &cap) == 0 && cap == 0) {
		log_info("drm: %s (%s) has no dumb buffers, skipped", devnode, driver);
		return -EOPNOTSUPP;
	}

	r = dumb_export(fd, devnode, page_size(), &trial);
	if (r < 0) {
		log_info("drm: %s (%s) cannot allocate dumb buffers (%s), skipped", devnode, driver,
			 strerror(-r));
		return r;
	}

	/* DRM core exports are "drm", some drivers use their own name. */
	if (fdinfo_read(0, trial, &info) == 0 && info.is_dmabuf)
		snprintf(exporter, exporter_sz, "%s", info.exp_name);
	else if (strcmp(driver, "virtio_gpu") == 0)
		snprintf(exporter, exporter_sz, "virtio_gpu");
	else
		snprintf(exporter, exporter_sz, "drm");
	return 0;
}

int backend_drm_new(const char *devnode, const char *syspath, struct backend **out)
{
	_cleanup_close_ int fd = -1;
	char driver[sizeof(((struct backend *)0)->driver)];
	char exporter[sizeof(((struct backend *)0)->exporter)];
	drmVersionPtr ver;
	struct backend *be;
	int r;

	if (!devnode || !out)
		return -EINVAL;
	if (strlen(devnode) >= sizeof(be->devnode) ||
	    (syspath && strlen(syspath) >= sizeof(be->syspath)))
		return -ENAMETOOLONG;

	/*
	 * The kernel sends a DRM minor's "add" uevent from device_add(),
	 * before it publishes the minor to open(); heard from the "kernel"
	 * uevent source (no udevd), the node can still say ENODEV/ENXIO for
	 * a moment. Give it a short while.
	 */
	for (int tries = 0;; tries++) {
		fd = open(devnode, O_RDWR | O_CLOEXEC | O_NOCTTY);
		if (fd >= 0 || (errno != ENODEV && errno != ENXIO) || tries >= 10)
			break;
		usleep(50 * 1000);
	}
	if (fd < 0) {
		r = -errno;
		log_warn("drm: cannot open %s: %s", devnode, strerror(-r));
		return r;
	}

	/*
	 * The first opener of a KMS card becomes DRM master when nobody else
	 * is. We never set modes; holding master would lock a compositor
	 * started later out of the display.
	 */
	if (drmIsMaster(fd) && drmDropMaster(fd) < 0)
		log_warn("drm: %s: cannot drop DRM master: %s", devnode, strerror(errno));

	ver = drmGetVersion(fd);
	if (!ver || !ver->name || !ver->name[0]) {
		r = ver ? -EINVAL : (errno ? -errno : -EIO);
		drmFreeVersion(ver);
		log_warn("drm: %s: cannot read the driver name", devnode);
		return r;
	}
	if (strlen(ver->name) >= sizeof(driver)) {
		log_warn("drm: %s: driver name too long", devnode);
		drmFreeVersion(ver);
		return -ENAMETOOLONG;
	}
	strcpy(driver, ver->name);
	drmFreeVersion(ver);

	r = drm_probe(fd, devnode, driver, exporter, sizeof(exporter));
	if (r < 0)
		return r;

	be = calloc(1, sizeof(*be));
	if (!be)
		return -ENOMEM;
	be->kind = BACKEND_DRM;
	snprintf(be->name, sizeof(be->name), "drm:%s", driver);
	strcpy(be->exporter, exporter);
	strcpy(be->driver, driver);
	strcpy(be->devnode, devnode);
	if (syspath)
		strcpy(be->syspath, syspath);
	/* Cards whose buffers are plain RAM (vgem, virtio_gpu) are preferred
	 * over VRAM drivers, whose buffers need the slower I/O shim. */
	be->priority = policy_rule_iomem(exporter, driver, NULL) ? DRM_PRIO_VRAM :
								   DRM_PRIO_SYSTEM_RAM;
	be->devfd = TAKE_FD(fd);
	be->ops = &drm_ops;
	*out = be;
	return 0;
}
