/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Per-user limits (tree/quota.c): bytes and buffers per owner uid, counted
 * over the created, published and imported buffers (discovered ones belong
 * to other processes and are never counted). Root has its own limits. A
 * limit of 0 is no limit, so a zeroed struct config limits nothing; the
 * daemon's defaults come from its option parser (options.c).
 *
 * Every entry carries a quota_ref saying what it has been charged; only
 * quota.c touches it, under its own lock, which may be taken under the
 * tree lock and e->io (never the other way round).
 */
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct config;

/* The limits come from cfg (max_bytes_per_user, ...), kept for the
 * tree's life (tree_init() passes it on). */
void quota_init(const struct config *cfg);

struct quota_ref {
	uid_t uid;
	uint64_t bytes;
	bool counted; /* one buffer charged to uid */
};

/* Charge a new buffer of bytes to uid: -EDQUOT (and a log line naming
 * the limit) when uid would go over; nothing is charged then. */
int quota_add(struct quota_ref *q, uid_t uid, uint64_t bytes, const char *name);
/* Raise what q is charged to at least bytes (a staged file grows, a
 * buffer is allocated): -EDQUOT as above. No-op when q is not counted. */
int quota_grow(struct quota_ref *q, uint64_t bytes, const char *name);
/* Lower what q is charged to bytes (a staged file emptied, an
 * allocation that failed). */
void quota_shrink(struct quota_ref *q, uint64_t bytes);
/* Give back everything q holds (the entry is freed, or its making failed). */
void quota_drop(struct quota_ref *q);

struct quota_usage {
	uint64_t bytes, buffers;
	uint64_t max_bytes, max_buffers; /* 0: no limit */
};
void quota_get(uid_t uid, struct quota_usage *out);

struct statvfs;
/* statfs(2) as uid sees it: f_blocks/f_bfree/f_bavail against its byte
 * limit (in f_frsize units), f_files/f_ffree/f_favail against its buffer
 * limit; a field with no limit is left as it is. For fs_statfs(). */
void quota_statfs(uid_t uid, struct statvfs *sv);
