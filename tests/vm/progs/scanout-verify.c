/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * scanout-verify FILE|- SEED WIDTH HEIGHT PITCH
 *
 * For the scanout tests: the XRGB8888 picture read from FILE (or stdin,
 * an fd the shell kept open) with plain read(2), row by row at PITCH
 * bytes, must be vm_pattern(x, y, SEED) in every pixel (the X byte is
 * ignored), as page-flip drew its framebuffers. Prints "MATCH SEED" or
 * fails naming the first pixel that differs and the other seed it matches
 * instead, if asked (a second SEED after PITCH).
 * Exit: 0 match, 1 mismatch or error.
 */
#define _GNU_SOURCE
#include <stdbool.h>

#include "vmtest.h"

/* Whether row y of px (w pixels) is the pattern of seed; *bad_x the first
 * pixel that is not. */
static bool row_is(const uint32_t *px, uint32_t w, uint32_t y, uint32_t seed, uint32_t *bad_x)
{
	for (uint32_t x = 0; x < w; x++)
		if ((px[x] & 0x00ffffffu) != vm_pattern(x, y, seed)) {
			*bad_x = x;
			return false;
		}
	return true;
}

int main(int argc, char **argv)
{
	uint32_t seed, w, h, pitch, other = 0, bad_x = 0;
	uint8_t *row;
	int fd;

	if (argc != 6 && argc != 7) {
		fprintf(stderr,
			"usage: scanout-verify FILE|- SEED WIDTH HEIGHT PITCH [OTHER_SEED]\n");
		return 2;
	}
	seed = (uint32_t)strtoul(argv[2], NULL, 0);
	w = (uint32_t)strtoul(argv[3], NULL, 0);
	h = (uint32_t)strtoul(argv[4], NULL, 0);
	pitch = (uint32_t)strtoul(argv[5], NULL, 0);
	if (argc == 7)
		other = (uint32_t)strtoul(argv[6], NULL, 0);
	if (!w || !h || pitch < w * 4)
		vm_fail("bad geometry %ux%u pitch %u", w, h, pitch);
	fd = strcmp(argv[1], "-") ? open(argv[1], O_RDONLY | O_CLOEXEC) : 0;
	if (fd < 0)
		vm_fail("open %s: %s", argv[1], strerror(errno));
	row = malloc(pitch);
	if (!row)
		vm_fail("out of memory");
	for (uint32_t y = 0; y < h; y++) {
		size_t have = 0;

		while (have < pitch) {
			ssize_t n = read(fd, row + have, pitch - have);

			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				vm_fail("%s: short read at row %u (%s)", argv[1], y,
					n < 0 ? strerror(errno) : "end of file");
			have += (size_t)n;
		}
		if (!row_is((const uint32_t *)row, w, y, seed, &bad_x)) {
			uint32_t dummy;

			if (argc == 7 && row_is((const uint32_t *)row, w, y, other, &dummy))
				vm_fail("%s: row %u is the pattern of seed %#x, not %#x", argv[1],
					y, other, seed);
			vm_fail("%s: pixel %u,%u is %#08x, pattern %#x has %#08x", argv[1], bad_x,
				y, ((uint32_t *)row)[bad_x] & 0xffffffu, seed,
				vm_pattern(bad_x, y, seed));
		}
	}
	printf("MATCH %#x\n", seed);
	return 0;
}
