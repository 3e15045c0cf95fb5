#!/bin/bash
# dmabufctl watch (issue 9): one line per change by polling the tree at a
# bounded rate. On the memfd backend: a new buffer gives "appeared" (with
# its size and the daemon as holder-added), a rename "renamed from= to=",
# an unlink "freed"; the --json form gives the same events as json-c
# objects, one per line; SIGINT ends it with status 0.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
require_host

start_daemon nodiscover || bail_out "dmabuffs did not mount"
export DMABUFCTL_BUFINFO=$T/no-bufinfo

# watch_start OUT [ARGS]: watch in the background; waits for its
# "watching" line (the baseline is taken).
watch_start() {
	out=$1
	shift
	dmabufctl watch --interval 0.1 "$@" >"$out" 2>"$out.err" &
	WPID=$!
	wait_for "grep -q 'watching' '$out.err'" 50
}

# wait_line FILE REGEX: within 5 s.
wait_line() { wait_for "grep -qE '$2' '$1'" 50; }

watch_start "$T/w.txt"
ok $? "watch starts"
check "create a 8 KiB buffer" -- truncate -s 8192 "$M/one"
ino=$(getfattr --only-values -n user.dmabuf.inode "$M/one")
wait_line "$T/w.txt" "^appeared inode=$ino size=8192 exporter=memfd name=one\$"
ok $? "appeared: inode, size, exporter, name"
wait_line "$T/w.txt" "^holder-added inode=$ino .* pid=$DAEMON_PID kinds=fd"
ok $? "holder-added: the daemon by fd"
check "rename it" -- mv "$M/one" "$M/two"
wait_line "$T/w.txt" "^renamed inode=$ino .* from=one to=two\$"
ok $? "renamed from=one to=two"
check "unlink it" -- rm "$M/two"
wait_line "$T/w.txt" "^freed inode=$ino .* name=two\$"
ok $? "freed"
kill -INT "$WPID"
wait "$WPID"
is "$?" 0 "watch exits 0 on SIGINT"
is "$(grep -c '^appeared' "$T/w.txt")" 1 "one appeared line, no repeats" "$(cat "$T/w.txt")"

watch_start "$T/w.json" --json
ok $? "watch --json starts"
check "create a 4 KiB buffer" -- truncate -s 4096 "$M/j"
check "and unlink it after the next poll" -- sh -c \
	"for i in \$(seq 50); do grep -q appeared '$T/w.json' && break; sleep 0.1; done; rm '$M/j'"
wait_line "$T/w.json" '"event":"freed"'
ok $? "watch --json reports the free"
kill -INT "$WPID"
wait "$WPID"
is "$?" 0 "watch --json exits 0 on SIGINT"
py "$T/w.json" <<'PYEOF'
import json, sys
from tap import *
ev = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
kinds = [e["event"] for e in ev]
ok(kinds[:1] == ["appeared"] and "freed" in kinds, "events in order: appeared ... freed", repr(kinds))
a = ev[0] if ev else {}
ok(a.get("name") == "j" and a.get("size") == 4096 and a.get("exporter") == "memfd",
   "appeared carries name, size, exporter", repr(a))
PYEOF
check "watch --interval 0 is refused (bounded rate)" -- sh -c \
	'dmabufctl watch --interval 0; [ $? -eq 2 ]'

done_testing
