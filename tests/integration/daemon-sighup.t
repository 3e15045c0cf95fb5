#!/bin/bash
# daemon-sighup: SIGHUP is a clean stop (unmount, socket removed, exit 0),
# also when the daemon was started with SIGHUP ignored (nohup), which
# libfuse's own handlers leave alone.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/daemon-lib.sh"
require_host

for how in default nohup; do
	if [ "$how" = nohup ]; then
		# As nohup(1) leaves it: SIGHUP ignored across exec.
		WITH_DEFAULT_SIGINT=(python3 -c 'import os, signal, sys
signal.signal(signal.SIGINT, signal.SIG_DFL)
signal.signal(signal.SIGHUP, signal.SIG_IGN)
os.execvp(sys.argv[1], sys.argv[1:])')
	fi
	start_daemon || bail_out "dmabuffs did not mount ($how SIGHUP)"
	truncate -s 4K "$M/f"
	kill -HUP "$DAEMON_PID"
	wait_exit "$DAEMON_PID"
	is "$ST" 0 "SIGHUP ($how disposition at start): the daemon exits 0" ||
		diag_file "$DAEMON_LOG" "daemon log" 5
	check "SIGHUP ($how): the mount is gone" -- not_mounted "$M"
	check "SIGHUP ($how): the control socket is removed" -- absent "$DMABUFFS_CONTROL"
	check "SIGHUP ($how): the log says why it stopped" -- grep -q "stopping: Hangup" "$DAEMON_LOG"
	force_unmount "$M"
done

done_testing
