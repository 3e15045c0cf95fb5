#!/bin/sh
# A buffer made through new/drm:vgem/: data both ways via the exported dma-
# buf and a PRIME import on the card; xattrs (drm, iomem 0).
. /vm/lib.sh
tree_test drm:vgem drm 0 vgem
