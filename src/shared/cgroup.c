// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Cgroups of holders and the totals per cgroup (cgroup.h).
 *
 * /proc/PID/cgroup (Documentation/admin-guide/cgroup-v2.rst, cgroups(7)):
 * one "hierarchy-ID:controller-list:cgroup-path" line per hierarchy; v2 is
 * "0::/path". The path may itself hold ':' (a cgroup name can), so a line
 * is cut at its first two colons only.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cgroup.h"
#include "macro.h"
#include "util.h"

/* Whether the comma-separated list names ctl. */
static bool lists(const char *list, size_t len, const char *ctl)
{
	size_t n = strlen(ctl);

	for (const char *p = list, *end = list + len; p < end;) {
		const char *comma = memchr(p, ',', (size_t)(end - p));
		size_t flen = (size_t)((comma ? comma : end) - p);

		if (flen == n && memcmp(p, ctl, n) == 0)
			return true;
		p += flen + 1;
	}
	return false;
}

static int copy_path(const char *p, size_t len, char *out, size_t outsz)
{
	if (len == 0 || p[0] != '/')
		return -EINVAL;
	if (len >= outsz)
		return -ENAMETOOLONG;
	memcpy(out, p, len);
	out[len] = '\0';
	return 0;
}

int cgroup_parse(const char *text, char *out, size_t outsz)
{
	const char *v2 = NULL, *mem = NULL;
	size_t v2len = 0, memlen = 0;

	if (!text || !out || outsz == 0)
		return -EINVAL;
	while (*text) {
		size_t len = strcspn(text, "\n");
		const char *c1 = memchr(text, ':', len), *c2;

		if (len == 0) {
			text++;
			continue;
		}
		c2 = c1 ? memchr(c1 + 1, ':', len - (size_t)(c1 + 1 - text)) : NULL;
		if (!c1 || !c2 || c1 == text)
			return -EINVAL;
		for (const char *d = text; d < c1; d++)
			if (*d < '0' || *d > '9')
				return -EINVAL;
		if (c1 - text == 1 && text[0] == '0' && c2 == c1 + 1) {
			v2 = c2 + 1;
			v2len = len - (size_t)(v2 - text);
		} else if (lists(c1 + 1, (size_t)(c2 - c1 - 1), "memory")) {
			mem = c2 + 1;
			memlen = len - (size_t)(mem - text);
		}
		text += len;
		if (*text == '\n')
			text++;
	}
	if (mem)
		return copy_path(mem, memlen, out, outsz);
	if (v2)
		return copy_path(v2, v2len, out, outsz);
	return -ENOENT;
}

int cgroup_of_pid(pid_t pid, char *out, size_t outsz)
{
	char path[64], buf[4096];
	size_t len;
	int r;

	snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)pid);
	r = read_file(path, buf, sizeof(buf), &len);
	return r < 0 ? r : cgroup_parse(buf, out, outsz);
}

static int by_path(const void *a, const void *b)
{
	return strcmp(((const struct cgroup_total *)a)->path,
		      ((const struct cgroup_total *)b)->path);
}

static struct cgroup_total *find(struct cgroup_total *t, size_t n, const char *path)
{
	struct cgroup_total key;

	snprintf(key.path, sizeof(key.path), "%s", path);
	return bsearch(&key, t, n, sizeof(*t), by_path);
}

int cgroup_totals(const struct holders_model *m, const char *const *path_of,
		  struct cgroup_total **out, size_t *nout)
{
	_cleanup_free_ struct cgroup_total *t = NULL;
	_cleanup_free_ uint64_t *last = NULL;
	size_t n = 0;

	t = calloc(m->nprocs ? m->nprocs : 1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	/* One entry per distinct path, sorted, then looked up by path. */
	for (size_t i = 0; i < m->nprocs; i++) {
		const char *p = path_of[i] && path_of[i][0] ? path_of[i] : "?";

		if (find(t, n, p)) {
			find(t, n, p)->nprocs++;
			continue;
		}
		snprintf(t[n].path, sizeof(t[n].path), "%s", p);
		t[n++].nprocs = 1;
		qsort(t, n, sizeof(*t), by_path);
	}
	/* Buffers are visited once each: a cgroup that holds one through
	 * several processes counts it once (last[] is the inode it last
	 * counted), and each process its share. */
	last = calloc(n ? n : 1, sizeof(*last));
	if (!last)
		return -ENOMEM;
	for (size_t i = 0; i < m->nbuffers; i++) {
		const struct holders_buffer *b = &m->buffers[i];

		for (size_t j = 0; j < b->nholders; j++) {
			const struct holders_process *p =
				holders_find_process(m, b->holders[j].pid);
			const char *path;
			struct cgroup_total *c;

			if (!p)
				continue;
			path = path_of[p - m->procs];
			c = find(t, n, path && path[0] ? path : "?");
			if (!c)
				continue;
			c->pss += (double)b->size / (double)b->nholders;
			if (last[c - t] == b->ino + 1)
				continue;
			last[c - t] = b->ino + 1;
			c->nbufs++;
			c->size += b->size;
		}
	}
	*out = TAKE_PTR(t);
	*nout = n;
	return 0;
}
