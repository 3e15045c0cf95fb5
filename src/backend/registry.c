// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The registry: which backends exist, which one is the default, and what
 * happens when a device comes or goes.
 *
 * Devices are found with libudev in three subsystems: drm (card and render
 * minors; connectors are skipped by DEVTYPE), misc (only "udmabuf") and
 * dma_heap. Default backend, highest priority first (the constructors set
 * the numbers):
 *
 *   udmabuf (400) > heap:system (300) > drm cards whose buffers are RAM,
 *   i.e. vgem, virtio_gpu (200) > drm cards with VRAM (100) > other heaps
 *   such as CMA (50) > memfd (0)
 *
 * Ties go to the device found first. The memfd backend is offered only when
 * no dma-buf device is present (or backend=memfd forces it): a memfd is not
 * a dma-buf, and the point of the daemon is to hand out real ones.
 *
 * Names: "udmabuf", "heap:NAME", "drm:DRIVER", "memfd". Two cards with the
 * same driver are "drm:DRIVER" and "drm:DRIVER-1" (then -2, ...) in the
 * order they were found; the suffix is the lowest free one, so a card that
 * is unplugged and plugged back in gets its old name if nobody took it.
 *
 * Backends are never freed while the daemon runs (buffers point at theirs):
 * a removed device's backend is marked gone and moved to a list of the dead.
 * Its device fd stays open until registry_exit(): another thread may be in
 * the middle of an ioctl on it, and closing it could let the number be
 * reused under that ioctl.
 */
#include <dirent.h>
#include <errno.h>
#include <libudev.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backend/backend.h"
#include "shared/log.h"
#include "shared/macro.h"

static struct {
	pthread_mutex_t lock;
	bool initialized;
	struct backend *live;	   /* dma-buf backends with a present device */
	struct backend *dead;	   /* gone, kept for the buffers that use them */
	struct backend *memfd;	   /* always allocated, offered only as fallback */
	char forced[64];	   /* backend= option, "" when not forced */
	struct backend *forced_be; /* the last backend that answered to it */
	struct udev *udev;
	struct udev_monitor *mon;
	backend_gone_cb gone_cb;
	void *gone_data;
} reg = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
};

static bool startswith(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* Under the lock. */
static struct backend *live_find_name(const char *name)
{
	for (struct backend *be = reg.live; be; be = be->next)
		if (strcmp(be->name, name) == 0)
			return be;
	return NULL;
}

static struct backend *live_find_syspath(const char *syspath)
{
	for (struct backend *be = reg.live; be; be = be->next)
		if (be->syspath[0] && strcmp(be->syspath, syspath) == 0)
			return be;
	return NULL;
}

/* Under the lock: the memfd backend is in use when no dma-buf device is
 * left, or when backend=memfd asked for it. */
static bool memfd_in_use(void)
{
	return !reg.live || strcmp(reg.forced, "memfd") == 0;
}

/* Under the lock: give a second card of the same driver a free "-N". */
static void make_name_unique(struct backend *be)
{
	char base[sizeof(be->name)];

	if (!live_find_name(be->name))
		return;
	snprintf(base, sizeof(base), "%s", be->name);
	for (int n = 1; n < 1000; n++) {
		/* base is at most "drm:" + 31 bytes of driver name: fits. */
		snprintf(be->name, sizeof(be->name), "%.58s-%d", base, n);
		if (!live_find_name(be->name))
			return;
	}
}

/*
 * A render node is only worth a backend when its device has no card node:
 * render nodes refuse CREATE_DUMB, and the card already covers the device.
 */
static bool render_node_has_card(const char *syspath)
{
	_cleanup_free_ char *dir = strdup(syspath);
	struct dirent *de;
	bool found = false;
	char *slash;
	DIR *d;

	if (!dir)
		return false;
	slash = strrchr(dir, '/');
	if (!slash)
		return false;
	*slash = '\0';
	d = opendir(dir);
	if (!d)
		return false;
	while ((de = readdir(d)))
		if (startswith(de->d_name, "card")) {
			found = true;
			break;
		}
	closedir(d);
	return found;
}

static void add_device(struct udev_device *dev)
{
	const char *subsys = udev_device_get_subsystem(dev);
	const char *sysname = udev_device_get_sysname(dev);
	const char *devnode = udev_device_get_devnode(dev);
	const char *syspath = udev_device_get_syspath(dev);
	struct backend *be = NULL;
	bool known;
	int r;

	if (!subsys || !sysname || !devnode || !syspath)
		return;

	if (strcmp(subsys, "misc") == 0) {
		if (strcmp(sysname, "udmabuf") != 0)
			return;
	} else if (strcmp(subsys, "drm") == 0) {
		const char *devtype = udev_device_get_devtype(dev);

		/* card0-Virtual-1 and friends are connectors ("drm_connector"). */
		if (!devtype || strcmp(devtype, "drm_minor") != 0)
			return;
		if (startswith(sysname, "renderD")) {
			if (render_node_has_card(syspath))
				return;
		} else if (!startswith(sysname, "card")) {
			return;
		}
	} else if (strcmp(subsys, "dma_heap") != 0) {
		return;
	}

	/* The enumeration and an early monitor event can report one device
	 * twice. */
	pthread_mutex_lock(&reg.lock);
	known = live_find_syspath(syspath) != NULL;
	pthread_mutex_unlock(&reg.lock);
	if (known)
		return;

	if (strcmp(subsys, "misc") == 0)
		r = backend_udmabuf_new(devnode, syspath, &be);
	else if (strcmp(subsys, "dma_heap") == 0)
		r = backend_heap_new(devnode, syspath, &be);
	else
		r = backend_drm_new(devnode, syspath, &be);
	if (r < 0)
		return; /* the constructor said why */

	pthread_mutex_lock(&reg.lock);
	if (live_find_syspath(syspath)) {
		pthread_mutex_unlock(&reg.lock);
		be->ops->destroy(be);
		return;
	}
	if (be->kind == BACKEND_DRM)
		make_name_unique(be);
	/* Append: ties in priority go to the device found first. */
	be->next = NULL;
	if (!reg.live) {
		reg.live = be;
	} else {
		struct backend *last = reg.live;

		while (last->next)
			last = last->next;
		last->next = be;
	}
	pthread_mutex_unlock(&reg.lock);

	if (be->driver[0])
		log_info("backend %s: %s (driver %s, exporter %s)", be->name, be->devnode,
			 be->driver, be->exporter);
	else
		log_info("backend %s: %s", be->name, be->devnode);
}

static void remove_device(const char *syspath)
{
	struct backend *be = NULL, **pp;
	bool now_memfd;

	pthread_mutex_lock(&reg.lock);
	for (pp = &reg.live; *pp; pp = &(*pp)->next) {
		if ((*pp)->syspath[0] && strcmp((*pp)->syspath, syspath) == 0) {
			be = *pp;
			*pp = be->next;
			break;
		}
	}
	if (be) {
		__atomic_store_n(&be->gone, true, __ATOMIC_RELEASE);
		be->next = reg.dead;
		reg.dead = be;
	}
	now_memfd = !reg.live;
	pthread_mutex_unlock(&reg.lock);

	if (!be)
		return;
	log_notice("backend %s: %s removed; its buffers fail with ENODEV", be->name, be->devnode);
	if (now_memfd && !reg.forced[0])
		log_notice("no dma-buf device left: new buffers are plain memfds");
	if (reg.gone_cb)
		reg.gone_cb(be, reg.gone_data);
}

static void enumerate(void)
{
	struct udev_enumerate *e;
	struct udev_list_entry *item;

	e = udev_enumerate_new(reg.udev);
	if (!e) {
		log_warn("udev: cannot enumerate devices: %s", strerror(errno));
		return;
	}
	/* Several subsystem matches are OR'ed. */
	if (udev_enumerate_add_match_subsystem(e, "drm") < 0 ||
	    udev_enumerate_add_match_subsystem(e, "misc") < 0 ||
	    udev_enumerate_add_match_subsystem(e, "dma_heap") < 0 ||
	    udev_enumerate_scan_devices(e) < 0) {
		log_warn("udev: device enumeration failed");
		udev_enumerate_unref(e);
		return;
	}
	/* Sorted by syspath, so a device's card node comes before its
	 * renderD node. */
	udev_list_entry_foreach(item, udev_enumerate_get_list_entry(e)) {
		struct udev_device *dev;

		dev = udev_device_new_from_syspath(reg.udev, udev_list_entry_get_name(item));
		if (!dev)
			continue;
		add_device(dev);
		udev_device_unref(dev);
	}
	udev_enumerate_unref(e);
}

/*
 * Hotplug. With udevd running we listen to its "udev" events, sent once
 * the device is set up (permissions, rules applied). Without udevd (the
 * initramfs of the VM tier, minimal containers) nobody ever sends those,
 * so we take the kernel's own uevents ("kernel" source) instead: the node
 * already exists by then, since devtmpfs creates it before the uevent goes
 * out. /run/udev/control is the socket udevd listens on while it runs, the
 * same test libudev users such as systemd make.
 */
static void monitor_start(void)
{
	const char *source = access("/run/udev/control", F_OK) == 0 ? "udev" : "kernel";

	reg.mon = udev_monitor_new_from_netlink(reg.udev, source);
	if (!reg.mon) {
		log_warn("udev: no hotplug monitor (%s events): %s", source, strerror(errno));
		return;
	}
	if (udev_monitor_filter_add_match_subsystem_devtype(reg.mon, "drm", NULL) < 0 ||
	    udev_monitor_filter_add_match_subsystem_devtype(reg.mon, "misc", NULL) < 0 ||
	    udev_monitor_filter_add_match_subsystem_devtype(reg.mon, "dma_heap", NULL) < 0 ||
	    udev_monitor_enable_receiving(reg.mon) < 0) {
		log_warn("udev: cannot start the hotplug monitor (%s events)", source);
		udev_monitor_unref(reg.mon);
		reg.mon = NULL;
		return;
	}
	log_debug("udev: watching %s events for hotplug", source);
}

static void free_list(struct backend *be)
{
	while (be) {
		struct backend *next = be->next;

		be->ops->destroy(be);
		be = next;
	}
}

void registry_exit(void)
{
	if (reg.mon)
		udev_monitor_unref(reg.mon);
	if (reg.udev)
		udev_unref(reg.udev);
	reg.mon = NULL;
	reg.udev = NULL;

	pthread_mutex_lock(&reg.lock);
	free_list(reg.live);
	free_list(reg.dead);
	if (reg.memfd)
		reg.memfd->ops->destroy(reg.memfd);
	reg.live = reg.dead = reg.memfd = reg.forced_be = NULL;
	reg.forced[0] = '\0';
	reg.gone_cb = NULL;
	reg.gone_data = NULL;
	reg.initialized = false;
	pthread_mutex_unlock(&reg.lock);
}

int registry_init(const char *forced, backend_gone_cb cb, void *cb_data)
{
	struct backend *def;
	int r;

	if (reg.initialized)
		return -EALREADY;
	if (forced && strlen(forced) >= sizeof(reg.forced))
		return -ENAMETOOLONG;

	r = backend_memfd_new(&reg.memfd);
	if (r < 0)
		return r;
	reg.gone_cb = cb;
	reg.gone_data = cb_data;
	snprintf(reg.forced, sizeof(reg.forced), "%s", forced && forced[0] ? forced : "");
	reg.initialized = true;

	reg.udev = udev_new();
	if (reg.udev) {
		/* Start listening before enumerating, so that a device added in
		 * between is not missed (add_device ignores duplicates). */
		monitor_start();
		enumerate();
	} else {
		log_warn("udev: libudev unavailable (%s): no device discovery", strerror(errno));
	}

	pthread_mutex_lock(&reg.lock);
	if (reg.forced[0] && strcmp(reg.forced, "memfd") != 0) {
		reg.forced_be = live_find_name(reg.forced);
		if (!reg.forced_be) {
			pthread_mutex_unlock(&reg.lock);
			log_err("backend=%s: no such backend on this machine", reg.forced);
			registry_exit();
			return -ENODEV;
		}
	}
	pthread_mutex_unlock(&reg.lock);

	if (strcmp(reg.forced, "memfd") == 0)
		log_info("backend memfd: forced by backend=memfd");
	else if (registry_memfd_only())
		log_info("backend memfd: no dma-buf device found, buffers are plain memfds");

	def = registry_default();
	log_info("default backend: %s", def->name);
	return 0;
}

struct backend *registry_default(void)
{
	struct backend *best = NULL;

	pthread_mutex_lock(&reg.lock);
	if (strcmp(reg.forced, "memfd") == 0) {
		best = reg.memfd;
	} else if (reg.forced[0]) {
		/* A forced device that went away stays the default, so that
		 * allocations fail with ENODEV instead of quietly landing
		 * elsewhere; if it came back, the new backend answers. */
		best = live_find_name(reg.forced);
		if (best)
			reg.forced_be = best;
		else
			best = reg.forced_be;
	} else {
		for (struct backend *be = reg.live; be; be = be->next)
			if (!best || be->priority > best->priority)
				best = be;
		if (!best)
			best = reg.memfd;
	}
	pthread_mutex_unlock(&reg.lock);
	return best;
}

struct backend *registry_find(const char *name)
{
	struct backend *be = NULL;

	if (!name)
		return NULL;
	pthread_mutex_lock(&reg.lock);
	if (strcmp(name, "memfd") == 0) {
		if (reg.memfd && memfd_in_use())
			be = reg.memfd;
	} else {
		be = live_find_name(name);
	}
	pthread_mutex_unlock(&reg.lock);
	return be;
}

int registry_list(char (*names)[64], int max)
{
	int n = 0;

	pthread_mutex_lock(&reg.lock);
	for (struct backend *be = reg.live; be; be = be->next, n++)
		if (names && n < max)
			snprintf(names[n], 64, "%s", be->name);
	if (reg.memfd && memfd_in_use()) {
		if (names && n < max)
			snprintf(names[n], 64, "%s", reg.memfd->name);
		n++;
	}
	pthread_mutex_unlock(&reg.lock);
	return n;
}

bool registry_memfd_only(void)
{
	bool r;

	pthread_mutex_lock(&reg.lock);
	r = reg.initialized && memfd_in_use();
	pthread_mutex_unlock(&reg.lock);
	return r;
}

int registry_monitor_fd(void)
{
	return reg.mon ? udev_monitor_get_fd(reg.mon) : -1;
}

void registry_process_events(void)
{
	struct udev_device *dev;

	if (!reg.mon)
		return;
	/* Drain what is queued; the socket is non-blocking. */
	while ((dev = udev_monitor_receive_device(reg.mon))) {
		const char *action = udev_device_get_action(dev);
		const char *syspath = udev_device_get_syspath(dev);

		if (action && syspath) {
			if (strcmp(action, "add") == 0)
				add_device(dev);
			else if (strcmp(action, "remove") == 0)
				remove_device(syspath);
		}
		udev_device_unref(dev);
	}
}
