#!/bin/bash
# fdstore-survives-kill9: the fd store is current at every instant, so a
# kill -9 loses nothing that had been acknowledged. A harness plays systemd
# (tests/helpers/fdstore-harness.py). Buffers of every kind (allocated,
# staged and still open, empty, renamed, published, with owners, modes and
# xattrs) come back after a kill -9; the first start right after the kill
# re-attaches to the mount (its connection was in the store too), so a file
# open across the kill still works; and over several kills at random
# instants during a loop of create, write, setxattr, chmod, rename and
# unlink, no call fails (they wait for the next daemon) and every call that
# had returned is found done after the restart.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
require_host

fdstore_mount
py <<'PY'
import os, random, signal, socket, struct, subprocess, sys, time
import tap
from tap import ok, is_, diag, fdstore_harness

T, M = os.environ["T"], os.environ["M"]
h, argv = fdstore_harness()
logs, pids, loops = [], [], []


def start():
    logs.append(os.path.join(T, "daemon.%d.log" % (len(logs) + 1)))
    pids.append(h.start_logged(argv, logs[-1]))
    return pids[-1]


def log_text():
    with open(logs[-1]) as f:
        return f.read()


def kill9(pid):
    try:
        os.kill(pid, signal.SIGKILL)
    finally:
        os.waitpid(pid, 0)
    h.pump(0.1)


def xattr(path, name):
    try:
        return os.getxattr(path, "user.dmabuf." + name).decode()
    except OSError as e:
        return "ERR:" + os.strerror(e.errno)


def data_of(i, n):
    return bytes((i * 7 + k) & 0xff for k in range(256)) * (n // 256) + b"%06d" % i


try:
    pid = start()
    ok(h.wait_ready(pid), "the first daemon is READY") or diag(log_text())

    # Buffers of every kind, each call returned before the kill.
    N = 24
    want = {}
    for i in range(N):
        name = "buf %02d \u00e9" % i
        p = os.path.join(M, name)
        d = data_of(i, 4096 * (1 + i % 5))
        if i % 3 == 0:     # allocated first, then written
            with open(p, "wb") as f:
                f.truncate(len(d))
            with open(p, "r+b") as f:
                f.write(d)
        else:              # written, allocated at close
            with open(p, "wb") as f:
                f.write(d)
        os.setxattr(p, "user.dmabuf.format", b"AR24")
        os.setxattr(p, "user.dmabuf.width", b"%d" % (100 + i))
        os.chown(p, 1000 + i, 100 + i)
        os.chmod(p, 0o600 + (i % 4) * 0o10)
        if i % 4 == 1:
            os.rename(p, p + ".renamed")
            name += ".renamed"
        want[name] = (d, 1000 + i, 100 + i, 0o600 + (i % 4) * 0o10, "AR24", str(100 + i))
    # Held open by a process of its own: a process that forks while it
    # holds a file of the mount (the harness starting a daemon) would have
    # its child's close wait for a daemon that the child is to become.
    holder = subprocess.Popen([sys.executable, "-c", r"""
import os, sys
fd = os.open(sys.argv[1], os.O_CREAT | os.O_WRONLY, 0o644)
os.write(fd, b"written, never closed")
print("open", flush=True)
sys.stdin.readline()
try:
    os.write(fd, b"+after")
    os.close(fd)
    print("ok", flush=True)
except OSError as e:
    print(e.strerror, flush=True)
""", os.path.join(M, "staged-open")], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    loops.append(holder)
    is_(holder.stdout.readline().strip(), "open", "a file is written and kept open")
    os.close(os.open(os.path.join(M, "empty"), os.O_CREAT | os.O_WRONLY, 0o640))
    pub = subprocess.run(["publish-memfd", "--seed", "9", "64K", "published"],
                         capture_output=True, text=True)
    is_(pub.returncode, 0, "a buffer is published") or diag(pub.stderr)
    store_before = len(h.store)

    kill9(pid)
    # A file open at the kill stays open: the mount outlives its daemon
    # (its connection is in the store), and its close, made once the next
    # daemon runs, succeeds.
    # The listening control socket outlives its daemon (in the store): a
    # client connecting now waits in its backlog, no ECONNREFUSED.
    try:
        early = tap.ctl_connect(timeout=30)
        early.send(tap.encode_request(tap.OP_EXPORT, "published"))
        early_err = None
    except OSError as e:
        early, early_err = None, e.strerror
    is_(early_err, None, "while no daemon runs, a client connects to the control socket")
    t0 = time.monotonic()
    pid = start()
    ok(h.wait_ready(pid, 20), "the first start right after the kill is READY") or \
        diag(log_text())
    diag("restart after kill -9: READY in %.0f ms" % ((time.monotonic() - t0) * 1000))
    ok("refusing to mount over it" not in log_text(),
       "... it did not take the dead daemon's mount for a live one")
    ok("re-attached to the mount" in log_text(), "... it re-attached to the mount the dead "
       "daemon left (no new mount)") or diag(log_text()[-2000:])
    holder.stdin.write("go\n")
    holder.stdin.flush()
    is_(holder.stdout.readline().strip(), "ok",
        "a file open across the kill -9 is written and closed without an error")
    bad = []
    for name, (d, uid, gid, mode, fmt, width) in want.items():
        p = os.path.join(M, name)
        try:
            st = os.stat(p)
            with open(p, "rb") as f:
                got = f.read(len(d))
            if got != d:
                bad.append((name, "data"))
            if (st.st_uid, st.st_gid, st.st_mode & 0o7777) != (uid, gid, mode):
                bad.append((name, "owner/mode", st.st_uid, st.st_gid, oct(st.st_mode)))
            if (xattr(p, "format"), xattr(p, "width")) != (fmt, width):
                bad.append((name, "xattrs", xattr(p, "format"), xattr(p, "width")))
        except OSError as e:
            bad.append((name, e.strerror))
    is_(bad, [], "%d buffers are back with their names, data, owners, modes and xattrs" % N)
    try:
        with open(os.path.join(M, "staged-open"), "rb") as f:
            got = f.read()
    except OSError as e:
        got = e.strerror
    want_staged = b"written, never closed+after"
    is_(got[:len(want_staged)], want_staged,
        "a file written and still open at the kill has what was written before and after")
    ok(os.path.exists(os.path.join(M, "empty")) and
       os.stat(os.path.join(M, "empty")).st_size == 0, "an empty file is back")
    exp = subprocess.run(["publish-memfd", "--export", "published", "--seed", "9"],
                         capture_output=True, text=True)
    is_(exp.returncode, 0, "the published buffer is back with its content")
    reply = None
    if early:
        try:
            data, rfds, _f, _a = socket.recv_fds(early, 4096, 4)
            reply = struct.unpack_from(tap.REP_HDR, data)[1]
            for fd in rfds:
                os.close(fd)
        except OSError as e:
            reply = e.strerror
        early.close()
    is_(reply, 0, "... and the restarted daemon answers its request (EXPORT)")
    h.pump(0.3)
    is_(len(h.store), store_before,
        "the store holds as many fds as before the kill (nothing leaked, nothing lost)")

    # Kills at random instants of a loop of calls; the loop writes down
    # each call that returned, and stops at the first that failed.
    loop = r'''
import os, sys
M, start = sys.argv[1], int(sys.argv[2])
ack = open(sys.argv[3], "a", buffering=1)
i = start
try:
    while True:
        f, g = os.path.join(M, "f%06d" % i), os.path.join(M, "g%06d" % i)
        with open(f, "wb") as fp:
            fp.write(b"%06d" % i * 100)
        ack.write("written %d\n" % i)
        os.setxattr(f, "user.dmabuf.format", b"NV12")
        ack.write("xattr %d\n" % i)
        os.chmod(f, 0o604)
        ack.write("chmod %d\n" % i)
        os.rename(f, g)
        ack.write("renamed %d\n" % i)
        if i % 3 == 0:
            os.unlink(g)
            ack.write("unlinked %d\n" % i)
        i += 1
except OSError as e:
    ack.write("failed %d %s\n" % (i, e.strerror))
'''
    cycles, start_i, acked_total, bad, failed = 5, 0, 0, [], []
    acklog = os.path.join(T, "acks")
    for c in range(cycles):
        open(acklog, "w").close()
        w = subprocess.Popen([sys.executable, "-c", loop, M, str(start_i), acklog])
        loops.append(w)
        # Once the loop runs (a few calls returned), at a random instant.
        end = time.monotonic() + 20
        while time.monotonic() < end and sum(1 for _ in open(acklog)) < 5:
            time.sleep(0.02)
        time.sleep(random.random() * 0.5)
        kill9(pid)
        # The loop's calls wait for the next daemon (the mount is kept);
        # it runs a little under it, then is stopped at a random call.
        pid = start()
        if not ok(h.wait_ready(pid, 20), "cycle %d: the start after the kill is READY" % c):
            diag(log_text())
            break
        ok("re-attached to the mount" in log_text(), "cycle %d: ... re-attached to the mount" % c)
        time.sleep(0.2 + random.random() * 0.3)
        w.terminate()
        w.wait(timeout=20)
        done = {}
        for line in open(acklog):
            parts = line.split()
            if parts[0] == "failed":
                failed.append(line.strip())
            else:
                done.setdefault(int(parts[1]), set()).add(parts[0])
        last = max(done) if done else None
        for i, what in sorted(done.items()):
            acked_total += len(what)
            f, g = os.path.join(M, "f%06d" % i), os.path.join(M, "g%06d" % i)
            # The call in flight at the kill was never acknowledged: it
            # may or may not have been done. For the last file, that is
            # the unlink after its rename.
            if "unlinked" in what or (i == last and "renamed" in what and i % 3 == 0 and
                                      not os.path.exists(g)):
                if os.path.exists(g) or os.path.exists(f):
                    bad.append((i, "unlinked but back"))
                continue
            if "renamed" in what and os.path.exists(f):
                bad.append((i, "renamed but back under the old name"))
            p = g if os.path.exists(g) else f
            try:
                with open(p, "rb") as fp:
                    if fp.read(600) != b"%06d" % i * 100:  # (then page padding)
                        bad.append((i, "data"))
                if "xattr" in what and xattr(p, "format") != "NV12":
                    bad.append((i, "xattr", xattr(p, "format")))
                if "chmod" in what and os.stat(p).st_mode & 0o7777 != 0o604:
                    bad.append((i, "mode", oct(os.stat(p).st_mode)))
            except OSError as e:
                bad.append((i, e.strerror))
        start_i = max(done) + 1 if done else start_i + 1
    is_(bad, [], "%d kills at random instants: all %d acknowledged calls are found done" %
        (cycles, acked_total))
    ok(acked_total >= cycles * 5, "... (the loop ran: %d calls acknowledged)" % acked_total)
    is_(failed, [], "no call of the loop failed across the kills (no ENOTCONN: they waited)")
    is_(h.stop(pid), 0, "the last daemon exits 0")
finally:
    for w in loops:
        w.kill()
        w.wait()
    h.kill_all()
PY

done_testing
