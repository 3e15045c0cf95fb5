#!/bin/sh
# systemctl restart dmabuffs (the stop-less restart of an upgrade): the
# udmabuf, system-heap and vgem buffers come back in the new process with
# their names, data, owners and modes, from the fd store; and the mount is
# the same one (a SIGTERM with a restart job queued keeps its connection in
# the store, the new process re-attaches), so a file held open across the
# restart still reads its buffer.
. /vm/lib.sh
. /vm/systemd-lib.sh
unit_start
make_buffers
held=$(head -n 1 "$SD/list" | cut -d' ' -f1)
dev() { awk -v m="$M" '$5 == m { d = $3 } END { print d }' /proc/self/mountinfo; }
dev_before=$(dev)
# A reader that opened the file before the restart reads it after.
rm -f "$SD/go" "$SD/held.out"
(
	exec 3<"$M/$held" || exit 1
	while [ ! -e "$SD/go" ]; do sleep 0.1; done
	head -c 262144 <&3 >"$SD/held.out"
	echo $? >"$SD/held.rc"
) &
reader=$!
sleep 0.5
pid=$(prop MainPID)
systemctl restart "$U" || { unit_log; fail "systemctl restart $U failed"; }
wait_up || fail "$U did not come back after systemctl restart"
[ "$(prop MainPID)" != "$pid" ] || fail "systemctl restart kept pid $pid"
check_buffers "after systemctl restart"
[ "$(dev)" = "$dev_before" ] ||
	{ unit_log; fail "the restart made a new mount ($dev_before -> $(dev))"; }
journalctl -b -u "$U" --no-pager | grep -q "a restart is queued: the mount stays" ||
	{ unit_log; fail "the stop did not see the queued restart"; }
journalctl -b -u "$U" --no-pager | grep -q "re-attached to the mount" ||
	{ unit_log; fail "the new process did not re-attach"; }
touch "$SD/go"
wait "$reader"
[ "$(cat "$SD/held.rc" 2>/dev/null)" = 0 ] && cmp "$SD/$held.data" "$SD/held.out" >/dev/null ||
	fail "a file held open across the restart does not read its buffer"
echo "# the mount ($dev_before) and a file held open on it survived systemctl restart"
unit_log 6
