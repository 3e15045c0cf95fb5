// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * tree/quota.c: per-user limits on bytes and buffers. A refused charge
 * leaves nothing charged; the arithmetic cannot wrap; root has its own
 * limits and 0 is no limit; entries give back what they hold when freed;
 * statfs shows the caller's share.
 */
#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/statvfs.h>

#include "backend/backend.h"
#include "conf.h"
#include "tree/entry.h"
#include "tree/quota.h"
#include "tree/tree.h"
#include "testsuite.h"

static struct config cfg = {
	.iomem_mode = IOMEM_AUTO,
	.fence_timeout_ms = 100,
	.umask = 0177,
	.max_bytes_per_user = 1 << 20,
	.max_buffers_per_user = 3,
	.max_bytes_root = 0,
	.max_buffers_root = 2,
};
static struct backend *be;

static void setup(void)
{
	ck_assert_int_eq(backend_memfd_new(&be), 0);
	tree_init(&cfg, NULL, NULL);
}

static void teardown(void)
{
	tree_exit();
	be->ops->destroy(be);
}

static struct quota_usage usage(uid_t uid)
{
	struct quota_usage q;

	quota_get(uid, &q);
	return q;
}

START_TEST(refused_charge_leaves_nothing)
{
	struct quota_ref a = { 0 }, b = { 0 }, c = { 0 };

	ck_assert_int_eq(quota_add(&a, 1000, 512 << 10, "a"), 0);
	ck_assert_int_eq(quota_add(&b, 1000, 768 << 10, "b"), -EDQUOT);
	ck_assert(!b.counted);
	ck_assert_uint_eq(usage(1000).bytes, 512 << 10);
	ck_assert_uint_eq(usage(1000).buffers, 1);
	ck_assert_int_eq(quota_add(&b, 1000, 0, "b"), 0);
	ck_assert_int_eq(quota_grow(&b, 768 << 10, "b"), -EDQUOT);
	ck_assert_uint_eq(b.bytes, 0);
	ck_assert_int_eq(quota_grow(&b, 512 << 10, "b"), 0);
	ck_assert_uint_eq(usage(1000).bytes, 1 << 20);
	ck_assert_int_eq(quota_add(&c, 1000, 0, "c"), 0);
	ck_assert_int_eq(quota_add(&(struct quota_ref){ 0 }, 1000, 0, "d"), -EDQUOT);
	ck_assert_uint_eq(usage(1000).buffers, 3);
	/* Another user is not affected. */
	ck_assert_uint_eq(usage(1001).bytes, 0);
	quota_drop(&a);
	quota_drop(&b);
	quota_drop(&c);
	ck_assert_uint_eq(usage(1000).bytes, 0);
	ck_assert_uint_eq(usage(1000).buffers, 0);
}
END_TEST

START_TEST(no_wrap_around)
{
	struct quota_ref a = { 0 };

	ck_assert_int_eq(quota_add(&a, 1000, UINT64_MAX, "huge"), -EDQUOT);
	ck_assert_int_eq(quota_add(&a, 1000, 4096, "a"), 0);
	ck_assert_int_eq(quota_grow(&a, UINT64_MAX, "a"), -EDQUOT);
	ck_assert_int_eq(quota_grow(&a, UINT64_MAX - 4095, "a"), -EDQUOT);
	ck_assert_uint_eq(usage(1000).bytes, 4096);
	quota_shrink(&a, 0);
	ck_assert_uint_eq(usage(1000).bytes, 0);
	quota_shrink(&a, 8192); /* never grows */
	ck_assert_uint_eq(usage(1000).bytes, 0);
	quota_drop(&a);
	quota_drop(&a); /* twice: nothing more given back */
	ck_assert_uint_eq(usage(1000).buffers, 0);
}
END_TEST

START_TEST(root_has_its_own_limits)
{
	struct quota_ref a = { 0 }, b = { 0 };

	/* max_bytes_root = 0: no byte limit; max_buffers_root = 2. */
	ck_assert_int_eq(quota_add(&a, 0, UINT64_MAX / 2, "a"), 0);
	ck_assert_int_eq(quota_add(&b, 0, UINT64_MAX / 4, "b"), 0);
	ck_assert_int_eq(quota_add(&(struct quota_ref){ 0 }, 0, 0, "c"), -EDQUOT);
	quota_drop(&a);
	quota_drop(&b);
	ck_assert_uint_eq(usage(0).buffers, 0);
}
END_TEST

START_TEST(entries_charge_and_give_back)
{
	struct entry *e;
	struct stat st;
	uint64_t id;

	ck_assert_int_eq(entry_create("q1", 1000, 1000, 0600, be, &st, &e), 0);
	id = e->id;
	ck_assert_uint_eq(usage(1000).buffers, 1);
	ck_assert_int_eq(entry_allocate(e, 1 << 20), 0);
	ck_assert_uint_eq(usage(1000).bytes, 1 << 20);
	/* Over the limit: the second one keeps no buffer. */
	{
		struct entry *f;

		ck_assert_int_eq(entry_create("q2", 1000, 1000, 0600, be, &st, &f), 0);
		ck_assert_int_eq(entry_allocate(f, 4096), -EDQUOT);
		ck_assert_ptr_null(f->buf);
		ck_assert_uint_eq(usage(1000).bytes, 1 << 20);
		ck_assert_int_eq(entry_unlink("q2"), 0);
		entry_forget(f->id, 1);
		entry_release(f);
	}
	ck_assert_uint_eq(usage(1000).buffers, 1);
	ck_assert_int_eq(entry_unlink("q1"), 0);
	entry_forget(id, 1);
	entry_release(e);
	ck_assert_uint_eq(usage(1000).bytes, 0);
	ck_assert_uint_eq(usage(1000).buffers, 0);
}
END_TEST

START_TEST(statfs_shows_the_callers_share)
{
	struct quota_ref a = { 0 };
	struct statvfs sv = { .f_frsize = 4096, .f_blocks = 7, .f_files = 9 };

	ck_assert_int_eq(quota_add(&a, 1000, 256 << 10, "a"), 0);
	quota_statfs(1000, &sv);
	ck_assert_uint_eq(sv.f_blocks, 256);
	ck_assert_uint_eq(sv.f_bfree, 192);
	ck_assert_uint_eq(sv.f_bavail, 192);
	ck_assert_uint_eq(sv.f_files, 3);
	ck_assert_uint_eq(sv.f_ffree, 2);
	/* Root: no byte limit, so the blocks stay as the caller set them. */
	sv = (struct statvfs){ .f_frsize = 4096, .f_blocks = 7 };
	quota_statfs(0, &sv);
	ck_assert_uint_eq(sv.f_blocks, 7);
	ck_assert_uint_eq(sv.f_files, 2);
	ck_assert_uint_eq(sv.f_ffree, 2);
	quota_drop(&a);
}
END_TEST

static Suite *quota_suite(void)
{
	Suite *s = suite_create("quota");
	TCase *tc = tcase_create("quota");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, refused_charge_leaves_nothing);
	tcase_add_test(tc, no_wrap_around);
	tcase_add_test(tc, root_has_its_own_limits);
	tcase_add_test(tc, entries_charge_and_give_back);
	tcase_add_test(tc, statfs_shows_the_callers_share);
	suite_add_tcase(s, tc);
	return s;
}

TESTSUITE_MAIN(quota_suite);
