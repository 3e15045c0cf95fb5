#!/bin/bash
# readdirplus-attrs-fresh (issue 10, "Scale"): the root is listed with
# readdirplus and its buffer files are cached by the kernel for a long time,
# so every change must reach the cache at once. With `ls -l` run just
# before each change (so that the kernel holds the old state), the next
# `ls -l` shows the new one: chmod, chown, rename, unlink, a staged file
# allocated at close (its size rounded up to pages), a buffer published and
# unpublished through the control socket, a transient one whose publisher
# went away. And the lookups that readdirplus hands the kernel are counted
# right: after listing many files several times and removing them, the
# daemon frees every entry (statfs's file count goes back to 0).
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
require_host
command -v ls >/dev/null 2>&1 || skip_all "no ls"

start_daemon || bail_out "dmabuffs did not mount"

py <<'PYEOF'
import os, socket, subprocess, time
from tap import *

def ls():
    """name -> (mode string, uid, size) as `ls -ln` of the root shows it."""
    out = subprocess.run(["ls", "-ln", M], capture_output=True, text=True).stdout
    rows = {}
    for line in out.splitlines()[1:]:
        f = line.split(None, 8)
        if len(f) == 9 and f[0].startswith("-"):
            rows[f[8]] = (f[0][:10], int(f[2]), int(f[4]))
    return rows

def write(name, data):
    with open(os.path.join(M, name), "wb") as f:
        f.write(data)

for n in ("a", "b", "c"):
    write(n, b"x" * 4096)
ls()
os.chmod(os.path.join(M, "a"), 0o640)
is_(ls().get("a", (None,))[0], "-rw-r-----", "chmod: ls -l shows the new mode at once")
ls()
os.chown(os.path.join(M, "b"), 1234, 4321)
is_(ls().get("b", (None, None))[1], 1234, "chown: ls -l shows the new owner at once")
ls()
os.rename(os.path.join(M, "c"), os.path.join(M, "c2"))
rows = ls()
ok("c2" in rows and "c" not in rows, "rename: ls -l shows the new name only", sorted(rows))
ls()
os.unlink(os.path.join(M, "a"))
ok("a" not in ls(), "unlink: ls -l no longer shows the file")

# Staged (written before any truncate): allocated at close, in whole pages.
write("staged", b"s" * 5000)
ls()
is_(ls().get("staged", (0, 0, 0))[2], 8192, "a staged file shows its allocated size (8192)")
ls()
is_(os.stat(os.path.join(M, "staged")).st_size, 8192, "stat agrees (8192)")

# Behind the kernel's back: the control socket.
ls()
fd = memfd(3 * PAGE, b"p" * (3 * PAGE))
st, msg, _, _ = publish(fd, "pub")
os.close(fd)
is_(status_name(st), "OK", "publish pub through the control socket")
is_(ls().get("pub", (0, 0, 0))[2], 3 * PAGE, "ls -l shows the published buffer at once")
ls()
st, _ = unpublish("pub")
is_(status_name(st), "OK", "unpublish pub")
ok("pub" not in ls(), "ls -l no longer shows the unpublished buffer")
expect_errno("ENOENT", "stat of the unpublished name fails", os.stat, os.path.join(M, "pub"))

fd = memfd(PAGE, b"t" * PAGE)
st, _, _, sock = publish(fd, "transient", FLAG_TRANSIENT)
os.close(fd)
is_(status_name(st), "OK", "publish a transient buffer")
ok("transient" in ls(), "ls -l shows it")
sock.close()
gone = False
for _ in range(50):
    if "transient" not in ls():
        gone = True
        break
    time.sleep(0.1)
ok(gone, "the publisher went away: ls -l no longer shows it")

# The lookups readdirplus counted are all forgotten in the end.
for i in range(200):
    write("many%03d" % i, b"m" * PAGE)
for _ in range(3):
    is_(len([n for n in ls() if n.startswith("many")]), 200, "ls -l shows the 200 files")
for n in os.listdir(M):
    p = os.path.join(M, n)
    if os.path.isfile(p) and not os.path.islink(p):
        os.unlink(p)
files = None
for _ in range(50):
    files = os.statvfs(M).f_files
    if files == 0:
        break
    time.sleep(0.1)
is_(files, 0, "every entry is freed once removed and forgotten (statfs f_files 0)")
PYEOF

done_testing
