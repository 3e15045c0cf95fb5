# SPDX-License-Identifier: LGPL-2.1-or-later
"""The attack of a control socket client whose refused fds block their
close: a loopback TCP socket with unsent data queued, SO_LINGER of an hour
and a peer that never reads, published as the "buffer" fd. The sender
closes its own copy while the daemon holds the fd, so the daemon's
close() is the last one and blocks for the linger time (when the daemon
was quicker, the sender's close is the one that waits: it tries again).

    linger-attacker.py N_FILLER

Publishes two such sockets, then N_FILLER messages of 8 fds each (copies
of one pipe end: what a single closer thread queued behind the stuck
close, 16,384 of them filled its pipe), then a third such socket. Prints
one JSON line with what the daemon answered, then keeps the peers (the
listening socket) until stdin closes.
"""
import fcntl
import json
import os
import socket
import struct
import sys
import termios
import threading
import time

from tap import OP_PUBLISH, ctl_connect, ctl_raw, encode_request, status_name


def lingering():
    """A connected socket whose peer's window and own send buffer are full:
    what it holds cannot be sent until the peer reads, which it never does
    (the peer is never even accepted). Returns (listener, socket, bytes
    still in its send queue)."""
    lsn = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    lsn.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # inherited by the peer
    lsn.bind(("127.0.0.1", 0))
    lsn.listen(1)
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
    s.connect(lsn.getsockname())
    s.setblocking(False)
    again = 0
    while again < 4:  # full for 200 ms: the window is closed
        try:
            s.send(b"x" * 65536)
            again = 0
        except BlockingIOError:
            again += 1
            time.sleep(0.05)
    s.setblocking(True)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 3600))
    outq = struct.unpack("i", fcntl.ioctl(s, termios.TIOCOUTQ, b"\0" * 4))[0]
    return lsn, s, outq


def publish_and_drop(sock, s, name):
    """Send s, close our copy while the daemon has it, then read the reply.
    Whoever closes last waits: when that is us (the daemon was quicker),
    our close is left to wait on a thread of ours and the caller tries
    again with a new socket (False)."""
    socket.send_fds(sock, [encode_request(OP_PUBLISH, name)], [s.fileno()])
    fd = s.detach()
    t = threading.Thread(target=os.close, args=(fd,), daemon=True)
    t.start()
    t.join(0.5)
    data, fds, _, _ = socket.recv_fds(sock, 4096, 4)
    for f in fds:
        os.close(f)
    st = "NO-REPLY" if len(data) < 8 else status_name(struct.unpack_from("=Ii", data)[1])
    return st, not t.is_alive()


def attack(name):
    """A lingering socket whose last close is the daemon's: the reply."""
    for _ in range(10):
        lsn, s, outq = lingering()
        peers.append(lsn)
        out["outq_" + name] = outq
        try:
            st, daemon_last = publish_and_drop(ctl_connect(timeout=5.0), s, "linger-" + name)
        except OSError as e:
            return "ERR " + (os.strerror(e.errno) if e.errno else str(e))
        out["tries_" + name] = out.get("tries_" + name, 0) + 1
        if daemon_last:
            return st
    return "our close was the last one 10 times"


out = {"filler_sent": 0, "filler_status": None}
peers = []
out["first"] = attack("first")
out["second"] = attack("second")

rd, wr = os.pipe()
try:
    c = ctl_connect(timeout=5.0)
    for i in range(int(sys.argv[1])):
        socket.send_fds(c, [encode_request(OP_PUBLISH, "f%d" % i)], [rd] * 8)
        out["filler_sent"] += 1
    out["filler_status"] = "all sent"
except OSError as e:
    out["filler_status"] = "stopped: " + (os.strerror(e.errno) if e.errno else str(e))
os.close(rd)
os.close(wr)

out["third"] = attack("third")
# Once over its share of fds waiting for a close, a fresh connection of
# this uid is refused.
try:
    st, msg, _ = ctl_raw(ctl_connect(timeout=5.0), encode_request(OP_PUBLISH, "late"), ())
    out["late"] = status_name(st)
except OSError as e:
    out["late"] = "ERR " + (os.strerror(e.errno) if e.errno else str(e))
print(json.dumps(out), flush=True)
sys.stdin.read()
