// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * src/shared/util.c: the strict number and size parsers that option and
 * control-socket input go through, read_file() and page_size().
 */
#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "shared/macro.h"
#include "shared/util.h"
#include "testsuite.h"

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

START_TEST(test_size_rounds_to)
{
	/* 3,000,000 bytes are 3,002,368 in 4 KiB pages. */
	ck_assert(size_rounds_to(3002368, 3002368, 4096));
	ck_assert(size_rounds_to(3000000, 3002368, 4096));
	ck_assert(size_rounds_to(2998273, 3002368, 4096));
	ck_assert(!size_rounds_to(2998272, 3002368, 4096)); /* a page less */
	ck_assert(!size_rounds_to(3002369, 3002368, 4096));
	ck_assert(!size_rounds_to(0, 3002368, 4096));
	ck_assert(size_rounds_to(1, 4096, 4096));
	/* 64 KiB pages (arm64, ppc64) */
	ck_assert(size_rounds_to(3000000, 3014656, 65536));
	ck_assert(!size_rounds_to(2949120, 3014656, 65536)); /* a page less */
	/* A buffer that is no page multiple (an import): at most its size. */
	ck_assert(size_rounds_to(5000, 5000, 4096));
	ck_assert(size_rounds_to(4097, 5000, 4096));
	ck_assert(!size_rounds_to(6000, 5000, 4096));
	ck_assert(!size_rounds_to(4096, 5000, 4096));
	ck_assert(!size_rounds_to(UINT64_MAX, 4096, 4096));
}
END_TEST

START_TEST(test_meminfo_field)
{
	const char *text = "MemTotal:       16314856 kB\n"
			   "MemFree:          123456 kB\n"
			   "MemAvailable:    8000000 kB\n"
			   "HugePages_Total:       0\n";
	uint64_t v = 0;

	ck_assert_int_eq(meminfo_field(text, "MemAvailable", &v), 0);
	ck_assert_uint_eq(v, 8000000ULL * 1024);
	ck_assert_int_eq(meminfo_field(text, "MemTotal", &v), 0);
	ck_assert_uint_eq(v, 16314856ULL * 1024);
	ck_assert_int_eq(meminfo_field(text, "Mem", &v), -ENOENT);
	ck_assert_int_eq(meminfo_field(text, "Cached", &v), -ENOENT);
	ck_assert_int_eq(meminfo_field(text, "HugePages_Total", &v), -EINVAL);
	ck_assert_int_eq(meminfo_field("MemAvailable: 12 kB", "MemAvailable", &v), 0);
	ck_assert_uint_eq(v, 12 * 1024);
	ck_assert_int_eq(meminfo_field("MemAvailable: -1 kB\n", "MemAvailable", &v), -EINVAL);
	ck_assert_int_eq(meminfo_field("MemAvailable: 1 MB\n", "MemAvailable", &v), -EINVAL);
	ck_assert_int_eq(meminfo_field("MemAvailable: 18446744073709551615 kB\n", "MemAvailable",
				       &v),
			 -ERANGE);
	ck_assert_int_eq(meminfo_field("", "MemAvailable", &v), -ENOENT);
	/* The machine's own */
	ck_assert_int_eq(mem_available(&v), 0);
	ck_assert_uint_gt(v, 0);
}
END_TEST

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

	tc = tcase_create("rounding");
	tcase_add_test(tc, test_size_rounds_to);
	suite_add_tcase(s, tc);

	tc = tcase_create("meminfo");
	tcase_add_test(tc, test_meminfo_field);
	suite_add_tcase(s, tc);

	tc = tcase_create("files");
	tcase_add_test(tc, test_read_file);
	tcase_add_test(tc, test_page_size);
	suite_add_tcase(s, tc);
	return s;
}

TESTSUITE_MAIN(util_suite);
