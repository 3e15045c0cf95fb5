#!/bin/sh
# systemd-analyze fdstore dmabuffs lists every buffer's fd while the
# service runs, after a systemctl restart too: the store is current, not
# only filled at the stop (so that a crash loses nothing).
. /vm/lib.sh
. /vm/systemd-lib.sh
unit_start
make_buffers
expect_fdstore "running, buffers made"
systemctl restart "$U" || { unit_log; fail "systemctl restart $U failed"; }
wait_up || fail "$U did not come back after systemctl restart"
check_buffers "after systemctl restart"
expect_fdstore "running, after systemctl restart"
