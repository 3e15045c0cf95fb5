/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "holders.h"

/*
 * /sys/kernel/debug/dma_buf/bufinfo: the kernel's own list of every dma-buf,
 * including those no process holds (drivers' buffers, leaks). Root only,
 * and only where debugfs is mounted. Format of dma_buf_debug_show() in
 * kernels 5.10 to 7.x (see bufinfo.c).
 */
#define BUFINFO_PATH "/sys/kernel/debug/dma_buf/bufinfo"
#define BUFINFO_NAME_MAX 64

struct bufinfo_entry {
	uint64_t size;
	uint64_t ino;
	uint32_t flags; /* file f_flags */
	uint32_t mode;	/* file f_mode */
	uint64_t count; /* file references: fds, mappings, the kernel's own */
	char exp_name[HOLDERS_EXP_NAME_MAX];
	char name[BUFINFO_NAME_MAX]; /* "" for "<none>" (and for a buffer
					 literally named "<none>") */
	unsigned int nfences;	     /* lines of dma_resv_describe() */
	unsigned int nattached;
	/* The text after this entry's line was not the kernel's shape: the
	 * name holds a '\n' (DMA_BUF_SET_NAME takes any bytes), so name is
	 * only its first line and nattached may be wrong. */
	bool suspect;
};

struct bufinfo {
	struct bufinfo_entry *entries; /* in the kernel's list order */
	size_t n;
	uint64_t total_size; /* the kernel's "Total N objects, M bytes" */
	bool has_name;	     /* kernel prints the name column (5.x+) */
};

/*
 * Parse the whole text. The kernel's closing "Total N objects, M bytes" must
 * be the last line and agree with the entries (a truncated read or a
 * format we do not know is refused: -EINVAL; totals that disagree:
 * -EBADMSG). Kernels without the ino column (before 5.3) give -EOPNOTSUPP:
 * without inodes the list cannot be matched to holders.
 * 0 or -errno; free with bufinfo_free().
 */
int bufinfo_parse(const char *text, struct bufinfo *out);
/* Read and parse path (NULL: BUFINFO_PATH). -ENOENT when debugfs is not
 * mounted there or the kernel has no CONFIG_DEBUG_FS, -EACCES, -EFBIG. */
int bufinfo_read(const char *path, struct bufinfo *out);
void bufinfo_free(struct bufinfo *b);

/* The HOLDER_KERNEL record of an entry, for holders_build(). */
void bufinfo_entry_record(const struct bufinfo_entry *e, struct holder_record *out);
