#!/bin/sh
# The page-flip program the scanout tests will drive (progs/page-flip.c):
# two framebuffers on the bochs card, A shown, then B, then A again, each
# flip checked by the program itself with drmModeGetCrtc and the primary
# plane's drmModeGetPlane. Here: that the flips happen on command and that
# the fb ids it prints are two distinct live framebuffers.
# vmtest: last
. /vm/lib.sh

command -v page-flip >/dev/null || fail "no page-flip program in /vm/bin"
VMT=$(mktemp -d /tmp/vmt.XXXXXX) || fail "mktemp"
mkfifo "$VMT/in" || fail "mkfifo"
page-flip <"$VMT/in" >"$VMT/out" 2>&1 &
bg=$!
exec 3>"$VMT/in"

# wait_for N: the Nth SHOWING line within 10 s.
wait_for() {
	wait_output "$bg" "$VMT/out" '^SHOWING' "$1" && return
	exec 3>&- # at EOF page-flip ends
	not_up "$bg" "$VMT/out" page-flip page-flip "page-flip: no SHOWING line $1"
}
wait_for 1
echo flip >&3
wait_for 2
kill -USR1 "$bg"
wait_for 3
exec 3>&-
wait "$bg" || { sed 's/^/# page-flip: /' "$VMT/out"; fail "page-flip exited with $?"; }
sed 's/^/# page-flip: /' "$VMT/out"
a=$(sed -n 's/^FB name=A id=\([0-9]*\).*/\1/p' "$VMT/out")
b=$(sed -n 's/^FB name=B id=\([0-9]*\).*/\1/p' "$VMT/out")
[ -n "$a" ] && [ -n "$b" ] && [ "$a" != "$b" ] || fail "fb ids A='$a' B='$b'"
shown=$(sed -n 's/^SHOWING name=\([AB]\) id=\([0-9]*\).*/\1\2/p' "$VMT/out" | tr '\n' ' ')
[ "$shown" = "A$a B$b A$a " ] || fail "shown in order: '$shown', expected 'A$a B$b A$a'"
exit 0
