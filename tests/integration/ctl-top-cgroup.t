#!/bin/bash
# ctl-top-cgroup: `dmabufctl top` totals per cgroup (issue 18). Two helper
# processes, each moved into a cgroup of its own made here (in the v1
# memory hierarchy when the machine has one, as this host does, else in
# v2), hold buffers by fd (exported): A holds a and b, B holds a; the
# daemon holds all three. `top --json`'s "cgroups" gives A 2 buffers of
# a+b bytes and a Pss-like share of a/3 + b/2, B 1 buffer and a/3, each
# process its cgroup; the shares of all cgroups add up to the total.
# `top --by cgroup` prints the cgroup table alone.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
require_host

# The hierarchy memory is charged in: v1 memory if /proc/self/cgroup names
# it, else v2 (the "0::" line).
self_mem=$(sed -n 's/^[0-9]*:\([^:]*,\)\{0,1\}memory\(,[^:]*\)\{0,1\}:\(.*\)$/\3/p' /proc/self/cgroup)
if [ -n "$self_mem" ] && [ -d /sys/fs/cgroup/memory ]; then
	base=/sys/fs/cgroup/memory$self_mem rel=$self_mem
else
	rel=$(sed -n 's/^0:://p' /proc/self/cgroup)
	base=/sys/fs/cgroup$rel
	[ -e /sys/fs/cgroup/cgroup.controllers ] || base=/sys/fs/cgroup/unified$rel
fi
rel=${rel%/}
cgA=$base/dmabuffs-top-a-$$ cgB=$base/dmabuffs-top-b-$$
mkdir "$cgA" "$cgB" 2>"$T/mkdir.err" || skip_all "cannot make cgroups under $base: $(cat "$T/mkdir.err")"
cleanup_cg() {
	[ -n "${holder:-}" ] && kill "$holder" 2>/dev/null && wait "$holder" 2>/dev/null
	sleep 0.2
	rmdir "$cgA" "$cgB" 2>/dev/null
}
trap 'cleanup_cg; cleanup' EXIT
export CGA=$cgA CGB=$cgB RELA=$rel/dmabuffs-top-a-$$ RELB=$rel/dmabuffs-top-b-$$

start_daemon nodiscover || bail_out "dmabuffs did not mount"
export DAEMON_PID
check "buffer a, 4 KiB" -- truncate -s 4096 "$M/a"
check "buffer b, 64 KiB" -- truncate -s 65536 "$M/b"
check "buffer c, 8 KiB (the daemon's only)" -- truncate -s 8192 "$M/c"

cat >"$T/hold.py" <<'PYEOF'
import ctypes, json, os, signal, time
from tap import export, status_name
libc = ctypes.CDLL(None)
def child(cg, names):
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        with open(os.path.join(cg, "cgroup.procs"), "w") as f:
            f.write(str(os.getpid()))
        fds = []
        for n in names:
            st, fd, msg = export(n)
            assert fd is not None, (n, status_name(st), msg)
            fds.append(fd)
        os.write(w, b"x")
        while True:
            time.sleep(60)
    os.close(w)
    os.read(r, 1)
    os.close(r)
    return pid
kids = {"A": child(os.environ["CGA"], ["a", "b"]), "B": child(os.environ["CGB"], ["a"])}
with open(os.environ["T"] + "/hold.json", "w") as f:
    json.dump(kids, f)
time.sleep(120)
PYEOF
python3 "$T/hold.py" &
holder=$!
wait_for "[ -s '$T/hold.json' ]" 100
ok $? "the helpers hold their buffers from their cgroups"

dmabufctl top --json >"$T/top.json" 2>"$T/top.err"
ok $? "dmabufctl top --json"
dmabufctl top --by cgroup >"$T/bycg.txt" 2>"$T/top.err"
ok $? "dmabufctl top --by cgroup"
py "$T/top.json" "$T/hold.json" "$T/bycg.txt" <<'PYEOF'
import json, os, sys
from tap import *
doc = json.load(open(sys.argv[1]))
kids = json.load(open(sys.argv[2]))
txt = open(sys.argv[3]).read()
a, b = 4096, 65536
cg = {c["cgroup"]: c for c in doc.get("cgroups", [])}
A, B = cg.get(os.environ["RELA"], {}), cg.get(os.environ["RELB"], {})
is_((A.get("processes"), A.get("buffers"), A.get("size")), (1, 2, a + b),
    "cgroup A: one process, buffers a and b, a+b bytes")
ok(abs(A.get("shared_size", -1) - (a / 3 + b / 2)) < 1e-6, "cgroup A's share is a/3 + b/2", repr(A))
is_((B.get("processes"), B.get("buffers"), B.get("size")), (1, 1, a),
    "cgroup B: one process, buffer a")
ok(abs(B.get("shared_size", -1) - a / 3) < 1e-6, "cgroup B's share is a/3", repr(B))
procs = {p["pid"]: p for p in doc["processes"]}
is_(procs.get(kids["A"], {}).get("cgroup"), os.environ["RELA"], "holder A's process shows its cgroup")
is_(procs.get(kids["B"], {}).get("cgroup"), os.environ["RELB"], "holder B's too")
total = sum(c["shared_size"] for c in doc["cgroups"])
ok(abs(total - doc["total_size"]) < 1e-6, "the cgroups' shares add up to the total",
   "%r vs %r" % (total, doc["total_size"]))
lines = txt.splitlines()
ok(lines and lines[0].split() == ["PROCS", "BUFS", "SIZE", "SHARED", "CGROUP"],
   "--by cgroup starts with the cgroup table", txt)
ok(any(l.split()[-1:] == [os.environ["RELA"]] and l.split()[1:3] == ["2", str(a + b)] for l in lines),
   "its line for A: 2 buffers, a+b bytes", txt)
ok("EXPORTER" not in txt and "COMM" not in txt, "and no other section", txt)
ok("total: 3 buffers" in txt, "the totals stay", txt)
PYEOF
check_fails "--by something-else is a usage error" -- dmabufctl top --by nothing
done_testing
