#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""tests/bench/restart-load.py BUILDDIR [--quick] [--cycles C] [--buffers N]
                                        [--dir DIR] [--seed S] [--json]

kill -9 cycles under load (issue 17): what applications see while the
daemon is killed and started again from its fd store, as systemd's
Restart=on-failure does. A stand-in service manager
(tests/helpers/fdstore-harness.py) keeps the store and starts the daemon
(backend=memfd); the tree is filled with N buffers of 4 KiB; then, all at
once and during C cycles (kill -9 at a random instant 0.3-1.5 s after the
previous start was READY, then a start from the store):

  fio-pt, fio-dp  fio verify (crc32c, verify_backlog) on a passthrough
                  buffer and on a daemon-path one (user.dmabuf.iomem=1),
                  time-based; a fio that exits is counted and started again
  reader          one file (daemon path) kept open, pread in a loop and
                  compared with what was written; reopened after a failure
  map             a MAP_SHARED mapping of a buffer, a store and a load per
                  call; at the end the mapping is compared with the file
  watch           dmabufctl watch; each exit is counted and it is started
                  again
  churn           create, write, close, rename, unlink
  stat            stat of the mount and a readdir of it (each getdents timed)

Every failed call is counted with its errno (ENOTCONN apart); every call's
latency goes into the stall figures: the longest single call, and the
median of the cycles' longest calls. Also the restarts' READY, the
daemon's fd count, the store's size and the daemon's passthrough backing
ids (a `dmabuffs_backing_ids` line of `dmabufctl metrics`, "n/a" when the
daemon has none) before the first kill and after the last restart, with
every workload stopped. A benchmark: figures are reported, never asserted
here (tests/integration/restart-kill9-under-load.t asserts on --quick
--json's last line); only a run that could not happen exits non-zero.

  --quick      50 cycles, 1,000 buffers (the host test's size)
  default      50 cycles, 10,000 buffers (./dev bench)
  --dir DIR    work in DIR (mount DIR/mnt), kept; default a fresh one, removed
  --json       a last line with every figure as JSON
"""

import argparse
import errno
import json
import mmap
import os
import random
import resource
import signal
import statistics
import struct
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
BUCKET = 100  # stall buckets per second (a call counts in the one it ended in)
FILE_MB = 4  # fio's files
SMALL = 1 << 20  # the reader's and the mapping's files
ERRNO_OF = {os.strerror(e): n for e, n in errno.errorcode.items()}
FAILED = object()  # what Worker.call() returns for a failed call

# The worker's live state, shared with the main process through a mapped
# file: when its current call began (0: none), how many calls it made, and
# the stop flag the main process sets.
STATE = "=dQB"
STATE_SIZE = struct.calcsize(STATE)


T0 = time.monotonic()


def note(msg):
    print("# [%5.1f s] %s" % (time.monotonic() - T0, msg), file=sys.stderr, flush=True)


def ename(e):
    return errno.errorcode.get(e, str(e))


# ------------------------------------------------------------------ workers


class Worker:
    """The accounting every workload shares."""

    def __init__(self, kind, state_path):
        self.kind = kind
        fd = os.open(state_path, os.O_RDWR)
        self.state = mmap.mmap(fd, STATE_SIZE)
        os.close(fd)
        self.calls = 0
        self.failed = {}  # errno name -> count
        self.by_op = {}  # "op errno" -> count
        self.first = []  # the first failures, as "t op errno"
        self.buckets = {}  # int(end * BUCKET) -> longest call ending there (s)
        self.longest = (0.0, "")
        self.extra = {}

    def stopping(self):
        return self.state[STATE_SIZE - 1] != 0

    def _set(self, since):
        self.state[0:STATE_SIZE - 1] = struct.pack(STATE, since, self.calls, 0)[:STATE_SIZE - 1]

    def call(self, op, fn, *args):
        """fn(*args), timed; its result, or FAILED after a counted failure."""
        t0 = time.monotonic()
        self._set(t0)
        try:
            return fn(*args)
        except OSError as e:
            self.fail(op, e.errno, time.monotonic())
            return FAILED
        finally:
            self.calls += 1
            self._set(0.0)
            self.record(op, t0, time.monotonic())

    def count(self):
        """One more call made outside call() (a store, a fio run)."""
        self.calls += 1
        self._set(0.0)

    def record(self, op, t0, t1):
        d = t1 - t0
        b = int(t1 * BUCKET)
        if d > self.buckets.get(b, 0.0):
            self.buckets[b] = d
        if d > self.longest[0]:
            self.longest = (d, op)

    def fail(self, op, e, t, name=None):
        n = name or ename(e)
        self.failed[n] = self.failed.get(n, 0) + 1
        k = "%s %s" % (op, n)
        self.by_op[k] = self.by_op.get(k, 0) + 1
        if len(self.first) < 5:
            self.first.append("%.3f %s %s" % (t, op, n))

    def result(self):
        return {"kind": self.kind, "calls": self.calls, "failed": self.failed,
                "by_op": self.by_op, "first": self.first,
                "buckets": {str(k): v for k, v in self.buckets.items()},
                "longest": self.longest, **self.extra}


def pause(w, after_failure=False):
    """Leave the CPU to the daemon (2 cores, many processes); longer after
    a failure, so that a dead mount is not spun on."""
    time.sleep(0.02 if after_failure else 0.002)


def work_reader(w, path, data):
    fd, off, mismatches = None, 0, 0
    while not w.stopping():
        if fd is None:
            fd = w.call("open", os.open, path, os.O_RDONLY)
            if fd is FAILED:
                fd = None
                pause(w, True)
                continue
        n = 65536
        got = w.call("pread", os.pread, fd, n, off)
        if got is FAILED:
            w.call("close", os.close, fd)
            fd = None
            pause(w, True)
            continue
        if got != data[off:off + n]:
            mismatches += 1
        off = (off + n) % len(data)
        pause(w)
    if fd is not None:
        os.close(fd)
    w.extra["mismatches"] = mismatches


def work_map(w, path):
    """Stores and loads on a MAP_SHARED mapping: one (seq, page) word per
    call, in turn over the pages; every page checked at the end, and the
    mapping compared with the file read through a fresh open."""
    fd = os.open(path, os.O_RDWR)
    size = os.fstat(fd).st_size
    mm = mmap.mmap(fd, size, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
    os.close(fd)
    pages = size // mmap.PAGESIZE
    last = [None] * pages
    seq, mismatches = 0, 0

    def store_load(p, word):
        off = p * mmap.PAGESIZE
        mm[off:off + 16] = word
        return mm[off:off + 16] == word

    while not w.stopping():
        seq += 1
        p = seq % pages
        word = struct.pack("=QQ", seq, p)
        t0 = time.monotonic()
        good = store_load(p, word)
        w.record("store+load", t0, time.monotonic())
        w.count()
        if not good:
            mismatches += 1
        last[p] = word
        if seq % 64 == 0:
            pause(w)
    for p, word in enumerate(last):
        off = p * mmap.PAGESIZE
        if word is not None and mm[off:off + 16] != word:
            mismatches += 1
    # The file as a fresh open sees it: the mapping is still the buffer.
    same = None
    try:
        fd = os.open(path, os.O_RDONLY)
        try:
            from tap import pread_all
            same = pread_all(fd, size, 0) == mm[:]
        finally:
            os.close(fd)
    except OSError as e:
        w.fail("final-read", e.errno, time.monotonic())
    w.extra.update(mismatches=mismatches, stores=seq, same_as_file=same)
    mm.close()


def bare(w, mnt, st, op):
    """Whether st (of a call that succeeded) is of the directory under the
    mount point, not of the mount: between the removal of a dead daemon's
    mount and the next mount, a path there reaches that directory. The
    call is then counted as failed (UNMOUNTED): its file is not a buffer."""
    if st.st_dev == os.stat(os.path.dirname(mnt)).st_dev:
        w.fail(op, 0, time.monotonic(), "UNMOUNTED")
        return True
    return False


def work_churn(w, mnt):
    i, data = 0, b"\xa5" * 4096
    while not w.stopping():
        a = os.path.join(mnt, "churn-%d-a" % i)
        b = os.path.join(mnt, "churn-%d-b" % i)
        i += 1
        fd = w.call("create", os.open, a, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        if fd is FAILED:
            pause(w, True)
            continue
        if bare(w, mnt, os.fstat(fd), "create"):
            os.close(fd)
            os.unlink(a)
            pause(w, True)
            continue
        wrote = w.call("write", os.write, fd, data) is not FAILED
        # (the fd is closed whatever close() says)
        if w.call("close", os.close, fd) is FAILED or not wrote or \
                w.call("rename", os.rename, a, b) is FAILED or \
                w.call("unlink", os.unlink, b) is FAILED:
            pause(w, True)
            continue
        pause(w)
    w.extra["files"] = i


def work_stat(w, mnt):
    while not w.stopping():
        st = w.call("stat", os.stat, mnt)
        if st is FAILED or bare(w, mnt, st, "stat"):
            pause(w, True)
            continue
        it = w.call("opendir", os.scandir, mnt)
        if it is FAILED:
            pause(w, True)
            continue
        n = 0
        while True:
            e = w.call("readdir", next, it, None)
            if e is None or e is FAILED:
                break
            n += 1
        it.close()
        w.extra["last_listing"] = n
        pause(w, e is FAILED)


def wait_child(w, proc):
    """Poll proc until it exits or the worker is told to stop (then
    SIGINT, which fio and dmabufctl watch end on cleanly)."""
    while proc.poll() is None:
        if w.stopping():
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(60)
            except subprocess.TimeoutExpired:
                # Slow to stop is not a failed call (a watch in the middle
                # of a look at 1,000 buffers under ASan): said apart.
                w.extra["killed_at_stop"] = w.extra.get("killed_at_stop", 0) + 1
                proc.kill()
                proc.wait()
                proc.returncode = 0
            return True
        time.sleep(0.05)
    return w.stopping()


def last_error(text):
    """The errno name of the last "...: <strerror>" in a tool's stderr."""
    if "file creation disallowed" in text:
        return "ENOENT"  # (fio, --allow_file_create=0)
    for line in reversed(text.splitlines()):
        for msg, name in ERRNO_OF.items():
            if msg in line:
                return name
    return "EXIT"


def work_fio(w, path, out):
    """fio verify on path, time-based until stopped; a run that ends with
    an error is counted (its errno, or a verify error) and started again."""
    runs, verify_errors, n = 0, 0, 0
    while not w.stopping():
        n += 1
        base = "%s.%d" % (out, n)
        argv = ["fio", "--name=v", "--filename=" + path, "--size=%dM" % FILE_MB,
                "--allow_file_create=0", "--rw=randwrite", "--bs=16k", "--verify=crc32c",
                "--verify_backlog=16", "--verify_state_save=0", "--verify_fatal=1", "--time_based",
                "--runtime=86400", "--rate_iops=200", "--output-format=json",
                "--output=" + base + ".json", "--write_lat_log=" + base,
                "--log_avg_msec=100", "--log_max_value=1"]
        t0 = time.monotonic()
        with open(base + ".err", "w") as err:
            proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=err)
        w.count()
        stopped = wait_child(w, proc)
        runs += 1
        t1 = time.monotonic()
        errtext = open(base + ".err").read()
        code = None
        try:
            with open(base + ".json") as f:
                s = f.read()
            code = json.loads(s[s.index("{"):])["jobs"][0]["error"]
        except (OSError, ValueError, KeyError, IndexError):
            pass
        # Each latency window's longest I/O, placed by fio's own clock.
        for name in os.listdir(os.path.dirname(base)):
            if name.startswith(os.path.basename(base) + "_lat."):
                for line in open(os.path.join(os.path.dirname(base), name)):
                    f = line.split(",")
                    if len(f) >= 2:
                        end = t0 + int(f[0]) / 1000.0
                        w.record("fio-io", end - int(f[1]) / 1e9, end)
        verify = sum(1 for line in errtext.splitlines() if "verify" in line.lower())
        if verify or code == errno.EILSEQ:
            verify_errors += max(verify, 1)
            w.fail("verify", errno.EILSEQ, t1)
        elif code:
            w.fail("io", code, t1)
        elif proc.returncode != 0 and not stopped:
            w.fail("fio", 0, t1, last_error(errtext))
        elif not stopped:
            w.fail("fio", 0, t1, "EXIT")
        if not stopped:
            pause(w, True)
    w.extra.update(runs=runs, verify_errors=verify_errors)


def work_watch(w, out):
    runs = 0
    while not w.stopping():
        runs += 1
        err = "%s.%d.err" % (out, runs)
        with open(err, "w") as f:
            proc = subprocess.Popen(["dmabufctl", "watch", "--interval", "1"],
                                    stdout=subprocess.DEVNULL, stderr=f)
        w.count()
        stopped = wait_child(w, proc)
        if not stopped or proc.returncode != 0:
            text = open(err).read()
            why = last_error(text)
            if why == "EXIT":  # no errno said: its status and last words
                lines = text.strip().splitlines()
                why = "EXIT%d(%s)" % (proc.returncode, lines[-1][-80:] if lines else "")
            w.fail("watch-exit", 0, time.monotonic(), why)
            pause(w, True)
    w.extra["runs"] = runs


def worker_main(o):
    sys.path.insert(0, os.path.join(TOP, "tests", "integration"))
    w = Worker(o.worker, o.state)
    a = o.args
    try:
        if o.worker == "reader":
            import tap
            work_reader(w, a[0], tap.pattern(SMALL, 3))
        elif o.worker == "map":
            work_map(w, a[0])
        elif o.worker == "churn":
            work_churn(w, a[0])
        elif o.worker == "stat":
            work_stat(w, a[0])
        elif o.worker in ("fio-pt", "fio-dp"):
            work_fio(w, a[0], a[1])
        elif o.worker == "watch":
            work_watch(w, a[0])
    finally:
        with open(o.out + ".tmp", "w") as f:
            json.dump(w.result(), f)
        os.rename(o.out + ".tmp", o.out)
    return 0


# ------------------------------------------------------------------ main


class Run:
    def __init__(self, o):
        self.o = o
        self.build = os.path.abspath(o.builddir)
        self.own_dir = o.dir is None
        self.dir = o.dir or tempfile.mkdtemp(prefix="dmabuffs-restart.")
        self.mnt = os.path.join(self.dir, "mnt")
        os.makedirs(self.mnt, exist_ok=True)
        os.environ.update(
            T=self.dir, M=self.mnt, DMABUFFS_MOUNT=self.mnt,
            DMABUFFS_CONTROL=os.path.join(self.dir, "control"),
            HARNESS=os.path.join(TOP, "tests", "helpers", "fdstore-harness.py"),
            PATH=os.pathsep.join([os.path.join(self.build, "src"),
                                  os.path.join(self.build, "tests", "helpers"),
                                  os.environ.get("PATH", "")]))
        sys.path.insert(0, os.path.join(TOP, "tests", "integration"))
        import tap
        self.tap = tap
        self.h, self.argv = tap.fdstore_harness()
        self.pid = None
        self.logs = []
        self.workers = {}

    # -- the daemon

    def start(self, timeout):
        """A start from the store: (pid, READY within timeout?, seconds)."""
        log = os.path.join(self.dir, "daemon.%d.log" % (len(self.logs) + 1))
        self.logs.append(log)
        if len(self.logs) > 3:  # keep the last ones only
            try:
                os.unlink(self.logs[-4])
            except OSError:
                pass
        t0 = time.monotonic()
        self.pid = self.h.start_logged(self.argv, log)
        ready = self.h.wait_ready(self.pid, timeout)
        return ready, time.monotonic() - t0

    def log_tail(self):
        try:
            with open(self.logs[-1]) as f:
                return "".join(f.readlines()[-15:])
        except OSError:
            return ""

    def kill9(self):
        try:
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass  # it had exited, and wait_ready reaped it
        self.h.started.remove(self.pid)
        self.pid = None

    def fds(self):
        """The daemon's fds but pipes and /dev/null: libfuse keeps a splice
        pipe per worker thread (how many threads live at rest varies), and
        opens /dev/null for whichever of fds 0-2 the starter left closed."""
        try:
            d = "/proc/%d/fd" % self.pid
            return sum(1 for f in os.listdir(d)
                       if not os.readlink(os.path.join(d, f)).startswith(("pipe:", "/dev/null")))
        except OSError:
            return None

    def store_size(self):
        """len(h.store) once it stopped changing (the kernel's FORGETs and
        releases reach the daemon after the calls that caused them)."""
        last, same_since, end = None, time.monotonic(), time.monotonic() + 10
        while time.monotonic() < end:
            with self.h.lock:
                n = len(self.h.store)
            if n != last:
                last, same_since = n, time.monotonic()
            elif time.monotonic() - same_since > 0.5:
                break
            time.sleep(0.1)
        return last

    def backing_ids(self):
        """The daemon's dmabuffs_backing_ids, or None when it reports none."""
        try:
            r = subprocess.run(["dmabufctl", "metrics"], capture_output=True, text=True,
                               timeout=120)
        except subprocess.TimeoutExpired:
            return None
        total = None
        for line in r.stdout.splitlines():
            if line.startswith("dmabuffs_backing_ids") and not line.startswith("#"):
                total = (total or 0) + int(float(line.split()[-1]))
        return total

    # -- the workers

    def spawn(self, kind, *args):
        state = os.path.join(self.dir, kind + ".state")
        with open(state, "wb") as f:
            f.write(b"\0" * STATE_SIZE)
        fd = os.open(state, os.O_RDWR)
        mm = mmap.mmap(fd, STATE_SIZE)
        os.close(fd)
        out = os.path.join(self.dir, kind + ".json")
        if os.path.exists(out):
            os.unlink(out)
        argv = [sys.executable, os.path.abspath(__file__), "--worker", kind, "--state", state,
                "--out", out, self.build] + ["--args"] + list(args)
        proc = subprocess.Popen(argv)
        self.workers[kind] = (proc, mm, out)

    def worker_state(self, kind):
        since, calls, _ = struct.unpack(STATE, self.workers[kind][1][:])
        return since, calls

    def stop_workers(self):
        results, hung = {}, {}
        for kind, (proc, mm, out) in self.workers.items():
            mm[STATE_SIZE - 1] = 1
        for kind, (proc, mm, out) in self.workers.items():
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                since, _ = self.worker_state(kind)
                hung[kind] = time.monotonic() - since if since else None
                proc.kill()
                proc.wait()
            try:
                with open(out) as f:
                    results[kind] = json.load(f)
            except (OSError, ValueError):
                results[kind] = {"kind": kind, "calls": 0, "failed": {
                    "DIED(%s)" % proc.returncode: 1}, "buckets": {}, "longest": [0, ""]}
        return results, hung

    def kill_workers(self):
        for proc, _, _ in self.workers.values():
            if proc.poll() is None:
                proc.kill()
                proc.wait()

    # -- the run

    def access(self):
        """Each workload file's user.dmabuf.access (its I/O path)."""
        out = {}
        for name in ("fio-pt", "fio-dp", "reader", "map"):
            try:
                out[name] = os.getxattr(os.path.join(self.mnt, name),
                                        "user.dmabuf.access").decode()
            except OSError as e:
                out[name] = "ERR:" + ename(e.errno)
        return out

    def setup(self, n):
        t0 = time.monotonic()
        block = b"\x5a" * 4096
        for i in range(n):
            if i == n - 100:
                t_last = time.monotonic()
            fd = os.open(os.path.join(self.mnt, "buf%05d" % i),
                         os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            os.write(fd, block)
            os.close(fd)
        fill = time.monotonic() - t0
        # What one more buffer costs with the tree (and the store) full.
        self.last100_ms = (time.monotonic() - t_last) * 10 if n >= 100 else None
        for name, size in (("fio-pt", FILE_MB << 20), ("fio-dp", FILE_MB << 20),
                           ("reader", SMALL), ("map", SMALL)):
            p = os.path.join(self.mnt, name)
            with open(p, "wb") as f:
                f.truncate(size)
        for name in ("fio-dp", "reader"):
            os.setxattr(os.path.join(self.mnt, name), "user.dmabuf.iomem", b"1")
        with open(os.path.join(self.mnt, "reader"), "r+b") as f:
            f.write(self.tap.pattern(SMALL, 3))
        return fill, self.access()

    def run(self):
        o, res = self.o, {}
        rng = random.Random(o.seed)
        ready, secs = self.start(60)
        if not ready:
            raise RuntimeError("the first daemon was not READY:\n" + self.log_tail())
        res["fill_s"], res["access"] = self.setup(o.buffers)
        res["create_last100_ms"] = self.last100_ms
        note("restart-load: %d buffers in %.1f s" % (o.buffers, res["fill_s"]))
        res["buffers"] = o.buffers
        # The files the workloads open, opened once first: a passthrough
        # open registers a backing id for the file's life, so "before"
        # counts the ones the workloads use.
        for f in ("fio-pt", "fio-dp", "reader", "map"):
            try:
                with open(os.path.join(self.mnt, f), "rb") as fp:
                    fp.read(1)
            except OSError:
                pass
        res["fds_before"] = self.fds()
        res["store_before"] = self.store_size()
        res["backing_before"] = self.backing_ids()
        m = self.mnt
        self.spawn("fio-pt", os.path.join(m, "fio-pt"), os.path.join(self.dir, "fio-pt"))
        self.spawn("fio-dp", os.path.join(m, "fio-dp"), os.path.join(self.dir, "fio-dp"))
        self.spawn("reader", os.path.join(m, "reader"))
        self.spawn("map", os.path.join(m, "map"))
        self.spawn("watch", os.path.join(self.dir, "watch"))
        self.spawn("churn", m)
        self.spawn("stat", m)
        # Every workload under way before the first kill.
        end = time.monotonic() + 30
        while time.monotonic() < end and \
                any(self.worker_state(k)[1] == 0 for k in self.workers):
            time.sleep(0.1)
        time.sleep(1.0)
        note("restart-load: the workloads run; the cycles begin")
        kills, readies, not_ready = [], [], []
        for c in range(o.cycles):
            time.sleep(rng.uniform(0.3, 1.5))
            kills.append(time.monotonic())
            self.kill9()
            ready, secs = self.start(60)
            tries = 1
            # Restart=on-failure starts a failed start again.
            while not ready and tries < 3:
                not_ready.append((c, self.log_tail()))
                note("cycle %d: a start was not READY:\n%s" % (c, not_ready[-1][1]))
                self.kill9()  # (if wait_ready has not reaped it already)
                ready, secs2 = self.start(60)
                secs += secs2
                tries += 1
            readies.append((ready, secs, tries))
            if not ready:
                note("cycle %d: no start was READY; stopping the cycles" % c)
                self.kill9()
                break
        time.sleep(1.0)  # the last daemon under load too
        t_end = time.monotonic()
        note("restart-load: %d cycles in %.1f s; stopping the workloads"
             % (len(kills), t_end - kills[0] if kills else 0))
        results, hung = self.stop_workers()
        note("restart-load: stopped in %.1f s" % (time.monotonic() - t_end))
        res["access_after"] = self.access()
        res["fds_after"] = self.fds()
        res["store_after"] = self.store_size()
        res["backing_after"] = self.backing_ids()
        res["stop_exit"] = self.h.stop(self.pid) if self.pid else None
        self.pid = None
        res.update(self.figures(kills, t_end, readies, not_ready, results, hung))
        return res

    def figures(self, kills, t_end, readies, not_ready, results, hung):
        bounds = kills + [t_end]
        per_cycle = [0.0] * len(kills)
        for r in results.values():
            for b, d in r.get("buckets", {}).items():
                t = int(b) / BUCKET
                for i in range(len(kills)):
                    if bounds[i] <= t < bounds[i + 1]:
                        per_cycle[i] = max(per_cycle[i], d)
                        break
        longest = max(([r.get("longest", [0, ""])[0], k + " " + r.get("longest", [0, ""])[1]]
                       for k, r in results.items()), default=[0, ""])
        for k, s in hung.items():
            if s is not None and s > longest[0]:
                longest = [s, k + " (hung at the stop)"]
        failed, enotconn, by_errno = 0, 0, {}
        for r in results.values():
            for e, n in r.get("failed", {}).items():
                if e == "EILSEQ" and r["kind"].startswith("fio"):
                    continue  # verify errors, counted apart
                failed += n
                by_errno[e] = by_errno.get(e, 0) + n
                if e == "ENOTCONN":
                    enotconn += n
        return {
            "cycles": len(kills),
            "ready": sum(1 for r in readies if r[0] and r[2] == 1),
            "not_ready": [{"cycle": c, "log": t} for c, t in not_ready],
            "restart_s": [r[1] for r in readies],
            "failed": failed, "enotconn": enotconn, "by_errno": by_errno,
            "verify_errors": sum(r.get("verify_errors", 0) for r in results.values()),
            "reader_mismatches": results.get("reader", {}).get("mismatches"),
            "map_mismatches": results.get("map", {}).get("mismatches"),
            "map_same_as_file": results.get("map", {}).get("same_as_file"),
            "stall_max_ms": longest[0] * 1000, "stall_max_op": longest[1].strip(),
            "stall_median_ms": statistics.median(per_cycle) * 1000 if per_cycle else None,
            "stall_cycles_ms": [round(x * 1000, 1) for x in per_cycle],
            "hung": hung,
            "workloads": {k: {"calls": r.get("calls"), "failed": r.get("failed"),
                              "by_op": r.get("by_op"), "first": r.get("first"),
                              "longest_ms": r.get("longest", [0, ""])[0] * 1000,
                              "longest_op": r.get("longest", [0, ""])[1],
                              **{x: r[x] for x in ("runs", "verify_errors", "mismatches",
                                                   "same_as_file", "files") if x in r}}
                          for k, r in results.items()},
        }

    def cleanup(self):
        self.kill_workers()
        self.h.kill_all()
        with open("/proc/self/mounts") as f:
            if any(line.split()[1] == self.mnt for line in f):
                subprocess.run(["umount", "-l", self.mnt], stderr=subprocess.DEVNULL)
        if self.own_dir:
            subprocess.run(["rm", "-rf", "--one-file-system", self.dir])


def fmt_ids(a, b):
    return "n/a" if a is None and b is None else "%s->%s" % (a, b)


def report(r):
    tag = "restart kill9 host"
    rs = sorted(r["restart_s"])
    print("\nkill -9 cycles under load: %d buffers of 4 KiB (backend=memfd), fio verify "
          "(passthrough %s, daemon path %s), reader, mapping, watch, churn, stat/readdir"
          % (r["buffers"], r["access"].get("fio-pt"), r["access"].get("fio-dp")))
    print("%s  fill %d buffers %.1f s  create+write+close of the last 100: %s ms each"
          % (tag, r["buffers"], r["fill_s"], "n/a" if r["create_last100_ms"] is None
             else "%.1f" % r["create_last100_ms"]))
    print("%s  cycles %d  ready %d/%d  restart-to-READY median %.0f ms max %.0f ms"
          % (tag, r["cycles"], r["ready"], r["cycles"],
             statistics.median(rs) * 1000 if rs else 0, max(rs, default=0) * 1000))
    for n in r["not_ready"][:3]:
        last = n["log"].strip().splitlines()[-1:] or ["(empty log)"]
        print("%s  cycle %d: a start was not READY: %s" % (tag, n["cycle"], last[0]))
    print("%s  failed %d (ENOTCONN %d)%s" % (
        tag, r["failed"], r["enotconn"],
        "  " + " ".join("%s %d" % kv for kv in sorted(r["by_errno"].items()))
        if r["by_errno"] else ""))
    print("%s  verify-errors %d  reader-mismatches %s  map-mismatches %s  map-is-file %s"
          % (tag, r["verify_errors"], r["reader_mismatches"], r["map_mismatches"],
             r["map_same_as_file"]))
    med = r["stall_median_ms"]
    print("%s  stall max %.0f ms (%s)  median %s ms (goal: under 500 ms)"
          % (tag, r["stall_max_ms"], r["stall_max_op"],
             "n/a" if med is None else "%.0f" % med))
    print("%s  fds %s->%s  store %s->%s  backing-ids %s"
          % (tag, r["fds_before"], r["fds_after"], r["store_before"], r["store_after"],
             fmt_ids(r["backing_before"], r["backing_after"])))
    for k, w in sorted(r["workloads"].items()):
        fails = " ".join("%s %d" % kv for kv in sorted((w.get("failed") or {}).items()))
        print("restart workload %-7s calls %-8s failed %-24s longest %.0f ms (%s)"
              % (k, w.get("calls"), fails or "0", w["longest_ms"], w["longest_op"] or "-"))
    for k, s in r["hung"].items():
        print("restart workload %-7s HUNG at the stop%s" %
              (k, "" if s is None else ", in a call for %.1f s" % s))
    print("BENCH name=restart_kill9_failed value=%d unit=calls enotconn=%d cycles=%d"
          % (r["failed"], r["enotconn"], r["cycles"]))
    print("BENCH name=restart_kill9_verify_errors value=%d unit=errors" % r["verify_errors"])
    print("BENCH name=restart_kill9_stall_max value=%.1f unit=ms median=%s target=500"
          % (r["stall_max_ms"], "na" if med is None else "%.1f" % med))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("builddir")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--cycles", type=int)
    ap.add_argument("--buffers", type=int)
    ap.add_argument("--dir")
    ap.add_argument("--seed", type=int)
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    ap.add_argument("--state", help=argparse.SUPPRESS)
    ap.add_argument("--out", help=argparse.SUPPRESS)
    ap.add_argument("--args", nargs="*", default=[], help=argparse.SUPPRESS)
    o = ap.parse_args()
    if o.worker:
        return worker_main(o)
    o.cycles = o.cycles or 50
    o.buffers = o.buffers if o.buffers is not None else 1000 if o.quick else 10000
    if o.seed is None:
        o.seed = random.randrange(1 << 30)
    if os.geteuid() != 0:
        note("restart-load: needs root (a FUSE mount); skipped")
        return 0
    for tool in ("fio",):
        if not subprocess.run(["sh", "-c", "command -v " + tool],
                              capture_output=True).stdout:
            note("restart-load: no %s (./dev test_deps installs it); skipped" % tool)
            return 0
    # The store is kept in this process (one fd per buffer), and the daemon
    # inherits the limit: examples/dmabuffs.service's LimitNOFILE=65536
    # where this process may raise its hard limit, else the hard limit.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (max(hard, 65536), max(hard, 65536)))
    except (ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    if resource.getrlimit(resource.RLIMIT_NOFILE)[0] < o.buffers + 1024:
        note("restart-load: RLIMIT_NOFILE %d is too low for %d buffers"
             % (resource.getrlimit(resource.RLIMIT_NOFILE)[0], o.buffers))
        return 1
    note("restart-load: %d buffers, %d kill -9 cycles, seed %d" % (o.buffers, o.cycles,
                                                                    o.seed))
    run = Run(o)
    try:
        r = run.run()
    except BaseException:
        run.own_dir = False
        note("restart-load: the run failed; its logs are in " + run.dir)
        raise
    finally:
        run.cleanup()
    r["seed"] = o.seed
    report(r)
    if o.json:
        print(json.dumps(r, sort_keys=True))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except RuntimeError as e:
        note("restart-load: %s" % e)
        sys.exit(1)
