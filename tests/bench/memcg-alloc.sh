#!/bin/sh
# tests/bench/memcg-alloc.sh BUILDDIR: what charging buffers to their
# callers' memory cgroups costs. Starts a daemon (backend=memfd) on a
# temporary mount and times N small buffers made through the mount, per
# buffer: written (open O_CREAT, write 4 KiB, close: a staged file
# allocated at close) and truncated (open, ftruncate 4 KiB, close), by a
# caller in the daemon's own memory cgroup and by one in a child memory
# cgroup (whose pages a helper allocates); wall clock and CPU time (the
# caller's, the daemon's and its helpers'). With DMABUFFS_MEMCG_BEFORE=BIN
# (an older dmabuffs, e.g. main's build before the change) both daemons run,
# interleaved, and the ratio after/before is printed (target: 2x at most).
# A benchmark: reported, never asserted.
#
#   DMABUFFS_MEMCG_N=1000     buffers per timing
#   DMABUFFS_MEMCG_REPS=5     repetitions (median reported)
#   DMABUFFS_MEMCG_BEFORE=    the other daemon binary (libtool wrapper or not)
set -eu

if [ $# -lt 1 ] || [ "$1" = -h ] || [ "$1" = --help ]; then
	sed -n '2,17s/^# \{0,1\}//p' "$0"
	[ $# -ge 1 ] && exit 0 || exit 2
fi
build=$(cd "$1" && pwd)
n=${DMABUFFS_MEMCG_N:-1000}
reps=${DMABUFFS_MEMCG_REPS:-5}
after=$build/src/dmabuffs
before=${DMABUFFS_MEMCG_BEFORE:-}

[ "$(id -u)" = 0 ] || { echo "memcg-alloc.sh: needs root (FUSE, cgroups)" >&2; exit 1; }

T=$(mktemp -d /tmp/dmabuffs-memcg.XXXXXX)
mnt=$T/mnt
pid=
cg=
mounted() {
	awk -v m="$1" '$2 == m { f = 1 } END { exit !f }' /proc/self/mounts
}
stop() {
	if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
		kill -TERM "$pid"
		i=0
		while [ $i -lt 50 ] && kill -0 "$pid" 2>/dev/null; do
			sleep 0.1
			i=$((i + 1))
		done
	fi
	pid=
	mounted "$mnt" && { fusermount3 -u -z "$mnt" 2>/dev/null || umount -l "$mnt"; }
	return 0
}
cleanup() {
	stop
	if [ -n "$cg" ]; then
		i=0
		while [ $i -lt 50 ] && ! rmdir "$cg" 2>/dev/null; do
			sleep 0.1
			i=$((i + 1))
		done
	fi
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# A child of this shell's memory cgroup: cgroup v2 with memory, else v1.
v2=$(awk '$9 == "cgroup2" && $4 == "/" { print $5; exit }' /proc/self/mountinfo)
v1=$(awk '$9 == "cgroup" && $4 == "/" && $NF ~ /(^|,)memory(,|$)/ { print $5; exit }' \
	/proc/self/mountinfo)
if [ -n "$v2" ] && grep -qw memory "$v2/cgroup.controllers" 2>/dev/null; then
	cg=$v2$(sed -n 's/^0:://p' /proc/self/cgroup)
elif [ -n "$v1" ]; then
	cg=$v1$(sed -n 's/^[0-9]*:\([^:]*,\)\{0,1\}memory\(,[^:]*\)\{0,1\}:\(.*\)/\3/p' /proc/self/cgroup)
fi
if [ -n "$cg" ]; then
	cg=${cg%/}/dmabuffs-bench-$$
	mkdir "$cg" 2>/dev/null || cg=
fi
[ -n "$cg" ] || echo "memcg-alloc.sh: no child memory cgroup can be made here: own cgroup only" >&2

mkdir "$mnt"
export DMABUFFS_CONTROL="$T/control"
start() {
	"$1" -f -o "backend=memfd,control=$DMABUFFS_CONTROL" "$mnt" >"$T/daemon.log" 2>&1 &
	pid=$!
	i=0
	while ! mounted "$mnt"; do
		if ! kill -0 "$pid" 2>/dev/null || [ $i -ge 100 ]; then
			echo "memcg-alloc.sh: the daemon did not come up:" >&2
			cat "$T/daemon.log" >&2
			exit 1
		fi
		sleep 0.1
		i=$((i + 1))
	done
}

# make HOW CGROUP: microseconds per buffer for N buffers, wall clock and
# CPU (the caller's, the daemon's and its helpers': on a loaded machine
# the wall clock mostly measures the wait for a CPU), then removes them
# (not timed). CGROUP "-": the caller stays where it is.
make() {
	python3 - "$mnt" "$n" "$1" "$2" "$pid" <<-'EOF'
		import glob, os, sys, time
		d, n, how, cg, daemon = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
		if cg != "-":
		    with open(os.path.join(cg, "cgroup.procs"), "w") as f:
		        f.write(str(os.getpid()))
		def ticks(pid):
		    try:
		        with open(f"/proc/{pid}/stat") as f:
		            v = f.read().rsplit(")", 1)[1].split()
		        return int(v[11]) + int(v[12])
		    except OSError:
		        return 0
		def others():
		    pids = {daemon}
		    for c in glob.glob(f"/proc/{daemon}/task/*/children"):
		        with open(c) as f:
		            pids.update(f.read().split())
		    return {p: ticks(p) for p in pids}
		block = b"\x5a" * 4096
		o0, c0, t0 = others(), os.times(), time.monotonic()
		for i in range(n):
		    fd = os.open(f"{d}/b{i:05d}", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
		    if how == "write":
		        os.write(fd, block)
		    else:
		        os.ftruncate(fd, 4096)
		    os.close(fd)
		t1, c1, o1 = time.monotonic(), os.times(), others()
		for i in range(n):
		    os.unlink(f"{d}/b{i:05d}")
		hz = os.sysconf("SC_CLK_TCK")
		cpu = (c1.user - c0.user + c1.system - c0.system +
		       sum(v - o0.get(p, 0) for p, v in o1.items()) / hz)
		print("%.1f %.1f" % ((t1 - t0) / n * 1e6, cpu / n * 1e6))
	EOF
}

: >"$T/results"
r=0
while [ $r -lt "$reps" ]; do
	for side in before after; do
		bin=$after
		if [ $side = before ]; then
			[ -n "$before" ] || continue
			bin=$before
		fi
		start "$bin"
		for how in write truncate; do
			echo "$side $how own $(make $how -)" >>"$T/results"
			[ -z "$cg" ] || echo "$side $how child $(make $how "$cg")" >>"$T/results"
		done
		stop
	done
	r=$((r + 1))
done

# median KEY COLUMN: "median (min, max)" of a column (4 wall, 5 CPU).
median() {
	awk -v k="$1" -v c="$2" '$1 " " $2 " " $3 == k { print $c }' "$T/results" | sort -n |
		awk '{ v[NR] = $1 } END { if (NR) printf "%s (min %s, max %s)", v[int((NR + 1) / 2)], v[1], v[NR] }'
}
echo "memcg-alloc: $n buffers of 4 KiB through the mount, $reps runs, microseconds per buffer" \
	"(median, min, max)"
: >"$T/bench"
for how in write truncate; do
	for where in own child; do
		[ $where = own ] || [ -n "$cg" ] || continue
		for col in 4:wall 5:cpu; do
			a=$(median "after $how $where" "${col%%:*}")
			line="  $how, caller in the $where cgroup, ${col#*:}: after $a"
			name=memcg_${how}_${where}_${col#*:}_us
			if [ -n "$before" ]; then
				b=$(median "before $how $where" "${col%%:*}")
				ratio=$(awk -v a="${a%% *}" -v b="${b%% *}" \
					'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')
				line="$line, before $b, ratio ${ratio}x"
				echo "BENCH name=${name}_before value=${b%% *}" >>"$T/bench"
			fi
			echo "$line"
			echo "BENCH name=$name value=${a%% *}" >>"$T/bench"
		done
	done
done
cat "$T/bench"
