// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * DMA_BUF_IOCTL_SYNC on a file whose mmap is the page cache (file.c's
 * fs_ioctl for every open that is not passed through): the kernel's
 * invalidation of the file's pages, bounded in number and kept off the
 * io_uring thread, because done inline it deadlocked the mount twice (see
 * below). Apart from file.c because it is a concurrency problem of its own.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fs/fs-internal.h"
#include "shared/log.h"

/*
 * An invalidation holds its worker until the kernel has written the dirty
 * pages back, through WRITE requests that need workers of their own, and
 * libfuse runs at most 10 (FUSE_LOOP_MT_DEF_MAX_THREADS): 12 processes
 * syncing dirty mappings at once took them all and deadlocked the mount.
 * So at most SYNC_INVAL_MAX run at once; a SYNC that finds them all busy
 * waits a little (a few ms, holding its worker) and then fails with EAGAIN,
 * which DMA_BUF_IOCTL_SYNC callers retry (as libdrm's drmIoctl does).
 */
#define SYNC_INVAL_MAX 4
#define SYNC_INVAL_TRIES 5
static int sync_inval_running;

static int sync_slot_get(void)
{
	const struct timespec ms = { 0, 1000000 };

	for (int i = 0;; i++) {
		if (__atomic_add_fetch(&sync_inval_running, 1, __ATOMIC_ACQ_REL) <= SYNC_INVAL_MAX)
			return 0;
		__atomic_sub_fetch(&sync_inval_running, 1, __ATOMIC_ACQ_REL);
		if (i == SYNC_INVAL_TRIES)
			return -EAGAIN;
		nanosleep(&ms, NULL);
	}
}

static void sync_slot_put(void)
{
	__atomic_sub_fetch(&sync_inval_running, 1, __ATOMIC_ACQ_REL);
}

static void inval_and_reply(fuse_req_t req, fuse_ino_t ino)
{
	int r = fuse_lowlevel_notify_inval_inode(fs_data(req)->se, ino, 0, 0);

	if (r < 0 && r != -ENOENT)
		log_warn("ioctl SYNC: invalidating the page cache: %s", strerror(-r));
	fuse_reply_ioctl(req, 0, NULL, 0);
}

struct inval_job {
	fuse_req_t req;
	fuse_ino_t ino;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool done, abandoned;
};

static void *inval_thread(void *arg)
{
	struct inval_job *job = arg;
	bool reply;
	int r = fuse_lowlevel_notify_inval_inode(fs_data(job->req)->se, job->ino, 0, 0);

	if (r < 0 && r != -ENOENT)
		log_warn("ioctl SYNC: invalidating the page cache: %s", strerror(-r));
	pthread_mutex_lock(&job->lock);
	job->done = true;
	reply = job->abandoned;
	pthread_cond_signal(&job->cond);
	pthread_mutex_unlock(&job->lock);
	if (reply) {
		fuse_reply_ioctl(job->req, 0, NULL, 0);
		free(job);
		/* The abandoning ring thread left its slot to this job: only
		 * now does the invalidation stop holding a worker. */
		sync_slot_put();
	}
	return NULL;
}

/*
 * Over io_uring one thread serves each queue, one request at a time, and
 * the kernel queues a request on the ring of the CPU that makes it: the
 * WRITEs that an invalidation waits for (dirty mapped pages) would queue
 * behind the SYNC that waits for them (measured: a hang on 7.3). So the
 * invalidation runs on a thread kept off this CPU, and the ring thread
 * replies once it is done. Only when it cannot finish in time (one CPU,
 * dirty pages) does the ring thread return and leave the reply to it:
 * libfuse 3.18 replies from other threads are racy (a later request fails
 * with ECANCELED now and then, measured), so that stays the exception.
 * 0 when replied, 1 when abandoned to the thread (which then owns the
 * caller's slot and releases it when the invalidation ends, so that
 * SYNC_INVAL_MAX bounds the invalidations still running, not only the ones
 * a ring thread waits for), or -errno to do it inline.
 */
#define INVAL_WAIT_MS 200

static int inval_async(fuse_req_t req, fuse_ino_t ino)
{
	struct inval_job *job = calloc(1, sizeof(*job));
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	int cpu = sched_getcpu();
	struct timespec until;
	pthread_attr_t attr;
	cpu_set_t set;
	pthread_t t;
	bool done;
	int r;

	if (!job)
		return -ENOMEM;
	job->req = req;
	job->ino = ino;
	pthread_mutex_init(&job->lock, NULL);
	pthread_cond_init(&job->cond, NULL);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	if (ncpu > 1 && cpu >= 0 && cpu < CPU_SETSIZE) {
		CPU_ZERO(&set);
		for (long i = 0; i < ncpu && i < CPU_SETSIZE; i++)
			if (i != cpu)
				CPU_SET(i, &set);
		pthread_attr_setaffinity_np(&attr, sizeof(set), &set);
	}
	r = -pthread_create(&t, &attr, inval_thread, job);
	pthread_attr_destroy(&attr);
	if (r < 0) {
		log_warn("ioctl SYNC: no thread for the invalidation: %s", strerror(-r));
		free(job);
		return r;
	}
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_nsec += INVAL_WAIT_MS * 1000000L;
	until.tv_sec += until.tv_nsec / 1000000000L;
	until.tv_nsec %= 1000000000L;
	pthread_mutex_lock(&job->lock);
	while (!job->done && pthread_cond_timedwait(&job->cond, &job->lock, &until) != ETIMEDOUT)
		;
	done = job->done;
	job->abandoned = !done;
	pthread_mutex_unlock(&job->lock);
	if (!done)
		return 1;
	free(job);
	fuse_reply_ioctl(req, 0, NULL, 0);
	return 0;
}

void sync_invalidate(fuse_req_t req, fuse_ino_t ino)
{
	int r;

	if (sync_slot_get() < 0) {
		fuse_reply_err(req, EAGAIN);
		return;
	}
	if (fuse_req_is_uring(req)) {
		r = inval_async(req, ino);
		if (r > 0)
			return; /* the slot went with the abandoned job */
		if (r == 0) {
			sync_slot_put();
			return;
		}
	}
	inval_and_reply(req, ino);
	sync_slot_put();
}
