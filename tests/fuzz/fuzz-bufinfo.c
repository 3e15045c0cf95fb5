// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libFuzzer target: the debugfs dma_buf/bufinfo parser, bufinfo_parse()
 * (src/shared/bufinfo.c). The text is the kernel's, but every buffer's
 * name in it is whatever its owner gave DMA_BUF_SET_NAME: any 31 bytes,
 * tabs and newlines included, and `dmabufctl top` parses it as root.
 *
 * The input is parsed twice:
 *  - as the whole text: 0 or one of the documented errnos; a parsed list
 *    has strings terminated in their arrays, an exporter and an inode per
 *    entry, at most one entry a line, and totals that are its sum;
 *  - when it could be a name (up to 31 bytes, no NUL), as the name of the
 *    first of two buffers of an otherwise well-formed list: whatever the
 *    name, the list parses with both buffers and their inodes and sizes.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "fuzz.h"
#include "shared/bufinfo.h"

#define HEAD \
	"\nDma-buf Objects:\nsize    \tflags   \tmode    \tcount   \texp_name\tino     \tname\n"

static void check_list(const struct bufinfo *b, size_t lines)
{
	uint64_t sum = 0;

	FUZZ_ASSERT(b->n <= lines);
	FUZZ_ASSERT(b->n == 0 || b->entries);
	for (size_t i = 0; i < b->n; i++) {
		const struct bufinfo_entry *e = &b->entries[i];

		FUZZ_ASSERT(memchr(e->exp_name, '\0', sizeof(e->exp_name)));
		FUZZ_ASSERT(memchr(e->name, '\0', sizeof(e->name)));
		FUZZ_ASSERT(e->exp_name[0] != '\0');
		FUZZ_ASSERT(e->ino != 0);
		sum += e->size;
	}
	FUZZ_ASSERT(b->total_size == sum);
}

static void parse_as_name(const char *name)
{
	char text[1024];
	struct bufinfo b;
	int r;

	snprintf(text, sizeof(text),
		 HEAD "00004096\t00000002\t000a001f\t00000001\tsystem\t00000005\t%s\n"
		      "\tAttached Devices:\n\t0000:00:03.0\nTotal 1 devices attached\n\n"
		      "00008192\t00000002\t000a001f\t00000001\tsystem\t00000006\t<none>\n"
		      "\tAttached Devices:\nTotal 0 devices attached\n\n"
		      "\nTotal 2 objects, 12288 bytes\n",
		 name);
	r = bufinfo_parse(text, &b);
	FUZZ_ASSERT(r == 0 || r == -ENOMEM);
	if (r < 0)
		return;
	FUZZ_ASSERT(b.n == 2);
	FUZZ_ASSERT(b.entries[0].ino == 5 && b.entries[0].size == 4096);
	FUZZ_ASSERT(b.entries[1].ino == 6 && b.entries[1].size == 8192);
	FUZZ_ASSERT(b.total_size == 12288);
	bufinfo_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	size_t lines = 1;
	struct bufinfo b;
	int r;

	FUZZ_ASSERT(text);
	memcpy(text, data, size);
	text[size] = '\0';
	for (size_t i = 0; i < size; i++)
		lines += text[i] == '\n';

	r = bufinfo_parse(text, &b);
	FUZZ_ASSERT(r == 0 || r == -EINVAL || r == -EBADMSG || r == -EOPNOTSUPP || r == -ENOMEM);
	if (r == 0) {
		check_list(&b, lines);
		bufinfo_free(&b);
	}
	if (size < 32 && !memchr(data, '\0', size))
		parse_as_name(text);
	free(text);
	return 0;
}
