// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Renames, unlinks and creates a crash may leave unanswered (tree/persist.h's
 * persist_note*). When a daemon dies after it made a change and before it
 * answered, the kernel resends the request to the next process of a
 * re-attached mount (FUSE_NOTIFY_RESEND), which finds the change made:
 * the source of a rename gone, the unlinked name gone, the created name
 * there, and would answer ENOENT or EEXIST to a call that succeeded. So
 * each rename, unlink and create is noted (caller pid and names) before it
 * is made; the notes ride in the state record with the change, and the
 * next process answers a resent call that a note it took back shows done
 * as done. Notes taken back are used once,
 * and only for a while after the start: a later call with the same names
 * is a new one. Part of the buffer model: no FUSE here.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "tree/entry.h"
#include "tree/persist.h"

#define NOTES 32
/* Resent requests arrive at once after the re-attach. */
#define RESTORED_FOR_S 30

struct note {
	struct persist_note n;
	bool restored, used;
};

/* journal_lock protects all of it. */
static pthread_mutex_t journal_lock = PTHREAD_MUTEX_INITIALIZER;
static struct note notes[NOTES];
static unsigned int next_note;
static time_t restored_until;

static time_t now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

static void put_locked(const struct persist_note *n, bool restored)
{
	struct note *slot = &notes[next_note++ % NOTES];

	slot->n = *n;
	slot->restored = restored;
	slot->used = false;
}

void persist_note(enum persist_op op, pid_t pid, const char *a, const char *b)
{
	struct persist_note n = { .op = op, .pid = pid };

	snprintf(n.a, sizeof(n.a), "%s", a);
	snprintf(n.b, sizeof(n.b), "%s", b ? b : "");
	pthread_mutex_lock(&journal_lock);
	put_locked(&n, false);
	pthread_mutex_unlock(&journal_lock);
}

void persist_note_restore(const struct persist_note *n)
{
	pthread_mutex_lock(&journal_lock);
	put_locked(n, true);
	restored_until = now_s() + RESTORED_FOR_S;
	pthread_mutex_unlock(&journal_lock);
}

int persist_notes(int (*fn)(const struct persist_note *n, void *data), void *data)
{
	struct note copy[NOTES];
	unsigned int first, count;
	int r = 0;

	pthread_mutex_lock(&journal_lock);
	memcpy(copy, notes, sizeof(copy));
	count = next_note < NOTES ? next_note : NOTES;
	first = next_note - count;
	pthread_mutex_unlock(&journal_lock);
	for (unsigned int i = 0; i < count && !r; i++) {
		const struct note *s = &copy[(first + i) % NOTES];

		if (!s->restored && !s->used)
			r = fn(&s->n, data);
	}
	return r;
}

static int exists(struct entry *e, void *data)
{
	return 0;
}

bool persist_was_done(enum persist_op op, pid_t pid, const char *a, const char *b)
{
	bool done = false;

	pthread_mutex_lock(&journal_lock);
	if (now_s() > restored_until) {
		pthread_mutex_unlock(&journal_lock);
		return false;
	}
	for (unsigned int i = 0; i < NOTES && !done; i++) {
		struct note *s = &notes[i];

		if (!s->restored || s->used || s->n.op != op || s->n.pid != pid ||
		    strcmp(s->n.a, a) || strcmp(s->n.b, b ? b : ""))
			continue;
		s->used = done = true;
	}
	pthread_mutex_unlock(&journal_lock);
	/* What it shows: the new name there (a rename), the name there (a
	 * create), the name gone (an unlink). */
	if (done && op == PERSIST_RENAME)
		done = entry_with_name(b, exists, NULL) == 0;
	else if (done && op == PERSIST_CREATE)
		done = entry_with_name(a, exists, NULL) == 0;
	else if (done)
		done = entry_with_name(a, exists, NULL) == -ENOENT;
	return done;
}
