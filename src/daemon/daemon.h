/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "policy.h"

struct fuse_session;

/* The daemon's configuration and process-wide handles, set up by main.c
 * before any thread starts and read-only afterwards (but `se`). */
struct daemon {
	struct fuse_session *se;
	char *mountpoint;
	char *control_path;
	char *backend; /* backend= or NULL */
	enum iomem_mode iomem_mode;
	int fence_timeout_ms;
	int read_ahead_kb; /* for the mount's bdi; -1: leave the kernel's */
	mode_t umask;
	gid_t group;
	bool group_set;
	bool discover;
	bool allow_other;
	bool foreground;
	bool debug;
	pid_t pid;
};

extern struct daemon daemon_cfg;
