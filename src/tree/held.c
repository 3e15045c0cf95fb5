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

#include "tree/entry.h"

/* Protected by held_lock, not the tree lock: a release frees its handle
 * after the entry verbs. */
static pthread_mutex_t held_lock = PTHREAD_MUTEX_INITIALIZER;
static struct held *held;

void held_add(struct held *h)
{
	pthread_mutex_lock(&held_lock);
	h->prev = NULL;
	h->next = held;
	if (held)
		held->prev = h;
	held = h;
	pthread_mutex_unlock(&held_lock);
}

void held_remove(struct held *h)
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

void held_free_all(void)
{
	pthread_mutex_lock(&held_lock);
	while (held) {
		struct held *h = held;

		held = h->next;
		h->free(h);
	}
	pthread_mutex_unlock(&held_lock);
}
