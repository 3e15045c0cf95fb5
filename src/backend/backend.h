/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/*
 * A backend is one place buffers come from: /dev/udmabuf, a dma-heap, a DRM
 * card, or (only when the machine has no dma-buf device at all) plain
 * memfds. Backends are found with libudev and watched for hotplug by
 * registry.c; each backend file fills in one const struct backend_ops.
 *
 * Lifetime: a struct backend is never freed while the daemon runs (buffers
 * point at it). When its device goes away, `gone` is set and stays set; a
 * device that comes back gets a new struct backend.
 */
struct backend;

struct backend_ops {
	/* Allocate a buffer of size bytes (a multiple of the page size).
	 * On success *out_fd is a new O_CLOEXEC fd the caller owns: a dma-buf
	 * fd, or for the memfd backend a memfd. 0 or -errno. */
	int (*alloc)(struct backend *be, size_t size, int *out_fd);
	/* Optional. Turn a staged memfd of size bytes (a page multiple) into a
	 * buffer without copying (udmabuf: seal it and UDMABUF_CREATE). The
	 * memfd stays owned by the caller. 0 or -errno. */
	int (*adopt_memfd)(struct backend *be, int memfd, size_t size, int *out_fd);
	void (*destroy)(struct backend *be);
	/* Optional. -ENODEV once the device is unplugged, else 0: asked after
	 * each copy out of a buffer, because a removed device's mapping can
	 * read as zeros before udev tells the daemon (measured on bochs). */
	int (*alive)(struct backend *be);
};

enum backend_kind {
	BACKEND_MEMFD,
	BACKEND_UDMABUF,
	BACKEND_HEAP,
	BACKEND_DRM,
};

struct backend {
	enum backend_kind kind;
	char name[64];	   /* "udmabuf", "heap:system", "drm:vgem", "memfd" */
	char exporter[64]; /* exp_name of its buffers: "udmabuf", "system", "drm", ... */
	char driver[32];   /* DRM driver name (drmGetVersion), "" otherwise */
	char devnode[128]; /* /dev/udmabuf, /dev/dma_heap/system, /dev/dri/card0 */
	char syspath[256]; /* udev syspath, to match remove events */
	int devfd;	   /* open device, -1 for memfd */
	int priority;	   /* higher wins when choosing the default backend */
	bool gone;	   /* device removed; atomic access (__atomic_*) */
	const struct backend_ops *ops;
	void *priv;
	struct backend *next; /* registry list, protected by the registry lock */
};

/* Constructors, one per backend file. 0 or -errno; *out on success. */
int backend_memfd_new(struct backend **out);
int backend_udmabuf_new(const char *devnode, const char *syspath, struct backend **out);
int backend_heap_new(const char *devnode, const char *syspath, struct backend **out);
int backend_drm_new(const char *devnode, const char *syspath, struct backend **out);

static inline bool backend_is_gone(const struct backend *be)
{
	return be && __atomic_load_n(&be->gone, __ATOMIC_ACQUIRE);
}

/* ---- registry.c: discovery with libudev, hotplug, choice of default ---- */

/* Called (from the registry's thread) when a backend's device disappears. */
typedef void (*backend_gone_cb)(struct backend *be, void *data);

/*
 * Enumerate drm, misc (udmabuf) and dma_heap devices. When no dma-buf
 * device is found, the memfd backend is the only one. With forced != NULL
 * (the backend= option), that backend must exist: -ENODEV otherwise.
 */
int registry_init(const char *forced, backend_gone_cb cb, void *cb_data);
void registry_exit(void);
/* The default backend (forced, else the highest priority). Never NULL after init. */
struct backend *registry_default(void);
/* By name as in new/BACKEND/ and backend=: "udmabuf", "heap:system", "drm:vgem",
 * "memfd". NULL if unknown or gone. */
struct backend *registry_find(const char *name);
/* Names of the live backends, for readdir of new/. Returns the count and
 * fills up to max names (copied into names[i][64]). */
int registry_list(char (*names)[64], int max);
/* True when the machine has no dma-buf device (the memfd backend is in use). */
bool registry_memfd_only(void);
/* fd to poll for hotplug events (udev monitor), and the handler to call. */
int registry_monitor_fd(void);
void registry_process_events(void);

/* ---- import.c: what an fd handed to the daemon really is ---- */

struct dmabuf_fdinfo;
/*
 * A dma-buf (the /proc/self/fd link /dmabuf: and an exp_name in fdinfo): 0,
 * *is_memfd = false, info from fdinfo. A memfd: 0, *is_memfd = true, info
 * with size (fstat), ino (st_ino) and exp_name "memfd". Anything else (a
 * regular file, a pipe, a socket): -EBADF. Other errors: -errno.
 */
int dmabuf_fd_identify(int fd, struct dmabuf_fdinfo *info, bool *is_memfd);
