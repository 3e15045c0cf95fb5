#!/bin/sh
# vmtest: last (it removes the bochs PCI device; a PCI rescan at the end brings it back)
# Hot-unplug under a MAP_SHARED mapping being read: a drm:bochs-drm buffer
# file (VRAM, I/O memory: the mapping is page cache filled through the
# shim, as qxl's) is mapped and read in a loop (its pages dropped between
# passes, so every pass faults through the daemon) while the card's PCI
# device is removed; the reader gets SIGBUS or the last contents, never a
# hang, and the daemon keeps serving other buffers (device-loss-mmap.c).
# Not qxl: device-loss-qxl, after this test, needs that card, and a PCI
# rescan to bring a removed qxl back oopses 6.12 (qxl_irq_handler); the
# bochs card comes back for page-flip, the last test, the same way.
. /vm/lib.sh
drv=bochs-drm
pci=$(pci_dev_of_card_driver $drv)
[ -n "$pci" ] || skip "no $drv card on a PCI device"
start_daemon
truncate -s 1M "/run/dmabuf/new/drm:$drv/mapped" || fail "cannot allocate on drm:$drv"
truncate -s 1M /run/dmabuf/new/udmabuf/kept || fail "cannot allocate on udmabuf"
echo "# $drv card on PCI $pci"
device-loss-mmap /run/dmabuf/mapped /run/dmabuf/kept "drm:$drv" "$pci"
rc=$?
# The checks after the removal note the first failure (why), so that the
# card comes back below whatever happened: page-flip, the last test,
# needs it.
why=
note() { [ -n "$why" ] || why=$*; }
if [ "$rc" -eq 0 ]; then
	[ ! -e "/sys/bus/pci/devices/$pci" ] || note "$pci is still there after remove"
	kill -0 "$DAEMON_PID" 2>/dev/null || note "dmabuffs died after the removal"
	mounted /run/dmabuf || note "/run/dmabuf is gone after the removal"
	timeout 10 stat /run/dmabuf >/dev/null ||
		note "stat of the mount fails or hangs after the removal"
	head -c 65536 /dev/urandom >"$VMT/after"
	truncate -s 64K /run/dmabuf/new/heap:system/after ||
		note "no new buffer can be made after the removal"
	cp "$VMT/after" /run/dmabuf/after && cmp "$VMT/after" /run/dmabuf/after ||
		note "a new buffer does not read back after the removal"
	rm /run/dmabuf/mapped || note "rm of the gone buffer failed"
	kill -0 "$DAEMON_PID" 2>/dev/null || note "dmabuffs died after the removal"
fi
# The rescan once the daemon has stopped: a daemon that still holds a
# removed card's fd when a rescan brings the card back can block at exit
# in close() (measured with qxl: the old device's qxl_device_fini ->
# qxl_fence_wait).
kill -TERM "$DAEMON_PID" 2>/dev/null
if ! wait_exit "$DAEMON_PID"; then
	note "dmabuffs ignored SIGTERM for 5 s after the removal"
	kill -KILL "$DAEMON_PID"
fi
wait "$DAEMON_PID"
st=$?
[ "$st" -eq 0 ] || note "dmabuffs exited with status $st on SIGTERM after the removal"
DAEMON_PID=
rm -f /run/vmtest-daemon.pid
if mounted /run/dmabuf; then
	umount -l /run/dmabuf
	note "/run/dmabuf still mounted after the daemon stopped"
fi
echo 1 >/sys/bus/pci/rescan
i=0
while [ -z "$(pci_dev_of_card_driver $drv)" ] && [ $i -lt 50 ]; do
	sleep 0.1
	i=$((i + 1))
done
echo "# after the rescan: $drv on PCI '$(pci_dev_of_card_driver $drv)'"
[ "$rc" -eq 0 ] || exit "$rc"
[ -z "$why" ] || fail "$why"
