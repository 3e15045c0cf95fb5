// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libFuzzer target: name validation (src/shared/names.c), the gate between
 * a caller's bytes and the tree, the logs and the dma-buf's own name. The
 * checks are the rules every version must keep (the list of refused names
 * may grow, never shrink): an accepted name has 1..255 bytes, no '/' or NUL,
 * and is not "." or ".."; the only errors are EINVAL and ENAMETOOLONG.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "shared/names.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* A counted string with nothing behind it: ASan catches a read past
	 * len (a validator that relies on a NUL terminator). */
	char *name = malloc(size ? size : 1);
	int r;

	FUZZ_ASSERT(name);
	memcpy(name, data, size);
	r = name_validate(name, size);
	FUZZ_ASSERT(r == 0 || r == -EINVAL || r == -ENAMETOOLONG);
	if (r == 0) {
		FUZZ_ASSERT(size >= 1 && size <= 255);
		FUZZ_ASSERT(!memchr(name, '/', size) && !memchr(name, '\0', size));
		FUZZ_ASSERT(!(size == 1 && name[0] == '.'));
		FUZZ_ASSERT(!(size == 2 && name[0] == '.' && name[1] == '.'));
	}
	if (size > 255)
		FUZZ_ASSERT(r == -ENAMETOOLONG || r == -EINVAL);
	free(name);
	return 0;
}
