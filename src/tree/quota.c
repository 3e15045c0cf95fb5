// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Per-user limits. One record per uid that holds anything, in a short
 * list: the users of one machine's buffers are few.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/statvfs.h>
#include <time.h>

#include "conf.h"
#include "tree/quota.h"
#include "shared/log.h"

struct usage {
	uid_t uid;
	uint64_t bytes, buffers;
	time_t last_log[2]; /* bytes, buffers: a user at a limit must not flood the log */
	struct usage *next;
};

static pthread_mutex_t quota_lock = PTHREAD_MUTEX_INITIALIZER;
static struct usage *users;

/* The limits, from tree_init(): read-only once threads run. */
static const struct config *cfg;

void quota_init(const struct config *config)
{
	cfg = config;
}

static void limits(uid_t uid, uint64_t *max_bytes, uint64_t *max_buffers)
{
	*max_bytes = *max_buffers = 0;
	if (!cfg)
		return;
	*max_bytes = uid == 0 ? cfg->max_bytes_root : cfg->max_bytes_per_user;
	*max_buffers = uid == 0 ? cfg->max_buffers_root : cfg->max_buffers_per_user;
}

static struct usage *find_locked(uid_t uid, bool create)
{
	struct usage *u;

	for (u = users; u; u = u->next)
		if (u->uid == uid)
			return u;
	if (!create)
		return NULL;
	u = calloc(1, sizeof(*u));
	if (!u)
		return NULL;
	u->uid = uid;
	u->next = users;
	users = u;
	return u;
}

/* Drop the record of a uid that holds nothing any more. */
static void forget_locked(struct usage *u)
{
	struct usage **p;

	if (u->bytes || u->buffers)
		return;
	for (p = &users; *p; p = &(*p)->next) {
		if (*p == u) {
			*p = u->next;
			free(u);
			return;
		}
	}
}

/* At most one refusal a second per user reaches the log. */
static bool log_allowed(struct usage *u, int kind)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	if (u->last_log[kind] && now.tv_sec == u->last_log[kind])
		return false;
	u->last_log[kind] = now.tv_sec ? now.tv_sec : 1;
	return true;
}

/* Whether u may take bytes and buffers more; logs why not. */
static int check_locked(struct usage *u, uint64_t bytes, uint64_t buffers, const char *name)
{
	uint64_t max_bytes, max_buffers;
	const char *bytes_opt = u->uid == 0 ? "max_bytes_root" : "max_bytes_per_user";
	const char *buffers_opt = u->uid == 0 ? "max_buffers_root" : "max_buffers_per_user";

	limits(u->uid, &max_bytes, &max_buffers);
	if (max_buffers && buffers && u->buffers + buffers > max_buffers) {
		if (log_allowed(u, 1))
			log_warn("%s: uid %u is at %s=%llu buffers: EDQUOT", name, (unsigned)u->uid,
				 buffers_opt, (unsigned long long)max_buffers);
		return -EDQUOT;
	}
	if (max_bytes && bytes && (bytes > max_bytes || u->bytes > max_bytes - bytes)) {
		if (log_allowed(u, 0))
			log_warn(
				"%s: uid %u holds %llu bytes, %llu more would exceed %s=%llu: EDQUOT",
				name, (unsigned)u->uid, (unsigned long long)u->bytes,
				(unsigned long long)bytes, bytes_opt,
				(unsigned long long)max_bytes);
		return -EDQUOT;
	}
	return 0;
}

int quota_add(struct quota_ref *q, uid_t uid, uint64_t bytes, const char *name)
{
	struct usage *u;
	int r;

	pthread_mutex_lock(&quota_lock);
	u = find_locked(uid, true);
	if (!u) {
		r = -ENOMEM;
	} else {
		r = check_locked(u, bytes, 1, name);
		if (r == 0) {
			u->bytes += bytes;
			u->buffers++;
			q->uid = uid;
			q->bytes = bytes;
			q->counted = true;
		} else {
			forget_locked(u);
		}
	}
	pthread_mutex_unlock(&quota_lock);
	return r;
}

int quota_grow(struct quota_ref *q, uint64_t bytes, const char *name)
{
	struct usage *u;
	int r = 0;

	pthread_mutex_lock(&quota_lock);
	if (q->counted && bytes > q->bytes) {
		u = find_locked(q->uid, false);
		r = u ? check_locked(u, bytes - q->bytes, 0, name) : -ENOENT;
		if (r == 0) {
			u->bytes += bytes - q->bytes;
			q->bytes = bytes;
		}
	}
	pthread_mutex_unlock(&quota_lock);
	return r;
}

void quota_shrink(struct quota_ref *q, uint64_t bytes)
{
	struct usage *u;

	pthread_mutex_lock(&quota_lock);
	if (q->counted && bytes < q->bytes && (u = find_locked(q->uid, false))) {
		u->bytes -= q->bytes - bytes < u->bytes ? q->bytes - bytes : u->bytes;
		q->bytes = bytes;
	}
	pthread_mutex_unlock(&quota_lock);
}

void quota_drop(struct quota_ref *q)
{
	struct usage *u;

	pthread_mutex_lock(&quota_lock);
	if (q->counted && (u = find_locked(q->uid, false))) {
		u->bytes -= q->bytes < u->bytes ? q->bytes : u->bytes;
		if (u->buffers)
			u->buffers--;
		forget_locked(u);
	}
	q->counted = false;
	q->bytes = 0;
	pthread_mutex_unlock(&quota_lock);
}

void quota_get(uid_t uid, struct quota_usage *out)
{
	struct usage *u;

	pthread_mutex_lock(&quota_lock);
	u = find_locked(uid, false);
	out->bytes = u ? u->bytes : 0;
	out->buffers = u ? u->buffers : 0;
	pthread_mutex_unlock(&quota_lock);
	limits(uid, &out->max_bytes, &out->max_buffers);
}

void quota_statfs(uid_t uid, struct statvfs *sv)
{
	struct quota_usage q;
	uint64_t unit = sv->f_frsize ? sv->f_frsize : 4096;

	quota_get(uid, &q);
	if (q.max_bytes) {
		sv->f_blocks = q.max_bytes / unit;
		sv->f_bfree = sv->f_bavail =
			(q.max_bytes - (q.bytes < q.max_bytes ? q.bytes : q.max_bytes)) / unit;
	}
	if (q.max_buffers) {
		sv->f_files = q.max_buffers;
		sv->f_ffree = sv->f_favail =
			q.max_buffers - (q.buffers < q.max_buffers ? q.buffers : q.max_buffers);
	}
}
