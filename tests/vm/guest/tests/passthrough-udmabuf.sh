#!/bin/sh
# A udmabuf buffer whose opens are FUSE passthrough opens: the file's
# MAP_SHARED mapping and read()/write() reach the dma-buf's own pages with
# no msync and no SYNC ioctl (passthrough-check.c). Skips while the daemon
# has no passthrough (no user.dmabuf.access attribute).
. /vm/lib.sh
[ -e /dev/udmabuf ] || skip "no /dev/udmabuf"
start_daemon
truncate -s 1M /run/dmabuf/new/udmabuf/pt || fail "truncate -s 1M /run/dmabuf/new/udmabuf/pt failed"
access=$(info_field /run/dmabuf/pt access)
[ -n "$access" ] || skip "daemon has no passthrough (no user.dmabuf.access on a udmabuf buffer)"
echo "# /run/dmabuf/pt: access=$access on $(uname -r)"
[ "$access" = passthrough ] ||
	fail "user.dmabuf.access of a udmabuf buffer is '$access', expected passthrough ($(uname -r))"
passthrough-check /run/dmabuf/pt
rc=$?
[ "$rc" -eq 0 ] || exit "$rc"
rm /run/dmabuf/pt || fail "rm /run/dmabuf/pt failed"
