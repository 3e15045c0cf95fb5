// SPDX-License-Identifier: LGPL-2.1-or-later
/* dmabufctl snapshot: a buffer's pixels, described by its metadata, as PNG. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl/ctl.h"
#include "ctl/png.h"
#include "shared/macro.h"
#include "shared/util.h"

/* ------------------------------------------------------------ snapshot */

static int meta_u32(const char *path, const char *override, const char *key,
		    uint32_t *out, bool required)
{
	char buf[64], attr[64];
	uint64_t v;
	int r;

	snprintf(attr, sizeof(attr), XATTR_PREFIX "%s", key);
	if (override) {
		snprintf(buf, sizeof(buf), "%s", override);
	} else {
		r = get_xattr(path, attr, buf, sizeof(buf));
		if (r == -ENODATA) {
			if (!required)
				return -ENODATA;
			failf("%s: no %s metadata: set the %s xattr or pass --%s",
			      path, key, attr, key);
			return -ENODATA;
		}
		if (r < 0) {
			failf("%s: %s: %s", path, attr, strerror(-r));
			return r;
		}
	}
	if (parse_u64(buf, 0, &v) < 0 || v == 0 || v > UINT32_MAX) {
		failf("%s: invalid %s '%s'", path, key, buf);
		return -EINVAL;
	}
	*out = (uint32_t)v;
	return 0;
}

static int read_all(int fd, uint8_t *buf, size_t len, size_t *got)
{
	size_t off = 0;

	while (off < len) {
		ssize_t n = RETRY_EINTR(read(fd, buf + off, len - off));

		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		off += (size_t)n;
	}
	*got = off;
	return 0;
}

int cmd_snapshot(int argc, char **argv)
{
	static const struct option opts[] = {
		COMMON_OPTS,
		{ "output", required_argument, NULL, 'o' },
		{ "format", required_argument, NULL, OPT_FORMAT },
		{ "width", required_argument, NULL, OPT_WIDTH },
		{ "height", required_argument, NULL, OPT_HEIGHT },
		{ "stride", required_argument, NULL, OPT_STRIDE },
		{}
	};
	const char *out_path = NULL, *o_format = NULL, *o_width = NULL,
		   *o_height = NULL, *o_stride = NULL;
	_cleanup_free_ char *path = NULL;
	_cleanup_free_ uint8_t *pixels = NULL;
	_cleanup_close_ int fd = -1;
	const struct snapshot_format *fmt;
	uint32_t width, height, stride;
	char fbuf[64], fcc[5];
	uint64_t need;
	size_t got = 0;
	FILE *out;
	int c, r;

	while ((c = getopt_long(argc, argv, "ho:", opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			out_path = optarg;
			break;
		case OPT_FORMAT:
			o_format = optarg;
			break;
		case OPT_WIDTH:
			o_width = optarg;
			break;
		case OPT_HEIGHT:
			o_height = optarg;
			break;
		case OPT_STRIDE:
			o_stride = optarg;
			break;
		default:
			if ((r = common_opt(c)) >= 0)
				return r;
		}
	}
	if (argc - optind != 1)
		return usage_error("expected FILE -o OUT.png");
	if (!out_path)
		return usage_error("-o OUT.png is required (- for stdout)");
	path = resolve_file(argv[optind]);
	if (!path)
		return fail(NULL, ENOMEM, NULL);

	if (o_format) {
		snprintf(fbuf, sizeof(fbuf), "%s", o_format);
	} else {
		r = get_xattr(path, XATTR_PREFIX "format", fbuf, sizeof(fbuf));
		if (r == -ENODATA)
			return failf("%s: no format metadata: set the "
				     XATTR_PREFIX "format xattr (a DRM fourcc "
				     "like XR24) or pass --format", path);
		if (r < 0)
			return fail(path, r, XATTR_PREFIX "format");
	}
	r = snapshot_parse_format(fbuf, &fmt);
	if (r == -EOPNOTSUPP)
		return failf("%s: pixel format '%s' is not supported (supported: %s)",
			     path, fbuf, snapshot_format_names());
	if (r < 0)
		return failf("%s: '%s' is not a pixel format (supported: %s)", path,
			     fbuf, snapshot_format_names());

	if (meta_u32(path, o_width, "width", &width, true) < 0 ||
	    meta_u32(path, o_height, "height", &height, true) < 0)
		return EXIT_FAILURE;
	/* Without a stride the rows are taken as packed. */
	r = meta_u32(path, o_stride, "stride", &stride, false);
	if (r == -ENODATA)
		stride = width * fmt->cpp;
	else if (r < 0)
		return EXIT_FAILURE;
	if ((uint64_t)width * fmt->cpp > stride)
		return failf("%s: stride %" PRIu32 " is less than width %" PRIu32
			     " x %u bytes", path, stride, width, fmt->cpp);

	need = (uint64_t)stride * (height - 1) + (uint64_t)width * fmt->cpp;
	if (need > SIZE_MAX / 2)
		return failf("%s: image too large", path);

	/* read(), not mmap: I/O memory buffers go through the daemon's
	 * accessor shim this way. */
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return fail(path, errno, NULL);
	pixels = malloc(need);
	if (!pixels)
		return fail(NULL, ENOMEM, NULL);
	r = read_all(fd, pixels, need, &got);
	if (r < 0)
		return fail(path, r, NULL);
	snapshot_fourcc_str(fmt->fourcc, fcc);
	if (got < need)
		return failf("%s: %zu bytes, but %" PRIu32 "x%" PRIu32 " %s at stride "
			     "%" PRIu32 " needs %" PRIu64, path, got, width, height,
			     fcc, stride, need);

	if (!strcmp(out_path, "-")) {
		out = stdout;
	} else {
		out = fopen(out_path, "wbe");
		if (!out)
			return fail(out_path, errno, NULL);
	}
	r = snapshot_write_png(out, pixels, need, fmt, width, height, stride);
	if (out != stdout) {
		if (fclose(out) != 0 && r == 0)
			r = -errno;
		if (r < 0)
			unlink(out_path);
	}
	if (r < 0)
		return fail(out_path, r, "writing the PNG");
	if (out != stdout)
		fprintf(stderr, "%s: %" PRIu32 "x%" PRIu32 " %s -> %s\n", path,
			width, height, fmt->name, out_path);
	return EXIT_SUCCESS;
}

