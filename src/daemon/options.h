/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "conf.h"
#include "fs/fuse.h"

/*
 * Parse dmabuffs' own options (-o backend=,iomem=,discover,nodiscover,
 * fence_timeout=,group=,umask=,control=, ... and their --long forms: the
 * table in options.c) out of args into cfg, leaving libfuse's options in
 * args. Sets the defaults of discover, passthrough and the quotas first;
 * the strings cfg->backend and cfg->control_path are the caller's to free
 * (also after an error). 0, -EINVAL after a message for each option that
 * is wrong, or -ENOMEM.
 */
int options_parse(struct fuse_args *args, struct config *cfg);
void options_usage(const char *prog);
