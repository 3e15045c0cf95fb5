#!/bin/bash
# quota-edquot: per-user limits on bytes and buffers (max_bytes_per_user=,
# max_buffers_per_user=, root's own max_bytes_root=), counted over created
# and published buffers per owner. Going over is EDQUOT with a log line,
# and nothing is left half-made; other users and root are not affected;
# freeing gives the room back. Run as non-root users (setpriv).
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/daemon-lib.sh"
require_host
require_users_video
U1=64011 U2=64012

chmod 0755 "$T"
start_daemon "allow_other,group=video,max_bytes_per_user=1M,max_buffers_per_user=3" ||
	bail_out "dmabuffs did not mount"

# publish_as UID SIZE NAME: publish-memfd's last line (status in $?).
publish_as() {
	setpriv --reuid="$1" --regid=65534 --groups "$VIDEO" env -i PATH="$PATH" \
		DMABUFFS_CONTROL="$DMABUFFS_CONTROL" publish-memfd "$2" "$3" 2>&1 | tail -n 1
}

# --- bytes, through truncate
is "$(as_user $U1 "$VIDEO" 'trunc("a", 512 * 1024)')" OK "a user truncates a 512 KiB buffer (limit 1 MiB)"
is "$(as_user $U1 "$VIDEO" 'trunc("b", 768 * 1024)')" EDQUOT "768 KiB more goes over: EDQUOT"
is "$(fsize "$M/b")" 0 "... the refused file has no buffer (0 bytes, nothing half-made)"
check "... and the daemon logs it, naming the limit" -- \
	grep -q "b: uid $U1 holds 524288 bytes.*max_bytes_per_user=1048576: EDQUOT" "$DAEMON_LOG"
is "$(as_user $U2 "$VIDEO" 'trunc("u2", 768 * 1024)')" OK "another user is not affected (768 KiB)"
truncate -s 4M "$M/rootbuf"
is "$(fsize "$M/rootbuf")" 4194304 "root has no limit by default (4 MiB)"

# --- bytes, through staged writes
is "$(as_user $U1 "$VIDEO" 'os.unlink(os.path.join(M, "b")); write("c", 600 * 1024)')" EDQUOT \
	"a staged write past the limit: EDQUOT"
is "$(as_user $U1 "$VIDEO" 'os.unlink(os.path.join(M, "c")); write("c", 400 * 1024)')" OK \
	"a staged write within the limit works (rm of the refused one gave its bytes back)"
is "$(fsize "$M/c")" 409600 "... and keeps its data"

# --- bytes, through publish
out=$(publish_as $U1 1M pub1)
like "$out" "EDQUOT" "publishing 1 MiB more goes over: EDQUOT" || diag "$out"
check "... and publishes nothing" -- absent "$M/pub1"

# --- buffers (3 per user; a and c held)
is "$(as_user $U1 "$VIDEO" 'trunc("d", 4096)')" OK "a third buffer is within max_buffers_per_user=3"
is "$(as_user $U1 "$VIDEO" 'trunc("e", 4096)')" EDQUOT "a fourth is refused: EDQUOT"
check "... and no name is left behind" -- absent "$M/e"
check "... logged with the limit" -- grep -q "e: uid $U1 is at max_buffers_per_user=3" "$DAEMON_LOG"
out=$(publish_as $U1 4K pub2)
like "$out" "EDQUOT" "a published buffer counts too: EDQUOT" || diag "$out"
check "... nothing published" -- absent "$M/pub2"

# --- freeing gives the room back
rm -f "$M/a" "$M/d"
is "$(as_user $U1 "$VIDEO" 'trunc("f", 512 * 1024)')" OK "after rm, the user may allocate again"
out=$(publish_as $U1 64K pub3)
like "$out" "^published pub3" "... and publish again" || diag "$out"
is "$(stat -c %u "$M/pub3" 2>&1)" "$U1" "... owned by the publisher"
is "$(as_user $U1 "$VIDEO" 'trunc("g", 4096)')" EDQUOT "c, f and pub3 are three buffers: the next is refused"
stop_daemon

# --- root's own limit
start_daemon "max_bytes_root=64K,max_buffers_root=2" || bail_out "dmabuffs did not mount (root limits)"
check "root within max_bytes_root" -- truncate -s 64K "$M/r1"
check_fails "root over max_bytes_root=64K: refused" -- truncate -s 4K "$M/r2"
like "$(cat "$T/last.out")" "quota" "... with EDQUOT (Disk quota exceeded)"
check "root's second buffer of 0 bytes is within max_buffers_root=2" -- touch "$M/r2"
check_fails "a third is refused" -- touch "$M/r3"
stop_daemon

check_fails "max_bytes_per_user=lots is a bad option" -- \
	dmabuffs -f -o backend=memfd,max_bytes_per_user=lots,control="$T/bad" "$T/mnt"
like "$(cat "$T/last.out")" "max_bytes_per_user=lots" "... named in the message"

done_testing
