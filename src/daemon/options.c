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
	char *group;
	char *umask;
	char *control;
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
	OPT("group=%s", group),
	OPT("umask=%s", umask),
	OPT("control=%s", control),
	OPT("--control=%s", control),
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
	       "    -o allow_other         let other users reach the mount\n"
	       "    -o group=GROUP         group of new files and of the control socket\n"
	       "    -o umask=OCTAL         mode mask of new files (default 0177: 0600)\n"
	       "    -o control=PATH        control socket (default /run/dmabuffs/control)\n"
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

int options_parse(struct fuse_args *args, struct config *cfg)
{
	struct raw_options o = { 0 };
	uint64_t v;
	int r = 0;

	if (fuse_opt_parse(args, &o, option_spec, NULL) < 0)
		return -EINVAL;
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
	free(o.backend);
	free(o.iomem);
	free(o.fence_timeout);
	free(o.read_ahead_kb);
	free(o.group);
	free(o.umask);
	free(o.control);
	free(o.passthrough);
	return r;
}
