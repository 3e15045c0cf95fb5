/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * probe-exporters EXPORTER [SIZE]
 *
 * Make one dma-buf with a real exporter, write a pattern through an mmap of
 * the dma-buf and read it back through a second, independent mapping of the
 * same memory, then the other way round. Prints fdinfo's exp_name and count
 * ("VMINFO exporter=... exp_name=... count=...") and checks exp_name against
 * what the daemon's policy expects of that exporter.
 *
 * EXPORTER: udmabuf, heap-system, vgem, bochs, qxl, virtio-gpu.
 * The second mapping: udmabuf, the memfd behind it; heap, a second mmap of
 * the same fd (its own VMA, faulted in by itself: there is no other object
 * to map);
 * DRM, a second open of the card, drmPrimeFDToHandle of the dma-buf and a
 * DRM_IOCTL_MODE_MAP_DUMB mapping of that handle.
 * Exit: 0 pass, 77 exporter absent, 1 failure.
 */
#define _GNU_SOURCE
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <linux/dma-buf.h>
#include <linux/dma-heap.h>
#include <linux/udmabuf.h>
#include <xf86drm.h>

#include "vmkms.h"

struct exporter {
	const char *name;
	const char *drm_driver; /* drmGetVersion()->name, or NULL */
	const char *exp_name;	/* expected fdinfo exp_name */
};

static const struct exporter exporters[] = {
	{ "udmabuf", NULL, "udmabuf" }, { "heap-system", NULL, "system" },
	{ "vgem", "vgem", "drm" },	{ "bochs", "bochs-drm", "drm" },
	{ "qxl", "qxl", "drm" },	{ "virtio-gpu", "virtio_gpu", "virtio_gpu" },
};

static void sync_buf(int fd, uint64_t flags)
{
	struct dma_buf_sync s = { .flags = flags };

	if (ioctl(fd, DMA_BUF_IOCTL_SYNC, &s) < 0)
		vm_fail("DMA_BUF_IOCTL_SYNC(%#llx): %s", (unsigned long long)flags,
			strerror(errno));
}

static void compare(const uint8_t *p, size_t size, uint32_t salt, const char *what)
{
	for (size_t i = 0; i < size; i++)
		if (p[i] != vm_byte(i, salt))
			vm_fail("%s: byte %zu is %#x, wrote %#x", what, i, p[i], vm_byte(i, salt));
}

static void *map(int fd, size_t size, off_t off, const char *what)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, off);

	if (p == MAP_FAILED)
		vm_fail("mmap %s: %s", what, strerror(errno));
	return p;
}

/* The DRM card whose driver is drv (vm_open_card()), named in the log. */
static int open_card(const char *drv)
{
	char path[300];
	int fd = vm_open_card(drv, path, sizeof(path));

	if (fd >= 0)
		vm_log("%s is %s", path, drv);
	return fd;
}

static void report(const struct exporter *e, int buf)
{
	char exp_name[64];
	long count = -1;

	if (vm_fdinfo(buf, exp_name, sizeof(exp_name), &count) < 0)
		vm_fail("no exp_name in fdinfo of the dma-buf");
	printf("VMINFO exporter=%s exp_name=%s count=%ld\n", e->name, exp_name, count);
	fflush(stdout);
	if (strcmp(exp_name, e->exp_name))
		vm_fail("exp_name is '%s', expected '%s'", exp_name, e->exp_name);
}

/* Both directions: through the dma-buf into other, and back. */
static void roundtrip(int buf, uint8_t *other, size_t size)
{
	uint8_t *a = map(buf, size, 0, "dma-buf");

	sync_buf(buf, DMA_BUF_SYNC_START | DMA_BUF_SYNC_WRITE);
	vm_fill_bytes(a, size, 1);
	sync_buf(buf, DMA_BUF_SYNC_END | DMA_BUF_SYNC_WRITE);
	compare(other, size, 1, "second mapping after dma-buf write");

	vm_fill_bytes(other, size, 2);
	sync_buf(buf, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ);
	compare(a, size, 2, "dma-buf mapping after second-mapping write");
	sync_buf(buf, DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ);
	munmap(a, size);
}

static void probe_udmabuf(const struct exporter *e, size_t size)
{
	struct udmabuf_create c = { .flags = UDMABUF_FLAGS_CLOEXEC, .size = size };
	int dev = open("/dev/udmabuf", O_RDWR | O_CLOEXEC);
	int memfd, buf;
	uint8_t *m;

	if (dev < 0)
		vm_skip("/dev/udmabuf: %s", strerror(errno));
	memfd = memfd_create("vmtest", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (memfd < 0 || ftruncate(memfd, size) < 0)
		vm_fail("memfd: %s", strerror(errno));
	/* udmabuf refuses a memfd that could shrink under it (EINVAL). */
	if (fcntl(memfd, F_ADD_SEALS, F_SEAL_SHRINK) < 0)
		vm_fail("F_SEAL_SHRINK: %s", strerror(errno));
	c.memfd = memfd;
	buf = ioctl(dev, UDMABUF_CREATE, &c);
	if (buf < 0)
		vm_fail("UDMABUF_CREATE: %s", strerror(errno));
	report(e, buf);
	m = map(memfd, size, 0, "memfd");
	roundtrip(buf, m, size);
	close(buf);
	close(memfd);
	close(dev);
}

static void probe_heap(const struct exporter *e, size_t size)
{
	struct dma_heap_allocation_data a = {
		.len = size,
		.fd_flags = O_RDWR | O_CLOEXEC,
	};
	int heap = open("/dev/dma_heap/system", O_RDONLY | O_CLOEXEC);
	uint8_t *m;

	if (heap < 0)
		vm_skip("/dev/dma_heap/system: %s", strerror(errno));
	if (ioctl(heap, DMA_HEAP_IOCTL_ALLOC, &a) < 0)
		vm_fail("DMA_HEAP_IOCTL_ALLOC: %s", strerror(errno));
	report(e, a.fd);
	m = map(a.fd, size, 0, "dma-buf (second mapping)");
	roundtrip(a.fd, m, size);
	close(a.fd);
	close(heap);
}

static void probe_drm(const struct exporter *e, size_t size)
{
	struct drm_mode_create_dumb cd;
	struct drm_mode_map_dumb md = { 0 };
	uint32_t handle2;
	int card, card2, buf;
	uint8_t *m;

	card = open_card(e->drm_driver);
	if (card < 0)
		vm_skip("no DRM card with driver %s", e->drm_driver);
	vm_create_dumb(card, 256, size / (256 * 4), &cd);
	vm_log("dumb buffer %ux%u pitch %u size %llu", cd.width, cd.height, cd.pitch,
	       (unsigned long long)cd.size);
	if (drmPrimeHandleToFD(card, cd.handle, DRM_CLOEXEC | DRM_RDWR, &buf) < 0)
		vm_fail("PRIME export: %s", strerror(errno));
	report(e, buf);

	/* An independent file of the same card: its own handle namespace. */
	card2 = open_card(e->drm_driver);
	if (card2 < 0)
		vm_fail("second open of the %s card failed", e->drm_driver);
	if (drmPrimeFDToHandle(card2, buf, &handle2) < 0)
		vm_fail("PRIME import: %s", strerror(errno));
	md.handle = handle2;
	if (drmIoctl(card2, DRM_IOCTL_MODE_MAP_DUMB, &md) < 0)
		vm_fail("MAP_DUMB: %s", strerror(errno));
	m = map(card2, cd.size, md.offset, "dumb buffer");
	roundtrip(buf, m, cd.size < size ? cd.size : size);
	munmap(m, cd.size);
	close(buf);
	close(card2);
	close(card);
}

int main(int argc, char **argv)
{
	size_t size = argc > 2 ? strtoul(argv[2], NULL, 0) : 1 << 20;

	if (argc < 2) {
		fprintf(stderr, "usage: %s EXPORTER [SIZE]\n", argv[0]);
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (size_t i = 0; i < sizeof(exporters) / sizeof(exporters[0]); i++) {
		const struct exporter *e = &exporters[i];

		if (strcmp(argv[1], e->name))
			continue;
		if (!strcmp(e->name, "udmabuf"))
			probe_udmabuf(e, size);
		else if (!strcmp(e->name, "heap-system"))
			probe_heap(e, size);
		else
			probe_drm(e, size);
		vm_log("%s: %zu bytes round-tripped both ways", e->name, size);
		return 0;
	}
	vm_fail("unknown exporter %s", argv[1]);
}
