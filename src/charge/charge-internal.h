/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * What the daemon's side (charge.c) and the helper (helper.c) share: the
 * one message each way on the helper's socket, the fd that rides with it,
 * and the work that runs in a helper or, as a fallback, in the daemon.
 * charge/charge.h is everyone else's view; this is only for charge/.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "shared/macro.h"

/* The daemon lets a helper go after this long without a request, so that
 * a cgroup does not stay populated (and cannot be removed) because of it;
 * the helper leaves by itself after the longer one. */
#define HELPER_IDLE_MS 5000
#define HELPER_IDLE_EXIT_MS 10000
#define ARG_MAX_BYTES 64

enum op {
	OP_READY,
	OP_MEMFD,
	OP_POPULATE,
	OP_IOCTL
};

/* One message each way; the reply carries the fd made, if any. */
struct msg {
	int32_t op;
	int32_t err; /* reply: 0 or -errno; for OP_IOCTL the ioctl's result */
	int32_t fd_at;
	uint32_t argsz;
	uint64_t a, b; /* MEMFD: size; POPULATE: off, len */
	uint64_t req;  /* IOCTL: the request */
	char name[32]; /* MEMFD: its name */
	unsigned char arg[ARG_MAX_BYTES];
};

/* ---- the fd-passing, both ends ---- */

static inline int send_msg(int sock, const struct msg *m, int fd)
{
	union {
		struct cmsghdr hdr;
		char buf[CMSG_SPACE(sizeof(int))];
	} control;
	struct iovec iov = { .iov_base = (void *)m, .iov_len = sizeof(*m) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };

	if (fd >= 0) {
		struct cmsghdr *cm;

		memset(&control, 0, sizeof(control));
		mh.msg_control = control.buf;
		mh.msg_controllen = sizeof(control.buf);
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	}
	if (RETRY_EINTR(sendmsg(sock, &mh, MSG_NOSIGNAL)) != (long)sizeof(*m))
		return errno ? -errno : -EPROTO;
	return 0;
}

/* 0 with *m (and *fd, -1 if none came), -EPIPE at EOF, or -errno. */
static inline int recv_msg(int sock, struct msg *m, int *fd)
{
	union {
		struct cmsghdr hdr;
		char buf[CMSG_SPACE(sizeof(int) * 4)];
	} control;
	struct iovec iov = { .iov_base = m, .iov_len = sizeof(*m) };
	struct msghdr mh = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = control.buf,
		.msg_controllen = sizeof(control.buf),
	};
	long n = RETRY_EINTR(recvmsg(sock, &mh, MSG_CMSG_CLOEXEC));

	*fd = -1;
	if (n < 0)
		return -errno;
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		for (size_t i = 0; i < (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int); i++) {
			int f;

			memcpy(&f, CMSG_DATA(cm) + i * sizeof(int), sizeof(int));
			if (*fd < 0)
				*fd = f;
			else
				close(f);
		}
	}
	if (n == 0) {
		if (*fd >= 0)
			close(*fd);
		*fd = -1;
		return -EPIPE;
	}
	if (n != (long)sizeof(*m) || (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC))) {
		if (*fd >= 0)
			close(*fd);
		*fd = -1;
		return -EPROTO;
	}
	return 0;
}

/* ---- helper.c: the work itself, in a helper or (fallback) in the daemon ---- */

/* A memfd of size bytes (populate: every page allocated now). 0 or -errno. */
int charge_helper_memfd(const char *name, uint64_t size, bool populate, int *out_fd);
/* ioctl(devfd, req, arg), restarted as drmIoctl() does; *out_fd the 32-bit
 * fd at offset fd_at of arg (fd_at >= 0). The ioctl's result or -errno. */
int charge_helper_ioctl(int devfd, unsigned long req, void *arg, int fd_at, size_t argsz,
			int *out_fd);
