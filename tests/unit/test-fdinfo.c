// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * src/shared/fdinfo.c: the parser of /proc/PID/fdinfo/FD, on samples of
 * every exporter measured in the VM (HACKING.md, "Exporters as measured in
 * the VM tier") and on malformed text,
 * and fdinfo_read() on real fds of this process.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "shared/fdinfo.h"
#include "shared/macro.h"
#include "testsuite.h"

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
	{ "udmabuf", HDR("02000002", "1033") "size:\t65536\ncount:\t1\nexp_name:\tudmabuf\n", 65536,
	  1033, 1, 02000002, "udmabuf", "" },
	{ "system heap", HDR("02000002", "1040") "size:\t1048576\ncount:\t1\nexp_name:\tsystem\n",
	  1048576, 1040, 1, 02000002, "system", "" },
	{ "vgem", HDR("02000002", "1051") "size:\t4096000\ncount:\t3\nexp_name:\tdrm\n", 4096000,
	  1051, 3, 02000002, "drm", "" },
	{ "bochs", HDR("02000002", "1052") "size:\t4096000\ncount:\t3\nexp_name:\tdrm\n", 4096000,
	  1052, 3, 02000002, "drm", "" },
	{ "qxl", HDR("02000002", "1053") "size:\t8192\ncount:\t3\nexp_name:\tdrm\n", 8192, 1053, 3,
	  02000002, "drm", "" },
	{ "virtio-gpu", HDR("02000002", "1054") "size:\t4096\ncount:\t3\nexp_name:\tvirtio_gpu\n",
	  4096, 1054, 3, 02000002, "virtio_gpu", "" },
	{ "vivid vmalloc",
	  HDR("02", "1060") "size:\t614400\ncount:\t1\nexp_name:\tvideobuf2_vmalloc\n", 614400,
	  1060, 1, 02, "videobuf2_vmalloc", "" },
	{ "vivid dma-contig",
	  HDR("02", "1061") "size:\t614400\ncount:\t1\nexp_name:\tvideobuf2_dma_contig\n", 614400,
	  1061, 1, 02, "videobuf2_dma_contig", "" },
	{ "named udmabuf",
	  HDR("02000002", "1070") "size:\t4096\ncount:\t1\nexp_name:\tudmabuf\nname:\tframe0\n",
	  4096, 1070, 1, 02000002, "udmabuf", "frame0" },
	{ "name with spaces and colon",
	  HDR("02", "7") "size:\t4096\ncount:\t2\nexp_name:\tsystem\nname:\tcam 0: left\n", 4096, 7,
	  2, 02, "system", "cam 0: left" },
	{ "empty name line", HDR("02", "8") "size:\t4096\ncount:\t1\nexp_name:\tsystem\nname:\t\n",
	  4096, 8, 1, 02, "system", "" },
	/* Kernels before 5.14 print no ino: line. */
	{ "no ino line",
	  "pos:\t0\nflags:\t02\nmnt_id:\t9\nsize:\t8192\ncount:\t1\nexp_name:\tudmabuf\n", 8192, 0,
	  1, 02, "udmabuf", "" },
	{ "no final newline", HDR("02", "9") "size:\t4096\ncount:\t1\nexp_name:\tdrm", 4096, 9, 1,
	  02, "drm", "" },
	/* Keys we do not know are skipped, wherever they are. */
	{ "unknown lines",
	  "drm-driver:\tvgem\n" HDR(
		  "02",
		  "10") "size:\t4096\nfoo bar baz\ncount:\t1\nexp_name:\tdrm\ndrm-client-id:\t4\n",
	  4096, 10, 1, 02, "drm", "" },
	{ "64-bit size",
	  HDR("02",
	      "18446744073709551615") "size:\t17179869184\ncount:\t4294967295\nexp_name:\tsystem\n",
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
	ck_assert_msg(fdinfo_parse(malformed[_i], &info) == -EINVAL, "malformed sample %d accepted",
		      _i);
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
	snprintf(text, sizeof(text),
		 HDR("02", "1") "size:\t4096\ncount:\t1\nexp_name:\t%s\nname:\t%s\n", exp, name);
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

TESTSUITE_MAIN(fdinfo_suite);
