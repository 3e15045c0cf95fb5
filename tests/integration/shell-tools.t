#!/bin/bash
# shell-tools: the tools people copy, compare and watch files with work on
# a mount, with their exit statuses and the bytes they leave: cp, cp -a,
# mv across file systems, install -m, rsync -a (the root's times and mode
# included), rsync --inplace (its last ftruncate), tar c/x, sed -i, split,
# sponge, tee, dd, touch -d, fallocate, chmod/chown, find, du, df,
# sha256sum, numpy's memmap/fromfile and inotifywait. A buffer is whole
# pages: a 3,000,000-byte file is a 3,002,368-byte buffer (4 KiB pages),
# so contents are compared over the size given (cmp -n, head -c), and a
# truncate to that size is a no-op.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
require_host
for tool in rsync sponge inotifywait setpriv tar; do
	command -v "$tool" >/dev/null 2>&1 || skip_all "no $tool (./dev installs the test packages)"
done
# numpy from Debian's python3-numpy, also where another python3 is first on PATH
NUMPY_PY=
for py in python3 /usr/bin/python3; do
	"$py" -c 'import numpy' 2>/dev/null && NUMPY_PY=$py && break
done
[ -n "$NUMPY_PY" ] || skip_all "no numpy (python3-numpy)"

chmod 0755 "$T" # nobody reaches the mount point for the touch checks
start_daemon "allow_other" || bail_out "dmabuffs did not mount"

GIVEN=3000000
SIZE=$(page_round $GIVEN)
NOBODY=(setpriv --reuid=65534 --regid=65534 --clear-groups)

# given_bytes FILE WANT DESC: FILE's first size-of-WANT bytes are WANT's,
# and every byte after them is zero (the page's tail).
given_bytes() {
	local n
	n=$(fsize "$2")
	if cmp -s -n "$n" "$1" "$2" && [ "$(tail -c +"$((n + 1))" "$1" | tr -d '\0' | wc -c)" = 0 ]; then
		pass "$3"
	else
		fail "$3"
		diag "$(cmp -n "$n" "$1" "$2" 2>&1); size $(fsize "$1")"
	fi
}

mkdir -p "$T/src"
head -c $GIVEN /dev/urandom >"$T/src/big"
printf 'hello world\n' >"$T/src/small"
head -c $((2 * PAGE_SIZE)) /dev/urandom >"$T/src/pages"
chmod 0640 "$T/src/small"
touch -d '2003-03-03 03:03:03' "$T/src/big" "$T/src/small" "$T/src/pages"

# --- cp, cp -a, mv, install
check "cp of a 3,000,000-byte file exits 0" -- cp "$T/src/big" "$M/cp"
is "$(fsize "$M/cp")" "$SIZE" "... the buffer is whole pages ($SIZE bytes)"
given_bytes "$M/cp" "$T/src/big" "... cmp -n $GIVEN equals the source, the tail is zeros"
is "$(head -c $GIVEN "$M/cp" | sha256sum)" "$(sha256sum <"$T/src/big")" \
	"sha256sum of head -c $GIVEN equals the source's"
check "sha256sum of the whole file exits 0" -- sha256sum "$M/cp"
check "cp -a exits 0" -- cp -a "$T/src/small" "$M/cpa"
is "$(stat -c '%a %Y' "$M/cpa")" "$(stat -c '%a %Y' "$T/src/small")" "... mode and mtime kept"
given_bytes "$M/cpa" "$T/src/small" "... bytes kept"
cp "$T/src/pages" "$T/mvsrc"
check "mv across file systems exits 0" -- mv "$T/mvsrc" "$M/mv"
check "... the source is gone" -- absent "$T/mvsrc"
same_file "$T/src/pages" "$M/mv" "... a page multiple arrives byte-exact"
check "install -m 0640 exits 0" -- install -m 0640 "$T/src/big" "$M/inst"
is "$(stat -c %a "$M/inst")" 640 "... with its mode"
given_bytes "$M/inst" "$T/src/big" "... and its bytes"

# --- truncate, fallocate
check "truncate -s $GIVEN (the size given) of the $SIZE-byte buffer exits 0" -- \
	truncate -s $GIVEN "$M/cp"
is "$(fsize "$M/cp")" "$SIZE" "... a no-op: the size stays $SIZE"
given_bytes "$M/cp" "$T/src/big" "... and the bytes too"
check "truncate -s $SIZE (its own size) exits 0" -- truncate -s "$SIZE" "$M/cp"
check_fails "truncate -s $((SIZE - PAGE_SIZE)) (a page less) fails" -- \
	truncate -s $((SIZE - PAGE_SIZE)) "$M/cp"
like "$(cat "$T/last.out")" "Operation not permitted" "... with EPERM"
check_fails "truncate -s 8M (a real resize) fails" -- truncate -s 8M "$M/cp"
is "$(fsize "$M/cp")" "$SIZE" "... and changes nothing"
check "fallocate -l $GIVEN of the buffer exits 0" -- fallocate -l $GIVEN "$M/cp"
check "fallocate -l 1M of a new name allocates it" -- fallocate -l 1M "$M/fa"
is "$(fsize "$M/fa")" 1048576 "... 1 MiB"
check_fails "fallocate -l 2M of it (a resize) fails" -- fallocate -l 2M "$M/fa"

# --- rsync
touch -d '2002-02-02 02:02:02' "$T/src"
chmod 0755 "$T/src"
check "rsync -a dir/ MNT/ exits 0" -- rsync -a "$T/src/" "$M/"
for f in big small pages; do
	given_bytes "$M/$f" "$T/src/$f" "... $f arrives (cmp -n)"
done
is "$(stat -c '%a %Y' "$M/small")" "$(stat -c '%a %Y' "$T/src/small")" "... with the file's mode and time"
is "$(stat -c '%a %Y' "$M")" "$(stat -c '%a %Y' "$T/src")" "... and the directory's, on the root"
check "a second rsync -a over the copies exits 0" -- rsync -a "$T/src/" "$M/"
given_bytes "$M/big" "$T/src/big" "... big still equals the source"
check "rsync --inplace to a new name exits 0" -- rsync --inplace "$T/src/big" "$M/inplace"
given_bytes "$M/inplace" "$T/src/big" "... its bytes"
printf 'CHANGED' | dd of="$T/src/big" bs=1 seek=1234567 conv=notrunc status=none
check "rsync --inplace -I over the buffer (last ftruncate to $GIVEN) exits 0" -- \
	rsync --inplace -I "$T/src/big" "$M/inplace"
given_bytes "$M/inplace" "$T/src/big" "... the change arrived in place"
is "$(fsize "$M/inplace")" "$SIZE" "... the buffer kept its size"

# --- the root's times and mode: the kernel's rules
check "touch -d 2001-01-01 MNT/ exits 0 (root)" -- touch -d 2001-01-01T00:00:00Z "$M/"
is "$(stat -c %Y "$M")" 978307200 "... the root's mtime is 2001-01-01"
check_fails "as nobody, touch MNT/ (now) without write permission (0755) fails" -- \
	"${NOBODY[@]}" touch "$M/"
check "chmod 1777 MNT/ exits 0 (root)" -- chmod 1777 "$M"
is "$(stat -c %a "$M")" 1777 "... the root is 1777"
check "as nobody, touch MNT/ (now) with write permission exits 0" -- "${NOBODY[@]}" touch "$M/"
check_fails "as nobody, touch -d 2001-01-01 MNT/ (a given time, not the owner) fails" -- \
	"${NOBODY[@]}" touch -d 2001-01-01 "$M/"
check_fails "as nobody, chmod MNT/ fails" -- "${NOBODY[@]}" chmod 0777 "$M"
check "chown 0:100 MNT/ exits 0 (root)" -- chown 0:100 "$M"
is "$(stat -c %u:%g "$M")" 0:100 "... the root's group is 100"
chown 0:0 "$M"
check_fails "chmod of by-inode/ fails (a derived view)" -- chmod 0700 "$M/by-inode"
check_fails "touch -d of new/memfd/ fails (a derived view)" -- touch -d 2001-01-01 "$M/new/memfd"

# --- chmod, chown, touch on files
check "chmod 0644 of a buffer file exits 0" -- chmod 0644 "$M/cp"
is "$(stat -c %a "$M/cp")" 644 "... its mode is 644"
check "chown 1234:1234 of a buffer file exits 0" -- chown 1234:1234 "$M/cp"
is "$(stat -c %u:%g "$M/cp")" 1234:1234 "... its owner"
check "touch -d 2001-01-01 of a buffer file exits 0" -- touch -d 2001-01-01T00:00:00Z "$M/cp"
is "$(stat -c %Y "$M/cp")" 978307200 "... its mtime"

# --- tar
check "tar c of buffer files exits 0" -- tar -C "$M" -cf "$T/out.tar" small pages
mkdir "$T/untar"
check "... and x elsewhere" -- tar -C "$T/untar" -xf "$T/out.tar"
given_bytes "$T/untar/small" "$T/src/small" "... small comes back (a page, zero tail)"
same_file "$T/src/pages" "$T/untar/pages" "... pages comes back byte-exact"
mkdir "$T/tarsrc"
cp -p "$T/src/small" "$T/tarsrc/t1"
cp -p "$T/src/big" "$T/tarsrc/t2"
tar -C "$T/tarsrc" -cf "$T/in.tar" .
check "tar x of an archive of ./ into MNT exits 0 (sets the root's times)" -- \
	tar -C "$M" -xf "$T/in.tar"
given_bytes "$M/t1" "$T/tarsrc/t1" "... t1's bytes"
given_bytes "$M/t2" "$T/tarsrc/t2" "... t2's bytes"
is "$(stat -c %Y "$M/t2")" "$(stat -c %Y "$T/tarsrc/t2")" "... with its mtime"
chmod 1777 "$M"

# --- sed -i, sponge, tee, dd, split
printf 'hello world\n' >"$M/txt"
check "sed -i exits 0" -- sed -i 's/world/there/' "$M/txt"
is "$(head -c 12 "$M/txt")" "hello there" "... the text changed (the tail stays NULs)"
head -c $GIVEN "$T/src/big" | sponge "$M/sp"
ok "${PIPESTATUS[1]}" "sponge into a new name exits 0"
given_bytes "$M/sp" "$T/src/big" "... its bytes"
tr '[:lower:]' '[:upper:]' <"$M/txt" | sponge "$M/txt"
ok "${PIPESTATUS[1]}" "sponge over an allocated file (same length) exits 0"
is "$(head -c 12 "$M/txt")" "HELLO THERE" "... overwritten in place"
tee "$M/tee" <"$T/src/big" >/dev/null
ok $? "tee exits 0"
given_bytes "$M/tee" "$T/src/big" "... its bytes"
check "dd of= a new name exits 0" -- dd if="$T/src/big" of="$M/dd" bs=1M status=none
given_bytes "$M/dd" "$T/src/big" "... its bytes"
head -c 4096 /dev/urandom >"$T/patch"
check "dd seek=2 conv=notrunc over the buffer exits 0" -- \
	dd if="$T/patch" of="$M/dd" bs=4096 seek=2 conv=notrunc status=none
cmp -s -n 4096 -i 0:8192 "$T/patch" "$M/dd"
ok $? "... the page is written at 8192"
check "split -b 1000000 into the mount exits 0" -- split -b 1000000 "$T/src/big" "$M/part."
parts=("$M"/part.*)
is "${#parts[@]}" 3 "... three parts"
for p in "$M"/part.*; do head -c 1000000 "$p"; done >"$T/joined"
same_file "$T/src/big" "$T/joined" "... joined with head -c 1000000 of each, the file comes back"

# --- find, du, df
is "$(find "$M" -maxdepth 1 -type f -name 'part.*' | wc -l)" 3 "find lists the buffer files"
check "find over the whole tree exits 0" -- find "$M" -maxdepth 2
is "$(du -b "$M/big" | cut -f1)" "$SIZE" "du -b shows the buffer's size"
check "du -s of the mount exits 0" -- du -s "$M"
check "df of the mount exits 0" -- df -P "$M"
read -r _ blocks used avail cap _ < <(tail -n 1 "$T/last.out")
diag "df -P: ${blocks}K size, ${used}K used, ${avail}K available, $cap"
memavail=$(awk '/^MemAvailable:/ { print $2 }' /proc/meminfo)
if [ "$avail" -gt 0 ] && [ "$avail" -gt $((memavail / 2)) ] && [ "$avail" -lt $((memavail * 2)) ]; then
	pass "... root (no quota) has MemAvailable left (${avail}K, MemAvailable ${memavail}K)"
else
	fail "... root (no quota) has MemAvailable left (${avail}K, MemAvailable ${memavail}K)"
fi
[ "$cap" != 100% ] && [ "$used" -gt 0 ]
ok $? "... Use% is not 100% ($cap), Used counts the buffers (${used}K)"

# --- numpy
check "numpy memmap w+ of a new name, then fromfile, reads the array back" -- "$NUMPY_PY" -c '
import numpy as np, os, sys
p = os.path.join(os.environ["M"], "np")
a = np.arange(1000 * 1000, dtype=np.float32).reshape(1000, 1000)
m = np.memmap(p, dtype=np.float32, mode="w+", shape=a.shape)
m[:] = a
m.flush()
del m
b = np.fromfile(p, dtype=np.float32, count=a.size).reshape(a.shape)
assert (a == b).all(), "fromfile differs"
r = np.memmap(p, dtype=np.float32, mode="r", shape=a.shape)
assert (a == r).all(), "memmap r differs"
print(os.stat(p).st_size)
'
is "$(cat "$T/last.out")" "$(page_round 4000000)" "... the 4,000,000-byte array is whole pages"
check "numpy tofile of a new name, then fromfile" -- "$NUMPY_PY" -c '
import numpy as np, os
p = os.path.join(os.environ["M"], "tofile")
a = np.linspace(0, 1, 12345, dtype=np.float64)
a.tofile(p)
assert (np.fromfile(p, dtype=np.float64, count=a.size) == a).all()
'

# --- inotifywait
inotifywait -e close_write --format %f -t 20 "$M" >"$T/ino.out" 2>"$T/ino.err" &
ino=$!
wait_for "grep -q 'Watches established' '$T/ino.err'" 100
cp "$T/src/small" "$M/watched"
wait "$ino"
ok $? "inotifywait -e close_write on the mount exits 0 on a cp"
is "$(cat "$T/ino.out")" watched "... naming the file"

# --- the root's mode lasts until the daemon stops: a start applies the options
chmod 0700 "$M"
touch -d 2001-01-01T00:00:00Z "$M"
stop_daemon
start_daemon "allow_other" || bail_out "dmabuffs did not mount again"
is "$(stat -c %a "$M")" 1777 "after a restart the root's mode is the options' again (1777)"
[ "$(stat -c %Y "$M")" != 978307200 ]
ok $? "... and its mtime is the mount's"

done_testing
