// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * src/buffer.c on buffers of the memfd backend (src/backend/memfd.c): the
 * bounds of buffer_read() and buffer_write() (EOF and short counts at the
 * end, ENOSPC at or past it), EACCES on a read-only buffer, ENODEV once the
 * buffer is lost. One suite per feature; each case runs in a tcase on a
 * system-memory map and again on an I/O map (iomem=always, so the copies go
 * through the accessor shim), which must behave the same.
 *
 * Every fixture keeps a second fd on the buffer's memfd (peek): what the
 * buffer API returns is checked against pread(2)/pwrite(2) on it, not
 * against the buffer API itself.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "backend/backend.h"
#include "buffer.h"
#include "shared/macro.h"
#include "shared/util.h"

#include "testsuite.h"

#define NPAGES 4
#define TIMEOUT_MS 1000
#define SENTINEL 0xee

static struct backend *be;
static struct buffer *b;
static int peek = -1;
static size_t size;

static unsigned char pattern(uint64_t off)
{
	return (unsigned char)(off * 7 + 3);
}

static void assert_pattern(const unsigned char *p, uint64_t off, size_t len)
{
	for (size_t i = 0; i < len; i++)
		ck_assert_msg(p[i] == pattern(off + i), "byte %llu is 0x%02x, want 0x%02x",
			      (unsigned long long)(off + i), p[i], pattern(off + i));
}

/* The whole memfd, read beside the buffer, is still the pattern. */
static void assert_contents_untouched(void)
{
	_cleanup_free_ unsigned char *all = malloc(size);

	ck_assert_ptr_nonnull(all);
	ck_assert_int_eq(pread(peek, all, size, 0), (ssize_t)size);
	assert_pattern(all, 0, size);
}

static void assert_peek(uint64_t off, const void *want, size_t len)
{
	_cleanup_free_ unsigned char *got = malloc(len);

	ck_assert_ptr_nonnull(got);
	ck_assert_int_eq(pread(peek, got, len, (off_t)off), (ssize_t)len);
	ck_assert_mem_eq(got, want, len);
}

/* A pipe holding len bytes of c, for buffer_write_from_fd(). */
static int pipe_with(int c, size_t len, int p[2])
{
	_cleanup_free_ char *data = malloc(len);

	ck_assert_ptr_nonnull(data);
	memset(data, c, len);
	ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);
	ck_assert_int_eq(write(p[1], data, len), (ssize_t)len);
	return p[0];
}

static void close_pipe(int p[2])
{
	close(p[0]);
	close(p[1]);
}

/* ------------------------------------------------------------ fixtures */

static void setup_buffer(enum iomem_mode mode, bool readonly)
{
	_cleanup_free_ unsigned char *fill = NULL;
	int fd, bufd;

	ck_assert_int_eq(backend_memfd_new(&be), 0);
	size = NPAGES * page_size();
	ck_assert_int_eq(be->ops->alloc(be, size, &fd), 0);
	fill = malloc(size);
	ck_assert_ptr_nonnull(fill);
	for (size_t i = 0; i < size; i++)
		fill[i] = pattern(i);
	ck_assert_int_eq(pwrite(fd, fill, size, 0), (ssize_t)size);

	if (readonly) {
		char path[64];

		/* A new, read-only open file of the same memfd, as a client's
		 * O_RDONLY dma-buf (VIDIOC_EXPBUF) would be. */
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		bufd = open(path, O_RDONLY | O_CLOEXEC);
		ck_assert_int_ge(bufd, 0);
		peek = fd;
	} else {
		bufd = fd;
		peek = fcntl(fd, F_DUPFD_CLOEXEC, 3);
		ck_assert_int_ge(peek, 0);
	}
	ck_assert_int_eq(buffer_new(bufd, be, mode, &b), 0);
	ck_assert_int_eq(buffer_map(b).is_iomem, mode == IOMEM_ALWAYS);
}

static void setup_system(void)
{
	setup_buffer(IOMEM_NEVER, false);
}

static void setup_iomem(void)
{
	setup_buffer(IOMEM_ALWAYS, false);
}

static void setup_readonly_system(void)
{
	setup_buffer(IOMEM_NEVER, true);
}

static void setup_readonly_iomem(void)
{
	setup_buffer(IOMEM_ALWAYS, true);
}

static void teardown(void)
{
	buffer_unref(b);
	b = NULL;
	be->ops->destroy(be);
	be = NULL;
	close(peek);
	peek = -1;
}

/* ------------------------------------------------------------ read */

START_TEST(test_read_whole)
{
	_cleanup_free_ unsigned char *dst = malloc(size);

	ck_assert_ptr_nonnull(dst);
	ck_assert_int_eq(buffer_read(b, dst, size, 0, false, TIMEOUT_MS), (ssize_t)size);
	assert_pattern(dst, 0, size);
}
END_TEST

START_TEST(test_read_at_or_past_end_is_eof)
{
	const uint64_t offs[] = { size, size + 1, size + page_size(), UINT64_MAX };
	unsigned char dst[64];

	for (size_t i = 0; i < ARRAY_SIZE(offs); i++) {
		memset(dst, SENTINEL, sizeof(dst));
		ck_assert_int_eq(buffer_read(b, dst, sizeof(dst), offs[i], false, TIMEOUT_MS), 0);
		for (size_t j = 0; j < sizeof(dst); j++)
			ck_assert_uint_eq(dst[j], SENTINEL);
	}
}
END_TEST

START_TEST(test_read_across_end_is_short)
{
	const uint64_t offs[] = { size - 1, size - 100, size - page_size() - 3 };
	size_t len = 2 * page_size();
	_cleanup_free_ unsigned char *dst = malloc(len);

	ck_assert_ptr_nonnull(dst);
	for (size_t i = 0; i < ARRAY_SIZE(offs); i++) {
		size_t want = size - offs[i];

		memset(dst, SENTINEL, len);
		ck_assert_int_eq(buffer_read(b, dst, len, offs[i], false, TIMEOUT_MS),
				 (ssize_t)want);
		assert_pattern(dst, offs[i], want);
		/* Nothing is stored past the count returned. */
		for (size_t j = want; j < len; j++)
			ck_assert_uint_eq(dst[j], SENTINEL);
	}
}
END_TEST

START_TEST(test_read_small_across_pages)
{
	/* 1..9 byte reads straddling every page boundary, at odd offsets. */
	for (size_t pg = 1; pg < NPAGES; pg++) {
		for (size_t len = 1; len < 10; len++) {
			uint64_t off = pg * page_size() - len / 2;
			unsigned char dst[16];

			ck_assert_int_eq(buffer_read(b, dst, len, off, false, TIMEOUT_MS),
					 (ssize_t)len);
			assert_pattern(dst, off, len);
		}
	}
}
END_TEST

START_TEST(test_read_zero_length)
{
	unsigned char dst = SENTINEL;

	ck_assert_int_eq(buffer_read(b, &dst, 0, 0, false, TIMEOUT_MS), 0);
	ck_assert_int_eq(buffer_read(b, &dst, 0, size - 1, true, TIMEOUT_MS), 0);
	ck_assert_uint_eq(dst, SENTINEL);
}
END_TEST

START_TEST(test_read_direct_bounds)
{
	const void *ptr = NULL;
	size_t len = 2 * page_size();
	int r = buffer_read_direct_begin(b, size - 10, &len, false, TIMEOUT_MS, &ptr);

	if (buffer_map(b).is_iomem) {
		/* Only the shim may touch I/O memory: never handed out. */
		ck_assert_int_eq(r, -EOPNOTSUPP);
		return;
	}
	/* The backend's memfds are sealed against shrinking: zero-copy. */
	ck_assert_int_eq(r, 0);
	ck_assert_uint_eq(len, 10);
	assert_pattern(ptr, size - 10, len);
	buffer_read_direct_end(b);

	len = 100;
	ck_assert_int_eq(buffer_read_direct_begin(b, size, &len, false, TIMEOUT_MS, &ptr), 0);
	ck_assert_uint_eq(len, 0);
}
END_TEST

/* ------------------------------------------------------------ write */

START_TEST(test_write_read_back)
{
	const char msg[] = "written through the map";
	uint64_t off = page_size() - 5; /* across a page boundary, unaligned */
	char got[sizeof(msg)];

	ck_assert_int_eq(buffer_write(b, msg, sizeof(msg), off, false, TIMEOUT_MS),
			 (ssize_t)sizeof(msg));
	assert_peek(off, msg, sizeof(msg));
	ck_assert_int_eq(buffer_read(b, got, sizeof(got), off, false, TIMEOUT_MS),
			 (ssize_t)sizeof(got));
	ck_assert_mem_eq(got, msg, sizeof(msg));
}
END_TEST

START_TEST(test_write_at_or_past_end_enospc)
{
	const uint64_t offs[] = { size, size + 1, size + page_size(), UINT64_MAX };
	const char data[8] = "overflow";

	for (size_t i = 0; i < ARRAY_SIZE(offs); i++)
		ck_assert_int_eq(buffer_write(b, data, sizeof(data), offs[i], false, TIMEOUT_MS),
				 -ENOSPC);
	assert_contents_untouched();
}
END_TEST

START_TEST(test_write_across_end_is_short)
{
	unsigned char data[100], want[10];
	_cleanup_free_ unsigned char *head = malloc(size - 10);

	memset(data, 'w', sizeof(data));
	memset(want, 'w', sizeof(want));
	ck_assert_ptr_nonnull(head);
	ck_assert_int_eq(buffer_write(b, data, sizeof(data), size - 10, false, TIMEOUT_MS), 10);
	assert_peek(size - 10, want, sizeof(want));
	/* Everything before it is as it was. */
	ck_assert_int_eq(pread(peek, head, size - 10, 0), (ssize_t)(size - 10));
	assert_pattern(head, 0, size - 10);
}
END_TEST

START_TEST(test_write_zero_length)
{
	/* Like pwrite(2): nothing to write is no error, even at the end. */
	ck_assert_int_eq(buffer_write(b, "x", 0, 0, false, TIMEOUT_MS), 0);
	ck_assert_int_eq(buffer_write(b, "x", 0, size, false, TIMEOUT_MS), 0);
	assert_contents_untouched();
}
END_TEST

START_TEST(test_write_from_fd_bounds)
{
	unsigned char want[16];
	int p[2];
	ssize_t r;

	r = buffer_write_from_fd(b, pipe_with('p', 64, p), 64, size - 16, false, TIMEOUT_MS);
	if (buffer_map(b).is_iomem) {
		/* The kernel's copy would store to I/O memory unshimmed. */
		ck_assert_int_eq(r, -EOPNOTSUPP);
		close_pipe(p);
		assert_contents_untouched();
		return;
	}
	ck_assert_int_eq(r, 16);
	memset(want, 'p', sizeof(want));
	assert_peek(size - 16, want, sizeof(want));
	ck_assert_int_eq(buffer_write_from_fd(b, p[0], 8, size, false, TIMEOUT_MS), -ENOSPC);
	close_pipe(p);
}
END_TEST

/* ------------------------------------------------------------ read-only */

START_TEST(test_readonly_write_eacces)
{
	const char data[4] = "nope";

	ck_assert_int_eq(buffer_write(b, data, sizeof(data), 0, false, TIMEOUT_MS), -EACCES);
	ck_assert_int_eq(buffer_write(b, data, sizeof(data), size - 2, false, TIMEOUT_MS), -EACCES);
	/* The permission is checked before the bounds and the length. */
	ck_assert_int_eq(buffer_write(b, data, sizeof(data), size, false, TIMEOUT_MS), -EACCES);
	ck_assert_int_eq(buffer_write(b, data, 0, 0, false, TIMEOUT_MS), -EACCES);
	assert_contents_untouched();
}
END_TEST

START_TEST(test_readonly_write_from_fd_eacces)
{
	int p[2];
	ssize_t r = buffer_write_from_fd(b, pipe_with('p', 8, p), 8, 0, false, TIMEOUT_MS);

	ck_assert_int_eq(r, buffer_map(b).is_iomem ? -EOPNOTSUPP : -EACCES);
	close_pipe(p);
	assert_contents_untouched();
}
END_TEST

START_TEST(test_readonly_fill_eacces)
{
	_cleanup_close_ int src = memfd_create("fill-src", MFD_CLOEXEC);

	ck_assert_int_ge(src, 0);
	ck_assert_int_eq(pwrite(src, "abcd", 4, 0), 4);
	ck_assert_int_eq(buffer_fill_from_fd(b, src, 4, TIMEOUT_MS), -EACCES);
	assert_contents_untouched();
}
END_TEST

START_TEST(test_readonly_reads)
{
	unsigned char dst[32];

	ck_assert_int_eq(buffer_read(b, dst, sizeof(dst), size - 7, false, TIMEOUT_MS), 7);
	assert_pattern(dst, size - 7, 7);
}
END_TEST

/* ------------------------------------------------------------ lost */

static void assert_all_io_enodev(void)
{
	unsigned char dst[16];
	const void *ptr;
	size_t len = sizeof(dst);
	int p[2];

	ck_assert(buffer_is_dead(b));
	ck_assert_int_eq(buffer_read(b, dst, sizeof(dst), 0, false, TIMEOUT_MS), -ENODEV);
	ck_assert_int_eq(buffer_read(b, dst, 0, 0, false, TIMEOUT_MS), -ENODEV);
	/* Loss is reported before the bounds: the end is no EOF any more. */
	ck_assert_int_eq(buffer_read(b, dst, sizeof(dst), size, false, TIMEOUT_MS), -ENODEV);
	ck_assert_int_eq(buffer_write(b, "dead", 4, 0, false, TIMEOUT_MS), -ENODEV);
	ck_assert_int_eq(buffer_write(b, "dead", 4, size, false, TIMEOUT_MS), -ENODEV);
	ck_assert_int_eq(buffer_write_from_fd(b, pipe_with('p', 4, p), 4, 0, false, TIMEOUT_MS),
			 buffer_map(b).is_iomem ? -EOPNOTSUPP : -ENODEV);
	close_pipe(p);
	if (!buffer_map(b).is_iomem)
		ck_assert_int_eq(buffer_read_direct_begin(b, 0, &len, false, TIMEOUT_MS, &ptr),
				 -ENODEV);
	assert_contents_untouched();
}

START_TEST(test_marked_dead_enodev)
{
	unsigned char dst[16];

	ck_assert(!buffer_is_dead(b));
	ck_assert_int_eq(buffer_read(b, dst, sizeof(dst), 0, false, TIMEOUT_MS), 16);
	buffer_mark_dead(b);
	assert_all_io_enodev();
	/* Loss is for good. */
	buffer_mark_dead(b);
	assert_all_io_enodev();
}
END_TEST

START_TEST(test_backend_gone_enodev)
{
	/* What the registry does when the backend's device is removed. */
	__atomic_store_n(&be->gone, true, __ATOMIC_RELEASE);
	assert_all_io_enodev();
}
END_TEST

/* An exporter that pulls the pages from under the mapping, played by a
 * memfd shrunk after it was mapped: the access faults (SIGBUS), and the
 * guard turns that into ENODEV for this request and every later one. Not
 * a fixture: the backend's own memfds are sealed against exactly that.
 * Returns a buffer of NPAGES on an unsealed memfd, *peer another fd of it;
 * iomem picks the kind of map. */
static struct buffer *shrinkable_buffer(bool iomem, int *peer)
{
	int fd = memfd_create("shrinks", MFD_CLOEXEC);
	struct buffer *sb;

	ck_assert_int_ge(fd, 0);
	*peer = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	ck_assert_int_ge(*peer, 0);
	ck_assert_int_eq(ftruncate(fd, NPAGES * (off_t)page_size()), 0);
	ck_assert_int_eq(buffer_init_sigbus_guard(), 0);
	ck_assert_int_eq(buffer_new(fd, NULL, iomem ? IOMEM_ALWAYS : IOMEM_NEVER, &sb), 0);
	ck_assert_int_eq(buffer_map(sb).is_iomem, iomem);
	return sb;
}

START_TEST(test_pages_gone_sigbus_enodev)
{
	_cleanup_close_ int peer = -1;
	struct buffer *lost = shrinkable_buffer(_i, &peer);
	unsigned char dst[16];

	ck_assert_int_eq(ftruncate(peer, (off_t)page_size()), 0);
	/* The first page is still there. */
	ck_assert_int_eq(buffer_read(lost, dst, sizeof(dst), 0, false, TIMEOUT_MS), 16);
	ck_assert(!buffer_is_dead(lost));
	ck_assert_int_eq(buffer_read(lost, dst, sizeof(dst), 2 * page_size(), false, TIMEOUT_MS),
			 -ENODEV);
	ck_assert(buffer_is_dead(lost));
	ck_assert_int_eq(buffer_read(lost, dst, sizeof(dst), 0, false, TIMEOUT_MS), -ENODEV);
	ck_assert_int_eq(buffer_write(lost, "x", 1, 0, false, TIMEOUT_MS), -ENODEV);
	buffer_unref(lost);
}
END_TEST

START_TEST(test_pages_gone_on_write_sigbus_enodev)
{
	_cleanup_close_ int peer = -1;
	struct buffer *lost = shrinkable_buffer(_i, &peer);

	ck_assert_int_eq(ftruncate(peer, 0), 0);
	ck_assert_int_eq(buffer_write(lost, "x", 1, 3 * page_size(), false, TIMEOUT_MS), -ENODEV);
	ck_assert(buffer_is_dead(lost));
	buffer_unref(lost);
}
END_TEST

/* ------------------------------------------------------------ main */

/* Each feature's cases, once on a system-memory map and once on an I/O map. */
static void add_both_maps(Suite *s, const TTest *const *tests, const char *sys_name,
			  void (*sys)(void), const char *io_name, void (*io)(void))
{
	/* Check keeps the name pointers: literals only. */
	TCase *tc_sys = tcase_create(sys_name);
	TCase *tc_io = tcase_create(io_name);

	tcase_add_checked_fixture(tc_sys, sys, teardown);
	tcase_add_checked_fixture(tc_io, io, teardown);
	for (; *tests; tests++) {
		tcase_add_test(tc_sys, *tests);
		tcase_add_test(tc_io, *tests);
	}
	suite_add_tcase(s, tc_sys);
	suite_add_tcase(s, tc_io);
}

static Suite *read_suite(void)
{
	const TTest *const tests[] = {
		test_read_whole,
		test_read_at_or_past_end_is_eof,
		test_read_across_end_is_short,
		test_read_small_across_pages,
		test_read_zero_length,
		test_read_direct_bounds,
		NULL,
	};
	Suite *s = suite_create("read");

	add_both_maps(s, tests, "read-system", setup_system, "read-iomem", setup_iomem);
	return s;
}

static Suite *write_suite(void)
{
	const TTest *const tests[] = {
		test_write_read_back,		test_write_at_or_past_end_enospc,
		test_write_across_end_is_short, test_write_zero_length,
		test_write_from_fd_bounds,	NULL,
	};
	Suite *s = suite_create("write");

	add_both_maps(s, tests, "write-system", setup_system, "write-iomem", setup_iomem);
	return s;
}

static Suite *readonly_suite(void)
{
	const TTest *const tests[] = {
		test_readonly_write_eacces,
		test_readonly_write_from_fd_eacces,
		test_readonly_fill_eacces,
		test_readonly_reads,
		NULL,
	};
	Suite *s = suite_create("readonly");

	add_both_maps(s, tests, "readonly-system", setup_readonly_system, "readonly-iomem",
		      setup_readonly_iomem);
	return s;
}

static Suite *lost_suite(void)
{
	const TTest *const tests[] = {
		test_marked_dead_enodev,
		test_backend_gone_enodev,
		NULL,
	};
	Suite *s = suite_create("lost");
	TCase *tc;

	add_both_maps(s, tests, "lost-system", setup_system, "lost-iomem", setup_iomem);

	/* _i = 0: system memory, 1: I/O memory. */
	tc = tcase_create("lost-sigbus");
	tcase_add_loop_test(tc, test_pages_gone_sigbus_enodev, 0, 2);
	tcase_add_loop_test(tc, test_pages_gone_on_write_sigbus_enodev, 0, 2);
	suite_add_tcase(s, tc);
	return s;
}

TESTSUITE_MAIN(read_suite, write_suite, readonly_suite, lost_suite);
