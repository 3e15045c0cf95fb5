#!/bin/bash
# A stop (SIGTERM) with files and directories still open frees everything
# (issue 11 item 7): no RELEASE comes for those, so the daemon must free
# their handles itself. Checked with valgrind's leak check (definite and
# indirect leaks), as LeakSanitizer does in the sanitizer tier.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
require_host
# The ASan+UBSan tree (./dev test) checks leaks with LeakSanitizer;
# valgrind cannot run an ASan binary.
[ -n "${ASAN_OPTIONS:-}" ] && skip_all "an ASan build: LeakSanitizer checks the leaks there"
command -v valgrind >/dev/null 2>&1 || skip_all "no valgrind"
real=$top_builddir/src/.libs/dmabuffs
[ -x "$real" ] || real=$top_builddir/src/dmabuffs
file "$real" 2>/dev/null | grep -q ELF || skip_all "no ELF dmabuffs binary to run under valgrind"

# start_daemon runs `dmabuffs` from PATH: put valgrind in front of it.
mkdir -p "$T/vgbin"
cat >"$T/vgbin/dmabuffs" <<EOS
#!/bin/sh
LD_LIBRARY_PATH=$top_builddir/src/.libs\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH} \\
exec valgrind -q --leak-check=full --show-leak-kinds=definite,indirect \\
	--errors-for-leak-kinds=definite,indirect --error-exitcode=99 \\
	--log-file="$T/valgrind.log" "$real" "\$@"
EOS
chmod +x "$T/vgbin/dmabuffs"
PATH=$T/vgbin:$PATH

# valgrind starts slowly on a loaded machine: give it 20 s more than
# start_daemon's 5.
start_daemon || wait_for "mountpoint -q '$M'" 200 ||
	bail_out "dmabuffs (under valgrind) did not mount"
check "truncate -s 64K held" -- truncate -s 64K "$M/held"
printf 'staged' >"$T/s"
# Files and directories open when the daemon stops: a buffer file read-write,
# a new staged file, the root and by-inode/.
exec 7<>"$M/held" 8>"$M/new-staged" 9<"$M" 6<"$M/by-inode"
cat "$T/s" >&8
check "the open files answer before the stop" -- head -c 1 /proc/self/fd/7
kill -TERM "$DAEMON_PID"
wait_for "! pid_alive $DAEMON_PID" 100
wait "$DAEMON_PID"
st=$?
exec 6<&- 7<&- 8>&- 9<&-
is "$st" 0 "SIGTERM with open files: the daemon exits 0 (valgrind: no leak, else 99)"
if [ -s "$T/valgrind.log" ]; then
	diag_file "$T/valgrind.log" "valgrind" 40
fi
check "valgrind reports nothing" -- test ! -s "$T/valgrind.log"
force_unmount "$M"
done_testing
