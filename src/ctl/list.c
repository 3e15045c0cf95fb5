// SPDX-License-Identifier: LGPL-2.1-or-later
/* dmabufctl list and info: what the mount holds, read through its files. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include "ctl/ctl.h"
#include "shared/macro.h"

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

int cmd_list(int argc, char **argv)
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

int cmd_info(int argc, char **argv)
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

