/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ptrace-target UID MODE SIZE SALT: a dma-buf holder whose credentials
 * put it on one side or the other of ptrace's rules, for
 * discover-ptrace-rules. As root it makes a udmabuf (else a system-heap
 * buffer) of SIZE bytes filled with vm_byte(i, SALT), then becomes UID:
 *
 *   plain   real = effective = saved uid and gid UID, dumpable
 *   nodump  the same, PR_SET_DUMPABLE 0 (as a setuid program would be)
 *   suid    saved uid 0 (real and effective UID), dumpable
 *   sgid    saved gid 0 (real and effective gid UID), dumpable
 *
 * Prints "hold pid=PID fd=FD ino=INO" and holds until EOF on stdin.
 * Exit: 0, 1, 77.
 */
#define _GNU_SOURCE
#include <grp.h>
#include <sys/prctl.h>
#include <sys/stat.h>

#include "vmexport.h"

int main(int argc, char **argv)
{
	uid_t u;
	size_t size;
	uint32_t salt;
	struct stat st;
	uint8_t *p;
	char c;
	int fd, r;

	if (argc != 5)
		vm_fail("usage: ptrace-target UID plain|nodump|suid|sgid SIZE SALT");
	u = (uid_t)strtoul(argv[1], NULL, 10);
	size = strtoul(argv[3], NULL, 0);
	salt = (uint32_t)strtoul(argv[4], NULL, 0);
	fd = vm_hold_buf(size, &p);
	vm_fill_bytes(p, size, salt);
	munmap(p, size);
	if (setgroups(0, NULL) < 0)
		vm_fail("setgroups: %s", strerror(errno));
	if (!strcmp(argv[2], "sgid"))
		r = setresgid(u, u, 0);
	else
		r = setresgid(u, u, u);
	if (r == 0)
		r = !strcmp(argv[2], "suid") ? setresuid(u, u, 0) : setresuid(u, u, u);
	if (r < 0)
		vm_fail("set*id: %s", strerror(errno));
	if (prctl(PR_SET_DUMPABLE, strcmp(argv[2], "nodump") ? 1 : 0, 0, 0, 0) < 0)
		vm_fail("PR_SET_DUMPABLE: %s", strerror(errno));
	if (fstat(fd, &st) < 0)
		vm_fail("fstat: %s", strerror(errno));
	printf("hold pid=%d fd=%d ino=%llu\n", (int)getpid(), fd, (unsigned long long)st.st_ino);
	fflush(stdout);
	while (read(STDIN_FILENO, &c, 1) > 0)
		;
	return 0;
}
