/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * What the tree hands over to the daemon's next start (the daemon's fdstore.c
 * keeps it in the service manager's fd store): one record per buffer that
 * must survive a restart, and the hooks that keep the store current as the
 * tree changes. Implemented in tree/persist.c, under the tree lock. Part of
 * the buffer model: no FUSE here.
 */
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "tree/entry.h"

struct persist_record {
	uint64_t id; /* the entry's id (its inode is ino_entry(id)) */
	bool linked; /* false: unlinked, still open */
	char name[256];
	uid_t uid;
	gid_t gid;
	mode_t mode;
	enum origin origin;
	struct backend *be; /* the entry's backend (NULL: imported) */
	int iomem_override; /* -1, 0, 1 */
	char meta[META_COUNT][META_VALUE_MAX + 1];
	struct timespec mtime;
	/* persist_save(): borrowed for the callback. At most one of the two:
	 * an allocated entry's buffer, a staged one's memfd; neither for an
	 * entry with no bytes yet. */
	struct buffer *buf;
	int staged_fd;
	unsigned int stored; /* STORED_* of the fds already in the store */
	/* The kernel's passthrough backing id of its memfd (0: none): a
	 * re-attached start keeps using it (the kernel refuses another one
	 * beside open files that use it) and closes it when the entry goes. */
	int backing_id;
	/* persist_restore(): the mount outlived the process that wrote the
	 * record (struct entry's kernel_held). */
	bool kernel_held;
};

/* Which of an entry's fds are in the store (struct entry's stored). */
#define STORED_BUF 1u
#define STORED_STAGED 2u

/* Call fn on every entry that outlives its publisher and has a name or an
 * open file: created, imported, or published without
 * DMABUFFS_PUBLISH_TRANSIENT (a transient one goes with its connection,
 * which a restart closes), unallocated, staged or allocated, linked or
 * unlinked and open. Under the tree lock: fn must not call tree or entry
 * verbs. Stops at and returns fn's first nonzero. */
int persist_save(int (*fn)(const struct persist_record *rec, void *data), void *data);
/* Bring rec back around buf (a reference is taken) or staged_fd (taken
 * over, also on error), or with no bytes when both are absent, with rec's
 * id, name (linked or not), owner, mode, times, metadata and map flag;
 * charged to rec->uid's quota. Ids given later are above every restored
 * one. -EEXIST, -EINVAL, -EDQUOT, -ENOMEM. */
int persist_restore(const struct persist_record *rec, struct buffer *buf, int staged_fd);

/*
 * The fd store's side, set by the daemon (NULL: none, as in tests and at
 * tree_exit()). Called with no lock of the tree held:
 * - fd_add: entry id's bytes are now in fd (its buffer's, or its staging
 *   memfd with what STORED_STAGED); put it in the store before the record
 *   that names it.
 * - fd_remove: the record no longer names that fd; take it out.
 * - changed: the tree changed; with wait, return only once the record in
 *   the store has the change (the caller acknowledges it next).
 */
struct persist_store_ops {
	int (*fd_add)(uint64_t id, unsigned int what, int fd);
	void (*fd_remove)(uint64_t id, unsigned int what);
	void (*changed)(bool wait);
};
void persist_set_store(const struct persist_store_ops *ops);
/* Hand every kept fd the store does not hold yet to the store set above
 * (at start-up, after a restore); how many. */
unsigned int persist_store_all(void);

/* For entry.c: the hooks above, doing nothing without a store. */
void persist_fd_add(struct entry *e, unsigned int what, int fd);
void persist_fd_remove(struct entry *e, unsigned int what);
/* The same by id, for an entry not linked yet: true when stored. */
bool persist_fd_add_id(uint64_t id, unsigned int what, int fd);
void persist_fd_remove_id(uint64_t id, unsigned int what);
void persist_changed(bool wait);
/* A re-attach: the ids of the entries that wait for the kernel's FORGET
 * (kernel_held; *ids malloc'ed). -ENOMEM. */
int persist_kernel_held_ids(uint64_t **ids, size_t *n);

/* ---- tree/journal.c: calls a crash may leave unanswered ---- */
enum persist_op {
	PERSIST_RENAME,
	PERSIST_UNLINK,
	PERSIST_CREATE
};
struct persist_note {
	enum persist_op op;
	pid_t pid;   /* the caller */
	char a[256]; /* the name (a rename's source) */
	char b[256]; /* a rename's new name, "" for an unlink */
};
/* Before a rename (a to b), an unlink or a create (a, b NULL) by pid: noted, so that
 * the record the change writes has it. */
void persist_note(enum persist_op op, pid_t pid, const char *a, const char *b);
/* A note from the previous process's record, taken back. */
void persist_note_restore(const struct persist_note *n);
/* fn on every note this process made, oldest first (for the record). */
int persist_notes(int (*fn)(const struct persist_note *n, void *data), void *data);
/* Whether a call that failed with ENOENT is one the previous process made
 * and died before answering (resent): a note taken back shows it, and the
 * tree shows it done. Each note is used once, shortly after the start. */
bool persist_was_done(enum persist_op op, pid_t pid, const char *a, const char *b);

/* An entry the record keeps (its fds go to the store). */
bool persist_keeps(const struct entry *e);
