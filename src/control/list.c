// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The LIST request of the control socket: the root's buffer files as one
 * JSON document, a chunk at a time (proto.h). It is the one request that
 * builds a reply of its own format and size, and the only user of json-c
 * in the control server; the other requests stay in server.c.
 *
 * With PROTO_LIST_HOLDERS each buffer also gets its holders: the chunk is
 * taken under the tree lock as usual, holding a reference on each buffer,
 * and the holders of all of them are found after it, with one walk of
 * /proc and no lock held (fs/holders-scan.c); the chunk then keeps as many
 * buffers as still fit. Such a LIST runs on a thread of its own (see
 * list_offload()).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "buffer.h"
#include "conf.h"
#include "control/control-internal.h"
#include "fs/holders-scan.h"
#include "tree/tree.h"
#include "lib/proto.h"
#include "shared/log.h"
#include "shared/macro.h"
#include "shared/util.h"

/* A buffer of the chunk waiting for its holders (PROTO_LIST_HOLDERS). */
struct list_pending {
	json_object *o;
	uint64_t id;
	size_t len;	    /* what it takes as JSON, but the holders' value */
	struct buffer *buf; /* a reference; NULL: holders null */
};

struct list_ctx {
	json_object *buffers;
	bool holders;		      /* PROTO_LIST_HOLDERS */
	struct list_pending *pending; /* the chunk's buffers, when holders */
	size_t npending, cap;
	const struct ucred *cred;
	gid_t *groups; /* the peer's supplementary groups (control_peer_groups) */
	size_t ngroups;
	size_t room;   /* bytes left in the chunk */
	uint64_t last; /* the id of the last one taken */
	bool full;
};

/* Whether the caller could getxattr(user.*) the file: read permission, as
 * the kernel checks it under default_permissions (root always may). */
static bool list_may_read(const struct list_ctx *x, const struct stat *st)
{
	return mode_may_access(st->st_mode, st->st_uid, st->st_gid, x->cred->uid, x->cred->gid,
			       x->groups, x->ngroups, 4);
}

static json_object *list_hex(const char *s)
{
	static const char digits[] = "0123456789abcdef";
	size_t len = strlen(s);
	_cleanup_free_ char *hex = malloc(len * 2 + 1);

	if (!hex)
		return NULL;
	for (size_t i = 0; i < len; i++) {
		hex[2 * i] = digits[(unsigned char)s[i] >> 4];
		hex[2 * i + 1] = digits[(unsigned char)s[i] & 15];
	}
	hex[2 * len] = '\0';
	return json_object_new_string(hex);
}

static json_object *list_object(const struct list_ctx *x, const struct tree_item *it)
{
	json_object *o = json_object_new_object(), *name = list_hex(it->name);
	bool readable = list_may_read(x, it->st);

	if (!o || !name) {
		json_object_put(o);
		json_object_put(name);
		return NULL;
	}
	json_object_object_add(o, "name_hex", name);
	json_object_object_add(o, "size", json_object_new_int64(it->st->st_size));
	json_object_object_add(o, "uid", json_object_new_int64(it->st->st_uid));
	json_object_object_add(o, "gid", json_object_new_int64(it->st->st_gid));
	json_object_object_add(o, "mode", json_object_new_int64(it->st->st_mode & 07777));
	json_object_object_add(o, "exporter",
			       readable ? json_object_new_string(it->exporter) : NULL);
	json_object_object_add(o, "iomem", readable ? json_object_new_int(it->iomem) : NULL);
	json_object_object_add(o, "origin",
			       readable ? json_object_new_string(origin_name(it->origin)) : NULL);
	json_object_object_add(
		o, "inode", readable && it->kino ? json_object_new_int64((int64_t)it->kino) : NULL);
	return o;
}

/* The length of s as json-c prints a string (JSON_C_TO_STRING_PLAIN). */
static size_t json_str_len(const char *s)
{
	size_t n = 2;

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\' || c == '/' || c == '\b' || c == '\f' || c == '\n' ||
		    c == '\r' || c == '\t')
			n += 2;
		else if (c < 0x20)
			n += 6;
		else
			n++;
	}
	return n;
}

/* Keep o for its holders (a reference on the buffer, if the caller may
 * read them), added to the chunk after the walk. */
static int list_defer(struct list_ctx *x, const struct tree_item *it, json_object *o, size_t len)
{
	struct list_pending *p;

	if (x->npending == x->cap) {
		size_t c = x->cap ? 2 * x->cap : 256;

		p = realloc(x->pending, c * sizeof(*p));
		if (!p)
			return -ENOMEM;
		x->pending = p;
		x->cap = c;
	}
	p = &x->pending[x->npending++];
	*p = (struct list_pending){ .o = o, .id = it->id, .len = len };
	if (it->buf && list_may_read(x, it->st))
		p->buf = buffer_ref(it->buf);
	return 0;
}

/* Take items while they fit in the chunk (1 stops the walk when full). */
static int list_item(const struct tree_item *it, void *data)
{
	struct list_ctx *x = data;
	/* An upper bound of what the item takes as JSON, without printing
	 * it: the hex name, the strings, the keys and separators (86 bytes,
	 * 100 with room for a null in place of a short string), numbers of
	 * at most 20 digits (size, inode), 10 (uid, gid), 4 (mode, iomem). */
	size_t len = 2 * strlen(it->name) + json_str_len(it->exporter) +
		     json_str_len(origin_name(it->origin)) + 100 + 2 * 20 + 2 * 10 + 2 * 4;
	json_object *o;
	int r;

	/* ,"holders": and a null, at least. */
	if (x->holders)
		len += 11 + 4;
	if (len > x->room) {
		x->full = true;
		return 1;
	}
	o = list_object(x, it);
	if (!o)
		return -ENOMEM;
	r = x->holders ? list_defer(x, it, o, len) : json_object_array_add(x->buffers, o);
	if (r < 0) {
		json_object_put(o);
		return -ENOMEM;
	}
	x->room -= len;
	x->last = it->id;
	return 0;
}

/* The holders of the chunk's buffers, in one walk, and the buffers into
 * the chunk while they fit in room with them; the first that does not fit
 * is where the next chunk starts. */
static int list_add_holders(struct list_ctx *x, size_t room)
{
	_cleanup_free_ struct buffer **bufs = calloc(x->npending + 1, sizeof(*bufs));
	_cleanup_free_ char **vals = calloc(x->npending + 1, sizeof(*vals));
	size_t nbufs = 0, used = 0, i, j = 0;
	int r;

	if (!bufs || !vals)
		return -ENOMEM;
	for (i = 0; i < x->npending; i++)
		if (x->pending[i].buf)
			bufs[nbufs++] = x->pending[i].buf;
	r = nbufs ? holders_scan(bufs, nbufs, vals) : 0;
	for (i = 0; r == 0 && i < x->npending; i++) {
		struct list_pending *p = &x->pending[i];
		const char *v = p->buf ? vals[j++] : NULL;
		size_t need = p->len + (v ? json_str_len(v) - 4 : 0);

		if (used + need > room && i == 0) {
			r = -EOVERFLOW; /* cannot happen: an item is < 7 KiB */
			break;
		}
		if (used + need > room) {
			x->full = true;
			x->last = x->pending[i - 1].id;
			break;
		}
		json_object_object_add(p->o, "holders", v ? json_object_new_string(v) : NULL);
		if (json_object_array_add(x->buffers, p->o) < 0)
			r = -ENOMEM;
		else
			p->o = NULL;
		used += need;
	}
	for (i = 0; i < nbufs; i++)
		free(vals[i]);
	return r;
}

static void list_pending_free(struct list_ctx *x)
{
	for (size_t i = 0; i < x->npending; i++) {
		json_object_put(x->pending[i].o);
		if (x->pending[i].buf)
			buffer_unref(x->pending[i].buf);
	}
	free(x->pending);
}

/* One chunk of the listing (proto.h): the buffer files below the cursor,
 * as many as fit, and where the next chunk starts. */
/* The mount point LIST names, from control_start(). */
static const char *list_mount;

void control_list_init(const char *mountpoint)
{
	list_mount = mountpoint;
}

static void list_chunk(struct conn *c, const char *cursor, uint32_t flags, int conns,
		       unsigned restarts)
{
	struct list_ctx x = { .cred = &c->cred, .holders = flags & PROTO_LIST_HOLDERS };
	_cleanup_free_ gid_t *groups = NULL;
	const char *mount = list_mount;
	json_object *doc = json_object_new_object();
	_cleanup_free_ char *buf = NULL;
	char next[32];
	uint64_t before = 0;
	const char *text;
	size_t len, room = 0;
	int r = 0;

	if (*cursor && (parse_u64(cursor, 10, &before) < 0 || before == 0))
		r = -EINVAL;
	/* Best effort: without them, attributes are shown by uid and gid only. */
	if (control_peer_groups(c->fd, &groups, &x.ngroups) < 0)
		x.ngroups = 0;
	x.groups = groups;
	x.buffers = json_object_new_array();
	buf = malloc(PROTO_MAX_LIST_REPLY);
	if (!doc || !x.buffers || !buf)
		r = -ENOMEM;
	if (r == 0) {
		/* Room for the envelope: the mount (escaped, at most 6 bytes a
		 * byte) and the cursor. */
		room = x.room = PROTO_LIST_CHUNK - 64 - 6 * strlen(mount);
		json_object_object_add(doc, "mount", json_object_new_string(mount));
		json_object_object_add(doc, "buffers", json_object_get(x.buffers));
		if (!*cursor) {
			json_object *d = json_object_new_object();

			json_object_object_add(d, "connections", json_object_new_int(conns));
			json_object_object_add(d, "restarts", json_object_new_int64(restarts));
			json_object_object_add(d, "backing_ids",
					       json_object_new_int64(tree_backing_ids()));
			json_object_object_add(doc, "daemon", d);
		}
		r = tree_list(before, list_item, &x);
		if (r == 1 && !json_object_array_length(x.buffers) && !x.npending)
			r = -EOVERFLOW; /* cannot happen: one item is < 2 KiB */
	}
	if (r >= 0 && x.holders)
		r = list_add_holders(&x, room);
	list_pending_free(&x);
	if (r >= 0) {
		snprintf(next, sizeof(next), "%llu", (unsigned long long)x.last);
		json_object_object_add(doc, "next", x.full ? json_object_new_string(next) : NULL);
		text = json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PLAIN);
		r = text ? proto_encode_list_reply(buf, PROTO_MAX_LIST_REPLY, text, strlen(text),
						   &len) :
			   -ENOMEM;
	}
	json_object_put(x.buffers);
	json_object_put(doc);
	if (r < 0) {
		control_reply(c, r, -1, "list: %s", r == -EINVAL ? "bad cursor" : "cannot list");
		return;
	}
	/* Never block on a client that does not read its replies. A socket
	 * buffer below the chunk (a lowered net.core.wmem_default) gets an
	 * error the client can act on, not silence. */
	if (send(c->fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
		if (errno == EMSGSIZE)
			control_reply(c, -EMSGSIZE, -1, "list: the socket buffer is below %u bytes",
				      (unsigned)len);
		else
			log_info("control: list reply to pid %d lost: %m", (int)c->cred.pid);
	}
}

/*
 * The holders take a walk of all of /proc, and reading a process's maps
 * waits for its mmap lock, which a process can keep from us (a writer
 * queued behind a reader stuck in a fault on a hung file system); the
 * control thread must wait for nobody (control/server.c). So a LIST with holders
 * runs on a thread of its own, on a dup of the connection, at most
 * LIST_HOLDERS_MAX at once and LIST_HOLDERS_PER_UID of one uid (measured
 * before, with one global bound: one user kept all 4 and the others got
 * 180,931 EAGAINs; 2, not 1, since a client's next chunk may come before
 * the thread of its last one let go of its slot); beyond that it gets
 * EAGAIN, and the client reads the files' user.dmabuf.holders instead
 * (dmabufctl top does).
 */
#define LIST_HOLDERS_MAX 4
#define LIST_HOLDERS_PER_UID 2
static pthread_mutex_t list_jobs_lock = PTHREAD_MUTEX_INITIALIZER;
static uid_t list_jobs[LIST_HOLDERS_MAX]; /* the uids of the running ones */
static unsigned int nlist_jobs;

/* A slot for a LIST with holders of uid: 0, or -EAGAIN. */
static int list_slot_get(uid_t uid)
{
	unsigned int mine = 0;
	int r = 0;

	pthread_mutex_lock(&list_jobs_lock);
	for (unsigned int i = 0; i < nlist_jobs; i++)
		mine += list_jobs[i] == uid;
	if (nlist_jobs >= LIST_HOLDERS_MAX || mine >= LIST_HOLDERS_PER_UID)
		r = -EAGAIN;
	else
		list_jobs[nlist_jobs++] = uid;
	pthread_mutex_unlock(&list_jobs_lock);
	return r;
}

static void list_slot_put(uid_t uid)
{
	pthread_mutex_lock(&list_jobs_lock);
	for (unsigned int i = 0; i < nlist_jobs; i++)
		if (list_jobs[i] == uid) {
			list_jobs[i] = list_jobs[--nlist_jobs];
			break;
		}
	pthread_mutex_unlock(&list_jobs_lock);
}

struct list_job {
	struct conn c; /* a copy, with a dup of the socket */
	char cursor[PROTO_LIST_CURSOR_MAX + 1];
	uint32_t flags;
	int conns;
	unsigned restarts;
};

static void *list_thread(void *arg)
{
	struct list_job *j = arg;

	list_chunk(&j->c, j->cursor, j->flags, j->conns, j->restarts);
	/* The last reference if the control thread dropped the connection:
	 * fds in flight go with it. */
	control_close_received(j->c.fd, j->c.cred.uid);
	list_slot_put(j->c.cred.uid);
	free(j);
	return NULL;
}

static int list_offload(const struct conn *c, const char *cursor, uint32_t flags)
{
	struct list_job *j;
	pthread_attr_t attr;
	pthread_t t;
	int r;

	r = list_slot_get(c->cred.uid);
	if (r < 0)
		return r;
	j = calloc(1, sizeof(*j));
	if (!j) {
		r = -ENOMEM;
		goto out;
	}
	j->c = *c;
	j->flags = flags;
	control_figures(&j->conns, &j->restarts);
	snprintf(j->cursor, sizeof(j->cursor), "%s", cursor); /* proto.c checked it */
	j->c.fd = fcntl(c->fd, F_DUPFD_CLOEXEC, 3);
	if (j->c.fd < 0) {
		r = -errno;
		free(j);
		goto out;
	}
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	r = -pthread_create(&t, &attr, list_thread, j);
	pthread_attr_destroy(&attr);
	if (r == 0)
		return 0;
	close(j->c.fd);
	free(j);
out:
	list_slot_put(c->cred.uid);
	return r;
}

void control_list(struct conn *c, const char *cursor, uint32_t flags)
{
	int r;

	if (flags & ~PROTO_LIST_FLAGS) {
		control_reply(c, -EINVAL, -1, "list: unknown flags 0x%x",
			      flags & ~PROTO_LIST_FLAGS);
		return;
	}
	if (!(flags & PROTO_LIST_HOLDERS)) {
		int conns;
		unsigned restarts;

		control_figures(&conns, &restarts);
		list_chunk(c, cursor, flags, conns, restarts);
		return;
	}
	r = list_offload(c, cursor, flags);
	if (r == -EAGAIN)
		control_reply(c, r, -1,
			      "list: %d listings with holders are running (%d of this "
			      "user's); read the files' user.dmabuf.holders",
			      LIST_HOLDERS_MAX, LIST_HOLDERS_PER_UID);
	else if (r < 0)
		control_reply(c, r, -1, "list: no thread for the holders");
}
