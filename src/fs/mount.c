// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Mount tuning: what the INIT reply asks of the kernel, and the mount's
 * readahead, which only the first request after INIT can set.
 */
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "conf.h"
#include "fs/fs-internal.h"
#include "fs/ops.h"
#include "shared/log.h"
#include "shared/macro.h"

static struct timespec mounted_at;

struct timespec mount_time(void)
{
	return mounted_at;
}

/*
 * Page-cache reads of a FUSE file arrive as requests of the mount's
 * readahead size, 128 KiB by default whatever the reader asks for; 1 MiB
 * requests read a buffer file several times faster. The knob is the
 * mount's bdi (0:MINOR from /proc/self/mountinfo). The INIT reply lowers
 * it to the readahead the kernel offered, so it is raised once, by the
 * first request after INIT (and never by touching the mount itself).
 */
static void set_read_ahead(const char *mp, int kb)
{
	_cleanup_fclose_ FILE *f = NULL;
	char line[4096], dev[32] = "", path[128];
	FILE *ra;

	if (kb < 0)
		return;
	f = fopen("/proc/self/mountinfo", "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char d[32], target[PATH_MAX], *sep = strstr(line, " - ");

		if (sscanf(line, "%*d %*d %31s %*s %4095s", d, target) != 2 || !sep)
			continue;
		if (strcmp(target, mp) == 0 && strncmp(sep, " - fuse.dmabuffs ", 17) == 0)
			snprintf(dev, sizeof(dev), "%s", d); /* the last one is ours */
	}
	if (!dev[0])
		return;
	snprintf(path, sizeof(path), "/sys/class/bdi/%s/read_ahead_kb", dev);
	ra = fopen(path, "we");
	if (!ra || fprintf(ra, "%d\n", kb) < 0 || fclose(ra) != 0) {
		log_info("cannot set %s to %d: %m", path, kb);
		return;
	}
	log_debug("%s: read_ahead_kb %d", path, kb);
}

static pthread_mutex_t read_ahead_lock = PTHREAD_MUTEX_INITIALIZER;
static bool read_ahead_done;

void mount_after_init(const struct config *cfg)
{
	if (__atomic_load_n(&read_ahead_done, __ATOMIC_ACQUIRE))
		return;
	/* A lock, not a flag alone: the requests racing the first one must
	 * not run before the readahead is set. */
	pthread_mutex_lock(&read_ahead_lock);
	if (!read_ahead_done) {
		set_read_ahead(cfg->mountpoint, cfg->read_ahead_kb);
		__atomic_store_n(&read_ahead_done, true, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&read_ahead_lock);
}

/* What INIT agreed on, for the open path; written once, before any other
 * request (libfuse replies to INIT before it runs another handler). */
static bool passthrough_ok, direct_io_mmap_ok;

bool mount_passthrough(void)
{
	return __atomic_load_n(&passthrough_ok, __ATOMIC_ACQUIRE);
}

void mount_passthrough_refused(int err)
{
	/* One line for the whole mount: the reason (EPERM: no CAP_SYS_ADMIN)
	 * is the same for every buffer. */
	if (__atomic_exchange_n(&passthrough_ok, false, __ATOMIC_ACQ_REL))
		log_warn("FUSE passthrough refused by the kernel (%s): buffer files use the "
			 "daemon's path",
			 strerror(err));
}

bool mount_direct_io_mmap(void)
{
	return direct_io_mmap_ok;
}

static void init_passthrough(const struct config *cfg, struct fuse_conn_info *conn)
{
	if (cfg->passthrough == PASSTHROUGH_NEVER) {
		log_info("FUSE passthrough: off (passthrough=never)");
		return;
	}
	if (!(conn->capable_ext & FUSE_CAP_PASSTHROUGH)) {
		log_info("FUSE passthrough: the kernel does not offer it (needs Linux >= 6.9 "
			 "with CONFIG_FUSE_PASSTHROUGH)");
		return;
	}
	/* The backing files are memfds on tmpfs: nothing stacks below. */
	conn->max_backing_stack_depth = 1;
	passthrough_ok = fuse_set_feature_flag(conn, FUSE_CAP_PASSTHROUGH);
	log_info("FUSE passthrough: %s", passthrough_ok ? "on for memfd-backed buffers" : "off");
}

static bool over_io_uring;

bool fs_over_io_uring(void)
{
	return over_io_uring;
}

static void init_io_uring(const struct config *cfg, struct fuse_conn_info *conn)
{
	if (!cfg->io_uring)
		return;
	over_io_uring = conn->capable_ext & FUSE_CAP_OVER_IO_URING;
	/* libfuse starts the rings when the kernel offers them; else it
	 * serves /dev/fuse and the reason is logged here. */
	if (conn->capable_ext & FUSE_CAP_OVER_IO_URING)
		log_info("FUSE over io_uring: offered by the kernel, starting the rings");
	else
		log_warn("FUSE over io_uring: the kernel does not offer it (Linux >= 6.14 with "
			 "CONFIG_FUSE_IO_URING and the fuse module's enable_uring=Y): serving "
			 "/dev/fuse");
}

void mount_init(const struct config *cfg, struct fuse_conn_info *conn)
{
	clock_gettime(CLOCK_REALTIME, &mounted_at);
	/* O_TRUNC must arrive in open() instead of as a truncate to 0 first:
	 * the truncate would be refused (EPERM) for an allocated buffer. */
	fuse_set_feature_flag(conn, FUSE_CAP_ATOMIC_O_TRUNC);
	/* Write-through: each write() reaches the buffer before it returns
	 * (and passthrough excludes the writeback cache). */
	fuse_unset_feature_flag(conn, FUSE_CAP_WRITEBACK_CACHE);
	/* Splice never beat a plain reply on this workload; receiving large
	 * writes through a pipe does (fs_write_buf). */
	fuse_unset_feature_flag(conn, FUSE_CAP_SPLICE_WRITE | FUSE_CAP_SPLICE_MOVE);
	fuse_set_feature_flag(conn, FUSE_CAP_SPLICE_READ);
	/* MAP_SHARED of direct-I/O opens: what lets every open that is not
	 * passed through be direct I/O (file.c). */
	direct_io_mmap_ok = fuse_set_feature_flag(conn, FUSE_CAP_DIRECT_IO_ALLOW_MMAP);
	init_passthrough(cfg, conn);
	init_io_uring(cfg, conn);
	/* readdirplus for every chunk, not only the first (the "auto" mode):
	 * `ls -l` reads the whole directory before it stats the files, so
	 * auto would leave all but the first chunk to a LOOKUP each. */
	fuse_unset_feature_flag(conn, FUSE_CAP_READDIRPLUS_AUTO);
	conn->max_write = 1u << 20;
	log_debug("FUSE protocol %u.%u, max_write %u, capable 0x%llx, want 0x%llx",
		  conn->proto_major, conn->proto_minor, conn->max_write,
		  (unsigned long long)conn->capable_ext, (unsigned long long)conn->want_ext);
}
