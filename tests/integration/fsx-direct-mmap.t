#!/bin/bash
# fsx-like: seeded random mixes of MAP_SHARED stores and loads with
# pwrite()/pread() on an O_DIRECT fd and pread() on a plain open of one
# buffer file, checked against a shadow copy (tests/helpers/fsx-direct-mmap),
# without msync or SYNC in between: on the daemon's direct-I/O path
# (passthrough=never) and on a passthrough buffer.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
require_host
command -v fsx-direct-mmap >/dev/null || bail_out "fsx-direct-mmap not built"

for mode in never auto; do
	start_daemon passthrough=$mode || bail_out "dmabuffs -o passthrough=$mode did not mount"
	truncate -s 1M "$M/fsx" || bail_out "truncate fsx failed"
	dd if=/dev/urandom of="$M/fsx" bs=1M count=1 conv=notrunc status=none
	access=$(xattr "$M/fsx" user.dmabuf.access)
	for seed in 1 2 3; do
		check "passthrough=$mode ($access): fsx-direct-mmap seed $seed, 5000 ops" -- \
			fsx-direct-mmap --seed "$seed" --ops 5000 "$M/fsx"
	done
	stop_daemon
done
done_testing
