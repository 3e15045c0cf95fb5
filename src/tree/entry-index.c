// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Two chained hash tables over struct entry (see entry-index.h). Ids are
 * handed out in sequence, so the id itself spreads them; names are hashed
 * with FNV-1a. Each table doubles when it holds more entries than buckets.
 */
#include <stdlib.h>
#include <string.h>

#include "tree/entry-index.h"
#include "tree/entry.h"

#define INDEX_MIN_BUCKETS 256

struct table {
	struct entry **b;
	size_t nb, n;
	struct entry *first[INDEX_MIN_BUCKETS]; /* the buckets until it grows */
};

static struct table by_id = { .b = by_id.first, .nb = INDEX_MIN_BUCKETS };
static struct table by_name = { .b = by_name.first, .nb = INDEX_MIN_BUCKETS };

static size_t hash_name(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
	return (size_t)h;
}

/* The bucket of e in table t, were it nb buckets. */
static size_t hash_of(const struct table *t, size_t nb, const struct entry *e)
{
	return (t == &by_id ? (size_t)e->id : hash_name(e->name)) & (nb - 1);
}

static struct entry **next_of(const struct table *t, struct entry *e)
{
	return t == &by_id ? &e->id_next : &e->name_next;
}

/* Double the buckets; on ENOMEM keep them (longer chains, still right). */
static void grow(struct table *t)
{
	size_t nb = t->nb * 2;
	struct entry **b = calloc(nb, sizeof(*b));

	if (!b)
		return;
	for (size_t i = 0; i < t->nb; i++) {
		struct entry *e = t->b[i], *next;

		for (; e; e = next) {
			size_t h = hash_of(t, nb, e);

			next = *next_of(t, e);
			*next_of(t, e) = b[h];
			b[h] = e;
		}
	}
	if (t->b != t->first)
		free(t->b);
	t->b = b;
	t->nb = nb;
}

static void add(struct table *t, struct entry *e)
{
	size_t h;

	if (t->n >= t->nb)
		grow(t);
	h = hash_of(t, t->nb, e);
	*next_of(t, e) = t->b[h];
	t->b[h] = e;
	t->n++;
}

static void del(struct table *t, struct entry *e)
{
	struct entry **p;

	for (p = &t->b[hash_of(t, t->nb, e)]; *p; p = next_of(t, *p))
		if (*p == e) {
			*p = *next_of(t, e);
			*next_of(t, e) = NULL;
			t->n--;
			return;
		}
}

void entry_index_add_id(struct entry *e)
{
	add(&by_id, e);
}

void entry_index_del_id(struct entry *e)
{
	del(&by_id, e);
}

struct entry *entry_index_find_id(uint64_t id)
{
	for (struct entry *e = by_id.b[(size_t)id & (by_id.nb - 1)]; e; e = e->id_next)
		if (e->id == id)
			return e;
	return NULL;
}

void entry_index_add_name(struct entry *e)
{
	add(&by_name, e);
}

void entry_index_del_name(struct entry *e)
{
	del(&by_name, e);
}

struct entry *entry_index_find_name(const char *name)
{
	for (struct entry *e = by_name.b[hash_name(name) & (by_name.nb - 1)]; e; e = e->name_next)
		if (strcmp(e->name, name) == 0)
			return e;
	return NULL;
}

static void clear(struct table *t)
{
	if (t->b != t->first)
		free(t->b);
	memset(t->first, 0, sizeof(t->first));
	t->b = t->first;
	t->nb = INDEX_MIN_BUCKETS;
	t->n = 0;
}

void entry_index_clear(void)
{
	clear(&by_id);
	clear(&by_name);
}
