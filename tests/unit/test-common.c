// SPDX-License-Identifier: LGPL-2.1-or-later
#include <string.h>

#include "lib/proto.h"
#include "test-common.h"

void fill_random(unsigned char *p, size_t n, uint32_t seed)
{
	uint32_t x = seed | 1;

	for (size_t i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		p[i] = (unsigned char)(x >> 11);
	}
}

size_t raw_request(void *buf, uint32_t magic, uint16_t version, uint16_t op, uint32_t flags,
		   uint32_t name_len, const void *name, size_t real_len)
{
	struct proto_request_hdr h = {
		.magic = magic,
		.version = version,
		.op = op,
		.flags = flags,
		.name_len = name_len,
	};

	memcpy(buf, &h, sizeof(h));
	if (real_len)
		memcpy((char *)buf + sizeof(h), name, real_len);
	return sizeof(h) + real_len;
}
