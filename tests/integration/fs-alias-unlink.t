#!/bin/bash
# A buffer created as new/BACKEND/NAME is freed by `rm NAME` at its last
# close: the kernel must not keep the new/BACKEND/NAME entry (and with it
# the buffer: memory and the daemon's fd) alive (issue 11 item 3).
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
require_host

start_daemon || bail_out "dmabuffs did not mount"

# The daemon's buffer fds (memfds); its worker threads' /dev/fuse clones
# come and go with the load.
fds() {
	local n=0 f
	for f in /proc/"$DAEMON_PID"/fd/*; do
		case $(readlink "$f") in /memfd:*) n=$((n + 1)) ;; esac
	done
	echo "$n"
}
# The memory those fds hold (kB of allocated blocks): the buffer's own
# share of Shmem, which the whole machine's Shmem (other processes come and
# go) shows too noisily.
shmem_kb() {
	local kb=0 f b
	for f in /proc/"$DAEMON_PID"/fd/*; do
		case $(readlink "$f") in
		/memfd:*) b=$(stat -L -c %b "$f" 2>/dev/null || echo 0); kb=$((kb + b / 2)) ;;
		esac
	done
	echo "$kb"
}

check "new/memfd exists" -- test -d "$M/new/memfd"
fd0=$(fds)
sh0=$(shmem_kb)
check "dd 64 MiB into new/memfd/alias" -- \
	dd if=/dev/zero of="$M/new/memfd/alias" bs=1M count=64 status=none
is "$(fsize "$M/alias")" 67108864 "the buffer is the root's alias, 64 MiB"
fd1=$(fds)
sh1=$(shmem_kb)
ok "$([ "$fd1" -gt "$fd0" ]; echo $?)" "the daemon holds one more fd ($fd0 -> $fd1)"
ok "$([ $((sh1 - sh0)) -gt 60000 ]; echo $?)" "the daemon's memfds hold the buffer, 64 MiB of Shmem ($sh0 -> $sh1 kB)"
check "rm alias" -- rm "$M/alias"
check "alias is gone" -- absent "$M/alias"
# Freed at the last close, which was dd's: nothing may look the name up
# again to make it go (the bug: the kernel kept new/memfd/alias).
wait_for "[ \$(fds) -le $fd0 ]" 30
is "$(fds)" "$fd0" "the daemon's fd count drops back after rm ($fd1 -> $(fds))"
sh2=$(shmem_kb)
ok "$([ $((sh1 - sh2)) -gt 60000 ]; echo $?)" "... and drop it after rm ($sh1 -> $sh2 kB)"

# The same with the file still open at rm: freed at its close.
exec 7>"$M/new/memfd/held"
check "write 16 MiB into new/memfd/held through an open fd" -- \
	dd if=/dev/zero bs=1M count=16 status=none of=/proc/self/fd/7
check "truncate allocates it" -- truncate -s 16M "$M/held"
fd3=$(fds)
check "rm held while open" -- rm "$M/held"
exec 7>&-
wait_for "[ \$(fds) -lt $fd3 ]" 30
ok "$([ "$(fds)" -lt "$fd3" ]; echo $?)" "closing it afterwards frees the buffer ($fd3 -> $(fds))"
# A file replaced by rename goes the same way.
check "dd 16 MiB into new/memfd/victim" -- \
	dd if=/dev/zero of="$M/new/memfd/victim" bs=1M count=16 status=none
check "truncate -s 4K small" -- truncate -s 4K "$M/small"
fd4=$(fds)
check "mv small victim (replaces it)" -- mv "$M/small" "$M/victim"
wait_for "[ \$(fds) -lt $fd4 ]" 30
ok "$([ "$(fds)" -lt "$fd4" ]; echo $?)" "the replaced buffer is freed ($fd4 -> $(fds))"
check "a name in new/memfd/ resolves while the root has it" -- \
	sh -c "truncate -s 4K '$M/other' && test -f '$M/new/memfd/other'"

stop_daemon
done_testing
