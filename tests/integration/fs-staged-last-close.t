#!/bin/bash
# A staged file (written before any truncate) is allocated when the
# process that opened it closes it, not at the first close of any copy of
# the fd: `{ head; head; } > FILE` keeps all its data (issue 10 item 7).
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
require_host

start_daemon || bail_out "dmabuffs did not mount"

check "{ head -c 10000; head -c 10000; } > x succeeds (no ENOSPC)" -- \
	bash -c "{ head -c 10000 /dev/zero; head -c 10000 /dev/zero; } > '$M/x'"
is "$(fsize "$M/x")" "$(page_round 20000)" "x has both heads' bytes, page-rounded (20480)"
is "$(xattr "$M/x" user.dmabuf.exporter)" memfd "x is allocated after the shell's close"

head -c 30000 /dev/urandom >"$T/src"
check "cp src y" -- cp "$T/src" "$M/y"
# No wait: the opener's close() allocates, before cp exits.
is "$(xattr "$M/y" user.dmabuf.exporter)" memfd "cp x FILE: the buffer exists when cp returns"
is "$(fsize "$M/y")" "$(page_round 30000)" "... at the page-rounded size"
check "... with cp's bytes" -- cmp -n 30000 "$T/src" "$M/y"

py <<'EOF2'
import os, time
from tap import *
# A child writes through the inherited fd and exits before the parent
# writes more: the child's close must not fix the size.
p = M + "/fork"
fd = os.open(p, os.O_WRONLY | os.O_CREAT, 0o600)
pid = os.fork()
if pid == 0:
    os.write(fd, b"a" * 5000)
    os._exit(0)
os.waitpid(pid, 0)
try:
    n = os.write(fd, b"b" * 9000)
    err = None
except OSError as e:
    n, err = 0, ename(e.errno)
is_((n, err), (9000, None), "the parent writes after its child's close (no ENOSPC)")
os.close(fd)
is_(os.stat(p).st_size, 16384, "the parent's close allocates at 14000 bytes, page-rounded")
with open(p, "rb") as f:
    is_(f.read(14000), b"a" * 5000 + b"b" * 9000, "both writes are in the buffer")

# Two open files: the first one's close leaves it staged for the other.
p = M + "/two"
a = os.open(p, os.O_WRONLY | os.O_CREAT, 0o600)
b = os.open(p, os.O_WRONLY)
os.write(a, b"x" * 100)
os.close(a)
is_(os.getxattr(p, "user.dmabuf.exporter"), b"none", "still staged while another open file has it")
os.pwrite(b, b"y" * 6000, 100)
os.close(b)
# a's RELEASE may still be on its way (the kernel sends it in the
# background): then b's close leaves it staged and b's RELEASE allocates.
for _ in range(50):
    if os.getxattr(p, "user.dmabuf.exporter") != b"none":
        break
    time.sleep(0.1)
is_(os.stat(p).st_size, 8192, "the last close allocates at the size both wrote (6100 -> 8192)")
EOF2

stop_daemon
done_testing
