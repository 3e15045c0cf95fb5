/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The one main() of every unit test binary: run the suites in Check's
 * default fork mode (a crashing test fails alone) and exit 0 only if every
 * test passed. The harness sets CK_TAP_LOG_FILE_NAME=- so each test case is
 * reported and counted as a TAP line.
 *
 *	TESTSUITE_MAIN(fdinfo_suite, util_suite);
 */
#include <check.h>
#include <stdlib.h>

typedef Suite *(*testsuite_fn)(void);

static inline int testsuite_run(const testsuite_fn *suites, size_t n)
{
	SRunner *sr = srunner_create(suites[0]());
	int failed;

	for (size_t i = 1; i < n; i++)
		srunner_add_suite(sr, suites[i]());
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

#define TESTSUITE_MAIN(...)                                                       \
	int main(void)                                                            \
	{                                                                         \
		static const testsuite_fn suites[] = { __VA_ARGS__ };             \
		return testsuite_run(suites, sizeof(suites) / sizeof(suites[0])); \
	}
