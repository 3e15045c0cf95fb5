/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>
#include <stdint.h>

/*
 * The control socket's wire format (SOCK_SEQPACKET: one message is one
 * request or one reply). Host byte order: both ends are on one machine.
 *
 * request:  struct proto_request_hdr, then name_len bytes of name (no NUL);
 *           PUBLISH carries exactly one fd (SCM_RIGHTS).
 * reply:    struct proto_reply_hdr, then msg_len bytes of text (no NUL);
 *           a successful EXPORT carries exactly one fd.
 *
 * LIST has no name (name_len 0). Its successful reply carries one sealed
 * memfd holding the listing, and msg is the daemon's mount point (so that
 * a client can tell that the socket serves the tree it means). The
 * listing is one JSON object (json-c), what a readdir, stat and the
 * user.dmabuf.* attributes of the root's buffer files would show the
 * caller:
 *   { "mount": "/run/dmabuf",
 *     "buffers": [ { "name_hex": "6361...", "size": 4096, "uid": 0,
 *                    "gid": 0, "mode": 384, "exporter": "udmabuf",
 *                    "iomem": 0, "origin": "created", "inode": 1234 } ] }
 * name_hex is the name's exact bytes; exporter, iomem, origin and inode
 * are null where the caller may not read the file's attributes (as
 * getxattr would refuse it) or the buffer has none (inode while
 * unallocated). The listing is at most PROTO_LIST_MAX bytes.
 */
#define PROTO_MAGIC 0x44424653u /* "DBFS" */
#define PROTO_VERSION 1
#define PROTO_NAME_MAX 255
#define PROTO_MSG_MAX 512
#define PROTO_MAX_REQUEST (sizeof(struct proto_request_hdr) + PROTO_NAME_MAX)
#define PROTO_MAX_REPLY (sizeof(struct proto_reply_hdr) + PROTO_MSG_MAX)

enum proto_op {
	PROTO_OP_PUBLISH = 1,
	PROTO_OP_UNPUBLISH = 2,
	PROTO_OP_EXPORT = 3,
	PROTO_OP_LIST = 4,
};
#define PROTO_LIST_MAX (256u << 20)

struct proto_request_hdr {
	uint32_t magic;
	uint16_t version;
	uint16_t op;
	uint32_t flags;
	uint32_t name_len;
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
};

struct proto_reply {
	int32_t status;
	char msg[PROTO_MSG_MAX + 1];
};

/* Encode into buf (at least PROTO_MAX_REQUEST bytes); *len gets the size.
 * 0, or -EINVAL/-ENAMETOOLONG for a bad op or name (LIST: name ""). */
int proto_encode_request(void *buf, size_t bufsz, uint16_t op, uint32_t flags,
			 const char *name, size_t *len);
/* Decode and validate a received request. 0, -EBADMSG (wrong size, magic,
 * length fields, a LIST with a name), -EPROTONOSUPPORT (version),
 * -EOPNOTSUPP (unknown op), or the name's own error (-EINVAL/-ENAMETOOLONG:
 * out->op is then set, so that the reply can say which request had it). */
int proto_decode_request(const void *buf, size_t len, struct proto_request *out);
int proto_encode_reply(void *buf, size_t bufsz, int32_t status, const char *msg,
		       size_t *len);
int proto_decode_reply(const void *buf, size_t len, struct proto_reply *out);
