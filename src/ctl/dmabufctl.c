// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * dmabufctl: inspect and manage the buffers of a dmabuffs mount.
 *
 * Everything that the tree can do (list, info, alloc, set-iomem, snapshot)
 * goes through the mounted files, like any other program would; only
 * publish/unpublish/export/import need the control socket (libdmabuffs).
 *
 * Exit status: 0 success, 1 failure, 2 usage error.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <inttypes.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include "ctl/snapshot.h"
#include "dmabuffs/client.h"
#include "shared/fdinfo.h"
#include "shared/macro.h"
#include "shared/names.h"
#include "shared/util.h"

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif

#define EXIT_USAGE 2
#define DEFAULT_MOUNT "/run/dmabuf"
#define XATTR_PREFIX "user.dmabuf."

static const char *arg_mount;
static const char *cmd_name = NULL; /* the running subcommand, for messages */

/* ------------------------------------------------------------ messages */

static void verr(const char *what, int err, const char *detail, const char *fmt,
		 va_list ap)
{
	fputs("dmabufctl: ", stderr);
	if (cmd_name)
		fprintf(stderr, "%s: ", cmd_name);
	if (what)
		fprintf(stderr, "%s: ", what);
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
static int fail(const char *what, int err, const char *detail)
{
	va_list ap = { 0 };

	verr(what, err < 0 ? -err : err, detail, NULL, ap);
	return EXIT_FAILURE;
}

/* "dmabufctl: CMD: message" */
_printf_(1, 2) static int failf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verr(NULL, 0, NULL, fmt, ap);
	va_end(ap);
	return EXIT_FAILURE;
}

/* A failed library call: the daemon's explanation goes in parentheses,
 * unless it only repeats the errno text. */
static int fail_lib(const char *what, int r)
{
	const char *detail = dmabuffs_last_error();

	if (detail && !strcmp(detail, strerror(-r)))
		detail = NULL;
	return fail(what, r, detail);
}

/* ------------------------------------------------------------ usage */

static const char usage_text[] =
	"Usage: dmabufctl [--mount DIR] COMMAND [ARGS...]\n"
	"\n"
	"Commands:\n"
	"  list [--json]                       list the buffers in the mount\n"
	"  info FILE                           show a buffer's attributes\n"
	"  alloc [--backend B] SIZE NAME       allocate a new buffer (SIZE: 4096, 64K, 2M, 1G)\n"
	"  publish [--transient] [--iomem 0|1] --fd N NAME\n"
	"  publish [--transient] [--iomem 0|1] FILE NAME\n"
	"                                      publish a dma-buf fd, or the file FILE\n"
	"  unpublish NAME                      remove a published buffer\n"
	"  export NAME [--] [CMD [ARGS...]]    run CMD with a new dma-buf fd ($DMABUF_FD),\n"
	"                                      or show what the exported fd is\n"
	"  import --pid P --fd N [--transient] [--iomem 0|1] NAME\n"
	"                                      take fd N of process P and publish it\n"
	"  set-iomem FILE 0|1                  override a buffer's map flag\n"
	"  snapshot FILE -o OUT.png [--format F] [--width W] [--height H] [--stride S]\n"
	"                                      save a buffer's pixels as PNG\n"
	"\n"
	"Options:\n"
	"  --mount DIR     the dmabuffs mount (default $DMABUFFS_MOUNT, else " DEFAULT_MOUNT ")\n"
	"  -h, --help      show this help\n"
	"  --version       show the version\n"
	"\n"
	"FILE is a path, or a bare buffer name under the mount.\n"
	"The control socket is $DMABUFFS_CONTROL, else /run/dmabuffs/control.\n"
	"See dmabufctl(1).\n";

static int usage_error(const char *fmt, ...) _printf_(1, 2);
static int usage_error(const char *fmt, ...)
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

static const char *mount_dir(void)
{
	const char *m = arg_mount;

	if (!m || !*m)
		m = getenv("DMABUFFS_MOUNT");
	return m && *m ? m : DEFAULT_MOUNT;
}

/* A bare name lives under the mount; anything with a slash is a path. */
static char *resolve_file(const char *file)
{
	char *p;

	if (strchr(file, '/'))
		return strdup(file);
	if (asprintf(&p, "%s/%s", mount_dir(), file) < 0)
		return NULL;
	return p;
}

static const char *basename_of(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

/* A small xattr value as a NUL-terminated string; -errno (-ENODATA when
 * the attribute is not set). */
static int get_xattr(const char *path, const char *name, char *buf, size_t bufsz)
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

static int parse_int_arg(const char *s, int *out)
{
	uint64_t v;

	if (parse_u64(s, 10, &v) < 0 || v > INT_MAX)
		return -EINVAL;
	*out = (int)v;
	return 0;
}

static int parse_iomem_arg(const char *s, unsigned int *flags)
{
	if (!strcmp(s, "1"))
		*flags |= DMABUFFS_PUBLISH_IOMEM;
	else if (!strcmp(s, "0"))
		*flags |= DMABUFFS_PUBLISH_SYSMEM;
	else
		return -EINVAL;
	return 0;
}

static void owner_name(uid_t uid, char *buf, size_t bufsz)
{
	struct passwd *pw = getpwuid(uid);

	if (pw)
		snprintf(buf, bufsz, "%s", pw->pw_name);
	else
		snprintf(buf, bufsz, "%u", (unsigned int)uid);
}

static void group_name(gid_t gid, char *buf, size_t bufsz)
{
	struct group *gr = getgrgid(gid);

	if (gr)
		snprintf(buf, bufsz, "%s", gr->gr_name);
	else
		snprintf(buf, bufsz, "%u", (unsigned int)gid);
}

/*
 * JSON strings: escape what JSON requires, and any byte that is not part of
 * valid UTF-8 (names are bytes; the output must stay valid JSON).
 */
static size_t utf8_seq_len(const unsigned char *s)
{
	unsigned char c = s[0];
	size_t n;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4;
	else
		return 0;
	for (size_t i = 1; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return n;
}

static void json_string(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	fputc('"', f);
	while (*p) {
		size_t n;

		switch (*p) {
		case '"':
			fputs("\\\"", f);
			p++;
			continue;
		case '\\':
			fputs("\\\\", f);
			p++;
			continue;
		case '\n':
			fputs("\\n", f);
			p++;
			continue;
		case '\t':
			fputs("\\t", f);
			p++;
			continue;
		case '\r':
			fputs("\\r", f);
			p++;
			continue;
		}
		if (*p < 0x20 || *p == 0x7f) {
			fprintf(f, "\\u%04x", *p);
			p++;
			continue;
		}
		n = utf8_seq_len(p);
		if (n == 0) {
			/* Not UTF-8: show the byte as U+00XX. */
			fprintf(f, "\\u%04x", *p);
			p++;
			continue;
		}
		fwrite(p, 1, n, f);
		p += n;
	}
	fputc('"', f);
}

static void json_string_or_null(FILE *f, const char *s)
{
	if (s)
		json_string(f, s);
	else
		fputs("null", f);
}

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
static int common_opt(int c)
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

/* ------------------------------------------------------------ list */

struct entry {
	char *name;
	struct stat st;
	char exporter[64];
	char iomem[16];
	char origin[32];
	char inode[32];
	bool has_exporter, has_iomem, has_origin, has_inode;
};

static void entry_load(struct entry *e, const char *dir)
{
	_cleanup_free_ char *path = NULL;

	if (asprintf(&path, "%s/%s", dir, e->name) < 0)
		return;
	e->has_exporter = get_xattr(path, XATTR_PREFIX "exporter", e->exporter,
				    sizeof(e->exporter)) == 0;
	e->has_iomem = get_xattr(path, XATTR_PREFIX "iomem", e->iomem,
				 sizeof(e->iomem)) == 0;
	e->has_origin = get_xattr(path, XATTR_PREFIX "origin", e->origin,
				  sizeof(e->origin)) == 0;
	e->has_inode = get_xattr(path, XATTR_PREFIX "inode", e->inode,
				 sizeof(e->inode)) == 0;
}

static bool all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s))
			return false;
	return true;
}

static void list_json(struct entry *ents, size_t n)
{
	fputs("[", stdout);
	for (size_t i = 0; i < n; i++) {
		struct entry *e = &ents[i];
		char owner[64];

		owner_name(e->st.st_uid, owner, sizeof(owner));
		fputs(i ? ",\n  {" : "\n  {", stdout);
		fputs("\"name\": ", stdout);
		json_string(stdout, e->name);
		printf(", \"size\": %" PRIu64, (uint64_t)e->st.st_size);
		fputs(", \"exporter\": ", stdout);
		json_string_or_null(stdout, e->has_exporter ? e->exporter : NULL);
		fputs(", \"iomem\": ", stdout);
		if (e->has_iomem && (!strcmp(e->iomem, "0") || !strcmp(e->iomem, "1")))
			fputs(e->iomem, stdout);
		else
			json_string_or_null(stdout, e->has_iomem ? e->iomem : NULL);
		fputs(", \"origin\": ", stdout);
		json_string_or_null(stdout, e->has_origin ? e->origin : NULL);
		fputs(", \"owner\": ", stdout);
		json_string(stdout, owner);
		printf(", \"uid\": %u, \"gid\": %u, \"mode\": \"%04o\"",
		       (unsigned int)e->st.st_uid, (unsigned int)e->st.st_gid,
		       (unsigned int)(e->st.st_mode & 07777));
		fputs(", \"inode\": ", stdout);
		if (e->has_inode && all_digits(e->inode))
			fputs(e->inode, stdout);
		else
			json_string_or_null(stdout, e->has_inode ? e->inode : NULL);
		fputs("}", stdout);
	}
	fputs(n ? "\n]\n" : "]\n", stdout);
}

/* Names are bytes: a control character must not reach the terminal. */
static bool needs_escape(unsigned char c)
{
	return c < 0x20 || c == 0x7f || c == '\\';
}

static int escaped_width(const char *s)
{
	int n = 0;

	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		n += needs_escape(*p) ? 4 : (*p & 0xc0) != 0x80;
	return n;
}

static void print_escaped(const char *s, int width)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (needs_escape(*p))
			printf("\\x%02x", *p);
		else
			putchar(*p);
	}
	for (int n = escaped_width(s); n < width; n++)
		putchar(' ');
}

static void list_table(struct entry *ents, size_t n)
{
	int w = 4;

	for (size_t i = 0; i < n; i++)
		w = MAX(w, escaped_width(ents[i].name));
	w = MIN(w, 40);
	printf("%-*s %12s %-12s %-5s %-10s %s\n", w, "NAME", "SIZE", "EXPORTER",
	       "IOMEM", "ORIGIN", "OWNER");
	for (size_t i = 0; i < n; i++) {
		struct entry *e = &ents[i];
		char owner[64];

		owner_name(e->st.st_uid, owner, sizeof(owner));
		print_escaped(e->name, w);
		printf(" %12" PRIu64 " %-12s %-5s %-10s %s\n",
		       (uint64_t)e->st.st_size,
		       e->has_exporter ? e->exporter : "-",
		       e->has_iomem ? e->iomem : "-",
		       e->has_origin ? e->origin : "-", owner);
	}
}

static int cmd_list(int argc, char **argv)
{
	static const struct option opts[] = {
		COMMON_OPTS,
		{ "json", no_argument, NULL, OPT_JSON },
		{}
	};
	struct dirent **names = NULL;
	struct entry *ents = NULL;
	bool json = false;
	const char *dir;
	size_t n = 0;
	int c, r, dfd, count;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (c == OPT_JSON)
			json = true;
		else if ((r = common_opt(c)) >= 0)
			return r;
	}
	if (optind != argc)
		return usage_error("unexpected argument '%s'", argv[optind]);

	dir = mount_dir();
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return fail(dir, errno, NULL);
	count = scandir(dir, &names, NULL, alphasort);
	if (count < 0) {
		r = errno;
		close(dfd);
		return fail(dir, r, NULL);
	}
	ents = calloc((size_t)count + 1, sizeof(*ents));
	if (!ents) {
		close(dfd);
		return fail(NULL, ENOMEM, NULL);
	}
	for (int i = 0; i < count; i++) {
		struct entry *e = &ents[n];
		const char *name = names[i]->d_name;

		/* Only buffers: the root's directories (by-inode, new, proc)
		 * and any symlinks are not. */
		if (names[i]->d_type != DT_REG && names[i]->d_type != DT_UNKNOWN)
			continue;
		if (fstatat(dfd, name, &e->st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    !S_ISREG(e->st.st_mode))
			continue;
		e->name = (char *)name;
		entry_load(e, dir);
		n++;
	}
	close(dfd);

	if (json)
		list_json(ents, n);
	else
		list_table(ents, n);

	for (int i = 0; i < count; i++)
		free(names[i]);
	free(names);
	free(ents);
	return fflush(stdout) == 0 ? EXIT_SUCCESS : fail("stdout", errno, NULL);
}

/* ------------------------------------------------------------ info */

static void print_value(const char *key, const char *val, size_t len)
{
	printf("%s: ", key);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)val[i];

		/* A trailing NUL or newline is how some tools store text. */
		if ((c == '\0' || c == '\n') && i == len - 1)
			break;
		if (isprint(c))
			putchar(c);
		else
			printf("\\x%02x", c);
	}
	putchar('\n');
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int cmd_info(int argc, char **argv)
{
	static const struct option opts[] = { COMMON_OPTS, {} };
	_cleanup_free_ char *path = NULL, *list = NULL;
	char owner[64], group[64], when[64];
	const char **keys = NULL;
	size_t nkeys = 0;
	struct stat st;
	struct tm tm;
	ssize_t len;
	int c, r;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1)
		if ((r = common_opt(c)) >= 0)
			return r;
	if (argc - optind != 1)
		return usage_error("expected one FILE");

	path = resolve_file(argv[optind]);
	if (!path)
		return fail(NULL, ENOMEM, NULL);
	if (stat(path, &st) < 0)
		return fail(path, errno, NULL);

	owner_name(st.st_uid, owner, sizeof(owner));
	group_name(st.st_gid, group, sizeof(group));
	localtime_r(&st.st_mtime, &tm);
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S %z", &tm);

	printf("file: %s\n", path);
	printf("size: %" PRIu64 "\n", (uint64_t)st.st_size);
	printf("mode: %04o\n", (unsigned int)(st.st_mode & 07777));
	printf("owner: %s (%u)\n", owner, (unsigned int)st.st_uid);
	printf("group: %s (%u)\n", group, (unsigned int)st.st_gid);
	printf("ino: %" PRIu64 "\n", (uint64_t)st.st_ino);
	printf("mtime: %s\n", when);

	/* listxattr can race with a new attribute: retry on ERANGE. */
	for (;;) {
		len = listxattr(path, NULL, 0);
		if (len < 0)
			return fail(path, errno, "listxattr");
		free(list);
		list = malloc((size_t)len + 1);
		if (!list)
			return fail(NULL, ENOMEM, NULL);
		len = listxattr(path, list, (size_t)len);
		if (len >= 0)
			break;
		if (errno != ERANGE)
			return fail(path, errno, "listxattr");
	}
	for (ssize_t off = 0; off < len; off += (ssize_t)strlen(list + off) + 1)
		nkeys++;
	keys = calloc(nkeys + 1, sizeof(*keys));
	if (!keys)
		return fail(NULL, ENOMEM, NULL);
	nkeys = 0;
	for (ssize_t off = 0; off < len; off += (ssize_t)strlen(list + off) + 1)
		if (!strncmp(list + off, XATTR_PREFIX, strlen(XATTR_PREFIX)))
			keys[nkeys++] = list + off;
	qsort(keys, nkeys, sizeof(*keys), cmp_str);

	for (size_t i = 0; i < nkeys; i++) {
		char val[4096];
		ssize_t n = getxattr(path, keys[i], val, sizeof(val));

		if (n < 0) {
			/* Gone since listxattr, or a value we cannot show. */
			if (errno != ENODATA)
				fprintf(stderr, "dmabufctl: info: %s: %s: %s\n",
					path, keys[i], strerror(errno));
			continue;
		}
		print_value(keys[i], val, (size_t)n);
	}
	free(keys);
	return fflush(stdout) == 0 ? EXIT_SUCCESS : fail("stdout", errno, NULL);
}

/* ------------------------------------------------------------ alloc */

static int cmd_alloc(int argc, char **argv)
{
	static const struct option opts[] = {
		COMMON_OPTS,
		{ "backend", required_argument, NULL, OPT_BACKEND },
		{}
	};
	_cleanup_free_ char *path = NULL;
	_cleanup_close_ int fd = -1;
	const char *backend = NULL, *name;
	uint64_t size;
	struct stat st;
	int c, r;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (c == OPT_BACKEND)
			backend = optarg;
		else if ((r = common_opt(c)) >= 0)
			return r;
	}
	if (argc - optind != 2)
		return usage_error("expected SIZE NAME");
	if (parse_size(argv[optind], &size) < 0 || size == 0 || size > INT64_MAX)
		return usage_error("invalid size '%s' (a number of bytes, "
				   "with an optional K, M or G suffix)",
				   argv[optind]);
	name = argv[optind + 1];
	r = name_validate(name, strlen(name));
	if (r < 0)
		return fail(name, r, "invalid buffer name");
	if (backend && (!*backend || strchr(backend, '/') ||
			!strcmp(backend, ".") || !strcmp(backend, "..")))
		return usage_error("invalid backend '%s'", backend);

	if (backend)
		r = asprintf(&path, "%s/new/%s/%s", mount_dir(), backend, name);
	else
		r = asprintf(&path, "%s/%s", mount_dir(), name);
	if (r < 0)
		return fail(NULL, ENOMEM, NULL);

	/* 0666: the daemon applies its own umask (mount option) like a disk
	 * filesystem applies the process's. */
	fd = open(path, O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0666);
	if (fd < 0) {
		r = errno;
		if (r == ENOENT && backend)
			return fail(path, r, "no such backend in this mount?");
		return fail(path, r, r == EEXIST ? "name already exists" : NULL);
	}
	if (ftruncate(fd, (off_t)size) < 0) {
		r = errno;
		/* Leave no empty file behind a failed allocation. */
		close(TAKE_FD(fd));
		/* The new file shows up in the root, whichever directory
		 * created it. */
		free(path);
		path = NULL;
		if (asprintf(&path, "%s/%s", mount_dir(), name) >= 0)
			unlink(path);
		return fail(name, r, "allocating the buffer");
	}
	if (fstat(fd, &st) < 0)
		return fail(path, errno, NULL);
	printf("%s %" PRIu64 "\n", name, (uint64_t)st.st_size);
	return fflush(stdout) == 0 ? EXIT_SUCCESS : fail("stdout", errno, NULL);
}

/* ------------------------------------------------------------ publish */

/*
 * A transient buffer lives as long as our connection to the daemon, so we
 * stay until told to go. The signals are blocked before publishing so that
 * one arriving early is not lost.
 */
static void block_exit_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGHUP);
	sigprocmask(SIG_BLOCK, set, NULL);
}

static int hold_until_signal(const sigset_t *set)
{
	int sig;

	while (sigwait(set, &sig) != 0)
		;
	return EXIT_SUCCESS;
}

static int do_publish(int fd, const char *name, unsigned int flags)
{
	sigset_t set;
	int r;

	if (flags & DMABUFFS_PUBLISH_TRANSIENT)
		block_exit_signals(&set);
	r = dmabuffs_publish(fd, name, flags);
	if (r < 0)
		return fail_lib(name, r);
	printf("published %s\n", name);
	if (fflush(stdout) != 0)
		return fail("stdout", errno, NULL);
	if (flags & DMABUFFS_PUBLISH_TRANSIENT)
		return hold_until_signal(&set);
	return EXIT_SUCCESS;
}

static int cmd_publish(int argc, char **argv)
{
	static const struct option opts[] = {
		COMMON_OPTS,
		{ "transient", no_argument, NULL, OPT_TRANSIENT },
		{ "iomem", required_argument, NULL, OPT_IOMEM },
		{ "fd", required_argument, NULL, OPT_FD },
		{}
	};
	_cleanup_close_ int opened = -1;
	unsigned int flags = 0;
	int c, r, fd = -1;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case OPT_TRANSIENT:
			flags |= DMABUFFS_PUBLISH_TRANSIENT;
			break;
		case OPT_IOMEM:
			if (parse_iomem_arg(optarg, &flags) < 0)
				return usage_error("--iomem takes 0 or 1");
			break;
		case OPT_FD:
			if (parse_int_arg(optarg, &fd) < 0)
				return usage_error("invalid fd '%s'", optarg);
			break;
		default:
			if ((r = common_opt(c)) >= 0)
				return r;
		}
	}

	if (fd >= 0) {
		if (argc - optind != 1)
			return usage_error("expected --fd N NAME");
		if (fcntl(fd, F_GETFD) < 0)
			return failf("fd %d: %s (not inherited from the caller)",
				     fd, strerror(errno));
		return do_publish(fd, argv[optind], flags);
	}

	if (argc - optind != 2)
		return usage_error("expected FILE NAME, or --fd N NAME");
	/* Opening the path makes a new open file: for a memfd's
	 * /proc/PID/fd/N that is the same memory, reopened. */
	opened = open(argv[optind], O_RDWR | O_CLOEXEC);
	if (opened < 0 && (errno == EACCES || errno == EROFS || errno == EPERM ||
			   errno == ETXTBSY))
		opened = open(argv[optind], O_RDONLY | O_CLOEXEC);
	if (opened < 0)
		return fail(argv[optind], errno, NULL);
	return do_publish(opened, argv[optind + 1], flags);
}

static int cmd_unpublish(int argc, char **argv)
{
	static const struct option opts[] = { COMMON_OPTS, {} };
	const char *name;
	int c, r;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1)
		if ((r = common_opt(c)) >= 0)
			return r;
	if (argc - optind != 1)
		return usage_error("expected one NAME");
	name = basename_of(argv[optind]);
	r = dmabuffs_unpublish(name);
	if (r < 0)
		return fail_lib(name, r);
	return EXIT_SUCCESS;
}

/* ------------------------------------------------------------ export */

static int print_fd_info(int fd)
{
	struct dmabuf_fdinfo fi;
	struct stat st;
	char link[PATH_MAX], path[64];
	ssize_t n;

	if (fstat(fd, &st) < 0)
		return fail("fstat", errno, NULL);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, link, sizeof(link) - 1);
	link[n > 0 ? n : 0] = '\0';

	printf("fd: %d\n", fd);
	if (fdinfo_read(0, fd, &fi) == 0 && fi.is_dmabuf) {
		printf("size: %" PRIu64 "\n", fi.size);
		printf("exp_name: %s\n", fi.exp_name);
		printf("ino: %" PRIu64 "\n", fi.ino);
		if (fi.name[0])
			printf("name: %s\n", fi.name);
	} else {
		/* Not a dma-buf: a memfd from the memfd backend. */
		printf("size: %" PRIu64 "\n", (uint64_t)st.st_size);
		printf("exp_name: %s\n",
		       !strncmp(link, "/memfd:", 7) ? "memfd" : "none");
		printf("ino: %" PRIu64 "\n", (uint64_t)st.st_ino);
	}
	if (link[0])
		printf("link: %s\n", link);
	return fflush(stdout) == 0 ? EXIT_SUCCESS : fail("stdout", errno, NULL);
}

static int cmd_export(int argc, char **argv)
{
	static const struct option opts[] = { COMMON_OPTS, {} };
	_cleanup_close_ int fd = -1;
	const char *name;
	char num[16];
	int c, r, flags;

	/* '+': stop at NAME, so that CMD's own options are left alone. */
	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1)
		if ((r = common_opt(c)) >= 0)
			return r;
	if (optind >= argc)
		return usage_error("expected NAME [-- CMD [ARGS...]]");
	name = argv[optind++];
	if (optind < argc && !strcmp(argv[optind], "--"))
		optind++;

	fd = dmabuffs_export(name);
	if (fd < 0)
		return fail_lib(name, fd);
	if (optind >= argc)
		return print_fd_info(fd);

	/* The command inherits the fd: clear FD_CLOEXEC on it alone. */
	flags = fcntl(fd, F_GETFD);
	if (flags < 0 || fcntl(fd, F_SETFD, flags & ~FD_CLOEXEC) < 0)
		return fail("fcntl", errno, NULL);
	snprintf(num, sizeof(num), "%d", fd);
	if (setenv("DMABUF_FD", num, 1) < 0)
		return fail("setenv", errno, NULL);
	fflush(NULL);
	execvp(argv[optind], argv + optind);
	r = errno;
	fail(argv[optind], r, NULL);
	/* As env(1) and the shell do. */
	return r == ENOENT ? 127 : 126;
}

/* ------------------------------------------------------------ import */

static int cmd_import(int argc, char **argv)
{
	static const struct option opts[] = {
		COMMON_OPTS,
		{ "pid", required_argument, NULL, OPT_PID },
		{ "fd", required_argument, NULL, OPT_FD },
		{ "transient", no_argument, NULL, OPT_TRANSIENT },
		{ "iomem", required_argument, NULL, OPT_IOMEM },
		{}
	};
	_cleanup_close_ int pidfd = -1, fd = -1;
	unsigned int flags = 0;
	int c, r, pid = -1, target = -1;
	char what[64];

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case OPT_PID:
			if (parse_int_arg(optarg, &pid) < 0 || pid <= 0)
				return usage_error("invalid pid '%s'", optarg);
			break;
		case OPT_FD:
			if (parse_int_arg(optarg, &target) < 0)
				return usage_error("invalid fd '%s'", optarg);
			break;
		case OPT_TRANSIENT:
			flags |= DMABUFFS_PUBLISH_TRANSIENT;
			break;
		case OPT_IOMEM:
			if (parse_iomem_arg(optarg, &flags) < 0)
				return usage_error("--iomem takes 0 or 1");
			break;
		default:
			if ((r = common_opt(c)) >= 0)
				return r;
		}
	}
	if (pid < 0 || target < 0)
		return usage_error("--pid P and --fd N are required");
	if (argc - optind != 1)
		return usage_error("expected one NAME");

	snprintf(what, sizeof(what), "pid %d", pid);
	pidfd = (int)syscall(SYS_pidfd_open, (pid_t)pid, 0u);
	if (pidfd < 0)
		return fail(what, errno, NULL);
	snprintf(what, sizeof(what), "fd %d of pid %d", target, pid);
	fd = (int)syscall(SYS_pidfd_getfd, pidfd, target, 0u);
	if (fd < 0) {
		r = errno;
		if (r == EPERM || r == EACCES)
			return fail(what, r, "taking another process's fd needs "
				    "ptrace rights over it: the same user and "
				    "kernel.yama.ptrace_scope allowing it, or "
				    "CAP_SYS_PTRACE");
		return fail(what, r, NULL);
	}
	/* pidfd_getfd gives O_CLOEXEC already; the copy is ours to publish. */
	return do_publish(fd, argv[optind], flags | DMABUFFS_PUBLISH_IMPORTED);
}

/* ------------------------------------------------------------ set-iomem */

static int cmd_set_iomem(int argc, char **argv)
{
	static const struct option opts[] = { COMMON_OPTS, {} };
	_cleanup_free_ char *path = NULL;
	const char *v;
	int c, r;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1)
		if ((r = common_opt(c)) >= 0)
			return r;
	if (argc - optind != 2)
		return usage_error("expected FILE 0|1");
	v = argv[optind + 1];
	if (strcmp(v, "0") && strcmp(v, "1"))
		return usage_error("the map flag is 0 (system memory) or 1 "
				   "(I/O memory), not '%s'", v);
	path = resolve_file(argv[optind]);
	if (!path)
		return fail(NULL, ENOMEM, NULL);
	if (setxattr(path, XATTR_PREFIX "iomem", v, 1, 0) < 0)
		return fail(path, errno, errno == EPERM ?
			    "only the buffer's owner may change it" : NULL);
	return EXIT_SUCCESS;
}

/* ------------------------------------------------------------ snapshot */

static int meta_u32(const char *path, const char *override, const char *key,
		    uint32_t *out, bool required)
{
	char buf[64], attr[64];
	uint64_t v;
	int r;

	snprintf(attr, sizeof(attr), XATTR_PREFIX "%s", key);
	if (override) {
		snprintf(buf, sizeof(buf), "%s", override);
	} else {
		r = get_xattr(path, attr, buf, sizeof(buf));
		if (r == -ENODATA) {
			if (!required)
				return -ENODATA;
			failf("%s: no %s metadata: set the %s xattr or pass --%s",
			      path, key, attr, key);
			return -ENODATA;
		}
		if (r < 0) {
			failf("%s: %s: %s", path, attr, strerror(-r));
			return r;
		}
	}
	if (parse_u64(buf, 0, &v) < 0 || v == 0 || v > UINT32_MAX) {
		failf("%s: invalid %s '%s'", path, key, buf);
		return -EINVAL;
	}
	*out = (uint32_t)v;
	return 0;
}

static int read_all(int fd, uint8_t *buf, size_t len, size_t *got)
{
	size_t off = 0;

	while (off < len) {
		ssize_t n = RETRY_EINTR(read(fd, buf + off, len - off));

		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		off += (size_t)n;
	}
	*got = off;
	return 0;
}

static int cmd_snapshot(int argc, char **argv)
{
	static const struct option opts[] = {
		COMMON_OPTS,
		{ "output", required_argument, NULL, 'o' },
		{ "format", required_argument, NULL, OPT_FORMAT },
		{ "width", required_argument, NULL, OPT_WIDTH },
		{ "height", required_argument, NULL, OPT_HEIGHT },
		{ "stride", required_argument, NULL, OPT_STRIDE },
		{}
	};
	const char *out_path = NULL, *o_format = NULL, *o_width = NULL,
		   *o_height = NULL, *o_stride = NULL;
	_cleanup_free_ char *path = NULL;
	_cleanup_free_ uint8_t *pixels = NULL;
	_cleanup_close_ int fd = -1;
	const struct snapshot_format *fmt;
	uint32_t width, height, stride;
	char fbuf[64], fcc[5];
	uint64_t need;
	size_t got = 0;
	FILE *out;
	int c, r;

	while ((c = getopt_long(argc, argv, "ho:", opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			out_path = optarg;
			break;
		case OPT_FORMAT:
			o_format = optarg;
			break;
		case OPT_WIDTH:
			o_width = optarg;
			break;
		case OPT_HEIGHT:
			o_height = optarg;
			break;
		case OPT_STRIDE:
			o_stride = optarg;
			break;
		default:
			if ((r = common_opt(c)) >= 0)
				return r;
		}
	}
	if (argc - optind != 1)
		return usage_error("expected FILE -o OUT.png");
	if (!out_path)
		return usage_error("-o OUT.png is required (- for stdout)");
	path = resolve_file(argv[optind]);
	if (!path)
		return fail(NULL, ENOMEM, NULL);

	if (o_format) {
		snprintf(fbuf, sizeof(fbuf), "%s", o_format);
	} else {
		r = get_xattr(path, XATTR_PREFIX "format", fbuf, sizeof(fbuf));
		if (r == -ENODATA)
			return failf("%s: no format metadata: set the "
				     XATTR_PREFIX "format xattr (a DRM fourcc "
				     "like XR24) or pass --format", path);
		if (r < 0)
			return fail(path, r, XATTR_PREFIX "format");
	}
	r = snapshot_parse_format(fbuf, &fmt);
	if (r == -EOPNOTSUPP)
		return failf("%s: pixel format '%s' is not supported (supported: %s)",
			     path, fbuf, snapshot_format_names());
	if (r < 0)
		return failf("%s: '%s' is not a pixel format (supported: %s)", path,
			     fbuf, snapshot_format_names());

	if (meta_u32(path, o_width, "width", &width, true) < 0 ||
	    meta_u32(path, o_height, "height", &height, true) < 0)
		return EXIT_FAILURE;
	/* Without a stride the rows are taken as packed. */
	r = meta_u32(path, o_stride, "stride", &stride, false);
	if (r == -ENODATA)
		stride = width * fmt->cpp;
	else if (r < 0)
		return EXIT_FAILURE;
	if ((uint64_t)width * fmt->cpp > stride)
		return failf("%s: stride %" PRIu32 " is less than width %" PRIu32
			     " x %u bytes", path, stride, width, fmt->cpp);

	need = (uint64_t)stride * (height - 1) + (uint64_t)width * fmt->cpp;
	if (need > SIZE_MAX / 2)
		return failf("%s: image too large", path);

	/* read(), not mmap: I/O memory buffers go through the daemon's
	 * accessor shim this way. */
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return fail(path, errno, NULL);
	pixels = malloc(need);
	if (!pixels)
		return fail(NULL, ENOMEM, NULL);
	r = read_all(fd, pixels, need, &got);
	if (r < 0)
		return fail(path, r, NULL);
	snapshot_fourcc_str(fmt->fourcc, fcc);
	if (got < need)
		return failf("%s: %zu bytes, but %" PRIu32 "x%" PRIu32 " %s at stride "
			     "%" PRIu32 " needs %" PRIu64, path, got, width, height,
			     fcc, stride, need);

	if (!strcmp(out_path, "-")) {
		out = stdout;
	} else {
		out = fopen(out_path, "wbe");
		if (!out)
			return fail(out_path, errno, NULL);
	}
	r = snapshot_write_png(out, pixels, need, fmt, width, height, stride);
	if (out != stdout) {
		if (fclose(out) != 0 && r == 0)
			r = -errno;
		if (r < 0)
			unlink(out_path);
	}
	if (r < 0)
		return fail(out_path, r, "writing the PNG");
	if (out != stdout)
		fprintf(stderr, "%s: %" PRIu32 "x%" PRIu32 " %s -> %s\n", path,
			width, height, fmt->name, out_path);
	return EXIT_SUCCESS;
}

/* ------------------------------------------------------------ main */

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
} commands[] = {
	{ "list", cmd_list },
	{ "info", cmd_info },
	{ "alloc", cmd_alloc },
	{ "publish", cmd_publish },
	{ "unpublish", cmd_unpublish },
	{ "export", cmd_export },
	{ "import", cmd_import },
	{ "set-iomem", cmd_set_iomem },
	{ "snapshot", cmd_snapshot },
};

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		COMMON_OPTS,
		{ "version", no_argument, NULL, 'V' },
		{}
	};
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
