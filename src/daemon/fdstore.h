/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Buffers that survive a restart or a crash, through the service manager's
 * file descriptor store (sd_notify(3) FDSTORE=1, sd_listen_fds_with_names(3)):
 * every buffer's fd is in the store while the buffer exists (FDNAME=b<id>,
 * s<id> while staged), and a state record (FDNAME=state.0 and state.1,
 * memfds holding JSON: ids, names, owners, modes, times, metadata, map
 * flags) is rewritten at every change; the next start gets them back
 * before it mounts. Without $NOTIFY_SOCKET, or without $LISTEN_FDS for
 * this process, all of this does nothing.
 */

/* control_bind(), or control_adopt() of the listening socket the previous
 * run left in the store (FDNAME=control); a socket bound here goes to the
 * store, so that clients wait in its backlog while the daemon restarts. */
#include <stdbool.h>
#include <sys/types.h>
int fdstore_control(const char *path, bool group_set, gid_t group);
/* Bring back what the previous run stored; the tree and the registry are
 * up. Returns how many buffers came back, or -EBADMSG when the store holds
 * fds but no record this daemon can read: the start must then fail (the
 * store is left untouched, logged). Other problems are logged. */
struct config;
int fdstore_restore(const struct config *cfg);
/* Keep the store current from now on (after fdstore_restore(), before the
 * mount). -errno, logged. */
int fdstore_attach(void);
/* At a stop: a last record, then the store is left alone. */
/* Restarts so far: runs before this one whose record this one took back
 * (0 when nothing was restored). */
unsigned fdstore_restarts(void);
int fdstore_save(void);
/* READY=1 to the service manager, with a status line. */
void fdstore_notify_ready(const char *status);
