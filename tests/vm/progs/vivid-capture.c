/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vivid-capture [--publish NAME | --publish-ro NAME] INSTANCE EXP_NAME
 *
 * Capture one frame from the vivid capture device of instance INSTANCE
 * (bus_info "platform:vivid-00N"; the guest test loads vivid with
 * allocators=0,1 so instance 0 is vmalloc and 1 dma-contig), export the
 * dequeued buffer with VIDIOC_EXPBUF, check fdinfo's exp_name is EXP_NAME,
 * and compare the frame read through V4L2's own mmap with the same bytes
 * read through an mmap of the exported dma-buf.
 *
 * --publish NAME hands the dma-buf to the dmabuffs daemon
 * (dmabuffs_publish() of libdmabuffs) and reads the frame back from its
 * buffer file; it is compiled in only when the build found a libdmabuffs
 * that exports dmabuffs_publish (HAVE_DMABUFFS_PUBLISH), else it skips.
 * The buffer is exported O_RDWR for it (the file is then writable);
 * --publish-ro NAME exports it O_RDONLY, as capture programs often do:
 * the file must then read the frame and refuse writes.
 * Exit: 0 pass, 77 no such device, 1 failure.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <poll.h>
#include <stdbool.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <linux/dma-buf.h>
#include <linux/videodev2.h>

#ifdef HAVE_DMABUFFS_PUBLISH
#include <dmabuffs/client.h>
#endif

#include "vmxattr.h"

#define NBUF 2

/* The vivid capture node of one instance; node numbers depend on probe
 * order, bus_info does not. */
static int open_vivid(int instance, char *path, size_t len)
{
	char want[32];
	DIR *d = opendir("/dev");
	struct dirent *de;
	int found = -1;

	snprintf(want, sizeof(want), "platform:vivid-%03d", instance);
	if (!d)
		return -1;
	while (found < 0 && (de = readdir(d))) {
		struct v4l2_capability cap = { 0 };
		int fd;

		if (strncmp(de->d_name, "video", 5))
			continue;
		snprintf(path, len, "/dev/%s", de->d_name);
		fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			continue;
		if (!vm_xioctl(fd, VIDIOC_QUERYCAP, &cap) && !strcmp((char *)cap.driver, "vivid") &&
		    !strcmp((char *)cap.bus_info, want) &&
		    (cap.device_caps & V4L2_CAP_VIDEO_CAPTURE))
			found = fd;
		else
			close(fd);
	}
	closedir(d);
	return found;
}

#ifdef HAVE_DMABUFFS_PUBLISH
static void publish(int buf, const char *name, const char *exp_name, const uint8_t *frame,
		    size_t len, bool ro)
{
	const char *mnt = getenv("DMABUFFS_MOUNT");
	char path[512];
	uint8_t *copy;
	ssize_t n;
	int r, fd;

	r = dmabuffs_publish(buf, name, DMABUFFS_PUBLISH_TRANSIENT);
	if (r == -ENOENT || r == -ECONNREFUSED)
		vm_skip("no dmabuffs daemon (%s)", strerror(-r));
	if (r < 0)
		vm_fail("dmabuffs_publish(%s): %s (%s)", name, strerror(-r), dmabuffs_last_error());
	snprintf(path, sizeof(path), "%s/%s", mnt ? mnt : "/run/dmabuf", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		vm_fail("open %s: %s", path, strerror(errno));
	copy = malloc(len);
	if (!copy)
		vm_fail("out of memory");
	n = pread(fd, copy, len, 0);
	if (n != (ssize_t)len)
		vm_fail("read %s: %zd of %zu bytes (%s)", path, n, len, strerror(errno));
	if (memcmp(copy, frame, len))
		vm_fail("%s differs from the V4L2 mapping", path);
	vm_log("published as %s, %zu bytes read back through dmabuffs", path, len);
	/* videobuf2 allocates from RAM in both allocators: system memory. */
	vm_expect_xattr(path, "exporter", exp_name);
	vm_expect_xattr(path, "iomem", "0");
	vm_expect_xattr(path, "origin", "published");
	vm_log("%s: exporter %s, iomem 0, origin published", path, exp_name);
	if (ro) {
		int wfd = open(path, O_WRONLY | O_CLOEXEC);

		if (wfd >= 0) {
			ssize_t w = pwrite(wfd, "x", 1, 0);

			if (w >= 0)
				vm_fail("%s: a write into a read-only dma-buf succeeded", path);
			vm_log("write into the read-only buffer: %s", strerror(errno));
			close(wfd);
		} else {
			vm_log("open O_WRONLY of the read-only buffer: %s", strerror(errno));
		}
	}
	free(copy);
	close(fd);
}
#endif

int main(int argc, char **argv)
{
	struct v4l2_requestbuffers rb = {
		.count = NBUF,
		.type = V4L2_BUF_TYPE_VIDEO_CAPTURE,
		.memory = V4L2_MEMORY_MMAP,
	};
	enum v4l2_buf_type type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	struct v4l2_buffer b = { 0 };
	struct v4l2_exportbuffer eb = { 0 };
	struct v4l2_format fmt = { .type = V4L2_BUF_TYPE_VIDEO_CAPTURE };
	struct dma_buf_sync sync = { 0 };
	const char *publish_name = NULL;
	bool publish_ro = false;
	void *maps[NBUF];
	size_t lens[NBUF];
	char path[300], exp_name[64];
	struct pollfd pfd;
	uint8_t *dmap;
	long count = -1;
	int fd, nonzero = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc > 2 && (!strcmp(argv[1], "--publish") || !strcmp(argv[1], "--publish-ro"))) {
		publish_name = argv[2];
		publish_ro = !strcmp(argv[1], "--publish-ro");
		argv += 2;
		argc -= 2;
	}
	if (argc != 3) {
		fprintf(stderr, "usage: vivid-capture [--publish[-ro] NAME] INSTANCE EXP_NAME\n");
		return 2;
	}
#ifndef HAVE_DMABUFFS_PUBLISH
	if (publish_name)
		vm_skip("built without libdmabuffs dmabuffs_publish()");
#endif

	fd = open_vivid(atoi(argv[1]), path, sizeof(path));
	if (fd < 0)
		vm_skip("no vivid capture device for instance %s", argv[1]);
	if (vm_xioctl(fd, VIDIOC_G_FMT, &fmt) < 0)
		vm_fail("G_FMT: %s", strerror(errno));
	vm_log("%s: %ux%u fourcc %.4s sizeimage %u", path, fmt.fmt.pix.width, fmt.fmt.pix.height,
	       (char *)&fmt.fmt.pix.pixelformat, fmt.fmt.pix.sizeimage);

	if (vm_xioctl(fd, VIDIOC_REQBUFS, &rb) < 0 || rb.count < 1)
		vm_fail("REQBUFS(MMAP): %s", strerror(errno));
	if (rb.count > NBUF)
		rb.count = NBUF;
	for (unsigned i = 0; i < rb.count; i++) {
		memset(&b, 0, sizeof(b));
		b.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
		b.memory = V4L2_MEMORY_MMAP;
		b.index = i;
		if (vm_xioctl(fd, VIDIOC_QUERYBUF, &b) < 0)
			vm_fail("QUERYBUF %u: %s", i, strerror(errno));
		lens[i] = b.length;
		maps[i] = mmap(NULL, b.length, PROT_READ, MAP_SHARED, fd, b.m.offset);
		if (maps[i] == MAP_FAILED)
			vm_fail("mmap buffer %u: %s", i, strerror(errno));
		if (vm_xioctl(fd, VIDIOC_QBUF, &b) < 0)
			vm_fail("QBUF %u: %s", i, strerror(errno));
	}
	if (vm_xioctl(fd, VIDIOC_STREAMON, &type) < 0)
		vm_fail("STREAMON: %s", strerror(errno));

	pfd = (struct pollfd){ .fd = fd, .events = POLLIN };
	if (poll(&pfd, 1, 10000) <= 0)
		vm_fail("no frame within 10 s");
	memset(&b, 0, sizeof(b));
	b.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	b.memory = V4L2_MEMORY_MMAP;
	if (vm_xioctl(fd, VIDIOC_DQBUF, &b) < 0)
		vm_fail("DQBUF: %s", strerror(errno));
	vm_log("dequeued buffer %u, %u bytes used, sequence %u", b.index, b.bytesused, b.sequence);

	eb.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	eb.index = b.index;
	/* A writable export for --publish: the daemon maps it read-write. */
	eb.flags = (publish_name && !publish_ro ? O_RDWR : O_RDONLY) | O_CLOEXEC;
	if (vm_xioctl(fd, VIDIOC_EXPBUF, &eb) < 0)
		vm_fail("EXPBUF: %s", strerror(errno));
	if (vm_fdinfo(eb.fd, exp_name, sizeof(exp_name), &count) < 0)
		vm_fail("no exp_name in fdinfo of the exported buffer");
	printf("VMINFO exporter=vivid-%s exp_name=%s count=%ld\n", argv[1], exp_name, count);
	if (strcmp(exp_name, argv[2]))
		vm_fail("exp_name is '%s', expected '%s'", exp_name, argv[2]);

	dmap = mmap(NULL, lens[b.index], PROT_READ, MAP_SHARED, eb.fd, 0);
	if (dmap == MAP_FAILED)
		vm_fail("mmap of the exported dma-buf: %s", strerror(errno));
	sync.flags = DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ;
	if (vm_xioctl(eb.fd, DMA_BUF_IOCTL_SYNC, &sync) < 0)
		vm_fail("DMA_BUF_IOCTL_SYNC: %s", strerror(errno));
	for (size_t i = 0; i < b.bytesused; i++) {
		uint8_t v = ((uint8_t *)maps[b.index])[i];

		nonzero |= v;
		if (dmap[i] != v)
			vm_fail("byte %zu: V4L2 mapping %#x, dma-buf mapping %#x", i, v, dmap[i]);
	}
	sync.flags = DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ;
	vm_xioctl(eb.fd, DMA_BUF_IOCTL_SYNC, &sync);
	if (!b.bytesused || !nonzero)
		vm_fail("the frame is empty (%u bytes used, all zero)", b.bytesused);
	vm_log("%u bytes identical through the V4L2 and the dma-buf mapping", b.bytesused);

#ifdef HAVE_DMABUFFS_PUBLISH
	if (publish_name)
		publish(eb.fd, publish_name, argv[2], maps[b.index], b.bytesused, publish_ro);
#endif
	vm_xioctl(fd, VIDIOC_STREAMOFF, &type);
	munmap(dmap, lens[b.index]);
	close(eb.fd);
	close(fd);
	return 0;
}
