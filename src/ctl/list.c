// SPDX-License-Identifier: LGPL-2.1-or-later
/* dmabufctl list and info: what the mount holds, read through its files. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "ctl/ctl.h"
#include "ctl/escape.h"
#include "ctl/list-socket.h"
#include "shared/macro.h"
#include "shared/util.h"

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
	e->has_exporter =
		get_xattr(path, XATTR_PREFIX "exporter", e->exporter, sizeof(e->exporter)) == 0;
	e->has_iomem = get_xattr(path, XATTR_PREFIX "iomem", e->iomem, sizeof(e->iomem)) == 0;
	e->has_origin = get_xattr(path, XATTR_PREFIX "origin", e->origin, sizeof(e->origin)) == 0;
	e->has_inode = get_xattr(path, XATTR_PREFIX "inode", e->inode, sizeof(e->inode)) == 0;
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

/* A small attribute as JSON: a number when it is one, else a string. */
static json_object *json_attr(bool has, const char *v, bool numeric)
{
	_cleanup_free_ char *esc = NULL;

	if (!has)
		return NULL; /* json-c's null */
	if (numeric && all_digits(v)) {
		uint64_t n;

		if (parse_u64(v, 10, &n) == 0 && n <= INT64_MAX)
			return json_object_new_int64((int64_t)n);
	}
	esc = name_escape(v, strlen(v));
	return esc ? json_object_new_string(esc) : NULL;
}

/*
 * "name" is the name as text (name_escape(): valid UTF-8, \xHH for the bytes
 * that are not), "name_hex" its exact bytes: both map back to the file.
 */
static int add_name(json_object *o, const char *key, const char *name)
{
	_cleanup_free_ char *esc = name_escape(name, strlen(name));
	_cleanup_free_ char *hex = hex_encode(name, strlen(name));
	char hexkey[64];

	if (!esc || !hex)
		return -ENOMEM;
	snprintf(hexkey, sizeof(hexkey), "%s_hex", key);
	json_object_object_add(o, key, json_object_new_string(esc));
	json_object_object_add(o, hexkey, json_object_new_string(hex));
	return 0;
}

/* owner_name() reads the user database each time: one lookup per uid, not
 * per buffer, for a listing of thousands owned by a few users. */
static void owner_of(uid_t uid, char *buf, size_t bufsz)
{
	static uid_t last_uid;
	static char last[64];
	static bool have;

	if (!have || uid != last_uid) {
		owner_name(uid, last, sizeof(last));
		last_uid = uid;
		have = true;
	}
	snprintf(buf, bufsz, "%s", last);
}

static int json_print(json_object *doc)
{
	const char *text = json_object_to_json_string_ext(
		doc,
		JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE);

	if (!text)
		return -ENOMEM;
	if (fputs(text, stdout) == EOF || fputc('\n', stdout) == EOF)
		return -EIO;
	return 0;
}

/* source: where the listing came from, "control" (the daemon's LIST) or
 * "mount" (the files), on every buffer so that the document stays an
 * array. */
static int list_json(struct entry *ents, size_t n, const char *source)
{
	json_object *doc = json_object_new_array();
	int r = 0;

	if (!doc)
		return -ENOMEM;
	for (size_t i = 0; i < n && r == 0; i++) {
		struct entry *e = &ents[i];
		json_object *o = json_object_new_object();
		char owner[64], mode[8];

		if (!o) {
			r = -ENOMEM;
			break;
		}
		json_object_array_add(doc, o);
		owner_of(e->st.st_uid, owner, sizeof(owner));
		snprintf(mode, sizeof(mode), "%04o", (unsigned int)(e->st.st_mode & 07777));
		r = add_name(o, "name", e->name);
		json_object_object_add(o, "size", json_object_new_int64(e->st.st_size));
		json_object_object_add(o, "exporter",
				       json_attr(e->has_exporter, e->exporter, false));
		json_object_object_add(o, "iomem", json_attr(e->has_iomem, e->iomem, true));
		json_object_object_add(o, "origin", json_attr(e->has_origin, e->origin, false));
		json_object_object_add(o, "owner", json_attr(true, owner, false));
		json_object_object_add(o, "uid", json_object_new_int64(e->st.st_uid));
		json_object_object_add(o, "gid", json_object_new_int64(e->st.st_gid));
		json_object_object_add(o, "mode", json_object_new_string(mode));
		json_object_object_add(o, "inode", json_attr(e->has_inode, e->inode, true));
		json_object_object_add(o, "source", json_object_new_string(source));
	}
	if (r == 0)
		r = json_print(doc);
	json_object_put(doc);
	return r;
}

/* Whatever came from a name or an attribute is escaped (escape.h), and
 * columns are counted in characters. */
static void print_cell(const char *s, int width)
{
	_cleanup_free_ char *esc = name_escape(s, strlen(s));
	size_t w;

	if (!esc) {
		printf("%-*s", width, "?");
		return;
	}
	fputs(esc, stdout);
	for (w = text_width(esc); w < (size_t)width; w++)
		putchar(' ');
}

static int name_width(const char *s)
{
	_cleanup_free_ char *esc = name_escape(s, strlen(s));

	return esc ? (int)MIN(text_width(esc), (size_t)INT_MAX) : 1;
}

static void list_table(struct entry *ents, size_t n)
{
	int w = 4;

	for (size_t i = 0; i < n; i++)
		w = MAX(w, name_width(ents[i].name));
	w = MIN(w, 40);
	printf("%-*s %12s %-12s %-5s %-10s %s\n", w, "NAME", "SIZE", "EXPORTER", "IOMEM", "ORIGIN",
	       "OWNER");
	for (size_t i = 0; i < n; i++) {
		struct entry *e = &ents[i];
		char owner[64];

		owner_of(e->st.st_uid, owner, sizeof(owner));
		print_cell(e->name, w);
		printf(" %12" PRIu64 " ", (uint64_t)e->st.st_size);
		print_cell(e->has_exporter ? e->exporter : "-", 12);
		putchar(' ');
		print_cell(e->has_iomem ? e->iomem : "-", 5);
		putchar(' ');
		print_cell(e->has_origin ? e->origin : "-", 10);
		putchar(' ');
		print_cell(owner, 0);
		putchar('\n');
	}
}

static void free_entries(struct entry *ents, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(ents[i].name);
	free(ents);
}

/* An optional text field as entry_load() would have read the attribute. */
static bool json_text(json_object *o, const char *key, char *buf, size_t bufsz)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !v)
		return false;
	snprintf(buf, bufsz, "%s", json_object_get_string(v));
	return true;
}

static int64_t json_int(json_object *o, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) ? json_object_get_int64(v) : 0;
}

static int cmp_entry(const void *a, const void *b)
{
	/* What scandir's alphasort does with the names from the mount. */
	return strcoll(((const struct entry *)a)->name, ((const struct entry *)b)->name);
}

struct socket_list {
	struct entry *ents;
	size_t n, cap;
};

/* One buffer of the daemon's listing as entry_load() would have read it. */
static int socket_entry(json_object *o, void *data)
{
	struct socket_list *l = data;
	struct entry *e;

	if (l->n + 1 >= l->cap) {
		size_t c = MAX(l->cap * 2, 64);
		struct entry *v = realloc(l->ents, c * sizeof(*v));

		if (!v)
			return -ENOMEM;
		memset(v + l->cap, 0, (c - l->cap) * sizeof(*v));
		l->ents = v;
		l->cap = c;
	}
	e = &l->ents[l->n];
	e->name = list_hex_name(o);
	if (!e->name)
		return -EPROTO;
	e->st.st_mode = S_IFREG | (mode_t)(json_int(o, "mode") & 07777);
	e->st.st_size = (off_t)json_int(o, "size");
	e->st.st_uid = (uid_t)json_int(o, "uid");
	e->st.st_gid = (gid_t)json_int(o, "gid");
	e->has_exporter = json_text(o, "exporter", e->exporter, sizeof(e->exporter));
	e->has_iomem = json_text(o, "iomem", e->iomem, sizeof(e->iomem));
	e->has_origin = json_text(o, "origin", e->origin, sizeof(e->origin));
	e->has_inode = json_text(o, "inode", e->inode, sizeof(e->inode));
	l->n++;
	return 0;
}

/* The listing from the daemon, if the control socket is reachable and
 * serves dir; -errno otherwise (read the mount instead). */
static int load_socket(const char *dir, struct entry **out, size_t *nout)
{
	struct socket_list l = { 0 };
	int r = list_socket_each(dir, 0, socket_entry, &l);

	if (r < 0) {
		free_entries(l.ents, l.n);
		return r;
	}
	if (l.n)
		qsort(l.ents, l.n, sizeof(*l.ents), cmp_entry);
	*out = l.ents;
	*nout = l.n;
	return 0;
}

/* The listing read through the mount: a stat and four getxattr per file. */
static int load_mount(const char *dir, struct entry **out, size_t *nout)
{
	struct dirent **names = NULL;
	struct entry *ents;
	size_t n = 0;
	int r = 0, dfd, count;

	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -errno;
	count = scandir(dir, &names, NULL, alphasort);
	if (count < 0) {
		r = -errno;
		close(dfd);
		return r;
	}
	ents = calloc((size_t)count + 1, sizeof(*ents));
	for (int i = 0; i < count && ents; i++) {
		struct entry *e = &ents[n];
		const char *name = names[i]->d_name;

		/* Only buffers: the root's directories (by-inode, new, proc)
		 * and any symlinks are not. */
		if (names[i]->d_type != DT_REG && names[i]->d_type != DT_UNKNOWN)
			continue;
		if (fstatat(dfd, name, &e->st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(e->st.st_mode))
			continue;
		e->name = strdup(name);
		if (!e->name) {
			r = -ENOMEM;
			break;
		}
		entry_load(e, dir);
		n++;
	}
	close(dfd);
	for (int i = 0; i < count; i++)
		free(names[i]);
	free(names);
	if (!ents || r < 0) {
		free_entries(ents, n);
		return -ENOMEM;
	}
	*out = ents;
	*nout = n;
	return 0;
}

int cmd_list(int argc, char **argv)
{
	static const struct option opts[] = { COMMON_OPTS,
					      { "json", no_argument, NULL, OPT_JSON },
					      {} };
	struct entry *ents = NULL;
	bool json = false;
	const char *dir, *source = "control";
	size_t n = 0;
	int c, r;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (c == OPT_JSON)
			json = true;
		else if ((r = common_opt(c)) >= 0)
			return r;
	}
	if (optind != argc)
		return usage_error("unexpected argument '%s'", argv[optind]);

	dir = mount_dir();
	/* One request to the daemon that serves dir, else the mount itself
	 * (no daemon socket, another daemon's, or one without LIST). */
	if (load_socket(dir, &ents, &n) < 0) {
		source = "mount";
		r = load_mount(dir, &ents, &n);
		if (r < 0)
			return fail(dir, -r, NULL);
	}

	r = 0;
	if (json)
		r = list_json(ents, n, source);
	else
		list_table(ents, n);
	free_entries(ents, n);
	if (r < 0)
		return fail("stdout", r, "writing the JSON");
	return fflush(stdout) == 0 ? EXIT_SUCCESS : fail("stdout", errno, NULL);
}

/* ------------------------------------------------------------ info */

/* A value as text; a trailing NUL or newline is how some tools store text. */
static char *value_text(const char *val, size_t len)
{
	if (len > 0 && (val[len - 1] == '\0' || val[len - 1] == '\n'))
		len--;
	return name_escape(val, len);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The user.dmabuf.* names of path, sorted, in *list (one allocation). */
static int xattr_keys(const char *path, char **list, const char ***keys, size_t *nkeys)
{
	ssize_t len;
	size_t n = 0;

	/* listxattr can race with a new attribute: retry on ERANGE. */
	for (;;) {
		len = listxattr(path, NULL, 0);
		if (len < 0)
			return -errno;
		free(*list);
		*list = malloc((size_t)len + 1);
		if (!*list)
			return -ENOMEM;
		len = listxattr(path, *list, (size_t)len);
		if (len >= 0)
			break;
		if (errno != ERANGE)
			return -errno;
	}
	(*list)[len] = '\0';
	for (ssize_t off = 0; off < len; off += (ssize_t)strlen(*list + off) + 1)
		n++;
	*keys = calloc(n + 1, sizeof(**keys));
	if (!*keys)
		return -ENOMEM;
	n = 0;
	for (ssize_t off = 0; off < len; off += (ssize_t)strlen(*list + off) + 1)
		if (!strncmp(*list + off, XATTR_PREFIX, strlen(XATTR_PREFIX)))
			(*keys)[n++] = *list + off;
	qsort(*keys, n, sizeof(**keys), cmp_str);
	*nkeys = n;
	return 0;
}

static int info_json(const char *path, const struct stat *st, const char *owner, const char *group,
		     const char **keys, size_t nkeys)
{
	json_object *doc = json_object_new_object(), *attrs;
	char mode[8];
	int r;

	if (!doc)
		return -ENOMEM;
	snprintf(mode, sizeof(mode), "%04o", (unsigned int)(st->st_mode & 07777));
	r = add_name(doc, "file", path);
	json_object_object_add(doc, "size", json_object_new_int64(st->st_size));
	json_object_object_add(doc, "mode", json_object_new_string(mode));
	json_object_object_add(doc, "owner", json_attr(true, owner, false));
	json_object_object_add(doc, "uid", json_object_new_int64(st->st_uid));
	json_object_object_add(doc, "group", json_attr(true, group, false));
	json_object_object_add(doc, "gid", json_object_new_int64(st->st_gid));
	json_object_object_add(doc, "ino", json_object_new_int64((int64_t)st->st_ino));
	json_object_object_add(doc, "mtime", json_object_new_int64(st->st_mtime));
	attrs = json_object_new_object();
	json_object_object_add(doc, "xattrs", attrs);
	for (size_t i = 0; i < nkeys && attrs && r == 0; i++) {
		_cleanup_free_ char *text = NULL;
		char val[4096];
		ssize_t n = getxattr(path, keys[i], val, sizeof(val));

		if (n < 0)
			continue; /* gone since listxattr */
		text = value_text(val, (size_t)n);
		if (!text)
			r = -ENOMEM;
		else
			json_object_object_add(attrs, keys[i] + strlen(XATTR_PREFIX),
					       json_object_new_string(text));
	}
	if (r == 0)
		r = json_print(doc);
	json_object_put(doc);
	return r;
}

int cmd_info(int argc, char **argv)
{
	static const struct option opts[] = { COMMON_OPTS,
					      { "json", no_argument, NULL, OPT_JSON },
					      {} };
	_cleanup_free_ char *path = NULL, *list = NULL, *shown = NULL;
	_cleanup_free_ const char **keys = NULL;
	char owner[64], group[64], when[64];
	bool json = false;
	size_t nkeys = 0;
	struct stat st;
	struct tm tm;
	int c, r;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (c == OPT_JSON)
			json = true;
		else if ((r = common_opt(c)) >= 0)
			return r;
	}
	if (argc - optind != 1)
		return usage_error("expected one FILE");

	path = resolve_file(argv[optind]);
	if (!path)
		return fail(NULL, ENOMEM, NULL);
	if (stat(path, &st) < 0)
		return fail(path, errno, NULL);
	r = xattr_keys(path, &list, &keys, &nkeys);
	if (r < 0)
		return fail(path, r, "listxattr");

	owner_name(st.st_uid, owner, sizeof(owner));
	group_name(st.st_gid, group, sizeof(group));
	if (json) {
		r = info_json(path, &st, owner, group, keys, nkeys);
		if (r < 0)
			return fail("stdout", r, "writing the JSON");
		return fflush(stdout) == 0 ? EXIT_SUCCESS : fail("stdout", errno, NULL);
	}

	localtime_r(&st.st_mtime, &tm);
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S %z", &tm);
	shown = name_escape(path, strlen(path));
	if (!shown)
		return fail(NULL, ENOMEM, NULL);
	printf("file: %s\n", shown);
	printf("size: %" PRIu64 "\n", (uint64_t)st.st_size);
	printf("mode: %04o\n", (unsigned int)(st.st_mode & 07777));
	printf("owner: %s (%u)\n", owner, (unsigned int)st.st_uid);
	printf("group: %s (%u)\n", group, (unsigned int)st.st_gid);
	printf("ino: %" PRIu64 "\n", (uint64_t)st.st_ino);
	printf("mtime: %s\n", when);

	for (size_t i = 0; i < nkeys; i++) {
		_cleanup_free_ char *text = NULL;
		char val[4096];
		ssize_t n = getxattr(path, keys[i], val, sizeof(val));

		if (n < 0) {
			/* Gone since listxattr, or a value we cannot show. */
			if (errno != ENODATA)
				fprintf(stderr, "dmabufctl: info: %s: %s: %s\n", shown, keys[i],
					strerror(errno));
			continue;
		}
		text = value_text(val, (size_t)n);
		printf("%s: %s\n", keys[i], text ? text : "?");
	}
	return fflush(stdout) == 0 ? EXIT_SUCCESS : fail("stdout", errno, NULL);
}
