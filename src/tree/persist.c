// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Handing the buffers over to the daemon's next start (tree/persist.h): the
 * records the fd store keeps, taken and given back under the tree lock
 * through entry.c's entry_each() and entry_restore(), and the hooks entry.c
 * calls at every change so that the store is current when a process dies
 * without a stop (kill -9, a crash, the OOM killer). What a record holds
 * is decided here, how it is stored by the daemon's fdstore.c. Part of the
 * buffer model: no FUSE here.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>

#include "buffer.h"
#include "tree/entry.h"
#include "tree/persist.h"

/* Set once before the mount and cleared at tree_exit(); read by every
 * thread (an atomic pointer, no lock). */
static const struct persist_store_ops *store;

struct save_arg {
	int (*fn)(const struct persist_record *rec, void *data);
	void *data;
};

bool persist_keeps(const struct entry *e)
{
	/* A transient publication goes with its connection, which a restart
	 * closes; a discovered buffer is its holder's. An unlinked entry
	 * nobody has open is on its way out (FORGET). */
	return !e->conn_id && e->origin != ORIGIN_DISCOVERED &&
	       (e->linked || e->nopen > 0 || e->kernel_held);
}

static int save_cb(struct entry *e, void *data)
{
	const struct save_arg *a = data;
	struct persist_record rec;

	if (!persist_keeps(e))
		return 0;
	memset(&rec, 0, sizeof(rec));
	rec.id = e->id;
	rec.linked = e->linked;
	snprintf(rec.name, sizeof(rec.name), "%s", e->name);
	rec.uid = e->uid;
	rec.gid = e->gid;
	rec.mode = e->mode;
	rec.origin = e->origin;
	rec.be = e->be;
	rec.iomem_override = e->iomem_override;
	memcpy(rec.meta, e->meta, sizeof(rec.meta));
	rec.mtime = e->mtime;
	rec.buf = e->buf;
	rec.staged_fd = e->buf ? -1 : e->staged_fd;
	rec.stored = __atomic_load_n(&e->stored, __ATOMIC_ACQUIRE);
	rec.backing_id = __atomic_load_n(&e->backing_id, __ATOMIC_ACQUIRE);
	return a->fn(&rec, a->data);
}

int persist_save(int (*fn)(const struct persist_record *rec, void *data), void *data)
{
	struct save_arg a = { fn, data };

	return entry_each(true, save_cb, &a);
}

int persist_restore(const struct persist_record *rec, struct buffer *buf, int staged_fd)
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
		.id = rec->id,
		.unlinked = !rec->linked,
		.be = rec->be,
		.staged_fd = staged_fd,
		.stored = rec->stored,
		.kernel_held = rec->kernel_held,
		.backing_id = rec->kernel_held ? rec->backing_id : 0,
	};

	return entry_restore(buf, &l);
}

void persist_set_store(const struct persist_store_ops *ops)
{
	__atomic_store_n(&store, ops, __ATOMIC_RELEASE);
}

bool persist_fd_add_id(uint64_t id, unsigned int what, int fd)
{
	const struct persist_store_ops *s = __atomic_load_n(&store, __ATOMIC_ACQUIRE);

	return s && fd >= 0 && s->fd_add(id, what, fd) == 0;
}

void persist_fd_remove_id(uint64_t id, unsigned int what)
{
	const struct persist_store_ops *s = __atomic_load_n(&store, __ATOMIC_ACQUIRE);

	if (s)
		s->fd_remove(id, what);
}

void persist_fd_add(struct entry *e, unsigned int what, int fd)
{
	if (persist_fd_add_id(e->id, what, fd))
		__atomic_or_fetch(&e->stored, what, __ATOMIC_RELEASE);
}

void persist_fd_remove(struct entry *e, unsigned int what)
{
	const struct persist_store_ops *s = __atomic_load_n(&store, __ATOMIC_ACQUIRE);

	if (!s || !(__atomic_load_n(&e->stored, __ATOMIC_ACQUIRE) & what))
		return;
	s->fd_remove(e->id, what);
	__atomic_and_fetch(&e->stored, ~what, __ATOMIC_RELEASE);
}

void persist_changed(bool wait)
{
	const struct persist_store_ops *s = __atomic_load_n(&store, __ATOMIC_ACQUIRE);

	if (s)
		s->changed(wait);
}

static int store_cb(struct entry *e, void *data)
{
	unsigned int *n = data;
	unsigned int stored = __atomic_load_n(&e->stored, __ATOMIC_ACQUIRE);

	if (!persist_keeps(e))
		return 0;
	if (e->buf && !(stored & STORED_BUF)) {
		persist_fd_add(e, STORED_BUF, e->buf->fd);
		(*n)++;
	} else if (!e->buf && e->staged_fd >= 0 && !(stored & STORED_STAGED)) {
		persist_fd_add(e, STORED_STAGED, e->staged_fd);
		(*n)++;
	}
	return 0;
}

unsigned int persist_store_all(void)
{
	unsigned int n = 0;

	/* At start-up, before the mount: nobody waits on the tree lock. */
	entry_each(true, store_cb, &n);
	return n;
}

struct ids {
	uint64_t *v;
	size_t n, cap;
};

static int held_cb(struct entry *e, void *data)
{
	struct ids *ids = data;

	if (!e->kernel_held)
		return 0;
	if (ids->n == ids->cap) {
		size_t cap = ids->cap ? 2 * ids->cap : 256;
		uint64_t *more = realloc(ids->v, cap * sizeof(*more));

		if (!more)
			return -ENOMEM;
		ids->v = more;
		ids->cap = cap;
	}
	ids->v[ids->n++] = e->id;
	return 0;
}

int persist_kernel_held_ids(uint64_t **out, size_t *n)
{
	struct ids ids = { 0 };
	int r = entry_each(true, held_cb, &ids);

	if (r < 0) {
		free(ids.v);
		return r;
	}
	*out = ids.v;
	*n = ids.n;
	return 0;
}
