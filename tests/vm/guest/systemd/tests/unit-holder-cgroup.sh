#!/bin/sh
# A dma-buf held by another unit's process (a transient service, uid 1000)
# is visible and counted under that unit: `dmabufctl top --json` lists the
# buffer with that process as its holder, and its per-cgroup section gives
# the unit's cgroup (/system.slice/vmtest-holder.service) that one buffer,
# with its size, held by one process; `top --by cgroup` has the same line
# and `dmabufctl metrics` the cgroup's series with the same figures. Then
# `dmabufctl import` brings it into the tree with the holder named.
. /vm/lib.sh
. /vm/systemd-lib.sh
unit_start
h=vmtest-holder
out=/tmp/$h.out
rm -f "$out"
# Its stdin is a pipe that stays open (sleep): dmabuf-hold exits at EOF.
systemd-run --unit="$h" --quiet -p StandardOutput="file:$out" \
	-p StandardError="file:$out" \
	/bin/sh -c 'sleep 600 | exec /vm/bin/dmabuf-hold as 1000 hold udmabuf 131072 7' ||
	fail "systemd-run --unit=$h failed"
trap 'rc=$?; systemctl stop "$h" 2>/dev/null; unit_reset; exit $rc' EXIT
i=0
while ! grep -q '^hold ' "$out" 2>/dev/null; do
	[ $i -lt 100 ] || { cat "$out" 2>/dev/null | sed 's/^/# holder: /'; fail "dmabuf-hold in $h did not report"; }
	sleep 0.1
	i=$((i + 1))
done
for kv in $(sed -n 's/^hold //p' "$out"); do
	case $kv in pid=* | fd=* | ino=*) eval "h_${kv%%=*}=\${kv#*=}" ;; esac
done
cg=$(sed -n 's/^0:://p' "/proc/$h_pid/cgroup")
echo "# holder pid $h_pid fd $h_fd ino $h_ino, uid $(stat -c %u "/proc/$h_pid")"
echo "VMINFO holder-cgroup unit=$h.service pid=$h_pid cgroup=$cg"
case $cg in
*/"$h".service) ;;
*) fail "the holder's cgroup is '$cg', not its unit's ($h.service)" ;;
esac
top=$(dmabufctl top --json 2>&1) || { echo "$top" | sed 's/^/# top: /'; fail "dmabufctl top --json failed"; }
echo "$top" | tr -d '\n' | grep -q "\"pid\": *$h_pid[^0-9]" ||
	{ echo "$top" | sed 's/^/# top: /' | head -40; fail "dmabufctl top --json does not name the holder (pid $h_pid)"; }
echo "$top" | tr -d '\n' | grep -q "\"inode\": *$h_ino[^0-9]" ||
	{ echo "$top" | sed 's/^/# top: /' | head -40; fail "dmabufctl top --json does not list the held buffer (inode $h_ino)"; }
echo "# dmabufctl top --json: the buffer (inode $h_ino) held by pid $h_pid"
# Counted under the unit, before the import (which makes the daemon a
# second holder): the udmabuf of 131072 bytes is the cgroup's only buffer,
# and its only holder is the unit's one process, so the Pss-like share is
# the whole size. From top --json's "cgroups" array (json-c's pretty form:
# one member a line; "cgroup" first, then processes, buffers, size,
# shared_size): "PROCS BUFS SIZE SHARED" of the unit's cgroup.
ucg=/system.slice/$h.service
size=131072
got=$(echo "$top" | awk -v cg="$ucg" '
	/^  "[a-z_]*": *[[{]/ { sec = $0; sub(/^  "/, "", sec); sub(/".*/, "", sec) }
	sec == "cgroups" && /^ *"cgroup":/ {
		v = $0; sub(/^ *"cgroup": *"/, "", v); sub(/",?$/, "", v); on = (v == cg); split("", f)
	}
	on && /^ *"(processes|buffers|size|shared_size)":/ {
		k = $0; sub(/^ *"/, "", k); sub(/".*/, "", k)
		n = $0; sub(/.*: */, "", n); sub(/,$/, "", n); f[k] = n
	}
	on && /^ *}/ { printf "%s %s %s %.1f\n", f["processes"], f["buffers"], f["size"], f["shared_size"]; on = 0 }')
echo "$top" | sed -n '/^  "cgroups"/,/^  ]/p' | sed 's/^/# top cgroups: /'
echo "VMINFO unit-cgroup-top cgroup=$ucg procs/bufs/size/shared=$(echo $got | tr ' ' /)"
[ -n "$got" ] || fail "top --json's cgroups section has no entry for $ucg"
[ "$got" = "1 1 $size $size.0" ] ||
	fail "top --json counts '$got' (procs bufs size shared) under $ucg, not '1 1 $size $size.0'"
bycg=$(dmabufctl top --by cgroup 2>&1) || { echo "$bycg" | sed 's/^/# top: /'; fail "dmabufctl top --by cgroup failed"; }
echo "$bycg" | sed 's/^/# top --by cgroup: /'
[ "$(echo "$bycg" | head -n1 | tr -s ' ' | sed 's/^ //')" = "PROCS BUFS SIZE SHARED CGROUP" ] ||
	fail "dmabufctl top --by cgroup does not start with the cgroup table"
line=$(echo "$bycg" | awk -v cg="$ucg" '$NF == cg { print $1, $2, $3, $4 }')
[ "$line" = "1 1 $size $size.0" ] ||
	fail "dmabufctl top --by cgroup shows '$line' (procs bufs size shared) for $ucg, not '1 1 $size $size.0'"
met=$(dmabufctl metrics 2>&1) || { echo "$met" | sed 's/^/# metrics: /'; fail "dmabufctl metrics failed"; }
echo "$met" | grep '^dmabuf_cgroup_' | sed 's/^/# metrics: /'
series() { echo "$met" | awk -v k="$1{cgroup=\"$ucg\"}" '$1 == k { print $2 }'; }
m_bufs=$(series dmabuf_cgroup_buffers)
m_bytes=$(series dmabuf_cgroup_bytes)
m_shared=$(series dmabuf_cgroup_shared_bytes)
echo "VMINFO unit-cgroup-metrics cgroup=$ucg buffers=$m_bufs bytes=$m_bytes shared_bytes=$m_shared"
[ "$m_bufs $m_bytes $m_shared" = "1 $size $size" ] ||
	fail "dmabufctl metrics has '$m_bufs $m_bytes $m_shared' (buffers bytes shared_bytes) for $ucg, not '1 $size $size'"
echo "# $ucg: 1 buffer of $size bytes in top --json, top --by cgroup and dmabufctl metrics"
dmabufctl import --pid "$h_pid" --fd "$h_fd" held-by-unit >/dev/null ||
	fail "dmabufctl import --pid $h_pid --fd $h_fd failed"
holders=$(info_field "$M/held-by-unit" holders)
echo "# user.dmabuf.holders of the imported buffer: $holders"
echo "$holders" | grep -qw "$h_pid" || fail "the imported buffer's holders ($holders) do not name pid $h_pid"
