#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# run.sh BUILDDIR
# run.sh BUILDDIR --bench
#
# The VM tier: boot Debian's 6.12 backports kernel and the newest kernel of
# trixie-backports in QEMU (TCG), each with an initramfs of the guest tests
# and real dma-buf exporters (udmabuf, system heap, vgem, bochs, qxl,
# virtio-gpu, vivid); a kernel with CONFIG_FUSE_IO_URING runs the suite a
# second time with every daemon mounted -o io_uring; and 7.3 boots once
# more with Debian's systemd as PID 1 for the service tests. Reports
#
#	VMTEST PASS|FAIL|SKIP LABEL/name[: reason]  one line per test, LABEL
#	                                           6.12, 7.3, 7.3-io_uring,
#	                                           7.3-systemd
#	vm: P passed, F failed, S skipped           last line, all boots
#
# Exit 0 when every QEMU exited cleanly, each guest's VMRESULT line says 0
# failed and the host-side checks passed; 77 (after "vm: SKIP: reason")
# when the tier cannot run here (no QEMU, no network for the first
# download of any kernel); 1 otherwise. Artifacts in BUILDDIR/vm/LABEL/
# (serial.log, host/, *.log); the kernels are cached in BUILDDIR/vm-cache/.
# See tests/vm/README.md.
#
# Environment: VM_KERNELS (default "6.12 trixie-backports:newest": SERIES of
# <release>-backports, or SUITE:SERIES), VM_URING=0 (no io_uring pass),
# VM_JOBS (boots at once, default: the number of CPUs), VM_TESTS=GLOB[,GLOB]
# (only those guest tests), VM_TIMEOUT (one boot, s, default 240; the
# systemd boot 720),
# VM_TEST_TIMEOUT (per guest test, s, default 60), VM_INTEGRATION=0 (not
# tests/integration/*.sh),
# VM_APPEND (more kernel arguments), VM_PROJECT=no (no `make install` of
# the project), VM_SYSTEMD=0 (no systemd boot).
#
# --bench: no tests; the benchmark in the guest instead (guest/bench.sh:
# dmabuffs-bench --file on a udmabuf, a system-heap and a bochs VRAM
# buffer). Prints each buffer's table, labelled "VM (qemu TCG): not
# comparable to the host, not targeted", then
#	vm-bench: R ran, F failed, S skipped
# Exit 0 when the guest ran them (a skipped buffer is fine), 77 as above,
# 1 when the run or a bench failed. One kernel: the first of VM_KERNELS
# (VM_BENCH_KERNEL overrides). Artifacts: BUILDDIR/vm/bench-*.
# Environment: VM_BENCH_SIZE (MiB, udmabuf and heap buffers, default 16),
# VM_BENCH_RUNS (default 3), VM_BENCH_ONLY (the bench's --only, default
# limit,read,write,mmap,rand), VM_TIMEOUT (default 240), VM_APPEND.
set -uo pipefail

SKIP=77
here=$(cd "$(dirname "$0")" && pwd)
T0=$(date +%s.%N)

skip() {
	if [ -n "${bench:-}" ]; then
		echo "vm-bench: SKIP: $*"
	else
		echo "vm: SKIP: $*"
	fi
	exit $SKIP
}
# A run that cannot start: the tier's totals, or the bench's.
broken() {
	echo "vm: $*"
	if [ -n "$bench" ]; then
		echo "vm-bench: 0 ran, 1 failed, 0 skipped"
	else
		echo "vm: 0 passed, 1 failed, 0 skipped"
	fi
	exit 1
}
elapsed() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }

bench=
if [ $# -eq 2 ] && [ "$2" = --bench ]; then
	bench=1
elif [ $# -ne 1 ]; then
	echo "usage: $0 BUILDDIR [--bench]" >&2
	exit 2
fi
mkdir -p "$1"
builddir=$(cd "$1" && pwd)
vm=$builddir/vm
# Files of a run: the tests' (serial.log, host/, ...) or the bench's
# (bench-serial.log, bench-host/, ...), so that one does not hide the other.
pfx=${bench:+bench-}
cache=$builddir/vm-cache
mkdir -p "$vm" "$cache"

# ---------------------------------------------------------------- tools
qemu=$(command -v qemu-system-x86_64) ||
	skip "qemu-system-x86_64 not found (apt-get install qemu-system-x86)"
for t in gcc:gcc cpio:cpio gzip:gzip xz:xz-utils depmod:kmod modprobe:kmod \
	 busybox:busybox-static timeout:coreutils dpkg-deb:dpkg; do
	command -v "${t%%:*}" >/dev/null || skip "${t%%:*} not found (apt-get install ${t#*:})"
done
[ -e /usr/lib/x86_64-linux-gnu/libdrm.a ] || [ -n "$(pkg-config --variable=libdir libdrm 2>/dev/null)" ] ||
	skip "libdrm not found (apt-get install libdrm-dev)"

# ---------------------------------------------------------------- kernels
# VM_KERNELS: the kernels to boot, each SERIES (of <release>-backports, the
# machine's own release: "6.12") or SUITE:SERIES ("trixie-backports:newest",
# SERIES newest = the newest generic image of SUITE). Each is named by its
# release's MAJOR.MINOR ("6.12", "7.3"), which prefixes its tests' names.
t=$(date +%s.%N)
kspecs=${VM_KERNELS:-"6.12 trixie-backports:newest"}
[ -n "$bench" ] && kspecs=${VM_BENCH_KERNEL:-${kspecs%% *}}
klabels=() ktrees=() kskips=()
# The one-kernel cache of earlier versions of this script (~220 MB).
rm -rf "$cache/apt" "$cache/kernel"
for spec in $kspecs; do
	case $spec in
	*:*) suite=${spec%%:*} series=${spec#*:} ;;
	*) suite= series=$spec ;;
	esac
	kcache=$cache/${suite:-backports}-$series
	# An empty SUITE is fetch-kernel's default.
	kernel=$("$here/fetch-kernel.sh" "$kcache" "$suite" "$series")
	rc=$?
	if [ $rc -eq $SKIP ]; then
		kskips+=("kernel-$series${suite:+ of $suite}: fetch-kernel.sh could not download it (no network?)")
		continue
	fi
	[ $rc -eq 0 ] || broken "fetch-kernel.sh $kcache $suite $series failed ($rc)"
	release=$(basename "$(ls -d "$kernel"/lib/modules/*/ | head -n1)")
	klabels+=("$(echo "$release" | sed -E 's/^([0-9]+\.[0-9]+).*/\1/')")
	ktrees+=("$kernel")
done
[ ${#ktrees[@]} -gt 0 ] || skip "no kernel: ${kskips[0]:-VM_KERNELS is empty}"
t_fetch=$(elapsed "$t")

# ---------------------------------------------------------------- host tools
mkdir -p "$vm/host-bin"
for src in "$here"/host/*.c; do
	bin=$vm/host-bin/$(basename "$src" .c)
	if [ ! -x "$bin" ] || [ "$src" -nt "$bin" ] || [ "$here/progs/vmtest.h" -nt "$bin" ]; then
		gcc -std=gnu11 -O2 -Wall -Wextra -o "$bin" "$src" || broken "cannot compile $src"
	fi
done

# ---------------------------------------------------------------- initramfs
# One archive per kernel (its modules), built one after the other: they
# share the staging tree. Then the boots: one per kernel, and for a kernel
# with CONFIG_FUSE_IO_URING the same suite once more with every daemon
# mounted -o io_uring (vmuring=1: enable_uring set in the guest).
t=$(date +%s.%N)
if [ -n "$bench" ]; then
	# It links the build's libdmabuffs, which the initramfs ships.
	make -C "$builddir" -s --no-print-directory tests/bench/dmabuffs-bench >&2 ||
		broken "cannot build tests/bench/dmabuffs-bench in $builddir"
fi
boots=() boot_kernel=() boot_initrd=() boot_append=()
for i in "${!ktrees[@]}"; do
	kernel=${ktrees[$i]} label=${klabels[$i]}
	initrd=$(VM_BENCH=${bench:-0} "$here/build-initramfs.sh" "$builddir" "$kernel") ||
		broken "build-initramfs.sh failed for $kernel"
	vmlinuz=
	for f in "$kernel"/boot/vmlinuz-*; do vmlinuz=$f; done
	[ -e "$vmlinuz" ] || broken "no vmlinuz in $kernel"
	boots+=("$label") boot_kernel+=("$vmlinuz") boot_initrd+=("$initrd")
	boot_append+=("vmlabel=$label")
	[ -n "$bench" ] && break
	if [ "${VM_URING:-1}" != 0 ] &&
	   grep -qx 'CONFIG_FUSE_IO_URING=y' "$kernel"/boot/config-* 2>/dev/null; then
		boots+=("$label-io_uring") boot_kernel+=("$vmlinuz") boot_initrd+=("$initrd")
		boot_append+=("vmlabel=$label-io_uring vmuring=1")
	fi
done
# The systemd boot (VM_SYSTEMD=0: none): Debian's systemd as PID 1
# (fetch-systemd.sh, cached in BUILDDIR/vm-cache/systemd-trixie/) on the 7.3
# kernel (else the last one), the project's dmabuffs.service as `make
# install` puts it; its tests are guest/systemd/tests/ (LABEL-systemd/NAME).
# With VM_TESTS, only when one of them matches.
sd_wanted= sd_label=
if [ -z "$bench" ] && [ "${VM_SYSTEMD:-1}" != 0 ]; then
	sd_wanted=1
	if [ -n "${VM_TESTS:-}" ]; then
		sd_wanted=
		for f in "$here"/guest/systemd/tests/*.sh; do
			n=$(basename "$f" .sh)
			for g in ${VM_TESTS//,/ }; do
				# shellcheck disable=SC2254 # a glob on purpose
				case $n in $g) sd_wanted=1 ;; esac
			done
		done
	fi
fi
if [ -n "$sd_wanted" ]; then
	si=$((${#ktrees[@]} - 1))
	for i in "${!klabels[@]}"; do [ "${klabels[$i]}" = 7.3 ] && si=$i; done
	sysroot=$("$here/fetch-systemd.sh" "$cache/systemd-trixie")
	rc=$?
	if [ $rc -eq $SKIP ]; then
		kskips+=("systemd: fetch-systemd.sh could not download Debian's systemd (no network?)")
	elif [ $rc -ne 0 ]; then
		broken "fetch-systemd.sh $cache/systemd-trixie failed ($rc)"
	else
		kernel=${ktrees[$si]} label=${klabels[$si]}-systemd sd_label=${klabels[$si]}-systemd
		initrd=$(VM_SYSROOT=$sysroot "$here/build-initramfs.sh" "$builddir" "$kernel") ||
			broken "build-initramfs.sh failed for the systemd boot"
		for f in "$kernel"/boot/vmlinuz-*; do vmlinuz=$f; done
		# First: the longest boot (~200 s at load 8 here, mostly its
		# systemctl calls) starts at once, the others fill the other CPU.
		boots=("$label" "${boots[@]}") boot_kernel=("$vmlinuz" "${boot_kernel[@]}")
		boot_initrd=("$initrd" "${boot_initrd[@]}")
		# Each systemctl call takes a while in TCG: a test needs more
		# than the default minute (VM_TEST_TIMEOUT overrides, as for all boots).
		sd_append="vmlabel=$label vmintegration=0 systemd.show_status=error"
		[ -n "${VM_TEST_TIMEOUT:-}" ] || sd_append+=" vmtimeout=150"
		boot_append=("$sd_append" "${boot_append[@]}")
	fi
fi
t_initrd=$(elapsed "$t")

# ---------------------------------------------------------------- boot
append="console=ttyS0 iomem=relaxed panic=-1 quiet"
[ -n "${VM_TESTS:-}" ] && append="$append vmtests=$VM_TESTS"
[ -n "${VM_TEST_TIMEOUT:-}" ] && append="$append vmtimeout=$VM_TEST_TIMEOUT"
[ "${VM_INTEGRATION:-1}" = 0 ] && append="$append vmintegration=0"
if [ -n "$bench" ]; then
	append="$append vmbench=1"
	[ -n "${VM_BENCH_SIZE:-}" ] && append="$append vmbenchsize=$VM_BENCH_SIZE"
	[ -n "${VM_BENCH_RUNS:-}" ] && append="$append vmbenchruns=$VM_BENCH_RUNS"
	[ -n "${VM_BENCH_ONLY:-}" ] && append="$append vmbenchonly=$VM_BENCH_ONLY"
fi
[ -n "${VM_APPEND:-}" ] && append="$append $VM_APPEND"
limit=${VM_TIMEOUT:-240}
[ -n "$bench" ] && limit=${VM_TIMEOUT:-240}
# The systemd boot's tests take longer (each systemctl call is slow in
# TCG, and kill9-cycles-under-load restarts the service ten times).
boot_limit() { if [ "$1" = "$sd_label" ]; then echo "${VM_TIMEOUT:-720}"; else echo "$limit"; fi; }
# Boots at once: each QEMU (TCG, one vCPU) keeps a core busy, so one per
# core (tests/vm/README.md has the figures).
jobs=${VM_JOBS:-$(nproc 2>/dev/null || echo 1)}

# boot_vm DIR PFX VMLINUZ INITRD APPEND LIMIT: one QEMU run (LIMIT s at most), its console in
# DIR/PFXserial.raw (and .log), its exit status in DIR/PFXqemu.rc and the
# seconds it took in DIR/PFXboot.secs. Meant to run in a subshell.
boot_vm() {
	# Not local: the EXIT trap runs after the function returned.
	dir=$1 pfx=$2 vmlinuz=$3 initrd=$4 app=$5 limit=$6
	# Sockets live in a short private directory: sun_path has 108 bytes
	# and BUILDDIR may be long.
	rundir=$(mktemp -d /tmp/dmabuffs-vm.XXXXXX)
	hostd= qpid=
	trap '[ -n "$qpid" ] && kill "$qpid" 2>/dev/null; [ -n "$hostd" ] && kill "$hostd" 2>/dev/null; rm -rf "$rundir"' EXIT
	trap 'exit 130' INT TERM
	rm -rf "$dir/${pfx}host"
	mkdir -p "$dir/${pfx}host"
	rm -f "$dir/${pfx}serial.raw" "$dir/${pfx}serial.log" "$dir/${pfx}qemu.rc"
	: >"$dir/${pfx}serial.raw"
	# ttyS0 (the console) goes to stdout = serial.raw; ttyS1 is the
	# guest's answer channel from vm-hostd; QMP serves screendump.
	t=$(date +%s.%N)
	timeout -k 5 "$limit" "$qemu" -accel tcg -cpu max -smp 1 -m 1536 \
		-nographic -no-reboot -nic none \
		-kernel "$vmlinuz" -initrd "$initrd" -append "$app" \
		-vga std -device qxl -device virtio-gpu-pci \
		-device isa-debug-exit,iobase=0xf4,iosize=0x04 \
		-device pvpanic-pci -action panic=exit-failure \
		-serial mon:stdio \
		-chardev socket,id=vmhost,path="$rundir/ack.sock",server=on,wait=off \
		-serial chardev:vmhost \
		-qmp unix:"$rundir/qmp.sock",server=on,wait=off \
		</dev/null >"$dir/${pfx}serial.raw" 2>"$dir/${pfx}qemu.stderr" &
	qpid=$!
	"$vm/host-bin/vm-hostd" "$dir/${pfx}serial.raw" "$rundir/qmp.sock" "$rundir/ack.sock" \
		"$dir/${pfx}host" "$qpid" 2>"$dir/${pfx}vm-hostd.log" &
	hostd=$!
	wait "$qpid"
	qrc=$?
	qpid=
	elapsed "$t" >"$dir/${pfx}boot.secs"
	kill "$hostd" 2>/dev/null
	wait "$hostd" 2>/dev/null
	hostd=
	# SeaBIOS and the terminal emit escape sequences and \r: strip them.
	sed -e 's/\x1b\[[0-9;?]*[A-Za-z]//g' -e 's/\x1b[()][A-Za-z0-9]//g' \
	    -e 's/\x1b[=>cDEHM78]//g' -e 's/\r//g' "$dir/${pfx}serial.raw" >"$dir/${pfx}serial.log"
	echo "$qrc" >"$dir/${pfx}qemu.rc"
}

# Each boot's files: BUILDDIR/vm/LABEL/ for the tests, BUILDDIR/vm/bench-*
# for the bench (one kernel), so that one does not hide the other.
bootdir() { if [ -n "$bench" ]; then echo "$vm"; else echo "$vm/$1"; fi; }
pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
}
trap cleanup EXIT
trap 'exit 130' INT TERM
t=$(date +%s.%N)
running=0
for i in "${!boots[@]}"; do
	if [ "$running" -ge "$jobs" ]; then
		wait -n
		running=$((running - 1))
	fi
	dir=$(bootdir "${boots[$i]}")
	mkdir -p "$dir"
	boot_vm "$dir" "$pfx" "${boot_kernel[$i]}" "${boot_initrd[$i]}" \
		"$append ${boot_append[$i]}" "$(boot_limit "${boots[$i]}")" &
	pids+=($!)
	running=$((running + 1))
done
wait
pids=()
t_boot=$(elapsed "$t")

# The run's verdict, or "" when it went as it should: QEMU's exit status
# (0 poweroff, 3 isa-debug-exit, 1 panic, 124/137 timeout) in words.
run_problem() {
	case $qrc in
	0) ;;
	3) echo "the guest reported a failure (isa-debug-exit)" ;;
	1) echo "the guest kernel panicked (pvpanic) or QEMU failed; see $dir/${pfx}qemu.stderr" ;;
	124|137) echo "timed out after ${limit}s: the guest hung, QEMU was killed" ;;
	*) echo "QEMU exited with status $qrc; see $dir/${pfx}qemu.stderr" ;;
	esac
}

# ---------------------------------------------------------------- bench
# Each buffer's table, from between its VMBENCH BEGIN/END lines, saved
# whole (BENCH lines included) to bench-NAME.out and printed without the
# BENCH lines and the ratio legend (the host's table just above has them).
if [ -n "$bench" ]; then
	dir=$vm
	log=$dir/${pfx}serial.log
	qrc=$(cat "$dir/${pfx}qemu.rc" 2>/dev/null || echo 1)
	label="VM (qemu TCG): not comparable to the host, not targeted"
	ran=0 failed=0 skipped=0
	rm -f "$vm"/bench-*.out
	while IFS= read -r line; do
		case $line in
		"VMBENCH SKIP "*) skipped=$((skipped + 1)); echo "# ${line#VMBENCH }" ;;
		"VMBENCH FAIL "*) failed=$((failed + 1)); echo "# ${line#VMBENCH }" ;;
		"VMBENCH NOTE "*) echo "# ${line#VMBENCH NOTE }" ;;
		"VMBENCH END "*)
			name=${line#VMBENCH END }
			name=${name%% *}
			echo
			echo "== $label: $name =="
			awk -v n="$name" '
				$0 ~ "^VMBENCH BEGIN " n "$" { on = 1; next }
				$0 ~ "^VMBENCH END " n " " { on = 0 }
				on' "$log" >"$vm/bench-$name.out"
			grep -v -e '^BENCH ' -e '^ratio: ' -e '^memcpy on ordinary memory' \
				"$vm/bench-$name.out" | cat -s
			case $line in *" rc=0 "*) ran=$((ran + 1)) ;; esac
			echo "# $name: ${line#VMBENCH END "$name" }"
			;;
		esac
	done < <(grep -aoE 'VMBENCH (SKIP|FAIL|NOTE|END) .*' "$log")
	result=$(grep -aoE 'VMBENCHRESULT .*' "$log" | tail -n1)
	why=$(run_problem)
	[ -z "$result" ] && why="${why:+$why; }no VMBENCHRESULT line from the guest"
	if [ -n "$why" ]; then
		[ "$failed" -gt 0 ] || failed=1
		echo "# vm-bench: $why"
		echo "# last lines of $log:"
		tail -n 25 "$log" | sed 's/^/#   /'
	fi
	echo
	[ -n "$result" ] && echo "# guest: ${result#VMBENCHRESULT }"
	printf '# times: kernel %ss, initramfs %ss, boot-to-result %ss (%s), total %ss\n' \
		"$t_fetch" "$t_initrd" "$t_boot" "${boots[0]}" "$(elapsed "$T0")"
	echo "# full output (BENCH lines): $vm/bench-NAME.out; console: $log"
	echo "vm-bench: $ran ran, $failed failed, $skipped skipped"
	[ "$failed" -eq 0 ]
	exit
fi

# ---------------------------------------------------------------- verdict
# Per boot: its VMTEST lines (the guest names each test LABEL/NAME), the
# host-side checks it asked for, and how the run itself went.
# A FAIL listed in known-bugs (a glob over LABEL/NAME, a tab, why and who
# fixes it)
# is reported "VMTEST KNOWN-BUG" and counted as skipped: visible in every
# run, not a red tier; a listed test that passes says its line can go.
known_bugs=$here/known-bugs
known() {
	local pat why
	[ -r "$known_bugs" ] || return 1
	while IFS=$'\t' read -r pat why; do
		case $pat in '#'*|'') continue ;; esac
		# shellcheck disable=SC2254 # a glob on purpose
		case $1 in $pat) echo "$why"; return 0 ;; esac
	done <"$known_bugs"
	return 1
}
passed=0 failed=0 skipped=0
for s in "${kskips[@]+"${kskips[@]}"}"; do
	skipped=$((skipped + 1))
	echo "VMTEST SKIP $s"
done
boot_times=
for i in "${!boots[@]}"; do
	b=${boots[$i]}
	dir=$(bootdir "$b")
	limit=$(boot_limit "$b")
	log=$dir/serial.log
	qrc=$(cat "$dir/qemu.rc" 2>/dev/null || echo 1)
	secs=$(cat "$dir/boot.secs" 2>/dev/null || echo '?')
	boot_times="$boot_times${boot_times:+, }$b ${secs}s"
	echo "# ---- $b: kernel $(basename "${boot_kernel[$i]}" | sed 's/^vmlinuz-//'), console in $log"
	bfailed=$failed bfails=0
	while IFS= read -r line; do
		case $line in
		"VMTEST PASS "*)
			passed=$((passed + 1))
			n=${line#VMTEST PASS }
			if note=$(known "$n"); then
				echo "$line (listed in tests/vm/known-bugs, fixed? remove its line)"
			else
				echo "$line"
			fi
			;;
		"VMTEST FAIL "*)
			bfails=$((bfails + 1))
			n=${line#VMTEST FAIL }
			n=${n%%: *}
			if note=$(known "$n"); then
				skipped=$((skipped + 1))
				echo "VMTEST KNOWN-BUG ${line#VMTEST FAIL } -- known: $note"
			else
				failed=$((failed + 1))
				echo "$line"
			fi
			;;
		"VMTEST SKIP "*) skipped=$((skipped + 1)); echo "$line" ;;
		"VMINFO "*) echo "# ${line#VMINFO }" ;;
		esac
	done < <(grep -aoE 'VM(TEST|INFO) .*' "$log" 2>/dev/null)
	# -o: a kernel message without its newline may precede a line.
	result=$(grep -aoE 'VMRESULT .*' "$log" 2>/dev/null | tail -n1)

	# Host-side checks the guest asked for (VMHOST lines): each TAG.req
	# holds "CHECKER ARGS..."; the checker is host-bin/check-CHECKER
	# (from tests/vm/host/check-CHECKER.c) or tests/vm/host/check-CHECKER.sh,
	# run as `check-CHECKER ARTIFACT ARGS...` with ARTIFACT = host/TAG.ppm.
	for req in "$dir"/host/*.req; do
		[ -e "$req" ] || continue
		tag=$(basename "$req" .req)
		read -r checker args <"$req"
		if [ -e "$dir/host/$tag.err" ]; then
			failed=$((failed + 1))
			echo "VMTEST FAIL $b/host-$tag: $(head -c 300 "$dir/host/$tag.err")"
			continue
		fi
		cmd=
		if [ -x "$vm/host-bin/check-$checker" ]; then
			cmd=$vm/host-bin/check-$checker
		elif [ -e "$here/host/check-$checker.sh" ]; then
			cmd="sh $here/host/check-$checker.sh"
		fi
		if [ -z "$cmd" ]; then
			failed=$((failed + 1))
			echo "VMTEST FAIL $b/host-$tag: no host checker '$checker'"
			continue
		fi
		# shellcheck disable=SC2086
		if msg=$($cmd "$dir/host/$tag.ppm" $args 2>&1); then
			passed=$((passed + 1))
			echo "VMTEST PASS $b/host-$tag"
		else
			failed=$((failed + 1))
			echo "VMTEST FAIL $b/host-$tag: $(echo "$msg" | tail -n1)"
		fi
	done

	# How the run itself went; a broken run is one more failure, so that
	# the totals never look clean when the guest did not finish.
	why=
	case $qrc in
	0) ;;
	3) why="the guest reported failing tests (isa-debug-exit)" ;;
	*) why=$(run_problem) ;;
	esac
	if [ -z "$result" ]; then
		why="${why:+$why; }no VMRESULT line from the guest"
	elif [ "$qrc" -eq 0 ] && ! echo "$result" | grep -q ' 0 failed'; then
		why="the guest reported failures but powered off cleanly"
	fi
	# Exit 3 with failed tests already counted needs no extra failure.
	if [ -n "$why" ] && ! { [ "$qrc" -eq 3 ] && [ -n "$result" ] && [ "$bfails" -gt 0 ]; }; then
		failed=$((failed + 1))
		echo "VMTEST FAIL $b/vm-run: $why"
		echo "# last lines of $log:"
		tail -n 25 "$log" 2>/dev/null | sed 's/^/#   /'
	fi
	[ -n "$result" ] && echo "# $b: guest: ${result#VMRESULT }, boot-to-result ${secs}s"
done
printf '# times: kernels %ss, initramfs %ss, boots %ss (%s; %s at once), total %ss\n' \
	"$t_fetch" "$t_initrd" "$t_boot" "$boot_times" "$jobs" "$(elapsed "$T0")"
echo "vm: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
