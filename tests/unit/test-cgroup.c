// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Cgroups of holders: /proc/PID/cgroup parsed for the cgroup memory is
 * charged to (v1 memory hierarchy when mounted, else v2), with the
 * kernel's shapes (v2 only, v1 only, hybrid, controllers named together,
 * paths with colons) and malformed text refused; and the totals per
 * cgroup: a buffer once per cgroup however many of its processes hold it,
 * the Pss-like shares adding up to the held total.
 */
#include <check.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "shared/cgroup.h"
#include "shared/holders.h"
#include "shared/macro.h"
#include "testsuite.h"

static int parse(const char *text, char *out)
{
	return cgroup_parse(text, out, CGROUP_PATH_MAX);
}

START_TEST(cgroup_v2_only)
{
	char p[CGROUP_PATH_MAX];

	ck_assert_int_eq(parse("0::/user.slice/user-1000.slice/session-2.scope\n", p), 0);
	ck_assert_str_eq(p, "/user.slice/user-1000.slice/session-2.scope");
	ck_assert_int_eq(parse("0::/\n", p), 0);
	ck_assert_str_eq(p, "/");
	/* No final newline. */
	ck_assert_int_eq(parse("0::/system.slice/dmabuffs.service", p), 0);
	ck_assert_str_eq(p, "/system.slice/dmabuffs.service");
}
END_TEST

/* This machine's shape: v1 controllers, memory among them, and a v2
 * hierarchy without memory: the v1 memory path wins wherever it is. */
START_TEST(cgroup_hybrid_takes_v1_memory)
{
	static const char hybrid[] = "9:name=systemd:/\n"
				     "8:pids:/\n"
				     "4:memory:/process_api/8a4b098a\n"
				     "1:cpu:/\n"
				     "0::/\n";
	static const char v2first[] = "0::/user.slice\n"
				      "3:cpu,cpuacct,memory:/lxc/c1\n";
	char p[CGROUP_PATH_MAX];

	ck_assert_int_eq(parse(hybrid, p), 0);
	ck_assert_str_eq(p, "/process_api/8a4b098a");
	ck_assert_int_eq(parse(v2first, p), 0);
	ck_assert_str_eq(p, "/lxc/c1");
}
END_TEST

START_TEST(cgroup_v1_without_memory_is_enoent)
{
	char p[CGROUP_PATH_MAX];

	ck_assert_int_eq(parse("8:pids:/\n1:cpu:/a\n", p), -ENOENT);
	/* "memoryx" or "name=memory" is not the memory controller. */
	ck_assert_int_eq(parse("5:memoryx:/a\n6:name=memory:/b\n", p), -ENOENT);
	ck_assert_int_eq(parse("", p), -ENOENT);
}
END_TEST

START_TEST(cgroup_path_with_colons)
{
	char p[CGROUP_PATH_MAX];

	ck_assert_int_eq(parse("0::/machine.slice/a:b:c\n", p), 0);
	ck_assert_str_eq(p, "/machine.slice/a:b:c");
}
END_TEST

START_TEST(cgroup_malformed_refused)
{
	static const char *const bad[] = {
		"garbage\n",	 "0:/x\n", ":memory:/x\n", "x:memory:/x\n",
		"0::relative\n", "0::\n",  "4:memory:\n",
	};
	char p[CGROUP_PATH_MAX], small[8];

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		ck_assert_msg(parse(bad[i], p) == -EINVAL, "accepted '%s'", bad[i]);
	ck_assert_int_eq(cgroup_parse("0::/a/long/path\n", small, sizeof(small)), -ENAMETOOLONG);
	ck_assert_int_eq(cgroup_parse(NULL, p, sizeof(p)), -EINVAL);
}
END_TEST

START_TEST(cgroup_of_self)
{
	char p[CGROUP_PATH_MAX];
	int r = cgroup_of_pid(getpid(), p, sizeof(p));

	/* Every Linux with /proc has at least one hierarchy. */
	ck_assert_int_eq(r, 0);
	ck_assert(p[0] == '/');
	ck_assert_int_eq(cgroup_of_pid(0x7ffffff0, p, sizeof(p)), -ENOENT);
}
END_TEST

#define REC(i, s, p, k)                                                                \
	{                                                                              \
		.ino = (i), .size = (s), .pid = (p), .kind = (k), .exp_name = "system" \
	}

START_TEST(cgroup_totals_once_per_cgroup)
{
	/* Buffer 1 (4096) held by 100 and 200 (both in /a) and 300 (/b);
	 * buffer 2 (8192) by 100 twice (fd and map); buffer 3 kernel-only. */
	static const struct holder_record r[] = {
		REC(1, 4096, 100, HOLDER_FD),  REC(1, 4096, 200, HOLDER_FD),
		REC(1, 4096, 300, HOLDER_MAP), REC(2, 8192, 100, HOLDER_FD),
		REC(2, 8192, 100, HOLDER_MAP), REC(3, 65536, 0, HOLDER_KERNEL),
	};
	struct holders_model *m = NULL;
	struct cgroup_total *t = NULL;
	const char *path_of[3];
	double pss = 0;
	size_t n;

	ck_assert_int_eq(holders_build(r, ARRAY_SIZE(r), &m), 0);
	ck_assert_uint_eq(m->nprocs, 3);
	for (size_t i = 0; i < m->nprocs; i++)
		path_of[i] = m->procs[i].pid == 300 ? "/b" : "/a";
	ck_assert_int_eq(cgroup_totals(m, path_of, &t, &n), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(t[0].path, "/a");
	ck_assert_uint_eq(t[0].nprocs, 2);
	ck_assert_uint_eq(t[0].nbufs, 2);
	ck_assert_uint_eq(t[0].size, 4096 + 8192);
	ck_assert(fabs(t[0].pss - (4096.0 * 2 / 3 + 8192)) < 1e-6);
	ck_assert_str_eq(t[1].path, "/b");
	ck_assert_uint_eq(t[1].nbufs, 1);
	ck_assert_uint_eq(t[1].size, 4096);
	ck_assert(fabs(t[1].pss - 4096.0 / 3) < 1e-6);
	for (size_t i = 0; i < n; i++)
		pss += t[i].pss;
	/* The shares add up to what processes hold: not the kernel-only one. */
	ck_assert(fabs(pss - (4096 + 8192)) < 1e-6);
	free(t);
	holders_model_free(m);
}
END_TEST

START_TEST(cgroup_totals_unknown_and_empty)
{
	static const struct holder_record r[] = { REC(7, 4096, 42, HOLDER_FD) };
	struct holders_model *m = NULL;
	struct cgroup_total *t = NULL;
	const char *path_of[1] = { NULL };
	size_t n = 99;

	ck_assert_int_eq(holders_build(r, ARRAY_SIZE(r), &m), 0);
	ck_assert_int_eq(cgroup_totals(m, path_of, &t, &n), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(t[0].path, "?");
	ck_assert_uint_eq(t[0].size, 4096);
	free(t);
	holders_model_free(m);
	ck_assert_int_eq(holders_build(NULL, 0, &m), 0);
	ck_assert_int_eq(cgroup_totals(m, path_of, &t, &n), 0);
	ck_assert_uint_eq(n, 0);
	free(t);
	holders_model_free(m);
}
END_TEST

static Suite *cgroup_suite(void)
{
	Suite *s = suite_create("cgroup");
	TCase *tc = tcase_create("parse");

	tcase_add_test(tc, cgroup_v2_only);
	tcase_add_test(tc, cgroup_hybrid_takes_v1_memory);
	tcase_add_test(tc, cgroup_v1_without_memory_is_enoent);
	tcase_add_test(tc, cgroup_path_with_colons);
	tcase_add_test(tc, cgroup_malformed_refused);
	tcase_add_test(tc, cgroup_of_self);
	suite_add_tcase(s, tc);
	tc = tcase_create("totals");
	tcase_add_test(tc, cgroup_totals_once_per_cgroup);
	tcase_add_test(tc, cgroup_totals_unknown_and_empty);
	suite_add_tcase(s, tc);
	return s;
}

TESTSUITE_MAIN(cgroup_suite);
