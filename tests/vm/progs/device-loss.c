/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * device-loss FILE OTHER BACKEND PCIDEV
 *
 * Hot-unplug under an open buffer file. FILE is a buffer of BACKEND (a DRM
 * card on the PCI device PCIDEV, e.g. 0000:00:04.0), OTHER a buffer of
 * another backend. With FILE open, the device is removed through sysfs
 * (/sys/bus/pci/devices/PCIDEV/remove); then:
 *  - reads of FILE (on the fd opened before, and on a fresh open) fail with
 *    ENODEV or return the buffer's last contents, right after the removal
 *    and again once the daemon has noticed (new/BACKEND is gone);
 *    anything else (other errors, other bytes, a hang) fails;
 *  - a write to FILE fails with ENODEV or succeeds (reported);
 *  - the daemon drops BACKEND from new/ within 10 s (udev hotplug);
 *  - OTHER still reads and writes correctly.
 * Whether the daemon is still alive is checked by the calling script.
 * Exit: 0 pass, 1 failure.
 */
#define _GNU_SOURCE
#include "vmtest.h"

static const char *file;

static size_t differing(const uint8_t *p, size_t size, uint32_t salt)
{
	size_t bad = 0;

	for (size_t i = 0; i < size; i++)
		bad += p[i] != vm_byte(i, salt);
	return bad;
}

static int open_or_die(const char *path, int flags)
{
	int fd = open(path, flags | O_CLOEXEC);

	if (fd < 0)
		vm_fail("open %s: %s", path, strerror(errno));
	return fd;
}

/* The whole file; -errno of the first failing read, or 0. */
static int read_all(int fd, uint8_t *dst, size_t size)
{
	size_t off = 0;

	while (off < size) {
		ssize_t n = pread(fd, dst + off, size - off, (off_t)off);

		if (n < 0)
			return -errno;
		if (n == 0)
			return -ENODATA;
		off += (size_t)n;
	}
	return 0;
}

static void write_all(const char *path, const uint8_t *src, size_t size)
{
	int fd = open_or_die(path, O_WRONLY);

	if (pwrite(fd, src, size, 0) != (ssize_t)size)
		vm_fail("pwrite %s: %s", path, strerror(errno));
	close(fd);
}

static void expect_contents(const char *path, size_t size, uint32_t salt, const char *what)
{
	uint8_t *b = malloc(size);
	int fd = open_or_die(path, O_RDONLY), r;
	size_t bad;

	if (!b)
		vm_fail("out of memory");
	r = read_all(fd, b, size);
	if (r < 0)
		vm_fail("%s: read %s: %s", what, path, strerror(-r));
	bad = differing(b, size, salt);
	if (bad)
		vm_fail("%s: %s: %zu of %zu bytes differ", what, path, bad, size);
	close(fd);
	free(b);
}

/*
 * What the daemon itself answers a read, past the page cache (on 7.x a
 * failed page-cache read seems to reach the reader as EIO whatever the
 * daemon replied): -errno of the open or of the read, or 0.
 */
static int direct_read_errno(size_t size)
{
	uint8_t *b = aligned_alloc(4096, (size + 4095) & ~(size_t)4095);
	int fd, r;

	if (!b)
		vm_fail("out of memory");
	fd = open(file, O_RDONLY | O_DIRECT | O_CLOEXEC);
	r = fd < 0 ? -errno : read_all(fd, b, size);
	if (fd >= 0)
		close(fd);
	free(b);
	return r;
}

/* A read of the gone buffer: ENODEV, or the last contents. */
static void check_gone_read(int fd, size_t size, uint32_t last, const char *what)
{
	uint8_t *b = malloc(size);
	int r, d;

	if (!b)
		vm_fail("out of memory");
	memset(b, 0xee, size);
	r = read_all(fd, b, size);
	if (r == -ENODEV) {
		vm_log("%s: ENODEV", what);
	} else if (r == -EIO) {
		/* dmabuffs(5) promises ENODEV: say whether the daemon or
		 * the kernel broke it. */
		d = direct_read_errno(size);
		vm_fail("%s: EIO, expected ENODEV or the last contents; an O_DIRECT read "
			"%s%s%s",
			what, d ? "fails with " : "succeeds", d ? strerror(-d) : "",
			d == -ENODEV ? ": the page cache turned the daemon's ENODEV into EIO" : "");
	} else if (r < 0) {
		vm_fail("%s: %s, expected ENODEV or the last contents", what, strerror(-r));
	} else {
		size_t bad = differing(b, size, last);

		if (bad)
			vm_fail("%s: the read succeeded but %zu of %zu bytes are not the "
				"buffer's last contents (first bytes %02x %02x %02x %02x)",
				what, bad, size, b[0], b[1], b[2], b[3]);
		vm_log("%s: the last contents", what);
	}
	free(b);
}

int main(int argc, char **argv)
{
	struct vm_unplug u;
	uint8_t *pat;
	double t0;
	int held, fresh;
	ssize_t w;

	setvbuf(stdout, NULL, _IOLBF, 0);
	vm_unplug_args(argc, argv, "device-loss", &u);
	file = u.file;
	pat = malloc(u.size > u.osize ? u.size : u.osize);
	if (!pat)
		vm_fail("out of memory");

	vm_fill_bytes(pat, u.size, 0x10);
	write_all(file, pat, u.size);
	expect_contents(file, u.size, 0x10, "before the removal");
	vm_fill_bytes(pat, u.osize, 0x20);
	write_all(u.other, pat, u.osize);
	held = open_or_die(file, O_RDWR);

	t0 = vm_unplug(&u);

	/* Right away: the daemon may or may not have heard of it yet. A fresh
	 * open drops the page cache, so the reads reach the daemon. */
	fresh = open(file, O_RDONLY | O_CLOEXEC);
	if (fresh < 0 && errno != ENODEV && errno != ENOENT)
		vm_fail("open %s after the removal: %s", file, strerror(errno));
	check_gone_read(held, u.size, 0x10, "right after the removal, the open fd");
	if (fresh >= 0) {
		check_gone_read(fresh, u.size, 0x10, "right after the removal, a fresh open");
		close(fresh);
	}

	vm_unplug_noticed(&u, t0);

	fresh = open(file, O_RDONLY | O_CLOEXEC);
	if (fresh < 0 && errno != ENODEV && errno != ENOENT)
		vm_fail("open %s once the daemon knows: %s", file, strerror(errno));
	vm_log("open of %s once the daemon knows: %s", file, fresh < 0 ? strerror(errno) : "ok");
	check_gone_read(held, u.size, 0x10, "once the daemon knows, the open fd");
	if (fresh >= 0) {
		check_gone_read(fresh, u.size, 0x10, "once the daemon knows, a fresh open");
		close(fresh);
	}
	vm_fill_bytes(pat, u.size, 0x30);
	w = pwrite(held, pat, 4096, 0);
	if (w < 0 && errno != ENODEV)
		vm_fail("write to the gone buffer: %s, expected ENODEV", strerror(errno));
	vm_log("write to the gone buffer: %s", w < 0 ? strerror(errno) : "accepted");
	close(held);

	/* The rest of the daemon does not care. */
	expect_contents(u.other, u.osize, 0x20, "the other buffer after the removal");
	vm_fill_bytes(pat, u.osize, 0x40);
	write_all(u.other, pat, u.osize);
	expect_contents(u.other, u.osize, 0x40, "the other buffer, rewritten after the removal");
	vm_log("%s still reads and writes", u.other);
	return 0;
}
