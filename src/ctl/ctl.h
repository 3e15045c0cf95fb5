/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What the dmabufctl subcommands share (src/ctl/main.c). */
#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

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
};

#define COMMON_OPTS                                        \
	{ "mount", required_argument, NULL, OPT_MOUNT },   \
	{ "help", no_argument, NULL, 'h' }

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
