#!/bin/sh
# fio's verify mode (crc32c, random reads and writes, psync, mmap and
# libaio O_DIRECT engines, through the rule table's accessor and the shim)
# on a heap:system buffer file: tests/integration/fio-verify.t in the guest.
exec sh /vm/fio-verify.sh heap:system
