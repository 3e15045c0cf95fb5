// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libFuzzer target: the daemon's option parser, options_parse() (today in
 * src/daemon/options.c; the target calls it by name, tests/fuzz/targets
 * lists the sources it needs). The input is an argument vector: its bytes
 * split at NUL, behind argv[0] = "dmabuffs" (so "-o\0backend=x,umask=7" is
 * two arguments). The options come from the command line of a root daemon,
 * often through a unit file or fstab written by someone else: no crash, no
 * leak, and what is accepted is within its documented range.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "daemon/options.h"
#include "fuzz.h"

#define MAX_ARGS 32

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *argv[MAX_ARGS + 2];
	struct fuse_args args;
	struct config cfg;
	char *buf, *p, *end;
	int argc = 0, r;

	buf = malloc(size + 1);
	FUZZ_ASSERT(buf);
	memcpy(buf, data, size);
	buf[size] = '\0';
	argv[argc++] = "dmabuffs";
	for (p = buf, end = buf + size; p <= end && argc < MAX_ARGS + 1; p += strlen(p) + 1)
		argv[argc++] = p;
	argv[argc] = NULL;

	args = (struct fuse_args)FUSE_ARGS_INIT(argc, argv);
	memset(&cfg, 0, sizeof(cfg));
	cfg.fence_timeout_ms = 1000;
	cfg.umask = 0177;
	r = options_parse(&args, &cfg);
	FUZZ_ASSERT(r == 0 || r == -EINVAL || r == -ENOMEM);
	if (r == 0) {
		FUZZ_ASSERT(cfg.umask <= 0777);
		FUZZ_ASSERT(cfg.fence_timeout_ms >= 0 && cfg.fence_timeout_ms <= 3600 * 1000);
		FUZZ_ASSERT(cfg.iomem_mode == IOMEM_AUTO || cfg.iomem_mode == IOMEM_ALWAYS ||
			    cfg.iomem_mode == IOMEM_NEVER);
		/* What the parser leaves is for libfuse: argv[0] stays first. */
		FUZZ_ASSERT(args.argc >= 1 && strcmp(args.argv[0], "dmabuffs") == 0);
	}
	free(cfg.backend);
	free(cfg.control_path);
	fuse_opt_free_args(&args);
	free(buf);
	return 0;
}
