/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * A start after a crash (src/daemon/reattach.c): what is left of the old
 * daemon's mount.
 */

enum fuse_probe {
	FUSE_PROBE_DEAD,   /* the connection is gone: ENOTCONN for everyone */
	FUSE_PROBE_LIVE,   /* a server answers */
	FUSE_PROBE_NOSERV, /* the connection lives, nobody answers in time */
};

/* Ask the FUSE file system mounted on mp for its statfs, which (unlike
 * stat) no cache answers: in a child, so that a connection nobody serves
 * cannot hang the start. timeout_ms bounds the wait. */
enum fuse_probe fuse_probe(const char *mp, int timeout_ms);

/*
 * The mount survives its daemon: the /dev/fuse fd of the connection is in
 * the service manager's fd store (FDNAME=fuse) with the FUSE_INIT request
 * that started it in the state record, and the next start re-attaches to
 * the connection instead of mounting. What a start knows of it:
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define REATTACH_INIT_MAX 256

struct reattach {
	int fd;				 /* the stored /dev/fuse fd, -1: none */
	const char *mp;			 /* the mount point */
	uint8_t init[REATTACH_INIT_MAX]; /* the recorded FUSE_INIT request */
	size_t init_len;
	char dev[32];	 /* the mount's device (mountinfo's MAJ:MIN) */
	bool ok;	 /* decided: re-attach */
	const char *why; /* else why not */
};

/* Whether ra (fd, init, dev filled from the store and the record) can be
 * re-attached: a live connection, a kernel that resends (Linux >= 6.9),
 * the same mount still on ra->mp. Sets ra->ok, or ra->why. */
void reattach_check(struct reattach *ra);
/* The topmost mount on mp (mountinfo): its device MAJ:MIN and file system
 * type; 0, or -ENOENT when nothing is mounted there. */
int reattach_mount_on(const char *mp, char *dev, size_t devsz, char *type, size_t typesz);
/* The device (MAJ:MIN) of the FUSE file system of type fstype mounted on
 * mp, from mountinfo: 0, or -ENOENT. */
int reattach_mount_dev(const char *mp, const char *fstype, char *dev, size_t size);

struct fuse_session;
/* Serve ra's connection with se: the recorded INIT replayed (libfuse then
 * knows what was negotiated), the requests the dead process had taken
 * asked again (FUSE_NOTIFY_RESEND), the kernel's dentries dropped where it
 * can (FUSE_NOTIFY_INC_EPOCH, Linux 6.16). 0, or -errno (logged). */
int reattach_session(struct fuse_session *se, struct reattach *ra);
/* After a mount: read the kernel's FUSE_INIT, keep a copy in init (*len,
 * at most REATTACH_INIT_MAX) and process it. 0, or -errno. */
int reattach_first_init(struct fuse_session *se, uint8_t *init, size_t *len);
