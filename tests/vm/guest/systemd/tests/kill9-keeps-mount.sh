#!/bin/sh
# systemctl kill -s KILL dmabuffs under the project's unit: the mount
# survives its daemon. The /dev/fuse fd is in the fd store (FDNAME=fuse);
# Restart=on-failure starts a daemon that re-attaches to the same mount
# (the journal says so, mountinfo's MAJ:MIN is unchanged); a buffer file
# kept open by a process and one it maps MAP_SHARED (both on a dma-buf
# backend) still read and write the right bytes through the old fd and
# mapping; calls started in the gap (the old process reaped, the new one
# not yet up: stat, ls, an open and read) wait for the new daemon and
# succeed, never ENOTCONN.
. /vm/lib.sh
. /vm/systemd-lib.sh
[ "$(prop Restart)" = on-failure ] || fail "the unit says Restart=$(prop Restart)"
unit_start
b=$(dmabuf_backend)
[ -n "$b" ] || fail "the daemon offers none of udmabuf, heap:system, drm:vgem"
for f in keep-held keep-mapped; do
	truncate -s 256K "$M/new/$b/$f" || fail "truncate -s 256K new/$b/$f failed"
done
dmabuf-hold write "$M/keep-held" 11 >/dev/null || fail "writing pattern 11 to keep-held failed"
dmabuf-hold write "$M/keep-mapped" 12 >/dev/null || fail "writing pattern 12 to keep-mapped failed"
start_holder held map "$M/keep-held" 11
start_holder mapped map "$M/keep-mapped" 12
trap 'rc=$?; exec 3>&- 4>&-; unit_reset; exit $rc' EXIT
trap 'exit 143' TERM INT
reattached() {
	journalctl -b -u "$U" --no-pager -o cat 2>/dev/null |
		grep -c 're-attached to the mount the previous run left'
}
echo "# on $b: keep-held open (fd) in pid $held_pid, keep-mapped open and mapped in pid $mapped_pid"

dev0=$(mount_dev)
fdstore_has_fuse || { sed 's/^/# fdstore: /' "$SD/fdstore"; fail "the store has no fd named fuse while the service runs"; }
echo "# before: mount device $dev0, the store holds the fuse fd ($(fdstore_count) fds)"
pid=$(prop MainPID) n0=$(prop NRestarts) r0=$(reattached)
systemctl kill -s KILL "$U" || fail "systemctl kill -s KILL $U failed"
t0=$(cut -d' ' -f1 /proc/uptime)
# The gap: the old process is gone (RestartSec=1s keeps the next one away
# for a second at least); each call's exit status and output are kept.
while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
[ "$(mount_dev)" = "$dev0" ] || fail "the mount changed or went with the daemon: '$(mount_dev)', was $dev0"
tg=$(cut -d' ' -f1 /proc/uptime)
gap() { # NAME CMD...: CMD in the background, "RC SECS" in $SD/gap-NAME.rc
	n=$1
	shift
	(s=$(cut -d' ' -f1 /proc/uptime); "$@" >"$SD/gap-$n.out" 2>&1
	 echo "$? $(since "$s" 1)" >"$SD/gap-$n.rc") &
}
gap stat stat -c '%s %u:%g %a' "$M/keep-held"
gap ls ls "$M"
gap read dmabuf-hold verify "$M/keep-mapped" 12
wait_restarted "$pid" "$n0" "$t0" SIGKILL
echo "# SIGKILL: pid $pid -> $BACK_PID, restarts $n0 -> $(prop NRestarts), active again after $BACK_SECS s (gap calls started $(awk -v a="$t0" -v b="$tg" 'BEGIN { printf "%.1f", b - a }') s after the kill)"
i=0
while [ ! -s "$SD/gap-stat.rc" ] || [ ! -s "$SD/gap-ls.rc" ] || [ ! -s "$SD/gap-read.rc" ]; do
	[ $i -lt 100 ] || break
	sleep 0.1
	i=$((i + 1))
done
for n in stat ls read; do
	read -r rc secs <"$SD/gap-$n.rc" 2>/dev/null ||
		fail "the gap's $n did not finish 10 s after the restart"
	sed "s/^/# gap $n: /" "$SD/gap-$n.out" | head -n 5
	echo "# gap $n: exit $rc after $secs s"
	grep -qi 'not connected' "$SD/gap-$n.out" && fail "the gap's $n got ENOTCONN"
	[ "$rc" = 0 ] || fail "the gap's $n failed (exit $rc): $(head -n1 "$SD/gap-$n.out")"
done
grep -q 'keep-held' "$SD/gap-ls.out" || fail "the gap's ls does not list keep-held"

unit_log 12 >"$SD/journal"
cat "$SD/journal"
# (journald may write the daemon's line a moment after the unit is up)
i=0
while [ "$(reattached)" -le "$r0" ] && [ $i -lt 10 ]; do sleep 0.5; i=$((i + 1)); done
[ "$(reattached)" -gt "$r0" ] ||
	fail "the restarted daemon (pid $BACK_PID) did not log that it re-attached to the mount"
dev1=$(mount_dev)
echo "# after: mount device $dev1"
[ "$dev1" = "$dev0" ] || fail "the mount's device is $dev1 after the restart, was $dev0 (a new mount)"
fdstore_has_fuse || { sed 's/^/# fdstore: /' "$SD/fdstore"; fail "systemd-analyze fdstore $U lists no fd named fuse after the restart"; }
sed 's/^/# fdstore: /' "$SD/fdstore"

# The fd and the mapping opened before the kill.
holder_cmd held read 11 || fail "keep-held's fd from before the kill does not read pattern 11"
holder_cmd held write 13 || fail "keep-held's fd from before the kill cannot write"
holder_cmd held read 13 || fail "keep-held's fd does not read back what it wrote"
dmabuf-hold verify "$M/keep-held" 13 || fail "a fresh open of keep-held does not read what the old fd wrote"
holder_cmd mapped check 12 || fail "the mapping from before the kill lost pattern 12"
holder_cmd mapped fill 14 || fail "the mapping from before the kill cannot be written"
dmabuf-hold verify "$M/keep-mapped" 14 || fail "a fresh open of keep-mapped does not read what the old mapping stored"
holder_cmd mapped read 14 || fail "keep-mapped's fd from before the kill does not read what the mapping stored"
echo "# the fd and the MAP_SHARED mapping opened before the kill read and write the right bytes"
stop_holder held
stop_holder mapped
