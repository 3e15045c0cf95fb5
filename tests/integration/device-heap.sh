#!/bin/sh
# Device test: the system dma-heap backend (/dev/dma_heap/system). POSIX sh
# + busybox only. Exit 0 pass, 77 skip (no device), anything else fail.
DMABUFFS_DEVICE_TEST=1
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"

[ -c /dev/dma_heap/system ] || dt_skip "no /dev/dma_heap/system (no dma-heap support)"
dt_require_host
# The system heap hands out pages of RAM: iomem 0, exporter "system".
dt_run heap:system system 0
