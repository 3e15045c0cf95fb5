/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "fs/fuse.h"

struct config;

/*
 * The session's userdata (fuse_session_new(..., data)), what every handler
 * reaches with fs_config(req) / fs_data(req), as passthrough_ll.c's
 * lo_data(req). se is set once the session exists.
 */
struct fs_data {
	const struct config *cfg;
	struct fuse_session *se;
};

extern const struct fuse_lowlevel_ops fs_ops;

/* A tree_gone_cb: tell the kernel a name in the root went away behind its
 * back. data: the struct fs_data. */
void fs_notify_gone(const char *name, uint64_t ino, void *data);

/* This run's number (restarts so far): new fi->fh values carry it, so they
 * never meet the ones a previous process left in the kernel (handle.c). */
void fh_set_run(unsigned int run);
/* Right after a re-attach, before the loop: the buffer files the kernel
 * holds no inode of no longer wait for its FORGET. How many. */
unsigned int fs_reattached(struct fuse_session *se);
/* A tree_set_backing_closer() closer: give a freed file's passthrough
 * backing id back to the kernel. data: the struct fs_data. */
void file_backing_close(int backing_id, void *data);
/* INIT started FUSE over io_uring: the rings die with the process, so such
 * a mount cannot be re-attached. */
bool fs_over_io_uring(void);
