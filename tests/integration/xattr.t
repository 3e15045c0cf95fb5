#!/bin/bash
# The user.dmabuf.* extended attributes of a created memfd buffer.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
require_host
command -v getfattr >/dev/null && command -v setfattr >/dev/null ||
	skip_all "getfattr/setfattr (package attr) missing"

start_daemon || bail_out "dmabuffs did not mount"
pass "dmabuffs -f mounts $M"
check "truncate -s 16K buf" -- truncate -s 16K "$M/buf"
F=$M/buf

check "getfattr -d -m user.dmabuf succeeds" -- getfattr -d -m user.dmabuf "$F"
cp "$T/last.out" "$T/dump"
check "dump shows user.dmabuf.exporter=\"memfd\"" -- grep -qx 'user.dmabuf.exporter="memfd"' "$T/dump"
check "dump shows user.dmabuf.iomem=\"0\"" -- grep -qx 'user.dmabuf.iomem="0"' "$T/dump"
check "dump shows user.dmabuf.origin=\"created\"" -- grep -qx 'user.dmabuf.origin="created"' "$T/dump"
check "dump shows a numeric user.dmabuf.inode" -- grep -Eqx 'user.dmabuf.inode="[0-9]+"' "$T/dump"
check "dump shows user.dmabuf.name" -- grep -q '^user.dmabuf.name' "$T/dump"
check "dump shows user.dmabuf.holders" -- grep -q '^user.dmabuf.holders' "$T/dump"

is "$(xattr "$F" user.dmabuf.exporter)" memfd "exporter is memfd"
is "$(xattr "$F" user.dmabuf.backend)" memfd "backend is memfd"
is "$(xattr "$F" user.dmabuf.iomem)" 0 "iomem is 0 (memfd is system memory)"
like "$(xattr "$F" user.dmabuf.iomem_reason)" '.' "iomem_reason is not empty"
is "$(xattr "$F" user.dmabuf.origin)" created "origin is created"
ino=$(xattr "$F" user.dmabuf.inode)
like "$ino" '^[0-9]+$' "inode is a number"
check "by-inode/<inode xattr> exists" -- test -L "$M/by-inode/$ino"

# iomem override: 1, back to 0, and auto returns to the policy
check "setfattr iomem=1" -- setfattr -n user.dmabuf.iomem -v 1 "$F"
is "$(xattr "$F" user.dmabuf.iomem)" 1 "iomem reads 1 after setting it"
like "$(xattr "$F" user.dmabuf.iomem_reason)" '.' "iomem_reason says something after the override"
head -c 16384 /dev/urandom >"$T/r"
check "dd through the I/O accessor after iomem=1" -- dd if="$T/r" of="$F" bs=4k conv=notrunc status=none
check "content is byte-exact with iomem=1" -- cmp "$T/r" "$F"
check "setfattr iomem=0" -- setfattr -n user.dmabuf.iomem -v 0 "$F"
is "$(xattr "$F" user.dmabuf.iomem)" 0 "iomem reads 0 again"
check "content is unchanged by the flag flips" -- cmp "$T/r" "$F"
check "setfattr iomem=auto" -- setfattr -n user.dmabuf.iomem -v auto "$F"
is "$(xattr "$F" user.dmabuf.iomem)" 0 "iomem=auto returns to the policy (0 for memfd)"

# name: at most 31 bytes, does not rename the file
n31=abcdefghijklmnopqrstuvwxyz01234
check "setfattr name of 31 bytes" -- setfattr -n user.dmabuf.name -v "$n31" "$F"
is "$(xattr "$F" user.dmabuf.name)" "$n31" "name reads back"
check "setting the name does not rename the file" -- test -f "$F"
check_fails "setfattr name of 32 bytes fails" -- setfattr -n user.dmabuf.name -v "${n31}5" "$F"
is "$(xattr "$F" user.dmabuf.name)" "$n31" "a refused name leaves the old one"

# rename sets the dma-buf name (dmabuffs(5), OPERATIONS: "Renames the file and sets
# the dma-buf's name")
check "mv buf renamed" -- mv "$F" "$M/renamed"
F=$M/renamed
is "$(xattr "$F" user.dmabuf.name)" renamed "after rename, name is the new file name"
is "$(xattr "$F" user.dmabuf.inode)" "$ino" "rename keeps the dma-buf inode"
is "$(readlink "$M/by-inode/$ino")" ../renamed "by-inode/$ino follows the rename"
check "by-exporter/memfd/renamed exists" -- test -L "$M/by-exporter/memfd/renamed"
check "by-exporter/memfd/buf is gone" -- sh -c "! test -e '$M/by-exporter/memfd/buf'"

# image metadata roundtrip
for kv in format=XR24 width=1280 height=800 stride=5120 modifier=0x0100000000000001; do
	# setfattr reads a value starting with 0x as hex: quote it to keep the text.
	k=${kv%%=*} v=${kv#*=}
	check "setfattr $k=$v" -- setfattr -n "user.dmabuf.$k" -v "\"$v\"" "$F"
	is "$(xattr "$F" "user.dmabuf.$k")" "$v" "$k reads back $v"
done
check "getfattr -d lists the metadata" -- sh -c \
	"getfattr -d -m user.dmabuf '$F' | grep -qx 'user.dmabuf.width=\"1280\"'"

# holders: "PID:KINDS" per holding process (KINDS fd, map or fd,map); with
# the memfd backend the daemon holds the fd
export DAEMON_PID
py <<'EOF'
import os, re
from tap import *
p = M + "/renamed"
raw = os.getxattr(p, "user.dmabuf.holders").decode()
toks = raw.split()
ok(len(toks) > 0 and all(re.fullmatch(r"[1-9][0-9]*:(fd|map|fd,map)", t) for t in toks),
   "holders is a list of PID:KINDS", "holders=%r" % raw)
pids = [t.split(":")[0] for t in toks]
pid = os.environ["DAEMON_PID"]
ok(pid + ":fd" in toks or pid + ":fd,map" in toks,
   "holders names the daemon's pid %s as an fd holder" % pid, "holders=%r" % raw)
ok(len(set(pids)) == len(pids), "each process once", "holders=%r" % raw)
ok(all(os.path.isdir("/proc/" + t) for t in pids),
   "every holder is a live process", "holders=%r" % raw)
EOF

# a name never written nor truncated has no buffer
check "touch empty" -- touch "$M/empty"
is "$(xattr "$M/empty" user.dmabuf.exporter)" none "an empty name's exporter is none"

# origin of a file created through new/memfd/
check "truncate -s 4K new/memfd/viaNew" -- truncate -s 4K "$M/new/memfd/viaNew"
is "$(xattr "$M/viaNew" user.dmabuf.origin)" created "new/memfd/ files have origin created"
is "$(xattr "$M/viaNew" user.dmabuf.exporter)" memfd "new/memfd/ files have exporter memfd"

done_testing
