/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * bochs-scanout [--through-file NAME] [TAG]
 * bochs-scanout --hold NAME
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
 *
 * --through-file NAME: the I/O memory test of dmabuffs. The scanout buffer
 * (pinned in VRAM, mapped uncached) is exported with PRIME and published
 * to the running daemon as NAME (dmabuffs_publish); its file must say
 * user.dmabuf.iomem = 1. The pattern is then written THROUGH THE FILE
 * (pwrite, in odd-sized chunks, so the daemon's I/O shim does the stores,
 * heads and tails included), not through our mapping, and checked in VRAM
 * and by the host's screendump as above; then read back through the file,
 * and finally a pattern written through our own mapping must read back
 * through the file. The program must be DRM master for SetCrtc: the daemon
 * opened the card first and has to have dropped master.
 * --hold NAME: the VM benchmark's I/O memory buffer (tests/vm/guest/bench.sh).
 * The scanout buffer, pinned in VRAM by SetCrtc, is published as NAME and
 * held, pinned and on screen, until SIGTERM or SIGINT (exit 0): the buffer
 * is transient, so it goes with us. Prints "hold name=NAME size=BYTES
 * path=FILE" once the file is there. No pattern checks, no host request.
 * Exit: 0 pass, 77 no bochs card (or no libdmabuffs), 1 failure.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <time.h>
#include <xf86drm.h>
#include <xf86drmMode.h>

#ifdef HAVE_DMABUFFS_PUBLISH
#include <dmabuffs/client.h>
#endif

#include "vmkms.h"
#include "vmxattr.h"

#ifdef HAVE_DMABUFFS_PUBLISH
/* vm_expect_xattr(), and the value in the log. */
static void expect_xattr(const char *path, const char *key, const char *want)
{
	const char *val = vm_expect_xattr(path, key, want);

	vm_log("%s: user.dmabuf.%s = %s", path, key, val);
}

static void compare_image(const uint8_t *got, uint32_t w, uint32_t h, uint32_t pitch, uint32_t seed,
			  const char *what)
{
	for (uint32_t y = 0; y < h; y++)
		for (uint32_t x = 0; x < w; x++) {
			uint32_t v = ((const uint32_t *)(got + (size_t)y * pitch))[x];

			if ((v & 0xffffff) != vm_pattern(x, y, seed))
				vm_fail("%s: pixel (%u,%u) is %#x, expected %#x", what, x, y,
					v & 0xffffff, vm_pattern(x, y, seed));
		}
}

static void read_file(const char *path, uint8_t *dst, size_t size)
{
	size_t off = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		vm_fail("open %s: %s", path, strerror(errno));
	while (off < size) {
		ssize_t n = pread(fd, dst + off, size - off, (off_t)off);

		if (n <= 0)
			vm_fail("read %s at %zu: %s", path, off, n < 0 ? strerror(errno) : "EOF");
		off += (size_t)n;
	}
	close(fd);
}

static void write_file(const char *path, const uint8_t *src, size_t size)
{
	static const size_t chunks[] = { 4093, 1, 65543, 6, 262147, 2, 12345 };
	int fd = open(path, O_WRONLY | O_CLOEXEC);

	if (fd < 0)
		vm_fail("open %s: %s", path, strerror(errno));
	vm_pwrite_chunks(fd, path, src, size, chunks, sizeof(chunks) / sizeof(chunks[0]));
	if (close(fd) < 0)
		vm_fail("close %s: %s", path, strerror(errno));
}

/* The scanout buffer exported with PRIME and published (transient) as
 * name; fpath gets its file, which must have size bytes or more. Returns
 * the file's size. */
static off_t publish(int card, uint32_t handle, const char *name, size_t size, char *fpath,
		     size_t len)
{
	const char *mnt = getenv("DMABUFFS_MOUNT");
	struct stat st;
	int dbuf, r;

	if (drmPrimeHandleToFD(card, handle, DRM_CLOEXEC | DRM_RDWR, &dbuf) < 0)
		vm_fail("PRIME export of the scanout buffer: %s", strerror(errno));
	r = dmabuffs_publish(dbuf, name, DMABUFFS_PUBLISH_TRANSIENT);
	if (r < 0)
		vm_fail("dmabuffs_publish(%s): %s (%s)", name, strerror(-r), dmabuffs_last_error());
	close(dbuf);
	snprintf(fpath, len, "%s/%s", mnt ? mnt : "/run/dmabuf", name);
	if (stat(fpath, &st) < 0)
		vm_fail("stat %s: %s", fpath, strerror(errno));
	if ((size_t)st.st_size < size)
		vm_fail("%s has %lld bytes, the scanout buffer %zu", fpath, (long long)st.st_size,
			size);
	return st.st_size;
}

static volatile sig_atomic_t hold_stop;

static void on_hold_signal(int sig)
{
	(void)sig;
	hold_stop = 1;
}

/* Where the buffer's current contents (px, size bytes) are in VRAM (BAR 0,
 * sysfs resource0): the offset, or -1. Aligned 32-bit reads only. */
static long find_in_vram(int card, const volatile uint32_t *px, size_t size)
{
	char res[128];
	struct stat st;
	const volatile uint32_t *bar;
	size_t bar_size, n = size / 4;
	long found = -1;
	int fd;

	if (fstat(card, &st) < 0)
		return -1;
	snprintf(res, sizeof(res), "/sys/dev/char/%u:%u/device/resource0", major(st.st_rdev),
		 minor(st.st_rdev));
	fd = open(res, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		vm_log("%s: %s", res, strerror(errno));
		return -1;
	}
	bar_size = (size_t)st.st_size;
	bar = mmap(NULL, bar_size, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	if (bar == MAP_FAILED) {
		vm_log("mmap %s: %s", res, strerror(errno));
		return -1;
	}
	for (size_t off = 0; off + size <= bar_size && found < 0; off += 4096) {
		size_t i;

		for (i = 0; i < n && bar[off / 4 + i] == px[i]; i++)
			;
		if (i == n)
			found = (long)off;
	}
	munmap((void *)bar, bar_size);
	return found;
}

/* --hold: publish the pinned scanout buffer and keep it (and the CRTC
 * that pins it) until told to stop; then say where what the file's
 * users left in it is in VRAM, which shows they worked on VRAM. */
static void hold(int card, uint32_t handle, const volatile uint32_t *px, size_t size,
		 const char *name)
{
	long off;
	struct sigaction sa = { .sa_handler = on_hold_signal };
	char fpath[512];
	sigset_t block, old;
	off_t fsize = publish(card, handle, name, size, fpath, sizeof(fpath));

	/* No signal may slip in between the test and the wait. */
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigprocmask(SIG_BLOCK, &block, &old);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	printf("hold name=%s size=%lld path=%s\n", name, (long long)fsize, fpath);
	fflush(stdout);
	while (!hold_stop)
		sigsuspend(&old);
	off = find_in_vram(card, px, size);
	if (off < 0)
		vm_fail("hold %s: the buffer's %zu bytes are nowhere in VRAM (resource0)", name,
			size);
	printf("hold-vram name=%s offset=%#lx bytes=%zu: the buffer's contents are in VRAM\n", name,
	       off, size);
}
#endif

int main(int argc, char **argv)
{
	const char *tag = "scanout1", *publish_name = NULL, *hold_name = NULL;
	struct drm_mode_create_dumb cd;
	struct vm_output o = { 0 };
	drmModeResPtr res;
	uint32_t fb, seed, *px;
	char path[300], args[128], why[256];
	long off;
	int card, r;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc > 2 && !strcmp(argv[1], "--through-file")) {
		publish_name = argv[2];
		argv += 2;
		argc -= 2;
	} else if (argc > 2 && !strcmp(argv[1], "--hold")) {
		hold_name = argv[2];
		argv += 2;
		argc -= 2;
	}
	if (argc > 1)
		tag = argv[1];
#ifndef HAVE_DMABUFFS_PUBLISH
	if (publish_name || hold_name)
		vm_skip("built without libdmabuffs dmabuffs_publish()");
#endif
	card = vm_open_card("bochs-drm", path, sizeof(path));
	if (card < 0)
		vm_skip("no bochs-drm card");
	vm_log("%s: DRM master on open: %s", path, drmIsMaster(card) ? "yes" : "no");
	res = drmModeGetResources(card);
	if (!res)
		vm_fail("drmModeGetResources: %s", strerror(errno));
	/* A connector without a CRTC (o.crtc 0) goes on, to fail at SetCrtc. */
	if (vm_pick_output(card, res, &o) < 0 && !o.conn)
		vm_fail("no connected connector with modes");
	vm_log("%s: connector %u, mode %s (%ux%u), crtc %u", path, o.conn->connector_id,
	       o.mode.name, o.mode.hdisplay, o.mode.vdisplay, o.crtc);

	vm_create_dumb(card, o.mode.hdisplay, o.mode.vdisplay, &cd);
	vm_log("dumb buffer pitch %u size %llu", cd.pitch, (unsigned long long)cd.size);
	if (drmModeAddFB(card, cd.width, cd.height, 24, 32, cd.pitch, cd.handle, &fb))
		vm_fail("drmModeAddFB: %s", strerror(errno));
	r = vm_set_crtc(card, o.crtc, fb, o.conn->connector_id, &o.mode);
	if (r)
		vm_fail("drmModeSetCrtc: %s (not DRM master%s?)", strerror(errno),
			publish_name ? ": did the daemon keep master of the card" : "");

	px = vm_map_dumb(card, &cd);
	seed = (uint32_t)getpid() * 2654435761u ^ (uint32_t)time(NULL);
#ifdef HAVE_DMABUFFS_PUBLISH
	if (hold_name) {
		hold(card, cd.handle, px, (size_t)cd.pitch * cd.height, hold_name);
		munmap(px, cd.size);
		drmModeRmFB(card, fb);
		close(card);
		return 0;
	}
#endif
	if (!publish_name)
		vm_draw_pattern(px, cd.width, cd.height, cd.pitch, seed);
#ifdef HAVE_DMABUFFS_PUBLISH
	uint8_t *img = NULL;
	char fpath[512];

	if (publish_name) {
		size_t size = (size_t)cd.pitch * cd.height;

		/* Something else on screen first, so that only writes that
		 * really went through the file can pass. */
		vm_draw_pattern(px, cd.width, cd.height, cd.pitch, ~seed);
		publish(card, cd.handle, publish_name, size, fpath, sizeof(fpath));
		expect_xattr(fpath, "exporter", "drm");
		expect_xattr(fpath, "iomem", "1");
		expect_xattr(fpath, "iomem_reason", NULL);
		expect_xattr(fpath, "origin", "published");

		img = malloc(size);
		if (!img)
			vm_fail("out of memory");
		memset(img, 0, size);
		vm_draw_pattern((uint32_t *)img, cd.width, cd.height, cd.pitch, seed);
		write_file(fpath, img, size);
		vm_log("%zu bytes of pattern %#x written through %s", size, seed, fpath);
	}
#endif

	/* Since 6.15 or so bochs keeps dumb buffers in system memory and
	 * copies the damaged parts to VRAM (shadow plane): a front-buffer
	 * writer must say what changed, as the DRM contract asks anyway.
	 * The VRAM-helper bochs of 6.12 scans out the buffer itself and has
	 * no dirty hook (ENOSYS): nothing to do there. */
	r = drmModeDirtyFB(card, fb, NULL, 0);
	vm_log("drmModeDirtyFB: %s",
	       r ? strerror(r < -1 ? -r : errno) : "ok (the driver copies to VRAM)");

	/* The host's look first: its verdict does not depend on whether the
	 * guest's own check below passes, so both can fail on their own. */
	snprintf(args, sizeof(args), "pattern %#x %u %u", seed, cd.width, cd.height);
	r = vm_host_request("screendump", tag, args, 20000, why, sizeof(why));
	if (r == -EIO)
		vm_fail("host could not take the screendump: %s", why);
	if (r < 0)
		vm_fail("no answer from the host for the screendump: %s", strerror(-r));
	vm_log("host took screendump %s", tag);

	off = vm_check_vram(card, cd.width, cd.height, cd.pitch, seed);
	vm_log("pattern found in VRAM at offset %#lx (%ld bytes), all %u rows match", off, off,
	       cd.height);

#ifdef HAVE_DMABUFFS_PUBLISH
	if (publish_name) {
		size_t size = (size_t)cd.pitch * cd.height;

		/* Our own (uncached) mapping of the same VRAM. */
		for (uint32_t y = 0; y < cd.height; y++)
			for (uint32_t x = 0; x < cd.width; x++)
				if ((px[(size_t)y * (cd.pitch / 4) + x] & 0xffffff) !=
				    vm_pattern(x, y, seed))
					vm_fail("the program's mapping at (%u,%u) does not "
						"show the pattern written through the file",
						x, y);
		memset(img, 0, size);
		read_file(fpath, img, size);
		compare_image(img, cd.width, cd.height, cd.pitch, seed,
			      "the scanout buffer read through the file");
		vm_log("the scanout buffer reads back through the file");

		/* The other way: our mapping -> the file. */
		vm_draw_pattern(px, cd.width, cd.height, cd.pitch, seed ^ 0x5a5a5a5a);
		read_file(fpath, img, size);
		compare_image(img, cd.width, cd.height, cd.pitch, seed ^ 0x5a5a5a5a,
			      "the file after a write through the program's mapping");
		vm_log("a write through the program's mapping reads back through the file");
		free(img);
	}
#endif

	munmap(px, cd.size);
	drmModeRmFB(card, fb);
	drmModeFreeConnector(o.conn);
	drmModeFreeResources(res);
	close(card);
	return 0;
}
