#!/bin/sh
# Whole-system inspection (issue 9, "Proven in the VM"). holders.c holds
# buffers of udmabuf, the system heap, vgem and vivid (when present) by fd,
# one only mapped, a udmabuf shared by three processes (two by fd, one
# mapped only) and a vgem buffer no process holds. Each (process, buffer,
# kind) it prints is in the tree: proc/PID/FD (numeric) for fd holders,
# proc/PID/map-INO for map holders, with the right size, exporter and
# inode, and by-inode/INO links to one of them. `dmabufctl top --json`: every buffer once, the total the sum of
# the sizes, the shared buffer one inode with three holders and a third of
# its size each, the vgem buffer kernel-only (bufinfo, debugfs mounted
# here). A non-root caller is refused the content of root's buffer (EACCES)
# and given its own.
. /vm/lib.sh

(load_vivid) >/dev/null 2>&1 || echo "# vivid not loaded: holders goes without it"
BI=/sys/kernel/debug/dma_buf/bufinfo
[ -e "$BI" ] || mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
[ -e "$BI" ] && echo "# bufinfo: $BI" || echo "# no $BI: map-only exporters 'unknown', no kernel-only list"

start_daemon -o allow_other
P=/run/dmabuf/proc
mkfifo "$VMT/in" || fail "mkfifo"
holders <"$VMT/in" >"$VMT/out" 2>&1 &
hp=$!
exec 9>"$VMT/in"
trap 'rc=$?; exec 9>&-; wait $hp 2>/dev/null; (exit $rc); stop_daemon' EXIT
wait_output "$hp" "$VMT/out" '^READY' ||
	not_up "$hp" "$VMT/out" holders holders "holders did not come up"
sed 's/^/# holders: /' "$VMT/out"
field() { echo "$2" | tr ' ' '\n' | sed -n "s/^$1=//p" | head -n1; }

# Each holder line in the tree.
grep '^HOLD ' "$VMT/out" | while read -r line; do
	pid=$(field pid "$line") ino=$(field ino "$line") size=$(field size "$line")
	exp=$(field exp_name "$line") kind=$(field kind "$line") tag=$(field tag "$line")
	node=
	if [ "$kind" = map ]; then
		[ -e "$P/$pid/map-$ino" ] && node=$P/$pid/map-$ino
	else
		for n in $(ls "$P/$pid" 2>/dev/null); do
			case $n in map-*) continue ;; esac
			[ "$(info_field "$P/$pid/$n" inode)" = "$ino" ] && node=$P/$pid/$n
		done
	fi
	[ -n "$node" ] || fail "$tag ($kind, pid $pid, ino $ino) is not in proc/$pid: $(ls "$P/$pid" | tr '\n' ' ')"
	got=$(stat -c %s "$node")
	[ "$got" = "$size" ] || fail "$node ($tag): size $got, expected $size"
	gexp=$(info_field "$node" exporter)
	if [ "$kind" = fd ] || [ -e "$BI" ]; then
		[ "$gexp" = "$exp" ] || fail "$node ($tag): exporter '$gexp', expected '$exp'"
	fi
	got=$(info_field "$node" inode)
	[ "$got" = "$ino" ] || fail "$node ($tag): inode '$got', expected $ino"
	echo "# $tag: $node size $size exporter $gexp kind $kind"
done || exit 1

# by-inode/INO covers discovered buffers: a link to a holder's node.
for ino in $(grep '^HOLD ' "$VMT/out" | tr ' ' '\n' | sed -n 's/^ino=//p' | sort -u); do
	l=/run/dmabuf/by-inode/$ino
	t=$(readlink "$l") || fail "no by-inode/$ino for a discovered buffer: $(ls /run/dmabuf/by-inode | tr '\n' ' ')"
	case $t in ../proc/[0-9]*/*) ;; *) fail "by-inode/$ino links to '$t'" ;; esac
	[ "$(info_field "$l" inode)" = "$ino" ] || fail "by-inode/$ino -> $t has inode $(info_field "$l" inode)"
	echo "# by-inode/$ino -> $t"
done

# top --json (json-c's pretty form: one member per line).
dmabufctl top --json >"$VMT/top.json" 2>"$VMT/top.err" ||
	fail "dmabufctl top --json: $(cat "$VMT/top.err")"
dmabufctl top | sed 's/^/# top| /'
# INO SIZE NHOLDERS SHARED KERNEL_ONLY per buffer, from the buffers array.
awk '/"processes":/ { exit }
	/"inode":/ { gsub(/[^0-9]/, ""); ino = $0 }
	/"size":/ && ino != "" && size == "" { gsub(/[^0-9]/, ""); size = $0 }
	/"kernel_only":/ { ko = ($0 ~ /true/) }
	/"nholders":/ { gsub(/[^0-9]/, ""); nh = $0 }
	/"shared_size":/ { sub(/.*: */, ""); sub(/,$/, ""); print ino, size, nh, $0 + 0, ko; ino = ""; size = "" }' \
	"$VMT/top.json" >"$VMT/bufs"
sed 's/^/# top buffer: /' "$VMT/bufs"
total=$(sed -n 's/^  "total_size": *\([0-9]*\),*$/\1/p' "$VMT/top.json")
sum=$(awk '{ s += $2 } END { printf "%d", s }' "$VMT/bufs")
[ -n "$total" ] && [ "$total" = "$sum" ] || fail "top: total_size '$total', sum of the buffers $sum"
n=$(wc -l <"$VMT/bufs")
[ "$(awk '{ print $1 }' "$VMT/bufs" | sort -u | wc -l)" = "$n" ] || fail "top lists a buffer twice"
for ino in $(grep -E '^(HOLD|KERNEL) ' "$VMT/out" | tr ' ' '\n' | sed -n 's/^ino=//p' | sort -u); do
	size=$(grep -E "^(HOLD|KERNEL) .*ino=$ino " "$VMT/out" | head -n1 | tr ' ' '\n' | sed -n 's/^size=//p')
	b=$(awk -v i="$ino" '$1 == i' "$VMT/bufs")
	[ -n "$b" ] || fail "top does not list ino $ino"
	[ "$(echo "$b" | awk '{ print $2 }')" = "$size" ] || fail "top: ino $ino size '$b', expected $size"
done
# The shared buffer: three holders, a third each.
sh_line=$(grep '^HOLD .*tag=shared' "$VMT/out" | head -n1)
if [ -n "$sh_line" ]; then
	ino=$(field ino "$sh_line")
	npids=$(grep "^HOLD .*tag=shared" "$VMT/out" | tr ' ' '\n' | grep '^pid=' | sort -u | wc -l)
	[ "$npids" = 3 ] || fail "holders printed $npids processes for the shared buffer"
	b=$(awk -v i="$ino" '$1 == i' "$VMT/bufs")
	set -- $b
	[ "$3" = 3 ] || fail "shared buffer ino $ino: $3 holders in top, expected 3"
	[ "$4" = $(($2 / 3)) ] || fail "shared buffer: shared_size $4, expected $(($2 / 3))"
	echo "# shared ino $ino: size $2, 3 holders, $4 each"
fi
kline=$(grep '^KERNEL ' "$VMT/out")
if [ -n "$kline" ] && [ -e "$BI" ]; then
	ino=$(field ino "$kline")
	b=$(awk -v i="$ino" '$1 == i' "$VMT/bufs")
	set -- $b
	[ "$5" = 1 ] && [ "$3" = 0 ] || fail "vgem-kernel ino $ino: '$b', expected kernel-only, 0 holders"
	grep -Eq '"visible": *true' "$VMT/top.json" || fail "top: kernel list not visible with $BI"
elif [ ! -e "$BI" ]; then
	dmabufctl top | grep -q 'kernel-only buffers: not visible' ||
		fail "top does not say that kernel-only buffers are not visible"
fi

# Content: uid 1000 is refused root's buffer, given its own.
hline=$(grep '^HOLD .*kind=fd' "$VMT/out" | grep -v tag=shared | head -n1)
hpid=$(field pid "$hline") hino=$(field ino "$hline")
for n in $(ls "$P/$hpid"); do
	[ "$(info_field "$P/$hpid/$n" inode)" = "$hino" ] && rf=$P/$hpid/$n
done
got=$(dmabuf-hold as 1000 open "$rf" r)
[ "$got" = EACCES ] || fail "uid 1000 opening root's $rf: '$got', expected EACCES"
start_holder B as 1000 hold heap 65536 22
dmabuf-hold as 1000 verify "$P/$B_pid/$B_fd" 22 || fail "uid 1000 cannot read its own $P/$B_pid/$B_fd"
dmabuf-hold as 1000 exec dmabufctl top | sed 's/^/# top as uid 1000| /'
stop_holder B
exit 0
