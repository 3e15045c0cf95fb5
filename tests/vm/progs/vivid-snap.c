/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vivid-snap INSTANCE YUYV|NV12 TAG
 *
 * For snapshot-vivid-yuyv and snapshot-vivid-nv12: sets the vivid capture
 * device of INSTANCE (bus_info "platform:vivid-00N") to 320x180 in the
 * given V4L2 format, BT.601 limited range, captures one frame, exports its
 * buffer (VIDIOC_EXPBUF) and publishes it as TAG with its layout
 * (dmabuffs_publish_image(): DRM fourcc, size, per-plane offset and stride
 * from bytesperline). Checks the file's format/width/height/pitches/offsets
 * xattrs, runs `dmabufctl snapshot` on it with no layout options, and sends
 * the frame (read through V4L2's own mapping) and the PNG to the host as
 * VMBLOB lines, then asks the host (screendump verb, check-png.sh yuv) to
 * compare the PNG with its own conversion of the frame.
 * Exit: 0 pass, 77 no device or no libdmabuffs, 1 failure.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <stdbool.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <linux/videodev2.h>

#ifdef HAVE_DMABUFFS_PUBLISH
#include <dmabuffs/client.h>
#endif

#include "vmxattr.h"

#ifndef HAVE_DMABUFFS_PUBLISH
int main(void)
{
	vm_skip("built without libdmabuffs dmabuffs_publish()");
	return 77;
}
#else
#define WIDTH 320
#define HEIGHT 180
#define DRM_FOURCC(a, b, c, d) \
	((uint32_t)(a) | (uint32_t)(b) << 8 | (uint32_t)(c) << 16 | (uint32_t)(d) << 24)

/* /dev/videoN whose sysfs name is vivid-00N-vid-cap. */
static int open_vivid(int instance, char *path, size_t len)
{
	char want[32], name[64], sys[300];
	DIR *d = opendir("/sys/class/video4linux");
	struct dirent *de;
	int fd = -1;

	snprintf(want, sizeof(want), "vivid-%03d-vid-cap", instance);
	while (d && fd < 0 && (de = readdir(d))) {
		FILE *f;

		snprintf(sys, sizeof(sys), "/sys/class/video4linux/%s/name", de->d_name);
		f = fopen(sys, "r");
		if (!f)
			continue;
		if (fgets(name, sizeof(name), f) && !strncmp(name, want, strlen(want)) &&
		    name[strlen(want)] == '\n') {
			snprintf(path, len, "/dev/%s", de->d_name);
			fd = open(path, O_RDWR | O_CLOEXEC);
		}
		fclose(f);
	}
	if (d)
		closedir(d);
	return fd;
}

/* The file as "VMBLOB TAG.KIND BASE64" lines of 76 characters. */
static void emit_blob(const char *tag, const char *kind, const uint8_t *p, size_t n)
{
	static const char b64[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char line[80];
	size_t used = 0;

	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16 | (i + 1 < n ? (uint32_t)p[i + 1] << 8 : 0) |
			     (i + 2 < n ? p[i + 2] : 0);

		line[used++] = b64[v >> 18 & 63];
		line[used++] = b64[v >> 12 & 63];
		line[used++] = i + 1 < n ? b64[v >> 6 & 63] : '=';
		line[used++] = i + 2 < n ? b64[v & 63] : '=';
		if (used == 76 || i + 3 >= n) {
			printf("VMBLOB %s.%s %.*s\n", tag, kind, (int)used, line);
			used = 0;
		}
	}
	fflush(stdout);
}

static uint8_t *slurp(const char *path, size_t *n)
{
	uint8_t *buf = NULL;
	size_t cap = 0;
	ssize_t k;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		vm_fail("open %s: %s", path, strerror(errno));
	*n = 0;
	do {
		if (*n == cap && !(buf = realloc(buf, cap = cap ? 2 * cap : 65536)))
			vm_fail("out of memory");
		k = read(fd, buf + *n, cap - *n);
		if (k > 0)
			*n += (size_t)k;
	} while (k > 0);
	if (k < 0)
		vm_fail("read %s: %s", path, strerror(errno));
	close(fd);
	return buf;
}

int main(int argc, char **argv)
{
	struct v4l2_format fmt = { .type = V4L2_BUF_TYPE_VIDEO_CAPTURE };
	struct v4l2_requestbuffers rb = { .count = 2,
					  .type = V4L2_BUF_TYPE_VIDEO_CAPTURE,
					  .memory = V4L2_MEMORY_MMAP };
	enum v4l2_buf_type type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	struct v4l2_buffer b = { .type = V4L2_BUF_TYPE_VIDEO_CAPTURE, .memory = V4L2_MEMORY_MMAP };
	struct v4l2_exportbuffer eb = { .type = V4L2_BUF_TYPE_VIDEO_CAPTURE };
	uint32_t v4l2_fcc, bpl, ycbcr, quant;
	char path[300], args[200], why[256];
	bool nv12;
	int fd;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc != 4 || (strcmp(argv[2], "YUYV") && strcmp(argv[2], "NV12"))) {
		fprintf(stderr, "usage: vivid-snap INSTANCE YUYV|NV12 TAG\n");
		return 2;
	}
	nv12 = !strcmp(argv[2], "NV12");
	v4l2_fcc = nv12 ? V4L2_PIX_FMT_NV12 : V4L2_PIX_FMT_YUYV;
	fd = open_vivid(atoi(argv[1]), path, sizeof(path));
	if (fd < 0)
		vm_skip("no vivid capture device for instance %s", argv[1]);

	fmt.fmt.pix.width = WIDTH;
	fmt.fmt.pix.height = HEIGHT;
	fmt.fmt.pix.pixelformat = v4l2_fcc;
	fmt.fmt.pix.field = V4L2_FIELD_NONE;
	if (vm_xioctl(fd, VIDIOC_S_FMT, &fmt) < 0)
		vm_fail("S_FMT %s %ux%u: %s", argv[2], WIDTH, HEIGHT, strerror(errno));
	ycbcr = fmt.fmt.pix.ycbcr_enc ?: V4L2_MAP_YCBCR_ENC_DEFAULT(fmt.fmt.pix.colorspace);
	quant = fmt.fmt.pix.quantization ?:
			V4L2_MAP_QUANTIZATION_DEFAULT(false, fmt.fmt.pix.colorspace, ycbcr);
	bpl = fmt.fmt.pix.bytesperline;
	printf("VMINFO vivid-snap %s: %ux%u fourcc %.4s bytesperline %u sizeimage %u "
	       "colorspace %u ycbcr_enc %u quantization %u\n",
	       path, fmt.fmt.pix.width, fmt.fmt.pix.height, (char *)&fmt.fmt.pix.pixelformat, bpl,
	       fmt.fmt.pix.sizeimage, fmt.fmt.pix.colorspace, ycbcr, quant);
	if (fmt.fmt.pix.pixelformat != v4l2_fcc || fmt.fmt.pix.width != WIDTH ||
	    fmt.fmt.pix.height != HEIGHT)
		vm_fail("vivid gave %.4s %ux%u for %s %ux%u", (char *)&fmt.fmt.pix.pixelformat,
			fmt.fmt.pix.width, fmt.fmt.pix.height, argv[2], WIDTH, HEIGHT);
	/* What the snapshot assumes by default, and the host's reference. */
	if (ycbcr != V4L2_YCBCR_ENC_601 || quant != V4L2_QUANTIZATION_LIM_RANGE)
		vm_fail("vivid encodes with ycbcr_enc %u quantization %u, not BT.601 limited",
			ycbcr, quant);

	if (vm_xioctl(fd, VIDIOC_REQBUFS, &rb) < 0 || rb.count < 1)
		vm_fail("REQBUFS: %s", strerror(errno));
	for (uint32_t i = 0; i < rb.count; i++) {
		struct v4l2_buffer q = { .type = rb.type, .memory = rb.memory, .index = i };

		if (vm_xioctl(fd, VIDIOC_QBUF, &q) < 0)
			vm_fail("QBUF %u: %s", i, strerror(errno));
	}
	if (vm_xioctl(fd, VIDIOC_STREAMON, &type) < 0)
		vm_fail("STREAMON: %s", strerror(errno));
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	if (poll(&pfd, 1, 10000) <= 0)
		vm_fail("no frame within 10 s");
	if (vm_xioctl(fd, VIDIOC_DQBUF, &b) < 0)
		vm_fail("DQBUF: %s", strerror(errno));
	if (vm_xioctl(fd, VIDIOC_QUERYBUF, &b) < 0)
		vm_fail("QUERYBUF: %s", strerror(errno));
	uint8_t *frame = mmap(NULL, b.length, PROT_READ, MAP_SHARED, fd, b.m.offset);
	if (frame == MAP_FAILED)
		vm_fail("mmap of the V4L2 buffer: %s", strerror(errno));
	size_t want = nv12 ? (size_t)bpl * HEIGHT * 3 / 2 : (size_t)bpl * HEIGHT;
	if (b.bytesused < want)
		vm_fail("frame of %u bytes, %zu expected", b.bytesused, want);
	eb.index = b.index;
	eb.flags = O_RDWR | O_CLOEXEC;
	if (vm_xioctl(fd, VIDIOC_EXPBUF, &eb) < 0)
		vm_fail("EXPBUF: %s", strerror(errno));

	struct dmabuffs_image_layout l = {
		.fourcc = nv12 ? DRM_FOURCC('N', 'V', '1', '2') : DRM_FOURCC('Y', 'U', 'Y', 'V'),
		.width = WIDTH,
		.height = HEIGHT,
		.modifier = 0,
		.nplanes = nv12 ? 2 : 1,
		.planes = { { 0, bpl }, { (uint64_t)bpl * HEIGHT, bpl } },
	};
	int r = dmabuffs_publish_image(eb.fd, argv[3], DMABUFFS_PUBLISH_TRANSIENT, &l);
	if (r == -ENOENT || r == -ECONNREFUSED)
		vm_skip("no dmabuffs daemon (%s)", strerror(-r));
	if (r < 0)
		vm_fail("dmabuffs_publish_image(%s): %s (%s)", argv[3], strerror(-r),
			dmabuffs_last_error());

	const char *mnt = getenv("DMABUFFS_MOUNT") ?: "/run/dmabuf";
	char file[400], png[400], cmd[900], planes[64], num[32];
	snprintf(file, sizeof(file), "%s/%s", mnt, argv[3]);
	snprintf(num, sizeof(num), "%u", bpl);
	vm_expect_xattr(file, "format", argv[2]);
	vm_expect_xattr(file, "width", "320");
	vm_expect_xattr(file, "height", "180");
	vm_expect_xattr(file, "modifier", "0x0");
	vm_expect_xattr(file, "stride", num);
	snprintf(planes, sizeof(planes), nv12 ? "%u,%u" : "%u", bpl, bpl);
	vm_expect_xattr(file, "pitches", planes);
	snprintf(planes, sizeof(planes), nv12 ? "0,%u" : "0", bpl * HEIGHT);
	vm_expect_xattr(file, "offsets", planes);
	vm_log("%s: format %s 320x180, pitches and offsets as published", file, argv[2]);

	snprintf(png, sizeof(png), "/tmp/%s.png", argv[3]);
	snprintf(cmd, sizeof(cmd), "dmabufctl snapshot '%s' -o '%s'", file, png);
	r = system(cmd);
	if (r != 0)
		vm_fail("%s: exit status %d", cmd, WIFEXITED(r) ? WEXITSTATUS(r) : -1);

	size_t pn;
	uint8_t *pb = slurp(png, &pn);
	vm_log("snapshot: %zu bytes of PNG; sending it and the %zu-byte frame", pn, want);
	emit_blob(argv[3], "raw", frame, want);
	emit_blob(argv[3], "png", pb, pn);
	if (nv12)
		snprintf(planes, sizeof(planes), "0:%u,%u:%u", bpl, bpl * HEIGHT, bpl);
	else
		snprintf(planes, sizeof(planes), "0:%u", bpl);
	snprintf(args, sizeof(args), "png %s yuv %s %u %u %s", argv[3], argv[2], WIDTH, HEIGHT,
		 planes);
	r = vm_host_request("screendump", argv[3], args, 60000, why, sizeof(why));
	if (r < 0)
		vm_fail("host request for %s: %s %s", argv[3], strerror(-r), why);
	vm_xioctl(fd, VIDIOC_STREAMOFF, &type);
	return 0;
}
#endif
