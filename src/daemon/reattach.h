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
