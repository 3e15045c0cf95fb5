// SPDX-License-Identifier: LGPL-2.1-or-later
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "shared/log.h"

static const char *log_ident = "dmabuffs";
static bool log_syslog;
static int log_max = LOG_INFO;

void log_init(const char *ident, bool to_syslog, int max_priority)
{
	log_ident = ident;
	log_syslog = to_syslog;
	log_max = max_priority;
	if (to_syslog)
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void log_msg(int priority, const char *fmt, ...)
{
	static const char *const prefix[] = {
		[LOG_EMERG] = "emerg", [LOG_ALERT] = "alert",	  [LOG_CRIT] = "crit",
		[LOG_ERR] = "error",   [LOG_WARNING] = "warning", [LOG_NOTICE] = "notice",
		[LOG_INFO] = "info",   [LOG_DEBUG] = "debug",
	};
	int saved = errno;
	va_list ap;

	if (priority > log_max)
		return;
	va_start(ap, fmt);
	if (log_syslog) {
		vsyslog(priority, fmt, ap);
	} else {
		/* One fprintf per line so threads do not interleave. */
		char line[1024];

		vsnprintf(line, sizeof(line), fmt, ap);
		fprintf(stderr, "%s: %s: %s\n", log_ident, prefix[priority & 7], line);
	}
	va_end(ap);
	errno = saved;
}
