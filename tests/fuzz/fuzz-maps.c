// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libFuzzer target: the /proc/PID/maps parser (src/shared/maps.c). Maps
 * lines carry names any process chooses (a mapped file's path, a dma-buf's
 * name): every line parses or is refused with its errno, a parsed mapping
 * is well-formed, and the whole text parses to at most one mapping a line.
 */
#include <errno.h>
#include <string.h>

#include "fuzz.h"
#include "shared/maps.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dmabuf_mapping m, *v = NULL;
	size_t n = 0, lines = 1, i;
	char *text = malloc(size + 1);
	int r;

	FUZZ_ASSERT(text);
	memcpy(text, data, size);
	text[size] = '\0';
	for (i = 0; i < size; i++)
		lines += text[i] == '\n';

	r = maps_parse_line(text, &m);
	FUZZ_ASSERT(r == 0 || r == -ENOENT || r == -EINVAL);
	if (r == 0) {
		FUZZ_ASSERT(m.start <= m.end);
		FUZZ_ASSERT(memchr(m.name, '\0', sizeof(m.name)));
	}

	r = maps_parse_text(text, &v, &n);
	FUZZ_ASSERT(r == 0 || r == -ENOMEM || r == -EINVAL);
	if (r == 0) {
		FUZZ_ASSERT(n <= lines);
		for (i = 0; i < n; i++) {
			FUZZ_ASSERT(v[i].start <= v[i].end);
			FUZZ_ASSERT(memchr(v[i].name, '\0', sizeof(v[i].name)));
		}
	}
	free(v);
	free(text);
	return 0;
}
