#!/bin/bash
# Opens that are not passed through are direct I/O and, with
# FUSE_DIRECT_IO_ALLOW_MMAP, can still be mapped MAP_SHARED: an O_DIRECT
# open and a plain one. The mapping is coherent with direct writes (the
# kernel drops the cached pages around each one) and with direct reads
# (which write dirty mapped pages back first); the buffer gets a mapped
# store at msync. Errors of direct reads are the daemon's own.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
require_host

start_daemon passthrough=never || bail_out "dmabuffs did not mount"
truncate -s 1M "$M/d" || bail_out "truncate d failed"
is "$(xattr "$M/d" user.dmabuf.access)" direct "passthrough=never: user.dmabuf.access is direct"

py <<'EOF2'
import os, mmap
from tap import *
p = M + "/d"
size = 1 << 20
st, efd, msg = export("d")
ok(st == 0 and efd is not None, "EXPORT d gives the buffer's fd", msg)

fd = os.open(p, os.O_RDWR | os.O_DIRECT)
r = errno_of(mmap.mmap, fd, size, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
is_(r, "OK", "an O_DIRECT open maps MAP_SHARED")
mm = errno_of.last
if r != "OK":
    raise SystemExit(0)

mm[0:8] = b"MAPSTORE"
mm.flush()
is_(fd_content(efd, 4096)[0:8], b"MAPSTORE", "a mapped store is in the buffer after msync")

mm[4096:4104] = b"DIRTYPG!"
buf = mmap.mmap(-1, 4096)
os.preadv(fd, [buf], 4096)
is_(bytes(buf[0:8]), b"DIRTYPG!", "an O_DIRECT read sees a mapped store not yet msynced")

buf[0:8] = b"DIRECTWR"
os.pwritev(fd, [buf], 8192)
is_(bytes(mm[8192:8200]), b"DIRECTWR", "the mapping sees an O_DIRECT write at once")
is_(fd_content(efd, 16384)[8192:8200], b"DIRECTWR", "... which is in the buffer")

os.pwrite(fd, b"unaligned", 12345)
is_(bytes(mm[12345:12354]), b"unaligned", "an unaligned write on the O_DIRECT fd is seen by the mapping")

fd2 = os.open(p, os.O_RDWR)
r = errno_of(mmap.mmap, fd2, size, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
is_(r, "OK", "a plain (direct-I/O) open maps MAP_SHARED too")
m2 = errno_of.last
is_(bytes(m2[8192:8200]), b"DIRECTWR", "... and shows the same bytes")
os.pwrite(fd2, b"PLAINFD!", 20000)
is_(bytes(mm[20000:20008]), b"PLAINFD!", "a write on the plain open is seen by the first mapping")
m2.close(); mm.close()
os.close(fd2); os.close(fd); os.close(efd)
EOF2
stop_daemon
done_testing
