#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""tests/bench/holders-starve.py BUILDDIR: a victim's create latency while
an attacker starves the holders lookups (issue 16, defect 3). A benchmark:
the figures are printed, never asserted.

The attacker (uid 5012) holds 199,000 dups of a memfd it named "dmabuffs"
(the daemon's own memfd name; in as many processes as the fd limit needs)
and runs 12 threads that loop on
getxattr(user.dmabuf.holders) of a 0644 buffer of root's. The victim (uid
5013) creates files in the mount: os.open(O_CREAT|O_WRONLY) and close,
DMABUFFS_STARVE_N times (default 10), first with no attacker (baseline),
then under the attack. Prints the median and the worst of each, their
ratio (the target: under attack within 10x of the baseline), and the BENCH
lines.

    DMABUFFS_STARVE_DAEMON=PATH   another dmabuffs binary (e.g. an older
                                  build's src/.libs/dmabuffs: before/after)
    DMABUFFS_STARVE_FDS=199000    the attacker's dups
    DMABUFFS_STARVE_THREADS=12    its getxattr threads
    DMABUFFS_STARVE_N=10          creates per phase
    DMABUFFS_STARVE_XATTR=holders the attribute the threads read (exporter:
                                  the same load with no walk, the floor)
"""
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time

if len(sys.argv) < 2 or sys.argv[1] in ("-h", "--help"):
    print(__doc__)
    sys.exit(0 if len(sys.argv) >= 2 else 2)
build = os.path.abspath(sys.argv[1])
daemon = os.environ.get("DMABUFFS_STARVE_DAEMON", os.path.join(build, "src/dmabuffs"))
NFDS = int(os.environ.get("DMABUFFS_STARVE_FDS", "199000"))
NTHREADS = int(os.environ.get("DMABUFFS_STARVE_THREADS", "12"))
N = int(os.environ.get("DMABUFFS_STARVE_N", "10"))
XATTR = "user.dmabuf." + os.environ.get("DMABUFFS_STARVE_XATTR", "holders")
ATTACKER, VICTIM = 5012, 5013
if os.geteuid() != 0:
    sys.exit("holders-starve.py: needs root (a FUSE mount, other uids)")

T = tempfile.mkdtemp(prefix="dmabuffs-starve.")
os.chmod(T, 0o755)
M = os.path.join(T, "mnt")
os.mkdir(M)
O = os.path.join(T, "out")  # the other uids' results
os.mkdir(O)
os.chmod(O, 0o1777)
log = open(os.path.join(T, "daemon.log"), "w")
d = subprocess.Popen([daemon, "-f", "-o", "backend=memfd,allow_other,umask=0022,control=%s/control"
                      % T, M], stdout=log, stderr=log)


def mounted():
    with open("/proc/self/mounts") as f:
        return any(l.split()[1] == M for l in f)


def cleanup():
    if d.poll() is None:
        d.terminate()
        try:
            d.wait(30)
        except subprocess.TimeoutExpired:
            d.kill()
    if mounted():
        subprocess.call(["umount", "-l", M])


for _ in range(100):
    if mounted():
        break
    time.sleep(0.1)
else:
    cleanup()
    sys.exit("holders-starve.py: the daemon did not mount:\n" + open(log.name).read())

target = os.path.join(M, "target")
with open(target, "wb") as f:
    f.truncate(4096)
os.chmod(target, 0o644)


def as_uid(uid, fn, nofile=None):
    """Fork, drop to uid, run fn(); returns the pid."""
    pid = os.fork()
    if pid == 0:
        try:
            if nofile:
                resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, nofile))
            os.setgroups([])
            os.setgid(uid)
            os.setuid(uid)
            fn()
        except BaseException as e:
            print("holders-starve.py: uid %d: %r" % (uid, e), file=sys.stderr, flush=True)
        finally:
            os._exit(0)
    return pid


def victim_run(out_path):
    """N creates as the victim; their latencies in ms, one a line."""
    def fn():
        lat = []
        for i in range(N):
            p = os.path.join(M, "v%d-%d" % (os.getpid(), i))
            t0 = time.monotonic()
            fd = os.open(p, os.O_CREAT | os.O_WRONLY, 0o600)
            os.close(fd)
            lat.append((time.monotonic() - t0) * 1000)
        with open(out_path, "w") as f:
            f.write("\n".join("%.2f" % x for x in lat))
    pid = as_uid(VICTIM, fn)
    os.waitpid(pid, 0)
    with open(out_path) as f:
        return [float(x) for x in f.read().split()]


def holder(n):
    """One of the attacker's processes: n dups of a memfd named dmabuffs."""
    fd = os.memfd_create("dmabuffs")
    for _ in range(n - 1):
        os.dup(fd)
    open(os.path.join(O, "holder.%d" % os.getpid()), "w").close()
    while not os.path.exists(os.path.join(O, "attacker.stop")):
        time.sleep(0.2)


def attacker():
    stop = threading.Event()
    counts = {"ok": 0, "err": 0}

    def loop():
        while not stop.is_set():
            try:
                os.getxattr(target, XATTR)
                counts["ok"] += 1
            except OSError:
                counts["err"] += 1
    ts = [threading.Thread(target=loop, daemon=True) for _ in range(NTHREADS)]
    for t in ts:
        t.start()
    with open(os.path.join(O, "attacker.ready"), "w") as f:
        f.write("1")
    while not os.path.exists(os.path.join(O, "attacker.stop")):
        time.sleep(0.2)
    stop.set()
    with open(os.path.join(O, "attacker.counts"), "w") as f:
        f.write("%d %d" % (counts["ok"], counts["err"]))


def show(name, lat):
    med, worst = statistics.median(lat), max(lat)
    print("%-28s median %9.2f ms   worst %9.2f ms   (n=%d)" % (name, med, worst, len(lat)))
    return med, worst


try:
    base = victim_run(os.path.join(O, "base"))
    bmed, bworst = show("victim create, idle", base)
    # The fds in processes of at most the hard RLIMIT_NOFILE each (20,000
    # here, and without CAP_SYS_RESOURCE no more): the walk's cost is per
    # fd, whichever process holds them.
    per = resource.getrlimit(resource.RLIMIT_NOFILE)[1] - 64
    holders = []
    left = NFDS
    while left > 0:
        n = min(per, left)
        holders.append(as_uid(ATTACKER, lambda n=n: holder(n), nofile=n + 64))
        left -= n
    while len([f for f in os.listdir(O) if f.startswith("holder.")]) < len(holders):
        if any(os.waitpid(p, os.WNOHANG) != (0, 0) for p in holders):
            sys.exit("holders-starve.py: a holder died before it was ready")
        time.sleep(0.2)
    apid = as_uid(ATTACKER, attacker)
    while not os.path.exists(os.path.join(O, "attacker.ready")):
        if os.waitpid(apid, os.WNOHANG) != (0, 0):
            sys.exit("holders-starve.py: the attacker died before it was ready")
        time.sleep(0.2)
    time.sleep(3)  # the walks are running
    t0 = time.monotonic()
    under = victim_run(os.path.join(O, "under"))
    amed, aworst = show("victim create, attacked", under)
    open(os.path.join(O, "attacker.stop"), "w").close()
    os.waitpid(apid, 0)
    for p in holders:
        os.waitpid(p, 0)
    with open(os.path.join(O, "attacker.counts")) as f:
        ok_n, err_n = (int(x) for x in f.read().split())
    print("attacker: %d fds in %d processes, %d threads on %s: %d answers, %d errors (EAGAIN) "
          "in %.1f s" % (NFDS, len(holders), NTHREADS, XATTR, ok_n, err_n, time.monotonic() - t0))
    ratio = amed / bmed if bmed > 0 else float("inf")
    print("ratio attacked/idle (median): %.1fx (target: within 10x)" % ratio)
    print("BENCH holders-starve create_idle_ms=%.2f create_attacked_ms=%.2f "
          "create_attacked_worst_ms=%.2f ratio=%.1f" % (bmed, amed, aworst, ratio))
finally:
    open(os.path.join(O, "attacker.stop"), "w").close()
    cleanup()
