// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Buffer names (tree entries and control-socket names): what is refused
 * with EINVAL, where ENAMETOOLONG starts, and that anything else a regular
 * file name may hold (UTF-8, spaces, leading dots) is accepted.
 */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "shared/macro.h"
#include "shared/names.h"
#include "testsuite.h"

static int validate(const char *s)
{
	return name_validate(s, strlen(s));
}

START_TEST(test_empty)
{
	ck_assert_int_eq(validate(""), -EINVAL);
	ck_assert_int_eq(name_validate("abc", 0), -EINVAL);
	ck_assert_int_eq(name_validate(NULL, 0), -EINVAL);
	ck_assert_int_eq(name_validate(NULL, 3), -EINVAL);
}
END_TEST

START_TEST(test_dot_and_dotdot)
{
	ck_assert_int_eq(validate("."), -EINVAL);
	ck_assert_int_eq(validate(".."), -EINVAL);
	/* only the exact names are special */
	ck_assert_int_eq(validate("..."), 0);
	ck_assert_int_eq(validate(".hidden"), 0);
	ck_assert_int_eq(validate("..x"), 0);
	ck_assert_int_eq(validate("x."), 0);
	/* a counted "..": the length decides, not a NUL further on */
	ck_assert_int_eq(name_validate("...", 2), -EINVAL);
	ck_assert_int_eq(name_validate("..", 1), -EINVAL);
}
END_TEST

START_TEST(test_slash)
{
	ck_assert_int_eq(validate("/"), -EINVAL);
	ck_assert_int_eq(validate("a/b"), -EINVAL);
	ck_assert_int_eq(validate("/abs"), -EINVAL);
	ck_assert_int_eq(validate("trailing/"), -EINVAL);
	ck_assert_int_eq(validate("../escape"), -EINVAL);
}
END_TEST

START_TEST(test_embedded_nul)
{
	/* Names arrive as counted strings over the control socket. */
	ck_assert_int_eq(name_validate("ab\0cd", 5), -EINVAL);
	ck_assert_int_eq(name_validate("abc\0", 4), -EINVAL);
	ck_assert_int_eq(name_validate("\0", 1), -EINVAL);
	ck_assert_int_eq(name_validate("ab\0cd", 2), 0);
}
END_TEST

START_TEST(test_length_limit)
{
	char name[300];

	memset(name, 'a', sizeof(name));
	ck_assert_int_eq(name_validate(name, 1), 0);
	ck_assert_int_eq(name_validate(name, 254), 0);
	ck_assert_int_eq(name_validate(name, 255), 0);
	ck_assert_int_eq(name_validate(name, 256), -ENAMETOOLONG);
	ck_assert_int_eq(name_validate(name, 300), -ENAMETOOLONG);
	/* bytes, not characters: 85 three-byte characters are 255 bytes */
	for (int i = 0; i < 86; i++)
		memcpy(name + 3 * i, "\xe2\x82\xac", 3); /* U+20AC */
	ck_assert_int_eq(name_validate(name, 255), 0);
	ck_assert_int_eq(name_validate(name, 258), -ENAMETOOLONG);
}
END_TEST

START_TEST(test_ordinary_names)
{
	static const char *const ok[] = {
		"a",
		"frame0",
		"img.raw",
		"with space",
		"caf\xc3\xa9",				/* café */
		"\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e", /* 日本語 */
		"\xf0\x9f\x96\xbc",			/* 🖼 */
		"-leading-dash",
	};

	for (size_t i = 0; i < ARRAY_SIZE(ok); i++)
		ck_assert_msg(validate(ok[i]) == 0, "\"%s\" refused", ok[i]);
}
END_TEST

START_TEST(test_control_bytes)
{
	/* newline and escape would inject lines into logs and fdinfo */
	static const char *const bad[] = {
		"line\nbreak", "\x1b[31mred", "tab\there", "cr\r", "\x01", "del\x7f", "\x1f",
	};

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		ck_assert_msg(validate(bad[i]) == -EINVAL, "control byte in #%zu accepted", i);
	/* the edges: 0x20 (space) and 0x7e (~) are ordinary, 0x80+ is UTF-8 */
	ck_assert_int_eq(validate(" "), 0);
	ck_assert_int_eq(validate("~"), 0);
	ck_assert_int_eq(validate("\x80\xff"), 0);
}
END_TEST

START_TEST(test_reserved_names)
{
	static const char *const reserved[] = { "new", "by-inode", "by-exporter", "proc",
						"scanout" };

	for (size_t i = 0; i < ARRAY_SIZE(reserved); i++) {
		ck_assert_msg(validate(reserved[i]) == -EINVAL, "\"%s\" accepted", reserved[i]);
		/* counted: a longer buffer whose first bytes spell the name */
		ck_assert_int_eq(name_validate(reserved[i], strlen(reserved[i])), -EINVAL);
	}
	/* only the exact names: prefixes, suffixes and case differ */
	ck_assert_int_eq(validate("news"), 0);
	ck_assert_int_eq(validate("ne"), 0);
	ck_assert_int_eq(validate("Proc"), 0);
	ck_assert_int_eq(validate("by-inode2"), 0);
	ck_assert_int_eq(validate("scanout.raw"), 0);
	ck_assert_int_eq(name_validate("newer", 3), -EINVAL);
	ck_assert_int_eq(name_validate("procs", 4), -EINVAL);
}
END_TEST

static Suite *names_suite(void)
{
	Suite *s = suite_create("names");
	TCase *tc;

	tc = tcase_create("invalid");
	tcase_add_test(tc, test_empty);
	tcase_add_test(tc, test_dot_and_dotdot);
	tcase_add_test(tc, test_slash);
	tcase_add_test(tc, test_embedded_nul);
	tcase_add_test(tc, test_control_bytes);
	tcase_add_test(tc, test_reserved_names);
	suite_add_tcase(s, tc);

	tc = tcase_create("length");
	tcase_add_test(tc, test_length_limit);
	suite_add_tcase(s, tc);

	tc = tcase_create("valid");
	tcase_add_test(tc, test_ordinary_names);
	suite_add_tcase(s, tc);
	return s;
}

TESTSUITE_MAIN(names_suite);
