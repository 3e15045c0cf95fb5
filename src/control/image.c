// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * A PUBLISH's image layout (the wire's struct dmabuffs_image_layout) as the
 * buffer file's metadata xattrs spell it: the control socket's to convert,
 * so that the model keeps strings and knows nothing of the wire format.
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <dmabuffs/client.h>

#include "control/control-internal.h"
#include "shared/util.h"

/* ",N" (no comma first) at the end of a metadata value; cut at its limit. */
static void meta_append(char *v, bool first, uint64_t n)
{
	size_t used = strlen(v);

	snprintf(v + used, META_VALUE_MAX + 1 - used, "%s%" PRIu64, first ? "" : ",", n);
}

void control_image_meta(const struct dmabuffs_image_layout *l,
			char meta[META_COUNT][META_VALUE_MAX + 1])
{
	char fcc[5];

	fourcc_str(l->fourcc, fcc);
	snprintf(meta[META_FORMAT], META_VALUE_MAX + 1, "%s", fcc);
	snprintf(meta[META_WIDTH], META_VALUE_MAX + 1, "%" PRIu32, l->width);
	snprintf(meta[META_HEIGHT], META_VALUE_MAX + 1, "%" PRIu32, l->height);
	snprintf(meta[META_STRIDE], META_VALUE_MAX + 1, "%" PRIu32, l->planes[0].stride);
	snprintf(meta[META_MODIFIER], META_VALUE_MAX + 1, "0x%" PRIx64, l->modifier);
	meta[META_PITCHES][0] = meta[META_OFFSETS][0] = '\0';
	for (unsigned int i = 0; i < l->nplanes && i < DMABUFFS_MAX_PLANES; i++) {
		meta_append(meta[META_PITCHES], i == 0, l->planes[i].stride);
		meta_append(meta[META_OFFSETS], i == 0, l->planes[i].offset);
	}
}
