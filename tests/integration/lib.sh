# shellcheck shell=bash
# Shared setup for the host integration tests (tests/integration/*.t).
#
# Each *.t script sources this file, calls start_daemon, runs checks and
# ends with done_testing. The TAP stream goes to stdout; everything else
# (command output, daemon logs) goes to files under $T and is echoed as
# "# " diagnostics when a check fails. The plan is printed at the end
# ("1..N" after the tests, which TAP allows), so a script that dies
# midway leaves no plan and the driver reports an error.
#
# The test counter lives in a file so that python3 snippets (tap.py) and
# subshells number their lines in the same sequence.
#
# The device tests (device-*.sh) source this file with DMABUFFS_DEVICE_TEST
# set: they get only the POSIX-sh part just below, because they must also
# run in a busybox-only VM guest (no bash, no python3, no getfattr).

if [ -n "${DMABUFFS_DEVICE_TEST:-}" ]; then
	: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
	: "${top_builddir:=$top_srcdir}"
	PATH=$top_builddir/src:$top_builddir/tests/helpers:$PATH
	export PATH
	dt_failed=0
	dt_pid=
	dt_mnt=
	dt_tmp=

	dt_skip() {
		echo "SKIP: $*"
		exit 77
	}
	dt_pass() {
		echo "PASS: $*"
	}
	dt_fail() {
		echo "FAIL: $*"
		dt_failed=1
	}
	# dt_check DESCRIPTION COMMAND...
	dt_check() {
		dt_desc=$1
		shift
		if "$@" >"$dt_tmp/last.out" 2>&1; then
			dt_pass "$dt_desc"
		else
			dt_fail "$dt_desc (command: $*)"
			sed 's/^/    /' "$dt_tmp/last.out" | tail -n 10
			return 1
		fi
	}
	# dt_is GOT EXPECTED DESCRIPTION
	dt_is() {
		if [ "$1" = "$2" ]; then
			dt_pass "$3"
		else
			dt_fail "$3 (expected '$2', got '$1')"
		fi
	}
	dt_sleep() {
		sleep 0.2 2>/dev/null || sleep 1
	}
	dt_mounted() {
		awk -v m="$1" '$2 == m { f = 1 } END { exit !f }' /proc/self/mounts
	}
	dt_cleanup() {
		if [ -n "$dt_pid" ] && kill -0 "$dt_pid" 2>/dev/null; then
			kill -TERM "$dt_pid" 2>/dev/null
			i=0
			while [ $i -lt 25 ] && kill -0 "$dt_pid" 2>/dev/null; do
				dt_sleep
				i=$((i + 1))
			done
			kill -KILL "$dt_pid" 2>/dev/null
		fi
		if [ -n "$dt_mnt" ] && dt_mounted "$dt_mnt"; then
			fusermount3 -u -z "$dt_mnt" 2>/dev/null || umount -l "$dt_mnt" 2>/dev/null
		fi
		if [ -n "$dt_tmp" ] && ! { [ -n "$dt_mnt" ] && dt_mounted "$dt_mnt"; }; then
			rm -rf "$dt_tmp"
		fi
	}
	dt_require_host() {
		[ "$(id -u)" = 0 ] || dt_skip "needs root"
		[ -c /dev/fuse ] || dt_skip "no /dev/fuse"
		command -v dmabuffs >/dev/null 2>&1 || {
			echo "FAIL: dmabuffs not found in PATH"
			exit 1
		}
	}
	# dt_info_field FILE KEY: a field of `dmabufctl info FILE` ("key: v",
	# "key = v" or "key=v", case-insensitive key).
	dt_info_field() {
		dmabufctl info "$1" 2>/dev/null |
			sed -n "s/^[[:space:]]*\(user\.dmabuf\.\)\{0,1\}$2[[:space:]]*[:=][[:space:]]*//Ip" |
			head -n 1 | sed 's/[[:space:]]*$//'
	}
	# dt_pattern SIZE FILE: publish-memfd's pattern, byte[i] = (i * 7) & 0xff
	# (period 256), built without python or od.
	dt_pattern() {
		i=0 fmt=
		while [ $i -lt 256 ]; do
			fmt="$fmt\\$(printf %o $(((i * 7) & 255)))"
			i=$((i + 1))
		done
		printf "$fmt" >"$2.tmp"
		while [ "$(stat -c %s "$2.tmp")" -lt "$1" ]; do
			cat "$2.tmp" "$2.tmp" >"$2.tmp2" && mv "$2.tmp2" "$2.tmp"
		done
		head -c "$1" "$2.tmp" >"$2"
		rm -f "$2.tmp"
	}
	# dt_run BACKEND EXPORTER-REGEX IOMEM: the allocate/write/read/cmp
	# cycle on a mount with backend=BACKEND. IOMEM is 0, 1, or "" when the
	# rule table has no entry for this exporter.
	dt_run() {
		dt_backend=$1 dt_exp=$2 dt_iomem=$3
		dt_tmp=$(mktemp -d /tmp/dmabuffs-dev.XXXXXX) || exit 1
		trap dt_cleanup EXIT
		trap 'exit 130' INT
		trap 'exit 143' TERM
		dt_mnt=$dt_tmp/mnt
		mkdir "$dt_mnt"
		export DMABUFFS_CONTROL="$dt_tmp/control" DMABUFFS_MOUNT="$dt_mnt"
		dmabuffs -f -o "backend=$dt_backend,control=$DMABUFFS_CONTROL" "$dt_mnt" \
			>"$dt_tmp/daemon.log" 2>&1 &
		dt_pid=$!
		i=0
		while [ $i -lt 75 ] && ! dt_mounted "$dt_mnt"; do
			kill -0 "$dt_pid" 2>/dev/null || break
			dt_sleep
			i=$((i + 1))
		done
		if ! dt_mounted "$dt_mnt"; then
			echo "FAIL: dmabuffs -o backend=$dt_backend did not mount"
			sed 's/^/    /' "$dt_tmp/daemon.log" | tail -n 20
			exit 1
		fi
		dt_pass "dmabuffs -o backend=$dt_backend mounts"
		i=0
		while [ $i -lt 25 ] && ! [ -S "$DMABUFFS_CONTROL" ]; do
			dt_sleep
			i=$((i + 1))
		done

		F=$dt_mnt/dev0
		dt_check "truncate -s 1M allocates a buffer" truncate -s 1048576 "$F"
		size=$(stat -c %s "$F" 2>/dev/null || echo 0)
		if [ "$size" -ge 1048576 ] && [ $((size % 4096)) = 0 ]; then
			dt_pass "the buffer has at least 1 MiB, in whole pages ($size)"
		else
			dt_fail "buffer size $size is not >= 1048576 in whole pages"
		fi
		# The buffer through an independent path: publish-memfd --export
		# mmaps the fd the control socket hands back and compares it with
		# its pattern.
		dt_pattern "$size" "$dt_tmp/pattern"
		dt_check "dd writes publish-memfd's pattern" \
			dd if="$dt_tmp/pattern" of="$F" bs=65536 conv=notrunc
		dt_check "the pattern reads back (cmp)" cmp "$dt_tmp/pattern" "$F"
		dt_check "the exported dma-buf holds the pattern (publish-memfd --export)" \
			publish-memfd --export dev0
		dt_check "dmabufctl export dev0 describes the exported fd" dmabufctl export dev0
		dt_is "$(sed -n 's/^size: //p' "$dt_tmp/last.out")" "$size" \
			"the exported fd has the file's size"
		exp=$(sed -n 's/^exp_name: //p' "$dt_tmp/last.out")
		if printf '%s' "$exp" | grep -Eqx "$dt_exp"; then
			dt_pass "the exported fd's exp_name is $exp"
		else
			dt_fail "the exported fd's exp_name '$exp' does not match /$dt_exp/"
		fi

		dd if=/dev/urandom of="$dt_tmp/rand" bs=4096 count=$((size / 4096)) 2>/dev/null
		dt_check "dd writes the whole buffer" \
			dd if="$dt_tmp/rand" of="$F" bs=65536 conv=notrunc
		dt_check "it reads back byte-exact (cmp)" cmp "$dt_tmp/rand" "$F"
		cp "$dt_tmp/rand" "$dt_tmp/shadow"
		for seek in 1 3 4095 4097 65533; do
			dd if=/dev/urandom of="$dt_tmp/odd" bs=1 count=37 2>/dev/null
			dt_check "dd bs=1 seek=$seek count=37" \
				dd if="$dt_tmp/odd" of="$F" bs=1 seek=$seek conv=notrunc
			dd if="$dt_tmp/odd" of="$dt_tmp/shadow" bs=1 seek=$seek conv=notrunc 2>/dev/null
		done
		dt_check "odd-offset writes read back byte-exact" cmp "$dt_tmp/shadow" "$F"
		dt_check "dmabufctl info succeeds" dmabufctl info "$F"
		exp=$(dt_info_field "$F" exporter)
		if printf '%s' "$exp" | grep -Eqx "$dt_exp"; then
			dt_pass "exporter is $exp"
		else
			dt_fail "exporter '$exp' does not match /$dt_exp/"
		fi
		iomem=$(dt_info_field "$F" iomem)
		if [ -n "$dt_iomem" ]; then
			dt_is "$iomem" "$dt_iomem" "iomem follows the rule table ($dt_iomem)"
		else
			echo "NOTE: no rule for this exporter; iomem is '$iomem'"
		fi
		dt_check "rm removes the buffer" rm "$F"
		dt_check "the name is gone" sh -c '! test -e "$1"' sh "$F"

		kill -TERM "$dt_pid"
		i=0
		while [ $i -lt 25 ] && kill -0 "$dt_pid" 2>/dev/null; do
			dt_sleep
			i=$((i + 1))
		done
		wait "$dt_pid"
		dt_is "$?" 0 "SIGTERM: the daemon exits 0"
		if dt_mounted "$dt_mnt"; then
			dt_fail "the mount is still there after SIGTERM"
		else
			dt_pass "SIGTERM unmounts"
		fi
		if [ "$dt_failed" != 0 ]; then
			echo "--- daemon log:"
			tail -n 30 "$dt_tmp/daemon.log"
		fi
		exit "$dt_failed"
	}
	return 0
fi

set -u

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
export top_srcdir top_builddir

ITEST_DIR=$top_srcdir/tests/integration
PATH=$top_builddir/src:$top_builddir/tests/helpers:$PATH
PYTHONPATH=$ITEST_DIR${PYTHONPATH:+:$PYTHONPATH}
export PATH PYTHONPATH

PAGE_SIZE=$(getconf PAGESIZE 2>/dev/null || echo 4096)

# ------------------------------------------------------------------ TAP

skip_all() {
	echo "1..0 # SKIP $*"
	exit 0
}

bail_out() {
	echo "Bail out! $*"
	exit 1
}

diag() {
	local line
	printf '%s\n' "$*" | while IFS= read -r line; do
		printf '# %s\n' "$line"
	done
}

# Show a file (a log, a command's output) as diagnostics, last lines only.
diag_file() {
	[ -s "$1" ] || return 0
	diag "--- ${2:-$1}:"
	diag "$(tail -n "${3:-20}" "$1")"
}

_tap_next() {
	local n
	n=$(($(cat "$TAP_COUNTER") + 1))
	echo "$n" >"$TAP_COUNTER"
	echo "$n"
}

pass() {
	echo "ok $(_tap_next) - $*"
}

fail() {
	echo "not ok $(_tap_next) - $*"
}

# ok STATUS DESCRIPTION: pass when STATUS is 0.
ok() {
	local st=$1
	shift
	if [ "$st" -eq 0 ]; then
		pass "$*"
	else
		fail "$*"
	fi
	return "$st"
}

# check DESCRIPTION -- COMMAND...: pass when COMMAND exits 0. Its output
# goes to $T/last.out and is shown on failure.
check() {
	local desc=$1
	shift
	[ "${1:-}" = "--" ] && shift
	if "$@" >"$T/last.out" 2>&1; then
		pass "$desc"
	else
		local st=$?
		fail "$desc"
		diag "command: $* (exit $st)"
		diag_file "$T/last.out" output
		return 1
	fi
}

# check_fails DESCRIPTION -- COMMAND...: pass when COMMAND exits non-zero.
check_fails() {
	local desc=$1
	shift
	[ "${1:-}" = "--" ] && shift
	if "$@" >"$T/last.out" 2>&1; then
		fail "$desc"
		diag "command unexpectedly succeeded: $*"
		diag_file "$T/last.out" output
		return 1
	fi
	pass "$desc"
}

# is GOT EXPECTED DESCRIPTION
is() {
	if [ "$1" = "$2" ]; then
		pass "$3"
	else
		fail "$3"
		diag "expected: '$2'"
		diag "     got: '$1'"
		return 1
	fi
}

# like GOT EXTENDED-REGEX DESCRIPTION
like() {
	if printf '%s' "$1" | grep -Eq -- "$2"; then
		pass "$3"
	else
		fail "$3"
		diag "expected to match: /$2/"
		diag "              got: '$1'"
		return 1
	fi
}

# same_file WANT GOT DESCRIPTION: the two files are byte-identical (else
# the first lines of their diff).
same_file() {
	if cmp -s "$1" "$2"; then
		pass "$3"
	else
		fail "$3"
		diff "$1" "$2" | sed 's/^/# /' | head -20
		return 1
	fi
}

done_testing() {
	echo "1..$(cat "$TAP_COUNTER")"
}

# Run a python3 snippet read from stdin with tap.py imported (M, T, ... in
# the environment); it prints its own TAP lines, sharing the counter.
py() {
	python3 - "$@"
}

# expect_errno ERRNAME DESCRIPTION PYTHON-STATEMENTS: run the statements
# (os, errno, M, T available) and pass when the last one raised OSError with
# exactly that errno ("OK" = no exception expected).
expect_errno() {
	local want=$1 desc=$2 code=$3
	local got
	got=$(python3 -c "
import os, sys, errno, struct, fcntl
M = os.environ.get('M', ''); T = os.environ.get('T', '')
try:
    exec(sys.argv[1])
    print('OK')
except OSError as e:
    print(errno.errorcode.get(e.errno, str(e.errno)))
except Exception as e:
    print('PYERR:%s:%s' % (type(e).__name__, e))
" "$code" 2>&1)
	if [ "$got" = "$want" ]; then
		pass "$desc"
	else
		fail "$desc"
		diag "code: $code"
		diag "expected: $want, got: $got"
		return 1
	fi
}

# ------------------------------------------------------------------ setup

require_host() {
	[ "$(id -u)" = 0 ] || skip_all "needs root"
	[ -c /dev/fuse ] || skip_all "no /dev/fuse"
	command -v fusermount3 >/dev/null 2>&1 ||
		command -v umount >/dev/null 2>&1 || skip_all "no fusermount3/umount"
	command -v python3 >/dev/null 2>&1 || skip_all "no python3"
	command -v dmabuffs >/dev/null 2>&1 ||
		bail_out "dmabuffs not built (looked in $top_builddir/src)"
}

T=$(mktemp -d /tmp/dmabuffs-itest.XXXXXX) || bail_out "mktemp failed"
TAP_COUNTER=$T/tap.count
echo 0 >"$TAP_COUNTER"
export T TAP_COUNTER

DAEMON_PIDS=""
MOUNTS=""
DAEMON_SEQ=0

is_mounted() {
	# /proc/self/mounts also lists a stale (ENOTCONN) FUSE mount, which
	# mountpoint(1) cannot stat.
	awk -v m="$1" '$2 == m { f = 1 } END { exit !f }' /proc/self/mounts
}

not_mounted() {
	! is_mounted "$1"
}

absent() {
	! test -e "$1" && ! test -L "$1"
}

force_unmount() {
	is_mounted "$1" || return 0
	fusermount3 -u -z "$1" 2>/dev/null || umount -l "$1" 2>/dev/null
	! is_mounted "$1"
}

# Wait up to $2 tenths of a second for "$1" (a shell command) to succeed.
wait_for() {
	local i=0
	while [ "$i" -lt "$2" ]; do
		eval "$1" && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

pid_alive() {
	kill -0 "$1" 2>/dev/null && ! grep -qs '^State:.*Z' "/proc/$1/status"
}

# Stop one daemon: SIGTERM, bounded wait, then SIGKILL.
kill_daemon() {
	local pid=$1
	pid_alive "$pid" || return 0
	kill -TERM "$pid" 2>/dev/null
	wait_for "! pid_alive $pid" 30 || kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	return 0
}

cleanup() {
	local pid m
	for pid in $DAEMON_PIDS; do
		kill_daemon "$pid"
	done
	for m in $MOUNTS; do
		force_unmount "$m"
	done
	for m in $MOUNTS; do
		is_mounted "$m" && return 0 # never rm into a live mount
	done
	rm -rf --one-file-system "$T"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# A command prefix (exec keeps the pid, so $! is the daemon itself).
WITH_DEFAULT_SIGINT=(python3 -c 'import os, signal, sys
signal.signal(signal.SIGINT, signal.SIG_DFL)
os.execvp(sys.argv[1], sys.argv[1:])')

# start_daemon [EXTRA-OPTIONS]: mount a fresh memfd-backed daemon in the
# foreground (-f) in the background of this shell. Sets and exports
# M/DMABUFFS_MOUNT, DMABUFFS_CONTROL, DAEMON_PID, DAEMON_LOG. The mount
# point is $T/mnt unless MNT is set; the socket $T/control unless CTL is.
# Returns non-zero (with diagnostics) when the mount is not up in 5 s.
start_daemon() {
	local extra=${1:-}
	DAEMON_SEQ=$((DAEMON_SEQ + 1))
	M=${MNT:-$T/mnt}
	DMABUFFS_MOUNT=$M
	DMABUFFS_CONTROL=${CTL:-$T/control}
	DAEMON_LOG=$T/daemon.$DAEMON_SEQ.log
	export M DMABUFFS_MOUNT DMABUFFS_CONTROL
	mkdir -p "$M" 2>/dev/null # (fails on a stale mount, which is fine)
	case " $MOUNTS " in *" $M "*) ;; *) MOUNTS="$MOUNTS $M" ;; esac
	# Asynchronous commands of a non-interactive shell start with SIGINT
	# ignored (and libfuse's handlers leave an ignored signal alone): give
	# the daemon the default SIGINT it has when started from a terminal, so
	# that the SIGINT test checks the daemon, not this shell.
	"${WITH_DEFAULT_SIGINT[@]}" dmabuffs -f \
		-o "backend=memfd,control=$DMABUFFS_CONTROL${extra:+,$extra}" \
		"$M" >"$DAEMON_LOG" 2>&1 &
	DAEMON_PID=$!
	DAEMON_PIDS="$DAEMON_PIDS $DAEMON_PID"
	if ! wait_for "mountpoint -q '$M' || ! pid_alive $DAEMON_PID" 50 ||
		! mountpoint -q "$M"; then
		diag "dmabuffs did not mount $M within 5 s (pid $DAEMON_PID)"
		diag_file "$DAEMON_LOG" "daemon log"
		return 1
	fi
	# The socket may come up a moment after the mount.
	wait_for "[ -S '$DMABUFFS_CONTROL' ]" 20 ||
		diag "control socket $DMABUFFS_CONTROL did not appear"
	return 0
}

# fdstore_mount: M, DMABUFFS_CONTROL and HARNESS (exported) for daemons
# that python code starts under the fd store harness (tap.fdstore_harness()).
fdstore_mount() {
	M=$T/mnt
	DMABUFFS_CONTROL=$T/control
	DMABUFFS_MOUNT=$M
	HARNESS=$top_srcdir/tests/helpers/fdstore-harness.py
	export M DMABUFFS_CONTROL DMABUFFS_MOUNT HARNESS
	mkdir -p "$M"
	MOUNTS="$MOUNTS $M"
}

# stop_daemon: SIGTERM the current daemon and wait for it and its mount.
stop_daemon() {
	kill_daemon "$DAEMON_PID"
	force_unmount "$M"
}

# A file's size, or "ERR".
fsize() {
	stat -c %s "$1" 2>/dev/null || echo ERR
}

# Size rounded up to pages.
page_round() {
	echo $((($1 + PAGE_SIZE - 1) / PAGE_SIZE * PAGE_SIZE))
}

# One xattr's value (no trailing newline), or "ERR:<message>".
xattr() {
	getfattr --only-values -n "$2" "$1" 2>"$T/xattr.err" ||
		printf 'ERR:%s' "$(cat "$T/xattr.err")"
}
