#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# The VM benchmark (tests/vm/run.sh BUILDDIR --bench, run by /init instead
# of the tests when vmbench=1 is on the kernel command line): one daemon on
# /run/dmabuf and dmabuffs-bench --file on three real dma-bufs in turn,
#   udmabuf     truncate -s SIZE new/udmabuf/bench-udmabuf
#   heap        truncate -s SIZE new/heap:system/bench-heap
#   bochs-vram  the bochs scanout buffer, pinned in VRAM by SetCrtc and
#               published by bochs-scanout --hold (4,096,000 bytes at
#               1280x800), held for as long as the bench runs
# TCG timings are not real hardware's: the figures are reported, never
# held to a target (--no-targets). Per buffer the console gets the bench's
# progress (# lines) as it goes, then
#	VMBENCH BEGIN NAME
#	... the bench's stdout: header, table, BENCH lines ...
#	VMBENCH END NAME rc=N secs=T
# or "VMBENCH SKIP NAME: reason" / "VMBENCH FAIL NAME: reason", maybe
# "VMBENCH NOTE NAME: text" (bochs-vram: where its data is in VRAM after
# the bench), and last
#	VMBENCHRESULT R ran, F failed, S skipped
# Exit 0 when none failed. Kernel command line: vmbenchsize=MIB (udmabuf
# and heap buffers, default 16), vmbenchruns=N (default 3),
# vmbenchonly=LIST (the bench's --only, default limit,read,write,mmap,rand).
. /vm/lib.sh

export VMTEST_REASON=/tmp/vmbench-reason
size=16 runs=3 only=limit,read,write,mmap,rand
for arg in $(cat /proc/cmdline); do
	case $arg in
	vmbenchsize=*) size=${arg#vmbenchsize=} ;;
	vmbenchruns=*) runs=${arg#vmbenchruns=} ;;
	vmbenchonly=*) only=${arg#vmbenchonly=} ;;
	esac
done
ran=0 failed=0 skipped=0
echo "VMINFO bench-start uptime=$(cut -d' ' -f1 /proc/uptime)"

bench_skip() {
	echo "VMBENCH SKIP $1: $2"
	skipped=$((skipped + 1))
}

bench_fail() {
	echo "VMBENCH FAIL $1: $2"
	failed=$((failed + 1))
}

# bench_file NAME PATH: dmabuffs-bench on PATH; its table between the
# VMBENCH BEGIN/END lines (stdout kept apart, so that nothing else the
# console gets can end up inside).
bench_file() {
	name=$1 path=$2
	desc="exporter $(info_field "$path" exporter), iomem $(info_field "$path" iomem)"
	desc="$desc, origin $(info_field "$path" origin), $(stat -c %s "$path") bytes"
	echo "# ---- bench $name: $path ($desc)"
	start=$(cut -d' ' -f1 /proc/uptime)
	dmabuffs-bench --file "$path" --control "$DMABUFFS_CONTROL" --runs "$runs" \
		--only "$only" --no-targets >"$VMT/$name.out"
	rc=$?
	end=$(cut -d' ' -f1 /proc/uptime)
	took=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", b - a }')
	echo "VMBENCH BEGIN $name"
	echo "# $name: $path ($desc)"
	cat "$VMT/$name.out"
	echo "VMBENCH END $name rc=$rc secs=$took"
	if [ "$rc" -eq 0 ]; then
		ran=$((ran + 1))
	else
		bench_fail "$name" "dmabuffs-bench exited with status $rc"
	fi
}

# bench_new NAME BACKEND: a SIZE MiB buffer made through new/BACKEND/.
bench_new() {
	name=$1 backend=$2
	f=/run/dmabuf/bench-$name
	if [ ! -d "/run/dmabuf/new/$backend" ]; then
		bench_skip "$name" "the daemon offers no new/$backend"
		return
	fi
	if ! truncate -s "${size}M" "/run/dmabuf/new/$backend/bench-$name"; then
		bench_fail "$name" "truncate -s ${size}M /run/dmabuf/new/$backend/bench-$name failed"
		return
	fi
	bench_file "$name" "$f"
	rm -f "$f"
}

# The bochs scanout buffer, held by bochs-scanout --hold for the bench.
bench_vram() {
	name=bochs-vram
	rm -f "$VMTEST_REASON"
	bochs-scanout --hold "bench-vram" >"$VMT/hold.out" 2>&1 &
	hpid=$!
	i=0
	while ! grep -q '^hold ' "$VMT/hold.out"; do
		if ! kill -0 "$hpid" 2>/dev/null || [ $i -ge 100 ]; then
			kill "$hpid" 2>/dev/null
			wait "$hpid"
			st=$?
			sed 's/^/# hold: /' "$VMT/hold.out"
			why=$(head -n1 "$VMTEST_REASON" 2>/dev/null)
			if [ "$st" -eq 77 ]; then
				bench_skip "$name" "bochs-scanout --hold: $why"
			else
				bench_fail "$name" \
					"bochs-scanout --hold did not come up (exit $st${why:+: $why})"
			fi
			return
		fi
		sleep 0.1
		i=$((i + 1))
	done
	sed 's/^/# hold: /' "$VMT/hold.out"
	path=$(sed -n 's/^hold .*path=\([^ ]*\).*/\1/p' "$VMT/hold.out")
	bench_file "$name" "$path"
	kill -TERM "$hpid"
	wait "$hpid"
	st=$?
	# Where the bench's data ended up: in VRAM, or the figures are not
	# about VRAM.
	note=$(sed -n 's/^hold-vram name=[^ ]* //p' "$VMT/hold.out")
	if [ "$st" -eq 0 ] && [ -n "$note" ]; then
		echo "VMBENCH NOTE $name: $note"
	else
		sed -n 's/^/# hold: /p' "$VMT/hold.out" | tail -n 3
		why=$(head -n1 "$VMTEST_REASON" 2>/dev/null)
		bench_fail "$name" "bochs-scanout --hold exited with status $st${why:+: $why}"
	fi
}

for p in dmabuffs-bench dmabuffs dmabufctl; do
	command -v $p >/dev/null 2>&1 && continue
	echo "VMBENCH SKIP all: no $p in the initramfs (make install failed?)"
	echo "VMBENCHRESULT 0 ran, 0 failed, 3 skipped"
	exit 0
done
start_daemon
bench_new udmabuf udmabuf
bench_new heap heap:system
bench_vram
echo "VMINFO bench-end uptime=$(cut -d' ' -f1 /proc/uptime)"
echo "VMBENCHRESULT $ran ran, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
