// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The LIST request of the control socket: the root's buffer files as one
 * JSON document, a chunk at a time (proto.h). It is the one request that
 * builds a reply of its own format and size, and the only user of json-c
 * in the control server; the other requests stay in control.c.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <json-c/json.h>

#include "conf.h"
#include "control-internal.h"
#include "fs/tree.h"
#include "lib/proto.h"
#include "shared/log.h"
#include "shared/macro.h"
#include "shared/util.h"

struct list_ctx {
	json_object *buffers;
	const struct ucred *cred;
	gid_t *groups; /* the peer's supplementary groups (peer_groups) */
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
	json_object_object_add(o, "inode", readable && it->kino
						   ? json_object_new_int64((int64_t)it->kino)
						   : NULL);
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

	if (len > x->room) {
		x->full = true;
		return 1;
	}
	o = list_object(x, it);
	if (!o || json_object_array_add(x->buffers, o) < 0) {
		json_object_put(o);
		return -ENOMEM;
	}
	x->room -= len;
	x->last = it->id;
	return 0;
}

/* One chunk of the listing (proto.h): the buffer files below the cursor,
 * as many as fit, and where the next chunk starts. */
void do_list(struct conn *c, const char *cursor)
{
	struct list_ctx x = { .cred = &c->cred };
	_cleanup_free_ gid_t *groups = NULL;
	const char *mount = tree_config()->mountpoint;
	json_object *doc = json_object_new_object();
	_cleanup_free_ char *buf = NULL;
	char next[32];
	uint64_t before = 0;
	const char *text;
	size_t len;
	int r = 0;

	if (*cursor && (parse_u64(cursor, 10, &before) < 0 || before == 0))
		r = -EINVAL;
	/* Best effort: without them, attributes are shown by uid and gid only. */
	if (peer_groups(c->fd, &groups, &x.ngroups) < 0)
		x.ngroups = 0;
	x.groups = groups;
	x.buffers = json_object_new_array();
	buf = malloc(PROTO_MAX_LIST_REPLY);
	if (!doc || !x.buffers || !buf)
		r = -ENOMEM;
	if (r == 0) {
		/* Room for the envelope: the mount (escaped, at most 6 bytes a
		 * byte) and the cursor. */
		x.room = PROTO_LIST_CHUNK - 64 - 6 * strlen(mount);
		json_object_object_add(doc, "mount", json_object_new_string(mount));
		json_object_object_add(doc, "buffers", json_object_get(x.buffers));
		r = tree_list(before, list_item, &x);
		if (r == 1 && !json_object_array_length(x.buffers))
			r = -EOVERFLOW; /* cannot happen: one item is < 2 KiB */
	}
	if (r >= 0) {
		snprintf(next, sizeof(next), "%llu", (unsigned long long)x.last);
		json_object_object_add(doc, "next", x.full ? json_object_new_string(next) : NULL);
		text = json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PLAIN);
		r = text ? proto_encode_list_reply(buf, PROTO_MAX_LIST_REPLY, text, strlen(text),
						   &len)
			 : -ENOMEM;
	}
	json_object_put(x.buffers);
	json_object_put(doc);
	if (r < 0) {
		send_reply(c, r, -1, "list: %s", r == -EINVAL ? "bad cursor" : "cannot list");
		return;
	}
	/* Never block on a client that does not read its replies. A socket
	 * buffer below the chunk (a lowered net.core.wmem_default) gets an
	 * error the client can act on, not silence. */
	if (send(c->fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
		if (errno == EMSGSIZE)
			send_reply(c, -EMSGSIZE, -1, "list: the socket buffer is below %u bytes",
				   (unsigned)len);
		else
			log_info("control: list reply to pid %d lost: %m", (int)c->cred.pid);
	}
}
