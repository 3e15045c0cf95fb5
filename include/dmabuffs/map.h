/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Pointer abstraction for dma-buf mappings in system or I/O memory: the
 * userspace counterpart of the kernel's include/linux/iosys-map.h.
 */
#ifndef DMABUFFS_MAP_H
#define DMABUFFS_MAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/**
 * DOC: overview
 *
 * A CPU mapping of a dma-buf is either ordinary system memory, which may be
 * accessed with plain loads and stores (memcpy()), or I/O memory (a PCI BAR,
 * VRAM, an uncached or write-combined aperture), where unaligned, vector or
 * repeated accesses can fault, tear, or have side effects. struct dmabuf_map
 * is the userspace counterpart of the kernel's struct iosys_map (formerly
 * struct dma_buf_map): a pointer into the mapping plus the flag that says
 * which kind of memory it is. Every verb below branches once on that flag:
 * system memory goes through memcpy()/memset(), I/O memory through the I/O
 * accessor shim (dmabuf_memcpy_fromio() and friends), which only ever issues
 * naturally aligned, fixed-width (8/4/2/1 byte) volatile accesses inside the
 * requested range, each byte once, followed by the fences the architecture
 * needs.
 *
 * Callers never read or write the fields themselves; they set a map up once
 * and use the verbs:
 *
 * .. code-block:: c
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
 * size of the mapping, and none of them can fail. Nor does any verb issue
 * DMA_BUF_IOCTL_SYNC: a program that maps a dma-buf fd itself brackets its
 * accesses with it, as with any CPU access to a dma-buf.
 */

#ifdef __cplusplus
extern "C" {
#endif

/**
 * DOC: I/O accessor shim
 *
 * How the verbs reach I/O memory; the functions may also be called directly.
 * Like the kernel's memcpy_fromio(), memcpy_toio() and memset_io(), each
 * accesses exactly the bytes of [addr, addr + len) on the I/O side, each
 * byte once, with naturally aligned volatile loads/stores of at most 8
 * bytes (16 on the streaming-load read path), and ends with the fence the
 * architecture needs. The system-memory side may have any alignment. The
 * fixed-width accessors are one access when addr is naturally aligned; a
 * misaligned addr is split into aligned pieces rather than issued unaligned.
 * Values are in CPU byte order (the kernel's readl() is little-endian).
 */

/**
 * dmabuf_memcpy_fromio() - Copy from I/O memory to system memory
 * @dst: The system-memory destination, any alignment
 * @src: The I/O-memory source
 * @len: The number of bytes to copy; 0 accesses nothing
 *
 * Takes the streaming-load path (see dmabuf_io_set_streaming_load()) for
 * the part where @dst and @src are both 16-byte aligned, when enabled.
 */
void dmabuf_memcpy_fromio(void *dst, const volatile void *src, size_t len);

/**
 * dmabuf_memcpy_toio() - Copy from system memory to I/O memory
 * @dst: The I/O-memory destination
 * @src: The system-memory source, any alignment
 * @len: The number of bytes to copy; 0 accesses nothing
 */
void dmabuf_memcpy_toio(volatile void *dst, const void *src, size_t len);

/**
 * dmabuf_memset_io() - Fill I/O memory with a byte value
 * @dst: The I/O-memory destination
 * @c: The value, converted to unsigned char
 * @len: The number of bytes to set; 0 accesses nothing
 */
void dmabuf_memset_io(volatile void *dst, int c, size_t len);

/**
 * dmabuf_readb() - Read 8 bits of I/O memory
 * @addr: The I/O-memory address
 *
 * Return: The byte at @addr.
 */
uint8_t dmabuf_readb(const volatile void *addr);

/**
 * dmabuf_readw() - Read 16 bits of I/O memory
 * @addr: The I/O-memory address, one access if 2-byte aligned
 *
 * Return: The value at @addr, in CPU byte order.
 */
uint16_t dmabuf_readw(const volatile void *addr);

/**
 * dmabuf_readl() - Read 32 bits of I/O memory
 * @addr: The I/O-memory address, one access if 4-byte aligned
 *
 * Return: The value at @addr, in CPU byte order.
 */
uint32_t dmabuf_readl(const volatile void *addr);

/**
 * dmabuf_readq() - Read 64 bits of I/O memory
 * @addr: The I/O-memory address, one access if 8-byte aligned
 *
 * Return: The value at @addr, in CPU byte order.
 */
uint64_t dmabuf_readq(const volatile void *addr);

/**
 * dmabuf_writeb() - Write 8 bits of I/O memory
 * @addr: The I/O-memory address
 * @val: The value to store
 */
void dmabuf_writeb(volatile void *addr, uint8_t val);

/**
 * dmabuf_writew() - Write 16 bits of I/O memory
 * @addr: The I/O-memory address, one access if 2-byte aligned
 * @val: The value to store, in CPU byte order
 */
void dmabuf_writew(volatile void *addr, uint16_t val);

/**
 * dmabuf_writel() - Write 32 bits of I/O memory
 * @addr: The I/O-memory address, one access if 4-byte aligned
 * @val: The value to store, in CPU byte order
 */
void dmabuf_writel(volatile void *addr, uint32_t val);

/**
 * dmabuf_writeq() - Write 64 bits of I/O memory
 * @addr: The I/O-memory address, one access if 8-byte aligned
 * @val: The value to store, in CPU byte order
 */
void dmabuf_writeq(volatile void *addr, uint64_t val);

/**
 * dmabuf_io_streaming_load_available() - Whether the CPU has streaming loads
 *
 * Streaming loads (x86 SSE4.1 movntdqa, as the kernel's drm_memcpy_from_wc())
 * make reads of write-combined memory many times faster. They are used by
 * dmabuf_memcpy_fromio() for the part where both sides are 16-byte aligned,
 * when the CPU has them and they are enabled (the default).
 *
 * Return: True if the CPU supports them, detected at run time.
 */
bool dmabuf_io_streaming_load_available(void);

/**
 * dmabuf_io_streaming_load_enabled() - Whether streaming loads are in use
 *
 * Return: True if dmabuf_memcpy_fromio() currently takes the streaming-load
 * path where it can: the CPU has them and they were not turned off.
 */
bool dmabuf_io_streaming_load_enabled(void);

/**
 * dmabuf_io_set_streaming_load() - Turn streaming loads off or back on
 * @enable: False to always take the ordinary path
 *
 * For the whole process, for calls that start afterwards. Turning them off
 * is for benchmarks and tests; enabling them without CPU support is a
 * no-op.
 */
void dmabuf_io_set_streaming_load(bool enable);

/**
 * struct dmabuf_map - Pointer to system or I/O memory of a dma-buf mapping
 * @vaddr_iomem: The address if the mapping is I/O memory
 * @vaddr: The address if the mapping is system memory
 * @is_iomem: True if the mapping is I/O memory, false otherwise
 *
 * A zeroed struct dmabuf_map is a NULL map of system memory. Set it up with
 * the initializers or dmabuf_map_set_vaddr()/dmabuf_map_set_vaddr_iomem(),
 * and touch the memory only through the verbs.
 */
struct dmabuf_map {
	union {
		volatile void *vaddr_iomem;
		void *vaddr;
	};
	bool is_iomem;
};

/**
 * DMABUF_MAP_INIT_VADDR - Initializes a struct dmabuf_map to system memory
 * @vaddr_: A system-memory address
 *
 * For static initialization: struct dmabuf_map m = DMABUF_MAP_INIT_VADDR(p);
 */
#define DMABUF_MAP_INIT_VADDR(vaddr_)        \
	{                                    \
		{ .vaddr = (vaddr_) }, false \
	}

/**
 * DMABUF_MAP_INIT_VADDR_IOMEM - Initializes a struct dmabuf_map to I/O memory
 * @vaddr_iomem_: An I/O-memory address
 */
#define DMABUF_MAP_INIT_VADDR_IOMEM(vaddr_iomem_)       \
	{                                               \
		{ .vaddr_iomem = (vaddr_iomem_) }, true \
	}

static inline void dmabuf_map_incr(struct dmabuf_map *map, size_t incr);

/**
 * DMABUF_MAP_INIT_OFFSET - Initializes a struct dmabuf_map from another one
 * @map_: The map to copy from
 * @offset_: The offset to add to its address, in bytes
 *
 * Evaluates to a copy of *@map_ advanced by @offset_ bytes, of the same
 * kind; *@map_ is unchanged. For handing a sub-range of a buffer (a plane,
 * a row, a record) to code that takes a map:
 *
 * .. code-block:: c
 *
 *	struct dmabuf_map plane1 = DMABUF_MAP_INIT_OFFSET(&map, plane_offset);
 *
 * A GNU C statement expression, as the kernel's IOSYS_MAP_INIT_OFFSET().
 */
#define DMABUF_MAP_INIT_OFFSET(map_, offset_)              \
	__extension__({                                    \
		struct dmabuf_map dmabuf_copy_ = *(map_);  \
		dmabuf_map_incr(&dmabuf_copy_, (offset_)); \
		dmabuf_copy_;                              \
	})

/**
 * dmabuf_map_set_vaddr() - Points a struct dmabuf_map at system memory
 * @map: The map
 * @vaddr: A system-memory address
 *
 * Sets the address and clears the I/O-memory flag.
 */
static inline void dmabuf_map_set_vaddr(struct dmabuf_map *map, void *vaddr)
{
	map->vaddr = vaddr;
	map->is_iomem = false;
}

/**
 * dmabuf_map_set_vaddr_iomem() - Points a struct dmabuf_map at I/O memory
 * @map: The map
 * @vaddr_iomem: An I/O-memory address
 *
 * Sets the address and the I/O-memory flag.
 */
static inline void dmabuf_map_set_vaddr_iomem(struct dmabuf_map *map, volatile void *vaddr_iomem)
{
	map->vaddr_iomem = vaddr_iomem;
	map->is_iomem = true;
}

/**
 * dmabuf_map_is_equal() - Compares two maps for equality
 * @lhs: A map
 * @rhs: The map to compare it with
 *
 * Two maps are equal when they point at the same address of the same kind
 * of memory.
 *
 * Return: True if both maps are equal, false otherwise.
 */
static inline bool dmabuf_map_is_equal(const struct dmabuf_map *lhs, const struct dmabuf_map *rhs)
{
	if (lhs->is_iomem != rhs->is_iomem)
		return false;
	if (lhs->is_iomem)
		return lhs->vaddr_iomem == rhs->vaddr_iomem;
	return lhs->vaddr == rhs->vaddr;
}

/**
 * dmabuf_map_is_null() - Tests a map for a NULL address
 * @map: The map
 *
 * Return: True if the map's address, of its kind, is NULL, false otherwise.
 */
static inline bool dmabuf_map_is_null(const struct dmabuf_map *map)
{
	if (map->is_iomem)
		return !map->vaddr_iomem;
	return !map->vaddr;
}

/**
 * dmabuf_map_is_set() - Tests whether a map points anywhere
 * @map: The map
 *
 * Return: True if the map's address is not NULL, false otherwise: the
 * negation of dmabuf_map_is_null().
 */
static inline bool dmabuf_map_is_set(const struct dmabuf_map *map)
{
	return !dmabuf_map_is_null(map);
}

/**
 * dmabuf_map_clear() - Clears a map
 * @map: The map
 *
 * Back to the state of a zeroed map: a NULL address of system memory.
 */
static inline void dmabuf_map_clear(struct dmabuf_map *map)
{
	if (map->is_iomem) {
		map->vaddr_iomem = NULL;
		map->is_iomem = false;
	} else {
		map->vaddr = NULL;
	}
}

/**
 * dmabuf_map_incr() - Advances a map's address
 * @map: The map
 * @incr: The number of bytes to add
 *
 * The kind of memory is kept. To get an advanced copy instead, use
 * DMABUF_MAP_INIT_OFFSET().
 */
static inline void dmabuf_map_incr(struct dmabuf_map *map, size_t incr)
{
	if (map->is_iomem)
		map->vaddr_iomem = (volatile char *)map->vaddr_iomem + incr;
	else
		map->vaddr = (char *)map->vaddr + incr;
}

/**
 * dmabuf_map_memcpy_to() - Copies from system memory into a map
 * @dst: The map to copy into
 * @dst_offset: The offset into @dst, in bytes
 * @src: The system-memory source
 * @len: The number of bytes to copy
 *
 * memcpy() on system memory, dmabuf_memcpy_toio() on I/O memory.
 */
static inline void dmabuf_map_memcpy_to(struct dmabuf_map *dst, size_t dst_offset, const void *src,
					size_t len)
{
	if (dst->is_iomem)
		dmabuf_memcpy_toio((volatile char *)dst->vaddr_iomem + dst_offset, src, len);
	else
		memcpy((char *)dst->vaddr + dst_offset, src, len);
}

/**
 * dmabuf_map_memcpy_from() - Copies from a map into system memory
 * @dst: The system-memory destination
 * @src: The map to copy from
 * @src_offset: The offset into @src, in bytes
 * @len: The number of bytes to copy
 *
 * memcpy() on system memory, dmabuf_memcpy_fromio() on I/O memory.
 */
static inline void dmabuf_map_memcpy_from(void *dst, const struct dmabuf_map *src,
					  size_t src_offset, size_t len)
{
	if (src->is_iomem)
		dmabuf_memcpy_fromio(dst, (const volatile char *)src->vaddr_iomem + src_offset,
				     len);
	else
		memcpy(dst, (const char *)src->vaddr + src_offset, len);
}

/**
 * dmabuf_map_memset() - Fills part of a map with a byte value
 * @dst: The map
 * @offset: The offset into @dst, in bytes
 * @value: The value, converted to unsigned char
 * @len: The number of bytes to set
 *
 * memset() on system memory, dmabuf_memset_io() on I/O memory.
 */
static inline void dmabuf_map_memset(struct dmabuf_map *dst, size_t offset, int value, size_t len)
{
	if (dst->is_iomem)
		dmabuf_memset_io((volatile char *)dst->vaddr_iomem + offset, value, len);
	else
		memset((char *)dst->vaddr + offset, value, len);
}

/*
 * Fixed-width reads and writes. On I/O memory each is one access of its
 * width when the address is naturally aligned, and split into aligned
 * smaller accesses of exactly its bytes otherwise; system memory may be
 * unaligned.
 */

/**
 * dmabuf_map_rd_u8() - Reads an 8-bit value from a map
 * @map: The map
 * @offset: The offset into @map, in bytes
 *
 * Return: The value at @offset, in CPU byte order.
 */
static inline uint8_t dmabuf_map_rd_u8(const struct dmabuf_map *map, size_t offset)
{
	if (map->is_iomem)
		return dmabuf_readb((const volatile char *)map->vaddr_iomem + offset);
	return *((const uint8_t *)map->vaddr + offset);
}

/**
 * dmabuf_map_rd_u16() - Reads a 16-bit value from a map
 * @map: The map
 * @offset: The offset into @map, in bytes
 *
 * Return: The value at @offset, in CPU byte order.
 */
static inline uint16_t dmabuf_map_rd_u16(const struct dmabuf_map *map, size_t offset)
{
	uint16_t v;

	if (map->is_iomem)
		return dmabuf_readw((const volatile char *)map->vaddr_iomem + offset);
	memcpy(&v, (const char *)map->vaddr + offset, sizeof(v));
	return v;
}

/**
 * dmabuf_map_rd_u32() - Reads a 32-bit value from a map
 * @map: The map
 * @offset: The offset into @map, in bytes
 *
 * Return: The value at @offset, in CPU byte order.
 */
static inline uint32_t dmabuf_map_rd_u32(const struct dmabuf_map *map, size_t offset)
{
	uint32_t v;

	if (map->is_iomem)
		return dmabuf_readl((const volatile char *)map->vaddr_iomem + offset);
	memcpy(&v, (const char *)map->vaddr + offset, sizeof(v));
	return v;
}

/**
 * dmabuf_map_rd_u64() - Reads a 64-bit value from a map
 * @map: The map
 * @offset: The offset into @map, in bytes
 *
 * Return: The value at @offset, in CPU byte order.
 */
static inline uint64_t dmabuf_map_rd_u64(const struct dmabuf_map *map, size_t offset)
{
	uint64_t v;

	if (map->is_iomem)
		return dmabuf_readq((const volatile char *)map->vaddr_iomem + offset);
	memcpy(&v, (const char *)map->vaddr + offset, sizeof(v));
	return v;
}

/**
 * dmabuf_map_wr_u8() - Writes an 8-bit value to a map
 * @map: The map
 * @offset: The offset into @map, in bytes
 * @val: The value, in CPU byte order
 */
static inline void dmabuf_map_wr_u8(struct dmabuf_map *map, size_t offset, uint8_t val)
{
	if (map->is_iomem)
		dmabuf_writeb((volatile char *)map->vaddr_iomem + offset, val);
	else
		*((uint8_t *)map->vaddr + offset) = val;
}

/**
 * dmabuf_map_wr_u16() - Writes a 16-bit value to a map
 * @map: The map
 * @offset: The offset into @map, in bytes
 * @val: The value, in CPU byte order
 */
static inline void dmabuf_map_wr_u16(struct dmabuf_map *map, size_t offset, uint16_t val)
{
	if (map->is_iomem)
		dmabuf_writew((volatile char *)map->vaddr_iomem + offset, val);
	else
		memcpy((char *)map->vaddr + offset, &val, sizeof(val));
}

/**
 * dmabuf_map_wr_u32() - Writes a 32-bit value to a map
 * @map: The map
 * @offset: The offset into @map, in bytes
 * @val: The value, in CPU byte order
 */
static inline void dmabuf_map_wr_u32(struct dmabuf_map *map, size_t offset, uint32_t val)
{
	if (map->is_iomem)
		dmabuf_writel((volatile char *)map->vaddr_iomem + offset, val);
	else
		memcpy((char *)map->vaddr + offset, &val, sizeof(val));
}

/**
 * dmabuf_map_wr_u64() - Writes a 64-bit value to a map
 * @map: The map
 * @offset: The offset into @map, in bytes
 * @val: The value, in CPU byte order
 */
static inline void dmabuf_map_wr_u64(struct dmabuf_map *map, size_t offset, uint64_t val)
{
	if (map->is_iomem)
		dmabuf_writeq((volatile char *)map->vaddr_iomem + offset, val);
	else
		memcpy((char *)map->vaddr + offset, &val, sizeof(val));
}

/**
 * dmabuf_map_rd_sized() - Reads a value of a given size from a map
 * @map: The map
 * @offset: The offset into @map, in bytes
 * @val: Where to store the value
 * @size: The size of the value, in bytes
 *
 * The engine of dmabuf_map_rd(): @size is a constant there, so the switch
 * folds away and a 1/2/4/8-byte type becomes one fixed-width access; any
 * other size (a struct, an array) goes through the shim's copy.
 */
static inline void dmabuf_map_rd_sized(const struct dmabuf_map *map, size_t offset, void *val,
				       size_t size)
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

/**
 * dmabuf_map_wr_sized() - Writes a value of a given size to a map
 * @map: The map
 * @offset: The offset into @map, in bytes
 * @val: The value to store
 * @size: The size of the value, in bytes
 *
 * The engine of dmabuf_map_wr(), as dmabuf_map_rd_sized() is of
 * dmabuf_map_rd().
 */
static inline void dmabuf_map_wr_sized(struct dmabuf_map *map, size_t offset, const void *val,
				       size_t size)
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

/**
 * dmabuf_map_rd - Reads a C-type value from a map
 * @map_: The map
 * @offset_: The offset into @map_, in bytes
 * @type_: The type of the value
 *
 * Like the kernel's iosys_map_rd(): a 1, 2, 4 or 8-byte type is one
 * fixed-width access, any other type is copied.
 *
 * .. code-block:: c
 *
 *	uint32_t flags = dmabuf_map_rd(&map, 16, uint32_t);
 *
 * Return: The value at @offset_, of type @type_.
 */
#define dmabuf_map_rd(map_, offset_, type_)                                                \
	__extension__({                                                                    \
		type_ dmabuf_val_;                                                         \
		dmabuf_map_rd_sized((map_), (offset_), &dmabuf_val_, sizeof(dmabuf_val_)); \
		dmabuf_val_;                                                               \
	})

/**
 * dmabuf_map_wr - Writes a C-type value to a map
 * @map_: The map
 * @offset_: The offset into @map_, in bytes
 * @type_: The type of the value
 * @val_: The value, converted to @type_ as by an assignment
 *
 * Like the kernel's iosys_map_wr(); accessed as by dmabuf_map_rd().
 */
#define dmabuf_map_wr(map_, offset_, type_, val_)                                          \
	do {                                                                               \
		type_ dmabuf_val_ = (val_);                                                \
		dmabuf_map_wr_sized((map_), (offset_), &dmabuf_val_, sizeof(dmabuf_val_)); \
	} while (0)

/**
 * dmabuf_map_rd_field - Reads a member of a struct that lives in a map
 * @map_: The map
 * @struct_offset_: The offset of the struct in @map_, in bytes
 * @struct_type_: The type of the struct
 * @field_: The member to read
 *
 * Like the kernel's iosys_map_rd_field(): only the bytes of @field_ are
 * accessed, with the member's own type and width.
 *
 * Return: The value of @field_.
 */
#define dmabuf_map_rd_field(map_, struct_offset_, struct_type_, field_)          \
	dmabuf_map_rd((map_), (struct_offset_) + offsetof(struct_type_, field_), \
		      __typeof__(((struct_type_ *)0)->field_))

/**
 * dmabuf_map_wr_field - Writes a member of a struct that lives in a map
 * @map_: The map
 * @struct_offset_: The offset of the struct in @map_, in bytes
 * @struct_type_: The type of the struct
 * @field_: The member to write
 * @val_: The value, converted to the member's type
 *
 * Like the kernel's iosys_map_wr_field():
 *
 * .. code-block:: c
 *
 *	dmabuf_map_wr_field(&map, 0, struct hdr, len, 4096);
 */
#define dmabuf_map_wr_field(map_, struct_offset_, struct_type_, field_, val_)    \
	dmabuf_map_wr((map_), (struct_offset_) + offsetof(struct_type_, field_), \
		      __typeof__(((struct_type_ *)0)->field_), (val_))

/**
 * dmabuf_map_copy() - Copies from one map to another
 * @dst: The map to copy into
 * @dst_offset: The offset into @dst, in bytes
 * @src: The map to copy from
 * @src_offset: The offset into @src, in bytes
 * @len: The number of bytes to copy
 *
 * Whatever kind each map is: system to system is memcpy(), one side I/O
 * goes through the shim, I/O to I/O through a bounded bounce buffer on the
 * stack, each piece read completely before it is written. The ranges must
 * not overlap.
 */
void dmabuf_map_copy(struct dmabuf_map *dst, size_t dst_offset, const struct dmabuf_map *src,
		     size_t src_offset, size_t len);

#ifdef __cplusplus
}
#endif

#endif /* DMABUFFS_MAP_H */
