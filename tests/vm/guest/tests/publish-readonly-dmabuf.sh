#!/bin/sh
# A dma-buf exported read-only (VIDIOC_EXPBUF with O_RDONLY, as capture
# programs often do) can be published: its file reads the frame and
# refuses writes (vivid-capture --publish-ro).
. /vm/lib.sh
load_vivid
start_daemon
vivid-capture --publish-ro camro 0 videobuf2_vmalloc
