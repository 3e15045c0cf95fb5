// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * fs/sync.c's bound on page-cache invalidations, with libfuse replaced by
 * stubs: over io_uring a SYNC whose invalidation outlasts the ring thread's
 * wait (200 ms) is abandoned to its helper thread, and that invalidation
 * still holds a worker of the kernel's, so it must keep its slot until it
 * ends. Four stuck invalidations leave none for a fifth (EAGAIN); once
 * they end, the slots are free again.
 */
#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <time.h>

#include "fs/fs-internal.h"
#include "testsuite.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static bool release_inval; /* the stuck invalidations may end */
static int replies_ok, replies_eagain, invals_started;
static struct fs_data fsd;

/* ---- libfuse, stubbed ---- */

void *fuse_req_userdata(fuse_req_t req)
{
	(void)req;
	return &fsd;
}

bool fuse_req_is_uring(fuse_req_t req)
{
	(void)req;
	return true;
}

/* An invalidation waiting for dirty pages whose WRITEs do not come. */
int fuse_lowlevel_notify_inval_inode(struct fuse_session *se, fuse_ino_t ino, off_t off, off_t len)
{
	(void)se, (void)ino, (void)off, (void)len;
	pthread_mutex_lock(&lock);
	invals_started++;
	while (!release_inval)
		pthread_cond_wait(&cond, &lock);
	pthread_mutex_unlock(&lock);
	return 0;
}

int fuse_reply_ioctl(fuse_req_t req, int result, const void *buf, size_t size)
{
	(void)req, (void)result, (void)buf, (void)size;
	pthread_mutex_lock(&lock);
	replies_ok++;
	pthread_cond_broadcast(&cond);
	pthread_mutex_unlock(&lock);
	return 0;
}

int fuse_reply_err(fuse_req_t req, int err)
{
	(void)req;
	pthread_mutex_lock(&lock);
	if (err == EAGAIN)
		replies_eagain++;
	pthread_mutex_unlock(&lock);
	return 0;
}

static int get(int *v)
{
	int x;

	pthread_mutex_lock(&lock);
	x = *v;
	pthread_mutex_unlock(&lock);
	return x;
}

START_TEST(test_abandoned_keeps_slot)
{
	struct timespec until;
	/* Any non-NULL request: the stubs never look inside. */
	fuse_req_t req = (fuse_req_t)&fsd;

	/* Four SYNCs whose invalidation never ends: each is abandoned after
	 * the ring thread's wait and returns, still running. */
	for (int i = 0; i < 4; i++)
		sync_invalidate(req, 2);
	ck_assert_int_eq(get(&invals_started), 4);
	ck_assert_int_eq(get(&replies_ok), 0);
	/* A fifth finds every slot held by the abandoned four. */
	sync_invalidate(req, 2);
	ck_assert_int_eq(get(&replies_eagain), 1);
	ck_assert_int_eq(get(&invals_started), 4);

	/* They end: each replies and gives its slot back. */
	pthread_mutex_lock(&lock);
	release_inval = true;
	pthread_cond_broadcast(&cond);
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 10;
	while (replies_ok < 4 && pthread_cond_timedwait(&cond, &lock, &until) == 0)
		;
	pthread_mutex_unlock(&lock);
	ck_assert_int_eq(get(&replies_ok), 4);
	/* Four more get a slot (done within the wait: replied at once). */
	for (int i = 0; i < 4; i++)
		sync_invalidate(req, 2);
	ck_assert_int_eq(get(&replies_ok), 8);
	ck_assert_int_eq(get(&replies_eagain), 1);
}
END_TEST

static Suite *sync_suite(void)
{
	Suite *s = suite_create("sync-slots");
	TCase *tc = tcase_create("uring");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_abandoned_keeps_slot);
	suite_add_tcase(s, tc);
	return s;
}

TESTSUITE_MAIN(sync_suite);
