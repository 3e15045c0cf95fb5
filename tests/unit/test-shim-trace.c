/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The I/O accessor shim, proved access by access. src/lib/io.c is compiled
 * into this program with -DDMABUF_IO_TRACE, so every load, store and fence
 * it makes on the I/O side comes through dmabuf_io_trace() below, which
 * records it and performs it. For every (offset, length) of interest, both
 * directions, memset, with and without the streaming path, we check what
 * the shim promises:
 *
 *  - each access is naturally aligned and 1/2/4/8 bytes wide (16 only for
 *    a streaming load, whose system-memory side must be 16-byte aligned);
 *  - each is the widest such access that fits (no degrading to bytes);
 *  - all lie inside [io + off, io + off + len), and together cover every
 *    byte of it exactly once (no overlap, no repeat, no gap);
 *  - a read copy only reads, a write copy only writes, and the call ends
 *    with the matching fence; len 0 touches nothing;
 *  - the streaming path is taken exactly for the 16-byte-aligned bulk;
 *  - the bytes are right, and every byte outside the range is untouched,
 *    on both sides.
 *
 * Checking runs without ck_assert in the inner loops: Check records a mark
 * point per assertion, which would make the 800k calls below take minutes.
 */
#include <check.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dmabuffs/map.h"
#include "lib/io-access.h"
#include "test-common.h"
#include "testsuite.h"

#define MAX_OFF 64
#define MAX_LEN 200
#define MAX_SYS_OFF 16

/* The I/O arena: the only memory the hook will touch. Big enough for two
 * regions of a multi-chunk map-to-map copy. */
#define ARENA_SIZE (20 * 1024)
#define IO_BASE 256 /* a multiple of 64: off then spans every alignment */
#define SYS_SIZE (12 * 1024)
#define SYS_BASE 256

static _Alignas(64) unsigned char io_mem[ARENA_SIZE];
static _Alignas(64) unsigned char io_ref[ARENA_SIZE];
static _Alignas(64) unsigned char sys_mem[SYS_SIZE];
static _Alignas(64) unsigned char sys_ref[SYS_SIZE];

struct access {
	enum dmabuf_io_dir dir;
	uintptr_t addr;
	unsigned int width;
	uintptr_t val; /* the hook's val pointer: the system side of a load16 */
};

#define MAX_EVENTS 16384
static struct access events[MAX_EVENTS];
static size_t n_events;
static bool events_overflow;
static bool outside_arena;
static unsigned char cover[ARENA_SIZE];
static char failmsg[1024];

/* The bytes of each arena a test uses: reset and compared after every
 * call, so kept small for the sweeps. The hook refuses I/O beyond it. */
static size_t io_window = ARENA_SIZE;
static size_t sys_window = SYS_SIZE;
#define SWEEP_WINDOW 1024

/* Off only for I/O-to-I/O copies: a bounce-buffer boundary can fall at any
 * alignment of one of the two sides, and the accesses beside it are then
 * narrower than the widest that would fit (still aligned, still once). */
static bool check_widest = true;

void dmabuf_io_trace(enum dmabuf_io_dir dir, const volatile void *addr, unsigned int width,
		     void *val)
{
	uintptr_t a = (uintptr_t)addr;

	if (n_events < MAX_EVENTS)
		events[n_events++] = (struct access){ dir, a, width, (uintptr_t)val };
	else
		events_overflow = true;

	if (dir != DMABUF_IO_READ && dir != DMABUF_IO_WRITE)
		return;
	/* Never let a wild access corrupt the test itself: refuse it and let
	 * the range check report it. */
	if (a < (uintptr_t)io_mem || a + width > (uintptr_t)io_mem + io_window) {
		outside_arena = true;
		if (dir == DMABUF_IO_READ)
			memset(val, 0, width);
		return;
	}
	if (dir == DMABUF_IO_READ)
		memcpy(val, (const void *)a, width);
	else
		memcpy((void *)a, val, width);
}

static void setup_memory(void)
{
	/* for CK_FORK=no, where one test's settings would reach the next */
	io_window = ARENA_SIZE;
	sys_window = SYS_SIZE;
	check_widest = true;
	fill_random(io_ref, sizeof(io_ref), 0x1234567);
	fill_random(sys_ref, sizeof(sys_ref), 0x89abcde);
}

static void reset(void)
{
	memcpy(io_mem, io_ref, io_window);
	memcpy(sys_mem, sys_ref, sys_window);
	n_events = 0;
	events_overflow = false;
	outside_arena = false;
}

static bool flunk(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static bool flunk(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(failmsg, sizeof(failmsg), fmt, ap);
	va_end(ap);
	return false;
}

static unsigned int widest(uintptr_t a, uintptr_t end)
{
	for (unsigned int w = 8; w > 1; w /= 2)
		if (!(a % w) && a + w <= end)
			return w;
	return 1;
}

/*
 * One I/O range as the trace should show it: accesses of direction dir only
 * (fences excepted) covering [lo, lo + len) exactly once, each aligned and
 * of the widest width that fits; 16-byte streaming loads allowed when
 * stream16 is set, and then counted into *n16. Events [from, to).
 */
static bool check_range(size_t from, size_t to, enum dmabuf_io_dir dir, uintptr_t lo, size_t len,
			bool stream16, size_t *n16)
{
	uintptr_t hi = lo + len;
	size_t i;

	memset(cover + (lo - (uintptr_t)io_mem), 0, len);
	if (n16)
		*n16 = 0;
	for (i = from; i < to; i++) {
		const struct access *e = &events[i];

		if (e->dir == DMABUF_IO_FENCE_READ || e->dir == DMABUF_IO_FENCE_WRITE)
			continue;
		if (e->dir != dir)
			return flunk("event %zu: a %s in a %s range", i,
				     e->dir == DMABUF_IO_READ ? "read" : "write",
				     dir == DMABUF_IO_READ ? "read" : "write");
		if (e->addr < lo || e->addr + e->width > hi)
			return flunk("event %zu: %u bytes at range+%td, outside [0, %zu)", i,
				     e->width, (ptrdiff_t)(e->addr - lo), len);
		if (e->width == 16) {
			if (!stream16)
				return flunk("event %zu: 16-byte access off the streaming path", i);
			if (e->addr % 16 || e->val % 16)
				return flunk("event %zu: streaming load not 16-byte aligned "
					     "(io %% 16 = %zu, sys %% 16 = %zu)",
					     i, (size_t)(e->addr % 16), (size_t)(e->val % 16));
			(*n16)++;
		} else {
			if (e->width != 1 && e->width != 2 && e->width != 4 && e->width != 8)
				return flunk("event %zu: width %u", i, e->width);
			if (e->addr % e->width)
				return flunk("event %zu: %u-byte access at range+%td, unaligned", i,
					     e->width, (ptrdiff_t)(e->addr - lo));
			if (check_widest && e->width != widest(e->addr, hi))
				return flunk("event %zu: %u-byte access at range+%td where %u fits",
					     i, e->width, (ptrdiff_t)(e->addr - lo),
					     widest(e->addr, hi));
		}
		for (unsigned int b = 0; b < e->width; b++)
			if (cover[e->addr - (uintptr_t)io_mem + b]++)
				return flunk("event %zu: byte range+%td accessed twice", i,
					     (ptrdiff_t)(e->addr + b - lo));
	}
	for (size_t b = 0; b < len; b++)
		if (cover[lo - (uintptr_t)io_mem + b] != 1)
			return flunk("byte range+%zu never accessed", b);
	return true;
}

static bool check_trace_basics(size_t len, enum dmabuf_io_dir fence)
{
	if (events_overflow)
		return flunk("more than %d accesses", MAX_EVENTS);
	if (outside_arena)
		return flunk("an access outside the whole I/O arena");
	if (len == 0)
		return n_events ? flunk("len 0 made %zu accesses", n_events) : true;
	if (!n_events || events[n_events - 1].dir != fence)
		return flunk("the call does not end with a %s fence",
			     fence == DMABUF_IO_FENCE_READ ? "read" : "write");
	return true;
}

/* bytes [lo, lo + len) of mem equal want, the rest equal ref */
static bool check_bytes(const char *what, const unsigned char *mem, const unsigned char *ref,
			size_t size, size_t lo, size_t len, const unsigned char *want, int fill)
{
	for (size_t i = 0; i < size; i++) {
		unsigned char exp;

		if (i >= lo && i < lo + len)
			exp = want ? want[i - lo] : (unsigned char)fill;
		else
			exp = ref[i];
		if (mem[i] != exp)
			return flunk("%s byte %td (range+%td): 0x%02x, expected 0x%02x", what,
				     (ptrdiff_t)i, (ptrdiff_t)(i - lo), mem[i], exp);
	}
	return true;
}

/* Streaming loads expected for a read of len bytes from io to sys. */
static size_t expected_stream16(uintptr_t io, uintptr_t sys, size_t len, bool streaming)
{
	size_t head;

	if (!streaming || len < 16 || ((io ^ sys) & 15))
		return 0;
	head = -io & 15;
	if (len - head < 16)
		return 0;
	return (len - head) / 16;
}

/* ------------------------------------------------------------ one call */

enum op {
	OP_FROMIO,
	OP_TOIO,
	OP_MEMSET
};

static bool run_one(enum op op, size_t off, size_t len, size_t sys_off, bool streaming)
{
	unsigned char *io = io_mem + IO_BASE + off;
	unsigned char *sys = sys_mem + SYS_BASE + sys_off;
	int c = (int)(0x100 | ((off * 7 + len) & 0xff)); /* memset takes the low byte */
	size_t n16;

	reset();
	switch (op) {
	case OP_FROMIO:
		dmabuf_memcpy_fromio(sys, io, len);
		if (!check_trace_basics(len, DMABUF_IO_FENCE_READ) ||
		    !check_range(0, n_events, DMABUF_IO_READ, (uintptr_t)io, len, streaming, &n16))
			return false;
		if (n16 != expected_stream16((uintptr_t)io, (uintptr_t)sys, len, streaming))
			return flunk("%zu streaming loads, expected %zu", n16,
				     expected_stream16((uintptr_t)io, (uintptr_t)sys, len,
						       streaming));
		return check_bytes("sys", sys_mem, sys_ref, sys_window, SYS_BASE + sys_off, len,
				   io_ref + IO_BASE + off, 0) &&
		       check_bytes("io", io_mem, io_ref, io_window, 0, 0, NULL, 0);
	case OP_TOIO:
		dmabuf_memcpy_toio(io, sys, len);
		return check_trace_basics(len, DMABUF_IO_FENCE_WRITE) &&
		       check_range(0, n_events, DMABUF_IO_WRITE, (uintptr_t)io, len, false, NULL) &&
		       check_bytes("io", io_mem, io_ref, io_window, IO_BASE + off, len,
				   sys_ref + SYS_BASE + sys_off, 0) &&
		       check_bytes("sys", sys_mem, sys_ref, sys_window, 0, 0, NULL, 0);
	case OP_MEMSET:
		dmabuf_memset_io(io, c, len);
		return check_trace_basics(len, DMABUF_IO_FENCE_WRITE) &&
		       check_range(0, n_events, DMABUF_IO_WRITE, (uintptr_t)io, len, false, NULL) &&
		       check_bytes("io", io_mem, io_ref, io_window, IO_BASE + off, len, NULL,
				   c & 0xff);
	}
	return flunk("bad op");
}

static void sweep(enum op op, bool streaming, size_t sys_offs)
{
	io_window = sys_window = SWEEP_WINDOW;
	dmabuf_io_set_streaming_load(streaming);
	ck_assert(dmabuf_io_streaming_load_enabled() == streaming);

	for (size_t sys_off = 0; sys_off < sys_offs; sys_off++)
		for (size_t off = 0; off < MAX_OFF; off++)
			for (size_t len = 0; len <= MAX_LEN; len++)
				if (!run_one(op, off, len, sys_off, streaming))
					ck_abort_msg("%s(io off %zu, sys off %zu, len %zu, "
						     "streaming %s): %s",
						     op == OP_FROMIO ? "fromio" :
						     op == OP_TOIO   ? "toio" :
								       "memset_io",
						     off, sys_off, len, streaming ? "on" : "off",
						     failmsg);
}

START_TEST(test_fromio_plain)
{
	sweep(OP_FROMIO, false, MAX_SYS_OFF);
}
END_TEST

START_TEST(test_fromio_streaming)
{
	sweep(OP_FROMIO, true, MAX_SYS_OFF);
}
END_TEST

START_TEST(test_toio_plain)
{
	sweep(OP_TOIO, false, MAX_SYS_OFF);
}
END_TEST

/* Streaming loads are for reads only: switching them on changes nothing. */
START_TEST(test_toio_streaming_on)
{
	sweep(OP_TOIO, true, 4);
}
END_TEST

START_TEST(test_memset_plain)
{
	sweep(OP_MEMSET, false, 1);
}
END_TEST

START_TEST(test_memset_streaming_on)
{
	sweep(OP_MEMSET, true, 1);
}
END_TEST

/* Long copies: the 64-byte unrolled streaming loop and its 16-byte tail. */
START_TEST(test_fromio_long)
{
	static const size_t lens[] = { 255, 256, 257, 1000, 4096, 4111, 8192 + 77 };
	bool streaming = _i;

	io_window = sys_window = 9 * 1024;
	dmabuf_io_set_streaming_load(streaming);
	for (size_t l = 0; l < sizeof(lens) / sizeof(lens[0]); l++)
		for (size_t off = 0; off < 32; off++)
			for (size_t sys_off = 0; sys_off < 32; sys_off += 3)
				if (!run_one(OP_FROMIO, off, lens[l], sys_off, streaming) ||
				    !run_one(OP_TOIO, off, lens[l], sys_off, streaming))
					ck_abort_msg("len %zu off %zu sys off %zu: %s", lens[l],
						     off, sys_off, failmsg);
}
END_TEST

/* ------------------------------------------------------------ fixed width */

static bool run_fixed(unsigned int width, size_t off, bool write)
{
	unsigned char *io = io_mem + IO_BASE + off;
	uint64_t got = 0, want = 0, val;

	reset();
	memcpy(&val, sys_ref, 8); /* a value with all bytes different */
	if (write) {
		switch (width) {
		case 1:
			dmabuf_writeb(io, (uint8_t)val);
			break;
		case 2:
			dmabuf_writew(io, (uint16_t)val);
			break;
		case 4:
			dmabuf_writel(io, (uint32_t)val);
			break;
		case 8:
			dmabuf_writeq(io, val);
			break;
		}
	} else {
		switch (width) {
		case 1:
			got = dmabuf_readb(io);
			break;
		case 2:
			got = dmabuf_readw(io);
			break;
		case 4:
			got = dmabuf_readl(io);
			break;
		case 8:
			got = dmabuf_readq(io);
			break;
		}
	}
	if (!check_trace_basics(width, write ? DMABUF_IO_FENCE_WRITE : DMABUF_IO_FENCE_READ) ||
	    !check_range(0, n_events, write ? DMABUF_IO_WRITE : DMABUF_IO_READ, (uintptr_t)io,
			 width, false, NULL))
		return false;
	/* An aligned accessor is exactly one access, as readl()/writel(). */
	if (off % width == 0 && n_events != 2)
		return flunk("aligned %u-byte accessor made %zu accesses", width, n_events - 1);
	if (write) {
		unsigned char bytes[8];

		memcpy(bytes, &val, 8); /* CPU byte order: the low width bytes */
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
		memmove(bytes, bytes + 8 - width, width);
#endif
		return check_bytes("io", io_mem, io_ref, io_window, IO_BASE + off, width, bytes, 0);
	}
	memcpy((unsigned char *)&want + (__BYTE_ORDER__ == __ORDER_BIG_ENDIAN__ ? 8 - width : 0),
	       io_ref + IO_BASE + off, width);
	if (got != want)
		return flunk("read 0x%llx, expected 0x%llx", (unsigned long long)got,
			     (unsigned long long)want);
	return check_bytes("io", io_mem, io_ref, io_window, 0, 0, NULL, 0);
}

START_TEST(test_fixed_width)
{
	static const unsigned int widths[] = { 1, 2, 4, 8 };

	io_window = sys_window = SWEEP_WINDOW;
	for (size_t w = 0; w < 4; w++)
		for (size_t off = 0; off < 16; off++)
			for (int write = 0; write < 2; write++)
				if (!run_fixed(widths[w], off, write))
					ck_abort_msg("%s of %u bytes at offset %zu: %s",
						     write ? "write" : "read", widths[w], off,
						     failmsg);
}
END_TEST

/* ------------------------------------------------------------ map copy */

/* I/O to I/O: reads only in the source range, writes only in the
 * destination range, each byte once, through the bounded bounce buffer. */
static bool run_copy_io_io(size_t src_off, size_t dst_off, size_t len, bool streaming)
{
	size_t half = (ARENA_SIZE - 2 * IO_BASE) / 2;
	unsigned char *src = io_mem + IO_BASE + src_off;
	unsigned char *dst = io_mem + IO_BASE + half + dst_off;
	struct dmabuf_map s = DMABUF_MAP_INIT_VADDR_IOMEM(io_mem + IO_BASE);
	struct dmabuf_map d = DMABUF_MAP_INIT_VADDR_IOMEM(io_mem + IO_BASE + half);
	size_t n16 = 0, i;

	check_widest = false;
	reset();
	dmabuf_map_copy(&d, dst_off, &s, src_off, len);
	if (!check_trace_basics(len, DMABUF_IO_FENCE_WRITE))
		return false;
	/* check_range() on each side sees the other side's events as wrong
	 * direction, so split the trace by address first. */
	static struct access saved[MAX_EVENTS];
	size_t n = n_events, nr = 0, nw = 0;

	memcpy(saved, events, n * sizeof(events[0]));
	for (i = 0; i < n; i++)
		if (saved[i].dir == DMABUF_IO_READ || saved[i].dir == DMABUF_IO_FENCE_READ)
			events[nr++] = saved[i];
	if (!check_range(0, nr, DMABUF_IO_READ, (uintptr_t)src, len, streaming, &n16))
		return false;
	for (i = 0; i < n; i++)
		if (saved[i].dir == DMABUF_IO_WRITE || saved[i].dir == DMABUF_IO_FENCE_WRITE)
			events[nw++] = saved[i];
	if (!check_range(0, nw, DMABUF_IO_WRITE, (uintptr_t)dst, len, false, NULL))
		return false;
	if (streaming && len >= 64 && !n16)
		return flunk("a long I/O to I/O copy took no streaming loads");
	/* the bounce buffer holds at most IO_BOUNCE_SIZE (4096) bytes: no
	 * write may come before the read of the same data, and no read may
	 * run more than a bounce buffer ahead of the writes */
	{
		uintptr_t written = 0; /* bytes of dst written so far */
		uintptr_t read_hi = 0; /* bytes of src read so far (highest end) */

		for (i = 0; i < n; i++) {
			const struct access *e = &saved[i];

			if (e->dir == DMABUF_IO_READ) {
				uintptr_t end = e->addr + e->width - (uintptr_t)src;

				if (end > read_hi)
					read_hi = end;
				if (read_hi > written + 4096)
					return flunk("read %zu bytes ahead of the writes",
						     (size_t)(read_hi - written));
			} else if (e->dir == DMABUF_IO_WRITE) {
				uintptr_t end = e->addr + e->width - (uintptr_t)dst;

				if (end > read_hi)
					return flunk("wrote dst+%zu before reading it",
						     (size_t)end);
				if (end > written)
					written = end;
			}
		}
	}
	return check_bytes("io", io_mem, io_ref, io_window, IO_BASE + half + dst_off, len,
			   io_ref + IO_BASE + src_off, 0);
}

START_TEST(test_copy_io_to_io)
{
	static const size_t lens[] = { 0,   1,	  7,	8,    15,   16,	  17,	63,  64,
				       100, 4079, 4080, 4095, 4096, 4097, 8192, 9001 };
	bool streaming = _i;

	dmabuf_io_set_streaming_load(streaming);
	for (size_t l = 0; l < sizeof(lens) / sizeof(lens[0]); l++)
		for (size_t so = 0; so < 32; so++)
			for (size_t dof = 0; dof < 32; dof += (lens[l] > 200 ? 5 : 1))
				if (!run_copy_io_io(so, dof, lens[l], streaming))
					ck_abort_msg("copy len %zu src off %zu dst off %zu "
						     "streaming %d: %s",
						     lens[l], so, dof, streaming, failmsg);
}
END_TEST

/* System to I/O and back through dmabuf_map_copy: the shim's paths. */
START_TEST(test_copy_mixed)
{
	struct dmabuf_map io = DMABUF_MAP_INIT_VADDR_IOMEM(io_mem + IO_BASE);
	struct dmabuf_map sys = DMABUF_MAP_INIT_VADDR(sys_mem + SYS_BASE);
	size_t n16;

	io_window = SWEEP_WINDOW;
	sys_window = 8192;
	for (size_t off = 0; off < 24; off++)
		for (size_t len = 0; len < 80; len++) {
			reset();
			dmabuf_map_copy(&io, off, &sys, off + 1, len);
			if (!check_trace_basics(len, DMABUF_IO_FENCE_WRITE) ||
			    !check_range(0, n_events, DMABUF_IO_WRITE,
					 (uintptr_t)io_mem + IO_BASE + off, len, false, NULL) ||
			    !check_bytes("io", io_mem, io_ref, io_window, IO_BASE + off, len,
					 sys_ref + SYS_BASE + off + 1, 0))
				ck_abort_msg("sys->io off %zu len %zu: %s", off, len, failmsg);

			reset();
			dmabuf_map_copy(&sys, off + 3, &io, off, len);
			if (!check_trace_basics(len, DMABUF_IO_FENCE_READ) ||
			    !check_range(0, n_events, DMABUF_IO_READ,
					 (uintptr_t)io_mem + IO_BASE + off, len, true, &n16) ||
			    !check_bytes("sys", sys_mem, sys_ref, sys_window, SYS_BASE + off + 3,
					 len, io_ref + IO_BASE + off, 0))
				ck_abort_msg("io->sys off %zu len %zu: %s", off, len, failmsg);

			/* system to system never reaches the shim */
			reset();
			dmabuf_map_copy(&sys, off, &sys, 4096 + off, len);
			if (n_events)
				ck_abort_msg("sys->sys made %zu I/O accesses", n_events);
		}
}
END_TEST

/* ------------------------------------------------------------ map verbs */

/* The verbs of map.h on an I/O map reach the I/O side only through the
 * shim, with exactly the bytes they name: a rd_u16 is one 2-byte access (or
 * aligned pieces of those 2 bytes), not a 4-byte read cut down. */
struct rec {
	uint16_t a;
	uint8_t b;
	uint32_t c;
	uint64_t d;
};

static bool verb_range(size_t off, size_t len, enum dmabuf_io_dir dir)
{
	if (!check_trace_basics(len, dir == DMABUF_IO_READ ? DMABUF_IO_FENCE_READ :
							     DMABUF_IO_FENCE_WRITE))
		return false;
	return check_range(0, n_events, dir, (uintptr_t)io_mem + IO_BASE + off, len, false, NULL);
}

#define VERB(expr, off, len, dir, what)                                                       \
	do {                                                                                  \
		reset();                                                                      \
		expr;                                                                         \
		if (!verb_range((off), (len), (dir)))                                         \
			ck_abort_msg("%s at offset %zu: %s", (what), (size_t)(off), failmsg); \
	} while (0)

START_TEST(test_map_verbs)
{
	struct dmabuf_map m = DMABUF_MAP_INIT_VADDR_IOMEM(io_mem + IO_BASE);
	const enum dmabuf_io_dir R = DMABUF_IO_READ, W = DMABUF_IO_WRITE;
	unsigned char tmp[64];
	volatile uint64_t sink = 0;

	io_window = sys_window = SWEEP_WINDOW;
	dmabuf_io_set_streaming_load(false);
	for (size_t off = 0; off < 24; off++) {
		VERB(sink += dmabuf_map_rd_u8(&m, off), off, 1, R, "rd_u8");
		VERB(sink += dmabuf_map_rd_u16(&m, off), off, 2, R, "rd_u16");
		VERB(sink += dmabuf_map_rd_u32(&m, off), off, 4, R, "rd_u32");
		VERB(sink += dmabuf_map_rd_u64(&m, off), off, 8, R, "rd_u64");
		VERB(dmabuf_map_wr_u8(&m, off, 1), off, 1, W, "wr_u8");
		VERB(dmabuf_map_wr_u16(&m, off, 2), off, 2, W, "wr_u16");
		VERB(dmabuf_map_wr_u32(&m, off, 3), off, 4, W, "wr_u32");
		VERB(dmabuf_map_wr_u64(&m, off, 4), off, 8, W, "wr_u64");
		VERB(sink += dmabuf_map_rd(&m, off, uint16_t), off, 2, R, "rd(uint16_t)");
		VERB(sink += dmabuf_map_rd(&m, off, uint64_t), off, 8, R, "rd(uint64_t)");
		VERB(dmabuf_map_wr(&m, off, uint32_t, 5), off, 4, W, "wr(uint32_t)");
		VERB(dmabuf_map_wr(&m, off, int8_t, -1), off, 1, W, "wr(int8_t)");
		VERB(sink += dmabuf_map_rd_field(&m, off, struct rec, b),
		     off + offsetof(struct rec, b), 1, R, "rd_field(b)");
		VERB(sink += dmabuf_map_rd_field(&m, off, struct rec, d),
		     off + offsetof(struct rec, d), 8, R, "rd_field(d)");
		VERB(dmabuf_map_wr_field(&m, off, struct rec, a, 6), off + offsetof(struct rec, a),
		     2, W, "wr_field(a)");
		VERB(dmabuf_map_wr_field(&m, off, struct rec, c, 7), off + offsetof(struct rec, c),
		     4, W, "wr_field(c)");
		VERB(dmabuf_map_memcpy_from(tmp, &m, off, 37), off, 37, R, "memcpy_from");
		VERB(dmabuf_map_memcpy_to(&m, off, tmp, 37), off, 37, W, "memcpy_to");
		VERB(dmabuf_map_memset(&m, off, 9, 37), off, 37, W, "memset");
	}
	(void)sink;

	/* and a verb on a system map never reaches the shim */
	struct dmabuf_map sys = DMABUF_MAP_INIT_VADDR(sys_mem + SYS_BASE);

	reset();
	sink += dmabuf_map_rd_u64(&sys, 3);
	dmabuf_map_wr_u32(&sys, 5, 1);
	dmabuf_map_memcpy_to(&sys, 0, tmp, 40);
	dmabuf_map_memcpy_from(tmp, &sys, 1, 40);
	dmabuf_map_memset(&sys, 2, 0, 40);
	ck_assert_uint_eq(n_events, 0);
}
END_TEST

/* ------------------------------------------------------------ switch */

START_TEST(test_streaming_switch)
{
	/* the trace build has the path on any CPU, on by default (a fresh
	 * process only: CK_FORK=no runs every test in one) */
	ck_assert(dmabuf_io_streaming_load_available());
	if (!getenv("CK_FORK") || strcmp(getenv("CK_FORK"), "no"))
		ck_assert(dmabuf_io_streaming_load_enabled());
	dmabuf_io_set_streaming_load(false);
	ck_assert(!dmabuf_io_streaming_load_enabled());

	/* and off means off: an aligned copy takes no 16-byte load */
	reset();
	dmabuf_memcpy_fromio(sys_mem + SYS_BASE, io_mem + IO_BASE, 256);
	for (size_t i = 0; i < n_events; i++)
		ck_assert_uint_le(events[i].width, 8);

	dmabuf_io_set_streaming_load(true);
	ck_assert(dmabuf_io_streaming_load_enabled());
	reset();
	dmabuf_memcpy_fromio(sys_mem + SYS_BASE, io_mem + IO_BASE, 256);
	ck_assert_uint_eq(n_events, 256 / 16 + 1);
	ck_assert_uint_eq(events[0].width, 16);
}
END_TEST

static Suite *shim_trace_suite(void)
{
	Suite *s = suite_create("shim-trace");
	TCase *tc;

	/* The sweeps take a few seconds each at -O2; leave room for -O0 and
	 * sanitizer builds whatever CK_DEFAULT_TIMEOUT says. */
	tc = tcase_create("fromio");
	tcase_set_timeout(tc, 120);
	tcase_add_checked_fixture(tc, setup_memory, NULL);
	tcase_add_test(tc, test_fromio_plain);
	tcase_add_test(tc, test_fromio_streaming);
	tcase_add_loop_test(tc, test_fromio_long, 0, 2);
	suite_add_tcase(s, tc);

	tc = tcase_create("toio");
	tcase_set_timeout(tc, 120);
	tcase_add_checked_fixture(tc, setup_memory, NULL);
	tcase_add_test(tc, test_toio_plain);
	tcase_add_test(tc, test_toio_streaming_on);
	suite_add_tcase(s, tc);

	tc = tcase_create("memset_io");
	tcase_set_timeout(tc, 120);
	tcase_add_checked_fixture(tc, setup_memory, NULL);
	tcase_add_test(tc, test_memset_plain);
	tcase_add_test(tc, test_memset_streaming_on);
	suite_add_tcase(s, tc);

	tc = tcase_create("fixed-width");
	tcase_add_checked_fixture(tc, setup_memory, NULL);
	tcase_add_test(tc, test_fixed_width);
	suite_add_tcase(s, tc);

	tc = tcase_create("map-copy");
	tcase_set_timeout(tc, 120);
	tcase_add_checked_fixture(tc, setup_memory, NULL);
	tcase_add_loop_test(tc, test_copy_io_to_io, 0, 2);
	tcase_add_test(tc, test_copy_mixed);
	suite_add_tcase(s, tc);

	tc = tcase_create("map-verbs");
	tcase_add_checked_fixture(tc, setup_memory, NULL);
	tcase_add_test(tc, test_map_verbs);
	suite_add_tcase(s, tc);

	tc = tcase_create("streaming-switch");
	tcase_add_checked_fixture(tc, setup_memory, NULL);
	tcase_add_test(tc, test_streaming_switch);
	suite_add_tcase(s, tc);

	return s;
}

TESTSUITE_MAIN(shim_trace_suite);
