#!/bin/sh
# memcg-charge-caller (cgroup v2): a buffer's pages are charged to the
# memory cgroup of the user who made it, not to the daemon's. uid 1000 in
# a cgroup limited to 256 MiB truncates a 64 MiB udmabuf buffer, then
# writes 64 MiB into another (staged, then adopted by udmabuf at close):
# the user's cgroup grows by at least 60 MiB each time, the daemon's (a
# cgroup of its own) by less than 8 MiB. A 16 MiB system-heap buffer is
# charged to nobody where the kernel does not account heap memory (with
# dma_heap.mem_accounting=1 the charge is only reported).
. /vm/lib.sh
[ -e /dev/udmabuf ] || skip "no /dev/udmabuf"
memcg_setup $((256 * MIB))
start_daemon -o backend=udmabuf,allow_other
echo "$DAEMON_PID" >$MEMCG_DAEMON/cgroup.procs || fail "cannot move the daemon"
grep -q "charged to their callers' memory cgroups" "$VMT/daemon.log" ||
	fail "the daemon does not say it charges callers' cgroups"
# A file of uid 1000's: root makes the name, the user allocates it.
mine() {
	touch "$1" && chown 1000 "$1" || fail "cannot make $1 for uid 1000"
}
mine /run/dmabuf/warm
memcg_in $MEMCG_USER dmabuf-hold as 1000 exec dd if=/dev/zero of=/run/dmabuf/warm bs=1M count=4 \
	2>/dev/null || fail "warm-up write failed"
rm -f /run/dmabuf/warm
memcg_settle $MEMCG_USER
u0=$(memcg_usage $MEMCG_USER) d0=$(memcg_usage $MEMCG_DAEMON)

mine /run/dmabuf/sized
memcg_in $MEMCG_USER dmabuf-hold as 1000 exec truncate -s 64M /run/dmabuf/sized ||
	fail "uid 1000 cannot truncate a 64 MiB buffer"
u1=$(memcg_usage $MEMCG_USER) d1=$(memcg_usage $MEMCG_DAEMON)
echo "# truncate 64M: user cgroup $u0 -> $u1 (+$(((u1 - u0) / MIB)) MiB), daemon $d0 -> $d1 (+$(((d1 - d0) / 1024)) KiB)"
echo "VMINFO memcg-truncate-64M user_mib=$(((u1 - u0) / MIB)) daemon_kib=$(((d1 - d0) / 1024))"
[ $((u1 - u0)) -ge $((60 * MIB)) ] || fail "the user's cgroup grew by less than 60 MiB"
[ $((d1 - d0)) -lt $((8 * MIB)) ] || fail "the daemon's cgroup grew by 8 MiB or more"
[ "$(info_field /run/dmabuf/sized exporter)" = udmabuf ] || fail "sized is no udmabuf"

mine /run/dmabuf/staged
memcg_in $MEMCG_USER dmabuf-hold as 1000 exec dd if=/dev/zero of=/run/dmabuf/staged bs=1M count=64 \
	2>/dev/null || fail "uid 1000 cannot write 64 MiB into a new file"
sleep 0.5
u2=$(memcg_usage $MEMCG_USER) d2=$(memcg_usage $MEMCG_DAEMON)
echo "# write 64M: user cgroup $u1 -> $u2 (+$(((u2 - u1) / MIB)) MiB), daemon $d1 -> $d2 (+$(((d2 - d1) / 1024)) KiB)"
echo "VMINFO memcg-write-64M user_mib=$(((u2 - u1) / MIB)) daemon_kib=$(((d2 - d1) / 1024))"
[ $((u2 - u1)) -ge $((60 * MIB)) ] || fail "the user's cgroup grew by less than 60 MiB (staged write)"
[ $((d2 - d1)) -lt $((8 * MIB)) ] || fail "the daemon's cgroup grew by 8 MiB or more (staged write)"
[ "$(info_field /run/dmabuf/staged exporter)" = udmabuf ] || fail "staged is no udmabuf"

rm -f /run/dmabuf/sized /run/dmabuf/staged
# The kernel forgets the files in the background: wait up to 5 s.
i=0
while [ $((u2 - $(memcg_usage $MEMCG_USER))) -lt $((120 * MIB)) ] && [ $i -lt 50 ]; do
	sleep 0.1
	i=$((i + 1))
done
u3=$(memcg_usage $MEMCG_USER)
echo "# after rm: user cgroup $u3"
[ $((u2 - u3)) -ge $((120 * MIB)) ] || fail "removing the buffers gave back less than 120 MiB"

# The system heap charges its pages only where the kernel accounts them
# (dma_heap's mem_accounting parameter, where it exists).
heap16() {
	touch "/run/dmabuf/new/heap:system/h$1" && chown 1000 /run/dmabuf/h$1 || fail "touch h$1"
	a=$(memcg_usage $MEMCG_USER) b=$(memcg_usage $MEMCG_DAEMON)
	memcg_in $MEMCG_USER dmabuf-hold as 1000 exec truncate -s 16M /run/dmabuf/h$1 ||
		fail "uid 1000 cannot truncate a 16 MiB heap buffer"
	hu=$((($(memcg_usage $MEMCG_USER) - a) / 1024)) hd=$((($(memcg_usage $MEMCG_DAEMON) - b) / 1024))
	echo "VMINFO memcg-heap-16M accounting=$(cat $acct 2>/dev/null || echo none) user_kib=$hu daemon_kib=$hd"
}
acct=/sys/module/dma_heap/parameters/mem_accounting
# The parameter is read-only once booted (VM_APPEND=dma_heap.mem_accounting=1).
# Measured on 7.3 with mem_accounting=1: the pages went to the daemon's
# cgroup although the helper made them (reported, not asserted: see
# dmabuffs(8)); without accounting, to no cgroup at all.
if [ -e /dev/dma_heap/system ]; then
	heap16 0
	if [ "$(cat $acct 2>/dev/null)" != Y ]; then
		[ $hd -lt 8192 ] || fail "a heap buffer was charged to the daemon ($hd KiB)"
	fi
	rm -f /run/dmabuf/h0
fi
# A vgem dumb buffer (shmem GEM): where its pages go when made, then when
# the user writes it through the file (reported; measured on 7.3: the
# daemon's cgroup, when made: the pages come with the daemon's PRIME
# export and mapping, after the helper's CREATE_DUMB).
if [ -d /run/dmabuf/new/drm:vgem ]; then
	touch "/run/dmabuf/new/drm:vgem/g" && chown 1000 /run/dmabuf/g || fail "touch g"
	a=$(memcg_usage $MEMCG_USER) b=$(memcg_usage $MEMCG_DAEMON)
	memcg_in $MEMCG_USER dmabuf-hold as 1000 exec truncate -s 16M /run/dmabuf/g ||
		fail "uid 1000 cannot truncate a 16 MiB vgem buffer"
	c=$(memcg_usage $MEMCG_USER) d=$(memcg_usage $MEMCG_DAEMON)
	memcg_in $MEMCG_USER dmabuf-hold as 1000 exec dd if=/dev/zero of=/run/dmabuf/g bs=1M count=16 \
		conv=notrunc 2>/dev/null || fail "uid 1000 cannot write its vgem buffer"
	e=$(memcg_usage $MEMCG_USER) f=$(memcg_usage $MEMCG_DAEMON)
	echo "VMINFO memcg-vgem-16M made: user_kib=$(((c - a) / 1024)) daemon_kib=$(((d - b) / 1024))" \
		"written: user_kib=$(((e - c) / 1024)) daemon_kib=$(((f - d) / 1024))"
	rm -f /run/dmabuf/g
fi
exit 0
