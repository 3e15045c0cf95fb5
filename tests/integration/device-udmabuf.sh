#!/bin/sh
# Device test: the udmabuf backend (/dev/udmabuf). POSIX sh + busybox only.
# Exit 0 pass, 77 skip (no device), anything else fail.
DMABUFFS_DEVICE_TEST=1
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"

[ -c /dev/udmabuf ] || dt_skip "no /dev/udmabuf (module udmabuf not loaded or no kernel support)"
dt_require_host
# udmabuf is system memory (a sealed memfd): iomem 0.
dt_run udmabuf udmabuf 0
