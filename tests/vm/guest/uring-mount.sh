#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# The first test of the io_uring pass (runner.sh, vmuring=1), as
# mount-io_uring: enables FUSE over io_uring in the kernel (the daemon never
# does that itself), then a daemon must mount with -o io_uring and stop
# cleanly. It skips when the kernel has no enable_uring or the daemon
# refuses the option; the runner then ends the pass.
. /vm/lib.sh
p=/sys/module/fuse/parameters/enable_uring
[ -e $p ] || skip "the kernel has no $p (no CONFIG_FUSE_IO_URING)"
echo Y >$p || fail "echo Y > $p failed"
[ "$(cat $p)" = Y ] || fail "$p reads '$(cat $p)' after echo Y"
command -v dmabuffs >/dev/null 2>&1 || skip "no dmabuffs in the initramfs"
mkdir -p /run/dmabuf
dmabuffs -f -o io_uring /run/dmabuf >/tmp/uring-probe.log 2>&1 &
pid=$!
echo $pid >/run/vmtest-daemon.pid
i=0
while ! mounted /run/dmabuf; do
	if ! kill -0 $pid 2>/dev/null; then
		wait $pid
		st=$?
		sed 's/^/# daemon: /' /tmp/uring-probe.log
		why=$(grep -i -m1 'io_uring\|unknown option\|invalid' /tmp/uring-probe.log)
		skip "daemon refuses -o io_uring (exit $st: ${why:-$(tail -n1 /tmp/uring-probe.log)})"
	fi
	[ $i -lt 100 ] || { kill -KILL $pid; fail "dmabuffs -o io_uring did not mount in 10 s"; }
	sleep 0.1
	i=$((i + 1))
done
kill -TERM $pid
wait $pid
st=$?
rm -f /run/vmtest-daemon.pid
sed 's/^/# daemon: /' /tmp/uring-probe.log
[ "$st" -eq 0 ] || fail "dmabuffs -o io_uring exited with status $st on SIGTERM"
! mounted /run/dmabuf || fail "/run/dmabuf still mounted after dmabuffs -o io_uring stopped"
