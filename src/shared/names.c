// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <string.h>

#include "shared/names.h"

#define NAME_MAX_BYTES 255

int name_validate(const char *name, size_t len)
{
	if (!name || len == 0)
		return -EINVAL;
	if (len > NAME_MAX_BYTES)
		return -ENAMETOOLONG;
	if ((len == 1 && name[0] == '.') ||
	    (len == 2 && name[0] == '.' && name[1] == '.'))
		return -EINVAL;
	/* The control socket hands us counted strings: no '/' and no NUL. */
	for (size_t i = 0; i < len; i++)
		if (name[i] == '/' || name[i] == '\0')
			return -EINVAL;
	return 0;
}
