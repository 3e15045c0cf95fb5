#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# The guest test runner: runs /vm/tests/*.sh, then the shell device tests
# of tests/integration/ (unless vmintegration=0 is on the kernel command
# line), then the guest tests marked "# vmtest: last" (they remove
# devices), each under a timeout, and prints one line per test
#	VMTEST PASS name | VMTEST FAIL name: reason | VMTEST SKIP name: reason
# then "VMRESULT P passed, F failed, S skipped". Exit 0 when none failed
# and at least one test ran.
# Kernel command line: vmtests=GLOB[,GLOB...] runs only matching tests;
# vmtimeout=SECS sets the per-test timeout (default 60); vmlabel=LABEL
# (run.sh: the kernel, "6.12", "7.3", "7.3-io_uring") prefixes every test
# name, "LABEL/NAME"; vmuring=1 runs every daemon with -o io_uring, after
# a first test, mount-io_uring, showed that the daemon mounts with it (it
# skips, and with it the whole pass, when the daemon refuses the option).
. /vm/lib.sh

echo "VMINFO tests-start uptime=$(cut -d' ' -f1 /proc/uptime)"
filter='' integration=1 per_test=60 label='' uring=''
for arg in $(cat /proc/cmdline); do
	case $arg in
	vmtests=*) filter=$(echo "${arg#vmtests=}" | tr ',' ' ') ;;
	vmintegration=0) integration= ;;
	vmintegration=1) integration=1 ;;
	vmtimeout=*) per_test=${arg#vmtimeout=} ;;
	vmlabel=*) label=${arg#vmlabel=}/ ;;
	vmuring=1) uring=1 ;;
	esac
done

passed=0 failed=0 skipped=0
export VMTEST_REASON=/tmp/vmtest-reason

selected() {
	[ -z "$filter" ] && return 0
	for g in $filter; do
		# shellcheck disable=SC2254 # a glob on purpose
		case $1 in $g) return 0 ;; esac
	done
	return 1
}

# run_test NAME COMMAND...; a line "# vmtest: timeout=SECS" in the test
# (the last argument) gives it SECS when that is more than vmtimeout=.
run_test() {
	selected "$1" || return 0
	name=$label$1
	shift
	limit=$per_test
	for a in "$@"; do own=$a; done
	own=$(sed -n 's/^# vmtest: timeout=\([0-9][0-9]*\)$/\1/p' "$own" 2>/dev/null)
	[ -n "$own" ] && [ "$own" -gt "$limit" ] && limit=$own
	rm -f "$VMTEST_REASON"
	echo "# ---- $name"
	start=$(cut -d' ' -f1 /proc/uptime)
	timeout "$limit" "$@"
	rc=$?
	end=$(cut -d' ' -f1 /proc/uptime)
	took=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", b - a }')
	reason=$(head -n1 "$VMTEST_REASON" 2>/dev/null)
	# A test killed by the timeout leaves its daemon behind: stop it so
	# that the next test gets a clean /run/dmabuf.
	if [ -s /run/vmtest-daemon.pid ]; then
		kill -KILL "$(cat /run/vmtest-daemon.pid)" 2>/dev/null &&
			echo "# $name: killed the daemon it left running"
		rm -f /run/vmtest-daemon.pid
	fi
	if awk '$2 == "/run/dmabuf" { f = 1 } END { exit !f }' /proc/self/mounts; then
		umount -l /run/dmabuf && echo "# $name: unmounted the /run/dmabuf it left"
	fi
	if awk -v t="$took" -v l="$limit" 'BEGIN { exit !(t >= l) }' && [ "$rc" -ne 0 ]; then
		reason="timed out after ${limit}s"
		rc=1
	fi
	echo "# $name: exit $rc after ${took}s"
	case $rc in
	0)
		passed=$((passed + 1))
		echo "VMTEST PASS $name"
		;;
	77)
		skipped=$((skipped + 1))
		echo "VMTEST SKIP $name: ${reason:-skipped}"
		;;
	*)
		failed=$((failed + 1))
		echo "VMTEST FAIL $name: ${reason:-exit status $rc} (${took}s)"
		;;
	esac
}

# A line "# vmtest: last" in a test puts it after all others (and after
# the integration tests): it changes the machine for the rest of the boot.
is_last() { grep -q '^# vmtest: last' "$1"; }
# The io_uring pass leaves out the guest tests that mount no daemon (the
# exporter, vivid and bochs checks): they would only repeat the pass before.
no_daemon() { [ -n "$uring" ] && ! grep -qE 'start_daemon|tree_test|device_loss' "$1"; }

# mount-io_uring (vmuring=1): FUSE over io_uring enabled in the kernel
# (the daemon never does that itself), then a daemon that must mount with
# -o io_uring; from then on every dmabuffs started by name (guest tests and
# integration tests alike) gets -o io_uring, through a wrapper first in PATH.
if [ -n "$uring" ]; then
	filter_saved=$filter filter=
	run_test mount-io_uring sh /vm/uring-mount.sh
	filter=$filter_saved
	if [ "$passed" -eq 0 ]; then
		echo "# the io_uring pass stops here: no daemon with -o io_uring"
		echo "VMRESULT $passed passed, $failed failed, $skipped skipped"
		[ "$failed" -eq 0 ]
		exit
	fi
	mkdir -p /run/vmtest-uring
	real=$(command -v dmabuffs)
	printf '#!/bin/sh\nexec %s -o io_uring "$@"\n' "$real" >/run/vmtest-uring/dmabuffs
	chmod 0755 /run/vmtest-uring/dmabuffs
	export PATH=/run/vmtest-uring:$PATH
	echo "# io_uring pass: every dmabuffs gets -o io_uring; the guest tests that mount no daemon are left out"
fi

for t in /vm/tests/*.sh; do
	[ -e "$t" ] || continue
	is_last "$t" && continue
	no_daemon "$t" && continue
	n=${t##*/}
	run_test "${n%.sh}" sh "$t"
done

# The host suite's shell device tests (they exit 77 without a device). They
# find lib.sh under $top_srcdir and the programs in $PATH, like under make
# check. *.t scripts are not run: they need python3, which the guest lacks.
if [ -n "$integration" ]; then
	export top_srcdir=/vm/src top_builddir=/vm/build
	for t in /vm/integration/*.sh; do
		[ -e "$t" ] || continue
		n=${t##*/}
		run_test "integration/${n%.sh}" sh "$t"
	done
fi

for t in /vm/tests/*.sh; do
	[ -e "$t" ] || continue
	is_last "$t" || continue
	no_daemon "$t" && continue
	n=${t##*/}
	run_test "${n%.sh}" sh "$t"
done

echo "VMINFO uptime=$(cut -d' ' -f1 /proc/uptime)"
echo "VMRESULT $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ] && [ $((passed + skipped)) -gt 0 ]
