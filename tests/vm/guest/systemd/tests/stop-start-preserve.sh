#!/bin/sh
# systemctl stop, then start: the unit says FileDescriptorStorePreserve=yes,
# so the stopped unit's fd store keeps every buffer (systemd-analyze
# fdstore lists them while it is inactive) and the next start brings them
# back. Buffers removed before a stop are not in the store after it, and
# the start after that has none. (`systemctl clean --what=fdstore`, which
# frees a stopped unit's store, needs the D-Bus system bus: not in this
# guest.)
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
rm -f "$M"/keep-* || fail "rm of the buffers failed"
systemctl stop "$U" || fail "systemctl stop $U failed"
left=$(fdstore_names | wc -l)
sed 's/^/# fdstore: /' "$SD/fdstore"
[ "$left" -eq 0 ] || fail "$left dma-bufs in the store of a stopped unit whose buffers were removed"
unit_start
got=$(ls "$M" | grep -c '^keep-')
[ "$got" -eq 0 ] || fail "$got removed buffers back after stop, start"
echo "# removed, stop, start: the store and the tree have no buffer"
