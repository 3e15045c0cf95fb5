#!/bin/bash
# mmap of buffer files: MAP_SHARED write-back on msync/fsync and on
# DMA_BUF_IOCTL_SYNC(SYNC_END|WRITE), invalidation on SYNC_START, MAP_PRIVATE,
# and mapping a staged file. The buffer's memory is checked through an
# independent path: the fd the control socket's EXPORT hands back (for the
# memfd backend, the daemon's own memfd), which bypasses FUSE and its page
# cache.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
require_host

start_daemon || bail_out "dmabuffs did not mount"
pass "dmabuffs -f mounts $M"
truncate -s 64K "$M/m" || diag "truncate -s 64K m failed"

py <<'EOF'
import os, mmap
from tap import *

p = M + "/m"
size = os.stat(p).st_size
is_(size, 65536, "m is 64 KiB")
base = pattern(size, 11)
with open(p, "r+b") as f:
    f.write(base)

st, efd, msg = export("m")
ok(st == 0 and efd is not None, "EXPORT m over the control socket gives an fd",
   "status %s: %s" % (status_name(st), msg))

def buffer_bytes(off, n):
    """The buffer's memory, read behind FUSE's back."""
    if efd is None:
        return None
    return fd_content(efd, size)[off:off + n]

if efd is not None:
    is_(buffer_bytes(0, size), base, "the exported fd shows what write() put in m")

# 1. MAP_SHARED store + msync -> another fd's read() and the buffer see it
fd = os.open(p, os.O_RDWR)
mm = mmap.mmap(fd, size, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
is_(mm[:size], base, "a MAP_SHARED mapping shows the buffer")
mm[100:110] = b"MAPSHARED!"
mm.flush()  # msync(MS_SYNC)
fd2 = os.open(p, os.O_RDONLY)
is_(os.pread(fd2, 10, 100), b"MAPSHARED!", "read() through another fd sees the store after msync")
os.close(fd2)
is_(buffer_bytes(100, 10), b"MAPSHARED!", "the buffer itself has the store after msync")

# 2. MAP_SHARED store + fsync
mm[5000:5005] = b"FSYNC"
os.fsync(fd)
is_(buffer_bytes(5000, 5), b"FSYNC", "the buffer has a mapped store after fsync")

# 3. SYNC_END with WRITE writes dirty pages back (a page not touched by the
#    steps above, and no msync/fsync: only the ioctl can get it there)
r = errno_of(dma_buf_sync, fd, SYNC_START | SYNC_RW)
is_(r, "OK", "DMA_BUF_IOCTL_SYNC(START|RW) on the buffer file succeeds")
mm[40000:40008] = b"SYNC-END"
r = errno_of(dma_buf_sync, fd, SYNC_END | SYNC_RW)
is_(r, "OK", "DMA_BUF_IOCTL_SYNC(END|RW) on the buffer file succeeds")
is_(buffer_bytes(40000, 8), b"SYNC-END", "SYNC_END|WRITE wrote the dirty page back to the buffer")

# 4. write() through another fd -> the existing mapping after SYNC_START
fd2 = os.open(p, os.O_WRONLY)
os.pwrite(fd2, b"WRITTEN-BY-WRITE", 20000)
os.close(fd2)
dma_buf_sync(fd, SYNC_START | SYNC_READ)
is_(mm[20000:20016], b"WRITTEN-BY-WRITE", "the mapping sees a write() after SYNC_START")
dma_buf_sync(fd, SYNC_END | SYNC_READ)

# 5. the buffer changes behind FUSE (the exporter's side) -> SYNC_START drops
#    the stale cached page, the mapping and read() see the new bytes
if efd is not None:
    _ = mm[30000:30010]  # make sure the page is cached
    with mmap.mmap(efd, size, mmap.MAP_SHARED) as em:
        em[30000:30010] = b"DEVICEWROT"
    dma_buf_sync(fd, SYNC_START | SYNC_READ)
    is_(mm[30000:30010], b"DEVICEWROT",
        "SYNC_START makes a device-side change visible in an existing mapping")
    is_(os.pread(fd, 10, 30000), b"DEVICEWROT", "... and to read() on the same fd")
    dma_buf_sync(fd, SYNC_END | SYNC_READ)
else:
    ok(False, "SYNC_START makes a device-side change visible (no exported fd)")
    ok(False, "... and to read() (no exported fd)")

# like a dma-buf fd: unknown sync flags are EINVAL
expect_errno("EINVAL", "DMA_BUF_IOCTL_SYNC with flags 0x100 -> EINVAL (as on a dma-buf)",
             dma_buf_sync, fd, 0x100)
mm.close()
os.close(fd)

# 6. MAP_PRIVATE: readable, stores stay private
before = read_file(p)
fd = os.open(p, os.O_RDWR)
pm = mmap.mmap(fd, size, mmap.MAP_PRIVATE, mmap.PROT_READ | mmap.PROT_WRITE)
is_(pm[:size], before, "a MAP_PRIVATE mapping shows the buffer")
pm[0:7] = b"PRIVATE"
is_(pm[0:7], b"PRIVATE", "a MAP_PRIVATE mapping takes stores")
pm.close()
os.fsync(fd)
os.close(fd)
is_(read_file(p), before, "MAP_PRIVATE stores do not reach the file")
if efd is not None:
    is_(buffer_bytes(0, size), before, "MAP_PRIVATE stores do not reach the buffer")

# read-only MAP_SHARED on an O_RDONLY fd
fd = os.open(p, os.O_RDONLY)
rm = mmap.mmap(fd, size, mmap.MAP_SHARED, mmap.PROT_READ)
is_(rm[:size], before, "a read-only MAP_SHARED mapping of an O_RDONLY fd works")
rm.close()
os.close(fd)
if efd is not None:
    os.close(efd)

# 7. a staged file (written before any truncate) can be mapped
sp = M + "/staged"
sdata = pattern(6000, 12)
fd = os.open(sp, os.O_CREAT | os.O_RDWR, 0o600)
os.write(fd, sdata)
r = errno_of(mmap.mmap, fd, 6000, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
is_(r, "OK", "a staged file can be mmapped MAP_SHARED")
if r == "OK":
    sm = errno_of.last
    is_(sm[:6000], sdata, "the staged mapping shows what was written")
    sm[10:20] = b"STAGEDMMAP"
    sm.flush()
    is_(os.pread(fd, 10, 10), b"STAGEDMMAP", "read() sees a store into the staged mapping")
    sm.close()
else:
    for d in ("the staged mapping shows what was written",
              "read() sees a store into the staged mapping"):
        ok(False, d)
os.close(fd)
rounded = (6000 + PAGE - 1) // PAGE * PAGE
is_(os.stat(sp).st_size, rounded, "the staged file is allocated at the last close")
want = sdata[:10] + b"STAGEDMMAP" + sdata[20:]
is_(read_file(sp, 0, 6000), want, "the allocated buffer keeps the mapped store")
fd = os.open(sp, os.O_RDWR)
sm = mmap.mmap(fd, rounded, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
is_(sm[:6000], want, "the allocated staged buffer maps with the same content")
sm.close()
os.close(fd)

# O_DIRECT: read()/write() bypass the page cache and reach the buffer in one
# request each; with FUSE_DIRECT_IO_ALLOW_MMAP (or passthrough) such an fd
# maps MAP_SHARED too.
dp = M + "/direct"
fd = os.open(dp, os.O_CREAT | os.O_RDWR, 0o600)
os.ftruncate(fd, 1 << 20)
os.close(fd)
ddata = pattern(1 << 20, 33)
buf = mmap.mmap(-1, 1 << 20)          # page-aligned memory for O_DIRECT
buf[:] = ddata
fd = os.open(dp, os.O_RDWR | os.O_DIRECT)
is_(os.pwritev(fd, [buf], 0), 1 << 20, "an O_DIRECT write of 1 MiB writes it all")
back = mmap.mmap(-1, 1 << 20)
is_(os.preadv(fd, [back], 0), 1 << 20, "an O_DIRECT read of 1 MiB reads it all")
is_(bytes(back[:]), ddata, "O_DIRECT reads back what O_DIRECT wrote")
is_(errno_of(mmap.mmap, fd, 4096, mmap.MAP_SHARED, mmap.PROT_READ), "OK",
    "an O_DIRECT fd maps MAP_SHARED")
os.close(fd)
is_(read_file(dp), ddata, "a page-cache open sees the O_DIRECT data")

# Write-only opens (dd of=, cp, cat >) are served with direct I/O too: the
# data is in the buffer when write() returns, and a mapping held elsewhere
# sees it after SYNC_START, like data written by a device.
rfd = os.open(dp, os.O_RDWR)
rm = mmap.mmap(rfd, 1 << 20, mmap.MAP_SHARED, mmap.PROT_READ)
is_(rm[:8], ddata[:8], "a mapping shows the buffer before the write-only write")
wfd = os.open(dp, os.O_WRONLY)
is_(os.pwrite(wfd, b"WRITEONLY", 0), 9, "a write-only open writes")
st, efd, msg = export("direct")
if efd is not None:
    em = mmap.mmap(efd, 4096, mmap.MAP_SHARED, mmap.PROT_READ)
    is_(em[:9], b"WRITEONLY", "the write-only write is in the buffer when write() returns")
    em.close(); os.close(efd)
else:
    ok(False, "the write-only write is in the buffer when write() returns", msg)
dma_buf_sync(rfd, SYNC_START | SYNC_READ)
is_(rm[:9], b"WRITEONLY", "an existing mapping sees it after SYNC_START")
dma_buf_sync(rfd, SYNC_END | SYNC_READ)
os.close(wfd); rm.close(); os.close(rfd)
EOF

done_testing
