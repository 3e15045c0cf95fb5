// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The closers of the control socket server: every fd a client sends, and
 * every connection socket (its queue may still carry fds in flight), is
 * closed here, never on the control thread. close() runs the file's
 * release: for a file of another FUSE server its FLUSH, which may wait
 * forever, and for a TCP socket with SO_LINGER and unsent data up to the
 * linger time (an hour, if the sender says so). Measured before: one such
 * socket wedged the single closer thread, 16,409 fds queued behind it, and
 * once its pipe was full the control thread closed them itself and
 * stopped with the second socket.
 *
 * So: a queue, and closer threads started as fds arrive, up to
 * CLOSER_THREADS_MAX. One uid's closes run on at most CLOSER_THREADS_PER_UID
 * threads at a time, so one user's stuck closes hold two threads and the
 * others' fds still go. Each uid may have CLOSER_MAX_PER_UID fds queued or
 * in a close; a uid over it gets no more of its messages read and its
 * connections refused (control/server.c asks control_closer_over_limit()) until its
 * closes finish. The queue itself never refuses an fd: once received it
 * is the daemon's, and closing it here would be the wedge.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "control/control-internal.h"
#include "shared/log.h"

#define CLOSER_THREADS_MAX 16
#define CLOSER_THREADS_PER_UID 2

struct closer_item {
	int fd;
	uid_t uid;
};

struct closer_uid {
	uid_t uid;
	unsigned int held;    /* queued or being closed */
	unsigned int closing; /* being closed, one thread each */
};

static pthread_mutex_t closer_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t closer_work = PTHREAD_COND_INITIALIZER;
static pthread_cond_t closer_gone = PTHREAD_COND_INITIALIZER;
static struct closer_item *queue; /* FIFO, oldest first */
static size_t nqueue, queue_cap;
static struct closer_uid *uids;
static size_t nuids, uids_cap;
static unsigned int nthreads, nidle;
static bool stopping;

/* closer_lock held; NULL when it has nothing held and !add. */
static struct closer_uid *uid_find(uid_t uid, bool add)
{
	for (size_t i = 0; i < nuids; i++)
		if (uids[i].uid == uid)
			return &uids[i];
	if (!add)
		return NULL;
	if (nuids == uids_cap) {
		size_t cap = uids_cap ? 2 * uids_cap : 16;
		struct closer_uid *v = realloc(uids, cap * sizeof(*v));

		if (!v)
			return NULL;
		uids = v;
		uids_cap = cap;
	}
	uids[nuids] = (struct closer_uid){ .uid = uid };
	return &uids[nuids++];
}

/* closer_lock held: one fd of that uid is closed. */
static void uid_release(uid_t uid)
{
	struct closer_uid *u = uid_find(uid, false);

	if (!u)
		return;
	u->closing--;
	if (--u->held == 0)
		*u = uids[--nuids];
}

/* closer_lock held: the oldest queued fd whose uid may have one more
 * close running, or -1. */
static ssize_t pick(void)
{
	for (size_t i = 0; i < nqueue; i++) {
		struct closer_uid *u = uid_find(queue[i].uid, false);

		if (u && u->closing < CLOSER_THREADS_PER_UID)
			return (ssize_t)i;
	}
	return -1;
}

static void *closer_thread(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&closer_lock);
	for (;;) {
		ssize_t i = pick();
		struct closer_item it;

		if (i < 0) {
			if (stopping)
				break;
			nidle++;
			pthread_cond_wait(&closer_work, &closer_lock);
			nidle--;
			continue;
		}
		it = queue[i];
		memmove(&queue[i], &queue[i + 1], (nqueue - (size_t)i - 1) * sizeof(*queue));
		nqueue--;
		uid_find(it.uid, false)->closing++;
		pthread_mutex_unlock(&closer_lock);
		close(it.fd);
		pthread_mutex_lock(&closer_lock);
		uid_release(it.uid);
		/* That uid may have another fd waiting for a free share. */
		pthread_cond_signal(&closer_work);
	}
	nthreads--;
	pthread_cond_broadcast(&closer_gone);
	pthread_mutex_unlock(&closer_lock);
	return NULL;
}

/* closer_lock held: one more thread, unless at the cap. */
static void spawn_locked(void)
{
	pthread_attr_t attr;
	pthread_t t;

	if (nthreads >= CLOSER_THREADS_MAX)
		return;
	/* Detached and never joined: a close stuck in a dead FUSE server
	 * must not hold up the daemon's stop. */
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, 64 * 1024);
	if (pthread_create(&t, &attr, closer_thread, NULL) == 0)
		nthreads++;
	pthread_attr_destroy(&attr);
}

void control_close_received(int fd, uid_t uid)
{
	struct closer_uid *u;

	if (fd < 0)
		return;
	pthread_mutex_lock(&closer_lock);
	u = uid_find(uid, true);
	if (u && nqueue == queue_cap) {
		size_t cap = queue_cap ? 2 * queue_cap : 64;
		struct closer_item *v = realloc(queue, cap * sizeof(*v));

		if (v) {
			queue = v;
			queue_cap = cap;
		}
	}
	if (!u || nqueue == queue_cap) {
		/* Out of memory: an fd left open costs one fd; a close here
		 * could cost the control thread. */
		pthread_mutex_unlock(&closer_lock);
		log_err("control: out of memory, fd %d of uid %u left open", fd, (unsigned)uid);
		return;
	}
	queue[nqueue++] = (struct closer_item){ .fd = fd, .uid = uid };
	u->held++;
	/* A thread for it if none is free and this uid has a share left;
	 * one stuck close never holds the fds queued behind it. */
	if (!nidle && u->closing < CLOSER_THREADS_PER_UID && !stopping)
		spawn_locked();
	pthread_cond_signal(&closer_work);
	pthread_mutex_unlock(&closer_lock);
}

bool control_closer_over_limit(uid_t uid)
{
	struct closer_uid *u;
	bool over;

	pthread_mutex_lock(&closer_lock);
	u = uid_find(uid, false);
	over = u && u->held >= CLOSER_MAX_PER_UID;
	pthread_mutex_unlock(&closer_lock);
	return over;
}

/* Wait (at most a second) for the closers to drain: a stop leaves no fd
 * behind, unless a close is stuck (then the fd goes with the process). */
void control_closer_stop(void)
{
	struct timespec until;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 1;
	pthread_mutex_lock(&closer_lock);
	stopping = true;
	pthread_cond_broadcast(&closer_work);
	while (nthreads > 0 && pthread_cond_timedwait(&closer_gone, &closer_lock, &until) == 0)
		;
	if (nthreads > 0 || nqueue > 0)
		log_warn("control: %zu received fds still being closed at exit",
			 nqueue + (size_t)(nthreads - nidle));
	pthread_mutex_unlock(&closer_lock);
}

int control_closer_start(void)
{
	pthread_mutex_lock(&closer_lock);
	stopping = false;
	pthread_mutex_unlock(&closer_lock);
	return 0;
}
