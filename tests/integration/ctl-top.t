#!/bin/bash
# dmabufctl top (issue 9): per-process and per-exporter totals from the
# mounted tree. Three buffers on the memfd backend (the daemon holds each by
# fd): `top --json` (json-c, parsed back here) lists each with its size,
# exporter and holders; the total is the sum of the files' sizes, and the
# per-process shared sizes add up to it. Kernel-only buffers: with no
# bufinfo, top says they are not visible; with a bufinfo text naming one
# buffer no process holds (a fake file in bufinfo's format, through
# DMABUFCTL_BUFINFO), it is counted as kernel-only and added to the total.
# --interval refreshes until SIGINT, which ends it with status 0.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
require_host

# nodiscover: the host's own dma-bufs (a GPU, if any) must not join the sums.
start_daemon nodiscover || bail_out "dmabuffs did not mount"
export DMABUFCTL_BUFINFO=$T/no-bufinfo

check "a 4 KiB buffer" -- truncate -s 4096 "$M/small"
check "a 64 KiB buffer" -- truncate -s 65536 "$M/mid"
check "a 1 MiB buffer" -- truncate -s 1048576 "$M/big"
check "a name with no buffer (not counted)" -- touch "$M/empty"

dmabufctl top --json >"$T/top.json" 2>"$T/top.err"
ok $? "dmabufctl top --json succeeds"
dmabufctl top >"$T/top.txt" 2>"$T/top.err"
ok $? "dmabufctl top succeeds"

export DAEMON_PID
py "$T/top.json" "$T/top.txt" <<'PYEOF'
import json, os, sys
from tap import *
doc = json.load(open(sys.argv[1]))
txt = open(sys.argv[2]).read()
files = {n: os.stat(os.path.join(M, n)).st_size for n in ("small", "mid", "big")}
bufs = {b["name"]: b for b in doc["buffers"]}
is_(sorted(bufs), sorted(files), "top lists exactly the three allocated buffers")
for n, size in files.items():
    b = bufs.get(n, {})
    is_(b.get("size"), size, "%s: size %d" % (n, size))
    ino = int(os.getxattr(os.path.join(M, n), "user.dmabuf.inode"))
    is_(b.get("inode"), ino, "%s: inode is user.dmabuf.inode" % n)
    is_(b.get("exporter"), "memfd", "%s: exporter memfd" % n)
    pids = [h["pid"] for h in b.get("holders", [])]
    ok(int(os.environ["DAEMON_PID"]) in pids, "%s: the daemon is a holder" % n, repr(b))
total = sum(files.values())
is_(doc["total_size"], total, "total_size is the sum of the sizes (%d)" % total)
is_(doc["nbuffers"], 3, "nbuffers 3")
is_(sum(e["size"] for e in doc["exporters"]), total, "exporters' sizes add up to the total")
pss = sum(p["shared_size"] for p in doc["processes"])
ok(abs(pss - total) < 1e-6, "the processes' shared sizes add up to the total", "pss %r" % pss)
d = [p for p in doc["processes"] if p["pid"] == int(os.environ["DAEMON_PID"])]
ok(d and d[0]["size"] == total and d[0]["buffers"] == 3 and d[0]["by_fd"] == 3,
   "the daemon holds all three by fd", repr(d))
is_(doc["kernel"]["visible"], False, "kernel-only buffers are not visible without bufinfo")
is_(doc["kernel"].get("reason"), "no debugfs", "and top says why")
ok("kernel-only buffers: not visible (no debugfs)" in txt, "the table says so too", txt)
ok("total: 3 buffers, %d bytes" % total in txt, "the table's total line", txt)
PYEOF

# A bufinfo in the kernel's format: one of our buffers (held by the
# daemon) and one no process holds.
ino_big=$(getfattr --only-values -n user.dmabuf.inode "$M/big")
printf '\nDma-buf Objects:\nsize    \tflags   \tmode    \tcount   \texp_name\tino     \tname\n%08d\t00000002\t000a001f\t00000002\tmemfd\t%08d\t<none>\n\tAttached Devices:\nTotal 0 devices attached\n\n%08d\t00000002\t000a001f\t00000001\tdrm\t%08d\t<none>\n\tAttached Devices:\nTotal 0 devices attached\n\n\nTotal 2 objects, %d bytes\n' \
	1048576 "$ino_big" 131072 99999999 $((1048576 + 131072)) >"$T/bufinfo"
DMABUFCTL_BUFINFO=$T/bufinfo dmabufctl top --json >"$T/topk.json" 2>"$T/topk.err"
ok $? "dmabufctl top --json with a bufinfo"
py "$T/topk.json" <<'PYEOF'
import json, sys
from tap import *
doc = json.load(open(sys.argv[1]))
is_(doc["kernel"]["visible"], True, "bufinfo read: kernel-only buffers visible")
is_(doc["kernel"].get("kernel_only_buffers"), 1, "one kernel-only buffer")
is_(doc["kernel"].get("kernel_only_size"), 131072, "of 131072 bytes")
k = [b for b in doc["buffers"] if b["inode"] == 99999999]
ok(k and k[0]["kernel_only"] and k[0]["nholders"] == 0 and k[0]["exporter"] == "drm",
   "the buffer no process holds is listed as kernel-only, exporter drm", repr(k))
is_(doc["total_size"], 4096 + 65536 + 1048576 + 131072, "and counted in the total")
PYEOF

# --interval: refreshes until SIGINT, then exit 0.
dmabufctl top --json --interval 0.2 >"$T/topi.json" 2>"$T/topi.err" &
tpid=$!
wait_for "[ \$(wc -l <'$T/topi.json') -ge 2 ]" 50
ok $? "top --interval 0.2 refreshes (two documents within 5 s)"
kill -INT "$tpid"
wait "$tpid"
is "$?" 0 "top --interval exits 0 on SIGINT"
check "top --interval 0.01 is refused (bounded rate)" -- sh -c \
	'dmabufctl top --interval 0.01; [ $? -eq 2 ]'

done_testing
