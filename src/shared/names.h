/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/*
 * Buffer names, as they appear in the tree and on the control socket.
 * Returns 0, -EINVAL (empty, ".", "..", contains '/', a NUL or another
 * control byte (< 0x20, 0x7f), or one of the mount root's own directories:
 * new, by-inode, by-exporter, proc, scanout) or -ENAMETOOLONG (over 255
 * bytes). len is the name's length without NUL. Every path that makes a
 * name (create, rename, publish, import) goes through this.
 */
int name_validate(const char *name, size_t len);

/*
 * The mount root's own directories, in the order the root lists them, and
 * so the names name_validate() refuses: spelled here once for the tree
 * (fs/root.c), the check and the control socket's message.
 */
enum name_root_dir {
	NAME_ROOT_BY_INODE,
	NAME_ROOT_BY_EXPORTER,
	NAME_ROOT_NEW,
	NAME_ROOT_PROC,
	NAME_ROOT_SCANOUT,
	NAME_ROOT_DIRS /* how many */
};
extern const char *const name_root_dirs[NAME_ROOT_DIRS];
/* "by-inode, by-exporter, ...", for messages: into buf, cut to size. */
void name_root_dirs_join(char *buf, size_t size);
/* Whether the len bytes at s hold a control byte (< 0x20, 0x7f), which
 * names and the dma-buf name (user.dmabuf.name) refuse. */
bool name_has_control(const char *s, size_t len);
