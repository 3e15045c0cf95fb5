// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * tree/entry-index.c on its own: every entry added is found by id and (while
 * in the name index) by name, through the tables' growth; a removed or
 * renamed one is not found under what it no longer is, and its neighbours
 * in a chain stay findable.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tree/entry-index.h"
#include "tree/entry.h"
#include "testsuite.h"

#define N 5000 /* several doublings past the first 256 buckets */

static struct entry *ents;

static void setup(void)
{
	ents = calloc(N, sizeof(*ents));
	ck_assert_ptr_nonnull(ents);
	for (int i = 0; i < N; i++) {
		ents[i].id = (uint64_t)i + 1;
		snprintf(ents[i].name, sizeof(ents[i].name), "buf%05d", i);
		entry_index_add_id(&ents[i]);
		entry_index_add_name(&ents[i]);
	}
}

static void teardown(void)
{
	entry_index_clear();
	free(ents);
}

START_TEST(test_all_found)
{
	for (int i = 0; i < N; i++) {
		ck_assert_ptr_eq(entry_index_find_id(ents[i].id), &ents[i]);
		ck_assert_ptr_eq(entry_index_find_name(ents[i].name), &ents[i]);
	}
	ck_assert_ptr_null(entry_index_find_id(N + 1));
	ck_assert_ptr_null(entry_index_find_id(0));
	ck_assert_ptr_null(entry_index_find_name("buf"));
	ck_assert_ptr_null(entry_index_find_name(""));
}
END_TEST

START_TEST(test_removed_gone_neighbours_stay)
{
	/* Every other one: with ids in sequence they share chains with
	 * the ones that stay. */
	for (int i = 0; i < N; i += 2) {
		entry_index_del_id(&ents[i]);
		entry_index_del_name(&ents[i]);
	}
	for (int i = 0; i < N; i++) {
		struct entry *want = i % 2 ? &ents[i] : NULL;

		ck_assert_ptr_eq(entry_index_find_id(ents[i].id), want);
		ck_assert_ptr_eq(entry_index_find_name(ents[i].name), want);
	}
	/* Removing what is not there changes nothing. */
	entry_index_del_id(&ents[0]);
	entry_index_del_name(&ents[0]);
	ck_assert_ptr_eq(entry_index_find_id(ents[1].id), &ents[1]);
}
END_TEST

START_TEST(test_rename)
{
	struct entry *e = &ents[42];

	entry_index_del_name(e);
	snprintf(e->name, sizeof(e->name), "renamed");
	entry_index_add_name(e);
	ck_assert_ptr_eq(entry_index_find_name("renamed"), e);
	ck_assert_ptr_null(entry_index_find_name("buf00042"));
	ck_assert_ptr_eq(entry_index_find_id(43), e);
}
END_TEST

START_TEST(test_clear)
{
	entry_index_clear();
	ck_assert_ptr_null(entry_index_find_id(1));
	ck_assert_ptr_null(entry_index_find_name("buf00000"));
	/* Usable again after a clear. */
	entry_index_add_id(&ents[7]);
	ck_assert_ptr_eq(entry_index_find_id(8), &ents[7]);
}
END_TEST

static Suite *index_suite(void)
{
	Suite *s = suite_create("entry-index");
	TCase *tc = tcase_create("index");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_all_found);
	tcase_add_test(tc, test_removed_gone_neighbours_stay);
	tcase_add_test(tc, test_rename);
	tcase_add_test(tc, test_clear);
	suite_add_tcase(s, tc);
	return s;
}

TESTSUITE_MAIN(index_suite);
