// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Buffers: the daemon's side of a dma-buf. Every CPU access goes through
 * the buffer's struct dmabuf_map, so the map flag alone decides between
 * memcpy and the I/O accessor shim, and is bracketed by DMA_BUF_IOCTL_SYNC
 * so that exporters with non-coherent caches see the right data.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <time.h>
#include <setjmp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/dma-buf.h>

#include "backend/backend.h"
#include "buffer.h"
#include "shared/fdinfo.h"
#include "shared/log.h"
#include "shared/macro.h"
#include "shared/util.h"

/* ---- SIGBUS guard ----
 * An exporter whose device disappears may tear down the pages behind the
 * daemon's mapping; the next access then raises SIGBUS. Copies run under a
 * per-thread jump buffer so that such a fault becomes -ENODEV for that one
 * request instead of killing the daemon. No lock is held during a copy, so
 * jumping out of it is safe.
 */
static __thread sigjmp_buf *bus_jmp;

static void sigbus_handler(int sig, siginfo_t *si, void *uc)
{
	if (bus_jmp)
		siglongjmp(*bus_jmp, 1);
	/* A fault outside a guarded copy is a real bug: die loudly. */
	signal(sig, SIG_DFL);
	raise(sig);
}

int buffer_init_sigbus_guard(void)
{
	struct sigaction sa = {
		.sa_sigaction = sigbus_handler,
		.sa_flags = SA_SIGINFO | SA_NODEFER,
	};

	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGBUS, &sa, NULL) < 0)
		return -errno;
	return 0;
}

/* ---- ops ---- */

/* Tries of a SYNC that keeps failing with EINTR/EAGAIN, whatever the
 * timeout: a signal or a busy exporter now and then is no failure. */
#define SYNC_TRIES_MIN 3

static int dmabuf_sync(struct buffer *b, uint64_t flags, int timeout_ms)
{
	struct dma_buf_sync sync = { .flags = flags };
	int64_t start = now_ms();
	int r;

	/* The kernel restarts nothing here: EAGAIN/EINTR mean "try again",
	 * within the fence timeout, not forever. */
	for (int tries = 1;; tries++) {
		r = ioctl(b->fd, DMA_BUF_IOCTL_SYNC, &sync);
		if (r == 0 || (errno != EINTR && errno != EAGAIN))
			break;
		if (tries >= SYNC_TRIES_MIN && now_ms() - start >= timeout_ms) {
			errno = ETIME;
			break;
		}
	}
	if (r < 0) {
		r = -errno;
		log_warn("buffer %s: DMA_BUF_IOCTL_SYNC(0x%llx): %s", b->exporter,
			 (unsigned long long)flags, strerror(-r));
		return r;
	}
	return 0;
}

/* POLLIN on a dma-buf: no unsignalled write fence, safe to read; POLLOUT: no
 * fence at all, safe to write. */
static int dmabuf_wait(struct buffer *b, short events, int timeout_ms)
{
	struct pollfd pfd = { .fd = b->fd, .events = events };
	int r;

	r = RETRY_EINTR(poll(&pfd, 1, timeout_ms));
	if (r < 0)
		return -errno;
	if (r == 0)
		return timeout_ms == 0 ? -EAGAIN : -ETIME;
	if (pfd.revents & (POLLERR | POLLNVAL))
		return -ENODEV;
	return 0;
}

static int memfd_sync(struct buffer *b, uint64_t flags, int timeout_ms)
{
	return 0;
}

static int memfd_wait(struct buffer *b, short events, int timeout_ms)
{
	return 0;
}

const struct buffer_ops buffer_dmabuf_ops = {
	.sync = dmabuf_sync,
	.wait = dmabuf_wait,
};

const struct buffer_ops buffer_memfd_ops = {
	.sync = memfd_sync,
	.wait = memfd_wait,
};

/* ---- lifetime ---- */

int buffer_new(int fd, struct backend *be, enum iomem_mode mode, struct buffer **out)
{
	_cleanup_close_ int owned = fd;
	_cleanup_free_ struct buffer *b = NULL;
	struct dmabuf_fdinfo info;
	struct stat st;
	off_t end;
	int r;

	b = calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	if (fstat(fd, &st) < 0)
		return -errno;
	r = fdinfo_read(0, fd, &info);
	if (r < 0) {
		log_err("buffer: cannot read fdinfo of fd %d: %s", fd, strerror(-r));
		return r;
	}
	/* dma-bufs report their size through lseek, memfds through fstat. */
	end = lseek(fd, 0, SEEK_END);
	b->size = end > 0 ? (uint64_t)end : (uint64_t)st.st_size;
	if (b->size == 0) {
		log_err("buffer: fd %d has size 0", fd);
		return -EINVAL;
	}
	if (info.is_dmabuf) {
		b->ops = &buffer_dmabuf_ops;
		snprintf(b->exporter, sizeof(b->exporter), "%s", info.exp_name);
		snprintf(b->dmabuf_name, sizeof(b->dmabuf_name), "%.31s", info.name);
		b->kino = info.ino;
	} else {
		b->ops = &buffer_memfd_ops;
		snprintf(b->exporter, sizeof(b->exporter), "memfd");
		b->kino = st.st_ino;
		/* Before any fd of it can leave the daemon (exports, by
		 * reference): a published memfd is still its publisher's,
		 * mode 0777, and a read-only export of it could be reopened
		 * read-write through /proc/self/fd. */
		r = memfd_make_private(fd);
		if (r < 0) {
			log_err("buffer: cannot make the memfd the daemon's own (owner, mode 0600): %s",
				strerror(-r));
			return r;
		}
	}
	if (be)
		snprintf(b->driver, sizeof(b->driver), "%s", be->driver);
	/* Zero-copy replies hand the mapping to the kernel's /dev/fuse write,
	 * which pins its pages: that fails (EFAULT) on the VM_PFNMAP mappings
	 * every dma-buf exporter gives, udmabuf and the system heap included,
	 * so only memfds qualify. And only a memfd nobody can shrink: pages
	 * past a new end would fault inside the kernel's copy, where no
	 * SIGBUS guard can catch it. Ours are sealed against shrinking. */
	if (strcmp(b->exporter, "memfd") == 0) {
		int seals = fcntl(fd, F_GET_SEALS);

		b->stable_pages = seals > 0 && (seals & F_SEAL_SHRINK);
	}

	b->addr = mmap(NULL, b->size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (b->addr == MAP_FAILED && errno == EACCES) {
		/* A dma-buf exported O_RDONLY (VIDIOC_EXPBUF often is) maps
		 * read-only: publish it as a read-only file. */
		b->addr = mmap(NULL, b->size, PROT_READ, MAP_SHARED, fd, 0);
		b->readonly = b->addr != MAP_FAILED;
	}
	if (b->addr == MAP_FAILED) {
		r = -errno;
		log_err("buffer: mmap of %s buffer (%llu bytes) failed: %s", b->exporter,
			(unsigned long long)b->size, strerror(-r));
		return r;
	}
	b->fd = TAKE_FD(owned);
	b->be = be;
	b->refcount = 1;
	buffer_set_iomem(b, -1, mode);
	*out = TAKE_PTR(b);
	return 0;
}

struct buffer *buffer_ref(struct buffer *b)
{
	__atomic_add_fetch(&b->refcount, 1, __ATOMIC_RELAXED);
	return b;
}

void buffer_unref(struct buffer *b)
{
	if (!b || __atomic_sub_fetch(&b->refcount, 1, __ATOMIC_ACQ_REL) > 0)
		return;
	munmap(b->addr, b->size);
	close(b->fd);
	free(b);
}

void buffer_set_iomem(struct buffer *b, int iomem_override, enum iomem_mode mode)
{
	const char *why = NULL;
	int v;

	v = policy_decide(iomem_override, mode, b->exporter, b->driver, &why);
	__atomic_store_n(&b->iomem, v == 1, __ATOMIC_RELEASE);
	b->iomem_why = why;
}

struct dmabuf_map buffer_map(struct buffer *b)
{
	struct dmabuf_map map;

	if (__atomic_load_n(&b->iomem, __ATOMIC_ACQUIRE))
		dmabuf_map_set_vaddr_iomem(&map, b->addr);
	else
		dmabuf_map_set_vaddr(&map, b->addr);
	return map;
}

bool buffer_is_dead(struct buffer *b)
{
	return __atomic_load_n(&b->dead, __ATOMIC_ACQUIRE) || backend_is_gone(b->be);
}

void buffer_mark_dead(struct buffer *b)
{
	__atomic_store_n(&b->dead, true, __ATOMIC_RELEASE);
}

/* ---- I/O ---- */

enum copy_dir {
	COPY_FROM_BUFFER,
	COPY_TO_BUFFER
};

/* One guarded copy; returns 0 or -ENODEV when the mapping faulted. */
static int guarded_copy(struct buffer *b, enum copy_dir dir, void *mem, size_t len, uint64_t off)
{
	struct dmabuf_map map = buffer_map(b);
	sigjmp_buf jb;

	if (sigsetjmp(jb, 1)) {
		bus_jmp = NULL;
		buffer_mark_dead(b);
		log_err("buffer %s: SIGBUS while copying %zu bytes at %llu: device gone?",
			b->exporter, len, (unsigned long long)off);
		return -ENODEV;
	}
	bus_jmp = &jb;
	if (dir == COPY_FROM_BUFFER)
		dmabuf_map_memcpy_from(mem, &map, off, len);
	else
		dmabuf_map_memcpy_to(&map, off, mem, len);
	bus_jmp = NULL;
	return 0;
}

/* A failed SYNC is the device's problem, not the caller's: EIO, unless the
 * device is gone. */
static int sync_error(int r)
{
	return r == -ENODEV || r == -ETIME ? r : -EIO;
}

static ssize_t buffer_io(struct buffer *b, enum copy_dir dir, void *mem, size_t len, uint64_t off,
			 int timeout_ms)
{
	uint64_t dir_flag = dir == COPY_FROM_BUFFER ? DMA_BUF_SYNC_READ : DMA_BUF_SYNC_WRITE;
	int r, r2;

	r = b->ops->sync(b, DMA_BUF_SYNC_START | dir_flag, timeout_ms);
	if (r < 0)
		return sync_error(r);
	r = guarded_copy(b, dir, mem, len, off);
	/* What was read is the buffer's only if the device was still there
	 * after the copy (removal is for good: a later removal cannot have
	 * touched these bytes). */
	if (r == 0 && dir == COPY_FROM_BUFFER && b->be && b->be->ops->alive &&
	    b->be->ops->alive(b->be) == -ENODEV) {
		buffer_mark_dead(b);
		log_err("buffer %s: the device is gone (the copy read stale memory)", b->exporter);
		r = -ENODEV;
	}
	r2 = b->ops->sync(b, DMA_BUF_SYNC_END | dir_flag, timeout_ms);
	if (r < 0)
		return r;
	if (r2 < 0)
		return sync_error(r2);
	return (ssize_t)len;
}

/* Clamp a write of *len bytes at off to the buffer: 0 (with *len possibly
 * 0: nothing to do) or -errno. Like a read, a write first waits (bounded)
 * for the device to be done with the buffer, instead of blocking without
 * bound in SYNC_START. */
static int write_span(struct buffer *b, size_t *len, uint64_t off, bool nonblock,
		      int fence_timeout_ms)
{
	if (buffer_is_dead(b))
		return -ENODEV;
	if (b->readonly)
		return -EACCES;
	if (*len == 0)
		return 0;
	if (off >= b->size)
		return -ENOSPC;
	*len = MIN(*len, b->size - off);
	return b->ops->wait(b, POLLOUT, nonblock ? 0 : fence_timeout_ms);
}

ssize_t buffer_read(struct buffer *b, void *dst, size_t len, uint64_t off, bool nonblock,
		    int fence_timeout_ms)
{
	int r;

	if (buffer_is_dead(b))
		return -ENODEV;
	if (off >= b->size || len == 0)
		return 0;
	len = MIN(len, b->size - off);
	r = b->ops->wait(b, POLLIN, nonblock ? 0 : fence_timeout_ms);
	if (r < 0)
		return r;
	return buffer_io(b, COPY_FROM_BUFFER, dst, len, off, nonblock ? 0 : fence_timeout_ms);
}

ssize_t buffer_write(struct buffer *b, const void *src, size_t len, uint64_t off, bool nonblock,
		     int fence_timeout_ms)
{
	int r = write_span(b, &len, off, nonblock, fence_timeout_ms);

	if (r < 0 || len == 0)
		return r;
	return buffer_io(b, COPY_TO_BUFFER, (void *)src, len, off, nonblock ? 0 : fence_timeout_ms);
}

ssize_t buffer_write_from_fd(struct buffer *b, int fd, size_t len, uint64_t off, bool nonblock,
			     int fence_timeout_ms)
{
	size_t done = 0;
	int r, r2;

	if (__atomic_load_n(&b->iomem, __ATOMIC_ACQUIRE))
		return -EOPNOTSUPP;
	r = write_span(b, &len, off, nonblock, fence_timeout_ms);
	if (r < 0 || len == 0)
		return r;
	r = b->ops->sync(b, DMA_BUF_SYNC_START | DMA_BUF_SYNC_WRITE, fence_timeout_ms);
	if (r < 0)
		return sync_error(r);
	while (done < len) {
		ssize_t n = read(fd, (char *)b->addr + off + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			r = n == 0 ? -EIO : errno == EFAULT ? -ENODEV : -errno;
			break;
		}
		done += (size_t)n;
	}
	r2 = b->ops->sync(b, DMA_BUF_SYNC_END | DMA_BUF_SYNC_WRITE, fence_timeout_ms);
	if (r < 0)
		return r;
	if (r2 < 0)
		return sync_error(r2);
	return (ssize_t)len;
}

bool buffer_zero_copy(struct buffer *b)
{
	return b->stable_pages && !__atomic_load_n(&b->iomem, __ATOMIC_ACQUIRE);
}

int buffer_read_direct_begin(struct buffer *b, uint64_t off, size_t *len, bool nonblock,
			     int fence_timeout_ms, const void **ptr)
{
	int r;

	if (!buffer_zero_copy(b))
		return -EOPNOTSUPP;
	if (buffer_is_dead(b))
		return -ENODEV;
	*len = off >= b->size ? 0 : MIN(*len, b->size - off);
	*ptr = (const char *)b->addr + (off >= b->size ? 0 : off);
	if (*len == 0)
		return 0;
	r = b->ops->wait(b, POLLIN, nonblock ? 0 : fence_timeout_ms);
	if (r < 0)
		return r;
	r = b->ops->sync(b, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ, fence_timeout_ms);
	return r < 0 ? sync_error(r) : 0;
}

void buffer_read_direct_end(struct buffer *b)
{
	b->ops->sync(b, DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ, 0);
}

int buffer_fill_from_fd(struct buffer *b, int src_fd, uint64_t len, int fence_timeout_ms)
{
	enum {
		CHUNK = 1 << 20
	};
	_cleanup_free_ char *tmp = malloc(CHUNK);
	uint64_t off = 0;

	if (!tmp)
		return -ENOMEM;
	len = MIN(len, b->size);
	while (off < len) {
		size_t n = MIN((uint64_t)CHUNK, len - off);
		ssize_t got = RETRY_EINTR(pread(src_fd, tmp, n, (off_t)off));
		ssize_t put;

		if (got < 0)
			return -errno;
		if (got == 0)
			break;
		put = buffer_write(b, tmp, (size_t)got, off, false, fence_timeout_ms);
		if (put < 0)
			return (int)put;
		off += (uint64_t)got;
	}
	return 0;
}

int buffer_set_dmabuf_name(struct buffer *b, const char *name)
{
	char n[DMA_BUF_NAME_LEN];

	if (b->ops != &buffer_dmabuf_ops) {
		/* memfds have no settable name; keep it for the xattr. */
		snprintf(b->dmabuf_name, sizeof(b->dmabuf_name), "%s", name);
		return 0;
	}
	snprintf(n, sizeof(n), "%s", name);
	if (ioctl(b->fd, DMA_BUF_SET_NAME, n) < 0) {
		int r = -errno;

		log_warn("buffer %s: DMA_BUF_SET_NAME(%s): %s", b->exporter, n, strerror(-r));
		return r;
	}
	snprintf(b->dmabuf_name, sizeof(b->dmabuf_name), "%s", n);
	return 0;
}
