#!/bin/bash
# memcg-charge-caller: a buffer's pages are charged to the memory cgroup of
# the user who made it, not to the daemon's. A non-root user in a cgroup
# limited to 256 MiB writes 64 MiB into a new buffer file (staged, then
# allocated at close), then truncates a second 64 MiB one: the user's
# cgroup grows by at least 60 MiB each time, the daemon's (a cgroup of its
# own) by less than 8 MiB (64 MiB before buffers followed their callers);
# removing the buffers gives the memory back. v1 memory hierarchy or
# cgroup v2, whichever the machine has.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/daemon-lib.sh"
. "$top_srcdir/tests/helpers/memcg-lib.sh"
require_host
require_users_video
memcg_start
check "the daemon says it charges callers' cgroups" -- \
	grep -q "charged to their callers' memory cgroups" "$DAEMON_LOG"

is "$(memcg_as_user "$MEMCG_USER" $U1 "$VIDEO" 'write("staged", 64 << 20)')" OK \
	"the user writes 64 MiB into a new buffer file"
is "$(fsize "$M/staged")" $((64 * MIB)) "... which holds 64 MiB"
u1=$(memcg_usage "$MEMCG_USER") d1=$(memcg_usage "$MEMCG_DAEMON")
diag "user cgroup $u0 -> $u1 (+$(((u1 - u0) / MIB)) MiB), daemon $d0 -> $d1 (+$(((d1 - d0) / 1024)) KiB)"
ok $((u1 - u0 < 60 * MIB)) "the user's cgroup grew by at least 60 MiB"
ok $((d1 - d0 >= 8 * MIB)) "the daemon's grew by less than 8 MiB"

is "$(memcg_as_user "$MEMCG_USER" $U1 "$VIDEO" 'trunc("sized", 64 << 20)')" OK \
	"the user truncates a second buffer to 64 MiB"
u2=$(memcg_usage "$MEMCG_USER") d2=$(memcg_usage "$MEMCG_DAEMON")
diag "user cgroup $u1 -> $u2 (+$(((u2 - u1) / MIB)) MiB), daemon $d1 -> $d2 (+$(((d2 - d1) / 1024)) KiB)"
ok $((u2 - u1 < 60 * MIB)) "... the user's cgroup grew by at least 60 MiB again"
ok $((d2 - d1 >= 8 * MIB)) "... the daemon's by less than 8 MiB"

rm -f "$M/staged" "$M/sized"
# The kernel forgets the files (and the daemon frees them) in the background.
wait_for '[ $((u2 - $(memcg_usage "$MEMCG_USER"))) -ge $((120 * MIB)) ]' 50
u3=$(memcg_usage "$MEMCG_USER")
diag "after rm: user cgroup $u3"
ok $((u2 - u3 < 120 * MIB)) "removing both gives the user's cgroup at least 120 MiB back"

done_testing
