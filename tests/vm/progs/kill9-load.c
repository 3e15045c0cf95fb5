/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * One application workload on the mount while its daemon is killed and
 * restarted (the systemd boot's kill9-cycles-under-load), until SIGTERM:
 *
 *   kill9-load churn DIR        create (O_EXCL), write 4 KiB, close, rename,
 *                               unlink, over and over
 *   kill9-load stat DIR         stat of DIR, then opendir + readdir of it
 *   kill9-load reader FILE SALT FILE opened once and kept open; pread of
 *                               64 KiB at a time, compared with the SALT
 *                               pattern (vmtest.h's vm_byte)
 *   kill9-load map FILE         FILE mapped MAP_SHARED; per call a store and
 *                               a load of a (seq, page) word, in turn over
 *                               the pages; at the end every page checked and
 *                               the mapping compared with a fresh read
 *
 * Every call is timed (CLOCK_MONOTONIC) and a failure counted with its
 * errno. A file or a stat of DIR on another device than DIR had at the
 * start counts as failed too (UNMOUNTED: the mount was replaced or gone).
 * At SIGTERM it prints one line
 *   load KIND calls=N failed=F enotconn=E mismatches=M longest_ms=L
 *        longest_op=OP stalls=S stall_median_ms=X first=OP:ERRNO,...
 * (stalls: calls that took over 100 ms, about one a daemon restart) and
 * exits 0; 2 on a usage error, 1 when it cannot start.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/mman.h>

#include "vmtest.h"

#define STALL_MS 100.0
#define MAX_STALLS 4096

static volatile sig_atomic_t stop;
static const char *kind;
static unsigned long calls, failed, enotconn, mismatches;
static double longest;
static const char *longest_op = "-";
static double stalls[MAX_STALLS];
static unsigned nstalls;
static char first[256];

static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void record(const char *op, double t0)
{
	double d = now_ms() - t0;

	calls++;
	if (d > longest) {
		longest = d;
		longest_op = op;
	}
	if (d > STALL_MS && nstalls < MAX_STALLS)
		stalls[nstalls++] = d;
}

/* A failed call: errno name, or name (UNMOUNTED). */
static void failure(const char *op, int err, const char *name)
{
	size_t len = strlen(first);

	failed++;
	if (err == ENOTCONN)
		enotconn++;
	if (!name)
		name = strerrorname_np(err) ? strerrorname_np(err) : "?";
	if (failed <= 5)
		snprintf(first + len, sizeof(first) - len, "%s%s:%s", len ? "," : "", op, name);
}

/* Between the rounds: the CPU to the daemon and to systemd (the guest has
 * one vCPU under TCG: with 2 ms pauses, four workloads and fio made each
 * restart take 15-30 s), longer after a failure so that a dead mount is
 * not spun on. */
#define PAUSE_MS 20
static void pause_ms(int ms)
{
	struct timespec ts = { 0, ms * 1000000L };

	nanosleep(&ts, NULL);
}

#define CALL(op, expr)                        \
	({                                    \
		double t0_ = now_ms();        \
		__typeof__(expr) r_ = (expr); \
		int e_ = errno;               \
		record(op, t0_);              \
		errno = e_;                   \
		r_;                           \
	})

static dev_t dir_dev;

static bool bare(const char *op, dev_t dev)
{
	if (dev == dir_dev)
		return false;
	failure(op, 0, "UNMOUNTED");
	return true;
}

static void churn(const char *dir)
{
	static uint8_t data[4096];
	char a[4096], b[4096];
	unsigned long i = 0;
	struct stat st;

	memset(data, 0xa5, sizeof(data));
	while (!stop) {
		int fd;
		bool ok;

		snprintf(a, sizeof(a), "%s/churn-%d-%lu-a", dir, (int)getpid(), i);
		snprintf(b, sizeof(b), "%s/churn-%d-%lu-b", dir, (int)getpid(), i);
		i++;
		fd = CALL("create", open(a, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600));
		if (fd < 0) {
			failure("create", errno, NULL);
			pause_ms(5 * PAUSE_MS);
			continue;
		}
		if (fstat(fd, &st) == 0 && bare("create", st.st_dev)) {
			close(fd);
			unlink(a);
			pause_ms(5 * PAUSE_MS);
			continue;
		}
		ok = CALL("write", write(fd, data, sizeof(data))) == (ssize_t)sizeof(data);
		if (!ok)
			failure("write", errno, NULL);
		if (CALL("close", close(fd)) < 0) {
			failure("close", errno, NULL);
			ok = false;
		}
		if (ok && CALL("rename", rename(a, b)) < 0) {
			failure("rename", errno, NULL);
			ok = false;
		}
		if (ok && CALL("unlink", unlink(b)) < 0) {
			failure("unlink", errno, NULL);
			ok = false;
		}
		pause_ms(ok ? PAUSE_MS : 5 * PAUSE_MS);
	}
}

static void stat_loop(const char *dir)
{
	struct stat st;

	while (!stop) {
		struct dirent *e;
		DIR *d;
		int err;

		if (CALL("stat", stat(dir, &st)) < 0) {
			failure("stat", errno, NULL);
			pause_ms(5 * PAUSE_MS);
			continue;
		}
		if (bare("stat", st.st_dev)) {
			pause_ms(5 * PAUSE_MS);
			continue;
		}
		d = CALL("opendir", opendir(dir));
		if (!d) {
			failure("opendir", errno, NULL);
			pause_ms(5 * PAUSE_MS);
			continue;
		}
		do {
			errno = 0;
			e = CALL("readdir", readdir(d));
		} while (e);
		err = errno;
		if (err)
			failure("readdir", err, NULL);
		closedir(d);
		pause_ms(err ? 5 * PAUSE_MS : PAUSE_MS);
	}
}

static void reader(const char *file, uint32_t salt)
{
	static uint8_t buf[65536], want[65536];
	off_t off = 0;
	struct stat st;
	int fd = open(file, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || fstat(fd, &st) < 0 || st.st_size < (off_t)sizeof(buf))
		vm_fail("reader: open %s: %s", file, fd < 0 ? strerror(errno) : "too small");
	while (!stop) {
		ssize_t n = CALL("pread", pread(fd, buf, sizeof(buf), off));

		if (n != (ssize_t)sizeof(buf)) {
			failure("pread", n < 0 ? errno : EIO, n < 0 ? NULL : "SHORT");
			pause_ms(5 * PAUSE_MS);
			continue;
		}
		for (size_t i = 0; i < sizeof(want); i++)
			want[i] = vm_byte((size_t)off + i, salt);
		if (memcmp(buf, want, sizeof(buf)))
			mismatches++;
		off = (off + (off_t)sizeof(buf)) % (st.st_size - st.st_size % (off_t)sizeof(buf));
		pause_ms(PAUSE_MS / 2);
	}
	close(fd);
}

static void map_loop(const char *file)
{
	uint64_t seq = 0, *last;
	size_t size, pages, page = (size_t)sysconf(_SC_PAGESIZE);
	struct stat st;
	uint8_t *m, *back;
	int fd = open(file, O_RDWR | O_CLOEXEC);

	if (fd < 0 || fstat(fd, &st) < 0)
		vm_fail("map: open %s: %s", file, strerror(errno));
	size = (size_t)st.st_size;
	pages = size / page;
	m = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	last = calloc(pages, sizeof(*last));
	back = malloc(size);
	if (m == MAP_FAILED || !last || !back || !pages)
		vm_fail("map: mmap %s: %s", file, strerror(errno));
	close(fd);
	while (!stop) {
		size_t p = ++seq % pages;
		uint64_t *w = (uint64_t *)(m + p * page);
		double t0 = now_ms();

		w[0] = seq;
		w[1] = p;
		if (w[0] != seq || w[1] != p)
			mismatches++;
		record("store+load", t0);
		last[p] = seq;
		pause_ms(PAUSE_MS / 4);
	}
	for (size_t p = 0; p < pages; p++) {
		uint64_t *w = (uint64_t *)(m + p * page);

		if (last[p] && (w[0] != last[p] || w[1] != p))
			mismatches++;
	}
	/* A fresh open reads what the mapping holds: it is still the file's
	 * buffer. Written back first where the mapping is the page cache. */
	msync(m, size, MS_SYNC);
	fd = open(file, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || pread(fd, back, size, 0) != (ssize_t)size)
		failure("final-read", errno, NULL);
	else if (memcmp(back, m, size)) {
		mismatches++;
		failure("final-read", 0, "DIFFERS");
	}
	if (fd >= 0)
		close(fd);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static int usage(void)
{
	fprintf(stderr, "usage: kill9-load churn|stat DIR | reader FILE SALT | map FILE\n");
	return 2;
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_term };
	struct stat st;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 3)
		return usage();
	kind = argv[1];
	/* No SA_RESTART: a call waiting for the daemon is not cut short by
	 * it (FUSE waits for its answer), the loop just ends after it. */
	sigaction(SIGTERM, &sa, NULL);
	if (stat(argv[2], &st) < 0)
		vm_fail("%s: %s", argv[2], strerror(errno));
	dir_dev = st.st_dev;
	if (!strcmp(kind, "churn") && argc == 3)
		churn(argv[2]);
	else if (!strcmp(kind, "stat") && argc == 3)
		stat_loop(argv[2]);
	else if (!strcmp(kind, "reader") && argc == 4)
		reader(argv[2], (uint32_t)strtoul(argv[3], NULL, 0));
	else if (!strcmp(kind, "map") && argc == 3)
		map_loop(argv[2]);
	else
		return usage();
	qsort(stalls, nstalls, sizeof(*stalls), cmp_double);
	printf("load %s calls=%lu failed=%lu enotconn=%lu mismatches=%lu longest_ms=%.0f "
	       "longest_op=%s stalls=%u stall_median_ms=%.0f first=%s\n",
	       kind, calls, failed, enotconn, mismatches, longest, longest_op, nstalls,
	       nstalls ? stalls[nstalls / 2] : 0.0, first[0] ? first : "-");
	return 0;
}
