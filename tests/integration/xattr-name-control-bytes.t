#!/bin/bash
# xattr-name-control-bytes: user.dmabuf.name (the dma-buf's own name, shown
# in /proc/PID/fdinfo by real exporters) refuses control bytes with EINVAL,
# as buffer names do: a newline would inject a line into every fdinfo
# reader. An ordinary name is still set.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
require_host

start_daemon || bail_out "dmabuffs did not mount"
truncate -s 4K "$M/b" || bail_out "truncate failed"
py <<'PY' || fail "the python part exited with status $?"
import os
from tap import *
p = M + "/b"
for v, what in ((b"a\nb", "a newline"), (b"a\tb", "a tab"), (b"\x1b[31m", "an escape"),
                (b"a\x7fb", "DEL"), (b"name\n", "a trailing newline")):
    expect_errno("EINVAL", "user.dmabuf.name with %s: EINVAL" % what,
                 os.setxattr, p, "user.dmabuf.name", v)
    ok(b"\n" not in os.getxattr(p, "user.dmabuf.name"), "... and the name has no newline")
expect_errno("OK", "an ordinary name is set", os.setxattr, p, "user.dmabuf.name", b"cam 0 (front)")
is_(os.getxattr(p, "user.dmabuf.name").rstrip(b"\0"), b"cam 0 (front)", "... and reads back")
PY
stop_daemon
done_testing
