# SPDX-License-Identifier: LGPL-2.1-or-later
# Sourced (after /vm/lib.sh) by the systemd boot's tests: the service is
# the project's own dmabuffs.service, driven by systemctl. Each test starts
# from a stopped unit with an empty fd store and leaves it so (EXIT trap).

U=dmabuffs
M=/run/dmabuf
export DMABUFFS_MOUNT=$M DMABUFFS_CONTROL=/run/dmabuffs/control
SD=$(mktemp -d /tmp/sd.XXXXXX) || fail "mktemp"

prop() { systemctl show -P "$1" "$U"; }

# unit_reset: stopped, failures forgotten, no buffer in the fd store.
# `systemctl clean --what=fdstore` wants the D-Bus system bus, which this
# guest does not run (systemctl reaches PID 1 over its private socket
# otherwise), and FileDescriptorStorePreserve=yes keeps the store across a
# stop: so the tests' buffers are removed from a running service, which
# then stores an empty tree at its stop.
unit_reset() {
	systemctl reset-failed "$U" 2>/dev/null
	if [ "$(prop ActiveState)" != active ]; then
		systemctl start "$U" 2>/dev/null
		wait_up >/dev/null
	fi
	mounted "$M" && rm -f "$M"/keep-* "$M"/held-by-unit
	systemctl stop "$U" 2>/dev/null
	systemctl reset-failed "$U" 2>/dev/null
	if mounted "$M"; then
		echo "# $M still mounted after the unit stopped; unmounting"
		umount -l "$M"
	fi
}

# unit_log: the unit's journal, as "# journal: ..." lines.
unit_log() {
	journalctl -b -u "$U" --no-pager -o short-monotonic -n "${1:-40}" 2>&1 |
		sed 's/^/# journal: /'
}

# since T0 [1]: seconds of uptime since T0 (a /proc/uptime reading), whole
# or (1) with a tenth. Deadlines go by time: each systemctl call takes a
# while in the TCG guest.
since() {
	awk -v a="$1" -v f="${2:-0}" -v b="$(cut -d' ' -f1 /proc/uptime)" \
		'BEGIN { if (f) printf "%.1f", b - a; else printf "%d", b - a }'
}

# wait_up [SECS]: the unit is active and its tree and socket are up (the
# unit is Type=notify, so "active" already means mounted).
wait_up() {
	t=$(cut -d' ' -f1 /proc/uptime)
	while ! { [ "$(prop ActiveState)" = active ] && mounted "$M" &&
		  [ -S "$DMABUFFS_CONTROL" ]; }; do
		if [ "$(since "$t")" -ge "${1:-15}" ]; then
			systemctl status "$U" --no-pager 2>&1 | sed 's/^/# status: /'
			unit_log
			return 1
		fi
		sleep 0.2
	done
	echo "# $U up: pid $(prop MainPID), restarts $(prop NRestarts)"
}

# state: "MAINPID NRESTARTS ACTIVESTATE" of the unit, one systemctl call
# (each takes a while in TCG; systemctl prints them in its own order).
state() {
	systemctl show -p MainPID -p NRestarts -p ActiveState "$U" 2>/dev/null |
		awk -F= '{ v[$1] = $2 } END { print v["MainPID"] + 0, v["NRestarts"] + 0, v["ActiveState"] "" }'
}

# wait_restarted PID N0 T0 WHAT [SECS]: after WHAT (a kill at uptime T0)
# ended the main process PID, the unit's own Restart= must bring it back
# within SECS (default 15): a new main PID, NRestarts above N0, active,
# its tree and socket up. Sets BACK_PID and BACK_SECS (since T0); fails
# otherwise.
wait_restarted() {
	while :; do
		set -- "$1" "$2" "$3" "$4" "${5:-15}" $(state)
		[ "$6" != "$1" ] && [ "$6" != 0 ] && [ "$7" != "$2" ] && [ "$8" = active ] && break
		if [ "$(since "$3")" -ge "$5" ]; then
			unit_log
			fail "$U not back $5 s after $4 (state $(prop ActiveState)/$(prop SubState), restarts $2 -> $(prop NRestarts), result $(prop Result))"
		fi
		sleep 0.5
	done
	BACK_PID=$6
	wait_up "$5" >/dev/null || fail "$U restarted after $4 but its tree is not up"
	BACK_SECS=$(since "$3" 1)
}

# mount_dev: the device (MAJ:MIN) of the mount on $M, from mountinfo; ""
# when nothing is mounted there (the topmost mount counts).
mount_dev() {
	awk -v m="$M" '$5 == m { d = $3 } END { print d }' /proc/self/mountinfo
}

# fdstore_count: the number of fds in the unit's store (the table's rows).
fdstore_count() {
	systemd-analyze fdstore "$U" --no-pager 2>&1 | tee "$SD/fdstore" |
		awk 'NR > 1 && NF' | wc -l
}

# fdstore_has_fuse: the store lists the mount's /dev/fuse fd (FDNAME=fuse).
fdstore_has_fuse() {
	fdstore_count >/dev/null
	awk '$1 == "fuse" { f = 1 } END { exit !f }' "$SD/fdstore"
}

# daemon_fds: how many fds the unit's main process holds.
daemon_fds() {
	ls "/proc/$(prop MainPID)/fd" | wc -l
}

# dmabuf_backend: the first of udmabuf, heap:system, drm:vgem the daemon
# offers (new/BACKEND), "" when none.
dmabuf_backend() {
	for b in udmabuf heap:system drm:vgem; do
		[ -d "$M/new/$b" ] && { echo "$b"; return; }
	done
}

unit_start() {
	systemctl start "$U" || { unit_log; fail "systemctl start $U failed"; }
	wait_up || fail "$U did not come up after systemctl start"
	# The unit's hardening must not give it a mount namespace: its mount
	# would be seen by nobody.
	ns=$(readlink "/proc/$(prop MainPID)/ns/mnt")
	[ "$ns" = "$(readlink /proc/1/ns/mnt)" ] ||
		fail "$U runs in a mount namespace of its own ($ns)"
}

# The buffers: one per backend the daemon offers among udmabuf,
# heap:system and drm:vgem, 256 KiB of random data each, some chowned and
# chmodded, so that names, data, owners and modes can be checked.
# make_buffers writes $SD/list ("NAME UID:GID MODE") and $SD/NAME.data.
make_buffers() {
	: >"$SD/list"
	n=0
	for b in udmabuf heap:system drm:vgem; do
		[ -d "$M/new/$b" ] || { echo "# no new/$b here"; continue; }
		n=$((n + 1))
		name=keep-$(echo "$b" | tr ':' '-')
		truncate -s 256K "$M/new/$b/$name" || fail "truncate -s 256K new/$b/$name failed"
		head -c 262144 /dev/urandom >"$SD/$name.data"
		dd if="$SD/$name.data" of="$M/$name" bs=64K conv=notrunc 2>/dev/null ||
			fail "writing $M/$name failed"
		case $n in
		1) chown 1000:44 "$M/$name" && chmod 0640 "$M/$name" ;;
		2) chown 1001:1001 "$M/$name" && chmod 0600 "$M/$name" ;;
		*) chmod 0604 "$M/$name" ;;
		esac || fail "chown/chmod $M/$name failed"
		echo "$name $(stat -c '%u:%g %a' "$M/$name")" >>"$SD/list"
	done
	[ -s "$SD/list" ] || fail "the daemon offers none of udmabuf, heap:system, drm:vgem"
	sed 's/^/# made: /' "$SD/list"
}

# check_buffers WHEN: every buffer of $SD/list is there, with its owner,
# mode, size, data and exporter.
check_buffers() {
	while read -r name own mode; do
		[ -f "$M/$name" ] || { ls -l "$M" | sed 's/^/# ls: /'; fail "$1: $name is gone"; }
		got=$(stat -c '%u:%g %a %s' "$M/$name")
		[ "$got" = "$own $mode 262144" ] ||
			fail "$1: $name is '$got', was '$own $mode 262144'"
		cmp "$SD/$name.data" "$M/$name" >/dev/null ||
			fail "$1: $name's data differ from what was written"
	done <"$SD/list"
	echo "# $1: $(wc -l <"$SD/list") buffers kept names, owners, modes and data"
}

# fdstore_names: the dma-buf fds in the unit's fd store, one "NAME" (the
# buffer's dma-buf name: /dmabuf:NAME) a line, sorted.
fdstore_names() {
	systemd-analyze fdstore "$U" --no-pager 2>&1 | tee "$SD/fdstore" |
		sed -n 's|.*/dmabuf:\([^ ]*\).*|\1|p' | sort
}

# expect_fdstore WHEN: every buffer of $SD/list has its fd in the store.
expect_fdstore() {
	fdstore_names >"$SD/in-store"
	sed 's/^/# fdstore: /' "$SD/fdstore"
	while read -r name _; do
		grep -qxF "$name" "$SD/in-store" || {
			unit_log 15
			fail "$1: systemd-analyze fdstore $U does not list $name ($(wc -l <"$SD/in-store") dma-bufs in the store)"
		}
	done <"$SD/list"
	echo "# $1: the fd store holds all $(wc -l <"$SD/list") buffers"
}

unit_reset
trap 'rc=$?; unit_reset; exit $rc' EXIT
