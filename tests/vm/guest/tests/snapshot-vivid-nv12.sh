#!/bin/sh
# A vivid frame in NV12 (set by the test program, vivid-snap; two planes:
# Y, then CbCr at bytesperline * height), published with its layout
# (dmabuffs_publish_image), snapshots to a PNG equal within 1 per channel
# to the host's own BT.601 conversion of the frame (host-snapshot-vivid-nv12,
# check-png.sh).
. /vm/lib.sh
load_vivid
start_daemon
vivid-snap 0 NV12 snapshot-vivid-nv12
