/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * tree-check FILE EXP_NAME [DRM_DRIVER]
 *
 * FILE is a buffer file of a dmabuffs mount, already allocated (e.g. by
 * `truncate -s 1M /run/dmabuf/new/BACKEND/NAME`). Checks that the file and
 * the dma-buf behind it are the same memory, both ways, through paths that
 * do not go through the daemon:
 *
 *  A. a pattern written with pwrite() on the file, in odd-sized chunks at
 *     odd offsets (so that the I/O shim's head and tail paths run), is what
 *     an mmap of the dma-buf that dmabuffs_export() hands back shows (with
 *     DMA_BUF_IOCTL_SYNC), and, with DRM_DRIVER, what a fresh open of that
 *     card sees after drmPrimeFDToHandle + DRM_IOCTL_MODE_MAP_DUMB;
 *  B. a pattern written through the independent mapping (the card's, else
 *     the exported dma-buf's) is what a fresh open + read() of the file
 *     returns;
 *  C. with the file mmapped and its page cache filled, a pattern written
 *     through the exported dma-buf's mapping is what the file's mapping
 *     shows after DMA_BUF_IOCTL_SYNC(SYNC_START) on the file;
 *  D. a pattern written through the file's mmap between SYNC_START|WRITE
 *     and SYNC_END|WRITE on the file is what the exported dma-buf shows.
 * Also: the exported fd's fdinfo exp_name is EXP_NAME and its size the
 * file's size.
 * Exit: 0 pass, 77 built without libdmabuffs, 1 failure.
 */
#define _GNU_SOURCE
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <xf86drm.h>

#ifdef HAVE_DMABUFFS_PUBLISH
#include <dmabuffs/client.h>
#endif

#include "vmdrm.h"

#ifdef HAVE_DMABUFFS_PUBLISH
static const char *file;

/* 0 when p holds the pattern, else fails with where and how many differ. */
static void compare(const uint8_t *p, size_t size, uint32_t salt, const char *what)
{
	size_t bad = 0, first = 0;

	for (size_t i = 0; i < size; i++)
		if (p[i] != vm_byte(i, salt) && !bad++)
			first = i;
	if (bad)
		vm_fail("%s: %zu of %zu bytes differ, first at %zu: %#x, expected %#x", what, bad,
			size, first, p[first], vm_byte(first, salt));
}

static void *map(int fd, size_t size, off_t off, const char *what)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, off);

	if (p == MAP_FAILED)
		vm_fail("mmap %s: %s", what, strerror(errno));
	return p;
}

/* pwrite in chunks of awkward sizes (vm_pwrite_chunks()). */
static void write_file(int fd, const uint8_t *src, size_t size)
{
	static const size_t chunks[] = { 1, 4093, 7, 65543, 3, 131072, 12345, 2 };

	vm_pwrite_chunks(fd, file, src, size, chunks, sizeof(chunks) / sizeof(chunks[0]));
}

static void read_file(int fd, uint8_t *dst, size_t size)
{
	size_t off = 0;

	while (off < size) {
		ssize_t n = pread(fd, dst + off, size - off, (off_t)off);

		if (n <= 0)
			vm_fail("pread %s at %zu: %s", file, off, n < 0 ? strerror(errno) : "EOF");
		off += (size_t)n;
	}
}

static int open_file(int flags)
{
	int fd = open(file, flags | O_CLOEXEC);

	if (fd < 0)
		vm_fail("open %s: %s", file, strerror(errno));
	return fd;
}

int main(int argc, char **argv)
{
	const char *want_exp, *driver;
	uint8_t *pat, *buf, *dmap, *cmap = NULL, *fmap, *indep;
	char exp_name[64], card_path[300];
	long count = -1;
	struct stat st;
	size_t size;
	int fd, dbuf, card = -1;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 3 || argc > 4) {
		fprintf(stderr, "usage: tree-check FILE EXP_NAME [DRM_DRIVER]\n");
		return 2;
	}
	file = argv[1];
	want_exp = argv[2];
	driver = argc > 3 ? argv[3] : NULL;
	if (stat(file, &st) < 0)
		vm_fail("stat %s: %s", file, strerror(errno));
	size = (size_t)st.st_size;
	if (size == 0)
		vm_fail("%s has size 0: no buffer", file);
	pat = malloc(size);
	buf = malloc(size);
	if (!pat || !buf)
		vm_fail("out of memory");

	/* The independent path: a new dma-buf fd from the control socket. */
	dbuf = dmabuffs_export(file);
	if (dbuf < 0)
		vm_fail("dmabuffs_export(%s): %s (%s)", file, strerror(-dbuf),
			dmabuffs_last_error());
	if (vm_fdinfo(dbuf, exp_name, sizeof(exp_name), &count) < 0)
		vm_fail("the exported fd has no exp_name in fdinfo: not a dma-buf");
	if (lseek(dbuf, 0, SEEK_END) != (off_t)size)
		vm_fail("the exported dma-buf has %lld bytes, the file %zu",
			(long long)lseek(dbuf, 0, SEEK_END), size);
	printf("VMINFO file=%s size=%zu exp_name=%s count=%ld\n", file, size, exp_name, count);
	if (strcmp(exp_name, want_exp))
		vm_fail("exported fd: exp_name '%s', expected '%s'", exp_name, want_exp);
	dmap = map(dbuf, size, 0, "exported dma-buf");
	indep = dmap;
	if (driver) {
		struct drm_mode_map_dumb md = { 0 };
		uint32_t handle;

		card = vm_open_card(driver, card_path, sizeof(card_path));
		if (card < 0)
			vm_fail("no DRM card with driver %s", driver);
		if (drmPrimeFDToHandle(card, dbuf, &handle) < 0)
			vm_fail("drmPrimeFDToHandle on %s: %s", card_path, strerror(errno));
		md.handle = handle;
		if (drmIoctl(card, DRM_IOCTL_MODE_MAP_DUMB, &md) < 0)
			vm_fail("MAP_DUMB on %s: %s", card_path, strerror(errno));
		cmap = map(card, size, (off_t)md.offset, "dumb buffer of the card");
		indep = cmap;
		vm_log("%s: handle %u mapped at offset %#llx", card_path, handle,
		       (unsigned long long)md.offset);
	}

	/* A: file -> dma-buf (and card). */
	fd = open_file(O_RDWR);
	vm_fill_bytes(pat, size, 0xa1);
	write_file(fd, pat, size);
	close(fd);
	vm_sync_or_die(dbuf, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ, "exported fd");
	compare(dmap, size, 0xa1, "A: exported dma-buf after pwrite on the file");
	vm_sync_or_die(dbuf, DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ, "exported fd");
	if (cmap)
		compare(cmap, size, 0xa1, "A: card mapping after pwrite on the file");
	vm_log("A: %zu bytes written through the file are in the dma-buf%s", size,
	       cmap ? " and the card's mapping" : "");

	/* B: independent mapping -> fresh open + read. */
	if (!cmap)
		vm_sync_or_die(dbuf, DMA_BUF_SYNC_START | DMA_BUF_SYNC_WRITE, "exported fd");
	vm_fill_bytes(indep, size, 0xb2);
	if (!cmap)
		vm_sync_or_die(dbuf, DMA_BUF_SYNC_END | DMA_BUF_SYNC_WRITE, "exported fd");
	fd = open_file(O_RDONLY);
	read_file(fd, buf, size);
	close(fd);
	compare(buf, size, 0xb2,
		cmap ? "B: file read after a write through the card mapping" :
		       "B: file read after a write through the dma-buf");
	vm_log("B: written through the %s, read back through a fresh open of the file",
	       cmap ? "card mapping" : "exported dma-buf");

	/* C: the file's page cache, refreshed by SYNC_START on the file. */
	fd = open_file(O_RDWR);
	fmap = map(fd, size, 0, "the buffer file");
	compare(fmap, size, 0xb2, "C: file mmap before the dma-buf write");
	vm_sync_or_die(dbuf, DMA_BUF_SYNC_START | DMA_BUF_SYNC_WRITE, "exported fd");
	vm_fill_bytes(dmap, size, 0xc3);
	vm_sync_or_die(dbuf, DMA_BUF_SYNC_END | DMA_BUF_SYNC_WRITE, "exported fd");
	vm_sync_or_die(fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ, "the buffer file");
	compare(fmap, size, 0xc3, "C: file mmap after dma-buf write + SYNC_START on the file");
	vm_sync_or_die(fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ, "the buffer file");
	vm_log("C: SYNC_START on the file shows a write made through the dma-buf");

	/* D: the file's mmap -> dma-buf, written back by SYNC_END|WRITE. */
	vm_sync_or_die(fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_WRITE, "the buffer file");
	vm_fill_bytes(fmap, size, 0xd4);
	vm_sync_or_die(fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_WRITE, "the buffer file");
	vm_sync_or_die(dbuf, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ, "exported fd");
	for (size_t i = 0; i < size; i++)
		if (dmap[i] != vm_byte(i, 0xd4)) {
			/* Say whether msync would have done it, to tell a
			 * writeback bug of SYNC_END from a data path bug. */
			int synced = msync(fmap, size, MS_SYNC) == 0;
			size_t bad = 0;

			for (size_t j = 0; j < size; j++)
				bad += dmap[j] != vm_byte(j, 0xd4);
			vm_fail("D: dma-buf after a write through the file's mmap and "
				"SYNC_END|WRITE: byte %zu differs (%#x, expected %#x); "
				"after msync%s %zu bytes differ",
				i, dmap[i], vm_byte(i, 0xd4), synced ? "" : " (failed)", bad);
		}
	vm_sync_or_die(dbuf, DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ, "exported fd");
	if (cmap)
		compare(cmap, size, 0xd4, "D: card mapping after the file's mmap write");
	vm_log("D: a write through the file's mmap reached the dma-buf at SYNC_END");

	munmap(fmap, size);
	close(fd);
	munmap(dmap, size);
	if (cmap)
		munmap(cmap, size);
	if (card >= 0)
		close(card);
	close(dbuf);
	vm_log("%s: %zu bytes, both directions, %s", file, size,
	       driver ? "dma-buf and card mapping" : "dma-buf mapping");
	return 0;
}
#else
int main(void)
{
	vm_skip("built without libdmabuffs (no dmabuffs_export)");
}
#endif
