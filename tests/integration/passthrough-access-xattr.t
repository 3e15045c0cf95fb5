#!/bin/bash
# user.dmabuf.access says which path opens of a buffer file take, and the
# path really is that one: passthrough for a memfd buffer with map flag 0
# (a mapped store is in the buffer at once), direct with map flag 1, for
# staged and unallocated files, beside other opens, and for every buffer of
# a passthrough=never mount (a mapped store needs msync there). Read-only.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
require_host

start_daemon || bail_out "dmabuffs did not mount"
truncate -s 64K "$M/a" || bail_out "truncate a failed"
if [ "$(xattr "$M/a" user.dmabuf.access)" != passthrough ] &&
	grep -qi 'passthrough.*\(does not offer\|refused\)' "$DAEMON_LOG"; then
	skip_all "no FUSE passthrough here: $(grep -m1 -i passthrough "$DAEMON_LOG")"
fi

py <<'EOF2'
import os, mmap
from tap import *

def access(p):
    return os.getxattr(p, "user.dmabuf.access").decode()

def access_after_close(p, want, secs=5):
    """The kernel sends RELEASE after close() returned: the count of opens
    the attribute depends on may lag. The first answer that is want, or
    the last one."""
    import time
    end = time.monotonic() + secs
    while True:
        got = access(p)
        if got == want or time.monotonic() > end:
            return got
        time.sleep(0.05)

def store_seen_at_once(p, off):
    """Store through a MAP_SHARED mapping of p, no msync: is it in the
    buffer (the exported fd) right away?"""
    st, efd, msg = export(os.path.basename(p))
    fd = os.open(p, os.O_RDWR)
    mm = mmap.mmap(fd, 4096, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE, offset=0)
    tag = b"T%07d" % off
    mm[off:off + 8] = tag
    seen = fd_content(efd, 4096)[off:off + 8] == tag
    mm.close(); os.close(fd); os.close(efd)
    return seen

a = M + "/a"
is_(access(a), "passthrough", "a memfd buffer with map flag 0: passthrough")
ok(store_seen_at_once(a, 16), "... and a mapped store is in the buffer at once")
ok("user.dmabuf.access" in os.listxattr(a), "listxattr names user.dmabuf.access")
expect_errno("EPERM", "user.dmabuf.access is read-only", os.setxattr, a,
             "user.dmabuf.access", b"direct")

os.setxattr(a, "user.dmabuf.iomem", b"1")
is_(access(a), "direct", "map flag set to 1: direct")
ok(not store_seen_at_once(a, 32), "... and a mapped store waits for msync (not passed through)")
os.removexattr(a, "user.dmabuf.iomem")
is_(access_after_close(a, "passthrough"), "passthrough",
    "map flag back to the policy: passthrough again")

s = M + "/staged"
fd = os.open(s, os.O_CREAT | os.O_RDWR, 0o600)
os.write(fd, b"staged bytes")
is_(access(s), "direct", "a staged file: direct")
os.ftruncate(fd, 8192)
is_(access(s), "direct", "allocated while an open made before remains: direct")
os.close(fd)
is_(access_after_close(s, "passthrough"), "passthrough", "once that open is closed: passthrough")

fd = os.open(a, os.O_RDONLY)
is_(access(a), "passthrough", "beside a passthrough open: passthrough")
os.close(fd)

e = M + "/empty"
open(e, "w").close()
is_(access(e), "direct", "an unallocated name: direct")
EOF2

stop_daemon
start_daemon passthrough=never || bail_out "dmabuffs -o passthrough=never did not mount"
truncate -s 64K "$M/n" || bail_out "truncate n failed"
is "$(xattr "$M/n" user.dmabuf.access)" direct "passthrough=never: a memfd buffer is direct"
py <<'EOF2'
import os, mmap
from tap import *
p = M + "/n"
st, efd, msg = export("n")
fd = os.open(p, os.O_RDWR)
mm = mmap.mmap(fd, 4096, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
mm[0:8] = b"NEVER-PT"
ok(fd_content(efd, 4096)[0:8] != b"NEVER-PT", "passthrough=never: a mapped store is not in the buffer before msync")
mm.flush()
is_(fd_content(efd, 4096)[0:8], b"NEVER-PT", "... and is after msync")
mm.close(); os.close(fd); os.close(efd)
EOF2
check "dmabufctl info shows the access line" -- sh -c "dmabufctl info '$M/n' | grep -qx 'user.dmabuf.access: direct'"
check "dmabufctl info --json has the access field" -- sh -c "dmabufctl info --json '$M/n' | grep -q '\"access\": *\"direct\"'"
stop_daemon
done_testing
