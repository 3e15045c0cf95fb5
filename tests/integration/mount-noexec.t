#!/bin/bash
# The world-writable tree runs no programs (issue 10, Names): the mount is
# nosuid, nodev and noexec.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
require_host

start_daemon || bail_out "dmabuffs did not mount"
opts=$(awk -v m="$M" '$2 == m { print $4 }' /proc/mounts)
for o in nosuid nodev noexec; do
	like ",$opts," ",$o," "the mount is $o ($opts)"
done
printf '#!/bin/sh\necho ran\n' >"$M/prog"
chmod 0700 "$M/prog"
check_fails "a script written into the tree cannot be run (noexec)" -- "$M/prog"
stop_daemon
done_testing
