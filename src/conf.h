/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "policy.h"

/*
 * The daemon's configuration, parsed by daemon/options.c and filled by
 * daemon/main.c before any thread starts; read-only afterwards. It reaches
 * the layers below from below: FUSE handlers get it from the session's
 * userdata (fs_config(req)), the tree from tree_init().
 */
enum passthrough_mode {
	PASSTHROUGH_AUTO,  /* memfd-backed buffers with map flag 0 */
	PASSTHROUGH_NEVER, /* every open takes the daemon's path */
};

struct config {
	char *mountpoint;
	char *control_path;
	char *backend; /* backend= or NULL */
	enum iomem_mode iomem_mode;
	int fence_timeout_ms;
	int read_ahead_kb; /* for the mount's bdi; -1: leave the kernel's */
	/* Per-user limits (tree/quota.h); 0: none. Root has its own. */
	uint64_t max_bytes_per_user;
	uint64_t max_buffers_per_user;
	uint64_t max_bytes_root;
	uint64_t max_buffers_root;
	mode_t umask;
	gid_t group;
	bool group_set;
	bool discover;
	/* The control socket's limits (control/control.h, struct control_limits);
	 * 0: its default. */
	unsigned int control_max_conns, control_max_per_uid, control_root_reserve;
	unsigned int control_idle_timeout_ms;
	enum passthrough_mode passthrough; /* passthrough= */
	bool io_uring;			   /* -o io_uring: asked for */
};
