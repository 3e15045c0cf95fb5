// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The state machine of an entry, unallocated -> staged in a memfd ->
 * allocated, and the data path into whichever holds its bytes. Part of the
 * entry module (tree/entry.h): the fields it touches are the ones e->io
 * guards, and it changes state only through entry_install_*().
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "backend/backend.h"
#include "buffer.h"
#include "charge/charge.h"
#include "conf.h"
#include "tree/entry.h"
#include "tree/persist.h"
#include "shared/log.h"
#include "shared/macro.h"
#include "shared/util.h"

/* EMFILE is the daemon's own limit, not the caller's: say which. */
static const char *fd_limit_hint(int r)
{
	return r == -EMFILE ? " (the daemon's RLIMIT_NOFILE; raise LimitNOFILE=)" : "";
}

/*
 * Passthrough needs the memfd whose pages are the buffer: keep it when the
 * backend makes buffers of memfds (it can adopt one) and opens may be
 * passed through (passthrough=auto; whether the kernel grants it is
 * file.c's question at each open). Decided once, at allocation: one fd
 * more per buffer.
 */
static bool wants_backing(struct entry *e)
{
	const struct config *cfg = entry_config();

	return e->be && e->be->ops->adopt_memfd && cfg->passthrough == PASSTHROUGH_AUTO &&
	       cfg->iomem_mode != IOMEM_ALWAYS;
}

static void keep_backing(struct entry *e, int memfd)
{
	int fd;

	/* The memfd backend's buffer fd is the memfd itself: no second fd
	 * (backing_fd -1 says "the buffer's own"), so a buffer still costs
	 * the daemon one fd. */
	if (wants_backing(e) && e->be->kind == BACKEND_MEMFD) {
		e->backing_fd = -1;
		e->has_backing = true;
		return;
	}
	fd = wants_backing(e) ? fcntl(memfd, F_DUPFD_CLOEXEC, 3) : -1;

	if (fd >= 0) {
		e->backing_fd = fd;
		e->has_backing = true;
	}
}

void entry_keep_backing_restored(struct entry *e)
{
	/* Only where the buffer's fd is the memfd: a udmabuf's memfd is not
	 * in the store, so its file is served on the daemon's path. */
	if (e->be && e->be->kind == BACKEND_MEMFD)
		keep_backing(e, -1);
}

static int make_buffer(struct entry *e, uint64_t size, int staged_fd, uint64_t staged_len,
		       struct buffer **out)
{
	struct backend *be = e->be;
	bool adopted = false;
	int fd = -1, r;

	if (!be || backend_is_gone(be)) {
		log_err("%s: cannot allocate: backend %s is gone", e->name,
			be ? be->name : "(none)");
		return -ENODEV;
	}
	/* udmabuf (and the memfd backend) turn the staged memfd itself into
	 * the buffer: the data written so far is never copied. */
	if (staged_fd >= 0 && be->ops->adopt_memfd) {
		if (ftruncate(staged_fd, (off_t)size) < 0)
			return -errno;
		r = be->ops->adopt_memfd(be, staged_fd, size, &fd);
		if (r == 0)
			adopted = true;
		else
			log_info("%s: %s could not adopt the staged memfd (%s), copying", e->name,
				 be->name, strerror(-r));
	}
	if (!adopted) {
		r = be->ops->alloc(be, size, &fd);
		if (r < 0) {
			log_err("%s: allocating %llu bytes from %s failed: %s%s", e->name,
				(unsigned long long)size, be->name, strerror(-r), fd_limit_hint(r));
			return r;
		}
	}
	r = buffer_new(fd, be, entry_config()->iomem_mode, out);
	if (r < 0) {
		log_err("%s: cannot map the new %s buffer: %s%s", e->name, be->name, strerror(-r),
			fd_limit_hint(r));
		return r;
	}
	if (e->iomem_override >= 0)
		buffer_set_iomem(*out, e->iomem_override, entry_config()->iomem_mode);
	if (!adopted && staged_fd >= 0 && staged_len > 0) {
		r = buffer_fill_from_fd(*out, staged_fd, staged_len,
					entry_config()->fence_timeout_ms);
		if (r < 0) {
			log_err("%s: copying staged data into the buffer failed: %s", e->name,
				strerror(-r));
			buffer_unref(*out);
			*out = NULL;
			return r;
		}
	}
	buffer_set_dmabuf_name(*out, e->name);
	if (adopted)
		keep_backing(e, staged_fd);
	log_info("%s: allocated %llu bytes from %s (%s, iomem=%d)", e->name,
		 (unsigned long long)(*out)->size, be->name, (*out)->exporter, (*out)->iomem);
	return 0;
}

/*
 * A staged memfd about to become the buffer itself (adopted): its pages up
 * to size allocated in the caller's memory cgroup (a truncate past the
 * data), and those written ahead past size given back, so that the buffer
 * holds no page nobody can reach. e->io held exclusive.
 */
static int staged_fit(struct entry *e, uint64_t size)
{
	uint64_t done = __atomic_load_n(&e->staged_charged, __ATOMIC_RELAXED);
	int r = 0;

	if (!e->be || !e->be->ops->adopt_memfd)
		return 0; /* copied into another buffer: the memfd goes */
	if (done > size)
		fallocate(e->staged_fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)size,
			  (off_t)(done - size));
	else
		r = charge_populate(e->staged_fd, done, size - done);
	if (r == 0)
		__atomic_store_n(&e->staged_charged, size, __ATOMIC_RELAXED);
	return r;
}

int entry_allocate(struct entry *e, uint64_t size)
{
	struct buffer *buf = NULL;
	uint64_t staged_len = 0, charged;
	_cleanup_close_ int fresh = -1;
	struct stat st;
	int r = 0;

	pthread_rwlock_wrlock(&e->io);
	if (e->buf) {
		/* A buffer is whole pages: the size a user gave it (3000000,
		 * for 3002368 bytes) is a no-op, as `truncate -s` of the
		 * original's size and rsync --inplace's last ftruncate do. */
		r = size_rounds_to(size, e->buf->size, page_size()) ? 0 : -EPERM;
		if (r < 0)
			log_info("%s: refusing to resize an allocated buffer (%llu -> %llu)",
				 e->name, (unsigned long long)e->buf->size,
				 (unsigned long long)size);
		goto out;
	}
	if (size == 0) {
		/* Emptying a staged file keeps it staged, and charges nothing. */
		if (e->staged_fd >= 0 && ftruncate(e->staged_fd, 0) < 0)
			r = -errno;
		else {
			quota_shrink(&e->quota, 0);
			__atomic_store_n(&e->staged_charged, 0, __ATOMIC_RELAXED);
		}
		goto out;
	}
	size = ALIGN_UP(size, (uint64_t)page_size());
	if (e->staged_fd >= 0 && fstat(e->staged_fd, &st) == 0)
		staged_len = MIN((uint64_t)st.st_size, size);
	charged = e->quota.bytes; /* stable: io is held exclusive */
	r = quota_grow(&e->quota, size, e->name);
	if (r < 0)
		goto out;
	/* A buffer to be passed through is made of a memfd of our own, which
	 * the backend adopts like a staged one; its pages, like a staged
	 * file's, are allocated in the caller's memory cgroup. */
	if (e->staged_fd < 0 && wants_backing(e))
		r = charge_memfd("dmabuffs", size, &fresh);
	else if (e->staged_fd >= 0)
		r = staged_fit(e, size);
	if (r == 0)
		r = make_buffer(e, size, e->staged_fd >= 0 ? e->staged_fd : fresh, staged_len,
				&buf);
	if (r < 0) {
		quota_shrink(&e->quota, charged);
		goto out;
	}
	/* A staged file truncated smaller is charged what it holds now, not
	 * the most it ever held. */
	quota_shrink(&e->quota, buf->size);
	entry_install_buffer(e, buf);
out:
	pthread_rwlock_unlock(&e->io);
	return r;
}

int entry_commit_staged(struct entry *e)
{
	struct stat st;
	int fd;

	pthread_rwlock_rdlock(&e->io);
	fd = e->buf ? -1 : e->staged_fd;
	if (fd >= 0 && fstat(fd, &st) < 0)
		st.st_size = 0;
	pthread_rwlock_unlock(&e->io);
	if (fd < 0 || st.st_size == 0)
		return 0;
	/* A concurrent allocation between the two locks makes this a
	 * same-size or resize request: entry_allocate sorts it out. */
	return entry_allocate(e, (uint64_t)st.st_size);
}

int entry_truncate_staged(struct entry *e)
{
	int r = 0;

	pthread_rwlock_wrlock(&e->io);
	if (!e->buf && e->staged_fd >= 0 && ftruncate(e->staged_fd, 0) < 0)
		r = -errno;
	else if (!e->buf)
		quota_shrink(&e->quota, 0);
	/* ftruncate frees the pages written ahead too. */
	if (!e->buf && r == 0)
		__atomic_store_n(&e->staged_charged, 0, __ATOMIC_RELAXED);
	pthread_rwlock_unlock(&e->io);
	return r;
}

int entry_fallocate(struct entry *e, uint64_t want)
{
	uint64_t size;
	bool done;

	if (e->origin == ORIGIN_DISCOVERED)
		return -EPERM; /* another process's buffer: not ours to allocate */
	pthread_rwlock_rdlock(&e->io);
	size = entry_size(e);
	done = e->buf && want <= size;
	pthread_rwlock_unlock(&e->io);
	return done ? 0 : entry_allocate(e, MAX(want, size));
}

/* ---- data ---- */

ssize_t entry_read(struct entry *e, void *dst, size_t len, uint64_t off, bool nonblock,
		   int fence_timeout_ms)
{
	ssize_t n = 0;

	pthread_rwlock_rdlock(&e->io);
	if (e->buf)
		n = buffer_read(e->buf, dst, len, off, nonblock, fence_timeout_ms);
	else if (e->staged_fd >= 0 && (n = pread(e->staged_fd, dst, len, (off_t)off)) < 0)
		n = -errno;
	pthread_rwlock_unlock(&e->io);
	return n;
}

static int stage(struct entry *e)
{
	int r = 0;

	pthread_rwlock_wrlock(&e->io);
	if (!e->buf && e->staged_fd < 0) {
		int fd = memfd_create_private("dmabuffs-staged");

		if (fd < 0) {
			r = fd;
			log_err("%s: cannot stage the data: %s%s", e->name, strerror(-r),
				fd_limit_hint(r));
		} else {
			entry_install_staged(e, fd);
		}
	}
	pthread_rwlock_unlock(&e->io);
	return r;
}

/* The largest size a staged file may grow to: the machine's RAM. No
 * backend can allocate more (memfd, udmabuf and the heaps commit memory),
 * and a sparse memfd of exabytes would only fail at the last close. */
static uint64_t staged_max(void)
{
	long pages = sysconf(_SC_PHYS_PAGES), psz = sysconf(_SC_PAGESIZE);

	return pages > 0 && psz > 0 ? (uint64_t)pages * (uint64_t)psz : UINT64_MAX;
}

/*
 * Pages the daemon writes into a staged memfd would be charged to the
 * daemon: allocate them first in the writer's memory cgroup (charge.h),
 * ahead of the data, doubling up to 64 MiB a step, so that a file written
 * in 1 MiB requests costs a helper round trip per doubling, not per
 * request; a small file's first step is just its first write (no 4 KiB
 * file has pages zeroed for it that its allocation gives back). A step refused
 * (ENOMEM) is tried again at just what this write needs. e->io held
 * shared: two writers may both populate, which only costs time.
 */
#define STAGE_STEP_MAX (64 * 1024 * 1024)

static int staged_charge(struct entry *e, uint64_t end)
{
	uint64_t done = __atomic_load_n(&e->staged_charged, __ATOMIC_RELAXED), want, need;
	int r;

	if (end <= done)
		return 0;
	need = ALIGN_UP(end, (uint64_t)page_size());
	want = MAX(need, done + MIN(done, STAGE_STEP_MAX));
	r = charge_populate(e->staged_fd, done, want - done);
	if (r == -ENOMEM && want > need) {
		want = need;
		r = charge_populate(e->staged_fd, done, want - done);
	}
	if (r < 0)
		return r;
	while (done < want && !__atomic_compare_exchange_n(&e->staged_charged, &done, want, false,
							   __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		;
	return 0;
}

ssize_t entry_write(struct entry *e, const void *src, size_t len, uint64_t off, bool nonblock)
{
	ssize_t n;

	if (!e->buf && (off > staged_max() || len > staged_max() - off)) {
		log_warn("%s: a write up to byte %llu of a file not yet allocated is past "
			 "the machine's memory: EFBIG",
			 e->name,
			 (unsigned long long)(off > UINT64_MAX - len ? UINT64_MAX : off + len));
		return -EFBIG;
	}

	for (;;) {
		pthread_rwlock_rdlock(&e->io);
		if (e->buf) {
			n = buffer_write(e->buf, src, len, off, nonblock,
					 entry_config()->fence_timeout_ms);
			break;
		}
		if (e->staged_fd >= 0) {
			/* A staged file is memory too: charged as it grows. */
			n = quota_grow(&e->quota, off > UINT64_MAX - len ? UINT64_MAX : off + len,
				       e->name);
			if (n == 0)
				n = staged_charge(e, off + len);
			if (n == 0 && (n = pwrite(e->staged_fd, src, len, (off_t)off)) < 0)
				n = -errno;
			break;
		}
		pthread_rwlock_unlock(&e->io);
		/* First write into a new name: stage it in a memfd. */
		n = stage(e);
		if (n < 0)
			return n;
	}
	pthread_rwlock_unlock(&e->io);
	if (n > 0)
		entry_touch(e);
	return n;
}

int entry_backing_fd(struct entry *e)
{
	int fd;

	pthread_rwlock_rdlock(&e->io);
	fd = !e->buf || !e->has_backing ? -1 : e->backing_fd >= 0 ? e->backing_fd : e->buf->fd;
	pthread_rwlock_unlock(&e->io);
	return fd;
}

struct buffer *entry_buffer(struct entry *e)
{
	struct buffer *b = NULL;

	/* The reference keeps the buffer; io only makes the read of e->buf
	 * safe against a concurrent allocation. */
	pthread_rwlock_rdlock(&e->io);
	if (e->buf)
		b = buffer_ref(e->buf);
	pthread_rwlock_unlock(&e->io);
	return b;
}

/* ---- installing a state (io held exclusive by the caller) ---- */

static int keeps_locked(struct entry *e, void *data)
{
	return persist_keeps(e);
}

struct install_arg {
	struct buffer *buf; /* or the staged fd: */
	int fd;
};

static int install_buffer_locked(struct entry *e, void *data)
{
	struct install_arg *a = data;

	e->buf = a->buf;
	a->fd = e->staged_fd;
	e->staged_fd = -1;
	clock_gettime(CLOCK_REALTIME, &e->ctime);
	return 0;
}

void entry_install_buffer(struct entry *e, struct buffer *buf)
{
	struct install_arg a = { .buf = buf };
	bool keep;

	/* The buffer's fd is in the store before the record names it, and
	 * the staging memfd leaves only once a record without it is. */
	keep = entry_with(e, keeps_locked, NULL);
	if (keep)
		persist_fd_add(e, STORED_BUF, buf->fd);
	entry_with(e, install_buffer_locked, &a);
	/* The next start finds the bytes by the entry's id: only the
	 * record's times wait. */
	if (keep)
		persist_changed(false);
	persist_fd_remove(e, STORED_STAGED);
	if (a.fd >= 0)
		close(a.fd);
}

static int install_staged_locked(struct entry *e, void *data)
{
	e->staged_fd = *(const int *)data;
	__atomic_store_n(&e->staged_charged, 0, __ATOMIC_RELAXED);
	return 0;
}

void entry_install_staged(struct entry *e, int fd)
{
	bool keep = entry_with(e, keeps_locked, NULL);

	if (keep)
		persist_fd_add(e, STORED_STAGED, fd);
	entry_with(e, install_staged_locked, &fd);
	if (keep)
		persist_changed(false);
}
