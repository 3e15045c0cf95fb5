#!/bin/bash
# FUSE passthrough of a memfd-backed buffer: the file is the buffer. A
# MAP_SHARED mapping of the buffer file, a mapping of the fd the control
# socket exports (the daemon's own memfd) and read()/write() on a second
# open all see each other's stores at once: no msync, no fsync, no SYNC
# ioctl (which the page-cache path needs). DMA_BUF_IOCTL_SYNC still
# reaches the daemon and succeeds.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
require_host

start_daemon || bail_out "dmabuffs did not mount"
truncate -s 1M "$M/pt" || bail_out "truncate -s 1M $M/pt failed"
access=$(xattr "$M/pt" user.dmabuf.access)
if [ "$access" != passthrough ]; then
	why=$(grep -m1 -i 'passthrough' "$DAEMON_LOG")
	case $why in
	*"does not offer"* | *refused*) skip_all "no FUSE passthrough here: $why" ;;
	esac
fi
is "$access" passthrough "a memfd buffer's user.dmabuf.access is passthrough"

py <<'EOF2'
import os, mmap
from tap import *

p = M + "/pt"
size = os.stat(p).st_size
st, efd, msg = export("pt")
ok(st == 0 and efd is not None, "EXPORT pt gives the buffer's fd", msg)

fd = os.open(p, os.O_RDWR)
mf = mmap.mmap(fd, size, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
me = mmap.mmap(efd, size, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)

mf[4096:4106] = b"FILE-STORE"
is_(bytes(me[4096:4106]), b"FILE-STORE",
    "a store through the file's mapping is in the exported fd's mapping at once")
me[500000:500010] = b"EXPORTSTOR"
is_(bytes(mf[500000:500010]), b"EXPORTSTOR",
    "a store through the exported mapping is in the file's mapping at once")

fd2 = os.open(p, os.O_RDWR)
is_(os.pread(fd2, 10, 4096), b"FILE-STORE", "read() on a second open sees the mapped store")
os.pwrite(fd2, b"PWRITE-2ND", 8192)
is_(bytes(mf[8192:8202]), b"PWRITE-2ND", "the file's mapping sees write() on a second open")
is_(bytes(me[8192:8202]), b"PWRITE-2ND", "the exported mapping sees write() on a second open")

# The bytes really are the buffer's: change them a page at a time, at
# random, and compare everything through the other side.
import random
rnd = random.Random(7)
for i in range(64):
    off = rnd.randrange(0, size - 64)
    data = bytes(rnd.randrange(256) for _ in range(64))
    if i % 2:
        mf[off:off + 64] = data
        got = bytes(me[off:off + 64])
    else:
        me[off:off + 64] = data
        got = os.pread(fd2, 64, off)
    if got != data:
        break
is_(got, data, "64 random stores, alternating sides, each seen at once by the other")

r = errno_of(dma_buf_sync, fd, SYNC_START | SYNC_RW)
is_(r, "OK", "DMA_BUF_IOCTL_SYNC(START|RW) on a passthrough open reaches the daemon")
r = errno_of(dma_buf_sync, fd, SYNC_END | SYNC_RW)
is_(r, "OK", "DMA_BUF_IOCTL_SYNC(END|RW) on a passthrough open reaches the daemon")
r = errno_of(dma_buf_sync, fd, 0x100)
is_(r, "EINVAL", "a SYNC with bad flags still gets the daemon's EINVAL")

mf.close(); me.close()
os.close(fd); os.close(fd2); os.close(efd)
EOF2

rm "$M/pt" || diag "rm pt failed"
stop_daemon
not_mounted "$M" && pass "unmounted after the passthrough opens closed" || fail "still mounted"
done_testing
