// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * What the kernel holds open besides entries: file handles and directory
 * snapshots. A stop sends no RELEASE or RELEASEDIR for those, so the tree
 * keeps them on a list of its own and tree_exit() frees what is still
 * there. Apart from entry.c because it shares nothing with the entries:
 * its own lock, its own list.
 */
#include <pthread.h>
#include <stddef.h>

#include "fs/entry.h"

/* Protected by held_lock, not the tree lock: a release frees its handle
 * after the entry verbs. */
static pthread_mutex_t held_lock = PTHREAD_MUTEX_INITIALIZER;
static struct tree_held *held;

void tree_hold(struct tree_held *h)
{
	pthread_mutex_lock(&held_lock);
	h->prev = NULL;
	h->next = held;
	if (held)
		held->prev = h;
	held = h;
	pthread_mutex_unlock(&held_lock);
}

void tree_unhold(struct tree_held *h)
{
	pthread_mutex_lock(&held_lock);
	if (h->prev)
		h->prev->next = h->next;
	else
		held = h->next;
	if (h->next)
		h->next->prev = h->prev;
	h->prev = h->next = NULL;
	pthread_mutex_unlock(&held_lock);
}

void tree_free_held(void)
{
	pthread_mutex_lock(&held_lock);
	while (held) {
		struct tree_held *h = held;

		held = h->next;
		h->free(h);
	}
	pthread_mutex_unlock(&held_lock);
}
