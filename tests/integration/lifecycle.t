#!/bin/bash
# Starting and stopping the daemon: signals, stale mounts, a second
# instance, --help/--version, bad options, and detaching without -f.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/daemon-lib.sh"
require_host

# --- SIGTERM and SIGINT
for sig in TERM INT; do
	start_daemon || bail_out "dmabuffs did not mount"
	pass "dmabuffs mounts (for SIG$sig)"
	truncate -s 4K "$M/f"
	kill -"$sig" "$DAEMON_PID"
	wait_exit "$DAEMON_PID"
	is "$ST" 0 "SIG$sig: the daemon exits 0" || diag_file "$DAEMON_LOG" "daemon log" 5
	check "SIG$sig: the mount is gone" -- not_mounted "$M"
	check "SIG$sig: the control socket is removed" -- absent "$DMABUFFS_CONTROL"
done

# --- a stale mount left by kill -9
start_daemon || bail_out "dmabuffs did not mount"
truncate -s 4K "$M/f"
kill -KILL "$DAEMON_PID"
wait "$DAEMON_PID" 2>/dev/null
r=$(python3 -c "
import os, errno, sys
try:
    os.stat(sys.argv[1] + '/f'); print('OK')
except OSError as e:
    print(errno.errorcode[e.errno])" "$M")
is "$r" ENOTCONN "after kill -9 the mount point is stale (ENOTCONN)"
check "the stale mount is still in the mount table" -- is_mounted "$M"
start_daemon || diag "the next start on the stale mount point failed"
check "the next start on the same mount point mounts" -- mountpoint -q "$M"
check "the new mount works" -- sh -c "truncate -s 8K '$M/g' && test -f '$M/g'"
is "$(grep -c " $M " /proc/self/mounts)" 1 "only one mount is left on the mount point"

# --- a second daemon on the same control socket
mkdir -p "$T/mnt2"
MOUNTS="$MOUNTS $T/mnt2"
dmabuffs -f -o "backend=memfd,control=$DMABUFFS_CONTROL" "$T/mnt2" >"$T/second.log" 2>&1 &
second=$!
DAEMON_PIDS="$DAEMON_PIDS $second"
wait_exit "$second"
ok "$([ "$ST" != 0 ] && [ "$ST" != TIMEOUT ]; echo $?)" \
	"a second daemon on the same control socket refuses to start (exit $ST)"
like "$(cat "$T/second.log")" "$DMABUFFS_CONTROL|control|socket|running|in use" \
	"... with a message naming the socket"
diag_file "$T/second.log" "second daemon"
check "... and does not leave a mount behind" -- not_mounted "$T/mnt2"
check "the first daemon still serves its socket" -- dmabufctl list
check "the first daemon's mount still works" -- test -f "$M/g"
stop_daemon

# --- --help, --version, bad options
check "dmabuffs --help exits 0" -- dmabuffs --help
like "$(cat "$T/last.out")" 'backend|iomem' "--help documents the options"
check "dmabuffs --version exits 0" -- dmabuffs --version
like "$(cat "$T/last.out")" '[0-9]+\.[0-9]+' "--version prints a version number"
mkdir -p "$T/mnt3"
MOUNTS="$MOUNTS $T/mnt3"
timeout 5 dmabuffs -f -o "backend=memfd,control=$T/c3,iomem=bogus" "$T/mnt3" >"$T/bad.log" 2>&1
st=$?
ok "$([ $st != 0 ] && [ $st != 124 ]; echo $?)" "-o iomem=bogus exits non-zero (exit $st)"
like "$(cat "$T/bad.log")" 'iomem' "-o iomem=bogus: the message names the option"
check "-o iomem=bogus mounts nothing" -- not_mounted "$T/mnt3"
timeout 5 dmabuffs -f -o "backend=nosuchbackend,control=$T/c3" "$T/mnt3" >"$T/bad.log" 2>&1
st=$?
ok "$([ $st != 0 ] && [ $st != 124 ]; echo $?)" "-o backend=nosuchbackend exits non-zero (exit $st)"
timeout 5 dmabuffs -f -o "backend=memfd,control=$T/c3,umask=999" "$T/mnt3" >"$T/bad.log" 2>&1
st=$?
ok "$([ $st != 0 ] && [ $st != 124 ]; echo $?)" "-o umask=999 (not octal) exits non-zero (exit $st)"
timeout 5 dmabuffs -f -o "backend=memfd,control=$T/c3" "$T/does-not-exist" >"$T/bad.log" 2>&1
st=$?
ok "$([ $st != 0 ] && [ $st != 124 ]; echo $?)" "a missing mount point exits non-zero (exit $st)"

# --- without -f: detaches once the mount is up
mkdir -p "$T/mnt4"
MOUNTS="$MOUNTS $T/mnt4"
timeout 10 dmabuffs -o "backend=memfd,control=$T/c4,umask=0022" "$T/mnt4" >"$T/bg.log" 2>&1
st=$?
is "$st" 0 "dmabuffs without -f returns 0"
check "the mount is up when the command returns" -- mountpoint -q "$T/mnt4"
check "... and usable at once" -- sh -c "truncate -s 4K '$T/mnt4/now' && test -f '$T/mnt4/now'"
is "$(stat -c %a "$T/mnt4/now" 2>&1)" 644 "umask=0022 gives 0644 files"
bgpid=$(pgrep -f "control=$T/c4" | head -n1)
like "$bgpid" '^[0-9]+$' "the detached daemon is running (pid $bgpid)"
if [ -n "$bgpid" ]; then
	DAEMON_PIDS="$DAEMON_PIDS $bgpid"
	kill -TERM "$bgpid"
	wait_for "! kill -0 $bgpid 2>/dev/null" 50
	check "SIGTERM stops the detached daemon" -- sh -c "! kill -0 $bgpid 2>/dev/null"
	check "... and unmounts" -- not_mounted "$T/mnt4"
fi

done_testing
