// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Buffers charged to the caller's memory cgroup: see charge.h. This is the
 * daemon's side (whose cgroup, the helper table, the requests); the helper
 * process itself is helper.c.
 *
 * Why a helper process, and why this one:
 * - Shmem pages are charged to the memory cgroup of the allocating task's
 *   mm owner (mem_cgroup_charge() with no mm: current->mm->owner). A thread
 *   of the daemon, or a CLONE_VM child, charges the daemon whatever cgroup
 *   it sits in; the helper needs an mm of its own.
 * - A fork per allocation costs 6-12 ms on the build machine (measured,
 *   loaded: 7.5 ms for fork + waitpid of a tiny process, 0.3 ms for vfork),
 *   and a fork of the daemon would keep every buffer mapped in the child.
 *   So a helper is spawned (posix_spawn, a vfork) once per cgroup and
 *   kept while it is used: it runs the daemon's binary with
 *   CHARGE_HELPER_ARG, closes every fd but its socket, joins the cgroup by
 *   writing its pid into cgroup.procs (v2 and v1 alike: the one migration
 *   is paid once per helper), and serves requests until its socket closes
 *   or it has been idle for HELPER_IDLE_EXIT_MS.
 * - A helper has oom_score_adj 1000: when an allocation goes over the
 *   cgroup's limit and the kernel's OOM killer runs for that cgroup, it
 *   picks the helper rather than one of the user's programs. Its partial
 *   pages die with it (the helper's fd was the only one), and the caller
 *   gets ENOMEM.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "charge/charge.h"
#include "charge/charge-internal.h"
#include "shared/log.h"
#include "shared/macro.h"
#include "shared/util.h"

#define HELPERS_MAX 32
/* Start-up (exec, join) and one request; a request is one fallocate or
 * allocation ioctl, well under a second for a GiB. A helper frozen with
 * its cgroup (a user may freeze a delegated cgroup) must not hold a FUSE
 * worker for long: the request fails with ETIMEDOUT. */
#define HELPER_START_MS 5000
#define HELPER_REQUEST_MS 10000

enum cg_mode {
	CG_NONE,
	CG_V1,
	CG_V2
};

struct helper {
	char dir[PATH_MAX]; /* "" for a free slot */
	int sock;	    /* -1 when not running */
	pid_t pid;
	unsigned users; /* table lock */
	uint64_t last_ms;
	pthread_mutex_t lock; /* one request at a time */
};

static enum cg_mode mode;
static char cg_root[PATH_MAX];
static struct helper helpers[HELPERS_MAX];
static pid_t zombies[HELPERS_MAX];
static pthread_mutex_t table_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t zombie_lock = PTHREAD_MUTEX_INITIALIZER;
static __thread pid_t caller;
extern char **environ;

/* ---- where the caller's memory is charged ---- */

/* The memory controller's mount: cgroup2 with "memory" in its root's
 * cgroup.controllers, else a v1 hierarchy mounted with "memory". Only a
 * mount of the hierarchy's root (field 4 "/"): /proc/PID/cgroup paths are
 * relative to it. */
static enum cg_mode find_controller(char *root, size_t rootsz)
{
	_cleanup_fclose_ FILE *f = fopen("/proc/self/mountinfo", "re");
	char line[4096], v1[PATH_MAX] = "", v2[PATH_MAX] = "";

	while (f && fgets(line, sizeof(line), f)) {
		char mroot[PATH_MAX], mpoint[PATH_MAX], fstype[64], opts[1024];
		const char *sep = strstr(line, " - ");

		if (!sep || sscanf(line, "%*s %*s %*s %4095s %4095s", mroot, mpoint) != 2 ||
		    sscanf(sep + 3, "%63s %*s %1023s", fstype, opts) != 2 || strcmp(mroot, "/"))
			continue;
		if (!strcmp(fstype, "cgroup2") && !v2[0]) {
			char path[PATH_MAX + 32], ctl[512];
			size_t len;

			snprintf(path, sizeof(path), "%s/cgroup.controllers", mpoint);
			if (read_file(path, ctl, sizeof(ctl), &len) == 0 && strstr(ctl, "memory") &&
			    strlen(mpoint) < sizeof(v2))
				strcpy(v2, mpoint);
		} else if (!strcmp(fstype, "cgroup") && !v1[0]) {
			char *save = NULL;

			for (char *o = strtok_r(opts, ",", &save); o;
			     o = strtok_r(NULL, ",", &save))
				if (!strcmp(o, "memory") && strlen(mpoint) < sizeof(v1))
					strcpy(v1, mpoint);
		}
	}
	if (v2[0] && strlen(v2) < rootsz) {
		strcpy(root, v2);
		return CG_V2;
	}
	if (v1[0] && strlen(v1) < rootsz) {
		strcpy(root, v1);
		return CG_V1;
	}
	return CG_NONE;
}

void charge_init(void)
{
	mode = find_controller(cg_root, sizeof(cg_root));
	for (size_t i = 0; i < HELPERS_MAX; i++) {
		helpers[i].sock = -1;
		pthread_mutex_init(&helpers[i].lock, NULL);
	}
	if (mode == CG_NONE)
		log_notice("no memory cgroup controller is mounted: buffers are charged to the "
			   "daemon's memory cgroup, not to their callers'");
	else
		log_info("buffers are charged to their callers' memory cgroups (cgroup %s, %s)",
			 mode == CG_V2 ? "v2" : "v1 memory", cg_root);
}

/* The memory cgroup directory of pid (0: the daemon). */
static int cgroup_of(pid_t pid, char *dir, size_t dirsz)
{
	char path[64], buf[4096], *save = NULL;
	size_t len;
	int r;

	if (pid > 0)
		snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)pid);
	else
		snprintf(path, sizeof(path), "/proc/self/cgroup");
	r = read_file(path, buf, sizeof(buf), &len);
	if (r < 0)
		return r;
	for (char *l = strtok_r(buf, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		char *ctl = strchr(l, ':'), *cg = ctl ? strchr(ctl + 1, ':') : NULL;
		bool match = false;

		if (!cg)
			continue;
		*ctl++ = '\0'; /* l: the hierarchy id */
		*cg++ = '\0';  /* ctl: its controllers; cg: the path */
		if (mode == CG_V2) {
			match = !strcmp(l, "0") && !ctl[0];
		} else {
			char *s2 = NULL;

			for (char *c = strtok_r(ctl, ",", &s2); c; c = strtok_r(NULL, ",", &s2))
				match |= !strcmp(c, "memory");
		}
		if (!match)
			continue;
		/* A path the kernel gave, but a removed cgroup reads as
		 * "... (deleted)" and a cgroup namespace as "/..": neither is
		 * a directory to join. */
		if (cg[0] != '/' || strstr(cg, "/..") || strstr(cg, " (deleted)"))
			return -ENOENT;
		if ((size_t)snprintf(dir, dirsz, "%s%s", cg_root, strcmp(cg, "/") ? cg : "") >=
		    dirsz)
			return -ENAMETOOLONG;
		return 0;
	}
	return -ENOENT;
}

/* The daemon's own memory cgroup, read again at most once a second (it
 * can be moved, but seldom is: one /proc read less per allocation). */
static void own_cgroup(char *dir, size_t dirsz)
{
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	static char cached[PATH_MAX];
	static uint64_t read_ms;
	uint64_t now = (uint64_t)now_ms();

	pthread_mutex_lock(&lock);
	if (!read_ms || now - read_ms >= 1000) {
		if (cgroup_of(0, cached, sizeof(cached)) < 0)
			cached[0] = '\0';
		read_ms = now;
	}
	snprintf(dir, dirsz, "%s", cached);
	pthread_mutex_unlock(&lock);
}

/* Where the current caller's pages go: 0 with dir, or 1 for "the daemon
 * itself" (no controller, no caller, the daemon's own cgroup, a caller we
 * cannot place; the last logged once). */
static int target(char *dir, size_t dirsz)
{
	static bool warned;
	char own[PATH_MAX];
	int r;

	if (mode == CG_NONE || caller <= 0)
		return 1;
	r = cgroup_of(caller, dir, dirsz);
	if (r < 0) {
		if (!__atomic_exchange_n(&warned, true, __ATOMIC_RELAXED))
			log_warn("cannot read the memory cgroup of pid %d (%s): charging the "
				 "daemon's cgroup (logged once)",
				 (int)caller, strerror(-r));
		return 1;
	}
	own_cgroup(own, sizeof(own));
	return !strcmp(own, dir);
}

pid_t charge_caller_set(pid_t pid)
{
	pid_t prev = caller;

	caller = pid;
	return prev;
}

/* ---- the daemon's side of the helpers ---- */

static void reap_zombies(void)
{
	pthread_mutex_lock(&zombie_lock);
	for (size_t i = 0; i < HELPERS_MAX; i++)
		if (zombies[i] > 0 && waitpid(zombies[i], NULL, WNOHANG) != 0)
			zombies[i] = 0;
	pthread_mutex_unlock(&zombie_lock);
}

/* Helper h stops: its socket closes (it exits on EOF); reaped now if it
 * already went, else later. Table lock held, or h->lock at a failure. */
static void helper_stop(struct helper *h, bool kill_it)
{
	if (h->sock < 0)
		return;
	close(h->sock);
	h->sock = -1;
	if (kill_it)
		kill(h->pid, SIGKILL);
	pthread_mutex_lock(&zombie_lock);
	if (waitpid(h->pid, NULL, WNOHANG) == 0)
		for (size_t i = 0; i < HELPERS_MAX; i++)
			if (zombies[i] <= 0) {
				zombies[i] = h->pid;
				break;
			}
	pthread_mutex_unlock(&zombie_lock);
	h->pid = 0;
}

/* The slot for dir, with a user counted; NULL when every slot is busy. */
static struct helper *helper_get(const char *dir)
{
	struct helper *h = NULL, *lru = NULL;
	uint64_t now = (uint64_t)now_ms();

	pthread_mutex_lock(&table_lock);
	reap_zombies();
	for (size_t i = 0; i < HELPERS_MAX; i++) {
		struct helper *c = &helpers[i];

		if (c->dir[0] && !strcmp(c->dir, dir)) {
			h = c;
			continue;
		}
		if (c->users)
			continue;
		if (c->sock >= 0 && now - c->last_ms > HELPER_IDLE_MS) {
			helper_stop(c, false);
			c->dir[0] = '\0';
		}
		if (!lru || !c->dir[0] || (lru->dir[0] && c->last_ms < lru->last_ms))
			lru = c;
	}
	if (!h && lru) {
		if (lru->dir[0])
			helper_stop(lru, false);
		h = lru;
		snprintf(h->dir, sizeof(h->dir), "%s", dir);
	}
	if (h)
		h->users++;
	pthread_mutex_unlock(&table_lock);
	return h;
}

static void helper_put(struct helper *h)
{
	pthread_mutex_lock(&table_lock);
	h->users--;
	h->last_ms = (uint64_t)now_ms();
	pthread_mutex_unlock(&table_lock);
}

/* Wait up to ms for the helper's message. */
static int helper_recv(struct helper *h, struct msg *m, int *fd, int ms)
{
	struct pollfd p = { .fd = h->sock, .events = POLLIN };
	int r = (int)RETRY_EINTR(poll(&p, 1, ms));

	if (r == 0)
		return -ETIMEDOUT;
	if (r < 0)
		return -errno;
	return recv_msg(h->sock, m, fd);
}

/* h->lock held. */
static int helper_start(struct helper *h)
{
	posix_spawn_file_actions_t fa;
	char *argv[] = { "dmabuffs", CHARGE_HELPER_ARG, h->dir, NULL };
	int sv[2], high = -1, fd, r;
	struct msg m;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	/* dup2 onto itself would leave FD_CLOEXEC set. */
	if (sv[1] <= 3) {
		high = fcntl(sv[1], F_DUPFD_CLOEXEC, 4);
		close(sv[1]);
		sv[1] = high;
		if (high < 0) {
			close(sv[0]);
			return -errno;
		}
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, sv[1], 3);
	/* The daemon's environment: under libtool's wrapper (the build tree)
	 * the binary finds libdmabuffs through LD_LIBRARY_PATH. */
	r = -posix_spawn(&h->pid, "/proc/self/exe", &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(sv[1]);
	if (r < 0) {
		close(sv[0]);
		log_err("cannot start a memory cgroup helper: %s", strerror(-r));
		return r;
	}
	h->sock = sv[0];
	r = helper_recv(h, &m, &fd, HELPER_START_MS);
	if (fd >= 0)
		close(fd);
	if (r == 0 && (m.op != OP_READY || m.err))
		r = m.op != OP_READY ? -EPROTO : m.err;
	if (r < 0) {
		log_err("cannot place a helper in memory cgroup %s: %s", h->dir, strerror(-r));
		helper_stop(h, true);
	}
	return r;
}

/*
 * One request to the helper of dir: m in and out, send_fd with it, *out_fd
 * the fd that came back (or -1). A helper that died is started again for
 * one more try, unless it died in the request itself: killed then is the
 * OOM killer's doing (-ENOMEM).
 */
static int helper_call(const char *dir, struct msg *m, int send_fd, int *out_fd)
{
	struct helper *h = helper_get(dir);
	struct msg in = *m;
	int r = -EPIPE;

	*out_fd = -1;
	if (!h) {
		log_err("%d memory cgroup helpers are busy: EAGAIN", HELPERS_MAX);
		return -EAGAIN;
	}
	pthread_mutex_lock(&h->lock);
	for (int tries = 0; tries < 2 && r == -EPIPE; tries++) {
		bool sent = false;
		int status = 0;
		pid_t pid;

		if (h->sock < 0 && (r = helper_start(h)) < 0)
			break;
		r = send_msg(h->sock, &in, send_fd);
		sent = r == 0;
		if (r == 0)
			r = helper_recv(h, m, out_fd, HELPER_REQUEST_MS);
		if (r == 0)
			break;
		pid = h->pid;
		if (r != -EPIPE && r != -ECONNRESET && r != -ECONNREFUSED) {
			log_err("memory cgroup helper %d (%s): %s", (int)pid, h->dir, strerror(-r));
			helper_stop(h, true);
			if (r != -ETIMEDOUT)
				r = -EIO;
			break;
		}
		/* Gone: at its idle exit (between requests), or killed. */
		close(h->sock);
		h->sock = -1;
		if (RETRY_EINTR(waitpid(pid, &status, 0)) == pid && WIFSIGNALED(status) &&
		    WTERMSIG(status) == SIGKILL && sent) {
			log_err("the memory cgroup helper in %s was killed during an allocation "
				"(the cgroup's OOM killer): ENOMEM",
				h->dir);
			r = -ENOMEM;
			break;
		}
		r = -EPIPE;
	}
	if (r == -EPIPE) {
		log_err("the memory cgroup helper in %s went away twice: EIO", h->dir);
		r = -EIO;
	}
	pthread_mutex_unlock(&h->lock);
	helper_put(h);
	return r;
}

void charge_exit(void)
{
	pthread_mutex_lock(&table_lock);
	for (size_t i = 0; i < HELPERS_MAX; i++) {
		pid_t pid = helpers[i].pid;

		if (helpers[i].sock < 0)
			continue;
		close(helpers[i].sock);
		helpers[i].sock = -1;
		/* It exits at EOF; a frozen one is left to init. */
		for (int t = 0; t < 50 && waitpid(pid, NULL, WNOHANG) == 0; t++)
			usleep(10 * 1000);
		helpers[i].dir[0] = '\0';
	}
	reap_zombies();
	pthread_mutex_unlock(&table_lock);
}

/* ---- the verbs ---- */

static void log_refusal(const char *what, uint64_t bytes, const char *dir, int r)
{
	if (r == -ENOMEM)
		log_err("%s of %" PRIu64 " bytes for pid %d: over the limit of memory cgroup %s "
			"(ENOMEM)",
			what, bytes, (int)caller, dir);
	else
		log_err("%s of %" PRIu64 " bytes for pid %d in memory cgroup %s: %s", what, bytes,
			(int)caller, dir, strerror(-r));
}

int charge_memfd(const char *name, uint64_t size, int *out_fd)
{
	struct msg m = { .op = OP_MEMFD, .a = size };
	char dir[PATH_MAX];
	int r;

	/* The daemon's own: as before, pages come as they are written. */
	if (target(dir, sizeof(dir)))
		return charge_helper_memfd(name, size, false, out_fd);
	snprintf(m.name, sizeof(m.name), "%s", name);
	r = helper_call(dir, &m, -1, out_fd);
	if (r == 0 && m.err == 0 && *out_fd < 0)
		r = -EPROTO;
	if (r == 0)
		r = m.err;
	if (r < 0) {
		if (*out_fd >= 0)
			close(*out_fd);
		*out_fd = -1;
		log_refusal("a memfd", size, dir, r);
	}
	return r;
}

int charge_populate(int fd, uint64_t off, uint64_t len)
{
	struct msg m = { .op = OP_POPULATE, .a = off, .b = len };
	char dir[PATH_MAX];
	int out, r;

	if (len == 0 || target(dir, sizeof(dir)))
		return 0; /* the daemon's own: pages come as they are written */
	r = helper_call(dir, &m, fd, &out);
	if (out >= 0)
		close(out);
	if (r == 0)
		r = m.err;
	if (r < 0)
		log_refusal("populating a staged file", len, dir, r);
	return r;
}

int charge_ioctl(int devfd, unsigned long req, void *arg, size_t argsz, int fd_at)
{
	struct msg m = { .op = OP_IOCTL, .req = req, .fd_at = fd_at, .argsz = (uint32_t)argsz };
	char dir[PATH_MAX];
	int32_t fd32;
	int out, r;

	if (argsz > sizeof(m.arg))
		return -EINVAL;
	if (target(dir, sizeof(dir))) {
		r = charge_helper_ioctl(devfd, req, arg, -1, argsz, &out);
		return r;
	}
	memcpy(m.arg, arg, argsz);
	r = helper_call(dir, &m, devfd, &out);
	if (r == 0 && m.err >= 0 && fd_at >= 0 && out < 0)
		r = -EPROTO;
	if (r == 0 && m.err < 0)
		r = m.err;
	if (r < 0) {
		if (out >= 0)
			close(out);
		log_refusal("an allocation ioctl", 0, dir, r);
		return r;
	}
	memcpy(arg, m.arg, argsz);
	if (fd_at >= 0) {
		fd32 = out;
		memcpy((char *)arg + fd_at, &fd32, sizeof(fd32));
	}
	return m.err;
}
