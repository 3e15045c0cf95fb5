#!/bin/bash
# control-idle-lockout: connections that connect and send nothing cannot
# lock anyone out of the control socket. One uid gets at most 64
# connections (the rest are refused with EUSERS and a reason), a
# connection that sends no request within the idle timeout (5 s) is
# closed, and root has slots of its own when non-root users fill the
# table. The idle clients run as other uids (setpriv).
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
require_host
command -v setpriv >/dev/null 2>&1 || skip_all "no setpriv (util-linux)"

IDLE=$T/idle-conns.py
start_daemon || bail_out "dmabuffs did not mount"
pass "dmabuffs -f mounts $M"
# Open the socket (and the test's files) to every uid.
chmod 0666 "$DMABUFFS_CONTROL"
chmod 0755 "$T"
cp "$ITEST_DIR/tap.py" "$T/tap.py"
cp "$top_srcdir/tests/helpers/idle-conns.py" "$IDLE"
chmod 0644 "$T/tap.py" "$IDLE"
chmod 0666 "$TAP_COUNTER"
O=$T/out
mkdir -m 1777 "$O"

as_uid() {
	local uid=$1
	shift
	setpriv --reuid="$uid" --regid="$uid" --clear-groups -- \
		env PYTHONPATH="$T" T="$T" M="$M" TAP_COUNTER="$TAP_COUNTER" \
		DMABUFFS_CONTROL="$DMABUFFS_CONTROL" /usr/bin/python3 "$@"
}

# publish_as UID NAME: a fresh connection publishes a memfd; prints the
# status name.
publish_as() {
	as_uid "$1" -c "
import sys; from tap import *
fd = memfd(4096, b'x')
try:
    st, msg, _, _ = ctl(OP_PUBLISH, sys.argv[1], fds=(fd,), sock=ctl_connect(timeout=2.0))
except OSError as e:
    st, msg = None, str(e)
print(status_name(st), msg)" "$2" 2>&1
}

key() { sed -n "s/.*\\b$2=\\([^ ]*\\).*/\\1/p" "$1" | head -n 1; }

# --- 256 idle connections of one uid
as_uid 65534 "$IDLE" 256 "$O/idle.out" &
idle_pid=$!
wait_for "[ -s '$O/idle.out' ]" 100 || bail_out "idle-conns did not report"
is "$(key "$O/idle.out" accepted)" 64 "one uid gets 64 of its 256 idle connections"
is "$(key "$O/idle.out" refused)" 192 "... the other 192 are refused at once"
like "$(cat "$O/idle.out")" "reason=-$(python3 -c 'import errno; print(errno.EUSERS)'):too many connections of this user" \
	"... with EUSERS and the reason"
like "$(publish_as 4242 other)" "^OK" "another uid is served meanwhile (publish)"
like "$(publish_as 0 rootpub)" "^OK" "root is served meanwhile (publish)"
check "root's dmabufctl export is served meanwhile" -- dmabufctl export rootpub
wait "$idle_pid"
is "$(key "$O/idle.out" closed)" 64 "the daemon closes every idle connection"
after=$(key "$O/idle.out" after)
python3 -c "import sys; sys.exit(not 4.5 <= float('${after:-0}') <= 9)"
ok $? "... after the 5 s idle timeout (${after} s after connecting)"
check "the daemon logs the idle closes" -- grep -q "sent no request within 5000 ms" "$DAEMON_LOG"

# --- non-root users fill the table: root still gets in
pids=""
for u in 5001 5002 5003 5004; do
	as_uid "$u" "$IDLE" 64 "$O/idle.$u.out" &
	pids="$pids $!"
done
wait_for "[ -s '$O/idle.5001.out' ] && [ -s '$O/idle.5002.out' ] &&
	[ -s '$O/idle.5003.out' ] && [ -s '$O/idle.5004.out' ]" 100 ||
	bail_out "idle-conns did not report"
total=0
for u in 5001 5002 5003 5004; do
	total=$((total + $(key "$O/idle.$u.out" accepted)))
done
is "$total" 256 "four uids hold 256 idle connections, the non-root maximum"
# Through libdmabuffs, which reads the refusal's reply even when the
# daemon closed before the request went out (EPIPE).
like "$(setpriv --reuid=5005 --regid=5005 --clear-groups -- env DMABUFFS_CONTROL="$DMABUFFS_CONTROL" \
	"$(command -v publish-memfd)" 4096 fifth 2>&1)" "EUSERS \\(too many connections of non-root users" \
	"a fifth uid is refused with EUSERS and the reason while they last (libdmabuffs)"
like "$(publish_as 0 rootpub2)" "^OK" "root is served while the non-root slots are full"
for p in $pids; do wait "$p"; done
like "$(publish_as 5005 fifth)" "^OK" "the fifth uid is served once the idle ones are closed"
check "the daemon is still running" -- pid_alive "$DAEMON_PID"
done_testing
