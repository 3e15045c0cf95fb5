// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * fsx-direct-mmap: a bounded, seeded fsx-like exerciser for a buffer file
 * opened with O_DIRECT and mapped MAP_SHARED at the same time.
 *
 *   fsx-direct-mmap [--seed S] [--ops N] [--sync] FILE
 *
 * FILE keeps its size (buffer files are fixed-size). One fd is opened
 * O_RDWR|O_DIRECT and mapped MAP_SHARED over the whole file; then N random
 * operations (default 20000) mix stores into the mapping, loads from it,
 * pwrite() and pread() on the O_DIRECT fd and pread() on a second, plain
 * open, at random offsets and lengths (unaligned included), against a
 * shadow copy. No msync and no SYNC ioctl between them (--sync adds an
 * msync(MS_SYNC) after each mapped store, to tell a coherence bug from a
 * write-back one). Every load is compared with the shadow: the first
 * difference prints "MISMATCH op N (KIND off LEN) at OFFSET: got 0xGG
 * expected 0xEE" with the last operations, and exits 1. Exit 0 prints
 * "OK N ops seed S size Z"; errors exit 2.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

enum op_kind {
	OP_MAPWRITE,
	OP_MAPREAD,
	OP_PWRITE,
	OP_PREAD,
	OP_PREAD2,
	OP_COUNT
};

static const char *const op_names[OP_COUNT] = { "mapwrite", "mapread", "pwrite", "pread",
						"pread-plain" };

struct op {
	enum op_kind kind;
	size_t off, len;
};

#define HISTORY 8

static uint64_t rng_state;

static uint64_t rnd(void)
{
	/* xorshift64*: reproducible from the seed alone */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545F4914F6CDD1DULL;
}

static void die(const char *what)
{
	fprintf(stderr, "fsx-direct-mmap: %s: %s\n", what, strerror(errno));
	exit(2);
}

static void report(const struct op *hist, unsigned long n, const struct op *op, size_t at,
		   unsigned char got, unsigned char want)
{
	printf("MISMATCH op %lu (%s %zu %zu) at %zu: got 0x%02x expected 0x%02x\n", n,
	       op_names[op->kind], op->off, op->len, at, got, want);
	for (unsigned long i = n > HISTORY ? n - HISTORY : 0; i < n; i++) {
		const struct op *h = &hist[i % HISTORY];

		printf("  op %lu: %s %zu %zu\n", i, op_names[h->kind], h->off, h->len);
	}
}

/* Compare got with the shadow at op->off; 0 or the mismatch reported. */
static int compare(const unsigned char *got, const unsigned char *shadow, const struct op *hist,
		   unsigned long n, const struct op *op)
{
	for (size_t i = 0; i < op->len; i++)
		if (got[i] != shadow[op->off + i]) {
			report(hist, n, op, op->off + i, got[i], shadow[op->off + i]);
			return 1;
		}
	return 0;
}

static void xpread(int fd, unsigned char *dst, size_t len, size_t off)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = pread(fd, dst + done, len - done, (off_t)(off + done));

		if (n <= 0) {
			if (n == 0)
				errno = ENODATA;
			die("pread");
		}
		done += (size_t)n;
	}
}

int main(int argc, char **argv)
{
	static const struct option opts[] = { { "seed", required_argument, NULL, 's' },
					      { "ops", required_argument, NULL, 'n' },
					      { "sync", no_argument, NULL, 'y' },
					      {} };
	unsigned long ops = 20000, seed = 1;
	struct op hist[HISTORY];
	unsigned char *map, *shadow, *tmp;
	bool sync_each = false;
	struct stat st;
	size_t size;
	int c, fd, fd2;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 's')
			seed = strtoul(optarg, NULL, 0);
		else if (c == 'n')
			ops = strtoul(optarg, NULL, 0);
		else if (c == 'y')
			sync_each = true;
		else
			return 2;
	}
	if (argc - optind != 1) {
		fprintf(stderr, "usage: fsx-direct-mmap [--seed S] [--ops N] [--sync] FILE\n");
		return 2;
	}
	rng_state = seed * 0x9E3779B97F4A7C15ULL + 1;
	fd = open(argv[optind], O_RDWR | O_DIRECT | O_CLOEXEC);
	if (fd < 0)
		die("open O_RDWR|O_DIRECT");
	fd2 = open(argv[optind], O_RDONLY | O_CLOEXEC);
	if (fd2 < 0)
		die("open O_RDONLY");
	if (fstat(fd, &st) < 0)
		die("fstat");
	size = (size_t)st.st_size;
	if (size < 4096) {
		fprintf(stderr, "fsx-direct-mmap: %s: %zu bytes, at least 4096 needed\n",
			argv[optind], size);
		return 2;
	}
	map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED)
		die("mmap MAP_SHARED of the O_DIRECT fd");
	shadow = malloc(size);
	tmp = malloc(size);
	if (!shadow || !tmp)
		die("malloc");
	xpread(fd, shadow, size, 0);
	if (memcmp(shadow, map, size) != 0) {
		struct op whole = { OP_MAPREAD, 0, size };

		return compare(map, shadow, hist, 0, &whole);
	}

	for (unsigned long n = 0; n < ops; n++) {
		struct op *op = &hist[n % HISTORY];
		/* Mostly small, sometimes up to 64 KiB, sometimes page-aligned. */
		size_t max = rnd() % 8 ? 512 : 65536;

		op->kind = (enum op_kind)(rnd() % OP_COUNT);
		op->len = 1 + rnd() % max;
		if (op->len > size)
			op->len = size;
		op->off = rnd() % (size - op->len + 1);
		if (rnd() % 4 == 0) {
			op->off &= ~(size_t)4095;
			op->len = (op->len + 4095) & ~(size_t)4095;
			if (op->off + op->len > size)
				op->len = size - op->off;
		}
		switch (op->kind) {
		case OP_MAPWRITE:
		case OP_PWRITE:
			for (size_t i = 0; i < op->len; i++)
				tmp[i] = (unsigned char)rnd();
			memcpy(shadow + op->off, tmp, op->len);
			if (op->kind == OP_MAPWRITE) {
				memcpy(map + op->off, tmp, op->len);
				if (sync_each && msync(map, size, MS_SYNC) < 0)
					die("msync");
			} else if (pwrite(fd, tmp, op->len, (off_t)op->off) != (ssize_t)op->len) {
				die("pwrite");
			}
			break;
		case OP_MAPREAD:
			if (compare(map + op->off, shadow, hist, n, op))
				return 1;
			break;
		case OP_PREAD:
		case OP_PREAD2:
			xpread(op->kind == OP_PREAD ? fd : fd2, tmp, op->len, op->off);
			if (compare(tmp, shadow, hist, n, op))
				return 1;
			break;
		default:
			break;
		}
	}
	/* The end state, through all three paths. */
	{
		struct op whole = { OP_MAPREAD, 0, size };

		if (compare(map, shadow, hist, ops, &whole))
			return 1;
		whole.kind = OP_PREAD2;
		xpread(fd2, tmp, size, 0);
		if (compare(tmp, shadow, hist, ops, &whole))
			return 1;
	}
	printf("OK %lu ops seed %lu size %zu\n", ops, seed, size);
	munmap(map, size);
	close(fd);
	close(fd2);
	free(shadow);
	free(tmp);
	return 0;
}
