/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Checks of a buffer file's user.dmabuf.* attributes, for the guest test
 * programs that talk to the daemon, and an EINTR-safe ioctl().
 */
#ifndef VMXATTR_H
#define VMXATTR_H

#include <sys/ioctl.h>
#include <sys/xattr.h>

#include "vmtest.h"

/* user.dmabuf.KEY of path must be want (any value when want is NULL).
 * Returns the value, in a buffer of this function's that the next call
 * overwrites (for the caller that prints it). */
static inline const char *vm_expect_xattr(const char *path, const char *key, const char *want)
{
	static char val[256];
	char name[64];
	ssize_t n;

	snprintf(name, sizeof(name), "user.dmabuf.%s", key);
	n = getxattr(path, name, val, sizeof(val) - 1);
	if (n < 0)
		vm_fail("getxattr %s %s: %s", path, name, strerror(errno));
	val[n] = '\0';
	if (want && strcmp(val, want))
		vm_fail("%s: %s is '%s', expected '%s'", path, name, val, want);
	return val;
}

/* ioctl() restarted on EINTR, as V4L2 programs do. */
static inline int vm_xioctl(int fd, unsigned long req, void *arg)
{
	int r;

	do
		r = ioctl(fd, req, arg);
	while (r < 0 && errno == EINTR);
	return r;
}

#endif
