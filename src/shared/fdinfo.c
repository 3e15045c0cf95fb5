// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * /proc/PID/fdinfo/FD of a dma-buf reads (kernel 5.14+; older kernels lack
 * "ino:"):
 *
 *   pos:	0
 *   flags:	02000002
 *   mnt_id:	15
 *   ino:	1033
 *   size:	4096
 *   count:	1
 *   exp_name:	udmabuf
 *   name:	frame0            (only once DMA_BUF_SET_NAME was used)
 *
 * The text comes from another process's fd table (discovery) and other
 * file types put their own lines there (eventfd, epoll, inotify, DRM's
 * drm-* keys), so: unknown keys are ignored, known keys must be well formed,
 * and nothing is ever copied past the fixed-size fields.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shared/fdinfo.h"
#include "shared/macro.h"
#include "shared/util.h"

enum {
	SEEN_FLAGS = 1 << 0,
	SEEN_INO = 1 << 1,
	SEEN_SIZE = 1 << 2,
	SEEN_COUNT = 1 << 3,
	SEEN_EXP_NAME = 1 << 4,
	SEEN_NAME = 1 << 5,
	SEEN_POS = 1 << 6,
};

struct parse_state {
	struct dmabuf_fdinfo info;
	unsigned int seen;
	unsigned int lines;
};

static int parse_number(const char *val, size_t len, int base, uint64_t *out)
{
	char tmp[32];

	/* Trailing blanks are tolerated, anything else is not. */
	while (len > 0 && (val[len - 1] == ' ' || val[len - 1] == '\t'))
		len--;
	if (len == 0 || len >= sizeof(tmp))
		return -EINVAL;
	memcpy(tmp, val, len);
	tmp[len] = '\0';
	return parse_u64(tmp, base, out) < 0 ? -EINVAL : 0;
}

static int copy_string(char *dst, size_t dstsz, const char *val, size_t len)
{
	/* A longer exp_name or name cannot come from a kernel that follows
	 * its own limits (module names are < 56 bytes, dma-buf names < 32):
	 * refuse it instead of truncating it into something else. */
	if (len >= dstsz || memchr(val, '\0', len))
		return -EINVAL;
	memcpy(dst, val, len);
	dst[len] = '\0';
	return 0;
}

/* One line, without its '\n'. */
static int parse_line(struct parse_state *st, const char *line, size_t len)
{
	static const struct {
		const char *key;
		unsigned int bit;
	} keys[] = {
		{ "pos", SEEN_POS },   { "flags", SEEN_FLAGS }, { "ino", SEEN_INO },
		{ "size", SEEN_SIZE }, { "count", SEEN_COUNT }, { "exp_name", SEEN_EXP_NAME },
		{ "name", SEEN_NAME },
	};
	const char *colon, *val;
	size_t keylen, vlen;
	unsigned int bit = 0;
	uint64_t v;

	if (len == 0)
		return 0;
	st->lines++;

	colon = memchr(line, ':', len);
	if (!colon)
		return 0; /* not a "key: value" line of ours */
	keylen = (size_t)(colon - line);
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
		if (strlen(keys[i].key) == keylen && memcmp(keys[i].key, line, keylen) == 0) {
			bit = keys[i].bit;
			break;
		}
	}
	if (!bit)
		return 0;
	/* The same key twice means this is not text we understand. */
	if (st->seen & bit)
		return -EINVAL;
	st->seen |= bit;

	val = colon + 1;
	vlen = len - keylen - 1;
	while (vlen > 0 && (*val == ' ' || *val == '\t')) {
		val++;
		vlen--;
	}

	switch (bit) {
	case SEEN_POS:
		return parse_number(val, vlen, 10, &v);
	case SEEN_FLAGS:
		/* Octal, with a leading 0 ("02000002"). */
		if (parse_number(val, vlen, 8, &v) < 0 || v > UINT32_MAX)
			return -EINVAL;
		st->info.flags = (unsigned int)v;
		return 0;
	case SEEN_INO:
		if (parse_number(val, vlen, 10, &v) < 0)
			return -EINVAL;
		st->info.ino = v;
		return 0;
	case SEEN_SIZE:
		if (parse_number(val, vlen, 10, &v) < 0)
			return -EINVAL;
		st->info.size = v;
		return 0;
	case SEEN_COUNT:
		if (parse_number(val, vlen, 10, &v) < 0 || v > UINT32_MAX)
			return -EINVAL;
		st->info.count = (uint32_t)v;
		return 0;
	case SEEN_EXP_NAME:
		if (vlen == 0)
			return -EINVAL;
		return copy_string(st->info.exp_name, sizeof(st->info.exp_name), val, vlen);
	case SEEN_NAME:
		/* Present but empty is allowed: a name set to "". */
		return copy_string(st->info.name, sizeof(st->info.name), val, vlen);
	}
	return 0;
}

static int parse_finish(struct parse_state *st, struct dmabuf_fdinfo *out)
{
	if (st->lines == 0)
		return -EINVAL;
	st->info.is_dmabuf = st->seen & SEEN_EXP_NAME;
	/* Every dma-buf prints size and count before exp_name. */
	if (st->info.is_dmabuf && (st->seen & (SEEN_SIZE | SEEN_COUNT)) != (SEEN_SIZE | SEEN_COUNT))
		return -EINVAL;
	*out = st->info;
	return 0;
}

int fdinfo_parse(const char *text, struct dmabuf_fdinfo *out)
{
	struct parse_state st = { 0 };
	const char *p;

	if (!text || !out)
		return -EINVAL;

	p = text;
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		int r = parse_line(&st, p, len);

		if (r < 0)
			return r;
		p += len;
		if (*p == '\n')
			p++;
	}
	return parse_finish(&st, out);
}

int fdinfo_read(pid_t pid, int fd, struct dmabuf_fdinfo *out)
{
	struct parse_state st = { 0 };
	_cleanup_fclose_ FILE *f = NULL;
	_cleanup_free_ char *line = NULL;
	size_t cap = 0;
	char path[64];
	ssize_t n;

	if (fd < 0 || pid < 0 || !out)
		return -EINVAL;
	if (pid == 0)
		snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	else
		snprintf(path, sizeof(path), "/proc/%d/fdinfo/%d", (int)pid, fd);

	/* Line by line: an epoll or inotify fdinfo can be long, and the lines
	 * we want are short. */
	f = fopen(path, "re");
	if (!f)
		return -errno;
	errno = 0;
	while ((n = getline(&line, &cap, f)) >= 0) {
		size_t len = (size_t)n;
		int r;

		if (len > 0 && line[len - 1] == '\n')
			len--;
		r = parse_line(&st, line, len);
		if (r < 0)
			return r;
	}
	if (ferror(f))
		return errno ? -errno : -EIO;
	return parse_finish(&st, out);
}
