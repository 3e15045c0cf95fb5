#!/bin/bash
# daemon-mountpoint: a mount point served by a live FUSE file system (here
# a first dmabuffs) is never mounted over, whichever control socket the
# second daemon names: it exits 1 with a message naming the mount point,
# and the first one keeps serving its buffers. Only a dead mount
# (ENOTCONN) is cleaned up (lifecycle.t covers that part).
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/daemon-lib.sh"
require_host

CTL=$T/first.control start_daemon || bail_out "the first dmabuffs did not mount"
first=$DAEMON_PID
printf 'first daemon data' >"$M/keep"
mounts_before=$(grep -c " $M " /proc/self/mounts)

n=0
for path in "$M" "$M/" "$T/./mnt" "$T/mnt/../mnt"; do
	n=$((n + 1))
	"${WITH_DEFAULT_SIGINT[@]}" dmabuffs -f -o "backend=memfd,control=$T/other$n.control" \
		"$path" >"$T/second$n.log" 2>&1 &
	second=$!
	DAEMON_PIDS="$DAEMON_PIDS $second"
	wait_exit "$second"
	is "$ST" 1 "a second dmabuffs with -o control=OTHER on $path exits 1" ||
		diag_file "$T/second$n.log" "second daemon"
	check "... saying a live FUSE file system serves $M" -- \
		grep -q "$M: a live FUSE file system (fuse.dmabuffs) is mounted there" "$T/second$n.log" ||
		diag_file "$T/second$n.log" "second daemon"
	is "$(grep -c " $M " /proc/self/mounts)" "$mounts_before" "... and stacks no mount on it"
	check "... and leaves no control socket of its own" -- absent "$T/other$n.control"
done
check "the first daemon still runs" -- pid_alive "$first"
is "$(head -c 17 "$M/keep" 2>&1)" "first daemon data" "its buffer is still visible and reads back"
check "its control socket still answers" -- \
	env DMABUFFS_CONTROL="$T/first.control" dmabufctl export keep -- true

# The first daemon's own socket named by the second (the old check).
dmabuffs -f -o "backend=memfd,control=$T/first.control" "$M" >"$T/same.log" 2>&1 &
second=$!
DAEMON_PIDS="$DAEMON_PIDS $second"
wait_exit "$second"
is "$ST" 1 "a second dmabuffs with the same control socket exits 1 as well"
check "the first daemon's control socket is left alone" -- \
	env DMABUFFS_CONTROL="$T/first.control" dmabufctl export keep -- true
stop_daemon

# Once the first one is gone, the mount point is free again.
CTL=$T/third.control start_daemon || fail "a new daemon mounts once the first one stopped"
check "... and serves" -- sh -c "truncate -s 4K '$M/fresh' && test -f '$M/fresh'"
stop_daemon

done_testing
