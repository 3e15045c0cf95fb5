// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The fd store (see fdstore.h). One message per buffer, because FDNAME=
 * names every fd of its message; the state record comes last, so a store
 * cut short by a crash mid-way has buffers and no state, and the next start
 * then brings nothing back rather than half a tree (the fds are closed).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>
#include <systemd/sd-daemon.h>

#include "backend/backend.h"
#include "buffer.h"
#include "conf.h"
#include "daemon/fdstore.h"
#include "fs/persist.h"
#include "shared/log.h"
#include "shared/macro.h"

#define STATE_NAME "state"
#define STATE_VERSION 1
#define STATE_MAX (64 << 20)

/* The record's keys for enum meta_key (the xattr names' last part). */
static const char *const meta_keys[META_COUNT] = {
	[META_FORMAT] = "format",     [META_WIDTH] = "width",
	[META_HEIGHT] = "height",     [META_STRIDE] = "stride",
	[META_MODIFIER] = "modifier", [META_PITCHES] = "pitches",
	[META_OFFSETS] = "offsets",
};
/* A key added to enum meta_key needs its name here (a NULL key crashed
 * the restore when pitches/offsets came in). */
_Static_assert(META_OFFSETS == META_COUNT - 1, "meta_keys[] lists every metadata key");

static const char *const origin_keys[] = {
	[ORIGIN_CREATED] = "created",
	[ORIGIN_PUBLISHED] = "published",
	[ORIGIN_IMPORTED] = "imported",
};

/* Names are bytes, not text: hex keeps them exact through JSON. */
static void hex_encode(const char *s, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (; *s; s++) {
		*out++ = digits[(unsigned char)*s >> 4];
		*out++ = digits[(unsigned char)*s & 15];
	}
	*out = '\0';
}

static int hex_decode(const char *s, char *out, size_t size)
{
	size_t n = strlen(s), i;

	if (n % 2 || n / 2 >= size)
		return -EINVAL;
	for (i = 0; i < n / 2; i++) {
		unsigned int v;

		if (sscanf(s + 2 * i, "%2x", &v) != 1)
			return -EINVAL;
		out[i] = (char)v;
	}
	out[i] = '\0';
	return 0;
}

void fdstore_notify_ready(const char *status)
{
	sd_notifyf(0, "READY=1\nSTATUS=%s", status);
}

/* ---- saving ---- */

struct save {
	json_object *list;
	unsigned int n, failed;
};

static int save_one(const struct tree_record *rec, void *data)
{
	struct save *sv = data;
	char fdname[32], hex[2 * sizeof(rec->name) + 1], msg[64];
	json_object *o, *meta;
	int r;

	snprintf(fdname, sizeof(fdname), "b%u", sv->n);
	snprintf(msg, sizeof(msg), "FDSTORE=1\nFDNAME=%s", fdname);
	r = sd_pid_notify_with_fds(0, 0, msg, &rec->buf->fd, 1);
	if (r <= 0) {
		log_err("%s: cannot hand the buffer to the fd store: %s",
			rec->name, r < 0 ? strerror(-r) : "no NOTIFY_SOCKET");
		sv->failed++;
		return 0;
	}
	hex_encode(rec->name, hex);
	o = json_object_new_object();
	json_object_object_add(o, "fd", json_object_new_string(fdname));
	json_object_object_add(o, "name", json_object_new_string(hex));
	json_object_object_add(o, "uid", json_object_new_int64(rec->uid));
	json_object_object_add(o, "gid", json_object_new_int64(rec->gid));
	json_object_object_add(o, "mode",
			       json_object_new_int(rec->mode & 07777));
	json_object_object_add(
		o, "origin", json_object_new_string(origin_keys[rec->origin]));
	json_object_object_add(
		o, "backend",
		rec->buf->be ? json_object_new_string(rec->buf->be->name) :
			       NULL);
	json_object_object_add(o, "iomem",
			       json_object_new_int(rec->iomem_override));
	json_object_object_add(o, "mtime_sec",
			       json_object_new_int64(rec->mtime.tv_sec));
	json_object_object_add(o, "mtime_nsec",
			       json_object_new_int64(rec->mtime.tv_nsec));
	meta = json_object_new_object();
	for (int k = 0; k < META_COUNT; k++)
		if (rec->meta[k][0])
			json_object_object_add(
				meta, meta_keys[k],
				json_object_new_string(rec->meta[k]));
	json_object_object_add(o, "meta", meta);
	json_object_array_add(sv->list, o);
	sv->n++;
	return 0;
}

/* Runs before this one that handed over their buffers (clean restarts):
 * the state record carries the count from one run to the next. */
static unsigned restarts;

unsigned fdstore_restarts(void)
{
	return restarts;
}

int fdstore_save(void)
{
	struct save sv = { .list = json_object_new_array() };
	json_object *root = json_object_new_object();
	_cleanup_close_ int fd = -1;
	const char *text;
	size_t len;
	int r;

	if (!getenv("NOTIFY_SOCKET")) {
		json_object_put(root);
		json_object_put(sv.list);
		return 0;
	}
	tree_save(save_one, &sv);
	json_object_object_add(root, "version",
			       json_object_new_int(STATE_VERSION));
	json_object_object_add(root, "buffers", sv.list);
	json_object_object_add(root, "restarts", json_object_new_int64((int64_t)restarts + 1));
	text = json_object_to_json_string_length(root, JSON_C_TO_STRING_PLAIN,
						 &len);
	fd = memfd_create("dmabuffs-state", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0 || write(fd, text, len) != (ssize_t)len ||
	    fcntl(fd, F_ADD_SEALS,
		  F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) <
		    0) {
		r = -errno;
		log_err("fd store: cannot write the state record: %m");
		json_object_put(root);
		return r ? r : -EIO;
	}
	json_object_put(root);
	r = sd_pid_notify_with_fds(0, 0, "FDSTORE=1\nFDNAME=" STATE_NAME, &fd,
				   1);
	if (r <= 0) {
		log_err("fd store: cannot hand over the state record: %s",
			r < 0 ? strerror(-r) : "no NOTIFY_SOCKET");
		return r < 0 ? r : -ENOTCONN;
	}
	log_info(
		"fd store: %u buffers handed to the service manager for the next start%s",
		sv.n, sv.failed ? " (some failed, see above)" : "");
	return 0;
}

/* ---- restoring ---- */

static int json_int(json_object *o, const char *key, int64_t *out)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_int))
		return -EINVAL;
	*out = json_object_get_int64(v);
	return 0;
}

static const char *json_str(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

/* One record of the state: rec filled, its fd name and backend out. */
static int parse_record(json_object *o, struct tree_record *rec,
			const char **fdname, const char **backend)
{
	int64_t uid, gid, mode, iomem, sec, nsec;
	const char *name, *origin;
	json_object *meta;
	int k;

	memset(rec, 0, sizeof(*rec));
	*fdname = json_str(o, "fd");
	*backend = json_str(o, "backend");
	name = json_str(o, "name");
	origin = json_str(o, "origin");
	if (!*fdname || !name || !origin || json_int(o, "uid", &uid) < 0 ||
	    json_int(o, "gid", &gid) < 0 || json_int(o, "mode", &mode) < 0 ||
	    json_int(o, "iomem", &iomem) < 0 ||
	    json_int(o, "mtime_sec", &sec) < 0 ||
	    json_int(o, "mtime_nsec", &nsec) < 0 ||
	    hex_decode(name, rec->name, sizeof(rec->name)) < 0)
		return -EINVAL;
	if (uid < 0 || uid >= (uid_t)-1 || gid < 0 || gid >= (gid_t)-1 ||
	    mode < 0 || mode > 07777 || iomem < -1 || iomem > 1)
		return -EINVAL;
	rec->uid = (uid_t)uid;
	rec->gid = (gid_t)gid;
	rec->mode = (mode_t)mode;
	rec->iomem_override = (int)iomem;
	rec->mtime.tv_sec = sec;
	rec->mtime.tv_nsec = nsec;
	for (k = 0; k < (int)ARRAY_SIZE(origin_keys); k++)
		if (strcmp(origin, origin_keys[k]) == 0)
			break;
	if (k == (int)ARRAY_SIZE(origin_keys))
		return -EINVAL;
	rec->origin = (enum origin)k;
	if (json_object_object_get_ex(o, "meta", &meta) &&
	    json_object_is_type(meta, json_type_object))
		for (k = 0; k < META_COUNT; k++) {
			const char *v = json_str(meta, meta_keys[k]);

			if (v && strlen(v) <= META_VALUE_MAX)
				snprintf(rec->meta[k], sizeof(rec->meta[k]),
					 "%s", v);
		}
	return 0;
}

static json_object *read_state(int fd)
{
	struct stat st;
	_cleanup_free_ char *text = NULL;
	json_object *root;

	if (fstat(fd, &st) < 0 || st.st_size <= 0 || st.st_size > STATE_MAX)
		return NULL;
	text = malloc((size_t)st.st_size + 1);
	if (!text || pread(fd, text, (size_t)st.st_size, 0) != st.st_size)
		return NULL;
	text[st.st_size] = '\0';
	root = json_tokener_parse(text);
	return root;
}

static int find_fd(char **names, int n, const char *name)
{
	for (int i = 0; i < n; i++)
		if (names[i] && strcmp(names[i], name) == 0)
			return i;
	return -1;
}

/* The store keeps what it was given until told otherwise: the fds now
 * live in the tree, and the next stop stores the tree as it is then. */
static void remove_from_store(char **names, int n)
{
	char msg[300];

	for (int i = 0; i < n; i++) {
		if (!names[i])
			continue;
		snprintf(msg, sizeof(msg), "FDSTOREREMOVE=1\nFDNAME=%s",
			 names[i]);
		sd_notify(0, msg);
	}
}

static int restore_all(json_object *list, char **names, int *fds, int n)
{
	int restored = 0;

	for (size_t i = 0; i < json_object_array_length(list); i++) {
		struct tree_record rec;
		const char *fdname, *bename;
		struct backend *be = NULL;
		struct buffer *buf;
		int k, r;

		if (parse_record(json_object_array_get_idx(list, i), &rec,
				 &fdname, &bename) < 0) {
			log_err("fd store: record %zu of the state is malformed, skipped",
				i);
			continue;
		}
		k = find_fd(names, n, fdname);
		if (k < 0 || fds[k] < 0) {
			log_err("%s: its fd (%s) is not in the store, not restored",
				rec.name, fdname);
			continue;
		}
		if (bename && !(be = registry_find(bename)))
			log_warn(
				"%s: backend %s is gone; restored as an imported buffer",
				rec.name, bename);
		r = buffer_new(fds[k], be, tree_config()->iomem_mode, &buf);
		fds[k] = -1; /* buffer_new() owns it now, also on error */
		if (r < 0) {
			log_err("%s: cannot restore the stored buffer: %s",
				rec.name, strerror(-r));
			continue;
		}
		if (rec.iomem_override >= 0)
			buffer_set_iomem(buf, rec.iomem_override,
					 tree_config()->iomem_mode);
		buffer_set_dmabuf_name(buf, rec.name);
		r = tree_restore(&rec, buf);
		buffer_unref(buf);
		if (r < 0) {
			log_err("%s: cannot restore the stored buffer: %s",
				rec.name, strerror(-r));
			continue;
		}
		restored++;
	}
	return restored;
}

int fdstore_restore(void)
{
	char **names = NULL;
	json_object *root = NULL, *list;
	int n, *fds = NULL, state, restored = 0;
	int64_t version;

	n = sd_listen_fds_with_names(1, &names);
	if (n <= 0)
		return 0;
	fds = calloc((size_t)n, sizeof(*fds));
	if (!fds) {
		log_err("fd store: out of memory; %d stored fds closed", n);
		goto out;
	}
	for (int i = 0; i < n; i++)
		fds[i] = SD_LISTEN_FDS_START + i;
	state = find_fd(names, n, STATE_NAME);
	if (state < 0) {
		log_err("fd store: %d fds and no state record (a stop cut short?); closed",
			n);
		goto out;
	}
	root = read_state(fds[state]);
	if (!root || json_int(root, "version", &version) < 0 ||
	    version != STATE_VERSION ||
	    !json_object_object_get_ex(root, "buffers", &list) ||
	    !json_object_is_type(list, json_type_array)) {
		log_err("fd store: the state record is unreadable; %d stored fds closed",
			n);
		goto out;
	}
	/* A record from before the count: at least one run came before. */
	restarts = json_int(root, "restarts", &version) == 0 && version > 0 &&
				   version < UINT32_MAX ?
			   (unsigned)version :
			   1;
	restored = restore_all(list, names, fds, n);
	log_info("fd store: %d buffers restored from the previous run",
		 restored);
out:
	remove_from_store(names, n);
	for (int i = 0; i < n; i++) {
		if (fds && fds[i] >= 0)
			close(fds[i]);
		else if (!fds)
			close(SD_LISTEN_FDS_START + i);
		if (names)
			free(names[i]);
	}
	free(names);
	free(fds);
	json_object_put(root);
	return restored;
}
