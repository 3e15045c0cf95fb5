#!/bin/bash
# dmabufctl snapshot of YUV, 10-bit and grey buffers: known patterns are
# written into buffer files on a real mount, described by their xattrs or
# the command line, snapshotted, and the PNG's pixels (read back here with
# zlib, not libpng) compared with a conversion computed independently in
# Python: within +-1 per channel.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
require_host

start_daemon || bail_out "dmabuffs did not mount"

py <<'PYEOF'
import os, random, struct, subprocess, sys
sys.path.insert(0, os.path.join(os.environ["top_srcdir"], "tests", "helpers"))
from tap import *
from pngread import read_png

rnd = random.Random(20261202)

# Published matrix coefficients (Rec. 601 / Rec. 709), Y'CbCr -> R'G'B'.
COEF = {
    "bt601": (1.402, 0.344136, 0.714136, 1.772),
    "bt709": (1.5748, 0.187324, 0.468124, 1.8556),
}

def yuv_rgb(y, u, v, bits, matrix, rng, outmax):
    s = 1 << (bits - 8)
    if rng == "full":
        yn = y / ((1 << bits) - 1)
        pb = (u - 128 * s) / ((1 << bits) - 1)
        pr = (v - 128 * s) / ((1 << bits) - 1)
    else:
        yn = (y - 16 * s) / (219 * s)
        pb = (u - 128 * s) / (224 * s)
        pr = (v - 128 * s) / (224 * s)
    a, b, c, d = COEF[matrix]
    rgb = (yn + a * pr, yn - b * pb - c * pr, yn + d * pb)
    return [min(outmax, max(0, int(round(x * outmax)))) for x in rgb]

def rnd_bytes(n):
    return bytearray(rnd.getrandbits(8) for _ in range(n))

def make_buffer(name, data, xattrs):
    path = os.path.join(M, name)
    with open(path, "wb") as f:
        f.write(data)
    for k, v in xattrs.items():
        os.setxattr(path, "user.dmabuf." + k, str(v).encode())
    return path

def snapshot(path, args):
    out = path.replace(M, T) + ".png"
    p = subprocess.run(["dmabufctl", "snapshot", path, "-o", out] + args,
                       capture_output=True, text=True)
    return p.returncode, p.stderr, out

def compare(desc, path, args, want, channels, depth):
    st, err, out = snapshot(path, args)
    if not ok(st == 0, "%s: snapshot succeeds" % desc, err):
        return
    w, h, ch, dp, rows = read_png(out)
    is_((w, h, ch, dp), (len(want[0]), len(want), channels, depth),
        "%s: PNG is %dx%d, %d channels, %d-bit" % (desc, len(want[0]), len(want), channels, depth))
    worst, at = 0, None
    for y, row in enumerate(want):
        for x, px in enumerate(row):
            got = rows[y][x * ch:(x + 1) * ch]
            d = max(abs(g - e) for g, e in zip(got, px))
            if d > worst:
                worst, at = d, (x, y, got, px)
    ok(worst <= 1, "%s: every pixel within +-1 of the reference" % desc,
       "worst %d at %r" % (worst, at))

# ---------------------------------------------------------------- YUV 8-bit
def semi_planar(desc, fourcc, w, h, ystride, vsub, swap, matrix, rng, xattr_stride):
    # Y plane, then the chroma plane right after it at the same stride (the
    # default when only a stride is given).
    crows = (h + vsub - 1) // vsub
    data = rnd_bytes(ystride * h + ystride * crows)
    want = []
    for y in range(h):
        row = []
        for x in range(w):
            Y = data[y * ystride + x]
            c = ystride * h + (y // vsub) * ystride + (x // 2) * 2
            U, V = data[c], data[c + 1]
            if swap:
                U, V = V, U
            row.append(yuv_rgb(Y, U, V, 8, matrix, rng, 255))
        want.append(row)
    xa = {"format": fourcc, "width": w, "height": h}
    args = []
    if xattr_stride:
        xa["stride"] = ystride
    else:
        args += ["--stride", str(ystride)]
    if matrix != "bt601":
        args += ["--matrix", matrix]
    if rng != "limited":
        args += ["--range", rng]
    compare(desc, make_buffer(fourcc.lower() + desc.split()[-1], data, xa), args, want, 3, 8)

semi_planar("NV12 bt601 limited", "NV12", 16, 8, 20, 2, False, "bt601", "limited", True)
semi_planar("NV12 bt709 full", "NV12", 16, 8, 16, 2, False, "bt709", "full", False)
semi_planar("NV21 bt601 limited", "NV21", 12, 6, 12, 2, True, "bt601", "limited", True)
semi_planar("NV16 bt709 limited", "NV16", 10, 4, 12, 1, False, "bt709", "limited", True)

def packed(desc, fourcc, w, h, stride, order, matrix, rng):
    data = rnd_bytes(stride * h)
    want = []
    for y in range(h):
        row = []
        for x in range(w):
            blk = data[y * stride + (x // 2) * 4:y * stride + (x // 2) * 4 + 4]
            comp = dict(zip(order, blk))
            Y = comp["Y0"] if x % 2 == 0 else comp["Y1"]
            row.append(yuv_rgb(Y, comp["U"], comp["V"], 8, matrix, rng, 255))
        want.append(row)
    args = (["--matrix", matrix] if matrix != "bt601" else []) + \
           (["--range", rng] if rng != "limited" else [])
    compare(desc, make_buffer(fourcc.lower() + desc.split()[-1],
                              data, {"format": fourcc, "width": w, "height": h, "stride": stride}),
            args, want, 3, 8)

packed("YUYV bt601 limited", "YUYV", 8, 4, 20, ("Y0", "U", "Y1", "V"), "bt601", "limited")
packed("UYVY bt709 full", "UYVY", 6, 3, 12, ("U", "Y0", "V", "Y1"), "bt709", "full")

def planar(desc, fourcc, w, h, swap, matrix):
    # Three planes placed by --plane, with gaps, at their own strides.
    cw, chh = (w + 1) // 2, (h + 1) // 2
    ys, cs = w + 3, cw + 5
    yoff, uoff = 7, 7 + ys * h + 11
    voff = uoff + cs * chh + 13
    data = rnd_bytes(voff + cs * chh + 4)
    want = []
    for y in range(h):
        row = []
        for x in range(w):
            Y = data[yoff + y * ys + x]
            U = data[uoff + (y // 2) * cs + x // 2]
            V = data[voff + (y // 2) * cs + x // 2]
            if swap:
                U, V = V, U
            row.append(yuv_rgb(Y, U, V, 8, matrix, "limited", 255))
        want.append(row)
    args = ["--plane", "%d:%d" % (yoff, ys), "--plane", "%d:%d" % (uoff, cs),
            "--plane", "%d:%d" % (voff, cs), "--matrix", matrix]
    compare(desc, make_buffer(fourcc.lower(), data, {"format": fourcc, "width": w, "height": h}),
            args, want, 3, 8)

planar("YU12 7x5 (odd) bt601 via --plane", "YU12", 7, 5, False, "bt601")
planar("YV12 8x6 bt709 via --plane", "YV12", 8, 6, True, "bt709")

# Per-plane pitches/offsets xattrs, as the scanout files will carry them.
# The mount does not take these names yet, so the buffer here is a plain
# file with user xattrs (snapshot reads any file).
def plane_xattrs(desc, w, h):
    ys, cs, coff = w + 4, w + 8, (w + 4) * h + 100
    data = rnd_bytes(coff + cs * (h // 2))
    want = [[yuv_rgb(data[y * ys + x], data[coff + (y // 2) * cs + (x // 2) * 2],
                     data[coff + (y // 2) * cs + (x // 2) * 2 + 1], 8, "bt601", "limited", 255)
             for x in range(w)] for y in range(h)]
    path = os.path.join(T, "nv12-planes")
    with open(path, "wb") as f:
        f.write(data)
    try:
        for k, v in (("format", "NV12"), ("width", w), ("height", h),
                     ("pitches", "%d,%d" % (ys, cs)), ("offsets", "0,%d" % coff)):
            os.setxattr(path, "user.dmabuf." + k, str(v).encode())
    except OSError as e:
        ok(True, "# SKIP %s: no user xattrs in %s (%s)" % (desc, T, e))
        return
    compare(desc, path, [], want, 3, 8)
    os.setxattr(path, "user.dmabuf.pitches", b"16,x")
    st, err, out = snapshot(path, [])
    ok(st == 1 and "invalid pitches '16,x'" in err, "a malformed pitches xattr is refused", err)

plane_xattrs("NV12 from pitches/offsets xattrs", 12, 6)

# ---------------------------------------------------------------- P010
w, h, ys = 8, 4, 16 * 2
vals = [[rnd.randrange(1024) for _ in range(w)] for _ in range(h)]
cvals = [[(rnd.randrange(1024), rnd.randrange(1024)) for _ in range(w // 2)] for _ in range(h // 2)]
data = bytearray(ys * h + ys * (h // 2))
for y in range(h):
    for x in range(w):
        struct.pack_into("<H", data, y * ys + 2 * x, vals[y][x] << 6 | rnd.randrange(64))
for y in range(h // 2):
    for x in range(w // 2):
        u, v = cvals[y][x]
        struct.pack_into("<HH", data, ys * h + y * ys + 4 * x, u << 6, v << 6)
want = [[yuv_rgb(vals[y][x], *cvals[y // 2][x // 2], 10, "bt709", "limited", 65535)
         for x in range(w)] for y in range(h)]
compare("P010 bt709 limited (16-bit PNG)",
        make_buffer("p010", data, {"format": "P010", "width": w, "height": h, "stride": ys}),
        ["--matrix", "bt709"], want, 3, 16)

# ---------------------------------------------------------------- 10-bit RGB
def widen(v):
    return v << 6 | v >> 4

for fourcc, order, alpha in (("XR30", "rgb", False), ("AR30", "rgb", True),
                             ("XB30", "bgr", False), ("AB30", "bgr", True)):
    w, h = 5, 3
    data, want = bytearray(), []
    for y in range(h):
        row = []
        for x in range(w):
            c = {k: rnd.randrange(1024) for k in "rgb"}
            a = rnd.randrange(4)
            hi, mid, lo = (c[order[0]], c[order[1]], c[order[2]])
            data += struct.pack("<I", a << 30 | hi << 20 | mid << 10 | lo)
            px = [widen(c["r"]), widen(c["g"]), widen(c["b"])]
            if alpha:
                px.append(a * 65535 // 3)
            row.append(px)
        want.append(row)
    compare("%s (16-bit PNG)" % fourcc,
            make_buffer(fourcc.lower(), data, {"format": fourcc, "width": w, "height": h}),
            [], want, 4 if alpha else 3, 16)

# ---------------------------------------------------------------- grey
w, h = 5, 3
g16 = [[rnd.randrange(65536) for _ in range(w)] for _ in range(h)]
data = bytearray(b"".join(struct.pack("<%dH" % w, *r) + b"\0\0" for r in g16))
compare("R16 (16-bit grey)", make_buffer("r16", data, {"format": "R16", "width": w,
        "height": h, "stride": 2 * w + 2}), [], [[[v] for v in r] for r in g16], 1, 16)
data = rnd_bytes(w * h)
compare("R8 (8-bit grey)", make_buffer("r8", data, {"format": "R8", "width": w, "height": h}),
        [], [[[data[y * w + x]] for x in range(w)] for y in range(h)], 1, 8)
data = rnd_bytes(4 * w * h)
compare("XR24 (8-bit RGB)", make_buffer("xr24", data, {"format": "XR24", "width": w, "height": h}),
        [], [[list(data[4 * (y * w + x):4 * (y * w + x) + 3][::-1]) for x in range(w)]
             for y in range(h)], 3, 8)
PYEOF

# ---------------------------------------------------------------- refusals
# Each is a clear error, exit 1, no PNG left behind, and no allocation of
# what the metadata claims (the file is 64 KiB).
truncate -s 65536 "$M/small"
setfattr -n user.dmabuf.format -v NV12 "$M/small"
setfattr -n user.dmabuf.width -v 64 "$M/small"
setfattr -n user.dmabuf.height -v 32 "$M/small"

refuse() { # DESCRIPTION REGEX ARGS...
	local desc=$1 re=$2
	shift 2
	rm -f "$T/refused.png"
	dmabufctl snapshot "$M/small" -o "$T/refused.png" "$@" >"$T/refuse.out" 2>&1
	local st=$?
	is "$st" 1 "$desc: exit 1"
	like "$(cat "$T/refuse.out")" "$re" "$desc: says why"
	check "$desc: no PNG left" -- absent "$T/refused.png"
}

check "the 64x32 NV12 baseline snapshots" -- dmabufctl snapshot "$M/small" -o "$T/small.png"
refuse "a non-linear modifier" '0x0100000000000001 \(INTEL X_TILED\) is not linear' \
	--modifier 0x0100000000000001
# (setfattr would take a 0x value as hex bytes.)
setmod() { python3 -c 'import os, sys; os.setxattr(sys.argv[1], "user.dmabuf.modifier", sys.argv[2].encode())' "$M/small" "$1"; }
check "set the modifier xattr to I915 X_TILED" -- setmod 0x0100000000000001
refuse "a non-linear modifier in the xattr" '0x0100000000000001 \(INTEL X_TILED\) is not linear'
check "set the modifier xattr to 0 (linear)" -- setmod 0
check "a linear modifier snapshots" -- dmabufctl snapshot "$M/small" -o "$T/small.png"
refuse "a 60000x60000 frame in a 64 KiB file" '65536 bytes, but 60000x60000 NV12 .* needs 5400000000' \
	--width 60000 --height 60000
refuse "a frame over the size limit" 'larger than 65536x65536' --width 100000
refuse "a plane past the end" '65536 bytes, .*plane 1 at 65000, stride 64.* needs' \
	--plane 0:64 --plane 65000:64
refuse "an offset that overflows 64 bits" 'does not fit in 64 bits' \
	--plane 0:64 --plane 18446744073709551000:4096
refuse "a stride shorter than a row" 'stride is shorter than a row' --stride 63
refuse "a format it cannot convert" "pixel format 'Y210' is not supported" --format Y210
refuse "too many planes" '3 planes given, but NV12 has 2' --plane 0:64 --plane 2048:64 --plane 4096:64

stop_daemon
done_testing
