// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Handing the buffers over to the daemon's next start (fs/persist.h): the
 * records the fd store keeps, taken and given back under the tree lock
 * through entry.c's tree_each() and entry_link_buffer(). What a record
 * holds is decided here, how it is stored by the daemon's fdstore.c.
 */
#include <string.h>
#include <stdio.h>

#include "fs/entry.h"
#include "fs/persist.h"

struct save_arg {
	int (*fn)(const struct tree_record *rec, void *data);
	void *data;
};

static int save_cb(struct entry *e, void *data)
{
	const struct save_arg *a = data;
	struct tree_record rec;

	/* A transient publication goes with its connection, which a restart
	 * closes; a discovered buffer is its holder's. */
	if (!e->buf || e->conn_id || e->origin == ORIGIN_DISCOVERED)
		return 0;
	memset(&rec, 0, sizeof(rec));
	snprintf(rec.name, sizeof(rec.name), "%s", e->name);
	rec.uid = e->uid;
	rec.gid = e->gid;
	rec.mode = e->mode;
	rec.origin = e->origin;
	rec.iomem_override = e->iomem_override;
	memcpy(rec.meta, e->meta, sizeof(rec.meta));
	rec.mtime = e->mtime;
	rec.buf = e->buf;
	return a->fn(&rec, a->data);
}

int tree_save(int (*fn)(const struct tree_record *rec, void *data), void *data)
{
	struct save_arg a = { fn, data };

	return tree_each(false, save_cb, &a);
}

int tree_restore(const struct tree_record *rec, struct buffer *buf)
{
	const struct entry_link l = {
		.name = rec->name,
		.uid = rec->uid,
		.gid = rec->gid,
		.mode = rec->mode,
		.origin = rec->origin,
		.iomem_override = rec->iomem_override,
		.gid_exact = true,
		.mtime = &rec->mtime,
		.meta = rec->meta,
	};

	return entry_link_buffer(buf, &l);
}
