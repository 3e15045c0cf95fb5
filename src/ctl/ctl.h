/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What the dmabufctl subcommands share (src/ctl/main.c). */
#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "shared/cgroup.h"
#include "shared/holders.h"
#include "shared/macro.h"

#define EXIT_USAGE 2
#define DEFAULT_MOUNT "/run/dmabuf"
#define XATTR_PREFIX "user.dmabuf."

extern const char *arg_mount; /* --mount, or NULL */
extern const char *cmd_name;  /* the running subcommand, for messages */
extern const char usage_text[];

/* "dmabufctl: CMD: WHAT: strerror(err) (detail)"; returns EXIT_FAILURE. */
int fail(const char *what, int err, const char *detail);
/* "dmabufctl: CMD: message"; returns EXIT_FAILURE. */
_printf_(1, 2) int failf(const char *fmt, ...);
/* A failed library call, with the daemon's explanation; EXIT_FAILURE. */
int fail_lib(const char *what, int r);
/* A usage error with a pointer to --help; returns EXIT_USAGE. */
_printf_(1, 2) int usage_error(const char *fmt, ...);

/* Text that came from a name (or a path, an attribute), escaped as
 * name_escape() does: no control byte reaches the terminal. */
void fprint_escaped(FILE *f, const char *s);

const char *mount_dir(void);
/* A bare name lives under the mount; anything with a slash is a path.
 * Allocated; NULL when out of memory. */
char *resolve_file(const char *file);
const char *basename_of(const char *path);
/* A small xattr value as a NUL-terminated string; -errno (-ENODATA when
 * the attribute is not set). */
int get_xattr(const char *path, const char *name, char *buf, size_t bufsz);
int parse_int_arg(const char *s, int *out);
int parse_iomem_arg(const char *s, unsigned int *flags);
void owner_name(uid_t uid, char *buf, size_t bufsz);
void group_name(gid_t gid, char *buf, size_t bufsz);

/*
 * Subcommand option parsing. Each subcommand takes --mount and --help too, so
 * `dmabufctl list --mount DIR` works as well as `dmabufctl --mount DIR list`.
 */
enum {
	OPT_MOUNT = 0x100,
	OPT_JSON,
	OPT_BACKEND,
	OPT_TRANSIENT,
	OPT_IOMEM,
	OPT_FD,
	OPT_PID,
	OPT_FORMAT,
	OPT_WIDTH,
	OPT_HEIGHT,
	OPT_STRIDE,
	OPT_INTERVAL,
	OPT_BY,
	OPT_TOP,
};

#define COMMON_OPTS                                      \
	{ "mount", required_argument, NULL, OPT_MOUNT }, \
	{                                                \
		"help", no_argument, NULL, 'h'           \
	}

/* Handles the options every subcommand shares; returns -1 when the caller
 * should go on, or an exit status. */
int common_opt(int c);

int cmd_list(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_alloc(int argc, char **argv);
int cmd_set_iomem(int argc, char **argv);
int cmd_publish(int argc, char **argv);
int cmd_unpublish(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_import(int argc, char **argv);
int cmd_snapshot(int argc, char **argv);
int cmd_top(int argc, char **argv);
int cmd_watch(int argc, char **argv);
int cmd_metrics(int argc, char **argv);

/* ---- inspect.c: one look at every buffer the caller may see (top, watch) ---- */
struct inspect_name {
	uint64_t ino;
	char *name; /* a buffer file's name, or proc/PID/NODE */
};

struct inspect_uid {
	uid_t uid;
	size_t nbufs;
	uint64_t size;
};

struct inspect_snapshot {
	struct holder_record *recs;
	size_t nrecs, recs_cap;
	struct inspect_name *names;
	size_t nnames, names_cap;
	struct holders_model *model;
	bool discovery;			   /* the mount has proc/ */
	bool kernel_visible;		   /* the kernel's list was read */
	int kernel_source;		   /* enum kbufs_source: where from */
	char kernel_note[192];		   /* why not, or why not the first source */
	size_t hidden_files, hidden_procs; /* the caller may not look */
	/* Per process (model order, by pid): its cgroup ("" when unread);
	 * and the totals per cgroup (cgroup.h). */
	/* The daemon's own buffer files (those with a buffer), per owner uid
	 * (what its quota counts), and where they were read: "control" (its
	 * LIST) or "mount" (the files). */
	struct inspect_uid *uids;
	size_t nuids, uids_cap;
	const char *files_source;
	bool daemon_known; /* the daemon's LIST gave connections, restarts */
	int64_t daemon_connections, daemon_restarts, daemon_backing_ids;
	char **proc_cgroup;
	struct cgroup_total *cgroups;
	size_t ncgroups;
};

int inspect_snapshot_take(const char *mnt, struct inspect_snapshot *s);
void inspect_snapshot_free(struct inspect_snapshot *s);
const char *inspect_name(const struct inspect_snapshot *s, uint64_t ino);

/* ---- top.c: the refresh loop top and watch share ---- */
/* --json, --interval SECONDS (0.1 to 86400), --by WHAT (when by is not
 * NULL: top's only section) and the common options, then the signals set
 * up; -1 to go on, else an exit status. */
int inspect_options(int argc, char **argv, bool *json, double *interval, const char **by);
/* --interval SECONDS: 0.1 to 86400. */
int inspect_parse_interval(const char *arg, double *out);
/* SIGINT/SIGTERM end the refresh loops cleanly. */
void inspect_signals(void);
bool inspect_sleep(double seconds);
bool inspect_stopped(void);
