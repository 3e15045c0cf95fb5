/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The listing from the daemon (LIST on the control socket, src/lib/proto.h),
 * for the subcommands that can read it instead of the mount's files: list
 * and top (src/ctl/list-socket.c).
 */
#include <stdbool.h>
#include <stdint.h>

#include <json-c/json.h>

/*
 * The LIST of the daemon that serves dir, chunk by chunk on one connection:
 * fn(buffer, data) for each buffer object of each chunk, in the daemon's
 * order (fn's first error ends it). flags: PROTO_LIST_*. 0; -errno when
 * the socket cannot be reached, serves another tree (-EXDEV) or does not
 * answer as it should: the caller then reads the mount, and drops what fn
 * got so far.
 */
int list_socket_each(const char *dir, uint32_t flags, int (*fn)(json_object *buffer, void *data),
		     void *data);
/* The daemon's own figures from the last list_socket_each()'s first chunk:
 * known is false for a daemon from before them, or when the mount was
 * read instead. */
struct list_daemon {
	bool known;
	int64_t connections; /* open control connections, this one included */
	int64_t restarts;    /* clean restarts through the fd store */
	int64_t backing_ids; /* FUSE passthrough backing ids registered, -1: not said */
};
const struct list_daemon *list_socket_daemon(void);
/* A buffer's name_hex back to the name's bytes, malloc'ed; NULL for
 * anything that is not a name (or no memory). */
char *list_hex_name(json_object *buffer);
