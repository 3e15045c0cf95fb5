#!/bin/sh
# I/O memory: the bochs scanout buffer (pinned in VRAM, the PCI BAR),
# published to the daemon, shows user.dmabuf.iomem = 1; a pattern written
# through its FILE is in VRAM (sysfs resource0) and on the display (host
# check host-scanout2, QEMU screendump), and reads back through the file.
# The daemon starts first: it opens the card and must drop DRM master, or
# the program's SetCrtc fails.
. /vm/lib.sh
start_daemon
bochs-scanout --through-file bochs-fb scanout2
