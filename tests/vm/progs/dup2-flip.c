/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * dup2-flip SIZE: the check-then-take race of proc/PID/FD (issue 10). Holds
 * a udmabuf (else a system-heap buffer) of SIZE bytes, every byte 'D', and
 * a secret file (/tmp/dup2-flip.secret, "SECRET!\n" over and over), and
 * swaps fd 100 between the two with dup2() as fast as it can. Prints
 *
 *   flip pid=PID fd=100 ino=INO size=SIZE
 *
 * then flips until killed (or its parent dies). Exit: 1, 77.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>

#include "vmexport.h"

#define FLIP_FD 100

int main(int argc, char **argv)
{
	size_t size = argc == 2 ? strtoul(argv[1], NULL, 0) : 0;
	static const char secret[] = "SECRET!\n";
	struct stat st;
	uint8_t *p;
	int buf, sec;

	if (!size)
		vm_fail("usage: dup2-flip SIZE");
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	buf = vm_hold_buf(size, &p);
	memset(p, 'D', size);
	munmap(p, size);
	sec = open("/tmp/dup2-flip.secret", O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (sec < 0)
		vm_fail("secret file: %s", strerror(errno));
	for (size_t i = 0; i < size; i += sizeof(secret) - 1)
		if (write(sec, secret, sizeof(secret) - 1) != (ssize_t)sizeof(secret) - 1)
			vm_fail("writing the secret: %s", strerror(errno));
	if (dup2(buf, FLIP_FD) < 0 || fstat(buf, &st) < 0)
		vm_fail("dup2: %s", strerror(errno));
	printf("flip pid=%d fd=%d ino=%llu size=%zu\n", (int)getpid(), FLIP_FD,
	       (unsigned long long)st.st_ino, size);
	fflush(stdout);
	for (;;) {
		dup2(sec, FLIP_FD);
		dup2(buf, FLIP_FD);
	}
}
