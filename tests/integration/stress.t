#!/bin/bash
# Stress: 8 processes at once on one mount for a bounded time (the stress
# helper: create, staged create, truncate, write, read, rename, unlink,
# MAP_SHARED mmap, publish of a memfd, export, listings of the root), each
# checking every byte it reads against what it wrote. Then the daemon must
# still serve: it is alive, a stat of the mount answers, a fresh buffer
# reads back, and the workers left no name behind.
# STRESS_SECONDS (default 10), STRESS_WORKERS (default 8), STRESS_SEED.
# STRESS_SANITY=corrupt: a second process overwrites bytes of the workers'
# buffers behind their back while they run; stress-8-workers must then
# fail (shows the oracle can fail).
. "$(dirname "$0")/lib.sh"
require_host

seconds=${STRESS_SECONDS:-10}
workers=${STRESS_WORKERS:-8}
start_daemon || bail_out "the daemon did not start"

# A stat that cannot hang the script: a wedged mount shows up as a failure.
stat_bounded() {
	timeout 10 stat -c %s "$1" >/dev/null 2>&1
}

corrupter=
if [ "${STRESS_SANITY:-}" = corrupt ]; then
	(
		end=$((SECONDS + seconds))
		while [ "$SECONDS" -lt "$end" ]; do
			for f in "$M"/s*; do
				[ -f "$f" ] && printf 'CORRUPT!' |
					dd of="$f" bs=1 seek=100 conv=notrunc 2>/dev/null
			done
			sleep 0.05
		done
	) &
	corrupter=$!
fi

# The helper's own watchdog reports a worker stuck 60 s after the end;
# timeout is the last resort should the helper itself wedge.
limit=$((seconds + 120))
timeout -k 5 "$limit" stress --workers "$workers" --seconds "$seconds" \
	${STRESS_SEED:+--seed "$STRESS_SEED"} "$M" >"$T/stress.out" 2>&1
st=$?
[ -n "$corrupter" ] && wait "$corrupter"
diag "$(cat "$T/stress.out")"
if [ "$st" -eq 0 ]; then
	pass "stress-$workers-workers"
else
	fail "stress-$workers-workers"
	[ "$st" -ge 124 ] && diag "timeout: the helper took over $limit s (exit $st)"
	diag_file "$DAEMON_LOG" "daemon log"
fi
# Every worker did real work (a worker that does nothing passes nothing).
idle=$(awk '/^worker [0-9]+: [0-9]+ ops/ && $3 < 50 { n++ } END { print n + 0 }' "$T/stress.out")
ran=$(grep -c '^worker [0-9]*: [0-9]* ops' "$T/stress.out")
is "$ran/$idle" "$workers/0" "stress-workers-all-busy (each ran 50 operations or more)"

if pid_alive "$DAEMON_PID"; then
	pass "stress-daemon-alive"
else
	fail "stress-daemon-alive"
	diag_file "$DAEMON_LOG" "daemon log"
fi
check "stress-mount-answers (stat of the mount within 10 s)" -- stat_bounded "$M"
head -c 100000 /dev/urandom >"$T/after"
check "stress-fresh-buffer (a new buffer writes and reads back)" -- \
	bash -c 'cp "$1" "$2" && cmp "$1" <(head -c 100000 "$2")' bash "$T/after" "$M/after"
rm -f "$M/after"
left=$(timeout 10 ls -A "$M" 2>&1 | grep -vxE 'by-inode|by-exporter|new|proc|scanout' | tr '\n' ' ')
is "$left" "" "stress-nothing-left (the workers removed every name they made)"
stop_daemon
done_testing
