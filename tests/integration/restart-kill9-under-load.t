#!/bin/bash
# restart-kill9-under-load: applications do not notice a kill -9 of the
# daemon (issue 17). 50 kill -9 cycles, each followed by a start from the
# fd store as Restart=on-failure does (a harness plays systemd), with
# about 1,000 buffers in the tree and, all at once: fio verify on a
# passthrough buffer and on a daemon-path one (iomem=1), a reader that
# keeps its file open, a MAP_SHARED mapping storing and loading a pattern,
# dmabufctl watch, a create/write/rename/unlink loop and a stat/readdir
# loop. The run is tests/bench/restart-load.py --quick (the benchmark's
# code, with 10,000 buffers there); this test asserts on its JSON line:
# every start READY, no failed call and no ENOTCONN ever, no fio verify
# error, the reader's data and the mapping intact (and still the file's
# buffer), the store's size and the daemon's fd count (and its backing
# ids, when `dmabufctl metrics` reports them) equal before the first kill
# and after the last restart. The stalls are printed, never asserted.
# Where the kernel lacks FUSE_NOTIFY_RESEND (before 6.9) the daemon
# remounts instead, which applications do notice: skipped there.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
require_host
# Seven workloads timed over 50 restarts: under ASan every call is several
# times slower and the workers time out (a watch never started in one run);
# fdstore-survives-kill9 drives the same re-attach paths in the ASan tree.
[ -n "${ASAN_OPTIONS:-}" ] && skip_all "an ASan build: the load and its timing are the plain build's to measure (fdstore-survives-kill9 covers re-attach under ASan)"
command -v fio >/dev/null 2>&1 || skip_all "no fio (./dev test_deps installs it)"
kver=$(uname -r | sed 's/^\([0-9]*\)\.\([0-9]*\).*/\1 \2/')
# shellcheck disable=SC2086
set -- $kver
[ "$1" -gt 6 ] || { [ "$1" -eq 6 ] && [ "$2" -ge 9 ]; } ||
	skip_all "kernel $(uname -r) has no FUSE_NOTIFY_RESEND (6.9): the daemon remounts there"

fdstore_mount
t0=$(date +%s)
python3 "$top_srcdir/tests/bench/restart-load.py" --quick --json --dir "$T" \
	"$top_builddir" >"$T/run.out" 2>"$T/run.err"
ok $? "restart-load.py --quick ran ($(($(date +%s) - t0)) s)" || diag_file "$T/run.err"
py "$T/run.out" <<'PY'
import json, sys
from tap import ok, is_, diag

lines = open(sys.argv[1]).read().splitlines()
try:
    r = json.loads(lines[-1])
except (IndexError, ValueError):
    ok(False, "the run printed its figures", "\n".join(lines[-20:]))
    sys.exit(0)
diag("\n".join(lines[:-1]))
w = r["workloads"]


def failures():
    return "\n".join("%s: %s, first: %s" % (k, v["failed"], v["first"])
                     for k, v in sorted(w.items()) if v["failed"])


slow = {k: v["killed_at_stop"] for k, v in w.items() if v.get("killed_at_stop")}
if slow:
    diag("workloads that needed SIGKILL to stop (60 s after SIGINT): %s" % slow)
is_(r["cycles"], 50, "50 kill -9 cycles ran")
is_(r["ready"], r["cycles"], "every start after a kill -9 was READY at once") or \
    diag("\n".join("cycle %d:\n%s" % (n["cycle"], n["log"]) for n in r["not_ready"][:3]))
ok(all(v["calls"] > 0 for v in w.values()) and len(w) == 7,
   "every workload ran (%s)" % ", ".join("%s %d" % (k, v["calls"]) for k, v in sorted(w.items())))
is_(r["access"].get("fio-dp"), "direct", "fio-dp's file is on the daemon path")
is_(r["access_after"], r["access"], "each workload file keeps its I/O path")
is_(r["enotconn"], 0, "no call ever failed with ENOTCONN") or diag(failures())
is_(r["failed"], 0, "no application call failed (%s)" % (r["by_errno"] or "none")) or \
    diag(failures())
is_(r["verify_errors"], 0, "fio verify found no error")
is_(r["reader_mismatches"], 0, "the reader read what was written")
is_(r["map_mismatches"], 0, "the mapping kept every stored pattern")
is_(r["map_same_as_file"], True, "the mapping is still the file's buffer")
is_(r["hung"], {}, "no workload hung")
is_(r["store_after"], r["store_before"], "the store holds as many fds after the last restart")
is_(r["fds_after"], r["fds_before"], "the daemon holds as many fds after the last restart")
if r["backing_before"] is None and r["backing_after"] is None:
    diag("passthrough backing ids: n/a (dmabufctl metrics has no dmabuffs_backing_ids)")
else:
    is_(r["backing_after"], r["backing_before"], "as many passthrough backing ids after")
is_(r["stop_exit"], 0, "the last daemon exits 0 on SIGTERM")
diag("stall: longest call %.0f ms (%s), median of the cycles' longest %.0f ms; "
     "restart to READY: median %.0f ms" % (
         r["stall_max_ms"], r["stall_max_op"], r["stall_median_ms"] or 0,
         sorted(r["restart_s"])[len(r["restart_s"]) // 2] * 1000 if r["restart_s"] else 0))
PY

done_testing
