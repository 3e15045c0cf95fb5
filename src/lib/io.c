/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The I/O accessor shim: how libdmabuffs touches a dma-buf mapping that is
 * I/O memory (VRAM behind a PCI BAR, an uncached or write-combined
 * aperture). Such memory may fault on an unaligned or vector access, may
 * tear or repeat on a wide one, and may not be read or written more than
 * the caller asked. So, like the kernel's memcpy_fromio()/memcpy_toio()/
 * memset_io():
 *
 *  - every access is a volatile load or store of 1, 2, 4 or 8 bytes at an
 *    address aligned to its width: the widest that fits up to the I/O
 *    side's 8-byte alignment, then 8-byte words, then the tail;
 *  - every byte of [addr, addr + len) is accessed exactly once, and no byte
 *    outside it;
 *  - the system-memory side may have any alignment (it is copied through a
 *    register with memcpy, which is fine for ordinary memory);
 *  - a call ends with the fence the architecture needs (io-access.h).
 *
 * Reads may instead use 16-byte streaming loads (x86 SSE4.1 movntdqa) for
 * the part where both sides are 16-byte aligned, as the kernel's
 * drm_memcpy_from_wc() does: on write-combined memory they fetch whole
 * lines instead of doing uncached reads word by word.
 *
 * All raw accesses are macros from io-access.h, so that this file can be
 * compiled again with -DDMABUF_IO_TRACE for tests/unit/test-shim-trace.c.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "dmabuffs/map.h"
#include "lib/io-access.h"
#include "shared/macro.h"

/* The bounce buffer of an I/O to I/O copy: bounded, on the stack. */
#define IO_BOUNCE_SIZE 4096

typedef const volatile char *io_src_t;
typedef volatile char *io_dst_t;

/* One access, the widest naturally aligned one at s that fits in len. */
static inline size_t fromio_one(char *d, io_src_t s, size_t len)
{
	uintptr_t a = (uintptr_t)s;

	if (!(a & 7) && len >= 8) {
		uint64_t v = io_read64(s);
		memcpy(d, &v, 8);
		return 8;
	}
	if (!(a & 3) && len >= 4) {
		uint32_t v = io_read32(s);
		memcpy(d, &v, 4);
		return 4;
	}
	if (!(a & 1) && len >= 2) {
		uint16_t v = io_read16(s);
		memcpy(d, &v, 2);
		return 2;
	}
	*d = (char)io_read8(s);
	return 1;
}

static void fromio_plain(char *d, io_src_t s, size_t len)
{
	size_t w;

	while (len && ((uintptr_t)s & 7)) {
		w = fromio_one(d, s, len);
		d += w, s += w, len -= w;
	}
	for (; len >= 8; d += 8, s += 8, len -= 8) {
		uint64_t v = io_read64(s);
		memcpy(d, &v, 8);
	}
	while (len) {
		w = fromio_one(d, s, len);
		d += w, s += w, len -= w;
	}
}

static inline size_t toio_one(io_dst_t d, const char *s, size_t len)
{
	uintptr_t a = (uintptr_t)d;

	if (!(a & 7) && len >= 8) {
		uint64_t v;
		memcpy(&v, s, 8);
		io_write64(d, v);
		return 8;
	}
	if (!(a & 3) && len >= 4) {
		uint32_t v;
		memcpy(&v, s, 4);
		io_write32(d, v);
		return 4;
	}
	if (!(a & 1) && len >= 2) {
		uint16_t v;
		memcpy(&v, s, 2);
		io_write16(d, v);
		return 2;
	}
	io_write8(d, (uint8_t)*s);
	return 1;
}

static void toio_plain(io_dst_t d, const char *s, size_t len)
{
	size_t w;

	while (len && ((uintptr_t)d & 7)) {
		w = toio_one(d, s, len);
		d += w, s += w, len -= w;
	}
	for (; len >= 8; d += 8, s += 8, len -= 8) {
		uint64_t v;
		memcpy(&v, s, 8);
		io_write64(d, v);
	}
	while (len) {
		w = toio_one(d, s, len);
		d += w, s += w, len -= w;
	}
}

/* ---------------------------------------------------------- streaming */

/* -1 until the first use decides from the CPU; then 0 or 1. */
static int stream_state = -1;

static bool stream_cpu_ok(void)
{
#if DMABUF_IO_HAVE_STREAM
#if defined(__x86_64__) && !defined(DMABUF_IO_TRACE)
	/* Needed when called before libgcc's constructor, e.g. from another
	 * library's constructor. */
	__builtin_cpu_init();
#endif
	return DMABUF_IO_STREAM_CPU_OK();
#else
	return false;
#endif
}

static bool stream_enabled(void)
{
	int s = __atomic_load_n(&stream_state, __ATOMIC_RELAXED);

	if (_unlikely_(s < 0)) {
		int want = stream_cpu_ok();

		/* A concurrent dmabuf_io_set_streaming_load() wins. */
		if (__atomic_compare_exchange_n(&stream_state, &s, want, false, __ATOMIC_RELAXED,
						__ATOMIC_RELAXED))
			s = want;
	}
	return s > 0;
}

_public_ bool dmabuf_io_streaming_load_available(void)
{
	return stream_cpu_ok();
}

_public_ bool dmabuf_io_streaming_load_enabled(void)
{
	return stream_enabled();
}

_public_ void dmabuf_io_set_streaming_load(bool enable)
{
	__atomic_store_n(&stream_state, enable && stream_cpu_ok(), __ATOMIC_RELAXED);
}

#if DMABUF_IO_HAVE_STREAM
/* d and s 16-byte aligned, len a multiple of 16. Four loads per round keep
 * several line fetches in flight, as in the kernel's __memcpy_ntdqa16(). */
DMABUF_IO_STREAM_TARGET
static void fromio_stream(char *d, io_src_t s, size_t len)
{
	for (; len >= 64; d += 64, s += 64, len -= 64) {
		io_stream_load16(d, s);
		io_stream_load16(d + 16, s + 16);
		io_stream_load16(d + 32, s + 32);
		io_stream_load16(d + 48, s + 48);
	}
	for (; len; d += 16, s += 16, len -= 16)
		io_stream_load16(d, s);
}

/* The streaming path when both sides can reach 16-byte alignment together
 * and at least one 16-byte block lies between; false to take the plain
 * path for all of it. */
static bool fromio_try_stream(char *d, io_src_t s, size_t len)
{
	size_t head, bulk;

	if (len < 16 || (((uintptr_t)d ^ (uintptr_t)s) & 15) || !stream_enabled())
		return false;
	head = -(uintptr_t)s & 15;
	if (len - head < 16)
		return false;
	bulk = (len - head) & ~(size_t)15;

	fromio_plain(d, s, head);
	fromio_stream(d + head, s + head, bulk);
	fromio_plain(d + head + bulk, s + head + bulk, len - head - bulk);
	io_stream_fence();
	return true;
}
#else
static bool fromio_try_stream(char *d, io_src_t s, size_t len)
{
	(void)d, (void)s, (void)len;
	return false;
}
#endif

/* ---------------------------------------------------------- copies */

static void copy_fromio(char *d, io_src_t s, size_t len)
{
	if (!len)
		return;
	if (fromio_try_stream(d, s, len))
		return;
	fromio_plain(d, s, len);
	io_rmb();
}

static void copy_toio(io_dst_t d, const char *s, size_t len)
{
	if (!len)
		return;
	toio_plain(d, s, len);
	io_wmb();
}

_public_ void dmabuf_memcpy_fromio(void *dst, const volatile void *src, size_t len)
{
	copy_fromio(dst, src, len);
}

_public_ void dmabuf_memcpy_toio(volatile void *dst, const void *src, size_t len)
{
	copy_toio(dst, src, len);
}

_public_ void dmabuf_memset_io(volatile void *dst, int c, size_t len)
{
	uint64_t pattern = 0x0101010101010101ull * (uint8_t)c;
	io_dst_t d = dst;

	if (!len)
		return;
	while (len && ((uintptr_t)d & 7)) {
		size_t w = toio_one(d, (const char *)&pattern, len);
		d += w, len -= w;
	}
	for (; len >= 8; d += 8, len -= 8)
		io_write64(d, pattern);
	while (len) {
		size_t w = toio_one(d, (const char *)&pattern, len);
		d += w, len -= w;
	}
	io_wmb();
}

/* ---------------------------------------------------------- fixed width */

/* One access when aligned, as readl() is; split into aligned pieces when
 * not, instead of issuing the unaligned access readl() would. */
#define DEFINE_READ(name, type, bits)                                  \
	_public_ type name(const volatile void *addr)                  \
	{                                                              \
		type v;                                                \
		if (_likely_(!((uintptr_t)addr & (sizeof(type) - 1)))) \
			v = io_read##bits(addr);                       \
		else                                                   \
			fromio_plain((char *)&v, addr, sizeof(v));     \
		io_rmb();                                              \
		return v;                                              \
	}

#define DEFINE_WRITE(name, type, bits)                                     \
	_public_ void name(volatile void *addr, type val)                  \
	{                                                                  \
		if (_likely_(!((uintptr_t)addr & (sizeof(type) - 1))))     \
			io_write##bits(addr, val);                         \
		else                                                       \
			toio_plain(addr, (const char *)&val, sizeof(val)); \
		io_wmb();                                                  \
	}

DEFINE_READ(dmabuf_readb, uint8_t, 8)
DEFINE_READ(dmabuf_readw, uint16_t, 16)
DEFINE_READ(dmabuf_readl, uint32_t, 32)
DEFINE_READ(dmabuf_readq, uint64_t, 64)
DEFINE_WRITE(dmabuf_writeb, uint8_t, 8)
DEFINE_WRITE(dmabuf_writew, uint16_t, 16)
DEFINE_WRITE(dmabuf_writel, uint32_t, 32)
DEFINE_WRITE(dmabuf_writeq, uint64_t, 64)

/* ---------------------------------------------------------- map to map */

_public_ void dmabuf_map_copy(struct dmabuf_map *dst, size_t dst_offset,
			      const struct dmabuf_map *src, size_t src_offset, size_t len)
{
	io_src_t s;
	io_dst_t d;

	if (!src->is_iomem) {
		dmabuf_map_memcpy_to(dst, dst_offset, (const char *)src->vaddr + src_offset, len);
		return;
	}
	s = (io_src_t)src->vaddr_iomem + src_offset;
	if (!dst->is_iomem) {
		copy_fromio((char *)dst->vaddr + dst_offset, s, len);
		return;
	}

	/*
	 * I/O to I/O: through the CPU, a bounded piece at a time. The piece
	 * starts in the bounce buffer at the source's 16-byte phase and the
	 * first piece ends at a 16-byte-aligned source address, so that the
	 * reads, the slow side, can take the streaming path.
	 */
	_Alignas(64) char bounce[IO_BOUNCE_SIZE];
	d = (io_dst_t)dst->vaddr_iomem + dst_offset;
	while (len) {
		size_t phase = (uintptr_t)s & 15;
		size_t n = MIN(len, IO_BOUNCE_SIZE - phase);

		copy_fromio(bounce + phase, s, n);
		copy_toio(d, bounce + phase, n);
		s += n, d += n, len -= n;
	}
}
