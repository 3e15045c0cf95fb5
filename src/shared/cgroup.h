/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>
#include <sys/types.h>

#include "holders.h"

/*
 * Totals per cgroup (containers, systemd units, sessions) for dmabufctl top
 * and metrics. Part of the buffer model: no FUSE, no daemon.
 *
 * A process's cgroup is the one memory is charged to: on a machine with
 * the v1 memory controller mounted (a "N:...memory...:/path" line in
 * /proc/PID/cgroup), that hierarchy's path; else the v2 path ("0::/path").
 * A hybrid machine (v1 memory plus a v2 hierarchy without the memory
 * controller) thus gives the v1 path.
 */
#define CGROUP_PATH_MAX 512

/*
 * The cgroup of /proc/PID/cgroup's text: the v1 memory hierarchy's path
 * when there is one, else the v2 one. 0, -ENOENT (neither line),
 * -EINVAL (a line not of the kernel's "ID:CONTROLLERS:PATH" shape),
 * -ENAMETOOLONG (a path of outsz bytes or more).
 */
int cgroup_parse(const char *text, char *out, size_t outsz);
/* The same for a process; -errno of the read (-ENOENT: it is gone). */
int cgroup_of_pid(pid_t pid, char *out, size_t outsz);

struct cgroup_total {
	char path[CGROUP_PATH_MAX]; /* "?" for processes whose cgroup could
				       not be read */
	size_t nprocs;
	size_t nbufs;  /* distinct buffers held by any of its processes */
	uint64_t size; /* their sizes, each buffer once */
	double pss;    /* its processes' Pss-like shares: size / holders,
			  summed over each (process, buffer) */
};

/*
 * Per-cgroup totals of model, with path_of[i] the cgroup of m->procs[i].
 * Sorted by path. 0 or -ENOMEM; free *out with free().
 */
int cgroup_totals(const struct holders_model *m, const char *const *path_of,
		  struct cgroup_total **out, size_t *nout);
