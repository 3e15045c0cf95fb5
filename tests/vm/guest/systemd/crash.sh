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
	while [ "$(prop MainPID)" = "$pid" ] || [ "$(prop MainPID)" = 0 ] ||
	      [ "$(prop NRestarts)" = "$n0" ] || [ "$(prop ActiveState)" != active ]; do
		if [ "$(since "$t0")" -ge 15 ]; then
			unit_log
			fail "$U not back 15 s after SIG$1 (state $(prop ActiveState)/$(prop SubState), restarts $n0 -> $(prop NRestarts), result $(prop Result))"
		fi
		sleep 0.2
	done
	wait_up || fail "$U restarted after SIG$1 but its tree is not up"
	echo "# SIG$1: pid $pid -> $(prop MainPID), restarts $n0 -> $(prop NRestarts), active again after $(since "$t0" 1) s"
	unit_log 8
	check_buffers "after SIG$1 and Restart=on-failure"
}
