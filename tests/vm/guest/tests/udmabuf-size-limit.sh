#!/bin/sh
# udmabuf refuses buffers over its module parameter size_limit_mb (64 MiB
# by default) with a bare EINVAL; the daemon checks first: a 256 MiB
# request fails with E2BIG, nothing is left allocated, and the log names
# the module parameter. A buffer under the limit still works.
. /vm/lib.sh
[ -e /dev/udmabuf ] || skip "no /dev/udmabuf"
param=/sys/module/udmabuf/parameters/size_limit_mb
[ -r $param ] || skip "no $param on $(uname -r)"
limit=$(cat $param)
[ "$limit" -lt 256 ] || skip "size_limit_mb is $limit here; the test needs < 256"
start_daemon -o backend=udmabuf
F=/run/dmabuf/big
if err=$(truncate -s 256M $F 2>&1); then
	fail "truncate -s 256M succeeded over size_limit_mb=$limit"
fi
echo "# truncate -s 256M: $err"
case $err in
*"Argument list too long"*) ;;
*) fail "truncate -s 256M failed with '$err', expected E2BIG (Argument list too long)" ;;
esac
size=$(stat -c %s $F 2>/dev/null || echo missing)
[ "$size" = 0 ] || fail "after the refused truncate $F is '$size' bytes, expected an empty file"
grep -q "size_limit_mb" "$VMT/daemon.log" ||
	fail "the daemon log does not name size_limit_mb"
grep "size_limit_mb" "$VMT/daemon.log" | head -n 1 | sed 's/^/# daemon: /'
truncate -s 16M /run/dmabuf/small || fail "truncate -s 16M (under the limit) failed"
[ "$(stat -c %s /run/dmabuf/small)" = 16777216 ] || fail "the 16 MiB buffer has the wrong size"
rm -f $F /run/dmabuf/small
