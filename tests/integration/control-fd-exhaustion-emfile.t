#!/bin/bash
# control-fd-exhaustion-emfile: when the daemon cannot install a received
# fd (its RLIMIT_NOFILE is reached), recvmsg() truncates SCM_RIGHTS
# (MSG_CTRUNC) with fewer fds than there was room for. That is EMFILE --
# the daemon is out of fds -- not E2BIG "too many fds"; the daemon says so
# in its log and serves the same publish once fds are free again.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
require_host

start_daemon || bail_out "dmabuffs did not mount"
pass "dmabuffs -f mounts $M"

export DAEMON_PID DAEMON_LOG
py <<'EOF2'
import os, resource
from tap import *

pid = int(os.environ["DAEMON_PID"])
# Accepted before the limit is lowered: accept() needs an fd too.
s = ctl_connect()
st, msg, _ = ctl_raw(s, encode_request(OP_EXPORT, "nosuch"))
is_(status_name(st), "ENOENT", "the connection is served (EXPORT nosuch -> ENOENT)")

def lowest_free_fd():
    used = {int(x) for x in os.listdir("/proc/%d/fd" % pid)}
    n = 0
    while n in used:
        n += 1
    return n

old = resource.prlimit(pid, resource.RLIMIT_NOFILE)
lim = lowest_free_fd()
fd = memfd(4096, b"x")
try:
    # No new fd fits under the limit: the kernel cannot install ours.
    resource.prlimit(pid, resource.RLIMIT_NOFILE, (lim, old[1]))
    st, msg, _ = ctl_raw(s, encode_request(OP_PUBLISH, "starved"), (fd,))
finally:
    resource.prlimit(pid, resource.RLIMIT_NOFILE, old)
is_(status_name(st), "EMFILE", "PUBLISH while the daemon is out of fds -> EMFILE (%s)" % msg)
ok("file descriptors" in msg, "... and the reply says why", msg)
ok(not os.path.exists(M + "/starved"), "nothing was published")

st, msg, _ = ctl_raw(s, encode_request(OP_PUBLISH, "starved"), (fd,))
is_(status_name(st), "OK", "the same PUBLISH succeeds once the limit is back (%s)" % msg)
os.close(fd)
s.close()
log = open(os.environ["DAEMON_LOG"], errors="replace").read()
ok("out of file descriptors" in log, "the daemon logs that it is out of fds")
EOF2
check "the daemon is still running" -- pid_alive "$DAEMON_PID"
done_testing
