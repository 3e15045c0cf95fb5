/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * fence-wait FILE TIMEOUT_MS
 *
 * FILE is a buffer file on drm:vgem of a dmabuffs mount running with
 * fence_timeout=TIMEOUT_MS. The contract (dmabuffs(5), read(2)): a read
 * first waits for pending device writes to the buffer (the write fence,
 * dma-buf poll POLLIN) for up to fence_timeout, then fails with ETIME;
 * with O_NONBLOCK it fails with EAGAIN instead of waiting.
 *
 * vgem is the device: DRM_IOCTL_VGEM_FENCE_ATTACH puts a fence on a GEM
 * object (the dma-buf dmabuffs_export() hands back, imported with
 * drmPrimeFDToHandle), DRM_IOCTL_VGEM_FENCE_SIGNAL signals it. vgem
 * signals a fence by itself after 10 s (VGEM_FENCE_TIMEOUT), so each
 * phase attaches a fresh one and checks it stayed well inside that.
 *
 *  0. a pattern written through the file; with no fence, reads work;
 *  1. a WRITE fence: O_NONBLOCK (page cache and O_DIRECT) -> EAGAIN at
 *     once; O_NONBLOCK set later with fcntl -> EAGAIN; a blocking
 *     O_DIRECT read -> ETIME after about TIMEOUT_MS;
 *  2. a new WRITE fence: a blocking page-cache read -> ETIME after about
 *     TIMEOUT_MS, though the kernel sends readahead and then the page
 *     itself, two requests that must share the one timeout;
 *  3. a new WRITE fence: a blocking read started before the fence is
 *     signalled returns the data once it is (it waited, and no longer);
 *  4. a READ fence (a device reading) does not hold readers up, but
 *     writers: O_NONBLOCK -> EAGAIN, blocking -> ETIME after TIMEOUT_MS;
 *  5. all signalled: the file reads the pattern.
 * Each read opens the file afresh (every open drops cached pages) or uses
 * O_DIRECT, so that the read reaches the daemon.
 * Exit: 0 pass, 77 built without libdmabuffs, 1 failure.
 */
#define _GNU_SOURCE
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <xf86drm.h>

#ifdef HAVE_DMABUFFS_PUBLISH
#include <dmabuffs/client.h>
#endif

#include "vmdrm.h"

#ifdef HAVE_DMABUFFS_PUBLISH
/* include/uapi/drm/vgem_drm.h (libdrm does not ship it). */
struct drm_vgem_fence_attach {
	uint32_t handle;
	uint32_t flags;
#define VGEM_FENCE_WRITE 0x1
	uint32_t out_fence;
	uint32_t pad;
};

struct drm_vgem_fence_signal {
	uint32_t fence;
	uint32_t flags;
};

#define DRM_VGEM_FENCE_ATTACH 0x1
#define DRM_VGEM_FENCE_SIGNAL 0x2
#define DRM_IOCTL_VGEM_FENCE_ATTACH \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_VGEM_FENCE_ATTACH, struct drm_vgem_fence_attach)
#define DRM_IOCTL_VGEM_FENCE_SIGNAL \
	DRM_IOW(DRM_COMMAND_BASE + DRM_VGEM_FENCE_SIGNAL, struct drm_vgem_fence_signal)

/* vgem signals a fence itself after this long; stay well inside it. */
#define VGEM_AUTOSIGNAL_MS 10000
#define SAFE_MS 8000

#define SALT 0x5e

static const char *file;
static size_t size;
static long timeout_ms;
static int card = -1, dbuf = -1;
static uint32_t handle;

static double now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static const char *errname(int e)
{
	const char *n = e ? strerrorname_np(e) : "success";

	return n ? n : "?";
}

struct fence {
	uint32_t id;
	double attached;
	const char *what;
};

static struct fence attach(uint32_t flags, const char *what)
{
	struct drm_vgem_fence_attach a = { .handle = handle, .flags = flags };
	struct fence f = { .what = what };

	if (drmIoctl(card, DRM_IOCTL_VGEM_FENCE_ATTACH, &a) < 0)
		vm_fail("VGEM_FENCE_ATTACH (%s): %s", what, strerror(errno));
	f.id = a.out_fence;
	f.attached = now_ms();
	return f;
}

static void signal_fence(struct fence *f)
{
	struct drm_vgem_fence_signal s = { .fence = f->id };
	double age = now_ms() - f->attached;

	/* Signalled by vgem's own timer first (ETIMEDOUT from the ioctl):
	 * everything measured under it is suspect. */
	if (drmIoctl(card, DRM_IOCTL_VGEM_FENCE_SIGNAL, &s) < 0)
		vm_fail("VGEM_FENCE_SIGNAL (%s fence, %.0f ms old): %s", f->what, age,
			strerror(errno));
	if (age > SAFE_MS)
		vm_fail("the %s fence lived %.0f ms, too close to vgem's own %d ms "
			"timeout: the results are not trustworthy",
			f->what, age, VGEM_AUTOSIGNAL_MS);
}

/* The dma-buf's own view: is it readable (no unsignalled write fence)? */
static int readable_now(void)
{
	struct pollfd p = { .fd = dbuf, .events = POLLIN };

	if (poll(&p, 1, 0) < 0)
		vm_fail("poll on the exported dma-buf: %s", strerror(errno));
	return (p.revents & POLLIN) != 0;
}

struct attempt {
	int flags;	   /* for open(); O_WRONLY: the attempt writes */
	bool set_nonblock; /* fcntl(F_SETFL, O_NONBLOCK) after open */
	size_t len;
	/* results */
	ssize_t n;
	int err;
	double ms;
	uint8_t *data;
};

/* O_DIRECT needs an aligned user buffer. */
static void *buffer(size_t len)
{
	void *p;

	if (posix_memalign(&p, 4096, len))
		vm_fail("out of memory");
	return p;
}

static void try_read(struct attempt *a)
{
	int fd = open(file, a->flags | O_CLOEXEC);
	double t0;

	if (fd < 0)
		vm_fail("open %s (flags %#x): %s", file, a->flags, strerror(errno));
	if (a->set_nonblock && fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0)
		vm_fail("fcntl(F_SETFL, O_NONBLOCK): %s", strerror(errno));
	if (!a->data)
		a->data = buffer(a->len);
	t0 = now_ms();
	if ((a->flags & O_ACCMODE) == O_WRONLY)
		a->n = pwrite(fd, a->data, a->len, 0);
	else
		a->n = read(fd, a->data, a->len);
	a->err = a->n < 0 ? errno : 0;
	a->ms = now_ms() - t0;
	close(fd);
}

/* "VMINFO fence KEY=RESULT/MS ...": what each kind of read got, for the
 * run's summary. */
static char summary[512];

static void note(const struct attempt *a)
{
	size_t used = strlen(summary);
	const char *key = (a->flags & O_ACCMODE) == O_WRONLY ?
				  (a->flags & O_NONBLOCK ? "write-nonblock" : "write") :
			  a->set_nonblock ? "fcntl-nonblock" :
			  (a->flags & O_NONBLOCK) ?
					    (a->flags & O_DIRECT ? "direct-nonblock" : "nonblock") :
			  (a->flags & O_DIRECT) ? "direct" :
						  "pagecache";

	snprintf(summary + used, sizeof(summary) - used, " %s=%s/%.0fms", key,
		 a->n < 0 ? errname(a->err) : "data", a->ms);
}

static const char *describe(const struct attempt *a)
{
	static char s[128];

	snprintf(s, sizeof(s), "%s%s %s", a->flags & O_DIRECT ? "O_DIRECT " : "",
		 a->flags & O_NONBLOCK ? "O_NONBLOCK" :
		 a->set_nonblock       ? "fcntl(O_NONBLOCK)" :
					 "blocking",
		 (a->flags & O_ACCMODE) == O_WRONLY ? "write" : "read");
	return s;
}

static void compare(const uint8_t *p, size_t n, const char *what)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != vm_byte(i, SALT))
			vm_fail("%s: byte %zu is %#x, expected %#x", what, i, p[i],
				vm_byte(i, SALT));
}

/* A read that must fail with err within [lo, hi] ms. */
static void expect_fail(struct attempt *a, int err, double lo, double hi)
{
	try_read(a);
	vm_log("%s with a fence pending: %s after %.0f ms", describe(a),
	       a->n < 0 ? errname(a->err) : "data", a->ms);
	note(a);
	if (a->n >= 0)
		vm_fail("%s returned %zd bytes while a fence was pending "
			"(expected %s)",
			describe(a), a->n, errname(err));
	if (a->err != err)
		vm_fail("%s with a fence pending: %s after %.0f ms, expected %s", describe(a),
			errname(a->err), a->ms, errname(err));
	if (a->ms < lo || a->ms > hi)
		vm_fail("%s failed with %s after %.0f ms, expected between %.0f and "
			"%.0f ms (fence_timeout=%ld)",
			describe(a), errname(a->err), a->ms, lo, hi, timeout_ms);
}

/* A read that must return the whole pattern. */
static void expect_data(struct attempt *a, const char *when)
{
	try_read(a);
	if (a->n < 0)
		vm_fail("%s %s: %s after %.0f ms", describe(a), when, errname(a->err), a->ms);
	if ((size_t)a->n != a->len)
		vm_fail("%s %s: %zd bytes, expected %zu", describe(a), when, a->n, a->len);
	compare(a->data, a->len, when);
}

static void *reader(void *arg)
{
	try_read(arg);
	return NULL;
}

int main(int argc, char **argv)
{
	char exp_name[64], card_path[300];
	struct fence f;
	struct stat st;
	long count;
	uint8_t *pat;
	int fd;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc != 3) {
		fprintf(stderr, "usage: fence-wait FILE TIMEOUT_MS\n");
		return 2;
	}
	file = argv[1];
	timeout_ms = strtol(argv[2], NULL, 10);
	if (timeout_ms < 200 || timeout_ms > 3000)
		vm_fail("TIMEOUT_MS %ld: this test needs 200..3000 (vgem fences "
			"signal themselves after %d ms)",
			timeout_ms, VGEM_AUTOSIGNAL_MS);
	if (stat(file, &st) < 0 || st.st_size == 0)
		vm_fail("%s: no buffer (%s)", file, strerror(errno));
	size = (size_t)st.st_size;

	/* 0: the pattern, written before any fence. */
	pat = malloc(size);
	if (!pat)
		vm_fail("out of memory");
	vm_fill_bytes(pat, size, SALT);
	fd = open(file, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || pwrite(fd, pat, size, 0) != (ssize_t)size)
		vm_fail("pwrite %s: %s", file, strerror(errno));
	close(fd);

	dbuf = dmabuffs_export(file);
	if (dbuf < 0)
		vm_fail("dmabuffs_export(%s): %s (%s)", file, strerror(-dbuf),
			dmabuffs_last_error());
	if (vm_fdinfo(dbuf, exp_name, sizeof(exp_name), &count) < 0 || strcmp(exp_name, "drm"))
		vm_fail("the exported fd's exp_name is '%s', expected drm (vgem)", exp_name);
	card = vm_open_card("vgem", card_path, sizeof(card_path));
	if (card < 0)
		vm_skip("no vgem card");
	if (drmPrimeFDToHandle(card, dbuf, &handle) < 0)
		vm_fail("drmPrimeFDToHandle on %s: %s", card_path, strerror(errno));
	vm_log("%s: %zu bytes, vgem handle %u on %s, fence_timeout=%ld ms", file, size, handle,
	       card_path, timeout_ms);

	if (!readable_now())
		vm_fail("the dma-buf is not readable (POLLIN) before any fence");
	expect_data(&(struct attempt){ .flags = O_RDONLY | O_NONBLOCK, .len = size },
		    "without a fence (O_NONBLOCK)");
	expect_data(&(struct attempt){ .flags = O_RDONLY | O_DIRECT, .len = size },
		    "without a fence (O_DIRECT)");
	vm_log("0: no fence: O_NONBLOCK and O_DIRECT reads return the pattern");

	/* 1: a write fence; nonblocking readers are turned away at once. */
	f = attach(VGEM_FENCE_WRITE, "write");
	if (readable_now())
		vm_fail("the dma-buf polls readable with a write fence attached: the "
			"test's premise (VGEM_FENCE_WRITE) does not hold");
	expect_fail(&(struct attempt){ .flags = O_RDONLY | O_NONBLOCK, .len = 4096 }, EAGAIN, 0,
		    timeout_ms / 2.0);
	expect_fail(&(struct attempt){ .flags = O_RDONLY | O_NONBLOCK | O_DIRECT, .len = 4096 },
		    EAGAIN, 0, timeout_ms / 2.0);
	{
		/* O_NONBLOCK set after the open (fcntl) counts as much as at
		 * open: FUSE passes the file's current flags with each read. */
		struct attempt a = { .flags = O_RDONLY | O_DIRECT,
				     .set_nonblock = true,
				     .len = 4096 };

		expect_fail(&a, EAGAIN, 0, timeout_ms / 2.0);
	}
	expect_fail(&(struct attempt){ .flags = O_RDONLY | O_DIRECT, .len = size }, ETIME,
		    0.9 * timeout_ms, timeout_ms + 1500.0);
	if (readable_now())
		vm_fail("the write fence signalled by itself during phase 1");
	signal_fence(&f);
	vm_log("1: write fence: EAGAIN for O_NONBLOCK, ETIME after fence_timeout for O_DIRECT");

	/* 2: a page-cache read: the kernel may send the daemon more than one
	 * request for it (readahead, then the page), each waiting. */
	f = attach(VGEM_FENCE_WRITE, "write");
	{
		struct attempt a = { .flags = O_RDONLY, .len = 4096 };

		/* The kernel sends more than one request for it (readahead,
		 * then the page): together they wait no longer than
		 * fence_timeout, as dmabuffs(5) promises for a read(2). */
		expect_fail(&a, ETIME, 0.9 * timeout_ms, timeout_ms + 1500.0);
	}
	signal_fence(&f);
	vm_log("2: write fence: a page-cache read fails with ETIME, bounded");

	/* 3: the wait ends when the fence is signalled. */
	{
		struct attempt a = { .flags = O_RDONLY | O_DIRECT, .len = size };
		double delay = timeout_ms / 3.0;
		pthread_t t;

		f = attach(VGEM_FENCE_WRITE, "write");
		if (pthread_create(&t, NULL, reader, &a))
			vm_fail("pthread_create");
		usleep((useconds_t)(delay * 1000));
		signal_fence(&f);
		pthread_join(t, NULL);
		vm_log("3: a blocking O_DIRECT read, fence signalled after %.0f ms: %s after "
		       "%.0f ms",
		       delay, a.n < 0 ? errname(a.err) : "data", a.ms);
		if (a.n < 0)
			vm_fail("a blocking read whose write fence was signalled after %.0f ms "
				"(fence_timeout=%ld) failed with %s after %.0f ms",
				delay, timeout_ms, errname(a.err), a.ms);
		if ((size_t)a.n != size)
			vm_fail("the read after the fence was signalled returned %zd of %zu "
				"bytes",
				a.n, size);
		compare(a.data, size, "the read that waited for the fence");
		snprintf(summary + strlen(summary), sizeof(summary) - strlen(summary),
			 " signalled-at-%.0fms=data/%.0fms", delay, a.ms);
		/* It waited for the signal (not returning at once), and not for
		 * the whole timeout. */
		if (a.ms < delay * 0.75 || a.ms > delay + 0.5 * timeout_ms)
			vm_fail("the read that waited for the fence returned after %.0f ms; "
				"the fence was signalled after %.0f ms",
				a.ms, delay);
	}

	/* 4: a device reading the buffer does not stop CPU readers. */
	f = attach(0, "read");
	expect_data(&(struct attempt){ .flags = O_RDONLY | O_NONBLOCK, .len = size },
		    "with only a read fence pending (O_NONBLOCK)");
	{
		struct attempt a = { .flags = O_RDONLY | O_DIRECT, .len = size };

		expect_data(&a, "with only a read fence pending (O_DIRECT)");
		if (a.ms > timeout_ms / 2.0)
			vm_fail("a read with only a read fence pending took %.0f ms", a.ms);
	}
	/* ... but it does hold writers: the daemon waits (bounded) for it
	 * before SYNC_START, which would otherwise block without bound. A
	 * write-only open is direct I/O: the write reaches the daemon. */
	{
		struct attempt a = { .flags = O_WRONLY | O_NONBLOCK, .len = 4096 };

		a.data = buffer(a.len);
		memcpy(a.data, pat, a.len);
		expect_fail(&a, EAGAIN, 0, timeout_ms / 2.0);
		a.flags = O_WRONLY;
		expect_fail(&a, ETIME, 0.9 * timeout_ms, timeout_ms + 1500.0);
	}
	signal_fence(&f);
	vm_log("4: a read fence does not hold readers up; writers get EAGAIN/ETIME");

	/* 5: all signalled. */
	if (!readable_now())
		vm_fail("the dma-buf is not readable after all fences were signalled");
	expect_data(&(struct attempt){ .flags = O_RDONLY, .len = size }, "after the fences");
	expect_data(&(struct attempt){ .flags = O_RDONLY | O_NONBLOCK, .len = size },
		    "after the fences (O_NONBLOCK)");
	vm_log("5: after the fences, reads return the pattern written before them");

	printf("VMINFO fence timeout=%ldms%s\n", timeout_ms, summary);
	close(card);
	close(dbuf);
	free(pat);
	return 0;
}
#else
int main(void)
{
	vm_skip("built without libdmabuffs (no dmabuffs_export)");
}
#endif
