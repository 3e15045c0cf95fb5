// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The map-flag policy: every row of the rule table, the fallbacks (an
 * unknown exporter is I/O memory), and the order explicit > mode > rules.
 */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"
#include "shared/macro.h"
#include "testsuite.h"

struct rule_case {
	const char *exporter;
	const char *driver;
	int iomem;
};

static const struct rule_case rule_cases[] = {
	/* system memory, by exporter */
	{ "udmabuf", NULL, 0 },
	{ "system", NULL, 0 },
	{ "system-uncached", NULL, 0 },
	{ "videobuf2_vmalloc", NULL, 0 },
	{ "videobuf2_dma_contig", NULL, 0 },
	{ "videobuf2_dma_sg", NULL, 0 },
	{ "memfd", NULL, 0 },
	{ "virtio_gpu", NULL, 0 },
	{ "virtio_gpu", "virtio_gpu", 0 },
	/* the exporter decides before the driver */
	{ "udmabuf", "bochs-drm", 0 },
	/* system memory, DRM exports by driver */
	{ "drm", "vgem", 0 },
	{ "drm", "virtio_gpu", 0 },
	{ NULL, "vgem", 0 },
	{ "", "vgem", 0 },
	/* i915: LMEM and stolen memory are not RAM */
	{ "i915", NULL, 1 },
	{ "i915", "i915", 1 },
	{ "drm", "i915", 1 },
	/* VRAM drivers */
	{ "drm", "bochs-drm", 1 },
	{ "drm", "bochs", 1 },
	{ "drm", "qxl", 1 },
	{ "drm", "vmwgfx", 1 },
	{ "drm", "amdgpu", 1 },
	{ "drm", "radeon", 1 },
	{ "drm", "nouveau", 1 },
	{ "drm", "ast", 1 },
	{ "drm", "mgag200", 1 },
	{ "drm", "xe", 1 },
	{ NULL, "qxl", 1 },
	/* a drm export whose driver we do not know */
	{ "drm", NULL, 1 },
	{ "drm", "", 1 },
	{ "drm", "some-new-driver", 1 },
	/* unknown exporters */
	{ "amdgpu", NULL, 1 },
	{ "some_vendor_heap", NULL, 1 },
	{ "UDMABUF", NULL, 1 }, /* names are case-sensitive */
	{ "udmabuf ", NULL, 1 },
	{ "", NULL, 1 },
	{ NULL, NULL, 1 },
};

START_TEST(test_rule_row)
{
	const struct rule_case *c = &rule_cases[_i];
	const char *why = NULL;
	int r = policy_rule_iomem(c->exporter, c->driver, &why);

	ck_assert_msg(r == c->iomem, "exporter %s driver %s: iomem %d, want %d (%s)",
		      c->exporter ? c->exporter : "(null)", c->driver ? c->driver : "(null)", r,
		      c->iomem, why ? why : "(no reason)");
	ck_assert_ptr_nonnull(why);
	ck_assert_uint_gt(strlen(why), 0);
	/* why is optional */
	ck_assert_int_eq(policy_rule_iomem(c->exporter, c->driver, NULL), c->iomem);
}
END_TEST

START_TEST(test_rule_reasons_differ)
{
	const char *sys = NULL, *vram = NULL, *unknown = NULL;

	policy_rule_iomem("udmabuf", NULL, &sys);
	policy_rule_iomem("drm", "bochs-drm", &vram);
	policy_rule_iomem("nobody-knows", NULL, &unknown);
	ck_assert_str_ne(sys, vram);
	ck_assert_str_ne(vram, unknown);
	ck_assert_ptr_nonnull(strstr(vram, "bochs"));
	ck_assert_ptr_nonnull(strstr(unknown, "unknown"));
}
END_TEST

/* ---- precedence: explicit > mode > rules ---- */

START_TEST(test_auto_uses_rules)
{
	const char *why = NULL;

	ck_assert_int_eq(policy_decide(-1, IOMEM_AUTO, "udmabuf", NULL, &why), 0);
	ck_assert_int_eq(policy_decide(-1, IOMEM_AUTO, "drm", "bochs-drm", &why), 1);
	ck_assert_int_eq(policy_decide(-1, IOMEM_AUTO, "drm", "vgem", &why), 0);
	ck_assert_int_eq(policy_decide(-1, IOMEM_AUTO, "mystery", NULL, &why), 1);
	ck_assert_ptr_nonnull(strstr(why, "unknown"));
}
END_TEST

START_TEST(test_mode_beats_rules)
{
	const char *why = NULL;

	ck_assert_int_eq(policy_decide(-1, IOMEM_ALWAYS, "udmabuf", NULL, &why), 1);
	ck_assert_ptr_nonnull(strstr(why, "always"));
	ck_assert_int_eq(policy_decide(-1, IOMEM_NEVER, "drm", "bochs-drm", &why), 0);
	ck_assert_ptr_nonnull(strstr(why, "never"));
	ck_assert_int_eq(policy_decide(-1, IOMEM_NEVER, "mystery", NULL, &why), 0);
}
END_TEST

START_TEST(test_explicit_beats_mode)
{
	const char *why = NULL;

	ck_assert_int_eq(policy_decide(0, IOMEM_ALWAYS, "drm", "bochs-drm", &why), 0);
	ck_assert_ptr_nonnull(strstr(why, "explicit"));
	ck_assert_int_eq(policy_decide(1, IOMEM_NEVER, "udmabuf", NULL, &why), 1);
	ck_assert_ptr_nonnull(strstr(why, "explicit"));
	ck_assert_int_eq(policy_decide(1, IOMEM_AUTO, "udmabuf", NULL, &why), 1);
	ck_assert_int_eq(policy_decide(0, IOMEM_AUTO, "mystery", NULL, &why), 0);
	ck_assert_int_eq(policy_decide(0, IOMEM_AUTO, "mystery", NULL, NULL), 0);
}
END_TEST

/* ---- the mount option ---- */

START_TEST(test_parse_mode)
{
	enum iomem_mode m;

	ck_assert_int_eq(policy_parse_mode("auto", &m), 0);
	ck_assert_int_eq(m, IOMEM_AUTO);
	ck_assert_int_eq(policy_parse_mode("always", &m), 0);
	ck_assert_int_eq(m, IOMEM_ALWAYS);
	ck_assert_int_eq(policy_parse_mode("never", &m), 0);
	ck_assert_int_eq(m, IOMEM_NEVER);
	ck_assert_int_eq(policy_parse_mode("1", &m), 0);
	ck_assert_int_eq(m, IOMEM_ALWAYS);
	ck_assert_int_eq(policy_parse_mode("0", &m), 0);
	ck_assert_int_eq(m, IOMEM_NEVER);
}
END_TEST

START_TEST(test_parse_mode_invalid)
{
	static const char *const bad[] = { "", "Auto", "ALWAYS", "yes", "2", "auto ", "nev" };
	enum iomem_mode m = IOMEM_ALWAYS;

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		ck_assert_msg(policy_parse_mode(bad[i], &m) == -EINVAL, "\"%s\" accepted", bad[i]);
	ck_assert_int_eq(m, IOMEM_ALWAYS); /* untouched on error */
	ck_assert_int_eq(policy_parse_mode(NULL, &m), -EINVAL);
}
END_TEST

START_TEST(test_mode_name_round_trip)
{
	static const enum iomem_mode modes[] = { IOMEM_AUTO, IOMEM_ALWAYS, IOMEM_NEVER };

	for (size_t i = 0; i < ARRAY_SIZE(modes); i++) {
		enum iomem_mode back;

		ck_assert_int_eq(policy_parse_mode(policy_mode_name(modes[i]), &back), 0);
		ck_assert_int_eq(back, modes[i]);
	}
	ck_assert_str_eq(policy_mode_name(IOMEM_AUTO), "auto");
	ck_assert_str_eq(policy_mode_name((enum iomem_mode)42), "unknown");
}
END_TEST

static Suite *policy_suite(void)
{
	Suite *s = suite_create("policy");
	TCase *tc;

	tc = tcase_create("rules");
	tcase_add_loop_test(tc, test_rule_row, 0, (int)ARRAY_SIZE(rule_cases));
	tcase_add_test(tc, test_rule_reasons_differ);
	suite_add_tcase(s, tc);

	tc = tcase_create("precedence");
	tcase_add_test(tc, test_auto_uses_rules);
	tcase_add_test(tc, test_mode_beats_rules);
	tcase_add_test(tc, test_explicit_beats_mode);
	suite_add_tcase(s, tc);

	tc = tcase_create("mode");
	tcase_add_test(tc, test_parse_mode);
	tcase_add_test(tc, test_parse_mode_invalid);
	tcase_add_test(tc, test_mode_name_round_trip);
	suite_add_tcase(s, tc);
	return s;
}

TESTSUITE_MAIN(policy_suite);
