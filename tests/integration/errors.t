#!/bin/bash
# Every error row of dmabuffs(5)'s OPERATIONS and HACKING.md's decisions,
# each with the exact errno.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
require_host

start_daemon || bail_out "dmabuffs did not mount"
pass "dmabuffs -f mounts $M"

truncate -s 64K "$M/a" || diag "truncate -s 64K a failed"
truncate -s 8K "$M/b" || diag "truncate -s 8K b failed"

py <<'EOF'
import os, stat, errno
from tap import *

a = M + "/a"
size = os.stat(a).st_size
is_(size, 65536, "a is 64 KiB")
data = pattern(size, 1)
fd = os.open(a, os.O_RDWR)
os.pwrite(fd, data, 0)

# write at or after the end: ENOSPC from the daemon; a passthrough open
# gets the kernel's EPERM for the sealed memfd (dmabuffs(5))
end = "EPERM" if os.getxattr(a, "user.dmabuf.access") == b"passthrough" else "ENOSPC"
expect_errno(end, "pwrite at off == size -> " + end, os.pwrite, fd, b"x", size)
expect_errno(end, "pwrite at off > size -> " + end, os.pwrite, fd, b"x", size + 4096)
expect_errno(end, "pwrite far past the end -> " + end, os.pwrite, fd, b"x" * 100, 1 << 30)
is_(os.pwrite(fd, b"abc", size - 1), 1, "pwrite straddling the end writes the byte that fits")
os.pwrite(fd, data[-1:], size - 1)

# truncate of an allocated buffer
expect_errno("EPERM", "truncate to a smaller size -> EPERM", os.truncate, a, 4096)
expect_errno("EPERM", "truncate to a larger size -> EPERM", os.truncate, a, 2 * size)
expect_errno("EPERM", "truncate to 0 -> EPERM", os.truncate, a, 0)
expect_errno("EPERM", "ftruncate to another size -> EPERM", os.ftruncate, fd, size + 1)
expect_errno("OK", "truncate to the same size succeeds", os.truncate, a, size)
expect_errno("OK", "ftruncate to the same size succeeds", os.ftruncate, fd, size)
is_(os.fstat(fd).st_size, size, "size unchanged after the truncates")
is_(pread_all(fd, size, 0), data, "content unchanged after the truncates")

# open(O_TRUNC) of an allocated buffer is ignored
fd2 = os.open(a, os.O_WRONLY | os.O_TRUNC)
is_(os.fstat(fd2).st_size, size, "open(O_TRUNC) leaves the size")
os.close(fd2)
is_(os.stat(a).st_size, size, "stat after open(O_TRUNC) shows the size")
is_(read_file(a), data, "open(O_TRUNC) leaves the contents")
fd2 = os.open(a, os.O_WRONLY | os.O_TRUNC | os.O_CREAT, 0o600)
is_(os.fstat(fd2).st_size, size, "open(O_CREAT|O_TRUNC) of an existing buffer leaves the size")
os.close(fd2)

# O_NONBLOCK read on a memfd buffer: no fences, so no EAGAIN
fd3 = os.open(a, os.O_RDONLY | os.O_NONBLOCK)
r = errno_of(os.pread, fd3, 4096, 0)
is_(r, "OK", "O_NONBLOCK read of a memfd buffer succeeds")
ok(r == "OK" and errno_of.last == data[:4096], "O_NONBLOCK read returns the data")
os.close(fd3)
os.close(fd)

# mkdir, link, symlink, mknod
expect_errno("EPERM", "mkdir in the root -> EPERM", os.mkdir, M + "/d")
expect_errno("EPERM", "link -> EPERM", os.link, a, M + "/hard")
expect_errno("EPERM", "symlink -> EPERM", os.symlink, "a", M + "/sym")
expect_errno("EPERM", "mknod FIFO -> EPERM", os.mknod, M + "/fifo", stat.S_IFIFO | 0o600)
expect_errno("EPERM", "mknod char device -> EPERM", os.mknod, M + "/chr",
             stat.S_IFCHR | 0o600, os.makedev(1, 3))
expect_errno("EPERM", "mknod S_IFREG -> EPERM (dmabuffs(5): mknod is EPERM)", os.mknod,
             M + "/reg", stat.S_IFREG | 0o600)
expect_errno("EPERM", "mkdir in by-inode/ -> EPERM", os.mkdir, M + "/by-inode/d")
for n in ("d", "hard", "sym", "fifo", "chr", "reg"):
    ok(not os.path.lexists(M + "/" + n), "nothing named %s was created" % n)

# names
long = "n" * 256
expect_errno("ENAMETOOLONG", "open(O_CREAT) of a 256-byte name -> ENAMETOOLONG",
             os.open, M + "/" + long, os.O_CREAT | os.O_WRONLY, 0o600)
ok(long not in os.listdir(M), "the 256-byte name was not created")
ok255 = "m" * 255
r = errno_of(os.open, M + "/" + ok255, os.O_CREAT | os.O_WRONLY, 0o600)
is_(r, "OK", "a 255-byte name can be created")
if r == "OK":
    os.close(errno_of.last)
    os.unlink(M + "/" + ok255)
expect_errno("ENAMETOOLONG", "rename to a 256-byte name -> ENAMETOOLONG",
             os.rename, M + "/b", M + "/" + long)
# "." and ".." never reach the daemon: the VFS resolves them (EISDIR here).
# The daemon's own check of them is exercised on the control socket.
expect_errno("EISDIR", "open(O_CREAT|O_WRONLY) of '.' fails in the VFS (EISDIR)",
             os.open, M + "/.", os.O_CREAT | os.O_WRONLY, 0o600)

# new/BACKEND/NAME
expect_errno("ENOENT", "open(O_CREAT) of new/bogus/x -> ENOENT",
             os.open, M + "/new/bogus/x", os.O_CREAT | os.O_WRONLY, 0o600)
expect_errno("ENOENT", "truncate of new/bogus/x -> ENOENT", os.truncate, M + "/new/bogus/x", 4096)
ok(not os.path.lexists(M + "/x"), "new/bogus/x created nothing")
expect_errno("ENOENT", "stat of a missing name -> ENOENT", os.stat, M + "/missing")

# rename within the root
b_data = pattern(8192, 2)
with open(M + "/b", "r+b") as f:
    f.write(b_data)
expect_errno("OK", "rename b -> c within the root", os.rename, M + "/b", M + "/c")
ok(not os.path.lexists(M + "/b"), "b is gone after the rename")
is_(read_file(M + "/c"), b_data, "c has b's content")
# Replacing an existing name: dmabuffs(5) promises rename(2)'s atomic
# replace, as a Linux user expects.
expect_errno("OK", "rename c onto the existing a replaces it (rename(2) semantics)",
             os.rename, M + "/c", M + "/a")
ok(not os.path.lexists(M + "/c"), "c is gone after rename onto a")
is_(read_file(M + "/a"), b_data, "a now has c's content")
is_(os.stat(M + "/a").st_size, 8192, "a now has c's size")
# Renaming into a subdirectory: dmabuffs(5) says EPERM, and nothing moves.
expect_errno("EPERM", "rename of a out of the root into by-inode/ -> EPERM",
             os.rename, M + "/a", M + "/by-inode/zz")
ok(os.path.exists(M + "/a"), "a is still in the root")

# unlink: the name goes, open fds keep working until close
truncate_path = M + "/u"
fd = os.open(truncate_path, os.O_CREAT | os.O_RDWR, 0o600)
os.ftruncate(fd, 16384)
u_data = pattern(16384, 4)
os.pwrite(fd, u_data, 0)
expect_errno("OK", "unlink u", os.unlink, truncate_path)
ok(not os.path.lexists(truncate_path), "u is gone from the tree")
ok("u" not in os.listdir(M), "u is not listed")
is_(pread_all(fd, 16384, 0), u_data, "an fd opened before the unlink still reads")
is_(os.pwrite(fd, b"after", 100), 5, "... and writes")
is_(os.pread(fd, 5, 100), b"after", "... and reads the write back")
is_(os.fstat(fd).st_size, 16384, "... and fstat still shows the size")
os.close(fd)
expect_errno("ENOENT", "unlink of a missing name -> ENOENT", os.unlink, M + "/u")
ok(errno_of(os.rmdir, M + "/by-inode") != "OK" and os.path.isdir(M + "/by-inode"),
   "rmdir of by-inode fails and it stays")
EOF

# Extended attributes (HACKING.md "Decisions").
truncate -s 4K "$M/xa" || diag "truncate -s 4K xa failed"
py <<'EOF'
import os, ctypes, ctypes.util
from tap import *
p = M + "/xa"
expect_errno("ENOTSUP", "set user.other -> ENOTSUP", os.setxattr, p, "user.other", b"1")
expect_errno("ENOTSUP", "set trusted.other -> ENOTSUP", os.setxattr, p, "trusted.other", b"1")
expect_errno("ENODATA", "get user.other -> ENODATA", os.getxattr, p, "user.other")
expect_errno("ENODATA", "get user.dmabuf.bogus -> ENODATA", os.getxattr, p, "user.dmabuf.bogus")
expect_errno("ENOTSUP", "set user.dmabuf.bogus -> ENOTSUP (not a dmabuffs attribute)",
             os.setxattr, p, "user.dmabuf.bogus", b"1")
for ro in ("exporter", "inode", "origin", "holders", "backend"):
    expect_errno("EPERM", "set read-only user.dmabuf.%s -> EPERM" % ro,
                 os.setxattr, p, "user.dmabuf." + ro, b"1")
expect_errno("EPERM", "set read-only user.dmabuf.iomem_reason -> EPERM",
             os.setxattr, p, "user.dmabuf.iomem_reason", b"x")
expect_errno("EPERM", "remove user.dmabuf.exporter -> EPERM",
             os.removexattr, p, "user.dmabuf.exporter")
for bad in (b"2", b"yes", b"", b"01x"):
    expect_errno("EINVAL", "set user.dmabuf.iomem=%r -> EINVAL" % bad,
                 os.setxattr, p, "user.dmabuf.iomem", bad)
expect_errno("EINVAL", "set user.dmabuf.name of 32 bytes -> EINVAL",
             os.setxattr, p, "user.dmabuf.name", b"n" * 32)
expect_errno("OK", "set user.dmabuf.name of 31 bytes succeeds",
             os.setxattr, p, "user.dmabuf.name", b"n" * 31)
for k in ("format", "width", "height", "stride", "modifier"):
    expect_errno("ERANGE", "set user.dmabuf.%s of 65 bytes -> ERANGE" % k,
                 os.setxattr, p, "user.dmabuf." + k, b"9" * 65)
    expect_errno("OK", "set user.dmabuf.%s of 64 bytes succeeds" % k,
                 os.setxattr, p, "user.dmabuf." + k, b"9" * 64)

# getxattr/listxattr with a too-small buffer -> ERANGE, size 0 -> the length
libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
buf = ctypes.create_string_buffer(64)
n = libc.getxattr(p.encode(), b"user.dmabuf.exporter", None, 0)
is_(n, len(b"memfd"), "getxattr(size 0) returns the value length (5 for memfd)")
r = libc.getxattr(p.encode(), b"user.dmabuf.exporter", buf, 2)
e = ctypes.get_errno()
is_((r, ename(e) if r < 0 else None), (-1, "ERANGE"), "getxattr with a 2-byte buffer -> ERANGE")
r = libc.listxattr(p.encode(), buf, 3)
e = ctypes.get_errno()
is_((r, ename(e) if r < 0 else None), (-1, "ERANGE"), "listxattr with a 3-byte buffer -> ERANGE")
names = os.listxattr(p)
for k in ("exporter", "iomem", "name", "inode", "origin", "holders"):
    ok("user.dmabuf." + k in names, "listxattr lists user.dmabuf.%s" % k, repr(names))
ok(all(n.startswith("user.dmabuf.") for n in names), "listxattr lists only user.dmabuf.*",
   repr(names))
EOF

done_testing
