// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The closer thread of the control socket server: every fd a client sends
 * is closed here, not on the control thread. close() runs the file's
 * flush, and for a file of another FUSE server that may wait forever; a
 * thread of its own, fed through a pipe, is what lets the poll loop in
 * control.c promise that nothing in it blocks.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>
#include <unistd.h>

#include "control-internal.h"
#include "shared/log.h"

static int closer_fd = -1; /* write end of the closer thread's pipe */
/* Set by the closer thread when it has closed everything and its pipe. */
static pthread_mutex_t closer_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t closer_cond = PTHREAD_COND_INITIALIZER;
static bool closer_done;

/* The closer thread: close() of a received fd runs the file's flush, which
 * for a file of another FUSE server waits (uninterruptibly) for that
 * server. Here it holds up nobody. */
static void *closer_thread(void *arg)
{
	int rfd = (int)(intptr_t)arg, fd;

	while (read(rfd, &fd, sizeof(fd)) == sizeof(fd))
		close(fd);
	close(rfd);
	pthread_mutex_lock(&closer_lock);
	closer_done = true;
	pthread_cond_signal(&closer_cond);
	pthread_mutex_unlock(&closer_lock);
	return NULL;
}

/* Wait (at most a second) for the closer thread to drain: a stop leaves no
 * fd behind, unless a close is stuck in a dead FUSE server. */
void closer_stop(void)
{
	struct timespec until;

	if (closer_fd < 0)
		return;
	close(closer_fd); /* EOF ends the thread once the queue is closed */
	closer_fd = -1;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 1;
	pthread_mutex_lock(&closer_lock);
	while (!closer_done &&
	       pthread_cond_timedwait(&closer_cond, &closer_lock, &until) == 0)
		;
	if (!closer_done)
		log_warn("control: a received fd is still being closed at exit");
	pthread_mutex_unlock(&closer_lock);
}

void close_received(int fd)
{
	if (fd < 0)
		return;
	/* A full pipe means 16k fds pending a close: closing here is the
	 * lesser evil. */
	if (closer_fd < 0 || write(closer_fd, &fd, sizeof(fd)) != sizeof(fd))
		close(fd);
}

int closer_start(void)
{
	pthread_attr_t attr;
	pthread_t t;
	int p[2], r;

	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	if (fcntl(p[1], F_SETFL, O_NONBLOCK) < 0) {
		r = -errno;
		goto fail;
	}
	/* Detached and never joined: a close stuck in a dead FUSE server
	 * must not hold up the daemon's stop. */
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	r = -pthread_create(&t, &attr, closer_thread, (void *)(intptr_t)p[0]);
	pthread_attr_destroy(&attr);
	if (r < 0)
		goto fail;
	closer_done = false;
	closer_fd = p[1];
	return 0;
fail:
	close(p[0]);
	close(p[1]);
	return r;
}
