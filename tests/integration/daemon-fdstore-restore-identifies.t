#!/bin/bash
# daemon-fdstore-restore-identifies: the fd store gives back only what the
# control socket would accept. A store whose state record names a regular
# file, a memfd whose size cannot be sealed, the state record's own memfd
# and a file of another FUSE server (tests/helpers/hang-statfs-fs) brings
# none of them back as buffers; a sealed memfd beside them comes back, and
# an unsealed but sealable one comes back sealed.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
require_host
command -v hang-statfs-fs >/dev/null 2>&1 || bail_out "hang-statfs-fs not built"

M=$T/mnt
DMABUFFS_CONTROL=$T/control
export M DMABUFFS_CONTROL DMABUFFS_MOUNT=$M
mkdir -p "$M"
MOUNTS="$MOUNTS $M"

H=$T/hung
mkdir -p "$H"
hang-statfs-fs "$H" >"$T/hang.log" 2>&1 &
HANG_PID=$!
stop_hang() {
	kill -TERM "$HANG_PID" 2>/dev/null
	wait_for "! pid_alive $HANG_PID" 30 || kill -KILL "$HANG_PID" 2>/dev/null
	wait "$HANG_PID" 2>/dev/null
	force_unmount "$H"
}
trap 'stop_hang; cleanup' EXIT
wait_for "mountpoint -q '$H'" 50 || bail_out "hang-statfs-fs did not mount $H"
export H

HARNESS=$top_srcdir/tests/helpers/fdstore-harness.py py <<'PY' || fail "the python part exited with status $?"
import fcntl, importlib.util, json, os, signal, time
from tap import ok, is_, diag, memfd

spec = importlib.util.spec_from_file_location("harness", os.environ["HARNESS"])
harness = importlib.util.module_from_spec(spec)
spec.loader.exec_module(harness)

T, M, CTL, H = os.environ["T"], os.environ["M"], os.environ["DMABUFFS_CONTROL"], os.environ["H"]
h = harness.Harness(os.path.join(T, "notify"))
F_ADD_SEALS, F_GET_SEALS = 1033, 1034
SEAL, SHRINK, GROW = 0x1, 0x2, 0x4

good = memfd(4096, b"GOOD")
fcntl.fcntl(good, F_ADD_SEALS, SHRINK | GROW)
sealable = memfd(4096, b"SEALABLE")
probe = os.dup(sealable) # the harness closes what the daemon takes out of the store
unsealable = os.memfd_create("nosealing", os.MFD_CLOEXEC)
os.ftruncate(unsealable, 4096)
with open(os.path.join(T, "regular"), "wb") as f:
    f.write(b"R" * 4096)
regular = os.open(os.path.join(T, "regular"), os.O_RDWR)
fuse = os.open(H + "/file", os.O_RDONLY)

names = ["good", "sealable", "unsealable", "regular", "fuse", "state"]
recs = [{"fd": n, "name": n.encode().hex(), "uid": 0, "gid": 0, "mode": 0o600,
         "origin": "published", "backend": None, "iomem": -1, "mtime_sec": 1,
         "mtime_nsec": 0, "meta": {}} for n in names]
state = memfd(0)
os.write(state, json.dumps({"version": 1, "buffers": recs}).encode())
h.store = [("good", good), ("sealable", sealable), ("unsealable", unsealable),
           ("regular", regular), ("fuse", fuse), ("state", state)]

log = open(os.path.join(T, "daemon.log"), "w")
saved = os.dup(1), os.dup(2)
os.dup2(log.fileno(), 1)
os.dup2(log.fileno(), 2)
try:
    pid = h.start(["dmabuffs", "-f", "-o", "backend=memfd,control=" + CTL, M])
finally:
    os.dup2(saved[0], 1)
    os.dup2(saved[1], 2)
try:
    ok(h.wait_ready(pid, 10), "the daemon starts with the crafted store (READY=1)")
    h.pump(0.3)
    present = sorted(n for n in names if os.path.exists(os.path.join(M, n)))
    is_(present, ["good", "sealable"], "only the two memfds whose size is fixed came back")
    with open(os.path.join(M, "good"), "rb") as f:
        is_(f.read(4), b"GOOD", "the sealed memfd reads back")
    is_(fcntl.fcntl(probe, F_GET_SEALS) & (SHRINK | GROW), SHRINK | GROW,
        "the sealable one was sealed before it became a buffer")
    with open(log.name) as f:
        text = f.read()
    for n in ("unsealable", "regular", "fuse", "state"):
        ok(any(n + ": " in l and "not restored" in l for l in text.splitlines()),
           "%s: the log says it was refused" % n)
    os.kill(pid, signal.SIGTERM)
    end = time.monotonic() + 10
    while time.monotonic() < end and os.waitpid(pid, os.WNOHANG) == (0, 0):
        h.pump(0.05)
finally:
    try:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    except OSError:
        pass
PY
if [ -f "$T/daemon.log" ]; then diag_file "$T/daemon.log" "daemon log"; fi
done_testing
