/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * The accounting model of whole-system inspection, as pure functions over
 * holder records gathered elsewhere (fdinfo for fd holders, /proc/PID/maps
 * for map holders, bufinfo or the BPF iterator for the kernel's list).
 * A buffer is one inode, however many processes hold it, however many times.
 * Per process, like Android's dmabuf_dump: "size" is the sum of the sizes of
 * the distinct buffers it holds (Rss-like), "pss" the sum of
 * size / (number of distinct processes holding that buffer).
 */
#define HOLDERS_EXP_NAME_MAX 64

enum holder_kind {
	HOLDER_FD = 1 << 0,
	HOLDER_MAP = 1 << 1,
	/* In the kernel's list of buffers; pid is ignored. A buffer that has
	 * only kernel records is held by no process (drivers, or a leak). */
	HOLDER_KERNEL = 1 << 2,
};

struct holder_record {
	uint64_t ino;
	uint64_t size;
	pid_t pid;
	enum holder_kind kind;
	char exp_name[HOLDERS_EXP_NAME_MAX];
};

/* One process's hold on one buffer. */
struct holders_pid {
	pid_t pid;
	unsigned int kinds; /* HOLDER_FD | HOLDER_MAP */
	unsigned int nrefs; /* records seen: fds + mappings */
};

struct holders_buffer {
	uint64_t ino;
	uint64_t size;
	char exp_name[HOLDERS_EXP_NAME_MAX];
	unsigned int kinds;	     /* union over the records */
	size_t nholders;	     /* distinct processes */
	struct holders_pid *holders; /* sorted by pid; into the model */
	bool kernel_only;	     /* in the kernel's list, held by no process */
	bool conflict;		     /* records disagreed on size or exp_name: the
				kernel's, else the lowest pid's is kept */
};

struct holders_process {
	pid_t pid;
	size_t nbufs;	  /* distinct buffers */
	size_t nfd, nmap; /* buffers held by fd, by mapping (both: in both) */
	uint64_t size;	  /* sum of their sizes */
	double pss;	  /* sum of size / holders */
};

struct holders_exporter {
	char exp_name[HOLDERS_EXP_NAME_MAX];
	size_t nbufs;
	uint64_t size;
	size_t kernel_only_nbufs;
	uint64_t kernel_only_size;
};

struct holders_model {
	struct holders_buffer *buffers; /* sorted by inode */
	size_t nbuffers;
	struct holders_process *procs; /* sorted by pid */
	size_t nprocs;
	struct holders_exporter *exporters; /* sorted by name */
	size_t nexporters;
	uint64_t total_size; /* every buffer once */
	size_t kernel_only_nbufs;
	uint64_t kernel_only_size;
	struct holders_pid *pid_storage_;
};

/*
 * Build the model from n records (any order, duplicates allowed: a process
 * with two fds of a buffer gives two HOLDER_FD records). Records with inode
 * 0, a pid <= 0 for fd/map, or an unknown kind are refused with -EINVAL.
 * 0 or -errno; *out is freed with holders_model_free().
 */
int holders_build(const struct holder_record *recs, size_t n, struct holders_model **out);
void holders_model_free(struct holders_model *m);

/* Lookups (binary search): NULL when absent. */
const struct holders_buffer *holders_find_buffer(const struct holders_model *m, uint64_t ino);
const struct holders_process *holders_find_process(const struct holders_model *m, pid_t pid);

/* Sort procs for `top`: by size held, largest first (ties: by pid). The
 * lookups above need the pid order: call holders_sort_procs_by_pid() to
 * get it back. */
void holders_sort_procs_by_size(struct holders_model *m);
void holders_sort_procs_by_pid(struct holders_model *m);

/* "fd", "map", "fd,map", "kernel", ... for kinds (a HOLDER_* mask), into
 * buf (16 bytes are enough). Returns buf. */
const char *holders_kinds_str(unsigned int kinds, char *buf, size_t len);

#define _cleanup_holders_model_ __attribute__((cleanup(holders_model_freep)))
static inline void holders_model_freep(struct holders_model **m)
{
	holders_model_free(*m);
}
