#!/bin/bash
# control-empty-message-keeps-transient: a 0-byte message is a malformed
# request like any other (EBADMSG, as HACKING.md says), not the end of the
# connection: the connection and the transient buffers it published stay.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
require_host

start_daemon || bail_out "dmabuffs did not mount"
pass "dmabuffs -f mounts $M"

py <<'EOF2'
import os, time
from tap import *

size = 8192
data = pattern(size, 11)
fd = memfd(size, data)
st, msg, _, s = publish(fd, "keep", FLAG_TRANSIENT)
os.close(fd)
is_(status_name(st), "OK", "transient PUBLISH of keep (%s)" % msg)
ok(os.path.isfile(M + "/keep"), "keep is in the mount")

try:
    st, msg, _ = ctl_raw(s, b"")
except OSError as e:
    st, msg = None, str(e)
is_(status_name(st), "EBADMSG", "a 0-byte message -> EBADMSG (%s)" % msg)
for i in range(3):
    try:
        st2, _, _ = ctl_raw(s, b"")
    except OSError:
        st2 = None
is_(status_name(st2), "EBADMSG", "... every time (three more)")
ok(os.path.isfile(M + "/keep"), "the transient buffer stays after the 0-byte messages")
is_(read_file(M + "/keep") if os.path.exists(M + "/keep") else None, data,
    "... with its content")

st, msg, rfds = ctl_raw(s, encode_request(OP_EXPORT, "keep"))
is_(status_name(st), "OK", "the same connection still serves requests (EXPORT keep)")
for f in rfds:
    os.close(f)

s.close()
for _ in range(50):
    if not os.path.exists(M + "/keep"):
        break
    time.sleep(0.1)
ok(not os.path.exists(M + "/keep"),
   "keep goes when its connection closes (it was that connection's)")
EOF2
check "the daemon is still running" -- pid_alive "$DAEMON_PID"
done_testing
