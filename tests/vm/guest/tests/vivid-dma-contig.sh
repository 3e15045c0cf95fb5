#!/bin/sh
# vivid instance 1 (allocators=1): the same through videobuf2_dma_contig.
. /vm/lib.sh
load_vivid
exec vivid-capture 1 videobuf2_dma_contig
