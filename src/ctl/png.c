// SPDX-License-Identifier: LGPL-2.1-or-later
/* Converted images (convert.h) to PNG with libpng. */
#include <errno.h>
#include <png.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>

#include "ctl/png.h"

struct png_state {
	png_structp png;
	png_infop info;
	uint8_t *row;
};

static int color_type(unsigned int channels)
{
	switch (channels) {
	case 1:
		return PNG_COLOR_TYPE_GRAY;
	case 4:
		return PNG_COLOR_TYPE_RGB_ALPHA;
	default:
		return PNG_COLOR_TYPE_RGB;
	}
}

/* Separate from the setjmp frame so nothing it touches is clobbered. */
static int encode(struct png_state *st, FILE *out, const struct image *img)
{
	size_t per_row = (size_t)img->width * img->channels;

	if (setjmp(png_jmpbuf(st->png)))
		return -EIO;
	png_init_io(st->png, out);
	png_set_IHDR(st->png, st->info, img->width, img->height, (int)img->depth,
		     color_type(img->channels), PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
		     PNG_FILTER_TYPE_DEFAULT);
	png_write_info(st->png, st->info);
	for (uint32_t y = 0; y < img->height; y++) {
		const uint16_t *s = img->samples + (size_t)y * per_row;

		/* PNG samples are big-endian. */
		for (size_t i = 0; i < per_row; i++) {
			if (img->depth == 16) {
				st->row[2 * i] = (uint8_t)(s[i] >> 8);
				st->row[2 * i + 1] = (uint8_t)s[i];
			} else {
				st->row[i] = (uint8_t)s[i];
			}
		}
		png_write_row(st->png, st->row);
	}
	png_write_end(st->png, NULL);
	return 0;
}

int image_write_png(FILE *out, const struct image *img)
{
	struct png_state st = { 0 };
	int r;

	if (!img->width || !img->height || img->width > PNG_USER_WIDTH_MAX ||
	    img->height > PNG_USER_HEIGHT_MAX || !img->channels || img->channels > 4 ||
	    (img->depth != 8 && img->depth != 16))
		return -EINVAL;

	st.row = malloc((size_t)img->width * img->channels * 2);
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
	r = encode(&st, out, img);
	png_destroy_write_struct(&st.png, &st.info);
	free(st.row);
	if (r == 0 && fflush(out) != 0)
		r = -errno;
	return r;
}
