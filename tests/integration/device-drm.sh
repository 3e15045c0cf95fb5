#!/bin/sh
# Device test: the DRM dumb-buffer backend on every card the daemon offers
# (new/drm:DRIVER), each with the map flag the rule table gives its driver:
# the VRAM drivers (bochs-drm, qxl) are I/O memory, so their data goes
# through the I/O accessor shim. Every /dev/dri/card* must be offered.
# POSIX sh + busybox only. Exit 0 pass, 77 skip (no device), other = fail.
DMABUFFS_DEVICE_TEST=1
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"

cards=
for c in /dev/dri/card*; do
	[ -c "$c" ] && cards="$cards $c"
done
[ -n "$cards" ] || dt_skip "no /dev/dri/card* (no DRM device)"
dt_require_host

# The DRM driver of a card (as drmGetVersion names it): for virtio-gpu the
# driver of the virtio device under the PCI one (whose own is virtio-pci),
# else the sysfs driver of its device; vgem's platform device (before
# 6.15) has no driver link, so its own name, and its faux device (6.15 on)
# is bound to the faux bus's one driver, "faux_driver": its own name too.
card_driver() {
	sys=/sys/class/drm/${1##*/}/device
	for l in "$sys"/virtio*/driver "$sys/driver"; do
		[ -L "$l" ] || continue
		d=$(basename "$(readlink "$l")")
		[ "$d" = faux_driver ] && break
		echo "$d"
		return 0
	done
	[ -e "$sys" ] && basename "$(readlink -f "$sys")"
}

# The backends a daemon offers: new/ of a throwaway mount.
offered_backends() {
	tmp=$(mktemp -d /tmp/dmabuffs-drm.XXXXXX) || exit 1
	mkdir "$tmp/mnt"
	dmabuffs -f -o "nodiscover,control=$tmp/control" "$tmp/mnt" >"$tmp/log" 2>&1 &
	pid=$!
	i=0
	while [ $i -lt 75 ] && ! dt_mounted "$tmp/mnt" && kill -0 "$pid" 2>/dev/null; do
		dt_sleep
		i=$((i + 1))
	done
	if dt_mounted "$tmp/mnt"; then
		ls "$tmp/mnt/new" >"$tmp/new"
	else
		echo "FAIL: dmabuffs did not mount (to list new/)" >&2
		sed 's/^/    /' "$tmp/log" | tail -n 20 >&2
	fi
	kill -TERM "$pid" 2>/dev/null
	wait "$pid"
	dt_mounted "$tmp/mnt" && { umount -l "$tmp/mnt" || fusermount3 -u -z "$tmp/mnt"; }
	cat "$tmp/new" 2>/dev/null
	dt_mounted "$tmp/mnt" || rm -rf "$tmp"
}

backends=$(offered_backends | grep '^drm:' | tr '\n' ' ')
echo "cards:$cards; the daemon offers: ${backends:-no drm: backend}"
status=0
for c in $cards; do
	d=$(card_driver "$c")
	case " $backends " in
	*" drm:$d "*) echo "PASS: $c ($d) is offered as drm:$d" ;;
	*)
		echo "FAIL: $c (driver '$d') is not offered: new/ has ${backends:-no drm:*}"
		status=1
		;;
	esac
done

# fdinfo exp_name is "drm" for vgem/bochs/qxl and "virtio_gpu" for
# virtio-gpu; iomem as the rule table says (a driver without a rule: any).
ran=
for b in $backends; do
	d=${b#drm:}
	echo "=== $b"
	case $d in
	vgem) (dt_run "$b" drm 0) ;;
	virtio_gpu) (dt_run "$b" 'virtio_gpu|drm' 0) ;;
	bochs-drm | bochs) (dt_run "$b" drm 1) ;;
	qxl) (dt_run "$b" drm 1) ;;
	*) (dt_run "$b" '.+' '') ;;
	esac
	st=$?
	echo "=== $b: exit $st"
	[ "$st" -eq 0 ] || status=1
	ran="$ran $d"
done
[ -n "$ran" ] || { echo "FAIL: the daemon offers no drm: backend"; exit 1; }
echo "DRM backends tested:$ran"
exit "$status"
