/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * check-pattern PPM SEED WIDTH HEIGHT
 *
 * Host checker for "VMHOST screendump TAG pattern SEED WIDTH HEIGHT": the
 * screendump (binary PPM, maxval 255) must be WIDTH x HEIGHT and every
 * pixel must be vm_pattern(x, y, SEED) from tests/vm/progs/vmtest.h, the
 * same function the guest drew with. Exit 0 match, 1 mismatch (reason on
 * stderr, one line).
 */
#include "../progs/vmtest.h"

static int header_int(FILE *f)
{
	int c, v = 0;

	/* whitespace and comments between header fields */
	while ((c = fgetc(f)) != EOF) {
		if (c == '#') {
			while ((c = fgetc(f)) != EOF && c != '\n')
				;
		} else if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
			break;
		}
	}
	if (c < '0' || c > '9')
		return -1;
	do
		v = v * 10 + (c - '0');
	while ((c = fgetc(f)) >= '0' && c <= '9');
	return v; /* the one whitespace after maxval is consumed here */
}

int main(int argc, char **argv)
{
	uint32_t seed, w, h, bad = 0, fx = 0, fy = 0, got = 0;
	int pw, ph, max;
	FILE *f;

	if (argc != 5) {
		fprintf(stderr, "usage: check-pattern PPM SEED WIDTH HEIGHT\n");
		return 2;
	}
	seed = (uint32_t)strtoul(argv[2], NULL, 0);
	w = (uint32_t)strtoul(argv[3], NULL, 0);
	h = (uint32_t)strtoul(argv[4], NULL, 0);
	f = fopen(argv[1], "rb");
	if (!f) {
		fprintf(stderr, "%s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	if (fgetc(f) != 'P' || fgetc(f) != '6') {
		fprintf(stderr, "%s: not a binary PPM\n", argv[1]);
		return 1;
	}
	pw = header_int(f);
	ph = header_int(f);
	max = header_int(f);
	if (max != 255) {
		fprintf(stderr, "%s: maxval %d, expected 255\n", argv[1], max);
		return 1;
	}
	if (pw != (int)w || ph != (int)h) {
		fprintf(stderr, "screendump is %dx%d, the guest drew %ux%u\n", pw, ph, w, h);
		return 1;
	}
	for (uint32_t y = 0; y < h; y++)
		for (uint32_t x = 0; x < w; x++) {
			uint8_t rgb[3];
			uint32_t v;

			if (fread(rgb, 1, 3, f) != 3) {
				fprintf(stderr, "%s: short at pixel (%u,%u)\n", argv[1], x, y);
				return 1;
			}
			v = (uint32_t)rgb[0] << 16 | (uint32_t)rgb[1] << 8 | rgb[2];
			if (v != vm_pattern(x, y, seed) && !bad++) {
				fx = x;
				fy = y;
				got = v;
			}
		}
	fclose(f);
	if (bad) {
		fprintf(stderr, "%u of %u pixels differ; first (%u,%u) is %06x, expected %06x\n",
			bad, w * h, fx, fy, got, vm_pattern(fx, fy, seed));
		return 1;
	}
	printf("# %ux%u pixels match pattern seed %#x\n", w, h, seed);
	return 0;
}
