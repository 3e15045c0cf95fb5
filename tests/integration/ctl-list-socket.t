#!/bin/bash
# ctl-list-socket (issue 10, "Scale"): `dmabufctl list` asks the daemon
# (LIST on the control socket: the listing as JSON, in chunks of at most
# 128 KiB on one connection, each naming where the next starts) and prints exactly what reading the mount prints, table and --json, names
# that are not UTF-8 included. LIST answers for the tree the daemon serves
# (its mount point in the reply); `--mount` naming another directory lists
# that directory. A caller sees every name, but a file's attributes only
# where it could read them through the mount (getxattr needs read
# permission). And a name the daemon refuses on PUBLISH is answered
# "invalid name", not "malformed request".
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
require_host

start_daemon || bail_out "dmabuffs did not mount"

py <<'PYEOF'
import os
from tap import *
mnt = os.fsencode(M)
def make(name, data=None, size=None):
    fd = os.open(mnt + b"/" + name, os.O_CREAT | os.O_EXCL | os.O_RDWR, 0o600)
    if size is not None:
        os.ftruncate(fd, size)
    if data:
        os.write(fd, data)
    os.close(fd)
make(b"\xff", size=PAGE)
make("caf\u00e9".encode(), size=2 * PAGE)
make(b"staged", data=b"s" * 5000)
make(b"empty")
make(b"shared", size=PAGE)
os.chmod(mnt + b"/shared", 0o644)
make(b"theirs", size=PAGE)
os.chown(mnt + b"/theirs", 1234, 4321)
fd = memfd(3 * PAGE, b"p" * (3 * PAGE))
st, _, _, _ = publish(fd, "pub")
os.close(fd)
is_(status_name(st), "OK", "publish pub through the control socket")
PYEOF

# list --json names its source on every buffer ("control" or "mount");
# past that field the two are the same bytes.
unsource() { sed 's/"source": "control"/"source": "mount"/' "$1" >"$1.cmp" && mv "$1.cmp" "$1"; }
for form in "" --json; do
	dmabufctl list $form >"$T/socket$form.out" 2>"$T/socket.err"
	ok $? "dmabufctl list $form through the socket succeeds"
	DMABUFFS_CONTROL=$T/no-such-socket dmabufctl list $form >"$T/mount$form.out" 2>"$T/mount.err"
	ok $? "dmabufctl list $form through the mount succeeds"
	if [ "$form" = --json ]; then
		is "$(grep -c '"source": "control"' "$T/socket$form.out")" 7 "list --json through the socket says source control, 7 times"
		is "$(grep -c '"source": "mount"' "$T/mount$form.out")" 7 "through the mount: source mount"
		unsource "$T/socket$form.out"
	fi
	same_file "$T/mount$form.out" "$T/socket$form.out" \
		"list $form: the socket's output is byte-identical to the mount's"
done
like "$(grep -c . "$T/socket.out")" '^8$' "the table has a header and the 7 buffers"

py <<'PYEOF'
import json, os, struct
from tap import *
OP_LIST = 4

def list_all(chunks=None):
    """Every chunk of a LIST on one connection: (status, docs)."""
    s = ctl_connect()
    docs, cursor = [], b""
    while True:
        s.send(encode_request(OP_LIST, cursor))
        data = s.recv(1 << 17)
        _, status, msg_len, _ = struct.unpack_from("=IiII", data)
        if status != 0:
            s.close()
            return status_name(status), docs
        doc = json.loads(data[16:16 + msg_len])
        docs.append(doc)
        if doc.get("next") is None or len(docs) > 1000:
            s.close()
            return "OK", docs
        cursor = doc["next"].encode()

st, docs = list_all()
is_(st, "OK", "LIST succeeds")
doc = docs[0] if docs else {}
is_(doc.get("mount"), os.path.realpath(M), "the listing names the daemon's mount point")
mnt = os.fsencode(M)
bufs = [b for d in docs for b in d.get("buffers", [])]
names = sorted(bytes.fromhex(b["name_hex"]) for b in bufs)
files = sorted(n for n in os.listdir(mnt) if os.path.isfile(mnt + b"/" + n))
is_(names, files, "the listing has exactly the root's buffer files")
byname = {bytes.fromhex(b["name_hex"]): b for b in bufs}
is_(byname.get(b"pub", {}).get("origin"), "published", "pub's origin is published")
is_(byname.get(b"empty", {}).get("inode", "missing"), None,
    "an unallocated file has no dma-buf inode (null)")
is_(byname.get(b"theirs", {}).get("uid"), 1234, "chown is in the listing")

s = ctl_connect()
st, msg, fds = ctl_raw(s, encode_request(OP_LIST, b"x1"))
s.close()
is_(status_name(st), "EBADMSG", "LIST with a cursor that is not digits is malformed")

# A non-root caller: every name, attributes only of what it may read.
sockdir = os.path.dirname(ctl_path())
dirmode = os.stat(sockdir).st_mode & 0o7777
os.chmod(sockdir, dirmode | 0o111)
os.chmod(ctl_path(), 0o666)
def their_listing():
    st, docs = list_all()
    return {"buffers": [b for d in docs for b in d["buffers"]]}
theirdoc = as_nobody(their_listing)
os.chmod(ctl_path(), 0o660)
os.chmod(sockdir, dirmode)
ok("error" not in theirdoc, "uid 65534 gets a listing", theirdoc.get("error"))
theirs = {bytes.fromhex(b["name_hex"]): b for b in theirdoc.get("buffers", [])}
is_(sorted(theirs), files, "uid 65534 sees every name")
is_(theirs.get(b"staged", {}).get("exporter", "missing"), None,
    "a 0600 file of root's: no attributes for uid 65534")
is_(theirs.get(b"staged", {}).get("size"), 8192, "but its size, as stat shows it")
is_(theirs.get(b"shared", {}).get("exporter"), "memfd",
    "a 0644 file: its attributes are readable, and listed")

# A refused name says so.
fd = memfd(PAGE)
st, msg, _, _ = publish(fd, b"bad\nname")
is_(status_name(st), "EINVAL", "PUBLISH of a name with a newline -> EINVAL")
ok("invalid name" in msg and "malformed" not in msg, "the reply says invalid name", msg)
st, msg, _, _ = publish(fd, b"x" * 256)
is_(status_name(st), "ENAMETOOLONG", "PUBLISH of a 256-byte name -> ENAMETOOLONG")
ok("invalid name (longer than 255 bytes)" in msg, "the reply says why", msg)
os.close(fd)
PYEOF
grep -q 'invalid name' "$DAEMON_LOG"
ok $? "the daemon's log says invalid name"

# --mount naming another directory: that directory, not the daemon's tree.
mkdir "$T/other" && echo hi >"$T/other/other-file"
dmabufctl list --mount "$T/other" >"$T/other.out" 2>&1
ok $? "dmabufctl list --mount OTHER succeeds"
like "$(cat "$T/other.out")" 'other-file' "it lists OTHER's file"
if grep -q '^pub ' "$T/other.out"; then
	fail "it does not list the daemon's buffers"
else
	pass "it does not list the daemon's buffers"
fi

# More than one chunk: 500 long names (about 630 bytes of JSON each).
py <<'PYEOF'
import json, os, struct
from tap import *
for i in range(500):
    with open(os.path.join(M, "long-%03d-" % i + "n" * 240), "wb") as f:
        f.write(b"l")
s = ctl_connect()
s.send(encode_request(4, b""))
data = s.recv(1 << 17)
s.close()
doc = json.loads(data[16:16 + struct.unpack_from("=IiII", data)[2]])
ok(doc.get("next") is not None and 0 < len(doc["buffers"]) < 500,
   "the first chunk holds part of the listing and a cursor (%d)" % len(doc.get("buffers", [])))
ok(len(data) <= 16 + 128 * 1024, "a chunk is at most 128 KiB (%d bytes)" % len(data))
PYEOF
for form in "" --json; do
	dmabufctl list $form >"$T/many-socket$form.out" 2>&1
	DMABUFFS_CONTROL=$T/no-such-socket dmabufctl list $form >"$T/many-mount$form.out" 2>&1
	[ "$form" = --json ] && unsource "$T/many-socket$form.out"
	same_file "$T/many-mount$form.out" "$T/many-socket$form.out" \
		"list $form of 507 buffers in chunks: byte-identical to the mount's"
done
is "$(tail -n +2 "$T/many-socket.out" | wc -l)" 507 "all 507 buffers are listed"

done_testing
