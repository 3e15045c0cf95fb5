#!/bin/bash
# memcg-over-limit-refused: a buffer bigger than what the user's memory
# cgroup allows is refused with ENOMEM, with nothing half-made and nothing
# charged to the daemon. A non-root user in a cgroup limited to 256 MiB:
# truncating a 512 MiB buffer fails (no buffer, the cgroup back where it
# was); writing 512 MiB into a new file in 1 MiB steps fails with ENOMEM
# before the limit; the daemon's cgroup grows by less than 8 MiB; the user
# can still make a 64 MiB buffer afterwards.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/daemon-lib.sh"
. "$top_srcdir/tests/helpers/memcg-lib.sh"
require_host
require_users_video
memcg_start

is "$(memcg_as_user "$MEMCG_USER" $U1 "$VIDEO" 'trunc("big", 512 << 20)')" ENOMEM \
	"truncating a 512 MiB buffer in a 256 MiB cgroup: ENOMEM"
is "$(fsize "$M/big")" 0 "... the file has no buffer (0 bytes, nothing half-made)"
check "... and the daemon logs it, naming the cgroup" -- \
	grep -q "over the limit of memory cgroup $MEMCG_USER (ENOMEM)" "$DAEMON_LOG"
u1=$(memcg_usage "$MEMCG_USER") d1=$(memcg_usage "$MEMCG_DAEMON")
diag "user cgroup $u0 -> $u1, daemon $d0 -> $d1"
ok $((u1 - u0 >= 8 * MIB)) "... the user's cgroup is back where it was (within 8 MiB)"
ok $((d1 - d0 >= 8 * MIB)) "... the daemon's grew by less than 8 MiB"
rm -f "$M/big"

out=$(memcg_as_user "$MEMCG_USER" $U1 "$VIDEO" '
with open(os.path.join(M, "streamed"), "wb", buffering=0) as f:
    block = b"x" * (1 << 20)
    for i in range(512):
        try:
            f.write(block)
        except OSError as e:
            print("stopped at %d MiB" % i)
            raise')
like "$out" "ENOMEM" "writing 512 MiB into a new file: ENOMEM before the end" || diag "$out"
diag "$(head -n 1 <<<"$out")"
d2=$(memcg_usage "$MEMCG_DAEMON")
diag "daemon $d0 -> $d2"
ok $((d2 - d0 >= 8 * MIB)) "... the daemon's cgroup grew by less than 8 MiB"
rm -f "$M/streamed"
# The kernel releases the file in the background, after close() returned.
wait_for '[ $(($(memcg_usage "$MEMCG_USER") - u0)) -lt $((8 * MIB)) ]' 50
u2=$(memcg_usage "$MEMCG_USER")
diag "after rm: user cgroup $u2"
ok $((u2 - u0 >= 8 * MIB)) "... and removing the file gives the user's cgroup its memory back"

is "$(memcg_as_user "$MEMCG_USER" $U1 "$VIDEO" 'trunc("after", 64 << 20)')" OK \
	"a 64 MiB buffer still works afterwards"
is "$(fsize "$M/after")" $((64 * MIB)) "... with its 64 MiB"

done_testing
