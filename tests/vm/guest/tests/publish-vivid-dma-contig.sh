#!/bin/sh
# The same with vivid instance 1 (videobuf2_dma_contig).
. /vm/lib.sh
load_vivid
start_daemon
vivid-capture --publish cam1 1 videobuf2_dma_contig
