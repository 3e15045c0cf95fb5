#!/bin/sh
# check-png PPM TAG screen
# check-png PPM TAG yuv FOURCC WIDTH HEIGHT OFFSET0:STRIDE0[,OFFSET1:STRIDE1]
#
# Host checker for PNGs that dmabufctl snapshot wrote in the guest. The guest
# prints each file it sends as "VMBLOB TAG.KIND BASE64" lines in its serial
# log (emit_blob in the guest tests); the log is ../serial.log of the PPM's
# directory. KIND png is the snapshot (kept as TAG.png next to the PPM,
# read with tests/helpers/pngread.py), KIND raw the frame it was made of.
#
# screen: every pixel of the PNG equals the screendump's (PPM, RGB 8-bit).
# yuv:    every pixel of the PNG is, within 1 per channel, the BT.601
#         limited-range conversion of the raw frame (nearest chroma sample),
#         computed here from the textbook equations, independently of
#         src/ctl/convert.c. The screendump is not looked at.
# Exit 0 match, 1 mismatch (reason on stderr, last line).
helpers=$(cd "$(dirname "$0")/../../helpers" && pwd) || exit 1
PYTHONPATH=$helpers exec python3 - "$@" <<'PY'
import base64, os, re, sys
from pngread import read_png

def die(msg):
    sys.stderr.write(msg + "\n")
    sys.exit(1)

ppm, tag, mode = sys.argv[1], sys.argv[2], sys.argv[3]
log = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(ppm))), "serial.log")

def blob(kind):
    pat = re.compile(rb"VMBLOB " + re.escape((tag + "." + kind).encode()) + rb" ([A-Za-z0-9+/=]+)")
    with open(log, "rb") as f:
        data = b"".join(m.group(1) for m in pat.finditer(f.read()))
    if not data:
        die("%s: no VMBLOB %s.%s lines" % (log, tag, kind))
    return base64.b64decode(data)

def png_decode(data):
    """(width, height, channels, rows of samples) of an 8-bit PNG."""
    path = os.path.join(os.path.dirname(os.path.abspath(ppm)), tag + ".png")
    with open(path, "wb") as f:
        f.write(data)
    w, h, ch, depth, rows = read_png(path)
    if depth != 8 or ch < 3:
        die("PNG of depth %d with %d channels: only 8-bit RGB(A)" % (depth, ch))
    return w, h, ch, rows

def ppm_decode(path):
    with open(path, "rb") as f:
        data = f.read()
    tok, pos = [], 0
    while len(tok) < 4:
        m = re.compile(rb"\s*(#[^\n]*\n\s*)*(\S+)").match(data, pos)
        tok.append(m.group(2))
        pos = m.end()
    if tok[0] != b"P6" or tok[3] != b"255":
        die("%s: not an 8-bit binary PPM" % path)
    w, h = int(tok[1]), int(tok[2])
    px = data[pos + 1:]
    return w, h, [px[y * w * 3:(y + 1) * w * 3] for y in range(h)]

pw, ph, ch, rows = png_decode(blob("png"))

if mode == "screen":
    sw, sh, srows = ppm_decode(ppm)
    if (pw, ph) != (sw, sh):
        die("snapshot is %dx%d, the screen %dx%d" % (pw, ph, sw, sh))
    bad = 0
    for y in range(ph):
        for x in range(pw):
            got = tuple(rows[y][x * ch:x * ch + 3])
            want = tuple(srows[y][x * 3:x * 3 + 3])
            if got != want:
                if not bad:
                    first = (x, y, got, want)
                bad += 1
    if bad:
        die("%d of %d pixels differ from the screendump; first at %d,%d: %s, screen %s"
            % ((bad, pw * ph) + first))
    print("%dx%d: all pixels equal the screendump" % (pw, ph))
    sys.exit(0)

if mode != "yuv":
    die("unknown mode " + mode)
fourcc, w, h = sys.argv[4], int(sys.argv[5]), int(sys.argv[6])
planes = [tuple(int(v) for v in p.split(":")) for p in sys.argv[7].split(",")]
raw = blob("raw")
if (pw, ph) != (w, h):
    die("snapshot is %dx%d, the frame %dx%d" % (pw, ph, w, h))

def yuv(x, y):
    if fourcc in ("YUYV", "UYVY"):
        off, stride = planes[0]
        base = off + y * stride + (x // 2) * 4
        q = raw[base:base + 4]
        if fourcc == "YUYV":
            return q[0 if x % 2 == 0 else 2], q[1], q[3]
        return q[1 if x % 2 == 0 else 3], q[0], q[2]
    if fourcc == "NV12":
        (yo, ys), (co, cs) = planes
        c = co + (y // 2) * cs + (x // 2) * 2
        return raw[yo + y * ys + x], raw[c], raw[c + 1]
    die("no reference for " + fourcc)

def clamp(v):
    return max(0, min(255, int(round(v))))

worst, bad = 0, 0
for y in range(h):
    for x in range(w):
        Y, U, V = yuv(x, y)
        # BT.601, limited range (Rec. 601 section 2.5.3 inverted)
        yy, u, v = 255.0 * (Y - 16) / 219, 255.0 * (U - 128) / 224, 255.0 * (V - 128) / 224
        want = (clamp(yy + 1.402 * v),
                clamp(yy - 0.344136 * u - 0.714136 * v),
                clamp(yy + 1.772 * u))
        got = rows[y][x * ch:x * ch + 3]
        d = max(abs(got[i] - want[i]) for i in range(3))
        if d > 1:
            if not bad:
                first = (x, y, tuple(got), want, (Y, U, V))
            bad += 1
        worst = max(worst, d)
if bad:
    die("%d of %d pixels off by more than 1; first at %d,%d: %s, reference %s from YUV %s"
        % ((bad, w * h) + first))
print("%dx%d %s: every pixel within %d of the reference" % (w, h, fourcc, worst))
PY
