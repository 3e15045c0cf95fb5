#!/bin/sh
# systemctl kill -s SEGV dmabuffs (a segfault): Restart=on-failure brings
# the service back, and the buffers (names, data, owners) survive.
. /vm/lib.sh
. /vm/systemd-lib.sh
. /vm/systemd-crash.sh
crash_test SEGV
