// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The holders of the daemon's own buffers (user.dmabuf.holders): every
 * process that has one by fd, by mapping or both, as "PID:KINDS" per
 * process, blank-separated, in /proc's order.
 *
 * One walk of /proc answers for any number of buffers: the getxattr of one
 * file asks for one, a LIST chunk (control/list.c) for all of its files, so
 * that `dmabufctl top` costs a walk per chunk and not one per buffer. The
 * rules are the same for one as for many: the link of each of a process's
 * fds first (no file system call), then the file's device and inode from
 * statx(AT_STATX_DONT_SYNC) of the fd's /proc link, compared with what
 * the daemon's own fd of each buffer has; the daemon's own fds are not
 * read (it holds every one of its buffers); mappings count only on the
 * dma-buf file system's device.
 *
 * Matching by device and inode, not by name: any user can name a memfd
 * "dmabuffs". Measured before (issue 16): 199,000 dups of such a memfd
 * made every walk read 199,000 fdinfo files, 3.5 s. Now a run of fds that
 * are the same open file as the last one whose link named a buffer costs
 * one kcmp(KCMP_FILE) each, no readlink and no statx; a link that names no
 * buffer costs no more than the readlink.
 * AT_STATX_DONT_SYNC: a file of another FUSE server at such a path is
 * answered from its cached attributes, without a request to that server.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <linux/kcmp.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "buffer.h"
#include "fs/discover-internal.h"
#include "fs/fs-internal.h"
#include "fs/holders-scan.h"
#include "shared/fdinfo.h"
#include "shared/holders.h"
#include "shared/log.h"
#include "shared/macro.h"
#include "shared/maps.h"

/* One buffer asked about, and its answer as it grows. */
struct hkey {
	int fd;
	uint64_t kino;
	dev_t dev;	/* of the daemon's own fd: the file's identity with kino */
	char link[256]; /* what /proc/self/fd/FD links to */
	size_t linklen;
	bool dmabuf;	    /* else a memfd: no mappings looked at, as for one */
	unsigned int kinds; /* the process being looked at */
	char *out;
	size_t used, cap, outsz; /* outsz: at most, with the NUL */
	bool full;		 /* a holder did not fit: none after it either */
	int r;
};

struct scan {
	struct hkey *keys;
	size_t n;
	struct hkey **by_kino, **by_link; /* the valid keys, sorted */
	size_t nvalid;
	struct hkey **touched; /* keys with kinds set for this process */
	size_t ntouched;
	bool any_dmabuf;
	dev_t dev;
};

static int cmp_kino(const void *a, const void *b)
{
	const struct hkey *x = *(struct hkey *const *)a;
	const struct hkey *y = *(struct hkey *const *)b;

	return x->kino < y->kino ? -1 : x->kino > y->kino;
}

static int cmp_link_of(const char *l, size_t len, const struct hkey *k)
{
	int c = memcmp(l, k->link, MIN(len, k->linklen));

	return c ? c : len < k->linklen ? -1 : len > k->linklen;
}

static int cmp_link(const void *a, const void *b)
{
	const struct hkey *x = *(struct hkey *const *)a;

	return cmp_link_of(x->link, x->linklen, *(struct hkey *const *)b);
}

/* Whether some buffer asked about has that link: else its fdinfo is not
 * worth reading. */
static bool link_wanted(const struct scan *s, const char *l, size_t len)
{
	size_t lo = 0, hi = s->nvalid;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = cmp_link_of(l, len, s->by_link[mid]);

		if (c == 0)
			return true;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return false;
}

/* The first of the keys of kernel inode kino in by_kino (nvalid: none). */
static size_t first_of(const struct scan *s, uint64_t kino)
{
	size_t lo = 0, hi = s->nvalid;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (s->by_kino[mid]->kino < kino)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static void mark(struct scan *s, struct hkey *k, unsigned int kind)
{
	if (!k->kinds)
		s->touched[s->ntouched++] = k;
	k->kinds |= kind;
}

/* A buffer (of that link, if link) is held by this process as kind. */
static void mark_kino(struct scan *s, uint64_t kino, const char *link, size_t len, bool dmabuf,
		      unsigned int kind)
{
	for (size_t i = first_of(s, kino); i < s->nvalid && s->by_kino[i]->kino == kino; i++) {
		struct hkey *k = s->by_kino[i];

		if (k->dmabuf == dmabuf && (!link || cmp_link_of(link, len, k) == 0))
			mark(s, k, kind);
	}
}

/* The fd of that link is the file of device dev and inode ino. */
static void mark_file(struct scan *s, dev_t dev, uint64_t ino, const char *link, size_t len)
{
	for (size_t i = first_of(s, ino); i < s->nvalid && s->by_kino[i]->kino == ino; i++) {
		struct hkey *k = s->by_kino[i];

		if (k->dev == dev && cmp_link_of(link, len, k) == 0)
			mark(s, k, HOLDER_FD);
	}
}

static void scan_fds(struct scan *s, pid_t pid)
{
	_cleanup_closedir_ DIR *fds = NULL;
	char path[64], lastlink[256];
	struct dirent *fe;
	int last = -1; /* the last fd whose link named a buffer */
	size_t lastlen = 0;
	struct statx lastx;

	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	fds = opendir(path);
	while (fds && (fe = readdir(fds))) {
		char fdpath[96];
		struct statx stx;
		ssize_t n;
		int fd;

		if (!is_number(fe->d_name))
			continue;
		fd = atoi(fe->d_name);
		/* A dup() of the last such fd (one system call, and only in a
		 * process that has one): the same answer. */
		if (last >= 0 && syscall(SYS_kcmp, pid, pid, KCMP_FILE, last, fd) == 0) {
			mark_file(s, makedev(lastx.stx_dev_major, lastx.stx_dev_minor),
				  lastx.stx_ino, lastlink, lastlen);
			continue;
		}
		snprintf(fdpath, sizeof(fdpath), "%s/%.20s", path, fe->d_name);
		n = readlink(fdpath, lastlink, sizeof(lastlink) - 1);
		if (n <= 0 || !link_wanted(s, lastlink, (size_t)n)) {
			last = -1;
			continue;
		}
		if (statx(AT_FDCWD, fdpath, AT_STATX_DONT_SYNC, STATX_INO, &stx) < 0) {
			last = -1;
			continue;
		}
		last = fd;
		lastlen = (size_t)n;
		lastx = stx;
		mark_file(s, makedev(stx.stx_dev_major, stx.stx_dev_minor), stx.stx_ino, lastlink,
			  lastlen);
	}
}

static void scan_maps(struct scan *s, pid_t pid)
{
	_cleanup_free_ struct dmabuf_mapping *maps = NULL;
	size_t nmaps = 0;

	if (!s->any_dmabuf || maps_read_pid(pid, &maps, &nmaps) < 0)
		return;
	nmaps = maps_filter_dev(maps, nmaps, major(s->dev), minor(s->dev));
	for (size_t i = 0; i < nmaps; i++)
		mark_kino(s, maps[i].ino, NULL, 0, true, HOLDER_MAP);
}

/* " PID:KINDS" at the end of k's answer, unless it would not fit. The
 * answer grows as needed: a LIST chunk asks about hundreds of buffers,
 * most held by a process or two. */
static void append_holder(struct hkey *k, pid_t pid)
{
	char item[48], kinds[16];
	int len = snprintf(item, sizeof(item), "%s%d:%s", k->used ? " " : "", (int)pid,
			   holders_kinds_str(k->kinds, kinds, sizeof(kinds)));
	size_t need;

	if (len < 0 || k->used + (size_t)len >= k->outsz) {
		k->full = true;
		return;
	}
	need = k->used + (size_t)len + 1;
	if (need > k->cap) {
		size_t c = MIN(MAX(2 * k->cap, need), k->outsz);
		char *v = realloc(k->out, c);

		if (!v) {
			k->r = -ENOMEM;
			k->full = true;
			return;
		}
		k->out = v;
		k->cap = c;
	}
	memcpy(k->out + k->used, item, (size_t)len + 1);
	k->used += (size_t)len;
}

static void scan_pid(struct scan *s, pid_t pid)
{
	/* The daemon holds every buffer it has: no need to look among the
	 * thousands of fds it may have. */
	if (pid == getpid()) {
		for (size_t i = 0; i < s->nvalid; i++)
			mark(s, s->by_kino[i], HOLDER_FD);
	} else {
		scan_fds(s, pid);
	}
	scan_maps(s, pid);
	for (size_t i = 0; i < s->ntouched; i++) {
		struct hkey *k = s->touched[i];

		if (!k->full)
			append_holder(k, pid);
		k->kinds = 0;
	}
	s->ntouched = 0;
}

/* What the daemon's own fd of k shows: its link, whether it is a dma-buf
 * (else its mappings are not looked for), and the dma-buf device. */
static int key_init(struct scan *s, struct hkey *k)
{
	char self[64];
	struct dmabuf_fdinfo mine;
	struct stat st;
	ssize_t len;

	snprintf(self, sizeof(self), "/proc/self/fd/%d", k->fd);
	len = readlink(self, k->link, sizeof(k->link) - 1);
	if (len <= 0)
		return len < 0 ? -errno : -EBADF;
	k->linklen = (size_t)len;
	k->dmabuf = fdinfo_read(0, k->fd, &mine) == 0 && mine.is_dmabuf;
	/* The daemon's own fd: a dma-buf or a memfd, no one else's file. */
	if (fstat(k->fd, &st) < 0)
		return -errno;
	k->dev = st.st_dev;
	if (k->dmabuf && !s->any_dmabuf && !discover_dmabuf_dev_get(&s->dev)) {
		discover_dmabuf_dev_set(st.st_dev);
		s->dev = st.st_dev;
	}
	s->any_dmabuf |= k->dmabuf;
	k->cap = MIN(k->outsz, 64);
	k->out = malloc(k->cap);
	if (!k->out)
		return -ENOMEM;
	k->out[0] = '\0';
	return 0;
}

static int scan_init(struct scan *s)
{
	s->by_kino = calloc(s->n ? s->n : 1, sizeof(*s->by_kino));
	s->by_link = calloc(s->n ? s->n : 1, sizeof(*s->by_link));
	s->touched = calloc(s->n ? s->n : 1, sizeof(*s->touched));
	if (!s->by_kino || !s->by_link || !s->touched)
		return -ENOMEM;
	for (size_t i = 0; i < s->n; i++) {
		struct hkey *k = &s->keys[i];

		k->r = key_init(s, k);
		if (k->r < 0)
			continue;
		s->by_kino[s->nvalid] = s->by_link[s->nvalid] = k;
		s->nvalid++;
	}
	qsort(s->by_kino, s->nvalid, sizeof(*s->by_kino), cmp_kino);
	qsort(s->by_link, s->nvalid, sizeof(*s->by_link), cmp_link);
	return 0;
}

static void scan_free(struct scan *s)
{
	free(s->by_kino);
	free(s->by_link);
	free(s->touched);
}

/* The holders of every valid key, with one walk of /proc. */
static int scan_run(struct hkey *keys, size_t n)
{
	struct scan s = { .keys = keys, .n = n };
	_cleanup_closedir_ DIR *proc = NULL;
	struct dirent *de;
	int r = scan_init(&s);

	if (r == 0 && s.nvalid) {
		proc = opendir("/proc");
		if (!proc)
			r = -errno;
	}
	while (proc && (de = readdir(proc)))
		if (is_number(de->d_name))
			scan_pid(&s, (pid_t)atoi(de->d_name));
	scan_free(&s);
	return r;
}

int holders_scan(struct buffer *const *bufs, size_t n, char **out)
{
	_cleanup_free_ struct hkey *keys = calloc(n ? n : 1, sizeof(*keys));
	int r;

	for (size_t i = 0; i < n; i++)
		out[i] = NULL;
	if (!keys)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		keys[i] = (struct hkey){ .fd = bufs[i]->fd,
					 .kino = bufs[i]->kino,
					 .outsz = HOLDERS_MAX };
	r = scan_run(keys, n);
	if (r < 0)
		log_warn("holders of %zu buffers: %s", n, strerror(-r));
	for (size_t i = 0; i < n; i++) {
		if (r == 0 && keys[i].r == 0) {
			out[i] = keys[i].out;
			continue;
		}
		if (r == 0)
			log_info("holders of inode %llu: %s", (unsigned long long)keys[i].kino,
				 strerror(-keys[i].r));
		free(keys[i].out);
	}
	return r;
}
