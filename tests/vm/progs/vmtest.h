/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Helpers shared by the guest test programs of the VM tier: reasons for
 * failures and skips, fdinfo, the pixel pattern the host also checks,
 * chunked writes, the hot-unplug of the device-loss programs, requests to
 * the host. Header-only so every program stays a single static binary.
 */
#ifndef VMTEST_H
#define VMTEST_H

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

#define VM_EXIT_SKIP 77

/* The runner reads the one-line reason from $VMTEST_REASON, so that the
 * summary line says why without the whole log. */
static inline void vm_reason(const char *fmt, va_list ap)
{
	const char *path = getenv("VMTEST_REASON");
	char buf[512];

	vsnprintf(buf, sizeof(buf), fmt, ap);
	fprintf(stderr, "# %s\n", buf);
	if (path) {
		FILE *f = fopen(path, "w");

		if (f) {
			fprintf(f, "%s\n", buf);
			fclose(f);
		}
	}
}

__attribute__((noreturn, format(printf, 1, 2))) static inline void vm_fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vm_reason(fmt, ap);
	va_end(ap);
	exit(EXIT_FAILURE);
}

__attribute__((noreturn, format(printf, 1, 2))) static inline void vm_skip(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vm_reason(fmt, ap);
	va_end(ap);
	exit(VM_EXIT_SKIP);
}

#define vm_log(...)                       \
	do {                              \
		printf("# " __VA_ARGS__); \
		putchar('\n');            \
		fflush(stdout);           \
	} while (0)

/* fdinfo of a dma-buf fd: exp_name and count. Returns 0 or -errno. */
static inline int vm_fdinfo(int fd, char *exp_name, size_t len, long *count)
{
	char path[64], line[256];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	exp_name[0] = '\0';
	*count = -1;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "exp_name:", 9)) {
			const char *v = line + 9;

			v += strspn(v, " \t");
			snprintf(exp_name, len, "%.*s", (int)strcspn(v, "\n"), v);
		} else if (!strncmp(line, "count:", 6)) {
			*count = strtol(line + 6, NULL, 10);
		}
	}
	fclose(f);
	return exp_name[0] ? 0 : -ENOENT;
}

/*
 * The pixel pattern of scanout tests, XRGB8888, shared with the host's PPM
 * checker (tests/vm/host/check-pattern.c) so that both sides compute the
 * same thing. A hash of (x, y, seed) rather than a gradient: a wrong
 * stride, offset or byte order shows as a mismatch, not as a plausible
 * picture.
 */
static inline uint32_t vm_pattern(uint32_t x, uint32_t y, uint32_t seed)
{
	uint32_t h = x * 0x9e3779b1u ^ (y + 0x7f4a7c15u) * 0x85ebca77u ^ seed;

	h ^= h >> 15;
	h *= 0x2c1b3c6du;
	h ^= h >> 12;
	return h & 0x00ffffffu;
}

/* vm_pattern(seed) drawn into a w x h XRGB8888 image, pitch bytes a row. */
static inline void vm_draw_pattern(uint32_t *px, uint32_t w, uint32_t h, uint32_t pitch,
				   uint32_t seed)
{
	for (uint32_t y = 0; y < h; y++)
		for (uint32_t x = 0; x < w; x++)
			px[(size_t)y * (pitch / 4) + x] = vm_pattern(x, y, seed);
}

/* A byte pattern for plain buffers; salt tells apart the two directions. */
static inline uint8_t vm_byte(size_t i, uint32_t salt)
{
	return (uint8_t)(vm_pattern((uint32_t)i, (uint32_t)(i >> 12), salt) >> 3);
}

/* size bytes of vm_byte(i, salt) into p. */
static inline void vm_fill_bytes(uint8_t *p, size_t size, uint32_t salt)
{
	for (size_t i = 0; i < size; i++)
		p[i] = vm_byte(i, salt);
}

/* pwrite() of src into fd (the file path) in chunks of the sizes in
 * chunks[], over and over: awkward sizes, so that the daemon sees unaligned
 * offsets and lengths, as FUSE forwards write() ranges as they are. */
static inline void vm_pwrite_chunks(int fd, const char *path, const uint8_t *src, size_t size,
				    const size_t *chunks, size_t nchunks)
{
	size_t off = 0;

	for (size_t k = 0; off < size; k++) {
		size_t n = chunks[k % nchunks];
		ssize_t w;

		if (n > size - off)
			n = size - off;
		w = pwrite(fd, src + off, n, (off_t)off);
		if (w != (ssize_t)n)
			vm_fail("pwrite %s: %zu bytes at %zu: %zd (%s)", path, n, off, w,
				w < 0 ? strerror(errno) : "short");
		off += n;
	}
}

/*
 * Hot-unplug, for the device-loss programs (device-loss, device-loss-mmap),
 * which take FILE OTHER BACKEND PCIDEV: FILE a buffer file of BACKEND, a
 * DRM card on the PCI device PCIDEV (0000:00:04.0), OTHER a buffer file of
 * another backend.
 */

/* Seconds on the monotonic clock. */
static inline double vm_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

struct vm_unplug {
	const char *file, *other, *backend, *pcidev;
	size_t size, osize; /* of file and other */
};

/* The four arguments (else a usage line naming prog, exit 2) and the sizes
 * of the two files, which must be buffers. */
static inline void vm_unplug_args(int argc, char **argv, const char *prog, struct vm_unplug *u)
{
	struct stat st;

	if (argc != 5) {
		fprintf(stderr, "usage: %s FILE OTHER BACKEND PCIDEV\n", prog);
		exit(2);
	}
	u->file = argv[1];
	u->other = argv[2];
	u->backend = argv[3];
	u->pcidev = argv[4];
	if (stat(u->file, &st) < 0 || st.st_size == 0)
		vm_fail("%s: no buffer", u->file);
	u->size = (size_t)st.st_size;
	if (stat(u->other, &st) < 0 || st.st_size == 0)
		vm_fail("%s: no buffer", u->other);
	u->osize = (size_t)st.st_size;
}

/* Removes PCIDEV (echo 1 > /sys/bus/pci/devices/PCIDEV/remove). Returns
 * vm_now() of just before the write. */
static inline double vm_unplug(const struct vm_unplug *u)
{
	char path[512];
	double t0;
	int fd;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/remove", u->pcidev);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		vm_fail("open %s: %s", path, strerror(errno));
	t0 = vm_now();
	if (write(fd, "1", 1) != 1)
		vm_fail("write %s: %s", path, strerror(errno));
	close(fd);
	vm_log("%s removed (the write took %.2f s)", u->pcidev, vm_now() - t0);
	return t0;
}

/* The daemon (udev hotplug) must drop new/BACKEND from its mount
 * ($DMABUFFS_MOUNT, default /run/dmabuf) within 10 s; t0 from vm_unplug(). */
static inline void vm_unplug_noticed(const struct vm_unplug *u, double t0)
{
	const char *mnt = getenv("DMABUFFS_MOUNT");
	char path[512];

	snprintf(path, sizeof(path), "%s/new/%s", mnt ? mnt : "/run/dmabuf", u->backend);
	for (double t = vm_now(); access(path, F_OK) == 0 && vm_now() - t < 10;)
		usleep(100 * 1000);
	if (access(path, F_OK) == 0)
		vm_fail("%s still there 10 s after the removal: the daemon did "
			"not notice",
			path);
	vm_log("%s gone after %.2f s", path, vm_now() - t0);
}

/*
 * Ask the host for something only it can do (see tests/vm/README.md):
 * prints "VMHOST VERB TAG ARGS..." on the console, which the host watches,
 * and waits for "ack TAG" or "nak TAG REASON" on the second serial port
 * (/dev/ttyS1, a socket on the host side). The caller keeps whatever the
 * host looks at (a scanout, say) alive until this returns.
 * Returns 0 on ack, -EIO on nak (reason in why), -ETIMEDOUT, or -errno.
 */
#include <poll.h>
#include <termios.h>
#include <time.h>

#define VM_HOST_PORT "/dev/ttyS1"

static inline int vm_host_request(const char *verb, const char *tag, const char *args,
				  int timeout_ms, char *why, size_t whylen)
{
	struct termios t;
	char line[512];
	size_t have = 0;
	struct timespec t0, now;
	int fd, r = -ETIMEDOUT;

	why[0] = '\0';
	fd = open(VM_HOST_PORT, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (tcgetattr(fd, &t) == 0) {
		cfmakeraw(&t);
		t.c_cc[VMIN] = 1;
		t.c_cc[VTIME] = 0;
		tcsetattr(fd, TCSANOW, &t);
	}
	tcflush(fd, TCIFLUSH); /* an old answer is not ours */
	printf("VMHOST %s %s%s%s\n", verb, tag, args && *args ? " " : "", args ? args : "");
	fflush(stdout);

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		long left;
		ssize_t n;
		char *nl;

		clock_gettime(CLOCK_MONOTONIC, &now);
		left = timeout_ms -
		       ((now.tv_sec - t0.tv_sec) * 1000 + (now.tv_nsec - t0.tv_nsec) / 1000000);
		if (left <= 0 || poll(&p, 1, (int)left) <= 0)
			break;
		n = read(fd, line + have, sizeof(line) - 1 - have);
		if (n <= 0)
			continue;
		have += (size_t)n;
		line[have] = '\0';
		while ((nl = strpbrk(line, "\r\n"))) {
			size_t tl = strlen(tag);

			*nl = '\0';
			if (!strncmp(line, "ack ", 4) && !strncmp(line + 4, tag, tl) &&
			    (line[4 + tl] == '\0' || line[4 + tl] == ' ')) {
				r = 0;
				goto out;
			}
			if (!strncmp(line, "nak ", 4) && !strncmp(line + 4, tag, tl) &&
			    (line[4 + tl] == '\0' || line[4 + tl] == ' ')) {
				snprintf(why, whylen, "%s", line[4 + tl] ? line + 5 + tl : "");
				r = -EIO;
				goto out;
			}
			have -= (size_t)(nl + 1 - line);
			memmove(line, nl + 1, have + 1);
		}
		if (have == sizeof(line) - 1)
			have = 0; /* garbage without newline */
	}
out:
	close(fd);
	return r;
}

#endif /* VMTEST_H */
