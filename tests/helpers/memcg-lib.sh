# shellcheck shell=bash
# Memory cgroups for the memcg-*.t tests, sourced after lib.sh and
# daemon-lib.sh: two child cgroups of this test's own, "user" (limited)
# and "daemon", on the v1 memory hierarchy or on cgroup v2, made here and
# removed at the end. memcg_setup skips the script (77) when no memory
# controller is usable.

MEMCG_BASE=
MEMCG_V=

# memcg_setup LIMIT-BYTES: sets MEMCG_USER, MEMCG_DAEMON (directories).
memcg_setup() {
	local limit=$1 own v2 v1
	v2=$(awk '$9 == "cgroup2" && $4 == "/" { print $5; exit }' /proc/self/mountinfo)
	v1=$(awk '$9 == "cgroup" && $4 == "/" && $NF ~ /(^|,)memory(,|$)/ { print $5; exit }' \
		/proc/self/mountinfo)
	if [ -n "$v2" ] && grep -qw memory "$v2/cgroup.controllers" 2>/dev/null; then
		MEMCG_V=2
		own=$(sed -n 's/^0:://p' /proc/self/cgroup)
		MEMCG_BASE=$v2${own%/}/dmabuffs-memcg-$$
		# Controllers go to children only from a cgroup without processes
		# of its own (cgroup v2), which the root is exempt from.
		grep -qw memory "$v2${own%/}/cgroup.subtree_control" 2>/dev/null ||
			echo +memory >"$v2${own%/}/cgroup.subtree_control" 2>/dev/null ||
			skip_all "cgroup v2: cannot enable the memory controller below $v2$own"
	elif [ -n "$v1" ]; then
		MEMCG_V=1
		own=$(sed -n 's/^[0-9]*:\([^:]*,\)\{0,1\}memory\(,[^:]*\)\{0,1\}:\(.*\)/\3/p' /proc/self/cgroup)
		MEMCG_BASE=$v1${own%/}/dmabuffs-memcg-$$
	else
		skip_all "no memory cgroup controller (neither cgroup v2 with memory nor v1 memory)"
	fi
	mkdir "$MEMCG_BASE" 2>"$T/memcg.err" ||
		skip_all "cannot make a memory cgroup under ${MEMCG_BASE%/*}: $(cat "$T/memcg.err")"
	if [ "$MEMCG_V" = 2 ]; then
		echo +memory >"$MEMCG_BASE/cgroup.subtree_control" ||
			bail_out "cannot enable memory in $MEMCG_BASE"
	fi
	MEMCG_USER=$MEMCG_BASE/user
	MEMCG_DAEMON=$MEMCG_BASE/daemon
	mkdir "$MEMCG_USER" "$MEMCG_DAEMON" || bail_out "cannot make child cgroups in $MEMCG_BASE"
	if [ "$MEMCG_V" = 2 ]; then
		echo "$limit" >"$MEMCG_USER/memory.max" && echo 0 >"$MEMCG_USER/memory.swap.max" 2>/dev/null
	else
		echo "$limit" >"$MEMCG_USER/memory.limit_in_bytes" &&
			{ ! [ -e "$MEMCG_USER/memory.memsw.limit_in_bytes" ] ||
				echo "$limit" >"$MEMCG_USER/memory.memsw.limit_in_bytes"; }
	fi || bail_out "cannot set a limit of $limit bytes on $MEMCG_USER"
	trap 'memcg_cleanup; cleanup' EXIT
}

# Remove the cgroups: the daemon is stopped first (its helper leaves with
# its socket), anything left is moved to the parent.
memcg_cleanup() {
	local d p
	[ -n "$MEMCG_BASE" ] && [ -d "$MEMCG_BASE" ] || return 0
	for pid in $DAEMON_PIDS; do
		kill_daemon "$pid"
	done
	for d in "$MEMCG_USER" "$MEMCG_DAEMON"; do
		[ -d "$d" ] || continue
		for p in $(cat "$d/cgroup.procs" 2>/dev/null); do
			echo "$p" >"${MEMCG_BASE%/*}/cgroup.procs" 2>/dev/null
		done
		wait_for "rmdir '$d' 2>/dev/null" 50
	done
	rmdir "$MEMCG_BASE" 2>/dev/null
}

# memcg_usage DIR: bytes charged to DIR now.
memcg_usage() {
	if [ "$MEMCG_V" = 2 ]; then
		cat "$1/memory.current"
	else
		cat "$1/memory.usage_in_bytes"
	fi
}

# memcg_as_user DIR UID GROUPS PYTHON: as_user, inside cgroup DIR.
memcg_as_user() {
	local dir=$1
	shift
	(
		echo "$BASHPID" >"$dir/cgroup.procs" || exit 1
		as_user "$@"
	)
}

# memcg_move_daemon: the running daemon (DAEMON_PID) into MEMCG_DAEMON.
memcg_move_daemon() {
	echo "$DAEMON_PID" >"$MEMCG_DAEMON/cgroup.procs"
}

MIB=$((1024 * 1024))

# memcg_start: as root and with users (require_host, require_users_video):
# the cgroups (user limited to 256 MiB), a daemon in its own one, a warm-up
# write as U1 (worker threads and their request buffers come with the first
# requests), and the usage of both after it in u0 and d0.
memcg_start() {
	U1=64011
	memcg_setup $((256 * MIB))
	chmod 0755 "$T"
	start_daemon "allow_other,group=video" || bail_out "dmabuffs did not mount"
	check "the daemon runs in a memory cgroup of its own" -- memcg_move_daemon
	is "$(memcg_as_user "$MEMCG_USER" $U1 "$VIDEO" 'write("warm", 4 << 20)')" OK \
		"a warm-up write"
	rm -f "$M/warm"
	wait_for '[ $(memcg_usage "$MEMCG_USER") -lt $((2 * MIB)) ]' 30
	u0=$(memcg_usage "$MEMCG_USER") d0=$(memcg_usage "$MEMCG_DAEMON")
}
