/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Who holds the daemon's buffers (user.dmabuf.holders, and LIST with
 * PROTO_LIST_HOLDERS): one walk of /proc for any number of buffers.
 */
#include <stddef.h>
#include <stdint.h>

struct buffer;

/* The largest user.dmabuf.holders value, its NUL included. */
#define HOLDERS_MAX 4096

/* user.dmabuf.holders of the daemon's buffer (its fd, kernel inode):
 * "PID:KINDS" per holding process, blank-separated (KINDS fd, map, fd,map),
 * as many as fit in outsz with the NUL. */
int holders_scan_one(int fd, uint64_t kino, char *out, size_t outsz);
/* user.dmabuf.holders of n of the daemon's buffers (the caller's
 * references) with one walk of /proc for all of them, not one each: out[i]
 * gets bufs[i]'s value, malloc'ed, or NULL where that one could not be had
 * (logged). 0, or -errno when /proc could not be walked at all (every
 * out[i] NULL). No lock is held meanwhile. */
int holders_scan(struct buffer *const *bufs, size_t n, char **out);
