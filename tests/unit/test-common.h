/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Helpers the unit tests share (and tests/helpers/ctl-fuzz, which sends
 * the same hand-built requests to a live daemon). Nothing here needs Check:
 * the suites' main() is testsuite.h's.
 */
#include <stddef.h>
#include <stdint.h>

/* n pseudo-random bytes (xorshift32) from seed: the same bytes for the same
 * seed, so a test can make its reference copy again. */
void fill_random(unsigned char *p, size_t n, uint32_t seed);

/* A control-socket request built by hand, independent of proto.c's encoder
 * under test: the header as given (name_len may lie), then real_len bytes
 * of name. buf has room for sizeof(struct proto_request_hdr) + real_len;
 * returns the message's length. */
size_t raw_request(void *buf, uint32_t magic, uint16_t version, uint16_t op, uint32_t flags,
		   uint32_t name_len, const void *name, size_t real_len);
