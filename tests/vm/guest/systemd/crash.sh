# SPDX-License-Identifier: LGPL-2.1-or-later
# crash_test SIG (sourced after systemd-lib.sh): the body of the
# kill-sig*-restart tests. systemctl kill -s SIG; the unit must be back
# (a new MainPID, NRestarts higher, active) within 15 s, by its own
# Restart=on-failure, with every buffer as it was.
crash_test() {
	[ "$(prop Restart)" = on-failure ] || fail "the unit says Restart=$(prop Restart)"
	unit_start
	make_buffers
	pid=$(prop MainPID) n0=$(prop NRestarts)
	systemctl kill -s "$1" "$U" || fail "systemctl kill -s $1 $U failed"
	t0=$(cut -d' ' -f1 /proc/uptime)
	wait_restarted "$pid" "$n0" "$t0" "SIG$1"
	echo "# SIG$1: pid $pid -> $BACK_PID, restarts $n0 -> $(prop NRestarts), active again after $BACK_SECS s"
	unit_log 8
	check_buffers "after SIG$1 and Restart=on-failure"
}
