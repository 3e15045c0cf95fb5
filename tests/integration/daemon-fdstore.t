#!/bin/bash
# daemon-fdstore: buffers survive a restart through the service manager's
# fd store, and the daemon counts its restarts (dmabufctl metrics). A harness plays systemd (tests/helpers/fdstore-harness.py: the
# NOTIFY_SOCKET datagram socket, then LISTEN_FDS/LISTEN_FDNAMES/LISTEN_PID):
# READY=1 comes once the mount is up; every lasting buffer's fd is in the
# store while it exists, with a state record; the next start brings them
# back byte-exact with name, owner, mode and xattrs, and leaves them in the
# store (it is kept current, not filled at the stop). Transient
# publications are never stored. A store whose record cannot be read is
# refused, and left as it was.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
require_host
command -v getfattr >/dev/null 2>&1 || skip_all "no getfattr (Debian package attr)"

fdstore_mount
py <<'PY'
import os, signal, subprocess, time
from tap import ok, is_, diag, fdstore_harness

T, M = os.environ["T"], os.environ["M"]
h, argv = fdstore_harness()
logs = []


def start(n):
    logs.append(os.path.join(T, "daemon.%d.log" % n))
    return h.start_logged(argv, logs[-1])


def stop(pid):
    return h.stop(pid)


def log_tail(n=15):
    with open(logs[-1]) as f:
        diag("".join(f.readlines()[-n:]))


def xattr(path, name):
    try:
        return os.getxattr(path, "user.dmabuf." + name).decode()
    except OSError as e:
        return "ERR:" + os.strerror(e.errno)


pids = []
try:
    pid = start(1)
    pids.append(pid)
    ok(h.wait_ready(pid), "READY=1 reaches NOTIFY_SOCKET") or log_tail()
    ok(os.path.ismount(M), "... once the mount is up")

    data = os.urandom(1 << 20)
    keep = os.path.join(M, "keep \u00e9")
    with open(keep, "wb") as f:
        f.truncate(len(data))
    with open(keep, "r+b") as f:
        f.write(data)
    os.setxattr(keep, "user.dmabuf.format", b"XR24")
    os.setxattr(keep, "user.dmabuf.width", b"512")
    os.setxattr(keep, "user.dmabuf.iomem", b"1")
    os.chown(keep, 64021, 44)
    os.chmod(keep, 0o640)
    before = os.stat(keep)
    pub = subprocess.run(["publish-memfd", "--seed", "5", "64K", "pubkeep"],
                         capture_output=True, text=True)
    is_(pub.returncode, 0, "a buffer is published (not transient)") or diag(pub.stderr)
    gone = subprocess.Popen(["publish-memfd", "--transient", "--hold", "4K", "gone"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    gone.stdout.readline()
    held = subprocess.Popen(["publish-memfd", "--transient", "--hold", "4K", "held"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    held.stdout.readline()
    ok(os.path.exists(os.path.join(M, "gone")) and os.path.exists(os.path.join(M, "held")),
       "two transient buffers are published")
    gone.kill()
    gone.wait()

    names = h.names()
    ok("state.0" in names and "state.1" in names, "the state record is in the fd store "
       "while the daemon runs", names)
    is_(len(names), 6, "... with the two lasting buffers (transients left out), the "
        "control socket and the mount's connection") or diag(names)
    ok("control" in names, "... which is stored as control")
    ok("fuse" in names, "... and the mount's /dev/fuse descriptor as fuse")
    is_(stop(pid), 0, "SIGTERM: the first daemon exits 0") or log_tail()
    h.pump(0.3)
    is_(h.names(), [n for n in names if n != "fuse"],
        "the stop leaves the store as it was, but for the connection (the stop unmounts)")

    pid = start(2)
    pids.append(pid)
    ok(h.wait_ready(pid), "the second start is READY") or log_tail()
    h.pump(0.3)
    with open(keep, "rb") as f:
        is_(f.read() == data, True, "the buffer written before the restart reads back byte-exact")
    after = os.stat(keep)
    is_((after.st_uid, after.st_gid, after.st_mode & 0o7777, after.st_size),
        (64021, 44, 0o640, 1 << 20), "... with its name, owner, group, mode and size")
    is_(after.st_mtime_ns, before.st_mtime_ns, "... and its mtime")
    is_((xattr(keep, "format"), xattr(keep, "width"), xattr(keep, "iomem")),
        ("XR24", "512", "1"), "... and its xattrs (format, width, the iomem override)")
    is_(xattr(keep, "origin"), "created", "... and its origin")
    exp = subprocess.run(["publish-memfd", "--export", "pubkeep", "--seed", "5"],
                         capture_output=True, text=True)
    is_(exp.returncode, 0, "the published buffer came back with its content") or diag(exp.stdout)
    ok(not os.path.exists(os.path.join(M, "gone")),
       "a transient buffer whose publisher died is not brought back")
    ok(not os.path.exists(os.path.join(M, "held")),
       "nor one whose publisher's connection the restart closed")
    is_(h.names(), names, "the restored fds stay in the store under their names")
    with open(logs[-1]) as f:
        ok("2 buffers restored" in f.read(), "the log says how many came back") or log_tail()
    def restarts():
        out = subprocess.run(["dmabufctl", "--mount", M, "metrics"], capture_output=True,
                             text=True).stdout
        return [l for l in out.splitlines() if l.startswith("dmabuffs_restarts ")]
    is_(restarts(), ["dmabuffs_restarts 1"], "dmabufctl metrics counts the restart")

    # A second cycle: what was restored is stored again.
    os.unlink(os.path.join(M, "pubkeep"))
    # Its fd leaves the store once the kernel forgets the inode (FORGET
    # comes after the unlink's reply, asynchronously): wait for that, as
    # a service manager would have received it.
    deadline = time.monotonic() + 10
    while len(h.store) != 4 and time.monotonic() < deadline:
        h.pump(0.1)
    is_(stop(pid), 0, "the second daemon exits 0")
    is_(h.names()[-2:], ["state.0", "state.1"], "the record is still there")
    is_(len(h.store), 4, "... without the buffer removed meanwhile")
    pid = start(3)
    pids.append(pid)
    ok(h.wait_ready(pid), "a third start is READY")
    with open(keep, "rb") as f:
        is_(f.read() == data, True, "the buffer survives a second restart")
    is_(restarts(), ["dmabuffs_restarts 2"], "and the second one")
    ok(not os.path.exists(os.path.join(M, "pubkeep")), "the removed one stays removed")
    # Many buffers: one message each, more fds than one SCM_RIGHTS can carry.
    for i in range(1500):
        with open(os.path.join(M, "many%04d" % i), "wb") as f:
            f.write(b"%04d" % i)
    # A staging memfd leaves the store after its buffer's fd came in: the
    # removal may still be on its way.
    end = time.monotonic() + 10
    while len(h.store) != 1505 and time.monotonic() < end:
        h.pump(0.1)
    is_(len(h.store), 1505, "1,501 buffers: all stored as they were written, the record, the "
        "connection and "
        "the control socket")
    is_(stop(pid), 0, "the third daemon exits 0 with 1,501 buffers")
    pid = start(4)
    pids.append(pid)
    ok(h.wait_ready(pid, 30), "a fourth start is READY")
    back = 0
    for i in range(1500):
        try:
            with open(os.path.join(M, "many%04d" % i), "rb") as f:
                back += f.read(4) == b"%04d" % i
        except OSError:
            pass
    is_(back, 1500, "all 1,500 small buffers came back with their data") or log_tail(8)
    is_(stop(pid), 0, "the fourth daemon exits 0")

    # A record this daemon cannot read: refused, the store left alone.
    with h.lock:
        slots = [(n, fd) for n, fd in h.store if n.startswith("state.")]
        saved = {n: os.pread(fd, os.fstat(fd).st_size, 0) for n, fd in slots}
        for n, fd in slots:
            os.ftruncate(fd, 0)
            os.pwrite(fd, b'{"version": 99, "seq": 1, "buffers": []}', 0)
        before = h.names()
    pid = start(5)
    pids.append(pid)
    end = time.monotonic() + 10
    while time.monotonic() < end and os.waitpid(pid, os.WNOHANG) == (0, 0):
        time.sleep(0.05)
    ok(not os.path.ismount(M) and not h.ready, "a record of an unknown version: no mount")
    with open(logs[-1]) as f:
        text = f.read()
    ok("refusing to start so that no buffer is dropped" in text and "version 99" in text,
       "... and a log line says why and what to do") or log_tail()
    is_(h.names(), before, "... and every stored fd is still in the store")
    with h.lock:
        for n, fd in slots:
            os.ftruncate(fd, 0)
            os.pwrite(fd, saved[n], 0)
    pid = start(6)
    pids.append(pid)
    ok(h.wait_ready(pid, 30), "with the record put back, the next start is READY")
    with open(keep, "rb") as f:
        is_(f.read() == data, True, "... and has every buffer")
    is_(stop(pid), 0, "the sixth daemon exits 0")
    held.stdin.close()
    held.wait()
finally:
    h.kill_all()
PY

# Without a service manager nothing is stored, and nothing changes.
start_daemon || bail_out "dmabuffs did not mount without NOTIFY_SOCKET"
truncate -s 4K "$M/plain"
stop_daemon
check_fails "without NOTIFY_SOCKET the daemon logs no fd store" -- \
	grep -q "fd store" "$DAEMON_LOG"

done_testing
