/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Buffer names, as they appear in the tree and on the control socket.
 * Returns 0, -EINVAL (empty, ".", "..", contains '/' or a NUL) or
 * -ENAMETOOLONG (over 255 bytes). len is the name's length without NUL.
 */
int name_validate(const char *name, size_t len);
