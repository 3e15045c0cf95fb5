/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * struct dmabuf_map: a pointer into a dma-buf mapping, and how it may be
 * touched. The userspace counterpart of the kernel's struct iosys_map
 * (formerly struct dma_buf_map, include/linux/iosys-map.h).
 *
 * A CPU mapping of a dma-buf is either ordinary system memory, which may be
 * accessed with plain loads and stores (memcpy), or I/O memory (a PCI BAR,
 * VRAM, an uncached or write-combined aperture), where unaligned, vector or
 * repeated accesses can fault, tear, or have side effects. The map records
 * which one it is, and every verb below branches once on that flag: system
 * memory goes through memcpy/memset, I/O memory through the I/O accessor
 * shim (dmabuf_memcpy_fromio() and friends), which only ever issues
 * naturally aligned, fixed-width (8/4/2/1 byte) volatile accesses inside
 * the requested range, each byte once, followed by the fences the
 * architecture needs.
 *
 * Callers never read or write the fields themselves; they set a map up once
 * and use the verbs:
 *
 *	#include <dmabuffs/map.h>
 *
 *	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
 *	struct dmabuf_map map;
 *
 *	if (buffer_is_in_vram)
 *		dmabuf_map_set_vaddr_iomem(&map, p);
 *	else
 *		dmabuf_map_set_vaddr(&map, p);
 *
 *	dmabuf_map_memcpy_to(&map, 0, pixels, stride * height);
 *	dmabuf_map_wr(&map, 64, uint32_t, 0xff00ff00);
 *	uint64_t seq = dmabuf_map_rd(&map, 128, uint64_t);
 *
 *	struct hdr { uint32_t magic; uint32_t len; };
 *	uint32_t len = dmabuf_map_rd_field(&map, 0, struct hdr, len);
 *
 *	// a map into the middle of the buffer, the original is unchanged
 *	struct dmabuf_map row = DMABUF_MAP_INIT_OFFSET(&map, y * stride);
 *
 * Link with `pkg-config --libs libdmabuffs`. The byte order of rd/wr is the
 * CPU's, for both kinds of memory, so the same code reads the same values
 * whichever kind the buffer turns out to be.
 *
 * Bounds are the caller's business, as in the kernel: no verb knows the
 * size of the mapping.
 */
#ifndef DMABUFFS_MAP_H
#define DMABUFFS_MAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The I/O accessor shim. Each function accesses exactly the bytes of
 * [addr, addr + len) on the I/O side, each byte once, with naturally aligned
 * volatile loads/stores of at most 8 bytes (16 on the streaming-load read
 * path), and ends with the fence the architecture needs. The fixed-width
 * accessors are one access when addr is naturally aligned; a misaligned
 * addr is split into aligned pieces rather than issued unaligned. The value
 * is in CPU byte order. */
void dmabuf_memcpy_fromio(void *dst, const volatile void *src, size_t len);
void dmabuf_memcpy_toio(volatile void *dst, const void *src, size_t len);
void dmabuf_memset_io(volatile void *dst, int c, size_t len);
uint8_t dmabuf_readb(const volatile void *addr);
uint16_t dmabuf_readw(const volatile void *addr);
uint32_t dmabuf_readl(const volatile void *addr);
uint64_t dmabuf_readq(const volatile void *addr);
void dmabuf_writeb(volatile void *addr, uint8_t val);
void dmabuf_writew(volatile void *addr, uint16_t val);
void dmabuf_writel(volatile void *addr, uint32_t val);
void dmabuf_writeq(volatile void *addr, uint64_t val);

/* Streaming loads (x86 SSE4.1 movntdqa, as the kernel's drm_memcpy_from_wc)
 * make reads of write-combined memory many times faster. They are used by
 * dmabuf_memcpy_fromio() for the part where both sides are 16-byte aligned,
 * when the CPU has them and they are enabled (the default). Turning them off
 * is for benchmarks and tests; enabling them without CPU support is a
 * no-op. */
bool dmabuf_io_streaming_load_available(void);
bool dmabuf_io_streaming_load_enabled(void);
void dmabuf_io_set_streaming_load(bool enable);

struct dmabuf_map {
	union {
		volatile void *vaddr_iomem;
		void *vaddr;
	};
	bool is_iomem;
};

/* Static initializers, e.g. struct dmabuf_map m = DMABUF_MAP_INIT_VADDR(p); */
#define DMABUF_MAP_INIT_VADDR(vaddr_) \
	{ { .vaddr = (vaddr_) }, false }

#define DMABUF_MAP_INIT_VADDR_IOMEM(vaddr_iomem_) \
	{ { .vaddr_iomem = (vaddr_iomem_) }, true }

static inline void dmabuf_map_incr(struct dmabuf_map *map, size_t incr);

/* A copy of *map_ advanced by offset_ bytes; *map_ is unchanged. For
 * handing a sub-range of a buffer to code that takes a map:
 *	struct dmabuf_map plane1 = DMABUF_MAP_INIT_OFFSET(&map, plane_offset);
 */
#define DMABUF_MAP_INIT_OFFSET(map_, offset_)                    \
	__extension__({                                          \
		struct dmabuf_map dmabuf_copy_ = *(map_);        \
		dmabuf_map_incr(&dmabuf_copy_, (offset_));       \
		dmabuf_copy_;                                    \
	})

static inline void dmabuf_map_set_vaddr(struct dmabuf_map *map, void *vaddr)
{
	map->vaddr = vaddr;
	map->is_iomem = false;
}

static inline void dmabuf_map_set_vaddr_iomem(struct dmabuf_map *map,
					      volatile void *vaddr_iomem)
{
	map->vaddr_iomem = vaddr_iomem;
	map->is_iomem = true;
}

/* Two maps are equal when they point at the same address of the same kind
 * of memory. */
static inline bool dmabuf_map_is_equal(const struct dmabuf_map *lhs,
				       const struct dmabuf_map *rhs)
{
	if (lhs->is_iomem != rhs->is_iomem)
		return false;
	if (lhs->is_iomem)
		return lhs->vaddr_iomem == rhs->vaddr_iomem;
	return lhs->vaddr == rhs->vaddr;
}

static inline bool dmabuf_map_is_null(const struct dmabuf_map *map)
{
	if (map->is_iomem)
		return !map->vaddr_iomem;
	return !map->vaddr;
}

static inline bool dmabuf_map_is_set(const struct dmabuf_map *map)
{
	return !dmabuf_map_is_null(map);
}

/* Back to the state of a zeroed map: NULL, system memory. */
static inline void dmabuf_map_clear(struct dmabuf_map *map)
{
	if (map->is_iomem) {
		map->vaddr_iomem = NULL;
		map->is_iomem = false;
	} else {
		map->vaddr = NULL;
	}
}

static inline void dmabuf_map_incr(struct dmabuf_map *map, size_t incr)
{
	if (map->is_iomem)
		map->vaddr_iomem = (volatile char *)map->vaddr_iomem + incr;
	else
		map->vaddr = (char *)map->vaddr + incr;
}

/* len bytes from src to the mapping at dst_offset. */
static inline void dmabuf_map_memcpy_to(struct dmabuf_map *dst, size_t dst_offset,
					const void *src, size_t len)
{
	if (dst->is_iomem)
		dmabuf_memcpy_toio((volatile char *)dst->vaddr_iomem + dst_offset,
				   src, len);
	else
		memcpy((char *)dst->vaddr + dst_offset, src, len);
}

/* len bytes from the mapping at src_offset to dst. */
static inline void dmabuf_map_memcpy_from(void *dst, const struct dmabuf_map *src,
					  size_t src_offset, size_t len)
{
	if (src->is_iomem)
		dmabuf_memcpy_fromio(dst,
				     (const volatile char *)src->vaddr_iomem + src_offset,
				     len);
	else
		memcpy(dst, (const char *)src->vaddr + src_offset, len);
}

static inline void dmabuf_map_memset(struct dmabuf_map *dst, size_t offset,
				     int value, size_t len)
{
	if (dst->is_iomem)
		dmabuf_memset_io((volatile char *)dst->vaddr_iomem + offset, value,
				 len);
	else
		memset((char *)dst->vaddr + offset, value, len);
}

/* Fixed-width reads and writes: one access on I/O memory when the address
 * is naturally aligned. System memory may be unaligned. */
static inline uint8_t dmabuf_map_rd_u8(const struct dmabuf_map *map, size_t offset)
{
	if (map->is_iomem)
		return dmabuf_readb((const volatile char *)map->vaddr_iomem + offset);
	return *((const uint8_t *)map->vaddr + offset);
}

static inline uint16_t dmabuf_map_rd_u16(const struct dmabuf_map *map, size_t offset)
{
	uint16_t v;

	if (map->is_iomem)
		return dmabuf_readw((const volatile char *)map->vaddr_iomem + offset);
	memcpy(&v, (const char *)map->vaddr + offset, sizeof(v));
	return v;
}

static inline uint32_t dmabuf_map_rd_u32(const struct dmabuf_map *map, size_t offset)
{
	uint32_t v;

	if (map->is_iomem)
		return dmabuf_readl((const volatile char *)map->vaddr_iomem + offset);
	memcpy(&v, (const char *)map->vaddr + offset, sizeof(v));
	return v;
}

static inline uint64_t dmabuf_map_rd_u64(const struct dmabuf_map *map, size_t offset)
{
	uint64_t v;

	if (map->is_iomem)
		return dmabuf_readq((const volatile char *)map->vaddr_iomem + offset);
	memcpy(&v, (const char *)map->vaddr + offset, sizeof(v));
	return v;
}

static inline void dmabuf_map_wr_u8(struct dmabuf_map *map, size_t offset, uint8_t val)
{
	if (map->is_iomem)
		dmabuf_writeb((volatile char *)map->vaddr_iomem + offset, val);
	else
		*((uint8_t *)map->vaddr + offset) = val;
}

static inline void dmabuf_map_wr_u16(struct dmabuf_map *map, size_t offset, uint16_t val)
{
	if (map->is_iomem)
		dmabuf_writew((volatile char *)map->vaddr_iomem + offset, val);
	else
		memcpy((char *)map->vaddr + offset, &val, sizeof(val));
}

static inline void dmabuf_map_wr_u32(struct dmabuf_map *map, size_t offset, uint32_t val)
{
	if (map->is_iomem)
		dmabuf_writel((volatile char *)map->vaddr_iomem + offset, val);
	else
		memcpy((char *)map->vaddr + offset, &val, sizeof(val));
}

static inline void dmabuf_map_wr_u64(struct dmabuf_map *map, size_t offset, uint64_t val)
{
	if (map->is_iomem)
		dmabuf_writeq((volatile char *)map->vaddr_iomem + offset, val);
	else
		memcpy((char *)map->vaddr + offset, &val, sizeof(val));
}

/* The engines of dmabuf_map_rd()/dmabuf_map_wr(): size is a constant there,
 * so the switch folds away and a 1/2/4/8-byte type becomes one fixed-width
 * access; any other size (a struct, an array) goes through the shim's copy. */
static inline void dmabuf_map_rd_sized(const struct dmabuf_map *map, size_t offset,
				       void *val, size_t size)
{
	if (map->is_iomem) {
		const volatile char *a = (const volatile char *)map->vaddr_iomem + offset;
		uint8_t v8;
		uint16_t v16;
		uint32_t v32;
		uint64_t v64;

		switch (size) {
		case 1:
			v8 = dmabuf_readb(a);
			memcpy(val, &v8, 1);
			break;
		case 2:
			v16 = dmabuf_readw(a);
			memcpy(val, &v16, 2);
			break;
		case 4:
			v32 = dmabuf_readl(a);
			memcpy(val, &v32, 4);
			break;
		case 8:
			v64 = dmabuf_readq(a);
			memcpy(val, &v64, 8);
			break;
		default:
			dmabuf_memcpy_fromio(val, a, size);
			break;
		}
	} else {
		memcpy(val, (const char *)map->vaddr + offset, size);
	}
}

static inline void dmabuf_map_wr_sized(struct dmabuf_map *map, size_t offset,
				       const void *val, size_t size)
{
	if (map->is_iomem) {
		volatile char *a = (volatile char *)map->vaddr_iomem + offset;
		uint8_t v8;
		uint16_t v16;
		uint32_t v32;
		uint64_t v64;

		switch (size) {
		case 1:
			memcpy(&v8, val, 1);
			dmabuf_writeb(a, v8);
			break;
		case 2:
			memcpy(&v16, val, 2);
			dmabuf_writew(a, v16);
			break;
		case 4:
			memcpy(&v32, val, 4);
			dmabuf_writel(a, v32);
			break;
		case 8:
			memcpy(&v64, val, 8);
			dmabuf_writeq(a, v64);
			break;
		default:
			dmabuf_memcpy_toio(a, val, size);
			break;
		}
	} else {
		memcpy((char *)map->vaddr + offset, val, size);
	}
}

/* Read a value of type type_ at offset_, like iosys_map_rd():
 *	uint32_t flags = dmabuf_map_rd(&map, 16, uint32_t);
 */
#define dmabuf_map_rd(map_, offset_, type_)                                 \
	__extension__({                                                     \
		type_ dmabuf_val_;                                          \
		dmabuf_map_rd_sized((map_), (offset_), &dmabuf_val_,        \
				    sizeof(dmabuf_val_));                   \
		dmabuf_val_;                                                \
	})

/* Write val_, converted to type_, at offset_, like iosys_map_wr(). */
#define dmabuf_map_wr(map_, offset_, type_, val_)                           \
	do {                                                                \
		type_ dmabuf_val_ = (val_);                                 \
		dmabuf_map_wr_sized((map_), (offset_), &dmabuf_val_,        \
				    sizeof(dmabuf_val_));                   \
	} while (0)

/* Read or write one field of a struct_type_ that lives at struct_offset_
 * of the mapping, with the field's own width, like iosys_map_rd_field():
 *	dmabuf_map_wr_field(&map, 0, struct hdr, len, 4096);
 */
#define dmabuf_map_rd_field(map_, struct_offset_, struct_type_, field_)      \
	dmabuf_map_rd((map_), (struct_offset_) + offsetof(struct_type_, field_), \
		      __typeof__(((struct_type_ *)0)->field_))

#define dmabuf_map_wr_field(map_, struct_offset_, struct_type_, field_, val_) \
	dmabuf_map_wr((map_), (struct_offset_) + offsetof(struct_type_, field_), \
		      __typeof__(((struct_type_ *)0)->field_), (val_))

/* len bytes from one map to another, whatever kind each is: system to
 * system is memcpy, one side I/O goes through the shim, I/O to I/O through
 * a bounded bounce buffer on the stack. The ranges must not overlap. */
void dmabuf_map_copy(struct dmabuf_map *dst, size_t dst_offset,
		     const struct dmabuf_map *src, size_t src_offset, size_t len);

#ifdef __cplusplus
}
#endif

#endif /* DMABUFFS_MAP_H */
