#!/bin/bash
# The shipped examples work against a real mount: gradient.c draws into a
# buffer file through mmap and tags it, inspect-buffers.sh lists it, and
# dmabufctl snapshot turns it into a PNG with the right pixels.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
require_host

start_daemon || bail_out "dmabuffs did not mount"
gradient="$top_builddir/examples/gradient"
check "examples/gradient was built" -- test -x "$gradient"

check "gradient allocates and draws a 64x32 image" -- "$gradient" "$M/grad" 64 32
is "$(fsize "$M/grad")" 8192 "the buffer is stride*height = 256*32 bytes"
is "$(xattr "$M/grad" user.dmabuf.format)" XR24 "gradient tags the format"
is "$(xattr "$M/grad" user.dmabuf.width)x$(xattr "$M/grad" user.dmabuf.height)" 64x32 \
	"gradient tags the geometry"
# The drawn pixels are in the buffer itself, not only in the page cache:
# read them through an fd the daemon exports (no FUSE in between).
py <<'PYEOF'
import os, mmap, struct
from tap import *
st, efd, msg = export("grad")
ok(st == 0, "the gradient buffer exports", msg)
if efd is not None:
    m = mmap.mmap(efd, 8192, mmap.MAP_SHARED, mmap.PROT_READ)
    px = lambda x, y: struct.unpack_from("<I", m, y * 256 + x * 4)[0]
    ok(px(0, 0) != px(63, 31), "the image is not flat (%08x vs %08x)" % (px(0, 0), px(63, 31)))
    diffs = sum(1 for x in range(1, 64) if px(x, 5) != px(x - 1, 5))
    ok(diffs > 32, "a row changes from pixel to pixel (%d of 63 steps)" % diffs)
    m.close(); os.close(efd)
PYEOF

out=$(sh "$top_srcdir/examples/inspect-buffers.sh" "$M" 2>&1)
like "$out" "grad" "inspect-buffers.sh lists the buffer"
like "$out" "memfd" "inspect-buffers.sh shows its exporter"

check "dmabufctl snapshot writes a PNG from the metadata" -- \
	dmabufctl snapshot "$M/grad" -o "$T/grad.png"
is "$(head -c 8 "$T/grad.png" | od -An -tx1 | tr -d ' \n')" 89504e470d0a1a0a \
	"the snapshot is a PNG file"
is "$(python3 -c "import struct,sys; d=open(sys.argv[1],'rb').read(); print('%dx%d' % struct.unpack('>II', d[16:24]))" "$T/grad.png")" \
	64x32 "the PNG has the buffer's geometry"

done_testing
