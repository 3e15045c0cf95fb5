#!/bin/sh
# Device test: the DRM dumb-buffer backend on the first /dev/dri/card*.
# POSIX sh + busybox only. Exit 0 pass, 77 skip (no device), other = fail.
DMABUFFS_DEVICE_TEST=1
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"

card=
for c in /dev/dri/card*; do
	[ -c "$c" ] && { card=$c; break; }
done
[ -n "$card" ] || dt_skip "no /dev/dri/card* (no DRM device)"

# The DRM driver's name (as drmGetVersion reports it): the sysfs driver of
# the card's device; vgem's platform device has no driver link, so fall
# back to the device's own name.
sys=/sys/class/drm/${card##*/}/device
driver=
if [ -L "$sys/driver" ]; then
	driver=$(basename "$(readlink "$sys/driver")")
elif [ -e "$sys" ]; then
	driver=$(basename "$(readlink -f "$sys")")
fi
[ -n "$driver" ] || dt_skip "cannot tell the driver of $card from sysfs"
echo "card $card, driver $driver"
dt_require_host

# fdinfo exp_name is "drm" for vgem/bochs/qxl and "virtio_gpu" for
# virtio-gpu; the map flag follows the rule table: VRAM drivers are I/O
# memory, the others system memory.
case $driver in
vgem) dt_run "drm:$driver" drm 0 ;;
virtio_gpu) dt_run "drm:$driver" 'virtio_gpu|drm' 0 ;;
bochs-drm | bochs) dt_run "drm:$driver" drm 1 ;;
qxl) dt_run "drm:$driver" drm 1 ;;
*) dt_run "drm:$driver" ".+" "" ;;
esac
