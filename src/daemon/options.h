/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <fuse_opt.h>

#include "daemon/daemon.h"

/*
 * Parse dmabuffs' own options (-o backend=,iomem=,discover,nodiscover,
 * fence_timeout=,group=,umask=,control= and their --long forms) out of
 * args into cfg, leaving libfuse's options in args. 0, or -EINVAL after a
 * message saying which option is wrong.
 */
int options_parse(struct fuse_args *args, struct daemon *cfg);
void options_usage(const char *prog);
