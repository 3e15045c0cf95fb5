# SPDX-License-Identifier: LGPL-2.1-or-later
# Sourced by the guest test scripts (busybox sh). The runner reads the
# one-line reason of a failure or skip from $VMTEST_REASON.

# The daemon a test started with start_daemon (pid, private directory).
DAEMON_PID=
VMT=

skip() {
	echo "# skip: $*"
	[ -n "${VMTEST_REASON:-}" ] && echo "$*" >"$VMTEST_REASON"
	exit 77
}

fail() {
	echo "# fail: $*"
	[ -n "${VMTEST_REASON:-}" ] && echo "$*" >"$VMTEST_REASON"
	exit 1
}

# vivid with two capture-only instances: 0 on vmalloc, 1 on dma-contig.
load_vivid() {
	if [ ! -d /sys/module/vivid ]; then
		modprobe vivid n_devs=2 node_types=0x1,0x1 allocators=0,1 ||
			skip "modprobe vivid failed"
	fi
	# The array parameter reads back with all its slots: "0,1,0,0,...".
	case $(cat /sys/module/vivid/parameters/allocators 2>/dev/null) in
	0,1,*|0,1) ;;
	*) fail "vivid was loaded with other allocators than 0,1" ;;
	esac
}

# mounted DIR: is DIR a mount point? (busybox has no mountpoint(1))
mounted() {
	awk -v m="$1" '$2 == m { f = 1 } END { exit !f }' /proc/self/mounts
}

# wait_exit PID: waits up to 5 s for PID to exit; 1 when it is still there.
wait_exit() {
	i=0
	while kill -0 "$1" 2>/dev/null && [ $i -lt 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	! kill -0 "$1" 2>/dev/null
}

# wait_output PID OUT PATTERN [N]: waits up to 10 s for the Nth (default:
# the first) line matching PATTERN (grep) in OUT, the output of the program
# PID runs in the background; 1 when PID exits first or the time is up
# (then not_up says so).
wait_output() {
	i=0
	while :; do
		nlines=$(grep -c "$3" "$2" 2>/dev/null)
		[ "${nlines:-0}" -lt "${4:-1}" ] || return 0
		kill -0 "$1" 2>/dev/null && [ $i -lt 100 ] || return 1
		sleep 0.1
		i=$((i + 1))
	done
}

# not_up PID OUT TAG NAME WHAT: the end of a test whose background program
# PID did not print what wait_output waited for: its exit status, its
# output OUT shown as "# TAG: ..." lines, then a skip when it exited 77
# ("NAME: " and its last line), else a failure ("WHAT (exit STATUS)").
not_up() {
	wait "$1"
	st=$?
	sed "s/^/# $3: /" "$2"
	[ "$st" -eq 77 ] && skip "$4: $(tail -n1 "$2")"
	fail "$5 (exit $st)"
}

# start_daemon [-o OPTIONS]: dmabuffs in the foreground (so that we know
# its pid) on /run/dmabuf with the default control socket, log in
# $VMT/daemon.log; returns once the mount and the socket are up. The
# daemon is stopped, and its log shown, when the test script exits.
start_daemon() {
	command -v dmabuffs >/dev/null 2>&1 ||
		skip "no dmabuffs in the initramfs (make install failed?)"
	VMT=$(mktemp -d /tmp/vmt.XXXXXX) || fail "mktemp"
	export DMABUFFS_MOUNT=/run/dmabuf DMABUFFS_CONTROL=/run/dmabuffs/control
	mkdir -p /run/dmabuf
	mounted /run/dmabuf && fail "/run/dmabuf is still mounted by an earlier test"
	dmabuffs -f "$@" /run/dmabuf >"$VMT/daemon.log" 2>&1 &
	DAEMON_PID=$!
	echo "$DAEMON_PID" >/run/vmtest-daemon.pid
	trap stop_daemon EXIT
	i=0
	while ! { mounted /run/dmabuf && [ -S "$DMABUFFS_CONTROL" ]; }; do
		if ! kill -0 "$DAEMON_PID" 2>/dev/null || [ $i -ge 100 ]; then
			sed 's/^/# daemon: /' "$VMT/daemon.log"
			fail "dmabuffs did not come up (mount and control socket)"
		fi
		sleep 0.1
		i=$((i + 1))
	done
	echo "# dmabuffs $* up (pid $DAEMON_PID) after $i polls; backends:" \
		"$(ls /run/dmabuf/new | tr '\n' ' ')"
}

# The EXIT trap: SIGTERM unmounts; a daemon that died, did not stop, or
# did not exit 0 is a failure of the test (when it would have passed).
stop_daemon() {
	rc=$?
	[ -n "$DAEMON_PID" ] || return
	late_fail() {
		echo "# fail: $*"
		if [ "$rc" -eq 0 ] || [ "$rc" -eq 77 ]; then
			rc=1
			[ -n "${VMTEST_REASON:-}" ] && echo "$*" >"$VMTEST_REASON"
		fi
	}
	if ! kill -0 "$DAEMON_PID" 2>/dev/null; then
		wait "$DAEMON_PID"
		late_fail "dmabuffs died during the test (exit status $?)"
	else
		kill -TERM "$DAEMON_PID"
		if ! wait_exit "$DAEMON_PID"; then
			kill -KILL "$DAEMON_PID"
			late_fail "dmabuffs ignored SIGTERM for 5 s"
		else
			wait "$DAEMON_PID"
			st=$?
			[ "$st" -eq 0 ] || late_fail "dmabuffs exited with status $st on SIGTERM"
		fi
	fi
	if mounted /run/dmabuf; then
		umount -l /run/dmabuf
		late_fail "/run/dmabuf still mounted after the daemon stopped"
	fi
	if [ "$rc" -ne 0 ] && [ "$rc" -ne 77 ]; then
		echo "# daemon log (last 25 lines):"
		tail -n 25 "$VMT/daemon.log" | sed 's/^/# daemon: /'
	fi
	DAEMON_PID=
	rm -f /run/vmtest-daemon.pid
	exit "$rc"
}

# info_field FILE KEY: the value of user.dmabuf.KEY as `dmabufctl info`
# prints it ("user.dmabuf.KEY: VALUE"); busybox has no getfattr.
info_field() {
	dmabufctl info "$1" | sed -n "s/^user\.dmabuf\.$2: //p"
}

# expect_xattrs FILE EXPORTER IOMEM: the exporter and the map flag the
# policy must give FILE.
expect_xattrs() {
	exp=$(info_field "$1" exporter)
	iom=$(info_field "$1" iomem)
	why=$(info_field "$1" iomem_reason)
	echo "# $1: exporter=$exp iomem=$iom ($why)"
	[ "$exp" = "$2" ] || fail "$1: user.dmabuf.exporter is '$exp', expected '$2'"
	[ "$iom" = "$3" ] || fail "$1: user.dmabuf.iomem is '$iom', expected '$3' ($why)"
}

# pci_dev_of_card_driver DRIVER: the PCI address of the DRM card whose
# device is bound to DRIVER (bochs-drm, qxl), or, for virtio-pci devices,
# whose virtio child is (virtio_gpu); "" when none.
pci_dev_of_card_driver() {
	for c in /sys/class/drm/card[0-9]*; do
		case ${c##*/} in *-*) continue ;; esac
		d=$(readlink -f "$c/device")
		[ -e "$d/vendor" ] || continue	# not a PCI device (vgem)
		for drvlink in "$d/driver" "$d"/virtio*/driver; do
			[ -L "$drvlink" ] || continue
			if [ "$(basename "$(readlink "$drvlink")")" = "$1" ]; then
				basename "$d"
				return 0
			fi
		done
	done
}

# tree_test BACKEND EXPORTER IOMEM [DRM_DRIVER]: a 1 MiB buffer made through
# the tree (truncate of new/BACKEND/NAME), its xattrs, `dmabufctl export`,
# and the data both ways through an independent mapping (tree-check.c).
tree_test() {
	backend=$1 exp=$2 iomem=$3
	shift 3
	start_daemon
	ls /run/dmabuf/new | grep -qxF "$backend" ||
		fail "no new/$backend: the daemon offers $(ls /run/dmabuf/new | tr '\n' ' ')"
	f=/run/dmabuf/a
	truncate -s 1M "/run/dmabuf/new/$backend/a" ||
		fail "truncate -s 1M /run/dmabuf/new/$backend/a failed"
	[ -f "$f" ] || fail "new/$backend/a did not appear as $f"
	size=$(stat -c %s "$f")
	[ "$size" = 1048576 ] || fail "$f has $size bytes after truncate -s 1M"
	expect_xattrs "$f" "$exp" "$iomem"
	got=$(info_field "$f" backend)
	[ "$got" = "$backend" ] || fail "user.dmabuf.backend is '$got', expected '$backend'"
	out=$(dmabufctl export a) || fail "dmabufctl export a failed: $out"
	echo "$out" | sed 's/^/# export: /'
	got=$(echo "$out" | sed -n 's/^exp_name: //p')
	[ "$got" = "$exp" ] || fail "dmabufctl export: exp_name '$got', expected '$exp'"
	got=$(echo "$out" | sed -n 's/^size: //p')
	[ "$got" = "$size" ] || fail "dmabufctl export: size '$got', expected $size"
	tree-check "$f" "$exp" "$@"
	rc=$?
	[ "$rc" -eq 0 ] || exit "$rc"
	rm "$f" || fail "rm $f failed"
	[ ! -e "$f" ] || fail "$f still exists after rm"
}

# ---- holders: processes that hold a dma-buf (dmabuf-hold.c) ----

HOLDER_FD=3
HSEQ=0

# start_holder TAG [as UID] hold KIND SIZE SALT: dmabuf-hold in the
# background, fed commands through a fifo on a shell fd of its own (3, 4,
# ...); once it reported, sets TAG_pid, TAG_fd, TAG_ino, TAG_size, TAG_exp
# and TAG_bg (its pid as a child of this shell: the same). It exits at EOF:
# stop_holder TAG, or when the test script ends.
start_holder() {
	tag=$1
	shift
	[ -n "$VMT" ] || VMT=$(mktemp -d /tmp/vmt.XXXXXX) || fail "mktemp"
	[ "$HOLDER_FD" -le 9 ] || fail "start_holder: too many holders"
	mkfifo "$VMT/$tag.in" || fail "mkfifo $VMT/$tag.in"
	# Not the other holders' command fds: each must see its own EOF.
	dmabuf-hold "$@" <"$VMT/$tag.in" >"$VMT/$tag.out" 2>&1 \
		3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&- &
	eval "${tag}_bg=\$!"
	# Opening the fifo's write end meets the holder's read end.
	eval "exec $HOLDER_FD>\"\$VMT/\$tag.in\""
	eval "${tag}_cmdfd=$HOLDER_FD"
	HOLDER_FD=$((HOLDER_FD + 1))
	bg=$(eval echo "\$${tag}_bg")
	wait_output "$bg" "$VMT/$tag.out" '^hold ' ||
		not_up "$bg" "$VMT/$tag.out" "$tag" "dmabuf-hold $*" \
			"dmabuf-hold $* did not come up"
	for kv in $(sed -n 's/^hold //p' "$VMT/$tag.out"); do
		case $kv in
		pid=* | fd=* | ino=* | size=* | exp=*)
			eval "${tag}_${kv%%=*}=\${kv#*=}"
			;;
		esac
	done
	echo "# holder $tag: $(sed -n 's/^hold //p' "$VMT/$tag.out") ($*)"
}

# holder_cmd TAG check|fill SALT: one command, its answer within 10 s;
# returns 0 on "ok", else shows the answer and returns 1.
holder_cmd() {
	tag=$1
	shift
	HSEQ=$((HSEQ + 1))
	fd=$(eval echo "\$${tag}_cmdfd")
	eval "echo \"\$HSEQ \$*\" >&$fd"
	i=0
	while ! grep -q "^$HSEQ " "$VMT/$tag.out"; do
		if [ $i -ge 100 ]; then
			echo "# holder $tag: no answer to '$*'"
			return 1
		fi
		sleep 0.1
		i=$((i + 1))
	done
	grep -q "^$HSEQ ok " "$VMT/$tag.out" && return 0
	grep "^$HSEQ " "$VMT/$tag.out" | sed "s/^/# holder $tag: /"
	return 1
}

# stop_holder TAG: EOF on its commands; it must exit 0 within 5 s.
stop_holder() {
	tag=$1
	eval "exec $(eval echo "\$${tag}_cmdfd")>&-"
	bg=$(eval echo "\$${tag}_bg")
	wait_exit "$bg" || fail "holder $tag did not exit at EOF"
	wait "$bg" || fail "holder $tag exited with status $?"
}

# fdinfo_count PID FD: the dma-buf's file reference count as its holder's
# fdinfo shows it (the count: line).
fdinfo_count() {
	sed -n 's/^count:[[:space:]]*//p' "/proc/$1/fdinfo/$2"
}

# device_loss DRIVER: the body of the device-loss-* tests. With a
# drm:DRIVER buffer file open, the card's PCI device is removed (sysfs
# remove); reads give ENODEV or the last contents, the daemon survives,
# drops the backend and still serves other buffers (device-loss.c).
device_loss() {
	pci=$(pci_dev_of_card_driver "$1")
	[ -n "$pci" ] || skip "no $1 card on a PCI device"
	start_daemon
	truncate -s 1M "/run/dmabuf/new/drm:$1/lost" || fail "cannot allocate on drm:$1"
	truncate -s 1M /run/dmabuf/new/udmabuf/kept || fail "cannot allocate on udmabuf"
	echo "# $1 card on PCI $pci"
	device-loss /run/dmabuf/lost /run/dmabuf/kept "drm:$1" "$pci"
	rc=$?
	[ "$rc" -eq 0 ] || exit "$rc"
	[ ! -e "/sys/bus/pci/devices/$pci" ] || fail "$pci is still there after remove"
	kill -0 "$DAEMON_PID" 2>/dev/null || fail "dmabuffs died after the removal"
	mounted /run/dmabuf || fail "/run/dmabuf is gone after the removal"
	dmabufctl info lost >/dev/null 2>&1
	echo "# dmabufctl info lost: exit $?"
	out=$(dmabufctl list) || fail "dmabufctl list failed after the removal"
	echo "$out" | sed 's/^/# list: /'
	truncate -s 64K /run/dmabuf/new/heap:system/after ||
		fail "no new buffer can be made after the removal"
	rm /run/dmabuf/lost || fail "rm of the gone buffer failed"
	kill -0 "$DAEMON_PID" 2>/dev/null || fail "dmabuffs died after the removal"
}

# Memory cgroups (cgroup v2, which the guest mounts nowhere by itself):
# memcg_setup LIMIT-BYTES mounts cgroup2 on /sys/fs/cgroup if needed,
# enables the memory controller for the root's children and makes
# $MEMCG_USER (limited, no swap) and $MEMCG_DAEMON; the EXIT trap removes
# them after the daemon stopped. memcg_usage DIR: memory.current.
# memcg_in DIR CMD...: CMD run inside DIR.
memcg_setup() {
	CG=/sys/fs/cgroup
	if ! grep -q " $CG cgroup2 " /proc/mounts; then
		mount -t cgroup2 cgroup2 $CG || skip "cannot mount cgroup2 on $CG"
	fi
	grep -qw memory $CG/cgroup.controllers ||
		skip "cgroup2 has no memory controller on $(uname -r)"
	echo +memory >$CG/cgroup.subtree_control || fail "cannot enable memory in $CG"
	MEMCG_USER=$CG/vmt-user-$$ MEMCG_DAEMON=$CG/vmt-daemon-$$
	mkdir $MEMCG_USER $MEMCG_DAEMON || fail "cannot make cgroups in $CG"
	echo "$1" >$MEMCG_USER/memory.max || fail "cannot set memory.max"
	echo 0 >$MEMCG_USER/memory.swap.max 2>/dev/null
	trap 'stop_daemon; memcg_cleanup' EXIT
}
memcg_cleanup() {
	for d in $MEMCG_USER $MEMCG_DAEMON; do
		i=0
		while [ -d $d ] && ! rmdir $d 2>/dev/null && [ $i -lt 50 ]; do
			sleep 0.1
			i=$((i + 1))
		done
	done
}
memcg_usage() {
	cat "$1/memory.current"
}
# memcg_settle DIR: wait up to 5 s for DIR's usage to fall under 2 MiB (a
# removed file's buffer is freed once the kernel forgets it, in the
# background).
memcg_settle() {
	i=0
	while [ "$(memcg_usage "$1")" -ge $((2 * MIB)) ] && [ $i -lt 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
}
memcg_in() {
	sh -c 'echo $$ >"$0/cgroup.procs" && exec "$@"' "$@"
}
MIB=1048576
