#!/bin/bash
# EXPORT hands out only what the caller may do with the file (issue 10
# item 6): read-write to a caller who may write it, read-only to one who
# may only read it, nothing to one who may not read it.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
require_host
command -v runuser >/dev/null 2>&1 && id nobody >/dev/null 2>&1 ||
	skip_all "runuser or user nobody missing"
grp=$(id -g nobody)

# group=: nobody's group gets the control socket (and the new files).
start_daemon "allow_other,group=$grp" || bail_out "dmabuffs did not mount"
chmod 0755 "$T"
cp "$ITEST_DIR/tap.py" "$T/tap.py"
chmod 0644 "$T/tap.py"
chmod 0666 "$TAP_COUNTER"

printf 'ROOT-DATA' >"$T/data"
for f in ro rw none; do
	check "root makes $f, 4 KiB" -- truncate -s 4K "$M/$f"
	dd if="$T/data" of="$M/$f" conv=notrunc status=none
done
chmod 0644 "$M/ro"
chmod 0666 "$M/rw"
chmod 0600 "$M/none"

runuser -u nobody -- env PYTHONPATH="$T" T="$T" M="$M" TAP_COUNTER="$TAP_COUNTER" \
	DMABUFFS_CONTROL="$DMABUFFS_CONTROL" /usr/bin/python3 - <<'EOF2'
import errno, fcntl, mmap, os
from tap import *

def flags_of(fd):
    with open("/proc/self/fdinfo/%d" % fd) as f:
        for line in f:
            if line.startswith("flags:"):
                return int(line.split()[1], 8)

try:
    os.open(M + "/ro", os.O_WRONLY)
    ok(False, "nobody cannot open root's 0644 ro for writing")
except OSError as e:
    is_(ename(e.errno), "EACCES", "nobody cannot open root's 0644 ro for writing (EACCES)")

st, fd, msg = export("ro")
is_(status_name(st), "OK", "nobody may export root's 0644 ro (it may read it)")
if fd is not None:
    is_(flags_of(fd) & os.O_ACCMODE, os.O_RDONLY, "... and gets an O_RDONLY fd (fdinfo flags)")
    try:
        mmap.mmap(fd, 4096, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
        ok(False, "the read-only fd cannot be mapped writable")
    except OSError as e:
        is_(ename(e.errno), "EACCES", "the read-only fd cannot be mapped writable (EACCES)")
    m = mmap.mmap(fd, 4096, mmap.MAP_SHARED, mmap.PROT_READ)
    is_(m[:9], b"ROOT-DATA", "it maps read-only and reads the buffer")
    m.close()
    try:
        os.pwrite(fd, b"HACKED!!", 0)
        ok(False, "a write through the read-only fd fails")
    except OSError as e:
        is_(ename(e.errno), "EBADF", "a write through the read-only fd fails (EBADF)")
    os.close(fd)

st, fd, msg = export("rw")
is_(status_name(st), "OK", "nobody may export root's 0666 rw")
if fd is not None:
    is_(flags_of(fd) & os.O_ACCMODE, os.O_RDWR, "... and gets an O_RDWR fd: it may write rw")
    os.close(fd)

st, fd, msg = export("none")
is_(status_name(st), "EACCES", "nobody may not export root's 0600 none (EACCES)")
ok(fd is None, "... and gets no fd")
EOF2

# A supplementary group counts as the kernel counts it (issue 11 item 8).
sup=$(getent group video | cut -d: -f3)
if [ -n "$sup" ] && command -v setpriv >/dev/null 2>&1; then
	check "root makes sup, 4 KiB" -- truncate -s 4K "$M/sup"
	dd if="$T/data" of="$M/sup" conv=notrunc status=none
	chgrp "$sup" "$M/sup" && chmod 0640 "$M/sup"
	setpriv --reuid=nobody --regid="$grp" --groups="$sup" -- env PYTHONPATH="$T" \
		T="$T" M="$M" TAP_COUNTER="$TAP_COUNTER" DMABUFFS_CONTROL="$DMABUFFS_CONTROL" \
		/usr/bin/python3 - <<'EOF3'
import os
from tap import *
fd = os.open(M + "/sup", os.O_RDONLY)
ok(fd >= 0, "nobody, in sup's group only as a supplementary group, may open it (the kernel says yes)")
os.close(fd)
st, fd, msg = export("sup")
is_(status_name(st), "OK", "... and may export it (the same rule as the kernel)")
if fd is not None:
    with open("/proc/self/fdinfo/%d" % fd) as f:
        fl = [int(l.split()[1], 8) for l in f if l.startswith("flags:")][0]
    is_(fl & os.O_ACCMODE, os.O_RDONLY, "... read-only: the group may only read")
    os.close(fd)
EOF3
else
	diag "no group video or no setpriv: supplementary-group export not tried"
fi

is "$(head -c 9 "$M/ro")" ROOT-DATA "root's data in ro is untouched"
stop_daemon
done_testing
