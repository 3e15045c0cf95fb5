#!/bin/sh
# A buffer made through new/heap:system/: data both ways via the exported
# dma-buf; xattrs (system, iomem 0).
. /vm/lib.sh
tree_test heap:system system 0
