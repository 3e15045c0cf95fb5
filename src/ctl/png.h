/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/*
 * Raw pixels to PNG for `dmabufctl snapshot`. Formats are DRM fourccs; the
 * supported ones are listed by snapshot_format_names().
 */
struct snapshot_format {
	uint32_t fourcc;
	const char *name;     /* "XRGB8888" */
	unsigned int cpp;     /* bytes per pixel */
};

/* Parse "XR24", "XRGB8888", "DRM_FORMAT_XRGB8888", "R8", "GREY", or a
 * number (decimal or 0x hex) into a supported format. 0, -EINVAL (not a
 * format) or -EOPNOTSUPP (a fourcc we cannot convert). */
int snapshot_parse_format(const char *s, const struct snapshot_format **out);
/* Fourcc as its four characters ("XR24"), for messages. */
void snapshot_fourcc_str(uint32_t fourcc, char out[5]);
/* "XRGB8888, ARGB8888, ..." */
const char *snapshot_format_names(void);

/* Encode width x height pixels, rows stride bytes apart, as PNG to out.
 * len must be at least stride * (height - 1) + width * cpp. 0 or -errno. */
int snapshot_write_png(FILE *out, const void *pixels, size_t len,
		       const struct snapshot_format *fmt, uint32_t width,
		       uint32_t height, uint32_t stride);
