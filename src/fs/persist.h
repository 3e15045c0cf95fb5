/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * What the tree hands over to the daemon's next start (the daemon's fdstore.c
 * keeps it in systemd's fd store): one record per buffer that must survive
 * a restart. Implemented in fs/persist.c, under the tree lock.
 */
#include <sys/types.h>
#include <time.h>

#include "fs/entry.h"

struct tree_record {
	char name[256];
	uid_t uid;
	gid_t gid;
	mode_t mode;
	enum origin origin;
	int iomem_override; /* -1, 0, 1 */
	char meta[META_COUNT][META_VALUE_MAX + 1];
	struct timespec mtime;
	struct buffer *buf; /* tree_save(): borrowed for the callback */
};

/* Call fn on every linked, allocated entry that outlives its publisher:
 * created, imported, or published without DMABUFFS_PUBLISH_TRANSIENT
 * (a transient one goes with its connection, which a restart closes).
 * Under the tree lock: fn must not call tree or entry verbs. Stops at and
 * returns fn's first nonzero. */
int tree_save(int (*fn)(const struct tree_record *rec, void *data), void *data);
/* Link rec's name around buf (a reference is taken) with rec's owner,
 * mode, times, metadata and map flag; charged to rec->uid's quota.
 * -EEXIST, -EINVAL, -EDQUOT, -ENOMEM. */
int tree_restore(const struct tree_record *rec, struct buffer *buf);
