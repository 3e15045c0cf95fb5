/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * passthrough-check FILE
 *
 * FILE is a buffer file whose opens are FUSE passthrough opens
 * (user.dmabuf.access = passthrough): its pages are the memfd behind the
 * dma-buf, so the file and the dma-buf are one memory with nothing in
 * between. Checks, with NO msync, NO fsync and NO DMA_BUF_IOCTL_SYNC
 * anywhere, that
 *  1. a store through a MAP_SHARED mapping of the file is at once in the
 *     mapping of the dma-buf dmabuffs_export() hands back,
 *  2. a store through the dma-buf's mapping is at once in the file's,
 *     both while both mappings exist (a page cache copy would show the old
 *     bytes in one of them),
 *  3. pwrite() on the file is at once in the dma-buf's mapping,
 *  4. a store through the dma-buf's mapping is what pread() on the file
 *     returns, and what a fresh open + read() returns.
 * Exit: 0 pass, 77 built without libdmabuffs, 1 failure.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>

#ifdef HAVE_DMABUFFS_PUBLISH
#include <dmabuffs/client.h>
#endif

#include "vmtest.h"

#ifdef HAVE_DMABUFFS_PUBLISH
static void fill(volatile uint8_t *p, size_t size, uint32_t salt)
{
	for (size_t i = 0; i < size; i++)
		p[i] = vm_byte(i, salt);
}

/* Fails with where and how many bytes differ from the pattern. */
static void compare(const volatile uint8_t *p, size_t size, uint32_t salt, const char *what)
{
	size_t bad = 0, first = 0;

	for (size_t i = 0; i < size; i++)
		if (p[i] != vm_byte(i, salt) && !bad++)
			first = i;
	if (bad)
		vm_fail("%s: %zu of %zu bytes differ, first at %zu: %#x, expected %#x "
			"(no msync, no SYNC ioctl: not passed through?)",
			what, bad, size, first, p[first], vm_byte(first, salt));
}

static uint8_t *map(int fd, size_t size, const char *what)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

	if (p == MAP_FAILED)
		vm_fail("mmap MAP_SHARED of %s: %s", what, strerror(errno));
	return p;
}

static void pio(int write, int fd, uint8_t *buf, size_t size, const char *what)
{
	size_t done = 0;

	while (done < size) {
		ssize_t n = write ? pwrite(fd, buf + done, size - done, (off_t)done) :
				    pread(fd, buf + done, size - done, (off_t)done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			vm_fail("%s %s at %zu: %s", write ? "pwrite" : "pread", what, done,
				n < 0 ? strerror(errno) : "end of file");
		done += (size_t)n;
	}
}

int main(int argc, char **argv)
{
	char exp_name[64];
	struct stat st;
	uint8_t *fmap, *dmap, *buf;
	size_t size;
	long count;
	int fd, fd2, dbuf;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc != 2) {
		fprintf(stderr, "usage: passthrough-check FILE\n");
		return 2;
	}
	fd = open(argv[1], O_RDWR);
	if (fd < 0)
		vm_fail("open %s: %s", argv[1], strerror(errno));
	if (fstat(fd, &st) < 0 || st.st_size <= 0)
		vm_fail("%s: no size", argv[1]);
	size = (size_t)st.st_size;
	buf = malloc(size);
	if (!buf)
		vm_fail("out of memory");
	dbuf = dmabuffs_export(argv[1]);
	if (dbuf < 0)
		vm_fail("dmabuffs_export(%s): %s (%s)", argv[1], strerror(-dbuf),
			dmabuffs_last_error());
	if (vm_fdinfo(dbuf, exp_name, sizeof(exp_name), &count) < 0)
		vm_fail("the exported fd has no exp_name in fdinfo: not a dma-buf");
	printf("VMINFO passthrough file=%s size=%zu exp_name=%s\n", argv[1], size, exp_name);

	fmap = map(fd, size, "the buffer file");
	dmap = map(dbuf, size, "the exported dma-buf");

	/* After 1 both mappings are faulted in: in 2 a page cache copy
	 * behind the file's mapping would show the old bytes. */
	fill(fmap, size, 0x21);
	compare(dmap, size, 0x21, "1: dma-buf mapping after a store through the file's");
	vm_log("1: a store through the file's MAP_SHARED mapping is in the dma-buf at once");

	fill(dmap, size, 0x32);
	compare(fmap, size, 0x32, "2: file mapping after a store through the dma-buf's");
	vm_log("2: a store through the dma-buf is in the file's mapping at once");

	fill(buf, size, 0x43);
	pio(1, fd, buf, size, "the buffer file");
	compare(dmap, size, 0x43, "3: dma-buf mapping after pwrite on the file");
	compare(fmap, size, 0x43, "3: file mapping after pwrite on the file");
	vm_log("3: pwrite on the file is in the dma-buf at once");

	fill(dmap, size, 0x54);
	memset(buf, 0, size);
	pio(0, fd, buf, size, "the buffer file");
	compare(buf, size, 0x54, "4: pread on the file after a store through the dma-buf");
	fd2 = open(argv[1], O_RDONLY);
	if (fd2 < 0)
		vm_fail("open %s again: %s", argv[1], strerror(errno));
	memset(buf, 0, size);
	pio(0, fd2, buf, size, "a fresh open of the file");
	compare(buf, size, 0x54, "4: a fresh open + read after a store through the dma-buf");
	close(fd2);
	vm_log("4: a store through the dma-buf is what read() on the file returns");

	munmap(fmap, size);
	munmap(dmap, size);
	close(dbuf);
	close(fd);
	free(buf);
	return 0;
}
#else
int main(void)
{
	vm_skip("built without libdmabuffs (no dmabuffs_export)");
}
#endif
