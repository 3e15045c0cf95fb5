/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Who holds the daemon's buffers (user.dmabuf.holders, and LIST with
 * PROTO_LIST_HOLDERS): one walk of /proc for any number of buffers.
 */
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct buffer;

/* The largest user.dmabuf.holders value, its NUL included. */
#define HOLDERS_MAX 4096

/* user.dmabuf.holders of n of the daemon's buffers (the caller's
 * references) with one walk of /proc for all of them, not one each: out[i]
 * gets bufs[i]'s value, malloc'ed, or NULL where that one could not be had
 * (logged). 0, or -errno when /proc could not be walked at all (every
 * out[i] NULL). No lock is held meanwhile. */
int holders_scan(struct buffer *const *bufs, size_t n, char **out);

/* holders-pool.c: user.dmabuf.holders off the FUSE workers. The value for
 * the daemon's buffer b, asked by uid: "PID:KINDS" per holding process,
 * blank-separated (KINDS fd, map, fd,map), from a walk (holders_scan()) at
 * most 2 s old; -EAGAIN when there is none and the walker cannot give one
 * within a second, or too many (of uid) wait already; -ERANGE when it does
 * not fit in outsz. */
int holders_cached(uid_t uid, struct buffer *b, char *out, size_t outsz);
