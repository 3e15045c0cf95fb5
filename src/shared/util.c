// SPDX-License-Identifier: LGPL-2.1-or-later
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "shared/macro.h"
#include "shared/util.h"

int read_file(const char *path, char *buf, size_t bufsz, size_t *len)
{
	_cleanup_close_ int fd = -1;
	size_t got = 0;

	if (!path || !buf || bufsz == 0)
		return -EINVAL;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;

	/* procfs and sysfs may hand out a file in several short reads. */
	while (got < bufsz - 1) {
		ssize_t n = RETRY_EINTR(read(fd, buf + got, bufsz - 1 - got));

		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	buf[got] = '\0';

	/* A full buffer: refuse rather than hand back a silently cut file. */
	if (got == bufsz - 1) {
		char extra;
		ssize_t n = RETRY_EINTR(read(fd, &extra, 1));

		if (n < 0)
			return -errno;
		if (n > 0)
			return -EFBIG;
	}

	if (len)
		*len = got;
	return 0;
}

int parse_u64(const char *s, int base, uint64_t *out)
{
	unsigned long long v;
	char *end;

	if (!s || !out)
		return -EINVAL;
	/* strtoull() skips blanks and accepts a sign ("-1" is ULLONG_MAX):
	 * a strict parse must start at a digit. */
	if (!isdigit((unsigned char)s[0]))
		return -EINVAL;

	errno = 0;
	v = strtoull(s, &end, base);
	if (errno == ERANGE)
		return -ERANGE;
	if (errno != 0 || end == s || *end != '\0')
		return -EINVAL;

	*out = (uint64_t)v;
	return 0;
}

int parse_size(const char *s, uint64_t *out)
{
	unsigned long long v;
	unsigned int shift = 0;
	char *end;

	if (!s || !out)
		return -EINVAL;
	if (!isdigit((unsigned char)s[0]))
		return -EINVAL;

	/* Base 0 would read "010" as octal, a surprise in a size: decimal
	 * unless the string says 0x. */
	errno = 0;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		if (!isxdigit((unsigned char)s[2]))
			return -EINVAL;
		v = strtoull(s, &end, 16);
	} else {
		v = strtoull(s, &end, 10);
	}
	if (errno == ERANGE)
		return -ERANGE;
	if (errno != 0 || end == s)
		return -EINVAL;

	/* Binary suffixes: K, M, G, T, case-insensitive, optionally followed
	 * by "iB" or "B" ("4K", "4k", "4KiB", "4KB" are all 4096). */
	switch (*end) {
	case '\0':
		break;
	case 'k':
	case 'K':
		shift = 10;
		break;
	case 'm':
	case 'M':
		shift = 20;
		break;
	case 'g':
	case 'G':
		shift = 30;
		break;
	case 't':
	case 'T':
		shift = 40;
		break;
	default:
		return -EINVAL;
	}
	if (shift) {
		end++;
		if (strcmp(end, "iB") == 0 || strcmp(end, "B") == 0)
			end += strlen(end);
		if (*end != '\0')
			return -EINVAL;
		if (v > (UINT64_MAX >> shift))
			return -ERANGE;
		v <<= shift;
	}

	*out = (uint64_t)v;
	return 0;
}

int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

size_t page_size(void)
{
	static size_t cached;
	size_t ps = __atomic_load_n(&cached, __ATOMIC_RELAXED);

	if (ps == 0) {
		long r = sysconf(_SC_PAGESIZE);

		ps = r > 0 ? (size_t)r : 4096;
		__atomic_store_n(&cached, ps, __ATOMIC_RELAXED);
	}
	return ps;
}

bool size_rounds_to(uint64_t size, uint64_t buf_size, size_t page)
{
	if (size == buf_size)
		return true;
	/* size < buf_size, so the rounding cannot wrap. */
	return size > 0 && size < buf_size && page && ALIGN_UP(size, (uint64_t)page) >= buf_size;
}

int meminfo_field(const char *text, const char *key, uint64_t *bytes)
{
	size_t klen = strlen(key);
	const char *p, *end;
	char num[32];
	uint64_t kb;
	size_t n;
	int r;

	for (p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (strncmp(p, key, klen) == 0 && p[klen] == ':')
			break;
	if (!p || !*p)
		return -ENOENT;
	p += klen + 1;
	p += strspn(p, " \t");
	n = strspn(p, "0123456789");
	end = p + n;
	if (n == 0 || n >= sizeof(num) || strncmp(end, " kB", 3) != 0 ||
	    (end[3] != '\n' && end[3] != '\0'))
		return -EINVAL;
	memcpy(num, p, n);
	num[n] = '\0';
	r = parse_u64(num, 10, &kb);
	if (r < 0)
		return r;
	if (kb > UINT64_MAX / 1024)
		return -ERANGE;
	*bytes = kb * 1024;
	return 0;
}

int mem_available(uint64_t *bytes)
{
	char buf[8192];
	int r;

	r = read_file("/proc/meminfo", buf, sizeof(buf), NULL);
	return r < 0 ? r : meminfo_field(buf, "MemAvailable", bytes);
}

bool mode_may_access(mode_t mode, uid_t owner, gid_t group, uid_t uid, gid_t gid,
		     const gid_t *groups, size_t ngroups, int mask)
{
	bool member = gid == group;

	if (uid == 0)
		return true;
	for (size_t i = 0; i < ngroups && !member; i++)
		member = groups[i] == group;
	if (uid == owner)
		mode >>= 6;
	else if (member)
		mode >>= 3;
	return (mode & mask & 7) == (mode_t)(mask & 7);
}

void fourcc_str(uint32_t fourcc, char out[5])
{
	for (int i = 0; i < 4; i++) {
		char c = (char)((fourcc >> (8 * i)) & 0xff);

		out[i] = isprint((unsigned char)c) ? c : '?';
	}
	out[4] = '\0';
	/* DRM pads short codes with spaces ("R8  "). */
	for (int i = 3; i > 0 && out[i] == ' '; i--)
		out[i] = '\0';
}

int memfd_make_private(int fd)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return -errno;
	/* The owner first: a publisher who still owned the inode could
	 * fchmod it back. As the owner, the fchmod needs no CAP_FOWNER. */
	if ((st.st_uid != geteuid() || st.st_gid != getegid()) &&
	    fchown(fd, geteuid(), getegid()) < 0)
		return -errno;
	if ((st.st_mode & 07777) != 0600 && fchmod(fd, 0600) < 0)
		return -errno;
	return 0;
}

int memfd_create_private(const char *name)
{
	int fd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING), r;

	if (fd < 0)
		return -errno;
	r = memfd_make_private(fd);
	if (r < 0) {
		close(fd);
		return r;
	}
	return fd;
}

#define MEMFD_SIZE_SEALS (F_SEAL_GROW | F_SEAL_SHRINK)

int memfd_fix_size(int fd, const char **why)
{
	int seals = fcntl(fd, F_GET_SEALS);

	*why = NULL;
	if (seals < 0) {
		*why = "it is not a memfd (F_GET_SEALS failed)";
		return -EINVAL;
	}
	if ((seals & MEMFD_SIZE_SEALS) != MEMFD_SIZE_SEALS &&
	    fcntl(fd, F_ADD_SEALS, MEMFD_SIZE_SEALS) < 0) {
		/* F_ADD_SEALS needs a writable fd, and no F_SEAL_SEAL (which a
		 * memfd made without MFD_ALLOW_SEALING is born with). */
		*why = seals & F_SEAL_SEAL ?
			       "it lacks F_SEAL_GROW|F_SEAL_SHRINK and takes no more "
			       "seals (F_SEAL_SEAL; made without MFD_ALLOW_SEALING?)" :
		       errno == EPERM ? "it lacks F_SEAL_GROW|F_SEAL_SHRINK and is read-only, so "
					"they cannot be added" :
					"it lacks F_SEAL_GROW|F_SEAL_SHRINK and adding them failed";
		return -EINVAL;
	}
	/* A read-only fd takes no seal: the buffer is read-only through the
	 * daemon then, so a seal its publisher adds stops only its own writes. */
	if (!(seals & F_SEAL_SEAL))
		(void)fcntl(fd, F_ADD_SEALS, F_SEAL_SEAL);
	return 0;
}
