#!/bin/bash
# The control socket: publish / unpublish / export with their documented
# errors, transient buffers, hostile messages, and the owner check. Most
# requests are sent by tap.py's own client of the wire format (an
# independent implementation); the helpers publish-memfd and ctl-fuzz and
# dmabufctl are driven as well.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
require_host

start_daemon || bail_out "dmabuffs did not mount"
pass "dmabuffs -f mounts $M"
check "the control socket exists" -- test -S "$DMABUFFS_CONTROL"
is "$(stat -c %a "$DMABUFFS_CONTROL")" 660 "the control socket is mode 0660"

export DAEMON_PID
py <<'EOF'
import os, time, socket, struct
from tap import *

def alive():
    return os.path.isdir("/proc/%s" % os.environ["DAEMON_PID"])

size = 16384
data = pattern(size, 21)
fd = memfd(size, data)

# publish
st, msg, _, _ = publish(fd, "pub1")
is_(status_name(st), "OK", "PUBLISH of a memfd as pub1 succeeds (%s)" % msg)
p = M + "/pub1"
ok(os.path.isfile(p), "pub1 appears in the mount")
s = os.stat(p) if os.path.exists(p) else None
is_(s and s.st_size, size, "pub1 has the memfd's size")
is_(s and s.st_uid, 0, "pub1 is owned by the publisher (root)")
is_(s and oct(s.st_mode & 0o777), oct(0o600), "pub1 is mode 0600")
is_(errno_of(os.getxattr, p, "user.dmabuf.origin") == "OK" and errno_of.last,
    b"published", "pub1 has origin=published")
is_(errno_of(os.getxattr, p, "user.dmabuf.exporter") == "OK" and errno_of.last,
    b"memfd", "pub1 has exporter=memfd")
is_(read_file(p) if s else None, data, "pub1 reads the publisher's bytes")

# the file and the publisher's fd are one buffer
os.pwrite(fd, b"FROM-PUBLISHER", 4096)
ffd = os.open(p, os.O_RDWR)
dma_buf_sync(ffd, SYNC_START | SYNC_READ)
is_(os.pread(ffd, 14, 4096), b"FROM-PUBLISHER", "a publisher-side store shows in the file after SYNC_START")
dma_buf_sync(ffd, SYNC_END | SYNC_READ)
os.pwrite(ffd, b"FROM-THE-FILE", 8192)
os.fsync(ffd)
os.close(ffd)
is_(os.pread(fd, 13, 8192), b"FROM-THE-FILE", "a write to the file reaches the publisher's memfd")
os.pwrite(fd, data[4096:4096 + 14], 4096)
os.pwrite(fd, data[8192:8192 + 13], 8192)
os.close(fd)
is_(read_file(p) if s else None, data, "pub1 stays after the publisher closes its fd")

# export
st, efd, msg = export("pub1")
ok(st == 0 and efd is not None, "EXPORT pub1 returns an fd", "%s: %s" % (status_name(st), msg))
if efd is not None:
    is_(fd_content(efd), data, "the exported fd has pub1's content")
    os.close(efd)
# (paths are the library's business: the wire carries names only)
st, efd, msg = export("nosuch")
is_(status_name(st), "ENOENT", "EXPORT of an unknown name -> ENOENT")
ok(efd is None, "a failed EXPORT carries no fd")

# duplicate and bad names
fd = memfd(4096, b"x")
st, msg, _, _ = publish(fd, "pub1")
is_(status_name(st), "EEXIST", "PUBLISH of a taken name -> EEXIST")
truncate_name = M + "/made"
os.close(os.open(truncate_name, os.O_CREAT | os.O_WRONLY, 0o600))
os.truncate(truncate_name, 4096)
st, msg, _, _ = publish(fd, "made")
is_(status_name(st), "EEXIST", "PUBLISH over a created file's name -> EEXIST")
ok(msg != "", "error replies carry an explanation", repr(msg))
for bad, want in (("", "EINVAL"), (".", "EINVAL"), ("..", "EINVAL"),
                  ("a/b", "EINVAL"), ("/abs", "EINVAL"), ("a\0b", "EINVAL"),
                  ("n" * 256, "ENAMETOOLONG")):
    st, msg, _, _ = publish(fd, bad)
    is_(status_name(st), want, "PUBLISH with name %r -> %s" % (bad[:12], want))
ok(sorted(x for x in os.listdir(M) if x not in ("by-inode", "by-exporter", "new", "proc"))
   == ["made", "pub1"], "no file was created by the refused publishes", repr(os.listdir(M)))
st, msg, _, _ = publish(fd, "n" * 255)
is_(status_name(st), "OK", "PUBLISH with a 255-byte name succeeds")
unpublish("n" * 255)
os.close(fd)

# fds that are not dma-bufs (memfds count as dma-bufs on a memfd mount)
r, w = os.pipe()
st, msg, _, _ = publish(r, "pipe")
is_(status_name(st), "EINVAL", "PUBLISH of a pipe -> EINVAL")
os.close(r); os.close(w)
tf = os.open(T, os.O_TMPFILE | os.O_RDWR, 0o600)
os.ftruncate(tf, 4096)
st, msg, _, _ = publish(tf, "regular")
is_(status_name(st), "EINVAL", "PUBLISH of a regular (tmpfs) file -> EINVAL")
os.close(tf)
so = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
st, msg, _, _ = publish(so.fileno(), "sock")
is_(status_name(st), "EINVAL", "PUBLISH of a socket -> EINVAL")
so.close()
ok(not any(os.path.exists(M + "/" + n) for n in ("pipe", "regular", "sock")),
   "refused fds created no file")

# fd count
c = ctl_connect()
st, msg, rf = ctl_raw(c, encode_request(OP_PUBLISH, "nofd"))
is_(status_name(st), "EBADF", "PUBLISH without an fd -> EBADF")
c.close()
f1, f2 = memfd(4096), memfd(4096)
c = ctl_connect()
st, msg, rf = ctl_raw(c, encode_request(OP_PUBLISH, "twofds"), (f1, f2))
is_(status_name(st), "E2BIG", "PUBLISH with two fds -> E2BIG")
c.close()
ok(not os.path.exists(M + "/twofds") and not os.path.exists(M + "/nofd"),
   "nothing was published by the fd-count errors")

# hostile messages: each gets its error, the daemon keeps serving
def raw(payload, fds=(), desc="", want=""):
    c = ctl_connect()
    try:
        st, msg, rf = ctl_raw(c, payload, fds)
    except OSError as e:
        st, msg = None, "socket error %s" % ename(e.errno)
    c.close()
    is_errno(status_name(st), want, desc)

good = encode_request(OP_UNPUBLISH, "nosuch")
raw(good[:4], desc="a 4-byte message -> EBADMSG", want="EBADMSG")
raw(good[:15], desc="a message one byte short of the header -> EBADMSG", want="EBADMSG")
raw(encode_request(OP_UNPUBLISH, "nosuch", magic=0xdeadbeef),
    desc="wrong magic -> EBADMSG", want="EBADMSG")
raw(encode_request(OP_UNPUBLISH, "nosuch", version=2),
    desc="protocol version 2 -> EPROTONOSUPPORT", want="EPROTONOSUPPORT")
raw(encode_request(OP_UNPUBLISH, "nosuch", version=0),
    desc="protocol version 0 -> EPROTONOSUPPORT", want="EPROTONOSUPPORT")
raw(encode_request(99, "nosuch"), desc="unknown op 99 -> EOPNOTSUPP", want="EOPNOTSUPP")
raw(encode_request(0, "nosuch"), desc="op 0 -> EOPNOTSUPP", want="EOPNOTSUPP")
raw(encode_request(OP_UNPUBLISH, "nosuch", name_len=100),
    desc="name_len longer than the message -> EBADMSG", want="EBADMSG")
raw(encode_request(OP_UNPUBLISH, "nosuch", name_len=2),
    desc="name_len shorter than the message -> EBADMSG", want="EBADMSG")
raw(encode_request(OP_UNPUBLISH, "nosuch", name_len=0xffffffff),
    desc="name_len 0xffffffff -> EBADMSG", want="EBADMSG")
raw(encode_request(OP_UNPUBLISH, "x" * 2000),
    desc="a 2000-byte name (message over the maximum) -> EBADMSG", want="EBADMSG")
mf = memfd(4096)
# An fd on a request that takes none: HACKING.md names no errno, so only
# ask for an error reply (ctl-fuzz checks that the fd is closed).
c = ctl_connect()
st, msg, rf = ctl_raw(c, encode_request(OP_UNPUBLISH, "nosuch"), (mf,))
c.close()
ok(st is not None and st < 0, "UNPUBLISH with a stray fd gets an error reply (%s)"
   % status_name(st), "%s: %s" % (status_name(st), msg))
c = ctl_connect()
st, msg, rf = ctl_raw(c, encode_request(99, "fdop"), (mf,))
c.close()
ok(st is not None and st < 0, "an unknown op carrying an fd gets an error reply (%s)"
   % status_name(st), "%s: %s" % (status_name(st), msg))
os.close(mf)

# a silent client and a client that vanishes mid-way do not block others
idle = ctl_connect()
gone = ctl_connect()
gone.send(encode_request(OP_UNPUBLISH, "nosuch"))
gone.close()
t0 = time.monotonic()
st, efd, msg = export("pub1")
ok(st == 0 and time.monotonic() - t0 < 2.0,
   "EXPORT works while another client holds an idle connection",
   "%s: %s after %.1fs" % (status_name(st), msg, time.monotonic() - t0))
if efd is not None:
    os.close(efd)
idle.close()
ok(alive(), "the daemon is still running after the hostile messages")

# transient: goes when the publishing connection closes
fd = memfd(8192, pattern(8192, 22))
st, msg, _, conn = publish(fd, "trans", FLAG_TRANSIENT)
os.close(fd)
is_(status_name(st), "OK", "transient PUBLISH succeeds")
ok(os.path.exists(M + "/trans"), "the transient buffer appears")
time.sleep(0.2)
ok(os.path.exists(M + "/trans"), "it stays while the connection is open")
if conn:
    conn.close()
gone_ok = False
for _ in range(50):
    if not os.path.exists(M + "/trans"):
        gone_ok = True
        break
    time.sleep(0.1)
ok(gone_ok, "the transient buffer disappears when its connection closes")

# map-flag flags
fd = memfd(4096)
st, msg, _, _ = publish(fd, "both", FLAG_IOMEM | FLAG_SYSMEM)
is_(status_name(st), "EINVAL", "PUBLISH with IOMEM|SYSMEM -> EINVAL")
st, msg, _, _ = publish(fd, "asio", FLAG_IOMEM)
is_(status_name(st), "OK", "PUBLISH with the IOMEM flag succeeds")
is_(errno_of(os.getxattr, M + "/asio", "user.dmabuf.iomem") == "OK" and errno_of.last,
    b"1", "the IOMEM publish flag sets iomem=1")
unpublish("asio")
os.close(fd)

# unpublish
st, msg = unpublish("pub1")
is_(status_name(st), "OK", "UNPUBLISH pub1 succeeds")
ok(not os.path.exists(M + "/pub1"), "pub1 is gone after UNPUBLISH")
st, msg = unpublish("pub1")
is_(status_name(st), "ENOENT", "UNPUBLISH of an unknown name -> ENOENT")
ok(alive(), "the daemon is still running")
EOF

# --- the helpers
head -c 12288 /dev/urandom >"$T/pattern"
# publish-memfd's pattern: byte[i] = (i * 7 + seed) & 0xff
python3 -c "
import sys
sys.stdout.buffer.write(bytes((i * 7 + 5) & 255 for i in range(12288)))" >"$T/pattern5"
if command -v publish-memfd >/dev/null 2>&1; then
	check "publish-memfd --seed 5 12288 helper1" -- publish-memfd --seed 5 12288 helper1
	is "$(cat "$T/last.out")" "published helper1" "publish-memfd reports the publish"
	check "helper1 stays after the (non-transient) publisher exits" -- test -f "$M/helper1"
	is "$(fsize "$M/helper1")" 12288 "helper1 has the helper's size"
	is "$(stat -c %u "$M/helper1" 2>&1)" 0 "helper1 is owned by the publisher's uid (0)"
	is "$(xattr "$M/helper1" user.dmabuf.origin)" published "helper1 has origin=published"
	check "helper1's content is the helper's pattern" -- cmp "$T/pattern5" "$M/helper1"
	check "publish-memfd --export helper1 sees the pattern through an exported fd" -- \
		publish-memfd --export helper1 --seed 5
	like "$(cat "$T/last.out")" '^OK helper1 12288' "... and says OK helper1 12288"
	check "publish-memfd --export by path (\$M/helper1) works too" -- \
		publish-memfd --export "$M/helper1" --seed 5
	check "dmabufctl export helper1 describes the fd" -- dmabufctl export helper1
	like "$(cat "$T/last.out")" 'size: 12288' "... with the buffer's size"
	check "dmabufctl export helper1 -- CMD gets an fd with the same content" -- \
		dmabufctl export helper1 -- sh -c 'cat "/dev/fd/$DMABUF_FD" >"$0"' "$T/exported"
	check "... which equals the file" -- cmp "$T/exported" "$M/helper1"
	check_fails "publish-memfd onto the taken name helper1 fails" -- publish-memfd 4096 helper1
	like "$(cat "$T/last.out")" 'EEXIST' "... with EEXIST"
	check_fails "publish-memfd with a bad name a/b fails" -- publish-memfd 4096 a/b
	check "publish-memfd --check-errors: every error case matches HACKING.md" -- \
		publish-memfd --check-errors --name chk
	diag_file "$T/last.out" "check-errors" 40

	# transient: held while the helper lives, gone once it exits
	mkfifo "$T/hold"
	publish-memfd --transient --hold 8192 trans2 <"$T/hold" >"$T/pm.out" 2>&1 &
	pm=$!
	exec 9>"$T/hold"
	wait_for "grep -q published '$T/pm.out'" 50
	check "a held transient publish is visible" -- test -f "$M/trans2"
	exec 9>&-
	wait_for "! kill -0 $pm 2>/dev/null" 50
	wait "$pm"
	is "$?" 0 "the holding publisher exits 0 at EOF on stdin"
	wait_for "absent '$M/trans2'" 50
	check "the transient buffer is gone once its publisher exited" -- absent "$M/trans2"
	check "publish-memfd --transient 4096 trans3 (exits at once)" -- \
		publish-memfd --transient 4096 trans3
	wait_for "absent '$M/trans3'" 50
	check "trans3 is gone after its publisher exited" -- absent "$M/trans3"

	check "dmabufctl unpublish helper1" -- dmabufctl unpublish helper1
	check "helper1 is gone" -- absent "$M/helper1"
	check_fails "dmabufctl unpublish helper1 again fails" -- dmabufctl unpublish helper1
	like "$(cat "$T/last.out")" 'ENOENT|No such file' "... with ENOENT"
else
	fail "publish-memfd is built"
fi
if command -v ctl-fuzz >/dev/null 2>&1; then
	check "ctl-fuzz runs to the end (the daemon answered every case)" -- ctl-fuzz
	cp "$T/last.out" "$T/fuzz.out"
	# ctl-fuzz only reports what came back; the expectations are HACKING.md's.
	py "$T/fuzz.out" <<'EOF2'
import re, sys
from tap import *
lines = open(sys.argv[1]).read().splitlines()
res = {}
for l in lines:
    m = re.match(r"^([a-z0-9-]+): (\S+)(.*)$", l)
    if m:
        res[m.group(1)] = (m.group(2), m.group(3))
# A 256-byte name is both over PROTO_NAME_MAX and over the maximum request
# size: HACKING.md allows ENAMETOOLONG (bad name) and EBADMSG (wrong size).
want = {
    "garbage": ("EBADMSG",), "empty": ("EBADMSG", "closed"),
    "short-header": ("EBADMSG",), "wrong-magic": ("EBADMSG",),
    "wrong-version": ("EPROTONOSUPPORT",), "unknown-op": ("EOPNOTSUPP",),
    "name-len-long": ("EBADMSG",), "name-len-short": ("EBADMSG",),
    "name-slash": ("EINVAL",), "name-nul": ("EINVAL",), "name-dot": ("EINVAL",),
    "name-too-long": ("ENAMETOOLONG", "EBADMSG"), "oversize": ("EBADMSG",),
    "publish-no-fd": ("EBADF",), "two-fds": ("E2BIG",), "64-fds": ("E2BIG",),
    "pipe-fd": ("EINVAL",), "export-unknown": ("ENOENT",), "export-known": ("OK",),
}
for case, w in want.items():
    got = res.get(case, ("missing", ""))
    ok(got[0] in w, "ctl-fuzz %s -> %s" % (case, "/".join(w)),
       "got %s%s" % got)
got = res.get("fd-on-export", ("missing", ""))
ok(got[0] not in ("missing", "timeout", "badreply"),
   "ctl-fuzz fd-on-export gets an answer", "got %s%s" % got)
leaks = [l for l in lines if "leaked=" in l]
ok(not leaks, "the daemon closed every fd of every refused request", "\n".join(leaks))
EOF2
	check "the daemon survived ctl-fuzz" -- kill -0 "$DAEMON_PID"
else
	fail "ctl-fuzz is built"
fi
check "a valid request still works afterwards (dmabufctl list)" -- dmabufctl list
check "the mount still works afterwards (truncate/write/read)" -- sh -c \
	"truncate -s 8K '$M/after' && head -c 8192 '$T/pattern' > '$M/after' && \
	 head -c 8192 '$T/pattern' | cmp - '$M/after'"

# --- another user. The socket is 0660 root:root, so `nobody` (not in the
# group) is refused by the kernel at connect(): EACCES.
chmod 0755 "$T"
cp "$ITEST_DIR/tap.py" "$T/tap.py"
chmod 0644 "$T/tap.py"
as_nobody() {
	runuser -u nobody -- env PYTHONPATH="$T" T="$T" M="$M" TAP_COUNTER="$TAP_COUNTER" \
		DMABUFFS_CONTROL="$DMABUFFS_CONTROL" /usr/bin/python3 - "$@"
}
chmod 0666 "$TAP_COUNTER"
check "root can publish rootbuf" -- python3 -c "
import sys; from tap import *
fd = memfd(4096, b'root')
st, msg, _, _ = publish(fd, 'rootbuf')
sys.exit(st != 0)"
if command -v runuser >/dev/null 2>&1 && id nobody >/dev/null 2>&1; then
	as_nobody <<'EOF'
import os, socket
from tap import *
try:
    ctl_connect().close()
    r = "OK"
except OSError as e:
    r = ename(e.errno)
is_(r, "EACCES", "nobody cannot connect to the 0660 root-owned socket (EACCES)")
EOF
	# Open the socket to everyone to reach the daemon's own owner check.
	chmod 0666 "$DMABUFFS_CONTROL"
	as_nobody <<'EOF'
import os
from tap import *
st, msg = unpublish("rootbuf")
is_(status_name(st), "EPERM", "nobody's UNPUBLISH of root's buffer -> EPERM")
fd = memfd(4096, b"nobody's")
st, msg, _, _ = publish(fd, "nobodybuf")
is_(status_name(st), "OK", "nobody can publish through an open socket")
EOF
	check "rootbuf is still there" -- test -f "$M/rootbuf"
	is "$(stat -c %u:%g "$M/nobodybuf" 2>&1)" "$(id -u nobody):$(id -g nobody)" \
		"nobodybuf is owned by its publisher's uid and gid"
	as_nobody <<'EOF'
from tap import *
st, msg = unpublish("nobodybuf")
is_(status_name(st), "OK", "nobody can UNPUBLISH its own buffer")
EOF
	check "nobodybuf is gone" -- sh -c "! test -e '$M/nobodybuf'"
else
	diag "runuser or user nobody missing: owner checks not run"
fi

# dmabufctl import: take an fd out of another process (pidfd_getfd) and
# publish it; the file says where it came from.
sleep_holder() {
	python3 -c "
import os, sys, time
fd = os.memfd_create('held', os.MFD_ALLOW_SEALING)
os.ftruncate(fd, 8192)
os.pwrite(fd, b'HELD-BY-ANOTHER-PROCESS', 100)
print(fd, flush=True)
time.sleep(30)" &
}
coproc HOLDER { sleep_holder; wait; }
read -r held_fd <&"${HOLDER[0]}"
holder_pid=$(pgrep -n -f "memfd_create\('held'")
check "dmabufctl import --pid --fd publishes another process's buffer" -- \
	dmabufctl import --pid "$holder_pid" --fd "$held_fd" taken
is "$(getfattr --absolute-names --only-values -n user.dmabuf.origin "$M/taken" 2>&1)" imported \
	"an imported buffer has origin=imported"
is "$(dd if="$M/taken" bs=1 skip=100 count=23 status=none 2>&1)" HELD-BY-ANOTHER-PROCESS \
	"the imported file reads the other process's bytes"
check "import of an fd the process does not have fails" -- \
	sh -c "! dmabufctl import --pid $holder_pid --fd 999 nothere 2>/dev/null"
kill "$holder_pid" 2>/dev/null

done_testing
