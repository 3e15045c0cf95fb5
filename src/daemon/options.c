// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <grp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/options.h"
#include "shared/log.h"
#include "shared/util.h"

/*
 * Every option dmabuffs takes out of the command line, one row each: the
 * -o name, its --long form, what kind of value it takes and where that
 * goes in struct config. A value is checked and stored as its option comes
 * (the last of a repeated option counts); a bad one is reported with the
 * name and what was expected, and the others are still read, so that one
 * run reports every mistake.
 */
enum opt_kind {
	OPT_STRING,	 /* char *, strdup'ed; a repeat frees the one before */
	OPT_FLAG,	 /* bool, set to .flag; the option takes no value */
	OPT_INT,	 /* int in min..max (0 stored as -1 with .zero_unset) */
	OPT_UINT,	 /* unsigned int in min..max */
	OPT_U64,	 /* uint64_t, any number */
	OPT_SIZE,	 /* uint64_t, parse_size(): K, M, G suffixes */
	OPT_OCTAL,	 /* mode_t up to 0777 */
	OPT_GROUP,	 /* gid_t, a number or a group name; sets group_set */
	OPT_IOMEM,	 /* enum iomem_mode, policy_parse_mode() */
	OPT_PASSTHROUGH, /* enum passthrough_mode: auto or never */
};

struct option_def {
	const char *name;  /* -o NAME or -o NAME=VALUE */
	const char *alias; /* the same as --ALIAS[=VALUE], or NULL */
	enum opt_kind kind;
	size_t offset; /* of the field in struct config */
	bool flag;     /* OPT_FLAG: the value it sets */
	bool zero_unset;
	uint64_t min, max;  /* OPT_INT, OPT_UINT */
	const char *expect; /* what the message says of a bad value */
};

#define OPT(n, a, k, f, ...)                                                            \
	{                                                                               \
		.name = n, .alias = a, .kind = k, .offset = offsetof(struct config, f), \
		__VA_ARGS__                                                             \
	}
#define MS_MAX (3600 * 1000)

static const struct option_def options[] = {
	OPT("backend", "backend", OPT_STRING, backend),
	OPT("iomem", "iomem", OPT_IOMEM, iomem_mode, .expect = "expected auto, always or never"),
	OPT("discover", "discover", OPT_FLAG, discover, .flag = true),
	OPT("nodiscover", "no-discover", OPT_FLAG, discover, .flag = false),
	OPT("fence_timeout", NULL, OPT_INT, fence_timeout_ms, .max = MS_MAX,
	    .expect = "expected milliseconds"),
	OPT("read_ahead_kb", NULL, OPT_INT, read_ahead_kb, .zero_unset = true, .max = 65536,
	    .expect = "expected 0..65536"),
	OPT("max_bytes_per_user", NULL, OPT_SIZE, max_bytes_per_user,
	    .expect = "expected a size in bytes (K, M, G suffixes) (0: no limit)"),
	OPT("max_buffers_per_user", NULL, OPT_U64, max_buffers_per_user,
	    .expect = "expected a number (0: no limit)"),
	OPT("max_bytes_root", NULL, OPT_SIZE, max_bytes_root,
	    .expect = "expected a size in bytes (K, M, G suffixes) (0: no limit)"),
	OPT("max_buffers_root", NULL, OPT_U64, max_buffers_root,
	    .expect = "expected a number (0: no limit)"),
	OPT("group", NULL, OPT_GROUP, group, .expect = "no such group"),
	OPT("umask", NULL, OPT_OCTAL, umask, .expect = "expected an octal mask"),
	OPT("control", "control", OPT_STRING, control_path),
	OPT("control_max_conns", NULL, OPT_UINT, control_max_conns, .min = 1, .max = 65536,
	    .expect = "expected a count, 1..65536"),
	OPT("control_max_per_uid", NULL, OPT_UINT, control_max_per_uid, .min = 1, .max = 65536,
	    .expect = "expected a count, 1..65536"),
	OPT("control_root_reserve", NULL, OPT_UINT, control_root_reserve, .min = 1, .max = 65536,
	    .expect = "expected a count, 1..65536"),
	OPT("control_idle_timeout", NULL, OPT_UINT, control_idle_timeout_ms, .min = 1,
	    .max = MS_MAX, .expect = "expected milliseconds, 1..3600000"),
	OPT("passthrough", NULL, OPT_PASSTHROUGH, passthrough, .expect = "expected auto or never"),
	OPT("io_uring", NULL, OPT_FLAG, io_uring, .flag = true),
};

void options_usage(const char *prog)
{
	printf("usage: %s [-f] [-d] [-o OPTIONS] [MOUNTPOINT]\n"
	       "\n"
	       "Mount every dma-buf the daemon knows about as a regular file\n"
	       "(default mount point /run/dmabuf).\n"
	       "\n"
	       "dmabuffs options:\n"
	       "    -o backend=NAME        default backend: udmabuf, heap:NAME, drm:DRIVER, memfd\n"
	       "    -o iomem=auto|always|never  map-flag policy (default auto)\n"
	       "    -o discover|nodiscover list other processes' dma-bufs under proc/\n"
	       "                           (default: discover when run as root)\n"
	       "    -o fence_timeout=MS    how long a read waits for device writes (1000)\n"
	       "    -o read_ahead_kb=KB    readahead of the mount, 0: the kernel's (1024)\n"
	       "    -o max_bytes_per_user=SIZE    bytes a user's buffers may hold (K/M/G;\n"
	       "                           default half of RAM, 0: no limit)\n"
	       "    -o max_buffers_per_user=N     buffers a user may hold (4096, 0: no limit)\n"
	       "    -o max_bytes_root=SIZE, max_buffers_root=N  root's limits (default none)\n"
	       "    -o allow_other         let other users reach the mount\n"
	       "    -o group=GROUP         group of new files and of the control socket\n"
	       "    -o umask=OCTAL         mode mask of new files (default 0177: 0600)\n"
	       "    -o control=PATH        control socket (default /run/dmabuffs/control)\n"
	       "    -o control_max_conns=N, control_max_per_uid=N, control_root_reserve=N\n"
	       "                           control-socket connections of non-root users in\n"
	       "                           all (256), of one uid (64), kept for root (32)\n"
	       "    -o control_idle_timeout=MS  to send a first request (5000)\n"
	       "    -o passthrough=auto|never  FUSE passthrough of memfd-backed buffers (auto)\n"
	       "    -o io_uring            serve FUSE over io_uring where the kernel allows\n"
	       "    -f                     stay in the foreground, log to stderr\n"
	       "    -d                     debug: foreground, log every FUSE request\n"
	       "    -h, --help             this help, then libfuse's options\n"
	       "    -V, --version          versions\n"
	       "\n",
	       prog);
}

static int parse_group(const char *s, gid_t *out)
{
	uint64_t v;
	struct group *g;

	if (parse_u64(s, 10, &v) == 0 && v < (gid_t)-1) {
		*out = (gid_t)v;
		return 0;
	}
	g = getgrnam(s);
	if (!g)
		return -EINVAL;
	*out = g->gr_gid;
	return 0;
}

/* Defaults that leave room for real pipelines: a user may hold half of
 * the machine's RAM (buffers on udmabuf and dma-heaps are committed
 * memory; two such users cannot starve the rest of the machine on their
 * own) in up to 4096 buffers (a compositor with tens of clients, each
 * triple-buffered, stays far below). */
static void default_limits(struct config *cfg)
{
	long pages = sysconf(_SC_PHYS_PAGES);

	cfg->max_bytes_per_user = pages > 0 ? (uint64_t)pages * page_size() / 2 : 0;
	cfg->max_buffers_per_user = 4096;
	cfg->max_bytes_root = 0;
	cfg->max_buffers_root = 0;
}

/* Whether arg is the option o (flags) or o=VALUE (the others); VALUE in
 * *value. arg is as fuse_opt hands it: "-o" options without the "-o",
 * others whole ("--backend=memfd"). */
static bool option_matches(const struct option_def *o, const char *arg, const char **value)
{
	const char *names[2] = { o->name, o->alias };

	for (int i = 0; i < 2; i++) {
		const char *p = arg;
		size_t len;

		if (!names[i])
			continue;
		if (i == 1) {
			if (strncmp(p, "--", 2) != 0)
				continue;
			p += 2;
		}
		len = strlen(names[i]);
		if (strncmp(p, names[i], len) != 0)
			continue;
		p += len;
		if (o->kind == OPT_FLAG ? *p == '\0' : *p == '=') {
			*value = o->kind == OPT_FLAG ? NULL : p + 1;
			return true;
		}
	}
	return false;
}

/* Store v into o's field in cfg: 0, -EINVAL (not a value o takes) or
 * -ENOMEM. */
static int option_set(const struct option_def *o, const char *v, struct config *cfg)
{
	void *field = (char *)cfg + o->offset;
	uint64_t n;
	char *copy;

	switch (o->kind) {
	case OPT_STRING:
		copy = strdup(v);
		if (!copy)
			return -ENOMEM;
		free(*(char **)field);
		*(char **)field = copy;
		return 0;
	case OPT_FLAG:
		*(bool *)field = o->flag;
		return 0;
	case OPT_INT:
		if (parse_u64(v, 10, &n) < 0 || n < o->min || n > o->max)
			return -EINVAL;
		*(int *)field = n == 0 && o->zero_unset ? -1 : (int)n;
		return 0;
	case OPT_UINT:
		if (parse_u64(v, 10, &n) < 0 || n < o->min || n > o->max)
			return -EINVAL;
		*(unsigned int *)field = (unsigned int)n;
		return 0;
	case OPT_U64:
		return parse_u64(v, 10, (uint64_t *)field) < 0 ? -EINVAL : 0;
	case OPT_SIZE:
		return parse_size(v, (uint64_t *)field) < 0 ? -EINVAL : 0;
	case OPT_OCTAL:
		if (parse_u64(v, 8, &n) < 0 || n > 0777)
			return -EINVAL;
		*(mode_t *)field = (mode_t)n;
		return 0;
	case OPT_GROUP:
		if (parse_group(v, (gid_t *)field) < 0)
			return -EINVAL;
		cfg->group_set = true;
		return 0;
	case OPT_IOMEM:
		return policy_parse_mode(v, (enum iomem_mode *)field) < 0 ? -EINVAL : 0;
	case OPT_PASSTHROUGH:
		if (strcmp(v, "auto") == 0)
			*(enum passthrough_mode *)field = PASSTHROUGH_AUTO;
		else if (strcmp(v, "never") == 0)
			*(enum passthrough_mode *)field = PASSTHROUGH_NEVER;
		else
			return -EINVAL;
		return 0;
	}
	return -EINVAL;
}

struct parse_state {
	struct config *cfg;
	int r; /* the first error: -EINVAL, or -ENOMEM (which stops the parse) */
};

/* fuse_opt's callback for every argument no template took (there are
 * none): ours are consumed (0), the rest stay for libfuse (1). */
static int option_proc(void *data, const char *arg, int key, struct fuse_args *outargs)
{
	struct parse_state *ps = data;
	const char *v;
	int r;

	(void)outargs;
	if (key != FUSE_OPT_KEY_OPT)
		return 1;
	for (size_t i = 0; i < ARRAY_SIZE(options); i++) {
		const struct option_def *o = &options[i];

		if (!option_matches(o, arg, &v))
			continue;
		r = option_set(o, v, ps->cfg);
		if (r == -ENOMEM) {
			fprintf(stderr, "dmabuffs: %s: out of memory\n", arg);
			ps->r = r;
			return -1;
		}
		if (r < 0) {
			fprintf(stderr, "dmabuffs: %s=%s: %s\n", o->name, v, o->expect);
			ps->r = ps->r ?: r;
		}
		return 0;
	}
	return 1;
}

int options_parse(struct fuse_args *args, struct config *cfg)
{
	static const struct fuse_opt none[] = { FUSE_OPT_END };
	struct parse_state ps = { .cfg = cfg };

	cfg->discover = geteuid() == 0;
	cfg->passthrough = PASSTHROUGH_AUTO;
	default_limits(cfg);
	if (fuse_opt_parse(args, &ps, none, option_proc) < 0)
		return ps.r ?: -EINVAL;
	return ps.r;
}
