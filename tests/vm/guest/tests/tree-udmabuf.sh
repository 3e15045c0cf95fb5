#!/bin/sh
# A buffer made through new/udmabuf/: data both ways via the exported dma-
# buf; xattrs (udmabuf, iomem 0).
. /vm/lib.sh
tree_test udmabuf udmabuf 0
