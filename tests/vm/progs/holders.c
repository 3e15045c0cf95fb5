/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * holders: a process tree holding dma-bufs in every way discovery must
 * see, for the whole-system inspection tests (issue 9).
 *
 *   udmabuf  65536   by fd
 *   system   131072  by fd (DMA heap)
 *   system   196608  mapped only: mmap, then the fd closed; named
 *                    "cam 0: left" (DMA_BUF_SET_NAME), which maps and
 *                    bufinfo show
 *   drm      262144  by fd (a vgem dumb buffer, PRIME-exported)
 *   vivid    frame   by fd (VIDIOC_EXPBUF), when a vivid capture device exists
 *   udmabuf  12288   held by three processes: this one by fd, child 1 by
 *                    fd, child 2 mapped only (fd inherited, mapped, closed)
 *   drm      131072  held by no process: a vgem dumb buffer exported and
 *                    its fd closed; the GEM object keeps the dma-buf
 *
 * An exporter that is absent is left out (a "# no ..." line says so); no
 * buffer at all is a skip. Prints one line per (process, buffer, kind):
 *
 *   HOLD pid=PID ino=INO size=SIZE exp_name=NAME kind=fd|map tag=TAG [name=NAME]
 *
 * (name= last, as it has blanks) *
 * and for the buffer no process holds
 *
 *   KERNEL ino=INO size=SIZE exp_name=NAME tag=vgem-kernel
 *
 * then "READY nproc=3 nbuf=N", and holds until stdin gives "quit" or EOF
 * (children die with it: PR_SET_PDEATHSIG). Exit: 0, 77, 1.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <linux/videodev2.h>

#include "vmdrm.h"
#include "vmexport.h"

struct held {
	const char *tag;
	const char *name;
	int fd; /* -1 once closed (mapped only) */
	void *map;
	size_t size;
	uint64_t ino;
	char exp_name[64];
};

static struct held bufs[8];
static size_t nbufs;

static void print_hold(const struct held *h, const char *kind)
{
	char line[256];
	int n = snprintf(line, sizeof(line),
			 "HOLD pid=%d ino=%llu size=%zu exp_name=%s kind=%s tag=%s%s%s\n",
			 (int)getpid(), (unsigned long long)h->ino, h->size, h->exp_name, kind,
			 h->tag, h->name ? " name=" : "", h->name ? h->name : "");

	/* One write per line: three processes share the pipe. */
	if (write(STDOUT_FILENO, line, (size_t)n) != n)
		_exit(1);
}

static struct held *add(const char *tag, int fd, size_t size)
{
	struct held *h = &bufs[nbufs++];
	struct stat st;
	long count;

	h->tag = tag;
	h->fd = fd;
	h->size = size;
	if (fstat(fd, &st) < 0)
		vm_fail("fstat %s: %s", tag, strerror(errno));
	h->ino = st.st_ino;
	if ((uint64_t)st.st_size != size)
		vm_log("%s: st_size %lld, asked %zu", tag, (long long)st.st_size, size);
	h->size = (size_t)st.st_size;
	if (vm_fdinfo(fd, h->exp_name, sizeof(h->exp_name), &count) < 0)
		vm_fail("%s: no exp_name in fdinfo", tag);
	return h;
}

static void map_only(struct held *h)
{
	h->map = mmap(NULL, h->size, PROT_READ, MAP_SHARED, h->fd, 0);
	if (h->map == MAP_FAILED)
		vm_fail("mmap %s: %s", h->tag, strerror(errno));
	close(h->fd);
	h->fd = -1;
}

/* -1 with a log line when the exporter is absent; dies on other errors. */
static int made(int r, const char *what)
{
	if (r >= 0)
		return r;
	if (r == -ENOENT || r == -ENODEV) {
		vm_log("no %s: %s", what, strerror(-r));
		return -1;
	}
	vm_fail("%s: %s", what, strerror(-r));
}

static int vgem_card = -1;

static int make_vgem(uint32_t w, uint32_t h)
{
	struct drm_mode_create_dumb cd = { .width = w, .height = h, .bpp = 32 };
	char path[300];
	int card, buf;

	if (vgem_card < 0)
		vgem_card = vm_open_card("vgem", path, sizeof(path));
	card = vgem_card;
	if (card < 0) {
		vm_log("no vgem card");
		return -1;
	}
	if (drmIoctl(card, DRM_IOCTL_MODE_CREATE_DUMB, &cd) < 0)
		vm_fail("vgem CREATE_DUMB: %s", strerror(errno));
	if (drmPrimeHandleToFD(card, cd.handle, DRM_CLOEXEC | DRM_RDWR, &buf) < 0)
		vm_fail("vgem PRIME export: %s", strerror(errno));
	/* The card fd is kept open on purpose: the GEM handle is a second,
	 * kernel-side reference that no maps or fd scan shows. */
	return buf;
}

static int make_vivid(size_t *size)
{
	struct v4l2_requestbuffers rb = { .count = 1,
					  .type = V4L2_BUF_TYPE_VIDEO_CAPTURE,
					  .memory = V4L2_MEMORY_MMAP };
	struct v4l2_exportbuffer eb = { .type = V4L2_BUF_TYPE_VIDEO_CAPTURE,
					.index = 0,
					.flags = O_RDONLY | O_CLOEXEC };
	struct v4l2_buffer b = { .type = V4L2_BUF_TYPE_VIDEO_CAPTURE,
				 .memory = V4L2_MEMORY_MMAP,
				 .index = 0 };
	DIR *d = opendir("/dev");
	struct dirent *de;
	int fd = -1;

	while (d && fd < 0 && (de = readdir(d))) {
		struct v4l2_capability cap = { 0 };
		char path[300];

		if (strncmp(de->d_name, "video", 5))
			continue;
		snprintf(path, sizeof(path), "/dev/%s", de->d_name);
		fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			continue;
		if (ioctl(fd, VIDIOC_QUERYCAP, &cap) < 0 || strcmp((char *)cap.driver, "vivid") ||
		    !(cap.device_caps & V4L2_CAP_VIDEO_CAPTURE) ||
		    ioctl(fd, VIDIOC_REQBUFS, &rb) < 0 || rb.count < 1) {
			close(fd);
			fd = -1;
		}
	}
	if (d)
		closedir(d);
	if (fd < 0) {
		vm_log("no vivid capture device");
		return -1;
	}
	if (ioctl(fd, VIDIOC_QUERYBUF, &b) < 0)
		vm_fail("vivid QUERYBUF: %s", strerror(errno));
	if (ioctl(fd, VIDIOC_EXPBUF, &eb) < 0)
		vm_fail("vivid EXPBUF: %s", strerror(errno));
	*size = b.length;
	/* The video fd stays open: closing it would free the queue's
	 * buffers' own references (the export keeps the buffer anyway). */
	return eb.fd;
}

static void wait_quit(void)
{
	char line[64];

	while (fgets(line, sizeof(line), stdin))
		if (!strncmp(line, "quit", 4))
			break;
}

int main(void)
{
	struct held *shared = NULL;
	int ready[2], fd;
	pid_t kids[2] = { 0, 0 };
	size_t size;
	char c;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if ((fd = made(vm_udmabuf(65536), "udmabuf")) >= 0)
		add("udmabuf-fd", fd, 65536);
	if ((fd = made(vm_heap_buf(131072), "system heap")) >= 0)
		add("heap-fd", fd, 131072);
	if ((fd = made(vm_heap_buf(196608), "system heap")) >= 0) {
		struct held *h = add("heap-map", fd, 196608);

		h->name = "cam 0: left";
		if (ioctl(fd, DMA_BUF_SET_NAME_B, h->name) < 0)
			vm_fail("DMA_BUF_SET_NAME: %s", strerror(errno));
		map_only(h);
	}
	if ((fd = make_vgem(256, 256)) >= 0)
		add("vgem-fd", fd, 262144);
	if ((fd = make_vivid(&size)) >= 0)
		add("vivid-fd", fd, size);
	if ((fd = made(vm_udmabuf(12288), "udmabuf")) >= 0)
		shared = add("shared", fd, 12288);
	if ((fd = make_vgem(256, 128)) >= 0) {
		struct held k = { 0 };
		struct stat st;
		long count;

		if (fstat(fd, &st) < 0 || vm_fdinfo(fd, k.exp_name, sizeof(k.exp_name), &count) < 0)
			vm_fail("vgem-kernel: fstat/fdinfo: %s", strerror(errno));
		close(fd);
		printf("KERNEL ino=%llu size=%lld exp_name=%s tag=vgem-kernel\n",
		       (unsigned long long)st.st_ino, (long long)st.st_size, k.exp_name);
	}
	if (nbufs == 0)
		vm_skip("no dma-buf exporter at all");

	if (pipe(ready) < 0)
		vm_fail("pipe: %s", strerror(errno));
	for (int k = 0; shared && k < 2; k++) {
		kids[k] = fork();
		if (kids[k] < 0)
			vm_fail("fork: %s", strerror(errno));
		if (kids[k] == 0) {
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			if (getppid() == 1)
				_exit(1);
			/* Only the shared buffer: the others' fds and maps
			 * are dropped so that they stay this parent's. */
			for (size_t i = 0; i < nbufs; i++) {
				if (&bufs[i] == shared)
					continue;
				if (bufs[i].fd >= 0)
					close(bufs[i].fd);
				if (bufs[i].map)
					munmap(bufs[i].map, bufs[i].size);
			}
			if (k == 1)
				map_only(shared);
			print_hold(shared, k == 1 ? "map" : "fd");
			if (write(ready[1], "r", 1) != 1)
				_exit(1);
			close(ready[1]);
			pause();
			_exit(0);
		}
	}
	for (int k = 0; shared && k < 2; k++)
		if (read(ready[0], &c, 1) != 1)
			vm_fail("child %d did not get ready", k);
	for (size_t i = 0; i < nbufs; i++)
		print_hold(&bufs[i], bufs[i].fd >= 0 ? "fd" : "map");
	printf("READY nproc=%d nbuf=%zu\n", shared ? 3 : 1, nbufs);

	wait_quit();
	for (int k = 0; k < 2; k++) {
		if (kids[k] > 0) {
			kill(kids[k], SIGTERM);
			waitpid(kids[k], NULL, 0);
		}
	}
	return 0;
}
