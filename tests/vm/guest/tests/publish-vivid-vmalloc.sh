#!/bin/sh
# A vivid (videobuf2_vmalloc) capture buffer, made outside the daemon and
# handed to it with dmabuffs_publish(): the file's bytes are the frame
# vivid-capture read through V4L2's own mapping; exporter/iomem/origin.
. /vm/lib.sh
load_vivid
start_daemon
vivid-capture --publish cam0 0 videobuf2_vmalloc
