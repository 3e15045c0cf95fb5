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
#include <signal.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "daemon/reattach.h"
#include "shared/log.h"

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
