#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""tests/bench/peers.py BUILDDIR [--size MIB] [--reps N] [--runtime S]

dmabuffs beside its peers, measured in one run with fio on the same rows
(issue 8): the kernel's own file (a tmpfs file), libfuse's own
example/passthrough_hp over that same tmpfs file with and without
passthrough and over io_uring, and a dmabuffs buffer file (memfd backend)
as the daemon serves it by default, on the daemon path and over io_uring.

Columns the host or the daemon cannot give are printed "n/a (why)": a
dmabuffs passthrough buffer is one whose user.dmabuf.access xattr says
"passthrough"; io_uring is a column when the mount with -o io_uring comes
up and its daemon holds an io_uring (the fuse module's enable_uring is set
for the run when we are root, and restored after).

Each figure is measured --reps times, the columns interleaved; the table
shows the median and min-max. Each target ratio is taken per repetition
(A of repetition i over B of repetition i) and shown as min-max. Targets
are reported, never asserted: the exit status is 0 unless the benchmark
could not run.
"""

import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

URING_PARAM = "/sys/module/fuse/parameters/enable_uring"

# name, label, unit, fio arguments. GB/s rows are one pass over the file
# (fio drops the file's cached pages first: cold); ops/s rows run for
# --runtime seconds.
ROWS = [
    ("read-1m", "1 MiB sequential read", "GB/s", ["--rw=read", "--bs=1M"]),
    ("write-1m", "1 MiB sequential write", "GB/s",
     ["--rw=write", "--bs=1M", "--end_fsync=1"]),
    ("mmap-read", "cold mmap read", "GB/s",
     ["--rw=read", "--bs=1M", "--ioengine=mmap"]),
    ("rand-4k-1", "random 4 KiB pread, 1 thread", "kops/s",
     ["--rw=randread", "--bs=4k", "--numjobs=1", "TIMED"]),
    ("rand-4k-2", "random 4 KiB pread, 2 threads", "kops/s",
     ["--rw=randread", "--bs=4k", "--numjobs=2", "TIMED"]),
    ("direct-rand-4k-2", "O_DIRECT random 4 KiB pread, 2 threads", "kops/s",
     ["--rw=randread", "--bs=4k", "--numjobs=2", "--direct=1", "TIMED"]),
    ("direct-read-1m", "O_DIRECT 1 MiB read", "GB/s",
     ["--rw=read", "--bs=1M", "--direct=1"]),
]

COLUMNS = [
    ("tmpfs", "tmpfs"),
    ("hp-pt", "passthrough_hp passthrough"),
    ("hp-fuse", "passthrough_hp no passthrough"),
    ("hp-uring", "passthrough_hp io_uring"),
    ("dfs-pt", "dmabuffs passthrough buffer"),
    ("dfs-fuse", "dmabuffs daemon path"),
    ("dfs-uring", "dmabuffs daemon path io_uring"),
]

# (a, b, rows, at least): a / b per repetition.
SEQ = ["read-1m", "write-1m", "mmap-read"]
TARGETS = [
    ("dfs-pt", "tmpfs", SEQ, 0.9),
    ("dfs-pt", "tmpfs", ["rand-4k-1", "rand-4k-2"], 0.8),
    ("dfs-pt", "hp-pt", None, 1.0),
    ("dfs-fuse", "hp-fuse", None, 1.0),
    ("dfs-uring", "hp-uring", None, 1.0),
    ("dfs-uring", "dfs-fuse", ["direct-rand-4k-2", "direct-read-1m"], 1.8),
]

NA_DAEMON = "n/a (not supported by this daemon)"


def note(msg):
    print("# " + msg, file=sys.stderr, flush=True)


def is_mounted(path):
    return subprocess.run(["mountpoint", "-q", path]).returncode == 0


def has_io_uring(pid):
    try:
        for fd in os.listdir(f"/proc/{pid}/fd"):
            try:
                if os.readlink(f"/proc/{pid}/fd/{fd}") == "anon_inode:[io_uring]":
                    return True
            except OSError:
                pass
    except OSError:
        pass
    return False


class Mount:
    """A FUSE daemon of ours on a mount point of ours."""

    def __init__(self, argv, mnt, log):
        self.mnt = mnt
        self.log = log
        self.proc = subprocess.Popen(argv, stdout=open(log, "w"),
                                     stderr=subprocess.STDOUT)
        t0 = time.monotonic()
        while not is_mounted(mnt):
            if self.proc.poll() is not None or time.monotonic() - t0 > 10:
                self.stop()
                raise RuntimeError(f"{argv[0]} did not mount {mnt}: "
                                   + open(log).read().strip()[-400:])
            time.sleep(0.05)
        # io_uring queues are set up once INIT is answered: the first
        # access waits for it.
        os.stat(mnt)

    def uring(self):
        t0 = time.monotonic()
        while time.monotonic() - t0 < 2:
            if has_io_uring(self.proc.pid):
                return True
            time.sleep(0.05)
        return False

    def stop(self):
        if self.proc.poll() is None:
            subprocess.run(["fusermount3", "-u", "-z", self.mnt],
                           stderr=subprocess.DEVNULL)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.send_signal(signal.SIGKILL)
                self.proc.wait()
        if is_mounted(self.mnt):
            subprocess.run(["umount", "-l", self.mnt], stderr=subprocess.DEVNULL)


def fio(path, size, args, runtime):
    argv = ["fio", "--name=bench", f"--filename={path}", f"--size={size}",
            "--ioengine=psync", "--thread", "--group_reporting",
            "--output-format=json", "--invalidate=1"]
    for a in args:
        if a == "TIMED":
            argv += ["--time_based", f"--runtime={runtime}"]
        elif a.startswith("--ioengine="):
            argv[argv.index("--ioengine=psync")] = a
        else:
            argv.append(a)
    r = subprocess.run(argv, capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(" ".join(argv) + ": " + (r.stderr or r.stdout).strip()[-300:])
    job = json.loads(r.stdout[r.stdout.index("{"):])["jobs"][0]
    side = job["write"] if "--rw=write" in args else job["read"]
    return side["bw_bytes"] / 1e9, side["iops"] / 1e3


def num(x):
    return f"{x:.0f}" if x >= 100 else f"{x:.1f}" if x >= 10 else f"{x:.2f}"


def fmt(vals):
    if not vals:
        return "-"
    return f"{num(statistics.median(vals))} ({num(min(vals))}-{num(max(vals))})"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("builddir")
    ap.add_argument("--size", type=int, default=256, help="file size in MiB")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--runtime", type=float, default=1.0,
                    help="seconds of each random-read figure")
    o = ap.parse_args()
    build = os.path.abspath(o.builddir)
    size = o.size << 20
    if os.geteuid() != 0:
        note("peers: not root: cannot mount tmpfs and FUSE peers; skipped")
        return 0
    if not shutil.which("fio"):
        note("peers: fio not found; skipped")
        return 0

    tmp = tempfile.mkdtemp(prefix="dmabuffs-peers.")
    mounts, na, paths = [], {}, {}
    uring_old = None
    tmpfs = os.path.join(tmp, "tmpfs")
    os.mkdir(tmpfs)
    try:
        subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={2 * size}", "tmpfs",
                        tmpfs], check=True)
        paths["tmpfs"] = os.path.join(tmpfs, "file")
        with open(paths["tmpfs"], "wb") as f:
            for _ in range(o.size):
                f.write(os.urandom(1 << 20))

        if os.path.exists(URING_PARAM):
            uring_old = open(URING_PARAM).read().strip()
            if uring_old != "Y":
                try:
                    with open(URING_PARAM, "w") as f:
                        f.write("Y")
                    note(f"peers: {URING_PARAM} set to Y for the run (was {uring_old})")
                except OSError as e:
                    note(f"peers: cannot set {URING_PARAM}: {e}")
                    uring_old = None

        def start(col, argv, mnt, uring=False):
            os.mkdir(mnt)
            try:
                m = Mount(argv, mnt, os.path.join(tmp, col + ".log"))
            except RuntimeError as e:
                note(f"peers: {col}: {e}")
                return None
            mounts.append(m)
            if uring and not m.uring():
                note(f"peers: {col}: mounted, but the daemon holds no io_uring "
                     "(the kernel or libfuse refused it)")
                return None
            return m

        # libfuse's own example, built on demand in the libfuse tree ./dev made.
        lfb = os.path.join(build, "libfuse", "build")
        hp = os.path.join(lfb, "example", "passthrough_hp")
        why_hp = None
        if os.path.exists(os.path.join(lfb, "build.ninja")):
            r = subprocess.run(["ninja", "-C", lfb, "example/passthrough_hp"],
                               capture_output=True, text=True)
            if r.returncode != 0:
                why_hp = "n/a (example/passthrough_hp did not build)"
                note("peers: " + r.stdout[-600:])
        else:
            why_hp = "n/a (system libfuse: no libfuse tree to build passthrough_hp in)"
        for col, extra, uring in (("hp-pt", [], False),
                                  ("hp-fuse", ["--nopassthrough"], False),
                                  ("hp-uring", ["--nopassthrough", "-o", "io_uring"], True)):
            if why_hp:
                na[col] = why_hp
                continue
            mnt = os.path.join(tmp, col)
            if start(col, [hp, "--foreground"] + extra + [tmpfs, mnt], mnt, uring):
                paths[col] = os.path.join(mnt, "file")
            else:
                na[col] = "n/a (did not mount)" if not uring else \
                    "n/a (no FUSE over io_uring on this host)"

        daemon = os.path.join(build, "src", "dmabuffs")

        def dmabuffs(col, opts, uring=False):
            mnt = os.path.join(tmp, col)
            ctl = os.path.join(tmp, col + ".control")
            o_ = ",".join(["backend=memfd", "control=" + ctl] + opts)
            if not start(col, [daemon, "-f", "-o", o_, mnt], mnt, uring):
                return None
            p = os.path.join(mnt, "file")
            with open(paths["tmpfs"], "rb") as s, open(p, "wb") as d:
                os.ftruncate(d.fileno(), size)
                shutil.copyfileobj(s, d, 1 << 20)
            try:
                acc = os.getxattr(p, "user.dmabuf.access").decode()
            except OSError:
                acc = None
            return p, acc

        d = dmabuffs("dfs-default", [])
        if not d:
            raise RuntimeError("dmabuffs did not mount")
        if d[1] == "passthrough":
            paths["dfs-pt"] = d[0]
            d2 = dmabuffs("dfs-fuse", ["passthrough=never"])
            if d2:
                paths["dfs-fuse"] = d2[0]
            else:
                na["dfs-fuse"] = NA_DAEMON
            never = ["passthrough=never"]
        else:
            note(f"peers: user.dmabuf.access of a default buffer: {d[1]}: "
                 "no passthrough buffer")
            na["dfs-pt"] = NA_DAEMON
            paths["dfs-fuse"] = d[0]
            never = []
        d3 = dmabuffs("dfs-uring", never + ["io_uring"], uring=True)
        if d3:
            paths["dfs-uring"] = d3[0]
        else:
            na["dfs-uring"] = NA_DAEMON

        # Measure: repetitions outermost, so every column sees the same
        # machine state in each repetition.
        res = {(c, r[0]): [] for c, _ in COLUMNS for r in ROWS}
        for rep in range(o.reps):
            for name, _, unit, args in ROWS:
                for col, _ in COLUMNS:
                    if col not in paths:
                        continue
                    try:
                        gbs, kops = fio(paths[col], size, args, o.runtime)
                    except (RuntimeError, ValueError) as e:
                        note(f"peers: {col} {name}: {e}")
                        continue
                    res[(col, name)].append(gbs if unit == "GB/s" else kops)
            note(f"peers: repetition {rep + 1}/{o.reps} done")
    finally:
        for m in reversed(mounts):
            m.stop()
        if is_mounted(tmpfs):
            subprocess.run(["umount", tmpfs])
        if uring_old is not None and uring_old != "Y":
            with open(URING_PARAM, "w") as f:
                f.write(uring_old)
            note(f"peers: {URING_PARAM} restored to {uring_old}")
        shutil.rmtree(tmp, ignore_errors=True)

    print(f"\nPeers: one {o.size} MiB file, fio, {o.reps} repetitions, "
          "median (min-max)")
    for col, label in COLUMNS:
        if col in na:
            print(f"  {label}: {na[col]}")
    shown = [c for c, _ in COLUMNS if c not in na]
    print("  columns: " + "; ".join(f"{c} = {l}" for c, l in COLUMNS if c in shown))
    w = 40
    print(f"{'':{w}}" + "".join(f"{c:>20}" for c in shown))
    for name, label, unit, _ in ROWS:
        print(f"{label + ' (' + unit + ')':{w}}" +
              "".join(f"{fmt(res[(c, name)]):>20}" for c in shown))
        for c in shown:
            v = res[(c, name)]
            if v:
                print(f"BENCH name=peer-{c}-{name} value={statistics.median(v):.3f} "
                      f"unit={unit} min={min(v):.3f} max={max(v):.3f}", file=sys.stderr)

    print("\nTargets (ratio per repetition, min-max):")
    labels = dict(COLUMNS)
    for a, b, rows, at_least in TARGETS:
        for name, label, _, _ in ROWS:
            if rows is not None and name not in rows:
                continue
            head = f"  {a} / {b}, {label} >= {at_least}x:"
            if a in na or b in na:
                if name == (rows or [ROWS[0][0]])[0]:
                    print(f"  {labels[a]} / {labels[b]} >= {at_least}x "
                          f"({len(rows or ROWS)} rows): {na.get(a) or na.get(b)}")
                continue
            ra, rb = res[(a, name)], res[(b, name)]
            rat = [x / y for x, y in zip(ra, rb) if y > 0]
            if not rat:
                print(f"{head} no figures")
                continue
            status = "pass" if min(rat) >= at_least else \
                "miss" if max(rat) < at_least else "mixed"
            print(f"{head} {min(rat):.2f}-{max(rat):.2f}x {status}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except RuntimeError as e:
        note(f"peers: {e}")
        sys.exit(1)
