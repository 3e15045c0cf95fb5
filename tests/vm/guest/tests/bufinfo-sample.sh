#!/bin/sh
# Whole-system inspection against the real kernel (issue 9), without the
# daemon: holders (progs/holders.c) holds buffers of every exporter the
# guest has, by fd and mapped only, one of them in three processes; then
#  - the kernel's /sys/kernel/debug/dma_buf/bufinfo is printed whole (the
#    real format of this kernel, "# bufinfo| " lines), and parsed
#    (inspect-parse, the daemon's src/shared/bufinfo.c): every held inode
#    is listed with the holder's size and exp_name, totals agree;
#  - each map holder's /proc/PID/maps, parsed by src/shared/maps.c, shows
#    that inode (the fd-less buffer), and an fd-only holder maps none;
#  - a name with blanks comes through both parsers whole;
#  - the accounting (src/shared/holders.c) over the holders' records plus
#    bufinfo: the shared buffer is one inode with three holders and a third
#    of its size in each one's pss, the fd+map-free parent counts it once,
#    and the totals are the sum over the distinct inodes; a vgem buffer
#    whose fd was closed (the GEM object keeps it) is a kernel-only buffer.
. /vm/lib.sh

command -v holders >/dev/null || fail "no holders program in /vm/bin"
command -v inspect-parse >/dev/null || fail "no inspect-parse program in /vm/bin"
# vivid with the parameters the other tests want (a subshell: no vivid is
# no reason to skip the rest).
(load_vivid) >/dev/null 2>&1 || echo "# vivid not loaded: holders goes without it"
BI=/sys/kernel/debug/dma_buf/bufinfo
if [ ! -e "$BI" ]; then
	mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
	[ -e "$BI" ] || skip "no $BI (kernel without CONFIG_DEBUG_FS?)"
fi

VMT=$(mktemp -d /tmp/vmt.XXXXXX) || fail "mktemp"
mkfifo "$VMT/in" || fail "mkfifo"
holders <"$VMT/in" >"$VMT/out" 2>&1 &
bg=$!
exec 3>"$VMT/in"
cleanup() {
	exec 3>&-
	wait "$bg" 2>/dev/null
}
trap cleanup EXIT
wait_output "$bg" "$VMT/out" '^READY' ||
	not_up "$bg" "$VMT/out" holders holders "holders did not come up"
sed 's/^/# holders: /' "$VMT/out"
grep '^HOLD ' "$VMT/out" >"$VMT/hold"

echo "# uname: $(uname -r)"
echo "# ---- $BI, verbatim"
sed 's/^/# bufinfo| /' "$BI"
echo "# ---- end of bufinfo"

inspect-parse bufinfo >"$VMT/bufinfo" 2>"$VMT/err" ||
	fail "inspect-parse bufinfo: $(cat "$VMT/err")"
sed 's/^/# parsed: /' "$VMT/bufinfo"

# field KEY LINE: the value of KEY= in a line of key=value words.
field() { echo "$2" | tr ' ' '\n' | sed -n "s/^$1=//p" | head -n1; }

while read -r line; do
	ino=$(field ino "$line") size=$(field size "$line") exp=$(field exp_name "$line")
	tag=$(field tag "$line")
	b=$(grep "^BUF ino=$ino " "$VMT/bufinfo") ||
		fail "bufinfo does not list $tag (ino $ino)"
	[ "$(field size "$b")" = "$size" ] ||
		fail "bufinfo: $tag size $(field size "$b"), holder says $size"
	[ "$(field exp_name "$b")" = "$exp" ] ||
		fail "bufinfo: $tag exp_name $(field exp_name "$b"), holder says $exp"
	[ "$(field suspect "$b")" = 0 ] || fail "bufinfo: $tag marked suspect"
done <"$VMT/hold"
n=$(grep -c '^BUF ' "$VMT/bufinfo")
tot=$(grep '^TOTAL ' "$VMT/bufinfo")
sum=$(awk '/^BUF /{ for (i = 2; i <= NF; i++) if ($i ~ /^size=/) s += substr($i, 6) } END { printf "%d", s }' "$VMT/bufinfo")
[ "$(field n "$tot")" = "$n" ] || fail "bufinfo: $n entries, totals say $(field n "$tot")"
[ "$(field bytes "$tot")" = "$sum" ] || fail "bufinfo: entries sum to $sum, totals say $(field bytes "$tot")"

# Maps: each map holder shows its inode; each fd-only process maps nothing.
for pid in $(sed 's/.*pid=\([0-9]*\).*/\1/' "$VMT/hold" | sort -u); do
	inspect-parse maps "$pid" >"$VMT/maps.$pid" 2>"$VMT/err" ||
		fail "inspect-parse maps $pid: $(cat "$VMT/err")"
	echo "# maps of $pid: $(grep -c . "$VMT/maps.$pid") dma-buf mapping(s);" \
		"raw: $(grep -c '/dmabuf:' "/proc/$pid/maps")"
	grep '/dmabuf:' "/proc/$pid/maps" | sed "s/^/# maps $pid| /"
	[ "$(grep -c . "$VMT/maps.$pid")" = "$(grep -c '/dmabuf:' "/proc/$pid/maps")" ] ||
		fail "maps of $pid: parser found $(grep -c . "$VMT/maps.$pid"), the text has $(grep -c '/dmabuf:' "/proc/$pid/maps")"
	for ino in $(grep "pid=$pid .*kind=map" "$VMT/hold" | sed 's/.*ino=\([0-9]*\).*/\1/'); do
		grep -q "^MAP pid=$pid ino=$ino " "$VMT/maps.$pid" ||
			fail "maps of $pid do not show its mapped-only buffer (ino $ino)"
	done
	if ! grep -q "pid=$pid .*kind=map" "$VMT/hold"; then
		[ ! -s "$VMT/maps.$pid" ] || fail "maps of $pid show dma-bufs it only holds by fd"
	fi
done

# A name with blanks (DMA_BUF_SET_NAME) comes through both parsers whole.
if line=$(grep -m1 ' name=' "$VMT/hold"); then
	want=${line#* name=}
	ino=$(field ino "$line") pid=$(field pid "$line")
	got=$(grep "^BUF ino=$ino " "$VMT/bufinfo" | sed 's/.* name=//')
	[ "$got" = "$want" ] || fail "bufinfo: name of ino $ino is '$got', expected '$want'"
	got=$(grep "^MAP pid=$pid ino=$ino " "$VMT/maps.$pid" | sed 's/.* name=//')
	[ "$got" = "$want" ] || fail "maps of $pid: name of ino $ino is '$got', expected '$want'"
fi

# The accounting model.
inspect-parse model <"$VMT/hold" >"$VMT/model" 2>"$VMT/err" ||
	fail "inspect-parse model: $(cat "$VMT/err")"
sed 's/^/# model: /' "$VMT/model"
if grep -q 'tag=shared' "$VMT/hold"; then
	sino=$(field ino "$(grep -m1 'tag=shared' "$VMT/hold")")
	ssize=$(field size "$(grep -m1 'tag=shared' "$VMT/hold")")
	b=$(grep "^BUFFER ino=$sino " "$VMT/model") || fail "model lacks the shared buffer"
	[ "$(field holders "$b")" = 3 ] || fail "shared buffer: $(field holders "$b") holders, expected 3"
	[ "$(grep -c "ino=$sino " "$VMT/bufinfo")" = 1 ] || fail "shared buffer listed more than once by bufinfo"
	# Children hold only the shared buffer: their pss is exactly a third.
	for pid in $(grep 'tag=shared' "$VMT/hold" | sed 's/.*pid=\([0-9]*\).*/\1/'); do
		p=$(grep "^PROC pid=$pid " "$VMT/model") || fail "model lacks process $pid"
		[ "$(field nbufs "$p")" = 1 ] || continue
		want=$(awk -v s="$ssize" 'BEGIN { printf "%.0f", s / 3 }')
		[ "$(field pss "$p")" = "$want" ] || fail "pid $pid: pss $(field pss "$p"), expected $want (a third)"
	done
fi
# Per process: size is the sum over its distinct inodes, however held.
for pid in $(sed 's/.*pid=\([0-9]*\).*/\1/' "$VMT/hold" | sort -u); do
	want=$(grep "pid=$pid " "$VMT/hold" | sed 's/.*ino=\([0-9]*\) size=\([0-9]*\).*/\1 \2/' |
		sort -u | awk '{ s += $2 } END { printf "%d", s }')
	got=$(field size "$(grep "^PROC pid=$pid " "$VMT/model")")
	[ "$got" = "$want" ] || fail "pid $pid: model size $got, its buffers sum to $want"
done
# The buffer no process holds: listed, with no holder, as kernel-only.
if k=$(grep '^KERNEL ' "$VMT/out"); then
	kino=$(field ino "$k")
	b=$(grep "^BUFFER ino=$kino " "$VMT/model") || fail "bufinfo does not list the kernel-held vgem buffer (ino $kino)"
	[ "$(field kernel_only "$b")" = 1 ] && [ "$(field holders "$b")" = 0 ] ||
		fail "kernel-held vgem buffer: $b"
	[ "$(field size "$b")" = "$(field size "$k")" ] || fail "kernel-held vgem buffer: size $(field size "$b"), expected $(field size "$k")"
	for pid in $(sed 's/.*pid=\([0-9]*\).*/\1/' "$VMT/hold" | sort -u); do
		grep -q "^MAP pid=$pid ino=$kino " "$VMT/maps.$pid" && fail "pid $pid maps the kernel-held buffer"
		for f in /proc/"$pid"/fdinfo/*; do
			grep -q "^exp_name:" "$f" 2>/dev/null || continue
			[ "$(sed -n 's/^ino:[[:space:]]*//p' "$f")" = "$kino" ] &&
				fail "pid $pid holds the kernel-held buffer by fd ${f##*/}"
		done
	done
fi
t=$(grep '^TOTALS ' "$VMT/model")
[ "$(field size "$t")" = "$sum" ] || fail "model total $(field size "$t"), bufinfo says $sum"
echo "# $(grep -c . "$VMT/hold") holder records, $n buffers in bufinfo," \
	"$(field kernel_only_nbufs "$t") held by no process ($(field kernel_only_size "$t") bytes)"
echo quit >&3
exit 0
