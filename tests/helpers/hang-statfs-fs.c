// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * hang-statfs-fs MOUNTPOINT: a FUSE file system with one 4 KiB regular
 * file, "file", whose statfs never answers. Stands for a hostile (or hung)
 * FUSE server: any process that calls statfs() on its files waits for
 * good. Runs in the foreground, multi-threaded (other requests are still
 * served while a statfs hangs), until SIGTERM or unmount.
 */
#define FUSE_USE_VERSION 35

#include <errno.h>
#include <fuse.h>
#include <fuse_lowlevel.h>
#include <pthread.h>
#include <string.h>
#include <sys/stat.h>
#include <stdio.h>
#include <unistd.h>

#define FILE_SIZE 4096

static int hang_getattr(const char *path, struct stat *st, struct fuse_file_info *fi)
{
	memset(st, 0, sizeof(*st));
	if (strcmp(path, "/") == 0) {
		st->st_mode = S_IFDIR | 0755;
		st->st_nlink = 2;
		return 0;
	}
	if (strcmp(path, "/file") == 0) {
		st->st_mode = S_IFREG | 0644;
		st->st_nlink = 1;
		st->st_size = FILE_SIZE;
		return 0;
	}
	return -ENOENT;
}

static int hang_readdir(const char *path, void *buf, fuse_fill_dir_t fill, off_t off,
			struct fuse_file_info *fi, enum fuse_readdir_flags flags)
{
	if (strcmp(path, "/") != 0)
		return -ENOENT;
	fill(buf, ".", NULL, 0, 0);
	fill(buf, "..", NULL, 0, 0);
	fill(buf, "file", NULL, 0, 0);
	return 0;
}

static int hang_open(const char *path, struct fuse_file_info *fi)
{
	return strcmp(path, "/file") == 0 ? 0 : -ENOENT;
}

static int hang_read(const char *path, char *buf, size_t size, off_t off, struct fuse_file_info *fi)
{
	if (off >= FILE_SIZE)
		return 0;
	if ((size_t)(FILE_SIZE - off) < size)
		size = (size_t)(FILE_SIZE - off);
	memset(buf, 'h', size);
	return (int)size;
}

/* The point of the helper: never answer while it runs. The caller waits
 * uninterruptibly once the request is read (even SIGKILL does not end its
 * statfs), until this process exits and the connection goes; the loop only
 * lets the worker notice the exit. */
static int hang_statfs(const char *path, struct statvfs *sv)
{
	struct fuse_session *se = fuse_get_session(fuse_get_context()->fuse);

	while (!fuse_session_exited(se))
		usleep(100000);
	return -EIO;
}

static const struct fuse_operations ops = {
	.getattr = hang_getattr,
	.readdir = hang_readdir,
	.open = hang_open,
	.read = hang_read,
	.statfs = hang_statfs,
};

int main(int argc, char **argv)
{
	char *args[] = {
		argv[0], "-f", "-o", "default_permissions", argc > 1 ? argv[1] : NULL, NULL
	};

	if (argc != 2) {
		fprintf(stderr, "usage: %s MOUNTPOINT\n", argv[0]);
		return 2;
	}
	return fuse_main(5, args, &ops, NULL);
}
