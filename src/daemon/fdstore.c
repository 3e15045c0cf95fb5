// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The fd store (see fdstore.h), the service manager's side: which fds are
 * stored under which name and when, the control socket's fd, READY=1, and
 * the start that takes everything back. The state record itself (its
 * JSON, its slots, which record is the newest, its entries made buffers
 * again) is fdstore-record.c's.
 *
 * The store is kept current at every change, as systemd's
 * FILE_DESCRIPTOR_STORE documentation asks of a service that must survive
 * its own crash: each buffer's fd goes in when the buffer comes to exist
 * (one message each, because FDNAME= names every fd of its message: b<id>
 * for a buffer, s<id> for a staging memfd) and leaves when it is freed.
 *
 * Order keeps the record and the fds consistent after a crash at any
 * instant: an fd is stored before the first record that names it, and
 * taken out only after a record without it; an fd no record names is
 * closed by the next start.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>
#include <systemd/sd-daemon.h>

#include "conf.h"
#include "control/control.h"
#include "daemon/fdstore.h"
#include "daemon/fdstore-internal.h"
#include "daemon/reattach.h"
#include "tree/persist.h"
#include "shared/log.h"
#include "shared/macro.h"
#include "shared/util.h"

#define CONTROL_NAME "control"
#define FUSE_NAME "fuse"

void fdstore_notify_ready(const char *status)
{
	sd_notifyf(0, "READY=1\nSTATUS=%s", status);
}

/* ---- names in the store ---- */

void fdstore_fd_name(char *out, size_t size, uint64_t id, unsigned int what)
{
	snprintf(out, size, "%c%" PRIu64, what == STORED_STAGED ? 's' : 'b', id);
}

/* A datagram to the service manager: 0, or -errno (-ENOTCONN: no socket). */
static int notify(const char *msg, const int *fds, unsigned int n)
{
	int r = sd_pid_notify_with_fds(0, 0, msg, fds, n);

	return r < 0 ? r : r == 0 ? -ENOTCONN : 0;
}

static int store_fd_poll(const char *name, int fd, bool poll)
{
	char msg[300];

	snprintf(msg, sizeof(msg), "FDSTORE=1\n%sFDNAME=%s", poll ? "" : "FDPOLL=0\n", name);
	return notify(msg, &fd, 1);
}

static int store_fd(const char *name, int fd)
{
	/* FDPOLL=0: systemd would drop an fd that polls POLLHUP or POLLERR,
	 * and a buffer must stay however its fd polls. */
	return store_fd_poll(name, fd, false);
}

static void unstore(const char *name)
{
	char msg[300];

	snprintf(msg, sizeof(msg), "FDSTOREREMOVE=1\nFDNAME=%s", name);
	notify(msg, NULL, 0);
}

/* ---- the slots ---- */

/* Our copies of the memfds the store holds for the record (state.0,
 * state.1): taken back by fdstore_restore() or made by fdstore_attach(),
 * before the store is attached, and unchanged after. */
static int slot_fd[2] = { -1, -1 };

int fdstore_slot(unsigned int i)
{
	return slot_fd[i];
}

/* Runs before this one, clean or crashed (each start that took back a
 * record): every record carries this run's count to the next. */
static unsigned restarts;

unsigned fdstore_restarts(void)
{
	return restarts;
}

static int record_fd_add(uint64_t id, unsigned int what, int fd)
{
	char name[32];
	int r;

	fdstore_fd_name(name, sizeof(name), id, what);
	r = store_fd(name, fd);
	if (r < 0)
		log_err("fd store: cannot store the fd of buffer %s: %s; a crash would lose it",
			name, strerror(-r));
	return r;
}

static void record_fd_remove(uint64_t id, unsigned int what)
{
	char name[32];

	if (what & STORED_BUF) {
		fdstore_fd_name(name, sizeof(name), id, STORED_BUF);
		unstore(name);
	}
	if (what & STORED_STAGED) {
		fdstore_fd_name(name, sizeof(name), id, STORED_STAGED);
		unstore(name);
	}
}

static const struct persist_store_ops store_ops = {
	.fd_add = record_fd_add,
	.fd_remove = record_fd_remove,
	.changed = fdstore_record_changed,
};

int fdstore_attach(void)
{
	unsigned int up;

	if (!getenv("NOTIFY_SOCKET"))
		return 0;
	for (int i = 0; i < 2; i++) {
		int r;

		if (slot_fd[i] >= 0)
			continue;
		slot_fd[i] = memfd_create_private("dmabuffs-state");
		if (slot_fd[i] < 0) {
			log_err("fd store: cannot make the state record: %s",
				strerror(-slot_fd[i]));
			return slot_fd[i];
		}
		r = store_fd(slot_names[i], slot_fd[i]);
		if (r < 0) {
			log_err("fd store: cannot store the state record: %s", strerror(-r));
			return r;
		}
	}
	persist_set_store(&store_ops);
	up = persist_store_all();
	if (up)
		log_info("fd store: %u restored buffers stored under their new names", up);
	fdstore_record_changed(true);
	return 0;
}

int fdstore_save(void)
{
	unsigned int n;

	if (slot_fd[0] < 0)
		return 0;
	/* Every change is in the store already but times of writes: one last
	 * record, then nothing more (what a stop frees stays stored). */
	fdstore_record_changed(true);
	persist_set_store(NULL);
	n = fdstore_record_count();
	log_info("fd store: %u buffers kept in the service manager's store for the next start", n);
	return 0;
}

/* ---- restoring ---- */

/* ---- the mount's connection ---- */

/* Whether the store holds this run's connection; set by the main thread
 * before the loop starts. */
static bool fuse_kept;

void fdstore_fuse_keep(int fd, const uint8_t *init, size_t len, const char *dev)
{
	if (!getenv("NOTIFY_SOCKET") || slot_fd[0] < 0)
		return;
	/* Polled (no FDPOLL=0): a connection that ends (an unmount, an
	 * abort) polls POLLERR, and the service manager drops it by itself.
	 * Stored before the record that names it. */
	if (store_fd_poll(FUSE_NAME, fd, true) < 0) {
		log_warn("fd store: cannot keep the mount's /dev/fuse descriptor: a crash "
			 "unmounts");
		return;
	}
	fdstore_record_set_fuse(init, len, dev);
	fdstore_record_changed(true);
	fuse_kept = true;
	log_info("fd store: the mount's connection is kept: it outlives a crash of this "
		 "process");
}

void fdstore_fuse_adopted(const uint8_t *init, size_t len, const char *dev)
{
	/* Named by the next record as by the previous run's. */
	fdstore_record_set_fuse(init, len, dev);
	fdstore_record_changed(true);
	fuse_kept = true;
}

bool fdstore_keeps_connection(void)
{
	return fuse_kept;
}

void fdstore_fuse_drop(void)
{
	fuse_kept = false;
	if (slot_fd[0] < 0)
		return;
	/* Out of the record first, then out of the store. */
	fdstore_record_set_fuse(NULL, 0, NULL);
	fdstore_record_changed(true);
	unstore(FUSE_NAME);
}

int fdstore_find_fd(const struct stored *st, const char *name)
{
	for (int i = 0; i < st->n; i++)
		if (st->names[i] && strcmp(st->names[i], name) == 0)
			return i;
	return -1;
}

/* Whether any stored fd is a buffer's (b<id>, s<id>, or version 1's b<N>). */
static bool holds_buffers(const struct stored *st)
{
	for (int i = 0; i < st->n; i++)
		if (st->names[i] && st->fds[i] >= 0 &&
		    (st->names[i][0] == 'b' || st->names[i][0] == 's'))
			return true;
	return false;
}

/* What the service manager handed over, read once (sd_listen_fds_with_names
 * unsets the environment), for fdstore_take() and fdstore_restore(). */
static struct stored loaded;
static bool load_done;

static int load(void)
{
	if (load_done)
		return loaded.fds || loaded.n <= 0 ? 0 : -ENOMEM;
	load_done = true;
	loaded.n = sd_listen_fds_with_names(1, &loaded.names);
	if (loaded.n <= 0)
		return 0;
	loaded.fds = calloc((size_t)loaded.n, sizeof(*loaded.fds));
	if (!loaded.fds)
		return -ENOMEM;
	for (int i = 0; i < loaded.n; i++)
		loaded.fds[i] = SD_LISTEN_FDS_START + i;
	return 0;
}

/* The stored fd named name, taken (it stays in the store), or -1. */
static int take(const char *name)
{
	int k, fd;

	if (load() < 0 || (k = fdstore_find_fd(&loaded, name)) < 0 || loaded.fds[k] < 0)
		return -1;
	fd = loaded.fds[k];
	loaded.fds[k] = -1;
	free(loaded.names[k]);
	loaded.names[k] = NULL;
	return fd;
}

bool fdstore_holds(const char *name)
{
	return load() == 0 && fdstore_find_fd(&loaded, name) >= 0;
}

int fdstore_fuse_take(void)
{
	return take(FUSE_NAME);
}

int fdstore_control(const char *path, bool group_set, gid_t group)
{
	int fd = take(CONTROL_NAME), r;

	if (fd >= 0 && control_adopt(fd, path) == 0) {
		log_info("control socket %s: taken over from the previous run (clients that "
			 "connected meanwhile are served now)",
			 path);
		return 0;
	}
	r = control_bind(path, group_set, group);
	if (r < 0 || !getenv("NOTIFY_SOCKET"))
		return r;
	/* The previous run's socket (if any) leaves the store with its name. */
	unstore(CONTROL_NAME);
	if (store_fd(CONTROL_NAME, control_listen_fd()) == 0)
		control_keep_path();
	else
		log_warn("control socket: cannot keep it in the fd store; clients get "
			 "ECONNREFUSED while the daemon restarts");
	return 0;
}

int fdstore_restore(const struct config *cfg, struct reattach *ra)
{
	struct stored st;
	json_object *root = NULL, *list = NULL;
	unsigned int unlinked = 0, extra = 0;
	int restored = 0, failed = 0, r;
	int64_t version = 0;

	if (load() < 0) {
		log_err("fd store: out of memory reading %d stored fds; refusing to start "
			"rather than lose them",
			loaded.n);
		return -ENOMEM;
	}
	st = loaded;
	if (st.n <= 0)
		return 0;
	r = fdstore_record_pick(&st, &root, &list, &version);
	if (r == -ENOENT && !holds_buffers(&st)) {
		r = 0;
		goto refuse; /* nothing to bring back: what is left is closed */
	}
	if (r < 0) {
		/* The buffers stay in the store, untouched: a dmabuffs that can
		 * read the record (the one that wrote it) gets them back. */
		log_err("fd store: %d stored fds and %s; refusing to start so that no buffer "
			"is dropped. Start the dmabuffs that wrote the record, or empty the "
			"store to drop them (systemctl clean --what=fdstore dmabuffs)",
			st.n,
			r == -ENOENT ?
				"no state record" :
				"no state record this dmabuffs can read (it reads versions 1 and 2)");
		r = -EBADMSG;
		goto refuse;
	}
	restarts = fdstore_record_restarts(root);
	if (ra->fd >= 0) {
		if (fdstore_record_fuse(root, ra->init, &ra->init_len, ra->dev, sizeof(ra->dev)) <
		    0)
			ra->init_len = 0;
		reattach_check(ra);
		/* Every record from now on names it, as the last one did. */
		if (ra->ok) {
			fdstore_record_set_fuse(ra->init, ra->init_len, ra->dev);
			fdstore_record_notes(root);
		}
	}
	if (version >= 2)
		for (int i = 0; i < 2; i++) {
			int k = fdstore_find_fd(&st, slot_names[i]);

			if (k < 0)
				continue;
			/* The slots stay in the store and are written again. */
			slot_fd[i] = st.fds[k];
			st.fds[k] = -1;
			free(st.names[k]);
			st.names[k] = NULL;
		}
	for (size_t i = 0; i < json_object_array_length(list); i++) {
		if (fdstore_record_restore_one(cfg, json_object_array_get_idx(list, i), i, &st,
					       version < 2, i + 1, ra->ok, &unlinked) < 0)
			failed++;
		else
			restored++;
	}
	restored -= (int)unlinked;
	for (int i = 0; i < st.n; i++)
		if (st.names[i] && st.fds[i] >= 0 && strcmp(st.names[i], STATE_NAME_V1) &&
		    strncmp(st.names[i], "state.", 6) && strcmp(st.names[i], CONTROL_NAME) &&
		    strcmp(st.names[i], FUSE_NAME))
			extra++;
	log_info("fd store: %d buffers restored from the previous run (record version %" PRId64
		 ")%s",
		 restored, version, failed ? "; some failed, see above" : "");
	if (unlinked)
		log_info("fd store: %u unlinked files that were open are released: their opens "
			 "ended with the old mount",
			 unlinked);
	if (extra)
		log_info("fd store: %u stored fds no record names (changes a crash cut short "
			 "before they were acknowledged) are closed",
			 extra);
	r = restored;
	/* Whatever was not kept under its name leaves the store. */
	for (int i = 0; i < st.n; i++)
		if (st.names[i])
			unstore(st.names[i]);
refuse:
	for (int i = 0; i < st.n; i++) {
		if (st.fds[i] >= 0)
			close(st.fds[i]);
		free(st.names[i]);
	}
	free(st.names);
	free(st.fds);
	loaded = (struct stored){ 0 };
	json_object_put(root);
	return r;
}
