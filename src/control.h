/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

/*
 * The control socket (SOCK_SEQPACKET): publish, unpublish, export. Bound
 * before the daemon detaches, so that a second daemon fails at once; served
 * by its own thread started afterwards.
 */
int control_bind(const char *path, bool group_set, gid_t group);
int control_start(void);
void control_stop(void);
