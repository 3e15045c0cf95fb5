/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The one place that picks the libfuse API version: every file that needs
 * libfuse includes this header instead of <fuse_lowlevel.h>. 3.18: the
 * 64-bit feature flags (want_ext), passthrough and FUSE over io_uring.
 */
#define FUSE_USE_VERSION FUSE_MAKE_VERSION(3, 18)
#include <fuse_lowlevel.h>
