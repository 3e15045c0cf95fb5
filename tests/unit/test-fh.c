// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * fs/handle.c, the fi->fh tables: what a re-attached daemon relies on to
 * tell its own file handles from the ones its predecessor gave the kernel.
 * New numbers carry the run and the caller's tag bit, never repeat, and
 * never meet an earlier run's; an old number is unknown until adopted
 * under that same number, once (a second adoption loses, EEXIST); the
 * kinds are apart; a removed number is unknown again.
 */
#include <check.h>
#include <errno.h>
#include <stdint.h>

#include "fs/fs-internal.h"
#include "fs/ops.h"
#include "testsuite.h"

static int a, b, c;

START_TEST(test_new_numbers)
{
	uint64_t f1, f2, f3;

	fh_set_run(0);
	ck_assert_int_eq(fh_add(FH_FILE, &a, false, &f1), 0);
	ck_assert_int_eq(fh_add(FH_FILE, &b, true, &f2), 0);
	ck_assert_int_ne(f1, f2);
	ck_assert_int_eq(f1 & 1, 0);
	ck_assert_int_eq(f2 & 1, 1);
	ck_assert_ptr_eq(fh_get(FH_FILE, f1), &a);
	ck_assert_ptr_eq(fh_get(FH_FILE, f2), &b);
	/* The other kind does not see them. */
	ck_assert_ptr_null(fh_get(FH_DIR, f1));
	/* The next run's numbers never meet this one's. */
	fh_set_run(1);
	ck_assert_int_eq(fh_add(FH_FILE, &c, false, &f3), 0);
	ck_assert_int_ne(f3, f1);
	ck_assert_int_ne(f3, f2);
	ck_assert_uint_gt(f3, f2);
	ck_assert_ptr_eq(fh_remove(FH_FILE, f1), &a);
	ck_assert_ptr_null(fh_get(FH_FILE, f1));
	ck_assert_ptr_null(fh_remove(FH_FILE, f1));
	fh_remove(FH_FILE, f2);
	fh_remove(FH_FILE, f3);
}
END_TEST

START_TEST(test_adopt_once)
{
	/* A number the previous process gave the kernel. */
	const uint64_t old = 0x12345ull << 1 | 1;

	fh_set_run(7);
	ck_assert_ptr_null(fh_get(FH_FILE, old));
	ck_assert_int_eq(fh_add_as(FH_FILE, old, &a), 0);
	ck_assert_int_eq(fh_add_as(FH_FILE, old, &b), -EEXIST);
	ck_assert_ptr_eq(fh_get(FH_FILE, old), &a);
	/* The same number as a directory's is another handle. */
	ck_assert_int_eq(fh_add_as(FH_DIR, old, &c), 0);
	ck_assert_ptr_eq(fh_get(FH_DIR, old), &c);
	ck_assert_ptr_eq(fh_remove(FH_FILE, old), &a);
	ck_assert_ptr_eq(fh_remove(FH_DIR, old), &c);
}
END_TEST

START_TEST(test_many)
{
	enum {
		N = 20000
	};
	static uint64_t fhs[N];

	fh_set_run(2);
	for (int i = 0; i < N; i++)
		ck_assert_int_eq(fh_add(FH_DIR, &fhs[i], i & 1, &fhs[i]), 0);
	for (int i = 0; i < N; i++)
		ck_assert_ptr_eq(fh_get(FH_DIR, fhs[i]), &fhs[i]);
	for (int i = 0; i < N; i++)
		ck_assert_ptr_eq(fh_remove(FH_DIR, fhs[i]), &fhs[i]);
	for (int i = 0; i < N; i += 97)
		ck_assert_ptr_null(fh_get(FH_DIR, fhs[i]));
}
END_TEST

static Suite *fh_suite(void)
{
	Suite *s = suite_create("fh");
	TCase *tc = tcase_create("table");

	tcase_add_test(tc, test_new_numbers);
	tcase_add_test(tc, test_adopt_once);
	tcase_add_test(tc, test_many);
	suite_add_tcase(s, tc);
	return s;
}

TESTSUITE_MAIN(fh_suite);
