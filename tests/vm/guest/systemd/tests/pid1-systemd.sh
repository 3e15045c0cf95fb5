#!/bin/sh
# PID 1 is Debian's systemd, version 254 or later (FDPOLL=,
# FileDescriptorStorePreserve=, systemd-analyze fdstore), and the unit is
# the project's own, loaded from where `make install` put it. Prints the
# boot's timing (VMINFO systemd-boot) and what took longest.
. /vm/lib.sh
exe=$(readlink /proc/1/exe)
case $exe in */systemd) ;; *) fail "PID 1 is $exe, not systemd" ;; esac
ver=$(systemctl --version | sed -n '1s/^systemd \([0-9]*\).*/\1/p')
echo "# $(systemctl --version | head -n1)"
[ -n "$ver" ] && [ "$ver" -ge 254 ] || fail "systemd ${ver:-?} is older than 254"
path=$(systemctl show -P FragmentPath dmabuffs)
echo "# dmabuffs.service: $path"
[ "$path" = /usr/local/lib/systemd/system/dmabuffs.service ] ||
	fail "dmabuffs.service is loaded from '$path', not from the installed unit"
# The boot is not finished while the tests (vmtest.service) run: the
# time from the kernel's start to systemd, and to the tests' start.
us=$(systemctl show -P UserspaceTimestampMonotonic)
ts=$(systemctl show -P ExecMainStartTimestampMonotonic vmtest.service)
echo "VMINFO systemd-boot version=$ver kernel=$(awk -v u="$us" 'BEGIN { printf "%.1fs", u / 1e6 }')" \
	"userspace-to-tests=$(awk -v u="$us" -v t="$ts" 'BEGIN { printf "%.1fs", (t - u) / 1e6 }')"
systemd-analyze blame --no-pager 2>&1 | head -n 8 | sed 's/^/# blame: /'
systemctl list-units --failed --no-pager --plain --no-legend 2>&1 | sed 's/^/# failed unit: /'
exit 0
