#!/bin/bash
# A staged write far past the end (issue 11 item 11): a file not yet
# allocated may grow to the machine's memory, no further; past that a
# write gets EFBIG, nothing is staged, and the file's later closes and
# writes work (before: a sparse 4 EiB staged file whose every close
# failed with ENOMEM or EINVAL).
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
require_host

start_daemon || bail_out "dmabuffs did not mount"

expect_errno EFBIG "pwrite at 2^62 into a new file -> EFBIG" \
	"fd = os.open(M + '/far', os.O_CREAT | os.O_WRONLY, 0o600)
try:
    os.pwrite(fd, b'xy', 2**62)
finally:
    os.close(fd)"
expect_errno EFBIG "pwrite of 1 byte at 2^63-2 into a new file -> EFBIG" \
	"fd = os.open(M + '/far', os.O_WRONLY)
try:
    os.pwrite(fd, b'x', 2**63 - 2)
finally:
    os.close(fd)"
is "$(fsize "$M/far")" 0 "far stays a 0-byte file"
expect_errno OK "a close after the refused writes succeeds" \
	"os.close(os.open(M + '/far', os.O_WRONLY))"
check "a small write into far then works" -- sh -c "printf hello > '$M/far'"
is "$(fsize "$M/far")" "$(page_round 5)" "far is allocated at the page-rounded size"
is "$(head -c 5 "$M/far")" hello "far holds the write"
stop_daemon
done_testing
