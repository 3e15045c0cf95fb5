#!/bin/bash
# fs-staged-truncate-quota: a staged file (written before it was sized) is
# charged as it grows; truncated smaller, it is charged what it holds now,
# not its largest size. Truncated to 4 KiB (which allocates the buffer) or
# emptied (which keeps it staged), the user's quota and df give the rest
# back at once. Run as a non-root user with max_bytes_per_user=1M.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/daemon-lib.sh"
require_host
require_users_video
U=64051

chmod 0755 "$T"
start_daemon "allow_other,group=video,max_bytes_per_user=1M" || bail_out "dmabuffs did not mount"

used='sv = os.statvfs(M); print((sv.f_blocks - sv.f_bfree) * sv.f_frsize, end=" ")'
is "$(as_user $U "$VIDEO" '
fd = os.open(os.path.join(M, "s"), os.O_CREAT | os.O_RDWR, 0o600)
os.write(fd, b"x" * (768 << 10))
'"$used"'
os.ftruncate(fd, 4096)
'"$used"'
os.close(fd)')" "786432 4096 OK" \
	"768 KiB staged, then truncated to 4 KiB: the quota goes from 768 KiB to 4 KiB"
is "$(fsize "$M/s")" 4096 "... and the buffer is 4 KiB"
is "$(as_user $U "$VIDEO" 'trunc("t", 900 << 10)')" OK "900 KiB more fit under the 1 MiB limit"
rm -f "$M/t"
is "$(as_user $U "$VIDEO" '
fd = os.open(os.path.join(M, "z"), os.O_CREAT | os.O_RDWR, 0o600)
os.write(fd, b"x" * (768 << 10))
os.ftruncate(fd, 0)
'"$used"'
os.close(fd)')" "4096 OK" "768 KiB staged, then emptied: only the other buffer's 4 KiB are charged"
is "$(as_user $U "$VIDEO" 'trunc("t", 900 << 10)')" OK "... and 900 KiB more fit again"
stop_daemon
done_testing
