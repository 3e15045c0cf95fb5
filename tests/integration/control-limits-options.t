#!/bin/bash
# control-limits-options: the control socket's limits are mount options.
# With control_max_per_uid=2 a non-root uid's third connection is refused
# (EUSERS, "too many connections of this user") while root is served; with
# control_idle_timeout=300 a connection that sends nothing is closed after
# about 300 ms instead of 5 s. A value out of range stops the daemon with a
# message naming the option.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
require_host

for bad in control_max_conns=0 control_max_per_uid=x control_root_reserve=70000 \
	control_idle_timeout=3600001; do
	timeout 10 dmabuffs -f -o "backend=memfd,control=$T/bad.sock,$bad" "$T/badmnt" \
		>"$T/bad.out" 2>&1
	rc=$?
	if [ "$rc" != 0 ] && grep -q "${bad%%=*}=" "$T/bad.out"; then
		pass "-o $bad is refused, naming the option (exit $rc)"
	else
		fail "-o $bad is refused, naming the option (exit $rc)"
		diag_file "$T/bad.out" "dmabuffs output"
	fi
	force_unmount "$T/badmnt"
done

start_daemon control_max_per_uid=2,control_idle_timeout=300 ||
	bail_out "dmabuffs did not mount"
chmod 0711 "$T"
chmod 0666 "$DMABUFFS_CONTROL"

py <<'PYEOF'
import json, os, time
from tap import *

def three_conns():
    socks = [ctl_connect(timeout=2.0) for _ in range(3)]
    # The daemon answers the refused one at once; the others stay quiet.
    socks[2].settimeout(2.0)
    data = socks[2].recv(4096)
    out = {"refused_bytes": len(data)}
    if len(data) >= 16:
        import struct
        _, status, msg_len, _ = struct.unpack_from("=IiII", data)
        out["status"] = status_name(status)
        out["msg"] = data[16:16 + msg_len].decode(errors="replace")
    return out

res = as_nobody(three_conns)
is_(res.get("status"), "EUSERS", "control_max_per_uid=2: a uid's third connection -> EUSERS")
ok("too many connections of this user" in res.get("msg", ""), "the reply says why",
   res)

s = ctl_connect()
t0 = time.monotonic()
s.settimeout(4.0)
try:
    data = s.recv(4096)
except OSError:
    data = None
took = time.monotonic() - t0
ok(data == b"" and took < 3.0,
   "control_idle_timeout=300: an idle connection is closed within 3 s (%.2f s)" % took,
   repr(data))
s.close()
st, msg, _, _ = ctl(OP_UNPUBLISH, "nosuch")
is_(status_name(st), "ENOENT", "a connection that asks at once is served")
PYEOF

done_testing
