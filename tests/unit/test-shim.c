/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The I/O accessor shim as libdmabuffs ships it (no tracing), run against
 * ordinary memory: whatever the sizes and alignments, with the streaming
 * path on and off, it must produce exactly what memcpy/memset would, and
 * not touch a byte more. test-shim-trace.c proves how it accesses memory;
 * this proves the real build, with the real movntdqa, computes the same.
 */
#include <check.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dmabuffs/map.h"
#include "test-common.h"
#include "testsuite.h"

#define GUARD 64
#define BIG (1u << 20)

static unsigned char *src_buf, *dst_buf, *exp_buf;
static size_t buf_size;

static void setup(void)
{
	buf_size = BIG + 4 * GUARD;
	src_buf = aligned_alloc(64, buf_size);
	dst_buf = aligned_alloc(64, buf_size);
	exp_buf = aligned_alloc(64, buf_size);
	ck_assert_ptr_nonnull(src_buf);
	ck_assert_ptr_nonnull(dst_buf);
	ck_assert_ptr_nonnull(exp_buf);
	fill_random(src_buf, buf_size, 0xc0ffee);
}

static void teardown(void)
{
	free(src_buf);
	free(dst_buf);
	free(exp_buf);
}

/* dst and exp get the same background; window bytes of both are compared */
static void prepare(size_t window, uint32_t seed)
{
	fill_random(dst_buf, window, seed);
	memcpy(exp_buf, dst_buf, window);
}

static void first_difference(size_t window, size_t lo, size_t len, const char *what)
{
	for (size_t i = 0; i < window; i++)
		if (dst_buf[i] != exp_buf[i])
			ck_abort_msg("%s (dst offset %zu, len %zu): byte %zu (dst%+td) is 0x%02x, "
				     "expected 0x%02x",
				     what, lo, len, i, (ptrdiff_t)(i - lo), dst_buf[i], exp_buf[i]);
}

static void set_streaming(bool on)
{
	dmabuf_io_set_streaming_load(on);
	ck_assert(dmabuf_io_streaming_load_enabled() ==
		  (on && dmabuf_io_streaming_load_available()));
}

/* ------------------------------------------------------------ small */

#define SMALL_LEN 300
#define SMALL_OFF 32
#define SMALL_WINDOW (SMALL_LEN + 2 * SMALL_OFF + 2 * GUARD)

static void small_sweep(bool toio)
{
	for (size_t doff = 0; doff < SMALL_OFF; doff++)
		for (size_t soff = 0; soff < SMALL_OFF; soff++)
			for (size_t len = 0; len <= SMALL_LEN; len++) {
				unsigned char *d = dst_buf + GUARD + doff;
				const unsigned char *s = src_buf + GUARD + soff;

				prepare(SMALL_WINDOW, (uint32_t)(doff * 977 + soff * 31 + len));
				memcpy(exp_buf + GUARD + doff, s, len);
				if (toio)
					dmabuf_memcpy_toio(d, s, len);
				else
					dmabuf_memcpy_fromio(d, s, len);
				if (memcmp(dst_buf, exp_buf, SMALL_WINDOW))
					first_difference(SMALL_WINDOW, GUARD + doff, len,
							 toio ? "toio" : "fromio");
			}
}

START_TEST(test_fromio_small)
{
	set_streaming(_i);
	small_sweep(false);
}
END_TEST

START_TEST(test_toio_small)
{
	set_streaming(_i);
	small_sweep(true);
}
END_TEST

START_TEST(test_memset_small)
{
	set_streaming(_i);
	for (size_t off = 0; off < SMALL_OFF; off++)
		for (size_t len = 0; len <= SMALL_LEN; len++) {
			int c = (int)(len * 13 + off) - 128; /* negative and > 255 too */

			prepare(SMALL_WINDOW, (uint32_t)(off * 101 + len));
			memset(exp_buf + GUARD + off, c, len);
			dmabuf_memset_io(dst_buf + GUARD + off, c, len);
			if (memcmp(dst_buf, exp_buf, SMALL_WINDOW))
				first_difference(SMALL_WINDOW, GUARD + off, len, "memset_io");
		}
}
END_TEST

/* ------------------------------------------------------------ large */

static const size_t big_lens[] = {
	511, 512, 513, 4095, 4096, 4097, 65536 + 13, 300000, BIG - 64,
};

START_TEST(test_large_copies)
{
	set_streaming(_i);
	for (size_t l = 0; l < sizeof(big_lens) / sizeof(big_lens[0]); l++)
		for (size_t doff = 0; doff < 48; doff += 5)
			for (size_t soff = 0; soff < 48; soff += 7) {
				size_t len = big_lens[l];
				size_t window = len + 2 * GUARD + 48;

				prepare(window, (uint32_t)(len + doff));
				memcpy(exp_buf + GUARD + doff, src_buf + GUARD + soff, len);
				dmabuf_memcpy_fromio(dst_buf + GUARD + doff, src_buf + GUARD + soff,
						     len);
				if (memcmp(dst_buf, exp_buf, window))
					first_difference(window, GUARD + doff, len, "fromio");

				prepare(window, (uint32_t)(len + soff));
				memcpy(exp_buf + GUARD + doff, src_buf + GUARD + soff, len);
				dmabuf_memcpy_toio(dst_buf + GUARD + doff, src_buf + GUARD + soff,
						   len);
				if (memcmp(dst_buf, exp_buf, window))
					first_difference(window, GUARD + doff, len, "toio");

				prepare(window, (uint32_t)len);
				memset(exp_buf + GUARD + doff, (int)soff, len);
				dmabuf_memset_io(dst_buf + GUARD + doff, (int)soff, len);
				if (memcmp(dst_buf, exp_buf, window))
					first_difference(window, GUARD + doff, len, "memset_io");
			}
}
END_TEST

/* ------------------------------------------------------------ fixed width */

START_TEST(test_fixed_width)
{
	for (size_t off = 0; off < 24; off++) {
		const unsigned char *s = src_buf + GUARD + off;
		unsigned char *d = dst_buf + GUARD + off;
		uint8_t b;
		uint16_t w;
		uint32_t l;
		uint64_t q;

		memcpy(&b, s, 1);
		memcpy(&w, s, 2);
		memcpy(&l, s, 4);
		memcpy(&q, s, 8);
		ck_assert_uint_eq(dmabuf_readb(s), b);
		ck_assert_uint_eq(dmabuf_readw(s), w);
		ck_assert_uint_eq(dmabuf_readl(s), l);
		ck_assert_uint_eq(dmabuf_readq(s), q);

		prepare(256, (uint32_t)off);
		memcpy(exp_buf + GUARD + off, &b, 1);
		dmabuf_writeb(d, b);
		ck_assert_mem_eq(dst_buf, exp_buf, 256);
		memcpy(exp_buf + GUARD + off, &w, 2);
		dmabuf_writew(d, w);
		ck_assert_mem_eq(dst_buf, exp_buf, 256);
		memcpy(exp_buf + GUARD + off, &l, 4);
		dmabuf_writel(d, l);
		ck_assert_mem_eq(dst_buf, exp_buf, 256);
		memcpy(exp_buf + GUARD + off, &q, 8);
		dmabuf_writeq(d, q);
		ck_assert_mem_eq(dst_buf, exp_buf, 256);
	}
}
END_TEST

/* ------------------------------------------------------------ switch */

START_TEST(test_streaming_availability)
{
#if defined(__x86_64__)
	__builtin_cpu_init();
	ck_assert(dmabuf_io_streaming_load_available() == !!__builtin_cpu_supports("sse4.1"));
#else
	ck_assert(!dmabuf_io_streaming_load_available());
#endif
	/* on by default when the CPU has it */
	ck_assert(dmabuf_io_streaming_load_enabled() == dmabuf_io_streaming_load_available());
	dmabuf_io_set_streaming_load(false);
	ck_assert(!dmabuf_io_streaming_load_enabled());
	dmabuf_io_set_streaming_load(true);
	ck_assert(dmabuf_io_streaming_load_enabled() == dmabuf_io_streaming_load_available());
}
END_TEST

static Suite *shim_suite(void)
{
	Suite *s = suite_create("shim");
	TCase *tc;

	/* loop index: 0 = streaming off, 1 = on (where the CPU has it) */
	tc = tcase_create("small");
	tcase_set_timeout(tc, 120);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_fromio_small, 0, 2);
	tcase_add_loop_test(tc, test_toio_small, 0, 2);
	tcase_add_loop_test(tc, test_memset_small, 0, 2);
	suite_add_tcase(s, tc);

	tc = tcase_create("large");
	tcase_set_timeout(tc, 120);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_large_copies, 0, 2);
	suite_add_tcase(s, tc);

	tc = tcase_create("fixed-width");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_fixed_width);
	suite_add_tcase(s, tc);

	tc = tcase_create("streaming");
	tcase_add_test(tc, test_streaming_availability);
	suite_add_tcase(s, tc);

	return s;
}

TESTSUITE_MAIN(shim_suite);
