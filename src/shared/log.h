/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <syslog.h>

#include "shared/macro.h"

/*
 * Logging: to stderr while in the foreground, to syslog once detached.
 * Every error path that replies an errno to a user also logs one line that
 * says what and why, so an operator can match a failed command to a cause.
 */
void log_init(const char *ident, bool to_syslog, int max_priority);
void log_msg(int priority, const char *fmt, ...) _printf_(2, 3);

#define log_err(...) log_msg(LOG_ERR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARNING, __VA_ARGS__)
#define log_notice(...) log_msg(LOG_NOTICE, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)
