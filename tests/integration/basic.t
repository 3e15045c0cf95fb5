#!/bin/bash
# The README session on a memfd-backed mount: create by truncate, write and
# read back, O_TRUNC ignored, staged copies, the symlink views, new/, and
# the CLI's list/info/alloc.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
require_host

start_daemon || bail_out "dmabuffs did not mount"
pass "dmabuffs -f mounts $M"

# ---------------------------------------------------------- truncate creates
check "truncate -s 1M creates buf" -- truncate -s 1M "$M/buf"
check "buf is a regular file" -- test -f "$M/buf"
is "$(fsize "$M/buf")" 1048576 "stat size of buf is 1048576"
is "$(stat -c %a:%u "$M/buf")" "600:0" "buf is mode 0600 owned by its creator (umask 0177)"
check "truncate -s 1000 creates small" -- truncate -s 1000 "$M/small"
is "$(fsize "$M/small")" "$PAGE_SIZE" "a 1000-byte truncate shows the real size, one page"

# ---------------------------------------------------------- write / read back
head -c 1048576 /dev/urandom >"$T/rand"
check "dd writes 1 MiB of random data into buf" -- \
	dd if="$T/rand" of="$M/buf" bs=64K status=none
is "$(fsize "$M/buf")" 1048576 "size unchanged after dd (its O_TRUNC is ignored)"
check "buf reads back what dd wrote (cmp)" -- cmp "$T/rand" "$M/buf"
check "a second open reads the same (cat | cmp)" -- \
	sh -c "cat '$M/buf' | cmp - '$T/rand'"

# cat x > FILE: O_TRUNC ignored, overwrite from the start.
printf 'hello, dma-buf\n' >"$T/hello"
check "cat x > buf succeeds" -- sh -c "cat '$T/hello' > '$M/buf'"
is "$(fsize "$M/buf")" 1048576 "size stays 1 MiB after cat x > buf"
check "cat x > buf wrote the first 15 bytes" -- cmp -n 15 "$T/hello" "$M/buf"
check "bytes after the first 15 keep their old content" -- \
	cmp -i 15:15 "$T/rand" "$M/buf"

py <<'EOF'
import os
from tap import *
buf = M + "/buf"
size = os.stat(buf).st_size
fd = os.open(buf, os.O_RDWR)
n = errno_of(os.pwrite, fd, b"0123456789", size - 4)
is_((n, errno_of.last if n == "OK" else None), ("OK", 4),
    "write of 10 bytes at size-4 writes the 4 that fit")
is_(os.pread(fd, 4, size - 4), b"0123", "the last 4 bytes are the ones written")
is_(os.pread(fd, 100, size), b"", "read at the end returns 0 bytes")
is_(os.pread(fd, 100, size + 12345), b"", "read past the end returns 0 bytes")
is_(len(os.pread(fd, 100, size - 3)), 3, "read across the end returns the 3 bytes left")
os.close(fd)
EOF
is "$(dd if="$M/buf" bs=4096 skip=256 count=4 status=none | wc -c)" 0 \
	"dd reading past the end gets 0 bytes"

# ---------------------------------------------------------- staged copy
head -c 10000 /dev/urandom >"$T/img.raw"
check "cp img.raw into the mount (no truncate first)" -- cp "$T/img.raw" "$M/img"
is "$(fsize "$M/img")" "$(page_round 10000)" "staged img is allocated at its size rounded up to pages"
check "img starts with the copied bytes" -- cmp -n 10000 "$T/img.raw" "$M/img"
is "$(tail -c +10001 "$M/img" | tr -d '\0' | wc -c)" 0 "img's padding after 10000 bytes reads as zeros"

py <<'EOF'
import os
from tap import *
p = M + "/staged"
data = pattern(5000, 3)
fd = os.open(p, os.O_CREAT | os.O_WRONLY, 0o600)
os.write(fd, data[:3000])
is_(os.fstat(fd).st_size, 3000, "a staged file grows with writes while open (3000)")
os.write(fd, data[3000:])
is_(os.fstat(fd).st_size, 5000, "... and again (5000)")
os.close(fd)
is_(os.stat(p).st_size, 8192 if PAGE == 4096 else PAGE * ((5000 + PAGE - 1) // PAGE),
    "after the last close the staged file has its page-rounded size")
is_(read_file(p, 0, 5000), data, "staged content survives the allocation")
end = "EPERM" if os.getxattr(p, "user.dmabuf.access") == b"passthrough" else "ENOSPC"
fd = os.open(p, os.O_WRONLY | os.O_APPEND)
got = errno_of(os.write, fd, b"more")
os.close(fd)
is_(got, end, "an O_APPEND write to an allocated staged file gets " + end)
is_(os.stat(p).st_size, 8192 if PAGE == 4096 else PAGE * ((5000 + PAGE - 1) // PAGE),
    "the size is fixed once allocated (append does not grow it)")
EOF

check "touch creates an empty name" -- touch "$M/empty"
is "$(fsize "$M/empty")" 0 "a created name never written stays a 0-byte file"

# ---------------------------------------------------------- listing and views
ls -1 "$M" >"$T/ls.out" 2>&1
for f in buf small img staged empty; do
	check "ls of the root shows $f" -- grep -qx "$f" "$T/ls.out"
done
for d in by-inode by-exporter new; do
	check "the root has the $d/ directory" -- test -d "$M/$d"
done

ino=$(xattr "$M/buf" user.dmabuf.inode)
like "$ino" '^[0-9]+$' "user.dmabuf.inode of buf is a number ($ino)"
check "by-inode/$ino is a symlink" -- test -L "$M/by-inode/$ino"
is "$(readlink "$M/by-inode/$ino")" "../buf" "by-inode/$ino -> ../buf"
is "$(stat -L -c %i "$M/by-inode/$ino" 2>&1)" "$(stat -c %i "$M/buf")" \
	"by-inode/$ino resolves to buf's inode"
check "reading through by-inode/$ino gives buf's content" -- cmp "$M/by-inode/$ino" "$M/buf"
check "by-exporter/memfd/buf is a symlink" -- test -L "$M/by-exporter/memfd/buf"
is "$(readlink "$M/by-exporter/memfd/buf")" "../../buf" "by-exporter/memfd/buf -> ../../buf"
is "$(stat -L -c %i "$M/by-exporter/memfd/buf" 2>&1)" "$(stat -c %i "$M/buf")" \
	"by-exporter/memfd/buf resolves to buf"
check "by-exporter/memfd lists img" -- test -L "$M/by-exporter/memfd/img"

check "new/memfd/ exists (the memfd backend can allocate)" -- test -d "$M/new/memfd"
check "truncate -s 64K new/memfd/x succeeds" -- truncate -s 64K "$M/new/memfd/x"
check "new/memfd/x created x in the root" -- test -f "$M/x"
is "$(fsize "$M/x")" 65536 "x is 64 KiB"
is "$(xattr "$M/x" user.dmabuf.exporter)" memfd "x's exporter is memfd"

# ---------------------------------------------------------- dmabufctl
check "dmabufctl list succeeds" -- dmabufctl list
cp "$T/last.out" "$T/list.out"
for f in buf img x; do
	check "dmabufctl list shows $f" -- grep -qw "$f" "$T/list.out"
done
check "dmabufctl list --json succeeds" -- dmabufctl list --json
cp "$T/last.out" "$T/list.json"
py "$T/list.json" <<'EOF'
import json, sys
from tap import *
try:
    doc = json.load(open(sys.argv[1]))
    err = None
except ValueError as e:
    doc, err = None, str(e)
ok(err is None, "dmabufctl list --json is valid JSON", err)

def strings(o):
    if isinstance(o, str):
        yield o
    elif isinstance(o, dict):
        for k, v in o.items():
            yield k
            yield from strings(v)
    elif isinstance(o, list):
        for v in o:
            yield from strings(v)

def records(o):
    if isinstance(o, dict):
        yield o
        for v in o.values():
            yield from records(v)
    elif isinstance(o, list):
        for v in o:
            yield from records(v)

names = set()
for s in strings(doc):
    names.add(s.rsplit("/", 1)[-1])
for n in ("buf", "img", "x"):
    ok(n in names, "list --json names %s" % n, "strings: %r" % sorted(names)[:40])
sizes = [r for r in records(doc)
         if any(isinstance(v, str) and v.rsplit("/", 1)[-1] == "buf" for v in r.values())]
ok(any(1048576 in r.values() or "1048576" in r.values() for r in sizes),
   "list --json gives buf's size 1048576", "records naming buf: %r" % sizes)
EOF

check "dmabufctl info buf succeeds" -- dmabufctl info "$M/buf"
cp "$T/last.out" "$T/info.out"
check "dmabufctl info shows the size" -- grep -q 1048576 "$T/info.out"
check "dmabufctl info shows exporter memfd" -- grep -Eiq 'exporter.*memfd' "$T/info.out"
check "dmabufctl info shows iomem 0" -- grep -Eiq 'iomem[^_a-z0-9]*0' "$T/info.out"

check "dmabufctl alloc 65536 allocd" -- dmabufctl alloc 65536 allocd
is "$(fsize "$M/allocd")" 65536 "allocd exists with 65536 bytes"
check "dmabufctl alloc --backend memfd 5000 allocd2" -- \
	dmabufctl alloc --backend memfd 5000 allocd2
is "$(fsize "$M/allocd2")" "$(page_round 5000)" "allocd2 is 5000 rounded up to pages"
check_fails "dmabufctl alloc onto an existing name fails" -- dmabufctl alloc 4096 allocd

stop_daemon
check "the mount is gone after SIGTERM" -- not_mounted "$M"
done_testing
