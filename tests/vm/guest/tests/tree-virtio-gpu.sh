#!/bin/sh
# A buffer made through new/drm:virtio_gpu/: data both ways via the exported
# dma-buf and a PRIME import on the card; xattrs (virtio_gpu, iomem 0).
. /vm/lib.sh
tree_test drm:virtio_gpu virtio_gpu 0 virtio_gpu
