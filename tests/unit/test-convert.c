// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The snapshot converter (src/ctl/convert.c) on bytes in memory: known
 * colours come out right for each family of formats, layouts get their
 * defaults, and every layout that does not fit the data is refused before
 * anything is read or allocated, however large the numbers.
 */
#include <check.h>
#include <drm_fourcc.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/convert.h"
#include "shared/macro.h"
#include "testsuite.h"

static struct image img;

static void teardown(void)
{
	image_free(&img);
}

static struct frame_layout layout(uint32_t fourcc, uint32_t w, uint32_t h)
{
	return (struct frame_layout){ .fourcc = fourcc, .width = w, .height = h };
}

static void assert_px(uint32_t x, uint32_t y, int r, int g, int b, int tol)
{
	const uint16_t *p = img.samples + ((size_t)y * img.width + x) * img.channels;

	ck_assert_msg(abs(p[0] - r) <= tol && abs(p[1] - g) <= tol && abs(p[2] - b) <= tol,
		      "pixel (%u,%u) is %u,%u,%u, want %d,%d,%d (+-%d)", x, y, p[0], p[1], p[2], r,
		      g, b, tol);
}

START_TEST(test_nv12_limited_black_white_red)
{
	/* 2x2 luma 16 (black), 235 (white); one chroma pair. */
	uint8_t d[] = { 16, 235, 235, 16, 128, 128 };
	struct frame_layout l = layout(DRM_FORMAT_NV12, 2, 2);

	ck_assert_int_eq(convert_frame(&l, d, sizeof(d), &img), 0);
	ck_assert_uint_eq(img.channels, 3);
	ck_assert_uint_eq(img.depth, 8);
	assert_px(0, 0, 0, 0, 0, 0);
	assert_px(1, 0, 255, 255, 255, 0);
	image_free(&img);

	/* BT.601 red is Y 81, Cb 90, Cr 240 in limited range. */
	uint8_t red[] = { 81, 81, 81, 81, 90, 240 };
	ck_assert_int_eq(convert_frame(&l, red, sizeof(red), &img), 0);
	assert_px(1, 1, 255, 0, 0, 2);
}
END_TEST

START_TEST(test_matrix_and_range_matter)
{
	uint8_t d[] = { 100, 100, 100, 100, 60, 200 };
	struct frame_layout l = layout(DRM_FORMAT_NV12, 2, 2);
	uint16_t a[3], b[3], c[3];

	ck_assert_int_eq(convert_frame(&l, d, sizeof(d), &img), 0);
	memcpy(a, img.samples, sizeof(a));
	image_free(&img);
	l.matrix = YUV_BT709;
	ck_assert_int_eq(convert_frame(&l, d, sizeof(d), &img), 0);
	memcpy(b, img.samples, sizeof(b));
	image_free(&img);
	l.range = YUV_FULL;
	ck_assert_int_eq(convert_frame(&l, d, sizeof(d), &img), 0);
	memcpy(c, img.samples, sizeof(c));
	ck_assert(memcmp(a, b, sizeof(a)) != 0);
	ck_assert(memcmp(b, c, sizeof(b)) != 0);
	/* Full range: Y 100 is 100/255 grey plus chroma; limited is darker. */
	ck_assert_uint_gt(c[1], b[1]);
}
END_TEST

START_TEST(test_nv21_swaps_chroma)
{
	uint8_t nv12[] = { 81, 81, 81, 81, 90, 240 }, nv21[] = { 81, 81, 81, 81, 240, 90 };
	struct frame_layout l = layout(DRM_FORMAT_NV12, 2, 2);
	uint16_t a[3];

	ck_assert_int_eq(convert_frame(&l, nv12, sizeof(nv12), &img), 0);
	memcpy(a, img.samples, sizeof(a));
	image_free(&img);
	l.fourcc = DRM_FORMAT_NV21;
	ck_assert_int_eq(convert_frame(&l, nv21, sizeof(nv21), &img), 0);
	ck_assert_mem_eq(img.samples, a, sizeof(a));
}
END_TEST

START_TEST(test_yuyv_two_lumas_per_block)
{
	uint8_t d[] = { 16, 128, 235, 128 }; /* Y0 Cb Y1 Cr */
	struct frame_layout l = layout(DRM_FORMAT_YUYV, 2, 1);

	ck_assert_int_eq(convert_frame(&l, d, sizeof(d), &img), 0);
	assert_px(0, 0, 0, 0, 0, 0);
	assert_px(1, 0, 255, 255, 255, 0);
}
END_TEST

START_TEST(test_yu12_default_planes)
{
	/* 4x2: Y at 0 (stride 4), Cb at 8, Cr at 10 (stride 2). */
	uint8_t d[12] = { 235, 235, 235, 235, 235, 235, 235, 235, 128, 128, 128, 128 };
	struct frame_layout l = layout(DRM_FORMAT_YUV420, 4, 2), full;
	uint64_t end;

	ck_assert_int_eq(frame_layout_resolve(&l, &full, &end), 0);
	ck_assert_uint_eq(full.nplanes, 3);
	ck_assert_uint_eq(full.planes[1].offset, 8);
	ck_assert_uint_eq(full.planes[1].stride, 2);
	ck_assert_uint_eq(full.planes[2].offset, 10);
	ck_assert_uint_eq(end, 12);
	ck_assert_int_eq(convert_frame(&l, d, sizeof(d), &img), 0);
	assert_px(3, 1, 255, 255, 255, 0);
	image_free(&img);
	ck_assert_int_eq(convert_frame(&l, d, sizeof(d) - 1, &img), -ERANGE);
}
END_TEST

START_TEST(test_p010_is_16_bit)
{
	uint8_t d[2 * 2 * 2 + 4];
	struct frame_layout l = layout(DRM_FORMAT_P010, 2, 2);

	/* Y 940 (white), Cb = Cr = 512, all in the top 10 bits. */
	for (int i = 0; i < 4; i++) {
		d[2 * i] = (uint8_t)((940 << 6) & 0xff);
		d[2 * i + 1] = (uint8_t)((940 << 6) >> 8);
	}
	d[8] = d[10] = (uint8_t)((512 << 6) & 0xff);
	d[9] = d[11] = (uint8_t)((512 << 6) >> 8);
	ck_assert_int_eq(convert_frame(&l, d, sizeof(d), &img), 0);
	ck_assert_uint_eq(img.depth, 16);
	assert_px(1, 1, 65535, 65535, 65535, 0);
}
END_TEST

START_TEST(test_rgb10_widens_and_orders)
{
	/* XR30 R=1023 G=512 B=0; XB30 holds the same word as B=1023, R=0. */
	uint32_t w = 1023u << 20 | 512u << 10;
	uint8_t d[4] = { (uint8_t)w, (uint8_t)(w >> 8), (uint8_t)(w >> 16), (uint8_t)(w >> 24) };
	struct frame_layout l = layout(DRM_FORMAT_XRGB2101010, 1, 1);

	ck_assert_int_eq(convert_frame(&l, d, sizeof(d), &img), 0);
	ck_assert_uint_eq(img.depth, 16);
	assert_px(0, 0, 65535, 512 << 6 | 512 >> 4, 0, 0);
	image_free(&img);
	l.fourcc = DRM_FORMAT_XBGR2101010;
	ck_assert_int_eq(convert_frame(&l, d, sizeof(d), &img), 0);
	assert_px(0, 0, 0, 512 << 6 | 512 >> 4, 65535, 0);
	image_free(&img);
	d[3] |= 0xc0; /* alpha 3 */
	l.fourcc = DRM_FORMAT_ARGB2101010;
	ck_assert_int_eq(convert_frame(&l, d, sizeof(d), &img), 0);
	ck_assert_uint_eq(img.channels, 4);
	ck_assert_uint_eq(img.samples[3], 65535);
}
END_TEST

START_TEST(test_grey)
{
	uint8_t d[] = { 0x34, 0x12, 7 };
	struct frame_layout l = layout(DRM_FORMAT_R16, 1, 1);

	ck_assert_int_eq(convert_frame(&l, d, 2, &img), 0);
	ck_assert_uint_eq(img.channels, 1);
	ck_assert_uint_eq(img.samples[0], 0x1234);
	image_free(&img);
	l.fourcc = DRM_FORMAT_R8;
	ck_assert_int_eq(convert_frame(&l, d + 2, 1, &img), 0);
	ck_assert_uint_eq(img.samples[0], 7);
}
END_TEST

START_TEST(test_refuses_what_does_not_fit)
{
	uint8_t d[64] = { 0 };
	struct frame_layout l = layout(DRM_FORMAT_NV12, 4, 4);

	/* 4x4 NV12 needs 16 + 8 bytes. */
	ck_assert_int_eq(convert_frame(&l, d, 24, &img), 0);
	image_free(&img);
	ck_assert_int_eq(convert_frame(&l, d, 23, &img), -ERANGE);
	ck_assert_ptr_null(img.samples);
	/* Huge claims on a small buffer: refused, not ENOMEM. */
	l = layout(DRM_FORMAT_XRGB8888, FRAME_MAX_DIM, FRAME_MAX_DIM);
	ck_assert_int_eq(convert_frame(&l, d, sizeof(d), &img), -ERANGE);
	l = layout(DRM_FORMAT_XRGB8888, UINT32_MAX, UINT32_MAX);
	ck_assert_int_eq(convert_frame(&l, d, sizeof(d), &img), -E2BIG);
	/* Offsets and strides that overflow 64 bits. */
	l = layout(DRM_FORMAT_NV12, 4, 4);
	l.nplanes = 2;
	l.planes[0] = (struct frame_plane){ 0, 4 };
	l.planes[1] = (struct frame_plane){ UINT64_MAX - 8, 4 };
	ck_assert_int_eq(convert_frame(&l, d, sizeof(d), &img), -ERANGE);
	l.planes[1] = (struct frame_plane){ 16, UINT32_MAX };
	ck_assert_int_eq(convert_frame(&l, d, sizeof(d), &img), -ERANGE);
	/* A stride shorter than a row; zero sizes; too many planes. */
	l = layout(DRM_FORMAT_XRGB8888, 4, 1);
	l.nplanes = 1;
	l.planes[0].stride = 15;
	ck_assert_int_eq(convert_frame(&l, d, sizeof(d), &img), -EINVAL);
	l = layout(DRM_FORMAT_XRGB8888, 0, 1);
	ck_assert_int_eq(convert_frame(&l, d, sizeof(d), &img), -EINVAL);
	l = layout(DRM_FORMAT_XRGB8888, 1, 1);
	l.nplanes = 2;
	ck_assert_int_eq(convert_frame(&l, d, sizeof(d), &img), -EINVAL);
	l = layout(DRM_FORMAT_Y210, 1, 1);
	ck_assert_int_eq(convert_frame(&l, d, sizeof(d), &img), -EOPNOTSUPP);
	ck_assert_int_eq(convert_frame(&l, NULL, 0, &img), -EOPNOTSUPP);
}
END_TEST

START_TEST(test_last_row_needs_no_padding)
{
	/* A 2-row XR24 frame at stride 64 ends 8 bytes into its last row. */
	uint8_t d[72] = { 0 };
	struct frame_layout l = layout(DRM_FORMAT_XRGB8888, 2, 2);

	l.nplanes = 1;
	l.planes[0].stride = 64;
	ck_assert_int_eq(convert_frame(&l, d, 72, &img), 0);
	image_free(&img);
	ck_assert_int_eq(convert_frame(&l, d, 71, &img), -ERANGE);
}
END_TEST

START_TEST(test_parse_names)
{
	uint32_t f;

	ck_assert_int_eq(format_parse("NV12", &f), 0);
	ck_assert_uint_eq(f, DRM_FORMAT_NV12);
	ck_assert_int_eq(format_parse("YU12", &f), 0);
	ck_assert_uint_eq(f, DRM_FORMAT_YUV420);
	ck_assert_int_eq(format_parse("DRM_FORMAT_YVU420", &f), 0);
	ck_assert_uint_eq(f, DRM_FORMAT_YVU420);
	ck_assert_int_eq(format_parse("XR30", &f), 0);
	ck_assert_uint_eq(f, DRM_FORMAT_XRGB2101010);
	ck_assert_int_eq(format_parse("R16", &f), 0);
	ck_assert_uint_eq(f, DRM_FORMAT_R16);
	ck_assert_int_eq(format_parse("RGB888", &f), 0);
	ck_assert_uint_eq(f, DRM_FORMAT_RGB888);
	ck_assert_int_eq(format_parse("Y210", &f), -EOPNOTSUPP);
	ck_assert_int_eq(format_parse("notaformat", &f), -EINVAL);
	ck_assert_int_eq(format_parse("", &f), -EINVAL);
}
END_TEST

/* Every format on random bytes and random layouts: never a read outside
 * the data (the sanitizers and valgrind see it), only 0 or a listed error. */
START_TEST(test_random_layouts_stay_inside)
{
	static const uint32_t fccs[] = {
		DRM_FORMAT_XRGB8888,	DRM_FORMAT_RGB565, DRM_FORMAT_R8,   DRM_FORMAT_R16,
		DRM_FORMAT_ABGR2101010, DRM_FORMAT_YUYV,   DRM_FORMAT_UYVY, DRM_FORMAT_NV12,
		DRM_FORMAT_NV21,	DRM_FORMAT_NV16,   DRM_FORMAT_P010, DRM_FORMAT_YUV420,
		DRM_FORMAT_YVU420,
	};
	unsigned int seed = 12345;

	for (int i = 0; i < 4000; i++) {
		size_t len = (size_t)rand_r(&seed) % 512;
		uint8_t *d = malloc(len ? len : 1);
		struct frame_layout l = layout(fccs[(unsigned)rand_r(&seed) % ARRAY_SIZE(fccs)],
					       1 + (unsigned)rand_r(&seed) % 24,
					       1 + (unsigned)rand_r(&seed) % 24);
		int r;

		for (size_t k = 0; k < len; k++)
			d[k] = (uint8_t)rand_r(&seed);
		l.nplanes = (unsigned)rand_r(&seed) % (format_planes(l.fourcc) + 1);
		for (unsigned int p = 0; p < l.nplanes; p++)
			l.planes[p] = (struct frame_plane){ (uint64_t)rand_r(&seed) % 256,
							    (uint32_t)rand_r(&seed) % 100 };
		r = convert_frame(&l, d, len, &img);
		ck_assert_msg(r == 0 || r == -ERANGE || r == -EINVAL, "r = %d", r);
		image_free(&img);
		free(d);
	}
}
END_TEST

static Suite *convert_suite(void)
{
	Suite *s = suite_create("convert");
	TCase *tc = tcase_create("colours");

	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_test(tc, test_nv12_limited_black_white_red);
	tcase_add_test(tc, test_matrix_and_range_matter);
	tcase_add_test(tc, test_nv21_swaps_chroma);
	tcase_add_test(tc, test_yuyv_two_lumas_per_block);
	tcase_add_test(tc, test_yu12_default_planes);
	tcase_add_test(tc, test_p010_is_16_bit);
	tcase_add_test(tc, test_rgb10_widens_and_orders);
	tcase_add_test(tc, test_grey);
	suite_add_tcase(s, tc);

	tc = tcase_create("bounds");
	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_test(tc, test_refuses_what_does_not_fit);
	tcase_add_test(tc, test_last_row_needs_no_padding);
	tcase_add_test(tc, test_random_layouts_stay_inside);
	suite_add_tcase(s, tc);

	tc = tcase_create("names");
	tcase_add_test(tc, test_parse_names);
	suite_add_tcase(s, tc);
	return s;
}

TESTSUITE_MAIN(convert_suite);
