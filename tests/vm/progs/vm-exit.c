/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vm-exit CODE
 *
 * End the VM with a status the host can tell from a clean poweroff: QEMU's
 * isa-debug-exit device (iobase 0xf4) exits with (CODE << 1) | 1, so
 * CODE 1 gives 3. Used by /init when a test failed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <sys/io.h>

int main(int argc, char **argv)
{
	int code = argc > 1 ? atoi(argv[1]) : 1;

	if (ioperm(0xf4, 4, 1) < 0) {
		fprintf(stderr, "vm-exit: ioperm: %s\n", strerror(errno));
		return 1;
	}
	outb((unsigned char)code, 0xf4);
	/* Only reached without the isa-debug-exit device. */
	fprintf(stderr, "vm-exit: no isa-debug-exit device at 0xf4\n");
	return 1;
}
