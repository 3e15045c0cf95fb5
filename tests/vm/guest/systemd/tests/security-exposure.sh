#!/bin/sh
# systemd-analyze security dmabuffs: the unit's exposure score (VMINFO
# security ...), and every check that keeps it from being lower ("# ✗"
# lines). Fails only when systemd cannot judge the unit.
. /vm/lib.sh
. /vm/systemd-lib.sh
systemd-analyze security "$U" --no-pager >"$SD/security" 2>&1
rc=$?
sed 's/^/# security: /' "$SD/security"
score=$(sed -n 's/.*Overall exposure level for [^:]*: *\([0-9.]* *[A-Z]*\).*/\1/p' "$SD/security")
[ -n "$score" ] || fail "systemd-analyze security $U printed no exposure level (exit $rc)"
echo "VMINFO security dmabuffs.service exposure=$(echo "$score" | tr ' ' '-') ($(grep -c '✗' "$SD/security") checks not met)"
