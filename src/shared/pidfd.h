/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The pidfd system calls by number, for the daemon's discovery and
 * dmabufctl import: glibc wraps them only from 2.36, and the numbers are
 * the same on every architecture (the unified syscall table, 5.1+).
 */
#include <sys/syscall.h>

#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424
#endif
#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif
