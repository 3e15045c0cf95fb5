// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * File handles (fi->fh) as numbers in a table, not raw pointers.
 *
 * The kernel keeps every fh it was given for as long as the file is open,
 * and a daemon that re-attached to its predecessor's mount (a kill -9, a
 * crash, an upgrade) gets requests carrying the old process's fh values.
 * A raw pointer of a dead process would be followed into nothing; a number
 * can be looked up, and one the table does not hold is told apart: the
 * caller then adopts it (file.c makes a handle from the inode, dir.c a
 * fresh listing) under that same number. New numbers carry this run's
 * count in their top bits, so they never meet an old one.
 *
 * One table per kind (files, directories): the kernel gives a directory's
 * fh only to directory requests, but a mix-up must not turn one kind into
 * the other. table_lock protects every table; a lookup is a hash and a
 * short chain.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

#include "fs/fs-internal.h"

#define BUCKETS 4096
#define RUN_SHIFT 43 /* then shifted once more for the tag bit */

struct slot {
	uint64_t fh;
	void *p;
	struct slot *next;
};

static pthread_mutex_t table_lock = PTHREAD_MUTEX_INITIALIZER;
static struct slot *tables[FH_KINDS][BUCKETS];
static uint64_t next_fh = 1;

static unsigned int bucket(uint64_t fh)
{
	return (unsigned int)((fh * 0x9e3779b97f4a7c15ull) >> 52) % BUCKETS;
}

void fh_set_run(unsigned int run)
{
	pthread_mutex_lock(&table_lock);
	next_fh = ((uint64_t)(run & 0xfffff) << RUN_SHIFT) | 1;
	pthread_mutex_unlock(&table_lock);
}

static struct slot **find_locked(enum fh_kind kind, uint64_t fh)
{
	struct slot **s = &tables[kind][bucket(fh)];

	while (*s && (*s)->fh != fh)
		s = &(*s)->next;
	return s;
}

int fh_add_as(enum fh_kind kind, uint64_t fh, void *p)
{
	struct slot *s = malloc(sizeof(*s)), **at;
	int r = 0;

	if (!s)
		return -ENOMEM;
	pthread_mutex_lock(&table_lock);
	at = find_locked(kind, fh);
	if (*at) {
		r = -EEXIST; /* adopted meanwhile by another request */
	} else {
		*s = (struct slot){ .fh = fh, .p = p, .next = NULL };
		*at = s;
		s = NULL;
	}
	pthread_mutex_unlock(&table_lock);
	free(s);
	return r;
}

int fh_add(enum fh_kind kind, void *p, bool tag, uint64_t *fh)
{
	uint64_t n;

	pthread_mutex_lock(&table_lock);
	n = next_fh++;
	pthread_mutex_unlock(&table_lock);
	n = n << 1 | tag;
	*fh = n;
	return fh_add_as(kind, n, p);
}

void *fh_get(enum fh_kind kind, uint64_t fh)
{
	struct slot **s;
	void *p;

	pthread_mutex_lock(&table_lock);
	s = find_locked(kind, fh);
	p = *s ? (*s)->p : NULL;
	pthread_mutex_unlock(&table_lock);
	return p;
}

void *fh_remove(enum fh_kind kind, uint64_t fh)
{
	struct slot **s, *gone;
	void *p = NULL;

	pthread_mutex_lock(&table_lock);
	s = find_locked(kind, fh);
	gone = *s;
	if (gone) {
		*s = gone->next;
		p = gone->p;
	}
	pthread_mutex_unlock(&table_lock);
	free(gone);
	return p;
}
