// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The fd store's state record (see fdstore.h): what is written into the
 * two slots, how a record is parsed back, which record is the newest, and
 * how each of its entries becomes a buffer again. Apart from fdstore.c
 * (the service manager's side: which fds are stored under which name, and
 * when) because the record is a format of its own, read back by a later
 * dmabuffs, with its own versions.
 *
 * The state record lives in two memfds that stay in the store (state.0,
 * state.1) and are rewritten in place, alternately, each whole record with
 * a sequence number: a crash in the middle of a write leaves that slot
 * unparseable (a cut JSON object never parses) and the other one whole, so
 * the next start reads the newest whole record. A change waits for the
 * record only where its caller acknowledges it next (create, rename,
 * chmod, setxattr, publish...); callers that arrive while a record is
 * being written share the next one (a group commit), so a burst of N
 * changes costs far fewer than N records.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "backend/backend.h"
#include "buffer.h"
#include "conf.h"
#include "daemon/fdstore.h"
#include "daemon/fdstore-internal.h"
#include "daemon/reattach.h"
#include "tree/persist.h"
#include "shared/fdinfo.h"
#include "shared/log.h"
#include "shared/macro.h"
#include "shared/util.h"

#define STATE_VERSION 2
#define STATE_MAX (64 << 20)

/* The record's keys for enum meta_key (the xattr names' last part). */
static const char *const meta_keys[META_COUNT] = {
	[META_FORMAT] = "format",   [META_WIDTH] = "width",	  [META_HEIGHT] = "height",
	[META_STRIDE] = "stride",   [META_MODIFIER] = "modifier", [META_PITCHES] = "pitches",
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

/* Names and the FUSE_INIT are bytes: hex keeps them exact through JSON. */
static void hex_encode_bytes(const uint8_t *b, size_t len, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < len; i++) {
		*out++ = digits[b[i] >> 4];
		*out++ = digits[b[i] & 15];
	}
	*out = '\0';
}

static void hex_encode(const char *s, char *out)
{
	hex_encode_bytes((const uint8_t *)s, strlen(s), out);
}

/* At most max bytes out, *len of them; -EINVAL for anything else. */
static int hex_decode_bytes(const char *s, uint8_t *out, size_t max, size_t *len)
{
	size_t n = strlen(s);

	if (n % 2 || n / 2 > max)
		return -EINVAL;
	for (size_t i = 0; i < n / 2; i++) {
		unsigned int v;

		if (sscanf(s + 2 * i, "%2x", &v) != 1)
			return -EINVAL;
		out[i] = (uint8_t)v;
	}
	*len = n / 2;
	return 0;
}

static int hex_decode(const char *s, char *out, size_t size)
{
	size_t len = 0;
	int r = hex_decode_bytes(s, (uint8_t *)out, size - 1, &len);

	out[len] = '\0'; /* a name, NUL-terminated (len 0 on error) */
	return r;
}

static const char *json_str(json_object *o, const char *key);
static int json_int(json_object *o, const char *key, int64_t *out);

/* ---- writing the record ---- */

/* The sequence number of the last record written, and the group commit:
 * store_lock protects all of it; a writer drops it while writing. The
 * slots themselves (fdstore_slot()) are set before the store is attached
 * and do not change after. */
static pthread_mutex_t store_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t store_cond = PTHREAD_COND_INITIALIZER;
static uint64_t seq;
static uint64_t gen_wanted, gen_done;
static bool writing;
static unsigned int last_count;
/* The mount's connection in the store: the FUSE_INIT that started it (hex)
 * and its device, "" while none is stored; store_lock. */
static char fuse_init_hex[2 * REATTACH_INIT_MAX + 1], fuse_dev[32];

void fdstore_record_set_fuse(const uint8_t *init, size_t len, const char *dev)
{
	pthread_mutex_lock(&store_lock);
	hex_encode_bytes(init, len < REATTACH_INIT_MAX ? len : REATTACH_INIT_MAX, fuse_init_hex);
	snprintf(fuse_dev, sizeof(fuse_dev), "%s", len ? dev : "");
	pthread_mutex_unlock(&store_lock);
}

int fdstore_record_fuse(json_object *root, uint8_t *init, size_t *len, char *dev, size_t devsz)
{
	json_object *o;
	const char *hex, *d;

	*len = 0;
	if (!json_object_object_get_ex(root, "fuse", &o) ||
	    !json_object_is_type(o, json_type_object))
		return -ENOENT;
	hex = json_str(o, "init");
	d = json_str(o, "dev");
	if (!hex || !d || hex_decode_bytes(hex, init, REATTACH_INIT_MAX, len) < 0)
		return -EINVAL; /* *len stays 0 */
	snprintf(dev, devsz, "%s", d);
	return 0;
}

struct save {
	json_object *list;
	unsigned int n;
};

/* The tree's records, copied under the tree lock; JSON is made after it
 * is dropped (about 5 us a buffer: 50 ms of stalled requests at 10,000
 * buffers if made under it). buf and staged_fd only say which kind. */
struct copy {
	struct persist_record *recs;
	size_t n, cap;
	bool failed;
};

static int copy_one(const struct persist_record *rec, void *data)
{
	struct copy *c = data;

	if (c->n == c->cap) {
		size_t cap = c->cap ? 2 * c->cap : 256;
		struct persist_record *more = realloc(c->recs, cap * sizeof(*more));

		if (!more) {
			c->failed = true;
			return -ENOMEM;
		}
		c->recs = more;
		c->cap = cap;
	}
	c->recs[c->n++] = *rec;
	return 0;
}

static int save_one(const struct persist_record *rec, void *data)
{
	struct save *sv = data;
	char fdname[32], hex[2 * sizeof(rec->name) + 1];
	json_object *o, *meta;
	unsigned int what = rec->buf ? STORED_BUF : rec->staged_fd >= 0 ? STORED_STAGED : 0;

	hex_encode(rec->name, hex);
	o = json_object_new_object();
	json_object_object_add(o, "id", json_object_new_int64((int64_t)rec->id));
	json_object_object_add(o, "linked", json_object_new_boolean(rec->linked));
	if (what) {
		fdstore_fd_name(fdname, sizeof(fdname), rec->id, what);
		json_object_object_add(o, "fd", json_object_new_string(fdname));
	}
	json_object_object_add(o, "name", json_object_new_string(hex));
	json_object_object_add(o, "uid", json_object_new_int64(rec->uid));
	json_object_object_add(o, "gid", json_object_new_int64(rec->gid));
	json_object_object_add(o, "mode", json_object_new_int(rec->mode & 07777));
	json_object_object_add(o, "origin", json_object_new_string(origin_keys[rec->origin]));
	json_object_object_add(o, "backend",
			       rec->be ? json_object_new_string(rec->be->name) : NULL);
	json_object_object_add(o, "iomem", json_object_new_int(rec->iomem_override));
	if (rec->backing_id > 0)
		json_object_object_add(o, "backing_id", json_object_new_int(rec->backing_id));
	json_object_object_add(o, "mtime_sec", json_object_new_int64(rec->mtime.tv_sec));
	json_object_object_add(o, "mtime_nsec", json_object_new_int64(rec->mtime.tv_nsec));
	meta = json_object_new_object();
	for (int k = 0; k < META_COUNT; k++)
		if (rec->meta[k][0])
			json_object_object_add(meta, meta_keys[k],
					       json_object_new_string(rec->meta[k]));
	json_object_object_add(o, "meta", meta);
	json_object_array_add(sv->list, o);
	sv->n++;
	return 0;
}

static const char *const op_keys[] = {
	[PERSIST_RENAME] = "rename",
	[PERSIST_UNLINK] = "unlink",
	[PERSIST_CREATE] = "create",
};

/* The renames and unlinks noted (tree/journal.c), for a re-attached start
 * to tell a resent call from a new one. */
static int save_note(const struct persist_note *n, void *data)
{
	json_object *root = data, *list, *o;
	char hex[2 * sizeof(n->a) + 1];

	if (!json_object_object_get_ex(root, "done", &list)) {
		list = json_object_new_array();
		json_object_object_add(root, "done", list);
	}
	o = json_object_new_object();
	json_object_object_add(o, "op", json_object_new_string(op_keys[n->op]));
	json_object_object_add(o, "pid", json_object_new_int64(n->pid));
	hex_encode(n->a, hex);
	json_object_object_add(o, "a", json_object_new_string(hex));
	hex_encode(n->b, hex);
	json_object_object_add(o, "b", json_object_new_string(hex));
	json_object_array_add(list, o);
	return 0;
}

void fdstore_record_notes(json_object *root)
{
	json_object *list;

	if (!json_object_object_get_ex(root, "done", &list) ||
	    !json_object_is_type(list, json_type_array))
		return;
	for (size_t i = 0; i < json_object_array_length(list); i++) {
		json_object *o = json_object_array_get_idx(list, i);
		struct persist_note n = { 0 };
		const char *op = json_str(o, "op"), *a = json_str(o, "a"), *b = json_str(o, "b");
		int64_t pid;
		int k;

		if (!op || !a || !b || json_int(o, "pid", &pid) < 0 || pid <= 0 ||
		    pid > INT32_MAX || hex_decode(a, n.a, sizeof(n.a)) < 0 ||
		    hex_decode(b, n.b, sizeof(n.b)) < 0)
			continue;
		for (k = 0; k < (int)ARRAY_SIZE(op_keys); k++)
			if (strcmp(op, op_keys[k]) == 0)
				break;
		if (k == (int)ARRAY_SIZE(op_keys))
			continue;
		n.op = (enum persist_op)k;
		n.pid = (pid_t)pid;
		persist_note_restore(&n);
	}
}

/* Write the tree as it is now into the older slot. store_lock not held
 * (writing is set: nobody else writes). */
static int write_record(uint64_t s, unsigned int *count)
{
	struct save sv = { .list = NULL };
	struct copy c = { 0 };
	json_object *root;
	int fd = fdstore_slot(s % 2), r = 0;
	const char *text;
	size_t len;

	/* A record cut short would drop buffers: none rather than that. */
	persist_save(copy_one, &c);
	if (c.failed) {
		free(c.recs);
		return -ENOMEM;
	}
	sv.list = json_object_new_array();
	root = json_object_new_object();
	for (size_t i = 0; i < c.n; i++)
		save_one(&c.recs[i], &sv);
	free(c.recs);
	json_object_object_add(root, "version", json_object_new_int(STATE_VERSION));
	json_object_object_add(root, "seq", json_object_new_int64((int64_t)s));
	json_object_object_add(root, "buffers", sv.list);
	json_object_object_add(root, "restarts",
			       json_object_new_int64((int64_t)fdstore_restarts()));
	persist_notes(save_note, root);
	pthread_mutex_lock(&store_lock);
	if (fuse_init_hex[0]) {
		json_object *f = json_object_new_object();

		json_object_object_add(f, "init", json_object_new_string(fuse_init_hex));
		json_object_object_add(f, "dev", json_object_new_string(fuse_dev));
		json_object_object_add(root, "fuse", f);
	}
	pthread_mutex_unlock(&store_lock);
	text = json_object_to_json_string_length(root, JSON_C_TO_STRING_PLAIN, &len);
	if (len > STATE_MAX)
		r = -EFBIG;
	else if (ftruncate(fd, 0) < 0 || pwrite(fd, text, len, 0) != (ssize_t)len)
		r = errno ? -errno : -EIO;
	json_object_put(root);
	*count = sv.n;
	return r;
}

void fdstore_record_changed(bool wait)
{
	uint64_t mine;

	pthread_mutex_lock(&store_lock);
	mine = ++gen_wanted;
	while (wait && gen_done < mine) {
		uint64_t target, s;
		unsigned int n = 0;
		int r;

		if (writing) {
			pthread_cond_wait(&store_cond, &store_lock);
			continue;
		}
		/* This record has every change asked for so far. */
		writing = true;
		target = gen_wanted;
		s = ++seq;
		pthread_mutex_unlock(&store_lock);
		r = write_record(s, &n);
		if (r < 0)
			log_err("fd store: cannot write the state record: %s; a crash now "
				"loses what changed since the last one",
				strerror(-r));
		pthread_mutex_lock(&store_lock);
		writing = false;
		gen_done = target;
		last_count = n;
		pthread_cond_broadcast(&store_cond);
	}
	pthread_mutex_unlock(&store_lock);
}

unsigned int fdstore_record_count(void)
{
	unsigned int n;

	pthread_mutex_lock(&store_lock);
	n = last_count;
	pthread_mutex_unlock(&store_lock);
	return n;
}

/* ---- reading it back ---- */

static int json_int(json_object *o, const char *key, int64_t *out)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_int))
		return -EINVAL;
	*out = json_object_get_int64(v);
	return 0;
}

static const char *json_str(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

/* One record of the state: rec filled, its fd name (NULL: no bytes yet)
 * and backend out. Version 1 records have no id (id 0 out) and are all
 * linked and allocated. */
static int parse_record(json_object *o, struct persist_record *rec, const char **fdname,
			const char **backend)
{
	int64_t uid, gid, mode, iomem, sec, nsec, id = 0, backing = 0;
	const char *name, *origin;
	json_object *meta, *linked;
	int k;

	memset(rec, 0, sizeof(*rec));
	rec->staged_fd = -1;
	*fdname = json_str(o, "fd");
	*backend = json_str(o, "backend");
	name = json_str(o, "name");
	origin = json_str(o, "origin");
	if (json_object_object_get_ex(o, "id", &linked) && json_int(o, "id", &id) < 0)
		return -EINVAL;
	rec->linked = !json_object_object_get_ex(o, "linked", &linked) ||
		      json_object_get_boolean(linked);
	if (!name || !origin || json_int(o, "uid", &uid) < 0 || json_int(o, "gid", &gid) < 0 ||
	    json_int(o, "mode", &mode) < 0 || json_int(o, "iomem", &iomem) < 0 ||
	    json_int(o, "mtime_sec", &sec) < 0 || json_int(o, "mtime_nsec", &nsec) < 0 ||
	    hex_decode(name, rec->name, sizeof(rec->name)) < 0)
		return -EINVAL;
	if (json_object_object_get_ex(o, "backing_id", &linked) &&
	    (json_int(o, "backing_id", &backing) < 0 || backing < 0 || backing > INT32_MAX))
		return -EINVAL;
	rec->backing_id = (int)backing;
	if (uid < 0 || uid >= (uid_t)-1 || gid < 0 || gid >= (gid_t)-1 || mode < 0 ||
	    mode > 07777 || iomem < -1 || iomem > 1 || id < 0 || (int64_t)(id >> 55))
		return -EINVAL;
	rec->id = (uint64_t)id;
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
				snprintf(rec->meta[k], sizeof(rec->meta[k]), "%s", v);
		}
	return 0;
}

static json_object *read_state(int fd)
{
	struct stat st;
	_cleanup_free_ char *text = NULL;

	if (fstat(fd, &st) < 0 || st.st_size <= 0 || st.st_size > STATE_MAX)
		return NULL;
	text = malloc((size_t)st.st_size + 1);
	if (!text || pread(fd, text, (size_t)st.st_size, 0) != st.st_size)
		return NULL;
	text[st.st_size] = '\0';
	return json_tokener_parse(text);
}

/* Identified as PUBLISH does, without calling into its file system. */
static bool fd_is_memfd(int fd)
{
	struct dmabuf_fdinfo info;
	bool is_memfd = false;

	return dmabuf_fd_identify(fd, &info, &is_memfd) == 0 && is_memfd;
}

/* A staging memfd a crash left: a memfd, and nothing else (its size still
 * grows with writes, so no seal). */
static int restore_check_staged(int fd, const char **why)
{
	*why = "a staged file's fd that is not a memfd";
	if (!fd_is_memfd(fd))
		return -EINVAL;
	*why = NULL;
	return memfd_make_private(fd);
}

/*
 * Whether a stored fd may become a buffer: what the control socket accepts
 * in a PUBLISH (a dma-buf, or while the memfd backend runs a memfd whose
 * size is sealed), and never the state record itself. Decided as there,
 * without calling into the fd's file system: a file of a hung FUSE server
 * would stop the start for good. 0, or -EINVAL with *why.
 */
static int restore_check(int fd, bool is_state, const char **why)
{
	struct dmabuf_fdinfo info;
	bool is_memfd = false;

	*why = NULL;
	if (is_state) {
		*why = "it is the state record";
		return -EINVAL;
	}
	if (dmabuf_fd_identify(fd, &info, &is_memfd) < 0) {
		*why = "it is neither a dma-buf nor a memfd";
		return -EINVAL;
	}
	if (!is_memfd)
		return 0;
	if (!registry_memfd_only()) {
		*why = "it is a memfd, and the daemon does not run the memfd backend";
		return -EINVAL;
	}
	return memfd_fix_size(fd, why);
}

/* A record's version and buffer list; NULL with *why set when unusable. */
static json_object *record_list(json_object *root, int64_t *version, uint64_t *s, const char **why)
{
	json_object *list;
	int64_t v = 0;

	*why = "not JSON (cut short or damaged)";
	if (!root)
		return NULL;
	*why = "no version";
	if (json_int(root, "version", &v) < 0)
		return NULL;
	*version = v;
	*why = "a version this dmabuffs does not read";
	if (v < 1 || v > STATE_VERSION)
		return NULL;
	*why = "no buffer list";
	if (!json_object_object_get_ex(root, "buffers", &list) ||
	    !json_object_is_type(list, json_type_array))
		return NULL;
	*s = 0;
	if (v >= 2 && json_int(root, "seq", (int64_t *)s) < 0)
		return NULL;
	return list;
}

int fdstore_record_restore_one(const struct config *cfg, json_object *o, size_t i,
			       struct stored *st, bool v1, uint64_t v1_id, bool reattach,
			       unsigned int *skipped_unlinked)
{
	struct persist_record rec;
	const char *fdname, *bename, *why;
	struct buffer *buf = NULL;
	char want[32], byid[2][32];
	int k, fd = -1, r;

	if (parse_record(o, &rec, &fdname, &bename) < 0) {
		log_err("fd store: record %zu of the state is malformed, skipped", i);
		return -EINVAL;
	}
	if (v1)
		rec.id = v1_id;
	if (rec.id == 0) {
		log_err("%s: its record has no id, not restored", rec.name);
		return -EINVAL;
	}
	/* Version 2 finds the bytes by id, not by the record's fd: staging and
	 * allocation store their fd before the write or close returns and do
	 * not wait for a record (the buffer's fd wins over a staging memfd a
	 * crash left beside it). */
	if (!v1) {
		fdstore_fd_name(byid[0], sizeof(byid[0]), rec.id, STORED_BUF);
		fdstore_fd_name(byid[1], sizeof(byid[1]), rec.id, STORED_STAGED);
		fdname = NULL;
		for (int j = 0; j < 2 && !fdname; j++)
			if (fdstore_find_fd(st, byid[j]) >= 0)
				fdname = byid[j];
	}
	rec.kernel_held = reattach;
	if (!rec.linked && !reattach) {
		/* A file that was open but had no name: after a new mount
		 * nobody can reach it; its fd leaves the store below. */
		k = fdname ? fdstore_find_fd(st, fdname) : -1;
		if (k >= 0 && st->fds[k] >= 0) {
			close(st->fds[k]);
			st->fds[k] = -1;
		}
		(*skipped_unlinked)++;
		return 0;
	}
	if (bename && !(rec.be = registry_find(bename)))
		log_warn("%s: backend %s is gone; restored as an imported buffer", rec.name,
			 bename);
	if (fdname) {
		bool staged;

		k = fdstore_find_fd(st, fdname);
		if (k < 0 || st->fds[k] < 0) {
			log_err("%s: its fd (%s) is not in the store, not restored", rec.name,
				fdname);
			return -ENOENT;
		}
		fd = st->fds[k];
		st->fds[k] = -1;
		/* Only version 2 names staging memfds (s<ID>, found by id above);
		 * a version 1 record's fd name is whatever the record says. */
		staged = !v1 && fdname[0] == 's';
		r = staged ? restore_check_staged(fd, &why) :
			     restore_check(fd, strncmp(fdname, "state", 5) == 0, &why);
		if (r < 0) {
			log_err("%s: the stored fd (%s) is not restored: %s", rec.name, fdname,
				why);
			close(fd);
			return r;
		}
		/* Kept in the store where it already is under the name this
		 * run gives it; stored again under that name otherwise. */
		fdstore_fd_name(want, sizeof(want), rec.id, staged ? STORED_STAGED : STORED_BUF);
		if (strcmp(want, fdname) == 0) {
			rec.stored = staged ? STORED_STAGED : STORED_BUF;
			free(st->names[k]);
			st->names[k] = NULL; /* not taken out of the store */
		}
		if (!staged) {
			r = buffer_new(fd, rec.be, cfg->iomem_mode, &buf);
			fd = -1; /* buffer_new() owns it now, also on error */
			if (r < 0) {
				log_err("%s: cannot restore the stored buffer: %s", rec.name,
					strerror(-r));
				return r;
			}
			if (rec.iomem_override >= 0)
				buffer_set_iomem(buf, rec.iomem_override, cfg->iomem_mode);
			buffer_set_dmabuf_name(buf, rec.name);
		}
	}
	r = persist_restore(&rec, buf, fd);
	buffer_unref(buf);
	if (r < 0) {
		log_err("%s: cannot restore the stored buffer: %s", rec.name, strerror(-r));
		return r;
	}
	return 0;
}

/* The newest whole record among the slots (or version 1's). */
int fdstore_record_pick(struct stored *st, json_object **root_out, json_object **list_out,
			int64_t *version_out)
{
	uint64_t best_seq = 0;
	int best = -1;
	bool any = false;

	*root_out = NULL;
	for (int i = 0; i < 3; i++) {
		const char *name = i < 2 ? slot_names[i] : STATE_NAME_V1, *why;
		json_object *root, *list;
		int64_t version = 0;
		uint64_t s = 0;
		int k = fdstore_find_fd(st, name);

		if (k < 0)
			continue;
		any = true;
		/* A record is a memfd of ours: never read another file (one of
		 * a hung FUSE server would stop the start for good). */
		if (!fd_is_memfd(st->fds[k])) {
			log_warn("fd store: the state record %s is not a memfd, ignored", name);
			continue;
		}
		root = read_state(st->fds[k]);
		list = record_list(root, &version, &s, &why);
		if (!list) {
			/* One slot cut short by a crash is expected: the other
			 * has the record before. Said once both are looked at. */
			log_warn("fd store: the state record %s is unusable: %s (version %" PRId64
				 ")",
				 name, why, version);
			json_object_put(root);
			continue;
		}
		if (best < 0 || s > best_seq) {
			json_object_put(*root_out);
			*root_out = root;
			*list_out = list;
			*version_out = version;
			best_seq = s;
			best = k;
		} else {
			json_object_put(root);
		}
	}
	if (best < 0)
		return any ? -EBADMSG : -ENOENT;
	pthread_mutex_lock(&store_lock);
	seq = best_seq;
	pthread_mutex_unlock(&store_lock);
	return best;
}

/* This run is one more than the record's (a record from before the
 * count: at least one run came before). */
unsigned int fdstore_record_restarts(json_object *root)
{
	int64_t n = 0;

	return json_int(root, "restarts", &n) == 0 && n >= 0 && n < UINT32_MAX ? (unsigned)n + 1 :
										 1;
}
