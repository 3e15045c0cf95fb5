/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "conf.h"
#include "fs/fuse.h"

/*
 * Parse dmabuffs' own options (-o backend=,iomem=,discover,nodiscover,
 * fence_timeout=,group=,umask=,control= and their --long forms) out of
 * args into cfg, leaving libfuse's options in args. 0, or -EINVAL after a
 * message saying which option is wrong.
 */
int options_parse(struct fuse_args *args, struct config *cfg);
void options_usage(const char *prog);
