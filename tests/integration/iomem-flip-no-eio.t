#!/bin/bash
# iomem-flip-no-eio: while another user holds a passthrough open of a 0644
# buffer, its owner sets user.dmabuf.iomem=1. The kernel lets no other
# kind of open beside a passthrough one (it fails them with EIO), so the
# owner's opens are passed through too until the reader closes: they
# open, read, write and map, and never see EIO. Once the reader is gone,
# new opens take the daemon's path as the flag says.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
require_host
id nobody >/dev/null 2>&1 || skip_all "no user nobody"

chmod 0755 "$T"
start_daemon allow_other || bail_out "dmabuffs did not mount"
truncate -s 64K "$M/b" || bail_out "truncate b failed"
chmod 0644 "$M/b"
if [ "$(xattr "$M/b" user.dmabuf.access)" != passthrough ]; then
	skip_all "no FUSE passthrough here: $(grep -m1 -i passthrough "$DAEMON_LOG")"
fi

py <<'EOF' || fail "the python part exited with status $?"
import mmap, os, time
from tap import *

p = M + "/b"
os.pwrite(fd := os.open(p, os.O_RDWR), b"BEFORE", 0)
os.close(fd)

# The reader: nobody, a passthrough open held until told to go.
r1, w1 = os.pipe()
r2, w2 = os.pipe()
pid = os.fork()
if pid == 0:
    os.close(r1); os.close(w2)
    os.setgroups([]); os.setgid(65534); os.setuid(65534)
    fd = os.open(p, os.O_RDONLY)
    os.write(w1, os.pread(fd, 6, 0))
    os.read(r2, 1)
    os.write(w1, os.pread(fd, 6, 200))
    os._exit(0)
os.close(w1); os.close(r2)
is_(os.read(r1, 6), b"BEFORE", "nobody opens the 0644 buffer and reads it")

os.setxattr(p, "user.dmabuf.iomem", b"1")
is_(os.getxattr(p, "user.dmabuf.iomem"), b"1", "the owner sets user.dmabuf.iomem=1")
is_(os.getxattr(p, "user.dmabuf.access"), b"passthrough",
    "beside the reader's passthrough open, opens are still passed through")
for flags, what in ((os.O_RDWR, "O_RDWR"), (os.O_RDONLY, "O_RDONLY"), (os.O_WRONLY, "O_WRONLY")):
    try:
        os.close(os.open(p, flags))
        got = "OK"
    except OSError as e:
        got = ename(e.errno)
    is_(got, "OK", "the owner's %s open works (no EIO)" % what)
fd = os.open(p, os.O_RDWR)
is_(os.pwrite(fd, b"WRITER", 200), 6, "the owner writes")
is_(os.pread(fd, 6, 0), b"BEFORE", "... and reads")
mm = mmap.mmap(fd, 4096, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
is_(mm[200:206], b"WRITER", "... and maps it MAP_SHARED")
mm.close()
os.close(fd)
os.write(w2, b"x")
is_(os.read(r1, 6), b"WRITER", "the reader sees the owner's write")
os.waitpid(pid, 0)
os.close(r1); os.close(w2)

# The reader's RELEASE reaches the daemon some time after its exit.
end = time.monotonic() + 5
while os.getxattr(p, "user.dmabuf.access") != b"direct" and time.monotonic() < end:
    time.sleep(0.05)
is_(os.getxattr(p, "user.dmabuf.access"), b"direct", "with the reader gone, opens take the daemon's path")
fd = os.open(p, os.O_RDWR)
is_(os.pread(fd, 6, 200), b"WRITER", "... and work")
os.close(fd)
EOF
check_fails "the daemon logged no open that failed" -- grep -qi "EIO\|Input/output" "$DAEMON_LOG"
stop_daemon
done_testing
