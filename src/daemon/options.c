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

struct raw_options {
	char *backend;
	char *iomem;
	int discover;
	int nodiscover;
	char *fence_timeout;
	char *read_ahead_kb;
	char *max_bytes_per_user;
	char *max_buffers_per_user;
	char *max_bytes_root;
	char *max_buffers_root;
	char *group;
	char *umask;
	char *control;
	char *control_limit[4];
	char *passthrough;
	int io_uring;
};

#define OPT(t, f) { t, offsetof(struct raw_options, f), 1 }

static const struct fuse_opt option_spec[] = {
	OPT("backend=%s", backend),
	OPT("--backend=%s", backend),
	OPT("iomem=%s", iomem),
	OPT("--iomem=%s", iomem),
	OPT("discover", discover),
	OPT("--discover", discover),
	OPT("nodiscover", nodiscover),
	OPT("--no-discover", nodiscover),
	OPT("fence_timeout=%s", fence_timeout),
	OPT("read_ahead_kb=%s", read_ahead_kb),
	OPT("max_bytes_per_user=%s", max_bytes_per_user),
	OPT("max_buffers_per_user=%s", max_buffers_per_user),
	OPT("max_bytes_root=%s", max_bytes_root),
	OPT("max_buffers_root=%s", max_buffers_root),
	OPT("group=%s", group),
	OPT("umask=%s", umask),
	OPT("control=%s", control),
	OPT("--control=%s", control),
	OPT("control_max_conns=%s", control_limit[0]),
	OPT("control_max_per_uid=%s", control_limit[1]),
	OPT("control_root_reserve=%s", control_limit[2]),
	OPT("control_idle_timeout=%s", control_limit[3]),
	OPT("passthrough=%s", passthrough),
	OPT("io_uring", io_uring),
	FUSE_OPT_END,
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

/* control_*=: each a count from 1 (the idle timeout in ms, up to an hour);
 * the strings are freed here. */
static int parse_control_limits(struct raw_options *o, struct config *cfg)
{
	static const char *const names[4] = { "control_max_conns", "control_max_per_uid",
					       "control_root_reserve", "control_idle_timeout" };
	unsigned int *fields[4] = { &cfg->control_max_conns, &cfg->control_max_per_uid,
				    &cfg->control_root_reserve, &cfg->control_idle_timeout_ms };
	int r = 0;

	for (int i = 0; i < 4; i++) {
		const char *s = o->control_limit[i];
		uint64_t v;

		if (!s)
			continue;
		if (parse_u64(s, 10, &v) < 0 || v == 0 || v > (i == 3 ? 3600 * 1000 : 65536)) {
			fprintf(stderr, "dmabuffs: %s=%s: expected %s\n", names[i], s,
				i == 3 ? "milliseconds, 1..3600000" : "a count, 1..65536");
			r = -EINVAL;
		} else {
			*fields[i] = (unsigned int)v;
		}
		free(o->control_limit[i]);
		o->control_limit[i] = NULL;
	}
	return r;
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

/* A limit option: a size (parse_size's suffixes) or a plain count. */
static int parse_limit(const char *opt, const char *s, bool size, uint64_t *out)
{
	if ((size ? parse_size(s, out) : parse_u64(s, 10, out)) == 0)
		return 0;
	fprintf(stderr, "dmabuffs: %s=%s: expected %s (0: no limit)\n", opt, s,
		size ? "a size in bytes (K, M, G suffixes)" : "a number");
	return -EINVAL;
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

int options_parse(struct fuse_args *args, struct config *cfg)
{
	struct raw_options o = { 0 };
	uint64_t v;
	int r = 0;

	/* A failed parse may already have strdup'ed the options before the
	 * bad one: they are freed below like those of a good parse. */
	if (fuse_opt_parse(args, &o, option_spec, NULL) < 0) {
		r = -EINVAL;
		goto out;
	}
	if (o.backend)
		cfg->backend = strdup(o.backend);
	if (o.iomem && policy_parse_mode(o.iomem, &cfg->iomem_mode) < 0) {
		fprintf(stderr, "dmabuffs: iomem=%s: expected auto, always or never\n", o.iomem);
		r = -EINVAL;
	}
	cfg->discover = geteuid() == 0;
	if (o.discover)
		cfg->discover = true;
	if (o.nodiscover)
		cfg->discover = false;
	if (o.passthrough && strcmp(o.passthrough, "auto") && strcmp(o.passthrough, "never")) {
		fprintf(stderr, "dmabuffs: passthrough=%s: expected auto or never\n", o.passthrough);
		r = -EINVAL;
	}
	cfg->passthrough = o.passthrough && !strcmp(o.passthrough, "never") ? PASSTHROUGH_NEVER
									    : PASSTHROUGH_AUTO;
	cfg->io_uring = o.io_uring;
	if (o.fence_timeout) {
		if (parse_u64(o.fence_timeout, 10, &v) < 0 || v > 3600 * 1000) {
			fprintf(stderr, "dmabuffs: fence_timeout=%s: expected milliseconds\n",
				o.fence_timeout);
			r = -EINVAL;
		} else {
			cfg->fence_timeout_ms = (int)v;
		}
	}
	if (parse_control_limits(&o, cfg) < 0)
		r = -EINVAL;
	if (o.read_ahead_kb) {
		if (parse_u64(o.read_ahead_kb, 10, &v) < 0 || v > 65536) {
			fprintf(stderr, "dmabuffs: read_ahead_kb=%s: expected 0..65536\n",
				o.read_ahead_kb);
			r = -EINVAL;
		} else {
			cfg->read_ahead_kb = v ? (int)v : -1;
		}
	}
	if (o.group) {
		if (parse_group(o.group, &cfg->group) < 0) {
			fprintf(stderr, "dmabuffs: group=%s: no such group\n", o.group);
			r = -EINVAL;
		} else {
			cfg->group_set = true;
		}
	}
	if (o.umask) {
		if (parse_u64(o.umask, 8, &v) < 0 || v > 0777) {
			fprintf(stderr, "dmabuffs: umask=%s: expected an octal mask\n", o.umask);
			r = -EINVAL;
		} else {
			cfg->umask = (mode_t)v;
		}
	}
	if (o.control)
		cfg->control_path = strdup(o.control);
	default_limits(cfg);
	if (o.max_bytes_per_user &&
	    parse_limit("max_bytes_per_user", o.max_bytes_per_user, true, &cfg->max_bytes_per_user) < 0)
		r = -EINVAL;
	if (o.max_buffers_per_user &&
	    parse_limit("max_buffers_per_user", o.max_buffers_per_user, false,
			&cfg->max_buffers_per_user) < 0)
		r = -EINVAL;
	if (o.max_bytes_root &&
	    parse_limit("max_bytes_root", o.max_bytes_root, true, &cfg->max_bytes_root) < 0)
		r = -EINVAL;
	if (o.max_buffers_root &&
	    parse_limit("max_buffers_root", o.max_buffers_root, false, &cfg->max_buffers_root) < 0)
		r = -EINVAL;
out:
	free(o.backend);
	free(o.iomem);
	free(o.fence_timeout);
	free(o.read_ahead_kb);
	free(o.max_bytes_per_user);
	free(o.max_buffers_per_user);
	free(o.max_bytes_root);
	free(o.max_buffers_root);
	free(o.group);
	free(o.umask);
	free(o.control);
	for (size_t i = 0; i < ARRAY_SIZE(o.control_limit); i++)
		free(o.control_limit[i]); /* left only by a failed fuse_opt_parse */
	free(o.passthrough);
	return r;
}
