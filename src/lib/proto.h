/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <dmabuffs/client.h>

/*
 * The control socket's wire format (SOCK_SEQPACKET: one message is one
 * request or one reply). Host byte order: both ends are on one machine.
 *
 * request:  struct proto_request_hdr, then name_len bytes of name (no NUL);
 *           PUBLISH carries exactly one fd (SCM_RIGHTS), and may have
 *           a struct proto_image after the name (older clients send
 *           none; older daemons refuse it as EBADMSG).
 * reply:    struct proto_reply_hdr, then msg_len bytes of text (no NUL);
 *           a successful EXPORT carries exactly one fd.
 *
 * LIST lists the root's buffer files in chunks: its "name" is empty for
 * the first chunk, else the cursor (decimal digits) the previous chunk
 * gave as "next". A successful reply carries no fd and up to
 * PROTO_LIST_CHUNK bytes of JSON (json-c) in place of the message: what a
 * readdir, stat and the user.dmabuf.* attributes of those files would show
 * the caller, and the daemon's mount point (so that a client can tell that
 * the socket serves the tree it means):
 *   { "mount": "/run/dmabuf",
 *     "buffers": [ { "name_hex": "6361...", "size": 4096, "uid": 0,
 *                    "gid": 0, "mode": 384, "exporter": "udmabuf",
 *                    "iomem": 0, "origin": "created", "inode": 1234 } ],
 *     "next": "5678",           (null after the last chunk)
 *     "daemon": { "connections": 3, "restarts": 0, "backing_ids": 2 } }   (first chunk only)
 * "daemon" gives the daemon's own figures for monitoring: its open control
 * connections and its clean restarts (runs before it that handed their
 * buffers to the fd store). name_hex is the name's exact bytes; exporter, iomem, origin and inode
 * are null where the caller may not read the file's attributes (as
 * getxattr would refuse it) or the buffer has none (inode while
 * unallocated). Chunks rather than one big reply or a memfd: the daemon
 * keeps nothing per listing, and no client can make it hold memory.
 * The encoder takes "" or a cursor as LIST's name; the decoder refuses
 * anything else with -EBADMSG.
 *
 * LIST's flags: PROTO_LIST_HOLDERS adds "holders" to every buffer, what
 * its user.dmabuf.holders reads ("PID:KINDS ...", null where the caller
 * may not read the file or it has no buffer), computed with one walk of
 * /proc for the whole chunk. A daemon refuses flags it does not know with
 * EINVAL; daemons from before the flag ignore LIST's flags, so a buffer
 * without the "holders" key tells the client to read the attribute.
 *
 * When the decoder refuses a name (-EINVAL/-ENAMETOOLONG), out->op is set
 * all the same, so that the reply can say which request had it.
 */
#define PROTO_MAGIC 0x44424653u /* "DBFS" */
#define PROTO_VERSION 1
#define PROTO_NAME_MAX 255
#define PROTO_MSG_MAX 512
#define PROTO_MAX_REQUEST (sizeof(struct proto_request_hdr) + PROTO_NAME_MAX)
/* The largest request of all: a PUBLISH with an image layout. */
#define PROTO_MAX_REQUEST_IMAGE (PROTO_MAX_REQUEST + sizeof(struct proto_image))
#define PROTO_IMAGE_MAGIC 0x31474d49u /* "IMG1" */
#define PROTO_MAX_REPLY (sizeof(struct proto_reply_hdr) + PROTO_MSG_MAX)

enum proto_op {
	PROTO_OP_PUBLISH = 1,
	PROTO_OP_UNPUBLISH = 2,
	PROTO_OP_EXPORT = 3,
	PROTO_OP_LIST = 4,
};
#define PROTO_LIST_HOLDERS (1u << 0)
#define PROTO_LIST_FLAGS PROTO_LIST_HOLDERS /* every flag LIST knows */
#define PROTO_LIST_CHUNK (128u << 10)	    /* below the default socket buffer (208 KiB) */
#define PROTO_LIST_CURSOR_MAX 20	    /* digits of a uint64 */
#define PROTO_MAX_LIST_REPLY (sizeof(struct proto_reply_hdr) + PROTO_LIST_CHUNK)

struct proto_request_hdr {
	uint32_t magic;
	uint16_t version;
	uint16_t op;
	uint32_t flags;
	uint32_t name_len;
};

/* The image layout a PUBLISH may carry (dmabuffs_publish_image()). */
struct proto_image {
	uint32_t magic; /* PROTO_IMAGE_MAGIC */
	uint32_t fourcc;
	uint32_t width, height;
	uint64_t modifier;
	uint32_t nplanes, reserved;
	struct {
		uint64_t offset;
		uint32_t stride, reserved;
	} planes[DMABUFFS_MAX_PLANES];
};

struct proto_reply_hdr {
	uint32_t magic;
	int32_t status; /* 0 or -errno */
	uint32_t msg_len;
	uint32_t reserved;
};

struct proto_request {
	uint16_t op;
	uint32_t flags;
	char name[PROTO_NAME_MAX + 1];
	bool has_image;
	struct dmabuffs_image_layout image;
};

struct proto_reply {
	int32_t status;
	char msg[PROTO_MSG_MAX + 1];
};

/* Encode into buf (at least PROTO_MAX_REQUEST bytes, PROTO_MAX_REQUEST_IMAGE
 * for an image to follow); *len gets the size.
 * 0, or -EINVAL/-ENAMETOOLONG for a bad op or name. */
int proto_encode_request(void *buf, size_t bufsz, uint16_t op, uint32_t flags, const char *name,
			 size_t *len);
/* Append an image layout to an encoded PUBLISH of *len bytes. 0, or
 * -EINVAL for a layout proto_image_check() refuses. */
int proto_encode_image(void *buf, size_t bufsz, const struct dmabuffs_image_layout *img,
		       size_t *len);
/* Whether a layout describes an image at all: a printable fourcc, a
 * nonzero size, 1 to DMABUFFS_MAX_PLANES planes each with a stride. */
int proto_image_check(const struct dmabuffs_image_layout *img);
/* Decode and validate a received request. 0, -EBADMSG (wrong size, magic,
 * length fields, an image trailer on another op than PUBLISH),
 * -EINVAL (an image layout proto_image_check() refuses), -EPROTONOSUPPORT (version), -EOPNOTSUPP (unknown op),
 * or the name's own error (-EINVAL/-ENAMETOOLONG). */
int proto_decode_request(const void *buf, size_t len, struct proto_request *out);
int proto_encode_reply(void *buf, size_t bufsz, int32_t status, const char *msg, size_t *len);
int proto_decode_reply(const void *buf, size_t len, struct proto_reply *out);
/* A LIST chunk: status 0 and len bytes of JSON (at most PROTO_LIST_CHUNK). */
int proto_encode_list_reply(void *buf, size_t bufsz, const char *text, size_t len, size_t *outlen);
/* The reply to a LIST: 0 with *text (inside buf, not NUL-terminated) and
 * *textlen for a chunk; 0 with *text NULL and err filled for an error
 * reply; -EBADMSG for anything else. */
int proto_decode_list_reply(const void *buf, size_t len, struct proto_reply *err, const char **text,
			    size_t *textlen);
