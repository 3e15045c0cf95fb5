/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdio.h>

#include "ctl/convert.h"

/* Encode a converted image (convert.h) as PNG to out: 8 or 16 bits per
 * sample, grey, RGB or RGBA as the image has. 0 or -errno. */
int image_write_png(FILE *out, const struct image *img);
