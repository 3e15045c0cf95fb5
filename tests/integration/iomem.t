#!/bin/bash
# Buffers flagged as I/O memory go through the I/O accessor shim: every
# access pattern must still be byte-exact. Run once on a mount with
# -o iomem=always and once with the per-buffer xattr override.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
require_host

# battery FILE LABEL REASON-REGEX
battery() {
	local F=$1 L=$2 re=$3 S=$T/shadow.$2
	is "$(xattr "$F" user.dmabuf.iomem)" 1 "$L: iomem reads 1"
	like "$(xattr "$F" user.dmabuf.iomem_reason)" "$re" \
		"$L: iomem_reason says why (/$re/)"
	info=$(dmabufctl info "$F" 2>&1)
	like "$info" 'iomem[^_a-z0-9]*1' "$L: dmabufctl info shows iomem 1"

	head -c 262144 /dev/urandom >"$T/rand"
	head -c 4099 /dev/urandom >"$T/rand2"
	check "$L: dd 256 KiB in" -- dd if="$T/rand" of="$F" bs=64K conv=notrunc status=none
	check "$L: reads back byte-exact (cmp)" -- cmp "$T/rand" "$F"
	check "$L: reads back in odd 4097-byte blocks" -- \
		sh -c "dd if='$F' bs=4097 status=none | cmp - '$T/rand'"
	cp "$T/rand" "$S"
	local seek
	for seek in 1 3 4095 4097 12345 65535; do
		check "$L: dd bs=1 seek=$seek count=333" -- \
			dd if="$T/rand2" of="$F" bs=1 seek=$seek skip=7 count=333 conv=notrunc status=none
		dd if="$T/rand2" of="$S" bs=1 seek=$seek skip=7 count=333 conv=notrunc status=none
	done
	check "$L: content after odd dd writes is byte-exact" -- cmp "$S" "$F"
	check "$L: dd bs=1 skip=4093 count=7 reads the right bytes" -- bash -c \
		"dd if='$F' bs=1 skip=4093 count=7 status=none | cmp - \
		 <(dd if='$S' bs=1 skip=4093 count=7 status=none)"
	check "$L: the last 3 bytes write" -- sh -c \
		"printf xyz | dd of='$F' bs=1 seek=262141 conv=notrunc status=none"
	printf xyz | dd of="$S" bs=1 seek=262141 conv=notrunc status=none
	check "$L: content after a tail write is byte-exact" -- cmp "$S" "$F"

	py "$F" "$S" "$L" <<'EOF'
import os, sys, mmap
from tap import *
F, S, L = sys.argv[1:4]
size = os.stat(F).st_size
model = bytearray(open(S, "rb").read())
fd = os.open(F, os.O_RDWR)
bad = []
for off in range(1, 10):
    for n in range(1, 34):
        for base in (0, 4096 - 5, 8192 + 8):
            o = base + off
            data = bytes(((o * 37 + n * 11 + i) & 0xFF) for i in range(n))
            w = os.pwrite(fd, data, o)
            model[o:o + n] = data
            r = os.pread(fd, n, o)
            if w != n or r != data:
                bad.append((o, n, w, r.hex(), data.hex()))
ok(not bad, "%s: pwrite/pread at offsets 1..9 (+0, +4091, +8200), lengths 1..33" % L,
   "first mismatches: %r" % bad[:3])
bad = []
for off in range(0, 17):
    for n in (1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 4096, 4097):
        r = os.pread(fd, n, 8192 + off)
        if r != bytes(model[8192 + off:8192 + off + n]):
            bad.append((8192 + off, n))
ok(not bad, "%s: pread at every alignment 0..16 and sizes 1..4097 matches" % L,
   "mismatches: %r" % bad[:5])
is_(pread_all(fd, size, 0), bytes(model), "%s: whole buffer matches the model" % L)

mm = mmap.mmap(fd, size, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
is_(mm[:size], bytes(model), "%s: a MAP_SHARED mapping shows the same bytes" % L)
mm[4095:4100] = b"MMAP!"
model[4095:4100] = b"MMAP!"
mm[7:8] = b"\xa5"
model[7:8] = b"\xa5"
mm.flush()
fd2 = os.open(F, os.O_RDONLY)
is_(os.pread(fd2, 5, 4095), b"MMAP!", "%s: a store through the mapping reaches read() after msync" % L)
is_(os.pread(fd2, 1, 7), b"\xa5", "%s: a single-byte mapped store at offset 7 arrives" % L)
os.close(fd2)
os.pwrite(fd, b"PWRITE", 10001)
model[10001:10007] = b"PWRITE"
dma_buf_sync(fd, SYNC_START | SYNC_READ)
is_(mm[10001:10007], b"PWRITE", "%s: the mapping sees a write() after SYNC_START" % L)
dma_buf_sync(fd, SYNC_END | SYNC_READ)
mm.close()
os.close(fd)
is_(read_file(F), bytes(model), "%s: final content matches the model" % L)
st, efd, msg = export(os.path.basename(F))
if st == 0 and efd is not None:
    is_(fd_content(efd, size), bytes(model), "%s: the exported fd shows the same bytes" % L)
    os.close(efd)
else:
    ok(False, "%s: the exported fd shows the same bytes" % L,
       "EXPORT: %s %s" % (status_name(st), msg))
EOF
}

# 1. the mount option
start_daemon iomem=always || bail_out "dmabuffs -o iomem=always did not mount"
pass "dmabuffs -o iomem=always mounts $M"
check "truncate -s 256K io" -- truncate -s 256K "$M/io"
battery "$M/io" always 'always|mount|option'
# the explicit per-buffer setting wins over the mount option
check "setfattr iomem=0 on an iomem=always mount" -- setfattr -n user.dmabuf.iomem -v 0 "$M/io"
is "$(xattr "$M/io" user.dmabuf.iomem)" 0 "the per-buffer setting beats iomem=always"
stop_daemon

# 2. the per-buffer override on a default mount
start_daemon || bail_out "dmabuffs did not mount"
pass "dmabuffs (iomem=auto) mounts $M"
check "truncate -s 256K io2" -- truncate -s 256K "$M/io2"
is "$(xattr "$M/io2" user.dmabuf.iomem)" 0 "memfd buffers are system memory by default"
check "setfattr -n user.dmabuf.iomem -v 1" -- setfattr -n user.dmabuf.iomem -v 1 "$M/io2"
battery "$M/io2" xattr 'xattr|override|explicit|user|set'
stop_daemon

# 3. iomem=never beats the automatic rule but not the xattr
start_daemon iomem=never || bail_out "dmabuffs -o iomem=never did not mount"
check "truncate -s 4K n" -- truncate -s 4K "$M/n"
is "$(xattr "$M/n" user.dmabuf.iomem)" 0 "iomem=never: iomem reads 0"
check "setfattr iomem=1 on an iomem=never mount" -- setfattr -n user.dmabuf.iomem -v 1 "$M/n"
is "$(xattr "$M/n" user.dmabuf.iomem)" 1 "the per-buffer setting beats iomem=never"
stop_daemon

done_testing
