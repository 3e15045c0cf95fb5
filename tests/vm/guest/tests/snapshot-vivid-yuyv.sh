#!/bin/sh
# A vivid frame in YUYV (set by the test program, vivid-snap), published
# with its layout (dmabuffs_publish_image), snapshots to a PNG equal within
# 1 per channel to the host's own BT.601 conversion of the frame
# (host-snapshot-vivid-yuyv, check-png.sh).
. /vm/lib.sh
load_vivid
start_daemon
vivid-snap 0 YUYV snapshot-vivid-yuyv
