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
/* CLOCK_MONOTONIC in milliseconds: for deadlines and timeouts. */
int64_t now_ms(void);
/* Whether uid/gid (with supplementary groups) may access a file of
 * owner:group and mode with the rwx mask, by the kernel's rule
 * (generic_permission): the owner's bits for the owner, else the group's
 * for a member of the file's group, primary or supplementary, else the
 * others'; root always may (CAP_DAC_OVERRIDE, for a regular file). */
bool mode_may_access(mode_t mode, uid_t owner, gid_t group, uid_t uid, gid_t gid,
		     const gid_t *groups, size_t ngroups, int mask);
