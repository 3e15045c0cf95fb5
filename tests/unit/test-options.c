// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * src/daemon/options.c: options_parse() on argument vectors, one case per
 * kind of option in its table (strings, flags, bounded numbers, counts,
 * sizes, the octal umask, groups, the iomem and passthrough modes), the
 * defaults, what is left for libfuse, and that every bad option is
 * refused while the good ones around it still count.
 */
#include <check.h>
#include <errno.h>
#include <grp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "daemon/options.h"
#include "shared/macro.h"
#include "testsuite.h"

static struct config cfg;
static struct fuse_args args;

static void teardown(void)
{
	free(cfg.backend);
	free(cfg.control_path);
	fuse_opt_free_args(&args);
}

/* options_parse() on argv (NULL-terminated), into a cleared cfg. */
static int parse(char **argv)
{
	int argc = 0;

	while (argv[argc])
		argc++;
	teardown();
	memset(&cfg, 0, sizeof(cfg));
	args = (struct fuse_args)FUSE_ARGS_INIT(argc, argv);
	return options_parse(&args, &cfg);
}

#define PARSE(...) parse((char *[]){ "dmabuffs", __VA_ARGS__, NULL })

/* Whether args (what libfuse gets) holds s as one argument. */
static bool left_for_fuse(const char *s)
{
	for (int i = 0; i < args.argc; i++)
		if (strcmp(args.argv[i], s) == 0)
			return true;
	return false;
}

START_TEST(test_defaults)
{
	ck_assert_int_eq(PARSE("/mnt"), 0);
	ck_assert_int_eq(cfg.discover, geteuid() == 0);
	ck_assert_int_eq(cfg.passthrough, PASSTHROUGH_AUTO);
	ck_assert_uint_eq(cfg.max_buffers_per_user, 4096);
	ck_assert_uint_gt(cfg.max_bytes_per_user, 0);
	ck_assert_uint_eq(cfg.max_bytes_root, 0);
	ck_assert_uint_eq(cfg.max_buffers_root, 0);
	ck_assert_ptr_null(cfg.backend);
	ck_assert_ptr_null(cfg.control_path);
	ck_assert(!cfg.group_set);
	ck_assert(!cfg.io_uring);
	ck_assert(left_for_fuse("/mnt"));
}
END_TEST

START_TEST(test_string)
{
	ck_assert_int_eq(PARSE("-o", "backend=heap:system,control=/tmp/c"), 0);
	ck_assert_str_eq(cfg.backend, "heap:system");
	ck_assert_str_eq(cfg.control_path, "/tmp/c");
	/* The long forms, and a repeat: the last counts, the first is freed
	 * (the ASan tree would see the leak). */
	ck_assert_int_eq(PARSE("--backend=drm:vgem", "-o", "backend=memfd", "--control=/x"), 0);
	ck_assert_str_eq(cfg.backend, "memfd");
	ck_assert_str_eq(cfg.control_path, "/x");
	ck_assert(!left_for_fuse("--backend=drm:vgem"));
	ck_assert_int_eq(PARSE("-o", "backend="), 0);
	ck_assert_str_eq(cfg.backend, "");
}
END_TEST

START_TEST(test_flag)
{
	ck_assert_int_eq(PARSE("-o", "discover,io_uring"), 0);
	ck_assert(cfg.discover);
	ck_assert(cfg.io_uring);
	ck_assert_int_eq(PARSE("-o", "discover", "--no-discover"), 0);
	ck_assert(!cfg.discover);
	ck_assert_int_eq(PARSE("-o", "nodiscover", "--discover"), 0);
	ck_assert(cfg.discover);
	/* A flag with a value is not ours: libfuse gets it (and refuses it). */
	ck_assert_int_eq(PARSE("-o", "io_uring=1"), 0);
	ck_assert(!cfg.io_uring);
	ck_assert(left_for_fuse("io_uring=1"));
}
END_TEST

START_TEST(test_int)
{
	ck_assert_int_eq(PARSE("-o", "fence_timeout=0,read_ahead_kb=512"), 0);
	ck_assert_int_eq(cfg.fence_timeout_ms, 0);
	ck_assert_int_eq(cfg.read_ahead_kb, 512);
	ck_assert_int_eq(PARSE("-o", "fence_timeout=3600000,read_ahead_kb=0"), 0);
	ck_assert_int_eq(cfg.fence_timeout_ms, 3600000);
	ck_assert_int_eq(cfg.read_ahead_kb, -1); /* 0: the kernel's */
	ck_assert_int_eq(PARSE("-o", "fence_timeout=3600001"), -EINVAL);
	ck_assert_int_eq(PARSE("-o", "fence_timeout=-1"), -EINVAL);
	ck_assert_int_eq(PARSE("-o", "fence_timeout="), -EINVAL);
	ck_assert_int_eq(PARSE("-o", "read_ahead_kb=65537"), -EINVAL);
	ck_assert_int_eq(cfg.read_ahead_kb, 0); /* untouched */
}
END_TEST

START_TEST(test_uint)
{
	ck_assert_int_eq(PARSE("-o", "control_max_conns=1,control_max_per_uid=65536", "-o",
			       "control_root_reserve=7,control_idle_timeout=3600000"),
			 0);
	ck_assert_uint_eq(cfg.control_max_conns, 1);
	ck_assert_uint_eq(cfg.control_max_per_uid, 65536);
	ck_assert_uint_eq(cfg.control_root_reserve, 7);
	ck_assert_uint_eq(cfg.control_idle_timeout_ms, 3600000);
	ck_assert_int_eq(PARSE("-o", "control_max_conns=0"), -EINVAL);
	ck_assert_int_eq(PARSE("-o", "control_max_per_uid=65537"), -EINVAL);
	ck_assert_int_eq(PARSE("-o", "control_idle_timeout=3600001"), -EINVAL);
	ck_assert_int_eq(PARSE("-o", "control_root_reserve=4294967297"), -EINVAL);
	ck_assert_uint_eq(cfg.control_root_reserve, 0);
}
END_TEST

START_TEST(test_count_and_size)
{
	ck_assert_int_eq(PARSE("-o", "max_buffers_per_user=0,max_bytes_per_user=2M", "-o",
			       "max_buffers_root=9,max_bytes_root=4096"),
			 0);
	ck_assert_uint_eq(cfg.max_buffers_per_user, 0);
	ck_assert_uint_eq(cfg.max_bytes_per_user, 2 << 20);
	ck_assert_uint_eq(cfg.max_buffers_root, 9);
	ck_assert_uint_eq(cfg.max_bytes_root, 4096);
	ck_assert_int_eq(PARSE("-o", "max_buffers_per_user=2K"), -EINVAL); /* a count */
	ck_assert_int_eq(PARSE("-o", "max_bytes_root=1Q"), -EINVAL);
}
END_TEST

START_TEST(test_octal)
{
	ck_assert_int_eq(PARSE("-o", "umask=022"), 0);
	ck_assert_uint_eq(cfg.umask, 022);
	ck_assert_int_eq(PARSE("-o", "umask=777"), 0);
	ck_assert_uint_eq(cfg.umask, 0777);
	ck_assert_int_eq(PARSE("-o", "umask=999"), -EINVAL);
	ck_assert_int_eq(PARSE("-o", "umask=1000"), -EINVAL);
}
END_TEST

START_TEST(test_group)
{
	struct group *g = getgrgid(0);

	ck_assert_int_eq(PARSE("-o", "group=0"), 0);
	ck_assert(cfg.group_set);
	ck_assert_uint_eq(cfg.group, 0);
	if (g) {
		char opt[300] = "group=";

		ck_assert_int_eq(PARSE("-o", strncat(opt, g->gr_name, 200)), 0);
		ck_assert(cfg.group_set);
		ck_assert_uint_eq(cfg.group, 0);
	}
	ck_assert_int_eq(PARSE("-o", "group=no-such-group-dmabuffs"), -EINVAL);
	ck_assert(!cfg.group_set);
}
END_TEST

START_TEST(test_modes)
{
	ck_assert_int_eq(PARSE("-o", "iomem=never,passthrough=never"), 0);
	ck_assert_int_eq(cfg.iomem_mode, IOMEM_NEVER);
	ck_assert_int_eq(cfg.passthrough, PASSTHROUGH_NEVER);
	ck_assert_int_eq(PARSE("--iomem=always", "-o", "passthrough=auto"), 0);
	ck_assert_int_eq(cfg.iomem_mode, IOMEM_ALWAYS);
	ck_assert_int_eq(cfg.passthrough, PASSTHROUGH_AUTO);
	ck_assert_int_eq(PARSE("-o", "iomem=sometimes"), -EINVAL);
	ck_assert_int_eq(PARSE("-o", "passthrough=always"), -EINVAL);
}
END_TEST

/* libfuse's options stay in args, ours leave it; a bad option does not
 * stop the ones after it. */
START_TEST(test_rest_for_fuse)
{
	ck_assert_int_eq(PARSE("-f", "-o", "allow_other,umask=9,backend=memfd,max_read=4096",
			       "/mnt"),
			 -EINVAL);
	ck_assert_str_eq(cfg.backend, "memfd");
	ck_assert(left_for_fuse("-f"));
	ck_assert(left_for_fuse("/mnt"));
	for (int i = 0; i < args.argc; i++) {
		ck_assert_ptr_null(strstr(args.argv[i], "backend"));
		ck_assert_ptr_null(strstr(args.argv[i], "umask"));
	}
	ck_assert_int_eq(PARSE("-o", "allow_other,max_read=4096"), 0);
	ck_assert(left_for_fuse("allow_other,max_read=4096"));
}
END_TEST

static Suite *options_suite(void)
{
	Suite *s = suite_create("options");
	TCase *tc = tcase_create("kinds");

	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_test(tc, test_defaults);
	tcase_add_test(tc, test_string);
	tcase_add_test(tc, test_flag);
	tcase_add_test(tc, test_int);
	tcase_add_test(tc, test_uint);
	tcase_add_test(tc, test_count_and_size);
	tcase_add_test(tc, test_octal);
	tcase_add_test(tc, test_group);
	tcase_add_test(tc, test_modes);
	tcase_add_test(tc, test_rest_for_fuse);
	suite_add_tcase(s, tc);
	return s;
}

TESTSUITE_MAIN(options_suite);
