/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Buffers that survive a restart, through the service manager's file
 * descriptor store (sd_notify(3) FDSTORE=1, sd_listen_fds_with_names(3)):
 * at a stop, every buffer fd (FDNAME=b<N>) and a state record (FDNAME=state,
 * a sealed memfd holding JSON: names, owners, modes, times, metadata, map
 * flags) go to the store; the next start gets them back before it mounts.
 * Without $NOTIFY_SOCKET, or without $LISTEN_FDS for this process, both
 * do nothing.
 */

/* Bring back what the previous run stored; the tree and the registry are
 * up. Every fd received is consumed (and removed from the store). Returns
 * how many buffers came back; problems are logged, never fatal. */
int fdstore_restore(void);
/* Clean restarts so far: runs before this one that handed their buffers
 * to the store (0 when nothing was restored). */
unsigned fdstore_restarts(void);
/* Hand every buffer that must survive to the store. -errno, logged. */
int fdstore_save(void);
/* READY=1 to the service manager, with a status line. */
void fdstore_notify_ready(const char *status);
