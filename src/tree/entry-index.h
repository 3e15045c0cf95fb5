/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The entries by id and by name (tree/entry-index.c), for entry.c: lookups,
 * getattr and readdirplus find an entry in constant time instead of
 * walking the list, which made `ls -l` of 10,000 buffers quadratic. Every
 * function runs under entry.c's tree lock. The index is intrusive (the
 * entry's id_next and name_next), so adding never allocates and cannot
 * fail: growing the tables may, and then they stay as they are.
 */
#include <stdint.h>

struct entry;

/* By id: every entry in the list, linked or not. */
void entry_index_add_id(struct entry *e);
void entry_index_del_id(struct entry *e);
struct entry *entry_index_find_id(uint64_t id);
/* By name: the linked entries only (their names are unique); the name
 * must not change while the entry is in. */
void entry_index_add_name(struct entry *e);
void entry_index_del_name(struct entry *e);
struct entry *entry_index_find_name(const char *name);
/* Forget everything (tree_exit). */
void entry_index_clear(void);
