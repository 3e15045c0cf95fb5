#!/bin/sh
# memcg-over-limit-refused (cgroup v2): uid 1000 in a cgroup limited to
# 256 MiB writes 512 MiB into a new buffer file: the write fails with
# ENOMEM before the end, the daemon's cgroup grows by less than 8 MiB, and
# removing the file gives the user's cgroup its memory back; a 512 MiB
# memfd-backend buffer truncated at once is refused with ENOMEM and leaves
# an empty file. A 64 MiB buffer still works afterwards.
. /vm/lib.sh
memcg_setup $((256 * MIB))
start_daemon -o backend=memfd,allow_other
echo "$DAEMON_PID" >$MEMCG_DAEMON/cgroup.procs || fail "cannot move the daemon"
mine() {
	touch "$1" && chown 1000 "$1" || fail "cannot make $1 for uid 1000"
}
# FUSE worker threads and their 1 MiB request buffers come with the first
# large writes: not what is measured.
mine /run/dmabuf/warm
memcg_in $MEMCG_USER dmabuf-hold as 1000 exec dd if=/dev/zero of=/run/dmabuf/warm bs=1M count=16 \
	2>/dev/null || fail "warm-up write failed"
rm -f /run/dmabuf/warm
memcg_settle $MEMCG_USER
u0=$(memcg_usage $MEMCG_USER) d0=$(memcg_usage $MEMCG_DAEMON)

mine /run/dmabuf/big
if err=$(memcg_in $MEMCG_USER dmabuf-hold as 1000 exec truncate -s 512M /run/dmabuf/big 2>&1); then
	fail "truncate -s 512M succeeded in a 256 MiB cgroup"
fi
echo "# truncate -s 512M: $err"
case $err in
*"ut of memory"* | *"Cannot allocate memory"*) ;;
*) fail "truncate -s 512M failed with '$err', expected ENOMEM" ;;
esac
[ "$(stat -c %s /run/dmabuf/big)" = 0 ] || fail "the refused buffer is not empty"
grep -q "over the limit of memory cgroup $MEMCG_USER (ENOMEM)" "$VMT/daemon.log" ||
	fail "the daemon log does not name the cgroup"
rm -f /run/dmabuf/big

mine /run/dmabuf/streamed
if err=$(memcg_in $MEMCG_USER dmabuf-hold as 1000 exec dd if=/dev/zero of=/run/dmabuf/streamed \
	bs=1M count=512 2>&1); then
	fail "writing 512 MiB succeeded in a 256 MiB cgroup"
fi
echo "# dd 512M: $(echo "$err" | head -n 2 | tr '\n' ' ')"
case $err in
*"ut of memory"* | *"Cannot allocate memory"*) ;;
*) fail "the 512 MiB write failed with '$err', expected ENOMEM" ;;
esac
d1=$(memcg_usage $MEMCG_DAEMON)
echo "VMINFO memcg-refused daemon_kib=$(((d1 - d0) / 1024))"
[ $((d1 - d0)) -lt $((8 * MIB)) ] || fail "the daemon's cgroup grew by 8 MiB or more"
rm -f /run/dmabuf/streamed
i=0
while [ $(($(memcg_usage $MEMCG_USER) - u0)) -ge $((8 * MIB)) ] && [ $i -lt 50 ]; do
	sleep 0.1
	i=$((i + 1))
done
u1=$(memcg_usage $MEMCG_USER)
[ $((u1 - u0)) -lt $((8 * MIB)) ] || fail "the user's cgroup kept $(((u1 - u0) / MIB)) MiB after rm"

mine /run/dmabuf/after
memcg_in $MEMCG_USER dmabuf-hold as 1000 exec truncate -s 64M /run/dmabuf/after ||
	fail "a 64 MiB buffer fails after the refusals"
rm -f /run/dmabuf/after
exit 0
