// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Open files. Every open file is an entry: a buffer file of the root, or,
 * for proc/PID/FD, an unlinked entry of origin discovered around the
 * buffer taken from the other process. So the data path has one route:
 * request -> here -> entry -> buffer -> map -> accessor. DMA_BUF_IOCTL_SYNC
 * through the page cache is sync.c's.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <linux/dma-buf.h>

#include "backend/backend.h"
#include "buffer.h"
#include "charge/charge.h"
#include "conf.h"
#include "tree/entry.h"
#include "tree/persist.h"
#include "fs/fs-internal.h"
#include "shared/log.h"
#include "shared/macro.h"
#include "shared/util.h"

struct handle {
	struct held held; /* once the open is replied: a stop frees it */
	struct entry *e;  /* one open counted on it */
	pid_t opener;	  /* the thread that opened it, see fs_flush() */
	bool passthrough; /* counted in e->pt_opens, else in e->other_opens */
	/* When a read on this open file last gave up on a fence (ms,
	 * CLOCK_MONOTONIC); see fence_timeout_for(). */
	int64_t fence_expired_ms;
};

static void handle_free(struct held *held);

/*
 * The handle of fi, from the table (handle.c). One the table does not hold
 * was made by the previous process of a mount this one re-attached to (a
 * kill -9, a crash): it is adopted under the same fh, from the inode, with
 * the kind of open its fh's low bit records. Buffer files only: an open of
 * proc/ or scanout/ held a buffer the dead process had taken. NULL (with
 * *err) when it cannot be had.
 */
static struct handle *handle_get(fuse_ino_t ino, struct fuse_file_info *fi, int *err)
{
	struct handle *h = fh_get(FH_FILE, fi->fh);
	struct entry *e;
	int r;

	if (h)
		return h;
	*err = EBADF;
	if (ino_kind(ino) != NODE_ENTRY || entry_open(ino_id(ino), &e) < 0) {
		log_warn("inode %#llx: an open file of the previous process cannot be taken "
			 "over (its buffer was another process's, or is gone)",
			 (unsigned long long)ino);
		return NULL;
	}
	h = calloc(1, sizeof(*h));
	if (!h) {
		entry_release(e);
		*err = ENOMEM;
		return NULL;
	}
	h->e = e;
	h->passthrough = fi->fh & 1;
	io_count(e, h->passthrough, 1);
	r = fh_add_as(FH_FILE, fi->fh, h);
	if (r < 0) {
		/* Another request adopted it first: use that one. */
		io_count(e, h->passthrough, -1);
		entry_release(e);
		free(h);
		return r == -EEXIST ? handle_get(ino, fi, err) : NULL;
	}
	h->held.free = handle_free;
	held_add(&h->held);
	return h;
}

/* The open h is gone: released, or its reply never reached the kernel. */
static void io_release(struct handle *h)
{
	io_count(h->e, h->passthrough, -1);
}

static void handle_free(struct held *held)
{
	free(container_of(held, struct handle, held));
}

static void open_reply(fuse_req_t req, struct fuse_file_info *fi, struct handle *h,
		       const struct fuse_entry_param *created)
{
	uint64_t fh;
	int r;

	h->opener = fuse_req_ctx(req)->pid;
	/* No keep_cache: every open sees the buffer's current contents. */
	fi->keep_cache = 0;
	h->passthrough = io_open(req, h->e, fi);
	/* The fh's low bit records the kind, for a process that adopts it. */
	r = fh_add(FH_FILE, h, h->passthrough, &fh);
	if (r < 0) {
		io_release(h);
		if (created)
			entry_forget(ino_id(created->ino), 1);
		entry_release(h->e);
		free(h);
		fuse_reply_err(req, -r);
		return;
	}
	fi->fh = fh;
	h->held.free = handle_free;
	held_add(&h->held);
	if (created)
		r = fuse_reply_create(req, created, fi);
	else
		r = fuse_reply_open(req, fi);
	if (r < 0) {
		/* The open was interrupted: the kernel has no file (and, for a
		 * create, no lookup), so no RELEASE (or FORGET) will come. */
		held_remove(&h->held);
		fh_remove(FH_FILE, fh);
		io_release(h);
		if (created)
			entry_forget(ino_id(created->ino), 1);
		entry_release(h->e);
		free(h);
	}
}

/* The entry an open of ino counts on: a buffer file, or a discovered
 * buffer made into an unlinked entry. */
static int open_entry(fuse_req_t req, fuse_ino_t ino, struct entry **out)
{
	const struct fuse_ctx *ctx = fuse_req_ctx(req);
	struct buffer *buf;
	uid_t owner;
	pid_t pid;
	int fd, r;

	if (ino_kind(ino) == NODE_ENTRY)
		return entry_open(ino_id(ino), out);
	if (ino_kind(ino) == NODE_SCANOUT) {
		r = scanout_open(ino, ctx->uid, fs_config(req)->iomem_mode, &buf);
		return r < 0 ? r : entry_open_discovered(buf, 0, out);
	}
	if (ino_kind(ino) != NODE_PROC_FD)
		return -EISDIR;
	ino_proc_fd_split(ino, &pid, &fd);
	r = discover_open(pid, fd, ctx->uid, fs_config(req)->iomem_mode, &buf, &owner);
	return r < 0 ? r : entry_open_discovered(buf, owner, out);
}

void fs_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct handle *h;
	struct entry *e;
	int r;

	mount_after_init(fs_config(req));
	r = open_entry(req, ino, &e);
	if (r < 0) {
		fuse_reply_err(req, -r);
		return;
	}
	/* O_TRUNC of an allocated buffer is ignored, as for a device file: its
	 * size is fixed and `cat x > FILE` overwrites from the start. A staged
	 * file is still an ordinary growing file, so it is emptied. */
	if (fi->flags & O_TRUNC) {
		r = entry_truncate_staged(e);
		if (r < 0) {
			/* Keeping the old bytes behind an open that asked for none
			 * would lose the caller's data silently: fail the open. */
			log_warn("%s: truncating staged data: %s", entry_name(e), strerror(-r));
			entry_release(e);
			fuse_reply_err(req, -r);
			return;
		}
	}
	h = calloc(1, sizeof(*h));
	if (!h) {
		entry_release(e);
		fuse_reply_err(req, ENOMEM);
		return;
	}
	h->e = e;
	/* Each open of a plane file is another buffer behind one inode: a
	 * shared page cache would mix them up. */
	fi->direct_io = ino_kind(ino) == NODE_SCANOUT;
	open_reply(req, fi, h, NULL);
}

/*
 * A create without O_EXCL of a name that exists: what open(2) does, the
 * existing file opened, for its owner only (the kernel checks no
 * permission on a file its create returns, and the owner may chmod it
 * anyway). The kernel sends CREATE only when it knew no such name, so
 * this is a race with another creator, or a CREATE the previous process
 * did and died before answering, resent to this one (a re-attach). The
 * lookup and the open are counted as entry_create() counts them.
 */
static int create_existing(fuse_req_t req, const struct fuse_file_info *fi, const char *name,
			   struct stat *st, struct entry **out)
{
	bool allocated;
	int r;

	r = entry_lookup(name, st, &allocated);
	if (r < 0)
		return -EEXIST;
	if (st->st_uid != fuse_req_ctx(req)->uid) {
		entry_forget(ino_id(st->st_ino), 1);
		return -EEXIST;
	}
	r = entry_open(ino_id(st->st_ino), out);
	if (r < 0) {
		entry_forget(ino_id(st->st_ino), 1);
		return -EEXIST;
	}
	/* O_TRUNC of a staged file empties it, as fs_open() does. */
	if ((fi->flags & O_TRUNC) && (r = entry_truncate_staged(*out)) < 0) {
		entry_release(*out);
		entry_forget(ino_id(st->st_ino), 1);
		return r;
	}
	return 0;
}

void fs_create(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode,
	       struct fuse_file_info *fi)
{
	const struct fuse_ctx *ctx = fuse_req_ctx(req);
	const struct config *cfg = fs_config(req);
	struct fuse_entry_param ep = { 0 };
	struct backend *be = NULL;
	_cleanup_free_ struct handle *h = NULL;
	char bname[64];
	int r;

	if (parent == INO_ROOT) {
		be = registry_default();
	} else {
		r = node_newdir_backend(parent, bname, sizeof(bname));
		if (r == -EPERM) {
			fuse_reply_err(req, EPERM);
			return;
		}
		be = r == 0 ? registry_find(bname) : NULL;
		if (!be) {
			log_info("create %s: backend %s is not available", name,
				 r == 0 ? bname : "?");
			fuse_reply_err(req, ENODEV);
			return;
		}
	}
	h = calloc(1, sizeof(*h));
	if (!h) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	persist_note(PERSIST_CREATE, ctx->pid, name, NULL);
	r = entry_create(name, ctx->uid, ctx->gid, mode & ~cfg->umask & 0666, be, &ep.attr, &h->e);
	/* O_EXCL: unless the previous process made it and died before it
	 * answered (a resent CREATE). */
	if (r == -EEXIST &&
	    (!(fi->flags & O_EXCL) || persist_was_done(PERSIST_CREATE, ctx->pid, name, NULL)))
		r = create_existing(req, fi, name, &ep.attr, &h->e);
	if (r < 0) {
		log_info("create %s: %s", name, strerror(-r));
		fuse_reply_err(req, -r);
		return;
	}
	ep.ino = ep.attr.st_ino;
	ep.entry_timeout = ENTRY_TIMEOUT;
	ep.attr_timeout = 0;
	log_info("%s: created (backend %s, uid %u)", name, be->name, (unsigned)ctx->uid);
	open_reply(req, fi, TAKE_PTR(h), &ep);
}

/* ---- read ---- */

/* A per-thread bounce buffer for reads that must be copied: allocating 1 MiB
 * per request would mmap and fault it in every time. */
static pthread_key_t bounce_key;
static pthread_once_t bounce_once = PTHREAD_ONCE_INIT;

struct bounce {
	size_t size;
	char data[];
};

static void bounce_key_init(void)
{
	pthread_key_create(&bounce_key, free);
}

static void *bounce_get(size_t size)
{
	struct bounce *b;

	pthread_once(&bounce_once, bounce_key_init);
	b = pthread_getspecific(bounce_key);
	if (b && b->size >= size)
		return b->data;
	free(b);
	b = malloc(sizeof(*b) + MAX(size, (size_t)4096));
	if (b)
		b->size = MAX(size, (size_t)4096);
	pthread_setspecific(bounce_key, b);
	return b ? b->data : NULL;
}

/*
 * One read(2) through the page cache can become two FUSE requests on the
 * same open file: readahead, and when that fails, the page itself. Both
 * would wait the whole fence_timeout, doubling the bound dmabuffs(5)
 * promises; so a request that comes right after a timeout on the same open
 * file gives up at once.
 */
#define FENCE_RETRY_WINDOW_MS 100

static int fence_timeout_for(struct handle *h, const struct config *cfg)
{
	int64_t last = __atomic_load_n(&h->fence_expired_ms, __ATOMIC_RELAXED);

	if (last && now_ms() - last < FENCE_RETRY_WINDOW_MS)
		return 0;
	return cfg->fence_timeout_ms;
}

static ssize_t fence_result(struct handle *h, const struct config *cfg, ssize_t n, int timeout_ms,
			    bool nonblock)
{
	if (n == -EAGAIN && !nonblock && timeout_ms == 0 && cfg->fence_timeout_ms)
		n = -ETIME; /* the retry of a request that already timed out */
	if (n == -ETIME)
		__atomic_store_n(&h->fence_expired_ms, now_ms(), __ATOMIC_RELAXED);
	return n;
}

/* Reply from the mapping itself. 0 (replied), -EOPNOTSUPP (the map flag
 * changed since buffer_zero_copy(): copy instead) or -errno. */
static int read_direct(fuse_req_t req, struct buffer *b, size_t size, off_t off, bool nonblock,
		       int timeout)
{
	const void *ptr;
	size_t len = size;
	int r;

	r = buffer_read_direct_begin(b, (uint64_t)off, &len, nonblock, timeout, &ptr);
	if (r == 0) {
		/* The kernel copies from the mapping between SYNC_START and END. */
		fuse_reply_buf(req, ptr, len);
		if (len)
			buffer_read_direct_end(b);
	}
	return r;
}

/* Copy through the bounce buffer: dma-bufs, I/O memory, staged files.
 * 0 (replied) or -errno. */
static int read_copy(fuse_req_t req, struct entry *e, size_t size, off_t off, bool nonblock,
		     int timeout)
{
	char *mem = bounce_get(size);
	ssize_t n;

	if (!mem)
		return -ENOMEM;
	n = entry_read(e, mem, size, (uint64_t)off, nonblock, timeout);
	if (n < 0)
		return (int)n;
	fuse_reply_buf(req, mem, (size_t)n);
	return 0;
}

void fs_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, struct fuse_file_info *fi)
{
	const struct config *cfg = fs_config(req);
	int err;
	struct handle *h = handle_get(ino, fi, &err);

	if (!h) {
		fuse_reply_err(req, err);
		return;
	}
	/* The file's flags as they are now: fcntl(F_SETFL) may have changed
	 * O_NONBLOCK since the open. */
	bool nonblock = fi->flags & O_NONBLOCK;
	int timeout = nonblock ? 0 : fence_timeout_for(h, cfg);
	_cleanup_buffer_ struct buffer *b = entry_buffer(h->e);
	int r = -EOPNOTSUPP;

	if (b && buffer_zero_copy(b))
		r = read_direct(req, b, size, off, nonblock, timeout);
	if (r == -EOPNOTSUPP)
		r = read_copy(req, h->e, size, off, nonblock, timeout);
	if (r == 0)
		return;
	r = (int)fence_result(h, cfg, r, timeout, nonblock);
	if (r != -EAGAIN)
		log_warn("read %zu bytes at %lld: %s", size, (long long)off, strerror(-r));
	fuse_reply_err(req, -r);
}

/* ---- write ---- */

static void reply_written(fuse_req_t req, ssize_t n, size_t size, off_t off)
{
	if (n < 0) {
		if (n != -ENOSPC)
			log_warn("write %zu bytes at %lld: %s", size, (long long)off,
				 strerror((int)-n));
		fuse_reply_err(req, (int)-n);
		return;
	}
	fuse_reply_write(req, (size_t)n);
}

void fs_write(fuse_req_t req, fuse_ino_t ino, const char *src, size_t size, off_t off,
	      struct fuse_file_info *fi)
{
	CHARGE_CALLER(fuse_req_ctx(req)->pid); /* a staged file's pages */
	int err;
	struct handle *h = handle_get(ino, fi, &err);

	if (!h) {
		fuse_reply_err(req, err);
		return;
	}
	reply_written(req, entry_write(h->e, src, size, (uint64_t)off, fi->flags & O_NONBLOCK),
		      size, off);
}

/*
 * Large writes arrive in a pipe (FUSE_CAP_SPLICE_READ): read them from the
 * pipe straight into the buffer's mapping, one copy fewer than receiving
 * them into libfuse's buffer first. Everything else (I/O memory, staged
 * files, small writes that libfuse received into memory) takes fs_write().
 */
void fs_write_buf(fuse_req_t req, fuse_ino_t ino, struct fuse_bufvec *bufv, off_t off,
		  struct fuse_file_info *fi)
{
	size_t size = fuse_buf_size(bufv);
	struct fuse_buf *src = &bufv->buf[bufv->idx];
	struct buffer *b;
	ssize_t n = -EOPNOTSUPP;
	char *mem;
	int err;
	struct handle *h = handle_get(ino, fi, &err);

	if (!h) {
		fuse_reply_err(req, err);
		return;
	}
	if (bufv->count - bufv->idx == 1 && !(src->flags & FUSE_BUF_IS_FD)) {
		fs_write(req, ino, (const char *)src->mem + bufv->off, size, off, fi);
		return;
	}
	if (bufv->count - bufv->idx == 1 && !(src->flags & FUSE_BUF_FD_SEEK) &&
	    (b = entry_buffer(h->e))) {
		n = buffer_write_from_fd(b, src->fd, size, (uint64_t)off, fi->flags & O_NONBLOCK,
					 fs_config(req)->fence_timeout_ms);
		buffer_unref(b);
		if (n >= 0 && (size_t)n == size)
			bufv->idx = bufv->count; /* drained: libfuse keeps the pipe */
		if (n > 0)
			entry_touch(h->e);
	}
	if (n == -EOPNOTSUPP) {
		struct fuse_bufvec dst = FUSE_BUFVEC_INIT(size);

		mem = bounce_get(size);
		if (!mem) {
			fuse_reply_err(req, ENOMEM);
			return;
		}
		dst.buf[0].mem = mem;
		n = fuse_buf_copy(&dst, bufv, 0);
		if (n >= 0) {
			fs_write(req, ino, mem, (size_t)n, off, fi);
			return;
		}
	}
	reply_written(req, n, size, off);
}

/* ---- the rest of an open file's life ---- */

/* The thread group of a thread id, from /proc; the id itself when that
 * cannot be read (the thread is gone). */
static pid_t tgid_of(pid_t tid)
{
	char path[64], line[128];
	_cleanup_fclose_ FILE *f = NULL;
	int tgid;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)tid);
	f = fopen(path, "re");
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "Tgid: %d", &tgid) == 1)
			return (pid_t)tgid;
	return tid;
}

/*
 * FLUSH comes with every close(2), also of the copies of the fd that
 * children inherited (`{ head; head; } > FILE`), so it cannot tell the last
 * close of the open file; RELEASE can, but the kernel sends it in the
 * background, after close() returned. So: the close by the process that
 * opened the file allocates a staged entry (and reports a failure to it),
 * which keeps `cp x FILE && dmabufctl info FILE` right; other processes'
 * closes do not, and RELEASE allocates what is still staged.
 */
void fs_flush(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	pid_t pid = fuse_req_ctx(req)->pid;
	int err;
	struct handle *h = handle_get(ino, fi, &err);
	bool opener;

	if (!h) {
		fuse_reply_err(req, err);
		return;
	}
	/* (An adopted open's opener is unknown, 0: RELEASE allocates.) */
	opener = h->opener && (pid == h->opener || (pid > 0 && tgid_of(pid) == tgid_of(h->opener)));
	CHARGE_CALLER(pid);
	fuse_reply_err(req, -entry_flush(h->e, opener));
}

void fs_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct handle *h = fh_remove(FH_FILE, fi->fh);

	if (!h) {
		/* An open of the previous process that this one never saw used:
		 * nothing of it was counted here (the entry is kernel_held). */
		fuse_reply_err(req, 0);
		return;
	}
	/* RELEASE carries no caller: the opener allocates what is still staged. */
	CHARGE_CALLER(h->opener);
	held_remove(&h->held);
	io_release(h);
	entry_release(h->e);
	free(h);
	fuse_reply_err(req, 0);
}

void fs_fsync(fuse_req_t req, fuse_ino_t ino, int datasync, struct fuse_file_info *fi)
{
	/* Writes are write-through (no writeback cache) and the kernel sends
	 * dirty mmap pages as WRITEs before FSYNC: they are in the buffer. */
	fuse_reply_err(req, 0);
}

void fs_fallocate(fuse_req_t req, fuse_ino_t ino, int mode, off_t offset, off_t length,
		  struct fuse_file_info *fi)
{
	if (mode != 0) {
		fuse_reply_err(req, EOPNOTSUPP);
		return;
	}
	int err;
	struct handle *h = handle_get(ino, fi, &err);

	if (!h) {
		fuse_reply_err(req, err);
		return;
	}
	/* Like ftruncate: allocates an unallocated or staged file, and never
	 * resizes an allocated one (EPERM). */
	CHARGE_CALLER(fuse_req_ctx(req)->pid);
	fuse_reply_err(req, -entry_fallocate(h->e, (uint64_t)offset + (uint64_t)length));
}

/* A passthrough open maps the buffer's own pages: its SYNC is the
 * dma-buf's (cache maintenance where the exporter needs it). */
static int pt_sync(struct handle *h, uint64_t flags, unsigned int timeout_ms)
{
	_cleanup_buffer_ struct buffer *b = entry_buffer(h->e);

	return b ? b->ops->sync(b, flags, timeout_ms) : 0;
}

void fs_ioctl(fuse_req_t req, fuse_ino_t ino, unsigned int cmd, void *arg,
	      struct fuse_file_info *fi, unsigned flags, const void *in_buf, size_t in_bufsz,
	      size_t out_bufsz)
{
	const struct dma_buf_sync *sync = in_buf;
	struct handle *h;
	int r, err;

	if (cmd != DMA_BUF_IOCTL_SYNC) {
		fuse_reply_err(req, ENOTTY);
		return;
	}
	if (in_bufsz < sizeof(*sync)) {
		fuse_reply_err(req, EINVAL);
		return;
	}
	if (sync->flags & ~(uint64_t)(DMA_BUF_SYNC_RW | DMA_BUF_SYNC_END) ||
	    !(sync->flags & DMA_BUF_SYNC_RW)) {
		fuse_reply_err(req, EINVAL);
		return;
	}
	h = handle_get(ino, fi, &err);
	if (!h) {
		fuse_reply_err(req, err);
		return;
	}
	if (h->passthrough) {
		r = pt_sync(h, sync->flags, fs_config(req)->fence_timeout_ms);
		if (r < 0)
			fuse_reply_err(req, -r);
		else
			fuse_reply_ioctl(req, 0, NULL, 0);
		return;
	}
	/*
	 * The file's mmap is backed by the page cache, filled and written back
	 * through read/write, which do the real DMA_BUF_IOCTL_SYNC on the
	 * dma-buf. So: SYNC_START drops cached pages (the next fault reads
	 * the buffer again); SYNC_END|WRITE writes dirty pages back. The
	 * kernel does both in one call: invalidation launders dirty pages
	 * (as WRITEs served by the other threads) before dropping them.
	 */
	if (!(sync->flags & DMA_BUF_SYNC_END) || (sync->flags & DMA_BUF_SYNC_WRITE)) {
		sync_invalidate(req, ino);
		return;
	}
	fuse_reply_ioctl(req, 0, NULL, 0);
}
