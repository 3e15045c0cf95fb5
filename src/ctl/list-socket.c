// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The listing from the daemon (LIST, src/lib/proto.h): one connection,
 * one request per chunk, each naming where the next starts. `dmabufctl
 * list` and `top` read it when the daemon that serves the mount answers,
 * and the mount's files otherwise.
 */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <dmabuffs/client.h>
#include <json-c/json.h>

#include "ctl/list-socket.h"
#include "lib/proto.h"
#include "shared/macro.h"

static int list_connect(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	const char *path = dmabuffs_control_path();
	int sock;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	sock = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (sock < 0)
		return -errno;
	/* A daemon that does not answer: read the mount instead. */
	if (setsockopt(sock, SOL_SOCKET, SO_RCVTIMEO, &(struct timeval){ .tv_sec = 5 },
		       sizeof(struct timeval)) < 0 ||
	    connect(sock, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int r = -errno;

		close(sock);
		return r;
	}
	return sock;
}

/* One chunk: the request with cursor, its JSON parsed into *doc. */
static int list_chunk(int sock, const char *cursor, uint32_t flags, json_object **doc)
{
	unsigned char req[PROTO_MAX_REQUEST];
	_cleanup_free_ unsigned char *data = malloc(PROTO_MAX_LIST_REPLY + 1);
	struct proto_reply err;
	json_tokener *tok;
	const char *text;
	size_t len, tlen;
	ssize_t got;
	int r;

	if (!data)
		return -ENOMEM;
	r = proto_encode_request(req, sizeof(req), PROTO_OP_LIST, flags, cursor, &len);
	if (r < 0)
		return r;
	if (send(sock, req, len, MSG_NOSIGNAL) != (ssize_t)len)
		return -EPIPE;
	/* No room for fds: the kernel closes any that came with the reply. */
	got = RETRY_EINTR(recv(sock, data, PROTO_MAX_LIST_REPLY + 1, 0));
	if (got < 0)
		return -errno;
	r = proto_decode_list_reply(data, (size_t)got, &err, &text, &tlen);
	if (r < 0)
		return r;
	if (!text)
		return err.status < 0 ? err.status : -EPROTO;
	tok = json_tokener_new();
	if (!tok)
		return -ENOMEM;
	*doc = json_tokener_parse_ex(tok, text, (int)tlen);
	r = *doc && json_tokener_get_error(tok) == json_tokener_success ? 0 : -EPROTO;
	json_tokener_free(tok);
	return r;
}

static int hex_value(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

char *list_hex_name(json_object *buffer)
{
	json_object *v;
	const char *hex;
	size_t len;
	char *name;

	if (!json_object_object_get_ex(buffer, "name_hex", &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	hex = json_object_get_string(v);
	len = strlen(hex);
	if (len == 0 || len % 2 || len > 2 * 255)
		return NULL;
	name = malloc(len / 2 + 1);
	for (size_t i = 0; name && i < len / 2; i++) {
		int hi = hex_value(hex[2 * i]), lo = hex_value(hex[2 * i + 1]);

		if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
			free(name);
			return NULL;
		}
		name[i] = (char)(hi << 4 | lo);
	}
	if (name)
		name[len / 2] = '\0';
	return name;
}

/* fn on each buffer of a chunk. */
static int each_buffer(json_object *doc, int (*fn)(json_object *buffer, void *data), void *data)
{
	json_object *arr;
	size_t k;
	int r = 0;

	if (!json_object_object_get_ex(doc, "buffers", &arr) ||
	    !json_object_is_type(arr, json_type_array))
		return -EPROTO;
	k = json_object_array_length(arr);
	for (size_t i = 0; i < k && r == 0; i++) {
		json_object *o = json_object_array_get_idx(arr, i);

		r = json_object_is_type(o, json_type_object) ? fn(o, data) : -EPROTO;
	}
	return r;
}

/* The first chunk's "daemon" of the last listing (proto.h). */
static struct list_daemon last_daemon;

const struct list_daemon *list_socket_daemon(void)
{
	return &last_daemon;
}

static void keep_daemon(json_object *doc)
{
	json_object *d, *v;

	if (!json_object_object_get_ex(doc, "daemon", &d) ||
	    !json_object_is_type(d, json_type_object))
		return;
	last_daemon.known = true;
	if (json_object_object_get_ex(d, "connections", &v))
		last_daemon.connections = json_object_get_int64(v);
	if (json_object_object_get_ex(d, "restarts", &v))
		last_daemon.restarts = json_object_get_int64(v);
	last_daemon.backing_ids =
		json_object_object_get_ex(d, "backing_ids", &v) ? json_object_get_int64(v) : -1;
}

int list_socket_each(const char *dir, uint32_t flags, int (*fn)(json_object *buffer, void *data),
		     void *data)
{
	_cleanup_close_ int sock = -1;
	char real[PATH_MAX], cursor[PROTO_LIST_CURSOR_MAX + 1] = "";
	int r;

	memset(&last_daemon, 0, sizeof(last_daemon));
	if (!realpath(dir, real))
		return -errno;
	sock = list_connect();
	if (sock < 0)
		return sock;
	for (;;) {
		json_object *doc = NULL, *v;
		const char *next;

		r = list_chunk(sock, cursor, flags, &doc);
		/* Another daemon's socket: its tree is not dir. */
		if (r == 0 && (!json_object_object_get_ex(doc, "mount", &v) ||
			       strcmp(json_object_get_string(v), real) != 0))
			r = -EXDEV;
		if (r == 0 && !cursor[0])
			keep_daemon(doc);
		if (r == 0)
			r = each_buffer(doc, fn, data);
		next = r == 0 && json_object_object_get_ex(doc, "next", &v) && v ?
			       json_object_get_string(v) :
			       NULL;
		if (next && strlen(next) < sizeof(cursor) && strcmp(next, cursor) != 0)
			snprintf(cursor, sizeof(cursor), "%s", next);
		else if (next)
			r = -EPROTO; /* a cursor that does not move on */
		json_object_put(doc);
		if (r < 0 || !next)
			return r;
	}
}
