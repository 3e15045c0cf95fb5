/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Every verb of <dmabuffs/map.h>, on a system-memory map and on an I/O map
 * (backed here by ordinary memory, so results can be compared): loop tests
 * run each case with _i = 0 (system) and _i = 1 (I/O). The two kinds must
 * give the same results; how the I/O side is accessed is test-shim-trace's
 * business.
 */
#include <check.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dmabuffs/map.h"
#include "test-common.h"
#include "testsuite.h"

#define BUF_SIZE (3 * 4096 + 512)

static unsigned char *buf, *ref, *other;

static void setup(void)
{
	buf = aligned_alloc(64, BUF_SIZE);
	ref = aligned_alloc(64, BUF_SIZE);
	other = aligned_alloc(64, BUF_SIZE);
	ck_assert_ptr_nonnull(buf);
	ck_assert_ptr_nonnull(ref);
	ck_assert_ptr_nonnull(other);
	fill_random(buf, BUF_SIZE, 0x5eed);
	memcpy(ref, buf, BUF_SIZE);
	fill_random(other, BUF_SIZE, 0xface);
}

static void teardown(void)
{
	free(buf);
	free(ref);
	free(other);
}

static void map_on(struct dmabuf_map *map, void *p, bool iomem)
{
	if (iomem)
		dmabuf_map_set_vaddr_iomem(map, p);
	else
		dmabuf_map_set_vaddr(map, p);
}

/* buf must equal ref, which the test updates with plain memcpy/memset */
static void assert_buf_is_ref(const char *what)
{
	for (size_t i = 0; i < BUF_SIZE; i++)
		if (buf[i] != ref[i])
			ck_abort_msg("%s: byte %zu is 0x%02x, expected 0x%02x", what, i, buf[i],
				     ref[i]);
}

/* ------------------------------------------------------------ pointers */

START_TEST(test_init)
{
	struct dmabuf_map sys = DMABUF_MAP_INIT_VADDR(buf);
	struct dmabuf_map io = DMABUF_MAP_INIT_VADDR_IOMEM(buf);
	struct dmabuf_map sys2, io2;

	ck_assert(!sys.is_iomem);
	ck_assert_ptr_eq(sys.vaddr, buf);
	ck_assert(io.is_iomem);
	ck_assert_ptr_eq((void *)(uintptr_t)io.vaddr_iomem, buf);

	dmabuf_map_set_vaddr(&sys2, buf);
	dmabuf_map_set_vaddr_iomem(&io2, buf);
	ck_assert(dmabuf_map_is_equal(&sys, &sys2));
	ck_assert(dmabuf_map_is_equal(&io, &io2));

	/* a set turns the map into the other kind */
	dmabuf_map_set_vaddr(&io2, buf);
	ck_assert(!io2.is_iomem);
	ck_assert(dmabuf_map_is_equal(&io2, &sys));
	dmabuf_map_set_vaddr_iomem(&sys2, buf);
	ck_assert(sys2.is_iomem);
	ck_assert(dmabuf_map_is_equal(&sys2, &io));
}
END_TEST

START_TEST(test_null_set)
{
	struct dmabuf_map zero;
	struct dmabuf_map m;

	memset(&zero, 0, sizeof(zero));
	ck_assert(dmabuf_map_is_null(&zero));
	ck_assert(!dmabuf_map_is_set(&zero));

	map_on(&m, NULL, _i);
	ck_assert(dmabuf_map_is_null(&m));
	ck_assert(!dmabuf_map_is_set(&m));

	map_on(&m, buf, _i);
	ck_assert(!dmabuf_map_is_null(&m));
	ck_assert(dmabuf_map_is_set(&m));
}
END_TEST

START_TEST(test_is_equal)
{
	struct dmabuf_map a, b;

	map_on(&a, buf, _i);
	map_on(&b, buf, _i);
	ck_assert(dmabuf_map_is_equal(&a, &b));
	ck_assert(dmabuf_map_is_equal(&b, &a));

	/* same address, other kind: not the same map */
	map_on(&b, buf, !_i);
	ck_assert(!dmabuf_map_is_equal(&a, &b));
	ck_assert(!dmabuf_map_is_equal(&b, &a));

	map_on(&b, buf + 1, _i);
	ck_assert(!dmabuf_map_is_equal(&a, &b));

	map_on(&a, NULL, _i);
	map_on(&b, NULL, _i);
	ck_assert(dmabuf_map_is_equal(&a, &b));
}
END_TEST

START_TEST(test_clear)
{
	struct dmabuf_map m, zero;

	memset(&zero, 0, sizeof(zero));
	map_on(&m, buf, _i);
	dmabuf_map_clear(&m);
	ck_assert(dmabuf_map_is_null(&m));
	ck_assert(!dmabuf_map_is_set(&m));
	/* cleared is the zero map: NULL system memory, whatever it was */
	ck_assert(!m.is_iomem);
	ck_assert(dmabuf_map_is_equal(&m, &zero));
}
END_TEST

START_TEST(test_incr)
{
	struct dmabuf_map m, want;

	map_on(&m, buf, _i);
	dmabuf_map_incr(&m, 0);
	map_on(&want, buf, _i);
	ck_assert(dmabuf_map_is_equal(&m, &want));

	for (size_t step = 1; step < 40; step += 3) {
		size_t at = 0;

		map_on(&m, buf, _i);
		for (int k = 0; k < 10; k++) {
			dmabuf_map_incr(&m, step);
			at += step;
			map_on(&want, buf + at, _i);
			ck_assert(dmabuf_map_is_equal(&m, &want));
			ck_assert_uint_eq(m.is_iomem, _i);
			ck_assert_uint_eq(dmabuf_map_rd_u8(&m, 0), buf[at]);
		}
	}
}
END_TEST

START_TEST(test_init_offset)
{
	struct dmabuf_map m, want;

	map_on(&m, buf, _i);
	for (size_t off = 0; off < 100; off += 7) {
		struct dmabuf_map o = DMABUF_MAP_INIT_OFFSET(&m, off);

		map_on(&want, buf + off, _i);
		ck_assert(dmabuf_map_is_equal(&o, &want));
		ck_assert_uint_eq(dmabuf_map_rd_u8(&o, 0), buf[off]);
		/* the original is untouched */
		map_on(&want, buf, _i);
		ck_assert(dmabuf_map_is_equal(&m, &want));
	}
}
END_TEST

/* ------------------------------------------------------------ bytes */

START_TEST(test_memcpy_to_from)
{
	struct dmabuf_map m;
	unsigned char out[600];

	map_on(&m, buf, _i);
	for (size_t off = 0; off < 70; off += 3)
		for (size_t len = 0; len < 520; len += (len < 40 ? 1 : 37)) {
			const unsigned char *src = other + (off * 5 + len) % 64;

			dmabuf_map_memcpy_to(&m, off, src, len);
			memcpy(ref + off, src, len);
			assert_buf_is_ref("memcpy_to");

			memset(out, 0xaa, sizeof(out));
			dmabuf_map_memcpy_from(out + 1, &m, off + 5, len);
			ck_assert_mem_eq(out + 1, ref + off + 5, len);
			ck_assert_uint_eq(out[0], 0xaa);
			ck_assert_uint_eq(out[len + 1], 0xaa);
		}
}
END_TEST

START_TEST(test_memset)
{
	struct dmabuf_map m;

	map_on(&m, buf, _i);
	for (size_t off = 0; off < 40; off++)
		for (size_t len = 0; len < 100; len += 3) {
			int c = (int)(off * 3 + len) - 100;

			dmabuf_map_memset(&m, off, c, len);
			memset(ref + off, c, len);
			assert_buf_is_ref("memset");
		}
}
END_TEST

/* ------------------------------------------------------------ rd / wr */

START_TEST(test_rd_wr_fixed)
{
	struct dmabuf_map m;

	map_on(&m, buf, _i);
	for (size_t off = 0; off < 24; off++) {
		uint8_t b;
		uint16_t w;
		uint32_t l;
		uint64_t q;

		/* reads see what is there, aligned or not */
		memcpy(&b, ref + off, 1);
		memcpy(&w, ref + off, 2);
		memcpy(&l, ref + off, 4);
		memcpy(&q, ref + off, 8);
		ck_assert_uint_eq(dmabuf_map_rd_u8(&m, off), b);
		ck_assert_uint_eq(dmabuf_map_rd_u16(&m, off), w);
		ck_assert_uint_eq(dmabuf_map_rd_u32(&m, off), l);
		ck_assert_uint_eq(dmabuf_map_rd_u64(&m, off), q);

		/* writes put exactly their bytes there */
		q = 0x0102030405060708ull * (off + 1);
		b = (uint8_t)(q >> 3);
		w = (uint16_t)(q >> 5);
		l = (uint32_t)(q >> 7);
		dmabuf_map_wr_u64(&m, off, q);
		memcpy(ref + off, &q, 8);
		assert_buf_is_ref("wr_u64");
		dmabuf_map_wr_u32(&m, off + 1, l);
		memcpy(ref + off + 1, &l, 4);
		assert_buf_is_ref("wr_u32");
		dmabuf_map_wr_u16(&m, off + 2, w);
		memcpy(ref + off + 2, &w, 2);
		assert_buf_is_ref("wr_u16");
		dmabuf_map_wr_u8(&m, off + 3, b);
		ref[off + 3] = b;
		assert_buf_is_ref("wr_u8");
		/* the u8 landed on the u16's second byte: reads see the mix */
		memcpy(&w, ref + off + 2, 2);
		ck_assert_uint_eq(dmabuf_map_rd_u16(&m, off + 2), w);
	}
}
END_TEST

struct odd {
	uint8_t bytes[12];
};

START_TEST(test_rd_wr_typed)
{
	struct dmabuf_map m;
	struct odd o, o2;
	int32_t i32;
	/* variables, not constants, so the compiler does not warn about the
	 * truncation the test wants */
	uint32_t wide32 = 0x12345678;
	int wide9 = 0x1ff;

	map_on(&m, buf, _i);
	for (size_t off = 0; off < 20; off++) {
		dmabuf_map_wr(&m, off, int32_t, -123456789);
		ck_assert_int_eq(dmabuf_map_rd(&m, off, int32_t), -123456789);
		ck_assert_uint_eq(dmabuf_map_rd_u32(&m, off), (uint32_t)-123456789);

		/* the value is converted to the type first, as an assignment */
		dmabuf_map_wr(&m, off, uint16_t, wide32);
		ck_assert_uint_eq(dmabuf_map_rd(&m, off, uint16_t), 0x5678);
		i32 = -123456789;
		ck_assert_mem_eq(buf + off + 2, (unsigned char *)&i32 + 2, 2);

		dmabuf_map_wr(&m, off, uint64_t, 0xfedcba9876543210ull);
		ck_assert_uint_eq(dmabuf_map_rd(&m, off, uint64_t), 0xfedcba9876543210ull);
		dmabuf_map_wr(&m, off, uint8_t, wide9);
		ck_assert_uint_eq(dmabuf_map_rd(&m, off, uint8_t), 0xff);

		dmabuf_map_wr(&m, off, double, 2.5);
		ck_assert(dmabuf_map_rd(&m, off, double) == 2.5);

		/* a type of no fixed width goes through the copy */
		for (unsigned i = 0; i < sizeof(o.bytes); i++)
			o.bytes[i] = (uint8_t)(i * 17 + off);
		dmabuf_map_wr(&m, off, struct odd, o);
		ck_assert_mem_eq(buf + off, o.bytes, sizeof(o.bytes));
		o2 = dmabuf_map_rd(&m, off, struct odd);
		ck_assert_mem_eq(o2.bytes, o.bytes, sizeof(o.bytes));
	}
}
END_TEST

struct hdr {
	uint32_t magic;
	uint8_t flags;
	uint16_t count;
	uint64_t size;
	int8_t delta;
};

START_TEST(test_rd_wr_field)
{
	struct dmabuf_map m;

	int wide9 = 0x1a5;

	map_on(&m, buf, _i);
	/* struct offsets far enough apart not to overlap, some misaligned */
	for (size_t k = 0; k < 8; k++) {
		size_t at = k * 32 + k % 5;
		struct hdr h;

		dmabuf_map_wr_field(&m, at, struct hdr, magic, 0xdeadbeef);
		dmabuf_map_wr_field(&m, at, struct hdr, flags, wide9); /* truncated */
		dmabuf_map_wr_field(&m, at, struct hdr, count, 4242);
		dmabuf_map_wr_field(&m, at, struct hdr, size, 0x123456789abcull);
		dmabuf_map_wr_field(&m, at, struct hdr, delta, -7);

		ck_assert_uint_eq(dmabuf_map_rd_field(&m, at, struct hdr, magic), 0xdeadbeef);
		ck_assert_uint_eq(dmabuf_map_rd_field(&m, at, struct hdr, flags), 0xa5);
		ck_assert_uint_eq(dmabuf_map_rd_field(&m, at, struct hdr, count), 4242);
		ck_assert_uint_eq(dmabuf_map_rd_field(&m, at, struct hdr, size), 0x123456789abcull);
		ck_assert_int_eq(dmabuf_map_rd_field(&m, at, struct hdr, delta), -7);

		/* the fields landed where the compiler puts them */
		memcpy(&h, buf + at, sizeof(h));
		ck_assert_uint_eq(h.magic, 0xdeadbeef);
		ck_assert_uint_eq(h.flags, 0xa5);
		ck_assert_uint_eq(h.count, 4242);
		ck_assert_uint_eq(h.size, 0x123456789abcull);
		ck_assert_int_eq(h.delta, -7);
		/* and each field's own width: the padding bytes stay */
		ck_assert_uint_eq(buf[at + offsetof(struct hdr, flags) + 1],
				  ref[at + offsetof(struct hdr, flags) + 1]);
	}
}
END_TEST

/* ------------------------------------------------------------ copy */

/* _i: bit 0 = destination is I/O, bit 1 = source is I/O */
START_TEST(test_copy)
{
	static const size_t lens[] = { 0,  1,	3,   8,	   15,	 16,   17,	 31,
				       64, 100, 255, 4095, 4096, 4097, 8192 + 33 };
	bool dst_io = _i & 1, src_io = _i & 2;
	struct dmabuf_map d, s;

	map_on(&d, buf, dst_io);
	map_on(&s, other, src_io);
	for (size_t l = 0; l < sizeof(lens) / sizeof(lens[0]); l++)
		for (size_t doff = 0; doff < 20; doff += 3)
			for (size_t soff = 0; soff < 20; soff += 2) {
				size_t len = lens[l];

				dmabuf_map_copy(&d, doff, &s, soff, len);
				memcpy(ref + doff, other + soff, len);
				assert_buf_is_ref("copy");
			}
	/* the source is unchanged */
	fill_random(ref, BUF_SIZE, 0xface);
	ck_assert_mem_eq(other, ref, BUF_SIZE);
}
END_TEST

/* ------------------------------------------------------------ differential */

/* The same random program of verbs on a system map and on an I/O map gives
 * the same memory and the same values read. */
START_TEST(test_same_results)
{
	struct dmabuf_map sys, io;
	uint32_t x = 0x2545f491;
	unsigned char tmp1[256], tmp2[256];

	memcpy(other, buf, BUF_SIZE);
	dmabuf_map_set_vaddr(&sys, buf);
	dmabuf_map_set_vaddr_iomem(&io, other);
	for (int step = 0; step < 20000; step++) {
		size_t off, len;

		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		off = (x >> 8) % (BUF_SIZE - 512);
		len = (x >> 3) % 256;
		switch (x % 7) {
		case 0:
			ck_assert_uint_eq(dmabuf_map_rd_u64(&sys, off),
					  dmabuf_map_rd_u64(&io, off));
			break;
		case 1:
			dmabuf_map_wr_u32(&sys, off, x);
			dmabuf_map_wr_u32(&io, off, x);
			break;
		case 2:
			dmabuf_map_memset(&sys, off, (int)x, len);
			dmabuf_map_memset(&io, off, (int)x, len);
			break;
		case 3:
			dmabuf_map_memcpy_from(tmp1, &sys, off, len);
			dmabuf_map_memcpy_from(tmp2, &io, off, len);
			ck_assert_mem_eq(tmp1, tmp2, len);
			break;
		case 4:
			dmabuf_map_memcpy_to(&sys, off, ref + len, len);
			dmabuf_map_memcpy_to(&io, off, ref + len, len);
			break;
		case 5:
			dmabuf_map_wr_u16(&sys, off, (uint16_t)x);
			dmabuf_map_wr_u16(&io, off, (uint16_t)x);
			ck_assert_uint_eq(dmabuf_map_rd_u32(&sys, off & ~(size_t)3),
					  dmabuf_map_rd_u32(&io, off & ~(size_t)3));
			break;
		case 6:
			dmabuf_map_copy(&sys, off, &sys, (off + 300) % (BUF_SIZE - 512), len);
			dmabuf_map_copy(&io, off, &io, (off + 300) % (BUF_SIZE - 512), len);
			break;
		}
	}
	ck_assert_mem_eq(buf, other, BUF_SIZE);
}
END_TEST

static Suite *map_suite(void)
{
	Suite *s = suite_create("map");
	TCase *tc;

	/* loop index: 0 = system-memory map, 1 = I/O map */
	tc = tcase_create("pointer");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_init);
	tcase_add_loop_test(tc, test_null_set, 0, 2);
	tcase_add_loop_test(tc, test_is_equal, 0, 2);
	tcase_add_loop_test(tc, test_clear, 0, 2);
	tcase_add_loop_test(tc, test_incr, 0, 2);
	tcase_add_loop_test(tc, test_init_offset, 0, 2);
	suite_add_tcase(s, tc);

	tc = tcase_create("bytes");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_memcpy_to_from, 0, 2);
	tcase_add_loop_test(tc, test_memset, 0, 2);
	suite_add_tcase(s, tc);

	tc = tcase_create("rd-wr");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_rd_wr_fixed, 0, 2);
	tcase_add_loop_test(tc, test_rd_wr_typed, 0, 2);
	tcase_add_loop_test(tc, test_rd_wr_field, 0, 2);
	suite_add_tcase(s, tc);

	tc = tcase_create("copy");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_copy, 0, 4);
	tcase_add_test(tc, test_same_results);
	suite_add_tcase(s, tc);

	return s;
}

TESTSUITE_MAIN(map_suite);
