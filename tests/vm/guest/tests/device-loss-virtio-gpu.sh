#!/bin/sh
# vmtest: last (it removes the virtio-gpu PCI device for the rest of the boot)
# Hot-unplug: with a drm:virtio_gpu buffer file open, the card's PCI device is
# removed (sysfs remove); reads give ENODEV or the last contents, the
# daemon survives, drops the backend and still serves other buffers
# (device-loss.c).
. /vm/lib.sh
device_loss virtio_gpu
