/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The raw accesses of the I/O accessor shim (io.c). Every load and store the
 * shim makes to I/O memory, and every fence, goes through a macro here, so
 * that io.c can be compiled a second time with -DDMABUF_IO_TRACE: then each
 * access is handed to dmabuf_io_trace(), which a test defines to record
 * (address, width, direction), perform the access, and later prove what the
 * shim promises (aligned, fixed-width, in range, each byte once) rather than
 * only that the copied bytes came out right.
 *
 * The system-memory side of a copy is not traced: it is ordinary memory.
 */
#pragma once

#include <stdint.h>
#include <string.h>

enum dmabuf_io_dir {
	DMABUF_IO_READ,
	DMABUF_IO_WRITE,
	DMABUF_IO_FENCE_READ,  /* orders the I/O reads before it, addr NULL */
	DMABUF_IO_FENCE_WRITE, /* orders and flushes the I/O writes before it */
};

#ifdef DMABUF_IO_TRACE

/*
 * Defined by the test. For DMABUF_IO_READ it must load width bytes at addr
 * into *val, for DMABUF_IO_WRITE store width bytes of *val at addr. width
 * is 1, 2, 4, 8, or 16 (a streaming load), 0 for fences.
 */
void dmabuf_io_trace(enum dmabuf_io_dir dir, const volatile void *addr, unsigned int width,
		     void *val);

#define DMABUF_IO_RD_(bits, addr)                                         \
	({                                                                \
		uint##bits##_t v_;                                        \
		dmabuf_io_trace(DMABUF_IO_READ, (addr), (bits) / 8, &v_); \
		v_;                                                       \
	})
#define DMABUF_IO_WR_(bits, addr, val)                                     \
	do {                                                               \
		uint##bits##_t v_ = (val);                                 \
		dmabuf_io_trace(DMABUF_IO_WRITE, (addr), (bits) / 8, &v_); \
	} while (0)

#define io_read8(a) DMABUF_IO_RD_(8, a)
#define io_read16(a) DMABUF_IO_RD_(16, a)
#define io_read32(a) DMABUF_IO_RD_(32, a)
#define io_read64(a) DMABUF_IO_RD_(64, a)
#define io_write8(a, v) DMABUF_IO_WR_(8, a, v)
#define io_write16(a, v) DMABUF_IO_WR_(16, a, v)
#define io_write32(a, v) DMABUF_IO_WR_(32, a, v)
#define io_write64(a, v) DMABUF_IO_WR_(64, a, v)

/* 16 bytes from 16-byte-aligned I/O memory to 16-byte-aligned dst. */
#define io_stream_load16(dst, src) dmabuf_io_trace(DMABUF_IO_READ, (src), 16, (dst))

#define io_rmb() dmabuf_io_trace(DMABUF_IO_FENCE_READ, NULL, 0, NULL)
#define io_wmb() dmabuf_io_trace(DMABUF_IO_FENCE_WRITE, NULL, 0, NULL)
#define io_stream_fence() io_rmb()

/* The streaming path is compiled without the CPU feature, so that the tests
 * can take both paths on any machine. */
#define DMABUF_IO_HAVE_STREAM 1
#define DMABUF_IO_STREAM_TARGET
#define DMABUF_IO_STREAM_CPU_OK() 1

#else /* !DMABUF_IO_TRACE */

/* may_alias: the I/O memory is only ever seen as bytes by everyone else. */
typedef uint8_t __attribute__((may_alias)) dmabuf_io_u8;
typedef uint16_t __attribute__((may_alias)) dmabuf_io_u16;
typedef uint32_t __attribute__((may_alias)) dmabuf_io_u32;
typedef uint64_t __attribute__((may_alias)) dmabuf_io_u64;

#define io_read8(a) (*(const volatile dmabuf_io_u8 *)(a))
#define io_read16(a) (*(const volatile dmabuf_io_u16 *)(a))
#define io_read32(a) (*(const volatile dmabuf_io_u32 *)(a))
#define io_read64(a) (*(const volatile dmabuf_io_u64 *)(a))
#define io_write8(a, v) (*(volatile dmabuf_io_u8 *)(a) = (v))
#define io_write16(a, v) (*(volatile dmabuf_io_u16 *)(a) = (v))
#define io_write32(a, v) (*(volatile dmabuf_io_u32 *)(a) = (v))
#define io_write64(a, v) (*(volatile dmabuf_io_u64 *)(a) = (v))

#if defined(__x86_64__)
#include <immintrin.h>

/*
 * x86 keeps loads and stores to UC memory in program order, but WC memory
 * is weakly ordered: stores sit in write-combining buffers until an sfence
 * (the kernel's wmb()), loads may be speculative and are ordered against
 * later ones only by an lfence (rmb()), and streaming loads are weakly
 * ordered against everything (mfence, as the SDM asks for MOVNTDQA). One
 * fence per call costs nothing next to the uncached accesses it follows.
 */
#define io_rmb() _mm_lfence()
#define io_wmb() _mm_sfence()
#define io_stream_fence() _mm_mfence()

#define DMABUF_IO_HAVE_STREAM 1
#define DMABUF_IO_STREAM_TARGET __attribute__((target("sse4.1")))
#define DMABUF_IO_STREAM_CPU_OK() __builtin_cpu_supports("sse4.1")
/* Only valid inside a DMABUF_IO_STREAM_TARGET function. */
#define io_stream_load16(dst, src) \
	_mm_store_si128((__m128i *)(dst), _mm_stream_load_si128((__m128i *)(uintptr_t)(src)))

#else
/* Elsewhere (32-bit x86 included, which need not have SSE) a full fence:
 * the shim does not know the memory type, and the compiler's fence is the
 * strongest portable one. */
#define io_rmb() __atomic_thread_fence(__ATOMIC_SEQ_CST)
#define io_wmb() __atomic_thread_fence(__ATOMIC_SEQ_CST)
#define io_stream_fence() io_rmb()
#define DMABUF_IO_HAVE_STREAM 0
#endif

#endif /* DMABUF_IO_TRACE */
