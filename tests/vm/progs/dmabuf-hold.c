/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A process that holds a dma-buf, and the pattern tools to look at it from
 * outside (the discovery and import tests):
 *
 *   dmabuf-hold [as UID] hold udmabuf|heap SIZE SALT
 *	allocates a SIZE-byte dma-buf (udmabuf from a sealed memfd, or the
 *	system dma-heap), fills it with vm_byte(i, SALT) through its own
 *	mmap, then (with "as UID") drops to UID/GID UID and stays dumpable,
 *	so that /proc/PID belongs to UID as for any process that user
 *	started; prints
 *	    hold pid=P fd=N ino=I size=S exp=EXP_NAME
 *	and serves commands, one a line on stdin, each answered by one line
 *	"SEQ ok ..." or "SEQ bad ..." on stdout:
 *	    SEQ check SALT   does its own mapping hold the SALT pattern?
 *	    SEQ fill SALT    write the SALT pattern through its own mapping
 *	Exits 0 at EOF.
 *   dmabuf-hold [as UID] map FILE SALT
 *	opens FILE (a buffer file, already holding the SALT pattern) for
 *	reading and writing and maps it MAP_SHARED, both kept for its whole
 *	life (a file an application holds across a restart of the daemon);
 *	checks the mapping holds the pattern, prints the same "hold ..."
 *	line (exp=file) and serves check and fill on the mapping (fill ends
 *	with msync), and on the open fd:
 *	    SEQ read SALT    pread(2) of the whole file: the SALT pattern?
 *	    SEQ write SALT   pwrite(2) of the SALT pattern over the whole file
 *   dmabuf-hold [as UID] verify FILE SALT
 *	read(2)s FILE from a fresh open and compares it with the pattern;
 *   dmabuf-hold [as UID] write FILE SALT
 *	pwrite(2)s the pattern over the whole of FILE;
 *   dmabuf-hold [as UID] open FILE r|w
 *	prints "ok" or the errno name (EACCES, ...) of open(2), exit 0;
 *   dmabuf-hold as UID exec CMD ARGS...
 *	runs CMD as UID (no supplementary groups).
 * Every access to the holder's mapping is bracketed by DMA_BUF_IOCTL_SYNC.
 * Exit: 0 pass, 1 failure (reason in $VMTEST_REASON), 2 usage.
 */
#define _GNU_SOURCE
#include <grp.h>
#include <stdbool.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <linux/dma-heap.h>
#include <linux/udmabuf.h>

#include "vmdrm.h"

static int usage(void)
{
	fprintf(stderr, "usage: dmabuf-hold [as UID] hold udmabuf|heap SIZE SALT\n"
			"       dmabuf-hold [as UID] map FILE SALT\n"
			"       dmabuf-hold [as UID] verify|write FILE SALT\n"
			"       dmabuf-hold [as UID] open FILE r|w\n"
			"       dmabuf-hold as UID exec CMD ARGS...\n");
	return 2;
}

static void drop_to(uid_t uid)
{
	if (setgroups(0, NULL) < 0 || setgid((gid_t)uid) < 0 || setuid(uid) < 0)
		vm_fail("dropping to uid %u: %s", (unsigned)uid, strerror(errno));
	/* A set*id() call makes the process non-dumpable, and /proc/PID of a
	 * non-dumpable process belongs to root: undo that, as exec would. */
	if (prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) < 0)
		vm_fail("PR_SET_DUMPABLE: %s", strerror(errno));
}

static uint32_t parse_salt(const char *s)
{
	return (uint32_t)strtoul(s, NULL, 0);
}

/* The first byte that differs from the pattern, or -1. */
static long mismatch(const uint8_t *p, size_t size, uint32_t salt, size_t *bad)
{
	long first = -1;

	*bad = 0;
	for (size_t i = 0; i < size; i++)
		if (p[i] != vm_byte(i, salt) && !(*bad)++)
			first = (long)i;
	return first;
}

/* ---- hold ---- */

static int alloc_udmabuf(size_t size)
{
	struct udmabuf_create c = { .flags = UDMABUF_FLAGS_CLOEXEC, .size = size };
	int dev = open("/dev/udmabuf", O_RDWR | O_CLOEXEC);
	int memfd, buf;

	if (dev < 0)
		vm_skip("/dev/udmabuf: %s", strerror(errno));
	memfd = memfd_create("dmabuf-hold", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (memfd < 0 || ftruncate(memfd, (off_t)size) < 0)
		vm_fail("memfd: %s", strerror(errno));
	if (fcntl(memfd, F_ADD_SEALS, F_SEAL_SHRINK) < 0)
		vm_fail("F_SEAL_SHRINK: %s", strerror(errno));
	c.memfd = (uint32_t)memfd;
	buf = ioctl(dev, UDMABUF_CREATE, &c);
	if (buf < 0)
		vm_fail("UDMABUF_CREATE: %s", strerror(errno));
	/* The dma-buf keeps the pages: only the dma-buf fd stays open, so
	 * that it is the one dma-buf of this process. */
	close(memfd);
	close(dev);
	return buf;
}

static int alloc_heap(size_t size)
{
	struct dma_heap_allocation_data a = { .len = size, .fd_flags = O_RDWR | O_CLOEXEC };
	int heap = open("/dev/dma_heap/system", O_RDONLY | O_CLOEXEC);

	if (heap < 0)
		vm_skip("/dev/dma_heap/system: %s", strerror(errno));
	if (ioctl(heap, DMA_HEAP_IOCTL_ALLOC, &a) < 0)
		vm_fail("DMA_HEAP_IOCTL_ALLOC: %s", strerror(errno));
	close(heap);
	return (int)a.fd;
}

/* The held object: a dma-buf (accesses to the mapping bracketed by
 * DMA_BUF_IOCTL_SYNC), or a buffer file (map: no sync ioctl, msync after
 * a fill, and reads and writes through the fd). */
struct held {
	int fd;
	bool file;
	uint8_t *m;
	size_t size;
};

static void sync_held(const struct held *h, uint64_t flags)
{
	if (!h->file)
		vm_sync_or_die(h->fd, flags, "the held dma-buf");
}

static void fill(const struct held *h, uint32_t salt)
{
	sync_held(h, DMA_BUF_SYNC_START | DMA_BUF_SYNC_WRITE);
	vm_fill_bytes(h->m, h->size, salt);
	sync_held(h, DMA_BUF_SYNC_END | DMA_BUF_SYNC_WRITE);
}

/* "ok" or "bad ..." of a check of p (the mapping or what was read). */
static void answer_check(unsigned long seq, const char *cmd, const uint8_t *p, size_t size,
			 uint32_t s)
{
	size_t bad;
	long first = mismatch(p, size, s, &bad);

	if (first < 0)
		printf("%lu ok %s %u\n", seq, cmd, s);
	else
		printf("%lu bad %s %u: %zu of %zu bytes differ, first at %ld: %#x, expected %#x\n",
		       seq, cmd, s, bad, size, first, p[first], vm_byte((size_t)first, s));
}

/* The commands on stdin, until EOF. */
static int serve(const struct held *h)
{
	uint8_t *tmp = h->file ? malloc(h->size) : NULL;
	char line[256];

	if (h->file && !tmp)
		vm_fail("out of memory");
	while (fgets(line, sizeof(line), stdin)) {
		char cmd[32];
		unsigned long seq;
		unsigned int s;
		ssize_t n;

		if (sscanf(line, "%lu %31s %u", &seq, cmd, &s) != 3) {
			printf("? bad command: %s", line);
			fflush(stdout);
			continue;
		}
		if (!strcmp(cmd, "check")) {
			sync_held(h, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ);
			answer_check(seq, cmd, h->m, h->size, s);
			sync_held(h, DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ);
		} else if (!strcmp(cmd, "fill")) {
			fill(h, s);
			if (h->file && msync(h->m, h->size, MS_SYNC) < 0)
				printf("%lu bad fill %u: msync: %s\n", seq, s, strerror(errno));
			else
				printf("%lu ok fill %u\n", seq, s);
		} else if (h->file && !strcmp(cmd, "read")) {
			n = pread(h->fd, tmp, h->size, 0);
			if (n != (ssize_t)h->size)
				printf("%lu bad read %u: pread: %zd (%s)\n", seq, s, n,
				       n < 0 ? strerrorname_np(errno) : "short");
			else
				answer_check(seq, cmd, tmp, h->size, s);
		} else if (h->file && !strcmp(cmd, "write")) {
			vm_fill_bytes(tmp, h->size, s);
			n = pwrite(h->fd, tmp, h->size, 0);
			if (n != (ssize_t)h->size)
				printf("%lu bad write %u: pwrite: %zd (%s)\n", seq, s, n,
				       n < 0 ? strerrorname_np(errno) : "short");
			else
				printf("%lu ok write %u\n", seq, s);
		} else {
			printf("%lu bad unknown command %s\n", seq, cmd);
		}
		fflush(stdout);
	}
	free(tmp);
	return 0;
}

static int hold(const char *kind, size_t size, uint32_t salt, long as_uid)
{
	struct held h = { .size = size };
	char exp_name[64];
	struct stat st;
	long count;

	if (!strcmp(kind, "udmabuf"))
		h.fd = alloc_udmabuf(size);
	else if (!strcmp(kind, "heap"))
		h.fd = alloc_heap(size);
	else
		return usage();
	if (vm_fdinfo(h.fd, exp_name, sizeof(exp_name), &count) < 0 || fstat(h.fd, &st) < 0)
		vm_fail("the new dma-buf has no fdinfo exp_name");
	h.m = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, h.fd, 0);
	if (h.m == MAP_FAILED)
		vm_fail("mmap the dma-buf: %s", strerror(errno));
	fill(&h, salt);
	if (as_uid >= 0)
		drop_to((uid_t)as_uid);
	printf("hold pid=%d fd=%d ino=%llu size=%zu exp=%s\n", (int)getpid(), h.fd,
	       (unsigned long long)st.st_ino, size, exp_name);
	fflush(stdout);
	return serve(&h);
}

static int map_file(const char *file, uint32_t salt, long as_uid)
{
	struct held h = { .file = true };
	struct stat st;
	size_t bad;
	long first;

	if (as_uid >= 0)
		drop_to((uid_t)as_uid);
	h.fd = open(file, O_RDWR | O_CLOEXEC);
	if (h.fd < 0 || fstat(h.fd, &st) < 0)
		vm_fail("open %s: %s", file, strerror(errno));
	h.size = (size_t)st.st_size;
	if (h.size == 0)
		vm_fail("%s has size 0", file);
	h.m = mmap(NULL, h.size, PROT_READ | PROT_WRITE, MAP_SHARED, h.fd, 0);
	if (h.m == MAP_FAILED)
		vm_fail("mmap %s: %s", file, strerror(errno));
	first = mismatch(h.m, h.size, salt, &bad);
	if (first >= 0)
		vm_fail("%s: the mapping differs from pattern %u in %zu bytes, first at %ld", file,
			salt, bad, first);
	printf("hold pid=%d fd=%d ino=%llu size=%zu exp=file\n", (int)getpid(), h.fd,
	       (unsigned long long)st.st_ino, h.size);
	fflush(stdout);
	return serve(&h);
}

/* ---- the file side ---- */

static int verify(const char *file, uint32_t salt)
{
	struct stat st;
	uint8_t *p;
	size_t size, off = 0, bad;
	long first;
	int fd = open(file, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || fstat(fd, &st) < 0)
		vm_fail("open %s: %s", file, strerror(errno));
	size = (size_t)st.st_size;
	if (size == 0)
		vm_fail("%s has size 0", file);
	p = malloc(size);
	if (!p)
		vm_fail("out of memory");
	while (off < size) {
		ssize_t n = read(fd, p + off, size - off);

		if (n <= 0)
			vm_fail("read %s at %zu: %s", file, off, n < 0 ? strerror(errno) : "EOF");
		off += (size_t)n;
	}
	close(fd);
	first = mismatch(p, size, salt, &bad);
	if (first >= 0)
		vm_fail("%s: %zu of %zu bytes differ from pattern %u, first at %ld: %#x, "
			"expected %#x",
			file, bad, size, salt, first, p[first], vm_byte((size_t)first, salt));
	vm_log("%s: %zu bytes hold pattern %u", file, size, salt);
	return 0;
}

static int write_pattern(const char *file, uint32_t salt)
{
	struct stat st;
	uint8_t *p;
	size_t size;
	int fd = open(file, O_WRONLY | O_CLOEXEC);

	if (fd < 0 || fstat(fd, &st) < 0)
		vm_fail("open %s for writing: %s", file, strerror(errno));
	size = (size_t)st.st_size;
	p = malloc(size);
	if (!p)
		vm_fail("out of memory");
	vm_fill_bytes(p, size, salt);
	if (pwrite(fd, p, size, 0) != (ssize_t)size)
		vm_fail("pwrite %s: %s", file, strerror(errno));
	if (close(fd) < 0)
		vm_fail("close %s: %s", file, strerror(errno));
	vm_log("%s: %zu bytes of pattern %u written", file, size, salt);
	return 0;
}

static int try_open(const char *file, const char *mode)
{
	int fd = open(file, (mode[0] == 'w' ? O_WRONLY : O_RDONLY) | O_CLOEXEC);
	const char *n;

	if (fd >= 0) {
		puts("ok");
		close(fd);
	} else {
		n = strerrorname_np(errno);
		puts(n ? n : "?");
	}
	return 0;
}

int main(int argc, char **argv)
{
	long as_uid = -1;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc >= 3 && !strcmp(argv[1], "as")) {
		as_uid = strtol(argv[2], NULL, 10);
		argc -= 2;
		argv += 2;
	}
	if (argc < 2)
		return usage();
	if (!strcmp(argv[1], "hold") && argc == 5)
		return hold(argv[2], strtoul(argv[3], NULL, 0), parse_salt(argv[4]), as_uid);
	if (!strcmp(argv[1], "map") && argc == 4)
		return map_file(argv[2], parse_salt(argv[3]), as_uid);
	if (as_uid >= 0)
		drop_to((uid_t)as_uid);
	if (!strcmp(argv[1], "verify") && argc == 4)
		return verify(argv[2], parse_salt(argv[3]));
	if (!strcmp(argv[1], "write") && argc == 4)
		return write_pattern(argv[2], parse_salt(argv[3]));
	if (!strcmp(argv[1], "open") && argc == 4)
		return try_open(argv[2], argv[3]);
	if (!strcmp(argv[1], "exec") && argc >= 3 && as_uid >= 0) {
		execvp(argv[2], argv + 2);
		vm_fail("exec %s: %s", argv[2], strerror(errno));
	}
	return usage();
}
