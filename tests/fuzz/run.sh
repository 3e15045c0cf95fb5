#!/bin/bash
# tests/fuzz/run.sh [BUILDDIR [SECONDS]]: build every libFuzzer target listed
# in tests/fuzz/targets with clang (ASan + UBSan) into BUILDDIR/tests/fuzz,
# run each for SECONDS (default 20; 0 = only replay the seed corpus), print
# "PASS: fuzz/NAME" or "FAIL: fuzz/NAME" per target and a total line
# "fuzz: N passed, N failed". Exit 1 when any target failed to build or
# crashed; a crashing input is kept in tests/fuzz/crashes/ (add it to
# tests/fuzz/corpus/NAME/ once fixed, as a regression case).
#
# The build does not go through configure: the targets need only a few
# source files each, and the fuzz run must not depend on what configure
# requires of the daemon's build (libfuse versions, devices).
#
# Environment: CLANG (default clang, else clang-14), FUZZ_TARGETS="a b"
# (a subset), FUZZ_ARGS (extra libFuzzer flags).
set -u

top=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$top/build}
seconds=${2:-20}
out=$build/tests/fuzz
crashes=$top/tests/fuzz/crashes
passed=0
failed=0

case $seconds in
'' | *[!0-9]*)
	echo "usage: $0 [BUILDDIR [SECONDS]]" >&2
	exit 2
	;;
esac

cc=${CLANG:-}
if [ -z "$cc" ]; then
	for c in clang clang-14; do
		command -v "$c" >/dev/null 2>&1 && cc=$c && break
	done
fi
if [ -z "$cc" ]; then
	echo "FAIL: fuzz: no clang (Debian: clang libclang-rt-14-dev)"
	echo "fuzz: 0 passed, 1 failed"
	exit 1
fi

mkdir -p "$out" "$crashes" || exit 1

# -D_GNU_SOURCE: what configure's config.h gives the real build
# (AC_USE_SYSTEM_EXTENSIONS; memmem, reallocarray).
# shellcheck disable=SC2054 # (-fsanitize= takes a comma list)
cflags=(-std=gnu11 -D_GNU_SOURCE -g -O1 -fno-omit-frame-pointer
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
	-Wall -Wextra -Wno-unused-parameter -Werror
	-I"$top/include" -I"$top/src" -I"$top/tests/fuzz")
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:allocator_may_return_null=1}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$top/tests/fuzz/known-leaks.supp:print_suppressions=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

result() { # PASS|FAIL NAME [WHY]
	echo "$1: fuzz/$2${3:+ ($3)}"
	if [ "$1" = PASS ]; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
}

show_log() {
	sed -n '/ERROR: \|runtime error\|broken promise\|SUMMARY\|^    #[0-9]/p' "$1" |
		head -n 40 | sed 's/^/#   /'
}

# build NAME MODULES SOURCES...
build() {
	local name=$1 mods=$2 src flags=()
	shift 2
	for src in "$@"; do
		if [ ! -e "$top/$src" ]; then
			echo "$src is missing: fix tests/fuzz/targets"
			return 1
		fi
	done
	if [ "$mods" != - ]; then
		# shellcheck disable=SC2207,SC2086 # (one word per flag, per module)
		flags=($(pkg-config --cflags --libs $mods)) || return 1
	fi
	"$cc" "${cflags[@]}" -o "$out/fuzz-$name" "$top/tests/fuzz/fuzz-$name.c" \
		"${@/#/$top/}" "${flags[@]}" -lm
}

run_one() { # NAME
	local name=$1 args rc
	local work=$out/corpus-$name log=$out/fuzz-$name.log
	local seeds=$top/tests/fuzz/corpus/$name
	mkdir -p "$work" "$seeds"
	# New inputs go to the build tree (the first directory), the seeds in
	# the repository are only read.
	args=(-timeout=10 -rss_limit_mb=2048 -print_final_stats=1
		-artifact_prefix="$crashes/$name-")
	# options_parse() writes a line to stderr per bad option: keep the
	# log to libFuzzer's own output (sanitizer reports included).
	[ "$name" = options ] && args+=(-close_fd_mask=2)
	if [ "$seconds" -eq 0 ]; then
		args+=(-runs=0)
	else
		args+=(-max_total_time="$seconds")
	fi
	# shellcheck disable=SC2086
	"$out/fuzz-$name" "${args[@]}" ${FUZZ_ARGS:-} "$work" "$seeds" >"$log" 2>&1
	rc=$?
	if [ "$rc" -eq 0 ]; then
		result PASS "$name" "$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n1) runs"
	else
		result FAIL "$name" "exit $rc, log $log"
		show_log "$log"
		sed -n 's/^.*Test unit written to /#   input kept: /p' "$log"
	fi
}

while read -r name mods sources; do
	case $name in '' | '#'*) continue ;; esac
	if [ -n "${FUZZ_TARGETS:-}" ]; then
		case " $FUZZ_TARGETS " in *" $name "*) ;; *) continue ;; esac
	fi
	# shellcheck disable=SC2086
	if ! build "$name" "$mods" $sources >"$out/build-$name.log" 2>&1; then
		result FAIL "$name" "build failed, log $out/build-$name.log"
		head -n 20 "$out/build-$name.log" | sed 's/^/#   /'
		continue
	fi
	run_one "$name"
done <"$top/tests/fuzz/targets"

echo "fuzz: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
