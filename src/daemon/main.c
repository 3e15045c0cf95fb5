// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * dmabuffs: mount every dma-buf the daemon knows about as a regular file.
 *
 * Start-up order matters: everything that can fail for a reason the user
 * must see (options, devices, a second daemon, the mount itself) happens
 * before the daemon detaches, so `dmabuffs && ls /run/dmabuf` either works
 * or prints why; threads start only after the fork of fuse_daemonize().
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backend/backend.h"
#include "buffer.h"
#include "charge/charge.h"
#include "conf.h"
#include "control/control.h"
#include "daemon/fdstore.h"
#include "daemon/options.h"
#include "daemon/reattach.h"
#include "daemon/restart-job.h"
#include "fs/ops.h"
#include "tree/tree.h"
#include "shared/log.h"
#include "shared/macro.h"
#include "shared/util.h"

#define DEFAULT_MOUNTPOINT "/run/dmabuf"
#define DEFAULT_CONTROL "/run/dmabuffs/control"
#define ENABLE_URING "/sys/module/fuse/parameters/enable_uring"

static struct config cfg = {
	.iomem_mode = IOMEM_AUTO,
	.fence_timeout_ms = 1000,
	.read_ahead_kb = 1024,
	.umask = 0177,
};
/* The session's userdata: what the FUSE handlers see of the daemon. */
static struct fs_data fs_data = { .cfg = &cfg };

static int hotplug_stop = -1;
static volatile sig_atomic_t stop_signal;

/* libfuse's own handlers leave a signal alone when it is ignored, as
 * SIGINT is for a daemon started with `&` from a script and SIGHUP under
 * nohup: SIGTERM, SIGINT and SIGHUP must stop (and unmount) the daemon,
 * exit 0, however it was started. SIGHUP is a stop, not a reload: the
 * options are fixed for the mount's life, so there is nothing to reload. */
static void on_stop_signal(int sig)
{
	stop_signal = sig;
	if (fs_data.se)
		fuse_session_exit(fs_data.se);
}

static int install_stop_signals(void)
{
	struct sigaction sa = { .sa_handler = on_stop_signal };

	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGTERM, &sa, NULL) < 0 || sigaction(SIGINT, &sa, NULL) < 0 ||
	    sigaction(SIGHUP, &sa, NULL) < 0)
		return -errno;
	return 0;
}

/* Hotplug: the registry's udev monitor, served by its own thread so that a
 * device that goes away marks its buffers dead while requests run. */
static void *hotplug_thread(void *arg)
{
	struct pollfd pfd[2] = {
		{ .fd = hotplug_stop, .events = POLLIN },
		{ .fd = registry_monitor_fd(), .events = POLLIN },
	};

	for (;;) {
		if (poll(pfd, pfd[1].fd >= 0 ? 2 : 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (pfd[0].revents)
			break;
		if (pfd[1].revents & POLLIN)
			registry_process_events();
	}
	return NULL;
}

/* -o io_uring: hand it to libfuse only where the kernel can serve it, and
 * say why not otherwise; the module parameter is the administrator's. */
static void want_io_uring(struct fuse_args *args)
{
	char v[8] = "";
	size_t len;

	if (read_file(ENABLE_URING, v, sizeof(v), &len) < 0)
		log_warn("io_uring: %s is missing (Linux >= 6.14 with CONFIG_FUSE_IO_URING "
			 "needed): serving /dev/fuse",
			 ENABLE_URING);
	else if (v[0] != 'Y')
		log_warn("io_uring: the fuse module has enable_uring=N (echo Y > %s): "
			 "serving /dev/fuse",
			 ENABLE_URING);
	else
		fuse_opt_add_arg(args, "-oio_uring");
}

static int mkdir_p(const char *path, mode_t mode)
{
	char tmp[PATH_MAX];

	if (snprintf(tmp, sizeof(tmp), "%s", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0755) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(tmp, mode) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

/* The type of the topmost FUSE file system mounted on mp ("fuse.dmabuffs",
 * "fuse.sshfs", ...), or -ENOENT when none is. mp is absolute and
 * canonical, as fuse_parse_cmdline() leaves it. */
static int fuse_mounted_on(const char *mp, char *type, size_t size)
{
	char dev[32];
	int r = reattach_mount_on(mp, dev, sizeof(dev), type, size);

	if (r < 0)
		return r;
	if (strcmp(type, "fuse") == 0 || strncmp(type, "fuse.", 5) == 0 ||
	    strcmp(type, "fuseblk") == 0)
		return 0;
	return -ENOENT; /* a later mount on top hides the earlier ones */
}

/* A daemon killed with SIGKILL leaves its mount behind: every access then
 * fails with ENOTCONN. Detach it, so that this start can mount again. A
 * live FUSE file system there (a dmabuffs with another control socket, or
 * anything else) is never mounted over: its users would lose every file
 * until this daemon exits. */
static int prepare_mountpoint(const char *mp)
{
	struct stat st;
	char type[256];
	int r;

	for (int i = 0; i < 16 && fuse_mounted_on(mp, type, sizeof(type)) == 0; i++) {
		enum fuse_probe p = fuse_probe(mp, 2000);

		if (p != FUSE_PROBE_DEAD) {
			log_err("%s: a live FUSE file system (%s) is mounted there%s; "
				"refusing to mount over it (stop it first)",
				mp, type,
				p == FUSE_PROBE_NOSERV ? ", kept open by another "
							 "process but not answering" :
							 "");
			return -EBUSY;
		}
		log_notice("%s: removing the stale mount of a daemon that died", mp);
		if (umount2(mp, MNT_DETACH) < 0) {
			log_err("%s: cannot remove the stale mount: %m", mp);
			return -errno;
		}
	}
	r = mkdir_p(mp, 0755);
	if (r < 0) {
		log_err("%s: cannot create the mount point: %s", mp, strerror(-r));
		return r;
	}
	if (stat(mp, &st) < 0 || !S_ISDIR(st.st_mode)) {
		log_err("%s: not a directory", mp);
		return -ENOTDIR;
	}
	return 0;
}

/* A stored mount that is not re-attached: the previous run's, nobody
 * serves it, so it is detached without a probe that would wait; then the
 * mount point is prepared as for any start. */
static int drop_stored_mount(const char *mp)
{
	char dev[32];

	if (reattach_mount_dev(mp, "fuse.dmabuffs", dev, sizeof(dev)) == 0) {
		log_notice("%s: removing the previous run's mount (device %s)", mp, dev);
		if (umount2(mp, MNT_DETACH | UMOUNT_NOFOLLOW) < 0)
			log_warn("%s: cannot remove the previous run's mount: %m", mp);
	}
	return prepare_mountpoint(mp);
}

/* After a mount: the kernel's FUSE_INIT is read here (a copy is kept) and
 * the connection goes to the fd store, so that a crash of this process
 * leaves the mount to the next start. Not over io_uring: the rings die
 * with the process. */
static void keep_connection(struct fuse_session *se, const char *mp)
{
	uint8_t init[REATTACH_INIT_MAX];
	size_t len = 0;
	char dev[32];
	int r;

	r = reattach_first_init(se, init, &len);
	if (r < 0) {
		log_warn("reading FUSE_INIT: %s", strerror(-r));
		return;
	}
	if (!getenv("NOTIFY_SOCKET"))
		return;
	if (fs_over_io_uring()) {
		log_info("FUSE over io_uring: the mount ends with this process (a crash "
			 "unmounts; the buffers stay in the fd store)");
		return;
	}
	if (!len || reattach_mount_dev(mp, "fuse.dmabuffs", dev, sizeof(dev)) < 0) {
		log_warn("%s: cannot record the mount: a crash unmounts", mp);
		return;
	}
	fdstore_fuse_keep(fuse_session_fd(se), init, len, dev);
}

/* One fd per buffer (two for some backends): systemd's default soft limit
 * of 1024 would stop the daemon at about a thousand buffers. The soft
 * limit only protects programs that use select(); the daemon does not. */
static void raise_fd_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur >= rl.rlim_max)
		return;
	rl.rlim_cur = rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
		log_warn("cannot raise the soft fd limit to %llu: %m",
			 (unsigned long long)rl.rlim_max);
}

int main(int argc, char *argv[])
{
	struct fuse_args args = FUSE_ARGS_INIT(argc, argv);
	struct fuse_cmdline_opts fopts = { 0 };
	struct fuse_loop_config *loop = NULL;
	struct fuse_session *se = NULL;
	pthread_t hotplug;
	struct rlimit rl;
	bool hotplug_running = false, mounted = false, signals = false, tree_up = false;
	bool reattached = false, stored_mount;
	struct reattach ra = { .fd = -1 };
	const char *given_mp;
	char mp[PATH_MAX];
	int r, ret = EXIT_FAILURE;

	/* A helper that allocates in a caller's memory cgroup (charge/helper.c):
	 * nothing of the daemon's start-up runs in it. */
	if (argc >= 2 && !strcmp(argv[1], CHARGE_HELPER_ARG))
		return charge_helper_main(argc, argv);
	log_init("dmabuffs", false, LOG_INFO);
	raise_fd_limit();
	if (options_parse(&args, &cfg) < 0)
		goto out_args;
	if (fuse_parse_cmdline(&args, &fopts) != 0)
		goto out_args;
	if (fopts.show_help) {
		options_usage(argv[0]);
		fuse_lowlevel_help();
		ret = EXIT_SUCCESS;
		goto out_args;
	}
	if (fopts.show_version) {
		printf("dmabuffs %s\n", PACKAGE_VERSION);
		fuse_lowlevel_version();
		ret = EXIT_SUCCESS;
		goto out_args;
	}
	if (fopts.debug)
		log_init("dmabuffs", false, LOG_DEBUG);
	if (!cfg.control_path)
		cfg.control_path = strdup(DEFAULT_CONTROL);
	/* A mount the previous run left with its connection in the fd store
	 * is not touched before the restore decides: nobody serves it until
	 * this start does, so a stat of it would wait for ourselves.
	 * (libfuse gave the mount point canonical already.) */
	given_mp = fopts.mountpoint ? fopts.mountpoint : DEFAULT_MOUNTPOINT;
	stored_mount = fdstore_holds("fuse");
	if (stored_mount) {
		snprintf(mp, sizeof(mp), "%s", given_mp);
	} else {
		if (prepare_mountpoint(given_mp) < 0)
			goto out_args;
		if (!realpath(given_mp, mp)) {
			log_err("mount point: %m");
			goto out_args;
		}
	}
	cfg.mountpoint = strdup(mp);

	/* The kernel checks modes and owners; the daemon adds what it must. */
	fuse_opt_add_arg(
		&args,
		"-odefault_permissions,nosuid,nodev,noexec,fsname=dmabuffs,subtype=dmabuffs");
	if (cfg.io_uring)
		want_io_uring(&args);

	r = fdstore_control(cfg.control_path, cfg.group_set, cfg.group);
	if (r < 0) {
		log_err("control socket %s: %s", cfg.control_path, strerror(-r));
		goto out_args;
	}
	r = registry_init(cfg.backend, tree_backend_gone, NULL);
	if (r < 0) {
		log_err("backend %s: %s", cfg.backend ? cfg.backend : "(auto)", strerror(-r));
		goto out_stop;
	}
	charge_init();
	log_info("default backend: %s%s", registry_default()->name,
		 registry_memfd_only() ? " (no dma-buf device on this machine)" : "");
	r = buffer_init_sigbus_guard();
	if (r < 0)
		goto out_stop;
	/* Before the restore: the options libfuse refuses must not cost the
	 * buffers the service manager handed over. */
	se = fuse_session_new(&args, &fs_ops, sizeof(fs_ops), &fs_data);
	if (!se)
		goto out_stop;
	fs_data.se = se;
	tree_init(&cfg, fs_notify_gone, &fs_data);
	tree_set_backing_closer(file_backing_close, &fs_data);
	/* Before the mount: the tree is whole when anyone can see it. A
	 * store this daemon cannot read is left alone, and the start fails. */
	ra.fd = fdstore_fuse_take();
	ra.mp = mp;
	if (fdstore_restore(&cfg, &ra) < 0 || fdstore_attach() < 0)
		goto out_stop;
	control_set_restarts(fdstore_restarts());
	fh_set_run(fdstore_restarts());
	tree_up = true;
	if (ra.fd >= 0 && !ra.ok) {
		log_warn("%s: the previous run's mount is not re-attached (%s): mounting again "
			 "(files open on it fail)",
			 mp, ra.why);
		close(ra.fd);
		ra.fd = -1;
		fdstore_fuse_drop();
	}
	if (stored_mount && !ra.ok && drop_stored_mount(mp) < 0)
		goto out_stop;
	if (fuse_set_signal_handlers(se) != 0)
		goto out_session;
	signals = true;
	if (install_stop_signals() < 0)
		goto out_session;
	if (ra.ok) {
		if (reattach_session(se, &ra) < 0)
			goto out_session;
		reattached = true;
		fdstore_fuse_adopted(ra.init, ra.init_len, ra.dev);
		log_notice("%s: re-attached to the mount the previous run left (device %s): "
			   "open files, mappings and waiting calls carry on; %u buffer files "
			   "the kernel did not hold",
			   mp, ra.dev, fs_reattached(se));
	} else {
		if (fuse_session_mount(se, mp) != 0)
			goto out_session;
		mounted = true;
	}
	getrlimit(RLIMIT_NOFILE, &rl);
	log_info("%s %s, control socket %s, iomem=%s, fd limit %llu%s",
		 reattached ? "serving the mount on" : "mounted on", mp, cfg.control_path,
		 policy_mode_name(cfg.iomem_mode), (unsigned long long)rl.rlim_cur,
		 cfg.discover ? ", discovering other processes' buffers" : "");

	if (fuse_daemonize(fopts.foreground) != 0)
		goto out_session;
	if (!fopts.foreground)
		log_init("dmabuffs", true, fopts.debug ? LOG_DEBUG : LOG_INFO);
	if (mounted)
		keep_connection(se, mp);

	r = control_start_limits(&cfg, &(struct control_limits){
					       .max_conns = cfg.control_max_conns,
					       .max_conns_per_uid = cfg.control_max_per_uid,
					       .root_reserve = cfg.control_root_reserve,
					       .idle_timeout_ms = cfg.control_idle_timeout_ms,
				       });
	if (r < 0) {
		log_err("control thread: %s", strerror(-r));
		goto out_session;
	}
	fdstore_notify_ready(mp);
	hotplug_stop = eventfd(0, EFD_CLOEXEC);
	if (hotplug_stop >= 0 && pthread_create(&hotplug, NULL, hotplug_thread, NULL) == 0)
		hotplug_running = true;

	loop = fuse_loop_cfg_create();
	if (loop) {
		/* A request read through a cloned /dev/fuse fd ends with
		 * ECONNABORTED when that fd closes (fuse_dev_release()): at a
		 * crash, every request in flight. Read through the fd the store
		 * keeps, they are resent to the next start instead. */
		fuse_loop_cfg_set_clone_fd(loop, !fdstore_keeps_connection());
		fuse_loop_cfg_set_idle_threads(loop, 10);
	}
	r = loop ? fuse_session_loop_mt(se, loop) : -ENOMEM;
	fuse_loop_cfg_destroy(loop);
	/* A signal ends the loop the normal way: that is a clean stop. (The
	 * loop's return value then carries the signal, and libfuse resets the
	 * session's exited flag, so remember the signal ourselves.) */
	ret = (r == 0 || stop_signal) ? EXIT_SUCCESS : EXIT_FAILURE;
	if (stop_signal)
		log_info("stopping: %s", strsignal(stop_signal));
	else
		log_info("stopping: %s", r == 0 ? "unmounted" : strerror(-r));

	if (hotplug_running) {
		uint64_t one = 1;

		if (write(hotplug_stop, &one, sizeof(one)) == sizeof(one))
			pthread_join(hotplug, NULL);
	}
	if (hotplug_stop >= 0) {
		close(hotplug_stop);
		hotplug_stop = -1;
	}
	/* A restart (systemctl restart, an upgrade) keeps the mount: its
	 * connection stays in the store, calls wait for the next start, which
	 * re-attaches. A stop ends it. */
	if (stop_signal == SIGTERM && fdstore_keeps_connection() && restart_job_queued()) {
		log_info("%s: a restart is queued: the mount stays for the next start", mp);
		mounted = reattached = false;
	}
out_session:
	/* Unmount first: a stop must end the mount whatever the other threads
	 * are doing (the control thread never blocks, but the mount must not
	 * depend on it). */
	if (mounted || reattached)
		fdstore_fuse_drop();
	if (mounted)
		fuse_session_unmount(se);
	else if (reattached && umount2(mp, MNT_DETACH | UMOUNT_NOFOLLOW) < 0)
		log_warn("%s: cannot unmount: %m", mp);
out_stop:
	/* One path for every failure after the socket was bound, so each
	 * step runs once: control_stop() before the session goes (a removed
	 * name notifies the kernel through it) and before tree_exit() (its
	 * thread works on the tree); tree_exit() and registry_exit() are
	 * no-ops on what was never set up. */
	control_stop();
	/* Under a service manager the buffers outlive this run, also one
	 * that failed once it had taken them from the store. */
	if (tree_up)
		fdstore_save();
	if (signals)
		fuse_remove_signal_handlers(se);
	fs_data.se = NULL;
	if (se)
		fuse_session_destroy(se);
	tree_exit();
	charge_exit();
	registry_exit();
out_args:
	free(fopts.mountpoint);
	fuse_opt_free_args(&args);
	return ret;
}
