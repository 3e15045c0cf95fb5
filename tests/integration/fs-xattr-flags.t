#!/bin/bash
# setxattr(2) flags on user.dmabuf.* (XATTR_CREATE of a set attribute is
# EEXIST, XATTR_REPLACE of an unset one ENODATA, as on any file system),
# and the per-plane metadata pitches/offsets beside format/width/...
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
require_host

start_daemon || bail_out "dmabuffs did not mount"
check "truncate -s 16K buf" -- truncate -s 16K "$M/buf"
check "touch staged (no buffer yet)" -- touch "$M/none"

py <<'EOF2'
import errno, os
from tap import *

F = M + "/buf"
C, R = os.XATTR_CREATE, os.XATTR_REPLACE

def try_set(name, value, flags, path=F):
    try:
        os.setxattr(path, "user.dmabuf." + name, value, flags)
        return "OK"
    except OSError as e:
        return ename(e.errno)

is_(try_set("width", b"640", R), "ENODATA", "XATTR_REPLACE of an unset width: ENODATA")
is_(try_set("width", b"640", C), "OK", "XATTR_CREATE of an unset width succeeds")
is_(try_set("width", b"800", C), "EEXIST", "XATTR_CREATE of a set width: EEXIST")
is_(os.getxattr(F, "user.dmabuf.width"), b"640", "the refused XATTR_CREATE left the value")
is_(try_set("width", b"800", R), "OK", "XATTR_REPLACE of a set width succeeds")
is_(os.getxattr(F, "user.dmabuf.width"), b"800", "... and replaced it")
is_(try_set("width", b"1024", 0), "OK", "no flags: set whatever is there")
os.removexattr(F, "user.dmabuf.width")
is_(try_set("width", b"1", R), "ENODATA", "after removexattr, XATTR_REPLACE is ENODATA again")
# iomem always has a value (the policy's); name once there is a buffer.
is_(try_set("iomem", b"1", C), "EEXIST", "XATTR_CREATE of iomem (always set): EEXIST")
is_(try_set("iomem", b"0", R), "OK", "XATTR_REPLACE of iomem succeeds")
is_(try_set("name", b"x", C), "EEXIST", "XATTR_CREATE of the name of a buffer: EEXIST")
is_(try_set("name", b"x", R), "OK", "XATTR_REPLACE of the name of a buffer succeeds")
is_(try_set("name", b"x", R, M + "/none"), "ENODATA",
    "XATTR_REPLACE of the name of an unallocated file: ENODATA")

# pitches and offsets: comma-separated numbers, like format/width/height.
for k, v in (("pitches", b"5120,2560"), ("offsets", b"0,0x3e8000")):
    is_(try_set(k, v, 0), "OK", "setxattr %s=%s" % (k, v.decode()))
    is_(os.getxattr(F, "user.dmabuf." + k), v, "%s reads back" % k)
    ok("user.dmabuf." + k in os.listxattr(F), "listxattr lists %s" % k, os.listxattr(F))
    is_(try_set(k, v, C), "EEXIST", "XATTR_CREATE of a set %s: EEXIST" % k)
for bad in (b"16,x", b"", b",1", b"1,", b"1,,2", b"-1", b"1,2,3,4,5", b"+1"):
    is_(try_set("pitches", bad, 0), "EINVAL", "pitches=%r is refused (EINVAL)" % bad)
is_(os.getxattr(F, "user.dmabuf.pitches"), b"5120,2560", "a refused value leaves the old one")
is_(try_set("offsets", b"1," * 32 + b"1", 0), "ERANGE", "offsets longer than 64 bytes: ERANGE")
os.removexattr(F, "user.dmabuf.offsets")
ok("user.dmabuf.offsets" not in os.listxattr(F), "removexattr offsets: not listed any more")
ok("user.dmabuf.pitches" not in os.listxattr(M + "/none"),
   "an unset pitches is not listed")
EOF2

stop_daemon
done_testing
