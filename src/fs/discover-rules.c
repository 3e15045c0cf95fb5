// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Discovery's access rule: who may see whose process under proc/PID/.
 * Separate from discover.c, which lists and opens what is there, because
 * this is the one place the daemon decides on another process's behalf;
 * every path into proc/PID/ goes through discover_owner() or discover_caller_may().
 *
 * Who may look follows ptrace's rules (PTRACE_MODE_ATTACH), decided on the
 * caller's credentials. The part that depends on the target only is turned
 * into the owner of proc/PID and its files (mode 0500 / 0600), so that the
 * kernel itself checks the caller against it on every path walk
 * (default_permissions): the owner is the target's uid when its real,
 * effective and saved uids are one uid, its gids one gid, it is dumpable
 * (/proc/PID/fd is owned by its euid, not root) and Yama's ptrace_scope is 0;
 * otherwise root. Yama 1 ("descendants only") cannot apply to a file server
 * and is taken as 2 (root only); 3 lets nobody in, root included (the
 * kernel refuses the daemon's own pidfd_getfd then).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "fs/discover-internal.h"
#include "fs/fs-internal.h"
#include "shared/log.h"
#include "shared/macro.h"

/* Yama's ptrace_scope, 0 where Yama is not built in. */
int discover_yama_scope(void)
{
	_cleanup_fclose_ FILE *f = fopen("/proc/sys/kernel/yama/ptrace_scope", "re");
	int v = 0;

	if (!f || fscanf(f, "%d", &v) != 1)
		return 0;
	return v;
}

/*
 * The owner the target's proc/ nodes get: its uid when anyone but root may
 * inspect it, else 0. -EACCES when nobody may (Yama 3), -ENOENT when the
 * process is gone.
 */
int discover_owner(pid_t pid, uid_t *owner)
{
	_cleanup_fclose_ FILE *f = NULL;
	_cleanup_free_ char *line = NULL;
	unsigned long u[4] = { 0 }, g[4] = { 0 };
	bool have_u = false, have_g = false;
	size_t cap = 0;
	char path[64];
	struct stat st;
	int scope = discover_yama_scope();

	if (scope >= 3)
		return -EACCES;
	/* Not /proc/PID itself: the kernel gives world-readable directories
	 * the euid whether the process is dumpable or not. */
	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	if (pid <= 0 || stat(path, &st) < 0)
		return -ENOENT;
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return -ENOENT;
	while (getline(&line, &cap, f) >= 0) {
		if (sscanf(line, "Uid: %lu %lu %lu %lu", &u[0], &u[1], &u[2], &u[3]) == 4)
			have_u = true;
		else if (sscanf(line, "Gid: %lu %lu %lu %lu", &g[0], &g[1], &g[2], &g[3]) == 4)
			have_g = true;
	}
	if (!have_u || !have_g)
		return -ENOENT;
	*owner = 0;
	/* /proc/PID/fd belongs to root, not to the euid, while the process is
	 * not dumpable (setuid programs, PR_SET_DUMPABLE 0): ptrace then
	 * asks for CAP_SYS_PTRACE. */
	if (scope == 0 && u[0] == u[1] && u[1] == u[2] && g[0] == g[1] && g[1] == g[2] &&
	    st.st_uid == (uid_t)u[1])
		*owner = (uid_t)u[0];
	return 0;
}

/* The caller (uid, as FUSE gives it: the fsuid) may inspect pid. */
int discover_caller_may(pid_t pid, uid_t caller, uid_t *owner)
{
	int r = discover_owner(pid, owner);

	if (r < 0)
		return r;
	if (caller != 0 && caller != *owner) {
		log_info("proc/%d: uid %u may not inspect it (ptrace rules, Yama %d)", (int)pid,
			 (unsigned)caller, discover_yama_scope());
		return -EACCES;
	}
	return 0;
}
