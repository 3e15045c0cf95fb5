/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Memory charged to the caller's memory cgroup (charge.c, helper.c).
 *
 * The kernel charges a page to the memory cgroup of the task that
 * allocates it: a shmem page (memfd, udmabuf's memfd) to the owner of the
 * allocating task's mm, an accounted kernel allocation (__GFP_ACCOUNT:
 * dma-heaps where the heap accounts, DRM drivers that do) to the task's
 * cgroup. So the pages of a buffer a user asks for are made by a helper
 * process of the daemon's own binary that sits in that user's memory
 * cgroup, one per cgroup while it is in use; its fds come back over a
 * socket. Where no memory controller is usable, or the caller is in the
 * daemon's own cgroup, the same work runs in the daemon (logged once).
 *
 * The caller is per thread: a FUSE handler that may allocate names its
 * request's pid with charge_caller_set() for the time of the request
 * (CHARGE_CALLER()); 0 is the daemon itself. Going over the caller's
 * limit is -ENOMEM, with nothing left charged to anyone.
 */
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* argv[1] of the daemon's binary that makes it a helper. */
#define CHARGE_HELPER_ARG "--charge-helper"

/* Find the memory controller (cgroup v2, else the v1 memory hierarchy). */
void charge_init(void);
/* Stop the helpers and reap them. */
void charge_exit(void);
/* main() of the helper: argv[2] is the cgroup directory to join, fd 3
 * the socket to the daemon. Returns the exit status. */
int charge_helper_main(int argc, char **argv);

/* Who the current thread allocates for (a pid of the daemon's pid
 * namespace, 0: the daemon); returns the previous one. */
pid_t charge_caller_set(pid_t pid);
static inline void charge_caller_restore(pid_t *prev)
{
	charge_caller_set(*prev);
}
#define CHARGE_CALLER(pid) \
	__attribute__((cleanup(charge_caller_restore))) pid_t _charge_prev = charge_caller_set(pid)

/* A new sealable memfd (O_CLOEXEC) of size bytes, every page allocated, in
 * the caller's cgroup. 0 or -errno. */
int charge_memfd(const char *name, uint64_t size, int *out_fd);
/* Allocate the pages of fd (a memfd) in [off, off + len) in the caller's
 * cgroup, keeping its size (FALLOC_FL_KEEP_SIZE). 0 or -errno. */
int charge_populate(int fd, uint64_t off, uint64_t len);
/*
 * ioctl(devfd, req, arg) in the caller's cgroup: an allocation ioctl of a
 * device (arg of argsz bytes, read and written back). fd_at >= 0: the
 * offset in arg of a 32-bit fd the ioctl returns, which is brought back
 * and written there. Returns the ioctl's result or -errno.
 */
int charge_ioctl(int devfd, unsigned long req, void *arg, size_t argsz, int fd_at);
