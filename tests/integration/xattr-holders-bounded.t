#!/bin/bash
# xattr-holders-bounded: user.dmabuf.holders cannot take the file system's
# request threads. One uid (5021) holds 19,000 dups of a memfd it named
# "dmabuffs" (each walk of /proc looks at every one of them) and asks for
# the attribute from 12 threads at once: at most one of its requests waits
# for the daemon's walker, the others get EAGAIN at once (before, all 12
# walked /proc on the daemon's request threads and none was ever refused);
# asking again gets the answer, which names the daemon, by device and
# inode, and not the attacker's look-alike memfd; and another uid's read
# of the same attribute is answered (or told EAGAIN), never kept waiting.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
require_host
command -v setpriv >/dev/null 2>&1 || skip_all "no setpriv (util-linux)"

start_daemon allow_other || bail_out "dmabuffs did not mount"
pass "dmabuffs -f mounts $M"
check "truncate -s 4K target" -- truncate -s 4K "$M/target"
chmod 0644 "$M/target"
chmod 0755 "$T"
cat >"$T/attack.py" <<'PYEOF'
import errno, json, os, sys, threading, time
M = os.environ["M"]
fd = os.memfd_create("dmabuffs")
for _ in range(19000 - 64):
    os.dup(fd)
res = {"ok": 0, "eagain": 0, "other": [], "values": set()}
lock = threading.Lock()
go = threading.Barrier(12)
def one():
    go.wait()
    for _ in range(20):
        try:
            v = os.getxattr(M + "/target", "user.dmabuf.holders").decode()
            with lock:
                res["ok"] += 1
                res["values"].add(v)
        except OSError as e:
            with lock:
                if e.errno == errno.EAGAIN:
                    res["eagain"] += 1
                else:
                    res["other"].append(e.errno)
ts = [threading.Thread(target=one) for _ in range(12)]
for t in ts:
    t.start()
for t in ts:
    t.join()
# Asked again, one at a time, until answered.
end = time.monotonic() + 30
v = None
while v is None and time.monotonic() < end:
    try:
        v = os.getxattr(M + "/target", "user.dmabuf.holders").decode()
    except OSError as e:
        if e.errno != errno.EAGAIN:
            raise
        time.sleep(0.1)
res["values"] = sorted(res["values"])
res["again"] = v
res["me"] = os.getpid()
print(json.dumps(res))
PYEOF
chmod 0644 "$T/attack.py"
out=$(setpriv --reuid=5021 --regid=5021 --clear-groups -- env M="$M" /usr/bin/python3 \
	"$T/attack.py" 2>&1)
diag "attacker: $(echo "$out" | cut -c1-300)"
export out DAEMON_PID
py <<'PYEOF'
import json, os
from tap import ok, is_, diag
try:
    r = json.loads(os.environ["out"].splitlines()[-1])
except (ValueError, IndexError):
    r = {}
ok(r.get("eagain", 0) > 0, "12 concurrent reads of one uid: some get EAGAIN at once (%s)"
   % {k: r.get(k) for k in ("ok", "eagain")})
is_(r.get("other"), [], "... and no other error")
d = os.environ["DAEMON_PID"]
ok(r.get("again") is not None and (d + ":fd") in r["again"].split(),
   "asked again, the attribute names the daemon (%s)" % r.get("again"))
ok(r.get("again") is not None and str(r.get("me")) + ":" not in r["again"],
   "... and not the process with the look-alike memfd")
PYEOF
# Another uid, while nothing else asks: answered (or EAGAIN), not kept.
v=$(setpriv --reuid=5022 --regid=5022 --clear-groups -- getfattr --only-values \
	-n user.dmabuf.holders "$M/target" 2>&1)
like "$v" "$DAEMON_PID:fd|Resource temporarily unavailable" "another uid's read is answered"
done_testing
