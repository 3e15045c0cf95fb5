/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

/*
 * The control socket (SOCK_SEQPACKET): publish, unpublish, export. Bound
 * before the daemon detaches, so that a second daemon fails at once; served
 * by its own thread started afterwards.
 */

/* How many clients the control socket serves, so that no caller can lock
 * the others out. Root is never refused for another user's use. */
struct control_limits {
	unsigned int max_conns;		/* connections of non-root users in all */
	unsigned int max_conns_per_uid; /* connections of one non-root uid */
	unsigned int root_reserve;	/* further connections only root may use */
	unsigned int idle_timeout_ms;	/* to send a first complete request */
};

#define CONTROL_MAX_CONNS 256
#define CONTROL_MAX_CONNS_PER_UID 64
#define CONTROL_ROOT_RESERVE 32
#define CONTROL_IDLE_TIMEOUT_MS 5000

int control_bind(const char *path, bool group_set, gid_t group);
/* Serve fd, a listening socket a previous run left in the fd store, if it
 * is still bound to path (taken over; closed when it is not: then
 * control_bind()). */
int control_adopt(int fd, const char *path);
/* The listening socket, for the fd store; and the stop leaves its path
 * (the store keeps the socket for the next run). */
int control_listen_fd(void);
void control_keep_path(void);
struct config;
/* Start serving with the default limits above; cfg (the map-flag mode,
 * the mount point LIST names) is kept until control_stop(). */
int control_start(const struct config *cfg);
/* Start serving with these limits (a 0 field takes its default). */
int control_start_limits(const struct config *cfg, const struct control_limits *lim);
void control_stop(void);
/* The daemon's clean restarts (the fd store's count), which LIST reports. */
void control_set_restarts(unsigned n);
