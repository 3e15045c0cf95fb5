#!/bin/sh
# systemctl kill -s KILL dmabuffs: Restart=on-failure brings the service
# back, and the buffers (names, data, owners) survive the crash.
. /vm/lib.sh
. /vm/systemd-lib.sh
. /vm/systemd-crash.sh
crash_test KILL
