#!/bin/bash
# control-reserved-names: the mount root's own directories (new, by-inode,
# by-exporter, proc, scanout) and names with control bytes cannot be made
# by publish, import, create or rename: EINVAL, and nothing shadows a
# directory or shows twice in readdir.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
require_host

start_daemon || bail_out "dmabuffs did not mount"
pass "dmabuffs -f mounts $M"

py <<'EOF2'
import os
from tap import *

bad = ["new", "by-inode", "by-exporter", "proc", "scanout",
       "line\nbreak", "esc\x1b[2J", "tab\there", "del\x7f", "\x01"]
fd = memfd(4096, b"x")
for name in bad:
    st, msg, _, _ = publish(fd, name)
    is_(status_name(st), "EINVAL", "PUBLISH as %r -> EINVAL (%s)" % (name, msg))
os.close(fd)
names = os.listdir(M)
dups = sorted({n for n in names if names.count(n) > 1})
ok(not dups, "readdir lists no name twice", repr(dups))
ok(not [n for n in names if any(ord(c) < 0x20 or c == "\x7f" for c in n)],
   "no name with control bytes was made", repr(names))

# create and rename go through the same rule
for name in ("scanout", "line\nbreak", "esc\x1b"):
    is_errno(errno_of(os.open, M + "/" + name, os.O_CREAT | os.O_WRONLY, 0o600),
             "EINVAL", "create of %r -> EINVAL" % name)
os.close(os.open(M + "/plain", os.O_CREAT | os.O_WRONLY, 0o600))
for name in ("scanout", "ctl\x07"):
    is_errno(errno_of(os.rename, M + "/plain", M + "/" + name), "EINVAL",
             "rename to %r -> EINVAL" % name)
ok(os.path.exists(M + "/plain"), "plain keeps its name after the refused renames")
ok(os.path.isdir(M + "/new") and os.path.isdir(M + "/by-inode"),
   "new/ and by-inode/ are still the tree's directories")
EOF2

# import makes a name as well
python3 -c "
import os, time
fd = os.memfd_create('held', os.MFD_ALLOW_SEALING)
os.ftruncate(fd, 4096)
print(fd, flush=True)
time.sleep(30)" >"$T/holder.out" &
holder_pid=$!
wait_for "[ -s '$T/holder.out' ]" 50
held_fd=$(cat "$T/holder.out")
check_fails "dmabufctl import as by-exporter is refused" -- \
	dmabufctl import --pid "$holder_pid" --fd "$held_fd" by-exporter
check_fails "dmabufctl import as a name with a newline is refused" -- \
	dmabufctl import --pid "$holder_pid" --fd "$held_fd" "$(printf 'a\nb')"
check "dmabufctl import as an ordinary name still works" -- \
	dmabufctl import --pid "$holder_pid" --fd "$held_fd" heldbuf
kill "$holder_pid" 2>/dev/null
wait "$holder_pid" 2>/dev/null
done_testing
