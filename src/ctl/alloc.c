// SPDX-License-Identifier: LGPL-2.1-or-later
/* dmabufctl alloc and set-iomem: buffers made and changed through the tree. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "ctl/ctl.h"
#include "shared/macro.h"
#include "shared/names.h"
#include "shared/util.h"

/* ------------------------------------------------------------ alloc */

int cmd_alloc(int argc, char **argv)
{
	static const struct option opts[] = { COMMON_OPTS,
					      { "backend", required_argument, NULL, OPT_BACKEND },
					      {} };
	_cleanup_free_ char *path = NULL;
	_cleanup_close_ int fd = -1;
	const char *backend = NULL, *name;
	uint64_t size;
	struct stat st;
	int c, r;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (c == OPT_BACKEND)
			backend = optarg;
		else if ((r = common_opt(c)) >= 0)
			return r;
	}
	if (argc - optind != 2)
		return usage_error("expected SIZE NAME");
	if (parse_size(argv[optind], &size) < 0 || size == 0 || size > INT64_MAX)
		return usage_error("invalid size '%s' (a number of bytes, "
				   "with an optional K, M or G suffix)",
				   argv[optind]);
	name = argv[optind + 1];
	r = name_validate(name, strlen(name));
	if (r < 0)
		return fail(name, r, "invalid buffer name");
	if (backend &&
	    (!*backend || strchr(backend, '/') || !strcmp(backend, ".") || !strcmp(backend, "..")))
		return usage_error("invalid backend '%s'", backend);

	if (backend)
		r = asprintf(&path, "%s/new/%s/%s", mount_dir(), backend, name);
	else
		r = asprintf(&path, "%s/%s", mount_dir(), name);
	if (r < 0)
		return fail(NULL, ENOMEM, NULL);

	/* 0666: the daemon applies its own umask (mount option) like a disk
	 * filesystem applies the process's. */
	fd = open(path, O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0666);
	if (fd < 0) {
		r = errno;
		if (r == ENOENT && backend)
			return fail(path, r, "no such backend in this mount?");
		return fail(path, r, r == EEXIST ? "name already exists" : NULL);
	}
	if (ftruncate(fd, (off_t)size) < 0) {
		r = errno;
		/* Leave no empty file behind a failed allocation. */
		close(TAKE_FD(fd));
		/* The new file shows up in the root, whichever directory
		 * created it. */
		free(path);
		path = NULL;
		if (asprintf(&path, "%s/%s", mount_dir(), name) >= 0)
			unlink(path);
		return fail(name, r, "allocating the buffer");
	}
	if (fstat(fd, &st) < 0)
		return fail(path, errno, NULL);
	fprint_escaped(stdout, name);
	printf(" %" PRIu64 "\n", (uint64_t)st.st_size);
	return fflush(stdout) == 0 ? EXIT_SUCCESS : fail("stdout", errno, NULL);
}

/* ------------------------------------------------------------ set-iomem */

int cmd_set_iomem(int argc, char **argv)
{
	static const struct option opts[] = { COMMON_OPTS, {} };
	_cleanup_free_ char *path = NULL;
	const char *v;
	int c, r;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1)
		if ((r = common_opt(c)) >= 0)
			return r;
	if (argc - optind != 2)
		return usage_error("expected FILE 0|1");
	v = argv[optind + 1];
	if (strcmp(v, "0") && strcmp(v, "1"))
		return usage_error("the map flag is 0 (system memory) or 1 "
				   "(I/O memory), not '%s'",
				   v);
	path = resolve_file(argv[optind]);
	if (!path)
		return fail(NULL, ENOMEM, NULL);
	if (setxattr(path, XATTR_PREFIX "iomem", v, 1, 0) < 0)
		return fail(path, errno,
			    errno == EPERM ? "only the buffer's owner may change it" : NULL);
	return EXIT_SUCCESS;
}
