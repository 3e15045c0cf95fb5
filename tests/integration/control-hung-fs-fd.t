#!/bin/bash
# control-hung-fs-fd: an fd of a file on another FUSE file system whose
# statfs never answers (tests/helpers/hang-statfs-fs) is published. The
# daemon must decide that it is not a dma-buf without calling into that
# file system: the publish is refused at once, a second client is served
# within a second, and SIGTERM still stops the daemon.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
require_host
command -v hang-statfs-fs >/dev/null 2>&1 || bail_out "hang-statfs-fs not built"

H=$T/hung
mkdir -p "$H"
hang-statfs-fs "$H" >"$T/hang.log" 2>&1 &
HANG_PID=$!
stop_hang() {
	kill -TERM "$HANG_PID" 2>/dev/null
	wait_for "! pid_alive $HANG_PID" 30 || kill -KILL "$HANG_PID" 2>/dev/null
	wait "$HANG_PID" 2>/dev/null
	force_unmount "$H"
	[ -n "${stat_pid:-}" ] && wait "$stat_pid" 2>/dev/null
}
# The daemon's own cleanup runs first (lib.sh's trap), then ours.
trap 'stop_hang; cleanup' EXIT
wait_for "mountpoint -q '$H'" 50 || bail_out "hang-statfs-fs did not mount $H"
pass "hang-statfs-fs mounts $H"
is "$(cat "$H/file" | head -c 4)" hhhh "its file reads"
# The helper must really hang, or this test proves nothing. The stat
# cannot be killed (FUSE waits uninterruptibly for a request it has handed
# out): it ends when the helper does.
stat -f "$H/file" >/dev/null 2>&1 &
stat_pid=$!
sleep 1
check "statfs on its file does not return (stat -f still waits after 1 s)" -- pid_alive "$stat_pid"

start_daemon || bail_out "dmabuffs did not mount"
pass "dmabuffs -f mounts $M"

export H DAEMON_PID
py <<'EOF2'
import os, time, threading
from tap import *

fd = os.open(os.environ["H"] + "/file", os.O_RDONLY)
res = {}

def hostile():
    try:
        s = ctl_connect(timeout=5.0)
        st, msg, _ = ctl_raw(s, encode_request(OP_PUBLISH, "hung"), (fd,))
        res["st"] = st
        s.close()
    except OSError as e:
        res["err"] = e

t = threading.Thread(target=hostile, daemon=True)
t0 = time.monotonic()
t.start()
t.join(3.0)
ok("st" in res, "the daemon answers the publish of the hung file system's fd",
   "no reply after %.1f s (%r)" % (time.monotonic() - t0, res.get("err")))
is_(status_name(res.get("st")), "EINVAL", "... refusing it as not a dma-buf")
os.close(fd)

# a second client, once the hostile one is in
size = 8192
m = memfd(size, pattern(size, 3))
t0 = time.monotonic()
try:
    st, msg, _, _ = ctl(OP_PUBLISH, "after", fds=(m,), sock=ctl_connect(timeout=1.0))
except OSError as e:
    st, msg = None, str(e)
dt = time.monotonic() - t0
is_(status_name(st), "OK", "a second client's PUBLISH is served (%s)" % msg)
ok(dt < 1.0, "... within a second", "%.2f s" % dt)
os.close(m)
ok(os.path.isfile(M + "/after"), "the second client's buffer is in the mount")
ok(not os.path.exists(M + "/hung"), "the hung file system's fd published nothing")
EOF2

# SIGTERM must still stop the daemon (the control thread is joined at stop).
kill -TERM "$DAEMON_PID"
if wait_for "! pid_alive $DAEMON_PID" 50; then
	pass "SIGTERM stops the daemon within 5 s"
else
	fail "SIGTERM stops the daemon within 5 s"
	kill -KILL "$DAEMON_PID" 2>/dev/null
	# A thread stuck in the helper's statfs holds the killed daemon
	# until the helper goes.
	stop_hang
fi
wait "$DAEMON_PID" 2>/dev/null
wait_for "not_mounted '$M'" 30
check "the daemon's mount is gone" -- not_mounted "$M"
stop_hang
check "hang-statfs-fs unmounted" -- not_mounted "$H"
done_testing
