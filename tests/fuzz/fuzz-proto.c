// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libFuzzer target: the control-protocol decoders (src/lib/proto.c). The
 * daemon runs proto_decode_request() on every message any member of the
 * socket's group sends, so beyond "no crash" (ASan/UBSan) this checks what a
 * successful decode promises: a valid op and name, and an exact round trip
 * through the encoder (a decoder that accepts something the encoder would
 * not produce has a hole).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "lib/proto.h"
#include "shared/names.h"

static void check_request(const uint8_t *data, size_t size)
{
	unsigned char again[PROTO_MAX_REQUEST_IMAGE];
	struct proto_request req;
	size_t len, name_len;
	int r;

	r = proto_decode_request(data, size, &req);
	if (r < 0) {
		FUZZ_ASSERT(r == -EBADMSG || r == -EPROTONOSUPPORT || r == -EOPNOTSUPP ||
			    r == -EINVAL || r == -ENAMETOOLONG);
		return;
	}
	name_len = strnlen(req.name, sizeof(req.name));
	FUZZ_ASSERT(name_len < sizeof(req.name));
	FUZZ_ASSERT(name_len == size - sizeof(struct proto_request_hdr) -
					(req.has_image ? sizeof(struct proto_image) : 0));
	if (req.op == PROTO_OP_LIST) {
		/* LIST carries a cursor where the others carry a name. */
		FUZZ_ASSERT(name_len <= PROTO_LIST_CURSOR_MAX);
		FUZZ_ASSERT(strspn(req.name, "0123456789") == name_len);
	} else {
		FUZZ_ASSERT(name_validate(req.name, name_len) == 0);
		FUZZ_ASSERT(req.op == PROTO_OP_PUBLISH || req.op == PROTO_OP_UNPUBLISH ||
			    req.op == PROTO_OP_EXPORT);
	}
	FUZZ_ASSERT(proto_encode_request(again, sizeof(again), req.op, req.flags, req.name, &len) ==
		    0);
	if (req.has_image) {
		FUZZ_ASSERT(req.op == PROTO_OP_PUBLISH);
		FUZZ_ASSERT(proto_encode_image(again, sizeof(again), &req.image, &len) == 0);
	}
	FUZZ_ASSERT(len == size && memcmp(again, data, size) == 0);
}

static void check_reply(const uint8_t *data, size_t size)
{
	unsigned char again[PROTO_MAX_REPLY];
	struct proto_reply rep;
	size_t len, msg_len;
	int r;

	r = proto_decode_reply(data, size, &rep);
	if (r < 0) {
		FUZZ_ASSERT(r == -EBADMSG);
		return;
	}
	msg_len = strnlen(rep.msg, sizeof(rep.msg));
	FUZZ_ASSERT(msg_len == size - sizeof(struct proto_reply_hdr));
	FUZZ_ASSERT(rep.status <= 0 && rep.status >= -4095);
	FUZZ_ASSERT(proto_encode_reply(again, sizeof(again), rep.status, rep.msg, &len) == 0);
	/* Everything but the reserved word, which decoding ignores. */
	FUZZ_ASSERT(len == size);
	FUZZ_ASSERT(memcmp(again, data, offsetof(struct proto_reply_hdr, reserved)) == 0);
	FUZZ_ASSERT(memcmp(again + sizeof(struct proto_reply_hdr),
			   data + sizeof(struct proto_reply_hdr), msg_len) == 0);
}

/* The input as a name handed to the encoder (the client side): what the
 * encoder accepts, the daemon's decoder must accept unchanged, flags too
 * (LIST's PROTO_LIST_HOLDERS, when the second byte is odd). */
static void check_encode(const uint8_t *data, size_t size)
{
	unsigned char msg[PROTO_MAX_REQUEST];
	struct proto_request req;
	char *name;
	size_t len;
	uint16_t op = size ? (uint16_t)(data[0] % 5) : 0;
	uint32_t flags = op == PROTO_OP_LIST && size > 1 && data[1] & 1 ? PROTO_LIST_HOLDERS : 0;

	name = malloc(size + 1);
	FUZZ_ASSERT(name);
	memcpy(name, data, size);
	name[size] = '\0';
	if (proto_encode_request(msg, sizeof(msg), op, flags, name, &len) == 0) {
		FUZZ_ASSERT(proto_decode_request(msg, len, &req) == 0);
		FUZZ_ASSERT(req.op == op && strcmp(req.name, name) == 0);
		FUZZ_ASSERT(req.flags == flags);
	}
	free(name);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* Exactly size bytes on the heap, so ASan sees any read past them. */
	uint8_t *copy = malloc(size ? size : 1);

	FUZZ_ASSERT(copy);
	memcpy(copy, data, size);
	check_request(copy, size);
	check_reply(copy, size);
	check_encode(copy, size);
	free(copy);
	return 0;
}
