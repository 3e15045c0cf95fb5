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
