/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <dmabuffs/map.h>

#include "policy.h"

struct backend;
struct buffer;

/*
 * How the daemon touches one kind of buffer, chosen once when the buffer is
 * made: dma-bufs bracket every CPU access with DMA_BUF_IOCTL_SYNC and wait
 * for the write fence with poll(); memfds need neither.
 */
struct buffer_ops {
	/* DMA_BUF_IOCTL_SYNC with flags (START/END | READ/WRITE), retried on
	 * EINTR/EAGAIN for up to timeout_ms (a few tries for 0), then -ETIME.
	 * 0 or -errno. */
	int (*sync)(struct buffer *b, uint64_t flags, int timeout_ms);
	/* Wait up to timeout_ms (0: don't wait) until the CPU may read
	 * (POLLIN: no pending device write) or write (POLLOUT: no pending
	 * device access). 0, -EAGAIN (timeout_ms == 0 and busy) or -ETIME. */
	int (*wait)(struct buffer *b, short events, int timeout_ms);
};

extern const struct buffer_ops buffer_dmabuf_ops;
extern const struct buffer_ops buffer_memfd_ops;

/*
 * A buffer: one dma-buf (or memfd) fd the daemon owns, mapped once with the
 * fd's own mmap (no struct pages assumed), read and written only through a
 * struct dmabuf_map so that the map flag picks memcpy or the I/O shim.
 * Reference counted: the tree, open files and exports each hold one.
 */
struct buffer {
	int refcount; /* atomic */
	int fd;
	uint64_t size;
	void *addr;
	const struct buffer_ops *ops;
	struct backend *be; /* NULL for imported buffers */
	char exporter[64];
	char driver[32];
	char dmabuf_name[32];
	uint64_t kino; /* the kernel's inode of the dma-buf (or memfd) */
	/* The map flag, protected by the tree lock for writers; readers take a
	 * snapshot with buffer_map(). */
	bool iomem;
	const char *iomem_why;
	bool dead;     /* device lost: all I/O fails with ENODEV; atomic */
	bool readonly; /* the fd was opened read-only: writes fail, EACCES */
	/* Ordinary pages that cannot be taken away while mapped (a sealed
	 * memfd): reads may be replied straight from the mapping. */
	bool stable_pages;
};

/* Make a buffer of an fd, taking ownership of fd (closed on error too).
 * be may be NULL (import). The map flag is decided with mode. */
int buffer_new(int fd, struct backend *be, enum iomem_mode mode, struct buffer **out);
struct buffer *buffer_ref(struct buffer *b);
void buffer_unref(struct buffer *b);
static inline void buffer_unrefp(struct buffer **b)
{
	buffer_unref(*b);
}
#define _cleanup_buffer_ __attribute__((cleanup(buffer_unrefp)))

/* Re-run the policy after the per-buffer override (-1: none, 0, 1) or the
 * mode changed. */
void buffer_set_iomem(struct buffer *b, int iomem_override, enum iomem_mode mode);
/* The current map of the buffer (vaddr or vaddr_iomem per the flag). */
struct dmabuf_map buffer_map(struct buffer *b);
bool buffer_is_dead(struct buffer *b);
void buffer_mark_dead(struct buffer *b);

/*
 * Copy between the buffer and ordinary memory, bracketed by SYNC_START/END;
 * reads first wait for the write fence, writes for every fence, both up to
 * fence_timeout_ms (nonblock: not at all). Return the byte count (short at the
 * end of the buffer; 0 at or past the end for reads) or -errno: -ENOSPC for a
 * write at or past the end, -ENODEV when the device is gone (also when the
 * mapping faults, SIGBUS, because the exporter went away underneath),
 * -EACCES for a write to a read-only buffer, -EAGAIN for a nonblocking read of a busy buffer, -ETIME when the fence did
 * not signal within fence_timeout_ms.
 */
ssize_t buffer_read(struct buffer *b, void *dst, size_t len, uint64_t off, bool nonblock,
		    int fence_timeout_ms);
ssize_t buffer_write(struct buffer *b, const void *src, size_t len, uint64_t off, bool nonblock,
		     int fence_timeout_ms);
/*
 * Zero-copy read: waits for the fence, SYNC_START|READ, and points *ptr at
 * min(*len, size - off) bytes of the mapping, for the caller to hand to the
 * kernel (fuse_reply_buf) before buffer_read_direct_end() (SYNC_END).
 * -EOPNOTSUPP when the buffer must be copied instead: I/O memory (only the
 * shim may touch it), and every dma-buf: their VM_PFNMAP mappings cannot be
 * pinned by the kernel's copy out of a FUSE reply. buffer_zero_copy() says
 * beforehand whether it applies (the map flag may still change in between).
 */
bool buffer_zero_copy(struct buffer *b);
int buffer_read_direct_begin(struct buffer *b, uint64_t off, size_t *len, bool nonblock,
			     int fence_timeout_ms, const void **ptr);
void buffer_read_direct_end(struct buffer *b);

/*
 * Write len bytes at off straight from fd (the pipe of a spliced FUSE
 * request) into the mapping: one copy, done by the kernel, where a device
 * that went away gives EFAULT (-> -ENODEV) instead of SIGBUS. Returns the
 * bytes written, short at the end of the buffer; -EOPNOTSUPP for I/O
 * memory (only the shim may store there), else as buffer_write().
 */
ssize_t buffer_write_from_fd(struct buffer *b, int fd, size_t len, uint64_t off, bool nonblock,
			     int fence_timeout_ms);

/* Fill a copy of src (another buffer or staged memfd contents) into b. */
int buffer_fill_from_fd(struct buffer *b, int src_fd, uint64_t len, int fence_timeout_ms);

/* Set DMA_BUF_SET_NAME (truncated to 31 bytes). 0 or -errno. */
int buffer_set_dmabuf_name(struct buffer *b, const char *name);

/* Install the SIGBUS guard used by buffer_read/buffer_write. */
int buffer_init_sigbus_guard(void);
