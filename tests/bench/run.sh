#!/bin/sh
# tests/bench/run.sh BUILDDIR [BENCH-OPTIONS...]: build the benchmark and
# the daemon in BUILDDIR, then run the benchmark (it starts its own daemon on
# a temporary mount, backend=memfd). Prints the table and the BENCH lines.
# Then the peers (tests/bench/peers.py, with fio): tmpfs and libfuse's own
# example/passthrough_hp beside dmabuffs on the same rows, with the issue's
# target ratios (DMABUFFS_BENCH_PEERS=0: not; extra options for it in
# DMABUFFS_PEERS_ARGS, e.g. "--reps 5 --size 512"). Between the two, the
# 10,000-buffer figures of tests/bench/scale.sh (DMABUFFS_BENCH_SCALE=0: not)
# and a victim's create latency under a holders attack
# (tests/bench/holders-starve.py, DMABUFFS_BENCH_STARVE=0: not), and the
# "restart" rows: 50 kill -9 cycles under load with 10,000 buffers
# (tests/bench/restart-load.py, DMABUFFS_BENCH_RESTART=0: not; options for
# it in DMABUFFS_RESTART_ARGS, e.g. "--cycles 10 --buffers 2000").
# Benchmarks are reported, never asserted: a missed target still exits 0;
# only a benchmark that could not run exits non-zero.
#
#   tests/bench/run.sh build
#   tests/bench/run.sh build --daemon-opts max_read=1048576
#   tests/bench/run.sh build --only read,mmap --runs 7
#   ./dev bench          (the same, on ./build; then the VM's, on udmabuf,
#                         heap and bochs VRAM: tests/vm/run.sh build --bench)
#   make bench           (from the build directory)
set -eu

if [ $# -lt 1 ] || [ "$1" = -h ] || [ "$1" = --help ]; then
	sed -n '2,23s/^# \{0,1\}//p' "$0"
	[ $# -ge 1 ] && exit 0 || exit 2
fi
build=$(cd "$1" && pwd)
shift

if [ -z "${DMABUFFS_BENCH_NOBUILD:-}" ]; then
	make -C "$build" --no-print-directory -s src/dmabuffs tests/bench/dmabuffs-bench
fi

[ "$(id -u)" = 0 ] || echo "run.sh: not root; mounting FUSE may fail" >&2

"$build/tests/bench/dmabuffs-bench" --daemon "$build/src/dmabuffs" "$@"
# The 10,000-buffer rows (DMABUFFS_BENCH_SCALE=0: not; see scale.sh).
if [ "${DMABUFFS_BENCH_SCALE:-1}" != 0 ]; then
	[ -n "${DMABUFFS_BENCH_NOBUILD:-}" ] ||
		make -C "$build" --no-print-directory -s src/dmabufctl
	sh "$(dirname "$0")/scale.sh" "$build"
fi
# A victim's create while another uid starves the holders lookups (issue
# 16; DMABUFFS_BENCH_STARVE=0: not; see holders-starve.py).
if [ "${DMABUFFS_BENCH_STARVE:-1}" != 0 ]; then
	python3 "$(dirname "$0")/holders-starve.py" "$build"
fi
# kill -9 cycles under load (issue 17; DMABUFFS_BENCH_RESTART=0: not).
if [ "${DMABUFFS_BENCH_RESTART:-1}" != 0 ]; then
	[ -n "${DMABUFFS_BENCH_NOBUILD:-}" ] ||
		make -C "$build" --no-print-directory -s src/dmabufctl
	# shellcheck disable=SC2086
	python3 "$(dirname "$0")/restart-load.py" "$build" ${DMABUFFS_RESTART_ARGS:-}
fi
[ "${DMABUFFS_BENCH_PEERS:-1}" = 0 ] && exit 0
# shellcheck disable=SC2086
exec python3 "$(dirname "$0")/peers.py" "$build" ${DMABUFFS_PEERS_ARGS:-}
