#!/bin/bash
# export-readonly-stays-readonly: a group member who may only read a buffer
# gets an O_RDONLY fd from EXPORT, and no means a user has makes it
# writable: reopening /proc/self/fd/N read-write (a memfd is born mode
# 0777), F_ADD_SEALS (F_SEAL_FUTURE_WRITE would lock the owner out),
# mmap PROT_WRITE, write, fchmod, ftruncate. Tried on a buffer the owner
# created and on one it published (its own memfd); the owner can still
# write both afterwards. Two unprivileged users in group video.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/daemon-lib.sh"
require_host
require_users_video
OWNER=64031 READER=64032

chmod 0755 "$T"
cp "$ITEST_DIR/tap.py" "$T/tap.py"
chmod 0644 "$T/tap.py"
chmod 0666 "$TAP_COUNTER"
start_daemon "allow_other,group=video" || bail_out "dmabuffs did not mount"

# run_as UID: the python on stdin as UID (groups: video), with tap.py.
run_as() {
	setpriv --reuid="$1" --regid=65534 --groups "$VIDEO" env -i PATH="$PATH" \
		PYTHONPATH="$T" T="$T" M="$M" TAP_COUNTER="$TAP_COUNTER" \
		DMABUFFS_CONTROL="$DMABUFFS_CONTROL" python3 - ||
		fail "the python run as uid $1 exited with status $?"
}

is "$(as_user $OWNER "$VIDEO" 'trunc("made", 8192); write("made", 16); os.chmod(os.path.join(M, "made"), 0o640)')" \
	OK "the owner makes a 0640 buffer"
is "$(xattr "$M/made" user.dmabuf.exporter)" memfd \
	"it is a memfd buffer (the backend whose read-only exports are memfds)"

run_as $OWNER <<'EOF'
import os
from tap import *
m = memfd(8192, b"P" * 16)
st, msg, _, _ = ctl(OP_PUBLISH, "pub", fds=(m,))
is_(status_name(st), "OK", "the owner publishes its own memfd (%s)" % msg)
os.chmod(M + "/pub", 0o640)
st = os.fstat(m)
is_((st.st_uid, st.st_mode & 0o777), (0, 0o600),
    "the published memfd now belongs to root, mode 0600 (the owner's fd still writes)")
os.pwrite(m, b"OWNER-OWN-FD", 100)
os.close(m)
EOF

run_as $READER <<'EOF'
import errno, fcntl, mmap, os
from tap import *

F_ADD_SEALS, F_SEAL_WRITE, F_SEAL_FUTURE_WRITE = 1033, 0x0008, 0x0010

def accmode(fd):
    with open("/proc/self/fdinfo/%d" % fd) as f:
        for line in f:
            if line.startswith("flags:"):
                return int(line.split()[1], 8) & os.O_ACCMODE

for name in ("made", "pub"):
    expect_errno("EACCES", "%s: the reader cannot open it for writing" % name,
                 os.open, M + "/" + name, os.O_RDWR)
    st, fd, msg = export(name)
    is_(status_name(st), "OK", "%s: the reader may export it (%s)" % (name, msg))
    if fd is None:
        continue
    is_(accmode(fd), os.O_RDONLY, "%s: ... and gets an O_RDONLY fd" % name)
    s = os.fstat(fd)
    is_((s.st_uid, s.st_mode & 0o777), (0, 0o600), "%s: the memfd is root's, mode 0600" % name)
    expect_errno("EACCES", "%s: reopening /proc/self/fd/N O_RDWR fails" % name,
                 os.open, "/proc/self/fd/%d" % fd, os.O_RDWR)
    expect_errno("EACCES", "%s: ... so does O_WRONLY" % name,
                 os.open, "/proc/self/fd/%d" % fd, os.O_WRONLY)
    expect_errno("EPERM", "%s: F_ADD_SEALS F_SEAL_FUTURE_WRITE fails" % name,
                 fcntl.fcntl, fd, F_ADD_SEALS, F_SEAL_FUTURE_WRITE)
    expect_errno("EPERM", "%s: F_ADD_SEALS F_SEAL_WRITE fails" % name,
                 fcntl.fcntl, fd, F_ADD_SEALS, F_SEAL_WRITE)
    expect_errno("EACCES", "%s: mmap MAP_SHARED PROT_WRITE fails" % name,
                 mmap.mmap, fd, 4096, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
    expect_errno("EBADF", "%s: write() fails" % name, os.pwrite, fd, b"HACKED", 0)
    expect_errno("EPERM", "%s: fchmod fails" % name, os.fchmod, fd, 0o666)
    e = errno_of(os.ftruncate, fd, 1 << 20)
    ok(e != "OK", "%s: ftruncate fails (%s)" % (name, e))
    mm = mmap.mmap(fd, 4096, mmap.MAP_SHARED, mmap.PROT_READ)
    ok(mm[:6] != b"HACKED", "%s: it maps read-only and reads the owner's bytes" % name)
    mm.close()
    os.close(fd)
EOF

run_as $OWNER <<'EOF'
import os, mmap
from tap import *
for name in ("made", "pub"):
    p = M + "/" + name
    with open(p, "r+b") as f:
        f.write(b"OWNER-AGAIN")
    is_(read_file(p, 0, 11), b"OWNER-AGAIN", "%s: the owner still writes through the file" % name)
    st, fd, msg = export(name)
    is_(status_name(st), "OK", "%s: the owner exports it read-write" % name)
    if fd is None:
        continue
    os.pwrite(fd, b"OWNER-FD", 20)
    mm = mmap.mmap(fd, 4096, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
    mm[40:48] = b"OWNER-MM"
    mm.close()
    os.close(fd)
    is_(read_file(p, 20, 8) + read_file(p, 40, 8), b"OWNER-FDOWNER-MM",
        "%s: ... and writes through its fd and a shared writable mapping" % name)
EOF
stop_daemon
done_testing
