/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * A dma-buf mapping as /proc/PID/maps shows it:
 *   7f12a000-7f13a000 rw-s 00000000 00:0e 1033     /dmabuf:frame0
 * The path column is "/dmabuf:" followed by the DMA_BUF_SET_NAME name (the
 * kernel's dmabuffs_dname()); the inode column is the dma-buf's inode, the
 * same number as fdinfo's "ino:".
 */
/* DMA_BUF_NAME_LEN is 32; the kernel escapes '\n' as "\012" (4 bytes). */
#define DMABUF_MAP_NAME_MAX 128

struct dmabuf_mapping {
	uint64_t start, end; /* [start, end) */
	uint64_t offset;     /* in bytes, into the buffer */
	uint64_t ino;
	unsigned int dev_major, dev_minor;
	char perms[5]; /* "rw-s" */
	bool shared;   /* perms[3] == 's' */
	/* As printed: a '\n' in the name shows as "\012". "" when unnamed. */
	char name[DMABUF_MAP_NAME_MAX];
};

/*
 * Parse one maps line (with or without its '\n').
 * 0: a dma-buf mapping, *out filled. -ENOENT: a well-formed line of something
 * else (anonymous, a file, "[heap]", "... (deleted)"). -EINVAL: not a maps line.
 * The path alone proves nothing (anyone who can mount can make a file called
 * "/dmabuf:x" in their namespace): check dev against the dma-buf
 * filesystem's (maps_filter_dev) or open the mapping (maps_open_mapping).
 */
int maps_parse_line(const char *line, struct dmabuf_mapping *out);

/*
 * Every dma-buf mapping of PID (0: this process), in maps order. *out is
 * malloc'ed (NULL when there are none), *n its length. Lines that do not
 * parse are skipped, so that one odd line cannot hide the rest.
 * 0 or -errno (-ESRCH when the process is gone, -EACCES, -ENOMEM).
 */
int maps_read_pid(pid_t pid, struct dmabuf_mapping **out, size_t *n);

/*
 * The same over a whole maps text (tests, or text read by other means).
 * 0 or -ENOMEM / -EINVAL.
 */
int maps_parse_text(const char *text, struct dmabuf_mapping **out, size_t *n);

/* Keep only the mappings on device major:minor (the dma-buf filesystem's
 * st_dev, from fstat() of any dma-buf). Returns the new count. */
size_t maps_filter_dev(struct dmabuf_mapping *maps, size_t n, unsigned int major,
		       unsigned int minor);

/* The distinct inodes of maps (sorted, in place into inos[], which holds n).
 * Returns their number: one buffer mapped twice counts once. */
size_t maps_unique_inos(const struct dmabuf_mapping *maps, size_t n, uint64_t *inos);

/*
 * Open the file behind a mapping through /proc/PID/map_files/START-END
 * (needs CAP_SYS_ADMIN over PID), so that a buffer a process only maps can
 * be identified (fdinfo) and read. flags: O_RDONLY or O_RDWR (O_CLOEXEC is
 * always added). Returns the fd or -errno.
 */
int maps_open_mapping(pid_t pid, const struct dmabuf_mapping *m, int flags);
