# SPDX-License-Identifier: LGPL-2.1-or-later
"""A stand-in for systemd's side of sd_notify(3) and sd_listen_fds(3).

What the daemon sees of a service manager, written from the documented
protocol (not from the daemon's code): $NOTIFY_SOCKET names an AF_UNIX
datagram socket; each datagram is newline-separated VAR=VALUE lines, with
fds attached as SCM_RIGHTS. FDSTORE=1 adds the attached fds to the store
under FDNAME= (default "stored"); FDSTOREREMOVE=1 with FDNAME= drops every
fd of that name. At the next start the store is handed over as fds 3..,
with LISTEN_FDS=N, LISTEN_FDNAMES=a:b:... and LISTEN_PID=<the new pid>.

    h = Harness(path)              # bind the notify socket
    pid = h.start(argv, env)       # fork+exec with NOTIFY_SOCKET and the store
    h.wait_ready(pid, timeout)     # pump messages until READY=1
    h.pump(timeout)                # read what is queued
    h.store                        # [(name, fd)], in the order received
    pid = h.start_logged(argv, log) # h.start with stdout and stderr to log
    h.wait_exit(pid, sig, timeout) # (send sig,) pump until it exits: its
                                   # exit code, or "TIMEOUT" (then killed)
    h.stop(pid)                    # SIGTERM, wait: exit code or "TIMEOUT"
    h.kill_all()                   # SIGKILL and reap whatever start() made
    h.pump_in_background()         # a thread reads the socket from now on,
                                   # as a service manager does (the daemon
                                   # stores fds at every change; a full
                                   # socket would block it)
"""

import array
import fcntl
import os
import select
import signal
import socket
import threading
import time


def place_fds(fds):
    """Put fds[i] on fd 3 + i, every other fd from 3 + len(fds) up closed.
    In place, with one spare fd per cycle of moves: a copy of every fd
    above the others first would need twice the store in fds, past
    RLIMIT_NOFILE with 10,000 buffers (tests/bench/restart-load.py)."""
    n = len(fds)
    src = {3 + i: fd for i, fd in enumerate(fds) if fd != 3 + i}  # target -> fd
    users = {}  # fd -> the targets that still need it
    for dst, fd in src.items():
        users.setdefault(fd, set()).add(dst)
    spares = []
    ready = [dst for dst in src if dst not in users]
    while src:
        if not ready:
            # Every target left holds an fd still needed (cycles): that
            # fd moves to a spare, which frees its place.
            dst = next(iter(src))
            spare = fcntl.fcntl(dst, fcntl.F_DUPFD, 3 + n)
            spares.append(spare)
            users[spare] = users.pop(dst)
            for d in users[spare]:
                src[d] = spare
            ready.append(dst)
            continue
        dst = ready.pop()
        if dst not in src:
            continue
        fd = src.pop(dst)
        os.dup2(fd, dst, inheritable=True)
        left = users.get(fd)
        left.discard(dst)
        if not left:
            del users[fd]
            if fd in src:
                ready.append(fd)
    os.closerange(3 + n, max([3 + n] + list(fds) + spares) + 1)


class Harness:
    def __init__(self, path):
        self.path = path
        if os.path.exists(path):
            os.unlink(path)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(path)
        self.store = []
        self.ready = False
        self.messages = []
        self.lock = threading.RLock()
        self.thread = None
        self.started = []

    def _one(self):
        with self.lock:
            return self._one_locked()

    def _one_locked(self):
        fds = array.array("i")
        try:
            msg, anc, _flags, _addr = self.sock.recvmsg(
                4096, socket.CMSG_SPACE(253 * fds.itemsize), socket.MSG_DONTWAIT)
        except BlockingIOError:
            return {}
        for level, kind, data in anc:
            if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                fds.frombytes(data[:len(data) - (len(data) % fds.itemsize)])
        fields = {}
        for line in msg.decode("utf-8", "replace").split("\n"):
            if "=" in line:
                k, v = line.split("=", 1)
                fields[k] = v
        self.messages.append(fields)
        if fields.get("READY") == "1":
            self.ready = True
        name = fields.get("FDNAME", "stored")
        if fields.get("FDSTORE") == "1":
            for fd in fds:
                self.store.append((name, fd))
        else:
            for fd in fds:
                os.close(fd)
        if fields.get("FDSTOREREMOVE") == "1":
            for n, fd in [e for e in self.store if e[0] == name]:
                os.close(fd)
            self.store = [e for e in self.store if e[0] != name]
        return fields

    def pump_in_background(self):
        def loop():
            while True:
                select.select([self.sock], [], [], 0.2)
                self._one()
        self.thread = threading.Thread(target=loop, daemon=True)
        self.thread.start()

    def names(self):
        with self.lock:
            return sorted(n for n, _ in self.store)

    def pump(self, timeout=0.0):
        """Read every message that arrives within timeout seconds."""
        if self.thread:
            time.sleep(timeout)
            return
        end = time.monotonic() + timeout
        while True:
            left = max(0.0, end - time.monotonic())
            r, _, _ = select.select([self.sock], [], [], left)
            if not r:
                return
            self._one()

    def wait_ready(self, pid, timeout=10.0):
        end = time.monotonic() + timeout
        while not self.ready and time.monotonic() < end:
            if os.waitpid(pid, os.WNOHANG) != (0, 0):
                return False
            self.pump(0.1)
        return self.ready

    def start(self, argv, env=None):
        """fork+exec argv with the store passed as LISTEN_FDS."""
        self.ready = False
        env = dict(os.environ if env is None else env)
        env["NOTIFY_SOCKET"] = self.path
        for k in ("LISTEN_FDS", "LISTEN_FDNAMES", "LISTEN_PID"):
            env.pop(k, None)
        with self.lock:
            store = list(self.store)
            pid = os.fork()
        if pid:
            self.started.append(pid)
            return pid
        try:
            place_fds([fd for _, fd in store])
            if store:
                env["LISTEN_FDS"] = str(len(store))
                env["LISTEN_FDNAMES"] = ":".join(n for n, _ in store)
                env["LISTEN_PID"] = str(os.getpid())
            os.execvpe(argv[0], argv, env)
        finally:
            os._exit(127)

    def start_logged(self, argv, path, env=None):
        """start() with the daemon's stdout and stderr going to path."""
        with open(path, "w") as log:
            saved = os.dup(1), os.dup(2)
            os.dup2(log.fileno(), 1)
            os.dup2(log.fileno(), 2)
            try:
                return self.start(argv, env)
            finally:
                os.dup2(saved[0], 1)
                os.dup2(saved[1], 2)
                os.close(saved[0])
                os.close(saved[1])

    def wait_exit(self, pid, sig=None, timeout=10.0):
        """Send sig (if any), pump until pid exits: its exit code, or
        "TIMEOUT" (it is then killed)."""
        if sig:
            os.kill(pid, sig)
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            self.pump(0.05)
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                self.pump(0.2)
                return os.waitstatus_to_exitcode(status)
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        return "TIMEOUT"

    def stop(self, pid, sig=signal.SIGTERM, timeout=10.0):
        """Send sig, wait for the exit: its exit code, or "TIMEOUT"."""
        return self.wait_exit(pid, sig, timeout)

    def kill_all(self):
        for pid in self.started:
            try:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
            except OSError:
                pass
