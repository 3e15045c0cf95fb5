// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libFuzzer target: the snapshot converter's format and size handling,
 * convert_frame() (src/ctl/convert.c). The layout comes from the file's
 * xattrs, which the buffer's owner writes: any fourcc, size, stride and
 * plane offset, against a buffer of any length. The first bytes of the
 * input are the layout, the rest the frame. A converted image has the
 * layout's size and samples within its depth; nothing is read outside the
 * frame (ASan sees the frame as an exact-size allocation).
 */
#include <drm_fourcc.h>
#include <errno.h>
#include <string.h>

#include "ctl/convert.h"
#include "fuzz.h"

static const uint32_t fourccs[] = {
	DRM_FORMAT_XRGB8888,	DRM_FORMAT_ARGB8888, DRM_FORMAT_XBGR8888, DRM_FORMAT_RGB888,
	DRM_FORMAT_RGB565,	DRM_FORMAT_R8,	     DRM_FORMAT_R16,	  DRM_FORMAT_XRGB2101010,
	DRM_FORMAT_ABGR2101010, DRM_FORMAT_NV12,     DRM_FORMAT_NV21,	  DRM_FORMAT_NV16,
	DRM_FORMAT_YUYV,	DRM_FORMAT_UYVY,     DRM_FORMAT_YUV420,	  DRM_FORMAT_YVU420,
	DRM_FORMAT_P010,
};

struct head {
	uint32_t fourcc_sel; /* an index into fourccs[], or a raw fourcc */
	uint32_t width, height;
	uint32_t nplanes;
	uint64_t offset[FRAME_MAX_PLANES];
	uint32_t stride[FRAME_MAX_PLANES];
	uint8_t matrix, range;
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct frame_layout l = { 0 };
	struct head h;
	struct image img;
	uint8_t *frame;
	size_t len, i;
	int r;

	if (size < sizeof(h))
		return 0;
	memcpy(&h, data, sizeof(h));
	len = size - sizeof(h);
	frame = malloc(len ? len : 1);
	FUZZ_ASSERT(frame);
	memcpy(frame, data + sizeof(h), len);

	l.fourcc = h.fourcc_sel & 0x80000000u ?
			   h.fourcc_sel :
			   fourccs[h.fourcc_sel % (sizeof(fourccs) / sizeof(fourccs[0]))];
	l.width = h.width;
	l.height = h.height;
	l.nplanes = h.nplanes % (FRAME_MAX_PLANES + 2);
	for (i = 0; i < FRAME_MAX_PLANES; i++) {
		l.planes[i].offset = h.offset[i];
		l.planes[i].stride = h.stride[i];
	}
	l.matrix = h.matrix & 1 ? YUV_BT709 : YUV_BT601;
	l.range = h.range & 1 ? YUV_FULL : YUV_LIMITED;

	r = convert_frame(&l, frame, len, &img);
	FUZZ_ASSERT(r == 0 || r == -EOPNOTSUPP || r == -EINVAL || r == -E2BIG || r == -ERANGE ||
		    r == -ENOMEM);
	if (r == 0) {
		size_t n = (size_t)img.width * img.height * img.channels;
		uint32_t max = img.depth == 16 ? 0xffff : 0xff;

		FUZZ_ASSERT(img.width == l.width && img.height == l.height);
		FUZZ_ASSERT(img.depth == 8 || img.depth == 16);
		FUZZ_ASSERT(img.channels >= 1 && img.channels <= 4);
		for (i = 0; i < n; i++)
			FUZZ_ASSERT(img.samples[i] <= max);
		image_free(&img);
	}
	free(frame);
	return 0;
}
