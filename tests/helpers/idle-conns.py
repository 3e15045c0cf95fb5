#!/usr/bin/env python3
# idle-conns.py N OUT: open N connections to $DMABUFFS_CONTROL and send
# nothing. Writes to OUT, one "key=value" a line:
#   accepted=A refused=R reason=...   once the daemon has answered them
#                                     (refused ones get a reply and EOF)
#   closed=C after=S                  when the daemon has closed the idle
#                                     ones (or after 15 s: C < A)
# Used by control-idle-lockout.t, run as a non-root uid.
import os, select, socket, struct, sys, time

n, out = int(sys.argv[1]), sys.argv[2]
path = os.environ["DMABUFFS_CONTROL"]
socks = []
t0 = time.monotonic()
for _ in range(n):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.connect(path)
    socks.append(s)
time.sleep(1.0)  # the daemon accepts (or refuses) every one meanwhile

alive, refused, reason = [], 0, ""
for s in socks:
    s.setblocking(False)
    try:
        data = s.recv(4096)
    except BlockingIOError:
        alive.append(s)
        continue
    except OSError:
        data = b""
    refused += 1
    if len(data) >= 16 and not reason:
        status, msg_len = struct.unpack_from("=iI", data, 4)
        reason = "%d:%s" % (status, data[16:16 + msg_len].decode(errors="replace"))
with open(out, "w") as f:
    f.write("accepted=%d refused=%d reason=%s\n" % (len(alive), refused, reason))

accepted = len(alive)
closed = 0
while alive and time.monotonic() - t0 < 15:
    r, _, _ = select.select(alive, [], [], 0.2)
    for s in r:
        try:
            data = s.recv(4096)
        except OSError:
            data = b""
        if not data:
            alive.remove(s)
            s.close()
            closed += 1
with open(out, "a") as f:
    f.write("closed=%d after=%.1f\n" % (closed, time.monotonic() - t0))
