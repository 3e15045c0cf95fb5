#!/bin/bash
# ctl-metrics: `dmabufctl metrics` (issue 18) prints Prometheus text that
# Debian's `promtool check metrics` accepts; written with --output into a
# directory, a real prometheus-node-exporter (started here on 127.0.0.1,
# a free port, only its textfile collector) serves the same series, read
# back over HTTP; and every value equals `top --json`'s: the totals, per
# exporter, per cgroup, the top process and the rest in pid="other",
# kernel-only (with its source), the daemon's buffers per uid.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
require_host
command -v promtool >/dev/null || skip_all "no promtool (Debian package prometheus)"
ne=$(command -v prometheus-node-exporter || command -v node_exporter) ||
	skip_all "no prometheus-node-exporter"

start_daemon nodiscover || bail_out "dmabuffs did not mount"
check "buffer a, 4 KiB" -- truncate -s 4096 "$M/a"
check "buffer b, 64 KiB" -- truncate -s 65536 "$M/b"
check "buffer c, 8 KiB, owned by uid 65534" -- sh -c "truncate -s 8192 '$M/c' && chown 65534 '$M/c'"

# A second holder (b, by fd), so that --top 1 leaves one process for "other".
cat >"$T/hold.py" <<'PYEOF'
import os, time
from tap import export, status_name
st, fd, msg = export("b")
assert fd is not None, (status_name(st), msg)
open(os.environ["T"] + "/held", "w").write(str(os.getpid()))
time.sleep(120)
PYEOF
python3 "$T/hold.py" &
holder=$!
wait_for "[ -s '$T/held' ]" 100
ok $? "a helper holds b"

mkdir -p "$T/textfile"
dmabufctl metrics --top 1 >"$T/stdout.prom" 2>"$T/m.err"
ok $? "dmabufctl metrics --top 1"
dmabufctl metrics --top 1 --output "$T/textfile/dmabuf.prom" 2>"$T/m.err"
ok $? "dmabufctl metrics --output FILE"
dmabufctl top --json >"$T/top.json" 2>"$T/top.err"
ok $? "dmabufctl top --json"
check "the file is what stdout got" -- cmp "$T/stdout.prom" "$T/textfile/dmabuf.prom"
check "no temporary file is left" -- sh -c "[ \"\$(ls -A '$T/textfile')\" = dmabuf.prom ]"
promtool check metrics <"$T/stdout.prom" >"$T/promtool.out" 2>&1
ok $? "promtool check metrics accepts it" || diag_file "$T/promtool.out"
# The shipped unit's command, with the paths of this test.
cmdline=$(sed -n 's/^ExecStart=//p' "$top_srcdir/examples/dmabuffs-metrics.service")
mkdir -p "$T/unit-textfile"
cmdline=${cmdline//\/var\/lib\/prometheus\/node-exporter/$T\/unit-textfile}
cmdline=${cmdline/\/usr\/local\/bin\/dmabufctl/dmabufctl}
check "examples/dmabuffs-metrics.service's command works ($cmdline)" -- $cmdline
check "and writes what promtool accepts" -- sh -c "promtool check metrics <'$T/unit-textfile/dmabuf.prom'"
check_fails "--top past 1000 is refused" -- dmabufctl metrics --top 1001

# node_exporter on a free port, its textfile collector alone.
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$ne" --web.listen-address="127.0.0.1:$port" --collector.disable-defaults \
	--collector.textfile --collector.textfile.directory="$T/textfile" >"$T/ne.log" 2>&1 &
nepid=$!
trap 'kill $nepid $holder 2>/dev/null; wait $nepid $holder 2>/dev/null; cleanup' EXIT
wait_for "python3 -c 'import urllib.request; urllib.request.urlopen(\"http://127.0.0.1:$port/metrics\")' 2>/dev/null" 100
ok $? "node_exporter serves http://127.0.0.1:$port/metrics" || diag_file "$T/ne.log"

export PORT=$port HOLDER=$holder DAEMON_PID
py "$T/stdout.prom" "$T/top.json" <<'PYEOF'
import json, os, re, sys, urllib.request
from tap import *
# Series as (name, sorted labels): node_exporter reorders labels.
def parse(text):
    out = {}
    for line in text.splitlines():
        if line.startswith("#") or not line.startswith("dmabuf"):
            continue
        key, _, val = line.rpartition(" ")
        name, _, labels = key.partition("{")
        pairs = re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', labels)
        out[(name, tuple(sorted(pairs)))] = float(val)
    return out
mine = parse(open(sys.argv[1]).read())
doc = json.load(open(sys.argv[2]))
served = parse(urllib.request.urlopen("http://127.0.0.1:%s/metrics" % os.environ["PORT"]).read().decode())
is_(served, mine, "node_exporter serves exactly the series of the file, with the same values")
def val(name, **kw):
    return served.get((name, tuple(sorted((k, str(v)) for k, v in kw.items()))))
is_(val("dmabuf_bytes"), doc["total_size"], "dmabuf_bytes is top's total_size")
is_(val("dmabuf_buffers"), doc["nbuffers"], "dmabuf_buffers is top's nbuffers")
for e in doc["exporters"]:
    is_(val("dmabuf_exporter_bytes", exporter=e["exporter"]), e["size"], "exporter %s: bytes" % e["exporter"])
    is_(val("dmabuf_exporter_buffers", exporter=e["exporter"]), e["buffers"], "exporter %s: buffers" % e["exporter"])
ok(doc["cgroups"], "top has cgroups")
for c in doc["cgroups"]:
    is_(val("dmabuf_cgroup_bytes", cgroup=c["cgroup"]), c["size"], "cgroup %s: bytes" % c["cgroup"])
    ok(abs(val("dmabuf_cgroup_shared_bytes", cgroup=c["cgroup"]) - c["shared_size"]) < 1e-6,
       "cgroup %s: shared bytes" % c["cgroup"])
    is_(val("dmabuf_cgroup_buffers", cgroup=c["cgroup"]), c["buffers"], "cgroup %s: buffers" % c["cgroup"])
procs = sorted(doc["processes"], key=lambda p: (-p["size"], p["pid"]))
is_(len(procs), 2, "two holders: the daemon and the helper")
first = procs[0]
is_(val("dmabuf_process_bytes", pid=first["pid"], comm=first["comm"]), first["size"],
    "the biggest process has its own series")
rest = procs[1:]
is_(val("dmabuf_process_bytes", pid="other", comm="other"), sum(p["size"] for p in rest),
    "the rest are summed in pid=\"other\"")
ok(abs(val("dmabuf_process_shared_bytes", pid="other", comm="other") - sum(p["shared_size"] for p in rest)) < 1e-6,
   "and their shares")
ok(not any(k[0] == "dmabuf_process_bytes" and ("pid", str(p["pid"])) in k[1] for p in rest for k in served),
   "no series of its own past --top")
k = doc["kernel"]
is_(val("dmabuf_kernel_visible", source=k["source"], **({} if k["visible"] else {"reason": k["reason"]})),
    1 if k["visible"] else 0, "dmabuf_kernel_visible with the source (%s)" % k["source"])
if k["visible"]:
    is_(val("dmabuf_kernel_only_bytes", source=k["source"]), k["kernel_only_size"], "kernel-only bytes and their source")
ok(any(key[0] == "dmabuf_source_info" and ("kernel", k["source"]) in key[1] for key in served),
   "dmabuf_source_info names the kernel source")
for u in doc["daemon"]["uids"]:
    is_(val("dmabuffs_uid_bytes", uid=u["uid"]), u["size"], "uid %d: bytes" % u["uid"])
    is_(val("dmabuffs_uid_buffers", uid=u["uid"]), u["buffers"], "uid %d: buffers" % u["uid"])
is_(val("dmabuffs_uid_bytes", uid=65534), 8192, "uid 65534 owns c's 8192 bytes")
is_(val("dmabuffs_bytes"), 4096 + 65536 + 8192, "dmabuffs_bytes: the three files")
PYEOF
done_testing
