#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# fio-verify.sh BACKEND: the host suite's fio oracle,
# tests/integration/fio-verify.t, on a device backend of the guest
# (FIO_VERIFY_BACKEND=BACKEND), with the static fio the initramfs ships
# (build-fio.sh). Its TAP lines are shown as "# " lines; the guest test
# passes when the plan ran whole with no "not ok", skips when the script
# skipped (no fio, no device), and fails otherwise with the first failing
# test as the reason. Run by the guest tests fio-verify-*.sh.
# FIO_VERIFY_SIZE defaults to 2M here: TCG is slow and the runner gives
# each test 60 s.
. /vm/lib.sh
backend=$1
t=/vm/src/tests/integration/fio-verify.t
[ -r "$t" ] || skip "no $t in the initramfs"
command -v fio >/dev/null 2>&1 || skip "no fio in the initramfs (build-fio.sh failed?)"
case $backend in
udmabuf) [ -c /dev/udmabuf ] || skip "no /dev/udmabuf" ;;
heap:*) [ -c "/dev/dma_heap/${backend#heap:}" ] || skip "no /dev/dma_heap/${backend#heap:}" ;;
drm:*) [ -n "$(ls /dev/dri/card* 2>/dev/null)" ] || skip "no /dev/dri/card*" ;;
esac
out=$(mktemp /tmp/fio-verify.XXXXXX) || fail "mktemp"
FIO_VERIFY_BACKEND=$backend FIO_VERIFY_SIZE=${FIO_VERIFY_SIZE:-2M} \
	FIO_VERIFY_TIMEOUT=${FIO_VERIFY_TIMEOUT:-40} \
	top_srcdir=/vm/src top_builddir=/vm/build sh "$t" >"$out" 2>&1
rc=$?
sed 's/^/# tap: /' "$out"
plan=$(sed -n 's/^1\.\.\([0-9][0-9]*\).*/\1/p' "$out" | tail -n1)
skipped=$(sed -n 's/^1\.\.0 # SKIP //p' "$out" | head -n1)
ran=$(grep -cE '^(ok|not ok) ' "$out")
bad=$(grep -cE '^not ok ' "$out")
first=$(grep -m 1 -E '^not ok ' "$out" | sed 's/^not ok [0-9]* - //')
rm -f "$out"
[ -n "$skipped" ] && skip "fio-verify.t: $skipped"
[ "$bad" -eq 0 ] || fail "$bad of $ran fio checks failed on $backend, first: $first"
[ -n "$plan" ] || fail "fio-verify.t printed no plan (exit $rc, $ran tests ran)"
[ "$plan" -eq "$ran" ] || fail "fio-verify.t planned $plan tests, $ran ran"
[ "$rc" -eq 0 ] || fail "fio-verify.t exited $rc"
echo "# fio-verify.t on $backend: $ran checks passed"
