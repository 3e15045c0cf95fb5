#!/bin/sh
# systemctl restart dmabuffs (the stop-less restart of an upgrade): the
# udmabuf, system-heap and vgem buffers come back in the new process with
# their names, data, owners and modes, from the fd store.
. /vm/lib.sh
. /vm/systemd-lib.sh
unit_start
make_buffers
pid=$(prop MainPID)
systemctl restart "$U" || { unit_log; fail "systemctl restart $U failed"; }
wait_up || fail "$U did not come back after systemctl restart"
[ "$(prop MainPID)" != "$pid" ] || fail "systemctl restart kept pid $pid"
check_buffers "after systemctl restart"
unit_log 6
