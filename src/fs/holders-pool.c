// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * user.dmabuf.holders off the FUSE workers: one walker thread answers from
 * holders-scan.c, a cache keeps its answers, and a getxattr waits for a
 * walk only within bounds.
 *
 * Measured before (issue 16): the walk ran on the FUSE worker that asked,
 * with no bound. 12 concurrent getxattrs of one user, each walking /proc
 * for 3.5 s, held all 10 of libfuse's workers: another user's create took
 * 30.9 s (28 ms idle), root's lookup 29 s.
 *
 * Now:
 * - the walk runs on the walker thread only, and one walk answers every
 *   buffer asked about since the last one (holders-scan.c takes any
 *   number), so no user's requests queue behind another's: each waits for
 *   at most the walk that is running and the next;
 * - an answer is served from the cache while its walk ended at most
 *   HOLDERS_MAX_AGE_MS ago (a walk of /proc is no snapshot: it takes as
 *   long as it takes, so it ages from its end);
 * - a getxattr that finds none waits for the walker at most
 *   HOLDERS_WAIT_MS, and only HOLDERS_WAITERS_MAX workers wait at once,
 *   HOLDERS_WAITERS_PER_UID of one uid: any other gets EAGAIN at once, and
 *   at least 7 of the 10 workers are always free for everything else.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "buffer.h"
#include "fs/fs-internal.h"
#include "fs/holders-scan.h"
#include "shared/log.h"
#include "shared/macro.h"
#include "shared/util.h"

#define HOLDERS_MAX_AGE_MS 2000
#define HOLDERS_WAIT_MS 1000
#define HOLDERS_WAITERS_MAX 3
#define HOLDERS_WAITERS_PER_UID 1
/* Answers kept; past it the oldest not waited for goes. */
#define HOLDERS_CACHE_MAX 1024

struct hentry {
	struct hentry *next;
	dev_t dev;
	ino_t ino;
	char *value;	     /* the last walk's answer, NULL before */
	int r;		     /* its error, if any */
	int64_t at_ms;	     /* when that walk ended */
	unsigned int gen;    /* walks that answered for it */
	struct buffer *want; /* a reference while queued for the next walk */
	bool running;	     /* in the walk now */
	unsigned int users;  /* waiters: not evicted under them */
};

static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t pool_work = PTHREAD_COND_INITIALIZER;
static pthread_cond_t pool_done = PTHREAD_COND_INITIALIZER;
static struct hentry *cache;
static size_t ncache, nwanted;
static bool walker_running;
static uid_t waiting[HOLDERS_WAITERS_MAX]; /* the uids of the waiters */
static unsigned int nwaiting;

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static bool fresh(const struct hentry *e, int64_t now)
{
	return e->value && now - e->at_ms <= HOLDERS_MAX_AGE_MS;
}

/* The walker: takes every queued buffer, walks once, caches the answers. */
static void *walker(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&pool_lock);
	for (;;) {
		_cleanup_free_ struct buffer **bufs = NULL;
		_cleanup_free_ struct hentry **ents = NULL;
		_cleanup_free_ char **outs = NULL;
		size_t n = 0;
		int64_t t0, t1;
		int r;

		while (!nwanted)
			pthread_cond_wait(&pool_work, &pool_lock);
		bufs = calloc(nwanted, sizeof(*bufs));
		ents = calloc(nwanted, sizeof(*ents));
		outs = calloc(nwanted, sizeof(*outs));
		if (!bufs || !ents || !outs) {
			/* Waiters time out with EAGAIN; try again later. */
			pthread_mutex_unlock(&pool_lock);
			sleep(1);
			pthread_mutex_lock(&pool_lock);
			continue;
		}
		for (struct hentry *e = cache; e; e = e->next) {
			if (!e->want)
				continue;
			bufs[n] = e->want;
			ents[n++] = e;
			e->want = NULL;
			e->running = true;
		}
		nwanted = 0;
		pthread_mutex_unlock(&pool_lock);
		t0 = mono_ms();
		r = holders_scan(bufs, n, outs);
		t1 = mono_ms();
		if (t1 - t0 > HOLDERS_WAIT_MS)
			log_info("holders: a walk of /proc for %zu buffers took %lld ms", n,
				 (long long)(t1 - t0));
		pthread_mutex_lock(&pool_lock);
		for (size_t i = 0; i < n; i++) {
			struct hentry *e = ents[i];

			free(e->value);
			e->value = outs[i];
			e->r = outs[i] ? 0 : r < 0 ? r : -EIO;
			e->at_ms = t1;
			e->gen++;
			e->running = false;
		}
		pthread_cond_broadcast(&pool_done);
		pthread_mutex_unlock(&pool_lock);
		for (size_t i = 0; i < n; i++)
			buffer_unref(bufs[i]);
		pthread_mutex_lock(&pool_lock);
	}
	return NULL;
}

/* pool_lock held. */
static struct hentry *entry_get(dev_t dev, ino_t ino)
{
	struct hentry *e, **pp, **victim = NULL;

	for (e = cache; e; e = e->next)
		if (e->dev == dev && e->ino == ino)
			return e;
	if (ncache >= HOLDERS_CACHE_MAX) {
		for (pp = &cache; *pp; pp = &(*pp)->next)
			if (!(*pp)->users && !(*pp)->want && !(*pp)->running &&
			    (!victim || (*pp)->at_ms < (*victim)->at_ms))
				victim = pp;
		if (!victim)
			return NULL;
		e = *victim;
		*victim = e->next;
		free(e->value);
		free(e);
		ncache--;
	}
	e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	e->dev = dev;
	e->ino = ino;
	e->next = cache;
	cache = e;
	ncache++;
	return e;
}

/* pool_lock held. */
static int walker_start(void)
{
	pthread_attr_t attr;
	pthread_t t;
	int r;

	if (walker_running)
		return 0;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	r = -pthread_create(&t, &attr, walker, NULL);
	pthread_attr_destroy(&attr);
	if (r == 0)
		walker_running = true;
	return r;
}

static unsigned int waiters_of(uid_t uid)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < nwaiting; i++)
		n += waiting[i] == uid;
	return n;
}

static void waiter_remove(uid_t uid)
{
	for (unsigned int i = 0; i < nwaiting; i++)
		if (waiting[i] == uid) {
			waiting[i] = waiting[--nwaiting];
			return;
		}
}

int holders_cached(uid_t uid, struct buffer *b, char *out, size_t outsz)
{
	struct timespec until;
	struct hentry *e;
	struct stat st;
	int64_t deadline;
	unsigned int gen;
	int r;

	if (outsz == 0)
		return -EINVAL;
	/* The daemon's own fd: a dma-buf or a memfd. */
	if (fstat(b->fd, &st) < 0)
		return -errno;
	pthread_mutex_lock(&pool_lock);
	e = entry_get(st.st_dev, st.st_ino);
	if (e && fresh(e, mono_ms()))
		goto answer;
	if (!e || nwaiting >= HOLDERS_WAITERS_MAX || waiters_of(uid) >= HOLDERS_WAITERS_PER_UID) {
		r = -EAGAIN;
		goto out;
	}
	r = walker_start();
	if (r < 0)
		goto out;
	/* A walk already running answers too: it is younger than the age. */
	if (!e->want && !e->running) {
		e->want = buffer_ref(b);
		nwanted++;
		pthread_cond_signal(&pool_work);
	}
	waiting[nwaiting++] = uid;
	e->users++;
	/* The walk that answers this request ends the generation after the
	 * one running now, if one is (it may have started before the ask). */
	gen = e->gen + (e->running && e->want ? 2 : 1);
	deadline = mono_ms() + HOLDERS_WAIT_MS;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_nsec += HOLDERS_WAIT_MS % 1000 * 1000000L;
	until.tv_sec += HOLDERS_WAIT_MS / 1000 + until.tv_nsec / 1000000000L;
	until.tv_nsec %= 1000000000L;
	while ((int)(e->gen - gen) < 0 && mono_ms() < deadline &&
	       pthread_cond_timedwait(&pool_done, &pool_lock, &until) != ETIMEDOUT)
		;
	e->users--;
	waiter_remove(uid);
	/* The walk it waited for is the freshest answer there is. */
	if ((int)(e->gen - gen) < 0) {
		r = -EAGAIN;
		goto out;
	}
answer:
	r = e->r;
	if (r == 0) {
		if (strlen(e->value) >= outsz)
			r = -ERANGE;
		else
			strcpy(out, e->value);
	}
out:
	pthread_mutex_unlock(&pool_lock);
	return r;
}
