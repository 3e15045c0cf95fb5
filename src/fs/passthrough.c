// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * FUSE passthrough: which opens of a buffer file the kernel serves from the
 * buffer's own pages (a memfd's), counted per entry, and the kernel's
 * backing ids of those memfds. The rest of an open file is file.c's.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <string.h>

#include "buffer.h"
#include "conf.h"
#include "tree/entry.h"
#include "tree/persist.h"
#include "fs/fs-internal.h"
#include "fs/ops.h"
#include "shared/log.h"
#include "shared/macro.h"

/*
 * The kernel does not let passthrough opens and other ones share an inode:
 * a cached open beside a passthrough one fails (EIO), and while an inode
 * has passthrough opens, every open of it must be passed through too
 * (fuse_file_io_open(): EIO, direct I/O included). So an open is passed
 * through only while no other kind of open remains, and one made while
 * passthrough opens remain is passed through whatever else changed (the
 * map flag set to 1 meanwhile): its bytes are a memfd's pages either way.
 * pt_lock guards the counts and the entries' backing ids; open and release
 * are rare enough.
 */
static pthread_mutex_t pt_lock = PTHREAD_MUTEX_INITIALIZER;

/* Whether opens of e may take the buffer's own pages now: a memfd holds
 * them, the map flag is 0 (I/O memory is only touched by the shim), and
 * the mount has passthrough. *fd: the memfd. */
static bool pt_eligible(const struct config *cfg, struct entry *e, int *fd)
{
	_cleanup_buffer_ struct buffer *b = entry_buffer(e);

	*fd = b ? entry_backing_fd(e) : -1;
	return *fd >= 0 && cfg->passthrough == PASSTHROUGH_AUTO && mount_passthrough() &&
	       !buffer_map(b).is_iomem && !buffer_is_dead(b);
}

/* The kernel's backing id of e's memfd, registered by the first
 * passthrough open; pt_lock held. 0 when the kernel refuses. */
static int pt_backing_id(fuse_req_t req, struct entry *e, int fd)
{
	int id, err;

	if (e->backing_id)
		return e->backing_id;
	id = fuse_passthrough_open(req, fd);
	err = errno;
	if (id > 0) {
		e->backing_id = id;
		return id;
	}
	if (err == ENOMEM || err == EMFILE || err == ENFILE)
		log_warn("%s: FUSE passthrough: %s, opening on the daemon's path", entry_name(e),
			 strerror(err));
	else
		mount_passthrough_refused(err);
	return 0;
}

/* Count (n = 1) or uncount (n = -1) an open of e of one kind. */
void io_count(struct entry *e, bool passthrough, int n)
{
	pthread_mutex_lock(&pt_lock);
	if (passthrough)
		e->pt_opens += n;
	else
		e->other_opens += n;
	pthread_mutex_unlock(&pt_lock);
}

bool io_open(fuse_req_t req, struct entry *e, struct fuse_file_info *fi)
{
	const struct config *cfg = fs_config(req);
	bool eligible, registered = false, passthrough = false;
	int fd;

	eligible = pt_eligible(cfg, e, &fd);
	pthread_mutex_lock(&pt_lock);
	/* The previous process's opens (e->kernel_held, after a re-attach)
	 * are not counted: its backing id says they may be passed through,
	 * its absence that none was. */
	if ((e->pt_opens > 0 || e->kernel_held) && e->backing_id) {
		/* Beside passthrough opens, any other kind is EIO. */
		fi->backing_id = e->backing_id;
		passthrough = true;
		e->pt_opens++;
	} else if (eligible && e->other_opens == 0 && !e->kernel_held) {
		registered = !e->backing_id;
		fi->backing_id = pt_backing_id(req, e, fd);
		registered = registered && fi->backing_id;
		passthrough = fi->backing_id != 0;
		if (passthrough)
			e->pt_opens++;
		else
			e->other_opens++;
	} else {
		e->other_opens++;
	}
	pthread_mutex_unlock(&pt_lock);
	/* A new backing id is in the record before the open is replied: a
	 * process that re-attaches must use it for this file's next opens. */
	if (registered)
		persist_changed(true);
	if (passthrough)
		return true;
	/*
	 * Direct I/O, one request per read()/write() straight into the
	 * buffer: the caller gets the daemon's errno (ENODEV, EAGAIN, ETIME;
	 * the page cache turns them into EIO) and no page-cache copy sits in
	 * between. With FUSE_DIRECT_IO_ALLOW_MMAP such opens can still be
	 * mapped MAP_SHARED (through the page cache, which the kernel drops
	 * around each direct write). Without it, page cache except where
	 * mmap cannot happen or is not wanted: O_DIRECT and write-only opens
	 * (dd of=, cp, `cat >`).
	 */
	/* A direct_io the caller set stays (scanout planes: two opens of one
	 * inode hold different buffers). */
	fi->direct_io = fi->direct_io || mount_direct_io_mmap() || (fi->flags & O_DIRECT) ||
			(fi->flags & O_ACCMODE) == O_WRONLY;
	fi->parallel_direct_writes = fi->direct_io;
	return false;
}

/* The backing id stays registered while the entry lives (closed here when
 * it is freed): registering it again at each first open would change the
 * record at each one, and a process that re-attaches must know the id the
 * kernel ties the inode's open files to. */
void file_backing_close(int backing_id, void *data)
{
	struct fs_data *fsd = data;
	int fd = fsd && fsd->se ? fuse_session_fd(fsd->se) : -1;
	uint32_t id = (uint32_t)backing_id;

	if (fd >= 0 && ioctl(fd, FUSE_DEV_IOC_BACKING_CLOSE, &id) < 0)
		log_debug("closing passthrough backing id %d: %m", backing_id);
}

const char *file_access(const struct config *cfg, struct entry *e)
{
	bool eligible, pt;
	int fd;

	eligible = pt_eligible(cfg, e, &fd);
	pthread_mutex_lock(&pt_lock);
	pt = (eligible && e->other_opens == 0) || (e->pt_opens > 0 && e->backing_id);
	pthread_mutex_unlock(&pt_lock);
	if (pt)
		return "passthrough";
	return mount_direct_io_mmap() ? "direct" : "page-cache";
}
