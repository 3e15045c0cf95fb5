// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * fdinfo parsing (samples of every exporter measured in the VM, see
 * FACTS.md), the small parsers of util.c, and what dmabuf_fd_identify()
 * makes of the fds a client can hand over: memfds are in, regular files,
 * pipes and sockets are out. The memfd backend is exercised on real fds.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backend/backend.h"
#include "shared/fdinfo.h"
#include "shared/macro.h"
#include "shared/util.h"
#include "testsuite.h"

/* ------------------------------------------------------------ samples */

struct sample {
	const char *what;
	const char *text;
	uint64_t size, ino;
	uint32_t count;
	unsigned int flags;
	const char *exp_name, *name;
};

/* As the 6.12 guest printed them: the generic lines, then the dma-buf's. */
#define HDR(flags, ino) "pos:\t0\nflags:\t" flags "\nmnt_id:\t15\nino:\t" ino "\n"

static const struct sample samples[] = {
	{ "udmabuf", HDR("02000002", "1033") "size:\t65536\ncount:\t1\nexp_name:\tudmabuf\n",
	  65536, 1033, 1, 02000002, "udmabuf", "" },
	{ "system heap", HDR("02000002", "1040") "size:\t1048576\ncount:\t1\nexp_name:\tsystem\n",
	  1048576, 1040, 1, 02000002, "system", "" },
	{ "vgem", HDR("02000002", "1051") "size:\t4096000\ncount:\t3\nexp_name:\tdrm\n",
	  4096000, 1051, 3, 02000002, "drm", "" },
	{ "bochs", HDR("02000002", "1052") "size:\t4096000\ncount:\t3\nexp_name:\tdrm\n",
	  4096000, 1052, 3, 02000002, "drm", "" },
	{ "qxl", HDR("02000002", "1053") "size:\t8192\ncount:\t3\nexp_name:\tdrm\n", 8192,
	  1053, 3, 02000002, "drm", "" },
	{ "virtio-gpu",
	  HDR("02000002", "1054") "size:\t4096\ncount:\t3\nexp_name:\tvirtio_gpu\n", 4096,
	  1054, 3, 02000002, "virtio_gpu", "" },
	{ "vivid vmalloc",
	  HDR("02", "1060") "size:\t614400\ncount:\t1\nexp_name:\tvideobuf2_vmalloc\n",
	  614400, 1060, 1, 02, "videobuf2_vmalloc", "" },
	{ "vivid dma-contig",
	  HDR("02", "1061") "size:\t614400\ncount:\t1\nexp_name:\tvideobuf2_dma_contig\n",
	  614400, 1061, 1, 02, "videobuf2_dma_contig", "" },
	{ "named udmabuf",
	  HDR("02000002", "1070") "size:\t4096\ncount:\t1\nexp_name:\tudmabuf\nname:\tframe0\n",
	  4096, 1070, 1, 02000002, "udmabuf", "frame0" },
	{ "name with spaces and colon",
	  HDR("02", "7") "size:\t4096\ncount:\t2\nexp_name:\tsystem\nname:\tcam 0: left\n",
	  4096, 7, 2, 02, "system", "cam 0: left" },
	{ "empty name line",
	  HDR("02", "8") "size:\t4096\ncount:\t1\nexp_name:\tsystem\nname:\t\n", 4096, 8, 1,
	  02, "system", "" },
	/* Kernels before 5.14 print no ino: line. */
	{ "no ino line", "pos:\t0\nflags:\t02\nmnt_id:\t9\nsize:\t8192\ncount:\t1\nexp_name:\tudmabuf\n",
	  8192, 0, 1, 02, "udmabuf", "" },
	{ "no final newline", HDR("02", "9") "size:\t4096\ncount:\t1\nexp_name:\tdrm", 4096,
	  9, 1, 02, "drm", "" },
	/* Keys we do not know are skipped, wherever they are. */
	{ "unknown lines", "drm-driver:\tvgem\n" HDR("02", "10")
	  "size:\t4096\nfoo bar baz\ncount:\t1\nexp_name:\tdrm\ndrm-client-id:\t4\n",
	  4096, 10, 1, 02, "drm", "" },
	{ "64-bit size", HDR("02", "18446744073709551615")
	  "size:\t17179869184\ncount:\t4294967295\nexp_name:\tsystem\n",
	  17179869184ULL, UINT64_MAX, UINT32_MAX, 02, "system", "" },
};

START_TEST(test_parse_exporter_samples)
{
	const struct sample *s = &samples[_i];
	struct dmabuf_fdinfo info;

	memset(&info, 0xa5, sizeof(info));
	ck_assert_msg(fdinfo_parse(s->text, &info) == 0, "%s: parse failed", s->what);
	ck_assert_msg(info.is_dmabuf, "%s: not seen as a dma-buf", s->what);
	ck_assert_uint_eq(info.size, s->size);
	ck_assert_uint_eq(info.ino, s->ino);
	ck_assert_uint_eq(info.count, s->count);
	ck_assert_uint_eq(info.flags, s->flags);
	ck_assert_str_eq(info.exp_name, s->exp_name);
	ck_assert_str_eq(info.name, s->name);
}
END_TEST

START_TEST(test_parse_not_a_dmabuf)
{
	/* A memfd or regular file: the generic lines only. */
	const char *text = "pos:\t4096\nflags:\t0100002\nmnt_id:\t21\nino:\t5\n";
	struct dmabuf_fdinfo info;

	ck_assert_int_eq(fdinfo_parse(text, &info), 0);
	ck_assert(!info.is_dmabuf);
	ck_assert_uint_eq(info.flags, 0100002);
	ck_assert_uint_eq(info.ino, 5);
	ck_assert_str_eq(info.exp_name, "");
	ck_assert_str_eq(info.name, "");
}
END_TEST

static const char *const malformed[] = {
	"",
	"\n\n",
	HDR("02", "1") "size:\tabc\ncount:\t1\nexp_name:\tdrm\n",
	HDR("02", "1") "size:\t\ncount:\t1\nexp_name:\tdrm\n",
	HDR("02", "1") "size:\t-4096\ncount:\t1\nexp_name:\tdrm\n",
	HDR("02", "1") "size:\t4096x\ncount:\t1\nexp_name:\tdrm\n",
	HDR("02", "1") "size:\t4096 7\ncount:\t1\nexp_name:\tdrm\n",
	/* 2^64: one more than fits */
	HDR("02", "1") "size:\t18446744073709551616\ncount:\t1\nexp_name:\tdrm\n",
	HDR("02", "1") "size:\t99999999999999999999999999999999999\ncount:\t1\nexp_name:\tdrm\n",
	HDR("02", "1") "size:\t4096\ncount:\t4294967296\nexp_name:\tdrm\n",
	HDR("0999", "1") "size:\t4096\ncount:\t1\nexp_name:\tdrm\n", /* not octal */
	HDR("02", "x1") "size:\t4096\ncount:\t1\nexp_name:\tdrm\n",
	HDR("02", "1") "size:\t4096\ncount:\t1\nexp_name:\t\n", /* empty exporter */
	HDR("02", "1") "size:\t4096\ncount:\t1\nexp_name:\tdrm\nexp_name:\tudmabuf\n",
	HDR("02", "1") "size:\t4096\nsize:\t8192\ncount:\t1\nexp_name:\tdrm\n",
	/* a dma-buf always has size and count */
	HDR("02", "1") "count:\t1\nexp_name:\tdrm\n",
	HDR("02", "1") "size:\t4096\nexp_name:\tdrm\n",
	/* longer than any kernel would print: must not overflow exp_name[64] */
	HDR("02", "1") "size:\t4096\ncount:\t1\nexp_name:\t"
		       "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n",
	HDR("02", "1") "size:\t4096\ncount:\t1\nexp_name:\tdrm\nname:\t"
		       "yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy\n",
};

START_TEST(test_parse_malformed)
{
	struct dmabuf_fdinfo info;

	memset(&info, 0, sizeof(info));
	ck_assert_msg(fdinfo_parse(malformed[_i], &info) == -EINVAL,
		      "malformed sample %d accepted", _i);
}
END_TEST

START_TEST(test_parse_longest_fields_fit)
{
	char text[512], exp[64], name[64];
	struct dmabuf_fdinfo info;

	memset(exp, 'e', 63);
	exp[63] = '\0';
	memset(name, 'n', 63);
	name[63] = '\0';
	snprintf(text, sizeof(text), HDR("02", "1") "size:\t4096\ncount:\t1\nexp_name:\t%s\nname:\t%s\n",
		 exp, name);
	ck_assert_int_eq(fdinfo_parse(text, &info), 0);
	ck_assert_str_eq(info.exp_name, exp);
	ck_assert_str_eq(info.name, name);
}
END_TEST

START_TEST(test_parse_null_args)
{
	struct dmabuf_fdinfo info;

	ck_assert_int_eq(fdinfo_parse(NULL, &info), -EINVAL);
	ck_assert_int_eq(fdinfo_parse(samples[0].text, NULL), -EINVAL);
}
END_TEST

/* ------------------------------------------------------------ /proc */

START_TEST(test_read_memfd_self)
{
	_cleanup_close_ int fd = memfd_create("test-fdinfo", MFD_CLOEXEC);
	struct dmabuf_fdinfo a, b;
	struct stat st;

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ftruncate(fd, 8192), 0);
	ck_assert_int_eq(fstat(fd, &st), 0);

	ck_assert_int_eq(fdinfo_read(0, fd, &a), 0);
	ck_assert(!a.is_dmabuf);
	ck_assert_str_eq(a.exp_name, "");
	/* The access mode and O_CLOEXEC are in the octal flags. */
	ck_assert_uint_eq(a.flags & O_ACCMODE, O_RDWR);
	ck_assert_uint_ne(a.flags & O_CLOEXEC, 0);
	/* ino: is printed by 5.14+; when present it is the file's. */
	if (a.ino)
		ck_assert_uint_eq(a.ino, (uint64_t)st.st_ino);

	/* pid 0 and our own pid name the same file. */
	ck_assert_int_eq(fdinfo_read(getpid(), fd, &b), 0);
	ck_assert_uint_eq(a.flags, b.flags);
	ck_assert_uint_eq(a.ino, b.ino);
}
END_TEST

START_TEST(test_read_bad_fd)
{
	struct dmabuf_fdinfo info;
	int fd = memfd_create("test-fdinfo", MFD_CLOEXEC);

	ck_assert_int_ge(fd, 0);
	close(fd);
	ck_assert_int_eq(fdinfo_read(0, fd, &info), -ENOENT);
	ck_assert_int_eq(fdinfo_read(0, -1, &info), -EINVAL);
}
END_TEST

/* ------------------------------------------------------------ util */

struct size_case {
	const char *s;
	int ret;
	uint64_t val;
};

static const struct size_case size_cases[] = {
	{ "0", 0, 0 },
	{ "1", 0, 1 },
	{ "4096", 0, 4096 },
	{ "010", 0, 10 }, /* decimal, not octal */
	{ "4K", 0, 4096 },
	{ "4k", 0, 4096 },
	{ "4KiB", 0, 4096 },
	{ "4KB", 0, 4096 },
	{ "64M", 0, 64ULL << 20 },
	{ "1G", 0, 1ULL << 30 },
	{ "2T", 0, 2ULL << 40 },
	{ "0x1000", 0, 4096 },
	{ "0X10k", 0, 16 << 10 },
	{ "0x1B", 0, 27 }, /* B is a hex digit, not a suffix */
	{ "0x10K", 0, 16 << 10 },
	{ "18446744073709551615", 0, UINT64_MAX },
	{ "16777215T", 0, 16777215ULL << 40 },
	{ "16777216T", -ERANGE, 0 },
	{ "18446744073709551616", -ERANGE, 0 },
	{ "17179869184G", -ERANGE, 0 },
	{ "", -EINVAL, 0 },
	{ "K", -EINVAL, 0 },
	{ "-1", -EINVAL, 0 },
	{ "+1", -EINVAL, 0 },
	{ " 1", -EINVAL, 0 },
	{ "1 ", -EINVAL, 0 },
	{ "1.5M", -EINVAL, 0 },
	{ "1X", -EINVAL, 0 },
	{ "1KK", -EINVAL, 0 },
	{ "1Kib", -EINVAL, 0 },
	{ "0x", -EINVAL, 0 },
	{ "0xg", -EINVAL, 0 },
};

START_TEST(test_parse_size_cases)
{
	const struct size_case *c = &size_cases[_i];
	uint64_t v = 12345;
	int r = parse_size(c->s, &v);

	ck_assert_msg(r == c->ret, "parse_size(\"%s\") = %d, want %d", c->s, r, c->ret);
	if (c->ret == 0)
		ck_assert_msg(v == c->val, "parse_size(\"%s\") = %llu, want %llu", c->s,
			      (unsigned long long)v, (unsigned long long)c->val);
	else
		ck_assert_msg(v == 12345, "parse_size(\"%s\") wrote a result on error", c->s);
}
END_TEST

START_TEST(test_parse_u64_strict)
{
	uint64_t v;

	ck_assert_int_eq(parse_u64("42", 10, &v), 0);
	ck_assert_uint_eq(v, 42);
	ck_assert_int_eq(parse_u64("0755", 8, &v), 0);
	ck_assert_uint_eq(v, 0755);
	ck_assert_int_eq(parse_u64("0x1f", 0, &v), 0);
	ck_assert_uint_eq(v, 31);
	ck_assert_int_eq(parse_u64("18446744073709551615", 10, &v), 0);
	ck_assert_uint_eq(v, UINT64_MAX);
	ck_assert_int_eq(parse_u64("18446744073709551616", 10, &v), -ERANGE);
	ck_assert_int_eq(parse_u64("-1", 10, &v), -EINVAL);
	ck_assert_int_eq(parse_u64(" 1", 10, &v), -EINVAL);
	ck_assert_int_eq(parse_u64("1 ", 10, &v), -EINVAL);
	ck_assert_int_eq(parse_u64("", 10, &v), -EINVAL);
	ck_assert_int_eq(parse_u64("8", 8, &v), -EINVAL);
	ck_assert_int_eq(parse_u64(NULL, 10, &v), -EINVAL);
}
END_TEST

START_TEST(test_read_file)
{
	char path[] = "/tmp/test-fdinfo-XXXXXX";
	_cleanup_close_ int fd = mkstemp(path);
	char buf[16];
	size_t len = 99;

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "hello\n", 6), 6);

	ck_assert_int_eq(read_file(path, buf, sizeof(buf), &len), 0);
	ck_assert_uint_eq(len, 6);
	ck_assert_str_eq(buf, "hello\n");
	/* Exactly fits with its NUL. */
	ck_assert_int_eq(read_file(path, buf, 7, &len), 0);
	ck_assert_str_eq(buf, "hello\n");
	/* One byte short: refused, not cut. */
	ck_assert_int_eq(read_file(path, buf, 6, &len), -EFBIG);
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(read_file(path, buf, sizeof(buf), &len), -ENOENT);
}
END_TEST

START_TEST(test_page_size)
{
	size_t ps = page_size();

	ck_assert_uint_eq(ps, (size_t)sysconf(_SC_PAGESIZE));
	ck_assert_uint_eq(ps & (ps - 1), 0);
}
END_TEST

/* ------------------------------------------------------------ identify */

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

/* ------------------------------------------------------------ memfd backend */

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

/* ------------------------------------------------------------ main */

static Suite *fdinfo_suite(void)
{
	Suite *s = suite_create("fdinfo");
	TCase *tc;

	tc = tcase_create("parse");
	tcase_add_loop_test(tc, test_parse_exporter_samples, 0, (int)ARRAY_SIZE(samples));
	tcase_add_test(tc, test_parse_not_a_dmabuf);
	tcase_add_test(tc, test_parse_longest_fields_fit);
	tcase_add_test(tc, test_parse_null_args);
	suite_add_tcase(s, tc);

	tc = tcase_create("malformed");
	tcase_add_loop_test(tc, test_parse_malformed, 0, (int)ARRAY_SIZE(malformed));
	suite_add_tcase(s, tc);

	tc = tcase_create("proc");
	tcase_add_test(tc, test_read_memfd_self);
	tcase_add_test(tc, test_read_bad_fd);
	suite_add_tcase(s, tc);
	return s;
}

static Suite *util_suite(void)
{
	Suite *s = suite_create("util");
	TCase *tc;

	tc = tcase_create("parse_size");
	tcase_add_loop_test(tc, test_parse_size_cases, 0, (int)ARRAY_SIZE(size_cases));
	suite_add_tcase(s, tc);

	tc = tcase_create("parse_u64");
	tcase_add_test(tc, test_parse_u64_strict);
	suite_add_tcase(s, tc);

	tc = tcase_create("files");
	tcase_add_test(tc, test_read_file);
	tcase_add_test(tc, test_page_size);
	suite_add_tcase(s, tc);
	return s;
}

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

	tc = tcase_create("memfd-backend");
	tcase_add_checked_fixture(tc, memfd_backend_setup, memfd_backend_teardown);
	tcase_add_test(tc, test_memfd_backend_fields);
	tcase_add_test(tc, test_memfd_backend_alloc);
	tcase_add_test(tc, test_memfd_backend_alloc_bad_size);
	tcase_add_test(tc, test_memfd_backend_adopt);
	suite_add_tcase(s, tc);
	return s;
}

TESTSUITE_MAIN(fdinfo_suite, util_suite, identify_suite);
