"""TAP helpers for the python3 parts of the integration tests.

Shares the test counter with lib.sh through the file named by $TAP_COUNTER,
so lines printed here and by the shell form one numbered sequence.

Also an independent client of the control socket (wire format of
src/lib/proto.h, written again here on purpose: the tests must not trust
the code they check), and small helpers for memfds and dma-buf ioctls.
"""

import array
import errno
import json
import mmap
import os
import socket
import struct
import sys

M = os.environ.get("M", "")
T = os.environ.get("T", "")
PAGE = mmap.PAGESIZE

# ------------------------------------------------------------------ TAP


def _next():
    path = os.environ["TAP_COUNTER"]
    with open(path) as f:
        n = int(f.read().strip() or 0) + 1
    with open(path, "w") as f:
        f.write("%d\n" % n)
    return n


def diag(msg):
    for line in str(msg).splitlines() or [""]:
        sys.stdout.write("# %s\n" % line)
    sys.stdout.flush()


def ok(cond, desc, why=None):
    n = _next()
    sys.stdout.write("%s %d - %s\n" % ("ok" if cond else "not ok", n, desc))
    if not cond and why is not None:
        diag(why)
    sys.stdout.flush()
    return bool(cond)


def is_(got, expected, desc):
    return ok(got == expected, desc,
              "expected: %r\n     got: %r" % (expected, got))


def ename(e):
    # ENOTSUP and EOPNOTSUPP are one value on Linux; python calls it ENOTSUP,
    # strerrorname_np() and HACKING.md say EOPNOTSUPP on the socket.
    return errno.errorcode.get(e, str(e))


def same_errno(a, b):
    alias = {"ENOTSUP": "EOPNOTSUPP"}
    return alias.get(a, a) == alias.get(b, b)


def is_errno(got, want, desc):
    return ok(same_errno(got, want), desc, "expected %s, got %s" % (want, got))


def errno_of(fn, *args, **kw):
    """'OK' (and the result in .last) or the errno name fn raised."""
    try:
        errno_of.last = fn(*args, **kw)
        return "OK"
    except OSError as e:
        return ename(e.errno)


def expect_errno(want, desc, fn, *args, **kw):
    """Pass when fn(*args) raises OSError with errno `want` (a name such as
    'EPERM'), or returns normally when want is 'OK'."""
    return is_errno(errno_of(fn, *args, **kw), want, desc)


def check(desc, fn, *args, **kw):
    """Pass when fn(*args) returns a true value without raising."""
    try:
        r = fn(*args, **kw)
    except Exception as e:  # noqa: BLE001 - report anything
        return ok(False, desc, "raised %s: %s" % (type(e).__name__, e))
    return ok(bool(r), desc, "returned %r" % (r,))


# ------------------------------------------------------------------ files


def pattern(n, seed=0):
    """n bytes that differ at every offset for a long time (not zeros)."""
    return bytes(((i * 131 + seed * 7 + (i >> 8)) & 0xFF) ^ 0x5A
                 for i in range(n))


def read_file(path, off=0, n=-1):
    fd = os.open(path, os.O_RDONLY)
    try:
        if n < 0:
            n = os.fstat(fd).st_size - off
        return pread_all(fd, n, off)
    finally:
        os.close(fd)


def pread_all(fd, n, off):
    out = b""
    while len(out) < n:
        b = os.pread(fd, n - len(out), off + len(out))
        if not b:
            break
        out += b
    return out


def memfd(size, data=None, name="itest"):
    fd = os.memfd_create(name, os.MFD_CLOEXEC | os.MFD_ALLOW_SEALING)
    os.ftruncate(fd, size)
    if data:
        os.pwrite(fd, data, 0)
    return fd


def fd_content(fd, n=None):
    """Content behind an fd the way dma-buf users see it: through mmap (a
    real dma-buf has no read path), falling back to pread."""
    if n is None:
        n = os.fstat(fd).st_size
    if n == 0:
        return b""
    try:
        with mmap.mmap(fd, n, mmap.MAP_SHARED, mmap.PROT_READ) as mm:
            return bytes(mm[:n])
    except OSError:
        return pread_all(fd, n, 0)


# DMA_BUF_IOCTL_SYNC = _IOW('b', 0, struct dma_buf_sync { __u64 flags; })
DMA_BUF_IOCTL_SYNC = 0x40086200
SYNC_READ, SYNC_WRITE, SYNC_RW = 1, 2, 3
SYNC_START, SYNC_END = 0, 4


def dma_buf_sync(fd, flags):
    import fcntl
    fcntl.ioctl(fd, DMA_BUF_IOCTL_SYNC, struct.pack("Q", flags))


# ------------------------------------------------------------------ control

PROTO_MAGIC = 0x44424653
PROTO_VERSION = 1
OP_PUBLISH, OP_UNPUBLISH, OP_EXPORT = 1, 2, 3
FLAG_TRANSIENT, FLAG_IOMEM, FLAG_SYSMEM = 1, 2, 4
REQ_HDR = "=IHHII"   # magic, version, op, flags, name_len
REP_HDR = "=IiII"    # magic, status, msg_len, reserved


def ctl_path():
    return os.environ.get("DMABUFFS_CONTROL", "/run/dmabuffs/control")


def ctl_connect(path=None, timeout=5.0):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.settimeout(timeout)
    s.connect(path or ctl_path())
    return s


def encode_request(op, name, flags=0, magic=PROTO_MAGIC,
                   version=PROTO_VERSION, name_len=None):
    nb = name.encode() if isinstance(name, str) else name
    if name_len is None:
        name_len = len(nb)
    return struct.pack(REQ_HDR, magic, version, op, flags, name_len) + nb


def ctl_raw(sock, payload, fds=()):
    """Send one message (with fds), return (status, msg, received fds).
    status is None when the daemon closed without a reply."""
    if fds:
        socket.send_fds(sock, [payload], list(fds))
    else:
        sock.send(payload)
    data, rfds, _flags, _addr = socket.recv_fds(sock, 4096, 4)
    if len(data) < struct.calcsize(REP_HDR):
        for fd in rfds:
            os.close(fd)
        return None, "short reply (%d bytes)" % len(data), []
    magic, status, msg_len, _ = struct.unpack_from(REP_HDR, data)
    if magic != PROTO_MAGIC:
        return None, "bad reply magic %#x" % magic, rfds
    hl = struct.calcsize(REP_HDR)
    return status, data[hl:hl + msg_len].decode(errors="replace"), rfds


def ctl(op, name, flags=0, fds=(), sock=None):
    """One request on a fresh (or given) connection. Returns
    (status, msg, fds, sock); keep sock open for transient publishes."""
    s = sock or ctl_connect()
    st, msg, rfds = ctl_raw(s, encode_request(op, name, flags), fds)
    if sock is None and not (op == OP_PUBLISH and flags & FLAG_TRANSIENT):
        s.close()
        s = None
    return st, msg, rfds, s


def publish(fd, name, flags=0, sock=None):
    return ctl(OP_PUBLISH, name, flags, (fd,), sock)


def unpublish(name):
    st, msg, _, _ = ctl(OP_UNPUBLISH, name)
    return st, msg


def export(name):
    """(status, fd or None, msg)"""
    st, msg, rfds, _ = ctl(OP_EXPORT, name)
    fd = rfds[0] if rfds else None
    for extra in rfds[1:]:
        os.close(extra)
    return st, fd, msg


def status_name(st):
    if st is None:
        return "NO-REPLY"
    if st == 0:
        return "OK"
    return ename(-st)


def as_nobody(fn):
    """Run fn() as uid and gid 65534 (no supplementary groups) in a child;
    its JSON-able result, or {"error": repr(exception)}."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        try:
            os.setgroups([])
            os.setgid(65534)
            os.setuid(65534)
            out = fn()
        except Exception as e:
            out = {"error": repr(e)}
        os.write(w, json.dumps(out).encode())
        os._exit(0)
    os.close(w)
    data = b""
    while True:
        chunk = os.read(r, 65536)
        if not chunk:
            break
        data += chunk
    os.waitpid(pid, 0)
    return json.loads(data)


# ------------------------------------------------------------ fd store


def fdstore_harness():
    """A stand-in service manager (tests/helpers/fdstore-harness.py, named
    by $HARNESS) reading its socket in the background, and the daemon's
    argv for the mount lib.sh's fdstore_mount set up."""
    import importlib.util
    spec = importlib.util.spec_from_file_location("harness", os.environ["HARNESS"])
    harness = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(harness)
    h = harness.Harness(os.path.join(T, "notify"))
    h.pump_in_background()
    argv = ["dmabuffs", "-f", "-o", "backend=memfd,control=" + os.environ["DMABUFFS_CONTROL"],
            M]
    return h, argv
