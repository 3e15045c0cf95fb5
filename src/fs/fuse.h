/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The one place that picks the libfuse API version: every file that needs
 * libfuse includes this header instead of <fuse_lowlevel.h>.
 */
#define FUSE_USE_VERSION 35
#include <fuse_lowlevel.h>
