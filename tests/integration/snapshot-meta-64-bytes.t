#!/bin/bash
# snapshot-meta-64-bytes: image metadata values may be 64 bytes long
# (dmabuffs(5)), and dmabufctl snapshot reads them whole: a 64-byte
# modifier ("0x" and 62 zeros, linear) and width, height and stride of 64
# bytes each (leading blanks are not numbers; leading zeros of a decimal
# would make it octal, so these are hex with zeros) give a picture, not
# ERANGE.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
require_host

start_daemon || bail_out "dmabuffs did not mount"
truncate -s 4K "$M/img" || bail_out "truncate failed"
# setfattr(1) would take a value starting with 0x for hex-encoded bytes.
py <<'PY' || fail "setting the metadata failed"
import os
p = os.environ["M"] + "/img"
os.setxattr(p, "user.dmabuf.format", b"XR24")
for k, v in (("width", 16), ("height", 16), ("stride", 64), ("modifier", 0)):
    os.setxattr(p, "user.dmabuf." + k, b"0x%062x" % v)
PY
is "$(xattr "$M/img" user.dmabuf.modifier | wc -c)" 64 "the modifier is stored as 64 bytes"
is "$(xattr "$M/img" user.dmabuf.width | wc -c)" 64 "... and so is the width"
check "dmabufctl snapshot reads 64-byte metadata" -- dmabufctl snapshot "$M/img" -o "$T/img.png"
check "... and writes a PNG" -- sh -c "head -c 8 '$T/img.png' | od -c | grep -q 'P   N   G'"
stop_daemon
done_testing
