/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * What /proc/PID/fdinfo/FD says about a dma-buf:
 *   pos: flags: mnt_id: ino: size: count: exp_name: [name:]
 * A file is a dma-buf exactly when it has an exp_name line.
 */
struct dmabuf_fdinfo {
	uint64_t size;
	uint64_t ino;
	uint32_t count;
	unsigned int flags; /* octal in the file */
	bool is_dmabuf;
	char exp_name[64];
	char name[64]; /* "" when DMA_BUF_SET_NAME was never used */
};

/* Parse the text of one fdinfo file. 0, or -EINVAL on malformed text. */
int fdinfo_parse(const char *text, struct dmabuf_fdinfo *out);
/* Read and parse /proc/PID/fdinfo/FD (pid 0: this process). 0 or -errno. */
int fdinfo_read(pid_t pid, int fd, struct dmabuf_fdinfo *out);
