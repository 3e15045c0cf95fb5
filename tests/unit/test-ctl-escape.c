// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * How dmabufctl prints names (src/ctl/escape.c): control bytes, DEL, '\' and
 * bytes outside well-formed UTF-8 become \xHH, everything else is copied, and
 * the escaped text always decodes back to the exact bytes.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/escape.h"
#include "shared/macro.h"
#include "testsuite.h"

static void expect_escape(const char *in, size_t len, const char *want)
{
	char *got = name_escape(in, len);

	ck_assert_ptr_nonnull(got);
	ck_assert_str_eq(got, want);
	free(got);
}

/* The inverse of name_escape(), written independently: \xHH -> byte. */
static size_t unescape(const char *s, char *out)
{
	size_t n = 0;

	while (*s) {
		unsigned int v;

		if (s[0] == '\\') {
			ck_assert_int_eq(s[1], 'x');
			ck_assert_int_eq(sscanf(s + 2, "%2x", &v), 1);
			out[n++] = (char)v;
			s += 4;
		} else {
			out[n++] = *s++;
		}
	}
	return n;
}

START_TEST(test_plain_names_unchanged)
{
	expect_escape("buf", 3, "buf");
	expect_escape("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", 14,
		      "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
	expect_escape("a b.c-d_e", 9, "a b.c-d_e");
}
END_TEST

START_TEST(test_control_bytes_escaped)
{
	expect_escape("a\nb", 3, "a\\x0ab");
	expect_escape("\x1b[2J", 4, "\\x1b[2J");
	expect_escape("\t\r\x7f", 3, "\\x09\\x0d\\x7f");
	/* The escape character itself, so that escaped text is unambiguous. */
	expect_escape("a\\xffb", 6, "a\\x5cxffb");
}
END_TEST

START_TEST(test_invalid_utf8_escaped)
{
	expect_escape("\xff", 1, "\\xff");
	expect_escape("bad\xff\xfeutf8", 9, "bad\\xff\\xfeutf8");
	/* overlong "/" and NUL, a surrogate, past U+10FFFF */
	expect_escape("\xc0\xaf", 2, "\\xc0\\xaf");
	expect_escape("\xe0\x80\x80", 3, "\\xe0\\x80\\x80");
	expect_escape("\xed\xa0\x80", 3, "\\xed\\xa0\\x80");
	expect_escape("\xf4\x90\x80\x80", 4, "\\xf4\\x90\\x80\\x80");
	/* a sequence cut short by the end, and by another lead byte */
	expect_escape("x\xc3", 2, "x\\xc3");
	expect_escape("\xe2\x82"
		      "a",
		      3, "\\xe2\\x82a");
}
END_TEST

START_TEST(test_every_byte_round_trips)
{
	char in[256], back[256 * 4];
	char *esc;

	for (int i = 0; i < 256; i++)
		in[i] = (char)(i ? i : 1);
	esc = name_escape(in, sizeof(in));
	ck_assert_ptr_nonnull(esc);
	for (const unsigned char *p = (const unsigned char *)esc; *p; p++)
		ck_assert_msg(*p >= 0x20 && *p != 0x7f, "control byte %#x left", *p);
	ck_assert_uint_eq(unescape(esc, back), sizeof(in));
	ck_assert_mem_eq(back, in, sizeof(in));
	free(esc);
}
END_TEST

START_TEST(test_width_counts_characters)
{
	ck_assert_uint_eq(text_width("abc"), 3);
	ck_assert_uint_eq(text_width("caf\xc3\xa9"), 4);
	ck_assert_uint_eq(text_width("\\xff"), 4);
}
END_TEST

START_TEST(test_hex)
{
	char *h = hex_encode("bad\xff\xfe", 5);

	ck_assert_str_eq(h, "626164fffe");
	free(h);
}
END_TEST

static Suite *escape_suite(void)
{
	Suite *s = suite_create("ctl-escape");
	TCase *tc = tcase_create("escape");

	tcase_add_test(tc, test_plain_names_unchanged);
	tcase_add_test(tc, test_control_bytes_escaped);
	tcase_add_test(tc, test_invalid_utf8_escaped);
	tcase_add_test(tc, test_every_byte_round_trips);
	tcase_add_test(tc, test_width_counts_characters);
	tcase_add_test(tc, test_hex);
	suite_add_tcase(s, tc);
	return s;
}

TESTSUITE_MAIN(escape_suite);
