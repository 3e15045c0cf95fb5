#!/bin/sh
# A buffer made through new/drm:qxl/ (iomem 1: the I/O shim): data both ways
# via the exported dma-buf and a PRIME import on the card.
. /vm/lib.sh
tree_test drm:qxl drm 1 qxl
