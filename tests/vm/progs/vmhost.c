/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vmhost VERB TAG [ARGS...]
 *
 * The shell side of vm_host_request() (vmtest.h) for guest test scripts:
 * ask the host to do VERB (e.g. "screendump") for TAG and wait for its
 * answer. Exit 0 on ack, 1 on nak or no answer (reason on stderr).
 */
#include "vmtest.h"

int main(int argc, char **argv)
{
	char args[400] = "", why[256];
	size_t len = 0;
	int r;

	if (argc < 3) {
		fprintf(stderr, "usage: vmhost VERB TAG [ARGS...]\n");
		return 2;
	}
	for (int i = 3; i < argc; i++)
		len += (size_t)snprintf(args + len, len < sizeof(args) ? sizeof(args) - len : 0,
					"%s%s", i > 3 ? " " : "", argv[i]);
	r = vm_host_request(argv[1], argv[2], args, 20000, why, sizeof(why));
	if (r == -EIO)
		vm_fail("host refused %s %s: %s", argv[1], argv[2], why);
	if (r < 0)
		vm_fail("no answer from the host for %s %s: %s", argv[1], argv[2], strerror(-r));
	return 0;
}
