// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Raw frames to RGB (convert.h). One table describes every format: how many
 * planes, and per plane the bytes of one block, the pixels a block covers and
 * the subsampling; the layout checks and the conversion both read it, so a
 * plane can never be read further than it was checked.
 */
#include <ctype.h>
#include <drm_fourcc.h>
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ctl/convert.h"
#include "shared/macro.h"

enum kind {
	K_RGB8,	  /* bytes of a pixel (cpp); r, g, b, a are byte offsets */
	K_RGB565, /* 16-bit little-endian, red in the top bits */
	K_BGR565,
	K_GREY8,
	K_GREY16, /* 16-bit little-endian */
	K_RGB10,  /* 32-bit little-endian; r, g, b, a are bit shifts */
	K_YUV,
};

struct plane_desc {
	uint8_t bytes;	 /* of one block */
	uint8_t block_w; /* pixels (after subsampling) one block covers */
	uint8_t hsub, vsub;
};

/* Where one YUV component is: plane, byte offset in the block per pixel of
 * the block (packed formats have two Y per block). */
struct comp {
	uint8_t plane;
	uint8_t off[2];
};

struct format_desc {
	uint32_t fourcc;
	const char *name;
	enum kind kind;
	uint8_t nplanes;
	struct plane_desc p[FRAME_MAX_PLANES];
	int8_t r, g, b, a;     /* RGB kinds; a < 0: no alpha */
	struct comp y, cb, cr; /* K_YUV */
	uint8_t bits;	       /* K_YUV: 8, or 10 in the top of 16-bit words */
};

/* One line per format: a table reads better than what clang-format makes. */
/* clang-format off */
#define RGB(fcc, nm, k, cpp, R, G, B, A)                                   \
	{ .fourcc = (fcc), .name = (nm), .kind = (k), .nplanes = 1,        \
	  .p = { { (cpp), 1, 1, 1 } }, .r = (R), .g = (G), .b = (B), .a = (A) }
#define P(bytes, bw, h, v) { (bytes), (bw), (h), (v) }
#define C(pl, o0, o1) { (pl), { (o0), (o1) } }

static const struct format_desc formats[] = {
	RGB(DRM_FORMAT_XRGB8888, "XRGB8888", K_RGB8, 4, 2, 1, 0, -1),
	RGB(DRM_FORMAT_ARGB8888, "ARGB8888", K_RGB8, 4, 2, 1, 0, 3),
	RGB(DRM_FORMAT_XBGR8888, "XBGR8888", K_RGB8, 4, 0, 1, 2, -1),
	RGB(DRM_FORMAT_ABGR8888, "ABGR8888", K_RGB8, 4, 0, 1, 2, 3),
	RGB(DRM_FORMAT_RGBX8888, "RGBX8888", K_RGB8, 4, 3, 2, 1, -1),
	RGB(DRM_FORMAT_RGBA8888, "RGBA8888", K_RGB8, 4, 3, 2, 1, 0),
	RGB(DRM_FORMAT_BGRX8888, "BGRX8888", K_RGB8, 4, 1, 2, 3, -1),
	RGB(DRM_FORMAT_BGRA8888, "BGRA8888", K_RGB8, 4, 1, 2, 3, 0),
	RGB(DRM_FORMAT_RGB888, "RGB888", K_RGB8, 3, 2, 1, 0, -1),
	RGB(DRM_FORMAT_BGR888, "BGR888", K_RGB8, 3, 0, 1, 2, -1),
	RGB(DRM_FORMAT_RGB565, "RGB565", K_RGB565, 2, 0, 0, 0, -1),
	RGB(DRM_FORMAT_BGR565, "BGR565", K_BGR565, 2, 0, 0, 0, -1),
	RGB(DRM_FORMAT_R8, "R8", K_GREY8, 1, 0, 0, 0, -1),
	/* V4L2's name for 8-bit grey; not a DRM code, read as R8. */
	RGB(fourcc_code('G', 'R', 'E', 'Y'), "GREY", K_GREY8, 1, 0, 0, 0, -1),
	RGB(DRM_FORMAT_R16, "R16", K_GREY16, 2, 0, 0, 0, -1),
	RGB(DRM_FORMAT_XRGB2101010, "XRGB2101010", K_RGB10, 4, 20, 10, 0, -1),
	RGB(DRM_FORMAT_ARGB2101010, "ARGB2101010", K_RGB10, 4, 20, 10, 0, 30),
	RGB(DRM_FORMAT_XBGR2101010, "XBGR2101010", K_RGB10, 4, 0, 10, 20, -1),
	RGB(DRM_FORMAT_ABGR2101010, "ABGR2101010", K_RGB10, 4, 0, 10, 20, 30),
	/* Packed 4:2:2: one 4-byte block is two pixels. */
	{ DRM_FORMAT_YUYV, "YUYV", K_YUV, 1, { P(4, 2, 1, 1) },
	  .y = C(0, 0, 2), .cb = C(0, 1, 1), .cr = C(0, 3, 3), .bits = 8 },
	{ DRM_FORMAT_UYVY, "UYVY", K_YUV, 1, { P(4, 2, 1, 1) },
	  .y = C(0, 1, 3), .cb = C(0, 0, 0), .cr = C(0, 2, 2), .bits = 8 },
	/* Two planes: Y, then Cb/Cr pairs (little-endian Cr:Cb is Cb first). */
	{ DRM_FORMAT_NV12, "NV12", K_YUV, 2, { P(1, 1, 1, 1), P(2, 1, 2, 2) },
	  .y = C(0, 0, 0), .cb = C(1, 0, 0), .cr = C(1, 1, 1), .bits = 8 },
	{ DRM_FORMAT_NV21, "NV21", K_YUV, 2, { P(1, 1, 1, 1), P(2, 1, 2, 2) },
	  .y = C(0, 0, 0), .cb = C(1, 1, 1), .cr = C(1, 0, 0), .bits = 8 },
	{ DRM_FORMAT_NV16, "NV16", K_YUV, 2, { P(1, 1, 1, 1), P(2, 1, 2, 1) },
	  .y = C(0, 0, 0), .cb = C(1, 0, 0), .cr = C(1, 1, 1), .bits = 8 },
	{ DRM_FORMAT_P010, "P010", K_YUV, 2, { P(2, 1, 1, 1), P(4, 1, 2, 2) },
	  .y = C(0, 0, 0), .cb = C(1, 0, 0), .cr = C(1, 2, 2), .bits = 10 },
	/* Three planes. */
	{ DRM_FORMAT_YUV420, "YUV420", K_YUV, 3,
	  { P(1, 1, 1, 1), P(1, 1, 2, 2), P(1, 1, 2, 2) },
	  .y = C(0, 0, 0), .cb = C(1, 0, 0), .cr = C(2, 0, 0), .bits = 8 },
	{ DRM_FORMAT_YVU420, "YVU420", K_YUV, 3,
	  { P(1, 1, 1, 1), P(1, 1, 2, 2), P(1, 1, 2, 2) },
	  .y = C(0, 0, 0), .cb = C(2, 0, 0), .cr = C(1, 0, 0), .bits = 8 },
};
/* clang-format on */

static const struct format_desc *find_fourcc(uint32_t fourcc)
{
	for (size_t i = 0; i < ARRAY_SIZE(formats); i++)
		if (formats[i].fourcc == fourcc)
			return &formats[i];
	return NULL;
}

const char *format_names(void)
{
	return "XRGB8888 (XR24), ARGB8888 (AR24), XBGR8888 (XB24), ABGR8888 (AB24), "
	       "RGBX8888, RGBA8888, BGRX8888, BGRA8888, RGB888, BGR888, "
	       "RGB565 (RG16), BGR565, R8/GREY, R16, "
	       "XRGB2101010 (XR30), ARGB2101010 (AR30), XBGR2101010 (XB30), "
	       "ABGR2101010 (AB30), YUYV, UYVY, NV12, NV21, NV16, P010, "
	       "YUV420 (YU12), YVU420 (YV12)";
}

const char *format_name(uint32_t fourcc)
{
	const struct format_desc *d = find_fourcc(fourcc);

	return d ? d->name : NULL;
}

unsigned int format_planes(uint32_t fourcc)
{
	const struct format_desc *d = find_fourcc(fourcc);

	return d ? d->nplanes : 0;
}

int format_parse(const char *s, uint32_t *fourcc)
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
		if (!strcasecmp(s, formats[i].name)) {
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
		/* A fourcc as text, case as DRM spells it; short codes are
		 * padded with spaces. */
		char c[4] = { ' ', ' ', ' ', ' ' };

		memcpy(c, s, strlen(s));
		for (int i = 0; i < 4; i++)
			if (!isprint((unsigned char)c[i]))
				return -EINVAL;
		d = find_fourcc(fourcc_code(c[0], c[1], c[2], c[3]));
		if (!d)
			return -EOPNOTSUPP;
	}
	if (!d)
		return -EINVAL;
	*fourcc = d->fourcc;
	return 0;
}

/* ------------------------------------------------------------ layout */

static uint64_t div_up(uint64_t a, uint64_t b)
{
	return a / b + (a % b != 0);
}

/* Bytes of one row of plane p, and its number of rows; width and height
 * are at most FRAME_MAX_DIM, so neither overflows. */
static uint64_t row_bytes(const struct plane_desc *p, uint32_t width)
{
	return div_up(div_up(width, p->hsub), p->block_w) * p->bytes;
}

static uint64_t plane_rows(const struct plane_desc *p, uint32_t height)
{
	return div_up(height, p->vsub);
}

static int resolve(const struct format_desc *d, const struct frame_layout *in,
		   struct frame_layout *out, uint64_t *end)
{
	uint64_t last = 0;

	if (in->width == 0 || in->height == 0 || in->nplanes > d->nplanes)
		return -EINVAL;
	if (in->width > FRAME_MAX_DIM || in->height > FRAME_MAX_DIM)
		return -E2BIG;
	*out = *in;
	for (unsigned int i = 0; i < d->nplanes; i++) {
		const struct plane_desc *p = &d->p[i];
		struct frame_plane *fp = &out->planes[i];
		uint64_t row = row_bytes(p, in->width), rows = plane_rows(p, in->height);
		uint64_t stride = i < in->nplanes ? fp->stride : 0, e;

		if (stride == 0 && i == 0) {
			stride = row;
		} else if (stride == 0) {
			/* Plane 0's stride scaled by this plane's bytes per
			 * pixel, as V4L2 and most allocators lay planes out. */
			const struct plane_desc *p0 = &d->p[0];

			stride = (uint64_t)out->planes[0].stride * p->bytes * p0->hsub *
				 p0->block_w / ((uint64_t)p0->bytes * p->hsub * p->block_w);
			stride = MAX(stride, row);
		}
		if (stride < row || stride > UINT32_MAX)
			return -EINVAL;
		fp->stride = (uint32_t)stride;
		if (i >= in->nplanes || fp->offset == FRAME_OFFSET_DEFAULT) {
			if (i == 0) {
				fp->offset = 0;
			} else {
				const struct frame_plane *prev = &out->planes[i - 1];
				uint64_t size;

				if (__builtin_mul_overflow((uint64_t)prev->stride,
							   plane_rows(&d->p[i - 1], in->height),
							   &size) ||
				    __builtin_add_overflow(prev->offset, size, &fp->offset))
					return -ERANGE;
			}
		}
		/* The end of the last row, not of a full stride after it. */
		if (__builtin_mul_overflow(stride, rows - 1, &e) ||
		    __builtin_add_overflow(e, row, &e) || __builtin_add_overflow(e, fp->offset, &e))
			return -ERANGE;
		last = MAX(last, e);
	}
	out->nplanes = d->nplanes;
	*end = last;
	return 0;
}

int frame_layout_resolve(const struct frame_layout *in, struct frame_layout *out, uint64_t *end)
{
	const struct format_desc *d = find_fourcc(in->fourcc);

	if (!d)
		return -EOPNOTSUPP;
	return resolve(d, in, out, end);
}

/* ------------------------------------------------------------ pixels */

struct yuv_coef {
	double yoff, yscale, coff, cscale, kr, kb;
};

static void yuv_coef(const struct frame_layout *l, unsigned int bits, struct yuv_coef *c)
{
	double s = (double)(1u << (bits - 8)), max = (double)((1u << bits) - 1);

	if (l->range == YUV_FULL) {
		c->yoff = 0;
		c->yscale = max;
		c->cscale = max;
	} else {
		c->yoff = 16 * s;
		c->yscale = 219 * s;
		c->cscale = 224 * s;
	}
	c->coff = 128 * s;
	if (l->matrix == YUV_BT709) {
		c->kr = 0.2126;
		c->kb = 0.0722;
	} else {
		c->kr = 0.299;
		c->kb = 0.114;
	}
}

static uint16_t quantize(double v, unsigned int max)
{
	if (!(v > 0)) /* also NaN */
		return 0;
	if (v >= 1)
		return (uint16_t)max;
	return (uint16_t)lround(v * max);
}

static void yuv_to_rgb(const struct yuv_coef *c, unsigned int yv, unsigned int u, unsigned int v,
		       unsigned int max, uint16_t *out)
{
	double y = (yv - c->yoff) / c->yscale;
	double pb = (u - c->coff) / c->cscale, pr = (v - c->coff) / c->cscale;
	double r = y + 2 * (1 - c->kr) * pr;
	double b = y + 2 * (1 - c->kb) * pb;
	double g = (y - c->kr * r - c->kb * b) / (1 - c->kr - c->kb);

	out[0] = quantize(r, max);
	out[1] = quantize(g, max);
	out[2] = quantize(b, max);
}

static unsigned int le16(const uint8_t *p)
{
	return (unsigned int)p[0] | (unsigned int)p[1] << 8;
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* 10 bits to 16 by bit replication: 0 -> 0, 1023 -> 65535. */
static uint16_t widen10(uint32_t v)
{
	v &= 0x3ff;
	return (uint16_t)(v << 6 | v >> 4);
}

/* One YUV component of pixel (x, y); the layout was checked to hold it. */
static unsigned int yuv_sample(const struct format_desc *d, const struct frame_layout *l,
			       const uint8_t *data, const struct comp *c, uint32_t x, uint32_t y)
{
	const struct plane_desc *p = &d->p[c->plane];
	const struct frame_plane *fp = &l->planes[c->plane];
	uint32_t xs = x / p->hsub;
	const uint8_t *s = data + fp->offset + (uint64_t)(y / p->vsub) * fp->stride +
			   (uint64_t)(xs / p->block_w) * p->bytes + c->off[xs % p->block_w];

	return d->bits == 8 ? s[0] : le16(s) >> 6;
}

static void convert_rgb_row(const struct format_desc *d, const uint8_t *src, uint16_t *dst,
			    uint32_t width)
{
	for (uint32_t x = 0; x < width; x++) {
		const uint8_t *p = src + (size_t)x * d->p[0].bytes;
		unsigned int v, r5, g6, b5;
		uint32_t w;

		switch (d->kind) {
		case K_RGB8:
			*dst++ = p[d->r];
			*dst++ = p[d->g];
			*dst++ = p[d->b];
			if (d->a >= 0)
				*dst++ = p[d->a];
			break;
		case K_RGB565:
		case K_BGR565:
			v = le16(p);
			r5 = (v >> 11) & 0x1f;
			g6 = (v >> 5) & 0x3f;
			b5 = v & 0x1f;
			if (d->kind == K_BGR565) {
				unsigned int t = r5;

				r5 = b5;
				b5 = t;
			}
			/* Bit replication maps 0 -> 0 and full -> 255. */
			*dst++ = (uint16_t)((r5 << 3) | (r5 >> 2));
			*dst++ = (uint16_t)((g6 << 2) | (g6 >> 4));
			*dst++ = (uint16_t)((b5 << 3) | (b5 >> 2));
			break;
		case K_GREY8:
			*dst++ = p[0];
			break;
		case K_GREY16:
			*dst++ = (uint16_t)le16(p);
			break;
		case K_RGB10:
			w = le32(p);
			*dst++ = widen10(w >> d->r);
			*dst++ = widen10(w >> d->g);
			*dst++ = widen10(w >> d->b);
			if (d->a >= 0)
				*dst++ = (uint16_t)(((w >> d->a) & 3) * 0x5555);
			break;
		case K_YUV:
			break;
		}
	}
}

int convert_frame(const struct frame_layout *layout, const uint8_t *data, size_t len,
		  struct image *out)
{
	const struct format_desc *d = find_fourcc(layout->fourcc);
	struct frame_layout l;
	struct yuv_coef coef;
	uint64_t end;
	size_t n;
	int r;

	memset(out, 0, sizeof(*out));
	if (!d)
		return -EOPNOTSUPP;
	r = resolve(d, layout, &l, &end);
	if (r < 0)
		return r;
	/* Everything is checked against what there is before anything is
	 * allocated: the metadata may claim any size. */
	if (end > len || !data)
		return -ERANGE;

	out->width = l.width;
	out->height = l.height;
	out->depth = d->kind == K_RGB10 || d->kind == K_GREY16 ||
				     (d->kind == K_YUV && d->bits > 8) ?
			     16 :
			     8;
	out->channels = d->kind == K_GREY8 || d->kind == K_GREY16 ? 1 :
			d->kind != K_YUV && d->a >= 0		  ? 4 :
								    3;
	if (__builtin_mul_overflow((size_t)l.width * l.height, out->channels, &n) ||
	    __builtin_mul_overflow(n, sizeof(uint16_t), &n))
		return -E2BIG;
	out->samples = malloc(n);
	if (!out->samples)
		return -ENOMEM;

	if (d->kind != K_YUV) {
		for (uint32_t y = 0; y < l.height; y++)
			convert_rgb_row(
				d, data + l.planes[0].offset + (uint64_t)y * l.planes[0].stride,
				out->samples + (size_t)y * l.width * out->channels, l.width);
		return 0;
	}
	yuv_coef(&l, d->bits, &coef);
	for (uint32_t y = 0; y < l.height; y++) {
		uint16_t *dst = out->samples + (size_t)y * l.width * 3;

		for (uint32_t x = 0; x < l.width; x++, dst += 3)
			yuv_to_rgb(&coef, yuv_sample(d, &l, data, &d->y, x, y),
				   yuv_sample(d, &l, data, &d->cb, x, y),
				   yuv_sample(d, &l, data, &d->cr, x, y), (1u << out->depth) - 1,
				   dst);
	}
	return 0;
}

void image_free(struct image *img)
{
	free(img->samples);
	img->samples = NULL;
}
