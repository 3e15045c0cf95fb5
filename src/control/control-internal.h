/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * What the files of the control socket server share, one section per
 * file, in the style of kmod's libkmod-internal.h. control/control.h is the
 * daemon's view of it; this is only for control*.c.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "shared/macro.h"
#include "tree/tree.h"

struct conn {
	int fd;
	uint64_t id;
	struct ucred cred;
	/* Until the first complete request: when the connection is closed. */
	int64_t deadline_ms;
	bool served;
};

/* control/conn.c: the table of connections, their limits, replies */
struct control_limits;
/* The table for lim's limits (a 0 field takes its default). */
int control_conns_init(const struct control_limits *lim);
/* Drop every connection (their transient publications go) and the table. */
void control_conns_free(void);
int control_conns_max(void);
int control_conns_count(void);
struct conn *control_conn_at(int i);
/* Whether a client of this uid may have one more connection, else why
 * (for the reply and the log). */
const char *control_conn_refusal(uid_t uid);
/* Add an accepted connection (gets its id and its idle deadline). */
void control_conn_add(struct conn *nc);
/* Close connection i (the last one takes its place). */
void control_conn_drop(int i);
/* Close the connections that sent no request in time; the poll timeout
 * until the next such deadline (-1: none). */
int control_conns_expire_idle(void);
/* The supplementary groups of the peer (as at connect), malloc'ed. */
int control_peer_groups(int fd, gid_t **out, size_t *n);
/* One reply (status, a message, maybe an fd); never blocks. */
void control_reply(struct conn *c, int status, int fd, const char *fmt, ...) _printf_(4, 5);
/* Its open connections, and the daemon's restarts (control_set_restarts()),
 * for LIST's "daemon". */
void control_figures(int *conns, unsigned *restarts);

/* control/closer.c: the closer threads */
/* Fds of one uid queued for a close or in one, beyond which the uid's
 * messages are not read and its connections are refused. */
#define CLOSER_MAX_PER_UID 64
int control_closer_start(void);
void control_closer_stop(void);
/* Close a received fd (or a connection socket, which may carry fds in
 * flight) on a closer thread, charged to uid; never on the caller's. */
void control_close_received(int fd, uid_t uid);
/* Whether uid has CLOSER_MAX_PER_UID fds waiting for a close. */
bool control_closer_over_limit(uid_t uid);

/* control/list.c: LIST */
/* The mount point LIST replies name (kept: the config outlives the thread). */
void control_list_init(const char *mountpoint);
void control_list(struct conn *c, const char *cursor, uint32_t flags);

/* image.c: a PUBLISH's image layout as the file's metadata xattrs */
struct dmabuffs_image_layout;
void control_image_meta(const struct dmabuffs_image_layout *l,
			char meta[META_COUNT][META_VALUE_MAX + 1]);
