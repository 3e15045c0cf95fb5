/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Raw frames to RGB: the pure part of `dmabufctl snapshot`, free of I/O so
 * that a fuzzer and the unit tests can call it on any bytes.
 *
 * Formats are DRM fourccs (drm_fourcc.h); names give the components from the
 * most significant bit of a little-endian word, so XRGB8888 is B, G, R, X in
 * memory. Only linear layouts: the caller refuses other modifiers.
 *
 *	struct frame_layout l = { .fourcc = DRM_FORMAT_NV12, .width = 64,
 *				  .height = 32 };
 *	struct image img;
 *	int r = convert_frame(&l, data, len, &img);  // 0 or -errno
 *	...
 *	image_free(&img);
 */
#include <stddef.h>
#include <stdint.h>

#define FRAME_MAX_PLANES 3
/* Larger than any display or camera; keeps the image size arithmetic far
 * from overflow (PNG itself stops at 2^31 - 1). */
#define FRAME_MAX_DIM 65536u

enum yuv_matrix {
	YUV_BT601,
	YUV_BT709
};
enum yuv_range {
	YUV_LIMITED,
	YUV_FULL
};

/* A plane's offset that is to be the default. */
#define FRAME_OFFSET_DEFAULT UINT64_MAX

struct frame_plane {
	uint64_t offset; /* bytes from the start of the data */
	uint32_t stride; /* bytes from one row to the next; 0: the default */
};

struct frame_layout {
	uint32_t fourcc;
	uint32_t width, height; /* in pixels */
	/* planes[i] for i < nplanes are given; the others, and a stride of 0
	 * or an offset of FRAME_OFFSET_DEFAULT, get defaults: a stride
	 * derived from plane 0's (or the packed row size) and an offset right
	 * after the previous plane. */
	unsigned int nplanes;
	struct frame_plane planes[FRAME_MAX_PLANES];
	enum yuv_matrix matrix; /* YUV formats only */
	enum yuv_range range;
};

/* Row-major samples, channels per pixel (1 grey, 3 RGB, 4 RGBA), each in
 * 0 .. 2^depth - 1 (depth 8 or 16). */
struct image {
	uint32_t width, height;
	unsigned int channels;
	unsigned int depth;
	uint16_t *samples;
};

/*
 * Converts the frame that layout describes in data[0 .. len) to out, whose
 * samples the caller frees with image_free(). Every size, stride and offset
 * is checked against len, without overflow, before anything is allocated
 * or read. 0, or:
 *   -EOPNOTSUPP  a fourcc it cannot convert
 *   -EINVAL      a layout at odds with itself (zero size, a stride shorter
 *                than a row, too many planes)
 *   -E2BIG       width or height over FRAME_MAX_DIM
 *   -ERANGE      a plane that does not fit in len bytes
 *   -ENOMEM
 */
int convert_frame(const struct frame_layout *layout, const uint8_t *data, size_t len,
		  struct image *out);
void image_free(struct image *img);

/*
 * The layout with every plane's default filled in, and the number of bytes
 * the frame reaches into (the end of its last row): what a caller must have
 * before calling convert_frame(). Same errors, but -ERANGE only for a frame
 * larger than UINT64_MAX.
 */
int frame_layout_resolve(const struct frame_layout *in, struct frame_layout *out, uint64_t *end);

/* Number of planes of a supported fourcc, 0 for an unsupported one. */
unsigned int format_planes(uint32_t fourcc);
/* Parse "NV12", "XRGB8888", "DRM_FORMAT_XRGB8888", "YUV420", "R8", "GREY",
 * or a number (decimal or 0x hex). 0, -EINVAL (not a format) or -EOPNOTSUPP
 * (a fourcc we cannot convert). */
int format_parse(const char *s, uint32_t *fourcc);
/* The long name ("XRGB8888"), NULL when unsupported. */
const char *format_name(uint32_t fourcc);
/* Fourcc as its four characters ("XR24"), for messages. */
/* "XRGB8888 (XR24), ..." */
const char *format_names(void);
