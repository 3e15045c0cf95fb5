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
struct reattach;
/* ra: the mount's connection the store held (ra->fd, -1: none): its record
 * is read and reattach_check() decides; a re-attach keeps the unlinked
 * files that were open, and every buffer file waits for the kernel's
 * FORGET before it may be freed. */
int fdstore_restore(const struct config *cfg, struct reattach *ra);
/* Whether the store handed over an fd named name (not taken yet). */
bool fdstore_holds(const char *name);
/* The mount's /dev/fuse fd the previous run stored (FDNAME=fuse), taken
 * (it stays in the store), or -1. */
int fdstore_fuse_take(void);
/* Keep the mount's connection: fd (a copy goes to the store) and the
 * FUSE_INIT that started it (len bytes), its device MAJ:MIN; the record
 * names them before this returns. Nothing without a store. */
#include <stddef.h>
#include <stdint.h>
void fdstore_fuse_keep(int fd, const uint8_t *init, size_t len, const char *dev);
/* A stop that ends the mount: the connection leaves the record, then the
 * store (so that the unmount really ends it). */
void fdstore_fuse_drop(void);
/* Whether the mount's connection is in the store now (fdstore_fuse_keep(),
 * or a re-attach to the stored one). */
bool fdstore_keeps_connection(void);
/* A re-attach: the stored connection (already in the store) is this run's. */
void fdstore_fuse_adopted(const uint8_t *init, size_t len, const char *dev);
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
