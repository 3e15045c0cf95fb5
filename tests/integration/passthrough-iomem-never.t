#!/bin/bash
# A buffer whose map flag is 1 is not passed through (I/O memory is only
# touched by the daemon's shim), set before allocation, set by the mount's
# policy (iomem=always), or set while passthrough opens exist: then the
# kernel allows no other kind of open beside them, so opens are passed
# through until the last passthrough open is closed; from then on no open
# is passed through while the flag stays 1.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
require_host

start_daemon || bail_out "dmabuffs did not mount"
truncate -s 64K "$M/probe" || bail_out "truncate probe failed"
if [ "$(xattr "$M/probe" user.dmabuf.access)" != passthrough ]; then
	skip_all "no FUSE passthrough here: $(grep -m1 -i passthrough "$DAEMON_LOG")"
fi

py <<'EOF2' || fail "the python part exited with status $?"
import os, mmap, time
from tap import *

def access(p):
    return os.getxattr(p, "user.dmabuf.access").decode()

def mapped_store_in_buffer(fd, name, off):
    st, efd, msg = export(name)
    mm = mmap.mmap(fd, 4096, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
    tag = b"S%07d" % off
    mm[off:off + 8] = tag
    seen = fd_content(efd, 4096)[off:off + 8] == tag
    mm.close(); os.close(efd)
    return seen

# 1. map flag 1 before the buffer exists
p = M + "/early"
open(p, "w").close()
os.setxattr(p, "user.dmabuf.iomem", b"1")
os.truncate(p, 65536)
is_(os.getxattr(p, "user.dmabuf.iomem"), b"1", "iomem=1 set before allocation sticks")
is_(access(p), "direct", "... and the buffer is not passed through")
fd = os.open(p, os.O_RDWR)
ok(not mapped_store_in_buffer(fd, "early", 0), "... a mapped store reaches the buffer only at msync")
os.pwrite(fd, b"SHIM", 100)
is_(os.pread(fd, 4, 100), b"SHIM", "... read()/write() work through the shim")
os.close(fd)

# 2. set while a passthrough open exists
p = M + "/late"
open(p, "w").close()
os.truncate(p, 65536)
fd1 = os.open(p, os.O_RDWR)
ok(mapped_store_in_buffer(fd1, "late", 0), "a passthrough open's mapped store is in the buffer at once")
os.setxattr(p, "user.dmabuf.iomem", b"1")
is_(access(p), "passthrough", "iomem=1 set with a passthrough open: the next open is passed through too")
fd2 = os.open(p, os.O_RDWR)
os.pwrite(fd2, b"SECOND", 200)
is_(os.pread(fd1, 6, 200), b"SECOND", "that open works (the kernel would fail any other kind with EIO)")
ok(mapped_store_in_buffer(fd2, "late", 32), "... and maps the buffer's own pages")
os.close(fd1); os.close(fd2)
end = time.monotonic() + 5 # RELEASE reaches the daemon after close() returned
while access(p) != "direct" and time.monotonic() < end:
    time.sleep(0.05)
is_(access(p), "direct", "once no passthrough open remains, the flag keeps opens off passthrough")
fd3 = os.open(p, os.O_RDWR)
ok(not mapped_store_in_buffer(fd3, "late", 64), "... a new open maps through the page cache (not passed through)")
os.close(fd3)
is_(access(p), "direct", "with no open left the flag still keeps passthrough off")
EOF2
stop_daemon

start_daemon iomem=always || bail_out "dmabuffs -o iomem=always did not mount"
truncate -s 64K "$M/pol" || bail_out "truncate pol failed"
is "$(xattr "$M/pol" user.dmabuf.iomem)" 1 "iomem=always: the policy gives map flag 1"
is "$(xattr "$M/pol" user.dmabuf.access)" direct "iomem=always: the buffer is not passed through"
os_err=$(python3 -c 'import os; os.setxattr("'"$M/pol"'", "user.dmabuf.iomem", b"0"); print(os.getxattr("'"$M/pol"'", "user.dmabuf.access").decode())' 2>&1)
is "$os_err" direct "iomem=always: a buffer set back to 0 stays off passthrough (no memfd kept)"
stop_daemon
done_testing
