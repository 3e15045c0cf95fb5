/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * dmabuffs-bench: throughput of a buffer file against the memory behind it,
 * measured in one run on the same buffer (issue 4).
 *
 * By default it starts its own daemon (backend=memfd) on a temporary mount
 * with its own control socket, creates one buffer, and measures:
 *
 *   - the limit: memcpy from the daemon-independent mapping of the buffer
 *     (dmabuffs_export() + mmap), and read() of a same-sized tmpfs file;
 *   - sequential read() and write() at 128 KiB, 1 MiB and 4 MiB, cold,
 *     through the page cache and with O_DIRECT;
 *   - mmap of the buffer file, every byte read, cold and warm;
 *   - random 4 KiB pread, 1 and 2 threads;
 *   - the I/O accessor shim against memcpy on ordinary memory;
 *   - the daemon's resident size with 1,000 buffers published, before any
 *     I/O and after the I/O figures, without the buffers' own mappings.
 *
 * Every figure is the median of --runs passes (default 5) with min and max,
 * and a ratio to the limit measured in the same run (sampled at the start
 * and after each group, median of all samples). Reads go into (and writes
 * come from) one cache-hot block by default, as with dd or cat, and the
 * limit is memcpy in 1 MiB pieces into one pre-faulted 1 MiB block: the
 * way the reference figures (memcpy 16.3 GB/s) were measured, and the
 * stricter limit. --dst full moves every byte to or from a whole-size
 * destination instead, both sides in DRAM. Output: a table, then one line per figure for
 * scripts:
 *
 *   BENCH name=ID value=MEDIAN unit=U min=.. max=.. ratio=.. target=.. \
 *         status=pass|miss|info|error ref=limit|memcpy_ram|na
 *
 * status=error means the data read or written was wrong: the figure is
 * worthless. Targets are reported, never asserted: the exit status is 0
 * unless the benchmark itself could not run.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dmabuffs/client.h>
#include <dmabuffs/map.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <linux/magic.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef BENCH_DAEMON_PATH
#define BENCH_DAEMON_PATH "dmabuffs"
#endif

#define MiB (1024.0 * 1024.0)
#define PAGE 4096u
#define MAX_RUNS 101
#define MAX_FIGURES 64
#define SHIM_SIZE_MAX (64u << 20)
#define MEM_BUFFERS 1000

/* ------------------------------------------------------------ options */

static struct {
	size_t size;
	int runs;
	const char *daemon;
	const char *daemon_opts;
	const char *mount;
	const char *file;
	const char *control;
	pid_t pid;
	double rand_time;
	bool read_only;
	bool dst_block;
	bool no_targets;
	char only[256];
} opt = {
	.size = 256u << 20,
	.runs = 5,
	.daemon = BENCH_DAEMON_PATH,
	.rand_time = 0.4,
	.dst_block = true,
};

static bool group_on(const char *g)
{
	char buf[sizeof(opt.only)], *save = NULL;

	if (!opt.only[0])
		return true;
	snprintf(buf, sizeof(buf), "%s", opt.only);
	for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save))
		if (!strcmp(t, g))
			return true;
	return false;
}

/* ------------------------------------------------------------ helpers */

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void cleanup(void);

static void die(const char *fmt, ...)
{
	va_list ap;

	fputs("dmabuffs-bench: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	cleanup();
	exit(EXIT_FAILURE);
}

static void note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void note(const char *fmt, ...)
{
	va_list ap;

	fputs("# ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void sleep_s(double s)
{
	struct timespec ts = { (time_t)s, (long)((s - (double)(time_t)s) * 1e9) };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* Page-aligned (O_DIRECT wants it; the shim's fast paths too) and
 * pre-faulted, so the first timed pass does not pay for page faults. */
static void *alloc_buf(size_t size, int fill)
{
	void *p = aligned_alloc(PAGE, (size + PAGE - 1) / PAGE * PAGE);

	if (!p)
		die("out of memory (%zu bytes)", size);
	memset(p, fill, size);
	return p;
}

static void fill_pattern(void *p, size_t size, uint64_t seed)
{
	uint64_t *q = p, x = seed | 1;

	for (size_t i = 0; i < size / 8; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		q[i] = x;
	}
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* ------------------------------------------------------------ figures */

enum target_kind {
	T_NONE,
	T_RATIO_GE,
	T_VALUE_GE,
	T_VALUE_LE
};

struct figure {
	char name[40];
	char label[64];
	const char *unit;
	double med, min, max;
	double ratio; /* to the reference, < 0 when not meaningful */
	const char *ref;
	enum target_kind tk;
	double target;
	bool error; /* the data was wrong */
	bool skipped;
	char why[96];
};

static struct figure figs[MAX_FIGURES];
static int nfigs;
static double limit_gbs;	 /* memcpy from the exported mapping */
static double ram_gbs;		 /* memcpy on ordinary memory (the shim's reference) */
static struct figure *limit_fig; /* NULL when the limit group is not shown */
static int nlimit;		 /* samples of the limit */

static struct figure *fig_add(const char *name, const char *label, const char *unit,
			      enum target_kind tk, double target)
{
	struct figure *f;

	if (nfigs == MAX_FIGURES)
		die("too many figures");
	f = &figs[nfigs++];
	memset(f, 0, sizeof(*f));
	/* --no-targets: figures of a machine the targets are not about (the
	 * VM tier's TCG guest), reported as info only. */
	if (opt.no_targets)
		tk = T_NONE;
	snprintf(f->name, sizeof(f->name), "%s", name);
	snprintf(f->label, sizeof(f->label), "%s", label);
	f->unit = unit;
	f->tk = tk;
	f->target = target;
	f->ratio = -1;
	f->ref = "na";
	return f;
}

static void fig_skip(struct figure *f, const char *why)
{
	f->skipped = true;
	snprintf(f->why, sizeof(f->why), "%s", why);
}

static void fig_set(struct figure *f, double *v, int n, const char *ref)
{
	if (n <= 0) {
		fig_skip(f, "no sample");
		return;
	}
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	f->min = v[0];
	f->max = v[n - 1];
	f->med = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
	f->ref = ref ? ref : "na";
}

/* Ratios once every reference is known (the limit is sampled all along). */
static void fig_ratios(void)
{
	for (int i = 0; i < nfigs; i++) {
		struct figure *f = &figs[i];

		f->ratio = -1;
		if (f->skipped)
			continue;
		if (!strcmp(f->ref, "limit") && limit_gbs > 0)
			f->ratio = f->med / limit_gbs;
		else if (!strcmp(f->ref, "memcpy_ram") && ram_gbs > 0)
			f->ratio = f->med / ram_gbs;
		else
			f->ref = "na";
	}
}

static const char *fig_status(const struct figure *f)
{
	if (f->skipped)
		return "skip";
	if (f->error)
		return "error";
	switch (f->tk) {
	case T_RATIO_GE:
		if (f->ratio < 0)
			return "info";
		return f->ratio >= f->target ? "pass" : "miss";
	case T_VALUE_GE:
		return f->med >= f->target ? "pass" : "miss";
	case T_VALUE_LE:
		return f->med <= f->target ? "pass" : "miss";
	default:
		return "info";
	}
}

static void fmt_value(char *buf, size_t n, double v, const char *unit)
{
	if (!strcmp(unit, "ops/s"))
		snprintf(buf, n, "%.0f", v);
	else if (!strcmp(unit, "MiB"))
		snprintf(buf, n, "%.1f", v);
	else
		snprintf(buf, n, "%.2f", v);
}

static void fmt_target(char *buf, size_t n, const struct figure *f)
{
	switch (f->tk) {
	case T_RATIO_GE:
		snprintf(buf, n, ">=%.2fx", f->target);
		break;
	case T_VALUE_GE:
		snprintf(buf, n, ">=%.0fk", f->target / 1000);
		break;
	case T_VALUE_LE:
		snprintf(buf, n, "<=%.0f", f->target);
		break;
	default:
		snprintf(buf, n, "-");
	}
}

static void print_results(void)
{
	char med[32], mn[32], mx[32], ratio[16], tgt[16];

	printf("\n%-20s %-40s %10s %10s %10s %-6s %6s %8s %s\n", "figure", "what", "median", "min",
	       "max", "unit", "ratio", "target", "status");
	for (int i = 0; i < nfigs; i++) {
		const struct figure *f = &figs[i];

		fmt_target(tgt, sizeof(tgt), f);
		if (f->skipped) {
			printf("%-20s %-40s %10s %10s %10s %-6s %6s %8s SKIP (%s)\n", f->name,
			       f->label, "-", "-", "-", f->unit, "-", tgt, f->why);
			continue;
		}
		fmt_value(med, sizeof(med), f->med, f->unit);
		fmt_value(mn, sizeof(mn), f->min, f->unit);
		fmt_value(mx, sizeof(mx), f->max, f->unit);
		if (f->ratio >= 0)
			snprintf(ratio, sizeof(ratio), "%.2fx", f->ratio);
		else
			snprintf(ratio, sizeof(ratio), "-");
		printf("%-20s %-40s %10s %10s %10s %-6s %6s %8s %s%s%s%s\n", f->name, f->label, med,
		       mn, mx, f->unit, ratio, tgt, fig_status(f), f->why[0] ? " (" : "", f->why,
		       f->why[0] ? ")" : "");
	}
	if (!limit_fig)
		printf("# limit_memcpy (reference, not shown): %.2f GB/s, %d samples\n", limit_gbs,
		       nlimit);
	printf("\nratio: to the memcpy limit of this run (limit_memcpy), or for shim_* to\n"
	       "memcpy on ordinary memory (memcpy_ram). GB/s = 1e9 bytes/s.\n\n");
	for (int i = 0; i < nfigs; i++) {
		const struct figure *f = &figs[i];
		char t[32];

		if (f->tk == T_NONE)
			snprintf(t, sizeof(t), "na");
		else
			snprintf(t, sizeof(t), "%g", f->target);
		if (f->skipped) {
			printf("BENCH name=%s value=na unit=%s min=na max=na ratio=na target=%s "
			       "status=skip ref=na\n",
			       f->name, f->unit, t);
			continue;
		}
		fmt_value(med, sizeof(med), f->med, f->unit);
		fmt_value(mn, sizeof(mn), f->min, f->unit);
		fmt_value(mx, sizeof(mx), f->max, f->unit);
		if (f->ratio >= 0)
			snprintf(ratio, sizeof(ratio), "%.3f", f->ratio);
		else
			snprintf(ratio, sizeof(ratio), "na");
		printf("BENCH name=%s value=%s unit=%s min=%s max=%s ratio=%s target=%s "
		       "status=%s ref=%s\n",
		       f->name, med, f->unit, mn, mx, ratio, t, fig_status(f), f->ref);
	}
	fflush(stdout);
}

/* ------------------------------------------------------------ the daemon */

static char tmpdir[64];
static char mnt[PATH_MAX];
static char ctl_path[96];
static char log_path[96];
static char buf_path[PATH_MAX + 32];
static char tmpfs_path[PATH_MAX];
static volatile pid_t daemon_pid;
static bool own_daemon;
static bool own_buffer;

static bool is_mounted(const char *path)
{
	FILE *f = fopen("/proc/self/mounts", "re");
	char line[4096];
	bool found = false;

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		char *sp = strchr(line, ' '), *end;

		if (!sp)
			continue;
		end = strchr(sp + 1, ' ');
		if (end && (size_t)(end - sp - 1) == strlen(path) &&
		    !strncmp(sp + 1, path, strlen(path)))
			found = true;
	}
	fclose(f);
	return found;
}

/* Async-signal-safe: also run from the signal handler. */
static void stop_daemon(void)
{
	pid_t pid = daemon_pid;
	int st;

	if (pid > 0) {
		kill(pid, SIGTERM);
		for (int i = 0; i < 100; i++) {
			struct timespec ts = { 0, 50 * 1000 * 1000 };

			if (waitpid(pid, &st, WNOHANG) == pid)
				break;
			if (i == 99) {
				kill(pid, SIGKILL);
				waitpid(pid, &st, 0);
			}
			nanosleep(&ts, NULL);
		}
		daemon_pid = 0;
	}
	if (own_daemon && mnt[0])
		umount2(mnt, MNT_DETACH); /* a no-op after a clean SIGTERM */
}

static void cleanup(void)
{
	if (tmpfs_path[0])
		unlink(tmpfs_path);
	if (own_buffer && buf_path[0])
		unlink(buf_path);
	stop_daemon();
	if (own_daemon && tmpdir[0]) {
		if (is_mounted(mnt))
			return; /* never remove anything under a live mount */
		rmdir(mnt);
		unlink(ctl_path);
		unlink(log_path);
		rmdir(tmpdir);
	}
}

static void on_signal(int sig)
{
	if (tmpfs_path[0])
		unlink(tmpfs_path);
	if (own_buffer && buf_path[0])
		unlink(buf_path);
	stop_daemon();
	if (own_daemon && tmpdir[0]) {
		rmdir(mnt);
		unlink(ctl_path);
		unlink(log_path);
		rmdir(tmpdir);
	}
	_exit(128 + sig);
}

static void show_log(void)
{
	char line[512];
	FILE *f = fopen(log_path, "re");

	if (!f)
		return;
	fprintf(stderr, "--- daemon log (%s):\n", log_path);
	while (fgets(line, sizeof(line), f))
		fprintf(stderr, "    %s", line);
	fclose(f);
}

static void start_daemon(void)
{
	char o[4096];
	pid_t pid;
	double t0;

	snprintf(tmpdir, sizeof(tmpdir), "/tmp/dmabuffs-bench.XXXXXX");
	if (!mkdtemp(tmpdir))
		die("mkdtemp: %s", strerror(errno));
	own_daemon = true;
	snprintf(mnt, sizeof(mnt), "%s/mnt", tmpdir);
	snprintf(ctl_path, sizeof(ctl_path), "%s/control", tmpdir);
	snprintf(log_path, sizeof(log_path), "%s/daemon.log", tmpdir);
	if (mkdir(mnt, 0755) < 0)
		die("mkdir %s: %s", mnt, strerror(errno));
	snprintf(o, sizeof(o), "backend=memfd,control=%s%s%s", ctl_path, opt.daemon_opts ? "," : "",
		 opt.daemon_opts ? opt.daemon_opts : "");
	note("daemon: %s -f -o %s %s", opt.daemon, o, mnt);

	pid = fork();
	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (pid == 0) {
		int fd = open(log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

		if (fd >= 0) {
			dup2(fd, STDOUT_FILENO);
			dup2(fd, STDERR_FILENO);
		}
		signal(SIGINT, SIG_DFL);
		execlp(opt.daemon, opt.daemon, "-f", "-o", o, mnt, (char *)NULL);
		fprintf(stderr, "exec %s: %s\n", opt.daemon, strerror(errno));
		_exit(127);
	}
	daemon_pid = pid;

	for (t0 = now(); !is_mounted(mnt); sleep_s(0.02)) {
		int st;

		if (waitpid(pid, &st, WNOHANG) == pid) {
			daemon_pid = 0;
			show_log();
			die("the daemon exited before mounting");
		}
		if (now() - t0 > 10) {
			show_log();
			die("the daemon did not mount %s within 10 s", mnt);
		}
	}
	for (t0 = now(); access(ctl_path, F_OK) < 0 && now() - t0 < 5; sleep_s(0.02))
		;
	setenv("DMABUFFS_CONTROL", ctl_path, 1);
}

/* ------------------------------------------------------------ the buffer */

static void *xmap; /* the daemon-independent mapping (dmabuffs_export) */
static void *src;  /* pattern, source of writes */
static void *dst;  /* destination of reads */
static size_t size;

static void drop_cache(int fd)
{
	/* The daemon does not set keep_cache, so open() already dropped the
	 * pages; this makes "cold" independent of that decision. */
	posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
}

static int open_buf(int flags)
{
	int fd = open(buf_path, flags | O_CLOEXEC);

	if (fd < 0)
		die("open %s%s: %s", buf_path, flags & O_DIRECT ? " (O_DIRECT)" : "",
		    strerror(errno));
	drop_cache(fd);
	return fd;
}

static void setup_buffer(void)
{
	struct stat st;
	int fd;

	if (opt.file) {
		snprintf(buf_path, sizeof(buf_path), "%s", opt.file);
	} else {
		snprintf(buf_path, sizeof(buf_path), "%s/bench-%d", mnt, (int)getpid());
		fd = open(buf_path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd < 0)
			die("create %s: %s", buf_path, strerror(errno));
		own_buffer = true;
		if (ftruncate(fd, (off_t)opt.size) < 0)
			die("truncate %s to %zu: %s", buf_path, opt.size, strerror(errno));
		close(fd);
	}
	if (stat(buf_path, &st) < 0)
		die("stat %s: %s", buf_path, strerror(errno));
	size = (size_t)st.st_size / PAGE * PAGE;
	if (opt.file && opt.size < size && opt.size)
		size = opt.size / PAGE * PAGE;
	/* Our own buffer is at least 4 MiB (main); an existing one may be
	 * smaller, down to 1 MiB (a 1280x800 scanout buffer has 3.9 MiB):
	 * the 4 MiB figures then read or write it whole in one call. */
	if (size < (opt.file ? (1u << 20) : (4u << 20)))
		die("%s: %zu bytes, need at least %s", buf_path, size,
		    opt.file ? "1 MiB" : "4 MiB");

	src = alloc_buf(size, 0);
	fill_pattern(src, size, 0x9e3779b97f4a7c15ull);
	dst = alloc_buf(size, 0);

	fd = dmabuffs_export(buf_path);
	if (fd < 0) {
		note("dmabuffs_export(%s): %s (%s): no limit from the buffer's own mapping",
		     buf_path, strerror(-fd), dmabuffs_last_error());
	} else {
		xmap = mmap(NULL, size, PROT_READ | (opt.read_only ? 0 : PROT_WRITE), MAP_SHARED,
			    fd, 0);
		if (xmap == MAP_FAILED) {
			note("mmap of the exported fd: %s", strerror(errno));
			xmap = NULL;
		}
		close(fd);
	}
	/* The buffer holds the pattern from now on (writes write it again):
	 * every read pass is checked against it. */
	if (xmap && !opt.read_only) {
		memcpy(xmap, src, size);
	} else if (!opt.read_only) {
		fd = open_buf(O_WRONLY);
		for (size_t off = 0; off < size;) {
			ssize_t n = pwrite(fd, (char *)src + off, size - off, (off_t)off);

			if (n <= 0)
				die("fill %s: %s", buf_path, n < 0 ? strerror(errno) : "short");
			off += (size_t)n;
		}
		close(fd);
	}
}

/* ------------------------------------------------------------ the limit */

/* --dst block (the default): reads land in (and writes come from) one
 * block-sized buffer that stays in the CPU caches, as with dd or cat; the
 * limit copies the buffer in 1 MiB pieces into one 1 MiB destination.
 * --dst full: every pass moves the whole buffer to or from a whole-size
 * destination, both sides in DRAM, the limit included. */
#define LIMIT_CHUNK (1u << 20)

static char *dpos(size_t off)
{
	return (char *)dst + (opt.dst_block ? 0 : off);
}

static const char *spos(size_t off, size_t bs)
{
	return (const char *)src + (opt.dst_block ? off % bs : off);
}

/* What the buffer holds: the pattern, or (read-only) whatever it held. */
static const void *expected(void)
{
	return opt.read_only ? xmap : src;
}

static double copy_pass(const void *from)
{
	double t = now();

	if (opt.dst_block) {
		for (size_t off = 0; off < size; off += LIMIT_CHUNK) {
			size_t n = size - off < LIMIT_CHUNK ? size - off : LIMIT_CHUNK;

			memcpy(dst, (const char *)from + off, n);
			/* the compiler must not drop all but the last copy */
			__asm__ volatile("" : : "r"(dst) : "memory");
		}
	} else {
		memcpy(dst, from, size);
	}
	return (double)size / (now() - t) / 1e9;
}

/* The limit is sampled --runs times at the start and once more after
 * each group of figures, and the median of all samples is the reference:
 * on a shared machine a burst of load at the start would otherwise skew
 * every ratio of the run. */
static double limit_pool[MAX_RUNS + 16];

static void limit_sample(int n)
{
	const void *from = xmap ? xmap : src;

	for (int i = 0; i < n && nlimit < (int)(sizeof(limit_pool) / sizeof(limit_pool[0])); i++)
		limit_pool[nlimit++] = copy_pass(from);
}

static void bench_limit(bool show)
{
	if (show) {
		limit_fig = fig_add("limit_memcpy", "memcpy from the exported mapping", "GB/s",
				    T_NONE, 0);
		/* Without the buffer's own mapping, ordinary memory stands in
		 * (said so), so that ratios still mean something. */
		if (!xmap)
			snprintf(limit_fig->why, sizeof(limit_fig->why),
				 "no export: ordinary memory");
	}
	copy_pass(xmap ? xmap : src); /* fault the mapping in */
	limit_sample(opt.runs);
}

static void limit_finish(void)
{
	double v[sizeof(limit_pool) / sizeof(limit_pool[0])];
	struct figure tmp;

	memcpy(v, limit_pool, sizeof(double) * (size_t)nlimit);
	memset(&tmp, 0, sizeof(tmp));
	fig_set(limit_fig ? limit_fig : &tmp, v, nlimit, "limit");
	limit_gbs = limit_fig ? limit_fig->med : tmp.med;
	if (limit_fig && !limit_fig->why[0])
		snprintf(limit_fig->why, sizeof(limit_fig->why), "%d samples", nlimit);
}

static void bench_tmpfs(void)
{
	struct figure *f =
		fig_add("limit_tmpfs_read", "read() of a tmpfs file, 1 MiB", "GB/s", T_NONE, 0);
	double v[MAX_RUNS];
	struct statfs sf;
	int fd;

	if (statfs("/dev/shm", &sf) < 0 || sf.f_type != TMPFS_MAGIC) {
		fig_skip(f, "/dev/shm is not a tmpfs");
		return;
	}
	snprintf(tmpfs_path, sizeof(tmpfs_path), "/dev/shm/dmabuffs-bench.%d", (int)getpid());
	fd = open(tmpfs_path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		fig_skip(f, "cannot create /dev/shm file");
		tmpfs_path[0] = 0;
		return;
	}
	for (size_t off = 0; off < size;) {
		ssize_t n = pwrite(fd, (char *)src + off, size - off, (off_t)off);

		if (n <= 0) {
			fig_skip(f, "cannot fill /dev/shm file");
			goto out;
		}
		off += (size_t)n;
	}
	for (int r = 0; r < opt.runs; r++) {
		double t = now();

		for (size_t off = 0; off < size;) {
			ssize_t n = pread(fd, dpos(off), 1u << 20, (off_t)off);

			if (n <= 0)
				die("read tmpfs: %s", n < 0 ? strerror(errno) : "short");
			off += (size_t)n;
		}
		v[r] = (double)size / (now() - t) / 1e9;
	}
	fig_set(f, v, opt.runs, "limit");
out:
	close(fd);
	unlink(tmpfs_path);
	tmpfs_path[0] = 0;
}

/* ------------------------------------------------------------ sequential */

static const struct {
	size_t bs;
	const char *id;
} blocks[] = { { 128u << 10, "128k" }, { 1u << 20, "1m" }, { 4u << 20, "4m" } };

/* One cold pass over the whole file: GB/s, or -errno when it cannot be
 * opened. into_full puts the data at its offset in dst, for the check. */
static double read_pass(const char *name, bool direct, size_t bs, bool into_full)
{
	double t;
	int fd;

	fd = open(buf_path, O_RDONLY | O_CLOEXEC | (direct ? O_DIRECT : 0));
	if (fd < 0)
		return -errno;
	drop_cache(fd);
	memset(dst, 0, PAGE); /* so that a short read cannot pass the check */
	t = now();
	for (size_t off = 0; off < size;) {
		size_t want = size - off < bs ? size - off : bs;
		ssize_t n = read(fd, into_full ? (char *)dst + off : dpos(off), want);

		if (n <= 0)
			die("%s: read at %zu: %s", name, off, n < 0 ? strerror(errno) : "short");
		off += (size_t)n;
	}
	t = now() - t;
	close(fd);
	return (double)size / t / 1e9;
}

static void bench_seq_read(bool direct)
{
	for (size_t b = 0; b < sizeof(blocks) / sizeof(blocks[0]); b++) {
		size_t bs = blocks[b].bs;
		char name[40], label[64], why[64];
		double v[MAX_RUNS], r0 = 0;
		bool bad = false;
		struct figure *f;
		double target = 0;

		if (bs == (1u << 20))
			target = direct ? 0.38 : 0.21;
		snprintf(name, sizeof(name), "read_%s_%s", direct ? "direct" : "pc", blocks[b].id);
		snprintf(label, sizeof(label), "seq read() %s, %s, cold",
			 direct ? "O_DIRECT" : "page cache", blocks[b].id);
		f = fig_add(name, label, "GB/s", target ? T_RATIO_GE : T_NONE, target);
		for (int r = 0; r < opt.runs && r0 >= 0; r++) {
			r0 = v[r] = read_pass(name, direct, bs, !opt.dst_block);
			if (r0 >= 0 && !opt.dst_block && expected() &&
			    memcmp(dst, expected(), size))
				bad = true;
		}
		/* Block mode overwrites one block: check one untimed pass. */
		if (r0 >= 0 && opt.dst_block && read_pass(name, direct, bs, true) >= 0 &&
		    expected() && memcmp(dst, expected(), size))
			bad = true;
		if (r0 < 0) {
			snprintf(why, sizeof(why), "open: %s", strerror((int)-r0));
			fig_skip(f, why);
			continue;
		}
		fig_set(f, v, opt.runs, "limit");
		if (bad) {
			f->error = true;
			snprintf(f->why, sizeof(f->why), "data read differs from the buffer");
		}
	}
}

/* Put the pattern back through the file when there is no mapping of our
 * own (--file without export). */
static void restore_pattern(void)
{
	int fd;

	if (xmap) {
		memcpy(xmap, src, size);
		return;
	}
	fd = open_buf(O_WRONLY);
	for (size_t off = 0; off < size;) {
		ssize_t n = pwrite(fd, (char *)src + off, size - off, (off_t)off);

		if (n <= 0)
			die("restore %s: %s", buf_path, n < 0 ? strerror(errno) : "short");
		off += (size_t)n;
	}
	close(fd);
}

static bool written_ok(size_t bs)
{
	if (!opt.dst_block)
		return !memcmp(xmap, src, size);
	for (size_t off = 0; off < size; off += bs) {
		size_t n = size - off < bs ? size - off : bs;

		if (memcmp((char *)xmap + off, src, n))
			return false;
	}
	return true;
}

static void bench_seq_write(bool direct)
{
	for (size_t b = 0; b < sizeof(blocks) / sizeof(blocks[0]); b++) {
		size_t bs = blocks[b].bs;
		char name[40], label[64];
		double v[MAX_RUNS];
		bool bad = false;
		struct figure *f;
		double target = bs == (1u << 20) ? 0.25 : 0;

		/* A plain O_WRONLY open, as dd of=, cp and `cat >` do; the
		 * daemon serves such opens with direct I/O (they cannot be
		 * mapped), so "plain" and O_DIRECT differ only in who asked. */
		snprintf(name, sizeof(name), "write_%s_%s", direct ? "direct" : "plain",
			 blocks[b].id);
		snprintf(label, sizeof(label), "seq write() %s, %s, cold",
			 direct ? "O_DIRECT" : "O_WRONLY", blocks[b].id);
		f = fig_add(name, label, "GB/s", target ? T_RATIO_GE : T_NONE, target);
		for (int r = 0; r < opt.runs; r++) {
			int fd;
			double t;

			/* Clear the buffer behind the daemon's back, so that
			 * the check after the pass proves this pass wrote it. */
			if (xmap)
				memset(xmap, 0, size);
			fd = open(buf_path, O_WRONLY | O_CLOEXEC | (direct ? O_DIRECT : 0));
			if (fd < 0) {
				char why[64];

				snprintf(why, sizeof(why), "open: %s", strerror(errno));
				fig_skip(f, why);
				break;
			}
			drop_cache(fd);
			t = now();
			for (size_t off = 0; off < size;) {
				size_t want = size - off < bs ? size - off : bs;
				ssize_t n = write(fd, spos(off, bs), want);

				if (n <= 0)
					die("%s: write at %zu: %s", name, off,
					    n < 0 ? strerror(errno) : "short");
				off += (size_t)n;
			}
			/* Counted: with a writeback cache the data would only
			 * reach the buffer here. */
			if (fsync(fd) < 0 && errno != ENOSYS && errno != EINVAL)
				die("%s: fsync: %s", name, strerror(errno));
			v[r] = (double)size / (now() - t) / 1e9;
			close(fd);
			if (xmap && !written_ok(bs))
				bad = true;
		}
		if (f->skipped)
			continue;
		fig_set(f, v, opt.runs, "limit");
		if (bad) {
			f->error = true;
			snprintf(f->why, sizeof(f->why), "buffer differs after the write");
		}
		if (!xmap && !f->error)
			snprintf(f->why, sizeof(f->why), "unverified");
	}
	/* Leave the pattern in place for whatever runs next. */
	restore_pattern();
}

/* ------------------------------------------------------------ mmap */

static void bench_mmap(void)
{
	struct figure *fc =
		fig_add("mmap_cold", "mmap, read every byte, cold", "GB/s", T_RATIO_GE, 0.17);
	struct figure *fw =
		fig_add("mmap_warm", "mmap, read every byte, warm (2nd)", "GB/s", T_RATIO_GE, 0.6);
	double vc[MAX_RUNS], vw[MAX_RUNS];
	bool bad = false, private = false;

	for (int r = 0; r < opt.runs; r++) {
		int fd = open_buf(O_RDONLY);
		void *p = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);

		if (p == MAP_FAILED && errno == ENODEV) {
			/* A direct-I/O file refuses MAP_SHARED (libfuse < 3.17
			 * cannot allow it); readers then use MAP_PRIVATE. */
			p = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
			private = true;
		}
		if (p == MAP_FAILED)
			die("mmap %s: %s", buf_path, strerror(errno));
		memset(dst, 0, PAGE);
		vc[r] = copy_pass(p);
		if (!opt.dst_block && expected() && memcmp(dst, expected(), size))
			bad = true;
		memset(dst, 0, PAGE);
		vw[r] = copy_pass(p);
		if (expected() && memcmp(opt.dst_block ? p : dst, expected(), size))
			bad = true;
		munmap(p, size);
		close(fd);
	}
	fig_set(fc, vc, opt.runs, "limit");
	fig_set(fw, vw, opt.runs, "limit");
	for (struct figure *f = fc; f <= fw; f++) {
		if (bad) {
			f->error = true;
			snprintf(f->why, sizeof(f->why), "data read differs from the buffer");
		} else if (private) {
			snprintf(f->why, sizeof(f->why), "MAP_SHARED refused: MAP_PRIVATE");
		}
	}
}

/* ------------------------------------------------------------ random */

struct rand_shared {
	int fd;
	const uint32_t *pages; /* a permutation of the buffer's pages */
	size_t npages;
	int nthreads;
	double deadline;
	pthread_barrier_t go;
	atomic_bool bad;
	atomic_int err;
};

struct rand_thread {
	struct rand_shared *s;
	int idx;
	uint64_t ops;
	double end;
	pthread_t tid;
};

static void *rand_worker(void *arg)
{
	struct rand_thread *t = arg;
	struct rand_shared *s = t->s;
	uint64_t *buf = aligned_alloc(PAGE, PAGE);
	size_t i = (size_t)t->idx;

	pthread_barrier_wait(&s->go);
	if (!buf) {
		atomic_store(&s->err, ENOMEM);
		goto out;
	}
	for (; i < s->npages; i += (size_t)s->nthreads) {
		off_t off = (off_t)s->pages[i] * PAGE;
		ssize_t n = pread(s->fd, buf, PAGE, off);

		if (n != PAGE) {
			atomic_store(&s->err, n < 0 ? errno : EIO);
			break;
		}
		/* One word per page, against the pattern: cheap, and
		 * catches a wrong page. */
		if (buf[7] != ((const uint64_t *)src)[(size_t)off / 8 + 7])
			atomic_store(&s->bad, true);
		t->ops++;
		if (!(t->ops & 63) && now() > s->deadline)
			break;
	}
out:
	t->end = now();
	free(buf);
	return NULL;
}

static void bench_random(bool direct)
{
	size_t npages = size / PAGE;
	uint32_t *pages = malloc(npages * sizeof(*pages));
	uint64_t x = 0x2545f4914f6cdd1dull;

	if (!pages)
		die("out of memory");
	for (int nthreads = 1; nthreads <= 2; nthreads++) {
		char name[40], label[64];
		double v[MAX_RUNS];
		bool bad = false;
		struct figure *f;

		snprintf(name, sizeof(name), "pread4k_%s_%dt", direct ? "direct" : "pc", nthreads);
		snprintf(label, sizeof(label), "random 4K pread %s, %d thread%s",
			 direct ? "O_DIRECT" : "page cache", nthreads, nthreads > 1 ? "s" : "");
		f = fig_add(name, label, "ops/s", T_VALUE_GE, nthreads == 1 ? 70000 : 160000);
		for (int r = 0; r < opt.runs; r++) {
			struct rand_shared s = { .npages = npages, .nthreads = nthreads };
			struct rand_thread th[2];
			uint64_t ops = 0;
			double start, end = 0;

			/* A fresh permutation per run: no page is read twice,
			 * so no read is served by the page cache. */
			for (size_t i = 0; i < npages; i++)
				pages[i] = (uint32_t)i;
			for (size_t i = npages - 1; i > 0; i--) {
				size_t j;
				uint32_t tmp;

				x ^= x << 13;
				x ^= x >> 7;
				x ^= x << 17;
				j = (size_t)(x % (i + 1));
				tmp = pages[i];
				pages[i] = pages[j];
				pages[j] = tmp;
			}
			s.pages = pages;
			s.fd = open_buf(O_RDONLY | (direct ? O_DIRECT : 0));
			pthread_barrier_init(&s.go, NULL, (unsigned int)nthreads + 1);
			for (int i = 0; i < nthreads; i++) {
				th[i] = (struct rand_thread){ .s = &s, .idx = i };
			}
			s.deadline = now() + 3600;
			for (int i = 0; i < nthreads; i++)
				if (pthread_create(&th[i].tid, NULL, rand_worker, &th[i]))
					die("pthread_create failed");
			start = now();
			s.deadline = start + opt.rand_time;
			pthread_barrier_wait(&s.go);
			for (int i = 0; i < nthreads; i++) {
				pthread_join(th[i].tid, NULL);
				ops += th[i].ops;
				if (th[i].end > end)
					end = th[i].end;
			}
			pthread_barrier_destroy(&s.go);
			close(s.fd);
			if (atomic_load(&s.err))
				die("%s: pread: %s", name, strerror(atomic_load(&s.err)));
			if (atomic_load(&s.bad) && !opt.read_only)
				bad = true;
			v[r] = (double)ops / (end - start);
		}
		fig_set(f, v, opt.runs, NULL);
		if (bad) {
			f->error = true;
			snprintf(f->why, sizeof(f->why), "a page read differs from the buffer");
		}
	}
	free(pages);
}

/* ------------------------------------------------------------ the shim */

static void bench_shim(void)
{
	size_t n = size < SHIM_SIZE_MAX ? size : SHIM_SIZE_MAX;
	bool avail = dmabuf_io_streaming_load_available();
	bool was = dmabuf_io_streaming_load_enabled();
	struct figure *f;
	double v[MAX_RUNS];

	f = fig_add("memcpy_ram", "memcpy, ordinary memory (shim ref)", "GB/s", T_NONE, 0);
	memcpy(dst, src, n);
	for (int r = 0; r < opt.runs; r++) {
		double t = now();

		memcpy(dst, src, n);
		v[r] = (double)n / (now() - t) / 1e9;
	}
	fig_set(f, v, opt.runs, "limit");
	ram_gbs = f->med;

	for (int dir = 0; dir < 2; dir++) {
		for (int stream = 1; stream >= 0; stream--) {
			char name[40], label[64];
			bool bad = false;

			snprintf(name, sizeof(name), "shim_%s_%s", dir ? "toio" : "fromio",
				 stream ? "stream" : "nostream");
			snprintf(label, sizeof(label), "shim %s on RAM, streaming load %s",
				 dir ? "toio" : "fromio", stream ? "on" : "off");
			f = fig_add(name, label, "GB/s", T_RATIO_GE, 0.5);
			dmabuf_io_set_streaming_load(stream);
			for (int r = 0; r < opt.runs; r++) {
				double t;

				memset(dst, 0, PAGE);
				t = now();
				if (dir)
					dmabuf_memcpy_toio(dst, src, n);
				else
					dmabuf_memcpy_fromio(dst, src, n);
				v[r] = (double)n / (now() - t) / 1e9;
				if (memcmp(dst, src, n))
					bad = true;
			}
			fig_set(f, v, opt.runs, "memcpy_ram");
			if (bad) {
				f->error = true;
				snprintf(f->why, sizeof(f->why), "copy differs");
			} else if (stream && !dir && !avail) {
				snprintf(f->why, sizeof(f->why), "no streaming loads on this CPU");
			} else if (dir) {
				snprintf(f->why, sizeof(f->why), "streaming load is read-only");
			}
		}
	}
	dmabuf_io_set_streaming_load(was);
}

/* ------------------------------------------------------------ memory */

struct rss {
	double vmrss;		  /* MiB */
	double anon, file, shmem; /* MiB: RssAnon, RssFile, RssShmem */
	double buffers;		  /* MiB: Rss of the buffers' own mappings */
	int nmaps;		  /* how many such mappings */
	int threads;
};

/* Buffer mappings: memfds ("/memfd:NAME (deleted)") on the memfd backend,
 * dma-bufs ("/dmabuf:NAME", "anon_inode:dmabuf") elsewhere. */
static bool is_buffer_mapping(const char *path)
{
	return !strncmp(path, "/memfd:", 7) || !strncmp(path, "/dmabuf:", 8) ||
	       !strncmp(path, "anon_inode:dmabuf", 17);
}

static int read_rss(pid_t pid, struct rss *out)
{
	char path[64], line[1024];
	bool inbuf = false;
	FILE *f;

	memset(out, 0, sizeof(*out));
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		unsigned long kb;

		if (sscanf(line, "VmRSS: %lu kB", &kb) == 1)
			out->vmrss = (double)kb / 1024;
		else if (sscanf(line, "RssAnon: %lu kB", &kb) == 1)
			out->anon = (double)kb / 1024;
		else if (sscanf(line, "RssFile: %lu kB", &kb) == 1)
			out->file = (double)kb / 1024;
		else if (sscanf(line, "RssShmem: %lu kB", &kb) == 1)
			out->shmem = (double)kb / 1024;
		else if (sscanf(line, "Threads: %lu", &kb) == 1)
			out->threads = (int)kb;
	}
	fclose(f);
	snprintf(path, sizeof(path), "/proc/%d/smaps", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		unsigned long kb;
		char *p, *save = NULL;

		if (sscanf(line, "Rss: %lu kB", &kb) == 1) {
			if (inbuf)
				out->buffers += (double)kb / 1024;
			continue;
		}
		/* A mapping header: "start-end perms offset dev inode path". */
		if (!strchr(line, '-'))
			continue;
		p = strtok_r(line, " ", &save);
		if (!p || strchr(p, ':'))
			continue;
		inbuf = false;
		for (int i = 0; i < 4 && p; i++)
			p = strtok_r(NULL, " \n", &save);
		p = p ? strtok_r(NULL, "\n", &save) : NULL;
		while (p && *p == ' ')
			p++;
		if (p && is_buffer_mapping(p)) {
			inbuf = true;
			out->nmaps++;
		}
	}
	fclose(f);
	return 0;
}

static pid_t find_daemon_pid(void)
{
	if (opt.pid > 0)
		return opt.pid;
	return daemon_pid;
}

/* Publish MEM_BUFFERS one-page memfds (or, on a daemon that refuses
 * memfds, create as many one-page files); returns how many, *as_files. */
static int mem_add(bool *as_files)
{
	int n = 0;

	*as_files = false;
	for (int i = 0; i < MEM_BUFFERS; i++) {
		char name[64], p[PATH_MAX + 80];
		int fd, r;

		snprintf(name, sizeof(name), "bench-%d-%04d", (int)getpid(), i);
		if (!*as_files) {
			fd = memfd_create("dmabuffs-bench", MFD_CLOEXEC | MFD_ALLOW_SEALING);
			if (fd < 0 || ftruncate(fd, PAGE) < 0 || pwrite(fd, name, 8, 0) != 8)
				die("memfd: %s", strerror(errno));
			r = dmabuffs_publish(fd, name, DMABUFFS_PUBLISH_TRANSIENT);
			close(fd);
			if (r >= 0) {
				n++;
				continue;
			}
			if (r != -EINVAL || i)
				die("dmabuffs_publish %s: %s (%s)", name, strerror(-r),
				    dmabuffs_last_error());
			/* Not a memfd daemon: buffers from its own backend. */
			note("publish of a memfd refused (%s): creating files instead",
			     dmabuffs_last_error());
			*as_files = true;
		}
		snprintf(p, sizeof(p), "%s/%s", mnt, name);
		fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd < 0 || ftruncate(fd, PAGE) < 0 || pwrite(fd, name, 8, 0) != 8)
			die("create %s: %s", p, strerror(errno));
		close(fd);
		n++;
	}
	return n;
}

static void mem_remove(int n, bool as_files)
{
	for (int i = 0; i < n; i++) {
		char name[64], p[PATH_MAX + 80];

		snprintf(name, sizeof(name), "bench-%d-%04d", (int)getpid(), i);
		if (as_files) {
			snprintf(p, sizeof(p), "%s/%s", mnt, name);
			unlink(p);
		} else {
			dmabuffs_unpublish(name);
		}
	}
}

static bool mem_possible(void)
{
	return find_daemon_pid() > 0 && !opt.file;
}

/* Before any I/O: what the daemon needs for 1,000 buffers by itself. The
 * bench buffer exists then, but its mapping counts as a buffer's. */
static void bench_memory_fresh(void)
{
	struct figure *f = fig_add("rss_fresh_1000_own", "daemon's own, 1,000 buffers, before I/O",
				   "MiB", T_NONE, 0);
	bool as_files;
	struct rss r;
	double v;
	int n;

	if (!mem_possible()) {
		fig_skip(f, opt.file ? "--file mode" : "daemon pid unknown (--pid)");
		return;
	}
	n = mem_add(&as_files);
	if (read_rss(find_daemon_pid(), &r) < 0)
		die("cannot read /proc/%d/smaps", (int)find_daemon_pid());
	mem_remove(n, as_files);
	v = r.vmrss - r.buffers;
	fig_set(f, &v, 1, NULL);
	snprintf(f->why, sizeof(f->why), "VmRSS %.1f - buffers %.1f; %d threads", r.vmrss,
		 r.buffers, r.threads);
}

/* After the I/O figures: the steady state, with whatever the request
 * handling left behind (threads, their buffers, the allocator's arenas). */
static void bench_memory(void)
{
	struct figure *fi =
		fig_add("rss_idle", "daemon VmRSS, no buffer, after I/O", "MiB", T_NONE, 0);
	struct figure *ft = fig_add("rss_1000", "daemon VmRSS, 1,000 buffers", "MiB", T_NONE, 0);
	struct figure *fb =
		fig_add("rss_1000_buffers", "  of which the buffers' mappings", "MiB", T_NONE, 0);
	struct figure *fo = fig_add("rss_1000_own", "  the daemon's own (VmRSS - buffers)", "MiB",
				    T_VALUE_LE, 16);
	pid_t pid = find_daemon_pid();
	struct rss idle, full;
	bool as_files;
	double v;
	int n;

	if (!mem_possible()) {
		for (struct figure *f = fi; f <= fo; f++)
			fig_skip(f, opt.file ? "--file mode" : "daemon pid unknown (--pid)");
		return;
	}
	/* The big buffer goes first, so that idle means idle. */
	if (own_buffer) {
		unlink(buf_path);
		own_buffer = false;
		sleep_s(0.2);
	}
	if (read_rss(pid, &idle) < 0)
		die("cannot read /proc/%d/smaps", (int)pid);
	n = mem_add(&as_files);
	if (read_rss(pid, &full) < 0)
		die("cannot read /proc/%d/smaps", (int)pid);
	mem_remove(n, as_files);

	v = idle.vmrss;
	fig_set(fi, &v, 1, NULL);
	v = full.vmrss;
	fig_set(ft, &v, 1, NULL);
	v = full.buffers;
	fig_set(fb, &v, 1, NULL);
	snprintf(fb->why, sizeof(fb->why), "%d mappings", full.nmaps);
	v = full.vmrss - full.buffers;
	fig_set(fo, &v, 1, NULL);
	snprintf(fi->why, sizeof(fi->why), "anon %.1f, file %.1f, shmem %.1f; %d threads",
		 idle.anon, idle.file, idle.shmem, idle.threads);
	snprintf(ft->why, sizeof(ft->why), "%s; anon %.1f, file %.1f; %d threads",
		 as_files ? "files by truncate" : "published memfds", full.anon, full.file,
		 full.threads);
}

/* ------------------------------------------------------------ main */

static void usage(FILE *out)
{
	fprintf(out,
		"usage: dmabuffs-bench [OPTIONS]\n"
		"\n"
		"Starts a dmabuffs daemon (backend=memfd) on a temporary mount and\n"
		"measures buffer-file throughput against memcpy on the same buffer.\n"
		"\n"
		"  --daemon PATH        the daemon to start (default %s)\n"
		"  --daemon-opts OPTS   more -o options for it, e.g. max_read=1048576\n"
		"  --mount DIR          bench an already mounted daemon (control socket from\n"
		"                       --control or $DMABUFFS_CONTROL)\n"
		"  --file PATH          bench an existing buffer file (its size, or --size;\n"
		"                       at least 1 MiB)\n"
		"  --control PATH       control socket for --mount/--file\n"
		"  --pid PID            the daemon's pid for the memory figures (--mount)\n"
		"  --size MIB           buffer size in MiB (default 256)\n"
		"  --runs N             passes per figure, median reported (default 5)\n"
		"  --rand-time SEC      length of one random-read pass (default 0.4)\n"
		"  --read-only          no write figures, never write the buffer\n"
		"  --only LIST          comma list of: limit,read,write,mmap,rand,shim,mem\n"
		"  --dst block|full     reads go to one reused block (cache-hot, like dd;\n"
		"                       the default) or to a whole-size destination\n"
		"  --no-targets         report every figure as info (a machine the targets\n"
		"                       are not about, e.g. the VM tier's TCG guest)\n"
		"  -h, --help\n",
		BENCH_DAEMON_PATH);
}

static void print_load(const char *when)
{
	double l[3];

	/* Other work on the machine shows up as noise (wide min-max). */
	if (getloadavg(l, 3) == 3)
		printf("# load average at %s: %.2f %.2f %.2f\n", when, l[0], l[1], l[2]);
	fflush(stdout);
}

static void print_header(void)
{
	struct utsname u;
	char model[256] = "?", line[512], ra[64] = "?";
	FILE *f = fopen("/proc/cpuinfo", "re");
	struct stat st;

	if (f) {
		while (fgets(line, sizeof(line), f))
			if (!strncmp(line, "model name", 10) && strchr(line, ':')) {
				snprintf(model, sizeof(model), "%s", strchr(line, ':') + 2);
				model[strcspn(model, "\n")] = 0;
				break;
			}
		fclose(f);
	}
	uname(&u);
	if (stat(buf_path, &st) == 0) {
		char p[128];

		snprintf(p, sizeof(p), "/sys/class/bdi/%u:%u/read_ahead_kb", major(st.st_dev),
			 minor(st.st_dev));
		f = fopen(p, "re");
		if (f) {
			if (fgets(ra, sizeof(ra), f))
				ra[strcspn(ra, "\n")] = 0;
			fclose(f);
		}
	}
	printf("# dmabuffs-bench: kernel %s, %ld CPUs, %s\n", u.release,
	       sysconf(_SC_NPROCESSORS_ONLN), model);
	if (size % (1u << 20))
		printf("# buffer %s, %zu bytes (%.2f MiB), %d runs per figure (median, min, "
		       "max), --dst %s\n",
		       buf_path, size, (double)size / MiB, opt.runs,
		       opt.dst_block ? "block" : "full");
	else
		printf("# buffer %s, %zu MiB, %d runs per figure (median, min, max), --dst %s\n",
		       buf_path, size >> 20, opt.runs, opt.dst_block ? "block" : "full");
	printf("# mode: %s%s%s; mount read_ahead_kb %s; streaming loads %s\n",
	       opt.file	 ? "existing file" :
	       opt.mount ? "existing mount" :
			   "own daemon, memfd",
	       opt.daemon_opts ? ", -o " : "", opt.daemon_opts ? opt.daemon_opts : "", ra,
	       dmabuf_io_streaming_load_available() ? "available" : "unavailable");
	if (opt.no_targets)
		printf("# --no-targets: every figure is info, none is held to a target\n");
	fflush(stdout);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "daemon", required_argument, NULL, 'D' },
		{ "daemon-opts", required_argument, NULL, 'o' },
		{ "mount", required_argument, NULL, 'm' },
		{ "file", required_argument, NULL, 'F' },
		{ "control", required_argument, NULL, 'c' },
		{ "pid", required_argument, NULL, 'p' },
		{ "size", required_argument, NULL, 's' },
		{ "runs", required_argument, NULL, 'r' },
		{ "rand-time", required_argument, NULL, 't' },
		{ "read-only", no_argument, NULL, 'R' },
		{ "only", required_argument, NULL, 'O' },
		{ "dst", required_argument, NULL, 'B' },
		{ "no-targets", no_argument, NULL, 'N' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct sigaction sa = { .sa_handler = on_signal };
	double t0 = now();
	int c;

	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'D':
			opt.daemon = optarg;
			break;
		case 'o':
			opt.daemon_opts = optarg;
			break;
		case 'm':
			opt.mount = optarg;
			break;
		case 'F':
			opt.file = optarg;
			break;
		case 'c':
			opt.control = optarg;
			break;
		case 'p':
			opt.pid = (pid_t)atoi(optarg);
			break;
		case 's':
			opt.size = (size_t)strtoull(optarg, NULL, 10) << 20;
			break;
		case 'r':
			opt.runs = atoi(optarg);
			break;
		case 't':
			opt.rand_time = atof(optarg);
			break;
		case 'R':
			opt.read_only = true;
			break;
		case 'O':
			snprintf(opt.only, sizeof(opt.only), "%s", optarg);
			break;
		case 'B':
			if (!strcmp(optarg, "block")) {
				opt.dst_block = true;
			} else if (!strcmp(optarg, "full")) {
				opt.dst_block = false;
			} else {
				usage(stderr);
				return 2;
			}
			break;
		case 'N':
			opt.no_targets = true;
			break;
		case 'h':
			usage(stdout);
			return EXIT_SUCCESS;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc || opt.runs < 1 || opt.runs > MAX_RUNS || opt.rand_time <= 0 ||
	    (!opt.file && opt.size < (4u << 20))) {
		usage(stderr);
		return 2;
	}
	if (opt.control)
		setenv("DMABUFFS_CONTROL", opt.control, 1);

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);

	if (opt.file) {
		/* nothing to mount */
	} else if (opt.mount) {
		if (!realpath(opt.mount, mnt))
			die("%s: %s", opt.mount, strerror(errno));
	} else {
		if (geteuid() != 0)
			note("not root: mounting may fail");
		start_daemon();
	}
	setup_buffer();
	print_header();
	print_load("start");

	if (group_on("mem")) {
		note("daemon memory, before any I/O");
		bench_memory_fresh();
	}
	/* Ratios need the limit whatever is selected. */
	note("limit");
	bench_limit(group_on("limit"));
	if (group_on("limit"))
		bench_tmpfs();
	if (group_on("read")) {
		note("sequential read");
		bench_seq_read(false);
		bench_seq_read(true);
		limit_sample(1);
	}
	if (group_on("write") && !opt.read_only) {
		note("sequential write");
		bench_seq_write(false);
		bench_seq_write(true);
		limit_sample(1);
	}
	if (group_on("mmap")) {
		note("mmap");
		bench_mmap();
		limit_sample(1);
	}
	if (group_on("rand")) {
		note("random pread");
		bench_random(false);
		bench_random(true);
		limit_sample(1);
	}
	if (group_on("shim")) {
		note("shim");
		bench_shim();
		limit_sample(1);
	}
	limit_finish();
	if (xmap) {
		munmap(xmap, size);
		xmap = NULL;
	}
	if (group_on("mem")) {
		note("daemon memory");
		bench_memory();
	}
	fig_ratios();
	print_results();
	print_load("end");
	cleanup();
	note("done in %.0f s", now() - t0);
	return EXIT_SUCCESS;
}
