// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * dmabufctl: inspect and manage the buffers of a dmabuffs mount.
 *
 * Everything that the tree can do (list, info, alloc, set-iomem, snapshot)
 * goes through the mounted files, like any other program would; only
 * publish/unpublish/export/import need the control socket (libdmabuffs).
 *
 * This file holds what every subcommand shares (messages, options, paths)
 * and the dispatch; each family of subcommands has its own file.
 *
 * Exit status: 0 success, 1 failure, 2 usage error.
 */
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "ctl/ctl.h"
#include "ctl/escape.h"
#include "dmabuffs/client.h"
#include "shared/macro.h"
#include "shared/util.h"

const char *arg_mount;
const char *cmd_name = NULL;

/* ------------------------------------------------------------ messages */

static void verr(const char *what, int err, const char *detail, const char *fmt, va_list ap)
{
	fputs("dmabufctl: ", stderr);
	if (cmd_name)
		fprintf(stderr, "%s: ", cmd_name);
	if (what) {
		fprint_escaped(stderr, what);
		fputs(": ", stderr);
	}
	if (fmt) {
		vfprintf(stderr, fmt, ap);
		if (err)
			fputs(": ", stderr);
	}
	if (err)
		fputs(strerror(err), stderr);
	if (detail && *detail)
		fprintf(stderr, " (%s)", detail);
	fputc('\n', stderr);
}

/* "dmabufctl: CMD: WHAT: strerror(err) (detail)"; returns EXIT_FAILURE. */
int fail(const char *what, int err, const char *detail)
{
	va_list ap = { 0 };

	verr(what, err < 0 ? -err : err, detail, NULL, ap);
	return EXIT_FAILURE;
}

/* "dmabufctl: CMD: message" */
_printf_(1, 2) int failf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verr(NULL, 0, NULL, fmt, ap);
	va_end(ap);
	return EXIT_FAILURE;
}

/* A failed library call: the daemon's explanation goes in parentheses,
 * unless it only repeats the errno text. */
int fail_lib(const char *what, int r)
{
	const char *detail = dmabuffs_last_error();

	if (detail && !strcmp(detail, strerror(-r)))
		detail = NULL;
	return fail(what, r, detail);
}

void fprint_escaped(FILE *f, const char *s)
{
	_cleanup_free_ char *esc = name_escape(s, strlen(s));

	fputs(esc ? esc : "?", f);
}

/* ------------------------------------------------------------ usage */

const char usage_text[] =
	"Usage: dmabufctl [--mount DIR] COMMAND [ARGS...]\n"
	"\n"
	"Commands:\n"
	"  list [--json]                       list the buffers in the mount (asks the\n"
	"                                      daemon over the control socket, else reads\n"
	"                                      the mount)\n"
	"  info [--json] FILE                  show a buffer's attributes\n"
	"  alloc [--backend B] SIZE NAME       allocate a new buffer (SIZE: 4096, 64K, 2M, 1G)\n"
	"  publish [--transient] [--iomem 0|1] --fd N NAME\n"
	"  publish [--transient] [--iomem 0|1] FILE NAME\n"
	"                                      publish a dma-buf fd, or the file FILE\n"
	"      [--format F --width W --height H [--modifier M] --plane OFFSET:STRIDE...]\n"
	"                                      with its image layout (one --plane per plane)\n"
	"  unpublish NAME                      remove a published buffer\n"
	"  export NAME [--] [CMD [ARGS...]]    run CMD with a new dma-buf fd ($DMABUF_FD),\n"
	"                                      or show what the exported fd is\n"
	"  import --pid P --fd N [--transient] [--iomem 0|1] NAME\n"
	"                                      take fd N of process P and publish it\n"
	"  set-iomem FILE 0|1                  override a buffer's map flag\n"
	"  snapshot FILE -o OUT.png [--format F] [--width W] [--height H] [--stride S]\n"
	"           [--plane OFFSET:STRIDE]... [--modifier M] [--matrix bt601|bt709]\n"
	"           [--range limited|full]\n"
	"                                      save a buffer's pixels as PNG (RGB, 10-bit,\n"
	"                                      YUV: NV12, YUYV, YU12, P010, ...)\n"
	"  top [--json] [--interval SECONDS] [--by process|cgroup|exporter|buffer]\n"
	"                                      memory held per process, cgroup and exporter\n"
	"  watch [--json] [--interval SECONDS] one line per change: appeared, holder-added,\n"
	"                                      holder-gone, renamed, freed\n"
	"  metrics [--top N]                   top's figures in Prometheus text format (the N\n"
	"                                      biggest processes, default 10, then \"other\")\n"
	"\n"
	"Options:\n"
	"  --mount DIR     the dmabuffs mount (default $DMABUFFS_MOUNT, else " DEFAULT_MOUNT ")\n"
	"  -h, --help      show this help\n"
	"  --version       show the version\n"
	"\n"
	"FILE is a path, or a bare buffer name under the mount.\n"
	"The control socket is $DMABUFFS_CONTROL, else /run/dmabuffs/control.\n"
	"See dmabufctl(1).\n";

int usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("dmabufctl: ", stderr);
	if (cmd_name)
		fprintf(stderr, "%s: ", cmd_name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'dmabufctl --help' for more information.\n");
	return EXIT_USAGE;
}

/* ------------------------------------------------------------ helpers */

const char *mount_dir(void)
{
	const char *m = arg_mount;

	if (!m || !*m)
		m = getenv("DMABUFFS_MOUNT");
	return m && *m ? m : DEFAULT_MOUNT;
}

/* A bare name lives under the mount; anything with a slash is a path. */
char *resolve_file(const char *file)
{
	char *p;

	if (strchr(file, '/'))
		return strdup(file);
	if (asprintf(&p, "%s/%s", mount_dir(), file) < 0)
		return NULL;
	return p;
}

const char *basename_of(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

/* A small xattr value as a NUL-terminated string; -errno (-ENODATA when
 * the attribute is not set). */
int get_xattr(const char *path, const char *name, char *buf, size_t bufsz)
{
	ssize_t n = getxattr(path, name, buf, bufsz - 1);

	if (n < 0)
		return -errno;
	buf[n] = '\0';
	/* Values are text; some writers include the NUL, or a newline. */
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\0'))
		buf[--n] = '\0';
	return 0;
}

int parse_int_arg(const char *s, int *out)
{
	uint64_t v;

	if (parse_u64(s, 10, &v) < 0 || v > INT_MAX)
		return -EINVAL;
	*out = (int)v;
	return 0;
}

int parse_iomem_arg(const char *s, unsigned int *flags)
{
	if (!strcmp(s, "1"))
		*flags |= DMABUFFS_PUBLISH_IOMEM;
	else if (!strcmp(s, "0"))
		*flags |= DMABUFFS_PUBLISH_SYSMEM;
	else
		return -EINVAL;
	return 0;
}

void owner_name(uid_t uid, char *buf, size_t bufsz)
{
	struct passwd *pw = getpwuid(uid);

	if (pw)
		snprintf(buf, bufsz, "%s", pw->pw_name);
	else
		snprintf(buf, bufsz, "%u", (unsigned int)uid);
}

void group_name(gid_t gid, char *buf, size_t bufsz)
{
	struct group *gr = getgrgid(gid);

	if (gr)
		snprintf(buf, bufsz, "%s", gr->gr_name);
	else
		snprintf(buf, bufsz, "%u", (unsigned int)gid);
}

/* Handles the options every subcommand shares; returns -1 when the caller
 * should go on, or an exit status. */
int common_opt(int c)
{
	switch (c) {
	case OPT_MOUNT:
		arg_mount = optarg;
		return -1;
	case 'h':
		fputs(usage_text, stdout);
		return EXIT_SUCCESS;
	case '?':
		return EXIT_USAGE; /* getopt printed why */
	default:
		return -1;
	}
}

/* ------------------------------------------------------------ main */

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
} commands[] = {
	/* One command a line. */
	/* clang-format off */
	{ "list", cmd_list },
	{ "info", cmd_info },
	{ "alloc", cmd_alloc },
	{ "publish", cmd_publish },
	{ "unpublish", cmd_unpublish },
	{ "export", cmd_export },
	{ "import", cmd_import },
	{ "set-iomem", cmd_set_iomem },
	{ "snapshot", cmd_snapshot },
	{ "top", cmd_top },
	{ "watch", cmd_watch },
	{ "metrics", cmd_metrics },
	/* clang-format on */
};

int main(int argc, char **argv)
{
	static const struct option opts[] = { COMMON_OPTS,
					      { "version", no_argument, NULL, 'V' },
					      {} };
	int c, r;

	/* '+': global options come before the command. */
	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		if (c == 'V') {
			printf("dmabufctl " PACKAGE_VERSION "\n");
			return EXIT_SUCCESS;
		}
		if ((r = common_opt(c)) >= 0)
			return r;
	}
	if (optind >= argc)
		return usage_error("no command given");

	for (size_t i = 0; i < ARRAY_SIZE(commands); i++) {
		if (strcmp(argv[optind], commands[i].name))
			continue;
		cmd_name = commands[i].name;
		argc -= optind;
		argv += optind;
		optind = 0; /* glibc: restart option parsing from argv[1] */
		return commands[i].fn(argc, argv);
	}
	return usage_error("unknown command '%s'", argv[optind]);
}
