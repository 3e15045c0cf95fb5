#!/bin/bash
# by-inode/ lists every allocated buffer once, also when one dma-buf has
# several names (the link goes to the newest), with many buffers: the
# listing is built from a copy of the tree, sorted, not by an O(n^2) scan
# under the tree lock (issue 11 item 12). Times are reported, not asserted.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
require_host

start_daemon || bail_out "dmabuffs did not mount"

py <<'EOF2'
import os, time
from tap import *

N = 3000
for i in range(N):
    fd = os.open(M + "/b%d" % i, os.O_RDWR | os.O_CREAT, 0o600)
    os.ftruncate(fd, 4096)
    os.close(fd)
os.close(os.open(M + "/staged", os.O_WRONLY | os.O_CREAT, 0o600))  # no buffer: not listed
# One dma-buf under two names: listed once, linked to the newer name.
mfd = memfd(8192, b"shared")
st1, _, _, _ = publish(mfd, "alias-old")
st2, _, _, _ = publish(mfd, "alias-new")
is_((status_name(st1), status_name(st2)), ("OK", "OK"), "one memfd published under two names")

want = {}
for name in ["b%d" % i for i in range(N)] + ["alias-old", "alias-new"]:
    want.setdefault(os.getxattr(M + "/" + name, "user.dmabuf.inode").decode(), set()).add(name)
t0 = time.monotonic()
got = os.listdir(M + "/by-inode")
dt = time.monotonic() - t0
is_(len(got), len(set(got)), "by-inode lists no inode twice")
is_(sorted(got, key=int), sorted(want, key=int), "by-inode lists every buffer's inode (%d), nothing else" % len(want))
shared = os.getxattr(M + "/alias-new", "user.dmabuf.inode").decode()
is_(os.readlink(M + "/by-inode/" + shared), "../alias-new", "a dma-buf with two names links to the newest")
diag("ls by-inode of %d buffers: %.3f s" % (N + 1, dt))
EOF2

stop_daemon
done_testing
