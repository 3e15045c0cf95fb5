// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * dmabufctl snapshot: a buffer's pixels, described by its metadata (the
 * user.dmabuf.* format/width/height/stride/modifier/pitches/offsets xattrs)
 * or the command line, converted (convert.c) and written as PNG (png.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include <drm_fourcc.h>
#include <xf86drm.h>

#include "ctl/convert.h"
#include "ctl/ctl.h"
#include "ctl/png.h"
#include "shared/macro.h"
#include "shared/util.h"

enum {
	OPT_PLANE = 0x200,
	OPT_MATRIX,
	OPT_RANGE,
	OPT_MODIFIER,
};

struct snap_args {
	const char *out, *format, *width, *height, *stride, *modifier;
	const char *plane[FRAME_MAX_PLANES];
	unsigned int nplane;
	enum yuv_matrix matrix;
	enum yuv_range range;
};

/* An image metadata value: up to 64 bytes (dmabuffs(5)) and the NUL. */
#define META_BUF (64 + 1)

/* The override, else the xattr; -ENODATA when neither is there (a message
 * only when required). */
static int meta_str(const char *path, const char *override, const char *key, char *buf,
		    size_t bufsz, bool required)
{
	char attr[64];
	int r;

	if (override) {
		snprintf(buf, bufsz, "%s", override);
		return 0;
	}
	snprintf(attr, sizeof(attr), XATTR_PREFIX "%s", key);
	r = get_xattr(path, attr, buf, bufsz);
	if (r == -ENODATA && required)
		failf("%s: no %s metadata: set the %s xattr or pass --%s", path, key, attr, key);
	else if (r < 0 && r != -ENODATA)
		failf("%s: %s: %s", path, attr, strerror(-r));
	return r;
}

static int meta_u32(const char *path, const char *override, const char *key, uint32_t *out,
		    bool required)
{
	char buf[META_BUF];
	uint64_t v;
	int r = meta_str(path, override, key, buf, sizeof(buf), required);

	if (r < 0)
		return r;
	if (parse_u64(buf, 0, &v) < 0 || v == 0 || v > UINT32_MAX) {
		failf("%s: invalid %s '%s'", path, key, buf);
		return -EINVAL;
	}
	*out = (uint32_t)v;
	return 0;
}

/* Only linear buffers can be read as rows; name any other modifier. */
static int check_modifier(const char *path, const char *override)
{
	_cleanup_free_ char *vendor = NULL, *name = NULL;
	char buf[META_BUF];
	uint64_t mod;
	int r = meta_str(path, override, "modifier", buf, sizeof(buf), false);

	if (r == -ENODATA)
		return 0;
	if (r < 0)
		return r;
	if (!strcasecmp(buf, "LINEAR") || !strcasecmp(buf, "DRM_FORMAT_MOD_LINEAR"))
		return 0;
	if (parse_u64(buf, 0, &mod) < 0) {
		failf("%s: invalid modifier '%s' (a number, e.g. 0 for linear)", path, buf);
		return -EINVAL;
	}
	if (mod == DRM_FORMAT_MOD_LINEAR)
		return 0;
	if (mod == DRM_FORMAT_MOD_INVALID) {
		failf("%s: modifier 0x%016" PRIx64 " (DRM_FORMAT_MOD_INVALID: a layout "
		      "only the driver knows) cannot be read: only linear buffers can",
		      path, mod);
		return -EOPNOTSUPP;
	}
	vendor = drmGetFormatModifierVendor(mod);
	name = drmGetFormatModifierName(mod);
	failf("%s: modifier 0x%016" PRIx64 " (%s %s) is not linear: only linear "
	      "buffers can be read (pass --modifier 0 if the buffer is linear after all)",
	      path, mod, vendor ? vendor : "unknown vendor", name ? name : "unknown");
	return -EOPNOTSUPP;
}

/* "1,2,3" into up to FRAME_MAX_PLANES numbers; the count, or -EINVAL. */
static int parse_list(const char *s, uint64_t *v, uint64_t max)
{
	_cleanup_free_ char *copy = strdup(s);
	char *save = NULL, *tok;
	int n = 0;

	if (!copy)
		return -ENOMEM;
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (n == FRAME_MAX_PLANES || parse_u64(tok, 0, &v[n]) < 0 || v[n] > max)
			return -EINVAL;
		n++;
	}
	return n;
}

/* A per-plane xattr (pitches, offsets): the count, or -errno (-ENODATA
 * when it is not set). */
static int meta_list(const char *path, const char *key, uint64_t *v, uint64_t max)
{
	char buf[256];
	int n = meta_str(path, NULL, key, buf, sizeof(buf), false);

	if (n < 0)
		return n;
	n = parse_list(buf, v, max);
	if (n <= 0) {
		failf("%s: invalid %s '%s' (comma-separated bytes, at most %d)", path, key, buf,
		      FRAME_MAX_PLANES);
		return -EINVAL;
	}
	return n;
}

/* --plane OFFSET:STRIDE options, else the pitches/offsets xattrs, else the
 * stride xattr for plane 0. */
static int get_planes(const char *path, const struct snap_args *a, struct frame_layout *l)
{
	uint64_t v[FRAME_MAX_PLANES];
	unsigned int want = format_planes(l->fourcc);
	int n, r;

	for (unsigned int i = 0; i < FRAME_MAX_PLANES; i++)
		l->planes[i] = (struct frame_plane){ FRAME_OFFSET_DEFAULT, 0 };
	if (a->nplane) {
		for (unsigned int i = 0; i < a->nplane; i++) {
			uint64_t off, stride;
			const char *colon = strchr(a->plane[i], ':');
			char num[32];

			if (!colon || (size_t)(colon - a->plane[i]) >= sizeof(num))
				goto bad_plane;
			memcpy(num, a->plane[i], (size_t)(colon - a->plane[i]));
			num[colon - a->plane[i]] = '\0';
			if (parse_u64(num, 0, &off) < 0 || parse_u64(colon + 1, 0, &stride) < 0 ||
			    stride > UINT32_MAX || off == FRAME_OFFSET_DEFAULT)
				goto bad_plane;
			l->planes[i] = (struct frame_plane){ off, (uint32_t)stride };
			continue;
bad_plane:
			usage_error("--plane takes OFFSET:STRIDE (bytes), not '%s'", a->plane[i]);
			return -EINVAL;
		}
		l->nplanes = a->nplane;
	} else {
		n = meta_list(path, "pitches", v, UINT32_MAX);
		if (n < 0 && n != -ENODATA)
			return n;
		for (int i = 0; i < n; i++)
			l->planes[i].stride = (uint32_t)v[i];
		l->nplanes = (unsigned int)MAX(n, 0);
		n = meta_list(path, "offsets", v, UINT64_MAX - 1);
		if (n < 0 && n != -ENODATA)
			return n;
		for (int i = 0; i < n; i++)
			l->planes[i].offset = v[i];
		l->nplanes = MAX(l->nplanes, (unsigned int)MAX(n, 0));
	}
	if (l->nplanes > want) {
		failf("%s: %u planes given, but %s has %u", path, l->nplanes,
		      format_name(l->fourcc), want);
		return -EINVAL;
	}
	/* --stride, or the stride xattr, is plane 0's. */
	if (a->stride || (!a->nplane && l->planes[0].stride == 0)) {
		uint32_t stride;

		r = meta_u32(path, a->stride, "stride", &stride, false);
		if (r == 0) {
			l->planes[0].stride = stride;
			l->nplanes = MAX(l->nplanes, 1u);
		} else if (r != -ENODATA) {
			return r;
		}
	}
	return 0;
}

static void describe(const struct frame_layout *l, char *buf, size_t bufsz)
{
	size_t used = 0;

	for (unsigned int i = 0; i < l->nplanes && used < bufsz; i++) {
		int n = snprintf(buf + used, bufsz - used,
				 "%splane %u at %" PRIu64 ", stride %" PRIu32, i ? "; " : "", i,
				 l->planes[i].offset, l->planes[i].stride);

		if (n < 0)
			break;
		used += (size_t)n;
	}
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

static int parse_args(int argc, char **argv, struct snap_args *a)
{
	static const struct option opts[] = { COMMON_OPTS,
					      { "output", required_argument, NULL, 'o' },
					      { "format", required_argument, NULL, OPT_FORMAT },
					      { "width", required_argument, NULL, OPT_WIDTH },
					      { "height", required_argument, NULL, OPT_HEIGHT },
					      { "stride", required_argument, NULL, OPT_STRIDE },
					      { "plane", required_argument, NULL, OPT_PLANE },
					      { "modifier", required_argument, NULL, OPT_MODIFIER },
					      { "matrix", required_argument, NULL, OPT_MATRIX },
					      { "range", required_argument, NULL, OPT_RANGE },
					      {} };
	int c, r;

	while ((c = getopt_long(argc, argv, "ho:", opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			a->out = optarg;
			break;
		case OPT_FORMAT:
			a->format = optarg;
			break;
		case OPT_WIDTH:
			a->width = optarg;
			break;
		case OPT_HEIGHT:
			a->height = optarg;
			break;
		case OPT_STRIDE:
			a->stride = optarg;
			break;
		case OPT_MODIFIER:
			a->modifier = optarg;
			break;
		case OPT_PLANE:
			if (a->nplane == FRAME_MAX_PLANES)
				return usage_error("at most %d --plane options", FRAME_MAX_PLANES);
			a->plane[a->nplane++] = optarg;
			break;
		case OPT_MATRIX:
			if (!strcasecmp(optarg, "bt601"))
				a->matrix = YUV_BT601;
			else if (!strcasecmp(optarg, "bt709"))
				a->matrix = YUV_BT709;
			else
				return usage_error("--matrix takes bt601 or bt709");
			break;
		case OPT_RANGE:
			if (!strcasecmp(optarg, "limited"))
				a->range = YUV_LIMITED;
			else if (!strcasecmp(optarg, "full"))
				a->range = YUV_FULL;
			else
				return usage_error("--range takes limited or full");
			break;
		default:
			if ((r = common_opt(c)) >= 0)
				return r;
		}
	}
	if (argc - optind != 1)
		return usage_error("expected FILE -o OUT.png");
	if (!a->out)
		return usage_error("-o OUT.png is required (- for stdout)");
	return -1;
}

static int write_png(const char *out_path, const struct image *img)
{
	FILE *out;
	int r;

	if (!strcmp(out_path, "-")) {
		out = stdout;
	} else {
		out = fopen(out_path, "wbe");
		if (!out)
			return fail(out_path, errno, NULL);
	}
	r = image_write_png(out, img);
	if (out != stdout) {
		if (fclose(out) != 0 && r == 0)
			r = -errno;
		if (r < 0)
			unlink(out_path);
	}
	if (r < 0)
		return fail(out_path, r, "writing the PNG");
	return EXIT_SUCCESS;
}

int cmd_snapshot(int argc, char **argv)
{
	struct snap_args a = { .matrix = YUV_BT601, .range = YUV_LIMITED };
	_cleanup_free_ char *path = NULL;
	_cleanup_free_ uint8_t *pixels = NULL;
	_cleanup_close_ int fd = -1;
	struct frame_layout l = { 0 }, full;
	struct image img;
	char fbuf[META_BUF], fcc[5], where[256];
	uint64_t end;
	struct stat st;
	size_t got = 0;
	int r;

	r = parse_args(argc, argv, &a);
	if (r >= 0)
		return r;
	path = resolve_file(argv[optind]);
	if (!path)
		return fail(NULL, ENOMEM, NULL);

	r = meta_str(path, a.format, "format", fbuf, sizeof(fbuf), false);
	if (r == -ENODATA)
		return failf("%s: no format metadata: set the " XATTR_PREFIX "format "
			     "xattr (a DRM fourcc like XR24 or NV12) or pass --format",
			     path);
	if (r < 0)
		return EXIT_FAILURE;
	r = format_parse(fbuf, &l.fourcc);
	if (r == -EOPNOTSUPP)
		return failf("%s: pixel format '%s' is not supported (supported: %s)", path, fbuf,
			     format_names());
	if (r < 0)
		return failf("%s: '%s' is not a pixel format (supported: %s)", path, fbuf,
			     format_names());
	fourcc_str(l.fourcc, fcc);
	if (check_modifier(path, a.modifier) < 0 ||
	    meta_u32(path, a.width, "width", &l.width, true) < 0 ||
	    meta_u32(path, a.height, "height", &l.height, true) < 0 || get_planes(path, &a, &l) < 0)
		return EXIT_FAILURE;
	l.matrix = a.matrix;
	l.range = a.range;

	/* The layout is checked against the file's real size before a byte is
	 * allocated: the metadata may claim anything. */
	r = frame_layout_resolve(&l, &full, &end);
	describe(r == 0 ? &full : &l, where, sizeof(where));
	if (r == -E2BIG)
		return failf("%s: %" PRIu32 "x%" PRIu32 " is larger than %ux%u", path, l.width,
			     l.height, FRAME_MAX_DIM, FRAME_MAX_DIM);
	if (r == -EINVAL)
		return failf("%s: %" PRIu32 "x%" PRIu32 " %s: a stride is shorter than "
			     "a row (%s)",
			     path, l.width, l.height, fcc, where);
	if (r < 0)
		return failf("%s: %" PRIu32 "x%" PRIu32 " %s: the layout does not fit "
			     "in 64 bits (%s)",
			     path, l.width, l.height, fcc, where);

	/* read(), not mmap: I/O memory buffers go through the daemon's
	 * accessor shim this way. */
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return fail(path, errno, NULL);
	if (fstat(fd, &st) < 0)
		return fail(path, errno, NULL);
	if (!S_ISREG(st.st_mode))
		return failf("%s: not a regular file", path);
	if (end > (uint64_t)st.st_size)
		return failf("%s: %" PRIu64 " bytes, but %" PRIu32 "x%" PRIu32 " %s "
			     "(%s) needs %" PRIu64,
			     path, (uint64_t)st.st_size, l.width, l.height, fcc, where, end);
	if (end > SIZE_MAX)
		return fail(path, ENOMEM, NULL);
	pixels = malloc(end);
	if (!pixels)
		return fail(NULL, ENOMEM, NULL);
	r = read_all(fd, pixels, end, &got);
	if (r < 0)
		return fail(path, r, NULL);
	if (got < end)
		return failf("%s: ended after %zu bytes, but %" PRIu32 "x%" PRIu32
			     " %s (%s) needs %" PRIu64,
			     path, got, l.width, l.height, fcc, where, end);

	r = convert_frame(&full, pixels, got, &img);
	if (r < 0)
		return fail(path, r, "converting the pixels");
	r = write_png(a.out, &img);
	if (r == EXIT_SUCCESS && strcmp(a.out, "-"))
		fprintf(stderr, "%s: %" PRIu32 "x%" PRIu32 " %s -> %s (%u-bit)\n", path, l.width,
			l.height, format_name(l.fourcc), a.out, img.depth);
	image_free(&img);
	return r;
}
