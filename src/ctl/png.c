// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Raw pixels to PNG. The pixel formats are DRM's: their names give the
 * components from the most significant bit of a little-endian word, so
 * XRGB8888 is B, G, R, X in memory.
 */
#include <ctype.h>
#include <errno.h>
#include <png.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ctl/png.h"
#include "shared/macro.h"

#define FOURCC(a, b, c, d)                                            \
	((uint32_t)(a) | ((uint32_t)(b) << 8) | ((uint32_t)(c) << 16) | \
	 ((uint32_t)(d) << 24))

enum layout {
	L_32,  /* 4 bytes: r/g/b/a are byte offsets, a < 0 for none */
	L_24,  /* 3 bytes */
	L_565, /* 16-bit little-endian, red in the top bits */
	L_565_BGR,
	L_8,   /* one grey byte */
};

struct format_desc {
	struct snapshot_format f;
	enum layout layout;
	int r, g, b, a;
};

static const struct format_desc formats[] = {
	{ { FOURCC('X', 'R', '2', '4'), "XRGB8888", 4 }, L_32, 2, 1, 0, -1 },
	{ { FOURCC('A', 'R', '2', '4'), "ARGB8888", 4 }, L_32, 2, 1, 0, 3 },
	{ { FOURCC('X', 'B', '2', '4'), "XBGR8888", 4 }, L_32, 0, 1, 2, -1 },
	{ { FOURCC('A', 'B', '2', '4'), "ABGR8888", 4 }, L_32, 0, 1, 2, 3 },
	{ { FOURCC('R', 'X', '2', '4'), "RGBX8888", 4 }, L_32, 3, 2, 1, -1 },
	{ { FOURCC('R', 'A', '2', '4'), "RGBA8888", 4 }, L_32, 3, 2, 1, 0 },
	{ { FOURCC('B', 'X', '2', '4'), "BGRX8888", 4 }, L_32, 1, 2, 3, -1 },
	{ { FOURCC('B', 'A', '2', '4'), "BGRA8888", 4 }, L_32, 1, 2, 3, 0 },
	{ { FOURCC('R', 'G', '2', '4'), "RGB888", 3 }, L_24, 2, 1, 0, -1 },
	{ { FOURCC('B', 'G', '2', '4'), "BGR888", 3 }, L_24, 0, 1, 2, -1 },
	{ { FOURCC('R', 'G', '1', '6'), "RGB565", 2 }, L_565, 0, 0, 0, -1 },
	{ { FOURCC('B', 'G', '1', '6'), "BGR565", 2 }, L_565_BGR, 0, 0, 0, -1 },
	{ { FOURCC('R', '8', ' ', ' '), "R8", 1 }, L_8, 0, 0, 0, -1 },
	/* V4L2's name for 8-bit grey; not a DRM code, accepted as R8. */
	{ { FOURCC('G', 'R', 'E', 'Y'), "GREY", 1 }, L_8, 0, 0, 0, -1 },
};

static const struct format_desc *desc_of(const struct snapshot_format *f)
{
	return container_of(f, const struct format_desc, f);
}

void snapshot_fourcc_str(uint32_t fourcc, char out[5])
{
	for (int i = 0; i < 4; i++) {
		char c = (char)((fourcc >> (8 * i)) & 0xff);

		out[i] = isprint((unsigned char)c) ? c : '?';
	}
	out[4] = '\0';
}

const char *snapshot_format_names(void)
{
	return "XRGB8888 (XR24), ARGB8888 (AR24), XBGR8888 (XB24), ABGR8888 (AB24), "
	       "RGBX8888, RGBA8888, BGRX8888, BGRA8888, RGB888, BGR888, "
	       "RGB565 (RG16), BGR565, R8/GREY";
}

static const struct format_desc *find_fourcc(uint32_t fourcc)
{
	for (size_t i = 0; i < ARRAY_SIZE(formats); i++)
		if (formats[i].f.fourcc == fourcc)
			return &formats[i];
	return NULL;
}

int snapshot_parse_format(const char *s, const struct snapshot_format **out)
{
	const struct format_desc *d = NULL;
	char *end;

	if (!s || !*s)
		return -EINVAL;
	if (!strncasecmp(s, "DRM_FORMAT_", 11))
		s += 11;

	/* Full names first: "RGB888" must not be read as a number or as a
	 * six-character fourcc. */
	for (size_t i = 0; i < ARRAY_SIZE(formats); i++)
		if (!strcasecmp(s, formats[i].f.name)) {
			d = &formats[i];
			break;
		}

	if (!d && isdigit((unsigned char)s[0])) {
		unsigned long long v;

		errno = 0;
		v = strtoull(s, &end, 0);
		if (!errno && *end == '\0' && v <= UINT32_MAX) {
			d = find_fourcc((uint32_t)v);
			if (!d)
				return -EOPNOTSUPP;
		}
	}

	if (!d && strlen(s) <= 4) {
		/* A fourcc as text; DRM pads short codes with spaces ("R8  "). */
		char c[4] = { ' ', ' ', ' ', ' ' };

		memcpy(c, s, strlen(s));
		for (int i = 0; i < 4; i++)
			if (!isprint((unsigned char)c[i]))
				return -EINVAL;
		d = find_fourcc(FOURCC(c[0], c[1], c[2], c[3]));
		if (!d)
			return -EOPNOTSUPP;
	}
	if (!d)
		return -EINVAL;
	*out = &d->f;
	return 0;
}

static void convert_row(const struct format_desc *d, const uint8_t *src,
			uint8_t *dst, uint32_t width)
{
	for (uint32_t x = 0; x < width; x++) {
		const uint8_t *p = src + (size_t)x * d->f.cpp;
		uint16_t v;
		unsigned int r5, g6, b5;

		switch (d->layout) {
		case L_32:
		case L_24:
			*dst++ = p[d->r];
			*dst++ = p[d->g];
			*dst++ = p[d->b];
			if (d->a >= 0)
				*dst++ = p[d->a];
			break;
		case L_565:
		case L_565_BGR:
			v = (uint16_t)(p[0] | (p[1] << 8));
			r5 = (v >> 11) & 0x1f;
			g6 = (v >> 5) & 0x3f;
			b5 = v & 0x1f;
			if (d->layout == L_565_BGR) {
				unsigned int t = r5;

				r5 = b5;
				b5 = t;
			}
			/* Bit replication maps 0 -> 0 and full -> 255. */
			*dst++ = (uint8_t)((r5 << 3) | (r5 >> 2));
			*dst++ = (uint8_t)((g6 << 2) | (g6 >> 4));
			*dst++ = (uint8_t)((b5 << 3) | (b5 >> 2));
			break;
		case L_8:
			*dst++ = p[0];
			break;
		}
	}
}

static int color_type(const struct format_desc *d)
{
	if (d->layout == L_8)
		return PNG_COLOR_TYPE_GRAY;
	return d->a >= 0 ? PNG_COLOR_TYPE_RGB_ALPHA : PNG_COLOR_TYPE_RGB;
}

struct png_state {
	png_structp png;
	png_infop info;
	uint8_t *row;
};

/* Separate from the setjmp frame so nothing it touches is clobbered. */
static int encode(struct png_state *st, FILE *out, const uint8_t *pixels,
		  const struct format_desc *d, uint32_t width, uint32_t height,
		  uint32_t stride)
{
	if (setjmp(png_jmpbuf(st->png)))
		return -EIO;
	png_init_io(st->png, out);
	png_set_IHDR(st->png, st->info, width, height, 8, color_type(d),
		     PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
		     PNG_FILTER_TYPE_DEFAULT);
	png_write_info(st->png, st->info);
	for (uint32_t y = 0; y < height; y++) {
		convert_row(d, pixels + (size_t)y * stride, st->row, width);
		png_write_row(st->png, st->row);
	}
	png_write_end(st->png, NULL);
	return 0;
}

int snapshot_write_png(FILE *out, const void *pixels, size_t len,
		       const struct snapshot_format *fmt, uint32_t width,
		       uint32_t height, uint32_t stride)
{
	const struct format_desc *d = desc_of(fmt);
	struct png_state st = { 0 };
	int r;

	if (!width || !height || width > PNG_USER_WIDTH_MAX ||
	    height > PNG_USER_HEIGHT_MAX)
		return -EINVAL;
	if ((uint64_t)width * fmt->cpp > stride)
		return -EINVAL;
	if ((uint64_t)stride * (height - 1) + (uint64_t)width * fmt->cpp > len)
		return -ERANGE;

	st.row = malloc((size_t)width * 4);
	if (!st.row)
		return -ENOMEM;
	st.png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
	if (st.png)
		st.info = png_create_info_struct(st.png);
	if (!st.png || !st.info) {
		png_destroy_write_struct(&st.png, NULL);
		free(st.row);
		return -ENOMEM;
	}
	r = encode(&st, out, pixels, d, width, height, stride);
	png_destroy_write_struct(&st.png, &st.info);
	free(st.row);
	if (r == 0 && fflush(out) != 0)
		r = -errno;
	return r;
}
