// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "shared/macro.h"
#include "shared/names.h"

#define NAME_MAX_BYTES 255

/* A buffer named as one of the root's directories could never be reached
 * (lookup finds the directory) and readdir would list the name twice.
 * "proc" is reserved even when discovery is off, so that turning it on
 * never hides a buffer. */
const char *const name_root_dirs[NAME_ROOT_DIRS] = {
	[NAME_ROOT_BY_INODE] = "by-inode", [NAME_ROOT_BY_EXPORTER] = "by-exporter",
	[NAME_ROOT_NEW] = "new",	   [NAME_ROOT_PROC] = "proc",
	[NAME_ROOT_SCANOUT] = "scanout",
};

void name_root_dirs_join(char *buf, size_t size)
{
	size_t n = 0;

	if (size)
		buf[0] = '\0';
	for (size_t i = 0; i < NAME_ROOT_DIRS && n < size; i++) {
		int r = snprintf(buf + n, size - n, "%s%s", i ? ", " : "", name_root_dirs[i]);

		if (r < 0)
			break;
		n += (size_t)r;
	}
}

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
	if ((len == 1 && name[0] == '.') || (len == 2 && name[0] == '.' && name[1] == '.'))
		return -EINVAL;
	/* The control socket hands us counted strings: no '/' and no NUL.
	 * Control bytes (newline, escape) would inject lines into logs and
	 * into fdinfo once the name is copied into the dma-buf's name. */
	if (memchr(name, '/', len) || name_has_control(name, len))
		return -EINVAL;
	for (size_t i = 0; i < NAME_ROOT_DIRS; i++)
		if (len == strlen(name_root_dirs[i]) && memcmp(name, name_root_dirs[i], len) == 0)
			return -EINVAL;
	return 0;
}
