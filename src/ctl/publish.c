// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * dmabufctl publish, unpublish, export and import: the subcommands that go
 * through the control socket (libdmabuffs).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctl/convert.h"
#include "ctl/ctl.h"
#include "dmabuffs/client.h"
#include "shared/fdinfo.h"
#include "shared/macro.h"
#include "shared/pidfd.h"
#include "shared/util.h"

/* ------------------------------------------------------------ publish */

/*
 * A transient buffer lives as long as our connection to the daemon, so we
 * stay until told to go. The signals are blocked before publishing so that
 * one arriving early is not lost.
 */
static void block_exit_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGHUP);
	sigprocmask(SIG_BLOCK, set, NULL);
}

static int hold_until_signal(const sigset_t *set)
{
	int sig;

	while (sigwait(set, &sig) != 0)
		;
	return EXIT_SUCCESS;
}

static int do_publish(int fd, const char *name, unsigned int flags,
		      const struct dmabuffs_image_layout *image)
{
	sigset_t set;
	int r;

	if (flags & DMABUFFS_PUBLISH_TRANSIENT)
		block_exit_signals(&set);
	r = dmabuffs_publish_image(fd, name, flags, image);
	if (r < 0)
		return fail_lib(name, r);
	fputs("published ", stdout);
	fprint_escaped(stdout, name);
	putchar('\n');
	if (fflush(stdout) != 0)
		return fail("stdout", errno, NULL);
	if (flags & DMABUFFS_PUBLISH_TRANSIENT)
		return hold_until_signal(&set);
	return EXIT_SUCCESS;
}

/* --transient and --iomem, which publish and import share: 0 when taken,
 * an exit status for a bad value, -1 for another option. */
static int flag_opt(int c, unsigned int *flags)
{
	switch (c) {
	case OPT_TRANSIENT:
		*flags |= DMABUFFS_PUBLISH_TRANSIENT;
		return 0;
	case OPT_IOMEM:
		if (parse_iomem_arg(optarg, flags) < 0)
			return usage_error("--iomem takes 0 or 1");
		return 0;
	default:
		return -1;
	}
}

/* The image layout options; dmabufctl's own option numbers above ctl.h's. */
enum {
	OPT_LAYOUT_MODIFIER = 0x300,
	OPT_LAYOUT_PLANE,
};

struct layout_args {
	const char *format, *width, *height, *modifier;
	const char *plane[DMABUFFS_MAX_PLANES];
	unsigned int nplane;
};

/* "OFFSET:STRIDE" in bytes. */
static int parse_plane(const char *s, uint64_t *offset, uint32_t *stride)
{
	const char *colon = strchr(s, ':');
	char num[32];
	uint64_t v;

	if (!colon || (size_t)(colon - s) >= sizeof(num))
		return -EINVAL;
	memcpy(num, s, (size_t)(colon - s));
	num[colon - s] = '\0';
	if (parse_u64(num, 0, offset) < 0 || parse_u64(colon + 1, 0, &v) < 0 || !v ||
	    v > UINT32_MAX)
		return -EINVAL;
	*stride = (uint32_t)v;
	return 0;
}

static int parse_dim(const char *what, const char *s, uint32_t *out)
{
	uint64_t v;

	if (parse_u64(s, 0, &v) < 0 || !v || v > UINT32_MAX)
		return usage_error("--%s takes a number of pixels, not '%s'", what, s);
	*out = (uint32_t)v;
	return 0;
}

/* The layout the options describe; *image NULL when none was given, else
 * all of --format, --width, --height and --plane are needed. 0, or an exit
 * status. */
static int layout_from_args(const struct layout_args *a, struct dmabuffs_image_layout *l,
			    const struct dmabuffs_image_layout **image)
{
	uint64_t mod = 0;
	int r;

	*image = NULL;
	if (!a->format && !a->width && !a->height && !a->modifier && !a->nplane)
		return 0;
	if (!a->format || !a->width || !a->height || !a->nplane)
		return usage_error("an image layout needs --format, --width, --height and "
				   "--plane OFFSET:STRIDE (one per plane)");
	memset(l, 0, sizeof(*l));
	r = format_parse(a->format, &l->fourcc);
	if (r < 0)
		return usage_error("unknown --format '%s' (a DRM fourcc like XR24 or NV12)",
				   a->format);
	if (a->nplane != format_planes(l->fourcc))
		return usage_error("%s has %u planes, %u --plane given", a->format,
				   format_planes(l->fourcc), a->nplane);
	if ((r = parse_dim("width", a->width, &l->width)) ||
	    (r = parse_dim("height", a->height, &l->height)))
		return r;
	if (a->modifier && strcasecmp(a->modifier, "linear") && parse_u64(a->modifier, 0, &mod) < 0)
		return usage_error("--modifier takes a number or LINEAR, not '%s'", a->modifier);
	l->modifier = mod;
	l->nplanes = a->nplane;
	for (unsigned int i = 0; i < a->nplane; i++)
		if (parse_plane(a->plane[i], &l->planes[i].offset, &l->planes[i].stride) < 0)
			return usage_error("--plane takes OFFSET:STRIDE (bytes, stride > 0), "
					   "not '%s'",
					   a->plane[i]);
	*image = l;
	return 0;
}

/* A layout option: 0 when taken, an exit status for a bad one, -1 for
 * another option. */
static int layout_opt(int c, struct layout_args *a)
{
	switch (c) {
	case OPT_FORMAT:
		a->format = optarg;
		return 0;
	case OPT_WIDTH:
		a->width = optarg;
		return 0;
	case OPT_HEIGHT:
		a->height = optarg;
		return 0;
	case OPT_LAYOUT_MODIFIER:
		a->modifier = optarg;
		return 0;
	case OPT_LAYOUT_PLANE:
		if (a->nplane == DMABUFFS_MAX_PLANES)
			return usage_error("at most %d --plane options", DMABUFFS_MAX_PLANES);
		a->plane[a->nplane++] = optarg;
		return 0;
	default:
		return -1;
	}
}

int cmd_publish(int argc, char **argv)
{
	static const struct option opts[] = {
		COMMON_OPTS,
		{ "transient", no_argument, NULL, OPT_TRANSIENT },
		{ "iomem", required_argument, NULL, OPT_IOMEM },
		{ "fd", required_argument, NULL, OPT_FD },
		{ "format", required_argument, NULL, OPT_FORMAT },
		{ "width", required_argument, NULL, OPT_WIDTH },
		{ "height", required_argument, NULL, OPT_HEIGHT },
		{ "modifier", required_argument, NULL, OPT_LAYOUT_MODIFIER },
		{ "plane", required_argument, NULL, OPT_LAYOUT_PLANE },
		{}
	};
	_cleanup_close_ int opened = -1;
	const struct dmabuffs_image_layout *image;
	struct dmabuffs_image_layout layout;
	struct layout_args la = { 0 };
	unsigned int flags = 0;
	int c, r, fd = -1;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if ((r = layout_opt(c, &la)) >= 0) {
			if (r > 0)
				return r;
			continue;
		}
		switch (c) {
		case OPT_TRANSIENT:
		case OPT_IOMEM:
			if ((r = flag_opt(c, &flags)) > 0)
				return r;
			break;
		case OPT_FD:
			if (parse_int_arg(optarg, &fd) < 0)
				return usage_error("invalid fd '%s'", optarg);
			break;
		default:
			if ((r = common_opt(c)) >= 0)
				return r;
		}
	}

	if ((r = layout_from_args(&la, &layout, &image)))
		return r;
	if (fd >= 0) {
		if (argc - optind != 1)
			return usage_error("expected --fd N NAME");
		if (fcntl(fd, F_GETFD) < 0)
			return failf("fd %d: %s (not inherited from the caller)", fd,
				     strerror(errno));
		return do_publish(fd, argv[optind], flags, image);
	}

	if (argc - optind != 2)
		return usage_error("expected FILE NAME, or --fd N NAME");
	/* Opening the path makes a new open file: for a memfd's
	 * /proc/PID/fd/N that is the same memory, reopened. */
	opened = open(argv[optind], O_RDWR | O_CLOEXEC);
	if (opened < 0 && (errno == EACCES || errno == EROFS || errno == EPERM || errno == ETXTBSY))
		opened = open(argv[optind], O_RDONLY | O_CLOEXEC);
	if (opened < 0)
		return fail(argv[optind], errno, NULL);
	return do_publish(opened, argv[optind + 1], flags, image);
}

int cmd_unpublish(int argc, char **argv)
{
	static const struct option opts[] = { COMMON_OPTS, {} };
	const char *name;
	int c, r;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1)
		if ((r = common_opt(c)) >= 0)
			return r;
	if (argc - optind != 1)
		return usage_error("expected one NAME");
	name = basename_of(argv[optind]);
	r = dmabuffs_unpublish(name);
	if (r < 0)
		return fail_lib(name, r);
	return EXIT_SUCCESS;
}

/* ------------------------------------------------------------ export */

static void print_field(const char *key, const char *val)
{
	printf("%s: ", key);
	fprint_escaped(stdout, val);
	putchar('\n');
}

static int print_fd_info(int fd)
{
	struct dmabuf_fdinfo fi;
	struct stat st;
	char link[PATH_MAX], path[64];
	ssize_t n;

	if (fstat(fd, &st) < 0)
		return fail("fstat", errno, NULL);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, link, sizeof(link) - 1);
	link[n > 0 ? n : 0] = '\0';

	printf("fd: %d\n", fd);
	if (fdinfo_read(0, fd, &fi) == 0 && fi.is_dmabuf) {
		printf("size: %" PRIu64 "\n", fi.size);
		print_field("exp_name", fi.exp_name);
		printf("ino: %" PRIu64 "\n", fi.ino);
		if (fi.name[0])
			print_field("name", fi.name);
	} else {
		/* Not a dma-buf: a memfd from the memfd backend. */
		printf("size: %" PRIu64 "\n", (uint64_t)st.st_size);
		print_field("exp_name", !strncmp(link, "/memfd:", 7) ? "memfd" : "none");
		printf("ino: %" PRIu64 "\n", (uint64_t)st.st_ino);
	}
	if (link[0])
		print_field("link", link);
	return fflush(stdout) == 0 ? EXIT_SUCCESS : fail("stdout", errno, NULL);
}

int cmd_export(int argc, char **argv)
{
	static const struct option opts[] = { COMMON_OPTS, {} };
	_cleanup_close_ int fd = -1;
	const char *name;
	char num[16];
	int c, r, flags;

	/* '+': stop at NAME, so that CMD's own options are left alone. */
	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1)
		if ((r = common_opt(c)) >= 0)
			return r;
	if (optind >= argc)
		return usage_error("expected NAME [-- CMD [ARGS...]]");
	name = argv[optind++];
	if (optind < argc && !strcmp(argv[optind], "--"))
		optind++;

	fd = dmabuffs_export(name);
	if (fd < 0)
		return fail_lib(name, fd);
	if (optind >= argc)
		return print_fd_info(fd);

	/* The command inherits the fd: clear FD_CLOEXEC on it alone. */
	flags = fcntl(fd, F_GETFD);
	if (flags < 0 || fcntl(fd, F_SETFD, flags & ~FD_CLOEXEC) < 0)
		return fail("fcntl", errno, NULL);
	snprintf(num, sizeof(num), "%d", fd);
	if (setenv("DMABUF_FD", num, 1) < 0)
		return fail("setenv", errno, NULL);
	fflush(NULL);
	execvp(argv[optind], argv + optind);
	r = errno;
	fail(argv[optind], r, NULL);
	/* As env(1) and the shell do. */
	return r == ENOENT ? 127 : 126;
}

/* ------------------------------------------------------------ import */

int cmd_import(int argc, char **argv)
{
	static const struct option opts[] = { COMMON_OPTS,
					      { "pid", required_argument, NULL, OPT_PID },
					      { "fd", required_argument, NULL, OPT_FD },
					      { "transient", no_argument, NULL, OPT_TRANSIENT },
					      { "iomem", required_argument, NULL, OPT_IOMEM },
					      {} };
	_cleanup_close_ int pidfd = -1, fd = -1;
	unsigned int flags = 0;
	int c, r, pid = -1, target = -1;
	char what[64];

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case OPT_TRANSIENT:
		case OPT_IOMEM:
			if ((r = flag_opt(c, &flags)) > 0)
				return r;
			break;
		case OPT_PID:
			if (parse_int_arg(optarg, &pid) < 0 || pid <= 0)
				return usage_error("invalid pid '%s'", optarg);
			break;
		case OPT_FD:
			if (parse_int_arg(optarg, &target) < 0)
				return usage_error("invalid fd '%s'", optarg);
			break;
		default:
			if ((r = common_opt(c)) >= 0)
				return r;
		}
	}
	if (pid < 0 || target < 0)
		return usage_error("--pid P and --fd N are required");
	if (argc - optind != 1)
		return usage_error("expected one NAME");

	snprintf(what, sizeof(what), "pid %d", pid);
	pidfd = (int)syscall(SYS_pidfd_open, (pid_t)pid, 0u);
	if (pidfd < 0)
		return fail(what, errno, NULL);
	snprintf(what, sizeof(what), "fd %d of pid %d", target, pid);
	fd = (int)syscall(SYS_pidfd_getfd, pidfd, target, 0u);
	if (fd < 0) {
		r = errno;
		if (r == EPERM || r == EACCES)
			return fail(what, r,
				    "taking another process's fd needs "
				    "ptrace rights over it: the same user and "
				    "kernel.yama.ptrace_scope allowing it, or "
				    "CAP_SYS_PTRACE");
		return fail(what, r, NULL);
	}
	/* pidfd_getfd gives O_CLOEXEC already; the copy is ours to publish. */
	return do_publish(fd, argv[optind], flags | DMABUFFS_PUBLISH_IMPORTED, NULL);
}
