/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>

/* Whether the service manager stops this daemon to start it again (a
 * `systemctl restart`): then the mount stays for the next start
 * (src/daemon/restart-job.c). False outside systemd, and on any error. */
bool restart_job_queued(void);
