// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libFuzzer target: the fdinfo parser (src/shared/fdinfo.c). Discovery feeds
 * it text from other processes' fd tables, where any file type can print any
 * line. Beyond "no crash" it checks what a successful parse promises: the
 * fixed-size strings are terminated, and a dma-buf has an exporter name.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "shared/fdinfo.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dmabuf_fdinfo info;
	char *text = malloc(size + 1);

	FUZZ_ASSERT(text);
	memcpy(text, data, size);
	text[size] = '\0';
	memset(&info, 0xa5, sizeof(info));
	if (fdinfo_parse(text, &info) == 0) {
		FUZZ_ASSERT(memchr(info.exp_name, '\0', sizeof(info.exp_name)));
		FUZZ_ASSERT(memchr(info.name, '\0', sizeof(info.name)));
		FUZZ_ASSERT(info.is_dmabuf == (info.exp_name[0] != '\0'));
		/* The text must really hold what was parsed out of it. */
		if (info.is_dmabuf)
			FUZZ_ASSERT(strstr(text, info.exp_name));
		if (info.name[0])
			FUZZ_ASSERT(strstr(text, info.name));
	}
	free(text);
	return 0;
}
