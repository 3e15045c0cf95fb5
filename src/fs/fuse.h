/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The one place that picks the libfuse API version: every file that needs
 * libfuse includes this header instead of <fuse_lowlevel.h>. 3.18: the
 * 64-bit feature flags (want_ext), passthrough and FUSE over io_uring.
 */
#define FUSE_USE_VERSION FUSE_MAKE_VERSION(3, 18)
#include <fuse_lowlevel.h>

#include <linux/fuse.h>
#include <sys/ioctl.h>

/* The kernel ABI libfuse does not export, where the build machine's kernel
 * headers are older than the kernels the daemon runs on (Debian bookworm's
 * are 6.1): stable numbers of include/uapi/linux/fuse.h. */
#ifndef FUSE_DEV_IOC_BACKING_CLOSE
#define FUSE_DEV_IOC_BACKING_CLOSE _IOW(FUSE_DEV_IOC_MAGIC, 2, uint32_t)
#endif
#ifndef FUSE_HAS_RESEND
#define FUSE_HAS_RESEND (1ULL << 39) /* Linux 6.9 */
#endif
#define DMABUFFS_FUSE_NOTIFY_RESEND 7 /* enum fuse_notify_code, Linux 6.9 */
