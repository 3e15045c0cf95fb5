#!/bin/bash
# control-lingering-close: dropping a refused fd never blocks the daemon.
# Another uid publishes, as the "buffer", a loopback TCP socket with
# unsent data, SO_LINGER of an hour and a peer that never reads, closing
# its own copy so that the daemon's close() is the last and blocks; then a
# second one, 16,800 more fds (what filled the single closer's queue
# before, so that the control thread closed the next ones itself), then a
# third such socket (tests/helpers/linger-attacker.py). Still: root's LIST and
# PUBLISH are answered within 3 s, the attacker's uid is refused once it
# has 64 fds waiting for a close, and SIGTERM ends the mount within 5 s.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
require_host
command -v setpriv >/dev/null 2>&1 || skip_all "no setpriv (util-linux)"

start_daemon || bail_out "dmabuffs did not mount"
pass "dmabuffs -f mounts $M"
chmod 0666 "$DMABUFFS_CONTROL"
chmod 0755 "$T"
cp "$ITEST_DIR/tap.py" "$top_srcdir/tests/helpers/linger-attacker.py" "$T/"
chmod 0644 "$T/tap.py" "$T/linger-attacker.py"

coproc ATTACK {
	exec setpriv --reuid=5011 --regid=5011 --clear-groups -- \
		env PYTHONPATH="$T" DMABUFFS_CONTROL="$DMABUFFS_CONTROL" \
		/usr/bin/python3 "$T/linger-attacker.py" 2100 2>"$T/attack.err"
}
APID=$ATTACK_PID
trap 'kill $APID 2>/dev/null; cleanup' EXIT
result=
read -r -t 120 result <&"${ATTACK[0]}"
diag "attacker: ${result:-nothing} $(head -c 300 "$T/attack.err")"
export result
field() {
	python3 -c 'import json, os, sys; print(json.loads(os.environ["result"] or "{}").get(sys.argv[1]))' "$1"
}
is "$(field first)" EINVAL "the lingering socket is refused as not a dma-buf"
is "$(field second)" EINVAL "... and a second one"
is "$(field late)" EUSERS "the attacker's uid is refused once 64 of its fds wait for a close"

# The daemon's close of it must really be stuck, or this proves nothing.
stuck=0
for t in /proc/"$DAEMON_PID"/task/*; do
	grep -qs "tcp_close\|sk_stream_wait_close" "$t/stack" && stuck=$((stuck + 1))
done
if [ -r "/proc/$DAEMON_PID/task/$DAEMON_PID/stack" ]; then
	ok "$([ "$stuck" -ge 1 ] && echo 0 || echo 1)" "a daemon thread is stuck in the socket's close ($stuck)"
else
	diag "no /proc/PID/stack: the stuck close is not checked"
fi

py <<'EOF2'
import os, time
from tap import *

OP_LIST = 4
t0 = time.monotonic()
try:
    s = ctl_connect(timeout=3.0)
    s.send(encode_request(OP_LIST, ""))
    got = len(s.recv(1 << 20))
except OSError as e:
    got = str(e)
ok(isinstance(got, int) and got > 0, "root's LIST is answered (%.2f s)" % (time.monotonic() - t0), got)
m = memfd(4096, pattern(4096, 1))
t0 = time.monotonic()
try:
    st, msg, _, _ = ctl(OP_PUBLISH, "victim", fds=(m,), sock=ctl_connect(timeout=3.0))
except OSError as e:
    st, msg = None, str(e)
is_(status_name(st), "OK", "root's PUBLISH is answered (%.2f s: %s)" % (time.monotonic() - t0, msg))
ok(os.path.isfile(M + "/victim"), "the victim's buffer is in the mount")
EOF2

t0=$(date +%s%N)
kill -TERM "$DAEMON_PID"
if wait_for "not_mounted '$M'" 50; then
	pass "SIGTERM ends the mount within 5 s ($((($(date +%s%N) - t0) / 1000000)) ms)"
else
	fail "SIGTERM ends the mount within 5 s"
	kill -KILL "$DAEMON_PID" 2>/dev/null
fi
wait_for "! pid_alive $DAEMON_PID" 50
check "the daemon exits after SIGTERM" -- sh -c "! kill -0 $DAEMON_PID 2>/dev/null"
done_testing
