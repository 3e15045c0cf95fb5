/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * bochs-scanout [TAG]
 *
 * Put a dumb buffer on the bochs-drm display at the current mode (first
 * connected connector, its preferred mode: 1280x800 on qemu's std VGA),
 * write a pattern through the dumb mapping and check it landed where the
 * display reads it from, two ways:
 *  - in the guest: drmModeAddFB + drmModeSetCrtc pins the buffer into VRAM
 *    (PCI BAR 0), which the kernel lets us map read-only from sysfs
 *    resource0 because of iomem=relaxed. The buffer's VRAM offset is not
 *    reported to userspace, so it is found by searching page-aligned
 *    offsets for the first pattern row (the fbcon console holds offset 0,
 *    so ours is usually right after it); then every row is compared.
 *  - on the host: "VMHOST screendump TAG pattern SEED W H" makes the host
 *    save QEMU's screendump to TAG.ppm and, after the run, compare it with
 *    the same pattern (tests/vm/host/check-pattern.c).
 * The seed changes each run so a stale screen or VRAM cannot pass.
 * Exit: 0 pass, 77 no bochs card, 1 failure.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <xf86drm.h>
#include <xf86drmMode.h>

#include "vmtest.h"

static int open_card(const char *drv, char *path, size_t len)
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

static int pixel_ok(volatile const uint32_t *p, uint32_t x, uint32_t y, uint32_t seed)
{
	return (*p & 0xffffff) == vm_pattern(x, y, seed);
}

/* Search VRAM for the buffer and compare all of it; returns the offset. */
static long check_vram(int card, uint32_t w, uint32_t h, uint32_t pitch,
		       uint32_t seed)
{
	char res[128];
	struct stat st;
	volatile const uint8_t *bar;
	long found = -1;
	size_t size;
	int fd;

	if (fstat(card, &st) < 0)
		vm_fail("fstat card: %s", strerror(errno));
	snprintf(res, sizeof(res), "/sys/dev/char/%u:%u/device/resource0",
		 major(st.st_rdev), minor(st.st_rdev));
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

		for (x = 0; x < 16 && pixel_ok(&row[x], x, 0, seed); x++)
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
			if (!pixel_ok(&row[x], x, y, seed))
				vm_fail("VRAM at offset %#lx: pixel (%u,%u) is %#x, "
					"expected %#x", found, x, y, row[x] & 0xffffff,
					vm_pattern(x, y, seed));
	}
	munmap((void *)bar, size);
	close(fd);
	return found;
}

int main(int argc, char **argv)
{
	const char *tag = argc > 1 ? argv[1] : "scanout1";
	struct drm_mode_create_dumb cd = { .bpp = 32 };
	struct drm_mode_map_dumb md = { 0 };
	drmModeConnectorPtr conn = NULL;
	drmModeModeInfo mode;
	drmModeResPtr res;
	uint32_t fb, crtc = 0, seed, *px;
	char path[300], args[128], why[256];
	long off;
	int card, r;

	setvbuf(stdout, NULL, _IOLBF, 0);
	card = open_card("bochs-drm", path, sizeof(path));
	if (card < 0)
		vm_skip("no bochs-drm card");
	res = drmModeGetResources(card);
	if (!res)
		vm_fail("drmModeGetResources: %s", strerror(errno));
	for (int i = 0; i < res->count_connectors && !conn; i++) {
		conn = drmModeGetConnector(card, res->connectors[i]);
		if (conn && (conn->connection != DRM_MODE_CONNECTED || !conn->count_modes)) {
			drmModeFreeConnector(conn);
			conn = NULL;
		}
	}
	if (!conn)
		vm_fail("no connected connector with modes");
	mode = conn->modes[0];
	for (int i = 0; i < conn->count_modes; i++)
		if (conn->modes[i].type & DRM_MODE_TYPE_PREFERRED) {
			mode = conn->modes[i];
			break;
		}
	if (conn->encoder_id) {
		drmModeEncoderPtr enc = drmModeGetEncoder(card, conn->encoder_id);

		if (enc)
			crtc = enc->crtc_id;
		drmModeFreeEncoder(enc);
	}
	if (!crtc && res->count_crtcs)
		crtc = res->crtcs[0];
	vm_log("%s: connector %u, mode %s (%ux%u), crtc %u", path, conn->connector_id,
	       mode.name, mode.hdisplay, mode.vdisplay, crtc);

	cd.width = mode.hdisplay;
	cd.height = mode.vdisplay;
	if (drmIoctl(card, DRM_IOCTL_MODE_CREATE_DUMB, &cd) < 0)
		vm_fail("CREATE_DUMB: %s", strerror(errno));
	vm_log("dumb buffer pitch %u size %llu", cd.pitch, (unsigned long long)cd.size);
	if (drmModeAddFB(card, cd.width, cd.height, 24, 32, cd.pitch, cd.handle, &fb))
		vm_fail("drmModeAddFB: %s", strerror(errno));
	r = drmModeSetCrtc(card, crtc, fb, 0, 0, &conn->connector_id, 1, &mode);
	if (r && errno == EACCES && !drmSetMaster(card))
		r = drmModeSetCrtc(card, crtc, fb, 0, 0, &conn->connector_id, 1, &mode);
	if (r)
		vm_fail("drmModeSetCrtc: %s (not DRM master?)", strerror(errno));

	md.handle = cd.handle;
	if (drmIoctl(card, DRM_IOCTL_MODE_MAP_DUMB, &md) < 0)
		vm_fail("MAP_DUMB: %s", strerror(errno));
	px = mmap(NULL, cd.size, PROT_READ | PROT_WRITE, MAP_SHARED, card, md.offset);
	if (px == MAP_FAILED)
		vm_fail("mmap dumb buffer: %s", strerror(errno));
	seed = (uint32_t)getpid() * 2654435761u ^ (uint32_t)time(NULL);
	for (uint32_t y = 0; y < cd.height; y++)
		for (uint32_t x = 0; x < cd.width; x++)
			px[(size_t)y * (cd.pitch / 4) + x] = vm_pattern(x, y, seed);

	off = check_vram(card, cd.width, cd.height, cd.pitch, seed);
	vm_log("pattern found in VRAM at offset %#lx (%ld bytes), all %u rows match",
	       off, off, cd.height);

	snprintf(args, sizeof(args), "pattern %#x %u %u", seed, cd.width, cd.height);
	r = vm_host_request("screendump", tag, args, 20000, why, sizeof(why));
	if (r == -EIO)
		vm_fail("host could not take the screendump: %s", why);
	if (r < 0)
		vm_fail("no answer from the host for the screendump: %s", strerror(-r));
	vm_log("host took screendump %s", tag);

	munmap(px, cd.size);
	drmModeRmFB(card, fb);
	drmModeFreeConnector(conn);
	drmModeFreeResources(res);
	close(card);
	return 0;
}
