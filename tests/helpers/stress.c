// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * stress: many processes on one dmabuffs mount at once, each checking its
 * own data (tests/integration/stress.t).
 *
 *   stress [--workers N] [--seconds S] [--grace G] MOUNT
 *
 * Forks N workers (default 8) that for S seconds (default 10) pick random
 * operations on buffers whose names they own ("sW-K"): create + ftruncate,
 * staged create (write before any truncate, allocated at close), write,
 * read, ftruncate to the same size (success) and to another (EPERM),
 * rename, unlink, MAP_SHARED mmap (write through the mapping, msync, read
 * back through read()), publish of a memfd (dmabuffs_publish), export
 * (dmabuffs_export, the fd mmapped and compared) and unpublish, and a
 * listing of the whole root with a stat of every entry (which races with
 * the other workers' renames and unlinks: ENOENT is fine there, nothing
 * else). Every worker keeps a shadow copy of each of its buffers and
 * compares every read with it: any difference, or an errno the contract
 * does not give, fails the worker. At the end each worker verifies and
 * removes all its buffers.
 *
 * The parent is the watchdog: a worker not done G seconds (default 60)
 * after the end is reported with the operation it is stuck in, and killed.
 * Prints one line per worker ("worker W: N ops (create C, ...)") and
 * exits 0 when every worker exited 0, 1 otherwise.
 * The control socket is $DMABUFFS_CONTROL (libdmabuffs).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/xattr.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "dmabuffs/client.h"
#include "shared/macro.h"

#define MAX_BUFS 6
#define MAX_PAGES 64 /* 256 KiB buffers at most */

enum op {
	OP_CREATE,
	OP_STAGED,
	OP_WRITE,
	OP_READ,
	OP_TRUNCATE,
	OP_RENAME,
	OP_UNLINK,
	OP_MMAP,
	OP_PUBLISH,
	OP_EXPORT,
	OP_LIST,
	OP_COUNT
};

static const char *const op_names[OP_COUNT] = {
	"create", "staged", "write",   "read",	 "truncate", "rename",
	"unlink", "mmap",   "publish", "export", "list",
};

/* What the watchdog shows of a worker: shared with the parent. */
struct progress {
	volatile int op;
	volatile unsigned long count[OP_COUNT];
	volatile int done;
};

struct buf {
	char name[32];
	size_t size;
	uint8_t *shadow; /* NULL: slot free */
	bool published;
};

static const char *mnt;
static size_t page;
static int me;
static struct progress *prog;
static struct buf bufs[MAX_BUFS];
static unsigned seq;
static uint64_t rng;

__attribute__((noreturn, format(printf, 1, 2))) static void die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "worker %d: %s: ", me, op_names[prog[me].op]);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	_exit(1);
}

static uint64_t rnd(void)
{
	/* xorshift64*: reproducible from the seed printed at start. */
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 2685821657736338717ULL;
}

static size_t rnd_below(size_t n)
{
	return n ? (size_t)(rnd() % n) : 0;
}

static void rnd_fill(uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(rnd() >> 32);
}

static void path_of(char *out, size_t len, const char *name)
{
	snprintf(out, len, "%s/%s", mnt, name);
}

static void new_name(struct buf *b)
{
	snprintf(b->name, sizeof(b->name), "s%d-%u", me, seq++);
}

static struct buf *free_slot(void)
{
	for (int i = 0; i < MAX_BUFS; i++)
		if (!bufs[i].shadow)
			return &bufs[i];
	return NULL;
}

static struct buf *used_slot(void)
{
	int n = 0, pick;

	for (int i = 0; i < MAX_BUFS; i++)
		n += bufs[i].shadow != NULL;
	if (!n)
		return NULL;
	pick = (int)rnd_below((size_t)n);
	for (int i = 0; i < MAX_BUFS; i++)
		if (bufs[i].shadow && pick-- == 0)
			return &bufs[i];
	return NULL;
}

static void drop(struct buf *b)
{
	free(b->shadow);
	b->shadow = NULL;
	b->published = false;
}

static int open_buf(const struct buf *b, int flags)
{
	char p[512];
	int fd;

	path_of(p, sizeof(p), b->name);
	fd = open(p, flags | O_CLOEXEC);
	if (fd < 0)
		die("open %s: %m", b->name);
	return fd;
}

static void full_pwrite(int fd, const uint8_t *src, size_t n, off_t off, const char *name)
{
	while (n) {
		ssize_t w = pwrite(fd, src, n, off);

		if (w <= 0)
			die("pwrite %s at %lld: %s", name, (long long)off,
			    w < 0 ? strerror(errno) : "short write");
		src += w;
		n -= (size_t)w;
		off += w;
	}
}

static void compare(const struct buf *b, const uint8_t *got, size_t n, const char *how)
{
	for (size_t i = 0; i < n; i++)
		if (got[i] != b->shadow[i])
			die("%s: %s: byte %zu of %zu is 0x%02x, wrote 0x%02x", b->name, how, i, n,
			    got[i], b->shadow[i]);
}

static void verify(const struct buf *b)
{
	_cleanup_close_ int fd = open_buf(b, O_RDONLY);
	_cleanup_free_ uint8_t *got = malloc(b->size + 1);
	struct stat st;
	size_t off = 0;

	if (!got)
		die("out of memory");
	if (fstat(fd, &st) < 0)
		die("fstat %s: %m", b->name);
	if ((size_t)st.st_size != b->size)
		die("%s: st_size %lld, expected %zu", b->name, (long long)st.st_size, b->size);
	while (off <= b->size) {
		ssize_t r = pread(fd, got + off, b->size + 1 - off, (off_t)off);

		if (r < 0)
			die("pread %s: %m", b->name);
		if (r == 0)
			break;
		off += (size_t)r;
	}
	if (off != b->size)
		die("%s: read %zu bytes, size %zu", b->name, off, b->size);
	compare(b, got, b->size, "read()");
}

/* A new name of ours in slot b, opened with flags. */
static int create_new(struct buf *b, int flags)
{
	char p[512];
	int fd;

	new_name(b);
	path_of(p, sizeof(p), b->name);
	fd = open(p, flags | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		die("create %s: %m", b->name);
	return fd;
}

static void op_create(void)
{
	struct buf *b = free_slot();
	_cleanup_close_ int fd = -EBADF;

	if (!b)
		return;
	fd = create_new(b, O_RDWR);
	b->size = (1 + rnd_below(MAX_PAGES)) * page;
	if (ftruncate(fd, (off_t)b->size) < 0)
		die("ftruncate %s to %zu: %m", b->name, b->size);
	b->shadow = calloc(1, b->size);
	if (!b->shadow)
		die("out of memory");
	/* A fresh buffer reads as zeros. */
	verify(b);
	rnd_fill(b->shadow, b->size);
	full_pwrite(fd, b->shadow, b->size, 0, b->name);
}

/* Written before any truncate: staged in a memfd, allocated at close. */
static void op_staged(void)
{
	struct buf *b = free_slot();
	_cleanup_close_ int fd = -EBADF;
	size_t chunk;

	if (!b)
		return;
	fd = create_new(b, O_WRONLY);
	b->size = (1 + rnd_below(MAX_PAGES / 2)) * page;
	b->shadow = malloc(b->size);
	if (!b->shadow)
		die("out of memory");
	rnd_fill(b->shadow, b->size);
	/* In pieces, as cp does. */
	chunk = (1 + rnd_below(8)) * page;
	for (size_t off = 0; off < b->size; off += chunk) {
		size_t n = b->size - off < chunk ? b->size - off : chunk;

		full_pwrite(fd, b->shadow + off, n, (off_t)off, b->name);
	}
	if (close(fd) < 0)
		die("close %s: %m", b->name);
	fd = -EBADF;
	verify(b);
}

static void op_write(void)
{
	struct buf *b = used_slot();
	_cleanup_close_ int fd = -EBADF;
	size_t off, n;

	if (!b)
		return;
	fd = open_buf(b, rnd_below(2) ? O_RDWR : O_WRONLY);
	off = rnd_below(b->size);
	n = 1 + rnd_below(b->size - off);
	rnd_fill(b->shadow + off, n);
	full_pwrite(fd, b->shadow + off, n, (off_t)off, b->name);
	/* Past the end: the contract's ENOSPC, nothing written. A file whose
	 * opens are passed through may answer EPERM instead: there the kernel
	 * answers for the sealed memfd (dmabuffs(5), I/O PATHS). */
	{
		char acc[32] = "";
		bool pt = fgetxattr(fd, "user.dmabuf.access", acc, sizeof(acc) - 1) > 0 &&
			  !strcmp(acc, "passthrough");

		if (pwrite(fd, "x", 1, (off_t)b->size) != -1 ||
		    (errno != ENOSPC && !(pt && errno == EPERM)))
			die("%s: a write at the end did not fail with ENOSPC%s (%m)", b->name,
			    pt ? " or EPERM" : "");
	}
}

static void op_read(void)
{
	struct buf *b = used_slot();

	if (b)
		verify(b);
}

static void op_truncate(void)
{
	struct buf *b = used_slot();
	_cleanup_close_ int fd = -EBADF;

	if (!b)
		return;
	fd = open_buf(b, O_RDWR);
	if (ftruncate(fd, (off_t)b->size) < 0)
		die("ftruncate %s to its own size %zu: %m", b->name, b->size);
	if (ftruncate(fd, (off_t)(b->size + page)) != -1 || errno != EPERM)
		die("ftruncate %s to another size: %m, expected EPERM", b->name);
}

static void op_rename(void)
{
	struct buf *b = used_slot();
	char from[512], to[512];
	struct buf moved;

	if (!b)
		return;
	moved = *b;
	new_name(&moved);
	path_of(from, sizeof(from), b->name);
	path_of(to, sizeof(to), moved.name);
	if (rename(from, to) < 0)
		die("rename %s -> %s: %m", b->name, moved.name);
	if (access(from, F_OK) == 0 || errno != ENOENT)
		die("%s still there after the rename", b->name);
	*b = moved;
	verify(b);
}

static void op_unlink(void)
{
	struct buf *b = used_slot();
	char p[512];

	if (!b)
		return;
	path_of(p, sizeof(p), b->name);
	if (b->published && rnd_below(2)) {
		int r = dmabuffs_unpublish(b->name);

		if (r < 0)
			die("dmabuffs_unpublish %s: %s (%s)", b->name, strerror(-r),
			    dmabuffs_last_error());
	} else if (unlink(p) < 0) {
		die("unlink %s: %m", b->name);
	}
	if (access(p, F_OK) == 0 || errno != ENOENT)
		die("%s still there after its removal", b->name);
	drop(b);
}

static void op_mmap(void)
{
	struct buf *b = used_slot();
	_cleanup_close_ int fd = -EBADF;
	uint8_t *m;
	size_t off, n;

	if (!b)
		return;
	fd = open_buf(b, O_RDWR);
	m = mmap(NULL, b->size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED)
		die("mmap %s: %m", b->name);
	compare(b, m, b->size, "the MAP_SHARED mapping");
	off = rnd_below(b->size);
	n = 1 + rnd_below(b->size - off);
	rnd_fill(b->shadow + off, n);
	memcpy(m + off, b->shadow + off, n);
	if (msync(m, b->size, MS_SYNC) < 0)
		die("msync %s: %m", b->name);
	munmap(m, b->size);
	verify(b);
}

static void op_publish(void)
{
	struct buf *b = free_slot();
	_cleanup_close_ int fd = -EBADF;
	int r;

	if (!b)
		return;
	new_name(b);
	b->size = (1 + rnd_below(MAX_PAGES)) * page;
	fd = memfd_create(b->name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0)
		die("memfd_create: %m");
	if (ftruncate(fd, (off_t)b->size) < 0)
		die("ftruncate memfd: %m");
	b->shadow = malloc(b->size);
	if (!b->shadow)
		die("out of memory");
	rnd_fill(b->shadow, b->size);
	full_pwrite(fd, b->shadow, b->size, 0, "the memfd");
	r = dmabuffs_publish(fd, b->name, 0);
	if (r < 0) {
		free(b->shadow);
		b->shadow = NULL;
		die("dmabuffs_publish %s: %s (%s)", b->name, strerror(-r), dmabuffs_last_error());
	}
	b->published = true;
	verify(b);
}

static void op_export(void)
{
	struct buf *b = used_slot();
	_cleanup_close_ int fd = -EBADF;
	char p[512];
	struct stat st;
	uint8_t *m;

	if (!b)
		return;
	/* By bare name or by path: both are the API. */
	if (rnd_below(2))
		snprintf(p, sizeof(p), "%s", b->name);
	else
		path_of(p, sizeof(p), b->name);
	fd = dmabuffs_export(p);
	if (fd < 0)
		die("dmabuffs_export %s: %s (%s)", p, strerror(-fd), dmabuffs_last_error());
	if (fstat(fd, &st) < 0 || (size_t)st.st_size < b->size)
		die("the exported fd of %s is too small (%lld)", b->name, (long long)st.st_size);
	m = mmap(NULL, b->size, PROT_READ, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED)
		die("mmap of the exported fd of %s: %m", b->name);
	compare(b, m, b->size, "the exported fd's mapping");
	munmap(m, b->size);
}

/* Everybody's names: entries come and go under us. */
static void op_list(void)
{
	_cleanup_(closedirp) DIR *d = opendir(mnt);
	struct dirent *de;
	struct stat st;
	char p[512];

	if (!d)
		die("opendir %s: %m", mnt);
	while ((errno = 0, de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		path_of(p, sizeof(p), de->d_name);
		if (lstat(p, &st) < 0 && errno != ENOENT)
			die("stat %s: %m", de->d_name);
	}
	if (errno)
		die("readdir %s: %m", mnt);
	if (stat(mnt, &st) < 0)
		die("stat %s: %m", mnt);
}

static void (*const ops[OP_COUNT])(void) = {
	op_create, op_staged, op_write,	  op_read,   op_truncate, op_rename,
	op_unlink, op_mmap,   op_publish, op_export, op_list,
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void worker(double until)
{
	while (now() < until) {
		int op = (int)rnd_below(OP_COUNT);

		prog[me].op = op;
		ops[op]();
		prog[me].count[op]++;
	}
	/* Leave nothing behind, and check it all one last time. */
	prog[me].op = OP_READ;
	for (int i = 0; i < MAX_BUFS; i++) {
		if (!bufs[i].shadow)
			continue;
		verify(&bufs[i]);
		prog[me].op = OP_UNLINK;
		char p[512];

		path_of(p, sizeof(p), bufs[i].name);
		if (unlink(p) < 0)
			die("unlink %s: %m", bufs[i].name);
		drop(&bufs[i]);
	}
	prog[me].done = 1;
	_exit(0);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = { { "workers", required_argument, NULL, 'w' },
						  { "seconds", required_argument, NULL, 's' },
						  { "grace", required_argument, NULL, 'g' },
						  { "seed", required_argument, NULL, 'r' },
						  {} };
	int workers = 8, c, failed = 0;
	double seconds = 10, grace = 60, until, t;
	uint64_t seed = (uint64_t)time(NULL);
	_cleanup_free_ pid_t *pids = NULL;

	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'w':
			workers = atoi(optarg);
			break;
		case 's':
			seconds = atof(optarg);
			break;
		case 'g':
			grace = atof(optarg);
			break;
		case 'r':
			seed = strtoull(optarg, NULL, 0);
			break;
		default:
			return 2;
		}
	}
	if (optind != argc - 1 || workers < 1 || workers > 64 || seconds <= 0) {
		fprintf(stderr, "usage: stress [--workers N] [--seconds S] [--grace G] "
				"[--seed N] MOUNT\n");
		return 2;
	}
	mnt = argv[optind];
	page = (size_t)sysconf(_SC_PAGESIZE);
	setvbuf(stdout, NULL, _IOLBF, 0);
	prog = mmap(NULL, sizeof(*prog) * (size_t)workers, PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	pids = calloc((size_t)workers, sizeof(*pids));
	if (prog == MAP_FAILED || !pids) {
		perror("stress: setup");
		return 1;
	}
	printf("stress: %d workers, %.1f s, seed %llu, on %s\n", workers, seconds,
	       (unsigned long long)seed, mnt);
	until = now() + seconds;
	for (int w = 0; w < workers; w++) {
		pids[w] = fork();
		if (pids[w] < 0) {
			perror("stress: fork");
			return 1;
		}
		if (pids[w] == 0) {
			me = w;
			rng = (seed + 1) * 0x9e3779b97f4a7c15ULL + (uint64_t)w * 7919 + 1;
			worker(until);
		}
	}

	/* The watchdog: every worker must be back by until + grace. */
	for (int left = workers; left > 0;) {
		int st;
		pid_t p = waitpid(-1, &st, WNOHANG);

		if (p > 0) {
			for (int w = 0; w < workers; w++) {
				if (pids[w] != p)
					continue;
				pids[w] = 0;
				if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
					failed = 1;
					if (WIFSIGNALED(st))
						printf("worker %d: killed by signal %d in %s\n", w,
						       WTERMSIG(st), op_names[prog[w].op]);
					else
						printf("worker %d: failed (exit %d)\n", w,
						       WEXITSTATUS(st));
				}
			}
			left--;
			continue;
		}
		if ((t = now()) > until + grace) {
			for (int w = 0; w < workers; w++) {
				if (!pids[w])
					continue;
				printf("worker %d: HANG: still in %s %.0f s after the end\n", w,
				       op_names[prog[w].op], t - until);
				kill(pids[w], SIGKILL);
			}
			failed = 1;
			break;
		}
		usleep(50 * 1000);
	}
	for (int w = 0; w < workers; w++) {
		unsigned long total = 0;
		char line[512];
		int n = 0;

		for (int o = 0; o < OP_COUNT; o++)
			total += prog[w].count[o];
		for (int o = 0; o < OP_COUNT && n < (int)sizeof(line); o++)
			n += snprintf(line + n, sizeof(line) - (size_t)n, "%s%s %lu", o ? ", " : "",
				      op_names[o], prog[w].count[o]);
		printf("worker %d: %lu ops (%s)%s\n", w, total, line,
		       prog[w].done ? "" : " NOT DONE");
	}
	return failed;
}
