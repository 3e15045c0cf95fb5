// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * src/backend/import.c: what dmabuf_fd_identify() makes of the fds a client
 * can hand over: memfds are in; regular files (even unlinked), tmpfs files,
 * pipes, sockets and closed fds are out.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backend/backend.h"
#include "shared/fdinfo.h"
#include "shared/macro.h"
#include "testsuite.h"

static void assert_not_buffer(int fd)
{
	struct dmabuf_fdinfo info;
	bool is_memfd = true;

	ck_assert_int_eq(dmabuf_fd_identify(fd, &info, &is_memfd), -EBADF);
}

START_TEST(test_identify_memfd)
{
	_cleanup_close_ int fd = memfd_create("staged", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	struct dmabuf_fdinfo info;
	bool is_memfd = false;
	struct stat st;

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ftruncate(fd, 3 * 4096), 0);
	ck_assert_int_eq(fstat(fd, &st), 0);
	ck_assert_int_eq(dmabuf_fd_identify(fd, &info, &is_memfd), 0);
	ck_assert(is_memfd);
	ck_assert(!info.is_dmabuf);
	ck_assert_uint_eq(info.size, 3 * 4096);
	ck_assert_uint_eq(info.ino, (uint64_t)st.st_ino);
	ck_assert_str_eq(info.exp_name, "memfd");
	ck_assert_str_eq(info.name, "");
}
END_TEST

START_TEST(test_identify_regular_file)
{
	char path[] = "/tmp/test-identify-XXXXXX";
	_cleanup_close_ int fd = mkstemp(path);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ftruncate(fd, 4096), 0);
	assert_not_buffer(fd);
	/* Unlinked is not enough to pass for a memfd. */
	ck_assert_int_eq(unlink(path), 0);
	assert_not_buffer(fd);
}
END_TEST

START_TEST(test_identify_shm_file)
{
	/* tmpfs files answer F_GET_SEALS like memfds do. */
	char path[] = "/dev/shm/test-identify-XXXXXX";
	_cleanup_close_ int fd = mkstemp(path);

	if (fd < 0)
		return; /* no /dev/shm here: nothing to test */
	ck_assert_int_eq(ftruncate(fd, 4096), 0);
	assert_not_buffer(fd);
	ck_assert_int_eq(unlink(path), 0);
	assert_not_buffer(fd);
}
END_TEST

START_TEST(test_identify_pipe_socket)
{
	int p[2], s[2];

	ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);
	assert_not_buffer(p[0]);
	assert_not_buffer(p[1]);
	close(p[0]);
	close(p[1]);

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, s), 0);
	assert_not_buffer(s[0]);
	close(s[0]);
	close(s[1]);
}
END_TEST

START_TEST(test_identify_closed_fd)
{
	int fd = memfd_create("gone", MFD_CLOEXEC);

	ck_assert_int_ge(fd, 0);
	close(fd);
	assert_not_buffer(fd);
	assert_not_buffer(-1);
}
END_TEST

static Suite *identify_suite(void)
{
	Suite *s = suite_create("identify");
	TCase *tc;

	tc = tcase_create("fd-kinds");
	tcase_add_test(tc, test_identify_memfd);
	tcase_add_test(tc, test_identify_regular_file);
	tcase_add_test(tc, test_identify_shm_file);
	tcase_add_test(tc, test_identify_pipe_socket);
	tcase_add_test(tc, test_identify_closed_fd);
	suite_add_tcase(s, tc);
	return s;
}

TESTSUITE_MAIN(identify_suite);
