#!/bin/sh
# vmtest: last (it removes the virtio-gpu PCI device for the rest of the boot)
# Hot-unplug: with a drm:virtio_gpu buffer file open, the card's PCI device is
# removed (sysfs remove); reads give ENODEV or the last contents, the
# daemon survives, drops the backend and still serves other buffers
# (device-loss.c).
. /vm/lib.sh
pci=$(pci_dev_of_card_driver virtio_gpu)
[ -n "$pci" ] || skip "no virtio_gpu card on a PCI device"
start_daemon
truncate -s 1M "/run/dmabuf/new/drm:virtio_gpu/lost" || fail "cannot allocate on drm:virtio_gpu"
truncate -s 1M /run/dmabuf/new/udmabuf/kept || fail "cannot allocate on udmabuf"
echo "# virtio_gpu card on PCI $pci"
device-loss /run/dmabuf/lost /run/dmabuf/kept "drm:virtio_gpu" "$pci"
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
