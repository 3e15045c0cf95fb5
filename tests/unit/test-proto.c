// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The control socket's wire format: round trips, and every way a request or
 * reply can be malformed, each with the errno proto.h documents.
 */
#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/proto.h"
#include "test-common.h"
#include "testsuite.h"

#define HDR sizeof(struct proto_request_hdr)
#define RHDR sizeof(struct proto_reply_hdr)

/* Room for the largest legal request plus slack, so tests can build
 * over-long messages too. */
static unsigned char buf[PROTO_MAX_REQUEST + PROTO_MAX_REPLY + 64];

static size_t raw_reply(uint32_t magic, int32_t status, uint32_t msg_len, const void *msg,
			size_t real_len)
{
	struct proto_reply_hdr h = {
		.magic = magic,
		.status = status,
		.msg_len = msg_len,
	};

	memcpy(buf, &h, sizeof(h));
	if (real_len)
		memcpy(buf + sizeof(h), msg, real_len);
	return sizeof(h) + real_len;
}

static size_t good_request(uint16_t op, const char *name)
{
	return raw_request(buf, PROTO_MAGIC, PROTO_VERSION, op, 0, strlen(name), name,
			   strlen(name));
}

/* ------------------------------------------------------------ layout */

START_TEST(test_layout)
{
	/* The daemon and clients of other builds must agree on these. */
	ck_assert_uint_eq(sizeof(struct proto_request_hdr), 16);
	ck_assert_uint_eq(sizeof(struct proto_reply_hdr), 16);
	ck_assert_uint_eq(PROTO_MAX_REQUEST, 16 + 255);
	ck_assert_uint_eq(PROTO_MAX_REPLY, 16 + 512);
	ck_assert_uint_eq(PROTO_MAGIC, 0x44424653u);
	ck_assert_int_eq(memcmp(&(uint32_t){ PROTO_MAGIC }, "SFBD", 4), 0);
}
END_TEST

/* ------------------------------------------------------------ round trips */

static const uint16_t ops[] = { PROTO_OP_PUBLISH, PROTO_OP_UNPUBLISH, PROTO_OP_EXPORT };

START_TEST(test_request_roundtrip)
{
	struct proto_request req;
	size_t len = 0;
	uint16_t op = ops[_i];

	ck_assert_int_eq(proto_encode_request(buf, sizeof(buf), op, 0x5u, "camera0", &len), 0);
	ck_assert_uint_eq(len, HDR + 7);
	memset(&req, 0xaa, sizeof(req));
	ck_assert_int_eq(proto_decode_request(buf, len, &req), 0);
	ck_assert_uint_eq(req.op, op);
	ck_assert_uint_eq(req.flags, 0x5u);
	ck_assert_str_eq(req.name, "camera0");
}
END_TEST

START_TEST(test_request_roundtrip_lengths)
{
	static const size_t lens[] = { 1, 2, 3, 31, 254, 255 };
	struct proto_request req;
	char name[256];
	size_t len;

	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		memset(name, 'x', lens[i]);
		name[lens[i]] = '\0';
		/* "..x" style names are fine; only "." and ".." are not. */
		if (lens[i] >= 2)
			name[0] = '.';
		ck_assert_int_eq(
			proto_encode_request(buf, sizeof(buf), PROTO_OP_EXPORT, 0, name, &len), 0);
		ck_assert_uint_eq(len, HDR + lens[i]);
		ck_assert_int_eq(proto_decode_request(buf, len, &req), 0);
		ck_assert_str_eq(req.name, name);
	}
}
END_TEST

START_TEST(test_request_exact_buffer)
{
	struct proto_request req;
	unsigned char small[HDR + 3];
	size_t len;

	ck_assert_int_eq(
		proto_encode_request(small, sizeof(small), PROTO_OP_PUBLISH, 1, "abc", &len), 0);
	ck_assert_uint_eq(len, sizeof(small));
	ck_assert_int_eq(proto_decode_request(small, len, &req), 0);
	ck_assert_str_eq(req.name, "abc");
	ck_assert_int_eq(proto_encode_request(small, sizeof(small) - 1, PROTO_OP_PUBLISH, 1, "abc",
					      &len),
			 -ENOBUFS);
}
END_TEST

START_TEST(test_request_unaligned)
{
	struct proto_request req;
	size_t len;

	/* Messages may sit at any offset in a caller's buffer. */
	ck_assert_int_eq(proto_encode_request(buf + 1, sizeof(buf) - 1, PROTO_OP_UNPUBLISH, 0,
					      "odd", &len),
			 0);
	ck_assert_int_eq(proto_decode_request(buf + 1, len, &req), 0);
	ck_assert_uint_eq(req.op, PROTO_OP_UNPUBLISH);
	ck_assert_str_eq(req.name, "odd");
}
END_TEST

START_TEST(test_reply_roundtrip)
{
	struct proto_reply rep;
	size_t len;

	ck_assert_int_eq(proto_encode_reply(buf, sizeof(buf), 0, NULL, &len), 0);
	ck_assert_uint_eq(len, RHDR);
	memset(&rep, 0xaa, sizeof(rep));
	ck_assert_int_eq(proto_decode_reply(buf, len, &rep), 0);
	ck_assert_int_eq(rep.status, 0);
	ck_assert_str_eq(rep.msg, "");

	ck_assert_int_eq(
		proto_encode_reply(buf, sizeof(buf), -EEXIST, "name already published", &len), 0);
	ck_assert_uint_eq(len, RHDR + strlen("name already published"));
	ck_assert_int_eq(proto_decode_reply(buf, len, &rep), 0);
	ck_assert_int_eq(rep.status, -EEXIST);
	ck_assert_str_eq(rep.msg, "name already published");
}
END_TEST

START_TEST(test_reply_long_message_cut)
{
	struct proto_reply rep;
	char msg[PROTO_MSG_MAX + 100];
	size_t len;

	memset(msg, 'm', sizeof(msg) - 1);
	msg[sizeof(msg) - 1] = '\0';
	ck_assert_int_eq(proto_encode_reply(buf, sizeof(buf), -EINVAL, msg, &len), 0);
	ck_assert_uint_eq(len, PROTO_MAX_REPLY);
	ck_assert_int_eq(proto_decode_reply(buf, len, &rep), 0);
	ck_assert_int_eq(rep.status, -EINVAL);
	ck_assert_uint_eq(strlen(rep.msg), PROTO_MSG_MAX);
}
END_TEST

/* ------------------------------------------------------------ encoder errors */

START_TEST(test_encode_request_rejects)
{
	char long_name[300];
	size_t len = 12345;

	memset(long_name, 'a', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';

	ck_assert_int_eq(proto_encode_request(buf, sizeof(buf), 0, 0, "a", &len), -EINVAL);
	ck_assert_int_eq(proto_encode_request(buf, sizeof(buf), 5, 0, "a", &len), -EINVAL);
	/* LIST has no name. */
	ck_assert_int_eq(proto_encode_request(buf, sizeof(buf), PROTO_OP_LIST, 0, "a", &len),
			 -EINVAL);
	ck_assert_int_eq(proto_encode_request(buf, sizeof(buf), PROTO_OP_EXPORT, 0, "", &len),
			 -EINVAL);
	ck_assert_int_eq(proto_encode_request(buf, sizeof(buf), PROTO_OP_EXPORT, 0, ".", &len),
			 -EINVAL);
	ck_assert_int_eq(proto_encode_request(buf, sizeof(buf), PROTO_OP_EXPORT, 0, "..", &len),
			 -EINVAL);
	ck_assert_int_eq(proto_encode_request(buf, sizeof(buf), PROTO_OP_EXPORT, 0, "a/b", &len),
			 -EINVAL);
	ck_assert_int_eq(proto_encode_request(buf, sizeof(buf), PROTO_OP_EXPORT, 0, long_name,
					      &len),
			 -ENAMETOOLONG);
	long_name[256] = '\0';
	ck_assert_int_eq(proto_encode_request(buf, sizeof(buf), PROTO_OP_EXPORT, 0, long_name,
					      &len),
			 -ENAMETOOLONG);
	ck_assert_int_eq(proto_encode_request(buf, sizeof(buf), PROTO_OP_EXPORT, 0, NULL, &len),
			 -EINVAL);
	ck_assert_int_eq(proto_encode_request(buf, HDR, PROTO_OP_EXPORT, 0, "a", &len), -ENOBUFS);
	/* Nothing was reported as written. */
	ck_assert_uint_eq(len, 12345);
}
END_TEST

START_TEST(test_encode_reply_rejects)
{
	size_t len;

	ck_assert_int_eq(proto_encode_reply(buf, sizeof(buf), 1, "x", &len), -EINVAL);
	ck_assert_int_eq(proto_encode_reply(buf, sizeof(buf), -5000, "x", &len), -EINVAL);
	ck_assert_int_eq(proto_encode_reply(buf, RHDR, -EIO, "x", &len), -ENOBUFS);
	ck_assert_int_eq(proto_encode_reply(buf, RHDR, -EIO, "", &len), 0);
}
END_TEST

/* ------------------------------------------------------------ decode request */

START_TEST(test_decode_short)
{
	struct proto_request req;
	size_t len = good_request(PROTO_OP_EXPORT, "abc");

	ck_assert_int_eq(proto_decode_request(buf, 0, &req), -EBADMSG);
	ck_assert_int_eq(proto_decode_request(buf, 1, &req), -EBADMSG);
	ck_assert_int_eq(proto_decode_request(buf, HDR - 1, &req), -EBADMSG);
	/* A header whose name was cut off: name_len says 3, 2 arrived. */
	ck_assert_int_eq(proto_decode_request(buf, len - 1, &req), -EBADMSG);
	/* The header alone, with name_len 3. */
	ck_assert_int_eq(proto_decode_request(buf, HDR, &req), -EBADMSG);
}
END_TEST

START_TEST(test_decode_long)
{
	struct proto_request req;
	size_t len = good_request(PROTO_OP_EXPORT, "abc");

	/* Trailing bytes behind the name. */
	buf[len] = 'z';
	ck_assert_int_eq(proto_decode_request(buf, len + 1, &req), -EBADMSG);
	ck_assert_int_eq(proto_decode_request(buf, PROTO_MAX_REQUEST + 10, &req), -EBADMSG);
}
END_TEST

START_TEST(test_decode_magic)
{
	struct proto_request req;
	size_t len;

	len = raw_request(buf, PROTO_MAGIC ^ 1, PROTO_VERSION, PROTO_OP_EXPORT, 0, 1, "a", 1);
	ck_assert_int_eq(proto_decode_request(buf, len, &req), -EBADMSG);
	len = raw_request(buf, 0, PROTO_VERSION, PROTO_OP_EXPORT, 0, 1, "a", 1);
	ck_assert_int_eq(proto_decode_request(buf, len, &req), -EBADMSG);
	/* Byte-swapped magic: a peer of the other endianness. */
	len = raw_request(buf, __builtin_bswap32(PROTO_MAGIC), PROTO_VERSION, PROTO_OP_EXPORT, 0, 1,
			  "a", 1);
	ck_assert_int_eq(proto_decode_request(buf, len, &req), -EBADMSG);
}
END_TEST

START_TEST(test_decode_version)
{
	static const uint16_t bad[] = { 0, 2, 0x100, 0xffff };
	struct proto_request req;
	size_t len;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		len = raw_request(buf, PROTO_MAGIC, bad[i], PROTO_OP_EXPORT, 0, 1, "a", 1);
		ck_assert_int_eq(proto_decode_request(buf, len, &req), -EPROTONOSUPPORT);
	}
	/* A future version may lay out its body differently: the version is
	 * reported even when the lengths do not match ours. */
	len = raw_request(buf, PROTO_MAGIC, 2, PROTO_OP_EXPORT, 0, 99, "a", 1);
	ck_assert_int_eq(proto_decode_request(buf, len, &req), -EPROTONOSUPPORT);
}
END_TEST

START_TEST(test_decode_op)
{
	static const uint16_t bad[] = { 0, 5, 6, 0x101, 0xffff };
	struct proto_request req;
	size_t len;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		len = raw_request(buf, PROTO_MAGIC, PROTO_VERSION, bad[i], 0, 1, "a", 1);
		ck_assert_int_eq(proto_decode_request(buf, len, &req), -EOPNOTSUPP);
	}
}
END_TEST

/* LIST: no name, or a cursor of digits; anything else is malformed. */
START_TEST(test_list_has_no_name)
{
	struct proto_request req;
	size_t len;

	ck_assert_int_eq(proto_encode_request(buf, sizeof(buf), PROTO_OP_LIST, 0, "12345", &len),
			 0);
	ck_assert_int_eq(proto_decode_request(buf, len, &req), 0);
	ck_assert_str_eq(req.name, "12345");
	len = raw_request(buf, PROTO_MAGIC, PROTO_VERSION, PROTO_OP_LIST, 0, 21,
			  "123456789012345678901", 21);
	ck_assert_int_eq(proto_decode_request(buf, len, &req), -EBADMSG);

	ck_assert_int_eq(proto_encode_request(buf, sizeof(buf), PROTO_OP_LIST, 0, "", &len), 0);
	ck_assert_uint_eq(len, sizeof(struct proto_request_hdr));
	ck_assert_int_eq(proto_decode_request(buf, len, &req), 0);
	ck_assert_uint_eq(req.op, PROTO_OP_LIST);
	ck_assert_str_eq(req.name, "");
	len = raw_request(buf, PROTO_MAGIC, PROTO_VERSION, PROTO_OP_LIST, 0, 1, "a", 1);
	ck_assert_int_eq(proto_decode_request(buf, len, &req), -EBADMSG);
	/* Other ops still need one. */
	len = raw_request(buf, PROTO_MAGIC, PROTO_VERSION, PROTO_OP_EXPORT, 0, 0, "", 0);
	ck_assert_int_eq(proto_decode_request(buf, len, &req), -EINVAL);
}
END_TEST

/* LIST's PROTO_LIST_HOLDERS travels in the header's flags word, beside a
 * cursor; a flag LIST does not know reaches the daemon, which refuses it
 * (an old daemon ignores it: the client sees no "holders" in the reply). */
START_TEST(test_list_holders_flag)
{
	struct proto_request_hdr hdr;
	struct proto_request req;
	size_t len;

	ck_assert_int_eq(proto_encode_request(buf, sizeof(buf), PROTO_OP_LIST, PROTO_LIST_HOLDERS,
					      "42", &len),
			 0);
	ck_assert_uint_eq(len, HDR + 2);
	memcpy(&hdr, buf, sizeof(hdr));
	ck_assert_uint_eq(hdr.flags, 1u);
	ck_assert_uint_eq(hdr.op, PROTO_OP_LIST);
	ck_assert_int_eq(proto_decode_request(buf, len, &req), 0);
	ck_assert_uint_eq(req.flags, PROTO_LIST_HOLDERS);
	ck_assert_str_eq(req.name, "42");

	ck_assert_uint_eq(PROTO_LIST_FLAGS & ~PROTO_LIST_HOLDERS, 0);
	len = raw_request(buf, PROTO_MAGIC, PROTO_VERSION, PROTO_OP_LIST, 0x3, 0, "", 0);
	ck_assert_int_eq(proto_decode_request(buf, len, &req), 0);
	ck_assert_uint_eq(req.flags, 0x3u);
	ck_assert_uint_ne(req.flags & ~PROTO_LIST_FLAGS, 0);
}
END_TEST

/* A LIST chunk goes through whole, past PROTO_MSG_MAX; an error reply to
 * a LIST is told apart; a chunk that lies about its length is not one. */
START_TEST(test_list_reply)
{
	static char text[PROTO_LIST_CHUNK], big[PROTO_MAX_LIST_REPLY];
	struct proto_reply err;
	const char *got;
	size_t len, tlen;

	memset(text, 'j', sizeof(text));
	ck_assert_int_eq(proto_encode_list_reply(big, sizeof(big), text, sizeof(text), &len), 0);
	ck_assert_int_eq(proto_decode_list_reply(big, len, &err, &got, &tlen), 0);
	ck_assert_ptr_nonnull(got);
	ck_assert_uint_eq(tlen, sizeof(text));
	ck_assert_int_eq(memcmp(got, text, tlen), 0);
	ck_assert_int_eq(proto_decode_list_reply(big, len - 1, &err, &got, &tlen), -EBADMSG);
	ck_assert_int_eq(proto_encode_list_reply(big, sizeof(big), text, sizeof(text) + 1, &len),
			 -EINVAL);
	ck_assert_int_eq(proto_encode_reply(big, sizeof(big), -EBADMSG, "bad cursor", &len), 0);
	ck_assert_int_eq(proto_decode_list_reply(big, len, &err, &got, &tlen), 0);
	ck_assert_ptr_null(got);
	ck_assert_int_eq(err.status, -EBADMSG);
	ck_assert_str_eq(err.msg, "bad cursor");
}
END_TEST

/* A refused name still tells which request carried it (for the reply). */
START_TEST(test_decode_bad_name_keeps_op)
{
	struct proto_request req;
	size_t len =
		raw_request(buf, PROTO_MAGIC, PROTO_VERSION, PROTO_OP_PUBLISH, 0, 3, "a\nb", 3);

	ck_assert_int_eq(proto_decode_request(buf, len, &req), -EINVAL);
	ck_assert_uint_eq(req.op, PROTO_OP_PUBLISH);
}
END_TEST

START_TEST(test_decode_name_len_lies)
{
	static const uint32_t lies[] = { 0, 1, 5, 7, 255, 256, 0x7fffffff, 0xffffffff, 0xfffffff0 };
	struct proto_request req;
	size_t len;

	for (size_t i = 0; i < sizeof(lies) / sizeof(lies[0]); i++) {
		len = raw_request(buf, PROTO_MAGIC, PROTO_VERSION, PROTO_OP_EXPORT, 0, lies[i],
				  "abcdef", 6);
		ck_assert_int_eq(proto_decode_request(buf, len, &req), -EBADMSG);
	}
}
END_TEST

START_TEST(test_decode_bad_names)
{
	struct proto_request req;
	char big[300];
	size_t len;

	/* Empty: a header with name_len 0 and nothing behind it. */
	len = raw_request(buf, PROTO_MAGIC, PROTO_VERSION, PROTO_OP_EXPORT, 0, 0, "", 0);
	ck_assert_int_eq(proto_decode_request(buf, len, &req), -EINVAL);
	len = good_request(PROTO_OP_EXPORT, ".");
	ck_assert_int_eq(proto_decode_request(buf, len, &req), -EINVAL);
	len = good_request(PROTO_OP_EXPORT, "..");
	ck_assert_int_eq(proto_decode_request(buf, len, &req), -EINVAL);
	len = good_request(PROTO_OP_PUBLISH, "a/b");
	ck_assert_int_eq(proto_decode_request(buf, len, &req), -EINVAL);
	len = good_request(PROTO_OP_PUBLISH, "/");
	ck_assert_int_eq(proto_decode_request(buf, len, &req), -EINVAL);
	len = good_request(PROTO_OP_PUBLISH, "../etc");
	ck_assert_int_eq(proto_decode_request(buf, len, &req), -EINVAL);
	/* An embedded NUL would make the daemon see another name than the
	 * length says. */
	len = raw_request(buf, PROTO_MAGIC, PROTO_VERSION, PROTO_OP_EXPORT, 0, 3, "a\0b", 3);
	ck_assert_int_eq(proto_decode_request(buf, len, &req), -EINVAL);
	len = raw_request(buf, PROTO_MAGIC, PROTO_VERSION, PROTO_OP_EXPORT, 0, 2, "a\0", 2);
	ck_assert_int_eq(proto_decode_request(buf, len, &req), -EINVAL);

	/* 256 bytes, lengths consistent: the name's own error. */
	memset(big, 'n', sizeof(big));
	len = raw_request(buf, PROTO_MAGIC, PROTO_VERSION, PROTO_OP_EXPORT, 0, 256, big, 256);
	ck_assert_int_eq(proto_decode_request(buf, len, &req), -ENAMETOOLONG);
	len = raw_request(buf, PROTO_MAGIC, PROTO_VERSION, PROTO_OP_EXPORT, 0, 255, big, 255);
	ck_assert_int_eq(proto_decode_request(buf, len, &req), 0);
	ck_assert_uint_eq(strlen(req.name), 255);
}
END_TEST

START_TEST(test_decode_flags_pass_through)
{
	struct proto_request req;
	size_t len;

	/* Flags are the daemon's business (it knows which it supports). */
	len = raw_request(buf, PROTO_MAGIC, PROTO_VERSION, PROTO_OP_PUBLISH, 0xdeadbeef, 1, "f", 1);
	ck_assert_int_eq(proto_decode_request(buf, len, &req), 0);
	ck_assert_uint_eq(req.flags, 0xdeadbeef);
}
END_TEST

START_TEST(test_decode_random)
{
	struct proto_request req;
	unsigned int seed = 12345;

	/* Random bytes behind a mostly-valid header: never a crash, and a
	 * success only with a name that is valid and exactly as long as the
	 * message says. */
	for (int iter = 0; iter < 20000; iter++) {
		size_t len = (size_t)rand_r(&seed) % (PROTO_MAX_REQUEST + 8);
		struct proto_request_hdr h;
		int r;

		for (size_t i = 0; i < len; i++)
			buf[i] = (unsigned char)rand_r(&seed);
		if (len >= HDR && (iter & 1)) {
			memcpy(&h, buf, sizeof(h));
			h.magic = PROTO_MAGIC;
			h.version = PROTO_VERSION;
			h.op = 1 + iter % 3;
			h.name_len = (uint32_t)(len - HDR);
			memcpy(buf, &h, sizeof(h));
			for (size_t i = HDR; i < len; i++)
				if (buf[i] < 0x20 || buf[i] == 0x7f || buf[i] == '/')
					buf[i] = 'q';
		}
		memset(&req, 0, sizeof(req));
		r = proto_decode_request(buf, len, &req);
		if (r == 0) {
			ck_assert_uint_ge(len, HDR + 1);
			ck_assert_uint_eq(strlen(req.name), len - HDR);
			ck_assert_ptr_null(strchr(req.name, '/'));
		} else {
			ck_assert(r == -EBADMSG || r == -EPROTONOSUPPORT || r == -EOPNOTSUPP ||
				  r == -EINVAL || r == -ENAMETOOLONG);
		}
		if ((iter & 1) && len >= HDR + 1 && len <= PROTO_MAX_REQUEST &&
		    !(len == HDR + 1 && buf[HDR] == '.') &&
		    !(len == HDR + 2 && buf[HDR] == '.' && buf[HDR + 1] == '.'))
			ck_assert_int_eq(r, 0);
	}
}
END_TEST

/* ------------------------------------------------------------ decode reply */

START_TEST(test_decode_reply_rejects)
{
	struct proto_reply rep;
	char msg[PROTO_MSG_MAX + 1];
	size_t len;

	ck_assert_int_eq(proto_decode_reply(buf, 0, &rep), -EBADMSG);
	len = raw_reply(PROTO_MAGIC, 0, 0, "", 0);
	ck_assert_int_eq(proto_decode_reply(buf, len - 1, &rep), -EBADMSG);
	ck_assert_int_eq(proto_decode_reply(buf, len, &rep), 0);

	len = raw_reply(PROTO_MAGIC + 1, 0, 0, "", 0);
	ck_assert_int_eq(proto_decode_reply(buf, len, &rep), -EBADMSG);

	/* msg_len longer and shorter than what arrived. */
	len = raw_reply(PROTO_MAGIC, -EIO, 5, "abc", 3);
	ck_assert_int_eq(proto_decode_reply(buf, len, &rep), -EBADMSG);
	len = raw_reply(PROTO_MAGIC, -EIO, 2, "abc", 3);
	ck_assert_int_eq(proto_decode_reply(buf, len, &rep), -EBADMSG);
	len = raw_reply(PROTO_MAGIC, -EIO, 0xffffffff, "abc", 3);
	ck_assert_int_eq(proto_decode_reply(buf, len, &rep), -EBADMSG);

	/* Consistent, but over the maximum message size. */
	memset(msg, 'x', sizeof(msg));
	len = raw_reply(PROTO_MAGIC, -EIO, PROTO_MSG_MAX + 1, msg, PROTO_MSG_MAX + 1);
	ck_assert_int_eq(proto_decode_reply(buf, len, &rep), -EBADMSG);
	len = raw_reply(PROTO_MAGIC, -EIO, PROTO_MSG_MAX, msg, PROTO_MSG_MAX);
	ck_assert_int_eq(proto_decode_reply(buf, len, &rep), 0);

	/* Not an errno: a positive status, or one out of errno range. */
	len = raw_reply(PROTO_MAGIC, 3, 0, "", 0);
	ck_assert_int_eq(proto_decode_reply(buf, len, &rep), -EBADMSG);
	len = raw_reply(PROTO_MAGIC, INT32_MIN, 0, "", 0);
	ck_assert_int_eq(proto_decode_reply(buf, len, &rep), -EBADMSG);

	/* A NUL inside the text. */
	len = raw_reply(PROTO_MAGIC, -EIO, 3, "a\0b", 3);
	ck_assert_int_eq(proto_decode_reply(buf, len, &rep), -EBADMSG);
}
END_TEST

static Suite *proto_suite(void)
{
	Suite *s = suite_create("proto");
	TCase *tc;

	tc = tcase_create("layout");
	tcase_add_test(tc, test_layout);
	suite_add_tcase(s, tc);

	tc = tcase_create("roundtrip");
	tcase_add_loop_test(tc, test_request_roundtrip, 0, 3);
	tcase_add_test(tc, test_request_roundtrip_lengths);
	tcase_add_test(tc, test_request_exact_buffer);
	tcase_add_test(tc, test_request_unaligned);
	tcase_add_test(tc, test_reply_roundtrip);
	tcase_add_test(tc, test_reply_long_message_cut);
	suite_add_tcase(s, tc);

	tc = tcase_create("encode-errors");
	tcase_add_test(tc, test_encode_request_rejects);
	tcase_add_test(tc, test_encode_reply_rejects);
	suite_add_tcase(s, tc);
	return s;
}

static Suite *decode_suite(void)
{
	Suite *s = suite_create("decode");
	TCase *tc;

	tc = tcase_create("request");
	tcase_add_test(tc, test_decode_short);
	tcase_add_test(tc, test_decode_long);
	tcase_add_test(tc, test_decode_magic);
	tcase_add_test(tc, test_decode_version);
	tcase_add_test(tc, test_decode_op);
	tcase_add_test(tc, test_decode_name_len_lies);
	tcase_add_test(tc, test_list_has_no_name);
	tcase_add_test(tc, test_list_holders_flag);
	tcase_add_test(tc, test_list_reply);
	tcase_add_test(tc, test_decode_bad_name_keeps_op);
	tcase_add_test(tc, test_decode_bad_names);
	tcase_add_test(tc, test_decode_flags_pass_through);
	suite_add_tcase(s, tc);

	tc = tcase_create("random");
	tcase_add_test(tc, test_decode_random);
	suite_add_tcase(s, tc);

	tc = tcase_create("reply");
	tcase_add_test(tc, test_decode_reply_rejects);
	suite_add_tcase(s, tc);
	return s;
}

TESTSUITE_MAIN(proto_suite, decode_suite);
