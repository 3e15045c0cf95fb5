#!/bin/bash
# publish-memfd-sealed: a published memfd's size is fixed, so the quota
# counts what the daemon pins. A user publishes a 4 KiB memfd without seals
# and tries to grow it to 256 MiB through its own fd: the daemon added
# F_SEAL_GROW|F_SEAL_SHRINK (and F_SEAL_SEAL), so that fails and the
# user's quota and df still say 4 KiB. A memfd whose seals cannot be added
# (made without MFD_ALLOW_SEALING, or sent read-only) is refused with
# EINVAL and a message naming the seals; one sent read-only that already
# carries them is accepted.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/daemon-lib.sh"
require_host
require_users_video
U=64041

chmod 0755 "$T"
cp "$ITEST_DIR/tap.py" "$T/tap.py"
chmod 0644 "$T/tap.py"
chmod 0666 "$TAP_COUNTER"
start_daemon "allow_other,group=video,max_bytes_per_user=64M" || bail_out "dmabuffs did not mount"

setpriv --reuid=$U --regid=65534 --groups "$VIDEO" env -i PATH="$PATH" PYTHONPATH="$T" T="$T" \
	M="$M" TAP_COUNTER="$TAP_COUNTER" DMABUFFS_CONTROL="$DMABUFFS_CONTROL" python3 - <<'EOF' ||
import fcntl, os
from tap import *

F_ADD_SEALS, F_GET_SEALS = 1033, 1034
SEAL, SHRINK, GROW = 0x1, 0x2, 0x4

def used():
    sv = os.statvfs(M)
    return (sv.f_blocks - sv.f_bfree) * sv.f_frsize

m = memfd(4096, b"SMALL")
st, msg, _, _ = ctl(OP_PUBLISH, "small", fds=(m,))
is_(status_name(st), "OK", "an unsealed 4 KiB memfd is published (%s)" % msg)
seals = fcntl.fcntl(m, F_GET_SEALS)
is_(seals & (GROW | SHRINK | SEAL), GROW | SHRINK | SEAL,
    "the daemon sealed it: F_SEAL_GROW|F_SEAL_SHRINK|F_SEAL_SEAL")
expect_errno("EPERM", "the publisher cannot grow it to 256 MiB through its own fd",
             os.ftruncate, m, 256 << 20)
expect_errno("EPERM", "... nor shrink it", os.ftruncate, m, 0)
is_(os.fstat(m).st_size, 4096, "its size is still 4 KiB")
is_(used(), 4096, "the user's quota (df) says 4 KiB: what the daemon pins")
is_(os.stat(M + "/small").st_size, 4096, "the file says 4 KiB")
os.close(m)

m = os.memfd_create("nosealing", os.MFD_CLOEXEC)
os.ftruncate(m, 4096)
st, msg, _, _ = ctl(OP_PUBLISH, "unsealable", fds=(m,))
is_(status_name(st), "EINVAL", "a memfd made without MFD_ALLOW_SEALING is refused (EINVAL)")
ok("F_SEAL_GROW" in msg, "... with a message naming the seals", msg)
ok(not os.path.exists(M + "/unsealable"), "... and nothing is published")
os.close(m)

m = memfd(4096)
ro = os.open("/proc/self/fd/%d" % m, os.O_RDONLY)
st, msg, _, _ = ctl(OP_PUBLISH, "ro-unsealed", fds=(ro,))
is_(status_name(st), "EINVAL", "an unsealed memfd sent read-only is refused (EINVAL: no seal can be added)")
ok("F_SEAL_GROW" in msg, "... with a message naming the seals", msg)
os.close(ro)
fcntl.fcntl(m, F_ADD_SEALS, GROW | SHRINK)
ro = os.open("/proc/self/fd/%d" % m, os.O_RDONLY)
st, msg, _, _ = ctl(OP_PUBLISH, "ro-sealed", fds=(ro,))
is_(status_name(st), "OK", "a read-only memfd that carries both seals is accepted (%s)" % msg)
os.close(ro)
os.close(m)
is_(used(), 8192, "the quota counts both published buffers, 8 KiB")
EOF
	fail "the python run as uid $U exited with status $?"
check "the refusal is logged with the reason" -- grep -q "unsealable.*F_SEAL_GROW" "$DAEMON_LOG"
stop_daemon
done_testing
