#!/bin/bash
# -o io_uring: with the fuse module's enable_uring=Y the daemon serves the
# mount over io_uring (it holds io_uring instances; reads and writes work);
# with enable_uring=N it says why in its log and serves /dev/fuse. The test
# sets enable_uring for its run (root only) and restores it; the daemon
# never touches it.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
require_host
P=/sys/module/fuse/parameters/enable_uring
[ -e $P ] || skip_all "the kernel has no $P (FUSE over io_uring needs Linux >= 6.14, CONFIG_FUSE_IO_URING)"
old=$(cat $P)
restore() { echo "$old" >$P 2>/dev/null; }
if ! echo Y >$P 2>/dev/null || [ "$(cat $P)" != Y ]; then
	restore
	skip_all "cannot set $P to Y here"
fi
trap 'restore; cleanup' EXIT

rings() {
	local n=0 f
	for f in /proc/"$1"/fd/*; do
		[ "$(readlink "$f" 2>/dev/null)" = "anon_inode:[io_uring]" ] && n=$((n + 1))
	done
	echo $n
}

start_daemon io_uring || bail_out "dmabuffs -o io_uring did not mount"
truncate -s 1M "$M/u" || diag "truncate u failed"
dd if=/dev/urandom of="$T/data" bs=1M count=1 status=none
check "a write through an io_uring mount" -- dd if="$T/data" of="$M/u" bs=64K conv=notrunc status=none
check "reads back (O_DIRECT)" -- sh -c "dd if='$M/u' iflag=direct bs=1M status=none | cmp - '$T/data'"
check "reads back (plain)" -- cmp "$M/u" "$T/data"
n=$(rings "$DAEMON_PID")
[ "$n" -gt 0 ]
ok $? "enable_uring=Y: the daemon holds io_uring instances ($n)"
check "enable_uring=Y: the daemon logs the rings" -- grep -q 'io_uring: offered by the kernel' "$DAEMON_LOG"
stop_daemon

# The daemon path over io_uring: a SYNC that invalidates a dirty mapping
# must not wait for the WRITEs it causes (they queue behind it on the
# ring): it returns, and the store is in the buffer at msync.
start_daemon io_uring,passthrough=never || bail_out "dmabuffs -o io_uring,passthrough=never did not mount"
truncate -s 1M "$M/s" || diag "truncate s failed"
check "io_uring, daemon path: SYNC_START/END|WRITE on a dirty mapping return (no hang)" -- timeout 20 python3 -c '
import mmap, os, struct, fcntl, sys
from tap import export, fd_content
fd = os.open(sys.argv[1], os.O_RDWR)
mm = mmap.mmap(fd, 1 << 20, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
for i in range(20):
    fcntl.ioctl(fd, 0x40086200, struct.pack("Q", 0 | 3))
    mm[i * 4096:i * 4096 + 8] = b"URINGSYN"
    fcntl.ioctl(fd, 0x40086200, struct.pack("Q", 4 | 3))
mm.flush()
st, efd, msg = export("s")
data = fd_content(efd, 1 << 20)
sys.exit(0 if all(data[i * 4096:i * 4096 + 8] == b"URINGSYN" for i in range(20)) else 1)' "$M/s"
stop_daemon

echo N >$P
start_daemon io_uring || bail_out "dmabuffs -o io_uring did not mount with enable_uring=N"
check "enable_uring=N: the daemon says why" -- grep -q 'enable_uring=N' "$DAEMON_LOG"
is "$(rings "$DAEMON_PID")" 0 "enable_uring=N: no io_uring instance, /dev/fuse is served"
truncate -s 1M "$M/u" || diag "truncate u failed"
dd if="$T/data" of="$M/u" bs=64K conv=notrunc status=none
check "enable_uring=N: the mount works over /dev/fuse" -- cmp "$M/u" "$T/data"
stop_daemon
restore
is "$(cat $P)" "$old" "enable_uring restored to $old"
done_testing
