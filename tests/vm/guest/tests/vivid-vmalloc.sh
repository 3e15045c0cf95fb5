#!/bin/sh
# vivid instance 0 (allocators=0): a videobuf2_vmalloc dma-buf whose
# mapping shows the same frame as V4L2's own (vivid-capture.c).
. /vm/lib.sh
load_vivid
exec vivid-capture 0 videobuf2_vmalloc
