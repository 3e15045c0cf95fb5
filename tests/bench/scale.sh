#!/bin/sh
# tests/bench/scale.sh BUILDDIR: the 10,000-buffer figures (issue 10,
# "Scale"), beside tmpfs in the same run. It starts its own daemon
# (backend=memfd) on a temporary mount and a tmpfs next to it, creates N
# files of 4 KiB in each, then times:
#   ls -l           of the mount and of tmpfs, and their ratio (target: 3x):
#                   the first listing after the creation, then the median of
#                   the repeats; with DMABUFFS_SCALE_COLD=1 also one after
#                   dropping the kernel's dentries and inodes (drop_caches=2,
#                   machine-wide, so not by default)
#   dmabufctl list  and list --json (target: 0.3 s), and the CPU time
#                   one run takes, its own and the daemon's
#   dmabufctl top   --json over the socket (LIST with the holders: one walk
#                   of /proc per chunk) and its CPU time, and once through
#                   the mount only (a user.dmabuf.holders, so a walk of
#                   /proc, per buffer; DMABUFFS_SCALE_TOP_MOUNT=0: not)
# and reports the daemon's RSS and fd count. A benchmark: the targets are
# reported, never asserted; only a run that could not happen exits non-zero.
#
#   DMABUFFS_SCALE_N=10000     how many buffers
#   DMABUFFS_SCALE_REPS=5      repeats of each timing (median reported)
#   DMABUFFS_SCALE_DAEMON, DMABUFFS_SCALE_CTL: other binaries (e.g. an
#                              older build's, to compare before and after;
#                              give both sides' .libs binaries: BUILDDIR's
#                              dmabufctl is libtool's wrapper, ~20 ms a run)
#   DMABUFFS_SCALE_TOP_MOUNT=1 time top through the mount too (one run)
set -eu

if [ $# -lt 1 ] || [ "$1" = -h ] || [ "$1" = --help ]; then
	sed -n '2,27s/^# \{0,1\}//p' "$0"
	[ $# -ge 1 ] && exit 0 || exit 2
fi
build=$(cd "$1" && pwd)
n=${DMABUFFS_SCALE_N:-10000}
reps=${DMABUFFS_SCALE_REPS:-5}
daemon=${DMABUFFS_SCALE_DAEMON:-$build/src/dmabuffs}
ctl=${DMABUFFS_SCALE_CTL:-$build/src/dmabufctl}

[ "$(id -u)" = 0 ] || { echo "scale.sh: needs root (FUSE and tmpfs mounts)" >&2; exit 1; }

T=$(mktemp -d /tmp/dmabuffs-scale.XXXXXX)
mnt=$T/mnt
tmp=$T/tmpfs
pid=
mounted() {
	awk -v m="$1" '$2 == m { f = 1 } END { exit !f }' /proc/self/mounts
}
cleanup() {
	if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
		kill -TERM "$pid"
		i=0
		while [ $i -lt 50 ] && kill -0 "$pid" 2>/dev/null; do
			sleep 0.1
			i=$((i + 1))
		done
	fi
	mounted "$mnt" && { fusermount3 -u -z "$mnt" 2>/dev/null || umount -l "$mnt"; }
	mounted "$tmp" && umount "$tmp"
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

mkdir "$mnt" "$tmp"
mount -t tmpfs -o size=$((n * 8 + 1024))k,mode=1777 dmabuffs-scale "$tmp"
export DMABUFFS_CONTROL="$T/control" DMABUFFS_MOUNT="$mnt"
"$daemon" -f -o "backend=memfd,control=$DMABUFFS_CONTROL" "$mnt" >"$T/daemon.log" 2>&1 &
pid=$!
i=0
while ! { mounted "$mnt" && [ -S "$DMABUFFS_CONTROL" ]; }; do
	if ! kill -0 "$pid" 2>/dev/null || [ $i -ge 100 ]; then
		echo "scale.sh: the daemon did not come up:" >&2
		cat "$T/daemon.log" >&2
		exit 1
	fi
	sleep 0.1
	i=$((i + 1))
done

now_ns() { date +%s%N; }
# secs CMD...: run once, print the seconds it took (output discarded).
secs() {
	t0=$(now_ns)
	"$@" >/dev/null 2>"$T/err" || { cat "$T/err" >&2; echo "scale.sh: $* failed" >&2; exit 1; }
	t1=$(now_ns)
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f\n", (b - a) / 1e9 }'
}
# median CMD...: the median of $reps runs.
median() {
	j=0
	: >"$T/times"
	while [ $j -lt "$reps" ]; do
		secs "$@" >>"$T/times"
		j=$((j + 1))
	done
	sort -n "$T/times" | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}
# cpu CMD...: the CPU seconds of one run, the command's and the daemon's
# (on a loaded machine the wall clock mostly measures the queue for a CPU).
cpu() {
	d0=$(awk '{ print $14 + $15 }' "/proc/$pid/stat")
	/usr/bin/time -f '%U %S' -o "$T/cpu" "$@" >/dev/null 2>&1
	d1=$(awk '{ print $14 + $15 }' "/proc/$pid/stat")
	awk -v d="$((d1 - d0))" -v hz="$(getconf CLK_TCK)" '{ printf "%.3f\n", $1 + $2 + d / hz }' "$T/cpu"
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f\n", (b > 0) ? a / b : 0 }'; }

# One process creates the files in both trees, the same way.
create() {
	python3 - "$1" "$n" <<-'EOF'
		import os, sys
		d, n = sys.argv[1], int(sys.argv[2])
		block = b"\x5a" * 4096
		for i in range(n):
		    fd = os.open(f"{d}/buf{i:05d}", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
		    os.write(fd, block)
		    os.close(fd)
	EOF
}
create_fuse=$(secs create "$mnt")
create_tmpfs=$(secs create "$tmp")
got=$(find "$mnt" -maxdepth 1 -type f | wc -l)
[ "$got" = "$n" ] || { echo "scale.sh: $got files on the mount, not $n" >&2; exit 1; }

first_fuse=$(secs ls -l "$mnt")
first_tmpfs=$(secs ls -l "$tmp")
ls_fuse=$(median ls -l "$mnt")
ls_tmpfs=$(median ls -l "$tmp")
cold_fuse=na cold_tmpfs=na cold_ratio=na
if [ "${DMABUFFS_SCALE_COLD:-0}" = 1 ]; then
	sync
	echo 2 >/proc/sys/vm/drop_caches
	cold_fuse=$(secs ls -l "$mnt")
	echo 2 >/proc/sys/vm/drop_caches
	cold_tmpfs=$(secs ls -l "$tmp")
	cold_ratio=$(ratio "$cold_fuse" "$cold_tmpfs")
fi
list=$(median "$ctl" list)
json=$(median "$ctl" list --json)
list_cpu=na json_cpu=na
if [ -x /usr/bin/time ]; then
	list_cpu=$(cpu "$ctl" list)
	json_cpu=$(cpu "$ctl" list --json)
fi
top=$(median "$ctl" top --json)
top_cpu=na
[ -x /usr/bin/time ] && top_cpu=$(cpu "$ctl" top --json)
top_mount=na
if [ "${DMABUFFS_SCALE_TOP_MOUNT:-1}" = 1 ]; then
	top_mount=$(secs env DMABUFFS_CONTROL="$T/no-such-socket" "$ctl" top --json)
fi
rows=$("$ctl" list | tail -n +2 | wc -l)
[ "$rows" = "$n" ] || echo "scale.sh: dmabufctl list shows $rows rows, not $n" >&2
rss=$(awk '/^VmRSS:/ { printf "%.1f", $2 / 1024 }' "/proc/$pid/status")
fds=$(find "/proc/$pid/fd" -mindepth 1 | wc -l)

status() { awk -v v="$1" -v t="$2" 'BEGIN { print (v <= t) ? "pass" : "miss" }'; }
r_first=$(ratio "$first_fuse" "$first_tmpfs")
r_ls=$(ratio "$ls_fuse" "$ls_tmpfs")
printf '\n%d buffers of 4 KiB (backend=memfd), %d repeats\n' "$n" "$reps"
printf '%-28s %10s %10s %8s %s\n' figure dmabuffs tmpfs ratio target
printf '%-28s %9ss %9ss %8s\n' "create (one process)" "$create_fuse" "$create_tmpfs" \
	"$(ratio "$create_fuse" "$create_tmpfs")"
printf '%-28s %9ss %9ss %8s %s\n' "ls -l, first" "$first_fuse" "$first_tmpfs" "$r_first" "3x"
printf '%-28s %9ss %9ss %8s %s\n' "ls -l, median" "$ls_fuse" "$ls_tmpfs" "$r_ls" "3x"
printf '%-28s %10s %10s %8s %s\n' "ls -l, cold (drop_caches)" "$cold_fuse" "$cold_tmpfs" \
	"$cold_ratio" "3x"
printf '%-28s %9ss %10s %8s %s\n' "dmabufctl list" "$list" - - "0.3 s"
printf '%-28s %9ss %10s %8s %s\n' "dmabufctl list --json" "$json" - - "0.3 s"
printf '%-28s %9ss %10s\n' "  CPU, client + daemon" "$list_cpu" -
printf '%-28s %9ss %10s\n' "  --json CPU" "$json_cpu" -
printf '%-28s %9ss %10s\n' "dmabufctl top --json" "$top" -
printf '%-28s %9ss %10s\n' "  CPU, client + daemon" "$top_cpu" -
printf '%-28s %9ss %10s\n' "  through the mount, once" "$top_mount" -
printf '%-28s %8sMB %10s\n' "daemon RSS" "$rss" -
printf '%-28s %10s %10s\n' "daemon fds" "$fds" -
echo
echo "BENCH name=scale_ls_first value=$first_fuse unit=s ref_tmpfs=$first_tmpfs ratio=$r_first target=3 status=$(status "$r_first" 3)"
echo "BENCH name=scale_ls value=$ls_fuse unit=s ref_tmpfs=$ls_tmpfs ratio=$r_ls target=3 status=$(status "$r_ls" 3)"
if [ "$cold_ratio" != na ]; then
	echo "BENCH name=scale_ls_cold value=$cold_fuse unit=s ref_tmpfs=$cold_tmpfs ratio=$cold_ratio target=3 status=$(status "$cold_ratio" 3)"
fi
echo "BENCH name=scale_list value=$list unit=s target=0.3 status=$(status "$list" 0.3)"
echo "BENCH name=scale_list_json value=$json unit=s target=0.3 status=$(status "$json" 0.3)"
echo "BENCH name=scale_list_cpu value=$list_cpu unit=s status=info"
echo "BENCH name=scale_list_json_cpu value=$json_cpu unit=s status=info"
echo "BENCH name=scale_top value=$top unit=s status=info"
echo "BENCH name=scale_top_cpu value=$top_cpu unit=s status=info"
echo "BENCH name=scale_top_mount value=$top_mount unit=s status=info"
echo "BENCH name=scale_rss value=$rss unit=MB status=info"
echo "BENCH name=scale_fds value=$fds unit=fds status=info"
