/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * DRM and dma-buf helpers shared by the guest test programs (libdrm; not
 * for the host checkers, which include only vmtest.h).
 */
#ifndef VMDRM_H
#define VMDRM_H

#include <dirent.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <linux/dma-buf.h>
#include <xf86drm.h>

#include "vmtest.h"

/* Open the DRM card whose driver (drmGetVersion()->name) is drv; card
 * numbers follow module load order, so never trust one. path gets its
 * node. Returns the fd or -1. */
static inline int vm_open_card(const char *drv, char *path, size_t len)
{
	DIR *d = opendir("/dev/dri");
	struct dirent *de;
	int found = -1;

	if (!d)
		return -1;
	while (found < 0 && (de = readdir(d))) {
		drmVersionPtr v;
		int fd;

		if (strncmp(de->d_name, "card", 4))
			continue;
		snprintf(path, len, "/dev/dri/%s", de->d_name);
		fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			continue;
		v = drmGetVersion(fd);
		if (v && !strcmp(v->name, drv))
			found = fd;
		else
			close(fd);
		drmFreeVersion(v);
	}
	closedir(d);
	return found;
}

/* DMA_BUF_IOCTL_SYNC, restarted like every user of it must. */
static inline int vm_sync(int fd, uint64_t flags)
{
	struct dma_buf_sync s = { .flags = flags };
	int r;

	do
		r = ioctl(fd, DMA_BUF_IOCTL_SYNC, &s);
	while (r < 0 && (errno == EINTR || errno == EAGAIN));
	return r < 0 ? -errno : 0;
}

static inline void vm_sync_or_die(int fd, uint64_t flags, const char *what)
{
	int r = vm_sync(fd, flags);

	if (r < 0)
		vm_fail("DMA_BUF_IOCTL_SYNC(%#llx) on %s: %s", (unsigned long long)flags, what,
			strerror(-r));
}

static inline int vm_pixel_ok(volatile const uint32_t *p, uint32_t x, uint32_t y, uint32_t seed)
{
	return (*p & 0xffffff) == vm_pattern(x, y, seed);
}

/*
 * Find a w x h image of vm_pattern(seed) with the given pitch in the VRAM
 * (PCI BAR 0, sysfs resource0, mappable because of iomem=relaxed) of the
 * device behind card, and compare every pixel. The buffer's VRAM offset is
 * not reported to userspace, so page-aligned offsets are searched for the
 * first row. Returns the offset; fails the test otherwise.
 */
static inline long vm_check_vram(int card, uint32_t w, uint32_t h, uint32_t pitch, uint32_t seed)
{
	char res[128];
	struct stat st;
	volatile const uint8_t *bar;
	long found = -1;
	size_t size;
	int fd;

	if (fstat(card, &st) < 0)
		vm_fail("fstat card: %s", strerror(errno));
	snprintf(res, sizeof(res), "/sys/dev/char/%u:%u/device/resource0", major(st.st_rdev),
		 minor(st.st_rdev));
	fd = open(res, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0)
		vm_fail("%s: %s", res, strerror(errno));
	size = (size_t)st.st_size;
	bar = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
	if (bar == MAP_FAILED)
		vm_fail("mmap %s: %s (is iomem=relaxed on the command line?)", res,
			strerror(errno));
	vm_log("VRAM (BAR 0) is %zu bytes", size);

	/* Aligned 32-bit reads only: this is I/O memory. */
	for (size_t off = 0; off + (size_t)pitch * h <= size && found < 0; off += 4096) {
		volatile const uint32_t *row = (const volatile uint32_t *)(bar + off);
		uint32_t x;

		for (x = 0; x < 16 && vm_pixel_ok(&row[x], x, 0, seed); x++)
			;
		if (x == 16)
			found = (long)off;
	}
	if (found < 0)
		vm_fail("the pattern's first row is nowhere in VRAM");
	for (uint32_t y = 0; y < h; y++) {
		volatile const uint32_t *row =
			(const volatile uint32_t *)(bar + found + (size_t)y * pitch);

		for (uint32_t x = 0; x < w; x++)
			if (!vm_pixel_ok(&row[x], x, y, seed))
				vm_fail("VRAM at offset %#lx: pixel (%u,%u) is %#x, "
					"expected %#x",
					found, x, y, row[x] & 0xffffff, vm_pattern(x, y, seed));
	}
	munmap((void *)bar, size);
	close(fd);
	return found;
}

#endif /* VMDRM_H */
