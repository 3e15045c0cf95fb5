// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * /proc/PID/maps, for the dma-bufs a process has mapped, fd closed or not.
 * show_map_vma() prints
 *
 *   START-END PERMS OFFSET MAJ:MIN INODE<padding>PATH
 *
 * with hex START, END, OFFSET, MAJ, MIN, decimal INODE, and a PATH that may
 * be missing (anonymous memory), "[heap]"-like, a file path (maybe ending in
 * " (deleted)") or, for a dma-buf, "/dmabuf:NAME". The maps of another
 * process are that process's to shape: names have spaces, paths are long,
 * so every field is checked and nothing is copied past its buffer.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Relative to this file, so that the VM tier can build it into a single
 * static test program (tests/vm/progs/inspect-parse.c). */
#include "maps.h"
#include "macro.h"

#define DMABUF_PREFIX "/dmabuf:"

/* A hex or decimal number ending at one of the characters of seps (the
 * end of the line counts as '\n'). Advances *p past the separator, except a
 * '\n', which ends the line. */
static int take_number(const char **p, int base, const char *seps, uint64_t *out)
{
	const char *s = *p;
	uint64_t v = 0;
	size_t digits = 0;
	char end;

	for (;; s++, digits++) {
		unsigned int d;

		if (*s >= '0' && *s <= '9')
			d = (unsigned int)(*s - '0');
		else if (base == 16 && *s >= 'a' && *s <= 'f')
			d = (unsigned int)(*s - 'a' + 10);
		else
			break;
		if (v > (UINT64_MAX - d) / (uint64_t)base)
			return -EINVAL;
		v = v * (uint64_t)base + d;
	}
	end = *s ? *s : '\n';
	if (digits == 0 || !strchr(seps, end))
		return -EINVAL;
	*p = end == '\n' ? s : s + 1;
	*out = v;
	return 0;
}

int maps_parse_line(const char *line, struct dmabuf_mapping *out)
{
	struct dmabuf_mapping m = { 0 };
	const char *p = line, *path;
	uint64_t maj, min;
	size_t len;

	if (!line || !out)
		return -EINVAL;
	if (take_number(&p, 16, "-", &m.start) < 0 || take_number(&p, 16, " ", &m.end) < 0 ||
	    m.end < m.start)
		return -EINVAL;
	for (int i = 0; i < 4; i++) {
		static const char *const allowed[] = { "r-", "w-", "x-", "sp" };

		if (!p[i] || !strchr(allowed[i], p[i]))
			return -EINVAL;
		m.perms[i] = p[i];
	}
	m.shared = p[3] == 's';
	p += 4;
	if (*p++ != ' ')
		return -EINVAL;
	if (take_number(&p, 16, " ", &m.offset) < 0 || take_number(&p, 16, ":", &maj) < 0 ||
	    take_number(&p, 16, " ", &min) < 0 || maj > 0xfff || min > 0xfffff)
		return -EINVAL;
	m.dev_major = (unsigned int)maj;
	m.dev_minor = (unsigned int)min;
	/* The kernel ends the inode with a blank, then pads up to the path;
	 * a line without a path may have lost its blank. */
	if (take_number(&p, 10, " \n", &m.ino) < 0)
		return -EINVAL;
	while (*p == ' ')
		p++;
	path = p;
	len = strcspn(path, "\n");
	if (path[len] == '\n' && path[len + 1] != '\0')
		return -EINVAL; /* two lines are not one */

	if (len < strlen(DMABUF_PREFIX) || memcmp(path, DMABUF_PREFIX, strlen(DMABUF_PREFIX)) != 0)
		return -ENOENT;
	path += strlen(DMABUF_PREFIX);
	len -= strlen(DMABUF_PREFIX);
	/* A dma-buf's name is at most 31 bytes, 124 escaped: a longer one is
	 * some other file that only looks like one. */
	if (len >= sizeof(m.name))
		return -ENOENT;
	/* Every dma-buf has an inode of its own; 0 is anonymous memory. */
	if (m.ino == 0)
		return -EINVAL;
	memcpy(m.name, path, len);
	m.name[len] = '\0';
	*out = m;
	return 0;
}

static int append(struct dmabuf_mapping **v, size_t *n, size_t *cap, const struct dmabuf_mapping *m)
{
	if (*n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 8;
		struct dmabuf_mapping *nv = reallocarray(*v, ncap, sizeof(**v));

		if (!nv)
			return -ENOMEM;
		*v = nv;
		*cap = ncap;
	}
	(*v)[(*n)++] = *m;
	return 0;
}

int maps_parse_text(const char *text, struct dmabuf_mapping **out, size_t *n)
{
	_cleanup_free_ struct dmabuf_mapping *v = NULL;
	size_t cnt = 0, cap = 0;
	_cleanup_free_ char *line = NULL;
	size_t linecap = 0;

	if (!text || !out || !n)
		return -EINVAL;
	while (*text) {
		size_t len = strcspn(text, "\n");
		struct dmabuf_mapping m;

		if (len + 1 > linecap) {
			char *nl = realloc(line, len + 1);

			if (!nl)
				return -ENOMEM;
			line = nl;
			linecap = len + 1;
		}
		memcpy(line, text, len);
		line[len] = '\0';
		if (maps_parse_line(line, &m) == 0 && append(&v, &cnt, &cap, &m) < 0)
			return -ENOMEM;
		text += len;
		if (*text == '\n')
			text++;
	}
	*out = TAKE_PTR(v);
	*n = cnt;
	return 0;
}

int maps_read_pid(pid_t pid, struct dmabuf_mapping **out, size_t *n)
{
	_cleanup_free_ struct dmabuf_mapping *v = NULL;
	_cleanup_fclose_ FILE *f = NULL;
	_cleanup_free_ char *line = NULL;
	size_t cnt = 0, cap = 0, linecap = 0;
	char path[64];
	ssize_t len;

	if (pid < 0 || !out || !n)
		return -EINVAL;
	if (pid == 0)
		snprintf(path, sizeof(path), "/proc/self/maps");
	else
		snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return errno == ENOENT ? -ESRCH : -errno;
	errno = 0;
	/* getline: a hostile process can make a line as long as PATH_MAX and
	 * more; it is read whole and then refused by maps_parse_line(). */
	while ((len = getline(&line, &linecap, f)) >= 0) {
		struct dmabuf_mapping m;

		if (memchr(line, '\0', (size_t)len))
			continue;
		if (maps_parse_line(line, &m) == 0 && append(&v, &cnt, &cap, &m) < 0)
			return -ENOMEM;
	}
	/* A process that exits while we read gives ESRCH or a short read. */
	if (ferror(f))
		return errno ? -errno : -EIO;
	*out = TAKE_PTR(v);
	*n = cnt;
	return 0;
}

size_t maps_filter_dev(struct dmabuf_mapping *maps, size_t n, unsigned int major,
		       unsigned int minor)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++)
		if (maps[i].dev_major == major && maps[i].dev_minor == minor)
			maps[k++] = maps[i];
	return k;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

size_t maps_unique_inos(const struct dmabuf_mapping *maps, size_t n, uint64_t *inos)
{
	size_t k = 0;

	if (n == 0)
		return 0;
	for (size_t i = 0; i < n; i++)
		inos[i] = maps[i].ino;
	qsort(inos, n, sizeof(*inos), cmp_u64);
	for (size_t i = 0; i < n; i++)
		if (k == 0 || inos[k - 1] != inos[i])
			inos[k++] = inos[i];
	return k;
}

int maps_open_mapping(pid_t pid, const struct dmabuf_mapping *m, int flags)
{
	char path[96];
	int fd;

	if (pid < 0 || !m || (flags & ~O_ACCMODE))
		return -EINVAL;
	/* map_files names have no leading zeros: "%lx-%lx". */
	if (pid == 0)
		snprintf(path, sizeof(path), "/proc/self/map_files/%lx-%lx",
			 (unsigned long)m->start, (unsigned long)m->end);
	else
		snprintf(path, sizeof(path), "/proc/%d/map_files/%lx-%lx", (int)pid,
			 (unsigned long)m->start, (unsigned long)m->end);
	fd = open(path, flags | O_CLOEXEC | O_NOCTTY);
	return fd < 0 ? -errno : fd;
}
