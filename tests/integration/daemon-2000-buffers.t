#!/bin/bash
# daemon-2000-buffers: the daemon holds one fd per buffer; started under a
# 1024 soft / higher hard RLIMIT_NOFILE (systemd's default soft limit) it
# raises the soft limit and serves 2,000 buffers. Under a hard limit of
# 1024 the buffer that does not fit fails with EMFILE and a log line that
# names the limit, and the daemon keeps serving.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
require_host
command -v prlimit >/dev/null 2>&1 || skip_all "no prlimit (util-linux)"

# make_buffers N: truncate N 4 KiB files; prints how many succeeded and the
# first error.
make_buffers() {
	python3 - "$M" "$1" <<'PY'
import os, sys
m, n = sys.argv[1], int(sys.argv[2])
made, err = 0, ""
for i in range(n):
    try:
        with open(os.path.join(m, "b%04d" % i), "wb") as f:
            f.truncate(4096)
        made += 1
    except OSError as e:
        err = err or "%s at b%04d" % (os.strerror(e.errno), i)
print(made, err)
PY
}

# The limits are given to the daemon's parent shell: the daemon inherits them.
hard=$(ulimit -Hn)
if [ "$hard" != unlimited ] && [ "$hard" -lt 4200 ]; then
	skip_all "hard RLIMIT_NOFILE is $hard here; the test needs >= 4200"
fi

# --- 1024 soft, 4200 hard
ulimit -Sn 1024 && ulimit -Hn 4200 && start_daemon ||
	bail_out "dmabuffs did not mount under a 1024/4200 fd limit"
soft=$(awk '/^Max open files/ { print $4 }' "/proc/$DAEMON_PID/limits")
is "$soft" 4200 "the daemon raised its soft fd limit to the hard limit"
read -r made err < <(make_buffers 2000)
is "$made" 2000 "2,000 buffers are created under a 1024 soft limit" || diag "first error: $err"
is "$(find "$M" -maxdepth 1 -name 'b*' -size 4k | wc -l)" 2000 "... all 2,000 are there, 4 KiB each"
is "$(head -c 5 "$M/b1999" | wc -c)" 5 "... and the last one reads"
stop_daemon

# --- a hard limit of 1024: running out is EMFILE, said in the log
(
	ulimit -Hn 1024
	start_daemon || exit 1
	read -r made err < <(make_buffers 1100)
	ok "$([ "$made" -gt 900 ] && [ "$made" -lt 1100 ]; echo $?)" \
		"under a hard limit of 1024, about a thousand of 1,100 buffers are made ($made)"
	like "$err" "^Too many open files" "... the next one fails with EMFILE" || diag "error: $err"
	check "... and the daemon logs it, naming the limit" -- \
		grep -q "Too many open files.*RLIMIT_NOFILE" "$DAEMON_LOG" ||
		diag_file "$DAEMON_LOG" "daemon log" 6
	rm -f "$M"/b00*
	check "after freeing some, a new buffer is made again" -- truncate -s 4K "$M/again"
	check "... and the daemon still serves" -- stat "$M/again"
	stop_daemon
) || fail "dmabuffs mounts under a hard fd limit of 1024"

done_testing
