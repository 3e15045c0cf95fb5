// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * gradient: draw an XRGB8888 test image into a dmabuffs buffer file.
 *
 *	gradient FILE [WIDTH HEIGHT]
 *
 * The image geometry comes from the buffer's user.dmabuf.width/height/stride
 * attributes when a publisher set them, else from WIDTH and HEIGHT, else it
 * is the largest square that fits. A new or empty FILE needs WIDTH and
 * HEIGHT: it is sized (which allocates the buffer) to stride * height.
 * Missing attributes are set afterwards, so that `dmabufctl snapshot` and
 * other readers know what the bytes are:
 *
 *	# gradient /run/dmabuf/frame 640 480
 *	# dmabufctl snapshot /run/dmabuf/frame -o frame.png
 *
 * Nothing here is specific to dmabuffs except the attribute names: the file
 * is mapped and written like any other, and the daemon moves the bytes into
 * the buffer (through the I/O accessor shim when the buffer is I/O memory,
 * so plain stores into the mapping are always fine).
 *
 * Build: cc -Wall -O2 -o gradient gradient.c
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#if defined(__has_include)
#if __has_include(<linux/dma-buf.h>)
#include <linux/dma-buf.h>
#endif
#endif

#define BPP 4 /* XRGB8888: one 32-bit little-endian word per pixel */
#define DIM_MAX 16384

static const char *prog = "gradient";

/*
 * Read a numeric user.dmabuf.* attribute. 1 when present and valid, 0 when
 * absent (or the file system has no extended attributes), -1 on a bad value.
 */
static int get_attr_u32(int fd, const char *name, uint32_t *out)
{
	char buf[32];
	char *end;
	unsigned long v;
	ssize_t n;

	n = fgetxattr(fd, name, buf, sizeof(buf) - 1);
	if (n < 0)
		return (errno == ENODATA || errno == ENOTSUP) ? 0 : -1;
	/* Values are stored without a NUL, but tolerate one. */
	while (n > 0 && (buf[n - 1] == '\0' || buf[n - 1] == '\n'))
		n--;
	if (n == 0)
		return 0;
	buf[n] = '\0';
	errno = 0;
	v = strtoul(buf, &end, 0);
	if (errno || *end || v == 0 || v > UINT32_MAX) {
		fprintf(stderr, "%s: %s: bad value '%s'\n", prog, name, buf);
		return -1;
	}
	*out = (uint32_t)v;
	return 1;
}

static bool has_attr(int fd, const char *name)
{
	return fgetxattr(fd, name, NULL, 0) >= 0;
}

/* Set an attribute if it is missing; a file system without user xattrs
 * (the program also works on a plain file) only gets a warning. */
static void set_attr_default(int fd, const char *name, const char *value)
{
	if (has_attr(fd, name))
		return;
	if (fsetxattr(fd, name, value, strlen(value), 0) < 0)
		fprintf(stderr, "%s: warning: cannot set %s: %s\n", prog, name, strerror(errno));
}

static void set_attr_u32(int fd, const char *name, uint32_t v)
{
	char buf[16];

	snprintf(buf, sizeof(buf), "%" PRIu32, v);
	set_attr_default(fd, name, buf);
}

static int parse_dim(const char *s, uint32_t *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v == 0 || v > DIM_MAX) {
		fprintf(stderr, "%s: bad dimension '%s' (1..%d)\n", prog, s, DIM_MAX);
		return -1;
	}
	*out = (uint32_t)v;
	return 0;
}

/*
 * Bracket CPU access like code written for a dma-buf fd would: the ioctl
 * works on buffer files too. On a file that is not a buffer it fails with
 * ENOTTY, which is harmless here since msync() does the real work.
 */
static void sync_ioctl(int fd, bool end)
{
#ifdef DMA_BUF_IOCTL_SYNC
	struct dma_buf_sync sync = {
		.flags = (end ? DMA_BUF_SYNC_END : DMA_BUF_SYNC_START) | DMA_BUF_SYNC_WRITE,
	};
	int r;

	do
		r = ioctl(fd, DMA_BUF_IOCTL_SYNC, &sync);
	while (r < 0 && (errno == EINTR || errno == EAGAIN));
	if (r < 0 && errno != ENOTTY && errno != EINVAL)
		fprintf(stderr, "%s: warning: DMA_BUF_IOCTL_SYNC: %s\n", prog, strerror(errno));
#else
	(void)fd;
	(void)end;
#endif
}

static uint32_t isqrt(uint64_t n)
{
	uint64_t r = 0;

	while ((r + 1) * (r + 1) <= n)
		r++;
	return (uint32_t)r;
}

static void draw(uint8_t *base, uint32_t width, uint32_t height, uint32_t stride)
{
	for (uint32_t y = 0; y < height; y++) {
		uint32_t *row = (uint32_t *)(base + (size_t)y * stride);
		uint32_t g = height > 1 ? y * 255 / (height - 1) : 0;

		for (uint32_t x = 0; x < width; x++) {
			uint32_t r = width > 1 ? x * 255 / (width - 1) : 0;
			uint32_t b = 255 - (r + g) / 2;

			row[x] = 0xff000000u | r << 16 | g << 8 | b;
		}
	}
}

int main(int argc, char **argv)
{
	uint32_t width = 0, height = 0, stride = 0;
	bool have_w, have_h, have_s;
	char fmt[16] = "";
	struct stat st;
	uint64_t need;
	void *map;
	int fd, r;

	if (argc != 2 && argc != 4) {
		fprintf(stderr, "usage: %s FILE [WIDTH HEIGHT]\n", prog);
		return 2;
	}

	fd = open(argv[1], O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		fprintf(stderr, "%s: %s: %s\n", prog, argv[1], strerror(errno));
		return 1;
	}
	if (fstat(fd, &st) < 0) {
		fprintf(stderr, "%s: fstat: %s\n", prog, strerror(errno));
		return 1;
	}

	r = fgetxattr(fd, "user.dmabuf.format", fmt, sizeof(fmt) - 1);
	if (r > 0) {
		fmt[r] = '\0';
		if (strcmp(fmt, "XR24") && strcmp(fmt, "AR24")) {
			fprintf(stderr, "%s: %s: format is %s, not XR24\n", prog, argv[1], fmt);
			return 1;
		}
	}

	/* A publisher's metadata describes the buffer; it wins over args. */
	if ((r = get_attr_u32(fd, "user.dmabuf.width", &width)) < 0)
		return 1;
	have_w = r;
	if ((r = get_attr_u32(fd, "user.dmabuf.height", &height)) < 0)
		return 1;
	have_h = r;
	if ((r = get_attr_u32(fd, "user.dmabuf.stride", &stride)) < 0)
		return 1;
	have_s = r;

	if (argc == 4) {
		uint32_t w, h;

		if (parse_dim(argv[2], &w) < 0 || parse_dim(argv[3], &h) < 0)
			return 2;
		if (!have_w)
			width = w;
		if (!have_h)
			height = h;
	}
	if (!width || !height) {
		uint32_t side;

		if (st.st_size == 0) {
			fprintf(stderr, "%s: %s is empty: give WIDTH HEIGHT\n", prog, argv[1]);
			return 2;
		}
		side = isqrt((uint64_t)st.st_size / BPP);
		if (!width)
			width = side;
		if (!height)
			height = side;
	}
	if (!stride)
		stride = width * BPP;
	if (stride < width * BPP) {
		fprintf(stderr, "%s: stride %" PRIu32 " < %" PRIu32 " * %d\n", prog, stride, width,
			BPP);
		return 1;
	}

	need = (uint64_t)stride * height;
	if (st.st_size == 0) {
		/* Sizing a new buffer file allocates the buffer; the size
		 * is rounded up to pages and fixed from then on. */
		if (ftruncate(fd, (off_t)need) < 0) {
			fprintf(stderr, "%s: ftruncate %" PRIu64 ": %s\n", prog, need,
				strerror(errno));
			return 1;
		}
		if (fstat(fd, &st) < 0) {
			fprintf(stderr, "%s: fstat: %s\n", prog, strerror(errno));
			return 1;
		}
	}
	if ((uint64_t)st.st_size < need) {
		fprintf(stderr,
			"%s: %" PRIu32 "x%" PRIu32 " stride %" PRIu32 " needs %" PRIu64
			" bytes, %s has %jd\n",
			prog, width, height, stride, need, argv[1], (intmax_t)st.st_size);
		return 1;
	}

	map = mmap(NULL, (size_t)need, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED) {
		fprintf(stderr, "%s: mmap: %s\n", prog, strerror(errno));
		return 1;
	}

	sync_ioctl(fd, false);
	draw(map, width, height, stride);
	/* The pages reach the buffer before msync() returns. */
	if (msync(map, (size_t)need, MS_SYNC) < 0) {
		fprintf(stderr, "%s: msync: %s\n", prog, strerror(errno));
		return 1;
	}
	sync_ioctl(fd, true);
	munmap(map, (size_t)need);

	set_attr_default(fd, "user.dmabuf.format", "XR24");
	if (!have_w)
		set_attr_u32(fd, "user.dmabuf.width", width);
	if (!have_h)
		set_attr_u32(fd, "user.dmabuf.height", height);
	if (!have_s)
		set_attr_u32(fd, "user.dmabuf.stride", stride);

	printf("%s: %" PRIu32 "x%" PRIu32 " XR24, stride %" PRIu32 "\n", argv[1], width, height,
	       stride);
	close(fd);
	return 0;
}
