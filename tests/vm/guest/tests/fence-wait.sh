#!/bin/sh
# Reads wait for pending device writes: a vgem WRITE fence on a buffer made
# through new/drm:vgem/ turns O_NONBLOCK readers away with EAGAIN, fails
# blocking reads with ETIME after fence_timeout (a non-default 2000 ms, so
# that the option is seen to apply), lets a waiting read through once the
# fence is signalled; a READ fence holds nobody up (fence-wait.c).
. /vm/lib.sh
start_daemon -o fence_timeout=2000
ls /run/dmabuf/new | grep -qxF drm:vgem ||
	fail "no new/drm:vgem: the daemon offers $(ls /run/dmabuf/new | tr '\n' ' ')"
truncate -s 64K /run/dmabuf/new/drm:vgem/f || fail "truncate -s 64K new/drm:vgem/f failed"
fence-wait /run/dmabuf/f 2000
rc=$?
[ "$rc" -eq 0 ] || exit "$rc"
rm /run/dmabuf/f || fail "rm /run/dmabuf/f failed"
