// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * src/backend/memfd.c: the memfd backend on real fds: what it allocates
 * (sealed, page-multiple, shared memory that dmabuf_fd_identify() accepts)
 * and how it adopts a staged memfd without a copy.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backend/backend.h"
#include "shared/fdinfo.h"
#include "shared/macro.h"
#include "shared/util.h"
#include "testsuite.h"

static struct backend *be;

static void memfd_backend_setup(void)
{
	ck_assert_int_eq(backend_memfd_new(&be), 0);
}

static void memfd_backend_teardown(void)
{
	be->ops->destroy(be);
	be = NULL;
}

START_TEST(test_memfd_backend_fields)
{
	ck_assert_int_eq(be->kind, BACKEND_MEMFD);
	ck_assert_str_eq(be->name, "memfd");
	ck_assert_str_eq(be->exporter, "memfd");
	ck_assert_int_eq(be->devfd, -1);
	ck_assert(!backend_is_gone(be));
}
END_TEST

START_TEST(test_memfd_backend_alloc)
{
	_cleanup_close_ int fd = -1;
	size_t size = 4 * page_size();
	struct dmabuf_fdinfo info;
	bool is_memfd = false;
	char *p;

	ck_assert_int_eq(be->ops->alloc(be, size, &fd), 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_ne(fcntl(fd, F_GETFD) & FD_CLOEXEC, 0);

	ck_assert_int_eq(dmabuf_fd_identify(fd, &info, &is_memfd), 0);
	ck_assert(is_memfd);
	ck_assert_uint_eq(info.size, size);
	ck_assert_str_eq(info.exp_name, "memfd");

	/* Its size is fixed: neither shrink nor grow. */
	ck_assert_int_eq(ftruncate(fd, (off_t)size / 2), -1);
	ck_assert_int_eq(errno, EPERM);
	ck_assert_int_eq(ftruncate(fd, (off_t)size * 2), -1);
	ck_assert_int_eq(errno, EPERM);

	/* Real memory, shared between mappings. */
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ck_assert_ptr_ne(p, MAP_FAILED);
	p[size - 1] = 'z';
	ck_assert_int_eq(pread(fd, &p[0], 1, (off_t)size - 1), 1);
	ck_assert_int_eq(p[0], 'z');
	munmap(p, size);
}
END_TEST

START_TEST(test_memfd_backend_alloc_bad_size)
{
	int fd = -1;

	ck_assert_int_eq(be->ops->alloc(be, 0, &fd), -EINVAL);
	ck_assert_int_eq(be->ops->alloc(be, page_size() + 1, &fd), -EINVAL);
	ck_assert_int_eq(fd, -1);
}
END_TEST

START_TEST(test_memfd_backend_adopt)
{
	_cleanup_close_ int staged = memfd_create("staged", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	_cleanup_close_ int fd = -1;
	size_t size = 2 * page_size();
	char c = 0;

	ck_assert_int_ge(staged, 0);
	/* Staged data shorter than the page-rounded size. */
	ck_assert_int_eq(pwrite(staged, "abc", 3, 100), 3);
	ck_assert_int_eq(be->ops->adopt_memfd(be, staged, size, &fd), 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_ne(fd, staged);
	/* No copy: the very same file. */
	ck_assert_int_eq(pread(fd, &c, 1, 101), 1);
	ck_assert_int_eq(c, 'b');
	ck_assert_int_eq(pwrite(staged, "X", 1, 0), 1);
	ck_assert_int_eq(pread(fd, &c, 1, 0), 1);
	ck_assert_int_eq(c, 'X');
	ck_assert_int_eq(lseek(fd, 0, SEEK_END), (off_t)size);

	/* Staged data longer than the size asked for is an error. */
	ck_assert_int_eq(be->ops->adopt_memfd(be, staged, page_size(), &fd), -EINVAL);
}
END_TEST

static Suite *memfd_suite(void)
{
	Suite *s = suite_create("memfd");
	TCase *tc;

	tc = tcase_create("memfd-backend");
	tcase_add_checked_fixture(tc, memfd_backend_setup, memfd_backend_teardown);
	tcase_add_test(tc, test_memfd_backend_fields);
	tcase_add_test(tc, test_memfd_backend_alloc);
	tcase_add_test(tc, test_memfd_backend_alloc_bad_size);
	tcase_add_test(tc, test_memfd_backend_adopt);
	suite_add_tcase(s, tc);
	return s;
}

TESTSUITE_MAIN(memfd_suite);
