// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The entries of tree/entry.c on real memfd buffers, without a mount: an
 * entry lives exactly as long as any of its name, the kernel's lookups or
 * open files, whatever order they go in; a control connection that drops
 * takes its transient publications (and only those) with it, telling the
 * kernel; and the state machine unallocated -> staged -> allocated.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "backend/backend.h"
#include "buffer.h"
#include "conf.h"
#include "tree/entry.h"
#include "tree/tree.h"
#include "shared/macro.h"
#include "testsuite.h"

static struct config cfg = {
	.iomem_mode = IOMEM_AUTO,
	.fence_timeout_ms = 100,
	.umask = 0177,
};
static struct backend *be;

/* What the tree told the "kernel". */
static char gone_names[8][256];
static uint64_t gone_inos[8];
static int n_gone;

static void on_gone(const char *name, uint64_t ino, void *data)
{
	ck_assert_ptr_eq(data, &cfg);
	ck_assert_int_lt(n_gone, 8);
	snprintf(gone_names[n_gone], sizeof(gone_names[0]), "%s", name);
	gone_inos[n_gone++] = ino;
}

static void setup(void)
{
	n_gone = 0;
	ck_assert_int_eq(backend_memfd_new(&be), 0);
	tree_init(&cfg, on_gone, &cfg);
}

static void teardown(void)
{
	tree_exit();
	be->ops->destroy(be);
}

static bool alive(uint64_t id)
{
	struct stat st;

	return entry_stat(id, &st, NULL) == 0;
}

static uint64_t id_of(struct entry *e)
{
	struct entry_info info;

	entry_info(e, &info);
	entry_info_clear(&info);
	return info.id;
}

/* A created entry: linked, one lookup, one open. */
static struct entry *create(const char *name, uint64_t *id)
{
	struct entry *e = NULL;
	struct stat st;

	ck_assert_int_eq(entry_create(name, 1000, 1000, 0600, be, &st, &e), 0);
	ck_assert_int_eq(st.st_nlink, 1);
	*id = id_of(e);
	ck_assert_uint_eq(st.st_ino, ino_entry(*id));
	return e;
}

/* A memfd buffer of size bytes, as a publisher hands over. */
static struct buffer *memfd_buffer(size_t size)
{
	struct buffer *buf = NULL;
	int fd = memfd_create("test-tree", MFD_CLOEXEC | MFD_ALLOW_SEALING);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ftruncate(fd, (off_t)size), 0);
	ck_assert_int_eq(buffer_new(fd, NULL, IOMEM_AUTO, &buf), 0);
	return buf;
}

/* ------------------------------------------------------------ lifetime */

/*
 * Every combination of link (0, 1) x lookups (0..2) x opens (0..2), then
 * dropped one reference at a time, names first or opens first: the entry
 * is alive exactly while one remains.
 */
START_TEST(lifetime_matrix)
{
	int link = _i & 1, lookups = (_i >> 1) % 3, opens = (_i >> 1) / 3 % 3;
	bool opens_first = _i >= 18;
	struct entry *e = NULL, *o;
	struct stat st;
	uint64_t id;

	e = create("matrix", &id);
	for (int i = 1; i < lookups; i++)
		ck_assert_int_eq(entry_lookup("matrix", &st, NULL), 0);
	for (int i = 1; i < opens; i++) {
		ck_assert_int_eq(entry_open(id, &o), 0);
		ck_assert_ptr_eq(o, e);
	}
	if (lookups == 0)
		entry_forget(id, 1);
	if (!link)
		ck_assert_int_eq(entry_unlink("matrix"), 0);
	if (opens == 0)
		entry_release(e);
	ck_assert_int_eq(alive(id), link + lookups + opens > 0);

	while (link + lookups + opens > 0) {
		if (opens_first && opens) {
			entry_release(e);
			opens--;
		} else if (link) {
			ck_assert_int_eq(entry_unlink("matrix"), 0);
			link = 0;
		} else if (lookups) {
			entry_forget(id, 1);
			lookups--;
		} else {
			entry_release(e);
			opens--;
		}
		ck_assert_msg(alive(id) == (link + lookups + opens > 0),
			      "link %d lookups %d opens %d: alive %d", link, lookups, opens,
			      alive(id));
		if (alive(id)) {
			ck_assert_int_eq(entry_stat(id, &st, NULL), 0);
			ck_assert_int_eq(st.st_nlink, link);
		}
	}
	ck_assert_int_eq(entry_lookup("matrix", &st, NULL), -ENOENT);
}
END_TEST

START_TEST(lifetime_forget_clamps)
{
	uint64_t id;
	struct entry *e = create("clamp", &id);

	entry_release(e);
	ck_assert_int_eq(entry_unlink("clamp"), 0);
	ck_assert(alive(id));
	entry_forget(id, 100); /* more than counted: frees once, not below 0 */
	ck_assert(!alive(id));
	entry_forget(id, 1); /* an id that is gone: nothing happens */
	ck_assert_int_eq(entry_unlink("clamp"), -ENOENT);
}
END_TEST

START_TEST(lifetime_rename_over_open_victim)
{
	uint64_t a, b;
	struct entry *ea = create("a", &a), *eb = create("b", &b);
	struct stat st;

	ck_assert_int_eq(entry_rename("a", "b", true), -EEXIST);
	ck_assert_int_eq(entry_rename("a", "b", false), 0);
	/* The victim lost its name, but the kernel's lookup and the open
	 * file still hold it. */
	ck_assert_int_eq(entry_stat(b, &st, NULL), 0);
	ck_assert_int_eq(st.st_nlink, 0);
	ck_assert_int_eq(entry_lookup("b", &st, NULL), 0);
	ck_assert_uint_eq(st.st_ino, ino_entry(a));
	entry_release(eb);
	ck_assert(alive(b));
	entry_forget(b, 1);
	ck_assert(!alive(b));
	entry_release(ea);
	entry_forget(a, 2);
	ck_assert(alive(a)); /* still linked, as "b" */
	ck_assert_int_eq(entry_unlink("b"), 0);
	ck_assert(!alive(a));
}
END_TEST

/* ------------------------------------------------------------ connections */

START_TEST(conn_drop_unlinks_only_its_transients)
{
	const char *names[] = { "t1", "t2", "persistent", "other-conn" };
	const uint64_t conns[] = { 7, 7, 0, 8 };
	uint64_t inos[4];
	struct stat st;

	for (int i = 0; i < 4; i++) {
		struct buffer *buf = memfd_buffer(4096);

		ck_assert_int_eq(
			tree_publish(buf, names[i], 1000, 1000, -1, conns[i], ORIGIN_PUBLISHED), 0);
		buffer_unref(buf);
		ck_assert_int_eq(entry_lookup(names[i], &st, NULL), 0);
		inos[i] = st.st_ino;
		entry_forget(ino_id(inos[i]), 1);
	}
	tree_drop_conn(7);
	ck_assert_int_eq(entry_lookup("t1", &st, NULL), -ENOENT);
	ck_assert_int_eq(entry_lookup("t2", &st, NULL), -ENOENT);
	ck_assert_int_eq(n_gone, 2);
	for (int i = 0; i < 2; i++) {
		int j = strcmp(gone_names[i], "t1") == 0 ? 0 : 1;

		ck_assert_str_eq(gone_names[i], names[j]);
		ck_assert_uint_eq(gone_inos[i], inos[j]);
	}
	ck_assert_str_ne(gone_names[0], gone_names[1]);
	ck_assert_int_eq(entry_lookup("persistent", &st, NULL), 0);
	ck_assert_int_eq(entry_lookup("other-conn", &st, NULL), 0);
	tree_drop_conn(7); /* nothing left of it */
	ck_assert_int_eq(n_gone, 2);
}
END_TEST

START_TEST(conn_drop_keeps_open_file)
{
	struct buffer *buf = memfd_buffer(4096);
	struct entry *e;
	struct stat st;
	char data[6] = "";
	uint64_t id;

	ck_assert_int_eq(buffer_write(buf, "hello", 5, 0, false, 0), 5);
	ck_assert_int_eq(tree_publish(buf, "t", 1000, 1000, -1, 42, ORIGIN_PUBLISHED), 0);
	buffer_unref(buf);
	ck_assert_int_eq(entry_lookup("t", &st, NULL), 0);
	id = ino_id(st.st_ino);
	ck_assert_int_eq(entry_open(id, &e), 0);
	tree_drop_conn(42);
	ck_assert_int_eq(n_gone, 1);
	ck_assert_int_eq(entry_lookup("t", &st, NULL), -ENOENT);
	/* The open file still reads the buffer. */
	ck_assert_int_eq(entry_read(e, data, 5, 0, false, 0), 5);
	ck_assert_str_eq(data, "hello");
	entry_release(e);
	ck_assert(alive(id));
	entry_forget(id, 1);
	ck_assert(!alive(id));
}
END_TEST

START_TEST(unpublish_by_owner_only)
{
	struct buffer *buf = memfd_buffer(4096);

	ck_assert_int_eq(tree_publish(buf, "mine", 1000, 1000, -1, 0, ORIGIN_PUBLISHED), 0);
	ck_assert_int_eq(tree_publish(buf, "mine", 1000, 1000, -1, 0, ORIGIN_PUBLISHED), -EEXIST);
	buffer_unref(buf);
	ck_assert_int_eq(tree_unpublish("mine", 1001), -EPERM);
	ck_assert_int_eq(n_gone, 0);
	ck_assert_int_eq(tree_unpublish("mine", 1000), 0);
	ck_assert_int_eq(n_gone, 1);
	ck_assert_str_eq(gone_names[0], "mine");
	ck_assert_int_eq(tree_unpublish("mine", 0), -ENOENT);
}
END_TEST

/* The access mode of an fd, from fcntl. */
static int accmode(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	ck_assert_int_ge(fl, 0);
	return fl & O_ACCMODE;
}

/* EXPORT by the kernel's rule: owner, then group (primary or supplementary),
 * then others; read-only for a reader who may not write. */
START_TEST(export_follows_kernel_rule)
{
	struct buffer *buf = memfd_buffer(4096);
	const gid_t with[] = { 7, 4242 }, without[] = { 7, 8 };
	struct stat st = { .st_mode = 0640 };
	struct entry *e;
	bool allocated;
	int fd = -1;

	ck_assert_int_eq(tree_publish(buf, "grp", 1000, 4242, -1, 0, ORIGIN_PUBLISHED), 0);
	buffer_unref(buf);
	ck_assert_int_eq(entry_lookup("grp", &st, &allocated), 0);
	e = entry_find(ino_id(st.st_ino));
	ck_assert_ptr_nonnull(e);
	st.st_mode = 0640;
	ck_assert_int_eq(entry_setattr(e, &st, ENTRY_SET_MODE), 0);

	/* A supplementary group that owns the file: read, so a read-only fd. */
	ck_assert_int_eq(tree_export_groups("grp", 2000, 2000, with, 2, &fd), 0);
	ck_assert_int_eq(accmode(fd), O_RDONLY);
	ck_assert_ptr_eq(mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0), MAP_FAILED);
	ck_assert_int_eq(errno, EACCES);
	close(fd);
	/* Neither the primary group nor a supplementary one: others' bits. */
	ck_assert_int_eq(tree_export_groups("grp", 2000, 2000, without, 2, &fd), -EACCES);
	ck_assert_int_eq(tree_export("grp", 2000, 2000, &fd), -EACCES);
	/* The primary group alone, as before. */
	ck_assert_int_eq(tree_export("grp", 2000, 4242, &fd), 0);
	ck_assert_int_eq(accmode(fd), O_RDONLY);
	close(fd);
	/* The owner may write: read-write. So may root. */
	ck_assert_int_eq(tree_export("grp", 1000, 1000, &fd), 0);
	ck_assert_int_eq(accmode(fd), O_RDWR);
	close(fd);
	ck_assert_int_eq(tree_export("grp", 0, 0, &fd), 0);
	ck_assert_int_eq(accmode(fd), O_RDWR);
	close(fd);
	/* g+w: the group member may write now, so gets read-write. */
	st.st_mode = 0660;
	ck_assert_int_eq(entry_setattr(e, &st, ENTRY_SET_MODE), 0);
	ck_assert_int_eq(tree_export_groups("grp", 2000, 2000, with, 2, &fd), 0);
	ck_assert_int_eq(accmode(fd), O_RDWR);
	close(fd);
	entry_forget(ino_id(st.st_ino), 1);
}
END_TEST

/* ------------------------------------------------------------ state machine */

START_TEST(state_staged_until_last_close)
{
	uint64_t id;
	struct entry *e = create("staged", &id), *o;
	long page = sysconf(_SC_PAGESIZE);
	char data[11] = "";
	struct stat st;
	bool allocated = true;

	ck_assert_int_eq(entry_write(e, "0123456789", 10, 0, false), 10);
	ck_assert_int_eq(entry_stat(id, &st, &allocated), 0);
	ck_assert(!allocated);
	ck_assert_int_eq(st.st_size, 10);
	ck_assert_ptr_null(entry_buffer(e));
	/* A flush with another file open keeps it staged... */
	ck_assert_int_eq(entry_open(id, &o), 0);
	ck_assert_int_eq(entry_flush(e, true), 0);
	ck_assert_int_eq(entry_stat(id, &st, &allocated), 0);
	ck_assert(!allocated);
	/* ...and so does the release of an open file that is not the last. */
	entry_release(o);
	ck_assert_int_eq(entry_stat(id, &st, &allocated), 0);
	ck_assert(!allocated);
	/* A child's close of an inherited fd (not the opener) leaves it to grow... */
	ck_assert_int_eq(entry_flush(e, false), 0);
	ck_assert_int_eq(entry_stat(id, &st, &allocated), 0);
	ck_assert(!allocated);
	/* ...the opener's close of the last one allocates it, rounded up to
	 * pages, data kept. */
	ck_assert_int_eq(entry_flush(e, true), 0);
	ck_assert_int_eq(entry_stat(id, &st, &allocated), 0);
	ck_assert(allocated);
	ck_assert_int_eq(st.st_size, page);
	ck_assert_int_eq(entry_read(e, data, 10, 0, false, 0), 10);
	ck_assert_str_eq(data, "0123456789");
	/* Allocated: the size is fixed. */
	ck_assert_int_eq(entry_allocate(e, (uint64_t)page), 0);
	ck_assert_int_eq(entry_allocate(e, 2 * (uint64_t)page), -EPERM);
	ck_assert_int_eq(entry_fallocate(e, 1), 0);
	ck_assert_int_eq(entry_fallocate(e, 2 * (uint64_t)page), -EPERM);
	ck_assert_int_eq(entry_write(e, "x", 1, (uint64_t)page, false), -ENOSPC);
	entry_release(e);
}
END_TEST

/* A buffer is whole pages: truncating it to the size its user gave it (or
 * anything else that rounds up to it) is a no-op, a real resize EPERM. */
START_TEST(state_truncate_to_given_size_is_noop)
{
	uint64_t id;
	struct entry *e = create("rounded", &id);
	uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
	uint64_t given = 3000000, size = ALIGN_UP(given, page);
	struct stat st = { .st_size = (off_t)given };
	char data[4] = "";

	ck_assert_int_eq(entry_setattr(e, &st, ENTRY_SET_SIZE), 0);
	ck_assert_int_eq(entry_stat(id, &st, NULL), 0);
	ck_assert_uint_eq((uint64_t)st.st_size, size);
	ck_assert_int_eq(entry_write(e, "abc", 3, size - 3, false), 3);
	for (uint64_t want = size - page + 1; want <= size; want += 997) {
		st.st_size = (off_t)want;
		ck_assert_int_eq(entry_setattr(e, &st, ENTRY_SET_SIZE), 0);
		ck_assert_int_eq(entry_fallocate(e, want), 0);
	}
	st.st_size = (off_t)given;
	ck_assert_int_eq(entry_setattr(e, &st, ENTRY_SET_SIZE), 0);
	/* Nothing changed: the size, nor the bytes past the given size. */
	ck_assert_int_eq(entry_stat(id, &st, NULL), 0);
	ck_assert_uint_eq((uint64_t)st.st_size, size);
	ck_assert_int_eq(entry_read(e, data, 3, size - 3, false, 0), 3);
	ck_assert_str_eq(data, "abc");
	/* A page less, a byte more, or empty: a resize. */
	ck_assert_int_eq(entry_allocate(e, size - page), -EPERM);
	ck_assert_int_eq(entry_allocate(e, size + 1), -EPERM);
	ck_assert_int_eq(entry_allocate(e, 0), -EPERM);
	ck_assert_int_eq(entry_fallocate(e, size + 1), -EPERM);
	entry_release(e);
}
END_TEST

START_TEST(state_truncate_empties_staged_only)
{
	uint64_t id;
	struct entry *e = create("trunc", &id);
	struct stat st;

	ck_assert_int_eq(entry_write(e, "abc", 3, 0, false), 3);
	ck_assert_int_eq(entry_truncate_staged(e), 0);
	ck_assert_int_eq(entry_stat(id, &st, NULL), 0);
	ck_assert_int_eq(st.st_size, 0);
	ck_assert_int_eq(entry_write(e, "abc", 3, 0, false), 3);
	ck_assert_int_eq(entry_allocate(e, 3), 0);
	ck_assert_int_eq(entry_truncate_staged(e), 0);
	ck_assert_int_eq(entry_stat(id, &st, NULL), 0);
	ck_assert_int_eq(st.st_size, sysconf(_SC_PAGESIZE));
	entry_release(e);
}
END_TEST

static int count_cb(const struct entry_view *v, void *data)
{
	(*(int *)data)++;
	return 0;
}

START_TEST(state_discovered_is_an_unlinked_entry)
{
	struct buffer *buf = memfd_buffer(8192);
	struct entry *e;
	uint64_t bytes, files, id;
	int n = 0;
	char data[4];

	ck_assert_int_eq(buffer_write(buf, "abc", 3, 0, false, 0), 3);
	ck_assert_int_eq(entry_open_discovered(buf, 1234, &e), 0);
	id = id_of(e);
	ck_assert(alive(id));
	/* Not in the tree: not listed, not counted by statfs. */
	entry_walk(count_cb, &n);
	ck_assert_int_eq(n, 0);
	tree_usage(&bytes, &files);
	ck_assert_uint_eq(files, 0);
	ck_assert_int_eq(entry_read(e, data, 3, 0, false, 0), 3);
	ck_assert_int_eq(memcmp(data, "abc", 3), 0);
	ck_assert_int_eq(entry_fallocate(e, 1), -EPERM);
	ck_assert_int_eq(entry_flush(e, true), 0);
	entry_release(e);
	ck_assert(!alive(id));
}
END_TEST

static Suite *tree_suite(void)
{
	Suite *s = suite_create("tree");
	TCase *lifetime = tcase_create("lifetime");
	TCase *conn = tcase_create("conn");
	TCase *state = tcase_create("state");

	tcase_add_loop_test(lifetime, lifetime_matrix, 0, 36);
	tcase_add_test(lifetime, lifetime_forget_clamps);
	tcase_add_test(lifetime, lifetime_rename_over_open_victim);
	tcase_add_test(conn, conn_drop_unlinks_only_its_transients);
	tcase_add_test(conn, conn_drop_keeps_open_file);
	tcase_add_test(conn, unpublish_by_owner_only);
	tcase_add_test(conn, export_follows_kernel_rule);
	tcase_add_test(state, state_staged_until_last_close);
	tcase_add_test(state, state_truncate_to_given_size_is_noop);
	tcase_add_test(state, state_truncate_empties_staged_only);
	tcase_add_test(state, state_discovered_is_an_unlinked_entry);
	tcase_add_checked_fixture(lifetime, setup, teardown);
	tcase_add_checked_fixture(conn, setup, teardown);
	tcase_add_checked_fixture(state, setup, teardown);
	suite_add_tcase(s, lifetime);
	suite_add_tcase(s, conn);
	suite_add_tcase(s, state);
	return s;
}

TESTSUITE_MAIN(tree_suite);
