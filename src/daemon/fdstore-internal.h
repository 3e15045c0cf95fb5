/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * What fdstore.c (the service manager's side of the fd store) and
 * fdstore-record.c (its JSON state record) share; not the daemon's view,
 * which is fdstore.h.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

/* Version 1's single record; version 2 writes the two slots below. */
#define STATE_NAME_V1 "state"

static const char *const slot_names[2] = { "state.0", "state.1" };

/* The stored fds: names[i] is fds[i]'s FDNAME; an fd taken is set to -1. */
struct stored {
	char **names;
	int *fds;
	int n;
};

/* fdstore.c: the index of the stored fd named name, or -1. */
int fdstore_find_fd(const struct stored *st, const char *name);
/* The FDNAME of buffer id's fd (what: STORED_BUF or STORED_STAGED). */
void fdstore_fd_name(char *out, size_t size, uint64_t id, unsigned int what);
/* Slot i's memfd (0 or 1), -1 while there is none. */
int fdstore_slot(unsigned int i);

/* fdstore-record.c: a change happened; with wait, return once a record
 * that has it is written (a group commit). The store's changed hook. */
void fdstore_record_changed(bool wait);
/* How many buffers the last record written names. */
unsigned int fdstore_record_count(void);
/* The newest whole record among the stored slots (or version 1's): the
 * index of its fd, with its root, buffer list and version out;
 * -ENOENT without any record, -EBADMSG without one this dmabuffs reads. */
int fdstore_record_pick(struct stored *st, json_object **root_out, json_object **list_out,
			int64_t *version_out);
/* The restarts count this run has, from the record it took back. */
unsigned int fdstore_record_restarts(json_object *root);
/* Record list entry o (number i) made a buffer again with its fd taken from
 * st; version 1 records (v1) get v1_id. An unlinked entry is counted in
 * *skipped_unlinked and released. 0, or -errno (logged). */
struct config;
int fdstore_record_restore_one(const struct config *cfg, json_object *o, size_t i,
			       struct stored *st, bool v1, uint64_t v1_id, bool reattach,
			       unsigned int *skipped_unlinked);
/* The renames and unlinks root notes, taken back (tree/journal.c). */
void fdstore_record_notes(json_object *root);
/* The connection the next record names (len 0: none): its FUSE_INIT
 * request and its mount's device. */
void fdstore_record_set_fuse(const uint8_t *init, size_t len, const char *dev);
/* The connection root names: init (*len bytes, at most REATTACH_INIT_MAX)
 * and dev; -ENOENT when it names none, -EINVAL when malformed. */
int fdstore_record_fuse(json_object *root, uint8_t *init, size_t *len, char *dev, size_t devsz);
