// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Discovery: dma-bufs held by other processes, found in /proc/PID/fd +
 * fdinfo (holders by fd) and /proc/PID/maps (holders that only map it),
 * shown as proc/PID/FD and proc/PID/map-INO. Listing never takes a
 * reference; opening proc/PID/FD takes the fd with pidfd_getfd(2) for as
 * long as the file is open.
 *
 * Who may look follows ptrace's rules (PTRACE_MODE_ATTACH), decided on the
 * caller's credentials. The part that depends on the target only is turned
 * into the owner of proc/PID and its files (mode 0500 / 0600), so that the
 * kernel itself checks the caller against it on every path walk
 * (default_permissions): the owner is the target's uid when its real,
 * effective and saved uids are one uid, its gids one gid, it is dumpable
 * (/proc/PID/fd is owned by its euid, not root) and Yama's ptrace_scope is 0;
 * otherwise root. Yama 1 ("descendants only") cannot apply to a file server
 * and is taken as 2 (root only); 3 lets nobody in, root included (the
 * kernel refuses the daemon's own pidfd_getfd then).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "buffer.h"
#include "fs/entry.h"
#include "fs/fs-internal.h"
#include "shared/bufinfo.h"
#include "shared/fdinfo.h"
#include "shared/log.h"
#include "shared/macro.h"
#include "shared/maps.h"

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif
#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424
#endif

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
	id = (uint64_t)(uint32_t)pid << PROC_FD_SHIFT |
	     (uint64_t)(unsigned int)fd;
	n->pid = (pid_t)((id >> MAP_INO_BITS) & (PROC_PID_MAX - 1));
	n->fd = -1;
	n->kino = id & (MAP_INO_MAX - 1);
}

/* An inode of kind whose id carries pid and kino; 0 when they do not fit. */
static uint64_t pid_kino_node(enum node_kind kind, pid_t pid, uint64_t kino)
{
	if (pid <= 0 || (uint64_t)pid >= PROC_PID_MAX || kino == 0 ||
	    kino >= MAP_INO_MAX)
		return 0;
	return ino_make(kind,
			MAP_NODE_FLAG | (uint64_t)pid << MAP_INO_BITS | kino);
}

uint64_t discover_map_node(pid_t pid, uint64_t kino)
{
	return pid_kino_node(NODE_PROC_FD, pid, kino);
}

static bool is_number(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

static int append(void **v, size_t *n, size_t *cap, size_t elem,
		  const void *item)
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

/* ---- who may inspect a process ---- */

/* Yama's ptrace_scope, 0 where Yama is not built in. */
static int yama_scope(void)
{
	_cleanup_fclose_ FILE *f =
		fopen("/proc/sys/kernel/yama/ptrace_scope", "re");
	int v = 0;

	if (!f || fscanf(f, "%d", &v) != 1)
		return 0;
	return v;
}

/*
 * The owner the target's proc/ nodes get: its uid when anyone but root may
 * inspect it, else 0. -EACCES when nobody may (Yama 3), -ENOENT when the
 * process is gone.
 */
int discover_owner(pid_t pid, uid_t *owner)
{
	_cleanup_fclose_ FILE *f = NULL;
	_cleanup_free_ char *line = NULL;
	unsigned long u[4] = { 0 }, g[4] = { 0 };
	bool have_u = false, have_g = false;
	size_t cap = 0;
	char path[64];
	struct stat st;
	int scope = yama_scope();

	if (scope >= 3)
		return -EACCES;
	/* Not /proc/PID itself: the kernel gives world-readable directories
	 * the euid whether the process is dumpable or not. */
	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	if (pid <= 0 || stat(path, &st) < 0)
		return -ENOENT;
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return -ENOENT;
	while (getline(&line, &cap, f) >= 0) {
		if (sscanf(line, "Uid: %lu %lu %lu %lu", &u[0], &u[1], &u[2],
			   &u[3]) == 4)
			have_u = true;
		else if (sscanf(line, "Gid: %lu %lu %lu %lu", &g[0], &g[1],
				&g[2], &g[3]) == 4)
			have_g = true;
	}
	if (!have_u || !have_g)
		return -ENOENT;
	*owner = 0;
	/* /proc/PID/fd belongs to root, not to the euid, while the process is
	 * not dumpable (setuid programs, PR_SET_DUMPABLE 0): ptrace then
	 * asks for CAP_SYS_PTRACE. */
	if (scope == 0 && u[0] == u[1] && u[1] == u[2] && g[0] == g[1] &&
	    g[1] == g[2] && st.st_uid == (uid_t)u[1])
		*owner = (uid_t)u[0];
	return 0;
}

/* The caller (uid, as FUSE gives it: the fsuid) may inspect pid. */
static int caller_may(pid_t pid, uid_t caller, uid_t *owner)
{
	int r = discover_owner(pid, owner);

	if (r < 0)
		return r;
	if (caller != 0 && caller != *owner) {
		log_info(
			"proc/%d: uid %u may not inspect it (ptrace rules, Yama %d)",
			(int)pid, (unsigned)caller, yama_scope());
		return -EACCES;
	}
	return 0;
}

/* ---- the dma-buf file system's device ---- */

/* Map holders are told from files that merely have a "/dmabuf:" name by
 * their device, learnt once from an fd that is known to be a dma-buf. */
static pthread_mutex_t dev_lock = PTHREAD_MUTEX_INITIALIZER;
static dev_t dmabuf_dev;
static bool dmabuf_dev_known;

static bool dev_get(dev_t *dev)
{
	bool known;

	pthread_mutex_lock(&dev_lock);
	known = dmabuf_dev_known;
	*dev = dmabuf_dev;
	pthread_mutex_unlock(&dev_lock);
	return known;
}

static void dev_set(dev_t dev)
{
	pthread_mutex_lock(&dev_lock);
	dmabuf_dev = dev;
	dmabuf_dev_known = true;
	pthread_mutex_unlock(&dev_lock);
}

static bool fd_link_is_dmabuf(pid_t pid, const char *fd);

static bool own_fd_links_dmabuf(int fd)
{
	char num[16];

	snprintf(num, sizeof(num), "%d", fd);
	return fd_link_is_dmabuf(0, num);
}

/*
 * An fd taken from another process is whatever sat there at that moment:
 * before anything touches it, prove it is a dma-buf (the link and the
 * kernel's exp_name line: neither calls into a file system an attacker may
 * run), then that it is the inode that was listed. fstat() comes last, once
 * the fd is known to be a dma-buf (on a FUSE file it would wait on that
 * file system's server). 0 or -ENOENT.
 */
static int verify_taken(int fd, uint64_t want_ino)
{
	struct dmabuf_fdinfo info;
	struct stat st;
	dev_t dev;

	if (!own_fd_links_dmabuf(fd) || fdinfo_read(0, fd, &info) < 0 ||
	    !info.is_dmabuf)
		return -ENOENT;
	if (want_ino && info.ino != want_ino)
		return -ENOENT;
	if (fstat(fd, &st) < 0 || (want_ino && st.st_ino != want_ino))
		return -ENOENT;
	if (dev_get(&dev)) {
		if (st.st_dev != dev)
			return -ENOENT;
	} else {
		dev_set(st.st_dev);
	}
	return 0;
}

/* Closing a file that is not ours to know may block (a FUSE file sends
 * FLUSH and waits for its server): a few such closes go to threads of
 * their own, so that a hostile server cannot hold the daemon's workers. */
static atomic_int closers;

static void *closer(void *arg)
{
	close((int)(intptr_t)arg);
	atomic_fetch_sub(&closers, 1);
	return NULL;
}

static void discard_fd(int fd)
{
	pthread_attr_t attr;
	pthread_t t;

	if (atomic_fetch_add(&closers, 1) < 16 &&
	    pthread_attr_init(&attr) == 0) {
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
		if (pthread_create(&t, &attr, closer, (void *)(intptr_t)fd) ==
		    0) {
			pthread_attr_destroy(&attr);
			return;
		}
		pthread_attr_destroy(&attr);
	}
	atomic_fetch_sub(&closers, 1);
	close(fd);
}

static int pidfd_open(pid_t pid)
{
	int fd = (int)syscall(SYS_pidfd_open, pid, 0);

	return fd < 0 ? (errno == ESRCH || errno == EINVAL ? -ENOENT : -errno) :
			fd;
}

static int take_fd(int pidfd, int fd)
{
	int r = (int)syscall(SYS_pidfd_getfd, pidfd, fd, 0);

	return r < 0 ? (errno == EPERM ? -EACCES :
			errno == EBADF ? -ENOENT :
					 -errno) :
		       r;
}

static bool pidfd_alive(int pidfd)
{
	return syscall(SYS_pidfd_send_signal, pidfd, 0, NULL, 0) == 0;
}

static int learn_cb(const struct entry_view *v, void *data)
{
	struct dmabuf_fdinfo info;
	struct stat st;

	if (!v->buf || fdinfo_read(0, v->buf->fd, &info) < 0 ||
	    !info.is_dmabuf || fstat(v->buf->fd, &st) < 0)
		return 0;
	dev_set(st.st_dev);
	return 1;
}

/* Learn the device from one of our own buffers, else from pid's fd (a
 * dma-buf by its fdinfo), taken and checked like any other. */
static bool dev_learn_from(pid_t pid, int fd, uint64_t ino, dev_t *dev)
{
	int pidfd, bfd;

	pidfd = pidfd_open(pid);
	if (pidfd < 0)
		return false;
	bfd = take_fd(pidfd, fd);
	close(pidfd);
	if (bfd < 0)
		return false;
	if (verify_taken(bfd, ino) < 0) {
		discard_fd(bfd);
		return false;
	}
	close(bfd);
	return dev_get(dev);
}

/* Else from the first process found with a dma-buf fd: once per daemon,
 * in practice. */
static bool dev_learn(dev_t *dev)
{
	_cleanup_closedir_ DIR *proc = NULL;
	struct dirent *de;
	pid_t self = getpid();

	if (dev_get(dev))
		return true;
	if (tree_walk(learn_cb, NULL) == 1)
		return dev_get(dev);
	proc = opendir("/proc");
	while (proc && (de = readdir(proc))) {
		_cleanup_closedir_ DIR *fds = NULL;
		struct dirent *fe;
		char path[64];
		pid_t pid;

		if (!is_number(de->d_name) ||
		    (pid = (pid_t)atoi(de->d_name)) == self)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
		fds = opendir(path);
		while (fds && (fe = readdir(fds))) {
			struct dmabuf_fdinfo info;
			int fd;

			if (!is_number(fe->d_name) ||
			    !fd_link_is_dmabuf(pid, fe->d_name))
				continue;
			fd = atoi(fe->d_name);
			if (fdinfo_read(pid, fd, &info) == 0 &&
			    info.is_dmabuf && info.ino &&
			    dev_learn_from(pid, fd, info.ino, dev))
				return true;
		}
	}
	return false;
}

/* ---- listing ---- */

/* /proc/PID/fd/N of a dma-buf links to "/dmabuf:NAME" (older kernels:
 * "anon_inode:dmabuf"); the fdinfo's exp_name line is the proof. */
static bool fd_link_is_dmabuf(pid_t pid, const char *fd)
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
	return strncmp(target, "/dmabuf:", 8) == 0 ||
	       strcmp(target, "anon_inode:dmabuf") == 0;
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

		if (!is_number(de->d_name) ||
		    !fd_link_is_dmabuf(pid, de->d_name))
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
static int scan_maps(pid_t pid, const struct fd_hold *fds, size_t nfds,
		     struct dmabuf_mapping **out, size_t *n)
{
	dev_t dev;
	int r;

	r = maps_read_pid(pid, out, n);
	if (r < 0 || *n == 0)
		return r;
	if (!dev_get(&dev) && nfds)
		dev_learn_from(pid, fds[0].fd, fds[0].info.ino, &dev);
	if (!dev_learn(&dev)) {
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
	if (pid == getpid() || yama_scope() >= 3)
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
		struct discover_item it = { .node = discover_map_node(pid,
								      inos[i]),
					    .kind = HOLDER_MAP,
					    .kino = inos[i] };

		/* A buffer held by fd is its fd's file; only a buffer the
		 * process maps and no longer has an fd of gets map-INO. */
		if (!it.node || fds_have_ino(fds, nfds, inos[i]))
			continue;
		snprintf(it.name, sizeof(it.name), "map-%llu",
			 (unsigned long long)inos[i]);
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
			snprintf(info->name, sizeof(info->name), "%.63s",
				 maps[i].name);
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
				snprintf(info->exp_name, sizeof(info->exp_name),
					 "%s", bi.entries[i].exp_name);
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
int discover_open(pid_t pid, int fd, uid_t uid, enum iomem_mode mode,
		  struct buffer **out, uid_t *owner_out)
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
		r = caller_may(dn.pid, uid, &owner);
		if (r < 0)
			return r;
		/* A dma-buf's inode has no open (no_open_fops): map_files
		 * cannot reopen it, and its pages are VM_PFNMAP, out of reach
		 * of process_vm_readv. */
		log_info(
			"proc/%d/map-%llu: a buffer only mapped cannot be opened",
			(int)dn.pid, (unsigned long long)dn.kino);
		return -EOPNOTSUPP;
	}
	pidfd = pidfd_open(dn.pid);
	if (pidfd < 0)
		return pidfd;
	r = fdinfo_read(dn.pid, dn.fd, &info);
	if (r < 0 || !info.is_dmabuf || info.ino == 0)
		return -ENOENT;
	r = caller_may(dn.pid, uid, &owner);
	if (r < 0)
		return r;
	bfd = take_fd(pidfd, dn.fd);
	if (bfd < 0) {
		log_warn("proc/%d/%d: pidfd_getfd: %s", (int)dn.pid, dn.fd,
			 strerror(-bfd));
		return bfd;
	}
	r = verify_taken(bfd, info.ino);
	if (r < 0) {
		log_warn(
			"proc/%d/%d: the fd taken is not the dma-buf listed (inode %llu): refused",
			(int)dn.pid, dn.fd, (unsigned long long)info.ino);
		discard_fd(bfd);
		return r;
	}
	if (!pidfd_alive(pidfd)) {
		close(bfd);
		return -ENOENT;
	}
	r = caller_may(dn.pid, uid, &owner);
	if (r < 0) {
		close(bfd);
		return r;
	}
	*owner_out = owner;
	return buffer_new(bfd, NULL, mode, out);
}

/* ---- holders of one of the daemon's buffers ---- */

static int add_holder(char *out, size_t outsz, size_t *used, pid_t pid,
		      unsigned int kinds)
{
	char k[16];
	int n = snprintf(out + *used, outsz - *used, "%s%d:%s",
			 *used ? " " : "", (int)pid,
			 holders_kinds_str(kinds, k, sizeof(k)));

	if (n < 0 || (size_t)n >= outsz - *used)
		return -E2BIG;
	*used += (size_t)n;
	return 0;
}

int discover_holders(int fd, uint64_t kino, char *out, size_t outsz)
{
	_cleanup_closedir_ DIR *proc = NULL;
	char self[64], link[256];
	struct dmabuf_fdinfo mine;
	struct dirent *de;
	size_t used = 0;
	bool dmabuf;
	dev_t dev = 0;
	ssize_t len;

	out[0] = '\0';
	snprintf(self, sizeof(self), "/proc/self/fd/%d", fd);
	len = readlink(self, link, sizeof(link) - 1);
	if (len <= 0)
		return -errno;
	link[len] = '\0';
	dmabuf = fdinfo_read(0, fd, &mine) == 0 && mine.is_dmabuf;
	if (dmabuf && !dev_get(&dev)) {
		struct stat st;

		if (fstat(fd, &st) < 0)
			return -errno;
		dev_set(st.st_dev);
		dev = st.st_dev;
	}
	proc = opendir("/proc");
	if (!proc)
		return -errno;
	while ((de = readdir(proc))) {
		_cleanup_closedir_ DIR *fds = NULL;
		_cleanup_free_ struct dmabuf_mapping *maps = NULL;
		unsigned int kinds = 0;
		char path[64];
		struct dirent *fe;
		size_t nmaps = 0;
		pid_t pid;

		if (!is_number(de->d_name))
			continue;
		pid = (pid_t)atoi(de->d_name);
		/* The daemon holds fd itself: no need to look among the
		 * thousands of fds it may have. */
		if (pid == getpid())
			kinds = HOLDER_FD;
		snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
		fds = kinds ? NULL : opendir(path);
		while (fds && !(kinds & HOLDER_FD) && (fe = readdir(fds))) {
			char fdpath[96], target[256];
			struct dmabuf_fdinfo info;
			ssize_t n;

			if (!is_number(fe->d_name))
				continue;
			/* The link first (no file system call), then the
			 * inode the kernel prints: never stat() a file of
			 * someone else's. */
			snprintf(fdpath, sizeof(fdpath), "%s/%.20s", path,
				 fe->d_name);
			n = readlink(fdpath, target, sizeof(target) - 1);
			if (n != len || memcmp(target, link, (size_t)len) != 0)
				continue;
			if (fdinfo_read(pid, atoi(fe->d_name), &info) == 0 &&
			    info.ino == kino && info.is_dmabuf == dmabuf)
				kinds |= HOLDER_FD;
		}
		if (dmabuf && maps_read_pid(pid, &maps, &nmaps) == 0) {
			nmaps = maps_filter_dev(maps, nmaps, major(dev),
						minor(dev));
			for (size_t i = 0; i < nmaps; i++)
				if (maps[i].ino == kino)
					kinds |= HOLDER_MAP;
		}
		if (kinds && add_holder(out, outsz, &used, pid, kinds) < 0)
			break;
	}
	return 0;
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

int discover_fill_by_inode(int (*add)(void *d, uint64_t kino, uint64_t link),
			   void *d)
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
			uint64_t link =
				discover_ino_link(pids[i], items[j].kino);

			if (link)
				r = add(d, items[j].kino, link);
		}
	}
	return r < 0 ? r : 0;
}
