#!/bin/sh
# Kernel-only buffers without debugfs (issue 18). `holders` makes a vgem
# dumb buffer, PRIME-exports it and closes the fd: the GEM object keeps the
# dma-buf, which no process holds. `dmabufctl top --json` must find it as
# kernel-only with holders' size and exporter, from the source this kernel
# gives: on 6.16+ (7.3) the dma-buf BPF iterator with debugfs unmounted
# (and still the iterator, first in order, once debugfs is mounted); before
# 6.16 (6.12) debugfs bufinfo, and with debugfs unmounted "not visible"
# with both reasons. The expected source comes from the kernel's version,
# not from a probe, so a broken iterator cannot pass as a fallback.
. /vm/lib.sh

DBG=/sys/kernel/debug
BI=$DBG/dma_buf/bufinfo
rel=$(uname -r)
maj=${rel%%.*} rest=${rel#*.}
min=${rest%%[!0-9]*}
if [ "$maj" -gt 6 ] || { [ "$maj" -eq 6 ] && [ "$min" -ge 16 ]; }; then
	want=bpf
else
	want=debugfs
fi

start_daemon
mkfifo "$VMT/in" || fail "mkfifo"
holders <"$VMT/in" >"$VMT/out" 2>&1 &
hp=$!
exec 9>"$VMT/in"
trap 'rc=$?; exec 9>&-; wait $hp 2>/dev/null; (exit $rc); stop_daemon' EXIT
wait_output "$hp" "$VMT/out" '^READY' ||
	not_up "$hp" "$VMT/out" holders holders "holders did not come up"
kline=$(grep '^KERNEL ' "$VMT/out") || skip "holders made no buffer only the kernel holds (no vgem)"
field() { echo "$2" | tr ' ' '\n' | sed -n "s/^$1=//p" | head -n1; }
ino=$(field ino "$kline") size=$(field size "$kline") exp=$(field exp_name "$kline")
echo "# kernel-only buffer: ino $ino size $size exporter $exp; expected source $want"

# top --json (json-c's pretty form): the kernel section's source, and
# "INO SIZE EXPORTER KERNEL_ONLY" of the buffer ino.
top_check() {
	dmabufctl top --json >"$VMT/top.json" 2>"$VMT/top.err" ||
		fail "dmabufctl top --json: $(cat "$VMT/top.err")"
	src=$(sed -n 's/^ *"source": *"\([a-z]*\)".*/\1/p' "$VMT/top.json" | tail -n1)
	reason=$(sed -n 's/^ *"reason": *"\(.*\)".*/\1/p' "$VMT/top.json" | tail -n1)
	buf=$(awk -v i="$ino" '/"processes":/ { exit }
		/"inode":/ { gsub(/[^0-9]/, ""); cur = $0; sz = ""; ex = "" }
		/"size":/ && sz == "" { gsub(/[^0-9]/, ""); sz = $0 }
		/"exporter":/ { sub(/.*: *"/, ""); sub(/".*/, ""); ex = $0 }
		/"kernel_only":/ && cur == i { print cur, sz, ex, ($0 ~ /true/) }' "$VMT/top.json")
	dmabufctl top | grep '^kernel-only' | sed 's/^/# top| /'
}

umount "$DBG" 2>/dev/null
[ -e "$BI" ] && fail "debugfs is still mounted at $DBG"
top_check
if [ "$want" = bpf ]; then
	[ "$src" = bpf ] || fail "debugfs unmounted on $rel: source '$src' ($reason), expected bpf"
	[ "$buf" = "$ino $size $exp 1" ] ||
		fail "the BPF iterator's list: '$buf', expected '$ino $size $exp 1' (inode size exporter kernel-only)"
	echo "VMINFO kernel-source-nodebugfs=bpf ino=$ino size=$size exporter=$exp"
else
	[ "$src" = none ] || fail "debugfs unmounted on $rel: source '$src', expected none"
	case $reason in
	*"no dma-buf iterator"*"no debugfs"*) ;;
	*) fail "the reason does not name both sources: '$reason'" ;;
	esac
	echo "VMINFO kernel-source-nodebugfs=none reason='$reason'"
fi

mount -t debugfs debugfs "$DBG" || fail "mount debugfs"
top_check
[ "$src" = "$want" ] || fail "debugfs mounted on $rel: source '$src' ($reason), expected $want"
[ "$buf" = "$ino $size $exp 1" ] ||
	fail "source $src: '$buf', expected '$ino $size $exp 1' (inode size exporter kernel-only)"
echo "VMINFO kernel-source-debugfs=$src ino=$ino size=$size exporter=$exp"
exit 0
