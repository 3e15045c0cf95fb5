#!/bin/bash
# daemon-failed-start-keeps-store: a start that fails (here an option only
# libfuse knows to refuse, so fuse_session_new() fails) after the fd store
# handed over the buffers of the previous run neither loses them nor leaves
# them behind: the store still holds them, and the next good start brings
# them back byte-exact. (Before: the buffers were restored into a tree that
# the failure path never freed, and taken out of the store for good.)
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
require_host

M=$T/mnt
DMABUFFS_CONTROL=$T/control
export M DMABUFFS_CONTROL DMABUFFS_MOUNT=$M
mkdir -p "$M"
MOUNTS="$MOUNTS $M"

HARNESS=$top_srcdir/tests/helpers/fdstore-harness.py py <<'PY'
import importlib.util, os, signal, time
from tap import ok, is_, diag

spec = importlib.util.spec_from_file_location("harness", os.environ["HARNESS"])
harness = importlib.util.module_from_spec(spec)
spec.loader.exec_module(harness)

T, M, CTL = os.environ["T"], os.environ["M"], os.environ["DMABUFFS_CONTROL"]
h = harness.Harness(os.path.join(T, "notify"))
good = ["dmabuffs", "-f", "-o", "backend=memfd,control=" + CTL, M]
# Passed through by dmabuffs' own parser, refused by libfuse's.
bad = ["dmabuffs", "-f", "-o", "backend=memfd,control=" + CTL + ",no_such_fuse_option", M]
logs = []


def start(argv, n):
    logs.append(os.path.join(T, "daemon.%d.log" % n))
    return h.start_logged(argv, logs[-1])


def wait_exit(pid, sig=None):
    return h.wait_exit(pid, sig, 20)


def log_tail(n=15):
    with open(logs[-1]) as f:
        diag("".join(f.readlines()[-n:]))


pids = []
try:
    pid = start(good, 1)
    pids.append(pid)
    ok(h.wait_ready(pid), "the first start is READY") or log_tail()
    data = os.urandom(256 << 10)
    with open(os.path.join(M, "keep"), "wb") as f:
        f.write(data)
    is_(wait_exit(pid, signal.SIGTERM), 0, "SIGTERM: exit 0") or log_tail()
    is_(sorted(n for n, _ in h.store), ["b1", "control", "state.0", "state.1"], "the buffer and the state are stored")

    pid = start(bad, 2)
    pids.append(pid)
    is_(wait_exit(pid), 1, "an option libfuse refuses: the start fails with exit 1") or log_tail()
    ok(not os.path.ismount(M), "... and mounts nothing")
    is_(sorted(n for n, _ in h.store), ["b1", "control", "state.0", "state.1"],
        "the failed start left the buffer and the state in the store") or log_tail()

    pid = start(good, 3)
    pids.append(pid)
    ok(h.wait_ready(pid), "the next good start is READY") or log_tail()
    try:
        with open(os.path.join(M, "keep"), "rb") as f:
            back = f.read()
    except OSError as e:
        back = str(e)
    ok(back == data, "the buffer came back byte-exact after the failed start") or log_tail()
    is_(wait_exit(pid, signal.SIGTERM), 0, "SIGTERM: exit 0") or log_tail()
finally:
    for p in pids:
        try:
            os.kill(p, signal.SIGKILL)
            os.waitpid(p, 0)
        except OSError:
            pass
PY

done_testing
