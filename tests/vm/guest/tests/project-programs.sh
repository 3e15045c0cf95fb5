#!/bin/sh
# The project's programs from `make install` are in the guest with every
# library they need: the dynamic loader resolves them all (a missing one
# would make every later dmabuffs test fail for the wrong reason).
. /vm/lib.sh
found=
for p in /usr/local/sbin/dmabuffs /usr/local/bin/dmabufctl; do
	[ -e "$p" ] || continue
	found=1
	out=$(/lib64/ld-linux-x86-64.so.2 --list "$p" 2>&1) ||
		fail "$p: $(echo "$out" | grep -m1 'not found' || echo "$out" | tail -n1)"
	echo "$out" | grep -q 'not found' && fail "$p: $(echo "$out" | grep -m1 'not found')"
	echo "# $p: $(echo "$out" | wc -l) libraries resolved"
done
[ -n "$found" ] || skip "no project programs in the initramfs (make install failed or VM_PROJECT=no)"
exit 0
