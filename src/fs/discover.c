// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Discovery: dma-bufs held by other processes, found in /proc/PID/fd +
 * fdinfo (holders by fd) and /proc/PID/maps (holders that only map it),
 * shown as proc/PID/FD and proc/PID/map-INO. Listing never takes a
 * reference; opening proc/PID/FD takes the fd with pidfd_getfd(2) for as
 * long as the file is open.
 *
 * This file lists, stats and opens those entries. Who may look is
 * discover-rules.c (ptrace's rules); taking the fd and proving what it is,
 * discover-take.c; the holders of the daemon's own buffers,
 * holders-scan.c.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "buffer.h"
#include "fs/discover-internal.h"
#include "tree/entry.h"
#include "fs/fs-internal.h"
#include "shared/bufinfo.h"
#include "shared/fdinfo.h"
#include "shared/log.h"
#include "shared/macro.h"
#include "shared/maps.h"

/*
 * A map holder's node, proc/PID/map-INO, lives in the NODE_PROC_FD inode
 * space with bit 55 of the id set: pid in bits 33..54, the kernel inode
 * below. ino_proc_fd_split() of such an inode gives a negative pid (bit 55
 * lands in the pid's sign bit), which is how the verbs below tell the two
 * kinds apart without a node kind of their own.
 */
#define MAP_NODE_FLAG (UINT64_C(1) << 55)
#define MAP_INO_BITS 33
#define MAP_INO_MAX (UINT64_C(1) << MAP_INO_BITS)

struct dnode {
	pid_t pid;
	int fd;	       /* -1: a map holder */
	uint64_t kino; /* map holders: the buffer's kernel inode */
};

static void node_decode(pid_t pid, int fd, struct dnode *n)
{
	uint64_t id;

	n->pid = pid;
	n->fd = fd;
	n->kino = 0;
	if (pid >= 0)
		return;
	id = (uint64_t)(uint32_t)pid << PROC_FD_SHIFT | (uint64_t)(unsigned int)fd;
	n->pid = (pid_t)((id >> MAP_INO_BITS) & (PROC_PID_MAX - 1));
	n->fd = -1;
	n->kino = id & (MAP_INO_MAX - 1);
}

/* An inode of kind whose id carries pid and kino; 0 when they do not fit. */
static uint64_t pid_kino_node(enum node_kind kind, pid_t pid, uint64_t kino)
{
	if (pid <= 0 || (uint64_t)pid >= PROC_PID_MAX || kino == 0 || kino >= MAP_INO_MAX)
		return 0;
	return ino_make(kind, MAP_NODE_FLAG | (uint64_t)pid << MAP_INO_BITS | kino);
}

uint64_t discover_map_node(pid_t pid, uint64_t kino)
{
	return pid_kino_node(NODE_PROC_FD, pid, kino);
}

static int append(void **v, size_t *n, size_t *cap, size_t elem, const void *item)
{
	if (*n == *cap) {
		size_t c = *cap ? *cap * 2 : 16;
		void *nv = realloc(*v, c * elem);

		if (!nv)
			return -ENOMEM;
		*v = nv;
		*cap = c;
	}
	memcpy((char *)*v + *n * elem, item, elem);
	(*n)++;
	return 0;
}

/* ---- listing ---- */

/* /proc/PID/fd/N of a dma-buf links to "/dmabuf:NAME" (older kernels:
 * "anon_inode:dmabuf"); the fdinfo's exp_name line is the proof. */
bool discover_fd_link_is_dmabuf(pid_t pid, const char *fd)
{
	char path[300], target[128];
	ssize_t n;

	if (pid == 0)
		snprintf(path, sizeof(path), "/proc/self/fd/%s", fd);
	else
		snprintf(path, sizeof(path), "/proc/%d/fd/%s", (int)pid, fd);
	n = readlink(path, target, sizeof(target) - 1);
	if (n <= 0)
		return false;
	target[n] = '\0';
	return strncmp(target, "/dmabuf:", 8) == 0 || strcmp(target, "anon_inode:dmabuf") == 0;
}

struct fd_hold {
	int fd;
	struct dmabuf_fdinfo info;
};

static int scan_fds(pid_t pid, struct fd_hold **out, size_t *n)
{
	_cleanup_closedir_ DIR *d = NULL;
	char path[64];
	struct dirent *de;
	size_t cap = 0;
	int r = 0;

	*out = NULL;
	*n = 0;
	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	d = opendir(path);
	if (!d)
		return errno == EACCES ? -EACCES : -ENOENT;
	while ((de = readdir(d)) && r == 0) {
		struct fd_hold h;

		if (!is_number(de->d_name) || !discover_fd_link_is_dmabuf(pid, de->d_name))
			continue;
		h.fd = atoi(de->d_name);
		if (fdinfo_read(pid, h.fd, &h.info) < 0 || !h.info.is_dmabuf)
			continue;
		r = append((void **)out, n, &cap, sizeof(h), &h);
	}
	return r;
}

/* pid's dma-buf mappings, only those on the dma-buf file system (none while
 * its device is not known). */
static int scan_maps(pid_t pid, const struct fd_hold *fds, size_t nfds, struct dmabuf_mapping **out,
		     size_t *n)
{
	dev_t dev;
	int r;

	r = maps_read_pid(pid, out, n);
	if (r < 0 || *n == 0)
		return r;
	if (!discover_dmabuf_dev_get(&dev) && nfds)
		discover_dmabuf_dev_learn_from(pid, fds[0].fd, fds[0].info.ino, &dev);
	if (!discover_dmabuf_dev_learn(&dev)) {
		*n = 0;
		return 0;
	}
	*n = maps_filter_dev(*out, *n, major(dev), minor(dev));
	return 0;
}

static bool fds_have_ino(const struct fd_hold *fds, size_t n, uint64_t ino)
{
	for (size_t i = 0; i < n; i++)
		if (fds[i].info.ino == ino)
			return true;
	return false;
}

int discover_list(pid_t pid, struct discover_item **items, size_t *n)
{
	_cleanup_free_ struct fd_hold *fds = NULL;
	_cleanup_free_ struct dmabuf_mapping *maps = NULL;
	_cleanup_free_ uint64_t *inos = NULL;
	size_t nfds = 0, nmaps = 0, cap = 0, ninos;
	int r;

	*items = NULL;
	*n = 0;
	if (pid == getpid() || discover_yama_scope() >= 3)
		return 0;
	r = scan_fds(pid, &fds, &nfds);
	if (r < 0)
		return r;
	for (size_t i = 0; i < nfds && r == 0; i++) {
		struct discover_item it = { .node = ino_proc_fd(pid, fds[i].fd),
					    .kind = HOLDER_FD,
					    .kino = fds[i].info.ino };

		snprintf(it.name, sizeof(it.name), "%d", fds[i].fd);
		r = append((void **)items, n, &cap, sizeof(it), &it);
	}
	if (r < 0 || scan_maps(pid, fds, nfds, &maps, &nmaps) < 0 || nmaps == 0)
		return r;
	inos = calloc(nmaps, sizeof(*inos));
	if (!inos)
		return -ENOMEM;
	ninos = maps_unique_inos(maps, nmaps, inos);
	for (size_t i = 0; i < ninos && r == 0; i++) {
		struct discover_item it = { .node = discover_map_node(pid, inos[i]),
					    .kind = HOLDER_MAP,
					    .kino = inos[i] };

		/* A buffer held by fd is its fd's file; only a buffer the
		 * process maps and no longer has an fd of gets map-INO. */
		if (!it.node || fds_have_ino(fds, nfds, inos[i]))
			continue;
		snprintf(it.name, sizeof(it.name), "map-%llu", (unsigned long long)inos[i]);
		r = append((void **)items, n, &cap, sizeof(it), &it);
	}
	return r;
}

int discover_pids(pid_t **pids, size_t *n)
{
	_cleanup_closedir_ DIR *d = opendir("/proc");
	struct dirent *de;
	size_t cap = 0;
	int r = 0;

	*pids = NULL;
	*n = 0;
	if (!d)
		return -errno;
	while ((de = readdir(d)) && r == 0) {
		_cleanup_free_ struct discover_item *items = NULL;
		size_t nitems = 0;
		pid_t pid;

		if (!is_number(de->d_name))
			continue;
		pid = (pid_t)atoi(de->d_name);
		if (discover_list(pid, &items, &nitems) < 0 || nitems == 0)
			continue;
		r = append((void **)pids, n, &cap, sizeof(pid_t), &pid);
	}
	return r;
}

/* ---- one node ---- */

/* Size and exporter of a buffer only mapped: the kernel's list when debugfs
 * offers it, else what the mappings cover (a lower bound, exact when the
 * whole buffer is mapped) and exporter "unknown". */
static int map_node_info(const struct dnode *dn, struct dmabuf_fdinfo *info)
{
	_cleanup_free_ struct dmabuf_mapping *maps = NULL;
	struct bufinfo bi = { 0 };
	size_t nmaps = 0;
	bool found = false;
	int r;

	r = scan_maps(dn->pid, NULL, 0, &maps, &nmaps);
	if (r < 0)
		return -ENOENT;
	memset(info, 0, sizeof(*info));
	for (size_t i = 0; i < nmaps; i++) {
		uint64_t end = maps[i].offset + (maps[i].end - maps[i].start);

		if (maps[i].ino != dn->kino)
			continue;
		if (!found)
			snprintf(info->name, sizeof(info->name), "%.63s", maps[i].name);
		found = true;
		if (end > info->size)
			info->size = end;
	}
	if (!found)
		return -ENOENT;
	info->ino = dn->kino;
	info->is_dmabuf = true;
	snprintf(info->exp_name, sizeof(info->exp_name), "unknown");
	if (bufinfo_read(NULL, &bi) == 0) {
		for (size_t i = 0; i < bi.n; i++)
			if (bi.entries[i].ino == dn->kino) {
				info->size = bi.entries[i].size;
				snprintf(info->exp_name, sizeof(info->exp_name), "%s",
					 bi.entries[i].exp_name);
			}
		bufinfo_free(&bi);
	}
	return 0;
}

int discover_stat(pid_t pid, int fd, struct dmabuf_fdinfo *info, uid_t *owner)
{
	struct dnode dn;
	int r;

	node_decode(pid, fd, &dn);
	if (dn.pid <= 0 || dn.pid == getpid())
		return -ENOENT;
	r = discover_owner(dn.pid, owner);
	if (r < 0)
		return -ENOENT;
	if (dn.fd < 0)
		return map_node_info(&dn, info);
	r = fdinfo_read(dn.pid, dn.fd, info);
	if (r < 0 || !info->is_dmabuf)
		return -ENOENT;
	return 0;
}

bool discover_is_map_node(pid_t pid, int fd)
{
	return pid < 0;
}

/*
 * Take fd from pid for a caller: the pidfd first, so that the process the
 * checks are about is the one the fd comes from; then what was listed
 * (fdinfo), the caller's right, the fd, and after it, proof that the fd is
 * that dma-buf and that the process is still there under the same rules (it
 * may have exec'd a setuid program meanwhile).
 */
int discover_open(pid_t pid, int fd, uid_t uid, enum iomem_mode mode, struct buffer **out,
		  uid_t *owner_out)
{
	_cleanup_close_ int pidfd = -1;
	struct dmabuf_fdinfo info;
	struct dnode dn;
	uid_t owner;
	int bfd, r;

	node_decode(pid, fd, &dn);
	if (dn.pid <= 0 || dn.pid == getpid())
		return -ENOENT;
	if (dn.fd < 0) {
		r = discover_caller_may(dn.pid, uid, &owner);
		if (r < 0)
			return r;
		/* A dma-buf's inode has no open (no_open_fops): map_files
		 * cannot reopen it, and its pages are VM_PFNMAP, out of reach
		 * of process_vm_readv. */
		log_info("proc/%d/map-%llu: a buffer only mapped cannot be opened", (int)dn.pid,
			 (unsigned long long)dn.kino);
		return -EOPNOTSUPP;
	}
	pidfd = discover_open_pidfd(dn.pid);
	if (pidfd < 0)
		return pidfd;
	r = fdinfo_read(dn.pid, dn.fd, &info);
	if (r < 0 || !info.is_dmabuf || info.ino == 0)
		return -ENOENT;
	r = discover_caller_may(dn.pid, uid, &owner);
	if (r < 0)
		return r;
	bfd = discover_take_fd(pidfd, dn.fd);
	if (bfd < 0) {
		log_warn("proc/%d/%d: pidfd_getfd: %s", (int)dn.pid, dn.fd, strerror(-bfd));
		return bfd;
	}
	r = discover_verify_taken(bfd, info.ino);
	if (r < 0) {
		log_warn("proc/%d/%d: the fd taken is not the dma-buf listed (inode %llu): refused",
			 (int)dn.pid, dn.fd, (unsigned long long)info.ino);
		discover_discard_fd(bfd);
		return r;
	}
	if (!discover_pidfd_alive(pidfd)) {
		close(bfd);
		return -ENOENT;
	}
	r = discover_caller_may(dn.pid, uid, &owner);
	if (r < 0) {
		close(bfd);
		return r;
	}
	*owner_out = owner;
	return buffer_new(bfd, NULL, mode, out);
}

/* ---- by-inode/INO for discovered buffers ---- */

/*
 * by-inode/INO of a buffer the daemon does not hold links to its first
 * holder's node, ../proc/PID/FD or ../proc/PID/map-INO. Its inode is a
 * NODE_INO_LINK with bit 55 of the id set (entry ids never get there):
 * pid and kernel inode as in a map node, so that readlink finds the holder
 * again, or ENOENT once it let go.
 */
uint64_t discover_ino_link(pid_t pid, uint64_t kino)
{
	return pid_kino_node(NODE_INO_LINK, pid, kino);
}

bool discover_is_ino_link(uint64_t ino)
{
	return ino_kind(ino) == NODE_INO_LINK && (ino_id(ino) & MAP_NODE_FLAG);
}

static int item_of(pid_t pid, uint64_t kino, struct discover_item *out)
{
	_cleanup_free_ struct discover_item *items = NULL;
	size_t n = 0;
	int r = discover_list(pid, &items, &n);

	for (size_t i = 0; r == 0 && i < n; i++)
		if (items[i].kino == kino) {
			*out = items[i];
			return 0;
		}
	return -ENOENT;
}

int discover_ino_link_target(uint64_t ino, char *buf, size_t bufsz)
{
	uint64_t id = ino_id(ino);
	pid_t pid = (pid_t)((id >> MAP_INO_BITS) & (PROC_PID_MAX - 1));
	struct discover_item it;
	int r;

	if (!discover_is_ino_link(ino))
		return -EINVAL;
	r = item_of(pid, id & (MAP_INO_MAX - 1), &it);
	if (r == 0)
		snprintf(buf, bufsz, "../proc/%d/%s", (int)pid, it.name);
	return r;
}

int discover_by_inode(uint64_t kino, uint64_t *link)
{
	_cleanup_free_ pid_t *pids = NULL;
	struct discover_item it;
	size_t n = 0;
	int r = discover_pids(&pids, &n);

	for (size_t i = 0; r == 0 && i < n; i++)
		if (item_of(pids[i], kino, &it) == 0) {
			*link = discover_ino_link(pids[i], kino);
			return *link ? 0 : -ENOENT;
		}
	return -ENOENT;
}

int discover_fill_by_inode(int (*add)(void *d, uint64_t kino, uint64_t link), void *d)
{
	_cleanup_free_ pid_t *pids = NULL;
	size_t n = 0;
	int r = discover_pids(&pids, &n);

	for (size_t i = 0; r >= 0 && i < n; i++) {
		_cleanup_free_ struct discover_item *items = NULL;
		size_t ni = 0;

		if (discover_list(pids[i], &items, &ni) < 0)
			continue;
		for (size_t j = 0; r >= 0 && j < ni; j++) {
			uint64_t link = discover_ino_link(pids[i], items[j].kino);

			if (link)
				r = add(d, items[j].kino, link);
		}
	}
	return r < 0 ? r : 0;
}
