# SPDX-License-Identifier: LGPL-2.1-or-later
# Sourced by the guest test scripts (busybox sh). The runner reads the
# one-line reason of a failure or skip from $VMTEST_REASON.

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
