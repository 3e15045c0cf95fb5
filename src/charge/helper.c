// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The memory cgroup helper: a process of the daemon's binary that joins
 * one cgroup and makes buffers' pages there for the daemon (why a helper
 * process, and why this one: charge.c). It also holds the work itself,
 * which the daemon runs in place when the caller's pages are its own.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "charge/charge.h"
#include "charge/charge-internal.h"
#include "shared/macro.h"
#include "shared/util.h"

/* ---- the work itself, in a helper or (fallback) in the daemon ---- */

int charge_helper_memfd(const char *name, uint64_t size, bool populate, int *out_fd)
{
	/* Root's, mode 0600, from birth: a read-only export of it must not
	 * be reopened read-write through /proc (memfd_create_private()). */
	_cleanup_close_ int fd = memfd_create_private(name);

	if (fd < 0)
		return fd;
	if (ftruncate(fd, (off_t)size) < 0)
		return -errno;
	if (populate && size && fallocate(fd, 0, 0, (off_t)size) < 0)
		return -errno;
	*out_fd = TAKE_FD(fd);
	return 0;
}

int charge_helper_ioctl(int devfd, unsigned long req, void *arg, int fd_at, size_t argsz,
			int *out_fd)
{
	int32_t fd;
	long r;

	/* As drmIoctl(): DRM restarts an interrupted allocation with EAGAIN. */
	do
		r = ioctl(devfd, req, arg);
	while (r == -1 && (errno == EINTR || errno == EAGAIN));

	if (r < 0)
		return -errno;
	if (fd_at >= 0 && (size_t)fd_at + sizeof(fd) <= argsz) {
		memcpy(&fd, (char *)arg + fd_at, sizeof(fd));
		*out_fd = fd;
	}
	return (int)r;
}

/* ---- the helper's side ---- */

static int write_str(const char *path, const char *s)
{
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (write(fd, s, strlen(s)) != (ssize_t)strlen(s))
		return -errno;
	return 0;
}

int charge_helper_main(int argc, char **argv)
{
	const int sock = 3;
	struct msg m = { .op = OP_READY };
	char path[PATH_MAX + 32], pid[32];

	/* Nothing of the daemon's but the socket: a /dev/fuse or a buffer kept
	 * open here would outlive the daemon. */
	if (syscall(SYS_close_range, 4U, ~0U, 0) < 0)
		for (int fd = 4; fd < 1024; fd++)
			close(fd);
	if (argc < 3 || argv[2][0] != '/' || strlen(argv[2]) >= PATH_MAX)
		m.err = -EINVAL;
	if (!m.err) {
		snprintf(path, sizeof(path), "%s/cgroup.procs", argv[2]);
		snprintf(pid, sizeof(pid), "%d", (int)getpid());
		m.err = write_str(path, pid);
	}
	if (!m.err)
		write_str("/proc/self/oom_score_adj", "1000");
	if (send_msg(sock, &m, -1) < 0 || m.err)
		return 1;

	for (;;) {
		struct pollfd p = { .fd = sock, .events = POLLIN };
		int in = -1, out = -1, r;

		r = (int)RETRY_EINTR(poll(&p, 1, HELPER_IDLE_EXIT_MS));
		if (r <= 0)
			return 0;
		r = recv_msg(sock, &m, &in);
		if (r == -EPIPE)
			return 0;
		if (r < 0)
			return 1;
		if (m.op == OP_MEMFD) {
			m.name[sizeof(m.name) - 1] = '\0';
			m.err = charge_helper_memfd(m.name, m.a, true, &out);
		} else if (m.op == OP_POPULATE && in >= 0) {
			m.err = fallocate(in, FALLOC_FL_KEEP_SIZE, (off_t)m.a, (off_t)m.b) < 0 ?
					-errno :
					0;
		} else if (m.op == OP_IOCTL && in >= 0 && m.argsz <= sizeof(m.arg)) {
			m.err = charge_helper_ioctl(in, (unsigned long)m.req, m.arg, m.fd_at,
						    m.argsz, &out);
		} else {
			m.err = -EINVAL;
		}
		if (in >= 0)
			close(in);
		r = send_msg(sock, &m, out);
		if (out >= 0)
			close(out);
		if (r < 0)
			return 1;
	}
}
