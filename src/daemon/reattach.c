// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * What a start finds of the previous daemon's mount (daemon/reattach.h).
 *
 * stat() of the mount point cannot tell a dead daemon's mount from a live
 * one: the kernel answers it from the attributes it cached (attr_timeout)
 * without asking anyone, so right after a kill -9 it succeeds and the
 * mount looks alive (measured on 6.18: the first start after a kill
 * refused to mount, only the second one, after the cache expired, found
 * ENOTCONN). statfs() always goes to the connection: ENOTCONN at once
 * when it was aborted (its last /dev/fuse descriptor closed), an answer
 * when a server serves it, and a wait when the connection lives on (a
 * descriptor kept elsewhere, e.g. in the fd store) with nobody serving.
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "daemon/reattach.h"
#include "fs/fuse.h"
#include "shared/log.h"
#include "shared/macro.h"

enum fuse_probe fuse_probe(const char *mp, int timeout_ms)
{
	struct timespec tick = { 0, 2 * 1000 * 1000 };
	int status, waited = 0;
	pid_t pid, done;

	pid = fork();
	if (pid < 0) {
		log_warn("%s: cannot probe the mount (fork: %m); taking it as live", mp);
		return FUSE_PROBE_LIVE;
	}
	if (pid == 0) {
		struct statfs sfs;

		if (statfs(mp, &sfs) == 0)
			_exit(0);
		_exit(errno == ENOTCONN || errno == ECONNABORTED ? 1 : 2);
	}
	for (;;) {
		done = waitpid(pid, &status, WNOHANG);
		if (done == pid || (done < 0 && errno != EINTR))
			break;
		if (waited >= timeout_ms) {
			/* Blocked in a request nobody reads: a fatal signal
			 * ends the wait (request_wait_answer). */
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
			return FUSE_PROBE_NOSERV;
		}
		nanosleep(&tick, NULL);
		waited += 2;
	}
	if (done == pid && WIFEXITED(status) && WEXITSTATUS(status) == 1)
		return FUSE_PROBE_DEAD;
	return FUSE_PROBE_LIVE;
}

/* ---- re-attaching to a mount that outlived its daemon ---- */

/* mountinfo escapes space, tab, newline and backslash as \ooo. */
static void unescape_octal(char *s)
{
	char *out = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*out++ = (char)((s[1] - '0') << 6 | (s[2] - '0') << 3 | (s[3] - '0'));
			s += 3;
		} else {
			*out++ = *s;
		}
	}
	*out = '\0';
}

int reattach_mount_on(const char *mp, char *dev, size_t devsz, char *type, size_t typesz)
{
	_cleanup_fclose_ FILE *f = fopen("/proc/self/mountinfo", "re");
	char line[4096];
	int r = -ENOENT;

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		char d[32], point[PATH_MAX], fstype[256];
		const char *sep = strstr(line, " - ");

		if (!sep || sscanf(line, "%*d %*d %31s %*s %4095s", d, point) != 2 ||
		    sscanf(sep + 3, "%255s", fstype) != 1)
			continue;
		unescape_octal(point);
		if (strcmp(point, mp) != 0)
			continue;
		/* The last mount on mp is the one that shows. */
		snprintf(dev, devsz, "%s", d);
		snprintf(type, typesz, "%s", fstype);
		r = 0;
	}
	return r;
}

int reattach_mount_dev(const char *mp, const char *fstype, char *dev, size_t size)
{
	char type[256];

	if (reattach_mount_on(mp, dev, size, type, sizeof(type)) < 0 || strcmp(type, fstype))
		return -ENOENT;
	return 0;
}

/* What the recorded INIT says the kernel offered: the INIT request of
 * protocol 7 whose flags include FUSE_HAS_RESEND. */
static bool init_resends(const uint8_t *init, size_t len)
{
	struct fuse_in_header in;
	struct fuse_init_in arg;
	uint64_t flags;

	if (len < sizeof(in) + offsetof(struct fuse_init_in, flags2) + sizeof(arg.flags2))
		return false;
	memcpy(&in, init, sizeof(in));
	memset(&arg, 0, sizeof(arg));
	memcpy(&arg, init + sizeof(in),
	       len - sizeof(in) < sizeof(arg) ? len - sizeof(in) : sizeof(arg));
	if (in.len != len || in.opcode != FUSE_INIT || arg.major != 7)
		return false;
	flags = arg.flags | (arg.flags & FUSE_INIT_EXT ? (uint64_t)arg.flags2 << 32 : 0);
	return flags & FUSE_HAS_RESEND;
}

void reattach_check(struct reattach *ra)
{
	struct pollfd pfd = { .fd = ra->fd, .events = POLLIN };
	char dev[32];

	ra->ok = false;
	ra->why = "no /dev/fuse descriptor in the store";
	if (ra->fd < 0)
		return;
	ra->why = "no FUSE_INIT in the state record (a crash right after the mount)";
	if (!ra->init_len)
		return;
	ra->why = "the kernel does not resend requests (FUSE_HAS_RESEND, Linux >= 6.9)";
	if (!init_resends(ra->init, ra->init_len))
		return;
	/* An aborted connection (unmounted, or aborted through fusectl)
	 * polls POLLERR: nothing is left to attach to. */
	ra->why = "the connection is gone (unmounted or aborted)";
	if (poll(&pfd, 1, 0) < 0 || (pfd.revents & (POLLERR | POLLNVAL)))
		return;
	/* The mount on mp is the one the fd serves: the device the record
	 * names (another mount there would be served blind). */
	ra->why = "the mount point shows another mount than the recorded one";
	if (reattach_mount_dev(ra->mp, "fuse.dmabuffs", dev, sizeof(dev)) < 0 ||
	    strcmp(dev, ra->dev) != 0)
		return;
	ra->why = NULL;
	ra->ok = true;
}

int reattach_first_init(struct fuse_session *se, uint8_t *init, size_t *len)
{
	struct fuse_buf buf = { .mem = NULL };
	int r;

	/* libfuse's own loop would read it; reading it here keeps a copy
	 * (a read of /dev/fuse needs a buffer of at least 8 KiB: libfuse's). */
	do
		r = fuse_session_receive_buf(se, &buf);
	while (r == -EINTR);
	if (r <= 0) {
		free(buf.mem);
		return r < 0 ? r : -ENODEV;
	}
	*len = 0;
	if (!(buf.flags & FUSE_BUF_IS_FD) && buf.size <= REATTACH_INIT_MAX) {
		memcpy(init, buf.mem, buf.size);
		*len = buf.size;
	}
	fuse_session_process_buf(se, &buf);
	free(buf.mem);
	return 0;
}

int reattach_session(struct fuse_session *se, struct reattach *ra)
{
	struct fuse_out_header resend = {
		.len = sizeof(resend),
		.error = DMABUFFS_FUSE_NOTIFY_RESEND,
		.unique = 0,
	};
	struct fuse_buf buf = { .size = ra->init_len, .mem = ra->init };
	char path[32];
	int r;

	/* A mount point of /dev/fd/N: libfuse serves fd N, mounts nothing. */
	snprintf(path, sizeof(path), "/dev/fd/%d", ra->fd);
	if (fuse_session_mount(se, path) != 0)
		return -EBADF;
	ra->fd = -1; /* the session's now */
	/* The INIT the kernel sent the first process: libfuse and the
	 * daemon's init handler learn what was negotiated; the reply goes to
	 * a request the kernel no longer has and is dropped. */
	fuse_session_process_buf(se, &buf);
	/* Requests the dead process had read and not answered go back to
	 * the queue, marked resent, for this process to answer. */
	if (write(fuse_session_fd(se), &resend, sizeof(resend)) != sizeof(resend)) {
		r = -errno;
		log_err("re-attach: FUSE_NOTIFY_RESEND: %m");
		return r;
	}
	/* Every buffer file keeps its inode number, so the kernel's dentries
	 * are still right; dropping them all at once (Linux >= 6.16) leaves
	 * nothing a gap could have made stale. */
	r = fuse_lowlevel_notify_increment_epoch(se);
	if (r < 0 && r != -ENOSYS)
		log_debug("re-attach: FUSE_NOTIFY_INC_EPOCH: %s", strerror(-r));
	return 0;
}
