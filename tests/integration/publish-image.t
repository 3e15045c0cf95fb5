#!/bin/bash
# Published buffers carry their image layout: the PUBLISH trailer that
# dmabuffs_publish_image() sends (built here by an encoder of the wire
# format independent of src/lib/proto.c) sets the format/width/height/
# stride/modifier/pitches/offsets xattrs at once; a request without one is
# the old PUBLISH; a malformed trailer is EBADMSG and a layout without size
# or planes EINVAL. `dmabufctl publish --format --width --height --plane`
# does the same through the library, and the file snapshots with no layout
# options.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
require_host

start_daemon || bail_out "dmabuffs did not mount"

py <<'EOF'
import os, struct, subprocess, sys
sys.path.insert(0, os.path.join(os.environ["top_srcdir"], "tests", "helpers"))
from tap import *
from pngread import read_png

IMG = "=IIIIQII" + "QII" * 4   # magic, fourcc, w, h, modifier, nplanes, reserved, planes
IMG_MAGIC = 0x31474d49

def fourcc(s):
    return struct.unpack("<I", s.encode().ljust(4))[0]

def trailer(fcc, w, h, mod, planes, magic=IMG_MAGIC, nplanes=None):
    flat = []
    for i in range(4):
        off, stride = planes[i] if i < len(planes) else (0, 0)
        flat += [off, stride, 0]
    return struct.pack(IMG, magic, fourcc(fcc), w, h, mod,
                       len(planes) if nplanes is None else nplanes, 0, *flat)

def xattr(p, k):
    try:
        return os.getxattr(p, "user.dmabuf." + k).decode()
    except OSError as e:
        return ename(e.errno)

def send(op, name, extra, fds=()):
    s = ctl_connect()
    st, msg, rfds = ctl_raw(s, encode_request(op, name) + extra, fds)
    for f in rfds:
        os.close(f)
    s.close()
    return status_name(st), msg

W, H = 64, 32
fd = memfd(W * H * 3 // 2, bytes([16]) * (W * H) + bytes([128]) * (W * H // 2))

st, msg = send(OP_PUBLISH, "nv", trailer("NV12", W, H, 0, [(0, W), (W * H, W)]), (fd,))
is_(st, "OK", "PUBLISH with an NV12 layout trailer succeeds (%s)" % msg)
p = M + "/nv"
for k, want in (("format", "NV12"), ("width", "64"), ("height", "32"), ("stride", "64"),
                ("modifier", "0x0"), ("pitches", "64,64"), ("offsets", "0,2048")):
    is_(xattr(p, k), want, "the published file's %s xattr is %s" % (k, want))

out = os.path.join(os.environ["T"], "nv.png")
r = subprocess.run(["dmabufctl", "snapshot", p, "-o", out], capture_output=True, text=True)
is_(r.returncode, 0, "dmabufctl snapshot reads the layout from the xattrs (%s)" % r.stderr.strip())
if r.returncode == 0:
    w, h, ch, depth, rows = read_png(out)
    is_((w, h, list(rows[0][:3])), (W, H, [0, 0, 0]),
        "Y=16 Cb=Cr=128 snapshots to a black 64x32 PNG")

st, _ = send(OP_PUBLISH, "plain", b"", (fd,))
is_(st, "OK", "PUBLISH without a trailer still works")
is_(xattr(M + "/plain", "format"), "ENODATA", "and sets no format")

st, _ = send(OP_PUBLISH, "x1", trailer("NV12", W, H, 0, [(0, W)])[:-8], (fd,))
is_(st, "EBADMSG", "a trailer of the wrong size -> EBADMSG")
st, _ = send(OP_PUBLISH, "x2", trailer("NV12", W, H, 0, [(0, W)], magic=0x12345678), (fd,))
is_(st, "EBADMSG", "a trailer with a bad magic -> EBADMSG")
t = bytearray(trailer("NV12", W, H, 0, [(0, W)]))
t[-16:-8] = struct.pack("=Q", 4096)   # plane 3's offset, past nplanes
st, _ = send(OP_PUBLISH, "x3", bytes(t), (fd,))
is_(st, "EBADMSG", "a trailer with data in a plane past nplanes -> EBADMSG")
st, _ = send(OP_UNPUBLISH, "nv", trailer("NV12", W, H, 0, [(0, W)]))
is_(st, "EBADMSG", "a trailer on UNPUBLISH -> EBADMSG")
ok(os.path.exists(p), "and nv is still there")
for what, t in (("no planes", trailer("NV12", W, H, 0, [])),
                ("five planes", trailer("NV12", W, H, 0, [(0, W)], nplanes=5)),
                ("a zero width", trailer("NV12", 0, H, 0, [(0, W)])),
                ("a zero stride", trailer("NV12", W, H, 0, [(0, 0)])),
                ("an unprintable fourcc", trailer("\x01\x02\x03\x04", W, H, 0, [(0, W)]))):
    st, _ = send(OP_PUBLISH, "bad", t, (fd,))
    is_(st, "EINVAL", "a layout with %s -> EINVAL" % what)
ok(not os.path.exists(M + "/bad"), "no refused layout made a file")
os.close(fd)
EOF

# The CLI: dmabufctl publish --fd N NAME with the layout options, N a
# memfd (the host mount runs the memfd backend).
xval() { getfattr --absolute-names --only-values -n "user.dmabuf.$2" "$1" 2>&1; }
pub() {
	python3 -c 'import os, sys
fd = os.memfd_create("frame", os.MFD_ALLOW_SEALING)
os.ftruncate(fd, 8192)
os.set_inheritable(fd, True)
os.execvp("dmabufctl", ["dmabufctl", "publish", "--fd", str(fd)] + sys.argv[1:])' "$@"
}
check "dmabufctl publish --format YUYV --width 32 --height 16 --plane 0:64 --modifier LINEAR" -- \
	pub --format YUYV --width 32 --height 16 --plane 0:64 --modifier LINEAR cli
is "$(xval "$M/cli" format)" YUYV "cli has format YUYV"
is "$(xval "$M/cli" pitches)" 64 "cli has pitches 64"
is "$(xval "$M/cli" offsets)" 0 "cli has offsets 0"
is "$(xval "$M/cli" modifier)" 0x0 "cli has modifier 0x0"
check "cli snapshots with no layout options" -- dmabufctl snapshot "$M/cli" -o "$T/cli.png"
pub --format NV12 --width 32 --height 16 --plane 0:32 one >"$T/out" 2>&1
is "$?" 2 "NV12 with one --plane is a usage error"
check "and says how many planes NV12 has" -- grep -q "NV12 has 2 planes" "$T/out"
pub --format YUYV --width 32 --plane 0:64 nohigh >"$T/out" 2>&1
is "$?" 2 "a layout without --height is a usage error"
pub --format YUYV --width 32 --height 16 --plane 0:0 zero >"$T/out" 2>&1
is "$?" 2 "--plane 0:0 (no stride) is a usage error"
check "no refused publish made a file" -- sh -c "! ls '$M/one' '$M/nohigh' '$M/zero' 2>/dev/null"
done_testing
