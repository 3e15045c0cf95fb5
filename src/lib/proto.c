// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The control socket's wire format (see proto.h). Both ends run this code:
 * the daemon decodes requests from untrusted peers, so the decoders check
 * every length field against the number of bytes that really arrived before
 * looking at anything behind the header.
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "lib/proto.h"
#include "shared/macro.h"
#include "shared/names.h"

_Static_assert(sizeof(struct proto_request_hdr) == 16, "request header is 16 bytes");
_Static_assert(sizeof(struct proto_reply_hdr) == 16, "reply header is 16 bytes");
_Static_assert(sizeof(struct proto_image) == 96, "image trailer is 96 bytes");

/* Largest errno the kernel ever returns (MAX_ERRNO); anything below is not an
 * errno and would be misread by callers as a valid fd or size. */
#define PROTO_ERRNO_MAX 4095

/* A LIST cursor: nothing (the first chunk) or up to 20 decimal digits. */
static bool list_cursor_valid(const char *s, size_t len)
{
	if (len > PROTO_LIST_CURSOR_MAX)
		return false;
	for (size_t i = 0; i < len; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

static bool op_valid(uint32_t op)
{
	return op == PROTO_OP_PUBLISH || op == PROTO_OP_UNPUBLISH || op == PROTO_OP_EXPORT ||
	       op == PROTO_OP_LIST;
}

int proto_encode_request(void *buf, size_t bufsz, uint16_t op, uint32_t flags, const char *name,
			 size_t *len)
{
	struct proto_request_hdr hdr;
	size_t name_len;
	int r;

	if (!buf || !name || !len)
		return -EINVAL;
	if (!op_valid(op))
		return -EINVAL;
	name_len = strnlen(name, PROTO_NAME_MAX + 1);
	if (op == PROTO_OP_LIST)
		r = list_cursor_valid(name, name_len) ? 0 : -EINVAL;
	else
		r = name_validate(name, name_len);
	if (r < 0)
		return r;
	if (bufsz < sizeof(hdr) + name_len)
		return -ENOBUFS;

	hdr = (struct proto_request_hdr){
		.magic = PROTO_MAGIC,
		.version = PROTO_VERSION,
		.op = op,
		.flags = flags,
		.name_len = (uint32_t)name_len,
	};
	/* memcpy: callers' buffers need not be aligned. */
	memcpy(buf, &hdr, sizeof(hdr));
	memcpy((char *)buf + sizeof(hdr), name, name_len);
	*len = sizeof(hdr) + name_len;
	return 0;
}

int proto_image_check(const struct dmabuffs_image_layout *img)
{
	if (!img || !img->width || !img->height || img->nplanes < 1 ||
	    img->nplanes > DMABUFFS_MAX_PLANES)
		return -EINVAL;
	for (int i = 0; i < 4; i++) {
		unsigned char c = (unsigned char)(img->fourcc >> (8 * i));

		if (c < 0x20 || c > 0x7e)
			return -EINVAL;
	}
	for (unsigned int i = 0; i < img->nplanes; i++)
		if (!img->planes[i].stride)
			return -EINVAL;
	return 0;
}

int proto_encode_image(void *buf, size_t bufsz, const struct dmabuffs_image_layout *img,
		       size_t *len)
{
	struct proto_image t = { .magic = PROTO_IMAGE_MAGIC };

	if (!buf || !len || proto_image_check(img) < 0)
		return -EINVAL;
	if (bufsz < *len + sizeof(t))
		return -ENOBUFS;
	t.fourcc = img->fourcc;
	t.width = img->width;
	t.height = img->height;
	t.modifier = img->modifier;
	t.nplanes = img->nplanes;
	for (unsigned int i = 0; i < img->nplanes; i++) {
		t.planes[i].offset = img->planes[i].offset;
		t.planes[i].stride = img->planes[i].stride;
	}
	memcpy((char *)buf + *len, &t, sizeof(t));
	*len += sizeof(t);
	return 0;
}

/* The image trailer of a PUBLISH, checked; -EBADMSG if it is not one.
 * Reserved words and the planes past nplanes must be zero, so that a
 * trailer means one thing only (and encodes back to the same bytes). */
static int decode_image(const void *p, struct dmabuffs_image_layout *out)
{
	struct proto_image t;

	memcpy(&t, p, sizeof(t));
	if (t.magic != PROTO_IMAGE_MAGIC || t.reserved)
		return -EBADMSG;
	*out = (struct dmabuffs_image_layout){
		.fourcc = t.fourcc,
		.width = t.width,
		.height = t.height,
		.modifier = t.modifier,
		.nplanes = t.nplanes,
	};
	for (unsigned int i = 0; i < DMABUFFS_MAX_PLANES; i++) {
		if (t.planes[i].reserved ||
		    (i >= t.nplanes && (t.planes[i].offset || t.planes[i].stride)))
			return -EBADMSG;
		out->planes[i].offset = t.planes[i].offset;
		out->planes[i].stride = t.planes[i].stride;
	}
	return proto_image_check(out);
}

/*
 * Checks in the order a reader of the reply would want them reported: a
 * message that is not ours at all (size, magic) before a version we do not
 * speak, before fields that only mean something in our version. A name_len
 * that disagrees with the bytes received is -EBADMSG; a consistent but
 * over-long name is the name's own -ENAMETOOLONG.
 */
int proto_decode_request(const void *buf, size_t len, struct proto_request *out)
{
	struct proto_request_hdr hdr;
	const char *name;
	size_t trailer;
	int r;

	if (!buf || !out)
		return -EINVAL;
	if (len < sizeof(hdr))
		return -EBADMSG;
	memcpy(&hdr, buf, sizeof(hdr));
	if (hdr.magic != PROTO_MAGIC)
		return -EBADMSG;
	if (hdr.version != PROTO_VERSION)
		return -EPROTONOSUPPORT;
	trailer = len - sizeof(hdr) - MIN((size_t)hdr.name_len, len - sizeof(hdr));
	if ((size_t)hdr.name_len + trailer != len - sizeof(hdr) ||
	    (trailer && trailer != sizeof(struct proto_image)))
		return -EBADMSG;
	if (!op_valid(hdr.op))
		return -EOPNOTSUPP;
	if (trailer && hdr.op != PROTO_OP_PUBLISH)
		return -EBADMSG;

	memset(out, 0, sizeof(*out));
	out->op = hdr.op;
	name = (const char *)buf + sizeof(hdr);
	if (hdr.op == PROTO_OP_LIST)
		r = list_cursor_valid(name, hdr.name_len) ? 0 : -EBADMSG;
	else
		r = name_validate(name, hdr.name_len);
	if (r < 0)
		return r;

	out->flags = hdr.flags;
	memcpy(out->name, name, hdr.name_len);
	out->name[hdr.name_len] = '\0';
	if (trailer) {
		r = decode_image(name + hdr.name_len, &out->image);
		if (r < 0)
			return r;
		out->has_image = true;
	}
	return 0;
}

int proto_encode_reply(void *buf, size_t bufsz, int32_t status, const char *msg, size_t *len)
{
	struct proto_reply_hdr hdr;
	size_t msg_len;

	if (!buf || !len)
		return -EINVAL;
	if (status > 0 || status < -PROTO_ERRNO_MAX)
		return -EINVAL;
	if (!msg)
		msg = "";
	/* A long explanation is cut rather than refused: the status is what
	 * matters and must always get through. */
	msg_len = strnlen(msg, PROTO_MSG_MAX);
	if (bufsz < sizeof(hdr) + msg_len)
		return -ENOBUFS;

	hdr = (struct proto_reply_hdr){
		.magic = PROTO_MAGIC,
		.status = status,
		.msg_len = (uint32_t)msg_len,
		.reserved = 0,
	};
	memcpy(buf, &hdr, sizeof(hdr));
	memcpy((char *)buf + sizeof(hdr), msg, msg_len);
	*len = sizeof(hdr) + msg_len;
	return 0;
}

int proto_decode_reply(const void *buf, size_t len, struct proto_reply *out)
{
	struct proto_reply_hdr hdr;
	const char *msg;

	if (!buf || !out)
		return -EINVAL;
	if (len < sizeof(hdr))
		return -EBADMSG;
	memcpy(&hdr, buf, sizeof(hdr));
	if (hdr.magic != PROTO_MAGIC)
		return -EBADMSG;
	if ((size_t)hdr.msg_len != len - sizeof(hdr) || hdr.msg_len > PROTO_MSG_MAX)
		return -EBADMSG;
	if (hdr.status > 0 || hdr.status < -PROTO_ERRNO_MAX)
		return -EBADMSG;
	msg = (const char *)buf + sizeof(hdr);
	if (memchr(msg, '\0', hdr.msg_len))
		return -EBADMSG;

	memset(out, 0, sizeof(*out));
	out->status = hdr.status;
	memcpy(out->msg, msg, hdr.msg_len);
	out->msg[hdr.msg_len] = '\0';
	return 0;
}

int proto_encode_list_reply(void *buf, size_t bufsz, const char *text, size_t len, size_t *outlen)
{
	struct proto_reply_hdr hdr = { .magic = PROTO_MAGIC, .msg_len = (uint32_t)len };

	if (!buf || !text || !outlen || len > PROTO_LIST_CHUNK)
		return -EINVAL;
	if (bufsz < sizeof(hdr) + len)
		return -ENOBUFS;
	memcpy(buf, &hdr, sizeof(hdr));
	memcpy((char *)buf + sizeof(hdr), text, len);
	*outlen = sizeof(hdr) + len;
	return 0;
}

int proto_decode_list_reply(const void *buf, size_t len, struct proto_reply *err, const char **text,
			    size_t *textlen)
{
	struct proto_reply_hdr hdr;

	if (!buf || !err || !text || !textlen)
		return -EINVAL;
	*text = NULL;
	if (len < sizeof(hdr))
		return -EBADMSG;
	memcpy(&hdr, buf, sizeof(hdr));
	if (hdr.magic != PROTO_MAGIC)
		return -EBADMSG;
	if (hdr.status != 0)
		return proto_decode_reply(buf, len, err);
	if ((size_t)hdr.msg_len != len - sizeof(hdr) || hdr.msg_len > PROTO_LIST_CHUNK)
		return -EBADMSG;
	*text = (const char *)buf + sizeof(hdr);
	*textlen = hdr.msg_len;
	return 0;
}
