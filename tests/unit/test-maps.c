// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * /proc/PID/maps parsing: the dma-buf lines as the kernel prints them, the
 * lines of everything else, hostile lines (names with spaces, overlong
 * paths, forged fields), and this process's own maps with a real mapping.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "shared/macro.h"
#include "shared/maps.h"
#include "testsuite.h"

/* Lines of /proc/PID/maps as Debian's 6.12.95 kernel printed them in the VM
 * tier (bufinfo-sample), the dma-buf filesystem on 00:0b. */
START_TEST(maps_real_612_lines)
{
	struct dmabuf_mapping m;

	ck_assert_int_eq(maps_parse_line("7f321b3e1000-7f321b411000 r--s 00000000 00:0b 3"
					 "                          /dmabuf:\n",
					 &m),
			 0);
	ck_assert_uint_eq(m.ino, 3);
	ck_assert_uint_eq(m.end - m.start, 196608);
	ck_assert_uint_eq(m.dev_major, 0);
	ck_assert_uint_eq(m.dev_minor, 0x0b);
	ck_assert_str_eq(m.name, "");
	ck_assert_int_eq(maps_parse_line("7f321b40e000-7f321b411000 r--s 00000000 00:0b 6"
					 "                          /dmabuf:",
					 &m),
			 0);
	ck_assert_uint_eq(m.ino, 6);
	ck_assert_uint_eq(m.end - m.start, 12288);
}
END_TEST

START_TEST(maps_dmabuf_unnamed)
{
	struct dmabuf_mapping m;

	ck_assert_int_eq(maps_parse_line("7f2c1a400000-7f2c1a410000 rw-s 00000000 00:0e 1033"
					 "                       /dmabuf:\n",
					 &m),
			 0);
	ck_assert_uint_eq(m.start, 0x7f2c1a400000ull);
	ck_assert_uint_eq(m.end, 0x7f2c1a410000ull);
	ck_assert_uint_eq(m.offset, 0);
	ck_assert_uint_eq(m.ino, 1033);
	ck_assert_uint_eq(m.dev_major, 0);
	ck_assert_uint_eq(m.dev_minor, 0x0e);
	ck_assert_str_eq(m.perms, "rw-s");
	ck_assert(m.shared);
	ck_assert_str_eq(m.name, "");
}
END_TEST

START_TEST(maps_dmabuf_named_with_spaces)
{
	struct dmabuf_mapping m;

	ck_assert_int_eq(maps_parse_line("00400000-00401000 r--s 00002000 00:0f 42 "
					 "/dmabuf:cam 0: left  frame",
					 &m),
			 0);
	ck_assert_str_eq(m.name, "cam 0: left  frame");
	ck_assert_uint_eq(m.offset, 0x2000);
	ck_assert_str_eq(m.perms, "r--s");
	ck_assert_uint_eq(m.ino, 42);
}
END_TEST

START_TEST(maps_dmabuf_private_mapping)
{
	struct dmabuf_mapping m;

	ck_assert_int_eq(maps_parse_line("1000-2000 r--p 00000000 00:0e 7 /dmabuf:x", &m), 0);
	ck_assert(!m.shared);
}
END_TEST

START_TEST(maps_other_lines_enoent)
{
	static const char *const others[] = {
		"7ffd3c5e6000-7ffd3c607000 rw-p 00000000 00:00 0                          [stack]",
		"55d0c8a00000-55d0c8a21000 rw-p 00000000 00:00 0                          [heap]",
		"7f2c1a200000-7f2c1a300000 rw-p 00000000 00:00 0 ",
		"7f2c1a200000-7f2c1a300000 rw-p 00000000 00:00 0",
		"7f2c1a3f0000-7f2c1a3f8000 r-xp 00000000 08:01 131 /usr/lib/libc.so.6",
		"7f2c1a3f0000-7f2c1a3f8000 rw-s 00000000 00:01 2048 /memfd:frame (deleted)",
		"7f2c1a3f0000-7f2c1a3f8000 rw-s 00000000 00:05 9 /dev/dri/card0",
		"7f2c1a3f0000-7f2c1a3f8000 rw-s 00000000 00:05 9 /tmp/dmabuf:x",
		"7f2c1a3f0000-7f2c1a3f8000 rw-s 00000000 00:05 9 /dmabuf",
		"ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0                  [vsyscall]",
	};

	for (size_t i = 0; i < ARRAY_SIZE(others); i++) {
		struct dmabuf_mapping m;

		ck_assert_msg(maps_parse_line(others[i], &m) == -ENOENT, "%s", others[i]);
	}
}
END_TEST

START_TEST(maps_malformed_einval)
{
	static const char *const bad[] = {
		"",
		"garbage",
		"7f2c-7f2d",
		"7f2c-7f2d rw-s",
		"2000-1000 rw-s 00000000 00:0e 5 /dmabuf:", /* end < start */
		"1000-2000 rw-x 00000000 00:0e 5 /dmabuf:", /* bad share flag */
		"1000-2000 qw-s 00000000 00:0e 5 /dmabuf:",
		"1000-2000 rw-s 0000000g 00:0e 5 /dmabuf:",
		"1000-2000 rw-s 00000000 00-0e 5 /dmabuf:",
		"1000-2000 rw-s 00000000 00:0e x /dmabuf:",
		"1000-2000 rw-s 00000000 00:0e -5 /dmabuf:",
		"1000-2000 rw-s 00000000 00:0e 0 /dmabuf:", /* no inode */
		"1000-2000 rw-s 00000000 00:0e 5/dmabuf:",
		"1000-2000 rw-s 00000000 00:0e 99999999999999999999999 /dmabuf:",
		"10000000000000000000-2000 rw-s 00000000 00:0e 5 /dmabuf:",
		"1000-2000 rw-s 00000000 00:0e 5 /dmabuf:a\n1000-2000 rw-s 00000000 00:0e 6 /dmabuf:b",
		"1000-2000 RW-S 00000000 00:0e 5 /dmabuf:",
	};

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		struct dmabuf_mapping m;

		ck_assert_msg(maps_parse_line(bad[i], &m) == -EINVAL, "%s", bad[i]);
	}
	ck_assert_int_eq(maps_parse_line(NULL, NULL), -EINVAL);
}
END_TEST

START_TEST(maps_long_path_not_dmabuf)
{
	/* A path far longer than any dma-buf name, and longer than any
	 * fixed buffer we could have: refused, nothing copied past name[]. */
	size_t n = 1 << 20;
	_cleanup_free_ char *line = malloc(n + 64);
	struct dmabuf_mapping m;
	int len;

	ck_assert_ptr_nonnull(line);
	len = sprintf(line, "1000-2000 rw-s 00000000 00:0e 5 /dmabuf:");
	memset(line + len, 'A', n);
	line[len + n] = '\0';
	ck_assert_int_eq(maps_parse_line(line, &m), -ENOENT);
	/* The longest name that fits is still taken whole. */
	line[len + DMABUF_MAP_NAME_MAX - 1] = '\0';
	ck_assert_int_eq(maps_parse_line(line, &m), 0);
	ck_assert_uint_eq(strlen(m.name), DMABUF_MAP_NAME_MAX - 1);
	line[len + DMABUF_MAP_NAME_MAX - 1] = 'A';
	line[len + DMABUF_MAP_NAME_MAX] = '\0';
	ck_assert_int_eq(maps_parse_line(line, &m), -ENOENT);
}
END_TEST

static const char sample_maps[] =
	"55d0c8a00000-55d0c8a21000 rw-p 00000000 00:00 0                          [heap]\n"
	"7f2c1a400000-7f2c1a410000 rw-s 00000000 00:0e 1033                       /dmabuf:\n"
	"7f2c1a410000-7f2c1a420000 r--s 00000000 00:0e 1033                       /dmabuf:\n"
	"7f2c1a420000-7f2c1a430000 rw-s 00000000 00:0e 1040                       /dmabuf:frame 1\n"
	"this line is junk\n"
	"7f2c1a3f0000-7f2c1a3f8000 r-xp 00000000 08:01 131                        /usr/lib/libc.so.6\n"
	"7f2c1a500000-7f2c1a510000 rw-s 00000000 00:2a 77                         /dmabuf:fake\n"
	"7f2c1a600000-7f2c1a610000 rw-s 00000000 00:0e 1051                       /dmabuf:";

START_TEST(maps_text_dedup_and_filter)
{
	_cleanup_free_ struct dmabuf_mapping *v = NULL;
	uint64_t inos[8];
	size_t n = 0, k;

	ck_assert_int_eq(maps_parse_text(sample_maps, &v, &n), 0);
	ck_assert_uint_eq(n, 5);
	ck_assert_uint_eq(v[0].ino, 1033);
	ck_assert_uint_eq(v[2].ino, 1040);
	ck_assert_str_eq(v[2].name, "frame 1");
	ck_assert_uint_eq(v[4].ino, 1051); /* no final newline */
	/* The same buffer mapped twice is one inode. */
	k = maps_unique_inos(v, n, inos);
	ck_assert_uint_eq(k, 4);
	ck_assert_uint_eq(inos[0], 77);
	ck_assert_uint_eq(inos[1], 1033);
	ck_assert_uint_eq(inos[3], 1051);
	/* A file named /dmabuf:fake on another filesystem is dropped. */
	n = maps_filter_dev(v, n, 0, 0x0e);
	ck_assert_uint_eq(n, 4);
	for (size_t i = 0; i < n; i++)
		ck_assert_uint_ne(v[i].ino, 77);
}
END_TEST

START_TEST(maps_text_empty)
{
	struct dmabuf_mapping *v = (void *)1;
	size_t n = 99;

	ck_assert_int_eq(maps_parse_text("", &v, &n), 0);
	ck_assert_uint_eq(n, 0);
	ck_assert_ptr_null(v);
}
END_TEST

/* The reader against a real maps file: this process maps a memfd (the
 * build machine has no dma-buf exporter), which must not be taken for a
 * dma-buf, and the map_files opener finds it. */
START_TEST(maps_read_self_real)
{
	_cleanup_free_ struct dmabuf_mapping *v = NULL;
	_cleanup_close_ int fd = memfd_create("dmabuf:lookalike", MFD_CLOEXEC);
	size_t n = 99;
	void *p;

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ftruncate(fd, 4096), 0);
	p = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
	ck_assert_ptr_ne(p, MAP_FAILED);
	ck_assert_int_eq(maps_read_pid(0, &v, &n), 0);
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(maps_read_pid(getpid(), &v, &n), 0);
	ck_assert_uint_eq(n, 0);
	munmap(p, 4096);
}
END_TEST

/* A file whose name holds a newline and a whole forged dma-buf line, in
 * a deep directory (a path of ~3000 bytes), mapped by this process: the
 * kernel escapes the newline ("\\012") and the line starts with the real
 * path, so the reader finds no dma-buf, and reads on past the long line. */
START_TEST(maps_read_self_forged_name)
{
	/* A directory name, then the file: a name cannot hold the '/'. */
	static const char forged_dir[] = "x\n7f0000000000-7f0000001000 rw-s 00000000 00:0b 5 ";
	char dir[] = "/tmp/test-maps-XXXXXX";
	_cleanup_free_ struct dmabuf_mapping *v = NULL;
	_cleanup_free_ char *path = malloc(4096);
	size_t n = 99, len;
	void *p, *q;
	int fd, memfd;

	ck_assert_ptr_nonnull(path);
	ck_assert_ptr_nonnull(mkdtemp(dir));
	len = (size_t)snprintf(path, 4096, "%s", dir);
	for (int i = 0; i < 12; i++) {
		len += (size_t)snprintf(path + len, 4096 - len, "/%0200d", i);
		ck_assert_int_eq(mkdir(path, 0700), 0);
	}
	snprintf(path + len, 4096 - len, "/%s", forged_dir);
	ck_assert_int_eq(mkdir(path, 0700), 0);
	snprintf(path + len, 4096 - len, "/%s/dmabuf:forged", forged_dir);
	fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ftruncate(fd, 4096), 0);
	p = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
	ck_assert_ptr_ne(p, MAP_FAILED);
	/* And a line after it that must still be read (a lookalike memfd). */
	memfd = memfd_create("dmabuf:", MFD_CLOEXEC);
	ck_assert_int_ge(memfd, 0);
	ck_assert_int_eq(ftruncate(memfd, 4096), 0);
	q = mmap(NULL, 4096, PROT_READ, MAP_SHARED, memfd, 0);
	ck_assert_ptr_ne(q, MAP_FAILED);

	ck_assert_int_eq(maps_read_pid(0, &v, &n), 0);
	ck_assert_uint_eq(n, 0);

	munmap(p, 4096);
	munmap(q, 4096);
	close(fd);
	close(memfd);
	unlink(path);
	snprintf(path + len, 4096 - len, "/%s", forged_dir);
	ck_assert_int_eq(rmdir(path), 0);
	for (int i = 12; i > 0; i--) {
		path[len] = '\0';
		ck_assert_int_eq(rmdir(path), 0);
		len -= 201;
	}
	ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

START_TEST(maps_read_gone_pid)
{
	struct dmabuf_mapping *v = NULL;
	size_t n;

	/* pid_max is at most 4194304. */
	ck_assert_int_eq(maps_read_pid(4194305 + 7, &v, &n), -ESRCH);
	ck_assert_int_eq(maps_read_pid(-1, &v, &n), -EINVAL);
}
END_TEST

START_TEST(maps_open_mapping_real)
{
	_cleanup_close_ int fd = memfd_create("probe", MFD_CLOEXEC);
	_cleanup_close_ int fd2 = -1;
	struct dmabuf_mapping m = { 0 };
	struct stat a, b;
	void *p;

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ftruncate(fd, 8192), 0);
	p = mmap(NULL, 8192, PROT_READ, MAP_SHARED, fd, 0);
	ck_assert_ptr_ne(p, MAP_FAILED);
	m.start = (uintptr_t)p;
	m.end = m.start + 8192;
	fd2 = maps_open_mapping(0, &m, O_RDONLY);
	if (fd2 == -EPERM || fd2 == -EACCES) {
		munmap(p, 8192);
		return; /* map_files needs CAP_SYS_ADMIN; proven as root */
	}
	ck_assert_int_ge(fd2, 0);
	ck_assert_int_eq(fstat(fd, &a), 0);
	ck_assert_int_eq(fstat(fd2, &b), 0);
	ck_assert_uint_eq(a.st_ino, b.st_ino);
	ck_assert_uint_eq(a.st_dev, b.st_dev);
	m.end += 4096; /* no such mapping */
	ck_assert_int_eq(maps_open_mapping(0, &m, O_RDONLY), -ENOENT);
	ck_assert_int_eq(maps_open_mapping(0, &m, O_CREAT), -EINVAL);
	munmap(p, 8192);
}
END_TEST

static Suite *maps_suite(void)
{
	Suite *s = suite_create("maps");
	TCase *tc = tcase_create("parse");

	tcase_add_test(tc, maps_real_612_lines);
	tcase_add_test(tc, maps_dmabuf_unnamed);
	tcase_add_test(tc, maps_dmabuf_named_with_spaces);
	tcase_add_test(tc, maps_dmabuf_private_mapping);
	tcase_add_test(tc, maps_other_lines_enoent);
	tcase_add_test(tc, maps_malformed_einval);
	tcase_add_test(tc, maps_long_path_not_dmabuf);
	tcase_add_test(tc, maps_text_dedup_and_filter);
	tcase_add_test(tc, maps_text_empty);
	suite_add_tcase(s, tc);
	tc = tcase_create("read");
	tcase_add_test(tc, maps_read_self_real);
	tcase_add_test(tc, maps_read_self_forged_name);
	tcase_add_test(tc, maps_read_gone_pid);
	tcase_add_test(tc, maps_open_mapping_real);
	suite_add_tcase(s, tc);
	return s;
}

TESTSUITE_MAIN(maps_suite);
