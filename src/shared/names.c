// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <string.h>

#include "shared/macro.h"
#include "shared/names.h"

#define NAME_MAX_BYTES 255

/* The mount root's own directories: a buffer with one of these names could
 * never be reached (lookup finds the directory) and readdir would list the
 * name twice. "proc" is reserved even when discovery is off, so that turning
 * it on never hides a buffer. */
static const char *const reserved[] = { "new", "by-inode", "by-exporter",
					"proc", "scanout" };

bool name_has_control(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] == 0x7f)
			return true;
	return false;
}

int name_validate(const char *name, size_t len)
{
	if (!name || len == 0)
		return -EINVAL;
	if (len > NAME_MAX_BYTES)
		return -ENAMETOOLONG;
	if ((len == 1 && name[0] == '.') ||
	    (len == 2 && name[0] == '.' && name[1] == '.'))
		return -EINVAL;
	/* The control socket hands us counted strings: no '/' and no NUL.
	 * Control bytes (newline, escape) would inject lines into logs and
	 * into fdinfo once the name is copied into the dma-buf's name. */
	if (memchr(name, '/', len) || name_has_control(name, len))
		return -EINVAL;
	for (size_t i = 0; i < ARRAY_SIZE(reserved); i++)
		if (len == strlen(reserved[i]) &&
		    memcmp(name, reserved[i], len) == 0)
			return -EINVAL;
	return 0;
}
