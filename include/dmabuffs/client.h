/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libdmabuffs client: hand dma-bufs to the dmabuffs daemon and take them
 * back, over its control socket (/run/dmabuffs/control, or the path in
 * $DMABUFFS_CONTROL).
 *
 *	int fd = ...;   // a dma-buf fd from DRM, V4L2, a dma-heap, udmabuf
 *	int r = dmabuffs_publish(fd, "camera0", DMABUFFS_PUBLISH_TRANSIENT);
 *	if (r < 0)
 *		fprintf(stderr, "publish: %s\n", strerror(-r));
 *	// ... /run/dmabuf/camera0 now reads and writes the buffer ...
 *	int again = dmabuffs_export("/run/dmabuf/camera0");  // a new dma-buf fd
 *
 * Every call returns 0 (or an fd) on success and -errno on failure; the
 * daemon's one-line explanation of the last failure is available from
 * dmabuffs_last_error(). The calls are thread-safe.
 */
#ifndef DMABUFFS_CLIENT_H
#define DMABUFFS_CLIENT_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The buffer goes when the publishing process exits (its connection closes),
 * instead of staying until unpublished. */
#define DMABUFFS_PUBLISH_TRANSIENT (1u << 0)
/* Override the map-flag policy for this buffer: I/O memory ... */
#define DMABUFFS_PUBLISH_IOMEM (1u << 1)
/* ... or system memory. Setting both is -EINVAL. */
#define DMABUFFS_PUBLISH_SYSMEM (1u << 2)
/* The buffer was taken from another process (pidfd_getfd), not made by the
 * caller: its file shows origin "imported" instead of "published". */
#define DMABUFFS_PUBLISH_IMPORTED (1u << 3)

/* Publish dmabuf_fd as /run/dmabuf/NAME, owned by the caller. The daemon
 * takes its own reference; the caller may close dmabuf_fd afterwards.
 * Errors: -EEXIST (name taken), -EINVAL (bad name or flags, or not a
 * dma-buf), -ENAMETOOLONG, -ENOENT/-ECONNREFUSED (no daemon). */
int dmabuffs_publish(int dmabuf_fd, const char *name, unsigned int flags);

/*
 * What the pixels of a buffer are, as zwp_linux_dmabuf_v1 and
 * drmModeAddFB2WithModifiers describe them: a DRM fourcc (drm_fourcc.h),
 * the size in pixels, one modifier (DRM_FORMAT_MOD_LINEAR is 0), and per
 * plane the byte offset into the buffer and the stride (bytes per row).
 * NV12 is two planes, Y and CbCr, in the one buffer.
 */
#define DMABUFFS_MAX_PLANES 4
struct dmabuffs_image_layout {
	uint32_t fourcc;
	uint32_t width, height;
	uint64_t modifier;
	unsigned int nplanes; /* 1 .. DMABUFFS_MAX_PLANES */
	struct {
		uint64_t offset;
		uint32_t stride;
	} planes[DMABUFFS_MAX_PLANES];
};

/* dmabuffs_publish() with the layout attached: the file's user.dmabuf.
 * format, width, height, modifier, stride, pitches and offsets xattrs
 * describe it from the start (dmabufctl snapshot reads them). -EINVAL for
 * a layout without a printable fourcc, a size, or a stride per plane;
 * a daemon older than this call refuses it with -EBADMSG. */
int dmabuffs_publish_image(int dmabuf_fd, const char *name, unsigned int flags,
			   const struct dmabuffs_image_layout *layout);

/* Remove a published buffer by name; only its owner (or root) may. */
int dmabuffs_unpublish(const char *name);

/* A new fd for the buffer behind a buffer file: a path under the mount
 * point or a bare NAME. Returns the fd (O_CLOEXEC) or -errno. */
int dmabuffs_export(const char *path_or_name);

/* The daemon's explanation of this thread's last failed call, or "". */
const char *dmabuffs_last_error(void);

/* The control socket path in use ($DMABUFFS_CONTROL or the default). */
const char *dmabuffs_control_path(void);

#ifdef __cplusplus
}
#endif

#endif /* DMABUFFS_CLIENT_H */
