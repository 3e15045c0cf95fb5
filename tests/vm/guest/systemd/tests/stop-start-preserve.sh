#!/bin/sh
# systemctl stop, then start: the unit says FileDescriptorStorePreserve=yes,
# so the stopped unit's fd store keeps every buffer (systemd-analyze
# fdstore lists them while it is inactive) and the next start brings them
# back; `systemctl clean --what=fdstore` then empties the store, and a
# start after that has no buffers.
. /vm/lib.sh
. /vm/systemd-lib.sh
pres=$(prop FileDescriptorStorePreserve)
echo "# FileDescriptorStorePreserve=$pres FileDescriptorStoreMax=$(prop FileDescriptorStoreMax)"
[ "$pres" = yes ] || fail "the unit says FileDescriptorStorePreserve=$pres, not yes"
unit_start
make_buffers
systemctl stop "$U" || fail "systemctl stop $U failed"
[ "$(prop ActiveState)" = inactive ] || fail "$U is $(prop ActiveState) after stop"
mounted "$M" && fail "$M is still mounted after systemctl stop"
expect_fdstore "stopped"
unit_start
check_buffers "after systemctl stop, start"
systemctl stop "$U" || fail "systemctl stop $U failed"
systemctl clean --what=fdstore "$U" || fail "systemctl clean --what=fdstore $U failed"
left=$(fdstore_names | wc -l)
[ "$left" -eq 0 ] || fail "$left dma-bufs still in the store after systemctl clean"
unit_start
got=$(ls "$M" | grep -c '^keep-')
[ "$got" -eq 0 ] || fail "$got buffers back after the store was cleaned"
echo "# after clean: the store and the tree are empty"
