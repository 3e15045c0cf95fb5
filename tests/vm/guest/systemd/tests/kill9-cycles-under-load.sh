#!/bin/sh
# Ten `systemctl kill -s KILL dmabuffs` cycles under load, the unit's own
# Restart=on-failure bringing the service back each time (waited for, then
# the next kill 0.3-1.5 s later), while these run (kill9-load.c, fio):
# a create/write/rename/unlink loop on the mount, a stat/readdir loop of
# it, a reader keeping a buffer file open and comparing what it reads, a
# MAP_SHARED mapping storing and loading a word per call (checked at the
# end, and against a fresh read), and fio verify (crc32c, verify_backlog)
# on a buffer file. The files are on a dma-buf backend (the first of
# udmabuf, heap:system, drm:vgem the daemon offers). Printed: cycles,
# failed calls, ENOTCONN, verify errors, the longest call (stall) and the
# median of the calls over 100 ms, the daemon's fds and the store's size
# before the first kill and after the last restart, every workload
# stopped. Asserted: no failed call, no ENOTCONN, no verify error, no
# mismatch, the store's size and the mount's device unchanged. Each
# restart takes 8-30 s in TCG with the load on the guest's one vCPU (60 s
# allowed each):
# vmtest: timeout=540
. /vm/lib.sh
. /vm/systemd-lib.sh
cycles=${KILL9_CYCLES:-10}
[ "$(prop Restart)" = on-failure ] || fail "the unit says Restart=$(prop Restart)"
unit_start
echo "# $(journalctl -b -u "$U" --no-pager -o cat | grep 'default backend:' | tail -n1)"
b=$(dmabuf_backend)
if [ -n "$b" ]; then
	on=new/$b/
	echo "# the reader's, the mapping's and fio's files on $b"
else
	on=
	echo "# no dma-buf backend (udmabuf, heap:system, drm:vgem) here: the files are on the default backend"
fi
truncate -s 256K "$M/${on}keep-reader" && truncate -s 256K "$M/${on}keep-map" ||
	fail "truncate of the workload files failed"
dmabuf-hold write "$M/keep-reader" 21 >/dev/null || fail "writing keep-reader failed"
dmabuf-hold write "$M/keep-map" 22 >/dev/null || fail "writing keep-map failed"
fiof=
if command -v fio >/dev/null 2>&1; then
	fiof=$M/keep-fio
	truncate -s 2M "$M/${on}keep-fio" || fail "truncate of keep-fio failed"
	cat "$fiof" >/dev/null
else
	echo "# no fio in this guest: no fio verify"
fi
for f in keep-reader keep-map keep-fio; do
	[ -e "$M/$f" ] && echo "# $f: backend $(info_field "$M/$f" backend), exporter $(info_field "$M/$f" exporter), iomem $(info_field "$M/$f" iomem)"
done
# fd_kinds: the daemon's fds by what they are (/dev/fuse, socket, a
# dma-buf, a memfd...), counted.
fd_kinds() {
	for f in /proc/"$(prop MainPID)"/fd/*; do readlink "$f"; done |
		sed -e 's/:\[[0-9]*\]$//' -e 's|^/dmabuf:.*|/dmabuf:NAME|' -e 's|^/memfd:\([^ ]*\).*|/memfd:\1|' |
		sort | uniq -c | awk '{ printf "%s x%s, ", $2, $1 } END { print "" }'
}
dev0=$(mount_dev)
fds0=$(daemon_fds) store0=$(fdstore_count)
fd_kinds >"$SD/fds0"
sed 's/^/# fdstore before: /' "$SD/fdstore"

# ---- the workloads
pids=
for w in "churn $M" "stat $M" "reader $M/keep-reader 21" "map $M/keep-map"; do
	set -- $w
	kill9-load "$@" >"$SD/load-$1.out" 2>&1 &
	pids="$pids $!"
done
fio_loop() {
	n=0
	while [ ! -e "$SD/stop" ]; do
		n=$((n + 1))
		fio --name=v --filename="$fiof" --size=2M --allow_file_create=0 --ioengine=psync \
			--rw=randwrite --bs=16k --verify=crc32c --verify_backlog=16 \
			--verify_state_save=0 --verify_fatal=1 --time_based --runtime=600 \
			--rate_iops=20 >"$SD/fio.$n.out" 2>&1 &
		echo $! >"$SD/fio.pid"
		wait $!
		echo "$n $?" >>"$SD/fio.runs"
	done
}
fiopid=
if [ -n "$fiof" ]; then
	fio_loop &
	fiopid=$!
fi
stop_load() {
	touch "$SD/stop"
	# shellcheck disable=SC2086
	kill -TERM $pids 2>/dev/null
	[ -s "$SD/fio.pid" ] && kill -INT "$(cat "$SD/fio.pid")" 2>/dev/null
	for p in $pids $fiopid; do
		wait_exit "$p" || wait_exit "$p" || { kill -KILL "$p"; echo "# workload pid $p did not stop"; }
	done
	pids= fiopid=
	# A churn file between its create and its unlink at the stop.
	rm -f "$M"/churn-*
}
trap 'rc=$?; [ -n "$pids" ] && stop_load; unit_reset; exit $rc' EXIT
# The runner's timeout sends SIGTERM: the workloads must stop then too.
trap 'exit 143' TERM INT
sleep 2

# ---- the cycles
c=0 secs=
while [ $c -lt "$cycles" ]; do
	c=$((c + 1))
	r=$(awk -v s="$$$c" 'BEGIN { srand(s); printf "%.1f", 0.3 + rand() * 1.2 }')
	sleep "$r"
	set -- $(state)
	pid=$1 n0=$2
	systemctl kill -s KILL "$U" || fail "cycle $c: systemctl kill -s KILL $U failed"
	t0=$(cut -d' ' -f1 /proc/uptime)
	wait_restarted "$pid" "$n0" "$t0" "SIGKILL (cycle $c)" 60
	[ "$(mount_dev)" = "$dev0" ] || fail "cycle $c: the mount is '$(mount_dev)', was $dev0"
	echo "# cycle $c: kill ${r} s after the last start, pid $pid -> $BACK_PID, active again after $BACK_SECS s"
	secs="$secs $BACK_SECS"
done
# The last restart as the journal has it (the churn's lines left out).
journalctl -b -u "$U" --no-pager -o short-monotonic 2>&1 | grep -v ': churn-' | tail -n 14 |
	sed 's/^/# journal: /'
sleep 2
stop_load

# ---- the figures
fds1=$(daemon_fds) store1=$(fdstore_count)
fd_kinds >"$SD/fds1"
sed 's/^/# daemon fds before: /' "$SD/fds0"
sed 's/^/# daemon fds after: /' "$SD/fds1"
sed 's/^/# fdstore after: /' "$SD/fdstore"
failed=0 enotconn=0 mism=0 longest=0 lop=- medians=
for k in churn stat reader map; do
	line=$(grep '^load ' "$SD/load-$k.out")
	[ -n "$line" ] || { sed "s/^/# $k: /" "$SD/load-$k.out"; fail "the $k workload printed no figures"; }
	echo "# $line"
	for kv in $line; do
		case $kv in *=*) eval "l_${kv%%=*}=\${kv#*=}" ;; esac
	done
	[ "$l_calls" -gt 0 ] || fail "the $k workload made no call"
	failed=$((failed + l_failed)) enotconn=$((enotconn + l_enotconn)) mism=$((mism + l_mismatches))
	[ "$l_longest_ms" -gt "$longest" ] && longest=$l_longest_ms lop="$k $l_longest_op"
	[ "$l_stalls" -gt 0 ] && medians="$medians $l_stall_median_ms"
done
fruns=0 ffail=0 fverify=0 fenotconn=0
if [ -n "$fiof" ]; then
	last=$(tail -n1 "$SD/fio.runs" | cut -d' ' -f1)
	while read -r n st; do
		fruns=$((fruns + 1))
		o=$SD/fio.$n.out
		v=$(grep -ciE 'verify failed|bad magic|bad header|verify: bad' "$o")
		fverify=$((fverify + v))
		fenotconn=$((fenotconn + $(grep -ci 'not connected' "$o")))
		# The last run ends at SIGINT: its exit status says nothing.
		if grep -qE 'err= *[1-9]' "$o" || { [ "$st" -ne 0 ] && [ "$n" != "$last" ]; }; then
			ffail=$((ffail + 1))
			grep -m 3 -iE 'err=|error|verify' "$o" | sed "s/^/# fio run $n: /"
		fi
	done <"$SD/fio.runs"
	echo "# fio: $fruns runs, $ffail failed, $fverify verify errors; last run: $(grep -m1 -E 'write: IOPS' "$SD/fio.$last.out" | sed 's/^ *//')"
fi
failed=$((failed + ffail)) enotconn=$((enotconn + fenotconn))
med=$(echo "$medians" | tr ' ' '\n' | awk 'NF' | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] + 0 }')
back=$(echo "$secs" | tr ' ' '\n' | awk 'NF' | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')
echo "# cycles $c, failed calls $failed (ENOTCONN $enotconn), verify errors $fverify, mismatches $mism"
echo "# longest stall ${longest} ms ($lop), median of the stalls over 100 ms (of the workloads that had any) ${med} ms; active again after the kill: median ${back} s"
echo "# daemon fds before $fds0, after $fds1; fd store before $store0, after $store1; mount $dev0 -> $(mount_dev)"
echo "VMINFO kill9-load cycles=$c failed=$failed enotconn=$enotconn verify_errors=$fverify stall_max_ms=$longest fds=$fds0/$fds1 store=$store0/$store1 backend=${b:-default}"
[ "$c" -eq "$cycles" ] || fail "$c of $cycles cycles ran"
[ "$enotconn" -eq 0 ] || fail "$enotconn calls failed with ENOTCONN"
[ "$failed" -eq 0 ] || fail "$failed application calls failed"
[ "$fverify" -eq 0 ] || fail "fio found $fverify verify errors"
[ "$mism" -eq 0 ] || fail "$mism reads or mapping loads did not give what was written"
[ "$store1" -eq "$store0" ] || fail "the fd store holds $store1 fds after the cycles, $store0 before"
[ "$(mount_dev)" = "$dev0" ] || fail "the mount is '$(mount_dev)' after the cycles, was $dev0"
dmabuf-hold verify "$M/keep-reader" 21 >/dev/null || fail "keep-reader lost its data"
