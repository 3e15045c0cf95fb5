/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Read a whole small file (sysfs, procfs) into a NUL-terminated buffer. */
int read_file(const char *path, char *buf, size_t bufsz, size_t *len);
/* Parse an unsigned size with an optional K/M/G (binary) suffix. */
int parse_size(const char *s, uint64_t *out);
/* Strict unsigned parse in base (0 = auto). */
int parse_u64(const char *s, int base, uint64_t *out);
size_t page_size(void);
/* A DRM fourcc as the format xattr and dmabufctl spell it: "XR24", "R8"
 * (DRM's padding spaces dropped, unprintable bytes as '?'). */
void fourcc_str(uint32_t fourcc, char out[5]);
/* Whether a truncate to size names a buffer of buf_size bytes as it is:
 * its exact size, or a size that rounds up to it in whole pages of page
 * bytes (3000000 for a buffer of 3002368 with 4 KiB pages), so that the
 * size a user gave a buffer is accepted back as a no-op. */
bool size_rounds_to(uint64_t size, uint64_t buf_size, size_t page);
/* The "KEY:   N kB" line of a /proc/meminfo text, in bytes: -ENOENT
 * without one, -EINVAL/-ERANGE for a value that is no number of kB. */
int meminfo_field(const char *text, const char *key, uint64_t *bytes);
/* The kernel's estimate of the memory it can still give without
 * swapping (MemAvailable of /proc/meminfo), in bytes. */
int mem_available(uint64_t *bytes);
/* CLOCK_MONOTONIC in milliseconds: for deadlines and timeouts. */
int64_t now_ms(void);
/* Whether uid/gid (with supplementary groups) may access a file of
 * owner:group and mode with the rwx mask, by the kernel's rule
 * (generic_permission): the owner's bits for the owner, else the group's
 * for a member of the file's group, primary or supplementary, else the
 * others'; root always may (CAP_DAC_OVERRIDE, for a regular file). */
bool mode_may_access(mode_t mode, uid_t owner, gid_t group, uid_t uid, gid_t gid,
		     const gid_t *groups, size_t ngroups, int mask);

/*
 * The memfds the daemon holds. memfd_create() makes an inode of mode 0777
 * owned by its caller: whoever holds any fd of it, a read-only one
 * included, may reopen it read-write through /proc/self/fd/N. Owned by the
 * daemon with mode 0600, only the daemon (root) can; an fd it hands out
 * can do no more than its open mode allows.
 */
/* Make fd the daemon's alone: fchown to the effective uid and gid where it
 * is another's (a publisher's memfd), then fchmod 0600. 0 or -errno. */
int memfd_make_private(int fd);
/* memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING), made private as
 * above before anyone can see it. The fd, or -errno. */
int memfd_create_private(const char *name);
/*
 * Fix a memfd's size for as long as the daemon holds it: add
 * F_SEAL_GROW|F_SEAL_SHRINK where they are missing (the quota charges the
 * size the daemon saw, and pages cut away under its mapping would fault),
 * then F_SEAL_SEAL where the fd allows, so that no writer can add
 * F_SEAL_FUTURE_WRITE and stop every other writer. 0, or -EINVAL with *why
 * saying why the size seals are missing and cannot be added.
 */
int memfd_fix_size(int fd, const char **why);
