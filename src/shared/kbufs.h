/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "bufinfo.h"

/*
 * The kernel's own list of every dma-buf, held by a process or not, from
 * the first source that answers:
 *   1. the dma-buf BPF iterator (iter/dmabuf, kernel 6.16+; needs a build
 *      with libbpf, the kernel's BTF, and CAP_BPF + CAP_PERFMON);
 *   2. debugfs bufinfo (root, debugfs mounted);
 *   3. none: not visible, with the reason of each source.
 * Part of the buffer model: no FUSE, no daemon.
 */
enum kbufs_source {
	KBUFS_NONE,
	KBUFS_BPF,
	KBUFS_DEBUGFS,
};

struct kbufs {
	struct bufinfo list; /* entries (name, exporter, size, inode) */
	enum kbufs_source source;
	/* NONE: why no source answered; else why an earlier one did not
	 * ("" when the first did). */
	char reason[192];
};

/* "bpf", "debugfs", "none": what top --json, list --json and the
 * metrics' source label say. */
const char *kbufs_source_name(enum kbufs_source s);

/*
 * Fill out from the first source that answers. bufinfo_path (NULL: the
 * real one) replaces debugfs bufinfo and, when set, makes the BPF
 * iterator be passed over, so that a test can put a list of its own in the
 * kernel's place. 0 (with source NONE when nothing answered) or -ENOMEM.
 * Free with kbufs_free().
 */
int kbufs_read(const char *bufinfo_path, struct kbufs *out);
void kbufs_free(struct kbufs *k);

/*
 * The BPF iterator alone. -EOPNOTSUPP: built without libbpf; -ENOENT: the
 * kernel has no BTF; -ESRCH: no dma-buf iterator (before 6.16); -EPERM:
 * no CAP_BPF/CAP_PERFMON; -EBADMSG: a read that is not whole records.
 */
int kbufs_bpf_read(struct bufinfo *out);
/* Why kbufs_bpf_read() failed with r, in words. */
const char *kbufs_bpf_strerror(int r);
