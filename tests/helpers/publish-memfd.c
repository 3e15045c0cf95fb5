// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * publish-memfd: a client of the control socket for the integration tests.
 *
 *   publish-memfd [--seed S] [--transient] [--iomem 0|1] [--hold] SIZE NAME
 *	Create a memfd of SIZE bytes (K/M/G suffixes allowed) filled with the
 *	pattern byte[i] = (i * 7 + S) & 0xff (S defaults to 0), publish it as
 *	NAME and print "published NAME". Then exit (a --transient buffer goes
 *	away with us), or with --hold stay until SIGTERM/SIGINT, or until
 *	stdin reaches EOF when stdin is a pipe, FIFO, socket or terminal
 *	(with stdin on /dev/null or a file only the signals end it).
 *	Exit 0, or 1 with "publish-memfd: publish NAME: ERRNAME (message)".
 *
 *   publish-memfd --export NAME [--seed S] [--size N]
 *	Export NAME with dmabuffs_export() (NAME may be a path), mmap the
 *	returned fd and compare the first N bytes (default: the whole fd) with
 *	the pattern. Prints "OK NAME SIZE" and exits 0, or prints
 *	"MISMATCH NAME at OFFSET: got 0xGG expected 0xEE" (or
 *	"FAIL NAME: ERRNAME (message)" when the export fails) and exits 1.
 *
 *   publish-memfd --check-errors [--name BASE]
 *	Publishes a memfd as BASE (default "check-errors-PID"), then tries the
 *	error cases below and prints one line per case:
 *	    "CASE: GOT (expected WANT) ok|MISMATCH"
 *	where GOT/WANT are errno names (EEXIST) or OK. Finally unpublishes
 *	BASE. Exit 0 when every case matched, 1 otherwise. The expected
 *	errnos are those of HACKING.md ("Decisions the man pages do not
 *	spell out") and dmabuffs_publish(3);
 *	the name cases are refused by the library before anything is sent
 *	(ctl-fuzz sends them raw to the daemon).
 *
 * The control socket is $DMABUFFS_CONTROL, else /run/dmabuffs/control.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#ifdef HAVE_LINUX_DMA_BUF_H
#include <linux/dma-buf.h>
#endif

#include "dmabuffs/client.h"
#include "shared/macro.h"
#include "shared/util.h"

static const char *errname(int err)
{
	const char *s;

	if (err == 0)
		return "OK";
	s = strerrorname_np(err < 0 ? -err : err);
	return s ? s : "E?";
}

static uint8_t pattern(uint64_t i, unsigned int seed)
{
	return (uint8_t)((i * 7 + seed) & 0xff);
}

static int make_memfd(uint64_t size, unsigned int seed)
{
	_cleanup_close_ int fd = -1;
	uint8_t buf[65536];
	uint64_t off = 0;

	fd = memfd_create("publish-memfd", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0)
		return -errno;
	if (ftruncate(fd, (off_t)size) < 0)
		return -errno;
	while (off < size) {
		size_t n = (size_t)MIN((uint64_t)sizeof(buf), size - off);
		ssize_t w;

		for (size_t i = 0; i < n; i++)
			buf[i] = pattern(off + i, seed);
		w = pwrite(fd, buf, n, (off_t)off);
		if (w < 0)
			return -errno;
		off += (uint64_t)w;
	}
	return TAKE_FD(fd);
}

static volatile sig_atomic_t got_signal;

static void on_signal(int sig)
{
	got_signal = sig;
}

static void hold(void)
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct stat st;
	bool watch_stdin;

	/* No SA_RESTART: the signal must interrupt poll(). */
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	/* /dev/null would end the hold at once: only a pipe, socket or
	 * terminal on stdin is a way to say "stop". */
	watch_stdin = fstat(STDIN_FILENO, &st) == 0 &&
		      (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode) || isatty(STDIN_FILENO));
	while (!got_signal) {
		struct pollfd p = { .fd = STDIN_FILENO, .events = POLLIN };
		char buf[256];

		if (!watch_stdin) {
			pause();
			continue;
		}
		if (poll(&p, 1, -1) < 0)
			continue;
		if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
			ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));

			if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN))
				break;
		}
	}
}

static int do_publish(uint64_t size, const char *name, unsigned int flags, unsigned int seed,
		      bool want_hold)
{
	_cleanup_close_ int fd = -1;
	int r;

	fd = make_memfd(size, seed);
	if (fd < 0) {
		fprintf(stderr, "publish-memfd: memfd: %s\n", strerror(-fd));
		return EXIT_FAILURE;
	}
	r = dmabuffs_publish(fd, name, flags);
	if (r < 0) {
		fprintf(stderr, "publish-memfd: publish %s: %s (%s)\n", name, errname(r),
			dmabuffs_last_error());
		return EXIT_FAILURE;
	}
	printf("published %s\n", name);
	fflush(stdout);
	if (want_hold)
		hold();
	return EXIT_SUCCESS;
}

static void sync_dmabuf(int fd, bool start)
{
#ifdef HAVE_LINUX_DMA_BUF_H
	struct dma_buf_sync s = {
		.flags = DMA_BUF_SYNC_READ | (start ? DMA_BUF_SYNC_START : DMA_BUF_SYNC_END),
	};

	/* ENOTTY on a memfd: nothing to bracket. */
	while (ioctl(fd, DMA_BUF_IOCTL_SYNC, &s) < 0 && (errno == EINTR || errno == EAGAIN))
		;
#else
	(void)fd;
	(void)start;
#endif
}

static int do_export(const char *name, unsigned int seed, uint64_t want_size)
{
	_cleanup_close_ int fd = -1;
	uint64_t size;
	uint8_t *p;
	off_t end;

	fd = dmabuffs_export(name);
	if (fd < 0) {
		printf("FAIL %s: %s (%s)\n", name, errname(fd), dmabuffs_last_error());
		return EXIT_FAILURE;
	}
	/* lseek works on dma-bufs and memfds alike. */
	end = lseek(fd, 0, SEEK_END);
	if (end < 0) {
		printf("FAIL %s: lseek: %s\n", name, errname(errno));
		return EXIT_FAILURE;
	}
	size = want_size ? want_size : (uint64_t)end;
	if (size > (uint64_t)end) {
		printf("FAIL %s: fd has %" PRIu64 " bytes, expected at least %" PRIu64 "\n", name,
		       (uint64_t)end, size);
		return EXIT_FAILURE;
	}
	if (size == 0) {
		printf("OK %s 0\n", name);
		return EXIT_SUCCESS;
	}
	p = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		printf("FAIL %s: mmap: %s\n", name, errname(errno));
		return EXIT_FAILURE;
	}
	sync_dmabuf(fd, true);
	for (uint64_t i = 0; i < size; i++) {
		if (p[i] != pattern(i, seed)) {
			printf("MISMATCH %s at %" PRIu64 ": got 0x%02x expected 0x%02x\n", name, i,
			       p[i], pattern(i, seed));
			sync_dmabuf(fd, false);
			munmap(p, size);
			return EXIT_FAILURE;
		}
	}
	sync_dmabuf(fd, false);
	munmap(p, size);
	printf("OK %s %" PRIu64 "\n", name, size);
	return EXIT_SUCCESS;
}

static int failures;

static void expect(const char *what, int got, int want)
{
	bool ok = got == want;

	printf("%s: %s (expected %s) %s", what, errname(got), errname(want),
	       ok ? "ok" : "MISMATCH");
	if (got < 0 && dmabuffs_last_error()[0])
		printf(" [%s]", dmabuffs_last_error());
	putchar('\n');
	if (!ok)
		failures++;
}

static int check_errors(const char *base)
{
	char defname[64], long_name[300], slash[300];
	_cleanup_close_ int fd = -1, fd2 = -1, tmp = -1;
	int pipefd[2], r;

	if (!base) {
		snprintf(defname, sizeof(defname), "check-errors-%d", (int)getpid());
		base = defname;
	}
	fd = make_memfd(4096, 1);
	fd2 = make_memfd(4096, 2);
	if (fd < 0 || fd2 < 0) {
		fprintf(stderr, "publish-memfd: memfd: %s\n", strerror(-fd));
		return EXIT_FAILURE;
	}

	r = dmabuffs_publish(fd, base, 0);
	expect("publish", r, 0);
	if (r < 0)
		return EXIT_FAILURE; /* nothing else is meaningful */

	expect("duplicate", dmabuffs_publish(fd2, base, 0), -EEXIST);
	expect("duplicate-same-fd", dmabuffs_publish(fd, base, 0), -EEXIST);
	expect("empty-name", dmabuffs_publish(fd2, "", 0), -EINVAL);
	expect("dot-name", dmabuffs_publish(fd2, ".", 0), -EINVAL);
	expect("dotdot-name", dmabuffs_publish(fd2, "..", 0), -EINVAL);
	snprintf(slash, sizeof(slash), "%s/x", base);
	expect("slash-name", dmabuffs_publish(fd2, slash, 0), -EINVAL);
	memset(long_name, 'n', 256);
	long_name[256] = '\0';
	expect("long-name", dmabuffs_publish(fd2, long_name, 0), -ENAMETOOLONG);
	expect("both-iomem-flags",
	       dmabuffs_publish(fd2, "both-flags",
				DMABUFFS_PUBLISH_IOMEM | DMABUFFS_PUBLISH_SYSMEM),
	       -EINVAL);
	expect("closed-fd", dmabuffs_publish(999, "closed-fd", 0), -EBADF);

	if (pipe2(pipefd, O_CLOEXEC) < 0) {
		perror("pipe");
		return EXIT_FAILURE;
	}
	expect("pipe-fd", dmabuffs_publish(pipefd[0], "pipe-fd", 0), -EINVAL);
	close(pipefd[0]);
	close(pipefd[1]);

	tmp = open("/tmp", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (tmp >= 0)
		expect("regular-file-fd", dmabuffs_publish(tmp, "regular-file-fd", 0), -EINVAL);

	expect("export-unknown", dmabuffs_export("no-such-buffer-here"), -ENOENT);
	expect("unpublish-unknown", dmabuffs_unpublish("no-such-buffer-here"), -ENOENT);

	r = dmabuffs_export(base);
	expect("export", r < 0 ? r : 0, 0);
	if (r >= 0)
		close(r);
	expect("unpublish", dmabuffs_unpublish(base), 0);
	expect("unpublish-again", dmabuffs_unpublish(base), -ENOENT);
	expect("export-after-unpublish", dmabuffs_export(base), -ENOENT);

	return failures ? EXIT_FAILURE : EXIT_SUCCESS;
}

static void usage(FILE *f)
{
	fputs("Usage: publish-memfd [--seed S] [--transient] [--iomem 0|1] [--hold] SIZE NAME\n"
	      "       publish-memfd --export NAME [--seed S] [--size N]\n"
	      "       publish-memfd --check-errors [--name BASE]\n",
	      f);
}

int main(int argc, char **argv)
{
	enum {
		O_SEED = 0x100,
		O_TRANSIENT,
		O_IOMEM,
		O_HOLD,
		O_EXPORT,
		O_SIZE,
		O_CHECK,
		O_NAME
	};
	static const struct option opts[] = { { "seed", required_argument, NULL, O_SEED },
					      { "transient", no_argument, NULL, O_TRANSIENT },
					      { "iomem", required_argument, NULL, O_IOMEM },
					      { "hold", no_argument, NULL, O_HOLD },
					      { "export", required_argument, NULL, O_EXPORT },
					      { "size", required_argument, NULL, O_SIZE },
					      { "check-errors", no_argument, NULL, O_CHECK },
					      { "name", required_argument, NULL, O_NAME },
					      { "help", no_argument, NULL, 'h' },
					      {} };
	const char *export_name = NULL, *base = NULL;
	unsigned int flags = 0, seed = 0;
	bool want_hold = false, check = false;
	uint64_t v, size = 0;
	int c;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case O_SEED:
			if (parse_u64(optarg, 0, &v) < 0 || v > UINT32_MAX)
				goto bad;
			seed = (unsigned int)v;
			break;
		case O_TRANSIENT:
			flags |= DMABUFFS_PUBLISH_TRANSIENT;
			break;
		case O_IOMEM:
			if (!strcmp(optarg, "1"))
				flags |= DMABUFFS_PUBLISH_IOMEM;
			else if (!strcmp(optarg, "0"))
				flags |= DMABUFFS_PUBLISH_SYSMEM;
			else
				goto bad;
			break;
		case O_HOLD:
			want_hold = true;
			break;
		case O_EXPORT:
			export_name = optarg;
			break;
		case O_SIZE:
			if (parse_size(optarg, &size) < 0)
				goto bad;
			break;
		case O_CHECK:
			check = true;
			break;
		case O_NAME:
			base = optarg;
			break;
		case 'h':
			usage(stdout);
			return EXIT_SUCCESS;
		default:
			goto bad;
		}
	}

	/* Results go to stdout line by line, for tests reading a pipe. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (check)
		return optind == argc ? check_errors(base) : 2;
	if (export_name)
		return optind == argc ? do_export(export_name, seed, size) : 2;
	if (argc - optind != 2 || parse_size(argv[optind], &size) < 0 || !size)
		goto bad;
	return do_publish(size, argv[optind + 1], flags, seed, want_hold);
bad:
	usage(stderr);
	return 2;
}
