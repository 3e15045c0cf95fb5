#!/bin/bash
# ctl-top-list-holders: `dmabufctl top` takes the buffer files and their
# holders from one LIST with PROTO_LIST_HOLDERS (the daemon walks /proc once
# per chunk, not once per buffer) and shows exactly what reading each
# file's user.dmabuf.holders shows: `top --json` and the table are
# byte-identical over the socket, through the mount only (no socket), and
# through a daemon that ignores the flag (as daemons before it do: a proxy
# here that clears it), as root and as a user who may read only some files.
# Helper processes hold the buffers by fd (exported, or published and kept;
# a memfd backend on the host has no mappings to count). LIST's holders of
# every buffer are its user.dmabuf.holders, and both are what /proc says
# (a reference computed here under the same rules); across several chunks,
# cut where the holders no longer fit, every buffer comes exactly once. A
# LIST flag the daemon does not know is refused (EINVAL), and a LIST
# without the flag has no holders.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
require_host

# nodiscover: the host's own dma-bufs (a GPU, if any) must not change
# between two runs of top; allow_other: the second user's top.
start_daemon nodiscover,allow_other || bail_out "dmabuffs did not mount"
export DAEMON_PID

check "a 4 KiB buffer" -- truncate -s 4096 "$M/a"
check "a 64 KiB buffer" -- truncate -s 65536 "$M/b"
check "an 8 KiB buffer" -- truncate -s 8192 "$M/c"
check "a buffer nobody else holds" -- truncate -s 4096 "$M/alone"
check "a name with no buffer" -- touch "$M/empty"
check "a and b readable by others" -- chmod 0644 "$M/a" "$M/b"
check "the others not" -- chmod 0600 "$M/c" "$M/alone" "$M/empty"

# The holders: each child keeps its fds until the parent goes (at most
# 120 s); the parent writes their pids once every fd is taken.
cat >"$T/hold.py" <<'PYEOF'
import ctypes, json, os, signal, sys, time
from tap import export, publish, memfd, status_name
libc = ctypes.CDLL(None)
M = os.environ["M"]
def child(take):
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        keep = take()
        os.write(w, b"x")
        while True:
            time.sleep(60)
    os.close(w)
    os.read(r, 1)
    os.close(r)
    return pid
def exported(*names):
    def take():
        fds = []
        for n in names:
            st, fd, msg = export(n)
            assert fd is not None, (n, status_name(st), msg)
            fds.append(fd)
        return fds
    return take
def two_fds_of_b():
    fds = exported("b")()
    return fds + [os.dup(fds[0])]
def published():
    fd = memfd(3 * 4096, b"p" * 4096)
    st, msg, _, _ = publish(fd, "pub")
    assert st == 0, msg
    return [fd]
def mapped_then_closed():
    # mmap(2) itself: Python's mmap module keeps a dup of the fd.
    fds = exported("c")()
    libc.mmap.restype = ctypes.c_void_p
    libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int,
                          ctypes.c_int, ctypes.c_int, ctypes.c_long]
    m = libc.mmap(None, 8192, 1, 1, fds[0], 0)  # PROT_READ, MAP_SHARED
    assert m not in (None, ctypes.c_void_p(-1).value)
    os.close(fds[0])
    return [m]
which = sys.argv[1]
kids = {}
if which == "few":
    kids["a+b"] = child(exported("a", "b"))
    kids["b twice"] = child(two_fds_of_b)
    kids["pub"] = child(published)
    kids["c mapped"] = child(mapped_then_closed)
else:
    names = sorted(n for n in os.listdir(M) if n.startswith("long-"))
    for i in range(int(which)):
        kids["all %d" % i] = child(exported(*names))
with open(os.environ["T"] + "/hold-" + which + ".json", "w") as f:
    json.dump(kids, f)
time.sleep(120)
PYEOF
python3 "$T/hold.py" few &
holder=$!
wait_for "[ -s '$T/hold-few.json' ]" 100
ok $? "the helper processes hold their buffers"
check "pub readable by root only" -- chmod 0600 "$M/pub"

# Every LIST chunk on one connection, with the flags given.
cat >"$T/listall.py" <<'PYEOF'
import json, os, struct, sys
from tap import ctl_connect, encode_request, status_name
def list_all(flags):
    s = ctl_connect()
    docs, cursor, sizes = [], b"", []
    while True:
        s.send(encode_request(4, cursor, flags))
        data = s.recv(1 << 18)
        _, status, msg_len, _ = struct.unpack_from("=IiII", data)
        if status != 0:
            s.close()
            return status_name(status), docs, sizes
        sizes.append(len(data))
        doc = json.loads(data[16:16 + msg_len])
        docs.append(doc)
        if doc.get("next") is None or len(docs) > 1000:
            s.close()
            return "OK", docs, sizes
        cursor = doc["next"].encode()
PYEOF

# What /proc says, under holders_scan's rules: the daemon holds each of
# its buffers; another process holds one when one of its fds links where
# the daemon's does and its fdinfo names the buffer's inode.
cat >"$T/ref.py" <<'PYEOF'
import os
def fdinfo_ino(path):
    try:
        for line in open(path):
            if line.startswith("ino:"):
                return int(line.split()[1])
    except OSError:
        pass
    return None
def fds_of(pid):
    try:
        return os.listdir("/proc/%d/fd" % pid)
    except OSError:
        return []
def link(pid, fd):
    try:
        return os.readlink("/proc/%d/fd/%s" % (pid, fd))
    except OSError:
        return None
def reference(daemon, kinos):
    """{kino: set of "PID:fd"} for the daemon's buffers of those inodes."""
    want = {}
    for fd in fds_of(daemon):
        ino = fdinfo_ino("/proc/%d/fdinfo/%s" % (daemon, fd))
        if ino in kinos and ino not in want:
            want[ino] = link(daemon, fd)
    out = {k: {"%d:fd" % daemon} for k in kinos}
    for pid in sorted(int(p) for p in os.listdir("/proc") if p.isdigit()):
        if pid == daemon:
            continue
        for fd in fds_of(pid):
            l = link(pid, fd)
            if l is None or l not in want.values():
                continue
            ino = fdinfo_ino("/proc/%d/fdinfo/%s" % (pid, fd))
            if ino in want and want[ino] == l:
                out[ino].add("%d:fd" % pid)
    return out
PYEOF

# compare WHAT SOCKET [PREFIX...]: top --json (but its "daemon") and the
# table, over SOCKET and through the mount only (no socket), byte for byte;
# PREFIX runs both.
compare() {
	local what=$1 sock=$2 form
	shift 2
	for form in --json ""; do
		DMABUFFS_CONTROL=$sock "$@" dmabufctl top $form \
			>"$T/top-sock$form.out" 2>"$T/top-sock.err"
		ok $? "$what: top $form succeeds"
		DMABUFFS_CONTROL=$T/no-such-socket "$@" dmabufctl top $form \
			>"$T/top-mount$form.out" 2>"$T/top-mount.err"
		ok $? "$what: top $form through the mount only succeeds"
		# "daemon" says where the files came from (control or mount) and
		# what only the socket tells: everything else must be the same.
		[ "$form" = --json ] && for f in "$T/top-sock$form.out" "$T/top-mount$form.out"; do
			python3 -c 'import json, sys
d = json.load(open(sys.argv[1])); d.pop("daemon", None)
json.dump(d, open(sys.argv[1], "w"), indent=1)' "$f"
		done
		same_file "$T/top-mount$form.out" "$T/top-sock$form.out" \
			"$what: top $form is byte-identical to the mount's"
	done
}

compare "over the socket" "$DMABUFFS_CONTROL"
cp "$T/top-sock--json.out" "$T/top-root.json"

py "$T/top-root.json" <<'PYEOF'
import json, os, sys
sys.path.insert(0, os.environ["T"])
from tap import *
from listall import list_all
from ref import reference
kids = json.load(open(os.path.join(T, "hold-few.json")))
daemon = int(os.environ["DAEMON_PID"])
doc = json.load(open(sys.argv[1]))
held = {b["name"]: {(h["pid"], h["kinds"]) for h in b["holders"]} for b in doc["buffers"]}
is_(sorted(held), ["a", "alone", "b", "c", "pub"], "top lists the five buffers")
is_(held.get("a"), {(daemon, "fd"), (kids["a+b"], "fd")}, "a: the daemon and its exporter")
is_(held.get("b"), {(daemon, "fd"), (kids["a+b"], "fd"), (kids["b twice"], "fd")},
    "b: the daemon and two exporters, the one with two fds once")
is_(held.get("pub"), {(daemon, "fd"), (kids["pub"], "fd")}, "pub: the daemon and its publisher")
is_(held.get("alone"), {(daemon, "fd")}, "alone: the daemon only")
is_(held.get("c"), {(daemon, "fd")},
    "c: a memfd only mapped is not held (no mappings are looked for on a memfd)")
procs = {p["pid"]: p for p in doc["processes"]}
ok(procs.get(kids["a+b"], {}).get("by_fd") == 2, "the exporter of a and b holds 2 by fd",
   repr(procs.get(kids["a+b"])))

st, docs, _ = list_all(1)
is_(st, "OK", "LIST with PROTO_LIST_HOLDERS succeeds")
bufs = {bytes.fromhex(b["name_hex"]).decode(): b for d in docs for b in d["buffers"]}
ok(all("holders" in b for b in bufs.values()), "every buffer has holders")
is_(bufs.get("empty", {}).get("holders", "missing"), None, "a file with no buffer: holders null")
kinos = {n: int(os.getxattr(os.path.join(M, n), "user.dmabuf.inode")) for n in held}
ref = reference(daemon, set(kinos.values()))
for n in sorted(held):
    x = os.getxattr(os.path.join(M, n), "user.dmabuf.holders").decode()
    is_(bufs.get(n, {}).get("holders"), x, "%s: LIST's holders are user.dmabuf.holders" % n)
    is_(set(x.split()), ref[kinos[n]], "%s: and what /proc says" % n)
st, docs, _ = list_all(0)
ok(st == "OK" and all("holders" not in b for d in docs for b in d["buffers"]),
   "LIST without the flag: no holders (what old clients get)")
st, docs, _ = list_all(2)
is_(st, "EINVAL", "LIST with a flag it does not know: EINVAL")
PYEOF
grep -q 'list: unknown flags 0x2' "$DAEMON_LOG"
ok $? "the daemon's log says which flag it refused"

# A daemon that ignores the flag, as daemons before it do: top reads the
# holders from the attributes and shows the same.
cat >"$T/proxy.py" <<'PYEOF'
import os, socket, struct, sys, threading
real, path, seen = sys.argv[1], sys.argv[2], sys.argv[3]
srv = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
srv.bind(path)
srv.listen(8)
def serve(c):
    up = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    up.connect(real)
    while True:
        req = c.recv(4096)
        if not req:
            break
        magic, ver, op, flags, nlen = struct.unpack_from("=IHHII", req)
        with open(seen, "a") as f:
            f.write("%d %d\n" % (op, flags))
        up.send(struct.pack("=IHHII", magic, ver, op, 0, nlen) + req[16:])
        c.send(up.recv(1 << 18))
    up.close()
    c.close()
while True:
    c, _ = srv.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
PYEOF
python3 "$T/proxy.py" "$DMABUFFS_CONTROL" "$T/old-daemon" "$T/proxy-seen" &
proxy=$!
wait_for "[ -S '$T/old-daemon' ]" 50
compare "a daemon that ignores the flag" "$T/old-daemon"
grep -q '^4 1$' "$T/proxy-seen"
ok $? "top asked that daemon for the holders (LIST, flag 1)"
kill "$proxy"

# A user who may read a and b only: the others are hidden, the same way.
sockdir=$(dirname "$DMABUFFS_CONTROL")
dirmode=$(stat -c %a "$sockdir")
chmod a+x "$sockdir" && chmod 0666 "$DMABUFFS_CONTROL"
compare "uid 65534" "$DMABUFFS_CONTROL" setpriv --reuid=65534 --regid=65534 --clear-groups
like "$(tr -d ' \n' <"$T/top-sock--json.out")" '"hidden":\{"discovery":false,"files":4,' \
	"uid 65534: the four files it may not read are hidden"
chmod 0660 "$DMABUFFS_CONTROL" && chmod "$dirmode" "$sockdir"
kill "$holder"
wait "$holder" 2>/dev/null

# Several chunks, cut where the holders no longer fit: 200 buffers with
# long names (about 700 bytes of JSON each, some 190 to a chunk without
# holders), each held by the daemon and 4 processes.
py <<'PYEOF'
import os
from tap import *
for i in range(200):
    with open(os.path.join(M, "long-%03d-" % i + "n" * 240), "wb") as f:
        f.write(b"l")
PYEOF
python3 "$T/hold.py" 4 &
holder=$!
wait_for "[ -s '$T/hold-4.json' ]" 300
ok $? "4 processes hold every long-named buffer"
py <<'PYEOF'
import json, os, sys
sys.path.insert(0, os.environ["T"])
from tap import *
from listall import list_all
kids = json.load(open(os.path.join(T, "hold-4.json")))
st, docs, sizes = list_all(1)
is_(st, "OK", "LIST with holders of 205 buffers")
_, plain, _ = list_all(0)
ok(len(plain) > 1 and len(docs) >= len(plain) and
   len(docs[0]["buffers"]) < len(plain[0]["buffers"]),
   "the first chunk is cut where the holders no longer fit (%d buffers, %d without them)"
   % (len(docs[0]["buffers"]), len(plain[0]["buffers"]) if plain else 0))
ok(max(sizes) <= 16 + 128 * 1024, "each chunk is at most 128 KiB (%d bytes)" % max(sizes))
names = [bytes.fromhex(b["name_hex"]).decode() for d in docs for b in d["buffers"]]
files = [n for n in os.listdir(M) if os.path.isfile(os.path.join(M, n))]
is_(sorted(names), sorted(files), "every buffer exactly once across the chunks")
is_(sum(n.startswith("long-") for n in names), 200, "the 200 long ones among them")
bad = []
for d in docs:
    for b in d["buffers"]:
        n = bytes.fromhex(b["name_hex"]).decode()
        if not n.startswith("long-"):
            continue
        x = os.getxattr(os.path.join(M, n), "user.dmabuf.holders").decode()
        if b.get("holders") != x or len(x.split()) != 5:
            bad.append((n[:8], b.get("holders"), x))
is_(bad, [], "each long one's LIST holders are its attribute: the daemon and the 4")
PYEOF
compare "205 buffers in chunks" "$DMABUFFS_CONTROL"
kill "$holder"
wait "$holder" 2>/dev/null

done_testing
